/** The speedup simulator's model properties, on the calibrated H100 profile and every bundled profile. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lowerToPlanner } from '../../compiler/pipeline.ts';
import { loadProfile, profileNames } from '../../compiler/5-simulate/profile.ts';
import { listSchedule, simulate, type SimShape } from '../../compiler/5-simulate/simulate.ts';
import { bindText } from '../helpers/compile.ts';

const shape = (S: number, heads = 16): SimShape => ({ batch: 1, heads, kvHeads: heads, qLen: S, kvLen: S, headDim: 128, dtypeBytes: 2 });
const h100 = loadProfile('h100')!;

function sim(src: string, S: number, kernel = 'attnc-cuda', params = {}) {
  const bp = bindText(src, params);
  return simulate(bp, lowerToPlanner(bp).planner, h100, kernel, shape(S));
}

describe('simulator', () => {
  it('a dense pattern predicts 1.0x against the same kernel run dense', () => {
    for (const k of ['attnc-cuda', 'flex', 'attnc-wgsl']) {
      const r = sim('pattern dense() {\n}', 8192, k);
      expect(r.speedup).toBeCloseTo(1, 6);
      expect(r.partialTiles).toBe(0);
    }
  });

  it('diagonal masks cost less per PARTIAL tile with the diagonal band, unless scores are modified', () => {
    const h200 = loadProfile('h200')!;
    const run = (src: string, band: boolean) => {
      const bp = bindText(src);
      const gpu = { ...h200, kernels: { ...h200.kernels, 'attnc-cuda': { ...h200.kernels['attnc-cuda'], diagonalBand: band } } };
      return simulate(bp, lowerToPlanner(bp).planner, gpu, 'attnc-cuda', shape(8192)).sparseMs;
    };
    const strided = 'pattern s() {\n  causal\n  allow q - k < 128\n  allow (q - k) % 128 == 0\n}';
    expect(run(strided, true)).toBeLessThan(run(strided, false) * 0.98);
    const sinks = 'pattern s() {\n  causal\n  allow q - k < 128\n  allow k < 4\n}';  // k alone: not diagonal
    expect(run(sinks, true)).toBe(run(sinks, false));
    const capped = 'pattern s() {\n  causal\n  allow q - k < 128\n  softcap = 30.0\n}';
    expect(run(capped, true)).toBe(run(capped, false));
  });

  it('removing tiles never lowers the predicted speedup', () => {
    const src = 'pattern sw(window: int = 1024) {\n  causal\n  allow q - k < window\n}';
    let prev = 0;
    for (const w of [16384, 8192, 4096, 2048, 1024, 512, 256]) {
      const r = sim(src, 16384, 'attnc-cuda', { window: String(w) });
      expect(r.speedup).toBeGreaterThanOrEqual(prev * 0.999);
      prev = r.speedup;
    }
  });

  it('a query block with far more tiles shows up as tail', () => {
    const balanced = sim('pattern sw() {\n  allow abs(q - k) < 512\n}', 32768);
    const global = sim('pattern g() {\n  allow abs(q - k) < 512\n  allow q < 16\n}', 32768);
    expect(global.gap.tailMs).toBeGreaterThan(4 * balanced.gap.tailMs);
    expect(global.gap.tailMs / global.sparseMs).toBeGreaterThan(0.1);
  });

  it('partial tiles cost more than full ones (masking)', () => {
    const r = sim('pattern d() {\n  causal\n  allow (q - k) % 2 == 0\n}', 8192);
    expect(r.gap.maskingMs).toBeGreaterThan(0);
  });

  it('very short queries are memory bound, not compute bound', () => {
    const bp = bindText('pattern c() {\n  causal\n}');
    const r = simulate(bp, lowerToPlanner(bp).planner, h100, 'attnc-cuda', { ...shape(1, 32), qLen: 1, kvLen: 1 << 20 });
    expect(r.workItems).toBe(32);
    // Decode over a 1M-token cache: reading K and V (16 GiB) dominates.
    expect(r.gap.memoryMs).toBeGreaterThan(0);
    expect(r.sparseMs).toBeGreaterThan((2 * 32 * (1 << 20) * 128 * 2) / 3.0e9 * 0.99);
  });

  it('list scheduling: makespan bounds', () => {
    expect(listSchedule([5, 5, 5, 5], 2)).toBe(10);
    expect(listSchedule([9, 1, 1, 1], 2)).toBe(9);
    expect(listSchedule([], 4)).toBe(0);
  });

  it('every bundled profile simulates every kernel it models, and says whether it is calibrated', () => {
    const bp = bindText('pattern sw() {\n  causal\n  allow q - k < 1024\n}');
    const { planner } = lowerToPlanner(bp);
    for (const name of profileNames()) {
      const p = loadProfile(name)!;
      expect(typeof p.calibrated).toBe('boolean');
      expect(p.source.length).toBeGreaterThan(20);
      for (const k of Object.keys(p.kernels)) {
        const r = simulate(bp, planner, p, k, shape(8192));
        expect(r.speedup, `${name} ${k}`).toBeGreaterThan(1);
        expect(Number.isFinite(r.sparseMs)).toBe(true);
      }
    }
  });
});

describe('attnc simulate CLI', () => {
  const attnc = (...args: string[]) => spawnSync(process.execPath, ['bin/attnc.mjs', ...args], { encoding: 'utf8' });
  it('prints a table, JSON, and a sweep plot with measured points', () => {
    const t = attnc('simulate', 'patterns/sliding-window.attn', '--q-len', '16k', '--param', 'window=1024');
    expect(t.status).toBe(0);
    expect(t.stdout).toContain('attnc-cuda on NVIDIA H100');
    const j = attnc('simulate', 'patterns/streaming.attn', '--q-len', '8k', '--kernel', 'flex', '--gpu', 'a100', '--format', 'json');
    expect(JSON.parse(j.stdout).calibrated).toBe(false);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attnc-sim-'));
    fs.writeFileSync(path.join(dir, 'm.json'), JSON.stringify([{ x: 16384, speedup: 10 }]));
    const svg = path.join(dir, 'sweep.svg');
    const s = attnc('simulate', 'patterns/sliding-window.attn', '--q-len', '4k', '--param', 'window=1024', '--sweep', 'q_len=4k..64k', '--results', path.join(dir, 'm.json'), '-o', svg);
    expect(s.status).toBe(0);
    const text = fs.readFileSync(svg, 'utf8');
    expect(text).toContain('<polyline');
    expect(text).toContain('<circle');
  });
  it('rejects unknown profiles and kernels with codes', () => {
    expect(attnc('simulate', 'patterns/causal.attn', '--q-len', '4k', '--gpu', 'tpu').stderr).toContain('error[bad_param_value]');
    expect(attnc('simulate', 'patterns/causal.attn', '--q-len', '4k', '--kernel', 'magic').stderr).toContain('error[bad_param_value]');
  });
});
