#!/usr/bin/env bash
# Runs the shared kernel cases (test/shared/) in headless Chromium with
# software WebGPU (SwiftShader), driven by playwright-core against the
# system Chromium (no browser download). See test/browser/run.ts.
# Usage: scripts/test-browser.sh [case-name filter]
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== shared kernel cases (headless Chromium, WebGPU on SwiftShader)"
# The runner bounds itself (MOE_BROWSER_TIMEOUT_S); this is the backstop.
exec timeout -k 10 360 node_modules/.bin/tsx test/browser/run.ts "$@"
