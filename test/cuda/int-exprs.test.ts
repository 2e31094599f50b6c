/**
 * One integer semantics in C++: random int expressions with large constants
 * (test/helpers/int-exprs.ts), printed as the kernels print them (compiler/4-emit/cuda/print-c.ts)
 * and their masks' interval classification as the host planner prints it, compiled in one
 * program with g++ and UBSan (signed overflow is undefined behaviour in C++, and must never
 * happen: wrapping operations are computed unsigned, bounds in 64 bits), host-only. The values
 * equal the BigInt definition, the classes equal the TypeScript planner's.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it, onTestFinished } from 'vitest';
import { CPP_DIALECT } from '../../compiler/4-emit/cuda/emit-cuda.ts';
import { printCLets, type CLeaves } from '../../compiler/4-emit/cuda/print-c.ts';
import { printInterval } from '../../compiler/4-emit/planner/print-interval.ts';
import { CUDA_RUNTIME_INCLUDE } from '../../bench/cuda/host.ts';
import { intCases, P_VALUES, refValue, sharedIntCases } from '../helpers/int-exprs.ts';

let haveGpp = true;
try { execFileSync('g++', ['--version'], { stdio: 'ignore' }); } catch { haveGpp = false; }

const leaves: CLeaves = { size: (n) => n, param: (n) => `p_${n}`, input: () => { throw new Error('no inputs here'); }, ns: 'attnc::' };

describe.skipIf(!haveGpp)('integer semantics in C++ (g++, UBSan)', () => {
  it('kernel expressions wrap like the definition; host interval classes equal the TypeScript planner\'s', () => {
    // With 24 nested `let`s each using the one before twice: printed once per level (locals).
    const cases = [...intCases(120, 20240611), ...sharedIntCases(12, 20261202)];
    const fns = cases.map((c, i) => {
      const iv = printInterval(c.lowered.plan.mask, CPP_DIALECT);
      const code = printCLets([c.expr], leaves);
      return [
        `static int e${i}(int q, int k, int p_p, int q_len, int kv_len) { (void)q; (void)k; (void)p_p; (void)q_len; (void)kv_len; ${code.lets.join(' ')} return ${code.exprs[0]}; }`,
        `static int c${i}(long long q0, long long q1, long long k0, long long k1, int p_p, int q_len, int kv_len) {`,
        '  (void)q0; (void)q1; (void)k0; (void)k1; (void)p_p; (void)q_len; (void)kv_len; long long R[2]; (void)R;',
        ...iv.lines.map((l) => `  ${l}`),
        `  return ${iv.lo} == 1 ? 2 : ${iv.hi} == 0 ? 0 : 1;`,
        '}',
      ].join('\n');
    });
    const src = `#include <cstdio>
#include <initializer_list>
#include "attnc/int_ops.h"
#include "attnc/planner.h"
${fns.join('\n')}
typedef int (*E)(int, int, int, int, int);
typedef int (*C)(long long, long long, long long, long long, int, int, int);
static const E es[] = { ${cases.map((_, i) => `e${i}`).join(', ')} };
static const C cs[] = { ${cases.map((_, i) => `c${i}`).join(', ')} };
int main() {
  char op; int i, p; long long a, b, c, d;
  while (scanf(" %c %d %d %lld %lld %lld %lld", &op, &i, &p, &a, &b, &c, &d) == 7) {
    if (op == 'e') printf("%d\\n", es[i]((int)a, (int)b, p, 300, 300));
    else printf("%d\\n", cs[i](a, b, c, d, p, 300, 300));
  }
}
`;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attnc-intexprs-'));
    fs.writeFileSync(path.join(dir, 'main.cpp'), src);
    const exe = path.join(dir, 'main');
    onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
    execFileSync('g++', ['-std=c++17', '-O1', '-fsanitize=undefined', '-fno-sanitize-recover=all', '-DATTNC_HOST_ONLY', '-I', CUDA_RUNTIME_INCLUDE, '-o', exe, path.join(dir, 'main.cpp')]);
    const points = fc.sample(fc.tuple(fc.nat(299), fc.nat(299)), { numRuns: 25, seed: 7 });
    const rects = fc.sample(fc.tuple(fc.nat(290), fc.nat(9), fc.nat(290), fc.nat(9)), { numRuns: 10, seed: 11 });
    const lines: string[] = [];
    const want: number[] = [];
    const what: string[] = [];
    cases.forEach((c, i) => {
      for (const p of P_VALUES) {
        for (const [q, k] of points) {
          lines.push(`e ${i} ${p} ${q} ${k} 0 0`);
          want.push(Number(refValue(c.expr, { q, k, p, q_len: 300, kv_len: 300 })));
          what.push(`${c.source} at q ${q} k ${k} p ${p}`);
        }
        const sizes = { qLen: 300, kvLen: 300, heads: 1 };
        const bound = c.lowered.planner.bind(sizes, { p }, c.lowered.planner.slots(0, 0, sizes, { p }), {});
        for (const [q0, dq, k0, dk] of rects) {
          lines.push(`c ${i} ${p} ${q0} ${q0 + dq} ${k0} ${k0 + dk}`);
          want.push(bound.classify(q0, q0 + dq, k0, k0 + dk));
          what.push(`${c.source} classify q ${q0}..${q0 + dq} k ${k0}..${k0 + dk} p ${p}`);
        }
      }
    });
    const out = execFileSync(exe, { input: lines.join('\n'), encoding: 'utf8', maxBuffer: 1 << 26 }).trim().split('\n').map(Number);
    expect(out.length).toBe(lines.length);
    const diffs = out.flatMap((got, j) => (got === want[j] ? [] : [`${what[j]}: C++ ${got}, expected ${want[j]}`]));
    expect(diffs.slice(0, 5)).toEqual([]);
  }, 300_000);
});
