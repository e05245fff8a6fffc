//! Differential cases for the hash and set families: every command, its
//! options and error paths, encoding conversions at the configured
//! thresholds, RESP3 reply shapes, and big collections. Replies Redis
//! leaves in no order (hashtable iteration, random picks) are compared as
//! multisets or checked for size and membership on both servers.

use super::{Pair, run_lines, split_line};
use std::collections::{BTreeMap, BTreeSet};

// ---------------------------------------------------------------------
// A small RESP reader for the checks the line format cannot express.
// ---------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum R {
    Status(Vec<u8>),
    Err(Vec<u8>),
    Int(i64),
    Bulk(Vec<u8>),
    Nil,
    /// An aggregate: its type byte (`*`, `~`, or `%` with pairs
    /// flattened) and its elements.
    Agg(u8, Vec<R>),
}

fn parse(b: &[u8]) -> R {
    let (r, used) = parse_at(b, 0);
    assert_eq!(
        used,
        b.len(),
        "trailing bytes in {:?}",
        String::from_utf8_lossy(b)
    );
    r
}

fn parse_at(b: &[u8], pos: usize) -> (R, usize) {
    let end = pos
        + b[pos..]
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("line");
    let line = &b[pos + 1..end];
    let next = end + 2;
    let num = || -> i64 { std::str::from_utf8(line).unwrap().parse().unwrap() };
    match b[pos] {
        b'+' => (R::Status(line.to_vec()), next),
        b'-' => (R::Err(line.to_vec()), next),
        b':' => (R::Int(num()), next),
        b'_' => (R::Nil, next),
        b'$' => {
            let n = num();
            if n < 0 {
                return (R::Nil, next);
            }
            let n = n as usize;
            (R::Bulk(b[next..next + n].to_vec()), next + n + 2)
        }
        t @ (b'*' | b'~' | b'%') => {
            let n = num();
            if n < 0 {
                return (R::Nil, next);
            }
            let n = if t == b'%' {
                2 * n as usize
            } else {
                n as usize
            };
            let mut p = next;
            let mut items = Vec::with_capacity(n);
            for _ in 0..n {
                let (r, np) = parse_at(b, p);
                items.push(r);
                p = np;
            }
            (R::Agg(t, items), p)
        }
        other => panic!("unexpected reply type {:?}", other as char),
    }
}

fn args_of(line: &str) -> Vec<Vec<u8>> {
    split_line(line)
}

fn send(raw: &mut super::common::Raw, args: &[Vec<u8>]) -> R {
    let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
    parse(&raw.cmd(&refs))
}

/// Send a line to both servers; (miniredis, redis).
fn both(p: &mut Pair, line: &str) -> (R, R) {
    let args = args_of(line);
    let ours = send(&mut p.a, &args);
    let theirs = send(&mut p.b, &args);
    p.checked += 1;
    (ours, theirs)
}

fn items(r: &R) -> Vec<R> {
    match r {
        R::Agg(_, v) => v.clone(),
        other => panic!("not an aggregate: {other:?}"),
    }
}

fn bulks(r: &R) -> Vec<Vec<u8>> {
    items(r)
        .into_iter()
        .map(|e| match e {
            R::Bulk(b) => b,
            other => panic!("not a bulk: {other:?}"),
        })
        .collect()
}

fn bulk_set(r: &R) -> BTreeSet<Vec<u8>> {
    bulks(r).into_iter().collect()
}

/// A flat field/value list (or a RESP3 map) as a map.
fn pairs_map(r: &R) -> BTreeMap<Vec<u8>, Vec<u8>> {
    let b = bulks(r);
    assert!(b.len().is_multiple_of(2));
    b.chunks(2).map(|p| (p[0].clone(), p[1].clone())).collect()
}

/// Both servers' replies must be equal as field → value maps.
fn same_map(p: &mut Pair, line: &str) {
    let (a, b) = both(p, line);
    assert_eq!(kind(&a), kind(&b), "{line}");
    assert_eq!(pairs_map(&a), pairs_map(&b), "{line}");
}

/// Both servers' replies must hold the same bulks, in any order.
fn same_members(p: &mut Pair, line: &str) {
    let (a, b) = both(p, line);
    assert_eq!(kind(&a), kind(&b), "{line}");
    let (x, y) = (bulks(&a), bulks(&b));
    assert_eq!(x.len(), y.len(), "{line}");
    let (mut x, mut y) = (x, y);
    x.sort();
    y.sort();
    assert_eq!(x, y, "{line}");
}

fn kind(r: &R) -> u8 {
    match r {
        R::Status(_) => b'+',
        R::Err(_) => b'-',
        R::Int(_) => b':',
        R::Bulk(_) => b'$',
        R::Nil => b'_',
        R::Agg(t, _) => *t,
    }
}

/// Walk a whole HSCAN/SSCAN on one server: (elements, calls made). Checks
/// each reply's shape and that a COUNT-sized step returns something
/// reasonable.
fn scan_all(raw: &mut super::common::Raw, prefix: &str, opts: &str) -> (Vec<Vec<u8>>, usize) {
    let mut cursor = b"0".to_vec();
    let mut out = Vec::new();
    let mut calls = 0;
    loop {
        let line = format!(
            "{prefix} {} {opts}",
            String::from_utf8(cursor.clone()).unwrap()
        );
        let r = send(raw, &args_of(&line));
        calls += 1;
        let parts = items(&r);
        assert_eq!(parts.len(), 2, "{line}: {r:?}");
        let R::Bulk(next) = &parts[0] else {
            panic!("{line}: cursor {r:?}")
        };
        assert_eq!(kind(&parts[1]), b'*');
        out.extend(bulks(&parts[1]));
        cursor = next.clone();
        if cursor == b"0" {
            return (out, calls);
        }
        assert!(calls < 100_000, "scan does not end");
    }
}

/// Fill `key` on both servers with `n` members/fields named by `name`.
fn fill(p: &mut Pair, cmd: &str, key: &str, n: usize, name: impl Fn(usize) -> String) {
    for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
        let mut line = format!("{cmd} {key}");
        for &i in chunk {
            line.push(' ');
            line.push_str(&name(i));
        }
        let (a, b) = both(p, &line);
        assert_eq!(a, b, "{cmd} {key} ...");
    }
}

