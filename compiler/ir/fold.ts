/**
 * Constant folding and light algebraic simplification on mask IR. Used by the checker (to
 * find constant division by zero and to evaluate parameter defaults) and by lowering once
 * compile-time parameters are bound. Folding never changes meaning: it only evaluates
 * constant subtrees and drops neutral operands (`x + 0`, `true && x`, ...).
 */
import { and, bool, float, int, mapChildren, or, type MExpr } from './mask.ts';
import { applyArith, applyBuiltin, applyCmp, applyNeg } from './semantics.ts';

const isConst = (e: MExpr): e is Extract<MExpr, { kind: 'const' }> => e.kind === 'const';

/** The largest finite f32: the kernels compute floats in f32. */
export const F32_MAX = 3.4028234663852886e38;
// The documented int range: 32-bit two's complement.
import { INT_MAX, INT_MIN } from '../../runtime/schedule/int-semantics.ts';

/**
 * Why a constant of type `type` with value `value` cannot be computed by the kernels, or
 * undefined when it can: ints must fit in 32 bits, floats must be finite and within the
 * f32 range.
 */
export function constantProblem(type: MExpr['type'], value: number | boolean): string | undefined {
  if (typeof value !== 'number') return undefined;
  if (type === 'int') return Number.isInteger(value) && value >= INT_MIN && value <= INT_MAX ? undefined : `${value}, which does not fit in a 32-bit int (${INT_MIN}..${INT_MAX})`;
  if (type === 'float') {
    if (!Number.isFinite(value)) return `${value}, which is not a finite float`;
    if (Math.abs(value) > F32_MAX) return `${value}, outside the f32 range (magnitude at most ${F32_MAX.toExponential(4)}) that kernels compute in`;
  }
  return undefined;
}

/** Called with a constant (or a node that folds to one) whose value `constantProblem` rejects. */
export type BadConstant = (node: MExpr, why: string) => void;

/** Folded nodes, by the node they came from. */
interface FoldMemo {
  get(e: MExpr): MExpr | undefined;
  set(e: MExpr, f: MExpr): unknown;
}

const FOLDED = new WeakMap<MExpr, MExpr>();

/** Folds `e` bottom-up. Memoised per node (folding is pure), so shared nodes fold once. */
export function fold(e: MExpr): MExpr {
  return foldWith(e, undefined, FOLDED);
}

/**
 * Folds `e` like `fold` and calls `bad` for each innermost node that is, or folds to, a
 * constant the kernels cannot compute (`constantProblem`); such a node is left unfolded, so
 * the nodes above it are not reported again. Int arithmetic is judged on its exact result
 * (`2147483647 + 1` is refused, though at run time it would wrap).
 */
export function foldReporting(e: MExpr, bad: BadConstant, memo: Map<MExpr, MExpr> = new Map()): MExpr {
  return foldWith(e, bad, memo);
}

/** One node of `fold` or `foldReporting`, each shared node once (`memo`). */
function foldWith(e: MExpr, bad: BadConstant | undefined, memo: FoldMemo): MExpr {
  const hit = memo.get(e);
  if (hit) return hit;
  const r = foldOne(e, bad, memo);
  memo.set(e, r);
  return r;
}

function foldOne(e: MExpr, bad: BadConstant | undefined, memo: FoldMemo): MExpr {
  const x = mapChildren(e, (c) => foldWith(c, bad, memo));
  if (!bad) return foldNode(x, e.span);
  if (x.kind === 'const') {
    const why = constantProblem(x.type, x.value);
    if (why) bad(x, why);
    return x;
  }
  const exact = exactInt(x);
  if (exact !== undefined) {
    const why = constantProblem('int', exact);
    if (why) {
      bad(x, why);
      return x;
    }
  }
  const f = foldNode(x, e.span);
  if (f !== x && f.kind === 'const') {
    const why = constantProblem(f.type, f.value);
    if (why) {
      bad(x, why);
      return x;
    }
  }
  return f;
}

/**
 * The exact (unwrapped) value of an int operation on constants that can wrap (`+ - *`, `/ -1`,
 * unary `-`, `abs`), or undefined. The language wraps at run time; a constant that would wrap
 * is refused when checked instead, as almost surely a mistake.
 */
function exactInt(x: MExpr): number | undefined {
  if (x.type !== 'int') return undefined;
  if (x.kind === 'arith' && isConst(x.a) && isConst(x.b)) {
    const a = x.a.value as number, b = x.b.value as number;
    if (x.op === '/') return b === -1 ? -a : undefined;
    return x.op === '+' ? a + b : x.op === '-' ? a - b : x.op === '*' ? a * b : undefined;
  }
  if (x.kind === 'neg' && isConst(x.x)) return -(x.x.value as number);
  if (x.kind === 'call' && x.fn === 'abs' && isConst(x.args[0])) return Math.abs(x.args[0].value as number);
  return undefined;
}

/** Folds one node whose children are already folded (int arithmetic wraps, as at run time). */
function foldNode(x: MExpr, span: MExpr['span']): MExpr {
  switch (x.kind) {
    case 'const': case 'var': case 'size': case 'param': case 'input':
      return x;
    case 'neg':
      return isConst(x.x) ? { ...x.x, value: applyNeg(x.x.value as number, x.type === 'int'), span } : x;
    case 'not':
      if (isConst(x.x)) return bool(!x.x.value, span);
      if (x.x.kind === 'not') return x.x.x;
      return x;
    case 'toFloat':
      return isConst(x.x) ? float(Number(x.x.value), span) : x;
    case 'arith': {
      const isInt = x.type === 'int';
      if (isConst(x.a) && isConst(x.b)) {
        const r = applyArith(x.op, x.a.value as number, x.b.value as number, isInt);
        return isInt ? int(r, span) : float(r, span);
      }
      const zero = (c: MExpr) => isConst(c) && c.value === 0;
      const one = (c: MExpr) => isConst(c) && c.value === 1;
      if (x.op === '+' && zero(x.a)) return x.b;
      if ((x.op === '+' || x.op === '-') && zero(x.b)) return x.a;
      if (x.op === '*' && one(x.a)) return x.b;
      if ((x.op === '*' || x.op === '/') && one(x.b)) return x.a;
      if (isInt && x.op === '%' && one(x.b)) return int(0, span);
      if (isInt && x.op === '*' && (zero(x.a) || zero(x.b))) return int(0, span);
      return x;
    }
    case 'pow':
      return isConst(x.a) && isConst(x.b) ? float(Math.pow(x.a.value as number, x.b.value as number), span) : x;
    case 'cmp':
      return isConst(x.a) && isConst(x.b) ? bool(applyCmp(x.op, x.a.value, x.b.value), span) : x;
    case 'and': {
      if (x.args.some((a) => isConst(a) && a.value === false)) return bool(false, span);
      const rest = x.args.filter((a) => !isConst(a));
      return rest.length === x.args.length ? x : and(rest, span);
    }
    case 'or': {
      if (x.args.some((a) => isConst(a) && a.value === true)) return bool(true, span);
      const rest = x.args.filter((a) => !isConst(a));
      return rest.length === x.args.length ? x : or(rest, span);
    }
    case 'call': {
      if (x.fn === 'select' && isConst(x.args[0])) return x.args[0].value ? x.args[1] : x.args[2];
      if (!x.args.every(isConst)) return x;
      const r = applyBuiltin(x.fn, x.args.map((a) => (a as { value: number | boolean }).value), x.type);
      return typeof r === 'boolean' ? bool(r, span) : x.type === 'float' ? float(r, span) : int(r, span);
    }
  }
}
