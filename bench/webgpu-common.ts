/**
 * What the WebGPU benchmarks under Deno share (bench/webgpu.ts, bench/webgpu-check.ts,
 * bench/webgpu-warmup.ts, bench/webgpu-select-tiles.ts): the adapter and device they request,
 * the generated pattern modules they load and the kernel each makes, their random inputs, how
 * they read a buffer back and count a selection's tiles.
 */
import type { Attention, AttentionConfig, AttentionKernel, SelectionResult } from '../runtime/webgpu/attention.ts';
import { BufferUsage, type GpuBuffer, type GpuDevice } from '../runtime/webgpu/gpu.ts';
import type { KernelSpec } from '../runtime/webgpu/interface.ts';
import type { PlannerModule } from '../runtime/schedule/planner.ts';
import type { SelectionModule } from '../runtime/webgpu/select.ts';
import type { Dtype } from '../runtime/webgpu/tiles.ts';

declare const navigator: { gpu?: { requestAdapter(opts?: object): Promise<Adapter | null> } };
declare const Deno: { readDirSync(path: string): Iterable<{ name: string; isFile: boolean }> };

/** The adapter fields the benchmarks read. */
export interface Adapter {
  readonly features: { has(name: string): boolean };
  readonly limits: Record<string, number>;
  readonly info?: { readonly description?: string; readonly device?: string };
  requestDevice(desc: { requiredFeatures: string[]; requiredLimits: Record<string, number> }): Promise<GpuDevice>;
}

/** What a generated pattern module (generated/<pattern>.ts) exports. */
export interface Generated {
  create(device: GpuDevice, config: AttentionConfig): Attention;
  readonly spec: KernelSpec;
  readonly wgslBody: string;
  readonly wgslTiledBody: string;
  readonly planner: PlannerModule;
  readonly selection?: SelectionModule;
}

/** The kernel of a generated module, as `createAttention` takes it. */
export function kernelOf(mod: Generated): AttentionKernel {
  return { spec: mod.spec, body: mod.wgslBody, tiledBody: mod.wgslTiledBody, planner: mod.planner, select: mod.selection };
}

/** Tiles of a call's merged schedule (`Attention.selection`): listed (not EMPTY) and FULL. */
export function selectionTiles(sel: SelectionResult): { listed: number; full: number } {
  let listed = 0, full = 0;
  for (const st of sel.tiles) { if (st !== 0) listed++; if (st === 2) full++; }
  return { listed, full };
}

/** The high-performance adapter and a device with its f16 and timestamp features and its workgroup and buffer limits. */
export async function benchDevice(): Promise<{ adapter: Adapter; device: GpuDevice }> {
  const adapter = navigator.gpu ? await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' }) : null;
  if (!adapter) throw new Error('no WebGPU adapter');
  const device = await adapter.requestDevice({
    requiredFeatures: ['shader-f16', 'timestamp-query'].filter((f) => adapter.features.has(f)),
    requiredLimits: Object.fromEntries(['maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxStorageBufferBindingSize', 'maxBufferSize'].map((k) => [k, adapter.limits[k]])),
  });
  return { adapter, device };
}

/** A storage buffer of `elems` random values in [-1, 1) (small values keep exp() in range; f16 as the bits of such values). */
export function randomBuffer(device: GpuDevice, elems: number, dtype: Dtype): GpuBuffer {
  const bytes = dtype === 'f16' ? 2 : 4;
  const buf = device.createBuffer({ size: elems * bytes, usage: BufferUsage.STORAGE | BufferUsage.COPY_DST });
  const chunk = 1 << 20;
  for (let at = 0; at < elems; at += chunk) {
    const n = Math.min(chunk, elems - at);
    const data = dtype === 'f16' ? Uint16Array.from({ length: n }, () => 0x3000 + Math.floor(Math.random() * 0x800) + (Math.random() < 0.5 ? 0x8000 : 0)) : Float32Array.from({ length: n }, () => Math.random() * 2 - 1);
    device.queue.writeBuffer(buf, at * bytes, data);
  }
  return buf;
}

/**
 * The pattern modules in `root` (a directory URL: generated/ or a copy of another build's), by
 * file name, those `keep` accepts.
 */
export async function loadGenerated(root: URL, keep: (mod: Generated) => boolean): Promise<{ name: string; mod: Generated }[]> {
  const out: { name: string; mod: Generated }[] = [];
  for (const e of [...Deno.readDirSync(root.pathname)].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (!e.isFile || !e.name.endsWith('.ts')) continue;
    const mod = (await import(new URL(e.name, root).href)) as Generated;
    if (keep(mod)) out.push({ name: mod.spec.pattern, mod });
  }
  return out;
}

/** The first `bytes` of `src` (a buffer with COPY_SRC), read back through a mappable copy. */
export async function readBuffer(device: GpuDevice, src: GpuBuffer, bytes: number): Promise<ArrayBuffer> {
  const read = device.createBuffer({ size: bytes, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(src, 0, read, 0, bytes);
  device.queue.submit([enc.finish()]);
  await read.mapAsync(BufferUsage.MAP_READ);
  const copy = read.getMappedRange().slice(0);
  read.unmap();
  read.destroy();
  return copy;
}
