/**
 * The host half of every bundled pattern's generated CUDA, compiled with g++ (ATTNC_HOST_ONLY:
 * no kernels, no CUDA calls) and run on the CPU:
 * - the C++ schedule planner lists the same FULL and PARTIAL tiles per (b, h, qBlock) as
 *   attnc's own planner (runtime/schedule/plan.ts), and so does the backward planner (64 x 64
 *   tiles) in both orders: q-major rows and their k-major transpose, and the backward's item
 *   orders are permutations, longest cost class first;
 * - the persistent kernel's work lists hold every work item exactly once, in longest-first
 *   order, dealt so that no CTA's load exceeds another's by more than one item's cost (LPT);
 * - the entry point's assert check refuses the shapes the pattern's asserts reject, with the
 *   planner's message;
 * - the kernels' mask functions, the short-circuit form (mma.sync kernel) and the branch-free
 *   form (Hopper kernel), agree with the reference evaluator on every point.
 * Small parameter values (bench/cuda/suite.ts) and sizes that are not block multiples; also a
 * scratch pattern with per-batch input arrays (test/batch/fixtures), whose rows differ.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BoundPattern } from '../../compiler/2-check/bind.ts';
import { denseMask } from '../../compiler/eval/evaluate.ts';
import { lowerToPlanner } from '../../compiler/pipeline.ts';
import { planSchedule } from '../../runtime/schedule/plan.ts';
import { buildHost, inputArgs, problemText, readProblem, type Problem } from '../../bench/cuda/host.ts';
import { bindSmall, docIds, inputsFor } from '../../bench/cuda/suite.ts';

let haveGpp = true;
try { execFileSync('g++', ['--version'], { stdio: 'ignore' }); } catch { haveGpp = false; }
// The TypeScript planner and its C++ twin must agree: under CI (CI set) this test runs or fails, never skips.
if (!haveGpp && process.env.CI) throw new Error('g++ is required under CI: the C++ planner is checked against the TypeScript one');

const SHAPES: Problem[] = [
  { qLen: 300, kvLen: 300, heads: 4, batch: 2, blockKv: 64, ctas: 7 },
  { qLen: 200, kvLen: 333, heads: 3, batch: 1, blockKv: 128, ctas: 5 },
  { qLen: 1, kvLen: 777, heads: 2, batch: 2, blockKv: 64, ctas: 3 },
];
const PARAM_VALUE = 37;

/** A C++ main that plans each problem read from stdin and prints the plan and both masks. */
function harness(bp: BoundPattern): string {
  const n = bp.pattern.name;
  const rp = bp.runtimeParams.map((p) => p.name);
  // A pattern with a select clause: its static part (the kernels' mask also reads a call's
  // selected cells, which the GPU check covers: bench/cuda/select_check.py).
  const pat = bp.select ? 'Static' : 'Pattern';
  return `using namespace attnc_${n};
using Pat = ${pat};
static void row(const char* name, const std::vector<int>& v) { printf("%s", name); for (int x : v) printf(" %d", x); printf("\\n"); }
int main() {
  for (;;) {
    ${readProblem(bp)}
    if (!ok) break;
    const char* failed = attnc_${n}_check(&a);
    printf("plan %s\\n", failed ? failed : "-");
    if (failed) continue;
    const attnc::HostPlan h = attnc::planHost<Pat>(&a, ctas${inputArgs(bp)});
    printf("sizes %d %d %d %d\\n", h.sched_batch, h.num_q_blocks, h.work_items, h.ctas);
    row("groupOf", h.groupOf); row("rowPtr", h.rowPtr); row("idx", h.idx); row("fullRowPtr", h.fullRowPtr); row("fullIdx", h.fullIdx);
    row("order", h.order); row("ctaPtr", h.ctaPtr); row("ctaItems", h.ctaItems);
    const attnc::BackwardPlan w = attnc::planBackward<Pat>(&a${inputArgs(bp)});
    printf("bsizes %d %d %d\\n", w.sched_batch, w.num_q_blocks, w.num_kv_blocks);
    row("bGroupOf", w.groupOf); row("bRowPtr", w.rowPtr); row("bIdx", w.idx); row("bFullRowPtr", w.fullRowPtr); row("bFullIdx", w.fullIdx);
    row("bColPtr", w.colPtr); row("bQIdx", w.qIdx); row("bFullColPtr", w.fullColPtr); row("bFullQIdx", w.fullQIdx);
    row("bColOrder", w.colOrder); row("bRowOrder", w.rowOrder);
    const attnc::HostPlan t = attnc::planThree<Pat>(&a, ctas${inputArgs(bp)});
    printf("tsizes %d %d %d %d\\n", t.consumers, t.num_q_blocks, t.work_items, t.ctas);
    row("tGroupOf", t.groupOf); row("tRowPtr", t.rowPtr); row("tIdx", t.idx); row("tFullRowPtr", t.fullRowPtr); row("tCtaPtr", t.ctaPtr); row("tCtaItems", t.ctaItems);
    attnc::Params<Pat, unsigned short> P{};
    P.batch = a.batch; P.heads = a.heads; P.kv_heads = 1; P.q_len = a.q_len; P.kv_len = a.kv_len;
${rp.map((p) => `    P.p_${p} = (decltype(P.p_${p}))a.p_${p};`).join('\n')}
${bp.inputs.map((i) => `    P.in_${i.name} = in_${i.name}.data();`).join('\n')}
    for (int b = 0; b < a.batch; b++) for (int hd = 0; hd < a.heads; hd++) {
      std::string lazy, eager;
      for (int q = 0; q < a.q_len; q++) for (int k = 0; k < a.kv_len; k++) {
        lazy += Pat::mask(P, b, hd, q, k) ? '1' : '0';
        eager += Pat::mask_eager(P, b, hd, q, k) ? '1' : '0';
      }
      printf("mask %d %d %s %s\\n", b, hd, lazy.c_str(), eager.c_str());
    }
  }
}
`;
}

