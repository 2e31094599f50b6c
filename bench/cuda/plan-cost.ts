/**
 * The cost of planning a schedule on the host, as the CUDA entry points do on the first call
 * for each shape: the generated C++ planner (`planHost`, compiled with g++ -O2 from the
 * generated .cu, ATTNC_HOST_ONLY) against attnc's TypeScript planner on the same problem,
 * for the benchmark suite at 8k, 16k and 32k (batch 1, 16 heads, 128 x 128 tiles, 132
 * persistent CTAs as on an H100). Medians of repeated runs on this machine's CPU.
 * FlexAttention builds its BlockMask on the GPU by evaluating mask_mod on every point; its
 * `create_block_mask` times from the H100 runs (`flex_cbm_ms` in cuda-h100-16k32k-v3.json)
 * are listed beside, from another machine (a GPU), for scale only. Also the modelled load
 * balance of the persistent grid with and without longest-first dealing.
 * Run: `npx tsx bench/cuda/plan-cost.ts`. Writes bench/results/cuda-plan-cost.{json,md}.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lowerToPlanner } from '../../compiler/pipeline.ts';
import { planSchedule } from '../../runtime/schedule/plan.ts';
import { writeFileAtomic } from '../../runtime/io/files.ts';
import { buildHost, inputArgs, problemText, readProblem } from './host.ts';
import { bindSmall, docIds, globalFlags, SUITE } from './suite.ts';

const SIZES = [8192, 16384, 32768];
const HEADS = 16, CTAS = 132, BLOCK_KV = 128;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function timingMain(bp: ReturnType<typeof bindSmall>): string {
  return `#include <chrono>
#include <algorithm>
using namespace attnc_${bp.pattern.name};
int main() {
  for (;;) {
    ${readProblem(bp)}
    if (!ok) break;
    std::vector<double> us;
    size_t tiles = 0;
    for (int rep = 0; rep < 7; rep++) {
      const auto t0 = std::chrono::steady_clock::now();
      const attnc::HostPlan h = attnc::planHost<Pattern>(&a, ctas${inputArgs(bp)});
      us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
      tiles = h.idx.size() + h.fullIdx.size();
    }
    std::sort(us.begin(), us.end());
    // Load balance of the persistent grid: the busiest CTA's work over the mean (tile-cost units
    // of the dealing: 4 per FULL tile, 5 per PARTIAL, 8 per item), longest-first vs round-robin.
    double imbalance[2];
    for (int mode = 0; mode < 2; mode++) {
      const attnc::HostPlan h = attnc::planHost<Pattern>(&a, ctas${inputArgs(bp)}, mode == 0);
      std::vector<double> load(h.ctas, 0.0);
      double total = 0;
      for (int c = 0; c < h.ctas; c++) for (int i = h.ctaPtr[c]; i < h.ctaPtr[c + 1]; i++) {
        const double w = (double)h.cost(h.ctaItems[i]);
        load[c] += w; total += w;
      }
      imbalance[mode] = *std::max_element(load.begin(), load.end()) / (total / h.ctas);
    }
    printf("%.1f %zu %.3f %.3f\\n", us[us.size() / 2], tiles, imbalance[0], imbalance[1]);
  }
}
`;
}

const flexCbm = new Map<string, number>();
for (const f of ['bench/results/cuda-h100-16k32k-v3.json', 'bench/results/cuda-h100-8k16k-v3.json']) {
  const j = JSON.parse(fs.readFileSync(f, 'utf8'));
  for (const r of j.bench) if (r.flex_cbm_ms !== undefined && !flexCbm.has(`${r.id}@${r.S}`) && r.flex_ms < 100) flexCbm.set(`${r.id}@${r.S}`, r.flex_cbm_ms);
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'attnc-plan-cost-'));
const rows: Record<string, unknown>[] = [];
for (const e of SUITE.filter((x) => x.flex)) {
  for (const S of SIZES) {
    const bp = bindSmall(e.file, { ...(e.params ?? {}), ...(e.sizeParams?.(S) ?? {}) });
    const inputs = Object.fromEntries(bp.inputs.map((p) => [p.name, p.name === 'doc' ? docIds(S, 2048, 12345) : globalFlags(S)]));
    const exe = await buildHost(bp, path.join(root, `${e.id}_${S}`), timingMain(bp), '-O2');
    const problems = [HEADS, 1].map((heads) => problemText(bp, { qLen: S, kvLen: S, heads, batch: 1, blockKv: BLOCK_KV, ctas: CTAS }, {}, inputs)).join('\n');
    const [main, oneHead] = execFileSync(exe, { input: problems, encoding: 'utf8', maxBuffer: 1 << 26 }).trim().split('\n').map((l) => l.split(' ').map(Number));
    const [cppUs, cppTiles, lpt, plain] = main;
    const { planner } = lowerToPlanner(bp);
    const ts: number[] = [];
    let tsTiles = 0;
    for (let rep = 0; rep < 5; rep++) {
      const t0 = performance.now();
      const s = planSchedule(planner, { qLen: S, kvLen: S, heads: HEADS, blockQ: 128, blockKv: BLOCK_KV, inputs });
      ts.push((performance.now() - t0) * 1e3);
      tsTiles = s.stats.fullTiles + s.stats.partialTiles;
    }
    if (tsTiles !== cppTiles) throw new Error(`${e.id} at ${S}: the C++ planner lists ${cppTiles} tiles, the TypeScript one ${tsTiles}`);
    const row = { id: e.id, S, tiles: cppTiles, cpp_us: cppUs, ts_us: median(ts), imbalance_lpt: lpt, imbalance_plain: plain, imbalance_lpt_1head: oneHead[2], imbalance_plain_1head: oneHead[3], flex_create_block_mask_h100_ms: flexCbm.get(`${e.id}@${S}`) ?? null };
    rows.push(row);
    process.stdout.write(`${e.id} ${S}: C++ ${cppUs.toFixed(0)} us, TypeScript ${median(ts).toFixed(0)} us, ${cppTiles} tiles\n`);
  }
}

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const date = new Date().toISOString().slice(0, 10);
writeFileAtomic('bench/results/cuda-plan-cost.json', JSON.stringify({ date, command: 'npx tsx bench/cuda/plan-cost.ts', cpu, heads: HEADS, ctas: CTAS, blockKv: BLOCK_KV, rows }, null, 1) + '\n');
const md = [
  '# Host planning cost of the CUDA entry points',
  '',
  `${date}, \`npx tsx bench/cuda/plan-cost.ts\`, on ${cpu} (${os.cpus().length} cores; planning is single-threaded). Batch 1, ${HEADS} heads (one head group: the schedule is shared), 128 x ${BLOCK_KV} tiles, ${CTAS} persistent CTAs. The generated C++ planner (\`planHost\`: tile classification by interval reasoning, exact refinement of undecided tiles, longest-first order, LPT dealing) is what \`attnc_<pattern>_forward\` runs once per shape before caching the schedule on the device; medians of 7 runs (TypeScript: 5). FlexAttention's \`create_block_mask\` (mask_mod on all S^2 points, on the GPU) from the H100 runs of 2026-11-22 is listed for scale only: another machine, another processor.`,
  '',
  'Load balance: the busiest CTA\'s work over the mean (1.00 = perfect), in the dealing\'s tile-cost units, for longest-first (LPT) dealing and for round-robin in item order (`ATTNC_CUDA_BALANCE=0`), at 16 heads and at 1 head (where few items carry much of the work). A model of the makespan, not a measured time.',
  '',
  '| pattern | S | tiles listed | C++ planner ms | TypeScript planner ms | Flex create_block_mask on H100, ms | balance LPT / round-robin, 16 heads | same, 1 head |',
  '|---|---|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.id} | ${r.S} | ${r.tiles} | ${((r.cpp_us as number) / 1e3).toFixed(3)} | ${((r.ts_us as number) / 1e3).toFixed(3)} | ${r.flex_create_block_mask_h100_ms === null ? '-' : (r.flex_create_block_mask_h100_ms as number).toFixed(2)} | ${(r.imbalance_lpt as number).toFixed(2)} / ${(r.imbalance_plain as number).toFixed(2)} | ${(r.imbalance_lpt_1head as number).toFixed(2)} / ${(r.imbalance_plain_1head as number).toFixed(2)} |`),
  '',
].join('\n');
writeFileAtomic('bench/results/cuda-plan-cost.md', md);
