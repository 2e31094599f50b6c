/**
 * WGSL forward of patterns with a `select` clause on lavapipe (Deno's WebGPU): the selection
 * runs on the GPU (pool, score, top-k, merge) and the kernel reads it. Each case is compared
 * with the float64 oracle (referenceSelection, dense attention under M = (A || Sel) && R),
 * and the GPU's selected cells and merged tiles with the oracle's Sel and mergeSelection:
 * random and integer-valued data (exact ties), q_len != kv_len, sizes that are not block
 * multiples, GQA with and without `per kv_head`, K >= candidates, K = 0 (fully masked rows),
 * a score input with ties and NaN, rows of more than one top-k chunk, an input array with a
 * batch-dependent allow, bias and soft-cap, f16.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { webgpuUnavailable } from './harness.ts';
import { selectCases } from './select-cases.ts';
import { runSelectCases, selectFailures, type SelectOutcome } from './select-harness.ts';

describe.skipIf(webgpuUnavailable())('select on WebGPU', () => {
  const cases = selectCases();
  let outcomes: SelectOutcome[] = [];
  beforeAll(() => {
    outcomes = runSelectCases(cases);
  }, 600_000);
  const by = (n: string) => outcomes.find((o) => o.name === n)!;

  it('match the float64 oracle: outputs, selected cells and merged tiles', () => {
    expect(outcomes.flatMap((o, i) => selectFailures(o, cases[i].dtype))).toEqual([]);
  });

  it('really selected: some but not all candidates, and changed tiles', () => {
    for (const n of ['moba random GQA', 'nsa per kv_head GQA', 'docsel: input array, batch-dependent allow, bias, soft-cap', 'quest bound q < kv', 'maxpool runtime blocks, max(k)', 'many: 275 key blocks a row, ints', 'seer gate ties and NaN']) {
      const o = by(n);
      expect(o.selected, n).toBeGreaterThan(0);
      expect(o.selected, n).toBeLessThan(o.candidates);
      expect(o.selectedTiles, n).toBeGreaterThan(0);
    }
    expect(by('moba K = 0').selected).toBe(0);
    expect(by('moba K >= candidates, blocks of 24 over tiles of 16').selected).toBe(by('moba K >= candidates, blocks of 24 over tiles of 16').candidates);
    expect(by('quest K = 0 (every row fully masked)').maskedRows).toBe(2 * 100);
  });

  it('per kv_head: the query heads of a kv head select the same cells', () => {
    for (const n of ['nsa per kv_head GQA', 'nsa per kv_head ints (ties)']) {
      const o = by(n), ref = o.ref!;
      const c = cases.find((x) => x.name === n)!;
      const row = ref.nQ * ref.nK;
      for (let b = 0; b < c.batch; b++) for (let h = 0; h < c.heads; h += 2) {
        const at = (hh: number) => ref.sel.subarray((b * c.heads + hh) * row, (b * c.heads + hh + 1) * row).join();
        expect(at(h + 1), n).toBe(at(h));
      }
    }
  });
});
