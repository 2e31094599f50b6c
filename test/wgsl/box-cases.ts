/**
 * The box-tile kernel cases (see box-tiles.test.ts for what they cover), shared by the default
 * kernel's tests and the tiled kernel's (tiled.test.ts). `wantBoxes`: the boxes the run must
 * report (`any`: some boxes, undefined: strips).
 */
import * as fs from 'node:fs';
import { bindText } from '../helpers/compile.ts';
import type { KernelCase } from './harness.ts';

const read = (name: string) => fs.readFileSync(`patterns/${name}.attn`, 'utf8');

/** A box case and the boxes it must run. */
export type BoxCase = KernelCase & { readonly wantBoxes: string | undefined };

/** The cases. */
export function boxCases(): BoxCase[] {
  const n2 = bindText(read('natten-2d'), { height: 13, width: 11, kernel_y: 5, kernel_x: 3, dilation_x: 2 });
  const n3 = bindText(read('natten-3d'), { frames: 3, height: 6, width: 7, kernel_t: 2, kernel_y: 3, kernel_x: 3, causal_t: true });
  const wide = bindText(read('natten-2d'), { height: 24, width: 40, kernel_y: 5, kernel_x: 5 });
  const sw = bindText(read('swin'), { window: 3, shift: 1, height: 9, width: 6 });
  const t16 = { blockQ: 16, blockKv: 16, kvChunk: 16 };
  return [
    { name: 'natten-2d 4x4 f32', bound: n2, batch: 1, heads: 2, kvHeads: 1, qLen: 143, kvLen: 143, headDim: 32, dtype: 'f32', tiles: t16, boxes: { q: [4, 4], kv: [4, 4] }, wantBoxes: '4x4,4x4' },
    { name: 'natten-2d 2x8 / 8x4 f32, q_len != kv_len', bound: n2, batch: 2, heads: 2, kvHeads: 2, qLen: 120, kvLen: 150, headDim: 32, dtype: 'f32', tiles: { blockQ: 16, blockKv: 32, kvChunk: 16 }, boxes: { q: [2, 8], kv: [8, 4] }, wantBoxes: '2x8,8x4' },
    { name: 'natten-2d 8x2 f16', bound: n2, batch: 1, heads: 2, kvHeads: 1, qLen: 143, kvLen: 130, headDim: 32, dtype: 'f16', tiles: t16, boxes: { q: [8, 2], kv: [8, 2] }, wantBoxes: '8x2,8x2' },
    { name: 'natten-3d 2x2x4 f32', bound: n3, batch: 1, heads: 2, kvHeads: 1, qLen: 126, kvLen: 126, headDim: 32, dtype: 'f32', tiles: t16, boxes: { q: [2, 2, 4], kv: [2, 2, 4] }, wantBoxes: '2x2x4,2x2x4' },
    { name: 'natten-3d 1x4x4 f16, q_len < kv_len', bound: n3, batch: 1, heads: 1, kvHeads: 1, qLen: 100, kvLen: 126, headDim: 64, dtype: 'f16', tiles: t16, boxes: { q: [1, 4, 4], kv: [1, 4, 4] }, wantBoxes: '1x4x4,1x4x4' },
    { name: 'swin 4x4 f32', bound: sw, batch: 1, heads: 2, kvHeads: 2, qLen: 54, kvLen: 54, headDim: 32, dtype: 'f32', tiles: t16, boxes: { q: [4, 4], kv: [4, 4] }, wantBoxes: '4x4,4x4' },
    { name: 'swin 2x8 f16', bound: sw, batch: 1, heads: 1, kvHeads: 1, qLen: 54, kvLen: 54, headDim: 32, dtype: 'f16', tiles: t16, boxes: { q: [2, 8], kv: [2, 8] }, wantBoxes: '2x8,2x8' },
    { name: 'natten-2d strip f32 (the box kernel on strips)', bound: n2, batch: 1, heads: 1, kvHeads: 1, qLen: 143, kvLen: 143, headDim: 32, dtype: 'f32', tiles: t16, boxes: 'strip', wantBoxes: undefined },
    { name: 'natten-2d auto f32 default tiles', bound: wide, batch: 1, heads: 2, kvHeads: 1, qLen: 960, kvLen: 960, headDim: 32, dtype: 'f32', wantBoxes: 'any' },
  ];
}