// ---------------------------------------------------------------------
// Hashes
// ---------------------------------------------------------------------

#[test]
fn hs_hash_set_get_del() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(
        &mut p,
        r#"
HSET h a 1 b 2
HSET h a 3 b
HMSET h a 3 b
HSET h c 3 a 5
HSET h
HSET h a
HMSET h a
HGETALL h
HKEYS h
HVALS h
HSETNX h a 9
HSETNX h z 9
HSETNX n z 9
HSETNX n z
HGET h a
HGET nosuch a
HGET h nosuch
HMGET h a nosuch b
HMGET nosuch a b
HMGET h
HLEN h
HLEN nosuch
HSTRLEN h a
HSTRLEN h nosuch
HSTRLEN nosuch a
HEXISTS h a
HEXISTS h q
HEXISTS nosuch q
HGETALL nosuch
HKEYS nosuch
HVALS nosuch
HDEL h a q a
HDEL nosuch a
HDEL h
HGETALL h
HMSET h2 f1 v1 f2 v2 f3 v3
HGETALL h2
HSET h2 f2 new
HGETALL h2
HDEL h2 f1
HSET h2 f1 back
HGETALL h2
HDEL h2 f1 f2 f3
EXISTS h2
TYPE h
HSET e "" ""
HGET e ""
HSTRLEN e ""
HSET bin "a\x00b" "\r\n" "sp ace" "x y"
HGETALL bin
HSTRLEN bin "a\x00b"
HSET h num 12345
HSTRLEN h num
HSET h neg -9223372036854775808
HGET h neg
HSTRLEN h neg
"#,
    );
}

#[test]
fn hs_hash_incr() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(
        &mut p,
        r#"
HSET h c 3 s hello
HINCRBY h c 10
HINCRBY h c abc
HINCRBY h c 1.5
HINCRBY h c ""
HINCRBY h newf 5
HINCRBY h s 1
HINCRBY h c 9223372036854775807
HINCRBY h c -9223372036854775808
HSET h big 9223372036854775807 small -9223372036854775808
HINCRBY h big 1
HINCRBY h big 0
HINCRBY h big -1
HINCRBY h small -1
HINCRBY h small 9223372036854775807
HINCRBY h c 9223372036854775808
HINCRBY nk f 1
HINCRBY nk2 f -7
HGETALL nk2
HINCRBYFLOAT h c 1.5
HINCRBYFLOAT h s 1.5
HINCRBYFLOAT h c abc
HINCRBYFLOAT h c inf
HINCRBYFLOAT h c -inf
HINCRBYFLOAT h c +inf
HINCRBYFLOAT h c nan
HINCRBYFLOAT h c ""
HINCRBYFLOAT h c " 1"
HINCRBYFLOAT h c "1 "
HSET h infv inf
HINCRBYFLOAT h infv 1
HSET h sp " 1" lz 01 hex 0x10 exp 1e3 plus +5
HINCRBYFLOAT h sp 1
HINCRBY h sp 1
HINCRBY h lz 1
HINCRBYFLOAT h lz 1
HINCRBYFLOAT h hex 1
HINCRBY h hex 1
HINCRBYFLOAT h exp 1
HINCRBYFLOAT h plus 1
HINCRBY h plus 1
HINCRBYFLOAT h fl 3.0e3
HINCRBYFLOAT h fl 10.5
HINCRBYFLOAT h fl -5000.0
HINCRBYFLOAT h fl 0x10
HINCRBYFLOAT h fl 1.0000000000000001
HINCRBYFLOAT h fl 0.1
HINCRBYFLOAT h fl -0.1
HINCRBYFLOAT h f2 1e308
HINCRBYFLOAT h f2 1e308
HINCRBYFLOAT h f3 1.7976931348623157e308
HINCRBYFLOAT h f3 1e4000
HINCRBYFLOAT h f4 5.0e-3
HINCRBYFLOAT h f5 -0
HINCRBYFLOAT h f6 1e-400
HINCRBYFLOAT nk3 f 1.1
HINCRBYFLOAT nk4 f inf
EXISTS nk4
OBJECT ENCODING h
HINCRBY h
HINCRBY h a
HINCRBYFLOAT h a
HINCRBY h a 1 2
"#,
    );
    // The 309-digit value made it a table: compare as maps.
    same_map(&mut p, "HGETALL h");
}

#[test]
fn hs_hash_encodings_and_order() {
    let Some(mut p) = Pair::start() else { return };
    let long64 = "a".repeat(64);
    let long65 = "a".repeat(65);
    run_lines(
        &mut p,
        &format!(
            r#"
HSET h a 1
HINCRBY h {long65} 1
OBJECT ENCODING h
HSET h2 a 1
HINCRBYFLOAT h2 {long65} 1
OBJECT ENCODING h2
HSET h3 a 1
HSETNX h3 {long65} 1
OBJECT ENCODING h3
HSET h4 a 1
HSETNX h4 a {long65}
OBJECT ENCODING h4
HSET h5 a 1
HSET h5 a 1 b {long65}
OBJECT ENCODING h5
HSET h6 {long64} {long64}
OBJECT ENCODING h6
HSET h7 {long65} 1
OBJECT ENCODING h7
HSET h7b x {long65}
OBJECT ENCODING h7b
HSET h14 a 1
HINCRBYFLOAT h14 a 1e100
OBJECT ENCODING h14
HMSET h15 x 1
HMSET h15 y {long65}
OBJECT ENCODING h15
CONFIG SET hash-max-listpack-entries 2
HSET h8 a 1 b 2
OBJECT ENCODING h8
HSET h8 a 3
OBJECT ENCODING h8
HSET h8 c 3
OBJECT ENCODING h8
HSET h9 a 1 b 2 c 3
OBJECT ENCODING h9
HDEL h9 a b
OBJECT ENCODING h9
HGETALL h9
HINCRBY h16 a 1
HINCRBY h16 b 1
OBJECT ENCODING h16
HINCRBY h16 c 1
OBJECT ENCODING h16
CONFIG SET hash-max-listpack-entries 0
HSET h10 a 1
OBJECT ENCODING h10
HINCRBY h11 a 1
OBJECT ENCODING h11
HSETNX h12 a 1
OBJECT ENCODING h12
HINCRBYFLOAT h12b a 1
OBJECT ENCODING h12b
CONFIG SET hash-max-listpack-entries 128
CONFIG SET hash-max-listpack-value 0
HSET h13 "" ""
OBJECT ENCODING h13
HSET h13 a ""
OBJECT ENCODING h13
CONFIG SET hash-max-listpack-value 64
HSET o z 1 y 2 x 3 w 4
HSET o y 20 v 5
HDEL o x
HSET o x 30
HGETALL o
HKEYS o
HVALS o
HSCAN o 0
HSCAN o 0 MATCH ?
HSCAN o 123 COUNT 1
HRANDFIELD o 100
HRANDFIELD o 6 WITHVALUES
HRANDFIELD o 5
OBJECT ENCODING o
CONFIG SET hash-max-ziplist-entries 3
CONFIG GET hash-max-listpack-entries
HSET z a 1 b 2 c 3
OBJECT ENCODING z
HSET z d 4
OBJECT ENCODING z
"#
        ),
    );
    // Past the limit the order is the table's: compare as maps.
    same_map(&mut p, "HGETALL z");
    same_members(&mut p, "HKEYS z");
    same_members(&mut p, "HVALS z");
}

