//! Differential cases for the stream family: every command, its options
//! and error texts, consumer groups and their pending entries, RESP3
//! shapes, and a seeded generator with several consumers. IDs are given
//! explicitly wherever the reply shows them; replies that carry times
//! (idle, seen-time, delivery time) or generated IDs are compared by type
//! only (lines starting with `?`).

use super::{Cmp, Pair, run_lines};

#[test]
fn stream_command_info_and_getkeys() {
    let Some(mut p) = Pair::start() else { return };
    for n in [
        "xadd",
        "xlen",
        "xrange",
        "xrevrange",
        "xdel",
        "xtrim",
        "xsetid",
        "xread",
        "xreadgroup",
        "xack",
        "xpending",
        "xclaim",
        "xautoclaim",
    ] {
        p.check(
            &[b"COMMAND".to_vec(), b"INFO".to_vec(), n.as_bytes().to_vec()],
            Cmp::Exact,
        );
    }
    run_lines(
        &mut p,
        r#"
~COMMAND INFO xgroup
~COMMAND INFO xinfo
COMMAND GETKEYS XREAD COUNT 2 STREAMS a b 0 0
COMMAND GETKEYS XREADGROUP GROUP g c STREAMS a b > >
COMMAND GETKEYS XADD s * a 1

"#,
    );
}

