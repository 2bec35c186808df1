#!/usr/bin/env bash
# Runs a command with software WebGPU (SwiftShader) set up when the machine
# has no GPU device node: points the Vulkan loader at SwiftShader's ICD and
# gives Vulkan a writable XDG_RUNTIME_DIR. Peer libraries (jax-js, TF.js)
# create their own Dawn instance from navigator.gpu, so the environment must
# be right before any instance exists; this keeps them on the same adapter
# as the engine. A VK_ICD_FILENAMES already set by the caller wins.
set -euo pipefail
ICD=/usr/lib/chromium/vk_swiftshader_icd.json
if [ -z "${VK_ICD_FILENAMES:-}" ] && [ ! -e /dev/nvidia0 ] && ! ls /dev/dri/renderD* >/dev/null 2>&1 && [ -f "$ICD" ]; then
  export VK_ICD_FILENAMES="$ICD"
fi
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/moe-xdg-$(id -u)}"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
exec "$@"
