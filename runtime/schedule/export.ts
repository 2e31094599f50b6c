/**
 * Schedule exports: a readable text dump, JSON in FlexAttention's BlockMask vocabulary, and
 * `.npz` arrays shaped for `BlockMask.from_kv_blocks`.
 *
 * JSON (`attnc.schedule/1`): sizes, `head_group[b][h]` (index into `groups`), and per group
 * `kv_num_blocks[qBlock]`, `kv_indices[qBlock]` (partial tiles, ascending),
 * `full_kv_num_blocks`, `full_kv_indices`, the transposed `q_num_blocks[kvBlock]`,
 * `q_indices[kvBlock]`, `full_q_num_blocks`, `full_q_indices`, and `fully_masked_rows` as
 * `[start, end)` token ranges. The dense mask of head h is rebuilt by:
 *
 *   g = groups[head_group[b][h]]
 *   for qb in range(num_q_blocks):
 *     for kb in g.full_kv_indices[qb]: dense[qb*BQ:(qb+1)*BQ, kb*BK:(kb+1)*BK] = True
 *     for kb in g.kv_indices[qb]:      dense[...same tile...] = mask(b, h, q, k) per element
 *   dense = dense[:q_len, :kv_len]
 */
import { zipSync } from 'fflate';
import { writeNpy } from '../io/npy.ts';
import type { GroupSchedule, Schedule } from './types.ts';
import { blockLabel, tilesToJson } from './box.ts';

/**
 * Tile counts and the ideal speedup (dense tiles over listed tiles, per (b, h)). The dense
 * count is that of strips, `ceil(q_len / block_q) x ceil(kv_len / block_kv)`, for box
 * schedules too, so that the ideal speedups of strips and boxes compare.
 */
export function summarize(s: Schedule): { full: number; partial: number; total: number; density: number; idealSpeedup: number } {
  let full = 0, partial = 0;
  for (let m = 0; m < s.groupOf.length; m++) {
    const g = s.groups[s.groupOf[m]];
    full += g.fullKvIndices.length;
    partial += g.kvIndices.length;
  }
  const total = Math.ceil(s.qLen / s.blockQ) * Math.ceil(s.kvLen / s.blockKv) * s.groupOf.length;
  const listed = full + partial;
  return { full, partial, total, density: listed / total, idealSpeedup: listed === 0 ? Infinity : total / listed };
}

function rows(ptr: Int32Array, idx: Int32Array): number[][] {
  const out: number[][] = [];
  for (let r = 0; r + 1 < ptr.length; r++) out.push(Array.from(idx.subarray(ptr[r], ptr[r + 1])));
  return out;
}

/** Compresses an ascending list as `0-7 9 12-13`. */
export function ranges(xs: ArrayLike<number>): string {
  const parts: string[] = [];
  for (let i = 0; i < xs.length; ) {
    let j = i;
    while (j + 1 < xs.length && xs[j + 1] === xs[j] + 1) j++;
    parts.push(j === i ? `${xs[i]}` : `${xs[i]}-${xs[j]}`);
    i = j + 1;
  }
  return parts.join(' ');
}

function memberText(s: Schedule, g: GroupSchedule): string {
  const hs = Array.from(g.members, (m) => (s.batch > 1 ? `b${Math.floor(m / s.heads)}h${m % s.heads}` : `${m}`));
  return s.batch > 1 ? hs.join(' ') : `heads ${ranges(g.members)}`;
}

