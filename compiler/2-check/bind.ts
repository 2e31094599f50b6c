/**
 * Binds a checked pattern's compile-time parameters: user values (from the CLI or bindings)
 * or defaults. The result has those parameters folded into the mask, bias and soft-cap;
 * runtime scalars, input arrays and the sizes stay symbolic, so one bound pattern serves
 * every sequence length. Bad values are user errors with codes.
 */
import type { Diagnostics } from '../diagnostics/diagnostic.ts';
import { F32_MAX, fold, foldReporting } from '../ir/fold.ts';
import * as M from '../ir/mask.ts';
import type { CheckedAssert, CheckedPattern, CheckedSelect, LayoutAxis, ParamInfo } from '../ir/program.ts';
import { suggest } from './builtins.ts';
import { badConstantReporter, checkSoftcap, fmtRange, inRange, perElementLeaf, SOFTCAP_MESSAGE } from './check-pattern.ts';

/** Sets `rec[key]` as an own property, also for keys like `__proto__`. */
export function setOwn<T>(rec: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(rec, key, { value, enumerable: true, writable: true, configurable: true });
}

/** `rec[key]` when `rec` has it as an own property (never an inherited `toString`...). */
export function getOwn<T>(rec: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(rec, key) ? rec[key] : undefined;
}

/** Scalar value of a parameter. */
export type ParamValue = number | boolean;

/** A pattern with its compile-time parameters fixed. */
export interface BoundPattern {
  readonly pattern: CheckedPattern;
  /** Values of the compile-time (`const`) parameters, defaults included. */
  readonly constValues: Readonly<Record<string, ParamValue>>;
  readonly mask: M.MExpr;
  readonly bias?: M.MExpr;
  readonly softcap?: M.MExpr;
  readonly layout?: readonly LayoutAxis[];
  /** `runtime` scalars, given when a schedule is planned or a kernel runs. */
  readonly runtimeParams: readonly ParamInfo[];
  /** `input` int arrays (the mask's; a select score input is not one of them, see `select`). */
  readonly inputs: readonly ParamInfo[];
  /**
   * The data-dependent selection, with compile-time parameters folded into its count, block
   * sizes, allow and restriction (`mask` is its static part, `allow && restriction`).
   */
  readonly select?: CheckedSelect;
  /** Asserts that still depend on sizes or runtime values (checked when planning). */
  readonly pendingAsserts: readonly CheckedAssert[];
}

/**
 * Parses an int written on the command line: optional sign, `_` separators, and a `k`
 * (x1024) or `m` (x1048576) suffix. Undefined unless it is a 32-bit integer.
 */
export function parseIntText(text: string): number | undefined {
  const m = /^(-?\d+)([kKmM]?)$/.exec(text.trim().replace(/_/g, ''));
  if (!m) return undefined;
  const v = Number(m[1]) * (m[2] === '' ? 1 : m[2].toLowerCase() === 'k' ? 1024 : 1024 * 1024);
  return Number.isSafeInteger(v) && v >= -(2 ** 31) && v <= 2 ** 31 - 1 ? v : undefined;
}

/** Parses a parameter value written as text (CLI) for a parameter of type `t`. */
export function parseParamText(text: string, t: ParamInfo['type']): ParamValue | undefined {
  const s = text.trim();
  if (t === 'bool') return s === 'true' ? true : s === 'false' ? false : undefined;
  if (t === 'int') return parseIntText(s);
  if (t === 'float') {
    const v = Number(s);
    return s !== '' && Number.isFinite(v) && Math.abs(v) <= F32_MAX ? v : undefined;
  }
  return undefined;
}

/**
 * Validates `values` (text or typed) against the parameter table. Runtime scalars may be
 * given too (they are checked and returned, not folded into the pattern).
 */
