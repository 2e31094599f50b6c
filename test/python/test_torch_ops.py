"""The runtime's ops against a dense reference: values, gradients, GQA, opcheck, torch.compile."""
import pytest
import torch
from functorch.compile import make_boxed_func
from torch._dynamo.backends.common import aot_autograd

from reference import INPUTS, PARAMS, ReferenceExtension, define_toy, dense_attention

torch.manual_seed(0)
B, H, HKV, S, D = 2, 4, 2, 24, 64
DTYPE = torch.float16
attention = define_toy("toy_ops")


def make(heads=H, kv_heads=HKV, q_len=S, kv_len=S, requires_grad=True):
    q = torch.randn(B, heads, q_len, D, dtype=DTYPE, requires_grad=requires_grad)
    k = torch.randn(B, kv_heads, kv_len, D, dtype=DTYPE, requires_grad=requires_grad)
    v = torch.randn(B, kv_heads, kv_len, D, dtype=DTYPE, requires_grad=requires_grad)
    return q, k, v


def arrays(q_len=S, kv_len=S, dead=(0, 7)):
    doc = torch.tensor([i // 10 for i in range(kv_len)])
    live = torch.ones(q_len, dtype=torch.int64)
    live[list(dead)] = 0
    return {"doc": doc, "live": live}


VALUES = {"window": 8, "strict": True, "slope": 0.05}


def reference(q, k, v, values, arr, scale):
    leaves = [x.detach().double().requires_grad_() for x in (q, k, v)]
    params = [float(values[n]) for n, _ in PARAMS]
    out = dense_attention(*leaves, scale, params, [arr[n] for n, _ in INPUTS])
    return out, leaves


@pytest.mark.parametrize("heads,kv_heads", [(4, 4), (4, 2), (4, 1)])
def test_forward_and_gradients_match_dense_reference(heads, kv_heads):
    q, k, v = make(heads, kv_heads)
    arr = arrays()
    out, lse = attention(q, k, v, return_lse=True, **VALUES, **arr)
    ref, leaves = reference(q, k, v, VALUES, arr, D**-0.5)
    assert out.shape == q.shape and out.dtype == DTYPE
    assert lse.shape == (B, heads, S) and lse.dtype == torch.float32
    torch.testing.assert_close(out.double(), ref, atol=2e-3, rtol=2e-3)
    dout = torch.randn_like(out)
    out.backward(dout)
    ref.backward(dout.double())
    for x, r, name in zip((q, k, v), leaves, "qkv"):
        assert x.grad.shape == x.shape, name
        torch.testing.assert_close(x.grad.double(), r.grad, atol=1e-2, rtol=1e-2, msg=f"d{name}")


def test_fully_masked_rows_are_zero_without_nan():
    q, k, v = make()
    arr = arrays(dead=(0, 5, 11))
    out, lse = attention(q, k, v, return_lse=True, **VALUES, **arr)
    out.sum().backward()
    # Row 0 is dead twice over: live[0] == 0 and strict causality leaves it no key.
    for row in (0, 5, 11):
        assert torch.all(out[:, :, row] == 0)
        assert torch.all(lse[:, :, row] == float("-inf"))
        assert torch.all(q.grad[:, :, row] == 0)
    for x in (out, q.grad, k.grad, v.grad):
        assert not torch.isnan(x).any()
    assert torch.isfinite(lse[:, :, 1]).all()


def test_gqa_sums_kv_gradients_over_the_group():
    q, k, v = make(4, 2)
    arr = arrays()
    attention(q, k, v, **VALUES, **arr).sum().backward()
    # Same computation with k and v repeated per head: their gradients summed per group must agree.
    k4 = k.detach().repeat_interleave(2, dim=1).requires_grad_()
    v4 = v.detach().repeat_interleave(2, dim=1).requires_grad_()
    attention(q.detach(), k4, v4, **VALUES, **arr).sum().backward()
    torch.testing.assert_close(k.grad.float(), k4.grad.float().view(B, 2, 2, S, D).sum(2), atol=1e-2, rtol=1e-2)
    torch.testing.assert_close(v.grad.float(), v4.grad.float().view(B, 2, 2, S, D).sum(2), atol=1e-2, rtol=1e-2)


def test_scale_block_kv_and_cross_lengths():
    q, k, v = make(q_len=16, kv_len=32)
    arr = arrays(q_len=16, kv_len=32, dead=())
    out = attention(q, k, v, scale=0.3, block_kv=128, **VALUES, **arr)
    ref, _ = reference(q, k, v, VALUES, arr, 0.3)
    torch.testing.assert_close(out.double(), ref, atol=2e-3, rtol=2e-3)


def test_input_arrays_reach_the_extension_as_int32():
    ext = ReferenceExtension()
    seen = {}
    forward = ext.forward

    def spy(q, k, v, scale, block_kv, params, inputs):
        seen.update(scale=scale, block_kv=block_kv, params=params, inputs=inputs)
        return forward(q, k, v, scale, block_kv, params, inputs)

    ext.forward = spy
    fn = define_toy("toy_spy", ext)
    q, k, v = make(requires_grad=False)
    arr = arrays()
    fn(q, k, v, block_kv=64, window=3, strict=False, slope=1, doc=arr["doc"].short(), live=arr["live"])
    assert seen["params"] == [3.0, 0.0, 1.0] and seen["block_kv"] == 64
    assert seen["scale"] == pytest.approx(D**-0.5)
    assert all(a.dtype == torch.int32 and a.is_contiguous() for a in seen["inputs"])


def op_args(requires_grad):
    q, k, v = make(requires_grad=requires_grad)
    arr = arrays()
    inputs = [arr["doc"].int(), arr["live"].int()]
    return q, k, v, D**-0.5, 0, False, [8.0, 1.0, 0.05], inputs


OPCHECK = ("test_schema", "test_autograd_registration", "test_faketensor", "test_aot_dispatch_dynamic")


def test_opcheck_forward_op():
    torch.library.opcheck(torch.ops.attnc.toy_ops_fwd.default, op_args(True), test_utils=OPCHECK)


def test_opcheck_backward_op():
    q, k, v, scale, block_kv, deterministic, params, inputs = op_args(False)
    out, lse = torch.ops.attnc.toy_ops_fwd(q, k, v, scale, block_kv, deterministic, params, inputs)
    args = (torch.randn_like(out), q, k, v, out, lse, scale, deterministic, params, inputs)
    torch.library.opcheck(torch.ops.attnc.toy_ops_bwd.default, args, test_utils=OPCHECK)


class Block(torch.nn.Module):
    """A projection to q, k, v (2 heads each) followed by the toy attention and a loss."""

    def __init__(self):
        super().__init__()
        self.qkv = torch.nn.Linear(D, 3 * 2 * D)

    def forward(self, x, doc, live):
        # [B, S, 3 * heads * D] -> three [B, heads, S, D] views (heads 2, last dim contiguous).
        q, k, v = self.qkv(x).to(DTYPE).view(B, S, 3, 2, D).permute(2, 0, 3, 1, 4).unbind(0)
        return attention(q, k, v, window=8, strict=True, slope=0.05, doc=doc, live=live).float().square().mean()


def recording_backend(graphs):
    """aot_eager that also keeps the code of the forward and backward graphs it compiles."""

    def record(gm, example_inputs):
        graphs.append(gm.code)
        return make_boxed_func(gm.forward)

    return aot_autograd(fw_compiler=record, bw_compiler=record)


def test_torch_compile_fullgraph_forward_and_backward_without_graph_breaks():
    model = Block()
    x = torch.randn(B, S, D)
    arr = arrays()
    torch._dynamo.reset()
    explanation = torch._dynamo.explain(model)(x, arr["doc"], arr["live"])
    assert explanation.graph_break_count == 0, explanation.break_reasons
    assert explanation.graph_count == 1

    graphs = []
    compiled = torch.compile(model, fullgraph=True, backend=recording_backend(graphs))
    loss = compiled(x, arr["doc"], arr["live"])
    loss.backward()
    # One forward and one backward graph, each calling its op as one opaque node.
    assert len(graphs) == 2
    assert "attnc.toy_ops_fwd" in graphs[0] and "attnc.toy_ops_bwd" in graphs[1]
    grad = model.qkv.weight.grad.clone()
    model.zero_grad()
    eager = model(x, arr["doc"], arr["live"])
    eager.backward()
    torch.testing.assert_close(loss, eager)
    torch.testing.assert_close(grad, model.qkv.weight.grad)


def test_torch_compile_with_changing_sizes_and_runtime_values():
    def f(q, k, v, window, doc, live):
        return attention(q, k, v, window=window, strict=False, slope=0.1, doc=doc, live=live)

    torch._dynamo.reset()
    compiled = torch.compile(f, fullgraph=True, backend="aot_eager", dynamic=True)
    for s, window in ((24, 3), (40, 5), (32, 9)):
        q, k, v = make(q_len=s, kv_len=s)
        arr = arrays(s, s)
        out = compiled(q, k, v, window, arr["doc"], arr["live"])
        out.sum().backward()
        torch.testing.assert_close(out, f(q, k, v, window, arr["doc"], arr["live"]))


class DenseExtension:
    """A pattern without runtime values or input arrays: plain softmax attention, closed-form backward."""

    accepts_cpu = True

    def forward(self, q, k, v, scale, block_kv, params, inputs):
        s = (q.double() @ k.double().transpose(-1, -2)) * scale
        return [(torch.softmax(s, -1) @ v.double()).to(q.dtype), torch.logsumexp(s, -1).float()]

    def backward(self, dout, q, k, v, out, lse, scale, deterministic, params, inputs):
        q64, k64, v64, do = q.double(), k.double(), v.double(), dout.double()
        p = torch.softmax((q64 @ k64.transpose(-1, -2)) * scale, -1)
        dp = do @ v64.transpose(-1, -2)
        ds = p * (dp - (dp * p).sum(-1, keepdim=True)) * scale
        return [(ds @ k64).to(q.dtype), (ds.transpose(-1, -2) @ q64).to(q.dtype), (p.transpose(-1, -2) @ do).to(q.dtype)]


def test_torch_compile_fullgraph_of_a_pattern_without_runtime_values_or_input_arrays():
    # The autograd formula returns empty lists for the empty list arguments (a None there
    # failed AOT autograd's structure check).
    from attnc.torch_ops import define_attention

    dense = define_attention("no_values", "/nonexistent", extension=DenseExtension())
    q, k, v = (torch.randn(1, 2, 30, D, dtype=torch.bfloat16, requires_grad=True) for _ in range(3))
    torch._dynamo.reset()
    out = torch.compile(lambda q, k, v: dense(q, k, v) * 2.0, fullgraph=True, backend="aot_eager")(q, k, v)
    grads = torch.autograd.grad(out.sum(), (q, k, v))
    leaves = [x.detach().double().requires_grad_() for x in (q, k, v)]
    ref = torch.softmax(leaves[0] @ leaves[1].transpose(-1, -2) / D**0.5, -1) @ leaves[2]
    ref_grads = torch.autograd.grad((2.0 * ref).sum(), leaves)
    for g, r in zip(grads, ref_grads):
        assert ((g.double() - r).norm() / r.norm()).item() < 2e-2


def test_a_score_input_reaches_the_extension_as_float32_after_the_input_arrays():
    ext = ReferenceExtension()
    seen = {}
    forward = ext.forward

    def spy(q, k, v, scale, block_kv, params, inputs):
        seen.update(inputs=inputs)
        return forward(q, k, v, scale, block_kv, params, inputs[:-1])

    ext.forward = spy
    from attnc.torch_ops import define_attention
    from reference import INPUTS, PARAMS

    fn = define_attention("toy_gate", "/nonexistent", PARAMS, INPUTS, extension=ext, score_input="gate")
    assert "Score input: gate" in fn.__doc__
    q, k, v = make(requires_grad=False)
    arr = arrays()
    gate = torch.randn(B, H, 3, 3, dtype=torch.float64)
    fn(q, k, v, window=3, strict=False, slope=1, **arr, gate=gate)
    *ints, g = seen["inputs"]
    assert [a.dtype for a in ints] == [torch.int32, torch.int32]
    assert g.dtype == torch.float32 and g.is_contiguous() and torch.equal(g, gate.float())
    with pytest.raises(TypeError, match="missing score input `gate`"):
        fn(q, k, v, window=3, strict=False, slope=1, **arr)
    with pytest.raises(ValueError, match="score input `gate` has batch and heads"):
        fn(q, k, v, window=3, strict=False, slope=1, **arr, gate=torch.randn(B, H + 1, 3, 3))
    with pytest.raises(ValueError, match="must be a 4-D float tensor"):
        fn(q, k, v, window=3, strict=False, slope=1, **arr, gate=torch.ones(B, H, 3, 3, dtype=torch.int64))
    with pytest.raises(ValueError, match="already defined in this process"):
        define_attention("toy_gate", "/nonexistent", PARAMS, INPUTS, extension=ext)
