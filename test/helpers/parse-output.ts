/**
 * Parses generated files as their languages read them, in batches: TypeScript with the
 * TypeScript parser (in process), Python with one `python3` for many files (`compile` on the
 * bytes, so a coding declaration applies, then `ast.parse`), C and C++ with g++/gcc
 * (`-fsyntax-only`, host-only: `ATTNC_HOST_ONLY` hides the device code), WGSL with one Deno
 * process that creates a shader module per file on Deno's WebGPU (wgpu's naga validates it).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { CUDA_RUNTIME_INCLUDE } from '../../bench/cuda/host.ts';
import { NoWebGpuError, runDenoScript } from '../../runtime/webgpu/deno.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

export const has = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;

/** TypeScript syntax errors of `text` (empty when it parses): the parser's own diagnostics. */
export function tsSyntaxErrors(text: string, fileName = 'out.ts'): string[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  const diags = (sf as unknown as { parseDiagnostics: readonly ts.Diagnostic[] }).parseDiagnostics;
  return diags.map((d) => `${d.start}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}

/**
 * The compiler options of a strict consumer of generated TypeScript: `strict` and the checks
 * people add to it, ES modules under Node's resolution, no DOM and no `@types`. `attnc/webgpu`
 * resolves to the runtime's sources in this checkout (what the package's types are built from).
 */
export function tsConsumerOptions(): ts.CompilerOptions {
  return {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2022.d.ts'],
    types: [],
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
    noImplicitOverride: true,
    noImplicitReturns: true,
    noFallthroughCasesInSwitch: true,
    noPropertyAccessFromIndexSignature: true,
    verbatimModuleSyntax: true,
    isolatedModules: true,
    allowImportingTsExtensions: true,
    noEmit: true,
    skipLibCheck: true,
    paths: { 'attnc/webgpu': [path.resolve(here, '../../runtime/webgpu/index.ts')] },
  };
}

/**
 * Type errors of generated TypeScript files (importing `attnc/webgpu`), with the options of
 * `tsConsumerOptions`: one program for all the files, so the runtime and the standard library
 * are checked once. Only the given files' own diagnostics count. Files in a folder whose
 * `package.json` does not say `"type": "module"` are CommonJS to NodeNext: write one.
 */
export function tsTypeErrors(files: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (!files.length) return out;
  const program = ts.createProgram({ rootNames: files, options: tsConsumerOptions() });
  for (const f of files) {
    const sf = program.getSourceFile(f);
    if (!sf) {
      out.set(f, ['not part of the program']);
      continue;
    }
    const diags = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)];
    if (!diags.length) continue;
    out.set(f, diags.map((d) => {
      const at = d.start !== undefined ? sf.getLineAndCharacterOfPosition(d.start) : undefined;
      return `${at ? `${at.line + 1}:${at.character + 1}: ` : ''}TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    }));
  }
  return out;
}

const PY_BATCH = `
import ast, json, sys
bad = {}
for f in json.load(open(sys.argv[1])):
    try:
        src = open(f, "rb").read()
        compile(src, f, "exec")
        ast.parse(src)
    except Exception as e:
        bad[f] = "%s: %s" % (type(e).__name__, e)
json.dump(bad, open(sys.argv[2], "w"))
`;

