"""Box tiles against strips in attnc's CUDA Hopper kernel (docs/schedule.md, "Box tiles"), with
FlexAttention on the same q/k/v and the same mask: image and video neighbourhoods (natten-2d,
natten-3d), Swin windows, and radial attention (no layout: strips only). Batch 1, 16 heads, head
dim 128, bf16.

Per configuration: attnc with ATTNC_CUDA_TILES=box, =strip and unset (the runtime's automatic
choice), each the median of triton.testing.do_bench (run.py's timing) after an untimed first call
(which plans; its time is reported apart); FlexAttention as torch.compile(flex_attention) with a
BlockMask from create_block_mask over the pattern's emitted mask_mod (attnc's flex target, so both
sides use one mask; the BlockMask's creation is not timed). Correctness at the benchmark shape:
each attnc mode's output against FlexAttention's (bf16 both; max abs error, relative L2 error),
fully masked rows (if the planner found any) must be 0, and the Flex mask_mod's allowed pairs
must equal the count from attnc's planner. NATTEN itself is not measured: it cannot be installed
on the GPU machine (no network, no wheel).

Prepare here (Node.js), from the tree whose CUDA runtime is run, then run on the GPU machine from
the repository root (bench/cuda/work/box/ carried):

    npx tsx bench/cuda/box/prepare.ts
    python3 bench/cuda/box_bench.py [--only natten2d_k13_256,...] [--modes box,strip,auto] [--compile-only]

Writes $OUT/cuda-box-bench.json and $OUT/cuda-box-bench.md (or bench/results/). A JSON file can
be rendered again with `python3 bench/cuda/box_bench.py --report FILE`.
"""
import argparse
import importlib.util
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, "runtime/python")  # the emitted flex_mask.py imports attnc.flex
import run as R  # noqa: E402

R.WORK = "bench/cuda/work/box"  # run.py's compile_all reads <WORK>/src/<build>/<build>.cu
OUT = os.environ.get("OUT", "bench/results")
B, H, D = 1, 16, 128
MODES = ("box", "strip", "auto")
NATTEN_NOTE = "NATTEN itself is not measured: it cannot be installed on the GPU machine (no network, no wheel)."


def configs(only=()):
    root = os.path.join(R.WORK, "src")
    out = []
    for name in sorted(os.listdir(root)):
        meta = json.load(open(os.path.join(root, name, "meta.json")))
        if not only or meta["id"] in only:
            out.append(meta)
    return sorted(out, key=lambda m: m["order"])


