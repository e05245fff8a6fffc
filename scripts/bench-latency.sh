#!/usr/bin/env bash
# Loop stalls, side by side with redis-server: a probe client
# (scripts/latency-probe.py) sends a command every millisecond and records
# its round trips while another client runs each scenario, first against
# miniredis, then against redis-server, each started fresh:
#   unlink-list / unlink-hash  UNLINK of a 1,000,000-element list / hash
#   del-hash                   DEL of the same hash (synchronous in both)
#   flushall-async             FLUSHALL ASYNC of 1,000,000 keys
#   expire-storm               1,000,000 keys expiring at the same moment
#   insert                     4,000,000 new keys (SET, 4 clients, -P 16)
#   bgsave-writes              a writing probe while BGSAVE of 1,000,000 keys runs
# Prints p50 / p99 / p99.9 / max (ms) and samples over 10 ms and 100 ms,
# and the ratio of max and p99.9 (miniredis / redis; below 1 is better):
# medians of ROUNDS runs of each scenario (the servers alternate).
#
# Usage: scripts/bench-latency.sh [BINARY]
#   env: SCENARIOS=unlink-list,... ROUNDS=3 ELEMS=1000000 KEYS=1000000 INSERT=4000000
set -euo pipefail

BIN=${1:-./target/release/miniredis}
ELEMS=${ELEMS:-1000000}
KEYS=${KEYS:-1000000}
INSERT=${INSERT:-4000000}
SCENARIOS=${SCENARIOS:-unlink-list,unlink-hash,del-hash,flushall-async,expire-storm,insert,bgsave-writes}
ROUNDS=${ROUNDS:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
PROBE="$HERE/latency-probe.py"
WORK=$(mktemp -d)
PID=
PROBE_PID=
cleanup() {
  [ -n "$PROBE_PID" ] && kill "$PROBE_PID" 2>/dev/null || true
  [ -n "$PID" ] && kill "$PID" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ready() {
  for _ in $(seq 1 400); do redis-cli -p "$1" PING >/dev/null 2>&1 && return 0; sleep 0.05; done
  echo "bench-latency: server on $1 did not start" >&2; exit 1
}
start() { # who
  rm -rf "$WORK/dir"; mkdir -p "$WORK/dir"
  PORT=$(free_port)
  if [ "$1" = miniredis ]; then
    "$BIN" --port "$PORT" --save '' --appendonly no --dir "$WORK/dir" >/dev/null 2>&1 &
  else
    redis-server --port "$PORT" --save '' --appendonly no --daemonize no --dir "$WORK/dir" >/dev/null 2>&1 &
  fi
  PID=$!
  wait_ready "$PORT"
}
stop() { redis-cli -p "$PORT" SHUTDOWN NOSAVE >/dev/null 2>&1 || kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; PID=; }
cli() { redis-cli -p "$PORT" "$@"; }
pipe() { redis-cli -p "$PORT" --pipe >/dev/null; }

# RESP for COUNT elements in one collection, 1,000 per command.
fill() { # type key count
  python3 - "$1" "$2" "$3" <<'PY'
import sys
kind, key, n = sys.argv[1], sys.argv[2].encode(), int(sys.argv[3])
out = sys.stdout.buffer
def bulk(b): return b"$%d\r\n%s\r\n" % (len(b), b)
for start in range(0, n, 1000):
    items = []
    for i in range(start, min(n, start + 1000)):
        v = b"element:%d" % i
        items += [v, v] if kind == "hash" else [v]
    cmd = [b"RPUSH" if kind == "list" else b"HSET", key] + items
    out.write(b"*%d\r\n" % len(cmd) + b"".join(bulk(x) for x in cmd))
PY
}
# RESP for KEYS string keys, optionally all expiring at PXAT.
keys() { # count [pxat]
  python3 - "$1" "${2:-}" <<'PY'
import sys
n, pxat = int(sys.argv[1]), sys.argv[2]
out = sys.stdout.buffer
for i in range(n):
    k = b"key:%012d" % i
    if pxat:
        out.write(b"*5\r\n$3\r\nSET\r\n$16\r\n%s\r\n$3\r\nVXK\r\n$4\r\nPXAT\r\n$%d\r\n%s\r\n" % (k, len(pxat), pxat.encode()))
    else:
        out.write(b"*3\r\n$3\r\nSET\r\n$16\r\n%s\r\n$3\r\nVXK\r\n" % k)
PY
}

probe_start() { # [--write]
  rm -f "$WORK/ready" "$WORK/probe.out"
  python3 "$PROBE" --port "$PORT" --ready "$WORK/ready" "$@" > "$WORK/probe.out" &
  PROBE_PID=$!
  for _ in $(seq 1 200); do [ -e "$WORK/ready" ] && break; sleep 0.01; done
  sleep 0.3  # a few quiet samples first
}
probe_stop() {
  sleep 0.3
  kill -TERM "$PROBE_PID"; wait "$PROBE_PID" || true; PROBE_PID=
  cat "$WORK/probe.out"
}

scenario() { # name -> prints the probe line
  case $1 in
    unlink-list|unlink-hash|del-hash)
      local kind=${1#*-}; local cmd=UNLINK; [ "${1%%-*}" = del ] && cmd=DEL
      fill "$kind" big "$ELEMS" | pipe
      probe_start; cli "$cmd" big >/dev/null; probe_stop ;;
    flushall-async)
      keys "$KEYS" | pipe
      probe_start; cli FLUSHALL ASYNC >/dev/null; probe_stop ;;
    expire-storm)
      local at=$(( $(date +%s%3N) + 4000 + KEYS / 200 ))
      keys "$KEYS" "$at" | pipe
      probe_start
      while [ "$(cli DBSIZE)" != 0 ]; do sleep 0.2; done
      probe_stop ;;
    insert)
      probe_start
      redis-benchmark -p "$PORT" -t set -n "$INSERT" -r 1000000000 -c 4 -P 16 -q >/dev/null 2>&1
      probe_stop ;;
    bgsave-writes)
      keys "$KEYS" | pipe
      probe_start --write
      cli BGSAVE >/dev/null
      sleep 0.1
      while cli INFO persistence | grep -q 'rdb_bgsave_in_progress:1'; do sleep 0.05; done
      probe_stop ;;
    *) echo "unknown scenario $1" >&2; exit 1 ;;
  esac
}

