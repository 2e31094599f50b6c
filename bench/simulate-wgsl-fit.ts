/**
 * Fits the simulator's `attnc-wgsl` model of a GPU profile to WebGPU suite runs of
 * bench/webgpu.ts at one size (default tiles), one run per dtype and head dim, and prints the
 * fit and each pattern's modelled against measured time:
 *
 *   npx tsx bench/simulate-wgsl-fit.ts PROFILE RUN [RUN ...] [--write MODEL.json]
 *
 * With `--write`, the model is written (atomically) as JSON with a note naming the runs; for
 * the H200 that is bench/data/attnc-wgsl-h200.json, which bench/simulate-validate.ts puts in
 * the profiles.
 * A RUN is a suite's JSON, or `SUITE.json+RETIMED.json`: the rows of the second (patterns timed
 * again with a newer kernel) replace the first's, and a pattern the second run was asked for
 * (its `--only`) but did not time is left out (only the older kernel timed it). The dense
 * paths give the FULL tile at head dim 128 in f16 (`fullTileUs`), the other head dims'
 * (`headDimScale`) and f32's (`f32Scale`); searched, by least squares on log time over every
 * run: work items per multiprocessor, the cost per work item, per mask operation of a PARTIAL
 * tile, and what a dead block saves (`deadBlocks`: `share` of a tile's time past `keepUs`). Patterns whose
 * two clocks disagree by 2x or more and `select` patterns (their selection passes are not the
 * kernel's) are left out. The other constants are kept from the profile.
 */
import * as fs from 'node:fs';
import { writeFileAtomic } from '../runtime/io/files.ts';
import { bindParams } from '../compiler/2-check/bind.ts';
import { Diagnostics } from '../compiler/diagnostics/diagnostic.ts';
import { checkSource, lowerToPlanner } from '../compiler/pipeline.ts';
import { loadProfile, type GpuProfile, type KernelModel } from '../compiler/5-simulate/profile.ts';
import { itemSchedule, simulate, type SimShape } from '../compiler/5-simulate/simulate.ts';
import { readRun, timeOf, trusted, type SuiteRow } from './simulate-wgsl-runs.ts';

const args = process.argv.slice(2);
const w = args.indexOf('--write');
const writeTo = w >= 0 ? args[w + 1] : undefined;
if (w >= 0) args.splice(w, 2);
const [profileName, ...runArgs] = args;
if (!profileName || runArgs.length === 0) {
  console.error('usage: npx tsx bench/simulate-wgsl-fit.ts PROFILE RUN [RUN ...] [--write MODEL.json]   (RUN: SUITE.json or SUITE.json+RETIMED.json)');
  process.exit(2);
}
const base = loadProfile(profileName);
if (!base) throw new Error(`no profile ${profileName}`);
const old = base.kernels['attnc-wgsl'];
if (!old) throw new Error(`profile ${profileName} has no attnc-wgsl model to start from`);
const runs = runArgs.map(readRun);

/** The bundled patterns by name, bound with their defaults (as generated/ is). */
const bundled = new Map<string, ReturnType<typeof bindParams>>();
for (const f of fs.readdirSync('patterns').filter((x) => x.endsWith('.attn'))) {
  const prog = checkSource({ name: f, text: fs.readFileSync(`patterns/${f}`, 'utf8') }, new Diagnostics());
  for (const pat of prog?.patterns ?? []) bundled.set(pat.name, bindParams(pat, {}, new Diagnostics()));
}

// The dense paths: f16 at head dim 128 is the reference tile.
const denseOf = (dtype: string, D: number) => runs.find((r) => r.dtype === dtype && r.D === D)?.denseMs;
const ref = denseOf('f16', 128);
if (ref === undefined) throw new Error('the fit needs an f16 head dim 128 run (the reference tile)');
const dims = [...new Set(runs.map((r) => r.D))].sort((a, b) => a - b);
const headDimScale: Record<string, number> = {};
const f32Scale: Record<string, number> = {};
for (const D of dims) {
  const f16 = denseOf('f16', D), f32 = denseOf('f32', D);
  if (f16 !== undefined) headDimScale[String(D)] = Number((f16 / ref).toFixed(3));
  if (f16 !== undefined && f32 !== undefined) f32Scale[String(D)] = Number((f32 / f16).toFixed(3));
}

const cases = runs.flatMap((run) => run.rows.filter((r) => trusted(r) && bundled.get(r.pattern) && !bundled.get(r.pattern)!.select).map((r) => {
  const bp = bundled.get(r.pattern)!;
  const shape: SimShape = { batch: 1, heads: run.heads, kvHeads: run.heads, qLen: r.S, kvLen: r.S, headDim: r.D, dtypeBytes: r.dtype === 'f16' ? 2 : 4, tiles: 'auto' };
  return { r, bp, planner: lowerToPlanner(bp).planner, shape };
}));
const S = runs[0].rows[0].S;

