"""GPU check of patterns with a `select` clause (data-dependent key blocks): attnc's CUDA forward
against a float64 reference of docs/language.md's semantics ("Data-dependent selection"), on
random inputs, integer-valued inputs (exact ties), q_len != kv_len, sizes that are not block
multiples, GQA, per-kv-head selection, k at or past the number of candidates, fully masked rows,
and a score input (random gates with NaNs, which rank last; integer gates with exact ties).

Run on the GPU machine from the repository root (after `npx tsx bench/cuda/select/prepare.ts` here: the
patterns' generated CUDA folders under --gen, each with a `check.json` describing its reference
masks):

    python3 bench/cuda/select_check.py --gen bench/cuda/work/select

Writes $OUT/select-check.json. Exit status 1 when a check fails.
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

OUT = os.environ.get("OUT", "bench/results")


def masks(spec, q_len, kv_len, dev):
    """A (allow) and R (restriction) as dense bool [q_len, kv_len] from the spec's Python expressions."""
    q = torch.arange(q_len, device=dev).view(-1, 1)
    k = torch.arange(kv_len, device=dev).view(1, -1)
    env = {"q": q, "k": k, "q_len": q_len, "kv_len": kv_len, "torch": torch}
    A = eval(spec["allow"], env) if spec["allow"] else torch.zeros(q_len, kv_len, dtype=torch.bool, device=dev)
    R = eval(spec["restriction"], env) if spec["restriction"] else torch.ones(q_len, kv_len, dtype=torch.bool, device=dev)
    return torch.broadcast_to(A, (q_len, kv_len)), torch.broadcast_to(R, (q_len, kv_len))


def pool(x, blk, kind):
    """x [G, n, d] float64 -> [G, nblocks, d]: mean, max or min over each block's rows."""
    G, n, d = x.shape
    nb = (n + blk - 1) // blk
    pad = nb * blk - n
    fill = {"mean": 0.0, "max": -math.inf, "min": math.inf}[kind]
    xp = torch.cat([x, torch.full((G, pad, d), fill, dtype=x.dtype, device=x.device)], 1).view(G, nb, blk, d)
    if kind == "mean":
        counts = torch.full((nb,), float(blk), dtype=x.dtype, device=x.device)
        counts[-1] = n - (nb - 1) * blk
        return xp.sum(2) / counts.view(1, nb, 1)
    return xp.amax(2) if kind == "max" else xp.amin(2)


