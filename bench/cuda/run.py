"""H100 run of attnc's CUDA backend: correctness against a float64 reference, then the
benchmark against FlexAttention and dense SDPA (FlashAttention-2 and cuDNN backends).

Prepared on a Node machine by `npx tsx bench/cuda/prepare.ts` (sources, dense masks from the
reference evaluator, manifest in bench/cuda/work/). Run on the GPU machine from the repo root:

    python3 bench/cuda/run.py [--skip-correctness] [--skip-bench] [--sizes 8192,16384,32768] [--only id,...]

Writes $OUT/cuda-results.json (or bench/results/cuda-results.json) and prints tables.
"""
import argparse
import concurrent.futures as cf
import ctypes
import io
import json
import math
import os
import subprocess
import sys
import time
import zipfile

import numpy as np
import torch

WORK = "bench/cuda/work"
OUT = os.environ.get("OUT", "bench/results")
BUILD = os.environ.get("ATTNC_BUILD", "/tmp/attnc_build")


def log(*a):
    print(*a, flush=True)


def build_key(src):
    """A digest of everything a build reads: its folder's files and the runtime it includes."""
    import hashlib
    h = hashlib.sha256()
    folders = [os.path.dirname(src), os.path.join(os.path.dirname(src), "include", "attnc"), "runtime/cuda/attnc"]
    for folder in folders:
        if os.path.isdir(folder):
            for f in sorted(os.listdir(folder)):
                path = os.path.join(folder, f)
                if os.path.isfile(path):
                    h.update(path.encode() + b"\0" + open(path, "rb").read())
    return h.hexdigest()


def compile_all(builds):
    """nvcc each generated .cu into a shared library, in parallel."""
    os.makedirs(BUILD, exist_ok=True)

    def one(name):
        src = os.path.join(WORK, "src", name, name + ".cu")
        so = os.path.join(BUILD, name + ".so")
        key = build_key(src)
        if os.path.exists(so) and os.path.exists(so + ".key") and open(so + ".key").read() == key:
            return name, 0, "", []  # built earlier in this machine's life from the same sources
        # A build's own include/ (bench/cuda/ablate.py's variants) comes before the runtime.
        own = os.path.join(os.path.dirname(src), "include")
        cmd = ["nvcc", "-O3", "-std=c++17", "-gencode=arch=compute_90a,code=sm_90a", "--use_fast_math", "-Xptxas", "-v",
               "-shared", "-Xcompiler", "-fPIC", "-I", os.path.dirname(src), *(["-I", own] if os.path.isdir(own) else []), "-I", "runtime/cuda", src, "-o", so]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode == 0:
            open(so + ".key", "w").write(key)
        spills = [l for l in r.stderr.splitlines() if "spill" in l and not l.strip().startswith("0 bytes")]
        return name, r.returncode, r.stderr[-3000:] if r.returncode else "", spills

    t = time.time()
    with cf.ThreadPoolExecutor(max_workers=os.cpu_count() or 8) as ex:
        results = list(ex.map(one, builds))
    bad = [r for r in results if r[1] != 0]
    for name, _, err, _ in bad:
        log("COMPILE FAILED", name, err)
    log(f"compiled {len(results) - len(bad)}/{len(results)} in {time.time() - t:.1f}s")
    return {r[0]: r for r in results}


def make_args_type(runtime, inputs):
    fields = [("dtype", ctypes.c_int), ("q", ctypes.c_void_p), ("k", ctypes.c_void_p), ("v", ctypes.c_void_p), ("o", ctypes.c_void_p),
              ("lse", ctypes.c_void_p), ("q_stride", ctypes.c_int64 * 4), ("k_stride", ctypes.c_int64 * 4), ("v_stride", ctypes.c_int64 * 4),
              ("o_stride", ctypes.c_int64 * 4), ("batch", ctypes.c_int), ("heads", ctypes.c_int), ("kv_heads", ctypes.c_int),
              ("q_len", ctypes.c_int), ("kv_len", ctypes.c_int), ("head_dim", ctypes.c_int), ("block_kv", ctypes.c_int), ("scale", ctypes.c_float)]
    fields += [("p_" + n, ctypes.c_double) for n in runtime]
    fields += [("in_" + n, ctypes.c_void_p) for n in inputs]
    fields += [("dout", ctypes.c_void_p), ("dq", ctypes.c_void_p), ("dk", ctypes.c_void_p), ("dv", ctypes.c_void_p),
               ("do_stride", ctypes.c_int64 * 4), ("dq_stride", ctypes.c_int64 * 4), ("dk_stride", ctypes.c_int64 * 4), ("dv_stride", ctypes.c_int64 * 4),
               ("workspace", ctypes.c_void_p), ("deterministic", ctypes.c_int)]
    return type("Args", (ctypes.Structure,), {"_fields_": fields})


