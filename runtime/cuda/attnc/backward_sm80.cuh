// attnc CUDA runtime: block-sparse flash attention backward (FlashAttention-2 style, mma.sync
// m16n8k16, sm_80+). Deterministic: every gradient element is owned by one CTA (no atomics).
//
// Notation (the same words as the forward kernel and the schedule):
//   q, k          query / key token index;  b, h: batch, head;  kvHead = h / (heads / kv_heads)
//   qBlock/kvBlock 64 query / key rows (the backward schedule's tiles are 64 x 64)
//   FULL tile     every element allowed: no mask evaluation (IS_FULL = true)
//   PARTIAL tile  the pattern's predicate is evaluated per element (IS_FULL = false)
//   x             a score in the log2 domain: x = (softcap(s * scale) + bias) * log2(e)
//   lse2          the forward's log-sum-exp in the log2 domain, so P = exp2(x - lse2)
//   Delta         rowsum(dO * O) per query row (fp32)
// With f the score modification (f(y) = y without one) and y = s * scale:
//   dV = P^T dO,  dP = dO V^T,  dS = P * (dP - Delta) * f'(y),  dQ = scale * dS K,  dK = scale * dS^T Q
// (the factor `scale` is applied once, to the fp32 accumulators in the epilogues).
//
// Three kernels, in stream order:
//   attnc_bwd_preprocess_kernel  Delta, one warp per query row
//   attnc_bwd_dkdv_kernel        one CTA per (b, kvHead, kvBlock): walks the k-major column of
//                                every query head of the GQA group; keys are the MMA rows, so
//                                S^T = K Q^T and dP^T = V dO^T come out already transposed
//   attnc_bwd_dq_kernel          one CTA per (b, h, qBlock): walks the q-major row
// [Note: Fully masked rows] a row with lse = -inf (no allowed key) gets P = 0 everywhere: its
// lse2 is taken as +inf, so exp2(x - lse2) = 0 for every x (finite or -inf), never NaN.
#pragma once
#include <cuda_runtime.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cstdint>
#include "sm80_ops.cuh"
#include "pattern.h"

