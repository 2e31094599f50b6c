/**
 * The mask IR: what the checker produces and every later phase consumes. A pattern's mask,
 * bias and soft-cap are expression trees over the index variables `q k h b`, the sizes
 * `q_len kv_len heads`, runtime parameters and per-token `input` arrays. `let`s, `fn`s,
 * layout coordinates, `in` sets/ranges and comparison chains are gone: the checker expands
 * them into this small core, so passes have few node kinds to handle.
 *
 * Integer semantics (the same in the evaluator, TypeScript, CUDA and WGSL output):
 * ints are 32-bit and `+ - *`, unary `-` and `abs` wrap; `/` and `%` are floor division and
 * floor modulo; division or modulo by zero gives 0 (runtime/schedule/int-semantics.ts).
 */
import type { Span } from '../diagnostics/span.ts';
import type { ScalarType } from './ast.ts';

/** Index variables of mask(b, h, q, k). */
export type IndexVar = 'q' | 'k' | 'h' | 'b';
/** Problem sizes, known when a schedule is planned. */
export type SizeName = 'q_len' | 'kv_len' | 'heads';
/** Integer arithmetic operators. */
export type ArithOp = '+' | '-' | '*' | '/' | '%';
/** Comparison operators. */
export type CmpOp = '<' | '<=' | '>' | '>=' | '==' | '!=';
/** Built-in functions that survive into the IR. */
export type Builtin = 'abs' | 'min' | 'max' | 'select' | 'hash' | 'exp' | 'log' | 'tanh' | 'sqrt';

/** Mask IR expression. Every node knows its type. `span` points back to the source when known. */
export type MExpr =
  | { readonly kind: 'const'; readonly type: ScalarType; readonly value: number | boolean; readonly span?: Span }
  | { readonly kind: 'var'; readonly type: 'int'; readonly name: IndexVar; readonly span?: Span }
  | { readonly kind: 'size'; readonly type: 'int'; readonly name: SizeName; readonly span?: Span }
  | { readonly kind: 'param'; readonly type: ScalarType; readonly name: string; readonly mode: 'const' | 'runtime'; readonly span?: Span }
  /**
   * An input array read: `doc[k]` (index `k`), `prefix[b]` (index `b`), or a row of a
   * per-batch array, `doc[b, k]`: index `k` at `offset` (`b * kv_len`), i.e. the flat entry
   * `offset + k` of the row-major `[batch, kv_len]` array. `offset` is a child of the node.
   */
  | { readonly kind: 'input'; readonly type: 'int'; readonly name: string; readonly index: 'q' | 'k' | 'b'; readonly offset?: MExpr; readonly span?: Span }
  | { readonly kind: 'neg'; readonly type: 'int' | 'float'; readonly x: MExpr; readonly span?: Span }
  | { readonly kind: 'not'; readonly type: 'bool'; readonly x: MExpr; readonly span?: Span }
  | { readonly kind: 'arith'; readonly type: 'int' | 'float'; readonly op: ArithOp; readonly a: MExpr; readonly b: MExpr; readonly span?: Span }
  | { readonly kind: 'pow'; readonly type: 'float'; readonly a: MExpr; readonly b: MExpr; readonly span?: Span }
  | { readonly kind: 'cmp'; readonly type: 'bool'; readonly op: CmpOp; readonly a: MExpr; readonly b: MExpr; readonly span?: Span }
  | { readonly kind: 'and' | 'or'; readonly type: 'bool'; readonly args: readonly MExpr[]; readonly span?: Span }
  | { readonly kind: 'call'; readonly type: ScalarType; readonly fn: Builtin; readonly args: readonly MExpr[]; readonly span?: Span }
  | { readonly kind: 'toFloat'; readonly type: 'float'; readonly x: MExpr; readonly span?: Span };