def reference(spec, q, k, v, scale, gate=None):
    """The semantics in float64: scores, candidates, top-k (ties to the lower block), the mask, the output."""
    B, H, Sq, D = q.shape
    KVH, Sk = k.shape[1], k.shape[2]
    ratio = H // KVH
    bq, bk, topk = spec["bq"], spec["bk"], spec["topk"]
    nQ, nK = (Sq + bq - 1) // bq, (Sk + bk - 1) // bk
    A, R = masks(spec, Sq, Sk, q.device)
    # Candidates: a cell holding some (q, k) with R && !A.
    gain = (R & ~A).to(torch.float64)
    gp = torch.nn.functional.pad(gain, (0, nK * bk - Sk, 0, nQ * bq - Sq))
    cand = gp.view(nQ, bq, nK, bk).amax((1, 3)) > 0
    qd, kd = q.double(), k.double()
    pq = pool(qd.reshape(B * H, Sq, D), bq, "mean").view(B, H, nQ, D)
    kind = spec["score"]
    if kind == "dot_mean":
        pk = pool(kd.reshape(B * KVH, Sk, D), bk, "mean").view(B, KVH, nK, D)
        s = torch.einsum("bhid,bhjd->bhij", pq, pk.repeat_interleave(ratio, 1))
    elif kind == "dot_max":
        pk = pool(kd.reshape(B * KVH, Sk, D), bk, "max").view(B, KVH, nK, D)
        s = torch.einsum("bhid,bhjd->bhij", pq, pk.repeat_interleave(ratio, 1))
    elif kind == "input":
        s = gate.double()
    else:  # bound
        mx = pool(kd.reshape(B * KVH, Sk, D), bk, "max").view(B, KVH, nK, D).repeat_interleave(ratio, 1)
        mn = pool(kd.reshape(B * KVH, Sk, D), bk, "min").view(B, KVH, nK, D).repeat_interleave(ratio, 1)
        s = torch.maximum(pq.unsqueeze(3) * mx.unsqueeze(2), pq.unsqueeze(3) * mn.unsqueeze(2)).sum(-1)
    if spec["per_kv_head"]:
        s = s.view(B, KVH, ratio, nQ, nK).sum(2).repeat_interleave(ratio, 1)
    # Ranking: candidates by score (descending, NaN below every number but above non-candidates),
    # ties to the lower j (a stable sort).
    s = torch.where(torch.isnan(s), torch.full_like(s, -1e300), s)
    key = torch.where(cand.view(1, 1, nQ, nK), s, torch.full_like(s, -math.inf))
    order = torch.sort(-key, dim=-1, stable=True).indices
    ranked_cand = torch.gather(cand.view(1, 1, nQ, nK).expand(B, H, nQ, nK), -1, order)
    pick = torch.zeros(B, H, nQ, nK, dtype=torch.bool, device=q.device)
    take = ranked_cand & (torch.arange(nK, device=q.device).view(1, 1, 1, -1) < topk)
    pick.scatter_(-1, order, take)
    # Rows whose k-th and (k+1)-th candidate scores are within rounding of each other (fp32 on the GPU).
    sk_sorted = torch.gather(key, -1, order)
    near = torch.zeros(B, H, nQ, dtype=torch.bool, device=q.device)
    if 0 < topk < nK:
        a_, b_ = sk_sorted[..., topk - 1], sk_sorted[..., topk]
        both = torch.isfinite(a_) & torch.isfinite(b_)
        near = both & ((a_ - b_).abs() <= 1e-4 * (a_.abs() + b_.abs() + 1e-6)) & (a_ != b_)
    cell = pick.repeat_interleave(bq, 2)[:, :, :Sq].repeat_interleave(bk, 3)[:, :, :, :Sk]
    M = (A.view(1, 1, Sq, Sk) | cell) & R.view(1, 1, Sq, Sk)
    out = masked_attention(qd, kd, v.double(), M, scale)
    return out, near.repeat_interleave(bq, 2)[:, :, :Sq], pick, M


def masked_attention(qd, kd, vd, M, scale):
    """Softmax attention under mask M [B, H, Sq, Sk] (GQA: k, v repeated), float64; rows with no key give 0."""
    ratio = qd.shape[1] // kd.shape[1]
    sc = torch.einsum("bhqd,bhkd->bhqk", qd, kd.repeat_interleave(ratio, 1)) * scale
    sc = sc.masked_fill(~M, -math.inf)
    p = torch.softmax(sc, -1).nan_to_num(0.0)
    return torch.einsum("bhqk,bhkd->bhqd", p, vd.repeat_interleave(ratio, 1))


def grad_check(ext, q, k, v, M, scale, prm, extra):
    """Gradients of attnc's backward against float64 autograd under the same mask (the selection is not differentiated)."""
    o, lse = ext.forward(q, k, v, scale, 0, prm, extra)
    g = torch.Generator(device=q.device).manual_seed(7)
    dout = torch.randn(o.shape, generator=g, device=q.device).to(q.dtype)
    dq, dk, dv = ext.backward(dout, q, k, v, o, lse, scale, True, prm, extra)
    qd, kd, vd = (x.double().requires_grad_(True) for x in (q, k, v))
    ref = masked_attention(qd, kd, vd, M, scale)
    ref.backward(dout.double())
    worst = 0.0
    for got, want in ((dq, qd.grad), (dk, kd.grad), (dv, vd.grad)):
        if torch.isnan(got).any():
            return float("inf")
        worst = max(worst, ((got.double() - want).abs().amax() / want.abs().amax().clamp(min=1e-6)).item())
    return worst


