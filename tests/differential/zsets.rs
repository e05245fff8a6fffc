//! Differential cases for the sorted set family: every command, its
//! options and errors, both encodings (small sets are `listpack`, larger
//! ones `skiplist`; CONFIG SET lowers the thresholds), RESP3, and score
//! formatting, compared byte for byte with redis-server 7.0.

use super::{Cmp, Pair, run_lines};

/// Every sorted-set command's COMMAND INFO row, and key extraction for the
/// movable-key ones.
#[test]
fn zs_command_info_and_getkeys() {
    let Some(mut p) = Pair::start() else { return };
    for n in [
        "zadd",
        "zincrby",
        "zscore",
        "zmscore",
        "zcard",
        "zcount",
        "zlexcount",
        "zrange",
        "zrangestore",
        "zrevrange",
        "zrangebyscore",
        "zrevrangebyscore",
        "zrangebylex",
        "zrevrangebylex",
        "zrank",
        "zrevrank",
        "zrem",
        "zremrangebyrank",
        "zremrangebyscore",
        "zremrangebylex",
        "zpopmin",
        "zpopmax",
        "zmpop",
        "bzpopmin",
        "bzpopmax",
        "bzmpop",
        "zunion",
        "zinter",
        "zdiff",
        "zunionstore",
        "zinterstore",
        "zdiffstore",
        "zintercard",
        "zrandmember",
        "zscan",
    ] {
        p.check(
            &[b"COMMAND".to_vec(), b"INFO".to_vec(), n.as_bytes().to_vec()],
            Cmp::Exact,
        );
    }
    run_lines(
        &mut p,
        r#"
COMMAND GETKEYS ZUNIONSTORE dst 2 a b WEIGHTS 1 2
COMMAND GETKEYS ZINTER 3 a b c
COMMAND GETKEYS ZMPOP 2 a b MIN
COMMAND GETKEYS BZMPOP 0 2 a b MAX COUNT 3
COMMAND GETKEYS BZPOPMIN a b c 0
COMMAND GETKEYS ZRANGESTORE dst src 0 -1
COMMAND GETKEYS ZINTERCARD 2 a b LIMIT 1
"#,
    );
}

/// When a small set becomes a skiplist, and what the store commands build.
#[test]
fn zs_encodings_and_conversions() {
    let Some(mut p) = Pair::start() else { return };
    let many: String = (0..200).map(|i| format!(" {i} m{i:03}")).collect();
    let long = "x".repeat(70);
    run_lines(
        &mut p,
        &format!(
            r#"
ZADD small 1 a 2 b
OBJECT ENCODING small
ZADD big{many}
OBJECT ENCODING big
ZCARD big
ZRANGESTORE d big 0 2
OBJECT ENCODING d
ZRANGESTORE d2 big 0 150
OBJECT ENCODING d2
ZRANGESTORE d2b big 0 127
OBJECT ENCODING d2b
ZRANGESTORE d2c big 0 128
OBJECT ENCODING d2c
ZUNIONSTORE d3 1 big
OBJECT ENCODING d3
ZREMRANGEBYRANK d3 0 150
OBJECT ENCODING d3
ZINTERSTORE d3b 2 big d3
OBJECT ENCODING d3b
ZADD long 1 {long}
OBJECT ENCODING long
ZRANGESTORE d4 long 0 -1
OBJECT ENCODING d4
ZADD long 2 short
ZRANGESTORE d5 long 1 1
OBJECT ENCODING d5
ZINTERSTORE d6 1 long
OBJECT ENCODING d6
ZDIFFSTORE d7 2 long d5
OBJECT ENCODING d7
ZADD grow 1 a
ZADD grow 2 {long}
OBJECT ENCODING grow
ZREM grow {long}
OBJECT ENCODING grow
CONFIG SET zset-max-listpack-entries 3
ZADD c 1 a 2 b 3 c
OBJECT ENCODING c
ZADD c 4 d
OBJECT ENCODING c
ZPOPMIN c 3
OBJECT ENCODING c
ZADD dup 1 a 2 a 3 a 4 a
OBJECT ENCODING dup
ZINCRBY inc 1 a
OBJECT ENCODING inc
CONFIG SET zset-max-listpack-entries 0
ZADD zero 1 a
OBJECT ENCODING zero
ZUNIONSTORE zero2 1 small
OBJECT ENCODING zero2
CONFIG SET zset-max-listpack-entries 128
CONFIG SET zset-max-listpack-value 3
ZADD v 1 abc
OBJECT ENCODING v
ZADD v 1 abcd
OBJECT ENCODING v
ZADD v2 1 abcd 2 a
OBJECT ENCODING v2
ZUNIONSTORE v3 1 small
OBJECT ENCODING v3
ZUNIONSTORE v4 1 v
OBJECT ENCODING v4
CONFIG SET zset-max-ziplist-entries 64
CONFIG GET zset-max-listpack-entries
"#
        ),
    );
}