/** Integer constant. */
export const int = (value: number, span?: Span): MExpr => ({ kind: 'const', type: 'int', value, span });
/** Boolean constant. */
export const bool = (value: boolean, span?: Span): MExpr => ({ kind: 'const', type: 'bool', value, span });
/** Float constant. */
export const float = (value: number, span?: Span): MExpr => ({ kind: 'const', type: 'float', value, span });
/** Index variable. */
export const v = (name: IndexVar): MExpr => ({ kind: 'var', type: 'int', name });
/** Comparison. */
export const cmp = (op: CmpOp, a: MExpr, b: MExpr, span?: Span): MExpr => ({ kind: 'cmp', type: 'bool', op, a, b, span });
/** Arithmetic; int unless either side is float. */
export function arith(op: ArithOp, a: MExpr, b: MExpr, span?: Span): MExpr {
  const type = a.type === 'float' || b.type === 'float' ? 'float' : 'int';
  return { kind: 'arith', type, op, a: type === 'float' ? toFloat(a) : a, b: type === 'float' ? toFloat(b) : b, span };
}
/** Conversion to float (identity on floats). */
export const toFloat = (x: MExpr): MExpr => (x.type === 'float' ? x : x.kind === 'const' ? float(Number(x.value), x.span) : { kind: 'toFloat', type: 'float', x, span: x.span });
/** Conjunction (flattened; `and()` of nothing is true). */
export function and(args: readonly MExpr[], span?: Span): MExpr {
  const flat = args.flatMap((a) => (a.kind === 'and' ? a.args : [a]));
  if (flat.length === 0) return bool(true, span);
  if (flat.length === 1) return flat[0];
  return { kind: 'and', type: 'bool', args: flat, span };
}
/** Disjunction (flattened; `or()` of nothing is false). */
export function or(args: readonly MExpr[], span?: Span): MExpr {
  const flat = args.flatMap((a) => (a.kind === 'or' ? a.args : [a]));
  if (flat.length === 0) return bool(false, span);
  if (flat.length === 1) return flat[0];
  return { kind: 'or', type: 'bool', args: flat, span };
}
/** Negation. */
export const not = (x: MExpr, span?: Span): MExpr => ({ kind: 'not', type: 'bool', x, span });

/** Children of a node, in order. */
export function children(e: MExpr): readonly MExpr[] {
  switch (e.kind) {
    case 'input':
      return e.offset ? [e.offset] : [];
    case 'const': case 'var': case 'size': case 'param':
      return [];
    case 'neg': case 'not': case 'toFloat':
      return [e.x];
    case 'arith': case 'pow': case 'cmp':
      return [e.a, e.b];
    case 'and': case 'or': case 'call':
      return e.args;
  }
}

/** Rebuilds `e` with each child replaced by `f(child)` (shallow). */
export function mapChildren(e: MExpr, f: (c: MExpr) => MExpr): MExpr {
  switch (e.kind) {
    case 'input':
      return e.offset ? { ...e, offset: f(e.offset) } : e;
    case 'const': case 'var': case 'size': case 'param':
      return e;
    case 'neg': case 'not': case 'toFloat':
      return { ...e, x: f(e.x) };
    case 'arith': case 'pow': case 'cmp':
      return { ...e, a: f(e.a), b: f(e.b) };
    case 'and': case 'or': case 'call':
      return { ...e, args: e.args.map(f) };
  }
}

/**
 * True when some node in `e` satisfies `pred`. `let`s and repeated `fn` calls make the IR a
 * DAG (one node, several parents): each node is visited once, so this is linear in the DAG.
 */
export function some(e: MExpr, pred: (n: MExpr) => boolean): boolean {
  const seen = new Set<MExpr>();
  const go = (x: MExpr): boolean => {
    if (seen.has(x)) return false;
    seen.add(x);
    return pred(x) || children(x).some(go);
  };
  return go(e);
}

const VAR_BIT: Record<IndexVar, number> = { q: 1, k: 2, h: 4, b: 8 };
/** Set in `varBits` when an `input` array is read. */
export const INPUT_BIT = 16;
const VAR_BITS = new WeakMap<MExpr, number>();

/**
 * The index variables `e` depends on, as bits (q 1, k 2, h 4, b 8; an `input` read sets its
 * index's bit and `INPUT_BIT`), memoised per node: constant time after one linear pass.
 */
export function varBits(e: MExpr): number {
  const hit = VAR_BITS.get(e);
  if (hit !== undefined) return hit;
  let bits = e.kind === 'var' ? VAR_BIT[e.name] : e.kind === 'input' ? VAR_BIT[e.index] | INPUT_BIT : 0;
  for (const c of children(e)) bits |= varBits(c);
  VAR_BITS.set(e, bits);
  return bits;
}

/** Does `e` depend on index variable `name`? (`input` arrays depend on their index.) */
export function usesVar(e: MExpr, name: IndexVar): boolean {
  return (varBits(e) & VAR_BIT[name]) !== 0;
}

