"""A small decoder-only transformer trained with one sparse pattern three ways: attnc's op, FlexAttention
(torch.compile(flex_attention) with the equivalent BlockMask) and dense SDPA with the same mask
as a boolean attn_mask. Same seed, same initial weights, same data; loss curves, tokens/s and
peak memory of each. On the GPU machine, from the repository root:

    PYTHONPATH=runtime/python:generated/cuda/streaming python3 bench/train/train.py [--steps 300]

The pattern: StreamingLLM (patterns/streaming.attn: causal, 4 sink tokens and a 1024-token
window). The data: a documented synthetic language, a random second-order Markov chain over
256 symbols with a fixed seed (each symbol depends on the two before it; every 512 tokens a
"header" of 4 symbols repeats the sequence's first 4, which only the sink tokens can see),
fresh sequences for every step, so the attainable loss is known: about the chain's entropy
rate (a little less: the headers are predictable). Writes $OUT/train-results.json and
$OUT/train-loss.png.
"""
import argparse
import json
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

SINK, WINDOW = 4, 1024


def make_chain(vocab, seed):
    """A second-order Markov chain: transition logits per (previous two symbols), peaked so the entropy is moderate."""
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(vocab, vocab, vocab, generator=g) * 2.5
    return torch.softmax(logits, -1)


def sample_sequences(chain, count, seq, gen):
    """`count` token sequences from the chain, sampled together (one step per position): [count, seq + 1]."""
    vocab, dev = chain.shape[0], gen.device
    x = torch.empty(count, seq + 1, dtype=torch.long, device=dev)
    x[:, :2] = torch.randint(vocab, (count, 2), generator=gen, device=dev)
    cdf = chain.to(dev).reshape(vocab * vocab, vocab).cumsum(-1)
    for t in range(2, seq + 1):
        u = torch.rand(count, 1, generator=gen, device=dev)
        x[:, t] = torch.searchsorted(cdf[x[:, t - 2] * vocab + x[:, t - 1]], u)[:, 0].clamp_max(vocab - 1)
        if t % 512 < 4 and t >= 512:
            x[:, t] = x[:, t % 512]
    return x


def entropy_rate(chain, samples):
    """The chain's mean next-token entropy under its own stationary samples (nats): the attainable loss floor, ignoring headers."""
    vocab = chain.shape[0]
    flat = chain.reshape(vocab * vocab, vocab)
    h = -(flat * flat.clamp_min(1e-30).log()).sum(-1)
    samples = samples.cpu()
    ctx = samples[:, :-2] * vocab + samples[:, 1:-1]
    return h[ctx].mean().item()


