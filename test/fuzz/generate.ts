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
  readonly text: string;
  /** Per pattern name. */
  readonly values: Record<string, PatternValues>;
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
function genFns(g: Gen, used: Set<string>): { text: string[]; fns: FnSig[] } {
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
      floats: [], inputs: [], axes: [], fns: [...fns], point: !names.has('q') || !names.has('k'),
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
    const size = () => (chance(g, 60) ? pick(g, ['4', '8', '3', '16', '1', '0', '1_000', '2147483647']) : intExpr(g, sizeScope, 1));
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

/** The program arbitrary. */
export const programArb: fc.Arbitrary<FuzzProgram> = fc.gen().map((g) => {
  const used = new Set<string>();
  const { text: fnText, fns } = genFns(g, used);
  const patterns: string[] = [];
  const values: Record<string, PatternValues> = {};
  for (let n = chance(g, 85) ? 1 : 2; n > 0; n--) {
    const name = freshName(g, used, PATTERN_NAMES);
    const p = genPattern(g, name, used, fns);
    patterns.push(p.text);
    setOwn(values, name, p.values);
  }
  const parts = chance(g, 50) ? [...fnText, ...patterns] : [...patterns, ...fnText];
  const eol = pick(g, ['\n', '\n', '\n', '\r\n', '\r']);
  return { text: `${parts.join('\n')}\n`.replace(/\n/g, eol), values };
});

/** `count` programs from `seed` (deterministic). */
export function samplePrograms(seed: number, count: number): FuzzProgram[] {
  return fc.sample(programArb, { seed, numRuns: count });
}
