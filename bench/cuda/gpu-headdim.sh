#!/usr/bin/env bash
# Head dims on the GPU, in one call on the GPU machine, from the repository root, after
# `npx tsx bench/cuda/prepare.ts` here (carry bench/cuda/work):
#   STAGES=check,grad,bench bash bench/cuda/gpu-headdim.sh
# check: the forward kernels (Hopper and mma.sync paths) against the float64 reference at
#        head dims $CHECK_DIMS (padded ones included: 32, 96, 160 run the 64/128/256 kernels);
# grad:  dQ, dK, dV against float64 autograd at $GRAD_DIMS;
# bench: the ten-pattern suite at $SIZES, head dims $DIMS, shape $SHAPE (batch, heads, kv heads)
#        against FlexAttention and dense cuDNN / FlashAttention-2 ($OUT/cuda-headdim-bench.json).
set -u
OUT="${OUT:-bench/results}"
export OUT PYTHONUNBUFFERED=1 PYTHONPATH=runtime/python${PYTHONPATH:+:$PYTHONPATH} ATTNC_BUILD="${ATTNC_BUILD:-/tmp/attnc_build}"
STAGES="${STAGES:-check,grad,bench}"
nvidia-smi --query-gpu=name,driver_version,clocks.sm --format=csv,noheader
. bench/cuda/suite.sh
if [[ ",$STAGES," == *,check,* ]]; then
  timeout "${CHECK_LIMIT:-300}" python3 bench/cuda/run.py --skip-bench --paths "${CHECK_PATHS:-sm90,sm80}" --check-dims "${CHECK_DIMS:-32,64,96,128,160,256}" 2>&1 | tee "$OUT/headdim-check.log" | grep -v "ok in" | tail -30
  [ -f "$OUT/cuda-results.json" ] && mv "$OUT/cuda-results.json" "$OUT/cuda-headdim-check.json"
fi
if [[ ",$STAGES," == *,grad,* ]]; then
  timeout "${GRAD_LIMIT:-240}" python3 bench/cuda/grad_check.py --dims "${GRAD_DIMS:-96,256}" ${GRAD_ONLY:+--only $GRAD_ONLY} 2>&1 | tee "$OUT/headdim-grad.log" | grep -v "^  [a-z_0-9]*: [0-9]*/[0-9]* ok" | tail -30
fi
if [[ ",$STAGES," == *,bench,* ]]; then
  timeout "${BENCH_LIMIT:-420}" python3 bench/cuda/run.py --skip-correctness --paths sm90 --block-kvs 0 --sizes "${SIZES:-16384}" --dims "${DIMS:-64,128,256}" --shape "${SHAPE:-1,16,16}" --only "${ONLY:-$SUITE}" 2>&1 | grep -E "^S=|MISMATCH|Error|error|spills" | tail -70
  [ -f "$OUT/cuda-results.json" ] && mv "$OUT/cuda-results.json" "$OUT/cuda-headdim-bench.json"
fi
ls "$OUT"
