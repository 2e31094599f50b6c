/**
 * [Note: Staged mask] (compiler/ir/stage-mask.ts): the stages of every bundled pattern's mask
 * depend on their own side only (a query-stage value is the same for any key, a key-stage
 * value the same for any query), on random points; the tiled WGSL kernel names them in its
 * pair function (natten-2d's per-pair mask is comparisons only). That the staged kernel
 * computes the same attention is test/wgsl's (lavapipe, against the float64 reference).
 */
import * as fs from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../compiler/eval/evaluate.ts';
import { stageMask } from '../../compiler/ir/stage-mask.ts';
import { usesVar, type MExpr } from '../../compiler/ir/mask.ts';
import { emitWgsl } from '../../compiler/4-emit/wgsl/emit-wgsl.ts';
import { bindText } from '../helpers/compile.ts';

const SIZES = { qLen: 300, kvLen: 300, heads: 8 };
const bundled = fs.readdirSync('patterns').filter((f) => f.endsWith('.attn')).sort()
  .map((f) => bindText(fs.readFileSync(`patterns/${f}`, 'utf8')));

describe('staged mask', () => {
  it('stages of every bundled mask depend on their own side only', () => {
    let staged = 0;
    for (const bp of bundled) {
      const { q, k } = stageMask(bp.mask);
      staged += q.length + k.length;
      for (const n of q) expect(usesVar(n, 'q') && !usesVar(n, 'k'), bp.pattern.name).toBe(true);
      for (const n of k) expect(usesVar(n, 'k') && !usesVar(n, 'q'), bp.pattern.name).toBe(true);
      const params = Object.fromEntries(bp.runtimeParams.map((p) => [p.name, p.type === 'bool' ? true : p.type === 'float' ? 0.5 : 37]));
      const inputs = Object.fromEntries(bp.inputs.map((p) => [p.name, Int32Array.from({ length: 2 * SIZES.kvLen }, (_, i) => Math.floor(i / 29))]));
      const ctx = { sizes: SIZES, params, inputs };
      const at = (n: MExpr, p: { b: number; h: number; q: number; k: number }) => evaluate(n, p, ctx);
      fc.assert(fc.property(
        fc.integer({ min: 0, max: 299 }), fc.integer({ min: 0, max: 299 }), fc.integer({ min: 0, max: 299 }), fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 1 }),
        (x, y, z, h, b) => {
          for (const n of q) expect(at(n, { b, h, q: x, k: y })).toBe(at(n, { b, h, q: x, k: z }));
          for (const n of k) expect(at(n, { b, h, q: y, k: x })).toBe(at(n, { b, h, q: z, k: x }));
        },
      ), { numRuns: 50 });
    }
    expect(staged).toBeGreaterThan(20);
  });

  it('leaves natten-2d only comparisons per (query, key) pair in the tiled kernel', () => {
    const body = emitWgsl(bindText(fs.readFileSync('patterns/natten-2d.attn', 'utf8')), 'tiled').body;
    const pair = body.slice(body.indexOf('fn attn_mask_qk'), body.indexOf('}', body.indexOf('fn attn_mask_qk')));
    expect(pair).toContain('mq.v0');
    expect(pair).toContain('mk.v0');
    expect(pair).not.toMatch(/attn_fdiv|attn_fmod/);
    expect(body).toMatch(/mk\[t\] = attn_mask_k\(kTok\[t\], h, b\)/);
    expect(body).toContain('mqRow[r] = attn_mask_q(c.qTok[r], i32(h), i32(b));');
    // The simple kernel evaluates the whole mask per pair.
    expect(emitWgsl(bindText(fs.readFileSync('patterns/natten-2d.attn', 'utf8')), 'simple').body).not.toContain('attn_mask_qk');
  });

  it('stages nothing where each part of the mask uses both sides', () => {
    const bp = bindText('pattern w(window: int = 8) { allow q - k < window && k <= q }');
    expect(stageMask(bp.mask)).toEqual({ q: [], k: [] });
    expect(emitWgsl(bp, 'tiled').body).not.toContain('attn_mask_qk');
  });
});