class Kernel:
    def __init__(self, build, runtime=(), inputs=(), pattern=None):
        # `pattern`: the name in the entry point's symbol, where the library was built from a
        # renamed copy of a pattern's .cu (bench/cuda/ablate.py's variants); default: `build`.
        self.lib = ctypes.CDLL(os.path.join(BUILD, build + ".so"))
        self.fn = getattr(self.lib, "attnc_" + (pattern or build) + "_forward")
        self.fn.restype = ctypes.c_int
        self.fn.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        self.A = make_args_type(runtime, inputs)
        self.runtime, self.inputs = list(runtime), list(inputs)

    def args(self, q, k, v, o, lse, block_kv=64, params=None, inputs=None):
        a = self.A()
        a.dtype = 0 if q.dtype == torch.bfloat16 else 1
        a.q, a.k, a.v, a.o = q.data_ptr(), k.data_ptr(), v.data_ptr(), o.data_ptr()
        a.lse = lse.data_ptr() if lse is not None else None
        for name, t in (("q_stride", q), ("k_stride", k), ("v_stride", v), ("o_stride", o)):
            setattr(a, name, (ctypes.c_int64 * 4)(*t.stride()))
        a.batch, a.heads, a.kv_heads = q.shape[0], q.shape[1], k.shape[1]
        a.q_len, a.kv_len, a.head_dim, a.block_kv = q.shape[2], k.shape[2], q.shape[3], block_kv
        a.scale = 1.0 / math.sqrt(q.shape[3])
        for n in self.runtime:
            setattr(a, "p_" + n, float(params[n]))
        for n in self.inputs:
            setattr(a, "in_" + n, inputs[n].data_ptr())
        return a

    def __call__(self, a):
        rc = self.fn(ctypes.byref(a), ctypes.c_void_p(torch.cuda.current_stream().cuda_stream))
        if rc != 0:
            raise RuntimeError(f"attnc kernel returned {rc}")


def batched(x):
    """A reference mask or bias as [batch or 1, heads, q, kv]: [heads, q, kv] ones are the same for every batch element."""
    return x if x.dim() == 4 else x[None]


def reference(q, k, v, mask, bias, softcap, kv_heads):
    """float64 attention; fully masked rows give 0. mask and bias: [heads, q, kv] or [batch, heads, q, kv]."""
    B, H, S, D = q.shape
    rep = H // kv_heads
    q64, k64, v64 = q.double(), k.double().repeat_interleave(rep, 1), v.double().repeat_interleave(rep, 1)
    s = torch.einsum("bhqd,bhkd->bhqk", q64, k64) / math.sqrt(D)
    if softcap:
        s = softcap * torch.tanh(s / softcap)
    if bias is not None:
        s = s + batched(bias.double())
    m = batched(mask.bool())
    s = s.masked_fill(~m, float("-inf"))
    mx = s.amax(-1, keepdim=True)
    mx = torch.where(torch.isinf(mx), torch.zeros_like(mx), mx)
    p = torch.exp(s - mx)
    l = p.sum(-1, keepdim=True)
    out = torch.einsum("bhqk,bhkd->bhqd", p / torch.where(l > 0, l, torch.ones_like(l)), v64)
    lse = torch.where(l[..., 0] > 0, torch.log(l[..., 0]) + mx[..., 0], torch.full_like(l[..., 0], float("-inf")))
    return out, lse, (l[..., 0] > 0)


def rel(a, b, rows=None):
    a, b = a.double(), b.double()
    if rows is not None:
        a, b = a[rows], b[rows]
    return ((a - b).norm() / b.norm().clamp_min(1e-30)).item()


def save(out):
    os.makedirs(OUT, exist_ok=True)
    tmp = os.path.join(OUT, "cuda-results.json.tmp")
    json.dump({"device": torch.cuda.get_device_name(), "torch": torch.__version__, "date": time.strftime("%Y-%m-%d"), **out}, open(tmp, "w"), indent=1)
    os.replace(tmp, os.path.join(OUT, "cuda-results.json"))


