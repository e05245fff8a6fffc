#!/usr/bin/env python3
"""Acceptance test "Sentinel failover with real redis-sentinel".

A master M and two replicas R1, R2, all running --server (miniredis by
default), each started as `SERVER node.conf` with a real config file in its
own temp dir (the replicas' files carry `replicaof`), and three real
redis-sentinel processes monitoring M as "mymaster" (quorum 2,
down-after-milliseconds 1000, failover-timeout 10000, parallel-syncs 1).

  1. Wait until every Sentinel lists both replicas (SENTINEL REPLICAS, link
     ok, INFO received) and the two other Sentinels (SENTINEL SENTINELS).
  2. A writer thread, through redis-py's Sentinel(...).master_for('mymaster'),
     SETs w:<n> continuously, each followed by WAIT 1 200 on the same
     connection (one pipeline): n is "acknowledged" when WAIT said >= 1.
  3. kill -9 M. The failover time runs until a Sentinel's
     SENTINEL get-master-addr-by-name names R1 or R2 and that node's ROLE
     says master; it must be within down-after + failover-timeout (11 s).
  4. The other replica must be reconfigured to replicate from the new master
     (ROLE connected, INFO master_link_status:up), the new master's INFO
     replication must list it online, and all three Sentinels must agree.
     The leader must log +failover-end, and no Sentinel -failover-abort-*,
     +failover-end-for-timeout, +slave-reconf-sent-timeout or -misconfigured.
  5. The writer (reconnecting through Sentinel on errors, bounded) must
     resume writing to the new master.
  6. Every acknowledged key is on the new master with its value (none lost);
     after the replica caught up, both nodes hold the same keys and values.
  7. Sentinel's CONFIG REWRITE: no replicaof line left in the promoted node's
     config file, `replicaof 127.0.0.1 <new master port>` in the other's.

Usage:
  target/pyclient/bin/python scripts/sentinel-check.py \\
      [--server target/release/miniredis] [--sentinel redis-sentinel] [--keep]
Validate the harness itself with --server /usr/bin/redis-server.

One PASS/FAIL line on stdout with the figures, details below it; progress on
stderr; exit status 1 on failure. Every process is killed at exit, whatever
happens (atexit, SIGINT/SIGTERM/SIGHUP handlers, and PR_SET_PDEATHSIG in the
children); the temp dirs are kept on failure (or with --keep) for the logs.
Every wait is a poll with a deadline, and none goes past the run's 100 s
budget (a passing run takes about 6-7 s).
"""

import argparse
import atexit
import ctypes
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from redis.sentinel import Sentinel

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
T0 = time.monotonic()

DOWN_AFTER_MS = 1000
FAILOVER_TIMEOUT_MS = 10000
FAILOVER_LIMIT = (DOWN_AFTER_MS + FAILOVER_TIMEOUT_MS) / 1000.0
SERVICE = "mymaster"
QUORUM = 2
BUDGET = 100.0  # s: no wait goes past T0 + BUDGET, so a failing run ends too


def log(msg):
    print("[%6.2fs] %s" % (time.monotonic() - T0, msg), file=sys.stderr, flush=True)


class Timeout(Exception):
    pass


class CheckFailed(Exception):
    pass


# --------------------------------------------------------------------------
# Processes: every one is killed at exit, whatever happens.

LIVE = []
KEEP = False
TOPDIR = None
_libc = ctypes.CDLL(None, use_errno=True)


def _die_with_parent():
    # PR_SET_PDEATHSIG = 1: SIGKILL the child should this script die by
    # SIGKILL itself, when neither atexit nor a signal handler runs.
    _libc.prctl(1, signal.SIGKILL, 0, 0, 0)


def kill_all():
    for p in LIVE:
        p.kill()


def _on_signal(signum, _frame):
    kill_all()
    sys.stderr.write("sentinel-check: killed by signal %d, every process stopped\n" % signum)
    os._exit(128 + signum)


atexit.register(kill_all)
for _sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    signal.signal(_sig, _on_signal)

_ports = set()


def free_port():
    while True:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        p = s.getsockname()[1]
        s.close()
        # keep our own picks distinct
        if p not in _ports:
            _ports.add(p)
            return p


