/**
 * The meaning of each operator, in one place. The reference evaluator, constant folding and
 * interval analysis call these; the CUDA, WGSL and TypeScript printers emit code that computes
 * the same values (their tests compare against this file through the evaluator). Ints are
 * 32-bit two's complement and wrap (runtime/schedule/int-semantics.ts).
 */
import type { ArithOp, Builtin, CmpOp } from './mask.ts';
import { fdiv, fmod, hash as hashArgs, iabs, iadd, imul, ineg, isub } from '../../runtime/schedule/int-semantics.ts';

// Floor division, floor modulo and the hash are shared with the planner runtime, so the
// oracle and every schedule agree by construction.

/** Floor division; division by zero gives 0. */
export const floorDiv = fdiv;

/** Floor modulo (result has the divisor's sign); modulo by zero gives 0. */
export const floorMod = fmod;

/** Integer (32-bit, wrapping) or float arithmetic. */
export function applyArith(op: ArithOp, a: number, b: number, isInt: boolean): number {
  switch (op) {
    case '+': return isInt ? iadd(a, b) : a + b;
    case '-': return isInt ? isub(a, b) : a - b;
    case '*': return isInt ? imul(a, b) : a * b;
    case '/': return isInt ? floorDiv(a, b) : a / b;
    case '%': return isInt ? floorMod(a, b) : a - b * Math.floor(a / b);
  }
}

/** Negation: ints wrap (-INT_MIN is INT_MIN). */
export function applyNeg(a: number, isInt: boolean): number {
  return isInt ? ineg(a) : -a;
}

/** Comparison of two numbers (or booleans for `==`/`!=`). */
export function applyCmp(op: CmpOp, a: number | boolean, b: number | boolean): boolean {
  switch (op) {
    case '<': return a < b;
    case '<=': return a <= b;
    case '>': return a > b;
    case '>=': return a >= b;
    case '==': return a === b;
    case '!=': return a !== b;
  }
}

/**
 * `hash(a, b, ...)`: a deterministic 31-bit hash of 32-bit ints, for seeded random patterns
 * (BigBird's random blocks): each argument is xor-ed into the state, which is then mixed
 * (the "lowbias32" finaliser). CUDA and WGSL emit the same u32 arithmetic.
 */
export function hash(args: readonly number[]): number {
  return hashArgs(...args);
}

/** Built-in function on evaluated arguments; `type` is the call's result type (ints wrap: abs(INT_MIN) is INT_MIN). */
export function applyBuiltin(fn: Builtin, args: readonly (number | boolean)[], type: 'int' | 'float' | 'bool'): number | boolean {
  const n = args as readonly number[];
  switch (fn) {
    case 'abs': return type === 'int' ? iabs(n[0]) : Math.abs(n[0]);
    case 'min': return Math.min(...n);
    case 'max': return Math.max(...n);
    case 'select': return args[0] ? args[1] : args[2];
    case 'hash': return hash(n);
    case 'exp': return Math.exp(n[0]);
    case 'log': return Math.log(n[0]);
    case 'tanh': return Math.tanh(n[0]);
    case 'sqrt': return Math.sqrt(n[0]);
  }
}
