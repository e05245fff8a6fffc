"""Applications that run on Lua, through redis-py: its Lock (acquire,
extend and release are scripts) held under contention from 8 threads, and
a token-bucket rate limiter script whose answers must be the same on
miniredis and on redis-server. Usage: redis_py_scripts.py PORT [REDIS_PORT]"""
import sys
import threading
import time

import redis

port = int(sys.argv[1])
ref_port = int(sys.argv[2]) if len(sys.argv) > 2 else None

# --- redis-py's Lock: 8 threads, each adds 1 to a counter 25 times with a
# read-modify-write that only the lock makes safe.
r = redis.Redis(host="127.0.0.1", port=port, decode_responses=True)
r.flushall()
r.set("counter", 0)
errors = []


def worker():
    try:
        c = redis.Redis(host="127.0.0.1", port=port, decode_responses=True)
        for _ in range(25):
            with c.lock("resource", timeout=5, blocking_timeout=10):
                v = int(c.get("counter"))
                time.sleep(0.0005)
                c.set("counter", v + 1)
    except Exception as e:  # noqa: BLE001 - reported below
        errors.append(repr(e))


threads = [threading.Thread(target=worker) for _ in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
assert not errors, errors
assert int(r.get("counter")) == 200, r.get("counter")
# Extend and reacquire, and a release by a non-owner refused by the script.
lock = r.lock("other", timeout=10)
assert lock.acquire(blocking=False)
assert lock.extend(5)
assert r.pttl("other") > 10000
thief = redis.Redis(host="127.0.0.1", port=port).lock("other", timeout=10)
thief.local.token = b"not-the-owner"
try:
    thief.release()
    raise AssertionError("a non-owner released the lock")
except redis.exceptions.LockNotOwnedError:
    pass
lock.release()
assert r.get("other") is None
print("lock: ok")

# --- A token bucket: capacity 5, 1 token per 100 ms, driven by an explicit
# clock so both servers see the same requests.
BUCKET = """
local key = KEYS[1]
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local want = tonumber(ARGV[4])
local state = redis.call('HMGET', key, 'tokens', 'ts')
local tokens = tonumber(state[1]) or capacity
local ts = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + (now - ts) * rate)
local allowed = 0
if tokens >= want then
  tokens = tokens - want
  allowed = 1
end
redis.call('HSET', key, 'tokens', tokens, 'ts', now)
redis.call('PEXPIRE', key, 60000)
return {allowed, tostring(tokens), math.floor(tokens)}
"""


def run_bucket(p):
    c = redis.Redis(host="127.0.0.1", port=p)
    c.delete("bucket")
    limiter = c.register_script(BUCKET)
    out = []
    now = 1000
    for i in range(40):
        now += [0, 30, 150, 10, 400][i % 5]
        out.append(limiter(keys=["bucket"], args=[5, 0.01, now, 1 + i % 2]))
    out.append(c.hgetall("bucket"))
    return out


ours = run_bucket(port)
assert sum(x[0] for x in ours[:-1]) > 10, ours
if ref_port is not None:
    theirs = run_bucket(ref_port)
    assert ours == theirs, (ours, theirs)
print("rate limiter: ok")