namespace attnc {

namespace bwd {

constexpr int BLOCK = 64;        // query and key rows per schedule tile
constexpr int NUM_WARPS = 4;     // each warp owns 16 of the CTA's 64 rows
constexpr int NUM_THREADS = NUM_WARPS * 32;

/**
 * Queries per dK/dV sub-step: S^T and dP^T take Q_SUB / 2 floats per thread each, beside the
 * D / 2 + D / 2 of the dK, dV accumulators (D = 128: 16 keeps ptxas below 255 registers, no spills).
 */
template <int D> struct DkdvQSub { static constexpr int value = D <= 64 ? 64 : 16; };

/**
 * Head-dim columns of dK, dV (or dQ) one CTA accumulates: all of them up to 128. Past that the
 * CTAs of a block split them in chunks of 128 (CTA index % Chunk<D>::COUNT = the chunk), each
 * recomputing S and dP: 256 accumulators per thread would not fit in registers.
 */
template <int D> struct Chunk {
  static constexpr int COLS = D > 128 ? 128 : D;
  static constexpr int COUNT = D / COLS;
};

/** Dynamic shared memory of the dK/dV kernel: K, V, then two buffers of Q, dO, lse, Delta. */
template <typename T, int D> constexpr size_t dkdv_smem_bytes() { return (size_t)6 * BLOCK * D * sizeof(T) + (size_t)4 * BLOCK * sizeof(float); }
/** Dynamic shared memory of the dQ kernel: Q, dO, then two buffers of K, V. */
template <typename T, int D> constexpr size_t dq_smem_bytes() { return (size_t)6 * BLOCK * D * sizeof(T); }

__device__ __forceinline__ float2 to_float2(__nv_bfloat162 v) { return __bfloat1622float2(v); }
__device__ __forceinline__ float2 to_float2(__half2 v) { return __half22float2(v); }

/** 4-byte async copy; `bytes` = 0 zero-fills. */
__device__ __forceinline__ void cp_async4(void* smem, const void* gmem, int bytes) {
  uint32_t a = static_cast<uint32_t>(__cvta_generic_to_shared(smem));
  asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;\n" :: "r"(a), "l"(gmem), "r"(bytes));
}

/** Copies BLOCK floats (one per query row of a tile) with the first BLOCK threads; entries >= `len` become 0. */
__device__ __forceinline__ void load_row_floats(float* smem, const float* gmem, int len) {
  const int i = threadIdx.x;
  if (i < BLOCK) cp_async4(smem + i, i < len ? gmem + i : gmem, i < len ? 4 : 0);
}

/** The forward's natural-log lse to the log2 domain; -inf (fully masked row) becomes +inf so P = 0. */
__device__ __forceinline__ float lse_to_log2(float lse) { return lse == -INFINITY ? INFINITY : lse * LOG2E; }

/** A fragment (16 rows x 16 k) from the C fragments of n-tiles 2kk, 2kk + 1 (as the forward packs P). */
template <typename T> __device__ __forceinline__ void c_to_a(uint32_t (&a)[4], const float (&c0)[4], const float (&c1)[4]) {
  a[0] = pack2<T>(c0[0], c0[1]); a[1] = pack2<T>(c0[2], c0[3]);
  a[2] = pack2<T>(c1[0], c1[1]); a[3] = pack2<T>(c1[2], c1[3]);
}

/**
 * ldmatrix addressing of the swizzled [rows][D] tiles (swz<D>) in bytes, for 16-bit T. Every row
 * a lane addresses is a tile row with r & 7 = lane & 7, and chunk 2 * kk + c0 (c0 = 0, 1) equals
 * (2 * kk) ^ c0, so the lane's byte offset for k step kk (or 16-column pair d / 2 of a trans load)
 * is its step-0 offset XOR (kk << 5): one register per operand kind instead of one per step.
 *   offA  A operands (and B operands read with .trans): row lane & 15, chunk lane >> 4
 *   offB  B operands stored [n][k]: row (lane & 7) + 8 * (lane >> 4), chunk (lane >> 3) & 1
 */
template <int D> __device__ __forceinline__ uint32_t lane_off_a(int lane) { return 2 * ((lane & 15) * D + (((lane >> 4) ^ (lane & 7)) << 3)); }
template <int D> __device__ __forceinline__ uint32_t lane_off_b(int lane) { return 2 * (((lane & 7) + ((lane >> 4) << 3)) * D + ((((lane >> 3) & 1) ^ (lane & 7)) << 3)); }

/** Shared-space byte address of a generic pointer into shared memory. */
__device__ __forceinline__ uint32_t smem_addr(const void* p) { return static_cast<uint32_t>(__cvta_generic_to_shared(p)); }
/** ldmatrix_x4 / ldmatrix_x4_trans on a shared-space byte address. */
__device__ __forceinline__ void ldsm_x4(uint32_t (&r)[4], uint32_t a) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n" : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(a));
}
__device__ __forceinline__ void ldsm_x4_trans(uint32_t (&r)[4], uint32_t a) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n" : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(a));
}

}  // namespace bwd

/**
 * Delta[b, h, q] = sum_d dO[q, d] * O[q, d] in fp32, one warp per query row; rows are numbered
 * ((b * heads + h) * q_len + q), the layout of `delta`.
 */
template <class Pat, typename T, int D>
__global__ void __launch_bounds__(bwd::NUM_THREADS) attnc_bwd_preprocess_kernel(const BwdParams<Pat, T> P) {
#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 800
  static_assert(D % 64 == 0, "head dim");
  const int64_t row = (int64_t)blockIdx.x * bwd::NUM_WARPS + threadIdx.x / 32;
  if (row >= (int64_t)P.batch * P.heads * P.q_len) return;
  const int lane = threadIdx.x % 32;
  const int q = (int)(row % P.q_len);
  const int bh = (int)(row / P.q_len);
  const int h = bh % P.heads, b = bh / P.heads;
  const T* og = P.o + b * P.o_stride_b + h * P.o_stride_h + (int64_t)q * P.o_stride_s;
  const T* dg = P.dout + b * P.do_stride_b + h * P.do_stride_h + (int64_t)q * P.do_stride_s;
  using V2 = typename Vec2<T>::type;
  float sum = 0.f;
  #pragma unroll
  for (int c = 2 * lane; c < D; c += 64) {
    if (c >= P.head_dim) break;  // padding columns (head dim < D)
    const float2 o = bwd::to_float2(*reinterpret_cast<const V2*>(og + c));
    const float2 d = bwd::to_float2(*reinterpret_cast<const V2*>(dg + c));
    sum += o.x * d.x + o.y * d.y;
  }
  #pragma unroll
  for (int off = 16; off > 0; off >>= 1) sum += __shfl_xor_sync(0xffffffff, sum, off);
  if (lane == 0) P.delta[row] = sum;
#else
  __trap();
#endif
}

