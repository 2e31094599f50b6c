#!/usr/bin/env bash
# The WebGPU suite in every configuration, one process each: f32 and f16, head dims 64 and 128,
# the sizes given (default 16384), then ONNX Runtime Web's dense anchor (when its files are
# prepared: `deno run -A bench/webgpu-ort.ts --prepare`). JSON and logs go to OUT; each step has
# a time limit (STEP_S seconds, default 150) so one slow configuration cannot eat the others'.
#
#   bash bench/webgpu-suite.sh OUT [SIZES] [more bench/webgpu.ts options]
#   # on a GPU machine, with the kit:  DENO="bash .gpu-kit/run.sh deno" bash bench/webgpu-suite.sh out 16384
#
# DENO: how to call deno (default: node_modules/.bin/deno, then deno on PATH).
set -uo pipefail
out=${1:?usage: bash bench/webgpu-suite.sh OUT [SIZES] [options]}
sizes=${2:-16384}
shift $(( $# >= 2 ? 2 : 1 ))
step=${STEP_S:-150}
deno=${DENO:-$( [ -x node_modules/.bin/deno ] && echo node_modules/.bin/deno || echo deno )}
mkdir -p "$out"
start=$(date +%s)
for cfg in f32:64 f32:128 f16:64 f16:128; do
  dt=${cfg%%:*}; d=${cfg##*:}
  name="suite-$dt-d$d-${sizes//,/-}"
  timeout "$step" $deno run -A bench/webgpu.ts --dtype "$dt" --dims "$d" --sizes "$sizes" --iters 5 --json "$out/$name.json" "$@" > "$out/$name.log" 2>&1
  echo "$name: exit $? at $(( $(date +%s) - start )) s" | tee -a "$out/steps.txt"
done
if [ -f bench/webgpu-work/ort/ort.webgpu.min.mjs ]; then
  timeout "$step" $deno run -A bench/webgpu-ort.ts --sizes "$sizes" --iters 5 --json "$out/ort-${sizes//,/-}.json" > "$out/ort-${sizes//,/-}.log" 2>&1
  echo "ort: exit $? at $(( $(date +%s) - start )) s" | tee -a "$out/steps.txt"
fi
