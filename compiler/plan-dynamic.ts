/**
 * Planning a pattern with a `select` clause for one call, the way a device does it: the
 * static masks S, R and C (`lowerDynamic`) are planned by their printed planners; the call's
 * data picks Sel (`runtime/schedule/select-scores.ts`) among the candidates the planner of C
 * finds at BQ x BK (`select-candidates.ts`); Sel is merged into the tile schedule of S and R
 * (`select-merge.ts`). The reference for all of it is `eval/select.ts`.
 */
import type { BoundPattern, ParamValue } from './2-check/bind.ts';
import { withRuntimeDefaults } from './2-check/bind.ts';
import { lowerDynamic } from './3-lower/lower.ts';
import { printPlanner } from './4-emit/planner/print-planner.ts';
import { selectValues, type SelectValues } from './eval/select.ts';
import type { LoweredPattern } from './pipeline.ts';
import { loadPlanner, type BoundPlanner, type PlannerModule } from '../runtime/schedule/planner.ts';
import { buildInputs, MAX_SCHEDULE_TILES, planSchedule, scheduleTiles, validateParams } from '../runtime/schedule/plan.ts';
import { blockCandidates } from '../runtime/schedule/select-candidates.ts';
import { mergeSelection } from '../runtime/schedule/select-merge.ts';
import { poolScores, selectBlocks, selectionBlocks, validateSelection, type SelectionShape } from '../runtime/schedule/select-scores.ts';
import { PlanError, type PlanConfig, type Schedule } from '../runtime/schedule/types.ts';

/** The three planners of a dynamic pattern: S = A && R, R, and C = R && !A. */
export interface DynamicPlanners {
  readonly static: LoweredPattern;
  readonly restriction: LoweredPattern;
  readonly candidates: LoweredPattern;
}

/** Lowers a bound pattern with a `select` clause and loads its three planners. */
export function lowerDynamicToPlanners(bp: BoundPattern): DynamicPlanners {
  const ir = lowerDynamic(bp);
  const load = (plan: typeof ir.static): LoweredPattern => {
    const plannerSource = printPlanner(plan);
    return { plan, plannerSource, planner: loadPlanner(plannerSource) };
  };
  return { static: load(ir.static), restriction: load(ir.restriction), candidates: load(ir.candidates) };
}

/** One call: sizes, the kernel's tile size, runtime values, int input arrays and the data. */
export interface SelectCall {
  readonly batch: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly qLen: number;
  readonly kvLen: number;
  readonly headDim: number;
  /** The kernel's tile size (a power of two from 16 to 256), independent of BQ and BK. */
  readonly blockQ: number;
  readonly blockKv: number;
  readonly params?: Readonly<Record<string, ParamValue>>;
  readonly inputs?: Readonly<Record<string, ArrayLike<number>>>;
  readonly q?: ArrayLike<number>;
  readonly k?: ArrayLike<number>;
  readonly gate?: ArrayLike<number>;
}

/** What planning one call gives. */
export interface DynamicPlan {
  readonly values: SelectValues;
  readonly shape: SelectionShape;
  readonly candidates: Uint8Array;
  readonly scores: Float64Array;
  readonly sel: Uint8Array;
  readonly static: Schedule;
  readonly restriction: Schedule;
  /** The kernel's schedule for this call. */
  readonly schedule: Schedule;
}

/** The select clause's values for a call, checked (`PlanError` `bad_select` / `bad_size`). */
export function callSelection(bp: BoundPattern, call: Pick<SelectCall, 'batch' | 'heads' | 'kvHeads' | 'qLen' | 'kvLen' | 'params' | 'inputs'>): { values: SelectValues; shape: SelectionShape } {
  const params = withRuntimeDefaults(bp, call.params ?? {});
  const values = selectValues(bp, { sizes: { qLen: call.qLen, kvLen: call.kvLen, heads: call.heads }, params, inputs: call.inputs ?? {} });
  const shape: SelectionShape = { batch: call.batch, heads: call.heads, kvHeads: call.kvHeads, qLen: call.qLen, kvLen: call.kvLen, blockQ: values.blockQ, blockKv: values.blockKv };
  validateSelection(shape, values.k);
  return { values, shape };
}