def wait_for(cond, timeout, what, interval=0.02):
    """Polls cond() until it is truthy, then returns its value; Timeout after
    timeout s. A process of ours that died meanwhile fails the wait at once."""
    deadline = min(time.monotonic() + timeout, T0 + BUDGET)
    last_exc = None
    while True:
        try:
            v = cond()
            if v:
                return v
        except (redis.RedisError, OSError) as e:
            last_exc = e
        for p in LIVE:
            if not p.killed and p.proc.poll() is not None:
                raise CheckFailed("%s exited with status %s while waiting for %s"
                                  % (p.name, p.proc.returncode, what))
        if time.monotonic() > deadline:
            extra = " (last error: %r)" % (last_exc,) if last_exc else ""
            budget = " (the run's %.0f s budget is spent)" % BUDGET if deadline >= T0 + BUDGET else ""
            raise Timeout("timed out after %.1f s waiting for %s%s%s"
                          % (timeout, what, extra, budget))
        time.sleep(interval)


class Proc:
    """One server or Sentinel: its temp dir, config file, log."""

    def __init__(self, name, argv0, conf_lines, logfile_in_conf=False, conf_name="node.conf"):
        self.name = name
        self.port = free_port()
        self.dir = os.path.join(TOPDIR, name)
        os.makedirs(self.dir)
        self.conf = os.path.join(self.dir, conf_name)
        self.logpath = os.path.join(self.dir, "stdout.log" if logfile_in_conf else "node.log")
        self.sentinel_log = os.path.join(self.dir, "sentinel.log")
        lines = ["port %d" % self.port, "bind 127.0.0.1", "protected-mode no",
                 "daemonize no", "dir %s" % self.dir]
        if logfile_in_conf:
            lines.append("logfile %s" % self.sentinel_log)
        lines += conf_lines
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.conf_initial = "\n".join(lines) + "\n"
        self.killed = False
        self.log = open(self.logpath, "wb")
        self.proc = subprocess.Popen([argv0, self.conf], cwd=self.dir, stdout=self.log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     preexec_fn=_die_with_parent)
        LIVE.append(self)
        self.client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5,
                                  socket_connect_timeout=2, decode_responses=True,
                                  retry=Retry(NoBackoff(), 0))

    def raw(self, *args):
        """A command with its reply as on the wire (no redis-py callbacks)."""
        conn = self.client.connection_pool.get_connection()
        try:
            conn.send_command(*args)
            return conn.read_response()
        except redis.ResponseError as e:
            return e
        finally:
            self.client.connection_pool.release(conn)

    def answers(self):
        try:
            return self.raw("PING") == "PONG"
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            return False

    def info(self, section="replication"):
        r = self.raw("INFO", section)
        if isinstance(r, Exception):
            raise CheckFailed("%s: INFO %s -> %s" % (self.name, section, r))
        out = {}
        for line in r.splitlines():
            if ":" in line and not line.startswith("#"):
                k, v = line.split(":", 1)
                out[k] = v
        return out

    def read_conf(self):
        with open(self.conf) as f:
            return f.read()

    def log_lines(self, path=None):
        try:
            with open(path or self.logpath, "rb") as f:
                return f.read().decode(errors="replace").splitlines()
        except OSError:
            return []

    def kill(self):
        if self.killed:
            return
        self.killed = True
        try:
            self.client.close()
        except Exception:
            pass
        if self.proc.poll() is None:
            try:
                self.proc.kill()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        try:
            self.log.close()
        except OSError:
            pass


def kv(v):
    """'ip=127.0.0.1,port=1,state=online' -> dict."""
    return dict(p.split("=", 1) for p in v.split(",") if "=" in p)


def pairs(flat):
    """Sentinel's flat [k1, v1, k2, v2...] -> dict."""
    return dict(zip(flat[0::2], flat[1::2]))


# --------------------------------------------------------------------------
# The writer

