#!/usr/bin/env python3
"""Eviction side by side with redis-server (issue 12's acceptance run).

For every maxmemory policy, a fresh miniredis and a fresh redis-server get
`maxmemory 50mb` and the policy; a writer then loads about 200 MB of mixed
keys (strings, hashes, lists; half with a TTL), reading a hot set (the first
10% of the keys) between batches, while a probe connection PINGs every
millisecond. Printed per policy and server: the highest used_memory seen
against the limit, evicted_keys, OOM errors the writer got, the hot set's
hit rate over the second half of the load, keys without a TTL that were
evicted, how the TTLs of evicted and kept keys compare, and the probe's
worst round trip.

Checks (exit 1 when one fails): used_memory within 5% of the limit;
volatile-* never evicts a key without a TTL; allkeys-lru's and
allkeys-lfu's hot-set hit rates within 5 points of Redis's (or better);
volatile-ttl evicts shorter TTLs first; no round trip over 50 ms on
miniredis.

Usage: scripts/eviction-compare.py ./target/release/miniredis [policy ...]
Needs redis-py (make test prepares target/pyclient) and redis-server.
"""

import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import redis

LIMIT = 50 * 1024 * 1024
TOTAL = 200 * 1024 * 1024
PER_KEY = 1000  # payload bytes per key, on average (see size_of)
N = TOTAL // PER_KEY
BATCH = 500
HOT_READS = 1000  # hot-set reads after each batch of writes
POLICIES = [
    "allkeys-lru", "allkeys-lfu", "allkeys-random",
    "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
    "noeviction",
]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def start(kind, binary):
    port = free_port()
    d = tempfile.mkdtemp(prefix="evict-%s-" % kind)
    if kind == "miniredis":
        cmd = [binary, "--port", str(port), "--save", "", "--appendonly", "no"]
    else:
        cmd = ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no",
               "--protected-mode", "no"]
    proc = subprocess.Popen(cmd, cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    r = redis.Redis(host="127.0.0.1", port=port)
    for _ in range(200):
        try:
            r.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    return proc, port, d


def key_of(i):
    return "k:%d" % i


def ttl_of(i):
    # Spread over 1,000..100,999 s, so volatile-ttl has an order to follow.
    return 1000 + (i * 7919) % 100000


def size_of(i):
    # Keys with a TTL are the big ones (1,800 bytes, 200 without), so the
    # keys without one (about 20 MB) fit under the limit and volatile-*
    # policies have room to show their order.
    return 1800 if i % 2 == 0 else 200


def write_batch(pipe, start_i, end_i):
    for i in range(start_i, end_i):
        value = b"v" * size_of(i)
        field = b"f" * (size_of(i) // 10)
        k = key_of(i)
        kind = i % 4
        if kind < 2:
            pipe.set(k, value)
        elif kind == 2:
            pipe.hset(k, mapping={"f%d" % j: field for j in range(10)})
        else:
            pipe.rpush(k, *([field] * 10))
        if i % 2 == 0:
            pipe.expire(k, ttl_of(i))


def read_hot(pipe, rng_state, hot):
    picks = []
    for _ in range(HOT_READS):
        rng_state[0] = (rng_state[0] * 1103515245 + 12345) % (1 << 31)
        picks.append(rng_state[0] % hot)
    for i in picks:
        pipe.exists(key_of(i))
        # A real read, so LRU/LFU see an access.
        kind = i % 4
        if kind < 2:
            pipe.get(key_of(i))
        elif kind == 2:
            pipe.hget(key_of(i), "f0")
        else:
            pipe.lindex(key_of(i), 0)
    return picks


class Probe:
    """scripts/latency-probe.py in its own process (a thread here would
    measure the GIL, not the server)."""

    def __init__(self, port):
        here = os.path.dirname(os.path.abspath(__file__))
        self.ready = tempfile.mktemp(prefix="probe-ready-")
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(here, "latency-probe.py"), "--port", str(port),
             "--ready", self.ready],
            stdout=subprocess.PIPE, text=True)
        while not os.path.exists(self.ready):
            time.sleep(0.01)

    def finish(self):
        """The worst round trip, in ms."""
        self.proc.terminate()
        out = self.proc.communicate()[0].split()
        os.unlink(self.ready)
        return float(out[4])


