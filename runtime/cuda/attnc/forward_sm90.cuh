#pragma once
#include <cuda.h>
#include "band.h"
#include "box_tiles.cuh"
#include "forward_sm80.cuh"
#include "tile_mask.h"

// attnc CUDA runtime. Hopper path (sm_90a): the same tile body on warpgroup MMAs (`wgmma.mma_async`).
//
//   qBlock    BLOCK_M = 128 query rows, one CTA of 3 warpgroups: a producer that copies Q, K
//             and V tiles into shared memory, and 2 consumers; consumer c owns rows 64 c ..
//             Head dim 64 (threeConsumers in launch.cuh): 192 rows and 3 consumers, each
//             skipping the key blocks its own 64 rows do not see (planThree in plan_host.h)
//   kvBlock   one schedule tile of BN = blockKv keys per step (64 or 128)
//   S = Q K^T   A (Q) and B (K) read straight from shared memory by the tensor cores
//   O += P V    A (P) from registers (the S accumulators, rounded), B (V) from shared memory,
//               transposed by the instruction
// Shared tiles are stored as panels of 64 columns (128 bytes per row), rows 128 bytes apart,
// 16-byte chunk c of row r at c ^ (r % 8): the 128-byte swizzle the instruction's
// shared-memory descriptors name, so the same bytes serve K-major (Q, K) and MN-major (V)
// operands. The producer's copies (TMA from one thread where the strides allow, else cp.async
// from all 128) complete on mbarriers (full: data landed; empty: both consumers are done with a
// buffer), two buffers each for K and V, so the consumers never wait on each other. Registers move from the producer to the consumers (setmaxnreg).
// The kernel body exists only when compiled for sm_90a (elsewhere the host never launches
// it: see `sm90Available`).
// ---------------------------------------------------------------------------------------------

