//! SORT and SORT_RO against redis-server 7.0.15: numeric and ALPHA sorts,
//! BY patterns (string keys, hash fields, constants), GET patterns (`#`,
//! missing keys, hash fields), LIMIT edge cases, DESC, STORE (and the
//! empty result that deletes), the native order of lists and sorted sets
//! under a constant BY, sets made deterministic for scripts and STORE, and
//! every error. A set's own order is unspecified, so sorts of sets that do
//! not sort compare as multisets (`~`).

use super::{Pair, run_lines};

const CASES: &str = r#"
COMMAND INFO sort sort_ro
COMMAND GETKEYS SORT abc
COMMAND GETKEYS SORT abc STORE def
COMMAND GETKEYS SORT abc STORE def GET x STORE x2 LIMIT 1 2 BY store
COMMAND GETKEYS SORT abc GET store STORE
COMMAND GETKEYS SORT_RO abc GET x
FLUSHALL
RPUSH l 3 1 2 10 -5 1.5 2
SORT l
SORT l DESC
SORT l ALPHA
SORT l ALPHA DESC
SORT l LIMIT 0 3
SORT l LIMIT 2 3
SORT l LIMIT 5 10
SORT l LIMIT 10 3
SORT l LIMIT -1 3
SORT l LIMIT 1 -1
SORT l LIMIT 0 0
SORT l LIMIT 1 abc
SORT l LIMIT 1
SORT l FOO
SORT l BY nosort
SORT l BY nosort DESC
SORT l BY nosort LIMIT 1 3
SORT l BY nosort DESC LIMIT 1 3
SORT l BY nosort LIMIT 6 5
SORT l BY nosort LIMIT 7 5
SET w_3 30
SET w_1 10
SET w_2 5
SET w_10 -1
HSET h_1 f 9 g b
HSET h_2 f 1 g a
HSET h_3 f 4 g c
SORT l BY w_*
SORT l BY w_* DESC
SORT l BY w_* LIMIT 1 2
SORT l BY w_* ALPHA
SORT l BY h_*->f
SORT l BY h_*->g ALPHA
SORT l BY h_*->g ALPHA DESC
SORT l BY h_*->
SORT l GET #
SORT l GET w_*
SORT l GET # GET w_* GET h_*->g
SORT l GET nostar
SORT l GET h_*->nofield
SORT l BY w_* GET # GET h_*->f LIMIT 0 4
SORT l STORE dst
LRANGE dst 0 -1
SORT l BY w_* GET # GET w_* STORE dst2
LRANGE dst2 0 -1
SET dst3 x
EXPIRE dst3 100
SORT l LIMIT 0 2 STORE dst3
TYPE dst3
TTL dst3
SORT nokey STORE dst3
EXISTS dst3
SORT nokey
SORT nokey ALPHA LIMIT 0 5
SORT_RO l
SORT_RO l STORE x
SORT_RO l BY w_* GET #
RPUSH bad 1 x 2
SORT bad
SORT bad ALPHA
SORT bad STORE dst4
EXISTS dst4
RPUSH f 1e2 0x10 " 7" "" inf -inf 3.0
SORT f
SET str x
SORT str
HSET hh a b
SORT hh
ZADD z 3 c 1 a 2 b 5 e 4 d
SORT z ALPHA
SORT z BY nosort
SORT z BY nosort DESC
SORT z BY nosort LIMIT 1 2
SORT z BY nosort DESC LIMIT 1 2
SORT z BY nosort LIMIT 4 5
SORT z BY nosort LIMIT 9 5
SADD s 5 3 9 1
SORT s
SORT s DESC
~SORT s BY nosort
SORT s BY nosort STORE sdst
LRANGE sdst 0 -1
SADD sa b c a
SORT sa ALPHA
SORT sa ALPHA STORE sadst
LRANGE sadst 0 -1
EVAL "return redis.call('sort', KEYS[1], 'by', 'nosort')" 1 sa
EVAL "return redis.call('sort', KEYS[1], 'by', 'nosort')" 1 s
RPUSH ties 2 1 2 1 b a
SORT ties ALPHA
RPUSH nul "a\x00b" "a\x00a" "a"
SORT nul ALPHA
SORT nul ALPHA STORE nuldst
LRANGE nuldst 0 -1
"#;

#[test]
fn sort_cases() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(&mut p, CASES);
    run_lines(&mut p, "?HELLO 3");
    run_lines(&mut p, CASES);
}
