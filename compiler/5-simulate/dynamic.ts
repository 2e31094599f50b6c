/**
 * The simulator's model of a pattern with a `select` clause. Which blocks a call selects
 * depends on its data; how many does not: every query block takes min(k, candidates) of its
 * candidate key blocks. The model plans the static part and the candidates as the kernels do
 * (compiler/plan-dynamic.ts) and selects, in place of the data's scores, a fixed pseudo-random
 * ranking of the candidates; the merged schedule is priced like a static one. The selection
 * step (pooling q and k, scores, top-k, the merge) is priced by the traffic of reading q and k
 * once (a score input's table instead, for a clause scored by one), at the fraction of the
 * memory bandwidth measured for it, plus a fixed cost for its launches.
 */
import type { BoundPattern } from '../2-check/bind.ts';
import { callSelection, lowerDynamicToPlanners, selectAndMerge, type DynamicPlanners } from '../plan-dynamic.ts';
import { HASH, hash } from '../../runtime/schedule/int-semantics.ts';
import { selectionBlocks } from '../../runtime/schedule/select-scores.ts';
import type { PlanConfig, Schedule } from '../../runtime/schedule/types.ts';
import type { GpuProfile } from './profile.ts';
import type { SimShape } from './simulate.ts';

/**
 * The selection step's bandwidth as a fraction of the profile's, and its fixed cost (seven
 * launches): measured on an H200 (bench/results/cuda-h200-select-2026-12-02.md: 1.3-1.6 TB/s
 * of q and k read, B 1, 16 heads, head dim 128, 32k-128k tokens).
 */
export const SELECT_BANDWIDTH_FRACTION = 0.31;
export const SELECT_FIXED_US = 20;

/**
 * The selection step's modelled time (microseconds) for one call: q and k read once, or a score
 * input's float per (batch, head, query block, key block) instead (no pooling then).
 */
export function selectionUs(bp: BoundPattern, gpu: GpuProfile, shape: SimShape): number {
  let bytes: number;
  if (bp.select?.score.kind === 'input') {
    const { nQ, nK } = selectionBlocks(callSelection(bp, shape).shape);
    bytes = shape.batch * shape.heads * nQ * nK * 4;
  } else {
    bytes = shape.batch * (shape.heads * shape.qLen + shape.kvHeads * shape.kvLen) * shape.headDim * shape.dtypeBytes;
  }
  return SELECT_FIXED_US + bytes / (gpu.memoryTBs * SELECT_BANDWIDTH_FRACTION * 1e6);
}

/** A fixed pseudo-random score per cell (b, h, i, j) in [0, 1): the language's hash of it. */
const cellScore = (b: number, h: number, i: number, j: number) => hash(b, h, i, j) / (HASH.mask + 1);

const plannersOf = new WeakMap<BoundPattern, DynamicPlanners>();

/**
 * The schedule planner of the model: for a config (sizes, the kernel's tiles), the merged
 * schedule of a call whose data ranks the candidates pseudo-randomly. Throws `PlanError` as
 * planning a call does.
 */
export function expectedSchedules(bp: BoundPattern, shape: Pick<SimShape, 'kvHeads' | 'headDim'>): (cfg: PlanConfig) => Schedule {
  let planners = plannersOf.get(bp);
  if (!planners) plannersOf.set(bp, (planners = lowerDynamicToPlanners(bp)));
  const p = planners;
  return (cfg) => selectAndMerge(bp, p, cfg, shape.kvHeads, (sel) => {
    const { nQ, nK } = selectionBlocks(sel);
    const scores = new Float64Array(sel.batch * sel.heads * nQ * nK);
    for (let b = 0; b < sel.batch; b++) {
      for (let h = 0; h < sel.heads; h++) {
        for (let i = 0; i < nQ; i++) for (let j = 0; j < nK; j++) scores[((b * sel.heads + h) * nQ + i) * nK + j] = cellScore(b, h, i, j);
      }
    }
    return scores;
  }, false).schedule;
}
