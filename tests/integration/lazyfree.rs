//! Lazy freeing: UNLINK, FLUSHDB/FLUSHALL ASYNC and the lazyfree-lazy-*
//! settings take big values out of the keyspace at once and free them on
//! the helper thread; INFO counts them. DEBUG LAZYFREE-HOLD keeps the
//! thread from freeing, so a test sees the key gone while its memory is
//! still held, then sees the memory fall once released.

use crate::common::{Raw, start_miniredis, wait_for};
use std::time::Duration;

fn info_field(r: &mut Raw, field: &str) -> u64 {
    let info = String::from_utf8(r.cmd(&[b"INFO", b"memory"])).unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in {info}"))
}

/// A hashtable-encoded set of `n` members (well over the 64-allocation
/// threshold).
fn big_set(r: &mut Raw, key: &[u8], n: usize) {
    for start in (0..n).step_by(1000) {
        let members: Vec<Vec<u8>> = (start..(start + 1000).min(n))
            .map(|i| format!("member:{i:08}").into_bytes())
            .collect();
        let mut args: Vec<&[u8]> = vec![b"SADD", key];
        args.extend(members.iter().map(|m| m.as_slice()));
        r.cmd(&args);
    }
}

#[test]
fn unlink_frees_a_big_value_off_the_loop() {
    let s = start_miniredis(&[]);
    let mut r = s.raw();
    big_set(&mut r, b"big", 50_000);
    big_set(&mut r, b"big2", 50_000);
    assert_eq!(
        r.cmd(&[b"OBJECT", b"ENCODING", b"big"]),
        b"$9\r\nhashtable\r\n"
    );
    assert_eq!(r.cmd(&[b"CONFIG", b"RESETSTAT"]), b"+OK\r\n");
    let before = info_field(&mut r, "used_memory");
    assert_eq!(r.cmd(&[b"DEBUG", b"LAZYFREE-HOLD", b"1"]), b"+OK\r\n");
    assert_eq!(r.cmd(&[b"UNLINK", b"big", b"nosuch"]), b":1\r\n");
    // Gone from the keyspace, not yet freed.
    assert_eq!(r.cmd(&[b"EXISTS", b"big"]), b":0\r\n");
    assert_eq!(info_field(&mut r, "lazyfree_pending_objects"), 1);
    assert_eq!(info_field(&mut r, "lazyfreed_objects"), 0);
    let held = info_field(&mut r, "used_memory");
    assert!(
        held + 1_000_000 > before,
        "memory fell while held: {before} -> {held}"
    );
    // The loop keeps serving meanwhile.
    assert_eq!(r.cmd(&[b"SCARD", b"big2"]), b":50000\r\n");
    assert_eq!(r.cmd(&[b"DEBUG", b"LAZYFREE-HOLD", b"0"]), b"+OK\r\n");
    assert!(
        wait_for(Duration::from_secs(10), || info_field(
            &mut r,
            "lazyfreed_objects"
        ) == 1),
        "the thread never freed the set"
    );
    assert_eq!(info_field(&mut r, "lazyfree_pending_objects"), 0);
    let after = info_field(&mut r, "used_memory");
    assert!(after + 1_000_000 < held, "used_memory {held} -> {after}");
    // DEL frees inline by default: nothing is counted.
    assert_eq!(r.cmd(&[b"DEL", b"big2"]), b":1\r\n");
    assert_eq!(info_field(&mut r, "lazyfreed_objects"), 1);
}

#[test]
fn small_values_are_freed_inline() {
    let s = start_miniredis(&[]);
    let mut r = s.raw();
    r.cmd(&[b"SADD", b"small", b"a", b"b", b"c"]);
    r.cmd(&[b"SET", b"str", b"value"]);
    assert_eq!(r.cmd(&[b"UNLINK", b"small", b"str"]), b":2\r\n");
    assert_eq!(info_field(&mut r, "lazyfreed_objects"), 0);
    assert_eq!(info_field(&mut r, "lazyfree_pending_objects"), 0);
}

