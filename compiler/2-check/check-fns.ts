/**
 * Checks `fn` declarations across all loaded files: one namespace, no duplicates, no
 * recursion (direct or mutual), and a body whose type matches the declared result. Bodies
 * are checked once here with layout coordinates left open; each call site expands the body
 * again with its own arguments and layout (`elaborate.ts`).
 */
import type { Diagnostics } from '../diagnostics/diagnostic.ts';
import type { Span } from '../diagnostics/span.ts';
import type * as A from '../ir/ast.ts';
import { isReserved } from './builtins.ts';
import { elaborate, type Binding, type FnInfo, type Ty } from './elaborate.ts';
import type { LoadedFile } from './load.ts';

/** Checks every `fn` and returns the table that pattern checking expands calls from. */
export function checkFns(files: readonly LoadedFile[], diags: Diagnostics): Map<string, FnInfo> {
  const decls = new Map<string, A.FnDecl>();
  for (const f of files) {
    for (const fn of f.ast.fns) {
      const name = fn.name.text;
      if (isReserved(name)) {
        diags.report('reserved_name', `\`${name}\` is built in and cannot be redefined`, fn.name.span);
        continue;
      }
      const prev = decls.get(name);
      if (prev) {
        diags.report('duplicate_definition', `function \`${name}\` is defined twice`, fn.name.span, [`first defined at ${where(prev.name.span)}`]);
        continue;
      }
      decls.set(name, fn);
    }
  }

  const calls = new Map<string, { callee: string; span: Span }[]>();
  for (const [name, fn] of decls) calls.set(name, callsIn(fn.body).filter((c) => decls.has(c.callee)));
  reportRecursion(decls, calls, diags);

  const infos = new Map<string, FnInfo>();
  const state = new Map<string, 'busy' | 'done'>();
  const visit = (name: string): void => {
    if (state.get(name)) return;
    state.set(name, 'busy');
    // A recursive call sees this placeholder and elaborates to an error silently
    // (`recursive_fn` has already been reported at that call).
    infos.set(name, { decl: decls.get(name)!, returns: 'error' });
    for (const c of calls.get(name) ?? []) visit(c.callee);
    infos.set(name, { decl: decls.get(name)!, returns: checkBody(decls.get(name)!, infos, diags) });
    state.set(name, 'done');
  };
  for (const name of decls.keys()) visit(name);
  return infos;
}

function where(s: Span): string {
  return `${s.file.name}:${s.line}:${s.col}`;
}

/** Every call in an expression, with the span of the callee name. */
function callsIn(x: A.Expr): { callee: string; span: Span }[] {
  const out: { callee: string; span: Span }[] = [];
  const walk = (e: A.Expr): void => {
    switch (e.kind) {
      case 'int': case 'float': case 'bool': case 'name': return;
      case 'member': return walk(e.object);
      case 'index': walk(e.array); e.indices.forEach(walk); return;
      case 'call': out.push({ callee: e.callee.text, span: e.callee.span }); e.args.forEach(walk); return;
      case 'unary': return walk(e.operand);
      case 'binary': walk(e.left); return walk(e.right);
      case 'compare': e.operands.forEach(walk); return;
      case 'inSet': walk(e.value); e.items.forEach(walk); return;
      case 'inRange': walk(e.value); walk(e.lo); return walk(e.hi);
    }
  };
  walk(x);
  return out;
}

/** Reports each call that closes a cycle in the call graph (once per call site). */
function reportRecursion(decls: ReadonlyMap<string, A.FnDecl>, calls: ReadonlyMap<string, { callee: string; span: Span }[]>, diags: Diagnostics): void {
  const color = new Map<string, 'grey' | 'black'>();
  const stack: string[] = [];
  const dfs = (n: string) => {
    color.set(n, 'grey');
    stack.push(n);
    for (const c of calls.get(n) ?? []) {
      const st = color.get(c.callee);
      if (st === 'grey') {
        const cycle = [...stack.slice(stack.indexOf(c.callee)), c.callee];
        const msg = cycle.length === 2 ? `function \`${n}\` calls itself` : `functions call each other in a cycle: ${cycle.join(' -> ')}`;
        diags.report('recursive_fn', msg, c.span, ['attn functions are expanded inline and cannot recurse']);
      } else if (!st) dfs(c.callee);
    }
    stack.pop();
    color.set(n, 'black');
  };
  for (const n of decls.keys()) if (!color.get(n)) dfs(n);
}

function checkBody(fn: A.FnDecl, infos: ReadonlyMap<string, FnInfo>, diags: Diagnostics): Ty {
  const bindings = new Map<string, Binding>();
  let ok = true;
  for (const p of fn.params) {
    if (bindings.has(p.name.text)) {
      diags.report('duplicate_definition', `parameter \`${p.name.text}\` is declared twice`, p.name.span);
      ok = false;
      continue;
    }
    if (p.type.kind === 'array') {
      diags.report('type_mismatch', 'function parameters are scalars (int, float, bool); input arrays belong to patterns', p.type.span);
      ok = false;
      continue;
    }
    bindings.set(p.name.text, { kind: 'value', e: { kind: 'param', type: p.type.name, name: p.name.text, mode: 'runtime' }, t: p.type.name });
  }
  const body = elaborate(fn.body, { bindings, layout: 'any', fns: infos, expanding: new Set([fn.name.text]), diags, siteDiags: diags, budget: { nodes: 0, reported: false, at: fn.body.span } });
  if (!ok || body.t === 'error') return 'error';
  const declared = fn.returns;
  if (!declared) return body.t;
  if (declared.kind === 'array') {
    diags.report('type_mismatch', 'a function returns a scalar (int, float or bool)', declared.span);
    return 'error';
  }
  if (declared.name === body.t || (declared.name === 'float' && body.t === 'int')) return declared.name;
  diags.report('type_mismatch', `\`${fn.name.text}\` is declared to return ${declared.name}, but its body is ${body.t}`, fn.body.span);
  return 'error';
}

