// attnc CUDA runtime: block-sparse flash attention backward on Hopper warpgroup MMAs
// (`wgmma.mma_async`, sm_90a). The same math, conventions and schedule as backward_sm80.cuh
// (see its notes: lse2, Delta, FULL / PARTIAL tiles, fully masked rows); the products run on
// wgmma with their operands in the forward's panel layout (forward_sm90.cuh: 64-column panels,
// 128 bytes per row, 16-byte chunk c of row r at c ^ (r % 8), the 128-byte swizzle).
//
//   attnc_bwd_preprocess_kernel     Delta = rowsum(dO * O) (backward_sm80.cuh's, unchanged)
//   attnc_bwd_fused_sm90_kernel     dK/dV CTAs and dQ CTAs in one grid, interleaved (as
//                                   FlexAttention's backward; H200, causal 16k: 3% faster than
//                                   two launches, 6% at 4k x batch 4):
//   dK/dV CTA (attnc_bwd_dkdv_cta_sm90)  one warpgroup per (b, kvHead, kvBlock of 64 keys):
//                                   keys are the wgmma M dimension; per query tile
//                                     S^T  = K Q^T      (ss: A = K, B = Q, both K-major)
//                                     dP^T = V dO^T     (ss: A = V, B = dO, both K-major)
//                                     P^T, dS^T in registers (the sm80 element code)
//                                     dV  += P^T dO     (rs: A = P^T, B = dO MN-major)
//                                     dK  += dS^T Q     (rs: A = dS^T, B = Q MN-major)
//                                   (P^T is computed while dP^T runs, dS^T while dV's product
//                                   runs, when there is no score modification)
//   dQ CTA (attnc_bwd_dq_cta_sm90)  one warpgroup per (b, h, qBlock of 64 queries):
//                                     S = Q K^T, dP = dO V^T (ss), dQ += dS K (rs: B = K MN-major)
// Each CTA is a single warpgroup of 128 threads that copies its own tiles with cp.async
// (double-buffered) and runs 2 CTAs per SM: one CTA's element-wise work overlaps the other's
// products. No producer warpgroup, so no register trade (setmaxnreg): __launch_bounds__(128, 2)
// lets ptxas use up to 255 registers per thread (dK/dV at D = 128: 64 + 64 accumulators, 32 + 32
// for S^T and dP^T). Deterministic: every gradient element is owned by one CTA (no atomics).
//
// launchBackwardSm90Atomic: the non-deterministic variant (FlashAttention-2/3 style). No dQ
// kernel: the dK/dV kernel (ATOMIC_DQ = true) also takes each tile's dQ contribution
//                                     dQ_tile = dS K    (ss: A = dS, B = K, both MN-major)
// from dS^T, which it stores (rounded to T, as the rs products use it) into one 64 x 64 panel
// [key][query] of shared memory: read with the query index contiguous that is the MN-major A
// operand dS (M = query, reduction = key). B is the K tile [key][d] with d contiguous: MN-major,
// as V in dV's product. The products run in halves of 64 head-dim columns (32 accumulators each),
// and each half is added to the fp32 workspace dq_accum ([batch, heads, q_len, D], zeroed first)
// with `red.global.add.v2.f32`; a last kernel writes dq = scale * dq_accum in T. The summation
// order of dQ over key blocks depends on timing (dK and dV stay deterministic).
// The kernel bodies exist only when compiled for sm_90a (elsewhere they are empty and the host
// must not launch them: see sm90Available in launch.cuh).
#pragma once
// backward_sm80.cuh first: its kernels say `using namespace bwd; ... NUM_THREADS`, which is
// ambiguous once forward_sm80.cuh's attnc::NUM_THREADS has been declared (launch.cuh includes
// them in this order too).
#include "backward_sm80.cuh"
#include "forward_sm90.cuh"

namespace attnc {

namespace bwd90 {

constexpr int BLOCK = 64;       // query and key rows per schedule tile (one warpgroup's M)
constexpr int THREADS = 128;    // one warpgroup

/** Bytes of one 64-row tile of head dim D in the panel layout. */
template <int D> __host__ __device__ constexpr uint32_t tile_bytes() { return (uint32_t)BLOCK * D * 2; }
/** dK/dV: 1024 (alignment) + K, V, two buffers of Q and dO, then two buffers of lse and Delta. */
template <int D> constexpr size_t dkdv_smem_bytes() { return 1024 + (size_t)6 * tile_bytes<D>() + (size_t)4 * BLOCK * sizeof(float); }
/** dQ: 1024 (alignment) + Q, dO, two buffers of K and V. */
template <int D> constexpr size_t dq_smem_bytes() { return 1024 + (size_t)6 * tile_bytes<D>(); }
/** The dS^T panel of the atomic path: 64 keys x 64 queries of T. */
constexpr uint32_t DS_BYTES = (uint32_t)BLOCK * BLOCK * 2;
/** dK/dV with dQ (atomic path): as dkdv_smem_bytes, with the dS^T panel after the six tiles (D = 128: 107.3 KB, still 2 CTAs per SM). */
template <int D> constexpr size_t dkdv_dq_smem_bytes() { return dkdv_smem_bytes<D>() + DS_BYTES; }
/** Threads of the dq_accum -> dq conversion kernel (4 floats each). */
constexpr int CONVERT_THREADS = 256;

}  // namespace bwd90

#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
namespace bwd90 {

/**
 * Issues C (=) A B^T over the head dim for a 64-row A tile and a 64-row B tile, both stored
 * [row][d] in the panel layout (K-major, as the forward's issue_qk): one commit group.
 */
template <typename T, int D>
__device__ __forceinline__ void issue_ss_kmajor(uint32_t As, uint32_t Bs, float (&c)[32]) {
  #pragma unroll
  for (int kk = 0; kk < D / 16; kk++) {
    const uint32_t off = (kk / 4) * BLOCK * 128 + (kk % 4) * 32;
    wgmma_ss<T, 64>(c, smem_desc(As + off, 16, 1024), smem_desc(Bs + off, 16, 1024), kk > 0);
  }
}

/**
 * Issues C += A B with A (64 x 64, k = the reduction over a tile's 64 rows) in registers and
 * B a 64-row tile stored [k][n] (rows = reduction index, MN-major, as the forward's issue_pv).
 */
template <typename T, int D>
__device__ __forceinline__ void issue_rs_mnmajor(const uint32_t (&a)[4][4], uint32_t Bs, float (&c)[D / 2]) {
  #pragma unroll
  for (int kk = 0; kk < 4; kk++) wgmma_rs<T, D>(c, a[kk], smem_desc(Bs + kk * 16 * 128, BLOCK * 128, 1024));
}

/** Accumulator columns 16 kk .. 16 kk + 15 to the A registers of k step kk (the forward's P packing). */
template <typename T>
__device__ __forceinline__ void acc_to_a(uint32_t (&a)[4][4], const float (&c)[32]) {
  #pragma unroll
  for (int kk = 0; kk < 4; kk++) {
    a[kk][0] = pack2<T>(c[8 * kk + 0], c[8 * kk + 1]);
    a[kk][1] = pack2<T>(c[8 * kk + 2], c[8 * kk + 3]);
    a[kk][2] = pack2<T>(c[8 * kk + 4], c[8 * kk + 5]);
    a[kk][3] = pack2<T>(c[8 * kk + 6], c[8 * kk + 7]);
  }
}

/** Shared-space byte address of a generic pointer into shared memory. */
__device__ __forceinline__ uint32_t saddr(const void* p) { return static_cast<uint32_t>(__cvta_generic_to_shared(p)); }

/**
 * C (=) A B, m64n64k16, both operands from shared memory and MN-major (imm-trans-a = imm-trans-b
 * = 1: A is stored [k][m], B [k][n], the M / N index contiguous). wgmma_ops.cuh's ss form reads
 * both K-major, so this one is spelled here.
 */
template <typename T> __device__ __forceinline__ void wgmma_ss_mn(float (&d)[32], uint64_t da, uint64_t db, int accumulate);
#define ATTNC_WGMMA_SS_MN(TYPE, PTX_TYPE)                                                                                                  \
  template <> __device__ __forceinline__ void wgmma_ss_mn<TYPE>(float (&d)[32], uint64_t da, uint64_t db, int accumulate) {               \
    asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %34, 0;\n"                                                                            \
                 "wgmma.mma_async.sync.aligned.m64n64k16.f32." PTX_TYPE "." PTX_TYPE " "                                                  \
                 "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, "   \
                 "%25, %26, %27, %28, %29, %30, %31}, %32, %33, p, 1, 1, 1, 1;\n}\n"                                                     \
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), \
                   "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]),     \
                   "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]),     \
                   "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31])                                                                      \
                 : "l"(da), "l"(db), "r"(accumulate));                                                                                     \
  }
