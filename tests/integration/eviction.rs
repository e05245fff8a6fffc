//! maxmemory with eviction: the policies keep used_memory at the limit,
//! volatile-* evicts only keys with a TTL, volatile-ttl the nearest
//! deadlines first, allkeys-lru keeps a hot set that is being read, and
//! every eviction is announced (`evicted`) and counted.

use crate::common::{Raw, start_miniredis, wait_for};
use std::time::Duration;

/// DBSIZE and evicted_keys at one instant (inside one EXEC).
fn keys_and_evicted(r: &mut Raw) -> (u64, u64) {
    assert_eq!(r.q("MULTI"), "+OK\r\n");
    assert_eq!(r.q("DBSIZE"), "+QUEUED\r\n");
    assert_eq!(r.q("INFO stats"), "+QUEUED\r\n");
    let out = String::from_utf8(r.cmd(&[b"EXEC"])).unwrap();
    let keys = out
        .lines()
        .find_map(|l| l.strip_prefix(':'))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no DBSIZE in {out}"));
    let evicted = out
        .lines()
        .find_map(|l| l.strip_prefix("evicted_keys:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no evicted_keys in {out}"));
    (keys, evicted)
}

fn info_field(r: &mut Raw, section: &str, field: &str) -> u64 {
    let info = String::from_utf8(r.cmd(&[b"INFO", section.as_bytes()])).unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in {info}"))
}

/// Write `n` keys of 100-byte values, pipelined in batches, each with a
/// TTL when `ttl`.
fn load(r: &mut Raw, prefix: &str, n: usize, ttl: bool) {
    let value = "x".repeat(100);
    for start in (0..n).step_by(500) {
        let mut batch = Vec::new();
        for i in start..(start + 500).min(n) {
            let key = format!("{prefix}:{i}");
            let args: Vec<&[u8]> = if ttl {
                vec![b"SET", key.as_bytes(), value.as_bytes(), b"EX", b"10000"]
            } else {
                vec![b"SET", key.as_bytes(), value.as_bytes()]
            };
            batch.extend(crate::common::encode(&args));
        }
        r.send(&batch);
        for _ in start..(start + 500).min(n) {
            let reply = r.read_reply();
            assert!(
                reply.starts_with(b"+OK"),
                "{}",
                String::from_utf8_lossy(&reply)
            );
        }
    }
}

const LIMIT: u64 = 8 * 1024 * 1024;

fn start_with(policy: &str) -> (crate::common::Proc, Raw) {
    let s = start_miniredis(&[]);
    let mut r = s.raw();
    assert_eq!(r.q(&format!("CONFIG SET maxmemory {LIMIT}")), "+OK\r\n");
    assert_eq!(
        r.q(&format!("CONFIG SET maxmemory-policy {policy}")),
        "+OK\r\n"
    );
    (s, r)
}

#[test]
fn allkeys_policies_hold_memory_at_the_limit() {
    for policy in ["allkeys-lru", "allkeys-lfu", "allkeys-random"] {
        let (_s, mut r) = start_with(policy);
        load(&mut r, "k", 120_000, false);
        let used = info_field(&mut r, "memory", "used_memory");
        assert!(
            used <= LIMIT + LIMIT / 20,
            "{policy}: used_memory {used} over the limit"
        );
        // Both counts from one EXEC: a command between them could evict
        // more first (anything it allocates, e.g. its latency histogram,
        // can take memory over the limit again).
        let (keys, evicted) = keys_and_evicted(&mut r);
        assert!(
            evicted > 0 && keys + evicted == 120_000,
            "{policy}: {keys} keys, {evicted} evicted"
        );
    }
}

#[test]
fn volatile_policies_evict_only_keys_with_a_ttl() {
    for policy in [
        "volatile-lru",
        "volatile-lfu",
        "volatile-random",
        "volatile-ttl",
    ] {
        let (_s, mut r) = start_with(policy);
        // Keys without TTL take about a quarter of the limit; keys with
        // one churn through the rest.
        load(&mut r, "keep", 12_000, false);
        load(&mut r, "v", 150_000, true);
        let kept = (0..12_000)
            .filter(|i| r.q(&format!("EXISTS keep:{i}")) == ":1\r\n")
            .count();
        assert_eq!(kept, 12_000, "{policy} evicted a key without a TTL");
        assert!(info_field(&mut r, "stats", "evicted_keys") > 0, "{policy}");
        let used = info_field(&mut r, "memory", "used_memory");
        assert!(used <= LIMIT + LIMIT / 20, "{policy}: used_memory {used}");
    }
}

