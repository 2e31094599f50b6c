/**
 * Pass: verify. Structural invariants of a schedule, checked in O(listed tiles): rows
 * ascending and in range, partial and full lists disjoint, no FULL tile overhanging a
 * sequence end, counts consistent with row pointers, and the q-major lists exactly the
 * transpose of the kv-major ones. A violation is a bug in attnc, so it throws.
 */
import type { GroupSchedule, Schedule } from './types.ts';
import { blockOverhangs, sideBlocks } from './box.ts';

/** [Note: Full tiles never overhang]: whether tile (qBlock, kvBlock) has a padding row or column. */
function overhangs(s: Schedule, qb: number, kb: number): boolean {
  const t = s.tiles;
  if (!t) return (qb + 1) * s.blockQ > s.qLen || (kb + 1) * s.blockKv > s.kvLen;
  return blockOverhangs(t, t.q, qb, s.qLen) || blockOverhangs(t, t.kv, kb, s.kvLen);
}

/** Throws an Error naming the first broken invariant. */
export function verifySchedule(s: Schedule): void {
  const fail = (msg: string): never => {
    throw new Error(`internal compiler error: schedule invariant broken: ${msg}`);
  };
  if (s.numQBlocks !== (s.tiles ? sideBlocks(s.tiles.q) : Math.ceil(s.qLen / s.blockQ))) fail('numQBlocks');
  if (s.numKvBlocks !== (s.tiles ? sideBlocks(s.tiles.kv) : Math.ceil(s.kvLen / s.blockKv))) fail('numKvBlocks');
  if (s.groupOf.length !== s.batch * s.heads) fail('groupOf length');
  const seen = new Int32Array(s.batch * s.heads);
  s.groups.forEach((g, gi) => {
    for (const m of g.members) {
      if (s.groupOf[m] !== gi) fail(`member ${m} of group ${gi} maps to ${s.groupOf[m]}`);
      seen[m]++;
    }
    verifyGroup(s, g, gi, fail);
  });
  if (seen.some((c) => c !== 1)) fail('every (b, h) must be in exactly one group');
}

function verifyGroup(s: Schedule, g: GroupSchedule, gi: number, fail: (m: string) => never): void {
  const nq = s.numQBlocks, nkv = s.numKvBlocks;
  const rows = (ptr: Int32Array, num: Int32Array, idx: Int32Array, n: number, range: number, what: string) => {
    if (ptr.length !== n + 1 || num.length !== n || ptr[0] !== 0 || ptr[n] !== idx.length) fail(`group ${gi} ${what}: pointer shape`);
    for (let r = 0; r < n; r++) {
      if (num[r] !== ptr[r + 1] - ptr[r]) fail(`group ${gi} ${what}: count of row ${r}`);
      for (let i = ptr[r]; i < ptr[r + 1]; i++) {
        if (idx[i] < 0 || idx[i] >= range) fail(`group ${gi} ${what}: index ${idx[i]} out of range in row ${r}`);
        if (i > ptr[r] && idx[i] <= idx[i - 1]) fail(`group ${gi} ${what}: row ${r} not strictly ascending`);
      }
    }
  };
  rows(g.kvRowPtr, g.kvNumBlocks, g.kvIndices, nq, nkv, 'kv');
  rows(g.fullKvRowPtr, g.fullKvNumBlocks, g.fullKvIndices, nq, nkv, 'full kv');
  rows(g.qColPtr, g.qNumBlocks, g.qIndices, nkv, nq, 'q');
  rows(g.fullQColPtr, g.fullQNumBlocks, g.fullQIndices, nkv, nq, 'full q');
  const mark = new Uint8Array(nkv);
  for (let r = 0; r < nq; r++) {
    for (let i = g.kvRowPtr[r]; i < g.kvRowPtr[r + 1]; i++) mark[g.kvIndices[i]] = 1;
    for (let i = g.fullKvRowPtr[r]; i < g.fullKvRowPtr[r + 1]; i++) {
      const kb = g.fullKvIndices[i];
      if (mark[kb]) fail(`group ${gi}: tile (${r}, ${kb}) is both full and partial`);
      if (overhangs(s, r, kb)) fail(`group ${gi}: full tile (${r}, ${kb}) overhangs the sequence end`);
    }
    for (let i = g.kvRowPtr[r]; i < g.kvRowPtr[r + 1]; i++) mark[g.kvIndices[i]] = 0;
  }
  const sameTranspose = (rowPtr: Int32Array, rowIdx: Int32Array, colPtr: Int32Array, colIdx: Int32Array, what: string) => {
    const fill = colPtr.slice(0, nkv);
    for (let r = 0; r < nq; r++) {
      for (let i = rowPtr[r]; i < rowPtr[r + 1]; i++) {
        const c = rowIdx[i];
        if (colIdx[fill[c]++] !== r) fail(`group ${gi}: ${what} lists are not the transpose of the kv lists`);
      }
    }
  };
  sameTranspose(g.kvRowPtr, g.kvIndices, g.qColPtr, g.qIndices, 'q');
  sameTranspose(g.fullKvRowPtr, g.fullKvIndices, g.fullQColPtr, g.fullQIndices, 'full q');
  let prevEnd = -1;
  for (const [a, b] of g.fullyMaskedRows) {
    if (!(a < b) || a <= prevEnd - 1 || b > s.qLen) fail(`group ${gi}: fully masked row ranges malformed`);
    prevEnd = b;
  }
}
