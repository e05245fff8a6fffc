//! DUMP and RESTORE against redis-server 7.0.15: payloads are compared byte
//! for byte where the encoding fixes the order (strings, lists, listpack
//! hashes and sorted sets, intsets, skiplist sorted sets, streams without
//! group times), each server restores the other's payloads into the same
//! values, and every error text matches.

use super::{Cmp, Pair, run_lines, show};

/// The bytes of a bulk reply.
fn bulk(reply: &[u8]) -> Vec<u8> {
    assert!(
        reply.starts_with(b"$"),
        "{:?}",
        String::from_utf8_lossy(reply)
    );
    let hdr = reply.windows(2).position(|w| w == b"\r\n").unwrap();
    let n: usize = std::str::from_utf8(&reply[1..hdr])
        .unwrap()
        .parse()
        .unwrap();
    reply[hdr + 2..hdr + 2 + n].to_vec()
}

const FILL: &str = r#"
FLUSHALL
SET int 12345
SET neg -7
SET emb hello
SET raw "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
SET mixed "the quick brown fox jumps over the lazy dog 0123456789"
RPUSH list a b 1 -1 100000 "a much longer element of the list, past twenty bytes"
HSET hash f1 v1 num 123
SADD ints 1 2 3 -100 5000000000
ZADD zs 1 a 2.5 b -3 c
XADD st 1-0 a 1 b 2
XADD st 2-0 a 3 b 4
XADD st 3-0 other x
XDEL st 2-0
XGROUP CREATE st g 0
XADD empty 1-0 a b
XDEL empty 1-0
"#;

#[test]
fn dump_payloads_match_and_restore_both_ways() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(&mut p, FILL);
    let mut big = String::from("ZADD bigz");
    for i in 0..200 {
        big.push_str(&format!(" {i}.5 m{i}"));
    }
    run_lines(&mut p, &big);
    let keys = [
        "int", "neg", "emb", "raw", "mixed", "list", "hash", "ints", "zs", "bigz", "st", "empty",
    ];
    for k in keys {
        p.check(&[b"DUMP".to_vec(), k.as_bytes().to_vec()], Cmp::Exact);
    }
    p.check(&[b"DUMP".to_vec(), b"nokey".to_vec()], Cmp::Exact);
    // Each restores the other's payload.
    for k in keys {
        let theirs = bulk(&p.b.cmd(&[b"DUMP", k.as_bytes()]));
        let ours = bulk(&p.a.cmd(&[b"DUMP", k.as_bytes()]));
        let dst = format!("{k}:copy");
        assert_eq!(
            p.a.cmd(&[b"RESTORE", dst.as_bytes(), b"0", &theirs]),
            b"+OK\r\n",
            "{k}"
        );
        assert_eq!(
            p.b.cmd(&[b"RESTORE", dst.as_bytes(), b"0", &ours]),
            b"+OK\r\n",
            "{k}"
        );
        p.check(&[b"DUMP".to_vec(), dst.as_bytes().to_vec()], Cmp::Exact);
        p.check(&[b"TYPE".to_vec(), dst.as_bytes().to_vec()], Cmp::Exact);
        p.check(
            &[
                b"OBJECT".to_vec(),
                b"ENCODING".to_vec(),
                dst.as_bytes().to_vec(),
            ],
            Cmp::Exact,
        );
    }
    run_lines(
        &mut p,
        r#"
XINFO STREAM st:copy
XINFO GROUPS st:copy
LRANGE list:copy 0 -1
ZRANGE bigz:copy 0 -1 WITHSCORES
"#,
    );
    // Options and errors.
    let payload = bulk(&p.b.cmd(&[b"DUMP", b"emb"]));
    let mut bad = payload.clone();
    let n = bad.len();
    bad[n - 1] ^= 0xff;
    let mut newer = payload.clone();
    newer[n - 10] = 11;
    let mut garbage = payload.clone();
    garbage[0] = 200;
    let cases: Vec<Vec<&[u8]>> = vec![
        vec![b"RESTORE", b"emb", b"0", &payload],
        vec![b"RESTORE", b"emb", b"0", &payload, b"REPLACE"],
        vec![b"RESTORE", b"fresh", b"-1", &payload],
        vec![b"RESTORE", b"fresh", b"abc", &payload],
        vec![b"RESTORE", b"fresh", b"0", &bad],
        vec![b"RESTORE", b"fresh", b"0", &newer],
        vec![b"RESTORE", b"fresh", b"0", b"short"],
        vec![b"RESTORE", b"fresh", b"0", &payload, b"FOO"],
        vec![b"RESTORE", b"fresh", b"0", &payload, b"IDLETIME", b"-1"],
        vec![b"RESTORE", b"fresh", b"0", &payload, b"FREQ", b"256"],
        vec![
            b"RESTORE",
            b"fresh",
            b"0",
            &payload,
            b"IDLETIME",
            b"5",
            b"FREQ",
            b"5",
        ],
        vec![b"RESTORE", b"fresh", b"0", &payload, b"IDLETIME", b"1000"],
        vec![b"OBJECT", b"IDLETIME", b"fresh"],
        vec![b"RESTORE", b"ttl", b"100000", &payload],
        vec![b"RESTORE", b"gone", b"1", &payload, b"ABSTTL"],
        vec![b"EXISTS", b"gone"],
        vec![b"RESTORE", b"emb", b"1", &payload, b"ABSTTL", b"REPLACE"],
        vec![b"EXISTS", b"emb"],
    ];
    for args in cases {
        let owned: Vec<Vec<u8>> = args.iter().map(|a| a.to_vec()).collect();
        p.check(&owned, Cmp::Exact);
    }
    p.check(&[b"PTTL".to_vec(), b"ttl".to_vec()], Cmp::Near(1000));
    // A payload with a valid checksum but a damaged value.
    let mut body = payload[..n - 10].to_vec();
    body.truncate(body.len() - 2);
    body.extend_from_slice(&payload[n - 10..n - 8]);
    let crc = crc64(&body);
    body.extend_from_slice(&crc.to_le_bytes());
    p.check(
        &[b"RESTORE".to_vec(), b"fresh2".to_vec(), b"0".to_vec(), body],
        Cmp::Exact,
    );
}

