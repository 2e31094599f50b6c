#pragma once
#include "pattern.h"

// attnc CUDA runtime: box tiles in the Hopper forward (docs/schedule.md, "Box tiles").
//
// A query (key) block is a box of the layout's grid: B_0 x ... x B_{d-1} grid points, powers
// of two multiplying to the block, row r of the tile at offsets o (row-major over B). The tile
// is read as runs of B_{d-1} consecutive tokens (one TMA box of B_{d-1} rows each), so the
// shared-memory tile is the same 128-byte-swizzled panel layout as a strip's and the tensor-core
// code is unchanged; only the tokens of rows and columns differ:
//
//   token(r) = corner + runToken[r >> log2 B_{d-1}] + (r & (B_{d-1} - 1))
//
// A row is padding when a coordinate on axis i >= 1 passes the grid (N_i) or the token reaches
// the sequence's length; padding rows are loaded (finite data or TMA's zeros), masked as keys
// and never stored as queries. B_{d-1} >= 8, so each run starts on a 1024-byte boundary (the
// swizzle's period) and each 8-column group of a key tile lies in one run.
// ---------------------------------------------------------------------------------------------

namespace attnc {

/** Runs per tile at most: 128 rows in runs of at least 8. */
constexpr int BOX_MAX_RUNS = 16;
/** Shared memory of the run tables: tokens and middle offsets, per side. */
constexpr int SM90_BOX_TABLE_BYTES = 4 * BOX_MAX_RUNS * 4;

/**
 * A box's first corner on one side: its token, and how many coordinates the grid has left from
 * the corner on the last axis and on the middle axes 1 and 2 (1 << 30 where the layout has no
 * such axis). Axis 0 is bounded by the token's range check.
 */
struct BoxCorner { int tok, last, mid0, mid1; };

/** The corner of block `blk` of a side with `d` axes: box grid `grid`, box sizes 2^lg, extents `ext`, token strides `stride`. */
__host__ __device__ __forceinline__ BoxCorner box_corner(int d, const int* grid, const int* lg, const int* ext, const int* stride, int blk) {
  BoxCorner c{0, 0, 1 << 30, 1 << 30};
  #pragma unroll
  for (int j = 3; j >= 0; j--) {
    if (j >= d) continue;
    const int g = blk % grid[j];
    blk /= grid[j];
    const int lo = g << lg[j];
    c.tok += lo * stride[j];
    const int left = ext[j] - lo;
    if (j == d - 1) c.last = left;
    else if (j == 1) c.mid0 = left;
    else if (j == 2) c.mid1 = left;
  }
  return c;
}

template <class Pat, typename T>
__device__ __forceinline__ BoxCorner q_corner(const Params<Pat, T>& P, int qBlock) {
  return box_corner(P.box_axes, P.box_q_grid, P.box_q_log, P.box_q_ext, P.box_stride, qBlock);
}
template <class Pat, typename T>
__device__ __forceinline__ BoxCorner kv_corner(const Params<Pat, T>& P, int kvBlock) {
  return box_corner(P.box_axes, P.box_kv_grid, P.box_kv_log, P.box_kv_ext, P.box_stride, kvBlock);
}

/**
 * Run `i` of a box with `d` axes and box sizes 2^lg: its token offset from the corner, and its
 * offsets on the middle axes packed (axis 1 in bits 0-7, axis 2 in bits 8-15).
 */
__host__ __device__ __forceinline__ void box_run(int d, const int* lg, const int* stride, int i, int& tok, int& mid) {
  tok = 0; mid = 0;
  for (int j = d - 2; j >= 0; j--) {
    const int o = i & ((1 << lg[j]) - 1);
    i >>= lg[j];
    tok += o * stride[j];
    if (j == 1) mid |= o;
    else if (j == 2) mid |= o << 8;
  }
}

/** Whether a run with packed middle offsets `mid` lies inside the grid from corner `c`. */
__device__ __forceinline__ bool run_inside(int mid, const BoxCorner& c) { return (mid & 255) < c.mid0 && (mid >> 8) < c.mid1; }

/**
 * The run tables in shared memory (`tab`, SM90_BOX_TABLE_BYTES): [0, 16) query run tokens,
 * [16, 32) query middle offsets, [32, 48) key run tokens, [48, 64) key middle offsets. Filled
 * by threads 0 .. 31 before the CTA's first barrier.
 */
template <class Pat, typename T>
__device__ __forceinline__ void fill_run_tables(const Params<Pat, T>& P, int* tab, int tid) {
  if (tid >= 2 * BOX_MAX_RUNS) return;
  const bool kv = tid >= BOX_MAX_RUNS;
  const int i = tid % BOX_MAX_RUNS;
  int tok, mid;
  box_run(P.box_axes, kv ? P.box_kv_log : P.box_q_log, P.box_stride, i, tok, mid);
  tab[(kv ? 2 : 0) * BOX_MAX_RUNS + i] = tok;
  tab[(kv ? 3 : 1) * BOX_MAX_RUNS + i] = mid;
}

/** The token of query row `row` of the box at corner `c`, or -1 for a padding row. */
template <class Pat, typename T>
__device__ __forceinline__ int box_row_token(const Params<Pat, T>& P, const int* tab, const BoxCorner& c, int row) {
  const int lg = P.box_q_log[P.box_axes - 1];
  const int run = row >> lg, o = row & ((1 << lg) - 1);
  const int tok = c.tok + tab[run] + o;
  return o < c.last && run_inside(tab[BOX_MAX_RUNS + run], c) && tok < P.q_len ? tok : -1;
}

}  // namespace attnc
