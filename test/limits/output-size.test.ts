/**
 * Output sizes are estimated before anything is built: past the documented limits the CLI
 * refuses with `bad_size` (exit 1) at once. These used to run for minutes, take 23.7 GB,
 * or die in V8.
 */
import { describe, expect, it } from 'vitest';
import { MAX_SCHEDULE_TILES, planSchedule } from '../../runtime/schedule/plan.ts';
import { PlanError } from '../../runtime/schedule/types.ts';
import { bindParams } from '../../compiler/2-check/bind.ts';
import { lowerToPlanner } from '../../compiler/pipeline.ts';
import { attnc, check, tmpFile } from './helpers.ts';

const refusedQuickly = (r: ReturnType<typeof attnc>) => {
  expect(r.stderr).toContain('error[bad_size]');
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.status).toBe(1);
  expect(r.ms).toBeLessThan(10_000);
};

describe('output size limits', () => {
  it('schedule causal at q_len 2^31-1 is refused', () => {
    refusedQuickly(attnc('schedule', 'patterns/causal.attn', '--q-len', '2147483647'));
  });

  it('viz at 1M tokens with 16-token blocks is refused', () => {
    refusedQuickly(attnc('viz', 'patterns/causal.attn', '--q-len', '1M', '--block-q', '16', '--block-kv', '16', '--format', 'term'));
  });

  it('simulate --heads 1000000, --batch 1000000 and a huge --sweep are refused', () => {
    refusedQuickly(attnc('simulate', 'patterns/causal.attn', '--q-len', '4k', '--heads', '1000000'));
    refusedQuickly(attnc('simulate', 'patterns/causal.attn', '--q-len', '4k', '--batch', '1000000'));
    const r = attnc('simulate', 'patterns/causal.attn', '--q-len', '4k', '--sweep', 'q_len=1..2147483647');
    refusedQuickly(r);
    expect(r.stdout).toBe('');
  });

  it('a JSON schedule too large for one string is refused, not an internal error', () => {
    const r = attnc('schedule', tmpFile('pattern dense() {\n  allow true\n}\n'), '--q-len', '1M', '--format', 'json');
    expect(r.stderr).toContain('error[bad_size]');
    expect(r.stderr).toContain('--format npz');
    expect(r.stderr).not.toContain('internal compiler error');
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
  });

  it('planSchedule checks the tile bound itself and reports progress on long plans', () => {
    const { prog, diags } = check('pattern p() {\n  causal\n}\n');
    const { planner } = lowerToPlanner(bindParams(prog!.patterns[0], {}, diags)!);
    expect(() => planSchedule(planner, { qLen: 1 << 21, kvLen: 1 << 21, heads: 1, blockQ: 128, blockKv: 128 })).toThrow(PlanError);
    expect(16384 * 16384).toBeGreaterThan(MAX_SCHEDULE_TILES);
    const seen: number[] = [];
    planSchedule(planner, { qLen: 1 << 16, kvLen: 1 << 16, heads: 1, blockQ: 16, blockKv: 16 }, (f) => seen.push(f), 0);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((f) => f >= 0 && f <= 1)).toBe(true);
  });
});
