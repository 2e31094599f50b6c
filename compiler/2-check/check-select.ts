/**
 * Checks a `select top(K) blocks(BQ[, BK]) by SCORE [per kv_head]` clause: its contextual
 * words, the count and block sizes (int expressions over parameters and sizes) and the
 * score's form. The pattern's allows and restriction are combined by `check-pattern.ts`.
 */
import type { Diagnostics } from '../diagnostics/diagnostic.ts';
import type * as A from '../ir/ast.ts';
import { fold } from '../ir/fold.ts';
import * as M from '../ir/mask.ts';
import type { SelectScore } from '../ir/program.ts';
import { elaborate, expect, type Scope } from './elaborate.ts';

/** The parts of a checked select clause the statement itself gives. */
export interface SelectParts {
  readonly k: M.MExpr;
  readonly blockQ: M.MExpr;
  readonly blockKv: M.MExpr;
  readonly score: SelectScore;
  readonly perKvHead: boolean;
}

/** The contextual words of a select clause, in order (`per kv_head` optional). */
export const SELECT_WORDS = ['select', 'top', 'blocks', 'by', 'per', 'kv_head'] as const;
/** The pooling and scoring functions a select score is written with. */
export const SCORE_FNS = ['dot', 'bound', 'mean', 'max'] as const;

/** The score forms, as a note. */
export const SCORE_FORMS = 'a score is `dot(mean(q), mean(k))`, `dot(mean(q), max(k))`, `bound(mean(q), k)` or an input declared `float[batch, heads, q_blocks, kv_blocks]`';

/** Checks `s`; `scoreInputs` are the pattern's float array inputs (`useScore` marks one used). Undefined on errors (reported). */
export function checkSelect(s: A.SelectStmt, scope: Scope, scoreInputs: ReadonlySet<string>, useScore: (name: string) => void, diags: Diagnostics): SelectParts | undefined {
  let ok = checkWords(s.words, diags);
  const value = (x: A.Expr, what: string, min: number): M.MExpr | undefined => {
    const r = elaborate(x, scope);
    if (!expect(r, 'int', x.span, diags)) return undefined;
    let bad: M.MExpr | undefined;
    M.some(r.e, (n) => (n.kind === 'var' || n.kind === 'input' ? ((bad = n), true) : false));
    if (bad) {
      const name = bad.kind === 'var' || bad.kind === 'input' ? bad.name : '';
      diags.report('bad_select', `the ${what} of a \`select\` cannot read ${bad.kind === 'var' ? `the index variable \`${name}\`` : `the input array \`${name}\``}: it is one value per call`, bad.span ?? x.span, ['it may use parameters (compile-time or `runtime`) and the sizes `q_len`, `kv_len`, `heads`']);
      return undefined;
    }
    const c = fold(r.e);
    if (c.kind === 'const' && (c.value as number) < min) {
      diags.report('bad_select', `the ${what} of a \`select\` is ${String(c.value)}, but it must be ${min === 0 ? 'at least 0' : 'greater than 0'}`, x.span);
      return undefined;
    }
    return r.e;
  };
  const k = value(s.count, 'count', 0);
  const blockQ = value(s.blockQ, 'query block size', 1);
  const blockKv = s.blockKv ? value(s.blockKv, 'key block size', 1) : blockQ;
  const score = checkScore(s.score, scope, scoreInputs, useScore, diags);
  if (!k || !blockQ || !blockKv || !score) ok = false;
  if (!ok) return undefined;
  return { k: k!, blockQ: blockQ!, blockKv: blockKv!, score: score!, perKvHead: s.words.length > 4 };
}

/** `select top blocks by [per kv_head]`, each where the grammar puts it. */
function checkWords(words: readonly A.Name[], diags: Diagnostics): boolean {
  const want = SELECT_WORDS;
  let ok = true;
  words.forEach((w, i) => {
    if (w.text === want[i]) return;
    diags.report('syntax_error', `expected \`${want[i]}\`, found \`${w.text}\``, w.span, ['a select clause reads `select top(K) blocks(B) by SCORE`, or `blocks(BQ, BK)`, optionally followed by `per kv_head`']);
    ok = false;
  });
  return ok;
}

const isName = (x: A.Expr, n: string): boolean => x.kind === 'name' && x.name === n;
const pooled = (x: A.Expr, pools: readonly string[], of: string): string | undefined =>
  x.kind === 'call' && pools.includes(x.callee.text) && x.args.length === 1 && isName(x.args[0], of) ? x.callee.text : undefined;

/** The score's form: `dot(mean(q), mean|max(k))`, `bound(mean(q), k)` or a score input's name. */
function checkScore(x: A.Expr, scope: Scope, scoreInputs: ReadonlySet<string>, useScore: (name: string) => void, diags: Diagnostics): SelectScore | undefined {
  if (x.kind === 'name' && scoreInputs.has(x.name)) {
    useScore(x.name);
    return { kind: 'input', name: x.name };
  }
  if (x.kind === 'call' && x.args.length === 2 && pooled(x.args[0], ['mean'], 'q')) {
    if (x.callee.text === 'dot') {
      const kPool = pooled(x.args[1], ['mean', 'max'], 'k');
      if (kPool) return { kind: 'dot', kPool: kPool as 'mean' | 'max' };
    }
    if (x.callee.text === 'bound' && isName(x.args[1], 'k')) return { kind: 'bound' };
  }
  const b = x.kind === 'name' ? scope.bindings.get(x.name) : undefined;
  const why = x.kind === 'name' && b?.kind === 'input'
    ? `\`${x.name}\` is an int input array; a score input is declared \`input ${x.name}: float[batch, heads, q_blocks, kv_blocks]\``
    : 'this is not a score this clause can compute';
  if (!(b?.kind === 'value' && b.t === 'error')) diags.report('bad_select_score', why, x.span, [SCORE_FORMS]);
  return undefined;
}
