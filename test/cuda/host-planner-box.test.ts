/**
 * The box half of the generated CUDA host code (docs/schedule.md, "Box tiles"), compiled with
 * g++ (ATTNC_HOST_ONLY) and run on the CPU against attnc's own planner:
 * - `Pattern::Host::layoutSizes` gives the planner module's `layout.sizes`, and
 *   `attnc::host::boxGeometry` the strides, extents and box grids of `boxTiles` (box.ts), or
 *   refuses the shapes that `boxTiles` refuses (bad_tile_shape);
 * - `attnc::host::planBoxGroup` lists the same FULL and PARTIAL key boxes per query box as
 *   `planSchedule` (plan-box.ts) with the tiles forced to every query box shape of `boxShapes`
 *   and its key box (`matchingKvShape`), for block_q 128 and block_kv 64 and 128, q_len !=
 *   kv_len, lengths that are no multiple of the grid's rows and lengths past the grid;
 * - `boxShapes` and `matchingKvShape` of planner.h agree with box.ts;
 * - `Pattern::Host::classifyBox` agrees with the planner module's `classifyBox` on random
 *   pairs of boxes.
 * Patterns: natten_2d, natten_3d and swin with small odd grids and dilations (so that tiles
 * are refined), and a scratch pattern with a 4-axis layout whose sizes read a runtime value
 * and q_len, and whose mask reads the flat q and k (the classifier's strides and flat ranges).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BoundPattern } from '../../compiler/2-check/bind.ts';
import { lowerToPlanner } from '../../compiler/pipeline.ts';
import { boxShapes, matchingKvShape } from '../../runtime/schedule/box.ts';
import { planSchedule } from '../../runtime/schedule/plan.ts';
import { PlanError } from '../../runtime/schedule/types.ts';
import { buildHost } from '../../bench/cuda/host.ts';
import { bindSmall } from '../../bench/cuda/suite.ts';

let haveGpp = true;
try { execFileSync('g++', ['--version'], { stdio: 'ignore' }); } catch { haveGpp = false; }
// The TypeScript planner and its C++ twin must agree: under CI (CI set) this test runs or fails, never skips.
if (!haveGpp && process.env.CI) throw new Error('g++ is required under CI: the C++ box planner is checked against the TypeScript one');

/** A layout of four axes whose second size is a runtime value and first reads q_len; the mask reads q and k flat. */
const BOX4 = `pattern box4(runtime depth: int, span: int = 1) {
  layout grid(w: q_len / (depth * 63), z: depth, y: 7, x: 9)
  allow abs(q.w - k.w) <= span && abs(q.z - k.z) <= 3 && k <= q + 900
  allow q.w == k.w && abs(q.y - k.y) <= 2 && (q.x - k.x) % 3 == 0
}
`;

interface Case {
  readonly bp: BoundPattern;
  readonly params: Record<string, number>;
  /** (q_len, kv_len) pairs. */
  readonly lens: readonly (readonly [number, number])[];
}

const BLOCK_Q = 128;
const BLOCK_KVS = [64, 128];
const RANDOM_PAIRS = 300;

