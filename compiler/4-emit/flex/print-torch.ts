/**
 * Prints mask IR as Python for the FlexAttention target. One printer serves two contexts:
 *   - tensors: `mask_mod(b, h, q_idx, kv_idx)` and `score_mod(score, b, h, q_idx, kv_idx)`,
 *     where the index variables (and input arrays read at them) are PyTorch integer tensors
 *     and sizes and runtime values are Python scalars captured by the closure;
 *   - scalars: the planner's exact point mask and head slots, on Python ints.
 * A sub-expression is a tensor exactly when it reads an index variable or an input array (in
 * the tensor context), so each operation is printed in the form its operands take: `&`, `|`,
 * `~` and `torch.where` on tensors, `and`, `or`, `not` and `x if c else y` on scalars.
 * Integer semantics follow `runtime/schedule/int-semantics.ts`: Python's and PyTorch's `//`
 * and `%` on integers are floor division and modulo, used directly for a positive constant
 * divisor; any other divisor goes through `_fdiv`/`_fmod` (`runtime/python/attnc/int_ops.py`),
 * which give 0 for a zero divisor; `hash(...)` is `_hash`. `+ - *`, unary `-` and `abs`
 * wrap at 32 bits through `_wrap` where their result can leave the int range (`ir/int-range.ts`).
 * Float `/`, `%`, `**`, `exp`, `log` and `sqrt` on scalars go through `_fdivf`, `_fmodf`,
 * `_powf`, `_expf`, `_logf`, `_sqrtf` (`runtime/python/attnc/float_ops.py`), which return
 * inf or nan where Python would raise, as the other targets' float arithmetic does.
 */
import { assertNever, invariant } from '../../diagnostics/diagnostic.ts';
import { INPUT_BIT, printShared, varBits, type IndexVar, type MExpr } from '../../ir/mask.ts';
import { leafName } from '../planner/names.ts';
import { mayWrap } from '../../ir/int-range.ts';

/** How index variables and input reads are spelled, and whether they are tensors. */
export interface PyContext {
  var(name: IndexVar): string;
  /** An input read: `name` is its leaf name (`in_<input>`), `index` the spelled index. */
  input(name: string, index: string): string;
  readonly tensors: boolean;
  /** The float dtype that `float(int tensor)` converts to (tensor context only). */
  readonly floatDtype?: string;
}

/** A Python float literal. */
export function pyFloat(x: number): string {
  if (!Number.isFinite(x)) return x > 0 ? 'math.inf' : x < 0 ? '(-math.inf)' : 'math.nan';
  const s = String(x);
  const lit = /[.eE]/.test(s) ? s : `${s}.0`;
  return x < 0 ? `(${lit})` : lit;
}

/**
 * Python for `roots` in context `C`: `lets` (`t_<i> = ...`, the nodes they share: `let`s,
 * repeated `fn` calls) are statements that go before the code that uses `exprs`. A binding is
 * evaluated where it stands, even where the branch that uses it (`x if c else y`, `and`, `or`)
 * is not taken: nothing printed here raises (integer division by zero is 0, float arithmetic
 * goes through the IEEE helpers), so every shared node is bound once.
 */
export function printPyLets(roots: readonly MExpr[], C: PyContext): { lets: string[]; exprs: string[] } {
  const { lets, exprs } = printShared(roots, (e, names) => printPy(e, C, names));
  return { lets: lets.map((l) => `${l.name} = ${l.text}`), exprs };
}

