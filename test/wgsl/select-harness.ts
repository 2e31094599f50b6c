/**
 * Runs WGSL kernels of patterns with a `select` clause through Deno's WebGPU and compares them
 * with the float64 oracle: `referenceSelection` (pooling, scores, top-k, the mask
 * M = (A || Sel) && R) and dense reference attention under M. Each run also reads back the
 * GPU's selected cells and merged tile states, compared with the oracle's Sel and with
 * `mergeSelection` of that Sel over the static plans of S and R at the kernel's tiles.
 * Outputs are poisoned with NaN before each run (deno-runner.ts).
 */
import type { BoundPattern } from '../../compiler/2-check/bind.ts';
import { withRuntimeDefaults } from '../../compiler/2-check/bind.ts';
import { biasAt, softcapAt, type EvalContext } from '../../compiler/eval/evaluate.ts';
import { referenceSelection, selectValues, type ReferenceSelection } from '../../compiler/eval/select.ts';
import { emitWgsl } from '../../compiler/4-emit/wgsl/emit-wgsl.ts';
import { printSelection } from '../../compiler/4-emit/planner/print-selection.ts';
import { lowerDynamicToPlanners } from '../../compiler/plan-dynamic.ts';
import { lowerToPlanner } from '../../compiler/pipeline.ts';
import { planSchedule } from '../../runtime/schedule/plan.ts';
import { mergeSelection, tileStates } from '../../runtime/schedule/select-merge.ts';
import { runInDeno, tensorDir } from '../../runtime/webgpu/deno.ts';
import { fromHalfArray, toHalfArray } from '../../runtime/webgpu/f16.ts';
import { referenceAttention } from '../../runtime/webgpu/reference.ts';
import type { RunnerJob, RunnerKernel, RunnerResult } from '../../runtime/webgpu/runner-protocol.ts';
import type { Dtype, KernelVariant, TileConfig } from '../../runtime/webgpu/tiles.ts';
import { compareRows, random, tilesOf } from './harness.ts';

/** One dynamic comparison. */
export interface SelectCase {
  readonly name: string;
  readonly bound: BoundPattern;
  readonly batch: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly qLen: number;
  readonly kvLen: number;
  readonly headDim: number;
  readonly dtype: Dtype;
  readonly params?: Record<string, number | boolean>;
  readonly inputs?: Record<string, Int32Array>;
  readonly tiles?: Partial<Pick<TileConfig, 'blockQ' | 'blockKv' | 'kvChunk' | 'lanes' | 'rows'>>;
  /** The kernel variant (`AttentionConfig.kernel`); the default kernel when absent. */
  readonly kernel?: KernelVariant;
  /** `random`: uniform in [-1, 1); `ints`: small integers, constant over each selection block (exact means and scores, so ties are exact). */
  readonly data?: 'random' | 'ints';
  /** A score input: its values per cell (b, h, i, j), given nQ and nK; NaN allowed. */
  readonly gate?: (b: number, h: number, i: number, j: number, nQ: number, nK: number) => number;
  readonly seed?: number;
}

/** What one comparison found. */
export interface SelectOutcome {
  readonly name: string;
  readonly result: RunnerResult;
  readonly ref?: ReferenceSelection;
  readonly rel: number;
  readonly lseRel: number;
  readonly nonFinite: number;
  readonly maskedRows: number;
  readonly badMaskedRows: number;
  /** Cells where the GPU's selection differs from the oracle's. */
  readonly cellDiffs: number;
  readonly selected: number;
  readonly candidates: number;
  /** Tiles whose merged state differs from mergeSelection's. */
  readonly tileDiffs: number;
  readonly selectedTiles: number;
}

/** Runs the cases in one Deno process. */
export function runSelectCases(cases: readonly SelectCase[]): SelectOutcome[] {
  const files = tensorDir();
  try {
    const { job, finish } = prepareSelectCases(cases, files);
    return finish(runInDeno(job));
  } finally {
    files.dispose();
  }
}

/** Where a prepared run keeps its tensors (`tensorDir()`, or a folder that travels to another machine). */
export interface CaseFiles {
  file(name: string, data?: ArrayBufferView): string;
  read(name: string): Uint8Array;
}

/**
 * The Deno job of the cases (tensors written through `files`) and `finish`, which compares
 * the runner's results and the files it wrote with the oracle. `runSelectCases` runs the job
 * here; it can as well run on another machine (a real GPU) with the files carried there and back.
 */
