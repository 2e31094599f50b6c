/**
 * The simulator's price of data-dependent selection against the H200's measured calls
 * (bench/results/cuda-h200-select-bench-2026-12-02-run3.json: selection and attention of the
 * bundled MoBA and NSA patterns at 32k-128k tokens): every total within 15%.
 */
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bind, check, simulate } from '../../compiler/index.ts';

interface Row { pattern: string; S: number; heads: number; kv_heads: number; head_dim: number; kind: string; block: number; topk: number; local?: number; attnc_total_ms: number }

describe('simulate: select patterns against the H200', () => {
  it('prices MoBA and NSA selection within 15% of the measured total', () => {
    const rows = (JSON.parse(fs.readFileSync('bench/results/cuda-h200-select-bench-2026-12-02-run3.json', 'utf8')) as { rows: Row[] }).rows;
    expect(rows.length).toBe(12);
    for (const r of rows) {
      const file = r.kind === 'moba' ? 'patterns/moba.attn' : 'patterns/nsa-select.attn';
      const params: Record<string, number> = r.kind === 'moba' ? { block: r.block, topk: r.topk } : { block: r.block, topn: r.topk, local: r.local ?? 3 };
      const p = bind(check(fs.readFileSync(file, 'utf8'), { name: file }).patterns[0], params);
      const sim = simulate(p, { qLen: r.S, gpu: 'h200', heads: r.heads, kvHeads: r.kv_heads, headDim: r.head_dim, batch: 1 }).sparseMs;
      expect(Math.abs(sim / r.attnc_total_ms - 1), `${r.pattern} at ${r.S}: ${sim.toFixed(3)} ms modelled, ${r.attnc_total_ms.toFixed(3)} measured`).toBeLessThan(0.15);
    }
  });
});