/** Python source for `e` in context `C`, with the nodes in `names` written as those names. */
export function printPy(e: MExpr, C: PyContext, names: ReadonlyMap<MExpr, string> = new Map()): string {
  const isT = (x: MExpr) => C.tensors && isTensorExpr(x);
  const go = (x: MExpr): string => {
    const named = names.get(x);
    if (named !== undefined) return named;
    switch (x.kind) {
      case 'const':
        if (typeof x.value === 'boolean') return x.value ? 'True' : 'False';
        if (x.type === 'float') return pyFloat(x.value);
        return x.value < 0 ? `(${x.value})` : String(x.value);
      case 'var': return C.var(x.name);
      case 'size': case 'param': return leafName(x);
      case 'input': return C.input(leafName(x), x.offset ? `${go(x.offset)} + ${C.var(x.index)}` : C.var(x.index));
      case 'neg': return mayWrap(x) ? `_wrap(-${go(x.x)})` : `(-${go(x.x)})`;
      case 'not': return isT(x.x) ? `(~${go(x.x)})` : `(not ${go(x.x)})`;
      case 'toFloat':
        if (!isT(x.x)) return `float(${go(x.x)})`;
        invariant(C.floatDtype !== undefined, 'int-to-float conversion of a tensor outside score_mod');
        return `${go(x.x)}.to(${C.floatDtype})`;
      case 'arith': {
        const a = go(x.a), b = go(x.b);
        const posConst = x.b.kind === 'const' && typeof x.b.value === 'number' && x.b.value > 0;
        if (x.type === 'int' && x.op === '/') return posConst ? `(${a} // ${b})` : `_fdiv(${a}, ${b})`;
        if (x.type === 'int' && x.op === '%') return posConst ? `(${a} % ${b})` : `_fmod(${a}, ${b})`;
        if (x.type === 'float' && (x.op === '/' || x.op === '%') && !isT(x.a) && !isT(x.b)) return `${x.op === '/' ? '_fdivf' : '_fmodf'}(${a}, ${b})`;
        if (mayWrap(x)) return `_wrap(${a} ${x.op} ${b})`;
        return `(${a} ${x.op} ${b})`;
      }
      case 'pow': return isT(x.a) || isT(x.b) ? `(${go(x.a)} ** ${go(x.b)})` : `_powf(${go(x.a)}, ${go(x.b)})`;
      case 'cmp': return `(${go(x.a)} ${x.op} ${go(x.b)})`;
      case 'and': case 'or': {
        const t = x.args.some(isT);
        const op = x.kind === 'and' ? (t ? ' & ' : ' and ') : (t ? ' | ' : ' or ');
        return `(${x.args.map(go).join(op)})`;
      }
      case 'call': {
        const args = x.args.map(go);
        const ts = x.args.map(isT);
        switch (x.fn) {
          case 'select': return ts[0] ? `torch.where(${args[0]}, ${args[1]}, ${args[2]})` : `(${args[1]} if ${args[0]} else ${args[2]})`;
          case 'abs': {
            const t = ts[0] ? `torch.abs(${args[0]})` : `abs(${args[0]})`;
            return mayWrap(x) ? `_wrap(${t})` : t;
          }
          case 'min': case 'max': {
            if (!ts.some(Boolean)) return `${x.fn}(${args.join(', ')})`;
            // Pairwise: torch.minimum for two tensors, torch.clamp for a tensor and a scalar.
            let acc = args[0], accT = ts[0];
            for (let i = 1; i < args.length; i++) {
              const [a, b, at, bt] = [acc, args[i], accT, ts[i]];
              const bound = x.fn === 'min' ? 'max' : 'min';
              if (at && bt) acc = `torch.${x.fn === 'min' ? 'minimum' : 'maximum'}(${a}, ${b})`;
              else if (at) acc = `torch.clamp(${a}, ${bound}=${b})`;
              else if (bt) acc = `torch.clamp(${b}, ${bound}=${a})`;
              else acc = `${x.fn}(${a}, ${b})`;
              accT = at || bt;
            }
            return acc;
          }
          case 'hash': return `_hash(${args.join(', ')})`;
          case 'tanh': return ts[0] ? `torch.tanh(${args[0]})` : `math.tanh(${args[0]})`;
          case 'exp': case 'log': case 'sqrt':
            return ts[0] ? `torch.${x.fn}(${args[0]})` : `_${x.fn}f(${args[0]})`;
        }
        return assertNever(x.fn);
      }
    }
    return assertNever(x);
  };
  return go(e);
}

/** Whether `e` is a tensor in the tensor context (reads an index variable or an input array). */
export function isTensorExpr(e: MExpr): boolean {
  return (varBits(e) & (15 | INPUT_BIT)) !== 0;
}