/** The C++ program: reads commands from stdin, one output line each. */
function harness(bp: BoundPattern): string {
  const n = bp.pattern.name;
  const params = bp.runtimeParams.map((p) => `scanf("%lf", &a.p_${p.name});`).join(' ');
  return `#include <cstring>
using namespace attnc_${n};
using Pat = Pattern;
namespace H = attnc::host;
/** The host pattern of (q_len, kv_len) and the runtime values read next. */
static Pat::Host hostOf(int qLen, int kvLen) {
  attnc_${n}_args a{};
  a.q_len = qLen; a.kv_len = kvLen; a.heads = 1; a.batch = 1; a.kv_heads = 1;
  ${params}
  Pat::Host P = Pat::host(&a);
  Pat::setSlots(P, Pat::slots(P, 0, 0));
  return P;
}
static void ints(const char* tag, const long long* v, int n) { printf(" %s", tag); for (int i = 0; i < n; i++) printf(" %lld", v[i]); }
static void list(const char* tag, const std::vector<int>& v) { printf(" %s", tag); for (int x : v) printf(" %d", x); }
int main() {
  const int d = Pat::LAYOUT_AXES;
  printf("axes %d\\n", d);
  char cmd[16];
  while (scanf("%15s", cmd) == 1) {
    int qLen = 0, kvLen = 0, bq = 0, bk = 0;
    if (!strcmp(cmd, "plan")) {
      scanf("%d %d %d %d", &qLen, &kvLen, &bq, &bk);
      const Pat::Host P = hostOf(qLen, kvLen);
      int qs[4], ks[4];
      for (int i = 0; i < d; i++) scanf("%d", &qs[i]);
      for (int i = 0; i < d; i++) scanf("%d", &ks[i]);
      long long n[4];
      P.layoutSizes(n);
      H::BoxGeometry g;
      if (!H::boxGeometry(d, n, qLen, kvLen, bq, bk, qs, ks, &g)) { printf("bad\\n"); continue; }
      const H::GroupSchedule s = H::planBoxGroup(P, qLen, kvLen, g, 2LL * bq * bk);
      printf("ok");
      ints("sizes", n, d); ints("strides", g.strides, d);
      ints("qExtent", g.q.extent, d); ints("qGrid", g.q.grid, d); ints("kvExtent", g.kv.extent, d); ints("kvGrid", g.kv.grid, d);
      list("rowPtr", s.kvRowPtr); list("idx", s.kvIndices); list("fullRowPtr", s.fullKvRowPtr); list("fullIdx", s.fullKvIndices);
      printf("\\n");
    } else if (!strcmp(cmd, "shapes")) {
      scanf("%d %d", &bq, &bk);
      for (const auto& q : H::boxShapes(d, bq)) {
        printf(" ");
        for (size_t i = 0; i < q.size(); i++) printf("%s%d", i ? "x" : "", q[i]);
        const auto kv = H::matchingKvShape(q, bq, bk);
        for (size_t i = 0; i < kv.size(); i++) printf("%s%d", i ? "x" : ",", kv[i]);
      }
      printf("\\n");
    } else if (!strcmp(cmd, "cls")) {
      scanf("%d %d", &qLen, &kvLen);
      const Pat::Host P = hostOf(qLen, kvLen);
      long long c[4][4] = {};
      for (int j = 0; j < 4; j++) for (int i = 0; i < d; i++) scanf("%lld", &c[j][i]);
      printf("%d\\n", P.classifyBox(c[0], c[1], c[2], c[3]));
    }
  }
}
`;
}

/** A deterministic generator of integers in [0, n). */
function lcg(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.floor((s / 2 ** 32) * n);
  };
}

/** The fields of one `ok` line: tag -> numbers. */
function fields(line: string): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  let tag = '';
  for (const w of line.split(' ').slice(1)) {
    if (/^[A-Za-z]/.test(w)) out[(tag = w)] = [];
    else out[tag].push(Number(w));
  }
  return out;
}

interface Job { stdin: string; check: (line: string) => void }