ATTNC_WGMMA_SS_MN(__nv_bfloat16, "bf16")
ATTNC_WGMMA_SS_MN(__half, "f16")
#undef ATTNC_WGMMA_SS_MN

/**
 * Issues C = dS K_half (one commit group not included): A = dS from the dS^T panel at DSs
 * (row = key = the reduction, 128 bytes of 64 queries = M), B = 64 head-dim columns of the K
 * tile, the panel at Kp (row = key, 64 d = N). Both MN-major with the descriptors of
 * issue_rs_mnmajor's B: k step kk starts 16 rows (2048 bytes) further, 8-row groups 1024 bytes
 * apart (SBO); a single 64-wide swizzle atom in M / N, so the LBO (the next atom) is never used.
 */
template <typename T>
__device__ __forceinline__ void issue_dq_half(uint32_t DSs, uint32_t Kp, float (&c)[32]) {
  #pragma unroll
  for (int kk = 0; kk < 4; kk++)
    wgmma_ss_mn<T>(c, smem_desc(DSs + kk * 16 * 128, BLOCK * 128, 1024), smem_desc(Kp + kk * 16 * 128, BLOCK * 128, 1024), kk > 0);
}

/**
 * Stores dS^T, already packed as rs A registers (acc_to_a), into the 64 x 64 panel at DSs, row =
 * key, column = query. a[kk][i]: key row 16 w + g + 8 (i & 1), query columns 16 kk + 8 (i >> 1)
 * + 2 t, + 1, i.e. 16-byte chunk 2 kk + (i >> 1) of the row, bytes 4 t .. 4 t + 3 within it;
 * the row's swizzle is g (rows 16 w + g and + 8 are both g mod 8). A warp's 32 stores hit 32
 * distinct banks (chunk (2 kk + c) ^ g differs over g, t picks the word).
 */
__device__ __forceinline__ void store_ds(uint32_t DSs, const uint32_t (&a)[4][4]) {
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int g = lane / 4, t = lane % 4;
  const uint32_t row = DSs + (uint32_t)(warp * 16 + g) * 128 + 4 * t;
  #pragma unroll
  for (int kk = 0; kk < 4; kk++) {
    #pragma unroll
    for (int i = 0; i < 4; i++) {
      const uint32_t addr = row + (i & 1) * 8 * 128 + ((uint32_t)((2 * kk + (i >> 1)) ^ g) << 4);
      asm volatile("st.shared.b32 [%0], %1;\n" :: "r"(addr), "r"(a[kk][i]) : "memory");
    }
  }
}

/** dst[0] += x, dst[1] += y in global memory (one 8-byte vector reduction; dst 8-byte aligned). */
__device__ __forceinline__ void red_add_v2(float* dst, float x, float y) {
  asm volatile("red.global.add.v2.f32 [%0], {%1, %2};\n" :: "l"(dst), "f"(x), "f"(y) : "memory");
}

/**
 * Adds a dQ half (accumulator element 4 j + e: query row 16 w + g + 8 (e >= 2), column
 * 8 j + 2 t + (e & 1) of the half) to dq_accum; row0 points at the thread's row g, column 2 t
 * of the half. Rows past q_len (PARTIAL tiles only: a FULL tile lies inside q_len) are skipped.
 */
template <bool IS_FULL, int D>
__device__ __forceinline__ void red_dq_half(float* row0, bool in0, bool in1, const float (&c)[32]) {
  #pragma unroll
  for (int j = 0; j < 8; j++) {
    if (IS_FULL || in0) red_add_v2(row0 + j * 8, c[4 * j + 0], c[4 * j + 1]);
    if (IS_FULL || in1) red_add_v2(row0 + 8 * D + j * 8, c[4 * j + 2], c[4 * j + 3]);
  }
}

}  // namespace bwd90

/**
 * One 64-query tile of the dK/dV kernel. Accumulator element 4 j + e of thread (warp w, lane
 * g * 4 + t): key row 16 w + g + 8 (e >= 2), query column 8 j + 2 t + (e & 1). Returns with
 * every product retired (the tile's Q / dO buffer may be overwritten after a barrier).
 * Qs, dOs: panel tiles, row = query; lseS, deltaS: per query column (raw lse, Delta).
 */
