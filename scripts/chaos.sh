#!/usr/bin/env bash
# The longer kill -9 run the checkpoint tests shorten for `npm test`:
# kill a checkpoint writer at random moments for MOE_CHAOS_SECONDS (default
# 600) and kill real `moe train` runs MOE_CHAOS_TRAIN_KILLS times (default 10).
# Every trial checks that resume picks a complete step with that step's exact
# values, never goes back, and that temporaries are cleaned up.
set -euo pipefail
cd "$(dirname "$0")/.."
export MOE_CHAOS_SECONDS="${MOE_CHAOS_SECONDS:-600}"
export MOE_CHAOS_TRAIN_KILLS="${MOE_CHAOS_TRAIN_KILLS:-10}"
exec bash scripts/with-webgpu-env.sh npx vitest run test/elastic/kill.test.ts test/elastic/kill-train.test.ts
