//! Real client libraries against the server: redis-py (RESP3 by default)
//! running a WATCH/MULTI/EXEC pipeline and a pub/sub round trip, and the
//! `redis` crate's pub/sub and transactions.

use crate::common::{self, start_miniredis};
use std::process::Command;

/// The venv `make test-deps` (scripts/ensure-pyclient.sh) prepares.
fn python() -> String {
    let p = concat!(env!("CARGO_MANIFEST_DIR"), "/target/pyclient/bin/python");
    assert!(
        std::path::Path::new(p).exists(),
        "redis-py is not installed: run `scripts/ensure-pyclient.sh` (make test does it)"
    );
    p.to_string()
}

#[test]
fn redis_py_pipeline_watch_and_pubsub() {
    let s = start_miniredis(&[]);
    let out = Command::new(python())
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/clients/redis_py_check.py"
        ))
        .arg(s.port.to_string())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "redis-py check failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("protocol 3: ok") && stdout.contains("protocol 2: ok"),
        "{stdout}"
    );
}

/// redis-py's Lock (its acquire, extend and release are Lua scripts) under
/// contention from 8 threads, and a token-bucket rate limiter script giving
/// the answers redis-server gives.
#[test]
fn redis_py_lock_and_rate_limiter_scripts() {
    let s = start_miniredis(&[]);
    let reference = common::redis_server_available().then(common::start_redis_server);
    let mut cmd = Command::new(python());
    cmd.arg(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/clients/redis_py_scripts.py"
    ))
    .arg(s.port.to_string());
    if let Some(r) = &reference {
        cmd.arg(r.port.to_string());
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "redis-py scripts check failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("lock: ok") && stdout.contains("rate limiter: ok"),
        "{stdout}"
    );
}

/// A celery worker process (kombu's redis transport for the broker, the
/// redis result backend; versions pinned in tests/clients/requirements.txt)
/// runs 100 tasks.
#[test]
fn celery_worker_runs_100_tasks() {
    let s = start_miniredis(&[]);
    let out = Command::new(python())
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/clients/celery_check.py"
        ))
        .arg(s.port.to_string())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "celery check failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("celery: ok (100 tasks)"), "{stdout}");
}

/// rq (pinned in tests/clients/requirements.txt): a burst `rq worker`
/// process runs 100 jobs, whose results rq keeps in streams (XADD inside
/// MULTI, XREVRANGE), and the worker's scheduler (a Lua lock) runs a job
/// enqueued for later.
#[test]
fn rq_burst_worker_and_scheduler() {
    let s = start_miniredis(&[]);
    let out = Command::new(python())
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/clients/rq_check.py"
        ))
        .arg(s.port.to_string())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "rq check failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("rq: ok (100 jobs)") && stdout.contains("rq: ok (scheduled job)"),
        "{stdout}"
    );
}

#[test]
fn redis_crate_transaction_and_pubsub() {
    let s = start_miniredis(&[]);
    let mut con = s.client();
    let (a, b): (i64, i64) = redis::pipe()
        .atomic()
        .incr("tx", 1)
        .incr("tx", 1)
        .query(&mut con)
        .unwrap();
    assert_eq!((a, b), (1, 2));
    let mut sub_con = s.client();
    let mut pubsub = sub_con.as_pubsub();
    pubsub.subscribe("chan").unwrap();
    let mut publisher = s.client();
    let n: i64 = redis::cmd("PUBLISH")
        .arg("chan")
        .arg("payload")
        .query(&mut publisher)
        .unwrap();
    assert_eq!(n, 1);
    let msg = pubsub.get_message().unwrap();
    assert_eq!(msg.get_channel_name(), "chan");
    let payload: String = msg.get_payload().unwrap();
    assert_eq!(payload, "payload");
}

