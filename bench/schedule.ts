/**
 * Schedule benchmark (issue: lowering). Run: `npx tsx bench/schedule.ts [--quick]`.
 *
 * 1. Sliding window 1024 (causal), block 128: planning time at S = 128k and 1M, and the
 *    schedule's memory against its listed tiles.
 * 2. Side by side with the dense method (FlexAttention's `create_block_mask`: evaluate the
 *    mask at all S^2 points, reduce per tile), both on this CPU, at S = 8k, 16k, 32k. The
 *    dense side calls the same compiled point mask the planner uses, so the ratio measures
 *    the algorithm, not the expression evaluator.
 * 3. Lowering + planning of every bundled pattern at S = 32k, and how many PARTIAL tiles
 *    are not truly mixed (against the dense classification at 8k), with and without the
 *    exact refinement step.
 *
 * Writes `bench/results/schedule.json` and `bench/results/schedule.md`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { bindParams } from '../compiler/2-check/bind.ts';
import { Diagnostics } from '../compiler/diagnostics/diagnostic.ts';
import { checkPatternFile, lowerToPlanner } from '../compiler/pipeline.ts';
import { InputTable } from '../runtime/schedule/ops.ts';
import { planSchedule } from '../runtime/schedule/plan.ts';
import type { PlannerModule } from '../runtime/schedule/planner.ts';
import type { PlanConfig, Schedule } from '../runtime/schedule/types.ts';
import { verifySchedule } from '../runtime/schedule/verify.ts';

const QUICK = process.argv.includes('--quick');
/** Only section 1 (planning at long lengths), writing `schedule-window.{json,md}`. */
const WINDOW_ONLY = process.argv.includes('--window-only');
const BLOCK = 128;
const HEADS = 16;

function lower(file: string, params: Record<string, string> = {}) {
  const diags = new Diagnostics();
  const t0 = performance.now();
  const pat = checkPatternFile({ name: file, text: fs.readFileSync(file, 'utf8') }, undefined, diags);
  const bound = bindParams(pat, params, diags);
  if (!bound) throw new Error(`${file}: ${diags.items.map((d) => d.message).join('; ')}`);
  const low = lowerToPlanner(bound);
  return { ...low, pattern: pat, lowerMs: performance.now() - t0 };
}

/** Synthetic runtime values: documents of pseudo-random lengths (mean 2k), prefix S/4. */
function runtimeFor(mod: PlannerModule, S: number): Pick<PlanConfig, 'params' | 'inputs'> {
  const params: Record<string, number> = {};
  for (const p of mod.meta.runtimeParams) params[p.name] = Math.floor(S / 4);
  const inputs: Record<string, Int32Array> = {};
  for (const inp of mod.meta.inputs) {
    // Planned at batch 1: an int[batch] array holds one value (S/4), an int[batch, len] array one row.
    if (inp.length === 'batch') { inputs[inp.name] = Int32Array.of(Math.floor(S / 4)); continue; }
    const a = new Int32Array(S);
    let id = 0, left = 0, seed = 12345;
    for (let i = 0; i < S; i++) {
      if (left === 0) { seed = (seed * 1103515245 + 12345) >>> 0; left = 256 + (seed % 3840); id++; }
      a[i] = id; left--;
    }
    inputs[inp.name] = a;
  }
  return { params, inputs };
}

/** Median of `reps` timed runs after one warm-up. */
function time<T>(reps: number, f: () => T): { ms: number; result: T } {
  let result = f();
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    result = f();
    ts.push(performance.now() - t);
  }
  ts.sort((a, b) => a - b);
  return { ms: ts[Math.floor(ts.length / 2)], result };
}

function scheduleBytes(s: Schedule): number {
  let n = s.groupOf.byteLength;
  for (const g of s.groups) {
    for (const v of Object.values(g)) if (ArrayBuffer.isView(v)) n += v.byteLength;
  }
  return n;
}

/**
 * The dense method: evaluate the mask on every point, then reduce each tile to
 * empty/partial/full, for one head. Returns the per-tile classes.
 */