function stdinFor(bp: BoundPattern, s: Problem): { text: string; inputs: Record<string, Int32Array> } {
  const inputs: Record<string, Int32Array> = {};
  Object.assign(inputs, inputsFor(bp.inputs, s, (n, row) => docIds(n, 60, 7 + s.qLen + 101 * row)));
  const params = Object.fromEntries(bp.runtimeParams.map((p) => [p.name, PARAM_VALUE]));
  return { text: problemText(bp, s, params, inputs), inputs };
}

interface Parsed { failed: string; plan: number[]; bplan: number[]; tplan: number[]; rows: Record<string, number[]>; masks: { b: number; h: number; lazy: string; eager: string }[] }
function parse(out: string): Parsed[] {
  const res: Parsed[] = [];
  for (const line of out.split('\n').filter(Boolean)) {
    const [tag, ...rest] = line.split(' ');
    if (tag === 'plan') res.push({ failed: rest.join(' '), plan: [], bplan: [], tplan: [], rows: {}, masks: [] });
    else if (tag === 'sizes') res[res.length - 1].plan = rest.map(Number);
    else if (tag === 'bsizes') res[res.length - 1].bplan = rest.map(Number);
    else if (tag === 'tsizes') res[res.length - 1].tplan = rest.map(Number);
    else if (tag === 'mask') res[res.length - 1].masks.push({ b: Number(rest[0]), h: Number(rest[1]), lazy: rest[2], eager: rest[3] });
    else res[res.length - 1].rows[tag] = rest.map(Number);
  }
  return res;
}

