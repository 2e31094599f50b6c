/**
 * The playground's highlighting applies the TextMate grammar's own rules (one token list for
 * editors, GitHub and the page): keywords, doc comments, built-ins and numbers of a bundled
 * pattern get their scopes, each scope has a CodeMirror tag, and tokens cover the text exactly.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tagOf, tokenize } from '../../playground/src/highlight.ts';
import { attnTextMateGrammar } from '../../compiler/4-emit/editors/textmate.ts';
import { summaryOf } from '../../playground/src/gallery.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const scopesOf = (text: string, word: string) => tokenize(text).filter((t) => t.text === word).map((t) => t.scope);

describe('playground highlighting', () => {
  it('tokenizes every bundled pattern into pieces that cover it', () => {
    for (const f of fs.readdirSync(path.join(ROOT, 'patterns'))) {
      const text = fs.readFileSync(path.join(ROOT, 'patterns', f), 'utf8');
      expect(tokenize(text).map((t) => t.text).join(''), f).toBe(text);
    }
  });

  it('gives keywords, names, doc comments, numbers and built-ins their grammar scopes', () => {
    const text = fs.readFileSync(path.join(ROOT, 'patterns/streaming.attn'), 'utf8');
    expect(scopesOf(text, 'pattern')).toEqual(['storage.type.attn']);
    expect(scopesOf(text, 'streaming')).toEqual(['entity.name.function.attn']);
    expect(scopesOf(text, 'causal')).toEqual(['keyword.control.clause.attn']);
    expect(scopesOf(text, 'int')).toContain('storage.type.primitive.attn');
    expect(scopesOf(text, '1024')).toEqual(['constant.numeric.integer.attn']);
    expect(tokenize(text)[0].scope).toBe('comment.line.documentation.attn');
    const t = tokenize('/* a\nb */ allow abs(q - k) < 4 // c');
    expect(t.slice(0, 3).map((x) => x.scope)).toEqual(['comment.block.attn', undefined, 'comment.block.attn']);
    expect(scopesOf('allow abs(q - k) < 4', 'abs')).toEqual(['support.function.builtin.attn']);
    expect(scopesOf('allow abs(q - k) < 4', 'q')).toEqual(['variable.language.index.attn']);
  });

  it('maps every scope of the grammar to a highlight tag', () => {
    const scopes = (attnTextMateGrammar() as { patterns: { name?: string; captures?: Record<string, { name: string }> }[] }).patterns
      .flatMap((r) => [r.name, ...Object.values(r.captures ?? {}).map((c) => c.name)]).filter((s): s is string => s !== undefined);
    for (const s of scopes) expect(tagOf(s), s).toBeDefined();
  });

  it('summarises a pattern for the gallery by its first sentence', () => {
    expect(summaryOf('/// The A-shape head pattern of MInference 1.0 (Jiang et al., 2024, "MInference 1.0: x"). More.\npattern a() {}')).toBe('The A-shape head pattern of MInference 1.0 (Jiang et al., 2024, "MInference 1.0: x").');
    expect(summaryOf('/// Causal attention: each query sees earlier keys.\npattern c() {}')).toBe('Causal attention');
  });
});
