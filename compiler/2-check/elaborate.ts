/**
 * Expression elaboration: surface `Expr` to typed mask IR. Resolves names, expands `fn`
 * calls, layout coordinates, `in` tests and comparison chains, and type-checks as it goes.
 * Errors are reported and replaced by an `error`-typed placeholder that later checks accept
 * silently, so one mistake yields one diagnostic, not a cascade.
 */
import { assertNever, Diagnostics } from '../diagnostics/diagnostic.ts';
import { spanOf, type Span } from '../diagnostics/span.ts';
import type * as A from '../ir/ast.ts';
import * as M from '../ir/mask.ts';
import { fold } from '../ir/fold.ts';
import { inputTypeText, SCORE_INPUT_TYPE, type InputLength, type LayoutAxis } from '../ir/program.ts';
import { BUILTIN_FNS, INDEX_VARS, SIZE_NAMES, suggest } from './builtins.ts';

/** A type, or `error` after a reported mistake. */
export type Ty = A.ScalarType | 'error';
/** Elaborated expression with its type. */
export interface Typed {
  readonly e: M.MExpr;
  readonly t: Ty;
}

/** What a name refers to in a scope. */
export type Binding =
  | { readonly kind: 'value'; readonly e: M.MExpr; readonly t: Ty; readonly onUse?: () => void }
  | { readonly kind: 'input'; readonly name: string; readonly length: InputLength; readonly batched: boolean; readonly onUse?: (index: 'q' | 'k' | 'b') => void }
  /** A select score input (`float[batch, heads, q_blocks, kv_blocks]`): only `select ... by NAME` reads it. */
  | { readonly kind: 'scoreInput'; readonly name: string };

/** Reports a select score input used in an expression (`bad_score_input`). */
function scoreInputUse(name: string, span: Span, scope: Scope): Typed {
  scope.diags.report('bad_score_input', `\`${name}\` is a select score (${SCORE_INPUT_TYPE}): it can only be used as \`select top(K) blocks(B) by ${name}\``, span, ['masks, biases and asserts read int input arrays such as `int[kv_len]`']);
  return ERR;
}

/** A checked `fn`: its declaration and its result type. */
export interface FnInfo {
  readonly decl: A.FnDecl;
  readonly returns: Ty;
}

/** Everything elaboration needs to know about the surroundings of an expression. */
export interface Scope {
  readonly bindings: ReadonlyMap<string, Binding>;
  /** The pattern's layout; `any` while checking a `fn` body (coordinates resolve at call sites). */
  readonly layout: readonly LayoutAxis[] | 'any' | undefined;
  readonly fns: ReadonlyMap<string, FnInfo>;
  /** Functions being expanded right now (a recursive call is cut off; `recursive_fn` reports it). */
  readonly expanding: ReadonlySet<string>;
  readonly diags: Diagnostics;
  /** Where call-site-dependent errors (layout axes) go while a `fn` body is expanded silently. */
  readonly siteDiags: Diagnostics;
  /** Nodes elaborated so far for one pattern or `fn` (`MAX_EXPR_NODES`); shared by the scopes of its `fn` expansions. */
  readonly budget?: Budget;
}

/** Elaboration work of one pattern or `fn`; `at` is the statement or body being elaborated (where a refusal points). */
export interface Budget {
  nodes: number;
  reported: boolean;
  at?: Span;
}

const ERR: Typed = { e: M.int(0), t: 'error' };
const isNum = (t: Ty) => t === 'int' || t === 'float';

/**
 * Limits on elaborated expressions. `let`s and calls of a `fn` with the same arguments are
 * shared, not copied: the mask IR is a DAG, and every later pass and printer handles each
 * shared node once (the printed kernels bind it to a local). So what is bounded is the work
 * of elaboration, `MAX_EXPR_NODES` nodes per pattern (or `fn`) after sharing, which only
 * `fn` calls with ever new arguments can reach, and the depth of an expression counted
 * through its `let`s and calls, `MAX_EXPANDED_DEPTH` (later passes recurse over it). Past
 * either, `expression_too_large` is reported at the expression that crossed it.
 */
