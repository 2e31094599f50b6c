/**
 * The integer operations are defined once (runtime/schedule/int-semantics.ts) and printed for
 * C++ and WGSL (compiler/4-emit/int-ops.ts). The printed C++ (runtime/cuda/attnc/int_ops.h,
 * compiled with g++) computes the same values as the TypeScript definition: floor division and
 * modulo in 32 and 64 bits on random and edge operands (0, -1, the extremes), and the hash. Where
 * the exact result does not fit in 32 bits (INT_MIN / -1), the 32-bit form wraps, as the
 * definition and WGSL do; the planner's 64-bit form gives the exact result.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fdiv, fmod, hash } from '../../runtime/schedule/int-semantics.ts';
import { CUDA_RUNTIME_INCLUDE } from '../../bench/cuda/host.ts';

let haveGpp = true;
try { execFileSync('g++', ['--version'], { stdio: 'ignore' }); } catch { haveGpp = false; }

const MAIN = `#include <cstdio>
#include "attnc/int_ops.h"
int main() {
  char op[8]; long long a, b;
  while (scanf("%7s %lld %lld", op, &a, &b) == 3) {
    if (op[0] == 'd') printf("%d %lld\\n", attnc::fdiv((int)a, (int)b), attnc::floor_div<long long>(a, b));
    else if (op[0] == 'm') printf("%d %lld\\n", attnc::fmod_((int)a, (int)b), attnc::floor_mod<long long>(a, b));
    else { uint32_t h = attnc::HASH_SEED; h = attnc::hash_step(h, (uint32_t)(int32_t)a); h = attnc::hash_step(h, (uint32_t)(int32_t)b); printf("%u 0\\n", h & attnc::HASH_MASK); }
  }
}
`;

const wrap32 = (x: number) => (x | 0);
const I32 = [0, 1, -1, 2, -2, 7, -7, 2147483647, -2147483648, 1000003, -1000003];

describe.skipIf(!haveGpp)('integer operations: C++ against the definition', () => {
  it('floor division, floor modulo (32 and 64 bits) and the hash agree', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attnc-intops-'));
    fs.writeFileSync(path.join(dir, 'main.cpp'), MAIN);
    const exe = path.join(dir, 'main');
    execFileSync('g++', ['-std=c++17', '-O1', '-DATTNC_HOST_ONLY', '-I', CUDA_RUNTIME_INCLUDE, '-o', exe, path.join(dir, 'main.cpp')]);
    const int32 = fc.oneof(fc.constantFrom(...I32), fc.integer({ min: -2147483648, max: 2147483647 }), fc.integer({ min: -50, max: 50 }));
    const pairs = fc.sample(fc.tuple(fc.constantFrom('d', 'm', 'h'), int32, int32), { numRuns: 3000, seed: 42 });
    for (const a of I32) for (const b of I32) for (const op of ['d', 'm', 'h'] as const) pairs.push([op, a, b]);
    const out = execFileSync(exe, { input: pairs.map(([op, a, b]) => `${op} ${a} ${b}`).join('\n'), encoding: 'utf8' }).trim().split('\n');
    expect(out.length).toBe(pairs.length);
    pairs.forEach(([op, a, b], i) => {
      const [got32, got64] = out[i].split(' ').map(Number);
      const what = `${op} ${a} ${b}`;
      if (op === 'h') return expect(got32, what).toBe(hash(a, b));
      const exact = (op === 'd' ? (b === 0 ? 0 : Math.floor(a / b)) : fmod(a, b)) + 0; // + 0: -0 compares as 0
      expect(got64, `${what} (64-bit)`).toBe(exact);
      expect(got32, `${what} (32-bit, wrapping)`).toBe(wrap32(exact));
      expect((op === 'd' ? fdiv(a, b) : fmod(a, b)) + 0, `${what} (the definition)`).toBe(wrap32(exact));
    });
  });
});
