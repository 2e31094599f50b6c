/**
 * The shape of a printed planner module (see `compiler/4-emit/planner/print-planner.ts`)
 * and how to load one from its source text.
 */
import * as ops from './ops.ts';
import type { InputTable } from './ops.ts';

/** Sizes as the planner functions see them. */
export interface PlannerSizes {
  readonly qLen: number;
  readonly kvLen: number;
  readonly heads: number;
}

/** Static facts about a pattern that the planner validates its inputs against. */
export interface PlannerMeta {
  readonly pattern: string;
  readonly dependsOnBatch: boolean;
  readonly runtimeParams: readonly { name: string; type: string; range?: { lo: number; hi?: number }; default?: number | boolean }[];
  /**
   * Input arrays: `length` is the last dimension (`batch` for one int per batch element);
   * `batched` arrays hold one row per batch element (`int[batch, kv_len]`, row-major).
   */
  readonly inputs: readonly { name: string; length?: 'q_len' | 'kv_len' | 'batch'; batched?: boolean; indexedBy: readonly ('q' | 'k' | 'b')[] }[];
}

/** Input array tables: one per axis the array is indexed by. */
export type PlannerInputs = Record<string, { data: ArrayLike<number>; q?: InputTable; k?: InputTable }>;

/** Tile classifier and point mask for one head group. */
export interface BoundPlanner {
  /** 0: no element allowed, 1: some may be, 2: all allowed, over q in [q0,q1], k in [k0,k1]. */
  classify(q0: number, q1: number, k0: number, k1: number): 0 | 1 | 2;
  mask(q: number, k: number): boolean;
  /**
   * With a layout (docs/schedule.md, "Box tiles"): the class of the query box with grid
   * coordinates in `[qa[i], qb[i]]` on each axis against the key box `[ka[i], kb[i]]`
   * (inclusive; every point of each box is a valid coordinate, the flat index may pass the
   * sequence's end). Sound like `classify`.
   */
  classifyBox?(qa: ArrayLike<number>, qb: ArrayLike<number>, ka: ArrayLike<number>, kb: ArrayLike<number>): 0 | 1 | 2;
}

/** A pattern's planner functions. */
export interface PlannerModule {
  readonly meta: PlannerMeta;
  /** With a layout of two or more axes: its axis names and sizes `n_i` for a problem. */
  readonly layout?: { readonly axes: readonly string[]; sizes(sizes: PlannerSizes, params: Record<string, number | boolean>): number[] };
  failedAsserts(sizes: PlannerSizes, params: Record<string, number | boolean>): string[];
  slots(h: number, b: number, sizes: PlannerSizes, params: Record<string, number | boolean>, inputs?: PlannerInputs): (number | boolean)[];
  bind(sizes: PlannerSizes, params: Record<string, number | boolean>, slots: readonly (number | boolean)[], inputs: PlannerInputs): BoundPlanner;
}

/** Instantiates a planner from printed source (the body of `function (rt) { ... }`). */
export function loadPlanner(source: string): PlannerModule {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function('rt', source)(ops) as PlannerModule;
}
