/**
 * How the WebGPU benchmarks time a kernel call (bench/webgpu.ts, bench/webgpu-ort.ts, the Deno runner's repeated runs).
 *
 * [Note: Timing WebGPU under Deno] `queue.onSubmittedWorkDone()` resolves about 12 ms after
 * the work is done under Deno's WebGPU on an H200 (an empty submit and wait takes 11.8 ms,
 * measured 2026-12-03), so `(wait after N calls) / N` adds 12 / N ms to every call, more
 * than a whole sparse kernel at N = 10. Two clocks instead:
 *   - `gpuMs`: the pass's own GPU time, from timestamp queries written at the start and end
 *     of the compute pass (`timestamp-query`), the median over the timed calls, in a stream
 *     after a warm-up ([Note: GPU clock]);
 *   - `callMs`: the wall time per call in a steady stream of calls, by difference:
 *     (T(3N) - T(N)) / 2N, where T(n) is n calls and the wait, so the fixed wait cancels. It
 *     includes the CPU's per-call work (planning lookup, uniforms, bind group, submit): where
 *     that exceeds the GPU time, calls are CPU-bound, and this is what a user sees.
 * [Note: GPU clock] The GPU's clock follows its load: on an H200 the SM clock idles at 345 MHz
 * and climbs to 1980 MHz in steps (600, 870, 1110, 1230 MHz) over about 1.2 s of steady
 * work, and stays up for about 3.5 s once the work stops (nvidia-smi every 50 ms beside
 * bench/webgpu-warmup.ts, 2026-12-04). Calls one at a time, each waiting 12 ms for the one
 * before, keep a kernel of a few ms from ever raising it: chunked (f16, head dim 64, 16k
 * tokens) ran at 5.04 ms per call for 60 calls that way, and at 0.92 ms once the clock had
 * risen, 280 ms into a stream; natten_3d
 * stepped down from 28.4 to 8.6 ms over 40 such calls, and to 5.1 ms in a stream (the "slow
 * first calls" of bench/results/webgpu-h200-warmup-2026-12-03.md: its first call plans the
 * schedule on the CPU, 1.7 s at 16k tokens then (0.65 s since [Note: Pruned tile choice] in
 * runtime/schedule/plan.ts), while the GPU idles and its clock falls). So
 * `gpuMs` makes one call, then warms up with a stream of calls, in batches of at least 100 ms
 * each, for a second at least, and then times a stream: the GPU stays busy from the warm-up to
 * the last timed call, as it does in a model.
 * A call's time in the stream is the smaller of its pass's own span (end - start) and the
 * time from the end of the call before to its own end: queued back to back, a pass's start
 * timestamp can be written while the call before it still runs (measured on an H200: box
 * patterns read up to 20x their steady time from the span alone), and where the CPU falls
 * behind, the gap before a pass is in the second figure but not in the first.
 */
import type { GpuBuffer, GpuDevice } from './gpu.ts';

/** `warmUp` streams calls for this long at least, in batches of this long at least ([Note: GPU clock]). */
const WARMUP_MS = 1000, BATCH_MS = 100;

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
 * One call (its compilation, planning and set-up), then calls in a stream until the GPU has
 * been busy for WARMUP_MS: batches of calls queued back to back, each batch followed by a wait
 * for its completion, the batch doubled until it takes BATCH_MS or more ([Note: GPU clock]).
 */
export async function warmUp(device: GpuDevice, run: () => Promise<unknown>): Promise<void> {
  await run();
  await device.queue.onSubmittedWorkDone();
  const start = performance.now();
  for (let n = 1; performance.now() - start < WARMUP_MS;) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await run();
    await device.queue.onSubmittedWorkDone();
    if (performance.now() - t0 < BATCH_MS && n < 1 << 12) n *= 2;
  }
}

/**
 * The median GPU time of `iters` calls in a stream after `warmUp`, each writing its pass's
 * timestamps where `run` is told to ([Note: GPU clock] says which figure a call gets);
 * undefined where the device has no `timestamp-query`.
 */
export async function gpuMs(device: GpuDevice, run: (ts: TimestampWrites) => Promise<unknown>, iters: number): Promise<number | undefined> {
  if (!device.features.has('timestamp-query')) return undefined;
  const dev = device as TimingDevice;
  const set = dev.createQuerySet({ type: 'timestamp', count: 2 * iters });
  const bytes = 16 * iters;
  const resolved = device.createBuffer({ size: bytes, usage: QUERY_RESOLVE | COPY_SRC });
  const read = device.createBuffer({ size: bytes, usage: MAP_READ | COPY_DST });
  try {
    await warmUp(device, () => run({ querySet: set, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 }));
    for (let i = 0; i < iters; i++) await run({ querySet: set, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 });
    const enc = device.createCommandEncoder() as unknown as TimingEncoder;
    enc.resolveQuerySet(set, 0, 2 * iters, resolved, 0);
    enc.copyBufferToBuffer(resolved, 0, read, 0, bytes);
    device.queue.submit([enc.finish()]);
    await read.mapAsync(MAP_READ);
    const ns = new BigInt64Array(read.getMappedRange().slice(0));
    read.unmap();
    return median(streamTimes(Array.from({ length: iters }, (_, i) => [Number(ns[2 * i]), Number(ns[2 * i + 1])]))) / 1e6;
  } finally {
    set.destroy();
    resolved.destroy();
    read.destroy();
  }
}

/** Per-call times of a stream from its passes' [start, end] timestamps ([Note: GPU clock]). */
export function streamTimes(spans: readonly (readonly [number, number])[]): number[] {
  return spans.map(([start, end], i) => (i === 0 ? end - start : Math.min(end - start, end - spans[i - 1][1])));
}

/** The middle value (the upper one of an even count). */
export const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