/// Client-side caching over redis-py 6.2 (a tracking RESP3 connection and its
/// invalidation push handler, as a library's cache does it; redis-py 8's own
/// cache is `redis_py8_cache_config`): no stale read across
/// writes, deletes, expiry and FLUSHALL from another client; a RESP2
/// client redirecting invalidations to a subscriber; BCAST prefixes
/// (tests/clients/redis_py_cache_check.py).
#[test]
fn redis_py_client_side_caching() {
    let s = start_miniredis(&[]);
    let out = Command::new(python())
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/clients/redis_py_cache_check.py"
        ))
        .arg(s.port.to_string())
        .output()
        .unwrap();
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("cache: ok"),
        "redis-py cache check failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// redis-py 8's own client-side cache (`cache_config`) in its PLAIN, OPTIN
/// and OPTOUT tracking modes: no stale read across writes of every type,
/// DEL, APPEND, expiry and FLUSHALL from another client, and hits served.
/// redis-py 8 refuses servers whose HELLO reports < 7.4 (real Redis 7.0.15
/// too); the script shows that refusal, then lowers that one constant
/// (tests/clients/redis_py8_cache_check.py; redis-py 8 in
/// target/pyclient/redis8, from scripts/ensure-pyclient.sh).
#[test]
fn redis_py8_cache_config() {
    let s = start_miniredis(&[]);
    let redis8 = concat!(env!("CARGO_MANIFEST_DIR"), "/target/pyclient/redis8");
    assert!(
        std::path::Path::new(redis8).join("redis").exists(),
        "redis-py 8 is not installed: run `scripts/ensure-pyclient.sh` (make test does it)"
    );
    let out = Command::new(python())
        .env("PYTHONPATH", redis8)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/clients/redis_py8_cache_check.py"
        ))
        .arg(s.port.to_string())
        .output()
        .unwrap();
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("cache8: ok"),
        "redis-py 8 cache check failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// node-redis's own client-side cache (RESP3, CLIENT TRACKING ON, its
