/**
 * The block-sparse schedule: FlexAttention's BlockMask vocabulary, per head group, stored
 * as compressed rows (memory proportional to the listed tiles).
 *
 * For head group `g` and query block `qBlock`, the kernel visits key blocks
 *   fullKvIndices[fullKvRowPtr[qBlock] .. fullKvRowPtr[qBlock + 1])   without masking, and
 *   kvIndices[kvRowPtr[qBlock] .. kvRowPtr[qBlock + 1])               evaluating the mask;
 * every other key block is EMPTY and never touched. `kvNumBlocks[qBlock]` is the length of
 * the partial list (FlexAttention's `kv_num_blocks`), `fullKvNumBlocks[qBlock]` of the full
 * one. Each list is ascending; the two are disjoint; a FULL tile never overhangs the end
 * of either sequence. The dense mask is rebuilt exactly by:
 *
 *   for qBlock, for kvBlock in fullKv(qBlock):  dense[q][k] = true            (q, k in the tile)
 *   for qBlock, for kvBlock in kv(qBlock):      dense[q][k] = mask(b, h, q, k) (q, k in the tile)
 *   everything else false; q < qLen, k < kvLen.
 *
 * The q-major lists (`qIndices`, `fullQIndices`, indexed by key block) are the transpose,
 * as a backward pass needs them.
 */

/** Schedule of one head group. */
export interface GroupSchedule {
  /** (b * heads + h) entries in this group, ascending. */
  readonly members: Int32Array;
  readonly kvNumBlocks: Int32Array;
  readonly kvRowPtr: Int32Array;
  readonly kvIndices: Int32Array;
  readonly fullKvNumBlocks: Int32Array;
  readonly fullKvRowPtr: Int32Array;
  readonly fullKvIndices: Int32Array;
  readonly qNumBlocks: Int32Array;
  readonly qColPtr: Int32Array;
  readonly qIndices: Int32Array;
  readonly fullQNumBlocks: Int32Array;
  readonly fullQColPtr: Int32Array;
  readonly fullQIndices: Int32Array;
  /** Query-token ranges `[start, end)` that attend to no key (output 0 there). */
  readonly fullyMaskedRows: readonly (readonly [number, number])[];
  /**
   * Only in a schedule merged with a call's data-dependent selection (`select.ts`): one byte
   * per tile, `qBlock * numKvBlocks + kvBlock`, 1 where the selection changed the tile from
   * the pattern's static part (a tile added, or made FULL).
   */
  readonly selected?: Uint8Array;
}

/** Counts that explain a schedule. */
export interface ScheduleStats {
  readonly fullTiles: number;
  readonly partialTiles: number;
  /** PARTIAL tiles whose mixedness was not proven (refinement budget ran out). */
  readonly unprovenPartialTiles: number;
  /** Tiles that interval reasoning left undecided and exact refinement settled. */
  readonly refinedTiles: number;
  /** Calls of the tile classifier (interval evaluations), a cost measure. */
  readonly classifierCalls: number;
  /** Point evaluations spent in refinement and in fully-masked-row detection. */
  readonly pointEvaluations: number;
}

/**
 * One side (queries or keys) of a box schedule (docs/schedule.md, "Box tiles"): block `blk`
 * is the box with box coordinates `g` = `blk` unravelled row-major over `grid`; its row `r`
 * is offsets `o` = `r` unravelled over `shape`, the token with coordinates
 * `c_i = g_i * shape_i + o_i`, which is padding when `c_i >= extent_i` for some `i >= 1` or
 * when its index `sum_i c_i * strides_i` is past the sequence.
 */
export interface BoxSide {
  readonly shape: readonly number[];
  readonly extent: readonly number[];
  readonly grid: readonly number[];
}

/** The tile shape of a box schedule; strip schedules have none. */
export interface BoxTiles {
  readonly kind: 'box';
  /** The layout's axis names, in order. */
  readonly axes: readonly string[];
  /** Token stride of each axis. */
  readonly strides: readonly number[];
  readonly q: BoxSide;
  readonly kv: BoxSide;
}

/**
 * The tiles to plan with: strips of the flat index (the default), the cheapest of the strip
 * and every box shape (`auto`), or forced box shapes (axes in layout order; `q` multiplies to
 * `blockQ`, `kv` to `blockKv`).
 */
export type TileRequest = 'strip' | 'auto' | { readonly q: readonly number[]; readonly kv: readonly number[] };

/** A complete schedule for one problem size. */
export interface Schedule {
  readonly pattern: string;
  readonly qLen: number;
  readonly kvLen: number;
  readonly heads: number;
  /** Batch entries the schedule distinguishes: 1 unless the mask depends on `b`. */
  readonly batch: number;
  readonly blockQ: number;
  readonly blockKv: number;
  readonly numQBlocks: number;
  readonly numKvBlocks: number;
  /** `groupOf[b * heads + h]`: the group index of batch entry b, head h. */
  readonly groupOf: Int32Array;
  readonly groups: readonly GroupSchedule[];
  readonly stats: ScheduleStats;
  /**
   * Box tiles, when the schedule is cut from a layout's grid: then `numQBlocks` and
   * `numKvBlocks` count boxes, and a block's tokens are the box's (see `BoxSide`).
   */
  readonly tiles?: BoxTiles;
}

/** Problem description for planning. */
export interface PlanConfig {
  readonly qLen: number;
  readonly kvLen: number;
  readonly heads: number;
  readonly batch?: number;
  readonly blockQ: number;
  readonly blockKv: number;
  /** Runtime scalar values. */
  readonly params?: Readonly<Record<string, number | boolean>>;
  /** Input arrays (one int per token). */
  readonly inputs?: Readonly<Record<string, ArrayLike<number>>>;
  /**
   * Point/interval evaluations allowed per undecided tile when refining exactly. The
   * default (twice the tile area) always reaches an exact answer; smaller values bound
   * planning cost and may leave tiles PARTIAL without proof (counted in the stats).
   */
  readonly refineBudget?: number;
  /** Strips (default), box tiles for a pattern with a layout, or the cheaper (docs/schedule.md). */
  readonly tiles?: TileRequest;
}

/** A problem the planner's caller must fix (bad sizes, missing runtime values, ...). */
export class PlanError extends Error {
  constructor(readonly code: 'bad_size' | 'missing_param' | 'bad_param_value' | 'param_out_of_range' | 'bad_input' | 'assertion_failed' | 'bad_select' | 'bad_tile_shape', message: string) {
    super(message);
    this.name = 'PlanError';
  }
}
