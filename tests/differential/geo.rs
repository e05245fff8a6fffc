//! The geo commands against redis-server 7.0.15: GEOADD's 52-bit geohash
//! scores (read back with ZSCORE and ZRANGE WITHSCORES), NX/XX/CH; GEOPOS,
//! GEODIST, GEOHASH digits; GEOSEARCH / GEOSEARCHSTORE and the GEORADIUS
//! family with every option, in RESP2 and RESP3, every error; and a
//! seeded generator of random places and searches (ties in distance
//! included, so the partial sort's order is checked).

use super::generator::Rng;
use super::{Cmp, Pair, run_lines, split_line};

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

const QUERIES: &str = r#"
FLUSHALL
GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania
GEOADD Sicily 13.583333 37.316667 Agrigento 12.758489 38.788135 edge1 17.241510 38.788135 edge2
GEOPOS Sicily Palermo Catania NonExisting
GEOPOS Sicily
GEOPOS nokey a b
GEODIST Sicily Palermo Catania
GEODIST Sicily Palermo Catania km
GEODIST Sicily Palermo Catania MI
GEODIST Sicily Palermo Catania ft
GEODIST Sicily Palermo Catania m
GEODIST Sicily Palermo Palermo
GEODIST Sicily Palermo Foo
GEODIST nokey a b
GEODIST Sicily Palermo Catania yards
GEODIST Sicily Palermo Catania km extra
GEOHASH Sicily Palermo Catania Foo
GEOHASH nokey a
GEORADIUS Sicily 15 37 200 km
GEORADIUS Sicily 15 37 200 km WITHDIST
GEORADIUS Sicily 15 37 200 km WITHCOORD
GEORADIUS Sicily 15 37 200 km WITHDIST WITHCOORD WITHHASH
GEORADIUS Sicily 15 37 200 km WITHHASH ASC
GEORADIUS Sicily 15 37 200 km DESC
GEORADIUS Sicily 15 37 200 km COUNT 1
GEORADIUS Sicily 15 37 200 km COUNT 2 DESC
GEORADIUS Sicily 15 37 200 km COUNT 2 ANY
GEORADIUS Sicily 15 37 200 km COUNT 2 ANY ASC
GEORADIUS Sicily 15 37 200 km ANY
GEORADIUS Sicily 15 37 200 km COUNT 0
GEORADIUS Sicily 15 37 200 km COUNT -1
GEORADIUS Sicily 15 37 200 km COUNT abc
GEORADIUS Sicily 15 37 200 km COUNT
GEORADIUS Sicily 15 37 -1 km
GEORADIUS Sicily 15 37 abc km
GEORADIUS Sicily 15 37 200 lightyears
GEORADIUS Sicily 200 37 200 km
GEORADIUS Sicily 15 37 200 km FOO
GEORADIUS Sicily 15 37 0 km
GEORADIUS Sicily 13.361389 38.115556 0 km
GEORADIUS Sicily 15 37 20000 km
GEORADIUS Sicily 15 37 200 mi WITHDIST
GEORADIUS Sicily 15 37 200000 ft WITHDIST
GEORADIUS Sicily 15 37 200 km STORE dst
ZRANGE dst 0 -1 WITHSCORES
GEORADIUS Sicily 15 37 200 km STOREDIST dst COUNT 2
ZRANGE dst 0 -1 WITHSCORES
GEORADIUS Sicily 15 37 200 km STORE dst WITHDIST
GEORADIUS Sicily 15 37 1 m STORE dst
EXISTS dst
GEORADIUS_RO Sicily 15 37 200 km STORE dst
GEORADIUS_RO Sicily 15 37 200 km WITHDIST
GEORADIUS nokey 15 37 200 km
GEORADIUS nokey 15 37 200 km STORE dst
GEORADIUSBYMEMBER Sicily Palermo 200 km WITHDIST
GEORADIUSBYMEMBER Sicily Palermo 200 km WITHCOORD COUNT 3 DESC
GEORADIUSBYMEMBER Sicily Foo 200 km
GEORADIUSBYMEMBER Sicily Palermo 200
GEORADIUSBYMEMBER nokey Palermo abc km
GEORADIUSBYMEMBER nokey Palermo 200 km STORE x
GEORADIUSBYMEMBER_RO Sicily Palermo 100 km
GEORADIUSBYMEMBER Sicily Palermo 200 km STOREDIST d2
ZRANGE d2 0 -1 WITHSCORES
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km ASC
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 400 km ASC WITHCOORD WITHDIST WITHHASH
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 200 200 km ASC
GEOSEARCH Sicily FROMMEMBER Palermo BYBOX 400 400 km DESC WITHDIST
GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 100 km
GEOSEARCH Sicily FROMMEMBER Foo BYRADIUS 100 km
GEOSEARCH Sicily FROMMEMBER Palermo FROMLONLAT 1 1 BYRADIUS 100 km
GEOSEARCH Sicily FROMLONLAT 1 1 FROMMEMBER Palermo BYRADIUS 100 km
GEOSEARCH Sicily BYRADIUS 100 km
GEOSEARCH Sicily FROMLONLAT 15 37 ASC
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 10 km BYBOX 1 1 km
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX -1 1 km
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX a 1 km
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 a km
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 1 parsecs
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km STORE x
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km COUNT 2 ANY WITHDIST
geosearch Sicily ASC
GEOSEARCH nokey FROMMEMBER a BYRADIUS 1 km
GEOSEARCH nokey FROMLONLAT 1 1 BYRADIUS 1 km COUNT 3 ANY
GEOSEARCH nokey FROMMEMBER a
GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km
ZRANGE dst 0 -1 WITHSCORES
GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST COUNT 2
ZRANGE dst 0 -1 WITHSCORES
GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km WITHDIST
GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 1 m
EXISTS dst
GEOSEARCHSTORE dst nokey FROMLONLAT 15 37 BYRADIUS 1 m
SET s x
GEOSEARCH s FROMLONLAT 15 37 BYRADIUS 1 m
GEOPOS s a
GEODIST s a b
GEOHASH s a
GEORADIUS s 15 37 200 km
GEOSEARCHSTORE s Sicily FROMLONLAT 15 37 BYRADIUS 200 km
TYPE s
ZADD odd -1 neg 0 zero 4503599627370496 big 9007199254740992 huge inf pinf -inf ninf 1e30 vast
GEOPOS odd neg zero big huge pinf ninf vast
GEOHASH odd neg zero big huge pinf ninf vast
GEODIST odd neg big
GEOADD same 10 10 a 10 10 b 10 10 c 10 10 d 10 10 e 10 10 f 10 10 g 10 10 h 10 10 i 10 10 j
GEOSEARCH same FROMLONLAT 10 10 BYRADIUS 1 km ASC COUNT 3
GEOSEARCH same FROMLONLAT 10 10 BYRADIUS 1 km DESC COUNT 4
GEOSEARCH same FROMLONLAT 10 10 BYRADIUS 1 km ASC
GEOADD poles 0 85 n1 180 85 n2 -180 85 n3 0 -85 s1 179.9 -85 s2
GEOSEARCH poles FROMLONLAT 0 85 BYRADIUS 3000 km ASC WITHDIST
GEOSEARCH poles FROMLONLAT 0 -85 BYBOX 5000 5000 km ASC WITHCOORD
GEORADIUS poles 180 0 20000 km ASC
GEORADIUS poles -180 0 100 km ASC
COMMAND GETKEYS GEORADIUS k 1 1 1 km STORE a STOREDIST b
COMMAND GETKEYS GEOSEARCHSTORE d s FROMLONLAT 1 1 BYRADIUS 1 km
"#;

