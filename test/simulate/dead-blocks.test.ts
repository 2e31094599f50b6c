/**
 * Dead blocks as the simulator counts them ([Note: Dead blocks in the model] in
 * compiler/5-simulate/dead-blocks.ts) against the mask evaluated point by point, and their
 * effect on a simulation.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lowerToPlanner } from '../../compiler/pipeline.ts';
import { deadShares } from '../../compiler/5-simulate/dead-blocks.ts';
import { loadProfile, type GpuProfile } from '../../compiler/5-simulate/profile.ts';
import { simulate, wgslDeadBlockGrain } from '../../compiler/5-simulate/simulate.ts';
import { planSchedule } from '../../runtime/schedule/plan.ts';
import { tileTokens } from '../../runtime/schedule/box.ts';
import type { PlanConfig } from '../../runtime/schedule/types.ts';
import { bindText } from '../helpers/compile.ts';

/** The dead share of every PARTIAL tile of group 0, counted point by point. */
function bruteShares(src: string, cfg: PlanConfig, grain: { rows: number; keys: number }): number[] {
  const { planner } = lowerToPlanner(bindText(src));
  const s = planSchedule(planner, cfg);
  const p = planner.bind({ qLen: cfg.qLen, kvLen: cfg.kvLen, heads: cfg.heads }, {}, planner.slots(0, 0, { qLen: cfg.qLen, kvLen: cfg.kvLen, heads: cfg.heads }, {}, {}), {});
  const g = s.groups[0];
  const out: number[] = [];
  for (let qb = 0; qb < s.numQBlocks; qb++) {
    for (let i = g.kvRowPtr[qb]; i < g.kvRowPtr[qb + 1]; i++) {
      const kb = g.kvIndices[i];
      const qt = s.tiles ? tileTokens(s.tiles, s.tiles.q, qb, s.qLen) : Int32Array.from({ length: s.blockQ }, (_, r) => (qb * s.blockQ + r < s.qLen ? qb * s.blockQ + r : -1));
      const kt = s.tiles ? tileTokens(s.tiles, s.tiles.kv, kb, s.kvLen) : Int32Array.from({ length: s.blockKv }, (_, r) => (kb * s.blockKv + r < s.kvLen ? kb * s.blockKv + r : -1));
      let dead = 0, blocks = 0;
      for (let r0 = 0; r0 < s.blockQ; r0 += grain.rows) {
        for (let k0 = 0; k0 < s.blockKv; k0 += grain.keys) {
          let live = false;
          for (let r = r0; r < r0 + grain.rows; r++) for (let t = k0; t < k0 + grain.keys; t++) if (qt[r] >= 0 && kt[t] >= 0 && p.mask(qt[r], kt[t])) live = true;
          blocks++;
          if (!live) dead++;
        }
      }
      out.push(dead / blocks);
    }
  }
  return out;
}

const counted = (src: string, cfg: PlanConfig, grain: { rows: number; keys: number }, budget?: number) => {
  const { planner } = lowerToPlanner(bindText(src));
  return [...deadShares(planner, planSchedule(planner, cfg), cfg, grain, budget)[0]];
};

describe('dead blocks in the simulator', () => {
  it('a causal diagonal tile: the two warps above the diagonal are dead in the second chunk', () => {
    const cfg: PlanConfig = { qLen: 256, kvLen: 256, heads: 1, blockQ: 64, blockKv: 64 };
    const shares = counted('pattern c() {\n  causal\n}', cfg, { rows: 16, keys: 32 });
    expect(shares).toEqual([0.25, 0.25, 0.25, 0.25]);
  });

  it('equals the point-by-point count: strips and boxes, lengths that are not block multiples', () => {
    const cases: [string, PlanConfig][] = [
      ['pattern w() {\n  allow abs(q - k) <= 40\n  allow k % 37 == 5\n}', { qLen: 300, kvLen: 333, heads: 1, blockQ: 64, blockKv: 64 }],
      ['pattern f() {\n  causal\n  allow q / 96 == k / 96\n  allow k % 96 >= 90\n}', { qLen: 517, kvLen: 517, heads: 1, blockQ: 32, blockKv: 64 }],
      ['pattern n() {\n  layout grid(y: q_len / 20, x: 20)\n  allow abs(q.y - k.y) <= 2 && abs(q.x - k.x) <= 2\n}', { qLen: 400, kvLen: 400, heads: 1, blockQ: 64, blockKv: 64, tiles: { q: [4, 16], kv: [4, 16] } }],
    ];
    for (const [src, cfg] of cases) {
      for (const grain of [{ rows: 16, keys: 32 }, { rows: 8, keys: 16 }, { rows: 4, keys: 8 }]) {
        expect(counted(src, cfg, grain), `${src.split('\n')[0]} ${JSON.stringify(grain)}`).toEqual(bruteShares(src, cfg, grain).map((x) => Math.fround(x)));
      }
    }
  });

  it('over its budget, counts a sample and gives each other tile a counted neighbour\'s share', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 65, max: 700 }), (w, n) => {
      const src = `pattern s() {\n  causal\n  allow q - k < ${w}\n}`;
      const cfg: PlanConfig = { qLen: n, kvLen: n, heads: 1, blockQ: 64, blockKv: 64 };
      const all = counted(src, cfg, { rows: 16, keys: 32 });
      const sampled = counted(src, cfg, { rows: 16, keys: 32 }, 64 * 64);
      expect(sampled.length).toBe(all.length);
      expect(sampled[0]).toBe(all[0]);
      for (const x of sampled) expect(all).toContain(x);
    }), { numRuns: 25 });
  });

  it('the H200 WebGPU model: the grain of the tiles the runtime runs, and dead blocks make PARTIAL-heavy patterns cheaper', () => {
    const gpu = loadProfile('h200')!;
    const km = gpu.kernels['attnc-wgsl'];
    // f32 d64: 64-row tiles of 4 rows an invocation, 8 lanes, 32-key chunks (48 KB); half-height: 2 rows, 16-key chunks.
    expect(wgslDeadBlockGrain(km, { headDim: 64, dtypeBytes: 4 }, false)).toEqual({ rows: 16, keys: 32 });
    expect(wgslDeadBlockGrain(km, { headDim: 64, dtypeBytes: 4 }, true)).toEqual({ rows: 8, keys: 16 });
    // f16 d128 with f16 arithmetic: 2 rows an invocation, 32-key chunks.
    expect(wgslDeadBlockGrain(km, { headDim: 128, dtypeBytes: 2 }, false)).toEqual({ rows: 8, keys: 32 });
    const { deadBlocks, ...rest } = km;
    expect(deadBlocks).toBeDefined();
    const without: GpuProfile = { ...gpu, kernels: { ...gpu.kernels, 'attnc-wgsl': rest } };
    const run = (src: string, g: GpuProfile) => {
      const bp = bindText(src);
      return simulate(bp, lowerToPlanner(bp).planner, g, 'attnc-wgsl', { batch: 1, heads: 4, kvHeads: 4, qLen: 4096, kvLen: 4096, headDim: 64, dtypeBytes: 2, tiles: 'auto' }).sparseMs;
    };
    const fixed = 'pattern f() {\n  causal\n  allow q / 128 == k / 128\n  allow k % 128 >= 120\n}';
    expect(run(fixed, gpu)).toBeLessThan(0.8 * run(fixed, without));
    const chunked = 'pattern c() {\n  allow q / 1024 == k / 1024\n}';
    expect(run(chunked, gpu)).toBe(run(chunked, without));
  });
});
