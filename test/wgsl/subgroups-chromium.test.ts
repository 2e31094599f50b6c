/**
 * The tiled WGSL kernel with subgroup reductions (TileConfig.subgroups), run for real: Deno's
 * WebGPU (the lavapipe tests) offers no `subgroups`, headless Chromium on SwiftShader does. The
 * page (subgroups-page.ts, bundled with esbuild) asks for a device with the feature and runs
 * attnc's WebGPU runtime as generated bindings do; the test compares each run with the
 * float64 reference under the tolerances of harness.ts (fully masked rows: o = 0, lse = -inf)
 * and checks that the subgroup variant ran where the device's subgroup size allows LANES (and
 * not where it does not). Patterns: causal, sliding window (FULL and PARTIAL tiles), rows with
 * no key (holes), moba (select), 2 and 4 lanes, sizes not multiples of the blocks; f16 as well
 * where the adapter has shader-f16 (SwiftShader has none so far). Not here: box tiles
 * (natten-2d) and the deep fixture, whose tiled pipelines SwiftShader does not finish within
 * minutes, with or without subgroups (the lavapipe tests run them without).
 * Skipped, saying so, when Chromium is not installed.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { withRuntimeDefaults, type BoundPattern } from '../../compiler/2-check/bind.ts';
import { biasAt, maskAt, softcapAt, type EvalContext } from '../../compiler/eval/evaluate.ts';
import { referenceSelection } from '../../compiler/eval/select.ts';
import { printSelection } from '../../compiler/4-emit/planner/print-selection.ts';
import { emitWgsl } from '../../compiler/4-emit/wgsl/emit-wgsl.ts';
import { lowerToPlanner } from '../../compiler/pipeline.ts';
import { fromHalfArray, toHalfArray } from '../../runtime/webgpu/f16.ts';
import { referenceAttention } from '../../runtime/webgpu/reference.ts';
import type { TiledOverride } from '../../runtime/webgpu/tiles.ts';
import type { TileRequest } from '../../runtime/schedule/types.ts';
import { bindText } from '../helpers/compile.ts';
import { compareRows, random } from './harness.ts';
import type { PageKernel, PageReport } from './subgroups-page.ts';
import { CHROMIUM } from './tint.ts';

if (!CHROMIUM) console.warn('test/wgsl/subgroups-chromium.test.ts skipped: Chromium is not installed (apt-get install chromium, or set ATTNC_CHROMIUM)');

const FLAGS = ['--headless=new', '--no-sandbox', '--enable-unsafe-webgpu', '--enable-features=Vulkan,WebGPUSwiftShader', '--use-webgpu-adapter=swiftshader',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

interface Case {
  readonly name: string;
  readonly bound: BoundPattern;
  readonly batch: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly qLen: number;
  readonly kvLen: number;
  readonly headDim: number;
  readonly dtype: 'f32' | 'f16';
  readonly scale?: number;
  readonly params?: Record<string, number | boolean>;
  readonly tiles?: TiledOverride;
  readonly boxes?: TileRequest;
  /** Whether the run must use subgroup reductions (SwiftShader's subgroups have 4 invocations). */
  readonly wantSubgroups: boolean;
}

const read = (name: string) => fs.readFileSync(name, 'utf8');

function cases(): Case[] {
  const causal = bindText('pattern c() {\n  causal\n}\n');
  const sw = bindText(read('patterns/sliding-window.attn'), { window: 40 });
  const holes = bindText(read('test/wgsl/fixtures/holes.attn'));
  const moba = bindText(read('patterns/moba.attn'), { block: 64, topk: 1 });
  const t16 = { blockQ: 16, blockKv: 16, kvChunk: 16 };
  const base = (dtype: 'f32' | 'f16'): Case[] => [
    // Head dim 48: 12 vec4s, so LANES = 4 by itself; default tiles (64-row blocks).
    { name: `causal ${dtype} d48 default tiles`, bound: causal, batch: 1, heads: 2, kvHeads: 1, qLen: 77, kvLen: 77, headDim: 48, dtype, wantSubgroups: true },
    { name: `sliding window ${dtype} d64 lanes4 16x16 blocks`, bound: sw, batch: 2, heads: 2, kvHeads: 2, qLen: 150, kvLen: 150, headDim: 64, dtype, tiles: { ...t16, lanes: 4 }, wantSubgroups: true },
    { name: `holes ${dtype} d48 (rows with no key)`, bound: holes, batch: 1, heads: 2, kvHeads: 1, qLen: 45, kvLen: 45, headDim: 48, dtype, tiles: t16, wantSubgroups: true },
  ];
  return [
    ...base('f32'),
    ...base('f16'),
    { name: 'causal f32 q < kv, d16 rows2 lanes2', bound: causal, batch: 1, heads: 2, kvHeads: 2, qLen: 70, kvLen: 95, headDim: 16, dtype: 'f32', tiles: { blockQ: 16, blockKv: 16, kvChunk: 8, lanes: 2, rows: 2 }, wantSubgroups: true },
    // Split rows ([Note: Split rows]): the parts' sums come from the subgroup butterfly.
    { name: 'holes f32 d48, rows split into parts of 1 tile', bound: holes, batch: 1, heads: 2, kvHeads: 1, qLen: 45, kvLen: 45, headDim: 48, dtype: 'f32', tiles: { ...t16, splitTiles: 1 }, wantSubgroups: true },
    { name: 'moba f32 d48 (select)', bound: moba, batch: 1, heads: 2, kvHeads: 2, qLen: 300, kvLen: 300, headDim: 48, dtype: 'f32', wantSubgroups: true },
    // Not used: 8 lanes (head dim 64 by default) exceed SwiftShader's subgroups of 4. (`subgroups:
    // false` is checked in tiled.test.ts: SwiftShader takes minutes over the workgroup-memory
    // variant's pipeline at 4 lanes, so it is not run here.)
    { name: 'causal f32 d64 lanes8 (no subgroups)', bound: causal, batch: 1, heads: 1, kvHeads: 1, qLen: 77, kvLen: 77, headDim: 64, dtype: 'f32', wantSubgroups: false },
  ];
}

