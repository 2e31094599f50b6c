/**
 * What evaluating a mask costs per element, as the kernels evaluate it: the simulator's price of
 * a PARTIAL tile (compiler/5-simulate) and the test of whether a tile-uniform form of a mask
 * pays (tile-uniform.ts).
 */
import { sharedCost, type MExpr } from './mask.ts';

/**
 * Integer operations the kernel executes per element of a PARTIAL tile, weighted by what the
 * emitted code does: `hash` mixes each argument with 9 operations; floor division and modulo
 * cost 1 (power-of-two constant: shift/mask), 4 (other constants: multiply-high and a fix-up)
 * or 10 (variable divisor); input-array reads are counted apart (they are memory loads). A
 * shared node counts once: the kernel evaluates it once (`printCLets` binds it to a local, or nvcc finds it).
 */
export function maskOps(e: MExpr): number {
  return sharedCost([e], ownOps);
}

function ownOps(e: MExpr): number {
  switch (e.kind) {
    case 'const': case 'var': case 'size': case 'param': case 'input':
      return 0;
    case 'call':
      return e.fn === 'hash' ? 9 * e.args.length : 1;
    case 'arith':
      if ((e.op === '/' || e.op === '%') && e.type === 'int') {
        const c = e.b.kind === 'const' ? (e.b.value as number) : undefined;
        return c === undefined ? 10 : c > 0 && (c & (c - 1)) === 0 ? 1 : 4;
      }
      return 1;
    default:
      return 1;
  }
}

/** Input-array reads per element of a PARTIAL tile (a shared read once, as the kernel binds it). */
export function inputReads(e: MExpr): number {
  return sharedCost([e], (n) => (n.kind === 'input' ? 1 : 0));
}
