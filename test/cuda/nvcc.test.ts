/**
 * Every bundled pattern's generated CUDA compiles with the installed nvcc for sm_90a, and a
 * representative subset for sm_80, with `-Xptxas -v`. Compiles run in parallel (one per
 * core). The register report is parsed per kernel: the Hopper kernels (wgmma, the path an
 * H100 runs, three-consumer ones included) must not spill, except the head-dim-128 x 128-key one, whose producer warpgroup
 * runs on 24 registers so that the consumers get 240 (see `Sm90Regs`): ptxas parks a few words
 * of the producer's copy loop there, up to SM90_WIDE_SPILL_BUDGET bytes (a known gap against
 * zero), and Swin's three-consumer kernel (SM90_THREE_SPILL_BUDGET). ptxas must not have serialized their warpgroup MMAs. The mma.sync kernel (sm_80 and the fallback) spills up
 * to ~280 bytes per thread at head dim 128 today (patterns with long predicates or input
 * arrays: radial, document), a known gap; the test fails if that grows. Skipped only when
 * nvcc is absent.
 *
 * ptxas's reports are cached by content (test/cuda/nvcc-reports.json, committed): the key is
 * a hash of nvcc's version, the flags, the generated .cu, its header and every file of the CUDA
 * runtime it includes, so a report is reused only for exactly the input it was made from;
 * anything else is compiled. Runs outside CI write the cache back (compiling all 32 units
 * takes about 10 minutes on 2 cores; a cached run, seconds). The assertions are the same
 * either way.
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CUDA_RUNTIME_INCLUDE } from '../../bench/cuda/host.ts';
import { writeFileAtomic } from '../../runtime/io/files.ts';

const run = promisify(execFile);
const NVCC = fs.existsSync('/usr/local/cuda/bin/nvcc') ? '/usr/local/cuda/bin/nvcc' : 'nvcc';
let nvccVersion = '';
try {
  nvccVersion = execFileSync(NVCC, ['--version'], { encoding: 'utf8' }).trim().split('\n').pop()!;
} catch {
  // no nvcc: skipped
}
const haveNvcc = nvccVersion !== '';

const SPILL_BUDGET = 320;
const SM90_WIDE_SPILL_BUDGET = 64;
/**
 * The widest box-tile kernels (runtime/cuda/attnc/box_tiles.cuh): natten_3d's parks 76 bytes.
 * Where was not isolated; the likely place is the 24-register producer, which decodes a key
 * box's corner (three axes) per tile. A known gap: handing the kernels each box's corner from
 * the host would remove that decoding.
 */
const SM90_BOX_WIDE_SPILL_BUDGET = 80;
/**
 * The three-consumer Hopper forward (head dim 64): Swin's strip kernel parks 20 bytes with the
 * builds' flags (its mask is long, and the pending product's P is live while it is evaluated), a
 * known gap; Swin plans box tiles by default, which run two consumers. Every other pattern's: 0.
 */
const SM90_THREE_SPILL_BUDGET = 20;
const THREE_SPILLING = new Set(['swin']);
/**
 * The backward kernels (runtime/cuda/attnc/backward_sm80.cuh, backward_sm90.cuh). Compiled
 * without --use_fast_math they spill nothing; with it (the builds' flags) the mma.sync dQ kernel
 * of score-modifying patterns parks up to 28 bytes (sliding_window_softcap), the Hopper dK/dV
 * kernel with atomic dQ up to 20 and the fused grid of patterns with input arrays (document) up
 * to 16: a known gap.
 */
const BACKWARD_SPILL_BUDGET = 28;
/**
 * The backward of a pattern with a select clause, whose PARTIAL tiles also load the call's
 * selected cell: the fused Hopper grid at head dim 256 parks up to 24 bytes (NSA select), a known gap.
 */
