/**
 * [Note: Split rows] (runtime/webgpu/schedule-buffer.ts): the work entries cover every tile of
 * every row exactly once, parts no longer than asked, the default splits only rows far longer
 * than the mean; and on lavapipe the tiled kernel with rows split into parts (strips and boxes,
 * GQA, q_len != kv_len, f32 and f16, fully masked rows, input arrays, the default split)
 * matches the float64 reference; by default only f16 at head dims up to 64 splits.
 */
import * as fs from 'node:fs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { denseSchedule, packSchedule, splitTiles, workEntries } from '../../runtime/webgpu/schedule-buffer.ts';
import type { GroupSchedule, Schedule } from '../../runtime/schedule/types.ts';
import { bindText } from '../helpers/compile.ts';
import { expectClose, runKernelCases, webgpuUnavailable, type CaseOutcome, type KernelCase } from './harness.ts';
import { mockDevice } from './mock-device.ts';
import type { Attention, AttentionConfig } from '../../runtime/webgpu/attention.ts';
import type { GpuDevice } from '../../runtime/webgpu/gpu.ts';

/** A schedule of one group whose rows list `counts[i]` tiles, `full` of them FULL. */
function rowsSchedule(counts: readonly number[], full: readonly number[], heads = 1): Schedule {
  const nq = counts.length, nkv = Math.max(1, ...counts);
  const ptr = (xs: readonly number[]) => Int32Array.from([0, ...xs.map((_, i) => xs.slice(0, i + 1).reduce((a, b) => a + b, 0))]);
  const idx = (xs: readonly number[]) => Int32Array.from(xs.flatMap((n) => Array.from({ length: n }, (_, j) => j)));
  const partial = counts.map((n, i) => n - full[i]);
  const g = {
    members: Int32Array.from({ length: heads }, (_, h) => h),
    kvRowPtr: ptr(partial), kvIndices: idx(partial), fullKvRowPtr: ptr(full), fullKvIndices: idx(full),
  } as unknown as GroupSchedule;
  return { ...denseSchedule('rows', 16 * nq, 16 * nkv, heads, 16, 16), numQBlocks: nq, groups: [g] };
}

describe('split rows: work entries', () => {
  it('cover every tile of every row once, in parts of at most partTiles, each split row combined once', () => {
    fc.assert(fc.property(fc.array(fc.nat(40), { minLength: 1, maxLength: 30 }), fc.integer({ min: 1, max: 20 }), fc.constantFrom('longest-first' as const, 'as-planned' as const), (counts, partTiles, order) => {
      const s = rowsSchedule(counts, counts.map((n) => Math.floor(n / 3)));
      const { entries, combine, slots } = workEntries(s, 1, order, partTiles);
      const covered = counts.map(() => [] as [number, number][]);
      const slotsSeen = new Set<number>();
      for (let w = 0; w < entries.length; w += 4) {
        const [item, start, end, slot] = entries.slice(w, w + 4);
        expect(end - start).toBeLessThanOrEqual(Math.max(partTiles, counts[item] > partTiles ? partTiles : counts[item]));
        covered[item].push([start, end]);
        if (slot >= 0) slotsSeen.add(slot);
      }
      covered.forEach((parts, item) => {
        parts.sort((a, b) => a[0] - b[0]);
        expect(parts[0][0]).toBe(0);
        expect(parts[parts.length - 1][1]).toBe(counts[item]);
        for (let i = 1; i < parts.length; i++) expect(parts[i][0]).toBe(parts[i - 1][1]);
        expect(parts.length).toBe(counts[item] > partTiles ? Math.ceil(counts[item] / partTiles) : 1);
      });
      expect(slotsSeen.size).toBe(slots);
      let combined = 0;
      for (let r = 0; r < combine.length; r += 3) {
        const [item, first, parts] = combine.slice(r, r + 3);
        expect(parts).toBe(covered[item].length);
        for (let p = first; p < first + parts; p++) expect(slotsSeen.has(p)).toBe(true);
        combined += parts;
      }
      expect(combined).toBe(slots);
      if (order === 'longest-first') {
        for (let w = 4; w < entries.length; w += 4) expect(entries[w + 2] - entries[w + 1]).toBeLessThanOrEqual(entries[w - 2] - entries[w - 3]);
      }
    }));
  });

  it('by default split only rows of more than twice the mean and more than 16 tiles', () => {
    // Global rows: one row of 64 tiles among rows of 3.
    const global = rowsSchedule([64, ...Array(63).fill(3)], Array(64).fill(0));
    expect(splitTiles(global)).toBe(16);
    const packed = packSchedule(global, 1, 'longest-first', splitTiles(global));
    expect([packed.combineRows, packed.slots, packed.workItems]).toEqual([1, 4, 67]);
    // A dense schedule (and causal: at most twice the mean) never splits.
    const dense = denseSchedule('dense', 1024, 1024, 2, 64, 64);
    expect(packSchedule(dense, 1, 'longest-first', splitTiles(dense)).combineRows).toBe(0);
    const causal = rowsSchedule(Array.from({ length: 64 }, (_, i) => i + 1), Array.from({ length: 64 }, (_, i) => i));
    expect(packSchedule(causal, 1, 'longest-first', splitTiles(causal)).combineRows).toBe(0);
  });
});

