/**
 * The register-tiled WGSL kernel (`AttentionConfig.kernel = 'tiled'`,
 * templates/wgsl/attention-tiled.wgsl.hbs) on the scratch patterns of kernels.test.ts (fully
 * masked rows, GQA, q_len != kv_len both ways, runtime scalars, input arrays, scores near
 * -1e31, odd head dims) and the box tiles of box-tiles.test.ts, against the same float64
 * reference and tolerances as the default kernel; its tile choice; and the fallback to the
 * simple kernel where no tiled shape fits the workgroup memory.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { chooseTiledTiles, DEFAULT_LIMITS, describeTiles, HEAD_DIMS, subgroupMinSize, type Dtype } from '../../runtime/webgpu/tiles.ts';
import { bindText } from '../helpers/compile.ts';
import { boxCases } from './box-cases.ts';
import { expectClose, runKernelCases, webgpuUnavailable, type CaseOutcome, type KernelCase } from './harness.ts';
import { scratchCases } from './scratch-cases.ts';

describe('chooseTiledTiles', () => {
  it('fits the default limits wherever a tiled shape fits, with whole register tiles', () => {
    const missing: string[] = [];
    for (const dtype of ['f32', 'f16'] as Dtype[]) {
      for (const d of HEAD_DIMS) {
        const t = chooseTiledTiles(DEFAULT_LIMITS, d, dtype);
        if (!t) { missing.push(`${dtype} d${d}`); continue; }
        expect(t.workgroupBytes).toBeLessThanOrEqual(16384);
        expect(t.workgroupSize).toBeLessThanOrEqual(256);
        expect(t.kernel).toBe('tiled');
        expect((d / 4) % t.lanes).toBe(0);
        expect(t.kvChunk % t.lanes).toBe(0);
        expect(t.blockQ % t.rows!).toBe(0);
      }
    }
    // The Q tile of 16 rows plus two key chunks of LANES (8) rows exceed 16 KB from here on
    // (d144 has 4 lanes, so chunks of 4 keys, and fits).
    expect(missing).toEqual(['f32 d128', 'f32 d160', 'f32 d176', 'f32 d192', 'f32 d208', 'f32 d224', 'f32 d240', 'f32 d256', 'f16 d256']);
  });

  it('uses subgroup reductions only where the subgroup size holds LANES, unless turned off', () => {
    const at = (min: number | undefined, o = {}) => chooseTiledTiles(DEFAULT_LIMITS, 64, 'f32', o, min)!;
    expect(at(undefined).subgroups).toBeUndefined();
    expect(at(4).subgroups).toBeUndefined();  // 8 lanes at head dim 64
    expect(at(8).subgroups).toBe(true);
    expect(at(4, { lanes: 4 }).subgroups).toBe(true);
    expect(at(32, { subgroups: false }).subgroups).toBeUndefined();
    // No `red` words: the same tile shape takes fewer bytes.
    const sg = at(8), same = at(undefined, { blockQ: sg.blockQ, kvChunk: sg.kvChunk });
    expect(sg.workgroupBytes).toBe(same.workgroupBytes - sg.blockQ * sg.lanes * 4);
    expect(describeTiles(at(8))).toContain(' subgroups');
    expect(subgroupMinSize({ features: new Set(['subgroups']), adapterInfo: { subgroupMinSize: 16 } })).toBe(16);
    expect(subgroupMinSize({ features: new Set<string>(), adapterInfo: { subgroupMinSize: 16 } })).toBeUndefined();
    expect(subgroupMinSize({ features: new Set(['subgroups']) })).toBeUndefined();
  });

  it('grows with the workgroup memory a device grants', () => {
    const big = { ...DEFAULT_LIMITS, maxComputeWorkgroupStorageSize: 49152 };
    const t = chooseTiledTiles(big, 128, 'f16')!;
    // f16 arithmetic: 2 rows where a lane owns 4 output vec4s.
    expect([t.blockQ, t.kvChunk, t.lanes, t.rows, t.workgroupSize, t.math]).toEqual([64, 32, 8, 2, 256, 'f16']);
    expect(chooseTiledTiles(big, 256, 'f32')).toBeDefined();
  });

  it('takes f16 arithmetic for f16 tensors staged in f16 only, with at most 4 keys per lane', () => {
    const big = { ...DEFAULT_LIMITS, maxComputeWorkgroupStorageSize: 49152 };
    const h = chooseTiledTiles(big, 64, 'f16')!;
    expect([h.math, h.kvChunk, h.rows]).toEqual(['f16', 32, 4]);
    expect(describeTiles(h)).toContain(' f16-math');
    const off = chooseTiledTiles(big, 64, 'f16', { math: 'f32' })!;
    expect([off.math, off.kvChunk, off.rows]).toEqual([undefined, 64, 4]);
    expect(chooseTiledTiles(big, 64, 'f16', { stage: 'f32' })!.math).toBeUndefined();
    expect(chooseTiledTiles(big, 64, 'f32', { math: 'f16' })!.math).toBeUndefined();
    // The probability tile is f16: 2 bytes a score instead of 4.
    expect(h.workgroupBytes).toBe(chooseTiledTiles(big, 64, 'f16', { math: 'f32', kvChunk: 32 })!.workgroupBytes - 64 * 33 * 2);
  });
});

describe.skipIf(webgpuUnavailable())('tiled WGSL kernel on scratch patterns and box tiles', () => {
  const tiled = <T extends KernelCase>(c: T): T => ({ ...c, kernel: 'tiled', name: `${c.name} tiled` });
  const causal = bindText('pattern c() {\n  causal\n}\n');
  const boxes = boxCases().map(tiled);
  const cases: KernelCase[] = [
    ...scratchCases().map(tiled),
    ...boxes,
    // Register tiles of other shapes: 2 rows x 4 lanes, 8 rows x 16 lanes.
    { name: 'causal f32 rows2 lanes4', bound: causal, batch: 1, heads: 2, kvHeads: 1, qLen: 70, kvLen: 95, headDim: 32, dtype: 'f32', tiles: { blockQ: 16, blockKv: 32, kvChunk: 16, lanes: 4, rows: 2 }, kernel: 'tiled' },
    { name: 'causal f32 rows8 lanes16', bound: causal, batch: 1, heads: 2, kvHeads: 2, qLen: 95, kvLen: 70, headDim: 64, dtype: 'f32', tiles: { blockQ: 16, blockKv: 16, kvChunk: 16, lanes: 16, rows: 8 }, kernel: 'tiled' },
    // f16 tensors with K and V staged as f32.
    { name: 'causal f16 stage f32', bound: causal, batch: 2, heads: 2, kvHeads: 1, qLen: 83, kvLen: 83, headDim: 32, dtype: 'f16', tiles: { stage: 'f32' }, kernel: 'tiled' },
    // f16 tensors with f32 arithmetic (the other f16 cases take f16 arithmetic, the default).
    { name: 'causal f16 math f32', bound: causal, batch: 1, heads: 2, kvHeads: 2, qLen: 77, kvLen: 90, headDim: 64, dtype: 'f16', tiles: { math: 'f32' }, kernel: 'tiled' },
  ];
  // Head dims whose tiled shape does not fit 16 KB, on the adapter's own limits.
  const wideCases: KernelCase[] = [
    { name: 'causal f32 d128 adapter limits tiled', bound: causal, batch: 1, heads: 4, kvHeads: 2, qLen: 75, kvLen: 133, headDim: 128, dtype: 'f32', kernel: 'tiled' },
    { name: 'causal f16 d256 adapter limits tiled', bound: causal, batch: 1, heads: 2, kvHeads: 1, qLen: 70, kvLen: 70, headDim: 256, dtype: 'f16', kernel: 'tiled' },
  ];
  let outcomes: CaseOutcome[] = [];
  let wide: CaseOutcome[] = [];
  beforeAll(() => {
    outcomes = runKernelCases(cases);
    wide = runKernelCases(wideCases, false);
  }, 600_000);

  it('match the float64 reference, with no NaN and zero rows where nothing is allowed', () => {
    expect(outcomes.flatMap((o, i) => expectClose(o, cases[i].dtype))).toEqual([]);
    expect(wide.flatMap((o, i) => expectClose(o, wideCases[i].dtype))).toEqual([]);
  });

  it('ran the tiled kernel wherever its tiles fit, the simple one elsewhere', () => {
    const kernelOf = (o: CaseOutcome) => (o.result.ok ? (o.result.tiles.kernel ?? 'simple') : o.result.message);
    cases.forEach((c, i) => {
      expect(kernelOf(outcomes[i]), c.name).toBe(c.tiles?.blockQ !== undefined || chooseTiledTiles(DEFAULT_LIMITS, c.headDim, c.dtype) ? 'tiled' : 'simple');
    });
    expect(kernelOf(outcomes.find((o) => o.name === 'causal f32 d256 default limits tiled')!)).toBe('simple');
    // lavapipe grants 32 KB of workgroup memory (27.5 KB used): enough for head dim 128 in f32 and 256 in f16.
    expect(wide.map((o) => `${o.name}: ${o.result.ok ? describeTiles(o.result.tiles) : o.result.message}`).filter((d) => !d.includes(' tiled rows'))).toEqual([]);
  });

  it('really exercised fully masked rows, both tile kinds and the boxes asked for', () => {
    const by = (n: string) => outcomes.find((o) => o.name === n)!;
    expect(by('holes f32 tiled').maskedRows).toBeGreaterThan(2 * 2 * 15);
    expect(by('deep f32 tiled').maskedRows).toBe(2 * 17);
    expect(outcomes.some((o) => o.result.ok && o.result.fullTiles > 0)).toBe(true);
    expect(outcomes.some((o) => o.result.ok && o.result.partialTiles > 0)).toBe(true);
    boxes.forEach((c) => {
      const r = by(c.name).result;
      const got = r.ok ? r.boxes : r.message;
      if (c.wantBoxes === 'any') expect(got, c.name).toBeDefined();
      else expect(got, c.name).toBe(c.wantBoxes);
    });
  });
});