#[test]
fn hs_hash_wrongtype_and_arity() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(
        &mut p,
        r#"
SET str x
HSET str a 1
HMSET str a 1
HSETNX str a 1
HGET str a
HMGET str a
HDEL str a
HLEN str
HSTRLEN str a
HEXISTS str a
HKEYS str
HVALS str
HGETALL str
HINCRBY str a 1
HINCRBY str a x
HINCRBYFLOAT str a 1
HINCRBYFLOAT str a x
HINCRBYFLOAT str a inf
HRANDFIELD str
HRANDFIELD str 1
HRANDFIELD str 1 WITHVALUES
HRANDFIELD str x
HRANDFIELD str 1 x
HSCAN str 0
HSCAN str x
HSCAN str 0 COUNT 0
GET str
RPUSH l a
HGET l a
SADD s a
HSET s a b
HLEN s
HSET
HSETNX h a
HGET h
HMGET h
HDEL h
HLEN
HLEN h x
HSTRLEN h
HEXISTS h
HKEYS
HVALS h x
HGETALL h x
HINCRBYFLOAT h a 1 2
HRANDFIELD
HSCAN h
"#,
    );
}

#[test]
fn hs_hrandfield() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(
        &mut p,
        r#"
HRANDFIELD nosuch
HRANDFIELD nosuch 0
HRANDFIELD nosuch 5
HRANDFIELD nosuch -5
HRANDFIELD nosuch 5 WITHVALUES
HRANDFIELD nosuch 5 withvalue
HRANDFIELD nosuch 5 WITHVALUES x
HRANDFIELD nosuch abc
HRANDFIELD nosuch abc WITHVALUES
HRANDFIELD nosuch 1.5
HRANDFIELD nosuch -9223372036854775808
HRANDFIELD nosuch 9223372036854775808
HRANDFIELD nosuch -9223372036854775807 WITHVALUES
HRANDFIELD nosuch -4611686018427387904 WITHVALUES
HRANDFIELD nosuch -4611686018427387903 WITHVALUES
HRANDFIELD nosuch 4611686018427387904 WITHVALUES
HRANDFIELD nosuch 4611686018427387903 WITHVALUES
HRANDFIELD nosuch 9223372036854775807
HRANDFIELD nosuch -9223372036854775807
HSET h a 1 b 2 c 3
HRANDFIELD h 4611686018427387903 WITHVALUES
HRANDFIELD h 9223372036854775807
HRANDFIELD h 5 WITHVALUES
HRANDFIELD h 3
HRANDFIELD h 3 withvalues
HRANDFIELD h 0 WITHVALUES
HRANDFIELD h 0
HRANDFIELD h -9223372036854775808
HRANDFIELD h -4611686018427387904 WITHVALUES
HRANDFIELD h 1 2
?HRANDFIELD h
?HRANDFIELD h 1
?HRANDFIELD h -1
?HRANDFIELD h 2
?HRANDFIELD h -10 WITHVALUES
"#,
    );
    // Random picks: sizes, membership and distinctness on both servers.
    fill(&mut p, "HSET", "small", 10, |i| format!("f{i} v{i}"));
    fill(&mut p, "HSET", "big", 1000, |i| format!("f{i} v{i}"));
    run_lines(&mut p, "OBJECT ENCODING small\nOBJECT ENCODING big");
    for key in ["small", "big"] {
        let size = if key == "small" { 10 } else { 1000 };
        let all = {
            let (a, b) = both(&mut p, &format!("HGETALL {key}"));
            assert_eq!(pairs_map(&a), pairs_map(&b));
            pairs_map(&a)
        };
        for count in [1i64, 2, 3, 5, 9, 300, 999, -1, -3, -20, -2000] {
            for withvalues in [false, true] {
                let line = format!(
                    "HRANDFIELD {key} {count}{}",
                    if withvalues { " WITHVALUES" } else { "" }
                );
                let (a, b) = both(&mut p, &line);
                for r in [&a, &b] {
                    let want = count.unsigned_abs() as usize;
                    let want = if count > 0 { want.min(size) } else { want };
                    let got = bulks(r);
                    let per = if withvalues { 2 } else { 1 };
                    assert_eq!(got.len(), want * per, "{line}");
                    let fields: Vec<_> = got.chunks(per).collect();
                    for pair in &fields {
                        let v = all
                            .get(&pair[0])
                            .unwrap_or_else(|| panic!("{line}: {pair:?}"));
                        if withvalues {
                            assert_eq!(v, &pair[1]);
                        }
                    }
                    if count > 0 {
                        let uniq: BTreeSet<_> = fields.iter().map(|p| p[0].clone()).collect();
                        assert_eq!(uniq.len(), fields.len(), "{line}: repeats");
                    }
                }
            }
        }
        let (a, b) = both(&mut p, &format!("HRANDFIELD {key}"));
        for r in [a, b] {
            let R::Bulk(f) = r else { panic!("{r:?}") };
            assert!(all.contains_key(&f));
        }
    }
}

