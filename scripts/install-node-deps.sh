#!/usr/bin/env bash
# Installs the Node.js test clients' packages (tests/node: ws, @msgpack/msgpack) exactly as the
# committed lock names them, only when node_modules is missing or older than the lock.
set -euo pipefail

node_dir="$(cd "$(dirname "$0")/../tests/node" && pwd)"
lock="$node_dir/package-lock.json"
# npm ci writes this file last, so its age says when node_modules was last complete.
stamp="$node_dir/node_modules/.package-lock.json"

if [ -f "$stamp" ] && [ ! "$lock" -nt "$stamp" ]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "install-node-deps: npm is missing (run scripts/install-deps.sh)" >&2
  exit 1
fi
echo "install-node-deps: npm ci in $node_dir" >&2
cd "$node_dir"
npm ci --no-audit --no-fund
# npm keeps the packages' own mtimes; mark this install as newer than the lock.
touch "$stamp"
