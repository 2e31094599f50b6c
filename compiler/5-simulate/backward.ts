/**
 * The backward pass in the speedup simulator. A backward kernel of the FlashAttention-2 kind
 * has two kinds of work item over the same tiles:
 *   column items, one per (batch, kv head, key block): dK and dV, visiting the key block's
 *     query blocks (the transposed lists; with GQA, those of every query head of the group):
 *     four matrix products per tile (S^T, dP^T, dV, dK);
 *   row items, one per (batch, head, query block): dQ, recomputing S and dP: three products.
 * A preprocessing kernel (Delta = rowsum(dO * O)) streams O and dO first. Items are priced with
 * the tile cost model of the forward (simulate.ts: FULL tile, per mask operation and input read
 * of a PARTIAL tile, per item) and list-scheduled in the kernel's launch order: attnc's
 * Hopper backward takes each kind longest first by cost class (powers of two of the host plan's
 * cost; block order within a class) and interleaves the two kinds in one grid (column, row,
 * column, ...); FlexAttention launches, per head, its column programs in key-block order and
 * then its row programs in query-block order.
 */
import type { BoundPattern } from '../2-check/bind.ts';
import type { PlannerModule } from '../../runtime/schedule/planner.ts';
import { headDimScale, type BackwardModel, type GpuProfile } from './profile.ts';
import { selectionUs } from './dynamic.ts';
import { schedulesOf, checkSimSize, inputReads, listSchedule, maskOps, toResult, type SimResult, type SimShape } from './simulate.ts';

