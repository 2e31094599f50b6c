/**
 * Runs WGSL attention kernels through Deno's WebGPU (lavapipe in CI) and compares them with
 * a float64 reference whose mask, bias and soft-cap come from the reference evaluator.
 * Inputs are random (seeded, never all zeros); outputs are poisoned with NaN before each
 * run, so a row the kernel forgets to write shows up.
 */
import type { BoundPattern } from '../../compiler/2-check/bind.ts';
import { biasAt, maskAt, softcapAt, type EvalContext } from '../../compiler/eval/evaluate.ts';
import { emitWgsl } from '../../compiler/4-emit/wgsl/emit-wgsl.ts';
import { lowerToPlanner } from '../../compiler/pipeline.ts';
import { runInDeno, tensorDir } from '../../runtime/webgpu/deno.ts';
import { fromHalfArray, toHalfArray } from '../../runtime/webgpu/f16.ts';
import { referenceAttention, relativeError } from '../../runtime/webgpu/reference.ts';
import type { RunnerKernel, RunnerResult } from '../../runtime/webgpu/runner-protocol.ts';
import type { Dtype, KernelVariant, TiledOverride } from '../../runtime/webgpu/tiles.ts';
import type { TileRequest } from '../../runtime/schedule/types.ts';

/** One comparison to make. */
export interface KernelCase {
  readonly name: string;
  readonly bound: BoundPattern;
  readonly batch: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly qLen: number;
  readonly kvLen: number;
  readonly headDim: number;
  /** The softmax scale; 1 / sqrt(headDim) when absent. */
  readonly scale?: number;
  readonly dtype: Dtype;
  readonly params?: Record<string, number | boolean>;
  readonly inputs?: Record<string, Int32Array>;
  readonly tiles?: TiledOverride;
  readonly seed?: number;
  /** The kernel variant (`AttentionConfig.kernel`); the default kernel when absent. */
  readonly kernel?: KernelVariant;
  /** Tiles of a layout pattern (`RunOptions.boxes`): auto, strip or forced boxes. */
  readonly boxes?: TileRequest;
}

/** What a comparison found. */
export interface CaseOutcome {
  readonly name: string;
  readonly result: RunnerResult;
  /** Inf-norm relative error of o against the float64 reference. */
  readonly rel: number;
  readonly lseRel: number;
  /** NaN or infinite output elements (the poison survived, or the kernel made NaN). */
  readonly nonFinite: number;
  readonly maskedRows: number;
  /** Fully masked rows whose o is not exactly 0 or whose lse is not -inf (the CUDA kernels' and the reference's convention). */
  readonly badMaskedRows: number;
}

/**
 * The tiles a case runs with: f16 cases take f16 arithmetic unless they name one, as on a GPU
 * (a fallback adapter such as lavapipe would otherwise run f32 arithmetic by default).
 */
export function tilesOf(c: { readonly dtype: Dtype; readonly tiles?: TiledOverride }): TiledOverride | undefined {
  return c.dtype === 'f16' && c.tiles?.math === undefined && c.tiles?.stage === undefined ? { ...c.tiles, math: 'f16' } : c.tiles;
}

/** A seeded uniform generator in [-1, 1) that never returns exactly 0. */
export function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const x = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return x === 0.5 ? 0.25 : 2 * x - 1;
  };
}

/**
 * Runs all cases in one Deno process, on a device with WebGPU's default limits unless
 * `defaultLimits` is false (then the adapter's workgroup limits, as `attnc run` asks).
 */
export function runKernelCases(cases: readonly KernelCase[], defaultLimits = true): CaseOutcome[] {
  const files = tensorDir();
  try {
    const kernels = new Map<BoundPattern, RunnerKernel & { runs: RunnerKernel['runs'][number][] }>();
    const refs = cases.map((c, i) => {
      const rnd = random(c.seed ?? 1234 + i);
      const gen = (n: number) => {
        const a = Float32Array.from({ length: n }, rnd);
        return c.dtype === 'f16' ? fromHalfArray(toHalfArray(a)) : a;
      };
      const q = gen(c.batch * c.heads * c.qLen * c.headDim);
      const k = gen(c.batch * c.kvHeads * c.kvLen * c.headDim);
      const v = gen(c.batch * c.kvHeads * c.kvLen * c.headDim);
      const enc = (a: Float32Array) => (c.dtype === 'f16' ? toHalfArray(a) : a);
      let kernel = kernels.get(c.bound);
      if (!kernel) {
        const { spec, body } = emitWgsl(c.bound);
        // As generated bindings: both bodies, the tiled kernel the default.
        kernel = { spec, body, tiledBody: emitWgsl(c.bound, 'tiled').body, plannerSource: lowerToPlanner(c.bound).plannerSource, runs: [] };
        kernels.set(c.bound, kernel);
      }
      kernel.runs.push({
        id: String(i),
        config: { headDim: c.headDim, dtype: c.dtype, ...(tilesOf(c) ? { tiles: tilesOf(c) } : {}), ...(c.kernel ? { kernel: c.kernel } : {}) },
        options: { batch: c.batch, heads: c.heads, kvHeads: c.kvHeads, qLen: c.qLen, kvLen: c.kvLen, scale: c.scale, params: c.params, ...(c.boxes ? { boxes: c.boxes } : {}) },
        inputs: c.inputs ? Object.fromEntries(Object.entries(c.inputs).map(([n, a]) => [n, Array.from(a)])) : undefined,
        q: files.file(`q${i}`, enc(q)), k: files.file(`k${i}`, enc(k)), v: files.file(`v${i}`, enc(v)),
        out: files.file(`o${i}`), lseOut: files.file(`l${i}`),
      });
      return { q, k, v };
    });
    const results = runInDeno({ kernels: [...kernels.values()], defaultLimits });
    return cases.map((c, i) => {
      const result = results.find((r) => r.id === String(i))!;
      const none = { name: c.name, result, rel: NaN, lseRel: NaN, nonFinite: 0, maskedRows: 0, badMaskedRows: 0 };
      if (!result.ok) return none;
      const raw = files.read(`o${i}`);
      const o = c.dtype === 'f16' ? fromHalfArray(new Uint16Array(raw.buffer, raw.byteOffset, raw.byteLength / 2)) : new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
      const lr = files.read(`l${i}`);
      const lse = new Float32Array(lr.buffer, lr.byteOffset, lr.byteLength / 4);
      return { ...compare(c, refs[i], o, lse), name: c.name, result };
    });
  } finally {
    files.dispose();
  }
}

