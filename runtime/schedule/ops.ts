/**
 * Helpers that generated planner code calls: integer semantics (floor division and modulo,
 * zero divisor gives 0, the 31-bit hash) and interval arithmetic for the cases that are too
 * long to inline. Interval results are written to the scratch pair `R` to avoid allocation
 * on the planner's hot path. The integer operations are defined once, in `int-semantics.ts`.
 *
 * Ints wrap at 32 bits. Interval bounds are always in the int range; an operation's exact
 * bounds (computed in doubles: sums are exact, products of 32-bit values round but never
 * across the range's ends) that leave the range become the whole range (`ivInt`), because
 * the wrapped values can then be anything. Tiles depending on them stay PARTIAL and are
 * decided per point, with the same wrapping arithmetic as the kernels.
 */

/**
 * Scratch result of the last interval helper: `[lo, hi]`. Typed with its two elements, so
 * that generated planners read `R[0]` as a number under `noUncheckedIndexedAccess` too.
 */
export const R: Float64Array & { 0: number; 1: number } = new Float64Array(2) as Float64Array & { 0: number; 1: number };

import { fdiv, fmod, hash, INT_MAX, INT_MIN } from './int-semantics.ts';

export { fdiv, fmod, hash };

/** Bounds of a wrapped int result from the bounds of the exact one: the same when they fit, else the whole int range. */
export function ivInt(lo: number, hi: number): void {
  if (lo >= INT_MIN && hi <= INT_MAX) { R[0] = lo; R[1] = hi; return; }
  R[0] = INT_MIN; R[1] = INT_MAX;
}

/** Interval product (wrapping). */
export function ivMul(alo: number, ahi: number, blo: number, bhi: number): void {
  const p1 = alo * blo, p2 = alo * bhi, p3 = ahi * blo, p4 = ahi * bhi;
  ivInt(Math.min(p1, p2, p3, p4), Math.max(p1, p2, p3, p4));
}

/** Interval floor division (INT_MIN / -1 wraps). A divisor interval containing 0 gives every possible result. */
export function ivDiv(alo: number, ahi: number, blo: number, bhi: number): void {
  if (blo <= 0 && bhi >= 0) {
    if (blo === 0 && bhi === 0) { R[0] = 0; R[1] = 0; return; }
    const m = Math.max(Math.abs(alo), Math.abs(ahi));
    ivInt(-m, m);
    return;
  }
  const p1 = Math.floor(alo / blo), p2 = Math.floor(alo / bhi), p3 = Math.floor(ahi / blo), p4 = Math.floor(ahi / bhi);
  ivInt(Math.min(p1, p2, p3, p4), Math.max(p1, p2, p3, p4));
}

/** Interval floor modulo. Exact when the dividend does not wrap and the divisor is fixed. */
export function ivMod(alo: number, ahi: number, blo: number, bhi: number): void {
  if (blo === bhi) {
    const m = blo;
    if (m === 0) { R[0] = 0; R[1] = 0; return; }
    const qa = Math.floor(alo / m), qb = Math.floor(ahi / m);
    if (qa === qb) {
      const x = alo - qa * m, y = ahi - qb * m;
      R[0] = Math.min(x, y); R[1] = Math.max(x, y);
      return;
    }
    if (m > 0) { R[0] = 0; R[1] = m - 1; } else { R[0] = m + 1; R[1] = 0; }
    return;
  }
  if (blo > 0) {
    if (alo >= 0 && ahi < blo) { R[0] = alo; R[1] = ahi; return; }
    R[0] = 0; R[1] = bhi - 1;
    return;
  }
  if (bhi < 0) { R[0] = blo + 1; R[1] = 0; return; }
  const m = Math.max(Math.abs(blo), Math.abs(bhi));
  R[0] = -m + 1; R[1] = m - 1;
}

/** Interval hash: exact for a single point, else the whole range. */
export function ivHash(args: readonly number[]): void {
  for (let i = 0; i < args.length; i += 2) {
    if (args[i] !== args[i + 1]) { R[0] = 0; R[1] = 0x7fffffff; return; }
  }
  const pts: number[] = [];
  for (let i = 0; i < args.length; i += 2) pts.push(args[i]);
  const v = hash(...pts);
  R[0] = v; R[1] = v;
}

/**
 * Range min/max over a per-token int array, answered in O(1) from a sparse table of
 * per-block summaries (block = the tile size along the axis the array is indexed by).
 * A range inside one token is exact; other ranges are widened to whole blocks, which is
 * sound (the true min/max lie inside).
 */
export class InputTable {
  private readonly levels: { min: Int32Array; max: Int32Array }[] = [];

  constructor(readonly data: ArrayLike<number>, readonly block: number) {
    const n = Math.ceil(data.length / block);
    const min = new Int32Array(n), max = new Int32Array(n);
    for (let b = 0; b < n; b++) {
      let lo = Infinity, hi = -Infinity;
      const end = Math.min(data.length, (b + 1) * block);
      for (let i = b * block; i < end; i++) {
        const v = data[i];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      min[b] = lo; max[b] = hi;
    }
    this.levels.push({ min, max });
    for (let w = 2; w <= n; w *= 2) {
      const prev = this.levels[this.levels.length - 1];
      const len = n - w + 1;
      const lmin = new Int32Array(len), lmax = new Int32Array(len);
      for (let i = 0; i < len; i++) {
        lmin[i] = Math.min(prev.min[i], prev.min[i + w / 2]);
        lmax[i] = Math.max(prev.max[i], prev.max[i + w / 2]);
      }
      this.levels.push({ min: lmin, max: lmax });
    }
  }

  /**
   * Writes min/max of `data[lo..hi]` (inclusive, clipped to the array) to `R`. A box's flat
   * range may pass the sequence's end (its last row of the first axis is partial): the tokens
   * past it do not exist, so the range is clipped to the array (a range wholly past it reads
   * the last element, harmless for tokens that do not exist).
   */
  range(lo: number, hi: number): void {
    const last = this.data.length - 1;
    lo = Math.min(Math.max(lo, 0), last);
    hi = Math.min(Math.max(hi, lo), last);
    if (lo === hi) { R[0] = R[1] = this.data[lo]; return; }
    const b0 = Math.floor(lo / this.block), b1 = Math.floor(hi / this.block);
    const lvl = 31 - Math.clz32(b1 - b0 + 1);
    const t = this.levels[lvl];
    const j = b1 - (1 << lvl) + 1;
    R[0] = Math.min(t.min[b0], t.min[j]);
    R[1] = Math.max(t.max[b0], t.max[j]);
  }
}
