/**
 * Deep nesting: 200 nested parentheses and a 2,000-term sum used to overflow the stack
 * (exit 2). Now each is a `nesting_too_deep` diagnostic (exit 1); nesting within the
 * documented limits still compiles.
 */
import { describe, expect, it } from 'vitest';
import { MAX_EXPR_DEPTH, MAX_NESTING } from '../../compiler/1-parse/limits.ts';
import { attnc, check, tmpFile } from './helpers.ts';

const parens = (n: number) => `${'('.repeat(n)}q - k${')'.repeat(n)}`;

describe('nesting limits', () => {
  it('200 nested parentheses: a coded diagnostic, not a stack overflow', () => {
    const r = attnc('check', tmpFile(`pattern p() {\n  allow ${parens(200)} >= 0\n}\n`));
    expect(r.stderr).toContain('error[nesting_too_deep]');
    expect(r.stderr).not.toContain('internal compiler error');
    expect(r.status).toBe(1);
  });

  it('a 2,000-term sum: a coded diagnostic, not a stack overflow', () => {
    const r = attnc('check', tmpFile(`pattern p() {\n  allow q + ${Array(2000).fill('1').join(' + ')} >= k\n}\n`));
    expect(r.stderr).toContain('error[nesting_too_deep]');
    expect(r.stderr).not.toContain('internal compiler error');
    expect(r.status).toBe(1);
  });

  it('deep prefix operators and ** chains are counted too', () => {
    expect(check(`pattern p() {\n  allow ${'-'.repeat(300)}(q - k) >= 0\n}\n`).codes).toContain('nesting_too_deep');
    expect(check(`pattern p() {\n  bias = ${Array(300).fill('1.0').join(' ** ')}\n}\n`).codes).toContain('nesting_too_deep');
  });

  it('nesting at the limits checks clean', () => {
    expect(check(`pattern p() {\n  allow ${parens(MAX_NESTING - 1)} >= 0\n}\n`).codes).toEqual([]);
    expect(check(`pattern p() {\n  allow q + ${Array(MAX_EXPR_DEPTH - 10).fill('1').join(' + ')} >= k\n}\n`).codes).toEqual([]);
  });

  it('let chains past the expanded depth limit are refused, below it compile for every target', () => {
    const chain = (n: number) => `pattern p(runtime w: int = 3) {\n  let x0 = q - k\n${Array.from({ length: n }, (_, i) => `  let x${i + 1} = x${i} * 3 - ${i % 7}`).join('\n')}\n  allow x${n} % 5 + w >= 2\n  bias = float(x${n}) * 0.5\n}\n`;
    expect(check(chain(300)).codes).toContain('expression_too_large');
    const f = tmpFile(chain(120));
    const r = attnc('compile', f, '--target', 'wgsl,ts,cuda', '--out', `${f}.out`);
    expect(r.stderr).not.toContain('internal compiler error');
    expect(r.status).toBe(0);
  });
});
