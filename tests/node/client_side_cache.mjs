// node-redis's own client-side cache (RESP3, CLIENT TRACKING ON, its
// BasicClientSideCache) against the server on PORT.
//
// A caching client reads keys of every type through the commands node-redis
// caches; another client changes them (writes, DEL, RENAME, EXPIRE with the
// key expiring, FLUSHALL, a MULTI, a Lua script); after each acknowledged
// change the caching client must read the new value: no stale read. The
// caching client's PING after each change is its barrier: the server sends
// a key's invalidation before the writer's reply, so by the time PING's
// reply is in, the push is too. The cache must have served hits and seen
// invalidations, or nothing was tested.
//
// Usage: node client_side_cache.mjs PORT [SEED]   (prints "node cache: ok")
import { createClient, BasicClientSideCache } from 'redis';

const PORT = Number(process.argv[2]);
let seed = Number(process.argv[3] ?? 1);
const rand = (n) => {
  // xorshift32: the same run for the same seed.
  seed ^= seed << 13; seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5; seed >>>= 0;
  return seed % n;
};

function fail(msg) {
  console.log('FAIL: ' + msg);
  process.exit(1);
}

const cache = new BasicClientSideCache({ ttl: 0, maxEntries: 0 });
let invalidations = 0;
let nullInvalidations = 0;
cache.on('invalidate', (key) => { if (key === null) nullInvalidations++; else invalidations++; });

const url = `redis://127.0.0.1:${PORT}`;
const cached = createClient({ url, RESP: 3, clientSideCache: cache });
const writer = createClient({ url });
for (const c of [cached, writer]) c.on('error', (e) => fail('client error: ' + e));
await cached.connect();
await writer.connect();
await writer.flushAll();

const info = await cached.sendCommand(['CLIENT', 'TRACKINGINFO']);
if (!JSON.stringify(info).includes('on')) fail('CLIENT TRACKINGINFO after connect: ' + JSON.stringify(info));

const KEYS = { s: ['s:0', 's:1', 's:2'], h: ['h:0', 'h:1'], l: ['l:0', 'l:1'], z: ['z:0'], t: ['t:0', 't:1'] };

// Each read as the caching client and as the writer (the truth).
const reads = [
  ['GET', (c, k) => c.get(k), KEYS.s],
  ['STRLEN', (c, k) => c.strLen(k), KEYS.s],
  ['EXISTS', (c, k) => c.exists(k), KEYS.s.concat(KEYS.h)],
  ['TYPE', (c, k) => c.type(k), KEYS.s.concat(KEYS.l)],
  ['HGETALL', (c, k) => c.hGetAll(k), KEYS.h],
  ['HGET', (c, k) => c.hGet(k, 'f1'), KEYS.h],
  ['LRANGE', (c, k) => c.lRange(k, 0, -1), KEYS.l],
  ['LLEN', (c, k) => c.lLen(k), KEYS.l],
  ['SMEMBERS', (c, k) => c.sMembers(k).then((m) => m.sort()), KEYS.t],
  ['SISMEMBER', (c, k) => c.sIsMember(k, 'a'), KEYS.t],
  ['ZRANGE', (c, k) => c.zRange(k, 0, -1), KEYS.z],
  ['MGET', (c, k) => c.mGet([k, 's:0']), KEYS.s],
];

const v = () => 'v' + rand(1000);
const writes = [
  (w) => w.set(pick(KEYS.s), v()),
  (w) => w.append(pick(KEYS.s), 'x'),
  (w) => w.del(pick(KEYS.s.concat(KEYS.h, KEYS.l))),
  (w) => w.incr(pick(KEYS.s)).catch(() => null),
  (w) => w.hSet(pick(KEYS.h), 'f' + rand(3), v()),
  (w) => w.hDel(pick(KEYS.h), 'f1'),
  (w) => w.rPush(pick(KEYS.l), v()),
  (w) => w.lPop(pick(KEYS.l)),
  (w) => w.sAdd(pick(KEYS.t), ['a', 'b', 'c'][rand(3)]),
  (w) => w.sRem(pick(KEYS.t), 'a'),
  (w) => w.zAdd('z:0', { score: rand(10), value: v() }),
  (w) => w.rename(pick(KEYS.s), pick(KEYS.s)).catch(() => null),
  (w) => w.multi().set('s:0', v()).hSet('h:0', 'f1', v()).exec(),
  (w) => w.eval("return redis.call('SET', KEYS[1], ARGV[1])", { keys: [pick(KEYS.s)], arguments: [v()] }),
  async (w) => {
    // A key that expires by its TTL: the server's expiry invalidates too.
    const k = pick(KEYS.s);
    await w.set(k, v(), { PX: 5 });
    await cached.get(k); // may cache it while it lives
    const deadline = Date.now() + 5000;
    while ((await w.exists(k)) === 1) {
      if (Date.now() > deadline) fail(k + ' did not expire');
    }
  },
];
const pick = (a) => a[rand(a.length)];

let checked = 0;
async function checkAll() {
  await cached.ping(); // every invalidation the writes caused is in
  for (const [name, f, keys] of reads) {
    for (const k of keys) {
      const want = JSON.stringify(await f(writer, k));
      // Twice: the first may fill the cache, the second may be a hit.
      for (let i = 0; i < 2; i++) {
        const got = JSON.stringify(await f(cached, k));
        if (got !== want) fail(`stale read: ${name} ${k} gave ${got}, the server has ${want}`);
        checked++;
      }
    }
  }
}

for (let round = 0; round < 300; round++) {
  const n = 1 + rand(3);
  for (let i = 0; i < n; i++) await pick(writes)(writer);
  if (round % 50 === 49) await writer.flushAll();
  await checkAll();
}

const st = cache.stats();
if (st.hitCount === 0) fail('the cache served no hits: ' + JSON.stringify(st));
if (invalidations === 0) fail('no invalidation arrived');
if (nullInvalidations === 0) fail('FLUSHALL brought no null invalidation');
await cached.quit();
await writer.quit();
console.log(`node cache: ok (${checked} reads checked, ${st.hitCount} hits, ${st.missCount} misses, ` +
  `${invalidations} key invalidations, ${nullInvalidations} flushes)`);
