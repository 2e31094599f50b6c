"""Every bad argument is refused before the op runs, with the argument's name in the message."""
import pytest
import torch

from attnc import define_attention
from reference import INPUTS, PARAMS, ReferenceExtension, define_toy

attention = define_toy("toy_validation")
S = 16


def good(**changes):
    """A valid call's arguments, with `changes` applied (None removes an argument)."""
    args = {
        "q": torch.randn(1, 4, S, 64, dtype=torch.bfloat16),
        "k": torch.randn(1, 2, S, 64, dtype=torch.bfloat16),
        "v": torch.randn(1, 2, S, 64, dtype=torch.bfloat16),
        "window": 4,
        "strict": False,
        "slope": 0.0,
        "doc": torch.zeros(S, dtype=torch.int64),
        "live": torch.ones(S, dtype=torch.int32),
    }
    args.update(changes)
    return {n: a for n, a in args.items() if a is not None}


def call(**changes):
    args = good(**changes)
    return attention(args.pop("q"), args.pop("k"), args.pop("v"), **args)


def t(*shape, dtype=torch.bfloat16):
    return torch.randn(*shape, dtype=dtype)


def test_a_valid_call_runs():
    assert call().shape == (1, 4, S, 64)


BAD = [
    ("non-tensor q", {"q": [[1.0]]}, TypeError, "`q`"),
    ("non-tensor v", {"v": 3}, TypeError, "`v`"),
    ("float32 q", {"q": t(1, 4, S, 64, dtype=torch.float32)}, ValueError, "`q`"),
    ("float16 k against bfloat16 q", {"k": t(1, 2, S, 64, dtype=torch.float16)}, ValueError, "`k`"),
    ("3-D q", {"q": t(4, S, 64)}, ValueError, "`q`"),
    ("5-D v", {"v": t(1, 1, 2, S, 64)}, ValueError, "`v`"),
    ("batch mismatch", {"k": t(2, 2, S, 64), "v": t(2, 2, S, 64)}, ValueError, "batch"),
    ("head_dim mismatch", {"k": t(1, 2, S, 128), "v": t(1, 2, S, 128)}, ValueError, "head_dim"),
    ("k and v shapes differ", {"v": t(1, 2, S + 1, 64)}, ValueError, "`v`"),
    ("heads not a multiple of kv_heads", {"k": t(1, 3, S, 64), "v": t(1, 3, S, 64)}, ValueError, "kv_heads"),
    ("head_dim 40", {"q": t(1, 4, S, 40), "k": t(1, 2, S, 40), "v": t(1, 2, S, 40)}, ValueError, "head_dim"),
    ("head_dim 272", {"q": t(1, 4, S, 272), "k": t(1, 2, S, 272), "v": t(1, 2, S, 272)}, ValueError, "head_dim"),
    ("missing runtime value", {"window": None}, TypeError, "`window`"),
    ("missing input array", {"live": None}, TypeError, "`live`"),
    ("unknown argument", {"windw": 3}, TypeError, "`windw`"),
    ("tensor runtime value", {"window": torch.tensor(3)}, TypeError, "`window`"),
    ("string runtime value", {"slope": "0.5"}, TypeError, "`slope`"),
    ("fractional int", {"window": 2.5}, ValueError, "`window`"),
    ("bool out of range", {"strict": 2}, ValueError, "`strict`"),
    ("int past 32 bits", {"window": 2**31}, ValueError, "`window`"),
    ("int below 32 bits", {"window": -(2**31) - 1}, ValueError, "`window`"),
    ("float past f32", {"slope": 1e39}, ValueError, "`slope`"),
    ("infinite float", {"slope": float("inf")}, ValueError, "`slope`"),
    ("2-D input array", {"doc": torch.zeros(1, S, dtype=torch.int32)}, ValueError, "`doc`"),
    ("float input array", {"doc": torch.zeros(S)}, ValueError, "`doc`"),
    ("non-tensor input array", {"doc": [0] * S}, TypeError, "`doc`"),
    ("input array shorter than kv_len", {"doc": torch.zeros(S - 1, dtype=torch.int32)}, ValueError, "`doc`"),
    ("input array shorter than q_len", {"live": torch.ones(S - 2, dtype=torch.int32)}, ValueError, "`live`"),
    ("zero scale", {"scale": 0.0}, ValueError, "`scale`"),
    ("negative scale", {"scale": -1.0}, ValueError, "`scale`"),
    ("tensor scale", {"scale": torch.tensor(0.1)}, TypeError, "`scale`"),
    ("block_kv 32", {"block_kv": 32}, ValueError, "`block_kv`"),
]


@pytest.mark.parametrize("what,changes,error,needle", BAD, ids=[b[0] for b in BAD])
def test_bad_argument_is_refused_by_name(what, changes, error, needle):
    ext = ReferenceExtension()
    define_toy("toy_validation", ext)
    with pytest.raises(error, match=needle.replace("`", "\\`")):
        call(**changes)
    assert ext.calls["forward"] == 0


def test_missing_or_unknown_names_list_the_expected_ones():
    with pytest.raises(TypeError) as e:
        call(window=None)
    for n, _ in PARAMS + INPUTS:
        assert n in str(e.value)


def test_longer_input_arrays_and_any_integer_dtype_are_accepted():
    call(doc=torch.zeros(S + 5, dtype=torch.int16), live=torch.ones(S + 1, dtype=torch.uint8))


def test_cpu_tensors_are_refused_unless_the_extension_accepts_them():
    class CudaOnly:
        def forward(self, *args):
            raise AssertionError("must not be reached")

        backward = forward

    fn = define_attention("toy_cuda_only", "/nonexistent", PARAMS, INPUTS, extension=CudaOnly())
    args = good()
    with pytest.raises(ValueError, match="`q` must be a CUDA tensor"):
        fn(args.pop("q"), args.pop("k"), args.pop("v"), **args)


def test_declarations_are_checked():
    with pytest.raises(ValueError, match="`scale`"):
        define_attention("toy_bad1", "/x", [("scale", "float")], [])
    with pytest.raises(ValueError, match="`n`"):
        define_attention("toy_bad2", "/x", [("n", "double")], [])
    with pytest.raises(ValueError, match="`a`"):
        define_attention("toy_bad3", "/x", [], [("a", "heads")])
    define_toy("toy_redefined")
    with pytest.raises(ValueError, match="toy_redefined"):
        define_attention("toy_redefined", "/x", PARAMS[:1], INPUTS)
