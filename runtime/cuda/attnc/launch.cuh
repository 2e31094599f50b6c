// attnc CUDA runtime: the host side of a call on the GPU, for any pattern (see pattern.h):
// schedules planned on first use per shape and cached with their device copy, the kernel path
// chosen per device, TMA maps, launches; the forward and backward entry points that a generated
// pattern's extern "C" functions call.
//
// Switches read from the environment on every call (they may change between calls):
//   ATTNC_CUDA_PATH=sm80     the mma.sync forward and backward kernels on every device
//   ATTNC_CUDA_BWD=sm80      the mma.sync backward kernels on every device
//   ATTNC_CUDA_BWD=atomic    Hopper: dQ accumulated with atomics (unless `deterministic`)
//   ATTNC_CUDA_TMA=0         the Hopper kernel's cp.async producer instead of TMA copies
//   ATTNC_CUDA_BALANCE=0     work items in their natural order, dealt round-robin
//   ATTNC_CUDA_CTAS=N        at most N persistent CTAs (tests: several items per CTA)
//   ATTNC_CUDA_CONSUMERS=2   head dim 64 on Hopper: two consumer warpgroups (128-row blocks), not three
#pragma once
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <vector>
#include "backward_sm80.cuh"
#include "forward_sm90.cuh"
#include "backward_sm90.cuh"
#include "plan_host.h"

namespace attnc {

/** launchSm90's answer where the mma.sync kernel must run the call instead (never returned to callers). */
constexpr int ATTNC_FALLBACK = -1;

/** Whether environment variable `name` is set to `value`. Read on every call, not cached. */
inline bool envIs(const char* name, const char* value) {
  const char* e = std::getenv(name);
  return e && std::strcmp(e, value) == 0;
}

/** A planned schedule's arrays joined in one device buffer, freed with its last holder (cudaFree waits for kernels in flight). */
struct DeviceArrays {
  std::shared_ptr<int> owner;
  int* buf = nullptr;
  std::vector<size_t> offsets;
  const int* at(size_t i) const { return buf + offsets[i]; }
  /** Copies `parts` to the device, each followed by one padding 0. */
  int upload(const std::vector<const std::vector<int>*>& parts) {
    std::vector<int> all;
    for (const auto* v : parts) { offsets.push_back(all.size()); all.insert(all.end(), v->begin(), v->end()); all.push_back(0); }
    if (cudaMalloc(&buf, all.size() * sizeof(int)) != cudaSuccess) return ATTNC_ERR_CUDA;
    owner = std::shared_ptr<int>(buf, [](int* p) { cudaFree(p); });
    return cudaMemcpy(buf, all.data(), all.size() * sizeof(int), cudaMemcpyHostToDevice) == cudaSuccess ? ATTNC_OK : ATTNC_ERR_CUDA;
  }
};

/** Device copy of one planned forward schedule. */
struct DeviceSchedule {
  DeviceArrays arrays;  // groupOf, rowPtr, idx, fullRowPtr, fullIdx, order, ctaPtr, ctaItems
  int block_kv = 0, sched_batch = 1, num_q_blocks = 0, work_items = 0, ctas = 0;
  int consumers = 2;  // the Hopper kernel's consumer warpgroups (3: planThree)
  int box_axes = 0;  // box tiles: the layout's axes and the blocks' geometry (0: strips)
  host::BoxGeometry geo{};
};
/** Device copy of one planned backward schedule. */
struct DeviceBackwardSchedule {
  DeviceArrays arrays;  // groupOf, rowPtr, idx, fullRowPtr, fullIdx, colPtr, qIdx, fullColPtr, fullQIdx, colOrder, rowOrder
  int sched_batch = 1, num_q_blocks = 0, num_kv_blocks = 0;
};

/**
 * Planned schedules of one pattern by shape, least recently used dropped beyond `capacity`:
 * callers whose input arrays change every call (document masks in training) would otherwise
 * grow it forever. One cache per pattern and kind of schedule.
 */
template <class S>
class ScheduleCache {
 public:
  static constexpr size_t capacity = 64;
  bool find(const std::string& key, S* out) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = map_.find(key);
    if (it == map_.end()) return false;
    it->second.lastUse = ++clock_;
    *out = it->second.schedule;
    return true;
  }
  void put(const std::string& key, const S& s) {
    std::lock_guard<std::mutex> lock(mu_);
    map_[key] = Entry{s, ++clock_};
    if (map_.size() > capacity) {
      auto oldest = map_.begin();
      for (auto it = map_.begin(); it != map_.end(); ++it) if (it->second.lastUse < oldest->second.lastUse) oldest = it;
      map_.erase(oldest);
    }
  }
 private:
  struct Entry { S schedule; uint64_t lastUse; };
  std::mutex mu_;
  std::map<std::string, Entry> map_;
  uint64_t clock_ = 0;
};

