/**
 * WGSL kernels on scratch patterns that the bundled ones do not cover: floor division and
 * modulo on negative operands, hash, runtime scalars of every type, fully masked rows,
 * input arrays, batch-dependent masks, head dim 128 within WebGPU's default limits (f32 and
 * f16), kv_len < q_len and q_len < kv_len, grouped-query heads; allowed scores far below
 * -5e29 (a bias of -1e31, a softmax scale of 1e31), which must be attended, not taken for masked.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { expectClose, runKernelCases, webgpuUnavailable, type CaseOutcome, type KernelCase } from './harness.ts';
import { scratchCases } from './scratch-cases.ts';

describe.skipIf(webgpuUnavailable())('WGSL kernels on scratch patterns', () => {
  const cases: KernelCase[] = scratchCases();
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