/** The model as a profile; rows timed before dead blocks are priced without them. */
const withModel = (km: KernelModel, r?: SuiteRow): GpuProfile => {
  const { deadBlocks, ...before } = km;
  return { ...base, kernels: { ...base.kernels, 'attnc-wgsl': r?.beforeDeadBlocks ? before : { ...before, deadBlocks } } };
};
const modelled = (km: KernelModel, c: (typeof cases)[number]) => simulate(c.bp, c.planner, withModel(km, c.r), 'attnc-wgsl', c.shape).sparseMs;
const errOf = (km: KernelModel) => cases.reduce((err, c) => err + Math.log(modelled(km, c) / timeOf(c.r)) ** 2, 0);
const modelOf = (itemsPerSm: number, aloneSpeed: number, itemUs: number, maskOpUs: number, share: number, keepUs: number): KernelModel | undefined => {
  const km: KernelModel = {
    ...old, itemsPerSm, itemUs, maskOpUs, fullTileUs: 0, headDimScale, f32Scale, ...(aloneSpeed > 1 ? { aloneSpeed } : { aloneSpeed: undefined }),
    deadBlocks: { ...(old.deadBlocks ?? { warp: 32, workgroupBytes: 49152, invocations: 1024 }), share, keepUs },
  };
  // The FULL tile from the reference dense path (f16, head dim 128): equal items of every key block.
  const rows = Math.ceil(S / km.blockQ) * runs[0].heads, tiles = Math.ceil(S / km.blockKv);
  const schedule = itemSchedule(base, km);
  const denseUs = (tileUs: number) => schedule(new Array<number>(rows).fill(itemUs + tiles * tileUs)) + km.launchUs;
  let lo = 0, hi = (ref * 1000) / tiles;
  if (denseUs(lo) >= ref * 1000) return undefined;
  for (let i = 0; i < 40; i++) {
    const mid = (lo + hi) / 2;
    if (denseUs(mid) < ref * 1000) lo = mid;
    else hi = mid;
  }
  return { ...km, fullTileUs: Number(lo.toFixed(2)) };
};
// Coordinate descent over a grid of each constant, from its middle: one constant at a time
// takes its best value with the others fixed, until a sweep changes nothing.
const grid: number[][] = [
  [2, 3, 4, 6, 8],         // itemsPerSm
  [1, 1.5, 2, 3, 4, 6, 8], // aloneSpeed (at most itemsPerSm)
  [0, 5, 10, 20],          // itemUs
  [0, 0.25, 0.5, 1],       // maskOpUs
  [0.4, 0.55, 0.7, 0.85, 1], // deadBlocks.share
  [0, 3, 6, 9, 12],        // deadBlocks.keepUs
];
const at = grid.map((g) => Math.floor(g.length / 2));
const tried = new Map<string, number>();
const errAt = (ix: number[]): number => {
  const key = ix.join(',');
  let e = tried.get(key);
  if (e === undefined) {
    const v = ix.map((i, k) => grid[k][i]);
    const km = v[1] <= v[0] ? modelOf(v[0], v[1], v[2], v[3], v[4], v[5]) : undefined;
    tried.set(key, (e = km ? errOf(km) : Infinity));
  }
  return e;
};
for (let changed = true; changed;) {
  changed = false;
  for (let k = 0; k < grid.length; k++) {
    for (let i = 0; i < grid[k].length; i++) {
      const ix = at.slice();
      ix[k] = i;
      if (errAt(ix) < errAt(at)) {
        at[k] = i;
        changed = true;
      }
    }
  }
}
const v = at.map((i, k) => grid[k][i]);
const best = { err: errAt(at), km: modelOf(v[0], v[1], v[2], v[3], v[4], v[5])! };
console.error(`${tried.size} models priced`);
const rms = Math.sqrt(best.err / cases.length);
const km: KernelModel = {
  ...best.km,
  note: `fitted by bench/simulate-wgsl-fit.ts to ${cases.length} pattern runs at ${S} tokens (${runs.map((r) => `${r.dtype} d${r.D}`).join(', ')}; ${[...new Set(runs.map((r) => r.date))].join(', ')}; Deno's WebGPU through Vulkan), rms log error ${rms.toFixed(3)}; rows with many more tiles than the rest (global tokens) run faster than modelled where they are not split`,
};
console.log(JSON.stringify(km));
if (writeTo) writeFileAtomic(writeTo, `${JSON.stringify(km, null, 2)}\n`);
console.log(`rms log error ${rms.toFixed(3)} over ${cases.length} pattern runs`);
for (const c of cases) {
  const sim = modelled(km, c);
  console.log(`${c.r.dtype} d${String(c.r.D).padEnd(4)} ${c.r.pattern.padEnd(24)} measured ${timeOf(c.r).toFixed(3).padStart(8)} modelled ${sim.toFixed(3).padStart(8)}  ${(sim / timeOf(c.r)).toFixed(2)}${c.r.beforeDeadBlocks ? '  (before dead blocks)' : ''}`);
}
