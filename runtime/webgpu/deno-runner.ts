/**
 * Deno entry point that runs attention jobs on Deno's built-in WebGPU: `attnc run` and the
 * WGSL tests use it on machines where Node has no WebGPU (this one and CI run it on Mesa's
 * lavapipe, on the CPU). Usage: `deno run -A deno-runner.ts job.json result.json`.
 *
 * The job names raw little-endian tensor files; each run uploads q, k, v to GPU buffers,
 * fills o and lse with NaN (poison: a row the kernel forgets to write stays NaN), runs
 * through `attention.ts` in GPU-buffer mode and writes o and lse back to files. Exit status:
 * 0 (results written; a run may still report an error), 3 no WebGPU adapter, 1 bad job.
 */
import { loadPlanner } from '../schedule/planner.ts';
import { PlanError } from '../schedule/types.ts';
import { createAttention, type RunOptions } from './attention.ts';
import { BufferUsage, MAP_MODE_READ, type GpuBuffer, type GpuDevice } from './gpu.ts';
import { AttentionError } from './pipeline.ts';
import { callMs, gpuMs } from './timing.ts';
import type { RunnerJob, RunnerResult } from './runner-protocol.ts';
import { loadSelection } from './select.ts';

declare const Deno: {
  readonly args: string[];
  readFileSync(path: string): Uint8Array;
  writeFileSync(path: string, data: Uint8Array): void;
  exit(code: number): never;
};
declare const navigator: { gpu?: { requestAdapter(opts?: object): Promise<GpuAdapter | null> } };
interface GpuAdapter {
  readonly features: { has(name: string): boolean };
  readonly limits: Record<string, number>;
  readonly info?: { readonly description?: string };
  requestDevice(desc: { requiredFeatures: string[]; requiredLimits: Record<string, number> }): Promise<GpuDevice>;
}

const text = new TextDecoder();
const job = JSON.parse(text.decode(Deno.readFileSync(Deno.args[0]))) as RunnerJob;
const adapter = navigator.gpu ? await navigator.gpu.requestAdapter() : null;
if (!adapter) {
  console.error('no WebGPU adapter (is a Vulkan driver such as Mesa lavapipe installed?)');
  Deno.exit(3);
}
const hasF16 = adapter.features.has('shader-f16');
// Ask for the adapter's workgroup limits (tiles grow with them) unless the job pins defaults.
const requiredLimits: Record<string, number> = job.defaultLimits ? {} : {
  maxComputeWorkgroupStorageSize: adapter.limits.maxComputeWorkgroupStorageSize,
  maxComputeInvocationsPerWorkgroup: adapter.limits.maxComputeInvocationsPerWorkgroup,
  maxComputeWorkgroupSizeX: adapter.limits.maxComputeWorkgroupSizeX,
  maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
  maxBufferSize: adapter.limits.maxBufferSize,
};
const device = await adapter.requestDevice({ requiredFeatures: ['shader-f16', 'timestamp-query', 'subgroups'].filter((f) => adapter.features.has(f)), requiredLimits });
const results: RunnerResult[] = [];

