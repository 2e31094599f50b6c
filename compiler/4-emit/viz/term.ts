/** `attnc viz --format term`: a compact Unicode tile map for the terminal. */
import { summarize } from '../../../runtime/schedule/export.ts';
import type { Schedule } from '../../../runtime/schedule/types.ts';
import { cellGrid } from './grid.ts';
import { blockOrigin } from '../../../runtime/schedule/box.ts';

const GLYPH = ['·', '▒', '█', '░', '▓'];

/** Renders the map of every head group (at most `maxCols` characters wide). */
export function renderTerm(s: Schedule, maxCols = 64, maxRows = 32): string {
  const sum = summarize(s);
  const out = [
    `${s.pattern}: q_len ${s.qLen} x kv_len ${s.kvLen}, block ${s.blockQ}x${s.blockKv}, ${s.groups.length} head group${s.groups.length === 1 ? '' : 's'}`,
    `density ${(100 * sum.density).toFixed(2)}%, ideal speedup ${sum.idealSpeedup === Infinity ? 'inf' : sum.idealSpeedup.toFixed(2)}x   █ full  ▒ partial  · empty${s.groups.some((g) => g.selected) ? '  ▓ ░ selected by the data (full, partial)' : ''}`,
  ];
  s.groups.forEach((g, gi) => {
    const grid = cellGrid(s, g, maxRows, maxCols);
    const heads = s.batch > 1 ? `${g.members.length} (b, h) entries` : `heads ${Array.from(g.members).join(',')}`;
    out.push('', `group ${gi} (${heads}); one character = ${grid.rowStep}x${grid.colStep} tiles; right: listed tiles per row`);
    if (s.tiles) out.push(`box tiles: query ${s.tiles.q.shape.join('x')}, key ${s.tiles.kv.shape.join('x')} over (${s.tiles.axes.join(', ')}); rows start at the grid coordinates shown, boxes row-major`);
    const maxWork = Math.max(1, ...Array.from(grid.rowFull, (f, r) => f + grid.rowPartial[r]));
    for (let r = 0; r < grid.rows; r++) {
      let line = '';
      for (let c = 0; c < grid.cols; c++) line += GLYPH[grid.cells[r * grid.cols + c]];
      const work = grid.rowFull[r] + grid.rowPartial[r];
      const bar = '▇'.repeat(Math.round((8 * work) / maxWork));
      const qTok = s.tiles ? `q (${blockOrigin(s.tiles.q, r * grid.rowStep).map((c, i) => String(c).padStart(String(s.tiles!.q.extent[i]).length)).join(', ')})` : `q ${String(r * grid.rowStep * s.blockQ).padStart(String(s.qLen).length)}`;
      out.push(`${qTok} │${line}│ ${bar} ${work}`);
    }
    if (g.fullyMaskedRows.length) out.push(`fully masked query rows: ${g.fullyMaskedRows.map(([a, b]) => `${a}..${b}`).join(', ')}`);
  });
  return `${out.join('\n')}\n`;
}
