#include <algorithm>
#include "attnc/plan_host.h"
// Timing of the sm80 (mma.sync), sm90 (wgmma, deterministic) and sm90a (wgmma, atomic dQ: launchBackwardSm90Atomic)
// backward on a causal pattern, RANDOM inputs (no reference).
// Build (from the repository root):
//   /usr/local/cuda/bin/nvcc -std=c++17 -O3 -gencode=arch=compute_90a,code=sm_90a -I runtime/cuda -o /tmp/bwd-bench bench/cuda/kernels/bwd_bench.cu
// Run: /tmp/bwd-bench
// q, k, v, o, dO ~ N(0, 1) in bf16; lse of query row q is set to log(q + 1) + 0.5 (about the
// log-sum-exp of q + 1 standard-normal scores at scale 1/sqrt(D)), so P stays in a realistic
// range (no infinities, no NaN); the numbers are not checked here (test.cu does that).
// FLOPs: 2.5 x the causal forward's 4 B H L^2 D / 2 (the usual FlashAttention convention).
#include <cuda_runtime.h>
#include <cuda_bf16.h>
#include <cstdio>
#include <cmath>
#include <vector>
#include <random>
#include "attnc/backward_sm90.cuh"
struct toy_args {};
struct Causal {
  using Args = toy_args;
  struct Values { int p_dummy; };
  static constexpr bool HAS_SCORE_MOD = false, MASK_DIAGONAL = true, DIAGONAL_BAND = false;
  static constexpr int MASK_UNROLL = 1;
  template <class PP> __host__ __device__ static bool mask(const PP&, int, int, int q, int k) { return k <= q; }
  template <class PP> __host__ __device__ static bool mask_eager(const PP&, int, int, int q, int k) { return k <= q; }
  template <class PP> __host__ __device__ static float score(const PP&, int, int, int, int, float x) { return x; }
  template <class PP> __host__ __device__ static float score_grad(const PP&, int, int, int, int, float) { return 1.f; }
};
template <int D> void bench(int B, int H, int L) {
  using T = __nv_bfloat16;
  attnc::BwdParams<Causal, T> p{};
  p.batch = B; p.heads = H; p.kv_heads = H; p.q_len = L; p.kv_len = L; p.head_dim = D; p.scale = 1.f / sqrtf((float)D); p.scale_log2 = p.scale * attnc::LOG2E;
  const int NB = L / 64; p.num_q_blocks = NB; p.num_kv_blocks = NB; p.sched_batch = 1;
  std::vector<int> go(H, 0), kvrp, kvi, fkvrp, fkvi, qcp, qi, fqcp, fqi;
  for (int qb = 0; qb <= NB; qb++) { kvrp.push_back(kvi.size()); fkvrp.push_back(fkvi.size()); if (qb == NB) break; kvi.push_back(qb); for (int kb = qb - 1; kb >= 0; kb--) fkvi.push_back(kb); }
  for (int kb = 0; kb <= NB; kb++) { qcp.push_back(qi.size()); fqcp.push_back(fqi.size()); if (kb == NB) break; qi.push_back(kb); for (int qb = kb + 1; qb < NB; qb++) fqi.push_back(qb); }
  auto up = [](std::vector<int>& v) { v.push_back(0); void* d; cudaMalloc(&d, v.size() * 4); cudaMemcpy(d, v.data(), v.size() * 4, cudaMemcpyHostToDevice); return (int*)d; };
  p.group_of = up(go); p.kv_row_ptr = up(kvrp); p.kv_indices = up(kvi); p.full_kv_row_ptr = up(fkvrp); p.full_kv_indices = up(fkvi);
  p.q_col_ptr = up(qcp); p.q_indices = up(qi); p.full_q_col_ptr = up(fqcp); p.full_q_indices = up(fqi);
  // Longest class first, as BackwardPlan orders them: key block kb has NB - kb tiles, query block qb has qb + 1.
  std::vector<int> colOrder((size_t)B * H * NB), rowOrder((size_t)B * H * NB);
  for (size_t i = 0; i < colOrder.size(); i++) colOrder[i] = rowOrder[i] = (int)i;
  const auto cls = [&](int tiles) { return attnc::backwardCostClass(attnc::itemCost(tiles, 0)); };
  std::stable_sort(colOrder.begin(), colOrder.end(), [&](int x, int y) { return cls(NB - x % NB) > cls(NB - y % NB); });
  std::stable_sort(rowOrder.begin(), rowOrder.end(), [&](int x, int y) { return cls(x % NB + 1) > cls(y % NB + 1); });
  p.col_order = up(colOrder); p.row_order = up(rowOrder);
  const size_t n = (size_t)B * H * L * D;
  std::vector<T> h(5 * n);
  std::mt19937 rng(7);
  std::normal_distribution<float> nd(0.f, 1.f);
  for (auto& x : h) x = __float2bfloat16(nd(rng));
  T* buf; cudaMalloc(&buf, n * 2 * 8);
  cudaMemcpy(buf, h.data(), 5 * n * sizeof(T), cudaMemcpyHostToDevice);
  cudaMemset(buf + 5 * n, 0, 3 * n * sizeof(T));
  p.q = buf; p.k = buf + n; p.v = buf + 2 * n; p.o = buf + 3 * n; p.dout = buf + 4 * n; p.dq = buf + 5 * n; p.dk = buf + 6 * n; p.dv = buf + 7 * n;
  std::vector<float> lse((size_t)B * H * L);
  for (size_t i = 0; i < lse.size(); i++) lse[i] = logf((float)(i % L) + 1.f) + 0.5f;
  float* dl; cudaMalloc(&dl, lse.size() * 4); cudaMemcpy(dl, lse.data(), lse.size() * 4, cudaMemcpyHostToDevice); p.lse = dl;
  cudaMalloc(&p.delta, (size_t)B * H * L * 4);
  cudaMalloc(&p.dq_accum, n * sizeof(float));  // the atomic path's fp32 dQ workspace
  int64_t sb = (int64_t)H * L * D, sh = (int64_t)L * D, ss = D;
  p.q_stride_b = p.k_stride_b = p.v_stride_b = p.o_stride_b = p.do_stride_b = p.dq_stride_b = p.dk_stride_b = p.dv_stride_b = sb;
  p.q_stride_h = p.k_stride_h = p.v_stride_h = p.o_stride_h = p.do_stride_h = p.dq_stride_h = p.dk_stride_h = p.dv_stride_h = sh;
  p.q_stride_s = p.k_stride_s = p.v_stride_s = p.o_stride_s = p.do_stride_s = p.dq_stride_s = p.dk_stride_s = p.dv_stride_s = ss;
  const double flops = 2.5 * 4.0 * B * H * (double)L * L * D / 2;
  cudaEvent_t a, b; cudaEventCreate(&a); cudaEventCreate(&b);
  for (int path = 0; path < 3; path++) {
    auto launch = [&]() {
      return path == 0 ? attnc::launchBackwardSm80<Causal, T, D>(p, 0) : path == 1 ? attnc::launchBackwardSm90<Causal, T, D>(p, 0)
           : attnc::launchBackwardSm90Atomic<Causal, T, D>(p, 0);
    };
    int rc = 0;
    for (int i = 0; i < 3; i++) rc |= launch();
    cudaDeviceSynchronize();
    const int iters = 20;
    cudaEventRecord(a);
    for (int i = 0; i < iters; i++) rc |= launch();
    cudaEventRecord(b); cudaEventSynchronize(b);
    float ms; cudaEventElapsedTime(&ms, a, b); ms /= iters;
    // Checksums of dK and dQ so that a silently empty kernel shows (it would leave zeros).
    auto sum = [&](const T* d, size_t& bad) {
      std::vector<T> hv(n); cudaMemcpy(hv.data(), d, n * sizeof(T), cudaMemcpyDeviceToHost);
      double cs = 0;
      for (size_t i = 0; i < n; i++) { const double v = __bfloat162float(hv[i]); if (!std::isfinite(v)) bad++; else cs += fabs(v); }
      return cs;
    };
    size_t bad = 0;
    const double csk = sum(p.dk, bad), csq = sum(p.dq, bad);
    printf("%s causal bf16 D=%d B=%d H=%d L=%d: %.3f ms, %.1f TFLOP/s  rc %d (%s)  sum|dK| %.4g sum|dQ| %.4g nonfinite %zu\n", path == 0 ? "sm80 " : path == 1 ? "sm90 " : "sm90a", D, B, H, L, ms,
           flops / ms / 1e9, rc, cudaGetErrorString(cudaGetLastError()), csk, csq, bad);
    cudaMemset(p.dk, 0, n * sizeof(T));
    cudaMemset(p.dq, 0, n * sizeof(T));
  }
}
int main() {
  {
    int* flag = nullptr; int value = -1;
    cudaMalloc(&flag, sizeof(int));
    attnc::attnc_sm90_probe<<<1, 1>>>(flag);
    cudaMemcpy(&value, flag, sizeof(int), cudaMemcpyDeviceToHost);
    if (value != 1) { printf("no sm_90a kernel bodies in this binary / device\n"); return 2; }
  }
  bench<128>(1, 16, 16384);
  bench<128>(4, 16, 4096);
  bench<64>(4, 16, 4096);
  return 0;
}
