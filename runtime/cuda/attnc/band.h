// attnc CUDA runtime: the Hopper kernel's diagonal band (PARTIAL tiles of MASK_DIAGONAL patterns).
// Its index arithmetic is host-visible so that host-only builds (the tests) can check it against
// the mask.
#pragma once
#include <cstdint>
#include "int_ops.h"

namespace attnc {

/**
 * The mask of one PARTIAL kv step of a diagonal pattern (Pattern::MASK_DIAGONAL: the predicate
 * depends on q - k only), for a tile inside q_len x kv_len. A warp's 16 rows and BN columns
 * meet BN + 15 diagonals; each lane evaluates the predicate on a few of them, one point per
 * diagonal, and a ballot gathers the band (bit i: diagonal q - k = qw - (k0 + BN - 1) + i).
 * Each thread then shifts the band so that its elements sit at fixed bits: element e of column
 * group j is bit BN - 7 + 8 (e / 2) - 8 j - e % 2. BN + 15 evaluations per warp instead of
 * 16 x BN.
 */
template <int BN>
struct BandMask {
  static constexpr int WORDS = (BN + 15 + 31) / 32;
  uint32_t w[WORDS];
  ATTNC_HD bool live(int j, int e) const {
    const int m = BN - 7 + 8 * (e >> 1) - 8 * j - (e & 1);
    return (w[m >> 5] >> (m & 31)) & 1;
  }
};
/**
 * Diagonal `idx` (0 .. BN + 14) of the band of the warp whose 16 rows start at qw, at a point
 * (r, c) of the tile at k0: the first row from the last column on, then the first column from
 * row 1 on.
 */
template <int BN>
ATTNC_HD void band_point(int qw, int k0, int idx, int& r, int& c) {
  r = qw + amax(0, idx - (BN - 1));
  c = r - (qw - (k0 + BN - 1) + idx);
}
/**
 * A lane's first element (row g = lane / 4, column 2 t, t = lane % 4) lies on band bit
 * BN - 1 + g - 2 t: shifting the band right by g - 2 t + 6 (0 .. 13) puts its elements at the
 * fixed bits BandMask::live reads.
 */
ATTNC_HD int band_shift(int lane) { return lane / 4 - 2 * (lane % 4) + 6; }

}  // namespace attnc
