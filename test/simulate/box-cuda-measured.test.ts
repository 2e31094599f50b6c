/**
 * The simulator's CUDA Hopper forward in box tiles against the H200
 * (bench/results/cuda-h200-box-bench-2026-12-02.json: natten-2d, natten-3d and Swin in box
 * tiles and in strips): strips and the automatic choice each within 15% of the measured time,
 * and the automatic choice the tiles that ran faster where they differ by more than 5%.
 */
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bind, check, simulate } from '../../compiler/index.ts';

interface Row { id: string; S: number; attnc: Record<string, { ms?: number } | undefined> }
const CONFIGS: Record<string, { file: string; params: Record<string, number> }> = {
  natten2d_k7_128: { file: 'patterns/natten-2d.attn', params: { kernel_y: 7, kernel_x: 7, height: 128, width: 128 } },
  natten2d_k7_256: { file: 'patterns/natten-2d.attn', params: { kernel_y: 7, kernel_x: 7, height: 256, width: 256 } },
  natten2d_k13_128: { file: 'patterns/natten-2d.attn', params: { kernel_y: 13, kernel_x: 13, height: 128, width: 128 } },
  natten2d_k13_256: { file: 'patterns/natten-2d.attn', params: { kernel_y: 13, kernel_x: 13, height: 256, width: 256 } },
  natten3d_k7_16x64x64: { file: 'patterns/natten-3d.attn', params: { kernel_t: 7, kernel_y: 7, kernel_x: 7, frames: 16, height: 64, width: 64 } },
  swin_w8_128: { file: 'patterns/swin.attn', params: { window: 8, height: 128, width: 128 } },
  swin_w8_256: { file: 'patterns/swin.attn', params: { window: 8, height: 256, width: 256 } },
};

describe('simulate: CUDA box tiles against the H200', () => {
  it('prices strips and the automatic choice within 15%, and chooses the faster tiles', () => {
    const rows = (JSON.parse(fs.readFileSync('bench/results/cuda-h200-box-bench-2026-12-02.json', 'utf8')) as { rows: Row[] }).rows;
    let checked = 0;
    for (const r of rows) {
      const c = CONFIGS[r.id];
      if (!c) continue;
      const p = bind(check(fs.readFileSync(c.file, 'utf8'), { name: c.file }).patterns[0], c.params);
      const sim = (tiles: 'strip' | 'auto') => simulate(p, { qLen: r.S, gpu: 'h200', kernel: 'attnc-cuda', heads: 16, headDim: 128, tiles });
      const strip = sim('strip'), auto = sim('auto');
      const boxMs = r.attnc.box!.ms!, stripMs = r.attnc.strip!.ms!;
      expect(Math.abs(strip.sparseMs / stripMs - 1), `${r.id} strips: ${strip.sparseMs.toFixed(3)} ms modelled, ${stripMs.toFixed(3)} measured`).toBeLessThan(0.15);
      const boxes = auto.tiles !== 'strip';
      const measured = boxes ? boxMs : stripMs;
      expect(Math.abs(auto.sparseMs / measured - 1), `${r.id} auto (${auto.tiles}): ${auto.sparseMs.toFixed(3)} ms modelled, ${measured.toFixed(3)} measured`).toBeLessThan(0.15);
      if (boxMs < stripMs / 1.05) expect(boxes, `${r.id}: boxes ran faster`).toBe(true);
      if (stripMs < boxMs / 1.05) expect(boxes, `${r.id}: strips ran faster`).toBe(false);
      checked++;
    }
    expect(checked).toBe(7);
  }, 120_000);
});
