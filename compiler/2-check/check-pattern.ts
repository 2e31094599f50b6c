/**
 * Checks one `pattern`: its parameter table, layout, clauses, score modifications and
 * asserts, and produces the pattern's mask IR. Statements are elaborated in order, so a
 * `let` is visible only after it is defined; the layout applies to the whole body.
 */
import type { Diagnostics } from '../diagnostics/diagnostic.ts';
import type { Span } from '../diagnostics/span.ts';
import type * as A from '../ir/ast.ts';
import { fold, foldReporting } from '../ir/fold.ts';
import * as M from '../ir/mask.ts';
import { SCORE_INPUT_TYPE, type CheckedAssert, type CheckedPattern, type CheckedSelect, type LayoutAxis, type ParamInfo } from '../ir/program.ts';
import { generatedNameConflict, isReserved } from './builtins.ts';
import { checkSelect, type SelectParts } from './check-select.ts';
import { elaborate, expect, expectNum, type Binding, type Budget, type FnInfo, type Scope } from './elaborate.ts';

/** Checks `p`; returns undefined if it has errors (reported). */
export function checkPattern(p: A.PatternDecl, fns: ReadonlyMap<string, FnInfo>, diags: Diagnostics): CheckedPattern | undefined {
  const before = diags.items.filter((d) => d.severity === 'error').length;
  const bindings = new Map<string, Binding>();
  const used = new Set<string>();
  const indexedBy = new Map<string, Set<'q' | 'k' | 'b'>>();
  const declared = new Map<string, Span>();
  if (p.name.text.length > MAX_PATTERN_NAME) {
    diags.report('name_too_long', `pattern name is ${p.name.text.length} characters long; the limit is ${MAX_PATTERN_NAME} (it names the generated files)`, p.name.span);
  }
  const define = (n: A.Name): boolean => {
    if (isReserved(n.text)) {
      diags.report('reserved_name', `\`${n.text}\` is built in and cannot be redefined`, n.span);
      return false;
    }
    const prev = declared.get(n.text);
    if (prev) {
      diags.report('duplicate_definition', `\`${n.text}\` is already defined in this pattern`, n.span, [`first defined at ${prev.file.name}:${prev.line}:${prev.col}`]);
      return false;
    }
    declared.set(n.text, n.span);
    return true;
  };
  const budget: Budget = { nodes: 0, reported: false };
  const baseScope = (): Scope => ({ bindings, layout, fns, expanding: new Set(), diags, siteDiags: diags, budget });
  const exactSeen = new Set<M.MExpr>();

  // Parameters.
  const params: Omit<ParamInfo, 'used' | 'indexedBy'>[] = [];
  const scoreInputs = new Set<string>();
  let layout: LayoutAxis[] | undefined;
  for (const decl of p.params) {
    if (!define(decl.name)) continue;
    const conflict = decl.mode === 'const' ? undefined : generatedNameConflict(decl.name.text);
    if (conflict) diags.report('reserved_name', `${conflict}; rename this ${decl.mode === 'input' ? 'input array' : 'runtime value'}`, decl.name.span);
    const info = conflict ? undefined : checkParam(decl, diags);
    if (!info) {
      // Bound as an error value so that uses do not cascade into `unknown_name`.
      bindings.set(decl.name.text, { kind: 'value', e: M.int(0), t: 'error' });
      continue;
    }
    params.push(info);
    const name = decl.name.text;
    if (info.type === 'float[]') {
      scoreInputs.add(name);
      bindings.set(name, { kind: 'scoreInput', name });
    } else if (info.mode === 'input') {
      bindings.set(name, { kind: 'input', name, length: info.length ?? 'kv_len', batched: info.batched ?? false, onUse: (i) => { used.add(name); (indexedBy.get(name) ?? indexedBy.set(name, new Set()).get(name)!).add(i); } });
    } else {
      const t = info.type as A.ScalarType;
      bindings.set(name, { kind: 'value', e: { kind: 'param', type: t, name, mode: info.mode, span: decl.name.span }, t, onUse: () => used.add(name) });
    }
  }

  // Layout first: coordinates are usable anywhere in the body.
  const layouts = p.body.filter((s): s is Extract<A.Stmt, { kind: 'layout' }> => s.kind === 'layout');
  for (const extra of layouts.slice(1)) diags.report('duplicate_clause', 'a pattern has at most one `layout`', extra.span);
  if (layouts[0]) layout = checkLayout(layouts[0], baseScope(), diags);

  const allows: M.MExpr[] = [];
  const requires: M.MExpr[] = [];
  const denies: M.MExpr[] = [];
  const asserts: CheckedAssert[] = [];
  let bias: M.MExpr | undefined;
  let softcap: M.MExpr | undefined;
  const seen = new Set<string>();
  let select: (SelectParts & { span: Span }) | undefined;
  let selectSeen = false;
  const lets: { name: A.Name; used: boolean }[] = [];

  for (const s of p.body) {
    const scope = baseScope();
    budget.at = s.span;
    switch (s.kind) {
      case 'causal':
        requires.push(M.cmp('<=', M.v('k'), M.v('q'), s.span));
        break;
      case 'allow': case 'require': case 'deny': {
        const r = elaborate(s.cond, scope);
        if (!expect(r, 'bool', s.cond.span, diags) || !exactInts(r.e, diags, exactSeen)) break;
        (s.kind === 'allow' ? allows : s.kind === 'require' ? requires : denies).push(r.e);
        break;
      }
      case 'let': {
        const r = elaborate(s.value, scope);
        if (!define(s.name)) break;
        const entry = { name: s.name, used: false };
        lets.push(entry);
        bindings.set(s.name.text, { kind: 'value', e: r.e, t: r.t, onUse: () => { entry.used = true; } });
        break;
      }
      case 'layout':
        break;
      case 'bias': case 'softcap': {
        if (seen.has(s.kind)) { diags.report('duplicate_clause', `a pattern has at most one \`${s.kind}\``, s.span); break; }
        seen.add(s.kind);
        const r = elaborate(s.value, scope);
        if (!expectNum(r, s.value.span, diags)) break;
        if (s.kind === 'bias') bias = M.toFloat(r.e);
        else softcap = M.toFloat(r.e);
        break;
      }
      case 'select': {
        if (selectSeen) { diags.report('duplicate_clause', 'a pattern has at most one `select`', s.span); break; }
        selectSeen = true;
        const parts = checkSelect(s, scope, scoreInputs, (n) => used.add(n), diags);
        if (parts) select = { ...parts, span: s.span };
        break;
      }
      case 'assert': {
        const r = elaborate(s.cond, scope);
        if (expect(r, 'bool', s.cond.span, diags) && assertUsesOnlyValues(r.e, s.cond.span, diags)) asserts.push({ cond: r.e, message: s.message, span: s.span });
        break;
      }
    }
  }

  // With a select and no allow, A is false: only the selected blocks (and no others) are attended.
  const any = allows.length === 0 ? M.bool(!selectSeen) : M.or(allows);
  const bad = badConstantReporter(diags);
  // One fold memo: a node shared by the mask, bias, soft-cap, ... is judged (and reported) once.
  const folded = new Map<M.MExpr, M.MExpr>();
  const restrictions = [...requires, ...denies.map((dn) => M.not(dn))];
  const mask = foldReporting(M.and([any, ...restrictions]), bad, folded);
  let checkedSelect: CheckedSelect | undefined;
  if (select) {
    const { k, blockQ, blockKv } = select;
    for (const e of [k, blockQ, blockKv]) foldReporting(e, bad, folded);
    checkedSelect = { ...select, allow: foldReporting(any, bad, folded), restriction: foldReporting(M.and(restrictions), bad, folded) };
  }
  for (const name of scoreInputs) {
    if (used.has(name) || (selectSeen && !select)) continue;
    const prm = params.find((x) => x.name === name)!;
    diags.report('bad_score_input', selectSeen ? `\`${name}\` is a score input, but the pattern's \`select\` does not score by it` : `\`${name}\` is a score input (${SCORE_INPUT_TYPE}), but the pattern has no \`select\` clause to score by it`, prm.span, ['write `select top(K) blocks(B) by ' + name + '`; int per-token values are `int[kv_len]` arrays']);
  }
  for (const e of [bias, ...(layout ?? []).map((a) => a.size), ...asserts.map((a) => a.cond)]) if (e) foldReporting(e, bad, folded);
  if (softcap) checkSoftcap(foldReporting(softcap, bad, folded), diags);

  const failed = diags.items.filter((d) => d.severity === 'error').length > before;
  // Unused-name warnings only for patterns that check: after an error they are mostly noise.
  if (!failed) for (const l of lets) if (!l.used) diags.report('unused_let', `\`${l.name.text}\` is never used`, l.name.span);
  if (!failed) for (const prm of params) {
    if (!used.has(prm.name)) diags.report('unused_param', `parameter \`${prm.name}\` is never used`, prm.span);
  }
  if (failed) return undefined;
  return {
    name: p.name.text,
    doc: p.doc,
    file: p.span.file,
    span: p.span,
    params: params.map((x) => ({ ...x, used: used.has(x.name), indexedBy: indexedBy.has(x.name) ? [...indexedBy.get(x.name)!].sort() : undefined })),
    layout,
    allows,
    requires,
    denies,
    mask,
    bias,
    softcap,
    asserts,
    ...(checkedSelect ? { select: checkedSelect } : {}),
  };
}