template <bool IS_FULL, class Pat, typename T, int D>
__device__ __forceinline__ void attnc_bwd_dkdv_tile_sm90(const BwdParams<Pat, T>& P, uint32_t Ks, uint32_t Vs, uint32_t Qs, uint32_t dOs,
                                                         const float* lseS, const float* deltaS, int b, int h, int q0, int k0, uint32_t coff,
                                                         float (&dk)[bwd::Chunk<D>::COLS / 2], float (&dv)[bwd::Chunk<D>::COLS / 2]) {
  constexpr int DC = bwd::Chunk<D>::COLS;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int g = lane / 4, t = lane % 4;
  float st[32], dpt[32];
  wgmma_fence();
  bwd90::issue_ss_kmajor<T, D>(Ks, Qs, st);
  wgmma_commit();
  bwd90::issue_ss_kmajor<T, D>(Vs, dOs, dpt);
  wgmma_commit();
  // With a score modification P and dS need the same y: both products first. Without, P^T is
  // computed while dP^T is still on the tensor cores.
  if constexpr (Pat::HAS_SCORE_MOD) {
    wgmma_wait<0>();
    fence_regs(st);
    fence_regs(dpt);
  } else {
    wgmma_wait<1>();
    fence_regs(st);
  }
  #pragma unroll
  for (int j = 0; j < 8; j++) {
    const int qc = j * 8 + 2 * t;  // query column within the tile
    const float2 lse = *reinterpret_cast<const float2*>(lseS + qc);
    const float lse2[2] = {bwd::lse_to_log2(lse.x), bwd::lse_to_log2(lse.y)};
    float delta[2] = {0.f, 0.f};
    if constexpr (Pat::HAS_SCORE_MOD) {
      const float2 dlt = *reinterpret_cast<const float2*>(deltaS + qc);
      delta[0] = dlt.x; delta[1] = dlt.y;
    }
    #pragma unroll
    for (int e = 0; e < 4; e++) {
      const int q = q0 + qc + (e & 1);
      const int k = k0 + warp * 16 + g + (e >= 2 ? 8 : 0);
      float x, grad = 1.f;
      if constexpr (Pat::HAS_SCORE_MOD) {
        const float y = st[4 * j + e] * P.scale;
        x = Pat::score(P, b, h, q, k, y) * LOG2E;
        grad = Pat::score_grad(P, b, h, q, k, y);
      } else {
        x = st[4 * j + e] * P.scale_log2;
      }
      if (!IS_FULL) {
        if (!((q < P.q_len) & (k < P.kv_len) & Pat::mask_eager(P, b, h, amin(q, P.q_len - 1), amin(k, P.kv_len - 1)))) x = -INFINITY;
      }
      const float p = exp2f(x - lse2[e & 1]);  // 0 where masked (lse2 is never -inf)
      st[4 * j + e] = p;
      if constexpr (Pat::HAS_SCORE_MOD) dpt[4 * j + e] = p * (dpt[4 * j + e] - delta[e & 1]) * grad;
      (void)q; (void)k; (void)grad;
    }
  }
  // dV += P^T dO, dK += dS^T Q: A = P^T, dS^T from the accumulators (k = query), B = dO, Q
  // tiles whose rows are queries (the reduction): MN-major, as the forward's V.
  uint32_t ap[4][4], ads[4][4];
  bwd90::acc_to_a<T>(ap, st);
  if constexpr (!Pat::HAS_SCORE_MOD) {
    // dV += P^T dO runs while dS^T is computed (groups retire in order: wait<1> = dP^T done).
    wgmma_fence();
    bwd90::issue_rs_mnmajor<T, DC>(ap, dOs + coff, dv);
    wgmma_commit();
    wgmma_wait<1>();
    fence_regs(dpt);
    #pragma unroll
    for (int j = 0; j < 8; j++) {
      const float2 dlt = *reinterpret_cast<const float2*>(deltaS + j * 8 + 2 * t);
      dpt[4 * j + 0] = st[4 * j + 0] * (dpt[4 * j + 0] - dlt.x);
      dpt[4 * j + 1] = st[4 * j + 1] * (dpt[4 * j + 1] - dlt.y);
      dpt[4 * j + 2] = st[4 * j + 2] * (dpt[4 * j + 2] - dlt.x);
      dpt[4 * j + 3] = st[4 * j + 3] * (dpt[4 * j + 3] - dlt.y);
    }
    bwd90::acc_to_a<T>(ads, dpt);
    wgmma_fence();
    bwd90::issue_rs_mnmajor<T, DC>(ads, Qs + coff, dk);
    wgmma_commit();
  } else {
    bwd90::acc_to_a<T>(ads, dpt);
    wgmma_fence();
    bwd90::issue_rs_mnmajor<T, DC>(ap, dOs + coff, dv);
    bwd90::issue_rs_mnmajor<T, DC>(ads, Qs + coff, dk);
    wgmma_commit();
  }
  wgmma_wait<0>();
  fence_regs(dv);
  fence_regs(dk);
}

/**
 * One 64-query tile of the dK/dV kernel with dQ (the atomic path): attnc_bwd_dkdv_tile_sm90's
 * products and element code (the same lines), then dS^T into the panel at DSs and
 * dq_accum[rows q0 ..] += dS K in halves of 64 head-dim columns. Returns with every product
 * retired and every thread's reads of DSs done (the caller's next barrier frees DSs and the
 * tile's Q / dO buffer).
 */
