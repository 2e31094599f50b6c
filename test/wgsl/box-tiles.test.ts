/**
 * The WGSL kernel on box schedules (docs/schedule.md, "Box tiles"; [Note: Box tiles] in the
 * template), on lavapipe, against the float64 reference: 2-D and 3-D NATTEN and Swin with
 * grids that are not box multiples, dilation, causal time, q_len != kv_len (a sequence that
 * ends inside a row, keys past the grid), grouped-query heads and batch, forced query and key
 * boxes that differ, and the automatic choice; f32 and f16.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { expectClose, runKernelCases, webgpuUnavailable, type CaseOutcome } from './harness.ts';
import { boxCases } from './box-cases.ts';

describe.skipIf(webgpuUnavailable())('WGSL kernel on box tiles', () => {
  const cases = boxCases();
  let outcomes: CaseOutcome[] = [];
  beforeAll(() => {
    outcomes = runKernelCases(cases);
  }, 600_000);

  it('match the float64 reference', () => {
    expect(outcomes.flatMap((o, i) => expectClose(o, cases[i].dtype))).toEqual([]);
  });

  it('ran the boxes asked for', () => {
    const got = outcomes.map((o) => (o.result.ok ? o.result.boxes : o.result.message));
    cases.forEach((c, i) => {
      if (c.wantBoxes === 'any') expect(got[i], c.name).toBeDefined();
      else expect(got[i], c.name).toBe(c.wantBoxes);
    });
  });
});
