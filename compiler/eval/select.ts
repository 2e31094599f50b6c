/**
 * The reference of data-dependent selection (`select` clauses): Sel and the dense mask M of
 * one call by direct evaluation. Candidates are found point by point from A and R, pooled
 * values and scores are float64 sums in index order, and the mask is
 * M(b, h, q, k) = (A || Sel[b, h, q / BQ, k / BK]) && R in bounds. Deliberately simple: every
 * backend's selection is tested against it (`docs/language.md`, "Data-dependent selection").
 */
import { invariant } from '../diagnostics/diagnostic.ts';
import type { BoundPattern, ParamValue } from '../2-check/bind.ts';
import { evaluate, type EvalContext, type Point } from './evaluate.ts';

/** The sizes of one call. */
export interface SelectCallSizes {
  readonly batch: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly qLen: number;
  readonly kvLen: number;
  readonly headDim: number;
}

/** The data of one call: Q `[batch, heads, q_len, d]`, K `[batch, kv_heads, kv_len, d]`, a gate `[batch, heads, nQ, nK]`. */
export interface SelectCallData {
  readonly q?: ArrayLike<number>;
  readonly k?: ArrayLike<number>;
  readonly gate?: ArrayLike<number>;
}

/** The select clause's values for one call. */
export interface SelectValues {
  readonly k: number;
  readonly blockQ: number;
  readonly blockKv: number;
}

/** The reference selection of one call. */
export interface ReferenceSelection extends SelectValues {
  readonly nQ: number;
  readonly nK: number;
  /** Scores `[batch, heads, nQ, nK]`, summed over the kv head's query heads with `per kv_head`. */
  readonly scores: Float64Array;
  /** Exact candidates `[batch, heads, nQ, nK]` (1 = some in-bounds point of the cell has R && !A), per head. */
  readonly candidates: Uint8Array;
  /** Sel `[batch, heads, nQ, nK]`. */
  readonly sel: Uint8Array;
  /** M `[batch, heads, q_len, kv_len]`, 1 = allowed. */
  readonly mask: Uint8Array;
}

/** K, BQ and BK for the sizes and runtime values of a call (unchecked). */
export function selectValues(bp: BoundPattern, ctx: EvalContext): SelectValues {
  const sel = bp.select;
  invariant(sel, `pattern ${bp.pattern.name} has no select clause`);
  const at: Point = { b: 0, h: 0, q: 0, k: 0 };
  return { k: evaluate(sel.k, at, ctx) as number, blockQ: evaluate(sel.blockQ, at, ctx) as number, blockKv: evaluate(sel.blockKv, at, ctx) as number };
}

/**
 * Sel and M of one call of `bp` by direct evaluation. `params` are the runtime values,
 * `inputs` the int input arrays (flat, as `EvalContext` takes them).
 */
