#!/usr/bin/env bash
# `npm start`: set up a fresh machine if needed, then train the default
# config on the bundled Brown corpus and print a sample of what it writes.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
exec node bin/moe.mjs train --config configs/default.yaml "$@"
