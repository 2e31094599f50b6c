/** `attnc schedule` and `attnc viz`. */
import * as path from 'node:path';
import { Diagnostics, UserError } from '../diagnostics/diagnostic.ts';
import { svgToPng } from '../4-emit/viz/png.ts';
import { renderSvg } from '../4-emit/viz/svg.ts';
import { renderTerm } from '../4-emit/viz/term.ts';
import { writeFileAtomic } from '../../runtime/io/files.ts';
import { scheduleToJson, scheduleToNpz, scheduleToText } from '../../runtime/schedule/export.ts';
import { planFromOptions, type PlanOptions } from './plan-args.ts';
import { EXIT } from './report.ts';
import type { Schedule } from '../../runtime/schedule/types.ts';

function emit(out: string | undefined, data: string | Uint8Array): void {
  if (out) writeFileAtomic(out, data);
  else process.stdout.write(data);
}

/** Largest text or JSON schedule `attnc schedule` prints (bytes, estimated before it is built). */
export const MAX_SCHEDULE_TEXT_BYTES = 1 << 28;

/**
 * Upper estimate of a text or JSON schedule's size: every listed tile appears as an index in
 * its row and in its column (JSON lists both), plus a line per query block.
 */
function textBytes(s: Schedule): number {
  const digits = String(Math.max(s.numQBlocks, s.numKvBlocks)).length + 1;
  const tiles = s.stats.fullTiles + s.stats.partialTiles;
  return 2 * tiles * digits + s.groups.length * (s.numQBlocks + s.numKvBlocks) * 48;
}

/** `attnc schedule`. */
export function runSchedule(file: string, opts: PlanOptions & { format?: string; out?: string }, diags: Diagnostics): number {
  // The format: given, or from the output's extension.
  const ext = opts.out ? path.extname(opts.out).slice(1).toLowerCase() : '';
  const implied = ext === 'json' || ext === 'npz' ? ext : ext === 'txt' ? 'text' : undefined;
  const o = { ...opts, format: opts.format ?? implied ?? 'text' };
  if (!['text', 'json', 'npz'].includes(o.format)) {
    diags.report('bad_param_value', `--format must be text, json or npz, got \`${o.format}\``);
    throw new UserError(diags);
  }
  if (implied && implied !== o.format) {
    diags.report('bad_param_value', `--format ${o.format} disagrees with the output's name \`${opts.out}\` (a .${ext} file): drop --format, or name the file for its format`);
    throw new UserError(diags);
  }
  if (o.format === 'npz' && !o.out) {
    diags.report('bad_param_value', '--format npz writes a binary file: give it a name with -o schedule.npz');
    throw new UserError(diags);
  }
  const { schedule } = planFromOptions(file, o, diags);
  if (o.format !== 'npz') {
    const bytes = textBytes(schedule);
    if (bytes > MAX_SCHEDULE_TEXT_BYTES) {
      diags.report('bad_size', `the ${o.format} schedule would be about ${Math.round(bytes / 2 ** 20)} MiB (${schedule.stats.fullTiles + schedule.stats.partialTiles} tiles); the limit is ${MAX_SCHEDULE_TEXT_BYTES / 2 ** 20} MiB: use --format npz -o schedule.npz, larger blocks or shorter sequences`);
      throw new UserError(diags);
    }
  }
  if (o.format === 'text') emit(o.out, scheduleToText(schedule));
  else if (o.format === 'json') emit(o.out, `${JSON.stringify(scheduleToJson(schedule))}\n`);
  else {
    let bytes: Uint8Array;
    try {
      bytes = scheduleToNpz(schedule);
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
      diags.report('bad_size', e.message);
      throw new UserError(diags);
    }
    emit(o.out, bytes);
  }
  return EXIT.ok;
}

/** `attnc viz`. */
export function runViz(file: string, o: PlanOptions & { format?: string; out?: string; groups?: string }, diags: Diagnostics): number {
  const maxGroups = Number(o.groups ?? '4');
  if (!Number.isSafeInteger(maxGroups) || maxGroups < 1 || maxGroups > 64) {
    diags.report('bad_param_value', `--groups must be an integer from 1 to 64, got \`${o.groups}\``);
    throw new UserError(diags);
  }
  const ext = o.out ? path.extname(o.out).slice(1).toLowerCase() : undefined;
  const format = o.format ?? (ext === 'png' || ext === 'svg' ? ext : o.out ? undefined : 'term');
  if (!format || !['svg', 'png', 'term'].includes(format)) {
    diags.report('bad_param_value', `cannot tell the picture format: use -o map.svg, -o map.png or --format term`);
    throw new UserError(diags);
  }
  if ((ext === 'png' || ext === 'svg') && format !== ext) {
    diags.report('bad_param_value', `--format ${format} disagrees with the output's name \`${o.out}\` (a .${ext} file): drop --format, or name the file for its format`);
    throw new UserError(diags);
  }
  if (format === 'png' && !o.out && process.stdout.isTTY) {
    diags.report('bad_param_value', 'a PNG is binary: give it a name with -o map.png (or pipe standard output)');
    throw new UserError(diags);
  }
  const { schedule } = planFromOptions(file, o, diags);
  if (format === 'term') emit(o.out, renderTerm(schedule, Math.min(100, (process.stdout.columns ?? 80) - 24)));
  else {
    const svg = renderSvg(schedule, { maxGroups });
    emit(o.out, format === 'svg' ? svg : svgToPng(svg));
  }
  return EXIT.ok;
}