/**
 * The cache key of `a`'s shape, runtime values and input arrays, with the input arrays' host
 * copies (read from the device: input arrays are the one host synchronisation of a call whose
 * shape has been seen). Returns ATTNC_OK or ATTNC_ERR_CUDA.
 */
template <class Pat>
int shapeKey(const typename Pat::Args* a, const std::string& prefix, std::string& key, std::vector<std::vector<int>>& host, HostInputs& inputs) {
  key = prefix + ":" + std::to_string(a->q_len) + "," + std::to_string(a->kv_len) + "," + std::to_string(a->heads) + "," + std::to_string(a->batch) + "," +
        std::to_string(a->block_kv) + "," + std::to_string(a->kv_heads);
  Pat::appendValues(a, key);
  host.assign(Pat::NUM_INPUTS, {});
  inputs.assign(Pat::NUM_INPUTS, nullptr);
  for (int i = 0; i < Pat::NUM_INPUTS; i++) {
    host[i].resize((size_t)Pat::inputLength(a, i));
    if (cudaMemcpy(host[i].data(), Pat::inputPtr(a, i), sizeof(int) * host[i].size(), cudaMemcpyDeviceToHost) != cudaSuccess) return ATTNC_ERR_CUDA;
    uint64_t hsh = 1469598103934665603ULL;
    for (int x : host[i]) { hsh ^= (uint32_t)x; hsh *= 1099511628211ULL; }
    key += ",in" + std::to_string(i) + ":" + std::to_string(hsh);
    inputs[i] = host[i].data();
  }
  return ATTNC_OK;
}

template <typename T>
bool encodeMap(CUtensorMap* m, const void* ptr, const int64_t* stride, int batch, int heads, int seq, int d, int rows);
inline bool sm90Available();

/**
 * Which tiles planForward may plan for `a` (planBest's `tiles`): 0 strips only; 1 (auto) strips
 * or box tiles, whichever planTime rates faster; 2 box tiles where the pattern has them. Box
 * tiles run on the Hopper kernel with TMA only (box_tiles.cuh), for patterns with a layout of
 * 2 to 4 axes and no score modification (the kernel's scores know a tile's tokens only by
 * row). ATTNC_CUDA_TILES=strip (or box) in the environment chooses.
 */
template <class Pat>
int boxTiles(const typename Pat::Args* a) {
  if constexpr (Pat::LAYOUT_AXES < 2 || Pat::HAS_SCORE_MOD) {
    (void)a;
    return 0;
  } else {
    if (envIs("ATTNC_CUDA_TILES", "strip") || envIs("ATTNC_CUDA_TMA", "0") || !sm90Available()) return 0;
    CUtensorMap m;
    const bool bf = a->dtype == ATTNC_BF16;
    const auto ok = [&](const void* p, const int64_t* st, int heads, int len) {
      return bf ? encodeMap<__nv_bfloat16>(&m, p, st, a->batch, heads, len, a->head_dim, 8) : encodeMap<__half>(&m, p, st, a->batch, heads, len, a->head_dim, 8);
    };
    if (!ok(a->q, a->q_stride, a->heads, a->q_len) || !ok(a->k, a->k_stride, a->kv_heads, a->kv_len) || !ok(a->v, a->v_stride, a->kv_heads, a->kv_len)) return 0;
    return envIs("ATTNC_CUDA_TILES", "box") ? 2 : 1;
  }
}

/**
 * Whether the forward of `a` may run the Hopper kernel with three consumer warpgroups
 * (planThree): head dim exactly 64 (a padded one may need the mma.sync kernel: launchSm90), on a
 * device with the Hopper kernels, unless ATTNC_CUDA_CONSUMERS=2. The plan then takes it for
 * strips of 128-key blocks (planForward). At head dim 64 the softmax, not the tensor cores,
 * bounds the kernel; a third consumer gives the schedulers more warps to hide its latency with.
 * On an H200 it ran the ten-pattern suite 1.00-1.34x as fast as two consumers (16k and 32k, GQA;
 * bench/results/cuda-h200-headdim-2026-12-03.md).
 */
