/**
 * The benchmark report computes the figures from run.py's JSON: ratios, percent of
 * the tile ideal, tile throughput, the first bar and the geometric mean.
 */
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { report } from '../../bench/cuda/report.ts';

describe('bench/cuda/report', () => {
  it('derives the table and the bars from a measured run', () => {
    const md = report(['bench/results/cuda-h100-sm90-first.json']);
    // chunk2048 at 16k: 0.741 ms for one eighth of 4 * 16 * 16384^2 * 128 FLOPs; % of ideal:
    // cuDNN dense 3.427 ms / 8 / 0.741 ms = 58%.
    expect(md).toMatch(/\| 16384 \| chunk2048 \| 0\.741 \| 0\.996 \| 0\.694 \| 6\.086 \| 3\.427 \| 8\.22x \| 0\.94x \| 8\.00x \| 58% \| 371 \| - \|/);
    expect(md).toContain('**not met**: causal at 16384 (0.90x), sw1024_causal at 16384 (0.91x), chunk2048 at 16384 (0.94x), document_causal at 16384 (0.67x)');
    expect(md).toContain('Geometric mean over FlexAttention: 0.85x');
    expect(md).toContain('Full-tile throughput: 371 TFLOP/s (chunk2048 at 16384)');
  });
  it('reports the key block the host picks where the run timed it', () => {
    const md = report(['bench/results/cuda-h200-2026-11-29-be23017.json']);
    // document at 32k: the host's choice (bk0) took 1.032 ms, the fixed 64- and 128-key blocks
    // 1.192 and 1.088; the row must show the default, not the better fixed one.
    const row = md.split('\n').find((l) => l.startsWith('| 32768 | document_causal |'));
    const run = JSON.parse(fs.readFileSync('bench/results/cuda-h200-2026-11-29-be23017.json', 'utf8'));
    const r = run.bench.find((x: { id: string; S: number }) => x.id === 'document_causal' && x.S === 32768);
    expect(row?.split(' | ')[2]).toBe(r.attnc_bk0_ms.toFixed(3));
    expect(md).toContain('**met** (20 of 20)');
  });
  it('shows the later file where two hold the same pattern and length', () => {
    const md = report(['bench/results/cuda-h200-2026-11-29-f7a33cc.json', 'bench/results/cuda-h200-2026-11-29-46ebc45.json']);
    const rows = (id: string, S: number) => md.split('\n').filter((l) => l.startsWith(`| ${S} | ${id} |`));
    expect(rows('longformer_w512_g16', 16384)).toHaveLength(1);
    expect(rows('longformer_w512_g16', 16384)[0]).toContain('| 0.348 |');  // 46ebc45, not f7a33cc's 0.395
    expect(rows('causal', 16384)[0]).toContain('| 2.100 |');  // only in f7a33cc
    expect(md).toContain('over 30 points');
  });
});