class Writer(threading.Thread):
    def __init__(self, sentinel_ports, max_outage):
        super().__init__(daemon=True, name="writer")
        self.sentinel_ports = sentinel_ports
        self.max_outage = max_outage
        self.stop_ev = threading.Event()
        self.lock = threading.Lock()
        self.n = 0
        self.written = {}       # n -> value, SET answered OK
        self.acked = set()      # n whose WAIT 1 200 said >= 1
        self.acked_after = 0    # ... of those, started after the master died
        self.ok_after = 0       # SETs answered OK that started after the master died
        self.first_ok_after = None  # monotonic time of the first one
        self.t_dead = None      # set by the main thread once M is reaped
        self.errors = {}        # error class/text -> count
        self.reconnects = 0
        self.gave_up = None
        self.last_error = None
        self.wait_zero = 0      # WAIT answered 0 (no replica within 200 ms)
        self.crashed = None

    def value(self, n):
        return "v%d:%s" % (n, "x" * (n % 40))

    def run(self):
        try:
            self._run()
        except Exception as e:  # reported by the main thread
            self.crashed = "%s: %s" % (type(e).__name__, e)

    def _run(self):
        sentinel = Sentinel([("127.0.0.1", p) for p in self.sentinel_ports],
                            sentinel_kwargs={"socket_timeout": 0.5, "socket_connect_timeout": 0.5,
                                             "retry": Retry(NoBackoff(), 0)})
        master = sentinel.master_for(SERVICE, socket_timeout=1.0, socket_connect_timeout=0.5,
                                     retry=Retry(NoBackoff(), 0), decode_responses=True)
        outage_since = None
        failing = False
        while not self.stop_ev.is_set():
            n = self.n
            key = "w:%d" % n
            val = self.value(n)
            t_start = time.monotonic()
            after = self.t_dead is not None and t_start > self.t_dead
            try:
                p = master.pipeline(transaction=False)
                p.set(key, val)
                p.execute_command("WAIT", 1, 200)
                set_r, wait_r = p.execute()
            except (redis.ConnectionError, redis.TimeoutError, redis.ResponseError, OSError) as e:
                # MasterNotFoundError (a ConnectionError) until the Sentinels
                # agree on a new master, refused connections to the dead one,
                # READONLY from a demoted node...
                msg = "%s: %s" % (type(e).__name__, str(e).split("\n")[0][:120])
                with self.lock:
                    self.errors[msg] = self.errors.get(msg, 0) + 1
                    self.last_error = msg
                if not failing:
                    failing = True
                    self.reconnects += 1
                if outage_since is None:
                    outage_since = time.monotonic()
                elif time.monotonic() - outage_since > self.max_outage:
                    self.gave_up = "no successful write for %.0f s (last error: %s)" % (
                        self.max_outage, msg)
                    return
                try:
                    master.connection_pool.disconnect()
                except Exception:
                    pass
                # Bounded retry pacing, not a synchronisation: the next try asks
                # the Sentinels again for the master.
                self.stop_ev.wait(0.02)
                continue
            failing = False
            outage_since = None
            self.n += 1
            with self.lock:
                if set_r is True or set_r == "OK":
                    self.written[n] = val
                    if after:
                        self.ok_after += 1
                        if self.first_ok_after is None:
                            self.first_ok_after = time.monotonic()
                if isinstance(wait_r, int) and wait_r >= 1:
                    self.acked.add(n)
                    if after:
                        self.acked_after += 1
                else:
                    self.wait_zero += 1
        try:
            master.close()
        except Exception:
            pass

    def snapshot(self):
        with self.lock:
            return len(self.written), len(self.acked), self.ok_after, self.acked_after


# --------------------------------------------------------------------------

def sentinel_events(s):
    """Sentinel's event lines (+sdown, -failover-abort-..., +switch-master...)."""
    out = []
    for line in s.log_lines(s.sentinel_log):
        m = re.match(r"^\d+:X (.*?\d\d:\d\d:\d\d\.\d+) (.) (.*)$", line)
        if m:
            msg = m.group(3)
            if msg[:1] in "+-" or "fail" in msg.lower() or "error" in msg.lower():
                out.append("%s %s %s" % (m.group(1).split()[-1], m.group(2), msg))
    return out


