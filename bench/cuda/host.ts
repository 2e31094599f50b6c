/**
 * Builds the host half of a pattern's generated CUDA (schedule planner, assert check, mask
 * functions) as a plain C++ program: `ATTNC_HOST_ONLY`, g++, a stand-in <cuda_runtime.h>.
 * Used by the host-planner test and the planning-cost benchmark. A program reads problems
 * from stdin: `q_len kv_len heads batch block_kv ctas`, then each runtime parameter, then
 * each input array; `readProblem` is the C++ that reads one into `a` and `in_<name>`.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { BoundPattern } from '../../compiler/2-check/bind.ts';
import { lowerPattern } from '../../compiler/3-lower/lower.ts';
import { emitCuda } from '../../compiler/4-emit/cuda/emit-cuda.ts';
import { cudaSelect } from '../../compiler/4-emit/cuda/select-cuda.ts';

const run = promisify(execFile);

/** The include folder of attnc's CUDA runtime (`#include "attnc/..."`). */
export const CUDA_RUNTIME_INCLUDE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../runtime/cuda');

export interface Problem { qLen: number; kvLen: number; heads: number; batch: number; blockKv: number; ctas: number }

/** C++ statements (inside a loop) that read one problem; `ok` is false at the end of input. */
export function readProblem(bp: BoundPattern): string {
  const n = bp.pattern.name;
  return [
    `attnc_${n}_args a{};`,
    'int ctas = 0;',
    'const bool ok = scanf("%d %d %d %d %d %d", &a.q_len, &a.kv_len, &a.heads, &a.batch, &a.block_kv, &ctas) == 6;',
    'a.kv_heads = 1;',
    ...bp.runtimeParams.map((p) => `if (ok) scanf("%lf", &a.p_${p.name});`),
    ...bp.inputs.map((p) => {
      const n = p.length === 'q_len' ? 'a.q_len' : p.length === 'batch' ? 'a.batch' : 'a.kv_len';
      return `std::vector<int> in_${p.name}(ok ? (size_t)${p.batched ? `a.batch * ${n}` : n} : 0); for (auto& x : in_${p.name}) scanf("%d", &x);`;
    }),
  ].join('\n    ');
}

/** `, attnc::HostInputs{in_a.data(), in_b.data()}`: the input arrays argument of `planHost` / `planBest`. */
export const inputArgs = (bp: BoundPattern) => `, attnc::HostInputs{${bp.inputs.map((p) => `in_${p.name}.data()`).join(', ')}}`;

/** The stdin text of one problem, with runtime parameters `params` and input arrays `inputs`. */
export function problemText(bp: BoundPattern, s: Problem, params: Record<string, number>, inputs: Record<string, ArrayLike<number>>): string {
  return [s.qLen, s.kvLen, s.heads, s.batch, s.blockKv, s.ctas, ...bp.runtimeParams.map((p) => params[p.name]), ...bp.inputs.flatMap((p) => Array.from(inputs[p.name]))].join(' ');
}

/** Emits `bp`'s CUDA into `dir`, adds `main` (which includes the .cu), compiles; returns the executable. */
export async function buildHost(bp: BoundPattern, dir: string, main: string, optimize = '-O1'): Promise<string> {
  fs.mkdirSync(path.join(dir, 'stub'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'stub', 'cuda_runtime.h'), 'typedef struct CUstream_st* cudaStream_t;\n');
  for (const [name, text] of Object.entries(emitCuda(bp, lowerPattern(bp), bp.pattern.file.name, cudaSelect(bp)))) fs.writeFileSync(path.join(dir, name), text);
  fs.writeFileSync(path.join(dir, 'main.cpp'), `#include "${bp.pattern.name}.cu"\n#include <cstdio>\n${main}`);
  const exe = path.join(dir, 'main');
  await run('g++', ['-std=c++17', optimize, '-DATTNC_HOST_ONLY', '-I', path.join(dir, 'stub'), '-I', dir, '-I', CUDA_RUNTIME_INCLUDE, '-o', exe, path.join(dir, 'main.cpp')]);
  return exe;
}
