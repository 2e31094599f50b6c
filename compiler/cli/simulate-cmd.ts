/** `attnc simulate`: estimated speedup of a pattern on a GPU, from its real schedule. */
import * as path from 'node:path';
import type { Command } from 'commander';
import { bindParams, checkRuntimeValues, parseIntText, resolveParamValues } from '../2-check/bind.ts';
import { Diagnostics, UserError } from '../diagnostics/diagnostic.ts';
import { checkPatternFile, lowerToPlanner } from '../pipeline.ts';
import { svgToPng } from '../4-emit/viz/png.ts';
import { loadProfile, ProfileError, profileNames, type KernelModel } from '../5-simulate/profile.ts';
import { sweepSvg, type SweepPoint } from '../5-simulate/plot.ts';
import { hasPass, simulatePass, SIM_PASSES } from '../5-simulate/passes.ts';
import { boxTiles, checkSimSize, type SimPass, type SimResult, type SimShape } from '../5-simulate/simulate.ts';
import { MAX_SOURCE_BYTES, readTextBounded, writeFileAtomic } from '../../runtime/io/files.ts';
import { PlanError } from '../../runtime/schedule/types.ts';
import { guard, EXIT } from './report.ts';
import { addSourceOptions, collectParam, loadOptions, parseParamArgs, requireSource, type SourceOptions } from './source.ts';
import { loadInputArrays } from './plan-args.ts';
import { parseTilesOption } from './tiles-arg.ts';

interface SimOptions extends SourceOptions {
  pattern?: string; qLen?: string; kvLen?: string; heads: string; kvHeads?: string; batch?: string; headDim: string; dtype: string;
  kernel: string; pass: string; gpu: string; tiles: string; param: Record<string, string>; input: Record<string, string>; format: string; sweep?: string; out?: string; results?: string;
}

const num = (s: string) => parseIntText(s) ?? NaN;

/** Registers the command. */
export function registerSimulate(program: Command, setStatus: (n: number) => void): void {
  addSourceOptions(program
    .command('simulate')
    .description('Estimate a pattern\'s speedup over dense attention on a GPU, from its real schedule (see bench/results/simulator-validation.md).')
    .argument('<file>', '.attn file')
    .option('--pattern <name>', 'pattern to use when the file defines several')
    .option('--q-len <n>', 'query length (4k = 4096; not needed with --sweep q_len=...)')
    .option('--kv-len <n>', 'key/value length (default: --q-len)')
    .option('--heads <n>', 'heads', '16')
    .option('--kv-heads <n>', 'key/value heads (default: --heads)')
    .option('--batch <n>', 'batch (default: the batch of per-batch --input arrays, else 1)')
    .option('--head-dim <n>', 'head dimension', '128')
    .option('--dtype <t>', 'bf16 | f16 | f32', 'bf16')
    .option('--kernel <k>', 'attnc-cuda | flex | attnc-wgsl', 'attnc-cuda')
    .option('--tiles <shape>', `forward tiles of a pattern with a layout, for kernels that take box tiles (attnc-wgsl; attnc-cuda on Hopper profiles, boxes whose last side is at least 8): auto (the faster of strips and boxes), strip, or a box such as 8x16 (docs/schedule.md); other kernels plan strips`, 'auto')
    .option('--pass <p>', 'forward | backward | both (a training step\'s attention: forward + backward)', 'forward')
    .option('--gpu <name>', `hardware profile: ${profileNames().join(', ')} (or a .json file)`, 'h100')
    .option('--param <name=value>', 'set a parameter (repeatable)', collectParam, {})
    .option('--input <name=file.npy>', 'per-token input array from a .npy file (repeatable; not with --sweep)', collectParam, {})
    .option('--sweep <var=lo..hi>', 'sweep q_len (and kv_len with it) over powers of two, e.g. q_len=4k..256k')
    .option('--results <file.json>', 'measured points to overlay on the sweep plot: [{"x": 8192, "speedup": 5.2}, ...]')
    .option('--format <f>', 'table | json', 'table')
    .option('-o, --out <file>', 'sweep plot (.svg or .png), or the table/JSON output file'))
    .action(async (file: string, o: SimOptions) => {
      const diags = new Diagnostics();
      setStatus(await guard(diags, () => run(file, o, diags)));
    });
}