def build_one(name, folder):
    build.load_extension(name, folder)
    return name


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gen", default="bench/cuda/work/select")
    args = ap.parse_args()
    specs = []
    for name in sorted(os.listdir(args.gen)):
        f = os.path.join(args.gen, name, "check.json")
        if os.path.isfile(f):
            specs.append((name, os.path.join(args.gen, name), json.load(open(f))))
    # Build the extensions in parallel (torch caches them on disk), then load them here.
    with cf.ProcessPoolExecutor(max_workers=min(8, len(specs))) as ex:
        for n in ex.map(build_one, [s[0] for s in specs], [s[1] for s in specs]):
            print("built", n, flush=True)
    dev = "cuda"
    results, failures = [], 0
    shapes = [(2, 4, 4, 1000, 1000, 64), (1, 4, 2, 2048, 2048, 128), (2, 4, 2, 700, 1500, 128), (1, 2, 1, 1536, 1536, 256), (1, 4, 4, 4096, 4096, 128)]
    for name, folder, spec in specs:
        ext = build.load_extension(name, folder)
        for (B, H, KVH, Sq, Sk, D) in shapes:
            for data in ("normal", "int"):
                for dtype in (torch.bfloat16,):
                    for block_kv in ([0, 64] if D <= 128 else [0]):
                        g = torch.Generator(device=dev).manual_seed(hash((name, B, H, Sq, Sk, D, data, block_kv)) % (2**31))
                        def rnd(*shape):
                            x = torch.randn(*shape, generator=g, device=dev)
                            if data == "int":
                                x = torch.randint(-1, 2, shape, generator=g, device=dev).float()
                            return x.to(dtype)
                        q, k, v = rnd(B, H, Sq, D), rnd(B, KVH, Sk, D), torch.randn(B, KVH, Sk, D, generator=g, device=dev).to(dtype)
                        scale = 1.0 / math.sqrt(D)
                        prm = [float(x) for x in spec.get("params", [])]
                        gate, extra = None, []
                        if spec["score"] == "input":
                            # A learned gate's scores: random with 5% NaN, or integer-valued (exact ties).
                            nQ, nK = (Sq + spec["bq"] - 1) // spec["bq"], (Sk + spec["bk"] - 1) // spec["bk"]
                            if data == "int":
                                gate = torch.randint(-2, 3, (B, H, nQ, nK), generator=g, device=dev).float()
                            else:
                                gate = torch.randn(B, H, nQ, nK, generator=g, device=dev)
                                gate = gate.masked_fill(torch.rand(B, H, nQ, nK, generator=g, device=dev) < 0.05, float("nan"))
                            extra = [gate]
                        o, lse = ext.forward(q, k, v, scale, block_kv, prm, extra)
                        torch.cuda.synchronize()
                        ref, near, pick, M = reference(spec, q, k, v, scale, gate)
                        keep = ~near
                        err = (o.double() - ref).abs()
                        err = err.masked_fill(~keep.unsqueeze(-1), 0)
                        tol = 2e-2 * ref.abs().amax().clamp(min=1e-3)
                        worst = err.amax().item()
                        nan = torch.isnan(o).any().item()
                        masked_rows = (ref.abs().amax(-1) == 0)
                        zero_ok = bool((o.double().abs().amax(-1)[masked_rows] == 0).all().item()) if masked_rows.any() else True
                        # The selection step alone: the GPU's cells against the reference's top-k of the same pooled scores
                        # (rows with a near tie at the k-th place left out; none with integer data).
                        cells = ext.select(q, k, v, scale, block_kv, prm, extra).bool()
                        ref_cells = pick.reshape(cells.shape)
                        near_rows = near[:, :, ::spec["bq"]].reshape(cells.shape[0], cells.shape[1])
                        row_diff = (cells != ref_cells).any(-1)
                        row_diff = row_diff & ~near_rows
                        cell_rows_differing = int(row_diff.sum().item())
                        ok = (worst <= tol.item()) and not nan and zero_ok and cell_rows_differing == 0
                        grad_err = None
                        if block_kv == 0 and not near.any():
                            grad_err = grad_check(ext, q, k, v, M, scale, prm, extra)
                            ok = ok and grad_err <= 2e-2
                        failures += 0 if ok else 1
                        r = dict(pattern=name, batch=B, heads=H, kv_heads=KVH, q_len=Sq, kv_len=Sk, head_dim=D, data=data, block_kv=block_kv,
                                 max_abs_err=worst, tol=tol.item(), near_tie_rows_skipped=int(near.sum().item()), selected_cells=int(pick.sum().item()),
                                 masked_rows=int(masked_rows.sum().item()), selection_rows_differing=cell_rows_differing, grad_rel_err=grad_err, ok=ok)
                        results.append(r)
                        print(("ok  " if ok else "FAIL"), json.dumps(r), flush=True)
    os.makedirs(OUT, exist_ok=True)
    json.dump({"device": torch.cuda.get_device_name(), "torch": torch.__version__, "results": results, "failures": failures}, open(os.path.join(OUT, "select-check.json"), "w"), indent=1)
    print(f"{len(results) - failures} of {len(results)} checks pass", flush=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
