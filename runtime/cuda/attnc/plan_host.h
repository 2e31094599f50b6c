// attnc CUDA runtime: planning a call's schedule on the host, for any pattern (see pattern.h).
// Plain C++ (no CUDA): host-only builds, the tests, compile it too.
//
//   planGroups   the pattern's heads grouped by their slot values (heads with equal slots share
//                one schedule), each group's FULL and PARTIAL tiles planned (planner.h)
//   planHost     the forward schedule: compressed rows joined across groups, work items ordered
//                longest first and dealt to persistent CTAs (LPT)
//   planBest     block_kv 0: both key blocks planned, the one planTime rates faster kept; with
//                box tiles allowed, also every box shape of a layout pattern (boxCandidates)
//   planBackward the backward schedule: 64 x 64 tiles, rows and their transpose (columns)
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <map>
#include <queue>
#include <string>
#include <vector>
#include "planner.h"

namespace attnc {

/** Host copies of a call's input arrays, in the pattern's declaration order. */
using HostInputs = std::vector<const int*>;

/** The schedules of one call's head groups, planned with blockQ x blockKv tiles. */
struct GroupedPlan {
  int sched_batch = 1, heads = 0, nq = 0, nkv = 0;
  std::vector<int> groupOf;                 // [sched_batch * heads]: (b, h) -> group
  std::vector<host::GroupSchedule> groups;
};

/** Plans `a`'s head groups in strips of blockQ x blockKv tokens, or in the boxes of `geo` (box tiles; blocks of the same sizes). */
template <class Pat>
GroupedPlan planGroups(const typename Pat::Args* a, int blockQ, int blockKv, const HostInputs& inputs, const host::BoxGeometry* geo = nullptr) {
  typename Pat::Host P = Pat::host(a);
  std::vector<host::InputTable> tq(Pat::NUM_INPUTS), tk(Pat::NUM_INPUTS);
  for (int i = 0; i < Pat::NUM_INPUTS; i++) {
    tq[i].build(inputs[i], Pat::inputLength(a, i), blockQ);
    tk[i].build(inputs[i], Pat::inputLength(a, i), blockKv);
    Pat::bindInput(P, i, &tq[i], &tk[i], inputs[i]);
  }
  GroupedPlan d;
  d.sched_batch = Pat::DEPENDS_ON_BATCH ? a->batch : 1;
  d.heads = a->heads;
  d.nq = geo ? (int)geo->q.blocks() : (a->q_len + blockQ - 1) / blockQ;
  d.nkv = geo ? (int)geo->kv.blocks() : (a->kv_len + blockKv - 1) / blockKv;
  d.groupOf.resize((size_t)d.sched_batch * a->heads);
  std::map<std::vector<long long>, int> groupKey;
  for (int b = 0; b < d.sched_batch; b++) {
    for (int h = 0; h < a->heads; h++) {
      const std::vector<long long> s = Pat::slots(P, b, h);
      auto it = groupKey.find(s);
      int g;
      if (it == groupKey.end()) {
        g = (int)d.groups.size();
        groupKey[s] = g;
        typename Pat::Host Pg = P;
        Pat::setSlots(Pg, s);
        const long long budget = 2LL * blockQ * blockKv;
        d.groups.push_back(geo ? host::planBoxGroup(Pg, a->q_len, a->kv_len, *geo, budget) : host::planGroup(Pg, a->q_len, a->kv_len, blockQ, blockKv, budget));
      } else {
        g = it->second;
      }
      d.groupOf[(size_t)b * a->heads + h] = g;
    }
  }
  return d;
}

/** Appends `part` to `all` with its offsets shifted by `base` (joining groups' compressed rows). */
inline void appendShifted(std::vector<int>& all, const std::vector<int>& part, int base) {
  for (int x : part) all.push_back(base + x);
}

/** A work item's cost for ordering and dealing, forward and backward: 4 per FULL tile, 5 per PARTIAL, 8 per item (its own tile's load, the epilogue). */
inline long long itemCost(long long full, long long partial) { return 4 * full + 5 * partial + 8; }

/**
 * One planned forward schedule on the host: head groups, compressed FULL and PARTIAL rows per
 * group (absolute offsets into the joined index arrays), the work order (longest rows first)
 * and the persistent kernel's lists of work items per CTA.
 */
struct HostPlan {
  int block_kv = 0, sched_batch = 1, heads = 0, num_q_blocks = 0, work_items = 0, ctas = 0;
  /** The Hopper kernel's consumer warpgroups this plan is for: 2, or 3 (planThree). */
  int consumers = 2;
  /** Box tiles: the layout's axes (0 for strips) and the geometry blocks are cut with. */
  int box_axes = 0;
  host::BoxGeometry geo{};
  std::vector<int> groupOf, rowPtr, idx, fullRowPtr, fullIdx, order, ctaPtr, ctaItems;
  /** The compressed row of work item `it`: query block it % num_q_blocks of (b, h) = it / num_q_blocks. */
  int row(int it) const {
    const int bh = it / num_q_blocks, h = bh % heads, b = bh / heads;
    return groupOf[(size_t)(sched_batch > 1 ? b : 0) * heads + h] * (num_q_blocks + 1) + it % num_q_blocks;
  }
  /** Work item `it`'s cost for ordering and dealing (itemCost). */
  long long cost(int it) const {
    const int r = row(it);
    return itemCost(fullRowPtr[r + 1] - fullRowPtr[r], rowPtr[r + 1] - rowPtr[r]);
  }
};

/**
 * Orders work items longest first (their `cost`) and deals them to `ctas` persistent CTAs, each
 * to the least-loaded list (LPT): `order` the item order, CTA c runs ctaItems[ctaPtr[c] ..
 * ctaPtr[c + 1]). `balance` false: the natural order, item i to CTA i % ctas.
 */
inline void dealItems(const std::vector<long long>& cost, int ctas, bool balance, std::vector<int>& order, std::vector<int>& ctaPtr, std::vector<int>& ctaItems) {
  const int n = (int)cost.size();
  order.resize((size_t)n);
  for (int i = 0; i < n; i++) order[(size_t)i] = i;
  // Longest rows first: the heaviest query blocks start in the first wave, the light ones fill the tail.
  if (balance) std::stable_sort(order.begin(), order.end(), [&](int x, int y) { return cost[(size_t)x] > cost[(size_t)y]; });
  std::vector<std::vector<int>> lists((size_t)ctas);
  std::priority_queue<std::pair<long long, int>, std::vector<std::pair<long long, int>>, std::greater<std::pair<long long, int>>> load;
  for (int c = 0; c < ctas; c++) load.push({0, c});
  for (int it : order) {
    if (!balance) { lists[(size_t)(it % ctas)].push_back(it); continue; }
    auto top = load.top();
    load.pop();
    lists[(size_t)top.second].push_back(it);
    load.push({top.first + cost[(size_t)it], top.second});
  }
  ctaPtr.assign(1, 0);
  ctaItems.clear();
  for (auto& l : lists) { ctaItems.insert(ctaItems.end(), l.begin(), l.end()); ctaPtr.push_back((int)ctaItems.size()); }
}

/** The forward query block. */
constexpr int FORWARD_BLOCK_Q = 128;

/**
 * Plans `a`'s forward schedule for `ctas` persistent CTAs. `balance` false (ATTNC_CUDA_BALANCE=0,
 * for measuring what balancing buys): items in their natural order, item i to CTA i % ctas.
 */
template <class Pat>
HostPlan planHost(const typename Pat::Args* a, int ctas, const HostInputs& inputs, bool balance = true, const host::BoxGeometry* geo = nullptr) {
  const GroupedPlan gp = planGroups<Pat>(a, FORWARD_BLOCK_Q, a->block_kv, inputs, geo);
  HostPlan d;
  if (geo) { d.box_axes = geo->d; d.geo = *geo; }
  const int nq = gp.nq;
  d.block_kv = a->block_kv; d.sched_batch = gp.sched_batch; d.heads = a->heads; d.num_q_blocks = nq; d.work_items = a->batch * a->heads * nq; d.ctas = ctas;
  d.groupOf = gp.groupOf;
  for (const auto& g : gp.groups) {
    const int base = (int)d.idx.size(), fbase = (int)d.fullIdx.size();
    appendShifted(d.rowPtr, g.kvRowPtr, base);
    appendShifted(d.fullRowPtr, g.fullKvRowPtr, fbase);
    d.idx.insert(d.idx.end(), g.kvIndices.begin(), g.kvIndices.end());
    d.fullIdx.insert(d.fullIdx.end(), g.fullKvIndices.begin(), g.fullKvIndices.end());
  }
  std::vector<long long> cost((size_t)d.work_items);
  for (int i = 0; i < d.work_items; i++) cost[(size_t)i] = d.cost(i);
  dealItems(cost, ctas, balance, d.order, d.ctaPtr, d.ctaItems);
  return d;
}

/** Query rows per consumer warpgroup of the Hopper forward, and its consumers in a three-consumer plan. */
constexpr int FORWARD_WARPGROUP_ROWS = 64;
constexpr int THREE_CONSUMERS = 3;

/**
 * The forward schedule of the Hopper kernel with three consumer warpgroups (head dim 64: more
 * warps to hide the softmax's latency), planned in strips of 64 rows x block_kv keys so that
 * each warpgroup visits only the key blocks its own rows see. A work item is a query block of
 * 192 rows (the 64-row blocks 3 qb .. 3 qb + 2, consumer c owning the c-th); its row lists the
 * union of the three rows' key blocks in increasing order as entries (key block << 6) | status
 * of consumer c at bits 2 c (1 FULL, 2 PARTIAL, 0 none: the consumer skips the block), all in
 * rowPtr / idx (fullRowPtr counts no FULL tiles). Items are ordered and dealt as planHost's, each
 * costed by its entries as PARTIAL tiles.
 */
template <class Pat>
HostPlan planThree(const typename Pat::Args* a, int ctas, const HostInputs& inputs, bool balance = true) {
  const GroupedPlan gp = planGroups<Pat>(a, FORWARD_WARPGROUP_ROWS, a->block_kv, inputs);
  HostPlan d;
  const int sub = gp.nq, nq = (sub + THREE_CONSUMERS - 1) / THREE_CONSUMERS;
  d.consumers = THREE_CONSUMERS;
  d.block_kv = a->block_kv; d.sched_batch = gp.sched_batch; d.heads = a->heads; d.num_q_blocks = nq; d.work_items = a->batch * a->heads * nq; d.ctas = ctas;
  d.groupOf = gp.groupOf;
  for (const auto& g : gp.groups) {
    for (int qb = 0; qb < nq; qb++) {
      std::map<int, int> status;  // key block -> status bits, in increasing key order
      for (int c = 0; c < THREE_CONSUMERS && THREE_CONSUMERS * qb + c < sub; c++) {
        const int r = THREE_CONSUMERS * qb + c;
        for (int i = g.fullKvRowPtr[r]; i < g.fullKvRowPtr[r + 1]; i++) status[g.fullKvIndices[i]] |= 1 << (2 * c);
        for (int i = g.kvRowPtr[r]; i < g.kvRowPtr[r + 1]; i++) status[g.kvIndices[i]] |= 2 << (2 * c);
      }
      d.rowPtr.push_back((int)d.idx.size());
      d.fullRowPtr.push_back(0);
      for (const auto& [kb, bits] : status) d.idx.push_back(kb << 6 | bits);
    }
    d.rowPtr.push_back((int)d.idx.size());
    d.fullRowPtr.push_back(0);
  }
  std::vector<long long> cost((size_t)d.work_items);
  for (int i = 0; i < d.work_items; i++) cost[(size_t)i] = d.cost(i);
  dealItems(cost, ctas, balance, d.order, d.ctaPtr, d.ctaItems);
  return d;
}

/**
 * What one run of a box tile's key box adds to the tile (box_tiles.cuh: one TMA box per run and
 * panel, for K and V), in FULL 128 x 128 tiles. Fitted to the H200 (head dim 128, 2026-12-02,
 * bench/results/cuda-h200-box-bench-2026-12-02.md): against strip tiles of the same keys, box
 * tiles with 4, 8 and 16 runs took 1.32, 1.69 and 1.62 times as long (natten-2d 128 x 128 k7,
 * 256 x 256 k13, natten-3d), 0.08 of a 64-key tile (0.61 x 0.08) per run.
 */
constexpr double BOX_RUN_TILES = 0.049;

/**
 * The Hopper kernel's time for plan `h`, in FULL 128 x 128 tiles: the most loaded CTA's sum of
 * item costs (HostPlan::cost / 4: a PARTIAL tile 1.25 of a FULL one, a work item 2 tiles), the
 * tiles scaled by 0.61 for 64-key blocks, plus BOX_RUN_TILES per run of each box tile. From H200
 * measurements at head dim 128 (attnc's bench/results; at equal tile area, 64-key blocks take
 * about 1.2x as long).
 */
inline double planTime(const HostPlan& h) {
  const double tile = h.block_kv == 64 ? 0.61 : 1.0;
  const double runs = h.box_axes ? (double)h.block_kv / (double)h.geo.kv.shape[h.box_axes - 1] : 0.0;
  double worst = 0;
  for (int c = 0; c < h.ctas; c++) {
    double t = 0;
    for (int i = h.ctaPtr[c]; i < h.ctaPtr[c + 1]; i++) {
      const int r = h.row(h.ctaItems[i]);
      const int tiles = h.rowPtr[r + 1] - h.rowPtr[r] + h.fullRowPtr[r + 1] - h.fullRowPtr[r];
      t += tile * ((h.cost(h.ctaItems[i]) - 8) / 4.0) + 2.0 + BOX_RUN_TILES * runs * tiles;
    }
    worst = std::max(worst, t);
  }
  return worst;
}

/**
 * The box tiles the Hopper forward can run for `a` with `blockKv`-key blocks (box_tiles.cuh): for
 * a pattern with a layout of 2 to 4 axes, every box shape of 128 query tokens (box.ts's
 * boxShapes, the key box matched as matchingKvShape) whose last side is at least 8 on both
 * sides, less boxes with a side longer than the grid rounded up to a power of two (as
 * tileCandidates in choose-tiles.ts).
 */
template <class Pat>
std::vector<host::BoxGeometry> boxCandidates(const typename Pat::Args* a, int blockKv) {
  std::vector<host::BoxGeometry> out;
  if constexpr (Pat::LAYOUT_AXES >= 2) {
    const int d = Pat::LAYOUT_AXES;
    long long sizes[host::MAX_LAYOUT_AXES] = {};
    Pat::host(a).layoutSizes(sizes);
    for (const std::vector<int>& q : host::boxShapes(d, FORWARD_BLOCK_Q)) {
      const std::vector<int> kv = blockKv == FORWARD_BLOCK_Q ? q : host::matchingKvShape(q, FORWARD_BLOCK_Q, blockKv);
      if (q[d - 1] < 8 || kv[d - 1] < 8) continue;
      host::BoxGeometry g;
      if (!host::boxGeometry(d, sizes, a->q_len, a->kv_len, FORWARD_BLOCK_Q, blockKv, q.data(), kv.data(), &g)) continue;
      bool fits = true;
      for (int i = 0; i < d; i++) {
        long long ext = std::max(g.q.extent[i], g.kv.extent[i]), pow2 = 1;
        while (pow2 < ext) pow2 *= 2;
        fits = fits && q[i] <= pow2 && kv[i] <= pow2;
      }
      if (fits) out.push_back(g);
    }
  }
  return out;
}

/**
 * Plans `a`'s shape; block_kv 0 (auto) plans both key blocks and keeps the one `planTime` rates
 * faster (128 on a tie): 128 for most patterns, 64 where the pattern's structure is finer
 * than 128 keys, so that 64-key blocks skip much more. `tiles` 1 (auto) also plans the box tiles
 * of boxCandidates and keeps the fastest of all (strips on a tie); 2 (box) keeps the fastest box
 * plan where there is one; 0 plans strips only.
 */
template <class Pat>
HostPlan planBest(const typename Pat::Args* a, int ctas, const HostInputs& inputs, bool balance = true, int tiles = 0) {
  std::vector<int> blocks;
  if (a->block_kv != 0) blocks = {a->block_kv};
  else blocks = {128, 64};
  HostPlan best;
  double bestTime = 0;
  bool have = false;
  const auto consider = [&](HostPlan&& h) {
    const double t = planTime(h);
    if (!have || t < bestTime) { best = std::move(h); bestTime = t; have = true; }
  };
  bool boxes = false;
  for (int bk : blocks) boxes = boxes || (tiles != 0 && !boxCandidates<Pat>(a, bk).empty());
  if (!(tiles == 2 && boxes)) {
    for (int bk : blocks) {
      typename Pat::Args ab = *a;
      ab.block_kv = bk;
      consider(planHost<Pat>(&ab, ctas, inputs, balance));
    }
  }
  for (int bk : blocks) {
    if (!boxes) break;
    typename Pat::Args ab = *a;
    ab.block_kv = bk;
    for (const host::BoxGeometry& g : boxCandidates<Pat>(&ab, bk)) consider(planHost<Pat>(&ab, ctas, inputs, balance, &g));
  }
  return best;
}

/** The backward tile: 64 queries x 64 keys. */
constexpr int BACKWARD_BLOCK = 64;

/**
 * One planned backward schedule: per head group, the q-major rows (FULL and PARTIAL key blocks
 * of each query block: the dQ kernel) and their transpose, k-major columns (FULL and PARTIAL
 * query blocks of each key block: the dK/dV kernel); offsets absolute into the joined arrays.
 */
struct BackwardPlan {
  int sched_batch = 1, heads = 0, num_q_blocks = 0, num_kv_blocks = 0;
  std::vector<int> groupOf, rowPtr, idx, fullRowPtr, fullIdx, colPtr, qIdx, fullColPtr, fullQIdx;
  /**
   * The order the kernels take their items in, longest first by cost class (backwardCostClass): colOrder over the dK/dV items
   * (b, kv head, key block) numbered (b * kv_heads + kvHead) * num_kv_blocks + kb, rowOrder
   * over the dQ items (b, h, query block) numbered (b * heads + h) * num_q_blocks + qb. A key
   * block every query sees (attention sinks, global tokens) is one long item: started first it
   * runs beside the others instead of after them.
   */
  std::vector<int> colOrder, rowOrder;
};

/**
 * The class items are ordered by: floor(log2(cost)). Longest class first; within a class the
 * items keep their natural order, (b, head)-major, so the CTAs running together mostly belong
 * to one head and share its Q and dO (or K and V) in L2. (Sorting by exact cost puts every
 * head's key block 0 together for causal masks: 13% slower at 16k on an H200, 2026-12-02.)
 */
inline int backwardCostClass(long long cost) { int c = 0; while (cost > 1) { cost >>= 1; c++; } return c; }

template <class Pat>
BackwardPlan planBackward(const typename Pat::Args* a, const HostInputs& inputs) {
  const GroupedPlan gp = planGroups<Pat>(a, BACKWARD_BLOCK, BACKWARD_BLOCK, inputs);
  BackwardPlan d;
  d.sched_batch = gp.sched_batch; d.heads = a->heads; d.num_q_blocks = gp.nq; d.num_kv_blocks = gp.nkv;
  d.groupOf = gp.groupOf;
  for (const auto& g : gp.groups) {
    std::vector<int> colPtr, qIdx, fullColPtr, fullQIdx;
    host::transpose(g.kvRowPtr, g.kvIndices, gp.nq, gp.nkv, colPtr, qIdx);
    host::transpose(g.fullKvRowPtr, g.fullKvIndices, gp.nq, gp.nkv, fullColPtr, fullQIdx);
    appendShifted(d.rowPtr, g.kvRowPtr, (int)d.idx.size());
    appendShifted(d.fullRowPtr, g.fullKvRowPtr, (int)d.fullIdx.size());
    appendShifted(d.colPtr, colPtr, (int)d.qIdx.size());
    appendShifted(d.fullColPtr, fullColPtr, (int)d.fullQIdx.size());
    d.idx.insert(d.idx.end(), g.kvIndices.begin(), g.kvIndices.end());
    d.fullIdx.insert(d.fullIdx.end(), g.fullKvIndices.begin(), g.fullKvIndices.end());
    d.qIdx.insert(d.qIdx.end(), qIdx.begin(), qIdx.end());
    d.fullQIdx.insert(d.fullQIdx.end(), fullQIdx.begin(), fullQIdx.end());
  }
  // Each item's cost class over every (b, head) of the call: a dQ item is one row; a dK/dV item
  // visits the query heads of its kv head, so its column tiles add up over them.
  const int nq = gp.nq, nkv = gp.nkv, B = a->batch, H = a->heads, Hkv = a->kv_heads, per = H / Hkv;
  const auto span = [](const std::vector<int>& ptr, int i) { return ptr[i + 1] - ptr[i]; };
  std::vector<int> rowClass((size_t)B * H * nq), colClass((size_t)B * Hkv * nkv);
  std::vector<long long> colFull(colClass.size(), 0), colPartial(colClass.size(), 0);
  for (int b = 0; b < B; b++) {
    for (int h = 0; h < H; h++) {
      const int g = d.groupOf[(size_t)(d.sched_batch > 1 ? b : 0) * H + h];
      for (int qb = 0; qb < nq; qb++) {
        const int r = g * (nq + 1) + qb;
        rowClass[((size_t)b * H + h) * nq + qb] = backwardCostClass(itemCost(span(d.fullRowPtr, r), span(d.rowPtr, r)));
      }
      for (int kb = 0; kb < nkv; kb++) {
        const int c = g * (nkv + 1) + kb;
        const size_t i = ((size_t)b * Hkv + h / per) * nkv + kb;
        colFull[i] += span(d.fullColPtr, c);
        colPartial[i] += span(d.colPtr, c);
      }
    }
  }
  for (size_t i = 0; i < colClass.size(); i++) colClass[i] = backwardCostClass(itemCost(colFull[i], colPartial[i]));
  const auto longestFirst = [](const std::vector<int>& cls, std::vector<int>& order) {
    order.resize(cls.size());
    for (size_t i = 0; i < cls.size(); i++) order[i] = (int)i;
    std::stable_sort(order.begin(), order.end(), [&](int x, int y) { return cls[x] > cls[y]; });
  };
  longestFirst(rowClass, d.rowOrder);
  longestFirst(colClass, d.colOrder);
  return d;
}

/**
 * Whether the backward accumulates dQ with atomics inside the Hopper dK/dV kernel: only when
 * asked for (ATTNC_CUDA_BWD=atomic in the environment) and `deterministic` is not set. It is
 * not the default: on an H200 it measured slower than the two-kernel path, which recomputes S
 * and dP for dQ but adds nothing through L2 (causal, bf16, head dim 128, 16k: 9.46 ms against
 * 8.40; bench/results/cuda-h200-bwd-2026-12-01.md).
 */
template <class Args>
bool atomicBackward(const Args* a) {
  const char* e = std::getenv("ATTNC_CUDA_BWD");
  // Head dims past 128 always take the deterministic kernels (the dK/dV CTA splits the head dim).
  return !a->deterministic && a->head_dim <= 128 && e && std::strcmp(e, "atomic") == 0;
}

/**
 * The backward pass's workspace in bytes: delta (batch x heads x q_len floats), and for the
 * atomic kernels (atomicBackward) the fp32 dQ accumulator (batch x heads x q_len x
 * kernelHeadDim(head_dim) floats, from a 16-byte boundary). Read the size right before the call: it depends on the
 * environment as the choice of kernels does.
 */
template <class Args>
size_t backwardWorkspace(const Args* a) {
  if (!a) return 0;
  const size_t rows = (size_t)a->batch * a->heads * a->q_len;
  const size_t delta = (rows + 3) / 4 * 4;
  return sizeof(float) * (delta + (atomicBackward(a) ? rows * (size_t)kernelHeadDim(a->head_dim) : 0));
}

/** The first of the pattern's asserts that `a`'s sizes and runtime values fail, or null. */
template <class Pat>
const char* check(const typename Pat::Args* a) {
  if (!a) return "null arguments";
  return Pat::host(a).failedAssert();
}

}  // namespace attnc
