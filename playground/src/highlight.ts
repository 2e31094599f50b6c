/**
 * `.attn` highlighting for CodeMirror, from the TextMate grammar itself
 * (`compiler/4-emit/editors/textmate.ts`, the grammar of generated/editors/attn.tmLanguage.json):
 * its rules are applied the TextMate way, first rule that matches at the position wins, and each
 * scope maps to a CodeMirror highlight tag. The grammar is made from the lexer's keywords and
 * token patterns, so editors, GitHub and this page highlight the same words.
 */
import { StreamLanguage, type StreamParser } from '@codemirror/language';
import { tags as t, type Tag } from '@lezer/highlight';
import { attnTextMateGrammar } from '../../compiler/4-emit/editors/textmate.ts';

interface Rule {
  readonly name?: string;
  readonly match?: string;
  readonly begin?: string;
  readonly end?: string;
  readonly captures?: Readonly<Record<string, { name: string }>>;
}

/** TextMate scope prefixes and their highlight tags, most specific first. */
const SCOPE_TAGS: readonly (readonly [string, Tag])[] = [
  ['comment.line.documentation', t.docComment],
  ['comment.block', t.blockComment],
  ['comment', t.lineComment],
  ['string', t.string],
  ['entity.name.function', t.definition(t.function(t.variableName))],
  ['storage.type.primitive', t.typeName],
  ['storage.type', t.definitionKeyword],
  ['storage.modifier', t.modifier],
  ['keyword.control', t.controlKeyword],
  ['keyword.operator.word', t.operatorKeyword],
  ['keyword.operator', t.operator],
  ['keyword', t.keyword],
  ['constant.language', t.bool],
  ['constant.numeric', t.number],
  ['support.function', t.standard(t.function(t.variableName))],
  ['variable.language', t.special(t.variableName)],
  ['punctuation', t.punctuation],
];

/** The tag of a scope (`keyword.control.clause.attn` -> controlKeyword), or undefined. */
export function tagOf(scope: string): Tag | undefined {
  return SCOPE_TAGS.find(([prefix]) => scope === prefix || scope.startsWith(`${prefix}.`))?.[1];
}

/** A rule compiled: sticky regular expressions, so each tries at one position only. */
interface Compiled {
  readonly scope?: string;
  readonly match?: RegExp;
  readonly begin?: RegExp;
  readonly end?: RegExp;
  readonly captures?: readonly (string | undefined)[];
}

interface State {
  /** Inside a begin/end rule (a block comment): its index. */
  inside: number;
  /** Capture pieces still to emit: [length, scope]. */
  pending: [number, string | undefined][];
}

/** One token: its scope, and its length. Exposed for tests. */
export interface ScopedToken {
  readonly text: string;
  readonly scope?: string;
}

function compile(grammar: { patterns: readonly Rule[] }): Compiled[] {
  return grammar.patterns.map((r) => ({
    scope: r.name,
    match: r.match !== undefined ? new RegExp(r.match, 'yd') : undefined,
    begin: r.begin !== undefined ? new RegExp(r.begin, 'y') : undefined,
    end: r.end !== undefined ? new RegExp(r.end, 'g') : undefined,
    captures: r.captures ? Object.entries(r.captures).reduce<(string | undefined)[]>((a, [i, c]) => ((a[Number(i)] = c.name), a), []) : undefined,
  }));
}

const RULES = compile(attnTextMateGrammar() as { patterns: readonly Rule[] });

/** The next token of `line` at `pos` (with `state` carried across lines): [end, scope]. */
function next(line: string, pos: number, state: State): [number, string | undefined] {
  if (state.pending.length) {
    const [len, scope] = state.pending.shift()!;
    return [pos + len, scope];
  }
  if (state.inside >= 0) {
    const r = RULES[state.inside];
    r.end!.lastIndex = pos;
    const m = r.end!.exec(line);
    if (m) state.inside = -1;
    return [m ? m.index + m[0].length : line.length, r.scope];
  }
  for (let i = 0; i < RULES.length; i++) {
    const r = RULES[i];
    if (r.begin) {
      r.begin.lastIndex = pos;
      if (r.begin.test(line)) {
        state.inside = i;
        return next(line, pos, state);
      }
      continue;
    }
    r.match!.lastIndex = pos;
    const m = r.match!.exec(line);
    if (!m || m[0].length === 0) continue;
    if (!r.captures) return [pos + m[0].length, r.scope];
    // Split the match into its captured groups (scoped) and what lies between them (unscoped).
    let at = pos;
    const end = pos + m[0].length;
    for (let g = 1; g < m.length; g++) {
      const span = m.indices?.[g];
      if (!span || span[0] < at) continue;
      if (span[0] > at) state.pending.push([span[0] - at, undefined]);
      if (span[1] > span[0]) state.pending.push([span[1] - span[0], r.captures[g]]);
      at = span[1];
    }
    if (end > at) state.pending.push([end - at, undefined]);
    return next(line, pos, state);
  }
  return [pos + 1, undefined];
}

/** Splits source text into scoped tokens (consecutive unscoped characters merged): what the editor colours. */
export function tokenize(text: string): ScopedToken[] {
  const out: ScopedToken[] = [];
  const state: State = { inside: -1, pending: [] };
  for (const line of text.split('\n')) {
    for (let pos = 0; pos < line.length;) {
      const [end, scope] = next(line, pos, state);
      const last = out[out.length - 1];
      if (scope === undefined && last && last.scope === undefined) out[out.length - 1] = { text: last.text + line.slice(pos, end) };
      else out.push({ text: line.slice(pos, end), scope });
      pos = end;
    }
    out.push({ text: '\n' });
  }
  out.pop();
  return out.filter((x) => x.text !== '' || x.scope !== undefined);
}

/** CodeMirror token names are short ids; `tokenTable` maps them to tags. */
const ids = new Map<string, string>();
const table: Record<string, Tag> = {};
for (const r of RULES) for (const s of [r.scope, ...(r.captures ?? [])]) {
  const tag = s && tagOf(s);
  if (s && tag && !ids.has(s)) {
    ids.set(s, `attn${ids.size}`);
    table[`attn${ids.size - 1}`] = tag;
  }
}

const parser: StreamParser<State> = {
  name: 'attn',
  startState: () => ({ inside: -1, pending: [] }),
  copyState: (s) => ({ inside: s.inside, pending: s.pending.map((p) => [...p] as [number, string | undefined]) }),
  token(stream, state) {
    const [end, scope] = next(stream.string, stream.pos, state);
    stream.pos = Math.max(end, stream.pos + 1);
    return (scope && ids.get(scope)) ?? null;
  },
  blankLine(state) {
    state.pending = [];
  },
  tokenTable: table,
  languageData: { commentTokens: { line: '//', block: { open: '/*', close: '*/' } } },
};

/** The `.attn` language for CodeMirror. */
export const attnLanguage = StreamLanguage.define(parser);
