/**
 * The benchmark report computes the figures from run.py's JSON: ratios, percent of
 * the tile ideal, tile throughput, the first bar and the geometric mean.
 */
import { describe, expect, it } from 'vitest';
import { report } from '../../bench/cuda/report.ts';

describe('bench/cuda/report', () => {
  it('derives the table and the bars from a measured run', () => {
    const md = report(['bench/results/cuda-h100-sm90-first.json']);
    // chunk2048 at 16k: 0.741 ms for one eighth of 4 * 16 * 16384^2 * 128 FLOPs.
    expect(md).toMatch(/\| 16384 \| chunk2048 \| 0\.741 \| 0\.996 \| 0\.694 \| 6\.086 \| 3\.427 \| 8\.22x \| 0\.94x \| 8\.00x \| 103% \| 371 \| - \|/);
    expect(md).toContain('**not met**: causal at 16384 (0.90x), sw1024_causal at 16384 (0.91x), chunk2048 at 16384 (0.94x), document_causal at 16384 (0.67x)');
    expect(md).toContain('Geometric mean over FlexAttention: 0.85x');
    expect(md).toContain('Full-tile throughput: 371 TFLOP/s (chunk2048 at 16384)');
  });
});
