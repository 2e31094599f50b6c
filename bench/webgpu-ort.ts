/**
 * ONNX Runtime Web anchor (Deno): dense attention through ORT Web's WebGPU execution provider,
 * the reference that attnc's WGSL kernel (bench/webgpu.ts) is compared against.
 *
 * The model is built in memory (bench/onnx-model.ts): one `com.microsoft.MultiHeadAttention`
 * node, query/key/value [1, S, heads*D] (BSNH), attribute num_heads, no bias, no mask,
 * non-causal. ORT Web's WebGPU EP (the native C++ EP compiled to wasm, `ort.webgpu.min.mjs`,
 * not the older JSEP) runs it as two programs: CopyKVCache (K, V from BSNH into BNSH
 * present buffers) and FlashAttention (tiled online-softmax kernel). The programs ORT
 * dispatched are recorded per row (`kernels`), from the labels of the shader modules it
 * creates (a head size not a multiple of 4 falls back to TransferBSDToBNSH, AttentionProbs,
 * InPlaceSoftmax, VxAttentionScore; a program using subgroup builtins shows as `+subgroups`). Batch 1, f32 and (where the adapter has shader-f16) f16, TFLOP/s = 4 S^2 D heads /
 * median time. Inputs and the output are GPU buffers (Tensor.fromGpuBuffer, output location
 * 'gpu-buffer'), so no upload or download is timed; each timed run is session.run followed by
 * queue.onSubmittedWorkDone, so ORT's per-run host overhead is included.
 *
 * Setup, once, here (copies ORT's three runtime files to bench/webgpu-work/ort/, git-ignored):
 *   node_modules/.bin/deno run -A bench/webgpu-ort.ts --prepare
 * On this machine (lavapipe, tiny sizes, with the float64 correctness check):
 *   node_modules/.bin/deno run -A bench/webgpu-ort.ts --tiny --check
 * On a GPU machine (carry .gpu-kit/ and bench/webgpu-work/ with the tree, under 64 MB together):
 *   bash .gpu-kit/run.sh deno run -A bench/webgpu-ort.ts --json bench/results/webgpu-ort-h100.json
 * Options: --tiny (S 128,256, heads 2, 1 iteration), --sizes 4096,16384, --dims 64,128,
 * --heads 16, --dtype f32|f16, --iters N (default 10; 2 warm-up runs first, then a second of them before the GPU timing), --check (compare
 * with softmax(QK^T/sqrt(D))V in float64 on the CPU; O(S^2) CPU work), --json FILE (rows
 * {dtype, D, S, heads, ms, tflops, op, kernels, maxAbsErr?, error?} with adapter, date,
 * command), --ort-dir DIR (where ort.webgpu.min.mjs and its wasm are), --verbose (ORT's
 * verbose log, which prints every WGSL shader it compiles).
 * A failure for one shape (out of memory, an ORT error) is that row's error; the rest still run.
 */
import { createAttention } from '../runtime/webgpu/attention.ts';
import type { GpuDevice as AttnDevice } from '../runtime/webgpu/gpu.ts';
import type { KernelSpec } from '../runtime/webgpu/interface.ts';
import type { PlannerModule } from '../runtime/schedule/planner.ts';
import { fromHalf, toHalf } from '../runtime/webgpu/f16.ts';
import { referenceAttention } from '../runtime/webgpu/reference.ts';
import { denseSchedule } from '../runtime/webgpu/schedule-buffer.ts';
import { describeTiles } from '../runtime/webgpu/tiles.ts';
import { onnxModel, OnnxType } from './onnx-model.ts';
import { callMs, gpuMs, warmUp } from '../runtime/webgpu/timing.ts';

