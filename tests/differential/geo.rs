//! GEOADD against redis-server 7.0.15: the 52-bit geohash scores (read
//! back with ZSCORE and ZRANGE WITHSCORES), NX/XX/CH, and every error.

use super::{Pair, run_lines};

const CASES: &str = r#"
FLUSHALL
GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania
ZRANGE Sicily 0 -1 WITHSCORES
GEOADD Sicily 13.361389 38.115556 Palermo
GEOADD Sicily CH 13.361390 38.115556 Palermo
GEOADD Sicily NX 1 1 Palermo 2 2 New
GEOADD Sicily XX CH 3 3 Palermo 4 4 Other
GEOADD Sicily NX XX 1 1 a
GEOADD Sicily CH NX CH 5 5 b
ZRANGE Sicily 0 -1 WITHSCORES
GEOADD p -180 -85.05112878 sw 180 85.05112878 ne 0 0 origin -0.0001 0.0001 near
ZSCORE p sw
ZSCORE p ne
ZSCORE p origin
ZSCORE p near
GEOADD p 180.000001 0 bad
GEOADD p 200 100 bad
GEOADD p 0 -85.06 bad
GEOADD p abc 0 bad
GEOADD p 0 0
GEOADD p 0 0 a 1
GEOADD p XX
GEOADD p FOO 1 1 a
RPUSH l x
GEOADD l 1 1 a
EXISTS p2
GEOADD p2 XX 1 1 a
EXISTS p2
"#;

#[test]
fn geoadd_cases() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(&mut p, CASES);
}
