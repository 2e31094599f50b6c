/**
 * Prints the box half of a layout pattern's planner (docs/schedule.md, "Box tiles"):
 *
 *   layout.axes, layout.sizes(sizes, params)   the grid: axis names and sizes n_i
 *   classifyBox(qa, qb, ka, kb)                the tile class of a query box against a key box,
 *                                              inclusive coordinate bounds per axis
 *
 * The box classifier is the tile classifier with the layout coordinates (`q % width`,
 * `q / width % height`, ...) bounded by the box's interval on their axis instead of by
 * interval arithmetic over the flat range, which for a box spanning several rows would be
 * the whole axis; a bare `q` (or an input read at `q`) is bounded by the box's flat range.
 *
 * The same code is printed in JavaScript (the planner module) and C++ (the CUDA target's
 * `Pattern::Host`, runtime/cuda/attnc/planner.h): a `BoxDialect` says how.
 */
import type { MExpr } from '../../ir/mask.ts';
import { structId } from '../../ir/mask.ts';
import type { PlanLayout } from '../../ir/plan.ts';
import { JS_DIALECT, printInterval, type IntervalDialect } from './print-interval.ts';
import { printPointLets } from './print-point.ts';

/** The syntax of the box half: the interval code's dialect, plus locals and leaf values. */
export interface BoxDialect {
  readonly interval: IntervalDialect;
  /** One statement declaring the locals `pairs` (name, value), 64-bit in C++. */
  decl(pairs: readonly (readonly [string, string])[]): string;
  /** Statements (`lets`, shared nodes) and expressions for values over sizes and parameters. */
  values(exprs: readonly MExpr[]): { lets: string[]; exprs: string[] };
  /** The classifier computes the strides `s_i` itself where it needs them (else they are in scope: the JS planner's `bind`). */
  readonly ownGrid: boolean;
}

/** JavaScript: the planner module's box half. */
export const JS_BOX: BoxDialect = {
  interval: JS_DIALECT,
  decl: (pairs) => `const ${pairs.map(([n, v]) => `${n} = ${v}`).join(', ')};`,
  values: (exprs) => printPointLets(exprs),
  ownGrid: false,
};

/** Lines that compute the strides `s_i` from the sizes `n_i` of the later axes (after the leaf bindings; in `bind` for JavaScript). */
export function printGrid(layout: PlanLayout, D: BoxDialect = JS_BOX): string[] {
  const d = layout.axes.length;
  const code = D.values(layout.sizes.slice(1));
  const strides: string[] = [];
  for (let i = d - 1; i >= 0; i--) strides.push(D.decl([[`s_${i}`, i === d - 1 ? '1' : `s_${i + 1} * n_${i + 1}`]]));
  return [...code.lets, ...code.exprs.map((x, i) => D.decl([[`n_${i + 1}`, x]])), ...strides];
}

/** The `layout` member of the planner module (its own leaf bindings in `leaves`). */
export function printLayoutMember(layout: PlanLayout, leaves: readonly string[]): string[] {
  const code = printPointLets(layout.sizes);
  return [
    '  layout: {',
    `    axes: ${JSON.stringify(layout.axes)},`,
    '    sizes(sizes, params) {',
    ...leaves.map((l) => `      ${l}`),
    ...code.lets.map((l) => `      ${l}`),
    `      return [${code.exprs.join(', ')}];`,
    '    },',
    '  },',
  ];
}

/**
 * The body of `classifyBox(qa, qb, ka, kb)`: straight-line interval code ending in the bounds
 * `lo`, `hi`; the flat ranges `q0, q1` / `k0, k1` (and, with `D.ownGrid`, the strides) first
 * where the code reads them.
 */
export function printBoxClassifier(mask: MExpr, layout: PlanLayout, D: BoxDialect = JS_BOX): { lines: string[]; lo: string; hi: string } {
  const d = layout.axes.length;
  const given = new Map<number, [string, string]>();
  layout.q.forEach((c, i) => given.set(structId(c), [`qa[${i}]`, `qb[${i}]`]));
  layout.k.forEach((c, i) => given.set(structId(c), [`ka[${i}]`, `kb[${i}]`]));
  const flat = (a: string) => Array.from({ length: d }, (_, i) => `${a}[${i}] * s_${i}`).join(' + ');
  const iv = printInterval(mask, D.interval, (x) => (x.kind === 'var' ? undefined : given.get(structId(x))));
  const text = [...iv.lines, iv.lo, iv.hi].join('\n');
  const flats = (['q', 'k'] as const).filter((v) => new RegExp(`\\b${v}[01]\\b`).test(text)).map((v) => D.decl([[`${v}0`, flat(`${v}a`)], [`${v}1`, flat(`${v}b`)]]));
  const grid = D.ownGrid && flats.length ? printGrid(layout, D) : [];
  return {
    lines: [...grid, ...flats, ...iv.lines],
    lo: iv.lo,
    hi: iv.hi,
  };
}