const PREC: Record<string, number> = { '||': 1, '&&': 2, cmp: 3, '+': 4, '-': 4, '*': 5, '/': 5, '%': 5, unary: 6, '**': 7, atom: 8 };

/**
 * Nodes at least this large (counted as printed, a shared node below them as one name) are
 * printed once and named when more than one parent uses them; smaller ones (`q - k`) are
 * printed at each use. Any constant bound keeps printed code linear in the DAG.
 */
export const MIN_SHARED_SIZE = 4;

/**
 * The nodes of the DAG under `roots` that a printer binds to a local once (`const t_0 = ...`)
 * instead of printing at each use: used by two or more parents (or roots), not leaves, at
 * least `MIN_SHARED_SIZE` large as printed, and accepted by `canShare`. In dependency order
 * (a node after the shared nodes it uses). Linear in the DAG. Nodes in `leaves` are taken as
 * leaves: not entered and never shared (a printer that names them already).
 */
export function sharedNodes(roots: readonly MExpr[], canShare: (e: MExpr) => boolean = () => true, leaves: ReadonlySet<MExpr> = new Set()): MExpr[] {
  const refs = new Map<MExpr, number>();
  const post: MExpr[] = [];
  const visit = (e: MExpr) => {
    const n = refs.get(e);
    if (n !== undefined) { refs.set(e, n + 1); return; }
    refs.set(e, 1);
    if (leaves.has(e)) return;
    for (const c of children(e)) visit(c);
    post.push(e);
  };
  roots.forEach(visit);
  const size = new Map<MExpr, number>();
  const shared = new Set<MExpr>();
  for (const e of post) {
    const cs = children(e);
    let s = 1;
    for (const c of cs) s = Math.min(Number.MAX_SAFE_INTEGER, s + (shared.has(c) ? 1 : size.get(c)!));
    size.set(e, s);
    if (cs.length > 0 && refs.get(e)! >= 2 && s >= MIN_SHARED_SIZE && canShare(e)) shared.add(e);
  }
  return post.filter((e) => shared.has(e));
}

/**
 * Prints `roots` with their shared nodes (`sharedNodes`) named `<prefix>0`, `<prefix>1`, ...:
 * `print(e, names)` prints one node, writing a node found in `names` as its name. Returns the
 * bindings in dependency order and the roots' texts. Each node is printed once (a shared one)
 * or at most `MIN_SHARED_SIZE` times per use of a named one, so the text is linear in the DAG.
 * `options.names` names nodes beforehand (leaves to the printer: their insides are not printed).
 */
export function printShared(
  roots: readonly MExpr[],
  print: (e: MExpr, names: ReadonlyMap<MExpr, string>) => string,
  options: { prefix?: string; canShare?: (e: MExpr) => boolean; names?: ReadonlyMap<MExpr, string> } = {},
): { lets: { name: string; node: MExpr; text: string }[]; exprs: string[] } {
  const names = new Map<MExpr, string>(options.names);
  const lets = sharedNodes(roots, options.canShare, new Set(names.keys())).map((node, i) => {
    const text = print(node, names);
    const name = `${options.prefix ?? 't_'}${i}`;
    names.set(node, name);
    return { name, node, text };
  });
  return { lets, exprs: roots.map((r) => print(r, names)) };
}

/**
 * The cost of evaluating `roots` as printed with `printShared`: the sum of `own` over every
 * node occurrence in the printed code (a shared node once, in its binding).
 */
export function sharedCost(roots: readonly MExpr[], own: (e: MExpr) => number, canShare?: (e: MExpr) => boolean): number {
  const shared = new Set(sharedNodes(roots, canShare));
  const memo = new Map<MExpr, number>();
  const cost = (e: MExpr): number => {
    const hit = memo.get(e);
    if (hit !== undefined) return hit;
    let c = own(e);
    for (const x of children(e)) c += shared.has(x) ? 0 : cost(x);
    memo.set(e, c);
    return c;
  };
  let total = 0;
  for (const s of shared) total += cost(s);
  for (const r of roots) if (!shared.has(r)) total += cost(r);
  return total;
}

const STRUCT_IDS = new WeakMap<MExpr, number>();
const STRUCT_TABLE = new Map<string, number>();

