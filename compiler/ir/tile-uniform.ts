/**
 * [Note: Tile-uniform masks]
 * A PARTIAL tile evaluates the mask at each of its elements. Many masks do most of their work
 * on coarse coordinates: the frame `q / frame_tokens` of a video token, the image row `k / W`,
 * per-head values. Over a tile that crosses no frame (row, ...) boundary such a coordinate
 * takes one value, and so does everything computed from it alone.
 *
 * `specializeTile` rewrites a mask for those tiles:
 *   - atoms: floor divisions `q / c` and `k / c` whose divisor `c` depends on no index variable
 *     but `b` and `h` (a constant, a parameter, a size, a per-head value). A constant divisor
 *     must be large enough that tiles fit between its boundaries (MIN_Q_DIVISOR,
 *     MIN_K_DIVISOR); a smaller one stays per element;
 *   - `q % c`, for an atom `q / c`, becomes `q - c * (q / c)` (where `c` may be 0:
 *     `select(c == 0, 0, ...)`), except for a power of two, which is already one AND;
 *   - every largest sub-expression that then depends on no index variable but `b` and `h`
 *     becomes a field of the tile, computed once; operands of `&&` / `||` that are fields are
 *     grouped into one.
 * The kernel evaluates each atom at the tile's first and last row (or key): floor division is
 * monotone in its dividend, so equal values there mean one value over the tile. Where every
 * atom is uniform it fills the fields and evaluates the rest per element; otherwise the
 * general mask. Radial attention's PARTIAL tiles drop from 78 counted operations per element
 * (`maskOps`: its band width `window / 2^floor(log2 d)` and the `d % ...` test, per element)
 * to 9.
 */
import { and, children, mapChildren, or, structId, varBits, type MExpr } from './mask.ts';
import { maskOps } from './mask-cost.ts';

/** Smallest constant divisor of a query atom: a warp's 16 rows must fit between boundaries. */
export const MIN_Q_DIVISOR = 16;
/** Smallest constant divisor of a key atom: a key block (64 keys and more) must fit. */
export const MIN_K_DIVISOR = 64;

/** Bits of `varBits` for q and k. */
const QK = 1 | 2;

/** A mask rewritten for tiles over which its atoms are uniform. */
export interface TileSpecialization {
  /** The atoms, `q / c` or `k / c` as they are in the original mask. Field expressions read atom i as the parameter `$a<i>`. */
  readonly atoms: readonly { readonly expr: MExpr; readonly on: 'q' | 'k' }[];
  /** The values computed once per tile, field i over the atoms (`$a<i>`), sizes, parameters, inputs at `b`, `b` and `h`. */
  readonly fields: readonly MExpr[];
  /** The mask per element, reading field i as the parameter `$t<i>`. */
  readonly mask: MExpr;
}

const isConstDivisor = (c: MExpr): c is Extract<MExpr, { kind: 'const' }> => c.kind === 'const' && typeof c.value === 'number';

/** Whether `e` (a `/` or `%`) divides q or k by something an atom may divide by. */
function atomShape(e: MExpr): 'q' | 'k' | undefined {
  if (e.kind !== 'arith' || e.type !== 'int' || (e.op !== '/' && e.op !== '%')) return undefined;
  if (e.a.kind !== 'var' || (e.a.name !== 'q' && e.a.name !== 'k') || varBits(e.b) & QK) return undefined;
  const on = e.a.name;
  if (isConstDivisor(e.b) && Math.abs(e.b.value as number) < (on === 'q' ? MIN_Q_DIVISOR : MIN_K_DIVISOR)) return undefined;
  return on;
}

const placeholder = (prefix: '$a' | '$t', i: number, type: MExpr['type']): MExpr => ({ kind: 'param', type, name: `${prefix}${i}`, mode: 'runtime' });

/** Leaves that a field would only copy: constants, parameters, sizes, `b` and `h` (an atom is not one: it needs its field). */
const trivial = (e: MExpr) => e.kind === 'const' || (e.kind === 'param' && !e.name.startsWith('$a')) || e.kind === 'size' || e.kind === 'var';

