/**
 * WGSL kernels on scratch patterns that the bundled ones do not cover: floor division and
 * modulo on negative operands, hash, runtime scalars of every type, fully masked rows,
 * input arrays, batch-dependent masks, head dim 128 within WebGPU's default limits (f32 and
 * f16), kv_len < q_len and q_len < kv_len, grouped-query heads; allowed scores far below
 * -5e29 (a bias of -1e31, a softmax scale of 1e31), which must be attended, not taken for masked.
 */
import * as fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { bindText } from '../helpers/compile.ts';
import { expectClose, runKernelCases, webgpuUnavailable, type CaseOutcome, type KernelCase } from './harness.ts';

const fixture = (name: string) => bindText(fs.readFileSync(`test/wgsl/fixtures/${name}.attn`, 'utf8'));

describe.skipIf(webgpuUnavailable())('WGSL kernels on scratch patterns', () => {
  const ints = fixture('ints'), holes = fixture('holes'), docs = fixture('docs'), wide = fixture('wide'), deep = fixture('deep');
  const causal = bindText('pattern c() {\n  causal\n}\n');
  const doc = (n: number) => Int32Array.from({ length: n }, (_, i) => Math.floor(i / 19) + (i % 29 === 0 ? 1 : 0));
  const cases: KernelCase[] = [
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
  // Run in beforeAll, not while tests are collected: without WebGPU the suite is skipped and this never runs.
  let outcomes: CaseOutcome[] = [];
  beforeAll(() => {
    outcomes = runKernelCases(cases);
  }, 600_000);

  it('match the float64 reference, with no NaN and zero rows where nothing is allowed', () => {
    expect(outcomes.flatMap((o, i) => expectClose(o, cases[i].dtype))).toEqual([]);
  });

  it('really exercised fully masked rows and both tile kinds', () => {
    const by = (n: string) => outcomes.find((o) => o.name === n)!;
    expect(by('holes f32').maskedRows).toBeGreaterThan(2 * 2 * 15);
    expect(by('holes f16').maskedRows).toBeGreaterThan(15);
    expect(by('deep f32').maskedRows).toBe(2 * 17);
    expect(outcomes.some((o) => o.result.ok && o.result.fullTiles > 0)).toBe(true);
    expect(outcomes.some((o) => o.result.ok && o.result.partialTiles > 0)).toBe(true);
  });

  it('chose tiles within the default limits for head dim 128', () => {
    const r = outcomes.find((o) => o.name === 'wide f32 d128 default limits')!.result;
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.tiles.workgroupBytes).toBeLessThanOrEqual(16384);
      expect(r.tiles.workgroupSize).toBeLessThanOrEqual(256);
    }
  });
});
