/**
 * Pass: layout coordinates. For a pattern whose layout has two or more axes, the grid the box
 * tiles are cut from (docs/schedule.md, "Box tiles"): the axis sizes and the expressions the
 * checker wrote for `q.<axis>` and `k.<axis>` (`coordinate`), folded as the mask is, so that
 * the box classifier recognises them in the mask by structure and bounds each by the box's
 * interval on its axis. A one-axis layout is the flat index itself: no box tiles.
 */
import { coordinate } from '../2-check/elaborate.ts';
import { fold } from '../ir/fold.ts';
import * as M from '../ir/mask.ts';
import type { LayoutAxis } from '../ir/program.ts';
import type { PlanLayout } from '../ir/plan.ts';
import { normalize } from './normalize.ts';

/** The planner's view of a layout, or undefined when box tiles do not apply. */
export function layoutCoordinates(layout: readonly LayoutAxis[] | undefined): PlanLayout | undefined {
  if (!layout || layout.length < 2) return undefined;
  const at = (v: 'q' | 'k') => layout.map((_, i) => fold(normalize(coordinate(M.v(v), layout, i))));
  return { axes: layout.map((a) => a.name), sizes: layout.map((a) => fold(a.size)), q: at('q'), k: at('k') };
}