declare const Deno: {
  readonly args: string[];
  mkdirSync(path: string, opts?: { recursive?: boolean }): void;
  copyFileSync(from: string, to: string): void;
  statSync(path: string): unknown;
  readTextFileSync(path: string): string;
  readFileSync(path: string): Uint8Array;
  writeFileSync(path: string, data: Uint8Array): void;
  writeTextFileSync(path: string, text: string): void;
  exit(code: number): never;
};
interface GpuBuffer { mapAsync(mode: number): Promise<void>; getMappedRange(): ArrayBuffer; unmap(): void; destroy(): void }
interface GpuDevice {
  createBuffer(d: { size: number; usage: number }): GpuBuffer;
  createCommandEncoder(): { copyBufferToBuffer(a: GpuBuffer, ao: number, b: GpuBuffer, bo: number, n: number): void; finish(): unknown };
  readonly queue: { writeBuffer(b: GpuBuffer, offset: number, data: ArrayBufferView): void; submit(c: unknown[]): void; onSubmittedWorkDone(): Promise<void> };
  readonly features: { has(name: string): boolean };
  readonly adapterInfo?: { description?: string; device?: string; vendor?: string; architecture?: string };
  pushErrorScope(filter: string): void;
  popErrorScope(): Promise<{ message: string } | null>;
}
declare const navigator: { gpu?: { requestAdapter(opts?: object): Promise<{ features: { has(n: string): boolean }; info?: { description?: string; device?: string } } | null> } };
type Proto = { prototype: Record<string, (...a: never[]) => unknown> };
declare const GPUDevice: Proto, GPUComputePassEncoder: Proto, GPUCommandEncoder: Proto;
/** The part of onnxruntime-web's API used here (its own types need the DOM lib). */
interface OrtTensor { dispose(): void }
interface OrtSession { run(feeds: Record<string, OrtTensor>, fetches?: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>; release(): Promise<void> }
interface Ort {
  env: { logLevel: string; wasm: { wasmPaths: string; numThreads: number; proxy: boolean }; webgpu: { device?: GpuDevice; powerPreference?: string } };
  Tensor: { fromGpuBuffer(b: GpuBuffer, o: { dataType: string; dims: number[] }): OrtTensor };
  InferenceSession: { create(model: Uint8Array, o: object): Promise<OrtSession> };
}
type Dtype = 'f32' | 'f16';

const args = Deno.args;
const flag = (name: string) => args.includes(`--${name}`);
const opt = (name: string) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : undefined; };
const here = (p: string) => new URL(p, import.meta.url).pathname;
const ortFiles = ['ort.webgpu.min.mjs', 'ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm'];

// --prepare copies ORT's runtime files into bench/webgpu-work/ort/, the wasm gzipped (7 of its
// 29 MB: a remote run carries the folder); a run unpacks it there where only the .gz is present.
const gunzip = async (bytes: Uint8Array, format: 'gzip', compress = false) =>
  new Uint8Array(await new Response(new Blob([bytes]).stream().pipeThrough(compress ? new CompressionStream(format) : new DecompressionStream(format))).arrayBuffer());
if (flag('prepare')) {
  const dest = here('webgpu-work/ort/');
  Deno.mkdirSync(dest, { recursive: true });
  for (const f of ortFiles) {
    const src = here(`../node_modules/onnxruntime-web/dist/${f}`);
    if (f.endsWith('.wasm')) Deno.writeFileSync(`${dest + f}.gz`, await gunzip(Deno.readFileSync(src), 'gzip', true));
    else Deno.copyFileSync(src, dest + f);
  }
  console.log(`copied ${ortFiles.join(', ')} (the wasm gzipped) to ${dest}`);
  Deno.exit(0);
}

const tiny = flag('tiny');
const list = (name: string) => opt(name)?.split(',').map(Number);
const sizes = list('sizes') ?? (tiny ? [128, 256] : [4096, 16384]);
const heads = Number(opt('heads') ?? (tiny ? 2 : 16));
const headDims = list('dims') ?? [64, 128];
const iters = Number(opt('iters') ?? (tiny ? 1 : 10));
const warmup = tiny ? 1 : 2;
const check = flag('check');
// attnc's dense kernel side by side (its default, register-tiled kernel); --no-attnc leaves it out.
const attnc = !flag('no-attnc');
const op = 'com.microsoft.MultiHeadAttention';

const exists = (p: string) => { try { Deno.statSync(p); return true; } catch { return false; } };
const ortDir = opt('ort-dir') ?? [here('webgpu-work/ort/'), here('../node_modules/onnxruntime-web/dist/')].find((d) => exists(d + ortFiles[0]));
if (!ortDir) throw new Error('ORT runtime files not found: run with --prepare first (needs node_modules), or pass --ort-dir');
{
  const wasm = `${ortDir.replace(/\/?$/, '/')}${ortFiles[2]}`;
  if (!exists(wasm) && exists(`${wasm}.gz`)) Deno.writeFileSync(wasm, await gunzip(Deno.readFileSync(`${wasm}.gz`), 'gzip'));
}
const ort = (await import(new URL(ortFiles[0], `file://${ortDir.replace(/\/?$/, '/')}`).href)) as Ort;
ort.env.wasm.wasmPaths = `file://${ortDir.replace(/\/?$/, '/')}`;
ort.env.wasm.numThreads = 1;
ort.env.wasm.proxy = false;
ort.env.webgpu.powerPreference = 'high-performance';
ort.env.logLevel = flag('verbose') ? 'verbose' : 'warning';

