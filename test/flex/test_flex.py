"""The FlexAttention target against PyTorch's own create_block_mask and attnc's references.

The cases (generated modules, reference masks, biases, soft-caps and TypeScript schedules) are
written by test/flex.test.ts, which runs this file with ATTNC_FLEX_CASES set to their folder;
the tests of the committed generated/flex/ modules need nothing else.
"""
import importlib.util
import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.nn.attention.flex_attention import create_block_mask, create_mask, flex_attention

ROOT = Path(__file__).resolve().parents[2]
CASES_DIR = os.environ.get("ATTNC_FLEX_CASES")
CASES = json.loads((Path(CASES_DIR) / "cases.json").read_text()) if CASES_DIR else []
_modules = {}


def _load(path, key):
    if key not in _modules:
        spec = importlib.util.spec_from_file_location(key, path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[key] = mod  # flex_attention's tracing looks the module up by name
        spec.loader.exec_module(mod)
        _modules[key] = mod
    return _modules[key]


def case_module(case):
    return _load(Path(CASES_DIR) / case["dir"] / f"{case['module']}.py", f"{case['dir']}_{case['module']}")


def call_args(case):
    args = dict(case["values"])
    args.update({name: torch.tensor(v) for name, v in case["inputs"].items()})
    return args


def rows(num, idx):
    """Per (b, h, query block): the listed key blocks (the valid part of each row)."""
    B, H, nq = num.shape
    return [[[idx[b, h, r, : num[b, h, r]].tolist() for r in range(nq)] for h in range(H)] for b in range(B)]


def assert_same_blocks(bm, ref):
    assert rows(bm.kv_num_blocks, bm.kv_indices) == rows(ref.kv_num_blocks, ref.kv_indices)
    assert rows(bm.full_kv_num_blocks, bm.full_kv_indices) == rows(ref.full_kv_num_blocks, ref.full_kv_indices)


def ids(cases):
    return [f"{c['pattern']}-{c['q_len']}x{c['kv_len']}-b{c['block'][0]}x{c['block'][1]}" for c in cases]


PLANNED = [c for c in CASES if "error" not in c]
REFUSED = [c for c in CASES if "error" in c]
ATTENTION = [c for c in PLANNED if c["attention"]]


@pytest.mark.parametrize("case", PLANNED, ids=ids(PLANNED))
def test_block_mask_and_mask_mod(case):
    mod = case_module(case)
    q_len, kv_len, heads, batch = case["q_len"], case["kv_len"], case["heads"], case["batch"]
    block = tuple(case["block"])
    bm = mod.block_mask(q_len, kv_len, heads=heads, batch=batch, block_size=block, **call_args(case))
    B, H = batch or 1, heads or 1
    nq, nkv = -(-q_len // block[0]), -(-kv_len // block[1])
    assert bm.BLOCK_SIZE == block
    assert bm.seq_lengths == (q_len, kv_len)
    assert tuple(bm.kv_num_blocks.shape) == (B, H, nq)
    assert tuple(bm.kv_indices.shape) == (B, H, nq, nkv)

    # (a) The same PARTIAL and FULL blocks as create_block_mask ...
    ref = create_block_mask(mod.mask_mod(q_len, kv_len, heads=heads, **call_args(case)), batch, heads, q_len,
                            kv_len, device="cpu", BLOCK_SIZE=block)
    assert_same_blocks(bm, ref)
    # ... and as attnc's TypeScript planner, row for row.
    s = case["schedule"]
    members = len(s["group_of"]) // H
    for b in range(B):
        for h in range(H):
            g = s["groups"][s["group_of"][(b % members) * H + h]]
            assert rows(bm.kv_num_blocks, bm.kv_indices)[b][h] == g["partial"]
            assert rows(bm.full_kv_num_blocks, bm.full_kv_indices)[b][h] == g["full"]

    # (b) The attached mask_mod is the reference evaluator's mask on every point.
    want = torch.from_numpy(np.load(Path(CASES_DIR) / f"{case['id']}_mask.npy")).bool()
    got = create_mask(bm.mask_mod, B, H, q_len, kv_len, device="cpu")
    assert torch.equal(got, want)


@pytest.mark.parametrize("case", REFUSED, ids=ids(REFUSED))
def test_refused_sizes(case):
    mod = case_module(case)
    with pytest.raises(ValueError) as e:
        mod.block_mask(case["q_len"], case["kv_len"], heads=case["heads"], block_size=tuple(case["block"]), **call_args(case))
    assert str(e.value) == case["error"]


@pytest.mark.parametrize("case", ATTENTION, ids=ids(ATTENTION))
def test_flex_attention_matches_dense_softmax(case):
    """(c) flex_attention with the module's score_mod and block_mask, in float64, against a dense softmax."""
    mod = case_module(case)
    q_len, kv_len, heads, batch = case["q_len"], case["kv_len"], case["heads"], case["batch"]
    B, H, D = batch or 1, heads or 2, 16
    gen = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(B, H, n, D, generator=gen, dtype=torch.float64) for n in (q_len, kv_len, kv_len))
    bm = mod.block_mask(q_len, kv_len, heads=heads, batch=batch, block_size=tuple(case["block"]), **call_args(case))
    score_mod = mod.score_mod(q_len, kv_len, heads=heads, **call_args(case)) if hasattr(mod, "score_mod") else None
    out = flex_attention(q, k, v, score_mod=score_mod, block_mask=bm)

    def ref(name):
        p = Path(CASES_DIR) / f"{case['id']}_{name}.npy"
        return torch.from_numpy(np.load(p)) if p.exists() else None

    mask = ref("mask").bool()
    s = (q @ k.transpose(-1, -2)) / D**0.5
    cap, bias = ref("softcap"), ref("bias")
    assert (cap is not None or bias is not None) == (score_mod is not None)
    if cap is not None:
        s = cap * torch.tanh(s / cap)
    if bias is not None:
        s = s + bias
    s = s.masked_fill(~mask, float("-inf"))
    p = torch.softmax(s, dim=-1).nan_to_num(0.0)  # rows with no allowed key give 0, as FlexAttention
    torch.testing.assert_close(out, p @ v, rtol=1e-9, atol=1e-9)


GENERATED = sorted((ROOT / "generated" / "flex").glob("*_flex.py"))


@pytest.mark.parametrize("path", GENERATED, ids=[p.stem for p in GENERATED])
def test_generated_module_plans_as_create_block_mask(path):
    """Every committed module, with its default parameters, at lengths that are not block multiples."""
    mod = _load(path, f"generated_{path.stem}")
    pat = mod._PATTERN
    q_len = kv_len = 300
    heads = 4 if pat.mask_uses_heads else None
    args = {name: 100 for name, *_ in pat.params}
    # Per-batch arrays: 3 batch elements, rows that differ (int[batch, kv_len]) or values per element (int[batch]).
    batch = 3 if any(shape.startswith("batch") for _, shape, _ in pat.inputs) else None
    for name, shape, _ in pat.inputs:
        if shape == "batch":
            args[name] = torch.tensor([0, 100, 300])
        elif shape.startswith("batch,"):
            args[name] = torch.stack([(torch.arange(kv_len) + 40 * r) // 70 for r in range(batch)])
        else:
            args[name] = torch.arange(kv_len) // 70
    bm = mod.block_mask(q_len, kv_len, heads=heads, block_size=(128, 64), **args)
    ref = create_block_mask(mod.mask_mod(q_len, kv_len, heads=heads, **args), batch, heads, q_len, kv_len,
                            device="cpu", BLOCK_SIZE=(128, 64))
    assert bm.seq_lengths == (q_len, kv_len)
    assert_same_blocks(bm, ref)
