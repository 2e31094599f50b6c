/**
 * The tiles a `select` pattern's calls run: for each bundled select pattern, S and random
 * inputs, the merged schedule's listed (non-EMPTY) and FULL tiles, read back with
 * `Attention.selection`, and the tile ideal over them (dense tiles / listed tiles), as
 * bench/webgpu.ts computes it for such a pattern. Several draws of the inputs show whether the
 * count depends on the values (top-k picks a fixed number of cells, so it should not); the
 * selection runs alone, so any WebGPU device does, lavapipe included:
 *
 *   node_modules/.bin/deno run -A bench/webgpu-select-tiles.ts [--sizes 4096,16384] [--heads 16] [--draws 3] [--json FILE]
 */
import { createAttention } from '../runtime/webgpu/attention.ts';
import { benchDevice, kernelOf, loadGenerated, randomBuffer, selectionTiles } from './webgpu-common.ts';

declare const Deno: { readonly args: string[]; writeTextFileSync(path: string, text: string): void };
const args = Deno.args;
const opt = (name: string) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : undefined; };
const sizes = (opt('sizes') ?? '4096,16384').split(',').map(Number);
const heads = Number(opt('heads') ?? 16);
const draws = Number(opt('draws') ?? 3);
const headDim = 64;

const { adapter, device } = await benchDevice();
const patterns = await loadGenerated(new URL('../generated/', import.meta.url), (mod) => Boolean(mod.spec.select) && !mod.spec.runtimeParams.length && !mod.spec.inputs.length);
const rows: { pattern: string; S: number; heads: number; blockQ: number; blockKv: number; draws: { listed: number; full: number }[]; ideal: number }[] = [];
console.log('| pattern | S | tiles (q x kv) | listed tiles per draw | FULL tiles per draw | ideal |\n|---|---:|---|---|---|---:|');
for (const { name, mod } of patterns) {
  const att = createAttention(device, kernelOf(mod), { headDim, dtype: 'f32' });
  for (const S of sizes) {
    const got: { listed: number; full: number }[] = [];
    let nq = 0, nkv = 0;
    for (let d = 0; d < draws; d++) {
      const q = randomBuffer(device, heads * S * headDim, 'f32'), k = randomBuffer(device, heads * S * headDim, 'f32');
      const sel = await att.selection(q, k, { batch: 1, heads, qLen: S });
      got.push(selectionTiles(sel));
      nq = sel.numQBlocks;
      nkv = sel.numKvBlocks;
      q.destroy();
      k.destroy();
    }
    const ideal = (nq * nkv * heads) / Math.max(1, got[0].listed);
    rows.push({ pattern: name, S, heads, blockQ: att.tiles.blockQ, blockKv: att.tiles.blockKv, draws: got, ideal });
    console.log(`| ${name} | ${S} | ${att.tiles.blockQ} x ${att.tiles.blockKv} | ${got.map((g) => g.listed).join(', ')} | ${got.map((g) => g.full).join(', ')} | ${ideal.toFixed(2)}x |`);
  }
  att.destroy();
}
const json = opt('json');
const info = adapter.info;
if (json) Deno.writeTextFileSync(json, `${JSON.stringify({ adapter: info?.description || info?.device || 'unknown', date: new Date().toISOString().slice(0, 10), command: `deno run -A bench/webgpu-select-tiles.ts ${args.join(' ')}`, rows }, null, 1)}\n`);
