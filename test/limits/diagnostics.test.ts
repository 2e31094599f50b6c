/**
 * Diagnostics stay linear: at most `MAX_DIAGNOSTICS_PER_FILE` errors and warnings per file
 * are kept (then "too many diagnostics; stopping"), long source lines are shown as a
 * window, and spans are located by binary search. 2,000 unused parameters used to print
 * 106 MB, 5,000 threw a RangeError, 1 MB of random bytes took 99 s.
 */
import { describe, expect, it } from 'vitest';
import { MAX_DIAGNOSTICS_PER_FILE } from '../../compiler/diagnostics/diagnostic.ts';
import { renderDiagnostics } from '../../compiler/diagnostics/render.ts';
import { attnc, check, timed, tmpFile } from './helpers.ts';

const unused = (n: number) => `pattern p(${Array.from({ length: n }, (_, i) => `a${i}: int = 1`).join(', ')}) {\n  allow q >= k\n}\n`;

function randomBytes(n: number, seed = 12345): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

describe('diagnostic limits', () => {
  it('2,000 unused parameters render in bounded size', () => {
    const { diags } = check(unused(2000));
    expect(diags.items.length).toBe(MAX_DIAGNOSTICS_PER_FILE);
    const text = renderDiagnostics(diags.sorted(), diags.dropped);
    expect(text.length).toBeLessThan(200_000);
    expect(text).toContain('too many diagnostics in x.attn; stopping: 1900 more not shown');
  });

  it('5,000 unused parameters: a warning list, not a RangeError (CLI)', () => {
    const r = attnc('check', tmpFile(unused(5000)));
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('warning[unused_param]');
    expect(r.stderr).toContain('too many diagnostics');
    expect(r.stderr).not.toContain('RangeError');
    expect(r.stderr.length).toBeLessThan(200_000);
  });

  it('1 MB of random bytes is diagnosed in a few seconds', () => {
    const text = new TextDecoder().decode(randomBytes(1 << 20));
    const { value, ms } = timed(() => check(text));
    expect(value.diags.hasErrors).toBe(true);
    expect(value.diags.items.length).toBeLessThanOrEqual(2 * MAX_DIAGNOSTICS_PER_FILE);
    expect(ms).toBeLessThan(5000);
    const rendered = renderDiagnostics(value.diags.sorted(), value.diags.dropped);
    expect(rendered.length).toBeLessThan(200_000);
  });

  it('a diagnostic on a very long line shows a window around its span', () => {
    const src = `pattern p() {\n  allow q + ${Array(200).fill('1').join(' + ')} + windw >= k\n}\n`;
    const { diags } = check(src);
    const text = renderDiagnostics(diags.sorted());
    expect(text).toContain('error[unknown_name]');
    const lines = text.split('\n');
    const srcLine = lines.find((l) => l.includes('windw') && l.includes('|'))!;
    const caret = lines[lines.indexOf(srcLine) + 1];
    expect(srcLine.length).toBeLessThan(200);
    expect(srcLine.slice(caret.indexOf('^'), caret.lastIndexOf('^') + 1)).toBe('windw');
  });
});
