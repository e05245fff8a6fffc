//! Transactions with several clients: WATCH races and EXEC atomicity.

use crate::common::start_miniredis;

#[test]
fn watch_fails_when_another_client_writes() {
    let s = start_miniredis(&[]);
    let mut a = s.raw();
    let mut b = s.raw();
    a.q("SET balance 100");
    assert_eq!(a.q("WATCH balance"), "+OK\r\n");
    assert_eq!(b.q("INCRBY balance 5"), ":105\r\n");
    assert_eq!(a.q("MULTI"), "+OK\r\n");
    assert_eq!(a.q("DECRBY balance 10"), "+QUEUED\r\n");
    assert_eq!(a.q("EXEC"), "*-1\r\n");
    assert_eq!(a.q("GET balance"), "$3\r\n105\r\n");
    // Retry: nobody interferes now.
    a.q("WATCH balance");
    a.q("MULTI");
    a.q("DECRBY balance 10");
    assert_eq!(a.q("EXEC"), "*1\r\n:95\r\n");
}

#[test]
fn watch_fails_on_expiry_and_on_flush_by_others() {
    let s = start_miniredis(&[]);
    let mut a = s.raw();
    let mut b = s.raw();
    a.q("SET k v PX 50");
    a.q("WATCH k");
    assert!(crate::common::wait_for(
        std::time::Duration::from_secs(5),
        || b.q("PTTL k") == ":-2\r\n"
    ));
    a.q("MULTI");
    a.q("PING");
    assert_eq!(a.q("EXEC"), "*-1\r\n");
    a.q("SET k2 v");
    a.q("WATCH k2");
    b.q("FLUSHALL");
    a.q("MULTI");
    a.q("PING");
    assert_eq!(a.q("EXEC"), "*-1\r\n");
}

#[test]
fn exec_is_atomic_for_other_clients() {
    let s = start_miniredis(&[]);
    let mut writer = s.raw();
    let mut reader = s.raw();
    let mut compared = 0;
    for i in 0..200 {
        // Queue and EXEC in one write; the reader's MGET, sent right after,
        // sees both keys from one transaction or the other, never a mix.
        let v = i.to_string();
        let mut batch = b"MULTI\r\n".to_vec();
        batch.extend(format!("SET a {v}\r\nSET b {v}\r\nEXEC\r\n").as_bytes());
        writer.send(&batch);
        let got = reader.q("MGET a b");
        let lines: Vec<&str> = got.split("\r\n").collect();
        if lines[1] == "$-1" {
            // Only possible before the first transaction ran: then both.
            assert_eq!(
                lines[2], "$-1",
                "MGET saw a half-applied transaction: {got:?}"
            );
        } else {
            assert_eq!(
                lines[2], lines[4],
                "MGET saw a half-applied transaction: {got:?}"
            );
            compared += 1;
        }
        for _ in 0..4 {
            writer.read_reply();
        }
    }
    // Every MGET after the first transaction compares real values.
    assert!(compared >= 199, "only {compared} MGETs saw values");
}

#[test]
fn queued_commands_errors_abort_exec() {
    let s = start_miniredis(&[]);
    let mut a = s.raw();
    a.q("MULTI");
    assert_eq!(a.q("SET x 1"), "+QUEUED\r\n");
    assert_eq!(
        a.q("GET"),
        "-ERR wrong number of arguments for 'get' command\r\n"
    );
    assert_eq!(
        a.q("EXEC"),
        "-EXECABORT Transaction discarded because of previous errors.\r\n"
    );
    assert_eq!(a.q("EXISTS x"), ":0\r\n");
}

/// A key already expired (not yet deleted) when WATCHed and then removed
/// by FLUSHDB, FLUSHALL or SWAPDB is no change: EXEC runs (Redis 7.0's
/// touchAllWatchedKeysInDb). A live watched key flushed away still fails it.
#[test]
fn flushing_an_expired_watched_key_is_no_change() {
    let s = start_miniredis(&[]);
    let mut r = s.raw();
    assert_eq!(r.q("DEBUG SET-ACTIVE-EXPIRE 0"), "+OK\r\n");
    for flush in ["FLUSHDB", "FLUSHALL", "SWAPDB 0 1"] {
        r.q("FLUSHALL");
        r.q("SET x foo PX 1");
        // Wait past the TTL without touching x (DBSIZE counts it still).
        let t0 = std::time::Instant::now();
        assert!(crate::common::wait_for(
            std::time::Duration::from_secs(5),
            || t0.elapsed() > std::time::Duration::from_millis(5) && r.q("DBSIZE") == ":1\r\n"
        ));
        assert_eq!(r.q("WATCH x"), "+OK\r\n");
        r.q(flush);
        r.q("MULTI");
        r.q("PING");
        assert_eq!(r.q("EXEC"), "*1\r\n+PONG\r\n", "{flush}");
        if flush.starts_with("SWAPDB") {
            r.q("SWAPDB 0 1");
        }
    }
    r.q("SET live 1");
    r.q("WATCH live");
    r.q("FLUSHDB");
    r.q("MULTI");
    r.q("PING");
    assert_eq!(r.q("EXEC"), "*-1\r\n");
}
