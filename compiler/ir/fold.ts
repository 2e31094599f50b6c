/**
 * Constant folding and light algebraic simplification on mask IR. Used by the checker (to
 * find constant division by zero and to evaluate parameter defaults) and by lowering once
 * compile-time parameters are bound. Folding never changes meaning: it only evaluates
 * constant subtrees and drops neutral operands (`x + 0`, `true && x`, ...).
 */
import { and, bool, float, int, mapChildren, or, type MExpr } from './mask.ts';
import { applyArith, applyBuiltin, applyCmp } from './semantics.ts';

const isConst = (e: MExpr): e is Extract<MExpr, { kind: 'const' }> => e.kind === 'const';

/** Folds `e` bottom-up. */
export function fold(e: MExpr): MExpr {
  const x = mapChildren(e, fold);
  const span = e.span;
  switch (x.kind) {
    case 'const': case 'var': case 'size': case 'param': case 'input':
      return x;
    case 'neg':
      return isConst(x.x) ? { ...x.x, value: -(x.x.value as number), span } : x;
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
      const r = applyBuiltin(x.fn, x.args.map((a) => (a as { value: number | boolean }).value));
      return typeof r === 'boolean' ? bool(r, span) : x.type === 'float' ? float(r, span) : int(r, span);
    }
  }
}
