/**
 * Packs a block-sparse schedule (`runtime/schedule/types.ts`) into the one `array<i32>`
 * storage buffer the WGSL kernel reads, so the schedule costs one binding of the eight a
 * stage may have. Layout, all offsets in i32 elements:
 *
 *   [0, batch * heads)                     groupOf[bh] for every (b, h) of the run
 *   [groupTable, groupTable + 4 * groups)  per group g: offsets of its kvRowPtr, kvIndices,
 *                                          fullKvRowPtr and fullKvIndices in this buffer
 *   then each group's four arrays, as in the schedule (compressed rows over qBlock)
 *
 * The kernel rebuilds a group's lists exactly as the schedule defines them:
 *
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

/** Packs `s` for a run of `batch` entries (a schedule that ignores `b` serves every batch entry). */
export function packSchedule(s: Schedule, batch: number): PackedSchedule {
  const bhCount = batch * s.heads;
  const groupTable = bhCount;
  let size = groupTable + 4 * s.groups.length;
  for (const g of s.groups) size += g.kvRowPtr.length + g.kvIndices.length + g.fullKvRowPtr.length + g.fullKvIndices.length;
  const data = new Int32Array(Math.max(size, 1));
  for (let b = 0; b < batch; b++) {
    const sb = s.batch === 1 ? 0 : b;
    for (let h = 0; h < s.heads; h++) data[b * s.heads + h] = s.groupOf[sb * s.heads + h];
  }
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
