/**
 * Box tiles (docs/schedule.md, "Box tiles"): the geometry of a schedule cut from a layout's
 * grid. A block is a box of grid coordinates; these helpers give a block's coordinate
 * bounds, its tokens (row order as the kernels read them) and whether it overhangs, and list
 * the box shapes the planner can choose from. Every function is O(dimensions) per block
 * except `tileTokens`, O(block).
 */
import { PlanError, type BoxSide, type BoxTiles } from './types.ts';

/** The side of a box schedule for a grid whose later axes are `sizes[1..]`, a sequence of `len` tokens and a box `shape`. */
export function boxSide(sizes: readonly number[], strides: readonly number[], len: number, shape: readonly number[]): BoxSide {
  const extent = sizes.map((n, i) => (i === 0 ? Math.ceil(len / strides[0]) : n));
  return { shape: [...shape], extent, grid: extent.map((n, i) => Math.ceil(n / shape[i])) };
}

/** Token strides of a grid of `sizes` (row-major; the first size does not matter). */
export function gridStrides(sizes: readonly number[]): number[] {
  const s = new Array<number>(sizes.length);
  for (let i = sizes.length - 1, acc = 1; i >= 0; i--) {
    s[i] = acc;
    acc *= sizes[i];
  }
  return s;
}

/** The tile shape of a box schedule, checked: one positive size per axis, multiplying to the block sizes. */
export function boxTiles(axes: readonly string[], sizes: readonly number[], qLen: number, kvLen: number, blockQ: number, blockKv: number, q: readonly number[], kv: readonly number[]): BoxTiles {
  for (const [shape, block, what] of [[q, blockQ, 'query'], [kv, blockKv, 'key']] as const) {
    const text = shape.join('x');
    if (shape.length !== axes.length) throw new PlanError('bad_tile_shape', `the ${what} box ${text} has ${shape.length} size${shape.length === 1 ? '' : 's'}, but the layout has ${axes.length} axes (${axes.join(', ')})`);
    if (shape.some((b) => !Number.isSafeInteger(b) || b < 1)) throw new PlanError('bad_tile_shape', `the ${what} box ${text} must have positive integer sizes`);
    const prod = shape.reduce((a, b) => a * b, 1);
    if (prod !== block) {
      // Suggest the boxes of this block nearest in shape (the most even first).
      const fits = boxShapes(axes.length, block).sort((x, y) => Math.max(...x) / Math.min(...x) - Math.max(...y) / Math.min(...y)).slice(0, 4).map((x) => x.join('x'));
      throw new PlanError('bad_tile_shape', `the ${what} box ${text} holds ${prod} tokens, but a ${what} block holds ${block}${fits.length ? ` (boxes that hold ${block}: ${fits.join(', ')}, ...)` : ''}`);
    }
  }
  if (sizes.some((n) => !Number.isSafeInteger(n) || n < 1 || n > 2 ** 31 - 1)) throw new PlanError('bad_tile_shape', `box tiles need a grid of positive sizes; the layout's sizes are ${sizes.join(', ')}`);
  const strides = gridStrides(sizes);
  if (strides[0] > 2 ** 31 - 1) throw new PlanError('bad_tile_shape', `the layout's grid (${sizes.slice(1).join(' x ')} per step of its first axis) is too large for box tiles`);
  return { kind: 'box', axes: [...axes], strides, q: boxSide(sizes, strides, qLen, q), kv: boxSide(sizes, strides, kvLen, kv) };
}

/** Number of blocks of a side. */
export const sideBlocks = (side: BoxSide): number => side.grid.reduce((a, b) => a * b, 1);

/** Writes the inclusive coordinate bounds of block `blk` into `lo`, `hi`, clipped to the extent. */
export function blockBox(side: BoxSide, blk: number, lo: number[], hi: number[]): void {
  for (let i = side.grid.length - 1; i >= 0; i--) {
    const g = blk % side.grid[i];
    blk = (blk - g) / side.grid[i];
    lo[i] = g * side.shape[i];
    hi[i] = Math.min(lo[i] + side.shape[i], side.extent[i]) - 1;
  }
}