interface Prepared { readonly c: Case; readonly q: Float32Array; readonly k: Float32Array; readonly v: Float32Array }

function prepare(all: readonly Case[]): { kernels: PageKernel[]; data: Prepared[] } {
  const kernels = new Map<BoundPattern, PageKernel & { runs: PageKernel['runs'][number][] }>();
  const b64 = (a: Float32Array, dtype: 'f32' | 'f16') => {
    const raw = dtype === 'f16' ? toHalfArray(a) : a;
    return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64');
  };
  const data = all.map((c, i) => {
    const rnd = random(9000 + i);
    const gen = (n: number) => {
      const a = Float32Array.from({ length: n }, rnd);
      return c.dtype === 'f16' ? fromHalfArray(toHalfArray(a)) : a;
    };
    const q = gen(c.batch * c.heads * c.qLen * c.headDim), k = gen(c.batch * c.kvHeads * c.kvLen * c.headDim), v = gen(c.batch * c.kvHeads * c.kvLen * c.headDim);
    let kernel = kernels.get(c.bound);
    if (!kernel) {
      const { spec, body } = emitWgsl(c.bound);
      kernel = { spec, body, tiledBody: emitWgsl(c.bound, 'tiled').body, plannerSource: lowerToPlanner(c.bound).plannerSource, ...(c.bound.select ? { selectSource: printSelection(c.bound) } : {}), runs: [] };
      kernels.set(c.bound, kernel);
    }
    kernel.runs.push({
      id: String(i),
      config: { headDim: c.headDim, dtype: c.dtype, kernel: 'tiled', ...(c.tiles ? { tiles: c.tiles } : {}) },
      options: { batch: c.batch, heads: c.heads, kvHeads: c.kvHeads, qLen: c.qLen, kvLen: c.kvLen, ...(c.scale !== undefined ? { scale: c.scale } : {}), ...(c.params ? { params: c.params } : {}), ...(c.boxes ? { boxes: c.boxes } : {}) },
      q: b64(q, c.dtype), k: b64(k, c.dtype), v: b64(v, c.dtype),
    });
    return { c, q, k, v };
  });
  return { kernels: [...kernels.values()], data };
}

/** The float64 reference of a case (with a select clause: under the reference selection's mask). */
function reference({ c, q, k, v }: Prepared) {
  const bp = c.bound;
  const params = withRuntimeDefaults(bp, c.params ?? {});
  const ctx: EvalContext = { sizes: { qLen: c.qLen, kvLen: c.kvLen, heads: c.heads }, params, inputs: {} };
  const pt = { b: 0, h: 0, q: 0, k: 0 };
  const at = (b: number, h: number, qi: number, ki: number) => ((pt.b = b), (pt.h = h), (pt.q = qi), (pt.k = ki), pt);
  const sel = bp.select ? referenceSelection(bp, c, { q, k }, params, {}).mask : undefined;
  return referenceAttention(q, k, v, c, {
    mask: sel ? (b, h, qi, ki) => sel[((b * c.heads + h) * c.qLen + qi) * c.kvLen + ki] === 1 : (b, h, qi, ki) => maskAt(bp, at(b, h, qi, ki), ctx),
    ...(bp.bias ? { bias: (b: number, h: number, qi: number, ki: number) => biasAt(bp, at(b, h, qi, ki), ctx) } : {}),
    ...(bp.softcap ? { softcap: (b: number, h: number, qi: number, ki: number) => softcapAt(bp, at(b, h, qi, ki), ctx)! } : {}),
  });
}