/**
 * One 64-query tile for the dK/dV kernel (warp rows = 16 keys starting at k0 + 16 * warp), in
 * sub-steps of Q_SUB queries: S^T = K Q^T and dP^T = V dO^T, then (PARTIAL only) the mask, the
 * score modification, P^T = exp2(x - lse2) and dS^T = P^T (dP^T - Delta) f', then
 * dV += P^T dO and dK += dS^T Q with P^T, dS^T taken straight from the C registers.
 * Qs, dOs: [64][D] swizzled, row = query; lseS, deltaS: per query row (raw lse, Delta).
 */
template <bool IS_FULL, class Pat, typename T, int D>
__device__ __forceinline__ void attnc_bwd_dkdv_tile(const BwdParams<Pat, T>& P, const T* Ks, const T* Vs, const T* Qs, const T* dOs,
                                                    const float* lseS, const float* deltaS, int b, int h, int q0, int k0, int c0,
                                                    float (&dk)[bwd::Chunk<D>::COLS / 8][4], float (&dv)[bwd::Chunk<D>::COLS / 8][4]) {
  constexpr int QS = bwd::DkdvQSub<D>::value;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int g = lane / 4, t = lane % 4;
  const int kw = warp * 16;  // the warp's first key row within the block
  const uint32_t offA = bwd::lane_off_a<D>(lane), offB = bwd::lane_off_b<D>(lane);  // see lane_off_a
  const uint32_t kA = bwd::smem_addr(Ks) + kw * D * 2, vA = bwd::smem_addr(Vs) + kw * D * 2;

  #pragma unroll 1
  for (int qs0 = 0; qs0 < bwd::BLOCK; qs0 += QS) {
    float st[QS / 8][4], dpt[QS / 8][4];
    #pragma unroll
    for (int j = 0; j < QS / 8; j++) {
      st[j][0] = st[j][1] = st[j][2] = st[j][3] = 0.f;
      dpt[j][0] = dpt[j][1] = dpt[j][2] = dpt[j][3] = 0.f;
    }

    // S^T = K Q^T and dP^T = V dO^T: A = K, V rows of this warp; B = Q, dO stored [query][d] (as the forward's K).
    const uint32_t qA = bwd::smem_addr(Qs) + qs0 * D * 2, oA = bwd::smem_addr(dOs) + qs0 * D * 2;
    #pragma unroll (D > 128 ? 4 : D / 16)  // head dim 256: not all 16 steps at once (their fragments would be held across tiles)
    for (int kk = 0; kk < D / 16; kk++) {
      uint32_t ak[4], av[4];
      bwd::ldsm_x4(ak, kA + (offA ^ (kk << 5)));
      bwd::ldsm_x4(av, vA + (offA ^ (kk << 5)));
      #pragma unroll
      for (int j = 0; j < QS / 8; j += 2) {
        uint32_t bq[4], bo[4];
        bwd::ldsm_x4(bq, qA + j * 8 * D * 2 + (offB ^ (kk << 5)));
        bwd::ldsm_x4(bo, oA + j * 8 * D * 2 + (offB ^ (kk << 5)));
        const uint32_t bq0[2] = {bq[0], bq[1]}, bq1[2] = {bq[2], bq[3]};
        const uint32_t bo0[2] = {bo[0], bo[1]}, bo1[2] = {bo[2], bo[3]};
        mma16816<T>(st[j], ak, bq0);
        mma16816<T>(st[j + 1], ak, bq1);
        mma16816<T>(dpt[j], av, bo0);
        mma16816<T>(dpt[j + 1], av, bo1);
      }
    }

    // P^T and dS^T (without the factor scale), element (key row g / g + 8, query column 2t / 2t + 1).
    #pragma unroll
    for (int j = 0; j < QS / 8; j++) {
      const int qc = qs0 + j * 8 + 2 * t;  // query column within the tile
      const float2 lse = *reinterpret_cast<const float2*>(lseS + qc);
      const float2 dlt = *reinterpret_cast<const float2*>(deltaS + qc);
      const float lse2[2] = {bwd::lse_to_log2(lse.x), bwd::lse_to_log2(lse.y)};
      const float delta[2] = {dlt.x, dlt.y};
      #pragma unroll
      for (int e = 0; e < 4; e++) {
        const int q = q0 + qc + (e & 1);
        const int k = k0 + kw + g + (e >= 2 ? 8 : 0);
        float x, grad = 1.f;
        if constexpr (Pat::HAS_SCORE_MOD) {
          const float y = st[j][e] * P.scale;
          x = Pat::score(P, b, h, q, k, y) * LOG2E;
          grad = Pat::score_grad(P, b, h, q, k, y);
        } else {
          x = st[j][e] * P.scale_log2;
        }
        if (!IS_FULL) {
          if (!(q < P.q_len && k < P.kv_len && Pat::mask(P, b, h, q, k))) x = -INFINITY;
        }
        const float p = exp2f(x - lse2[e & 1]);  // 0 where masked (lse2 is never -inf)
        float ds = p * (dpt[j][e] - delta[e & 1]);
        if constexpr (Pat::HAS_SCORE_MOD) ds *= grad;
        st[j][e] = p;
        dpt[j][e] = ds;
      }
    }

    // dV += P^T dO, dK += dS^T Q: A from the C registers (k = query), B = dO, Q via ldmatrix trans (as the forward's V).
    #pragma unroll
    for (int kk = 0; kk < QS / 16; kk++) {
      uint32_t ap[4], ads[4];
      bwd::c_to_a<T>(ap, st[2 * kk], st[2 * kk + 1]);
      bwd::c_to_a<T>(ads, dpt[2 * kk], dpt[2 * kk + 1]);
      #pragma unroll
      for (int d = 0; d < bwd::Chunk<D>::COLS / 8; d += 2) {
        uint32_t bo[4], bq[4];
        bwd::ldsm_x4_trans(bo, oA + kk * 16 * D * 2 + (offA ^ ((c0 + d) << 4)));
        bwd::ldsm_x4_trans(bq, qA + kk * 16 * D * 2 + (offA ^ ((c0 + d) << 4)));
        const uint32_t bo0[2] = {bo[0], bo[1]}, bo1[2] = {bo[2], bo[3]};
        const uint32_t bq0[2] = {bq[0], bq[1]}, bq1[2] = {bq[2], bq[3]};
        mma16816<T>(dv[d], ap, bo0);
        mma16816<T>(dv[d + 1], ap, bo1);
        mma16816<T>(dk[d], ads, bq0);
        mma16816<T>(dk[d + 1], ads, bq1);
      }
    }
  }
}

