#!/usr/bin/env bash
# redis-benchmark against miniredis and redis-server side by side, in
# alternation, on the same machine: medians of each test and the ratio
# miniredis/redis (above 1 means miniredis is faster). Then 1,000,000 small
# string keys into each (used_memory and RSS per key), and one list, hash
# and set of 1,000,000 elements each (bytes per element).
#
# Then persistence: SET throughput with the AOF on (miniredis with `always`
# against Redis with `everysec` and with `always`, and both `everysec`), the
# loop's longest pause (seen by a PING stream) while BGSAVE and
# BGREWRITEAOF of KEYS keys start, memory during them under writes, and
# SAVE and load times.
#
# Usage: scripts/bench.sh [BINARY]
#   env: ROUNDS=3 REQUESTS=200000 KEYS=1000000 ELEMS=1000000 TESTS=...
#        SECTIONS=throughput,memory,bgsave,aof,aofrw,rdb (any subset)
#        AOF_REQUESTS=100000 SMALL=200000 CUSTOM=0 (skip the zrank/zrange/publish tests)
#        CUSTOM_TESTS=setbit,pfadd,... (only these of the custom tests)
#        BASELINE=/path/to/older/miniredis: compare BINARY against that binary
#        instead of redis-server (a change's regression check; the ratio column
#        is then new/old, and SECTIONS defaults to throughput)
set -euo pipefail

