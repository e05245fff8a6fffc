"""Client-side caching as client libraries do it, against the server on PORT.

The cache here is the one a client library keeps, built by hand over
redis-py 6.2: a RESP3 connection with CLIENT TRACKING on, redis-py's
invalidation push handler dropping entries, and pending pushes read before
every cache hit. (redis-py 8's own `cache_config` is checked by
redis_py8_cache_check.py.)

1. A caching client reads keys of every type, another client changes them
   (writes, DEL, APPEND, expiry, FLUSHALL), and every read after an
   acknowledged change must see the new value: no stale read. The cache
   must also have served hits, or nothing was tested.
2. A RESP2 client with CLIENT TRACKING ... REDIRECT to a connection
   subscribed to __redis__:invalidate: each write to a key it read brings
   exactly one invalidation message naming that key; FLUSHALL a null one.
3. BCAST with a prefix: a write to a matching key is announced without a
   read, others are not.

Usage: redis_py_cache_check.py PORT   (prints "cache: ok" and exits 0)
"""

import random
import sys
import time

import redis

PORT = int(sys.argv[1])


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def wait_for(pred, what, timeout=5.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
    fail("timed out waiting for " + what)


class CachingClient:
    """A read-through cache over one tracking connection."""

    def __init__(self):
        self.r = redis.Redis(host="127.0.0.1", port=PORT, protocol=3, single_connection_client=True)
        self.entries = {}
        self.hits = 0
        if self.r.execute_command("CLIENT", "TRACKING", "on") not in (b"OK", "OK", True):
            fail("CLIENT TRACKING on refused")
        self.r.connection._parser.set_invalidation_push_handler(self.invalidate)

    def invalidate(self, msg):
        keys = msg[1]
        if keys is None:
            self.entries.clear()
        else:
            for k in keys:
                for cached in [e for e in self.entries if e[1] == k]:
                    del self.entries[cached]

    def read(self, cmd, key, *args):
        conn = self.r.connection
        # Invalidations that arrived since the last reply come first.
        while conn.can_read(timeout=0):
            conn.read_response(push_request=True)
        entry = (cmd, key.encode(), args)
        if entry in self.entries:
            self.hits += 1
            return self.entries[entry]
        value = self.r.execute_command(cmd, key, *args)
        self.entries[entry] = value
        return value


def check_cache():
    cached = CachingClient()
    writer = redis.Redis(host="127.0.0.1", port=PORT, protocol=3)
    writer.flushall()
    rnd = random.Random(7)
    keys = ["s%d" % i for i in range(20)]
    truth = {}
    for k in keys:
        v = "v%d" % rnd.randrange(1000)
        writer.set(k, v)
        truth[k] = v.encode()
    for step in range(3000):
        k = rnd.choice(keys)
        op = rnd.randrange(10)
        if op < 6:
            got = cached.read("GET", k)
            if got != truth.get(k):
                fail("stale read at step %d: %s = %r, expected %r" % (step, k, got, truth.get(k)))
        elif op < 8:
            v = "v%d" % rnd.randrange(1000)
            writer.set(k, v)
            truth[k] = v.encode()
        elif op == 8:
            writer.delete(k)
            truth.pop(k, None)
        else:
            v = "n%d" % step
            writer.append(k, v)
            truth[k] = truth.get(k, b"") + v.encode()
    # Other types through their read commands.
    writer.hset("h", mapping={"a": "1", "b": "2"})
    writer.rpush("l", "x", "y")
    writer.sadd("set", "m")
    writer.zadd("z", {"a": 1.0})
    for _ in range(2):
        if cached.read("HGET", "h", "a") != b"1":
            fail("HGET before change")
        if cached.read("LRANGE", "l", 0, -1) != [b"x", b"y"]:
            fail("LRANGE before change")
        if cached.read("SCARD", "set") != 1:
            fail("SCARD before change")
        if cached.read("ZSCORE", "z", "a") != 1.0:
            fail("ZSCORE before change")
    writer.hset("h", "a", "3")
    writer.lpop("l")
    writer.srem("set", "m")
    writer.zincrby("z", 2, "a")
    if cached.read("HGET", "h", "a") != b"3":
        fail("HGET stale after HSET")
    if cached.read("LRANGE", "l", 0, -1) != [b"y"]:
        fail("LRANGE stale after LPOP")
    if cached.read("SCARD", "set") != 0:
        fail("SCARD stale after SREM")
    if cached.read("ZSCORE", "z", "a") != 3.0:
        fail("ZSCORE stale after ZINCRBY")
    # Expiry: the key goes by itself and the cache must notice.
    writer.set("e", "soon", px=50)
    if cached.read("GET", "e") != b"soon":
        fail("GET before expiry")
    wait_for(lambda: writer.exists("e") == 0, "the key to expire")
    if cached.read("GET", "e") is not None:
        fail("stale read after expiry")
    # FLUSHALL empties every cached key.
    writer.set("f", "1")
    if cached.read("GET", "f") != b"1" or cached.read("GET", "f") != b"1":
        fail("GET before flush")
    writer.flushall()
    if cached.read("GET", "f") is not None:
        fail("stale read after FLUSHALL")
    if cached.hits < 500:
        fail("the cache served only %d hits" % cached.hits)
    cached.r.close()
    writer.close()


def read_message(p, timeout=5.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        m = p.get_message(timeout=0.2)
        if m and m["type"] == "message":
            return m
    fail("no invalidation message")


def check_resp2_redirect():
    sub = redis.Redis(host="127.0.0.1", port=PORT, protocol=2)
    p = sub.pubsub()
    p.subscribe("__redis__:invalidate")
    wait_for(lambda: p.get_message(timeout=0.2), "the subscription")
    # The pubsub connection's ID: the one CLIENT LIST shows subscribed.
    redir_id = None
    admin = redis.Redis(host="127.0.0.1", port=PORT, protocol=2)
    for c in admin.client_list():
        if "P" in c["flags"] and int(c["sub"]) == 1:
            redir_id = int(c["id"])
    if redir_id is None:
        fail("no subscribed connection found")
    tracked = redis.Redis(host="127.0.0.1", port=PORT, protocol=2, single_connection_client=True)
    if tracked.execute_command("CLIENT", "TRACKING", "on", "REDIRECT", redir_id) not in (b"OK", "OK", True):
        fail("CLIENT TRACKING on REDIRECT refused")
    if tracked.execute_command("CLIENT", "GETREDIR") != redir_id:
        fail("CLIENT GETREDIR")
    writer = redis.Redis(host="127.0.0.1", port=PORT, protocol=2)
    for i in range(50):
        k = "r%d" % i
        writer.set(k, i)
        tracked.get(k)
        writer.incr(k)
        m = read_message(p)
        if m["channel"] != b"__redis__:invalidate" or m["data"] != [k.encode()]:
            fail("unexpected invalidation %r for %s" % (m, k))
        # Not read again: a second write brings nothing.
        writer.incr(k)
    if p.get_message(timeout=0.3) is not None:
        fail("an invalidation for a key not read again")
    tracked.get("r1")
    writer.flushall()
    m = read_message(p)
    if m["data"] is not None:
        fail("FLUSHALL should bring a null invalidation, got %r" % (m,))
    tracked.close()
    p.close()


def check_bcast():
    c = redis.Redis(host="127.0.0.1", port=PORT, protocol=3, single_connection_client=True)
    got = []
    conn = c.connection
    if c.execute_command("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "user:") not in (b"OK", "OK", True):
        fail("BCAST refused")
    conn._parser.set_invalidation_push_handler(lambda msg: got.append(msg))
    writer = redis.Redis(host="127.0.0.1", port=PORT, protocol=3)
    writer.set("user:1", "a")
    writer.set("order:1", "b")
    writer.set("user:2", "c")

    def poll():
        c.ping()
        return any(b"user:2" in (m[1] or []) for m in got)

    wait_for(poll, "the BCAST invalidation")
    keys = [k for m in got for k in (m[1] or [])]
    if b"order:1" in keys or b"user:1" not in keys:
        fail("BCAST keys %r" % keys)
    c.close()


check_cache()
check_resp2_redirect()
check_bcast()
print("cache: ok")
