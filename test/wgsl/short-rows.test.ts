/**
 * [Note: Short rows] (runtime/webgpu/attention.ts) on lavapipe with the adapter's limits:
 * a schedule whose half-height tiles cover at most 0.8 of the elements of the chosen ones runs
 * them (half the query block, 2 rows an invocation, 32-key chunks in f16 at head dim 64, else
 * 16) and matches the float64 reference, in f32 and f16 (head dim 128: f16, where lavapipe's
 * limits give 64-row tiles), strips and boxes, GQA, q_len != kv_len and fully masked rows; a schedule they
 * would not shrink (causal, chunked), a given block, chunk or row count, `shortRows: false`,
 * WebGPU's default 16 KB and (without `shortRows: true`) a fallback adapter keep the chosen tiles.
 */
import * as fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectClose, runKernelCases, webgpuUnavailable, type CaseOutcome, type KernelCase } from './harness.ts';
import { bindText } from '../helpers/compile.ts';

const read = (name: string) => fs.readFileSync(`patterns/${name}.attn`, 'utf8');

describe.skipIf(webgpuUnavailable())('short-row tiles', () => {
  const n1 = bindText(read('natten-1d'), { kernel: 7 });
  const n2 = bindText(read('natten-2d'), { height: 16, width: 64, kernel_y: 5, kernel_x: 5 });
  const causal = bindText(read('causal'));
  const chunked = bindText(read('chunked'), { chunk: 128 });
  // A band of 16 keys with rows that attend to nothing (row 0, every q % 5 == 2): 32-row tiles
  // cover 0.71 of the elements at 230 x 200.
  const holes = bindText(fs.readFileSync('test/wgsl/fixtures/holes.attn', 'utf8'), { window: 16 });
  // shortRows: true, as the tests run on lavapipe, a fallback adapter (off by default there).
  const base = { batch: 1, heads: 2, kvHeads: 1, headDim: 64, dtype: 'f16' as const, tiles: { shortRows: true } };
  const cases: (KernelCase & { short: boolean; unset?: boolean })[] = [
    { ...base, name: 'natten-1d f16 d64 (short rows)', bound: n1, qLen: 300, kvLen: 300, short: true },
    { ...base, name: 'natten-2d f16 d64, boxes (short rows)', bound: n2, qLen: 1024, kvLen: 1024, short: true },
    { ...base, name: 'natten-1d f16 d64, shortRows unset (short rows unless the adapter is a fallback)', bound: n1, qLen: 300, kvLen: 300, tiles: {}, short: true, unset: true },
    { ...base, name: 'natten-1d f16 d64, shortRows: false', bound: n1, qLen: 300, kvLen: 300, tiles: { shortRows: false }, short: false },
    { ...base, name: 'natten-1d f16 d64, kvChunk given', bound: n1, qLen: 300, kvLen: 300, tiles: { kvChunk: 32 }, short: false },
    { ...base, name: 'natten-1d f16 d64, rows given', bound: n1, qLen: 300, kvLen: 300, tiles: { rows: 4 }, short: false },
    { ...base, name: 'causal f16 d64 (no fewer elements)', bound: causal, qLen: 1100, kvLen: 1100, short: false },
    { ...base, name: 'chunked f16 d64 (chunks of 128: no fewer elements)', bound: chunked, qLen: 600, kvLen: 600, short: false },
    { ...base, name: 'natten-1d f32 d64 (short rows)', bound: n1, qLen: 300, kvLen: 300, dtype: 'f32', short: true },
    { ...base, name: 'natten-1d f16 d128 (short rows)', bound: n1, qLen: 300, kvLen: 300, headDim: 128, short: true },
    { ...base, name: 'natten-2d f32 d64, boxes (short rows)', bound: n2, qLen: 1024, kvLen: 1024, dtype: 'f32', short: true },
    { ...base, name: 'holes f16 d64, q_len > kv_len, fully masked rows (short rows)', bound: holes, qLen: 230, kvLen: 200, short: true },
    { ...base, name: 'holes f16 d128, GQA 4:2, q_len > kv_len, fully masked rows (short rows)', bound: holes, heads: 4, kvHeads: 2, qLen: 230, kvLen: 200, headDim: 128, short: true },
  ];
  let outcomes: CaseOutcome[] = [];
  let atDefaults: CaseOutcome[] = [];
  beforeAll(() => {
    outcomes = runKernelCases(cases, false);
    atDefaults = runKernelCases([cases[0]], true);
  }, 600_000);

  it('match the float64 reference', () => {
    expect(outcomes.flatMap((o, i) => expectClose(o, cases[i].dtype))).toEqual([]);
    expect(atDefaults.flatMap((o) => expectClose(o, 'f16'))).toEqual([]);
  });

  it('run the short-row tiles exactly where they apply', () => {
    const tiles = outcomes.map((o) => (o.result.ok ? o.result.tiles : undefined));
    const long = tiles[3]!;
    expect(long.blockQ).toBe(64);
    // The half-height tiles: 32 query rows, 2 an invocation, 32-key chunks with f16 arithmetic at head dim 64, else 16.
    const half = (c: KernelCase) => `32/2/${c.dtype === 'f16' && c.headDim === 64 ? 32 : 16}`;
    cases.forEach((c, i) => {
      const t = tiles[i]!;
      const got = [t.blockQ, t.rows, t.kvChunk].join('/');
      if (c.unset) {
        const fallback = outcomes[i].result.fallback === true;
        expect(got, c.name).toBe(fallback ? [64, long.rows, long.kvChunk].join('/') : half(c));
        return;
      }
      if (c.short) expect(got, c.name).toBe(half(c));
      else expect(t.blockQ, c.name).toBe(64);
    });
    expect(tiles[4]!.kvChunk, 'a given chunk').toBe(32);
    expect(tiles[5]!.rows, 'a given row count').toBe(4);
    expect(outcomes[1].result.ok && outcomes[1].result.boxes, 'natten-2d ran boxes').toBeTruthy();
    // The holes cases have rows that attend to nothing (o = 0, lse = -inf, checked by expectClose).
    cases.forEach((c, i) => { if (c.bound === holes) expect(outcomes[i].maskedRows, c.name).toBeGreaterThan(0); });
    // WebGPU's default limits give f16 8-key chunks already: nothing smaller to take.
    expect(atDefaults[0].result.ok && atDefaults[0].result.tiles.kvChunk).toBe(8);
    // lavapipe says it is a fallback adapter (CI runs there).
    if (outcomes[0].result.adapter.startsWith('llvmpipe')) expect(outcomes[0].result.fallback).toBe(true);
  });
});
