// Kernel-level GPU check of backward_sm90.cuh (launchBackwardSm90, then launchBackwardSm90Atomic on the same case)
// against a float64 CPU reference, with block lists planned here for toy masks (GQA, ragged sizes, fully masked rows,
// soft-cap, FULL-dominated cases). Needs an sm_90 GPU (H100/H200). The check of the real entry points for every bundled
// pattern is bench/cuda/grad_check.py.
// Build (from the repository root):
//   /usr/local/cuda/bin/nvcc -std=c++17 -O3 -gencode=arch=compute_90a,code=sm_90a -I runtime/cuda -o /tmp/bwd-test bench/cuda/kernels/bwd_test.cu
// Run: /tmp/bwd-test      (prints one block per case, then ALL PASS / SOME FAIL; exit code 0 on success)
#include <cuda_runtime.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>
#include <random>
#include <cstring>
#include <algorithm>
#include "attnc/backward_sm90.cuh"

struct toy_args {};
__host__ __device__ inline bool tmask(int q_len, int kv_len, int h, int win, int q, int k) {
  const int off = kv_len - q_len;
  if (k / 64 == 3) return false;                       // key block 3 empty
  if (h == 3 && q >= 100 && q < 110) return false;     // fully masked rows
  return k <= q + off && q + off - k < win + (h & 1) * 40;
}
struct TP {
  using Args = toy_args;
  struct Values { int p_window; float p_cap; };
  static constexpr bool HAS_SCORE_MOD = false, MASK_DIAGONAL = false, DIAGONAL_BAND = false;
  static constexpr int MASK_UNROLL = 1;
  template <class PP> __host__ __device__ static bool mask(const PP& P, int b, int h, int q, int k) { return tmask(P.q_len, P.kv_len, h, P.p_window, q, k); }
  template <class PP> __host__ __device__ static bool mask_eager(const PP& P, int b, int h, int q, int k) { return tmask(P.q_len, P.kv_len, h, P.p_window, q, k); }
  template <class PP> __host__ __device__ static float score(const PP&, int, int, int, int, float x) { return x; }
  template <class PP> __host__ __device__ static float score_grad(const PP&, int, int, int, int, float) { return 1.f; }
};
struct TPC {
  using Args = toy_args;
  struct Values { int p_window; float p_cap; };
  static constexpr bool HAS_SCORE_MOD = true, MASK_DIAGONAL = false, DIAGONAL_BAND = false;
  static constexpr int MASK_UNROLL = 1;
  template <class PP> __host__ __device__ static bool mask(const PP& P, int b, int h, int q, int k) { return tmask(P.q_len, P.kv_len, h, P.p_window, q, k); }
  template <class PP> __host__ __device__ static bool mask_eager(const PP& P, int b, int h, int q, int k) { return tmask(P.q_len, P.kv_len, h, P.p_window, q, k); }
  template <class PP> __host__ __device__ static float score(const PP& P, int b, int h, int q, int k, float x) { return P.p_cap * tanhf(x / P.p_cap) + 0.1f * ((q + 2 * k + h) % 5); }
  template <class PP> __host__ __device__ static float score_grad(const PP& P, int, int, int, int, float x) { const float t = tanhf(x / P.p_cap); return 1.f - t * t; }
};

template <typename T> float tof(T v);
template <> float tof(__nv_bfloat16 v) { return __bfloat162float(v); }
template <> float tof(__half v) { return __half2float(v); }
template <typename T> T fromf(float v);
template <> __nv_bfloat16 fromf(float v) { return __float2bfloat16(v); }
template <> __half fromf(float v) { return __float2half(v); }

