/**
 * Builds a block-sparse schedule from a pattern's planner, for any problem size.
 *
 * Per head group and query block, the key-block range is classified by bisection: the
 * classifier bounds the mask over a whole range of key blocks at once, so an EMPTY or FULL
 * run costs one call and only boundaries are refined. A single undecided tile is refined
 * exactly by subdivision (see `refineTile`). Cost: O(listed tiles x log(key blocks) +
 * query blocks) classifier calls; no step touches q_len x kv_len points.
 */
import { InputTable } from './ops.ts';
import type { PlannerInputs, PlannerModule, PlannerSizes, BoundPlanner } from './planner.ts';
import { PlanError, type BoxTiles, type GroupSchedule, type PlanConfig, type Schedule } from './types.ts';
import { boxTiles, gridStrides, sideBlocks, tileTokens } from './box.ts';
import { planBoxGroup } from './plan-box.ts';
import { ALL, EMPTY, refinementVerdict, SOME, startRefinement, type PlanCounters } from './refine.ts';
import { chooseTiles, listCost } from './choose-tiles.ts';


/** A growable Int32 list. */
class IntList {
  data = new Int32Array(64);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const d = new Int32Array(this.data.length * 2);
      d.set(this.data);
      this.data = d;
    }
    this.data[this.length++] = v;
  }
  toArray(): Int32Array {
    return this.data.slice(0, this.length);
  }
}

type Counters = PlanCounters;

/**
 * Refinement steps one head group may spend in all: `GROUP_REFINE_BUDGET`, or
 * `GROUP_REFINE_PER_TILE` per tile of its grid where that is more (`groupRefineBudget`).
 * Once spent, the group's remaining undecided tiles stay PARTIAL without refinement (sound),
 * so a mask the classifier cannot decide (a `hash` of tokens, say) plans in time linear in
 * the tiles. A mask it decides only on sub-tiles (BigBird's 64-token blocks in 128-token
 * tiles: about 7 steps a tile) is planned exactly at any length: with a fixed budget, BigBird
 * at 128k tokens left 98% of its tiles unproven and planned 43% dense instead of 1.3%.
 * `runtime/cuda/attnc/planner.h` and `runtime/python/attnc/flex.py` have the same.
 */
export const GROUP_REFINE_BUDGET = 1 << 22;
export const GROUP_REFINE_PER_TILE = 16;

/** A head group's refinement steps for a grid of `qBlocks` x `kvBlocks` tiles. */
export function groupRefineBudget(qBlocks: number, kvBlocks: number): number {
  return Math.max(GROUP_REFINE_BUDGET, GROUP_REFINE_PER_TILE * qBlocks * kvBlocks);
}
/** Point evaluations one head group may spend looking for fully masked rows; rows past it are not listed. */
export const MASKED_ROWS_BUDGET = 1 << 24;

/**
 * Size limits, checked before any work: at most `MAX_HEAD_INSTANCES` (batch, head) pairs are
 * grouped, and a schedule has at most `MAX_SCHEDULE_TILES` tiles counted as head groups x
 * query blocks x key blocks (what the planner may list). Past either, `bad_size`.
 */
export const MAX_HEAD_INSTANCES = 1 << 24;
export const MAX_SCHEDULE_TILES = 1 << 26;

/** Upper bound on a schedule's tiles: groups x query blocks x key blocks. */
export function scheduleTiles(groups: number, qLen: number, kvLen: number, blockQ: number, blockKv: number): number {
  return groups * Math.ceil(qLen / blockQ) * Math.ceil(kvLen / blockKv);
}

/** Called with the fraction of query blocks planned so far (0..1) during long plans. */
export type PlanProgress = (fraction: number) => void;

/**
 * Plans the schedule of `cfg` with planner `mod`. Throws `PlanError` for bad configuration.
 * `progress`, when given, is called every half second or so once planning has run for a
 * while (`progressAfterMs`, default 2 s; 0 reports from the start).
 */
export function planSchedule(mod: PlannerModule, cfg: PlanConfig, progress?: PlanProgress, progressAfterMs = 2000): Schedule {
  return planWith(mod, cfg, false, progress, progressAfterMs);
}

/** Thrown inside `planWith` when a candidate's cost reaches its limit ([Note: Pruned tile choice]). */
const OVER_COST = Symbol('over cost');

