/**
 * One integer semantics: ints are 32-bit and `+ - *`, negation and abs wrap. The reference
 * evaluator, constant folding, the printed TypeScript planner (point masks and interval
 * classification) and whole schedules agree with an independent BigInt definition
 * (test/helpers/int-exprs.ts) on expressions whose values overflow. The C++ and WGSL forms
 * are held to the same definition in test/cuda/int-exprs.test.ts and test/wgsl/int-wrap.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { denseMask, evaluate, type EvalContext } from '../../compiler/eval/evaluate.ts';
import { fold } from '../../compiler/ir/fold.ts';
import { lowerToPlanner } from '../../compiler/pipeline.ts';
import * as ops from '../../runtime/schedule/ops.ts';
import { planSchedule } from '../../runtime/schedule/plan.ts';
import { verifySchedule } from '../../runtime/schedule/verify.ts';
import { printPoint, printPointLets } from '../../compiler/4-emit/planner/print-point.ts';
import { bindText, checkText } from '../helpers/compile.ts';
import { compareWithOracle } from '../helpers/dense-check.ts';
import { intCases, P_VALUES, refValue, sharedIntCases, type Env } from '../helpers/int-exprs.ts';

/** The reproducer: q * 10000000 overflows from q = 215 on. */
export const WRAP_SOURCE = `pattern wrap() {\n  allow (q * 10000000 + k) % 7 == 0 || q - k < 3\n  require k <= q\n}\n`;
/** The reproducer's mask, written out with 32-bit wrapping. */
export const wrapMask = (q: number, k: number) => {
  const x = (Math.imul(q, 10000000) + k) | 0;
  return (((x % 7) + 7) % 7 === 0 || q - k < 3) && k <= q;
};