template <class Pat, typename T, int D>
bool run(int B, int H, int HK, int QL, int KL, bool fullWin) {
  using BP = attnc::BwdParams<Pat, T>;
  BP p{};
  p.p_window = fullWin ? 100000 : 150;
  p.p_cap = 2.0f;
  p.batch = B; p.heads = H; p.kv_heads = HK; p.q_len = QL; p.kv_len = KL; p.head_dim = D;
  p.scale = 1.f / sqrtf((float)D) * (Pat::HAS_SCORE_MOD ? 3.f : 1.f); p.scale_log2 = p.scale * attnc::LOG2E;
  const int NQB = (QL + 63) / 64, NKB = (KL + 63) / 64, G = 2;
  p.num_q_blocks = NQB; p.num_kv_blocks = NKB; p.sched_batch = 1;
  std::vector<int> group_of(H);
  for (int h = 0; h < H; h++) group_of[h] = h & 1;
  // plan: tile state per group: 0 empty, 1 partial, 2 full
  std::vector<int> st(G * NQB * NKB, 0);
  for (int gq = 0; gq < G; gq++)
    for (int qb = 0; qb < NQB; qb++)
      for (int kb = 0; kb < NKB; kb++) {
        bool any = false, all = (qb * 64 + 64 <= QL) && (kb * 64 + 64 <= KL);
        for (int h = 0; h < H; h++) if (group_of[h] == gq)
          for (int q = qb * 64; q < qb * 64 + 64; q++) for (int k = kb * 64; k < kb * 64 + 64; k++) {
            const bool in = q < QL && k < KL;
            const bool a = in && Pat::mask(p, 0, h, q, k);
            any |= a; if (!a) all = false;
          }
        st[(gq * NQB + qb) * NKB + kb] = all ? 2 : any ? 1 : 0;
      }
  std::vector<int> kvrp, kvi, fkvrp, fkvi, qcp, qi, fqcp, fqi;
  int nfull = 0, npart = 0;
  for (int gq = 0; gq < G; gq++) {
    for (int qb = 0; qb <= NQB; qb++) {
      kvrp.push_back(kvi.size()); fkvrp.push_back(fkvi.size());
      if (qb == NQB) break;
      for (int kb = NKB - 1; kb >= 0; kb--) { int s = st[(gq * NQB + qb) * NKB + kb]; if (s == 1) kvi.push_back(kb), npart++; if (s == 2) fkvi.push_back(kb), nfull++; }
    }
    for (int kb = 0; kb <= NKB; kb++) {
      qcp.push_back(qi.size()); fqcp.push_back(fqi.size());
      if (kb == NKB) break;
      for (int qb = 0; qb < NQB; qb++) { int s = st[(gq * NQB + qb) * NKB + kb]; if (s == 1) qi.push_back(qb); if (s == 2) fqi.push_back(qb); }
    }
  }
  kvi.push_back(0); fkvi.push_back(0); qi.push_back(0); fqi.push_back(0);
  // data
  std::mt19937 rng(1234);
  std::normal_distribution<float> nd(0.f, 1.f);
  auto mk = [&](size_t n, float sc) { std::vector<T> v(n); for (auto& x : v) x = fromf<T>(nd(rng) * sc); return v; };
  const size_t nq = (size_t)B * QL * H * D, nk = (size_t)B * KL * HK * D;
  auto hq = mk(nq, 1.f), hk = mk(nk, 1.f), hv = mk(nk, 1.f), hdo = mk(nq, 1.f);
  // layouts: q, o, dout [b, s, h, d]; k, v [b, h, s, d]; dq [b, h, s, d]; dk, dv [b, s, hk, d]
  auto Qi = [&](int b, int h, int s) { return (((size_t)b * QL + s) * H + h) * D; };
  auto Ki = [&](int b, int h, int s) { return (((size_t)b * HK + h) * KL + s) * D; };
  auto DQi = [&](int b, int h, int s) { return (((size_t)b * H + h) * QL + s) * D; };
  auto DKi = [&](int b, int h, int s) { return (((size_t)b * KL + s) * HK + h) * D; };
  // reference forward / backward in double
  std::vector<T> ho(nq);
  std::vector<float> hlse((size_t)B * H * QL);
  std::vector<double> rdq(nq, 0), rdk(nk, 0), rdv(nk, 0);
  std::vector<double> S(KL), Pm(KL), Y(KL);
  for (int b = 0; b < B; b++) for (int h = 0; h < H; h++) {
    const int kh = h / (H / HK);
    for (int q = 0; q < QL; q++) {
      double mx = -INFINITY;
      for (int k = 0; k < KL; k++) {
        double s = 0; for (int d = 0; d < D; d++) s += (double)tof(hq[Qi(b, h, q) + d]) * tof(hk[Ki(b, kh, k) + d]);
        Y[k] = s * p.scale;
        double z = Pat::HAS_SCORE_MOD ? (double)p.p_cap * tanh(Y[k] / p.p_cap) + 0.1 * ((q + 2 * k + h) % 5) : Y[k];
        if (!Pat::mask(p, b, h, q, k)) z = -INFINITY;
        S[k] = z; mx = std::max(mx, z);
      }
      double sum = 0; for (int k = 0; k < KL; k++) sum += (S[k] == -INFINITY ? 0 : exp(S[k] - mx));
      const double lse = sum > 0 ? mx + log(sum) : -INFINITY;
      hlse[((size_t)b * H + h) * QL + q] = (float)lse;
      for (int k = 0; k < KL; k++) Pm[k] = (lse == -INFINITY || S[k] == -INFINITY) ? 0 : exp(S[k] - lse);
      double delta = 0;
      for (int d = 0; d < D; d++) { double o = 0; for (int k = 0; k < KL; k++) o += Pm[k] * tof(hv[Ki(b, kh, k) + d]); ho[Qi(b, h, q) + d] = fromf<T>((float)o); delta += (double)tof(ho[Qi(b, h, q) + d]) * tof(hdo[Qi(b, h, q) + d]); }
      for (int k = 0; k < KL; k++) {
        if (Pm[k] == 0) continue;
        double dp = 0; for (int d = 0; d < D; d++) dp += (double)tof(hdo[Qi(b, h, q) + d]) * tof(hv[Ki(b, kh, k) + d]);
        double fp = 1; if (Pat::HAS_SCORE_MOD) { double t = tanh(Y[k] / p.p_cap); fp = 1 - t * t; }
        const double ds = Pm[k] * (dp - delta) * fp * p.scale;
        for (int d = 0; d < D; d++) {
          rdv[DKi(b, kh, k) + d] += Pm[k] * tof(hdo[Qi(b, h, q) + d]);
          rdq[DQi(b, h, q) + d] += ds * tof(hk[Ki(b, kh, k) + d]);
          rdk[DKi(b, kh, k) + d] += ds * tof(hq[Qi(b, h, q) + d]);
        }
      }
    }
  }
  // device
  auto up = [](const void* h, size_t bytes) { void* d; cudaMalloc(&d, bytes); cudaMemcpy(d, h, bytes, cudaMemcpyHostToDevice); return d; };
  p.q = (T*)up(hq.data(), nq * sizeof(T)); p.k = (T*)up(hk.data(), nk * sizeof(T)); p.v = (T*)up(hv.data(), nk * sizeof(T));
  p.o = (T*)up(ho.data(), nq * sizeof(T)); p.dout = (T*)up(hdo.data(), nq * sizeof(T));
  std::vector<T> junk(std::max(nq, nk), fromf<T>(777.f));
  p.dq = (T*)up(junk.data(), nq * sizeof(T)); p.dk = (T*)up(junk.data(), nk * sizeof(T)); p.dv = (T*)up(junk.data(), nk * sizeof(T));
  p.lse = (float*)up(hlse.data(), hlse.size() * 4); cudaMalloc(&p.delta, hlse.size() * 4);
  p.q_stride_b = (int64_t)QL * H * D; p.q_stride_h = D; p.q_stride_s = H * D;
  p.o_stride_b = p.do_stride_b = p.q_stride_b; p.o_stride_h = p.do_stride_h = D; p.o_stride_s = p.do_stride_s = H * D;
  p.k_stride_b = p.v_stride_b = (int64_t)HK * KL * D; p.k_stride_h = p.v_stride_h = (int64_t)KL * D; p.k_stride_s = p.v_stride_s = D;
  p.dq_stride_b = (int64_t)H * QL * D; p.dq_stride_h = (int64_t)QL * D; p.dq_stride_s = D;
  p.dk_stride_b = p.dv_stride_b = (int64_t)KL * HK * D; p.dk_stride_h = p.dv_stride_h = D; p.dk_stride_s = p.dv_stride_s = HK * D;
  p.group_of = (int*)up(group_of.data(), H * 4);
  p.kv_row_ptr = (int*)up(kvrp.data(), kvrp.size() * 4); p.kv_indices = (int*)up(kvi.data(), kvi.size() * 4);
  p.full_kv_row_ptr = (int*)up(fkvrp.data(), fkvrp.size() * 4); p.full_kv_indices = (int*)up(fkvi.data(), fkvi.size() * 4);
  p.q_col_ptr = (int*)up(qcp.data(), qcp.size() * 4); p.q_indices = (int*)up(qi.data(), qi.size() * 4);
  p.full_q_col_ptr = (int*)up(fqcp.data(), fqcp.size() * 4); p.full_q_indices = (int*)up(fqi.data(), fqi.size() * 4);
  // Item orders: any permutation is correct; reversed, so that the test does not rely on the identity.
  std::vector<int> colOrder((size_t)B * HK * p.num_kv_blocks), rowOrder((size_t)B * H * p.num_q_blocks);
  for (size_t i = 0; i < colOrder.size(); i++) colOrder[i] = (int)(colOrder.size() - 1 - i);
  for (size_t i = 0; i < rowOrder.size(); i++) rowOrder[i] = (int)(rowOrder.size() - 1 - i);
  p.col_order = (int*)up(colOrder.data(), colOrder.size() * 4); p.row_order = (int*)up(rowOrder.data(), rowOrder.size() * 4);
  int rc = attnc::launchBackwardSm90<Pat, T, D>(p, 0);
  cudaError_t e = cudaDeviceSynchronize();
  std::vector<T> gdq(nq), gdk(nk), gdv(nk);
  cudaMemcpy(gdq.data(), p.dq, nq * sizeof(T), cudaMemcpyDeviceToHost);
  cudaMemcpy(gdk.data(), p.dk, nk * sizeof(T), cudaMemcpyDeviceToHost);
  cudaMemcpy(gdv.data(), p.dv, nk * sizeof(T), cudaMemcpyDeviceToHost);
  // second run: determinism
  attnc::launchBackwardSm90<Pat, T, D>(p, 0); cudaDeviceSynchronize();
  std::vector<T> g2(nk); cudaMemcpy(g2.data(), p.dk, nk * sizeof(T), cudaMemcpyDeviceToHost);
  bool det = memcmp(g2.data(), gdk.data(), nk * sizeof(T)) == 0;
  auto cmp = [](const char* name, const std::vector<T>& g, const std::vector<double>& r) {
    double me = 0, mr = 0; size_t nan = 0, worst = 0;
    for (size_t i = 0; i < r.size(); i++) { double v = tof(g[i]); if (!std::isfinite(v)) nan++; double er = fabs(v - r[i]); if (er > me) { me = er; worst = i; } mr = std::max(mr, fabs(r[i])); }
    printf("  %s: max|ref| %.4g  max err %.4g  rel %.3g  nonfinite %zu (worst idx %zu: got %g ref %g)\n", name, mr, me, me / mr, nan, worst, (double)tof(g[worst]), r[worst]);
    return nan == 0 && me / mr < 2e-2;
  };
  const char* tname = std::is_same<T, __half>::value ? "fp16" : "bf16";
  printf("%s %s D=%d B=%d H=%d HK=%d QL=%d KL=%d tiles full %d partial %d: rc %d err %s det %d\n", Pat::HAS_SCORE_MOD ? "cap" : "plain", tname, D, B, H, HK, QL, KL, nfull, npart, rc, cudaGetErrorString(e), (int)det);
  bool ok = rc == 0 && e == cudaSuccess && det;
  ok &= cmp("dq", gdq, rdq); ok &= cmp("dk", gdk, rdk); ok &= cmp("dv", gdv, rdv);
  printf("  %s\n", ok ? "PASS" : "FAIL");
  // The atomic path on the same inputs: outputs reset to junk, the fp32 workspace to NaN bytes (the launch must
  // zero it itself). No determinism check (dQ's summation order varies).
  cudaMemcpy(p.dq, junk.data(), nq * sizeof(T), cudaMemcpyHostToDevice);
  cudaMemcpy(p.dk, junk.data(), nk * sizeof(T), cudaMemcpyHostToDevice);
  cudaMemcpy(p.dv, junk.data(), nk * sizeof(T), cudaMemcpyHostToDevice);
  cudaMalloc(&p.dq_accum, nq * sizeof(float));  // [b, h, q, d]: nq floats
  cudaMemset(p.dq_accum, 0xff, nq * sizeof(float));
  const int rcA = attnc::launchBackwardSm90Atomic<Pat, T, D>(p, 0);
  const cudaError_t eA = cudaDeviceSynchronize();
  cudaMemcpy(gdq.data(), p.dq, nq * sizeof(T), cudaMemcpyDeviceToHost);
  cudaMemcpy(gdk.data(), p.dk, nk * sizeof(T), cudaMemcpyDeviceToHost);
  cudaMemcpy(gdv.data(), p.dv, nk * sizeof(T), cudaMemcpyDeviceToHost);
  cudaFree(p.dq_accum); p.dq_accum = nullptr;
  printf("  atomic: rc %d err %s\n", rcA, cudaGetErrorString(eA));
  bool okA = rcA == 0 && eA == cudaSuccess;
  okA &= cmp("dq", gdq, rdq); okA &= cmp("dk", gdk, rdk); okA &= cmp("dv", gdv, rdv);
  printf("  atomic %s\n", okA ? "PASS" : "FAIL");
  return ok && okA;
}

