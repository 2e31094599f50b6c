/**
 * Reference attention in float64, one point at a time: the golden that kernels are compared
 * against. The mask, bias and soft-cap come in as callbacks (tests and `attnc run --check`
 * pass the reference evaluator's `maskAt`/`biasAt`/`softcapAt`), so this file has no idea of
 * patterns. Layouts as in `interface.ts`. Fully masked rows give o = 0 and lse = -Infinity
 * (the convention of every backend: WGSL, CUDA, the bindings).
 */

/** The pattern at one point. */
export interface PointPattern {
  mask(b: number, h: number, q: number, k: number): boolean;
  bias?(b: number, h: number, q: number, k: number): number;
  softcap?(b: number, h: number, q: number, k: number): number;
}

/** Shape of a reference run. */
export interface ReferenceShape {
  readonly batch: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly qLen: number;
  readonly kvLen: number;
  readonly headDim: number;
  readonly scale?: number;
}

/** What the reference computes. */
export interface Reference {
  /** `[B, H, qLen, D]` */
  readonly o: Float64Array;
  /** `[B, H, qLen]`; -Infinity for a fully masked row. */
  readonly lse: Float64Array;
  /**
   * `[B, H, qLen]`: the magnitude that rounds a row's scores in float32, the largest
   * `scale * sum_d |q_d * k_d|` over its allowed keys plus `|max score|` (0 for a fully
   * masked row). A float32 kernel's scores are off by about float32's epsilon times this,
   * and its weights by that much relatively, so its error grows with it (`checkOutput`).
   */
  readonly magnitude: Float64Array;
}

/** Computes o `[B, H, qLen, D]` and lse `[B, H, qLen]` in float64. */
export function referenceAttention(q: ArrayLike<number>, k: ArrayLike<number>, v: ArrayLike<number>, s: ReferenceShape, pat: PointPattern): Reference {
  const { batch, heads, kvHeads, qLen, kvLen, headDim: D } = s;
  const scale = s.scale ?? 1 / Math.sqrt(D);
  const o = new Float64Array(batch * heads * qLen * D);
  const lse = new Float64Array(batch * heads * qLen);
  const magnitude = new Float64Array(batch * heads * qLen);
  const scores = new Float64Array(kvLen);
  const allowed = new Uint8Array(kvLen);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const kvh = Math.floor(h / (heads / kvHeads));
      const kvBase = (b * kvHeads + kvh) * kvLen * D;
      for (let qi = 0; qi < qLen; qi++) {
        const qBase = ((b * heads + h) * qLen + qi) * D;
        let m = -Infinity, absDot = 0;
        for (let ki = 0; ki < kvLen; ki++) {
          allowed[ki] = pat.mask(b, h, qi, ki) ? 1 : 0;
          if (!allowed[ki]) continue;
          let dot = 0, abs = 0;
          for (let d = 0; d < D; d++) {
            const x = q[qBase + d] * k[kvBase + ki * D + d];
            dot += x;
            abs += Math.abs(x);
          }
          absDot = Math.max(absDot, abs * Math.abs(scale));
          let sc = dot * scale;
          if (pat.softcap) {
            const c = pat.softcap(b, h, qi, ki);
            sc = c * Math.tanh(sc / c);
          }
          if (pat.bias) sc += pat.bias(b, h, qi, ki);
          scores[ki] = sc;
          if (sc > m) m = sc;
        }
        const row = (b * heads + h) * qLen + qi;
        if (m === -Infinity) { lse[row] = -Infinity; continue; }
        magnitude[row] = absDot + Math.abs(m);
        let l = 0;
        for (let ki = 0; ki < kvLen; ki++) {
          if (!allowed[ki]) continue;
          const p = Math.exp(scores[ki] - m);
          l += p;
          for (let d = 0; d < D; d++) o[qBase + d] += p * v[kvBase + ki * D + d];
        }
        for (let d = 0; d < D; d++) o[qBase + d] /= l;
        lse[row] = m + Math.log(l);
      }
    }
  }
  return { o, lse, magnitude };
}