describe('split rows: the launcher (mocked device)', () => {
  it('dispatches the work entries, then the combine pass, and splits nothing whose parts would not fit a binding', async () => {
    const mod = (await import('../../generated/causal_mask.ts')) as { create(device: GpuDevice, config: AttentionConfig): Attention };
    const f32 = (n: number) => new Float32Array(n).fill(0.5);
    const shape = { batch: 1, heads: 1, qLen: 200 };
    // Head dim 16: a slot is 64 rows x 5 vec4s = 5120 bytes; rows of 1-4 tiles in parts of 1
    // (64-row blocks: at 200 tokens 32-row ones would cover fewer elements, [Note: Short rows]).
    const { device, log } = mockDevice();
    const att = mod.create(device, { headDim: 16, tiles: { splitTiles: 1, shortRows: false } });
    const res = await att.run(f32(200 * 16), f32(200 * 16), f32(200 * 16), shape);
    expect(res.tiles.kernel).toBe('tiled');
    // Rows of 2, 3 and 4 tiles split: 3 combined rows, 1 + 2 + 3 + 4 = 10 work entries.
    expect(res.splitRows).toBe(3);
    expect(log.dispatches).toEqual([[10, 1, 1], [3, 1, 1]]);
    expect(log.pipelines).toBe(2);
    // 9 slots (45 KB) do not fit a 16 KB binding: the same call splits nothing.
    const small = mockDevice();
    const tight: GpuDevice = { ...small.device, limits: { ...small.device.limits, maxStorageBufferBindingSize: 16384 } };
    const res2 = await mod.create(tight, { headDim: 16, tiles: { splitTiles: 1, shortRows: false } }).run(f32(200 * 16), f32(200 * 16), f32(200 * 16), shape);
    expect(res2.splitRows).toBe(0);
    expect(small.log.dispatches).toEqual([[4, 1, 1]]);
    // No row split: the combine pass is never compiled.
    expect(small.log.pipelines).toBe(1);
    // A part length that is not a positive whole number is refused when the kernel is bound.
    for (const bad of [0, 2.5, -1, Number.NaN]) expect(() => mod.create(device, { headDim: 16, tiles: { splitTiles: bad } }), String(bad)).toThrow(/splitTiles must be a positive whole number/);
  });
});

const read = (name: string) => fs.readFileSync(`patterns/${name}.attn`, 'utf8');
const fixture = (name: string) => bindText(fs.readFileSync(`test/wgsl/fixtures/${name}.attn`, 'utf8'));