template <bool IS_FULL, class Pat, typename T, int D>
__device__ __forceinline__ void attnc_bwd_dkdv_dq_tile_sm90(const BwdParams<Pat, T>& P, uint32_t Ks, uint32_t Vs, uint32_t Qs, uint32_t dOs, uint32_t DSs,
                                                            const float* lseS, const float* deltaS, int b, int h, int q0, int k0,
                                                            float (&dk)[D / 2], float (&dv)[D / 2]) {
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int g = lane / 4, t = lane % 4;
  float st[32], dpt[32];
  wgmma_fence();
  bwd90::issue_ss_kmajor<T, D>(Ks, Qs, st);
  wgmma_commit();
  bwd90::issue_ss_kmajor<T, D>(Vs, dOs, dpt);
  wgmma_commit();
  if constexpr (Pat::HAS_SCORE_MOD) {
    wgmma_wait<0>();
    fence_regs(st);
    fence_regs(dpt);
  } else {
    wgmma_wait<1>();
    fence_regs(st);
  }
  #pragma unroll
  for (int j = 0; j < 8; j++) {
    const int qc = j * 8 + 2 * t;  // query column within the tile
    const float2 lse = *reinterpret_cast<const float2*>(lseS + qc);
    const float lse2[2] = {bwd::lse_to_log2(lse.x), bwd::lse_to_log2(lse.y)};
    float delta[2] = {0.f, 0.f};
    if constexpr (Pat::HAS_SCORE_MOD) {
      const float2 dlt = *reinterpret_cast<const float2*>(deltaS + qc);
      delta[0] = dlt.x; delta[1] = dlt.y;
    }
    #pragma unroll
    for (int e = 0; e < 4; e++) {
      const int q = q0 + qc + (e & 1);
      const int k = k0 + warp * 16 + g + (e >= 2 ? 8 : 0);
      float x, grad = 1.f;
      if constexpr (Pat::HAS_SCORE_MOD) {
        const float y = st[4 * j + e] * P.scale;
        x = Pat::score(P, b, h, q, k, y) * LOG2E;
        grad = Pat::score_grad(P, b, h, q, k, y);
      } else {
        x = st[4 * j + e] * P.scale_log2;
      }
      if (!IS_FULL) {
        if (!(q < P.q_len && k < P.kv_len && Pat::mask(P, b, h, q, k))) x = -INFINITY;  // short-circuit: the atomic tile has no registers to spare
      }
      const float p = exp2f(x - lse2[e & 1]);  // 0 where masked (lse2 is never -inf)
      st[4 * j + e] = p;
      if constexpr (Pat::HAS_SCORE_MOD) dpt[4 * j + e] = p * (dpt[4 * j + e] - delta[e & 1]) * grad;
      (void)q; (void)k; (void)grad;
    }
  }
  uint32_t ap[4][4], ads[4][4];
  bwd90::acc_to_a<T>(ap, st);
  if constexpr (!Pat::HAS_SCORE_MOD) {
    // dV += P^T dO runs while dS^T is computed (groups retire in order: wait<1> = dP^T done).
    wgmma_fence();
    bwd90::issue_rs_mnmajor<T, D>(ap, dOs, dv);
    wgmma_commit();
    wgmma_wait<1>();
    fence_regs(dpt);
    #pragma unroll
    for (int j = 0; j < 8; j++) {
      const float2 dlt = *reinterpret_cast<const float2*>(deltaS + j * 8 + 2 * t);
      dpt[4 * j + 0] = st[4 * j + 0] * (dpt[4 * j + 0] - dlt.x);
      dpt[4 * j + 1] = st[4 * j + 1] * (dpt[4 * j + 1] - dlt.y);
      dpt[4 * j + 2] = st[4 * j + 2] * (dpt[4 * j + 2] - dlt.x);
      dpt[4 * j + 3] = st[4 * j + 3] * (dpt[4 * j + 3] - dlt.y);
    }
    bwd90::acc_to_a<T>(ads, dpt);
    wgmma_fence();
    bwd90::issue_rs_mnmajor<T, D>(ads, Qs, dk);
    wgmma_commit();
  } else {
    bwd90::acc_to_a<T>(ads, dpt);
    wgmma_fence();
    bwd90::issue_rs_mnmajor<T, D>(ap, dOs, dv);
    bwd90::issue_rs_mnmajor<T, D>(ads, Qs, dk);
    wgmma_commit();
  }
  // dS^T to shared memory while dK's product runs: generic-proxy stores, made visible to the
  // async proxy, then the barrier publishes all four warps' rows (the whole CTA is the
  // warpgroup). The previous tile's dQ products, the last readers of DSs, retired before the
  // loop's barrier that preceded this tile.
  bwd90::store_ds(DSs, ads);
  fence_proxy_async();
  __syncthreads();
  // dq_accum rows q0 + 16 w + g (+ 8), column 2 t of each half.
  const int qa = q0 + warp * 16 + g;
  const bool in0 = IS_FULL || qa < P.q_len, in1 = IS_FULL || qa + 8 < P.q_len;
  float* row0 = P.dq_accum + (((int64_t)b * P.heads + h) * P.q_len + qa) * D + 2 * t;
  float dq0[32];
  wgmma_fence();
  bwd90::issue_dq_half<T>(DSs, Ks, dq0);
  wgmma_commit();
  wgmma_wait<0>();  // dV, dK and the first dQ half (ap, ads are free again)
  fence_regs(dv);
  fence_regs(dk);
  fence_regs(dq0);
  if constexpr (D == 128) {
    // The second half runs while the first one's reductions are issued.
    float dq1[32];
    wgmma_fence();
    bwd90::issue_dq_half<T>(DSs, Ks + bwd90::BLOCK * 128, dq1);
    wgmma_commit();
    bwd90::red_dq_half<IS_FULL, D>(row0, in0, in1, dq0);
    wgmma_wait<0>();
    fence_regs(dq1);
    bwd90::red_dq_half<IS_FULL, D>(row0 + 64, in0, in1, dq1);
  } else {
    bwd90::red_dq_half<IS_FULL, D>(row0, in0, in1, dq0);
  }
}

/**
 * One 64-key tile of the dQ kernel. Accumulator element 4 j + e: query row 16 w + g + 8 (e >= 2),
 * key column 8 j + 2 t + (e & 1). lse2, delta: the thread's rows g and g + 8.
 */
