/**
 * [Note: Staged mask] A kernel that owns a register tile of several query rows and several keys
 * evaluates the mask at every (row, key) pair, but much of a mask depends on one side only:
 * natten's window start is a function of `q`, the key's grid coordinates of `k`, a document
 * id `doc[k]` of `k`. `stageMask` finds those parts: the largest subexpressions that depend
 * on `q` (with `h`, `b`, sizes and parameters) but not `k`, and those that depend on `k` but
 * not `q`. A kernel computes the query stage once per row, the key stage once per key, and
 * only the rest per pair, with the stage values as names.
 *
 * Staged values are computed eagerly, outside the `&&` / `||` / `select` that may have guarded
 * them; that is safe because evaluating the mask language never traps (the integer helpers
 * define division by zero, floats saturate), and an input read at a padding token (`len`)
 * only feeds a pair the kernel masks anyway (WebGPU bounds every storage read).
 */
import { children, varBits, type MExpr } from './mask.ts';

const Q = 1, K = 2;

/** The query-stage and key-stage nodes of `mask`, each list in first-visit order, no repeats. */
export interface MaskStages {
  readonly q: readonly MExpr[];
  readonly k: readonly MExpr[];
}

/**
 * The stages of `mask`: maximal subexpressions that use `q` and not `k` (query stage), or `k`
 * and not `q` (key stage), and are not bare leaves (`q`, `k`, a lone input read is staged).
 */
export function stageMask(mask: MExpr): MaskStages {
  const q: MExpr[] = [], k: MExpr[] = [];
  const seen = new Set<MExpr>();
  const visit = (e: MExpr) => {
    if (seen.has(e)) return;
    seen.add(e);
    const bits = varBits(e);
    const side = (bits & (Q | K)) === Q ? q : (bits & (Q | K)) === K ? k : undefined;
    if (side) {
      if (e.kind !== 'var') side.push(e);
      return;
    }
    for (const c of children(e)) visit(c);
  };
  visit(mask);
  return { q, k };
}
