//! DEBUG against redis-server 7.0.15 (both with enable-debug-command yes):
//! DIGEST and DIGEST-VALUE give Redis's digest for every type in every
//! encoding, with TTLs and several databases (the replication checks rely
//! on it); PROTOCOL's samples in RESP2 and RESP3; the argument errors.

use super::{Cmp, Pair, run_lines, split_line};

const CASES: &str = r#"
FLUSHALL
DEBUG DIGEST
SET s hello
SET n 12345
SET big 12345678901234567890
APPEND raw x
RPUSH l a b c 1 2 3
HSET h f1 v1 f2 v2 3 4
SADD si 1 2 3 -5
SADD ss a b c
ZADD z 1 a 2.5 b -3 c 1e100 d
XADD x 1-1 f v g w
XADD x 2-0 f v2
SET e val EX 1000
DEBUG DIGEST
DEBUG DIGEST-VALUE s n big raw l h si ss z x e nokey
DEBUG DIGEST-VALUE
CONFIG SET zset-max-listpack-entries 0
CONFIG SET hash-max-listpack-entries 0
CONFIG SET set-max-intset-entries 0
CONFIG SET list-max-listpack-size 1
ZADD z2 1 a 2.5 b -3 c 1e100 d
HSET h2 f1 v1 f2 v2 3 4
SADD si2 1 2 3 -5
RPUSH l2 a b c 1 2 3
DEBUG DIGEST-VALUE z2 h2 si2 l2
SELECT 3
SET s hello
DEBUG DIGEST
SELECT 0
DEBUG PROTOCOL string
DEBUG PROTOCOL integer
DEBUG PROTOCOL double
DEBUG PROTOCOL bignum
DEBUG PROTOCOL null
DEBUG PROTOCOL array
DEBUG PROTOCOL set
DEBUG PROTOCOL map
DEBUG PROTOCOL attrib
DEBUG PROTOCOL true
DEBUG PROTOCOL false
DEBUG PROTOCOL verbatim
DEBUG PROTOCOL push
DEBUG PROTOCOL nosuch
DEBUG OBJECT nokey
DEBUG NOSUCH
DEBUG SLEEP
DEBUG SLEEP 0
DEBUG SLEEP junk
DEBUG PAUSE-CRON 0
DEBUG CHANGE-REPL-ID
DEBUG QUICKLIST-PACKED-THRESHOLD 100
DEBUG QUICKLIST-PACKED-THRESHOLD abc
"#;

#[test]
fn debug_digest_and_protocol() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(&mut p, CASES);
    p.check(&split_line("HELLO 3"), Cmp::SameType);
    for t in [
        "double", "bignum", "null", "set", "map", "attrib", "true", "false", "verbatim",
    ] {
        p.check(&split_line(&format!("DEBUG PROTOCOL {t}")), Cmp::Exact);
    }
}
