/**
 * Static int ranges. Ints are 32-bit and `+ - *`, unary `-`, `abs` and `x / -1` wrap
 * (runtime/schedule/int-semantics.ts). This pass bounds every int sub-expression for all
 * sizes and values a schedule can be planned with: index variables in [0, INT_MAX - 1]
 * (each is below a size), sizes in [0, INT_MAX], runtime parameters, head slots and input
 * entries anywhere in the int range. `mayWrap(x)` says whether an operation's exact result
 * can leave the int range; where it cannot, wrapping and exact arithmetic agree, so the
 * printers emit plain arithmetic there and wrapping arithmetic (and, in interval code, the
 * overflow test) only where it matters.
 */
import { INT_MAX, INT_MIN } from '../../runtime/schedule/int-semantics.ts';
import type { MExpr } from './mask.ts';

type Range = readonly [number, number];
const FULL: Range = [INT_MIN, INT_MAX];
const fits = ([lo, hi]: Range) => lo >= INT_MIN && hi <= INT_MAX;

/** Exact range of each node's operation on its children's ranges (before wrapping). */
const exactCache = new WeakMap<MExpr, Range>();

/** The range of the exact result of `x`'s own operation, given its operands' (wrapped) ranges. */
function exactRange(x: MExpr): Range {
  const hit = exactCache.get(x);
  if (hit) return hit;
  const r = compute(x);
  exactCache.set(x, r);
  return r;
}

/** The range of the values `x` takes (ints; booleans as 0..1; floats get the int range, unused). */
export function intRange(x: MExpr): Range {
  const r = exactRange(x);
  return fits(r) ? r : FULL;
}

/** Whether `x` is an int operation whose exact result can leave the 32-bit range (and so wraps). */
export function mayWrap(x: MExpr): boolean {
  if (x.type !== 'int') return false;
  if (x.kind !== 'arith' && x.kind !== 'neg' && !(x.kind === 'call' && x.fn === 'abs')) return false;
  return !fits(exactRange(x));
}

const corners = (f: (a: number, b: number) => number, [al, ah]: Range, [bl, bh]: Range): Range => {
  const p = [f(al, bl), f(al, bh), f(ah, bl), f(ah, bh)];
  return [Math.min(...p), Math.max(...p)];
};

function compute(x: MExpr): Range {
  if (x.type === 'bool') return [0, 1];
  if (x.type !== 'int') return FULL;
  switch (x.kind) {
    case 'const': return [x.value as number, x.value as number];
    case 'var': return [0, INT_MAX - 1];
    case 'size': return [0, INT_MAX];
    case 'param': case 'input': return FULL;
    case 'neg': {
      const [l, h] = intRange(x.x);
      return [-h, -l];
    }
    case 'arith': {
      const a = intRange(x.a), b = intRange(x.b);
      switch (x.op) {
        case '+': return [a[0] + b[0], a[1] + b[1]];
        case '-': return [a[0] - b[1], a[1] - b[0]];
        // Products of 32-bit bounds may round in doubles, but never across the int range's ends.
        case '*': return corners((p, q) => p * q, a, b);
        case '/': {
          if (b[0] === b[1] && b[0] > 0) return [Math.floor(a[0] / b[0]), Math.floor(a[1] / b[0])];
          // |floor(a / b)| <= |a| for every divisor but -1, which negates (and 0, which gives 0).
          const m = Math.max(Math.abs(a[0]), Math.abs(a[1]));
          return b[0] <= -1 && b[1] >= -1 ? [-m, m] : [Math.max(-m, INT_MIN), Math.min(m, INT_MAX)];
        }
        case '%': {
          if (b[0] > 0) return [0, b[1] - 1];
          if (b[1] < 0) return [b[0] + 1, 0];
          const m = Math.max(Math.abs(b[0]), Math.abs(b[1]));
          return [Math.min(0, -m + 1), Math.max(0, m - 1)];
        }
      }
      return FULL;
    }
    case 'call': {
      const rs = x.args.map(intRange);
      switch (x.fn) {
        case 'abs': {
          const [l, h] = rs[0];
          return [l >= 0 ? l : h <= 0 ? -h : 0, Math.max(-l, h)];
        }
        case 'min': return [Math.min(...rs.map((r) => r[0])), Math.min(...rs.map((r) => r[1]))];
        case 'max': return [Math.max(...rs.map((r) => r[0])), Math.max(...rs.map((r) => r[1]))];
        case 'select': return [Math.min(rs[1][0], rs[2][0]), Math.max(rs[1][1], rs[2][1])];
        case 'hash': return [0, 0x7fffffff];
        default: return FULL;
      }
    }
    default: return FULL;
  }
}
