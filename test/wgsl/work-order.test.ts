/**
 * The work order of the packed WebGPU schedule ([Note: Longest rows first] in
 * runtime/webgpu/schedule-buffer.ts): a permutation of every (bh, qBlock), by descending tile
 * count, stable, on planned schedules of bundled patterns; and the tiled kernel's resolved work
 * entries ([Note: Resolved entries]): each lists exactly its part of its row's tiles.
 */
import { describe, expect, it } from 'vitest';
import { lowerToPlanner } from '../../compiler/pipeline.ts';
import { planSchedule } from '../../runtime/schedule/plan.ts';
import { packSchedule, WORK_ENTRY, workEntries, workOrder } from '../../runtime/webgpu/schedule-buffer.ts';
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

describe('resolved work entries', () => {
  const cases = [
    { name: 'causal, q_len < kv_len', text: 'pattern c() {\n  causal\n}\n', qLen: 700, kvLen: 900 },
    { name: 'per-head windows', text: 'pattern w(window: int = 100) {\n  causal\n  allow q - k < window * (h + 1)\n}\n', qLen: 700, kvLen: 700 },
    { name: 'global rows', text: 'pattern g() {\n  allow abs(q - k) < 64 || q < 32 || k < 32\n}\n', qLen: 1000, kvLen: 800 },
  ];
  for (const c of cases) {
    for (const partTiles of [Infinity, 1, 3]) {
      it(`${c.name}, parts of ${partTiles}: each entry's FULL then PARTIAL tiles are its slice of the row's lists`, () => {
        const planner = lowerToPlanner(bindText(c.text)).planner;
        const heads = 3, batch = 2;
        const s = planSchedule(planner, { qLen: c.qLen, kvLen: c.kvLen, heads, batch: 1, blockQ: 64, blockKv: 64 });
        const packed = packSchedule(s, batch, 'longest-first', partTiles);
        const { entries } = workEntries(s, batch, 'longest-first', partTiles);
        expect(packed.workItems).toBe(entries.length / 4);
        const d = packed.data;
        for (let w = 0; w < packed.workItems; w++) {
          const [item, tileStart, tileEnd, slot] = entries.slice(4 * w, 4 * w + 4);
          const at = packed.workBase + WORK_ENTRY * w;
          const [rItem, rSlot, fullAt, nFull, partAt, nPart] = d.slice(at, at + WORK_ENTRY);
          expect([rItem, rSlot]).toEqual([item, slot]);
          const bh = Math.floor(item / s.numQBlocks), qb = item % s.numQBlocks;
          const g = s.groups[s.groupOf[bh % heads]];
          const row = [
            ...Array.from(g.fullKvIndices.subarray(g.fullKvRowPtr[qb], g.fullKvRowPtr[qb + 1])),
            ...Array.from(g.kvIndices.subarray(g.kvRowPtr[qb], g.kvRowPtr[qb + 1])),
          ];
          const resolved = [...Array.from(d.subarray(fullAt, fullAt + nFull)), ...Array.from(d.subarray(partAt, partAt + nPart))];
          expect(resolved).toEqual(row.slice(tileStart, tileEnd));
          expect(nFull).toBe(Math.max(0, Math.min(tileEnd, g.fullKvRowPtr[qb + 1] - g.fullKvRowPtr[qb]) - tileStart));
        }
      });
    }
  }
});
