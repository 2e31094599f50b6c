"""Markdown tables of the data-dependent selection's GPU check and benchmark, from their JSON
(bench/cuda/select_check.py, bench/cuda/select_bench.py), for bench/results:

    python3 bench/cuda/select_report.py CHECK.json BENCH.json > REPORT.md
"""
import json
import sys


def main():
    check = json.load(open(sys.argv[1]))
    bench = json.load(open(sys.argv[2]))
    out = []
    res = check["results"]
    ok = sum(1 for r in res if r["ok"])
    grads = [r for r in res if r.get("grad_rel_err") is not None]
    out.append(f"## Correctness ({check['device']}, PyTorch {check['torch']})\n")
    out.append(f"{ok} of {len(res)} checks pass; {len(grads)} of them also check the gradients. Per pattern:\n")
    out.append("| pattern | checks | pass | worst abs error / tolerance | selection rows differing | rows skipped (near tie) | worst gradient rel. error | fully masked rows |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name in sorted({r["pattern"] for r in res}):
        rs = [r for r in res if r["pattern"] == name]
        g = [r["grad_rel_err"] for r in rs if r.get("grad_rel_err") is not None]
        out.append(f"| {name} | {len(rs)} | {sum(1 for r in rs if r['ok'])} | {max(r['max_abs_err'] / r['tol'] for r in rs):.3f} | "
                   f"{sum(r.get('selection_rows_differing', 0) for r in rs)} | {sum(r['near_tie_rows_skipped'] for r in rs)} | "
                   f"{max(g):.2e} | {sum(r['masked_rows'] for r in rs)} |" if g else
                   f"| {name} | {len(rs)} | {sum(1 for r in rs if r['ok'])} | {max(r['max_abs_err'] / r['tol'] for r in rs):.3f} | "
                   f"{sum(r.get('selection_rows_differing', 0) for r in rs)} | {sum(r['near_tie_rows_skipped'] for r in rs)} | - | {sum(r['masked_rows'] for r in rs)} |")
    out.append("")
    out.append(f"## Speed ({bench['device']}, PyTorch {bench['torch']}; batch 1, 16 heads, head dim 128, bf16)\n")
    out.append("Times in ms (median). attnc: one call (selection + attention); its split from the profiler's kernel times. "
               "Flex: the recipe's selection (torch) and `torch.compile(flex_attention)` on its BlockMask, and both together. "
               "Ratios: the other's time over attnc's.\n")
    out.append("| pattern | S | attnc total | attnc selection (share) | attnc attention | Flex selection | Flex attention | Flex total | **vs Flex total** | vs Flex attention | dense FA2 | dense cuDNN | vs dense FA2 | outputs vs Flex (max abs diff) |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in bench["rows"]:
        if "error" in r:
            out.append(f"| {r['pattern']} | {r['S']} | error: {r['error'][:80]} |" + " |" * 12)
            continue
        out.append(f"| {r['pattern']} | {r['S']} | {r['attnc_total_ms']:.3f} | {r['attnc_selection_ms']:.3f} ({100 * r['attnc_selection_share']:.0f}%) | "
                   f"{r['attnc_attention_ms']:.3f} | {r['flex_selection_ms']:.3f} | {r['flex_attention_ms']:.3f} | {r['flex_total_ms']:.3f} | "
                   f"**{r['vs_flex_total']:.2f}x** | {r['vs_flex_attention']:.2f}x | {r['dense_flash_ms']:.2f} | {r['dense_cudnn_ms']:.2f} | "
                   f"{r['vs_dense_flash']:.1f}x | {r['max_abs_diff_vs_flex']:.4f} |")
    kernels = [r for r in bench["rows"] if r.get("attnc_selection_kernels_ms")]
    if kernels:
        names = sorted({n for r in kernels for n in r["attnc_selection_kernels_ms"]})
        out.append("\nThe selection's kernels (ms per call, from the profiler):\n")
        out.append("| pattern | S | " + " | ".join(names) + " |")
        out.append("|---|---:|" + "---:|" * len(names))
        for r in kernels:
            k = r["attnc_selection_kernels_ms"]
            out.append(f"| {r['pattern']} | {r['S']} | " + " | ".join(f"{k[n]:.3f}" if n in k else "-" for n in names) + " |")
    print("\n".join(out))


if __name__ == "__main__":
    main()
