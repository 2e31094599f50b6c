/**
 * The candidates of a data-dependent selection from the planner: the selection block (i, j)
 * of (b, h) is a candidate when the tile [i * BQ, (i + 1) * BQ) x [j * BK, (j + 1) * BK) of the
 * candidate mask C = R && !A (`lowerDynamic`) is not EMPTY. Tiles are classified exactly: the
 * interval classifier first, then bisection down to single points where it cannot tell, so
 * any BQ and BK work (not only the kernel's powers of two).
 */
import { buildInputs, validateParams } from './plan.ts';
import type { BoundPlanner, PlannerModule } from './planner.ts';
import { PlanError } from './types.ts';
import { selectionBlocks, type SelectionShape } from './select-scores.ts';

/** Classifier steps one head group may spend in all; past it, undecided tiles count as candidates (selecting one changes nothing). */
export const CANDIDATE_STEP_BUDGET = 1 << 22;

/**
 * `[batch, heads, nQ, nK]` bytes, 1 where the planner of C (`mod`) finds an allowed point in
 * the selection block. `params` are the runtime values, `inputs` the int input arrays.
 */
export function blockCandidates(mod: PlannerModule, s: SelectionShape, params: Readonly<Record<string, number | boolean>> = {}, inputs: Readonly<Record<string, ArrayLike<number>>> = {}): Uint8Array {
  const { qLen, kvLen, heads, batch, blockQ, blockKv } = s;
  const cfg = { qLen, kvLen, heads, batch, blockQ, blockKv, params, inputs };
  const values = validateParams(mod, cfg);
  const sizes = { qLen, kvLen, heads };
  const failed = mod.failedAsserts(sizes, values);
  if (failed.length) throw new PlanError('assertion_failed', failed.join('; '));
  const tables = buildInputs(mod, cfg);
  const { nQ, nK } = selectionBlocks(s);
  const out = new Uint8Array(batch * heads * nQ * nK);
  const byKey = new Map<string, Uint8Array>();
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const slots = mod.slots(h, b, sizes, values, tables);
      const key = slots.join(',');
      let states = byKey.get(key);
      if (!states) {
        states = classifyBlocks(mod.bind(sizes, values, slots, tables), s, nQ, nK);
        byKey.set(key, states);
      }
      out.set(states, (b * heads + h) * nQ * nK);
    }
  }
  return out;
}

function classifyBlocks(p: BoundPlanner, s: SelectionShape, nQ: number, nK: number): Uint8Array {
  const out = new Uint8Array(nQ * nK);
  const budget = { steps: 0 };
  for (let i = 0; i < nQ; i++) {
    const q0 = i * s.blockQ, q1 = Math.min(q0 + s.blockQ, s.qLen) - 1;
    for (let j = 0; j < nK; j++) {
      const k0 = j * s.blockKv, k1 = Math.min(k0 + s.blockKv, s.kvLen) - 1;
      out[i * nK + j] = anyAllowed(p, q0, q1, k0, k1, budget) ? 1 : 0;
    }
  }
  return out;
}

/** Is some point of q in [q0, q1], k in [k0, k1] allowed? Exact unless the budget runs out (then true). */
function anyAllowed(p: BoundPlanner, q0: number, q1: number, k0: number, k1: number, budget: { steps: number }): boolean {
  if (budget.steps++ >= CANDIDATE_STEP_BUDGET) return true;
  if (q0 === q1 && k0 === k1) return p.mask(q0, k0);
  const c = p.classify(q0, q1, k0, k1);
  if (c !== 1) return c === 2;
  if (q1 - q0 >= k1 - k0) {
    const m = (q0 + q1) >> 1;
    return anyAllowed(p, q0, m, k0, k1, budget) || anyAllowed(p, m + 1, q1, k0, k1, budget);
  }
  const m = (k0 + k1) >> 1;
  return anyAllowed(p, q0, q1, k0, m, budget) || anyAllowed(p, q0, q1, m + 1, k1, budget);
}