/**
 * dK, dV: one CTA per (b, kvHead, kvBlock). K and V of the block's 64 keys stay in shared
 * memory; for each query head h of the GQA group it visits the FULL, then the PARTIAL query
 * blocks of column (group of (b, h), kvBlock) of the k-major lists, double-buffering Q, dO,
 * lse and Delta with cp.async. dK, dV accumulate in fp32 over the whole group and are written
 * once (a key block with no query block writes zeros; rows >= kv_len are not written).
 */
template <class Pat, typename T, int D>
__global__ void __launch_bounds__(bwd::NUM_THREADS, 2) attnc_bwd_dkdv_kernel(const BwdParams<Pat, T> P) {
#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 800
  using namespace bwd;
  extern __shared__ __align__(128) unsigned char smem_raw[];
  T* Ks = reinterpret_cast<T*>(smem_raw);
  T* Vs = Ks + BLOCK * D;
  T* Qs = Vs + BLOCK * D;          // 2 buffers
  T* dOs = Qs + 2 * BLOCK * D;     // 2 buffers
  float* lseS = reinterpret_cast<float*>(dOs + 2 * BLOCK * D);  // 2 buffers
  float* deltaS = lseS + 2 * BLOCK;                              // 2 buffers

  constexpr int DC = Chunk<D>::COLS;
  const int item = P.col_order[blockIdx.x / Chunk<D>::COUNT];
  const int c0 = (int)(blockIdx.x % Chunk<D>::COUNT) * (DC / 8);  // the chunk's first 8-column group
  const int kvBlock = item % P.num_kv_blocks;
  const int bk = item / P.num_kv_blocks;
  const int kvHead = bk % P.kv_heads, b = bk / P.kv_heads;
  const int groupSize = P.heads / P.kv_heads;
  const int hEnd = (kvHead + 1) * groupSize;
  const int k0 = kvBlock * BLOCK;

  load_tile<T, D, BLOCK, NUM_THREADS>(Ks, P.k + b * P.k_stride_b + kvHead * P.k_stride_h + (int64_t)k0 * P.k_stride_s, P.k_stride_s, P.kv_len - k0, P.head_dim);
  load_tile<T, D, BLOCK, NUM_THREADS>(Vs, P.v + b * P.v_stride_b + kvHead * P.v_stride_h + (int64_t)k0 * P.v_stride_s, P.v_stride_s, P.kv_len - k0, P.head_dim);

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
    load_tile<T, D, BLOCK, NUM_THREADS>(Qs + buf * BLOCK * D, P.q + b * P.q_stride_b + hh * P.q_stride_h + (int64_t)q0 * P.q_stride_s, P.q_stride_s, P.q_len - q0, P.head_dim);
    load_tile<T, D, BLOCK, NUM_THREADS>(dOs + buf * BLOCK * D, P.dout + b * P.do_stride_b + hh * P.do_stride_h + (int64_t)q0 * P.do_stride_s, P.do_stride_s, P.q_len - q0, P.head_dim);
    const int64_t r = ((int64_t)b * P.heads + hh) * P.q_len + q0;
    load_row_floats(lseS + buf * BLOCK, P.lse + r, P.q_len - q0);
    load_row_floats(deltaS + buf * BLOCK, P.delta + r, P.q_len - q0);
  };

  Cursor cur;
  open(cur, kvHead * groupSize);
  seek(cur);
  int q0 = 0;
  if (cur.h < hEnd) { q0 = qStart(cur); issue(cur.h, q0, 0); }
  cp_async_commit();

  float dk[DC / 8][4], dv[DC / 8][4];
  #pragma unroll
  for (int d = 0; d < DC / 8; d++) {
    dk[d][0] = dk[d][1] = dk[d][2] = dk[d][3] = 0.f;
    dv[d][0] = dv[d][1] = dv[d][2] = dv[d][3] = 0.f;
  }

  int buf = 0;
  while (cur.h < hEnd) {
    Cursor nxt = cur;
    nxt.i++;
    seek(nxt);
    cp_async_wait<0>();
    __syncthreads();
    int q1 = 0;
    if (nxt.h < hEnd) { q1 = qStart(nxt); issue(nxt.h, q1, buf ^ 1); }
    cp_async_commit();
    const T* Qb = Qs + buf * BLOCK * D;
    const T* dOb = dOs + buf * BLOCK * D;
    if (cur.i < cur.nFull) attnc_bwd_dkdv_tile<true, Pat, T, D>(P, Ks, Vs, Qb, dOb, lseS + buf * BLOCK, deltaS + buf * BLOCK, b, cur.h, q0, k0, c0, dk, dv);
    else attnc_bwd_dkdv_tile<false, Pat, T, D>(P, Ks, Vs, Qb, dOb, lseS + buf * BLOCK, deltaS + buf * BLOCK, b, cur.h, q0, k0, c0, dk, dv);
    cur = nxt;
    q0 = q1;
    buf ^= 1;
  }
  cp_async_wait<0>();

  // Epilogue: key rows g and g + 8 of the warp's 16; dK gets its factor scale here.
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int g = lane / 4, t = lane % 4;
  #pragma unroll
  for (int r = 0; r < 2; r++) {
    const int k = k0 + warp * 16 + g + 8 * r;
    if (k < P.kv_len) {
      T* dkg = P.dk + b * P.dk_stride_b + kvHead * P.dk_stride_h + (int64_t)k * P.dk_stride_s;
      T* dvg = P.dv + b * P.dv_stride_b + kvHead * P.dv_stride_h + (int64_t)k * P.dv_stride_s;
      #pragma unroll
      for (int d = 0; d < DC / 8; d++) {
        const int col = (c0 + d) * 8;
        if (col >= P.head_dim) continue;  // a padding column group (head dim < D)
        *reinterpret_cast<uint32_t*>(dkg + col + 2 * t) = pack2<T>(dk[d][2 * r] * P.scale, dk[d][2 * r + 1] * P.scale);
        *reinterpret_cast<uint32_t*>(dvg + col + 2 * t) = pack2<T>(dv[d][2 * r], dv[d][2 * r + 1]);
      }
    }
  }
