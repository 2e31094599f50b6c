/**
 * WebGPU attention benchmark (Deno). For every static bundled pattern (no runtime
 * parameters, no input arrays) in `generated/`, at 16 heads, head dims 64 and 128, S = 4096
 * and 16384, f32 and (where the adapter has it) f16:
 *   - the dense path: the pattern's own kernel run with every tile FULL (`denseSchedule`),
 *     as dense-equivalent TFLOP/s = 4 * B * H * S^2 * D / time (the full-tile throughput);
 *   - the pattern: its time, its speedup over the dense path, and the tile-count ideal
 *     (dense tiles / listed tiles), with speedup / ideal as a percentage.
 *
 * On an H100 (from the project root, after `bash ../shared/gpu/make-webgpu-kit.sh`):
 *   bash .gpu-kit/run.sh deno run -A bench/webgpu.ts [--out bench/results/webgpu-h100.md]
 * On this machine (lavapipe, tiny sizes, a smoke test):
 *   node_modules/.bin/deno run -A bench/webgpu.ts --tiny
 * Options: --tiny, --only name,name, --dtype f32|f16, --iters N, --out FILE (markdown),
 * --json FILE (the rows as JSON, with the adapter, date and command), --sizes 4096,16384,
 * --dims 64,128, --heads 16, --dense-only (time only the dense path of each kernel), --order-ab
 * (also time each pattern with its rows in planned order, not longest first: `as planned ms`),
 * --rounds N (time the whole list N times, each figure the least over the rounds),
 * --kernel tiled|simple|both (default tiled): which WGSL kernel; `both` times the register-tiled
 * kernel (templates/wgsl/attention-tiled.wgsl.hbs, the default) and the simple one
 * (attention.wgsl.hbs) side by side, each with its own dense row. Where no tiled shape fits
 * the adapter's workgroup memory the simple kernel runs, and the tiles column says so (no
 * "tiled rowsN"). --generated DIR takes the pattern modules from DIR instead of generated/ (a
 * copy of an earlier build, to time two builds in one run). --tiled-tiles blockQ=32,kvChunk=16,rows=4,lanes=8,math=f32,shortRows=false,splitTiles=false fixes tiled tile fields
 * by hand (any subset), to sweep shapes on the GPU.
 */
import { createAttention, type Attention, type AttentionConfig } from '../runtime/webgpu/attention.ts';
import { BufferUsage } from '../runtime/webgpu/gpu.ts';
import { planSchedule } from '../runtime/schedule/plan.ts';
import type { Schedule } from '../runtime/schedule/types.ts';
import { denseSchedule, listedTiles } from '../runtime/webgpu/schedule-buffer.ts';
import { describeTiles, type Dtype } from '../runtime/webgpu/tiles.ts';
import { callMs, gpuMs, type TimestampWrites } from '../runtime/webgpu/timing.ts';
import { parseTiledTiles } from './tiled-tiles-arg.ts';
import { benchDevice, kernelOf, loadGenerated, randomBuffer as randomInput, selectionTiles, type Generated } from './webgpu-common.ts';

declare const Deno: {
  readonly args: string[];
  readTextFileSync(path: string): string;
  cwd(): string;
  writeTextFileSync(path: string, text: string): void;
};

const args = Deno.args;
const flag = (name: string) => args.includes(`--${name}`);
const opt = (name: string) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : undefined; };
const tiny = flag('tiny');
const list = (name: string) => opt(name)?.split(',').map(Number);
const sizes = list('sizes') ?? (tiny ? [256, 512] : [4096, 16384]);
const heads = Number(opt('heads') ?? (tiny ? 2 : 16));
const headDims = list('dims') ?? [64, 128];
const iters = Number(opt('iters') ?? (tiny ? 1 : 10));
const only = opt('only')?.split(',');
const kernelOpt = opt('kernel') ?? 'tiled';
if (!['simple', 'tiled', 'both'].includes(kernelOpt)) throw new Error(`--kernel ${kernelOpt}: use simple, tiled or both`);
const variants = (kernelOpt === 'both' ? ['tiled', 'simple'] : [kernelOpt]) as ('simple' | 'tiled')[];
const tiledTiles = parseTiledTiles(opt('tiled-tiles'));
/** The pattern bound to the device with one kernel variant. */
const createFor = (_name: string, mod: Generated, config: AttentionConfig, variant: 'simple' | 'tiled'): Attention =>
  createAttention(device, kernelOf(mod), { ...config, kernel: variant, ...(variant === 'tiled' ? { tiles: tiledTiles } : {}) });

const { adapter, device } = await benchDevice();
const dtypes = (opt('dtype') ? [opt('dtype') as Dtype] : (['f32', 'f16'] as Dtype[])).filter((d) => d === 'f32' || adapter.features.has('shader-f16'));