/// Redis's CRC-64 (Jones polynomial, reflected), for hand-made payloads.
fn crc64(data: &[u8]) -> u64 {
    let mut crc: u64 = 0;
    for &b in data {
        crc ^= b as u64;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0x95ac_9329_ac4b_c9b5
            } else {
                crc >> 1
            };
        }
    }
    crc
}

/// How a key's value is read back for comparison, and whether its DUMP is
/// the same bytes on both servers (not for hash tables: their order is
/// each server's own).
struct Enc {
    key: &'static str,
    encoding: &'static str,
    read: &'static [&'static str],
    cmp: Cmp,
    exact_dump: bool,
}

/// Every type in every encoding redis-server 7.0.15 writes: each server's
/// DUMP of each key is RESTOREd into both servers, which must then agree on
/// the type, the encoding, the contents and (where the encoding fixes the
/// order) the DUMP bytes. Quicklists include LZF-compressed nodes
/// (list-compress-depth) and plain nodes (DEBUG
/// QUICKLIST-PACKED-THRESHOLD); streams include groups, consumers and
/// pending entries.
#[test]
fn dump_restore_every_encoding_both_ways() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(
        &mut p,
        r#"
FLUSHALL
SET s:int 9223372036854775807
SET s:emb short
SET s:raw "a string that is longer than forty-four bytes, so raw encoding"
SET s:lzf "xyzxyzxyzxyzxyzxyzxyzxyzxyzxyzxyzxyzxyzxyzxyzxyzxyzxyzxyzxyzxyz"
PFADD s:hll a b c d e f g
RPUSH l:small a 1 -2 "longer element here"
HSET h:lp f1 v1 f2 2
HSET h:long f1 "a value that is longer than sixty-four bytes, which turns the hash into a table"
SADD t:int 1 2 3 -9
SADD t:str a b c
ZADD z:lp 1 a 2 b
ZADD z:long 1 "a member that is longer than sixty-four bytes, which turns the zset to a skiplist"
XADD x:grp 1-1 f v
XADD x:grp 1-2 f v2
XADD x:grp 2-1 g w
XGROUP CREATE x:grp g1 0
XGROUP CREATE x:grp g2 $
XREADGROUP GROUP g1 alice COUNT 2 STREAMS x:grp >
XREADGROUP GROUP g1 bob COUNT 1 STREAMS x:grp >
XACK x:grp g1 1-1
XGROUP CREATECONSUMER x:grp g2 carol
"#,
    );
    let big = |cmd: &str, n: usize, item: &dyn Fn(usize) -> String| {
        let mut line = String::from(cmd);
        for i in 0..n {
            line.push(' ');
            line.push_str(&item(i));
        }
        line
    };
    run_lines(&mut p, &big("RPUSH l:big", 3000, &|i| format!("e{i}")));
    run_lines(&mut p, &big("HSET h:big", 600, &|i| format!("f{i} v{i}")));
    run_lines(&mut p, &big("SADD t:bigint", 600, &|i| format!("{i}")));
    run_lines(&mut p, &big("ZADD z:big", 300, &|i| format!("{i} m{i}")));
    // LZF-compressed quicklist nodes, then plain nodes for big elements.
    run_lines(&mut p, "CONFIG SET list-compress-depth 1");
    run_lines(
        &mut p,
        &big("RPUSH l:lzf", 3000, &|i| format!("element-number-{i}")),
    );
    run_lines(
        &mut p,
        "CONFIG SET list-compress-depth 0\nDEBUG QUICKLIST-PACKED-THRESHOLD 100",
    );
    let huge = "p".repeat(500);
    run_lines(&mut p, &format!("RPUSH l:plain a {huge} b {huge}"));

    let s = |key, encoding| Enc {
        key,
        encoding,
        read: &["GET"],
        cmp: Cmp::Exact,
        exact_dump: true,
    };
    let all = [
        s("s:int", "int"),
        s("s:emb", "embstr"),
        s("s:raw", "raw"),
        s("s:lzf", "raw"),
        s("s:hll", "raw"),
        Enc {
            key: "l:small",
            encoding: "quicklist",
            read: &["LRANGE", "0", "-1"],
            cmp: Cmp::Exact,
            exact_dump: true,
        },
        Enc {
            key: "l:big",
            encoding: "quicklist",
            read: &["LRANGE", "0", "-1"],
            cmp: Cmp::Exact,
            exact_dump: true,
        },
        Enc {
            key: "l:lzf",
            encoding: "quicklist",
            read: &["LRANGE", "0", "-1"],
            cmp: Cmp::Exact,
            exact_dump: true,
        },
        Enc {
            key: "l:plain",
            encoding: "quicklist",
            read: &["LRANGE", "0", "-1"],
            cmp: Cmp::Exact,
            exact_dump: true,
        },
        Enc {
            key: "h:lp",
            encoding: "listpack",
            read: &["HGETALL"],
            cmp: Cmp::Exact,
            exact_dump: true,
        },
        Enc {
            key: "h:long",
            encoding: "hashtable",
            read: &["HGETALL"],
            cmp: Cmp::Unordered,
            exact_dump: false,
        },
        Enc {
            key: "h:big",
            encoding: "hashtable",
            read: &["HGETALL"],
            cmp: Cmp::Unordered,
            exact_dump: false,
        },
        Enc {
            key: "t:int",
            encoding: "intset",
            read: &["SMEMBERS"],
            cmp: Cmp::Exact,
            exact_dump: true,
        },
        Enc {
            key: "t:str",
            encoding: "hashtable",
            read: &["SMEMBERS"],
            cmp: Cmp::Unordered,
            exact_dump: false,
        },
        Enc {
            key: "t:bigint",
            encoding: "hashtable",
            read: &["SMEMBERS"],
            cmp: Cmp::Unordered,
            exact_dump: false,
        },
        Enc {
            key: "z:lp",
            encoding: "listpack",
            read: &["ZRANGE", "0", "-1", "WITHSCORES"],
            cmp: Cmp::Exact,
            exact_dump: true,
        },
        Enc {
            key: "z:long",
            encoding: "skiplist",
            read: &["ZRANGE", "0", "-1", "WITHSCORES"],
            cmp: Cmp::Exact,
            exact_dump: true,
        },
        Enc {
            key: "z:big",
            encoding: "skiplist",
            read: &["ZRANGE", "0", "-1", "WITHSCORES"],
            cmp: Cmp::Exact,
            exact_dump: true,
        },
        Enc {
            key: "x:grp",
            encoding: "stream",
            read: &["XINFO", "STREAM"],
            cmp: Cmp::Exact,
            // Its PEL delivery times and consumers' seen times are each
            // server's clock, a millisecond apart now and then.
            exact_dump: false,
        },
    ];
    for e in &all {
        // Each server's own key has the encoding asked for.
        let enc = [b"OBJECT".to_vec(), b"ENCODING".to_vec(), e.key.into()];
        let want = format!("${}\r\n{}\r\n", e.encoding.len(), e.encoding);
        assert_eq!(
            show(&p.b.cmd(&[b"OBJECT", b"ENCODING", e.key.as_bytes()])),
            show(want.as_bytes()),
            "redis: {}",
            e.key
        );
        p.check(&enc, Cmp::Exact);
        // The same operations give the same payload.
        if e.exact_dump {
            p.check(&[b"DUMP".to_vec(), e.key.into()], Cmp::Exact);
        }
        for (from, payload) in [
            ("ours", bulk(&p.a.cmd(&[b"DUMP", e.key.as_bytes()]))),
            ("theirs", bulk(&p.b.cmd(&[b"DUMP", e.key.as_bytes()]))),
        ] {
            let dst = format!("{}:from-{from}", e.key);
            for (side, r) in [("ours", &mut p.a), ("theirs", &mut p.b)] {
                assert_eq!(
                    show(&r.cmd(&[b"RESTORE", dst.as_bytes(), b"0", &payload])),
                    show(b"+OK\r\n"),
                    "{side} restoring {from} payload of {}",
                    e.key
                );
            }
            let k = dst.as_bytes().to_vec();
            p.check(&[b"TYPE".to_vec(), k.clone()], Cmp::Exact);
            p.check(
                &[b"OBJECT".to_vec(), b"ENCODING".to_vec(), k.clone()],
                Cmp::Exact,
            );
            let mut read: Vec<Vec<u8>> = vec![e.read[0].into(), k.clone()];
            read.extend(e.read[1..].iter().map(|a| a.as_bytes().to_vec()));
            p.check(&read, e.cmp);
            // The contents are the original key's, on both servers.
            let mut orig: Vec<Vec<u8>> = vec![e.read[0].into(), e.key.into()];
            orig.extend(e.read[1..].iter().map(|a| a.as_bytes().to_vec()));
            let orig: Vec<&[u8]> = orig.iter().map(|a| a.as_slice()).collect();
            let readr: Vec<&[u8]> = read.iter().map(|a| a.as_slice()).collect();
            if e.key != "x:grp" {
                assert!(
                    super::same(&p.b.cmd(&readr), &p.b.cmd(&orig), e.cmp),
                    "redis: {dst} differs from {}",
                    e.key
                );
            }
            if e.exact_dump {
                p.check(&[b"DUMP".to_vec(), k.clone()], Cmp::Exact);
            }
        }
    }
    run_lines(&mut p, "DEBUG QUICKLIST-PACKED-THRESHOLD 1073741824");
    // The stream's groups, consumers and pending entries came across.
    run_lines(
        &mut p,
        r#"
XINFO GROUPS x:grp:from-ours
XINFO GROUPS x:grp:from-theirs
XPENDING x:grp:from-ours g1
XPENDING x:grp:from-theirs g1
XINFO CONSUMERS x:grp:from-theirs g2
"#,
    );
}
