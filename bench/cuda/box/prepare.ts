/**
 * Prepares the GPU benchmark of box tiles against strips in the CUDA Hopper kernel
 * (docs/schedule.md, "Box tiles"; the GPU machine has no Node.js). Per configuration, under
 * `bench/cuda/work/box/src/<build>/`: the CUDA target of the bound pattern renamed `<build>`
 * (unique symbols), its FlexAttention module `flex_mask.py` (the same mask as a mask_mod) and
 * `meta.json`: the parameters, the sequence length, attnc's own plan at 128 x 128 blocks per
 * (batch, head) in strips and with the planner's automatic choice (FULL and PARTIAL tiles,
 * the box shape), the element-level ideal (dense pairs / allowed pairs) and the fully masked
 * query rows. Deletes nothing outside `bench/cuda/work/box/`.
 *
 *   npx tsx bench/cuda/box/prepare.ts        # here (from the tree whose CUDA runtime is run)
 *   python3 bench/cuda/box_bench.py          # on the GPU machine, with bench/cuda/work/box/
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { bindParams, type BoundPattern } from '../../../compiler/2-check/bind.ts';
import { lowerPattern } from '../../../compiler/3-lower/lower.ts';
import { emitCuda } from '../../../compiler/4-emit/cuda/emit-cuda.ts';
import { emitFlex } from '../../../compiler/4-emit/flex/emit-flex.ts';
import { profitableTileSpecialization } from '../../../compiler/ir/tile-uniform.ts';
import { Diagnostics } from '../../../compiler/diagnostics/diagnostic.ts';
import { checkPatternFile, lowerToPlanner } from '../../../compiler/pipeline.ts';
import { tileCandidates, tileCost } from '../../../runtime/schedule/choose-tiles.ts';
import { planSchedule } from '../../../runtime/schedule/plan.ts';
import type { PlannerModule } from '../../../runtime/schedule/planner.ts';
import type { Schedule, TileRequest } from '../../../runtime/schedule/types.ts';

import { CONFIGS, type Config } from './configs.ts';

const WORK = 'bench/cuda/work/box';
const BLOCK = 128;

function bind(file: string, params: Record<string, number>): BoundPattern {
  const diags = new Diagnostics();
  const pat = checkPatternFile({ name: file, text: fs.readFileSync(file, 'utf8') }, undefined, diags);
  const bp = bindParams(pat, Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)])), diags);
  if (!bp) throw new Error(`${file}: ${diags.items.map((d) => d.message).join('; ')}`);
  return bp;
}

/** FULL and PARTIAL tiles of one (batch, head) and the box shape, when the plan has boxes. */
function tiles(s: Schedule) {
  const g = s.groups[0];
  const box = s.tiles ? { q: s.tiles.q.shape.join('x'), kv: s.tiles.kv.shape.join('x') } : null;
  return { full: g.fullKvIndices.length, partial: g.kvIndices.length, q_blocks: s.numQBlocks, kv_blocks: s.numKvBlocks, box };
}

/**
 * Allowed (query, key) pairs of one head, exactly: FULL tiles whole, PARTIAL tiles point by
 * point with the planner's own mask (a strip schedule: tile `qb, kb` covers the index ranges).
 */
function allowedPairs(mod: PlannerModule, s: Schedule): number {
  if (s.tiles) throw new Error('allowedPairs reads strip schedules');
  const sizes = { qLen: s.qLen, kvLen: s.kvLen, heads: 1 };
  const bound = mod.bind(sizes, {}, mod.slots(0, 0, sizes, {}), {});
  const g = s.groups[0];
  const span = (b: number, bs: number, len: number) => Math.min(len, (b + 1) * bs) - b * bs;
  let n = 0;
  for (let qb = 0; qb < s.numQBlocks; qb++) {
    for (let i = g.fullKvRowPtr[qb]; i < g.fullKvRowPtr[qb + 1]; i++) n += span(qb, s.blockQ, s.qLen) * span(g.fullKvIndices[i], s.blockKv, s.kvLen);
    for (let i = g.kvRowPtr[qb]; i < g.kvRowPtr[qb + 1]; i++) {
      const kb = g.kvIndices[i];
      const q1 = Math.min(s.qLen, (qb + 1) * s.blockQ), k1 = Math.min(s.kvLen, (kb + 1) * s.blockKv);
      for (let q = qb * s.blockQ; q < q1; q++) for (let k = kb * s.blockKv; k < k1; k++) if (bound.mask(q, k)) n++;
    }
  }
  return n;
}