// Which programs ORT dispatches: shader module label -> pipeline -> setPipeline during the warm-up.
const moduleLabel = new WeakMap<object, string>(), pipelineLabel = new WeakMap<object, string>();
let dispatched: Set<string> | undefined;
const wrap = (cls: Proto, name: string, after: (result: unknown, arg: Record<string, unknown>) => void) => {
  const orig = cls.prototype[name] as unknown as (this: unknown, ...a: unknown[]) => unknown;
  cls.prototype[name] = function (this: unknown, ...a: unknown[]) {
    const r = orig.apply(this, a);
    if (r instanceof Promise) return r.then((x) => { after(x, a[0] as Record<string, unknown>); return x; });
    after(r, a[0] as Record<string, unknown>);
    return r;
  } as never;
};
// A program whose WGSL uses subgroup builtins is listed as `name+subgroups`.
wrap(GPUDevice, 'createShaderModule', (m, d) => moduleLabel.set(m as object, `${String(d.label ?? '?')}${/\bsubgroup[A-Z]/.test(String(d.code)) ? '+subgroups' : ''}`));
const onPipeline = (p: unknown, d: Record<string, unknown>) => {
  const mod = (d.compute as { module?: object } | undefined)?.module;
  pipelineLabel.set(p as object, (mod && moduleLabel.get(mod)) || String(d.label ?? '?'));
};
wrap(GPUDevice, 'createComputePipeline', onPipeline);
wrap(GPUDevice, 'createComputePipelineAsync', onPipeline);
wrap(GPUComputePassEncoder, 'setPipeline', (_r, p) => dispatched?.add(pipelineLabel.get(p) ?? '?'));

// ORT's GPU time: while `stamping` is set, every compute pass ORT begins without timestamp
// writes of its own gets a pair of slots in `stamping.set` (runtime/webgpu/timing.ts says why
// wall time alone misleads under Deno).
interface QuerySet { destroy(): void }
let stamping: { set: QuerySet; next: number; cap: number } | undefined;
{
  const begin = GPUCommandEncoder.prototype.beginComputePass as unknown as (this: unknown, d?: Record<string, unknown>) => unknown;
  GPUCommandEncoder.prototype.beginComputePass = function (this: unknown, d?: Record<string, unknown>) {
    if (stamping && !d?.timestampWrites && stamping.next + 2 <= stamping.cap) {
      const i = stamping.next;
      stamping.next += 2;
      d = { ...(d ?? {}), timestampWrites: { querySet: stamping.set, beginningOfPassWriteIndex: i, endOfPassWriteIndex: i + 1 } };
    }
    return begin.call(this, d);
  } as never;
}

/**
 * ORT's GPU time per run: its passes' timestamps summed over `iters` runs in a stream, divided by `iters`, after the
 * warm-up attnc's calls get (runtime/webgpu/timing.ts, [Note: GPU clock]); undefined without timestamp-query.
 */
async function ortGpuMs(device: GpuDevice, run: () => Promise<unknown>): Promise<number | undefined> {
  if (!device.features.has('timestamp-query')) return undefined;
  const cap = 4096;
  const dev = device as GpuDevice & { createQuerySet(d: { type: string; count: number }): QuerySet };
  const set = dev.createQuerySet({ type: 'timestamp', count: cap });
  const resolved = device.createBuffer({ size: cap * 8, usage: 0x0200 | 0x0004 });  // QUERY_RESOLVE | COPY_SRC
  try {
    await warmUp(device as never, run);
    stamping = { set, next: 0, cap };
    for (let i = 0; i < iters; i++) await run();
    const used = stamping.next;
    stamping = undefined;
    await device.queue.onSubmittedWorkDone();
    if (used === 0 || used >= cap) return undefined;
    const enc = device.createCommandEncoder() as ReturnType<GpuDevice['createCommandEncoder']> & { resolveQuerySet(s: QuerySet, first: number, n: number, dst: GpuBuffer, off: number): void };
    enc.resolveQuerySet(set, 0, used, resolved, 0);
    device.queue.submit([enc.finish()]);
    const ns = new BigInt64Array((await readBytes(device, resolved, used * 8)).buffer);
    let total = 0;
    for (let i = 0; i < used; i += 2) total += Number(ns[i + 1] - ns[i]);
    return total / 1e6 / iters;
  } finally {
    stamping = undefined;
    set.destroy();
    resolved.destroy();
  }
}