export const MAX_EXPR_NODES = 100_000;
export const MAX_EXPANDED_DEPTH = 256;

const SHAPE = new WeakMap<M.MExpr, { size: number; depth: number }>();

/** Expanded tree size (saturating) and depth of `e`, memoised per node (linear in the DAG). */
export function exprShape(e: M.MExpr): { size: number; depth: number } {
  const hit = SHAPE.get(e);
  if (hit) return hit;
  let size = 1;
  let depth = 0;
  for (const c of M.children(e)) {
    const s = exprShape(c);
    size = Math.min(Number.MAX_SAFE_INTEGER, size + s.size);
    depth = Math.max(depth, s.depth);
  }
  const shape = { size, depth: depth + 1 };
  SHAPE.set(e, shape);
  return shape;
}

/** Elaborates `x` in `scope`. */
export function elaborate(x: A.Expr, scope: Scope): Typed {
  const budget = scope.budget;
  if (budget) {
    if (budget.nodes >= MAX_EXPR_NODES) {
      if (!budget.reported) {
        budget.reported = true;
        scope.siteDiags.report('expression_too_large', `expression too large: elaborating it, with \`let\`s and repeated \`fn\` calls shared, takes more than ${MAX_EXPR_NODES} nodes`, budget.at ?? x.span, ['each call of a `fn` with new arguments expands its body again; compute less per element, or use a runtime parameter or input array']);
      }
      return ERR;
    }
    budget.nodes++;
  }
  const r = elaborateNode(x, scope);
  if (r.t === 'error') return r;
  const { depth } = exprShape(r.e);
  if (depth > MAX_EXPANDED_DEPTH) {
    scope.diags.report('expression_too_large', `expression too large after expanding \`let\` and \`fn\`: ${depth} levels deep, limit ${MAX_EXPANDED_DEPTH}`, x.span, ['split the computation differently, or use a runtime parameter or input array']);
    return ERR;
  }
  return r;
}

function elaborateNode(x: A.Expr, scope: Scope): Typed {
  const d = scope.diags;
  const span = x.span;
  switch (x.kind) {
    case 'int':
      if (!Number.isSafeInteger(x.value) || Math.abs(x.value) > 2 ** 31 - 1) {
        d.report('constant_out_of_range', 'integer literal does not fit in 32 bits (-2147483648..2147483647)', span);
        return ERR;
      }
      return { e: M.int(x.value, span), t: 'int' };
    case 'float':
      return { e: M.float(x.value, span), t: 'float' };
    case 'bool':
      return { e: M.bool(x.value, span), t: 'bool' };
    case 'name':
      return name(x.name, span, scope);
    case 'member':
      return member(x, scope);
    case 'index':
      return index(x, scope);
    case 'call':
      return call(x, scope);
    case 'unary': {
      // -2147483648 is a literal of its own: 2147483648 alone does not fit in 32 bits.
      if (x.op === '-' && x.operand.kind === 'int' && x.operand.value === 2 ** 31) return { e: M.int(-(2 ** 31), span), t: 'int' };
      const o = elaborate(x.operand, scope);
      if (x.op === '!') {
        if (!expect(o, 'bool', x.operand.span, d)) return ERR;
        return { e: M.not(o.e, span), t: 'bool' };
      }
      if (!expectNum(o, x.operand.span, d)) return ERR;
      return { e: { kind: 'neg', type: o.t as 'int' | 'float', x: o.e, span }, t: o.t };
    }
    case 'binary':
      return binary(x, scope);
    case 'compare': {
      const ops = x.operands.map((o) => elaborate(o, scope));
      const parts: M.MExpr[] = [];
      let bad = false;
      for (let i = 0; i < x.ops.length; i++) {
        const a = ops[i];
        const b = ops[i + 1];
        const op = x.ops[i];
        if (a.t === 'error' || b.t === 'error') { bad = true; continue; }
        if (a.t === 'bool' || b.t === 'bool') {
          if ((op === '==' || op === '!=') && a.t === b.t) { parts.push(M.cmp(op, a.e, b.e, span)); continue; }
          const which = a.t === 'bool' ? x.operands[i] : x.operands[i + 1];
          d.report('type_mismatch', `\`${op}\` compares numbers, but this is a bool`, which.span);
          bad = true;
          continue;
        }
        const fl = a.t === 'float' || b.t === 'float';
        parts.push(M.cmp(op, fl ? M.toFloat(a.e) : a.e, fl ? M.toFloat(b.e) : b.e, span));
      }
      return bad ? ERR : { e: M.and(parts, span), t: 'bool' };
    }
    case 'inSet': {
      const v = elaborate(x.value, scope);
      const items = x.items.map((i) => ({ ast: i, r: elaborate(i, scope) }));
      let ok = expect(v, 'int', x.value.span, d);
      for (const it of items) ok = expect(it.r, 'int', it.ast.span, d) && ok;
      if (!ok) return ERR;
      return { e: M.or(items.map((it) => M.cmp('==', v.e, it.r.e, it.ast.span)), span), t: 'bool' };
    }
    case 'inRange': {
      const v = elaborate(x.value, scope);
      const lo = elaborate(x.lo, scope);
      const hi = elaborate(x.hi, scope);
      const ok = [expect(v, 'int', x.value.span, d), expect(lo, 'int', x.lo.span, d), expect(hi, 'int', x.hi.span, d)].every(Boolean);
      if (!ok) return ERR;
      return { e: M.and([M.cmp('<=', lo.e, v.e, span), M.cmp('<', v.e, hi.e, span)], span), t: 'bool' };
    }
  }
  return assertNever(x);
}

