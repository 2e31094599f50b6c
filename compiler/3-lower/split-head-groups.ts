/**
 * Pass: split head groups. Replaces every maximal sub-expression that depends on `h` or `b`
 * but not on `q`, `k` or per-token input arrays by a slot (`$g0`, `$g1`, ...): per-batch values
 * (`prefix[b]`) and the row offsets of per-batch arrays (`doc[b, k]` reads at `b * kv_len`) are
 * slots too, so batch elements whose values agree share a schedule. What remains of the mask
 * is the same for all heads that agree on the slot values, so the planner groups heads by
 * evaluating the slots once per (b, h): O(heads x slots), never O(heads x tiles).
 * Identical sub-expressions share one slot. Shared nodes are rewritten once (linear in the DAG).
 */
import * as M from '../ir/mask.ts';
import type { HeadSlot } from '../ir/plan.ts';

/** Extracts head/batch slots from `mask`. */
export function splitHeadGroups(mask: M.MExpr): { mask: M.MExpr; slots: HeadSlot[]; dependsOnBatch: boolean } {
  const slots: HeadSlot[] = [];
  const byStruct = new Map<number, string>();
  const memo = new Map<M.MExpr, M.MExpr>();
  const headOnly = (e: M.MExpr) =>
    (M.usesVar(e, 'h') || M.usesVar(e, 'b')) && !M.usesVar(e, 'q') && !M.usesVar(e, 'k');
  const walk = (e: M.MExpr): M.MExpr => {
    let r = memo.get(e);
    if (!r) {
      r = rewrite(e);
      memo.set(e, r);
    }
    return r;
  };
  const rewrite = (e: M.MExpr): M.MExpr => {
    if (headOnly(e)) {
      const id = M.structId(e);
      let name = byStruct.get(id);
      if (!name) {
        name = `$g${slots.length}`;
        byStruct.set(id, name);
        slots.push({ name, expr: e });
      }
      return { kind: 'param', type: e.type, name, mode: 'runtime', span: e.span };
    }
    if (e.kind === 'and' || e.kind === 'or') {
      // `h == 0 || h == 5 || k < 4`: the head-only operands form one slot, so heads 0 and 5
      // (both making it true) land in one group.
      const heads = e.args.filter(headOnly);
      if (heads.length > 1) {
        const rest = e.args.filter((a) => !headOnly(a));
        const combined = walk(e.kind === 'and' ? M.and(heads, e.span) : M.or(heads, e.span));
        const others = rest.map(walk);
        return e.kind === 'and' ? M.and([combined, ...others], e.span) : M.or([combined, ...others], e.span);
      }
    }
    return M.mapChildren(e, walk);
  };
  const out = walk(mask);
  return { mask: out, slots, dependsOnBatch: slots.some((s) => M.usesVar(s.expr, 'b')) };
}
