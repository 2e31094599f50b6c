/**
 * The Hopper kernel's diagonal band (PARTIAL tiles of patterns whose mask depends on q - k
 * only): the generated index arithmetic (`band_point`, `band_shift`, `BandMask::live`),
 * compiled for the host (g++, ATTNC_HOST_ONLY), with the warp's ballot and funnel shifts
 * emulated as the kernel's `band_mask` does them. For every diagonal bundled pattern, both key
 * blocks, every warp and lane of random tiles inside the sequences: each element's bit equals
 * the mask at that element.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildHost } from '../../bench/cuda/host.ts';
import { bindSmall } from '../../bench/cuda/suite.ts';
import { dependsOnlyOnDiagonal } from '../../compiler/ir/diagonal.ts';

let haveGpp = true;
try { execFileSync('g++', ['--version'], { stdio: 'ignore' }); } catch { haveGpp = false; }

const S = 4096;

/** Checks BN's band for `tiles` random tiles; prints "checked live dead mismatches". */
const harness = (name: string, runtime: string[]) => `using namespace attnc_${name};
using namespace attnc;
template <int BN> static void check(const Params<Pattern, unsigned short>& P, unsigned& seed, long long* n) {
  constexpr int WORDS = BandMask<BN>::WORDS, DIAGONALS = BN + 15;
  for (int trial = 0; trial < 40; trial++) {
    seed = seed * 1103515245u + 12345u;
    const int q0 = 128 * (int)((seed >> 8) % (${S} / 128));
    seed = seed * 1103515245u + 12345u;
    // Near the diagonal half the time, where the tiles of window-like patterns are PARTIAL.
    const int k0 = (trial % 2) ? BN * (int)((seed >> 8) % (${S} / BN)) : (q0 / BN) * BN - BN * (int)((seed >> 8) % 3);
    if (k0 < 0) continue;
    const int h = trial % 4;
    for (int w = 0; w < 8; w++) {
      const int qw = q0 + 16 * w;
      uint32_t band[WORDS] = {};
      for (int i = 0; i < WORDS; i++) for (int lane = 0; lane < 32; lane++) {  // __ballot_sync
        const int idx = amin(32 * i + lane, DIAGONALS - 1);
        int r, c;
        band_point<BN>(qw, k0, idx, r, c);
        if (32 * i + lane < DIAGONALS && Pattern::mask_eager(P, 0, h, r, c)) band[i] |= 1u << lane;
      }
      for (int lane = 0; lane < 32; lane++) {
        const int s = band_shift(lane);
        BandMask<BN> m;
        for (int i = 0; i < WORDS - 1; i++) m.w[i] = (uint32_t)(((((uint64_t)band[i + 1]) << 32) | band[i]) >> s);  // __funnelshift_r
        m.w[WORDS - 1] = band[WORDS - 1] >> s;
        for (int j = 0; j < BN / 8; j++) for (int e = 0; e < 4; e++) {
          const int row = qw + lane / 4 + 8 * (e >> 1), col = k0 + 8 * j + 2 * (lane % 4) + (e & 1);
          const bool want = Pattern::mask_eager(P, 0, h, row, col);
          n[0]++; n[want ? 1 : 2]++;
          if (m.live(j, e) != want) n[3]++;
        }
      }
    }
  }
}
int main() {
  Params<Pattern, unsigned short> P{};
  P.batch = 1; P.heads = 4; P.kv_heads = 4; P.q_len = ${S}; P.kv_len = ${S};
${runtime.map((p) => `  P.p_${p} = 37;`).join('\n')}
  unsigned seed = 12345u;
  long long n[4] = {0, 0, 0, 0};
  check<64>(P, seed, n);
  check<128>(P, seed, n);
  printf("%lld %lld %lld %lld\\n", n[0], n[1], n[2], n[3]);
}
`;

describe.skipIf(!haveGpp)('diagonal band of the Hopper kernel', () => {
  it('puts every element\'s mask bit where the kernel reads it', async () => {
    const files = fs.readdirSync('patterns').filter((f) => f.endsWith('.attn')).map((f) => `patterns/${f}`);
    const diagonal = files.map((f) => bindSmall(f)).filter((bp) => dependsOnlyOnDiagonal(bp.mask));
    expect(diagonal.length).toBeGreaterThanOrEqual(6);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attnc-band-'));
    const results = await Promise.all(diagonal.map(async (bp, i) => {
      const exe = await buildHost(bp, path.join(dir, String(i)), harness(bp.pattern.name, bp.runtimeParams.map((p) => p.name)), '-O2');
      const [checked, live, dead, wrong] = execFileSync(exe, { encoding: 'utf8' }).trim().split(' ').map(Number);
      return { name: bp.pattern.name, checked, live, dead, wrong };
    }));
    for (const r of results) {
      expect(r.wrong, r.name).toBe(0);
      expect(r.checked, r.name).toBeGreaterThan(100_000);
    }
    // The tiles are not all empty or all full: both outcomes occur.
    expect(results.every((r) => r.live > 0 && r.dead > 0)).toBe(true);
  }, 300_000);
});
