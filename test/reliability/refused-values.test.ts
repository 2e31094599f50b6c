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

  it('a runtime value that makes it 0 or less is refused by the library when a call is planned (the kernels divide by it)', async () => {
    const { check, bind, plan, PlanError } = await import('../../compiler/index.ts');
    const p = bind(check('pattern p(runtime cap: float) {\n  causal\n  softcap = cap * 2.0\n}\n').patterns[0]);
    const cfg = { qLen: 64, kvLen: 64, heads: 1, blockQ: 16, blockKv: 16 };
    for (const cap of [0, -1, -1e-30]) {
      expect(() => plan(p, { ...cfg, params: { cap } })).toThrow(PlanError);
      expect(() => plan(p, { ...cfg, params: { cap } })).toThrow(/soft-cap must be greater than 0/);
    }
    expect(plan(p, { ...cfg, params: { cap: 0.5 } }).stats.partialTiles).toBeGreaterThan(0);
    // A soft-cap that reads h is not a per-call check (each head's value is the kernel's).
    const perHead = bind(check('pattern p(runtime cap: float) {\n  causal\n  softcap = cap + float(h)\n}\n').patterns[0]);
    expect(plan(perHead, { ...cfg, heads: 2, params: { cap: 0.5 } }).stats.partialTiles).toBeGreaterThan(0);
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

describe('compile --param', () => {
  it('refuses a runtime parameter (its value comes with each call) and writes nothing', () => {
    const f = tmpFile('pattern p(runtime d: int = 4, w: int = 8) {\n  allow q - k < d + w\n}\n');
    const out = path.join(path.dirname(f), 'out');
    expectCoded(attnc('compile', f, '--out', out, '--target', 'ts', '--param', 'd=3'), 'bad_param_value', '`d` is a runtime parameter');
    expect(fs.existsSync(out)).toBe(false);
    // A compile-time parameter is taken.
    expect(attnc('compile', f, '--out', out, '--target', 'ts', '--param', 'w=3').status).toBe(0);
  });
});

describe('simulate --gpu FILE.json that is JSON but not a profile', () => {
  it('is refused with the fields that are wrong, never an internal error; the library the same', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attnc-prof-'));
    const good = JSON.parse(fs.readFileSync('profiles/h200.json', 'utf8'));
    const cases: [unknown, string][] = [
      [{}, 'name must be a string'],
      [[], 'a profile is a JSON object'],
      [1, 'a profile is a JSON object'],
      [null, 'a profile is a JSON object'],
      [{ name: 'x', multiprocessors: 8, memoryTBs: 1, denseTflops: 10, kernels: { 'attnc-cuda': {} } }, 'kernels.attnc-cuda.blockQ must be a power of two'],
      [{ ...good, kernels: { 'attnc-cuda': null } }, 'kernels.attnc-cuda must be a kernel model object'],
      [{ ...good, multiprocessors: -3 }, 'multiprocessors must be a positive integer'],
      [{ ...good, kernels: { ...good.kernels, 'attnc-wgsl': { ...good.kernels['attnc-wgsl'], deadBlocks: { share: 'a' } } } }, 'kernels.attnc-wgsl.deadBlocks.share'],
    ];
    for (const [value, text] of cases) {
      const f = path.join(dir, 'p.json');
      fs.writeFileSync(f, JSON.stringify(value));
      expectCoded(attnc('simulate', 'patterns/streaming.attn', '--q-len', '8k', '--gpu', f), 'bad_param_value', text);
    }
    const { check, bind, simulate, AttncError } = await import('../../compiler/index.ts');
    const p = bind(check(fs.readFileSync('patterns/streaming.attn', 'utf8')).patterns[0]);
    expect(() => simulate(p, { gpu: {} as never, qLen: 8192 })).toThrow(AttncError);
    expect(simulate(p, { gpu: good, qLen: 8192 }).sparseMs).toBeGreaterThan(0);
  });
});

describe('simulate: shapes the kernels are not built for', () => {
  it('refuses head dims that are not multiples of 16 up to 256, odd element sizes and key/value heads that do not divide the heads', async () => {
    for (const hd of ['7', '100', '272']) expectCoded(attnc('simulate', 'patterns/causal.attn', '--q-len', '4k', '--head-dim', hd), 'bad_param_value', `head dim ${hd}`);
    expect(attnc('simulate', 'patterns/causal.attn', '--q-len', '4k', '--head-dim', '96').status).toBe(0);
    const { check, bind, simulate, PlanError } = await import('../../compiler/index.ts');
    const p = bind(check(fs.readFileSync('patterns/causal.attn', 'utf8')).patterns[0]);
    // Shapes are refused as plan() refuses sizes: a PlanError with its code.
    expect(() => simulate(p, { qLen: 4096, dtypeBytes: 3 })).toThrow(PlanError);
    expect(() => simulate(p, { qLen: 4096, heads: 16, kvHeads: 5 })).toThrow(/do not divide/);
    expect(() => simulate(p, { qLen: 4096, headDim: 40 })).toThrow(/head dim 40/);
  });
});

describe('runtime values past what the kernels take, given to the library', () => {
  it('plan() refuses an int outside 32 bits and a float outside f32, as the CLI does', async () => {
    const { check, bind, plan, PlanError } = await import('../../compiler/index.ts');
    const p = bind(check('pattern p(runtime prefix: int = 4, runtime t: float = 1.5) {\n  allow k <= q || k < prefix\n  bias = t\n}\n').patterns[0]);
    const cfg = { qLen: 256, kvLen: 256, heads: 1, blockQ: 64, blockKv: 64 };
    for (const prefix of [2 ** 31, -(2 ** 31) - 1, 4294967301]) {
      expect(() => plan(p, { ...cfg, params: { prefix } })).toThrow(PlanError);
      expect(() => plan(p, { ...cfg, params: { prefix } })).toThrow(/32-bit ints/);
    }
    expect(() => plan(p, { ...cfg, params: { t: 1e39 } })).toThrow(/f32/);
    expect(() => plan(p, { ...cfg, params: { t: Infinity } })).toThrow(/f32/);
    expect(plan(p, { ...cfg, params: { prefix: -(2 ** 31), t: -3.4e38 } }).stats.fullTiles).toBeGreaterThan(0);
  });
});

describe('INT_MIN', () => {
  it('is a literal, a --param value and an input array entry; 2147483648 alone is constant_out_of_range', () => {
    expect(check('pattern p() {\n  allow q - k > -2147483648\n}\n').diags).toEqual([]);
    expect(check('pattern p() {\n  allow q < 2147483648\n}\n').diags.map((d) => d.code)).toEqual(['constant_out_of_range']);
    expect(check('pattern p(d: int = 0) {\n  allow q - k > d\n}\n', { d: '-2147483648' }).diags).toEqual([]);
    expect(check('pattern p(d: int = 0) {\n  allow q - k > d\n}\n', { d: '-2147483649' }).diags.map((d) => d.code)).toEqual(['bad_param_value']);
  });

  it('is an entry of an input array given to plan()', async () => {
    const { check: chk, bind, plan } = await import('../../compiler/index.ts');
    const p = bind(chk('pattern p(input doc: int[kv_len]) {\n  allow doc[q] == doc[k]\n}\n').patterns[0]);
    const doc = Array.from({ length: 128 }, (_, i) => (i < 64 ? -(2 ** 31) : 2 ** 31 - 1));
    const s = plan(p, { qLen: 128, kvLen: 128, heads: 1, blockQ: 64, blockKv: 64, inputs: { doc } });
    expect(s.stats.fullTiles).toBe(2);
  });
});
