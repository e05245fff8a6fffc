//! Seeded command generator: random sequences over a small keyspace, so
//! commands keep meeting each other's keys, types and TTLs. Every reply is
//! compared with redis-server 7.0's.

use super::{Cmp, Pair, show_args};

/// xorshift64*: deterministic for a seed, enough for test data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
    pub fn chance(&mut self, pct: usize) -> bool {
        self.below(100) < pct
    }
}

const KEYS: &[&str] = &[
    "k0", "k1", "k2", "k3", "k4", "{a}x", "", "user:1", "user:2", "n1", "n2", "f1",
];
const VALUES: &[&str] = &[
    "v",
    "",
    "0",
    "1",
    "-1",
    "10",
    "123",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "3.14",
    "-0.5",
    "1e3",
    "abc",
    "hello world",
    "007",
    " 1",
    "1 ",
    "+5",
    "-0",
    "inf",
    "nan",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
];
const INTS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "5",
    "-3",
    "100",
    "-100",
    "abc",
    "",
    "1.5",
    "9223372036854775807",
    "-9223372036854775808",
    "4294967296",
];
const FLOATS: &[&str] = &[
    "0", "1", "-1", "0.1", "0.2", "1.5", "-2.25", "1e2", "3.0e-2", "abc", "inf", "10.5", "5.0e3",
    "-0",
];
/// Relative TTLs in seconds: none may run out during a run (a key that
/// expires between the two servers' replies would make them differ).
const TTLS: &[&str] = &[
    "-5",
    "0",
    "1000",
    "100000",
    "abc",
    "9223372036854775807",
    "3600",
];
/// Relative TTLs in milliseconds, likewise.
const MS_TTLS: &[&str] = &[
    "-5",
    "0",
    "10000000",
    "100000000",
    "abc",
    "9223372036854775807",
    "3600000",
];
const SET_EXATS: &[&str] = &["9999999999", "99999999999", "0", "-1", "abc"];
const SET_PXATS: &[&str] = &["9999999999999", "0", "abc"];
const ATS: &[&str] = &["0", "1", "9999999999", "99999999999", "-1", "abc"];
const PATTERNS: &[&str] = &[
    "*",
    "k*",
    "user:?",
    "user:[12]",
    "*1",
    "[a-k]*",
    "\\{a\\}x",
    "nomatch",
];

macro_rules! sv {
    ($($e:expr),* $(,)?) => { vec![$($e.to_string()),*] };
}

fn key(r: &mut Rng) -> String {
    r.pick(KEYS).to_string()
}