/** `q k h b q_len kv_len heads`: the values every scope has. */
function isBuiltinValue(n: string): boolean {
  return (INDEX_VARS as readonly string[]).includes(n) || (SIZE_NAMES as readonly string[]).includes(n);
}

function name(n: string, span: Span, scope: Scope): Typed {
  const b = scope.bindings.get(n);
  if (b) {
    if (b.kind === 'scoreInput') return scoreInputUse(n, span, scope);
    if (b.kind === 'input') {
      scope.diags.report('not_indexable', `\`${n}\` is an input array: read it as ${readForms(b)}`, span);
      return ERR;
    }
    b.onUse?.();
    return { e: b.t === 'error' ? b.e : withSpan(b.e, span), t: b.t };
  }
  if ((INDEX_VARS as readonly string[]).includes(n)) return { e: { kind: 'var', type: 'int', name: n as M.IndexVar, span }, t: 'int' };
  if ((SIZE_NAMES as readonly string[]).includes(n)) return { e: { kind: 'size', type: 'int', name: n as M.SizeName, span }, t: 'int' };
  if (scope.fns.has(n) || n in BUILTIN_FNS) {
    scope.diags.report('type_mismatch', `\`${n}\` is a function: call it as \`${n}(...)\``, span);
    return ERR;
  }
  const near = suggest(n, [...scope.bindings.keys(), ...INDEX_VARS, ...SIZE_NAMES]);
  scope.diags.report('unknown_name', `unknown name \`${n}\``, span, near ? [`did you mean \`${near}\`?`] : undefined);
  return ERR;
}

/** Keeps a bound value's meaning but points diagnostics at the use site. */
function withSpan(e: M.MExpr, span: Span): M.MExpr {
  return e.kind === 'const' || e.kind === 'param' ? { ...e, span } : e;
}