/** A speed-up as the table prints it: `inf` where nothing is computed (an empty schedule). */
const times = (x: number) => (Number.isFinite(x) ? `${x.toFixed(2)}x` : 'inf');

const DTYPE_BYTES: ReadonlyMap<string, number> = new Map([['bf16', 2], ['f16', 2], ['f32', 4]]);
const FORMATS: readonly string[] = ['table', 'json'];

function run(file: string, o: SimOptions, diags: Diagnostics): number {
  // A bundled profile by its exact name, or a .json file.
  let gpu;
  try {
    gpu = o.gpu.endsWith('.json') || profileNames().includes(o.gpu) ? loadProfile(o.gpu) : undefined;
  } catch (e) {
    if (e instanceof ProfileError) diags.report('bad_param_value', `profile ${o.gpu} is not a hardware profile: ${e.message}`);
    else if (e instanceof SyntaxError) diags.report('bad_param_value', `profile ${o.gpu} is not valid JSON: ${e.message}`);
    else throw e;
    throw new UserError(diags);
  }
  if (!gpu) {
    diags.report('bad_param_value', `no hardware profile \`${o.gpu}\` (bundled: ${profileNames().join(', ')})`);
    throw new UserError(diags);
  }
  if (!Object.hasOwn(gpu.kernels, o.kernel)) {
    diags.report('bad_param_value', `profile ${o.gpu} has no model for kernel \`${o.kernel}\` (it has: ${Object.keys(gpu.kernels).join(', ')})`);
    throw new UserError(diags);
  }
  if (!(SIM_PASSES as readonly string[]).includes(o.pass)) {
    diags.report('bad_param_value', `--pass must be forward, backward or both, got \`${o.pass}\``);
    throw new UserError(diags);
  }
  const pass = o.pass as SimPass;
  if (!hasPass(gpu, o.kernel, pass)) {
    const withBwd = Object.keys(gpu.kernels).filter((k) => hasPass(gpu, k, 'backward'));
    diags.report('bad_param_value', `profile ${o.gpu} has no backward model for kernel \`${o.kernel}\` (${withBwd.length ? `kernels with one: ${withBwd.join(', ')}` : 'no kernel of this profile has one; the h200 profile does'})`);
    throw new UserError(diags);
  }
  // With --sweep q_len=LO..HI the query length comes from the sweep.
  const qLenText = o.qLen ?? /^q_len=(\w+)\.\./.exec(o.sweep ?? '')?.[1];
  if (qLenText === undefined) {
    diags.report('bad_size', '--q-len is required (or --sweep q_len=LO..HI)');
    throw new UserError(diags);
  }
  const sizes = { qLen: num(qLenText), kvLen: num(o.kvLen ?? qLenText), heads: num(o.heads), batch: o.batch === undefined ? 1 : num(o.batch), headDim: num(o.headDim) };
  for (const [k, v] of Object.entries(sizes)) if (!Number.isSafeInteger(v) || v < 1) diags.report('bad_size', `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} must be a positive integer`);
  const kvHeads = o.kvHeads === undefined ? sizes.heads : num(o.kvHeads);
  if (o.kvHeads !== undefined) {
    if (!Number.isSafeInteger(kvHeads) || kvHeads < 1) diags.report('bad_size', `--kv-heads must be a positive integer, got \`${o.kvHeads}\``);
    else if (sizes.heads >= 1 && sizes.heads % kvHeads !== 0) diags.report('bad_size', `--kv-heads ${kvHeads} must divide --heads ${sizes.heads}`);
  }
  const dtypeBytes = DTYPE_BYTES.get(o.dtype);
  if (!dtypeBytes) diags.report('bad_param_value', `--dtype must be bf16, f16 or f32, got \`${o.dtype}\``);
  if (!FORMATS.includes(o.format)) diags.report('bad_param_value', `--format must be table or json, got \`${o.format}\``);
  // -o holds the sweep's plot, an SVG or a PNG picture; without --sweep, the table or JSON.
  const outExt = o.out ? path.extname(o.out).slice(1).toLowerCase() : '';
  if (o.sweep && o.out && outExt !== 'svg' && outExt !== 'png') diags.report('bad_param_value', `-o with --sweep writes the sweep's plot: name it .svg or .png, not \`${o.out}\``);
  const tiles = parseTilesOption(o.tiles, diags);
  if (tiles && tiles !== 'auto' && tiles !== 'strip') {
    const kinds = boxTiles(gpu, o.kernel);
    const last = (x: readonly number[]) => x[x.length - 1];
    if (!kinds) diags.report('bad_tile_shape', `the ${o.kernel} kernels of profile ${gpu.name} take strips only; use --tiles strip or auto`);
    else if (kinds !== 'any' && (last(tiles.q) < kinds.minRun || last(tiles.kv) < kinds.minRun)) {
      diags.report('bad_tile_shape', `the ${o.kernel} kernels run box tiles whose last side is at least ${kinds.minRun} tokens; the box ${tiles.q.join('x')}${tiles.kv === tiles.q ? '' : `,${tiles.kv.join('x')}`} is not one`);
    }
  }
  if (diags.hasErrors) throw new UserError(diags);
  const params = parseParamArgs(o.param, diags);
  const load = loadOptions(o, diags);
  const pattern = checkPatternFile(requireSource(file, diags), o.pattern, diags, undefined, load);
  const bound = bindParams(pattern, params, diags);
  const runtime = resolveParamValues(pattern, params, diags, ['runtime']);
  const loaded = loadInputArrays(pattern, o.input, diags, o.batch === undefined ? undefined : sizes.batch, Boolean(o.sweep));  // --sweep refuses input arrays below
  const inputs = loaded.inputs;
  sizes.batch = loaded.batch ?? sizes.batch;
  if (bound) checkRuntimeValues(bound, runtime, diags);
  if (!bound || diags.hasErrors) throw new UserError(diags);
  if (bound.inputs.length && o.sweep) {
    diags.report('bad_input', `pattern \`${pattern.name}\` reads input arrays, which have one length: --sweep cannot vary it`);
    throw new UserError(diags);
  }
  const { planner } = lowerToPlanner(bound);
  const shapeAt = (qLen: number, kvLen: number): SimShape => ({ batch: sizes.batch, heads: sizes.heads, kvHeads, qLen, kvLen, headDim: sizes.headDim, dtypeBytes: dtypeBytes!, params: runtime, inputs, tiles });
  const sim = (q: number, kv: number): SimResult => {
    try {
      return simulatePass(bound, planner, gpu, o.kernel, shapeAt(q, kv), pass);
    } catch (e) {
      if (e instanceof PlanError) { diags.report(e.code, e.message); throw new UserError(diags); }
      throw e;
    }
  };

  if (o.sweep) {
    const m = /^(q_len|kv_len)=(\w+)\.\.(\w+)$/.exec(o.sweep);
    const lo = m ? num(m[2]) : NaN, hi = m ? num(m[3]) : NaN;
    if (!m || !(lo >= 1 && hi >= lo)) {
      diags.report('bad_param_value', `--sweep expects q_len=LO..HI or kv_len=LO..HI (powers of two are visited), got \`${o.sweep}\``);
      throw new UserError(diags);
    }
    // Every point is checked for size before the first is simulated.
    const xs: number[] = [];
    for (let x = lo; x <= hi; x *= 2) xs.push(x);
    for (const x of xs) {
      const [q, kv] = m[1] === 'q_len' ? [x, o.kvLen ? sizes.kvLen : x] : [sizes.qLen, x];
      try {
        const km = gpu.kernels[o.kernel];
        for (const model of [...(pass !== 'backward' ? [km] : []), ...(pass !== 'forward' && km.backward ? [km.backward] : [])]) {
          checkSimSize(model, { batch: sizes.batch, heads: sizes.heads, qLen: q, kvLen: kv });
        }
      } catch (e) {
        if (e instanceof PlanError) { diags.report(e.code, `--sweep point ${m[1]}=${x}: ${e.message}`); throw new UserError(diags); }
        throw e;
      }
    }
    const rows: SimResult[] = [];
    const points: SweepPoint[] = [];
    for (const x of xs) {
      const r = m[1] === 'q_len' ? sim(x, o.kvLen ? sizes.kvLen : x) : sim(sizes.qLen, x);
      rows.push(r);
      points.push({ x, speedup: r.speedupVsBaseline, ideal: r.idealSpeedup * (r.baselineMs / r.denseMs) });
    }
    const measured = o.results ? readResults(o.results, diags) : [];
    const title = `${pattern.name} on ${gpu.name}${gpu.calibrated ? '' : ' (uncalibrated estimate)'}, ${o.kernel}${pass === 'forward' ? '' : `, ${pass === 'both' ? 'forward + backward' : 'backward'}`}`;
    // The plotted speedup is over the profile's dense baseline (SDPA), the `vs baseline` column.
    const svg = sweepSvg(title, `${m[1]} (tokens), ${sizes.heads} heads, head dim ${sizes.headDim}, ${o.dtype}`, points, measured, 'predicted speedup over dense SDPA (the table\'s vs baseline)');
    if (o.out) writeFileAtomic(o.out, o.out.toLowerCase().endsWith('.png') ? svgToPng(svg) : svg);
    process.stdout.write(o.format === 'json' ? `${JSON.stringify(rows, null, 2)}\n` : table(rows, gpu.calibrated, notes(gpu.kernels[o.kernel], pass)));
    return EXIT.ok;
  }
  const r = sim(sizes.qLen, sizes.kvLen);
  const text = o.format === 'json' ? `${JSON.stringify(r, null, 2)}\n` : table([r], gpu.calibrated, notes(gpu.kernels[o.kernel], pass));
  if (o.out) writeFileAtomic(o.out, text);
  else process.stdout.write(text);
  return EXIT.ok;
}