const BASICS: &str = r#"
FLUSHALL
XADD s 1-1 a 1 b 2
XADD s 1-* a 3 b 4
XADD s 1-* c 5
XADD s 2 d 6
XADD s 0-0 x y
XADD s 1-1 x y
XADD s 0-5 x y
XADD s 5-0
XADD s 5-0 a
XADD s 5-0 a b c
XADD s -5 a b
XADD s + a b
XADD s abc a b
XADD s 1-2-3 a b
XADD s 18446744073709551616 a b
XADD s 18446744073709551615-18446744073709551615 a b
XADD s 9-* a b
XADD s1 18446744073709551615-18446744073709551615 a b
XADD s1 18446744073709551615-* a b
XADD s1 * a b
XLEN s
XLEN s1
XLEN nokey
XRANGE s - +
XRANGE s - + COUNT 2
XRANGE s - + COUNT 0
XRANGE s - + COUNT -1
XRANGE s 1 1
XRANGE s (1-1 +
XRANGE s - (2-0
XRANGE s (1-2 (5
XRANGE s (- +
XRANGE s - (+
XRANGE s ( +
XRANGE s (18446744073709551615-18446744073709551615 +
XRANGE s - (0-0
XRANGE s + -
XRANGE s - + COUNT
XRANGE s - + LIMIT 2
XRANGE s abc +
XRANGE nokey - +
XREVRANGE s + -
XREVRANGE s + - COUNT 1
XREVRANGE s (2 -
XREVRANGE s 1 1-2
XREVRANGE nokey + -
SET str x
XADD str * a b
XLEN str
XRANGE str - +
XDEL str 1-1
XADD s NOMKSTREAM 10-0 e 7
XADD none NOMKSTREAM 1-0 a b
EXISTS none
XDEL s 1-1 1-2 99-0
XDEL s 1-1
XDEL s abc
XDEL nokey 1-1
XRANGE s - +
XDEL s 1-3 2-0 5-0 9-0 10-0
XLEN s
EXISTS s
XRANGE s - +
XADD s 11-0 f v
XRANGE s - +
TYPE s
OBJECT ENCODING s
"#;

#[test]
fn stream_add_range_del() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(&mut p, BASICS);
    run_lines(&mut p, "?HELLO 3");
    run_lines(&mut p, BASICS);
}

const KEYSPACE: &str = r#"
FLUSHALL
XADD s 1-0 a 1
XGROUP CREATE s g 0
XREADGROUP GROUP g c STREAMS s >
COPY s s2
XINFO STREAM s2
XINFO GROUPS s2
XPENDING s2 g
XADD s2 2-0 b 2
XLEN s
XLEN s2
RENAME s2 s3
TYPE s3
OBJECT ENCODING s3
MOVE s3 1
SELECT 1
XLEN s3
XINFO GROUPS s3
SELECT 0
SET str x
SCAN 0 TYPE stream
~KEYS *
XADD e 5-0 a b
XDEL e 5-0
EXISTS e
COPY e e2
XINFO STREAM e2
DEBUG RELOAD
XINFO STREAM e2
XINFO STREAM s
XPENDING s g
DEL s
EXISTS s
"#;

#[test]
fn stream_keyspace_commands() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(&mut p, KEYSPACE);
}

const TRIM: &str = r#"
FLUSHALL
CONFIG SET stream-node-max-entries 10
XTRIM nokey MAXLEN 0
XTRIM s
XTRIM s MAXLEN
XTRIM s MAXLEN -1
XTRIM s MAXLEN abc
XTRIM s MAXLEN 1 MINID 1
XTRIM s LIMIT 10
XTRIM s MAXLEN 5 LIMIT 10
XTRIM s MAXLEN = 5 LIMIT 10
XTRIM s MAXLEN ~ 5 LIMIT -1
XTRIM s MINID abc
XTRIM s MINID -
XTRIM s FOO 1
XADD s 1-0 a 1
XADD s 2-0 a 2
XADD s 3-0 a 3
XADD s 4-0 a 4
XADD s 5-0 a 5
XADD s 6-0 a 6
XADD s 7-0 a 7
XADD s 8-0 a 8
XADD s 9-0 a 9
XADD s 10-0 a 10
XADD s 11-0 a 11
XADD s 12-0 a 12
XADD s 13-0 b 13
XADD s 14-0 a 14 b 1
XADD s 15-0 a 15
XADD s 16-0 a 16
XADD s 17-0 a 17
XADD s 18-0 a 18
XADD s 19-0 a 19
XADD s 20-0 a 20
XADD s 21-0 a 21
XADD s 22-0 a 22
XADD s 23-0 a 23
XADD s 24-0 a 24
XADD s 25-0 a 25
XINFO STREAM s
XTRIM s MAXLEN ~ 20
XLEN s
XTRIM s MAXLEN ~ 12
XLEN s
XINFO STREAM s
XTRIM s MAXLEN ~ 2 LIMIT 5
XLEN s
XTRIM s MAXLEN 12
XLEN s
XRANGE s - + COUNT 3
XTRIM s MINID 16
XRANGE s - + COUNT 3
XTRIM s MINID ~ 22
XRANGE s - + COUNT 3
XTRIM s MINID = 23
XINFO STREAM s
XADD s MAXLEN 2 26-0 a 26
XRANGE s - +
XADD s MINID 27 27-0 a 27
XRANGE s - +
XADD s MAXLEN ~ 1 LIMIT 1 28-0 a 28
XADD s MAXLEN 1 MINID 1 29-0 a 29
XADD s LIMIT 1 29-0 a 29
XADD s MAXLEN 0 30-0 a 30
XLEN s
EXISTS s
XINFO STREAM s
XADD s MAXLEN ~ 0 31-0 a 31
XTRIM s MAXLEN 0
XINFO STREAM s
CONFIG SET stream-node-max-entries 100
"#;

#[test]
fn stream_trimming() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(&mut p, TRIM);
}

const SETID_INFO: &str = r#"
FLUSHALL
XSETID nokey 1-0
XADD s 1-0 a 1
XADD s 2-0 a 2
XADD s 3-0 a 3
XSETID s 2-0
XSETID s 3-0
XSETID s 10-0
XSETID s 10-0 ENTRIESADDED 2
XSETID s 10-0 ENTRIESADDED -1
XSETID s 10-0 ENTRIESADDED 5 MAXDELETEDID 11-0
XSETID s 10-0 ENTRIESADDED 5 MAXDELETEDID 2-0
XSETID s 10-0 FOO
XSETID s - 
XSETID s abc
XINFO STREAM s
XADD s 10-0 a b
XADD s 10-* a b
XDEL s 1-0
XINFO STREAM s
XINFO STREAM s FULL
XINFO STREAM s FULL COUNT 1
XINFO STREAM s FULL COUNT -5
XINFO STREAM s FULL COUNT abc
XINFO STREAM s FULL LIMIT 1
XINFO STREAM s PART
XINFO STREAM nokey
XINFO STREAM s FULL COUNT
SET str x
XINFO STREAM str
XINFO GROUPS s
XINFO GROUPS nokey
XINFO GROUPS s extra
XINFO CONSUMERS s nogroup
XINFO CONSUMERS nokey g
XINFO HELP
XINFO HELP extra
XINFO FOO s
XINFO
XGROUP HELP
XGROUP FOO
XADD e 1-0 a b
XDEL e 1-0
XINFO STREAM e
XINFO STREAM e FULL
XADD e MAXLEN 0 0-1 x y
XINFO STREAM e
"#;

#[test]
fn stream_setid_and_info() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(&mut p, SETID_INFO);
    run_lines(&mut p, "?HELLO 3");
    run_lines(&mut p, SETID_INFO);
}

const GROUPS: &str = r#"
FLUSHALL
XGROUP CREATE s g 0
XGROUP CREATE s g $ MKSTREAM
XGROUP CREATE s g $ MKSTREAM
XGROUP CREATE s g2 0 ENTRIESREAD -2
XGROUP CREATE s g2 0 ENTRIESREAD abc
XGROUP CREATE s g2 0 FOO
XGROUP CREATE s g2 abc
XGROUP CREATE s g2 -
XGROUP CREATE s g2 0 MKSTREAM ENTRIESREAD 3 MKSTREAM
XGROUP SETID s nog 0
XGROUP SETID nokey g 0
XGROUP SETID s g 0 MKSTREAM
XGROUP SETID s g abc
XGROUP SETID s g - ENTRIESREAD 0
XGROUP SETID s g $
XGROUP SETID s g 0 ENTRIESREAD 5 extra
XGROUP DESTROY s nog
XGROUP DESTROY nokey g
XGROUP CREATECONSUMER s nog c
XGROUP CREATECONSUMER s g c1
XGROUP CREATECONSUMER s g c1
XGROUP DELCONSUMER s g nobody
XGROUP DELCONSUMER s nog c1
SET str x
XGROUP CREATE str g 0
XGROUP CREATE str g 0 MKSTREAM
XADD s 1-0 f v1
XADD s 2-0 f v2
XADD s 3-0 f v3
XADD s 4-0 f v4 g x
XADD s 5-0 f v5
XINFO GROUPS s
XGROUP CREATE s from2 2-0
XGROUP CREATE s late $
XINFO GROUPS s
XREADGROUP GROUP g alice COUNT 2 STREAMS s >
XREADGROUP GROUP g bob COUNT 1 STREAMS s >
XINFO GROUPS s
XPENDING s g
XPENDING s g - + 10 alice
XPENDING s g - + 10 nobody
XPENDING s g - + 0
XPENDING s g (1-0 + 10
XPENDING s g - (3-0 10
XPENDING s g IDLE 0 - + 10
XPENDING s g IDLE 0 - +
XPENDING s g - +
XPENDING s g - + abc
XPENDING s g abc + 10
XPENDING s g - + 10 alice extra extra
XPENDING s nog
XPENDING nokey g
XPENDING str g
XREADGROUP GROUP g alice STREAMS s 0
XREADGROUP GROUP g alice STREAMS s 1-0
XREADGROUP GROUP g alice COUNT 1 STREAMS s 0
XREADGROUP GROUP g bob STREAMS s 0
XREADGROUP GROUP g carol STREAMS s 0
XREADGROUP GROUP g alice STREAMS s $
XREADGROUP GROUP nog alice STREAMS s >
XREADGROUP GROUP g alice STREAMS nokey >
XREADGROUP GROUP g alice STREAMS str >
XREADGROUP GROUP g alice STREAMS s
XREADGROUP GROUP g alice STREAMS s s > 
XREADGROUP STREAMS s >
XREADGROUP GROUP g STREAMS s >
XREADGROUP GROUP g alice NOACK COUNT 1 STREAMS s >
XPENDING s g
XINFO GROUPS s
XACK s g 1-0 2-0 9-0
XACK s g 1-0
XACK s g abc
XACK s nog 1-0
XACK nokey g 1-0
XACK str g 1-0
XPENDING s g
XDEL s 3-0
XREADGROUP GROUP g bob STREAMS s 0
XINFO GROUPS s
XREADGROUP GROUP g dave STREAMS s >
XINFO GROUPS s
XREADGROUP GROUP g dave STREAMS s >
XREAD STREAMS s 0
XREAD COUNT 2 STREAMS s 2
XREAD STREAMS s $
XREAD STREAMS s nokey 0 0
XREAD STREAMS s >
XREAD GROUP g c STREAMS s 0
XREAD NOACK STREAMS s 0
XREAD STREAMS
XREAD STREAMS s
XREAD COUNT abc STREAMS s 0
XREAD BLOCK abc STREAMS s 0
XREAD BLOCK -1 STREAMS s 0
XREAD BLOCK 1.5 STREAMS s 0
XREAD FOO STREAMS s 0
XREAD STREAMS s str 0 0
XREAD STREAMS s abc
XREAD STREAMS s -
XREAD COUNT -3 STREAMS s 3
XINFO CONSUMERS s g
XGROUP DELCONSUMER s g bob
XPENDING s g
XGROUP DESTROY s from2
XINFO GROUPS s
XGROUP SETID s g 0 ENTRIESREAD 0
XINFO GROUPS s
XREADGROUP GROUP g eve STREAMS s >
XINFO GROUPS s
"#;

#[test]
fn stream_consumer_groups() {
    let Some(mut p) = Pair::start() else { return };
    let cleaned: String = GROUPS
        .lines()
        .map(|l| {
            // Idle times and seen-times differ by a millisecond or two.
            if l.starts_with("XINFO CONSUMERS s g")
                || (l.starts_with("XPENDING s g") && l.split(' ').count() > 3 && !l.contains("abc"))
            {
                format!("?{l}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    run_lines(&mut p, &cleaned);
    run_lines(&mut p, "?HELLO 3");
    run_lines(&mut p, &cleaned);
}

const CLAIMS: &str = r#"
FLUSHALL
XADD s 1-0 f 1
XADD s 2-0 f 2
XADD s 3-0 f 3
XADD s 4-0 f 4
XADD s 5-0 f 5
XGROUP CREATE s g 0
XREADGROUP GROUP g alice STREAMS s >
XCLAIM s g bob 0 1-0 2-0
XCLAIM s g bob 0 1-0 JUSTID
XCLAIM s g bob 1000000 3-0
XCLAIM s g bob 0 9-0
XCLAIM s g bob 0 9-0 FORCE
XCLAIM s g bob 0 3-0 IDLE 1000000 RETRYCOUNT 7
XCLAIM s g bob 0 4-0 TIME 1000 RETRYCOUNT 2 JUSTID
XCLAIM s g bob 0 4-0 LASTID 3-0
XCLAIM s g bob 0 4-0 LASTID abc
XCLAIM s g bob 0 4-0 IDLE abc
XCLAIM s g bob 0 4-0 TIME abc
XCLAIM s g bob 0 4-0 RETRYCOUNT abc
XCLAIM s g bob 0 4-0 FOO
XCLAIM s g bob abc 4-0
XCLAIM s g bob -5 4-0 JUSTID
XCLAIM s nog bob 0 4-0
XCLAIM nokey g bob 0 4-0
XPENDING s g
XPENDING s g IDLE 500000 - + 10
XADD s 6-0 f 6
XCLAIM s g carol 0 6-0 FORCE JUSTID
XPENDING s g
XCLAIM s g carol 0 6-0 FORCE RETRYCOUNT 3 JUSTID
XDEL s 2-0
XCLAIM s g carol 0 2-0
XPENDING s g
XAUTOCLAIM s g dave 0 0
XAUTOCLAIM s g dave 0 0 COUNT 2
XAUTOCLAIM s g dave 0 (1-0 COUNT 2 JUSTID
XAUTOCLAIM s g dave 0 - JUSTID
XAUTOCLAIM s g dave 0 0 COUNT 0
XAUTOCLAIM s g dave 0 0 COUNT -1
XAUTOCLAIM s g dave 0 0 COUNT abc
XAUTOCLAIM s g dave 0 0 COUNT 2305843009213693952
XAUTOCLAIM s g dave 0 0 FOO
XAUTOCLAIM s g dave abc 0
XAUTOCLAIM s g dave 0 abc
XAUTOCLAIM s g dave 0 (18446744073709551615-18446744073709551615
XAUTOCLAIM s nog dave 0 0
XAUTOCLAIM nokey g dave 0 0
XAUTOCLAIM s g dave 1000000 0
XDEL s 4-0 5-0
XAUTOCLAIM s g erin 0 0 COUNT 1
XAUTOCLAIM s g erin 0 0
XPENDING s g
XINFO GROUPS s
XGROUP DELCONSUMER s g erin
XPENDING s g
"#;

#[test]
fn stream_claims() {
    let Some(mut p) = Pair::start() else { return };
    let cleaned: String = CLAIMS
        .lines()
        .map(|l| {
            if l.starts_with("XPENDING s g IDLE") {
                format!("?{l}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    run_lines(&mut p, &cleaned);
    run_lines(&mut p, "?HELLO 3");
    run_lines(&mut p, &cleaned);
}

/// Nodes split, master fields reused or not, integers and strings, big
/// values: what the listpack layout shows through XINFO (radix-tree keys
/// and nodes) and the entries read back.
#[test]
fn stream_node_layout() {
    let Some(mut p) = Pair::start() else { return };
    let mut text = String::from("FLUSHALL\n");
    for i in 1..=450 {
        let fields = match i % 4 {
            0 => format!("a {i} b -{i}"),
            1 => format!("a {i} b x{i}"),
            2 => format!("c {}", "y".repeat(i % 97)),
            _ => format!("{i} 007 -0 12345678901234567890"),
        };
        text.push_str(&format!("XADD s {i}-{} {fields}\n", i % 3));
    }
    text.push_str("XINFO STREAM s\nXRANGE s - + COUNT 7\nXREVRANGE s + - COUNT 9\n");
    text.push_str("XDEL s 1-1 100-1 101-2 450-0\nXINFO STREAM s\nXRANGE s 95 105\n");
    text.push_str("CONFIG SET stream-node-max-bytes 300\n");
    for i in 451..=520 {
        text.push_str(&format!("XADD s {i}-0 field {}\n", "z".repeat(i % 50)));
    }
    text.push_str(
        "XINFO STREAM s\nXREVRANGE s + - COUNT 3\nCONFIG SET stream-node-max-bytes 4096\n",
    );
    text.push_str(&format!(
        "XADD big 1-0 f {}\nXRANGE big - +\n",
        "q".repeat(5000)
    ));
    run_lines(&mut p, &text);
}

/// A seeded run of XADD/XDEL/XTRIM/XREADGROUP/XACK/XCLAIM/XAUTOCLAIM/
/// XGROUP over a few streams, groups and consumers, every reply compared.
#[test]
fn stream_generated() {
    let Some(mut p) = Pair::start() else { return };
    let seed: u64 = std::env::var("DIFF_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_57e4);
    let n: usize = std::env::var("DIFF_COMMANDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3000);
    let mut rng = seed;
    let mut next = |m: u64| -> u64 {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % m.max(1)
    };
    let mut ms = [0u64; 3];
    run_lines(&mut p, "FLUSHALL\nCONFIG SET stream-node-max-entries 7");
    for _ in 0..n {
        let k = next(3) as usize;
        let key = format!("st{k}");
        let g = format!("g{}", next(2));
        let cons = format!("c{}", next(4));
        let id = |ms: u64, seq: u64| format!("{ms}-{seq}");
        let line = match next(16) {
            0..=4 => {
                ms[k] += next(3);
                let f = if next(3) == 0 {
                    format!("x {} y {}", next(100), next(5))
                } else {
                    format!("f {}", next(1000))
                };
                let trim = match next(10) {
                    0 => format!("MAXLEN {} ", next(30)),
                    1 => format!("MINID {} ", ms[k].saturating_sub(next(20))),
                    _ => String::new(),
                };
                format!("XADD {key} {trim}{}-* {f}", ms[k])
            }
            5 => format!("XDEL {key} {}", id(next(ms[k] + 1), next(3))),
            6 => format!("XTRIM {key} MAXLEN {}", next(40) + 5),
            7 => format!(
                "XGROUP CREATE {key} {g} {} MKSTREAM",
                if next(2) == 0 {
                    "0".to_string()
                } else {
                    "$".to_string()
                }
            ),
            8 | 9 => format!(
                "XREADGROUP GROUP {g} {cons} COUNT {} {}STREAMS {key} {}",
                next(4) + 1,
                if next(5) == 0 { "NOACK " } else { "" },
                if next(4) == 0 {
                    "0".to_string()
                } else {
                    ">".to_string()
                }
            ),
            10 => format!(
                "XACK {key} {g} {} {}",
                id(next(ms[k] + 1), next(3)),
                id(next(ms[k] + 1), 0)
            ),
            11 => format!(
                "XCLAIM {key} {g} {cons} 0 {} {} JUSTID",
                id(next(ms[k] + 1), next(3)),
                id(next(ms[k] + 1), 0)
            ),
            12 => format!(
                "XAUTOCLAIM {key} {g} {cons} 0 {} COUNT {} JUSTID",
                id(next(ms[k] + 1), 0),
                next(5) + 1
            ),
            13 => format!("XPENDING {key} {g}"),
            14 => match next(4) {
                0 => format!("XGROUP DELCONSUMER {key} {g} {cons}"),
                1 => format!("XGROUP SETID {key} {g} {}", id(next(ms[k] + 1), 0)),
                2 => format!("XINFO GROUPS {key}"),
                _ => format!("XGROUP CREATECONSUMER {key} {g} {cons}"),
            },
            _ => match next(3) {
                0 => format!("XRANGE {key} - + COUNT {}", next(10) + 1),
                1 => format!("XREVRANGE {key} + {} COUNT 5", id(next(ms[k] + 1), 0)),
                _ => format!("XINFO STREAM {key}"),
            },
        };
        run_lines(&mut p, &line);
    }
    run_lines(&mut p, "CONFIG SET stream-node-max-entries 100");
}