export function resolveParamValues(
  pattern: CheckedPattern,
  values: Readonly<Record<string, string | ParamValue>>,
  diags: Diagnostics,
  modes: readonly ParamInfo['mode'][] = ['const', 'runtime'],
): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  for (const [name, raw] of Object.entries(values)) {
    const p = pattern.params.find((x) => x.name === name);
    if (!p) {
      const near = suggest(name, pattern.params.map((x) => x.name));
      diags.report('unknown_param', `pattern \`${pattern.name}\` has no parameter \`${name}\``, undefined, [
        near ? `did you mean \`${near}\`?` : `parameters: ${pattern.params.map((x) => x.name).join(', ') || 'none'}`,
      ]);
      continue;
    }
    if (p.mode === 'input') {
      diags.report('bad_param_value', `\`${name}\` is an input array: pass it with --input ${name}=file.npy`);
      continue;
    }
    if (!modes.includes(p.mode)) continue;
    const v = typeof raw === 'string' ? parseParamText(raw, p.type) : raw;
    const typeOk = v !== undefined && (p.type === 'bool' ? typeof v === 'boolean' : typeof v === 'number' && (p.type === 'float' ? Math.abs(v) <= F32_MAX : Number.isInteger(v)));
    if (!typeOk) {
      const why = p.type === 'float' ? ['a float value must be finite and at most 3.4028e38 in magnitude (f32)'] : [];
      diags.report('bad_param_value', `parameter \`${name}\` is ${p.type === 'int' ? 'an int' : `a ${p.type}`}, but got \`${String(raw)}\``, undefined, [`declared at ${p.span.file.name}:${p.span.line}:${p.span.col}`, ...why]);
      continue;
    }
    if (p.range && !inRange(v as number, p.range)) {
      diags.report('param_out_of_range', `parameter \`${name}\` = ${v} is outside its range ${fmtRange(p.range)}`, undefined, [`declared at ${p.span.file.name}:${p.span.line}:${p.span.col}`]);
      continue;
    }
    setOwn(out, name, v as ParamValue);
  }
  return out;
}

/** Replaces parameters that have values by constants; a shared node is rebuilt once (`memo`), so sharing survives. */
export function substitute(e: M.MExpr, values: Readonly<Record<string, ParamValue>>, memo: Map<M.MExpr, M.MExpr> = new Map()): M.MExpr {
  const hit = memo.get(e);
  if (hit) return hit;
  let r: M.MExpr;
  if (e.kind === 'param' && Object.hasOwn(values, e.name)) {
    const v = values[e.name];
    r = { kind: 'const', type: e.type, value: e.type === 'float' ? Number(v) : v, span: e.span };
  } else r = M.mapChildren(e, (c) => substitute(c, values, memo));
  memo.set(e, r);
  return r;
}

/** Reports `/ 0` or `% 0` that parameter values created. */
function reportZeroDivisors(e: M.MExpr, diags: Diagnostics, note: string): boolean {
  let ok = true;
  const seen = new Set<M.MExpr>();
  const walk = (x: M.MExpr) => {
    if (seen.has(x)) return;
    seen.add(x);
    if (x.kind === 'arith' && (x.op === '/' || x.op === '%') && x.type === 'int') {
      const d = fold(x.b);
      if (d.kind === 'const' && d.value === 0) {
        diags.report('division_by_zero', `${x.op === '/' ? 'division' : 'modulo'} by zero with these parameters`, x.b.span ?? x.span, [note]);
        ok = false;
      }
    }
    M.children(x).forEach(walk);
  };
  walk(e);
  return ok;
}

