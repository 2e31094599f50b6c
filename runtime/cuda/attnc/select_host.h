// attnc CUDA runtime: the host half of a pattern with a `select` clause (data-dependent key
// blocks). Plain C++ (no CUDA), like plan_host.h.
//
// A dynamic pattern's generated code provides, besides its kernel-side `Pattern`, three static
// patterns with the same Args (docs/language.md, "Data-dependent selection"):
//   Pattern::Static       A && R  the part of the mask that does not depend on the data
//   Pattern::Restriction  R       requires and denies: what a selected block may add
//   Pattern::Candidates   R && !A where a selected block adds something
// and the selection: SELECT_SCORE, SELECT_PER_KV_HEAD, selectTopk/BlockQ/BlockKv(a).
//
// Planned once per shape here: the tile states of Static and Restriction at the kernel's tiles
// (128 queries x block_kv keys) and of Candidates at the selection's cells (block_q x block_kv
// of the clause), as dense byte tables (0 EMPTY, 1 PARTIAL, 2 FULL), plus the order in which
// the persistent kernel takes its work items. Each call then selects cells on the device and
// merges them into the schedule the forward kernels read (select.cuh):
//   a tile whose overlapped cells are all selected has Restriction's state, one with none
//   selected Static's; a mixed tile is FULL where Static's is, EMPTY where Restriction's is,
//   PARTIAL otherwise.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>
#include "config.h"
#include "plan_host.h"

