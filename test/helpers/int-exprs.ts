/**
 * Random int expressions with large constants, for the tests that hold every backend to the
 * one integer semantics (32-bit, wrapping): the generator writes .attn source over q, k,
 * q_len and a runtime int `p`, with constants near 2^31 and products of big numbers; `refValue`
 * is an independent definition of the semantics on mask IR, in BigInt (every result reduced
 * to 32 bits with BigInt.asIntN), that the evaluator, the planners and the kernels are
 * compared with.
 */
import fc from 'fast-check';
import type { BoundPattern } from '../../compiler/2-check/bind.ts';
import type { MExpr } from '../../compiler/ir/mask.ts';
import { lowerToPlanner, type LoweredPattern } from '../../compiler/pipeline.ts';
import { hash } from '../../runtime/schedule/int-semantics.ts';
import { bindText } from './compile.ts';

const BIG = [2147483647, 2147483646, 1073741824, 1000000007, 123456789, 10000000, 65536, 46341, 46340, 7, 3, 1, 0];
const constant = fc.oneof(
  fc.constantFrom(...BIG),
  fc.constantFrom(...BIG).map((c) => -c),
  fc.integer({ min: -2147483647, max: 2147483647 }),
  fc.integer({ min: -9, max: 9 }),
).map((c) => (c < 0 ? `(${c})` : String(c)));
const leaf = fc.oneof({ weight: 2, arbitrary: fc.constantFrom('q', 'k') }, { weight: 1, arbitrary: fc.constantFrom('p', 'q_len') }, { weight: 3, arbitrary: constant });

function intExpr(depth: number): fc.Arbitrary<string> {
  if (depth === 0) return leaf;
  const sub = intExpr(depth - 1);
  return fc.oneof(
    { weight: 1, arbitrary: leaf },
    { weight: 5, arbitrary: fc.tuple(sub, fc.constantFrom('+', '-', '*', '*', '/', '%'), sub).map(([a, op, b]) => `(${a} ${op} ${b})`) },
    { weight: 1, arbitrary: sub.map((a) => `(-${a})`) },
    { weight: 1, arbitrary: sub.map((a) => `abs(${a})`) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('min', 'max'), sub, sub).map(([f, a, b]) => `${f}(${a}, ${b})`) },
    { weight: 1, arbitrary: fc.tuple(sub, sub, sub).map(([c, a, b]) => `select(${c} < 0, ${a}, ${b})`) },
  );
}

/** A pattern `allow E < C` over a random int expression E, and its lowered form. */
export interface IntCase {
  readonly source: string;
  readonly bound: BoundPattern;
  readonly lowered: LoweredPattern;
  /** E as lowered (the left side of the mask's comparison). */
  readonly expr: MExpr;
}

/**
 * `n` cases from a fixed seed. Expressions whose constant parts overflow (the checker refuses
 * those) or that fold to a constant are left out.
 */
export function intCases(n: number, seed: number): IntCase[] {
  const samples = fc.sample(fc.tuple(intExpr(4), constant), { numRuns: n * 3, seed });
  const out: IntCase[] = [];
  for (const [e, c] of samples) {
    if (out.length === n) break;
    const source = `pattern wrap(runtime p: int) {\n  allow ${e} < ${c}\n}\n`;
    let bound: BoundPattern;
    try { bound = bindText(source); } catch { continue; }
    const lowered = lowerToPlanner(bound);
    const m = lowered.plan.mask;
    if (m.kind !== 'cmp' || m.a.kind === 'const') continue;
    out.push({ source, bound, lowered, expr: m.a });
  }
  return out;
}

/** One `let` level: an expression that uses the previous level `X` at least twice. */
const LEVELS = ['(X + X)', '(X * 3 - X)', '(X / 7 + X)', '(X % 1000003 - X)', 'max(X, -X)', 'select(X < 0, X + 1, X - 1)', '(X * X)', 'min(X, X + p)', 'abs(X - X / 2)'];

/**
 * Like `intCases`, but each expression is a chain of `levels` nested `let`s, each using the one
 * before it at least twice (`let x3 = x2 * x2`): expanded, the expression would double in size
 * at each level; shared, it stays small, and every backend prints each level once.
 */
