"""A pattern's attention as two PyTorch custom ops, differentiable and traceable.

`define_attention` registers, per pattern `<name>`:

    attnc::<name>_fwd(q, k, v, scale, block_kv, deterministic, params, inputs) -> (out, lse)
    attnc::<name>_bwd(dout, q, k, v, out, lse, scale, deterministic, params, inputs) -> (dq, dk, dv)

`deterministic` guarantees backward kernels that accumulate without atomics (the same inputs
give the same bits; the default kernels are such kernels today); the forward op only carries
it to the backward.

`params` are the pattern's runtime values as floats (ints and bools too) in declaration
order; `inputs` its input arrays as int32 tensors. Both ops have fake implementations, so
torch.compile(fullgraph=True) traces them as two opaque ops, and the forward op has an
autograd formula that calls the backward op: gradients flow to q, k and v. The gradient of
`lse` is ignored (the backward kernel takes only the gradient of `out`); code that
differentiates through `lse` gets a wrong result without an error. The backward op has no
autograd formula of its own (no double backward).

The extension that runs the ops is compiled on their first call, never at import or
definition time.
"""
import math

import torch

from . import build, validate

__all__ = ["define_attention"]

FWD_SCHEMA = "(Tensor q, Tensor k, Tensor v, float scale, int block_kv, bool deterministic, float[] params, Tensor[] inputs) -> (Tensor, Tensor)"
BWD_SCHEMA = (
    "(Tensor dout, Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, float scale, bool deterministic, float[] params, "
    "Tensor[] inputs) -> (Tensor, Tensor, Tensor)"
)
PARAM_TYPES = ("int", "float", "bool")
# An input array's shape: one int per token, one per batch element, or a row of tokens per batch element.
LENGTHS = ("q_len", "kv_len", "batch", "batch,q_len", "batch,kv_len")
RESERVED = ("q", "k", "v", "scale", "block_kv", "return_lse", "deterministic")

_patterns = {}


class _Pattern:
    """One pattern's declaration, its ops and its extension (built on first use unless injected)."""

    def __init__(self, name, folder, params, inputs, extension):
        self.name = name
        self.folder = folder
        self.params = params
        self.inputs = inputs
        self.ext = extension

    def extension(self):
        if self.ext is None:
            self.ext = build.load_extension(self.name, self.folder)
        return self.ext

    @property
    def cuda_only(self):
        """False only for an injected extension that declares `accepts_cpu = True`."""
        return not getattr(self.ext, "accepts_cpu", False)


def _op(name):
    """The registered op `attnc::<name>`, or None."""
    return getattr(torch.ops.attnc, name).default if hasattr(torch.ops.attnc, name) else None


def _register(p):
    """Registers the pattern's forward and backward ops; returns them as OpOverloads."""
    fwd_name, bwd_name = f"{p.name}_fwd", f"{p.name}_bwd"
    if _op(fwd_name) is not None and _op(bwd_name) is not None:
        return _op(fwd_name), _op(bwd_name)

    def forward(q, k, v, scale, block_kv, deterministic, params, inputs):
        out, lse = p.extension().forward(q, k, v, scale, block_kv, list(params), list(inputs))
        return out.contiguous(), lse.contiguous()

    def forward_fake(q, k, v, scale, block_kv, deterministic, params, inputs):
        return q.new_empty(q.shape), q.new_empty(q.shape[:3], dtype=torch.float32)

    def backward(dout, q, k, v, out, lse, scale, deterministic, params, inputs):
        dq, dk, dv = p.extension().backward(dout, q, k, v, out, lse, scale, deterministic, list(params), list(inputs))
        return dq.contiguous(), dk.contiguous(), dv.contiguous()

    def backward_fake(dout, q, k, v, out, lse, scale, deterministic, params, inputs):
        return q.new_empty(q.shape), k.new_empty(k.shape), v.new_empty(v.shape)

    fwd = torch.library.custom_op(f"attnc::{fwd_name}", forward, mutates_args=(), schema=FWD_SCHEMA)
    bwd = torch.library.custom_op(f"attnc::{bwd_name}", backward, mutates_args=(), schema=BWD_SCHEMA)
    fwd.register_fake(forward_fake)
    bwd.register_fake(backward_fake)
    bwd_op = _op(bwd_name)

    def setup_context(ctx, inputs, output):
        q, k, v, scale, _block_kv, deterministic, params, arrays = inputs
        out, lse = output
        ctx.save_for_backward(q, k, v, out, lse, *arrays)
        ctx.scale = scale
        ctx.deterministic = deterministic
        ctx.params = params

    def grad(ctx, dout, _dlse):
        q, k, v, out, lse, *arrays = ctx.saved_tensors
        if dout is None:
            dout = torch.zeros_like(out)
        dq, dk, dv = bwd_op(dout.contiguous(), q, k, v, out, lse, ctx.scale, ctx.deterministic, ctx.params, arrays)
        # One gradient per input, shaped as autograd flattens the inputs: a list of runtime
        # values is one leaf (None), but an empty one is an empty list; the input arrays, a
        # list of tensors, get one None each. None of them is differentiated.
        return dq, dk, dv, None, None, None, (None if len(ctx.params) else []), [None] * len(arrays)

    fwd.register_autograd(grad, setup_context=setup_context)
    return _op(fwd_name), bwd_op


