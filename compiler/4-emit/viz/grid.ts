/**
 * A schedule's tile map reduced to at most `maxRows x maxCols` cells, for drawing. A cell
 * that covers several tiles shows the most common non-empty class among them (so a thin
 * band stays visible when zoomed out) and is empty only when all its tiles are.
 */
import type { GroupSchedule, Schedule } from '../../../runtime/schedule/types.ts';

export const CELL_EMPTY = 0, CELL_PARTIAL = 1, CELL_FULL = 2;
/**
 * Added to a cell's class when most of its tiles were changed by a call's data-dependent
 * selection (`GroupSchedule.selected`): `CELL_SELECTED + CELL_PARTIAL`, `CELL_SELECTED + CELL_FULL`.
 */
export const CELL_SELECTED = 2;

/** Downsampled tile classes of one group. */
export interface CellGrid {
  readonly rows: number;
  readonly cols: number;
  /** Tiles per cell along q and kv. */
  readonly rowStep: number;
  readonly colStep: number;
  readonly cells: Uint8Array;
  /** Listed (full, partial) tiles per cell row, for the work bar. */
  readonly rowFull: Float64Array;
  readonly rowPartial: Float64Array;
}

/** Reduces group `g` of `s` to a grid. */
export function cellGrid(s: Schedule, g: GroupSchedule, maxRows: number, maxCols: number): CellGrid {
  const rowStep = Math.ceil(s.numQBlocks / maxRows), colStep = Math.ceil(s.numKvBlocks / maxCols);
  const rows = Math.ceil(s.numQBlocks / rowStep), cols = Math.ceil(s.numKvBlocks / colStep);
  const nFull = new Uint32Array(rows * cols), nPart = new Uint32Array(rows * cols), nSel = new Uint32Array(rows * cols);
  const rowFull = new Float64Array(rows), rowPartial = new Float64Array(rows);
  for (let qb = 0; qb < s.numQBlocks; qb++) {
    const r = Math.floor(qb / rowStep);
    for (let i = g.fullKvRowPtr[qb]; i < g.fullKvRowPtr[qb + 1]; i++) nFull[r * cols + Math.floor(g.fullKvIndices[i] / colStep)]++;
    for (let i = g.kvRowPtr[qb]; i < g.kvRowPtr[qb + 1]; i++) nPart[r * cols + Math.floor(g.kvIndices[i] / colStep)]++;
    if (g.selected) for (let kb = 0; kb < s.numKvBlocks; kb++) nSel[r * cols + Math.floor(kb / colStep)] += g.selected[qb * s.numKvBlocks + kb];
    rowFull[r] += g.fullKvRowPtr[qb + 1] - g.fullKvRowPtr[qb];
    rowPartial[r] += g.kvRowPtr[qb + 1] - g.kvRowPtr[qb];
  }
  const cells = new Uint8Array(rows * cols);
  for (let i = 0; i < cells.length; i++) {
    cells[i] = nFull[i] === 0 && nPart[i] === 0 ? CELL_EMPTY : nFull[i] >= nPart[i] ? CELL_FULL : CELL_PARTIAL;
    if (cells[i] !== CELL_EMPTY && 2 * nSel[i] >= nFull[i] + nPart[i]) cells[i] += CELL_SELECTED;
  }
  return { rows, cols, rowStep, colStep, cells, rowFull, rowPartial };
}