#[test]
fn hs_hscan() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(
        &mut p,
        r#"
HSET h a 1 b 2 c 3 ab 4
HSCAN h abc
HSCAN nosuch abc
HSCAN h -1
HSCAN h 18446744073709551615
HSCAN h 18446744073709551616
HSCAN h 5
HSCAN h ""
HSCAN h " 1"
HSCAN h 0 COUNT 0
HSCAN h 0 COUNT -1
HSCAN h 0 COUNT abc
HSCAN h 0 COUNT 9223372036854775807
HSCAN nosuch 0 COUNT 0
HSCAN nosuch 0 TYPE string
HSCAN nosuch 0 foo
HSCAN h 0 TYPE string
HSCAN h 0 TYPE hash
HSCAN h 0 MATCH a*
HSCAN h 0 MATCH
HSCAN h 0 COUNT
HSCAN h 0 foo bar
HSCAN h 0 COUNT 1 MATCH b
HSCAN h 0 MATCH * COUNT 100
HSCAN h 0 match *b count 2 match a*
HSCAN h 0 MATCH [ab]
"#,
    );
    // A table: a full walk returns each field exactly once, with its value.
    fill(&mut p, "HSET", "big", 2000, |i| format!("f{i} v{i}"));
    for opts in [
        "",
        "COUNT 1",
        "COUNT 7",
        "COUNT 100",
        "COUNT 5000",
        "MATCH f1*",
        "MATCH f1* COUNT 50",
    ] {
        let (ours, calls) = scan_all(&mut p.a, "HSCAN big", opts);
        let (theirs, _) = scan_all(&mut p.b, "HSCAN big", opts);
        let m = |v: &[Vec<u8>]| -> BTreeMap<Vec<u8>, Vec<u8>> {
            let mut m = BTreeMap::new();
            for c in v.chunks(2) {
                m.insert(c[0].clone(), c[1].clone());
            }
            m
        };
        assert_eq!(ours.len() % 2, 0);
        assert_eq!(m(&ours), m(&theirs), "HSCAN big {opts}");
        // No duplicates without rehashing in between.
        assert_eq!(
            m(&ours).len() * 2,
            ours.len(),
            "HSCAN big {opts}: duplicates"
        );
        if opts.is_empty() {
            assert!(calls > 50, "COUNT 10 took {calls} calls");
        }
    }
    // COUNT counts fields and values alike: about COUNT/2 fields a call.
    let r = send(&mut p.a, &args_of("HSCAN big 0 COUNT 100"));
    let n = bulks(&items(&r)[1]).len() / 2;
    assert!((40..=80).contains(&n), "fields per call {n}");
    run_lines(&mut p, "HSCAN big 0 TYPE string\nHSCAN big 0 COUNT 0");
    // A MATCH that filters everything still returns a cursor to go on with.
    let (a, b) = both(&mut p, "HSCAN big 0 MATCH nomatch* COUNT 1");
    for r in [a, b] {
        let parts = items(&r);
        assert_ne!(parts[0], R::Bulk(b"0".to_vec()));
        assert!(items(&parts[1]).is_empty());
    }
}

// ---------------------------------------------------------------------
// Sets
// ---------------------------------------------------------------------

#[test]
fn hs_set_basics() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(
        &mut p,
        r#"
SADD s 3 1 2 1
SMEMBERS s
SCARD s
SADD s 2 3 4
SADD s
SISMEMBER s 1
SISMEMBER s 9
SISMEMBER s 01
SISMEMBER s " 1"
SISMEMBER nosuch 9
SMISMEMBER s 1 9 2 01
SMISMEMBER nosuch 1 2
SMISMEMBER s
SCARD nosuch
SMEMBERS nosuch
SREM s 1 9 1
SREM nosuch 1
SREM s
SMEMBERS s
SREM s 2 3 4
EXISTS s
SADD t a b c
SISMEMBER t a
SISMEMBER t z
SMISMEMBER t a z c
SREM t a z
SCARD t
~SMEMBERS t
SADD bin "a\x00b" "" "\r\n"
SCARD bin
SISMEMBER bin ""
SISMEMBER bin "a\x00b"
~SMEMBERS bin
SREM bin "" "a\x00b" "\r\n"
EXISTS bin
SADD n -5 0 5 -9223372036854775808 9223372036854775807
SMEMBERS n
TYPE n
SET str x
SADD str 1
SREM str 1
SISMEMBER str 1
SMISMEMBER str 1
SMEMBERS str
SCARD str
SPOP str
SPOP str 1
SPOP str x
SRANDMEMBER str
SRANDMEMBER str 1
SRANDMEMBER str x
SSCAN str 0
SSCAN str x
SMOVE str n 1
SMOVE n str 5
SMOVE nosuch str 1
SINTER str
SINTER nosuch str
SINTER n str
SUNION nosuch str
SUNION n str
SDIFF nosuch str
SDIFF n str
SINTERSTORE d nosuch str
SUNIONSTORE d n str
SDIFFSTORE d n str
SINTERCARD 1 str
SINTERCARD 2 nosuch str
EXISTS d
HSET hh f v
SADD hh x
SMEMBERS hh
GET str
"#,
    );
}

