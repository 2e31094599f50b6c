/**
 * The CLI as a user runs it: exit statuses (0 clean, 1 user error, 2 internal error),
 * diagnostics on stderr, no stack traces.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

function attnc(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/attnc.mjs', ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function tmpFile(text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attnc-'));
  const f = path.join(dir, 'x.attn');
  fs.writeFileSync(f, text);
  return f;
}

describe('attnc CLI', () => {
  it('check: clean file exits 0', () => {
    const r = attnc('check', tmpFile('pattern p(w: int = 4) {\n  causal\n  allow q - k < w\n}\n'));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('no errors');
  });

  it('check: reports all errors with code and location, exit 1, no stack', () => {
    const f = tmpFile('pattern p(w: int = 4) {\n  allow q - k < windw\n  allow k < \n}\n');
    const r = attnc('check', f);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/error\[syntax_error\]/);
    expect(r.stderr).toContain(`--> ${f}:`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const r2 = attnc('check', tmpFile('pattern p(w: int = 4) {\n  allow q - k < windw\n  allow k < abs(q, k)\n}\n'));
    expect(r2.stderr).toContain('error[unknown_name]');
    expect(r2.stderr).toContain('error[wrong_arity]');
    expect(r2.stderr).toContain('2 errors');
  });

  it('check: missing file is a user error', () => {
    const r = attnc('check', '/nonexistent/x.attn');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('error[file_not_found]');
  });

  it('warnings alone exit 0', () => {
    const r = attnc('check', tmpFile('pattern p(w: int = 4) {\n  causal\n}\n'));
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('warning[unused_param]');
  });

  it('ast prints the checked mask', () => {
    const r = attnc('ast', tmpFile('/// doc line\npattern p(w: int = 4) {\n  causal\n  allow q - k < w\n}\n'));
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('pattern p');
    expect(r.stdout).toContain('/// doc line');
    expect(r.stdout).toContain('mask    q - k < w && k <= q');
  });

  it('help lists the subcommands', () => {
    const r = attnc('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('check');
    expect(r.stdout).toContain('ast');
  });

  it('unknown subcommand is a user error', () => {
    expect(attnc('frobnicate').status).toBe(1);
  });
});
