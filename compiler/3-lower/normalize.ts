/**
 * Pass: normalize. Pushes `!` inward (De Morgan; a negated comparison becomes the opposite
 * comparison) and orients comparisons so that interval reasoning sees the plainest form.
 * Meaning is unchanged; only the shape of boolean structure is. Each shared node is
 * rewritten once (and negated at most once), so sharing survives and the pass is linear.
 */
import * as M from '../ir/mask.ts';

const NEGATE: Record<M.CmpOp, M.CmpOp> = { '<': '>=', '<=': '>', '>': '<=', '>=': '<', '==': '!=', '!=': '==' };

/** Normalizes boolean structure of `e`. */
export function normalize(e: M.MExpr): M.MExpr {
  const pos = new Map<M.MExpr, M.MExpr>();
  const neg = new Map<M.MExpr, M.MExpr>();
  const norm = (x: M.MExpr): M.MExpr => {
    let r = pos.get(x);
    if (!r) {
      r = x.kind === 'not' ? negate(x.x) : M.mapChildren(x, norm);
      pos.set(x, r);
    }
    return r;
  };
  const negate = (x: M.MExpr): M.MExpr => {
    let r = neg.get(x);
    if (!r) {
      r = negated(x);
      neg.set(x, r);
    }
    return r;
  };
  const negated = (x: M.MExpr): M.MExpr => {
    switch (x.kind) {
      case 'not': return norm(x.x);
      case 'and': return M.or(x.args.map(negate), x.span);
      case 'or': return M.and(x.args.map(negate), x.span);
      case 'cmp': return M.cmp(NEGATE[x.op], norm(x.a), norm(x.b), x.span);
      case 'const': return M.bool(!x.value, x.span);
      default: return M.not(norm(x), x.span);
    }
  };
  return norm(e);
}
