"""A reference extension in plain PyTorch (CPU, float64 math) and the toy pattern it serves.

The toy pattern has runtime values window (int), strict (bool) and slope (float) and input
arrays doc (kv_len) and live (q_len): query q sees key k when doc[q] == doc[k],
0 <= q - k < window (0 < q - k when strict) and live[q] != 0; its score gets slope * (k - q).
Rows with live[q] == 0 attend to no key.

`ReferenceExtension.backward` uses the closed-form gradients of softmax attention
(dS = P * (dP - delta)), independent of the autograd of `dense_attention`, which the tests
compare it against.
"""
import torch

from attnc import define_attention

PARAMS = [("window", "int"), ("strict", "bool"), ("slope", "float")]
INPUTS = [("doc", "kv_len"), ("live", "q_len")]


def toy_mask(params, inputs, q_len, kv_len):
    """bool [q_len, kv_len]: which keys each query sees."""
    window, strict, _slope = params
    doc, live = inputs
    qi = torch.arange(q_len).view(-1, 1)
    ki = torch.arange(kv_len).view(1, -1)
    d = qi - ki
    lo = 1 if strict else 0
    same_doc = doc[:q_len].view(-1, 1) == doc[:kv_len].view(1, -1)
    return same_doc & (d >= lo) & (d < window) & (live[:q_len].view(-1, 1) != 0)


def toy_bias(params, q_len, kv_len):
    """float64 [q_len, kv_len]: the score bias."""
    slope = params[2]
    qi = torch.arange(q_len, dtype=torch.float64).view(-1, 1)
    ki = torch.arange(kv_len, dtype=torch.float64).view(1, -1)
    return slope * (ki - qi)


def _expand(x, heads):
    """k or v [B, Hkv, S, D] repeated to [B, heads, S, D] (head h reads kv head h // group)."""
    return x.repeat_interleave(heads // x.shape[1], dim=1)


def _reduce(dx, kv_heads):
    """Gradient [B, H, S, D] summed per kv head to [B, Hkv, S, D]."""
    b, h, s, d = dx.shape
    return dx.view(b, kv_heads, h // kv_heads, s, d).sum(2)


class ReferenceExtension:
    """forward/backward with the compiled module's signatures; takes CPU tensors."""

    accepts_cpu = True

    def __init__(self):
        self.calls = {"forward": 0, "backward": 0}

    def _probs(self, q, k, scale, params, inputs):
        sq, skv = q.shape[2], k.shape[2]
        mask = toy_mask(params, [a.cpu() for a in inputs], sq, skv).to(q.device)
        s = scale * q.double() @ _expand(k, q.shape[1]).double().transpose(-1, -2)
        s = s + toy_bias(params, sq, skv).to(q.device)
        s = s.masked_fill(~mask, float("-inf"))
        lse = torch.logsumexp(s, dim=-1)
        p = torch.where(mask, torch.exp(s - lse.unsqueeze(-1)), torch.zeros((), dtype=torch.float64))
        return p, lse

    def forward(self, q, k, v, scale, block_kv, params, inputs):
        self.calls["forward"] += 1
        p, lse = self._probs(q, k, scale, params, inputs)
        out = p @ _expand(v, q.shape[1]).double()
        return [out.to(q.dtype), lse.float()]

    def backward(self, dout, q, k, v, out, lse, scale, deterministic, params, inputs):
        self.calls["backward"] += 1
        h, hkv = q.shape[1], k.shape[1]
        p, _ = self._probs(q, k, scale, params, inputs)
        do = dout.double()
        ke, ve = _expand(k, h).double(), _expand(v, h).double()
        dv = p.transpose(-1, -2) @ do
        dp = do @ ve.transpose(-1, -2)
        delta = (do * out.double()).sum(-1, keepdim=True)
        ds = p * (dp - delta)
        dq = scale * ds @ ke
        dk = scale * ds.transpose(-1, -2) @ q.double()
        return [dq.to(q.dtype), _reduce(dk, hkv).to(k.dtype), _reduce(dv, hkv).to(v.dtype)]


def dense_attention(q, k, v, scale, params, inputs):
    """The toy pattern's attention by plain autograd-friendly float64 ops; fully masked rows give 0."""
    sq, skv = q.shape[2], k.shape[2]
    mask = toy_mask(params, inputs, sq, skv)
    s = scale * q @ _expand(k, q.shape[1]).transpose(-1, -2) + toy_bias(params, sq, skv)
    alive = mask.any(-1, keepdim=True)
    s = torch.where(alive, s.masked_fill(~mask, float("-inf")), torch.zeros_like(s))
    p = torch.softmax(s, dim=-1) * alive
    return p @ _expand(v, q.shape[1])


def define_toy(name, extension=None):
    """The toy pattern's `attention`, served by `extension` (a new reference by default)."""
    return define_attention(name, "/nonexistent", PARAMS, INPUTS, extension=extension or ReferenceExtension())