class Block(nn.Module):
    def __init__(self, d, heads, attend):
        super().__init__()
        self.heads, self.attend = heads, attend
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.proj = nn.Linear(d, 3 * d, bias=False), nn.Linear(d, d, bias=False)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d, bias=False), nn.GELU(), nn.Linear(4 * d, d, bias=False))

    def forward(self, x):
        B, S, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).view(B, S, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        a = self.attend(q, k, v).transpose(1, 2).reshape(B, S, d)
        x = x + self.proj(a)
        return x + self.mlp(self.ln2(x))


class Model(nn.Module):
    def __init__(self, vocab, d, layers, heads, seq, attend):
        super().__init__()
        self.emb, self.pos = nn.Embedding(vocab, d), nn.Embedding(seq, d)
        self.blocks = nn.ModuleList(Block(d, heads, attend) for _ in range(layers))
        self.ln, self.head = nn.LayerNorm(d), nn.Linear(d, vocab, bias=False)

    def forward(self, idx):
        x = self.emb(idx) + self.pos(torch.arange(idx.shape[1], device=idx.device))
        for b in self.blocks:
            x = b(x)
        return self.head(self.ln(x))


def attenders(seq):
    """The three implementations of the same masked attention, each q, k, v -> out ([B, H, S, D], bf16)."""
    from torch.nn.attention.flex_attention import create_block_mask, flex_attention
    from streaming import attention as attnc_attention  # generated/cuda/streaming (attnc's op)

    def mask_mod(b, h, q, k):
        return (q >= k) & ((q - k < WINDOW) | (k < SINK))
    block_mask = create_block_mask(mask_mod, None, None, seq, seq, device="cuda")
    flex = torch.compile(flex_attention, dynamic=False)
    qi = torch.arange(seq, device="cuda")
    dense_mask = (qi[:, None] >= qi[None, :]) & ((qi[:, None] - qi[None, :] < WINDOW) | (qi[None, :] < SINK))
    return {
        "attnc": lambda q, k, v: attnc_attention(q, k, v),
        "flex": lambda q, k, v: flex(q, k, v, block_mask=block_mask),
        "sdpa": lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=dense_mask),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--seq", type=int, default=8192)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--d", type=int, default=1024)
    ap.add_argument("--layers", type=int, default=8)
    ap.add_argument("--heads", type=int, default=8)
    ap.add_argument("--impls", default="attnc,flex,sdpa")
    ap.add_argument("--compile", action="store_true", help="torch.compile(model, fullgraph=True) for every implementation")
    args = ap.parse_args()
    out_dir = os.environ.get("OUT", "bench/results")
    os.makedirs(out_dir, exist_ok=True)
    vocab = 256
    chain = make_chain(vocab, 0)
    gen = torch.Generator(device="cuda").manual_seed(1)
    # Fresh sequences for every step (no repeats: the model cannot memorise its data).
    data = sample_sequences(chain, args.steps * args.batch, args.seq, gen).view(args.steps, args.batch, args.seq + 1)
    floor = entropy_rate(chain, data[:, 0])
    impls = attenders(args.seq)
    torch.manual_seed(0)
    init = Model(vocab, args.d, args.layers, args.heads, args.seq, None).state_dict()
    params = sum(t.numel() for t in init.values())
    results = {"device": torch.cuda.get_device_name(), "torch": torch.__version__, "date": time.strftime("%Y-%m-%d"),
               "command": " ".join(["python3"] + sys.argv), "params": params, "seq": args.seq, "batch": args.batch, "steps": args.steps,
               "pattern": f"streaming(sink={SINK}, window={WINDOW})", "entropy_floor_nats": floor, "runs": {}}
    print(f"model: {params / 1e6:.1f}M parameters, seq {args.seq}, batch {args.batch}; loss floor {floor:.3f} nats", flush=True)
    for name in args.impls.split(","):
        model = Model(vocab, args.d, args.layers, args.heads, args.seq, impls[name]).cuda()
        model.load_state_dict(init)
        step_fn = model
        if args.compile:
            step_fn = torch.compile(model, fullgraph=True)
        opt = torch.optim.AdamW(model.parameters(), lr=3e-4, betas=(0.9, 0.95), weight_decay=0.1, fused=True)
        torch.cuda.reset_peak_memory_stats()
        losses, times = [], []
        for step in range(args.steps):
            batch = data[step].cuda()
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            with torch.autocast("cuda", dtype=torch.bfloat16):
                logits = step_fn(batch[:, :-1])
            loss = F.cross_entropy(logits.float().view(-1, vocab), batch[:, 1:].reshape(-1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            torch.cuda.synchronize()
            times.append(time.perf_counter() - t0)
            losses.append(loss.item())
            if step % 50 == 0 or step == args.steps - 1:
                print(f"{name:6s} step {step:4d} loss {losses[-1]:.4f} ({times[-1] * 1e3:.1f} ms)", flush=True)
        steady = sorted(times[10:])[len(times[10:]) // 2] if len(times) > 20 else times[-1]
        results["runs"][name] = {"losses": losses, "step_ms_median": steady * 1e3, "tokens_per_s": args.batch * args.seq / steady,
                                 "peak_memory_gib": torch.cuda.max_memory_allocated() / 2**30, "final_loss_mean_last20": sum(losses[-20:]) / len(losses[-20:])}
        print(f"{name}: {results['runs'][name]['tokens_per_s']:.0f} tokens/s, peak {results['runs'][name]['peak_memory_gib']:.2f} GiB", flush=True)
        del model, opt
        torch.cuda.empty_cache()
    runs = results["runs"]
    if "attnc" in runs and "flex" in runs:
        diffs = [abs(a - b) for a, b in zip(runs["attnc"]["losses"], runs["flex"]["losses"])]
        results["max_abs_loss_diff_attnc_flex"] = max(diffs)
        results["mean_abs_loss_diff_attnc_flex_last100"] = sum(diffs[-100:]) / len(diffs[-100:])
    if "sdpa" in runs and "flex" in runs:
        # The noise between two exact implementations of the same masked attention, for scale.
        diffs = [abs(a - b) for a, b in zip(runs["sdpa"]["losses"], runs["flex"]["losses"])]
        results["max_abs_loss_diff_sdpa_flex"] = max(diffs)
        results["mean_abs_loss_diff_sdpa_flex_last100"] = sum(diffs[-100:]) / len(diffs[-100:])
    with open(os.path.join(out_dir, "train-results.json"), "w") as f:
        json.dump(results, f, indent=1)
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(7, 4))
        for name, r in runs.items():
            ax.plot(r["losses"], label=f"{name} ({r['tokens_per_s'] / 1e3:.0f}k tok/s)", linewidth=1)
        ax.axhline(floor, color="gray", linestyle=":", label="entropy floor")
        ax.set_xlabel("step"); ax.set_ylabel("loss (nats)"); ax.set_title(f"{params / 1e6:.0f}M model, seq {args.seq}, streaming(4, 1024)")
        ax.legend()
        fig.tight_layout()
        fig.savefig(os.path.join(out_dir, "train-loss.png"), dpi=120)
    except ImportError:
        print("matplotlib missing: no plot", flush=True)
    print(json.dumps({k: v for k, v in results.items() if k != "runs"}), flush=True)
    for name, r in runs.items():
        print(f"{name}: {r['step_ms_median']:.1f} ms/step, {r['tokens_per_s']:.0f} tokens/s, peak {r['peak_memory_gib']:.2f} GiB, last-20 loss {r['final_loss_mean_last20']:.4f}")


if __name__ == "__main__":
    main()