function denseBlockMask(mod: PlannerModule, cfg: PlanConfig, h: number): Uint8Array {
  const sizes = { qLen: cfg.qLen, kvLen: cfg.kvLen, heads: cfg.heads };
  const params = { ...(cfg.params ?? {}) };
  const inputs: Record<string, { data: ArrayLike<number>; q?: InputTable; k?: InputTable }> = {};
  for (const [k, v] of Object.entries(cfg.inputs ?? {})) inputs[k] = { data: v, q: new InputTable(v, cfg.blockQ), k: new InputTable(v, cfg.blockKv) };
  const p = mod.bind(sizes, params, mod.slots(h, 0, sizes, params), inputs);
  const nq = Math.ceil(cfg.qLen / cfg.blockQ), nkv = Math.ceil(cfg.kvLen / cfg.blockKv);
  const count = new Int32Array(nq * nkv);
  for (let q = 0; q < cfg.qLen; q++) {
    const row = Math.floor(q / cfg.blockQ) * nkv;
    for (let k = 0; k < cfg.kvLen; k++) if (p.mask(q, k)) count[row + Math.floor(k / cfg.blockKv)]++;
  }
  const cls = new Uint8Array(nq * nkv);
  for (let i = 0; i < cls.length; i++) cls[i] = count[i] === 0 ? 0 : count[i] === cfg.blockQ * cfg.blockKv ? 2 : 1;
  return cls;
}

/** PARTIAL tiles of group of head h that the dense classification says are uniform. */
function notMixed(s: Schedule, dense: Uint8Array, h: number): number {
  const g = s.groups[s.groupOf[h]];
  let n = 0;
  for (let qb = 0; qb < s.numQBlocks; qb++) {
    for (let i = g.kvRowPtr[qb]; i < g.kvRowPtr[qb + 1]; i++) {
      const kb = g.kvIndices[i];
      const overhang = (qb + 1) * s.blockQ > s.qLen || (kb + 1) * s.blockKv > s.kvLen;
      if (!overhang && dense[qb * s.numKvBlocks + kb] !== 1) n++;
    }
  }
  return n;
}

const results: Record<string, unknown> = {
  date: new Date().toISOString().slice(0, 10),
  machine: `${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}, Node ${process.version}`,
  command: `npx tsx bench/schedule.ts${QUICK ? ' --quick' : ''}${process.argv.includes('--window-only') ? ' --window-only' : ''}`,
};
const md: string[] = [`# Schedule benchmark`, '', `${results.date}, ${results.machine}, \`${results.command}\`. Times are medians.`, ''];

// 1. Sliding window at long lengths.
{
  const low = lower('patterns/sliding-window.attn', { window: '1024' });
  const rows: unknown[] = [];
  md.push('## Sliding window 1024 (causal), block 128, 16 heads', '', '| S | plan ms | full / partial tiles | schedule bytes | bytes per listed tile |', '|---|---|---|---|---|');
  for (const S of [131072, 1048576]) {
    const cfg: PlanConfig = { qLen: S, kvLen: S, heads: HEADS, blockQ: BLOCK, blockKv: BLOCK };
    const { ms, result: s } = time(QUICK ? 3 : 9, () => planSchedule(low.planner, cfg));
    verifySchedule(s);
    const bytes = scheduleBytes(s);
    const listed = s.stats.fullTiles + s.stats.partialTiles;
    rows.push({ S, planMs: ms, full: s.stats.fullTiles, partial: s.stats.partialTiles, bytes, bytesPerTile: bytes / listed });
    md.push(`| ${S} | ${ms.toFixed(2)} | ${s.stats.fullTiles} / ${s.stats.partialTiles} | ${bytes} | ${(bytes / listed).toFixed(1)} |`);
  }
  results.slidingWindow = rows;
  md.push('');
}

if (WINDOW_ONLY) {
  fs.writeFileSync('bench/results/schedule-window.json', `${JSON.stringify(results, null, 2)}\n`);
  fs.writeFileSync('bench/results/schedule-window.md', `${md.join('\n')}\n`);
  process.stdout.write(`${md.join('\n')}\n`);
  process.exit(0);
}