/** The longest pattern name: the name is part of every generated file's name. */
export const MAX_PATTERN_NAME = 100;

/** How a constant the kernels cannot compute is reported (`constant_out_of_range`). */
export function badConstantReporter(diags: Diagnostics, notes: readonly string[] = []): (node: M.MExpr, why: string) => void {
  return (node, why) => {
    const text = M.show(node);
    const what = node.kind === 'const' ? 'this constant' : `\`${text.length > 60 ? `${text.slice(0, 57)}...` : text}\``;
    diags.report('constant_out_of_range', `${what} evaluates to ${why}`, node.span, [...notes]);
  };
}

/** What a soft-cap of runtime values that is not above 0 fails with when a call is planned. */
const SOFTCAP_RULE = 'must be greater than 0 (score = c * tanh(score / c))';
export const SOFTCAP_MESSAGE = `the soft-cap ${SOFTCAP_RULE}`;

/**
 * The soft-cap c divides the score (c * tanh(score / c)): a constant c must be positive.
 * `softcap` is the folded expression; a non-constant one is not judged here.
 */
export function checkSoftcap(softcap: M.MExpr, diags: Diagnostics, notes: readonly string[] = []): boolean {
  if (softcap.kind !== 'const' || (softcap.value as number) > 0) return true;
  diags.report('bad_softcap', `the soft-cap is ${softcap.value}, but it ${SOFTCAP_RULE}`, softcap.span, [...notes]);
  return false;
}

