//! What reaches the AOF, op by op: the propagation path of Redis 7.0
//! (one queue per execution unit, MULTI/EXEC around several ops, EXEC
//! never logged for itself, expired keys as DEL or UNLINK, blocked clients'
//! serves as the pops they did). Each expectation was read off a real
//! redis-server 7.0.15 AOF for the same commands.

use super::{start_with_aof, tmpdir};
use crate::common::{Raw, wait_for};
use std::time::Duration;

/// Parse an AOF made of RESP arrays into argvs.
fn parse_aof(bytes: &[u8]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut pos = 0;
    let line = |pos: &mut usize| -> String {
        let end = bytes[*pos..]
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("line end")
            + *pos;
        let l = String::from_utf8_lossy(&bytes[*pos..end]).into_owned();
        *pos = end + 2;
        l
    };
    while pos < bytes.len() {
        let head = line(&mut pos);
        let n: usize = head.strip_prefix('*').expect("array").parse().unwrap();
        let mut argv = Vec::new();
        for _ in 0..n {
            let len: usize = line(&mut pos)
                .strip_prefix('$')
                .expect("bulk")
                .parse()
                .unwrap();
            argv.push(String::from_utf8_lossy(&bytes[pos..pos + len]).into_owned());
            pos += len + 2;
        }
        out.push(argv);
    }
    out
}

/// The AOF's commands after the first `n` (setup), upper-cased names, a
/// PXAT/EXAT timestamp replaced by "T", SELECTs kept.
fn ops_since(path: &std::path::Path, n: usize) -> Vec<String> {
    let text = std::fs::read(path).unwrap();
    parse_aof(&text)
        .into_iter()
        .skip(n)
        .map(|mut argv| {
            argv[0] = argv[0].to_uppercase();
            for i in 1..argv.len() {
                if argv[i - 1].eq_ignore_ascii_case("pxat") {
                    argv[i] = "T".into();
                }
            }
            argv.join(" ")
        })
        .collect()
}

fn aof_len(path: &std::path::Path) -> usize {
    parse_aof(&std::fs::read(path).unwrap()).len()
}

/// Wait until the server's clock is past `pttl_ms` from now, without
/// touching any key (a lookup would expire it lazily).
fn wait_server_ms(r: &mut Raw, ms: u64) {
    let now = |r: &mut Raw| -> u64 {
        let t = r.q("TIME");
        let parts: Vec<&str> = t.split("\r\n").collect();
        let secs: u64 = parts[2].parse().unwrap();
        let us: u64 = parts[4].parse().unwrap();
        secs * 1000 + us / 1000
    };
    let until = now(r) + ms + 1;
    assert!(wait_for(Duration::from_secs(5), || now(r) > until));
}