def main():
    global KEEP, TOPDIR
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--server", default=os.path.join(ROOT, "target/release/miniredis"),
                    help="server binary for M, R1, R2 (default target/release/miniredis)")
    ap.add_argument("--sentinel", default=shutil.which("redis-sentinel") or "/usr/bin/redis-sentinel",
                    help="redis-sentinel binary (default: redis-sentinel on PATH)")
    ap.add_argument("--keep", action="store_true", help="keep the temp dirs (logs, configs)")
    args = ap.parse_args()
    KEEP = args.keep
    server = os.path.abspath(args.server)
    for b in (server, args.sentinel):
        if not os.access(b, os.X_OK):
            print("FAIL sentinel-failover: %s is not an executable" % b)
            return 1
    TOPDIR = tempfile.mkdtemp(prefix="sentinel-check-")
    res = {"failures": [], "details": [], "figures": {}}
    state = {}
    ok = False
    try:
        run(server, args.sentinel, res, state)
    except (Timeout, CheckFailed) as e:
        res["failures"].append(str(e))
    except Exception as e:  # a bug or an unexpected reply: still a FAIL line
        import traceback
        res["failures"].append("%s: %s" % (type(e).__name__, e))
        res["details"].append(traceback.format_exc().rstrip())
    finally:
        w = state.get("writer")
        if w is not None:
            w.stop_ev.set()
            w.join(timeout=5)
        ok = not res["failures"]
        report(server, res, state, ok)
        kill_all()
        if ok and not KEEP:
            shutil.rmtree(TOPDIR, ignore_errors=True)
        else:
            print("  logs and configs kept in %s" % TOPDIR)
    return 0 if ok else 1


