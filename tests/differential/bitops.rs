//! SETBIT, GETBIT, BITCOUNT, BITPOS and BITOP against redis-server 7.0.15:
//! strings of every encoding, growing with zeros, BYTE and BIT ranges with
//! negative and out-of-range ends, BITPOS's rules for clear bits past the
//! end, BITOP's lengths and the empty result that deletes, every error.

use super::generator::Rng;
use super::{Cmp, Pair, run_lines, split_line};

const CASES: &str = r#"
FLUSHALL
SETBIT b 7 1
GET b
SETBIT b 7 1
SETBIT b 7 0
SETBIT b 100 1
STRLEN b
GETBIT b 100
GETBIT b 101
GETBIT b 100000
GETBIT nokey 5
OBJECT ENCODING b
SET i 12345
GETBIT i 1
GETBIT i 2
SETBIT i 1 0
GET i
OBJECT ENCODING i
SET e hello
SETBIT e 0 1
GET e
SETBIT b -1 1
SETBIT b abc 1
SETBIT b 4294967296 1
SETBIT b 4294967295 2
SETBIT b 1 -1
SETBIT b 1 x
GETBIT b -1
GETBIT b 4294967296
RPUSH l a
SETBIT l 0 1
GETBIT l 0
BITCOUNT l
BITPOS l 1
SET s foobar
BITCOUNT s
BITCOUNT s 0 0
BITCOUNT s 1 1
BITCOUNT s 1 -2
BITCOUNT s -2 -1
BITCOUNT s -1 -2
BITCOUNT s 5 30
BITCOUNT s 0 -1 BYTE
BITCOUNT s 5 30 BIT
BITCOUNT s 1 6 BIT
BITCOUNT s -7 -2 BIT
BITCOUNT s 0 -1 BIT
BITCOUNT s 0 -1 FOO
BITCOUNT s 0
BITCOUNT s a b
BITCOUNT nokey 0 -1 FOO
BITCOUNT nokey
SET z "\x00\x00\x00"
BITPOS z 1
BITPOS z 0
SET f "\xff\xf0\x00"
BITPOS f 0
BITPOS f 1 2
BITPOS f 0 0 0
BITPOS f 0 0
BITPOS f 1 -1
BITPOS f 0 7 15 BIT
BITPOS f 1 7 15 BIT
BITPOS f 0 0 7 BIT
BITPOS f 1 12 20 BIT
BITPOS f 0 12 20 BIT
BITPOS f 1 5 1
BITPOS f 2
BITPOS f a
BITPOS f 0 1 2 FOO
BITPOS nokey 0
BITPOS nokey 1
SET ones "\xff\xff"
BITPOS ones 0
BITPOS ones 0 0 -1
BITPOS ones 0 0
BITPOS ones 0 0 15 BIT
BITPOS ones 1 3 5 BIT
SET a "abc"
SET c "\x01\x02\x03\x04"
BITOP AND d a c
GET d
BITOP OR d a c
GET d
BITOP XOR d a c nokey
GET d
BITOP NOT d c
GET d
BITOP NOT d a c
BITOP FOO d a
BITOP AND d nokey1 nokey2
EXISTS d
BITOP AND d l
BITOP OR d i
GET d
"#;

const BITFIELD: &str = r#"
FLUSHALL
BITFIELD bf SET u8 0 255 GET u8 0 GET i8 0 GET u4 4 GET i4 #1
BITFIELD bf INCRBY u8 0 10
BITFIELD bf OVERFLOW SAT INCRBY u8 0 300 INCRBY i8 8 -300 INCRBY i8 8 1000
BITFIELD bf OVERFLOW FAIL INCRBY u8 0 1 INCRBY u8 0 -1 GET u8 0
BITFIELD bf OVERFLOW WRAP INCRBY u2 100 1 INCRBY u2 100 1 INCRBY u2 100 1 INCRBY u2 100 1
BITFIELD bf SET i64 0 -1 GET i64 0 GET u63 1 INCRBY i64 0 1 INCRBY i64 0 -9223372036854775807
BITFIELD bf OVERFLOW SAT INCRBY i64 0 -9223372036854775807 INCRBY i64 0 -9223372036854775807
BITFIELD bf OVERFLOW WRAP INCRBY i64 0 9223372036854775807 INCRBY i64 0 9223372036854775807
BITFIELD bf SET u63 #2 12345 GET u63 #2 GET i16 #3
BITFIELD bf SET i5 1 100 GET i5 1
BITFIELD bf OVERFLOW SAT SET i5 1 100 SET u5 1 100 SET u5 1 -3 GET u5 1
BITFIELD bf OVERFLOW FAIL SET i5 1 100 SET u5 1 31
GET bf
STRLEN bf
BITFIELD nokey GET u8 0 GET i32 100
EXISTS nokey
BITFIELD failkey OVERFLOW FAIL INCRBY u2 0 5
EXISTS failkey
GET failkey
BITFIELD bf GET u64 0
BITFIELD bf GET i65 0
BITFIELD bf GET x8 0
BITFIELD bf GET u8 -1
BITFIELD bf GET u8 abc
BITFIELD bf GET u8 #-1
BITFIELD bf SET u8 0 abc
BITFIELD bf OVERFLOW FOO
BITFIELD bf FOO u8 0
BITFIELD bf GET u8
BITFIELD bf
BITFIELD_RO bf GET u8 0 GET i4 2
BITFIELD_RO bf SET u8 0 1
BITFIELD_RO nokey GET u8 0
SET i 123
BITFIELD i GET u8 0 SET u8 0 65
GET i
RPUSH l a
BITFIELD l GET u8 0
BITFIELD l SET u8 0 1
BITFIELD_RO l GET u8 0
BITFIELD big GET u8 4294967288
BITFIELD big GET u8 4294967296
BITFIELD big SET u8 4294967296 1
"#;