/** Simulates the backward pass of `kernel` on `gpu` for one problem. */
export function simulateBackward(bp: BoundPattern, planner: PlannerModule, gpu: GpuProfile, kernel: string, shape: SimShape): SimResult {
  const bm: BackwardModel | undefined = gpu.kernels[kernel]?.backward;
  if (!bm) throw new RangeError(`profile ${gpu.name} has no backward model for kernel ${kernel}`);
  checkSimSize(bm, shape);
  const s = schedulesOf(bp, planner, shape)({
    qLen: shape.qLen, kvLen: shape.kvLen, heads: shape.heads, batch: shape.batch,
    blockQ: bm.blockQ, blockKv: bm.blockKv, params: shape.params, inputs: shape.inputs, refineBudget: 4 * bm.blockQ * bm.blockKv,
  });
  const dScale = headDimScale(undefined, shape.headDim)  // the backward's head-dim factors are not measured yet: linear;
  const colFull = bm.colTileUs * dScale, rowFull = bm.rowTileUs * dScale;
  const maskUs = bm.maskOpUs * maskOps(bp.mask) + (bm.inputReadUs ?? 0) * (inputReads(bp.mask) + (bp.select ? 1 : 0));
  const nq = s.numQBlocks, nkv = s.numKvBlocks;
  const groupOf = (b: number, h: number) => s.groups[s.groupOf[(s.batch > 1 ? b : 0) * s.heads + h]];
  const perKv = shape.heads / shape.kvHeads;

  let full = 0, partial = 0, work = 0, maskWork = 0;
  /** An item's modelled time and its order class (the host plan's backwardCostClass). */
  interface Item { readonly us: number; readonly cls: number }
  const costClass = (nf: number, np: number) => Math.floor(Math.log2(4 * nf + 5 * np + 8));
  const item = (nf: number, np: number, tile: number): Item => {
    work += (nf + np) * tile + np * maskUs;
    maskWork += np * maskUs;
    return { us: bm.itemUs + (nf + np) * tile + np * maskUs, cls: costClass(nf, np) };
  };
  /** Column items of (b, kv head) in key-block order, row items of (b, h) in query-block order. */
  const columns = (b: number, kvh: number): Item[] => {
    const out: Item[] = [];
    for (let kb = 0; kb < nkv; kb++) {
      let nf = 0, np = 0;
      for (let h = kvh * perKv; h < (kvh + 1) * perKv; h++) {
        const g = groupOf(b, h);
        nf += g.fullQColPtr[kb + 1] - g.fullQColPtr[kb];
        np += g.qColPtr[kb + 1] - g.qColPtr[kb];
      }
      out.push(item(nf, np, colFull));
    }
    return out;
  };
  const rows = (b: number, h: number): Item[] => {
    const g = groupOf(b, h);
    const out: Item[] = [];
    for (let qb = 0; qb < nq; qb++) {
      const nf = g.fullKvRowPtr[qb + 1] - g.fullKvRowPtr[qb];
      const np = g.kvRowPtr[qb + 1] - g.kvRowPtr[qb];
      full += nf;
      partial += np;
      out.push(item(nf, np, rowFull));
    }
    return out;
  };
  /** The kernel's launch order of column items (per b, kv head) and row items (per b, head). */
  const launchOrder = (cols: Item[][], rws: Item[][]): number[] => {
    const out: number[] = [];
    if (bm.order === 'interleaved') {
      // Both kinds longest class first, natural order within a class (the host plan's colOrder
      // and rowOrder: floor(log2(4 FULL + 5 PARTIAL + 8))), then alternating.
      const byClass = (xs: Item[]) => xs.map((x, i) => ({ ...x, i })).sort((a, b) => b.cls - a.cls || a.i - b.i).map((x) => x.us);
      const col = byClass(cols.flat()), row = byClass(rws.flat());
      for (let i = 0; i < Math.max(col.length, row.length); i++) {
        if (i < col.length) out.push(col[i]);
        if (i < row.length) out.push(row[i]);
      }
    } else {
      for (let i = 0; i < cols.length; i++) {
        out.push(...cols[i].map((x) => x.us));
        for (let j = i * perKv; j < (i + 1) * perKv; j++) out.push(...rws[j].map((x) => x.us));
      }
    }
    return out;
  };
  const cols: Item[][] = [], rws: Item[][] = [];
  for (let b = 0; b < shape.batch; b++) for (let kvh = 0; kvh < shape.kvHeads; kvh++) cols.push(columns(b, kvh));
  for (let b = 0; b < shape.batch; b++) for (let h = 0; h < shape.heads; h++) rws.push(rows(b, h));
  const costs = launchOrder(cols, rws);
  const slots = gpu.multiprocessors * bm.itemsPerSm;
  const makespan = listSchedule(costs, slots);
  const totalCost = costs.reduce((a, c) => a + c, 0);

  // Compulsory traffic: Q, O, dO read and dQ written (query side), K, V read and dK, dV written.
  const qSide = shape.batch * shape.heads * shape.qLen * shape.headDim * shape.dtypeBytes;
  const kvSide = shape.batch * shape.kvHeads * shape.kvLen * shape.headDim * shape.dtypeBytes;
  const bwTBs = gpu.memoryTBs * 1e6;
  const memoryUs = (4 * qSide + 4 * kvSide) / bwTBs;
  const preprocessUs = (2 * qSide) / bwTBs + bm.launchUs;  // Delta = rowsum(dO * O)
  // A pattern with `select` selects again before its backward kernels (select.cuh).
  const selectUs = bp.select ? selectionUs(bp, gpu, shape, bm, true) : 0;
  const sparseUs = preprocessUs + Math.max(makespan, memoryUs) + bm.launchUs + selectUs;

  // The same kernel run dense, and the dense baseline (SDPA's backward) at the profile's rate.
  const denseCol = bm.itemUs + nq * perKv * colFull, denseRow = bm.itemUs + nkv * rowFull;
  const denseCosts = launchOrder(cols.map((c) => c.map(() => ({ us: denseCol, cls: costClass(nq * perKv, 0) }))), rws.map((r) => r.map(() => ({ us: denseRow, cls: costClass(nkv, 0) }))));
  const denseUs = preprocessUs + listSchedule(denseCosts, slots) + bm.launchUs;
  const flops = 2.5 * 4 * shape.batch * shape.heads * shape.qLen * shape.kvLen * shape.headDim;
  const baselineUs = flops / ((gpu.denseBwdTflops ?? gpu.denseTflops) * 1e6);
  const totalTiles = nq * nkv * shape.batch * shape.heads;
  const ideal = full + partial === 0 ? Infinity : totalTiles / (full + partial);
  const idealUs = (denseUs - preprocessUs - bm.launchUs) / ideal;
  return toResult(kernel, 'backward', gpu, shape, {
    denseUs, baselineUs, sparseUs, ideal, full, partial, workItems: costs.length, tiles: 'strip',
    gapUs: {
      tileRate: (work - maskWork) / slots - idealUs,
      masking: maskWork / slots,
      tail: Math.max(0, makespan - totalCost / slots),
      overhead: bm.itemUs * costs.length / slots + preprocessUs + bm.launchUs + selectUs,
      memory: Math.max(0, memoryUs - makespan),
    },
  });
}
