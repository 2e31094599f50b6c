/**
 * Box tiles against the dense oracle (docs/schedule.md, "Box tiles"): 2-D and 3-D layouts
 * with odd sizes, NATTEN's border clamp, dilation, causal time, q_len != kv_len, heads and
 * batch elements with different masks, forced box shapes and the automatic choice. Each
 * schedule must list exactly the oracle's tile classes, cover every token once, and pass the
 * structural checks.
 */
import * as fs from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lowerToPlanner } from '../../compiler/pipeline.ts';
import { boxShapes, matchingKvShape } from '../../runtime/schedule/box.ts';
import { chooseTiles, tileCost } from '../../runtime/schedule/choose-tiles.ts';
import { gridExtents, planSchedule } from '../../runtime/schedule/plan.ts';
import { PlanError, type TileRequest } from '../../runtime/schedule/types.ts';
import { verifySchedule } from '../../runtime/schedule/verify.ts';
import { bindText } from '../helpers/compile.ts';
import { compareWithOracle } from '../helpers/dense-check.ts';

const natten2d = fs.readFileSync('patterns/natten-2d.attn', 'utf8');
const natten3d = fs.readFileSync('patterns/natten-3d.attn', 'utf8');
const swin = fs.readFileSync('patterns/swin.attn', 'utf8');

/** Heads and batch elements with their own masks, bare `q`/`k` next to coordinates, an input read at `b`. */
const mixed = `
pattern mixed(height: int = 5, width: int = 9, input prefix: int[batch]) {
  layout grid(y: height, x: width)
  allow abs(q.y - k.y) <= h % 3 && abs(q.x - k.x) <= (h / 2) % 3
  allow k < prefix[b]
  allow q - k < 3 && k <= q
}`;

/** Per-token input arrays read at `q` and `k` next to coordinates (bounded over a box's flat range). */
const docs = `
pattern docs2d(height: int = 6, width: int = 10, input doc: int[kv_len]) {
  layout grid(y: height, x: width)
  require doc[q] == doc[k]
  allow abs(q.y - k.y) <= 1 && abs(q.x - k.x) <= 3
  allow k.x == 0
}`;

const block = fc.constantFrom(16, 32);

/** A tile request: a random box shape of the block sizes, or `auto`. */
function tiles(d: number, blockQ: number, blockKv: number, pick: number, same: boolean): TileRequest {
  const shapes = boxShapes(d, blockQ);
  if (pick === shapes.length) return 'auto';
  const q = shapes[pick % shapes.length];
  const kvShapes = boxShapes(d, blockKv);
  return { q, kv: same ? matchingKvShape(q, blockQ, blockKv) : kvShapes[(pick * 7 + 3) % kvShapes.length] };
}

function check(src: string, params: Record<string, number | boolean>, cfg: { qLen: number; kvLen: number; heads: number; batch?: number; blockQ: number; blockKv: number; tiles: TileRequest; inputs?: Record<string, number[]> }): void {
  const bp = bindText(src, params);
  const { planner } = lowerToPlanner(bp);
  const s = planSchedule(planner, cfg);
  verifySchedule(s);
  if (cfg.tiles !== 'auto' && cfg.tiles !== 'strip') expect(s.tiles?.q.shape).toEqual(cfg.tiles.q);
  const errs = compareWithOracle(bp, s, { sizes: { qLen: cfg.qLen, kvLen: cfg.kvLen, heads: cfg.heads }, params: {}, inputs: cfg.inputs ?? {} }, cfg.batch ?? 1);
  expect(errs, `${JSON.stringify({ params, ...cfg, tiles: s.tiles ? [s.tiles.q.shape, s.tiles.kv.shape] : 'strip' })}`).toEqual([]);
}

