/**
 * The integer operations of the .attn language, defined once. The planner and the reference
 * evaluator run these TypeScript functions; `compiler/4-emit/int-ops.ts` prints the same rules
 * as C++ (`runtime/cuda/attnc/int_ops.h`) and WGSL (the kernel's `attn_fdiv`, `attn_fmod`,
 * `attn_hash_step`), and tests compare the compiled C++ with these functions.
 *
 *   ints         32-bit two's complement; `+ - *`, unary `-` and `abs` wrap modulo 2^32
 *                (2147483647 + 1 == -2147483648, abs(-2147483648) == -2147483648)
 *   fdiv(a, b)   floor division; b == 0 gives 0; b == -1 gives -a, wrapping (no overflow trap)
 *   fmod(a, b)   floor modulo, the result has b's sign; b == 0 and b == -1 give 0
 *   hash(...)    HASH.seed, then per argument: xor it in (as 32 bits) and apply HASH.mix;
 *                the result is the low 31 bits
 */

/** The hash's constants and mixing steps (the "lowbias32" finaliser): `x ^= x >> shift`, `x *= mul` (mod 2^32). */
export const HASH = {
  seed: 0x9e3779b9,
  mix: [{ shift: 16 }, { mul: 0x7feb352d }, { shift: 15 }, { mul: 0x846ca68b }, { shift: 16 }],
  mask: 0x7fffffff,
} as const;

/** The int range: 32-bit two's complement. */
export const INT_MIN = -(2 ** 31);
export const INT_MAX = 2 ** 31 - 1;

/** `a + b`, `a - b`, `a * b`, `-a` and `abs(a)` on 32-bit ints, wrapping. */
export const iadd = (a: number, b: number): number => (a + b) | 0;
export const isub = (a: number, b: number): number => (a - b) | 0;
export const imul = (a: number, b: number): number => Math.imul(a, b);
export const ineg = (a: number): number => -a | 0;
export const iabs = (a: number): number => (a < 0 ? -a | 0 : a);

/**
 * Floor division; division by zero gives 0 and division by -1 negates, wrapping. For 32-bit
 * operands and any other divisor the quotient fits, and `Math.floor` of the double quotient
 * is exact (the quotient is never within rounding distance of an integer it is not).
 */
export function fdiv(a: number, b: number): number {
  if (b === 0) return 0;
  if (b === -1) return -a | 0;
  return Math.floor(a / b) | 0; // | 0: -0 becomes 0
}

/** Floor modulo (the result has the divisor's sign); modulo by zero gives 0. */
export function fmod(a: number, b: number): number {
  if (b === 0) return 0;
  const r = ((a % b) + b) % b;
  return r === 0 ? 0 : r;
}

/** One argument of the hash: xor `a` (as 32 bits) into state `h`, then mix. */
export function hashStep(h: number, a: number): number {
  let x = (h ^ (a >>> 0)) >>> 0;
  for (const s of HASH.mix) x = 'shift' in s ? (x ^ (x >>> s.shift)) >>> 0 : Math.imul(x, s.mul) >>> 0;
  return x;
}

/** The language's `hash(...)`. */
export function hash(...args: number[]): number {
  let h = HASH.seed >>> 0;
  for (const a of args) h = hashStep(h, a);
  return h & HASH.mask;
}