/** `--results`: a JSON list of measured points, `[{"x": 8192, "speedup": 5.2}, ...]`. */
function readResults(file: string, diags: Diagnostics): SweepPoint[] {
  let data: unknown;
  try {
    data = JSON.parse(readTextBounded(file, MAX_SOURCE_BYTES));
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
    diags.report('bad_param_value', `--results ${file} is not valid JSON: ${e.message}`);
    throw new UserError(diags);
  }
  const ok = Array.isArray(data) && data.every((p) => p !== null && typeof p === 'object' && Number.isFinite((p as SweepPoint).x) && Number.isFinite((p as SweepPoint).speedup));
  if (!ok) {
    diags.report('bad_param_value', `--results ${file} must be a JSON list of points like [{"x": 8192, "speedup": 5.2}]`);
    throw new UserError(diags);
  }
  return data as SweepPoint[];
}

/** The notes of the models a pass uses. */
function notes(km: KernelModel, pass: SimPass): string | undefined {
  const n = [...(pass !== 'backward' && km.note ? [km.note] : []), ...(pass !== 'forward' && km.backward?.note ? [`backward: ${km.backward.note}`] : [])];
  return n.length ? n.join('; ') : undefined;
}

const PASS_TITLE: Readonly<Record<SimPass, string>> = { forward: 'forward', backward: 'backward (dQ, dK, dV; the dense baseline is SDPA\'s backward)', both: 'forward + backward (a training step\'s attention)' };

