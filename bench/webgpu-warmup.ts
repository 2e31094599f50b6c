/**
 * Warm-up and clocks of one pattern (Deno): per-call GPU timestamps of N calls one at a time
 * (each started when the one before has finished, as `gpuMs` in runtime/webgpu/timing.ts
 * times them) and of N calls in a stream, and whether the stream wrote the same output.
 * Written to see why natten_3d's two clocks disagreed (bench/results/webgpu-h200-warmup-2026-12-03.md).
 *
 *   bash .gpu-kit/run.sh deno run -A bench/webgpu-warmup.ts [dtype f16|f32] [head dim] [tokens] [heads] [pattern] [calls]
 *
 * Defaults: f16, 128, 16384, 16, natten_3d (a module in generated/ without runtime parameters or inputs), 12 calls.
 * Each phase prints its wall-clock start (ms since the epoch), to line up with a clock log (`nvidia-smi -lms`).
 * Last, the wall time per call of a stream of 10 N calls and one wait: the throughput, with no timestamps.
 */
import { createAttention } from '../runtime/webgpu/attention.ts';
import { BufferUsage } from '../runtime/webgpu/gpu.ts';
import type { Dtype } from '../runtime/webgpu/tiles.ts';
import { benchDevice, kernelOf, randomBuffer, readBuffer, type Generated } from './webgpu-common.ts';

declare const Deno: { args: string[] };
const mod = (await import(`../generated/${Deno.args[4] ?? 'natten_3d'}.ts`)) as Generated;
const { device } = await benchDevice();
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const dev = device as any;
const dtype = (Deno.args[0] ?? 'f16') as Dtype, D = Number(Deno.args[1] ?? 128);
const S = Number(Deno.args[2] ?? 16384), heads = Number(Deno.args[3] ?? 16), es = dtype === 'f16' ? 2 : 4;
const q = randomBuffer(device, heads * S * D, dtype), k = randomBuffer(device, heads * S * D, dtype), v = randomBuffer(device, heads * S * D, dtype);
const bytes = heads * S * D * es;
const out = device.createBuffer({ size: bytes, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST });
const lse = device.createBuffer({ size: heads * S * 4, usage: BufferUsage.STORAGE });
const att = createAttention(device, kernelOf(mod), { headDim: D, dtype });
const shape = { batch: 1, heads, qLen: S, out, lse };
const N = Number(Deno.args[5] ?? 12);
const set = dev.createQuerySet({ type: 'timestamp', count: 2 * N });
const res = device.createBuffer({ size: 16 * N, usage: 0x0200 | 0x0004 });
const rd = device.createBuffer({ size: 16 * N, usage: 0x0001 | 0x0008 });
const readTs = async () => {
  const enc = dev.createCommandEncoder(); enc.resolveQuerySet(set, 0, 2 * N, res, 0); enc.copyBufferToBuffer(res, 0, rd, 0, 16 * N); dev.queue.submit([enc.finish()]);
  await rd.mapAsync(1); const ns = new BigInt64Array(rd.getMappedRange().slice(0)); rd.unmap();
  return Array.from({ length: N }, (_, i) => ({ start: Number(ns[2 * i] - ns[0]) / 1e6, ms: Number(ns[2 * i + 1] - ns[2 * i]) / 1e6 }));
};
const readOut = async () => new Uint8Array(await readBuffer(device, out, bytes));
const clear = async () => { const enc = dev.createCommandEncoder(); enc.clearBuffer(out); dev.queue.submit([enc.finish()]); await dev.queue.onSubmittedWorkDone(); };
console.log(`${mod.spec.pattern} ${dtype} d${D} S ${S} heads ${heads}, tiles: ${JSON.stringify(att.tiles)}`);
await att.run(q, k, v, shape); await dev.queue.onSubmittedWorkDone();
// One at a time.
console.log('one at a time from', Date.now());
for (let i = 0; i < N; i++) { await dev.queue.onSubmittedWorkDone(); await att.run(q, k, v, { ...shape, timestampWrites: { querySet: set, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } }); }
await dev.queue.onSubmittedWorkDone();
console.log('one at a time', (await readTs()).map((x) => x.ms.toFixed(2)).join(' '));
const A = await readOut();
await clear();
// A stream.
console.log('stream from', Date.now());
const t0 = performance.now();
for (let i = 0; i < N; i++) await att.run(q, k, v, { ...shape, timestampWrites: { querySet: set, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } });
await dev.queue.onSubmittedWorkDone();
const wall = performance.now() - t0;
const st = await readTs();
console.log('stream wall', wall.toFixed(1), 'ms for', N, '; per call', st.map((x) => `${x.start.toFixed(1)}+${x.ms.toFixed(2)}`).join(' '));
const B = await readOut();
let diff = 0, zero = 0; for (let i = 0; i < A.length; i++) { if (A[i] !== B[i]) diff++; if (B[i] === 0) zero++; }
console.log('stream output bytes differing from one-at-a-time', diff, 'of', A.length, '; zero bytes', zero);
// Throughput: a long stream, wall time only (one 12 ms completion wait over 10 N calls).
{
  const t1 = performance.now();
  for (let i = 0; i < 10 * N; i++) await att.run(q, k, v, shape);
  await dev.queue.onSubmittedWorkDone();
  console.log('long stream: wall per call', ((performance.now() - t1) / (10 * N)).toFixed(3), 'ms over', 10 * N, 'calls');
}
