#pragma once
#include "pattern.h"
#include "sm80_ops.cuh"

// attnc CUDA runtime. Block-sparse flash attention forward (FlashAttention-2 style, mma.sync m16n8k16, sm_80+).
//
// Notation (the same words as the schedule and the .attn language):
//   q, k          query / key token index;  b, h: batch, head;  kvHead = h / (heads / kvHeads)
//   qBlock        BLOCK_M = 128 query rows, one CTA; 4 warps, each owning 32 rows (M_TILES = 2 MMA row tiles),
//                 or at head dim 256 8 warps of 16 rows (Fwd80)
//   kvBlock       a schedule tile of blockKv keys, visited as blockKv / BLOCK_N sub-tiles
//   FULL tile     every element allowed: no mask evaluation (IS_FULL = true)
//   PARTIAL tile  the pattern's predicate is evaluated per element (IS_FULL = false)
//   x             a score in the log2 domain: x = (softcap(s * scale) + bias) * log2(e)
//   m, l          running row max of x and running sum of exp2(x - m)
// One tile body, `attnc_tile<IS_FULL>`, runs both kinds of tiles.
// [Note: Fully masked rows] a row with no allowed key ends with l = 0: O = 0, lse = -inf.
// ---------------------------------------------------------------------------------------------

namespace attnc {

constexpr int BLOCK_M = 128;
constexpr int BLOCK_N = 64;
/**
 * Row tiles of 16 per warp: 2 (4 warps) up to head dim 128; 1 (8 warps) at 256, where 2 would
 * need 256 O accumulators per thread.
 */
template <int D> struct Fwd80 {
  static constexpr int M_TILES = D > 128 ? 1 : 2;
  static constexpr int THREADS = BLOCK_M / 16 / M_TILES * 32;
};
/**
 * One kv sub-tile of BLOCK_N keys starting at `k0`: S = Q K^T, the mask (PARTIAL only) and
 * score modifications, the online-softmax update, and O += P V.
 */
template <bool IS_FULL, class Pat, typename T, int D>
__device__ __forceinline__ void attnc_tile(const Params<Pat, T>& P, const T* Qs, const T* Ks, const T* Vs, int b, int h, int q0, int k0,
                                           float (&o)[Fwd80<D>::M_TILES][D / 8][4], float (&m)[Fwd80<D>::M_TILES][2], float (&l)[Fwd80<D>::M_TILES][2]) {
  constexpr int M_TILES = Fwd80<D>::M_TILES;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int g = lane / 4, t = lane % 4;
  float s[M_TILES][BLOCK_N / 8][4];
  #pragma unroll
  for (int mt = 0; mt < M_TILES; mt++)
    #pragma unroll
    for (int j = 0; j < BLOCK_N / 8; j++) s[mt][j][0] = s[mt][j][1] = s[mt][j][2] = s[mt][j][3] = 0.f;

  // S = Q K^T: per 16-wide k step, M_TILES A fragments of Q; each K fragment feeds M_TILES MMAs.
  #pragma unroll
  for (int kk = 0; kk < D / 16; kk++) {
    uint32_t a[M_TILES][4];
    #pragma unroll
    for (int mt = 0; mt < M_TILES; mt++) ldmatrix_x4(a[mt], Qs + swz<D>(warp * 16 * M_TILES + mt * 16 + (lane % 16), kk * 2 + lane / 16));
    #pragma unroll
    for (int j = 0; j < BLOCK_N / 8; j += 2) {
      uint32_t bf[4];
      const int n = j * 8 + (lane & 7) + ((lane >> 4) << 3);
      ldmatrix_x4(bf, Ks + swz<D>(n, kk * 2 + ((lane >> 3) & 1)));
      const uint32_t b0[2] = {bf[0], bf[1]}, b1[2] = {bf[2], bf[3]};
      #pragma unroll
      for (int mt = 0; mt < M_TILES; mt++) {
        mma16816<T>(s[mt][j], a[mt], b0);
        mma16816<T>(s[mt][j + 1], a[mt], b1);
      }
    }
  }

  // Scores to the log2 domain, with score modifications and (PARTIAL only) the mask.
  #pragma unroll
  for (int mt = 0; mt < M_TILES; mt++) {
    const int qa = q0 + warp * 16 * M_TILES + mt * 16 + g;
    #pragma unroll
    for (int j = 0; j < BLOCK_N / 8; j++) {
      #pragma unroll
      for (int e = 0; e < 4; e++) {
        const int q = qa + (e >= 2 ? 8 : 0);
        const int k = k0 + j * 8 + 2 * t + (e & 1);
        float x = s[mt][j][e];
        if constexpr (Pat::HAS_SCORE_MOD) x = Pat::score(P, b, h, q, k, x * P.scale) * LOG2E;
        else x = x * P.scale_log2;
        if (!IS_FULL) {
          if (!(q < P.q_len && k < P.kv_len && Pat::mask(P, b, h, q, k))) x = -INFINITY;
        }
        s[mt][j][e] = x;
      }
    }
  }

  // Online softmax: rows g (e = 0, 1) and g + 8 (e = 2, 3) of each row tile; a row spans a quad of lanes.
  #pragma unroll
  for (int mt = 0; mt < M_TILES; mt++) {
    #pragma unroll
    for (int r = 0; r < 2; r++) {
      float mx = m[mt][r];
      #pragma unroll
      for (int j = 0; j < BLOCK_N / 8; j++) mx = fmaxf(mx, fmaxf(s[mt][j][2 * r], s[mt][j][2 * r + 1]));
      mx = fmaxf(mx, __shfl_xor_sync(0xffffffff, mx, 1));
      mx = fmaxf(mx, __shfl_xor_sync(0xffffffff, mx, 2));
      const float base = mx == -INFINITY ? 0.f : mx;
      const float alpha = m[mt][r] == -INFINITY ? 0.f : exp2f(m[mt][r] - base);
      float sum = 0.f;
      #pragma unroll
      for (int j = 0; j < BLOCK_N / 8; j++) {
        s[mt][j][2 * r] = exp2f(s[mt][j][2 * r] - base);
        s[mt][j][2 * r + 1] = exp2f(s[mt][j][2 * r + 1] - base);
        sum += s[mt][j][2 * r] + s[mt][j][2 * r + 1];
      }
      l[mt][r] = l[mt][r] * alpha + sum;
      m[mt][r] = mx;
      #pragma unroll
      for (int d = 0; d < D / 8; d++) { o[mt][d][2 * r] *= alpha; o[mt][d][2 * r + 1] *= alpha; }
    }
  }

  // O += P V: P from the S registers (C layout of n-tiles 2kk, 2kk+1 = A layout of k step kk).
  #pragma unroll
  for (int kk = 0; kk < BLOCK_N / 16; kk++) {
    uint32_t a[M_TILES][4];
    using V2 = Vec2<T>;
    #pragma unroll
    for (int mt = 0; mt < M_TILES; mt++) {
      typename V2::type p0 = V2::pack(s[mt][2 * kk][0], s[mt][2 * kk][1]), p1 = V2::pack(s[mt][2 * kk][2], s[mt][2 * kk][3]);
      typename V2::type p2 = V2::pack(s[mt][2 * kk + 1][0], s[mt][2 * kk + 1][1]), p3 = V2::pack(s[mt][2 * kk + 1][2], s[mt][2 * kk + 1][3]);
      a[mt][0] = *reinterpret_cast<uint32_t*>(&p0); a[mt][1] = *reinterpret_cast<uint32_t*>(&p1);
      a[mt][2] = *reinterpret_cast<uint32_t*>(&p2); a[mt][3] = *reinterpret_cast<uint32_t*>(&p3);
    }
    #pragma unroll
    for (int d = 0; d < D / 8; d += 2) {
      uint32_t bf[4];
      ldmatrix_x4_trans(bf, Vs + swz<D>(kk * 16 + (lane & 15), d + (lane >> 4)));
      const uint32_t b0[2] = {bf[0], bf[1]}, b1[2] = {bf[2], bf[3]};
      #pragma unroll
      for (int mt = 0; mt < M_TILES; mt++) {
        mma16816<T>(o[mt][d], a[mt], b0);
        mma16816<T>(o[mt][d + 1], a[mt], b1);
      }
    }
  }
}

/**
 * One CTA per work item (b, h, qBlock), in the order the host chose (longest rows first).
 * It visits the FULL list, then the PARTIAL list, of its head group's row; EMPTY tiles are
 * never touched. K/V sub-tiles are double-buffered with cp.async.
 */
template <class Pat, typename T, int D>
__global__ void __launch_bounds__(Fwd80<D>::THREADS, D > 128 ? 1 : 2) attnc_forward_kernel(const Params<Pat, T> P) {
  constexpr int M_TILES = Fwd80<D>::M_TILES, NUM_THREADS = Fwd80<D>::THREADS;
  extern __shared__ __align__(128) unsigned char smem_raw[];
  T* Qs = reinterpret_cast<T*>(smem_raw);
  T* Ks = Qs + BLOCK_M * D;
  T* Vs = Ks + 2 * BLOCK_N * D;

  const int item = P.work_order[blockIdx.x];
  const int qBlock = item % P.num_q_blocks;
  const int bh = item / P.num_q_blocks;
  const int h = bh % P.heads, b = bh / P.heads;
  const int kvHead = h / (P.heads / P.kv_heads);
  const int grp = P.group_of[(P.sched_batch > 1 ? b : 0) * P.heads + h];
  const int row = grp * (P.num_q_blocks + 1) + qBlock;
  const int fullBegin = P.full_kv_row_ptr[row], fullEnd = P.full_kv_row_ptr[row + 1];
  const int partBegin = P.kv_row_ptr[row], partEnd = P.kv_row_ptr[row + 1];
  const int sub = P.block_kv / BLOCK_N;
  const int nFull = (fullEnd - fullBegin) * sub;
  const int nIter = nFull + (partEnd - partBegin) * sub;
  const int q0 = qBlock * BLOCK_M;

  const T* qg = P.q + b * P.q_stride_b + h * P.q_stride_h;
  const T* kg = P.k + b * P.k_stride_b + kvHead * P.k_stride_h;
  const T* vg = P.v + b * P.v_stride_b + kvHead * P.v_stride_h;
  auto kvStart = [&](int i) {
    const int tile = i < nFull ? P.full_kv_indices[fullBegin + i / sub] : P.kv_indices[partBegin + (i - nFull) / sub];
    return tile * P.block_kv + (i % sub) * BLOCK_N;
  };

  load_tile<T, D, BLOCK_M, NUM_THREADS>(Qs, qg + (int64_t)q0 * P.q_stride_s, P.q_stride_s, P.q_len - q0, P.head_dim);
  if (nIter > 0) {
    const int k0 = kvStart(0);
    load_tile<T, D, BLOCK_N, NUM_THREADS>(Ks, kg + (int64_t)k0 * P.k_stride_s, P.k_stride_s, P.kv_len - k0, P.head_dim);
    load_tile<T, D, BLOCK_N, NUM_THREADS>(Vs, vg + (int64_t)k0 * P.v_stride_s, P.v_stride_s, P.kv_len - k0, P.head_dim);
  }
  cp_async_commit();

  float o[M_TILES][D / 8][4];
  float m[M_TILES][2], l[M_TILES][2];
  #pragma unroll
  for (int mt = 0; mt < M_TILES; mt++) {
    #pragma unroll
    for (int d = 0; d < D / 8; d++) o[mt][d][0] = o[mt][d][1] = o[mt][d][2] = o[mt][d][3] = 0.f;
    m[mt][0] = m[mt][1] = -INFINITY;
    l[mt][0] = l[mt][1] = 0.f;
  }

  for (int i = 0; i < nIter; i++) {
    cp_async_wait<0>();
    __syncthreads();
    if (i + 1 < nIter) {
      const int k1 = kvStart(i + 1);
      const int nb = (i + 1) & 1;
      load_tile<T, D, BLOCK_N, NUM_THREADS>(Ks + nb * BLOCK_N * D, kg + (int64_t)k1 * P.k_stride_s, P.k_stride_s, P.kv_len - k1, P.head_dim);
      load_tile<T, D, BLOCK_N, NUM_THREADS>(Vs + nb * BLOCK_N * D, vg + (int64_t)k1 * P.v_stride_s, P.v_stride_s, P.kv_len - k1, P.head_dim);
    }
    cp_async_commit();
    const int cb = i & 1;
    const int k0 = kvStart(i);
    if (i < nFull) attnc_tile<true, Pat, T, D>(P, Qs, Ks + cb * BLOCK_N * D, Vs + cb * BLOCK_N * D, b, h, q0, k0, o, m, l);
    else attnc_tile<false, Pat, T, D>(P, Qs, Ks + cb * BLOCK_N * D, Vs + cb * BLOCK_N * D, b, h, q0, k0, o, m, l);
  }

  // Epilogue: full row sums across the quad, normalise, write O and the log-sum-exp.
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int g = lane / 4, t = lane % 4;
  #pragma unroll
  for (int mt = 0; mt < M_TILES; mt++) {
    #pragma unroll
    for (int r = 0; r < 2; r++) {
      float sum = l[mt][r];
      sum += __shfl_xor_sync(0xffffffff, sum, 1);
      sum += __shfl_xor_sync(0xffffffff, sum, 2);
      const float inv = sum > 0.f ? 1.f / sum : 0.f;
      const int q = q0 + warp * 16 * M_TILES + mt * 16 + g + 8 * r;
      if (q < P.q_len) {
        T* og = P.o + b * P.o_stride_b + h * P.o_stride_h + (int64_t)q * P.o_stride_s;
        #pragma unroll
        for (int d = 0; d < D / 8; d++) {
          if (d * 8 >= P.head_dim) continue;  // a padding column group (head dim < D)
          auto v = Vec2<T>::pack(o[mt][d][2 * r] * inv, o[mt][d][2 * r + 1] * inv);
          *reinterpret_cast<typename Vec2<T>::type*>(og + d * 8 + 2 * t) = v;
        }
        if (t == 0 && P.lse) {
          P.lse[((int64_t)b * P.heads + h) * P.q_len + q] = sum > 0.f ? (m[mt][r] + log2f(sum)) / LOG2E : -INFINITY;
        }
      }
    }
  }
}

}  // namespace attnc