function member(x: Extract<A.Expr, { kind: 'member' }>, scope: Scope): Typed {
  const obj = x.object;
  if (obj.kind !== 'name' || (obj.name !== 'q' && obj.name !== 'k') || scope.bindings.has(obj.name)) {
    scope.diags.report('unknown_axis', 'only `q` and `k` have layout coordinates (`q.x`, `k.y`, ...)', x.span);
    return ERR;
  }
  const axis = x.field.text;
  const layout = scope.layout;
  if (layout === 'any') return { e: { kind: 'var', type: 'int', name: obj.name, span: x.span }, t: 'int' };
  if (!layout) {
    scope.siteDiags.report('unknown_axis', `\`${obj.name}.${axis}\` needs a layout: add \`layout grid(${axis}: ...)\` to the pattern`, x.span);
    return ERR;
  }
  const i = layout.findIndex((a) => a.name === axis);
  if (i < 0) {
    const near = suggest(axis, layout.map((a) => a.name));
    scope.siteDiags.report('unknown_axis', `the layout has no axis \`${axis}\` (axes: ${layout.map((a) => a.name).join(', ')})`, x.field.span, near ? [`did you mean \`${near}\`?`] : undefined);
    return ERR;
  }
  return { e: coordinate({ kind: 'var', type: 'int', name: obj.name }, layout, i, x.span), t: 'int' };
}

/**
 * Coordinate `i` of token `t` on a row-major grid: `(t / stride_i) % size_i`, where
 * `stride_i` is the product of the later axes' sizes. The first axis is not wrapped, so
 * tokens past the grid continue its last row-block (a sequence longer than the grid
 * stays well defined).
 */
export function coordinate(t: M.MExpr, axes: readonly LayoutAxis[], i: number, span?: Span): M.MExpr {
  let stride: M.MExpr = M.int(1);
  for (let j = axes.length - 1; j > i; j--) stride = fold(M.arith('*', stride, axes[j].size));
  const scaled = fold(M.arith('/', t, stride, span));
  return i === 0 ? scaled : fold(M.arith('%', scaled, axes[i].size, span));
}

function index(x: Extract<A.Expr, { kind: 'index' }>, scope: Scope): Typed {
  const arr = x.array;
  const b = arr.kind === 'name' ? scope.bindings.get(arr.name) : undefined;
  if (b?.kind === 'value' && b.t === 'error') return ERR;
  if (b?.kind === 'scoreInput') return scoreInputUse(b.name, arr.span, scope);
  if (!b || b.kind !== 'input') {
    if (arr.kind === 'name' && !b && !isBuiltinValue(arr.name)) return name(arr.name, arr.span, scope);
    scope.diags.report('not_indexable', 'only `input` arrays can be indexed', arr.span);
    return ERR;
  }
  const idx = (e: A.Expr): 'q' | 'k' | 'b' | 'h' | undefined =>
    e.kind === 'name' && (['q', 'k', 'b', 'h'] as const).includes(e.name as 'q') && !scope.bindings.has(e.name) ? (e.name as 'q' | 'k' | 'b' | 'h') : undefined;
  const fail = (msg: string, span: Span, notes: string[] = []): Typed => {
    scope.diags.report('bad_index', msg, span, notes);
    return ERR;
  };
  const typeText = inputTypeText(b);
  const want = readForms(b);
  const n = x.indices.length;
  const idxSpan = spanOf(x.indices[0].span.file, x.indices[0].span.start, x.indices[n - 1].span.end);
  if (b.batched && n !== 2) return fail(`input array \`${b.name}\` is \`${typeText}\`, one row per batch element: read it as ${want}`, idxSpan);
  if (!b.batched && n !== 1) {
    return fail(`input array \`${b.name}\` is \`${typeText}\` and takes one index: read it as ${want}`, idxSpan,
      b.length === 'batch' ? [] : [`for a row per batch element, declare it \`int[batch, ${b.length}]\` and read it as \`${b.name}[b, ${b.length === 'q_len' ? 'q' : 'k'}]\``]);
  }
  if (b.batched) {
    const r = idx(x.indices[0]);
    if (r !== 'b') return fail(`the first index of \`${b.name}\` (\`${typeText}\`) is the batch element: \`b\``, x.indices[0].span, [`read it as ${want}`]);
  }
  const last = x.indices[n - 1];
  const i = idx(last);
  if (b.length === 'batch') {
    if (i !== 'b') return fail(`input array \`${b.name}\` has one entry per batch element: index it by \`b\``, last.span, [`read it as ${want}; per-token values need \`int[q_len]\`, \`int[kv_len]\` or \`int[batch, kv_len]\``]);
  } else if (i !== 'q' && i !== 'k') {
    return fail(`input array \`${b.name}\` (\`${typeText}\`) can only be indexed by ${b.batched ? '`b` and then `q` or `k`' : '`q` or `k`'}`, last.span,
      i === 'b' && !b.batched ? [`for a value per batch element, declare \`input ${b.name}: int[batch]\` and read it as \`${b.name}[b]\`; for a row per batch element, \`int[batch, ${b.length}]\` read as \`${b.name}[b, k]\``] : ['per-token inputs are read at the query or key position; compute other indices in the array itself']);
  }
  b.onUse?.(i);
  const len = b.length === 'q_len' || b.length === 'kv_len' ? b.length : undefined;
  const offset: M.MExpr | undefined = b.batched && len ? { kind: 'arith', type: 'int', op: '*', a: { kind: 'var', type: 'int', name: 'b', span: x.indices[0].span }, b: { kind: 'size', type: 'int', name: len }, span: x.indices[0].span } : undefined;
  return { e: { kind: 'input', type: 'int', name: b.name, index: i, ...(offset ? { offset } : {}), span: x.span }, t: 'int' };
}

