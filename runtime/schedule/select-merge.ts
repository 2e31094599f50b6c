/**
 * Merges a call's selection into the kernel's tile schedule. The pattern's mask is
 * M = (A || Sel[b, h, q / BQ, k / BK]) && R; the planner plans S = A && R and R at the
 * kernel's tile size (any size, aligned with BQ and BK or not). A tile takes
 *
 *   R's state   when every selection cell it overlaps is selected (M = R there),
 *   S's state   when none is (M = S there),
 *   otherwise   FULL if S is FULL, EMPTY if R is EMPTY, else PARTIAL (S <= M <= R).
 *
 * The result is an ordinary `Schedule` with one group per distinct (b, h) map; `selected`
 * marks the tiles whose state differs from S's.
 */
import { counts, transpose } from './plan.ts';
import { selectionBlocks, type SelectionShape } from './select-scores.ts';
import type { GroupSchedule, Schedule } from './types.ts';

const EMPTY = 0, PARTIAL = 1, FULL = 2;

/** Dense tile states (0 empty, 1 partial, 2 full) of one group, `qBlock * numKvBlocks + kvBlock`. */
export function tileStates(s: Schedule, g: GroupSchedule): Uint8Array {
  const out = new Uint8Array(s.numQBlocks * s.numKvBlocks);
  for (let qb = 0; qb < s.numQBlocks; qb++) {
    for (let i = g.kvRowPtr[qb]; i < g.kvRowPtr[qb + 1]; i++) out[qb * s.numKvBlocks + g.kvIndices[i]] = PARTIAL;
    for (let i = g.fullKvRowPtr[qb]; i < g.fullKvRowPtr[qb + 1]; i++) out[qb * s.numKvBlocks + g.fullKvIndices[i]] = FULL;
  }
  return out;
}

/**
 * The merged schedule of `sel` (`[batch, heads, nQ, nK]`, see `selectBlocks`) with the static
 * schedules `stat` (of S) and `restr` (of R), planned with the same sizes and tile size.
 * `mask(b, h, q, k)`, the call's mask M, finds the fully masked rows of blocks whose tiles are
 * all PARTIAL; without it only blocks with no tile are listed.
 */
export function mergeSelection(sel: Uint8Array, shape: SelectionShape, stat: Schedule, restr: Schedule, mask?: (b: number, h: number, q: number, k: number) => boolean): Schedule {
  const { batch, heads, qLen, kvLen } = shape;
  const { blockQ: tq, blockKv: tk, numQBlocks: nq, numKvBlocks: nkv } = stat;
  const { nQ, nK } = selectionBlocks(shape);
  const cache = new Map<string, Uint8Array>();
  const statesOf = (s: Schedule, which: string, b: number, h: number) => {
    const g = s.groupOf[(s.batch > 1 ? b : 0) * heads + h];
    const key = `${which}${g}`;
    let st = cache.get(key);
    if (!st) cache.set(key, (st = tileStates(s, s.groups[g])));
    return st;
  };
  // Which selection cells each tile row and column overlaps.
  const rowSpan = Array.from({ length: nq }, (_, qb) => [Math.floor((qb * tq) / shape.blockQ), Math.floor((Math.min((qb + 1) * tq, qLen) - 1) / shape.blockQ)]);
  const colSpan = Array.from({ length: nkv }, (_, kb) => [Math.floor((kb * tk) / shape.blockKv), Math.floor((Math.min((kb + 1) * tk, kvLen) - 1) / shape.blockKv)]);
  const prefix = new Int32Array((nQ + 1) * (nK + 1));
  const groups: GroupSchedule[] = [];
  const groupOf = new Int32Array(batch * heads);
  const byKey = new Map<string, number>();
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const base = (b * heads + h) * nQ * nK;
      for (let i = 0; i < nQ; i++) {
        for (let j = 0; j < nK; j++) {
          prefix[(i + 1) * (nK + 1) + j + 1] = sel[base + i * nK + j] + prefix[i * (nK + 1) + j + 1] + prefix[(i + 1) * (nK + 1) + j] - prefix[i * (nK + 1) + j];
        }
      }
      const sS = statesOf(stat, 's', b, h), sR = statesOf(restr, 'r', b, h);
      const states = new Uint8Array(nq * nkv), changed = new Uint8Array(nq * nkv);
      for (let qb = 0; qb < nq; qb++) {
        const [i0, i1] = rowSpan[qb];
        for (let kb = 0; kb < nkv; kb++) {
          const [j0, j1] = colSpan[kb];
          const n = prefix[(i1 + 1) * (nK + 1) + j1 + 1] - prefix[i0 * (nK + 1) + j1 + 1] - prefix[(i1 + 1) * (nK + 1) + j0] + prefix[i0 * (nK + 1) + j0];
          const t = qb * nkv + kb;
          const all = (i1 - i0 + 1) * (j1 - j0 + 1);
          const st = n === all ? sR[t] : n === 0 ? sS[t] : sS[t] === FULL ? FULL : sR[t] === EMPTY ? EMPTY : PARTIAL;
          states[t] = st;
          changed[t] = st !== sS[t] ? 1 : 0;
        }
      }
      const built = buildGroup(states, changed, stat, b, h, mask);
      const key = `${keyOf(states)}|${keyOf(changed)}|${built.fullyMaskedRows.join(';')}`;
      let g = byKey.get(key);
      if (g === undefined) {
        g = groups.length;
        byKey.set(key, g);
        groups.push(built);
      }
      groupOf[b * heads + h] = g;
    }
  }
  const members = groups.map(() => [] as number[]);
  groupOf.forEach((g, m) => members[g].push(m));
  const done = groups.map((g, i) => ({ ...g, members: Int32Array.from(members[i]) }));
  let fullTiles = 0, partialTiles = 0;
  for (const g of done) {
    fullTiles += g.fullKvIndices.length;
    partialTiles += g.kvIndices.length;
  }
  return {
    pattern: stat.pattern, qLen, kvLen, heads, batch, blockQ: tq, blockKv: tk, numQBlocks: nq, numKvBlocks: nkv,
    groupOf, groups: done,
    stats: { ...stat.stats, fullTiles, partialTiles },
  };
}