/** attnc's register-tiled WGSL kernel on the same device, dense (every tile FULL), inputs [1, heads, S, D]. */
async function attncDense(device: GpuDevice, dtype: Dtype, D: number, S: number): Promise<Partial<Row>> {
  const mod = (await import(here('../generated/causal_mask.ts'))) as { spec: KernelSpec; wgslBody: string; wgslTiledBody: string; planner: PlannerModule };
  const dev = device as unknown as AttnDevice;
  const att = createAttention(dev, { spec: mod.spec, body: mod.wgslBody, tiledBody: mod.wgslTiledBody, planner: mod.planner }, { headDim: D, dtype, kernel: 'tiled' });
  const n = heads * S * D, es = dtype === 'f16' ? 2 : 4;
  const [q, k, v] = [1, 2, 3].map((i) => {
    const b = dev.createBuffer({ size: n * es, usage: 0x0080 | 0x0008 });
    dev.queue.writeBuffer(b, 0, randomData(n, 99 * i + S + D, dtype).bytes);
    return b;
  });
  const out = dev.createBuffer({ size: n * es, usage: 0x0080 }), lse = dev.createBuffer({ size: heads * S * 4, usage: 0x0080 });
  try {
    const schedule = denseSchedule(mod.spec.pattern, S, S, heads, att.tiles.blockQ, att.tiles.blockKv);
    const opts = { batch: 1, heads, qLen: S, out, lse, schedule };
    const call = await callMs(dev, () => att.run(q, k, v, opts), iters);
    const ms = (await gpuMs(dev, (ts) => att.run(q, k, v, { ...opts, timestampWrites: ts }), iters)) ?? call;
    return { attncMs: ms, attncCallMs: call, attncTflops: (4 * S * S * D * heads) / ms / 1e9, attncTiles: describeTiles(att.tiles) };
  } catch (e) {
    return { attncError: String((e as Error).message ?? e).split('\n')[0] };
  } finally {
    att.destroy();
    for (const b of [q, k, v, out, lse]) b.destroy();
  }
}

/** Seeded uniform values in [-1, 1), rounded to f16 where asked (then also returned as bits). */
function randomData(n: number, seed: number, dtype: Dtype): { values: Float64Array; bytes: ArrayBufferView } {
  let s = seed >>> 0;
  const values = new Float64Array(n);
  const bits = dtype === 'f16' ? new Uint16Array(n) : undefined;
  const f32 = dtype === 'f32' ? new Float32Array(n) : undefined;
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const x = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
    if (bits) { bits[i] = toHalf(x); values[i] = fromHalf(bits[i]); } else { f32![i] = x; values[i] = f32![i]; }
  }
  return { values, bytes: bits ?? f32! };
}
/** softmax(Q K^T / sqrt(D)) V in float64 (referenceAttention), from and back to ORT's [S, heads, D] layout. */
function reference(q: Float64Array, k: Float64Array, v: Float64Array, S: number, D: number): Float64Array {
  const at = (s: number, h: number, d: number) => (s * heads + h) * D + d, bhsd = (s: number, h: number, d: number) => (h * S + s) * D + d;
  const toBhsd = (x: Float64Array) => {
    const y = new Float64Array(x.length);
    for (let s = 0; s < S; s++) for (let h = 0; h < heads; h++) for (let d = 0; d < D; d++) y[bhsd(s, h, d)] = x[at(s, h, d)];
    return y;
  };
  const o = referenceAttention(toBhsd(q), toBhsd(k), toBhsd(v), { batch: 1, heads, kvHeads: heads, qLen: S, kvLen: S, headDim: D }, { mask: () => true }).o;
  const out = new Float64Array(o.length);
  for (let s = 0; s < S; s++) for (let h = 0; h < heads; h++) for (let d = 0; d < D; d++) out[at(s, h, d)] = o[bhsd(s, h, d)];
  return out;
}

