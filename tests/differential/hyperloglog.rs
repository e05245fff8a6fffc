//! HyperLogLog against redis-server 7.0.15: the HLL string's bytes (GET)
//! after every kind of edit — sparse opcode splits and merges, promotion
//! to dense by value and by `hll-sparse-max-bytes`, PFMERGE's sparse and
//! dense write-back, the cached cardinality PFCOUNT stores — estimates to
//! the unit, PFDEBUG, errors for other types and corrupt strings, and a
//! seeded generator of adds, merges and counts.

use super::generator::Rng;
use super::{Cmp, Pair, run_lines, split_line};

const CASES: &str = r#"
FLUSHALL
PFADD h
GET h
PFCOUNT h
GET h
PFADD h a b c d e f g
PFADD h a
GET h
PFCOUNT h
GET h
PFDEBUG ENCODING h
PFDEBUG DECODE h
PFADD h2 x y z a
PFCOUNT h h2
PFCOUNT h h2 nokey
PFCOUNT nokey
PFCOUNT nokey nokey2
PFMERGE m h h2
GET m
PFCOUNT m
PFMERGE m
PFMERGE new
GET new
PFDEBUG TODENSE h2
PFDEBUG ENCODING h2
GET h2
PFDEBUG TODENSE h2
PFMERGE m2 h h2
PFDEBUG ENCODING m2
PFCOUNT m2
PFADD h2 more
PFCOUNT h2
PFDEBUG GETREG nokey
PFDEBUG FOO h
PFDEBUG DECODE h2
PFDEBUG DECODE h extra
PFDEBUG ENCODING
SET s notanhll
PFADD s a
PFCOUNT s
PFCOUNT h s
PFMERGE h s
PFDEBUG ENCODING s
RPUSH l a
PFADD l a
PFCOUNT l
PFMERGE l h
SET fake "HYLL\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
PFCOUNT fake
SET fake "HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
PFCOUNT fake
SET fake "HYLL"
PFADD fake a
SET bad "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff\x7f\xff"
PFCOUNT bad
PFADD bad a b c
PFMERGE x bad
PFCOUNT h bad
SET bad "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f"
PFCOUNT bad
PFADD bad a
SET bad "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xfe\x80"
PFCOUNT bad
PFADD bad a b c d
GET bad
SET cached "HYLL\x01\x00\x00\x00\x2a\x00\x00\x00\x00\x00\x00\x00\x7f\xff"
PFCOUNT cached
OBJECT ENCODING cached
CONFIG SET hll-sparse-max-bytes 30
PFADD small a b c d e f g h i j k l m n o p
PFDEBUG ENCODING small
PFCOUNT small
GET small
CONFIG SET hll-sparse-max-bytes 3000
CONFIG GET hll-sparse-max-bytes
"#;

#[test]
fn hll_cases() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(&mut p, CASES);
    p.check(&split_line("HELLO 3"), Cmp::SameType);
    run_lines(&mut p, CASES);
}

/// Random adds (small and large batches, so sparse strings grow through
/// every split and promote to dense), merges and counts, with the bytes
/// of every HLL compared after each step.
#[test]
fn hll_generated() {
    let Some(mut p) = Pair::start() else { return };
    let mut r = Rng::new(0x4811_0915);
    let keys = ["h0", "h1", "h2", "h3"];
    for round in 0..4 {
        p.check(&split_line("FLUSHALL"), Cmp::Exact);
        let max = [3000, 300, 12000, 3000][round];
        p.check(
            &split_line(&format!("CONFIG SET hll-sparse-max-bytes {max}")),
            Cmp::Exact,
        );
        for _ in 0..120 {
            let k = *r.pick(&keys);
            match r.below(10) {
                0..=5 => {
                    let n = if r.chance(10) {
                        200 + r.below(800)
                    } else {
                        r.below(8)
                    };
                    let mut cmd = format!("PFADD {k}");
                    for _ in 0..n {
                        cmd.push_str(&format!(" e{}", r.below(100_000)));
                    }
                    p.check(&split_line(&cmd), Cmp::Exact);
                }
                6 => {
                    let cmd = format!("PFMERGE {k} {} {}", r.pick(&keys), r.pick(&keys));
                    p.check(&split_line(&cmd), Cmp::Exact);
                }
                7 => {
                    let cmd = format!("PFCOUNT {k} {}", r.pick(&keys));
                    p.check(&split_line(&cmd), Cmp::Exact);
                }
                8 => p.check(&split_line(&format!("PFDEBUG TODENSE {k}")), Cmp::SameType),
                _ => p.check(&split_line(&format!("PFCOUNT {k}")), Cmp::Exact),
            }
            p.check(&split_line(&format!("GET {k}")), Cmp::Exact);
        }
        for k in keys {
            p.check(&split_line(&format!("PFCOUNT {k}")), Cmp::Exact);
            p.check(&split_line(&format!("DUMP {k}")), Cmp::Exact);
        }
    }
    p.check(
        &split_line("CONFIG SET hll-sparse-max-bytes 3000"),
        Cmp::Exact,
    );
}