#else
  __trap();
#endif
}

/**
 * One 64-key tile for the dQ kernel (warp rows = 16 queries starting at q0 + 16 * warp):
 * S = Q K^T and dP = dO V^T, then (PARTIAL only) the mask, the score modification,
 * P = exp2(x - lse2), dS = P (dP - Delta) f', and dQ += dS K with dS from the C registers.
 * lse2, delta: the thread's rows g and g + 8.
 */
template <bool IS_FULL, class Pat, typename T, int D>
__device__ __forceinline__ void attnc_bwd_dq_tile(const BwdParams<Pat, T>& P, const T* Qs, const T* dOs, const T* Ks, const T* Vs,
                                                  int b, int h, int q0, int k0, const float (&lse2)[2], const float (&delta)[2], int c0,
                                                  float (&dq)[bwd::Chunk<D>::COLS / 8][4]) {
  constexpr int N = bwd::BLOCK;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int g = lane / 4, t = lane % 4;
  const int qw = warp * 16;  // the warp's first query row within the block
  const uint32_t offA = bwd::lane_off_a<D>(lane), offB = bwd::lane_off_b<D>(lane);  // see lane_off_a
  const uint32_t qA = bwd::smem_addr(Qs) + qw * D * 2, oA = bwd::smem_addr(dOs) + qw * D * 2;
  const uint32_t kA = bwd::smem_addr(Ks), vA = bwd::smem_addr(Vs);

  float s[N / 8][4], dp[N / 8][4];
  #pragma unroll
  for (int j = 0; j < N / 8; j++) {
    s[j][0] = s[j][1] = s[j][2] = s[j][3] = 0.f;
    dp[j][0] = dp[j][1] = dp[j][2] = dp[j][3] = 0.f;
  }

  // S = Q K^T and dP = dO V^T: A = Q, dO rows of this warp; B = K, V stored [key][d].
  #pragma unroll (D > 128 ? 4 : D / 16)  // head dim 256: not all 16 steps at once (their fragments would be held across tiles)
  for (int kk = 0; kk < D / 16; kk++) {
    uint32_t aq[4], ao[4];
    bwd::ldsm_x4(aq, qA + (offA ^ (kk << 5)));
    bwd::ldsm_x4(ao, oA + (offA ^ (kk << 5)));
    #pragma unroll
    for (int j = 0; j < N / 8; j += 2) {
      uint32_t bk[4], bv[4];
      bwd::ldsm_x4(bk, kA + j * 8 * D * 2 + (offB ^ (kk << 5)));
      bwd::ldsm_x4(bv, vA + j * 8 * D * 2 + (offB ^ (kk << 5)));
      const uint32_t bk0[2] = {bk[0], bk[1]}, bk1[2] = {bk[2], bk[3]};
      const uint32_t bv0[2] = {bv[0], bv[1]}, bv1[2] = {bv[2], bv[3]};
      mma16816<T>(s[j], aq, bk0);
      mma16816<T>(s[j + 1], aq, bk1);
      mma16816<T>(dp[j], ao, bv0);
      mma16816<T>(dp[j + 1], ao, bv1);
    }
  }

  // dS (without the factor scale), element (query row g / g + 8, key column 2t / 2t + 1).
  #pragma unroll
  for (int j = 0; j < N / 8; j++) {
    #pragma unroll
    for (int e = 0; e < 4; e++) {
      const int q = q0 + qw + g + (e >= 2 ? 8 : 0);
      const int k = k0 + j * 8 + 2 * t + (e & 1);
      float x, grad = 1.f;
      if constexpr (Pat::HAS_SCORE_MOD) {
        const float y = s[j][e] * P.scale;
        x = Pat::score(P, b, h, q, k, y) * LOG2E;
        grad = Pat::score_grad(P, b, h, q, k, y);
      } else {
        x = s[j][e] * P.scale_log2;
      }
      if (!IS_FULL) {
        if (!(q < P.q_len && k < P.kv_len && Pat::mask(P, b, h, q, k))) x = -INFINITY;
      }
      const float p = exp2f(x - lse2[e >> 1]);  // 0 where masked (lse2 is never -inf)
      float ds = p * (dp[j][e] - delta[e >> 1]);
      if constexpr (Pat::HAS_SCORE_MOD) ds *= grad;
      dp[j][e] = ds;
    }
  }

  // dQ += dS K: A from the C registers (k = key), B = K via ldmatrix trans (as the forward's V).
  #pragma unroll
  for (int kk = 0; kk < N / 16; kk++) {
    uint32_t ads[4];
    bwd::c_to_a<T>(ads, dp[2 * kk], dp[2 * kk + 1]);
    #pragma unroll
    for (int d = 0; d < bwd::Chunk<D>::COLS / 8; d += 2) {
      uint32_t bk[4];
      bwd::ldsm_x4_trans(bk, kA + kk * 16 * D * 2 + (offA ^ ((c0 + d) << 4)));
      const uint32_t bk0[2] = {bk[0], bk[1]}, bk1[2] = {bk[2], bk[3]};
      mma16816<T>(dq[d], ads, bk0);
      mma16816<T>(dq[d + 1], ads, bk1);
    }
  }
}

