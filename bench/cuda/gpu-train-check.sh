#!/usr/bin/env bash
# The GPU check of training support, in one call on the GPU machine, from the repository root,
# after `npx tsx bench/cuda/prepare.ts` here (carry bench/cuda/work):
#   bash bench/cuda/gpu-train-check.sh
# 1. bench/cuda/grad_check.py: dQ, dK, dV of every bundled pattern against float64 autograd;
# 2. bench/cuda/op_check.py: the PyTorch op as a user calls it (autograd, torch.compile
#    fullgraph, no host synchronisation, argument errors);
# 3. bench/cuda/run.py: the forward kernels' correctness on the Hopper and mma.sync paths.
# Each stage has its own time limit; their JSON lands in $OUT (default bench/results).
set -u
OUT="${OUT:-bench/results}"
export OUT PYTHONUNBUFFERED=1 PYTHONPATH=runtime/python${PYTHONPATH:+:$PYTHONPATH}
nvidia-smi --query-gpu=name,driver_version,clocks.sm --format=csv,noheader
timeout "${GRAD_LIMIT:-300}" python3 bench/cuda/grad_check.py 2>&1 | tee "$OUT/grad-check.log" | grep -v "^  [a-z_0-9]*: [0-9]*/[0-9]* ok" | tail -40
timeout "${OP_LIMIT:-150}" python3 bench/cuda/op_check.py --patterns "${OP_PATTERNS:-streaming,document}" 2>&1 | tee "$OUT/op-check.log" | tail -8
timeout "${FWD_LIMIT:-120}" python3 bench/cuda/run.py --skip-bench --paths sm90,sm80 2>&1 | tee "$OUT/fwd-check.log" | tail -8
