/**
 * Plans one head group's schedule in box tiles (docs/schedule.md, "Box tiles"): the strip
 * planner's method (`plan.ts`) on a layout's grid. Per query box, the key box grid is
 * bisected as a range of boxes per axis, split on its longest axis: one `classifyBox` call
 * decides a whole EMPTY or FULL range, and a single undecided tile is refined exactly by
 * splitting the pair of boxes down to points. Padding (coordinates past the grid, tokens
 * past the sequence) is never evaluated. Cost: O(listed tiles x log(key boxes) + query
 * boxes) classifier calls; no step touches q_len x kv_len points.
 */
import { blockBox, blockOverhangs, sideBlocks, tokenOf } from './box.ts';
import type { BoundPlanner } from './planner.ts';
import { ALL, EMPTY, refinementVerdict, SOME, startRefinement, type PlanCounters } from './refine.ts';
import type { BoxTiles, GroupSchedule, PlanConfig } from './types.ts';


/** Result of one group: the kv-major lists (the caller transposes them). */
export interface BoxGroupLists {
  readonly kvRowPtr: Int32Array;
  readonly kvIndices: Int32Array;
  readonly fullKvRowPtr: Int32Array;
  readonly fullKvIndices: Int32Array;
  readonly fullyMaskedRows: [number, number][];
}

/** Plans the FULL and PARTIAL key boxes of every query box for bound planner `p`. */
export function planBoxGroup(p: BoundPlanner, cfg: PlanConfig, tiles: BoxTiles, budget: number, groupBudget: number, maskedRowsBudget: number, ctr: PlanCounters, tick?: (qb: number) => void, onRow?: (full: number, partial: number) => void): BoxGroupLists {
  const classifyBox = p.classifyBox;
  if (!classifyBox) throw new Error('internal compiler error: box tiles planned with a planner that has no box classifier');
  const { qLen, kvLen } = cfg;
  const { strides } = tiles;
  const Q = tiles.q, K = tiles.kv;
  const d = strides.length;
  const nq = sideBlocks(Q), nkv = sideBlocks(K);
  ctr.groupSteps = 0;
  // Per key box: 0 no token, 1 overhangs (padding rows), 2 whole.
  const kvKind = new Uint8Array(nkv);
  const lo: number[] = [], hi: number[] = [];
  for (let kb = 0; kb < nkv; kb++) {
    blockBox(K, kb, lo, hi);
    kvKind[kb] = tokenOf(strides, lo) >= kvLen ? 0 : blockOverhangs(tiles, K, kb, kvLen) ? 1 : 2;
  }
  const cls = (qa: number[], qb: number[], ka: number[], kb: number[]) => {
    ctr.classifierCalls++;
    return classifyBox(qa, qb, ka, kb);
  };
  const partial: number[] = [], full: number[] = [];
  const kvRowPtr = new Int32Array(nq + 1), fullKvRowPtr = new Int32Array(nq + 1);
  const qlo: number[] = [], qhi: number[] = [];
  const rowP: number[] = [], rowF: number[] = [];
  const kvIndex = (g: readonly number[]) => {
    let x = 0;
    for (let i = 0; i < d; i++) x = x * K.grid[i] + g[i];
    return x;
  };
  for (let qb = 0; qb < nq; qb++) {
    if (tick && (qb & 63) === 0) tick(qb);
    rowP.length = 0;
    rowF.length = 0;
    blockBox(Q, qb, qlo, qhi);
    if (tokenOf(strides, qlo) < qLen) {
      const qOver = blockOverhangs(tiles, Q, qb, qLen);
      const add = (kb: number, c: number) => {
        if (kvKind[kb] === 0 || c === EMPTY) return;
        if (c === ALL && !qOver && kvKind[kb] === 2) rowF.push(kb);
        else rowP.push(kb);
      };
      const scan = (a: number[], b: number[]): void => {
        const ka: number[] = [], kbx: number[] = [];
        let n = 1, widest = 0;
        for (let i = 0; i < d; i++) {
          ka[i] = a[i] * K.shape[i];
          kbx[i] = Math.min(b[i] * K.shape[i], K.extent[i]) - 1;
          n *= b[i] - a[i];
          if (b[i] - a[i] > b[widest] - a[widest]) widest = i;
        }
        if (tokenOf(strides, ka) >= kvLen) return;
        const c = cls(qlo, qhi, ka, kbx);
        if (c === EMPTY) return;
        if (c === ALL) {
          forEachBox(a, b, (g) => add(kvIndex(g), ALL));
          return;
        }
        if (n === 1) {
          const kb = kvIndex(a);
          if (kvKind[kb] !== 0) add(kb, refineBox(p, strides, qLen, kvLen, qlo.slice(), qhi.slice(), ka, kbx, budget, groupBudget, ctr));
          return;
        }
        const mid = (a[widest] + b[widest]) >> 1;
        scan(a, b.map((x, i) => (i === widest ? mid : x)));
        scan(a.map((x, i) => (i === widest ? mid : x)), b);
      };
      scan(new Array(d).fill(0), [...K.grid]);
      rowP.sort((x, y) => x - y);
      rowF.sort((x, y) => x - y);
    }
    partial.push(...rowP);
    full.push(...rowF);
    kvRowPtr[qb + 1] = partial.length;
    fullKvRowPtr[qb + 1] = full.length;
    onRow?.(full.length, partial.length);
  }
  const kvIndices = Int32Array.from(partial), fullKvIndices = Int32Array.from(full);
  return { kvRowPtr, kvIndices, fullKvRowPtr, fullKvIndices, fullyMaskedRows: maskedRowsBudget ? boxMaskedRows(p, cfg, tiles, kvRowPtr, kvIndices, fullKvRowPtr, maskedRowsBudget, ctr) : [] };
}

