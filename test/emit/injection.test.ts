/**
 * Text from a pattern file (`///` docs of a pattern, a runtime value and an input array; assert
 * messages) and the source file's name reach every generated file. Each adversarial case below
 * is compiled to every target and the output is parsed as its language reads it: TypeScript
 * with the TypeScript parser, Python with `compile` (which honours a coding declaration), C and
 * C++ with g++ (comments removed by the preprocessor, then a syntax check), WGSL by its line
 * breaks. The injected code must not appear outside comments and strings.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { CUDA_RUNTIME_INCLUDE } from '../../bench/cuda/host.ts';
import { TARGETS, type EmittedFile } from '../../compiler/4-emit/targets.ts';
import { lowerToPlanner } from '../../compiler/pipeline.ts';
import { bindText } from '../helpers/compile.ts';
import { has, writeCppStubs } from '../helpers/parse-output.ts';

const haveGpp = has('g++', ['--version']);
const haveGcc = has('gcc', ['--version']);
const havePython = has('python3', ['--version']);

/** Marks injected code: it may appear in comments and strings only. */
const MARK = 'INJECTED';

/** Adversarial `///` doc lines (one line each: a doc comment ends at LF). */
const DOCS: Record<string, string> = {
  'TypeScript block comment end': `x */ console.log("${MARK}") /*`,
  'Python docstring end': `x """; import os; os.system("${MARK}") """`,
  'C block comment end': `*/ static inline int x = (puts("${MARK}"), 0); /*`,
  // A lone CR ends a `///` doc in the lexer (as LF does); these other line breaks stay in the doc.
  'VT, FF, NEL and line separator': `a\vb\fc\u0085d\u2028puts("${MARK}"); console.log("${MARK}"); import os; os.system("${MARK}")`,
  'backslash and NUL': 'back\\slash \\ NUL \0 \\n \\x00 \\',
  'trailing backslash (C line splice)': 'ends in a backslash \\',
  'trigraph backslash': 'ends in a trigraph ??/',
  'Python single quotes and raw string': `x ''' \\""" r""" ${MARK}`,
};

/** Adversarial source names (they appear in every file's first line). */
const SOURCES: Record<string, string> = {
  'newline and hash': `sw\nimport os; os.system("${MARK}")#.attn`,
  'carriage return': `sw\rimport os; os.system("${MARK}"); console.log("${MARK}")#.attn`,
  'Python coding declaration (utf-7)': `a coding:utf_7 +AAo-os.system("${MARK}")+AAo-#.attn`,
  'C line splice': `dir\\\nputs("${MARK}"); \\`,
  'JavaScript line separator': `a\u2028console.log("${MARK}")#.attn`,
  'WGSL line breaks': `a\u0085${MARK}\v${MARK}\f${MARK}.attn`,
};

/** An assert message that a C string literal must keep intact (backslash, quote-less `??/`, controls). */
const MESSAGE = 'w \\ ??/ \r \t \x01 \u202e ends \\';

function source(doc: string): string {
  return [
    `/// ${doc}`,
    'pattern evil(',
    `  /// ${doc}`,
    '  runtime w: int = 4,',
    `  /// ${doc}`,
    '  input d: int[kv_len]',
    ') {',
    `  assert w >= 0, "${MESSAGE}"`,
    '  allow q - k < w || d[k] == 1',
    '}',
    '',
  ].join('\n');
}

async function emitAll(doc: string, sourceName: string): Promise<Record<string, string>> {
  const bound = bindText(source(doc));
  const lowered = lowerToPlanner(bound);
  const files: EmittedFile[] = [];
  for (const t of Object.keys(TARGETS)) files.push(...(await TARGETS[t].emit({ bound, lowered, sourceName, runtimeImport: '../runtime' })));
  return Object.fromEntries(files.map((f) => [f.name, f.contents]));
}

