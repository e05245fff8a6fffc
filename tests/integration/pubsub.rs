//! Pub/sub with several clients: delivery and order, patterns, and a slow
//! subscriber cut off at the output buffer limit.

use crate::common::{start_miniredis, wait_for};
use std::time::Duration;

#[test]
fn messages_reach_channel_and_pattern_subscribers_in_order() {
    let s = start_miniredis(&[]);
    let mut sub = s.raw();
    let mut psub = s.raw();
    let mut publ = s.raw();
    assert_eq!(
        sub.q("SUBSCRIBE news"),
        "*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n"
    );
    assert_eq!(
        psub.q("PSUBSCRIBE n*"),
        "*3\r\n$10\r\npsubscribe\r\n$2\r\nn*\r\n:1\r\n"
    );
    for i in 0..100 {
        assert_eq!(publ.q(&format!("PUBLISH news m{i}")), ":2\r\n");
    }
    for i in 0..100 {
        let m = format!("m{i}");
        assert_eq!(
            sub.read_reply(),
            format!(
                "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n${}\r\n{m}\r\n",
                m.len()
            )
            .as_bytes()
        );
        assert_eq!(
            psub.read_reply(),
            format!(
                "*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n${}\r\n{m}\r\n",
                m.len()
            )
            .as_bytes()
        );
    }
    assert_eq!(publ.q("PUBLISH other x"), ":0\r\n");
    assert_eq!(publ.q("PUBSUB NUMSUB news"), "*2\r\n$4\r\nnews\r\n:1\r\n");
}

#[test]
fn a_slow_subscriber_is_disconnected_and_memory_stays_bounded() {
    let s = start_miniredis(&[]);
    let mut admin = s.raw();
    assert_eq!(
        admin.cmd(&[
            b"CONFIG",
            b"SET",
            b"client-output-buffer-limit",
            b"pubsub 2mb 1mb 60"
        ]),
        b"+OK\r\n"
    );
    let mut slow = s.raw();
    slow.q("SUBSCRIBE firehose");
    // The slow subscriber never reads again.
    let payload = vec![b'x'; 64 * 1024];
    let mut publ = s.raw();
    let mut max_used = 0u64;
    let mut cut_off = false;
    for _ in 0..400 {
        let reply = publ.cmd(&[b"PUBLISH", b"firehose", &payload]);
        if reply == b":0\r\n" {
            cut_off = true;
            break;
        }
        let info = String::from_utf8(admin.cmd(&[b"INFO", b"memory"])).unwrap();
        let used: u64 = info
            .lines()
            .find_map(|l| l.strip_prefix("used_memory:"))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        max_used = max_used.max(used);
    }
    assert!(cut_off, "the slow subscriber was never disconnected");
    assert!(max_used < 40 * 1024 * 1024, "memory grew to {max_used}");
    assert!(wait_for(Duration::from_secs(5), || admin
        .q("PUBSUB NUMSUB firehose")
        .ends_with(":0\r\n")));
}

/// A push is not a reply: a RESP3 subscriber under CLIENT REPLY OFF still
/// gets the messages published to it (its own PUBLISH included) and no
/// reply. Bytes as redis-server 7.0.15 sends them.
#[test]
fn resp3_pushes_pass_client_reply_off() {
    let s = crate::common::start_miniredis(&[]);
    let mut r = s.raw();
    r.cmd(&[b"HELLO", b"3"]);
    r.send(b"SUBSCRIBE ch\r\nCLIENT REPLY OFF\r\nPUBLISH ch hi\r\nSET a 1\r\nCLIENT REPLY ON\r\nPING\r\n");
    let mut got = Vec::new();
    for _ in 0..4 {
        got.extend(r.read_reply());
    }
    assert_eq!(
        String::from_utf8_lossy(&got),
        ">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n>3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n+OK\r\n+PONG\r\n"
    );
}

/// Subscribe confirmations are pub/sub frames, not replies: CLIENT REPLY
/// OFF or SKIP does not silence them, in RESP2 either (Redis's
/// CLIENT_PUSHING). Bytes as redis-server 7.0.15 sends them.
#[test]
fn subscribe_confirmations_pass_client_reply_off_and_skip() {
    let s = crate::common::start_miniredis(&[]);
    let mut r = s.raw();
    r.send(b"CLIENT REPLY OFF\r\nSUBSCRIBE ch\r\nPSUBSCRIBE p*\r\n");
    assert_eq!(
        r.read_reply(),
        b"*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n"
    );
    assert_eq!(
        r.read_reply(),
        b"*3\r\n$10\r\npsubscribe\r\n$2\r\np*\r\n:2\r\n"
    );
    let mut q = s.raw();
    q.send(b"CLIENT REPLY SKIP\r\nSUBSCRIBE x\r\nPING\r\n");
    assert_eq!(
        q.read_reply(),
        b"*3\r\n$9\r\nsubscribe\r\n$1\r\nx\r\n:1\r\n"
    );
    // RESP2 subscribers answer PING with an array.
    assert_eq!(q.read_reply(), b"*2\r\n$4\r\npong\r\n$0\r\n\r\n");
}
