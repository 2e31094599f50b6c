#!/usr/bin/env bash
# The GPU correctness check of every CUDA kernel path, in one call on the GPU machine, from the
# repository root, after `npx tsx bench/cuda/prepare.ts` here (carry bench/cuda/work):
#   bash bench/cuda/gpu-check.sh
# Paths: sm90 (the Hopper kernel, TMA copies) with the full and a 3-CTA persistent grid (many
# work items per CTA), sm90cp (its cp.async producer) and sm80 (mma.sync). JSON:
# $OUT/cuda-results.json (OUT defaults to bench/results).
set -u
OUT="${OUT:-bench/results}"
export OUT
python3 bench/cuda/run.py --skip-bench --paths sm90,sm90few,sm90cp,sm80