function keyOf(a: Uint8Array): string {
  let s = '';
  for (let i = 0; i < a.length; i += 4096) s += String.fromCharCode(...a.subarray(i, i + 4096));
  return s;
}

function buildGroup(states: Uint8Array, selected: Uint8Array, s: Schedule, b: number, h: number, mask?: (b: number, h: number, q: number, k: number) => boolean): GroupSchedule {
  const { numQBlocks: nq, numKvBlocks: nkv, blockQ, blockKv, qLen, kvLen } = s;
  const kvRowPtr = new Int32Array(nq + 1), fullKvRowPtr = new Int32Array(nq + 1);
  const part: number[] = [], full: number[] = [];
  const rows: [number, number][] = [];
  const addRows = (a: number, z: number) => {
    const last = rows[rows.length - 1];
    if (last && last[1] === a) last[1] = z;
    else rows.push([a, z]);
  };
  for (let qb = 0; qb < nq; qb++) {
    const from = part.length;
    for (let kb = 0; kb < nkv; kb++) {
      const st = states[qb * nkv + kb];
      if (st === FULL) full.push(kb);
      else if (st === PARTIAL) part.push(kb);
    }
    kvRowPtr[qb + 1] = part.length;
    fullKvRowPtr[qb + 1] = full.length;
    const q0 = qb * blockQ, qEnd = Math.min(q0 + blockQ, qLen);
    if (fullKvRowPtr[qb + 1] > fullKvRowPtr[qb]) continue;
    if (part.length === from) { addRows(q0, qEnd); continue; }
    if (!mask) continue;
    for (let q = q0; q < qEnd; q++) {
      let any = false;
      for (let i = from; i < part.length && !any; i++) {
        const k1 = Math.min((part[i] + 1) * blockKv, kvLen);
        for (let k = part[i] * blockKv; k < k1 && !any; k++) any = mask(b, h, q, k);
      }
      if (!any) addRows(q, q + 1);
    }
  }
  const kvIndices = Int32Array.from(part), fullKvIndices = Int32Array.from(full);
  const t = transpose(kvRowPtr, kvIndices, nkv), ft = transpose(fullKvRowPtr, fullKvIndices, nkv);
  return {
    members: new Int32Array(0),
    kvNumBlocks: counts(kvRowPtr), kvRowPtr, kvIndices,
    fullKvNumBlocks: counts(fullKvRowPtr), fullKvRowPtr, fullKvIndices,
    qNumBlocks: counts(t.ptr), qColPtr: t.ptr, qIndices: t.idx,
    fullQNumBlocks: counts(ft.ptr), fullQColPtr: ft.ptr, fullQIndices: ft.idx,
    fullyMaskedRows: rows,
    selected,
  };
}
