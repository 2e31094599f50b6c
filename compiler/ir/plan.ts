/**
 * The planner IR: what lowering hands to code generation. It describes, for one bound
 * pattern, how to build the block-sparse schedule for any problem size — it is data that
 * printers turn into TypeScript (and later CUDA/WGSL host code), not a closure.
 *
 * Vocabulary (the same in every backend): a query block `qBlock` covers tokens
 * `[qBlock * blockQ, (qBlock + 1) * blockQ)`; a key block `kvBlock` likewise with `blockKv`.
 * A tile (qBlock, kvBlock) is FULL when every element in bounds is allowed (the kernel skips
 * the mask), PARTIAL when some are (the kernel evaluates `mask`), EMPTY otherwise.
 */
import type { MExpr } from './mask.ts';
import type { CheckedAssert, ParamInfo } from './program.ts';

/**
 * A head-group slot: a sub-expression that depends on `h` or `b` (and sizes, runtime
 * scalars, per-batch values such as `prefix[b]`) but never on `q`, `k` or per-token inputs. The planner evaluates the slots for every
 * (b, h); heads whose slot values agree have the same mask and share one schedule.
 */
export interface HeadSlot {
  /** Name used in `PlanIR.mask` (a runtime-mode `param` node). */
  readonly name: string;
  readonly expr: MExpr;
}

/**
 * The grid of a pattern with a `layout` of two or more axes, for box tiles
 * (docs/schedule.md, "Box tiles"): the axis names and sizes in layout order, and each axis's
 * coordinate of `q` and of `k` as the mask spells it (`q % width`, `q / width % height`, ...),
 * which the box classifier bounds by the box's interval on that axis.
 */
export interface PlanLayout {
  readonly axes: readonly string[];
  readonly sizes: readonly MExpr[];
  readonly q: readonly MExpr[];
  readonly k: readonly MExpr[];
}

/** Everything needed to plan schedules for one bound pattern. */
export interface PlanIR {
  readonly patternName: string;
  /** Compile-time parameter values this plan was lowered with. */
  readonly constValues: Readonly<Record<string, number | boolean>>;
  /** The mask over q, k, sizes, runtime scalars, inputs and head slots (no `h`/`b`). */
  readonly mask: MExpr;
  readonly headSlots: readonly HeadSlot[];
  /** True when some slot depends on `b` (schedules then differ per batch element). */
  readonly dependsOnBatch: boolean;
  readonly runtimeParams: readonly ParamInfo[];
  readonly inputs: readonly ParamInfo[];
  /** Asserts over sizes and runtime scalars, checked before planning. */
  readonly asserts: readonly CheckedAssert[];
  /** The grid, when the pattern has a layout of two or more axes (box tiles are possible). */
  readonly layout?: PlanLayout;
}

/**
 * A pattern with a `select` clause, lowered: three static masks whose schedules a call merges
 * with the blocks it selects (`runtime/schedule/select.ts`). `static` is S = A && R (the
 * pattern's mask with nothing selected), `restriction` is R (the mask where a block is
 * selected), `candidates` is C = R && !A (the points a selected block would add: a selection
 * block is a candidate when its tile of C is not EMPTY).
 */
export interface DynamicPlanIR {
  readonly static: PlanIR;
  readonly restriction: PlanIR;
  readonly candidates: PlanIR;
}
