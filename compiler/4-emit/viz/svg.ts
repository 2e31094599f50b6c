/**
 * `attnc viz -o map.svg`: the tile map as SVG. Full tiles dark blue, partial orange, empty
 * light grey; axes in tokens (in boxes labelled by grid coordinates for box tiles); a per-query-block work bar (full and partial tiles) to the
 * right; the density and ideal speedup in the title. Runs of equal cells in a row are
 * merged into one rectangle, so even maps of millions of tokens stay small.
 */
import { ranges, summarize } from '../../../runtime/schedule/export.ts';
import type { BoxSide, BoxTiles, Schedule } from '../../../runtime/schedule/types.ts';
import { blockOrigin } from '../../../runtime/schedule/box.ts';
import { cellGrid, CELL_EMPTY } from './grid.ts';

const COLORS = { full: '#1f4e9c', partial: '#f28e2b', empty: '#eef0f3', axis: '#333', grid: '#c8ccd2', selectedFull: '#1b7a3e', selectedPartial: '#8fd19e' };
const CELL_COLORS = [COLORS.empty, COLORS.partial, COLORS.full, COLORS.selectedPartial, COLORS.selectedFull];
const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';

/** A tick step in tokens: the power of two giving at most about `target` ticks. */
function tickStep(range: number, target: number): number {
  return 2 ** Math.max(0, Math.ceil(Math.log2(Math.max(1, range / Math.max(1, target)))));
}

