/**
 * The simple WGSL kernel's tests on the bundled patterns (simple-0.test.ts, simple-1.test.ts):
 * every case of `bundledCases` and `bundledSelectCases` run with `kernel: 'simple'` (the
 * register-tiled kernel, the default, runs them in patterns-*.test.ts and select.test.ts), and
 * every run must report the simple kernel's tiles.
 */
import { expect, it } from 'vitest';
import { bundledCases, bundledSelectCases } from './bundled.ts';
import { expectClose, runKernelCases } from './harness.ts';
import { runSelectCases, selectFailures } from './select-harness.ts';

/** Declares the tests of shard `shard` of `of` (inside a `describe`). */
export function describeSimpleBundled(shard: number, of: number): void {
  const cases = bundledCases(shard, of).map((c) => ({ ...c, kernel: 'simple' as const, name: `${c.name} simple` }));
  it('match the float64 reference with the simple kernel', () => {
    const outcomes = runKernelCases(cases);
    expect(outcomes.flatMap((o, i) => expectClose(o, cases[i].dtype))).toEqual([]);
    expect(outcomes.filter((o) => !(o.result.ok && o.result.tiles.kernel !== 'tiled')).map((o) => o.name), 'ran another kernel').toEqual([]);
  }, 300_000);

  const selectCases = bundledSelectCases(shard, of).map((c) => ({ ...c, kernel: 'simple' as const, name: `${c.name} simple` }));
  it.skipIf(!selectCases.length)('with a select clause: match the float64 oracle with the simple kernel', () => {
    const outcomes = runSelectCases(selectCases);
    expect(outcomes.flatMap((o, i) => selectFailures(o, selectCases[i].dtype))).toEqual([]);
    expect(outcomes.filter((o) => !(o.result.ok && o.result.tiles.kernel !== 'tiled')).map((o) => o.name), 'ran another kernel').toEqual([]);
  }, 300_000);
}