function check(bp: BoundPattern, s: Problem, inputs: Record<string, Int32Array>, got: Parsed) {
  const what = `${bp.pattern.name} ${s.qLen}x${s.kvLen} heads ${s.heads} batch ${s.batch} blockKv ${s.blockKv}`;
  const params = Object.fromEntries(bp.runtimeParams.map((p) => [p.name, PARAM_VALUE]));
  const { planner } = lowerToPlanner(bp);
  // The entry point refuses shapes the pattern's asserts reject, with the same message.
  const failed = planner.failedAsserts({ qLen: s.qLen, kvLen: s.kvLen, heads: s.heads }, params);
  expect(got.failed, `${what}: failed assert`).toBe(failed.length ? failed[0] : '-');
  if (failed.length) return false;
  const sched = planSchedule(planner, { qLen: s.qLen, kvLen: s.kvLen, heads: s.heads, batch: s.batch, blockQ: 128, blockKv: s.blockKv, params, inputs });
  const [schedBatch, nq, items, ctas] = got.plan;
  expect([schedBatch, nq, items, ctas], what).toEqual([sched.batch, sched.numQBlocks, s.batch * s.heads * nq, s.ctas]);
  const r = got.rows;
  // Tiles per (b, h, qBlock), against the reference planner.
  for (let b = 0; b < s.batch; b++) {
    for (let h = 0; h < s.heads; h++) {
      const sb = schedBatch > 1 ? b : 0;
      const g = r.groupOf[sb * s.heads + h];
      const ref = sched.groups[sched.groupOf[(sched.batch > 1 ? b : 0) * s.heads + h]];
      for (let qb = 0; qb < nq; qb++) {
        const row = g * (nq + 1) + qb;
        expect(r.fullIdx.slice(r.fullRowPtr[row], r.fullRowPtr[row + 1]), `${what}: FULL tiles of b ${b} h ${h} qBlock ${qb}`).toEqual([...ref.fullKvIndices.slice(ref.fullKvRowPtr[qb], ref.fullKvRowPtr[qb + 1])]);
        expect(r.idx.slice(r.rowPtr[row], r.rowPtr[row + 1]), `${what}: PARTIAL tiles of b ${b} h ${h} qBlock ${qb}`).toEqual([...ref.kvIndices.slice(ref.kvRowPtr[qb], ref.kvRowPtr[qb + 1])]);
      }
    }
  }
  // The backward schedule: 64 x 64 tiles, rows and columns per (b, h), against the reference planner.
  const bs = planSchedule(planner, { qLen: s.qLen, kvLen: s.kvLen, heads: s.heads, batch: s.batch, blockQ: 64, blockKv: 64, params, inputs });
  const [bBatch, bnq, bnkv] = got.bplan;
  expect([bBatch, bnq, bnkv], `${what}: backward plan sizes`).toEqual([bs.batch, bs.numQBlocks, bs.numKvBlocks]);
  const list = (ptr: string, idx: string, at: number) => r[idx].slice(r[ptr][at], r[ptr][at + 1]);
  for (let b = 0; b < s.batch; b++) {
    for (let h = 0; h < s.heads; h++) {
      const g = r.bGroupOf[(bBatch > 1 ? b : 0) * s.heads + h];
      const ref = bs.groups[bs.groupOf[(bs.batch > 1 ? b : 0) * s.heads + h]];
      const at = `${what}: backward b ${b} h ${h}`;
      for (let qb = 0; qb < bnq; qb++) {
        expect(list('bFullRowPtr', 'bFullIdx', g * (bnq + 1) + qb), `${at} FULL row ${qb}`).toEqual([...ref.fullKvIndices.slice(ref.fullKvRowPtr[qb], ref.fullKvRowPtr[qb + 1])]);
        expect(list('bRowPtr', 'bIdx', g * (bnq + 1) + qb), `${at} PARTIAL row ${qb}`).toEqual([...ref.kvIndices.slice(ref.kvRowPtr[qb], ref.kvRowPtr[qb + 1])]);
      }
      for (let kb = 0; kb < bnkv; kb++) {
        expect(list('bFullColPtr', 'bFullQIdx', g * (bnkv + 1) + kb), `${at} FULL column ${kb}`).toEqual([...ref.fullQIndices.slice(ref.fullQColPtr[kb], ref.fullQColPtr[kb + 1])]);
        expect(list('bColPtr', 'bQIdx', g * (bnkv + 1) + kb), `${at} PARTIAL column ${kb}`).toEqual([...ref.qIndices.slice(ref.qColPtr[kb], ref.qColPtr[kb + 1])]);
      }
    }
  }
  // The three-consumer forward schedule (planThree): items of 192 rows, each entry a key block with
  // one status per consumer; consumer c's FULL and PARTIAL blocks are exactly the reference
  // planner's for its 64-row block, the entries in increasing key order, none that no consumer visits.
  const ts = planSchedule(planner, { qLen: s.qLen, kvLen: s.kvLen, heads: s.heads, batch: s.batch, blockQ: 64, blockKv: s.blockKv, params, inputs });
  const [tConsumers, tnq, tItems, tCtas] = got.tplan;
  expect([tConsumers, tnq, tItems, tCtas], `${what}: three-consumer plan sizes`).toEqual([3, Math.ceil(ts.numQBlocks / 3), s.batch * s.heads * Math.ceil(ts.numQBlocks / 3), s.ctas]);
  for (let b = 0; b < s.batch; b++) {
    for (let h = 0; h < s.heads; h++) {
      const g = r.tGroupOf[(ts.batch > 1 ? b : 0) * s.heads + h];
      const ref = ts.groups[ts.groupOf[(ts.batch > 1 ? b : 0) * s.heads + h]];
      for (let qb = 0; qb < tnq; qb++) {
        const at = g * (tnq + 1) + qb;
        const entries = r.tIdx.slice(r.tRowPtr[at], r.tRowPtr[at + 1]);
        const where = `${what}: three consumers, b ${b} h ${h} item ${qb}`;
        expect(r.tFullRowPtr[at + 1] - r.tFullRowPtr[at], where).toBe(0);
        const blocks = entries.map((e) => e >> 6);
        expect(blocks, `${where}: increasing key blocks`).toEqual([...blocks].sort((x, y) => x - y).filter((x, i, a) => i === 0 || a[i - 1] !== x));
        expect(entries.filter((e) => (e & 63) === 0), `${where}: entries no consumer visits`).toEqual([]);
        for (let c = 0; c < 3; c++) {
          const sub = 3 * qb + c;
          const status = (want: number) => entries.filter((e) => ((e >> (2 * c)) & 3) === want).map((e) => e >> 6);
          const full = sub < ts.numQBlocks ? [...ref.fullKvIndices.slice(ref.fullKvRowPtr[sub], ref.fullKvRowPtr[sub + 1])].sort((x, y) => x - y) : [];
          const partial = sub < ts.numQBlocks ? [...ref.kvIndices.slice(ref.kvRowPtr[sub], ref.kvRowPtr[sub + 1])].sort((x, y) => x - y) : [];
          expect(status(1), `${where}: consumer ${c} FULL`).toEqual(full);
          expect(status(2), `${where}: consumer ${c} PARTIAL`).toEqual(partial);
          expect(status(3), `${where}: consumer ${c} status 3`).toEqual([]);
        }
      }
    }
  }
  expect([...r.tCtaItems].sort((x, y) => x - y), `${what}: three consumers, every item dealt once`).toEqual(Array.from({ length: tItems }, (_, i) => i));
  // The backward's item orders: permutations of the kernels' items, longest class first (4 per FULL
  // tile, 5 per PARTIAL, 8 per item; the harness has one kv head, so a column sums every head).
  const span = (ptr: string, at: number) => r[ptr][at + 1] - r[ptr][at];
  const bGroup = (b: number, h: number) => r.bGroupOf[(bBatch > 1 ? b : 0) * s.heads + h];
  const rowCost = (it: number) => {
    const qb = it % bnq, bh = Math.floor(it / bnq), g = bGroup(Math.floor(bh / s.heads), bh % s.heads), at = g * (bnq + 1) + qb;
    return 4 * span('bFullRowPtr', at) + 5 * span('bRowPtr', at) + 8;
  };
  const colCost = (it: number) => {
    const kb = it % bnkv, b = Math.floor(it / bnkv);
    let c = 8;
    for (let h = 0; h < s.heads; h++) { const at = bGroup(b, h) * (bnkv + 1) + kb; c += 4 * span('bFullColPtr', at) + 5 * span('bColPtr', at); }
    return c;
  };
  for (const [name, n, c] of [['bRowOrder', s.batch * s.heads * bnq, rowCost], ['bColOrder', s.batch * bnkv, colCost]] as const) {
    expect([...r[name]].sort((x, y) => x - y), `${what}: ${name} is a permutation`).toEqual(Array.from({ length: n }, (_, i) => i));
    // Longest cost class (floor(log2(cost))) first; within a class, the natural order.
    const cls = (it: number) => Math.floor(Math.log2(c(it)));
    for (let i = 1; i < n; i++) {
      const [a, b] = [r[name][i - 1], r[name][i]];
      expect(cls(a) > cls(b) || (cls(a) === cls(b) && a < b), `${what}: ${name} at ${i}: ${a} (cost ${c(a)}) before ${b} (cost ${c(b)})`).toBe(true);
    }
  }
  // Work lists: each item once; longest first; LPT balance.
  const cost = (it: number) => {
    const qb = it % nq, bh = Math.floor(it / nq), h = bh % s.heads, b = Math.floor(bh / s.heads);
    const row = r.groupOf[(schedBatch > 1 ? b : 0) * s.heads + h] * (nq + 1) + qb;
    return { sort: Math.floor(((r.rowPtr[row + 1] - r.rowPtr[row]) * 5) / 4) + (r.fullRowPtr[row + 1] - r.fullRowPtr[row]), deal: 4 * (r.fullRowPtr[row + 1] - r.fullRowPtr[row]) + 5 * (r.rowPtr[row + 1] - r.rowPtr[row]) + 8 };
  };
  expect([...r.order].sort((x, y) => x - y), `${what}: work order`).toEqual(Array.from({ length: items }, (_, i) => i));
  for (let i = 1; i < items; i++) expect(cost(r.order[i - 1]).sort, `${what}: longest first`).toBeGreaterThanOrEqual(cost(r.order[i]).sort);
  expect(r.ctaPtr.length, what).toBe(ctas + 1);
  expect([...r.ctaItems].sort((x, y) => x - y), `${what}: every item dealt once`).toEqual(Array.from({ length: items }, (_, i) => i));
  const loads = Array.from({ length: ctas }, (_, c) => r.ctaItems.slice(r.ctaPtr[c], r.ctaPtr[c + 1]).reduce((t, it) => t + cost(it).deal, 0));
  const maxItem = Math.max(...r.order.map((it) => cost(it).deal));
  expect(Math.max(...loads) - Math.min(...loads), `${what}: CTA loads ${loads}`).toBeLessThanOrEqual(maxItem);
  // Mask functions against the reference evaluator.
  expect(got.masks.length, what).toBe(s.batch * s.heads);
  for (const m of got.masks) {
    const want = Array.from(denseMask(bp, m.b, m.h, { sizes: { qLen: s.qLen, kvLen: s.kvLen, heads: s.heads }, params, inputs }), (x) => (x ? '1' : '0')).join('');
    const firstDiff = (x: string) => { const i = [...x].findIndex((c, j) => c !== want[j]); return i < 0 ? 'none' : `q ${Math.floor(i / s.kvLen)} k ${i % s.kvLen}`; };
    expect(firstDiff(m.lazy), `${what}: attnc_mask at b ${m.b} h ${m.h}, first difference`).toBe('none');
    expect(firstDiff(m.eager), `${what}: attnc_mask_eager at b ${m.b} h ${m.h}, first difference`).toBe('none');
  }
  return true;
}

