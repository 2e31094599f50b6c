/**
 * Pass: normalize. Pushes `!` inward (De Morgan; a negated comparison becomes the opposite
 * comparison) and orients comparisons so that interval reasoning sees the plainest form.
 * Meaning is unchanged; only the shape of boolean structure is.
 */
import * as M from '../ir/mask.ts';

const NEGATE: Record<M.CmpOp, M.CmpOp> = { '<': '>=', '<=': '>', '>': '<=', '>=': '<', '==': '!=', '!=': '==' };

/** Normalizes boolean structure of `e`. */
export function normalize(e: M.MExpr): M.MExpr {
  if (e.kind === 'not') return negate(e.x);
  return M.mapChildren(e, normalize);
}

function negate(e: M.MExpr): M.MExpr {
  switch (e.kind) {
    case 'not': return normalize(e.x);
    case 'and': return M.or(e.args.map(negate), e.span);
    case 'or': return M.and(e.args.map(negate), e.span);
    case 'cmp': return M.cmp(NEGATE[e.op], normalize(e.a), normalize(e.b), e.span);
    case 'const': return M.bool(!e.value, e.span);
    default: return M.not(normalize(e), e.span);
  }
}
