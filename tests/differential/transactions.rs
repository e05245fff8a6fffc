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
