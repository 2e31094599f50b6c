"""FlexAttention's causal backward at the shapes of bwd_bench.cu, for a side-by-side ratio in
the same call: python3 bench/cuda/kernels/flex_causal.py (bf16, random N(0, 1) inputs; backward
= (forward + backward) - forward, medians of triton.testing.do_bench)."""
import torch
import triton.testing as tt
from torch.nn.attention.flex_attention import create_block_mask, flex_attention

flex = torch.compile(flex_attention, dynamic=False)
for D, B, H, L in ((128, 1, 16, 16384), (128, 4, 16, 4096), (64, 4, 16, 4096)):
    q, k, v, do = (torch.randn(B, H, L, D, device="cuda", dtype=torch.bfloat16) for _ in range(4))
    q.requires_grad_(); k.requires_grad_(); v.requires_grad_()
    bm = create_block_mask(lambda b, h, i, j: j <= i, 1, 1, L, L, device="cuda")
    f = lambda: flex(q, k, v, block_mask=bm)  # noqa: E731
    torch.autograd.grad(f(), (q, k, v), do)
    fwd = tt.do_bench(f, warmup=50, rep=300, return_mode="median")
    both = tt.do_bench(lambda: torch.autograd.grad(f(), (q, k, v), do), warmup=50, rep=300, return_mode="median")
    flops = 2.5 * 4.0 * B * H * L * L * D / 2
    print(f"flex  causal bf16 D={D} B={B} H={H} L={L}: bwd {both - fwd:.3f} ms, {flops / (both - fwd) / 1e9:.1f} TFLOP/s (fwd {fwd:.3f} ms)")