/**
 * Asserts are checked once per bound pattern or planned problem, not per query and key:
 * they may use parameters and sizes, not `q k h b` or input arrays.
 */
/**
 * What makes `e` a per-element value rather than one per call: an index variable it reads
 * (the first found), else an input array; undefined when it reads only parameters and sizes.
 */
export function perElementLeaf(e: M.MExpr): M.MExpr | undefined {
  const at = (pred: (n: M.MExpr) => boolean): M.MExpr | undefined => {
    let hit: M.MExpr | undefined;
    M.some(e, (n) => (pred(n) ? ((hit = n), true) : false));
    return hit;
  };
  return at((n) => n.kind === 'var') ?? at((n) => n.kind === 'input');
}

function assertUsesOnlyValues(e: M.MExpr, span: Span, diags: Diagnostics): boolean {
  const n = perElementLeaf(e);
  if (!n) return true;
  const what = n.kind === 'var' ? `the index variable \`${n.name}\`` : `the input array \`${(n as { name: string }).name}\``;
  diags.report('bad_assert', `an assert cannot read ${what}: asserts are checked once per problem, not per query and key`, n.span ?? span, ['an assert may use parameters and the sizes `q_len`, `kv_len`, `heads`']);
  return false;
}

/** A mask compares exact integers: a float anywhere under a comparison is an error. Nodes in `seen` (shared with earlier clauses) were judged already. */
function exactInts(e: M.MExpr, diags: Diagnostics, seen: Set<M.MExpr>): boolean {
  let ok = true;
  const walk = (x: M.MExpr) => {
    if (seen.has(x)) return;
    seen.add(x);
    if (x.kind === 'cmp' && (x.a.type === 'float' || x.b.type === 'float')) {
      diags.report('float_in_mask', 'this comparison uses float values: masks are exact integer arithmetic', x.span, ['floats are allowed only in `bias` and `softcap`']);
      ok = false;
      return;
    }
    if (x.kind === 'call' && x.fn === 'select' && x.type === 'float') return;
    M.children(x).forEach(walk);
  };
  walk(e);
  return ok;
}

