/**
 * The page half of subgroups-chromium.test.ts, bundled with esbuild for headless Chromium:
 * asks the adapter for a device with `subgroups` (and `shader-f16` where it has it) and runs
 * the cases through attnc's WebGPU runtime (`createAttention`, as generated bindings call it)
 * in GPU-buffer mode, outputs poisoned with NaN, tensors as base64 both ways.
 */
import { createAttention, loadPlanner, loadSelection, BufferUsage, MAP_MODE_READ, type AttentionConfig, type GpuBuffer, type GpuDevice, type KernelSpec, type RunOptions, type TileConfig } from '../../runtime/webgpu/index.ts';

/** One kernel and its runs, as the test sends them. */
export interface PageKernel {
  readonly spec: KernelSpec;
  readonly body: string;
  readonly tiledBody: string;
  readonly plannerSource: string;
  readonly selectSource?: string;
  readonly runs: readonly PageRun[];
}
export interface PageRun {
  readonly id: string;
  readonly config: AttentionConfig;
  readonly options: Omit<RunOptions, 'inputs' | 'out' | 'lse' | 'schedule' | 'scores' | 'timestampWrites'>;
  readonly inputs?: Readonly<Record<string, readonly number[]>>;
  /** base64 of the raw tensors. */
  readonly q: string;
  readonly k: string;
  readonly v: string;
}
export type PageResult =
  | { readonly id: string; readonly ok: true; readonly tiles: TileConfig; readonly o: string; readonly lse: string; readonly fullTiles: number; readonly partialTiles: number; readonly boxes?: string }
  | { readonly id: string; readonly ok: false; readonly message: string };
export interface PageReport {
  readonly adapter: boolean;
  readonly features: string[];
  readonly subgroupMinSize?: number;
  readonly subgroupMaxSize?: number;
  readonly f16: boolean;
  readonly results: PageResult[];
}

const fromB64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
function toB64(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
}

async function run(kernels: readonly PageKernel[]): Promise<PageReport> {
  /* eslint-disable @typescript-eslint/no-explicit-any */
  const gpu = (globalThis as any).navigator?.gpu;
  const adapter = gpu && (await gpu.requestAdapter());
  if (!adapter) return { adapter: false, features: [], f16: false, results: [] };
  const features = [...adapter.features] as string[];
  const f16 = adapter.features.has('shader-f16');
  const device = (await adapter.requestDevice({ requiredFeatures: ['subgroups', 'shader-f16'].filter((f) => adapter.features.has(f)) })) as GpuDevice & { adapterInfo?: { subgroupMinSize?: number; subgroupMaxSize?: number } };
  const buffer = (data: Uint8Array) => {
    const b = device.createBuffer({ size: Math.max(16, Math.ceil(data.byteLength / 16) * 16), usage: BufferUsage.STORAGE | BufferUsage.COPY_DST | BufferUsage.COPY_SRC });
    device.queue.writeBuffer(b, 0, data);
    return b;
  };
  const poisoned = (bytes: number, dtype: 'f32' | 'f16') => {
    const size = Math.max(16, Math.ceil(bytes / 16) * 16);
    return buffer(new Uint8Array((dtype === 'f32' ? new Uint32Array(size / 4).fill(0x7fc00000) : new Uint16Array(size / 2).fill(0x7e00)).buffer));
  };
  const download = async (src: GpuBuffer, bytes: number) => {
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
  };
  const results: PageResult[] = [];
  for (const kj of kernels) {
    const planner = loadPlanner(kj.plannerSource);
    const select = kj.selectSource === undefined ? undefined : loadSelection(kj.selectSource);
    for (const r of kj.runs) {
      try {
        const att = createAttention(device, { spec: kj.spec, body: kj.body, tiledBody: kj.tiledBody, planner, ...(select ? { select } : {}) }, r.config);
        const o = r.options;
        const dtype = r.config.dtype ?? 'f32';
        const outBytes = o.batch * o.heads * o.qLen * r.config.headDim * (dtype === 'f16' ? 2 : 4), lseBytes = o.batch * o.heads * o.qLen * 4;
        const inputs = Object.fromEntries(Object.entries(r.inputs ?? {}).map(([n, a]) => [n, Int32Array.from(a)]));
        const out = poisoned(outBytes, dtype), lse = poisoned(lseBytes, 'f32');
        const [q, k, v] = [r.q, r.k, r.v].map((s) => buffer(fromB64(s)));
        const res = await att.run(q, k, v, { ...o, inputs, out, lse });
        const sched = res.schedule;
        results.push({
          id: r.id, ok: true, tiles: res.tiles, o: toB64(await download(out, outBytes)), lse: toB64(await download(lse, lseBytes)),
          fullTiles: sched.stats.fullTiles, partialTiles: sched.stats.partialTiles, ...(sched.tiles ? { boxes: `${sched.tiles.q.shape.join('x')},${sched.tiles.kv.shape.join('x')}` } : {}),
        });
        for (const b of [q, k, v, out, lse]) b.destroy();
        att.destroy();
      } catch (e) {
        results.push({ id: r.id, ok: false, message: (e as Error).message ?? String(e) });
      }
    }
  }
  return { adapter: true, features, subgroupMinSize: device.adapterInfo?.subgroupMinSize, subgroupMaxSize: device.adapterInfo?.subgroupMaxSize, f16, results };
}

(globalThis as unknown as { attncRun: typeof run }).attncRun = run;
