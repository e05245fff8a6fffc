//! Differential cases for the list family (blocking forms included, in
//! their non-blocking paths and argument errors).

use super::{Pair, run_lines};

#[test]
fn lists_push_pop_range() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(
        &mut p,
        r#"
LPUSH l a b c
RPUSH l d e
LRANGE l 0 -1
LRANGE l 1 2
LRANGE l -2 -1
LRANGE l 5 1
LRANGE l -100 100
LRANGE l 100 200
LRANGE l 0 abc
LRANGE nosuch 0 -1
LLEN l
LLEN nosuch
OBJECT ENCODING l
TYPE l
LPUSHX l x
RPUSHX l y
LPUSHX nosuch x
RPUSHX nosuch x
EXISTS nosuch
LPOP l
RPOP l
LPOP l 2
RPOP l 2
LPOP l 0
RPOP l 0
LPOP l -1
LPOP l abc
LPOP l 1 2
LRANGE l 0 -1
LPOP l 100
EXISTS l
LPOP l
LPOP l 2
RPOP nosuch 2
SET s v
LPUSH s x
RPUSH s x
LPUSHX s x
LPOP s
RPOP s 2
LLEN s
LRANGE s 0 -1
LINDEX s 0
LPUSH
LPUSH l
RPUSH l "" " " "a b"
LRANGE l 0 -1
"#,
    );
}

#[test]
fn lists_index_set_insert_rem_trim() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(
        &mut p,
        r#"
RPUSH l a b c a b c a
LINDEX l 0
LINDEX l -1
LINDEX l 100
LINDEX l -100
LINDEX l abc
LINDEX nosuch abc
LINDEX nosuch 0
LSET l 0 A
LSET l -1 Z
LSET l 100 x
LSET l abc x
LSET nosuch 0 x
LSET nosuch abc x
LRANGE l 0 -1
LINSERT l BEFORE b X
LINSERT l AFTER c Y
LINSERT l AFTER nosuchpivot Y
LINSERT l MIDDLE c Y
LINSERT nosuch BEFORE a b
LRANGE l 0 -1
LREM l 1 b
LREM l -1 c
LREM l 0 a
LREM l 0 zzz
LREM l abc a
LREM nosuch 0 a
LRANGE l 0 -1
RPUSH t 1 2 3 4 5 6 7 8 9
LTRIM t 1 -2
LRANGE t 0 -1
LTRIM t -3 -1
LRANGE t 0 -1
LTRIM t 5 1
EXISTS t
LTRIM nosuch 0 1
LTRIM t abc 1
SET s v
LINSERT s BEFORE a b
LREM s 0 a
LTRIM s 0 1
LSET s 0 x
"#,
    );
}

#[test]
fn lists_lpos() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(
        &mut p,
        r#"
RPUSH l a b c 1 2 3 c c
LPOS l c
LPOS l c RANK 2
LPOS l c RANK -1
LPOS l c RANK -2
LPOS l c COUNT 0
LPOS l c COUNT 2
LPOS l c RANK -1 COUNT 2
LPOS l c RANK 2 COUNT 0 MAXLEN 3
LPOS l c MAXLEN 3
LPOS l c MAXLEN 1
LPOS l nosuch
LPOS l nosuch COUNT 0
LPOS l c RANK 0
LPOS l c RANK abc
LPOS l c COUNT -1
LPOS l c COUNT abc
LPOS l c MAXLEN -1
LPOS l c BAD 1
LPOS l c RANK
LPOS l c RANK 100
LPOS l c RANK -9223372036854775808
LPOS l c RANK 9223372036854775807 COUNT 0
LPOS nosuch a
LPOS nosuch a COUNT 1
LPOS nosuch a RANK 0
SET s v
LPOS s a
"#,
    );
}

#[test]
fn lists_move_and_mpop() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(
        &mut p,
        r#"
RPUSH a 1 2 3
LMOVE a b LEFT RIGHT
LMOVE a b RIGHT LEFT
LRANGE a 0 -1
LRANGE b 0 -1
LMOVE a a LEFT RIGHT
LRANGE a 0 -1
LMOVE a b UP DOWN
LMOVE a b LEFT DOWN
LMOVE nosuch b LEFT LEFT
RPOPLPUSH a b
RPOPLPUSH a b
EXISTS a
RPOPLPUSH a b
RPOPLPUSH b b
LRANGE b 0 -1
SET s v
RPOPLPUSH b s
LMOVE b s LEFT LEFT
RPOPLPUSH s b
LRANGE b 0 -1
RPUSH m1 a b c
RPUSH m2 x y
LMPOP 2 m0 m1 LEFT
LMPOP 2 m1 m2 RIGHT COUNT 10
LMPOP 2 m1 m2 LEFT COUNT 1
LMPOP 1 m2 LEFT COUNT 5
LMPOP 1 m2 LEFT
LMPOP 0 m1 LEFT
LMPOP -1 m1 LEFT
LMPOP abc m1 LEFT
LMPOP 2 m1 LEFT
LMPOP 1 m1 MIDDLE
LMPOP 1 m1 LEFT COUNT 0
LMPOP 1 m1 LEFT COUNT -1
LMPOP 1 m1 LEFT COUNT 1 COUNT 2
LMPOP 1 m1 LEFT BAD
RPUSH m3 a
LMPOP 2 s m3 LEFT
LMPOP 2 m3 s LEFT
LMPOP 2 m3 s LEFT
LMPOP 5 m1 LEFT
"#,
    );
}