/** Error of `got` against `want`: max |got - want| / max |want| (the inf-norm relative error). */
export function relativeError(got: ArrayLike<number>, want: ArrayLike<number>): { rel: number; maxAbs: number; nonFinite: number } {
  let maxAbs = 0, scale = 0, nonFinite = 0;
  for (let i = 0; i < want.length; i++) {
    if (!Number.isFinite(got[i])) { nonFinite++; continue; }
    maxAbs = Math.max(maxAbs, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return { rel: nonFinite ? Infinity : maxAbs / (scale || 1), maxAbs, nonFinite };
}

/** What `checkOutput` found, at the row that came closest to (or went furthest past) its tolerance. */
export interface CheckResult {
  readonly ok: boolean;
  /** max |got - want| over all elements. */
  readonly maxAbs: number;
  /** That row's max |got - want| / max |want| (max |want| over the whole output). */
  readonly rel: number;
  /** That row's tolerance, in the same unit as `rel`. */
  readonly tolerance: number;
  /** That row's score magnitude (`Reference.magnitude`). */
  readonly magnitude: number;
  /** NaN or infinite outputs (any fails the check). */
  readonly nonFinite: number;
  /**
   * Rows whose scores are so large (magnitude 4e6 and more) that float32 cannot tell them
   * apart to within 1: their weights, and so their output, may be anything, and their
   * tolerance admits it. Say so: the check says nothing about them.
   */
  readonly unresolved: number;
}

/** float32's machine epsilon, 2^-23: the kernels compute scores, weights and sums in float32. */
const EPS_F32 = 2 ** -23;

/** The part of the tolerance that does not depend on the scores, relative to max |want|. */
const CHECK_TOLERANCE = { f32: 1e-5, f16: 5e-3 } as const;

/**
 * The part that does: an error of `PER_MAGNITUDE * EPS_F32 * magnitude * max |v|` in a row.
 * A score's float32 error is about epsilon times the row's magnitude (the dot product's and
 * the bias's rounding; WGSL's exp is exact to 3 + 2|x| ulp); a weight is off relatively by its
 * score's error, and o, a weighted mean of v, by that times the spread of v, at most 2 max |v|.
 * Measured on WebGPU (lavapipe), head dims 32 to 128, inputs 1 to 100 times the unit scale,
 * causal and dense: the error stays below a quarter of epsilon * magnitude * max |v|.
 */
const PER_MAGNITUDE = 2;

/**
 * Compares a kernel's output `[B, H, qLen, D]` with the float64 reference, row by row: a row
 * passes when max |got - want| stays below `CHECK_TOLERANCE[dtype] * max |want|` plus
 * `PER_MAGNITUDE * EPS_F32 * magnitude * max |v|`. The tolerance so grows with the scores
 * (inputs ten times larger give scores a hundred times larger, with a hundred times their
 * rounding), while an element that is really wrong still fails. `vMax` is max |v|. A fully
 * masked row must be exactly 0 (its magnitude is 0, and so is its want).
 */
export function checkOutput(got: ArrayLike<number>, ref: Reference, vMax: number, headDim: number, dtype: 'f32' | 'f16'): CheckResult {
  const scale = maxAbsOf(ref.o) || 1;
  let maxAbs = 0, nonFinite = 0, unresolved = 0;
  let worst = { ratio: -1, rel: 0, tolerance: 0, magnitude: 0 };
  for (let row = 0; row < ref.magnitude.length; row++) {
    let err = 0;
    for (let i = row * headDim; i < (row + 1) * headDim; i++) {
      if (!Number.isFinite(got[i])) { nonFinite++; err = Infinity; continue; }
      err = Math.max(err, Math.abs(got[i] - ref.o[i]));
    }
    if (Number.isFinite(err)) maxAbs = Math.max(maxAbs, err);
    const rel = err / scale;
    if (PER_MAGNITUDE * EPS_F32 * ref.magnitude[row] >= 1) unresolved++;
    const tolerance = CHECK_TOLERANCE[dtype] + (PER_MAGNITUDE * EPS_F32 * ref.magnitude[row] * vMax) / scale;
    const ratio = rel / tolerance;
    if (ratio > worst.ratio) worst = { ratio, rel, tolerance, magnitude: ref.magnitude[row] };
  }
  return { ok: nonFinite === 0 && worst.ratio < 1, maxAbs, rel: worst.rel, tolerance: worst.tolerance, magnitude: worst.magnitude, nonFinite, unresolved };
}

/** max |x|. */
export function maxAbsOf(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]));
  return m;
}
