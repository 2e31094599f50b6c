/**
 * The WebGPU kernels checked against each other at benchmark sizes (Deno), and each call timed
 * on a third clock. The tests compare both kernels with the float64 reference at small sizes
 * (lavapipe); at 16k tokens a reference on the CPU is out of reach, so this runs the tiled
 * kernel (templates/wgsl/attention-tiled.wgsl.hbs) and the simple one (attention.wgsl.hbs),
 * two independent implementations, on the same random inputs and compares their outputs:
 *   - o: max |o_tiled - o_simple| / max |o_simple|;
 *   - lse: the largest difference over rows finite in both, and the rows where only one is -inf.
 * The third clock: the wall time of one call and its completion wait, less that of an empty
 * wait (median of N each), which no overlap between calls can shorten (runtime/webgpu/timing.ts,
 * [Note: Timing WebGPU under Deno]).
 *
 *   bash .gpu-kit/run.sh deno run -A bench/webgpu-check.ts --dtype f16 --sizes 16384 --dims 64 \
 *     [--only natten_3d,swin] [--iters 5] [--tiled-tiles math=f32] [--json FILE]
 */
import { createAttention, type Attention } from '../runtime/webgpu/attention.ts';
import { fromHalfArray } from '../runtime/webgpu/f16.ts';
import { BufferUsage } from '../runtime/webgpu/gpu.ts';
import { describeTiles, type Dtype } from '../runtime/webgpu/tiles.ts';
import { gpuMs, median } from '../runtime/webgpu/timing.ts';
import { parseTiledTiles } from './tiled-tiles-arg.ts';
import { benchDevice, kernelOf, loadGenerated, randomBuffer as randomInput, readBuffer } from './webgpu-common.ts';

declare const Deno: {
  readonly args: string[];
  writeTextFileSync(path: string, text: string): void;
};

const args = Deno.args;
const opt = (name: string) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : undefined; };
const list = (name: string) => opt(name)?.split(',').map(Number);
const dtype = (opt('dtype') ?? 'f32') as Dtype;
const sizes = list('sizes') ?? [16384];
const dims = list('dims') ?? [64];
const heads = Number(opt('heads') ?? 16);
const iters = Number(opt('iters') ?? 5);
const only = opt('only')?.split(',');
const tiledTiles = parseTiledTiles(opt('tiled-tiles'));

const { adapter, device } = await benchDevice();
const es = dtype === 'f16' ? 2 : 4;

const patterns = await loadGenerated(new URL('../generated/', import.meta.url), (mod) => !mod.spec.runtimeParams.length && !mod.spec.inputs.length && !mod.spec.select && (!only || only.includes(mod.spec.pattern)));

const randomBuffer = (elems: number) => randomInput(device, elems, dtype);


/** Median wall time of one call and its completion wait, less the median empty wait. */
async function syncMs(run: () => Promise<unknown>): Promise<number> {
  await run();
  await device.queue.onSubmittedWorkDone();
  const calls: number[] = [], empty: number[] = [];
  for (let i = 0; i < iters; i++) {
    let t0 = performance.now();
    await device.queue.onSubmittedWorkDone();
    empty.push(performance.now() - t0);
    t0 = performance.now();
    await run();
    await device.queue.onSubmittedWorkDone();
    calls.push(performance.now() - t0);
  }
  return median(calls) - median(empty);
}

interface Row { dtype: Dtype; D: number; S: number; pattern: string; tiles: string; simpleTiles: string; rel: number; lseMaxDiff: number; lseInfMismatch: number; gpuMs?: number; syncMs: number; simpleGpuMs?: number; simpleSyncMs: number }
const rows: Row[] = [];
console.log(`| dtype | D | S | pattern | tiled tiles | o rel diff | lse max diff | lse -inf mismatches | tiled GPU ms | tiled sync ms | simple GPU ms | simple sync ms |`);
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const D of dims) {
  for (const S of sizes) {
    const q = randomBuffer(heads * S * D), k = randomBuffer(heads * S * D), v = randomBuffer(heads * S * D);
    const outBytes = heads * S * D * es, lseBytes = heads * S * 4;
    for (const { name, mod } of patterns) {
      const results: { o: Float32Array; lse: Float32Array; tiles: string; gpu?: number; sync: number }[] = [];
      for (const variant of ['tiled', 'simple'] as const) {
        const att: Attention = createAttention(device, kernelOf(mod), { headDim: D, dtype, kernel: variant, ...(variant === 'tiled' ? { tiles: tiledTiles } : {}) });
        const out = device.createBuffer({ size: outBytes, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC });
        const lse = device.createBuffer({ size: lseBytes, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC });
        const shape = { batch: 1, heads, qLen: S, out, lse };
        let ran = att.tiles;
        const res = await att.run(q, k, v, shape);
        ran = res.tiles;
        const oRaw = await readBuffer(device, out, outBytes), lRaw = await readBuffer(device, lse, lseBytes);
        const o = dtype === 'f16' ? fromHalfArray(new Uint16Array(oRaw)) : new Float32Array(oRaw);
        const gpu = await gpuMs(device, (ts) => att.run(q, k, v, { ...shape, timestampWrites: ts }), iters);
        const sync = await syncMs(() => att.run(q, k, v, shape));
        results.push({ o, lse: new Float32Array(lRaw), tiles: describeTiles(ran), gpu, sync });
        att.destroy();
        out.destroy();
        lse.destroy();
      }
      const [t, s] = results;
      let maxDiff = 0, maxRef = 0, lseMax = 0, lseInf = 0;
      for (let i = 0; i < s.o.length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(t.o[i] - s.o[i]));
        maxRef = Math.max(maxRef, Math.abs(s.o[i]));
        if (!Number.isFinite(t.o[i])) maxDiff = Infinity;
      }
      for (let i = 0; i < s.lse.length; i++) {
        const a = t.lse[i], b = s.lse[i];
        if (Number.isFinite(a) && Number.isFinite(b)) lseMax = Math.max(lseMax, Math.abs(a - b));
        else if (Number.isFinite(a) !== Number.isFinite(b) || Number.isNaN(a) || Number.isNaN(b)) lseInf++;
      }
      const row: Row = { dtype, D, S, pattern: name, tiles: t.tiles, simpleTiles: s.tiles, rel: maxDiff / (maxRef || 1), lseMaxDiff: lseMax, lseInfMismatch: lseInf, gpuMs: t.gpu, syncMs: t.sync, simpleGpuMs: s.gpu, simpleSyncMs: s.sync };
      rows.push(row);
      console.log(`| ${dtype} | ${D} | ${S} | ${name} | ${t.tiles} | ${row.rel.toExponential(2)} | ${lseMax.toExponential(2)} | ${lseInf} | ${t.gpu?.toFixed(3) ?? ''} | ${t.sync.toFixed(3)} | ${s.gpu?.toFixed(3) ?? ''} | ${s.sync.toFixed(3)} |`);
      const json = opt('json');
      if (json) Deno.writeTextFileSync(json, `${JSON.stringify({ adapter: adapter.info?.description || adapter.info?.device || 'unknown', date: new Date().toISOString().slice(0, 10), command: `deno run -A bench/webgpu-check.ts ${args.join(' ')}`, heads, iters, rows }, null, 1)}\n`);
    }
    for (const b of [q, k, v]) b.destroy();
  }
}
