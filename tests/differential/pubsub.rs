//! Differential cases for pub/sub on one connection (RESP2 and RESP3).

use super::{Pair, run_lines};

#[test]
fn ps_subscribe_flows_resp2() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(
        &mut p,
        r#"
PUBLISH nobody hi
PUBSUB NUMPAT
PUBSUB NUMSUB a b
PUBSUB CHANNELS
UNSUBSCRIBE
PUNSUBSCRIBE
UNSUBSCRIBE x
SUBSCRIBE a
SUBSCRIBE a
PSUBSCRIBE h*
PING
PING hello
GET k
PUBLISH a x
MULTI
PUNSUBSCRIBE h*
PUNSUBSCRIBE nosuch
UNSUBSCRIBE a
UNSUBSCRIBE a
PUBSUB NUMSUB a
PUBSUB NUMPAT
SUBSCRIBE c1
RESET
PUBSUB CHANNELS
PUBSUB NOSUB
PUBSUB
SUBSCRIBE
"#,
    );
}

#[test]
fn ps_resp3_push_frames_and_self_delivery() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(
        &mut p,
        r#"
?HELLO 3
SUBSCRIBE z
PING
GET k
PUBLISH z hi
PSUBSCRIBE z*
PUBLISH z two
PUBSUB NUMSUB z q
PUBSUB NUMPAT
~PUBSUB CHANNELS
UNSUBSCRIBE z
PUNSUBSCRIBE
"#,
    );
}

/// Sharded pub/sub: SSUBSCRIBE counts only shard channels, SUNSUBSCRIBE
/// without arguments, the RESP2 subscribed context, SSUBSCRIBE refused
/// inside EXEC, PUBSUB SHARDCHANNELS / SHARDNUMSUB, and RESP3 `smessage`
/// pushes to the publisher itself.
#[test]
fn ps_sharded_channels() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(
        &mut p,
        r#"
SPUBLISH nobody hi
PUBSUB SHARDNUMSUB a b
PUBSUB SHARDCHANNELS
PUBSUB SHARDCHANNELS x*
PUBSUB SHARDCHANNELS a b
SUNSUBSCRIBE
SUNSUBSCRIBE x
MULTI
SSUBSCRIBE a
SUBSCRIBE g
EXEC
UNSUBSCRIBE g
SSUBSCRIBE a
SSUBSCRIBE b
SSUBSCRIBE a
SUBSCRIBE g
PSUBSCRIBE p*
GET k
PING
SUNSUBSCRIBE a
SUNSUBSCRIBE
UNSUBSCRIBE
PUNSUBSCRIBE
GET k
?HELLO 3
SSUBSCRIBE s1
SSUBSCRIBE s2
SUBSCRIBE s1
PSUBSCRIBE s*
PUBSUB SHARDNUMSUB s1 s2 s3
~PUBSUB SHARDCHANNELS
PUBSUB SHARDCHANNELS s1
PUBSUB NUMSUB s1
SUNSUBSCRIBE s3
RESET
PUBSUB SHARDCHANNELS
"#,
    );
}

/// SPUBLISH from one connection reaches shard subscribers on another as
/// `smessage`, and not channel or pattern subscribers of the same name.
#[test]
fn ps_spublish_across_connections() {
    let Some(mut p) = Pair::start() else { return };
    let (mut ours, mut theirs) = p.connect_more();
    for r in [&mut ours, &mut theirs] {
        r.cmd(&[b"SSUBSCRIBE", b"news"]);
        r.cmd(&[b"SUBSCRIBE", b"news"]);
        r.cmd(&[b"PSUBSCRIBE", b"n*"]);
    }
    run_lines(
        &mut p,
        "SPUBLISH news hello\nPUBLISH news world\nPUBSUB SHARDNUMSUB news\n",
    );
    let (a1, b1) = (ours.read_reply(), theirs.read_reply());
    assert_eq!(a1, b1);
    assert!(
        a1.starts_with(b"*3\r\n$8\r\nsmessage\r\n"),
        "{:?}",
        String::from_utf8_lossy(&a1)
    );
    for _ in 0..2 {
        assert_eq!(ours.read_reply(), theirs.read_reply());
    }
}

/// RESP3: a client subscribed to a shard channel, the channel of the same
/// name and a matching pattern publishes to itself; SPUBLISH gives one
/// `smessage` push before its reply, PUBLISH a `message` and a `pmessage`.
#[test]
fn ps_sharded_self_delivery_resp3() {
    let Some(mut p) = Pair::start() else { return };
    for r in [&mut p.a, &mut p.b] {
        r.cmd(&[b"HELLO", b"3"]);
        r.cmd(&[b"SSUBSCRIBE", b"s1"]);
        r.cmd(&[b"SUBSCRIBE", b"s1"]);
        r.cmd(&[b"PSUBSCRIBE", b"s*"]);
    }
    for (cmd, frames) in [(&b"SPUBLISH"[..], 2), (&b"PUBLISH"[..], 3)] {
        let mut got = Vec::new();
        for r in [&mut p.a, &mut p.b] {
            r.send_cmd(&[cmd, b"s1", b"hi"]);
            let all: Vec<Vec<u8>> = (0..frames).map(|_| r.read_reply()).collect();
            got.push(all);
        }
        assert_eq!(got[0], got[1]);
    }
}
