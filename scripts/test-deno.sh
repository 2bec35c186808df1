#!/usr/bin/env bash
# Runs the shared kernel cases (test/shared/) under Deno's built-in WebGPU
# (wgpu, not Dawn): same kernels, a second WGSL compiler and validator.
# Usage: scripts/test-deno.sh [case-name filter]
# Without a GPU, wgpu needs a software Vulkan driver: SwiftShader (Debian's
# chromium package) or Mesa's lavapipe (mesa-vulkan-drivers), tried in that
# order. Set VK_ICD_FILENAMES yourself to pick one.
set -euo pipefail
cd "$(dirname "$0")/.."

DENO=node_modules/.bin/deno
if [ ! -x "$DENO" ]; then
  echo "test-deno: $DENO is missing; run npm ci (the 'deno' devDependency ships the binary)" >&2
  exit 1
fi
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/moe-xdg-$(id -u)}"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
export NO_COLOR=1
export DENO_NO_UPDATE_CHECK=1 # no network: the version is pinned in package.json

# --check type-checks the case graph with Deno's own lib (deno.json) first.
run() { timeout 300 "$DENO" run --check --no-prompt test/deno/run.ts "$@"; }

has_gpu_node() { [ -e /dev/nvidia0 ] || compgen -G '/dev/dri/renderD*' >/dev/null; }

echo "== shared kernel cases (Deno, wgpu)"
if [ -n "${VK_ICD_FILENAMES:-}" ]; then
  run "$@"
  exit 0
fi
if has_gpu_node; then
  status=0
  run "$@" || status=$?
  [ "$status" = 3 ] || exit "$status"
  echo "test-deno: the GPU's Vulkan driver gave no adapter; trying software Vulkan" >&2
fi
tried=()
for icd in /usr/lib/chromium/vk_swiftshader_icd.json /usr/share/vulkan/icd.d/lvp_icd.x86_64.json; do
  [ -f "$icd" ] || continue
  tried+=("$icd")
  status=0
  VK_ICD_FILENAMES="$icd" run "$@" || status=$?
  # 3: no adapter with this driver; try the next one. Anything else is the answer.
  [ "$status" = 3 ] || exit "$status"
done
echo "test-deno: no software Vulkan driver gave Deno a WebGPU adapter (tried: ${tried[*]:-none found})." >&2
echo "test-deno: install one:  apt-get install -y chromium   (SwiftShader)   or   apt-get install -y mesa-vulkan-drivers   (lavapipe)" >&2
exit 1