template <class Args>
bool threeConsumers(const Args* a) {
  return a->head_dim == 64 && !envIs("ATTNC_CUDA_CONSUMERS", "2") && sm90Available();
}

/** The forward schedule of `a`'s shape: planned on first use (one persistent CTA per SM), then cached with its device copy. */
template <class Pat>
int planForward(const typename Pat::Args* args, DeviceSchedule* out) {
  static ScheduleCache<DeviceSchedule> cache;
  // Past head dim 128 the Hopper kernel has 64-key tiles only (shared memory): plan those.
  typename Pat::Args wide;
  const typename Pat::Args* a = args;
  if (kernelHeadDim(args->head_dim) > 128) { wide = *args; wide.block_kv = 64; a = &wide; }
  int dev = 0, sms = 0;
  if (cudaGetDevice(&dev) != cudaSuccess || cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev) != cudaSuccess || sms < 1) return ATTNC_ERR_CUDA;
  if (const char* cap = std::getenv("ATTNC_CUDA_CTAS")) { const int n = std::atoi(cap); if (n >= 1 && n < sms) sms = n; }
  const bool balance = !envIs("ATTNC_CUDA_BALANCE", "0");
  const int tiles = boxTiles<Pat>(a);
  const bool three = threeConsumers(a);
  std::string key;
  std::vector<std::vector<int>> host;
  HostInputs inputs;
  int rc = shapeKey<Pat>(a, std::to_string(dev) + ":" + std::to_string(sms) + (balance ? ":lpt" : ":plain") + ":tiles" + std::to_string(tiles) + (three ? ":c3" : ":c2"), key, host,
                         inputs);
  if (rc != ATTNC_OK) return rc;
  if (cache.find(key, out)) return ATTNC_OK;
  HostPlan h = planBest<Pat>(a, sms, inputs, balance, tiles);
  // Three consumers where the best plan is strips of 128-key blocks (the kernel is built for those only).
  if (three && h.box_axes == 0 && h.block_kv == 128) {
    typename Pat::Args ab = *a;
    ab.block_kv = 128;
    h = planThree<Pat>(&ab, sms, inputs, balance);
  }
  if (envIs("ATTNC_CUDA_VERBOSE", "1")) {
    // What the planner chose, once per planned shape (stderr).
    std::string shape = h.box_axes ? "" : "strips";
    for (int i = 0; i < h.box_axes; i++) shape += (i ? "x" : "boxes ") + std::to_string(h.geo.q.shape[i]);
    for (int i = 0; i < h.box_axes; i++) shape += (i ? "x" : " / ") + std::to_string(h.geo.kv.shape[i]);
    if (h.consumers == 3) shape += " of 192 rows, three consumers";
    std::fprintf(stderr, "attnc: q_len %d, kv_len %d, heads %d: %s, block_kv %d, %zu FULL and %zu PARTIAL tiles\n", a->q_len, a->kv_len, a->heads, shape.c_str(), h.block_kv,
                 h.fullIdx.size(), h.idx.size());
  }
  DeviceSchedule d;
  d.block_kv = h.block_kv; d.sched_batch = h.sched_batch; d.num_q_blocks = h.num_q_blocks; d.work_items = h.work_items; d.ctas = h.ctas;
  d.consumers = h.consumers; d.box_axes = h.box_axes; d.geo = h.geo;
  rc = d.arrays.upload({&h.groupOf, &h.rowPtr, &h.idx, &h.fullRowPtr, &h.fullIdx, &h.order, &h.ctaPtr, &h.ctaItems});
  if (rc != ATTNC_OK) return rc;
  cache.put(key, d);
  *out = d;
  return ATTNC_OK;
}

/** The backward schedule of `a`'s shape (64 x 64 tiles, rows and columns), planned once per shape and cached. */
template <class Pat>
int planBackwardCached(const typename Pat::Args* a, DeviceBackwardSchedule* out) {
  static ScheduleCache<DeviceBackwardSchedule> cache;
  int dev = 0;
  if (cudaGetDevice(&dev) != cudaSuccess) return ATTNC_ERR_CUDA;
  std::string key;
  std::vector<std::vector<int>> host;
  HostInputs inputs;
  int rc = shapeKey<Pat>(a, std::to_string(dev) + ":bwd", key, host, inputs);
  if (rc != ATTNC_OK) return rc;
  if (cache.find(key, out)) return ATTNC_OK;
  const BackwardPlan h = planBackward<Pat>(a, inputs);
  DeviceBackwardSchedule d;
  d.sched_batch = h.sched_batch; d.num_q_blocks = h.num_q_blocks; d.num_kv_blocks = h.num_kv_blocks;
  rc = d.arrays.upload({&h.groupOf, &h.rowPtr, &h.idx, &h.fullRowPtr, &h.fullIdx, &h.colPtr, &h.qIdx, &h.fullColPtr, &h.fullQIdx, &h.colOrder, &h.rowOrder});
  if (rc != ATTNC_OK) return rc;
  cache.put(key, d);
  *out = d;
  return ATTNC_OK;
}