/// One random command and how its reply is compared.
pub fn gen_command(r: &mut Rng) -> (Vec<String>, Cmp) {
    let k = key(r);
    let v = r.pick(VALUES).to_string();
    let i = r.pick(INTS).to_string();
    let exact = Cmp::Exact;
    // A quarter of the draws each: strings/keys, lists, hashes and sets,
    // sorted sets.
    match r.below(4) {
        0 => return gen_collection_command(r),
        1 => return gen_hash_set_command(r),
        2 => return gen_zset_command(r),
        _ => {}
    }
    match r.below(44) {
        0 | 1 => {
            let mut c = sv!["SET", &k, &v];
            for _ in 0..r.below(3) {
                match r.below(8) {
                    0 => c.push("NX".into()),
                    1 => c.push("XX".into()),
                    2 => c.push("GET".into()),
                    3 => c.push("KEEPTTL".into()),
                    4 => c.extend(sv!["EX", r.pick(TTLS)]),
                    5 => c.extend(sv!["PX", r.pick(MS_TTLS)]),
                    // SET with a past deadline leaves a logically expired
                    // key that DBSIZE counts until each server's own expiry
                    // cycle reclaims it; SET only gets future deadlines.
                    6 => c.extend(sv!["EXAT", r.pick(SET_EXATS)]),
                    _ => c.extend(sv!["PXAT", r.pick(SET_PXATS)]),
                }
            }
            (c, exact)
        }
        2 | 3 => (sv!["GET", &k], exact),
        4 => (sv!["GETSET", &k, &v], exact),
        5 => (sv!["GETDEL", &k], exact),
        6 => {
            let mut c = sv!["GETEX", &k];
            match r.below(6) {
                0 => c.extend(sv!["EX", r.pick(TTLS)]),
                1 => c.extend(sv!["PX", r.pick(MS_TTLS)]),
                2 => c.extend(sv!["EXAT", r.pick(ATS)]),
                3 => c.push("PERSIST".into()),
                4 => c.push("BAD".into()),
                _ => {}
            }
            (c, exact)
        }
        7 => (sv!["SETNX", &k, &v], exact),
        8 => (sv!["SETEX", &k, r.pick(TTLS), &v], exact),
        9 => (sv!["PSETEX", &k, r.pick(MS_TTLS), &v], exact),
        10 => {
            let mut c = vec!["MSET".to_string()];
            for _ in 0..1 + r.below(3) {
                c.push(key(r));
                c.push(r.pick(VALUES).to_string());
            }
            if r.chance(10) {
                c.pop();
            }
            (c, exact)
        }
        11 => {
            let mut c = vec!["MSETNX".to_string()];
            for _ in 0..1 + r.below(3) {
                c.push(key(r));
                c.push(r.pick(VALUES).to_string());
            }
            (c, exact)
        }
        12 => {
            let mut c = vec!["MGET".to_string()];
            for _ in 0..1 + r.below(4) {
                c.push(key(r));
            }
            (c, exact)
        }
        13 => (sv!["APPEND", &k, &v], exact),
        14 => (sv!["STRLEN", &k], exact),
        15 | 16 => (vec![r.pick(&["INCR", "DECR"]).to_string(), k], exact),
        17 => (sv![r.pick(&["INCRBY", "DECRBY"]), &k, &i], exact),
        18 => (sv!["INCRBYFLOAT", &k, r.pick(FLOATS)], exact),
        19 => (
            sv![r.pick(&["GETRANGE", "SUBSTR"]), &k, &i, r.pick(INTS)],
            exact,
        ),
        20 => (
            sv![
                "SETRANGE",
                &k,
                r.pick(&["0", "1", "5", "-1", "abc", "20"]),
                &v
            ],
            exact,
        ),
        21 => {
            let mut c = sv!["LCS", &k, &key(r)];
            match r.below(5) {
                0 => c.push("LEN".into()),
                1 => c.push("IDX".into()),
                2 => c.extend(sv!["IDX", "MINMATCHLEN", r.pick(INTS), "WITHMATCHLEN"]),
                _ => {}
            }
            (c, exact)
        }
        22 => {
            let mut c = vec![r.pick(&["DEL", "UNLINK", "EXISTS", "TOUCH"]).to_string()];
            for _ in 0..1 + r.below(3) {
                c.push(key(r));
            }
            (c, exact)
        }
        23 => (sv!["TYPE", &k], exact),
        24 => (sv!["KEYS", r.pick(PATTERNS)], Cmp::Unordered),
        25 => (sv![r.pick(&["RENAME", "RENAMENX"]), &k, &key(r)], exact),
        26 => {
            let mut c = sv!["COPY", &k, &key(r)];
            if r.chance(50) {
                c.push("REPLACE".into());
            }
            if r.chance(20) {
                c.extend(sv!["DB", r.pick(&["0", "1", "16", "x"])]);
            }
            (c, exact)
        }
        27 | 28 => {
            let ms = r.chance(50);
            let mut c = if ms {
                sv!["PEXPIRE", &k, r.pick(MS_TTLS)]
            } else {
                sv!["EXPIRE", &k, r.pick(TTLS)]
            };
            if r.chance(40) {
                c.push(r.pick(&["NX", "XX", "GT", "LT", "BAD"]).to_string());
            }
            if r.chance(10) {
                c.push(r.pick(&["NX", "XX", "GT", "LT"]).to_string());
            }
            (c, exact)
        }
        29 => (
            sv![r.pick(&["EXPIREAT", "PEXPIREAT"]), &k, r.pick(ATS)],
            exact,
        ),
        30 | 31 => (sv!["TTL", &k], Cmp::Near(1)),
        32 => (sv!["PTTL", &k], Cmp::Near(200)),
        33 => (sv!["EXPIRETIME", &k], Cmp::Near(1)),
        34 => (sv!["PEXPIRETIME", &k], Cmp::Near(200)),
        35 => (sv!["PERSIST", &k], exact),
        36 => (sv!["MOVE", &k, r.pick(&["0", "1", "2", "16", "x"])], exact),
        37 => (
            sv!["SELECT", r.pick(&["0", "0", "0", "1", "2", "16"])],
            exact,
        ),
        38 => (sv!["DBSIZE"], exact),
        39 => (sv!["OBJECT", "ENCODING", &k], exact),
        40 => (
            sv![
                "SWAPDB",
                r.pick(&["0", "1", "2"]),
                r.pick(&["0", "1", "2", "x"])
            ],
            exact,
        ),
        41 => {
            if r.chance(5) {
                (sv![r.pick(&["FLUSHDB", "FLUSHALL"])], exact)
            } else {
                (sv!["EXISTS", &k], exact)
            }
        }
        42 => (sv!["ECHO", &v], exact),
        _ => (sv!["OBJECT", "REFCOUNT", &k], exact),
    }
}

