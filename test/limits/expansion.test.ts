/**
 * `fn` and `let` expansion: each nesting level of `f(x) + f(x)` used to double the work (20
 * levels: 20 s, 1.4 GB). Expansion is now memoised, so checking is linear in the program,
 * and an expansion past `MAX_EXPANDED_NODES` is an `expression_too_large` diagnostic.
 */
import { describe, expect, it } from 'vitest';
import { MAX_EXPANDED_NODES } from '../../compiler/2-check/elaborate.ts';
import { attnc, check, plan, timed, tmpFile } from './helpers.ts';

const fnLevels = (n: number, use: string) =>
  `fn f0(x: int) -> int = x * 2 + 1\n${Array.from({ length: n }, (_, i) => `fn f${i + 1}(x: int) -> int = f${i}(x) + f${i}(x)`).join('\n')}\npattern p(w: int = 3) {\n  ${use}\n}\n`;
const letLevels = (n: number) =>
  `pattern p() {\n  let x0 = q - k\n${Array.from({ length: n }, (_, i) => `  let x${i + 1} = x${i} * 2 + x${i}`).join('\n')}\n  allow x${n} >= 0\n}\n`;

describe('fn and let expansion', () => {
  it('24 levels of f(x) + f(x) check in well under a second, with a coded refusal', () => {
    const { value, ms } = timed(() => check(fnLevels(24, 'allow f24(q - k) >= w')));
    expect(value.codes).toEqual(['expression_too_large']);
    expect(value.diags.items[0].message).toMatch(/\d+ nodes, limit 100000/);
    expect(ms).toBeLessThan(1000);
  });

  it('24 levels of let x = x * 2 + x check in well under a second, with a coded refusal', () => {
    const { value, ms } = timed(() => check(letLevels(24)));
    expect(value.codes).toEqual(['expression_too_large']);
    expect(ms).toBeLessThan(1000);
  });

  it('the CLI refuses 24 levels quickly (exit 1, no stack trace)', () => {
    const r = attnc('check', tmpFile(fnLevels(24, 'allow f24(q - k) >= w')));
    expect(r.stderr).toContain('error[expression_too_large]');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.status).toBe(1);
    expect(r.ms).toBeLessThan(10_000);
  });

  it('memoised calls keep their meaning: distinct arguments give distinct expansions', () => {
    const src = 'fn f(x: int) -> int = x * 2 + 1\nfn g(x: int) -> int = f(x) - f(x + 1)\npattern p() {\n  allow g(q) + g(k) + f(q - k) == -2\n}\n';
    const s = plan(src, 256, 16);
    // g(x) = -2 for every x, so the mask is f(q - k) == 2, i.e. never (2 * (q - k) + 1 is odd).
    expect(s.stats.fullTiles + s.stats.partialTiles).toBe(0);
    const s2 = plan(src.replace('== -2', '== -3'), 256, 16);
    // 2 * (q - k) + 1 - 4 == -3 exactly on the diagonal.
    expect(s2.stats.partialTiles).toBe(16);
  });

  it('expansions below the limit still check clean', () => {
    expect(check(fnLevels(10, 'allow f10(q - k) >= f10(w)\n  bias = float(f10(q))')).codes).toEqual([]);
    expect(2 ** 15).toBeLessThan(MAX_EXPANDED_NODES);
  });
});
