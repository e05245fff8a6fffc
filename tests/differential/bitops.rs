//! SETBIT, GETBIT, BITCOUNT, BITPOS and BITOP against redis-server 7.0.15:
//! strings of every encoding, growing with zeros, BYTE and BIT ranges with
//! negative and out-of-range ends, BITPOS's rules for clear bits past the
//! end, BITOP's lengths and the empty result that deletes, every error.

use super::{Pair, run_lines};

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

#[test]
fn bitmap_cases() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(&mut p, CASES);
}
