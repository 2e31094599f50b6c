// attnc CUDA runtime: what a generated pattern provides, and the kernels' parameter block.
//
// A generated `<pattern>.cu` defines one `struct Pattern` and instantiates the runtime with it:
//
//   struct Pattern {
//     using Args = attnc_<name>_args;              // the C interface's argument struct
//     struct Values { ... };                       // runtime values the kernels read: p_<param>
//                                                  // (int/float/bool) and in_<input> (const int*)
//     static constexpr bool HAS_SCORE_MOD;         // soft-cap and/or score bias present
//     static constexpr bool MASK_DIAGONAL;         // mask depends on q - k only
//     static constexpr bool DIAGONAL_BAND;         // the Hopper kernel's per-diagonal PARTIAL path
//     static constexpr int MASK_UNROLL;            // column groups of a PARTIAL tile evaluated together
//     // mask(b, h, q, k), with `P` any struct holding q_len, kv_len, heads and Values' fields:
//     template <class PP> __host__ __device__ static bool mask(const PP& P, int b, int h, int q, int k);
//     template <class PP> __host__ __device__ static bool mask_eager(const PP& P, int b, int h, int q, int k);
//     // Tile-uniform masks (compiler/ir/tile-uniform.ts; optional, see TileUniform below):
//     static constexpr bool TILE_UNIFORM;
//     struct Tile { ... };                          // per-tile values of the mask
//     template <class PP> __host__ __device__ static bool tile(const PP& P, int b, int h, int qlo, int qhi, int klo, int khi, Tile& t);
//     template <class PP> __host__ __device__ static bool mask_tile(const PP& P, const Tile& t, int b, int h, int q, int k);
//     // x = s * scale (natural units) -> the modified score (soft-cap, then bias), and its
//     // derivative d score / d x (1 without soft-cap: bias has no gradient).
//     template <class PP> __host__ __device__ static float score(const PP& P, int b, int h, int q, int k, float x);
//     template <class PP> __host__ __device__ static float score_grad(const PP& P, int b, int h, int q, int k, float x);
//     ... and the host half (planning, asserts, input arrays): see host.h.
//   };
#pragma once
#include <cstdint>
#include <type_traits>

