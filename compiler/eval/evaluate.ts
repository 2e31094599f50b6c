/**
 * The reference evaluator: computes mask(b, h, q, k) and the score bias of a bound pattern
 * by walking its IR, one point at a time, with the semantics of `ir/semantics.ts` (ints are
 * 32-bit and wrap). It is
 * deliberately simple: it is the oracle that lowering and the kernels are tested against.
 */
import { invariant } from '../diagnostics/diagnostic.ts';
import { children, type MExpr } from '../ir/mask.ts';
import { applyArith, applyBuiltin, applyCmp, applyNeg } from '../ir/semantics.ts';
import type { BoundPattern, ParamValue } from '../2-check/bind.ts';

/** Problem sizes. */
export interface Sizes {
  readonly qLen: number;
  readonly kvLen: number;
  readonly heads: number;
}

/** Everything a point evaluation needs besides (b, h, q, k). */
export interface EvalContext {
  readonly sizes: Sizes;
  /** Runtime scalar values (and any parameter not yet folded). */
  readonly params: Readonly<Record<string, ParamValue>>;
  /** Input arrays, flat: one int per token, per batch element (`int[batch]`), or rows of tokens per batch element, row-major (`int[batch, kv_len]`). */
  readonly inputs: Readonly<Record<string, ArrayLike<number>>>;
}

/** A point (b, h, q, k). */
export interface Point {
  b: number;
  h: number;
  q: number;
  k: number;
}

const SHARED = new WeakMap<MExpr, ReadonlySet<MExpr>>();

/** The nodes under `root` with more than one parent (`let`s, repeated `fn` calls), found once per root. */
function sharedUnder(root: MExpr): ReadonlySet<MExpr> {
  let s = SHARED.get(root);
  if (!s) {
    const seen = new Set<MExpr>();
    const shared = new Set<MExpr>();
    const visit = (x: MExpr) => {
      if (seen.has(x)) { shared.add(x); return; }
      seen.add(x);
      children(x).forEach(visit);
    };
    visit(root);
    SHARED.set(root, (s = shared));
  }
  return s;
}

/**
 * Evaluates `e` at point `p`. A node shared by several parents is evaluated at most once per
 * point (the value is kept for the other uses), so the work is linear in the DAG; evaluation
 * is still lazy (`&&`, `||` and `select` evaluate only what they need), as written.
 */
export function evaluate(e: MExpr, p: Point, ctx: EvalContext): number | boolean {
  const shared = sharedUnder(e);
  return evalNode(e, p, ctx, shared.size ? { shared, values: new Map() } : undefined);
}

interface Memo {
  readonly shared: ReadonlySet<MExpr>;
  readonly values: Map<MExpr, number | boolean>;
}

function evalNode(e: MExpr, p: Point, ctx: EvalContext, memo: Memo | undefined): number | boolean {
  if (!memo?.shared.has(e)) return evalOne(e, p, ctx, memo);
  const hit = memo.values.get(e);
  if (hit !== undefined) return hit;
  const v = evalOne(e, p, ctx, memo);
  memo.values.set(e, v);
  return v;
}

function evalOne(e: MExpr, p: Point, ctx: EvalContext, memo: Memo | undefined): number | boolean {
  const evaluate = (x: MExpr, pp: Point, c: EvalContext) => evalNode(x, pp, c, memo);
  switch (e.kind) {
    case 'const': return e.value;
    case 'var': return p[e.name];
    case 'size': return e.name === 'q_len' ? ctx.sizes.qLen : e.name === 'kv_len' ? ctx.sizes.kvLen : ctx.sizes.heads;
    case 'param': {
      const v = Object.hasOwn(ctx.params, e.name) ? ctx.params[e.name] : undefined;
      invariant(v !== undefined, `no value for parameter ${e.name}`);
      return v;
    }
    case 'input': {
      const arr = Object.hasOwn(ctx.inputs, e.name) ? ctx.inputs[e.name] : undefined;
      invariant(arr !== undefined, `no input array ${e.name}`);
      const i = (e.offset ? (evaluate(e.offset, p, ctx) as number) : 0) + p[e.index];
      invariant(i >= 0 && i < arr.length, `input ${e.name}[${i}] out of range`);
      return arr[i];
    }
    case 'neg': return applyNeg(evaluate(e.x, p, ctx) as number, e.type === 'int');
    case 'not': return !evaluate(e.x, p, ctx);
    case 'toFloat': return Number(evaluate(e.x, p, ctx));
    case 'arith': return applyArith(e.op, evaluate(e.a, p, ctx) as number, evaluate(e.b, p, ctx) as number, e.type === 'int');
    case 'pow': return Math.pow(evaluate(e.a, p, ctx) as number, evaluate(e.b, p, ctx) as number);
    case 'cmp': return applyCmp(e.op, evaluate(e.a, p, ctx), evaluate(e.b, p, ctx));
    case 'and': return e.args.every((a) => evaluate(a, p, ctx));
    case 'or': return e.args.some((a) => evaluate(a, p, ctx));
    case 'call':
      if (e.fn === 'select') return evaluate(e.args[0], p, ctx) ? evaluate(e.args[1], p, ctx) : evaluate(e.args[2], p, ctx);
      return applyBuiltin(e.fn, e.args.map((a) => evaluate(a, p, ctx)), e.type);
  }
}

/** mask(b, h, q, k) of a bound pattern. Points outside the sequences are never allowed. */
export function maskAt(bp: BoundPattern, p: Point, ctx: EvalContext): boolean {
  if (p.q < 0 || p.k < 0 || p.q >= ctx.sizes.qLen || p.k >= ctx.sizes.kvLen) return false;
  return evaluate(bp.mask, p, ctx) === true;
}

/** The additive score bias at a point (0 when the pattern has none). */
export function biasAt(bp: BoundPattern, p: Point, ctx: EvalContext): number {
  return bp.bias ? (evaluate(bp.bias, p, ctx) as number) : 0;
}

/** The soft-cap value at a point, or undefined when the pattern has none. */
export function softcapAt(bp: BoundPattern, p: Point, ctx: EvalContext): number | undefined {
  return bp.softcap ? (evaluate(bp.softcap, p, ctx) as number) : undefined;
}

/** The dense mask of one (b, h) as a row-major `q_len x kv_len` byte array (1 = allowed). */
export function denseMask(bp: BoundPattern, b: number, h: number, ctx: EvalContext): Uint8Array {
  const { qLen, kvLen } = ctx.sizes;
  const out = new Uint8Array(qLen * kvLen);
  const p: Point = { b, h, q: 0, k: 0 };
  for (let q = 0; q < qLen; q++) {
    p.q = q;
    for (let k = 0; k < kvLen; k++) {
      p.k = k;
      out[q * kvLen + k] = evaluate(bp.mask, p, ctx) === true ? 1 : 0;
    }
  }
  return out;
}