#[test]
fn geo_query_cases() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(&mut p, QUERIES);
    // The same under RESP3: coordinates become doubles, missing places nulls.
    p.check(&split_line("HELLO 3"), Cmp::SameType);
    run_lines(&mut p, QUERIES);
}

/// Random places (some repeated, so equal distances occur) and random
/// searches with every option; replies compared byte for byte.
#[test]
fn geo_generated_searches() {
    let Some(mut p) = Pair::start() else { return };
    let mut r = Rng::new(0x9e0_5ea7c);
    for round in 0..6 {
        p.check(&split_line("FLUSHALL"), Cmp::Exact);
        if round % 2 == 1 {
            p.check(&split_line("HELLO 3"), Cmp::SameType);
        }
        // Around a centre, spread by a few degrees; some rounds beyond the
        // listpack limit so the skiplist encoding is searched too.
        let (cx, cy) = (r.below(340) as f64 - 170.0, r.below(160) as f64 - 80.0);
        let n = if round < 3 { 60 } else { 300 };
        let mut places = Vec::new();
        for i in 0..n {
            let (x, y) = if i > 0 && r.chance(15) {
                *r.pick(&places)
            } else {
                let x = (cx + (r.below(2000) as f64 - 1000.0) / 250.0).clamp(-180.0, 180.0);
                let y = (cy + (r.below(2000) as f64 - 1000.0) / 250.0).clamp(-85.0, 85.0);
                (x, y)
            };
            places.push((x, y));
            let line = format!("GEOADD g {x} {y} m{i}");
            p.check(&split_line(&line), Cmp::Exact);
        }
        for _ in 0..150 {
            let mut cmd = String::new();
            let from = if r.chance(50) {
                format!("FROMMEMBER m{}", r.below(n))
            } else {
                let (x, y) = *r.pick(&places);
                format!("FROMLONLAT {} {}", x + 0.01, y - 0.01)
            };
            let unit = *r.pick(&["m", "km", "mi", "ft"]);
            let scale = match unit {
                "m" => 1000.0,
                "ft" => 3000.0,
                _ => 1.0,
            };
            let by = if r.chance(50) {
                format!("BYRADIUS {} {unit}", (r.below(500) + 1) as f64 * scale)
            } else {
                format!(
                    "BYBOX {} {} {unit}",
                    (r.below(800) + 1) as f64 * scale,
                    (r.below(800) + 1) as f64 * scale
                )
            };
            let store = r.chance(20);
            if store {
                cmd.push_str(&format!("GEOSEARCHSTORE dst g {from} {by}"));
                if r.chance(50) {
                    cmd.push_str(" STOREDIST");
                }
            } else {
                cmd.push_str(&format!("GEOSEARCH g {from} {by}"));
                for opt in ["WITHDIST", "WITHCOORD", "WITHHASH"] {
                    if r.chance(40) {
                        cmd.push(' ');
                        cmd.push_str(opt);
                    }
                }
            }
            match r.below(3) {
                0 => cmd.push_str(" ASC"),
                1 => cmd.push_str(" DESC"),
                _ => {}
            }
            if r.chance(50) {
                cmd.push_str(&format!(" COUNT {}", r.below(20) + 1));
                if r.chance(30) {
                    cmd.push_str(" ANY");
                }
            }
            p.check(&split_line(&cmd), Cmp::Exact);
            if store {
                p.check(&split_line("ZRANGE dst 0 -1 WITHSCORES"), Cmp::Exact);
            }
        }
    }
}