/**
 * A number that two nodes share exactly when they are structurally equal (same operators,
 * leaves and constants; spans ignored). Memoised per node: linear in the DAG, where
 * comparing printed text would be exponential.
 */
export function structId(e: MExpr): number {
  const hit = STRUCT_IDS.get(e);
  if (hit !== undefined) return hit;
  let own: string;
  switch (e.kind) {
    case 'const': own = `c${e.type}:${Object.is(e.value, -0) ? '-0' : String(e.value)}`; break;
    case 'var': case 'size': own = `${e.kind}:${e.name}`; break;
    case 'param': own = `p${e.type}:${e.mode}:${e.name}`; break;
    case 'input': own = `i:${e.name}:${e.index}`; break;
    case 'arith': case 'cmp': own = `${e.kind}${e.type}${e.op}`; break;
    case 'call': own = `call${e.type}${e.fn}`; break;
    default: own = `${e.kind}${e.type}`;
  }
  const key = `${own}(${children(e).map(structId).join(',')})`;
  let id = STRUCT_TABLE.get(key);
  if (id === undefined) STRUCT_TABLE.set(key, (id = STRUCT_TABLE.size));
  STRUCT_IDS.set(e, id);
  return id;
}

/**
 * Prints an expression in `.attn` syntax (fully explicit, minimal parentheses). A shared
 * sub-expression (`sharedNodes`) is printed once, as `let $0 = ...; ` before the expression.
 */
export function show(e: MExpr): string {
  const { lets, exprs } = printShared([e], (x, names) => showP(x, names).text, { prefix: '$' });
  return [...lets.map((l) => `let ${l.name} = ${l.text}; `), exprs[0]].join('');
}

function showP(e: MExpr, names: ReadonlyMap<MExpr, string>): { text: string; prec: number } {
  const named = names.get(e);
  if (named !== undefined) return { text: named, prec: PREC.atom };
  const wrap = (x: MExpr, min: number) => {
    const p = showP(x, names);
    return p.prec < min ? `(${p.text})` : p.text;
  };
  switch (e.kind) {
    case 'const':
      return { text: e.type === 'float' ? fmtFloat(e.value as number) : String(e.value), prec: typeof e.value === 'number' && e.value < 0 ? PREC.unary : PREC.atom };
    case 'var': case 'size': case 'param':
      return { text: e.name, prec: PREC.atom };
    case 'input':
      if (!e.offset) return { text: `${e.name}[${e.index}]`, prec: PREC.atom };
      // `doc[b, k]` reads at offset `b * kv_len`; other offsets (head slots) print as they are.
      if (e.offset.kind === 'arith' && e.offset.op === '*' && e.offset.a.kind === 'var' && !names.has(e.offset)) return { text: `${e.name}[${e.offset.a.name}, ${e.index}]`, prec: PREC.atom };
      return { text: `${e.name}[${showP(e.offset, names).text} + ${e.index}]`, prec: PREC.atom };
    case 'neg':
      return { text: `-${wrap(e.x, PREC.unary)}`, prec: PREC.unary };
    case 'not':
      return { text: `!${wrap(e.x, PREC.unary)}`, prec: PREC.unary };
    case 'toFloat':
      return { text: `float(${showP(e.x, names).text})`, prec: PREC.atom };
    case 'arith': {
      const p = PREC[e.op];
      return { text: `${wrap(e.a, p)} ${e.op} ${wrap(e.b, p + 1)}`, prec: p };
    }
    case 'pow':
      return { text: `${wrap(e.a, PREC['**'] + 1)} ** ${wrap(e.b, PREC.unary)}`, prec: PREC['**'] };
    case 'cmp':
      return { text: `${wrap(e.a, PREC.cmp + 1)} ${e.op} ${wrap(e.b, PREC.cmp + 1)}`, prec: PREC.cmp };
    case 'and':
      return { text: e.args.map((a) => wrap(a, PREC['&&'] + 1)).join(' && '), prec: PREC['&&'] };
    case 'or':
      return { text: e.args.map((a) => wrap(a, PREC['||'] + 1)).join(' || '), prec: PREC['||'] };
    case 'call':
      return { text: `${e.fn}(${e.args.map((a) => showP(a, names).text).join(', ')})`, prec: PREC.atom };
  }
}

/** Floats always print with a decimal point so they re-read as floats. */
export function fmtFloat(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const s = String(x);
  return /[.eE]/.test(s) ? s : `${s}.0`;
}
