/**
 * Prints mask IR as WGSL expressions for the attention kernel. Ints are `i32`, bools `bool`,
 * floats `f32`. Integer semantics follow `ir/semantics.ts` exactly through helper functions
 * that the kernel template defines once (`attn_fdiv`, `attn_fmod`, `attn_hash_step`,
 * `attn_fpow`): WGSL's own `/` truncates and gives `x` for `x / 0`, the language floors and
 * gives 0. `+ - *`, unary `-` and `abs` wrap at 32 bits in WGSL (`-i32(-2147483648)` and
 * `abs` of it are themselves), which is the language's rule (runtime/schedule/int-semantics.ts).
 *
 * Leaves: the index variables are the kernel locals `q k h b`; sizes and runtime scalars are
 * fields of the uniform `u`; input arrays live in one storage buffer `inputs` at the offset
 * `u.in_<name>` (see `runtime/webgpu/interface.ts`).
 */
import { assertNever, invariant } from '../../diagnostics/diagnostic.ts';
import { printShared, type MExpr } from '../../ir/mask.ts';
import { HASH } from '../../../runtime/schedule/int-semantics.ts';

const hex32 = (x: number) => `0x${(x >>> 0).toString(16)}`;

/** How leaves are spelled in the kernel. */
export interface WgslLeaves {
  size(name: 'q_len' | 'kv_len' | 'heads'): string;
  /** A runtime scalar; `type` says how it is stored (bools as u32). */
  param(name: string, type: 'int' | 'float' | 'bool'): string;
  /** An input read; `index` is printed (`q`, `k`, `b`, or a row's offset plus `q` or `k`). */
  input(name: string, index: string): string;
}

/** The kernel's spelling: uniform fields and the packed `inputs` buffer. */
export const KERNEL_LEAVES: WgslLeaves = {
  size: (name) => `u.${name}`,
  param: (name, type) => (type === 'bool' ? `(u.p_${name} != 0u)` : `u.p_${name}`),
  input: (name, index) => `inputs[u.in_${name} + ${index}]`,
};

/** A WGSL f32 literal (always with a decimal point or exponent, so it is never an int). */
export function wgslFloat(x: number): string {
  invariant(Number.isFinite(x), `non-finite float constant ${x} cannot be written in WGSL`);
  const s = String(Math.abs(x));
  const lit = `${/[.eE]/.test(s) ? s : `${s}.0`}f`;
  return x < 0 || Object.is(x, -0) ? `(-${lit})` : lit;
}

/** A WGSL i32 literal. */
export function wgslInt(x: number): string {
  invariant(Number.isInteger(x) && x >= -(2 ** 31) && x < 2 ** 31, `int constant ${x} does not fit in 32 bits`);
  if (x === -(2 ** 31)) return 'i32(-2147483648)';
  return x < 0 ? `(${x}i)` : `${x}i`;
}

/**
 * WGSL for `roots`: `lets` (`let t_<i> = ...;`, the nodes they share: `let`s, repeated `fn`
 * calls) are statements that go before the code that uses `exprs`.
 */
export function printWgslLets(roots: readonly MExpr[], L: WgslLeaves = KERNEL_LEAVES, names?: ReadonlyMap<MExpr, string>): { lets: string[]; exprs: string[] } {
  const { lets, exprs } = printShared(roots, (e, names) => printWgsl(e, L, names), { names });
  return { lets: lets.map((l) => `let ${l.name} = ${l.text};`), exprs };
}

/** WGSL source for `e`, with the nodes in `names` written as those names. */
export function printWgsl(e: MExpr, L: WgslLeaves = KERNEL_LEAVES, names: ReadonlyMap<MExpr, string> = new Map()): string {
  const go = (x: MExpr): string => {
    const named = names.get(x);
    if (named !== undefined) return named;
    switch (x.kind) {
      case 'const':
        if (typeof x.value === 'boolean') return String(x.value);
        return x.type === 'float' ? wgslFloat(x.value) : wgslInt(x.value);
      case 'var': return x.name;
      case 'size': return L.size(x.name);
      case 'param':
        invariant(x.mode === 'runtime', `compile-time parameter ${x.name} was not bound`);
        return L.param(x.name, x.type);
      case 'input': return L.input(x.name, x.offset ? `${go(x.offset)} + ${x.index}` : x.index);
      case 'neg': return `(-${go(x.x)})`;
      case 'not': return `(!${go(x.x)})`;
      case 'toFloat': return x.x.type === 'bool' ? `select(0.0f, 1.0f, ${go(x.x)})` : `f32(${go(x.x)})`;
      case 'arith': {
        const a = go(x.a), b = go(x.b);
        if (x.type === 'int' && x.op === '/') return `attn_fdiv(${a}, ${b})`;
        if (x.type === 'int' && x.op === '%') return `attn_fmod(${a}, ${b})`;
        if (x.type === 'float' && x.op === '%') return `attn_ffmod(${a}, ${b})`;
        return `(${a} ${x.op} ${b})`;
      }
      case 'pow': return `attn_fpow(${go(x.a)}, ${go(x.b)})`;
      case 'cmp': return `(${go(x.a)} ${x.op} ${go(x.b)})`;
      case 'and': return `(${x.args.map(go).join(' && ')})`;
      case 'or': return `(${x.args.map(go).join(' || ')})`;
      case 'call': {
        const args = x.args.map(go);
        switch (x.fn) {
          // WGSL's select is (false value, true value, condition); both sides are evaluated,
          // which is safe: the helpers never trap and input reads are in bounds.
          case 'select': return `select(${args[2]}, ${args[1]}, ${args[0]})`;
          case 'abs': return `abs(${args[0]})`;
          case 'min': case 'max': return args.reduce((acc, a) => `${x.fn}(${acc}, ${a})`);
          case 'hash': {
            let h = `${hex32(HASH.seed)}u`;
            for (const a of args) h = `attn_hash_step(${h}, bitcast<u32>(${a}))`;
            return `i32(${h} & ${hex32(HASH.mask)}u)`;
          }
          case 'exp': case 'log': case 'sqrt': return `${x.fn}(${args[0]})`;
          case 'tanh': return `attn_tanh(${args[0]})`;
        }
        return assertNever(x.fn);
      }
    }
    return assertNever(x);
  };
  return go(e);
}
