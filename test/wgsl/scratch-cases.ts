/**
 * The scratch-pattern kernel cases (see kernels.test.ts for what they cover), shared by the
 * default kernel's tests and the tiled kernel's (tiled.test.ts).
 */
import * as fs from 'node:fs';
import { bindText } from '../helpers/compile.ts';
import type { KernelCase } from './harness.ts';

const fixture = (name: string) => bindText(fs.readFileSync(`test/wgsl/fixtures/${name}.attn`, 'utf8'));

/** The cases, named as kernels.test.ts refers to them. */
export function scratchCases(): KernelCase[] {
  const ints = fixture('ints'), holes = fixture('holes'), docs = fixture('docs'), wide = fixture('wide'), deep = fixture('deep');
  const causal = bindText('pattern c() {\n  causal\n}\n');
  const doc = (n: number) => Int32Array.from({ length: n }, (_, i) => Math.floor(i / 19) + (i % 29 === 0 ? 1 : 0));
  return [
    { name: 'ints f32', bound: ints, batch: 1, heads: 3, kvHeads: 1, qLen: 70, kvLen: 90, headDim: 32, dtype: 'f32', tiles: { blockQ: 16, blockKv: 32, kvChunk: 16 }, params: { shift: 5, on: true, slope: 1.5 } },
    { name: 'ints f32 on=false', bound: ints, batch: 1, heads: 2, kvHeads: 2, qLen: 90, kvLen: 70, headDim: 32, dtype: 'f32', tiles: { blockQ: 16, blockKv: 16, kvChunk: 16 }, params: { shift: 2, on: false, slope: -0.5 } },
    { name: 'holes f32', bound: holes, batch: 2, heads: 2, kvHeads: 1, qLen: 77, kvLen: 77, headDim: 64, dtype: 'f32', tiles: { blockQ: 16, blockKv: 16, kvChunk: 16 } },
    { name: 'holes f16', bound: holes, batch: 1, heads: 2, kvHeads: 2, qLen: 77, kvLen: 77, headDim: 32, dtype: 'f16' },
    { name: 'docs f32', bound: docs, batch: 3, heads: 2, kvHeads: 2, qLen: 83, kvLen: 83, headDim: 32, dtype: 'f32', tiles: { blockQ: 16, blockKv: 16, kvChunk: 16 }, inputs: { doc: doc(83) } },
    { name: 'wide f32 d128 default limits', bound: wide, batch: 1, heads: 4, kvHeads: 2, qLen: 75, kvLen: 133, headDim: 128, dtype: 'f32' },
    { name: 'deep f32', bound: deep, batch: 1, heads: 2, kvHeads: 1, qLen: 70, kvLen: 70, headDim: 32, dtype: 'f32', tiles: { blockQ: 16, blockKv: 16, kvChunk: 16 } },
    { name: 'deep f16', bound: deep, batch: 1, heads: 1, kvHeads: 1, qLen: 70, kvLen: 70, headDim: 64, dtype: 'f16' },
    { name: 'causal f32 scale 1e31', bound: causal, batch: 1, heads: 2, kvHeads: 2, qLen: 80, kvLen: 80, headDim: 32, scale: 1e31, dtype: 'f32', tiles: { blockQ: 16, blockKv: 16, kvChunk: 16 } },
    { name: 'wide f16 d128 default limits', bound: wide, batch: 1, heads: 2, kvHeads: 1, qLen: 133, kvLen: 75, headDim: 128, dtype: 'f16' },
    // Head dims past 128 and between the powers of two (default limits: 256 stages 4 keys at a time in f32).
    { name: 'causal f32 d256 default limits', bound: causal, batch: 1, heads: 2, kvHeads: 1, qLen: 70, kvLen: 70, headDim: 256, dtype: 'f32' },
    { name: 'docs f16 d96', bound: docs, batch: 2, heads: 2, kvHeads: 2, qLen: 61, kvLen: 61, headDim: 96, dtype: 'f16', inputs: { doc: doc(61) } },
    { name: 'holes f32 d48', bound: holes, batch: 1, heads: 2, kvHeads: 1, qLen: 45, kvLen: 45, headDim: 48, dtype: 'f32', tiles: { blockQ: 16, blockKv: 16, kvChunk: 16 } },
  ];
}
