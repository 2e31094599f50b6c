/**
 * A TextMate grammar for `.attn` files (VS Code, GitHub's Linguist, Shiki and other
 * highlighters read this format), made from the language's own lists: the lexer's keywords
 * and token patterns, the built-in functions and the index and size names. Printed into
 * `generated/editors/attn.tmLanguage.json` by `scripts/generate.ts`, and compared by a test, so
 * the grammar cannot drift from the language.
 */
import { DocComment, FloatLit, IntLit, Kw, LineComment, StringLit } from '../../1-parse/lexer.ts';
import { BUILTIN_FNS, INDEX_VARS, SIZE_NAMES } from '../../2-check/builtins.ts';
import { SCORE_FNS, SELECT_WORDS } from '../../2-check/check-select.ts';

export const KEYWORD_SCOPES: Readonly<Record<keyof typeof Kw, string>> = {
  pattern: 'storage.type.pattern.attn',
  fn: 'storage.type.function.attn',
  import: 'keyword.control.import.attn',
  let: 'storage.type.let.attn',
  allow: 'keyword.control.clause.attn',
  require: 'keyword.control.clause.attn',
  deny: 'keyword.control.clause.attn',
  causal: 'keyword.control.clause.attn',
  layout: 'keyword.other.layout.attn',
  grid: 'keyword.other.layout.attn',
  bias: 'keyword.other.score.attn',
  softcap: 'keyword.other.score.attn',
  assert: 'keyword.control.assert.attn',
  runtime: 'storage.modifier.attn',
  input: 'storage.modifier.attn',
  in: 'keyword.operator.word.attn',
  true: 'constant.language.boolean.attn',
  false: 'constant.language.boolean.attn',
  int: 'storage.type.primitive.attn',
  float: 'storage.type.primitive.attn',
  bool: 'storage.type.primitive.attn',
};

const words = (ws: readonly string[]) => `\\b(?:${[...ws].sort((a, b) => b.length - a.length || a.localeCompare(b)).join('|')})\\b`;

/** The grammar as an object (TextMate's JSON form). */
export function attnTextMateGrammar(): object {
  const byScope = new Map<string, string[]>();
  for (const [w, scope] of Object.entries(KEYWORD_SCOPES)) byScope.set(scope, [...(byScope.get(scope) ?? []), w]);
  const src = (t: { PATTERN?: unknown }) => (t.PATTERN as RegExp).source;
  return {
    $schema: 'https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json',
    name: 'attn',
    scopeName: 'source.attn',
    fileTypes: ['attn'],
    patterns: [
      { name: 'comment.line.documentation.attn', match: src(DocComment) },
      { name: 'comment.line.double-slash.attn', match: src(LineComment) },
      { name: 'comment.block.attn', begin: '/\\*', end: '\\*/' },
      { name: 'string.quoted.double.attn', match: src(StringLit) },
      { match: '\\b(pattern|fn)\\s+([A-Za-z_][A-Za-z0-9_]*)', captures: { 1: { name: 'storage.type.attn' }, 2: { name: 'entity.name.function.attn' } } },
      ...[...byScope].map(([name, ws]) => ({ name, match: words(ws) })),
      // The select clause's words are contextual (names elsewhere): scoped only where the clause puts them.
      { name: 'keyword.control.clause.attn', match: `\\b${SELECT_WORDS[0]}(?=\\s+${SELECT_WORDS[1]}\\s*\\()` },
      { name: 'keyword.other.select.attn', match: `\\b(?:${SELECT_WORDS[1]}|${SELECT_WORDS[2]})(?=\\s*\\()|\\b${SELECT_WORDS[3]}(?=\\s+[A-Za-z_])|\\b${SELECT_WORDS[4]}\\s+${SELECT_WORDS[5]}\\b` },
      { name: 'support.function.select.attn', match: `${words(SCORE_FNS.filter((f) => !Object.hasOwn(BUILTIN_FNS, f)))}(?=\\s*\\()` },
      { name: 'support.function.builtin.attn', match: `${words(Object.keys(BUILTIN_FNS))}(?=\\s*\\()` },
      { name: 'variable.language.index.attn', match: words(INDEX_VARS) },
      { name: 'variable.language.size.attn', match: words(SIZE_NAMES) },
      { name: 'constant.numeric.float.attn', match: `\\b(?:${src(FloatLit)})\\b` },
      { name: 'constant.numeric.integer.attn', match: `\\b${src(IntLit)}\\b` },
      { name: 'keyword.operator.attn', match: '->|\\.\\.|\\*\\*|<=|>=|==|!=|&&|\\|\\||[-+*/%<>!=]' },
      { name: 'punctuation.attn', match: '[()\\[\\]{},:;.]' },
    ],
  };
}

/** The grammar file's text (deterministic). */
export function attnTextMateJson(): string {
  return `${JSON.stringify(attnTextMateGrammar(), null, 2)}\n`;
}
