/**
 * The Hopper kernel's tile-uniform masks ([Note: Tile-uniform masks] in
 * compiler/ir/tile-uniform.ts): the generated `Pattern::tile` and `Pattern::mask_tile`,
 * compiled for the host (g++, ATTNC_HOST_ONLY) and called as the kernel's `mask_bits` calls
 * them: a warp's 16 rows and a tile's 64 or 128 keys, clamped into the sequences. Wherever
 * `tile` accepts a tile, every element's `mask_tile` equals `mask_eager`; tiles across a frame
 * (row, window) boundary are refused, and some tiles are accepted. And the kernel's whole word
 * (runtime/cuda/attnc/tile_mask.h: the cut of a key block across a boundary, the fallbacks),
 * every warp and lane of random tiles, inside the sequences and across their ends: each bit is
 * the mask at its element (0 outside).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BoundPattern } from '../../compiler/2-check/bind.ts';
import { profitableTileSpecialization } from '../../compiler/ir/tile-uniform.ts';
import { buildHost } from '../../bench/cuda/host.ts';
import { bindSmall } from '../../bench/cuda/suite.ts';

let haveGpp = true;
try { execFileSync('g++', ['--version'], { stdio: 'ignore' }); } catch { haveGpp = false; }

const S = 20000;

/** Checks random warp tiles; prints "tiles accepted refused points mismatches". */
const harness = (name: string, runtime: string[]) => `#include "attnc/tile_mask.h"
using namespace attnc_${name};
using namespace attnc;
template <int BN> static void check(const Params<Pattern, unsigned short>& P, unsigned& seed, long long* n) {
  for (int trial = 0; trial < 3000; trial++) {
    seed = seed * 1103515245u + 12345u;
    const int qw = 16 * (int)((seed >> 8) % (${S} / 16 + 1));
    seed = seed * 1103515245u + 12345u;
    // Near the diagonal half the time, where the tiles of window-like patterns are PARTIAL.
    const int k0 = (trial % 2) ? BN * (int)((seed >> 8) % (${S} / BN + 1)) : amax(0, (qw / BN) * BN - BN * (int)((seed >> 8) % 5));
    const int b = 0, h = trial % 4;
    const int qlo = amin(qw, P.q_len - 1), qhi = amin(qw + 15, P.q_len - 1), khi = amin(k0 + BN - 1, P.kv_len - 1);
    Pattern::Tile t;
    n[0]++;
    if (!Pattern::tile(P, b, h, qlo, qhi, k0, khi, t)) { n[2]++; continue; }
    n[1]++;
    for (int r = 0; r < 16; r++) for (int c = 0; c < BN; c++) {
      const int q = amin(qw + r, P.q_len - 1), k = amin(k0 + c, P.kv_len - 1);
      n[3]++;
      if (Pattern::mask_tile(P, t, b, h, q, k) != Pattern::mask_eager(P, b, h, q, k)) n[4]++;
    }
  }
}
/** The kernel's word (tile_mask.h) of every warp and lane of random tiles; prints "bits mismatches". */
template <int BN> static void words(const Params<Pattern, unsigned short>& P, unsigned& seed, long long* n) {
  for (int trial = 0; trial < 600; trial++) {
    seed = seed * 1103515245u + 12345u;
    const int q0 = 64 * (int)((seed >> 8) % (${S} / 64 + 1));
    seed = seed * 1103515245u + 12345u;
    const int k0 = (trial % 2) ? BN * (int)((seed >> 8) % (${S} / BN + 1)) : amax(0, (q0 / BN) * BN - BN * (int)((seed >> 8) % 5));
    const int b = 0, h = trial % 4;
    const bool inside = q0 + 64 <= P.q_len && k0 + BN <= P.kv_len;
    for (int warp = 0; warp < 4; warp++) for (int lane = 0; lane < 32; lane++) {
      const uint64_t w = inside ? tile_mask_word<true, Pattern, BN>(P, warp, lane, b, h, q0, k0) : tile_mask_word<false, Pattern, BN>(P, warp, lane, b, h, q0, k0);
      for (int j = 0; j < BN / 8; j++) for (int e = 0; e < 4; e++) {
        const int q = q0 + warp * 16 + lane / 4 + 8 * (e >> 1), k = k0 + 8 * j + 2 * (lane % 4) + (e & 1);
        const bool want = q < P.q_len && k < P.kv_len && Pattern::mask_eager(P, b, h, q, k);
        n[5]++;
        if ((bool)((w >> (4 * j + e)) & 1) != want) n[6]++;
      }
    }
  }
}
int main() {
  Params<Pattern, unsigned short> P{};
  P.batch = 1; P.heads = 4; P.kv_heads = 4; P.q_len = ${S}; P.kv_len = ${S} - 37;
${runtime.map((p) => `  P.p_${p} = 37;`).join('\n')}
  unsigned seed = 2026u;
  long long n[7] = {0, 0, 0, 0, 0, 0, 0};
  check<64>(P, seed, n);
  check<128>(P, seed, n);
  words<64>(P, seed, n);
  words<128>(P, seed, n);
  printf("%lld %lld %lld %lld %lld %lld %lld\\n", n[0], n[1], n[2], n[3], n[4], n[5], n[6]);
}
`;

/** Bundled patterns (with defaults, and with video-like sizes) whose kernels take the tile-uniform path. */
function specialized(): BoundPattern[] {
  const out: BoundPattern[] = [];
  for (const f of fs.readdirSync('patterns').filter((x) => x.endsWith('.attn')).sort()) {
    for (const params of [{}, { frame_tokens: '200', frames: '40', window: '512', min_window: '64' }, { frame_tokens: '203', frames: '60', window: '256', min_window: '64' }] as Record<string, string>[]) {
      let bp: BoundPattern;
      try { bp = bindSmall(`patterns/${f}`, params); } catch { continue; }
      if (bp.inputs.length === 0 && !bp.select && profitableTileSpecialization(bp.mask)) out.push(bp);
    }
  }
  return out;
}

describe.skipIf(!haveGpp)('tile-uniform masks of the Hopper kernel', () => {
  it('evaluate every element of an accepted tile as the mask does', async () => {
    const pats = specialized();
    expect(pats.map((p) => p.pattern.name)).toContain('radial');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attnc-tile-'));
    const results = await Promise.all(pats.map(async (bp, i) => {
      const exe = await buildHost(bp, path.join(dir, String(i)), harness(bp.pattern.name, bp.runtimeParams.map((p) => p.name)), '-O2');
      const [tiles, accepted, refused, points, wrong, bits, wrongBits] = execFileSync(exe, { encoding: 'utf8' }).trim().split(' ').map(Number);
      return { name: bp.pattern.name, tiles, accepted, refused, points, wrong, bits, wrongBits };
    }));
    for (const r of results) {
      expect(r.wrong, r.name).toBe(0);
      expect(r.tiles, r.name).toBe(6000);
      expect(r.wrongBits, `${r.name}: bits of tile_mask_word`).toBe(0);
      expect(r.bits, r.name).toBe(600 * 4 * 32 * (64 + 128) / 2);
    }
    // Radial's frames (3600, 200 or 203 tokens) hold most warp tiles; some cross a boundary.
    for (const r of results.filter((x) => x.name === 'radial')) {
      expect(r.accepted).toBeGreaterThan(2000);
      expect(r.refused).toBeGreaterThan(50);
      expect(r.points).toBeGreaterThan(1_000_000);
    }
  }, 300_000);
});