export function sharedIntCases(n: number, seed: number, levels = 24): IntCase[] {
  const samples = fc.sample(fc.tuple(intExpr(3), fc.array(fc.integer({ min: 0, max: LEVELS.length - 1 }), { minLength: levels, maxLength: levels }), constant), { numRuns: n * 3, seed });
  const out: IntCase[] = [];
  for (const [e, picks, c] of samples) {
    if (out.length === n) break;
    const lets = picks.map((i, j) => `  let x${j + 1} = ${LEVELS[i].replace(/X/g, `x${j}`)}`);
    const source = `pattern wrap(runtime p: int) {\n  let x0 = ${e}\n${lets.join('\n')}\n  allow x${levels} < ${c}\n}\n`;
    let bound: BoundPattern;
    try { bound = bindText(source); } catch { continue; }
    const lowered = lowerToPlanner(bound);
    const m = lowered.plan.mask;
    if (m.kind !== 'cmp' || m.a.kind === 'const') continue;
    out.push({ source, bound, lowered, expr: m.a });
  }
  return out;
}

/** Values of p the cases are evaluated with. */
export const P_VALUES = [2147483647, -2147483648, 1073741824, 46341, -1, 0, 7];

/** Where an expression is evaluated. */
export interface Env { q: number; k: number; p: number; q_len: number; kv_len: number }

const W = (x: bigint) => BigInt.asIntN(32, x);

/** The semantics, independently: exact BigInt arithmetic reduced to 32 bits after each operation. */
export function refValue(e: MExpr, env: Env): bigint | boolean {
  // Each node once (a shared `let` value has several parents): linear in the DAG.
  const memo = new Map<MExpr, bigint | boolean>();
  const go = (x: MExpr): bigint | boolean => {
    let v = memo.get(x);
    if (v === undefined) memo.set(x, (v = value(x)));
    return v;
  };
  const value = (x: MExpr): bigint | boolean => {
    const n = (y: MExpr) => go(y) as bigint;
    switch (x.kind) {
      case 'const': return typeof x.value === 'boolean' ? x.value : BigInt(x.value);
      case 'var': return BigInt(x.name === 'q' ? env.q : x.name === 'k' ? env.k : 0);
      case 'size': return BigInt(x.name === 'q_len' ? env.q_len : x.name === 'kv_len' ? env.kv_len : 1);
      case 'param': return BigInt(env.p);
      case 'neg': return W(-n(x.x));
      case 'not': return !go(x.x);
      case 'arith': {
        const a = n(x.a), b = n(x.b);
        switch (x.op) {
          case '+': return W(a + b);
          case '-': return W(a - b);
          case '*': return W(a * b);
          case '/': {
            if (b === 0n) return 0n;
            let t = a / b; // truncates
            if (a % b !== 0n && (a < 0n) !== (b < 0n)) t -= 1n;
            return W(t);
          }
          case '%': {
            if (b === 0n) return 0n;
            let r = a % b;
            if (r !== 0n && (r < 0n) !== (b < 0n)) r += b;
            return W(r);
          }
        }
        throw new Error('unreachable');
      }
      case 'cmp': {
        const a = go(x.a), b = go(x.b);
        switch (x.op) {
          case '<': return a < b;
          case '<=': return a <= b;
          case '>': return a > b;
          case '>=': return a >= b;
          case '==': return a === b;
          case '!=': return a !== b;
        }
        throw new Error('unreachable');
      }
      case 'and': return x.args.every((a) => go(a));
      case 'or': return x.args.some((a) => go(a));
      case 'call': {
        const args = x.args.map(go);
        switch (x.fn) {
          case 'abs': { const a = args[0] as bigint; return W(a < 0n ? -a : a); }
          case 'min': return (args as bigint[]).reduce((m, a) => (a < m ? a : m));
          case 'max': return (args as bigint[]).reduce((m, a) => (a > m ? a : m));
          case 'select': return args[0] ? args[1] : args[2];
          case 'hash': return BigInt(hash(...args.map(Number)));
          default: throw new Error(`float function ${x.fn} in an int expression`);
        }
      }
      default: throw new Error(`unexpected ${x.kind} in an int expression`);
    }
  };
  return go(e);
}