#[test]
fn volatile_ttl_evicts_the_nearest_deadlines_first() {
    let (_s, mut r) = start_with("volatile-ttl");
    r.q("CONFIG SET maxmemory-samples 10");
    let value = "y".repeat(100);
    // Early deadlines on even keys, late ones on odd keys.
    for i in 0..60_000 {
        let ttl = if i % 2 == 0 { 1000 + i } else { 900_000 + i };
        let key = format!("t:{i}");
        let reply = r.cmd(&[
            b"SET",
            key.as_bytes(),
            value.as_bytes(),
            b"EX",
            ttl.to_string().as_bytes(),
        ]);
        assert!(reply.starts_with(b"+OK"));
    }
    let evicted = info_field(&mut r, "stats", "evicted_keys");
    assert!(evicted > 1000, "evicted {evicted}");
    let (mut early, mut late) = (0, 0);
    for i in 0..60_000 {
        if r.q(&format!("EXISTS t:{i}")) == ":0\r\n" {
            if i % 2 == 0 { early += 1 } else { late += 1 }
        }
    }
    assert!(
        early > late * 4,
        "evicted {early} early deadlines and {late} late ones"
    );
}

#[test]
fn allkeys_lru_keeps_a_hot_set_that_is_read() {
    let (_s, mut r) = start_with("allkeys-lru");
    r.q("CONFIG SET maxmemory-samples 10");
    let value = "z".repeat(100);
    // 2,000 hot keys read between every batch of new writes.
    for i in 0..2_000 {
        r.cmd(&[b"SET", format!("hot:{i}").as_bytes(), value.as_bytes()]);
    }
    for round in 0..60 {
        for i in 0..2_000 {
            r.cmd(&[b"GET", format!("hot:{i}").as_bytes()]);
        }
        for i in 0..2_000 {
            r.cmd(&[
                b"SET",
                format!("cold:{round}:{i}").as_bytes(),
                value.as_bytes(),
            ]);
        }
        // The LRU clock has a one-second resolution, as Redis's.
        if round % 20 == 19 {
            let t0 = std::time::Instant::now();
            assert!(wait_for(Duration::from_secs(3), || t0.elapsed()
                >= Duration::from_millis(1100)));
        }
    }
    let hot = (0..2_000)
        .filter(|i| r.q(&format!("EXISTS hot:{i}")) == ":1\r\n")
        .count();
    assert!(info_field(&mut r, "stats", "evicted_keys") > 10_000);
    assert!(hot > 1_800, "only {hot} of 2,000 hot keys kept");
}

#[test]
fn evictions_are_announced_and_noeviction_refuses() {
    let s = start_miniredis(&[]);
    let mut r = s.raw();
    let mut sub = s.raw();
    r.q("CONFIG SET notify-keyspace-events Ee");
    assert_eq!(
        sub.q("SUBSCRIBE __keyevent@0__:evicted"),
        "*3\r\n$9\r\nsubscribe\r\n$22\r\n__keyevent@0__:evicted\r\n:1\r\n"
    );
    r.q(&format!("CONFIG SET maxmemory {LIMIT}"));
    r.q("CONFIG SET maxmemory-policy allkeys-random");
    load(&mut r, "e", 80_000, false);
    let msg = String::from_utf8(sub.read_reply()).unwrap();
    assert!(
        msg.contains("__keyevent@0__:evicted") && msg.contains("e:"),
        "{msg}"
    );
    // CONFIG SET maxmemory evicts at once, before any other command.
    r.q("CONFIG SET maxmemory 0");
    r.q("FLUSHALL");
    r.q("SET foo bar");
    r.q("CONFIG SET maxmemory-policy allkeys-lru");
    assert_eq!(r.q("CONFIG SET maxmemory 1"), "+OK\r\n");
    let mut got = String::new();
    while !got.contains("\r\nfoo\r\n") {
        got = String::from_utf8(sub.read_reply()).unwrap();
    }
    r.q("CONFIG SET maxmemory-policy noeviction");
    assert_eq!(
        r.q("SET one more"),
        "-OOM command not allowed when used memory > 'maxmemory'.\r\n"
    );
    assert!(r.q("GET e:79999").starts_with('$'));
}
