/**
 * Nesting limits, checked before anything recurses over a file. The parser and every later
 * pass walk expressions recursively, so their stack use grows with nesting depth; these
 * checks turn a too-deep program into a `nesting_too_deep` diagnostic instead of a stack
 * overflow.
 *
 * - `MAX_NESTING`: brackets `( [ {`, plus runs of prefix `-` / `!` and `**` chains, counted
 *   on the token stream before parsing.
 * - `MAX_EXPR_DEPTH`: depth of a parsed expression tree (a sum of n terms is n deep).
 */
import type { IToken } from 'chevrotain';
import type { Diagnostics } from '../diagnostics/diagnostic.ts';
import { spanOf, type SourceFile } from '../diagnostics/span.ts';
import type { FileAst } from '../ir/ast.ts';

/** Most nested brackets and prefix operators the parser accepts. */
export const MAX_NESTING = 100;
/** Most levels an expression tree may have (a chain of n binary operators has n + 1). */
export const MAX_EXPR_DEPTH = 256;

const OPEN = new Set(['LParen', 'LBracket', 'LBrace']);
const CLOSE = new Set(['RParen', 'RBracket', 'RBrace']);
const VALUE_END = new Set(['Identifier', 'IntLit', 'FloatLit', 'StringLit', 'Kw_true', 'Kw_false', 'RParen', 'RBracket']);

/** Reports `nesting_too_deep` at the first token past `MAX_NESTING`; false when reported. */
export function checkTokenNesting(file: SourceFile, tokens: readonly IToken[], diags: Diagnostics): boolean {
  const runs: number[] = [0];
  let depth = 0;
  let prev: string | undefined;
  for (const t of tokens) {
    const name = t.tokenType.name;
    if (OPEN.has(name)) {
      runs.push(0);
      depth++;
    } else if (CLOSE.has(name)) {
      if (runs.length > 1) depth -= 1 + runs.pop()!;
    } else if (name === 'Bang' || name === 'StarStar' || (name === 'Minus' && !(prev && VALUE_END.has(prev)))) {
      runs[runs.length - 1]++;
      depth++;
    } else if (!VALUE_END.has(name) && name !== 'Dot') {
      depth -= runs[runs.length - 1];
      runs[runs.length - 1] = 0;
    }
    prev = name;
    if (depth > MAX_NESTING) {
      diags.report('nesting_too_deep', `expression nested more than ${MAX_NESTING} levels deep (brackets, prefix \`-\`/\`!\` and \`**\` count)`, spanOf(file, t.startOffset, (t.endOffset ?? t.startOffset) + 1), ['split it with `let` bindings']);
      return false;
    }
  }
  return true;
}

const EXPR_KINDS = new Set(['int', 'float', 'bool', 'name', 'member', 'index', 'call', 'unary', 'binary', 'compare', 'inSet', 'inRange']);

/** Reports `nesting_too_deep` for each top-level expression deeper than `MAX_EXPR_DEPTH` (iterative walk). */
export function checkAstDepth(ast: FileAst, diags: Diagnostics): boolean {
  let ok = true;
  const reported = new Set<object>();
  const stack: { node: unknown; depth: number; root: { span: unknown } | undefined }[] = [{ node: ast, depth: 0, root: undefined }];
  while (stack.length) {
    const { node, depth, root } = stack.pop()!;
    if (!node || typeof node !== 'object') continue;
    if (Array.isArray(node)) {
      for (const c of node) stack.push({ node: c, depth, root });
      continue;
    }
    const isExpr = EXPR_KINDS.has((node as { kind?: string }).kind ?? '') && 'span' in node;
    const d = isExpr ? depth + 1 : depth;
    const r = isExpr && !root ? (node as { span: unknown }) : root;
    if (d > MAX_EXPR_DEPTH && r) {
      if (!reported.has(r)) {
        reported.add(r);
        diags.report('nesting_too_deep', `expression is more than ${MAX_EXPR_DEPTH} levels deep (each operator of a chain like \`a + b + c\` is one level)`, r.span as never, ['split it with `let` bindings']);
      }
      ok = false;
      continue;
    }
    for (const [key, value] of Object.entries(node)) {
      if (key === 'span' || key === 'file' || typeof value !== 'object') continue;
      stack.push({ node: value, depth: d, root: r });
    }
  }
  return ok;
}
