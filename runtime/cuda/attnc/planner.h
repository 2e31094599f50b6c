// attnc CUDA runtime. Host-side schedule planner (C++ port of runtime/schedule/plan.ts; the same algorithm and
// vocabulary). A pattern supplies `classify(q0, q1, k0, k1)` (interval bounds of the mask over
// a tile, inclusive: 0 none, 1 some, 2 all allowed) and `mask(q, k)`; the planner bisects each
// query block's key-block range, refines undecided single tiles exactly, and lists FULL and
// PARTIAL tiles per query block in compressed rows. Patterns with a layout grid can also be
// planned in box tiles (`planBoxGroup`, a port of runtime/schedule/box.ts and plan-box.ts).
// ---------------------------------------------------------------------------------------------
#pragma once
#include <algorithm>
#include <array>
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
  /** min/max of data[lo..hi], clipped to the array (a box's flat range may pass the sequence's end: ops.ts InputTable.range). */
  void range(long long lo, long long hi, long long* R) const {
    const long long last = (long long)n - 1;
    lo = std::min(std::max(lo, 0LL), last);
    hi = std::min(std::max(hi, lo), last);
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

/**
 * Refinement steps one head group may spend in all: GROUP_REFINE_BUDGET, or GROUP_REFINE_PER_TILE
 * per tile of its grid where that is more; later undecided tiles stay PARTIAL (plan.ts: groupRefineBudget).
 */
constexpr long long GROUP_REFINE_BUDGET = 1LL << 22;
constexpr long long GROUP_REFINE_PER_TILE = 16;
inline long long groupRefineBudget(long long qBlocks, long long kvBlocks) {
  return std::max(GROUP_REFINE_BUDGET, GROUP_REFINE_PER_TILE * qBlocks * kvBlocks);
}

/**
 * Plans one head group. `C` provides `int classify(ll q0, ll q1, ll k0, ll k1) const` and
 * `bool mask(ll q, ll k) const`.
 */
template <class C>
GroupSchedule planGroup(const C& p, int qLen, int kvLen, int blockQ, int blockKv, long long budget) {
  const int nq = (qLen + blockQ - 1) / blockQ, nkv = (kvLen + blockKv - 1) / blockKv;
  GroupSchedule g;
  long long groupSteps = 0;
  const long long groupBudget = groupRefineBudget(nq, nkv);
  g.kvRowPtr.assign(nq + 1, 0); g.fullKvRowPtr.assign(nq + 1, 0);
  for (int qb = 0; qb < nq; qb++) {
    const long long q0 = (long long)qb * blockQ, q1 = std::min<long long>(q0 + blockQ, qLen) - 1;
    const bool qOver = q0 + blockQ > qLen;
    auto refine = [&](long long k0, long long k1) -> int {
      if (groupSteps >= groupBudget) return 1;
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

// ---------------------------------------------------------------------------------------------
// Box tiles (docs/schedule.md, "Box tiles"): a port of runtime/schedule/box.ts and plan-box.ts.
// A block is a box of a layout grid's coordinates; query and key blocks are numbered row-major
// over their box grids. Arrays of coordinates hold MAX_LAYOUT_AXES entries: the axes past the
// layout's `d` have shape, extent and grid 1 and stride 0, so their coordinates are always 0.
// ---------------------------------------------------------------------------------------------

/** Axes of the largest layout planned in box tiles. */
constexpr int MAX_LAYOUT_AXES = 4;
/** Grid coordinates, one per axis (MAX_LAYOUT_AXES, the unused ones 0). */
using BoxCoords = std::array<long long, MAX_LAYOUT_AXES>;

/** One side (queries or keys) of a box schedule: box shape, grid extent and boxes per axis (box.ts: BoxSide). */
struct BoxSide {
  long long shape[MAX_LAYOUT_AXES], extent[MAX_LAYOUT_AXES], grid[MAX_LAYOUT_AXES];
  /** Number of blocks (box.ts: sideBlocks). */
  long long blocks() const {
    long long n = 1;
    for (int i = 0; i < MAX_LAYOUT_AXES; i++) n *= grid[i];
    return n;
  }
};

/** The geometry of a box schedule (box.ts: BoxTiles, without the axis names). */
struct BoxGeometry {
  int d;
  long long strides[MAX_LAYOUT_AXES];
  BoxSide q, kv;
};

/** The side of a box schedule for a sequence of `len` tokens (box.ts: boxSide). */
inline BoxSide boxSide(int d, const long long* sizes, const long long* strides, long long len, const int* shape) {
  BoxSide s;
  for (int i = 0; i < MAX_LAYOUT_AXES; i++) {
    const bool on = i < d;
    s.shape[i] = on ? shape[i] : 1;
    s.extent[i] = !on ? 1 : i == 0 ? (len + strides[0] - 1) / strides[0] : sizes[i];
    s.grid[i] = (s.extent[i] + s.shape[i] - 1) / s.shape[i];
  }
  return s;
}

/** Whether `shape` (d positive sizes) multiplies to `block`. */
inline bool boxShapeFits(int d, const int* shape, int block) {
  long long prod = 1;
  for (int i = 0; i < d; i++) {
    if (shape[i] < 1) return false;
    prod *= shape[i];
    if (prod > block) return false;
  }
  return prod == block;
}

/** False (and no output) where boxTiles (box.ts) would throw bad_tile_shape. */
inline bool boxGeometry(int d, const long long* sizes, int qLen, int kvLen, int blockQ, int blockKv, const int* qShape, const int* kvShape, BoxGeometry* out) {
  const long long INT_MAX_ = 2147483647LL;
  if (d < 1 || d > MAX_LAYOUT_AXES) return false;
  if (!boxShapeFits(d, qShape, blockQ) || !boxShapeFits(d, kvShape, blockKv)) return false;
  for (int i = 0; i < d; i++) if (sizes[i] < 1 || sizes[i] > INT_MAX_) return false;
  // Token strides, row-major (box.ts: gridStrides); the first axis's stride is the largest.
  BoxGeometry g;
  g.d = d;
  long long acc = 1;
  for (int i = MAX_LAYOUT_AXES - 1; i >= 0; i--) {
    if (i >= d) { g.strides[i] = 0; continue; }
    g.strides[i] = acc;
    if (i > 0) acc *= sizes[i];
    if (acc > INT_MAX_) return false;
  }
  g.q = boxSide(d, sizes, g.strides, qLen, qShape);
  g.kv = boxSide(d, sizes, g.strides, kvLen, kvShape);
  *out = g;
  return true;
}

/** Writes the inclusive coordinate bounds of block `blk` into `lo`, `hi` (MAX_LAYOUT_AXES entries each), clipped to the extent. */
inline void blockBox(const BoxSide& s, long long blk, long long* lo, long long* hi) {
  for (int i = MAX_LAYOUT_AXES - 1; i >= 0; i--) {
    const long long g = blk % s.grid[i];
    blk /= s.grid[i];
    lo[i] = g * s.shape[i];
    hi[i] = std::min(lo[i] + s.shape[i], s.extent[i]) - 1;
  }
}

/** Flat token index of coordinates `c` (box.ts: tokenOf). */
inline long long tokenOf(const BoxGeometry& g, const long long* c) {
  long long t = 0;
  for (int i = 0; i < g.d; i++) t += c[i] * g.strides[i];
  return t;
}

/** True when block `blk` has a padding row: clipped by the grid or reaching past `len` (box.ts: blockOverhangs). */
inline bool blockOverhangs(const BoxGeometry& g, const BoxSide& s, long long blk, long long len) {
  BoxCoords lo, hi;
  blockBox(s, blk, lo.data(), hi.data());
  for (int i = 0; i < g.d; i++) if (hi[i] - lo[i] + 1 < s.shape[i]) return true;
  return tokenOf(g, hi.data()) >= len;
}

/** Every box shape of `block` tokens over d axes (powers of two), lexicographic, as boxShapes. */
inline std::vector<std::vector<int>> boxShapes(int d, int block) {
  std::vector<std::vector<int>> out;
  if (d < 1 || block < 1 || (block & (block - 1)) != 0) return out;
  int e = 0;
  while ((1 << e) < block) e++;
  std::vector<int> prefix;
  // Axis by axis, the exponent of each from 0 up; the last axis takes what is left.
  auto go = [&](auto&& self, int left) -> void {
    if ((int)prefix.size() == d - 1) {
      out.push_back(prefix);
      out.back().push_back(1 << left);
      return;
    }
    for (int x = 0; x <= left; x++) {
      prefix.push_back(1 << x);
      self(self, left - x);
      prefix.pop_back();
    }
  };
  go(go, e);
  return out;
}

/**
 * The key box that goes with query box `q` when the blocks differ: `q` scaled to `blockKv`
 * by doubling its last axis, or halving its axes from the last that are above 1 (box.ts).
 */
inline std::vector<int> matchingKvShape(const std::vector<int>& q, int blockQ, int blockKv) {
  std::vector<int> s = q;
  long long p = blockQ;
  while (p < blockKv) { s.back() *= 2; p *= 2; }
  for (int i = (int)s.size() - 1; p > blockKv && i >= 0; i--) {
    while (p > blockKv && s[i] > 1) { s[i] /= 2; p /= 2; }
  }
  return s;
}

/**
 * One head group's box planner (plan-box.ts): per query box, the key box grid is bisected as
 * a range of boxes per axis, split on its longest axis; a single undecided tile is refined
 * exactly by splitting the pair of boxes down to points. Padding is never evaluated.
 */
template <class C>
struct BoxGroupPlanner {
  const C& p;
  long long qLen, kvLen;
  const BoxGeometry& g;
  long long budget;
  long long groupSteps = 0;
  long long groupBudget;
  /** Per key box: 0 no token, 1 overhangs (padding rows), 2 whole. */
  std::vector<unsigned char> kvKind;
  /** The query box being planned, its overhang, and the key boxes of its row. */
  BoxCoords qlo{}, qhi{};
  bool qOver = false;
  std::vector<int> rowP, rowF;

  BoxGroupPlanner(const C& p_, long long qLen_, long long kvLen_, const BoxGeometry& g_, long long budget_)
      : p(p_), qLen(qLen_), kvLen(kvLen_), g(g_), budget(budget_), groupBudget(groupRefineBudget(g_.q.blocks(), g_.kv.blocks())) {
    const long long nkv = g.kv.blocks();
    kvKind.assign(nkv, 0);
    BoxCoords lo, hi;
    for (long long kb = 0; kb < nkv; kb++) {
      blockBox(g.kv, kb, lo.data(), hi.data());
      kvKind[kb] = tokenOf(g, lo.data()) >= kvLen ? 0 : blockOverhangs(g, g.kv, kb, kvLen) ? 1 : 2;
    }
  }

  /** Row-major index of key box coordinates `c`. */
  long long kvIndex(const BoxCoords& c) const {
    long long x = 0;
    for (int i = 0; i < g.d; i++) x = x * g.kv.grid[i] + c[i];
    return x;
  }

  /** Lists key box `kb` of class `c` in the current row. */
  void add(long long kb, int c) {
    if (kvKind[kb] == 0 || c == 0) return;
    if (c == 2 && !qOver && kvKind[kb] == 2) rowF.push_back((int)kb);
    else rowP.push_back((int)kb);
  }

  /** Lists every key box of the half-open ranges `[a_i, b_i)` as FULL where it can be (plan-box.ts: forEachBox). */
  void addAll(const BoxCoords& a, const BoxCoords& b) {
    BoxCoords c = a;
    for (;;) {
      add(kvIndex(c), 2);
      int i = g.d - 1;
      while (i >= 0 && ++c[i] == b[i]) { c[i] = a[i]; i--; }
      if (i < 0) return;
    }
  }

  /** Classifies the key boxes of the half-open box ranges `[a_i, b_i)` against the query box, by bisection. */
  void scan(const BoxCoords& a, const BoxCoords& b) {
    BoxCoords ka{}, kbx{};
    long long n = 1;
    int widest = 0;
    for (int i = 0; i < g.d; i++) {
      ka[i] = a[i] * g.kv.shape[i];
      kbx[i] = std::min(b[i] * g.kv.shape[i], g.kv.extent[i]) - 1;
      n *= b[i] - a[i];
      if (b[i] - a[i] > b[widest] - a[widest]) widest = i;
    }
    if (tokenOf(g, ka.data()) >= kvLen) return;
    const int c = p.classifyBox(qlo.data(), qhi.data(), ka.data(), kbx.data());
    if (c == 0) return;
    if (c == 2) { addAll(a, b); return; }
    if (n == 1) {
      const long long kb = kvIndex(a);
      if (kvKind[kb] != 0) add(kb, refine(ka, kbx));
      return;
    }
    const long long mid = (a[widest] + b[widest]) >> 1;
    BoxCoords lowB = b, highA = a;
    lowB[widest] = mid;
    highA[widest] = mid;
    scan(a, lowB);
    scan(highA, b);
  }

  /** Refinement state of one tile (plan-box.ts: refineBox). */
  struct Refinement { bool seenT = false, seenF = false, exhausted = false; long long steps = 0; };

  /** Records the mask at one pair of coordinates, unless either is padding. */
  void probe(Refinement& r, const BoxCoords& qc, const BoxCoords& kc) const {
    const long long q = tokenOf(g, qc.data()), k = tokenOf(g, kc.data());
    if (q >= qLen || k >= kvLen) return;
    if (p.mask(q, k)) r.seenT = true;
    else r.seenF = true;
  }

  /** Splits the pair of boxes on its widest axis down to points, until both an allowed and a masked element are seen. */
  void visit(Refinement& r, const BoxCoords& xa, const BoxCoords& xb, const BoxCoords& ya, const BoxCoords& yb) const {
    if ((r.seenT && r.seenF) || r.exhausted) return;
    const long long q = tokenOf(g, xa.data()), k = tokenOf(g, ya.data());
    if (q >= qLen || k >= kvLen) return;
    if (++r.steps > budget) { r.exhausted = true; return; }
    const int d = g.d;
    int widest = -1;
    long long width = 0;
    for (int i = 0; i < d; i++) {
      if (xb[i] - xa[i] > width) { width = xb[i] - xa[i]; widest = i; }
      if (yb[i] - ya[i] > width) { width = yb[i] - ya[i]; widest = d + i; }
    }
    const int c = widest < 0 ? (p.mask(q, k) ? 2 : 0) : p.classifyBox(xa.data(), xb.data(), ya.data(), yb.data());
    if (c == 2) { r.seenT = true; return; }
    if (c == 0) { r.seenF = true; return; }
    const bool onQ = widest < d;
    const int i = onQ ? widest : widest - d;
    const BoxCoords& a = onQ ? xa : ya;
    const BoxCoords& b = onQ ? xb : yb;
    const long long m = (a[i] + b[i]) >> 1;
    BoxCoords lowHi = b, highLo = a;
    lowHi[i] = m;
    highLo[i] = m + 1;
    if (onQ) {
      visit(r, xa, lowHi, ya, yb);
      visit(r, highLo, xb, ya, yb);
    } else {
      visit(r, xa, xb, ya, lowHi);
      visit(r, xa, xb, highLo, yb);
    }
  }

  /** Decides one undecided tile of the current query box against key box `[ka, kb]`: 0, 1 or 2; PARTIAL once the budgets are spent. */
  int refine(const BoxCoords& ka, const BoxCoords& kb) {
    if (groupSteps >= groupBudget) return 1;
    Refinement r;
    auto mid = [&](const BoxCoords& a, const BoxCoords& b) {
      BoxCoords m{};
      for (int i = 0; i < g.d; i++) m[i] = (a[i] + b[i]) >> 1;
      return m;
    };
    probe(r, qlo, ka); probe(r, qhi, kb); probe(r, qlo, kb); probe(r, qhi, ka); probe(r, mid(qlo, qhi), mid(ka, kb));
    if (r.seenT && r.seenF) return 1;
    visit(r, qlo, qhi, ka, kb);
    groupSteps += r.steps;
    if (r.seenT && r.seenF) return 1;
    if (r.exhausted) return 1;
    return r.seenT ? 2 : 0;
  }

  /** The FULL and PARTIAL key boxes of every query box, rows ascending. */
  GroupSchedule plan() {
    const long long nq = g.q.blocks();
    GroupSchedule out;
    out.kvRowPtr.assign(nq + 1, 0);
    out.fullKvRowPtr.assign(nq + 1, 0);
    for (long long qb = 0; qb < nq; qb++) {
      rowP.clear();
      rowF.clear();
      blockBox(g.q, qb, qlo.data(), qhi.data());
      if (tokenOf(g, qlo.data()) < qLen) {
        qOver = blockOverhangs(g, g.q, qb, qLen);
        BoxCoords a{}, b{};
        for (int i = 0; i < MAX_LAYOUT_AXES; i++) b[i] = g.kv.grid[i];
        scan(a, b);
        std::sort(rowP.begin(), rowP.end());
        std::sort(rowF.begin(), rowF.end());
      }
      out.kvIndices.insert(out.kvIndices.end(), rowP.begin(), rowP.end());
      out.fullKvIndices.insert(out.fullKvIndices.end(), rowF.begin(), rowF.end());
      out.kvRowPtr[qb + 1] = (int)out.kvIndices.size();
      out.fullKvRowPtr[qb + 1] = (int)out.fullKvIndices.size();
    }
    return out;
  }
};

/**
 * Plans one head group in box tiles; C provides classifyBox(...) and mask(q, k) as
 * Pattern::Host does. Indices are box indices (row-major over the box grid), rows ascending,
 * as plan-box.ts; `budget` is the refinement steps of one tile (plan.ts: 2 x blockQ x blockKv),
 * and the group's steps in all are groupRefineBudget. The fully masked rows of plan-box.ts
 * are not listed: the kernels write 0 for a row with no allowed key.
 */
template <class C>
GroupSchedule planBoxGroup(const C& p, int qLen, int kvLen, const BoxGeometry& g, long long budget) {
  return BoxGroupPlanner<C>(p, qLen, kvLen, g, budget).plan();
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
