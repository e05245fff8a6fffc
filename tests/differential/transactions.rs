//! Differential cases for MULTI/EXEC/DISCARD/WATCH on one connection.

use super::{Pair, run_lines};

#[test]
fn tx_multi_exec_discard_and_errors() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(
        &mut p,
        r#"
EXEC
DISCARD
MULTI
MULTI
SET a 1
INCR a
LPUSH a x
GET a
EXEC
GET a
MULTI
SET b 1
nosuchcommand
GET
EXEC
GET b
MULTI
SET c 1
DISCARD
GET c
MULTI
WATCH a
EXEC
MULTI
EXEC
MULTI
BLPOP emptylist 0
BRPOP emptylist 10
BLMOVE emptylist d LEFT LEFT 0
BLMPOP 0 1 emptylist LEFT
EXEC
MULTI
SET t v EX 100
INCRBYFLOAT f 1.5
EXPIRE t 200
EXEC
TTL t
MULTI
PING
ECHO x
SELECT 1
SET indb1 x
SELECT 0
EXEC
GET indb1
SELECT 1
GET indb1
SELECT 0
MULTI
RESET
EXEC
"#,
    );
}

#[test]
fn tx_watch_on_one_connection() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(
        &mut p,
        r#"
SET w 1
WATCH w
SET w 2
MULTI
INCR w
EXEC
GET w
WATCH w
MULTI
INCR w
EXEC
WATCH w nosuch
UNWATCH
SET w 5
MULTI
INCR w
EXEC
WATCH nosuch
SET nosuch x
MULTI
PING
EXEC
WATCH w
DEL w
MULTI
PING
EXEC
SET w 1
WATCH w
FLUSHDB
MULTI
PING
EXEC
WATCH gone
FLUSHDB
MULTI
PING
EXEC
SET x 1
WATCH x
SWAPDB 0 1
MULTI
PING
EXEC
WATCH x
EXPIRE x 100
MULTI
PING
EXEC
SET y 1 EX 1000
WATCH y
PERSIST y
MULTI
PING
EXEC
WATCH y
GET y
MULTI
PING
EXEC
"#,
    );
}

/// A refused EXEC discards the transaction with EXECABORT and the reason;
/// a key already expired when watched and then lazily deleted is no
/// change.
#[test]
fn tx_refused_exec_and_watched_expired_keys() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(
        &mut p,
        r#"
EXEC x
MULTI
SET a 1
EXEC x
EXEC
GET a
DEBUG SET-ACTIVE-EXPIRE 0
SET w 1 PX 1
DEBUG SLEEP 0.01
WATCH w
GET w
MULTI
PING
EXEC
SET w2 1 PX 1
DEBUG SLEEP 0.01
WATCH w2
EXISTS w2
SET w2 back
MULTI
PING
EXEC
DEBUG SET-ACTIVE-EXPIRE 1
SET w3 1
WATCH w3
COPY w3 dst
COPY w3 w3 DB 1
SWAPDB 0 0
SINTERSTORE out w3
MULTI
PING
EXEC
SET k v
PEXPIREAT k 9223372036854775806
EXPIRETIME k
PEXPIRETIME k
TTL k
BLMPOP abc 0 l LEFT
BLMPOP abc 1 l FOO
BLMPOP k a b c d e f
BLMPOP x 1 l LEFT
CLIENT UNBLOCK 1 2 3
CLIENT UNBLOCK 1 foo
CLIENT UNBLOCK x
CLIENT PAUSE 0 FOO
CLIENT PAUSE 0 write x
CLIENT PAUSE abc
CLIENT PAUSE -1
ZADD s -0 m1
ZADD s 1 mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm
ZADD s -0 m2
ZRANGESTORE d s 0 -1
ZSCORE d m1
ZSCORE d m2
OBJECT ENCODING d
ZRANGESTORE d2 s 0 -1 REV
ZSCORE d2 m2
"#,
    );
}

/// A pop that names several keys changes only the one it pops from, and
/// DEL only the keys that were there: a WATCH on the others survives.
#[test]
fn tx_multi_key_pops_touch_only_the_key_popped() {
    let Some(mut p) = Pair::start() else { return };
    let (mut oa, mut ob) = p.connect_more();
    for pop in [
        "BRPOP src watched 0.001",
        "BLMPOP 0.001 2 src watched LEFT",
        "LMPOP 2 src watched RIGHT",
        "BZPOPMIN zsrc zwatched 0.001",
        "ZMPOP 2 zsrc zwatched MIN",
        "DEL src missing",
        "UNLINK zsrc missing",
    ] {
        run_lines(
            &mut p,
            "FLUSHALL\nRPUSH src a b\nRPUSH watched x\nZADD zsrc 1 a\nZADD zwatched 1 x\nWATCH watched zwatched missing",
        );
        let argv = super::split_line(pop);
        let refs: Vec<&[u8]> = argv.iter().map(|a| a.as_slice()).collect();
        assert_eq!(oa.cmd(&refs), ob.cmd(&refs), "{pop}");
        run_lines(&mut p, "MULTI\nGET k\nEXEC");
    }
}
