/** Work items sharing a multiprocessor ([Note: Shared multiprocessors] in compiler/5-simulate/sharing.ts). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sharedSchedule } from '../../compiler/5-simulate/sharing.ts';
import { listSchedule } from '../../compiler/5-simulate/simulate.ts';

describe('shared multiprocessors', () => {
  it('with aloneSpeed 1 it is the list schedule', () => {
    fc.assert(fc.property(fc.array(fc.double({ min: 0.01, max: 100, noNaN: true }), { maxLength: 60 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 4 }), (costs, sms, perSm) => {
      costs.sort((a, b) => b - a);
      expect(sharedSchedule(costs, sms, perSm, 1)).toBeCloseTo(listSchedule(costs, sms * perSm), 9);
    }));
  });

  it('an item alone on its multiprocessor runs up to aloneSpeed times faster', () => {
    expect(sharedSchedule([8], 4, 4, 4)).toBeCloseTo(2, 12);
    expect(sharedSchedule([8], 4, 4, 2)).toBeCloseTo(4, 12);
    // Two items on each of two multiprocessors (4 slots a multiprocessor): each at speed 2.
    expect(sharedSchedule([8, 8, 8, 8], 2, 4, 4)).toBeCloseTo(4, 12);
    // A long row and short ones: the short ones share its multiprocessor first, then it runs alone.
    // One multiprocessor of 2 slots: [10] and [2] at speed 1 until t = 2, then 8 left alone at speed 2.
    expect(sharedSchedule([10, 2], 1, 2, 2)).toBeCloseTo(6, 12);
  });

  it('is never slower than the list schedule, nor faster than perfect sharing', () => {
    fc.assert(fc.property(fc.array(fc.double({ min: 0.01, max: 100, noNaN: true }), { minLength: 1, maxLength: 60 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 4 }), (costs, sms, perSm) => {
      costs.sort((a, b) => b - a);
      const t = sharedSchedule(costs, sms, perSm, perSm);
      expect(t).toBeLessThanOrEqual(listSchedule(costs, sms * perSm) * (1 + 1e-9));
      const total = costs.reduce((a, c) => a + c, 0);
      expect(t).toBeGreaterThanOrEqual(Math.max(total / (sms * perSm), costs[0] / perSm) * (1 - 1e-9));
    }));
  });
});
