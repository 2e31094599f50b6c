"""Where the Hopper kernel's time goes, without hardware counters: times variants of the
Hopper forward kernel (runtime/cuda/attnc/forward_sm90.cuh) built for one pattern that each leave one stage out (their outputs are wrong by design; only the
time is read) and reports each variant's time against the unchanged kernel's.

Prepared by `npx tsx bench/cuda/prepare.ts` here; on the GPU machine, from the repo root:

    python3 bench/cuda/ablate.py [--builds chunk2048,causal] [--S 16384] [--D 128] [--block-kv 128]
        [--variants base,no_exp,...] [--ref DIR] [--rounds 3]

Each variant is timed --rounds times, the variants interleaved, and the median is reported, so
that two kernels compared here ran under the same conditions.

Variants (text edits of forward_sm90.cuh, in a copy of the runtime each variant compiles against):
  base          the kernel as generated
  no_exp        P = the scaled scores instead of their exponentials (no MUFU work)
  no_softmax    FULL steps only round S to P (no max, sum, exponentials)
  no_rescale    O is not rescaled by alpha after each step
  no_pingpong   the consumers issue their products without taking turns
  no_pv         the P V product is never issued (half the tensor-core work)
  ref           (with --ref DIR) the same build from another checkout's prepare.ts: DIR/<build>/ and
                its runtime DIR/../include/ (prepare.ts copies it there)
  no_store      the epilogue computes O but does not store it
  serial        the softmax of S_i waits for the consumer's own P_{i-1} V_{i-1} at every head dim
                (as head dim 256 runs): what the in-warpgroup overlap is worth
Writes $OUT/cuda-ablate.json.
"""
import argparse
import json
import os
import shutil
import sys
import time

WORK = "bench/cuda/work"

MARK = "Hopper path (sm_90a)"
KERNEL = "runtime/cuda/attnc/forward_sm90.cuh"
VARIANTS = {
    "base": [],
    "no_exp": [("exp2f(fmaf(", "(fmaf(")],
    "no_softmax": [("if (full) softmax_step<AllLive, Pat, T, BN>(P, tid, b, h, q0, k0, AllLive{}, s, m, l, alpha, pn);",
                    "if (full) { alpha[0] = alpha[1] = 1.f; for (int kk = 0; kk < BN / 16; kk++) for (int e = 0; e < 4; e++) "
                    "{ auto pk = Vec2<T>::pack(s[8 * kk + 2 * e], s[8 * kk + 2 * e + 1]); pn[kk][e] = *reinterpret_cast<uint32_t*>(&pk); } }")],
    "no_rescale": [("rescale<D>(o, alpha);", "")],
    "no_pingpong": [("named_sync(1 + wg, 256);", "(void)0;"), ("named_arrive(1 + (wg + 1) % NC, 256);", "(void)0;"), ("if (wg == NC - 1 && nIter > 0) named_arrive(1, 256);", "")],
    "no_pv": [("issue_pv<T, D, BN>(Vs + pst * KV_BYTES, p, o);", "")],
    "no_store": [("if (vec) *reinterpret_cast<uint4*>(dst)", "if (inv == 12345.f) *reinterpret_cast<uint4*>(dst)")],
    "serial": [("constexpr bool SERIAL = D > 128 || NC == 3;", "constexpr bool SERIAL = true;")],
}


def apply_edits(text, edits, where):
    """The kernel header's text with a variant's edits made in its Hopper section."""
    cut = text.index(MARK)
    head, tail = text[:cut], text[cut:]
    for old, new in edits:
        if old not in tail:
            raise SystemExit(f"ablate: {where}: the Hopper section has no `{old}` (the kernel changed; update VARIANTS)")
        tail = tail.replace(old, new)
    return head + tail


def symbol(build, name):
    """The pattern name in a variant's symbols. Variants loaded into one process must not share
    names: the runtime's function-local statics (schedule caches, the shared-memory attribute
    flags) are unique symbols that the dynamic linker shares between libraries."""
    return f"{build}_v_{name}"


def copy_build(src_dir, build, name):
    """A copy of the build folder `src_dir` as variant `name` of `build`: its .cu renamed to the
    variant's build name and the pattern's symbols to symbol(build, name). Returns (vname, dst)."""
    vname = f"{build}__{name}"
    dst = os.path.join(WORK, "src", vname)
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src_dir, dst)
    os.rename(os.path.join(dst, build + ".cu"), os.path.join(dst, vname + ".cu"))
    for f in os.listdir(dst):
        path = os.path.join(dst, f)
        if os.path.isfile(path) and f.endswith((".cu", ".h")):
            text = open(path).read()  # read before opening for writing (which empties the file)
            open(path, "w").write(text.replace(f"attnc_{build}", f"attnc_{symbol(build, name)}"))
    return vname, dst


