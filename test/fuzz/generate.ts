/**
 * A grammar-based generator of `.attn` programs (fast-check), for the fuzzer in `driver.ts`.
 *
 * Programs follow docs/language.md: one or two patterns, with compile-time, runtime and input
 * parameters (int, float, bool; defaults, ranges), clauses (causal, allow, require, deny),
 * lets, layouts, bias, soft-cap and asserts, plus file-level fns that call each other. Names
 * come from pools that include words other languages reserve (Python, C, WGSL, TypeScript)
 * and names the generated code uses itself; constants include 0, -1 and values near 2^31.
 * Most programs check clean; the rest exercise diagnostics (a constant that overflows, a
 * softcap that is not positive, ...), which is fine: the driver only asks that nothing
 * throws an internal error.
 *
 * Each program comes with the values the driver binds and plans it with: compile-time
 * values as `--param` text, runtime values, and how to fill each input array.
 */
import * as path from 'node:path';
import fc from 'fast-check';
import { setOwn } from '../../compiler/2-check/bind.ts';

/** How the driver fills an input array (deterministically, from `seed`). */
export type InputFill = 'docs' | 'small' | 'negative' | 'large' | 'zero';

/** The values one pattern of a program is bound and planned with. */
export interface PatternValues {
  /** Compile-time and runtime values, as `--param name=value` text. */
  readonly params: Record<string, string>;
  /** Input arrays: the length they are declared with and how to fill them. */
  readonly inputs: Record<string, { readonly length: 'q_len' | 'kv_len' | 'batch'; readonly batched?: boolean; readonly fill: InputFill; readonly seed: number }>;
}

/** A generated program. */
export interface FuzzProgram {
  /** The entry file's text (`root/main.attn` of the program's folder when it has `files`). */
  readonly text: string;
  /** Per pattern name. */
  readonly values: Record<string, PatternValues>;
  /** A program given as a file on disk (`--file`): its path, so that its imports load. */
  readonly entryPath?: string;
  /**
   * The other files of a multi-file program, by path relative to the entry's folder `root/`
   * (`../outside/x.attn` lies outside it); written to a fresh folder per program.
   */
  readonly files?: Record<string, string>;
  /** Symbolic links to create: path (relative to `root/`) -> target as the link holds it. */
  readonly links?: Record<string, string>;
  /** Folders to create (relative to `root/`), such as a folder named `dir.attn`. */
  readonly dirs?: readonly string[];
  /** The hostile import it has, if any (`HOSTILE`). */
  readonly hostile?: string;
  /** Load with `--import-root root/`. */
  readonly importRoot?: boolean;
  /** Diagnostic codes the check must report (for the hostile imports the program has). */
  readonly expectCodes?: readonly string[];
  /**
   * The same program in one file (imports dropped, every file's fns and patterns inlined),
   * when its imports all load: it must check with the same codes and, when clean, plan the
   * entry's patterns the same.
   */
  readonly flat?: string;
}

type Gen = fc.GeneratorValue;
type Ty = 'int' | 'bool' | 'float';

interface FnSig {
  readonly name: string;
  readonly params: readonly Ty[];
  readonly ret: Ty;
}

/** Names in scope where an expression is generated. */
interface Scope {
  ints: string[];
  bools: string[];
  floats: string[];
  /** How each input array in scope may be read: `doc[q]`, `prefix[b]`, `rows[b, k]`, ... */
  inputs: (readonly string[])[];
  axes: string[];
  fns: FnSig[];
  /** Whether q, k, h, b may appear (not in asserts, layout sizes or parameter defaults). */
  point: boolean;
}

const nat = (g: Gen, max: number) => g(fc.nat, { max });
const int = (g: Gen, min: number, max: number) => g(fc.integer, { min, max });
const pick = <T>(g: Gen, xs: readonly T[]): T => xs[nat(g, xs.length - 1)];
const chance = (g: Gen, percent: number) => nat(g, 99) < percent;

/**
 * Identifier pools. Besides plain names: Python soft keywords, C/C++/WGSL/TypeScript
 * keywords and builtins, and names the emitted code uses for its own locals and globals.
 */