echo "bench-latency: miniredis $("$BIN" --version), $(redis-server --version | cut -d' ' -f1-3); $ROUNDS rounds, medians"
printf '%-16s %-9s %7s %8s %8s %8s %8s %6s %6s\n' scenario server samples p50 p99 p99.9 max '>10ms' '>100ms'
for sc in ${SCENARIOS//,/ }; do
  : > "$WORK/rounds"
  for _ in $(seq 1 "$ROUNDS"); do
    for who in miniredis redis; do
      start "$who"
      echo "$who $(scenario "$sc" | tail -1)" >> "$WORK/rounds"
      stop
    done
  done
  # Each column's median over the rounds, per server (a single run's worst
  # sample on a shared machine is mostly noise), then the ratios.
  python3 - "$sc" "$WORK/rounds" <<'PY'
import statistics, sys
sc, path = sys.argv[1], sys.argv[2]
rows = {}
for line in open(path):
    who, *vals = line.split()
    rows.setdefault(who, []).append([float(v) for v in vals])
med = {w: [statistics.median(col) for col in zip(*r)] for w, r in rows.items()}
for w in ("miniredis", "redis"):
    n, p50, p99, p999, mx, o10, o100 = med[w]
    print(f"{sc:<16} {w:<9} {n:7.0f} {p50:8.3f} {p99:8.3f} {p999:8.3f} {mx:8.3f} {o10:6.0f} {o100:6.0f}")
m, r = med["miniredis"], med["redis"]
ratio = lambda a, b: a / b if b > 0 else 0
print(f"{sc:<16} ratio (miniredis/redis): max {ratio(m[4], r[4]):.2f}, p99.9 {ratio(m[3], r[3]):.2f}")
PY
done
