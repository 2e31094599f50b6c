/**
 * Box tiles on the CUDA host (`planBest` with tiles allowed, as planForward calls it on Hopper):
 * for the configurations measured on an H200 with box tiles and with strips, the automatic
 * choice is the one that ran faster (where they differ by more than 5%); the time model never
 * rates the choice slower than the strip plan; natten-2d on a 256 x 256 image with a 13 x 13
 * kernel lists at most a third of the strips' tiles; a pattern without a layout keeps strips;
 * `tiles` 0 never plans boxes. Host half built with
 * g++ (ATTNC_HOST_ONLY).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildHost, problemText, readProblem } from '../../bench/cuda/host.ts';
import { bindSmall } from '../../bench/cuda/suite.ts';
import { CONFIGS } from '../../bench/cuda/box/configs.ts';

let haveGpp = true;
try { execFileSync('g++', ['--version'], { stdio: 'ignore' }); } catch { haveGpp = false; }
if (!haveGpp && process.env.CI) throw new Error('g++ is required under CI: the C++ box planner is checked here');

/** The measured configurations with a layout (bench/cuda/box/configs.ts), and a pattern without one. */
interface Case { id: string; file: string; params: Record<string, string>; S: number }
const stringParams = (p: Record<string, number>) => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, String(v)]));
interface Row { id: string; attnc: Record<string, { ms?: number } | undefined> }
const measured: Row[] = JSON.parse(fs.readFileSync('bench/results/cuda-h200-box-bench-2026-12-02.json', 'utf8')).rows;
const CASES: Case[] = [
  ...CONFIGS.filter((c) => c.file !== 'patterns/radial.attn' && measured.some((r) => r.id === c.id)).map((c) => ({ id: c.id, file: c.file, params: stringParams(c.params), S: c.len })),
  { id: 'causal', file: 'patterns/causal.attn', params: {}, S: 16384 },
];

describe.skipIf(!haveGpp)('box tiles on the CUDA host', () => {
  it('plans boxes where they are cheaper, strips elsewhere', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attnc-box-'));
    const results = await Promise.all(CASES.map(async (c, i) => {
      const bp = bindSmall(c.file, c.params);
      const main = `using namespace attnc_${bp.pattern.name};
int main() { for (;;) { ${readProblem(bp)}
  if (!ok) break;
  for (int tiles = 0; tiles < 3; tiles++) {
    const attnc::HostPlan h = attnc::planBest<Pattern>(&a, ctas, attnc::HostInputs{}, true, tiles);
    printf("%d %d %zu %zu %.3f", h.box_axes, h.block_kv, h.idx.size(), h.fullIdx.size(), attnc::planTime(h));
    for (int j = 0; j < h.box_axes; j++) printf(" %lld/%lld", h.geo.q.shape[j], h.geo.kv.shape[j]);
    printf("\\n");
  } } }`;
      const exe = await buildHost(bp, path.join(dir, String(i)), main, '-O2');
      const text = problemText(bp, { qLen: c.S, kvLen: c.S, heads: 16, batch: 1, blockKv: 0, ctas: 132 }, {}, {});
      const lines = execFileSync(exe, { input: text, maxBuffer: 1 << 26 }).toString().trim().split('\n');
      const [strip, auto, box] = lines.map((l) => {
        const [axes, blockKv, partial, full, time] = l.split(' ').map(Number);
        return { axes, blockKv, tiles: partial + full, partial, full, time, shape: l.split(' ').slice(5).join(' ') };
      });
      return { c, strip, auto, box };
    }));
    for (const { c, strip, auto, box } of results) {
      const what = c.id;
      expect(strip.axes, what).toBe(0);
      expect(auto.time, what).toBeLessThanOrEqual(strip.time);
      const m = measured.find((r) => r.id === c.id);
      if (!m) {
        // No layout: strips whatever is asked.
        expect(auto.axes, what).toBe(0);
        expect(box.axes, what).toBe(0);
        continue;
      }
      expect(box.axes, what).toBeGreaterThanOrEqual(2);
      // The automatic choice is the mode that measured faster on the H200, where they differ by more than 5%.
      const boxMs = m.attnc.box!.ms!, stripMs = m.attnc.strip!.ms!;
      if (boxMs < stripMs / 1.05) expect(auto.axes, `${what}: boxes measured faster`).toBeGreaterThanOrEqual(2);
      if (stripMs < boxMs / 1.05) expect(auto.axes, `${what}: strips measured faster`).toBe(0);
    }
    // natten-2d 256 x 256, kernel 13: at most a third of the strips' tiles (of the same key block).
    const n2 = results.find((r) => r.c.id === 'natten2d_k13_256')!;
    expect(n2.auto.blockKv).toBe(n2.strip.blockKv);
    expect(n2.auto.tiles).toBeLessThanOrEqual(n2.strip.tiles / 3);
  }, 300_000);
});