#[test]
fn flush_async_and_lazy_settings_use_the_thread() {
    let s = start_miniredis(&[]);
    let mut r = s.raw();
    r.send(b"DEBUG POPULATE 20000\r\n");
    assert_eq!(r.read_reply(), b"+OK\r\n");
    let before = info_field(&mut r, "used_memory");
    assert_eq!(r.cmd(&[b"DEBUG", b"LAZYFREE-HOLD", b"1"]), b"+OK\r\n");
    assert_eq!(r.cmd(&[b"FLUSHALL", b"ASYNC"]), b"+OK\r\n");
    assert_eq!(r.cmd(&[b"DBSIZE"]), b":0\r\n");
    // Redis counts an emptied database as its keys.
    assert_eq!(info_field(&mut r, "lazyfree_pending_objects"), 20000);
    assert_eq!(r.cmd(&[b"DEBUG", b"LAZYFREE-HOLD", b"0"]), b"+OK\r\n");
    assert!(wait_for(Duration::from_secs(10), || {
        info_field(&mut r, "lazyfreed_objects") == 20000
    }));
    assert!(info_field(&mut r, "used_memory") < before);
    // FLUSHDB ASYNC, and lazyfree-lazy-user-flush for a bare FLUSHDB.
    r.send(b"DEBUG POPULATE 100\r\n");
    assert_eq!(r.read_reply(), b"+OK\r\n");
    assert_eq!(r.cmd(&[b"FLUSHDB", b"ASYNC"]), b"+OK\r\n");
    assert!(wait_for(Duration::from_secs(10), || {
        info_field(&mut r, "lazyfreed_objects") == 20100
    }));
    r.send(b"DEBUG POPULATE 10\r\n");
    assert_eq!(r.read_reply(), b"+OK\r\n");
    assert_eq!(r.cmd(&[b"FLUSHDB", b"SYNC"]), b"+OK\r\n");
    assert_eq!(info_field(&mut r, "lazyfreed_objects"), 20100);
    r.cmd(&[b"CONFIG", b"SET", b"lazyfree-lazy-user-flush", b"yes"]);
    r.send(b"DEBUG POPULATE 10\r\n");
    assert_eq!(r.read_reply(), b"+OK\r\n");
    assert_eq!(r.cmd(&[b"FLUSHDB"]), b"+OK\r\n");
    assert!(wait_for(Duration::from_secs(10), || {
        info_field(&mut r, "lazyfreed_objects") == 20110
    }));
    assert_eq!(r.cmd(&[b"FLUSHDB", b"BOTH"]), b"-ERR syntax error\r\n");
    // lazyfree-lazy-user-del makes DEL behave as UNLINK; an overwrite
    // under lazyfree-lazy-server-del frees the old value on the thread.
    r.cmd(&[b"CONFIG", b"SET", b"lazyfree-lazy-user-del", b"yes"]);
    big_set(&mut r, b"s", 5000);
    assert_eq!(r.cmd(&[b"DEL", b"s"]), b":1\r\n");
    assert!(wait_for(Duration::from_secs(10), || {
        info_field(&mut r, "lazyfreed_objects") == 20111
    }));
    r.cmd(&[b"CONFIG", b"SET", b"lazyfree-lazy-server-del", b"yes"]);
    big_set(&mut r, b"s", 5000);
    assert_eq!(r.cmd(&[b"SET", b"s", b"now a string"]), b"+OK\r\n");
    assert!(wait_for(Duration::from_secs(10), || {
        info_field(&mut r, "lazyfreed_objects") == 20112
    }));
    // Expiry under lazyfree-lazy-expire.
    r.cmd(&[b"CONFIG", b"SET", b"lazyfree-lazy-expire", b"yes"]);
    big_set(&mut r, b"e", 5000);
    assert_eq!(r.cmd(&[b"PEXPIRE", b"e", b"1"]), b":1\r\n");
    assert!(wait_for(Duration::from_secs(10), || {
        r.cmd(&[b"EXISTS", b"e"]) == b":0\r\n"
    }));
    assert!(wait_for(Duration::from_secs(10), || {
        info_field(&mut r, "lazyfreed_objects") == 20113
    }));
}

#[test]
fn script_flush_async_frees_a_big_cache_on_the_thread() {
    let s = start_miniredis(&[]);
    let mut r = s.raw();
    for i in 0..100 {
        let body = format!("return {i}");
        let reply = r.cmd(&[b"SCRIPT", b"LOAD", body.as_bytes()]);
        assert!(reply.starts_with(b"$40\r\n"), "{reply:?}");
    }
    assert_eq!(r.cmd(&[b"SCRIPT", b"FLUSH", b"ASYNC"]), b"+OK\r\n");
    assert!(wait_for(Duration::from_secs(10), || {
        info_field(&mut r, "lazyfreed_objects") == 100
    }));
    // A small cache, or SYNC, is freed inline.
    r.cmd(&[b"SCRIPT", b"LOAD", b"return 1"]);
    assert_eq!(r.cmd(&[b"SCRIPT", b"FLUSH", b"ASYNC"]), b"+OK\r\n");
    assert_eq!(r.cmd(&[b"SCRIPT", b"FLUSH", b"SYNC"]), b"+OK\r\n");
    assert_eq!(info_field(&mut r, "lazyfreed_objects"), 100);
    assert_eq!(
        r.cmd(&[b"SCRIPT", b"FLUSH", b"LATER"]),
        b"-ERR SCRIPT FLUSH only support SYNC|ASYNC option\r\n"
    );
}

#[test]
fn function_flush_async_frees_a_big_registry_on_the_thread() {
    let s = start_miniredis(&[]);
    let mut r = s.raw();
    let mut code = String::from("#!lua name=big\n");
    for i in 0..70 {
        code.push_str(&format!(
            "redis.register_function('f{i}', function() return {i} end)\n"
        ));
    }
    assert_eq!(
        r.cmd(&[b"FUNCTION", b"LOAD", code.as_bytes()]),
        b"$3\r\nbig\r\n"
    );
    assert_eq!(r.cmd(&[b"FCALL", b"f69", b"0"]), b":69\r\n");
    assert_eq!(r.cmd(&[b"FUNCTION", b"FLUSH", b"ASYNC"]), b"+OK\r\n");
    assert!(wait_for(Duration::from_secs(10), || {
        info_field(&mut r, "lazyfreed_objects") == 70
    }));
    assert_eq!(
        r.cmd(&[b"FCALL", b"f69", b"0"]),
        b"-ERR Function not found\r\n"
    );
    assert_eq!(
        r.cmd(&[b"FUNCTION", b"FLUSH", b"LATER"]),
        b"-ERR FUNCTION FLUSH only supports SYNC|ASYNC option\r\n"
    );
}