/** The commands for one case and the checks of their output lines, in order. */
function jobs(c: Case, seed: number): { jobs: Job[]; stats: { plans: number; full: number; partial: number; refined: number; bad: number } } {
  const { bp, params } = c;
  const { planner } = lowerToPlanner(bp);
  const name = `${bp.pattern.name} (case ${seed})`;
  const rp = bp.runtimeParams.map((p) => params[p.name]).join(' ');
  const d = planner.layout!.axes.length;
  const out: Job[] = [];
  const stats = { plans: 0, full: 0, partial: 0, refined: 0, bad: 0 };
  for (const blockKv of BLOCK_KVS) {
    const pairs = boxShapes(d, BLOCK_Q).map((q) => [q, matchingKvShape(q, BLOCK_Q, blockKv)] as const);
    out.push({
      stdin: `shapes ${BLOCK_Q} ${blockKv}`,
      check: (line) => expect(line.trim(), `${name}: boxShapes / matchingKvShape for ${BLOCK_Q}, ${blockKv}`).toBe(pairs.map(([q, kv]) => `${q.join('x')},${kv.join('x')}`).join(' ')),
    });
    // Every shape, plus two that boxTiles refuses: a query box of half the block, a key box of twice.
    const bad = [[pairs[0][0].map((x, i) => (i === d - 1 ? x / 2 : x)), pairs[0][1]], [pairs[0][0], pairs[0][1].map((x, i) => (i === d - 1 ? x * 2 : x))]] as const;
    for (const [qLen, kvLen] of c.lens) {
      for (const [q, kv] of [...pairs, ...bad]) {
        const what = `${name} ${qLen}x${kvLen} blocks ${BLOCK_Q}/${blockKv} tiles ${q.join('x')},${kv.join('x')}`;
        out.push({
          stdin: `plan ${qLen} ${kvLen} ${BLOCK_Q} ${blockKv} ${rp} ${q.join(' ')} ${kv.join(' ')}`,
          check: (line) => {
            let sched;
            try {
              sched = planSchedule(planner, { qLen, kvLen, heads: 1, blockQ: BLOCK_Q, blockKv, params, tiles: { q, kv } });
            } catch (e) {
              if (!(e instanceof PlanError) || e.code !== 'bad_tile_shape') throw e;
              expect(line, `${what}: refused`).toBe('bad');
              stats.bad++;
              return;
            }
            expect(line.split(' ')[0], `${what}: planned`).toBe('ok');
            const f = fields(line);
            const t = sched.tiles!;
            expect(f.sizes, `${what}: layout sizes`).toEqual(planner.layout!.sizes({ qLen, kvLen, heads: 1 }, params));
            expect([f.strides, f.qExtent, f.qGrid, f.kvExtent, f.kvGrid], `${what}: geometry`).toEqual([t.strides, t.q.extent, t.q.grid, t.kv.extent, t.kv.grid]);
            const g = sched.groups[0];
            expect(f.rowPtr.length, `${what}: query boxes`).toBe(sched.numQBlocks + 1);
            for (let qb = 0; qb < sched.numQBlocks; qb++) {
              expect(f.fullIdx.slice(f.fullRowPtr[qb], f.fullRowPtr[qb + 1]), `${what}: FULL tiles of query box ${qb}`).toEqual([...g.fullKvIndices.slice(g.fullKvRowPtr[qb], g.fullKvRowPtr[qb + 1])]);
              expect(f.idx.slice(f.rowPtr[qb], f.rowPtr[qb + 1]), `${what}: PARTIAL tiles of query box ${qb}`).toEqual([...g.kvIndices.slice(g.kvRowPtr[qb], g.kvRowPtr[qb + 1])]);
            }
            stats.plans++;
            stats.full += sched.stats.fullTiles;
            stats.partial += sched.stats.partialTiles;
            stats.refined += sched.stats.refinedTiles;
          },
        });
      }
    }
  }
  // Random box pairs within the grids of the longer sequence (boxes may reach past the sequence).
  const rand = lcg(0x5eed + seed);
  for (let n = 0; n < RANDOM_PAIRS; n++) {
    const [qLen, kvLen] = c.lens[n % c.lens.length];
    const sizes = planner.layout!.sizes({ qLen, kvLen, heads: 1 }, params);
    const rowTokens = sizes.slice(1).reduce((a, b) => a * b, 1);
    const ext = sizes.map((s, i) => (i === 0 ? Math.ceil(Math.max(qLen, kvLen) / rowTokens) : s));
    const box = () => {
      const a = ext.map((e) => rand(e));
      // Mostly small boxes (as the planner asks), sometimes points or whole axes.
      const b = a.map((x, i) => Math.min(ext[i] - 1, x + [0, 1, 3, 7, ext[i]][rand(5)]));
      return [a, b];
    };
    const [qa, qb] = box(), [ka, kb] = box();
    const bound = planner.bind({ qLen, kvLen, heads: 1 }, params, planner.slots(0, 0, { qLen, kvLen, heads: 1 }, params), {});
    out.push({
      stdin: `cls ${qLen} ${kvLen} ${rp} ${[qa, qb, ka, kb].map((x) => x.join(' ')).join(' ')}`,
      check: (line) => expect(Number(line), `${name} ${qLen}x${kvLen}: classifyBox(${qa}; ${qb}; ${ka}; ${kb})`).toBe(bound.classifyBox!(qa, qb, ka, kb)),
    });
  }
  return { jobs: out, stats };
}