function table(rows: readonly SimResult[], calibrated: boolean, note?: string): string {
  const lines = [
    `${rows[0].kernel} on ${rows[0].gpu}, ${PASS_TITLE[rows[0].pass]}${calibrated ? '' : ' — UNCALIBRATED estimate (datasheet ratios)'}`,
    ...(note ? [`note: ${note}`] : []),
    '| q_len x kv_len | work items | tiles full / partial | same kernel dense ms | sparse ms | speedup | ideal | dense baseline ms | vs baseline | gap to ideal: tile rate / masking / tail / overhead / memory (ms) |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const g = r.gap;
    lines.push(`| ${r.qLen} x ${r.kvLen} | ${r.workItems} | ${r.fullTiles} / ${r.partialTiles}${r.tiles === 'strip' ? '' : ` (${r.tiles} boxes)`} | ${r.denseMs.toFixed(3)} | ${r.sparseMs.toFixed(3)} | ${times(r.speedup)} | ${times(r.idealSpeedup)} | ${r.baselineMs.toFixed(3)} | ${times(r.speedupVsBaseline)} | ${[g.tileRateMs, g.maskingMs, g.tailMs, g.overheadMs, g.memoryMs].map((x) => x.toFixed(3)).join(' / ')} |`);
  }
  return `${lines.join('\n')}\n`;
}