/// BasicClientSideCache): reads of every type through the commands it
/// caches, writes, DEL, RENAME, MULTI, a script, TTL expiry and FLUSHALL
/// from another client, and no stale read after any acknowledged change
/// (tests/node/client_side_cache.mjs; node-redis pinned in
/// tests/node/package-lock.json, installed by scripts/ensure-nodeclient.sh).
#[test]
fn node_redis_client_side_caching() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/node");
    assert!(
        std::path::Path::new(dir)
            .join("node_modules/redis")
            .exists(),
        "node-redis is not installed: run `scripts/ensure-nodeclient.sh` (make test does it)"
    );
    let s = start_miniredis(&[]);
    for seed in ["1", "20261207"] {
        let out = Command::new("node")
            .current_dir(dir)
            .args(["client_side_cache.mjs", &s.port.to_string(), seed])
            .output()
            .expect("node runs (scripts/ensure-nodeclient.sh installs it)");
        assert!(
            out.status.success() && String::from_utf8_lossy(&out.stdout).contains("node cache: ok"),
            "node-redis cache check (seed {seed}) failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// A client that pipelines GETs without reading its replies is closed
/// when its pending output reaches the normal class's hard limit; the
/// server goes on serving everyone else.
#[test]
fn pipelining_without_reading_is_closed_at_the_normal_limit() {
    let s = start_miniredis(&[]);
    let mut admin = s.raw();
    let set = |r: &mut crate::common::Raw, v: &str| {
        r.cmd(&[
            b"CONFIG",
            b"SET",
            b"client-output-buffer-limit",
            v.as_bytes(),
        ])
    };
    assert_eq!(set(&mut admin, "normal 1mb 0 0"), b"+OK\r\n");
    let big = "x".repeat(100_000);
    assert_eq!(admin.q(&format!("SET big {big}")), "+OK\r\n");
    let mut greedy = s.raw();
    // 2,000 GETs: 200 MB of replies, never read.
    let one = crate::common::encode(&[b"GET", b"big"]);
    let batch: Vec<u8> = one.iter().copied().cycle().take(one.len() * 2000).collect();
    let _ = greedy.sock_write(&batch);
    assert!(
        crate::common::wait_for(std::time::Duration::from_secs(10), || {
            admin.q("INFO clients").contains("connected_clients:1\r")
        }),
        "the greedy client was closed"
    );
    // The socket ends (EOF, or a reset: the server left requests unread).
    let mut sink = [0u8; 65536];
    loop {
        match std::io::Read::read(&mut greedy.sock, &mut sink) {
            Ok(0) => break,
            Ok(_) => continue,
            Err(e) => {
                assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}");
                break;
            }
        }
    }
    assert_eq!(admin.q("PING"), "+PONG\r\n");
    // Without a limit (the default), the same client is served.
    assert_eq!(set(&mut admin, "normal 0 0 0"), b"+OK\r\n");
    let mut patient = s.raw();
    let _ = patient.sock_write(&batch[..one.len() * 20]);
    for _ in 0..20 {
        assert_eq!(patient.read_reply().len(), 100_000 + 11);
    }
}

/// `timeout`: the cron closes an idle client, but never a subscriber or
/// a client blocked in BLPOP (Redis's clientsCronHandleTimeout).
#[test]
fn idle_clients_time_out_but_subscribers_and_blocked_clients_stay() {
    let s = start_miniredis(&[]);
    let mut admin = s.raw();
    let mut idle = s.raw();
    assert_eq!(idle.q("PING"), "+PONG\r\n");
    let mut sub = s.raw();
    assert!(sub.q("SUBSCRIBE news").starts_with("*3"));
    let mut blocked = s.raw();
    blocked.send_cmd(&[b"BLPOP", b"q", b"0"]);
    assert!(crate::common::wait_for(
        std::time::Duration::from_secs(5),
        || admin.q("INFO clients").contains("blocked_clients:1\r")
    ));
    assert_eq!(admin.q("CONFIG SET timeout 1"), "+OK\r\n");
    // Only the idle client (and never admin, which keeps talking) goes.
    assert!(crate::common::wait_for(
        std::time::Duration::from_secs(10),
        || admin.q("INFO clients").contains("connected_clients:3\r")
    ));
    assert!(idle.closed(), "the idle client was closed");
    assert_eq!(admin.q("CONFIG SET timeout 0"), "+OK\r\n");
    assert_eq!(admin.q("PUBLISH news hi"), ":1\r\n");
    assert_eq!(admin.q("RPUSH q x"), ":1\r\n");
    assert_eq!(blocked.read_reply(), b"*2\r\n$1\r\nq\r\n$1\r\nx\r\n");
}

/// maxmemory-clients: when clients together hold more than the limit,
/// the biggest evictable one is closed and counted; CLIENT NO-EVICT
/// protects a client.
#[test]
fn maxmemory_clients_evicts_the_biggest_client() {
    let s = start_miniredis(&[]);
    let mut admin = s.raw();
    assert_eq!(admin.q("CONFIG SET maxmemory-clients 1mb"), "+OK\r\n");
    // Half a 4 MB argument: its query buffer holds it, still unparsed.
    let mut big = s.raw();
    let mut partial = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4194304\r\n".to_vec();
    partial.extend(std::iter::repeat_n(b'x', 2 << 20));
    let _ = big.sock_write(&partial);
    assert!(
        crate::common::wait_for(std::time::Duration::from_secs(10), || {
            admin.q("INFO stats").contains("evicted_clients:1\r")
        }),
        "the big client was evicted"
    );
    assert!(crate::common::wait_for(
        std::time::Duration::from_secs(5),
        || { admin.q("INFO clients").contains("connected_clients:1\r") }
    ));
    // The same from a client that asked not to be evicted: it stays.
    let mut kept = s.raw();
    assert_eq!(kept.q("CLIENT NO-EVICT on"), "+OK\r\n");
    let _ = kept.sock_write(&partial);
    assert!(crate::common::wait_for(
        std::time::Duration::from_secs(5),
        || admin.q("CLIENT LIST").contains("qbuf=2")
    ));
    assert!(admin.q("INFO stats").contains("evicted_clients:1\r"));
    let _ = kept.sock_write(&vec![b'x'; 2 << 20]);
    let _ = kept.sock_write(b"\r\n");
    assert_eq!(kept.read_reply(), b"+OK\r\n");
    assert_eq!(admin.q("STRLEN k"), ":4194304\r\n");
}
