"""The GPU check of the backward kernels: dQ, dK, dV of every bundled pattern (the correctness
builds of `npx tsx bench/cuda/prepare.ts`, carried in bench/cuda/work) against float64 autograd
of the dense masked softmax (the mask from attnc's reference evaluator), through the C entry
points. On the GPU machine, from the repository root:

    python3 bench/cuda/grad_check.py [--only build,...] [--dims 64,128]

Each case: random q, k, v and dO (never zeros), outputs poisoned with NaN first, sizes that are
not block multiples ([300, 300], [200, 333], [1, 777], [333, 200]: the last gives fully masked
rows in patterns aligned to the end), GQA (4 query heads, 2 key/value heads), batch 2, head dims
64 and 128, bf16 and fp16, both backward modes (--modes: deterministic, without atomics, and the
default with atomic dQ accumulation where the device has it), the backward called twice (the
deterministic mode must give the same bits).
Passes when nothing is NaN, fully masked rows get zero dQ, and the relative error of each of dQ,
dK, dV (see grad_rel: the norm of a reference that is exactly 0 is floored) is within 2x of PyTorch's own SDPA backward error on the same low-precision inputs
against the same reference (at least 1e-3; soft-capped patterns, which SDPA cannot express: an
absolute 3e-2). JSON: $OUT/cuda-grad-results.json.
"""
import argparse
import io
import json
import os
import sys
import time
import zipfile

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
import run  # noqa: E402  (compile_all, Kernel, reference, rel, WORK, OUT)


def backward_fn(kern, build):
    fn = getattr(kern.lib, "attnc_" + build + "_backward")
    fn.restype = run.ctypes.c_int
    fn.argtypes = [run.ctypes.c_void_p, run.ctypes.c_void_p]
    return fn


def workspace_fn(kern, build):
    fn = getattr(kern.lib, "attnc_" + build + "_backward_workspace")
    fn.restype = run.ctypes.c_size_t
    fn.argtypes = [run.ctypes.c_void_p]
    return fn


