/**
 * The diagonal-mask analysis (`dependsOnlyOnDiagonal`): which bundled patterns depend on q and k
 * only through q - k, whether that claim holds at random points (the mask is the same all along
 * a diagonal), and the cases the syntactic test rejects on purpose.
 */
import * as fs from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emitCuda } from '../../compiler/4-emit/cuda/emit-cuda.ts';
import { cudaSelect } from '../../compiler/4-emit/cuda/select-cuda.ts';
import { lowerPattern } from '../../compiler/3-lower/lower.ts';
import { maskAt } from '../../compiler/eval/evaluate.ts';
import { dependsOnlyOnDiagonal } from '../../compiler/ir/diagonal.ts';
import { bindText } from '../helpers/compile.ts';

const bundled = fs.readdirSync('patterns').filter((f) => f.endsWith('.attn')).sort()
  .map((f) => ({ file: `patterns/${f}`, bp: bindText(fs.readFileSync(`patterns/${f}`, 'utf8')) }));

describe('dependsOnlyOnDiagonal', () => {
  it('finds the bundled patterns whose mask is a function of q - k', () => {
    const diagonal = bundled.filter((x) => dependsOnlyOnDiagonal(x.bp.mask)).map((x) => x.bp.pattern.name);
    expect(diagonal).toEqual(['alibi', 'causal_mask', 'dilated', 'sliding_window_bidir', 'sliding_window_softcap', 'sliding_window', 'softcap_causal', 'strided']);
  });

  it('holds at random points: the mask is constant along each diagonal', () => {
    for (const { bp } of bundled.filter((x) => dependsOnlyOnDiagonal(x.bp.mask))) {
      const ctx = { sizes: { qLen: 9000, kvLen: 9000, heads: 4 }, params: {}, inputs: {} };
      fc.assert(fc.property(fc.integer({ min: 0, max: 8999 }), fc.integer({ min: 0, max: 8999 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: -4000, max: 4000 }), (q, k, h, c) => {
        if (q + c < 0 || q + c >= 9000 || k + c < 0 || k + c >= 9000) return true;
        return maskAt(bp, { b: 0, h, q, k }, ctx) === maskAt(bp, { b: 0, h, q: q + c, k: k + c }, ctx);
      }), { seed: 7, numRuns: 300 });
    }
  });

  it('rejects q or k alone, scaled, offset inside the difference, or indexing an input', () => {
    const diag = (src: string) => dependsOnlyOnDiagonal(bindText(src).mask);
    expect(diag('pattern p() { allow abs(k - q) < 4 && q >= k }')).toBe(true);
    expect(diag('pattern p() { allow (q - k) % 3 == 0 || q == k }')).toBe(true);
    expect(diag('pattern p() { allow q < 16 }')).toBe(false);
    expect(diag('pattern p() { allow q - (k + 1) < 4 }')).toBe(false);
    expect(diag('pattern p() { allow 2 * q - k < 4 }')).toBe(false);
    expect(diag('pattern p(input doc: int[kv_len]) { causal\n allow doc[q] == doc[k] }')).toBe(false);
  });

  it('is what the CUDA kernel is told', () => {
    for (const { file, bp } of bundled) {
      const cu = Object.entries(emitCuda(bp, lowerPattern(bp), file, cudaSelect(bp))).find(([f]) => f.endsWith('.cu'))![1];
      expect(cu, file).toContain(`static constexpr bool MASK_DIAGONAL = ${dependsOnlyOnDiagonal(bp.mask)};`);
    }
  });
});
