/**
 * Every bundled pattern: checks clean (no errors, no warnings), and its schedule agrees
 * exactly with the dense oracle at sizes that are not block multiples, with q_len != kv_len
 * where the pattern allows it, and two block shapes.
 */
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bindParams } from '../../compiler/2-check/bind.ts';
import { Diagnostics } from '../../compiler/diagnostics/diagnostic.ts';
import { checkSource, lowerToPlanner } from '../../compiler/pipeline.ts';
import { planSchedule } from '../../runtime/schedule/plan.ts';
import { verifySchedule } from '../../runtime/schedule/verify.ts';
import { compareWithOracle } from '../helpers/dense-check.ts';
import { inputsFor } from '../../bench/cuda/suite.ts';

const files = fs.readdirSync('patterns').filter((f) => f.endsWith('.attn')).sort();

/** Small parameter values so that the pattern's structure shows at oracle-sized inputs. */
const SMALL: Record<string, string> = {
  window: '40', sink: '3', globals: '5', recent: '24', dilation: '3', stride: '16', chunk: '24', block: '16', c: '4',
  kernel: '5', height: '12', width: '16', frames: '3', depth: '3', kernel_t: '3', kernel_y: '3', kernel_x: '5',
  window_y: '4', window_x: '4', group: '32', shard: '8', frame_tokens: '48', before: '6',
};

describe('bundled patterns', () => {
  it('there are at least 20', () => {
    expect(files.length).toBeGreaterThanOrEqual(20);
  });

  for (const f of files) {
    it(`${f} checks clean and schedules exactly`, () => {
      const name = `patterns/${f}`;
      const diags = new Diagnostics();
      const prog = checkSource({ name, text: fs.readFileSync(name, 'utf8') }, diags);
      expect(diags.items.map((d) => `${d.code}: ${d.message}`)).toEqual([]);
      expect(prog!.patterns.length).toBeGreaterThanOrEqual(1);
      for (const pat of prog!.patterns) {
        expect(pat.doc, `${pat.name} needs a /// doc comment naming its source`).not.toBe('');
        const small: Record<string, string> = {};
        for (const p of pat.params) if (p.mode === 'const' && SMALL[p.name] !== undefined && p.type === 'int') small[p.name] = SMALL[p.name];
        let bound = bindParams(pat, small, new Diagnostics());
        if (!bound) bound = bindParams(pat, {}, new Diagnostics());
        expect(bound, `${pat.name} binds`).toBeDefined();
        const { planner } = lowerToPlanner(bound!);
        // Cross-attention shapes where the pattern allows them (inputs and asserts may need square).
        const square = pat.params.some((p) => p.mode === 'input') || pat.asserts.length > 0;
        for (const [qLen, kvLen, bq, bk] of [[150, 150, 32, 16], [97, square ? 97 : 131, 16, 64]] as const) {
          const sizes = { qLen, kvLen, heads: 4 };
          const params: Record<string, number> = {};
          for (const p of pat.params) if (p.mode === 'runtime') params[p.name] = 37;
          // Patterns with per-batch input arrays plan 3 batch elements whose rows differ.
          const batch = bound!.inputs.some((p) => p.batched || p.length === 'batch') ? 3 : 1;
          const inputs = inputsFor(bound!.inputs, { ...sizes, batch }, (n, r) => Int32Array.from({ length: n }, (_, i) => Math.floor((i + 7 * r) / 23) + ((i + 7 * r) % 41 === 0 ? 1 : 0)));
          const s = planSchedule(planner, { ...sizes, batch, blockQ: bq, blockKv: bk, params, inputs });
          verifySchedule(s);
          const errs = compareWithOracle(bound!, s, { sizes, params, inputs }, batch);
          expect(errs, `${pat.name} at ${qLen}x${kvLen} blocks ${bq}x${bk}`).toEqual([]);
        }
      }
    });
  }
});