async function readBytes(device: GpuDevice, buf: GpuBuffer, bytes: number): Promise<Uint8Array> {
  const staging = device.createBuffer({ size: bytes, usage: 0x0001 | 0x0008 }); // MAP_READ | COPY_DST
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(buf, 0, staging, 0, bytes);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(0x0001);
  const raw = new Uint8Array(staging.getMappedRange().slice(0));
  staging.unmap();
  staging.destroy();
  return raw;
}

async function readBack(device: GpuDevice, buf: GpuBuffer, bytes: number, dtype: Dtype): Promise<Float64Array> {
  const raw = (await readBytes(device, buf, bytes)).buffer;
  return dtype === 'f16' ? Float64Array.from(new Uint16Array(raw), fromHalf) : Float64Array.from(new Float32Array(raw));
}

interface Row { dtype: Dtype; D: number; S: number; heads: number; ms?: number; callMs?: number; tflops?: number; op: string; kernels?: string[]; maxAbsErr?: number; attncMs?: number; attncCallMs?: number; attncTflops?: number; attncTiles?: string; attncError?: string; error?: string }
const rows: Row[] = [];
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

/** One shape: a session with fixed dims, GPU-resident inputs and output, timed runs. */
async function measure(dtype: Dtype, D: number, S: number): Promise<Row> {
  const row: Row = { dtype, D, S, heads, op };
  const elem = dtype === 'f16' ? OnnxType.FLOAT16 : OnnxType.FLOAT, hidden = heads * D, dims = [1, S, hidden];
  const model = onnxModel({
    nodes: [{ opType: 'MultiHeadAttention', domain: 'com.microsoft', inputs: ['query', 'key', 'value'], outputs: ['output'], attrs: [{ name: 'num_heads', int: heads }] }],
    inputs: ['query', 'key', 'value'].map((name) => ({ name, elemType: elem, dims })),
    outputs: [{ name: 'output', elemType: elem, dims }],
    opsets: { '': 17, 'com.microsoft': 1 },
  });
  const session = await ort.InferenceSession.create(model, { executionProviders: ['webgpu'], preferredOutputLocation: 'gpu-buffer' });
  const device = ort.env.webgpu.device;
  const buffers: GpuBuffer[] = [];
  let scopes = 0;
  try {
    if (!device) throw new Error('ORT did not expose its GPUDevice (ort.env.webgpu.device)');
    const bytes = S * hidden * (dtype === 'f16' ? 2 : 4), dataType = dtype === 'f16' ? 'float16' : 'float32';
    const host: Float64Array[] = [];
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    scopes = 2;
    const feeds: Record<string, OrtTensor> = {};
    ['query', 'key', 'value'].forEach((name, i) => {
      const { values, bytes: data } = randomData(S * hidden, 1234 + 77 * i + S + D, dtype);
      const buf = device.createBuffer({ size: bytes, usage: 0x0080 | 0x0004 | 0x0008 }); // STORAGE | COPY_SRC | COPY_DST
      device.queue.writeBuffer(buf, 0, data);
      buffers.push(buf);
      host.push(values);
      feeds[name] = ort.Tensor.fromGpuBuffer(buf, { dataType, dims });
    });
    const outBuf = device.createBuffer({ size: bytes, usage: 0x0080 | 0x0004 | 0x0008 });
    buffers.push(outBuf);
    const fetches = { output: ort.Tensor.fromGpuBuffer(outBuf, { dataType, dims }) };
    const run = async () => { await session.run(feeds, fetches); await device.queue.onSubmittedWorkDone(); };  // warm-up and checks only
    dispatched = new Set();
    await run();
    row.kernels = [...dispatched];
    dispatched = undefined;
    for (let i = 1; i < warmup; i++) await run();
    for (const scope of ['validation', 'out-of-memory']) {
      scopes--;
      const err = await device.popErrorScope();
      if (err) throw new Error(`${scope}: ${err.message}`);
    }
    // Wall time per call in a steady stream (runtime/webgpu/timing.ts: the completion wait cancelled),
    // and ORT's GPU time: the sum of its compute passes' timestamps in one run, the median over runs.
    row.callMs = await callMs(device as never, () => session.run(feeds, fetches), iters);
    row.ms = await ortGpuMs(device, () => session.run(feeds, fetches)) ?? row.callMs;
    row.tflops = (4 * S * S * D * heads) / row.ms / 1e9;
    if (attnc) Object.assign(row, await attncDense(device, dtype, D, S));
    if (check) {
      const got = await readBack(device, outBuf, bytes, dtype), want = reference(host[0], host[1], host[2], S, D);
      row.maxAbsErr = got.reduce((m, x, i) => Math.max(m, Math.abs(x - want[i])), 0);
      if (!Number.isFinite(row.maxAbsErr)) row.maxAbsErr = Infinity;
    }
  } finally {
    // ORT keeps one device for all sessions: leave no error scope of this shape on it.
    for (; scopes > 0; scopes--) await device!.popErrorScope();
    for (const b of buffers) b.destroy();
    await session.release();
  }
  return row;
}