describe('box tiles: exact against the dense oracle', () => {
  it('2-D NATTEN: odd grids, clamp, dilation, q_len != kv_len, forced and automatic shapes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 13 }), fc.integer({ min: 1, max: 13 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 40 }), block, block, fc.nat(20), fc.boolean(),
        (height, width, ky, kx, dy, dx, extraQ, extraKv, blockQ, blockKv, pick, same) => {
          fc.pre(ky * dy <= height && kx * dx <= width);
          const n = height * width;
          const qLen = Math.max(1, n - 20 + extraQ), kvLen = Math.max(1, n - 20 + extraKv);
          check(natten2d, { height, width, kernel_y: ky, kernel_x: kx, dilation_y: dy, dilation_x: dx }, { qLen, kvLen, heads: 1, blockQ, blockKv, tiles: tiles(2, blockQ, blockKv, pick, same) });
        }),
      { numRuns: 120 },
    );
  });

  it('3-D NATTEN: odd grids, dilation, causal time, forced and automatic shapes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 2 }),
        fc.boolean(), fc.integer({ min: 0, max: 30 }), block, fc.nat(40),
        (frames, height, width, kt, ks, dil, causal, extra, blockQ, pick) => {
          fc.pre(kt <= frames && ks * dil <= height && ks * dil <= width);
          const n = frames * height * width;
          const qLen = Math.max(1, n - 15 + extra), kvLen = n;
          check(natten3d, { frames, height, width, kernel_t: kt, kernel_y: ks, kernel_x: ks, dilation_y: dil, dilation_x: dil, causal_t: causal }, { qLen, kvLen, heads: 1, blockQ, blockKv: blockQ, tiles: tiles(3, blockQ, blockQ, pick, true) });
        }),
      { numRuns: 60 },
    );
  });

  it('heads and batch elements with their own masks (GQA-style head groups)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 9 }), fc.integer({ min: 2, max: 11 }), fc.integer({ min: 0, max: 30 }), fc.nat(20), fc.tuple(fc.nat(60), fc.nat(60)),
        (height, width, extra, pick, [p0, p1]) => {
          const n = height * width;
          check(mixed, { height, width }, { qLen: n, kvLen: Math.max(1, n - 10 + extra), heads: 6, batch: 2, blockQ: 16, blockKv: 16, tiles: tiles(2, 16, 16, pick, true), inputs: { prefix: [p0 % n, p1 % n] } });
        }),
      { numRuns: 40 },
    );
  });

  it('per-token input arrays where the sequence ends inside the grid\'s last row (a box\'s flat range passes the array\'s end)', () => {
    // Ordered comparisons of the ids: reading past the array's end once made the bounds NaN, which read EMPTY (unsound).
    const ordered = `pattern ordered(height: int = 4, width: int = 64, input doc: int[kv_len]) {
  layout grid(y: height, x: width)
  allow doc[k] <= doc[q] && abs(q.x - k.x) <= 2
}`;
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 6 }), fc.integer({ min: 4, max: 40 }), fc.integer({ min: 1, max: 39 }), fc.integer({ min: 2, max: 12 }), fc.nat(20), fc.boolean(),
        (height, width, short, docLen, pick, eq) => {
          const n = height * width, len = Math.max(1, n - Math.min(short, width - 1));
          const doc = Array.from({ length: len }, (_, i) => Math.floor(i / docLen));
          check(eq ? docs : ordered, { height, width }, { qLen: len, kvLen: len, heads: 1, blockQ: 16, blockKv: 16, tiles: tiles(2, 16, 16, pick, true), inputs: { doc } });
        }),
      { numRuns: 60 },
    );
    check(ordered, {}, { qLen: 130, kvLen: 130, heads: 1, blockQ: 16, blockKv: 16, tiles: { q: [1, 16], kv: [1, 16] }, inputs: { doc: Array.from({ length: 130 }, (_, i) => Math.floor(i / 9)) } });
  });

  it('per-token input arrays (document ids) with coordinates', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 9 }), fc.integer({ min: 2, max: 13 }), fc.integer({ min: 3, max: 40 }), fc.nat(20), fc.integer({ min: -20, max: 0 }),
        (height, width, docLen, pick, cut) => {
          const n = height * width, kvLen = n, qLen = Math.max(1, n + cut);
          const doc = Array.from({ length: kvLen }, (_, i) => Math.floor(i / docLen));
          check(docs, { height, width }, { qLen, kvLen, heads: 1, blockQ: 16, blockKv: 16, tiles: tiles(2, 16, 16, pick, true), inputs: { doc } });
        }),
      { numRuns: 40 },
    );
  });

  it('Swin windows, shifted and not', () => {
    for (const [window, shift] of [[3, 0], [3, 1], [4, 2], [5, 2]]) {
      const height = window * 3, width = window * 2;
      for (const t of [{ q: [4, 4], kv: [4, 4] }, { q: [2, 8], kv: [8, 2] }, 'auto'] as TileRequest[]) {
        check(swin, { window, shift, height, width }, { qLen: height * width, kvLen: height * width, heads: 1, blockQ: 16, blockKv: 16, tiles: t });
      }
    }
  });
});