/**
 * Whether this device runs the sm_90a (Hopper) kernel bodies of this binary: a compute 9.0
 * device and a build with sm_90a code, checked once per device by a one-thread probe.
 * ATTNC_CUDA_PATH=sm80 in the environment selects the mma.sync kernel everywhere.
 */
inline bool sm90Available() {
  if (envIs("ATTNC_CUDA_PATH", "sm80")) return false;
  static std::mutex mu;
  static std::map<int, bool> known;
  int dev = 0;
  if (cudaGetDevice(&dev) != cudaSuccess) return false;
  std::lock_guard<std::mutex> lock(mu);
  auto it = known.find(dev);
  if (it != known.end()) return it->second;
  bool ok = false;
  int major = 0, minor = 0;
  cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev);
  cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, dev);
  if (major == 9 && minor == 0) {
    int* flag = nullptr;
    int value = 0;
    if (cudaMalloc(&flag, sizeof(int)) == cudaSuccess) {
      attnc_sm90_probe<<<1, 1>>>(flag);
      if (cudaMemcpy(&value, flag, sizeof(int), cudaMemcpyDeviceToHost) == cudaSuccess) ok = value == 1;
      cudaFree(flag);
    }
    (void)cudaGetLastError();  // a binary without sm_90 code fails the probe launch: not available
  }
  known[dev] = ok;
  return ok;
}

/** The tensors, sizes and scale of `a` in forward parameters `p`. */
template <class Pat, typename T>
void fillForwardTensors(Params<Pat, T>& p, const typename Pat::Args* a) {
  p.q = (const T*)a->q; p.k = (const T*)a->k; p.v = (const T*)a->v; p.o = (T*)a->o; p.lse = a->lse;
  p.q_stride_b = a->q_stride[0]; p.q_stride_h = a->q_stride[1]; p.q_stride_s = a->q_stride[2];
  p.k_stride_b = a->k_stride[0]; p.k_stride_h = a->k_stride[1]; p.k_stride_s = a->k_stride[2];
  p.v_stride_b = a->v_stride[0]; p.v_stride_h = a->v_stride[1]; p.v_stride_s = a->v_stride[2];
  p.o_stride_b = a->o_stride[0]; p.o_stride_h = a->o_stride[1]; p.o_stride_s = a->o_stride[2];
  p.batch = a->batch; p.heads = a->heads; p.kv_heads = a->kv_heads; p.q_len = a->q_len; p.kv_len = a->kv_len;
  p.head_dim = a->head_dim;
  p.scale = a->scale; p.scale_log2 = a->scale * LOG2E;
}

template <class Pat, typename T>
Params<Pat, T> forwardParams(const typename Pat::Args* a, const DeviceSchedule& s) {
  Params<Pat, T> p{};
  static_cast<typename Pat::Values&>(p) = Pat::values(a);
  fillForwardTensors(p, a);
  p.num_q_blocks = s.num_q_blocks; p.block_kv = s.block_kv; p.sched_batch = s.sched_batch; p.consumers = s.consumers;
  const DeviceArrays& d = s.arrays;
  p.group_of = d.at(0); p.kv_row_ptr = d.at(1); p.kv_indices = d.at(2); p.full_kv_row_ptr = d.at(3); p.full_kv_indices = d.at(4);
  p.work_order = d.at(5); p.cta_ptr = d.at(6); p.cta_items = d.at(7);
  p.box_axes = s.box_axes;
  for (int i = 0; i < s.box_axes; i++) {
    const auto lg = [](long long x) { int l = 0; while ((1LL << l) < x) l++; return l; };
    p.box_stride[i] = (int)s.geo.strides[i];
    p.box_q_log[i] = lg(s.geo.q.shape[i]); p.box_q_ext[i] = (int)s.geo.q.extent[i]; p.box_q_grid[i] = (int)s.geo.q.grid[i];
    p.box_kv_log[i] = lg(s.geo.kv.shape[i]); p.box_kv_ext[i] = (int)s.geo.kv.extent[i]; p.box_kv_grid[i] = (int)s.geo.kv.grid[i];
  }
  return p;
}

