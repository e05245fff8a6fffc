#!/usr/bin/env python3
"""Clients at their limits, miniredis beside redis-server (issue 12).

Scenarios, each on a fresh server of each kind:
  subscriber  a subscriber that never reads while 200 MB is published to
              it: it must be closed at the pubsub limit (32 MB hard);
  pipeliner   a client that pipelines GETs of a 1 MB value and never reads,
              with `client-output-buffer-limit normal 64mb 0 0`: closed;
  bulk2g      a client that sends a 2 GB bulk header: refused and closed;
and for each: the server's peak RSS must stay under 64 MB above its RSS
before (plus the limit that applies).
  idle        10,000 connections, each PINGs once then idles, held for a
              minute while a client runs a mixed load: no error; RSS per
              idle connection.

Usage: scripts/client-limits.py ./target/release/miniredis [scenario ...]
Exit 1 when a check fails. Needs redis-server and redis-py.
"""

import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import redis

MB = 1024 * 1024


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def start(kind, binary, extra=()):
    port = free_port()
    d = tempfile.mkdtemp(prefix="limits-%s-" % kind)
    if kind == "miniredis":
        cmd = [binary, "--port", str(port), "--save", "", "--appendonly", "no"]
    else:
        cmd = ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no",
               "--protected-mode", "no"]
    proc = subprocess.Popen(cmd + list(extra), cwd=d, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    r = redis.Redis(host="127.0.0.1", port=port)
    for _ in range(200):
        try:
            r.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    return proc, port, d


def rss(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def raw(port):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def closed_by_server(sock, timeout=10):
    """Read until EOF or reset; True when the server closed it."""
    sock.settimeout(timeout)
    try:
        while True:
            b = sock.recv(1 << 20)
            if not b:
                return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def subscriber(port, pid):
    r = redis.Redis(host="127.0.0.1", port=port)
    before = rss(pid)
    sub = raw(port)
    sub.sendall(b"*2\r\n$9\r\nSUBSCRIBE\r\n$2\r\nch\r\n")
    time.sleep(0.2)  # let the subscription land (its reply stays unread)
    sub.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    msg = b"m" * 1024
    peak = before
    pipe = r.pipeline(transaction=False)
    sent = 0
    while sent < 200 * MB:
        for _ in range(1000):
            pipe.publish("ch", msg)
        receivers = pipe.execute()
        sent += 1000 * len(msg)
        peak = max(peak, rss(pid))
        if receivers and receivers[-1] == 0:
            break
    ok = closed_by_server(sub)
    return ok, before, peak, 32 * MB


def pipeliner(port, pid):
    r = redis.Redis(host="127.0.0.1", port=port)
    r.config_set("client-output-buffer-limit", "normal 64mb 0 0")
    r.set("big", b"x" * MB)
    before = rss(pid)
    g = raw(port)
    g.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    one = b"*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n"
    peak = before
    g.settimeout(0.5)
    try:
        for _ in range(200):  # 200 GETs of 1 MB: 200 MB of replies
            g.sendall(one * 10)
            peak = max(peak, rss(pid))
    except (BrokenPipeError, ConnectionResetError, socket.timeout):
        pass
    ok = closed_by_server(g)
    peak = max(peak, rss(pid))
    return ok, before, peak, 64 * MB


def bulk2g(port, pid):
    before = rss(pid)
    c = raw(port)
    c.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2147483648\r\n")
    try:
        c.sendall(b"x" * MB)
    except (BrokenPipeError, ConnectionResetError):
        pass  # already refused and closed
    c.settimeout(5)
    reply = b""
    try:
        reply = c.recv(200)
    except (socket.timeout, ConnectionResetError):
        pass
    ok = reply.startswith(b"-ERR Protocol error: invalid bulk length") and closed_by_server(c)
    return ok, before, max(before, rss(pid)), 0


def idle(port, pid, seconds=60, n=10000):
    r = redis.Redis(host="127.0.0.1", port=port)
    base = rss(pid)
    socks = []
    for _ in range(n):
        s = raw(port)
        # Each says PING once, as a pool's connection checks itself, then
        # stays idle.
        s.sendall(b"PING\r\n")
        socks.append(s)
    for s in socks:
        assert s.recv(16) == b"+PONG\r\n"
    time.sleep(3)  # idle past the servers' 2-second buffer trimming
    with_idle = rss(pid)
    errors = 0
    t_end = time.time() + seconds
    i = 0
    while time.time() < t_end:
        pipe = r.pipeline(transaction=False)
        for j in range(100):
            k = "k:%d" % ((i * 100 + j) % 5000)
            pipe.set(k, "v" * 100)
            pipe.get(k)
            pipe.lpush("l:%d" % (j % 10), k)
            pipe.ltrim("l:%d" % (j % 10), 0, 99)
        try:
            pipe.execute()
        except redis.RedisError:
            errors += 1
        i += 1
    connected = int(r.info("clients")["connected_clients"])
    for s in socks:
        s.close()
    per_conn = (with_idle - base) / n
    return errors == 0 and connected >= n, base, with_idle, per_conn


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    binary = os.path.abspath(sys.argv[1])
    scenarios = sys.argv[2:] or ["subscriber", "pipeliner", "bulk2g", "idle"]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard < 11000 and "idle" in scenarios:
        print("idle needs 11,000 file descriptors (ulimit -n %d now)" % hard)
        return 2
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    failures = []
    for sc in scenarios:
        for kind in ("miniredis", "redis"):
            extra = ("--maxclients", "10100") if sc == "idle" else ()
            proc, port, d = start(kind, binary, extra)
            try:
                if sc == "idle":
                    ok, base, with_idle, per = idle(port, proc.pid)
                    print("%-10s %-10s ok=%s rss %.1f MB -> %.1f MB with 10,000 idle: %.0f bytes each"
                          % (sc, kind, ok, base / MB, with_idle / MB, per), flush=True)
                else:
                    ok, before, peak, limit = globals()[sc](port, proc.pid)
                    grew = peak - before
                    print("%-10s %-10s closed=%s rss before %.1f MB, peak %.1f MB (+%.1f MB; allowed %.0f MB)"
                          % (sc, kind, ok, before / MB, peak / MB, grew / MB, (limit + 64 * MB) / MB),
                          flush=True)
                    if kind == "miniredis" and grew > limit + 64 * MB:
                        failures.append("%s: RSS grew %.1f MB" % (sc, grew / MB))
                if kind == "miniredis" and not ok:
                    failures.append("%s: not handled" % sc)
            finally:
                proc.kill()
                proc.wait()
                shutil.rmtree(d, ignore_errors=True)
    for f in failures:
        print("FAIL:", f)
    print("%d scenarios, %d failures" % (len(scenarios), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
