/**
 * Runtime values and input arrays become keyword arguments of the generated Python loader's
 * `attention`, so names it cannot take are refused at check time (`reserved_name`, at the
 * name); names that every target can take (Python soft keywords, C/C++/WGSL/TypeScript
 * keywords, which the other targets prefix) compile to a loader that Python compiles and a
 * .cu that g++ compiles.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { CUDA_RUNTIME_INCLUDE } from '../../bench/cuda/host.ts';
import { TARGETS } from '../../compiler/4-emit/targets.ts';
import { lowerToPlanner } from '../../compiler/pipeline.ts';
import { bindText, checkText } from '../helpers/compile.ts';

const has = (cmd: string) => spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;

const REFUSED = ['def', 'class', 'None', 'True', 'False', 'async', 'await', 'lambda', 'yield', 'nonlocal', '__debug__', 'v', 'scale', 'block_kv', 'return_lse', 'deterministic', 'os', 'define_attention', '_attention', 'attention'];
const ACCEPTED = ['match', 'case', 'type', '_', 'default', 'new', 'struct', 'template', 'this', 'delete', 'function', 'var', 'loop', 'self', 'print', 'math'];

describe('names the generated code reserves', () => {
  for (const mode of ['runtime', 'input'] as const) {
    it(`refuses ${mode === 'runtime' ? 'a runtime value' : 'an input array'} named as the Python loader cannot take, at its name`, () => {
      for (const name of REFUSED) {
        const decl = mode === 'runtime' ? `runtime ${name}: int = 1` : `input ${name}: int[kv_len]`;
        const use = mode === 'runtime' ? `q - k < ${name}` : `${name}[k] == 1`;
        const { diags } = checkText(`pattern p(${decl}) {\n  allow ${use}\n}\n`);
        const errors = diags.items.filter((d) => d.severity === 'error');
        expect(errors.map((d) => d.code), name).toEqual(['reserved_name']);
        const span = errors[0].span!;
        expect([span.line, span.col, span.end - span.start], name).toEqual([1, 11 + mode.length + 1, name.length]);
        expect(errors[0].message, name).toContain(`\`${name}\``);
      }
    });
  }

  it("refuses every name of the generated loader's signature and module globals", async () => {
    const bound = bindText('pattern p() {\n  causal\n}\n');
    const py = (await TARGETS.cuda.emit({ bound, lowered: lowerToPlanner(bound), sourceName: 'p.attn', runtimeImport: '../runtime' })).find((f) => f.name === 'p.py')!.contents;
    const signature = /^def attention\(([^)]*)\)/m.exec(py)![1].split(',').map((a) => a.trim().replace(/=.*$/, '')).filter((a) => a && a !== '*');
    const globals = [...py.matchAll(/^(?:import (\w+)|from \S+ import (\w+)|(\w+) = |def (\w+)\()/gm)].map((m) => m.slice(1).find(Boolean)!);
    const names = [...signature, ...globals].filter((n) => n !== 'q' && n !== 'k');  // q and k are built in
    expect(names).toEqual(expect.arrayContaining(['v', 'scale', 'os', '_attention', 'attention']));
    for (const name of names) {
      const { diags } = checkText(`pattern p(runtime ${name}: int = 1) {\n  allow q - k < ${name}\n}\n`);
      expect(diags.items.map((d) => d.code), name).toEqual(['reserved_name']);
    }
  });

  it("refuses every name of the FlexAttention module's signatures and the globals they read", async () => {
    const bound = bindText('pattern p() {\n  causal\n}\n');
    const py = (await TARGETS.flex.emit({ bound, lowered: lowerToPlanner(bound), sourceName: 'p.attn', runtimeImport: '../runtime' }))[0].contents;
    const signatures = [...py.matchAll(/^def (?:mask_mod|block_mask)\(([^)]*)\)/gm)].flatMap((m) => m[1].split(',').map((a) => a.trim().replace(/=.*$/, '')));
    const bodies = [...py.matchAll(/^ {4}return (_\w+)\.\w+\((_\w+)/gm)].flatMap((m) => [m[1], m[2]]);
    const names = [...new Set([...signatures, ...bodies])].filter((n) => n && n !== '*' && !['q_len', 'kv_len', 'heads'].includes(n));
    expect(names.sort()).toEqual(['_PATTERN', '_flex', 'batch', 'block_size', 'device']);
    for (const name of names) {
      const { diags } = checkText(`pattern p(runtime ${name}: int = 1) {\n  allow q - k < ${name}\n}\n`);
      expect(diags.items.map((d) => d.code), name).toEqual(['reserved_name']);
    }
  });

  it('lets a compile-time parameter take such a name (it is folded, not an argument)', () => {
    const { diags } = checkText('pattern p(def: int = 3, scale: int = 2) {\n  allow q - k < def * scale\n}\n');
    expect(diags.items.filter((d) => d.severity === 'error')).toEqual([]);
  });

  it('compiles names every target can take (soft keywords, C/C++/WGSL/TS keywords)', async () => {
    const params = ACCEPTED.map((n, i) => (i % 2 ? `input ${n}: int[kv_len]` : `runtime ${n}: int = 1`));
    const uses = ACCEPTED.map((n, i) => (i % 2 ? `${n}[k] == 1` : `q - k < ${n}`));
    await compilesEverywhere(`pattern names(${params.join(', ')}) {\n  allow ${uses.join(' || ')}\n}\n`);
  }, 60_000);

  it('compiles input arrays whose names extend one another (`x` and `x_q`: no C++ field is declared twice)', async () => {
    await compilesEverywhere('pattern names(input x: int[kv_len], input x_q: int[q_len], input x_k: int[kv_len]) {\n  allow x[k] == x_q[q] || x_k[k] == 0\n}\n');
  }, 60_000);
});

/** Emits the TypeScript and CUDA targets of `text` (pattern `names`) and parses or compiles each file. */
async function compilesEverywhere(text: string) {
  const bound = bindText(text);
  const lowered = lowerToPlanner(bound);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attnc-names-'));
  for (const t of ['cuda', 'ts', 'flex']) for (const f of await TARGETS[t].emit({ bound, lowered, sourceName: 'names.attn', runtimeImport: '../runtime' })) fs.writeFileSync(path.join(dir, f.name), f.contents);
  const tsOut = ts.transpileModule(fs.readFileSync(path.join(dir, 'names.ts'), 'utf8'), { reportDiagnostics: true });
  expect(tsOut.diagnostics ?? []).toEqual([]);
  if (has('python3')) {
    for (const f of ['names.py', 'names_flex.py']) execFileSync('python3', ['-c', 'import sys; compile(open(sys.argv[1], "rb").read(), sys.argv[1], "exec")', path.join(dir, f)]);
  }
  if (has('g++')) {
    fs.mkdirSync(path.join(dir, 'stub'));
    fs.writeFileSync(path.join(dir, 'stub', 'cuda_runtime.h'), 'typedef struct CUstream_st* cudaStream_t;\n');
    execFileSync('g++', ['-fsyntax-only', '-x', 'c++', '-std=c++17', '-DATTNC_HOST_ONLY', '-I', path.join(dir, 'stub'), '-I', dir, '-I', CUDA_RUNTIME_INCLUDE, path.join(dir, 'names.cu')], { stdio: 'pipe' });
  }
  fs.rmSync(dir, { recursive: true, force: true });
}