/**
 * Lets `kernel` use `smem` bytes of dynamic shared memory on the current device: set once per
 * device (the attribute is per device), remembered as one bit per device in `configured`.
 */
inline bool allowSharedMemory(const void* kernel, size_t smem, std::atomic<uint64_t>& configured) {
  int dev = 0;
  if (cudaGetDevice(&dev) != cudaSuccess) return false;
  const uint64_t bit = 1ull << (dev % 64);
  if (dev < 64 && (configured.load() & bit)) return true;
  if (cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem) != cudaSuccess) return false;
  configured.fetch_or(bit);
  return true;
}

/** The driver's tensor-map encoder, looked up once through the runtime (no link against libcuda). */
inline PFN_cuTensorMapEncodeTiled_v12000 tensorMapEncoder() {
  static std::once_flag once;
  static PFN_cuTensorMapEncodeTiled_v12000 fn = nullptr;
  std::call_once(once, [] {
    void* f = nullptr;
    cudaDriverEntryPointQueryResult q;
    if (cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &f, 12000, cudaEnableDefault, &q) == cudaSuccess && q == cudaDriverEntryPointSuccess)
      fn = reinterpret_cast<PFN_cuTensorMapEncodeTiled_v12000>(f);
    (void)cudaGetLastError();
  });
  return fn;
}

/**
 * A TMA map of one [batch, heads, seq, head_dim] operand: boxes of 64 columns x `rows` rows,
 * 128-byte swizzle, rows past `seq` read as zeros. False where TMA cannot describe the tensor
 * (addresses or strides not multiples of 16 bytes, ...): the kernel then copies with cp.async.
 */
template <typename T>
bool encodeMap(CUtensorMap* m, const void* ptr, const int64_t* stride, int batch, int heads, int seq, int d, int rows) {
  const PFN_cuTensorMapEncodeTiled_v12000 encode = tensorMapEncoder();
  if (!encode || reinterpret_cast<uintptr_t>(ptr) % 16 != 0) return false;
  const int64_t sz = (int64_t)sizeof(T);
  for (int i = 0; i < 3; i++) if (stride[i] <= 0 || (stride[i] * sz) % 16 != 0 || stride[i] * sz >= (1LL << 40)) return false;
  const cuuint64_t dims[4] = {(cuuint64_t)d, (cuuint64_t)seq, (cuuint64_t)heads, (cuuint64_t)batch};
  const cuuint64_t strides[3] = {(cuuint64_t)(stride[2] * sz), (cuuint64_t)(stride[1] * sz), (cuuint64_t)(stride[0] * sz)};
  const cuuint32_t box[4] = {64, (cuuint32_t)rows, 1, 1};
  const cuuint32_t elementStrides[4] = {1, 1, 1, 1};
  const CUtensorMapDataType type = std::is_same<T, __nv_bfloat16>::value ? CU_TENSOR_MAP_DATA_TYPE_BFLOAT16 : CU_TENSOR_MAP_DATA_TYPE_FLOAT16;
  return encode(m, type, 4, const_cast<void*>(ptr), dims, strides, box, elementStrides, CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_128B,
                CU_TENSOR_MAP_L2_PROMOTION_L2_128B, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE) == CUDA_SUCCESS;
}

/**
 * Hopper: one kv step per schedule tile (BN = block_kv); a persistent grid of one CTA per SM.
 * BOX: box tiles (box_tiles.cuh), one TMA box per run of a box's rows; planForward plans them
 * only where the maps encode (boxTiles), so a failure here is a bug. NC: consumer warpgroups
 * (3: a schedule of planThree, query blocks of 192 rows).
 */
