/**
 * Issue 16, section 5: values that must be refused with a coded error (exit 1), and lone
 * carriage returns read as line breaks.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bindParams } from '../../compiler/2-check/bind.ts';
import { Diagnostics } from '../../compiler/diagnostics/diagnostic.ts';
import { renderDiagnostic } from '../../compiler/diagnostics/render.ts';
import { checkSource } from '../../compiler/pipeline.ts';

function attnc(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/attnc.mjs', ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function tmpFile(text: string): string {
  const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'attnc-rel-')), 'x.attn');
  fs.writeFileSync(f, text);
  return f;
}

function check(text: string, params?: Record<string, string>) {
  const diags = new Diagnostics();
  const prog = checkSource({ name: 'x.attn', text }, diags);
  if (prog && params) bindParams(prog.patterns[0], params, diags);
  return { prog, diags: diags.sorted() };
}

const expectCoded = (r: { status: number | null; stderr: string }, code: string, text?: string) => {
  expect(r.stderr).toContain(`error[${code}]`);
  if (text) expect(r.stderr).toContain(text);
  expect(r.stderr).not.toContain('internal compiler error');
  expect(r.status).toBe(1);
};

describe('soft-cap must be positive', () => {
  for (const lit of ['0.0', '0', '-1.0', '1e-400']) {
    it(`softcap = ${lit} is bad_softcap at the value`, () => {
      const { diags } = check(`pattern p() {\n  causal\n  softcap = ${lit}\n}\n`);
      expect(diags.map((d) => [d.code, d.span?.line, d.span?.col, d.span && d.span.end - d.span.start])).toEqual([['bad_softcap', 3, 13, lit.length]]);
    });
  }

  it('a compile-time parameter that makes it 0 is refused when bound (--param cap=0, cap=1e-400)', () => {
    const text = 'pattern p(cap: float = 30.0) {\n  causal\n  softcap = cap\n}\n';
    expect(check(text, { cap: '0' }).diags.map((d) => d.code)).toEqual(['bad_softcap']);
    expect(check(text, { cap: '1e-400' }).diags.map((d) => d.code)).toEqual(['bad_softcap']);
    expect(check(text, { cap: '30' }).diags).toEqual([]);
    const f = tmpFile(text);
    expectCoded(attnc('schedule', f, '--q-len', '256', '--param', 'cap=0'), 'bad_softcap');
    expectCoded(attnc('compile', f, '--out', fs.mkdtempSync(path.join(os.tmpdir(), 'attnc-rel-')), '--param', 'cap=1e-400'), 'bad_softcap');
  });

  it('compile refuses a runtime soft-cap whose default is not positive (a call without the value would use it)', () => {
    const out = () => fs.mkdtempSync(path.join(os.tmpdir(), 'attnc-rel-'));
    const zero = attnc('compile', tmpFile('pattern p(runtime c: float = -1.0) {\n  causal\n  softcap = 2.0 * c\n}\n'), '--out', out(), '--target', 'cuda');
    expectCoded(zero, 'bad_softcap', 'with c = -1');
    expect(attnc('compile', tmpFile('pattern p(runtime c: float = 2.0) {\n  causal\n  softcap = c\n}\n'), '--out', out(), '--target', 'cuda').status).toBe(0);
    expect(attnc('compile', tmpFile('pattern p(runtime c: float) {\n  causal\n  softcap = c\n}\n'), '--out', out(), '--target', 'cuda').status).toBe(0);
  });

  it('a runtime value that makes it 0 is refused by schedule and simulate', () => {
    const f = tmpFile('pattern p(runtime cap: float) {\n  causal\n  softcap = cap\n}\n');
    expectCoded(attnc('schedule', f, '--q-len', '256', '--param', 'cap=0'), 'bad_softcap');
    expectCoded(attnc('simulate', f, '--q-len', '1k', '--param', 'cap=-2'), 'bad_softcap');
    expect(attnc('schedule', f, '--q-len', '256', '--param', 'cap=20').status).toBe(0);
  });
});

describe('CLI values', () => {
  const plain = () => tmpFile('pattern p(w: int = 4) {\n  allow q - k < w\n}\n');

  it('simulate --kv-heads 0, non-numeric, or not dividing --heads is bad_size', () => {
    const f = plain();
    expectCoded(attnc('simulate', f, '--q-len', '1k', '--kv-heads', '0'), 'bad_size', '--kv-heads');
    expectCoded(attnc('simulate', f, '--q-len', '1k', '--kv-heads', 'abc'), 'bad_size', '--kv-heads');
    expectCoded(attnc('simulate', f, '--q-len', '1k', '--heads', '16', '--kv-heads', '3'), 'bad_size', 'must divide');
    expect(attnc('simulate', f, '--q-len', '1k', '--heads', '16', '--kv-heads', '4').status).toBe(0);
  });

  it('simulate --format xml is bad_param_value', () => {
    expectCoded(attnc('simulate', plain(), '--q-len', '1k', '--format', 'xml'), 'bad_param_value', '--format');
  });

  it('run --scale "" and --scale 0 are bad_param_value', () => {
    const f = plain();
    for (const s of ['', '0', ' ', 'nan', '1e39']) {
      expectCoded(attnc('run', f, '--q', 'q.npy', '--k', 'k.npy', '--v', 'v.npy', '--scale', s), 'bad_param_value', '--scale');
    }
  });

  it('compile --target "" (or only commas) is bad_param_value, not an empty success', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'attnc-rel-'));
    for (const t of ['', ' , ']) expectCoded(attnc('compile', plain(), '--target', t, '--out', out), 'bad_param_value', '--target');
  });
});

describe('lone carriage returns are line breaks', () => {
  it('a CR-only file checks, and a `//` comment ends at the CR', () => {
    const text = 'pattern p() {\r  causal // a comment\r  allow q - k < 4\r}\r';
    const { prog, diags } = check(text);
    expect(diags).toEqual([]);
    expect(prog?.patterns[0].allows).toHaveLength(1);
    const r = attnc('check', tmpFile(text));
    expect(r.status).toBe(0);
  });

  it('a `///` doc ends at the CR', () => {
    const { prog, diags } = check('/// the doc\rpattern p() {\r  causal\r}\r');
    expect(diags).toEqual([]);
    expect(prog?.patterns[0].doc).toBe('the doc');
  });

  it('line and column count a lone CR (and CRLF) as one line break, and the shown line stops at it', () => {
    for (const nl of ['\r', '\r\n', '\n']) {
      const { diags } = check(['pattern p() {', '  causal // c', '  allow q - k < windw', '}', ''].join(nl));
      expect(diags.map((d) => [d.code, d.span?.line, d.span?.col])).toEqual([['unknown_name', 3, 17]]);
      const text = renderDiagnostic(diags[0]);
      expect(text).toContain('3 |   allow q - k < windw\n');
      expect(text).not.toContain('\r');
    }
  });
});