#[test]
fn bitfield_cases() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(&mut p, BITFIELD);
}

#[test]
fn bitmap_cases() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(&mut p, CASES);
}

/// A bitfield type, sometimes one Redis refuses (i65, u64, u0).
fn bf_type(r: &mut Rng) -> String {
    if r.chance(3) {
        return r.pick(&["i65", "u64", "u0", "i0", "x8"]).to_string();
    }
    if r.chance(50) {
        format!("i{}", 1 + r.below(64))
    } else {
        format!("u{}", 1 + r.below(63))
    }
}

/// A bit offset: plain, `#n` (times the type's width), near the start or
/// far out, now and then negative or past 2^32 bits.
fn bf_offset(r: &mut Rng) -> String {
    match r.below(20) {
        0 => "-1".into(),
        1 => "4294967296".into(),
        2 => format!("#{}", r.below(40)),
        3 => format!("{}", r.below(100_000)),
        _ => format!("{}", r.below(300)),
    }
}

/// A value for SET / INCRBY: small, around the type limits, or huge.
fn bf_value(r: &mut Rng) -> String {
    match r.below(8) {
        0 => "9223372036854775807".into(),
        1 => "-9223372036854775808".into(),
        2 => format!("{}", r.next() as i64),
        3 => "notanumber".into(),
        _ => format!("{}", r.below(600) as i64 - 300),
    }
}

/// Random SETBIT, BITFIELD (GET/SET/INCRBY over every width, `#` offsets,
/// OVERFLOW WRAP/SAT/FAIL, refused types and offsets), BITFIELD_RO,
/// BITOP AND/OR/XOR/NOT over strings of different lengths, BITCOUNT and
/// BITPOS with BYTE and BIT ranges, and plain string writes between them;
/// each key's bytes compared after every step.
#[test]
fn bitfield_bitop_generated() {
    let Some(mut p) = Pair::start() else { return };
    let mut r = Rng::new(0xB17F_1E1D);
    let keys = ["b0", "b1", "b2", "b3"];
    for round in 0..3 {
        p.check(&split_line("FLUSHALL"), Cmp::Exact);
        for _ in 0..250 {
            let k = *r.pick(&keys);
            let cmd = match r.below(12) {
                0 | 1 => format!("SETBIT {k} {} {}", bf_offset(&mut r), r.below(2)),
                2..=4 => {
                    let mut c = format!("BITFIELD {k}");
                    for _ in 0..1 + r.below(4) {
                        match r.below(5) {
                            0 => c.push_str(&format!(
                                " GET {} {}",
                                bf_type(&mut r),
                                bf_offset(&mut r)
                            )),
                            1 => c.push_str(&format!(
                                " SET {} {} {}",
                                bf_type(&mut r),
                                bf_offset(&mut r),
                                bf_value(&mut r)
                            )),
                            2 => c.push_str(&format!(
                                " OVERFLOW {}",
                                r.pick(&["WRAP", "SAT", "FAIL", "wrap", "BAD"])
                            )),
                            _ => c.push_str(&format!(
                                " INCRBY {} {} {}",
                                bf_type(&mut r),
                                bf_offset(&mut r),
                                bf_value(&mut r)
                            )),
                        }
                    }
                    c
                }
                5 => format!(
                    "BITFIELD_RO {k} GET {} {} GET {} {}",
                    bf_type(&mut r),
                    bf_offset(&mut r),
                    bf_type(&mut r),
                    bf_offset(&mut r)
                ),
                6 => {
                    let op = *r.pick(&["AND", "OR", "XOR", "NOT", "and", "NOR"]);
                    let n = if op.eq_ignore_ascii_case("not") && r.chance(80) {
                        1
                    } else {
                        1 + r.below(3)
                    };
                    let mut c = format!("BITOP {op} {k}");
                    for _ in 0..n {
                        c.push(' ');
                        c.push_str(r.pick::<&str>(&["b0", "b1", "b2", "b3", "missing"]));
                    }
                    c
                }
                7 => {
                    let mut c = format!("BITCOUNT {k}");
                    if r.chance(80) {
                        c.push_str(&format!(
                            " {} {}",
                            r.below(40) as i64 - 20,
                            r.below(80) as i64 - 20
                        ));
                        if r.chance(60) {
                            c.push(' ');
                            c.push_str(r.pick::<&str>(&["BYTE", "BIT", "bit", "WORD"]));
                        }
                    }
                    c
                }
                8 => {
                    let mut c = format!("BITPOS {k} {}", r.below(2));
                    if r.chance(70) {
                        c.push_str(&format!(" {}", r.below(40) as i64 - 20));
                        if r.chance(70) {
                            c.push_str(&format!(" {}", r.below(80) as i64 - 20));
                            if r.chance(60) {
                                c.push(' ');
                                c.push_str(r.pick::<&str>(&["BYTE", "BIT"]));
                            }
                        }
                    }
                    c
                }
                9 => format!("GETBIT {k} {}", bf_offset(&mut r)),
                10 => match r.below(4) {
                    0 => format!("SET {k} {}", r.below(1_000_000)),
                    1 => format!("APPEND {k} \"\\x00\\xff\\x0f\""),
                    2 => format!("SETRANGE {k} {} ab", r.below(50)),
                    _ => format!("DEL {k}"),
                },
                _ => format!("RPUSH {k} x"),
            };
            p.check(&split_line(&cmd), Cmp::Exact);
            p.check(&split_line(&format!("GET {k}")), Cmp::Exact);
        }
        if round == 1 {
            p.check(&split_line("HELLO 3"), Cmp::SameType);
        }
    }
}