const NAMES = [
  'w', 'n', 'x', 'y', 'z', 'a1', 'seg', 'win', 'blk', 'seed', 'stride', 'sink', 'doc', 'pos', 'cap', 'slope', 'temp',
  'match', 'case', 'type', '_', 'self', 'cls', 'args', 'kwargs', 'torch', 'math', 'np', 'tl',
  'static', 'void', 'unsigned', 'long', 'char', 'struct', 'union', 'enum', 'extern', 'auto', 'register', 'typedef',
  'sizeof', 'this', 'template', 'typename', 'namespace', 'operator', 'new', 'delete', 'var', 'const', 'function',
  'loop', 'workgroup', 'uniform', 'storage', 'vec4', 'f32', 'i32', 'u32', 'bitcast', 'select_', 'array', 'ptr',
  'Infinity', 'NaN', 'undefined', 'arguments', 'eval', 'yield', 'await', 'constructor', 'prototype', '__proto__',
  'toString', 'valueOf', 'hasOwnProperty', 'rt', 'u', 'o', 'lse', 's', 'm', 'l', 'p', 'sizes', 'params', 'inputs',
  'slots', 'meta', 'mask', 'classify', 'bind', 'Pattern', 'attnc', 'main', 'blockQ', 'blockKv', 'tile', 'q0', 'k0',
  'score', 'qi', 'kj', 'row', 'col', 'acc', 'i', 'j', 'kv', 'qb', 'kb', 'idx', 'tid', 'lid', 'wid', 'gid',
  'a'.repeat(100), 'x_1_2_3', 'A', 'Z9',
];
/** Pattern names: a name with every emitter's suffixes, keywords of the target languages. */
const PATTERN_NAMES = [
  'p', 'pat', 'sliding', 'main', 'Pattern', 'attention', 'flex', 'torch', 'int32', 'void', 'class', 'def', 'lambda',
  'None', 'True', 'function', 'var', 'loop', 'struct', 'constructor', '__proto__', 'toString', '_', 'a'.repeat(100),
  'x_flex', 'p_torch', 'attnc', 'cuda', 'wgsl',
];
/** Words attnc itself reserves (keywords and built-in names): never generated as names. */
const RESERVED = new Set([
  'pattern', 'fn', 'import', 'let', 'allow', 'require', 'deny', 'causal', 'layout', 'grid', 'bias', 'softcap', 'assert',
  'runtime', 'input', 'in', 'true', 'false', 'int', 'float', 'bool', 'q', 'k', 'h', 'b', 'q_len', 'kv_len', 'heads',
  'abs', 'min', 'max', 'clamp', 'select', 'hash', 'exp', 'log', 'tanh', 'sqrt',
]);
/**
 * Names a runtime value or input array may not take (`reserved_name`: Python keywords and
 * the loader's and FlexAttention module's own names); fine for compile-time parameters.
 */
const PY_RESERVED = new Set([
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif',
  'else', 'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'is', 'lambda', 'nonlocal', 'not', 'or', 'pass',
  'raise', 'return', 'try', 'while', 'with', 'yield', '__debug__', 'v', 'scale', 'block_kv', 'return_lse', 'deterministic',
  'os', 'define_attention', '_attention', 'attention', 'batch', 'block_size', 'device', '_flex', '_PATTERN',
]);

const SMALL_INTS = ['0', '1', '2', '3', '4', '7', '8', '16', '31', '64', '100', '128', '1_000'];
const TRICKY_INTS = ['0', '-1', '2147483647', '2147483646', '-2147483647', '-2147483647 - 1', '1073741824', '65536', '1000003', '46341', '32768'];
const FLOATS = ['0.5', '1.0', '2.0', '0.125', '1e-3', '30.0', '1.5e1', '3.0e38', '1e-38', '1e-45', '0.0', '100.0', '2.5'];
/** Doc-comment and assert-message text: plain, and text that is code in some output language. */
const TEXTS = [
  'A doc.', 'window size in tokens', '*/ x /*', '""" x """', "''' x '''", 'ends in a backslash \\', 'trigraph ??/',
  '${x} `t`', '<script>', '#include <x>', 'a\u2028b', 'a\u0085b', 'tab\there', '\u202e rtl', 'null \0 byte', 'é ü 中文 🚀',
  '%s %d {0}', '\\n \\x00', '-- x', '# x', '// x', '*/', '/*',
];

function freshName(g: Gen, used: Set<string>, pool: readonly string[] = NAMES): string {
  for (let tries = 0; tries < 8; tries++) {
    const n = pick(g, pool);
    if (!used.has(n) && !RESERVED.has(n)) {
      used.add(n);
      return n;
    }
  }
  let i = 0;
  while (used.has(`v${i}`)) i++;
  used.add(`v${i}`);
  return `v${i}`;
}