#[test]
fn lists_blocking_forms_when_data_is_there_and_arg_errors() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(
        &mut p,
        r#"
RPUSH q j1 j2 j3 j4
BLPOP q 0
BRPOP q 1
BLPOP nosuch q 0
BLMOVE q dst LEFT RIGHT 0
RPUSH q a b
BRPOPLPUSH q dst 0
LRANGE dst 0 -1
BLMPOP 0 2 nosuch dst LEFT COUNT 5
BLPOP q abc
BLPOP q -1
BLPOP q 1e30
BLPOP q ""
BRPOP q nan
BLMOVE q dst LEFT MIDDLE 0
BLMOVE q dst LEFT LEFT abc
BLMPOP abc 1 q LEFT
BLMPOP 0 0 q LEFT
BLMPOP 0 1 q LEFT COUNT 0
SET s v
BLPOP s 0
BLMOVE s dst LEFT LEFT 0
BLMPOP 0 1 s LEFT
RPUSH q x
BLMOVE q s LEFT LEFT 0
LRANGE q 0 -1
BLPOP q 0.01
BRPOP nosuch 0.01
BLMOVE nosuch q LEFT LEFT 0.01
BLMPOP 0.01 1 nosuch LEFT
"#,
    );
}

#[test]
fn lists_with_keyspace_commands() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(
        &mut p,
        r#"
RPUSH l a b
RENAME l l2
LRANGE l2 0 -1
COPY l2 l3
RPUSH l3 c
LRANGE l2 0 -1
LRANGE l3 0 -1
MOVE l3 1
SELECT 1
LRANGE l3 0 -1
SELECT 0
~KEYS *
~SCAN 0 TYPE list COUNT 100
GET l2
INCR l2
APPEND l2 x
EXPIRE l2 100
TTL l2
DEL l2
"#,
    );
}

/// Lists long enough to span many packed nodes (and with elements big
/// enough to get nodes of their own), under a seeded mix of the commands
/// that reach into the middle: every reply compared byte for byte.
#[test]
fn long_lists_across_node_boundaries() {
    use super::generator::Rng;
    let Some(mut p) = Pair::start() else { return };
    let mut r = Rng::new(0x11575);
    let elem = |r: &mut Rng| -> Vec<u8> {
        match r.below(40) {
            0 => vec![b'x'; 9000 + r.below(3000)],
            1..=3 => vec![b'y'; 100 + r.below(300)],
            _ => format!("e{}", r.below(300)).into_bytes(),
        }
    };
    let a = |s: &str| s.as_bytes().to_vec();
    for round in 0..6 {
        let key = format!("biglist{round}");
        let mut push = vec![a("RPUSH"), a(&key)];
        for _ in 0..3000 {
            push.push(elem(&mut r));
        }
        p.check(&push, super::Cmp::Exact);
        for _ in 0..300 {
            let i = r.below(4000) as i64 - 2000;
            let j = r.below(4000) as i64 - 2000;
            let cmd: Vec<Vec<u8>> = match r.below(12) {
                0 => vec![
                    a("LINSERT"),
                    a(&key),
                    a(["BEFORE", "AFTER"][r.below(2)]),
                    elem(&mut r),
                    elem(&mut r),
                ],
                1 => vec![a("LSET"), a(&key), a(&i.to_string()), elem(&mut r)],
                2 => vec![
                    a("LREM"),
                    a(&key),
                    a(&(r.below(7) as i64 - 3).to_string()),
                    elem(&mut r),
                ],
                3 => vec![
                    a("LTRIM"),
                    a(&key),
                    a(&(r.below(20) as i64).to_string()),
                    a(&(-(r.below(20) as i64) - 1).to_string()),
                ],
                4 => vec![a("LINDEX"), a(&key), a(&i.to_string())],
                5 => vec![a("LRANGE"), a(&key), a(&i.to_string()), a(&j.to_string())],
                6 => vec![
                    a("LPOS"),
                    a(&key),
                    elem(&mut r),
                    a("RANK"),
                    a(&(r.below(5) as i64 - 2).max(1).to_string()),
                    a("COUNT"),
                    a(&r.below(4).to_string()),
                    a("MAXLEN"),
                    a(&r.below(3000).to_string()),
                ],
                7 => vec![a("LPUSH"), a(&key), elem(&mut r), elem(&mut r)],
                8 => vec![a("RPUSH"), a(&key), elem(&mut r)],
                9 => vec![a("LPOP"), a(&key), a(&r.below(30).to_string())],
                10 => vec![a("RPOP"), a(&key), a(&r.below(30).to_string())],
                _ => vec![
                    a("LMOVE"),
                    a(&key),
                    a(&key),
                    a(["LEFT", "RIGHT"][r.below(2)]),
                    a(["LEFT", "RIGHT"][r.below(2)]),
                ],
            };
            p.check(&cmd, super::Cmp::Exact);
        }
        p.check(&[a("LLEN"), a(&key)], super::Cmp::Exact);
        p.check(&[a("LRANGE"), a(&key), a("0"), a("-1")], super::Cmp::Exact);
    }
}
