/**
 * Data-dependent block selection, as a device does it per call: pool the queries and keys of
 * each selection block, score every (query block, key block) pair, and keep the K candidates
 * of highest score (`docs/language.md`, "Data-dependent selection"). Float64 throughout; the
 * reference (`compiler/eval/select.ts`) computes the same sums in the same order.
 *
 * Layouts (row-major): Q `[batch, heads, q_len, d]`, K `[batch, kv_heads, kv_len, d]`, a gate
 * and the scores `[batch, heads, nQ, nK]`, candidates and selections `[batch, heads, nQ, nK]`
 * bytes (1 = yes), with nQ = ceil(q_len / BQ), nK = ceil(kv_len / BK).
 */
import { PlanError } from './types.ts';

/** How a pair of blocks is scored (the checker's `SelectScore`). */
export type PoolScore =
  | { readonly kind: 'dot'; readonly kPool: 'mean' | 'max' }
  | { readonly kind: 'bound' }
  | { readonly kind: 'input'; readonly name: string };

/** The sizes of one call and its selection blocks (BQ = `blockQ`, BK = `blockKv`). */
export interface SelectionShape {
  readonly batch: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly qLen: number;
  readonly kvLen: number;
  readonly blockQ: number;
  readonly blockKv: number;
}

/** Selection blocks along q and kv. */
export function selectionBlocks(s: SelectionShape): { nQ: number; nK: number } {
  return { nQ: Math.ceil(s.qLen / s.blockQ), nK: Math.ceil(s.kvLen / s.blockKv) };
}

/** Most selection cells (batch x heads x nQ x nK) one call may score. */
export const MAX_SELECTION_CELLS = 1 << 26;

/** Throws `PlanError` for a count or block size the values made invalid, or sizes that do not fit. */
export function validateSelection(s: SelectionShape, k: number): void {
  for (const [what, v] of [['query block size', s.blockQ], ['key block size', s.blockKv]] as const) {
    if (!Number.isSafeInteger(v) || v < 1) throw new PlanError('bad_select', `the ${what} of the \`select\` is ${v}, but it must be greater than 0`);
  }
  if (!Number.isSafeInteger(k) || k < 0) throw new PlanError('bad_select', `the count of the \`select\` is ${k}, but it must be at least 0`);
  if (!Number.isSafeInteger(s.kvHeads) || s.kvHeads < 1 || s.heads % s.kvHeads !== 0) {
    throw new PlanError('bad_size', `heads (${s.heads}) must be a multiple of kv_heads (${s.kvHeads})`);
  }
  const { nQ, nK } = selectionBlocks(s);
  const cells = s.batch * s.heads * nQ * nK;
  if (cells > MAX_SELECTION_CELLS) throw new PlanError('bad_size', `the selection has ${cells} cells (batch x heads x ${nQ} query blocks x ${nK} key blocks); the limit is ${MAX_SELECTION_CELLS}`);
}

/**
 * The score of every (b, h, i, j), before any `per kv_head` sum: `dot(mean(q), mean|max(k))`,
 * `bound(mean(q), k)` (sum over d of max(qbar_d * kmin_d, qbar_d * kmax_d)), or the gate's
 * entry. `q`/`k` are needed for the pooled forms, `gate` for an input score.
 */
