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

/// Client-side caching over redis-py (a tracking RESP3 connection and its
/// invalidation push handler; redis-py's own `cache_config` refuses servers
/// reporting < 7.4, Redis 7.0.15 included): no stale read across
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
