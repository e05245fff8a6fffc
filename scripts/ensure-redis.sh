#!/usr/bin/env bash
# Make sure the reference redis-server and redis-cli (Redis 7.0, Debian's
# packages) are installed: install them when running as root, otherwise
# stop and print the exact command. The differential tests never skip.
set -euo pipefail

if command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 \
    && command -v redis-benchmark >/dev/null 2>&1; then
  exit 0
fi

cmd="apt-get update && apt-get install -y redis-server redis-tools"
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-redis: installing redis-server and redis-tools ($cmd)" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server redis-tools >/dev/null
  # Debian starts a system redis-server on 6379; the tests use their own.
  exit 0
fi

echo "ensure-redis: redis-server/redis-cli are missing and this is not root." >&2
echo "Run as root: $cmd" >&2
exit 1
