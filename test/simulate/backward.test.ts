/** The simulator's backward pass (compiler/5-simulate/backward.ts) and `--pass` on the CLI. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { lowerToPlanner } from '../../compiler/pipeline.ts';
import { simulateBackward } from '../../compiler/5-simulate/backward.ts';
import { hasPass, simulatePass } from '../../compiler/5-simulate/passes.ts';
import { loadProfile, profileNames, type BackwardModel, type GpuProfile } from '../../compiler/5-simulate/profile.ts';
import type { SimShape } from '../../compiler/5-simulate/simulate.ts';
import { bindText } from '../helpers/compile.ts';

const shape = (S: number, heads = 16, kvHeads = heads): SimShape => ({ batch: 1, heads, kvHeads, qLen: S, kvLen: S, headDim: 128, dtypeBytes: 2 });
const h200 = loadProfile('h200')!;
const sliding = 'pattern sw() {\n  causal\n  allow q - k < 1024\n}';
const sinks = 'pattern s() {\n  causal\n  allow q - k < 1024\n  allow k < 4\n}';

function bwd(src: string, S: number, kernel = 'attnc-cuda', gpu: GpuProfile = h200, sh = shape(S)) {
  const bp = bindText(src);
  return simulateBackward(bp, lowerToPlanner(bp).planner, gpu, kernel, sh);
}

describe('simulator: backward', () => {
  it('the H200 profile models the backward of attnc-cuda and flex', () => {
    for (const k of ['attnc-cuda', 'flex']) expect(hasPass(h200, k, 'backward'), k).toBe(true);
    expect(hasPass(h200, 'attnc-wgsl', 'backward')).toBe(false);
    expect(hasPass(h200, 'attnc-wgsl', 'forward')).toBe(true);
  });

  it('a dense pattern predicts 1.0x against the same kernel run dense, with every tile FULL', () => {
    for (const k of ['attnc-cuda', 'flex']) {
      const r = bwd('pattern dense() {\n}', 8192, k);
      expect(r.speedup, k).toBeCloseTo(1, 6);
      expect(r.partialTiles).toBe(0);
      expect(r.pass).toBe('backward');
    }
  });

  it('lists every tile once (rows), and two items per block (dK/dV and dQ)', () => {
    const r = bwd(sliding, 16384);
    const fwdTiles = 16384 / 64;  // query blocks of 64
    expect(r.workItems).toBe(2 * 16 * fwdTiles);
    expect(r.fullTiles + r.partialTiles).toBeGreaterThan(16 * fwdTiles);
    expect(r.idealSpeedup).toBeGreaterThan(10);
  });

  it('GQA: one dK/dV item per kv head and key block, dQ items per query head', () => {
    const mha = bwd(sliding, 8192), gqa = bwd(sliding, 8192, 'attnc-cuda', h200, shape(8192, 16, 4));
    expect(gqa.workItems).toBe(16 * 128 + 4 * 128);
    expect(mha.workItems).toBe(32 * 128);
    // The same tiles: the same work, in fewer, longer dK/dV items.
    expect(gqa.fullTiles).toBe(mha.fullTiles);
  });

  it('longest first: a key block every query sees (sinks) starts early instead of becoming the tail', () => {
    const plain = bwd(sliding, 16384), sink = bwd(sinks, 16384);
    expect(sink.gap.tailMs).toBeLessThan(0.05 * sink.sparseMs);
    expect(sink.sparseMs).toBeLessThan(1.2 * plain.sparseMs);
    // FlexAttention's launch order (per head, key blocks in order) leaves that column to the end of each head.
    const flexPlain = bwd(sliding, 16384, 'flex'), flexSink = bwd(sinks, 16384, 'flex');
    expect(flexSink.sparseMs).toBeGreaterThan(flexPlain.sparseMs);
  });

  it('both = forward + backward', () => {
    const bp = bindText(sliding);
    const { planner } = lowerToPlanner(bp);
    const f = simulatePass(bp, planner, h200, 'attnc-cuda', shape(16384), 'forward');
    const b = simulatePass(bp, planner, h200, 'attnc-cuda', shape(16384), 'backward');
    const t = simulatePass(bp, planner, h200, 'attnc-cuda', shape(16384), 'both');
    expect(t.pass).toBe('both');
    expect(t.sparseMs).toBeCloseTo(f.sparseMs + b.sparseMs, 9);
    expect(t.baselineMs).toBeCloseTo(f.baselineMs + b.baselineMs, 9);
    expect(t.speedupVsBaseline).toBeCloseTo(t.baselineMs / t.sparseMs, 9);
    expect(t.idealSpeedup).toBeGreaterThan(Math.min(f.idealSpeedup, b.idealSpeedup) * 0.999);
    expect(t.idealSpeedup).toBeLessThan(Math.max(f.idealSpeedup, b.idealSpeedup) * 1.001);
  });

  it('head dim 64 costs less than 128; a profile without a backward model says so', () => {
    expect(bwd(sliding, 8192, 'attnc-cuda', h200, { ...shape(8192), headDim: 64 }).sparseMs).toBeLessThan(bwd(sliding, 8192).sparseMs);
    const m: BackwardModel | undefined = h200.kernels['attnc-cuda'].backward;
    expect(m?.colTileUs).toBeGreaterThan(m!.rowTileUs);
    expect(() => bwd(sliding, 8192, 'attnc-cuda', loadProfile('h100')!)).toThrow(/no backward model/);
  });

  it('every bundled profile with a backward model simulates it', () => {
    for (const name of profileNames()) {
      const p = loadProfile(name)!;
      for (const k of Object.keys(p.kernels).filter((k) => hasPass(p, k, 'backward'))) {
        const r = bwd(sliding, 8192, k, p);
        expect(r.speedup, `${name} ${k}`).toBeGreaterThan(1);
      }
    }
  });
});

describe('attnc simulate --pass', () => {
  const attnc = (...args: string[]) => spawnSync(process.execPath, ['bin/attnc.mjs', ...args], { encoding: 'utf8' });
  it('prints the backward and forward + backward tables', () => {
    const b = attnc('simulate', 'patterns/streaming.attn', '--q-len', '16k', '--gpu', 'h200', '--pass', 'backward');
    expect(b.status).toBe(0);
    expect(b.stdout).toContain('attnc-cuda on NVIDIA H200, backward');
    const t = attnc('simulate', 'patterns/streaming.attn', '--q-len', '16k', '--gpu', 'h200', '--pass', 'both', '--kernel', 'flex', '--format', 'json');
    expect(t.status).toBe(0);
    expect(JSON.parse(t.stdout).pass).toBe('both');
    const s = attnc('simulate', 'patterns/streaming.attn', '--q-len', '4k', '--gpu', 'h200', '--pass', 'both', '--sweep', 'q_len=4k..16k');
    expect(s.status).toBe(0);
    expect(s.stdout.split('\n').filter((l) => l.startsWith('| 4096') || l.startsWith('| 8192') || l.startsWith('| 16384'))).toHaveLength(3);
  });
  it('refuses an unknown pass, and a profile without a backward model, with codes and no stack', () => {
    const bad = attnc('simulate', 'patterns/causal.attn', '--q-len', '4k', '--pass', 'sideways');
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('error[bad_param_value]');
    const none = attnc('simulate', 'patterns/causal.attn', '--q-len', '4k', '--gpu', 'h100', '--pass', 'backward');
    expect(none.stderr).toContain('no backward model');
    expect(none.stderr).not.toMatch(/\n\s+at /);
  });
});
