/** Interval helpers are sound (brute force over small intervals) and agree with the language's semantics. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyArith, hash as refHash } from '../../compiler/ir/semantics.ts';
import { fdiv, fmod, hash, InputTable, ivDiv, ivInt, ivMod, ivMul, R } from '../../runtime/schedule/ops.ts';

const iv = fc.tuple(fc.integer({ min: -40, max: 40 }), fc.nat(12)).map(([lo, w]) => [lo, lo + w] as const);

function brute(op: (a: number, b: number) => number, a: readonly [number, number], b: readonly [number, number]) {
  let lo = Infinity, hi = -Infinity;
  for (let x = a[0]; x <= a[1]; x++) for (let y = b[0]; y <= b[1]; y++) {
    const v = op(x, y);
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return [lo, hi];
}

describe('interval helpers', () => {
  for (const [name, f, op] of [
    ['mul', ivMul, (x: number, y: number) => x * y],
    ['div', ivDiv, (x: number, y: number) => applyArith('/', x, y, true)],
    ['mod', ivMod, (x: number, y: number) => applyArith('%', x, y, true)],
  ] as const) {
    it(`${name} bounds every value`, () => {
      fc.assert(fc.property(iv, iv, (a, b) => {
        f(a[0], a[1], b[0], b[1]);
        const [lo, hi] = brute(op, a, b);
        expect(R[0]).toBeLessThanOrEqual(lo);
        expect(R[1]).toBeGreaterThanOrEqual(hi);
      }), { numRuns: 2000 });
    });
  }

  it('bounds that leave the int range become the whole range (ints wrap)', () => {
    const full = [-(2 ** 31), 2 ** 31 - 1];
    ivMul(0, 511, 10000000, 10000000);
    expect([R[0], R[1]]).toEqual(full);
    ivMul(0, 214, 10000000, 10000000);
    expect([R[0], R[1]]).toEqual([0, 2140000000]);
    ivDiv(-(2 ** 31), -5, -1, -1);
    expect([R[0], R[1]]).toEqual(full);
    ivDiv(-(2 ** 31) + 1, -5, -1, -1);
    expect([R[0], R[1]]).toEqual([5, 2 ** 31 - 1]);
    ivInt(2 ** 31 - 2, 2 ** 31);
    expect([R[0], R[1]]).toEqual(full);
  });

  it('mod by a constant is exact when the dividend does not wrap', () => {
    ivMod(10, 13, 8, 8);
    expect([R[0], R[1]]).toEqual([2, 5]);
  });

  it('point helpers are floor division and floor modulo (0 for a zero divisor)', () => {
    fc.assert(fc.property(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: -50, max: 50 }), (a, b) => {
      // Independent definitions: the mathematical floor of the exact quotient (+ 0: as ints, -0 is 0).
      const q = b === 0 ? 0 : Math.floor(a / b) + 0;
      expect(fdiv(a, b)).toBe(q);
      expect(fmod(a, b) + 0).toBe(b === 0 ? 0 : a - b * q + 0);
      expect(applyArith('/', a, b, true)).toBe(q);
      expect(hash(a, b)).toBe(refHash([a, b]));
    }));
  });

  it('input tables bound every range', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: -9, max: 9 }), { minLength: 1, maxLength: 80 }), fc.constantFrom(1, 4, 16), fc.nat(), fc.nat(), (data, block, x, y) => {
      const t = new InputTable(data, block);
      const lo = x % data.length, hi = lo + (y % (data.length - lo));
      t.range(lo, hi);
      const slice = data.slice(lo, hi + 1);
      expect(R[0]).toBeLessThanOrEqual(Math.min(...slice));
      expect(R[1]).toBeGreaterThanOrEqual(Math.max(...slice));
      if (lo % block === 0 && ((hi + 1) % block === 0 || hi === data.length - 1)) {
        expect([R[0], R[1]]).toEqual([Math.min(...slice), Math.max(...slice)]);
      }
    }), { numRuns: 1000 });
  });
});