def run(kind, binary, policy):
    proc, port, d = start(kind, binary)
    try:
        r = redis.Redis(host="127.0.0.1", port=port)
        r.config_set("maxmemory", LIMIT)
        r.config_set("maxmemory-policy", policy)
        probe = Probe(port)
        hot = N // 10
        rng = [42]
        hits = reads = 0
        max_used = 0
        oom = 0
        written = []  # indexes whose write succeeded
        for start_i in range(0, N, BATCH):
            end_i = min(start_i + BATCH, N)
            pipe = r.pipeline(transaction=False)
            write_batch(pipe, start_i, end_i)
            res = pipe.execute(raise_on_error=False)
            pos = 0
            for i in range(start_i, end_i):
                n = 2 if i % 2 == 0 else 1
                ok = not any(isinstance(x, Exception) for x in res[pos:pos + n])
                if ok:
                    written.append(i)
                else:
                    oom += 1
                pos += n
            if start_i >= hot:
                pipe = r.pipeline(transaction=False)
                read_hot(pipe, rng, hot)
                out = pipe.execute(raise_on_error=False)
                if start_i >= N // 2:
                    for j in range(0, len(out), 2):
                        reads += 1
                        hits += 1 if out[j] == 1 else 0
            if start_i % (BATCH * 20) == 0:
                max_used = max(max_used, int(r.info("memory")["used_memory"]))
        max_used = max(max_used, int(r.info("memory")["used_memory"]))
        worst_ms = probe.finish()
        evicted = int(r.info("stats")["evicted_keys"])
        # Which written keys are still there?
        present = {}
        for s in range(0, len(written), 2000):
            chunk = written[s:s + 2000]
            pipe = r.pipeline(transaction=False)
            for i in chunk:
                pipe.exists(key_of(i))
            for i, e in zip(chunk, pipe.execute()):
                present[i] = e == 1
        no_ttl_evicted = sum(1 for i, p in present.items() if i % 2 == 1 and not p)
        gone_ttls = [ttl_of(i) for i, p in present.items() if i % 2 == 0 and not p]
        kept_ttls = [ttl_of(i) for i, p in present.items() if i % 2 == 0 and p]
        return {
            "used": max_used,
            "evicted": evicted,
            "oom": oom,
            "hit": (100.0 * hits / reads) if reads else float("nan"),
            "no_ttl_evicted": no_ttl_evicted,
            "gone_ttl": statistics.median(gone_ttls) if gone_ttls else None,
            "kept_ttl": statistics.median(kept_ttls) if kept_ttls else None,
            "worst_ms": worst_ms,
        }
    finally:
        proc.kill()
        proc.wait()
        shutil.rmtree(d, ignore_errors=True)


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    binary = os.path.abspath(sys.argv[1])
    policies = sys.argv[2:] or POLICIES
    failures = []
    print("%-16s %-10s %9s %8s %7s %7s %8s %9s %9s %8s" % (
        "policy", "server", "used/lim", "evicted", "oom", "hit%", "noTTLev",
        "ttl-gone", "ttl-kept", "worst ms"))
    for policy in policies:
        res = {}
        for kind in ("miniredis", "redis"):
            x = run(kind, binary, policy)
            res[kind] = x
            print("%-16s %-10s %9.3f %8d %7d %7.1f %8d %9s %9s %8.1f" % (
                policy, kind, x["used"] / LIMIT, x["evicted"], x["oom"], x["hit"],
                x["no_ttl_evicted"], x["gone_ttl"], x["kept_ttl"], x["worst_ms"]), flush=True)
        m, rd = res["miniredis"], res["redis"]
        if m["used"] > LIMIT * 1.05:
            failures.append("%s: used_memory %.3f of the limit" % (policy, m["used"] / LIMIT))
        if policy.startswith("volatile") and m["no_ttl_evicted"]:
            failures.append("%s: %d keys without a TTL evicted" % (policy, m["no_ttl_evicted"]))
        if policy in ("allkeys-lru", "allkeys-lfu") and m["hit"] < rd["hit"] - 5:
            failures.append("%s: hot hit rate %.1f vs Redis %.1f" % (policy, m["hit"], rd["hit"]))
        if policy == "volatile-ttl" and m["gone_ttl"] is not None and m["kept_ttl"] is not None \
                and m["gone_ttl"] >= m["kept_ttl"]:
            failures.append("volatile-ttl: evicted TTLs (median %s) not shorter than kept (%s)"
                            % (m["gone_ttl"], m["kept_ttl"]))
        if m["worst_ms"] > 50:
            failures.append("%s: a round trip took %.1f ms" % (policy, m["worst_ms"]))
    for f in failures:
        print("FAIL:", f)
    print("%d policies, %d failures" % (len(policies), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
