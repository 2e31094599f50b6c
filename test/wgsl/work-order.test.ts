/**
 * The work order of the packed WebGPU schedule ([Note: Longest rows first] in
 * runtime/webgpu/schedule-buffer.ts): a permutation of every (bh, qBlock), by descending tile
 * count, stable, on planned schedules of bundled patterns.
 */
import { describe, expect, it } from 'vitest';
import { lowerToPlanner } from '../../compiler/pipeline.ts';
import { planSchedule } from '../../runtime/schedule/plan.ts';
import { packSchedule, workOrder } from '../../runtime/webgpu/schedule-buffer.ts';
import { bindText } from '../helpers/compile.ts';

const rowTiles = (s: ReturnType<typeof planSchedule>, bh: number, qb: number, heads: number) => {
  const g = s.groups[s.groupOf[bh % heads]];
  return g.kvRowPtr[qb + 1] - g.kvRowPtr[qb] + g.fullKvRowPtr[qb + 1] - g.fullKvRowPtr[qb];
};

describe('workOrder', () => {
  const cases = [
    { name: 'causal', text: 'pattern c() {\n  causal\n}\n' },
    { name: 'per-head windows', text: 'pattern w(window: int = 100) {\n  causal\n  allow q - k < window * (h + 1)\n}\n' },
    { name: 'global rows', text: 'pattern g() {\n  allow abs(q - k) < 64 || q < 32 || k < 32\n}\n' },
  ];
  for (const c of cases) {
    it(`${c.name}: a stable permutation, longest rows first`, () => {
      const planner = lowerToPlanner(bindText(c.text)).planner;
      const heads = 3, batch = 2;
      const s = planSchedule(planner, { qLen: 700, kvLen: 700, heads, batch: 1, blockQ: 64, blockKv: 64 });
      const order = Array.from(workOrder(s, batch));
      const n = batch * heads * s.numQBlocks;
      expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
      const tiles = order.map((item) => rowTiles(s, Math.floor(item / s.numQBlocks), item % s.numQBlocks, heads));
      for (let i = 1; i < n; i++) {
        expect(tiles[i]).toBeLessThanOrEqual(tiles[i - 1]);
        if (tiles[i] === tiles[i - 1]) expect(order[i]).toBeGreaterThan(order[i - 1]);
      }
      // The rows really differ in length, and the packed buffer holds the order after groupOf.
      expect(tiles[0]).toBeGreaterThan(tiles[n - 1]);
      const packed = packSchedule(s, batch);
      expect(Array.from(packed.data.subarray(batch * heads, batch * heads + n))).toEqual(order);
      expect(packed.groupTable).toBe(batch * heads + n);
      const planned = packSchedule(s, batch, 'as-planned');
      expect(Array.from(planned.data.subarray(batch * heads, batch * heads + n))).toEqual(Array.from({ length: n }, (_, i) => i));
    });
  }
});
