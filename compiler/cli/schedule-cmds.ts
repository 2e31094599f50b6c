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

function emit(out: string | undefined, data: string | Uint8Array): void {
  if (out) writeFileAtomic(out, data);
  else process.stdout.write(data);
}

/** `attnc schedule`. */
export function runSchedule(file: string, o: PlanOptions & { format: string; out?: string }, diags: Diagnostics): number {
  if (!['text', 'json', 'npz'].includes(o.format)) {
    diags.report('bad_param_value', `--format must be text, json or npz, got \`${o.format}\``);
    throw new UserError(diags);
  }
  if (o.format === 'npz' && !o.out) {
    diags.report('bad_param_value', '--format npz writes a binary file: give it a name with -o schedule.npz');
    throw new UserError(diags);
  }
  const { schedule } = planFromOptions(file, o, diags);
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
export function runViz(file: string, o: PlanOptions & { format?: string; out?: string }, diags: Diagnostics): number {
  const ext = o.out ? path.extname(o.out).slice(1).toLowerCase() : undefined;
  const format = o.format ?? (ext === 'png' || ext === 'svg' ? ext : o.out ? undefined : 'term');
  if (!format || !['svg', 'png', 'term'].includes(format)) {
    diags.report('bad_param_value', `cannot tell the picture format: use -o map.svg, -o map.png or --format term`);
    throw new UserError(diags);
  }
  const { schedule } = planFromOptions(file, o, diags);
  if (format === 'term') emit(o.out, renderTerm(schedule, Math.min(100, (process.stdout.columns ?? 80) - 24)));
  else {
    const svg = renderSvg(schedule);
    emit(o.out, format === 'svg' ? svg : svgToPng(svg));
  }
  return EXIT.ok;
}
