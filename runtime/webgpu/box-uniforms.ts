/**
 * The box uniforms of a kernel that takes box tiles (`interface.ts`, `BOX_UNIFORMS`) for one
 * schedule: its box shapes and grids padded to three axes, or `box_tiles = 0` for strips.
 * The kernel maps a block's rows to tokens from them (templates/wgsl, [Note: Box tiles]).
 */
import type { Schedule } from '../schedule/types.ts';
import { pow2 } from './tiles.ts';

/** Most layout axes the WGSL kernel's box tiles take. */
export const MAX_BOX_AXES = 3;

/** Uniform values by name. */
export function boxUniforms(s: Schedule): Record<string, number> {
  const t = s.tiles;
  if (!t) return { box_tiles: 0, q_box0: 1, q_box1: 1, q_box2: 1, q_grid1: 1, q_grid2: 1, kv_box0: 1, kv_box1: 1, kv_box2: 1, kv_grid1: 1, kv_grid2: 1, grid_n1: 1, grid_n2: 1 };
  if (t.axes.length > MAX_BOX_AXES) throw new RangeError(`box tiles of ${t.axes.length} axes; the WebGPU kernel takes at most ${MAX_BOX_AXES}`);
  // The kernels take a row's offsets in its box as bit fields (templates/wgsl, [Note: Box tiles]).
  for (const b of [...t.q.shape, ...t.kv.shape]) if (!pow2(b)) throw new RangeError(`box tiles ${t.q.shape.join('x')} / ${t.kv.shape.join('x')}: the WebGPU kernels take box sides that are powers of two`);
  const pad = (xs: readonly number[]) => [...xs, ...new Array<number>(MAX_BOX_AXES - xs.length).fill(1)];
  const q = pad(t.q.shape), qg = pad(t.q.grid), kv = pad(t.kv.shape), kg = pad(t.kv.grid), n = pad(t.q.extent);
  return {
    box_tiles: 1, q_box0: q[0], q_box1: q[1], q_box2: q[2], q_grid1: qg[1], q_grid2: qg[2],
    kv_box0: kv[0], kv_box1: kv[1], kv_box2: kv[2], kv_grid1: kg[1], kv_grid2: kg[2], grid_n1: n[1], grid_n2: n[2],
  };
}