// --generated DIR: the pattern modules of another build (an A/B against generated/), their
// imports of runtime/ rewritten to resolve from DIR (bench/webgpu-ab.ts makes such copies).
const generatedDir = opt('generated');
const root = generatedDir ? new URL(`${generatedDir.replace(/\/?$/, '/')}`, `file://${Deno.cwd()}/`) : new URL('../generated/', import.meta.url);
const patterns = await loadGenerated(root, (mod) => !mod.spec.runtimeParams.length && !mod.spec.inputs.length && (!only || only.includes(mod.spec.pattern)));

const randomBuffer = (elems: number, dtype: Dtype) => randomInput(device, elems, dtype);

/** GPU time per call (timestamps; the steady wall time per call where there are none) and wall time per call. */
async function time(run: (ts?: TimestampWrites) => Promise<unknown>): Promise<{ ms: number; callMs: number }> {
  const gpu = await gpuMs(device, (ts) => run(ts), iters);
  const call = await callMs(device, () => run(), iters);
  return { ms: gpu ?? call, callMs: call };
}

const lines: string[] = [
  `# WebGPU block-sparse attention: ${adapter.info?.description || adapter.info?.device || 'unknown adapter'}`,
  '',
  `batch 1, ${heads} heads, ${iters} timed calls in a stream after a second of warm-up calls (runtime/webgpu/timing.ts, [Note: GPU clock]). ms: the attention pass's GPU time (median of`,
  'timestamp queries); call ms: wall time per call in a steady stream (runtime/webgpu/timing.ts); as planned ms (--order-ab):',
  'GPU time with the rows in planned order instead of longest first. dense: the pattern\'s',
  'own kernel with every tile FULL (the full-tile path; TFLOP/s = 4 B H S^2 D / time). ideal: dense tiles / listed tiles',
  'of the tiles the call ran; ideal 64: the same for the chosen tiles (64-row blocks), where the call ran half-height ones',
  '(runtime/webgpu/attention.ts, [Note: Short rows]); speedup and % of ideal from GPU times.',
  '',
  '| dtype | D | S | tiles | pattern | dense ms | dense TFLOP/s | sparse ms | call ms | as planned ms | speedup | ideal | % of ideal | % of ideal 64 | full / partial tiles |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
];
const print = (l: string) => { lines.push(l); console.log(l); saveJson(); };
/** One measured row, for --json. */
interface Row { dtype: Dtype; D: number; S: number; kernel: 'simple' | 'tiled'; tiles: string; pattern: string; denseMs?: number; denseTflops?: number; ms?: number; callMs?: number; asPlannedMs?: number; speedup?: number; ideal?: number; idealChosen?: number; full?: number; partial?: number; error?: string }
const rows: Row[] = [];
/** Writes the rows so far (after every row: a run cut short keeps what it measured). */
function saveJson(): void {
  const jsonFile = opt('json');
  if (!jsonFile) return;
  const info = adapter!.info;
  Deno.writeTextFileSync(jsonFile, `${JSON.stringify({ adapter: info?.description || info?.device || 'unknown', date: new Date().toISOString().slice(0, 10), command: `deno run -A bench/webgpu.ts ${args.join(' ')}`, heads, iters, rounds, rows }, null, 1)}\n`);
}
const denseOnly = flag('dense-only');
const rounds = Math.max(1, Number(opt('rounds') ?? 1));
const orderAb = flag('order-ab');
console.log(lines.join('\n'));

