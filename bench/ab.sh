#!/usr/bin/env bash
# `npm run bench:ab -- <rev-a> [<rev-b>]`: the login CPU of two revisions of the library
# (Effect 3 edition), measured in one process (bench/ab.ts). <rev-b> defaults to the
# working tree. Builds each into a temporary directory; nothing in the checkout changes.
# Method and use: docs/performance.md, "Comparing two revisions".
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 1 ] || { echo "usage: npm run bench:ab -- <rev-a> [<rev-b>]" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ln -s "$root/node_modules" "$work/node_modules"

build() { # build <rev, or - for the working tree> <name>
  local src="$work/src-$2"
  mkdir -p "$src"
  if [ "$1" = - ]; then
    cp -r "$root/src" "$root/package.json" "$root"/tsconfig*.json "$src/"
  else
    git -C "$root" archive "$1" src package.json tsconfig.json tsconfig.build.json | tar -x -C "$src"
  fi
  ln -s "$root/node_modules" "$src/node_modules"
  (cd "$src" && node node_modules/typescript/bin/tsc -p tsconfig.build.json --outDir "$work/$2" \
    --declaration false --declarationMap false --sourceMap false)
  echo '{"type":"module","imports":{"#compat":"./internal/compat/v3.js"}}' > "$work/$2/package.json"
}

build "$1" a
build "${2:--}" b
echo "a = $1, b = ${2:-working tree}"
node --expose-gc --import tsx "$root/bench/ab.ts" "$work/a" "$work/b"