int main() {
  {
    // The sm_90a kernel bodies must be in this binary (else the sm90 kernels are empty and the test is meaningless).
    int* flag = nullptr; int value = -1;
    cudaMalloc(&flag, sizeof(int));
    attnc::attnc_sm90_probe<<<1, 1>>>(flag);
    cudaError_t e = cudaMemcpy(&value, flag, sizeof(int), cudaMemcpyDeviceToHost);
    printf("sm90 probe: %d (%s)\n", value, cudaGetErrorString(e));
    if (value != 1) { printf("no sm_90a kernel bodies: build with -gencode=arch=compute_90a,code=sm_90a and run on an H100/H200\n"); return 2; }
  }
  bool ok = true;
  ok &= run<TP, __nv_bfloat16, 64>(2, 4, 2, 200, 260, false);
  ok &= run<TP, __nv_bfloat16, 128>(2, 4, 2, 200, 260, false);
  ok &= run<TP, __half, 64>(1, 4, 1, 333, 300, true);
  ok &= run<TP, __half, 128>(2, 4, 4, 256, 320, true);
  ok &= run<TPC, __nv_bfloat16, 64>(2, 4, 2, 200, 260, false);
  ok &= run<TPC, __nv_bfloat16, 128>(1, 4, 2, 190, 190, true);
  ok &= run<TPC, __half, 64>(1, 2, 1, 128, 384, true);
  ok &= run<TPC, __half, 128>(2, 4, 2, 200, 260, false);
  // Larger, mostly FULL tiles (several query heads per kv head, long columns).
  ok &= run<TP, __nv_bfloat16, 128>(1, 4, 1, 512, 512, true);
  ok &= run<TP, __nv_bfloat16, 64>(1, 4, 2, 448, 512, true);
  printf(ok ? "ALL PASS\n" : "SOME FAIL\n");
  return ok ? 0 : 1;
}