/** An int literal, sometimes negative; never a bare `-2147483648` (that is `-(2147483648)`). */
function intLit(g: Gen): string {
  const v = chance(g, 75) ? pick(g, SMALL_INTS) : pick(g, TRICKY_INTS);
  return v.startsWith('-') ? `(${v})` : v;
}

function intExpr(g: Gen, s: Scope, depth: number): string {
  if (depth <= 0 || chance(g, 30)) return intLeaf(g, s);
  const d = depth - 1;
  const sub = () => intExpr(g, s, d);
  switch (nat(g, 12)) {
    case 0: case 1: return `${sub()} ${pick(g, ['+', '-', '*'])} ${sub()}`;
    case 2: return `(${sub()} ${pick(g, ['+', '-'])} ${sub()})`;
    case 3: return `${sub()} ${pick(g, ['/', '%'])} ${chance(g, 60) ? pick(g, ['2', '3', '7', '16', '64', '1000003', '(-1)', '2147483647']) : `(${sub()})`}`;
    case 4: return `-${intLeaf(g, s)}`;
    case 5: return `abs(${sub()})`;
    case 6: return `${pick(g, ['min', 'max'])}(${sub()}, ${sub()}${chance(g, 30) ? `, ${sub()}` : ''})`;
    case 7: return `clamp(${sub()}, ${sub()}, ${sub()})`;
    case 8: return `select(${boolExpr(g, s, d)}, ${sub()}, ${sub()})`;
    case 9: return `hash(${sub()}${chance(g, 60) ? `, ${sub()}` : ''}${chance(g, 30) ? `, ${sub()}` : ''})`;
    case 10: return call(g, s, 'int', d) ?? sub();
    case 11: return `(${sub()}) ${pick(g, ['*', '%', '/'])} ${pick(g, ['2', 'heads', 'kv_len', 'q_len'])}`;
    default: return `(${sub()})`;
  }
}

function intLeaf(g: Gen, s: Scope): string {
  const options: (() => string)[] = [() => intLit(g), () => pick(g, ['q_len', 'kv_len', 'heads'])];
  if (s.point) options.push(() => pick(g, ['q', 'k', 'q', 'k', 'h', 'b']), () => pick(g, ['q - k', 'k - q', 'q', 'k']));
  if (s.ints.length) options.push(() => pick(g, s.ints), () => pick(g, s.ints));
  if (s.point && s.inputs.length) options.push(() => pick(g, pick(g, s.inputs)));
  if (s.point && s.axes.length) options.push(() => `${pick(g, ['q', 'k'])}.${pick(g, s.axes)}`, () => `${pick(g, ['q', 'k'])}.${pick(g, s.axes)}`);
  return pick(g, options)();
}

function boolExpr(g: Gen, s: Scope, depth: number): string {
  const d = Math.max(depth - 1, 0);
  const i = () => intExpr(g, s, d);
  const leafOnly = depth <= 0;
  switch (nat(g, leafOnly ? 4 : 12)) {
    case 0: case 1: return `${i()} ${pick(g, ['<', '<=', '>', '>=', '==', '!='])} ${i()}`;
    case 2: return s.bools.length ? pick(g, s.bools) : `${i()} < ${i()}`;
    case 3: return `${i()} in {${Array.from({ length: int(g, 1, 4) }, () => intLit(g)).join(', ')}}`;
    case 4: return `${i()} in ${intExpr(g, s, 0)}..${intExpr(g, s, 0)}`;
    case 5: return `${i()} ${pick(g, ['<', '<='])} ${i()} ${pick(g, ['<', '<='])} ${i()}`;
    case 6: case 7: return `(${boolExpr(g, s, d)}) ${pick(g, ['&&', '||'])} (${boolExpr(g, s, d)})`;
    case 8: return `!(${boolExpr(g, s, d)})`;
    case 9: return pick(g, ['true', 'false']);
    case 10: return `select(${boolExpr(g, s, d)}, ${boolExpr(g, s, d)}, ${boolExpr(g, s, d)})`;
    case 11: return call(g, s, 'bool', d) ?? `${i()} == ${i()}`;
    default: return 'true';
  }
}