/** Writes the rows so far (after every row: a run cut short keeps what it measured). */
function saveJson(): void {
  const jsonFile = opt('json');
  if (!jsonFile) return;
  const version = (ort as unknown as { env: { versions?: Record<string, string> } }).env.versions;
  const features = ['shader-f16', 'subgroups', 'timestamp-query'].filter((f) => ort.env.webgpu.device?.features.has(f));
  Deno.writeTextFileSync(jsonFile, `${JSON.stringify({ adapter: adapterName, ort: version?.web ?? version?.common, ortDeviceFeatures: features, date: new Date().toISOString().slice(0, 10), command: `deno run -A bench/webgpu-ort.ts ${args.join(' ')}`, heads, iters, warmup, rows }, null, 1)}\n`);
}

const adapter = navigator.gpu ? await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' }) : null;
if (!adapter) throw new Error('no WebGPU adapter');
const adapterName = adapter.info?.description || adapter.info?.device || 'unknown adapter';
const dtypes = (opt('dtype') ? [opt('dtype') as Dtype] : (['f32', 'f16'] as Dtype[])).filter((d) => d === 'f32' || adapter.features.has('shader-f16'));
console.log(`# ORT Web ${op} (WebGPU EP): ${adapterName}\n`);
console.log(`batch 1, ${heads} heads, ${iters} timed runs after ${warmup} warm-up; ms: GPU time (timestamps of every compute pass), call ms: wall time per call in a steady stream (runtime/webgpu/timing.ts); TFLOP/s = 4 S^2 D heads / ms${check ? '; max abs error vs float64' : ''}${attnc ? '; attnc: its tiled kernel, dense (every tile FULL), on the same device in the same run' : ''}\n`);
console.log(`| dtype | D | S | ORT ms | ORT call ms | ORT TFLOP/s |${check ? ' max abs err |' : ''}${attnc ? ' attnc ms | attnc call ms | attnc TFLOP/s | attnc / ORT speed |' : ''} ORT programs |`);
console.log(`|---|---|---|---|---|---|${check ? '---|' : ''}${attnc ? '---|---|---|---|' : ''}---|`);
for (const dtype of dtypes) {
  for (const D of headDims) {
    for (const S of sizes) {
      let row: Row;
      try {
        row = await measure(dtype, D, S);
      } catch (e) {
        dispatched = undefined;
        row = { dtype, D, S, heads, op, error: String((e as Error).message ?? e).split('\n')[0] };
      }
      rows.push(row);
      saveJson();
      const err = check ? ` ${row.maxAbsErr?.toExponential(2) ?? ''} |` : '';
      const mine = !attnc ? '' : row.attncMs !== undefined ? ` ${row.attncMs.toFixed(3)} | ${row.attncCallMs!.toFixed(3)} | ${row.attncTflops!.toPrecision(3)} | ${row.ms ? `${(row.ms / row.attncMs).toFixed(2)}x` : ''} |` : ` failed: ${row.attncError ?? ''} | | | |`;
      console.log(row.error ? `| ${dtype} | ${D} | ${S} | failed: ${row.error} | | |${err}${mine} |` : `| ${dtype} | ${D} | ${S} | ${row.ms!.toFixed(3)} | ${row.callMs!.toFixed(3)} | ${row.tflops!.toPrecision(3)} |${err}${mine} ${row.kernels!.join(', ')} |`);
    }
  }
}
saveJson();
if (check && rows.some((r) => !r.error && !(r.maxAbsErr! <= (r.dtype === 'f16' ? 2e-2 : 1e-4)))) {
  console.error('check failed: an error above the tolerance (f32 1e-4, f16 2e-2)');
  Deno.exit(1);
}
