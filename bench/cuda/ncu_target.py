"""Runs attnc kernels of the benchmark suite a few times each, for a profiler (Nsight Compute):

    python3 bench/cuda/ncu_target.py --only chunk2048 --size 16384 [--paths sm90]
    ncu --kernel-name regex:attnc_forward --launch-skip 1 --launch-count 1 --set full python3 bench/cuda/ncu_target.py ...

Builds with the same nvcc flags as run.py (from bench/cuda/work, prepared by prepare.ts).
"""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as R  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", required=True)
    ap.add_argument("--size", type=int, default=16384)
    ap.add_argument("--paths", default="sm90")
    ap.add_argument("--block-kv", type=int, default=128)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    import json
    manifest = json.load(open(os.path.join(R.WORK, "manifest.json")))
    only = set(args.only.split(","))
    cfgs = [c for c in manifest["perf"] if c["S"] == args.size and c["id"] in only]
    R.compile_all(sorted({c["build"] for c in cfgs}))
    B, H, D, S = 1, 16, 128, args.size
    q, k, v = (torch.randn(B, H, S, D, device="cuda", dtype=torch.bfloat16) for _ in range(3))
    for cfg in cfgs:
        inputs = {n: torch.from_numpy(np.load(os.path.join(R.WORK, f))).int().cuda() for n, f in cfg.get("inputFiles", {}).items()}
        kern = R.Kernel(cfg["build"], [], list(inputs.keys()))
        o, lse = torch.empty_like(q), torch.empty(B, H, S, device="cuda")
        for path in args.paths.split(","):
            R.use_path(path)
            a = kern.args(q, k, v, o, lse, args.block_kv, {}, inputs)
            for _ in range(args.repeat):
                kern(a)
            torch.cuda.synchronize()
            print(cfg["id"], path, "ran", args.repeat, "times", flush=True)


if __name__ == "__main__":
    main()
