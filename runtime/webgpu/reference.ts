/**
 * Reference attention in float64, one point at a time: the golden that kernels are compared
 * against. The mask, bias and soft-cap come in as callbacks (tests and `attnc run --check`
 * pass the reference evaluator's `maskAt`/`biasAt`/`softcapAt`), so this file has no idea of
 * patterns. Layouts as in `interface.ts`. Fully masked rows give o = 0 and lse = -Infinity.
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

/** Computes o `[B, H, qLen, D]` and lse `[B, H, qLen]` in float64. */
export function referenceAttention(q: ArrayLike<number>, k: ArrayLike<number>, v: ArrayLike<number>, s: ReferenceShape, pat: PointPattern): { o: Float64Array; lse: Float64Array } {
  const { batch, heads, kvHeads, qLen, kvLen, headDim: D } = s;
  const scale = s.scale ?? 1 / Math.sqrt(D);
  const o = new Float64Array(batch * heads * qLen * D);
  const lse = new Float64Array(batch * heads * qLen);
  const scores = new Float64Array(kvLen);
  const allowed = new Uint8Array(kvLen);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const kvh = Math.floor(h / (heads / kvHeads));
      const kvBase = (b * kvHeads + kvh) * kvLen * D;
      for (let qi = 0; qi < qLen; qi++) {
        const qBase = ((b * heads + h) * qLen + qi) * D;
        let m = -Infinity;
        for (let ki = 0; ki < kvLen; ki++) {
          allowed[ki] = pat.mask(b, h, qi, ki) ? 1 : 0;
          if (!allowed[ki]) continue;
          let dot = 0;
          for (let d = 0; d < D; d++) dot += q[qBase + d] * k[kvBase + ki * D + d];
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
  return { o, lse };
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
