#!/usr/bin/env bash
# The Node client libraries the integration tests run (node-redis, pinned in
# tests/node/package-lock.json), installed with `npm ci` into
# tests/node/node_modules (ignored by git). Idempotent, and instant when they
# are already there. Needs Node.js >= 18.19 (node-redis 5's floor) and npm:
#   - present: used as they are;
#   - missing, as root with apt-get: Debian's nodejs and npm are installed
#     (bookworm's nodejs is 18.20);
#   - otherwise it stops and prints the exact command. The tests never skip.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "ensure-nodeclient: $*" >&2; }
DIR=tests/node
LOCK="$DIR/package-lock.json"
STAMP="$DIR/node_modules/.miniredis-lock"

node_ok() {
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 \
    && node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>18||(a===18&&b>=19)?0:1)'
}

# Ready when installed from this very lock file.
if node_ok && cmp -s "$LOCK" "$STAMP" && [ -f "$DIR/node_modules/redis/package.json" ]; then
  exit 0
fi

if ! node_ok; then
  pkgs="nodejs npm"
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing $pkgs (apt-get install -y $pkgs)"
    export DEBIAN_FRONTEND=noninteractive
    # shellcheck disable=SC2086
    apt-get install -y -qq $pkgs >/dev/null 2>&1 \
      || { apt-get update -qq && apt-get install -y -qq $pkgs >/dev/null; } \
      || { say "apt-get could not install $pkgs; run: apt-get update && apt-get install -y $pkgs"; exit 1; }
    node_ok || { say "node $(node --version 2>/dev/null || echo missing) with npm is not >= 18.19 after installing $pkgs; install Node.js 18.19 or newer"; exit 1; }
  else
    say "Node.js >= 18.19 with npm is needed for the node-redis tests."
    if command -v apt-get >/dev/null 2>&1; then
      say "Run as root: apt-get update && apt-get install -y $pkgs"
    else
      say "Install Node.js 18.19 or newer with npm, then run this again."
    fi
    exit 1
  fi
fi

say "installing node-redis (npm ci in $DIR)"
(cd "$DIR" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) \
  || { say "npm ci in $DIR failed (is the npm registry reachable?)"; exit 1; }
cp "$LOCK" "$STAMP"
