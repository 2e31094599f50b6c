/**
 * "Run on WebGPU": the pattern's generated WGSL kernel (the same the `wgsl` and `ts` targets
 * emit) through attnc's WebGPU runtime in this browser, on random q, k, v, compared with the
 * float64 reference of `attnc run --check` and timed. A pattern with a `select` clause selects
 * its key blocks on the GPU at every run (a score input gets random values), and the reference
 * attends under the reference selection's mask.
 */
import type { Pattern } from '../../compiler/index.ts';
import { emitWgsl } from '../../compiler/4-emit/wgsl/emit-wgsl.ts';
import { biasAt, maskAt, softcapAt, type EvalContext } from '../../compiler/eval/evaluate.ts';
import { referenceSelection, selectValues } from '../../compiler/eval/select.ts';
import { printSelection } from '../../compiler/4-emit/planner/print-selection.ts';
import { createAttention, describeTiles, loadSelection, type GpuDevice } from '../../runtime/webgpu/index.ts';
import { BufferUsage, MAP_MODE_READ, type GpuBuffer } from '../../runtime/webgpu/gpu.ts';
import { checkOutput, maxAbsOf, referenceAttention, type CheckResult } from '../../runtime/webgpu/reference.ts';

/** The problem a run solves. */
export interface RunShape {
  readonly batch: number;
  readonly heads: number;
  readonly qLen: number;
  readonly kvLen: number;
  readonly headDim: number;
  readonly params: Readonly<Record<string, number | boolean>>;
  readonly inputs: Readonly<Record<string, ArrayLike<number>>>;
}

/** What a run found. */
export interface RunReport {
  readonly adapter: string;
  readonly tiles: string;
  readonly fullTiles: number;
  readonly partialTiles: number;
  /** Milliseconds per run (the mean of `repeats`, after a warm-up run). */
  readonly ms: number;
  readonly repeats: number;
  readonly check: CheckResult;
}

/** The browser's WebGPU device, asked for once. */
let device: Promise<{ device: GPUDevice; adapter: string }> | undefined;

async function getDevice(): Promise<{ device: GPUDevice; adapter: string }> {
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) throw new Error('this browser has no WebGPU (navigator.gpu is missing): try a recent Chrome or Edge, or Firefox Nightly');
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new Error('WebGPU is present but gave no adapter (is it disabled, or is there no GPU driver?)');
  const d = await adapter.requestDevice({
    requiredLimits: {
      maxComputeWorkgroupStorageSize: adapter.limits.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: adapter.limits.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: adapter.limits.maxComputeWorkgroupSizeX,
    },
  });
  const info = adapter.info;
  return { device: d, adapter: [info?.vendor, info?.architecture, info?.description].filter(Boolean).join(' ') || 'unknown adapter' };
}