/** TypeScript: parses without diagnostics, and no call expression holds the mark. */
function checkTs(text: string) {
  const out = ts.transpileModule(text, { reportDiagnostics: true, compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } });
  expect((out.diagnostics ?? []).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))).toEqual([]);
  const sf = ts.createSourceFile('evil.ts', text, ts.ScriptTarget.ES2022, true);
  const calls: string[] = [];
  const visit = (n: ts.Node) => {
    if (ts.isCallExpression(n) && n.getText(sf).includes(MARK)) calls.push(n.getText(sf));
    if (ts.isIdentifier(n) && n.text === 'console') calls.push(n.getText(sf));
    ts.forEachChild(n, visit);
  };
  visit(sf);
  expect(calls).toEqual([]);
}

const PY_CHECK = `
import ast, sys
ALLOWED_IMPORTS = ("import os", "from attnc.torch_ops import define_attention", "import math", "import torch",
                   "from attnc import flex as _flex", "from attnc.int_ops import fdiv as _fdiv, fmod as _fmod, hash as _hash, wrap as _wrap",
                   "from attnc.float_ops import div as _fdivf, exp as _expf, log as _logf, mod as _fmodf, pow as _powf, sqrt as _sqrtf")
src = open(sys.argv[1], "rb").read()
compile(src, sys.argv[1], "exec")  # a SyntaxError (also for repeated argument names) fails here
tree = ast.parse(src)
bad = []
for node in ast.walk(tree):
    if isinstance(node, ast.Call) and ("${MARK}" in ast.unparse(node) or "system" in ast.unparse(node.func)):
        bad.append(ast.unparse(node))
    if isinstance(node, (ast.Import, ast.ImportFrom)) and node.lineno > 1 and ast.unparse(node) not in ALLOWED_IMPORTS:
        bad.append(ast.unparse(node))
print("\\n".join(bad))
`;

/** Python: compiles (bytes, so that a coding declaration applies), and no call holds the mark. */
function checkPy(file: string) {
  const r = spawnSync('python3', ['-c', PY_CHECK, file], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout.trim()).toBe('');
}

/**
 * C/C++: no `//` comment line ends in a backslash (or the trigraph `??/`), which would continue
 * the comment onto the next line; and the text with comments removed (g++'s preprocessor)
 * holds no mark.
 */
function checkCComments(file: string, lang: 'c' | 'c++') {
  const spliced = fs.readFileSync(file, 'utf8').split(/\r\n|\n|\r/).filter((l) => l.trimStart().startsWith('//') && /(\\|\?\?\/)\s*$/.test(l));
  expect(spliced).toEqual([]);
  const stripped = execFileSync('g++', ['-x', lang, '-E', '-P', '-fpreprocessed', '-trigraphs', '-w', file], { encoding: 'utf8' });
  expect(stripped).not.toContain(MARK);
}

/**
 * Compiles with `cc`; fails on an error anywhere, and on a warning about a generated file: a
 * comment continued onto the next line by a backslash (`-Wcomment`), a trigraph, a NUL.
 */
function compiles(cc: 'g++' | 'gcc', dir: string, args: string[]) {
  const r = spawnSync(cc, ['-Wcomment', '-Wtrigraphs', ...args], { encoding: 'utf8' });
  const own = r.stderr.split('\n').filter((l) => /\b(error|warning)\b/.test(l) && (l.includes('error') || (l.startsWith(dir) && !l.includes('#pragma once'))));
  expect(own).toEqual([]);
  expect(r.status).toBe(0);
}

/** WGSL: every line (split at every WGSL line break) that holds the mark is a `//` comment. */
function checkWgsl(text: string) {
  const lines = text.split(/\r\n|[\n\v\f\r\u0085\u2028\u2029]/);
  expect(lines.filter((l) => l.includes(MARK) && !l.trimStart().startsWith('//'))).toEqual([]);
  expect(text).not.toMatch(/[\0-\x08\x0e-\x1f\x7f]/);
}