/** The mask rewritten for tiles with uniform atoms (see the note), or undefined where it has no atom. */
export function specializeTile(mask: MExpr): TileSpecialization | undefined {
  // Atoms, one per (dividend, divisor), from both `/` and `%`.
  const atoms: { expr: MExpr; on: 'q' | 'k' }[] = [];
  const atomOf = new Map<string, number>();
  const keyOf = (e: Extract<MExpr, { kind: 'arith' }>) => `${structId(e.a)}/${structId(e.b)}`;
  const seen = new Set<MExpr>();
  const collect = (e: MExpr) => {
    if (seen.has(e)) return;
    seen.add(e);
    const on = atomShape(e);
    if (on && e.kind === 'arith' && !atomOf.has(keyOf(e))) {
      atomOf.set(keyOf(e), atoms.length);
      atoms.push({ expr: e.op === '/' ? e : { ...e, op: '/' }, on });
    }
    children(e).forEach(collect);
  };
  collect(mask);
  if (atoms.length === 0) return undefined;

  // Atoms become placeholders; `x % c` becomes `x - c * (x / c)`.
  const memo = new Map<MExpr, MExpr>();
  const rewrite = (e: MExpr): MExpr => {
    const hit = memo.get(e);
    if (hit) return hit;
    let r: MExpr;
    if (e.kind === 'arith' && atomShape(e)) {
      const a = placeholder('$a', atomOf.get(keyOf(e))!, 'int');
      const c = e.b;
      const pow2 = isConstDivisor(c) && (c.value as number) > 0 && ((c.value as number) & ((c.value as number) - 1)) === 0;
      if (e.op === '/') r = a;
      else if (pow2) r = e;
      else {
        const rem: MExpr = { kind: 'arith', type: 'int', op: '-', a: e.a, b: { kind: 'arith', type: 'int', op: '*', a: c, b: a } };
        r = isConstDivisor(c) && c.value !== 0 ? rem : { kind: 'call', type: 'int', fn: 'select', args: [{ kind: 'cmp', type: 'bool', op: '==', a: c, b: { kind: 'const', type: 'int', value: 0 } }, { kind: 'const', type: 'int', value: 0 }, rem] };
      }
    } else r = mapChildren(e, rewrite);
    memo.set(e, r);
    return r;
  };
  const rewritten = rewrite(mask);

  // Largest sub-expressions free of q and k become fields.
  const fields: MExpr[] = [];
  const fieldOf = new Map<number, MExpr>();
  const field = (e: MExpr): MExpr => {
    const id = structId(e);
    let p = fieldOf.get(id);
    if (!p) {
      p = placeholder('$t', fields.length, e.type);
      fields.push(e);
      fieldOf.set(id, p);
    }
    return p;
  };
  const uniform = (e: MExpr) => (varBits(e) & QK) === 0;
  const hoisted = new Map<MExpr, MExpr>();
  const hoist = (e: MExpr): MExpr => {
    const hit = hoisted.get(e);
    if (hit) return hit;
    let r: MExpr;
    if (uniform(e)) r = trivial(e) ? e : field(e);
    else if (e.kind === 'and' || e.kind === 'or') {
      const u = e.args.filter((x) => uniform(x) && !trivial(x));
      const rest = e.args.filter((x) => !u.includes(x)).map(hoist);
      const join = e.kind === 'and' ? and : or;
      r = u.length === 0 ? { ...e, args: rest } : join([field(join(u)), ...rest]);
    } else r = mapChildren(e, hoist);
    hoisted.set(e, r);
    return r;
  };
  return { atoms, fields, mask: hoist(rewritten) };
}

/**
 * The specialization when it saves at least `MIN_SAVED_OPS` operations per element (`maskOps`) and
 * keeps at most `MAX_COST_RATIO` of the general mask's cost: a cheap mask gains too little to
 * pay for the test per tile and the second copy of the PARTIAL loop.
 */
export const MIN_SAVED_OPS = 8;
export const MAX_COST_RATIO = 0.6;
export function profitableTileSpecialization(mask: MExpr): TileSpecialization | undefined {
  const s = specializeTile(mask);
  if (!s) return undefined;
  const before = maskOps(mask), after = maskOps(s.mask);
  return before - after >= MIN_SAVED_OPS && after <= MAX_COST_RATIO * before ? s : undefined;
}
