/**
 * The C++ expression printer's integer forms (shifts, masks, positive-divisor fix-ups, floor
 * helpers) compute the language's floor division and modulo: the printed expressions are
 * compiled with g++ and compared with the reference semantics on random values.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { printC, type CLeaves } from '../../compiler/4-emit/cuda/print-c.ts';
import * as M from '../../compiler/ir/mask.ts';
import { applyArith } from '../../compiler/ir/semantics.ts';

const leaves: CLeaves = { size: (n) => n, param: (n) => `p_${n}`, input: (n, i) => `in_${n}[${i}]`, ns: '' };
let haveGpp = true;
try { execFileSync('g++', ['--version'], { stdio: 'ignore' }); } catch { haveGpp = false; }

describe.skipIf(!haveGpp)('printC integer semantics', () => {
  it('matches floor division and modulo for constant and variable divisors', () => {
    const divisors = [1, 2, 3, 7, 8, 64, 100, 1024];
    const exprs: M.MExpr[] = [];
    for (const c of divisors) {
      exprs.push(M.arith('/', M.v('q'), M.int(c)), M.arith('%', M.v('q'), M.int(c)));
    }
    exprs.push(M.arith('/', M.v('q'), M.v('k')), M.arith('%', M.v('q'), M.v('k')));
    const helpers = `
      #define __host__
      #define __device__
      #define __forceinline__ inline
      #include <cstdio>
      #include <cstdint>
      inline int fdiv(int a, int b) { if (b == 0) return 0; int q = a / b; return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q; }
      inline int fmod_(int a, int b) { if (b == 0) return 0; int r = a % b; return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r; }
      inline int fdiv_pos(int a, int c) { const int q = a / c; return (a - q * c) < 0 ? q - 1 : q; }
      inline int fmod_pos(int a, int c) { const int r = a % c; return r < 0 ? r + c : r; }
      int main() {
        for (int q = -300; q <= 300; q += 7) for (int k = -9; k <= 9; k++) {
          printf("%d %d", q, k);
          ${exprs.map((e) => `printf(" %d", (int)(${printC(e, leaves)}));`).join('\n')}
          printf("\\n");
        }
      }`;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attnc-printc-'));
    fs.writeFileSync(path.join(dir, 't.cpp'), helpers);
    execFileSync('g++', ['-O1', '-o', path.join(dir, 't'), path.join(dir, 't.cpp')]);
    const out = execFileSync(path.join(dir, 't'), { encoding: 'utf8' }).trim().split('\n');
    for (const line of out) {
      const [q, k, ...vals] = line.split(' ').map(Number);
      const want: number[] = [];
      for (const c of divisors) want.push(applyArith('/', q, c, true), applyArith('%', q, c, true));
      want.push(applyArith('/', q, k, true), applyArith('%', q, k, true));
      expect(vals, `q=${q} k=${k}`).toEqual(want);
    }
  });
});