def run(server, sentinel_bin, res, state):
    det = res["details"]
    fails = res["failures"]
    fig = res["figures"]
    node_conf = ["save \"\"", "appendonly no", "repl-diskless-sync yes",
                 "repl-diskless-sync-delay 0"]

    # ---- the servers
    M = Proc("M", server, node_conf)
    state["nodes"] = [M]
    wait_for(M.answers, 20, "M to answer PING")
    R1 = Proc("R1", server, node_conf + ["replicaof 127.0.0.1 %d" % M.port])
    R2 = Proc("R2", server, node_conf + ["replicaof 127.0.0.1 %d" % M.port])
    state["nodes"] = [M, R1, R2]
    for r in (R1, R2):
        wait_for(r.answers, 20, "%s to answer PING" % r.name)
    for r in (R1, R2):
        wait_for(lambda r=r: r.info().get("master_link_status") == "up", 20,
                 "%s (replicaof in its config file) to have master_link_status:up" % r.name)
    wait_for(lambda: M.info().get("connected_slaves") == "2", 20, "M to show connected_slaves:2")
    log("servers up: M %d, R1 %d, R2 %d (%s, started with a config file)"
        % (M.port, R1.port, R2.port, server))
    det.append("servers: M :%d, R1 :%d, R2 :%d, each `%s <dir>/node.conf`"
               % (M.port, R1.port, R2.port, server))

    # ---- the Sentinels
    sconf = ["sentinel monitor %s 127.0.0.1 %d %d" % (SERVICE, M.port, QUORUM),
             "sentinel down-after-milliseconds %s %d" % (SERVICE, DOWN_AFTER_MS),
             "sentinel failover-timeout %s %d" % (SERVICE, FAILOVER_TIMEOUT_MS),
             "sentinel parallel-syncs %s 1" % SERVICE]
    S = [Proc("S%d" % i, sentinel_bin, sconf, logfile_in_conf=True, conf_name="sentinel.conf")
         for i in (1, 2, 3)]
    state["sentinels"] = S
    for s in S:
        wait_for(s.answers, 20, "%s to answer PING" % s.name)

    def sentinels_ready():
        for s in S:
            m = pairs(s.raw("SENTINEL", "MASTER", SERVICE))
            if m.get("flags") != "master":
                return False
            reps = [pairs(x) for x in s.raw("SENTINEL", "REPLICAS", SERVICE)]
            good = [r for r in reps if r.get("flags") == "slave"
                    and r.get("master-link-status") == "ok"
                    and int(r.get("info-refresh", "999999")) < 10000
                    and r.get("port") in (str(R1.port), str(R2.port))]
            if len(good) != 2:
                return False
            sens = [pairs(x) for x in s.raw("SENTINEL", "SENTINELS", SERVICE)]
            if len([x for x in sens if x.get("flags") == "sentinel"]) != 2:
                return False
        return True

    t = time.monotonic()
    wait_for(sentinels_ready, 30, "every Sentinel to list 2 replicas (link ok) and 2 other Sentinels",
             interval=0.1)
    fig["discovery_s"] = time.monotonic() - t
    view = []
    for x in S[0].raw("SENTINEL", "REPLICAS", SERVICE):
        d = pairs(x)
        view.append("%s flags=%s link=%s priority=%s offset=%s info-refresh=%sms"
                    % (d.get("name"), d.get("flags"), d.get("master-link-status"),
                       d.get("slave-priority"), d.get("slave-repl-offset"), d.get("info-refresh")))
    det.append("S1's SENTINEL REPLICAS before the kill: " + "; ".join(view))
    log("sentinels %s see M, R1, R2 and each other (%.1f s)"
        % (", ".join(str(s.port) for s in S), fig["discovery_s"]))
    det.append("sentinels: %s, quorum %d, down-after %d ms, failover-timeout %d ms; discovery took %.1f s"
               % (", ".join(":%d" % s.port for s in S), QUORUM, DOWN_AFTER_MS,
                  FAILOVER_TIMEOUT_MS, fig["discovery_s"]))

    # ---- the writer, before the kill
    w = Writer([s.port for s in S], max_outage=FAILOVER_LIMIT + 15)
    state["writer"] = w
    w.start()
    wait_for(lambda: w.snapshot()[1] >= 1000 or w.gave_up or w.crashed, 20,
             "1000 acknowledged writes before the kill", interval=0.02)
    if w.gave_up or w.crashed:
        raise CheckFailed("writer stopped before the kill: %s" % (w.gave_up or w.crashed))
    before = w.snapshot()
    log("writer: %d written, %d acknowledged; kill -9 M (pid %d)" % (before[0], before[1], M.proc.pid))

    # ---- kill -9 the master
    t_kill = time.monotonic()
    os.kill(M.proc.pid, signal.SIGKILL)
    M.proc.wait(timeout=10)
    M.killed = True
    w.t_dead = time.monotonic()
    state["t_kill"] = t_kill
    replicas = {R1.port: R1, R2.port: R2}

    def promoted():
        for s in S:
            try:
                a = s.raw("SENTINEL", "get-master-addr-by-name", SERVICE)
            except (redis.ConnectionError, redis.TimeoutError):
                continue
            if isinstance(a, list) and len(a) == 2 and int(a[1]) in replicas:
                node = replicas[int(a[1])]
                role = node.raw("ROLE")
                if isinstance(role, list) and role and role[0] == "master":
                    return (node, s)
        return None

    try:
        newm, first_s = wait_for(promoted, FAILOVER_LIMIT + 10,
                                 "a Sentinel to name R1 or R2 as master (and its ROLE to say master)",
                                 interval=0.02)
    except Timeout as e:
        fig["failover_s"] = None
        raise CheckFailed(str(e))
    fig["failover_s"] = time.monotonic() - t_kill
    other = R2 if newm is R1 else R1
    state["newm"], state["other"] = newm, other
    log("failover: %s (:%d) promoted after %.2f s (first named by %s)"
        % (newm.name, newm.port, fig["failover_s"], first_s.name))
    if fig["failover_s"] > FAILOVER_LIMIT:
        fails.append("failover took %.2f s, over down-after + failover-timeout = %.1f s"
                     % (fig["failover_s"], FAILOVER_LIMIT))

    # ---- all Sentinels agree
    def all_agree():
        for s in S:
            a = s.raw("SENTINEL", "get-master-addr-by-name", SERVICE)
            if not (isinstance(a, list) and int(a[1]) == newm.port):
                return False
        return True

    try:
        wait_for(all_agree, 15, "all three Sentinels to name %s (:%d)" % (newm.name, newm.port))
        fig["agree_s"] = time.monotonic() - t_kill
        det.append("all three Sentinels name %s :%d after %.2f s" % (newm.name, newm.port, fig["agree_s"]))
    except Timeout as e:
        fails.append(str(e) + ": " + ", ".join(
            "%s says %s" % (s.name, s.raw("SENTINEL", "get-master-addr-by-name", SERVICE)) for s in S))

    # ---- the other replica, reconfigured
    def other_reconfigured():
        role = other.raw("ROLE")
        i = other.info()
        if not (isinstance(role, list) and len(role) >= 4 and role[0] == "slave"
                and int(role[2]) == newm.port and role[3] == "connected"):
            return False
        if not (i.get("master_port") == str(newm.port) and i.get("master_link_status") == "up"):
            return False
        mi = newm.info()
        if mi.get("role") != "master":
            return False
        for k, v in mi.items():
            if re.match(r"slave\d+$", k):
                d = kv(v)
                if d.get("port") == str(other.port) and d.get("state") == "online":
                    return True
        return False

    try:
        wait_for(other_reconfigured, 20,
                 "%s to replicate from %s (ROLE connected, master_link_status:up, online in %s's INFO)"
                 % (other.name, newm.name, newm.name), interval=0.05)
        fig["reconf_s"] = time.monotonic() - t_kill
        det.append("%s replicates from %s after %.2f s: ROLE %s; %s INFO: %s"
                   % (other.name, newm.name, fig["reconf_s"], other.raw("ROLE"), newm.name,
                      {k: v for k, v in newm.info().items()
                       if k in ("role", "connected_slaves") or re.match(r"slave\d+$", k)}))
    except Timeout as e:
        fails.append(str(e))
        det.append("%s ROLE: %r" % (other.name, other.raw("ROLE")))
        det.append("%s INFO replication: %r" % (other.name, other.info()))
        det.append("%s ROLE: %r" % (newm.name, newm.raw("ROLE")))
        det.append("%s INFO replication: %r" % (newm.name, newm.info()))

    # ---- the leader sees the reconfiguration through and ends the failover
    def failover_end():
        for s in S:
            ev = sentinel_events(s)
            if any("+failover-end " in e or e.endswith("+failover-end") for e in ev):
                return s
        return None

    try:
        leader = wait_for(failover_end, FAILOVER_TIMEOUT_MS / 1000.0 + 5,
                          "a Sentinel to log +failover-end", interval=0.05)
        fig["end_s"] = time.monotonic() - t_kill
        det.append("%s logged +failover-end after %.2f s" % (leader.name, fig["end_s"]))
    except Timeout as e:
        fails.append(str(e))
    for s in S:
        for e in sentinel_events(s):
            if re.search(r"-failover-abort|\+failover-end-for-timeout|-slave-reconf-|"
                         r"\+slave-reconf-sent-timeout|-misconfigured", e):
                fails.append("%s logged: %s" % (s.name, e))

    # ---- the writer resumes
    try:
        wait_for(lambda: w.ok_after >= 200 or w.gave_up or w.crashed, 20,
                 "the writer to make 200 writes to the new master", interval=0.02)
        if w.gave_up or w.crashed:
            fails.append("writer stopped: %s" % (w.gave_up or w.crashed))
    except Timeout as e:
        fails.append(str(e) + " (it made %d; last error %s)" % (w.ok_after, w.last_error))
    if w.first_ok_after is not None:
        fig["resume_s"] = w.first_ok_after - t_kill
    w.stop_ev.set()
    w.join(timeout=10)
    if w.is_alive():
        fails.append("writer thread did not stop within 10 s")
    written, acked, ok_after, acked_after = w.snapshot()
    fig.update(written=written, acked=len(w.acked), ok_after=ok_after, acked_after=acked_after)
    det.append("writer: %d SETs OK (%d acknowledged by WAIT 1 200, %d WAIT answered 0), "
               "%d after the kill (%d of them acknowledged), first write after the kill at %s, "
               "%d outage(s); errors: %s"
               % (written, acked, w.wait_zero, ok_after, acked_after,
                  "%.2f s" % fig["resume_s"] if "resume_s" in fig else "never",
                  w.reconnects, dict(sorted(w.errors.items(), key=lambda x: -x[1])[:6]) or "none"))

    # ---- no acknowledged write lost
    nc = newm.client
    acked_list = sorted(w.acked)
    lost = []
    for i in range(0, len(acked_list), 500):
        chunk = acked_list[i:i + 500]
        vals = nc.mget(["w:%d" % n for n in chunk])
        for n, v in zip(chunk, vals):
            if v != w.value(n):
                lost.append((n, v))
    fig["lost"] = len(lost)
    if lost:
        fails.append("%d acknowledged writes missing or wrong on the new master %s, e.g. %s"
                     % (len(lost), newm.name, ", ".join("w:%d=%r" % x for x in lost[:8])))
    if acked_list:
        det.append("acknowledged keys w:%d..w:%d checked on %s: %d missing/wrong"
                   % (acked_list[0], acked_list[-1], newm.name, len(lost)))

    # ---- datasets equal after catching up
    try:
        target = int(newm.info()["master_repl_offset"])
        wait_for(lambda: int(other.info().get("slave_repl_offset", "-1")) >= target, 15,
                 "%s to reach %s's master_repl_offset %d" % (other.name, newm.name, target))
        a_keys = set(newm.client.scan_iter(count=1000))
        b_keys = set(other.client.scan_iter(count=1000))
        diffs = []
        if a_keys != b_keys:
            only_a, only_b = sorted(a_keys - b_keys), sorted(b_keys - a_keys)
            diffs.append("keys only on %s: %d %s; only on %s: %d %s"
                         % (newm.name, len(only_a), only_a[:5], other.name, len(only_b), only_b[:5]))
        common = sorted(a_keys & b_keys)
        bad = []
        for i in range(0, len(common), 500):
            chunk = common[i:i + 500]
            for k, x, y in zip(chunk, newm.client.mget(chunk), other.client.mget(chunk)):
                if x != y:
                    bad.append((k, x, y))
        if bad:
            diffs.append("%d values differ, e.g. %s" % (len(bad), bad[:5]))
        fig["keys"] = len(a_keys)
        if diffs:
            fails.append("datasets of %s and %s differ: %s" % (newm.name, other.name, "; ".join(diffs)))
        else:
            det.append("datasets equal: %d keys on %s and %s" % (len(a_keys), newm.name, other.name))
    except Timeout as e:
        fails.append(str(e))

    # ---- Sentinel's CONFIG REWRITE on both
    rx_any = re.compile(r"^\s*(replicaof|slaveof)\b.*$", re.M | re.I)
    want = "replicaof 127.0.0.1 %d" % newm.port

    def confs_rewritten():
        a = newm.read_conf()
        b = other.read_conf()
        return (not rx_any.search(a)) and any(l.strip() == want for l in b.splitlines())

    try:
        wait_for(confs_rewritten, 10, "the config files to be rewritten", interval=0.05)
        det.append("config files: %s has no replicaof line; %s has '%s'" % (newm.name, other.name, want))
    except Timeout:
        a, b = newm.read_conf(), other.read_conf()
        if rx_any.search(a):
            fails.append("%s's config file still has %r after the failover (CONFIG REWRITE not done?)"
                         % (newm.name, rx_any.findall(a) and rx_any.search(a).group(0)))
        if not any(l.strip() == want for l in b.splitlines()):
            fails.append("%s's config file lacks '%s' (its replicaof lines: %s)"
                         % (other.name, want, [m.group(0) for m in rx_any.finditer(b)]))
    for n in (newm, other):
        det.append("%s config file now:\n%s" % (n.name, "\n".join("      " + l for l in n.read_conf().splitlines())))


