"""Checks of the arguments of a pattern's `attention` call.

Every check reads only Python values, shapes, dtypes and devices, never tensor contents, so
none of them synchronises the host with the device and torch.compile traces through them.
Each error names the argument at fault.
"""
import numbers

import torch

DTYPES = (torch.bfloat16, torch.float16)
HEAD_DIMS = tuple(range(16, 257, 16))  # multiples of 16 up to 256 (see docs/cuda.md)
BLOCK_KVS = (0, 64, 128)
_NUMBER = (numbers.Real, torch.SymInt, torch.SymFloat, torch.SymBool)


def _tensor(name, x):
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"attention: `{name}` must be a torch.Tensor, got {type(x).__name__}")


def check_qkv(q, k, v, cuda_only):
    """Checks q [batch, heads, q_len, head_dim] and k, v [batch, kv_heads, kv_len, head_dim]."""
    for name, x in (("q", q), ("k", k), ("v", v)):
        _tensor(name, x)
        if cuda_only and x.device.type != "cuda":
            raise ValueError(f"attention: `{name}` must be a CUDA tensor, got device {x.device}")
        if x.dtype not in DTYPES:
            raise ValueError(f"attention: `{name}` must be bfloat16 or float16, got {x.dtype}")
        if x.dim() != 4:
            raise ValueError(
                f"attention: `{name}` must have 4 dimensions [batch, heads, seq, head_dim], got {x.dim()}"
            )
    for name, x in (("k", k), ("v", v)):
        if x.device != q.device:
            raise ValueError(f"attention: `{name}` is on {x.device} but `q` is on {q.device}")
        if x.dtype != q.dtype:
            raise ValueError(f"attention: `{name}` is {x.dtype} but `q` is {q.dtype}; q, k and v must share one dtype")
        if x.shape[0] != q.shape[0]:
            raise ValueError(f"attention: `{name}` has batch {x.shape[0]} but `q` has batch {q.shape[0]}")
        if x.shape[3] != q.shape[3]:
            raise ValueError(f"attention: `{name}` has head_dim {x.shape[3]} but `q` has head_dim {q.shape[3]}")
    if v.shape != k.shape:
        raise ValueError(
            f"attention: `v` has shape {tuple(v.shape)} but `k` has shape {tuple(k.shape)}; they must match"
        )
    if q.shape[1] % k.shape[1] != 0:
        raise ValueError(
            f"attention: `q`'s heads ({q.shape[1]}) must be a multiple of `k`'s kv_heads ({k.shape[1]})"
        )
    if q.shape[3] not in HEAD_DIMS:
        raise ValueError(f"attention: `q` has head_dim {q.shape[3]}; supported head dims are the multiples of 16 from 16 to 256")


def check_scale(scale):
    """The softmax scale as a float; it must be a positive Python number."""
    if isinstance(scale, torch.Tensor) or not isinstance(scale, _NUMBER):
        raise TypeError(f"attention: `scale` must be a Python number, got {type(scale).__name__}")
    if not scale > 0:
        raise ValueError(f"attention: `scale` must be positive, got {scale}")
    return float(scale)


def check_block_kv(block_kv, head_dim=None):
    """The key block of the schedule: 64 or 128 (64 only past head dim 128), or 0 to let the runtime choose per shape."""
    if isinstance(block_kv, torch.Tensor) or not isinstance(block_kv, _NUMBER) or block_kv not in BLOCK_KVS:
        raise ValueError(f"attention: `block_kv` must be 0, 64 or 128, got {block_kv!r}")
    if head_dim is not None and head_dim > 128 and block_kv == 128:
        raise ValueError(f"attention: `block_kv` 128 needs head_dim <= 128 (got {head_dim}); use 0 or 64")
    return int(block_kv)


def expected(params, inputs):
    """The runtime values and input arrays a pattern takes, for error messages."""
    parts = [f"{n} ({t})" for n, t in params] + [
        f"{n} (float32[batch, heads, q_blocks, kv_blocks])" if length == "score" else f"{n} (int32[{length.replace(',', ', ')}])" for n, length in inputs
    ]
    return "expected " + (", ".join(parts) if parts else "none")


