"""Benchmark of data-dependent block selection on one GPU: attnc's CUDA forward of a pattern with a
`select` clause (selection and attention in one call) against FlexAttention's documented recipe
for the same selection (torch pooling, scores and top-k, a BlockMask from `from_kv_blocks`, then
`torch.compile(flex_attention)`), and against dense causal attention (SDPA: FlashAttention-2 and
cuDNN backends). Both select the same blocks (pooled scores in fp32); the outputs are compared.

Times: median of CUDA-event timings. attnc's split into selection and attention comes from the
profiler's kernel times (the selection kernels `attnc::sel::*` against the forward kernel).

Run on the GPU machine from the repository root, after `npx tsx bench/cuda/select/prepare.ts`
here (the patterns' generated CUDA under --gen, each folder with `check.json`: kind moba|nsa,
block, topk, local):

    python3 bench/cuda/select_bench.py --gen bench/cuda/work/selbench --sizes 32768,65536,131072

Writes $OUT/select-bench.json.
"""
import argparse
import concurrent.futures as cf
import json
import math
import os
import sys

import torch

sys.path.insert(0, "runtime/python")
os.environ.setdefault("ATTNC_CUDA_INCLUDE", os.path.abspath("runtime/cuda"))
from attnc import build  # noqa: E402
from torch.nn.attention.flex_attention import BlockMask, flex_attention  # noqa: E402
from torch.nn.attention import SDPBackend, sdpa_kernel  # noqa: E402

OUT = os.environ.get("OUT", "bench/results")


