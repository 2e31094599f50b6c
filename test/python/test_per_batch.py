"""Per-batch input arrays through the runtime's ops: `prefix` (int[batch]) and `doc`
(int[batch, kv_len], a 2-D tensor flattened row-major before the extension sees it), against a
dense reference per batch element; a prefix of 0 leaves a sequence with no key (out 0, no NaN);
shapes that do not match the batch are refused by name."""
import pytest
import torch

from attnc import define_attention

B, H, S, D = 3, 2, 20, 64
INPUTS = [("prefix", "batch"), ("doc", "batch,kv_len")]


def toy_mask(prefix, doc, q_len, kv_len):
    """bool [B, 1, q_len, kv_len]: k < prefix[b] && doc[b, q] == doc[b, k] (prefix-only attention within a document)."""
    qi = torch.arange(q_len).view(1, -1, 1)
    ki = torch.arange(kv_len).view(1, 1, -1)
    same = doc[:, :q_len].unsqueeze(-1) == doc[:, None, :kv_len]
    return ((ki < prefix.view(-1, 1, 1)) & same & (qi >= 0)).unsqueeze(1)


class Extension:
    accepts_cpu = True

    def __init__(self):
        self.seen = None

    def forward(self, q, k, v, scale, block_kv, params, inputs):
        prefix, doc = inputs
        self.seen = [tuple(x.shape) for x in inputs]
        b, _, sq, _ = q.shape
        skv = k.shape[2]
        mask = toy_mask(prefix, doc.view(b, -1), sq, skv)
        s = (scale * q.double() @ k.double().transpose(-1, -2)).masked_fill(~mask, float("-inf"))
        lse = torch.logsumexp(s, dim=-1)
        p = torch.where(mask, torch.exp(s - lse.unsqueeze(-1)), torch.zeros((), dtype=torch.float64))
        return [(p @ v.double()).to(q.dtype), lse.float()]

    def backward(self, *args):
        raise NotImplementedError


EXT = Extension()
attention = define_attention("toy_per_batch", "/nonexistent", [], INPUTS, extension=EXT)


def make():
    g = torch.Generator().manual_seed(0)
    return [torch.randn(B, H, S, D, generator=g, dtype=torch.float16) for _ in range(3)]


def test_per_batch_arrays_reach_the_extension_flat_and_rows_differ():
    q, k, v = make()
    prefix = torch.tensor([0, 7, 20])
    doc = torch.stack([torch.arange(S) // w for w in (5, 8, 20)])
    out, lse = attention(q, k, v, prefix=prefix, doc=doc, return_lse=True)
    assert EXT.seen == [(B,), (B * S,)]
    mask = toy_mask(prefix, doc, S, S)
    s = (D**-0.5 * q.double() @ k.double().transpose(-1, -2)).masked_fill(~mask, float("-inf"))
    alive = mask.any(-1, keepdim=True)
    p = torch.softmax(torch.where(alive, s, torch.zeros_like(s)), dim=-1) * alive
    torch.testing.assert_close(out.double(), p @ v.double(), atol=2e-3, rtol=2e-3)
    # Batch element 0 has prefix 0: every row attends to no key, out 0 and lse -inf, no NaN.
    assert not torch.isnan(out).any()
    assert (out[0] == 0).all() and torch.isinf(lse[0]).all()
    assert (out[1:].abs().sum(-1) > 0).any()


def test_longer_rows_are_cut_to_kv_len():
    q, k, v = make()
    doc = torch.zeros(B, S + 5, dtype=torch.int64)
    attention(q, k, v, prefix=torch.tensor([1, 2, 3]), doc=doc)
    assert EXT.seen == [(B,), (B * S,)]


@pytest.mark.parametrize("prefix,doc,needle", [
    (torch.tensor([1, 2]), torch.zeros(B, S, dtype=torch.int32), "`prefix` needs batch = 3 entries"),
    (torch.tensor([1, 2, 3]), torch.zeros(B * S, dtype=torch.int32), "`doc` must be a 2-D integer tensor [batch, kv_len]"),
    (torch.tensor([1, 2, 3]), torch.zeros(B + 1, S, dtype=torch.int32), "`doc` needs one row per batch element (3), got 4"),
    (torch.tensor([1, 2, 3]), torch.zeros(B, S - 1, dtype=torch.int32), "`doc` needs rows of kv_len = 20 entries, got 19"),
    (torch.tensor([1, 2, 3]), torch.zeros(B, S), "`doc` must be a 2-D integer tensor"),
])
def test_shapes_that_do_not_match_the_batch_are_refused(prefix, doc, needle):
    q, k, v = make()
    with pytest.raises(ValueError) as e:
        attention(q, k, v, prefix=prefix, doc=doc)
    assert needle in str(e.value)


def test_declaration_shapes_are_checked():
    with pytest.raises(ValueError, match="expected one of"):
        define_attention("toy_bad_shape", "/nonexistent", [], [("doc", "kv_len,batch")], extension=Extension())