/**
 * dQ: one CTA per (b, h, qBlock). Q, dO stay in shared memory, lse and Delta of the thread's
 * two rows in registers; it visits the FULL, then the PARTIAL key blocks of row (group of
 * (b, h), qBlock) of the q-major lists, double-buffering K and V with cp.async. Rows with no
 * key block write zeros; rows >= q_len are not written.
 */
template <class Pat, typename T, int D>
__global__ void __launch_bounds__(bwd::NUM_THREADS, 2) attnc_bwd_dq_kernel(const BwdParams<Pat, T> P) {
#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 800
  using namespace bwd;
  extern __shared__ __align__(128) unsigned char smem_raw[];
  T* Qs = reinterpret_cast<T*>(smem_raw);
  T* dOs = Qs + BLOCK * D;
  T* Ks = dOs + BLOCK * D;        // 2 buffers
  T* Vs = Ks + 2 * BLOCK * D;     // 2 buffers

  constexpr int DC = Chunk<D>::COLS;
  const int item = P.row_order[blockIdx.x / Chunk<D>::COUNT];
  const int c0 = (int)(blockIdx.x % Chunk<D>::COUNT) * (DC / 8);  // the chunk's first 8-column group
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

  load_tile<T, D, BLOCK, NUM_THREADS>(Qs, P.q + b * P.q_stride_b + h * P.q_stride_h + (int64_t)q0 * P.q_stride_s, P.q_stride_s, P.q_len - q0, P.head_dim);
  load_tile<T, D, BLOCK, NUM_THREADS>(dOs, P.dout + b * P.do_stride_b + h * P.do_stride_h + (int64_t)q0 * P.do_stride_s, P.do_stride_s, P.q_len - q0, P.head_dim);
  if (nIter > 0) {
    const int k0 = kvStart(0);
    load_tile<T, D, BLOCK, NUM_THREADS>(Ks, kg + (int64_t)k0 * P.k_stride_s, P.k_stride_s, P.kv_len - k0, P.head_dim);
    load_tile<T, D, BLOCK, NUM_THREADS>(Vs, vg + (int64_t)k0 * P.v_stride_s, P.v_stride_s, P.kv_len - k0, P.head_dim);
  }
  cp_async_commit();

  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int g = lane / 4, t = lane % 4;
  float lse2[2], delta[2];
  #pragma unroll
  for (int r = 0; r < 2; r++) {
    const int q = q0 + warp * 16 + g + 8 * r;
    const int64_t idx = ((int64_t)b * P.heads + h) * P.q_len + q;
    lse2[r] = q < P.q_len ? lse_to_log2(P.lse[idx]) : INFINITY;
    delta[r] = q < P.q_len ? P.delta[idx] : 0.f;
  }

  float dq[DC / 8][4];
  #pragma unroll
  for (int d = 0; d < DC / 8; d++) dq[d][0] = dq[d][1] = dq[d][2] = dq[d][3] = 0.f;

  for (int i = 0; i < nIter; i++) {
    cp_async_wait<0>();
    __syncthreads();
    if (i + 1 < nIter) {
      const int k1 = kvStart(i + 1);
      const int nb = (i + 1) & 1;
      load_tile<T, D, BLOCK, NUM_THREADS>(Ks + nb * BLOCK * D, kg + (int64_t)k1 * P.k_stride_s, P.k_stride_s, P.kv_len - k1, P.head_dim);
      load_tile<T, D, BLOCK, NUM_THREADS>(Vs + nb * BLOCK * D, vg + (int64_t)k1 * P.v_stride_s, P.v_stride_s, P.kv_len - k1, P.head_dim);
    }
    cp_async_commit();
    const int cb = i & 1;
    const int k0 = kvStart(i);
    if (i < nFull) attnc_bwd_dq_tile<true, Pat, T, D>(P, Qs, dOs, Ks + cb * BLOCK * D, Vs + cb * BLOCK * D, b, h, q0, k0, lse2, delta, c0, dq);
    else attnc_bwd_dq_tile<false, Pat, T, D>(P, Qs, dOs, Ks + cb * BLOCK * D, Vs + cb * BLOCK * D, b, h, q0, k0, lse2, delta, c0, dq);
  }
  cp_async_wait<0>();

  // Epilogue: query rows g and g + 8 of the warp's 16, with the factor scale.
  #pragma unroll
  for (int r = 0; r < 2; r++) {
    const int q = q0 + warp * 16 + g + 8 * r;
    if (q < P.q_len) {
      T* dqg = P.dq + b * P.dq_stride_b + h * P.dq_stride_h + (int64_t)q * P.dq_stride_s;
      #pragma unroll
      for (int d = 0; d < DC / 8; d++) {
        const int col = (c0 + d) * 8;
        if (col >= P.head_dim) continue;  // a padding column group (head dim < D)
        *reinterpret_cast<uint32_t*>(dqg + col + 2 * t) = pack2<T>(dq[d][2 * r] * P.scale, dq[d][2 * r + 1] * P.scale);
      }
    }
  }
#else
  __trap();
#endif
}

