// attnc CUDA runtime: the Hopper forward's mask of one PARTIAL tile as a word of bits per thread
// (forward_sm90.cuh, `mask_bits`). Host-compilable, so that test/cuda/tile-uniform.test.ts runs
// it, lane by lane, against the pattern's mask.
//
// Bit 4 j + e is element e of column group j of the thread's accumulator fragment: rows
// qa = q0 + 16 warp + lane / 4 and qa + 8 (e >> 1), keys k0 + 8 j + 2 (lane % 4) + (e & 1).
// INSIDE: the tile lies within q_len x kv_len, so range checks and clamps are left out; else
// points outside are 0 and the mask is evaluated at points clamped into the sequences.
#pragma once
#include <cstdint>
#include "config.h"
#include "int_ops.h"
#include "pattern.h"

namespace attnc {

/** The 4 bits of column group j for this thread's rows qa, qa + 8; `mask(q, k)` at points inside the sequences. */
template <bool INSIDE, class PP, class Mask>
ATTNC_HD uint32_t mask_group(const PP& P, int lane, int qa, int k0, int j, const Mask& mask) {
  const int qb = qa + 8;
  const int qa_c = INSIDE ? qa : amin(qa, P.q_len - 1), qb_c = INSIDE ? qb : amin(qb, P.q_len - 1);
  const bool qa_in = INSIDE || qa < P.q_len, qb_in = INSIDE || qb < P.q_len;
  const int k = k0 + j * 8 + 2 * (lane % 4);
  const int k1 = k + 1;
  const bool k_in = INSIDE || k < P.kv_len, k1_in = INSIDE || k1 < P.kv_len;
  const int k_c = INSIDE ? k : amin(k, P.kv_len - 1), k1_c = INSIDE ? k1 : amin(k1, P.kv_len - 1);
  return (uint32_t)(qa_in & k_in & mask(qa_c, k_c)) | ((uint32_t)(qa_in & k1_in & mask(qa_c, k1_c)) << 1) |
         ((uint32_t)(qb_in & k_in & mask(qb_c, k_c)) << 2) | ((uint32_t)(qb_in & k1_in & mask(qb_c, k1_c)) << 3);
}

/** All BN / 8 column groups, UNROLL at a time. */
template <bool INSIDE, int BN, int UNROLL, class PP, class Mask>
ATTNC_HD uint64_t mask_word(const PP& P, int lane, int qa, int k0, const Mask& mask) {
  uint64_t bits = 0;
#ifdef __CUDA_ARCH__
  #pragma unroll (UNROLL)
#endif
  for (int j = 0; j < BN / 8; j++) bits |= (uint64_t)mask_group<INSIDE>(P, lane, qa, k0, j, mask) << (4 * j);
  return bits;
}

/**
 * The word of a tile-uniform pattern ([Note: Tile-uniform masks] in compiler/ir/tile-uniform.ts).
 * `Pattern::tile` is asked about the warp's 16 rows and the tile's keys (clamped into the
 * sequences as the points are): where the mask's coarse coordinates are constant there, every
 * element evaluates `mask_tile`. A key block across one boundary of them (a video frame that
 * is not a multiple of the block) is cut where the key atoms first change, found by bisection
 * (`same_keys`: the atoms are monotone in k): each side gets its own `tile`, and a column group
 * that straddles the cut evaluates the whole mask. Everything else evaluates the whole mask.
 * The branches are uniform per warp; the loops are rolled (few registers beside the products).
 */
template <bool INSIDE, class Pat, int BN, class PP>
ATTNC_HD uint64_t tile_mask_word(const PP& P, int warp, int lane, int b, int h, int q0, int k0) {
  const int qw = q0 + warp * 16, qa = qw + lane / 4;
  const int qlo = INSIDE ? qw : amin(qw, P.q_len - 1), qhi = INSIDE ? qw + 15 : amin(qw + 15, P.q_len - 1);
  const int khi = INSIDE ? k0 + BN - 1 : amin(k0 + BN - 1, P.kv_len - 1);
  const auto tiled = [&](const typename Pat::Tile& t) { return [&P, &t, b, h](int q, int k) { return Pat::mask_tile(P, t, b, h, q, k); }; };
  const auto whole = [&P, b, h](int q, int k) { return Pat::mask_eager(P, b, h, q, k); };
  typename Pat::Tile t;
  if (Pat::tile(P, b, h, qlo, qhi, k0, khi, t)) return mask_word<INSIDE, BN, 1>(P, lane, qa, k0, tiled(t));
  if (!Pat::KEY_ATOMS) return mask_word<INSIDE, BN, Pat::MASK_UNROLL>(P, lane, qa, k0, whole);
  int last = k0;  // keys k0 .. last share k0's key atoms
  for (int step = BN / 2; step > 0; step >>= 1)
    if (last + step <= khi && Pat::same_keys(P, b, h, k0, last + step)) last += step;
  const int cut = last + 1;
  bool ok = Pat::tile(P, b, h, qlo, qhi, k0, last, t), after = false;
  uint64_t bits = 0;
#ifdef __CUDA_ARCH__
  #pragma unroll 1
#endif
  for (int j = 0; j < BN / 8; j++) {
    const int g0 = k0 + 8 * j;
    if (!after && g0 >= cut) {
      after = true;
      ok = cut <= khi && Pat::tile(P, b, h, qlo, qhi, cut, khi, t);
    }
    const bool one_side = g0 + 7 < cut || g0 >= cut;
    const uint32_t m4 = ok && one_side ? mask_group<INSIDE>(P, lane, qa, k0, j, tiled(t)) : mask_group<INSIDE>(P, lane, qa, k0, j, whole);
    bits |= (uint64_t)m4 << (4 * j);
  }
  return bits;
}

}  // namespace attnc