#[test]
fn hs_set_encodings() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(
        &mut p,
        r#"
SADD s 3 1 2
OBJECT ENCODING s
SADD s a
OBJECT ENCODING s
SREM s a
OBJECT ENCODING s
SADD s2 a 1 2
OBJECT ENCODING s2
SADD s3 01
OBJECT ENCODING s3
SADD s4 -0
OBJECT ENCODING s4
SADD s4b +1
OBJECT ENCODING s4b
SADD s5 9223372036854775807 -9223372036854775808
OBJECT ENCODING s5
SMEMBERS s5
SADD s6 9223372036854775808
OBJECT ENCODING s6
SADD s6b 1 2 -9223372036854775809
OBJECT ENCODING s6b
SADD s10 " 1"
OBJECT ENCODING s10
SADD s11 1 2 3 1.5
OBJECT ENCODING s11
CONFIG SET set-max-intset-entries 2
SADD s7 1 2
OBJECT ENCODING s7
SADD s7 2
OBJECT ENCODING s7
SADD s7 3
OBJECT ENCODING s7
SADD s8 1 2 3
OBJECT ENCODING s8
SREM s8 1 2
OBJECT ENCODING s8
CONFIG SET set-max-intset-entries 0
SADD s9 1
OBJECT ENCODING s9
SADD s12 a
OBJECT ENCODING s12
CONFIG SET set-max-intset-entries 512
SADD o 50 -3 7 100 0 -100 8
SMEMBERS o
SSCAN o 0
SSCAN o 0 MATCH 1*
SSCAN o 77 COUNT 1
SRANDMEMBER o 100
SRANDMEMBER o 7
SPOP o 100
EXISTS o
SADD x 5 3 1 9 7 a
SREM x a
OBJECT ENCODING x
SUNION x
SDIFF x
SDIFF x nosuch
SUNIONSTORE d x
OBJECT ENCODING d
SMEMBERS d
SPOP x 100
"#,
    );
}

#[test]
fn hs_set_algebra() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(
        &mut p,
        r#"
SADD i1 1 2 3 4 5
SADD i2 3 4 5 6 7
SADD w a b 3
SINTER i1 i2
SINTER i2 i1
SINTER i1 nosuch i2
SINTER nosuch i1
SINTER i1
SINTER i1 i1
SUNION i1 i2
SUNION i1 nosuch
SUNION nosuch
SUNION nosuch nosuch2
SDIFF i1 i2
SDIFF i2 i1
SDIFF i1 nosuch
SDIFF nosuch i1
SDIFF i1 i1
SDIFF i1 i2 i1
SDIFF i1 i2 w
SINTER i1 w
SINTER w i1
~SUNION i1 w
~SDIFF w i1
SDIFF w i1 i2 w
SINTERSTORE dst i1 i2
SMEMBERS dst
OBJECT ENCODING dst
SET dst2 str
EXPIRE dst2 100
SINTERSTORE dst2 i1 i2
TTL dst2
TYPE dst2
SINTERSTORE dst2 i1 nosuch
EXISTS dst2
SET dst2b str
SINTERSTORE dst2b i1 w
TYPE dst2b
OBJECT ENCODING dst2b
SUNIONSTORE dst3 i1 w
OBJECT ENCODING dst3
SCARD dst3
~SMEMBERS dst3
SDIFFSTORE dst3 i1 i1
EXISTS dst3
SUNIONSTORE dst4 nosuch
EXISTS dst4
RPUSH lst a
SUNIONSTORE lst nosuch
EXISTS lst
RPUSH lst a
SDIFFSTORE lst i1 i2
TYPE lst
SMEMBERS lst
SUNIONSTORE i1 i1 i2
SMEMBERS i1
SDIFFSTORE i2 i2 w
SMEMBERS i2
SINTERSTORE i2 i2 i1
SMEMBERS i2
SINTERSTORE x str
SET str v
SINTERSTORE x str
SUNIONSTORE x str
SDIFFSTORE x nosuch str
SINTERSTORE str i1
TYPE str
SDIFFSTORE dd nosuch i1
SUNIONSTORE dd2 i1 i1
SINTERSTORE
SINTERSTORE d
SUNIONSTORE d
SDIFFSTORE d
SINTER
SUNION
SDIFF
SADD v2 1 2 3 4 5 6 7 8 9 10 a
SADD v3 a
SDIFFSTORE r6 v2 v3 v3
OBJECT ENCODING r6
SCARD r6
SDIFFSTORE r7 v2 v3 nosuch
OBJECT ENCODING r7
SMEMBERS r7
SDIFFSTORE r7b v2 v3
OBJECT ENCODING r7b
CONFIG SET set-max-intset-entries 5
SADD big 1 2 3 4 5 6 7 8 9 10
SADD small 1 2 3 4 5 6 7
SDIFFSTORE r8 big small small
OBJECT ENCODING r8
SMEMBERS r8
SDIFFSTORE r9 big small
OBJECT ENCODING r9
SDIFFSTORE r9b big small nosuch nosuch
OBJECT ENCODING r9b
SINTERSTORE r10 big big
OBJECT ENCODING r10
SUNIONSTORE r11 small
OBJECT ENCODING r11
SINTERSTORE r12 small big
OBJECT ENCODING r12
CONFIG SET set-max-intset-entries 512
"#,
    );
}

#[test]
fn hs_sintercard() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(
        &mut p,
        r#"
SADD s 1 2 3 10 20
SADD t a b c
SADD u 1 2 3 a b
SET str x
SINTERCARD 0 s
SINTERCARD -1 s
SINTERCARD abc s
SINTERCARD 2 s
SINTERCARD 1 s LIMIT
SINTERCARD 1 s LIMIT -1
SINTERCARD 1 s LIMIT abc
SINTERCARD 1 s LIMIT 2
SINTERCARD 1 s limit 0
SINTERCARD 1 s foo 2
SINTERCARD 1 s LIMIT 1 LIMIT 3
SINTERCARD 1 s LIMIT 9223372036854775807
SINTERCARD 1 s LIMIT 9223372036854775808
SINTERCARD 2 s nosuch
SINTERCARD 2 s s
SINTERCARD 9223372036854775808 s
SINTERCARD 0 nosuch
SINTERCARD 1 str LIMIT -1
SINTERCARD 2 s str LIMIT -1
SINTERCARD 2 nosuch str
SINTERCARD 2 str nosuch
SINTERCARD 2 s t
SINTERCARD 2 s u
SINTERCARD 2 s u LIMIT 1
SINTERCARD 3 s u s LIMIT 2
SINTERCARD 2 t u
SINTERCARD 1 nosuch
SINTERCARD 1
SINTERCARD
"#,
    );
}