describe.skipIf(webgpuUnavailable())('split rows on lavapipe', () => {
  const causal = bindText(read('causal'));
  const longformer = bindText(read('longformer'), { window: 48, globals: 16 });
  const n2 = bindText(read('natten-2d'), { height: 16, width: 16, kernel_y: 5, kernel_x: 5 });
  const holes = fixture('holes'), docs = fixture('docs');
  const doc = (n: number) => Int32Array.from({ length: n }, (_, i) => Math.floor(i / 29));
  const t16 = { blockQ: 16, blockKv: 16, kvChunk: 16 };
  const cases: (KernelCase & { split: boolean })[] = [
    { name: 'causal f32, parts of 2', bound: causal, batch: 1, heads: 2, kvHeads: 1, qLen: 150, kvLen: 150, headDim: 32, dtype: 'f32', tiles: { ...t16, splitTiles: 2 }, kernel: 'tiled', split: true },
    { name: 'causal f16 GQA, q_len < kv_len, parts of 3', bound: causal, batch: 2, heads: 4, kvHeads: 2, qLen: 100, kvLen: 170, headDim: 64, dtype: 'f16', tiles: { ...t16, splitTiles: 3 }, kernel: 'tiled', split: true },
    { name: 'causal f16 d128 (2 rows an invocation), parts of 2', bound: causal, batch: 1, heads: 2, kvHeads: 1, qLen: 140, kvLen: 140, headDim: 128, dtype: 'f16', tiles: { ...t16, splitTiles: 2 }, kernel: 'tiled', split: true },
    { name: 'longformer f32, q_len > kv_len, parts of 1', bound: longformer, batch: 1, heads: 2, kvHeads: 2, qLen: 200, kvLen: 180, headDim: 32, dtype: 'f32', tiles: { ...t16, splitTiles: 1 }, kernel: 'tiled', split: true },
    { name: 'longformer f16 d64, default split (global rows of 32 tiles)', bound: longformer, batch: 1, heads: 2, kvHeads: 2, qLen: 512, kvLen: 512, headDim: 64, dtype: 'f16', tiles: t16, kernel: 'tiled', split: true },
    { name: 'holes f32 (fully masked rows), parts of 1', bound: holes, batch: 2, heads: 2, kvHeads: 1, qLen: 77, kvLen: 77, headDim: 64, dtype: 'f32', tiles: { ...t16, splitTiles: 1 }, kernel: 'tiled', split: true },
    { name: 'docs f16 (input array: 8 buffers), parts of 1', bound: docs, batch: 2, heads: 2, kvHeads: 2, qLen: 83, kvLen: 83, headDim: 32, dtype: 'f16', tiles: { ...t16, splitTiles: 1 }, inputs: { doc: doc(83) }, kernel: 'tiled', split: true },
    { name: 'natten-2d f32 4x4 boxes, parts of 1', bound: n2, batch: 1, heads: 2, kvHeads: 1, qLen: 256, kvLen: 256, headDim: 32, dtype: 'f32', tiles: { ...t16, splitTiles: 1 }, boxes: { q: [4, 4], kv: [4, 4] }, kernel: 'tiled', split: true },
    { name: 'longformer f32 d64, no split by default', bound: longformer, batch: 1, heads: 2, kvHeads: 2, qLen: 512, kvLen: 512, headDim: 64, dtype: 'f32', tiles: t16, kernel: 'tiled', split: false },
    { name: 'causal f32, splitTiles: false', bound: causal, batch: 1, heads: 2, kvHeads: 1, qLen: 150, kvLen: 150, headDim: 32, dtype: 'f32', tiles: { ...t16, splitTiles: false }, kernel: 'tiled', split: false },
  ];
  let outcomes: CaseOutcome[] = [];
  beforeAll(() => {
    // WebGPU's default limits: 8 storage buffers a stage, as the docs case needs all of them.
    outcomes = runKernelCases(cases, true);
  }, 600_000);

  it('match the float64 reference, with no NaN and zero rows where nothing is allowed', () => {
    expect(outcomes.flatMap((o, i) => expectClose(o, cases[i].dtype))).toEqual([]);
    expect(outcomes.find((o) => o.name.startsWith('holes'))!.maskedRows).toBeGreaterThan(0);
  });

  it('split rows exactly where asked', () => {
    cases.forEach((c, i) => {
      const r = outcomes[i].result;
      expect(r.ok, c.name).toBe(true);
      if (r.ok) expect((r.splitRows ?? 0) > 0, c.name).toBe(c.split);
    });
  });
});