def use_path(path):
    """Selects the kernel the generated entry points launch: sm90 (wgmma, the default on Hopper; its
    producer copies with TMA), sm90cp (the same with cp.async copies), sm90plain (sm90 without
    longest-first balancing: item i on CTA i % CTAs) or sm80 (mma.sync). A suffix "few" (sm90few,
    sm90cpfew) caps the persistent grid at 3 CTAs, so that small problems run many work items per
    CTA (buffers, barriers and turns carried across items). sm90box and sm90strip: the Hopper
    kernel in box tiles wherever the pattern has them, or in strips only (ATTNC_CUDA_TILES);
    the others leave the choice to the runtime. sm90two: head dim 64 with two consumer warpgroups
    (ATTNC_CUDA_CONSUMERS=2), not three."""
    base = path[:-3] if path.endswith("few") else path
    os.environ["ATTNC_CUDA_CONSUMERS"] = "2" if base == "sm90two" else "3"
    os.environ["ATTNC_CUDA_TILES"] = {"sm90box": "box", "sm90strip": "strip"}.get(base, "auto")
    os.environ["ATTNC_CUDA_PATH"] = "sm80" if base == "sm80" else "sm90"
    os.environ["ATTNC_CUDA_TMA"] = "0" if base == "sm90cp" else "1"
    os.environ["ATTNC_CUDA_BALANCE"] = "0" if base == "sm90plain" else "1"
    os.environ["ATTNC_CUDA_CTAS"] = "3" if path.endswith("few") else "0"


def key_blocks(D, candidates):
    """The key blocks of `candidates` a call with head dim D may ask for: past 128 not 128 (the runtime refuses it)."""
    return [bk for bk in candidates if not (D > 128 and bk == 128)]


def correctness(manifest, compiled, paths, only=(), dims=(64, 128)):
    results = []
    torch.manual_seed(0)
    for entry in manifest["correctness"]:
        if only and entry["build"] not in only:
            continue
        build = entry["build"]
        if compiled.get(build, (None, 1))[1] != 0:
            results.append({"build": build, "ok": False, "error": "compile failed"})
            continue
        kern = Kernel(build, entry["runtimeParams"], entry["inputs"])
        t0 = time.time()
        for case in entry["cases"]:
            z = zipfile.ZipFile(os.path.join(WORK, case["file"]))
            load = lambda n: np.load(io.BytesIO(z.read(n)))
            mask = torch.from_numpy(load("mask.npy")).cuda()
            bias = torch.from_numpy(load("bias.npy")).cuda() if "bias.npy" in z.namelist() else None
            inputs = {n: torch.from_numpy(load(f"input_{n}.npy")).int().cuda() for n in case["inputs"]}
            B, H, Hkv, Sq, Skv = case["batch"], case["heads"], case["kvHeads"], case["qLen"], case["kvLen"]
            for D in dims:
                for dtype in (torch.bfloat16, torch.float16):
                    for block_kv, path in [(bk, p) for bk in key_blocks(D, (0, 64, 128)) for p in paths]:
                        use_path(path)
                        q = torch.randn(B, H, Sq, D, device="cuda", dtype=dtype)
                        k = torch.randn(B, Hkv, Skv, D, device="cuda", dtype=dtype)
                        v = torch.randn(B, Hkv, Skv, D, device="cuda", dtype=dtype)
                        o = torch.full_like(q, float("nan"))
                        lse = torch.full((B, H, Sq), float("nan"), device="cuda")
                        kern(kern.args(q, k, v, o, lse, block_kv, case["params"], inputs))
                        torch.cuda.synchronize()
                        ref, ref_lse, live = reference(q, k, v, mask, bias, entry["softcap"], Hkv)
                        err = rel(o, ref)
                        nan = bool(torch.isnan(o).any().item() or torch.isnan(lse).any().item())
                        dead = ~live.expand(B, H, Sq)
                        dead_ok = bool((o[dead] == 0).all().item()) if dead.any() else True
                        lse_err = rel(lse, ref_lse, live.expand(B, H, Sq)) if live.any() else 0.0
                        # PyTorch's own bf16/fp16 error on the same problem (SDPA, math on the low-precision inputs).
                        am = batched(mask.bool()).expand(B, H, Sq, Skv)
                        fmask = torch.zeros(B, H, Sq, Skv, device="cuda", dtype=torch.float32)
                        if bias is not None:
                            fmask = fmask + batched(bias)
                        fmask = fmask.masked_fill(~am, float("-inf")).to(dtype)
                        rep = H // Hkv
                        if entry["softcap"]:
                            sdpa_err = None
                        else:
                            sd = torch.nn.functional.scaled_dot_product_attention(q, k.repeat_interleave(rep, 1), v.repeat_interleave(rep, 1), attn_mask=fmask)
                            lv = live.expand(B, H, Sq)
                            sdpa_err = rel(sd, ref, lv) if lv.any() else 0.0
                        our_live = rel(o, ref, live.expand(B, H, Sq)) if live.any() else 0.0
                        ok = (not nan) and dead_ok and err < 2e-2 and (sdpa_err is None or our_live <= 2 * max(sdpa_err, 1e-3))
                        results.append({"build": build, "case": case["file"], "D": D, "dtype": str(dtype).split(".")[-1], "block_kv": block_kv, "path": path,
                                        "rel_err": err, "lse_rel_err": lse_err, "sdpa_rel_err": sdpa_err, "nan": nan,
                                        "masked_rows": int(dead.sum().item()), "masked_rows_zero": dead_ok, "ok": ok})
        mine = [r for r in results if r["build"] == build]
        log(f"  {build}: {sum(r['ok'] for r in mine)}/{len(mine)} ok in {time.time() - t0:.1f}s")
        save({"correctness": results})  # partial results survive a time limit
    bad = [r for r in results if not r["ok"]]
    log(f"correctness: {len(results) - len(bad)}/{len(results)} ok")
    for r in bad[:20]:
        log("  FAIL", r)
    worst = max((r["rel_err"] for r in results if "rel_err" in r), default=0)
    log(f"  worst relative error {worst:.2e}")
    return results


