/**
 * How the WebGPU benchmarks time a kernel call (bench/webgpu.ts, bench/webgpu-ort.ts, the Deno runner's repeated runs).
 *
 * [Note: Timing WebGPU under Deno] `queue.onSubmittedWorkDone()` resolves about 12 ms after
 * the work is done under Deno's WebGPU on an H200 (an empty submit and wait takes 11.8 ms,
 * measured 2026-12-03), so `(wait after N calls) / N` adds 12 / N ms to every call, more
 * than a whole sparse kernel at N = 10. Two clocks instead:
 *   - `gpuMs`: the pass's own GPU time, from timestamp queries written at the start and end
 *     of the compute pass (`timestamp-query`), the median over the timed calls, each started
 *     when the one before has finished;
 *   - `callMs`: the wall time per call in a steady stream of calls, by difference:
 *     (T(3N) - T(N)) / 2N, where T(n) is n calls and the wait, so the fixed wait cancels. It
 *     includes the CPU's per-call work (planning lookup, uniforms, bind group, submit): where
 *     that exceeds the GPU time, calls are CPU-bound, and this is what a user sees.
 * `gpuMs` first runs calls for half a second: on an H200 natten_3d's first calls took 5.5x as
 * long as later ones (f16, head dim 128, 16k tokens: 40.8 ms for four calls one at a time, then
 * 7.36 ms from the sixth on, as in a stream; measured 2026-12-03 with bench/results/
 * webgpu-h200-warmup-2026-12-03.md), where one warm-up call read the slow calls.
 */
import type { GpuBuffer, GpuDevice } from './gpu.ts';

/** `gpuMs` warms up with this many calls, and calls for this long, at least. */
const WARMUP_CALLS = 2, WARMUP_MS = 500;

/** Slots of a timestamp query set for one call. */
export interface TimestampWrites {
  readonly querySet: object;
  readonly beginningOfPassWriteIndex: number;
  readonly endOfPassWriteIndex: number;
}

/** The WebGPU calls beyond `GpuDevice` that timestamp queries need. */
interface TimingDevice extends GpuDevice {
  createQuerySet(desc: { type: 'timestamp'; count: number }): { destroy(): void };
}
interface TimingEncoder {
  resolveQuerySet(set: object, first: number, count: number, dst: GpuBuffer, offset: number): void;
  copyBufferToBuffer(src: GpuBuffer, srcOffset: number, dst: GpuBuffer, dstOffset: number, size: number): void;
  finish(): object;
}
const QUERY_RESOLVE = 0x0200, COPY_SRC = 0x0004, COPY_DST = 0x0008, MAP_READ = 0x0001;

/** Wall time per call of `run` in a steady stream, the fixed completion wait cancelled. */
export async function callMs(device: GpuDevice, run: () => Promise<unknown>, iters: number): Promise<number> {
  const stream = async (n: number) => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await run();
    await device.queue.onSubmittedWorkDone();
    return performance.now() - t0;
  };
  await stream(1);
  const short = await stream(iters);
  const long = await stream(3 * iters);
  return Math.max(0, (long - short) / (2 * iters));
}

/**
 * The median GPU time of `iters` calls, each writing its pass's timestamps where `run` is
 * told to; undefined where the device has no `timestamp-query`.
 */
export async function gpuMs(device: GpuDevice, run: (ts: TimestampWrites) => Promise<unknown>, iters: number): Promise<number | undefined> {
  if (!device.features.has('timestamp-query')) return undefined;
  const dev = device as TimingDevice;
  const set = dev.createQuerySet({ type: 'timestamp', count: 2 * iters });
  const bytes = 16 * iters;
  const resolved = device.createBuffer({ size: bytes, usage: QUERY_RESOLVE | COPY_SRC });
  const read = device.createBuffer({ size: bytes, usage: MAP_READ | COPY_DST });
  try {
    // Warm-up: WARMUP_CALLS calls and WARMUP_MS of them at least ([Note: Timing WebGPU under Deno]).
    const warmStart = performance.now();
    for (let n = 0; n < WARMUP_CALLS || (performance.now() - warmStart < WARMUP_MS && n < 100); n++) {
      await run({ querySet: set, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 });
      await device.queue.onSubmittedWorkDone();
    }
    // One call at a time: queued back to back, a pass's start timestamp can be written while
    // the call before it still runs, which counts part of that call (measured on an H200: box
    // patterns read up to 20x their steady-stream time).
    for (let i = 0; i < iters; i++) {
      await device.queue.onSubmittedWorkDone();
      await run({ querySet: set, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 });
    }
    const enc = device.createCommandEncoder() as unknown as TimingEncoder;
    enc.resolveQuerySet(set, 0, 2 * iters, resolved, 0);
    enc.copyBufferToBuffer(resolved, 0, read, 0, bytes);
    device.queue.submit([enc.finish()]);
    await read.mapAsync(MAP_READ);
    const ns = new BigInt64Array(read.getMappedRange().slice(0));
    read.unmap();
    const times = Array.from({ length: iters }, (_, i) => Number(ns[2 * i + 1] - ns[2 * i]) / 1e6).sort((a, b) => a - b);
    return times[Math.floor(iters / 2)];
  } finally {
    set.destroy();
    resolved.destroy();
    read.destroy();
  }
}