/**
 * [Note: Pruned tile choice] `tiles: 'auto'` plans the strip and every box shape and keeps
 * the cheapest by `tileCost` (choose-tiles.ts). A candidate's cost only grows as its rows are
 * planned (each listed tile adds its weight times the head instances of its group), so a
 * candidate stops as soon as its cost so far reaches the best one's: it could not be chosen
 * (a tie keeps the earlier). The choice is the one a full plan of every candidate makes;
 * natten_3d at 16k tokens and 64-token blocks plans in 0.65 s with this, 1.5 s without (a
 * 2-core CPU, Deno, 2026-12-04).
 */
function planCount(mod: PlannerModule, cfg: PlanConfig, costLimit: number): Schedule | undefined {
  try {
    return planWith(mod, cfg, true, undefined, undefined, costLimit);
  } catch (e) {
    if (e === OVER_COST) return undefined;
    throw e;
  }
}

/**
 * `planSchedule`; with `countOnly`, the fully masked rows are not looked for (the tile lists are
 * the same); past `costLimit` of `tileCost`, it throws OVER_COST ([Note: Pruned tile choice]).
 */
function planWith(mod: PlannerModule, cfg: PlanConfig, countOnly: boolean, progress?: PlanProgress, progressAfterMs = 2000, costLimit = Infinity): Schedule {
  const req = cfg.tiles ?? 'strip';
  if (req === 'auto') {
    const best = chooseTiles(mod, cfg, (c, limit) => planCount(mod, c, limit), gridExtents(mod, cfg));
    return planWith(mod, { ...cfg, tiles: best.tiles ? { q: best.tiles.q.shape, kv: best.tiles.kv.shape } : 'strip' }, countOnly, progress, progressAfterMs);
  }
  const { qLen, kvLen, heads, blockQ, blockKv } = cfg;
  validateSizes(cfg);
  const params = validateParams(mod, cfg);
  const sizes: PlannerSizes = { qLen, kvLen, heads };
  const failed = mod.failedAsserts(sizes, params);
  if (failed.length) throw new PlanError('assertion_failed', failed.join('; '));
  const tiles = req === 'strip' ? undefined : boxTilesOf(mod, cfg, sizes, params, req);
  const inputs = buildInputs(mod, cfg);
  const batch = mod.meta.dependsOnBatch ? (cfg.batch ?? 1) : 1;
  if (batch * heads > MAX_HEAD_INSTANCES) {
    throw new PlanError('bad_size', `batch x heads is ${batch * heads}; the planner groups at most ${MAX_HEAD_INSTANCES} (batch, head) pairs`);
  }

  // Group (b, h) by slot values: equal slots, equal masks.
  const groupOf = new Int32Array(batch * heads);
  const keys = new Map<string, number>();
  const groupSlots: (number | boolean)[][] = [];
  const members: number[][] = [];
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const s = mod.slots(h, b, sizes, params, inputs);
      const key = s.join(',');
      let g = keys.get(key);
      if (g === undefined) {
        g = groupSlots.length;
        keys.set(key, g);
        groupSlots.push(s);
        members.push([]);
      }
      groupOf[b * heads + h] = g;
      members[g].push(b * heads + h);
    }
  }

  const numQBlocks = tiles ? sideBlocks(tiles.q) : Math.ceil(qLen / blockQ);
  const numKvBlocks = tiles ? sideBlocks(tiles.kv) : Math.ceil(kvLen / blockKv);
  const tileCount = groupSlots.length * numQBlocks * numKvBlocks;
  if (tileCount > MAX_SCHEDULE_TILES) {
    throw new PlanError('bad_size', `the schedule would have up to ${tileCount} tiles (${groupSlots.length} head group${groupSlots.length === 1 ? '' : 's'} x ${numQBlocks} query blocks x ${numKvBlocks} key blocks); the limit is ${MAX_SCHEDULE_TILES}: use larger blocks or shorter sequences`);
  }
  const started = Date.now();
  let lastReport = -Infinity;
  const nqAll = numQBlocks * groupSlots.length;
  const tick = progress && ((g: number, qb: number) => {
    const now = Date.now();
    if (now - started < progressAfterMs || now - lastReport < 500) return;
    lastReport = now;
    progress((g * numQBlocks + qb) / nqAll);
  });
  const counters: Counters = { classifierCalls: 0, pointEvaluations: 0, refinedTiles: 0, unproven: 0, groupSteps: 0 };
  const budget = cfg.refineBudget ?? 2 * blockQ * blockKv;
  const bound = groupSlots.map((slots) => mod.bind(sizes, params, slots, inputs));
  // The cost of the groups planned so far, and a row check against costLimit ([Note: Pruned tile choice]).
  let spent = 0;
  const costOf = (g: number, full: number, partial: number) => members[g].length * listCost(full, partial);
  const planned = bound.map((p, g) => {
    const at = tick && ((qb: number) => tick(g, qb));
    const rowsBudget = countOnly ? 0 : MASKED_ROWS_BUDGET;
    const onRow = Number.isFinite(costLimit) ? (full: number, partial: number) => { if (spent + costOf(g, full, partial) >= costLimit) throw OVER_COST; } : undefined;
    let group: GroupSchedule;
    if (!tiles) group = planGroup(p, cfg, budget, counters, Int32Array.from(members[g]), rowsBudget, at, onRow);
    else {
      const lists = planBoxGroup(p, cfg, tiles, budget, groupRefineBudget(numQBlocks, numKvBlocks), rowsBudget, counters, at, onRow);
      group = groupFromLists(lists.kvRowPtr, lists.kvIndices, lists.fullKvRowPtr, lists.fullKvIndices, numKvBlocks, Int32Array.from(members[g]), lists.fullyMaskedRows);
    }
    spent += costOf(g, group.fullKvIndices.length, group.kvIndices.length);
    return group;
  });
  const groups = mergeEqualGroups(planned, bound, cfg, groupOf, counters, tiles);
  let fullTiles = 0, partialTiles = 0;
  for (const g of groups) {
    fullTiles += g.fullKvIndices.length;
    partialTiles += g.kvIndices.length;
  }
  return {
    pattern: mod.meta.pattern,
    qLen, kvLen, heads, batch, blockQ, blockKv,
    numQBlocks,
    numKvBlocks,
    groupOf,
    groups,
    stats: {
      fullTiles,
      partialTiles,
      unprovenPartialTiles: counters.unproven,
      refinedTiles: counters.refinedTiles,
      classifierCalls: counters.classifierCalls,
      pointEvaluations: counters.pointEvaluations,
    },
    ...(tiles ? { tiles } : {}),
  };
}

