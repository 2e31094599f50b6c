"""Markdown tables of bench_bwd.py results (one or more cuda-bwd-results.json files):

    python3 bench/cuda/bwd_table.py bench/results/cuda-h200-bwd-suite-*.json

Per size: each pattern's attnc and FlexAttention backward and forward + backward times, the
ratios (FlexAttention's time over attnc's: above 1 is attnc faster), full-tile backward TFLOP/s
(2.5x the forward FLOPs of the listed tiles) and % of the tile ideal priced at cuDNN's dense
backward rate; then geometric means over the patterns FlexAttention runs, and the dense rows.
"""
import json
import math
import sys


def gmean(xs):
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else float("nan")


def main(files):
    rows, dense = [], {}
    for f in files:
        j = json.load(open(f))
        rows += j["rows"]
        dense.update(j["dense"])
    out = []
    for S in sorted({r["S"] for r in rows}):
        rs = [r for r in rows if r["S"] == S]
        out += [f"### S = {S // 1024}k", "",
                "| pattern | attnc fwd ms | attnc bwd ms | Flex fwd ms | Flex bwd ms | bwd vs Flex | fwd+bwd vs Flex | bwd TFLOP/s | % of ideal |",
                "|---|---|---|---|---|---|---|---|---|"]
        f3 = lambda x: "-" if x is None else f"{x:.3f}"  # noqa: E731
        f2 = lambda x: "-" if x is None else f"{x:.2f}x"  # noqa: E731
        for r in rs:
            out.append(f"| {r['id']} | {r['attnc_fwd_ms']:.3f} | {r['attnc_bwd_ms']:.3f} | {f3(r['flex_fwd_ms'])} | {f3(r['flex_bwd_ms'])} | "
                       f"{f2(r['bwd_vs_flex'])} | {f2(r['fwd_bwd_vs_flex'])} | {r['bwd_tile_tflops']:.0f} | {r['bwd_pct_of_ideal']:.0f}% |")
        fx = [r for r in rs if r["bwd_vs_flex"]]
        wins = sum(r["bwd_vs_flex"] >= 1 for r in fx)
        out += ["", f"Geometric mean over the {len(fx)} patterns FlexAttention runs: backward {gmean([r['bwd_vs_flex'] for r in fx]):.2f}x, "
                f"forward + backward {gmean([r['fwd_bwd_vs_flex'] for r in fx]):.2f}x; attnc's backward at least as fast on {wins} of {len(fx)}. "
                f"Full-tile backward rate: median {sorted(r['bwd_tile_tflops'] for r in rs)[len(rs) // 2]:.0f} TFLOP/s, best {max(r['bwd_tile_tflops'] for r in rs):.0f}."]
        flops = 4 * 16 * S * S * 128
        dn = [f"{name} {dense[f'{S}_{name}']['bwd_ms']:.3f} ms ({2.5 * flops / dense[f'{S}_{name}']['bwd_ms'] / 1e9:.0f} TFLOP/s)" for name in ("fa2", "cudnn") if f"{S}_{name}" in dense]
        out += ["", f"Dense backward (SDPA): {', '.join(dn)}.", ""]
    print("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1:])
