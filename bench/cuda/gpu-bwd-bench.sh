#!/usr/bin/env bash
# The backward benchmark in one call on the GPU machine, from the repository root, after
#   npx tsx bench/cuda/prepare.ts
#   nvcc -std=c++17 -O3 -gencode=arch=compute_90a,code=sm_90a -I runtime/cuda -o bench/cuda/work/bin/bwd-test bench/cuda/kernels/bwd_test.cu
#   nvcc -std=c++17 -O3 -gencode=arch=compute_90a,code=sm_90a -I runtime/cuda -o bench/cuda/work/bin/bwd-bench bench/cuda/kernels/bwd_bench.cu
# here (optionally also the suite's builds: ATTNC_BUILD=bench/cuda/work/build and run.compile_all),
# carrying bench/cuda/work:
#   bash bench/cuda/gpu-bwd-bench.sh
# 1. the Hopper backward kernels against a float64 reference (bench/cuda/kernels/bwd_test.cu);
# 2. the kernels alone on causal shapes (bwd_bench.cu);
# 3. bench/cuda/bench_bwd.py: the ten-pattern suite against FlexAttention at 16k, 32k and 8k
#    ($OUT/cuda-bwd-suite.json), then attnc's other patterns at 16k ($OUT/cuda-bwd-extra.json).
set -u
OUT="${OUT:-bench/results}"
export OUT PYTHONUNBUFFERED=1 ATTNC_BUILD="${ATTNC_BUILD:-bench/cuda/work/build}"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
bench/cuda/work/bin/bwd-test | grep -E "PASS|FAIL|^[a-z]" | tail -24
bench/cuda/work/bin/bwd-bench
. bench/cuda/suite.sh
timeout "${SUITE_LIMIT:-450}" python3 bench/cuda/bench_bwd.py --sizes 16384,32768,8192 --only "$SUITE" --out cuda-bwd-suite.json 2>&1 | grep -E "^S=|MISMATCH|Error|error" | tail -40
EXTRA=a_shape,bigbird,fixed,longlora,s2_attention,natten_1d_k129,swin_w8,radial,alibi,global_tokens
timeout "${EXTRA_LIMIT:-120}" python3 bench/cuda/bench_bwd.py --sizes 16384 --only "$EXTRA" --no-flex --out cuda-bwd-extra.json 2>&1 | grep -E "^S=|Error|error" | tail -12
