/**
 * Phase 1: source text to AST. Lexes, parses with error recovery, and reports every lexing
 * and syntax error into the diagnostics bag. The AST is built only when the file parsed
 * cleanly: a recovered CST has holes, and checking a guess would bury the real error under
 * follow-on ones.
 */
import type { IToken } from 'chevrotain';
import type { Diagnostics } from '../diagnostics/diagnostic.ts';
import { spanOf, type SourceFile } from '../diagnostics/span.ts';
import type { FileAst } from '../ir/ast.ts';
import { attnLexer, StringLit, UnterminatedString } from './lexer.ts';
import { attnParser } from './parser.ts';
import { AstBuilder } from './to-ast.ts';
import { checkAstDepth, checkTokenNesting } from './limits.ts';

/** Parses one file. Returns undefined (with diagnostics reported) if it has syntax errors. */
export function parseFile(file: SourceFile, diags: Diagnostics): FileAst | undefined {
  const lexed = attnLexer().tokenize(file.text);
  let ok = true;
  for (const e of lexed.errors) {
    ok = false;
    const ch = file.text.slice(e.offset, e.offset + 1);
    diags.report('unexpected_character', `unexpected character \`${ch}\``, spanOf(file, e.offset, e.offset + Math.max(1, e.length)));
  }
  // An unterminated string is reported once and then parsed as a string, so the rest of
  // the file still gets its syntax checked without a follow-on error.
  const tokens = lexed.tokens.map((t) => {
    if (t.tokenType !== UnterminatedString) return t;
    ok = false;
    diags.report('unterminated_string', 'string literal is missing its closing `"`', spanOf(file, t.startOffset, t.endOffset! + 1));
    return { ...t, tokenType: StringLit, tokenTypeIdx: StringLit.tokenTypeIdx! };
  });

  if (!checkTokenNesting(file, tokens, diags)) return undefined;
  const parser = attnParser();
  parser.input = tokens;
  const cst = parser.file();
  for (const e of parser.errors) {
    ok = false;
    diags.report('syntax_error', e.message, errorSpan(file, e.token, (e as { previousToken?: IToken }).previousToken, tokens));
  }
  if (!ok) return undefined;

  const docs = (lexed.groups.docs ?? []) as IToken[];
  const ast = new AstBuilder(file, (start) => docBefore(file.text, docs, start)).build(cst);
  return checkAstDepth(ast, diags) ? ast : undefined;
}

/**
 * Where to point a syntax error. Tokens that recovery inserted have NaN offsets and the EOF
 * token has none; fall back to just after the previous real token.
 */
function errorSpan(file: SourceFile, tok: IToken, prev: IToken | undefined, tokens: readonly IToken[]) {
  if (Number.isFinite(tok.startOffset) && tok.tokenType.name !== 'EOF') {
    return spanOf(file, tok.startOffset, (tok.endOffset ?? tok.startOffset) + 1);
  }
  const before = prev && Number.isFinite(prev.endOffset) ? prev : tokens[tokens.length - 1];
  const at = before ? (before.endOffset ?? before.startOffset) + 1 : file.text.length;
  return spanOf(file, at, at + 1);
}

/** The `///` lines directly above `start` (only whitespace between them), joined. */
function docBefore(text: string, docs: readonly IToken[], start: number): string {
  const lines: string[] = [];
  let cursor = start;
  for (let i = docs.length - 1; i >= 0; i--) {
    const d = docs[i];
    if (d.startOffset >= cursor) continue;
    if (text.slice(d.endOffset! + 1, cursor).trim() !== '') break;
    lines.unshift(d.image.replace(/^\/\/\/ ?/, ''));
    cursor = d.startOffset;
  }
  return lines.join('\n').trim();
}