export function prepareSelectCases(cases: readonly SelectCase[], files: CaseFiles): { job: RunnerJob; finish(results: readonly RunnerResult[]): SelectOutcome[] } {
  const kernels = new Map<BoundPattern, RunnerKernel & { runs: RunnerKernel['runs'][number][] }>();
  const data = cases.map((c, i) => {
    const rnd = random(c.seed ?? 4321 + i);
    const params = withRuntimeDefaults(c.bound, c.params ?? {});
    const sizes = { batch: c.batch, heads: c.heads, kvHeads: c.kvHeads, qLen: c.qLen, kvLen: c.kvLen, headDim: c.headDim };
    // The clause's block sizes for this call (for integer data and the gate's shape).
    const probe = selectValues(c.bound, { sizes: { qLen: c.qLen, kvLen: c.kvLen, heads: c.heads }, params, inputs: c.inputs ?? {} });
    const bq = probe.blockQ, bk = probe.blockKv;
    const nQ = Math.ceil(c.qLen / bq), nK = Math.ceil(c.kvLen / bk);
    const gen = (rows: number, len: number, block: number, salt: number) => {
      const a = new Float32Array(rows * len * c.headDim);
      for (let r = 0; r < rows; r++) {
        for (let t = 0; t < len; t++) {
          for (let d = 0; d < c.headDim; d++) {
            a[(r * len + t) * c.headDim + d] = c.data === 'ints' ? ((Math.floor(t / block) * 7 + d * 3 + r * 5 + salt) % 5) - 2 : rnd();
          }
        }
      }
      return c.dtype === 'f16' ? fromHalfArray(toHalfArray(a)) : a;
    };
    const q = gen(c.batch * c.heads, c.qLen, bq, 1), k = gen(c.batch * c.kvHeads, c.kvLen, bk, 2);
    const v = Float32Array.from({ length: c.batch * c.kvHeads * c.kvLen * c.headDim }, rnd);
    const vv = c.dtype === 'f16' ? fromHalfArray(toHalfArray(v)) : v;
    const gate = c.gate ? Float32Array.from({ length: c.batch * c.heads * nQ * nK }, (_, x) => c.gate!(Math.floor(x / (c.heads * nQ * nK)), Math.floor(x / (nQ * nK)) % c.heads, Math.floor(x / nK) % nQ, x % nK, nQ, nK)) : undefined;
    const enc = (a: Float32Array) => (c.dtype === 'f16' ? toHalfArray(a) : a);
    let kernel = kernels.get(c.bound);
    if (!kernel) {
      const { spec, body } = emitWgsl(c.bound);
      // As generated bindings: both bodies, the tiled kernel the default.
      kernel = { spec, body, tiledBody: emitWgsl(c.bound, 'tiled').body, plannerSource: lowerToPlanner(c.bound).plannerSource, selectSource: printSelection(c.bound), runs: [] };
      kernels.set(c.bound, kernel);
    }
    kernel.runs.push({
      id: String(i),
      config: { headDim: c.headDim, dtype: c.dtype, ...(tilesOf(c) ? { tiles: tilesOf(c) } : {}), ...(c.kernel ? { kernel: c.kernel } : {}) },
      options: { batch: c.batch, heads: c.heads, kvHeads: c.kvHeads, qLen: c.qLen, kvLen: c.kvLen, params: c.params },
      inputs: c.inputs ? Object.fromEntries(Object.entries(c.inputs).map(([n, a]) => [n, Array.from(a)])) : undefined,
      q: files.file(`q${i}`, enc(q)), k: files.file(`k${i}`, enc(k)), v: files.file(`v${i}`, enc(vv)),
      ...(gate ? { scores: files.file(`g${i}`, gate) } : {}),
      out: files.file(`o${i}`), lseOut: files.file(`l${i}`), cellsOut: files.file(`c${i}`), tilesOut: files.file(`t${i}`),
    });
    return { q, k, v: vv, gate, params, sizes };
  });
  const job: RunnerJob = { kernels: [...kernels.values()], defaultLimits: true };
  const finish = (results: readonly RunnerResult[]) => cases.map((c, i) => {
    const result = results.find((r) => r.id === String(i))!;
    const none = { name: c.name, result, rel: NaN, lseRel: NaN, nonFinite: 0, maskedRows: 0, badMaskedRows: 0, cellDiffs: NaN, selected: 0, candidates: 0, tileDiffs: NaN, selectedTiles: 0 };
    if (!result.ok) return none;
    const raw = files.read(`o${i}`);
    const o = c.dtype === 'f16' ? fromHalfArray(new Uint16Array(raw.buffer, raw.byteOffset, raw.byteLength / 2)) : new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
    const lr = files.read(`l${i}`);
    const lse = new Float32Array(lr.buffer, lr.byteOffset, lr.byteLength / 4);
    return { ...compare(c, data[i], o, lse, files.read(`c${i}`), files.read(`t${i}`), result.tiles), name: c.name, result };
  });
  return { job, finish };
}