template <bool IS_FULL, class Pat, typename T, int D>
__device__ __forceinline__ void attnc_bwd_dq_tile_sm90(const BwdParams<Pat, T>& P, uint32_t Qs, uint32_t dOs, uint32_t Ks, uint32_t Vs,
                                                       int b, int h, int q0, int k0, const float (&lse2)[2], const float (&delta)[2],
                                                       uint32_t coff, float (&dq)[bwd::Chunk<D>::COLS / 2]) {
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int g = lane / 4, t = lane % 4;
  float s[32], dp[32];
  wgmma_fence();
  bwd90::issue_ss_kmajor<T, D>(Qs, Ks, s);
  wgmma_commit();
  bwd90::issue_ss_kmajor<T, D>(dOs, Vs, dp);
  wgmma_commit();
  if constexpr (Pat::HAS_SCORE_MOD) {
    wgmma_wait<0>();
    fence_regs(s);
    fence_regs(dp);
  } else {
    wgmma_wait<1>();
    fence_regs(s);
  }
  #pragma unroll
  for (int j = 0; j < 8; j++) {
    #pragma unroll
    for (int e = 0; e < 4; e++) {
      const int q = q0 + warp * 16 + g + (e >= 2 ? 8 : 0);
      const int k = k0 + j * 8 + 2 * t + (e & 1);
      float x, grad = 1.f;
      if constexpr (Pat::HAS_SCORE_MOD) {
        const float y = s[4 * j + e] * P.scale;
        x = Pat::score(P, b, h, q, k, y) * LOG2E;
        grad = Pat::score_grad(P, b, h, q, k, y);
      } else {
        x = s[4 * j + e] * P.scale_log2;
      }
      if (!IS_FULL) {
        if (!((q < P.q_len) & (k < P.kv_len) & Pat::mask_eager(P, b, h, amin(q, P.q_len - 1), amin(k, P.kv_len - 1)))) x = -INFINITY;
      }
      const float p = exp2f(x - lse2[e >> 1]);  // 0 where masked (lse2 is never -inf)
      s[4 * j + e] = p;
      if constexpr (Pat::HAS_SCORE_MOD) dp[4 * j + e] = p * (dp[4 * j + e] - delta[e >> 1]) * grad;
      (void)q; (void)k; (void)grad;
    }
  }
  if constexpr (!Pat::HAS_SCORE_MOD) {
    wgmma_wait<0>();
    fence_regs(dp);
    #pragma unroll
    for (int j = 0; j < 8; j++) {
      #pragma unroll
      for (int e = 0; e < 4; e++) dp[4 * j + e] = s[4 * j + e] * (dp[4 * j + e] - delta[e >> 1]);
    }
  }
  // dQ += dS K: A = dS from the accumulators (k = key), B = the K tile (rows = keys = the
  // reduction): MN-major.
  uint32_t ads[4][4];
  bwd90::acc_to_a<T>(ads, dp);
  wgmma_fence();
  bwd90::issue_rs_mnmajor<T, bwd::Chunk<D>::COLS>(ads, Ks + coff, dq);
  wgmma_commit();
  wgmma_wait<0>();
  fence_regs(dq);
}
#endif  // __CUDA_ARCH_FEAT_SM90_ALL

/**
 * dK, dV: one CTA (one warpgroup) per (b, kvHead, kvBlock). K and V of the block's 64 keys stay
 * in shared memory; for each query head h of the GQA group it visits the FULL, then the
 * PARTIAL query blocks of column (group of (b, h), kvBlock) of the k-major lists,
 * double-buffering Q, dO, lse and Delta with cp.async. dK, dV accumulate in fp32 over the whole
 * group and are written once (a key block with no query block writes zeros; rows >= kv_len are
 * not written). ATOMIC_DQ: each tile also adds its dS K to dq_accum (the atomic path; the
 * shared memory is dkdv_dq_smem_bytes).
 */
