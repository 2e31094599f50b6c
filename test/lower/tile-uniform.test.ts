/**
 * The tile-uniform rewrite of a mask (compiler/ir/tile-uniform.ts) is an identity: at every
 * point, the rewritten mask, reading its fields computed from the atoms at that point, equals
 * the mask. Random masks over coarse coordinates (`q / c`, `k % c` with constant and runtime
 * divisors, including 0 and negative ones) and the bundled patterns; the reference is the
 * evaluator. Whether the kernels pick the rewrite only where the atoms are uniform is
 * test/cuda/tile-uniform.test.ts.
 */
import * as fs from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluate, type EvalContext, type Point } from '../../compiler/eval/evaluate.ts';
import type { MExpr } from '../../compiler/ir/mask.ts';
import { profitableTileSpecialization, specializeTile, type TileSpecialization } from '../../compiler/ir/tile-uniform.ts';
import { bindSmall } from '../../bench/cuda/suite.ts';
import { bindText } from '../helpers/compile.ts';

/** The rewritten mask at `p`: atoms, then fields, then the per-element rest. */
function rewrittenAt(s: TileSpecialization, p: Point, ctx: EvalContext): boolean {
  const withAtoms = { ...ctx, params: { ...ctx.params } };
  s.atoms.forEach((a, i) => { withAtoms.params[`$a${i}`] = evaluate(a.expr, p, ctx) as number; });
  const withFields = { ...ctx, params: { ...ctx.params } };
  s.fields.forEach((f, i) => { withFields.params[`$t${i}`] = evaluate(f, p, withAtoms); });
  return evaluate(s.mask, p, withFields) === true;
}

const coarse = fc.oneof(
  fc.tuple(fc.constantFrom('q', 'k'), fc.constantFrom('/', '%'), fc.constantFrom('64', '100', '128', '1000', '3600', '4096', 'p', 'w', '(p + 1)', '(h + 64)')).map(([x, op, c]) => `(${x} ${op} ${c})`),
  fc.constantFrom('q', 'k', 'h', 'p', '3', '17'),
);
const term = fc.tuple(coarse, fc.constantFrom('+', '-', '*'), coarse).map(([a, op, b]) => `(${a} ${op} ${b})`);
const atom = fc.tuple(term, fc.constantFrom('<', '<=', '==', '!='), term).map(([a, op, b]) => `${a} ${op} ${b}`);
const maskSource = fc.array(fc.tuple(atom, fc.constantFrom('&&', '||')), { minLength: 1, maxLength: 4 }).map((parts) => parts.map(([a, j], i) => (i === 0 ? a : `${j} ${a}`)).join(' '));

describe('tile-uniform rewrite', () => {
  it('equals the mask at every point (random masks over coarse coordinates)', () => {
    let rewritten = 0;
    fc.assert(fc.property(maskSource, fc.integer({ min: -300, max: 5000 }), fc.integer({ min: -3, max: 300 }), fc.array(fc.tuple(fc.nat(20000), fc.nat(20000), fc.nat(3)), { minLength: 20, maxLength: 20 }), (src, p, w, points) => {
      const bp = bindText(`pattern t(runtime p: int, runtime w: int) {\n  allow ${src}\n}\n`);
      const s = specializeTile(bp.mask);
      if (!s) return;
      rewritten++;
      const ctx: EvalContext = { sizes: { qLen: 20001, kvLen: 20001, heads: 4 }, params: { p, w }, inputs: {} };
      for (const [q, k, h] of points) {
        const pt = { b: 0, h, q, k };
        expect(rewrittenAt(s, pt, ctx), `${src} at q=${q} k=${k} h=${h} p=${p} w=${w}`).toBe(evaluate(bp.mask, pt, ctx) === true);
      }
    }), { numRuns: 400, seed: 20261203 });
    expect(rewritten).toBeGreaterThan(300);
  });

  it('equals the mask of every bundled pattern that has atoms; radial is rewritten to a few operations per element', () => {
    const names: string[] = [];
    for (const f of fs.readdirSync('patterns').filter((x) => x.endsWith('.attn'))) {
      for (const params of [{}, { frame_tokens: '200', frames: '40', window: '512', min_window: '64' }] as Record<string, string>[]) {
        let bp;
        try { bp = bindSmall(`patterns/${f}`, params); } catch { continue; }  // parameters that break the pattern's asserts
        const s = specializeTile(bp.mask);
        if (!s || bp.inputs.length > 0) continue;
        names.push(bp.pattern.name);
        const ctx: EvalContext = { sizes: { qLen: 20000, kvLen: 20000, heads: 4 }, params: Object.fromEntries(bp.runtimeParams.map((r) => [r.name, r.type === 'bool' ? true : 37])), inputs: {} };
        let seed = 7;
        for (let i = 0; i < 3000; i++) {
          seed = (seed * 1103515245 + 12345) >>> 0;
          const q = seed % 20000;
          seed = (seed * 1103515245 + 12345) >>> 0;
          // Half the keys near the query, where windows are PARTIAL.
          const k = i % 2 ? seed % 20000 : Math.max(0, Math.min(19999, q - 300 + (seed % 600)));
          const pt = { b: 0, h: i % 4, q, k };
          expect(rewrittenAt(s, pt, ctx), `${f} at q=${q} k=${k}`).toBe(evaluate(bp.mask, pt, ctx) === true);
        }
      }
    }
    expect(names).toContain('radial');
    expect(names).toContain('swin');
    const radial: MExpr = bindSmall('patterns/radial.attn', {}).mask;
    expect(profitableTileSpecialization(radial)).toBeDefined();
    // A mask of cheap coarse coordinates is left alone.
    expect(profitableTileSpecialization(bindSmall('patterns/chunked.attn', {}).mask)).toBeUndefined();
  });
});