for (const dtype of dtypes) {
  for (const D of headDims) {
    for (const S of sizes) {
      const q = randomBuffer(heads * S * D, dtype), k = randomBuffer(heads * S * D, dtype), v = randomBuffer(heads * S * D, dtype);
      const out = device.createBuffer({ size: heads * S * D * (dtype === 'f16' ? 2 : 4), usage: BufferUsage.STORAGE });
      const lse = device.createBuffer({ size: heads * S * 4, usage: BufferUsage.STORAGE });
      const flops = 4 * heads * S * S * D;
      const shape = { batch: 1, heads, qLen: S, out, lse };
      // The dense path is the same kernel with every tile FULL (no mask evaluated), so it is
      // measured once per shape and kernel variant, with the first pattern's module, and shared by all rows.
      for (const variant of variants) {
        let denseMs: number | undefined;
        // --rounds N: the whole list is timed N times and each figure is the least over the
        // rounds, so a stretch of slow calls (measured on the H200: the dense path and whole
        // runs of patterns 2-10x slower for a few seconds) does not stand for the kernel.
        const best = new Map<string, { ms: number; callMs: number; asPlanned?: number }>();
        for (let round = 0; round < rounds; round++) for (const { name, mod } of patterns) {
          const last = round === rounds - 1;
          const att = createFor(name, mod, { headDim: D, dtype }, variant);
          const t = att.tiles;
          try {
            if (name === patterns[0].name) {
              // A pattern with a select clause takes no given schedule: the dense row runs on the first one without.
              const first = patterns.find((p) => !p.mod.spec.select) ?? { name, mod };
              const denseAtt = first.mod === mod ? att : createFor(first.name, first.mod, { headDim: D, dtype }, variant);
              const schedule = denseSchedule(first.name, S, S, heads, denseAtt.tiles.blockQ, denseAtt.tiles.blockKv);
              const ms = (await time((ts) => denseAtt.run(q, k, v, { ...shape, schedule, timestampWrites: ts }))).ms;
              denseMs = Math.min(denseMs ?? Infinity, ms);
              if (denseAtt !== att) denseAtt.destroy();
            }
            const dense = denseMs!;
            if (denseOnly) {
              if (!last) { att.destroy(); break; }
              rows.push({ dtype, D, S, kernel: variant, tiles: describeTiles(t), pattern: 'dense', denseMs: dense, denseTflops: flops / dense / 1e9 });
              print(`| ${dtype} | ${D} | ${S} | ${describeTiles(t)} | (dense) | ${dense.toFixed(3)} | ${(flops / dense / 1e9).toPrecision(3)} | | | | | | | | |`);
              att.destroy();
              break;
            }
            // The tiles the call ran: the chosen ones, or the short-row ones (runtime/webgpu/attention.ts, [Note: Short rows]).
            let ran = t;
            const timed = await time(async (ts) => { const res = await att.run(q, k, v, { ...shape, timestampWrites: ts }); ran = res.tiles; return res; });
            // --order-ab: the same run with the rows in planned order, not longest first.
            const planned = orderAb && !mod.spec.select ? await gpuMs(device, (ts) => att.run(q, k, v, { ...shape, workOrder: 'as-planned', timestampWrites: ts }), iters) : undefined;
            const before = best.get(name);
            const min = (a: number | undefined, b: number | undefined) => (a === undefined ? b : b === undefined ? a : Math.min(a, b));
            best.set(name, { ms: Math.min(timed.ms, before?.ms ?? Infinity), callMs: Math.min(timed.callMs, before?.callMs ?? Infinity), asPlanned: min(planned, before?.asPlanned) });
            if (!last) { att.destroy(); continue; }
            const { ms, callMs: call, asPlanned } = best.get(name)!;
            const s = att.schedule(shape);
            const idealOf = (sc: Schedule, listed = listedTiles(sc)) => (sc.numQBlocks * sc.numKvBlocks * heads) / Math.max(1, listed);
            // A select pattern's call runs its merged schedule (the static part and the cells it
            // selected on these inputs), which stays on the GPU: its tiles are read back from the
            // selection of the same inputs.
            const { listed, full } = mod.spec.select
              ? selectionTiles(await att.selection(q, k, shape))
              : { listed: listedTiles(s), full: s.groups.reduce((n, g) => n + g.fullKvIndices.length * g.members.length, 0) };
            const ideal = idealOf(s, listed);
            // The chosen tiles' ideal, where the call ran other (half-height) tiles.
            const idealChosen = s.blockQ === t.blockQ || mod.spec.select ? ideal : idealOf(planSchedule(mod.planner, { qLen: S, kvLen: S, heads, batch: 1, blockQ: t.blockQ, blockKv: t.blockKv, tiles: 'auto' }));
            const speedup = dense / ms;
            rows.push({ dtype, D, S, kernel: variant, tiles: describeTiles(ran), pattern: name, denseMs: dense, denseTflops: flops / dense / 1e9, ms, callMs: call, ...(asPlanned !== undefined ? { asPlannedMs: asPlanned } : {}), speedup, ideal, idealChosen, full, partial: listed - full });
            print(`| ${dtype} | ${D} | ${S} | ${describeTiles(ran)} | ${name} | ${dense.toFixed(3)} | ${(flops / dense / 1e9).toPrecision(3)} | ${ms.toFixed(3)} | ${call.toFixed(3)} | ${asPlanned?.toFixed(3) ?? ''} | ${speedup.toFixed(2)}x | ${ideal.toFixed(2)}x | ${((100 * speedup) / ideal).toFixed(0)}% | ${((100 * speedup) / idealChosen).toFixed(0)}% | ${full} / ${listed - full} |`);
          } catch (e) {
            rows.push({ dtype, D, S, kernel: variant, tiles: describeTiles(t), pattern: name, error: (e as Error).message.split('\n')[0] });
            print(`| ${dtype} | ${D} | ${S} | ${describeTiles(t)} | ${name} | failed: ${(e as Error).message.split('\n')[0]} | | | | | | | | | |`);
          }
          att.destroy();
        }
      }
      for (const b of [q, k, v, out, lse]) b.destroy();
    }
  }
}
saveJson();
const outFile = opt('out');
if (outFile) Deno.writeTextFileSync(outFile, `${lines.join('\n')}\n`);
