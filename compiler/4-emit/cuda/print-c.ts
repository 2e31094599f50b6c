/**
 * Prints mask IR as C++ for the CUDA backend: `device` code evaluates one (q, k) in the
 * kernel with 32-bit ints; `host` code (the planner's exact point mask and head slots)
 * uses 64-bit ints. Integer semantics follow `ir/semantics.ts` through `fdiv`/`fmod_`/
 * `hash_step`, defined once in the generated file for both sides. Ints wrap at 32 bits:
 * where `+ - *`, unary `-` or `abs` can leave the int range (`ir/int-range.ts`) they are
 * `iadd`/`isub`/`imul`/`ineg`/`iabs`, computed unsigned (signed overflow is undefined in C++);
 * elsewhere they are plain `int` arithmetic, which then cannot overflow. A shared node
 * (`sharedNodes`: `let`s, repeated `fn` calls) becomes a local `const auto t_<i> = ...;`
 * printed once (`printCLets`); `auto` gives it the type it has inline.
 */
import { exprShape } from '../../2-check/elaborate.ts';
import { assertNever } from '../../diagnostics/diagnostic.ts';
import { mayWrap } from '../../ir/int-range.ts';
import { printShared, type MExpr } from '../../ir/mask.ts';

/** How leaves (sizes, parameters, inputs, slots) are spelled in one context. */
export interface CLeaves {
  size(name: string): string;
  param(name: string): string;
  /** An input read; `index` is printed (`q`, `k`, `b`, or a row's offset plus `q` or `k`). */
  input(name: string, index: string): string;
  readonly ns: string;
  /**
   * Print `and` / `or` without short-circuit (`&`, `|`): every operand is evaluated, so the
   * compiler can share subexpressions across the unrolled elements of a tile instead of
   * branching per element. Safe for mask expressions: their operations are total (division
   * by 0 is 0) and inputs are read only at q or k, which the caller keeps in range.
   */
  readonly eager?: boolean;
}

const floatLit = (x: number) => {
  if (!Number.isFinite(x)) return x > 0 ? 'INFINITY' : x < 0 ? '(-INFINITY)' : 'NAN';
  const s = String(x);
  return `${/[.eE]/.test(s) ? s : `${s}.0`}f`;
};

/**
 * An int literal of type int. The smallest int is written `(-2147483647 - 1)`: C and C++
 * read `-2147483648` as minus a literal that does not fit an int, which is a long, and a
 * long argument makes calls such as `amin(int, long)` ambiguous.
 */
const intLit = (v: number) => (v === -2147483648 ? '(-2147483647 - 1)' : v < 0 ? `(${v})` : String(v));

/**
 * Expanded size (nodes, a shared node counted at each use) up to which expressions are printed
 * inline: nvcc finds the common sub-expressions itself, and binding them to locals changed its
 * register allocation (radial's backward kernel spilled 4 bytes with locals, none inline).
 * Larger expressions (deeply shared `let`s and `fn`s) bind their shared nodes once.
 */
export const C_INLINE_SIZE = 4096;

/**
 * C++ for `roots`: `lets` (`const auto t_<i> = ...;`, the shared nodes) are statements that
 * go before the code that uses `exprs`; none where the expressions are small (C_INLINE_SIZE).
 */
export function printCLets(roots: readonly MExpr[], L: CLeaves): { lets: string[]; exprs: string[] } {
  const expanded = roots.reduce((n, r) => n + exprShape(r).size, 0);
  const canShare = expanded <= C_INLINE_SIZE ? () => false : undefined;
  const { lets, exprs } = printShared(roots, (e, names) => printC(e, L, names, !canShare), canShare ? { canShare } : {});
  return { lets: lets.map((l) => `const auto ${l.name} = ${l.text};`), exprs };
}

/**
 * The longest operand printed more than once (`abs`) in a large expression (printCLets binds
 * its shared nodes); a longer one goes through a helper. Small expressions print `abs` inline.
 */
const MAX_REPEATED_OPERAND = 48;

