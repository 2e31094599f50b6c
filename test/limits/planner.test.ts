/**
 * Large masks plan in bounded time: a set's interval is tested against its runs of
 * consecutive values (`allow q - k in {0, ..., 999}` took 17 s at 1k tokens), and a head
 * group's refinement and fully-masked-row search have budgets (`hash(q, k) % 1000003 == 0`
 * took 38 s at 32k).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GROUP_REFINE_BUDGET, groupRefineBudget } from '../../runtime/schedule/plan.ts';
import { plan, timed } from './helpers.ts';

describe('planner budgets', () => {
  it('a 1,000-element set plans quickly and exactly', () => {
    const items = Array.from({ length: 1000 }, (_, i) => i).join(', ');
    const { value: s, ms } = timed(() => plan(`pattern p() {\n  allow q - k in {${items}}\n}\n`, 2048, 64));
    expect(ms).toBeLessThan(3000);
    // Same tiles as the equivalent range.
    const r = plan('pattern p() {\n  allow q - k in 0..1000\n}\n', 2048, 64);
    expect(Array.from(s.groups[0].fullKvIndices)).toEqual(Array.from(r.groups[0].fullKvIndices));
    expect(Array.from(s.groups[0].kvIndices)).toEqual(Array.from(r.groups[0].kvIndices));
  });

  it('a set with gaps keeps exact tiles', () => {
    const s = plan('pattern p() {\n  allow q - k in {0, 1, 2, 3, 64, 65, 66, 67, 300}\n}\n', 512, 16);
    const brute = new Set<string>();
    for (let q = 0; q < 512; q++) for (let k = 0; k < 512; k++) if ([0, 1, 2, 3, 64, 65, 66, 67, 300].includes(q - k)) brute.add(`${q >> 4},${k >> 4}`);
    const g = s.groups[0];
    const listed = new Set<string>();
    for (let qb = 0; qb < 32; qb++) {
      for (let i = g.kvRowPtr[qb]; i < g.kvRowPtr[qb + 1]; i++) listed.add(`${qb},${g.kvIndices[i]}`);
      for (let i = g.fullKvRowPtr[qb]; i < g.fullKvRowPtr[qb + 1]; i++) listed.add(`${qb},${g.fullKvIndices[i]}`);
    }
    expect([...listed].sort()).toEqual([...brute].sort());
  });

  it('a hash mask plans within the group budget', () => {
    const { value: s, ms } = timed(() => plan('pattern p() {\n  allow hash(q, k) % 1000003 == 0\n}\n', 16384, 128));
    expect(ms).toBeLessThan(8000);
    // Every tile the classifier cannot decide is listed PARTIAL (sound).
    expect(s.stats.partialTiles + s.stats.fullTiles).toBeGreaterThan(0);
    expect(s.stats.pointEvaluations).toBeLessThan(4 * GROUP_REFINE_BUDGET + (1 << 25));
  });
});

describe('the group budget grows with the grid', () => {
  it('BigBird at 128k tokens in 128-token tiles (its 64-token blocks decided on sub-tiles) plans exactly, and the CLI says when tiles stay unproven', () => {
    const src = fs.readFileSync('patterns/bigbird.attn', 'utf8');
    const { value: s, ms } = timed(() => plan(src, 131072, 128));
    expect(s.stats.unprovenPartialTiles).toBe(0);
    // 2 global rows and columns of 1024 blocks, a window of 3 and about 3 random 64-token blocks a row, in 128-token tiles.
    expect(s.stats.fullTiles + s.stats.partialTiles).toBeLessThan(0.02 * 1024 * 1024);
    expect(ms).toBeLessThan(60_000);
    expect(groupRefineBudget(1024, 1024)).toBe(16 * 1024 * 1024);
    const r = spawnSync(process.execPath, ['bin/attnc.mjs', 'schedule', '-', '--q-len', '8k', '--heads', '1'], { input: 'pattern h() {\n  allow hash(q, k) % 1000003 == 0\n}\n', encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('warning[unproven_tiles]');
  }, 120_000);
});