#[test]
fn transactions_and_lazy_expiry_propagate_as_redis() {
    let dir = tmpdir("aof-prop");
    let path = dir.join("data.aof");
    let s = start_with_aof(&path, "always");
    let mut r = s.raw();
    assert_eq!(r.q("DEBUG SET-ACTIVE-EXPIRE 0"), "+OK\r\n");
    assert_eq!(r.q("SET warm 1"), "+OK\r\n");
    let base = aof_len(&path);

    // EXEC is logged once, around the transaction's writes.
    r.send(b"MULTI\r\nSET a 1\r\nINCR n\r\nEXEC\r\n");
    for _ in 0..4 {
        r.read_reply();
    }
    assert_eq!(
        ops_since(&path, base),
        ["MULTI", "SET a 1", "INCR n", "EXEC"]
    );
    // One write inside MULTI is atomic alone: no wrapper.
    let base = aof_len(&path);
    r.send(b"MULTI\r\nSET b 1\r\nGET a\r\nEXEC\r\n");
    for _ in 0..4 {
        r.read_reply();
    }
    assert_eq!(ops_since(&path, base), ["SET b 1"]);
    // A transaction that writes nothing logs nothing.
    let base = aof_len(&path);
    r.send(b"MULTI\r\nGET a\r\nEXEC\r\n");
    for _ in 0..3 {
        r.read_reply();
    }
    assert_eq!(aof_len(&path), base);

    // A write that finds its key expired: the DEL and the write together.
    r.q("SET e 1 PX 20");
    let base = aof_len(&path);
    wait_server_ms(&mut r, 20);
    assert_eq!(r.q("SET e 2"), "+OK\r\n");
    assert_eq!(
        ops_since(&path, base),
        ["MULTI", "DEL e", "SET e 2", "EXEC"]
    );

    // A read that finds one expired key: the DEL alone.
    r.q("SET x 1 PX 20");
    let base = aof_len(&path);
    wait_server_ms(&mut r, 20);
    assert_eq!(r.q("GET x"), "$-1\r\n");
    assert_eq!(ops_since(&path, base), ["DEL x"]);

    // A read that finds two: both DELs, wrapped.
    r.q("SET m1 1 PX 20");
    r.q("SET m2 1 PX 20");
    let base = aof_len(&path);
    wait_server_ms(&mut r, 20);
    assert_eq!(r.q("EXISTS m1 m2"), ":0\r\n");
    assert_eq!(
        ops_since(&path, base),
        ["MULTI", "DEL m1", "DEL m2", "EXEC"]
    );

    // SCAN may touch any key: its deletions are never wrapped.
    r.q("SET s1 1 PX 20");
    r.q("SET s2 1 PX 20");
    let base = aof_len(&path);
    wait_server_ms(&mut r, 20);
    r.q("SCAN 0 COUNT 1000");
    let mut ops = ops_since(&path, base);
    ops.sort();
    assert_eq!(ops, ["DEL s1", "DEL s2"]);

    // Inside a transaction, the DEL joins the transaction's ops.
    r.q("SET q1 1 PX 20");
    let base = aof_len(&path);
    wait_server_ms(&mut r, 20);
    r.send(b"MULTI\r\nGET q1\r\nSET q2 1\r\nEXEC\r\n");
    for _ in 0..4 {
        r.read_reply();
    }
    assert_eq!(
        ops_since(&path, base),
        ["MULTI", "DEL q1", "SET q2 1", "EXEC"]
    );

    // lazyfree-lazy-expire turns the DEL into UNLINK.
    assert_eq!(r.q("CONFIG SET lazyfree-lazy-expire yes"), "+OK\r\n");
    r.q("SET z 1 PX 20");
    let base = aof_len(&path);
    wait_server_ms(&mut r, 20);
    assert_eq!(r.q("GET z"), "$-1\r\n");
    assert_eq!(ops_since(&path, base), ["UNLINK z"]);
    assert_eq!(r.q("CONFIG SET lazyfree-lazy-expire no"), "+OK\r\n");

    // Active expiry: one DEL per key, never wrapped.
    assert_eq!(r.q("DEBUG SET-ACTIVE-EXPIRE 1"), "+OK\r\n");
    r.q("SET act1 1 PX 10");
    r.q("SET act2 1 PX 10");
    let base = aof_len(&path);
    assert!(wait_for(Duration::from_secs(5), || aof_len(&path) >= base + 2));
    let mut ops = ops_since(&path, base);
    ops.sort();
    assert_eq!(ops, ["DEL act1", "DEL act2"]);
    drop(s);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn served_blocked_clients_propagate_their_pops() {
    let dir = tmpdir("aof-block");
    let path = dir.join("data.aof");
    let s = start_with_aof(&path, "always");
    let mut r = s.raw();
    r.q("SET warm 1");
    let mut waiter = s.raw();
    let mut zwaiter = s.raw();
    let mut mover = s.raw();
    waiter.send_cmd(&[b"BLPOP", b"L", b"0"]);
    zwaiter.send_cmd(&[b"BZPOPMIN", b"Z", b"0"]);
    mover.send_cmd(&[b"BLMOVE", b"M", b"D", b"LEFT", b"RIGHT", b"0"]);
    assert!(wait_for(Duration::from_secs(5), || r
        .q("INFO clients")
        .contains("blocked_clients:3\r\n")));
    let base = aof_len(&path);
    assert_eq!(r.q("RPUSH L a b"), ":2\r\n");
    assert_eq!(waiter.read_reply(), b"*2\r\n$1\r\nL\r\n$1\r\na\r\n");
    assert_eq!(r.q("ZADD Z 1 m 2 n"), ":2\r\n");
    assert_eq!(
        zwaiter.read_reply(),
        b"*3\r\n$1\r\nZ\r\n$1\r\nm\r\n$1\r\n1\r\n"
    );
    assert_eq!(r.q("LPUSH M x"), ":1\r\n");
    assert_eq!(mover.read_reply(), b"$1\r\nx\r\n");
    assert_eq!(
        ops_since(&path, base),
        [
            "RPUSH L a b",
            "LPOP L",
            "ZADD Z 1 m 2 n",
            "ZPOPMIN Z",
            "LPUSH M x",
            "LMOVE M D LEFT RIGHT"
        ]
    );
    assert!(r.q("INFO clients").contains("blocked_clients:0\r\n"));
    drop(s);
    let _ = std::fs::remove_dir_all(dir);
}

/// A script goes out as its effects, never as EVAL: several writes inside
/// MULTI/EXEC, one alone, none as nothing; SELECTs where the script chose
/// another database; redis.set_repl(REPL_NONE) keeps later writes out.
/// (Read off redis-server 7.0.15's AOF for the same scripts.)
#[test]
fn scripts_propagate_as_their_effects() {
    let dir = tmpdir("aof-prop-lua");
    let path = dir.join("data.aof");
    let s = start_with_aof(&path, "always");
    let mut r = s.raw();
    assert_eq!(r.q("SET warm 1"), "+OK\r\n");
    let eval = |r: &mut Raw, script: &str| {
        let base = aof_len(&path);
        r.cmd(&[b"EVAL", script.as_bytes(), b"0"]);
        ops_since(&path, base)
    };
    assert_eq!(
        eval(
            &mut r,
            "redis.call('set','a','1') redis.call('incr','n') return 1"
        ),
        ["MULTI", "SET a 1", "INCR n", "EXEC"]
    );
    assert_eq!(
        eval(&mut r, "return redis.call('set','b','1')"),
        ["SET b 1"]
    );
    assert!(eval(&mut r, "return redis.call('get','a')").is_empty());
    assert_eq!(
        eval(
            &mut r,
            "redis.call('select','3') redis.call('set','c','1') redis.call('select','0') redis.call('set','d','1') return 1"
        ),
        [
            "SELECT 3", "MULTI", "SET c 1", "SELECT 0", "SET d 1", "EXEC"
        ]
    );
    assert!(
        eval(
            &mut r,
            "redis.set_repl(redis.REPL_NONE) redis.call('set','e','1') return 1"
        )
        .is_empty()
    );
    assert_eq!(
        eval(
            &mut r,
            "redis.call('set','f','1') redis.set_repl(redis.REPL_NONE) redis.call('set','g','1') return 1"
        ),
        ["SET f 1"]
    );
    assert_eq!(
        eval(&mut r, "return redis.call('set','h','1','ex','100')"),
        ["SET h 1 PXAT T"]
    );
    assert_eq!(
        eval(
            &mut r,
            "return redis.pcall('incr','a') and redis.call('incr','a')"
        ),
        ["MULTI", "INCR a", "INCR a", "EXEC"]
    );
    drop(s);
    let _ = std::fs::remove_dir_all(dir);
}