/** Calls `f` with the box coordinates of every box in the half-open ranges `[a_i, b_i)`. */
function forEachBox(a: readonly number[], b: readonly number[], f: (g: readonly number[]) => void): void {
  const g = [...a];
  const d = a.length;
  for (;;) {
    f(g);
    let i = d - 1;
    while (i >= 0 && ++g[i] === b[i]) g[i--] = a[i + 1];
    if (i < 0) return;
  }
}

/**
 * Decides one tile the classifier left undecided (`refineTile` of `plan.ts`, on boxes):
 * sample points, then split the pair of boxes on its widest axis and classify the halves,
 * down to points, skipping halves that hold only padding, until both an allowed and a masked
 * element are seen or the tile is exhausted (exactly FULL or EMPTY). After `budget` steps it
 * keeps the tile PARTIAL, which is always sound.
 */
function refineBox(p: BoundPlanner, strides: readonly number[], qLen: number, kvLen: number, qa: number[], qb: number[], ka: number[], kb: number[], budget: number, groupBudget: number, ctr: PlanCounters): 0 | 1 | 2 {
  if (!startRefinement(ctr, groupBudget)) return SOME;
  const d = strides.length;
  let seenT = false, seenF = false, steps = 0, exhausted = false;
  const probe = (qc: readonly number[], kc: readonly number[]) => {
    const q = tokenOf(strides, qc), k = tokenOf(strides, kc);
    if (q >= qLen || k >= kvLen) return;
    ctr.pointEvaluations++;
    if (p.mask(q, k)) seenT = true;
    else seenF = true;
  };
  const mid = (a: number[], b: number[]) => a.map((x, i) => (x + b[i]) >> 1);
  probe(qa, ka); probe(qb, kb); probe(qa, kb); probe(qb, ka); probe(mid(qa, qb), mid(ka, kb));
  if (seenT && seenF) return SOME;
  const visit = (xa: number[], xb: number[], ya: number[], yb: number[]): void => {
    if ((seenT && seenF) || exhausted) return;
    const q = tokenOf(strides, xa), k = tokenOf(strides, ya);
    if (q >= qLen || k >= kvLen) return;
    if (++steps > budget) { exhausted = true; return; }
    let widest = -1, width = 0;
    for (let i = 0; i < d; i++) {
      if (xb[i] - xa[i] > width) { width = xb[i] - xa[i]; widest = i; }
      if (yb[i] - ya[i] > width) { width = yb[i] - ya[i]; widest = d + i; }
    }
    let c: number;
    if (widest < 0) {
      ctr.pointEvaluations++;
      c = p.mask(q, k) ? ALL : EMPTY;
    } else {
      ctr.classifierCalls++;
      c = p.classifyBox!(xa, xb, ya, yb);
    }
    if (c === ALL) { seenT = true; return; }
    if (c === EMPTY) { seenF = true; return; }
    const onQ = widest < d, i = onQ ? widest : widest - d;
    const [a, b] = onQ ? [xa, xb] : [ya, yb];
    const m = (a[i] + b[i]) >> 1;
    const lowHi = b.map((x, j) => (j === i ? m : x)), highLo = a.map((x, j) => (j === i ? m + 1 : x));
    if (onQ) {
      visit(xa, lowHi, ya, yb);
      visit(highLo, xb, ya, yb);
    } else {
      visit(xa, xb, ya, lowHi);
      visit(xa, xb, highLo, yb);
    }
  };
  visit(qa, qb, ka, kb);
  return refinementVerdict(seenT, seenF, exhausted, steps, ctr);
}