describe('box tiles: choice and refusals', () => {
  it('chooses boxes for a 2-D neighbourhood and the strip for a 1-D pattern', () => {
    const bp = bindText(natten2d, { height: 64, width: 64, kernel_y: 13, kernel_x: 13 });
    const s = planSchedule(lowerToPlanner(bp).planner, { qLen: 4096, kvLen: 4096, heads: 1, blockQ: 128, blockKv: 128, tiles: 'auto' });
    const strip = planSchedule(lowerToPlanner(bp).planner, { qLen: 4096, kvLen: 4096, heads: 1, blockQ: 128, blockKv: 128 });
    expect(s.tiles).toBeDefined();
    expect(strip.tiles).toBeUndefined();
    // No dense step: point evaluations (refinement, fully masked rows) far below q_len x kv_len.
    expect(s.stats.pointEvaluations).toBeLessThan((4096 * 4096) / 16);
    expect(s.stats.partialTiles + s.stats.fullTiles).toBeLessThan(strip.stats.partialTiles + strip.stats.fullTiles);
    const flat = bindText('pattern w() { allow abs(q - k) < 100 }');
    expect(planSchedule(lowerToPlanner(flat).planner, { qLen: 1000, kvLen: 1000, heads: 1, blockQ: 64, blockKv: 64, tiles: 'auto' }).tiles).toBeUndefined();
  });

  it('keeps the candidate a full plan of every candidate keeps, though it stops costly ones early', () => {
    // [Note: Pruned tile choice] (runtime/schedule/plan.ts): `auto` stops a candidate once its
    // cost reaches the best so far; planning every candidate in full must pick the same.
    const cases: [string, Record<string, number>, number, number, number][] = [
      [natten2d, { height: 64, width: 64, kernel_y: 13, kernel_x: 13 }, 4096, 128, 128],
      [natten2d, { height: 48, width: 40, kernel_y: 7, kernel_x: 9 }, 1920, 64, 32],
      [natten3d, {}, 4096, 64, 64],
      [swin, {}, 3136, 64, 64],
      [swin, { shift: 3 }, 3000, 32, 64],
      [mixed, {}, 45, 16, 16],
    ];
    for (const [text, params, len, blockQ, blockKv] of cases) {
      const bp = bindText(text, params);
      const { planner } = lowerToPlanner(bp);
      const cfg = { qLen: len, kvLen: len, heads: 3, batch: 2, blockQ, blockKv, inputs: text === mixed ? { prefix: [40, 17] } : undefined };
      // The choice over full plans: chooseTiles with a plan that ignores the cost limit.
      const full = chooseTiles(planner, cfg, (c) => planSchedule(planner, c), gridExtents(planner, cfg));
      const shapeOf = (s: typeof full) => (s.tiles ? { q: s.tiles.q.shape, kv: s.tiles.kv.shape } : 'strip');
      const auto = planSchedule(planner, { ...cfg, tiles: 'auto' });
      expect(tileCost(auto), `${bp.pattern.name} ${len}`).toBe(tileCost(full));
      expect(shapeOf(auto), `${bp.pattern.name} ${len}`).toEqual(shapeOf(full));
    }
  });

  it('merges head groups whose masks are equal, as strips do', () => {
    const bp = bindText('pattern g(height: int = 6, width: int = 10) {\n  layout grid(y: height, x: width)\n  causal\n  allow q - k < 3 * (h - 1) || (abs(q.x - k.x) <= 1 && q.y == k.y)\n}');
    const { planner } = lowerToPlanner(bp);
    const cfg = { qLen: 60, kvLen: 60, heads: 4, blockQ: 16, blockKv: 16 };
    const strip = planSchedule(planner, cfg);
    const box = planSchedule(planner, { ...cfg, tiles: { q: [2, 8], kv: [2, 8] } });
    expect(strip.groups.length).toBe(3);  // heads 0 and 1 allow only the layout term
    expect(box.groups.length).toBe(strip.groups.length);
    expect(Array.from(box.groupOf)).toEqual(Array.from(strip.groupOf));
    expect(compareWithOracle(bp, box, { sizes: cfg, params: {}, inputs: {} }, 1)).toEqual([]);
  });

  it('refuses shapes that do not fit with bad_tile_shape', () => {
    const { planner } = lowerToPlanner(bindText(natten2d, { height: 16, width: 16 }));
    const cfg = { qLen: 256, kvLen: 256, heads: 1, blockQ: 64, blockKv: 64 };
    const code = (f: () => unknown) => {
      try { f(); } catch (e) { return e instanceof PlanError ? e.code : String(e); }
      return 'none';
    };
    expect(code(() => planSchedule(planner, { ...cfg, tiles: { q: [8, 4], kv: [8, 8] } }))).toBe('bad_tile_shape');
    expect(code(() => planSchedule(planner, { ...cfg, tiles: { q: [4, 4, 4], kv: [4, 4, 4] } }))).toBe('bad_tile_shape');
    expect(code(() => planSchedule(planner, { ...cfg, tiles: { q: [0, 64], kv: [8, 8] } }))).toBe('bad_tile_shape');
    const flat = lowerToPlanner(bindText('pattern w() { allow abs(q - k) < 100 }')).planner;
    expect(code(() => planSchedule(flat, { ...cfg, tiles: { q: [8, 8], kv: [8, 8] } }))).toBe('bad_tile_shape');
  });
});