function checkParam(decl: A.ParamDecl, diags: Diagnostics): Omit<ParamInfo, 'used' | 'indexedBy'> | undefined {
  const base = { name: decl.name.text, mode: decl.mode, doc: decl.doc, span: decl.name.span };
  if (decl.type.kind === 'array' && decl.type.elem === 'float') {
    const dims = decl.type.dims.map((d) => d.text).join(', ');
    if (decl.mode !== 'input' || dims !== 'batch, heads, q_blocks, kv_blocks') {
      diags.report('bad_score_input', decl.mode !== 'input' ? 'a float array is a select score input: declare it `input`' : `a float array input is a select score of type \`${SCORE_INPUT_TYPE}\`, not \`float[${dims}]\``, decl.type.span, [`declare it \`input ${decl.name.text}: ${SCORE_INPUT_TYPE}\` and use it as \`select top(K) blocks(B) by ${decl.name.text}\``]);
      return undefined;
    }
    if (decl.default || decl.range) {
      diags.report('bad_param_default', 'an `input` array has no default or range; it is passed at call time', (decl.default ?? decl.range!).span);
      return undefined;
    }
    return { ...base, type: 'float[]' };
  }
  if (decl.mode === 'input') {
    if (decl.type.kind !== 'array') {
      diags.report('type_mismatch', 'an `input` parameter is an array: declare it `int[q_len]` or `int[kv_len]` (one int per token), `int[batch]` (one per batch element) or `int[batch, kv_len]` (a row per batch element)', decl.type.span);
      return undefined;
    }
    const shape = arrayShape(decl.type, diags);
    if (!shape) return undefined;
    if (decl.default || decl.range) {
      diags.report('bad_param_default', 'an `input` array has no default or range; it is passed at call time', (decl.default ?? decl.range!).span);
      return undefined;
    }
    return { ...base, type: 'int[]', length: shape.length, ...(shape.batched ? { batched: true } : {}) };
  }
  if (decl.type.kind === 'array') {
    const batch = decl.type.dims.some((d) => d.text === 'batch');
    diags.report('type_mismatch', batch && decl.mode === 'runtime' ? `per-batch values are input arrays: declare it \`input ${decl.name.text}: int[batch]\`` : 'arrays must be declared `input`', decl.type.span);
    return undefined;
  }
  const t = decl.type.name;
  const constant = (x: A.Expr, what: string): number | boolean | undefined => {
    const r = elaborate(x, { bindings: new Map(), layout: undefined, fns: new Map(), expanding: new Set(), diags, siteDiags: diags });
    if (r.t === 'error') return undefined;
    const f = fold(r.e);
    if (f.kind !== 'const' || M.some(r.e, (n) => n.kind === 'var' || n.kind === 'size')) {
      diags.report('bad_param_default', `the ${what} of \`${decl.name.text}\` must be a constant`, x.span);
      return undefined;
    }
    const ok = f.type === t || (t === 'float' && f.type === 'int');
    if (!ok) {
      diags.report('bad_param_default', `the ${what} of \`${decl.name.text}\` must be ${t === 'int' ? 'an int' : `a ${t}`}, found ${f.type}`, x.span);
      return undefined;
    }
    return f.value;
  };
  let range: { lo: number; hi?: number } | undefined;
  if (decl.range) {
    if (t === 'bool') {
      diags.report('bad_param_default', 'a bool parameter has no range', decl.range.span);
      return undefined;
    }
    const lo = constant(decl.range.lo, 'range start');
    const hi = decl.range.hi ? constant(decl.range.hi, 'range end') : undefined;
    if (lo === undefined || (decl.range.hi && hi === undefined)) return undefined;
    range = { lo: lo as number, hi: hi as number | undefined };
  }
  let def: number | boolean | undefined;
  if (decl.default) {
    def = constant(decl.default, 'default');
    if (def === undefined) return undefined;
    if (range && !inRange(def as number, range)) {
      diags.report('param_out_of_range', `default ${def} of \`${decl.name.text}\` is outside ${fmtRange(range)}`, decl.default.span);
      return undefined;
    }
  }
  return { ...base, type: t, default: def, range };
}