const ELEMS: &[&str] = &["a", "b", "c", "1", "2", "10", "-3", "", "x y", "hello", "a"];
const ENDS: &[&str] = &["LEFT", "RIGHT", "UP"];

fn elems(r: &mut Rng, n: usize) -> Vec<String> {
    (0..n).map(|_| r.pick(ELEMS).to_string()).collect()
}

/// Collection commands over the same key pool (so WRONGTYPE paths happen).
fn gen_collection_command(r: &mut Rng) -> (Vec<String>, Cmp) {
    let k = key(r);
    let exact = Cmp::Exact;
    let int = |r: &mut Rng| {
        r.pick(&["0", "1", "-1", "2", "-2", "3", "5", "-100", "100", "abc"])
            .to_string()
    };
    match r.below(20) {
        0 | 1 => {
            let mut c = sv![r.pick(&["LPUSH", "RPUSH", "LPUSHX", "RPUSHX"]), &k];
            let n = 1 + r.below(3);
            c.extend(elems(r, n));
            (c, exact)
        }
        2 | 3 => {
            let mut c = sv![r.pick(&["LPOP", "RPOP"]), &k];
            if r.chance(40) {
                c.push(r.pick(&["0", "1", "2", "5", "-1", "abc"]).to_string());
            }
            (c, exact)
        }
        4 => (sv!["LLEN", &k], exact),
        5 | 6 => (sv!["LRANGE", &k, int(r), int(r)], exact),
        7 => (sv!["LINDEX", &k, int(r)], exact),
        8 => (sv!["LSET", &k, int(r), r.pick(ELEMS)], exact),
        9 => (
            sv![
                "LINSERT",
                &k,
                r.pick(&["BEFORE", "AFTER", "X"]),
                r.pick(ELEMS),
                r.pick(ELEMS)
            ],
            exact,
        ),
        10 => (sv!["LREM", &k, int(r), r.pick(ELEMS)], exact),
        11 => (sv!["LTRIM", &k, int(r), int(r)], exact),
        12 => {
            let mut c = sv!["LPOS", &k, r.pick(ELEMS)];
            if r.chance(40) {
                c.extend(sv!["RANK", r.pick(&["1", "2", "-1", "-2", "0"])]);
            }
            if r.chance(40) {
                c.extend(sv!["COUNT", r.pick(&["0", "1", "2", "-1"])]);
            }
            if r.chance(20) {
                c.extend(sv!["MAXLEN", r.pick(&["0", "1", "3"])]);
            }
            (c, exact)
        }
        13 | 14 => (sv!["LMOVE", &k, &key(r), r.pick(ENDS), r.pick(ENDS)], exact),
        15 => (sv!["RPOPLPUSH", &k, &key(r)], exact),
        16 => {
            let mut c = sv![
                "LMPOP",
                r.pick(&["1", "2", "3", "0"]),
                &k,
                &key(r),
                r.pick(ENDS)
            ];
            if r.chance(50) {
                c.extend(sv!["COUNT", r.pick(&["1", "2", "10", "0"])]);
            }
            (c, exact)
        }
        17 => (
            sv![r.pick(&["BLPOP", "BRPOP"]), &k, &key(r), "0.001"],
            exact,
        ),
        18 => (
            sv!["BLMOVE", &k, &key(r), r.pick(ENDS), r.pick(ENDS), "0.001"],
            exact,
        ),
        _ => (sv!["TYPE", &k], exact),
    }
}

