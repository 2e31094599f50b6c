/**
 * The reference evaluator agrees with hand-written masks, and the language's integer
 * semantics are floor division / floor modulo.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { biasAt, denseMask, maskAt, type EvalContext } from '../../compiler/eval/evaluate.ts';
import { floorDiv, floorMod, hash } from '../../compiler/ir/semantics.ts';
import { bindText } from '../helpers/compile.ts';

const ctx = (qLen: number, kvLen: number, heads = 4, extra: Partial<EvalContext> = {}): EvalContext => ({ sizes: { qLen, kvLen, heads }, params: {}, inputs: {}, ...extra });

function expectDense(src: string, ref: (q: number, k: number, h: number) => boolean, qLen = 37, kvLen = 41, params = {}, c?: EvalContext) {
  const bp = bindText(src, params);
  const cx = c ?? ctx(qLen, kvLen);
  for (let h = 0; h < cx.sizes.heads; h++) {
    const m = denseMask(bp, 0, h, cx);
    for (let q = 0; q < cx.sizes.qLen; q++) for (let k = 0; k < cx.sizes.kvLen; k++) {
      if (m[q * cx.sizes.kvLen + k] !== (ref(q, k, h) ? 1 : 0)) throw new Error(`mismatch at h=${h} q=${q} k=${k}`);
    }
  }
}

describe('integer semantics', () => {
  it('floor division and modulo', () => {
    expect(floorDiv(-7, 2)).toBe(-4);
    expect(floorMod(-7, 2)).toBe(1);
    expect(floorMod(7, -2)).toBe(-1);
    expect(floorDiv(5, 0)).toBe(0);
    expect(floorMod(5, 0)).toBe(0);
    fc.assert(fc.property(fc.integer({ min: -1e6, max: 1e6 }), fc.integer({ min: -1000, max: 1000 }).filter((b) => b !== 0), (a, b) => {
      expect(floorDiv(a, b) * b + floorMod(a, b)).toBe(a);
      const m = floorMod(a, b);
      expect(b > 0 ? m >= 0 && m < b : m <= 0 && m > b).toBe(true);
    }));
  });

  it('hash is deterministic, non-negative and spread', () => {
    expect(hash([1, 2, 3])).toBe(hash([1, 2, 3]));
    expect(hash([1, 2, 3])).not.toBe(hash([1, 2, 4]));
    const buckets = new Array(10).fill(0);
    for (let i = 0; i < 10000; i++) {
      const x = hash([i, 7]);
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(2 ** 31);
      buckets[x % 10]++;
    }
    for (const n of buckets) expect(n).toBeGreaterThan(800);
  });
});

describe('reference evaluator', () => {
  it('streaming: causal, window and sinks', () => {
    expectDense('pattern s(sink: int = 4, window: int = 8) {\n causal\n allow q - k < window\n allow k < sink\n}', (q, k) => k <= q && (q - k < 8 || k < 4));
  });
  it('parameter overrides fold in', () => {
    expectDense('pattern s(window: int = 8) {\n causal\n allow q - k < window\n}', (q, k) => k <= q && q - k < 3, 20, 20, { window: '3' });
  });
  it('no allow means everything, deny removes', () => {
    expectDense('pattern s() {\n deny (q + k) % 3 == 0\n}', (q, k) => (q + k) % 3 !== 0);
  });
  it('chained comparisons, in-sets and ranges', () => {
    expectDense('pattern s() {\n allow 2 <= q - k < 5 && h in {1, 3}\n allow k in 10..12\n}', (q, k, h) => (2 <= q - k && q - k < 5 && (h === 1 || h === 3)) || (k >= 10 && k < 12));
  });
  it('fns expand with the implicit q and k', () => {
    expectDense('fn dil(before: int, d: int) = q - k < before * d && (q - k) % d == 0\npattern s() {\n causal\n allow dil(4, 3)\n}', (q, k) => k <= q && q - k < 12 && (q - k) % 3 === 0);
  });
  it('2-D layout coordinates with NATTEN border shift', () => {
    const H = 6, W = 7, K = 3;
    const cl = (x: number, lo: number, hi: number) => Math.min(Math.max(x, lo), hi);
    expectDense(
      `pattern n(kernel: int = ${K}, height: int = ${H}, width: int = ${W}) {\n layout grid(y: height, x: width)\n let sy = clamp(q.y - kernel / 2, 0, height - kernel)\n let sx = clamp(q.x - kernel / 2, 0, width - kernel)\n allow sy <= k.y < sy + kernel && sx <= k.x < sx + kernel\n}`,
      (q, k) => {
        const [qy, qx, ky, kx] = [Math.floor(q / W), q % W, Math.floor(k / W), k % W];
        const sy = cl(qy - 1, 0, H - K), sx = cl(qx - 1, 0, W - K);
        return sy <= ky && ky < sy + K && sx <= kx && kx < sx + K;
      }, H * W, H * W);
  });
  it('input arrays and runtime scalars', () => {
    const doc = [0, 0, 0, 1, 1, 2, 2, 2, 2, 3];
    expectDense('pattern d(input doc: int[kv_len]) {\n causal\n allow doc[q] == doc[k]\n}', (q, k) => k <= q && doc[q] === doc[k], 10, 10, {}, ctx(10, 10, 1, { inputs: { doc } }));
    expectDense('pattern p(runtime prefix: int) {\n allow k <= q || k < prefix\n}', (q, k) => k <= q || k < 5, 12, 12, {}, ctx(12, 12, 1, { params: { prefix: 5 } }));
  });
  it('points outside the sequences are never allowed', () => {
    const bp = bindText('pattern a() {\n}');
    expect(maskAt(bp, { b: 0, h: 0, q: 5, k: 9 }, ctx(6, 9))).toBe(false);
    expect(maskAt(bp, { b: 0, h: 0, q: 5, k: 8 }, ctx(6, 9))).toBe(true);
  });
  it('ALiBi bias', () => {
    const bp = bindText('pattern a() {\n causal\n bias = -slope(h) * (q - k)\n}\nfn slope(h: int) -> float = 2.0 ** (-8.0 * (h + 1) / heads)');
    const c = ctx(8, 8, 8);
    expect(biasAt(bp, { b: 0, h: 0, q: 5, k: 2 }, c)).toBeCloseTo(-(2 ** -1) * 3, 12);
    expect(biasAt(bp, { b: 0, h: 7, q: 5, k: 2 }, c)).toBeCloseTo(-(2 ** -8) * 3, 12);
  });
});
