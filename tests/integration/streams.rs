//! Streams with several clients: consumers sharing a group's entries,
//! pending entries handed over by XCLAIM and XAUTOCLAIM, and blocking
//! XREAD/XREADGROUP woken by XADD in the order clients blocked, released
//! by timeouts, CLIENT UNBLOCK, DEL and XGROUP DESTROY.

use crate::common::{Raw, start_miniredis, wait_for};
use std::time::Duration;

fn wait_blocked(r: &mut Raw, n: usize) {
    assert!(
        wait_for(Duration::from_secs(5), || {
            let list = String::from_utf8(r.cmd(&[b"CLIENT", b"LIST"])).unwrap();
            list.matches("flags=b").count() == n
        }),
        "expected {n} blocked clients"
    );
}

fn entry(id: &str, f: &str, v: &str) -> String {
    format!(
        "*2\r\n${}\r\n{id}\r\n*2\r\n${}\r\n{f}\r\n${}\r\n{v}\r\n",
        id.len(),
        f.len(),
        v.len()
    )
}

/// One key's entries as XREAD/XREADGROUP answer in RESP2.
fn read_reply(key: &str, entries: &[String]) -> String {
    format!(
        "*1\r\n*2\r\n${}\r\n{key}\r\n*{}\r\n{}",
        key.len(),
        entries.len(),
        entries.concat()
    )
}

#[test]
fn consumers_share_a_group_and_pending_entries_move_by_claims() {
    let s = start_miniredis(&[]);
    let mut admin = s.raw();
    let mut alice = s.raw();
    let mut bob = s.raw();
    for i in 1..=6 {
        admin.q(&format!("XADD jobs {i}-0 n {i}"));
    }
    assert_eq!(admin.q("XGROUP CREATE jobs workers 0"), "+OK\r\n");
    assert_eq!(
        alice.q("XREADGROUP GROUP workers alice COUNT 2 STREAMS jobs >"),
        read_reply("jobs", &[entry("1-0", "n", "1"), entry("2-0", "n", "2")])
    );
    assert_eq!(
        bob.q("XREADGROUP GROUP workers bob COUNT 3 STREAMS jobs >"),
        read_reply(
            "jobs",
            &[
                entry("3-0", "n", "3"),
                entry("4-0", "n", "4"),
                entry("5-0", "n", "5")
            ]
        )
    );
    assert_eq!(bob.q("XACK jobs workers 3-0"), ":1\r\n");
    assert_eq!(
        admin.q("XPENDING jobs workers"),
        "*4\r\n:4\r\n$3\r\n1-0\r\n$3\r\n5-0\r\n*2\r\n*2\r\n$5\r\nalice\r\n$1\r\n2\r\n*2\r\n$3\r\nbob\r\n$1\r\n2\r\n"
    );
    // Bob takes one of Alice's entries; its delivery count goes up.
    assert_eq!(
        bob.q("XCLAIM jobs workers bob 0 1-0"),
        format!("*1\r\n{}", entry("1-0", "n", "1"))
    );
    let pending = admin.q("XPENDING jobs workers - + 10 bob");
    assert!(pending.contains("$3\r\n1-0\r\n$3\r\nbob\r\n"), "{pending}");
    assert!(pending.contains(":2\r\n*4"), "{pending}");
    // XAUTOCLAIM walks the whole PEL with a cursor, two at a time.
    assert_eq!(
        alice.q("XAUTOCLAIM jobs workers alice 0 0 COUNT 2 JUSTID"),
        "*3\r\n$3\r\n4-0\r\n*2\r\n$3\r\n1-0\r\n$3\r\n2-0\r\n*0\r\n"
    );
    assert_eq!(
        alice.q("XAUTOCLAIM jobs workers alice 0 4-0 COUNT 2 JUSTID"),
        "*3\r\n$3\r\n0-0\r\n*2\r\n$3\r\n4-0\r\n$3\r\n5-0\r\n*0\r\n"
    );
    // An entry deleted while pending comes back in the deleted list.
    admin.q("XDEL jobs 2-0");
    assert_eq!(
        bob.q("XAUTOCLAIM jobs workers bob 0 0 JUSTID"),
        "*3\r\n$3\r\n0-0\r\n*3\r\n$3\r\n1-0\r\n$3\r\n4-0\r\n$3\r\n5-0\r\n*1\r\n$3\r\n2-0\r\n"
    );
    assert_eq!(
        admin
            .q("XINFO CONSUMERS jobs workers")
            .matches("pending")
            .count(),
        2
    );
}

