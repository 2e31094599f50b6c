/**
 * The simulator's model of a pattern with a `select` clause. Which blocks a call selects
 * depends on its data; how many does not: every query block takes min(k, candidates) of its
 * candidate key blocks. The model plans the static part and the candidates as the kernels do
 * (compiler/plan-dynamic.ts) and selects, in place of the data's scores, a fixed pseudo-random
 * ranking of the candidates; the merged schedule is priced like a static one. The selection
 * step (pooling q and k, scores, top-k, the merge) is priced by its measured parts: the read of
 * q and k (a score input's table instead, for a clause scored by one), the merge per kernel tile
 * and the ranking per selection cell, plus a fixed cost for its launches.
 */
import type { BoundPattern } from '../2-check/bind.ts';
import { callSelection, lowerDynamicToPlanners, selectAndMerge, type DynamicPlanners } from '../plan-dynamic.ts';
import { HASH, hash } from '../../runtime/schedule/int-semantics.ts';
import { selectionBlocks } from '../../runtime/schedule/select-scores.ts';
import type { PlanConfig, Schedule } from '../../runtime/schedule/types.ts';
import type { GpuProfile } from './profile.ts';
import type { SimShape } from './simulate.ts';

/**
 * The selection step's cost model, fitted to an H200 (bench/results/cuda-h200-select-2026-12-02.md,
 * run 3: B 1, 16 heads, head dim 128, 32k-128k tokens): a fixed cost for its launches; the
 * pooling's read of q and k at a fraction of the memory bandwidth (3 TB/s of 4.8 measured); the
 * merge, which visits every kernel tile of every (batch, head) twice (12 ns per thousand tiles);
 * and scoring and ranking, per selection cell of every group (50 ns per thousand).
 */
export const SELECT_FIXED_US = 20;
export const SELECT_BANDWIDTH_FRACTION = 0.6;
export const SELECT_MERGE_US_PER_TILE = 1.2e-5;
export const SELECT_RANK_US_PER_CELL = 5e-5;

/**
 * The selection step's modelled time (microseconds) for one call with kernel tiles of
 * `tiles`: q and k read once (a score input's table instead, for a clause scored by one: no
 * pooling), the merge over the kernel's tiles (rows, and for the backward `columns` too), and
 * the scores and top-k over the cells.
 */
export function selectionUs(bp: BoundPattern, gpu: GpuProfile, shape: SimShape, tiles: { readonly blockQ: number; readonly blockKv: number }, columns = false): number {
  const sel = callSelection(bp, shape).shape;
  const { nQ, nK } = selectionBlocks(sel);
  const groups = shape.batch * (bp.select?.perKvHead ? shape.kvHeads : shape.heads);
  const bytes = bp.select?.score.kind === 'input'
    ? shape.batch * shape.heads * nQ * nK * 4
    : shape.batch * (shape.heads * shape.qLen + shape.kvHeads * shape.kvLen) * shape.headDim * shape.dtypeBytes;
  const kernelTiles = shape.batch * shape.heads * Math.ceil(shape.qLen / tiles.blockQ) * Math.ceil(shape.kvLen / tiles.blockKv);
  return SELECT_FIXED_US + bytes / (gpu.memoryTBs * SELECT_BANDWIDTH_FRACTION * 1e6) + SELECT_MERGE_US_PER_TILE * kernelTiles * (columns ? 2 : 1) + SELECT_RANK_US_PER_CELL * groups * nQ * nK;
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
