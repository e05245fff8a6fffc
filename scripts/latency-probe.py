#!/usr/bin/env python3
"""A latency probe: one connection sends a command every millisecond (PING by
default, or SET of a rotating key with --write) and records each round trip,
until SIGTERM/SIGINT or --seconds; then prints one line of figures:
    count p50_ms p99_ms p999_ms max_ms over10ms over100ms
Used by scripts/bench-latency.sh: a stalled event loop shows up here as a
long round trip, which throughput benchmarks never show."""
import argparse
import signal
import socket
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--seconds", type=float, default=0)
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--ready", help="file to create once connected")
    a = ap.parse_args()
    stop = [False]

    def on_signal(*_):
        stop[0] = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    s = socket.create_connection(("127.0.0.1", a.port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if a.ready:
        open(a.ready, "w").close()
    samples = []
    deadline = time.monotonic() + a.seconds if a.seconds else None
    i = 0
    next_at = time.monotonic()
    while not stop[0] and (deadline is None or time.monotonic() < deadline):
        if a.write:
            key = b"probe:%d" % (i % 1000)
            cmd = b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$1\r\nx\r\n" % (len(key), key)
        else:
            cmd = b"*1\r\n$4\r\nPING\r\n"
        t0 = time.monotonic()
        s.sendall(cmd)
        buf = b""
        while not buf.endswith(b"\r\n"):
            chunk = s.recv(64)
            if not chunk:
                raise SystemExit("probe: server closed the connection")
            buf += chunk
        samples.append(time.monotonic() - t0)
        i += 1
        next_at += 0.001
        pause = next_at - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        else:
            next_at = time.monotonic()
    samples.sort()
    n = len(samples)

    def pct(p):
        return samples[min(n - 1, int(n * p))] * 1000 if n else 0.0

    over10 = sum(1 for x in samples if x > 0.010)
    over100 = sum(1 for x in samples if x > 0.100)
    print(f"{n} {pct(0.5):.3f} {pct(0.99):.3f} {pct(0.999):.3f} "
          f"{(samples[-1] * 1000 if n else 0):.3f} {over10} {over100}")


if __name__ == "__main__":
    main()