/** The extents of the grid that the longer sequence covers, when the pattern has a layout and its sizes are valid. */
export function gridExtents(mod: PlannerModule, cfg: PlanConfig): number[] | undefined {
  if (!mod.layout) return undefined;
  let sizes: number[];
  try {
    sizes = mod.layout.sizes({ qLen: cfg.qLen, kvLen: cfg.kvLen, heads: cfg.heads }, validateParams(mod, cfg));
  } catch (e) {
    if (e instanceof PlanError) return undefined;
    throw e;
  }
  if (sizes.some((n) => !Number.isSafeInteger(n) || n < 1)) return undefined;
  const strides = gridStrides(sizes);
  return sizes.map((n, i) => (i === 0 ? Math.ceil(Math.max(cfg.qLen, cfg.kvLen) / strides[0]) : n));
}

/** The checked box tiles of a forced shape; `bad_tile_shape` when the pattern has no grid. */
function boxTilesOf(mod: PlannerModule, cfg: PlanConfig, sizes: PlannerSizes, params: Record<string, number | boolean>, req: { readonly q: readonly number[]; readonly kv: readonly number[] }): BoxTiles {
  if (!mod.layout) throw new PlanError('bad_tile_shape', `box tiles need a layout of two or more axes; pattern \`${mod.meta.pattern}\` has none (use --tiles strip)`);
  return boxTiles(mod.layout.axes, mod.layout.sizes(sizes, params), cfg.qLen, cfg.kvLen, cfg.blockQ, cfg.blockKv, req.q, req.kv);
}

/** Point evaluations the merge of equal head groups may spend in all. */
const MERGE_POINT_BUDGET = 1 << 22;