function cases(root: string): Case[] {
  const box4 = path.join(root, 'box4.attn');
  fs.writeFileSync(box4, BOX4);
  return [
    // 45 rows of 37 (1665 tokens): q_len short of the grid, kv_len past it, and the other way.
    { bp: bindSmall('patterns/natten-2d.attn', { kernel_y: '5', kernel_x: '7', dilation_y: '2', dilation_x: '1', height: '45', width: '37' }), params: {}, lens: [[1600, 1700], [1700, 1501]] },
    // 9 frames of 13 x 11 (1287 tokens).
    { bp: bindSmall('patterns/natten-3d.attn', { kernel_t: '3', kernel_y: '5', kernel_x: '3', dilation_t: '1', dilation_y: '1', dilation_x: '2', frames: '9', height: '13', width: '11' }), params: {}, lens: [[1200, 1350], [1290, 1000]] },
    // 32 rows of 48 (1536 tokens), windows of 16 (FULL tiles), and of 5 shifted by 2 on 35 rows of 45.
    { bp: bindSmall('patterns/swin.attn', { window: '16', shift: '0', height: '32', width: '48' }), params: {}, lens: [[1500, 1600], [1580, 1403]] },
    { bp: bindSmall('patterns/swin.attn', { window: '5', shift: '2', height: '35', width: '45' }), params: {}, lens: [[1500, 1600], [1580, 1403]] },
    // 5 x 6 x 7 x 9 for q_len 1900 (378 tokens per step of w).
    { bp: bindSmall(box4, { span: '1' }), params: { depth: 6 }, lens: [[1900, 1700], [1900, 2100]] },
  ];
}

describe.skipIf(!haveGpp)('generated CUDA host code, box tiles', () => {
  it('plans box tiles like attnc, and classifies boxes like the planner module (natten_2d, natten_3d, swin, a 4-axis layout)', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'attnc-host-box-'));
    const all = cases(root);
    const built = await Promise.all(all.map((c, i) => buildHost(c.bp, path.join(root, `${i}-${c.bp.pattern.name}`), harness(c.bp))));
    const totals = { plans: 0, full: 0, partial: 0, refined: 0, bad: 0 };
    all.forEach((c, i) => {
      const { jobs: js, stats } = jobs(c, i);
      const lines = execFileSync(built[i], { input: js.map((j) => j.stdin).join('\n') + '\n', encoding: 'utf8', maxBuffer: 1 << 28 }).split('\n');
      expect(lines[0], c.bp.pattern.name).toBe(`axes ${lowerToPlanner(c.bp).planner.layout!.axes.length}`);
      expect(lines.length - 2, `${c.bp.pattern.name}: output lines`).toBe(js.length);
      js.forEach((j, k) => j.check(lines[k + 1]));
      expect(stats.plans, `${c.bp.pattern.name}: shapes planned`).toBeGreaterThan(10);
      for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += stats[k];
    });
    // The comparisons saw every kind of tile, refinements and refused shapes.
    expect(totals.full).toBeGreaterThan(0);
    expect(totals.partial).toBeGreaterThan(0);
    expect(totals.refined).toBeGreaterThan(0);
    expect(totals.bad).toBe(all.length * BLOCK_KVS.length * 2 * 2);
  }, 120_000);
});