async function checkAll(doc: string, sourceName: string) {
  const files = await emitAll(doc, sourceName);
  checkWgsl(files['evil.wgsl']);
  checkTs(files['evil.ts']);
  // The WGSL kernel body embedded in the binding is WGSL too.
  checkWgsl(files['evil.ts'].split('wgslBody = `')[1] ?? '');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attnc-inject-'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  if (havePython) for (const f of ['evil.py', 'evil_flex.py']) checkPy(path.join(dir, f));
  if (haveGpp) {
    for (const f of ['evil.h', 'evil.cu', 'evil_torch.cpp']) checkCComments(path.join(dir, f), 'c++');
    const stub = path.join(dir, 'stub');
    writeCppStubs(stub);
    compiles('g++', dir, ['-fsyntax-only', '-x', 'c++', '-I', stub, path.join(dir, 'evil.h')]);
    compiles('g++', dir, ['-fsyntax-only', '-std=c++17', '-I', stub, '-I', dir, path.join(dir, 'evil_torch.cpp')]);
    compiles('g++', dir, ['-fsyntax-only', '-x', 'c++', '-std=c++17', '-trigraphs', '-DATTNC_HOST_ONLY', '-I', stub, '-I', dir, '-I', CUDA_RUNTIME_INCLUDE, path.join(dir, 'evil.cu')]);
    if (haveGcc) {
      checkCComments(path.join(dir, 'evil.h'), 'c');
      compiles('gcc', dir, ['-fsyntax-only', '-x', 'c', '-I', stub, path.join(dir, 'evil.h')]);
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

describe('user text in generated code', () => {
  for (const [what, doc] of Object.entries(DOCS)) {
    it(`docs: ${what}`, async () => {
      await checkAll(doc, 'patterns/evil.attn');
    }, 60_000);
  }
  for (const [what, name] of Object.entries(SOURCES)) {
    it(`source name: ${what}`, async () => {
      await checkAll('A doc.', name);
    }, 60_000);
  }

  it.runIf(haveGpp)('keeps an assert message intact in the C++ check (backslashes, `??/`, controls)', async () => {
    const bound = bindText(source('doc'));
    const files = await TARGETS.cuda.emit({ bound, lowered: lowerToPlanner(bound), sourceName: 'evil.attn', runtimeImport: '../runtime' });
    {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attnc-inject-msg-'));
      for (const f of files) fs.writeFileSync(path.join(dir, f.name), f.contents);
      fs.mkdirSync(path.join(dir, 'stub'));
      fs.writeFileSync(path.join(dir, 'stub', 'cuda_runtime.h'), 'typedef struct CUstream_st* cudaStream_t;\n');
      fs.writeFileSync(path.join(dir, 'main.cpp'), [
        '#include "evil.cu"', '#include <cstdio>',
        'int main() { attnc_evil_args a{}; a.q_len = 8; a.kv_len = 8; a.heads = 1; a.batch = 1; a.kv_heads = 1; a.p_w = -1;',
        '  const char* m = attnc_evil_check(&a); if (m) fputs(m, stdout); }', '',
      ].join('\n'));
      const exe = path.join(dir, 'main');
      execFileSync('g++', ['-std=c++17', '-trigraphs', '-DATTNC_HOST_ONLY', '-I', path.join(dir, 'stub'), '-I', dir, '-I', CUDA_RUNTIME_INCLUDE, '-o', exe, path.join(dir, 'main.cpp')], { stdio: 'pipe' });
      expect(execFileSync(exe, { encoding: 'utf8' })).toBe(MESSAGE);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it.runIf(havePython && has('python3', ['-c', 'import torch']))('keeps an assert message intact in the FlexAttention module', async () => {
    const bound = bindText(source('doc'));
    const [file] = await TARGETS.flex.emit({ bound, lowered: lowerToPlanner(bound), sourceName: 'evil.attn', runtimeImport: '../runtime' });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attnc-inject-flex-'));
    fs.writeFileSync(path.join(dir, file.name), file.contents);
    const script = 'import sys; sys.path[:0] = sys.argv[1:3]; import evil_flex; sys.stdout.write("".join(evil_flex._failed_asserts(8, 8, 1, {"w": -1})))';
    const out = execFileSync('python3', ['-c', script, dir, path.resolve('runtime/python')], { encoding: 'utf8', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
    expect(out).toBe(MESSAGE);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);
});
