/**
 * Names the language defines: index variables, sizes and built-in functions. User
 * definitions may not reuse them (`reserved_name`).
 */
import type { IndexVar, SizeName } from '../ir/mask.ts';

export const INDEX_VARS: readonly IndexVar[] = ['q', 'k', 'h', 'b'];
export const SIZE_NAMES: readonly SizeName[] = ['q_len', 'kv_len', 'heads'];

/**
 * Built-in functions and their arity (`max` = Infinity for variadic). The table has no
 * prototype, so `name in BUILTIN_FNS` and `BUILTIN_FNS[name]` never see `toString`,
 * `constructor` or `__proto__`; `isBuiltinFn` is the lookup to use.
 */
export const BUILTIN_FNS: Readonly<Record<string, { readonly min: number; readonly max: number; readonly doc: string }>> = Object.assign(Object.create(null) as Record<string, { readonly min: number; readonly max: number; readonly doc: string }>, {
  abs: { min: 1, max: 1, doc: 'absolute value' },
  min: { min: 2, max: Infinity, doc: 'smallest argument' },
  max: { min: 2, max: Infinity, doc: 'largest argument' },
  clamp: { min: 3, max: 3, doc: 'clamp(x, lo, hi) = min(max(x, lo), hi)' },
  select: { min: 3, max: 3, doc: 'select(cond, a, b): a if cond else b' },
  hash: { min: 1, max: Infinity, doc: 'deterministic 31-bit hash of ints' },
  exp: { min: 1, max: 1, doc: 'e ** x (float)' },
  log: { min: 1, max: 1, doc: 'natural logarithm (float)' },
  tanh: { min: 1, max: 1, doc: 'hyperbolic tangent (float)' },
  sqrt: { min: 1, max: 1, doc: 'square root (float)' },
  float: { min: 1, max: 1, doc: 'int to float' },
});

/** True when `name` is a built-in function. */
export function isBuiltinFn(name: string): boolean {
  return Object.hasOwn(BUILTIN_FNS, name);
}

/** True when `name` is predefined and cannot be redefined. */
export function isReserved(name: string): boolean {
  return (INDEX_VARS as readonly string[]).includes(name) || (SIZE_NAMES as readonly string[]).includes(name) || isBuiltinFn(name);
}

/** Python's keywords (3.12; the soft keywords `match`, `case`, `type` and `_` are valid argument names). */
const PYTHON_KEYWORDS: ReadonlySet<string> = new Set([
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif',
  'else', 'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or',
  'pass', 'raise', 'return', 'try', 'while', 'with', 'yield', '__debug__',
]);
/** The generated Python loader's own names: `attention`'s other arguments and the module's globals. */
const PYTHON_LOADER_NAMES: ReadonlySet<string> = new Set(['v', 'scale', 'block_kv', 'return_lse', 'deterministic', 'os', 'define_attention', '_attention', 'attention']);
/**
 * The names the generated FlexAttention module's `mask_mod`, `score_mod` and `block_mask` take
 * or read besides the pattern's own (`compiler/4-emit/flex/emit-flex.ts`).
 */
export const FLEX_MODULE_NAMES: ReadonlySet<string> = new Set(['batch', 'block_size', 'device', '_flex', '_PATTERN']);

/**
 * Why a runtime value or input array cannot be called `name`, or undefined when it can. Each
 * becomes a keyword argument of the generated Python `attention(q, k, v, *, scale, block_kv,
 * return_lse, deterministic, ...)`. The other targets prefix the name (`p_<name>` and
 * `in_<name>` in C, C++ and WGSL; a property name in TypeScript), so C, C++, WGSL and
 * JavaScript keywords are safe there.
 */
export function generatedNameConflict(name: string): string | undefined {
  if (PYTHON_KEYWORDS.has(name)) return `\`${name}\` is a Python keyword, so the generated Python \`attention\` cannot take it as an argument`;
  if (PYTHON_LOADER_NAMES.has(name)) return `\`${name}\` is a name of the generated Python loader (\`attention(q, k, v, *, scale, block_kv, return_lse, deterministic, ...)\` and its module's globals)`;
  if (FLEX_MODULE_NAMES.has(name)) return `\`${name}\` is a name of the generated FlexAttention module (\`block_mask(q_len, kv_len, *, heads, batch, block_size, device, ...)\` and its module's globals)`;
  return undefined;
}

/** The closest candidate to `name` by edit distance, if it is close enough to suggest. */
export function suggest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(name, c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(name.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0];
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j];
      dp[j] = Math.min(dp[j] + 1, dp[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length];
}