def flex_module(meta):
    path = os.path.join(R.WORK, "src", meta["build"], "flex_mask.py")
    spec = importlib.util.spec_from_file_location(meta["build"] + "_flex", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # torch.compile looks the mask_mod's globals up by module name
    spec.loader.exec_module(mod)
    return mod


def set_tiles(mode):
    if mode == "auto":
        os.environ.pop("ATTNC_CUDA_TILES", None)
    else:
        os.environ["ATTNC_CUDA_TILES"] = mode


def count_allowed(mask_mod, S, device, rows=1024):
    """Allowed (q, k) pairs of one head, by evaluating mask_mod in chunks of query rows."""
    k = torch.arange(S, device=device)[None, :]
    n = 0
    for q0 in range(0, S, rows):
        q = torch.arange(q0, min(S, q0 + rows), device=device)[:, None]
        n += int(mask_mod(0, 0, q, k).sum().item())
    return n


def masked_rows(meta):
    return [r for a, b in meta["fully_masked_rows"] for r in range(a, b)]


def run_config(meta, flex, reps):
    import triton.testing as tt
    from torch.nn.attention.flex_attention import create_block_mask

    S = meta["S"]
    res = summary(meta) | {"layout": meta["layout"], "allowed_pairs": meta["allowed_pairs"], "attnc": {}}
    g = torch.Generator(device="cuda").manual_seed(S)
    q, k, v = (torch.randn(B, H, S, D, generator=g, device="cuda", dtype=torch.bfloat16) for _ in range(3))
    mask_mod = flex_module(meta).mask_mod(S, S, device="cuda")
    res["flex_allowed_pairs"] = count_allowed(mask_mod, S, "cuda")
    res["mask_pairs_match"] = res["flex_allowed_pairs"] == meta["allowed_pairs"]

    # FlexAttention: the BlockMask is built (and timed) apart; its kernel alone is compared.
    t0 = time.perf_counter()
    bm = create_block_mask(mask_mod, 1, 1, S, S, device="cuda", _compile=True)
    torch.cuda.synchronize()
    res["flex_block_mask_s"] = time.perf_counter() - t0
    res["flex_tiles"] = {"full": int(bm.full_kv_num_blocks.sum().item()) if bm.full_kv_num_blocks is not None else 0,
                         "partial": int(bm.kv_num_blocks.sum().item())}
    fn = lambda: flex(q, k, v, block_mask=bm)  # noqa: E731
    t0 = time.perf_counter()
    of = fn()
    torch.cuda.synchronize()
    res["flex_compile_s"] = time.perf_counter() - t0
    res["flex_ms"] = tt.do_bench(fn, warmup=reps[0], rep=reps[1], return_mode="median")

    kern = R.Kernel(meta["build"])
    rows = torch.tensor(masked_rows(meta), dtype=torch.long, device="cuda")
    res["masked_rows"] = len(rows)
    outs = {}
    for mode in MODES_RUN:
        if mode == "box" and not meta["layout"]:
            res["attnc"][mode] = {"skipped": "no layout: strips only"}
            continue
        set_tiles(mode)
        o = torch.full_like(q, float("nan"))
        lse = torch.empty(B, H, S, device="cuda")
        a = kern.args(q, k, v, o, lse, 0)  # block_kv 0: the host's choice
        r = {}
        try:
            t0 = time.perf_counter()
            kern(a)
            torch.cuda.synchronize()
            r["first_call_ms"] = (time.perf_counter() - t0) * 1e3
            d = (o.float() - of.float()).abs()
            r["max_abs_err"] = d.max().item()
            r["rel_l2_err"] = R.rel(o, of)
            r["nan"] = bool(torch.isnan(o).any().item())
            r["masked_rows_zero"] = bool((o[:, :, rows] == 0).all().item()) if len(rows) else None
            r["ok"] = not r["nan"] and r["rel_l2_err"] < 2e-2 and r["masked_rows_zero"] is not False
            outs[mode] = o
            r["ms"] = tt.do_bench(lambda: kern(a), warmup=reps[0], rep=reps[1], return_mode="median")
            r["flex_over_attnc"] = res["flex_ms"] / r["ms"]
        except RuntimeError as e:  # the entry point refused (an error code)
            r["error"] = str(e)
        res["attnc"][mode] = r
    set_tiles("auto")
    if res["layout"] and "box" in outs and "strip" in outs:
        # Different tiles reduce in a different order: identical outputs mean the mode did not reach the planner.
        res["box_strip_bitwise_equal"] = bool(torch.equal(outs["box"], outs["strip"]))
    if len(rows):
        res["flex_masked_rows_zero"] = bool((of[:, :, rows] == 0).all().item())
    return res


def summary(meta):
    """A result row's facts from prepare.ts: attnc's tiles per (batch, head) at 128 x 128 and the element-level ideal."""
    return {k: meta[k] for k in ("id", "label", "S", "element_ideal")} | {"tiles": {k: meta[k] for k in ("strip", "best_box", "auto")}}


def fmt(x, f=".3f"):
    return "-" if x is None else format(x, f)


def tiles_text(t):
    if not t:
        return "-"
    box = f" {t['box']['q']}" + (f"/{t['box']['kv']}" if t["box"]["kv"] != t["box"]["q"] else "") if t.get("box") else ""
    return f"{t['full'] + t['partial']} ({t['full']}+{t['partial']}){box}"


def auto_text(r):
    box = r["tiles"]["auto"]["box"]
    return f"box {box['q']}" + (f"/{box['kv']}" if box["kv"] != box["q"] else "") if box else "strip"


def report(out):
    L = ["# attnc CUDA: box tiles against strips, with FlexAttention", "",
         f"{out.get('device', '?')}, torch {out.get('torch', '?')}, {out.get('date', '?')}; batch {B}, {H} heads, head dim {D}, bf16. "
         f"Command: `{out.get('command', '?')}`", "",
         "ms: median of triton.testing.do_bench after an untimed first call; attnc with ATTNC_CUDA_TILES=box, =strip, unset (auto), "
         "the host's key block; Flex: torch.compile(flex_attention), BlockMask from create_block_mask over attnc's emitted mask_mod (creation not timed). "
         "xN: Flex ms / attnc ms. Tiles: attnc's TypeScript planner at 128 x 128 per (batch, head), listed (FULL+PARTIAL) and box shape; "
         "element ideal: dense pairs / allowed pairs.", "", NATTEN_NOTE, "",
         "| config | S | strip tiles | best box tiles | planner's auto | element ideal | box ms | strip ms | auto ms | Flex ms | Flex/box | Flex/strip | Flex/auto | strip/box |",
         "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    ms = lambda r, m: r.get("attnc", {}).get(m, {}).get("ms")  # noqa: E731
    ratio = lambda a, b: f"{a / b:.2f}x" if a and b else "-"  # noqa: E731
    for r in out["rows"]:
        if "error" in r:
            L.append(f"| {r['label']} | {r['S']} | {tiles_text(r['tiles']['strip'])} | {tiles_text(r['tiles']['best_box'])} | {auto_text(r)} | {r['element_ideal']:.1f}x | error: {r['error'][:80]} |||||||||")
            continue
        L.append(f"| {r['label']} | {r['S']} | {tiles_text(r['tiles']['strip'])} | {tiles_text(r['tiles']['best_box'])} | {auto_text(r)} | {r['element_ideal']:.1f}x | "
                 f"{fmt(ms(r, 'box'))} | {fmt(ms(r, 'strip'))} | {fmt(ms(r, 'auto'))} | {fmt(r.get('flex_ms'))} | "
                 f"{ratio(r.get('flex_ms'), ms(r, 'box'))} | {ratio(r.get('flex_ms'), ms(r, 'strip'))} | {ratio(r.get('flex_ms'), ms(r, 'auto'))} | {ratio(ms(r, 'strip'), ms(r, 'box'))} |")
    L += ["", "Correctness at the benchmark shape, attnc against FlexAttention (bf16 both); first call (ms, includes planning); "
          "Flex's BlockMask tiles (should equal attnc's strips); allowed pairs of the Flex mask_mod against attnc's planner.", "",
          "| config | mode | max abs err | rel L2 err | ok | first call ms | fully masked rows (zero) | Flex BlockMask tiles | mask pairs equal |",
          "|---|---|---:|---:|---|---:|---|---:|---|"]
    for r in out["rows"]:
        for m in MODES:
            c = r.get("attnc", {}).get(m)
            if c is None:
                continue
            if "ms" not in c and "max_abs_err" not in c:
                L.append(f"| {r['label']} | {m} | {c.get('skipped') or 'error: ' + c.get('error', '?')} |||||||")
                continue
            zero = "none" if not r.get("masked_rows") else f"{r['masked_rows']} ({c.get('masked_rows_zero')})"
            flex_tiles = f"{r['flex_tiles']['full'] + r['flex_tiles']['partial']} ({r['flex_tiles']['full']}+{r['flex_tiles']['partial']})" if r.get("flex_tiles") else "-"
            L.append(f"| {r['label']} | {m} | {c['max_abs_err']:.2e} | {c['rel_l2_err']:.2e} | {'yes' if c.get('ok') else 'NO'} | {fmt(c.get('first_call_ms'), '.1f')} | {zero} | {flex_tiles} | {r.get('mask_pairs_match')} |")
    # Only where the best box lists other tiles than the strip (a 1 x 128 box on a 128-wide image is a strip).
    listed = lambda t: t["full"] + t["partial"]  # noqa: E731
    same = [r["label"] for r in out["rows"] if r.get("box_strip_bitwise_equal") and listed(r["tiles"]["best_box"]) != listed(r["tiles"]["strip"])]
    if same:
        L += ["", f"WARNING: box and strip outputs are bitwise equal for {', '.join(same)}: ATTNC_CUDA_TILES may not have reached the runtime's planner."]
    return "\n".join(L) + "\n"


def save(out):
    os.makedirs(OUT, exist_ok=True)
    for name, text in (("cuda-box-bench.json", json.dumps(out, indent=1)), ("cuda-box-bench.md", report(out))):
        tmp = os.path.join(OUT, name + ".tmp")
        open(tmp, "w").write(text)
        os.replace(tmp, os.path.join(OUT, name))


def main():
    global MODES_RUN
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="", help="configuration ids (meta.json's id), comma-separated")
    ap.add_argument("--modes", default=",".join(MODES), help="attnc tile modes to run: box, strip, auto")
    ap.add_argument("--warmup-ms", type=int, default=25)
    ap.add_argument("--rep-ms", type=int, default=100)
    ap.add_argument("--compile-only", action="store_true", help="build the libraries (cached in $ATTNC_BUILD) and exit")
    ap.add_argument("--report", default="", help="render the markdown of a JSON result file and exit")
    args = ap.parse_args()
    if args.report:
        sys.stdout.write(report(json.load(open(args.report))))
        return
    MODES_RUN = tuple(m for m in args.modes.split(",") if m)
    metas = configs(set(filter(None, args.only.split(","))))
    compiled = R.compile_all([m["build"] for m in metas])
    if args.compile_only:
        return
    R.use_path("sm90")
    import torch._dynamo
    from torch.nn.attention.flex_attention import flex_attention
    # One compiled FlexAttention per mask and length: past dynamo's recompile limit it would run eager.
    torch._dynamo.config.cache_size_limit = 256
    if hasattr(torch._dynamo.config, "recompile_limit"):
        torch._dynamo.config.recompile_limit = 256
    flex = torch.compile(flex_attention, dynamic=False)
    out = {"device": torch.cuda.get_device_name(), "torch": torch.__version__, "date": time.strftime("%Y-%m-%d %H:%M"),
           "command": " ".join(["python3"] + sys.argv), "batch": B, "heads": H, "head_dim": D, "natten": NATTEN_NOTE, "rows": []}
    for meta in metas:
        t0 = time.time()
        if compiled[meta["build"]][1] != 0:
            res = summary(meta) | {"error": "compile failed"}
        else:
            try:
                res = run_config(meta, flex, (args.warmup_ms, args.rep_ms))
                torch.cuda.empty_cache()
            except Exception as e:  # noqa: BLE001 (out of memory, a Flex compile failure, ...): the next configuration still runs
                torch.cuda.empty_cache()
                res = summary(meta) | {"error": f"{type(e).__name__}: {e}"[:500]}
        out["rows"].append(res)
        R.log(f"{meta['id']} ({time.time() - t0:.0f} s): " + json.dumps({m: res.get("attnc", {}).get(m, {}).get("ms") for m in MODES} | {"flex": res.get("flex_ms"), "error": res.get("error")}))
        save(out)  # partial results survive a time limit
    R.log(report(out))


MODES_RUN = MODES

if __name__ == "__main__":
    main()