def flex_mask_mod(expr, doc):
    def natten(b, h, q, k, S):
        W = S // 128
        qy, qx, ky, kx = q // W, q % W, k // W, k % W
        sy = (qy - 6).clamp(0, 128 - 13)
        sx = (qx - 6).clamp(0, W - 13)
        return (ky >= sy) & (ky < sy + 13) & (kx >= sx) & (kx < sx + 13)
    if expr == "natten2d":
        return natten
    # A real function (not eval) so that torch.compile can trace it into the kernel.
    ns = {"doc": doc}
    exec(f"def mask_mod(b, h, q, k, S):\n    return {expr}\n", ns)
    return ns["mask_mod"]


def bench(manifest, compiled, sizes, only, with_flex=True, paths=("sm90",), dims=(128,), shape=(1, 16, 16), block_kvs=(0, 64, 128)):
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.nn.attention.flex_attention import create_block_mask, flex_attention
    import triton.testing as tt

    import torch._dynamo
    # One compiled FlexAttention per (pattern, length): raise the recompile limits so that
    # later configurations are not silently run in eager mode.
    torch._dynamo.config.cache_size_limit = 4096
    if hasattr(torch._dynamo.config, "recompile_limit"):
        torch._dynamo.config.recompile_limit = 4096
    if hasattr(torch._dynamo.config, "accumulated_recompile_limit"):
        torch._dynamo.config.accumulated_recompile_limit = 4096
    flex = torch.compile(flex_attention, dynamic=False)
    B, H, Hkv = shape
    rows, dense = [], {}
    for D, S in [(d, s_) for d in dims for s_ in sizes]:
        q = torch.randn(B, H, S, D, device="cuda", dtype=torch.bfloat16)
        k = torch.randn(B, Hkv, S, D, device="cuda", dtype=torch.bfloat16)
        v = torch.randn(B, Hkv, S, D, device="cuda", dtype=torch.bfloat16)
        kd, vd = (k, v) if Hkv == H else (k.repeat_interleave(H // Hkv, 1), v.repeat_interleave(H // Hkv, 1))  # dense SDPA: heads repeated beforehand
        flops = 4 * B * H * S * S * D
        for backend, name in ((SDPBackend.FLASH_ATTENTION, "fa2"), (SDPBackend.CUDNN_ATTENTION, "cudnn")):
            try:
                with sdpa_kernel(backend):
                    ms = tt.do_bench(lambda: torch.nn.functional.scaled_dot_product_attention(q, kd, vd), warmup=50, rep=300, return_mode="median")
            except RuntimeError as e:  # a backend without this head dim
                log(f"S={S} D={D} dense {name}: not available ({str(e)[:80]})")
                ms = None
            dense[(S, name)] = ms
            if ms:
                log(f"S={S} D={D} dense {name}: {ms:.3f} ms ({flops / ms / 1e9:.0f} TFLOP/s)")
        for cfg in manifest["perf"]:
            if cfg["S"] != S or (only and cfg["id"] not in only):
                continue
            build = cfg["build"]
            if compiled.get(build, (None, 1))[1] != 0:
                continue
            inputs = {n: torch.from_numpy(np.load(os.path.join(WORK, f))).int().cuda() for n, f in cfg.get("inputFiles", {}).items()}
            doc = inputs.get("doc")
            kern = Kernel(build, [], list(inputs.keys()))
            o = torch.empty_like(q)
            lse = torch.empty(B, H, S, device="cuda")
            res = {"id": cfg["id"], "S": S, "D": D, "B": B, "H": H, "Hkv": Hkv, "ideal_128": cfg["ideal128"], "dense_cudnn_ms": dense[(S, "cudnn")], "dense_fa2_ms": dense[(S, "fa2")]}
            for path in paths:
                use_path(path)
                suffix = "" if path == paths[0] else "_" + path
                for block_kv in key_blocks(D, block_kvs):  # 0: the host picks the key block (the loader's default)
                    a = kern.args(q, k, v, o, lse, block_kv, {}, inputs)
                    t0 = time.perf_counter()
                    kern(a)
                    torch.cuda.synchronize()
                    first = (time.perf_counter() - t0) * 1e3
                    ms = tt.do_bench(lambda: kern(a), warmup=50, rep=300, return_mode="median")
                    res[f"attnc{suffix}_bk{block_kv}_ms"] = ms
                    res[f"attnc{suffix}_bk{block_kv}_first_call_ms"] = first
            use_path(paths[0])
            res["path"] = paths[0]
            # FlexAttention with the equivalent BlockMask (128 x 128).
            res["flex_ms"] = None
            try:
                if not with_flex or not cfg["flex"]:
                    raise NotImplementedError
                mm = flex_mask_mod(cfg["flex"], doc)
                def mask_mod(b, h, qi, ki, mm=mm, S=S):
                    return mm(b, h, qi, ki, S)
                log(f"S={S} {cfg['id']}: attnc timed, compiling FlexAttention")
                t_compile = time.perf_counter()
                bm = create_block_mask(mask_mod, 1, 1, S, S, device="cuda", _compile=True)
                t0 = time.perf_counter()
                bm2 = create_block_mask(mask_mod, 1, 1, S, S, device="cuda", _compile=True)
                torch.cuda.synchronize()
                res["flex_cbm_ms"] = (time.perf_counter() - t0) * 1e3
                fn = lambda: flex(q, k, v, block_mask=bm, enable_gqa=Hkv != H)
                of = fn()
                torch.cuda.synchronize()
                res["flex_compile_s"] = time.perf_counter() - t_compile
                res["flex_ms"] = tt.do_bench(fn, warmup=50, rep=300, return_mode="median")
                # Sanity check at full size (many work items per CTA): the headline path against FlexAttention's output.
                use_path(paths[0])
                o.fill_(float("nan"))
                kern(kern.args(q, k, v, o, lse, 0, {}, inputs))
                torch.cuda.synchronize()
                res["rel_diff_vs_flex"] = rel(o, of)
                if not res["rel_diff_vs_flex"] < 2e-2:
                    log(f"  MISMATCH against FlexAttention: relative difference {res['rel_diff_vs_flex']:.3e}")
                nf = bm.full_kv_num_blocks.sum().item() if bm.full_kv_num_blocks is not None else 0
                npart = bm.kv_num_blocks.sum().item()
                res["flex_tiles_full"], res["flex_tiles_partial"] = nf, npart
                res["flex_ideal_128"] = (S // 128) ** 2 / max(1, nf + npart)
            except NotImplementedError:
                pass
            except torch.OutOfMemoryError as e:
                torch.cuda.empty_cache()
                res["flex_ms"] = None
                res["flex_error"] = "out of memory"
            # The headline is what a caller gets by default: the host's own choice of key block.
            best = res["attnc_bk0_ms"]
            res["attnc_ms"] = best
            fixed = [res[f"attnc_bk{bk}_ms"] for bk in (64, 128) if f"attnc_bk{bk}_ms" in res]
            res["attnc_best_fixed_ms"] = min(fixed) if fixed else None
            res["speedup_vs_fa2"] = dense[(S, "fa2")] / best if dense[(S, "fa2")] else None
            res["vs_cudnn_dense"] = dense[(S, "cudnn")] / best if dense[(S, "cudnn")] else None
            res["vs_flex"] = res["flex_ms"] / best if res["flex_ms"] else None
            # As report.ts: cuDNN's dense time over the ideal (its tiles at cuDNN's rate), over attnc's.
            res["pct_of_ideal"] = 100 * dense[(S, "cudnn")] / best / res["ideal_128"] if res["ideal_128"] and dense[(S, "cudnn")] else None
            rows.append(res)
            fmt = lambda x, f: "-" if x is None else format(x, f)
            for path in paths[1:]:
                res[f"attnc_{path}_ms"] = res[f"attnc_{path}_bk0_ms"]
            other = "".join(f" {p} {res[f'attnc_{p}_ms']:.3f}" for p in paths[1:])
            log(f"S={S} D={D} B{B} H{H}/{Hkv} {cfg['id']:26s} attnc {best:.3f} ms (auto; bk64 {fmt(res.get('attnc_bk64_ms'), '.3f')}, bk128 {fmt(res.get('attnc_bk128_ms'), '.3f')}{other}) "
                f"flex {fmt(res['flex_ms'], '.3f')} ms  x{fmt(res['vs_flex'], '.2f')} vs flex  x{fmt(res['vs_cudnn_dense'], '.2f')} vs cuDNN dense  ideal {fmt(res['ideal_128'], '.2f')}x ({fmt(res['pct_of_ideal'], '.0f')}%)")
            # Also store the schedule-shape facts the simulator is validated with.
            res["work_items"] = B * H * (S // 128)
            save({"bench": rows})  # partial results survive a time limit
    return rows, {f"{S}_{n}": ms for (S, n), ms in dense.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-correctness", action="store_true")
    ap.add_argument("--skip-bench", action="store_true")
    ap.add_argument("--sizes", default="16384,32768")
    ap.add_argument("--only", default="")
    ap.add_argument("--no-flex", action="store_true", help="time attnc and dense SDPA only")
    ap.add_argument("--paths", default="sm90,sm90few,sm80", help="kernel paths to check and time (see use_path); the first is the headline")
    ap.add_argument("--bench-paths", default="", help="kernel paths to time (default: --paths)")
    ap.add_argument("--check-only", default="", help="builds to check for correctness (default: all)")
    ap.add_argument("--check-dims", default="64,128", help="head dims of the correctness check")
    ap.add_argument("--dims", default="128", help="head dims of the benchmark")
    ap.add_argument("--shape", default="1,16,16", help="benchmark batch, heads, kv heads")
    ap.add_argument("--block-kvs", default="0,64,128", help="key blocks timed (0: the host's choice, the headline)")
    args = ap.parse_args()
    manifest = json.load(open(os.path.join(WORK, "manifest.json")))
    check_only = set(filter(None, args.check_only.split(",")))
    only = set(filter(None, args.only.split(",")))
    sizes = [int(s) for s in args.sizes.split(",")]
    checked = set() if args.skip_correctness else {e["build"] for e in manifest["correctness"] if not check_only or e["build"] in check_only}
    timed = set() if args.skip_bench else {e["build"] for e in manifest["perf"] if e["S"] in sizes and (not only or e["id"] in only)}
    builds = sorted(checked | timed)
    compiled = compile_all(builds)
    spills = {n: r[3] for n, r in compiled.items() if r[3]}
    log("spills:", spills if spills else "none")
    out = {"device": torch.cuda.get_device_name(), "torch": torch.__version__, "date": time.strftime("%Y-%m-%d"), "command": " ".join(["python3"] + sys.argv)}
    paths = tuple(filter(None, args.paths.split(",")))
    if not args.skip_correctness:
        out["correctness"] = correctness(manifest, compiled, paths, check_only, tuple(int(d) for d in args.check_dims.split(",")))
    if not args.skip_bench:
        bench_paths = tuple(filter(None, args.bench_paths.split(","))) or paths
        out["bench"], out["dense"] = bench(manifest, compiled, sizes, only, not args.no_flex, bench_paths, tuple(int(d) for d in args.dims.split(",")),
                                           tuple(int(x) for x in args.shape.split(",")), tuple(int(x) for x in args.block_kvs.split(",")))
    save(out)


if __name__ == "__main__":
    main()
