/**
 * The automatic tile choice (`tiles: 'auto'`, docs/schedule.md, "Box tiles"): plan the strip
 * and every box shape of a layout pattern, and keep the cheapest by listed tiles, a PARTIAL
 * tile weighing `PARTIAL_WEIGHT` FULL ones (it evaluates the mask per element). The strip
 * comes first and wins ties, so a pattern the boxes do not help keeps the strip schedule.
 */
import { boxShapes, matchingKvShape } from './box.ts';
import type { PlannerModule } from './planner.ts';
import { PlanError, type PlanConfig, type Schedule, type TileRequest } from './types.ts';

/** What a PARTIAL tile costs relative to a FULL one when choosing tiles. */
export const PARTIAL_WEIGHT = 1.5;

/** The cost of `full` FULL and `partial` PARTIAL tiles of one (batch, head). */
export const listCost = (full: number, partial: number) => full + PARTIAL_WEIGHT * partial;

/** Listed tiles over every (batch, head), PARTIAL ones weighted by `PARTIAL_WEIGHT`. */
export function tileCost(s: Schedule): number {
  let cost = 0;
  for (let m = 0; m < s.groupOf.length; m++) {
    const g = s.groups[s.groupOf[m]];
    cost += listCost(g.fullKvIndices.length, g.kvIndices.length);
  }
  return cost;
}

/**
 * The candidates of `auto` for a pattern with a grid of `axes` axes: the strip, then every box
 * shape, less those with a side longer than the grid's `extents` rounded up to a power of two
 * (at least half of such a box is padding: they are left out to keep the choice cheap).
 */
export function tileCandidates(axes: number, blockQ: number, blockKv: number, extents?: readonly number[]): TileRequest[] {
  const out: TileRequest[] = ['strip'];
  if (axes < 2) return out;
  const fits = (shape: readonly number[]) => !extents || shape.every((b, i) => b <= 2 ** Math.ceil(Math.log2(Math.max(1, extents[i]))));
  for (const q of boxShapes(axes, blockQ)) {
    const kv = blockQ === blockKv ? q : matchingKvShape(q, blockQ, blockKv);
    if (fits(q) && fits(kv)) out.push({ q, kv });
  }
  return out;
}

/**
 * Plans every candidate with `plan` (`extents`: the grid the longer sequence covers, when known) (the planner with `tiles` forced) and returns the
 * cheapest schedule. `plan` is given the best cost so far and may return undefined for a
 * candidate whose cost reaches it (plan.ts, [Note: Pruned tile choice]). A box shape the grid refuses (`bad_tile_shape`), or whose padded box grid
 * passes the size limits (`bad_size`), is skipped; any other
 * error, and every error of the strip, is the caller's.
 */
export function chooseTiles(mod: PlannerModule, cfg: PlanConfig, plan: (cfg: PlanConfig, costLimit: number) => Schedule | undefined, extents?: readonly number[]): Schedule {
  let best: Schedule | undefined, bestCost = Infinity;
  for (const tiles of tileCandidates(mod.layout?.axes.length ?? 0, cfg.blockQ, cfg.blockKv, extents)) {
    let s: Schedule | undefined;
    try {
      s = plan({ ...cfg, tiles }, bestCost);
    } catch (e) {
      if (tiles !== 'strip' && e instanceof PlanError && (e.code === 'bad_tile_shape' || e.code === 'bad_size')) continue;
      throw e;
    }
    if (!s) continue;
    const cost = tileCost(s);
    if (cost < bestCost) {
      best = s;
      bestCost = cost;
    }
  }
  if (!best) throw new Error('internal compiler error: no tile candidate was planned');
  return best;
}