#[test]
fn blocked_readers_are_woken_by_xadd_in_the_order_they_blocked() {
    let s = start_miniredis(&[]);
    let mut admin = s.raw();
    admin.q("XGROUP CREATE q g $ MKSTREAM");
    let mut plain = s.raw();
    plain.send_cmd(&[b"XREAD", b"BLOCK", b"0", b"STREAMS", b"q", b"$"]);
    wait_blocked(&mut admin, 1);
    let mut c1 = s.raw();
    c1.send_cmd(&[
        b"XREADGROUP",
        b"GROUP",
        b"g",
        b"c1",
        b"BLOCK",
        b"0",
        b"STREAMS",
        b"q",
        b">",
    ]);
    wait_blocked(&mut admin, 2);
    let mut c2 = s.raw();
    c2.send_cmd(&[
        b"XREADGROUP",
        b"GROUP",
        b"g",
        b"c2",
        b"BLOCK",
        b"0",
        b"STREAMS",
        b"q",
        b">",
    ]);
    wait_blocked(&mut admin, 3);
    assert!(
        String::from_utf8_lossy(&admin.cmd(&[b"INFO", b"clients"])).contains("blocked_clients:3")
    );
    // One entry: the plain reader sees it, and only the first group
    // consumer gets it; the second stays blocked for the next one.
    assert_eq!(admin.q("XADD q 1-0 a 1"), "$3\r\n1-0\r\n");
    assert_eq!(
        String::from_utf8_lossy(&plain.read_reply()),
        read_reply("q", &[entry("1-0", "a", "1")])
    );
    assert_eq!(
        String::from_utf8_lossy(&c1.read_reply()),
        read_reply("q", &[entry("1-0", "a", "1")])
    );
    wait_blocked(&mut admin, 1);
    assert_eq!(admin.q("XADD q 2-0 a 2"), "$3\r\n2-0\r\n");
    assert_eq!(
        String::from_utf8_lossy(&c2.read_reply()),
        read_reply("q", &[entry("2-0", "a", "2")])
    );
    assert!(admin.q("XPENDING q g").starts_with("*4\r\n:2\r\n"));
}

#[test]
fn blocked_readers_leave_on_timeout_unblock_disconnect_del_and_destroy() {
    let s = start_miniredis(&[]);
    let mut admin = s.raw();
    admin.q("XGROUP CREATE q g $ MKSTREAM");
    // Timeout: a null array.
    let mut t = s.raw();
    assert_eq!(t.q("XREAD BLOCK 50 STREAMS q $"), "*-1\r\n");
    // CLIENT UNBLOCK: a timeout reply, or the error with ERROR.
    let mut u = s.raw();
    let id = u.q("CLIENT ID");
    let id = id.trim_start_matches(':').trim();
    u.send_cmd(&[b"XREAD", b"BLOCK", b"0", b"STREAMS", b"q", b"$"]);
    wait_blocked(&mut admin, 1);
    assert_eq!(admin.q(&format!("CLIENT UNBLOCK {id}")), ":1\r\n");
    assert_eq!(u.read_reply(), b"*-1\r\n");
    u.send_cmd(&[b"XREAD", b"BLOCK", b"0", b"STREAMS", b"q", b"$"]);
    wait_blocked(&mut admin, 1);
    assert_eq!(admin.q(&format!("CLIENT UNBLOCK {id} ERROR")), ":1\r\n");
    assert_eq!(
        u.read_reply(),
        b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
    );
    // A client that disconnects leaves every queue.
    {
        let mut gone = s.raw();
        gone.send_cmd(&[
            b"XREAD", b"BLOCK", b"0", b"STREAMS", b"q", b"other", b"$", b"$",
        ]);
        wait_blocked(&mut admin, 1);
    }
    wait_blocked(&mut admin, 0);
    // XGROUP DESTROY and DEL release XREADGROUP readers with errors.
    let mut d = s.raw();
    d.send_cmd(&[
        b"XREADGROUP",
        b"GROUP",
        b"g",
        b"c",
        b"BLOCK",
        b"0",
        b"STREAMS",
        b"q",
        b">",
    ]);
    wait_blocked(&mut admin, 1);
    assert_eq!(admin.q("XGROUP DESTROY q g"), ":1\r\n");
    assert_eq!(
        d.read_reply(),
        b"-NOGROUP the consumer group this client was blocked on no longer exists\r\n"
    );
    admin.q("XGROUP CREATE q g $");
    d.send_cmd(&[
        b"XREADGROUP",
        b"GROUP",
        b"g",
        b"c",
        b"BLOCK",
        b"0",
        b"STREAMS",
        b"q",
        b">",
    ]);
    wait_blocked(&mut admin, 1);
    assert_eq!(admin.q("DEL q"), ":1\r\n");
    assert_eq!(
        d.read_reply(),
        b"-UNBLOCKED the stream key no longer exists\r\n"
    );
    // Inside MULTI a blocking read answers as a timeout at once.
    assert_eq!(admin.q("MULTI"), "+OK\r\n");
    assert_eq!(admin.q("XREAD BLOCK 0 STREAMS q $"), "+QUEUED\r\n");
    assert_eq!(admin.q("EXEC"), "*1\r\n*-1\r\n");
    // From a script, BLOCK is refused.
    let err = admin.q("EVAL redis.call('xread','block','0','streams','q','$') 0");
    assert!(
        err.starts_with(
            "-ERR xread command is not allowed with BLOCK option from scripts script: "
        ),
        "{err}"
    );
}
