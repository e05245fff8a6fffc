"""redis-py 8's own client-side cache (`cache_config`) against the server on PORT.

redis-py 8 enables its cache only when HELLO reports server "redis" at
version 7.4.0 or later (CacheProxyConnection.MIN_ALLOWED_VERSION): a policy
of the library, not a protocol need, and real Redis 7.0.15 is refused by it
exactly as we are. The check first shows that refusal, then lowers that one
constant and runs redis-py's unmodified cache code: its CLIENT TRACKING
handshake (PLAIN, OPTIN and OPTOUT modes), its CLIENT CACHING pairing, its
command metadata (COMMAND) deciding what is cacheable, and its invalidation
push handling.

For each mode, a caching client reads keys of every type while another
client changes them (writes, DEL, APPEND, expiry, FLUSHALL); every read
after an acknowledged change must see the new value (no stale read), and
the cache must have served hits (the server saw fewer reads than were made).

Usage: redis_py8_cache_check.py PORT   (with redis-py 8 importable; prints
"cache8: ok" and exits 0)
"""

import random
import sys
import time

import redis
from redis.cache import CacheConfig, TrackingMode
from redis.connection import CacheProxyConnection

PORT = int(sys.argv[1])


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def wait_for(pred, what, timeout=5.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return
        time.sleep(0.01)
    fail("timed out waiting for " + what)


def server_reads(admin):
    """Read commands the server executed (from INFO commandstats)."""
    stats = admin.info("commandstats")
    total = 0
    for name in ("get", "hget", "hgetall", "lrange", "smembers", "zrange", "strlen", "exists"):
        total += stats.get("cmdstat_" + name, {}).get("calls", 0)
    return total


def check_gate():
    if not redis.__version__.startswith("8."):
        fail("redis-py 8 expected, found " + redis.__version__)
    r = redis.Redis(host="127.0.0.1", port=PORT, protocol=3, cache_config=CacheConfig())
    try:
        r.ping()
    except redis.exceptions.ConnectionError as e:
        if "7.4" not in str(e):
            fail("unexpected refusal: %s" % e)
    else:
        fail("redis-py 8 accepted a server reporting 7.0.15 (its gate moved?)")
    finally:
        r.close()
    CacheProxyConnection.MIN_ALLOWED_VERSION = "7.0.0"


def check_mode(mode):
    admin = redis.Redis(host="127.0.0.1", port=PORT, protocol=2)
    # RESP3 as the cached client, so both see the same reply shapes.
    writer = redis.Redis(host="127.0.0.1", port=PORT, protocol=3)
    writer.flushall()
    cached = redis.Redis(
        host="127.0.0.1",
        port=PORT,
        protocol=3,
        single_connection_client=True,
        # OPTIN and OPTOUT cache what the predicate picks (STRLEN never:
        # OPTOUT then sends CLIENT CACHING NO before it, OPTIN nothing).
        cache_config=CacheConfig(
            tracking_mode=mode,
            cache_predicate=None if mode is TrackingMode.PLAIN else (lambda cmd, keys: cmd.upper() != "STRLEN"),
        ),
    )
    rnd = random.Random(11)
    strings = ["s%d" % i for i in range(15)]
    truth = {}
    for k in strings:
        v = "v%d" % rnd.randrange(1000)
        writer.set(k, v)
        truth[k] = v.encode()
    writer.hset("h", mapping={"a": "1", "b": "2"})
    writer.rpush("l", "x", "y")
    writer.sadd("set", "m")
    writer.zadd("z", {"a": 1.0})

    def reads():
        """(what, value seen through the cache, value read by the writer)"""
        k = rnd.choice(strings)
        which = rnd.randrange(8)
        if which < 3:
            return "GET " + k, cached.get(k), writer.get(k)
        if which == 3:
            return "STRLEN " + k, cached.strlen(k), writer.strlen(k)
        if which == 4:
            return "HGETALL h", cached.hgetall("h"), writer.hgetall("h")
        if which == 5:
            return "LRANGE l", cached.lrange("l", 0, -1), writer.lrange("l", 0, -1)
        if which == 6:
            return "SMEMBERS set", cached.smembers("set"), writer.smembers("set")
        return "ZRANGE z", cached.zrange("z", 0, -1, withscores=True), writer.zrange("z", 0, -1, withscores=True)

    made = 0
    before = server_reads(admin)
    writer_reads = 0
    for step in range(2500):
        op = rnd.randrange(12)
        if op < 7:
            # The writer reads after the cache: the truth of this moment.
            what, got, want = reads()
            made += 1
            writer_reads += 1
            if got != want:
                fail("%s: stale read at step %d of %s: %r, expected %r" % (mode.value, step, what, got, want))
            continue
        k = rnd.choice(strings)
        if op == 7:
            writer.set(k, "v%d" % rnd.randrange(1000))
        elif op == 8:
            writer.delete(k)
        elif op == 9:
            writer.append(k, "n%d" % step)
        else:
            c = rnd.randrange(4)
            if c == 0:
                writer.hset("h", "a", str(step))
            elif c == 1:
                writer.rpush("l", str(step))
                writer.ltrim("l", -5, -1)
            elif c == 2:
                writer.sadd("set", "m%d" % (step % 7))
            else:
                writer.zincrby("z", 1, "a")
    served = server_reads(admin) - before - writer_reads
    hits = made - served
    if hits < made // 3:
        fail("%s: the cache served %d of %d reads" % (mode.value, hits, made))

    # A key that expires by itself: the writer's read deletes it, the
    # cache must hear of it.
    writer.set("e", "soon", px=50)
    if cached.get("e") != b"soon" or cached.get("e") != b"soon":
        fail("%s: GET before expiry" % mode.value)
    wait_for(lambda: writer.exists("e") == 0, "the key to expire")
    if cached.get("e") is not None:
        fail("%s: stale read after expiry" % mode.value)
    # FLUSHALL empties every cached key.
    writer.set("f", "1")
    if cached.get("f") != b"1" or cached.get("f") != b"1":
        fail("%s: GET before flush" % mode.value)
    writer.flushall()
    if cached.get("f") is not None:
        fail("%s: stale read after FLUSHALL" % mode.value)
    print("cache8: %s %d reads, %d served from the cache" % (mode.value, made, hits))
    cached.close()
    writer.close()
    admin.close()


check_gate()
for m in (TrackingMode.PLAIN, TrackingMode.OPTIN, TrackingMode.OPTOUT):
    check_mode(m)
print("cache8: ok")
