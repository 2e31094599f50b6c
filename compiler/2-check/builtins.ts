/**
 * Names the language defines: index variables, sizes and built-in functions. User
 * definitions may not reuse them (`reserved_name`).
 */
import type { IndexVar, SizeName } from '../ir/mask.ts';

export const INDEX_VARS: readonly IndexVar[] = ['q', 'k', 'h', 'b'];
export const SIZE_NAMES: readonly SizeName[] = ['q_len', 'kv_len', 'heads'];

/** Built-in functions and their arity (`max` = Infinity for variadic). */
export const BUILTIN_FNS: Record<string, { readonly min: number; readonly max: number; readonly doc: string }> = {
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
};

/** True when `name` is predefined and cannot be redefined. */
export function isReserved(name: string): boolean {
  return (INDEX_VARS as readonly string[]).includes(name) || (SIZE_NAMES as readonly string[]).includes(name) || name in BUILTIN_FNS;
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
