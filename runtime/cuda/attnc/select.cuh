// attnc CUDA runtime: the device half of a pattern with a `select` clause. Every call, on the
// call's stream and with no host synchronisation, before the forward kernel:
//
//   pool      mean (and max, min) of the queries of each selection query block and of the keys
//             of each key block, in fp32: partial sums over 64-row chunks, then the blocks, in
//             a fixed order (the same inputs select the same blocks)
//   score     per selection group (b, h; or b, kv head: query heads summed) and cell (i, j):
//             dot(mean q, mean k), dot(mean q, max k) or sum_d max(q_d min_d, q_d max_d); or a
//             score input's gate[b, h, i, j] (no pooling then)
//   topk      per group and query block i: the topk candidates of highest score, ties to the
//             lower j, NaN below every number; the cells' bytes (1 selected)
//   count     per work item (b, h, kernel query block): the merged tile states (select_host.h)
//   scan      per (b, h): row pointers from the counts
//   fill      per work item: the FULL and PARTIAL key blocks, in increasing order
//
// The forward kernels then run unchanged on that schedule; a PARTIAL tile evaluates the
// pattern's mask, which reads the selected cells (selected() below).
#pragma once
#include <cstdint>
#include "launch.cuh"
#include "select_host.h"

namespace attnc {

namespace sel {

constexpr int POOL_CHUNK = 64;

__device__ __forceinline__ float toFloat(__nv_bfloat16 x) { return __bfloat162float(x); }
__device__ __forceinline__ float toFloat(__half x) { return __half2float(x); }
constexpr int SCORE_TI = 16, SCORE_TJ = 32, SCORE_TD = 64;

/**
 * Partial pools of x [batch, heads, len, hd] over chunks of POOL_CHUNK rows inside blocks of
 * `blk` rows: grid (nBlocks * chunksPerBlock, batch * heads), one thread per column. The path
 * for rows that are not 16-byte aligned (pool_partial_vec reads them otherwise).
 * out: sum, max, min, each [batch * heads][nBlocks * chunksPerBlock][hd].
 */
template <class Pat, typename T>
__global__ void pool_partial(const T* __restrict__ x, int64_t sb, int64_t sh, int64_t ss, int heads, int len, int blk, int hd, int chunksPerBlock,
                             float* __restrict__ sum, float* __restrict__ mx, float* __restrict__ mn) {
  const int c = blockIdx.x, bh = blockIdx.y, b = bh / heads, h = bh % heads;
  const int blkIdx = c / chunksPerBlock, chunk = c % chunksPerBlock;
  const long long r0 = (long long)blkIdx * blk + (long long)chunk * POOL_CHUNK;
  const long long r1 = min(min(r0 + POOL_CHUNK, (long long)(blkIdx + 1) * blk), (long long)len);
  const T* base = x + b * sb + h * sh;
  const size_t out = ((size_t)bh * gridDim.x + c) * hd;
  for (int d = threadIdx.x; d < hd; d += blockDim.x) {
    float s = 0.f, hi = -INFINITY, lo = INFINITY;
    for (long long r = r0; r < r1; r++) {
      const float v = toFloat(base[r * ss + d]);
      s += v; hi = fmaxf(hi, v); lo = fminf(lo, v);
    }
    sum[out + d] = s;
    if (mx) { mx[out + d] = hi; mn[out + d] = lo; }
  }
}

constexpr int POOL_THREADS = 256;

/**
 * pool_partial for rows whose start is 16-byte aligned (hd a multiple of 8): each thread loads 8
 * columns at a time (hd / 8 lanes per row, POOL_THREADS / lanes rows side by side), keeps their
 * sums (and extremes, EXT) in registers, and the row groups are then added in a fixed order
 * through shared memory (the same inputs give the same bits). The same output as pool_partial.
 */
template <class Pat, typename T, bool EXT>
__global__ void __launch_bounds__(POOL_THREADS) pool_partial_vec(const T* __restrict__ x, int64_t sb, int64_t sh, int64_t ss, int heads, int len, int blk, int hd,
                                                                  int chunksPerBlock, float* __restrict__ sum, float* __restrict__ mx, float* __restrict__ mn) {
  // POOL_THREADS / lanes row groups of hd columns: POOL_THREADS * 8 floats per table.
  __shared__ float tSum[POOL_THREADS * 8], tMax[EXT ? POOL_THREADS * 8 : 1], tMin[EXT ? POOL_THREADS * 8 : 1];
  const int c = blockIdx.x, bh = blockIdx.y, b = bh / heads, h = bh % heads;
  const int blkIdx = c / chunksPerBlock, chunk = c % chunksPerBlock;
  const long long r0 = (long long)blkIdx * blk + (long long)chunk * POOL_CHUNK;
  const long long r1 = min(min(r0 + POOL_CHUNK, (long long)(blkIdx + 1) * blk), (long long)len);
  const int lanes = hd / 8, groups = POOL_THREADS / lanes, t = threadIdx.x, lane = t % lanes, g = t / lanes;
  const T* base = x + b * sb + h * sh + lane * 8;
  float s[8], hi[8], lo[8];
#pragma unroll
  for (int e = 0; e < 8; e++) { s[e] = 0.f; hi[e] = -INFINITY; lo[e] = INFINITY; }
  if (g < groups) {
#pragma unroll 4
    for (long long r = r0 + g; r < r1; r += groups) {
      const uint4 raw = *reinterpret_cast<const uint4*>(base + r * ss);
      const T* v = reinterpret_cast<const T*>(&raw);
#pragma unroll
      for (int e = 0; e < 8; e++) {
        const float f = toFloat(v[e]);
        s[e] += f;
        if (EXT) { hi[e] = fmaxf(hi[e], f); lo[e] = fminf(lo[e], f); }
      }
    }
#pragma unroll
    for (int e = 0; e < 8; e++) {
      const int at = g * hd + lane * 8 + e;
      tSum[at] = s[e];
      if (EXT) { tMax[at] = hi[e]; tMin[at] = lo[e]; }
    }
  }
  __syncthreads();
  const size_t out = ((size_t)bh * gridDim.x + c) * hd;
  for (int d = t; d < hd; d += POOL_THREADS) {
    float a = 0.f, up = -INFINITY, dn = INFINITY;
    for (int k = 0; k < groups; k++) {
      a += tSum[k * hd + d];
      if (EXT) { up = fmaxf(up, tMax[k * hd + d]); dn = fminf(dn, tMin[k * hd + d]); }
    }
    sum[out + d] = a;
    if (EXT) { mx[out + d] = up; mn[out + d] = dn; }
  }
}

/** The partial pools of x (q or k) into sum (and max, min where `mx`): the 16-byte path where x's rows allow it. */
template <class Pat, typename T>
void poolPartial(const T* x, const int64_t* stride, int heads, int len, int blk, int hd, int chunksPerBlock, int nBlocks, int bh, float* sum, float* mx, float* mn,
                 cudaStream_t stream) {
  const dim3 grid((unsigned)(nBlocks * chunksPerBlock), (unsigned)bh);
  const bool aligned = reinterpret_cast<uintptr_t>(x) % 16 == 0 && stride[0] % 8 == 0 && stride[1] % 8 == 0 && stride[2] % 8 == 0 && stride[3] == 1 && hd % 8 == 0 &&
                       hd / 8 <= POOL_THREADS;
  if (!aligned)
    pool_partial<Pat, T><<<grid, 128, 0, stream>>>(x, stride[0], stride[1], stride[2], heads, len, blk, hd, chunksPerBlock, sum, mx, mn);
  else if (mx)
    pool_partial_vec<Pat, T, true><<<grid, POOL_THREADS, 0, stream>>>(x, stride[0], stride[1], stride[2], heads, len, blk, hd, chunksPerBlock, sum, mx, mn);
  else
    pool_partial_vec<Pat, T, false><<<grid, POOL_THREADS, 0, stream>>>(x, stride[0], stride[1], stride[2], heads, len, blk, hd, chunksPerBlock, sum, mx, mn);
}

/** The blocks from the partial pools, chunks in order: grid (nBlocks, batch * heads). mean [bh][nBlocks][hd] (max, min likewise where asked). */
template <class Pat>
__global__ void pool_finish(const float* __restrict__ sum, const float* __restrict__ mx, const float* __restrict__ mn, int len, int blk, int hd,
                            int chunksPerBlock, float* __restrict__ mean, float* __restrict__ omx, float* __restrict__ omn) {
  const int i = blockIdx.x, bh = blockIdx.y, nb = gridDim.x;
  const long long rows = min((long long)(i + 1) * blk, (long long)len) - (long long)i * blk;
  const size_t in = ((size_t)bh * nb * chunksPerBlock + (size_t)i * chunksPerBlock) * hd, o = ((size_t)bh * nb + i) * hd;
  for (int d = threadIdx.x; d < hd; d += blockDim.x) {
    float s = 0.f, hi = -INFINITY, lo = INFINITY;
    for (int c = 0; c < chunksPerBlock; c++) {
      s += sum[in + (size_t)c * hd + d];
      if (omx) { hi = fmaxf(hi, mx[in + (size_t)c * hd + d]); lo = fminf(lo, mn[in + (size_t)c * hd + d]); }
    }
    mean[o + d] = rows > 0 ? s / (float)rows : 0.f;
    if (omx) { omx[o + d] = hi; omn[o + d] = lo; }
  }
}

/**
 * Scores of SCORE_TI x SCORE_TJ cells per CTA: grid (ceil(nK / TJ), ceil(nQ / TI), groups).
 * pq [batch * heads][nQ][hd] (query means); pk [batch * kv_heads][nK][hd] (key means, or maxima
 * for DOT_MAX, or maxima with pmin the minima for BOUND). Out: score [groups][nQ][nK].
 */
template <class Pat>
__global__ void __launch_bounds__(256) score_cells(const float* __restrict__ pq, const float* __restrict__ pk, const float* __restrict__ pmin, int kind,
                                                   int perKvHead, int heads, int kvHeads, int nQ, int nK, int hd, float* __restrict__ score) {
  __shared__ float sq[SCORE_TI][SCORE_TD + 1], sk[SCORE_TJ][SCORE_TD + 1], sm[SCORE_TJ][SCORE_TD + 1];
  const int g = blockIdx.z, i0 = blockIdx.y * SCORE_TI, j0 = blockIdx.x * SCORE_TJ;
  const int ratio = heads / kvHeads;
  // The query heads summed into this group and its kv head.
  const int b = perKvHead ? g / kvHeads : g / heads;
  const int h0 = perKvHead ? (g % kvHeads) * ratio : g % heads, nh = perKvHead ? ratio : 1;
  const int kvh = perKvHead ? g % kvHeads : (g % heads) / ratio;
  const int t = threadIdx.x, ti = t / 16, tj = t % 16;  // each thread: row ti, columns tj and tj + 16
  float acc[2] = {0.f, 0.f};
  for (int d0 = 0; d0 < hd; d0 += SCORE_TD) {
    const int dn = min(SCORE_TD, hd - d0);
    for (int e = t; e < SCORE_TI * SCORE_TD; e += 256) {
      const int r = e / SCORE_TD, d = e % SCORE_TD, i = i0 + r;
      float v = 0.f;
      if (i < nQ && d < dn)
        for (int hh = 0; hh < nh; hh++) v += pq[(((size_t)b * heads + h0 + hh) * nQ + i) * hd + d0 + d];
      sq[r][d] = v;
    }
    for (int e = t; e < SCORE_TJ * SCORE_TD; e += 256) {
      const int r = e / SCORE_TD, d = e % SCORE_TD, j = j0 + r;
      const size_t at = (((size_t)b * kvHeads + kvh) * nK + j) * hd + d0 + d;
      const bool in = j < nK && d < dn;
      sk[r][d] = in ? pk[at] : 0.f;
      if (kind == SELECT_BOUND) sm[r][d] = in ? pmin[at] : 0.f;
    }
    __syncthreads();
    for (int c = 0; c < 2; c++) {
      const int r = tj + 16 * c;
      float s = acc[c];
      if (kind == SELECT_BOUND)
        for (int d = 0; d < dn; d++) { const float x = sq[ti][d]; s += fmaxf(x * sk[r][d], x * sm[r][d]); }
      else
        for (int d = 0; d < dn; d++) s += sq[ti][d] * sk[r][d];
      acc[c] = s;
    }
    __syncthreads();
  }
  for (int c = 0; c < 2; c++) {
    const int i = i0 + ti, j = j0 + tj + 16 * c;
    if (i < nQ && j < nK) score[((size_t)g * nQ + i) * nK + j] = acc[c];
  }
}

/**
 * The scores of a score input: score[g][i][j] = gate[b, h, i, j], summed over the query heads of
 * group g in head order with `per kv_head`. gate: float [batch, heads, nQ, nK], contiguous.
 */
template <class Pat>
__global__ void __launch_bounds__(256) gate_cells(const float* __restrict__ gate, int perKvHead, int heads, int kvHeads, int nQ, int nK, float* __restrict__ score) {
  const int g = blockIdx.y;
  const int ratio = heads / kvHeads;
  const int b = perKvHead ? g / kvHeads : g / heads;
  const int h0 = perKvHead ? (g % kvHeads) * ratio : g % heads, nh = perKvHead ? ratio : 1;
  const long long cells = (long long)nQ * nK;
  for (long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x; e < cells; e += (long long)gridDim.x * blockDim.x) {
    float v = 0.f;
    for (int hh = 0; hh < nh; hh++) v += gate[((size_t)b * heads + h0 + hh) * (size_t)cells + (size_t)e];
    score[(size_t)g * cells + (size_t)e] = v;
  }
}

/** A score's bits in an order that compares like the float, NaN below everything (0). */
__device__ __forceinline__ uint32_t orderedScore(float s) {
  if (s != s) return 0u;
  const uint32_t u = __float_as_uint(s);
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

/**
 * The top-k cells of each group's query block: grid (nQ, groups), 256 threads, nK 64-bit keys
 * in dynamic shared memory. A key is (candidate, score, lower j first); non-candidates are 0
 * and never picked. C: the candidates' dense tables per static group, cGroupOf their map.
 */
template <class Pat>
__global__ void __launch_bounds__(256) topk_cells(const float* __restrict__ score, const uint8_t* __restrict__ C, const int* __restrict__ cGroupOf,
                                                  int cSchedBatch, int perKvHead, int heads, int kvHeads, int nQ, int nK, int topk, uint8_t* __restrict__ cells) {
  extern __shared__ unsigned long long keys[];
  __shared__ unsigned long long warpBest[8];
  const int i = blockIdx.x, g = blockIdx.y, t = threadIdx.x;
  const int ratio = heads / kvHeads;
  const int b = perKvHead ? g / kvHeads : g / heads;
  const int h0 = perKvHead ? (g % kvHeads) * ratio : g % heads, nh = perKvHead ? ratio : 1;
  const size_t row = ((size_t)g * nQ + i) * nK;
  // The cells of query head h of batch b: [b * heads + h][nQ][nK]; a group writes its heads' rows.
  const auto cellRow = [&](int hh) { return cells + (((size_t)b * heads + h0 + hh) * nQ + i) * nK; };
  for (int j = t; j < nK; j += 256) {
    bool cand = false;
    for (int hh = 0; hh < nh && !cand; hh++) {
      const int cg = cGroupOf[(cSchedBatch > 1 ? b : 0) * heads + h0 + hh];
      cand = C[((size_t)cg * nQ + i) * nK + j] != 0;
    }
    keys[j] = cand ? (1ull << 63) | ((unsigned long long)orderedScore(score[row + j]) << 31) | (unsigned long long)(0x7FFFFFFF - j) : 0ull;
    for (int hh = 0; hh < nh; hh++) cellRow(hh)[j] = 0;
  }
  __syncthreads();
  for (int pick = 0; pick < topk; pick++) {
    unsigned long long best = 0;
    for (int j = t; j < nK; j += 256) best = keys[j] > best ? keys[j] : best;
    for (int o = 16; o > 0; o >>= 1) { const unsigned long long x = __shfl_xor_sync(0xffffffffu, best, o); best = x > best ? x : best; }
    if ((t & 31) == 0) warpBest[t >> 5] = best;
    __syncthreads();
    best = 0;
    for (int w = 0; w < 8; w++) best = warpBest[w] > best ? warpBest[w] : best;
    if (best == 0) break;  // no candidate left (every thread sees the same best)
    const int j = 0x7FFFFFFF - (int)(best & 0x7FFFFFFFull);
    if (t == 0) keys[j] = 0;
    for (int hh = t; hh < nh; hh += 256) cellRow(hh)[j] = 1;
    __syncthreads();
  }
}

/** What the merge needs per call (pointers into the plan's device copy and the workspace). */
struct MergeArgs {
  const uint8_t *S, *R, *cells;
  const int *sGroupOf, *rGroupOf;
  int sSchedBatch, rSchedBatch;
  int batch, heads, kvHeads, qLen, kvLen, nq, nkv, blockQ, blockKv, bq, bk, nQ, nK, perKvHead;
  long long groupCap;
  int* counts;  // [rows or columns][2]: FULL, PARTIAL
  int *rowPtr, *fullRowPtr, *idx, *fullIdx;  // q-major rows (the forward's and the dQ kernel's)
  int *colPtr, *fullColPtr, *qIdx, *fullQIdx;  // k-major columns (the dK/dV kernel's; backward only)
};

/** The selection blocks [lo, hi] that kernel tile `t` (of `block` positions out of `len`) overlaps, for selection blocks of `sel`. */
__device__ __forceinline__ void spanOf(int t, int block, int len, int sel, int& lo, int& hi) {
  // t * block < len + block: fits an int.
  lo = t * block / sel;
  hi = (min(len, (t + 1) * block) - 1) / sel;
}

/**
 * Tile (qb, kb)'s merged state for the line's (b, h), 0 EMPTY, 1 PARTIAL, 2 FULL: s, r the
 * static tables of its groups, cells its selected cells, [i0, i1] x [j0, j1] the selection
 * cells the tile overlaps.
 */
__device__ __forceinline__ int mergedState(const MergeArgs& m, const uint8_t* s, const uint8_t* r, const uint8_t* cells, int qb, int kb, int i0, int i1, int j0, int j1) {
  const int st = s[(size_t)qb * m.nkv + kb];
  if (st == 2) return 2;
  const int rt = r[(size_t)qb * m.nkv + kb];
  if (rt == 0) return 0;
  int n = 0;
  for (int i = i0; i <= i1; i++)
    for (int j = j0; j <= j1; j++) n += cells[(size_t)i * m.nK + j];
  if (n == 0) return st;
  if (n == (i1 - i0 + 1) * (j1 - j0 + 1)) return rt;
  return 1;  // mixed: s is not FULL and r not EMPTY
}

/**
 * One warp per row (b, h, qb) of the merged schedule, or with COLS per column (b, h, kb):
 * counts (FILL false) or writes (FILL true) its FULL and PARTIAL tiles, in increasing order.
 */
template <class Pat, bool FILL, bool COLS>
__global__ void __launch_bounds__(256) merge_lines(MergeArgs m) {
  const int nMajor = COLS ? m.nkv : m.nq, nMinor = COLS ? m.nq : m.nkv;
  const int item = blockIdx.x * 8 + threadIdx.x / 32, lane = threadIdx.x % 32;
  if (item >= m.batch * m.heads * nMajor) return;
  const int major = item % nMajor, bh = item / nMajor, h = bh % m.heads, b = bh / m.heads;
  int nFull = 0, nPart = 0;
  const int* fullPtr = COLS ? m.fullColPtr : m.fullRowPtr;
  const int* partPtr = COLS ? m.colPtr : m.rowPtr;
  int* fullOut = COLS ? m.fullQIdx : m.fullIdx;
  int* partOut = COLS ? m.qIdx : m.idx;
  const int fullBase = FILL ? fullPtr[bh * (nMajor + 1) + major] : 0, partBase = FILL ? partPtr[bh * (nMajor + 1) + major] : 0;
  // The line's tables and cells, and the selection blocks its major tile overlaps, once.
  const uint8_t* S = m.S + (size_t)m.sGroupOf[(m.sSchedBatch > 1 ? b : 0) * m.heads + h] * m.nq * m.nkv;
  const uint8_t* R = m.R + (size_t)m.rGroupOf[(m.rSchedBatch > 1 ? b : 0) * m.heads + h] * m.nq * m.nkv;
  const uint8_t* cells = m.cells + (size_t)bh * m.nQ * m.nK;
  int a0, a1;
  if (COLS) spanOf(major, m.blockKv, m.kvLen, m.bk, a0, a1);
  else spanOf(major, m.blockQ, m.qLen, m.bq, a0, a1);
  for (int x0 = 0; x0 < nMinor; x0 += 32) {
    const int minor = x0 + lane;
    int st = 0;
    if (minor < nMinor) {
      int c0, c1;
      if (COLS) {
        spanOf(minor, m.blockQ, m.qLen, m.bq, c0, c1);
        st = mergedState(m, S, R, cells, minor, major, c0, c1, a0, a1);
      } else {
        spanOf(minor, m.blockKv, m.kvLen, m.bk, c0, c1);
        st = mergedState(m, S, R, cells, major, minor, a0, a1, c0, c1);
      }
    }
    const unsigned f = __ballot_sync(0xffffffffu, st == 2), p = __ballot_sync(0xffffffffu, st == 1);
    if (FILL) {
      const unsigned below = (1u << lane) - 1u;
      if (st == 2) fullOut[fullBase + nFull + __popc(f & below)] = minor;
      if (st == 1) partOut[partBase + nPart + __popc(p & below)] = minor;
    }
    nFull += __popc(f); nPart += __popc(p);
  }
  if (!FILL && lane == 0) { m.counts[2 * item] = nFull; m.counts[2 * item + 1] = nPart; }
}

/** Row (COLS: column) pointers of each (b, h) from the counts: grid batch * heads, 1024 threads; offsets from (b * heads + h) * groupCap. */
template <class Pat, bool COLS>
__global__ void __launch_bounds__(1024) scan_lines(MergeArgs m) {
  __shared__ int warpSum[2][32];
  __shared__ int carry[2];
  const int n = COLS ? m.nkv : m.nq;
  int* fullPtr = COLS ? m.fullColPtr : m.fullRowPtr;
  int* partPtr = COLS ? m.colPtr : m.rowPtr;
  const int bh = blockIdx.x, t = threadIdx.x, lane = t % 32, w = t / 32;
  if (t == 0) { carry[0] = 0; carry[1] = 0; }
  __syncthreads();
  const int base = (int)((long long)bh * m.groupCap);
  for (int x0 = 0; x0 < n; x0 += 1024) {
    const int x = x0 + t;
    int v[2] = {0, 0};
    if (x < n) { v[0] = m.counts[2 * (bh * n + x)]; v[1] = m.counts[2 * (bh * n + x) + 1]; }
    int incl[2];
    for (int c = 0; c < 2; c++) {
      int y = v[c];
      for (int o = 1; o < 32; o <<= 1) { const int z = __shfl_up_sync(0xffffffffu, y, o); if (lane >= o) y += z; }
      incl[c] = y;
      if (lane == 31) warpSum[c][w] = y;
    }
    __syncthreads();
    if (w == 0) {
      for (int c = 0; c < 2; c++) {
        int y = warpSum[c][lane];
        for (int o = 1; o < 32; o <<= 1) { const int z = __shfl_up_sync(0xffffffffu, y, o); if (lane >= o) y += z; }
        warpSum[c][lane] = y;  // inclusive over warps
      }
    }
    __syncthreads();
    for (int c = 0; c < 2; c++) {
      const int excl = carry[c] + (w > 0 ? warpSum[c][w - 1] : 0) + incl[c] - v[c];
      if (x < n) (c == 0 ? fullPtr : partPtr)[bh * (n + 1) + x] = base + excl;
    }
    __syncthreads();
    if (t == 0) { carry[0] += warpSum[0][31]; carry[1] += warpSum[1][31]; }
    __syncthreads();
  }
  if (t == 0) { fullPtr[bh * (n + 1) + n] = base + carry[0]; partPtr[bh * (n + 1) + n] = base + carry[1]; }
}

}  // namespace sel

/**
 * One shape's dynamic plan on the device: group maps, item orders and the dense tables. The
 * forward's (128 x block_kv tiles; persistent CTA lists) or the backward's (64 x 64 tiles;
 * row and column orders).
 */
struct DeviceDynamic {
  // sGroupOf, rGroupOf, cGroupOf, identity group map; forward: order, ctaPtr, ctaItems; backward: rowOrder, colOrder
  DeviceArrays arrays;
  std::shared_ptr<uint8_t> tables;  // S, R, C
  size_t rOff = 0, cOff = 0;
  bool backward = false;
  int block_q = 0, block_kv = 0, nq = 0, nkv = 0, work_items = 0, ctas = 0, sSchedBatch = 1, rSchedBatch = 1, cSchedBatch = 1;
  SelectShape sel;
  long long groupCap = 0;
};

/** The forward's key block of a dynamic call: the one asked for, or 128 (64 past head dim 128). */
template <class Args>
int dynamicBlockKv(const Args* a) {
  return a->block_kv != 0 ? a->block_kv : kernelHeadDim(a->head_dim) > 128 ? 64 : 128;
}

/** The dynamic plan of `a`'s shape (forward, or `backward`): planned on first use, then cached with its device copy. */
template <class Pat>
int planDynamicCached(const typename Pat::Args* a, bool backward, DeviceDynamic* out) {
  static ScheduleCache<DeviceDynamic> cache;
  int dev = 0, sms = 0;
  if (cudaGetDevice(&dev) != cudaSuccess || cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev) != cudaSuccess || sms < 1) return ATTNC_ERR_CUDA;
  if (const char* cap = std::getenv("ATTNC_CUDA_CTAS")) { const int n = std::atoi(cap); if (n >= 1 && n < sms) sms = n; }
  typename Pat::Args a2 = *a;
  a2.block_kv = backward ? BACKWARD_BLOCK : dynamicBlockKv(a);
  const int blockQ = backward ? BACKWARD_BLOCK : FORWARD_BLOCK_Q;
  std::string key;
  std::vector<std::vector<int>> host;
  HostInputs inputs;
  int rc = shapeKey<Pat>(&a2, std::to_string(dev) + ":" + std::to_string(sms) + (backward ? ":dynbwd" : ":dyn"), key, host, inputs);
  if (rc != ATTNC_OK) return rc;
  if (cache.find(key, out)) return ATTNC_OK;
  const DynamicPlan h = planDynamic<Pat>(&a2, blockQ, a2.block_kv, sms, inputs, backward);
  DeviceDynamic d;
  d.backward = backward;
  d.block_q = h.block_q; d.block_kv = h.block_kv; d.nq = h.nq; d.nkv = h.nkv; d.work_items = h.work_items; d.ctas = h.ctas; d.sel = h.sel; d.groupCap = h.groupCap;
  d.sSchedBatch = h.stat.sched_batch; d.rSchedBatch = h.restr.sched_batch; d.cSchedBatch = h.cand.sched_batch;
  if ((long long)a->batch * a->heads * std::max(1LL, h.groupCap) >= (1LL << 31)) return ATTNC_ERR_UNSUPPORTED;
  std::vector<int> identity((size_t)a->batch * a->heads);
  for (size_t i = 0; i < identity.size(); i++) identity[i] = (int)i;
  if (backward) rc = d.arrays.upload({&h.stat.groupOf, &h.restr.groupOf, &h.cand.groupOf, &identity, &h.rowOrder, &h.colOrder});
  else rc = d.arrays.upload({&h.stat.groupOf, &h.restr.groupOf, &h.cand.groupOf, &identity, &h.order, &h.ctaPtr, &h.ctaItems});
  if (rc != ATTNC_OK) return rc;
  uint8_t* t = nullptr;
  const size_t bytes = h.S.size() + h.R.size() + h.C.size();
  if (cudaMalloc(&t, std::max<size_t>(bytes, 1)) != cudaSuccess) return ATTNC_ERR_CUDA;
  d.tables = std::shared_ptr<uint8_t>(t, [](uint8_t* x) { cudaFree(x); });
  d.rOff = h.S.size(); d.cOff = h.S.size() + h.R.size();
  if (cudaMemcpy(t, h.S.data(), h.S.size(), cudaMemcpyHostToDevice) != cudaSuccess || cudaMemcpy(t + d.rOff, h.R.data(), h.R.size(), cudaMemcpyHostToDevice) != cudaSuccess ||
      cudaMemcpy(t + d.cOff, h.C.data(), h.C.size(), cudaMemcpyHostToDevice) != cudaSuccess)
    return ATTNC_ERR_CUDA;
  cache.put(key, d);
  *out = d;
  return ATTNC_OK;
}

/** A dynamic call's workspace, carved in 256-byte aligned parts. */
struct DynamicWorkspace {
  float *qSum, *kSum, *kMax, *kMin, *pq, *pkMean, *pkMax, *pkMin, *score;
  uint8_t* cells;
  int *counts, *rowPtr, *fullRowPtr, *idx, *fullIdx, *colPtr, *fullColPtr, *qIdx, *fullQIdx;
  size_t bytes = 0;
};

/** The layout of `a`'s workspace from `base` (null: sizes only); the backward's has columns too. */
template <class Pat>
DynamicWorkspace carveWorkspace(const typename Pat::Args* a, const DeviceDynamic& d, char* base) {
  DynamicWorkspace w{};
  size_t at = 0;
  auto part = [&](size_t bytes) { char* p = base ? base + at : nullptr; at += (bytes + 255) / 256 * 256; return p; };
  const SelectShape& s = d.sel;
  const size_t hd = (size_t)a->head_dim, bh = (size_t)a->batch * a->heads, bkv = (size_t)a->batch * a->kv_heads;
  const size_t cpbQ = (size_t)(s.bq + sel::POOL_CHUNK - 1) / sel::POOL_CHUNK, cpbK = (size_t)(s.bk + sel::POOL_CHUNK - 1) / sel::POOL_CHUNK;
  const bool extremes = Pat::SELECT_SCORE == SELECT_DOT_MAX || Pat::SELECT_SCORE == SELECT_BOUND;
  // A score input needs no pools.
  const size_t pooled = Pat::SELECT_SCORE == SELECT_INPUT ? 0 : 1;
  const size_t kPart = pooled * bkv * s.nK * cpbK * hd * sizeof(float), kPool = pooled * bkv * s.nK * hd * sizeof(float);
  w.qSum = (float*)part(pooled * bh * s.nQ * cpbQ * hd * sizeof(float));
  w.kSum = (float*)part(kPart);
  w.kMax = extremes ? (float*)part(kPart) : nullptr;
  w.kMin = extremes ? (float*)part(kPart) : nullptr;
  w.pq = (float*)part(pooled * bh * s.nQ * hd * sizeof(float));
  w.pkMean = (float*)part(kPool);
  w.pkMax = extremes ? (float*)part(kPool) : nullptr;
  w.pkMin = extremes ? (float*)part(kPool) : nullptr;
  const size_t cells = (size_t)s.groups * s.nQ * s.nK;
  w.score = (float*)part(cells * sizeof(float));
  w.cells = (uint8_t*)part(std::max<size_t>(bh * s.nQ * s.nK, 1));
  const size_t lines = bh * (size_t)std::max(d.nq, d.backward ? d.nkv : 0), idx = bh * (size_t)d.groupCap + 1;
  w.counts = (int*)part(2 * lines * sizeof(int));
  w.rowPtr = (int*)part(bh * (d.nq + 1) * sizeof(int));
  w.fullRowPtr = (int*)part(bh * (d.nq + 1) * sizeof(int));
  w.idx = (int*)part(idx * sizeof(int));
  w.fullIdx = (int*)part(idx * sizeof(int));
  if (d.backward) {
    w.colPtr = (int*)part(bh * (d.nkv + 1) * sizeof(int));
    w.fullColPtr = (int*)part(bh * (d.nkv + 1) * sizeof(int));
    w.qIdx = (int*)part(idx * sizeof(int));
    w.fullQIdx = (int*)part(idx * sizeof(int));
  }
  w.bytes = at;
  return w;
}

/** The checks of a dynamic call beyond checkCommon's. */
template <class Pat>
int checkDynamic(const typename Pat::Args* a) {
  const SelectShape s = selectShape<Pat>(a);
  if (s.bq < 1 || s.bk < 1 || s.topk < 0) return ATTNC_ERR_ASSERT;
  if (Pat::SELECT_SCORE == SELECT_INPUT && s.nQ > 0 && s.nK > 0 && (!Pat::selectScores(a) || reinterpret_cast<uintptr_t>(Pat::selectScores(a)) % 4 != 0)) return ATTNC_ERR_ARGS;
  if ((size_t)s.nK * 8 > 200 * 1024) return ATTNC_ERR_UNSUPPORTED;  // top-k keys of a row in shared memory
  if ((long long)s.groups * s.nQ * s.nK >= (1LL << 40)) return ATTNC_ERR_UNSUPPORTED;
  return ATTNC_OK;
}

/** The forward workspace of a dynamic call in bytes (0 where the arguments are refused; the call then says why). */
template <class Pat>
size_t dynamicWorkspace(const typename Pat::Args* a) {
  if (checkCommon<Pat>(a) != ATTNC_OK || checkDynamic<Pat>(a) != ATTNC_OK) return 0;
  DeviceDynamic d;
  if (planDynamicCached<Pat>(a, false, &d) != ATTNC_OK) return 0;
  return carveWorkspace<Pat>(a, d, nullptr).bytes;
}

/** The backward's delta (backwardWorkspace without atomics), rounded up to 256 bytes: the selection's workspace follows it. */
template <class Args>
size_t deltaBytes(const Args* a) {
  const size_t rows = (size_t)a->batch * a->heads * a->q_len;
  return ((rows + 3) / 4 * 4 * sizeof(float) + 255) / 256 * 256;
}

/** The backward workspace of a dynamic call in bytes: delta, then the selection's and the schedule's (0 where refused). */
template <class Pat>
size_t dynamicBackwardWorkspace(const typename Pat::Args* a) {
  if (checkCommon<Pat>(a) != ATTNC_OK || checkDynamic<Pat>(a) != ATTNC_OK) return 0;
  DeviceDynamic d;
  if (planDynamicCached<Pat>(a, true, &d) != ATTNC_OK) return 0;
  return deltaBytes(a) + carveWorkspace<Pat>(a, d, nullptr).bytes;
}

/** The selection of one call (pooling, scores, top-k) into w.cells, on `stream`. */
template <class Pat, typename T>
int selectCells(const typename Pat::Args* a, const DeviceDynamic& d, const DynamicWorkspace& w, cudaStream_t stream) {
  const SelectShape& s = d.sel;
  const int hd = a->head_dim, bh = a->batch * a->heads, bkv = a->batch * a->kv_heads;
  const int cpbQ = (s.bq + sel::POOL_CHUNK - 1) / sel::POOL_CHUNK, cpbK = (s.bk + sel::POOL_CHUNK - 1) / sel::POOL_CHUNK;
  const bool extremes = Pat::SELECT_SCORE == SELECT_DOT_MAX || Pat::SELECT_SCORE == SELECT_BOUND;
  if (s.nQ > 0 && s.nK > 0) {
    if (Pat::SELECT_SCORE == SELECT_INPUT) {
      const long long cells = (long long)s.nQ * s.nK;
      const unsigned blocks = (unsigned)std::min<long long>((cells + 255) / 256, 1024);
      sel::gate_cells<Pat><<<dim3(blocks, (unsigned)s.groups), 256, 0, stream>>>(Pat::selectScores(a), Pat::SELECT_PER_KV_HEAD ? 1 : 0, a->heads, a->kv_heads, s.nQ, s.nK,
                                                                                 w.score);
    } else {
      sel::poolPartial<Pat, T>((const T*)a->q, a->q_stride, a->heads, a->q_len, s.bq, hd, cpbQ, s.nQ, bh, w.qSum, nullptr, nullptr, stream);
      sel::pool_finish<Pat><<<dim3((unsigned)s.nQ, (unsigned)bh), 128, 0, stream>>>(w.qSum, nullptr, nullptr, a->q_len, s.bq, hd, cpbQ, w.pq, nullptr, nullptr);
      sel::poolPartial<Pat, T>((const T*)a->k, a->k_stride, a->kv_heads, a->kv_len, s.bk, hd, cpbK, s.nK, bkv, w.kSum, extremes ? w.kMax : nullptr,
                               extremes ? w.kMin : nullptr, stream);
      sel::pool_finish<Pat><<<dim3((unsigned)s.nK, (unsigned)bkv), 128, 0, stream>>>(w.kSum, w.kMax, w.kMin, a->kv_len, s.bk, hd, cpbK, w.pkMean, w.pkMax, w.pkMin);
      const float* pk = Pat::SELECT_SCORE == SELECT_DOT_MEAN ? w.pkMean : w.pkMax;
      sel::score_cells<Pat><<<dim3((unsigned)((s.nK + sel::SCORE_TJ - 1) / sel::SCORE_TJ), (unsigned)((s.nQ + sel::SCORE_TI - 1) / sel::SCORE_TI), (unsigned)s.groups), 256, 0,
                              stream>>>(w.pq, pk, extremes ? w.pkMin : nullptr, Pat::SELECT_SCORE, Pat::SELECT_PER_KV_HEAD ? 1 : 0, a->heads, a->kv_heads, s.nQ, s.nK, hd,
                                        w.score);
    }
    const size_t smem = (size_t)s.nK * 8;
    static std::atomic<uint64_t> configured{0};
    if (smem > 48 * 1024 && !allowSharedMemory((const void*)sel::topk_cells<Pat>, smem, configured)) return ATTNC_ERR_CUDA;
    sel::topk_cells<Pat><<<dim3((unsigned)s.nQ, (unsigned)s.groups), 256, smem, stream>>>(w.score, d.tables.get() + d.cOff, d.arrays.at(2), d.cSchedBatch,
                                                                                           Pat::SELECT_PER_KV_HEAD ? 1 : 0, a->heads, a->kv_heads, s.nQ, s.nK, s.topk, w.cells);
  }
  return cudaGetLastError() == cudaSuccess ? ATTNC_OK : ATTNC_ERR_CUDA;
}

/** The selection and the merged schedule of one call (rows; the backward's columns too), on `stream`. */
template <class Pat, typename T>
int selectAndMerge(const typename Pat::Args* a, const DeviceDynamic& d, const DynamicWorkspace& w, cudaStream_t stream) {
  int rc = selectCells<Pat, T>(a, d, w, stream);
  if (rc != ATTNC_OK) return rc;
  const SelectShape& s = d.sel;
  const int bh = a->batch * a->heads;
  sel::MergeArgs m;
  m.S = d.tables.get(); m.R = d.tables.get() + d.rOff; m.cells = w.cells;
  m.sGroupOf = d.arrays.at(0); m.rGroupOf = d.arrays.at(1); m.sSchedBatch = d.sSchedBatch; m.rSchedBatch = d.rSchedBatch;
  m.batch = a->batch; m.heads = a->heads; m.kvHeads = a->kv_heads; m.qLen = a->q_len; m.kvLen = a->kv_len;
  m.nq = d.nq; m.nkv = d.nkv; m.blockQ = d.block_q; m.blockKv = d.block_kv; m.bq = s.bq; m.bk = s.bk; m.nQ = s.nQ; m.nK = s.nK; m.perKvHead = Pat::SELECT_PER_KV_HEAD ? 1 : 0;
  m.groupCap = d.groupCap; m.counts = w.counts;
  m.rowPtr = w.rowPtr; m.fullRowPtr = w.fullRowPtr; m.idx = w.idx; m.fullIdx = w.fullIdx;
  m.colPtr = w.colPtr; m.fullColPtr = w.fullColPtr; m.qIdx = w.qIdx; m.fullQIdx = w.fullQIdx;
  if (bh * d.nq > 0) {
    const unsigned grid = (unsigned)(((long long)bh * d.nq + 7) / 8);
    sel::merge_lines<Pat, false, false><<<grid, 256, 0, stream>>>(m);
    sel::scan_lines<Pat, false><<<(unsigned)bh, 1024, 0, stream>>>(m);
    sel::merge_lines<Pat, true, false><<<grid, 256, 0, stream>>>(m);
  }
  if (d.backward && bh * d.nkv > 0) {
    const unsigned grid = (unsigned)(((long long)bh * d.nkv + 7) / 8);
    sel::merge_lines<Pat, false, true><<<grid, 256, 0, stream>>>(m);
    sel::scan_lines<Pat, true><<<(unsigned)bh, 1024, 0, stream>>>(m);
    sel::merge_lines<Pat, true, true><<<grid, 256, 0, stream>>>(m);
  }
  return cudaGetLastError() == cudaSuccess ? ATTNC_OK : ATTNC_ERR_CUDA;
}

/** The cells the kernels' mask reads. */
template <class Pat>
SelectCells cellsOf(const DeviceDynamic& d, const DynamicWorkspace& w) {
  return SelectCells{w.cells, d.sel.bq, d.sel.bk, d.sel.nQ, d.sel.nK};
}

/**
 * The forward entry point of a dynamic pattern: the selection, the merged schedule, then the
 * forward kernel on it. `a->workspace` holds dynamicWorkspace(a) bytes (256-byte aligned).
 */
template <class Pat>
int forwardDynamic(const typename Pat::Args* a, cudaStream_t stream) {
  int rc = checkCommon<Pat>(a);
  if (rc != ATTNC_OK) return rc;
  if ((rc = checkDynamic<Pat>(a)) != ATTNC_OK) return rc;
  if (!a->workspace || reinterpret_cast<uintptr_t>(a->workspace) % 256 != 0) return ATTNC_ERR_ARGS;
  DeviceDynamic d;
  if ((rc = planDynamicCached<Pat>(a, false, &d)) != ATTNC_OK) return rc;
  const DynamicWorkspace w = carveWorkspace<Pat>(a, d, reinterpret_cast<char*>(a->workspace));
  return forHeadDim(a, [&](auto t, auto dim) {
    using T = typename decltype(t)::type;
    constexpr int D = decltype(dim)::value;
    int r = selectAndMerge<Pat, T>(a, d, w, stream);
    if (r != ATTNC_OK) return r;
    Params<Pat, T> p{};
    static_cast<typename Pat::Values&>(p) = Pat::values(a);
    fillForwardTensors(p, a);
    p.num_q_blocks = d.nq; p.block_kv = d.block_kv; p.sched_batch = a->batch;
    p.group_of = d.arrays.at(3); p.kv_row_ptr = w.rowPtr; p.kv_indices = w.idx; p.full_kv_row_ptr = w.fullRowPtr; p.full_kv_indices = w.fullIdx;
    p.work_order = d.arrays.at(4); p.cta_ptr = d.arrays.at(5); p.cta_items = d.arrays.at(6);
    p.sel = cellsOf<Pat>(d, w);
    return launchForward<Pat, T, D, false>(a, p, d.ctas, d.work_items, stream);  // 128-row schedules: two consumers
  });
}

/**
 * The backward entry point of a dynamic pattern: the selection again (deterministic: the same
 * q and k select the same cells as the forward did), the merged rows and columns of 64 x 64
 * tiles, then the deterministic backward kernels. The selection is not differentiated: the
 * gradients flow through the selected blocks. `a->workspace` holds dynamicBackwardWorkspace(a)
 * bytes (256-byte aligned): delta, then the selection's.
 */
template <class Pat>
int backwardDynamic(const typename Pat::Args* a, cudaStream_t stream) {
  int rc = checkCommon<Pat>(a);
  if (rc != ATTNC_OK) return rc;
  if ((rc = checkDynamic<Pat>(a)) != ATTNC_OK) return rc;
  if (!a->lse || !a->dout || !a->dq || !a->dk || !a->dv || !a->workspace || reinterpret_cast<uintptr_t>(a->workspace) % 256 != 0) return ATTNC_ERR_ARGS;
  if (a->do_stride[3] != 1 || a->dq_stride[3] != 1 || a->dk_stride[3] != 1 || a->dv_stride[3] != 1) return ATTNC_ERR_UNSUPPORTED;
  DeviceDynamic d;
  if ((rc = planDynamicCached<Pat>(a, true, &d)) != ATTNC_OK) return rc;
  const DynamicWorkspace w = carveWorkspace<Pat>(a, d, reinterpret_cast<char*>(a->workspace) + deltaBytes(a));
  return forHeadDim(a, [&](auto t, auto dim) {
    using T = typename decltype(t)::type;
    constexpr int D = decltype(dim)::value;
    int r = selectAndMerge<Pat, T>(a, d, w, stream);
    if (r != ATTNC_OK) return r;
    BwdParams<Pat, T> p{};
    fillBackwardTensors(p, a);
    p.num_q_blocks = d.nq; p.num_kv_blocks = d.nkv; p.sched_batch = a->batch;
    p.group_of = d.arrays.at(3);
    p.kv_row_ptr = w.rowPtr; p.kv_indices = w.idx; p.full_kv_row_ptr = w.fullRowPtr; p.full_kv_indices = w.fullIdx;
    p.q_col_ptr = w.colPtr; p.q_indices = w.qIdx; p.full_q_col_ptr = w.fullColPtr; p.full_q_indices = w.fullQIdx;
    p.row_order = d.arrays.at(4); p.col_order = d.arrays.at(5);
    p.sel = cellsOf<Pat>(d, w);
    return runBackward<Pat, T, D>(a, p, false, stream);
  });
}

/**
 * The selected cells of one call alone, copied to `cells` (device memory of batch x heads x nQ
 * x nK bytes, row-major; 1 selected; with `per kv_head` the query heads of a kv head agree).
 * `a->workspace` as for forwardDynamic; o and lse are not touched.
 */
template <class Pat>
int selectDynamic(const typename Pat::Args* a, uint8_t* cells, cudaStream_t stream) {
  int rc = checkCommon<Pat>(a);
  if (rc != ATTNC_OK) return rc;
  if ((rc = checkDynamic<Pat>(a)) != ATTNC_OK) return rc;
  if (!cells || !a->workspace || reinterpret_cast<uintptr_t>(a->workspace) % 256 != 0) return ATTNC_ERR_ARGS;
  DeviceDynamic d;
  if ((rc = planDynamicCached<Pat>(a, false, &d)) != ATTNC_OK) return rc;
  const DynamicWorkspace w = carveWorkspace<Pat>(a, d, reinterpret_cast<char*>(a->workspace));
  rc = forHeadDim(a, [&](auto t, auto) { return selectCells<Pat, typename decltype(t)::type>(a, d, w, stream); });
  if (rc != ATTNC_OK) return rc;
  const size_t n = (size_t)a->batch * a->heads * d.sel.nQ * d.sel.nK;
  return n == 0 || cudaMemcpyAsync(cells, w.cells, n, cudaMemcpyDeviceToDevice, stream) == cudaSuccess ? ATTNC_OK : ATTNC_ERR_CUDA;
}

}  // namespace attnc
