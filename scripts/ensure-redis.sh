#!/usr/bin/env bash
# Make sure the reference redis-server, redis-cli and redis-sentinel (Redis
# 7.0, Debian's packages) are installed: install the missing ones when running
# as root, otherwise stop and print the exact command. The differential tests
# and the Sentinel failover check never skip.
#
# Debian's redis-server package also starts a system redis-server on 6379,
# the port `make run` wants, and its redis-sentinel package a system Sentinel
# on 26379; the tests start their own on free ports. So when this script
# installs a package, it keeps its service from starting (a policy-rc.d for
# the length of the install, removed afterwards), then stops and disables it,
# with systemd or without (a chroot or a container). It never touches a
# redis-server or redis-sentinel service that was installed before it ran.
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1; }

# The packages that bring the missing commands (redis-tools has redis-cli and
# redis-benchmark); an installed package is left alone, as is its version.
pkgs=""
have redis-server || pkgs="$pkgs redis-server"
{ have redis-cli && have redis-benchmark; } || pkgs="$pkgs redis-tools"
have redis-sentinel || pkgs="$pkgs redis-sentinel"
pkgs=${pkgs# }
if [ -z "$pkgs" ]; then
  exit 0
fi

say() { echo "ensure-redis: $*" >&2; }
cmd="apt-get update && apt-get install -y $pkgs"

if ! have apt-get; then
  say "redis-server/redis-cli/redis-benchmark/redis-sentinel (Redis 7.0) are not all here (missing packages: $pkgs) and there is no apt-get here: install them, then run this again."
  exit 1
fi
if [ "$(id -u)" != "0" ]; then
  say "redis-server/redis-cli/redis-benchmark/redis-sentinel are not all here (missing packages: $pkgs) and this is not root."
  say "Run as root: $cmd"
  # The packages with a service: the system redis-server (6379), Sentinel (26379).
  svcs=$(echo "$pkgs" | sed 's/redis-tools//; s/  */ /g; s/^ //; s/ $//')
  if [ -n "$svcs" ]; then
    stops=$(for s in $svcs; do printf '%sservice %s stop' "${sep:-}" "$s"; sep="; "; done)
    say "(then 'systemctl disable --now $svcs', or without systemd '$stops', so that ports 6379 and 26379 stay free for make run and the tests)"
  fi
  exit 1
fi

# Was a service's package there before? Then that service is the owner's business.
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
fresh_server=1
if installed redis-server; then
  fresh_server=0
fi
fresh_sentinel=1
if installed redis-sentinel; then
  fresh_sentinel=0
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

say "installing $pkgs ($cmd)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086 # one word per package
apt-get install -y -qq $pkgs >/dev/null
cleanup; ours_policy=0

# A live (not zombie) process $2 named $1?
live_proc() {
  [ -n "$2" ] && [ "$(cat "/proc/$2/comm" 2>/dev/null)" = "$1" ] \
    && [ "$(sed 's/.*) //; s/ .*//' "/proc/$2/stat" 2>/dev/null)" != Z ]
}

# Stops and disables service $1 (daemon $1 too, pidfile $2), whatever runs
# (or not) the services.
stop_service() {
  local name=$1 pidfile=$2 pid
  # The package's daemon writes this pidfile; read it before the init script removes it.
  pid=$(cat "$pidfile" 2>/dev/null || true)
  if [ -d /run/systemd/system ] && have systemctl; then
    systemctl disable --now "$name" >/dev/null 2>&1 || true
  else
    # no systemd running: drop its boot links (works offline), stop the init script's daemon
    if have systemctl; then systemctl disable "$name" >/dev/null 2>&1 || true; fi
    if have update-rc.d; then update-rc.d "$name" disable >/dev/null 2>&1 || true; fi
    if have service; then service "$name" stop >/dev/null 2>&1 || true; fi
  fi
  # Whatever ran it (or failed to stop it), no daemon of the package may be left.
  [ -n "$pid" ] || pid=$(cat "$pidfile" 2>/dev/null || true)
  if live_proc "$name" "$pid"; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do live_proc "$name" "$pid" || break; sleep 0.1; done
  fi
}

# Only the services of packages this run installed.
if [ "$fresh_server" = 1 ] && installed redis-server; then
  stop_service redis-server /run/redis/redis-server.pid
  say "installed; Debian's redis-server service is stopped and disabled (port 6379 is left free for make run)"
fi
if [ "$fresh_sentinel" = 1 ] && installed redis-sentinel; then
  stop_service redis-sentinel /run/sentinel/redis-sentinel.pid
  say "installed; Debian's redis-sentinel service is stopped and disabled (port 26379 is left free)"
fi