function floatExpr(g: Gen, s: Scope, depth: number): string {
  const d = Math.max(depth - 1, 0);
  const f = () => floatExpr(g, s, d);
  if (depth <= 0 || chance(g, 30)) {
    const leaves: (() => string)[] = [() => pick(g, FLOATS), () => `float(${intExpr(g, s, 1)})`];
    if (s.floats.length) leaves.push(() => pick(g, s.floats));
    return pick(g, leaves)();
  }
  switch (nat(g, 9)) {
    case 0: case 1: return `${f()} ${pick(g, ['+', '-', '*', '/'])} ${f()}`;
    case 2: return `${pick(g, ['exp', 'log', 'tanh', 'sqrt'])}(${f()})`;
    case 3: return `${f()} ** ${pick(g, ['2.0', '0.5', '-1.0', f()])}`;
    case 4: return `-(${f()})`;
    case 5: return `select(${boolExpr(g, s, d)}, ${f()}, ${f()})`;
    case 6: return `${intExpr(g, s, d)} * ${f()}`;
    case 7: return call(g, s, 'float', d) ?? f();
    default: return `(${f()})`;
  }
}

function exprOf(g: Gen, s: Scope, t: Ty, depth: number): string {
  return t === 'int' ? intExpr(g, s, depth) : t === 'bool' ? boolExpr(g, s, depth) : floatExpr(g, s, depth);
}

function call(g: Gen, s: Scope, ret: Ty, depth: number): string | undefined {
  const fns = s.fns.filter((f) => f.ret === ret);
  if (!fns.length) return undefined;
  const fn = pick(g, fns);
  return `${fn.name}(${fn.params.map((t) => exprOf(g, s, t === 'float' ? 'int' : t, Math.min(depth, 1))).join(', ')})`;
}

/** File-level fns: each may call the ones before it (never itself). */
function genFns(g: Gen, used: Set<string>, before: readonly FnSig[] = []): { text: string[]; fns: FnSig[] } {
  const fns: FnSig[] = [];
  const text: string[] = [];
  for (let n = nat(g, 3); n > 0; n--) {
    const name = freshName(g, used);
    const params: { name: string; t: Ty }[] = [];
    const local = new Set<string>();
    for (let i = nat(g, 3); i > 0; i--) params.push({ name: chance(g, 15) ? pick(g, ['h', 'q', 'k']) : freshName(g, local), t: chance(g, 75) ? 'int' : 'bool' });
    const names = new Set(params.map((p) => p.name));
    const uniq = params.filter((p, i) => params.findIndex((x) => x.name === p.name) === i);
    const ret: Ty = pick(g, ['int', 'bool', 'bool', 'float']);
    const scope: Scope = {
      ints: uniq.filter((p) => p.t === 'int').map((p) => p.name),
      bools: uniq.filter((p) => p.t === 'bool').map((p) => p.name),
      floats: [], inputs: [], axes: [], fns: [...before, ...fns], point: !names.has('q') || !names.has('k'),
    };
    const body = exprOf(g, scope, ret, 2);
    const decl = chance(g, 50) || ret === 'float' ? ` -> ${ret}` : '';
    if (chance(g, 20)) text.push(`/// ${pick(g, TEXTS)}`);
    text.push(`fn ${name}(${uniq.map((p) => `${p.name}: ${p.t}`).join(', ')})${decl} = ${body}`);
    fns.push({ name, params: uniq.map((p) => p.t), ret });
  }
  return { text, fns };
}

interface ParamDecl {
  readonly name: string;
  readonly mode: 'const' | 'runtime' | 'input';
  readonly type: Ty;
  readonly text: string;
  /** For input arrays: how the array may be read. */
  readonly reads?: readonly string[];
}

