/**
 * The simulator's CUDA Hopper forward in box tiles against the H200
 * (bench/results/cuda-h200-box-bench-2026-12-02.json: natten-2d, natten-3d and Swin in box
 * tiles and in strips): strips and the automatic choice each within 15% of the measured time,
 * and the automatic choice the tiles that ran faster where they differ by more than 5%.
 */
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bind, check, simulate } from '../../compiler/index.ts';
import { CONFIGS } from '../../bench/cuda/box/configs.ts';

interface Row { id: string; S: number; attnc: Record<string, { ms?: number } | undefined> }
describe('simulate: CUDA box tiles against the H200', () => {
  it('prices strips and the automatic choice within 15%, and chooses the faster tiles', () => {
    const rows = (JSON.parse(fs.readFileSync('bench/results/cuda-h200-box-bench-2026-12-02.json', 'utf8')) as { rows: Row[] }).rows;
    let checked = 0;
    for (const r of rows) {
      const c = CONFIGS.find((x) => x.id === r.id);
      if (!c || c.file === 'patterns/radial.attn') continue;  // radial: no layout, strips only
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
