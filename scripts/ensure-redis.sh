#!/usr/bin/env bash
# Make sure the reference redis-server and redis-cli (Redis 7.0, Debian's
# packages) are installed: install them when running as root, otherwise
# stop and print the exact command. The differential tests never skip.
#
# Debian's redis-server package also starts a system redis-server on 6379,
# the port `make run` wants; the tests start their own on free ports. So when
# this script installs the package, it keeps that service from starting (a
# policy-rc.d for the length of the install, removed afterwards), then stops
# and disables it, with systemd or without (a chroot or a container). It never
# touches a redis-server service that was installed before it ran.
set -euo pipefail

if command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 \
    && command -v redis-benchmark >/dev/null 2>&1; then
  exit 0
fi

say() { echo "ensure-redis: $*" >&2; }
cmd="apt-get update && apt-get install -y redis-server redis-tools"

if ! command -v apt-get >/dev/null 2>&1; then
  say "redis-server/redis-cli/redis-benchmark (Redis 7.0) are missing and there is no apt-get here: install them, then run this again."
  exit 1
fi
if [ "$(id -u)" != "0" ]; then
  say "redis-server/redis-cli/redis-benchmark are missing and this is not root."
  say "Run as root: $cmd"
  say "(then 'systemctl disable --now redis-server', or without systemd 'service redis-server stop', so that port 6379 stays free for make run)"
  exit 1
fi

# Was the server package there before? Then its service is the owner's business.
fresh_server=1
if dpkg-query -W -f='${Status}' redis-server 2>/dev/null | grep -q 'install ok installed'; then
  fresh_server=0
fi

# invoke-rc.d and deb-systemd-invoke ask /usr/sbin/policy-rc.d before they
# start a service; exit 101 means "not now". Ours only if there was none.
policy=/usr/sbin/policy-rc.d
ours_policy=0
cleanup() { if [ "$ours_policy" = 1 ]; then rm -f "$policy"; fi; }
trap cleanup EXIT
trap 'exit 130' INT TERM
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# ensure-redis.sh: no service starts during its apt-get install\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  ours_policy=1
fi

say "installing redis-server and redis-tools ($cmd)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq redis-server redis-tools >/dev/null
cleanup; ours_policy=0

# A live (not zombie) redis-server process?
live_redis() {
  [ -n "$1" ] && [ "$(cat "/proc/$1/comm" 2>/dev/null)" = redis-server ] \
    && [ "$(sed 's/.*) //; s/ .*//' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

if [ "$fresh_server" = 1 ]; then
  # The package's daemon writes this pidfile; read it before the init script removes it.
  pidfile=/run/redis/redis-server.pid
  pid=$(cat "$pidfile" 2>/dev/null || true)
  # Stop and disable the system redis-server, whatever runs (or not) the services.
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    systemctl disable --now redis-server >/dev/null 2>&1 || true
  else
    # no systemd running: drop its boot links (works offline), stop the init script's daemon
    if command -v systemctl >/dev/null 2>&1; then systemctl disable redis-server >/dev/null 2>&1 || true; fi
    if command -v update-rc.d >/dev/null 2>&1; then update-rc.d redis-server disable >/dev/null 2>&1 || true; fi
    if command -v service >/dev/null 2>&1; then service redis-server stop >/dev/null 2>&1 || true; fi
  fi
  # Whatever ran it (or failed to stop it), no daemon of the package may be left.
  [ -n "$pid" ] || pid=$(cat "$pidfile" 2>/dev/null || true)
  if live_redis "$pid"; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do live_redis "$pid" || break; sleep 0.1; done
  fi
  say "installed; Debian's redis-server service is stopped and disabled (port 6379 is left free for make run)"
fi
