/**
 * The type a printed planner (compiler/4-emit/planner/print-planner.ts) is checked against
 * when generated TypeScript embeds it as code. The printer emits plain JavaScript, where
 * runtime values, slots and input tables are untyped, so those parameters are `any` here;
 * `meta` and the sizes keep their types. Any value of this type is a `PlannerModule`.
 */
import type { PlannerMeta, PlannerModule, PlannerSizes } from '../schedule/planner.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */
/** A printed planner, as the type checker sees its untyped JavaScript. */
export interface EmbeddedPlanner {
  readonly meta: PlannerMeta;
  readonly layout?: { readonly axes: readonly string[]; sizes(sizes: PlannerSizes, params: any): number[] };
  failedAsserts(sizes: PlannerSizes, params: any): string[];
  slots(h: number, b: number, sizes: PlannerSizes, params: any, inputs?: any): any[];
  bind(sizes: PlannerSizes, params: any, slots: any, inputs: any): {
    classify(q0: number, q1: number, k0: number, k1: number): any;
    mask(q: number, k: number): any;
    classifyBox?(qa: any, qb: any, ka: any, kb: any): any;
  };
}

/** Accepts an embedded planner as the `PlannerModule` the schedule code takes. */
export const asPlannerModule = (p: EmbeddedPlanner): PlannerModule => p;