/** Flat token index of coordinates `c`. */
export function tokenOf(strides: readonly number[], c: ArrayLike<number>): number {
  let t = 0;
  for (let i = 0; i < strides.length; i++) t += c[i] * strides[i];
  return t;
}

/** True when block `blk` has a padding row: clipped by the grid or reaching past `len`. */
export function blockOverhangs(tiles: BoxTiles, side: BoxSide, blk: number, len: number): boolean {
  const lo: number[] = [], hi: number[] = [];
  blockBox(side, blk, lo, hi);
  for (let i = 0; i < lo.length; i++) if (hi[i] - lo[i] + 1 < side.shape[i]) return true;
  return tokenOf(tiles.strides, hi) >= len;
}

/** Token of each row of block `blk` (row-major over the box shape), -1 for padding rows. */
export function tileTokens(tiles: BoxTiles, side: BoxSide, blk: number, len: number): Int32Array {
  const d = side.shape.length;
  const lo: number[] = [], hi: number[] = [];
  blockBox(side, blk, lo, hi);
  const block = side.shape.reduce((a, b) => a * b, 1);
  const out = new Int32Array(block);
  for (let r = 0; r < block; r++) {
    let rest = r, t = 0, pad = false;
    for (let i = d - 1; i >= 0; i--) {
      const o = rest % side.shape[i];
      rest = (rest - o) / side.shape[i];
      const c = lo[i] + o;
      if (i > 0 && c >= side.extent[i]) pad = true;
      t += c * tiles.strides[i];
    }
    out[r] = pad || t >= len ? -1 : t;
  }
  return out;
}

/** Every way to write `block` as a product of `d` powers of two, in lexicographic order. */
export function boxShapes(d: number, block: number): number[][] {
  const e = Math.log2(block);
  const out: number[][] = [];
  const go = (prefix: number[], left: number) => {
    if (prefix.length === d - 1) {
      out.push([...prefix, 2 ** left]);
      return;
    }
    for (let x = 0; x <= left; x++) go([...prefix, 2 ** x], left - x);
  };
  if (d >= 1 && Number.isInteger(e)) go([], e);
  return out;
}

/**
 * The key box that goes with query box `q` when the blocks differ: `q` scaled to `blockKv`
 * by doubling its last axis, or halving its axes from the last that are above 1.
 */
export function matchingKvShape(q: readonly number[], blockQ: number, blockKv: number): number[] {
  const s = [...q];
  let p = blockQ;
  while (p < blockKv) { s[s.length - 1] *= 2; p *= 2; }
  for (let i = s.length - 1; p > blockKv && i >= 0; i--) {
    while (p > blockKv && s[i] > 1) { s[i] /= 2; p /= 2; }
  }
  return s;
}

/** Block `blk`'s extent in grid coordinates, as `y 8-15, x 32-47` (clipped to the grid). */
export function blockLabel(tiles: BoxTiles, side: BoxSide, blk: number): string {
  const lo: number[] = [], hi: number[] = [];
  blockBox(side, blk, lo, hi);
  return tiles.axes.map((a, i) => (lo[i] === hi[i] ? `${a} ${lo[i]}` : `${a} ${lo[i]}-${hi[i]}`)).join(', ');
}

/** The tile shape as JSON (docs/schedule.md, "Box tiles": `tiles`). */
export function tilesToJson(t: BoxTiles): object {
  const side = (x: BoxSide) => ({ shape: [...x.shape], extent: [...x.extent], grid: [...x.grid] });
  return { kind: t.kind, axes: [...t.axes], strides: [...t.strides], q: side(t.q), kv: side(t.kv) };
}

/** The grid coordinates of block `blk`'s first corner. */
export function blockOrigin(side: BoxSide, blk: number): number[] {
  const lo: number[] = [], hi: number[] = [];
  blockBox(side, blk, lo, hi);
  return lo;
}