def make_variant(build, name, edits):
    """The build under a variant name, with its own copy of the runtime (dst/include/attnc) edited."""
    vname, dst = copy_build(os.path.join(WORK, "src", build), build, name)
    shutil.copytree("runtime/cuda/attnc", os.path.join(dst, "include", "attnc"))
    kernel = os.path.join(dst, "include", "attnc", os.path.basename(KERNEL))
    open(kernel, "w").write(apply_edits(open(KERNEL).read(), edits, f"{build} ({name})"))
    return vname


def make_ref(build, ref_dir):
    """The build as another checkout generated it, under a variant name."""
    vname, dst = copy_build(os.path.join(ref_dir, build), build, "ref")
    include = os.path.join(ref_dir, "..", "include")
    if os.path.isdir(include):
        shutil.copytree(include, os.path.join(dst, "include"))
    return vname


def main():
    import statistics

    import numpy as np
    import torch
    import triton.testing as tt

    sys.path.insert(0, os.path.dirname(__file__))
    import run  # compile_all, Kernel, BUILD, OUT

    ap = argparse.ArgumentParser()
    ap.add_argument("--builds", default="chunk2048,causal")
    ap.add_argument("--S", type=int, default=16384)
    ap.add_argument("--D", type=int, default=128, help="head dim")
    ap.add_argument("--block-kv", type=int, default=128)
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--ref", default="")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    manifest = json.load(open(os.path.join(WORK, "manifest.json")))
    builds = args.builds.split(",")
    variants = args.variants.split(",")
    names = {(b, v): make_variant(b, v, VARIANTS[v]) for b in builds for v in variants}
    if args.ref:
        variants.append("ref")
        names.update({(b, "ref"): make_ref(b, args.ref) for b in builds})
    compiled = run.compile_all(sorted(set(names.values())))
    B, H, S, D = 1, 16, args.S, args.D
    q, k, v = (torch.randn(B, H, S, D, device="cuda", dtype=torch.bfloat16) for _ in range(3))
    o = torch.empty_like(q)
    lse = torch.empty(B, H, S, device="cuda")
    rows = []
    for b in builds:
        cfg = next(c for c in manifest["perf"] if c["build"] == b and c["S"] == S)
        inputs = {n: torch.from_numpy(np.load(os.path.join(WORK, f))).int().cuda() for n, f in cfg.get("inputFiles", {}).items()}
        calls = {}
        for var in variants:
            n = names[(b, var)]
            if compiled[n][1] != 0:
                rows.append({"build": b, "variant": var, "error": "compile failed"})
                continue
            kern = run.Kernel(n, [], list(inputs), pattern=symbol(b, var))
            a = kern.args(q, k, v, o, lse, args.block_kv, {}, inputs)
            kern(a)
            torch.cuda.synchronize()
            calls[var] = (kern, a)
        times = {var: [] for var in calls}
        for _ in range(args.rounds):
            for var, (kern, a) in calls.items():
                times[var].append(tt.do_bench(lambda: kern(a), warmup=50, rep=300, return_mode="median"))
        base = statistics.median(times["base"]) if "base" in times else None
        for var, ts in times.items():
            ms = statistics.median(ts)
            tflops = 4 * B * H * S * S * D / cfg["ideal128"] / ms / 1e9
            rows.append({"build": b, "variant": var, "ms": ms, "times": ts, "vs_base": ms / base if base else None, "tile_tflops": tflops})
            rel = f"{ms / base:.3f} of base" if base else ""
            run.log(f"{b:20s} {var:12s} {ms:.3f} ms  {rel}  {tflops:.0f} TFLOP/s  ({' '.join(f'{t:.3f}' for t in ts)})")
    os.makedirs(run.OUT, exist_ok=True)
    out = {"device": torch.cuda.get_device_name(), "torch": torch.__version__, "date": time.strftime("%Y-%m-%d"),
           "command": " ".join(["python3"] + sys.argv), "S": S, "D": D, "block_kv": args.block_kv, "rows": rows}
    tmp = os.path.join(run.OUT, "cuda-ablate.json.tmp")
    json.dump(out, open(tmp, "w"), indent=1)
    os.replace(tmp, os.path.join(run.OUT, "cuda-ablate.json"))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--self-check"]:
        # Every variant's edits apply to the given kernel headers (no GPU or torch needed).
        for f in sys.argv[2:]:
            for name, edits in VARIANTS.items():
                apply_edits(open(f).read(), edits, f"{f} ({name})")
        print(f"ablate: {len(VARIANTS)} variants apply to {len(sys.argv) - 2} files")
    else:
        main()