namespace attnc {

/** Threads of a CTA with NC consumer warpgroups and the producer. */
template <int NC> constexpr int sm90Threads() { return 128 * (NC + 1); }
constexpr int SM90_THREADS = sm90Threads<2>();
constexpr int SM90_BARRIER_BYTES = 128;
// Register split (setmaxnreg): the CTA is launched with 168 registers per thread (65536 / 384,
// rounded down to a multiple of 8), and the warpgroups can only trade registers within that
// allocation: a consumer's increase waits until the producer's decrease has freed enough, so a
// split over the allocation never completes (the kernel hangs); it is checked below. The widest
// tile (head dim 128, 128 keys) gives the consumers 240 and leaves the producer 24, where ptxas
// parks a few words of its copy loop; the others fit 232 and give the producer 32. Head dim
// 256 (64 keys only: 128 keys would need 320 KB of shared memory) holds 128 O accumulators per
// thread but a serial softmax (one copy of P) and fits 232 too; with 240 / 24 its producer spilled. Three consumers (head dim 64: see
// threeConsumers in launch.cuh) are launched with 128 registers per thread (65536 / 512) and split 160 / 32.
template <int D, int BN, int NC = 2> struct Sm90Regs {
  static constexpr bool wide = D == 128 && BN == 128;
  static constexpr int producer = wide ? 24 : 32;
  static constexpr int consumer = NC == 3 ? 160 : wide ? 240 : 232;
  static constexpr int launched = 65536 / sm90Threads<NC>() / 8 * 8;
  static_assert(128 * (producer + NC * consumer) <= sm90Threads<NC>() * launched, "setmaxnreg split exceeds the CTA's registers");
  static_assert(producer % 8 == 0 && consumer % 8 == 0 && producer >= 24 && consumer <= 256, "setmaxnreg counts");
};

/**
 * Tensor maps for the producer's TMA copies (`cp.async.bulk.tensor`), one per operand, over
 * [batch, heads, seq, head_dim] with boxes of 64 columns (one 128-byte panel row) by a tile's
 * rows and the same 128-byte swizzle; rows past the sequence arrive as zeros. `enabled` = 0:
 * the producer copies with cp.async instead (where TMA cannot describe the strides, or with
 * ATTNC_CUDA_TMA=0).
 */
struct Sm90Maps {
  CUtensorMap q, k, v;
  int enabled;
};

#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
#include "wgmma_ops.cuh"

__device__ __forceinline__ void wgmma_fence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void wgmma_commit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }
template <int N> __device__ __forceinline__ void wgmma_wait() { asm volatile("wgmma.wait_group.sync.aligned %0;\n" :: "n"(N) : "memory"); }
/** Keeps the compiler from moving accumulator reads or writes across an async MMA boundary. */
template <int N> __device__ __forceinline__ void fence_regs(float (&r)[N]) {
  #pragma unroll
  for (int i = 0; i < N; i++) asm volatile("" : "+f"(r[i])::"memory");
}
/** cp.async (generic proxy) writes become visible to the tensor cores' (async proxy) reads. */
__device__ __forceinline__ void fence_proxy_async() { asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory"); }

__device__ __forceinline__ void mbar_init(uint32_t bar, int count) { asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" :: "r"(bar), "r"(count) : "memory"); }
/**
 * Waits until the phase of parity `parity` has completed (a fresh barrier counts parity 1 as
 * done). A try_wait returns when the phase completes or after a hardware time limit; 2^26
 * failed tries, far longer than any step takes, mean the pipeline is stuck (a bug), and the
 * launch fails instead of hanging.
 */
__device__ __forceinline__ void mbar_wait(uint32_t bar, int parity) {
  uint32_t done = 0, tries = 0;
  do {
    asm volatile("{\n.reg .pred p;\nmbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2;\nselp.u32 %0, 1, 0, p;\n}\n" : "=r"(done) : "r"(bar), "r"(parity) : "memory");
    if (!done && ++tries == (1u << 26)) asm volatile("trap;");
  } while (!done);
}
__device__ __forceinline__ void mbar_arrive(uint32_t bar) { asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];\n" :: "r"(bar) : "memory"); }
/** Arrives on `bar` once every cp.async this thread has issued so far has landed. */
__device__ __forceinline__ void cp_async_arrive(uint32_t bar) { asm volatile("cp.async.mbarrier.arrive.noinc.shared::cta.b64 [%0];\n" :: "r"(bar) : "memory"); }

/** One arrival on `bar` that also expects `bytes` more bytes of asynchronous copies to land. */
__device__ __forceinline__ void mbar_arrive_expect_tx(uint32_t bar, uint32_t bytes) { asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" :: "r"(bar), "r"(bytes) : "memory"); }
/** TMA: the box at (column, row, head, batch) of `map` into shared memory, completing on `bar`. */
__device__ __forceinline__ void tma_load(uint32_t dst, const CUtensorMap* map, int c0, int c1, int c2, int c3, uint32_t bar) {
  asm volatile("cp.async.bulk.tensor.4d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3, %4, %5}], [%6];\n"
               :: "r"(dst), "l"(reinterpret_cast<uint64_t>(map)), "r"(c0), "r"(c1), "r"(c2), "r"(c3), "r"(bar) : "memory");
}
/** A tile of ROWS rows from `row` on as D / 64 panels (the same layout `load_panels` writes). */
template <int D, int ROWS>
__device__ __forceinline__ void tma_panels(uint32_t smem, const CUtensorMap* map, int row, int head, int batch, uint32_t bar) {
  #pragma unroll
  for (int p = 0; p < D / 64; p++) tma_load(smem + p * ROWS * 128, map, p * 64, row, head, batch, bar);
}

/**
 * TMA copies of one box tile (box_tiles.cuh): per run of `rows` tokens from token `corner +
 * runTok[r]`, its D / 64 panels, into the panel layout (run r at row r * rows).
 */
template <int D, int ROWS>
__device__ __forceinline__ void tma_box_panels(uint32_t smem, const CUtensorMap* map, const int* runTok, int rows, int corner, int head, int batch, uint32_t bar) {
  #pragma unroll 1
  for (int r = 0; r < ROWS / rows; r++) {
    const int tok = corner + runTok[r];
    #pragma unroll
    for (int p = 0; p < D / 64; p++) tma_load(smem + p * ROWS * 128 + r * rows * 128, map, p * 64, tok, head, batch, bar);
  }
}

__device__ __forceinline__ void named_sync(int id, int threads) { asm volatile("bar.sync %0, %1;\n" :: "r"(id), "r"(threads) : "memory"); }
__device__ __forceinline__ void named_arrive(int id, int threads) { asm volatile("bar.arrive %0, %1;\n" :: "r"(id), "r"(threads) : "memory"); }

/** Shared-memory matrix descriptor: 128-byte swizzle, byte offsets LBO / SBO. */
__device__ __forceinline__ uint64_t smem_desc(uint32_t addr, uint32_t lbo, uint32_t sbo) {
  return (uint64_t)((addr & 0x3FFFF) >> 4) | ((uint64_t)((lbo & 0x3FFFF) >> 4) << 16) | ((uint64_t)((sbo & 0x3FFFF) >> 4) << 32) | (1ull << 62);
}

/**
 * Copies ROWS rows of D elements into the panel layout; rows >= `len` and columns >= `cols`
 * (the tensor's head dim) become zeros. Producer
 * thread `tid` (of 128) owns 16-byte chunk tid % (D / 8) of every (128 / (D / 8))-th row.
 */
template <typename T, int D, int ROWS>
__device__ __forceinline__ void load_panels(int tid, uint32_t smem, const T* gmem, int64_t row_stride, int len, int cols) {
  constexpr int CHUNKS = D / 8;
  constexpr int ROWS_PER_PASS = 128 / CHUNKS;
  static_assert(ROWS % ROWS_PER_PASS == 0 && (ROWS_PER_PASS % 8 == 0 || 8 % ROWS_PER_PASS == 0), "tile shape");
  const int c = tid % CHUNKS, r0 = tid / CHUNKS;
  if (c * 8 >= cols) len = 0;  // a padding column: zeros in every row
  const T* g = gmem + (int64_t)r0 * row_stride + c * 8;
  if constexpr (ROWS_PER_PASS % 8 == 0) {
    // The row's swizzle (r % 8) is the same on every pass: the address just advances.
    uint32_t s = smem + (c / 8) * ROWS * 128 + r0 * 128 + (((c % 8) ^ (r0 & 7)) << 4);
    #pragma unroll 1
    for (int r = r0; r < ROWS; r += ROWS_PER_PASS) {
      asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" :: "r"(s), "l"(r < len ? g : gmem), "r"(r < len ? 16 : 0));
      s += ROWS_PER_PASS * 128;
      g += ROWS_PER_PASS * row_stride;
    }
  } else {
    // Head dim 256: 4 rows per pass, so the swizzle alternates; the address is formed per row.
    const uint32_t panel = smem + (c / 8) * ROWS * 128;
    #pragma unroll 1
    for (int r = r0; r < ROWS; r += ROWS_PER_PASS) {
      const uint32_t s = panel + r * 128 + (((c % 8) ^ (r & 7)) << 4);
      asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" :: "r"(s), "l"(r < len ? g : gmem), "r"(r < len ? 16 : 0));
      g += ROWS_PER_PASS * row_stride;
    }
  }
}

/** Issues S = Q K^T for this warpgroup's 64 rows of the ROWS in `Qs` (asynchronous: one commit group). */
template <typename T, int D, int BN, int ROWS>
__device__ __forceinline__ void issue_qk(int wg, uint32_t Qs, uint32_t Ks, float (&s)[BN / 2]) {
  wgmma_fence();
  #pragma unroll
  for (int kk = 0; kk < D / 16; kk++) {
    const uint64_t da = smem_desc(Qs + (kk / 4) * ROWS * 128 + wg * 64 * 128 + (kk % 4) * 32, 16, 1024);
    const uint64_t db = smem_desc(Ks + (kk / 4) * BN * 128 + (kk % 4) * 32, 16, 1024);
    wgmma_ss<T, BN>(s, da, db, kk > 0);
  }
  wgmma_commit();
}

/** Issues O += P V (asynchronous: one commit group); P in the A-register layout. */
template <typename T, int D, int BN>
__device__ __forceinline__ void issue_pv(uint32_t Vs, const uint32_t (&p)[BN / 16][4], float (&o)[D / 2]) {
  wgmma_fence();
  #pragma unroll
  for (int kk = 0; kk < BN / 16; kk++) wgmma_rs<T, D>(o, p[kk], smem_desc(Vs + kk * 16 * 128, BN * 128, 1024));
  wgmma_commit();
}

/** The mask of a FULL kv step: every element live. */
struct AllLive {
  __device__ __forceinline__ bool live(int, int) const { return true; }
};

/**
 * The mask of one PARTIAL kv step as bits (tile_mask.h): bit 4 j + e is element e of column
 * group j of this thread's accumulator fragment (rows g and g + 8 of its warp's 16). INSIDE: the
 * whole tile lies within q_len x kv_len, so the range checks and clamps are left out.
 * Pattern::MASK_UNROLL column groups are evaluated together; a tile-uniform pattern takes
 * tile_mask_word.
 */
struct BitMask {
  uint64_t bits;
  __device__ __forceinline__ bool live(int j, int e) const { return (bits >> (4 * j + e)) & 1; }
};
template <bool INSIDE, class Pat, typename T, int BN>
__device__ __forceinline__ BitMask mask_bits(const Params<Pat, T>& P, int tid, int b, int h, int q0, int k0) {
  const int warp = tid / 32, lane = tid % 32;
  if constexpr (TileUniform<Pat>::value) {
    // q0 opaque: what the masks compute from the rows alone is recomputed per tile, not hoisted
    // out of the kv loop, where it would hold registers across the products.
    asm volatile("" : "+r"(q0));
    return BitMask{tile_mask_word<INSIDE, Pat, BN>(P, warp, lane, b, h, q0, k0)};
  } else {
    return BitMask{mask_word<INSIDE, BN, Pat::MASK_UNROLL>(P, lane, q0 + warp * 16 + lane / 4, k0, [&](int q, int k) { return Pat::mask_eager(P, b, h, q, k); })};
  }
}

/**
 * mask_bits for box tiles: this thread's query rows are the tokens `qa`, `qb` (-1: padding), and
 * the key tile is the box at corner `kc` (box_tiles.cuh); `tab` holds the run tables. Column
 * group j (8 keys) lies in run (8 j) >> log2 of the key box's last side.
 */
template <class Pat, typename T, int BN>
__device__ __forceinline__ BitMask mask_bits_box(const Params<Pat, T>& P, const int* tab, int tid, int b, int h, int qa, int qb, const BoxCorner& kc) {
  const int t = (tid % 32) % 4;
  const int lg = P.box_kv_log[P.box_axes - 1];
  const bool qa_in = qa >= 0, qb_in = qb >= 0;
  const int qa_c = qa_in ? qa : 0, qb_c = qb_in ? qb : 0;
  uint64_t bits = 0;
  #pragma unroll (Pat::MASK_UNROLL)
  for (int j = 0; j < BN / 8; j++) {
    const int run = (j * 8) >> lg, o = ((j * 8) & ((1 << lg) - 1)) + 2 * t;
    const bool inside = run_inside(tab[3 * BOX_MAX_RUNS + run], kc);
    const int k = kc.tok + tab[2 * BOX_MAX_RUNS + run] + o, k1 = k + 1;
    const bool k_in = inside && o < kc.last && k < P.kv_len, k1_in = inside && o + 1 < kc.last && k1 < P.kv_len;
    const int k_c = k_in ? k : 0, k1_c = k1_in ? k1 : 0;
    const uint32_t m4 = (uint32_t)(qa_in & k_in & Pat::mask_eager(P, b, h, qa_c, k_c)) | ((uint32_t)(qa_in & k1_in & Pat::mask_eager(P, b, h, qa_c, k1_c)) << 1) |
                        ((uint32_t)(qb_in & k_in & Pat::mask_eager(P, b, h, qb_c, k_c)) << 2) | ((uint32_t)(qb_in & k1_in & Pat::mask_eager(P, b, h, qb_c, k1_c)) << 3);
    bits |= (uint64_t)m4 << (4 * j);
  }
  return BitMask{bits};
}

/** The band of this thread's warp for the tile at (q0, k0): see BandMask. */
template <class Pat, typename T, int BN>
__device__ __forceinline__ BandMask<BN> band_mask(const Params<Pat, T>& P, int tid, int b, int h, int q0, int k0) {
  constexpr int WORDS = BandMask<BN>::WORDS, DIAGONALS = BN + 15;
  const int lane = tid % 32, qw = q0 + (tid / 32) * 16;
  uint32_t band[WORDS];
  #pragma unroll
  for (int i = 0; i < WORDS; i++) {
    const int idx = amin(32 * i + lane, DIAGONALS - 1);
    int r, c;
    band_point<BN>(qw, k0, idx, r, c);
    band[i] = __ballot_sync(0xffffffffu, 32 * i + lane < DIAGONALS && Pat::mask_eager(P, b, h, r, c));
  }
  const int s = band_shift(lane);
  BandMask<BN> m;
  #pragma unroll
  for (int i = 0; i < WORDS - 1; i++) m.w[i] = __funnelshift_r(band[i], band[i + 1], s);
  m.w[WORDS - 1] = band[WORDS - 1] >> s;
  return m;
}

/**
 * The scores of one kv step from `k0` to probabilities: scale and score modifications, the
 * mask (AllLive for FULL steps: no test), the online-softmax update of m and l, the factor alpha by which O must
 * be rescaled, and P rounded to T in the A-register layout (n-tiles 2kk, 2kk + 1 = k step kk).
 */
template <typename Mask, class Pat, typename T, int BN>
__device__ __forceinline__ void softmax_step(const Params<Pat, T>& P, int tid, int b, int h, int q0, int k0, const Mask& mask, float (&s)[BN / 2], float (&m)[2],
                                             float (&l)[2], float (&alpha)[2], uint32_t (&p)[BN / 16][4]) {
  const int warp = tid / 32, lane = tid % 32;
  const int g = lane / 4, t = lane % 4;
  const int qa = q0 + warp * 16 + g;
  // With score modifications the scores below are already in the log2 domain (factor 1); without,
  // raw scores are scaled inside the exponent (one FFMA; scale_log2 > 0).
  const float factor = Pat::HAS_SCORE_MOD ? 1.f : P.scale_log2;
  #pragma unroll
  for (int j = 0; j < BN / 8; j++) {
    #pragma unroll
    for (int e = 0; e < 4; e++) {
      const int q = qa + (e >= 2 ? 8 : 0);
      const int k = k0 + j * 8 + 2 * t + (e & 1);
      float x = s[j * 4 + e];
      if constexpr (Pat::HAS_SCORE_MOD) x = Pat::score(P, b, h, q, k, x * P.scale) * LOG2E;
      if (!mask.live(j, e)) x = -INFINITY;
      s[j * 4 + e] = x;
      (void)q; (void)k;
    }
  }
  // Row max and sum with four independent partial results each (short dependency chains).
  #pragma unroll
  for (int r = 0; r < 2; r++) {
    float mp[4] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY};
    #pragma unroll
    for (int j = 0; j < BN / 8; j++) mp[j % 4] = fmaxf(mp[j % 4], fmaxf(s[j * 4 + 2 * r], s[j * 4 + 2 * r + 1]));
    float mx = fmaxf(fmaxf(mp[0], mp[1]), fmaxf(mp[2], mp[3]));
    mx = fmaxf(mx, __shfl_xor_sync(0xffffffff, mx, 1));
    mx = fmaxf(mx, __shfl_xor_sync(0xffffffff, mx, 2));
    const float mnew = fmaxf(m[r], mx * factor);
    const float base = mnew == -INFINITY ? 0.f : mnew;
    alpha[r] = m[r] == -INFINITY ? 0.f : exp2f(m[r] - base);
    float sp[4] = {0.f, 0.f, 0.f, 0.f};
    #pragma unroll
    for (int j = 0; j < BN / 8; j++) {
      s[j * 4 + 2 * r] = exp2f(fmaf(s[j * 4 + 2 * r], factor, -base));
      s[j * 4 + 2 * r + 1] = exp2f(fmaf(s[j * 4 + 2 * r + 1], factor, -base));
      sp[j % 4] += s[j * 4 + 2 * r] + s[j * 4 + 2 * r + 1];
    }
    l[r] = l[r] * alpha[r] + ((sp[0] + sp[1]) + (sp[2] + sp[3]));
    m[r] = mnew;
  }
  using V2 = Vec2<T>;
  #pragma unroll
  for (int kk = 0; kk < BN / 16; kk++) {
    typename V2::type p0 = V2::pack(s[8 * kk + 0], s[8 * kk + 1]), p1 = V2::pack(s[8 * kk + 2], s[8 * kk + 3]);
    typename V2::type p2 = V2::pack(s[8 * kk + 4], s[8 * kk + 5]), p3 = V2::pack(s[8 * kk + 6], s[8 * kk + 7]);
    p[kk][0] = *reinterpret_cast<uint32_t*>(&p0); p[kk][1] = *reinterpret_cast<uint32_t*>(&p1);
    p[kk][2] = *reinterpret_cast<uint32_t*>(&p2); p[kk][3] = *reinterpret_cast<uint32_t*>(&p3);
  }
}

/**
 * Transposes a 4 x 4 block of words across the 4 threads of a quad (t = lane % 4): thread t's
 * a[j] becomes thread j's a[t]. Two butterfly stages; the indices are compile-time constants
 * and the lane picks with selects, so `a` stays in registers.
 */
__device__ __forceinline__ void quad_transpose(uint32_t* a, int t) {
  #pragma unroll
  for (int bit = 2; bit >= 1; bit >>= 1) {
    const bool upper = t & bit;
    #pragma unroll
    for (int j = 0; j < 4; j++) {
      if (j & bit) continue;
      const uint32_t recv = __shfl_xor_sync(0xffffffff, upper ? a[j] : a[j | bit], bit);
      if (upper) a[j] = recv;
      else a[j | bit] = recv;
    }
  }
}

template <int D> __device__ __forceinline__ void rescale(float (&o)[D / 2], const float (&alpha)[2]) {
  #pragma unroll
  for (int d = 0; d < D / 8; d++) {
    o[d * 4 + 0] *= alpha[0]; o[d * 4 + 1] *= alpha[0];
    o[d * 4 + 2] *= alpha[1]; o[d * 4 + 3] *= alpha[1];
  }
}
#endif  // __CUDA_ARCH_FEAT_SM90_ALL

/** One work item: a query block of one (batch, head) and its row of the schedule. */
struct WorkItem {
  int b, h, kvHead, qBlock, q0, nFull, nIter, fullBegin, partBegin;
};
/** Work item `item` of a schedule whose query blocks have ROWS rows (64 per consumer warpgroup). */
template <class Pat, typename T, int ROWS = BLOCK_M>
__device__ __forceinline__ WorkItem decode_item(const Params<Pat, T>& P, int item) {
  WorkItem w;
  const int qBlock = item % P.num_q_blocks, bh = item / P.num_q_blocks;
  w.h = bh % P.heads; w.b = bh / P.heads;
  w.kvHead = w.h / (P.heads / P.kv_heads);
  const int row = P.group_of[(P.sched_batch > 1 ? w.b : 0) * P.heads + w.h] * (P.num_q_blocks + 1) + qBlock;
  w.fullBegin = P.full_kv_row_ptr[row]; w.partBegin = P.kv_row_ptr[row];
  w.nFull = P.full_kv_row_ptr[row + 1] - w.fullBegin;
  w.nIter = w.nFull + P.kv_row_ptr[row + 1] - w.partBegin;
  w.qBlock = qBlock;
  w.q0 = qBlock * ROWS;
  return w;
}
/**
 * The key block of step i of item w. Two consumers: the item's FULL tiles, then its PARTIAL
 * ones. Three (planThree in plan_host.h): each entry is (key block << 6) | two status bits per
 * consumer warpgroup c at bit 2 c (1 FULL, 2 PARTIAL, 0 none of its rows sees the block).
 */
template <class Pat, typename T, int NC = 2>
__device__ __forceinline__ int kv_block(const Params<Pat, T>& P, const WorkItem& w, int i) {
  if constexpr (NC == 3) return P.kv_indices[w.partBegin + i] >> 6;
  else return i < w.nFull ? P.full_kv_indices[w.fullBegin + i] : P.kv_indices[w.partBegin + i - w.nFull];
}
template <class Pat, typename T, int BN, int NC = 2>
__device__ __forceinline__ int kv_start(const Params<Pat, T>& P, const WorkItem& w, int i) {
  return kv_block<Pat, T, NC>(P, w, i) * BN;
}


/**
 * Persistent: one CTA per SM; CTA c runs the work items the host dealt to it (longest rows
 * first, each to the least-loaded CTA); per item, FULL tiles then PARTIAL ones. One producer and 2 consumer warpgroups; the
 * K/V buffers cycle across items, so the producer loads the next item's Q and first tiles
 * while the consumers finish the current one.
 */
template <class Pat, typename T, int D, int BN, bool BOX, int NC = 2>
__global__ void __launch_bounds__(sm90Threads<NC>(), 1) attnc_forward_sm90_kernel(const __grid_constant__ Params<Pat, T> P, const __grid_constant__ Sm90Maps M) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  static_assert(NC == 2 || (NC == 3 && !BOX), "three consumers: strips only");
  constexpr int ROWS = 64 * NC;  // the query block: 64 rows per consumer
  constexpr int CONSUMER_THREADS = 128 * NC;
  extern __shared__ __align__(128) unsigned char smem_raw[];
  // 1024-byte aligned base: the swizzle pattern repeats every 8 rows of 128 bytes.
  const uint32_t base = (static_cast<uint32_t>(__cvta_generic_to_shared(smem_raw)) + 1023u) & ~1023u;
  constexpr uint32_t KV_BYTES = BN * D * 2;
  const uint32_t Qs = base, Ks = Qs + ROWS * D * 2, Vs = Ks + 2 * KV_BYTES, bars = Vs + 2 * KV_BYTES;
  // mbarriers, 8 bytes each: Q full, Q empty; K full [2]; V full [2]; K empty [2]; V empty [2].
  const uint32_t fullQ = bars, emptyQ = bars + 8, fullK = bars + 16, fullV = bars + 32, emptyK = bars + 48, emptyV = bars + 64;
  // Box tiles: the run tables after the barriers (box_tiles.cuh).
  int* const tab = reinterpret_cast<int*>(smem_raw + (bars + SM90_BARRIER_BYTES - static_cast<uint32_t>(__cvta_generic_to_shared(smem_raw))));
  if constexpr (BOX) fill_run_tables(P, tab, threadIdx.x);
  if (threadIdx.x == 0) {
    const int copiers = M.enabled ? 1 : 128;  // arrivals per full barrier: the TMA thread, or every cp.async thread
    mbar_init(fullQ, copiers);
    mbar_init(emptyQ, CONSUMER_THREADS);
    for (int st = 0; st < 2; st++) {
      mbar_init(fullK + 8 * st, copiers); mbar_init(fullV + 8 * st, copiers);
      mbar_init(emptyK + 8 * st, CONSUMER_THREADS); mbar_init(emptyV + 8 * st, CONSUMER_THREADS);
    }
  }
  __syncthreads();

  if (threadIdx.x < 128) {
    // Producer: per item, Q once it is free, then K_i and V_i into buffer (step % 2) once the
    // consumers have released it. `step` counts kv steps across items.
    asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;\n" :: "n"(Sm90Regs<D, BN, NC>::producer));
    const int tid = threadIdx.x;
    int step = 0, j = 0;
    // Two loops of the same shape, not one loop with a branch per copy: on the producer's few
    // registers the merged form spills (100+ bytes per kernel).
    if constexpr (BOX) {
      // Box tiles (TMA only: launchSm90): per tile, one copy per run and panel.
      if (tid == 0) {
        const int rowsQ = 1 << P.box_q_log[P.box_axes - 1], rowsKv = 1 << P.box_kv_log[P.box_axes - 1];
        #pragma unroll 1
        for (int pos = P.cta_ptr[blockIdx.x]; pos < P.cta_ptr[blockIdx.x + 1]; pos++, j++) {
          const WorkItem w = decode_item(P, P.cta_items[pos]);
          mbar_wait(emptyQ, (j & 1) ^ 1);
          mbar_arrive_expect_tx(fullQ, ROWS * D * 2);
          tma_box_panels<D, ROWS>(Qs, &M.q, tab, rowsQ, q_corner(P, w.qBlock).tok, w.h, w.b, fullQ);
          #pragma unroll 1
          for (int i = 0; i < w.nIter; i++, step++) {
            const int st = step & 1, phase = (step >> 1) & 1;
            const int k0 = kv_corner(P, kv_block(P, w, i)).tok;
            mbar_wait(emptyK + 8 * st, phase ^ 1);
            mbar_arrive_expect_tx(fullK + 8 * st, KV_BYTES);
            tma_box_panels<D, BN>(Ks + st * KV_BYTES, &M.k, tab + 2 * BOX_MAX_RUNS, rowsKv, k0, w.kvHead, w.b, fullK + 8 * st);
            mbar_wait(emptyV + 8 * st, phase ^ 1);
            mbar_arrive_expect_tx(fullV + 8 * st, KV_BYTES);
            tma_box_panels<D, BN>(Vs + st * KV_BYTES, &M.v, tab + 2 * BOX_MAX_RUNS, rowsKv, k0, w.kvHead, w.b, fullV + 8 * st);
          }
        }
      }
      return;
    }
    if (M.enabled) {
      // TMA: one thread issues every copy; the full barriers count its arrival and the bytes.
      if (tid == 0) {
        #pragma unroll 1
        for (int pos = P.cta_ptr[blockIdx.x]; pos < P.cta_ptr[blockIdx.x + 1]; pos++, j++) {
          const WorkItem w = decode_item<Pat, T, ROWS>(P, P.cta_items[pos]);
          mbar_wait(emptyQ, (j & 1) ^ 1);
          mbar_arrive_expect_tx(fullQ, ROWS * D * 2);
          tma_panels<D, ROWS>(Qs, &M.q, w.q0, w.h, w.b, fullQ);
          #pragma unroll 1
          for (int i = 0; i < w.nIter; i++, step++) {
            const int st = step & 1, phase = (step >> 1) & 1;
            const int k0 = kv_start<Pat, T, BN, NC>(P, w, i);
            mbar_wait(emptyK + 8 * st, phase ^ 1);
            mbar_arrive_expect_tx(fullK + 8 * st, KV_BYTES);
            tma_panels<D, BN>(Ks + st * KV_BYTES, &M.k, k0, w.kvHead, w.b, fullK + 8 * st);
            mbar_wait(emptyV + 8 * st, phase ^ 1);
            mbar_arrive_expect_tx(fullV + 8 * st, KV_BYTES);
            tma_panels<D, BN>(Vs + st * KV_BYTES, &M.v, k0, w.kvHead, w.b, fullV + 8 * st);
          }
        }
      }
      return;
    }
    #pragma unroll 1
    for (int pos = P.cta_ptr[blockIdx.x]; pos < P.cta_ptr[blockIdx.x + 1]; pos++, j++) {
      // Few live values: the producer runs on Sm90Regs::producer registers, so row pointers are
      // recomputed per step from (b, kvHead) rather than held.
      const WorkItem w = decode_item<Pat, T, ROWS>(P, P.cta_items[pos]);
      mbar_wait(emptyQ, (j & 1) ^ 1);
      load_panels<T, D, ROWS>(tid, Qs, P.q + (w.b * P.q_stride_b + w.h * P.q_stride_h + (int64_t)w.q0 * P.q_stride_s), P.q_stride_s, P.q_len - w.q0, D);  // unpadded here: launchSm90
      cp_async_arrive(fullQ);
      #pragma unroll 1
      for (int i = 0; i < w.nIter; i++, step++) {
        const int st = step & 1, phase = (step >> 1) & 1;
        const int k0 = kv_start<Pat, T, BN, NC>(P, w, i);
        mbar_wait(emptyK + 8 * st, phase ^ 1);
        load_panels<T, D, BN>(tid, Ks + st * KV_BYTES, P.k + (w.b * P.k_stride_b + w.kvHead * P.k_stride_h + (int64_t)k0 * P.k_stride_s), P.k_stride_s, P.kv_len - k0, D);  // unpadded here: launchSm90
        cp_async_arrive(fullK + 8 * st);
        mbar_wait(emptyV + 8 * st, phase ^ 1);
        load_panels<T, D, BN>(tid, Vs + st * KV_BYTES, P.v + (w.b * P.v_stride_b + w.kvHead * P.v_stride_h + (int64_t)k0 * P.v_stride_s), P.v_stride_s, P.kv_len - k0, D);  // unpadded here: launchSm90
        cp_async_arrive(fullV + 8 * st);
      }
    }
    cp_async_wait<0>();
    return;
  }

  // Consumers. Step i: S_i = Q K_i is issued, then O += P_{i-1} V_{i-1}; the softmax of S_i runs
  // while the second product is on the tensor cores. The consumers take turns to issue (named
  // barriers 1 .. NC, "ping-pong"): one's products run while the others' softmax does.
  asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;\n" :: "n"(Sm90Regs<D, BN, NC>::consumer));
  // SERIAL (head dim 256, and three consumers): a consumer's softmax of S_i waits for its own
  // P_{i-1} V_{i-1} (the other consumers' products still run beside it), so P needs one register
  // copy, not two: 128 O accumulators, or 160 registers per thread, leave no room for the second.
  constexpr bool SERIAL = D > 128 || NC == 3;
  // wg broadcast from lane 0: the compiler then knows it is the same in the whole warp, so
  // products under a branch on a consumer's own status are not serialized.
  const int tid = threadIdx.x - 128, wg = __shfl_sync(0xffffffffu, tid / 128, 0);
  int step = 0, j = 0;
  #pragma unroll 1
  for (int pos = P.cta_ptr[blockIdx.x]; pos < P.cta_ptr[blockIdx.x + 1]; pos++, j++) {
    const WorkItem w = decode_item<Pat, T, ROWS>(P, P.cta_items[pos]);
    const int nIter = w.nIter, nFull = w.nFull, q0 = w.q0, b = w.b, h = w.h;
    // Box tiles: the tokens of this thread's two query rows (-1: padding).
    int qtok[2] = {0, 0};
    if constexpr (BOX) {
      const BoxCorner qc = q_corner(P, w.qBlock);
      const int row = (tid / 32) * 16 + (tid % 32) / 4;
      qtok[0] = box_row_token(P, tab, qc, row);
      qtok[1] = box_row_token(P, tab, qc, row + 8);
    }
    float o[D / 2];
    float m[2] = {-INFINITY, -INFINITY}, l[2] = {0.f, 0.f};
    #pragma unroll
    for (int d = 0; d < D / 2; d++) o[d] = 0.f;
    uint32_t p[BN / 16][4];
    // Turns: consumer c waits on barrier 1 + c before issuing and then releases the next one;
    // consumer 0 goes first. Each barrier sees as many arrivals as waits (nIter + 1 rounds).
    auto myTurn = [&]() { named_sync(1 + wg, 256); };
    auto yieldTurn = [&](int round) { if (!(wg == NC - 1 && round == nIter)) named_arrive(1 + (wg + 1) % NC, 256); };
    if (wg == NC - 1 && nIter > 0) named_arrive(1, 256);
    mbar_wait(fullQ, j & 1);
    if (nIter == 0) mbar_arrive(emptyQ);
    // Whether this consumer has the previous step's P V product still to issue (its V buffer is
    // held until then). Two consumers: every step but the first; three: unless it skipped that step.
    bool pending = false;
    // In this consumer's turn (`round`), issues and retires the pending product and releases its
    // V buffer. Each branch issues and retires its own products: no product is in flight where the
    // warpgroups' paths part, which would make the compiler serialize them.
    auto finishPending = [&](int round, int pst, int pphase) {
      myTurn();
      if (pending) {
        mbar_wait(fullV + 8 * pst, pphase);
        if (!M.enabled) fence_proxy_async();
        issue_pv<T, D, BN>(Vs + pst * KV_BYTES, p, o);
        yieldTurn(round);
        wgmma_wait<0>();
        fence_regs(o);
        mbar_arrive(emptyV + 8 * pst);
        pending = false;
      } else {
        yieldTurn(round);
      }
    };
    for (int i = 0; i < nIter; i++) {
      const int cur = step + i;
      const int st = cur & 1, phase = (cur >> 1) & 1;
      const int pst = (cur - 1) & 1, pphase = ((cur - 1) >> 1) & 1;
      if constexpr (NC == 2) pending = i > 0;
      int kvb, status;
      if constexpr (NC == 3) {
        const int e = P.kv_indices[w.partBegin + i];
        kvb = e >> 6;
        status = (e >> (2 * wg)) & 3;
        if (status == 0) {
          // None of this consumer's rows sees the block: finish its pending product and
          // release the block's buffers (after they have landed: an arrival counts toward the
          // barrier's current phase) without computing.
          finishPending(i, pst, pphase);
          mbar_wait(fullK + 8 * st, phase);
          mbar_arrive(emptyK + 8 * st);
          if (i == nIter - 1) mbar_arrive(emptyQ);
          mbar_wait(fullV + 8 * st, phase);
          mbar_arrive(emptyV + 8 * st);
          continue;
        }
      } else {
        kvb = kv_block(P, w, i);
        status = i < nFull ? 1 : 2;
      }
      const int k0 = kvb * BN;
      // The mask before this consumer's turn: no product of its own is in flight, while the
      // other consumers' are on the tensor cores. Tiles inside q_len x kv_len skip the range
      // checks; those of a diagonal pattern evaluate one point per diagonal (not with score
      // modifications: see usesDiagonalBand in compiler/ir/diagonal.ts).
      const bool full = status == 1, inside = q0 + ROWS <= P.q_len && k0 + BN <= P.kv_len;
      const bool band = !BOX && Pat::DIAGONAL_BAND && !full && inside;
      BitMask bm{~0ull};
      BandMask<BN> dm;
      if constexpr (BOX) {
        if (!full) bm = mask_bits_box<Pat, T, BN>(P, tab, tid, b, h, qtok[0], qtok[1], kv_corner(P, kvb));
      } else {
        if (band) dm = band_mask<Pat, T, BN>(P, tid, b, h, q0, k0);
        else if (!full) bm = inside ? mask_bits<true, Pat, T, BN>(P, tid, b, h, q0, k0) : mask_bits<false, Pat, T, BN>(P, tid, b, h, q0, k0);
      }
      myTurn();
      mbar_wait(fullK + 8 * st, phase);
      if (!M.enabled) fence_proxy_async();  // cp.async wrote through the generic proxy
      float s[BN / 2];
      if constexpr (NC == 3) {
        // SERIAL: nothing is in flight here, so the branch on this consumer's own past is cheap.
        if (pending) {
          mbar_wait(fullV + 8 * pst, pphase);
          if (!M.enabled) fence_proxy_async();
          issue_qk<T, D, BN, ROWS>(wg, Qs, Ks + st * KV_BYTES, s);
          issue_pv<T, D, BN>(Vs + pst * KV_BYTES, p, o);
        } else {
          issue_qk<T, D, BN, ROWS>(wg, Qs, Ks + st * KV_BYTES, s);
        }
        yieldTurn(i);
        wgmma_wait<0>();
      } else if (pending) {
        issue_qk<T, D, BN, ROWS>(wg, Qs, Ks + st * KV_BYTES, s);
        mbar_wait(fullV + 8 * pst, pphase);
        if (!M.enabled) fence_proxy_async();
        issue_pv<T, D, BN>(Vs + pst * KV_BYTES, p, o);
        yieldTurn(i);
        if constexpr (SERIAL) wgmma_wait<0>();  // both retired: P_i may overwrite p
        else wgmma_wait<1>();  // groups retire in order: S_i is ready, the P V product may still run
      } else {
        issue_qk<T, D, BN, ROWS>(wg, Qs, Ks + st * KV_BYTES, s);
        yieldTurn(i);
        wgmma_wait<0>();
      }
      fence_regs(s);
      mbar_arrive(emptyK + 8 * st);
      if (i == nIter - 1) mbar_arrive(emptyQ);  // Q is no longer read: the next item's may land
      float alpha[2];
      if constexpr (SERIAL) {
        fence_regs(o);
        if (pending) mbar_arrive(emptyV + 8 * pst);
        if (full) softmax_step<AllLive, Pat, T, BN>(P, tid, b, h, q0, k0, AllLive{}, s, m, l, alpha, p);
        else if (band) softmax_step<BandMask<BN>, Pat, T, BN>(P, tid, b, h, q0, k0, dm, s, m, l, alpha, p);
        else softmax_step<BitMask, Pat, T, BN>(P, tid, b, h, q0, k0, bm, s, m, l, alpha, p);
        rescale<D>(o, alpha);
      } else {
        uint32_t pn[BN / 16][4];
        if (full) softmax_step<AllLive, Pat, T, BN>(P, tid, b, h, q0, k0, AllLive{}, s, m, l, alpha, pn);
        else if (band) softmax_step<BandMask<BN>, Pat, T, BN>(P, tid, b, h, q0, k0, dm, s, m, l, alpha, pn);
        else softmax_step<BitMask, Pat, T, BN>(P, tid, b, h, q0, k0, bm, s, m, l, alpha, pn);
        wgmma_wait<0>();
        fence_regs(o);
        if (pending) mbar_arrive(emptyV + 8 * pst);
        // Here, not between the next step's two issues: rescaling O there (S_i running) measured
        // 12-27% slower on an H200 (the rescale A/B in bench/results, cuda-h200-ab-rescale-*.json).
        rescale<D>(o, alpha);
        #pragma unroll
        for (int kk = 0; kk < BN / 16; kk++) { p[kk][0] = pn[kk][0]; p[kk][1] = pn[kk][1]; p[kk][2] = pn[kk][2]; p[kk][3] = pn[kk][3]; }
      }
      pending = true;
    }
    if (nIter > 0) {
      const int pst = (step + nIter - 1) & 1, pphase = ((step + nIter - 1) >> 1) & 1;
      if constexpr (NC == 2) pending = true;
      finishPending(nIter, pst, pphase);
    }
    step += nIter;

    // Epilogue: row sums across the quad, normalise, write O and the log-sum-exp. A quad holds
    // each row's 8-column groups as 4 pieces of 2 columns, one per thread; a 4 x 4 transpose
    // within the quad (quad_transpose) gives each thread whole groups, stored 16 bytes at a time.
    const int warp = tid / 32, lane = tid % 32;
    const int g = lane / 4, t = lane % 4;
    #pragma unroll
    for (int r = 0; r < 2; r++) {
      float sum = l[r];
      sum += __shfl_xor_sync(0xffffffff, sum, 1);
      sum += __shfl_xor_sync(0xffffffff, sum, 2);
      const float inv = sum > 0.f ? 1.f / sum : 0.f;
      const int q = BOX ? qtok[r] : q0 + warp * 16 + g + 8 * r;
      uint32_t w[D / 8];
      #pragma unroll
      for (int d = 0; d < D / 8; d++) {
        auto v = Vec2<T>::pack(o[d * 4 + 2 * r] * inv, o[d * 4 + 2 * r + 1] * inv);
        w[d] = *reinterpret_cast<uint32_t*>(&v);
      }
      #pragma unroll
      for (int i = 0; i < D / 32; i++) quad_transpose(w + 4 * i, t);  // now group 4 i + t, pieces 0..3
      if (BOX ? q >= 0 : q < P.q_len) {
        T* og = P.o + b * P.o_stride_b + h * P.o_stride_h + (int64_t)q * P.o_stride_s;
        const bool vec = (reinterpret_cast<uintptr_t>(og) & 15) == 0;
        #pragma unroll
        for (int i = 0; i < D / 32; i++) {
          T* dst = og + 8 * (4 * i + t);
          if (8 * (4 * i + t) >= P.head_dim) continue;  // a padding column group (head dim < D)
          if (vec) *reinterpret_cast<uint4*>(dst) = make_uint4(w[4 * i], w[4 * i + 1], w[4 * i + 2], w[4 * i + 3]);
          else {
            #pragma unroll
            for (int u = 0; u < 4; u++) *reinterpret_cast<uint32_t*>(dst + 2 * u) = w[4 * i + u];
          }
        }
        if (t == 0 && P.lse) {
          P.lse[((int64_t)b * P.heads + h) * P.q_len + q] = sum > 0.f ? (m[r] + log2f(sum)) / LOG2E : -INFINITY;
        }
      }
    }
  }
#endif  // __CUDA_ARCH_FEAT_SM90_ALL
}

/** Writes 1 where the running binary holds the sm_90a kernel bodies. */
static __global__ void attnc_sm90_probe(int* out) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  *out = 1;
#else
  *out = 0;
#endif
}

}  // namespace attnc