BIN=${1:-./target/release/miniredis}
ROUNDS=${ROUNDS:-3}
REQUESTS=${REQUESTS:-200000}
KEYS=${KEYS:-1000000}
TESTS=${TESTS:-ping_inline,set,get,incr,mset,lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,lrange_100,lrange_600}
ELEMS=${ELEMS:-1000000}
BASELINE=${BASELINE:-}
if [ -n "$BASELINE" ]; then SECTIONS=${SECTIONS:-throughput}; fi
SECTIONS=${SECTIONS:-throughput,memory,bgsave,aof,aofrw,rdb}
OTHER=${BASELINE:+baseline}; OTHER=${OTHER:-redis}  # the second column's name
AOF_REQUESTS=${AOF_REQUESTS:-100000}
want() { [[ ",$SECTIONS," == *",$1,"* ]]; }
# PIN=1 (the default where taskset and 2+ CPUs exist): servers on CPU 0,
# redis-benchmark on CPU 1, so the two never take turns on one core (on a
# 2-core machine that turn-taking swings a ratio by +-20% between reruns).
PIN=${PIN:-$([ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null && echo 1 || echo 0)}
on_server_cpu() { if [ "$PIN" = 1 ]; then exec taskset -c 0 "$@"; else exec "$@"; fi; }  # always run with &: exec keeps $! the server's pid
on_bench_cpu() { if [ "$PIN" = 1 ]; then taskset -c 1 "$@"; else "$@"; fi; }
# Each test runs on both servers back to back, the first one alternating by
# round: this VM's throughput drifts between phases seconds long (-P 1 runs
# jump between ~100k and ~160k rps for both servers alike), so a pair taken
# seconds apart shares its phase, and the ratio column is the median of the
# rounds' paired ratios.
pair_order() { if [ $(( $1 % 2 )) = 1 ]; then echo miniredis redis; else echo redis miniredis; fi; }
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ready() { # port
  for _ in $(seq 1 200); do redis-cli -p "$1" PING >/dev/null 2>&1 && return 0; sleep 0.05; done
  echo "bench: server on $1 did not start" >&2; exit 1
}

# Both servers, each in its own directory; extra arguments (e.g.
# --appendonly yes) go to both, then MR_ARGS / RD_ARGS (arrays) to one.
MR_ARGS=(); RD_ARGS=()
start_servers() {
  mkdir -p "$WORK/mr" "$WORK/rd"
  MR_PORT=$(free_port)
  on_server_cpu "$BIN" --port "$MR_PORT" --save '' --appendonly no --dir "$WORK/mr" "$@" "${MR_ARGS[@]}" >/dev/null 2>"$WORK/mr.err" &
  MR_PID=$!; PIDS+=("$MR_PID")
  RD_PORT=$(free_port)
  if [ -n "$BASELINE" ]; then
    on_server_cpu "$BASELINE" --port "$RD_PORT" --save '' --appendonly no --dir "$WORK/rd" "$@" "${RD_ARGS[@]}" >/dev/null 2>"$WORK/rd.err" &
  else
    on_server_cpu redis-server --port "$RD_PORT" --save '' --appendonly no --daemonize no --dir "$WORK/rd" "$@" "${RD_ARGS[@]}" >/dev/null 2>&1 &
  fi
  RD_PID=$!; PIDS+=("$RD_PID")
  wait_ready "$MR_PORT"; wait_ready "$RD_PORT"
}

# The medians of a results file (who, -P, test, rps rows) and their ratios.
summarize() { # file
  python3 - "$1" "$OTHER" <<'PY'
import sys, statistics
other = sys.argv[2]
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
data = {}
cpu = {}
pairs = {}  # (p, test) -> round -> who -> rps
for row in rows:
    who, p, test, rps = row[:4]
    data.setdefault((p, test), {}).setdefault(who, []).append(float(rps))
    if len(row) > 5:
        pairs.setdefault((p, test), {}).setdefault(row[5], {})[who] = float(rps)
    if len(row) > 4 and float(row[4]) > 0:
        cpu.setdefault((p, test), {}).setdefault(who, []).append(float(row[4]))
print()
print(f"{'test':<22} {'-P':>3} {'miniredis rps':>14} {other + ' rps':>12} {'ratio':>7}"
      + (f" {'ns/req':>8} {other[:5] + ' ns':>8} {'cpu ratio':>9}" if cpu else ""))
worst = worst_cpu = None
for (p, test), d in sorted(data.items(), key=lambda kv: (int(kv[0][0]), kv[0][1])):
    m = statistics.median(d.get("miniredis", [0])); r = statistics.median(d.get("redis", [0]))
    paired = [rd["miniredis"] / rd["redis"] for rd in pairs.get((p, test), {}).values()
              if rd.get("miniredis") and rd.get("redis")]
    ratio = statistics.median(paired) if paired else (m / r if r else 0)
    worst = ratio if worst is None else min(worst, ratio)
    line = f"{test:<22} {p:>3} {m:>14,.0f} {r:>12,.0f} {ratio:>7.2f}"
    c = cpu.get((p, test), {})
    if c.get("miniredis") and c.get("redis"):
        cm = statistics.median(c["miniredis"]); cr = statistics.median(c["redis"])
        worst_cpu = cr / cm if worst_cpu is None else min(worst_cpu, cr / cm)
        line += f" {cm:>8,.0f} {cr:>8,.0f} {cr / cm:>9.2f}"
    print(line)
if worst is not None:
    print(f"\nlowest ratio: {worst:.2f} (median of the rounds' back-to-back pairs; above 1.00 means miniredis is faster than {other})")
if worst_cpu is not None:
    print(f"lowest cpu ratio: {worst_cpu:.2f} (server main-thread CPU per request, {other}/miniredis; above 1.00 means miniredis spends less)")
PY
}

# Load KEYS string keys "key:%012d" -> 3-byte values into the server on $1.
load_keys() {
  python3 -c "
import sys
out = sys.stdout.buffer
for i in range($KEYS):
    k = b'key:%012d' % i
    out.write(b'*3\r\n\$3\r\nSET\r\n\$16\r\n' + k + b'\r\n\$3\r\nVXK\r\n')
" | redis-cli -p "$1" --pipe >/dev/null
}

stop_servers() {
  kill "$MR_PID" "$RD_PID" 2>/dev/null || true
  wait "$MR_PID" "$RD_PID" 2>/dev/null || true
}

start_servers
if [ -n "$BASELINE" ]; then other_version="baseline $("$BASELINE" --version) ($BASELINE)"; else other_version=$(redis-server --version | cut -d' ' -f1-3); fi
echo "bench: miniredis $("$BIN" --version) on $MR_PORT (pid $MR_PID), $other_version on $RD_PORT (pid $RD_PID)"
echo "bench: sections $SECTIONS; $ROUNDS rounds, -n $REQUESTS -c 50 -r 100000, tests $TESTS"

if want throughput; then

: > "$WORK/results"
# The server's main-thread CPU time (ns, from schedstat: exact, unlike the
# 10 ms ticks of /proc/PID/stat) spent on each test: on a shared 2-core
# machine throughput swings +-15% between runs, CPU per request far less.
cpu_ns() { awk '{print $1}' "/proc/$1/task/$1/schedstat" 2>/dev/null || echo 0; }
for round in $(seq 1 "$ROUNDS"); do
  for P in 1 16; do
    for t in ${TESTS//,/ }; do
      for who in $(pair_order "$round"); do
        port=$MR_PORT; pid=$MR_PID; [ "$who" = redis ] && { port=$RD_PORT; pid=$RD_PID; }
        redis-cli -p "$port" FLUSHALL >/dev/null
        c0=$(cpu_ns "$pid")
        out=$(on_bench_cpu redis-benchmark -p "$port" -c 50 -P "$P" -r 100000 -n "$REQUESTS" -t "$t" --csv 2>/dev/null | tail -n +2 | tr -d '"')
        c1=$(cpu_ns "$pid")
        # One row per test line; an LRANGE run also has the LPUSH that
        # fills its list, so its CPU is not one test's and is left out (0).
        lines=$(printf '%s\n' "$out" | grep -c . || true)
        printf '%s\n' "$out" | awk -F, -v w="$who" -v p="$P" -v cpu=$(( lines == 1 ? (c1 - c0) / REQUESTS : 0 )) \
          -v r="$round" 'BEGIN{OFS="\t"} NF {print w, p, $1, $2, cpu, r}' >> "$WORK/results"
      done
    done
  done
done

if [ "${CUSTOM:-1}" = 1 ]; then
# Custom commands: rank queries near the middle of a 1,000,000-member
# sorted set, PUBLISH to a channel with 10 subscribers, and EVALSHA of a
# script doing one GET and one INCR (and FCALL of the same as a function).
ZMEMBERS=${ZMEMBERS:-1000000}
for who in miniredis redis; do
  port=$MR_PORT; [ "$who" = redis ] && port=$RD_PORT
  redis-cli -p "$port" DEL bigz >/dev/null
  python3 -c "
import sys
out = sys.stdout.buffer
n = $ZMEMBERS
for start in range(0, n, 1000):
    args = [b'ZADD', b'bigz']
    for i in range(start, min(n, start + 1000)):
        args += [b'%d' % i, b'member:%08d' % i]
    out.write(b'*%d\r\n' % len(args) + b''.join(b'\$%d\r\n%s\r\n' % (len(a), a) for a in args))
" | redis-cli -p "$port" --pipe >/dev/null
done
SUBS=()
for who in miniredis redis; do
  port=$MR_PORT; [ "$who" = redis ] && port=$RD_PORT
  for _ in $(seq 1 10); do
    redis-cli -p "$port" SUBSCRIBE news >/dev/null 2>&1 &
    SUBS+=($!)
  done
done
mid=$(printf 'member:%08d' $((ZMEMBERS / 2)))
# Streams: XRANGE of 10 in the middle of a 100,000-entry stream, and a
# group reading (XREADGROUP COUNT 1, the group rewound before each run)
# and acknowledging (XACK of random IDs) a 200,000-entry stream.
for who in miniredis redis; do
  port=$MR_PORT; [ "$who" = redis ] && port=$RD_PORT
  redis-cli -p "$port" DEL bigx rg xs >/dev/null
  python3 -c "
import sys
out = sys.stdout.buffer
def cmd(args):
    out.write(b'*%d\r\n' % len(args) + b''.join(b'\$%d\r\n%s\r\n' % (len(a), a) for a in args))
for i in range(1, 100001):
    cmd([b'XADD', b'bigx', b'%d-0' % i, b'field', b'value:%08d' % i])
for i in range(1, 200001):
    cmd([b'XADD', b'rg', b'%d-0' % i, b'job', b'%d' % i])
" | redis-cli -p "$port" --pipe >/dev/null
  redis-cli -p "$port" XGROUP CREATE rg g 0 >/dev/null
done
# Geo: 100,000 places within 5 degrees of (15, 37) for GEOSEARCH; bitmaps:
# SETBIT in a 25,000-byte string (redis-benchmark pads __rand_int__ with
# zeros, which no bit offset may have) and BITCOUNT of it.
for who in miniredis redis; do
  port=$MR_PORT; [ "$who" = redis ] && port=$RD_PORT
  redis-cli -p "$port" DEL bigg gs bits >/dev/null
  python3 -c "
import sys, random
random.seed(7)
out = sys.stdout.buffer
for start in range(0, 100000, 1000):
    args = [b'GEOADD', b'bigg']
    for i in range(start, start + 1000):
        args += [b'%.6f' % random.uniform(10, 20), b'%.6f' % random.uniform(32, 42), b'place:%06d' % i]
    out.write(b'*%d\r\n' % len(args) + b''.join(b'\$%d\r\n%s\r\n' % (len(a), a) for a in args))
" | redis-cli -p "$port" --pipe >/dev/null
  redis-cli -p "$port" SETBIT bits 199999 1 >/dev/null
  # A dense HLL of 100,000 elements (PFCOUNT of it recomputes nothing once
  # cached; PFADD of random elements mostly leaves it unchanged).
  redis-cli -p "$port" DEL hll >/dev/null
  python3 -c "
import sys
out = sys.stdout.buffer
for start in range(0, 100000, 1000):
    args = [b'PFADD', b'hll'] + [b'el:%d' % i for i in range(start, start + 1000)]
    out.write(b'*%d\r\n' % len(args) + b''.join(b'\$%d\r\n%s\r\n' % (len(a), a) for a in args))
" | redis-cli -p "$port" --pipe >/dev/null
done
# A small script: one GET and one INCR (Lua scripting's per-call cost).
SCRIPT_SHA=""
for who in miniredis redis; do
  port=$MR_PORT; [ "$who" = redis ] && port=$RD_PORT
  SCRIPT_SHA=$(redis-cli -p "$port" SCRIPT LOAD "redis.call('get', KEYS[1]) return redis.call('incr', KEYS[1])")
  # The same as a function (FCALL's per-call cost).
  redis-cli -p "$port" FUNCTION LOAD REPLACE "#!lua name=benchlib
redis.register_function('get_incr', function(keys) redis.call('get', keys[1]) return redis.call('incr', keys[1]) end)" >/dev/null
done
for round in $(seq 1 "$ROUNDS"); do
  for P in 1 16; do
    for spec in "zrank_mid:ZRANK bigz $mid" "zrange_mid:ZRANGE bigz $((ZMEMBERS / 2)) $((ZMEMBERS / 2 + 9))" "publish_10_subs:PUBLISH news hello" "evalsha_get_incr:EVALSHA $SCRIPT_SHA 1 counter" "fcall_get_incr:FCALL get_incr 1 counter" "xadd:XADD xs * field value" "xrange_10:XRANGE bigx 50000 + COUNT 10" "xreadgroup:XREADGROUP GROUP g c COUNT 1 STREAMS rg >" "xack:XACK rg g __rand_int__-0" "setbit:SETBIT bits 123456 1" "bitcount:BITCOUNT bits" "geoadd:GEOADD gs 13.361389 38.115556 m:__rand_int__" "geosearch:GEOSEARCH bigg FROMLONLAT 15 37 BYRADIUS 50 km COUNT 10 ASC" "pfadd:PFADD hll el:__rand_int__" "pfcount:PFCOUNT hll"; do
      name=${spec%%:*}; cmd=${spec#*:}
      if [ -n "${CUSTOM_TESTS:-}" ] && [[ ",$CUSTOM_TESTS," != *",$name,"* ]]; then continue; fi
      for who in $(pair_order "$round"); do
        port=$MR_PORT; [ "$who" = redis ] && port=$RD_PORT
        if [ "$name" = xreadgroup ]; then redis-cli -p "$port" XGROUP SETID rg g 0 >/dev/null; fi
        # $cmd is split on spaces, never globbed (XADD's `*`).
        set -f
        rps=$(on_bench_cpu redis-benchmark -p "$port" -c 50 -P "$P" -n "$REQUESTS" -r 200000 --csv $cmd 2>/dev/null | tail -n 1 | tr -d '"' | cut -d, -f2)
        set +f
        printf '%s\t%s\t%s\t%s\t0\t%s\n' "$who" "$P" "$name" "$rps" "$round" >> "$WORK/results"
      done
    done
  done
done
kill "${SUBS[@]}" 2>/dev/null || true
fi

summarize "$WORK/results"
fi # throughput

mem_field() { redis-cli -p "$1" INFO memory | tr -d '\r' | awk -F: -v f="$2" '$1==f{print $2}'; }
rss_of() { awk '/^VmRSS:/{print $2*1024}' "/proc/$1/status"; }

if want memory; then
# Memory per key: KEYS keys (fresh servers: memory an earlier FLUSHALL
# freed stays in the allocator and would hide RSS growth)
stop_servers
start_servers
# Memory per key: KEYS keys "key:%012d" with 3-byte values, as keyspace-notes.md measures.
echo
printf '%-10s %14s %14s %12s %12s\n' server used_memory rss used/key rss/key
for who in miniredis redis; do
  port=$MR_PORT; pid=$MR_PID
  [ "$who" = redis ] && { port=$RD_PORT; pid=$RD_PID; }
  redis-cli -p "$port" FLUSHALL >/dev/null
  base_used=$(mem_field "$port" used_memory); base_rss=$(rss_of "$pid")
  load_keys "$port"
  n=$(redis-cli -p "$port" DBSIZE)
  used=$(mem_field "$port" used_memory); rss=$(rss_of "$pid")
  awk -v w="$who" -v u="$used" -v r="$rss" -v bu="$base_used" -v br="$base_rss" -v n="$n" \
    'BEGIN { printf "%-10s %14d %14d %12.1f %12.1f   (%d keys)\n", w, u, r, (u-bu)/n, (r-br)/n, n }'
done

# Bytes per element of one big collection: RPUSH / HSET / SADD in batches,
# each into freshly started servers (memory freed by an earlier FLUSHALL
# stays in the allocator and would hide the RSS growth).
echo
printf '%-10s %-6s %14s %14s\n' server type used/elem rss/elem
for kind in list hash set stream; do
  stop_servers
  start_servers
  for who in miniredis redis; do
    port=$MR_PORT; pid=$MR_PID
    [ "$who" = redis ] && { port=$RD_PORT; pid=$RD_PID; }
    redis-cli -p "$port" FLUSHALL >/dev/null
    base_used=$(mem_field "$port" used_memory); base_rss=$(rss_of "$pid")
    [ -n "${BENCH_DEBUG:-}" ] && echo "debug: $who pid=$pid port=$port base_rss=$base_rss" >&2
    python3 -c "
import sys
out = sys.stdout.buffer
kind, n, batch = '$kind', $ELEMS, 1000
def cmd(args):
    out.write(b'*%d\r\n' % len(args) + b''.join(b'\$%d\r\n%s\r\n' % (len(a), a) for a in args))
for start in range(0, n, batch):
    ids = range(start, min(n, start + batch))
    if kind == 'list':
        cmd([b'RPUSH', b'biglist'] + [b'elem:%08d' % i for i in ids])
    elif kind == 'hash':
        args = [b'HSET', b'bighash']
        for i in ids:
            args += [b'field:%08d' % i, b'VXK']
        cmd(args)
    elif kind == 'set':
        cmd([b'SADD', b'bigset'] + [b'member:%08d' % i for i in ids])
    else:
        for i in ids:
            cmd([b'XADD', b'bigstream', b'*', b'field', b'val:%08d' % i])
" | redis-cli -p "$port" --pipe >/dev/null
    used=$(mem_field "$port" used_memory); rss=$(rss_of "$pid")
    awk -v w="$who" -v t="$kind" -v u="$used" -v r="$rss" -v bu="$base_used" -v br="$base_rss" -v n="$ELEMS" \
      'BEGIN { printf "%-10s %-6s %14.1f %14.1f\n", w, t, (u-bu)/n, (r-br)/n }'
  done
done


# Bytes per key of many small collections (200,000 keys each): the common
# shape of real data (user:1 -> a few fields), where per-key overhead and
# the compact encodings decide.
SMALL=${SMALL:-200000}
echo
printf '%-10s %-8s %14s\n' server small used/key
for kind in hash3 set3 intset3 zset3 list3; do
  stop_servers
  start_servers
  for who in miniredis redis; do
    port=$MR_PORT; [ "$who" = redis ] && port=$RD_PORT
    base_used=$(mem_field "$port" used_memory)
    python3 -c "
import sys
out = sys.stdout.buffer
kind = '$kind'
for i in range($SMALL):
    k = b'key:%08d' % i
    if kind == 'hash3': args = [b'HSET', k, b'name', b'alice%d' % i, b'age', b'30', b'city', b'paris']
    elif kind == 'set3': args = [b'SADD', k, b'red%d' % i, b'green', b'blue']
    elif kind == 'intset3': args = [b'SADD', k, b'%d' % i, b'2', b'3']
    elif kind == 'zset3': args = [b'ZADD', k, b'1', b'alice%d' % i, b'2', b'bob', b'3.5', b'carol']
    else: args = [b'RPUSH', k, b'a%d' % i, b'bb', b'ccc']
    out.write(b'*%d\r\n' % len(args) + b''.join(b'\$%d\r\n%s\r\n' % (len(a), a) for a in args))
" | redis-cli -p "$port" --pipe >/dev/null
    used=$(mem_field "$port" used_memory)
    awk -v w="$who" -v t="$kind" -v u="$used" -v bu="$base_used" -v n="$SMALL" \
      'BEGIN { printf "%-10s %-8s %14.1f\n", w, t, (u-bu)/n }'
  done
done
fi # memory

# A client's view of the loop: PING one at a time until the file $2
# appears, then print the slowest round trip in microseconds.
ping_stream() { # port stopfile
  python3 - "$1" "$2" <<'PY'
import os, socket, sys, time
port, stop = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", port))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
worst = 0.0
n = 0
while not (n % 64 == 0 and os.path.exists(stop)):
    t = time.perf_counter()
    s.sendall(b"PING\r\n")
    buf = b""
    while not buf.endswith(b"\r\n"):
        buf += s.recv(64)
    worst = max(worst, time.perf_counter() - t)
    n += 1
print(int(worst * 1e6))
PY
}
pss_tree() { # pid: PSS in bytes of the process and its children
  local total=0 p
  for p in "$1" $(cat "/proc/$1/task/"*/children 2>/dev/null); do
    kb=$(awk '/^Pss:/{print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)
    total=$((total + ${kb:-0} * 1024))
  done
  echo "$total"
}
job_wait() { # port info-flag
  while redis-cli -p "$1" INFO persistence | grep -q "$2:1"; do sleep 0.02; done
}
# A background job over KEYS keys (BGSAVE, or BGREWRITEAOF with the AOF
# on): the loop's pause to start it as INFO reports it (latest_fork_usec)
# and as a PING stream sees it (slowest round trip during the job, against
# the slowest in an idle second before it); then, with a random writer
# running, the extra memory while the job runs (PSS of the server and, for
# Redis, its fork child).
job_pause_and_memory() { # command info-flag
  local cmd=$1 flag=$2
  echo
  echo "$cmd of $KEYS keys:"
  printf '%-10s %14s %12s %12s %14s %14s %10s\n' server fork_pause_us idle_max_us job_max_us base_pss peak_pss extra/key
  for who in miniredis redis; do
    port=$MR_PORT; pid=$MR_PID
    [ "$who" = redis ] && { port=$RD_PORT; pid=$RD_PID; }
    load_keys "$port"
    job_wait "$port" "$flag"
    rm -f "$WORK/stop"; ping_stream "$port" "$WORK/stop" > "$WORK/idle_max" &
    sleep 1; touch "$WORK/stop"; wait $!
    rm -f "$WORK/stop"; ping_stream "$port" "$WORK/stop" > "$WORK/save_max" &
    PINGER=$!
    sleep 0.2
    redis-cli -p "$port" "$cmd" >/dev/null
    sleep 0.05
    job_wait "$port" "$flag"
    touch "$WORK/stop"; wait "$PINGER"
    fork_us=$(redis-cli -p "$port" INFO stats | tr -d '\r' | awk -F: '$1=="latest_fork_usec"{print $2}')
    base=$(pss_tree "$pid")
    redis-benchmark -p "$port" -c 10 -P 16 -t set -r "$KEYS" -n 4000000 -d 3 >/dev/null 2>&1 &
    WRITER=$!
    sleep 0.5
    redis-cli -p "$port" "$cmd" >/dev/null
    sleep 0.05
    peak=$base
    while redis-cli -p "$port" INFO persistence | grep -q "$flag:1"; do
      now=$(pss_tree "$pid"); [ "$now" -gt "$peak" ] && peak=$now
      sleep 0.02
    done
    kill "$WRITER" 2>/dev/null || true; wait "$WRITER" 2>/dev/null || true
    awk -v w="$who" -v f="$fork_us" -v i="$(cat "$WORK/idle_max")" -v m="$(cat "$WORK/save_max")" \
        -v b="$base" -v p="$peak" -v n="$KEYS" \
      'BEGIN { printf "%-10s %14d %12d %12d %14d %14d %10.1f\n", w, f, i, m, b, p, (p-b)/n }'
  done
}

if want bgsave; then
stop_servers
start_servers
job_pause_and_memory BGSAVE rdb_bgsave_in_progress
fi # bgsave

if want aofrw; then
stop_servers
rm -rf "$WORK/mr" "$WORK/rd"
start_servers --appendonly yes --appendfsync everysec
job_pause_and_memory BGREWRITEAOF aof_rewrite_in_progress
fi # aofrw

if want aof; then
# SET throughput with the AOF on (fresh servers per pairing, each writing
# its own directory): miniredis with `always` against Redis with
# `everysec` (the target: durable writes at the speed of Redis's default)
# and with `always`, then both with `everysec`.
for pairing in "always everysec" "always always" "everysec everysec"; do
  read -r mr_policy rd_policy <<< "$pairing"
  stop_servers
  rm -rf "$WORK/mr" "$WORK/rd"
  MR_ARGS=(--appendfsync "$mr_policy"); RD_ARGS=(--appendfsync "$rd_policy")
  start_servers --appendonly yes
  MR_ARGS=(); RD_ARGS=()
  : > "$WORK/aof_results"
  for round in $(seq 1 "$ROUNDS"); do
    for P in 1 16; do
      for who in $(pair_order "$round"); do
        port=$MR_PORT; [ "$who" = redis ] && port=$RD_PORT
        on_bench_cpu redis-benchmark -p "$port" -c 50 -P "$P" -r 100000 -n "$AOF_REQUESTS" -t set --csv 2>/dev/null \
          | tail -n +2 | tr -d '"' | awk -F, -v w="$who" -v p="$P" -v t="SET $mr_policy vs $rd_policy" -v r="$round" \
              'BEGIN{OFS="\t"} {print w, p, t, $2, 0, r}' >> "$WORK/aof_results"
      done
    done
  done
  summarize "$WORK/aof_results"
done
fi # aof

if want rdb; then
# SAVE of KEYS keys (the client's wait for the reply), then a restart from
# that file: time from launch until DBSIZE answers KEYS.
stop_servers
rm -rf "$WORK/mr" "$WORK/rd"
start_servers
now_s() { date +%s.%N; }
echo
printf '%-10s %10s %10s %14s\n' server save_s load_s rdb_bytes
for who in miniredis redis; do
  port=$MR_PORT; [ "$who" = redis ] && port=$RD_PORT
  load_keys "$port"
  t0=$(now_s); redis-cli -p "$port" SAVE >/dev/null; t1=$(now_s)
  echo "$who $(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')" >> "$WORK/save_times"
done
stop_servers
for who in miniredis redis; do
  port=$(free_port)
  t0=$(now_s)
  if [ "$who" = miniredis ]; then
    "$BIN" --port "$port" --save "" --dir "$WORK/mr" >/dev/null 2>"$WORK/mr.err" &
  else
    redis-server --port "$port" --save "" --dir "$WORK/rd" --appendonly no --daemonize no >/dev/null 2>&1 &
  fi
  pid=$!; PIDS+=("$pid")
  until [ "$(redis-cli -p "$port" DBSIZE 2>/dev/null)" = "$KEYS" ]; do sleep 0.005; done
  t1=$(now_s)
  kill "$pid"; wait "$pid" 2>/dev/null || true
  dir=$WORK/mr; [ "$who" = redis ] && dir=$WORK/rd
  save=$(awk -v w="$who" '$1==w{print $2}' "$WORK/save_times")
  awk -v w="$who" -v s="$save" -v a="$t0" -v b="$t1" -v z="$(stat -c %s "$dir/dump.rdb")" \
    'BEGIN { printf "%-10s %10.3f %10.3f %14d\n", w, s, b-a, z }' | tee -a "$WORK/rdb_rows"
done
awk '{s[$1]=$2; l[$1]=$3} END { printf "\nsave time ratio redis/miniredis: %.2f, load time ratio: %.2f (above 1.00 means miniredis is faster)\n", s["redis"]/s["miniredis"], l["redis"]/l["miniredis"] }' "$WORK/rdb_rows"
fi # rdb
