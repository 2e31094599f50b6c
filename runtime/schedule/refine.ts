/**
 * What the planners of strips (`plan.ts`) and of boxes (`plan-box.ts`) share when they refine
 * a tile the classifier left undecided: the tile states, the cost counters, and the opening and
 * closing of one tile's refinement (the group's budget, the verdict from what was seen).
 */

/** A tile's state as the classifier and the refinement give it. */
export const EMPTY = 0, SOME = 1, ALL = 2;

/** The planner's cost counters. */
export interface PlanCounters {
  classifierCalls: number;
  pointEvaluations: number;
  refinedTiles: number;
  unproven: number;
  /** Refinement steps spent in the current head group (see `GROUP_REFINE_BUDGET` in `plan.ts`). */
  groupSteps: number;
}

/** Counts a tile's refinement; false when the group's `groupBudget` steps are spent (the tile then stays PARTIAL, unproven). */
export function startRefinement(ctr: PlanCounters, groupBudget: number): boolean {
  ctr.refinedTiles++;
  if (ctr.groupSteps < groupBudget) return true;
  ctr.unproven++;
  return false;
}

/**
 * The tile's state after a refinement of `steps` steps: PARTIAL once an allowed and a masked
 * element were seen, or when the steps ran out first (`exhausted`: sound, but unproven);
 * otherwise exactly FULL or EMPTY.
 */
export function refinementVerdict(seenT: boolean, seenF: boolean, exhausted: boolean, steps: number, ctr: PlanCounters): 0 | 1 | 2 {
  ctr.groupSteps += steps;
  if (seenT && seenF) return SOME;
  if (exhausted) {
    ctr.unproven++;
    return SOME;
  }
  return seenT ? ALL : EMPTY;
}