function plan(mod: PlannerModule, len: number, tilesReq: TileRequest): Schedule {
  return planSchedule(mod, { qLen: len, kvLen: len, heads: 1, blockQ: BLOCK, blockKv: BLOCK, tiles: tilesReq });
}

/** The cheapest box schedule by the automatic choice's cost (`tileCost`), among its candidates; undefined without a layout. */
function bestBox(mod: PlannerModule, len: number): Schedule | undefined {
  if (!mod.layout) return undefined;
  const extents = mod.layout.sizes({ qLen: len, kvLen: len, heads: 1 }, {});
  let best: Schedule | undefined;
  for (const req of tileCandidates(extents.length, BLOCK, BLOCK, extents)) {
    if (req === 'strip' || req === 'auto') continue;
    const s = plan(mod, len, req);
    if (!best || tileCost(s) < tileCost(best)) best = s;
  }
  return best;
}

/**
 * `general`: the same pattern with its kernels' tile-uniform path turned off (TILE_UNIFORM
 * false: every PARTIAL tile evaluates the whole mask per element), as its own configuration
 * `<id>_general`, to measure that path against the general one in the same run.
 */
function prepare(c: Config, order: number, general = false): { bp: BoundPattern; layout: boolean } {
  const t0 = Date.now();
  if (general) c = { ...c, id: `${c.id}_general`, label: `${c.label}, general mask only` };
  const build = `box_${c.id}`;
  const bp = bind(c.file, c.params);
  const { planner } = lowerToPlanner(bp);
  const strip = plan(planner, c.len, 'strip');
  const auto = plan(planner, c.len, 'auto');
  const box = bestBox(planner, c.len);
  const allowed = allowedPairs(planner, strip);
  const dir = path.join(WORK, 'src', build);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const renamed: BoundPattern = { ...bp, pattern: { ...bp.pattern, name: build } };
  for (const [f, t] of Object.entries(emitCuda(renamed, { ...lowerPattern(bp), patternName: build }, c.file))) {
    fs.writeFileSync(path.join(dir, f), general ? t.replace('static constexpr bool TILE_UNIFORM = true;', 'static constexpr bool TILE_UNIFORM = false;') : t);
  }
  fs.writeFileSync(path.join(dir, 'flex_mask.py'), emitFlex(bp, lowerPattern(bp), c.file));
  const meta = {
    id: c.id, order, build, label: c.label, file: c.file, params: c.params, S: c.len, layout: planner.layout?.axes ?? null,
    block: BLOCK, strip: tiles(strip), best_box: box ? tiles(box) : null, auto: tiles(auto),
    dense_pairs: c.len * c.len, allowed_pairs: allowed, element_ideal: (c.len * c.len) / allowed,
    fully_masked_rows: strip.groups[0].fullyMaskedRows,
  };
  fs.writeFileSync(path.join(dir, 'meta.json'), `${JSON.stringify(meta, null, 1)}\n`);
  const t = (x: ReturnType<typeof tiles>) => `${x.full + x.partial} (${x.full} FULL + ${x.partial} PARTIAL${x.box ? `, box ${x.box.q}${x.box.kv !== x.box.q ? `/${x.box.kv}` : ''}` : ''})`;
  process.stdout.write(`${build}: S=${c.len} strips ${t(meta.strip)}, best box ${meta.best_box ? t(meta.best_box) : '-'}, auto ${t(meta.auto)}, element ideal ${meta.element_ideal.toFixed(1)}x [${((Date.now() - t0) / 1000).toFixed(1)} s]\n`);
  return { bp, layout: Boolean(planner.layout) };
}

const only = process.argv[2]?.split(',');
fs.mkdirSync(path.join(WORK, 'src'), { recursive: true });
for (const [i, c] of CONFIGS.entries()) {
  if (only && !only.includes(c.id)) continue;
  const { bp, layout } = prepare(c, i);
  // Patterns without a layout whose kernels take the tile-uniform path: that path against the general mask.
  if (!layout && profitableTileSpecialization(bp.mask)) prepare(c, i, true);
}
process.stdout.write(`prepared ${WORK}/src\n`);
