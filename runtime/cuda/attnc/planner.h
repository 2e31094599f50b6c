// attnc CUDA runtime. Host-side schedule planner (C++ port of runtime/schedule/plan.ts; the same algorithm and
// vocabulary). A pattern supplies `classify(q0, q1, k0, k1)` (interval bounds of the mask over
// a tile, inclusive: 0 none, 1 some, 2 all allowed) and `mask(q, k)`; the planner bisects each
// query block's key-block range, refines undecided single tiles exactly, and lists FULL and
// PARTIAL tiles per query block in compressed rows.
// ---------------------------------------------------------------------------------------------
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>
#include "int_ops.h"

namespace attnc {
namespace host {

/** The planner's bounds are 64-bit: the language's integer operations on long long. */
inline long long fdiv(long long a, long long b) { return floor_div<long long>(a, b); }
inline long long fmod_(long long a, long long b) { return floor_mod<long long>(a, b); }

/**
 * Interval helpers write their result to `R`. Ints wrap at 32 bits: bounds always lie in the
 * int range, and an operation's exact bounds (64-bit, which 32-bit operands cannot overflow)
 * that leave it become the whole range (ivInt), as in runtime/schedule/ops.ts.
 */
inline void ivInt(long long lo, long long hi, long long* R) {
  if (lo >= INT32_MIN && hi <= INT32_MAX) { R[0] = lo; R[1] = hi; return; }
  R[0] = INT32_MIN; R[1] = INT32_MAX;
}
inline void ivMul(long long al, long long ah, long long bl, long long bh, long long* R) {
  long long p[4] = {al * bl, al * bh, ah * bl, ah * bh};
  ivInt(*std::min_element(p, p + 4), *std::max_element(p, p + 4), R);
}
inline void ivDiv(long long al, long long ah, long long bl, long long bh, long long* R) {
  if (bl <= 0 && bh >= 0) {
    if (bl == 0 && bh == 0) { R[0] = R[1] = 0; return; }
    long long m = std::max(al < 0 ? -al : al, ah < 0 ? -ah : ah);
    ivInt(-m, m, R); return;
  }
  long long p[4] = {fdiv(al, bl), fdiv(al, bh), fdiv(ah, bl), fdiv(ah, bh)};
  ivInt(*std::min_element(p, p + 4), *std::max_element(p, p + 4), R);
}
inline void ivMod(long long al, long long ah, long long bl, long long bh, long long* R) {
  if (bl == bh) {
    long long m = bl;
    if (m == 0) { R[0] = R[1] = 0; return; }
    long long qa = fdiv(al, m), qb = fdiv(ah, m);
    if (qa == qb) { long long x = al - qa * m, y = ah - qb * m; R[0] = std::min(x, y); R[1] = std::max(x, y); return; }
    if (m > 0) { R[0] = 0; R[1] = m - 1; } else { R[0] = m + 1; R[1] = 0; }
    return;
  }
  if (bl > 0) { if (al >= 0 && ah < bl) { R[0] = al; R[1] = ah; return; } R[0] = 0; R[1] = bh - 1; return; }
  if (bh < 0) { R[0] = bl + 1; R[1] = 0; return; }
  long long m = std::max(bl < 0 ? -bl : bl, bh < 0 ? -bh : bh);
  R[0] = -m + 1; R[1] = m - 1;
}
inline void ivHash(std::initializer_list<long long> bounds, long long* R) {
  const long long* b = bounds.begin();
  size_t n = bounds.size();
  for (size_t i = 0; i < n; i += 2) if (b[i] != b[i + 1]) { R[0] = 0; R[1] = HASH_MASK; return; }
  uint32_t h = HASH_SEED;
  for (size_t i = 0; i < n; i += 2) h = hash_step(h, (uint32_t)(int32_t)b[i]);
  R[0] = R[1] = (long long)(h & HASH_MASK);
}

/** Range min/max over a per-token int array: sparse table over per-block summaries. */
struct InputTable {
  const int* data = nullptr;
  int n = 0, block = 1;
  std::vector<std::vector<int>> mn, mx;
  void build(const int* d, int len, int blk) {
    data = d; n = len; block = blk;
    int nb = (len + blk - 1) / blk;
    mn.assign(1, std::vector<int>(nb)); mx.assign(1, std::vector<int>(nb));
    for (int b = 0; b < nb; b++) {
      int lo = d[b * blk], hi = lo;
      for (int i = b * blk; i < std::min(len, (b + 1) * blk); i++) { lo = std::min(lo, d[i]); hi = std::max(hi, d[i]); }
      mn[0][b] = lo; mx[0][b] = hi;
    }
    for (int w = 2; w <= nb; w *= 2) {
      const auto& pm = mn.back(); const auto& px = mx.back();
      int len2 = nb - w + 1;
      std::vector<int> a(len2), c(len2);
      for (int i = 0; i < len2; i++) { a[i] = std::min(pm[i], pm[i + w / 2]); c[i] = std::max(px[i], px[i + w / 2]); }
      mn.push_back(std::move(a)); mx.push_back(std::move(c));
    }
  }
  void range(long long lo, long long hi, long long* R) const {
    if (lo == hi) { R[0] = R[1] = data[lo]; return; }
    int b0 = (int)(lo / block), b1 = (int)(hi / block);
    int lvl = 31 - __builtin_clz((unsigned)(b1 - b0 + 1));
    int j = b1 - (1 << lvl) + 1;
    R[0] = std::min(mn[lvl][b0], mn[lvl][j]); R[1] = std::max(mx[lvl][b0], mx[lvl][j]);
  }
};

/** Compressed rows of one head group. */
struct GroupSchedule {
  std::vector<int> kvRowPtr, kvIndices, fullKvRowPtr, fullKvIndices;
};

/** Refinement steps one head group may spend in all; later undecided tiles stay PARTIAL (plan.ts: GROUP_REFINE_BUDGET). */
constexpr long long GROUP_REFINE_BUDGET = 1LL << 22;

/**
 * Plans one head group. `C` provides `int classify(ll q0, ll q1, ll k0, ll k1) const` and
 * `bool mask(ll q, ll k) const`.
 */
template <class C>
GroupSchedule planGroup(const C& p, int qLen, int kvLen, int blockQ, int blockKv, long long budget) {
  const int nq = (qLen + blockQ - 1) / blockQ, nkv = (kvLen + blockKv - 1) / blockKv;
  GroupSchedule g;
  long long groupSteps = 0;
  g.kvRowPtr.assign(nq + 1, 0); g.fullKvRowPtr.assign(nq + 1, 0);
  for (int qb = 0; qb < nq; qb++) {
    const long long q0 = (long long)qb * blockQ, q1 = std::min<long long>(q0 + blockQ, qLen) - 1;
    const bool qOver = q0 + blockQ > qLen;
    auto refine = [&](long long k0, long long k1) -> int {
      if (groupSteps >= GROUP_REFINE_BUDGET) return 1;
      bool seenT = false, seenF = false, exhausted = false;
      long long steps = 0;
      auto probe = [&](long long q, long long k) { if (p.mask(q, k)) seenT = true; else seenF = true; };
      probe(q0, k0); probe(q1, k1); probe(q0, k1); probe(q1, k0); probe((q0 + q1) / 2, (k0 + k1) / 2);
      if (seenT && seenF) return 1;
      struct Box { long long qa, qb, ka, kb; };
      std::vector<Box> stack{{q0, q1, k0, k1}};
      while (!stack.empty() && !(seenT && seenF)) {
        if (++steps > budget) { exhausted = true; break; }
        Box x = stack.back(); stack.pop_back();
        int c = (x.qa == x.qb && x.ka == x.kb) ? (p.mask(x.qa, x.ka) ? 2 : 0) : p.classify(x.qa, x.qb, x.ka, x.kb);
        if (c == 2) { seenT = true; continue; }
        if (c == 0) { seenF = true; continue; }
        if (x.qb - x.qa >= x.kb - x.ka) {
          long long mid = (x.qa + x.qb) / 2;
          stack.push_back({mid + 1, x.qb, x.ka, x.kb}); stack.push_back({x.qa, mid, x.ka, x.kb});
        } else {
          long long mid = (x.ka + x.kb) / 2;
          stack.push_back({x.qa, x.qb, mid + 1, x.kb}); stack.push_back({x.qa, x.qb, x.ka, mid});
        }
      }
      groupSteps += steps;
      if (seenT && seenF) return 1;
      if (exhausted) return 1;
      return seenT ? 2 : 0;
    };
    // Bisection over key-block ranges, left to right so rows come out ascending.
    struct Range { int kb0, kb1; };
    std::vector<Range> stack{{0, nkv}};
    while (!stack.empty()) {
      Range r = stack.back(); stack.pop_back();
      const long long k0 = (long long)r.kb0 * blockKv, k1 = std::min<long long>((long long)r.kb1 * blockKv, kvLen) - 1;
      int c = p.classify(q0, q1, k0, k1);
      if (c == 0) continue;
      if (c == 2) {
        for (int kb = r.kb0; kb < r.kb1; kb++) {
          if (qOver || (long long)(kb + 1) * blockKv > kvLen) g.kvIndices.push_back(kb);  // full tiles never overhang
          else g.fullKvIndices.push_back(kb);
        }
        continue;
      }
      if (r.kb1 - r.kb0 == 1) {
        int t = refine(k0, k1);
        if (t == 2 && !qOver && (long long)r.kb1 * blockKv <= kvLen) g.fullKvIndices.push_back(r.kb0);
        else if (t != 0) g.kvIndices.push_back(r.kb0);
        continue;
      }
      int mid = (r.kb0 + r.kb1) / 2;
      stack.push_back({mid, r.kb1});
      stack.push_back({r.kb0, mid});
    }
    g.kvRowPtr[qb + 1] = (int)g.kvIndices.size();
    g.fullKvRowPtr[qb + 1] = (int)g.fullKvIndices.size();
  }
  return g;
}

/**
 * The k-major lists of compressed rows (`rowPtr`, `idx` over `nrows` query blocks, key blocks
 * ascending within a row): for each of `ncols` key blocks, the query blocks that list it,
 * ascending. The backward pass's dK/dV kernel walks these.
 */
inline void transpose(const std::vector<int>& rowPtr, const std::vector<int>& idx, int nrows, int ncols, std::vector<int>& colPtr, std::vector<int>& out) {
  colPtr.assign(ncols + 1, 0);
  for (int r = 0; r < nrows; r++) for (int i = rowPtr[r]; i < rowPtr[r + 1]; i++) colPtr[idx[i] + 1]++;
  for (int c = 0; c < ncols; c++) colPtr[c + 1] += colPtr[c];
  out.assign(idx.size(), 0);
  std::vector<int> fill(colPtr.begin(), colPtr.end() - 1);
  for (int r = 0; r < nrows; r++) for (int i = rowPtr[r]; i < rowPtr[r + 1]; i++) out[fill[idx[i]]++] = r;
}

}  // namespace host
}  // namespace attnc