/**
 * [Note: Fully masked rows] for box tiles: the tokens of query boxes without a FULL tile that
 * no key of their PARTIAL tiles is allowed for, as ascending `[start, end)` ranges.
 */
function boxMaskedRows(p: BoundPlanner, cfg: PlanConfig, tiles: BoxTiles, kvRowPtr: Int32Array, kvIdx: Int32Array, fullRowPtr: Int32Array, budget: number, ctr: PlanCounters): [number, number][] {
  const { qLen, kvLen } = cfg;
  const { strides } = tiles;
  const d = strides.length;
  const sizes = tiles.q.extent;
  const masked: number[] = [];
  const stopAt = ctr.pointEvaluations + budget;
  const nq = kvRowPtr.length - 1;
  const qlo: number[] = [], qhi: number[] = [], ka: number[] = [], kb: number[] = [];
  const qc = new Array<number>(d);
  let out = false;
  for (let qb = 0; qb < nq && !out; qb++) {
    if (fullRowPtr[qb + 1] > fullRowPtr[qb]) continue;
    blockBox(tiles.q, qb, qlo, qhi);
    const from = kvRowPtr[qb], to = kvRowPtr[qb + 1];
    forEachBox(qlo, qhi.map((x) => x + 1), (c) => {
      if (out) return;
      const q = tokenOf(strides, c);
      if (q >= qLen) return;
      if (ctr.pointEvaluations >= stopAt) { out = true; return; }
      for (let i = 0; i < d; i++) qc[i] = i === 0 ? Math.floor(q / strides[0]) : Math.floor(q / strides[i]) % sizes[i];
      let any = false;
      for (let j = from; j < to && !any; j++) {
        blockBox(tiles.kv, kvIdx[j], ka, kb);
        ctr.classifierCalls++;
        const cl = p.classifyBox!(qc, qc, ka, kb);
        if (cl === ALL) any = true;
        else if (cl === SOME) {
          forEachBox(ka, kb.map((x) => x + 1), (kc) => {
            if (any) return;
            const k = tokenOf(strides, kc);
            if (k >= kvLen) return;
            ctr.pointEvaluations++;
            any = p.mask(q, k);
          });
        }
      }
      if (!any) masked.push(q);
    });
  }
  masked.sort((x, y) => x - y);
  const ranges: [number, number][] = [];
  for (const q of masked) {
    const last = ranges[ranges.length - 1];
    if (last && last[1] === q) last[1] = q + 1;
    else ranges.push([q, q + 1]);
  }
  return ranges;
}
