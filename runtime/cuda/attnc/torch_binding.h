// attnc CUDA runtime: the PyTorch extension of one pattern (pybind11, built by the Python
// runtime with torch.utils.cpp_extension). A generated <pattern>_torch.cpp defines a `Binding`
// (the pattern's C argument struct, its runtime values and input arrays, its entry points) and
// expands ATTNC_TORCH_MODULE(Binding). The module exports
//   forward(q, k, v, scale, block_kv, params, inputs) -> [out, lse]
//   backward(dout, q, k, v, out, lse, scale, deterministic, params, inputs) -> [dq, dk, dv]
// params: the runtime values in declaration order; inputs: the int32 input arrays, likewise,
// then a select clause's score input (float32 [batch, heads, q_blocks, kv_blocks]) if it has one.
// Bad arguments raise (TORCH_CHECK) with a message naming them; nothing aborts.
#pragma once
#include <torch/extension.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <string>
#include <vector>

namespace attnc {
namespace torch_binding {

inline void fillStrides(int64_t* dst, const at::Tensor& t) { for (int i = 0; i < 4; i++) dst[i] = t.stride(i); }
inline at::Tensor lastDimContiguous(const at::Tensor& t) { return t.stride(3) == 1 ? t : t.contiguous(); }

inline const char* codeText(int rc) {
  switch (rc) {
    case 1: return "bad arguments";
    case 2: return "unsupported head_dim, dtype, block size or layout";
    case 3: return "CUDA error";
    case 4: return "a pattern assert failed";
    case 5: return "internal error (a bug in attnc; please report it)";
  }
  return "unknown error";
}

/** Fills the arguments shared by forward and backward; checks devices, dtypes, shapes, values and inputs. */
template <class B>
typename B::Args common(const char* what, at::Tensor& q, at::Tensor& k, at::Tensor& v, double scale, int64_t block_kv, const std::vector<double>& params,
                        std::vector<at::Tensor>& inputs) {
  TORCH_CHECK(q.is_cuda() && k.is_cuda() && v.is_cuda(), "attnc ", B::NAME, " ", what, ": q, k, v must be CUDA tensors");
  TORCH_CHECK(q.dim() == 4 && k.dim() == 4 && v.dim() == 4, "attnc ", B::NAME, " ", what, ": q, k, v must be [batch, heads, seq, head_dim]");
  TORCH_CHECK(q.scalar_type() == k.scalar_type() && q.scalar_type() == v.scalar_type(), "attnc ", B::NAME, " ", what, ": q, k, v must share a dtype");
  TORCH_CHECK(q.scalar_type() == at::kBFloat16 || q.scalar_type() == at::kHalf, "attnc ", B::NAME, " ", what, ": dtype must be bfloat16 or float16");
  TORCH_CHECK(q.size(3) == k.size(3) && k.sizes() == v.sizes() && q.size(0) == k.size(0), "attnc ", B::NAME, " ", what, ": shape mismatch between q, k, v");
  TORCH_CHECK(k.size(1) > 0 && q.size(1) % k.size(1) == 0, "attnc ", B::NAME, " ", what, ": k's heads must divide q's heads");
  TORCH_CHECK((int)params.size() == B::NUM_PARAMS, "attnc ", B::NAME, " ", what, ": expected ", B::NUM_PARAMS, " runtime values, got ", params.size());
  TORCH_CHECK((int)inputs.size() == B::NUM_INPUTS + B::NUM_SCORE_INPUTS, "attnc ", B::NAME, " ", what, ": expected ", B::NUM_INPUTS, " input arrays",
              B::NUM_SCORE_INPUTS ? " and the score input" : "", ", got ", inputs.size(), " tensors");
  q = lastDimContiguous(q); k = lastDimContiguous(k); v = lastDimContiguous(v);
  typename B::Args a{};
  a.dtype = q.scalar_type() == at::kBFloat16 ? ATTNC_BF16 : ATTNC_FP16;
  a.q = q.data_ptr(); a.k = k.data_ptr(); a.v = v.data_ptr();
  fillStrides(a.q_stride, q); fillStrides(a.k_stride, k); fillStrides(a.v_stride, v);
  a.batch = (int)q.size(0); a.heads = (int)q.size(1); a.kv_heads = (int)k.size(1);
  a.q_len = (int)q.size(2); a.kv_len = (int)k.size(2); a.head_dim = (int)q.size(3); a.block_kv = (int)block_kv;
  a.scale = (float)scale;
  for (int i = 0; i < B::NUM_INPUTS; i++) {
    at::Tensor& t = inputs[(size_t)i];
    const int64_t need = B::inputLength(a, i);
    TORCH_CHECK(t.is_cuda() && t.device() == q.device() && t.scalar_type() == at::kInt && t.dim() == 1 && t.is_contiguous() && t.numel() >= need, "attnc ", B::NAME,
                " ", what, ": input array `", B::inputName(i), "` must be a contiguous 1-D int32 tensor of at least ", need, " entries on q's device");
  }
  if (B::NUM_SCORE_INPUTS) {
    const at::Tensor& t = inputs[(size_t)B::NUM_INPUTS];
    TORCH_CHECK(t.is_cuda() && t.device() == q.device() && t.scalar_type() == at::kFloat && t.dim() == 4 && t.is_contiguous(), "attnc ", B::NAME, " ", what,
                ": score input `", B::scoreInputName(), "` must be a contiguous float32 tensor [batch, heads, q_blocks, kv_blocks] on q's device");
  }
  B::setValues(a, params, inputs);
  if (B::NUM_SCORE_INPUTS) {
    // The selection blocks depend on the runtime values: checked once they are set.
    const at::Tensor& t = inputs[(size_t)B::NUM_INPUTS];
    const std::vector<int64_t> cells = B::selectShape(&a);
    TORCH_CHECK(t.size(0) == a.batch && t.size(1) == a.heads && t.size(2) == cells[1] && t.size(3) == cells[2], "attnc ", B::NAME, " ", what, ": score input `",
                B::scoreInputName(), "` has shape ", t.sizes(), " but the call's selection needs [", a.batch, ", ", a.heads, ", ", cells[1], ", ", cells[2], "]");
  }
  const char* failed = B::check(&a);
  TORCH_CHECK(!failed, "attnc ", B::NAME, ": ", failed);
  return a;
}

template <class B>
std::vector<at::Tensor> forward(at::Tensor q, at::Tensor k, at::Tensor v, double scale, int64_t block_kv, std::vector<double> params, std::vector<at::Tensor> inputs) {
  typename B::Args a = common<B>("forward", q, k, v, scale, block_kv, params, inputs);
  const c10::cuda::CUDAGuard guard(q.device());
  auto o = at::empty_like(q, q.options().memory_format(at::MemoryFormat::Contiguous));
  auto lse = at::empty({q.size(0), q.size(1), q.size(2)}, q.options().dtype(at::kFloat));
  a.o = o.data_ptr(); a.lse = lse.data_ptr<float>();
  fillStrides(a.o_stride, o);
  at::Tensor workspace;
  if (B::DYNAMIC) {
    // The selection's scratch and the call's schedule (256-byte aligned, from the caching allocator).
    const size_t bytes = B::forwardWorkspace(&a);
    TORCH_CHECK(bytes > 0, "attnc ", B::NAME, " forward failed: ", codeText(B::forward(&a, c10::cuda::getCurrentCUDAStream())));
    workspace = at::empty({(int64_t)bytes}, q.options().dtype(at::kByte));
    a.workspace = reinterpret_cast<float*>(workspace.data_ptr());
  }
  const int rc = B::forward(&a, c10::cuda::getCurrentCUDAStream());
  TORCH_CHECK(rc == ATTNC_OK, "attnc ", B::NAME, " forward failed: ", codeText(rc));
  return {o, lse};
}

/** A dynamic pattern's selected cells for q and k: uint8 [batch * heads, q_blocks, kv_blocks] (1 selected). */
template <class B>
at::Tensor select(at::Tensor q, at::Tensor k, at::Tensor v, double scale, int64_t block_kv, std::vector<double> params, std::vector<at::Tensor> inputs) {
  TORCH_CHECK(B::DYNAMIC, "attnc ", B::NAME, " select: the pattern has no `select` clause");
  typename B::Args a = common<B>("select", q, k, v, scale, block_kv, params, inputs);
  const c10::cuda::CUDAGuard guard(q.device());
  const std::vector<int64_t> shape = B::selectShape(&a);
  auto cells = at::zeros(shape, q.options().dtype(at::kByte));
  const size_t bytes = B::forwardWorkspace(&a);
  TORCH_CHECK(bytes > 0, "attnc ", B::NAME, " select failed: ", codeText(B::select(&a, cells.data_ptr(), c10::cuda::getCurrentCUDAStream())));
  auto workspace = at::empty({(int64_t)bytes}, q.options().dtype(at::kByte));
  a.workspace = reinterpret_cast<float*>(workspace.data_ptr());
  const int rc = B::select(&a, cells.data_ptr(), c10::cuda::getCurrentCUDAStream());
  TORCH_CHECK(rc == ATTNC_OK, "attnc ", B::NAME, " select failed: ", codeText(rc));
  return cells;
}

template <class B>
std::vector<at::Tensor> backward(at::Tensor dout, at::Tensor q, at::Tensor k, at::Tensor v, at::Tensor out, at::Tensor lse, double scale, bool deterministic,
                                 std::vector<double> params, std::vector<at::Tensor> inputs) {
  typename B::Args a = common<B>("backward", q, k, v, scale, 0, params, inputs);
  TORCH_CHECK(out.sizes() == q.sizes() && dout.sizes() == q.sizes() && out.scalar_type() == q.scalar_type() && dout.scalar_type() == q.scalar_type() && out.is_cuda() &&
                  dout.is_cuda(), "attnc ", B::NAME, " backward: out and dout must match q in shape, dtype and device");
  TORCH_CHECK(lse.is_cuda() && lse.scalar_type() == at::kFloat && lse.dim() == 3 && lse.size(0) == q.size(0) && lse.size(1) == q.size(1) && lse.size(2) == q.size(2),
              "attnc ", B::NAME, " backward: lse must be float32 [batch, heads, q_len] on q's device");
  const c10::cuda::CUDAGuard guard(q.device());
  out = lastDimContiguous(out); dout = lastDimContiguous(dout); lse = lse.contiguous();
  auto dq = at::empty_like(q, q.options().memory_format(at::MemoryFormat::Contiguous));
  auto dk = at::empty_like(k, k.options().memory_format(at::MemoryFormat::Contiguous));
  auto dv = at::empty_like(v, v.options().memory_format(at::MemoryFormat::Contiguous));
  a.deterministic = deterministic ? 1 : 0;
  a.o = out.data_ptr(); a.lse = lse.data_ptr<float>(); a.dout = dout.data_ptr();
  a.dq = dq.data_ptr(); a.dk = dk.data_ptr(); a.dv = dv.data_ptr();
  fillStrides(a.o_stride, out); fillStrides(a.do_stride, dout); fillStrides(a.dq_stride, dq); fillStrides(a.dk_stride, dk); fillStrides(a.dv_stride, dv);
  // The workspace's size depends on the arguments (a dynamic pattern's on all of them): asked for last.
  const size_t bytes = B::workspace(&a);
  TORCH_CHECK(bytes > 0 || !B::DYNAMIC, "attnc ", B::NAME, " backward failed: ", codeText(B::backward(&a, c10::cuda::getCurrentCUDAStream())));
  auto workspace = at::empty({(int64_t)((bytes + sizeof(float) - 1) / sizeof(float))}, q.options().dtype(at::kFloat));
  a.workspace = workspace.data_ptr<float>();
  const int rc = B::backward(&a, c10::cuda::getCurrentCUDAStream());
  TORCH_CHECK(rc == ATTNC_OK, "attnc ", B::NAME, " backward failed: ", codeText(rc));
  return {dq, dk, dv};
}

}  // namespace torch_binding
}  // namespace attnc

/** The pybind11 module of binding B. */
#define ATTNC_TORCH_MODULE(B)                                                                                  \
  PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {                                                                    \
    m.def("forward", &attnc::torch_binding::forward<B>, "attnc forward: returns [out, lse]");                 \
    m.def("backward", &attnc::torch_binding::backward<B>, "attnc backward: returns [dq, dk, dv]");            \
    m.def("select", &attnc::torch_binding::select<B>, "attnc: a dynamic pattern's selected cells");          \
  }