function genParam(g: Gen, used: Set<string>, values: { params: Record<string, string>; inputs: PatternValues['inputs'] }): ParamDecl {
  const mode = pick(g, ['const', 'const', 'const', 'runtime', 'runtime', 'input'] as const);
  let name = freshName(g, used);
  if (mode !== 'const' && PY_RESERVED.has(name)) name = freshName(g, used, ['w', 'n', 'x', 'seg', 'win', 'blk', 'sink', 'doc2', 'pos', 'cap', 'y2']);
  if (mode === 'input') {
    const token = chance(g, 80) ? 'kv_len' : 'q_len';
    // Per-batch arrays: one value per batch element, or a row of tokens per batch element.
    const kind = pick(g, ['token', 'token', 'token', 'batch', 'rows'] as const);
    const length = kind === 'batch' ? 'batch' : token;
    setOwn(values.inputs, name, { length, ...(kind === 'rows' ? { batched: true } : {}), fill: pick(g, ['docs', 'docs', 'small', 'negative', 'large', 'zero'] as const), seed: nat(g, 1000) });
    const reads = kind === 'batch' ? [`${name}[b]`] : kind === 'rows' ? [`${name}[b, q]`, `${name}[b, k]`] : [`${name}[q]`, `${name}[k]`];
    return { name, mode, type: 'int', text: `input ${name}: int[${kind === 'rows' ? 'batch, ' : ''}${length}]`, reads };
  }
  const type: Ty = pick(g, ['int', 'int', 'int', 'bool', 'float']);
  let decl = `${mode === 'runtime' ? 'runtime ' : ''}${name}: ${type}`;
  let value: string | undefined;
  if (type === 'int') {
    let lo: number | undefined, hi: number | undefined;
    if (chance(g, 40)) {
      lo = pick(g, [0, 1, -5, 16]);
      hi = chance(g, 50) ? lo + int(g, 1, 5000) : undefined;
      decl += ` in ${lo < 0 ? `(${lo})` : lo}..${hi ?? ''}`;
    }
    const pickValue = () => {
      const v = chance(g, 70) ? int(g, 0, 300) : pick(g, [0, -1, 2147483647, 2147483646, -2147483647, 1073741824, 65536, 46341]);
      return lo === undefined ? v : hi === undefined ? Math.max(lo, v) : lo + (((v - lo) % (hi - lo)) + (hi - lo)) % (hi - lo);
    };
    if (chance(g, 85)) {
      const d = pickValue();
      decl += ` = ${d < 0 ? `-${-d}` : d}`;
    } else value = String(pickValue());
    if (value === undefined && chance(g, 30)) value = String(pickValue());
  } else if (type === 'bool') {
    if (chance(g, 85)) decl += ` = ${pick(g, ['true', 'false'])}`;
    else value = pick(g, ['true', 'false']);
  } else {
    const lit = () => pick(g, ['0.5', '1.0', '2.0', '30.0', '1e-3', '50.0', '3.0e38', '0.0', '-1.0']);
    if (chance(g, 85)) decl += ` = ${lit()}`;
    else value = lit();
  }
  if (value !== undefined) setOwn(values.params, name, value);
  return { name, mode, type, text: decl };
}