// 2 and 3. Every bundled pattern.
const files = fs.readdirSync('patterns').filter((f) => f.endsWith('.attn')).sort().map((f) => `patterns/${f}`);
const denseSizes = QUICK ? [8192] : [8192, 16384, 32768];
const vsDense: unknown[] = [];
const perPattern: unknown[] = [];
md.push('## Symbolic planning vs dense S^2 evaluation (one head, CPU, same compiled mask)', '', '| pattern | S | attnc plan ms | dense ms | dense / attnc |', '|---|---|---|---|---|');
// The dense side costs S^2 point evaluations per pattern: run it for a representative subset.
const DENSE_SET = ['causal', 'sliding-window', 'sliding-window-bidir', 'streaming', 'dilated', 'chunked', 'strided', 'longformer', 'document', 'natten-2d'];
for (const file of files.filter((f) => DENSE_SET.some((d) => f === `patterns/${d}.attn`))) {
  const low = lower(file);
  for (const S of denseSizes) {
    const cfg: PlanConfig = { qLen: S, kvLen: S, heads: 1, blockQ: BLOCK, blockKv: BLOCK, ...runtimeFor(low.planner, S) };
    const planned = time(QUICK ? 3 : 5, () => planSchedule(low.planner, cfg));
    const dense = time(1, () => denseBlockMask(low.planner, cfg, 0));
    vsDense.push({ pattern: low.pattern.name, S, planMs: planned.ms, denseMs: dense.ms, ratio: dense.ms / planned.ms });
    md.push(`| ${low.pattern.name} | ${S} | ${planned.ms.toFixed(2)} | ${dense.ms.toFixed(0)} | ${(dense.ms / planned.ms).toFixed(0)}x |`);
  }
}
md.push('', '## Lowering + planning of every bundled pattern at S = 32k (16 heads, block 128)', '');
md.push('| pattern | lower ms | plan ms | groups | full | partial | refined | classifier calls | PARTIAL not mixed (8k, exact refinement) | PARTIAL not mixed (8k, intervals only) |', '|---|---|---|---|---|---|---|---|---|---|');
for (const file of files) {
  const low = lower(file);
  const S = 32768;
  const cfg: PlanConfig = { qLen: S, kvLen: S, heads: HEADS, blockQ: BLOCK, blockKv: BLOCK, ...runtimeFor(low.planner, S) };
  const { ms, result: s } = time(QUICK ? 1 : 5, () => planSchedule(low.planner, cfg));
  verifySchedule(s);
  // Mixedness against the dense classification at 8k, head 0, with and without refinement.
  const c8: PlanConfig = { ...cfg, qLen: 8192, kvLen: 8192, ...runtimeFor(low.planner, 8192) };
  const dense = denseBlockMask(low.planner, c8, 0);
  const exact = notMixed(planSchedule(low.planner, c8), dense, 0);
  const intervalsOnly = notMixed(planSchedule(low.planner, { ...c8, refineBudget: 0 }), dense, 0);
  perPattern.push({ pattern: low.pattern.name, lowerMs: low.lowerMs, planMs: ms, groups: s.groups.length, ...s.stats, notMixedExact8k: exact, notMixedIntervalsOnly8k: intervalsOnly });
  md.push(`| ${low.pattern.name} | ${low.lowerMs.toFixed(1)} | ${ms.toFixed(2)} | ${s.groups.length} | ${s.stats.fullTiles} | ${s.stats.partialTiles} | ${s.stats.refinedTiles} | ${s.stats.classifierCalls} | ${exact} | ${intervalsOnly} |`);
}
results.vsDense = vsDense;
results.perPattern = perPattern;
fs.mkdirSync('bench/results', { recursive: true });
fs.writeFileSync('bench/results/schedule.json', `${JSON.stringify(results, null, 2)}\n`);
fs.writeFileSync('bench/results/schedule.md', `${md.join('\n')}\n`);
process.stdout.write(`${md.join('\n')}\n`);
