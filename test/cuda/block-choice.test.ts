/**
 * block_kv 0 (auto): the generated host code plans both key blocks and keeps the one its time
 * model rates faster (`planTime`, `planBest`). Checked against measurements: for benchmark
 * patterns where one block was clearly faster on the GPU (H200, bench/results), the choice
 * must be that block. Host half built with g++ (ATTNC_HOST_ONLY), suite sizes and inputs.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildHost, inputArgs, problemText, readProblem } from '../../bench/cuda/host.ts';
import { SUITE, bindSmall, docIds, globalFlags } from '../../bench/cuda/suite.ts';

let haveGpp = true;
try { execFileSync('g++', ['--version'], { stdio: 'ignore' }); } catch { haveGpp = false; }

interface Measured { id: string; S: number; attnc_bk64_ms: number; attnc_bk128_ms: number }
const runs: Measured[] = [
  ...JSON.parse(fs.readFileSync('bench/results/cuda-h200-check-16k-2026-11-29.json', 'utf8')).bench,
  ...JSON.parse(fs.readFileSync('bench/results/cuda-h200-8k32k-2026-11-29.json', 'utf8')).bench,
];
// Patterns where 64 won (finer structure) and a spread of ones where 128 won.
const CASES: [string, number][] = [
  ['bigbird', 16384], ['fixed', 16384], ['s2_attention', 16384], ['natten_1d_k129', 16384], ['natten2d_k13', 32768],
  ['causal', 16384], ['chunk2048', 8192], ['document_causal', 32768], ['natten2d_k13', 16384], ['sink4_sw1024_causal', 16384],
];

describe.skipIf(!haveGpp)('automatic key block', () => {
  it('picks the block that measured faster', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attnc-bk-'));
    const results = await Promise.all(CASES.map(async ([id, S], i) => {
      const e = SUITE.find((x) => x.id === id)!;
      const bp = bindSmall(e.file, { ...(e.params ?? {}), ...(e.sizeParams ? e.sizeParams(S) : {}) });
      const main = `using namespace attnc_${bp.pattern.name};
int main() { for (;;) { ${readProblem(bp)}
  if (!ok) break;
  const attnc::HostPlan h = attnc::planBest<Pattern>(&a, ctas${inputArgs(bp)});
  printf("%d\\n", h.block_kv); } }`;
      const exe = await buildHost(bp, path.join(dir, String(i)), main, '-O2');
      const inputs: Record<string, Int32Array> = {};
      for (const p of bp.inputs) inputs[p.name] = p.name === 'doc' ? docIds(S, 2048, 12345) : globalFlags(S);
      const text = problemText(bp, { qLen: S, kvLen: S, heads: 16, batch: 1, blockKv: 0, ctas: 132 }, {}, inputs);
      const picked = Number(execFileSync(exe, { input: text, maxBuffer: 1 << 26 }).toString().trim());
      const m = runs.find((r) => r.id === id && r.S === S)!;
      return { id, S, picked, faster: m.attnc_bk64_ms < m.attnc_bk128_ms ? 64 : 128 };
    }));
    for (const r of results) expect(r.picked, `${r.id} at ${r.S}`).toBe(r.faster);
    expect(results.filter((r) => r.picked === 64).length).toBe(5);
  }, 300_000);
});
