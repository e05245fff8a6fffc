//! TTL expiry: lazy (never visible once expired) and active (memory is
//! reclaimed while nobody touches the keys).

use crate::common::{encode, start_miniredis, wait_for};
use std::time::Duration;

fn info_field(r: &mut crate::common::Raw, field: &str) -> u64 {
    let info = String::from_utf8(r.cmd(&[b"INFO"])).unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn expired_key_is_never_visible() {
    let s = start_miniredis(&[]);
    let mut r = s.raw();
    r.q("DEBUG SET-ACTIVE-EXPIRE 0");
    assert_eq!(r.q("SET k v PX 30"), "+OK\r\n");
    assert!(wait_for(Duration::from_secs(5), || r.q("PTTL k") == ":-2\r\n"));
    assert_eq!(r.q("GET k"), "$-1\r\n");
    assert_eq!(r.q("EXISTS k"), ":0\r\n");
    assert_eq!(r.q("DBSIZE"), ":0\r\n");
}

#[test]
fn a_hundred_thousand_keys_expire_untouched_and_memory_falls() {
    let s = start_miniredis(&[]);
    let mut r = s.raw();
    let baseline = info_field(&mut r, "used_memory");
    // Active expiry waits until every key is in (on a loaded machine the
    // load can take longer than the TTL); DBSIZE counts expired keys too.
    r.q("DEBUG SET-ACTIVE-EXPIRE 0");
    let mut batch = Vec::new();
    for i in 0..100_000 {
        let k = format!("key:{i:08}");
        batch.extend(encode(&[
            b"SET",
            k.as_bytes(),
            b"some-value-here",
            b"EX",
            b"1",
        ]));
    }
    r.send(&batch);
    for _ in 0..100_000 {
        r.read_reply();
    }
    assert_eq!(r.q("DBSIZE"), ":100000\r\n");
    let loaded = info_field(&mut r, "used_memory");
    assert!(
        loaded > baseline + 5_000_000,
        "100k keys cost memory: {baseline} -> {loaded}"
    );
    r.q("DEBUG SET-ACTIVE-EXPIRE 1");
    // Nobody touches the keys: DBSIZE and INFO do not look keys up.
    assert!(
        wait_for(Duration::from_secs(10), || r.q("DBSIZE") == ":0\r\n"),
        "active expiry emptied the db"
    );
    let after = info_field(&mut r, "used_memory");
    assert!(
        after < baseline + (loaded - baseline) / 4,
        "memory falls back: {baseline} -> {loaded} -> {after}"
    );
    assert_eq!(info_field(&mut r, "expired_keys"), 100_000);
}

/// An expiry storm is worked off in time-bounded cycles: other clients are
/// answered between them while expired keys are still being removed, and
/// the cycle reports hitting its time limit.
#[test]
fn an_expiry_storm_keeps_other_clients_served() {
    let s = start_miniredis(&[]);
    let mut r = s.raw();
    let n = 300_000u64;
    r.q("DEBUG SET-ACTIVE-EXPIRE 0");
    r.send(format!("DEBUG POPULATE {n}\r\n").as_bytes());
    assert_eq!(r.read_reply(), b"+OK\r\n");
    // Every key expires at the same instant, 3 s from now.
    let n_arg = n.to_string();
    let at = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        + 3000)
        .to_string();
    let set_ttls =
        "for i = 0, tonumber(ARGV[1]) - 1 do redis.call('PEXPIREAT', 'key:' .. i, ARGV[2]) end";
    assert_eq!(
        r.cmd(&[
            b"EVAL",
            set_ttls.as_bytes(),
            b"0",
            n_arg.as_bytes(),
            at.as_bytes()
        ]),
        b"$-1\r\n"
    );
    let mut other = s.raw();
    let dbsize = |r: &mut crate::common::Raw| -> u64 {
        String::from_utf8(r.cmd(&[b"DBSIZE"])).unwrap()[1..]
            .trim()
            .parse()
            .unwrap()
    };
    // Keys whose time passed while the script still ran were deleted by
    // PEXPIREAT itself (a past time deletes at once); the rest expire.
    let storm = dbsize(&mut r);
    assert!(
        storm > n / 2,
        "only {storm} keys left to expire: machine too slow"
    );
    r.q("DEBUG SET-ACTIVE-EXPIRE 1");
    // Wait until the storm has begun, then see a PING answered while keys
    // are still left to expire.
    assert!(wait_for(Duration::from_secs(30), || dbsize(&mut r) < storm));
    let mut answered_mid_storm = false;
    while dbsize(&mut r) > 0 {
        assert_eq!(other.q("PING"), "+PONG\r\n");
        let left = dbsize(&mut r);
        if left > 0 && left < storm {
            answered_mid_storm = true;
        }
    }
    assert!(
        answered_mid_storm,
        "no PING answered while keys were expiring"
    );
    assert!(info_field(&mut r, "expired_time_cap_reached_count") >= 1);
    assert_eq!(info_field(&mut r, "expired_keys"), storm);
}
