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
  | { readonly kind: 'input'; readonly type: 'int'; readonly name: string; readonly index: 'q' | 'k'; readonly span?: Span }
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
    case 'const': case 'var': case 'size': case 'param': case 'input':
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
    case 'const': case 'var': case 'size': case 'param': case 'input':
      return e;
    case 'neg': case 'not': case 'toFloat':
      return { ...e, x: f(e.x) };
    case 'arith': case 'pow': case 'cmp':
      return { ...e, a: f(e.a), b: f(e.b) };
    case 'and': case 'or': case 'call':
      return { ...e, args: e.args.map(f) };
  }
}

/** True when some node in `e` satisfies `pred`. */
export function some(e: MExpr, pred: (n: MExpr) => boolean): boolean {
  return pred(e) || children(e).some((c) => some(c, pred));
}

/** Does `e` depend on index variable `name`? (`input` arrays depend on their index.) */
export function usesVar(e: MExpr, name: IndexVar): boolean {
  return some(e, (n) => (n.kind === 'var' && n.name === name) || (n.kind === 'input' && n.index === name));
}

const PREC: Record<string, number> = { '||': 1, '&&': 2, cmp: 3, '+': 4, '-': 4, '*': 5, '/': 5, '%': 5, unary: 6, '**': 7, atom: 8 };

/** Prints an expression in `.attn` syntax (fully explicit, minimal parentheses). */
export function show(e: MExpr): string {
  return showP(e).text;
}

function showP(e: MExpr): { text: string; prec: number } {
  const wrap = (x: MExpr, min: number) => {
    const p = showP(x);
    return p.prec < min ? `(${p.text})` : p.text;
  };
  switch (e.kind) {
    case 'const':
      return { text: e.type === 'float' ? fmtFloat(e.value as number) : String(e.value), prec: typeof e.value === 'number' && e.value < 0 ? PREC.unary : PREC.atom };
    case 'var': case 'size': case 'param':
      return { text: e.name, prec: PREC.atom };
    case 'input':
      return { text: `${e.name}[${e.index}]`, prec: PREC.atom };
    case 'neg':
      return { text: `-${wrap(e.x, PREC.unary)}`, prec: PREC.unary };
    case 'not':
      return { text: `!${wrap(e.x, PREC.unary)}`, prec: PREC.unary };
    case 'toFloat':
      return { text: `float(${show(e.x)})`, prec: PREC.atom };
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
      return { text: `${e.fn}(${e.args.map(show).join(', ')})`, prec: PREC.atom };
  }
}

/** Floats always print with a decimal point so they re-read as floats. */
export function fmtFloat(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const s = String(x);
  return /[.eE]/.test(s) ? s : `${s}.0`;
}