template <class Pat, typename T, int D, int BN, bool BOX, int NC = 2>
int launchSm90(const typename Pat::Args* a, const Params<Pat, T>& p, int ctas, int workItems, cudaStream_t stream) {
  // TMA copies where the strides allow (ATTNC_CUDA_TMA=0: always cp.async; box tiles are not planned then).
  Sm90Maps maps;
  std::memset(&maps, 0, sizeof maps);
  // The maps span the tensors' own head dim: columns past it (up to the kernel's D) arrive as zeros.
  const int hd = a->head_dim;
  const int rowsQ = BOX ? 1 << p.box_q_log[p.box_axes - 1] : 64 * NC, rowsKv = BOX ? 1 << p.box_kv_log[p.box_axes - 1] : BN;
  maps.enabled = (BOX || !envIs("ATTNC_CUDA_TMA", "0")) && encodeMap<T>(&maps.q, a->q, a->q_stride, a->batch, a->heads, a->q_len, hd, rowsQ) &&
                 encodeMap<T>(&maps.k, a->k, a->k_stride, a->batch, a->kv_heads, a->kv_len, hd, rowsKv) && encodeMap<T>(&maps.v, a->v, a->v_stride, a->batch, a->kv_heads, a->kv_len, hd, rowsKv);
  if (BOX && !maps.enabled) return ATTNC_ERR_INTERNAL;
  // The cp.async producer does not zero padding columns (a check there costs the 24-register
  // producer of the widest tiles more spills): a padded head dim without TMA runs the mma.sync kernel.
  if (!maps.enabled && hd != D) return ATTNC_FALLBACK;
  const size_t smem = 1024 + (size_t)(64 * NC + 4 * BN) * D * sizeof(T) + SM90_BARRIER_BYTES + (BOX ? SM90_BOX_TABLE_BYTES : 0);
  static std::atomic<uint64_t> configured{0};
  if (!allowSharedMemory((const void*)attnc_forward_sm90_kernel<Pat, T, D, BN, BOX, NC>, smem, configured)) return ATTNC_ERR_CUDA;
  if (workItems == 0) return ATTNC_OK;
  attnc_forward_sm90_kernel<Pat, T, D, BN, BOX, NC><<<ctas, sm90Threads<NC>(), smem, stream>>>(p, maps);
  return cudaGetLastError() == cudaSuccess ? ATTNC_OK : ATTNC_ERR_CUDA;
}

/** launchSm90 with BN keys per tile, in strips or, where `p` is planned so (boxTiles), box tiles. */
template <class Pat, typename T, int D, int BN>
int launchSm90Tiles(const typename Pat::Args* a, const Params<Pat, T>& p, int ctas, int workItems, cudaStream_t stream) {
  if constexpr (Pat::LAYOUT_AXES >= 2 && !Pat::HAS_SCORE_MOD) {
    if (p.box_axes) return launchSm90<Pat, T, D, BN, true>(a, p, ctas, workItems, stream);
  }
  if (p.box_axes) return ATTNC_ERR_INTERNAL;
  return launchSm90<Pat, T, D, BN, false>(a, p, ctas, workItems, stream);
}

/**
 * The forward kernel on parameters `p` (schedule included): the Hopper kernel where it runs,
 * with `ctas` persistent CTAs, else the mma.sync kernel, one CTA per work item. THREE false:
 * `p` never holds a three-consumer schedule (those kernels are not built).
 */
template <class Pat, typename T, int D, bool THREE = true>
int launchForward(const typename Pat::Args* a, const Params<Pat, T>& p, int ctas, int workItems, cudaStream_t stream) {
  if constexpr (D == 64 && THREE) {
    // A three-consumer schedule (planThree: head dim exactly 64, so never the fallback) runs only here.
    if (p.consumers == 3) {
      if (p.block_kv != 128 || p.box_axes) return ATTNC_ERR_INTERNAL;
      const int rc = launchSm90<Pat, T, D, 128, false, 3>(a, p, ctas, workItems, stream);
      return rc == ATTNC_FALLBACK ? ATTNC_ERR_INTERNAL : rc;
    }
  }
  if (p.consumers == 3) return ATTNC_ERR_INTERNAL;
  if (sm90Available()) {
    int rc;
    if constexpr (D == 256) rc = launchSm90Tiles<Pat, T, D, 64>(a, p, ctas, workItems, stream);  // planned with 64 keys only (planForward)
    else rc = p.block_kv == 128 ? launchSm90Tiles<Pat, T, D, 128>(a, p, ctas, workItems, stream) : launchSm90Tiles<Pat, T, D, 64>(a, p, ctas, workItems, stream);
    if (rc != ATTNC_FALLBACK) return rc;
  }
  if (p.box_axes) return ATTNC_ERR_INTERNAL;  // box tiles are planned for the Hopper kernel only
  const size_t smem = (size_t)(BLOCK_M + 4 * BLOCK_N) * D * sizeof(T);
  static std::atomic<uint64_t> configured{0};
  if (!allowSharedMemory((const void*)attnc_forward_kernel<Pat, T, D>, smem, configured)) return ATTNC_ERR_CUDA;
  if (workItems == 0) return ATTNC_OK;
  attnc_forward_kernel<Pat, T, D><<<workItems, Fwd80<D>::THREADS, smem, stream>>>(p);
  return cudaGetLastError() == cudaSuccess ? ATTNC_OK : ATTNC_ERR_CUDA;
}

