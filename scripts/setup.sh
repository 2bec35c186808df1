#!/usr/bin/env bash
# Prepares a fresh Debian machine for moe-engine: software WebGPU when no
# GPU driver is present (SwiftShader from Debian's chromium package) and the
# npm dependencies. Safe to run again; does nothing that is already done.
set -euo pipefail
cd "$(dirname "$0")/.."

ICD=/usr/lib/chromium/vk_swiftshader_icd.json
need_pkgs=()
[ -f "$ICD" ] || need_pkgs+=(chromium)
ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1' || need_pkgs+=(libvulkan1)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing ${need_pkgs[*]} (software WebGPU via SwiftShader)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
  else
    echo "setup: software WebGPU needs Debian packages that are missing: ${need_pkgs[*]}" >&2
    echo "setup: run:  sudo apt-get install -y chromium libvulkan1" >&2
    echo "setup: (skip this if the machine has a GPU with a Vulkan driver)" >&2
    [ -e /dev/nvidia0 ] || [ -d /dev/dri ] || exit 1
  fi
fi

# npm dependencies: install when missing or when package-lock.json changed since.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm install"
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi
fi

# Vulkan wants a writable runtime dir; moe also sets one itself.
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/moe-xdg-$(id -u)}"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
