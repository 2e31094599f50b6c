/** The simulator prices box tiles (docs/schedule.md, "Box tiles") for kernels that take them, strips for the others. */
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lowerToPlanner } from '../../compiler/pipeline.ts';
import { loadProfile } from '../../compiler/5-simulate/profile.ts';
import { simulate, type SimShape } from '../../compiler/5-simulate/simulate.ts';
import { bindText } from '../helpers/compile.ts';

const bp = bindText(fs.readFileSync('patterns/natten-2d.attn', 'utf8'), { height: 128, width: 128, kernel_y: 13, kernel_x: 13 });
const { planner } = lowerToPlanner(bp);
const gpu = loadProfile('webgpu-laptop')!;
const shape: SimShape = { batch: 1, heads: 4, kvHeads: 4, qLen: 16384, kvLen: 16384, headDim: 64, dtypeBytes: 4 };

describe('simulate: box tiles', () => {
  it('models the chosen boxes of the WebGPU kernel: fewer tiles, the same dense time', () => {
    const strip = simulate(bp, planner, gpu, 'attnc-wgsl', { ...shape, tiles: 'strip' });
    const auto = simulate(bp, planner, gpu, 'attnc-wgsl', { ...shape, tiles: 'auto' });
    expect(strip.tiles).toBe('strip');
    expect(auto.tiles).not.toBe('strip');
    expect(auto.fullTiles + auto.partialTiles).toBeLessThan(strip.fullTiles + strip.partialTiles);
    expect(auto.denseMs).toBeCloseTo(strip.denseMs, 9);
    expect(auto.sparseMs).toBeLessThan(strip.sparseMs);
    expect(auto.idealSpeedup).toBeGreaterThan(strip.idealSpeedup);
  });

  it('plans strips for kernels that take strips only', () => {
    const a100 = loadProfile('a100')!;
    expect(simulate(bp, planner, a100, 'attnc-cuda', { ...shape, tiles: 'auto' }).tiles).toBe('strip');
    expect(simulate(bp, planner, loadProfile('h100')!, 'flex', { ...shape, tiles: 'auto' }).tiles).toBe('strip');
  });

  it("models the CUDA Hopper forward's boxes: last side at least 8, a cost per run", () => {
    const h200 = loadProfile('h200')!;
    const auto = simulate(bp, planner, h200, 'attnc-cuda', { ...shape, tiles: 'auto' });
    expect(auto.tiles).not.toBe('strip');
    expect(Number(auto.tiles.split(',')[0].split('x').at(-1))).toBeGreaterThanOrEqual(8);
    // The same boxes cost more where their key box has more runs.
    const wide = simulate(bp, planner, h200, 'attnc-cuda', { ...shape, tiles: { q: [8, 16], kv: [8, 16] } });
    const tall = simulate(bp, planner, h200, 'attnc-cuda', { ...shape, tiles: { q: [16, 8], kv: [16, 8] } });
    expect(wide.fullTiles + wide.partialTiles).toBe(tall.fullTiles + tall.partialTiles);
    expect(tall.sparseMs).toBeGreaterThan(wide.sparseMs);
  });
});
