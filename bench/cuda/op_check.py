"""The PyTorch op on the GPU: generated modules (generated/cuda/<pattern>/<pattern>.py) through attnc's
Python runtime (runtime/python), as a user calls them. On the GPU machine, from the repository root:

    PYTHONPATH=runtime/python python3 bench/cuda/op_check.py [--patterns streaming,document,prefix_lm]

For each pattern: the extension builds on first use; out and the gradients of q, k, v through
torch.autograd match a float64 reference (dense masked softmax, the mask written here in
PyTorch for the patterns this script knows); torch.compile(fullgraph=True) of a small module
calling it traces with zero graph breaks (torch._dynamo.explain) and gives the same gradients;
a second call of the same shape does no host synchronisation (checked with
torch.cuda.set_sync_debug_mode("error")); bad arguments raise Python errors naming them.
Writes $OUT/cuda-op-check.json.
"""
import argparse
import json
import math
import os
import sys
import time

import torch


def load(pattern):
    import attnc  # runtime/python on PYTHONPATH (or pip install -e runtime/python)

    # As attnc.patterns.<pattern>: torch.compile finds the traced functions' module by that name.
    return attnc.load(os.path.join("generated/cuda", pattern)).attention


def masks(S, doc, prefix):
    q = torch.arange(S, device="cuda")[:, None]
    k = torch.arange(S, device="cuda")[None, :]
    return {
        "streaming": (q >= k) & ((q - k < 1024) | (k < 4)),
        "document": (q >= k) & (doc[q] == doc[k]),
        "prefix_lm": (k < prefix) | (q >= k),
        "sliding_window": (q >= k) & (q - k < 4096),
        "causal_mask": q >= k,
    }


def reference(q, k, v, mask):
    rep = q.shape[1] // k.shape[1]
    q64, k64, v64 = q.double(), k.double().repeat_interleave(rep, 1), v.double().repeat_interleave(rep, 1)
    s = torch.einsum("bhqd,bhkd->bhqk", q64, k64) / math.sqrt(q.shape[-1])
    s = s.masked_fill(~mask, float("-inf"))
    p = torch.softmax(s, -1).nan_to_num(0.0)
    return torch.einsum("bhqk,bhkd->bhqd", p, v64)


def rel(a, b):
    return ((a.double() - b.double()).norm() / b.double().norm().clamp_min(1e-30)).item()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--patterns", default="streaming,document,prefix_lm")
    args = ap.parse_args()
    torch.manual_seed(0)
    B, H, Hkv, S, D = 2, 8, 2, 1500, 128
    doc = torch.sort(torch.randint(0, 5, (S,), device="cuda")).values.int()
    prefix = 300
    ref_masks = masks(S, doc.long(), prefix)
    rows = []
    for pattern in args.patterns.split(","):
        t0 = time.time()
        attention = load(pattern)
        extra = {"document": {"doc": doc}, "prefix_lm": {"prefix": prefix}}.get(pattern, {})
        q = torch.randn(B, H, S, D, device="cuda", dtype=torch.bfloat16, requires_grad=True)
        k = torch.randn(B, Hkv, S, D, device="cuda", dtype=torch.bfloat16, requires_grad=True)
        v = torch.randn(B, Hkv, S, D, device="cuda", dtype=torch.bfloat16, requires_grad=True)
        do = torch.randn(B, H, S, D, device="cuda", dtype=torch.bfloat16)
        out = attention(q, k, v, **extra)
        grads = torch.autograd.grad(out, (q, k, v), do)
        build_s = time.time() - t0
        # float64 reference
        q64, k64, v64 = (t.detach().double().requires_grad_() for t in (q, k, v))
        ref = reference(q64, k64, v64, ref_masks[pattern])
        ref_grads = torch.autograd.grad(ref, (q64, k64, v64), do.double())
        errs = {"out": rel(out, ref), **{n: rel(g, r) for n, g, r in zip(("dq", "dk", "dv"), grads, ref_grads)}}
        # torch.compile(fullgraph=True): zero graph breaks, same gradients.

        class Layer(torch.nn.Module):
            def forward(self, q, k, v):
                return attention(q, k, v, **extra) * 2.0

        layer = Layer()
        explain = torch._dynamo.explain(layer)(q, k, v)
        compiled = torch.compile(layer, fullgraph=True)
        cout = compiled(q, k, v)
        cgrads = torch.autograd.grad(cout, (q, k, v), do)
        compiled_match = max(rel(a, 2 * b) for a, b in zip(cgrads, grads))
        # No host synchronisation once the shape has been seen.
        torch.cuda.synchronize()
        sync_free = True
        try:
            torch.cuda.set_sync_debug_mode("error")
            o2 = attention(q, k, v, **extra)
            torch.autograd.grad(o2, (q, k, v), do)
        except RuntimeError as e:
            sync_free = f"no: {e}"
        finally:
            torch.cuda.set_sync_debug_mode("default")
        # Bad arguments: Python errors naming the argument, the process survives.
        errors = {}
        for label, call in [
            ("cpu q", lambda: attention(q.detach().cpu(), k, v, **extra)),
            ("head_dim 96", lambda: attention(q[..., :96], k[..., :96], v[..., :96], **extra)),
            ("float32", lambda: attention(q.float(), k.float(), v.float(), **extra)),
            ("kv heads 3", lambda: attention(q, k[:, :1].expand(B, 3, S, D), v[:, :1].expand(B, 3, S, D), **extra)),
        ]:
            try:
                call()
                errors[label] = "no error"
            except (TypeError, ValueError, RuntimeError) as e:
                errors[label] = f"{type(e).__name__}: {str(e)[:160]}"
        ok = errors and all(e != "no error" for e in errors.values())
        bound = 2e-2
        row = {"pattern": pattern, "build_and_first_call_s": build_s, "rel_err": errs, "graph_breaks": explain.graph_break_count, "graphs": explain.graph_count,
               "compiled_vs_eager_grad_rel": compiled_match, "sync_free_second_call": sync_free, "bad_argument_errors": errors,
               "ok": bool(ok and all(e < bound for e in errs.values()) and explain.graph_break_count == 0 and compiled_match < 1e-2 and sync_free is True)}
        rows.append(row)
        print(json.dumps(row), flush=True)
    out = {"device": torch.cuda.get_device_name(), "torch": torch.__version__, "date": time.strftime("%Y-%m-%d"), "command": " ".join(["python3"] + sys.argv), "rows": rows}
    os.makedirs(os.environ.get("OUT", "bench/results"), exist_ok=True)
    with open(os.path.join(os.environ.get("OUT", "bench/results"), "cuda-op-check.json"), "w") as f:
        json.dump(out, f, indent=1)
    print(f"op check: {sum(r['ok'] for r in rows)}/{len(rows)} ok")


if __name__ == "__main__":
    main()
