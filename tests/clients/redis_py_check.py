"""A real application's use of miniredis through redis-py (RESP3 by default
in redis-py 8): strings and hashes, a WATCH/MULTI/EXEC pipeline that retries
on a conflict, and a pub/sub round trip. Usage: redis_py_check.py PORT"""
import sys
import threading

import redis

port = int(sys.argv[1])
for protocol in (3, 2):
    r = redis.Redis(host="127.0.0.1", port=port, protocol=protocol, decode_responses=True)
    r.flushall()
    assert r.ping()
    r.set("user:1:name", "Alice")
    assert r.get("user:1:name") == "Alice"
    r.hset("user:1", mapping={"name": "Alice", "age": "30", "city": "NYC"})
    assert r.hgetall("user:1") == {"name": "Alice", "age": "30", "city": "NYC"}
    r.lpush("queue:jobs", "job1", "job2", "job3")
    assert r.rpop("queue:jobs") == "job1"

    # Optimistic locking: WATCH, read, MULTI/EXEC; a competing write makes
    # the first attempt fail with WatchError, the retry succeeds.
    r.set("balance", 100)
    other = redis.Redis(host="127.0.0.1", port=port, protocol=protocol)
    attempts = 0
    with r.pipeline() as pipe:
        while True:
            try:
                pipe.watch("balance")
                current = int(pipe.get("balance"))
                if attempts == 0:
                    other.incrby("balance", 5)
                pipe.multi()
                pipe.set("balance", current - 10)
                pipe.get("balance")
                result = pipe.execute()
                break
            except redis.WatchError:
                attempts += 1
    assert attempts == 1, attempts
    assert result == [True, "95"], result

    # Pub/sub round trip.
    p = r.pubsub()
    p.subscribe("news")
    first = p.get_message(timeout=5)
    assert first["type"] == "subscribe", first
    received = []

    def listen():
        for m in p.listen():
            if m["type"] == "message":
                received.append(m["data"])
                return

    t = threading.Thread(target=listen)
    t.start()
    while r.publish("news", "hello") == 0:
        pass
    t.join(timeout=5)
    assert received == ["hello"], received
    p.close()
    print(f"redis-py {redis.__version__} protocol {protocol}: ok")