function compare(c: KernelCase, t: { q: Float32Array; k: Float32Array; v: Float32Array }, o: Float32Array, lse: Float32Array) {
  const ctx: EvalContext = { sizes: { qLen: c.qLen, kvLen: c.kvLen, heads: c.heads }, params: c.params ?? {}, inputs: c.inputs ?? {} };
  const bp = c.bound;
  const pt = { b: 0, h: 0, q: 0, k: 0 };
  const at = (b: number, h: number, q: number, k: number) => ((pt.b = b), (pt.h = h), (pt.q = q), (pt.k = k), pt);
  const ref = referenceAttention(t.q, t.k, t.v, c, {
    mask: (b, h, q, k) => maskAt(bp, at(b, h, q, k), ctx),
    ...(bp.bias ? { bias: (b: number, h: number, q: number, k: number) => biasAt(bp, at(b, h, q, k), ctx) } : {}),
    ...(bp.softcap ? { softcap: (b: number, h: number, q: number, k: number) => softcapAt(bp, at(b, h, q, k), ctx)! } : {}),
  });
  return compareRows(o, lse, ref, c.headDim);
}

/**
 * A kernel's output o and lse against the reference's: the relative error, the rows with no
 * allowed key (which must be 0 with lse -inf) and the worst lse error of the others.
 */
export function compareRows(o: Float32Array, lse: Float32Array, ref: { readonly o: Float64Array | Float32Array; readonly lse: Float64Array | Float32Array }, headDim: number) {
  let maskedRows = 0, badMaskedRows = 0, lseRel = 0;
  for (let row = 0; row < ref.lse.length; row++) {
    if (ref.lse[row] === -Infinity) {
      maskedRows++;
      const zero = o.subarray(row * headDim, (row + 1) * headDim).every((x) => x === 0);
      if (!zero || lse[row] !== -Infinity) badMaskedRows++;
    } else {
      // Row by row, relative to the row's own lse (at least 1): a row whose scores are near
      // -1e31 must not hide the error of the others.
      const e = Math.abs(lse[row] - ref.lse[row]) / Math.max(1, Math.abs(ref.lse[row]));
      lseRel = Number.isFinite(e) ? Math.max(lseRel, e) : Infinity;
    }
  }
  const e = relativeError(o, ref.o);
  return { rel: e.rel, lseRel, nonFinite: e.nonFinite, maskedRows, badMaskedRows };
}

let probed: string | undefined | null = null;
/**
 * Why WGSL cannot run here (no Deno, no Vulkan adapter), or undefined when it can. CI
 * installs lavapipe (`.ci/run`), so there a missing adapter is a failure, not a skip.
 */
export function webgpuUnavailable(): string | undefined {
  if (probed === null) {
    try {
      runInDeno({ kernels: [] });
      probed = undefined;
    } catch (e) {
      if (process.env.CI) throw e;
      probed = (e as Error).message;
      process.stderr.write(`\n*** WGSL kernel tests SKIPPED: ${probed} ***\n\n`);
    }
  }
  return probed;
}

/** Asserts the outcome of a case against the tolerances of its dtype. */
export function expectClose(o: CaseOutcome, dtype: 'f32' | 'f16'): string[] {
  const tol = dtype === 'f32' ? 1e-5 : 5e-3;
  if (!o.result.ok) return [`${o.name}: ${o.result.code}: ${o.result.message}`];
  const errs: string[] = [];
  if (o.nonFinite) errs.push(`${o.name}: ${o.nonFinite} NaN/inf outputs`);
  if (!(o.rel < tol)) errs.push(`${o.name}: relative error ${o.rel} >= ${tol}`);
  if (!(o.lseRel < tol)) errs.push(`${o.name}: lse relative error ${o.lseRel} >= ${tol}`);
  if (o.badMaskedRows) errs.push(`${o.name}: ${o.badMaskedRows} of ${o.maskedRows} fully masked rows are not o = 0, lse = -inf`);
  return errs;
}
