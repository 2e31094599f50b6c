/**
 * Box tiles against strips on a real GPU through WebGPU (Deno's wgpu, Vulkan): image and video
 * neighbourhoods run by the same kernel planned in strips (`boxes: 'strip'`) and with the box
 * shape the planner chooses (`'auto'`), batch 1, 16 heads, head dim 64, f32 and f16.
 *
 *   npx tsx bench/webgpu-boxes.ts prepare          # here: bench/webgpu-work/boxes.json, tensors-boxes.json
 *   # there (with .gpu-kit and bench/webgpu-work carried; the tensors written from tensors-boxes.json):
 *   bash .gpu-kit/run.sh deno run -A runtime/webgpu/deno-runner.ts bench/webgpu-work/boxes.json $OUT/boxes-result.json
 *   npx tsx bench/webgpu-boxes.ts finish FILE       # here: the table (markdown)
 * `prepare --kernel tiled` (or `both`) also runs the register-tiled WGSL kernel
 * (templates/wgsl/attention-tiled.wgsl.hbs; run ids end in `|tiled`); `finish` prints one
 * table per kernel found in the results.
 */
import * as fs from 'node:fs';
import { bindText } from '../test/helpers/compile.ts';
import { emitWgsl } from '../compiler/4-emit/wgsl/emit-wgsl.ts';
import { lowerToPlanner } from '../compiler/pipeline.ts';
import type { RunnerJob, RunnerKernel, RunnerResult } from '../runtime/webgpu/runner-protocol.ts';
import { describeTiles } from '../runtime/webgpu/tiles.ts';

const WORK = 'bench/webgpu-work';
const HEAD_DIM = 64, HEADS = 16;
const CASES: { name: string; file: string; params: Record<string, number>; tokens: number }[] = [
  { name: 'natten_2d 128x128 kernel 13', file: 'patterns/natten-2d.attn', params: { height: 128, width: 128, kernel_y: 13, kernel_x: 13 }, tokens: 128 * 128 },
  { name: 'natten_2d 256x256 kernel 13', file: 'patterns/natten-2d.attn', params: { height: 256, width: 256, kernel_y: 13, kernel_x: 13 }, tokens: 256 * 256 },
  { name: 'natten_3d 16x64x64 kernel 7', file: 'patterns/natten-3d.attn', params: { frames: 16, height: 64, width: 64, kernel_t: 7, kernel_y: 7, kernel_x: 7 }, tokens: 16 * 64 * 64 },
  { name: 'swin 64x64 window 8', file: 'patterns/swin.attn', params: { height: 64, width: 64, window: 8 }, tokens: 64 * 64 },
];

const [mode, file] = process.argv.slice(2);
const kernelAt = process.argv.indexOf('--kernel');
const kernelOpt = kernelAt >= 0 ? process.argv[kernelAt + 1] : 'simple';
if (!['simple', 'tiled', 'both'].includes(kernelOpt)) throw new Error(`--kernel ${kernelOpt}: use simple, tiled or both`);
const variants = (kernelOpt === 'both' ? ['simple', 'tiled'] : [kernelOpt]) as ('simple' | 'tiled')[];
/** A run's id: the simple kernel's as before, the tiled kernel's with `|tiled`. */
const runId = (name: string, dtype: string, boxes: string, variant: 'simple' | 'tiled') => `${name}|${dtype}|${boxes}${variant === 'tiled' ? '|tiled' : ''}`;
if (mode === 'prepare') {
  fs.mkdirSync(WORK, { recursive: true });
  const tensors: Record<string, { count: number; dtype: string }> = {};
  const kernels: RunnerKernel[] = CASES.map((c) => {
    const bound = bindText(fs.readFileSync(c.file, 'utf8'), c.params);
    const { spec, body } = emitWgsl(bound);
    const tiledBody = variants.includes('tiled') ? emitWgsl(bound, 'tiled').body : undefined;
    const runs = variants.flatMap((variant) => (['f32', 'f16'] as const).flatMap((dtype) => (['strip', 'auto'] as const).map((boxes) => {
      const t = (tag: string) => {
        const p = `/tmp/attnc-b-${tag}-${c.tokens}-${dtype}`;
        tensors[p] = { count: HEADS * c.tokens * HEAD_DIM, dtype };
        return p;
      };
      return {
        id: runId(c.name, dtype, boxes, variant), config: { headDim: HEAD_DIM, dtype, kernel: variant },
        options: { batch: 1, heads: HEADS, kvHeads: HEADS, qLen: c.tokens, kvLen: c.tokens, boxes },
        q: t('q'), k: t('k'), v: t('v'), out: '/tmp/attnc-b-o', lseOut: '/tmp/attnc-b-l', repeat: 10,
      };
    })));
    return { spec, body, ...(tiledBody !== undefined ? { tiledBody } : {}), plannerSource: lowerToPlanner(bound).plannerSource, runs };
  });
  const job: RunnerJob = { kernels };
  fs.writeFileSync(`${WORK}/boxes.json`, JSON.stringify(job));
  fs.writeFileSync(`${WORK}/tensors-boxes.json`, JSON.stringify(tensors));
  console.log(`wrote ${WORK}/boxes.json`);
} else if (mode === 'finish' && file) {
  const results = JSON.parse(fs.readFileSync(file, 'utf8')) as RunnerResult[];
  console.log(`Batch 1, ${HEADS} heads, head dim ${HEAD_DIM}; ms per call (mean of 10 after an untimed first), on ${results[0]?.adapter ?? '?'}`);
  for (const variant of ['simple', 'tiled'] as const) {
    if (!results.some((x) => (x.id.endsWith('|tiled') ? 'tiled' : 'simple') === variant)) continue;
    const first = results.find((x) => x.ok && (x.id.endsWith('|tiled') ? 'tiled' : 'simple') === variant);
    console.log(`\n${variant} kernel${first?.ok ? ` (${describeTiles(first.tiles)} for the first run)` : ''}\n`);
    console.log('| pattern | dtype | strips: tiles (FULL + PARTIAL) | ms | boxes (auto): tiles | ms | boxes vs strips |\n|---|---|---:|---:|---:|---:|---:|');
    for (const c of CASES) for (const dtype of ['f32', 'f16']) {
      const r = (b: string) => results.find((x) => x.id === runId(c.name, dtype, b, variant));
      const s = r('strip'), a = r('auto');
      const cell = (x?: RunnerResult) => (x && x.ok ? [`${x.fullTiles + x.partialTiles} (${x.fullTiles} + ${x.partialTiles})`, x.ms.toFixed(2)] : ['-', x ? `${x.code}` : '-']);
      const [st, sm] = cell(s), [at, am] = cell(a);
      const ratio = s?.ok && a?.ok ? `${(s.ms / a.ms).toFixed(2)}x` : '-';
      console.log(`| ${c.name} | ${dtype} | ${st} | ${sm} | ${at} | ${am} | ${ratio} |`);
    }
  }
} else {
  console.error('usage: npx tsx bench/webgpu-boxes.ts prepare [--kernel simple|tiled|both] | finish FILE');
  process.exit(2);
}
