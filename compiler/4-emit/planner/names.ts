/** Identifier names used by printed planner code, shared by the point and interval printers. */
import type { MExpr } from '../../ir/mask.ts';

/** JS identifier for a leaf (size, runtime scalar, head slot, input table). */
export function leafName(e: Extract<MExpr, { kind: 'size' | 'param' | 'input' }>): string {
  switch (e.kind) {
    case 'size': return e.name;
    case 'param': return e.name.startsWith('$g') ? `g_${e.name.slice(2)}` : `p_${e.name}`;
    case 'input': return `in_${e.name}`;
  }
}
