/**
 * Issue 16, section 4: programs that used to check clean and then make a later command exit 2
 * (internal error). Each is now a coded diagnostic at the right span (exit 1), or works.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bindParams } from '../../compiler/2-check/bind.ts';
import { Diagnostics } from '../../compiler/diagnostics/diagnostic.ts';
import { checkSource } from '../../compiler/pipeline.ts';

function attnc(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/attnc.mjs', ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'attnc-rel-'));
}

function tmpFile(text: string, name = 'x.attn'): string {
  const f = path.join(tmpDir(), name);
  fs.writeFileSync(f, text);
  return f;
}

/** Diagnostics of checking `text` (and binding its first pattern with `params` if it checks). */
function diagsOf(text: string, params?: Record<string, string>) {
  const diags = new Diagnostics();
  const prog = checkSource({ name: 'x.attn', text }, diags);
  if (prog && params) bindParams(prog.patterns[0], params, diags);
  return diags.sorted().map((d) => ({ code: d.code, line: d.span?.line, col: d.span?.col, len: d.span ? d.span.end - d.span.start : undefined, message: d.message }));
}

const expectCoded = (r: { status: number | null; stderr: string }, code: string) => {
  expect(r.stderr).toContain(`error[${code}]`);
  expect(r.stderr).not.toContain('internal compiler error');
  expect(r.status).toBe(1);
};

describe('non-finite and out-of-range constants', () => {
  const cases: [string, string, number][] = [
    ['1e400', 'bias = 1e400', 5],
    ['exp(1000.0)', 'bias = exp(1000.0)', 11],
    ['log(-1.0)', 'bias = log(-1.0)', 9],
    ['1e39 (outside f32)', 'bias = 1e39', 4],
    ['a power past f32', 'bias = 2.0 ** 200.0', 12],
  ];
  for (const [what, clause, len] of cases) {
    it(`${what}: constant_out_of_range at the expression`, () => {
      const d = diagsOf(`pattern p() {\n  causal\n  ${clause}\n}\n`);
      expect(d.map((x) => [x.code, x.line, x.col, x.len])).toEqual([['constant_out_of_range', 3, 10, len]]);
    });
  }

  it('names the innermost expression only', () => {
    const d = diagsOf('pattern p() {\n  causal\n  bias = exp(1000.0) * 2.0 + 1.0\n}\n');
    expect(d).toHaveLength(1);
    expect(d[0].message).toContain('`exp(1000.0)`');
  });

  it('int overflow: `q - k < 2147483647 + 1`', () => {
    const d = diagsOf('pattern p() {\n  allow q - k < 2147483647 + 1\n}\n');
    expect(d.map((x) => [x.code, x.line, x.col, x.len])).toEqual([['constant_out_of_range', 2, 17, 14]]);
    expect(d[0].message).toContain('32-bit');
  });

  it('int overflow in `*` and in unary minus of the smallest int', () => {
    expect(diagsOf('pattern p() {\n  allow q < 65536 * 65536\n}\n').map((x) => x.code)).toEqual(['constant_out_of_range']);
    expect(diagsOf('pattern p() {\n  allow q < -(-2147483647 - 1)\n}\n').map((x) => x.code)).toEqual(['constant_out_of_range']);
  });

  it('the largest ints and f32 values are fine', () => {
    expect(diagsOf('pattern p() {\n  allow q - k < 2147483646 + 1\n  bias = 3.4e38\n}\n')).toEqual([]);
  });

  it('a compile-time parameter that makes a constant non-finite is refused when bound', () => {
    const d = diagsOf('pattern p(x: float = 1.0) {\n  causal\n  bias = exp(x)\n}\n', { x: '1000' });
    expect(d.map((x) => [x.code, x.line, x.col])).toEqual([['constant_out_of_range', 3, 10]]);
  });

  it('float parameter values past f32 are refused', () => {
    const d = diagsOf('pattern p(x: float = 1.0) {\n  causal\n  bias = x\n}\n', { x: '1e39' });
    expect(d.map((x) => x.code)).toEqual(['bad_param_value']);
  });

  it('CLI: check and compile exit 1 with the code, never 2', () => {
    for (const clause of ['bias = 1e400', 'bias = exp(1000.0)', 'bias = log(-1.0)', 'bias = 1e39', 'allow q - k < 2147483647 + 1']) {
      const f = tmpFile(`pattern p() {\n  causal\n  ${clause}\n}\n`);
      expectCoded(attnc('check', f), 'constant_out_of_range');
      expectCoded(attnc('compile', f, '--target', 'wgsl,ts,cuda', '--out', tmpDir()), 'constant_out_of_range');
    }
  });
});

describe('select comparisons in the printed planner', () => {
  it('`select(q > k, 1, 2) < select(k > q - 1, 3, 4)` compiles to TypeScript', () => {
    const f = tmpFile('pattern p() {\n  allow select(q > k, 1, 2) < select(k > q - 1, 3, 4)\n}\n');
    const out = tmpDir();
    const r = attnc('compile', f, '--target', 'ts,wgsl,cuda', '--out', out);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(fs.readFileSync(path.join(out, 'p.ts'), 'utf8')).toContain('mask(q, k)');
  });
});