/** Readable dump: one line per query block per group. */
export function scheduleToText(s: Schedule): string {
  const sum = summarize(s);
  const lines = [
    `schedule ${s.pattern}: q_len=${s.qLen} kv_len=${s.kvLen} heads=${s.heads}${s.batch > 1 ? ` batch=${s.batch}` : ''} block=${s.blockQ}x${s.blockKv}`,
    // Box schedules are measured against the dense strips (`summarize`); their padding boxes can list more.
    `tiles: ${sum.full} full, ${sum.partial} partial, of ${sum.total}${s.tiles ? ' dense strip tiles' : ''} (density ${(100 * sum.density).toFixed(2)}%, ideal speedup ${sum.idealSpeedup === Infinity ? 'inf' : sum.idealSpeedup.toFixed(2)}x)`,
    ...(s.tiles ? [`box tiles over the grid (${s.tiles.axes.join(', ')}): query boxes ${s.tiles.q.shape.join('x')} (${s.tiles.q.grid.join('x')} of them), key boxes ${s.tiles.kv.shape.join('x')} (${s.tiles.kv.grid.join('x')}); block numbers are boxes, row-major`] : []),
    `head groups: ${s.groups.length}`,
  ];
  s.groups.forEach((g, gi) => {
    lines.push(`group ${gi} (${memberText(s, g)}):`);
    const w = String(s.numQBlocks - 1).length;
    for (let qb = 0; qb < s.numQBlocks; qb++) {
      const f = g.fullKvIndices.subarray(g.fullKvRowPtr[qb], g.fullKvRowPtr[qb + 1]);
      const p = g.kvIndices.subarray(g.kvRowPtr[qb], g.kvRowPtr[qb + 1]);
      const at = s.tiles ? ` (${blockLabel(s.tiles, s.tiles.q, qb)})` : '';
      lines.push(`  q ${String(qb).padStart(w)}${at}: full [${ranges(f)}] partial [${ranges(p)}]`);
    }
    if (g.selected) {
      const sel: number[] = [];
      g.selected.forEach((x, t) => { if (x) sel.push(t); });
      lines.push(`  selected by this call's data: ${sel.length ? sel.map((t) => `(${Math.floor(t / s.numKvBlocks)}, ${t % s.numKvBlocks})`).join(' ') : 'none'}`);
    }
    if (g.fullyMaskedRows.length) lines.push(`  fully masked rows: ${g.fullyMaskedRows.map(([a, b]) => (b - a === 1 ? `${a}` : `${a}..${b}`)).join(', ')}`);
  });
  return `${lines.join('\n')}\n`;
}

/** The JSON export (see the file comment for the format). */
export function scheduleToJson(s: Schedule): object {
  const headGroup: number[][] = [];
  for (let b = 0; b < s.batch; b++) headGroup.push(Array.from(s.groupOf.subarray(b * s.heads, (b + 1) * s.heads)));
  return {
    format: 'attnc.schedule/1',
    pattern: s.pattern,
    q_len: s.qLen,
    kv_len: s.kvLen,
    heads: s.heads,
    batch: s.batch,
    block_q: s.blockQ,
    block_kv: s.blockKv,
    num_q_blocks: s.numQBlocks,
    num_kv_blocks: s.numKvBlocks,
    ...(s.tiles ? { tiles: tilesToJson(s.tiles) } : {}),
    head_group: headGroup,
    groups: s.groups.map((g) => ({
      members: Array.from(g.members),
      kv_num_blocks: Array.from(g.kvNumBlocks),
      kv_indices: rows(g.kvRowPtr, g.kvIndices),
      full_kv_num_blocks: Array.from(g.fullKvNumBlocks),
      full_kv_indices: rows(g.fullKvRowPtr, g.fullKvIndices),
      q_num_blocks: Array.from(g.qNumBlocks),
      q_indices: rows(g.qColPtr, g.qIndices),
      full_q_num_blocks: Array.from(g.fullQNumBlocks),
      full_q_indices: rows(g.fullQColPtr, g.fullQIndices),
      fully_masked_rows: g.fullyMaskedRows.map(([a, b]) => [a, b]),
    })),
    stats: { ...s.stats, ...summarize(s) },
  };
}

/** Largest padded array the npz export writes (entries), to keep files sane. */
export const NPZ_MAX_ENTRIES = 1 << 28;