#[test]
fn hs_smove() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(
        &mut p,
        r#"
SADD a 1 2 3
SADD b 3 4
SMOVE a b 1
SMEMBERS a
SMEMBERS b
SMOVE a b 3
SMEMBERS a
SCARD b
SMOVE a a 2
SMOVE a a 9
SMOVE a b 9
SMOVE a c 2
EXISTS a
SMEMBERS c
OBJECT ENCODING c
SMOVE c d x
SADD c x
SMOVE c d x
OBJECT ENCODING d
SMEMBERS d
SMOVE nosuch d x
SMOVE nosuch nosuch x
SET str v
SMOVE c str 2
SMOVE str c 2
SMOVE c str 99
SMOVE nosuch str 99
SMOVE str str 1
SADD e 1 2
SADD f a
SMOVE e f 1
OBJECT ENCODING f
~SMEMBERS f
SMOVE f e a
OBJECT ENCODING e
~SMEMBERS e
CONFIG SET set-max-intset-entries 2
SADD g 1 2
SADD h 5
SMOVE h g 5
OBJECT ENCODING g
CONFIG SET set-max-intset-entries 512
SMOVE a b
SMOVE a b c d
EXPIRE g 100
SMOVE g nosuch2 1
TTL g
TTL nosuch2
"#,
    );
}

#[test]
fn hs_spop_srandmember() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(
        &mut p,
        r#"
SADD s 1 2 3 4 5
SPOP s 0
SPOP s -1
SPOP s abc
SPOP s 1.5
SPOP s 1 2
SPOP s 9223372036854775808
SPOP nosuch
SPOP nosuch 2
SPOP nosuch 0
SPOP nosuch -1
SPOP s 9223372036854775807
EXISTS s
SRANDMEMBER nosuch
SRANDMEMBER nosuch 5
SRANDMEMBER nosuch -5
SRANDMEMBER nosuch 0
SRANDMEMBER nosuch -9223372036854775808
SRANDMEMBER nosuch 9223372036854775808
SRANDMEMBER nosuch abc
SRANDMEMBER nosuch 1 2
SRANDMEMBER nosuch -9223372036854775807
SADD s 1 2 3 4 5
SRANDMEMBER s 0
SRANDMEMBER s 10
SRANDMEMBER s 5
SRANDMEMBER s -9223372036854775808
SRANDMEMBER s 9223372036854775807
SRANDMEMBER s 1 2
SPOP s 5
EXISTS s
SADD one x
SPOP one
EXISTS one
SADD one x
SPOP one 1
EXISTS one
SADD one x
SRANDMEMBER one
SRANDMEMBER one -3
SRANDMEMBER one 3
SPOP one 3
"#,
    );
    // Random content: sizes and membership on both servers.
    fill(&mut p, "SADD", "ints", 300, |i| (i * 7).to_string());
    fill(&mut p, "SADD", "strs", 1000, |i| format!("m{i}"));
    fill(&mut p, "SADD", "few", 8, |i| format!("m{i}"));
    run_lines(
        &mut p,
        "OBJECT ENCODING ints\nOBJECT ENCODING strs\nOBJECT ENCODING few",
    );
    for key in ["ints", "strs", "few"] {
        let (a, _) = both(&mut p, &format!("SMEMBERS {key}"));
        let all = bulk_set(&a);
        let size = all.len();
        for count in [1i64, 2, 3, 7, 100, 299, 999, 5000, -1, -5, -3000] {
            let line = format!("SRANDMEMBER {key} {count}");
            let (a, b) = both(&mut p, &line);
            for r in [&a, &b] {
                assert_eq!(kind(r), b'*', "{line}");
                let got = bulks(r);
                let want = if count > 0 {
                    (count as usize).min(size)
                } else {
                    count.unsigned_abs() as usize
                };
                assert_eq!(got.len(), want, "{line}");
                assert!(got.iter().all(|m| all.contains(m)), "{line}");
                if count > 0 {
                    assert_eq!(bulk_set(r).len(), got.len(), "{line}: repeats");
                }
            }
        }
        let (a, b) = both(&mut p, &format!("SRANDMEMBER {key}"));
        for r in [a, b] {
            let R::Bulk(m) = r else { panic!("{r:?}") };
            assert!(all.contains(&m));
        }
        // SPOP: distinct members, gone afterwards, the rest intact.
        let mut left_ours = all.clone();
        let mut left_theirs = all.clone();
        for count in [None, Some(1), Some(2), Some(size / 4)] {
            let line = match count {
                None => format!("SPOP {key}"),
                Some(n) => format!("SPOP {key} {n}"),
            };
            let (a, b) = both(&mut p, &line);
            for (r, left) in [(&a, &mut left_ours), (&b, &mut left_theirs)] {
                let got = match (count, r) {
                    (None, R::Bulk(m)) => vec![m.clone()],
                    (Some(_), R::Agg(b'*', _)) => bulks(r),
                    other => panic!("{line}: {other:?}"),
                };
                assert_eq!(got.len(), count.unwrap_or(1), "{line}");
                for m in got {
                    assert!(left.remove(&m), "{line}: {m:?} not there");
                }
            }
        }
        let (a, b) = both(&mut p, &format!("SMEMBERS {key}"));
        assert_eq!(bulk_set(&a), left_ours);
        assert_eq!(bulk_set(&b), left_theirs);
        run_lines(&mut p, &format!("SCARD {key}\nOBJECT ENCODING {key}"));
        // The rest in one go deletes the key.
        let (a, b) = both(&mut p, &format!("SPOP {key} 100000"));
        assert_eq!(bulk_set(&a), left_ours);
        assert_eq!(bulk_set(&b), left_theirs);
        run_lines(&mut p, &format!("EXISTS {key}\nSCARD {key}"));
    }
}

