#!/usr/bin/env bash
# System packages the test suite needs: Debian's chromium (the browser test of the login
# demo) and redis-server (the Redis TokenStore tests). Installs the missing ones with
# apt-get when running as root; otherwise prints how to install them and fails.
# Quiet when everything is present. Runs as `npm test`'s pretest.
set -euo pipefail

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "missing system packages: ${missing[*]}: run (as root) apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "installing missing system packages: ${missing[*]}" >&2
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"

[ -x /usr/bin/chromium ] || { echo "chromium is still missing after apt-get install (expected /usr/bin/chromium)" >&2; exit 1; }
command -v redis-server >/dev/null 2>&1 || { echo "redis-server is still missing after apt-get install" >&2; exit 1; }
