/**
 * Phase 3: lowering, one flat function in the style of Halide's `lower_impl`. Each pass is
 * a free function in its own file; set `ATTNC_LOG=lower` to print the IR after each pass.
 *
 *   normalize        push `!` inward, negated comparisons flipped
 *   foldConstants    evaluate constant sub-trees (compile-time parameters are constants now)
 *   splitHeadGroups  head/batch-dependent sub-terms become slots: heads group by slot values
 *   layoutCoordinates  the grid of a layout and its coordinate expressions, for box tiles
 *   -> PlanIR        printed by 4-emit into planner code that classifies tiles by interval
 *                    reasoning, builds block lists and verifies them (runtime/schedule/)
 */
import type { BoundPattern } from '../2-check/bind.ts';
import { fold } from '../ir/fold.ts';
import { and, not, show, type MExpr } from '../ir/mask.ts';
import { invariant } from '../diagnostics/diagnostic.ts';
import type { DynamicPlanIR, PlanIR } from '../ir/plan.ts';
import { normalize } from './normalize.ts';
import { splitHeadGroups } from './split-head-groups.ts';
import { layoutCoordinates } from './layout-coordinates.ts';

function log(pass: string, e: MExpr): void {
  if (process.env.ATTNC_LOG?.split(',').includes('lower')) process.stderr.write(`[lower] after ${pass}:\n  ${show(e)}\n`);
}

/** Lowers a bound pattern to planner IR. */
export function lowerPattern(bp: BoundPattern): PlanIR {
  let mask = bp.mask;
  log('bind', mask);
  mask = normalize(mask);
  log('normalize', mask);
  mask = fold(mask);
  log('foldConstants', mask);
  const split = splitHeadGroups(mask);
  log('splitHeadGroups', split.mask);
  const layout = layoutCoordinates(bp.layout);
  return {
    patternName: bp.pattern.name,
    constValues: bp.constValues,
    mask: split.mask,
    headSlots: split.slots,
    dependsOnBatch: split.dependsOnBatch,
    runtimeParams: bp.runtimeParams,
    inputs: bp.inputs,
    asserts: bp.pendingAsserts,
    ...(layout ? { layout } : {}),
  };
}

/**
 * Lowers a pattern with a `select` clause to the planner IR of three static masks (see
 * `DynamicPlanIR`): the static part S = A && R, the restriction R and the candidates
 * C = R && !A. Each plans at any block size like any pattern's mask.
 */
export function lowerDynamic(bp: BoundPattern): DynamicPlanIR {
  const sel = bp.select;
  invariant(sel, `pattern ${bp.pattern.name} has no select clause`);
  const as = (mask: MExpr): PlanIR => lowerPattern({ ...bp, mask });
  return {
    static: lowerPattern(bp),
    restriction: as(sel.restriction),
    candidates: as(and([sel.restriction, not(sel.allow)])),
  };
}