const FIELDS: &[&str] = &["f1", "f2", "f3", "name", "age", "", "10", "x y"];
const MEMBERS: &[&str] = &[
    "1",
    "2",
    "3",
    "10",
    "-5",
    "a",
    "b",
    "c",
    "",
    "hello",
    "9223372036854775807",
];

/// Hash and set commands over the same key pool. Replies with an order
/// Redis leaves undefined (large hashtables) are compared as multisets;
/// random ones (SPOP, SRANDMEMBER, HRANDFIELD) only for their type.
fn gen_hash_set_command(r: &mut Rng) -> (Vec<String>, Cmp) {
    let k = key(r);
    let exact = Cmp::Exact;
    let field = |r: &mut Rng| r.pick(FIELDS).to_string();
    let member = |r: &mut Rng| r.pick(MEMBERS).to_string();
    match r.below(26) {
        0..=2 => {
            let mut c = sv![r.pick(&["HSET", "HMSET"]), &k];
            for _ in 0..1 + r.below(3) {
                c.push(field(r));
                c.push(r.pick(VALUES).to_string());
            }
            (c, exact)
        }
        3 => (sv!["HSETNX", &k, field(r), r.pick(VALUES)], exact),
        4 => (sv!["HGET", &k, field(r)], exact),
        5 => (sv!["HMGET", &k, field(r), field(r)], exact),
        6 => (sv!["HDEL", &k, field(r), field(r)], exact),
        7 => (
            sv![r.pick(&["HLEN", "HKEYS", "HVALS", "HGETALL"]), &k],
            Cmp::Unordered,
        ),
        8 => (sv![r.pick(&["HSTRLEN", "HEXISTS"]), &k, field(r)], exact),
        9 => (sv!["HINCRBY", &k, field(r), r.pick(INTS)], exact),
        10 => (sv!["HINCRBYFLOAT", &k, field(r), r.pick(FLOATS)], exact),
        11 => (
            sv!["HRANDFIELD", &k, r.pick(&["0", "1", "-2", "5"])],
            Cmp::SameType,
        ),
        12..=14 => {
            let mut c = sv!["SADD", &k];
            for _ in 0..1 + r.below(3) {
                c.push(member(r));
            }
            (c, exact)
        }
        15 => (sv!["SREM", &k, member(r), member(r)], exact),
        16 => (sv![r.pick(&["SISMEMBER"]), &k, member(r)], exact),
        17 => (sv!["SMISMEMBER", &k, member(r), member(r)], exact),
        18 => (sv![r.pick(&["SMEMBERS", "SCARD"]), &k], Cmp::Unordered),
        // A single SPOP picks at random and the two servers' data would
        // part ways; popping more than the set holds is deterministic.
        19 => (sv!["SPOP", &k, "100"], Cmp::Unordered),
        20 => (
            sv!["SRANDMEMBER", &k, r.pick(&["0", "1", "-3", "3"])],
            Cmp::SameType,
        ),
        21 => (sv!["SMOVE", &k, &key(r), member(r)], exact),
        22 => (
            sv![r.pick(&["SINTER", "SUNION", "SDIFF"]), &k, &key(r)],
            Cmp::Unordered,
        ),
        23 => (
            sv![
                r.pick(&["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]),
                &key(r),
                &k,
                &key(r)
            ],
            exact,
        ),
        24 => (sv!["SINTERCARD", "2", &k, &key(r)], exact),
        _ => (sv!["OBJECT", "ENCODING", &k], exact),
    }
}

const SCORES: &[&str] = &[
    "0", "1", "-1", "2.5", "0.1", "1e300", "-inf", "+inf", "3", "abc", "nan", "-0",
];
const SCORE_BOUNDS: &[&str] = &["-inf", "+inf", "0", "(0", "1", "(2.5", "3", "abc", "-1"];
const LEX_BOUNDS: &[&str] = &["-", "+", "[a", "(a", "[c", "(hello", "a", "[", "(1"];

/// Sorted-set commands over the same key pool (no single random pops:
/// ZRANDMEMBER is compared by type only and never changes data).
fn gen_zset_command(r: &mut Rng) -> (Vec<String>, Cmp) {
    let k = key(r);
    let exact = Cmp::Exact;
    let member = |r: &mut Rng| r.pick(MEMBERS).to_string();
    let score = |r: &mut Rng| r.pick(SCORES).to_string();
    match r.below(24) {
        0..=3 => {
            let mut c = sv!["ZADD", &k];
            for _ in 0..r.below(3) {
                c.push(r.pick(&["NX", "XX", "GT", "LT", "CH", "INCR"]).to_string());
            }
            for _ in 0..1 + r.below(3) {
                c.push(score(r));
                c.push(member(r));
            }
            (c, exact)
        }
        4 => (sv!["ZINCRBY", &k, score(r), member(r)], exact),
        5 => (sv!["ZSCORE", &k, member(r)], exact),
        6 => (sv!["ZMSCORE", &k, member(r), member(r)], exact),
        7 => (sv!["ZCARD", &k], exact),
        8 => (
            sv!["ZCOUNT", &k, r.pick(SCORE_BOUNDS), r.pick(SCORE_BOUNDS)],
            exact,
        ),
        9 => (
            sv!["ZLEXCOUNT", &k, r.pick(LEX_BOUNDS), r.pick(LEX_BOUNDS)],
            exact,
        ),
        10 | 11 => {
            let mut c = match r.below(3) {
                0 => sv!["ZRANGE", &k, r.pick(INTS), r.pick(INTS)],
                1 => sv![
                    "ZRANGE",
                    &k,
                    r.pick(SCORE_BOUNDS),
                    r.pick(SCORE_BOUNDS),
                    "BYSCORE"
                ],
                _ => sv![
                    "ZRANGE",
                    &k,
                    r.pick(LEX_BOUNDS),
                    r.pick(LEX_BOUNDS),
                    "BYLEX"
                ],
            };
            if r.chance(30) {
                c.push("REV".into());
            }
            if r.chance(30) {
                c.extend(sv![
                    "LIMIT",
                    r.pick(&["0", "1", "-1"]),
                    r.pick(&["1", "2", "-1", "0"])
                ]);
            }
            if r.chance(40) {
                c.push("WITHSCORES".into());
            }
            (c, exact)
        }
        12 => (
            sv![
                r.pick(&["ZRANGEBYSCORE", "ZREVRANGEBYSCORE"]),
                &k,
                r.pick(SCORE_BOUNDS),
                r.pick(SCORE_BOUNDS)
            ],
            exact,
        ),
        13 => (sv![r.pick(&["ZRANK", "ZREVRANK"]), &k, member(r)], exact),
        14 => (sv!["ZREM", &k, member(r), member(r)], exact),
        15 => (
            sv!["ZREMRANGEBYRANK", &k, r.pick(INTS), r.pick(INTS)],
            exact,
        ),
        16 => (
            sv![
                "ZREMRANGEBYSCORE",
                &k,
                r.pick(SCORE_BOUNDS),
                r.pick(SCORE_BOUNDS)
            ],
            exact,
        ),
        17 => (
            sv![
                r.pick(&["ZPOPMIN", "ZPOPMAX"]),
                &k,
                r.pick(&["1", "2", "0", "-1"])
            ],
            exact,
        ),
        18 => (
            sv!["ZMPOP", "2", &k, &key(r), r.pick(&["MIN", "MAX", "MID"])],
            exact,
        ),
        19 => {
            let mut c = sv![
                r.pick(&["ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"]),
                &key(r),
                "2",
                &k,
                &key(r)
            ];
            if r.chance(30) {
                c.extend(sv![
                    "WEIGHTS",
                    r.pick(&["1", "2", "-1"]),
                    r.pick(&["1", "0.5"])
                ]);
            }
            if r.chance(30) {
                c.extend(sv!["AGGREGATE", r.pick(&["SUM", "MIN", "MAX"])]);
            }
            if c[0] == "ZDIFFSTORE" {
                c.truncate(5);
            }
            (c, exact)
        }
        20 => (
            sv![
                r.pick(&["ZUNION", "ZINTER", "ZDIFF"]),
                "2",
                &k,
                &key(r),
                "WITHSCORES"
            ],
            exact,
        ),
        21 => (sv!["ZINTERCARD", "2", &k, &key(r)], exact),
        22 => (
            sv!["ZRANDMEMBER", &k, r.pick(&["1", "-2", "0"])],
            Cmp::SameType,
        ),
        _ => (sv![r.pick(&["BZPOPMIN", "BZPOPMAX"]), &k, "0.001"], exact),
    }
}

#[test]
fn generated_sequences_match_redis() {
    run_generated(false);
}

/// The same generated sequences with both connections switched to RESP3.
#[test]
fn generated_sequences_match_redis_under_resp3() {
    run_generated(true);
}

fn run_generated(resp3: bool) {
    let Some(mut p) = Pair::start() else { return };
    if resp3 {
        p.compare(&[b"HELLO".to_vec(), b"3".to_vec()], Cmp::SameType)
            .unwrap();
        p.checked -= 1;
    }
    let seed: u64 = std::env::var("DIFF_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        });
    let n: usize = std::env::var("DIFF_COMMANDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(12_000);
    eprintln!("generated differential run: DIFF_SEED={seed} DIFF_COMMANDS={n}");
    let mut r = Rng::new(seed);
    let mut history: Vec<String> = Vec::new();
    for step in 0..n {
        let (cmd, cmp) = gen_command(&mut r);
        let args: Vec<Vec<u8>> = cmd.iter().map(|a| a.as_bytes().to_vec()).collect();
        history.push(show_args(&args));
        if let Err((ours, theirs)) = p.compare(&args, cmp) {
            // The commands that touched this command's key matter most.
            let needle = args
                .get(1)
                .map(|k| format!("{:?}", String::from_utf8_lossy(k)))
                .unwrap_or_default();
            let touching: Vec<String> = history
                .iter()
                .filter(|h| h.contains(&needle))
                .cloned()
                .collect();
            let mut tail: Vec<String> = touching[touching.len().saturating_sub(20)..].to_vec();
            tail.push("-- last commands overall:".into());
            tail.extend(history.iter().rev().take(8).rev().cloned());
            panic!(
                "mismatch at step {step} (DIFF_SEED={seed}) for {}\n  miniredis: {ours}\n  redis:     {theirs}\n  last commands:\n    {}",
                show_args(&args),
                tail.join("\n    ")
            );
        }
    }
    assert_eq!(p.checked, n);
}
