#!/usr/bin/env bash
# The GPU correctness check of every CUDA kernel path, in one call on the GPU machine, from the
# repository root, after `npx tsx bench/cuda/prepare.ts` here (carry bench/cuda/work):
#   bash bench/cuda/gpu-check.sh
# The default paths first (cp.async producer, with the full and a 3-CTA persistent grid, and
# the mma.sync kernel), then the TMA producer under its own time limit and output folder, so
# that a fault there cannot cost the other results. JSON: $OUT/cuda-results.json and
# $OUT/tma/cuda-results.json (OUT defaults to bench/results).
set -u
OUT="${OUT:-bench/results}"
export OUT
python3 bench/cuda/run.py --skip-bench --paths sm90,sm90few,sm80
OUT="$OUT/tma" timeout 240 python3 bench/cuda/run.py --skip-bench --paths sm90tma,sm90tmafew
echo "TMA check exit status: $?"