/** Python files that do not compile, with the error; one python3 process for all. */
export function pythonSyntaxErrors(files: readonly string[]): Map<string, string> {
  if (!files.length) return new Map();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attnc-py-'));
  try {
    const list = path.join(dir, 'files.json'), result = path.join(dir, 'result.json');
    fs.writeFileSync(list, JSON.stringify(files));
    const r = spawnSync('python3', ['-c', PY_BATCH, list, result], { encoding: 'utf8', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
    if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
    return new Map(Object.entries(JSON.parse(fs.readFileSync(result, 'utf8')) as Record<string, string>));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Writes the stub headers a syntax check of the C/C++ host code needs into `stub`: the one
 * CUDA runtime type the extern "C" header uses, and just enough of the PyTorch binding.
 */
export function writeCppStubs(stub: string): void {
  fs.mkdirSync(path.join(stub, 'attnc'), { recursive: true });
  fs.writeFileSync(path.join(stub, 'cuda_runtime.h'), 'typedef struct CUstream_st* cudaStream_t;\n');
  fs.writeFileSync(path.join(stub, 'attnc', 'torch_binding.h'), [
    '#include <cstdint>', '#include <vector>',
    'namespace at { struct Tensor { template <class T> T* data_ptr() const { return nullptr; } }; }',
    '#define ATTNC_TORCH_MODULE(B) static auto attnc_module_check = &B::setValues;', '',
  ].join('\n'));
}

/** One pattern's C/C++ files: `<name>.h`, `<name>.cu`, `<name>_torch.cpp`, all in `dir`. */
export interface CppUnit {
  readonly dir: string;
  readonly name: string;
}

/** Error lines of a compiler run (`file:line:col: error: ...` and fatal errors). */
const errorLines = (stderr: string) => stderr.split('\n').filter((l) => /\b(error|fatal error)\b/.test(l));

/**
 * Syntax-checks the C and C++ host code of several patterns in one g++ (C++: header, host
 * half of the .cu, PyTorch binding) and one gcc (C: the header) run. Pattern names must
 * differ (each pattern's symbols carry its name). Returns the compiler's error lines, empty
 * when everything compiles.
 */
export function cppSyntaxErrors(units: readonly CppUnit[], opts: { c?: boolean } = {}): string[] {
  if (!units.length) return [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attnc-cpp-'));
  try {
    const stub = path.join(dir, 'stub');
    writeCppStubs(stub);
    const inc = (u: CppUnit, f: string) => `#include ${JSON.stringify(path.join(u.dir, f))}`;
    // The stub binding first: each _torch.cpp then finds it (and its own header) included
    // already, so that it can sit in a namespace of its own (its helpers are unnamed).
    const cpp = ['#include "attnc/torch_binding.h"'];
    units.forEach((u, i) => cpp.push(inc(u, `${u.name}.h`), inc(u, `${u.name}.cu`), `namespace attnc_fuzz_unit_${i} {`, inc(u, `${u.name}_torch.cpp`), '}'));
    fs.writeFileSync(path.join(dir, 'all.cpp'), `${cpp.join('\n')}\n`);
    const errs: string[] = [];
    // A failed run's error lines, or its whole output when it printed none in that form.
    const failed = (r: { status: number | null; stderr: string }, tool: string) => {
      const lines = errorLines(r.stderr);
      return lines.length ? lines : [r.stderr || `${tool} exit ${r.status}`];
    };
    const cxx = spawnSync('g++', ['-fsyntax-only', '-x', 'c++', '-std=c++17', '-trigraphs', '-Werror=comment', '-DATTNC_HOST_ONLY', '-I', stub, '-I', CUDA_RUNTIME_INCLUDE, path.join(dir, 'all.cpp')], { encoding: 'utf8' });
    if (cxx.status !== 0) errs.push(...failed(cxx, 'g++'));
    if (opts.c !== false) {
      fs.writeFileSync(path.join(dir, 'all.c'), `${units.map((u) => inc(u, `${u.name}.h`)).join('\n')}\n`);
      const c = spawnSync('gcc', ['-fsyntax-only', '-x', 'c', '-Werror=comment', '-I', stub, path.join(dir, 'all.c')], { encoding: 'utf8' });
      if (c.status !== 0) errs.push(...failed(c, 'gcc'));
    }
    return errs;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Why WGSL cannot be checked here (no Deno, no adapter), or undefined when it can. */
let wgslUnavailable: string | undefined;

/**
 * WGSL files that do not compile, with the compiler's messages: one Deno process creates a
 * shader module for each on Deno's WebGPU. `unavailable` says why nothing was checked.
 */
export function wgslErrors(files: readonly string[]): { errors: Map<string, string>; unavailable?: string } {
  if (wgslUnavailable) return { errors: new Map(), unavailable: wgslUnavailable };
  if (!files.length) return { errors: new Map() };
  try {
    return { errors: new Map(Object.entries(runDenoScript<Record<string, string>>(path.join(here, 'wgsl-validate.deno.ts'), files, 'the Deno WGSL check'))) };
  } catch (e) {
    if (e instanceof NoWebGpuError) return { errors: new Map(), unavailable: (wgslUnavailable = e.message) };
    throw e;
  }
}
