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