/** How an input array is read, in words: `` `doc[q]` or `doc[k]` ``. */
function readForms(b: { readonly name: string; readonly length: InputLength; readonly batched: boolean }): string {
  if (b.length === 'batch') return `\`${b.name}[b]\``;
  return b.batched ? `\`${b.name}[b, q]\` or \`${b.name}[b, k]\`` : `\`${b.name}[q]\` or \`${b.name}[k]\``;
}

function binary(x: Extract<A.Expr, { kind: 'binary' }>, scope: Scope): Typed {
  const d = scope.diags;
  const a = elaborate(x.left, scope);
  const b = elaborate(x.right, scope);
  if (x.op === '&&' || x.op === '||') {
    const ok = expect(a, 'bool', x.left.span, d) && expect(b, 'bool', x.right.span, d);
    if (!ok) return ERR;
    return { e: x.op === '&&' ? M.and([a.e, b.e], x.span) : M.or([a.e, b.e], x.span), t: 'bool' };
  }
  const ok = [expectNum(a, x.left.span, d), expectNum(b, x.right.span, d)].every(Boolean);
  if (!ok) return ERR;
  if (x.op === '**') return { e: { kind: 'pow', type: 'float', a: M.toFloat(a.e), b: M.toFloat(b.e), span: x.span }, t: 'float' };
  if (x.op === '/' || x.op === '%') {
    const div = fold(b.e);
    if (div.kind === 'const' && div.value === 0) {
      d.report('division_by_zero', `${x.op === '/' ? 'division' : 'modulo'} by zero`, x.right.span);
      return ERR;
    }
  }
  const e = M.arith(x.op, a.e, b.e, x.span);
  return { e, t: e.type };
}

