/**
 * A checked program: the checker's output and the input to lowering. Each pattern is
 * reduced to mask IR (`mask.ts`) plus its parameter table.
 */
import type { SourceFile, Span } from '../diagnostics/span.ts';
import type { ParamMode, ScalarType } from './ast.ts';
import type { MExpr } from './mask.ts';

/** A pattern parameter after checking. */
export interface ParamInfo {
  readonly name: string;
  readonly mode: ParamMode;
  /**
   * Scalar type, `int[]` for an input array, or `float[]` for a select score input
   * (`float[batch, heads, q_blocks, kv_blocks]`: read only as `select ... by NAME`; it is not
   * one of the int arrays the mask, the planner and the kernels read).
   */
  readonly type: ScalarType | 'int[]' | 'float[]';
  /**
   * For input arrays: the last dimension's size, `q_len` or `kv_len` (one int per token) or
   * `batch` (one int per batch element, `int[batch]`).
   */
  readonly length?: InputLength;
  /** For input arrays: true for `int[batch, q_len]`/`int[batch, kv_len]`, one row per batch element (row-major). */
  readonly batched?: boolean;
  /** Which index variables an input array is read with (so the planner can check its length); `b` for `int[batch]`. */
  readonly indexedBy?: readonly ('q' | 'k' | 'b')[];
  readonly default?: number | boolean;
  /** Allowed values, half-open: `lo <= value < hi` (`hi` absent: no upper bound). */
  readonly range?: { readonly lo: number; readonly hi?: number };
  readonly doc: string;
  readonly used: boolean;
  readonly span: Span;
}

/** The last dimension of an input array. */
export type InputLength = 'q_len' | 'kv_len' | 'batch';

/** An input array's type as written: `int[kv_len]`, `int[batch]`, `int[batch, kv_len]`. */
export function inputTypeText(p: { readonly length?: InputLength; readonly batched?: boolean; readonly type?: ParamInfo['type'] }): string {
  if (p.type === 'float[]') return SCORE_INPUT_TYPE;
  return `int[${p.batched ? 'batch, ' : ''}${p.length ?? 'kv_len'}]`;
}

/** The one type of a select score input. */
export const SCORE_INPUT_TYPE = 'float[batch, heads, q_blocks, kv_blocks]';

/** How many entries an input array holds for the given sizes. */
export function inputEntries(p: { readonly length?: InputLength; readonly batched?: boolean }, sizes: { readonly qLen: number; readonly kvLen: number; readonly batch: number }): number {
  const last = p.length === 'q_len' ? sizes.qLen : p.length === 'batch' ? sizes.batch : sizes.kvLen;
  return p.batched ? sizes.batch * last : last;
}

/**
 * The input arrays read at more tokens than they hold for some sizes: `doc: int[kv_len]` read
 * as `doc[q]` needs `q_len <= kv_len`. One entry per (array, index variable) whose size
 * (`need`) is not the array's declared length (`have`).
 */
export function inputLengthNeeds(inputs: readonly ParamInfo[]): { name: string; at: 'q' | 'k'; need: 'q_len' | 'kv_len'; have: 'q_len' | 'kv_len' }[] {
  return inputs.flatMap((p) => (p.indexedBy ?? []).flatMap((at) => (at === 'b' || p.length === 'batch' ? [] : [{ name: p.name, at, need: at === 'q' ? ('q_len' as const) : ('kv_len' as const), have: p.length ?? ('kv_len' as const) }])))
    .filter((x) => x.need !== x.have);
}

/** A layout axis: token `t` has coordinate `(t / stride) % size` (the first axis is not wrapped). */
export interface LayoutAxis {
  readonly name: string;
  readonly size: MExpr;
}

/** A checked `assert`: must hold for the bound parameters. */
export interface CheckedAssert {
  readonly cond: MExpr;
  readonly message?: string;
  readonly span: Span;
}

/** What a failed assert says (the planner's and the C entry points' message): its own text, or its line. */
export function assertMessage(a: { readonly message?: string; readonly span: { readonly line: number } }): string {
  return a.message ?? `assertion failed: line ${a.span.line}`;
}

/**
 * One checked pattern. The mask is
 * `(allows[0] || allows[1] || ... , or true if none) && requires[..] && !denies[..]`,
 * already combined in `mask`; the clause lists are kept for reporting.
 */
export interface CheckedPattern {
  readonly name: string;
  readonly doc: string;
  readonly file: SourceFile;
  readonly span: Span;
  readonly params: readonly ParamInfo[];
  readonly layout?: readonly LayoutAxis[];
  readonly allows: readonly MExpr[];
  readonly requires: readonly MExpr[];
  readonly denies: readonly MExpr[];
  readonly mask: MExpr;
  /** Added to the (soft-capped) score; float. */
  readonly bias?: MExpr;
  /** Soft-cap value c: score = c * tanh(score / c). Float. */
  readonly softcap?: MExpr;
  readonly asserts: readonly CheckedAssert[];
  /**
   * The data-dependent block selection (`select top(K) blocks(BQ, BK) by SCORE`). When
   * present, `mask` is the static part `A && R` (the selection treated as selecting nothing)
   * and `allows` may be empty with `A` false; see `CheckedSelect`.
   */
  readonly select?: CheckedSelect;
}

/** How a select clause scores a (query block, key block) pair. */
export type SelectScore =
  | { readonly kind: 'dot'; readonly kPool: 'mean' | 'max' } // dot(mean(q), mean|max(k))
  | { readonly kind: 'bound' } // bound(mean(q), k)
  | { readonly kind: 'input'; readonly name: string }; // a float[batch, heads, q_blocks, kv_blocks] input

/**
 * A checked `select` clause. The pattern's mask is `(A || Sel[b, h, q / BQ, k / BK]) && R`
 * with `Sel` chosen per call from the data (`docs/language.md`, "Data-dependent selection").
 * `k`, `blockQ` and `blockKv` are int expressions over parameters and sizes only.
 */
export interface CheckedSelect {
  readonly k: MExpr;
  readonly blockQ: MExpr;
  readonly blockKv: MExpr;
  readonly score: SelectScore;
  readonly perKvHead: boolean;
  /** A: the union of the allows (false when the pattern has none). */
  readonly allow: MExpr;
  /** R: every require (`causal` included) and no deny (true when none). */
  readonly restriction: MExpr;
  readonly span: Span;
}

/** All patterns of the entry file, checked. */
export interface CheckedProgram {
  readonly file: SourceFile;
  readonly patterns: readonly CheckedPattern[];
}
