/**
 * WebGPU suite runs of bench/webgpu.ts as the simulator's fit (bench/simulate-wgsl-fit.ts) and
 * its check against measurements (test/simulate/wgsl-measured.test.ts) read them.
 */
import * as fs from 'node:fs';

/** One pattern's row of a suite's JSON. */
export interface SuiteRow {
  pattern: string; S: number; D: number; dtype: string; denseMs: number; ms: number; callMs?: number;
  /** Set on the first run's rows of `SUITE.json+RETIMED.json`: timed with the kernel before dead blocks. */
  beforeDeadBlocks?: true;
}

/** One dtype and head dim at one size: the dense path's time and the patterns' rows. */
export interface SuiteRun { readonly dtype: string; readonly D: number; readonly heads: number; readonly date?: string; readonly denseMs: number; readonly rows: SuiteRow[] }

interface SuiteFile { command?: string; date?: string; heads: number; rows: SuiteRow[] }

/**
 * `SUITE.json`, or `SUITE.json+RETIMED.json`: a suite timed with the kernel before dead blocks
 * ([Note: Dead blocks] in templates/wgsl/attention-tiled.wgsl.hbs) and patterns timed again
 * with them. The second run's rows replace the first's; the first's other rows are marked
 * `beforeDeadBlocks` (the model prices them without dead blocks), except a pattern the second
 * was asked for (`--only` in its command) but did not time, which is dropped.
 */
export function readRun(arg: string): SuiteRun {
  const [first, second] = arg.split('+');
  const a = JSON.parse(fs.readFileSync(first, 'utf8')) as SuiteFile;
  let rows = a.rows;
  if (second) {
    const b = JSON.parse(fs.readFileSync(second, 'utf8')) as SuiteFile;
    const only = /--only\s+(\S+)/.exec(b.command ?? '')?.[1]?.split(',') ?? b.rows.map((r) => r.pattern);
    const again = new Map(b.rows.map((r) => [r.pattern, r]));
    rows = rows.filter((r) => again.has(r.pattern) || !only.includes(r.pattern)).map((r) => again.get(r.pattern) ?? { ...r, beforeDeadBlocks: true as const });
  }
  const r0 = a.rows[0];
  return { dtype: r0.dtype, D: r0.D, heads: a.heads, date: a.date, denseMs: r0.denseMs, rows };
}

/** A row's time: the smaller of its GPU timestamps and its wall clock per call in a stream. */
export const timeOf = (r: SuiteRow): number => (r.callMs !== undefined && r.callMs > 0 ? Math.min(r.ms, r.callMs) : r.ms);

/** Whether a row's two clocks agree within 2x (else neither is trusted). */
export const trusted = (r: SuiteRow): boolean => r.callMs !== undefined && r.callMs > 0 && Math.max(r.ms, r.callMs) < 2 * Math.min(r.ms, r.callMs);
