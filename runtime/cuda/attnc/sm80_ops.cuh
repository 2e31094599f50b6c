// attnc CUDA runtime: the mma.sync building blocks (sm_80 and newer) shared by the forward and
// backward kernels: 16-bit pairs, the m16n8k16 MMA, ldmatrix, cp.async and the swizzled tile
// layout. Device code only.
#pragma once
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cstdint>

namespace attnc {

constexpr float LOG2E = 1.4426950408889634f;

template <typename T> struct Vec2;
template <> struct Vec2<__nv_bfloat16> { using type = __nv_bfloat162; static __device__ __forceinline__ type pack(float a, float b) { return __floats2bfloat162_rn(a, b); } };
template <> struct Vec2<__half> { using type = __half2; static __device__ __forceinline__ type pack(float a, float b) { return __floats2half2_rn(a, b); } };

/** Two floats rounded to T and packed into one 32-bit register (the A/B fragment element pair). */
template <typename T> __device__ __forceinline__ uint32_t pack2(float a, float b) {
  typename Vec2<T>::type v = Vec2<T>::pack(a, b);
  return *reinterpret_cast<uint32_t*>(&v);
}

/** D += A B: one m16n8k16 tensor-core product, fp32 accumulators (C fragment layout). */
template <typename T> __device__ __forceinline__ void mma16816(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]);
template <> __device__ __forceinline__ void mma16816<__nv_bfloat16>(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
  asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
               : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]) : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}
template <> __device__ __forceinline__ void mma16816<__half>(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
  asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
               : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]) : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

__device__ __forceinline__ void ldmatrix_x4(uint32_t (&r)[4], const void* smem) {
  uint32_t a = static_cast<uint32_t>(__cvta_generic_to_shared(smem));
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n" : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(a));
}
__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t (&r)[4], const void* smem) {
  uint32_t a = static_cast<uint32_t>(__cvta_generic_to_shared(smem));
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n" : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(a));
}
/** 16-byte async copy; `bytes` = 0 zero-fills (rows past the sequence end). */
__device__ __forceinline__ void cp_async16(void* smem, const void* gmem, int bytes) {
  uint32_t a = static_cast<uint32_t>(__cvta_generic_to_shared(smem));
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" :: "r"(a), "l"(gmem), "r"(bytes));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int N> __device__ __forceinline__ void cp_async_wait() { asm volatile("cp.async.wait_group %0;\n" :: "n"(N)); }

/** Element offset of 16-byte chunk `c` of row `r` in a swizzled [rows][D] tile (no bank conflicts for ldmatrix). */
template <int D> __device__ __forceinline__ int swz(int r, int c) { return r * D + ((c ^ (r & 7)) << 3); }

/**
 * Copies ROWS rows of D elements (row 0 = the tile's first token) into a swizzled tile with
 * THREADS threads; rows >= `len` and columns >= `cols` (the tensor's head dim) become zeros.
 * Each thread owns one 16-byte column `c` and every ROWS_PER_PASS-th row; where ROWS_PER_PASS
 * is a multiple of 8 (`r & 7` never changes) its swizzled smem offset and global pointer just
 * advance by a constant: few registers.
 */
template <typename T, int D, int ROWS, int THREADS>
__device__ __forceinline__ void load_tile(T* smem, const T* gmem, int64_t row_stride, int len, int cols) {
  constexpr int CHUNKS = D / 8;
  constexpr int ROWS_PER_PASS = THREADS / CHUNKS;
  static_assert(ROWS % ROWS_PER_PASS == 0 && (ROWS_PER_PASS % 8 == 0 || 8 % ROWS_PER_PASS == 0), "tile shape");
  const int c = threadIdx.x % CHUNKS, r0 = threadIdx.x / CHUNKS;
  if (c * 8 >= cols) len = 0;  // a padding column: zeros in every row
  const T* g = gmem + (int64_t)r0 * row_stride + c * 8;
  if constexpr (ROWS_PER_PASS % 8 == 0) {
    T* s = smem + swz<D>(r0, c);
    #pragma unroll 1
    for (int r = r0; r < ROWS; r += ROWS_PER_PASS) {
      cp_async16(s, r < len ? g : gmem, r < len ? 16 : 0);
      s += ROWS_PER_PASS * D;
      g += ROWS_PER_PASS * row_stride;
    }
  } else {
    // Fewer than 8 rows per pass (head dim 256 on 128 threads): the swizzle is formed per row.
    #pragma unroll 1
    for (int r = r0; r < ROWS; r += ROWS_PER_PASS) {
      cp_async16(smem + swz<D>(r, c), r < len ? g : gmem, r < len ? 16 : 0);
      g += ROWS_PER_PASS * row_stride;
    }
  }
}

}  // namespace attnc
