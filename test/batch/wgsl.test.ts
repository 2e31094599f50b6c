/**
 * The WGSL kernel with per-batch input arrays, on lavapipe, against the float64 reference:
 * a prefix length per sequence (`prefix[b]`; a prefix of 0 with a mask that needs it leaves the
 * rows of that sequence fully masked: output 0, not NaN) and document ids per sequence
 * (`doc[b, k]`), batches whose rows differ, sizes that are not block multiples, GQA, f32 and f16.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { bindText } from '../helpers/compile.ts';
import { expectClose, runKernelCases, webgpuUnavailable, type CaseOutcome, type KernelCase } from '../wgsl/harness.ts';

describe.skipIf(webgpuUnavailable())('WGSL kernels with per-batch input arrays', () => {
  // Prefix-LM per sequence, without the causal part: a prefix of 0 leaves every row fully masked.
  const prefixOnly = bindText('pattern p(input prefix: int[batch]) {\n  allow k < prefix[b]\n}\n');
  const prefixLm = bindText('pattern plm(input prefix: int[batch]) {\n  allow k <= q\n  allow k < prefix[b]\n}\n');
  const docs = bindText('pattern d(input doc: int[batch, kv_len], input prefix: int[batch]) {\n  causal\n  require doc[b, q] == doc[b, k] || k < prefix[b]\n}\n');
  const ids = (batch: number, n: number) => Int32Array.from({ length: batch * n }, (_, i) => Math.floor((i % n) / (11 + 7 * Math.floor(i / n))));
  const cases: KernelCase[] = [
    { name: 'prefix only f32', bound: prefixOnly, batch: 3, heads: 2, kvHeads: 1, qLen: 45, kvLen: 53, headDim: 32, dtype: 'f32', tiles: { blockQ: 16, blockKv: 16, kvChunk: 16 }, inputs: { prefix: Int32Array.from([0, 20, 53]) } },
    { name: 'prefix-lm f32', bound: prefixLm, batch: 3, heads: 2, kvHeads: 2, qLen: 70, kvLen: 70, headDim: 32, dtype: 'f32', tiles: { blockQ: 16, blockKv: 16, kvChunk: 16 }, inputs: { prefix: Int32Array.from([0, 33, 70]) } },
    { name: 'prefix-lm f16', bound: prefixLm, batch: 2, heads: 2, kvHeads: 1, qLen: 61, kvLen: 61, headDim: 64, dtype: 'f16', inputs: { prefix: Int32Array.from([5, 40]) } },
    { name: 'docs f32', bound: docs, batch: 3, heads: 2, kvHeads: 1, qLen: 77, kvLen: 83, headDim: 32, dtype: 'f32', tiles: { blockQ: 16, blockKv: 32, kvChunk: 16 }, inputs: { doc: ids(3, 83), prefix: Int32Array.from([0, 4, 30]) } },
    { name: 'docs f16', bound: docs, batch: 2, heads: 1, kvHeads: 1, qLen: 50, kvLen: 50, headDim: 32, dtype: 'f16', inputs: { doc: ids(2, 50), prefix: Int32Array.from([2, 0]) } },
  ];
  let outcomes: CaseOutcome[] = [];
  beforeAll(() => {
    outcomes = runKernelCases(cases);
  }, 600_000);

  it('match the float64 reference, with zero rows (not NaN) where nothing is allowed', () => {
    expect(outcomes.flatMap((o, i) => expectClose(o, cases[i].dtype))).toEqual([]);
  });

  it('really had fully masked rows in one batch element only, and per-batch schedules', () => {
    const by = (n: string) => outcomes.find((o) => o.name === n)!;
    // prefix 0 masks all 45 rows of batch 0 (2 heads); prefix 20 and 53 mask none.
    expect(by('prefix only f32').maskedRows).toBe(2 * 45);
    for (const o of outcomes) expect(o.badMaskedRows).toBe(0);
  });
});