/** Binds compile-time parameters. Returns undefined on user errors (reported). */
export function bindParams(pattern: CheckedPattern, values: Readonly<Record<string, string | ParamValue>>, diags: Diagnostics): BoundPattern | undefined {
  const before = diags.items.length;
  const given = resolveParamValues(pattern, values, diags, ['const']);
  const constValues: Record<string, ParamValue> = {};
  for (const p of pattern.params) {
    if (p.mode !== 'const') continue;
    const v = getOwn(given, p.name) ?? p.default;
    if (v === undefined) {
      diags.report('missing_param', `parameter \`${p.name}\` has no default: give it with --param ${p.name}=...`, p.span);
      continue;
    }
    setOwn(constValues, p.name, v);
  }
  if (diags.items.slice(before).some((d) => d.severity === 'error')) return undefined;
  const note = `with ${Object.entries(constValues).map(([k, v]) => `${k} = ${v}`).join(', ') || 'no parameters'}`;
  const subMemo = new Map<M.MExpr, M.MExpr>();
  const sub = (e: M.MExpr) => substitute(e, constValues, subMemo);
  const sel = pattern.select;
  const raw = [pattern.mask, pattern.bias, pattern.softcap, ...(pattern.layout ?? []).map((a) => a.size), ...(sel ? [sel.k, sel.blockQ, sel.blockKv, sel.allow, sel.restriction] : [])];
  let ok = true;
  for (const e of raw) if (e && !reportZeroDivisors(sub(e), diags, note)) ok = false;
  const pendingAsserts: CheckedAssert[] = [];
  for (const a of pattern.asserts) {
    const c = fold(sub(a.cond));
    if (c.kind === 'const') {
      if (c.value === false) {
        diags.report('assertion_failed', a.message ?? 'assertion failed', a.span, [note]);
        ok = false;
      }
    } else pendingAsserts.push({ ...a, cond: c });
  }
  if (!ok) return undefined;
  const report = badConstantReporter(diags, [note]);
  const bad = (node: M.MExpr, why: string) => { ok = false; report(node, why); };
  // One fold for all of them: a node that the mask, bias and soft-cap share stays shared.
  const foldMemo = new Map<M.MExpr, M.MExpr>();
  const mask = foldReporting(sub(pattern.mask), bad, foldMemo);
  const bias = pattern.bias && foldReporting(sub(pattern.bias), bad, foldMemo);
  const softcap = pattern.softcap && foldReporting(sub(pattern.softcap), bad, foldMemo);
  const layout = pattern.layout?.map((a) => ({ name: a.name, size: foldReporting(sub(a.size), bad, foldMemo) }));
  if (softcap && !checkSoftcap(softcap, diags, [note])) ok = false;
  // A soft-cap of runtime values only is checked when a call is planned, like an `assert`, so
  // every runtime (the library, C++ host code, Python) refuses `c <= 0` (the kernels divide by c).
  if (softcap && softcap.kind !== 'const' && !perElementLeaf(softcap)) {
    pendingAsserts.push({ cond: M.cmp('>', softcap, M.float(0, softcap.span), softcap.span), message: SOFTCAP_MESSAGE, span: softcap.span ?? pattern.span });
  }
  const select = sel && bindSelect(sel, (e) => foldReporting(sub(e), bad, foldMemo), diags, note);
  if (sel && !select) ok = false;
  if (!ok) return undefined;
  return {
    pattern,
    constValues,
    mask,
    bias,
    softcap,
    layout,
    runtimeParams: pattern.params.filter((p) => p.mode === 'runtime'),
    inputs: pattern.params.filter((p) => p.mode === 'input' && p.type === 'int[]'),
    pendingAsserts,
    ...(select ? { select } : {}),
  };
}

/**
 * The select clause with parameter values folded in (`fold`); a count or block size that the
 * values make a constant must be valid (`bad_select`, like an assert).
 */
function bindSelect(sel: CheckedSelect, fold: (e: M.MExpr) => M.MExpr, diags: Diagnostics, note: string): CheckedSelect | undefined {
  const k = fold(sel.k), blockQ = fold(sel.blockQ), blockKv = fold(sel.blockKv);
  let ok = true;
  for (const [e, what, min] of [[k, 'count', 0], [blockQ, 'query block size', 1], [blockKv, 'key block size', 1]] as const) {
    if (e.kind === 'const' && (e.value as number) < min) {
      diags.report('bad_select', `the ${what} of the \`select\` is ${String(e.value)}, but it must be ${min === 0 ? 'at least 0' : 'greater than 0'}`, sel.span, [note]);
      ok = false;
    }
  }
  if (!ok) return undefined;
  return { ...sel, k, blockQ, blockKv, allow: fold(sel.allow), restriction: fold(sel.restriction) };
}

/**
 * The runtime values a call uses: the given ones, and the declared default of each runtime
 * parameter not given (the planner and the generated code fill defaults in the same way).
 */
export function withRuntimeDefaults(bound: BoundPattern, given: Readonly<Record<string, ParamValue>>): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  for (const p of bound.runtimeParams) {
    const v = getOwn(given, p.name) ?? p.default;
    if (v !== undefined) setOwn(out, p.name, v);
  }
  return out;
}

/**
 * Checks what the runtime values of a call (those given, defaults for the rest) make of the
 * bound pattern's score modifications: a soft-cap that becomes a constant must be positive,
 * and constants must stay computable (`constant_out_of_range`). Returns false on errors
 * (reported).
 */
export function checkRuntimeValues(bound: BoundPattern, runtime: Readonly<Record<string, ParamValue>>, diags: Diagnostics): boolean {
  runtime = withRuntimeDefaults(bound, runtime);
  const given = Object.entries(runtime);
  if (!given.length) return true;
  const note = `with ${given.map(([k, v]) => `${k} = ${v}`).join(', ')}`;
  let ok = true;
  const report = badConstantReporter(diags, [note]);
  const bad = (node: M.MExpr, why: string) => { ok = false; report(node, why); };
  const subMemo = new Map<M.MExpr, M.MExpr>();
  const foldMemo = new Map<M.MExpr, M.MExpr>();
  if (bound.bias) foldReporting(substitute(bound.bias, runtime, subMemo), bad, foldMemo);
  if (bound.softcap && !checkSoftcap(foldReporting(substitute(bound.softcap, runtime, subMemo), bad, foldMemo), diags, [note])) ok = false;
  return ok;
}