def timed(fn, reps=20, warm=3):
    for _ in range(warm):
        fn()
    torch.cuda.synchronize()
    ts = []
    for _ in range(reps):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        b.synchronize()
        ts.append(a.elapsed_time(b))
    ts.sort()
    return ts[len(ts) // 2]


def flex_selection(spec, q, k):
    """The recipe's selection: fp32 block means, scores, candidates, top-k, a BlockMask (FULL: the picks and static blocks; PARTIAL: the diagonal)."""
    B, H, S, D = q.shape
    KVH = k.shape[1]
    blk, topk = spec["block"], spec["topk"]
    n = S // blk
    pq = q.view(B, H, n, blk, D).float().mean(3)
    pk = k.view(B, KVH, n, blk, D).float().mean(3)
    ratio = H // KVH
    i = torch.arange(n, device=q.device).view(-1, 1)
    j = torch.arange(n, device=q.device).view(1, -1)
    if spec["kind"] == "moba":
        s = torch.einsum("bhid,bhjd->bhij", pq, pk.repeat_interleave(ratio, 1))
        cand = j < i
        static_full = torch.zeros(n, n, dtype=torch.bool, device=q.device)
    else:  # nsa: shared by the query heads of a kv head; block 0 and `local` blocks always
        s = torch.einsum("bgrid,bgjd->bgij", pq.view(B, KVH, ratio, n, D), pk)
        local = spec["local"]
        cand = (j >= 1) & (j <= i - local)
        static_full = ((j == 0) | (i - j < local)) & (j < i)
    s = s.masked_fill(~cand, -math.inf)
    kk = min(topk, n)
    top = s.topk(kk, dim=-1)
    picked = torch.zeros_like(s, dtype=torch.bool).scatter_(-1, top.indices, torch.isfinite(top.values))
    if spec["kind"] == "nsa":
        picked = picked.repeat_interleave(ratio, 1)
    full = picked | static_full
    diag = torch.eye(n, dtype=torch.bool, device=q.device).expand(B, H, n, n)
    full_num = full.sum(-1, dtype=torch.int32)
    full_idx = torch.argsort((~full).to(torch.int8), dim=-1, stable=True).to(torch.int32)
    part_num = torch.ones(B, H, n, dtype=torch.int32, device=q.device)
    part_idx = torch.argsort((~diag).to(torch.int8), dim=-1, stable=True).to(torch.int32)

    def causal(b, h, qi, ki):
        return qi >= ki

    kw = {}
    try:
        return BlockMask.from_kv_blocks(part_num, part_idx, full_num, full_idx, BLOCK_SIZE=(blk, blk), mask_mod=causal, seq_lengths=(S, S), compute_q_blocks=False)
    except TypeError:
        return BlockMask.from_kv_blocks(part_num, part_idx, full_num, full_idx, BLOCK_SIZE=(blk, blk), mask_mod=causal, seq_lengths=(S, S), **kw)


def attnc_split(ext, q, k, v, scale):
    """Kernel times (ms) of one attnc call from the profiler: selection kernels, forward kernel."""
    from torch.profiler import ProfilerActivity, profile

    for _ in range(3):
        ext.forward(q, k, v, scale, 0, [], [])
    torch.cuda.synchronize()
    reps = 10
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        for _ in range(reps):
            ext.forward(q, k, v, scale, 0, [], [])
        torch.cuda.synchronize()
    sel = fwd = 0.0
    kernels = {}
    for e in prof.key_averages():
        t = e.device_time_total / 1000.0 / reps if hasattr(e, "device_time_total") else e.cuda_time_total / 1000.0 / reps
        if "sel::" in e.key or "attnc3sel" in e.key:
            sel += t
            # The selection's kernels by name (pool_partial_vec, score_cells, topk_cells, merge_lines, ...).
            short = next((n for n in ("pool_partial_vec", "pool_partial", "pool_finish", "gate_cells", "score_cells", "topk_cells", "merge_lines", "scan_lines") if n in e.key), e.key[:40])
            kernels[short] = kernels.get(short, 0.0) + t
        elif "forward" in e.key:
            fwd += t
    return sel, fwd, kernels


def build_one(name, folder):
    build.load_extension(name, folder)
    return name


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gen", default="bench/cuda/work/selbench")
    ap.add_argument("--sizes", default="32768,65536,131072")
    args = ap.parse_args()
    specs = []
    for name in sorted(os.listdir(args.gen)):
        f = os.path.join(args.gen, name, "check.json")
        if os.path.isfile(f):
            specs.append((name, os.path.join(args.gen, name), json.load(open(f))))
    with cf.ProcessPoolExecutor(max_workers=min(8, len(specs))) as ex:
        list(ex.map(build_one, [s[0] for s in specs], [s[1] for s in specs]))
    # One compiled kernel per shape and head layout (more than dynamo's default of 8 recompiles:
    # past it flex_attention falls back to eager, which materialises the scores).
    torch._dynamo.config.recompile_limit = 64
    torch._dynamo.config.cache_size_limit = 64
    flex = torch.compile(flex_attention, dynamic=False)
    dev, B, H, D = "cuda", 1, 16, 128
    rows = []
    dense_cache = {}
    for S in [int(x) for x in args.sizes.split(",")]:
        for name, folder, spec in specs:
            KVH = 4 if spec["kind"] == "nsa" else H
            g = torch.Generator(device=dev).manual_seed(S)
            q = torch.randn(B, H, S, D, generator=g, device=dev, dtype=torch.bfloat16)
            k = torch.randn(B, KVH, S, D, generator=g, device=dev, dtype=torch.bfloat16)
            v = torch.randn(B, KVH, S, D, generator=g, device=dev, dtype=torch.bfloat16)
            scale = 1.0 / math.sqrt(D)
            ext = build.load_extension(name, folder)
            gqa = KVH != H
            r = dict(pattern=name, S=S, batch=B, heads=H, kv_heads=KVH, head_dim=D, **spec)
            try:
                t_attnc = timed(lambda: ext.forward(q, k, v, scale, 0, [], []))
                sel_ms, fwd_ms, sel_kernels = attnc_split(ext, q, k, v, scale)
                bm = flex_selection(spec, q, k)
                t_flex_sel = timed(lambda: flex_selection(spec, q, k))
                t_flex_attn = timed(lambda: flex(q, k, v, block_mask=bm, scale=scale, enable_gqa=gqa))
                t_flex_total = timed(lambda: flex(q, k, v, block_mask=flex_selection(spec, q, k), scale=scale, enable_gqa=gqa))
                o_attnc = ext.forward(q, k, v, scale, 0, [], [])[0]
                o_flex = flex(q, k, v, block_mask=bm, scale=scale, enable_gqa=gqa)
                diff = (o_attnc.float() - o_flex.float()).abs()
                row_bad = (diff.amax(-1) > 0.05).float().mean().item()
                if (S, KVH) not in dense_cache:
                    qq, kk, vv = q, k.repeat_interleave(H // KVH, 1), v.repeat_interleave(H // KVH, 1)
                    dense = {}
                    for nm, be in (("flash", SDPBackend.FLASH_ATTENTION), ("cudnn", SDPBackend.CUDNN_ATTENTION)):
                        try:
                            with sdpa_kernel(be):
                                dense[nm] = timed(lambda: torch.nn.functional.scaled_dot_product_attention(qq, kk, vv, is_causal=True, scale=scale), reps=5)
                        except Exception as e:  # noqa: BLE001
                            dense[nm] = None
                            print("dense", nm, "failed:", str(e)[:200], flush=True)
                    dense_cache[(S, KVH)] = dense
                dense = dense_cache[(S, KVH)]
                r.update(attnc_total_ms=t_attnc, attnc_selection_ms=sel_ms, attnc_attention_ms=fwd_ms, attnc_selection_share=sel_ms / max(sel_ms + fwd_ms, 1e-9), attnc_selection_kernels_ms=sel_kernels,
                         flex_selection_ms=t_flex_sel, flex_attention_ms=t_flex_attn, flex_total_ms=t_flex_total,
                         dense_flash_ms=dense.get("flash"), dense_cudnn_ms=dense.get("cudnn"),
                         vs_flex_total=t_flex_total / t_attnc, vs_flex_attention=t_flex_attn / fwd_ms if fwd_ms > 0 else None,
                         vs_dense_flash=(dense["flash"] / t_attnc) if dense.get("flash") else None,
                         max_abs_diff_vs_flex=diff.amax().item(), rows_differing_vs_flex=row_bad)
            except Exception as e:  # noqa: BLE001
                r["error"] = str(e)[:500]
            rows.append(r)
            print(json.dumps(r), flush=True)
            os.makedirs(OUT, exist_ok=True)
            json.dump({"device": torch.cuda.get_device_name(), "torch": torch.__version__, "rows": rows}, open(os.path.join(OUT, "select-bench.json"), "w"), indent=1)
            del q, k, v
            torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
