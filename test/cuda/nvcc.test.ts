/**
 * Every bundled pattern's generated CUDA compiles with the installed nvcc for sm_90a, and a
 * representative subset for sm_80, with `-Xptxas -v`. Compiles run in parallel (one per
 * core). The register report is parsed and checked against the current spill budget:
 * the 4-warp kernel (two MMA row tiles per warp) spills up to ~280 bytes per thread (patterns with long predicates or input arrays: radial, document) at
 * head dim 128 today, a known gap (see bench/results/cuda-h100.md); the test fails if it
 * grows. Skipped only when nvcc is absent.
 */
import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const NVCC = fs.existsSync('/usr/local/cuda/bin/nvcc') ? '/usr/local/cuda/bin/nvcc' : 'nvcc';
let haveNvcc = true;
try {
  execFileSync(NVCC, ['--version'], { stdio: 'ignore' });
} catch {
  haveNvcc = false;
}

const SPILL_BUDGET = 320;
const dirs = fs.readdirSync('generated/cuda').sort();
const SM80_SUBSET = ['sliding_window', 'document', 'natten_2d', 'alibi'];

async function compile(dir: string, arch: string): Promise<{ spills: number[]; regs: number[] }> {
  const cu = path.join('generated/cuda', dir, `${dir}.cu`);
  const out = path.join(os.tmpdir(), `attnc-${dir}-${arch.replace(/\W/g, '')}.o`);
  const { stderr } = await run(NVCC, ['-std=c++17', '-O3', arch, '-Xptxas', '-v', '-c', cu, '-o', out], { maxBuffer: 1 << 24 });
  const spills = [...stderr.matchAll(/(\d+) bytes spill stores/g)].map((m) => Number(m[1]));
  const regs = [...stderr.matchAll(/Used (\d+) registers/g)].map((m) => Number(m[1]));
  return { spills, regs };
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
  it('for sm_90a (every pattern) and sm_80 (a subset), within the spill budget', async () => {
    const jobs = [
      ...dirs.map((d) => ({ d, arch: '-gencode=arch=compute_90a,code=sm_90a' })),
      ...SM80_SUBSET.filter((d) => dirs.includes(d)).map((d) => ({ d, arch: '-gencode=arch=compute_80,code=sm_80' })),
    ];
    const results = await pool(jobs, Math.max(1, os.cpus().length), async (j) => ({ ...j, ...(await compile(j.d, j.arch)) }));
    for (const r of results) {
      expect(r.regs.length, `${r.d} ${r.arch}: four kernel instantiations`).toBe(4);
      expect(Math.max(...r.spills), `${r.d} ${r.arch} spill bytes`).toBeLessThanOrEqual(SPILL_BUDGET);
    }
  }, 900_000);
});