/** Plans one call of a dynamic pattern. Throws `PlanError` for bad sizes, values or data. */
export function planDynamic(bp: BoundPattern, planners: DynamicPlanners, call: SelectCall): DynamicPlan {
  // The merged schedule has a tile map per (batch, head): the planner's tile limit bounds them all.
  const tiles = scheduleTiles(call.batch * call.heads, call.qLen, call.kvLen, call.blockQ, call.blockKv);
  if (tiles > MAX_SCHEDULE_TILES) throw new PlanError('bad_size', `the schedule of this call would have ${tiles} tiles (batch x heads x query blocks x key blocks); the limit is ${MAX_SCHEDULE_TILES}: use larger blocks, fewer heads or shorter sequences`);
  const cfg = { qLen: call.qLen, kvLen: call.kvLen, heads: call.heads, batch: call.batch, blockQ: call.blockQ, blockKv: call.blockKv, params: call.params, inputs: call.inputs };
  return selectAndMerge(bp, planners, cfg, call.kvHeads, (shape) => poolScores(bp.select!.score, shape, call.headDim, call.q, call.k, call.gate), true);
}

/**
 * The steps of planning a call after its size checks: the static part and R planned, the
 * candidates, `scoresOf`'s scores (the data's, or a stand-in) ranked into Sel, Sel merged.
 * `exactMaskedRows`: find the fully masked rows point by point (`mergeSelection`'s mask).
 */
export function selectAndMerge(bp: BoundPattern, planners: DynamicPlanners, cfg: PlanConfig, kvHeads: number, scoresOf: (shape: SelectionShape) => Float64Array, exactMaskedRows: boolean): DynamicPlan {
  const call = { batch: cfg.batch ?? 1, heads: cfg.heads, kvHeads, qLen: cfg.qLen, kvLen: cfg.kvLen, params: cfg.params, inputs: cfg.inputs };
  const stat = planSchedule(planners.static.planner, cfg);
  const restriction = planSchedule(planners.restriction.planner, cfg);
  const { values, shape } = callSelection(bp, call);
  const candidates = blockCandidates(planners.candidates.planner, shape, call.params, call.inputs);
  const scores = scoresOf(shape);
  const sel = selectBlocks(scores, candidates, shape, values.k, bp.select!.perKvHead);
  const mask = exactMaskedRows ? callMask([planners.static.planner, planners.restriction.planner], cfg, sel, shape) : undefined;
  const schedule = mergeSelection(sel, shape, stat, restriction, mask);
  return { values, shape, candidates, scores, sel, static: stat, restriction, schedule };
}

/** M(b, h, q, k) = S || (Sel && R) from the planners' point masks (for fully masked rows). */
function callMask([ms, mr]: readonly PlannerModule[], cfg: Parameters<typeof planSchedule>[1], sel: Uint8Array, shape: SelectionShape): (b: number, h: number, q: number, k: number) => boolean {
  const sizes = { qLen: cfg.qLen, kvLen: cfg.kvLen, heads: cfg.heads };
  const { nQ, nK } = selectionBlocks(shape);
  const bound = new Map<number, [BoundPlanner, BoundPlanner]>();
  const pair = (b: number, h: number) => {
    const at = b * cfg.heads + h;
    let p = bound.get(at);
    if (!p) {
      const one = (m: PlannerModule) => {
        const params = validateParams(m, cfg), tables = buildInputs(m, cfg);
        return m.bind(sizes, params, m.slots(h, b, sizes, params, tables), tables);
      };
      bound.set(at, (p = [one(ms), one(mr)]));
    }
    return p;
  };
  return (b, h, q, k) => {
    const [s, r] = pair(b, h);
    if (s.mask(q, k)) return true;
    const i = Math.floor(q / shape.blockQ), j = Math.floor(k / shape.blockKv);
    return sel[((b * cfg.heads + h) * nQ + i) * nK + j] === 1 && r.mask(q, k);
  };
}