/// A skiplist of 1000 members: ranges in the middle, both directions,
/// removals, ranks, and ZSCAN/ZRANDMEMBER over the whole set.
#[test]
fn zs_large_skiplist() {
    let Some(mut p) = Pair::start() else { return };
    let mut add = String::from("ZADD big");
    for i in 0..1000 {
        // Repeated scores, so members break the ties.
        add.push_str(&format!(" {} m{:04}", (i * 7) % 100, (i * 389) % 1000));
    }
    // Lex ranges need equal scores (Redis's walk is undefined otherwise).
    let mut lex = String::from("ZADD lex");
    for i in 0..300 {
        lex.push_str(&format!(" 0 m{:04}", (i * 7) % 300));
    }
    run_lines(
        &mut p,
        &format!(
            r#"
{add}
OBJECT ENCODING big
ZCARD big
ZRANGE big 495 505 WITHSCORES
ZRANGE big -505 -495 REV WITHSCORES
ZREVRANGE big 0 3 WITHSCORES
ZRANGE big 40 (42 BYSCORE WITHSCORES LIMIT 3 5
ZRANGE big (60 40 BYSCORE REV LIMIT 0 4
ZRANGEBYSCORE big -inf +inf LIMIT 990 20
ZREVRANGEBYSCORE big +inf -inf WITHSCORES LIMIT 995 10
{lex}
OBJECT ENCODING lex
ZRANGE lex [m0100 (m0110 BYLEX
ZRANGE lex (m0200 - BYLEX REV LIMIT 5 3
ZRANGEBYLEX lex [m0290 +
ZLEXCOUNT lex [m0050 (m0250
ZLEXCOUNT lex - +
ZREMRANGEBYLEX lex (m0010 [m0020
ZRANGE lex 5 15
ZCARD lex
ZCOUNT big 10 20
ZCOUNT big (10 (20
ZRANK big m0500
ZREVRANK big m0500
ZRANK big m0999
ZSCORE big m0123
ZMSCORE big m0001 nosuch m0002
ZREMRANGEBYRANK big 100 199
ZCARD big
ZRANGE big 95 105
ZREMRANGEBYSCORE big 50 (60
ZCARD big
ZRANGE big 500 510 WITHSCORES
ZPOPMIN big 3
ZPOPMAX big 3
ZMPOP 1 big MAX COUNT 2
ZADD big INCR 1000 m0500
ZREVRANGE big 0 0 WITHSCORES
ZADD big GT CH 1 m0500 2000 m0501
ZRANGE big -2 -1 WITHSCORES
ZREM big m0500 m0501 nosuch
ZCARD big
ZUNION 2 big big AGGREGATE MAX WITHSCORES
ZINTERCARD 1 big LIMIT 10
ZDIFFSTORE dd 1 big
ZCARD dd
OBJECT ENCODING dd
~ZSCAN big 0 COUNT 100000
~ZSCAN big 0 COUNT 100000 MATCH m00*
ZRANDMEMBER big 100000
ZRANDMEMBER big 1000000 WITHSCORES
?ZRANDMEMBER big 5
?ZRANDMEMBER big 500
?ZRANDMEMBER big -5 WITHSCORES
?ZRANDMEMBER big
?ZSCAN big 0
"#
        ),
    );
}

/// A seeded random mix of writes and reads on a few keys, in both
/// encodings, compared after every command.
#[test]
fn zs_random_operations() {
    let Some(mut p) = Pair::start() else { return };
    // ZS_SEED replays another run.
    let mut seed: u64 = std::env::var("ZS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x2545_f491_4f6c_dd1d);
    let mut next = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let mut lines = vec!["CONFIG SET zset-max-listpack-entries 16".to_string()];
    let scores = ["0", "1", "-1", "2.5", "1e3", "inf", "-inf", "0.1", "3", "7"];
    let bounds = ["-inf", "+inf", "0", "(0", "1", "(2.5", "3", "(7", "1e3"];
    let lex = ["-", "+", "[m1", "(m1", "[m5", "(m9", "[m"];
    for _ in 0..2500 {
        let k = format!("z{}", next(3));
        let lk = format!("l{}", next(2));
        let m = format!("m{}", next(24));
        let sc = scores[next(scores.len() as u64) as usize];
        let b1 = bounds[next(bounds.len() as u64) as usize];
        let b2 = bounds[next(bounds.len() as u64) as usize];
        let l1 = lex[next(lex.len() as u64) as usize];
        let l2 = lex[next(lex.len() as u64) as usize];
        let (i, j) = (next(30) as i64 - 15, next(30) as i64 - 15);
        let line = match next(22) {
            0..=4 => format!("ZADD {k} {sc} {m} {} {m}x", scores[next(10) as usize]),
            5 => format!("ZADD {k} GT CH {sc} {m}"),
            6 => format!("ZADD {k} LT INCR {sc} {m}"),
            7 => format!("ZINCRBY {k} {sc} {m}"),
            8 => format!("ZREM {k} {m} {m}x"),
            9 => format!("ZRANGE {k} {i} {j} WITHSCORES"),
            10 => format!(
                "ZRANGE {k} {b1} {b2} BYSCORE LIMIT {} {}",
                next(4),
                next(6) as i64 - 1
            ),
            11 => format!("ZRANGE {k} {b2} {b1} BYSCORE REV WITHSCORES"),
            // Lex ranges only mean something when all scores are equal.
            12 => match next(4) {
                0 => format!("ZADD {lk} 0 {m} 0 {m}x"),
                1 => format!("ZLEXCOUNT {lk} {l1} {l2}"),
                2 => format!("ZREMRANGEBYLEX {lk} {l1} {l2}"),
                _ => format!("ZRANGEBYLEX {lk} {l1} {l2}"),
            },
            13 => format!("ZREVRANGEBYLEX {lk} {l2} {l1} LIMIT 1 3"),
            14 => format!("ZCOUNT {k} {b1} {b2}"),
            15 => format!("ZRANK {k} {m}"),
            16 => format!("ZREVRANK {k} {m}"),
            17 => format!("ZREMRANGEBYRANK {k} {i} {j}"),
            18 => format!("ZPOPMIN {k} {}", next(3)),
            19 => format!("ZUNIONSTORE z{} 2 {k} z{} WEIGHTS 2 0.5", next(3), next(3)),
            20 => format!("ZINTER 2 {k} z{} AGGREGATE MIN WITHSCORES", next(3)),
            _ => format!("ZDIFF 2 {k} z{} WITHSCORES", next(3)),
        };
        lines.push(line);
        if next(10) == 0 {
            lines.push(format!("ZRANGE {k} 0 -1 WITHSCORES"));
            lines.push(format!("OBJECT ENCODING {k}"));
        }
    }
    run_lines(&mut p, &lines.join("\n"));
}

/// Scores as Redis 7.0 prints them: %.17g, inf, integral values, -0, subnormals, hex input; RESP3 doubles.
#[test]
fn zs_score_formatting_listpack_and_resp3() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(
        &mut p,
        r#"
ZADD k 0.1 a 1e300 b 3 c -inf d inf e 1e-320 f -0 g 123456789012345678 h 1e17 i 99999999999999999 j
ZRANGE k 0 -1 WITHSCORES
ZSCORE k g
ZADD k 1e500 x
ZADD k 1e-400 x
ZADD k " 1" x
ZADD k "1 " x
ZADD k "" x
ZADD k 0x10 x
ZADD k nan x
ZADD k infinity x
ZADD k -INFINITY y
ZADD k +inf z
ZADD k +1.5 w
ZADD k .5 v
ZADD k 5. u
ZADD k 0x1.8p1 hx
ZADD k 1e-310 sub
ZSCORE k hx
ZSCORE k sub
ZSCORE k x
ZSCORE k y
ZSCORE k w
ZSCORE k v
ZSCAN k 0
OBJECT ENCODING k
?HELLO 3
ZSCORE k a
ZSCORE k d
ZSCORE k e
ZSCORE k g
ZSCAN k 0
ZRANGE k 0 2 WITHSCORES
ZPOPMIN k
ZPOPMIN k 1
ZPOPMIN k 2
ZMPOP 1 k MAX
?HELLO 2
"#,
    );
}

/// The skiplist keeps -0; ZSCAN prints a listpack's stored text but a skiplist's %.17g.
#[test]
fn zs_score_formatting_skiplist() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(
        &mut p,
        r#"
FLUSHALL
CONFIG SET zset-max-listpack-entries 1
ZADD s -0 g 0.1 a 1e300 b 3 c 1e-320 f 123456789012345678 h 1e17 i -inf d 3.814697265625e-06 t 1.5 w
OBJECT ENCODING s
ZSCORE s g
ZRANGE s 0 -1 WITHSCORES
~ZSCAN s 0 COUNT 100
CONFIG SET zset-max-listpack-entries 128
ZADD l -0 g 1
ZSCORE l g
ZINCRBY l -0 g
ZADD l 3.814697265625e-06 t
ZSCAN l 0
FLUSHALL
CONFIG SET zset-max-listpack-entries 0
ZADD z -0 g
OBJECT ENCODING z
ZSCORE z g
ZSCAN z 0
ZINCRBY z 0 g
ZINCRBY z -0 g
"#,
    );
}

/// ZADD/ZINCRBY option parsing, conflicts, NaN, XX/NX/GT/LT/CH/INCR, WRONGTYPE.
#[test]
fn zs_add_options_and_errors() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(
        &mut p,
        r#"
CONFIG SET zset-max-listpack-entries 2
ZADD d 1 a 2 a 3 a
OBJECT ENCODING d
ZADD d 1 b 2 c
OBJECT ENCODING d
CONFIG SET zset-max-listpack-entries 128
CONFIG SET zset-max-listpack-value 3
ZADD e 1 abcd
OBJECT ENCODING e
ZADD f 1 a 2 abcd
OBJECT ENCODING f
ZADD f2 1 abcd 2 a
ZREM f2 abcd
OBJECT ENCODING f2
CONFIG SET zset-max-listpack-value 64
ZINCRBY k incr a
ZINCRBY k nx a
ZINCRBY k 1 nx
ZINCRBY k gt 1
ZINCRBY k abc a
ZADD k
ZADD k 1
ZADD k nx 1
ZADD k nx xx 1 a
ZADD k gt lt 1 a
ZADD k gt nx 1 a
ZADD k incr 1 a 2 b
ZADD k xx nx gt 1 a 2
ZADD k abc a
ZADD k 1 a abc b
ZADD k 1 a 2
SET str v
ZADD str 1 a
ZADD str abc a
ZADD str nx xx 1 a
ZADD k xx 1 a
EXISTS k
ZADD k xx incr 1 a
EXISTS k
ZADD k incr 1 a
ZADD k nx incr 1 a
ZADD k xx incr 1 a
ZADD k gt incr -1 a
ZADD k lt incr -1 a
ZADD k gt ch 5 a 6 b
ZADD k lt ch 1 a 6 b 7 c
ZADD k ch 1 a 6 b 7 c
ZADD k CH XX 2 a 10 new
ZRANGE k 0 -1 WITHSCORES
ZADD k inf x
ZINCRBY k -inf x
ZADD k incr -inf x
ZSCORE k x
EXISTS k
"#,
    );
}

/// ZRANGE and its older forms: rank, BYSCORE, BYLEX, REV, LIMIT, WITHSCORES, parse errors.
#[test]
fn zs_range_family() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(
        &mut p,
        r#"
FLUSHALL
ZADD k 1 a 2 b 3 c 4 d 5 e
ZRANGE k 0 -1 LIMIT 0 -1
ZRANGE k 0 -1 LIMIT 1 -1
ZRANGE k 0 -1 LIMIT 1 2
ZRANGE k 0 -1 BYLEX WITHSCORES
ZRANGE k 0 -1 LIMIT 1
ZRANGE k 0 -1 BYSCORE BYLEX
ZRANGE k 0 -1 REV REV
ZRANGE k 0 -1 WITHSCORES WITHSCORES
ZRANGE k (1 3 BYSCORE
ZRANGE k 3 (1 BYSCORE REV
ZRANGE k (1 3 BYSCORE LIMIT -1 2
ZRANGE k (1 3 BYSCORE LIMIT 1 -5
ZRANGE k -inf +inf BYSCORE LIMIT 2 1
ZRANGE k -inf +inf BYSCORE LIMIT 10 1
ZRANGE k -inf +inf BYSCORE LIMIT 4 0
ZRANGE k +inf -inf BYSCORE REV LIMIT 4 10
ZRANGE k +inf -inf BYSCORE REV LIMIT 5 10
ZRANGE k "" 3 BYSCORE
ZRANGE k "(" 3 BYSCORE
ZRANGE k " 1" 3 BYSCORE
ZRANGE k "1 " 3 BYSCORE
ZRANGE k 1e500 3 BYSCORE
ZRANGE k 0x2 3 BYSCORE
ZRANGE k nan 3 BYSCORE
ZRANGE k (nan 3 BYSCORE
ZRANGE k a 3 BYSCORE
ZRANGE k "1\x00zz" 3 BYSCORE
ZRANGE k a b BYLEX
ZRANGE k - + BYLEX
ZRANGE k [a (c BYLEX
ZRANGE k + - BYLEX REV
ZRANGE k + - BYLEX REV LIMIT 1 2
ZRANGE k - + BYLEX LIMIT -1 2
ZRANGE k "" + BYLEX
ZRANGE k +a + BYLEX
ZRANGE k "+\x00a" - BYLEX REV
ZRANGEBYSCORE k 1 3 REV
ZRANGEBYSCORE k 1 3 BYLEX
ZRANGEBYSCORE k 1 3 WITHSCORES LIMIT 1 1
ZRANGEBYSCORE k 1 3 LIMIT 1 1 WITHSCORES
ZRANGEBYSCORE k 1 3 LIMIT a 1
ZRANGEBYSCORE k 1 3 LIMIT 1
ZREVRANGEBYSCORE k 3 1
ZREVRANGEBYSCORE k 1 3
ZREVRANGE k 0 1 WITHSCORES
ZREVRANGE k 0 1 LIMIT 0 1
ZREVRANGE k 0 1 BYSCORE
ZRANGEBYLEX k - + WITHSCORES
ZRANGEBYLEX k - + LIMIT 1 2
ZREVRANGEBYLEX k + - LIMIT 1 2
ZREVRANGEBYLEX k - +
ZRANGE k a b
ZRANGE k 0 9223372036854775808
ZRANGE nokey a b
ZRANGE nokey a b BYSCORE
ZRANGE nokey 0 1 BYSCORE
SET str x
ZRANGE str 0 1
ZRANGE str a b
ZRANGE str 0 1 foo
ZRANGE k 0 1 foo
ZRANGE k -9223372036854775808 9223372036854775807
ZRANGE k 2 1
ZRANGE k -100 1
ZRANGE k 5 10
ZREVRANGE k -9223372036854775808 9223372036854775807
ZREVRANGE k 1 3
ZREVRANGE k -2 -1
"#,
    );
}

/// ZCOUNT, ZLEXCOUNT, ZRANK, ZREM, ZREMRANGEBY*, ZPOPMIN/MAX, ZMPOP, lex on mixed scores.
#[test]
fn zs_counts_ranks_removals_pops() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(
        &mut p,
        r#"
ZADD k 1 a 2 b 3 c 4 d 5 e
SET str x
ZCOUNT k (1 3
ZCOUNT k a 3
ZCOUNT nokey a 3
ZCOUNT str a 3
ZCOUNT str 1 3
ZCOUNT k -inf +inf
ZCOUNT k 3 1
ZCOUNT k (3 3
ZLEXCOUNT k [b +
ZLEXCOUNT k b +
ZLEXCOUNT str b +
ZLEXCOUNT str - +
ZLEXCOUNT k - +
ZLEXCOUNT k + -
ZLEXCOUNT k (a (a
ZLEXCOUNT k [a [a
ZRANK k c
ZRANK k zz
ZRANK nokey zz
ZRANK str a
ZREVRANK k c
ZREVRANK k a
ZRANK k c withscore
ZREM k
ZREM nokey a
ZREM str a
ZREMRANGEBYRANK k a 1
ZREMRANGEBYRANK nokey a 1
ZREMRANGEBYRANK nokey 0 1
ZREMRANGEBYRANK str 0 1
ZREMRANGEBYSCORE str a 1
ZREMRANGEBYLEX str a 1
ZREMRANGEBYLEX str - +
ZPOPMIN k abc
ZPOPMIN k -1
ZPOPMIN k 0
ZPOPMIN nokey
ZPOPMIN nokey 0
ZPOPMIN nokey -1
ZPOPMIN str
ZPOPMIN str 0
ZPOPMIN k 1 2
ZPOPMIN k 9223372036854775807
ZADD k 1 a 2 b 3 c 4 d 5 e
ZMPOP 0 k MIN
ZMPOP -1 k MIN
ZMPOP a k MIN
ZMPOP 1 k
ZMPOP 2 k MIN
ZMPOP 1 k FOO
ZMPOP 1 k MIN COUNT
ZMPOP 1 k MIN COUNT 0
ZMPOP 1 k MIN COUNT -1
ZMPOP 1 k MIN COUNT a
ZMPOP 1 k MIN COUNT 1 COUNT 1
ZMPOP 1 k MIN FOO
ZMPOP 2 nokey str MIN
ZMPOP 2 str k MIN
ZMPOP 2 nokey k MIN COUNT 2
ZMPOP 2 k str MAX COUNT 2
ZMPOP 1 nokey MIN
ZMPOP 1 k min count 100
EXISTS k
ZMPOP 9223372036854775806 k MIN
ZADD k 1 a 2 b 3 c 4 d 5 e 6 f 7 g
ZREMRANGEBYRANK k 1 2
ZREMRANGEBYRANK k -2 -1
ZRANGE k 0 -1 WITHSCORES
ZREMRANGEBYSCORE k (1 4
ZREMRANGEBYLEX k [e +
ZRANGE k 0 -1 WITHSCORES
ZREMRANGEBYRANK k 0 -1
EXISTS k
ZADD m 1 b 2 a 3 d 4 c
ZRANGEBYLEX m [b [c
ZRANGEBYLEX m - [b
ZRANGEBYLEX m [c +
ZREVRANGEBYLEX m [c [b
ZREVRANGEBYLEX m + [b
ZLEXCOUNT m [b [c
ZLEXCOUNT m [a +
ZREMRANGEBYLEX m [b [c
ZRANGE m 0 -1
"#,
    );
}

/// ZUNION/ZINTER/ZDIFF(STORE), ZINTERCARD: weights, aggregates, sets as inputs, NaN to 0, errors.
#[test]
fn zs_set_operations() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(
        &mut p,
        r#"
FLUSHALL
ZADD a 1 x 2 y 3 z
ZADD b 10 y 20 z 30 w
SADD s y w q
SET str v
ZUNION 2 a b
ZUNION 2 a b WITHSCORES
ZUNION 3 a b s WITHSCORES
ZUNION 3 a b s WEIGHTS 1 2 3 WITHSCORES
ZUNION 3 a b s WEIGHTS 1 2 WITHSCORES
ZUNION 3 a b s WEIGHTS 1 2 a WITHSCORES
ZUNION 2 a b AGGREGATE MAX WITHSCORES
ZUNION 2 a b AGGREGATE min WITHSCORES
ZUNION 2 a b AGGREGATE foo
ZUNION 2 a b AGGREGATE
ZUNION 0 a
ZUNION -1 a
ZUNION a a
ZUNION 3 a b
ZUNION 2 a str
ZUNION 2 a str FOO
ZUNION 2 a b FOO
ZUNION 1 nokey
ZUNION 1 nokey WITHSCORES
ZINTER 2 a b WITHSCORES
ZINTER 3 a b s WITHSCORES
ZINTER 2 a nokey
ZINTER 0 a
ZDIFF 2 a b WITHSCORES
ZDIFF 2 a b WEIGHTS 1 2
ZDIFF 2 a b AGGREGATE SUM
ZDIFF 0 a
ZDIFF 2 s a WITHSCORES
ZINTERCARD 2 a b
ZINTERCARD 2 a b LIMIT 1
ZINTERCARD 2 a b LIMIT 0
ZINTERCARD 2 a b LIMIT -1
ZINTERCARD 2 a b LIMIT a
ZINTERCARD 0 a
ZINTERCARD 2 a b WITHSCORES
ZINTERCARD 2 a str
ZUNIONSTORE dst 2 a b
ZRANGE dst 0 -1 WITHSCORES
OBJECT ENCODING dst
ZUNIONSTORE dst 2 a b WITHSCORES
ZUNIONSTORE dst 0 a
ZINTERSTORE dst 2 a nokey
EXISTS dst
ZDIFFSTORE dst 1 a
ZDIFFSTORE dst 1 a WITHSCORES
ZUNIONSTORE str 1 a
TYPE str
ZINTERSTORE dst 2 a b WEIGHTS 0 inf
ZRANGE dst 0 -1 WITHSCORES
ZADD inf1 inf x
ZADD ninf -inf x
ZUNION 2 inf1 ninf WITHSCORES
ZUNION 2 inf1 ninf WEIGHTS 1 0 WITHSCORES
ZUNION 2 inf1 ninf AGGREGATE MIN WITHSCORES
ZINTER 2 inf1 ninf WITHSCORES
ZUNION 2 a a WITHSCORES
ZINTER 2 a a WEIGHTS 2 3 WITHSCORES
ZUNIONSTORE a 2 a b
ZRANGE a 0 -1 WITHSCORES
ZUNION 2 a b WEIGHTS 1
ZUNION 2 a b WEIGHTS 1 1 1
ZUNION 2 a b WEIGHTS 1 nan
ZUNION 2 a b WEIGHTS 1 1e500
ZUNION 2 a b weights 1 " 1"
"#,
    );
}

/// ZRANDMEMBER's deterministic cases and errors, ZSCAN, ZRANGESTORE, BZ* argument errors and non-blocking paths, MULTI.
#[test]
fn zs_randmember_scan_rangestore_blocking_paths() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(
        &mut p,
        r#"
FLUSHALL
ZADD k 1 a 2 b 3 c
SET str v
ZRANDMEMBER k 0
ZRANDMEMBER k 0 WITHSCORES
ZRANDMEMBER k 5 WITHSCORES
ZRANDMEMBER k 3
ZRANDMEMBER k -9223372036854775808
ZRANDMEMBER k 9223372036854775808
ZRANDMEMBER k abc
ZRANDMEMBER k 1 foo
ZRANDMEMBER k 1 withscores foo
ZRANDMEMBER k 4611686018427387904 withscores
ZRANDMEMBER k -4611686018427387904 withscores
ZRANDMEMBER k 4611686018427387903 withscores
ZRANDMEMBER nokey
ZRANDMEMBER nokey 5
ZRANDMEMBER nokey abc
ZRANDMEMBER str
ZRANDMEMBER str 1
ZRANDMEMBER str abc
ZRANDMEMBER nokey 1 foo
ZRANDMEMBER nokey 1 withscores
ZSCAN k 0
ZSCAN k 0 MATCH a*
ZSCAN k 0 COUNT 0
ZSCAN k 0 TYPE zset
ZSCAN k abc
ZSCAN nokey abc
ZSCAN nokey 0 foo
ZSCAN str 0
ZSCAN str 0 foo
ZSCAN k 0 foo
ZSCAN k 0 COUNT
ZSCAN k 18446744073709551616
ZSCAN k -1
ZRANGESTORE dst k 0 -1
ZRANGESTORE dst k 0 -1 WITHSCORES
ZRANGESTORE dst k 0 -1 LIMIT 0 1
ZRANGESTORE dst k (1 +inf BYSCORE LIMIT 0 1
ZRANGE dst 0 -1 WITHSCORES
ZRANGESTORE dst k [b + BYLEX
ZRANGESTORE dst nokey 0 -1
EXISTS dst
ZRANGESTORE dst str 0 -1
ZRANGESTORE dst k 5 6
ZRANGESTORE dst k 1 +inf BYSCORE REV
ZRANGESTORE dst k +inf 1 BYSCORE REV LIMIT 1 1
ZRANGE dst 0 -1 WITHSCORES
BZPOPMIN k abc
BZPOPMIN k -1
BZPOPMAX k 1e500
BZPOPMIN k 9223372036854775807
BZPOPMIN str 0
BZPOPMIN nokey str 0
BZPOPMIN k str 0
BZMPOP -1 1 k MIN COUNT 0
BZMPOP abc 1 k MIN
BZMPOP 0 0 k MIN
BZMPOP 0 1 k MIN COUNT 1 COUNT 1
BZMPOP 0 1 k FOO
BZMPOP 0 1 k
BZMPOP 0 2 nokey str MIN
BZMPOP 0 1 k MAX COUNT 5
ZADD k 1 a 2 b 3 c
BZPOPMAX k 0
BZPOPMIN nokey 0.01
BZMPOP 0.01 1 nokey MIN
MULTI
BZPOPMIN nokey 0
BZMPOP 0 1 nokey MIN
BZPOPMIN k 0
EXEC
"#,
    );
}

/// RESP3: nested pairs, doubles, nulls.
#[test]
fn zs_resp3_replies() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(
        &mut p,
        r#"
ZADD k 1 a 2 b 3 c 4 d
?HELLO 3
BZPOPMIN k 0
BZMPOP 0 1 k MIN
BZPOPMIN nokey 0.01
BZMPOP 0.01 1 nokey MIN
ZMPOP 1 nokey MIN
ZPOPMIN nokey
ZRANDMEMBER nokey
ZRANK nokey a
ZSCORE nokey a
ZMSCORE nokey a b
ZMSCORE k c zz
ZADD k xx incr 1 zz
ZADD k 5 e 6 f
ZRANGE k 0 -1 WITHSCORES
ZRANGE k 0 -1
ZRANGEBYSCORE k 1 5 WITHSCORES
ZUNION 1 k WITHSCORES
ZINTER 1 k
ZDIFF 1 k WITHSCORES
ZRANDMEMBER k 5 WITHSCORES
ZRANDMEMBER k 5
ZSCAN k 0
ZINCRBY k 1 c
ZPOPMAX k 2
ZPOPMAX k
ZADD k nx incr 1 c
ZRANK k c
ZCARD k
ZCARD nokey
ZCARD str
ZADD inc incr 1.5 m
ZMPOP 1 k MAX COUNT 10
?HELLO 2
ZSCORE inc m
ZMSCORE inc m zz
"#,
    );
}

/// Rounding ties at the 17th digit, the ±2^62 edge of the listpack's
/// integer form, subnormals and the largest double.
#[test]
fn zs_score_formatting_edges() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(
        &mut p,
        r#"
ZADD t 1000000000000000.25 a 1000000000000000.75 b 2251799813685248.5 c 0.000030517578125 d 5e-324 e 1.7976931348623157e308 f 4611686018427387904 g 4611686018427387905 h -4611686018427387904 i 9007199254740993 j
ZRANGE t 0 -1 WITHSCORES
ZSCAN t 0
ZINCRBY t 0.1 a
ZINCRBY t 1e308 f
ZINCRBY t -1.7976931348623157e308 f
?HELLO 3
ZRANGE t 0 -1 WITHSCORES
ZSCORE t e
CONFIG SET zset-max-listpack-entries 0
ZUNIONSTORE u 1 t
~ZSCAN u 0 COUNT 100
ZRANGE u 0 -1 WITHSCORES
"#,
    );
}
