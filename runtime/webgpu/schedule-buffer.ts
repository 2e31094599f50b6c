/**
 * Packs a block-sparse schedule (`runtime/schedule/types.ts`) into the one `array<i32>`
 * storage buffer the WGSL kernel reads, so the schedule costs one binding of the eight a
 * stage may have. Layout, all offsets in i32 elements, with n = batch * heads:
 *
 *   [0, n)                                 groupOf[bh] for every (b, h) of the run
 *   [n, n + n * numQBlocks)                the work order: entry w is bh * numQBlocks + qBlock,
 *                                          the work item workgroup w (x + y * numQBlocks) runs
 *   [groupTable, groupTable + 4 * groups)  per group g: offsets of its kvRowPtr, kvIndices,
 *                                          fullKvRowPtr and fullKvIndices in this buffer
 *   then each group's four arrays, as in the schedule (compressed rows over qBlock)
 *
 * [Note: Longest rows first] A GPU starts workgroups roughly in the order of their linear
 * id, so rows with the most tiles (causal's last query blocks, Longformer's global rows,
 * the last head's rows) dispatched last run alone at the end while the rest of the GPU
 * idles. The work order lists (bh, qBlock) by descending tile count (stable: equal rows keep
 * their order), so the long rows start first and the short ones fill in behind them.
 *
 * The kernel rebuilds a group's lists exactly as the schedule defines them:
 *
 *   item = sched[n + w]; bh = item / numQBlocks; qBlock = item % numQBlocks
 *   g = sched[bh]; e = groupTable + 4 * g
 *   for i in [sched[sched[e + 2] + qBlock], sched[sched[e + 2] + qBlock + 1]):
 *     kvBlock = sched[sched[e + 3] + i]          FULL
 *   for i in [sched[sched[e] + qBlock], sched[sched[e] + qBlock + 1]):
 *     kvBlock = sched[sched[e + 1] + i]          PARTIAL
 */
import type { GroupSchedule, Schedule } from '../schedule/types.ts';

/** A packed schedule. */
export interface PackedSchedule {
  readonly data: Int32Array;
  readonly groupTable: number;
  readonly fullTiles: number;
  readonly partialTiles: number;
}

/**
 * Packs `s` for a run of `batch` entries (a schedule that ignores `b` serves every batch entry),
 * its work longest rows first or, `as-planned`, in (bh, qBlock) order (benchmarks compare the two).
 */
export function packSchedule(s: Schedule, batch: number, order: 'longest-first' | 'as-planned' = 'longest-first'): PackedSchedule {
  const bhCount = batch * s.heads, nq = s.numQBlocks;
  const groupTable = bhCount + bhCount * nq;
  let size = groupTable + 4 * s.groups.length;
  for (const g of s.groups) size += g.kvRowPtr.length + g.kvIndices.length + g.fullKvRowPtr.length + g.fullKvIndices.length;
  const data = new Int32Array(Math.max(size, 1));
  for (let b = 0; b < batch; b++) {
    const sb = s.batch === 1 ? 0 : b;
    for (let h = 0; h < s.heads; h++) data[b * s.heads + h] = s.groupOf[sb * s.heads + h];
  }
  data.set(order === 'longest-first' ? workOrder(s, batch) : Int32Array.from({ length: bhCount * nq }, (_, i) => i), bhCount);
  let at = groupTable + 4 * s.groups.length;
  let fullTiles = 0, partialTiles = 0;
  s.groups.forEach((g, gi) => {
    [g.kvRowPtr, g.kvIndices, g.fullKvRowPtr, g.fullKvIndices].forEach((arr, j) => {
      data[groupTable + 4 * gi + j] = at;
      data.set(arr, at);
      at += arr.length;
    });
    // Tiles the kernel visits: each group's lists serve every member (b, h).
    const members = s.batch === 1 ? g.members.length * batch : g.members.length;
    fullTiles += g.fullKvIndices.length * members;
    partialTiles += g.kvIndices.length * members;
  });
  return { data, groupTable, fullTiles, partialTiles };
}

/** The work order of [Note: Longest rows first]: (bh * numQBlocks + qBlock) by descending tile count, stably (a counting sort). */
export function workOrder(s: Schedule, batch: number): Int32Array {
  const nq = s.numQBlocks, n = batch * s.heads * nq;
  const tiles = new Int32Array(n);
  let most = 0;
  for (let bh = 0; bh < batch * s.heads; bh++) {
    const g = s.groups[s.groupOf[(s.batch === 1 ? 0 : Math.floor(bh / s.heads)) * s.heads + (bh % s.heads)]];
    for (let qb = 0; qb < nq; qb++) {
      const t = g.kvRowPtr[qb + 1] - g.kvRowPtr[qb] + g.fullKvRowPtr[qb + 1] - g.fullKvRowPtr[qb];
      tiles[bh * nq + qb] = t;
      if (t > most) most = t;
    }
  }
  // Counting sort, descending: start[t] is where rows of t tiles begin.
  const start = new Int32Array(most + 2);
  for (let i = 0; i < n; i++) start[most - tiles[i] + 1]++;
  for (let t = 1; t <= most + 1; t++) start[t] += start[t - 1];
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[start[most - tiles[i]]++] = i;
  return order;
}

/**
 * A schedule with every tile FULL and one head group: the dense path of a kernel, for
 * benchmarks. Both lengths must be block multiples (FULL tiles never overhang).
 */
export function denseSchedule(pattern: string, qLen: number, kvLen: number, heads: number, blockQ: number, blockKv: number): Schedule {
  if (qLen % blockQ || kvLen % blockKv) throw new RangeError(`dense schedules need block multiples, got ${qLen}x${kvLen} for blocks ${blockQ}x${blockKv}`);
  const nq = qLen / blockQ, nkv = kvLen / blockKv;
  const rowPtr = Int32Array.from({ length: nq + 1 }, (_, i) => i * nkv);
  const idx = Int32Array.from({ length: nq * nkv }, (_, i) => i % nkv);
  const colPtr = Int32Array.from({ length: nkv + 1 }, (_, i) => i * nq);
  const qIdx = Int32Array.from({ length: nq * nkv }, (_, i) => i % nq);
  const none = new Int32Array(nq + 1), noneT = new Int32Array(nkv + 1), empty = new Int32Array(0);
  const group: GroupSchedule = {
    members: Int32Array.from({ length: heads }, (_, h) => h),
    kvNumBlocks: new Int32Array(nq), kvRowPtr: none, kvIndices: empty,
    fullKvNumBlocks: new Int32Array(nq).fill(nkv), fullKvRowPtr: rowPtr, fullKvIndices: idx,
    qNumBlocks: new Int32Array(nkv), qColPtr: noneT, qIndices: empty,
    fullQNumBlocks: new Int32Array(nkv).fill(nq), fullQColPtr: colPtr, fullQIndices: qIdx,
    fullyMaskedRows: [],
  };
  return {
    pattern, qLen, kvLen, heads, batch: 1, blockQ, blockKv, numQBlocks: nq, numKvBlocks: nkv,
    groupOf: new Int32Array(heads), groups: [group],
    stats: { fullTiles: nq * nkv, partialTiles: 0, unprovenPartialTiles: 0, refinedTiles: 0, classifierCalls: 0, pointEvaluations: 0 },
  };
}