def check_names(params, inputs, given):
    """Every declared runtime value and input array is given, and nothing else is."""
    names = [n for n, _ in params] + [n for n, _ in inputs]
    for n in given:
        if n not in names:
            raise TypeError(f"attention: unknown argument `{n}`; {expected(params, inputs)}")
    for n, _ in params:
        if n not in given:
            raise TypeError(f"attention: missing runtime value `{n}`; {expected(params, inputs)}")
    for n, length in inputs:
        if n not in given:
            what = "score input" if length == "score" else "input array"
            raise TypeError(f"attention: missing {what} `{n}`; {expected(params, inputs)}")


def runtime_value(name, type_, value):
    """A runtime value as the float the extension takes (ints and bools too)."""
    if isinstance(value, torch.Tensor):
        raise TypeError(
            f"attention: runtime value `{name}` must be a Python number, not a tensor "
            "(reading a tensor's value would synchronise with the device)"
        )
    if not isinstance(value, _NUMBER):
        raise TypeError(f"attention: runtime value `{name}` ({type_}) must be a number, got {type(value).__name__}")
    if type_ == "int" and isinstance(value, float) and not value.is_integer():
        raise ValueError(f"attention: runtime value `{name}` must be an integer, got {value}")
    # What the kernels take: a 32-bit int, a finite float an f32 holds (as runtime/schedule/plan.ts checks).
    if type_ == "int" and not -(2**31) <= value <= 2**31 - 1:
        raise ValueError(f"attention: runtime value `{name}` = {value} is outside the 32-bit ints the kernels take")
    if type_ == "float" and not abs(float(value)) <= 3.4028234663852886e38:
        raise ValueError(f"attention: runtime value `{name}` = {value} is not a finite float an f32 holds")
    if type_ == "bool" and isinstance(value, numbers.Real) and value not in (0, 1):
        raise ValueError(f"attention: runtime value `{name}` must be a bool, got {value!r}")
    return float(value)


def input_array(name, length, x, sizes, device):
    """An input array as a contiguous 1-D int32 tensor on `device`.

    length "q_len"/"kv_len": 1-D, at least sizes[length] entries; "batch": 1-D, at least
    sizes["batch"] entries (one per batch element); "batch,q_len"/"batch,kv_len": 2-D [batch,
    len'] with len' at least sizes[len], whose first len columns are passed on row-major.
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"attention: input array `{name}` must be a torch.Tensor, got {type(x).__name__}")
    dims = length.split(",")
    if x.dim() != len(dims) or x.dtype.is_floating_point or x.dtype.is_complex:
        want = "a 1-D integer tensor" if len(dims) == 1 else f"a 2-D integer tensor [batch, {dims[1]}]"
        raise ValueError(f"attention: input array `{name}` must be {want}, got {x.dtype} with {x.dim()} dimensions")
    if len(dims) == 2:
        if x.shape[0] != sizes["batch"]:
            raise ValueError(f"attention: input array `{name}` needs one row per batch element ({sizes['batch']}), got {x.shape[0]}")
        if x.shape[1] < sizes[dims[1]]:
            raise ValueError(f"attention: input array `{name}` needs rows of {dims[1]} = {sizes[dims[1]]} entries, got {x.shape[1]}")
        x = x[:, : sizes[dims[1]]]
        return x.to(device=device, dtype=torch.int32).contiguous().reshape(-1)
    if x.shape[0] < sizes[length]:
        raise ValueError(
            f"attention: input array `{name}` needs {length} = {sizes[length]} entries, got {x.shape[0]}"
        )
    return x.to(device=device, dtype=torch.int32).contiguous()


def score_input(name, x, q):
    """A select clause's score input as a contiguous float32 tensor [batch, heads, q_blocks, kv_blocks] on q's device.

    The block counts depend on the clause's block sizes (which runtime values may set): the
    extension checks them.
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"attention: score input `{name}` must be a torch.Tensor, got {type(x).__name__}")
    if x.dim() != 4 or not x.dtype.is_floating_point:
        raise ValueError(
            f"attention: score input `{name}` must be a 4-D float tensor [batch, heads, q_blocks, kv_blocks], got {x.dtype} with {x.dim()} dimensions"
        )
    if x.shape[0] != q.shape[0] or x.shape[1] != q.shape[1]:
        raise ValueError(
            f"attention: score input `{name}` has batch and heads {tuple(x.shape[:2])}, but `q` has {tuple(q.shape[:2])}"
        )
    return x.to(device=q.device, dtype=torch.float32).contiguous()