/** Bundles the page, serves it from localhost (WebGPU needs a secure context) and runs the kernels there. */
async function runInChromium(kernels: PageKernel[]): Promise<PageReport> {
  const bundle = await build({ entryPoints: [path.join(import.meta.dirname, 'subgroups-page.ts')], bundle: true, format: 'esm', platform: 'browser', write: false, logLevel: 'error' });
  const js = bundle.outputFiles[0].text;
  const server = http.createServer((req, res) => {
    if (req.url === '/page.js') { res.writeHead(200, { 'content-type': 'text/javascript' }); res.end(js); return; }
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>attnc subgroups</title><script type="module" src="/page.js"></script>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const userData = fs.mkdtempSync(path.join(os.tmpdir(), 'attnc-chromium-'));
  const context = await chromium.launchPersistentContext(userData, { executablePath: CHROMIUM, headless: true, args: FLAGS });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await page.waitForFunction(() => 'attncRun' in globalThis, undefined, { timeout: 30_000 }).catch(() => { throw new Error(`the page did not load: ${errors.join('; ')}`); });
    return await page.evaluate((ks) => (globalThis as unknown as { attncRun(k: unknown): Promise<PageReport> }).attncRun(ks), kernels);
  } finally {
    await context.close();
    server.close();
    fs.rmSync(userData, { recursive: true, force: true });
  }
}

describe.skipIf(!CHROMIUM)('tiled WGSL kernel with subgroup reductions (headless Chromium, SwiftShader)', () => {
  const all = cases();
  let report: PageReport;
  let data: Prepared[];
  beforeAll(async () => {
    const prepared = prepare(all);
    data = prepared.data;
    report = await runInChromium(prepared.kernels);
    console.log(`subgroups-chromium: subgroup sizes ${report.subgroupMinSize}..${report.subgroupMaxSize}, shader-f16 ${report.f16}`);
  }, 150_000);

  it('has an adapter with subgroups that reports its subgroup size', () => {
    expect(report.adapter).toBe(true);
    expect(report.features).toContain('subgroups');
    expect(report.subgroupMinSize).toBeGreaterThanOrEqual(1);
  });

  it('matches the float64 reference: no NaN, fully masked rows o = 0 and lse = -inf', () => {
    const errs: string[] = [];
    let masked = 0;
    all.forEach((c, i) => {
      const r = report.results.find((x) => x.id === String(i))!;
      if (c.dtype === 'f16' && !report.f16) return;  // SwiftShader has no shader-f16 so far
      if (!r.ok) { errs.push(`${c.name}: ${r.message}`); return; }
      const raw = Buffer.from(r.o, 'base64'), lr = Buffer.from(r.lse, 'base64');
      const o = c.dtype === 'f16' ? fromHalfArray(new Uint16Array(raw.buffer, raw.byteOffset, raw.byteLength / 2)) : new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
      const lse = new Float32Array(lr.buffer.slice(lr.byteOffset, lr.byteOffset + lr.byteLength));
      const cmp = compareRows(o, lse, reference(data[i]), c.headDim);
      const tol = c.dtype === 'f32' ? 1e-5 : 5e-3;
      masked += cmp.maskedRows;
      if (cmp.nonFinite) errs.push(`${c.name}: ${cmp.nonFinite} NaN/inf outputs`);
      if (!(cmp.rel < tol)) errs.push(`${c.name}: relative error ${cmp.rel} >= ${tol}`);
      if (!(cmp.lseRel < tol)) errs.push(`${c.name}: lse relative error ${cmp.lseRel} >= ${tol}`);
      if (cmp.badMaskedRows) errs.push(`${c.name}: ${cmp.badMaskedRows} of ${cmp.maskedRows} fully masked rows are not o = 0, lse = -inf`);
    });
    expect(errs).toEqual([]);
    expect(masked).toBeGreaterThan(0);
  });

  it('ran the subgroup variant wherever the subgroup size allows LANES, the workgroup one elsewhere', () => {
    const ran = all.flatMap((c, i) => {
      const r = report.results.find((x) => x.id === String(i))!;
      if (c.dtype === 'f16' && !report.f16) return [];
      return [`${c.name}: ${r.ok ? `${r.tiles.kernel} lanes${r.tiles.lanes} subgroups ${Boolean(r.tiles.subgroups)}` : r.message}`];
    });
    const want = all.flatMap((c) => (c.dtype === 'f16' && !report.f16 ? [] : [`${c.name}: tiled lanes${c.tiles?.lanes ?? (c.headDim === 64 ? 8 : 4)} subgroups ${c.wantSubgroups && report.subgroupMinSize! >= (c.tiles?.lanes ?? 4)}`]));
    expect(ran).toEqual(want);
    // Both tile kinds.
    const ok = report.results.filter((r) => r.ok);
    expect(ok.some((r) => r.ok && r.tiles.subgroups && r.fullTiles > 0)).toBe(true);
    expect(ok.some((r) => r.ok && r.tiles.subgroups && r.partialTiles > 0)).toBe(true);
  });
});