namespace attnc {

/** The score a `select` clause ranks key blocks by (SELECT_INPUT: a call input, Pattern::selectScores). */
enum SelectScore { SELECT_DOT_MEAN = 0, SELECT_DOT_MAX = 1, SELECT_BOUND = 2, SELECT_INPUT = 3 };

/** The selected cells of one call, as a dynamic pattern's mask reads them (Pattern::Values::sel). */
struct SelectCells {
  const uint8_t* cells = nullptr;  // [batch * heads][nQ][nK]
  int bq = 1, bk = 1, nQ = 0, nK = 0;
};

/**
 * Whether the cell of (b, h, q, k) is selected (cells per query head: a selection per kv head
 * is written once for each of its query heads). BQ, BK: the clause's block sizes where they are
 * compile-time constants (0: read from P.sel), so that the division is a shift or a multiply.
 */
template <int BQ, int BK, class PP>
ATTNC_HD bool selectedCell(const PP& P, int b, int h, int q, int k) {
  const SelectCells& s = P.sel;
  const unsigned i = BQ > 0 ? (unsigned)q / (unsigned)BQ : (unsigned)q / (unsigned)s.bq;
  const unsigned j = BK > 0 ? (unsigned)k / (unsigned)BK : (unsigned)k / (unsigned)s.bk;
  return s.cells[((size_t)(b * P.heads + h) * s.nQ + i) * s.nK + j] != 0;
}

/** Tile states of one group's compressed rows as a dense [nq][nkv] table: 0 EMPTY, 1 PARTIAL, 2 FULL. */
inline void denseStates(const host::GroupSchedule& g, int nq, int nkv, uint8_t* out) {
  std::fill(out, out + (size_t)nq * nkv, (uint8_t)0);
  for (int qb = 0; qb < nq; qb++) {
    for (int i = g.kvRowPtr[qb]; i < g.kvRowPtr[qb + 1]; i++) out[(size_t)qb * nkv + g.kvIndices[i]] = 1;
    for (int i = g.fullKvRowPtr[qb]; i < g.fullKvRowPtr[qb + 1]; i++) out[(size_t)qb * nkv + g.fullKvIndices[i]] = 2;
  }
}

/** The dense tables of a grouped plan: one [nq][nkv] table per group, joined. */
inline std::vector<uint8_t> denseGroups(const GroupedPlan& gp) {
  std::vector<uint8_t> all(gp.groups.size() * (size_t)gp.nq * gp.nkv);
  for (size_t g = 0; g < gp.groups.size(); g++) denseStates(gp.groups[g], gp.nq, gp.nkv, all.data() + g * (size_t)gp.nq * gp.nkv);
  return all;
}

/** The selection's sizes for one call. */
struct SelectShape {
  int topk = 0, bq = 1, bk = 1, nQ = 0, nK = 0;
  int groups = 0;  // selection groups: batch x heads, or batch x kv_heads (per kv_head)
};

template <class Pat>
SelectShape selectShape(const typename Pat::Args* a) {
  SelectShape s;
  s.topk = Pat::selectTopk(a); s.bq = Pat::selectBlockQ(a); s.bk = Pat::selectBlockKv(a);
  if (s.bq < 1 || s.bk < 1) return s;
  s.nQ = (a->q_len + s.bq - 1) / s.bq; s.nK = (a->kv_len + s.bk - 1) / s.bk;
  s.groups = a->batch * (Pat::SELECT_PER_KV_HEAD ? a->kv_heads : a->heads);
  return s;
}

/**
 * One shape's static half of a dynamic schedule, at blockQ x blockKv tiles (the forward's
 * 128 x block_kv, or the backward's 64 x 64). Work items are (b, h, query block), numbered
 * (b * heads + h) * nq + qb as in HostPlan; each (b, h) is its own group of rows (and, for the
 * backward, of columns), whose index entries start at (b * heads + h) * groupCap.
 */
struct DynamicPlan {
  int block_q = 0, block_kv = 0, nq = 0, nkv = 0, work_items = 0, ctas = 0;
  SelectShape sel;
  GroupedPlan stat, restr, cand;         // stat, restr: blockQ x blockKv tiles; cand: bq x bk cells
  std::vector<uint8_t> S, R, C;          // their dense tables, per group
  long long groupCap = 0;                // index entries one (b, h) may need, per kind (FULL or PARTIAL)
  std::vector<int> order, ctaPtr, ctaItems;  // forward: the persistent CTAs' items (LPT)
  std::vector<int> rowOrder, colOrder;       // backward: as BackwardPlan's
};

/** The query blocks (cells) of the selection that query tile `qb` of `blockQ` rows overlaps: [lo, hi]. */
inline void cellRows(int qb, int blockQ, int qLen, int bq, int& lo, int& hi) {
  lo = (int)((long long)qb * blockQ / bq);
  hi = (int)((std::min<long long>(qLen, (long long)(qb + 1) * blockQ) - 1) / bq);
}

/**
 * Plans the static half of `a`'s dynamic schedule at blockQ x blockKv tiles. `backward`: the
 * backward's item orders (by cost class) instead of the forward's CTA lists.
 */
template <class Pat>
DynamicPlan planDynamic(const typename Pat::Args* a, int blockQ, int blockKv, int ctas, const HostInputs& inputs, bool backward = false) {
  DynamicPlan d;
  d.block_q = blockQ; d.block_kv = blockKv; d.ctas = ctas;
  d.sel = selectShape<Pat>(a);
  d.stat = planGroups<typename Pat::Static>(a, blockQ, blockKv, inputs);
  d.restr = planGroups<typename Pat::Restriction>(a, blockQ, blockKv, inputs);
  d.cand = planGroups<typename Pat::Candidates>(a, d.sel.bq, d.sel.bk, inputs);
  d.S = denseGroups(d.stat); d.R = denseGroups(d.restr); d.C = denseGroups(d.cand);
  d.nq = d.stat.nq; d.nkv = d.stat.nkv;
  const int H = a->heads, nq = d.nq, nkv = d.nkv;
  d.work_items = a->batch * H * nq;
  // A cell of bk keys overlaps at most this many key blocks.
  const long long tilesPerCell = (d.sel.bk + blockKv - 1) / blockKv + 1;
  const long long picks = std::max(0, std::min(d.sel.topk, d.sel.nK));
  // The candidates of each selection query block, per group of the candidates' plan.
  std::vector<int> candCount(d.cand.groups.size() * (size_t)d.sel.nQ, 0);
  for (size_t cg = 0; cg < d.cand.groups.size(); cg++)
    for (int i = 0; i < d.sel.nQ; i++)
      for (int j = 0; j < d.sel.nK; j++) candCount[cg * d.sel.nQ + i] += d.C[(cg * d.sel.nQ + i) * d.sel.nK + j] != 0;
  const double keysPerPick = std::max(1.0, (double)d.sel.bk / blockKv), rowsPerCell = std::max(1.0, (double)d.sel.bq / blockQ);
  std::vector<long long> cost((size_t)d.work_items), colCost(backward ? (size_t)a->batch * a->kv_heads * nkv : 0, 0);
  for (int b = 0; b < a->batch; b++) {
    for (int h = 0; h < H; h++) {
      const host::GroupSchedule& g = d.stat.groups[(size_t)d.stat.groupOf[(size_t)(d.stat.sched_batch > 1 ? b : 0) * H + h]];
      const int cg = d.cand.groupOf[(size_t)(d.cand.sched_batch > 1 ? b : 0) * H + h];
      long long cap = 0;
      for (int qb = 0; qb < nq; qb++) {
        int lo, hi;
        cellRows(qb, blockQ, a->q_len, d.sel.bq, lo, hi);
        const long long full = g.fullKvRowPtr[qb + 1] - g.fullKvRowPtr[qb], part = g.kvRowPtr[qb + 1] - g.kvRowPtr[qb];
        const long long added = std::min<long long>(nkv, (hi - lo + 1) * picks * tilesPerCell);
        cap += std::min<long long>(nkv, full + part + added);
        // Expected cost: the static tiles, and as FULL tiles the picks the row's candidates allow
        // (early rows of a causal pattern have fewer candidates than picks).
        const long long rowPicks = std::min<long long>(picks, candCount[(size_t)cg * d.sel.nQ + lo]);
        cost[((size_t)b * H + h) * nq + qb] = itemCost(full, part) + 4 * std::min<long long>(nkv, (long long)(rowPicks * keysPerPick));
        if (backward) {
          // A column's expected tiles: its static ones, and each candidate cell's chance of a pick.
          const size_t col0 = ((size_t)b * a->kv_heads + h / (H / a->kv_heads)) * nkv;
          for (int i = g.fullKvRowPtr[qb]; i < g.fullKvRowPtr[qb + 1]; i++) colCost[col0 + g.fullKvIndices[i]] += 4;
          for (int i = g.kvRowPtr[qb]; i < g.kvRowPtr[qb + 1]; i++) colCost[col0 + g.kvIndices[i]] += 5;
          const int cands = candCount[(size_t)cg * d.sel.nQ + lo];
          if (cands > 0 && d.sel.nQ > 0) {
            const double chance = std::min(1.0, (double)picks / cands);
            for (int j = 0; j < d.sel.nK; j++) {
              if (!d.C[((size_t)cg * d.sel.nQ + lo) * d.sel.nK + j]) continue;
              const int k0 = (int)((long long)j * d.sel.bk / blockKv), k1 = (int)std::min<long long>(nkv - 1, ((long long)(j + 1) * d.sel.bk - 1) / blockKv);
              for (int kb = k0; kb <= k1; kb++) colCost[col0 + kb] += (long long)(4 * chance / rowsPerCell + 0.5);
            }
          }
        }
      }
      d.groupCap = std::max(d.groupCap, cap);
    }
  }
  if (!backward) {
    dealItems(cost, ctas, true, d.order, d.ctaPtr, d.ctaItems);
    return d;
  }
  const auto longestFirst = [](const std::vector<long long>& c, std::vector<int>& order) {
    order.resize(c.size());
    for (size_t i = 0; i < c.size(); i++) order[i] = (int)i;
    std::stable_sort(order.begin(), order.end(), [&](int x, int y) { return backwardCostClass(c[x]) > backwardCostClass(c[y]); });
  };
  for (auto& c : colCost) c += 8;
  longestFirst(cost, d.rowOrder);
  longestFirst(colCost, d.colOrder);
  return d;
}

}  // namespace attnc