namespace attnc {

/** Whether `Pat` has a tile-uniform mask (TILE_UNIFORM true); a Pattern written by hand may leave the member out. */
template <class Pat, class = void> struct TileUniform : std::false_type {};
template <class Pat> struct TileUniform<Pat, std::void_t<decltype(Pat::TILE_UNIFORM)>> : std::integral_constant<bool, Pat::TILE_UNIFORM> {};

/**
 * The head dim a kernel is built for: 64, 128 or 256, the smallest not below `d`; 0 where `d`
 * is not a multiple of 16 in [16, 256]. A call with head dim d runs the kernel of
 * kernelHeadDim(d) columns: columns d .. of Q, K and V read as zeros in shared memory (they add
 * nothing to Q K^T), and columns d .. of O and the gradients are never stored.
 */
constexpr int kernelHeadDim(int d) { return d < 16 || d > 256 || d % 16 != 0 ? 0 : d <= 64 ? 64 : d <= 128 ? 128 : 256; }

/** Everything the forward kernels read, by value (one struct, no global state). */
template <class Pat, typename T>
struct Params : Pat::Values {
  const T* q; const T* k; const T* v; T* o; float* lse;
  int64_t q_stride_b, q_stride_h, q_stride_s;
  int64_t k_stride_b, k_stride_h, k_stride_s;
  int64_t v_stride_b, v_stride_h, v_stride_s;
  int64_t o_stride_b, o_stride_h, o_stride_s;
  int batch, heads, kv_heads, q_len, kv_len;
  int head_dim;  // the tensors' head dim (kernelHeadDim(head_dim) = the kernel's D)
  float scale, scale_log2;
  int num_q_blocks, block_kv, sched_batch;
  // The Hopper kernel's consumer warpgroups: 3 for a schedule of planThree (plan_host.h: query
  // blocks of 192 rows, entries with a status per warpgroup), else (0 or 2) query blocks of 128.
  int consumers;
  const int* group_of;
  const int* kv_row_ptr; const int* kv_indices;
  const int* full_kv_row_ptr; const int* full_kv_indices;
  const int* work_order;
  const int* cta_ptr; const int* cta_items;  // persistent kernels: CTA c runs cta_items[cta_ptr[c] .. cta_ptr[c + 1])
  // Box tiles (docs/schedule.md, "Box tiles"; the Hopper kernel only): box_axes is 0 for strips,
  // else the layout's axes d. Token strides of the grid; per side (query, key) each axis's box
  // size as its log2, the grid's extent N_i and the number of boxes G_i. Query block qBlock (key
  // block kb) is the box at row-major box coordinates over G.
  int box_axes;
  int box_stride[4];
  int box_q_log[4], box_q_ext[4], box_q_grid[4];
  int box_kv_log[4], box_kv_ext[4], box_kv_grid[4];
};

/**
 * Everything the backward kernels read. The backward schedule is planned with 64 x 64 tiles
 * (block_q = block_kv = 64) and comes in both orders, per head group (group_of maps (b, h) to
 * a group as in Params; row/column pointers are absolute offsets into the joined arrays):
 *   q-major rows:    group g, query block qb:  kv_row_ptr[g * (num_q_blocks + 1) + qb] ..  (+1)
 *                    index kv_indices (PARTIAL key blocks), full_* the FULL ones
 *   k-major columns: group g, key block kb:    q_col_ptr[g * (num_kv_blocks + 1) + kb] .. (+1)
 *                    index q_indices (PARTIAL query blocks), full_* the FULL ones
 * FULL tiles lie wholly inside q_len x kv_len; tiles that cross either edge are PARTIAL.
 * lse is the forward's natural-log log-sum-exp ([batch, heads, q_len], contiguous; -inf for a
 * row with no allowed key); delta is workspace of the same shape (rowsum(dO * O)).
 * dk, dv have k's head count (GQA: summed over the query heads of a group).
 */
template <class Pat, typename T>
struct BwdParams : Pat::Values {
  const T* q; const T* k; const T* v; const T* o; const T* dout;
  T* dq; T* dk; T* dv;
  const float* lse; float* delta;
  int64_t q_stride_b, q_stride_h, q_stride_s;
  int64_t k_stride_b, k_stride_h, k_stride_s;
  int64_t v_stride_b, v_stride_h, v_stride_s;
  int64_t o_stride_b, o_stride_h, o_stride_s;
  int64_t do_stride_b, do_stride_h, do_stride_s;
  int64_t dq_stride_b, dq_stride_h, dq_stride_s;
  int64_t dk_stride_b, dk_stride_h, dk_stride_s;
  int64_t dv_stride_b, dv_stride_h, dv_stride_s;
  int batch, heads, kv_heads, q_len, kv_len;
  int head_dim;  // the tensors' head dim (kernelHeadDim(head_dim) = the kernel's D)
  float scale, scale_log2;
  int num_q_blocks, num_kv_blocks, sched_batch;
  const int* group_of;
  const int* kv_row_ptr; const int* kv_indices; const int* full_kv_row_ptr; const int* full_kv_indices;
  const int* q_col_ptr; const int* q_indices; const int* full_q_col_ptr; const int* full_q_indices;
  // Item orders, longest first (BackwardPlan): CTA i of the dK/dV kind runs item col_order[i],
  // item (b * kv_heads + kvHead) * num_kv_blocks + kb; of the dQ kind row_order[i], (b * heads + h) * num_q_blocks + qb.
  const int* col_order; const int* row_order;
  float* dq_accum;  // launchBackwardSm90Atomic: fp32 dQ workspace [batch, heads, q_len, D], contiguous
};

}  // namespace attnc