function call(x: Extract<A.Expr, { kind: 'call' }>, scope: Scope): Typed {
  const d = scope.diags;
  const fname = x.callee.text;
  const user = scope.fns.get(fname);
  if (!user && !(fname in BUILTIN_FNS)) {
    if (scope.bindings.has(fname) || isBuiltinValue(fname)) {
      d.report('not_callable', `\`${fname}\` is a value, not a function`, x.callee.span);
    } else {
      const near = suggest(fname, [...scope.fns.keys(), ...Object.keys(BUILTIN_FNS)]);
      d.report('unknown_name', `unknown function \`${fname}\``, x.callee.span, near ? [`did you mean \`${near}\`?`] : undefined);
    }
    x.args.forEach((a) => elaborate(a, scope));
    return ERR;
  }
  const args = x.args.map((a) => elaborate(a, scope));
  if (user) return callUser(user, x, args, scope);
  const arity = BUILTIN_FNS[fname];
  if (args.length < arity.min || args.length > arity.max) {
    const want = arity.max === Infinity ? `at least ${arity.min}` : `${arity.min}`;
    d.report('wrong_arity', `\`${fname}\` takes ${want} argument${arity.min === 1 && arity.max === 1 ? '' : 's'}, but ${args.length} ${args.length === 1 ? 'was' : 'were'} given`, x.span);
    return ERR;
  }
  if (args.some((a) => a.t === 'error')) return ERR;
  const span = x.span;
  const numeric = (from: number) => args.slice(from).every((a, i) => expectNum(a, x.args[from + i].span, d));
  const joined = (list: readonly Typed[]): 'int' | 'float' => (list.some((a) => a.t === 'float') ? 'float' : 'int');
  const conv = (list: readonly Typed[], t: 'int' | 'float') => list.map((a) => (t === 'float' ? M.toFloat(a.e) : a.e));
  switch (fname) {
    case 'abs':
      if (!numeric(0)) return ERR;
      return { e: { kind: 'call', type: args[0].t as 'int' | 'float', fn: 'abs', args: [args[0].e], span }, t: args[0].t };
    case 'min': case 'max': {
      if (!numeric(0)) return ERR;
      const t = joined(args);
      return { e: { kind: 'call', type: t, fn: fname, args: conv(args, t), span }, t };
    }
    case 'clamp': {
      if (!numeric(0)) return ERR;
      const t = joined(args);
      const [v, lo, hi] = conv(args, t);
      const inner: M.MExpr = { kind: 'call', type: t, fn: 'max', args: [v, lo], span };
      return { e: { kind: 'call', type: t, fn: 'min', args: [inner, hi], span }, t };
    }
    case 'select': {
      if (!expect(args[0], 'bool', x.args[0].span, d)) return ERR;
      const [, a, b] = args;
      if (a.t === 'bool' || b.t === 'bool') {
        if (a.t !== b.t) {
          d.report('type_mismatch', `both branches of \`select\` must have one type, found ${a.t} and ${b.t}`, x.span);
          return ERR;
        }
        return { e: { kind: 'call', type: 'bool', fn: 'select', args: [args[0].e, a.e, b.e], span }, t: 'bool' };
      }
      const t = joined([a, b]);
      return { e: { kind: 'call', type: t, fn: 'select', args: [args[0].e, ...conv([a, b], t)], span }, t };
    }
    case 'hash': {
      if (!args.every((a, i) => expect(a, 'int', x.args[i].span, d))) return ERR;
      return { e: { kind: 'call', type: 'int', fn: 'hash', args: args.map((a) => a.e), span }, t: 'int' };
    }
    case 'float':
      if (!numeric(0)) return ERR;
      return { e: M.toFloat(args[0].e), t: 'float' };
    default: {
      if (!numeric(0)) return ERR;
      return { e: { kind: 'call', type: 'float', fn: fname as M.Builtin, args: [M.toFloat(args[0].e)], span }, t: 'float' };
    }
  }
}

/** Expands a call of a user `fn` by elaborating its body with the arguments bound. */
function callUser(fn: FnInfo, x: Extract<A.Expr, { kind: 'call' }>, args: readonly Typed[], scope: Scope): Typed {
  const decl = fn.decl;
  const d = scope.diags;
  if (args.length !== decl.params.length) {
    d.report('wrong_arity', `\`${decl.name.text}\` takes ${decl.params.length} argument${decl.params.length === 1 ? '' : 's'}, but ${args.length} ${args.length === 1 ? 'was' : 'were'} given`, x.span);
    return ERR;
  }
  const bindings = new Map<string, Binding>();
  let ok = true;
  decl.params.forEach((p, i) => {
    const want = p.type.kind === 'scalar' ? p.type.name : 'int';
    const a = args[i];
    if (a.t === 'error') { ok = false; return; }
    if (want === 'float' && a.t === 'int') { bindings.set(p.name.text, { kind: 'value', e: M.toFloat(a.e), t: 'float' }); return; }
    if (a.t !== want) {
      d.report('type_mismatch', `argument \`${p.name.text}\` of \`${decl.name.text}\` is ${want}, found ${a.t}`, x.args[i].span);
      ok = false;
      return;
    }
    bindings.set(p.name.text, { kind: 'value', e: a.e, t: a.t });
  });
  if (!ok || fn.returns === 'error' || scope.expanding.has(decl.name.text)) return ERR;
  // One expansion per (function, arguments, context): a body that calls another function
  // twice with the same arguments shares the result, so nested calls stay linear.
  const memo = memoFor(scope);
  const key = `${decl.name.text}|${layoutKey(scope.layout)}|${[...scope.expanding].join(',')}|${decl.params.map((p) => argKey(bindings.get(p.name.text)!)).join(',')}`;
  const hit = memo.get(key);
  if (hit) return hit;
  const result = expandUser(fn, bindings, scope);
  // Not an expansion cut short by the node budget: another pattern, with its own budget,
  // must expand (and report) it itself.
  if (!scope.budget?.reported) memo.set(key, result);
  return result;
}