const fmtTok = (t: number) => (t >= 1 << 20 && t % (1 << 20) === 0 ? `${t >> 20}M` : t >= 1024 && t % 1024 === 0 ? `${t >> 10}k` : `${t}`);
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Renders up to `maxGroups` head groups side by side. */
export function renderSvg(s: Schedule, opts: { maxGroups?: number } = {}): string {
  const groups = s.groups.slice(0, opts.maxGroups ?? 4);
  const sum = summarize(s);
  const side = groups.length === 1 ? 560 : groups.length === 2 ? 400 : 300;
  const aspect = s.qLen / s.kvLen;
  const mapW = aspect > 1 ? side / aspect : side, mapH = aspect > 1 ? side : side * aspect;
  const barW = 70, gap = 60, left = 70, top = 100;
  const panelW = mapW + barW + gap + 20;
  const width = left + panelW * groups.length, height = top + mapH + 90;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${Math.ceil(width)}" height="${Math.ceil(height)}" viewBox="0 0 ${Math.ceil(width)} ${Math.ceil(height)}" font-family="${FONT}" shape-rendering="crispEdges">`);
  parts.push(`<rect width="100%" height="100%" fill="white"/>`);
  const ideal = sum.idealSpeedup === Infinity ? '∞' : `${sum.idealSpeedup.toFixed(2)}×`;
  parts.push(`<text x="${left}" y="28" font-size="18" font-weight="bold">${esc(s.pattern)}</text>`);
  parts.push(`<text x="${left}" y="48" font-size="13">density ${(100 * sum.density).toFixed(2)}%, ideal speedup ${ideal} (${sum.full} full, ${sum.partial} partial of ${sum.total} tiles)</text>`);
  parts.push(`<text x="${left}" y="66" font-size="12" fill="#555">q_len ${s.qLen} × kv_len ${s.kvLen}, blocks ${s.blockQ}×${s.blockKv}, ${s.heads} head${s.heads === 1 ? '' : 's'} in ${s.groups.length} group${s.groups.length === 1 ? '' : 's'}</text>`);

  const grids = groups.map((g) => cellGrid(s, g, Math.min(512, Math.round(mapH)), Math.min(512, Math.round(mapW))));
  // One work scale for all groups, so imbalance between heads shows.
  const maxWork = Math.max(1, ...grids.flatMap((gr) => Array.from(gr.rowFull, (f, r) => (f + gr.rowPartial[r]) / gr.rowStep)));
  groups.forEach((g, gi) => {
    const x0 = left + gi * panelW, y0 = top;
    const grid = grids[gi];
    // Cell sizes in pixels: a cell covers rowStep q blocks = rowStep * blockQ tokens.
    // Box tiles (docs/schedule.md) are drawn one box per block; strips to scale in tokens.
    const pxPerQ = mapH / s.qLen, pxPerK = mapW / s.kvLen;
    const cellH = s.tiles ? (grid.rowStep * mapH) / s.numQBlocks : grid.rowStep * s.blockQ * pxPerQ;
    const cellW = s.tiles ? (grid.colStep * mapW) / s.numKvBlocks : grid.colStep * s.blockKv * pxPerK;
    parts.push(`<g><rect x="${x0}" y="${y0}" width="${mapW.toFixed(2)}" height="${mapH.toFixed(2)}" fill="${COLORS.empty}"/>`);
    for (let r = 0; r < grid.rows; r++) {
      const y = y0 + r * cellH, h = Math.min(cellH, y0 + mapH - y);
      for (let c = 0; c < grid.cols; ) {
        const v = grid.cells[r * grid.cols + c];
        let e = c + 1;
        while (e < grid.cols && grid.cells[r * grid.cols + e] === v) e++;
        if (v !== CELL_EMPTY) {
          const x = x0 + c * cellW, w = Math.min((e - c) * cellW, x0 + mapW - x);
          parts.push(`<rect x="${x.toFixed(2)}" y="${y.toFixed(2)}" width="${w.toFixed(2)}" height="${h.toFixed(2)}" fill="${CELL_COLORS[v]}"/>`);
        }
        c = e;
      }
    }
    parts.push(`<rect x="${x0}" y="${y0}" width="${mapW.toFixed(2)}" height="${mapH.toFixed(2)}" fill="none" stroke="${COLORS.axis}"/></g>`);
    if (s.tiles) boxAxes(parts, s, s.tiles, x0, y0, mapW, mapH);
    else tokenAxes(parts, s, x0, y0, mapW, mapH, pxPerQ, pxPerK);
    const heads = s.batch > 1 ? `${g.members.length} (batch, head) entries` : `heads ${compactList(Array.from(g.members))}`;
    parts.push(`<text x="${x0}" y="${y0 - 10}" font-size="12">group ${gi}: ${esc(heads)}</text>`);
    // Work bar: listed tiles per query-block row.
    const bx = x0 + mapW + 12;
    for (let r = 0; r < grid.rows; r++) {
      const y = y0 + r * cellH, h = Math.min(cellH, y0 + mapH - y);
      const wf = (barW * grid.rowFull[r]) / grid.rowStep / maxWork, wp = (barW * grid.rowPartial[r]) / grid.rowStep / maxWork;
      if (wf > 0) parts.push(`<rect x="${bx}" y="${y.toFixed(2)}" width="${wf.toFixed(2)}" height="${h.toFixed(2)}" fill="${COLORS.full}"/>`);
      if (wp > 0) parts.push(`<rect x="${(bx + wf).toFixed(2)}" y="${y.toFixed(2)}" width="${wp.toFixed(2)}" height="${h.toFixed(2)}" fill="${COLORS.partial}"/>`);
    }
    parts.push(`<line x1="${bx}" y1="${y0}" x2="${bx}" y2="${y0 + mapH}" stroke="${COLORS.axis}"/>`);
    parts.push(`<text x="${bx}" y="${y0 + mapH + 18}" font-size="11">work / q block</text>`);
    parts.push(`<text x="${bx}" y="${y0 + mapH + 32}" font-size="11">(max ${Math.round(maxWork)} tiles)</text>`);
  });
  // Legend.
  const ly = height - 22;
  const legend: (readonly [string, string])[] = [['full', COLORS.full], ['partial (masked per element)', COLORS.partial], ['empty (skipped)', COLORS.empty]];
  if (s.groups.some((g) => g.selected)) legend.push(['selected: full', COLORS.selectedFull], ['selected: partial', COLORS.selectedPartial]);
  let lx = left;
  for (const [label, color] of legend) {
    parts.push(`<rect x="${lx}" y="${ly - 11}" width="14" height="14" fill="${color}" stroke="${COLORS.grid}"/><text x="${lx + 20}" y="${ly}" font-size="12">${label}</text>`);
    lx += 40 + label.length * 7;
  }
  if (s.groups.length > groups.length) parts.push(`<text x="${lx}" y="${ly}" font-size="12">(${s.groups.length - groups.length} more group${s.groups.length - groups.length === 1 ? '' : 's'} not shown: attnc viz --groups N)</text>`);
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

function compactList(xs: number[]): string {
  const s = ranges(xs).replace(/ /g, ', ');
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

/** Axes in tokens (strip schedules). */
function tokenAxes(parts: string[], s: Schedule, x0: number, y0: number, mapW: number, mapH: number, pxPerQ: number, pxPerK: number): void {
  const kStep = tickStep(s.kvLen, 5), qStep = tickStep(s.qLen, 5);
  for (let t = 0; t <= s.kvLen; t += kStep) {
    const x = x0 + t * pxPerK;
    parts.push(`<line x1="${x.toFixed(2)}" y1="${y0 + mapH}" x2="${x.toFixed(2)}" y2="${y0 + mapH + 5}" stroke="${COLORS.axis}"/><text x="${x.toFixed(2)}" y="${y0 + mapH + 18}" font-size="11" text-anchor="middle">${fmtTok(t)}</text>`);
  }
  for (let t = 0; t <= s.qLen; t += qStep) {
    const y = y0 + t * pxPerQ;
    parts.push(`<line x1="${x0 - 5}" y1="${y.toFixed(2)}" x2="${x0}" y2="${y.toFixed(2)}" stroke="${COLORS.axis}"/><text x="${x0 - 8}" y="${(y + 4).toFixed(2)}" font-size="11" text-anchor="end">${fmtTok(t)}</text>`);
  }
  parts.push(`<text x="${(x0 + mapW / 2).toFixed(2)}" y="${y0 + mapH + 36}" font-size="12" text-anchor="middle">key token k</text>`);
  parts.push(`<text x="${x0 - 48}" y="${(y0 + mapH / 2).toFixed(2)}" font-size="12" text-anchor="middle" transform="rotate(-90 ${x0 - 48} ${(y0 + mapH / 2).toFixed(2)})">query token q</text>`);
}

/** Axes in boxes, each tick labelled with its box's first grid coordinates (box schedules). */
function boxAxes(parts: string[], s: Schedule, t: BoxTiles, x0: number, y0: number, mapW: number, mapH: number): void {
  const at = (side: BoxSide, blk: number) => `(${blockOrigin(side, blk).join(', ')})`;
  const kStep = tickStep(s.numKvBlocks, 5), qStep = tickStep(s.numQBlocks, 5);
  for (let b = 0; b < s.numKvBlocks; b += kStep) {
    const x = x0 + ((b + 0.5) * mapW) / s.numKvBlocks;
    parts.push(`<line x1="${x.toFixed(2)}" y1="${y0 + mapH}" x2="${x.toFixed(2)}" y2="${y0 + mapH + 5}" stroke="${COLORS.axis}"/><text x="${x.toFixed(2)}" y="${y0 + mapH + 18}" font-size="10" text-anchor="middle">${at(t.kv, b)}</text>`);
  }
  for (let b = 0; b < s.numQBlocks; b += qStep) {
    const y = y0 + ((b + 0.5) * mapH) / s.numQBlocks;
    parts.push(`<line x1="${x0 - 5}" y1="${y.toFixed(2)}" x2="${x0}" y2="${y.toFixed(2)}" stroke="${COLORS.axis}"/><text x="${x0 - 8}" y="${(y + 4).toFixed(2)}" font-size="10" text-anchor="end">${at(t.q, b)}</text>`);
  }
  const axes = esc(t.axes.join(', '));
  parts.push(`<text x="${(x0 + mapW / 2).toFixed(2)}" y="${y0 + mapH + 36}" font-size="12" text-anchor="middle">key box ${t.kv.shape.join('x')} at (${axes})</text>`);
  parts.push(`<text x="${x0 - 48}" y="${(y0 + mapH / 2).toFixed(2)}" font-size="12" text-anchor="middle" transform="rotate(-90 ${x0 - 48} ${(y0 + mapH / 2).toFixed(2)})">query box ${t.q.shape.join('x')} at (${axes})</text>`);
}