template <class Pat, typename T, int D, bool ATOMIC_DQ>
__device__ __forceinline__ void attnc_bwd_dkdv_cta_sm90(const BwdParams<Pat, T>& P, const int cta) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  using namespace bwd90;
  extern __shared__ __align__(128) unsigned char smem_raw[];
  const uint32_t raw = saddr(smem_raw);
  // 1024-byte aligned base: the swizzle pattern repeats every 8 rows of 128 bytes.
  const uint32_t base = (raw + 1023u) & ~1023u;
  constexpr uint32_t TILE = tile_bytes<D>();
  const uint32_t Ks = base, Vs = Ks + TILE, Qs = Vs + TILE, dOs = Qs + 2 * TILE;  // Qs, dOs: 2 buffers
  // ATOMIC_DQ: the dS^T panel (1024-byte aligned: 6 TILE from base) before lse and Delta.
  const uint32_t DSs = base + 6 * TILE;
  constexpr uint32_t DS_SPACE = ATOMIC_DQ ? DS_BYTES : 0;
  float* lseS = reinterpret_cast<float*>(smem_raw + (base - raw) + 6 * TILE + DS_SPACE);  // 2 buffers
  float* deltaS = lseS + 2 * BLOCK;                                                 // 2 buffers
  const int tid = threadIdx.x;

  // Past head dim 128 the CTAs of a key block split dK, dV in chunks of DC columns (bwd::Chunk).
  constexpr int DC = bwd::Chunk<D>::COLS;
  const int item = P.col_order[cta / bwd::Chunk<D>::COUNT];
  const int chunk = cta % bwd::Chunk<D>::COUNT;
  const uint32_t coff = (uint32_t)chunk * (DC / 64) * BLOCK * 128;  // the chunk's first panel
  const int kvBlock = item % P.num_kv_blocks;
  const int bk = item / P.num_kv_blocks;
  const int kvHead = bk % P.kv_heads, b = bk / P.kv_heads;
  const int groupSize = P.heads / P.kv_heads;
  const int hEnd = (kvHead + 1) * groupSize;
  const int k0 = kvBlock * BLOCK;

  load_panels<T, D, BLOCK>(tid, Ks, P.k + b * P.k_stride_b + kvHead * P.k_stride_h + (int64_t)k0 * P.k_stride_s, P.k_stride_s, P.kv_len - k0, P.head_dim);
  load_panels<T, D, BLOCK>(tid, Vs, P.v + b * P.v_stride_b + kvHead * P.v_stride_h + (int64_t)k0 * P.v_stride_s, P.v_stride_s, P.kv_len - k0, P.head_dim);

  // The walk over (head, query block): item i of head h's column; FULL items come first.
  struct Cursor { int h, i, fullBegin, nFull, partBegin, nAll; };
  auto open = [&](Cursor& c, int hh) {
    c.h = hh; c.i = 0; c.fullBegin = c.nFull = c.partBegin = c.nAll = 0;
    if (hh < hEnd) {
      const int grp = P.group_of[(P.sched_batch > 1 ? b : 0) * P.heads + hh];
      const int col = grp * (P.num_kv_blocks + 1) + kvBlock;
      c.fullBegin = P.full_q_col_ptr[col];
      c.nFull = P.full_q_col_ptr[col + 1] - c.fullBegin;
      c.partBegin = P.q_col_ptr[col];
      c.nAll = c.nFull + P.q_col_ptr[col + 1] - c.partBegin;
    }
  };
  auto seek = [&](Cursor& c) { while (c.h < hEnd && c.i >= c.nAll) open(c, c.h + 1); };  // to the next item, across heads
  auto qStart = [&](const Cursor& c) {
    return (c.i < c.nFull ? P.full_q_indices[c.fullBegin + c.i] : P.q_indices[c.partBegin + c.i - c.nFull]) * BLOCK;
  };
  auto issue = [&](int hh, int q0, int buf) {
    load_panels<T, D, BLOCK>(tid, Qs + buf * TILE, P.q + b * P.q_stride_b + hh * P.q_stride_h + (int64_t)q0 * P.q_stride_s, P.q_stride_s, P.q_len - q0, P.head_dim);
    load_panels<T, D, BLOCK>(tid, dOs + buf * TILE, P.dout + b * P.do_stride_b + hh * P.do_stride_h + (int64_t)q0 * P.do_stride_s, P.do_stride_s, P.q_len - q0, P.head_dim);
    const int64_t r = ((int64_t)b * P.heads + hh) * P.q_len + q0;
    bwd::load_row_floats(lseS + buf * BLOCK, P.lse + r, P.q_len - q0);
    bwd::load_row_floats(deltaS + buf * BLOCK, P.delta + r, P.q_len - q0);
  };

  Cursor cur;
  open(cur, kvHead * groupSize);
  seek(cur);
  int q0 = 0;
  if (cur.h < hEnd) { q0 = qStart(cur); issue(cur.h, q0, 0); }
  cp_async_commit();

  float dk[DC / 2], dv[DC / 2];
  #pragma unroll
  for (int i = 0; i < DC / 2; i++) dk[i] = dv[i] = 0.f;

  int buf = 0;
  while (cur.h < hEnd) {
    Cursor nxt = cur;
    nxt.i++;
    seek(nxt);
    // This tile's copies have landed (each thread's own), are made visible to the tensor cores'
    // async proxy, and the barrier publishes everyone's: the previous tile's products have all
    // retired (each thread waited for them), so the other buffer is free.
    cp_async_wait<0>();
    fence_proxy_async();
    __syncthreads();
    int q1 = 0;
    if (nxt.h < hEnd) { q1 = qStart(nxt); issue(nxt.h, q1, buf ^ 1); }
    cp_async_commit();
    if constexpr (ATOMIC_DQ) {
      if (cur.i < cur.nFull)
        attnc_bwd_dkdv_dq_tile_sm90<true, Pat, T, D>(P, Ks, Vs, Qs + buf * TILE, dOs + buf * TILE, DSs, lseS + buf * BLOCK, deltaS + buf * BLOCK, b, cur.h, q0, k0, dk, dv);
      else
        attnc_bwd_dkdv_dq_tile_sm90<false, Pat, T, D>(P, Ks, Vs, Qs + buf * TILE, dOs + buf * TILE, DSs, lseS + buf * BLOCK, deltaS + buf * BLOCK, b, cur.h, q0, k0, dk, dv);
    } else {
      (void)DSs;
      if (cur.i < cur.nFull)
        attnc_bwd_dkdv_tile_sm90<true, Pat, T, D>(P, Ks, Vs, Qs + buf * TILE, dOs + buf * TILE, lseS + buf * BLOCK, deltaS + buf * BLOCK, b, cur.h, q0, k0, coff, dk, dv);
      else
        attnc_bwd_dkdv_tile_sm90<false, Pat, T, D>(P, Ks, Vs, Qs + buf * TILE, dOs + buf * TILE, lseS + buf * BLOCK, deltaS + buf * BLOCK, b, cur.h, q0, k0, coff, dk, dv);
    }
    cur = nxt;
    q0 = q1;
    buf ^= 1;
  }
  cp_async_wait<0>();

  // Epilogue: key rows g and g + 8 of the warp's 16; dK gets its factor scale here.
  const int warp = tid / 32, lane = tid % 32;
  const int g = lane / 4, t = lane % 4;
  #pragma unroll
  for (int r = 0; r < 2; r++) {
    const int k = k0 + warp * 16 + g + 8 * r;
    if (k < P.kv_len) {
      T* dkg = P.dk + b * P.dk_stride_b + kvHead * P.dk_stride_h + (int64_t)k * P.dk_stride_s;
      T* dvg = P.dv + b * P.dv_stride_b + kvHead * P.dv_stride_h + (int64_t)k * P.dv_stride_s;
      #pragma unroll
      for (int j = 0; j < DC / 8; j++) {
        const int col = chunk * DC + j * 8;
        if (col >= P.head_dim) continue;  // a padding column group (head dim < D)
        *reinterpret_cast<uint32_t*>(dkg + col + 2 * t) = pack2<T>(dk[4 * j + 2 * r] * P.scale, dk[4 * j + 2 * r + 1] * P.scale);
        *reinterpret_cast<uint32_t*>(dvg + col + 2 * t) = pack2<T>(dv[4 * j + 2 * r], dv[4 * j + 2 * r + 1]);
      }
    }
  }
#endif  // __CUDA_ARCH_FEAT_SM90_ALL
}

template <class Pat, typename T, int D, bool ATOMIC_DQ = false>
__global__ void __launch_bounds__(bwd90::THREADS, 2) attnc_bwd_dkdv_sm90_kernel(const BwdParams<Pat, T> P) {
  attnc_bwd_dkdv_cta_sm90<Pat, T, D, ATOMIC_DQ>(P, (int)blockIdx.x);
}

/**
 * dQ: one CTA (one warpgroup) per (b, h, qBlock). Q, dO stay in shared memory, lse and Delta
 * of the thread's two rows in registers; it visits the FULL, then the PARTIAL key blocks of row
 * (group of (b, h), qBlock) of the q-major lists, double-buffering K and V with cp.async. Rows
 * with no key block write zeros; rows >= q_len are not written. Items are taken longest first
 * (P.row_order; the dK/dV CTAs likewise by P.col_order): the heaviest start in the first wave.
 */