#[test]
fn hs_sscan() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(
        &mut p,
        r#"
SADD s 1 2 3 10 20
SSCAN s 0 MATCH 1*
SSCAN s 0 COUNT 0
SSCAN s 0 COUNT 1
SSCAN s 0 TYPE set
SSCAN nosuch 0 TYPE set
SSCAN nosuch x
SSCAN s x
SSCAN s -1
SSCAN s 0
SSCAN s 0 MATCH
SSCAN s 0 COUNT 2 MATCH *0
SADD t a b c
SSCAN t 0 MATCH a
SSCAN t 0 MATCH z
~SSCAN t 0 MATCH * COUNT 100
SSCAN t 0 COUNT abc
"#,
    );
    fill(&mut p, "SADD", "big", 3000, |i| format!("m{i}"));
    fill(&mut p, "SADD", "bigint", 1000, |i| i.to_string());
    run_lines(&mut p, "OBJECT ENCODING bigint");
    for key in ["big", "bigint"] {
        for opts in [
            "",
            "COUNT 1",
            "COUNT 33",
            "COUNT 10000",
            "MATCH m1*",
            "MATCH *5 COUNT 20",
        ] {
            let (ours, _) = scan_all(&mut p.a, &format!("SSCAN {key}"), opts);
            let (theirs, _) = scan_all(&mut p.b, &format!("SSCAN {key}"), opts);
            let a: BTreeSet<_> = ours.iter().cloned().collect();
            let b: BTreeSet<_> = theirs.iter().cloned().collect();
            assert_eq!(a, b, "SSCAN {key} {opts}");
            assert_eq!(a.len(), ours.len(), "SSCAN {key} {opts}: duplicates");
        }
    }
    let r = send(&mut p.a, &args_of("SSCAN big 0 COUNT 100"));
    let n = bulks(&items(&r)[1]).len();
    assert!((80..=160).contains(&n), "members per call {n}");
}

// ---------------------------------------------------------------------
// RESP3 and big collections
// ---------------------------------------------------------------------

#[test]
fn hs_resp3() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(
        &mut p,
        r#"
?HELLO 3
SADD s 1 2 3 4 5 6 7 8 9 10
SADD t a
SMEMBERS s
SMEMBERS nosuch
SMEMBERS t
SINTER s
SINTER s t
SUNION s
SDIFF s
SINTER nosuch s
SUNION nosuch
SDIFF nosuch
SINTERCARD 1 s
SISMEMBER s 1
SMISMEMBER s 1 x
SRANDMEMBER s 20
SRANDMEMBER s 0
SRANDMEMBER nosuch 5
SRANDMEMBER nosuch
SRANDMEMBER t
SRANDMEMBER t 1
SRANDMEMBER t -2
SPOP nosuch
SPOP nosuch 3
SPOP s 0
SPOP t 5
SPOP s 100
SSCAN s 0
SSCAN nosuch 0
HSET h a 1 b 2 c 3
HGETALL h
HGETALL nosuch
HKEYS h
HVALS h
HMGET h a z
HGET h z
HEXISTS h a
HRANDFIELD h 5 WITHVALUES
HRANDFIELD h 3
HRANDFIELD h 0 WITHVALUES
HRANDFIELD nosuch 2 WITHVALUES
HRANDFIELD nosuch
?HRANDFIELD h 2 WITHVALUES
?HRANDFIELD h -2 WITHVALUES
?HRANDFIELD h 1 WITHVALUES
HSCAN h 0
HSCAN nosuch 0
HINCRBYFLOAT h a 1.5
HINCRBY h b 1
SET str x
HGETALL str
SMEMBERS str
SADD sp 1 2 3 4 5 6
"#,
    );
    for line in [
        "HRANDFIELD h 2 WITHVALUES",
        "HRANDFIELD h -5 WITHVALUES",
        "HRANDFIELD h 1 WITHVALUES",
    ] {
        let (a, b) = both(&mut p, line);
        for r in [&a, &b] {
            for pair in items(r) {
                let kv = bulks(&pair);
                assert_eq!(kv.len(), 2, "{line}");
                assert_eq!(kv[0].len(), 1, "{line}");
            }
        }
        assert_eq!(items(&a).len(), items(&b).len(), "{line}");
    }
    let (a, b) = both(&mut p, "SPOP sp 2");
    assert_eq!(kind(&a), b'~');
    assert_eq!(items(&a).len(), items(&b).len());
    // Tables: RESP3 maps and sets in table order.
    fill(&mut p, "HSET", "bh", 600, |i| format!("f{i} {i}"));
    same_map(&mut p, "HGETALL bh");
    fill(&mut p, "SADD", "bs", 600, |i| format!("m{i}"));
    same_members(&mut p, "SMEMBERS bs");
    same_members(&mut p, "SUNION bs s");
    same_members(&mut p, "SDIFF bs s");
}

#[test]
fn hs_big_collections() {
    let Some(mut p) = Pair::start() else { return };
    fill(&mut p, "HSET", "h", 5000, |i| {
        format!("field:{i} value:{}", i * 3)
    });
    run_lines(
        &mut p,
        r#"
HLEN h
OBJECT ENCODING h
HGET h field:4321
HSTRLEN h field:4321
HEXISTS h field:4999
HEXISTS h field:5000
HMGET h field:0 field:1 nope field:4999
HINCRBY h field:10 5
HINCRBYFLOAT h field:11 0.5
HSETNX h field:12 x
HDEL h field:13 field:14 nope
HLEN h
"#,
    );
    same_map(&mut p, "HGETALL h");
    same_members(&mut p, "HKEYS h");
    same_members(&mut p, "HVALS h");
    // Delete all but a few: still a table, still right.
    let mut line = "HDEL h".to_string();
    for i in 0..4990 {
        line.push_str(&format!(" field:{i}"));
    }
    run_lines(&mut p, &format!("{line}\nHLEN h\nOBJECT ENCODING h"));
    same_map(&mut p, "HGETALL h");
    let mut line = "HDEL h".to_string();
    for i in 4990..5000 {
        line.push_str(&format!(" field:{i}"));
    }
    run_lines(&mut p, &format!("{line}\nEXISTS h\nHLEN h"));

    fill(&mut p, "SADD", "a", 4000, |i| format!("m{i}"));
    fill(&mut p, "SADD", "b", 3000, |i| format!("m{}", i * 2));
    fill(&mut p, "SADD", "n", 600, |i| (i * 3).to_string());
    fill(&mut p, "SADD", "n2", 400, |i| (i * 2).to_string());
    run_lines(
        &mut p,
        r#"
SCARD a
OBJECT ENCODING n
OBJECT ENCODING n2
SINTERCARD 2 a b
SINTERCARD 2 a b LIMIT 10
SINTERCARD 2 n n2
SINTERSTORE ab a b
SUNIONSTORE aub a b
SDIFFSTORE amb a b
SDIFFSTORE bma b a
SCARD ab
SCARD aub
SCARD amb
SCARD bma
SINTER n n2
SINTERSTORE nn n n2
OBJECT ENCODING nn
SUNIONSTORE nun n n2
OBJECT ENCODING nun
SDIFFSTORE nmn n n2
OBJECT ENCODING nmn
SMISMEMBER a m0 m3999 m4000 x
SREM a m0 m1 m2 nope
SCARD a
"#,
    );
    for line in [
        "SMEMBERS a",
        "SINTER a b",
        "SUNION a b",
        "SDIFF a b",
        "SDIFF b a",
        "SUNION n n2",
        "SDIFF n n2",
        "SMEMBERS ab",
        "SMEMBERS nun",
        "SINTER a n",
        "SUNION a n",
    ] {
        same_members(&mut p, line);
    }
    run_lines(&mut p, "SINTER n2 n\nSMEMBERS n2");
}