const DYNAMIC_BACKWARD_SPILL_BUDGET = 24;
/** Whether a generated pattern has the Hopper forward's box-tile kernels too (a layout of 2 to 4 axes, no score modification: launchSm90Tiles). */
const hasBoxKernels = (dir: string) => {
  const text = fs.readFileSync(path.join('generated/cuda', dir, `${dir}.cu`), 'utf8');
  return /static constexpr int LAYOUT_AXES = [234];/.test(text) && /static constexpr bool HAS_SCORE_MOD = false;/.test(text);
};
/** Whether a generated pattern selects key blocks per call (its kernels' struct derives from the static part). */
const isDynamic = (dir: string) => fs.readFileSync(path.join('generated/cuda', dir, `${dir}.cu`), 'utf8').includes('struct Pattern : Static {');
const dirs = fs.readdirSync('generated/cuda').sort();
const SM80_SUBSET = ['sliding_window', 'document', 'natten_2d', 'alibi'];

interface KernelReport { name: string; spills: number; regs: number }
interface Report { kernels: KernelReport[]; serialized: string[] }

const CACHE_FILE = 'test/cuda/nvcc-reports.json';
/** The CUDA runtime's files (name, contents), read once: every key hashes them. */
const runtimeFiles = fs.readdirSync(path.join(CUDA_RUNTIME_INCLUDE, 'attnc')).sort().map((f) => ({ name: f, data: fs.readFileSync(path.join(CUDA_RUNTIME_INCLUDE, 'attnc', f)) }));

/** The cache key of one compile: everything its report depends on. */
function cacheKey(dir: string, args: readonly string[]): string {
  const h = createHash('sha256');
  h.update(`${nvccVersion}\0${args.join(' ')}\0`);
  const unit = [`${dir}.cu`, `${dir}.h`].map((name) => ({ name, data: fs.readFileSync(path.join('generated/cuda', dir, name)) }));
  for (const f of [...unit, ...runtimeFiles]) h.update(`${f.name}\0`).update(f.data).update('\0');
  return h.digest('hex');
}

function readCache(): Record<string, Report> {
  try {
    return (JSON.parse(fs.readFileSync(CACHE_FILE, 'utf8')) as { reports: Record<string, Report> }).reports;
  } catch {
    return {};
  }
}

// The flags the builds use (runtime/python/build.py, bench/cuda/run.py): spills are checked for the code that runs.
const FLAGS = ['-std=c++17', '-O3', '--use_fast_math', '-Xptxas', '-v', '-c'];

/** Compiles one generated .cu; returns ptxas's report per kernel entry and its notes on serialized wgmma. */
async function compile(dir: string, arch: string): Promise<Report> {
  const cu = path.join('generated/cuda', dir, `${dir}.cu`);
  const out = path.join(os.tmpdir(), `attnc-${dir}-${arch.replace(/\W/g, '')}.o`);
  const { stderr } = await run(NVCC, [...FLAGS, arch, '-I', CUDA_RUNTIME_INCLUDE, cu, '-o', out], { maxBuffer: 1 << 24 });
  fs.rmSync(out, { force: true });
  const kernels = stderr.split(/Compiling entry function /).slice(1).map((part) => ({
    name: /^'([^']+)'/.exec(part)?.[1] ?? '?',
    spills: Number(/(\d+) bytes spill stores/.exec(part)?.[1] ?? NaN),
    regs: Number(/Used (\d+) registers/.exec(part)?.[1] ?? NaN),
  }));
  return { kernels, serialized: stderr.split('\n').filter((l) => /wgmma.*serialized/.test(l)) };
}

async function pool<T, R>(items: T[], n: number, f: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i]);
    }
  }));
  return out;
}