export function poolScores(score: PoolScore, s: SelectionShape, headDim: number, q?: ArrayLike<number>, k?: ArrayLike<number>, gate?: ArrayLike<number>): Float64Array {
  const { nQ, nK } = selectionBlocks(s);
  const out = new Float64Array(s.batch * s.heads * nQ * nK);
  if (score.kind === 'input') {
    if (!gate || gate.length !== out.length) throw new PlanError('bad_input', `the score input \`${score.name}\` must hold batch x heads x ${nQ} x ${nK} = ${out.length} values, got ${gate?.length ?? 0}`);
    for (let i = 0; i < out.length; i++) out[i] = gate[i];
    return out;
  }
  if (!q || !k) throw new PlanError('bad_input', 'pooled scores need the queries and the keys');
  const d = headDim;
  const group = s.heads / s.kvHeads;
  // Pooled keys per (b, kvh, j): mean, max and min over the in-bounds keys of the block.
  const pool = (src: ArrayLike<number>, rows: number, len: number, block: number, n: number, kind: 'mean' | 'max' | 'min') => {
    const p = new Float64Array(rows * n * d);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < n; j++) {
        const t0 = j * block, t1 = Math.min(t0 + block, len);
        const o = (r * n + j) * d;
        for (let c = 0; c < d; c++) {
          let acc = kind === 'mean' ? 0 : kind === 'max' ? -Infinity : Infinity;
          for (let t = t0; t < t1; t++) {
            const v = src[(r * len + t) * d + c];
            acc = kind === 'mean' ? acc + v : kind === 'max' ? (v > acc || Number.isNaN(v) ? v : acc) : v < acc || Number.isNaN(v) ? v : acc;
            if (Number.isNaN(acc) && kind !== 'mean') break;
          }
          p[o + c] = kind === 'mean' ? acc / (t1 - t0) : acc;
        }
      }
    }
    return p;
  };
  const qbar = pool(q, s.batch * s.heads, s.qLen, s.blockQ, nQ, 'mean');
  const kA = pool(k, s.batch * s.kvHeads, s.kvLen, s.blockKv, nK, score.kind === 'dot' ? score.kPool : 'min');
  const kB = score.kind === 'bound' ? pool(k, s.batch * s.kvHeads, s.kvLen, s.blockKv, nK, 'max') : undefined;
  for (let b = 0; b < s.batch; b++) {
    for (let h = 0; h < s.heads; h++) {
      const kvRow = b * s.kvHeads + Math.floor(h / group);
      for (let i = 0; i < nQ; i++) {
        const qo = ((b * s.heads + h) * nQ + i) * d;
        for (let j = 0; j < nK; j++) {
          const ko = (kvRow * nK + j) * d;
          let acc = 0;
          for (let c = 0; c < d; c++) {
            const x = qbar[qo + c];
            if (kB) {
              const lo = x * kA[ko + c], hi = x * kB[ko + c];
              acc += Number.isNaN(lo) || Number.isNaN(hi) ? NaN : Math.max(lo, hi);
            } else acc += x * kA[ko + c];
          }
          out[((b * s.heads + h) * nQ + i) * nK + j] = acc;
        }
      }
    }
  }
  return out;
}

/**
 * Sel: for each (b, h, i), the `k` candidate key blocks of highest score; ties go to the lower
 * j, NaN ranks below every number, `k` at least the candidates selects them all. With
 * `perKvHead`, the scores are summed over the query heads of the kv head (in head order) and
 * the candidates are their union, so every head of a group selects the same blocks.
 */
export function selectBlocks(scores: ArrayLike<number>, candidates: ArrayLike<number>, s: SelectionShape, k: number, perKvHead: boolean): Uint8Array {
  const { nQ, nK } = selectionBlocks(s);
  const sel = new Uint8Array(s.batch * s.heads * nQ * nK);
  const group = perKvHead ? s.heads / s.kvHeads : 1;
  const row = new Float64Array(nK);
  const cand: number[] = [];
  for (let b = 0; b < s.batch; b++) {
    for (let h = 0; h < s.heads; h++) {
      const h0 = Math.floor(h / group) * group;
      for (let i = 0; i < nQ; i++) {
        cand.length = 0;
        for (let j = 0; j < nK; j++) {
          let acc = 0, any = false;
          for (let g = h0; g < h0 + group; g++) {
            const at = ((b * s.heads + g) * nQ + i) * nK + j;
            acc = group === 1 ? scores[at] : acc + scores[at];
            if (candidates[at]) any = true;
          }
          row[j] = acc;
          if (any) cand.push(j);
        }
        const chosen = cand.length <= k ? cand : topOf(cand, row, k);
        const base = ((b * s.heads + h) * nQ + i) * nK;
        for (const j of chosen) sel[base + j] = 1;
      }
    }
  }
  return sel;
}

/** The `k` entries of `js` with the highest `score[j]` (NaN lowest; ties: the lower j). */
function topOf(js: readonly number[], score: Float64Array, k: number): number[] {
  const rank = (a: number, b: number) => {
    const x = score[a], y = score[b];
    const nx = Number.isNaN(x), ny = Number.isNaN(y);
    if (nx !== ny) return nx ? 1 : -1;
    if (!nx && x !== y) return x > y ? -1 : 1;
    return a - b;
  };
  return [...js].sort(rank).slice(0, k);
}
