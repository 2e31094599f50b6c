/**
 * Dead blocks of PARTIAL tiles, as the WebGPU tiled kernel skips them ([Note: Dead blocks] in
 * templates/wgsl/attention-tiled.wgsl.hbs): per listed PARTIAL tile, the share of its
 * (warp, chunk) blocks (`deadBlockGrain`) whose query rows meet no allowed key.
 *
 * [Note: Dead blocks in the model] The kernel decides per element at run time, so the model
 * counts from the mask itself: each block is first asked of the planner's classifier (sound:
 * 0 means no element is allowed, 2 means every one is), and only where that is undecided are
 * its points evaluated, stopping at the first allowed one. Box tiles have no contiguous
 * ranges, so their blocks are evaluated point by point over the tiles' tokens (`tileTokens`).
 * Past `budget` point evaluations the model counts an even sample of each group's tiles and
 * gives every other tile the share of the sampled tile before it (the tiles of one query row
 * are listed together, so that is a neighbour). Chunks past the end of the key sequence are
 * not run at all and count as dead.
 */
import type { PlannerModule } from '../../runtime/schedule/planner.ts';
import { buildInputs, validateParams } from '../../runtime/schedule/plan.ts';
import { tileTokens } from '../../runtime/schedule/box.ts';
import type { PlanConfig, Schedule } from '../../runtime/schedule/types.ts';

/** Point evaluations one simulation spends on dead blocks at most (then it samples). */
export const DEAD_BLOCK_BUDGET = 1 << 24;

/**
 * For each group of `s` (the schedule of `cfg`), the dead share of each of its PARTIAL tiles,
 * indexed as `kvIndices`: 0 where every block of the tile has an allowed element, 1 where none has.
 */
export function deadShares(planner: PlannerModule, s: Schedule, cfg: PlanConfig, grain: { readonly rows: number; readonly keys: number }, budget = DEAD_BLOCK_BUDGET): Float32Array[] {
  // Schedules are cached per planner and configuration (cachedPlan), so are their counts.
  let memo = counted.get(s);
  if (!memo) counted.set(s, (memo = new Map()));
  const key = `${grain.rows}x${grain.keys}/${budget}`;
  let out = memo.get(key);
  if (!out) memo.set(key, (out = count(planner, s, cfg, grain, budget)));
  return out;
}

const counted = new WeakMap<Schedule, Map<string, Float32Array[]>>();

function count(planner: PlannerModule, s: Schedule, cfg: PlanConfig, grain: { readonly rows: number; readonly keys: number }, budget: number): Float32Array[] {
  const sizes = { qLen: s.qLen, kvLen: s.kvLen, heads: s.heads };
  const params = validateParams(planner, cfg);
  const inputs = buildInputs(planner, cfg);
  const total = s.groups.reduce((a, g) => a + g.kvIndices.length, 0);
  const perTile = s.blockQ * s.blockKv;
  const stride = Math.max(1, Math.ceil((total * perTile) / budget));
  const wr = Math.min(grain.rows, s.blockQ), wk = Math.min(grain.keys, s.blockKv);
  const warps = Math.ceil(s.blockQ / wr), chunks = Math.ceil(s.blockKv / wk);
  return s.groups.map((g) => {
    const m = g.members[0];
    const b = Math.floor(m / s.heads), h = m % s.heads;
    const p = planner.bind(sizes, params, planner.slots(h, b, sizes, params, inputs), inputs);
    const tokens = (blk: number, block: number, len: number, side: 'q' | 'kv'): Int32Array => {
      if (s.tiles) return tileTokens(s.tiles, s.tiles[side], blk, len);
      const out = new Int32Array(block);
      for (let r = 0; r < block; r++) out[r] = blk * block + r < len ? blk * block + r : -1;
      return out;
    };
    const out = new Float32Array(g.kvIndices.length);
    let qb = 0, last = 0;
    for (let i = 0; i < g.kvIndices.length; i++) {
      while (g.kvRowPtr[qb + 1] <= i) qb++;
      if (i % stride !== 0) {
        out[i] = last;
        continue;
      }
      const kb = g.kvIndices[i];
      // Each warp's rows and each chunk's keys (padding left out), once per tile.
      const qs = runs(tokens(qb, s.blockQ, s.qLen, 'q'), wr, warps), ks = runs(tokens(kb, s.blockKv, s.kvLen, 'kv'), wk, chunks);
      let dead = 0;
      for (const rows of qs) for (const keys of ks) if (!blockLive(p, rows, keys, !s.tiles)) dead++;
      out[i] = last = dead / (warps * chunks);
    }
    return out;
  });
}

/** The tokens of `t` cut into `n` runs of `len` (-1, padding, left out). */
function runs(t: Int32Array, len: number, n: number): number[][] {
  return Array.from({ length: n }, (_, i) => Array.from(t.subarray(i * len, i * len + len)).filter((x) => x >= 0));
}

/** Whether query tokens `qs` meet an allowed key among `ks` (ascending; `contiguous`: ranges of a strip). */
function blockLive(p: ReturnType<PlannerModule['bind']>, qs: readonly number[], ks: readonly number[], contiguous: boolean): boolean {
  if (qs.length === 0 || ks.length === 0) return false;
  if (contiguous) {
    const c = p.classify(qs[0], qs[qs.length - 1], ks[0], ks[ks.length - 1]);
    if (c !== 1) return c === 2;
  }
  for (const q of qs) for (const k of ks) if (p.mask(q, k)) return true;
  return false;
}