describe.skipIf(!haveNvcc)('generated CUDA compiles', () => {
  it('for sm_90a (every pattern) and sm_80 (a subset): Hopper kernels spill nothing (the widest at most a few words), mma.sync kernels stay within the budget', async () => {
    const jobs = [
      ...dirs.map((d) => ({ d, arch: '-gencode=arch=compute_90a,code=sm_90a' })),
      ...SM80_SUBSET.filter((d) => dirs.includes(d)).map((d) => ({ d, arch: '-gencode=arch=compute_80,code=sm_80' })),
    ];
    const cache = readCache();
    const reports: Record<string, Report> = {};
    let compiled = 0;
    // Outside CI the cache is written after each compile (an interrupted run keeps its work),
    // holding this run's reports and, until the run ends, the earlier ones.
    const save = (final: boolean) => {
      const all: Record<string, Report> = final ? reports : { ...cache, ...reports };
      const sorted = Object.fromEntries(Object.keys(all).sort().map((k) => [k, all[k]]));
      writeFileAtomic(CACHE_FILE, `${JSON.stringify({ about: 'ptxas reports of test/cuda/nvcc.test.ts by content hash; written by that test outside CI', nvcc: nvccVersion, reports: sorted }, null, 1)}\n`);
    };
    const results = await pool(jobs, Math.max(1, os.cpus().length), async (j) => {
      const key = cacheKey(j.d, [...FLAGS, j.arch]);
      const hit = Object.hasOwn(cache, key);
      const r = hit ? cache[key] : await compile(j.d, j.arch);
      reports[key] = r;
      if (!hit) {
        compiled++;
        if (!process.env.CI) save(false);
      }
      return { ...j, ...r };
    });
    if (!process.env.CI && (compiled > 0 || Object.keys(cache).length !== Object.keys(reports).length)) save(true);
    console.log(`nvcc: ${compiled} of ${jobs.length} units compiled, ${jobs.length - compiled} reports reused from ${CACHE_FILE}`);
    for (const r of results) {
      const sm90 = r.kernels.filter((k) => k.name.includes('attnc_forward_sm90_kernel'));
      const sm80 = r.kernels.filter((k) => k.name.includes('attnc_forward_kernel'));
      const bwd = r.kernels.filter((k) => /attnc_bwd_/.test(k.name));
      // x 2 where the pattern also has box-tile kernels; + 2 types of the three-consumer kernel at
      // head dim 64 (launchForward), except for select patterns (their schedules have 128 rows).
      expect(sm90.length, `${r.d} ${r.arch}: Hopper kernels (2 types x (head dims 64 and 128 x 2 kv blocks + head dim 256 x 1), + 2 with three consumers)`).toBe(
        (hasBoxKernels(r.d) ? 20 : 10) + (isDynamic(r.d) ? 0 : 2),
      );
      expect(sm80.length, `${r.d} ${r.arch}: mma.sync kernels (2 types x 3 head dims)`).toBe(6);
      for (const k of sm90) {
        const wide = /Li128ELi128E/.test(k.name);  // head dim 256 runs the 232 / 32 split: no spills allowed
        const box = /ELb1E/.test(k.name);
        const three = /ELi3EEEv/.test(k.name);
        const budget = wide ? (box ? SM90_BOX_WIDE_SPILL_BUDGET : SM90_WIDE_SPILL_BUDGET) : three && THREE_SPILLING.has(r.d) ? SM90_THREE_SPILL_BUDGET : 0;
        expect(k.spills, `${r.d} ${r.arch} ${k.name} spill bytes`).toBeLessThanOrEqual(budget);
      }
      expect(r.serialized, `${r.d} ${r.arch}: ptxas serialized warpgroup MMAs`).toEqual([]);
      for (const k of sm80) expect(k.spills, `${r.d} ${r.arch} ${k.name} spill bytes`).toBeLessThanOrEqual(SPILL_BUDGET);
      // Head dims 64 and 128: preprocess, dK/dV and dQ (mma.sync), the fused dK/dV + dQ grid, dK/dV with atomic dQ and the
      // dQ conversion (wgmma): 6 x 2 types x 2 head dims. Head dim 256 has no atomic path: preprocess, the two mma.sync
      // kernels and the fused grid, x 2 types.
      expect(bwd.length, `${r.d} ${r.arch}: backward kernels`).toBe(32);
      for (const k of bwd) expect(k.spills, `${r.d} ${r.arch} ${k.name} spill bytes`).toBeLessThanOrEqual(isDynamic(r.d) ? DYNAMIC_BACKWARD_SPILL_BUDGET : BACKWARD_SPILL_BUDGET);
    }
  }, process.env.CI ? 900_000 : 2_400_000);  // a full refresh of the cache takes ~20 min on 2 cores
});