template <class Pat, typename T, int D>
__device__ __forceinline__ void attnc_bwd_dq_cta_sm90(const BwdParams<Pat, T>& P, const int cta) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  using namespace bwd90;
  extern __shared__ __align__(128) unsigned char smem_raw[];
  const uint32_t base = (saddr(smem_raw) + 1023u) & ~1023u;
  constexpr uint32_t TILE = tile_bytes<D>();
  const uint32_t Qs = base, dOs = Qs + TILE, Ks = dOs + TILE, Vs = Ks + 2 * TILE;  // Ks, Vs: 2 buffers
  const int tid = threadIdx.x;

  constexpr int DC = bwd::Chunk<D>::COLS;
  const int item = P.row_order[cta / bwd::Chunk<D>::COUNT];
  const int chunk = cta % bwd::Chunk<D>::COUNT;
  const uint32_t coff = (uint32_t)chunk * (DC / 64) * BLOCK * 128;  // the chunk's first panel
  const int qBlock = item % P.num_q_blocks;
  const int bh = item / P.num_q_blocks;
  const int h = bh % P.heads, b = bh / P.heads;
  const int kvHead = h / (P.heads / P.kv_heads);
  const int grp = P.group_of[(P.sched_batch > 1 ? b : 0) * P.heads + h];
  const int row = grp * (P.num_q_blocks + 1) + qBlock;
  const int fullBegin = P.full_kv_row_ptr[row], nFull = P.full_kv_row_ptr[row + 1] - fullBegin;
  const int partBegin = P.kv_row_ptr[row];
  const int nIter = nFull + P.kv_row_ptr[row + 1] - partBegin;
  const int q0 = qBlock * BLOCK;

  const T* kg = P.k + b * P.k_stride_b + kvHead * P.k_stride_h;
  const T* vg = P.v + b * P.v_stride_b + kvHead * P.v_stride_h;
  auto kvStart = [&](int i) { return (i < nFull ? P.full_kv_indices[fullBegin + i] : P.kv_indices[partBegin + i - nFull]) * BLOCK; };

  if (nIter > 0) {
    load_panels<T, D, BLOCK>(tid, Qs, P.q + b * P.q_stride_b + h * P.q_stride_h + (int64_t)q0 * P.q_stride_s, P.q_stride_s, P.q_len - q0, P.head_dim);
    load_panels<T, D, BLOCK>(tid, dOs, P.dout + b * P.do_stride_b + h * P.do_stride_h + (int64_t)q0 * P.do_stride_s, P.do_stride_s, P.q_len - q0, P.head_dim);
    const int k0 = kvStart(0);
    load_panels<T, D, BLOCK>(tid, Ks, kg + (int64_t)k0 * P.k_stride_s, P.k_stride_s, P.kv_len - k0, P.head_dim);
    load_panels<T, D, BLOCK>(tid, Vs, vg + (int64_t)k0 * P.v_stride_s, P.v_stride_s, P.kv_len - k0, P.head_dim);
  }
  cp_async_commit();

  const int warp = tid / 32, lane = tid % 32;
  const int g = lane / 4, t = lane % 4;
  float lse2[2], delta[2];
  #pragma unroll
  for (int r = 0; r < 2; r++) {
    const int q = q0 + warp * 16 + g + 8 * r;
    const int64_t idx = ((int64_t)b * P.heads + h) * P.q_len + q;
    lse2[r] = q < P.q_len ? bwd::lse_to_log2(P.lse[idx]) : INFINITY;
    delta[r] = q < P.q_len ? P.delta[idx] : 0.f;
  }

  float dq[DC / 2];
  #pragma unroll
  for (int i = 0; i < DC / 2; i++) dq[i] = 0.f;

  for (int i = 0; i < nIter; i++) {
    // As in the dK/dV kernel: landed, visible to the async proxy, published; the other buffer is free.
    cp_async_wait<0>();
    fence_proxy_async();
    __syncthreads();
    if (i + 1 < nIter) {
      const int k1 = kvStart(i + 1);
      const uint32_t nb = ((i + 1) & 1) * TILE;
      load_panels<T, D, BLOCK>(tid, Ks + nb, kg + (int64_t)k1 * P.k_stride_s, P.k_stride_s, P.kv_len - k1, P.head_dim);
      load_panels<T, D, BLOCK>(tid, Vs + nb, vg + (int64_t)k1 * P.v_stride_s, P.v_stride_s, P.kv_len - k1, P.head_dim);
    }
    cp_async_commit();
    const uint32_t cb = (i & 1) * TILE;
    const int k0 = kvStart(i);
    if (i < nFull) attnc_bwd_dq_tile_sm90<true, Pat, T, D>(P, Qs, dOs, Ks + cb, Vs + cb, b, h, q0, k0, lse2, delta, coff, dq);
    else attnc_bwd_dq_tile_sm90<false, Pat, T, D>(P, Qs, dOs, Ks + cb, Vs + cb, b, h, q0, k0, lse2, delta, coff, dq);
  }
  cp_async_wait<0>();

  // Epilogue: query rows g and g + 8 of the warp's 16, with the factor scale.
  #pragma unroll
  for (int r = 0; r < 2; r++) {
    const int q = q0 + warp * 16 + g + 8 * r;
    if (q < P.q_len) {
      T* dqg = P.dq + b * P.dq_stride_b + h * P.dq_stride_h + (int64_t)q * P.dq_stride_s;
      #pragma unroll
      for (int j = 0; j < DC / 8; j++) {
        const int col = chunk * DC + j * 8;
        if (col >= P.head_dim) continue;  // a padding column group (head dim < D)
        *reinterpret_cast<uint32_t*>(dqg + col + 2 * t) = pack2<T>(dq[4 * j + 2 * r] * P.scale, dq[4 * j + 2 * r + 1] * P.scale);
      }
    }
  }
#endif  // __CUDA_ARCH_FEAT_SM90_ALL
}

/**
 * dK/dV and dQ in one grid (as FlexAttention's backward): CTA i of the first 2 min(nKV, nQ)
 * alternates between the two kinds (even: dK/dV CTA i / 2, odd: dQ CTA i / 2), the rest are
 * the larger kind's. Each kind takes its items longest first (P.col_order, P.row_order), so the
 * mix keeps long CTAs first, and one kind's tail overlaps the other's work instead of
 * following it. Deterministic (every gradient element is owned by one CTA).
 */
template <class Pat, typename T, int D>
__global__ void __launch_bounds__(bwd90::THREADS, 2) attnc_bwd_fused_sm90_kernel(const BwdParams<Pat, T> P, const int nKV, const int nQ) {
  const int i = (int)blockIdx.x;
  const int both = 2 * (nKV < nQ ? nKV : nQ);
  // One call site per kind: each body is inlined once (two copies of a body cost registers).
  const bool dq = i < both ? (i & 1) != 0 : nKV <= nQ;
  const int cta = i < both ? i / 2 : i - both / 2;
  if (dq) attnc_bwd_dq_cta_sm90<Pat, T, D>(P, cta);
  else attnc_bwd_dkdv_cta_sm90<Pat, T, D, false>(P, cta);
}