template <typename T> struct TypeTag { using type = T; };

/**
 * Calls `f(TypeTag<T>{}, std::integral_constant<int, D>{})` with the element type of `a`'s
 * dtype and the kernel head dim of its head_dim (kernelHeadDim: 64, 128 or 256).
 */
template <class Args, class F>
int forHeadDim(const Args* a, F&& f) {
  const bool bf = a->dtype == ATTNC_BF16;
  switch (kernelHeadDim(a->head_dim)) {
    case 64: return bf ? f(TypeTag<__nv_bfloat16>{}, std::integral_constant<int, 64>{}) : f(TypeTag<__half>{}, std::integral_constant<int, 64>{});
    case 128: return bf ? f(TypeTag<__nv_bfloat16>{}, std::integral_constant<int, 128>{}) : f(TypeTag<__half>{}, std::integral_constant<int, 128>{});
    default: return bf ? f(TypeTag<__nv_bfloat16>{}, std::integral_constant<int, 256>{}) : f(TypeTag<__half>{}, std::integral_constant<int, 256>{});
  }
}

/** The argument checks that forward and backward share; ATTNC_OK when `a` describes a call the kernels can run. */
template <class Pat>
int checkCommon(const typename Pat::Args* a) {
  if (!a || !a->q || !a->k || !a->v || !a->o) return ATTNC_ERR_ARGS;
  if (a->batch < 1 || a->heads < 1 || a->kv_heads < 1 || a->heads % a->kv_heads != 0 || a->q_len < 1 || a->kv_len < 1) return ATTNC_ERR_ARGS;
  if (!(a->scale > 0.f)) return ATTNC_ERR_ARGS;
  if (check<Pat>(a)) return ATTNC_ERR_ASSERT;
  if (kernelHeadDim(a->head_dim) == 0) return ATTNC_ERR_UNSUPPORTED;
  if (a->block_kv != 0 && a->block_kv != 64 && a->block_kv != 128) return ATTNC_ERR_UNSUPPORTED;
  if (a->block_kv == 128 && kernelHeadDim(a->head_dim) > 128) return ATTNC_ERR_UNSUPPORTED;  // 64-key tiles only past head dim 128
  if (a->dtype != ATTNC_BF16 && a->dtype != ATTNC_FP16) return ATTNC_ERR_UNSUPPORTED;
  if (a->q_stride[3] != 1 || a->k_stride[3] != 1 || a->v_stride[3] != 1 || a->o_stride[3] != 1) return ATTNC_ERR_UNSUPPORTED;
  for (int i = 0; i < Pat::NUM_INPUTS; i++) if (!Pat::inputPtr(a, i)) return ATTNC_ERR_ARGS;
  return ATTNC_OK;
}

/** The forward entry point: O and the log-sum-exp of `a`. */
template <class Pat>
int forward(const typename Pat::Args* a, cudaStream_t stream) {
  int rc = checkCommon<Pat>(a);
  if (rc != ATTNC_OK) return rc;
  DeviceSchedule s;
  rc = planForward<Pat>(a, &s);
  if (rc != ATTNC_OK) return rc;
  return forHeadDim(a, [&](auto t, auto d) {
    using T = typename decltype(t)::type;
    constexpr int D = decltype(d)::value;
    return launchForward<Pat, T, D>(a, forwardParams<Pat, T>(a, s), s.ctas, s.work_items, stream);
  });
}