#[test]
fn hs_expired_keys_and_types() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(
        &mut p,
        r#"
HSET h a 1
PEXPIRE h 1
SADD s 1
PEXPIRE s 1
"#,
    );
    std::thread::sleep(std::time::Duration::from_millis(20));
    run_lines(
        &mut p,
        r#"
HGET h a
HLEN h
SCARD s
SISMEMBER s 1
HSET h b 2
HGETALL h
SADD s 2
SMEMBERS s
TTL h
TTL s
HSET h2 a 1
EXPIRE h2 100
HSET h2 b 2
TTL h2
HDEL h2 a b
TTL h2
SADD s2 1
EXPIRE s2 100
SADD s2 2
TTL s2
SREM s2 1 2
EXISTS s2
TYPE h
TYPE s
"#,
    );
}

#[test]
fn hs_command_rows() {
    let Some(mut p) = Pair::start() else { return };
    let names = [
        "hset",
        "hsetnx",
        "hget",
        "hmget",
        "hmset",
        "hdel",
        "hlen",
        "hstrlen",
        "hexists",
        "hkeys",
        "hvals",
        "hgetall",
        "hincrby",
        "hincrbyfloat",
        "hrandfield",
        "hscan",
        "sadd",
        "srem",
        "sismember",
        "smismember",
        "smembers",
        "scard",
        "spop",
        "srandmember",
        "smove",
        "sinter",
        "sintercard",
        "sunion",
        "sdiff",
        "sinterstore",
        "sunionstore",
        "sdiffstore",
        "sscan",
    ];
    for n in names {
        run_lines(
            &mut p,
            &format!("COMMAND INFO {n}\nCOMMAND INFO {}", n.to_uppercase()),
        );
    }
    run_lines(
        &mut p,
        r#"
COMMAND GETKEYS HSET h a 1
COMMAND GETKEYS HMGET h a b
COMMAND GETKEYS SMOVE a b m
COMMAND GETKEYS SINTER a b c
COMMAND GETKEYS SINTERSTORE d a b
COMMAND GETKEYS SUNIONSTORE d a
COMMAND GETKEYS SDIFF a
COMMAND GETKEYS HSCAN h 0 MATCH *
HSET h a 1 b
hset h a
Hset h a 1
sAdD s 1
"#,
    );
}

/// keyspace_hits and keyspace_misses from INFO stats.
fn hits_misses(raw: &mut super::common::Raw) -> (i64, i64) {
    let R::Bulk(text) = send(raw, &args_of("INFO stats")) else {
        panic!("INFO")
    };
    let text = String::from_utf8(text).unwrap();
    let field = |name: &str| -> i64 {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("{name} missing"))
    };
    (field("keyspace_hits:"), field("keyspace_misses:"))
}

#[test]
fn hs_keyspace_stats() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(&mut p, "HSET h a 1\nSADD s 1 2\nSET str x");
    let lines = [
        "HGET h a",
        "HGET nosuch a",
        "HMGET h a",
        "HLEN nosuch",
        "HSTRLEN h a",
        "HEXISTS h a",
        "HKEYS h",
        "HVALS h",
        "HGETALL nosuch",
        "HINCRBY h n 1",
        "HINCRBYFLOAT h f 1",
        "HSETNX h a 2",
        "HDEL h zz",
        "HDEL nosuch zz",
        "HRANDFIELD h",
        "HRANDFIELD nosuch 2",
        "HSCAN h 0",
        "HSCAN nosuch 0",
        "HSET h2 a 1",
        "HGET str a",
        "SREM s 9",
        "SISMEMBER s 1",
        "SISMEMBER nosuch 1",
        "SMISMEMBER s 1",
        "SMEMBERS s",
        "SCARD s",
        "SPOP nosuch",
        "SPOP nosuch 2",
        "SRANDMEMBER s",
        "SRANDMEMBER nosuch 2",
        "SMOVE s nosuch2 1",
        "SMOVE nosuch3 s 1",
        "SINTER s nosuch",
        "SUNION s nosuch",
        "SDIFF s nosuch",
        "SINTERSTORE d s nosuch",
        "SUNIONSTORE d s nosuch",
        "SDIFFSTORE d s nosuch",
        "SINTERCARD 2 s nosuch",
        "SSCAN s 0",
        "SSCAN nosuch 0",
        "SADD s2 x",
        "SCARD str",
    ];
    for line in lines {
        let args = args_of(line);
        let (h0, m0) = hits_misses(&mut p.a);
        let (h1, m1) = hits_misses(&mut p.b);
        send(&mut p.a, &args);
        send(&mut p.b, &args);
        let (h2, m2) = hits_misses(&mut p.a);
        let (h3, m3) = hits_misses(&mut p.b);
        assert_eq!(
            (h2 - h0, m2 - m0),
            (h3 - h1, m3 - m1),
            "{line}: (hits, misses)"
        );
    }
}
