/**
 * One entry point for the simulator's passes: the forward (simulate.ts), the backward
 * (backward.ts), or a training step's attention, both added together.
 */
import type { BoundPattern } from '../2-check/bind.ts';
import type { PlannerModule } from '../../runtime/schedule/planner.ts';
import { simulateBackward } from './backward.ts';
import type { GpuProfile } from './profile.ts';
import { simulate, type SimPass, type SimResult, type SimShape } from './simulate.ts';

/** The passes, in the order the CLI lists them. */
export const SIM_PASSES: readonly SimPass[] = ['forward', 'backward', 'both'];

/** Whether `gpu` models `kernel` for `pass`. */
export function hasPass(gpu: GpuProfile, kernel: string, pass: SimPass): boolean {
  const km = Object.hasOwn(gpu.kernels, kernel) ? gpu.kernels[kernel] : undefined;
  return !!km && (pass === 'forward' || !!km.backward);
}

/** Simulates `pass` of `kernel` on `gpu` for one problem. */
export function simulatePass(bp: BoundPattern, planner: PlannerModule, gpu: GpuProfile, kernel: string, shape: SimShape, pass: SimPass): SimResult {
  if (pass === 'forward') return simulate(bp, planner, gpu, kernel, shape);
  if (pass === 'backward') return simulateBackward(bp, planner, gpu, kernel, shape);
  const f = simulate(bp, planner, gpu, kernel, shape);
  const b = simulateBackward(bp, planner, gpu, kernel, shape);
  const denseMs = f.denseMs + b.denseMs, sparseMs = f.sparseMs + b.sparseMs, baselineMs = f.baselineMs + b.baselineMs;
  const sum = (k: keyof SimResult['gap']) => f.gap[k] + b.gap[k];
  return {
    ...f,
    pass: 'both',
    denseMs,
    baselineMs,
    sparseMs,
    speedup: denseMs / sparseMs,
    speedupVsBaseline: baselineMs / sparseMs,
    // Each pass's ideal time is its dense time over its ideal speedup (their tiles differ in size).
    idealSpeedup: denseMs / (f.denseMs / f.idealSpeedup + b.denseMs / b.idealSpeedup),
    fullTiles: f.fullTiles + b.fullTiles,
    partialTiles: f.partialTiles + b.partialTiles,
    workItems: f.workItems + b.workItems,
    gap: { tileRateMs: sum('tileRateMs'), maskingMs: sum('maskingMs'), tailMs: sum('tailMs'), overheadMs: sum('overheadMs'), memoryMs: sum('memoryMs') },
  };
}
