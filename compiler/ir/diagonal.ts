/**
 * Diagonal masks: does a mask depend on q and k only through q - k? Causal masks, sliding
 * windows (one- or two-sided), dilated and strided windows do. Then all points of a tile on one
 * diagonal agree, and a kernel can evaluate the predicate once per diagonal of a tile (a band
 * of BLOCK rows + BLOCK cols values) instead of once per point (BLOCK rows x BLOCK cols).
 *
 * The test is syntactic, sound but not complete: q and k may occur only in `q - k`, `k - q`,
 * or compared with each other (`k <= q`), never alone, scaled, or as an `input` index. A mask
 * it rejects (`q - (k + 1) < w`) is still correct, per point.
 */
import { children, type MExpr } from './mask.ts';

const isQK = (a: MExpr, b: MExpr) =>
  a.kind === 'var' && b.kind === 'var' && ((a.name === 'q' && b.name === 'k') || (a.name === 'k' && b.name === 'q'));

const DIAGONAL = new WeakMap<MExpr, boolean>();

/** True when `x` is a function of q - k, b, h, sizes and parameters only (memoised per node). */
export function dependsOnlyOnDiagonal(x: MExpr): boolean {
  const hit = DIAGONAL.get(x);
  if (hit !== undefined) return hit;
  let r: boolean;
  if (x.kind === 'var') r = x.name !== 'q' && x.name !== 'k';
  else if (x.kind === 'input') r = false;
  else if (((x.kind === 'arith' && x.op === '-') || x.kind === 'cmp') && isQK(x.a, x.b)) r = true;
  else r = children(x).every(dependsOnlyOnDiagonal);
  DIAGONAL.set(x, r);
  return r;
}

/**
 * Whether the Hopper CUDA kernel evaluates a pattern's PARTIAL tiles once per diagonal: diagonal
 * masks without score modifications (with a bias or soft-cap the softmax already fills the
 * consumers' registers, and a third softmax body would spill). The kernel and the simulator's
 * model of it both follow this.
 */
export function usesDiagonalBand(p: { readonly mask: MExpr; readonly bias?: MExpr; readonly softcap?: MExpr }): boolean {
  return !p.bias && !p.softcap && dependsOnlyOnDiagonal(p.mask);
}
