/**
 * Fits the simulator's `attnc-wgsl` model of a GPU profile to a WebGPU suite run of
 * bench/webgpu.ts (one dtype and head dim at one size; default tiles), and prints the fit and
 * each pattern's modelled against measured time:
 *
 *   npx tsx bench/simulate-wgsl-fit.ts PROFILE SUITE.json [SUITE_D64.json]
 *
 * The constants: work items per multiprocessor (searched), the FULL tile at head dim 128 (from
 * the dense path), the extra cost per mask operation of a PARTIAL tile and the cost per work
 * item (searched, least squares on log time). A second suite at head dim 64 gives the model's
 * `headDimScale` (its dense path over this one's). Patterns whose clocks disagree by 2x or more
 * and `select` patterns (their selection passes are not the kernel's) are left out.
 */
import * as fs from 'node:fs';
import { bindParams } from '../compiler/2-check/bind.ts';
import { Diagnostics } from '../compiler/diagnostics/diagnostic.ts';
import { checkSource, lowerToPlanner } from '../compiler/pipeline.ts';
import { loadProfile, type GpuProfile, type KernelModel } from '../compiler/5-simulate/profile.ts';
import { simulate } from '../compiler/5-simulate/simulate.ts';

interface Row { pattern: string; S: number; D: number; dtype: string; denseMs: number; ms: number; callMs?: number }
const [profileName, suiteFile, d64File] = process.argv.slice(2);
if (!profileName || !suiteFile) {
  console.error('usage: npx tsx bench/simulate-wgsl-fit.ts PROFILE SUITE.json [SUITE_D64.json]');
  process.exit(2);
}
const base = loadProfile(profileName);
if (!base) throw new Error(`no profile ${profileName}`);
const rows = (JSON.parse(fs.readFileSync(suiteFile, 'utf8')) as { rows: Row[] }).rows;
const timeOf = (r: Row) => (r.callMs !== undefined && r.callMs > 0 ? Math.min(r.ms, r.callMs) : r.ms);
const trusted = (r: Row) => r.callMs !== undefined && r.callMs > 0 && Math.max(r.ms, r.callMs) < 2 * Math.min(r.ms, r.callMs);

/** The bundled patterns by name, bound with their defaults (as generated/ is). */
const bundled = new Map<string, ReturnType<typeof bindParams>>();
for (const f of fs.readdirSync('patterns').filter((x) => x.endsWith('.attn'))) {
  const prog = checkSource({ name: f, text: fs.readFileSync(`patterns/${f}`, 'utf8') }, new Diagnostics());
  for (const pat of prog?.patterns ?? []) bundled.set(pat.name, bindParams(pat, {}, new Diagnostics()));
}
const cases = rows.filter((r) => trusted(r) && bundled.get(r.pattern) && !bundled.get(r.pattern)!.select).map((r) => {
  const bp = bundled.get(r.pattern)!;
  return { r, bp, planner: lowerToPlanner(bp).planner };
});
const { S, D, denseMs } = rows[0];
const dtypeBytes = rows[0].dtype === 'f16' ? 2 : 4;
const shape = { batch: 1, heads: 16, kvHeads: 16, qLen: S, kvLen: S, headDim: D, dtypeBytes, tiles: 'auto' as const };

const withModel = (km: KernelModel): GpuProfile => ({ ...base, kernels: { ...base.kernels, 'attnc-wgsl': km } });
let best: { err: number; km: KernelModel } | undefined;
for (const itemsPerSm of [2, 3, 4, 5, 6]) {
  for (const itemUs of [0, 5, 10, 20, 30, 40, 60, 80]) {
    for (const maskOpUs of [0, 0.25, 0.5, 1, 1.5, 2, 3, 4, 6]) {
      // The FULL tile from the dense path: waves of equal items.
      const items = Math.ceil(S / 64) * shape.heads, slots = base.multiprocessors * itemsPerSm;
      const waves = Math.ceil(items / slots);
      const launchUs = 20;
      const tileUs = ((denseMs * 1000 - launchUs) / waves - itemUs) / Math.ceil(S / 64) / (D / 128);
      if (!(tileUs > 0)) continue;
      const km: KernelModel = { blockQ: 64, blockKv: 64, itemsPerSm, order: 'longest-first', fullTileUs: tileUs, maskOpUs, itemUs, launchUs };
      const gpu = withModel(km);
      let err = 0;
      for (const c of cases) err += Math.log(simulate(c.bp, c.planner, gpu, 'attnc-wgsl', shape).sparseMs / timeOf(c.r)) ** 2;
      if (!best || err < best.err) best = { err, km };
    }
  }
}
const km = { ...best!.km, fullTileUs: Number(best!.km.fullTileUs.toFixed(2)) } as KernelModel & { headDimScale?: Record<string, number> };
if (d64File) {
  const d64 = (JSON.parse(fs.readFileSync(d64File, 'utf8')) as { rows: Row[] }).rows;
  km.headDimScale = { '64': Number((d64[0].denseMs / denseMs).toFixed(3)), '128': 1 };
}
console.log(JSON.stringify(km));
console.log(`rms log error ${Math.sqrt(best!.err / cases.length).toFixed(3)} over ${cases.length} patterns`);
const gpu = withModel(km);
for (const c of cases) {
  const sim = simulate(c.bp, c.planner, gpu, 'attnc-wgsl', shape).sparseMs;
  console.log(`${c.r.pattern.padEnd(24)} measured ${timeOf(c.r).toFixed(3).padStart(8)} modelled ${sim.toFixed(3).padStart(8)}  ${(sim / timeOf(c.r)).toFixed(2)}`);
}
