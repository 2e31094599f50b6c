/** WGSL kernels of the bundled patterns, shard 1 of 2 (two files so vitest runs them in parallel). */
import { describe, expect, it } from 'vitest';
import { bundledCases, bundledSelectCases } from './bundled.ts';
import { expectClose, runKernelCases, webgpuUnavailable } from './harness.ts';
import { runSelectCases, selectFailures } from './select-harness.ts';

describe.skipIf(webgpuUnavailable())('bundled patterns on WebGPU (shard 1)', () => {
  const cases = bundledCases(1, 2);
  it('match the float64 reference', () => {
    const errs = runKernelCases(cases).flatMap((o, i) => expectClose(o, cases[i].dtype));
    expect(errs).toEqual([]);
  }, 300_000);

  // Patterns with a select clause: the selection on the GPU, its cells and merged tiles too.
  const selectCases = bundledSelectCases(1, 2);
  it.skipIf(!selectCases.length)('with a select clause: match the float64 oracle, selection included', () => {
    const outcomes = runSelectCases(selectCases);
    expect(outcomes.flatMap((o, i) => selectFailures(o, selectCases[i].dtype))).toEqual([]);
    expect(outcomes.filter((o) => !(o.selected > 0)).map((o) => o.name), 'selected nothing').toEqual([]);
    for (const p of new Set(selectCases.map((c) => c.bound))) {
      expect(outcomes.some((o, i) => selectCases[i].bound === p && o.selected < o.candidates), `${p.pattern.name}: some candidates left out`).toBe(true);
    }
  }, 300_000);
});