const sameInts = (a: Int32Array, b: Int32Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Heads whose slot values differ can still have equal masks (`window * (h - 1)` under
 * `require k <= q` allows nothing for h = 0 and h = 1 alike). Groups with the same FULL and
 * PARTIAL lists whose masks agree at every point of their PARTIAL tiles (within a budget of
 * point evaluations) are one mask: they become one group, and `groupOf` is rewritten. Groups
 * that are not proven equal stay apart, which is always correct.
 */
function mergeEqualGroups(groups: GroupSchedule[], bound: BoundPlanner[], cfg: PlanConfig, groupOf: Int32Array, ctr: Counters, tiles?: BoxTiles): GroupSchedule[] {
  if (groups.length < 2) return groups;
  const { qLen, kvLen, blockQ, blockKv } = cfg;
  // The tokens of a block: a range of strips, or a box's rows (padding left out).
  const tokens = (side: 'q' | 'kv', blk: number): ArrayLike<number> => {
    const len = side === 'q' ? qLen : kvLen, block = side === 'q' ? blockQ : blockKv;
    if (tiles) return tileTokens(tiles, side === 'q' ? tiles.q : tiles.kv, blk, len).filter((t) => t >= 0);
    return Int32Array.from({ length: Math.max(0, Math.min(block, len - blk * block)) }, (_, i) => blk * block + i);
  };
  let spent = 0;
  const sameMask = (a: number, b: number): boolean => {
    const ga = groups[a], gb = groups[b];
    if (!sameInts(ga.kvNumBlocks, gb.kvNumBlocks) || !sameInts(ga.kvIndices, gb.kvIndices) || !sameInts(ga.fullKvIndices, gb.fullKvIndices) || !sameInts(ga.fullKvNumBlocks, gb.fullKvNumBlocks)) return false;
    const nq = ga.kvNumBlocks.length;
    const points = ga.kvIndices.length * blockQ * blockKv;
    if (spent + points > MERGE_POINT_BUDGET) return false;
    spent += points;
    ctr.pointEvaluations += points;
    const ma = bound[a], mb = bound[b];
    for (let qb = 0; qb < nq; qb++) {
      if (ga.kvRowPtr[qb + 1] === ga.kvRowPtr[qb]) continue;
      const qs = tokens('q', qb);
      for (let i = ga.kvRowPtr[qb]; i < ga.kvRowPtr[qb + 1]; i++) {
        const ks = tokens('kv', ga.kvIndices[i]);
        for (let x = 0; x < qs.length; x++) for (let y = 0; y < ks.length; y++) if (!ma.mask(qs[x], ks[y]) !== !mb.mask(qs[x], ks[y])) return false;
      }
    }
    return true;
  };
  const into = groups.map((_, g) => g);
  const kept: number[] = [];
  for (let g = 0; g < groups.length; g++) {
    const same = kept.find((k) => sameMask(k, g));
    if (same !== undefined) into[g] = same;
    else kept.push(g);
  }
  if (kept.length === groups.length) return groups;
  const index = new Map(kept.map((g, i) => [g, i]));
  const members = kept.map(() => [] as number[]);
  for (let m = 0; m < groupOf.length; m++) members[(groupOf[m] = index.get(into[groupOf[m]])!)].push(m);
  return kept.map((g, i) => ({ ...groups[g], members: Int32Array.from(members[i]) }));
}

function planGroup(p: BoundPlanner, cfg: PlanConfig, budget: number, ctr: Counters, members: Int32Array, rowsBudget: number, tick?: (qb: number) => void, onRow?: (full: number, partial: number) => void): GroupSchedule {
  const { qLen, kvLen, blockQ, blockKv } = cfg;
  const nq = Math.ceil(qLen / blockQ), nkv = Math.ceil(kvLen / blockKv);
  const groupBudget = groupRefineBudget(nq, nkv);
  ctr.groupSteps = 0;
  const partial = new IntList(), full = new IntList();
  const kvRowPtr = new Int32Array(nq + 1), fullKvRowPtr = new Int32Array(nq + 1);
  const classify = (q0: number, q1: number, k0: number, k1: number) => {
    ctr.classifierCalls++;
    return p.classify(q0, q1, k0, k1);
  };

  for (let qb = 0; qb < nq; qb++) {
    if (tick && (qb & 63) === 0) tick(qb);
    const q0 = qb * blockQ;
    const q1 = Math.min(q0 + blockQ, qLen) - 1;
    const qOver = q0 + blockQ > qLen;
    const scan = (kb0: number, kb1: number): void => {
      const k0 = kb0 * blockKv;
      const k1 = Math.min(kb1 * blockKv, kvLen) - 1;
      const c = classify(q0, q1, k0, k1);
      if (c === EMPTY) return;
      if (c === ALL) {
        for (let kb = kb0; kb < kb1; kb++) {
          // [Note: Full tiles never overhang] A tile past either sequence end needs the
          // bounds check that only the partial path does, so it is listed as partial.
          if (qOver || (kb + 1) * blockKv > kvLen) partial.push(kb);
          else full.push(kb);
        }
        return;
      }
      if (kb1 - kb0 === 1) {
        const r = refineTile(p, q0, q1, k0, k1, budget, groupBudget, ctr);
        if (r === ALL && !qOver && kb1 * blockKv <= kvLen) full.push(kb0);
        else if (r !== EMPTY) partial.push(kb0);
        return;
      }
      const mid = (kb0 + kb1) >> 1;
      scan(kb0, mid);
      scan(mid, kb1);
    };
    if (nkv > 0) scan(0, nkv);
    kvRowPtr[qb + 1] = partial.length;
    fullKvRowPtr[qb + 1] = full.length;
    onRow?.(full.length, partial.length);
  }

  const kvIndices = partial.toArray(), fullKvIndices = full.toArray();
  return groupFromLists(kvRowPtr, kvIndices, fullKvRowPtr, fullKvIndices, nkv, members, rowsBudget ? findFullyMaskedRows(p, cfg, kvRowPtr, kvIndices, fullKvRowPtr, ctr) : []);
}

/** A group's schedule from its kv-major lists: counts and the q-major transpose added. */
function groupFromLists(kvRowPtr: Int32Array, kvIndices: Int32Array, fullKvRowPtr: Int32Array, fullKvIndices: Int32Array, nkv: number, members: Int32Array, fullyMaskedRows: [number, number][]): GroupSchedule {
  const t = transpose(kvRowPtr, kvIndices, nkv);
  const ft = transpose(fullKvRowPtr, fullKvIndices, nkv);
  return {
    members,
    kvNumBlocks: counts(kvRowPtr),
    kvRowPtr,
    kvIndices,
    fullKvNumBlocks: counts(fullKvRowPtr),
    fullKvRowPtr,
    fullKvIndices,
    qNumBlocks: counts(t.ptr),
    qColPtr: t.ptr,
    qIndices: t.idx,
    fullQNumBlocks: counts(ft.ptr),
    fullQColPtr: ft.ptr,
    fullQIndices: ft.idx,
    fullyMaskedRows,
  };
}

/**
 * Decides one tile the classifier left undecided. Sample points first (a mixed tile is
 * usually exposed by its corners and centre), then split the tile and classify the halves,
 * down to single points, until both an allowed and a masked element are seen (PARTIAL) or
 * the tile is exhausted (then exactly FULL or EMPTY). After `budget` steps it gives up and
 * keeps the tile PARTIAL, which is always sound.
 */
function refineTile(p: BoundPlanner, q0: number, q1: number, k0: number, k1: number, budget: number, groupBudget: number, ctr: Counters): 0 | 1 | 2 {
  if (!startRefinement(ctr, groupBudget)) return SOME;
  let seenT = false, seenF = false, steps = 0, exhausted = false;
  const probe = (q: number, k: number) => {
    ctr.pointEvaluations++;
    if (p.mask(q, k)) seenT = true;
    else seenF = true;
  };
  const qm = (q0 + q1) >> 1, km = (k0 + k1) >> 1;
  probe(q0, k0); probe(q1, k1); probe(q0, k1); probe(q1, k0); probe(qm, km);
  if (seenT && seenF) return SOME;
  const visit = (qa: number, qb: number, ka: number, kb: number): void => {
    if ((seenT && seenF) || exhausted) return;
    if (++steps > budget) { exhausted = true; return; }
    let c: number;
    if (qa === qb && ka === kb) {
      ctr.pointEvaluations++;
      c = p.mask(qa, ka) ? ALL : EMPTY;
    } else {
      ctr.classifierCalls++;
      c = p.classify(qa, qb, ka, kb);
    }
    if (c === ALL) { seenT = true; return; }
    if (c === EMPTY) { seenF = true; return; }
    if (qb - qa >= kb - ka) {
      const m = (qa + qb) >> 1;
      visit(qa, m, ka, kb);
      visit(m + 1, qb, ka, kb);
    } else {
      const m = (ka + kb) >> 1;
      visit(qa, qb, ka, m);
      visit(qa, qb, m + 1, kb);
    }
  };
  visit(q0, q1, k0, k1);
  return refinementVerdict(seenT, seenF, exhausted, steps, ctr);
}

/**
 * [Note: Fully masked rows] A query row with no allowed key has an empty softmax. Kernels
 * write 0 there (FlexAttention's convention) rather than NaN, and the planner reports the
 * rows so the user learns about them. Rows in a block with a FULL tile always have keys; in
 * blocks with only PARTIAL tiles each row is checked against those tiles' keys.
 */
function findFullyMaskedRows(p: BoundPlanner, cfg: PlanConfig, kvRowPtr: Int32Array, kvIdx: Int32Array, fullRowPtr: Int32Array, ctr: Counters): [number, number][] {
  const { qLen, kvLen, blockQ, blockKv } = cfg;
  const out: [number, number][] = [];
  const add = (a: number, b: number) => {
    const last = out[out.length - 1];
    if (last && last[1] === a) last[1] = b;
    else out.push([a, b]);
  };
  const nq = kvRowPtr.length - 1;
  const stopAt = ctr.pointEvaluations + MASKED_ROWS_BUDGET;
  for (let qb = 0; qb < nq; qb++) {
    const q0 = qb * blockQ, qEnd = Math.min(q0 + blockQ, qLen);
    if (fullRowPtr[qb + 1] > fullRowPtr[qb]) continue;
    const from = kvRowPtr[qb], to = kvRowPtr[qb + 1];
    if (from === to) { add(q0, qEnd); continue; }
    for (let q = q0; q < qEnd; q++) {
      if (ctr.pointEvaluations >= stopAt) return out;
      let any = false;
      for (let i = from; i < to && !any; i++) {
        const k0 = kvIdx[i] * blockKv, k1 = Math.min(k0 + blockKv, kvLen) - 1;
        ctr.classifierCalls++;
        const c = p.classify(q, q, k0, k1);
        if (c === ALL) any = true;
        else if (c === SOME) {
          for (let k = k0; k <= k1 && !any; k++) {
            ctr.pointEvaluations++;
            any = p.mask(q, k);
          }
        }
      }
      if (!any) add(q, q + 1);
    }
  }
  return out;
}

/** Row lengths from row pointers. */
export function counts(ptr: Int32Array): Int32Array {
  const n = new Int32Array(ptr.length - 1);
  for (let i = 0; i < n.length; i++) n[i] = ptr[i + 1] - ptr[i];
  return n;
}

/** Transposes compressed rows (ascending rows) into compressed columns (ascending rows). */
export function transpose(rowPtr: Int32Array, idx: Int32Array, ncols: number): { ptr: Int32Array; idx: Int32Array } {
  const ptr = new Int32Array(ncols + 1);
  for (let i = 0; i < idx.length; i++) ptr[idx[i] + 1]++;
  for (let c = 0; c < ncols; c++) ptr[c + 1] += ptr[c];
  const fill = ptr.slice(0, ncols);
  const out = new Int32Array(idx.length);
  for (let r = 0; r + 1 < rowPtr.length; r++) {
    for (let i = rowPtr[r]; i < rowPtr[r + 1]; i++) out[fill[idx[i]]++] = r;
  }
  return { ptr, idx: out };
}

const isPow2 = (x: number) => Number.isInteger(x) && x > 0 && (x & (x - 1)) === 0;

function validateSizes(cfg: PlanConfig): void {
  for (const [name, v] of [['q_len', cfg.qLen], ['kv_len', cfg.kvLen], ['heads', cfg.heads], ['batch', cfg.batch ?? 1]] as const) {
    if (!Number.isSafeInteger(v) || v < 1 || v > 2 ** 31 - 1) throw new PlanError('bad_size', `${name} must be a positive integer, got ${v}`);
  }
  for (const [name, v] of [['block-q', cfg.blockQ], ['block-kv', cfg.blockKv]] as const) {
    if (!isPow2(v) || v < 16 || v > 256) throw new PlanError('bad_size', `${name} must be a power of two from 16 to 256, got ${v}`);
  }
}

/** The runtime values of a call, defaults filled in and checked against the planner's table. */
export function validateParams(mod: PlannerModule, cfg: PlanConfig): Record<string, number | boolean> {
  const out: Record<string, number | boolean> = {};
  for (const rp of mod.meta.runtimeParams) {
    const v = cfg.params?.[rp.name] ?? rp.default;
    if (v === undefined) throw new PlanError('missing_param', `runtime parameter \`${rp.name}\` needs a value`);
    const ok = rp.type === 'bool' ? typeof v === 'boolean' : typeof v === 'number' && (rp.type === 'float' || Number.isInteger(v));
    if (!ok) throw new PlanError('bad_param_value', `runtime parameter \`${rp.name}\` is ${rp.type}, got ${String(v)}`);
    // What the kernels take: a 32-bit int, or a finite float an f32 holds (the CLI's checks, for every caller).
    if (rp.type === 'int' && ((v as number) < -(2 ** 31) || (v as number) > 2 ** 31 - 1)) {
      throw new PlanError('bad_param_value', `runtime parameter \`${rp.name}\` = ${v} is outside the 32-bit ints the kernels take (-2147483648..2147483647)`);
    }
    if (rp.type === 'float' && !(Math.abs(v as number) <= 3.4028234663852886e38)) {
      throw new PlanError('bad_param_value', `runtime parameter \`${rp.name}\` = ${v} is not a finite float an f32 holds`);
    }
    if (rp.range && typeof v === 'number' && (v < rp.range.lo || (rp.range.hi !== undefined && v >= rp.range.hi))) {
      throw new PlanError('param_out_of_range', `runtime parameter \`${rp.name}\` = ${v} is outside ${rp.range.lo}..${rp.range.hi ?? ''}`);
    }
    out[rp.name] = v;
  }
  return out;
}

/** The input arrays of a call, checked against the planner's table, with their interval tables at the config's block sizes. */
export function buildInputs(mod: PlannerModule, cfg: PlanConfig): PlannerInputs {
  const out: PlannerInputs = {};
  for (const inp of mod.meta.inputs) {
    const data = cfg.inputs?.[inp.name];
    if (!data) throw new PlanError('bad_input', `input array \`${inp.name}\` is required`);
    const batch = cfg.batch ?? 1;
    const last = inp.length === 'q_len' ? cfg.qLen : inp.length === 'batch' ? batch : cfg.kvLen;
    const want = inp.batched ? batch * last : last;
    const type = `int[${inp.batched ? 'batch, ' : ''}${inp.length ?? 'kv_len'}]`;
    if (want > 2 ** 31 - 1) throw new PlanError('bad_size', `input array \`${inp.name}\` is declared ${type} = ${batch} x ${last} entries, more than 2^31 - 1`);
    if (data.length !== want) {
      const how = inp.batched ? `${batch} x ${last} = ${want}` : `${want}`;
      throw new PlanError('bad_input', `input array \`${inp.name}\` is declared ${type} = ${how} entries${inp.batched || inp.length === 'batch' ? ` (batch ${batch})` : ''}, got ${data.length}`);
    }
    for (const ix of inp.indexedBy) {
      if (ix === 'b') continue;
      const need = ix === 'q' ? cfg.qLen : cfg.kvLen;
      if (last < need) throw new PlanError('bad_input', `input array \`${inp.name}\` is read at every ${ix} (${need} tokens) but has ${last} entries`);
    }
    for (let i = 0; i < data.length; i++) {
      if (!Number.isInteger(data[i]) || data[i] < -(2 ** 31) || data[i] > 2 ** 31 - 1) throw new PlanError('bad_input', `input array \`${inp.name}\` must hold 32-bit integers (entry ${i} is ${data[i]})`);
    }
    out[inp.name] = {
      data,
      q: inp.indexedBy.includes('q') ? new InputTable(data, cfg.blockQ) : undefined,
      k: inp.indexedBy.includes('k') ? new InputTable(data, cfg.blockKv) : undefined,
    };
  }
  return out;
}
