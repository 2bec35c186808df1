#!/usr/bin/env bash
# `moe` under Deno: picks software Vulkan (SwiftShader) when the machine has
# no GPU, then runs bin/moe-deno.ts with Deno's built-in WebGPU.
set -euo pipefail
cd "$(dirname "$0")/.."
export DENO_NO_UPDATE_CHECK=1
exec bash scripts/with-webgpu-env.sh node_modules/.bin/deno run -A bin/moe-deno.ts "$@"