/** The tensors, sizes and scale of `a` in backward parameters `p` (delta: the workspace's start). */
template <class Pat, typename T>
void fillBackwardTensors(BwdParams<Pat, T>& p, const typename Pat::Args* a) {
  static_cast<typename Pat::Values&>(p) = Pat::values(a);
  p.q = (const T*)a->q; p.k = (const T*)a->k; p.v = (const T*)a->v; p.o = (const T*)a->o; p.dout = (const T*)a->dout;
  p.dq = (T*)a->dq; p.dk = (T*)a->dk; p.dv = (T*)a->dv;
  p.lse = a->lse; p.delta = a->workspace;
  auto strides = [](const int64_t* s, int64_t& b, int64_t& h, int64_t& r) { b = s[0]; h = s[1]; r = s[2]; };
  strides(a->q_stride, p.q_stride_b, p.q_stride_h, p.q_stride_s);
  strides(a->k_stride, p.k_stride_b, p.k_stride_h, p.k_stride_s);
  strides(a->v_stride, p.v_stride_b, p.v_stride_h, p.v_stride_s);
  strides(a->o_stride, p.o_stride_b, p.o_stride_h, p.o_stride_s);
  strides(a->do_stride, p.do_stride_b, p.do_stride_h, p.do_stride_s);
  strides(a->dq_stride, p.dq_stride_b, p.dq_stride_h, p.dq_stride_s);
  strides(a->dk_stride, p.dk_stride_b, p.dk_stride_h, p.dk_stride_s);
  strides(a->dv_stride, p.dv_stride_b, p.dv_stride_h, p.dv_stride_s);
  p.batch = a->batch; p.heads = a->heads; p.kv_heads = a->kv_heads; p.q_len = a->q_len; p.kv_len = a->kv_len;
  p.head_dim = a->head_dim;
  p.scale = a->scale; p.scale_log2 = a->scale * LOG2E;
}

/**
 * The backward kernels on parameters `p` (schedule included). Hopper: a dK/dV kernel and a dQ
 * kernel that recomputes S and dP (deterministic), or where `atomic` (atomicBackward) dQ
 * accumulated with atomics in the dK/dV kernel. Elsewhere the mma.sync kernels, also deterministic.
 */
template <class Pat, typename T, int D>
int runBackward(const typename Pat::Args* a, BwdParams<Pat, T>& p, bool atomic, cudaStream_t stream) {
  if (sm90Available() && !envIs("ATTNC_CUDA_BWD", "sm80")) {
    if constexpr (D <= 128) {  // atomicBackward is false past head dim 128
      if (atomic) {
        const size_t rows = (size_t)a->batch * a->heads * a->q_len;
        p.dq_accum = a->workspace + (rows + 3) / 4 * 4;  // after delta, 16-byte aligned (backwardWorkspace)
        return launchBackwardSm90Atomic<Pat, T, D>(p, stream);
      }
    }
    return launchBackwardSm90<Pat, T, D>(p, stream);
  }
  return launchBackwardSm80<Pat, T, D>(p, stream);
}

template <class Pat, typename T, int D>
int launchBackward(const typename Pat::Args* a, const DeviceBackwardSchedule& s, cudaStream_t stream) {
  BwdParams<Pat, T> p{};
  fillBackwardTensors(p, a);
  p.num_q_blocks = s.num_q_blocks; p.num_kv_blocks = s.num_kv_blocks; p.sched_batch = s.sched_batch;
  const DeviceArrays& d = s.arrays;
  p.group_of = d.at(0); p.kv_row_ptr = d.at(1); p.kv_indices = d.at(2); p.full_kv_row_ptr = d.at(3); p.full_kv_indices = d.at(4);
  p.q_col_ptr = d.at(5); p.q_indices = d.at(6); p.full_q_col_ptr = d.at(7); p.full_q_indices = d.at(8);
  p.col_order = d.at(9); p.row_order = d.at(10);
  return runBackward<Pat, T, D>(a, p, atomicBackward(a), stream);
}

/**
 * The backward entry point: dQ, dK, dV of `a` from the forward's O and log-sum-exp (`o`, `lse`)
 * and dO (`dout`); `workspace` holds backwardWorkspace(a) bytes. `deterministic`: no atomics.
 */
template <class Pat>
int backward(const typename Pat::Args* a, cudaStream_t stream) {
  int rc = checkCommon<Pat>(a);
  if (rc != ATTNC_OK) return rc;
  if (!a->lse || !a->dout || !a->dq || !a->dk || !a->dv || !a->workspace) return ATTNC_ERR_ARGS;
  if (a->do_stride[3] != 1 || a->dq_stride[3] != 1 || a->dk_stride[3] != 1 || a->dv_stride[3] != 1) return ATTNC_ERR_UNSUPPORTED;
  DeviceBackwardSchedule s;
  rc = planBackwardCached<Pat>(a, &s);
  if (rc != ATTNC_OK) return rc;
  return forHeadDim(a, [&](auto t, auto d) {
    using T = typename decltype(t)::type;
    constexpr int D = decltype(d)::value;
    return launchBackward<Pat, T, D>(a, s, stream);
  });
}

}  // namespace attnc