const MEMO = new WeakMap<Diagnostics, WeakMap<ReadonlyMap<string, FnInfo>, Map<string, Typed>>>();
const IDS = new WeakMap<object, number>();
let nextId = 0;
const idOf = (o: object): number => {
  let id = IDS.get(o);
  if (id === undefined) IDS.set(o, (id = nextId++));
  return id;
};

/** Expansion cache of one check (keyed by its call-site diagnostics and function table). */
function memoFor(scope: Scope): Map<string, Typed> {
  let byFns = MEMO.get(scope.siteDiags);
  if (!byFns) MEMO.set(scope.siteDiags, (byFns = new WeakMap()));
  let m = byFns.get(scope.fns);
  if (!m) byFns.set(scope.fns, (m = new Map()));
  return m;
}

function layoutKey(layout: Scope['layout']): string {
  return layout === undefined || layout === 'any' ? String(layout) : `#${idOf(layout)}`;
}

/** Leaves by value (a name's use may copy them), everything else by identity. */
function argKey(b: Binding): string {
  return b.kind === 'value' ? exprKey(b.e) : `input:${b.name}`;
}

function exprKey(e: M.MExpr): string {
  switch (e.kind) {
    case 'const': return `c:${e.type}:${String(e.value)}`;
    case 'var': case 'size': return `${e.kind}:${e.name}`;
    case 'param': return `p:${e.type}:${e.mode}:${e.name}`;
    case 'input': return `i:${e.name}:${e.index}:${e.offset ? 'b' : ''}`;
    case 'toFloat': return `f(${exprKey(e.x)})`;
    default: return `#${idOf(e)}:${e.type}`;
  }
}

function expandUser(fn: FnInfo, bindings: Map<string, Binding>, scope: Scope): Typed {
  const decl = fn.decl;
  const inner: Scope = {
    bindings,
    layout: scope.layout,
    fns: scope.fns,
    expanding: new Set([...scope.expanding, decl.name.text]),
    diags: new Diagnostics(),
    siteDiags: scope.siteDiags,
    budget: scope.budget,
  };
  const body = elaborate(decl.body, inner);
  if (body.t === 'error') return ERR;
  const e = fn.returns === 'float' ? M.toFloat(body.e) : body.e;
  return { e, t: fn.returns };
}

/** Reports a type mismatch unless `r` has type `want` (errors pass silently). */
export function expect(r: Typed, want: A.ScalarType, span: Span, d: Diagnostics): boolean {
  if (r.t === 'error') return false;
  if (r.t === want) return true;
  if (want === 'int' && r.t === 'float') {
    d.report('float_in_mask', 'expected an int, found a float: masks and indices are exact integer arithmetic', span, ['floats are allowed only in `bias` and `softcap`']);
    return false;
  }
  d.report('type_mismatch', `expected ${want}, found ${r.t}`, span);
  return false;
}

/** Reports a type mismatch unless `r` is int or float. */
export function expectNum(r: Typed, span: Span, d: Diagnostics): boolean {
  if (r.t === 'error') return false;
  if (isNum(r.t)) return true;
  d.report('type_mismatch', `expected a number, found ${r.t}`, span);
  return false;
}
