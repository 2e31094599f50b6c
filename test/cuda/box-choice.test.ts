/**
 * Box tiles on the CUDA host (`planBest` with tiles allowed, as planForward calls it on Hopper):
 * 2-D and 3-D neighbourhoods plan box tiles with far fewer listed tiles than strips (natten-2d
 * on a 256 x 256 image with a 13 x 13 kernel: at most a third), the time model never rates the
 * choice slower than the strip plan, a pattern without a layout keeps strips, and `tiles` 0
 * never plans boxes. Host half built with
 * g++ (ATTNC_HOST_ONLY).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildHost, problemText, readProblem } from '../../bench/cuda/host.ts';
import { bindSmall } from '../../bench/cuda/suite.ts';

let haveGpp = true;
try { execFileSync('g++', ['--version'], { stdio: 'ignore' }); } catch { haveGpp = false; }
if (!haveGpp && process.env.CI) throw new Error('g++ is required under CI: the C++ box planner is checked here');

/** `boxes`: box tiles must be chosen, with at most `fraction` of the strips' tiles. */
interface Case { file: string; params: Record<string, string>; S: number; boxes: boolean; fraction?: number }
const CASES: Case[] = [
  { file: 'patterns/natten-2d.attn', params: { kernel_y: '13', kernel_x: '13', height: '256', width: '256' }, S: 65536, boxes: true, fraction: 1 / 3 },
  { file: 'patterns/natten-2d.attn', params: { kernel_y: '7', kernel_x: '7', height: '128', width: '128' }, S: 16384, boxes: true },
  // Patterns where boxes barely help may keep either; the time model decides.
  { file: 'patterns/swin.attn', params: { window: '8', height: '128', width: '128' }, S: 16384, boxes: false },
  { file: 'patterns/natten-3d.attn', params: { kernel_t: '7', kernel_y: '7', kernel_x: '7', frames: '16', height: '64', width: '64' }, S: 65536, boxes: true, fraction: 1 / 2 },
  { file: 'patterns/causal.attn', params: {}, S: 16384, boxes: false },
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
      const what = `${c.file} ${JSON.stringify(c.params)}`;
      expect(strip.axes, what).toBe(0);
      expect(auto.time, what).toBeLessThanOrEqual(strip.time);
      if (c.boxes) {
        expect(auto.axes, what).toBeGreaterThanOrEqual(2);
        expect(box.axes, what).toBeGreaterThanOrEqual(2);
      }
      if (c.fraction) expect(auto.tiles, what).toBeLessThanOrEqual(strip.tiles * c.fraction);
      if (c.file === 'patterns/causal.attn') {
        expect(auto.axes, what).toBe(0);
        expect(box.axes, what).toBe(0);
      }
    }
  }, 300_000);
});