function compare(c: SelectCase, t: { q: Float32Array; k: Float32Array; v: Float32Array; gate?: Float32Array; params: Record<string, number | boolean>; sizes: { batch: number; heads: number; kvHeads: number; qLen: number; kvLen: number; headDim: number } }, o: Float32Array, lse: Float32Array, cells: Uint8Array, tiles: Uint8Array, kt: TileConfig) {
  const bp = c.bound;
  const inputs = c.inputs ?? {};
  const ref = referenceSelection(bp, t.sizes, { q: t.q, k: t.k, gate: t.gate }, t.params, inputs);
  const ctx: EvalContext = { sizes: { qLen: c.qLen, kvLen: c.kvLen, heads: c.heads }, params: t.params, inputs };
  const pt = { b: 0, h: 0, q: 0, k: 0 };
  const at = (b: number, h: number, q: number, k: number) => ((pt.b = b), (pt.h = h), (pt.q = q), (pt.k = k), pt);
  const att = referenceAttention(t.q, t.k, t.v, c, {
    mask: (b, h, q, k) => ref.mask[((b * c.heads + h) * c.qLen + q) * c.kvLen + k] === 1,
    ...(bp.bias ? { bias: (b: number, h: number, q: number, k: number) => biasAt(bp, at(b, h, q, k), ctx) } : {}),
    ...(bp.softcap ? { softcap: (b: number, h: number, q: number, k: number) => softcapAt(bp, at(b, h, q, k), ctx)! } : {}),
  });
  const rows = compareRows(o, lse, att, c.headDim);
  let cellDiffs = 0, selected = 0, candidates = 0;
  for (let x = 0; x < ref.sel.length; x++) {
    if (cells[x] !== ref.sel[x]) cellDiffs++;
    selected += ref.sel[x];
    candidates += ref.candidates[x];
  }
  if (cells.length !== ref.sel.length) cellDiffs = Infinity;
  // The merged schedule of the oracle's selection at the kernel's tiles.
  const planners = lowerDynamicToPlanners(bp);
  const cfg = { qLen: c.qLen, kvLen: c.kvLen, heads: c.heads, batch: c.batch, blockQ: kt.blockQ, blockKv: kt.blockKv, params: t.params, inputs };
  const stat = planSchedule(planners.static.planner, cfg), restr = planSchedule(planners.restriction.planner, cfg);
  const shape = { batch: c.batch, heads: c.heads, kvHeads: c.kvHeads, qLen: c.qLen, kvLen: c.kvLen, blockQ: ref.blockQ, blockKv: ref.blockKv };
  const merged = mergeSelection(ref.sel, shape, stat, restr);
  const per = merged.numQBlocks * merged.numKvBlocks;
  let tileDiffs = tiles.length === c.batch * c.heads * per ? 0 : Infinity, selectedTiles = 0;
  for (let bh = 0; bh < c.batch * c.heads && Number.isFinite(tileDiffs); bh++) {
    const g = merged.groups[merged.groupOf[bh]];
    const want = tileStates(merged, g);
    for (let x = 0; x < per; x++) {
      if (tiles[bh * per + x] !== want[x]) tileDiffs++;
      if (g.selected?.[x]) selectedTiles++;
    }
  }
  return { ref, ...rows, cellDiffs, selected, candidates, tileDiffs, selectedTiles };
}

/** The failures of an outcome (empty when it matches). */
export function selectFailures(o: SelectOutcome, dtype: Dtype): string[] {
  const tol = dtype === 'f32' ? 1e-5 : 5e-3;
  if (!o.result.ok) return [`${o.name}: ${o.result.code}: ${o.result.message}`];
  const errs: string[] = [];
  if (o.cellDiffs) errs.push(`${o.name}: ${o.cellDiffs} selected cells differ from the oracle's`);
  if (o.tileDiffs) errs.push(`${o.name}: ${o.tileDiffs} merged tiles differ from mergeSelection's`);
  if (o.nonFinite) errs.push(`${o.name}: ${o.nonFinite} NaN/inf outputs`);
  if (!(o.rel < tol)) errs.push(`${o.name}: relative error ${o.rel} >= ${tol}`);
  if (!(o.lseRel < tol)) errs.push(`${o.name}: lse relative error ${o.lseRel} >= ${tol}`);
  if (o.badMaskedRows) errs.push(`${o.name}: ${o.badMaskedRows} of ${o.maskedRows} fully masked rows are not o = 0, lse = -inf`);
  return errs;
}