describe.skipIf(!haveGpp)('generated CUDA host code', () => {
  it('plans like attnc, deals work items longest-first and balanced, and masks like the evaluator (every bundled pattern)', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'attnc-host-'));
    const files = fs.readdirSync('patterns').filter((x) => x.endsWith('.attn')).sort();
    expect(files.length).toBeGreaterThan(20);
    // Plus scratch patterns of what no bundled pattern reads (per-batch values: int[batch], int[batch, q_len]).
    const jobs = [...files.map((f) => `patterns/${f}`), 'test/batch/fixtures/per-batch-mix.attn'].map((f) => bindSmall(f));
    const workers = Math.max(1, os.cpus().length);
    let next = 0;
    const worker = async () => {
      while (next < jobs.length) {
        const bp = jobs[next++];
        const exe = await buildHost(bp, path.join(root, bp.pattern.name), harness(bp));
        const stdins = SHAPES.map((s) => stdinFor(bp, s));
        const out = execFileSync(exe, { input: stdins.map((x) => x.text).join('\n'), encoding: 'utf8', maxBuffer: 1 << 26 });
        const parsed = parse(out);
        expect(parsed.length, bp.pattern.name).toBe(SHAPES.length);
        planned += SHAPES.filter((s, i) => check(bp, s, stdins[i].inputs, parsed[i])).length;
      }
    };
    let planned = 0;
    await Promise.all(Array.from({ length: workers }, worker));
    expect(planned, 'shapes planned and compared').toBeGreaterThan(jobs.length * 2);
  }, 600_000);
});
