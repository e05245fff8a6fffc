#!/usr/bin/env bash
# The product sheet's session, through real redis-cli, against a freshly
# started server: every reply is checked. Usage: scripts/smoke.sh [BINARY]
set -euo pipefail

BIN=${1:-./target/release/miniredis}
WORK=$(mktemp -d)
trap 'kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT
fail() { echo "smoke: FAIL: $*" >&2; exit 1; }

# A free port: ask the kernel, then let the server take it.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
AOF="$WORK/redis.aof"
start_server() {
  "$BIN" --port "$PORT" --aof "$AOF" --save '' >"$WORK/stdout" 2>"$WORK/stderr" &
  PID=$!
  # Wait for the banner's last line (an event, not a sleep).
  for _ in $(seq 1 200); do
    grep -q '^Ready to accept connections$' "$WORK/stdout" 2>/dev/null && return 0
    kill -0 "$PID" 2>/dev/null || fail "server exited: $(cat "$WORK/stderr")"
    sleep 0.05
  done
  fail "server never said it was ready"
}
check_banner() { # commands loaded
  local want
  want=$(printf 'MiniRedis server starting...\nPort: %s\nAOF: %s (loading %s commands)\nReady to accept connections' "$PORT" "$AOF" "$1")
  [ "$(cat "$WORK/stdout")" = "$want" ] || fail "banner was: $(cat "$WORK/stdout")"
}

start_server
check_banner 0
echo "smoke: banner ok"

cli() { redis-cli --no-raw -p "$PORT" "$@"; }
expect() {
  local want=$1; shift
  local got
  got=$(cli "$@")
  [ "$got" = "$want" ] || fail "'$*' replied '$got', expected '$want'"
  echo "127.0.0.1:$PORT> $*"
  echo "$got"
}

expect 'OK' SET user:1:name "Alice"
expect '"Alice"' GET user:1:name
expect 'OK' SETEX session:abc 3600 "active"
ttl=$(cli TTL session:abc)
case "$ttl" in
  "(integer) 3600"|"(integer) 3599") echo "127.0.0.1:$PORT> TTL session:abc"; echo "$ttl" ;;
  *) fail "TTL session:abc replied '$ttl'" ;;
esac

expect '(integer) 3' LPUSH queue:jobs "job1" "job2" "job3"
expect '"job1"' RPOP queue:jobs
expect '(integer) 3' HSET user:1 name "Alice" age "30" city "NYC"
expect "$(printf '1) "name"\n2) "Alice"\n3) "age"\n4) "30"\n5) "city"\n6) "NYC"')" HGETALL user:1

info=$(cli INFO | tr -d '\r')
echo "$info" | grep -qx '# Server' || fail "INFO has no '# Server' section"
echo "$info" | grep -qx 'miniredis_version:1.0.0' || fail "INFO has no miniredis_version:1.0.0"
for field in uptime_in_seconds connected_clients used_memory; do
  echo "$info" | grep -qE "^$field:[0-9]+$" || fail "INFO has no numeric $field"
done
echo "127.0.0.1:$PORT> INFO"
echo "$info" | grep -E '^(# Server|miniredis_version|uptime_in_seconds|connected_clients|used_memory):?' | head -5

# An interactive-style session (piped stdin makes redis-cli send COMMAND
# DOCS first, which must not upset it).
session=$(printf 'SET user:1:name "Alice"\nGET user:1:name\nPING\n' | redis-cli --no-raw -p "$PORT" 2>&1)
want=$(printf 'OK\n"Alice"\nPONG')
[ "$session" = "$want" ] || fail "piped redis-cli session gave: $session"
echo "smoke: piped redis-cli session ok"

# A clean shutdown on SIGTERM, exit code 0.
kill -TERM "$PID"
wait "$PID" && rc=0 || rc=$?
[ "$rc" = 0 ] || fail "exit code after SIGTERM was $rc"
echo "smoke: SIGTERM shutdown, exit 0"

# Restart from the AOF: SELECT, SET, SETEX, LPUSH, RPOP, HSET, and the piped SET.
start_server
check_banner 7
cat "$WORK/stdout"
expect '"Alice"' GET user:1:name
expect "$(printf '1) "job3"\n2) "job2"')" LRANGE queue:jobs 0 -1
kill -TERM "$PID"
wait "$PID" || fail "second shutdown failed"
echo "smoke: all checks passed"
