/** WGSL kernels of the bundled patterns, shard 0 of 2 (two files so vitest runs them in parallel). */
import { describe, expect, it } from 'vitest';
import { bundledCases } from './bundled.ts';
import { expectClose, runKernelCases, webgpuUnavailable } from './harness.ts';

describe.skipIf(webgpuUnavailable())('bundled patterns on WebGPU (shard 0)', () => {
  const cases = bundledCases(0, 2);
  it('match the float64 reference', () => {
    const errs = runKernelCases(cases).flatMap((o, i) => expectClose(o, cases[i].dtype));
    expect(errs).toEqual([]);
  }, 300_000);
});