def call_backward(kern, fn, q, k, v, o, lse, do, params, inputs, deterministic=1, ws_fn=None):
    dq, dk, dv = (torch.full_like(t, float("nan")) for t in (q, k, v))
    a = kern.args(q, k, v, o, lse, 0, params, inputs)
    a.deterministic = deterministic
    ws = torch.full((ws_fn(run.ctypes.byref(a)) // 4,), float("nan"), device="cuda")
    a.dout, a.dq, a.dk, a.dv, a.workspace = do.data_ptr(), dq.data_ptr(), dk.data_ptr(), dv.data_ptr(), ws.data_ptr()
    for name, t in (("do_stride", do), ("dq_stride", dq), ("dk_stride", dk), ("dv_stride", dv)):
        setattr(a, name, (run.ctypes.c_int64 * 4)(*t.stride()))
    rc = fn(run.ctypes.byref(a), run.ctypes.c_void_p(torch.cuda.current_stream().cuda_stream))
    if rc != 0:
        raise RuntimeError(f"backward returned {rc}")
    torch.cuda.synchronize()
    return dq, dk, dv


def reference_grads(q, k, v, do, mask, bias, softcap, kv_heads):
    """float64 autograd of run.reference (fully masked rows: zero gradients)."""
    q64, k64, v64 = (t.double().requires_grad_() for t in (q, k, v))
    out, _, live = run.reference(q64, k64, v64, mask, bias, softcap, kv_heads)
    out.backward(do.double())
    return q64.grad, k64.grad, v64.grad, live


def sdpa_grads(q, k, v, do, mask, bias, live):
    """PyTorch's SDPA backward on the same low-precision inputs. Fully masked rows (which SDPA
    turns into NaN) are given every key and a zero dO: they then contribute nothing, as in the
    masked problem."""
    B, H, Sq, _ = q.shape
    rep = H // k.shape[1]
    am = run.batched(mask.bool()).expand(B, H, Sq, -1).clone()
    dead = ~live.expand(B, H, Sq)
    am[dead] = True
    fmask = torch.zeros(am.shape, device="cuda", dtype=torch.float32)
    if bias is not None:
        fmask = fmask + run.batched(bias)
    fmask = fmask.masked_fill(~am, float("-inf")).to(q.dtype)
    qs, ks, vs = (t.detach().clone().requires_grad_() for t in (q, k, v))
    out = torch.nn.functional.scaled_dot_product_attention(qs, ks.repeat_interleave(rep, 1), vs.repeat_interleave(rep, 1), attn_mask=fmask)
    dos = do.clone()
    dos[dead] = 0
    out.backward(dos)
    return qs.grad, ks.grad, vs.grad


def grad_rel(a, b, dv):
    """‖a - b‖ / ‖b‖, the denominator floored at 1% of dV's RMS over b's elements: a query that
    sees a single key has dQ = dK = 0 exactly (its softmax is constant), and relative error
    against a reference of rounding noise would mean nothing."""
    a, b = a.double(), b.double()
    floor = 1e-2 * dv.double().norm().item() * (b.numel() / dv.numel()) ** 0.5
    return ((a - b).norm().item()) / max(b.norm().item(), floor, 1e-30)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="")
    ap.add_argument("--dims", default="64,128")
    ap.add_argument("--bwd", default="", help="sm80: the mma.sync backward (ATTNC_CUDA_BWD=sm80); default: the device's own")
    ap.add_argument("--modes", default="1,0", help="deterministic settings to check: 1 (no atomics), 0 (atomic dQ where the device has it)")
    args = ap.parse_args()
    if args.bwd:
        os.environ["ATTNC_CUDA_BWD"] = args.bwd
    modes = [int(m) for m in args.modes.split(",")]
    manifest = json.load(open(os.path.join(run.WORK, "manifest.json")))
    only = set(filter(None, args.only.split(",")))
    entries = [e for e in manifest["correctness"] if not only or e["build"] in only]
    compiled = run.compile_all([e["build"] for e in entries])
    torch.manual_seed(0)
    results = []
    t_start = time.time()
    for entry in entries:
        build = entry["build"]
        if compiled[build][1] != 0:
            results.append({"build": build, "ok": False, "error": "compile failed"})
            continue
        kern = run.Kernel(build, entry["runtimeParams"], entry["inputs"])
        bwd = backward_fn(kern, build)
        ws_fn = workspace_fn(kern, build)
        t0 = time.time()
        for case in entry["cases"]:
            z = zipfile.ZipFile(os.path.join(run.WORK, case["file"]))
            load = lambda n: np.load(io.BytesIO(z.read(n)))  # noqa: E731
            mask = torch.from_numpy(load("mask.npy")).cuda()
            bias = torch.from_numpy(load("bias.npy")).cuda() if "bias.npy" in z.namelist() else None
            inputs = {n: torch.from_numpy(load(f"input_{n}.npy")).int().cuda() for n in case["inputs"]}
            B, H, Hkv, Sq, Skv = case["batch"], case["heads"], case["kvHeads"], case["qLen"], case["kvLen"]
            for D, dtype, det in [(int(d), t, m) for d in args.dims.split(",") for t in (torch.bfloat16, torch.float16) for m in modes]:
                q = torch.randn(B, H, Sq, D, device="cuda", dtype=dtype)
                k = torch.randn(B, Hkv, Skv, D, device="cuda", dtype=dtype)
                v = torch.randn(B, Hkv, Skv, D, device="cuda", dtype=dtype)
                do = torch.randn(B, H, Sq, D, device="cuda", dtype=dtype)
                o = torch.full_like(q, float("nan"))
                lse = torch.full((B, H, Sq), float("nan"), device="cuda")
                kern(kern.args(q, k, v, o, lse, 0, case["params"], inputs))
                torch.cuda.synchronize()
                got = call_backward(kern, bwd, q, k, v, o, lse, do, case["params"], inputs, det, ws_fn)
                again = call_backward(kern, bwd, q, k, v, o, lse, do, case["params"], inputs, det, ws_fn)
                # Bitwise the same twice: required of the deterministic kernels, recorded for the others.
                same = all(torch.equal(a, b) for a, b in zip(got, again))
                deterministic = same or not det
                rq, rk, rv, live = reference_grads(q, k, v, do, mask, bias, entry["softcap"], Hkv)
                nan = any(bool(torch.isnan(t).any().item()) for t in got)
                dead = ~live.expand(B, H, Sq)
                dead_zero = bool((got[0][dead] == 0).all().item()) if dead.any() else True
                errs = [grad_rel(a, b, rv) for a, b in zip(got, (rq, rk, rv))]
                if entry["softcap"]:
                    sdpa = None
                    bounds = [3e-2] * 3
                else:
                    sq, sk, sv = sdpa_grads(q, k, v, do, mask, bias, live)
                    sdpa = [grad_rel(a, b, rv) for a, b in zip((sq, sk, sv), (rq, rk, rv))]
                    bounds = [2 * max(s, 1e-3) for s in sdpa]
                ok = (not nan) and dead_zero and deterministic and all(e <= b for e, b in zip(errs, bounds))
                results.append({"build": build, "case": case["file"], "D": D, "dtype": str(dtype).split(".")[-1], "deterministic_kernels": bool(det),
                                "bitwise_repeatable": same, "rel_err": errs, "sdpa_rel_err": sdpa,
                                "nan": nan, "masked_rows": int(dead.sum().item()), "masked_rows_zero": dead_zero, "deterministic": deterministic, "ok": ok})
        mine = [r for r in results if r["build"] == build]
        run.log(f"  {build}: {sum(r['ok'] for r in mine)}/{len(mine)} ok in {time.time() - t0:.1f}s")
        save(results)
    bad = [r for r in results if not r["ok"]]
    run.log(f"gradients: {len(results) - len(bad)}/{len(results)} ok in {time.time() - t_start:.0f}s")
    for r in bad[:30]:
        run.log("  FAIL", r)
    worst = max((max(r["rel_err"]) for r in results if "rel_err" in r), default=0)
    run.log(f"  worst relative error {worst:.2e}")


def save(results):
    os.makedirs(run.OUT, exist_ok=True)
    tmp = os.path.join(run.OUT, "cuda-grad-results.json.tmp")
    json.dump({"device": torch.cuda.get_device_name(), "torch": torch.__version__, "date": time.strftime("%Y-%m-%d"),
               "command": " ".join(["python3"] + sys.argv), "gradients": results}, open(tmp, "w"), indent=1)
    os.replace(tmp, os.path.join(run.OUT, "cuda-grad-results.json"))


if __name__ == "__main__":
    main()