function genPattern(g: Gen, name: string, fileNames: Set<string>, fns: FnSig[]): { text: string; values: PatternValues } {
  const values = { params: {} as Record<string, string>, inputs: {} as PatternValues['inputs'] };
  const used = new Set(fileNames);
  const params: ParamDecl[] = [];
  for (let n = nat(g, 4); n > 0; n--) params.push(genParam(g, used, values));
  const scope: Scope = {
    ints: params.filter((p) => p.mode !== 'input' && p.type === 'int').map((p) => p.name),
    bools: params.filter((p) => p.type === 'bool').map((p) => p.name),
    floats: [],
    inputs: params.filter((p) => p.mode === 'input').map((p) => p.reads ?? []),
    axes: [], fns, point: true,
  };
  const floats = params.filter((p) => p.type === 'float').map((p) => p.name);
  const body: string[] = [];
  // Asserts and layout sizes: parameters and sizes only.
  const sizeScope: Scope = { ...scope, ints: [...scope.ints], bools: [...scope.bools], inputs: [], point: false, fns: [] };
  if (chance(g, 25)) {
    const axes = Array.from({ length: int(g, 1, 3) }, () => freshName(g, used, ['t', 'y', 'x', 'c', 'r', 'frame', 'var', 'u']));
    const size = () => (chance(g, 60) ? pick(g, ['4', '8', '3', '16', '1', '1_000', '2147483647']) : intExpr(g, sizeScope, 1));
    body.push(`layout grid(${axes.map((a) => `${a}: ${size()}`).join(', ')})`);
    scope.axes = axes;
  }
  if (chance(g, 40)) body.push('causal');
  for (let n = nat(g, 2); n > 0; n--) {
    const name = freshName(g, used);
    const t = pick(g, ['int', 'int', 'bool'] as const);
    body.push(`let ${name} = ${exprOf(g, scope, t, 2)}`);
    (t === 'int' ? scope.ints : scope.bools).push(name);
  }
  const clauses = int(g, body.includes('causal') ? 0 : 1, 4);
  for (let n = 0; n < clauses; n++) body.push(`${pick(g, ['allow', 'allow', 'allow', 'require', 'deny'])} ${boolExpr(g, scope, int(g, 1, 3))}`);
  const fscope: Scope = { ...scope, floats };
  if (chance(g, 40) || floats.length) body.push(`bias = ${floatExpr(g, fscope, 2)}`);
  if (chance(g, 25)) body.push(`softcap = ${chance(g, 50) ? pick(g, ['30.0', '50.0', '0.5', '1e-3', ...floats]) : floatExpr(g, fscope, 1)}`);
  if (chance(g, 25)) body.push(`assert ${boolExpr(g, sizeScope, 1)}, "${pick(g, TEXTS).replace(/["\n]/g, "'")}"`);
  if (chance(g, 10)) body.push(`let unused_${nat(g, 9)} = 1`);
  const docs = chance(g, 30) ? `/// ${pick(g, TEXTS)}\n` : '';
  const plist = params.map((p) => `${chance(g, 15) ? `/// ${pick(g, TEXTS)}\n  ` : ''}${p.text}`);
  const sep = chance(g, 15) ? ';' : '';
  const header = `${docs}pattern ${name}(${plist.length > 2 ? `\n  ${plist.join(',\n  ')}\n` : plist.join(', ')}${chance(g, 10) && plist.length ? ',' : ''})`;
  return { text: `${header} {\n${body.map((l) => `  ${l}${sep}`).join('\n')}\n}`, values };
}

/** Where library files go (relative to the entry's folder); names with spaces, dots, non-ASCII. */
const LIB_PATHS = [
  'common.attn', 'lib/util.attn', 'lib/deep/more.attn', 'a b/sp ace.attn', 'é/ü 中.attn', 'lib/common.attn', '.hidden.attn',
  'x.y.attn', 'lib/deep/er/est.attn', 'attn.attn', 'lib/main.attn', '-dash.attn', 'lib\\back.attn',
];

/** How a file at `from` (relative to root) writes an import of `to`: plain, `./`, or with a detour. */
/**
 * The path from folder `fromDir` to `to`, both relative to root: computed as on disk, where
 * root is `src/root/` of the program's folder (so `../outside/x` is `src/outside/x`).
 */
function relativeTo(fromDir: string, to: string): string {
  const base = '/src/root';
  return path.posix.relative(path.posix.join(base, fromDir), path.posix.join(base, to));
}

function importPath(g: Gen, from: string, to: string): string {
  const rel = relativeTo(path.posix.dirname(from), to);
  switch (nat(g, 5)) {
    case 0: return rel.startsWith('.') ? rel : `./${rel}`;
    case 1: return `zz/../${rel}`;
    case 2: return `./x/./../${rel}`;
    default: return rel;
  }
}

/** Hostile imports: each sets what the loader must report (`expectCodes`, `[]` for none). */
export const HOSTILE = ['cycle', 'self', 'missing', 'not_attn', 'folder', 'escape', 'link_escape', 'link_not_attn', 'link_dangling', 'collide_fn', 'collide_pattern', 'dup_import', 'deep', 'odd_path'] as const;

/** A file of a multi-file program (or a link to one). */
interface FileNode {
  /** Where it is, relative to the entry's folder. */
  path: string;
  /** The path its importers name (a link to it); its own imports are relative to this. */
  importAs?: string;
  /** Imports: of a file, or written as is. */
  imports: (FileNode | string)[];
  decls: string[];
  parent?: FileNode;
  fnNames: string[];
}

const written = (n: FileNode) => n.importAs ?? n.path;

function assemble(g: Gen, n: FileNode): string {
  const parts = [...n.decls];
  // Imports anywhere in the file: first (usually), between declarations, last.
  for (const imp of n.imports) {
    const text = typeof imp === 'string' ? imp : importPath(g, written(n), written(imp));
    parts.splice(chance(g, 70) ? 0 : nat(g, parts.length), 0, `import "${text}"${chance(g, 15) ? ';' : ''}`);
  }
  return `${parts.join('\n')}\n`;
}

/** The program arbitrary. */
export const programArb: fc.Arbitrary<FuzzProgram> = fc.gen().map((g) => {
  const used = new Set<string>();
  const multi = chance(g, 35);
  // Library files (multi-file programs): fns and sometimes patterns; later files' fns call
  // earlier ones', which is fine wherever each file sits, as fns share one namespace.
  const libs: FileNode[] = [];
  const libFns: FnSig[] = [];
  if (multi) {
    const paths = [...LIB_PATHS];
    for (let n = int(g, 1, 4); n > 0; n--) {
      const p = paths.splice(nat(g, paths.length - 1), 1)[0];
      const { text, fns } = genFns(g, used, libFns);
      const decls = [...text];
      if (chance(g, 20)) decls.push(genPattern(g, freshName(g, used, PATTERN_NAMES), used, [...libFns, ...fns]).text);
      libs.push({ path: p, imports: [], decls, fnNames: fns.map((f) => f.name) });
      libFns.push(...fns);
    }
  }
  const { text: fnText, fns } = genFns(g, used, libFns);
  const patterns: string[] = [];
  const values: Record<string, PatternValues> = {};
  const patternNames: string[] = [];
  for (let n = chance(g, 85) ? 1 : 2; n > 0; n--) {
    const name = freshName(g, used, PATTERN_NAMES);
    const p = genPattern(g, name, used, [...libFns, ...fns]);
    patterns.push(p.text);
    patternNames.push(name);
    setOwn(values, name, p.values);
  }
  const eol = pick(g, ['\n', '\n', '\n', '\r\n', '\r']);
  const withEol = (t: string) => t.replace(/\n/g, eol);
  const entryDecls = chance(g, 50) ? [...fnText, ...patterns] : [...patterns, ...fnText];
  if (!multi) return { text: withEol(`${entryDecls.join('\n')}\n`), values };

  // The import graph: each library is imported by the entry or an earlier library (its
  // parent, so every one is loaded), plus some more edges forward (diamonds); never
  // backward, so no cycles.
  const entry: FileNode = { path: 'main.attn', imports: [], decls: entryDecls, fnNames: fns.map((f) => f.name) };
  const nodes = [entry, ...libs];
  for (let j = 1; j < nodes.length; j++) {
    nodes[j].parent = nodes[nat(g, j - 1)];
    nodes[j].parent!.imports.push(nodes[j]);
    if (j >= 2 && chance(g, 25)) nodes[nat(g, j - 1)].imports.push(nodes[j]);
  }
  const files: Record<string, string> = {};
  const links: Record<string, string> = {};
  const dirs: string[] = [];
  const importRoot = chance(g, 50);
  let expectCodes: string[] | undefined;
  let flatOk = true;
  const lib = () => pick(g, libs);
  const anyNode = () => pick(g, nodes);
  const extra: FileNode[] = [];
  const hostile = chance(g, 40) ? pick(g, HOSTILE) : undefined;
  if (hostile) {
    switch (hostile) {
      case 'cycle': {
        // A library imports one of the files that lead to it: the entry or an ancestor.
        const n = lib();
        const ancestors: FileNode[] = [];
        for (let a = n.parent; a; a = a.parent) ancestors.push(a);
        n.imports.push(pick(g, ancestors));
        expectCodes = ['import_cycle'];
        break;
      }
      case 'self': {
        const n = anyNode();
        n.imports.push(chance(g, 50) ? path.posix.basename(n.path) : n);
        expectCodes = ['import_cycle'];
        break;
      }
      case 'missing':
        anyNode().imports.push(pick(g, ['missing.attn', 'lib/nope.attn', 'no/such/dir/x.attn', 'MAIN.attn']));
        expectCodes = ['missing_import'];
        break;
      case 'not_attn':
        files['notes.txt'] = 'pattern p() { causal }\n';
        anyNode().imports.push(pick(g, ['notes.txt', '.attn', 'lib', 'lib/', 'main.attn.txt', 'common.ATTN', '']));
        expectCodes = ['import_refused'];
        break;
      case 'folder':
        dirs.push('dir.attn');
        entry.imports.push('dir.attn');
        expectCodes = ['not_a_regular_file'];
        break;
      case 'escape':
        // A library outside the entry's folder: refused under --import-root, loaded without.
        lib().path = `../outside/${nat(g, 9)}.attn`;
        expectCodes = importRoot ? ['import_refused'] : [];
        flatOk = !importRoot;
        break;
      case 'link_escape': {
        // A link inside the folder to a file outside it: the same.
        const l = lib();
        l.path = `../outside/${nat(g, 9)}.attn`;
        l.importAs = `lnk/${pick(g, ['a', 'b c', 'é'])}.attn`;
        links[l.importAs] = relativeTo(path.posix.dirname(l.importAs), l.path);
        expectCodes = importRoot ? ['import_refused'] : [];
        flatOk = !importRoot;
        break;
      }
      case 'link_not_attn':
        files['notes.txt'] = 'fn x() = 1\n';
        links['lnk/notes.attn'] = '../notes.txt';
        anyNode().imports.push({ path: 'lnk/notes.attn', imports: [], decls: [], fnNames: [] });
        expectCodes = ['import_refused'];
        break;
      case 'link_dangling':
        links['gone.attn'] = 'nowhere.attn';
        anyNode().imports.push({ path: 'gone.attn', imports: [], decls: [], fnNames: [] });
        expectCodes = ['missing_import'];
        break;
      case 'collide_fn': {
        const all = nodes.flatMap((n) => n.fnNames);
        if (all.length) lib().decls.push(`fn ${pick(g, all)}() = 1`);
        else {
          lib().decls.push('fn dup() = 1');
          entry.decls.push('fn dup() = 2');
        }
        expectCodes = ['duplicate_definition'];
        break;
      }
      case 'collide_pattern':
        lib().decls.push(`pattern ${pick(g, patternNames)}() {\n  causal\n}`);
        expectCodes = ['duplicate_definition'];
        break;
      case 'dup_import': {
        // The same file imported twice by one file (spelled two ways, maybe): a file before
        // it in the graph's order, so that no cycle arises.
        const j = int(g, 1, nodes.length - 1);
        nodes[nat(g, j - 1)].imports.push(nodes[j], nodes[j]);
        break;
      }
      case 'odd_path': {
        // Paths that name no file: a NUL byte, over-long names, a file used as a folder,
        // absolute and URL-like paths, a link to itself; far up and out of the folder.
        const odd = pick(g, ['a\0b.attn', `${'x'.repeat(300)}.attn`, `${`${'y'.repeat(200)}/`.repeat(30)}z.attn`, 'main.attn/x.attn', '/etc/passwd.attn', '%2e%2e/x.attn', 'file:///etc/x.attn', '\\\\server\\share\\x.attn', 'loop.attn', '../../../../../../../../../../nope.attn']);
        if (odd === 'loop.attn') links['loop.attn'] = 'loop.attn';
        anyNode().imports.push(odd);
        expectCodes = [importRoot && odd.startsWith('../') ? 'import_refused' : 'missing_import'];
        break;
      }
      case 'deep': {
        // A chain of files, each importing the next; the last defines a fn the entry uses.
        const len = pick(g, [20, 100, 100, 300, 1000]);
        const fname = freshName(g, used);
        for (let i = 0; i < len; i++) extra.push({ path: `chain/c${i}.attn`, imports: [], decls: i + 1 < len ? [] : [`fn ${fname}() = ${nat(g, 9)}`], fnNames: [] });
        for (let i = 0; i + 1 < len; i++) extra[i].imports.push(extra[i + 1]);
        entry.imports.push(extra[0]);
        entry.decls.push(`pattern chain_p() {\n  allow q - k < ${fname}()\n}`);
        break;
      }
    }
  }
  for (const n of [...libs, ...extra]) files[n.path] = withEol(assemble(g, n));
  const text = withEol(assemble(g, entry));
  const loads = expectCodes === undefined || expectCodes.length === 0 || expectCodes[0] === 'duplicate_definition';
  const flat = flatOk && loads ? withEol(`${[...nodes, ...extra].flatMap((n) => n.decls).join('\n')}\n`) : undefined;
  return {
    text, values, files,
    ...(Object.keys(links).length ? { links } : {}),
    ...(dirs.length ? { dirs } : {}),
    ...(hostile ? { hostile } : {}),
    importRoot,
    ...(expectCodes ? { expectCodes } : {}),
    ...(flat !== undefined ? { flat } : {}),
  };
});

/** `count` programs from `seed` (deterministic). */
export function samplePrograms(seed: number, count: number): FuzzProgram[] {
  return fc.sample(programArb, { seed, numRuns: count });
}
