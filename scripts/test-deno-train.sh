#!/usr/bin/env bash
# The smoke training run under Deno (built-in WebGPU, wgpu): the same CLI and
# engine as in Node. Passes when training finishes and writes its outputs.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "== smoke training under Deno"
MOE_CHECKPOINT__DIR="$out/checkpoints" MOE_TELEMETRY__PATH="$out/telemetry.jsonl" timeout 600 bash scripts/moe-deno.sh train --config configs/smoke.yaml --no-sample
steps=$(grep -c '"type":"step"' "$out/telemetry.jsonl")
evals=$(grep -c '"type":"eval"' "$out/telemetry.jsonl")
if [ "$steps" -lt 1 ] || [ "$evals" -lt 1 ] || [ ! -s "$out/final.safetensors" ]; then
  echo "deno training: expected step and eval records and final weights, got $steps steps, $evals evals" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
echo "deno training: $steps steps, $evals evaluations, weights written"
echo "1 passed, 0 failed"
