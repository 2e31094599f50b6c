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

/** The score a `select` clause ranks key blocks by. */
enum SelectScore { SELECT_DOT_MEAN = 0, SELECT_DOT_MAX = 1, SELECT_BOUND = 2 };

/** The selected cells of one call, as a dynamic pattern's mask reads them (Pattern::Values::sel). */
struct SelectCells {
  const uint8_t* cells = nullptr;  // [groups][nQ][nK]
  int bq = 1, bk = 1, nQ = 0, nK = 0, per_kv_head = 0;
};

/** Whether the cell of (b, h, q, k) is selected. */
template <class PP>
ATTNC_HD bool selected(const PP& P, int b, int h, int q, int k) {
  const SelectCells& s = P.sel;
  const int g = s.per_kv_head ? b * P.kv_heads + h / (P.heads / P.kv_heads) : b * P.heads + h;
  return s.cells[((size_t)g * s.nQ + q / s.bq) * s.nK + k / s.bk] != 0;
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
 * One shape's static half of a dynamic schedule. Work items are (b, h, query block), numbered
 * (b * heads + h) * nq + qb as in HostPlan; each (b, h) is its own group of rows, whose index
 * entries start at (b * heads + h) * groupCap.
 */
struct DynamicPlan {
  int block_kv = 0, nq = 0, nkv = 0, work_items = 0, ctas = 0;
  SelectShape sel;
  GroupedPlan stat, restr, cand;         // stat, restr: 128 x block_kv tiles; cand: bq x bk cells
  std::vector<uint8_t> S, R, C;          // their dense tables, per group
  long long groupCap = 0;                // index entries one (b, h) may need, per kind (FULL or PARTIAL)
  std::vector<int> order, ctaPtr, ctaItems;
};

/** The query blocks (cells) of the selection that kernel query block `qb` overlaps: [lo, hi]. */
inline void cellRows(int qb, int qLen, int bq, int& lo, int& hi) {
  lo = qb * FORWARD_BLOCK_Q / bq;
  hi = (std::min(qLen, (qb + 1) * FORWARD_BLOCK_Q) - 1) / bq;
}

template <class Pat>
DynamicPlan planDynamic(const typename Pat::Args* a, int blockKv, int ctas, const HostInputs& inputs) {
  DynamicPlan d;
  d.block_kv = blockKv; d.ctas = ctas;
  d.sel = selectShape<Pat>(a);
  d.stat = planGroups<typename Pat::Static>(a, FORWARD_BLOCK_Q, blockKv, inputs);
  d.restr = planGroups<typename Pat::Restriction>(a, FORWARD_BLOCK_Q, blockKv, inputs);
  d.cand = planGroups<typename Pat::Candidates>(a, d.sel.bq, d.sel.bk, inputs);
  d.S = denseGroups(d.stat); d.R = denseGroups(d.restr); d.C = denseGroups(d.cand);
  d.nq = d.stat.nq; d.nkv = d.stat.nkv;
  const int H = a->heads, nq = d.nq, nkv = d.nkv;
  d.work_items = a->batch * H * nq;
  // A cell of bk keys overlaps at most this many key blocks.
  const long long tilesPerCell = (d.sel.bk + blockKv - 1) / blockKv + 1;
  const long long picks = std::max(0, std::min(d.sel.topk, d.sel.nK));
  std::vector<long long> cost((size_t)d.work_items);
  for (int b = 0; b < a->batch; b++) {
    for (int h = 0; h < H; h++) {
      const host::GroupSchedule& g = d.stat.groups[(size_t)d.stat.groupOf[(size_t)(d.stat.sched_batch > 1 ? b : 0) * H + h]];
      long long cap = 0;
      for (int qb = 0; qb < nq; qb++) {
        int lo, hi;
        cellRows(qb, a->q_len, d.sel.bq, lo, hi);
        const long long full = g.fullKvRowPtr[qb + 1] - g.fullKvRowPtr[qb], part = g.kvRowPtr[qb + 1] - g.kvRowPtr[qb];
        const long long added = std::min<long long>(nkv, (hi - lo + 1) * picks * tilesPerCell);
        cap += std::min<long long>(nkv, full + part + added);
        // Expected cost: the static tiles, and the picks' tiles as FULL ones.
        cost[((size_t)b * H + h) * nq + qb] = itemCost(full, part) + 4 * std::min<long long>(nkv, picks * std::max(1, d.sel.bk / blockKv));
      }
      d.groupCap = std::max(d.groupCap, cap);
    }
  }
  dealItems(cost, ctas, true, d.order, d.ctaPtr, d.ctaItems);
  return d;
}

}  // namespace attnc