/** The shape of an input array's type: `int[L]` or `int[batch, L]` with L `q_len`/`kv_len`, or `int[batch]`. */
function arrayShape(t: Extract<A.TypeAst, { kind: 'array' }>, diags: Diagnostics): { length: 'q_len' | 'kv_len' | 'batch'; batched: boolean } | undefined {
  const names = t.dims.map((d) => d.text);
  let ok = true;
  for (const d of t.dims) {
    if (d.text !== 'q_len' && d.text !== 'kv_len' && d.text !== 'batch') {
      diags.report('unknown_name', `an input array's dimension is \`q_len\`, \`kv_len\` or \`batch\`, not \`${d.text}\``, d.span);
      ok = false;
    }
  }
  if (!ok) return undefined;
  if (names.length > 2) {
    diags.report('type_mismatch', `an int input array has one or two dimensions, not \`int[${names.join(', ')}]\``, t.span, ['`int[kv_len]`, `int[q_len]`, `int[batch]` or `int[batch, kv_len]`']);
    return undefined;
  }
  if (names.length === 1) return { length: names[0] as 'q_len' | 'kv_len' | 'batch', batched: false };
  if (names[0] === 'batch' && names[1] !== 'batch') return { length: names[1] as 'q_len' | 'kv_len', batched: true };
  const fix = names[1] === 'batch' && names[0] !== 'batch' ? [`write \`int[batch, ${names[0]}]\`: one row of ${names[0]} entries per batch element`] : ['two dimensions are `int[batch, q_len]` or `int[batch, kv_len]`'];
  diags.report('type_mismatch', `an input array of two dimensions has the batch first and a token dimension second, not \`int[${names.join(', ')}]\``, t.span, fix);
  return undefined;
}

/** Is `v` in the half-open range? */
export function inRange(v: number, r: { lo: number; hi?: number }): boolean {
  return v >= r.lo && (r.hi === undefined || v < r.hi);
}

/** `lo..hi` as written in source. */
export function fmtRange(r: { lo: number; hi?: number }): string {
  return `${r.lo}..${r.hi ?? ''}`;
}

function checkLayout(s: Extract<A.Stmt, { kind: 'layout' }>, scope: Scope, diags: Diagnostics): LayoutAxis[] | undefined {
  const axes: LayoutAxis[] = [];
  const names = new Set<string>();
  let ok = true;
  for (const ax of s.axes) {
    if (names.has(ax.name.text)) {
      diags.report('duplicate_definition', `layout axis \`${ax.name.text}\` is declared twice`, ax.name.span);
      ok = false;
      continue;
    }
    names.add(ax.name.text);
    const r = elaborate(ax.size, { ...scope, layout: undefined });
    if (!expect(r, 'int', ax.size.span, diags)) { ok = false; continue; }
    if ((['q', 'k', 'h', 'b'] as const).some((n) => M.usesVar(r.e, n))) {
      diags.report('type_mismatch', 'a layout size cannot depend on q, k, h or b', ax.size.span);
      ok = false;
      continue;
    }
    // A constant size must be positive (an axis of no points makes every coordinate 0).
    const c = r.e.kind === 'const' ? Number(r.e.value) : r.e.kind === 'neg' && r.e.x.kind === 'const' ? -Number(r.e.x.value) : undefined;
    if (c !== undefined && c <= 0) {
      diags.report('bad_layout_size', `layout axis \`${ax.name.text}\` has size ${c}: a layout size must be positive`, ax.size.span);  // the axis is kept: its coordinates are not unknown
    }
    axes.push({ name: ax.name.text, size: r.e });
  }
  return ok ? axes : undefined;
}
