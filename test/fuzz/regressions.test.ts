/**
 * Bugs the fuzzer (fuzz.test.ts, scripts/fuzz.ts) found, one test each, with the program it
 * found them with reduced to its core.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { withRuntimeDefaults } from '../../compiler/2-check/bind.ts';
import { maskAt } from '../../compiler/eval/evaluate.ts';
import { TARGETS } from '../../compiler/4-emit/targets.ts';
import { Diagnostics } from '../../compiler/diagnostics/diagnostic.ts';
import { checkSource, lowerToPlanner, readFromDisk } from '../../compiler/pipeline.ts';
import { writeNpy } from '../../runtime/io/npy.ts';
import { bindText } from '../helpers/compile.ts';
import { cppSyntaxErrors, has, tsTypeErrors } from '../helpers/parse-output.ts';
import { webgpuUnavailable } from '../wgsl/harness.ts';

function attnc(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/attnc.mjs', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const dirs: string[] = [];
const tmpDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'attnc-fuzzreg-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe('runtime parameter defaults', () => {
  const window = 'pattern p(runtime w: int = 4) {\n  causal\n  allow q - k < w\n}\n';

  it('the reference evaluator sees the defaults of runtime values not given', () => {
    const bound = bindText(window);
    const ctx = { sizes: { qLen: 8, kvLen: 8, heads: 1 }, params: withRuntimeDefaults(bound, {}), inputs: {} };
    expect(ctx.params).toEqual({ w: 4 });
    expect(maskAt(bound, { b: 0, h: 0, q: 5, k: 2 }, ctx)).toBe(true);
    expect(maskAt(bound, { b: 0, h: 0, q: 6, k: 2 }, ctx)).toBe(false);
    expect(withRuntimeDefaults(bound, { w: 9 })).toEqual({ w: 9 });
  });

  it.skipIf(webgpuUnavailable())('`run --check` with a runtime value left at its default (was: internal error "no value for parameter w")', () => {
    const dir = tmpDir();
    const f = path.join(dir, 'p.attn');
    fs.writeFileSync(f, window);
    let s = 1;
    const rnd = () => ((s = (s * 48271) % 2147483647) / 2147483647) * 2 - 1;
    for (const n of ['q', 'k', 'v']) {
      fs.writeFileSync(path.join(dir, `${n}.npy`), writeNpy({ dtype: 'f4', shape: [1, 1, 40, 32], data: Float32Array.from({ length: 40 * 32 }, rnd) }));
    }
    const r = attnc('run', f, '--q', path.join(dir, 'q.npy'), '--k', path.join(dir, 'k.npy'), '--v', path.join(dir, 'v.npy'), '--check');
    expect(r.stderr).not.toContain('internal compiler error');
    expect(r.stdout).toMatch(/check against the float64 reference: .*: ok/);
    expect(r.status).toBe(0);
  });

  it('a runtime soft-cap whose default is 0 is bad_softcap when planned without a value', () => {
    const f = path.join(tmpDir(), 's.attn');
    fs.writeFileSync(f, 'pattern p(runtime c: float = 0.0) {\n  causal\n  softcap = c\n}\n');
    const r = attnc('schedule', f, '--q-len', '64');
    expect(r.stderr).toContain('error[bad_softcap]');
    expect(r.stderr).toContain('with c = 0');
    expect(r.status).toBe(1);
    expect(attnc('schedule', f, '--q-len', '64', '--param', 'c=30.0').status).toBe(0);
  });
});

describe.runIf(has('g++', ['--version']) && has('gcc', ['--version']))('the smallest int in C++', () => {
  it('`-2147483647 - 1` compiles as an int (was: `amin(int&, long)` matched no function)', async () => {
    const bound = bindText('pattern p() {\n  allow k == min(q, -2147483647 - 1)\n  allow select(q > k, -2147483647 - 1, 5) < k\n  allow q % (-2147483647 - 1) == 0 || q - k > -2147483647 - 1\n}\n');
    const dir = tmpDir();
    for (const f of await TARGETS.cuda.emit({ bound, lowered: lowerToPlanner(bound), sourceName: 'p.attn', runtimeImport: '../runtime' })) fs.writeFileSync(path.join(dir, f.name), f.contents);
    expect(fs.readFileSync(path.join(dir, 'p.cu'), 'utf8')).toContain('attnc::amin(q, (-2147483647 - 1))');
    expect(cppSyntaxErrors([{ dir, name: 'p' }])).toEqual([]);
  });
});

describe('imports', () => {
  it('a chain of 6000 imports loads (was: internal error "Maximum call stack size exceeded")', () => {
    const dir = tmpDir();
    const n = 6000;
    for (let i = 0; i < n; i++) fs.writeFileSync(path.join(dir, `f${i}.attn`), i + 1 < n ? `import "f${i + 1}.attn"\n` : 'fn leaf() = 3\n');
    const main = path.join(dir, 'main.attn');
    fs.writeFileSync(main, 'import "f0.attn"\npattern p() {\n  allow q - k < leaf()\n}\n');
    const diags = new Diagnostics();
    const prog = checkSource({ name: main, text: fs.readFileSync(main, 'utf8') }, diags, readFromDisk, { importRoots: [dir] });
    expect(diags.items.map((d) => d.code)).toEqual([]);
    expect(prog?.patterns.map((p) => p.name)).toEqual(['p']);
  });

  it('an entry named `./x/main.attn` that is imported back as `main.attn` is one file in a cycle (was: loaded twice)', () => {
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'b.attn'), 'import "main.attn"\nfn fb() = 2\n');
    const text = 'import "b.attn"\npattern p() {\n  allow k < fb()\n}\n';
    fs.writeFileSync(path.join(dir, 'main.attn'), text);
    const name = `.${path.sep}${path.relative(process.cwd(), path.join(dir, 'main.attn'))}`;
    const diags = new Diagnostics();
    expect(checkSource({ name, text }, diags, readFromDisk)).toBeUndefined();
    expect(diags.items.map((d) => d.code)).toEqual(['import_cycle']);
    const cycle = diags.items[0].notes?.join(' ') ?? '';
    expect(cycle.match(/main\.attn/g)).toHaveLength(2);
    expect(cycle.match(/b\.attn/g)).toHaveLength(1);
  });
});

describe('generated TypeScript type-checks as a strict consumer compiles it', () => {
  /** Emits `<name>.ts` importing `attnc/webgpu` into a fresh ES-module folder; its type errors. */
  const typeErrors = async (source: string) => {
    const bound = bindText(source);
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    const files: string[] = [];
    for (const f of await TARGETS.ts.emit({ bound, lowered: lowerToPlanner(bound), sourceName: 'p.attn', runtimeImport: 'attnc/webgpu' })) {
      fs.writeFileSync(path.join(dir, f.name), f.contents);
      files.push(path.join(dir, f.name));
    }
    return { text: fs.readFileSync(files[0], 'utf8'), errors: [...tsTypeErrors(files).values()].flat() };
  };

  it('a mask whose tiles are decided by constants (was: TS2367 on `return 0 === 1 ? 2 : 0 === 0 ? 0 : 1`)', async () => {
    // A compile-time flag that turns the mask off, and one that turns it fully on.
    for (const [src, cls] of [['pattern p(on: bool = false) {\n  allow on\n}\n', '0'], ['pattern p(on: bool = true) {\n  allow on || q < k\n}\n', '2']]) {
      const r = await typeErrors(src);
      expect(r.errors, src).toEqual([]);
      expect(r.text).toMatch(new RegExp(`classify\\(q0, q1, k0, k1\\) \\{\\s*return ${cls};`));
    }
  }, 60_000);

  it('a size compared with two constants, and a select of constants compared with one (was: TS2367 after narrowing)', async () => {
    // In `q_len !== 64 || -1 === q_len` TypeScript narrows the second q_len to the type 64; a select of
    // constants has a union of literal types. Both no longer reach a comparison as literal types.
    for (const src of [
      'pattern p() {\n  causal\n  require (q_len != 64) || ((-1) == q_len)\n}\n',
      'pattern p(c: int = 4) {\n  allow select(q_len > 8, select(c > 2, 2, 8), 1000) != -1 && select(k > 3, 0, 2) == 1 || k <= q\n}\n',
    ]) expect((await typeErrors(src)).errors, src).toEqual([]);
  }, 60_000);

  it('per-batch input arrays read by the head slots', async () => {
    const r = await typeErrors('pattern p(input prefix: int[batch]) {\n  allow k <= q || k < prefix[b]\n}\n');
    expect(r.errors).toEqual([]);
  }, 60_000);

  it('interval helpers under noUncheckedIndexedAccess (was: TS18048 `l6` is possibly undefined, from `rt.R[0]`)', async () => {
    const r = await typeErrors('pattern p() {\n  causal\n  allow (q_len + 64 - 1) / 64 > k / 64\n}\n');
    expect(r.text).toContain('rt.R[0]');
    expect(r.errors).toEqual([]);
  }, 60_000);
});
