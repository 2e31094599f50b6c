"""Backward benchmark: attnc's backward and forward + backward against torch.compile(flex_attention)
with the equivalent BlockMask and dense SDPA (FLASH_ATTENTION and CUDNN_ATTENTION), in one run
on one GPU. Prepared by `npx tsx bench/cuda/prepare.ts` here; on the GPU machine, from the repo
root:

    python3 bench/cuda/bench_bwd.py [--sizes 8192,16384,32768] [--only causal,...] [--compare]

Batch 1, 16 heads, head dim 128, bf16. attnc runs through its C entry points (forward with the
default key block, then backward from its O and log-sum-exp); FlexAttention and SDPA through
torch.autograd.grad. Backward time = (forward + backward) - forward for FlexAttention and SDPA,
measured directly for attnc. Full-tile backward TFLOP/s counts 2.5x the forward FLOPs of the
listed tiles. Writes $OUT/cuda-bwd-results.json (--out: another name).
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
import run  # noqa: E402
import grad_check  # noqa: E402


def main():
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.nn.attention.flex_attention import create_block_mask, flex_attention
    import torch._dynamo
    import triton.testing as tt

    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="8192,16384,32768")
    ap.add_argument("--only", default="")
    ap.add_argument("--no-flex", action="store_true")
    ap.add_argument("--out", default="cuda-bwd-results.json", help="file name under $OUT")
    ap.add_argument("--compare", action="store_true", help="also time the deterministic flag and the mma.sync backward")
    args = ap.parse_args()
    torch._dynamo.config.cache_size_limit = 4096
    for name in ("recompile_limit", "accumulated_recompile_limit"):
        if hasattr(torch._dynamo.config, name):
            setattr(torch._dynamo.config, name, 4096)
    manifest = json.load(open(os.path.join(run.WORK, "manifest.json")))
    sizes = [int(s) for s in args.sizes.split(",")]
    only = set(filter(None, args.only.split(",")))
    cfgs = [c for c in manifest["perf"] if c["S"] in sizes and (not only or c["id"] in only)]
    # Per size: the patterns FlexAttention can express first, then attnc's own (simulator data).
    cfgs.sort(key=lambda c: (sizes.index(c["S"]), not c["flex"]))
    compiled = run.compile_all(sorted({c["build"] for c in cfgs}))
    flex = torch.compile(flex_attention, dynamic=False)
    bench = lambda f: tt.do_bench(f, warmup=25, rep=150, return_mode="median")  # noqa: E731
    B, H, D = 1, 16, 128
    out = {"device": torch.cuda.get_device_name(), "torch": torch.__version__, "date": time.strftime("%Y-%m-%d"),
           "command": " ".join(["python3"] + sys.argv), "rows": [], "dense": {}}
    for S in sizes:
        q, k, v, do = (torch.randn(B, H, S, D, device="cuda", dtype=torch.bfloat16) for _ in range(4))
        qg, kg, vg = (t.detach().clone().requires_grad_() for t in (q, k, v))
        flops = 4 * B * H * S * S * D
        for backend, name in ((SDPBackend.FLASH_ATTENTION, "fa2"), (SDPBackend.CUDNN_ATTENTION, "cudnn")):
            with sdpa_kernel(backend):
                f = lambda: torch.nn.functional.scaled_dot_product_attention(qg, kg, vg)  # noqa: E731
                fwd = bench(f)
                both = bench(lambda: torch.autograd.grad(f(), (qg, kg, vg), do))
            out["dense"][f"{S}_{name}"] = {"fwd_ms": fwd, "fwd_bwd_ms": both, "bwd_ms": both - fwd}
            run.log(f"S={S} dense {name}: fwd {fwd:.3f} ms, bwd {both - fwd:.3f} ms ({2.5 * flops / (both - fwd) / 1e9:.0f} TFLOP/s)")
        for cfg in [c for c in cfgs if c["S"] == S]:
            build = cfg["build"]
            if compiled[build][1] != 0:
                continue
            inputs = {n: torch.from_numpy(np.load(os.path.join(run.WORK, f))).int().cuda() for n, f in cfg.get("inputFiles", {}).items()}
            kern = run.Kernel(build, [], list(inputs))
            bwd = grad_check.backward_fn(kern, build)
            o = torch.empty_like(q)
            lse = torch.empty(B, H, S, device="cuda")
            a = kern.args(q, k, v, o, lse, 0, {}, inputs)
            kern(a)
            dq, dk, dv = (torch.empty_like(t) for t in (q, k, v))
            b = kern.args(q, k, v, o, lse, 0, {}, inputs)
            b.deterministic = 0
            ws = torch.empty(grad_check.workspace_fn(kern, build)(run.ctypes.byref(b)) // 4, device="cuda")
            b.dout, b.dq, b.dk, b.dv, b.workspace = do.data_ptr(), dq.data_ptr(), dk.data_ptr(), dv.data_ptr(), ws.data_ptr()
            for name, t in (("do_stride", do), ("dq_stride", dq), ("dk_stride", dk), ("dv_stride", dv)):
                setattr(b, name, (run.ctypes.c_int64 * 4)(*t.stride()))
            stream = run.ctypes.c_void_p(torch.cuda.current_stream().cuda_stream)
            call_bwd = lambda: bwd(run.ctypes.byref(b), stream)  # noqa: E731
            if call_bwd() != 0:
                raise RuntimeError(f"{build}: backward failed")
            torch.cuda.synchronize()
            res = {"id": cfg["id"], "S": S, "ideal_128": cfg["ideal128"]}
            res["attnc_fwd_ms"] = bench(lambda: kern(a))
            res["attnc_bwd_ms"] = bench(call_bwd)  # the default backward (deterministic on every device)
            res["attnc_bwd_deterministic_ms"] = res["attnc_bwd_sm80_ms"] = None
            if args.compare:
                b.deterministic = 1
                res["attnc_bwd_deterministic_ms"] = bench(call_bwd)
                os.environ["ATTNC_CUDA_BWD"] = "sm80"  # the mma.sync backward, for comparison
                res["attnc_bwd_sm80_ms"] = bench(call_bwd)
                os.environ.pop("ATTNC_CUDA_BWD")
                b.deterministic = 0
            res["attnc_fwd_bwd_ms"] = bench(lambda: (kern(a), call_bwd()))
            res["flex_fwd_ms"] = res["flex_bwd_ms"] = res["flex_fwd_bwd_ms"] = None
            if cfg["flex"] and not args.no_flex:
                try:
                    mm = run.flex_mask_mod(cfg["flex"], inputs.get("doc"))

                    def mask_mod(b_, h, qi, ki, mm=mm, S=S):
                        return mm(b_, h, qi, ki, S)
                    bm = create_block_mask(mask_mod, 1, 1, S, S, device="cuda", _compile=True)
                    f = lambda: flex(qg, kg, vg, block_mask=bm)  # noqa: E731
                    grads = torch.autograd.grad(f(), (qg, kg, vg), do)
                    res["flex_fwd_ms"] = bench(f)
                    res["flex_fwd_bwd_ms"] = bench(lambda: torch.autograd.grad(f(), (qg, kg, vg), do))
                    res["flex_bwd_ms"] = res["flex_fwd_bwd_ms"] - res["flex_fwd_ms"]
                    # Sanity: the same gradients as FlexAttention.
                    res["rel_diff_vs_flex"] = [run.rel(x, y) for x, y in zip((dq, dk, dv), grads)]
                    if max(res["rel_diff_vs_flex"]) > 3e-2:
                        run.log(f"  MISMATCH against FlexAttention's gradients: {res['rel_diff_vs_flex']}")
                except torch.OutOfMemoryError:
                    torch.cuda.empty_cache()
                    res["flex_error"] = "out of memory"
            cud = out["dense"][f"{S}_cudnn"]
            res["bwd_vs_flex"] = res["flex_bwd_ms"] / res["attnc_bwd_ms"] if res["flex_bwd_ms"] else None
            res["fwd_bwd_vs_flex"] = res["flex_fwd_bwd_ms"] / res["attnc_fwd_bwd_ms"] if res["flex_fwd_bwd_ms"] else None
            res["bwd_tile_tflops"] = 2.5 * flops / cfg["ideal128"] / res["attnc_bwd_ms"] / 1e9
            res["bwd_pct_of_ideal"] = 100 * cud["bwd_ms"] / res["attnc_bwd_ms"] / cfg["ideal128"]
            out["rows"].append(res)
            fmt = lambda x, f: "-" if x is None else format(x, f)  # noqa: E731
            run.log(f"S={S} {cfg['id']:26s} attnc fwd {res['attnc_fwd_ms']:.3f} bwd {res['attnc_bwd_ms']:.3f} ms | flex fwd {fmt(res['flex_fwd_ms'], '.3f')} "
                    f"bwd {fmt(res['flex_bwd_ms'], '.3f')} ms | bwd x{fmt(res['bwd_vs_flex'], '.2f')} fwd+bwd x{fmt(res['fwd_bwd_vs_flex'], '.2f')} vs flex | "
                    f"{res['bwd_tile_tflops']:.0f} TFLOP/s, {res['bwd_pct_of_ideal']:.0f}% of ideal")
            save(out, args.out)
    save(out, args.out)


def save(out, name):
    os.makedirs(run.OUT, exist_ok=True)
    tmp = os.path.join(run.OUT, name + ".tmp")
    json.dump(out, open(tmp, "w"), indent=1)
    os.replace(tmp, os.path.join(run.OUT, name))


if __name__ == "__main__":
    main()
