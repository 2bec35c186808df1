#!/usr/bin/env bash
# The whole test suite, as `npm test` and CI run it: set-up, generated-file
# check, type check, unit tests (Node/Dawn), then the cross-runtime subsets
# (Deno, headless Chromium) when their runners are present.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

echo "== shader modules up to date"
node scripts/gen-wgsl.mjs --check
echo "== type check"
npx tsc --noEmit
echo "== unit tests (Node, Dawn)"
npx vitest run "$@"
for extra in scripts/test-deno.sh scripts/test-deno-train.sh scripts/test-browser.sh; do
  if [ -f "$extra" ]; then bash "$extra"; fi
done