describe('asserts', () => {
  it('an assert that reads q is bad_assert at `q`', () => {
    const d = diagsOf('pattern p() {\n  causal\n  assert q >= 0, "x"\n}\n');
    expect(d.map((x) => [x.code, x.line, x.col, x.len])).toEqual([['bad_assert', 3, 10, 1]]);
  });

  it('an assert that reads an input array is bad_assert at the read', () => {
    const d = diagsOf('pattern p(input doc: int[kv_len]) {\n  allow doc[q] == doc[k]\n  assert doc[k] >= 0, "x"\n}\n');
    expect(d.map((x) => [x.code, x.line, x.col, x.len])).toEqual([['bad_assert', 3, 10, 6]]);
  });

  it('asserts on parameters and sizes still check', () => {
    expect(diagsOf('pattern p(w: int = 4) {\n  allow q - k < w\n  assert w <= kv_len && q_len == kv_len, "x"\n}\n')).toEqual([]);
  });

  it('CLI: schedule and compile exit 1, not 2', () => {
    const f = tmpFile('pattern p() {\n  causal\n  assert q >= 0, "x"\n}\n');
    expectCoded(attnc('schedule', f, '--q-len', '256'), 'bad_assert');
    expectCoded(attnc('compile', f, '--target', 'cuda', '--out', tmpDir()), 'bad_assert');
  });
});

describe('pattern names', () => {
  it('a 300-character pattern name is name_too_long, not ENAMETOOLONG', () => {
    const name = 'a'.repeat(300);
    const f = tmpFile(`pattern ${name}() {\n  causal\n}\n`);
    expect(diagsOf(`pattern ${name}() {\n  causal\n}\n`).map((x) => [x.code, x.line, x.col, x.len])).toEqual([['name_too_long', 1, 9, 300]]);
    expectCoded(attnc('compile', f, '--target', 'wgsl,ts,cuda', '--out', tmpDir()), 'name_too_long');
  });

  it('a 100-character name compiles', () => {
    const f = tmpFile(`pattern ${'b'.repeat(100)}() {\n  causal\n}\n`);
    expect(attnc('compile', f, '--target', 'wgsl,ts,cuda', '--out', tmpDir()).status).toBe(0);
  });
});

describe('built-in lookups are own-property lookups', () => {
  for (const fn of ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf']) {
    it(`\`bias = ${fn}()\` is unknown_name`, () => {
      const d = diagsOf(`pattern p() {\n  causal\n  bias = ${fn}()\n}\n`);
      expect(d.map((x) => [x.code, x.line, x.col, x.len])).toEqual([['unknown_name', 3, 10, fn.length]]);
      const r = attnc('check', tmpFile(`pattern p() {\n  causal\n  bias = ${fn}()\n}\n`));
      expectCoded(r, 'unknown_name');
    });
  }

  it('`toString` and `constructor` are ordinary parameter names', () => {
    const text = 'pattern p(toString: int = 4, constructor: int = 1) {\n  allow q - k < toString * constructor\n}\n';
    expect(diagsOf(text)).toEqual([]);
    const r = attnc('schedule', tmpFile(text), '--q-len', '64', '--block-q', '16', '--block-kv', '16', '--param', 'toString=32');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // q - k < 32 with 16-token blocks: query block 3 reaches back into key block 1.
    expect(r.stdout).toContain('q 3: full [2-3] partial [1]');
  });

  it('a parameter named `__proto__` takes its value', () => {
    const text = 'pattern p(__proto__: int = 4) {\n  allow q - k < __proto__\n}\n';
    const wide = attnc('schedule', tmpFile(text), '--q-len', '64', '--block-q', '16', '--block-kv', '16', '--param', '__proto__=64', '--format', 'json');
    const narrow = attnc('schedule', tmpFile(text), '--q-len', '64', '--block-q', '16', '--block-kv', '16', '--format', 'json');
    expect(wide.status).toBe(0);
    expect(narrow.status).toBe(0);
    expect(wide.stdout).not.toBe(narrow.stdout);
  });

  it('--target constructor / toString / __proto__ is an unknown target (exit 1)', () => {
    const f = tmpFile('pattern p() {\n  causal\n}\n');
    for (const t of ['constructor', 'toString', '__proto__']) {
      const r = attnc('compile', f, '--target', t, '--out', tmpDir());
      expectCoded(r, 'bad_param_value');
      expect(r.stderr).toContain(`unknown target \`${t}\``);
    }
  });

  it('simulate: --kernel constructor, --dtype toString, --gpu constructor are refused', () => {
    const f = tmpFile('pattern p() {\n  causal\n}\n');
    const kernel = attnc('simulate', f, '--q-len', '1k', '--kernel', 'constructor');
    expectCoded(kernel, 'bad_param_value');
    expect(kernel.stderr).toContain('no model for kernel `constructor`');
    const dtype = attnc('simulate', f, '--q-len', '1k', '--dtype', 'toString');
    expectCoded(dtype, 'bad_param_value');
    expect(dtype.stderr).toContain('--dtype');
    for (const gpu of ['constructor', '__proto__', '../profiles/h100']) expectCoded(attnc('simulate', f, '--q-len', '1k', '--gpu', gpu), 'bad_param_value');
  });

  it('--param __proto__=5 is an unknown parameter, not silently dropped', () => {
    const f = tmpFile('pattern p(w: int = 4) {\n  allow q - k < w\n}\n');
    for (const cmd of [['schedule', f, '--q-len', '256'], ['simulate', f, '--q-len', '1k'], ['compile', f, '--out', tmpDir()]]) {
      const r = attnc(...cmd, '--param', '__proto__=5');
      expectCoded(r, 'unknown_param');
      expect(r.stderr).toContain('`__proto__`');
    }
  });
});