/** C++ source for `e`, with the nodes in `names` written as those names; `large`: see MAX_REPEATED_OPERAND. */
export function printC(e: MExpr, L: CLeaves, names: ReadonlyMap<MExpr, string> = new Map(), large = false): string {
  const go = (x: MExpr): string => {
    const named = names.get(x);
    if (named !== undefined) return named;
    switch (x.kind) {
      case 'const':
        if (typeof x.value === 'boolean') return String(x.value);
        return x.type === 'float' ? floatLit(x.value) : intLit(x.value);
      case 'var': return x.name;
      case 'size': return L.size(x.name);
      case 'param': return L.param(x.name);
      case 'input': return L.input(x.name, x.offset ? `${go(x.offset)} + ${x.index}` : x.index);
      case 'neg': return mayWrap(x) ? `${L.ns}ineg(${go(x.x)})` : `(-${go(x.x)})`;
      case 'not': return `(!${go(x.x)})`;
      case 'toFloat': return `((float)${go(x.x)})`;
      case 'arith': {
        const a = go(x.a), b = go(x.b);
        // A positive constant divisor (the common case: windows, chunks, strides, grid
        // widths) gets the cheap forms: shifts and masks for powers of two, else one
        // truncating division with a sign fix-up. Same results as fdiv/fmod_.
        const c = x.b.kind === 'const' && typeof x.b.value === 'number' && x.b.value > 0 ? x.b.value : undefined;
        const pow2 = c !== undefined && (c & (c - 1)) === 0 ? Math.log2(c) : undefined;
        if (x.type === 'int' && x.op === '/') {
          if (pow2 !== undefined) return pow2 === 0 ? a : `(${a} >> ${pow2})`;
          return c !== undefined ? `${L.ns}fdiv_pos(${a}, ${b})` : `${L.ns}fdiv(${a}, ${b})`;
        }
        if (x.type === 'int' && x.op === '%') {
          if (pow2 !== undefined) return pow2 === 0 ? '0' : `(${a} & ${c! - 1})`;
          return c !== undefined ? `${L.ns}fmod_pos(${a}, ${b})` : `${L.ns}fmod_(${a}, ${b})`;
        }
        if (x.type === 'float' && x.op === '%') return `(${a} - ${b} * floorf(${a} / ${b}))`;
        if (mayWrap(x)) return `${L.ns}${x.op === '+' ? 'iadd' : x.op === '-' ? 'isub' : 'imul'}(${a}, ${b})`;
        return `(${a} ${x.op} ${b})`;
      }
      case 'pow': return `powf(${go(x.a)}, ${go(x.b)})`;
      case 'cmp': return `(${go(x.a)} ${x.op} ${go(x.b)})`;
      case 'and': return `(${x.args.map(go).join(L.eager ? ' & ' : ' && ')})`;
      case 'or': return `(${x.args.map(go).join(L.eager ? ' | ' : ' || ')})`;
      case 'call': {
        const args = x.args.map(go);
        switch (x.fn) {
          case 'select': return `(${args[0]} ? ${args[1]} : ${args[2]})`;
          case 'abs':
            if (x.type === 'float') return `fabsf(${args[0]})`;
            // Inline, the operand is written three times: only a short one (nested `abs` would triple each level).
            return mayWrap(x) || (large && args[0].length > MAX_REPEATED_OPERAND) ? `${L.ns}iabs(${args[0]})` : `(${args[0]} < 0 ? -(${args[0]}) : (${args[0]}))`;
          case 'min': case 'max': {
            const f = x.fn === 'min' ? 'amin' : 'amax';
            return args.reduce((acc, a) => `${L.ns}${f}(${acc}, ${a})`);
          }
          case 'hash': {
            let h = `${L.ns}HASH_SEED`;
            for (const a of args) h = `${L.ns}hash_step(${h}, (uint32_t)(int32_t)(${a}))`;
            return `((int)(${h} & ${L.ns}HASH_MASK))`;
          }
          case 'exp': return `expf(${args[0]})`;
          case 'log': return `logf(${args[0]})`;
          case 'tanh': return `tanhf(${args[0]})`;
          case 'sqrt': return `sqrtf(${args[0]})`;
        }
        return assertNever(x.fn);
      }
    }
    return assertNever(x);
  };
  return go(e);
}
