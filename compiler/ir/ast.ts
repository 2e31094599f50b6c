/**
 * The surface syntax tree of a `.attn` file, as the parser builds it. Nodes are readonly and
 * tagged by `kind`; every node carries the span it came from. Names are not resolved here:
 * that is the checker's job (`compiler/2-check`).
 */
import type { Span } from '../diagnostics/span.ts';

/** A parsed `.attn` file. */
export interface FileAst {
  readonly kind: 'file';
  readonly imports: readonly ImportDecl[];
  readonly fns: readonly FnDecl[];
  readonly patterns: readonly PatternDecl[];
  readonly span: Span;
}

/** `import "other.attn"`: makes the other file's `fn`s and patterns visible. */
export interface ImportDecl {
  readonly kind: 'import';
  readonly path: string;
  readonly span: Span;
}

/** Scalar types of the language. */
export type ScalarType = 'int' | 'float' | 'bool';

/**
 * A type written in source: a scalar, or an input array with its dimensions as written
 * (`int[kv_len]`, `int[batch]`, `int[batch, kv_len]`; the checker validates the names).
 */
export type TypeAst =
  | { readonly kind: 'scalar'; readonly name: ScalarType; readonly span: Span }
  | { readonly kind: 'array'; readonly elem: 'int' | 'float'; readonly dims: readonly Name[]; readonly span: Span };

/** A named thing with the span of its name. */
export interface Name {
  readonly text: string;
  readonly span: Span;
}

/** `fn name(a: int, ...) -> type = expr`. */
export interface FnDecl {
  readonly kind: 'fn';
  readonly name: Name;
  readonly params: readonly { readonly name: Name; readonly type: TypeAst }[];
  readonly returns?: TypeAst;
  readonly body: Expr;
  readonly doc: string;
  readonly span: Span;
}

/** How a pattern parameter is bound: when the kernel is compiled, or when it is called. */
export type ParamMode = 'const' | 'runtime' | 'input';

/** A pattern parameter: `window: int = 1024`, `runtime prefix: int`, `input doc: int[kv_len]`. */
export interface ParamDecl {
  readonly kind: 'param';
  readonly mode: ParamMode;
  readonly name: Name;
  readonly type: TypeAst;
  /** Optional half-open range `in lo..hi` (hi optional) the value must lie in. */
  readonly range?: { readonly lo: Expr; readonly hi?: Expr; readonly span: Span };
  readonly default?: Expr;
  readonly doc: string;
  readonly span: Span;
}

/** `pattern name(params) { statements }`. */
export interface PatternDecl {
  readonly kind: 'pattern';
  readonly name: Name;
  readonly params: readonly ParamDecl[];
  readonly body: readonly Stmt[];
  readonly doc: string;
  readonly span: Span;
}

/** One layout axis: `y: height`. */
export interface AxisDecl {
  readonly name: Name;
  readonly size: Expr;
}

/** Statements in a pattern body. */
export type Stmt =
  | { readonly kind: 'causal'; readonly span: Span }
  | { readonly kind: 'allow' | 'require' | 'deny'; readonly cond: Expr; readonly span: Span }
  | { readonly kind: 'let'; readonly name: Name; readonly value: Expr; readonly span: Span }
  | { readonly kind: 'layout'; readonly axes: readonly AxisDecl[]; readonly span: Span }
  | { readonly kind: 'bias'; readonly value: Expr; readonly span: Span }
  | { readonly kind: 'softcap'; readonly value: Expr; readonly span: Span }
  | { readonly kind: 'assert'; readonly cond: Expr; readonly message?: string; readonly span: Span }
  | SelectStmt;

/**
 * `select top(count) blocks(blockQ[, blockKv]) by score [per kv_head]`. `words` are the
 * contextual words as written (`select top blocks by` and optionally `per kv_head`), checked
 * by the checker.
 */
export interface SelectStmt {
  readonly kind: 'select';
  readonly words: readonly Name[];
  readonly count: Expr;
  readonly blockQ: Expr;
  readonly blockKv?: Expr;
  readonly score: Expr;
  readonly span: Span;
}

/** Binary operators. `/` and `%` are floor division and floor modulo on ints. */
export type BinaryOp = '+' | '-' | '*' | '/' | '%' | '**' | '&&' | '||';
/** Comparison operators; a chain `a <= x < b` is one `compare` node. */
export type CompareOp = '<' | '<=' | '>' | '>=' | '==' | '!=';

/** Expressions. */
export type Expr =
  | { readonly kind: 'int'; readonly value: number; readonly span: Span }
  | { readonly kind: 'float'; readonly value: number; readonly span: Span }
  | { readonly kind: 'bool'; readonly value: boolean; readonly span: Span }
  | { readonly kind: 'name'; readonly name: string; readonly span: Span }
  | { readonly kind: 'member'; readonly object: Expr; readonly field: Name; readonly span: Span }
  | { readonly kind: 'index'; readonly array: Expr; readonly indices: readonly Expr[]; readonly span: Span }
  | { readonly kind: 'call'; readonly callee: Name; readonly args: readonly Expr[]; readonly span: Span }
  | { readonly kind: 'unary'; readonly op: '-' | '!'; readonly operand: Expr; readonly span: Span }
  | { readonly kind: 'binary'; readonly op: BinaryOp; readonly left: Expr; readonly right: Expr; readonly span: Span }
  | { readonly kind: 'compare'; readonly operands: readonly Expr[]; readonly ops: readonly CompareOp[]; readonly span: Span }
  | { readonly kind: 'inSet'; readonly value: Expr; readonly items: readonly Expr[]; readonly span: Span }
  | { readonly kind: 'inRange'; readonly value: Expr; readonly lo: Expr; readonly hi: Expr; readonly span: Span };
