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
 *   [workBase, workBase + 6 * workItems)   the tiled kernel's work entries, in work order, each
 *                                          resolved to its tiles ([Note: Resolved entries]): item
 *                                          (bh * numQBlocks + qBlock), slot, fullAt, nFull,
 *                                          partAt, nPartial
 *   [combineBase, + 3 * combineRows)       its split rows: item, first slot, parts
 *
 * [Note: Split rows] Longest-first order cannot help a row that alone takes longer than the
 * rest of the call: Longformer's and BigBird's global rows list every key block (256 at 16k
 * tokens) where the other rows list a few, so the call lasts as long as one workgroup takes
 * over 256 tiles while the GPU idles. The tiled kernel therefore splits a row of more than
 * `partTiles` tiles into parts of at most that many (FULL tiles first, then PARTIAL: tiles
 * [tileStart, tileEnd) of that sequence), each a work entry of its own that writes its
 * unnormalised output, running max, sum and whether it met an allowed key to a slot of the
 * `part` buffer; a second dispatch in the same pass (the kernel's `combine` entry point)
 * merges each split row's parts into o and lse, as flash-decoding merges its splits. An
 * unsplit row is one entry from 0 to its tile count with slot -1, written directly. By
 * default (`splitTiles`) rows of more than twice the mean tile count, and more than 16 tiles,
 * are split into parts of at most that many tiles: uniform patterns never split, so they pay
 * nothing. Where the runtime splits without being asked, and what it measured: `splitsByDefault`.
 *
 * [Note: Resolved entries] A work entry says where its tiles are in this buffer: FULL tile t
 * (t < nFull) is key block sched[fullAt + t], PARTIAL tile t is sched[partAt + t]. Built from
 * the compressed rows below on the CPU, once per packing, it spares each workgroup a chain of
 * dependent loads (groupOf, the group table, the row pointers) before its first key block's
 * loads can start, and the kernel the code that walks it. Measured on an H200 (2026-12-06,
 * bench/results/webgpu-h200-2026-12-06.md): within ±4% of the unresolved entries on every
 * short-row pattern timed (chunked, natten, swin, bigbird, longformer), no gain the noise
 * shows; kept because the kernel is simpler.
 *
 * [Note: Longest rows first] A GPU starts workgroups roughly in the order of their linear
 * id, so rows with the most tiles (causal's last query blocks, Longformer's global rows,
 * the last head's rows) dispatched last run alone at the end while the rest of the GPU
 * idles. The work order lists (bh, qBlock) by descending tile count (stable: equal rows keep
 * their order), so the long rows start first and the short ones fill in behind them.
 *
 * The lists, exactly as the schedule defines them (the simple kernel reads them so; the tiled
 * one through its resolved entries):
 *
 *   item = sched[n + w]; bh = item / numQBlocks; qBlock = item % numQBlocks
 *   g = sched[bh]; e = groupTable + 4 * g
 *   for i in [sched[sched[e + 2] + qBlock], sched[sched[e + 2] + qBlock + 1]):
 *     kvBlock = sched[sched[e + 3] + i]          FULL
 *   for i in [sched[sched[e] + qBlock], sched[sched[e] + qBlock + 1]):
 *     kvBlock = sched[sched[e + 1] + i]          PARTIAL
 */
import type { GroupSchedule, Schedule } from '../schedule/types.ts';
import type { Dtype } from './tiles.ts';

/** A packed schedule. */
export interface PackedSchedule {
  readonly data: Int32Array;
  readonly groupTable: number;
  readonly fullTiles: number;
  readonly partialTiles: number;
  /** The tiled kernel's work entries ([Note: Split rows]): where they start, how many. */
  readonly workBase: number;
  readonly workItems: number;
  /** Split rows the combine pass merges: where their table starts, how many. */
  readonly combineBase: number;
  readonly combineRows: number;
  /** Slots of the `part` buffer the split rows' parts take. */
  readonly slots: number;
}

/** i32s of a resolved work entry ([Note: Resolved entries]). */
export const WORK_ENTRY = 6;

/** Rows of the default split: at least this many tiles ([Note: Split rows]). */
export const MIN_SPLIT_TILES = 16;

/** The default part length of [Note: Split rows]: twice the mean tile count of a row, and at least MIN_SPLIT_TILES. */
export function splitTiles(s: Schedule): number {
  return Math.max(MIN_SPLIT_TILES, Math.ceil(2 * meanRowTiles(s)));
}

/**
 * Tiles a schedule lists over the (batch, head) entries it distinguishes (each entry is a
 * member of one group; a run of more batch entries than the schedule distinguishes repeats them).
 */
export function listedTiles(s: Schedule): number {
  let listed = 0;
  for (const g of s.groups) listed += (g.fullKvIndices.length + g.kvIndices.length) * g.members.length;
  return listed;
}

/** Listed tiles per query row of a schedule, on average over its rows and (batch, head) entries. */
export function meanRowTiles(s: Schedule): number {
  return listedTiles(s) / Math.max(1, s.numQBlocks * s.heads * s.batch);
}

/** Elements a schedule's listed tiles cover (tiles x blockQ x blockKv). */
export function coveredElements(s: Schedule): number {
  return listedTiles(s) * s.blockQ * s.blockKv;
}

/**
 * The share of the chosen tiles' elements at most which half-height tiles must cover to run
 * ([Note: Short rows] in attention.ts, where it was measured).
 */
export const SHORT_ROW_RATIO = 0.8;

/** Whether `half`, the schedule of half-height tiles, runs instead of `chosen` ([Note: Short rows]). */
export function halfHeightPays(chosen: Schedule, half: Schedule): boolean {
  return coveredElements(half) <= SHORT_ROW_RATIO * coveredElements(chosen);
}

/**
 * Whether the tiled kernel splits long rows without being asked ([Note: Split rows]): f16 at
 * head dims up to 64, as measured on an H200 through Vulkan at 16k tokens (bench/results/
 * webgpu-h200-{split,nosplit}-*-2026-12-03.json): BigBird 1.36x and Longformer 1.40x faster
 * there, where a row's tiles run fastest and the global rows alone outlast the call; in f32 at
 * head dim 64 and f16 at 128 the same splits made them 0.96-0.99x (the rest of the call
 * already outlasts the global rows), so there `tiles.splitTiles` asks for them.
 */
export function splitsByDefault(dtype: Dtype, headDim: number): boolean {
  return dtype === 'f16' && headDim <= 64;
}

/**
 * Packs `s` for a run of `batch` entries (a schedule that ignores `b` serves every batch entry),
 * its work longest rows first or, `as-planned`, in (bh, qBlock) order (benchmarks compare the two),
 * rows of more than `partTiles` tiles split for the tiled kernel ([Note: Split rows]).
 */
export function packSchedule(s: Schedule, batch: number, order: 'longest-first' | 'as-planned' = 'longest-first', partTiles = Infinity): PackedSchedule {
  const bhCount = batch * s.heads, nq = s.numQBlocks;
  const groupTable = bhCount + bhCount * nq;
  let size = groupTable + 4 * s.groups.length;
  for (const g of s.groups) size += g.kvRowPtr.length + g.kvIndices.length + g.fullKvRowPtr.length + g.fullKvIndices.length;
  const work = workEntries(s, batch, order, partTiles);
  const workItems = work.entries.length / 4;
  const workBase = size, combineBase = size + WORK_ENTRY * workItems;
  size = combineBase + work.combine.length;
  const data = new Int32Array(Math.max(size, 1));
  data.set(work.combine, combineBase);
  for (let b = 0; b < batch; b++) {
    const sb = s.batch === 1 ? 0 : b;
    for (let h = 0; h < s.heads; h++) data[b * s.heads + h] = s.groupOf[sb * s.heads + h];
  }
  data.set(work.order, bhCount);
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
  resolveEntries(s, data, groupTable, work.entries, workBase);
  return { data, groupTable, fullTiles, partialTiles, workBase, workItems, combineBase, combineRows: work.combine.length / 3, slots: work.slots };
}

/**
 * Writes the work entries (item, tileStart, tileEnd, slot) resolved to their tiles
 * ([Note: Resolved entries]) from `workBase` on: tiles [tileStart, tileEnd) of the row's FULL
 * then PARTIAL list, as sched offsets and counts.
 */
function resolveEntries(s: Schedule, data: Int32Array, groupTable: number, entries: Int32Array, workBase: number): void {
  const nq = s.numQBlocks;
  for (let e = 0, at = workBase; e < entries.length; e += 4, at += WORK_ENTRY) {
    const [item, tileStart, tileEnd, slot] = [entries[e], entries[e + 1], entries[e + 2], entries[e + 3]];
    const qBlock = item % nq, bh = Math.floor(item / nq);
    const gt = groupTable + 4 * data[bh];
    const [kvRowPtr, kvIndices, fullKvRowPtr, fullKvIndices] = [data[gt], data[gt + 1], data[gt + 2], data[gt + 3]];
    const fullStart = data[fullKvRowPtr + qBlock];
    const nFull = data[fullKvRowPtr + qBlock + 1] - fullStart;
    const f0 = Math.min(tileStart, nFull);
    const p0 = Math.max(tileStart - nFull, 0);
    data[at] = item;
    data[at + 1] = slot;
    data[at + 2] = fullKvIndices + fullStart + f0;
    data[at + 3] = Math.max(Math.min(tileEnd, nFull) - f0, 0);
    data[at + 4] = kvIndices + data[kvRowPtr + qBlock] + p0;
    data[at + 5] = Math.max(tileEnd - nFull - p0, 0);
  }
}

/** Tiles of every work item (bh * numQBlocks + qBlock). */
function rowTiles(s: Schedule, batch: number): Int32Array {
  const nq = s.numQBlocks;
  const tiles = new Int32Array(batch * s.heads * nq);
  for (let bh = 0; bh < batch * s.heads; bh++) {
    const g = s.groups[s.groupOf[(s.batch === 1 ? 0 : Math.floor(bh / s.heads)) * s.heads + (bh % s.heads)]];
    for (let qb = 0; qb < nq; qb++) tiles[bh * nq + qb] = g.kvRowPtr[qb + 1] - g.kvRowPtr[qb] + g.fullKvRowPtr[qb + 1] - g.fullKvRowPtr[qb];
  }
  return tiles;
}

/**
 * The work entries of [Note: Split rows] (4 ints each, longest first or as planned) and the
 * combine table (3 ints per split row). A row of n > partTiles tiles takes ceil(n / partTiles)
 * parts of near-equal length.
 */
export function workEntries(s: Schedule, batch: number, order: 'longest-first' | 'as-planned', partTiles: number): { order: Int32Array; entries: Int32Array; combine: Int32Array; slots: number } {
  const tiles = rowTiles(s, batch);
  const items = order === 'longest-first' ? workOrder(s, batch, tiles) : Int32Array.from({ length: tiles.length }, (_, i) => i);
  const list: [number, number, number, number][] = [];
  const combine: number[] = [];
  let slots = 0;
  for (const item of items) {
    const n = tiles[item];
    const parts = n > partTiles ? Math.ceil(n / partTiles) : 1;
    if (parts === 1) { list.push([item, 0, n, -1]); continue; }
    combine.push(item, slots, parts);
    for (let p = 0; p < parts; p++) list.push([item, Math.floor((p * n) / parts), Math.floor(((p + 1) * n) / parts), slots++]);
  }
  // Longest first, by the entries' own lengths (stable), where the rows were.
  if (order === 'longest-first' && combine.length) list.sort((a, b) => b[2] - b[1] - (a[2] - a[1]));
  return { order: items, entries: Int32Array.from(list.flat()), combine: Int32Array.from(combine), slots };
}

/** The work order of [Note: Longest rows first]: (bh * numQBlocks + qBlock) by descending tile count, stably (a counting sort). */
export function workOrder(s: Schedule, batch: number, tiles: Int32Array = rowTiles(s, batch)): Int32Array {
  const n = tiles.length;
  let most = 0;
  for (const t of tiles) if (t > most) most = t;
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