describe('ints wrap at 32 bits', () => {
  it('the reproducer: the evaluator wraps, and the schedule at 512 tokens matches it on every tile', () => {
    const bp = bindText(WRAP_SOURCE);
    const ctx: EvalContext = { sizes: { qLen: 512, kvLen: 512, heads: 1 }, params: {}, inputs: {} };
    const dense = denseMask(bp, 0, 0, ctx);
    const diff: string[] = [];
    for (let q = 0; q < 512; q++) for (let k = 0; k < 512; k++) if ((dense[q * 512 + k] === 1) !== wrapMask(q, k)) diff.push(`q ${q} k ${k}`);
    expect(diff.slice(0, 5)).toEqual([]);
    const { planner } = lowerToPlanner(bp);
    for (const [blockQ, blockKv] of [[64, 64], [128, 64], [16, 32]]) {
      const s = planSchedule(planner, { qLen: 512, kvLen: 512, heads: 1, batch: 1, blockQ, blockKv, params: {}, inputs: {} });
      verifySchedule(s);
      expect(compareWithOracle(bp, s, ctx, 1), `${blockQ} x ${blockKv}`).toEqual([]);
      // A tile is FULL exactly when every point passes the wrapped mask.
      const g = s.groups[0];
      for (let qb = 0; qb < s.numQBlocks; qb++) {
        for (const kb of g.fullKvIndices.subarray(g.fullKvRowPtr[qb], g.fullKvRowPtr[qb + 1])) {
          for (let q = qb * blockQ; q < (qb + 1) * blockQ; q++) for (let k = kb * blockKv; k < (kb + 1) * blockKv; k++) expect(wrapMask(q, k)).toBe(true);
        }
      }
    }
  });

  it('constant folding wraps like the evaluator; constants that would wrap are refused when checked', () => {
    const { diags } = checkText('pattern c() {\n  allow q < 2147483647 + 1\n}\n');
    expect(diags.items.map((d) => d.code)).toContain('constant_out_of_range');
    const { diags: d2 } = checkText('pattern c() {\n  allow q < -(-2147483647 - 1)\n}\n');
    expect(d2.items.map((d) => d.code)).toContain('constant_out_of_range');
    const { diags: d3 } = checkText('pattern c() {\n  allow q < abs(-2147483647 - 1)\n}\n');
    expect(d3.items.map((d) => d.code)).toContain('constant_out_of_range');
    // Lowering's own folding (no checker) wraps.
    const x = { kind: 'const', type: 'int', value: 2147483647 } as const;
    expect(fold({ kind: 'arith', type: 'int', op: '+', a: x, b: { ...x, value: 1 } })).toMatchObject({ kind: 'const', value: -2147483648 });
    expect(fold({ kind: 'arith', type: 'int', op: '*', a: x, b: x })).toMatchObject({ kind: 'const', value: 1 });
    expect(fold({ kind: 'arith', type: 'int', op: '/', a: { ...x, value: -2147483648 }, b: { ...x, value: -1 } })).toMatchObject({ kind: 'const', value: -2147483648 });
    expect(fold({ kind: 'neg', type: 'int', x: { ...x, value: -2147483648 } })).toMatchObject({ kind: 'const', value: -2147483648 });
  });

  const cases = intCases(150, 20240611);

  it('random expressions with large constants: evaluator and point planner agree with the definition', () => {
    expect(cases.length).toBeGreaterThan(100);
    const rnd = fc.sample(fc.tuple(fc.nat(299), fc.nat(299)), { numRuns: 40, seed: 7 });
    let wrapped = 0;
    for (const c of cases) {
      const point = new Function('rt', 'q', 'k', 'p_p', 'q_len', `return ${printPoint(c.expr)};`) as (rt: typeof ops, q: number, k: number, p: number, qLen: number) => number;
      for (const p of P_VALUES) {
        const ctx: EvalContext = { sizes: { qLen: 300, kvLen: 300, heads: 1 }, params: { p }, inputs: {} };
        for (const [q, k] of rnd) {
          const env: Env = { q, k, p, q_len: 300, kv_len: 300 };
          const want = Number(refValue(c.expr, env));
          const what = `${c.source} at q ${q} k ${k} p ${p}`;
          expect(evaluate(c.expr, { b: 0, h: 0, q, k }, ctx), `evaluator: ${what}`).toBe(want);
          expect(point(ops, q, k, p, 300) + 0, `point planner: ${what}`).toBe(want);
          if (!Number.isSafeInteger(exactValue(c.expr, env))) wrapped++;
        }
      }
    }
    // The test means something only if many values really wrapped.
    expect(wrapped).toBeGreaterThan(1000);
  });

  it('random expressions with large constants: interval classification is sound, schedules are exact', () => {
    const rects = fc.sample(fc.tuple(fc.nat(290), fc.nat(7), fc.nat(290), fc.nat(7)), { numRuns: 12, seed: 11 });
    let decided = 0;
    for (const c of cases) {
      for (const p of P_VALUES) {
        const sizes = { qLen: 300, kvLen: 300, heads: 1 };
        const bound = c.lowered.planner.bind(sizes, { p }, c.lowered.planner.slots(0, 0, sizes, { p }), {});
        for (const [q0, dq, k0, dk] of rects) {
          const cls = bound.classify(q0, q0 + dq, k0, k0 + dk);
          if (cls === 1) continue;
          decided++;
          for (let q = q0; q <= q0 + dq; q++) for (let k = k0; k <= k0 + dk; k++) {
            const want = refValue(c.lowered.plan.mask, { q, k, p, q_len: 300, kv_len: 300 });
            expect(want, `${c.source} p ${p}: tile q ${q0}..${q0 + dq} k ${k0}..${k0 + dk} classified ${cls}, wrong at q ${q} k ${k}`).toBe(cls === 2);
          }
        }
      }
      // A whole schedule, against the evaluator (itself held to the definition above).
      for (const p of [P_VALUES[0], P_VALUES[2]]) {
        const s = planSchedule(c.lowered.planner, { qLen: 45, kvLen: 50, heads: 1, batch: 1, blockQ: 16, blockKv: 16, params: { p }, inputs: {} });
        expect(compareWithOracle(c.bound, s, { sizes: { qLen: 45, kvLen: 50, heads: 1 }, params: { p }, inputs: {} }, 1), c.source).toEqual([]);
      }
    }
    expect(decided).toBeGreaterThan(500);
  });

  it('24 nested lets, each using the one before twice: evaluator, point planner, interval classes and schedules agree with the definition', () => {
    const shared = sharedIntCases(12, 20261202);
    expect(shared.length).toBeGreaterThan(8);
    const rnd = fc.sample(fc.tuple(fc.nat(299), fc.nat(299)), { numRuns: 20, seed: 7 });
    const rects = fc.sample(fc.tuple(fc.nat(290), fc.nat(7), fc.nat(290), fc.nat(7)), { numRuns: 8, seed: 11 });
    for (const c of shared) {
      const code = printPointLets([c.expr]);
      expect(code.lets.length, c.source).toBeGreaterThan(0);
      expect(code.lets.join('').length + code.exprs[0].length, 'printed once per level, not expanded').toBeLessThan(20_000);
      const point = new Function('rt', 'q', 'k', 'p_p', 'q_len', `${code.lets.join('\n')}\nreturn ${code.exprs[0]};`) as (rt: typeof ops, q: number, k: number, p: number, qLen: number) => number;
      for (const p of P_VALUES) {
        const ctx: EvalContext = { sizes: { qLen: 300, kvLen: 300, heads: 1 }, params: { p }, inputs: {} };
        for (const [q, k] of rnd) {
          const want = Number(refValue(c.expr, { q, k, p, q_len: 300, kv_len: 300 }));
          const what = `${c.source} at q ${q} k ${k} p ${p}`;
          expect(evaluate(c.expr, { b: 0, h: 0, q, k }, ctx), `evaluator: ${what}`).toBe(want);
          expect(point(ops, q, k, p, 300) + 0, `point planner: ${what}`).toBe(want);
        }
        const sizes = { qLen: 300, kvLen: 300, heads: 1 };
        const bound = c.lowered.planner.bind(sizes, { p }, c.lowered.planner.slots(0, 0, sizes, { p }), {});
        for (const [q0, dq, k0, dk] of rects) {
          const cls = bound.classify(q0, q0 + dq, k0, k0 + dk);
          if (cls === 1) continue;
          for (let q = q0; q <= q0 + dq; q++) for (let k = k0; k <= k0 + dk; k++) {
            expect(refValue(c.lowered.plan.mask, { q, k, p, q_len: 300, kv_len: 300 }), `${c.source} p ${p}: tile classified ${cls}, wrong at q ${q} k ${k}`).toBe(cls === 2);
          }
        }
      }
      const s = planSchedule(c.lowered.planner, { qLen: 45, kvLen: 50, heads: 1, batch: 1, blockQ: 16, blockKv: 16, params: { p: P_VALUES[2] }, inputs: {} });
      expect(compareWithOracle(c.bound, s, { sizes: { qLen: 45, kvLen: 50, heads: 1 }, params: { p: P_VALUES[2] }, inputs: {} }, 1), c.source).toEqual([]);
    }
  });
});

/** The exact (unwrapped) value of an int expression, to count how often wrapping mattered. */
function exactValue(e: Parameters<typeof refValue>[0], env: Env): number {
  const go = (x: typeof e): number => {
    switch (x.kind) {
      case 'const': return Number(x.value);
      case 'var': return x.name === 'q' ? env.q : env.k;
      case 'size': return env.q_len;
      case 'param': return env.p;
      case 'neg': return -go(x.x);
      case 'arith': {
        const a = go(x.a), b = go(x.b);
        return x.op === '+' ? a + b : x.op === '-' ? a - b : x.op === '*' ? a * b : x.op === '/' ? (b === 0 ? 0 : Math.floor(a / b)) : b === 0 ? 0 : a - b * Math.floor(a / b);
      }
      case 'call': {
        const a = x.args.map(go);
        return x.fn === 'abs' ? Math.abs(a[0]) : x.fn === 'min' ? Math.min(...a) : x.fn === 'max' ? Math.max(...a) : x.fn === 'select' ? a[1] : 0;
      }
      default: return 0;
    }
  };
  const v = go(e);
  return v >= -(2 ** 31) && v < 2 ** 31 ? v : NaN;
}