/**
 * `.npz` with arrays shaped as FlexAttention expects: `kv_num_blocks` [B, H, nq] int32,
 * `kv_indices` [B, H, nq, nkv] int32 (row r's first kv_num_blocks entries valid, rest 0),
 * the `full_` pair likewise, and the transposed `q_*` arrays [B, H, nkv(, nq)].
 * `BlockMask.from_kv_blocks(kv_num_blocks, kv_indices, full_kv_num_blocks, full_kv_indices,
 * BLOCK_SIZE=(block_q, block_kv), seq_lengths=(q_len, kv_len))` takes them directly (the
 * lengths and blocks are `seq_lengths_and_block_size`; without `seq_lengths` FlexAttention
 * refuses lengths that are not block multiples).
 */
export function scheduleToNpz(s: Schedule): Uint8Array {
  const B = s.batch, H = s.heads, nq = s.numQBlocks, nkv = s.numKvBlocks;
  if (B * H * nq * nkv > NPZ_MAX_ENTRIES) {
    throw new RangeError(`the npz export pads to [${B}, ${H}, ${nq}, ${nkv}] entries, too large; use --format json or larger blocks`);
  }
  const mk = (rowsN: number, colsN: number, pick: (g: GroupSchedule) => [Int32Array, Int32Array]) => {
    const num = new Int32Array(B * H * rowsN);
    const idx = new Int32Array(B * H * rowsN * colsN);
    for (let m = 0; m < B * H; m++) {
      const [ptr, ind] = pick(s.groups[s.groupOf[m]]);
      for (let r = 0; r < rowsN; r++) {
        num[m * rowsN + r] = ptr[r + 1] - ptr[r];
        idx.set(ind.subarray(ptr[r], ptr[r + 1]), (m * rowsN + r) * colsN);
      }
    }
    return [
      writeNpy({ dtype: 'i4', shape: [B, H, rowsN], data: num }),
      writeNpy({ dtype: 'i4', shape: [B, H, rowsN, colsN], data: idx }),
    ];
  };
  const [kvn, kvi] = mk(nq, nkv, (g) => [g.kvRowPtr, g.kvIndices]);
  const [fkvn, fkvi] = mk(nq, nkv, (g) => [g.fullKvRowPtr, g.fullKvIndices]);
  const [qn, qi] = mk(nkv, nq, (g) => [g.qColPtr, g.qIndices]);
  const [fqn, fqi] = mk(nkv, nq, (g) => [g.fullQColPtr, g.fullQIndices]);
  const meta = new Int32Array([s.qLen, s.kvLen, s.blockQ, s.blockKv]);
  const t = s.tiles;
  const ints = (xs: readonly number[]) => writeNpy({ dtype: 'i4', shape: [xs.length], data: Int32Array.from(xs) });
  // Box tiles: the lists index boxes, which a FlexAttention BlockMask (strips) cannot take.
  const box: Record<string, Uint8Array> = t ? {
    'tiles_strides.npy': ints(t.strides),
    'tiles_q_shape.npy': ints(t.q.shape), 'tiles_q_extent.npy': ints(t.q.extent), 'tiles_q_grid.npy': ints(t.q.grid),
    'tiles_kv_shape.npy': ints(t.kv.shape), 'tiles_kv_extent.npy': ints(t.kv.extent), 'tiles_kv_grid.npy': ints(t.kv.grid),
  } : {};
  return zipSync({
    ...box,
    'kv_num_blocks.npy': kvn, 'kv_indices.npy': kvi,
    'full_kv_num_blocks.npy': fkvn, 'full_kv_indices.npy': fkvi,
    'q_num_blocks.npy': qn, 'q_indices.npy': qi,
    'full_q_num_blocks.npy': fqn, 'full_q_indices.npy': fqi,
    'seq_lengths_and_block_size.npy': writeNpy({ dtype: 'i4', shape: [4], data: meta }),
  }, { level: 6, mtime: new Date('1980-01-01T00:00:00Z') });
}