const bytesOf = (path: string) => Deno.readFileSync(path);
function gpuBuffer(data: Uint8Array): GpuBuffer {
  const b = device.createBuffer({ size: Math.max(16, Math.ceil(data.byteLength / 16) * 16), usage: BufferUsage.STORAGE | BufferUsage.COPY_DST | BufferUsage.COPY_SRC });
  device.queue.writeBuffer(b, 0, data);
  return b;
}
function poisoned(bytes: number, dtype: 'f32' | 'f16'): GpuBuffer {
  const size = Math.max(16, Math.ceil(bytes / 16) * 16);
  const fill = dtype === 'f32' ? new Uint32Array(size / 4).fill(0x7fc00000) : new Uint16Array(size / 2).fill(0x7e00);
  return gpuBuffer(new Uint8Array(fill.buffer));
}
async function download(src: GpuBuffer, bytes: number): Promise<Uint8Array> {
  const size = Math.ceil(bytes / 4) * 4;
  const dst = device.createBuffer({ size, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(src, 0, dst, 0, size);
  device.queue.submit([enc.finish()]);
  await dst.mapAsync(MAP_MODE_READ);
  const out = new Uint8Array(dst.getMappedRange().slice(0, bytes));
  dst.unmap();
  dst.destroy();
  return out;
}

for (const kj of job.kernels) {
  const planner = loadPlanner(kj.plannerSource);
  const select = kj.selectSource === undefined ? undefined : loadSelection(kj.selectSource);
  for (const r of kj.runs) {
    const base = { id: r.id, adapter: adapter.info?.description ?? 'unknown', ...((adapter.info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter ? { fallback: true } : {}), f16: hasF16 };
    if (r.config.dtype === 'f16' && !hasF16) { results.push({ ...base, ok: false, code: 'no_f16', message: 'the adapter has no shader-f16' }); continue; }
    try {
      const att = createAttention(device, { spec: kj.spec, body: kj.body, ...(kj.tiledBody !== undefined ? { tiledBody: kj.tiledBody } : {}), planner, ...(select ? { select } : {}) }, r.config);
      const o = r.options;
      const es = r.config.dtype === 'f16' ? 2 : 4;
      const outBytes = o.batch * o.heads * o.qLen * r.config.headDim * es, lseBytes = o.batch * o.heads * o.qLen * 4;
      const inputs = Object.fromEntries(Object.entries(r.inputs ?? {}).map(([n, a]) => [n, Int32Array.from(a)]));
      const out = poisoned(outBytes, r.config.dtype ?? 'f32'), lse = poisoned(lseBytes, 'f32');
      const [q, k, v] = [r.q, r.k, r.v].map((p) => gpuBuffer(bytesOf(p)));
      const scores = r.scores === undefined ? undefined : gpuBuffer(bytesOf(r.scores));
      const opts: RunOptions = { ...o, inputs, out, lse, ...(scores ? { scores } : {}) };
      const t0 = performance.now();
      const res = await att.run(q, k, v, opts);
      await device.queue.onSubmittedWorkDone();
      const firstMs = performance.now() - t0;
      // With `repeat`: the attention pass's median GPU time over `repeat` calls (timestamps),
      // and the wall time per call in a steady stream (runtime/webgpu/timing.ts says why not
      // the wait after N calls); the first call (pipelines, planning) is not timed.
      let ms = firstMs, callTime: number | undefined;
      if (r.repeat !== undefined) {
        callTime = await callMs(device, () => att.run(q, k, v, opts), r.repeat);
        ms = (await gpuMs(device, (ts) => att.run(q, k, v, { ...opts, timestampWrites: ts }), r.repeat)) ?? callTime;
      }
      Deno.writeFileSync(r.out, await download(out, outBytes));
      Deno.writeFileSync(r.lseOut, await download(lse, lseBytes));
      let blocks = {};
      if (r.cellsOut !== undefined || r.tilesOut !== undefined) {
        const s = await att.selection(q, k, opts);
        if (r.cellsOut !== undefined) Deno.writeFileSync(r.cellsOut, s.cells);
        if (r.tilesOut !== undefined) Deno.writeFileSync(r.tilesOut, s.tiles);
        blocks = { nQ: s.nQ, nK: s.nK };
      }
      results.push({ ...base, ok: true, tiles: res.tiles, ms, ...(callTime !== undefined ? { callMs: callTime } : {}), fullTiles: res.schedule.stats.fullTiles, partialTiles: res.schedule.stats.partialTiles, ...(res.splitRows ? { splitRows: res.splitRows } : {}), ...blocks, ...(res.schedule.tiles ? { boxes: `${res.schedule.tiles.q.shape.join('x')},${res.schedule.tiles.kv.shape.join('x')}` } : {}) });
      for (const b of [q, k, v, out, lse, scores]) b?.destroy();
      att.destroy();
    } catch (e) {
      const code = e instanceof AttentionError || e instanceof PlanError ? e.code : 'internal';
      results.push({ ...base, ok: false, code, message: (e as Error).message ?? String(e) });
    }
  }
}
Deno.writeFileSync(Deno.args[1], new TextEncoder().encode(JSON.stringify(results)));