/** A reproducible uniform random tensor in [-1, 1) (mulberry32). */
export function randomTensor(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

/** Runs the pattern on this browser's GPU and checks it against the reference. */
export async function runOnWebGpu(p: Pattern, s: RunShape, repeats = 3): Promise<RunReport> {
  device ??= getDevice().catch((e) => { device = undefined; throw e; });
  const { device: dev, adapter } = await device;
  const gdev = dev as unknown as GpuDevice;
  const { spec, body } = emitWgsl(p.bound);
  const sel = p.bound.select;
  const att = createAttention(gdev, { spec, body, planner: p.lowered.planner, ...(sel ? { select: loadSelection(printSelection(p.bound)) } : {}) }, { headDim: s.headDim, dtype: 'f32' });
  const { batch, heads, qLen, kvLen, headDim: D } = s;
  const q = randomTensor(batch * heads * qLen * D, 1), k = randomTensor(batch * heads * kvLen * D, 2), v = randomTensor(batch * heads * kvLen * D, 3);
  const ctx: EvalContext = { sizes: { qLen, kvLen, heads }, params: s.params, inputs: s.inputs };
  // A score input: random scores for the call's selection blocks.
  let gate: Float32Array | undefined;
  if (sel?.score.kind === 'input') {
    const b = selectValues(p.bound, ctx);
    if (!(b.blockQ > 0 && b.blockKv > 0)) throw new Error(`[bad_select] the block sizes of the \`select\` are ${b.blockQ} and ${b.blockKv}, but they must be greater than 0`);
    gate = randomTensor(batch * heads * Math.ceil(qLen / b.blockQ) * Math.ceil(kvLen / b.blockKv), 4);
  }
  const upload = (a: Float32Array): GpuBuffer => {
    const b = gdev.createBuffer({ size: Math.max(16, Math.ceil(a.byteLength / 16) * 16), usage: BufferUsage.STORAGE | BufferUsage.COPY_DST | BufferUsage.COPY_SRC });
    gdev.queue.writeBuffer(b, 0, a);
    return b;
  };
  const [qb, kb, vb] = [q, k, v].map(upload);
  const outBytes = batch * heads * qLen * D * 4;
  const out = upload(new Float32Array(Math.ceil(outBytes / 4)).fill(NaN)), lse = upload(new Float32Array(batch * heads * qLen).fill(NaN));
  try {
    const opts = { batch, heads, qLen, kvLen, params: s.params, inputs: Object.fromEntries(Object.entries(s.inputs).map(([n, a]) => [n, Int32Array.from(a)])), out, lse, ...(gate ? { scores: gate } : {}) };
    const first = await att.run(qb, kb, vb, opts);  // warm-up: compiles the pipeline, plans the schedule
    await gdev.queue.onSubmittedWorkDone();
    const t0 = performance.now();
    for (let i = 0; i < repeats; i++) await att.run(qb, kb, vb, opts);
    await gdev.queue.onSubmittedWorkDone();
    const ms = (performance.now() - t0) / repeats;
    const got = new Float32Array(await readBack(gdev, out, outBytes));
    const pt = (b: number, h: number, qi: number, ki: number) => ({ b, h, q: qi, k: ki });
    const bp = p.bound;
    // With a select clause the mask is the reference selection's M = (A || Sel) && R.
    const selMask = sel ? referenceSelection(bp, { batch, heads, kvHeads: heads, qLen, kvLen, headDim: D }, { q, k, gate }, s.params, s.inputs).mask : undefined;
    const ref = referenceAttention(q, k, v, { batch, heads, kvHeads: heads, qLen, kvLen, headDim: D }, {
      mask: selMask ? (b, h, qi, ki) => selMask[((b * heads + h) * qLen + qi) * kvLen + ki] === 1 : (b, h, qi, ki) => maskAt(bp, pt(b, h, qi, ki), ctx),
      ...(bp.bias ? { bias: (b: number, h: number, qi: number, ki: number) => biasAt(bp, pt(b, h, qi, ki), ctx) } : {}),
      ...(bp.softcap ? { softcap: (b: number, h: number, qi: number, ki: number) => softcapAt(bp, pt(b, h, qi, ki), ctx)! } : {}),
    });
    const check = checkOutput(got, ref, maxAbsOf(v), D, 'f32');
    return { adapter, tiles: describeTiles(first.tiles), fullTiles: first.schedule.stats.fullTiles, partialTiles: first.schedule.stats.partialTiles, ms, repeats, check };
  } finally {
    for (const b of [qb, kb, vb, out, lse]) b.destroy();
    att.destroy();
  }
}

async function readBack(dev: GpuDevice, src: GpuBuffer, bytes: number): Promise<ArrayBuffer> {
  const size = Math.ceil(bytes / 4) * 4;
  const dst = dev.createBuffer({ size, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
  const enc = dev.createCommandEncoder();
  enc.copyBufferToBuffer(src, 0, dst, 0, size);
  dev.queue.submit([enc.finish()]);
  await dst.mapAsync(MAP_MODE_READ);
  const data = dst.getMappedRange().slice(0, bytes);
  dst.unmap();
  dst.destroy();
  return data;
}
