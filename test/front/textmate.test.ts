/**
 * The TextMate grammar (generated/editors/attn.tmLanguage.json, printed from the language's
 * own lists by compiler/4-emit/editors/textmate.ts) highlights what the lexer reads: every
 * keyword token of every bundled pattern, doc comment and built-in call gets its scope when
 * the grammar's patterns are applied the TextMate way (the earliest match wins, then the
 * first pattern in the list).
 */
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { attnLexer, Kw } from '../../compiler/1-parse/lexer.ts';
import { BUILTIN_FNS } from '../../compiler/2-check/builtins.ts';
import { attnTextMateGrammar, KEYWORD_SCOPES } from '../../compiler/4-emit/editors/textmate.ts';

interface Rule { name?: string; match?: string; begin?: string; end?: string; captures?: Record<string, { name: string }> }
const grammar = attnTextMateGrammar() as { scopeName: string; patterns: Rule[] };

/** Scope of each character of `text`, by applying the grammar's top-level patterns. */
function highlight(text: string): (string | undefined)[] {
  const scopes: (string | undefined)[] = new Array(text.length).fill(undefined);
  const rules = grammar.patterns.map((r) => ({ r, re: new RegExp(r.match ?? r.begin!, 'gd') }));
  let pos = 0;
  while (pos < text.length) {
    let best: { r: Rule; m: RegExpExecArray } | undefined;
    for (const { r, re } of rules) {
      re.lastIndex = pos;
      const m = re.exec(text);
      if (m && (!best || m.index < best.m.index)) best = { r, m };
    }
    if (!best) break;
    const { r, m } = best;
    let end = m.index + m[0].length;
    if (r.begin) {
      const close = new RegExp(r.end!, 'g');
      close.lastIndex = end;
      const e = close.exec(text);
      end = e ? e.index + e[0].length : text.length;
    }
    if (r.name) for (let i = m.index; i < end; i++) scopes[i] = r.name;
    for (const [g, c] of Object.entries(r.captures ?? {})) {
      const span = m.indices?.[Number(g)];
      if (span) for (let i = span[0]; i < span[1]; i++) scopes[i] = c.name;
    }
    pos = Math.max(end, pos + 1);
  }
  return scopes;
}

describe('the TextMate grammar', () => {
  it('is the committed file, and every pattern is a valid regular expression', () => {
    expect(JSON.parse(fs.readFileSync('generated/editors/attn.tmLanguage.json', 'utf8'))).toEqual(grammar);
    expect(grammar.scopeName).toBe('source.attn');
    for (const r of grammar.patterns) for (const re of [r.match, r.begin, r.end]) if (re) expect(() => new RegExp(re)).not.toThrow();
  });

  it('scopes every keyword, doc comment and built-in call of the bundled patterns as the lexer reads them', () => {
    const files = fs.readdirSync('patterns').filter((f) => f.endsWith('.attn'));
    const kwNames = new Map(Object.entries(Kw).map(([w, t]) => [t.name, w]));
    let keywords = 0, docs = 0, calls = 0;
    for (const f of files) {
      const text = fs.readFileSync(`patterns/${f}`, 'utf8');
      const scopes = highlight(text);
      const lexed = attnLexer().tokenize(text);
      for (const t of lexed.tokens) {
        const scope = scopes[t.startOffset];
        const word = kwNames.get(t.tokenType.name);
        if (word !== undefined) {
          keywords++;
          // `pattern NAME` and `fn NAME` are matched together (keyword and function name).
          expect(scope, `${f}:${t.startLine} \`${word}\``).toBe(word === 'pattern' || word === 'fn' ? 'storage.type.attn' : KEYWORD_SCOPES[word as keyof typeof KEYWORD_SCOPES]);
        } else if (t.tokenType.name === 'Identifier' && Object.hasOwn(BUILTIN_FNS, t.image) && text.slice(t.endOffset! + 1).trimStart().startsWith('(')) {
          calls++;
          expect(scope, `${f}:${t.startLine} ${t.image}(`).toBe('support.function.builtin.attn');
        } else if (t.tokenType.name === 'StringLit') expect(scope).toBe('string.quoted.double.attn');
      }
      for (const d of (lexed.groups.docs ?? [])) {
        docs++;
        expect(scopes[d.startOffset], `${f}:${d.startLine} doc comment`).toBe('comment.line.documentation.attn');
      }
    }
    expect(keywords).toBeGreaterThan(100);
    expect(docs).toBeGreaterThan(20);
    expect(calls).toBeGreaterThan(5);
  });

  it('gives the word `int` its type scope, not `in` followed by `t`, and does not scope `interval` at all', () => {
    const s = highlight('pattern p(w: int = 4) { allow q in {0..w} }\n');
    const at = (needle: string, from = 0) => s['pattern p(w: int = 4) { allow q in {0..w} }\n'.indexOf(needle, from)];
    expect(at('int')).toBe('storage.type.primitive.attn');
    expect(at('in {')).toBe('keyword.operator.word.attn');
    expect(at('p(')).toBe('entity.name.function.attn');
    expect(highlight('interval')[0]).toBeUndefined();
  });
});