def report(server, res, state, ok):
    fig = res["figures"]
    fo = fig.get("failover_s")
    line = ("%s sentinel-failover [%s]: failover %s (limit %.1f s), %s acknowledged writes, "
            "%s lost, %s writes after failover"
            % ("PASS" if ok else "FAIL", os.path.basename(server),
               "%.2f s" % fo if fo is not None else "n/a", FAILOVER_LIMIT,
               fig.get("acked", "n/a"), fig.get("lost", "n/a"), fig.get("ok_after", "n/a")))
    print(line, flush=True)
    for f in res["failures"]:
        print("  FAILED: %s" % f)
    for d in res["details"]:
        print("  " + d.replace("\n", "\n  "))
    S = state.get("sentinels", [])
    t_kill = state.get("t_kill")
    for s in S:
        ev = sentinel_events(s)
        if ok:
            # the failover's own events only
            ev = [e for e in ev if re.search(r"sdown|odown|failover|switch-master|promoted|"
                                             r"selected|elected|vote|slave-reconf|abort|config-update", e)]
        print("  %s (:%d) events:" % (s.name, s.port))
        for e in ev[-60:]:
            print("      " + e)
    if not ok:
        for n in state.get("nodes", []):
            lines = n.log_lines()
            print("  %s (:%d) log, last 25 of %d lines:" % (n.name, n.port, len(lines)))
            for l in lines[-25:]:
                print("      " + l)
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
