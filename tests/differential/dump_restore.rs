//! DUMP and RESTORE against redis-server 7.0.15: payloads are compared byte
//! for byte where the encoding fixes the order (strings, lists, listpack
//! hashes and sorted sets, intsets, skiplist sorted sets, streams without
//! group times), each server restores the other's payloads into the same
//! values, and every error text matches.

use super::{Cmp, Pair, run_lines};

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