/**
 * Runs the backward: Delta, then dK/dV, then dQ, on `stream`. Returns 0, or 3 on a CUDA
 * error (launch or shared-memory attribute).
 */
template <class Pat, typename T, int D>
int launchBackwardSm80(const BwdParams<Pat, T>& p, cudaStream_t stream) {
  static_assert(D == 64 || D == 128 || D == 256, "head dim");
  static_assert(sizeof(T) == 2, "16-bit element type (the ldmatrix byte offsets assume it)");
  constexpr int NT = bwd::NUM_THREADS;
  const int64_t rows = (int64_t)p.batch * p.heads * p.q_len;
  if (rows > 0) {
    const int64_t blocks = (rows + bwd::NUM_WARPS - 1) / bwd::NUM_WARPS;
    attnc_bwd_preprocess_kernel<Pat, T, D><<<(unsigned)blocks, NT, 0, stream>>>(p);
    if (cudaGetLastError() != cudaSuccess) return 3;
  }
  const int64_t dkdvBlocks = (int64_t)p.batch * p.kv_heads * p.num_kv_blocks * bwd::Chunk<D>::COUNT;
  if (dkdvBlocks > 0) {
    constexpr size_t smem = bwd::dkdv_smem_bytes<T, D>();
    if (smem > 48 * 1024 && cudaFuncSetAttribute(attnc_bwd_dkdv_kernel<Pat, T, D>, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem) != cudaSuccess) return 3;
    attnc_bwd_dkdv_kernel<Pat, T, D><<<(unsigned)dkdvBlocks, NT, smem, stream>>>(p);
    if (cudaGetLastError() != cudaSuccess) return 3;
  }
  const int64_t dqBlocks = (int64_t)p.batch * p.heads * p.num_q_blocks * bwd::Chunk<D>::COUNT;
  if (dqBlocks > 0) {
    constexpr size_t smem = bwd::dq_smem_bytes<T, D>();
    if (smem > 48 * 1024 && cudaFuncSetAttribute(attnc_bwd_dq_kernel<Pat, T, D>, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem) != cudaSuccess) return 3;
    attnc_bwd_dq_kernel<Pat, T, D><<<(unsigned)dqBlocks, NT, smem, stream>>>(p);
    if (cudaGetLastError() != cudaSuccess) return 3;
  }
  return 0;
}

}  // namespace attnc