def _check_declaration(name, params, inputs, score_input):
    if not name.isidentifier():
        raise ValueError(f"define_attention: pattern name `{name}` is not an identifier")
    seen = set()
    for n, t in params:
        if t not in PARAM_TYPES:
            raise ValueError(f"define_attention: runtime value `{n}` has type {t!r}; expected one of {PARAM_TYPES}")
    for n, length in inputs:
        if length not in LENGTHS:
            raise ValueError(f"define_attention: input array `{n}` has length {length!r}; expected one of {LENGTHS}")
    for n in [n for n, _ in params] + [n for n, _ in inputs] + ([score_input] if score_input else []):
        if n in RESERVED or n in seen or not n.isidentifier():
            raise ValueError(f"define_attention: `{n}` cannot name a runtime value or input array (reserved or repeated)")
        seen.add(n)


def define_attention(name, folder, params=(), inputs=(), extension=None, score_input=None):
    """Registers pattern `name`'s ops and returns its `attention` function.

    folder: the folder of the generated `<name>_torch.cpp` and `<name>.cu`.
    params: the runtime values in declaration order, as (name, 'int' | 'float' | 'bool').
    inputs: the input arrays, as (name, shape): 'q_len' or 'kv_len' (1-D, at least that many
        entries), 'batch' (1-D, one entry per batch element), or 'batch,q_len' / 'batch,kv_len'
        (2-D [batch, len], a row per batch element; passed on flattened, row-major).
    score_input: the name of the select clause's score input (float [batch, heads, q_blocks,
        kv_blocks], passed on as float32 after the input arrays), or None.
    extension: an object with `forward` and `backward` like the compiled module's, used
        instead of compiling `folder` (tests inject a reference); with `accepts_cpu = True`
        it also takes CPU tensors.

    Defining a name again in the same process (a module imported under two names) reuses the
    ops registered first; a new `extension`, if given, replaces the previous one.
    """
    params = tuple((str(n), str(t)) for n, t in params)
    inputs = tuple((str(n), str(length)) for n, length in inputs)
    score_input = None if score_input is None else str(score_input)
    _check_declaration(name, params, inputs, score_input)
    p = _patterns.get(name)
    if p is None:
        p = _Pattern(name, folder, params, inputs, extension)
        p.score_input = score_input
        # The named arguments a call takes besides the runtime values: the input arrays, then the score input.
        p.arrays = p.inputs + (((score_input, "score"),) if score_input else ())
        p.fwd, p.bwd = _register(p)
        _patterns[name] = p
    else:
        if (p.params, p.inputs, p.score_input) != (params, inputs, score_input):
            raise ValueError(
                f"define_attention: pattern `{name}` is already defined in this process with other "
                "runtime values or input arrays"
            )
        if extension is not None:
            p.ext = extension

    def attention(q, k, v, *, scale=None, block_kv=0, return_lse=False, deterministic=False, **values):
        """Attention under the pattern's mask; returns out, or (out, lse) with return_lse."""
        validate.check_qkv(q, k, v, p.cuda_only)
        scale = validate.check_scale(1.0 / math.sqrt(q.shape[-1]) if scale is None else scale)
        block_kv = validate.check_block_kv(block_kv, q.shape[3])
        validate.check_names(p.params, p.arrays, values)
        floats = [validate.runtime_value(n, t, values[n]) for n, t in p.params]
        sizes = {"q_len": q.shape[2], "kv_len": k.shape[2], "batch": q.shape[0]}
        arrays = [validate.input_array(n, length, values[n], sizes, q.device) for n, length in p.inputs]
        if p.score_input:
            arrays.append(validate.score_input(p.score_input, values[p.score_input], q))
        q, k, v = (x if x.stride(-1) == 1 else x.contiguous() for x in (q, k, v))
        if not isinstance(deterministic, bool):
            raise TypeError(f"attention: `deterministic` must be a bool, got {type(deterministic).__name__}")
        out, lse = p.fwd(q, k, v, scale, block_kv, deterministic, floats, arrays)
        return (out, lse) if return_lse else out

    attention.__doc__ = _doc(name, params, inputs, score_input)
    return attention


def _doc(name, params, inputs, score_input=None):
    lines = [
        f"Attention under the `{name}` pattern's mask.",
        "",
        "attention(q, k, v, *, scale=None, block_kv=0, return_lse=False, deterministic=False, <runtime values>, <input arrays>)",
        "returns out [batch, heads, q_len, head_dim], or (out, lse) with return_lse (lse: float32",
        "[batch, heads, q_len], natural log, -inf for rows that attend to no key; their out is 0).",
        "Differentiable with respect to q, k and v (the gradient of lse is ignored); deterministic=True",
        "guarantees backward kernels without atomics (the same inputs give the same gradients, bit for bit).",
    ]
    if params:
        lines.append("Runtime values: " + ", ".join(f"{n} ({t})" for n, t in params) + ".")
    if inputs:
        lines.append("Input arrays: " + ", ".join(f"{n} (int[{length.replace(',', ', ')}])" for n, length in inputs) + ".")
    if score_input:
        lines.append(f"Score input: {score_input} (float[batch, heads, q_blocks, kv_blocks]), the select clause's block scores.")
    return "\n".join(lines)