export function referenceSelection(bp: BoundPattern, sizes: SelectCallSizes, data: SelectCallData, params: Readonly<Record<string, ParamValue>> = {}, inputs: Readonly<Record<string, ArrayLike<number>>> = {}): ReferenceSelection {
  const sel = bp.select;
  invariant(sel, `pattern ${bp.pattern.name} has no select clause`);
  const { batch, heads, kvHeads, qLen, kvLen, headDim: d } = sizes;
  const ctx: EvalContext = { sizes: { qLen, kvLen, heads }, params, inputs };
  const v = selectValues(bp, ctx);
  invariant(v.blockQ > 0 && v.blockKv > 0 && v.k >= 0 && heads % kvHeads === 0, 'invalid select values or sizes');
  const BQ = v.blockQ, BK = v.blockKv;
  const nQ = Math.ceil(qLen / BQ), nK = Math.ceil(kvLen / BK);
  const group = heads / kvHeads;
  const cell = (b: number, h: number, i: number, j: number) => ((b * heads + h) * nQ + i) * nK + j;

  // A and R at every point, and the exact candidates.
  const A = new Uint8Array(batch * heads * qLen * kvLen), R = new Uint8Array(A.length);
  const candidates = new Uint8Array(batch * heads * nQ * nK);
  const p: Point = { b: 0, h: 0, q: 0, k: 0 };
  for (let b = 0; b < batch; b++) for (let h = 0; h < heads; h++) for (let q = 0; q < qLen; q++) for (let k = 0; k < kvLen; k++) {
    Object.assign(p, { b, h, q, k });
    const at = ((b * heads + h) * qLen + q) * kvLen + k;
    A[at] = evaluate(sel.allow, p, ctx) === true ? 1 : 0;
    R[at] = evaluate(sel.restriction, p, ctx) === true ? 1 : 0;
    if (R[at] && !A[at]) candidates[cell(b, h, Math.floor(q / BQ), Math.floor(k / BK))] = 1;
  }

  // Scores per head.
  const raw = new Float64Array(batch * heads * nQ * nK);
  for (let b = 0; b < batch; b++) for (let h = 0; h < heads; h++) for (let i = 0; i < nQ; i++) for (let j = 0; j < nK; j++) {
    raw[cell(b, h, i, j)] = sel.score.kind === 'input' ? Number(data.gate![cell(b, h, i, j)]) : pooledScore(sel.score, data, sizes, b, h, Math.floor(h / group), i, j, BQ, BK, d);
  }

  // Per kv head: summed scores, united candidates.
  const scores = new Float64Array(raw.length);
  const cands = new Uint8Array(candidates.length);
  const g = sel.perKvHead ? group : 1;
  for (let b = 0; b < batch; b++) for (let h = 0; h < heads; h++) for (let i = 0; i < nQ; i++) for (let j = 0; j < nK; j++) {
    const h0 = Math.floor(h / g) * g;
    let s = 0, c = 0;
    for (let x = h0; x < h0 + g; x++) {
      s = g === 1 ? raw[cell(b, x, i, j)] : s + raw[cell(b, x, i, j)];
      c |= candidates[cell(b, x, i, j)];
    }
    scores[cell(b, h, i, j)] = s;
    cands[cell(b, h, i, j)] = c;
  }

  // Sel: the K best candidates of each row.
  const selOut = new Uint8Array(raw.length);
  for (let b = 0; b < batch; b++) for (let h = 0; h < heads; h++) for (let i = 0; i < nQ; i++) {
    const js: number[] = [];
    for (let j = 0; j < nK; j++) if (cands[cell(b, h, i, j)]) js.push(j);
    const key = (j: number) => scores[cell(b, h, i, j)];
    js.sort((x, y) => {
      const a = key(x), c = key(y);
      if (Number.isNaN(a) || Number.isNaN(c)) return Number.isNaN(a) === Number.isNaN(c) ? x - y : Number.isNaN(a) ? 1 : -1;
      return a === c ? x - y : c > a ? 1 : -1;
    });
    for (const j of js.slice(0, v.k)) selOut[cell(b, h, i, j)] = 1;
  }

  const mask = new Uint8Array(A.length);
  for (let b = 0; b < batch; b++) for (let h = 0; h < heads; h++) for (let q = 0; q < qLen; q++) for (let k = 0; k < kvLen; k++) {
    const at = ((b * heads + h) * qLen + q) * kvLen + k;
    mask[at] = (A[at] || selOut[cell(b, h, Math.floor(q / BQ), Math.floor(k / BK))]) && R[at] ? 1 : 0;
  }
  return { ...v, nQ, nK, scores, candidates, sel: selOut, mask };
}

/** The pooled score of (b, h, i, j): `dot(mean(q), mean|max(k))` or `bound(mean(q), k)`. */
function pooledScore(score: { kind: 'dot'; kPool: 'mean' | 'max' } | { kind: 'bound' }, data: SelectCallData, s: SelectCallSizes, b: number, h: number, kvh: number, i: number, j: number, BQ: number, BK: number, d: number): number {
  const Q = data.q!, K = data.k!;
  const q0 = i * BQ, q1 = Math.min(q0 + BQ, s.qLen), k0 = j * BK, k1 = Math.min(k0 + BK, s.kvLen);
  let total = 0;
  for (let c = 0; c < d; c++) {
    let qs = 0;
    for (let q = q0; q < q1; q++) qs += Number(Q[((b * s.heads + h) * s.qLen + q) * d + c]);
    const qbar = qs / (q1 - q0);
    let ks = 0, kmax = -Infinity, kmin = Infinity;
    for (let k = k0; k < k1; k++) {
      const x = Number(K[((b * s.kvHeads + kvh) * s.kvLen + k) * d + c]);
      ks += x;
      kmax = Number.isNaN(x) || Number.isNaN(kmax) ? NaN : Math.max(kmax, x);
      kmin = Number.isNaN(x) || Number.isNaN(kmin) ? NaN : Math.min(kmin, x);
    }
    if (score.kind === 'bound') total += Math.max(qbar * kmin, qbar * kmax);
    else total += qbar * (score.kPool === 'mean' ? ks / (k1 - k0) : kmax);
  }
  return total;
}