/**
 * Runs the Hopper backward: Delta (the sm80 preprocess kernel), then dK/dV and dQ in one grid
 * (attnc_bwd_fused_sm90_kernel), on `stream`. Returns 0, or 3 on a CUDA error (launch or shared-memory attribute). Only for a
 * device and binary with the sm_90a bodies (sm90Available()).
 */
template <class Pat, typename T, int D>
int launchBackwardSm90(const BwdParams<Pat, T>& p, cudaStream_t stream) {
  static_assert(D == 64 || D == 128 || D == 256, "head dim");
  static_assert(sizeof(T) == 2, "16-bit element type");
  const int64_t rows = (int64_t)p.batch * p.heads * p.q_len;
  if (rows > 0) {
    const int64_t blocks = (rows + bwd::NUM_WARPS - 1) / bwd::NUM_WARPS;
    attnc_bwd_preprocess_kernel<Pat, T, D><<<(unsigned)blocks, bwd::NUM_THREADS, 0, stream>>>(p);
    if (cudaGetLastError() != cudaSuccess) return 3;
  }
  const int64_t dkdvBlocks = (int64_t)p.batch * p.kv_heads * p.num_kv_blocks * bwd::Chunk<D>::COUNT;
  const int64_t dqBlocks = (int64_t)p.batch * p.heads * p.num_q_blocks * bwd::Chunk<D>::COUNT;
  if (dkdvBlocks + dqBlocks == 0) return 0;
  if (dkdvBlocks + dqBlocks > 0x7fffffff) return 3;
  constexpr size_t smem = bwd90::dkdv_smem_bytes<D>() > bwd90::dq_smem_bytes<D>() ? bwd90::dkdv_smem_bytes<D>() : bwd90::dq_smem_bytes<D>();
  if (cudaFuncSetAttribute(attnc_bwd_fused_sm90_kernel<Pat, T, D>, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem) != cudaSuccess) return 3;
  attnc_bwd_fused_sm90_kernel<Pat, T, D><<<(unsigned)(dkdvBlocks + dqBlocks), bwd90::THREADS, smem, stream>>>(p, (int)dkdvBlocks, (int)dqBlocks);
  return cudaGetLastError() == cudaSuccess ? 0 : 3;
}

/**
 * dq = scale * dq_accum in T (the atomic path's last step): thread i converts the 4 floats
 * 4 i .. 4 i + 3 of the contiguous [batch, heads, q_len, D] workspace (one row each: D % 4 = 0)
 * and writes them with dq's strides as two 4-byte pairs (as the dQ kernel's epilogue does).
 */
template <class Pat, typename T, int D>
__global__ void __launch_bounds__(bwd90::CONVERT_THREADS) attnc_bwd_dq_convert_kernel(const BwdParams<Pat, T> P) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  const int64_t i = ((int64_t)blockIdx.x * bwd90::CONVERT_THREADS + threadIdx.x) * 4;
  if (i >= (int64_t)P.batch * P.heads * P.q_len * D) return;
  const int col = (int)(i % D);
  if (col >= P.head_dim) return;  // padding columns (head dim < D)
  const int64_t row = i / D;
  const int q = (int)(row % P.q_len);
  const int bh = (int)(row / P.q_len);
  const int h = bh % P.heads, b = bh / P.heads;
  const float4 v = *reinterpret_cast<const float4*>(P.dq_accum + i);
  T* dqg = P.dq + b * P.dq_stride_b + h * P.dq_stride_h + (int64_t)q * P.dq_stride_s + col;
  *reinterpret_cast<uint32_t*>(dqg) = pack2<T>(v.x * P.scale, v.y * P.scale);
  *reinterpret_cast<uint32_t*>(dqg + 2) = pack2<T>(v.z * P.scale, v.w * P.scale);
#endif  // __CUDA_ARCH_FEAT_SM90_ALL
}

/**
 * The non-deterministic Hopper backward: zeroes p.dq_accum (fp32 [batch, heads, q_len, D],
 * contiguous, 16-byte aligned), then Delta, dK/dV with the dQ reductions, and the dq
 * conversion, on `stream`. Returns 0, or 3 on a CUDA error (or a missing workspace). Only for
 * a device and binary with the sm_90a bodies (sm90Available()).
 */
template <class Pat, typename T, int D>
int launchBackwardSm90Atomic(const BwdParams<Pat, T>& p, cudaStream_t stream) {
  static_assert(D == 64 || D == 128, "head dim");
  static_assert(sizeof(T) == 2, "16-bit element type");
  const int64_t rows = (int64_t)p.batch * p.heads * p.q_len;
  if (rows > 0) {
    if (p.dq_accum == nullptr) return 3;
    if (cudaMemsetAsync(p.dq_accum, 0, (size_t)rows * D * sizeof(float), stream) != cudaSuccess) return 3;
    const int64_t blocks = (rows + bwd::NUM_WARPS - 1) / bwd::NUM_WARPS;
    attnc_bwd_preprocess_kernel<Pat, T, D><<<(unsigned)blocks, bwd::NUM_THREADS, 0, stream>>>(p);
    if (cudaGetLastError() != cudaSuccess) return 3;
  }
  const int64_t dkdvBlocks = (int64_t)p.batch * p.kv_heads * p.num_kv_blocks;
  if (dkdvBlocks > 0) {
    constexpr size_t smem = bwd90::dkdv_dq_smem_bytes<D>();
    if (cudaFuncSetAttribute(attnc_bwd_dkdv_sm90_kernel<Pat, T, D, true>, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem) != cudaSuccess) return 3;
    attnc_bwd_dkdv_sm90_kernel<Pat, T, D, true><<<(unsigned)dkdvBlocks, bwd90::THREADS, smem, stream>>>(p);
    if (cudaGetLastError() != cudaSuccess) return 3;
  }
  if (rows > 0) {
    const int64_t blocks = (rows * (D / 4) + bwd90::CONVERT_THREADS - 1) / bwd90::CONVERT_THREADS;
    attnc_bwd_dq_convert_kernel<Pat, T, D><<<(unsigned)blocks, bwd90::CONVERT_THREADS, 0, stream>>>(p);
    if (cudaGetLastError() != cudaSuccess) return 3;
  }
  return 0;
}

}  // namespace attnc
