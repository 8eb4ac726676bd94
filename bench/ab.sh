#!/usr/bin/env bash
# `npm run bench:ab -- [--v4] <rev-a> [<rev-b>]`: the login CPU of two revisions of the
# library, measured in one process (bench/ab.ts). <rev-b> defaults to the working tree.
# Effect 3 edition on this Node by default; --v4: the Effect 4 edition on Node 22.
# Builds each into a temporary directory; nothing in the checkout changes.
# Method and use: docs/performance.md, "Comparing two revisions".
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
edition=v3
if [ "${1:-}" = --v4 ]; then edition=v4; shift; fi
[ $# -ge 1 ] || { echo "usage: npm run bench:ab -- [--v4] <rev-a> [<rev-b>]" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ln -s "$root/node_modules" "$work/node_modules"
config=tsconfig.build.json
[ $edition = v4 ] && config=tsconfig.build.v4.json

build() { # build <rev, or - for the working tree> <name>
  local src="$work/src-$2"
  mkdir -p "$src"
  if [ "$1" = - ]; then
    cp -r "$root/src" "$root/package.json" "$root"/tsconfig*.json "$src/"
  else
    git -C "$root" archive "$1" src package.json tsconfig.json tsconfig.build.json \
      $([ $edition = v4 ] && echo tsconfig.v4.json tsconfig.build.v4.json) | tar -x -C "$src"
  fi
  ln -s "$root/node_modules" "$src/node_modules"
  [ $edition = v4 ] && ln -s "$root/v4" "$src/v4"
  (cd "$src" && node "$root/node_modules/typescript/bin/tsc" -p $config --outDir "$work/$2" \
    --declaration false --declarationMap false --sourceMap false)
  echo "{\"type\":\"module\",\"imports\":{\"#compat\":\"./internal/compat/$edition.js\"}}" > "$work/$2/package.json"
}

build "$1" a
build "${2:--}" b
echo "a = $1, b = ${2:-working tree} (Effect ${edition#v})"
cd "$root"
if [ $edition = v4 ]; then
  bash scripts/node22.sh --expose-gc --conditions=effect-wechat-v4-source --conditions=effect-wechat-source \
    --import ./v4/node-hooks.mjs --import tsx bench/ab.ts "$work/a" "$work/b"
else
  node --expose-gc --conditions=effect-wechat-source --import tsx bench/ab.ts "$work/a" "$work/b"
fi
