#!/usr/bin/env bash
# User-space instructions per request (valgrind cachegrind's Ir) of one
# miniredis binary against another, per redis-benchmark test and pipeline
# depth: a regression check that machine noise cannot move. (On a shared
# 2-core VM redis-benchmark throughput swings +-20% between identical runs,
# even A against A; instruction counts repeat to within a few per request.)
# Each figure is the Ir of a run of 2N requests minus a run of N, divided
# by N, so startup and shutdown cancel out. Kernel time (the syscalls,
# identical between builds that make the same calls) is not counted.
#
# Usage: scripts/bench-instructions.sh NEW_BINARY BASELINE_BINARY
#   env: TESTS=ping_inline,set,... N=20000 PORT=7921
# Needs valgrind (apt-get install -y valgrind) and redis-benchmark.
set -euo pipefail
NEW=${1:?usage: $0 NEW_BINARY BASELINE_BINARY}
OLD=${2:?usage: $0 NEW_BINARY BASELINE_BINARY}
N=${N:-20000}
PORT=${PORT:-7921}
TESTS=${TESTS:-ping_inline,set,get,incr,mset,lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin}
command -v valgrind >/dev/null || { echo "needs valgrind: apt-get install -y valgrind" >&2; exit 1; }
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT

ir() { # binary test depth requests
  rm -f "$OUT"
  valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file="$OUT" \
    "$1" --port "$PORT" --save '' --appendonly no >/dev/null 2>&1 &
  local vp=$!
  for _ in $(seq 1 300); do redis-cli -p "$PORT" PING >/dev/null 2>&1 && break; sleep 0.05; done
  redis-benchmark -p "$PORT" -t "$2" -n "$4" -P "$3" -c 50 -r 100000 -q >/dev/null 2>&1
  redis-cli -p "$PORT" SHUTDOWN NOSAVE >/dev/null 2>&1 || true
  wait "$vp" || true
  awk '/^summary/ {print $2}' "$OUT"
}

printf '%-12s %3s %10s %10s %7s\n' test -P new baseline ratio
worst=
for t in ${TESTS//,/ }; do
  for P in 1 16; do
    a=$(ir "$NEW" "$t" "$P" "$N"); b=$(ir "$NEW" "$t" "$P" $((2 * N)))
    c=$(ir "$OLD" "$t" "$P" "$N"); d=$(ir "$OLD" "$t" "$P" $((2 * N)))
    new=$(( (b - a) / N )); old=$(( (d - c) / N ))
    r=$(awk -v o="$old" -v n="$new" 'BEGIN {printf "%.3f", o / n}')
    printf '%-12s %3s %10d %10d %7s\n' "$t" "$P" "$new" "$old" "$r"
    worst=$(awk -v w="${worst:-9}" -v r="$r" 'BEGIN {print (r < w ? r : w)}')
  done
done
echo "lowest ratio: $worst (baseline/new instructions per request; above 1.00 means the new binary does less work)"
