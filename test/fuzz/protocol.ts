/** Messages between the fuzz driver and its worker process, and the problem sizes it plans. */
import type { FuzzProgram } from './generate.ts';

/**
 * Every clean program is planned at each of these: block multiples and not, q_len = kv_len,
 * shorter and longer queries (an input read at q needs q_len <= kv_len, so the last one is
 * refused for such patterns: a user error, as it should be), batch and several heads.
 */
export const FUZZ_SIZES = [
  { qLen: 100, kvLen: 100, heads: 2, batch: 1, blockQ: 32, blockKv: 64 },
  { qLen: 37, kvLen: 131, heads: 3, batch: 2, blockQ: 16, blockKv: 16 },
  { qLen: 200, kvLen: 45, heads: 1, batch: 1, blockQ: 64, blockKv: 16 },
] as const;

export interface ChildRequest {
  readonly id: number;
  readonly program: FuzzProgram;
  readonly outDir: string;
  readonly oracle: boolean;
}

/** What the worker found for one program. */
export interface ProgramResult {
  id: number;
  /** Checked without errors. */
  clean: boolean;
  /** Diagnostic codes reported (check and bind), and `plan:CODE` for plans refused. */
  codes: string[];
  patterns: number;
  bound: number;
  /** Schedules planned (and verified). */
  plans: number;
  /** Plans refused with a coded error (PlanError). */
  planUserErrors: number;
  /** Patterns emitted for every target. */
  emitted: number;
  files: { pattern: string; target: string; name: string }[];
  /** Schedule tiles that disagree with the dense oracle (when asked to compare). */
  oracle: string[];
  /**
   * What a multi-file program did other than it must: an expected code missing, imports
   * that do not load, or a result that differs from the same program in one file.
   */
  expect: string[];
  internal?: { phase: string; message: string; stack?: string };
  ms?: number;
  rssMb?: number;
}
