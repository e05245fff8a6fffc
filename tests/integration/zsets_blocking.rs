//! BZPOPMIN/BZPOPMAX/BZMPOP with several clients: served by a later write,
//! in blocking order, timeouts, RESP3 replies, and what the AOF logs.

use crate::common::{Raw, start_miniredis, wait_for};
use std::time::{Duration, Instant};

/// Wait until the server reports `n` blocked clients (CLIENT LIST cmd=).
fn wait_blocked(r: &mut Raw, n: usize) {
    assert!(
        wait_for(Duration::from_secs(5), || {
            let list = String::from_utf8(r.cmd(&[b"CLIENT", b"LIST"])).unwrap();
            list.matches("flags=b").count() == n
        }),
        "expected {n} blocked clients"
    );
}

#[test]
fn bzpopmin_is_served_by_a_later_zadd() {
    let s = start_miniredis(&[]);
    let mut w = s.raw();
    let mut p = s.raw();
    w.send_cmd(&[b"BZPOPMIN", b"z", b"0"]);
    wait_blocked(&mut p, 1);
    assert_eq!(p.cmd(&[b"ZADD", b"z", b"2", b"b", b"1.5", b"a"]), b":2\r\n");
    assert_eq!(w.read_reply(), b"*3\r\n$1\r\nz\r\n$1\r\na\r\n$3\r\n1.5\r\n");
    assert_eq!(
        p.cmd(&[b"ZRANGE", b"z", b"0", b"-1", b"WITHSCORES"]),
        b"*2\r\n$1\r\nb\r\n$1\r\n2\r\n"
    );
    // The last member popped removes the key.
    w.send_cmd(&[b"BZPOPMAX", b"z", b"0"]);
    assert_eq!(w.read_reply(), b"*3\r\n$1\r\nz\r\n$1\r\nb\r\n$1\r\n2\r\n");
    assert_eq!(p.cmd(&[b"EXISTS", b"z"]), b":0\r\n");
}

#[test]
fn timeouts_reply_null() {
    let s = start_miniredis(&[]);
    let mut w = s.raw();
    let t0 = Instant::now();
    assert_eq!(w.cmd(&[b"BZPOPMIN", b"z", b"0.1"]), b"*-1\r\n");
    let took = t0.elapsed();
    assert!(
        took >= Duration::from_millis(98) && took < Duration::from_millis(1000),
        "{took:?}"
    );
    assert_eq!(w.cmd(&[b"BZPOPMAX", b"z", b"y", b"0.05"]), b"*-1\r\n");
    assert_eq!(
        w.cmd(&[b"BZMPOP", b"0.05", b"2", b"z", b"y", b"MIN", b"COUNT", b"3"]),
        b"*-1\r\n"
    );
    w.cmd(&[b"HELLO", b"3"]);
    assert_eq!(w.cmd(&[b"BZPOPMIN", b"z", b"0.05"]), b"_\r\n");
    assert_eq!(w.cmd(&[b"BZMPOP", b"0.05", b"1", b"z", b"MAX"]), b"_\r\n");
    assert_eq!(w.cmd(&[b"PING"]), b"+PONG\r\n");
}

#[test]
fn bzmpop_is_served_with_up_to_count_members() {
    let s = start_miniredis(&[]);
    let mut w = s.raw();
    let mut p = s.raw();
    w.send_cmd(&[b"BZMPOP", b"0", b"2", b"a", b"b", b"MAX", b"COUNT", b"2"]);
    wait_blocked(&mut p, 1);
    p.cmd(&[b"ZADD", b"b", b"1", b"x", b"2", b"y", b"3", b"z"]);
    assert_eq!(
        w.read_reply(),
        b"*2\r\n$1\r\nb\r\n*2\r\n*2\r\n$1\r\nz\r\n$1\r\n3\r\n*2\r\n$1\r\ny\r\n$1\r\n2\r\n"
    );
    assert_eq!(p.cmd(&[b"ZCARD", b"b"]), b":1\r\n");
    // RESP3: the scores are doubles.
    w.cmd(&[b"HELLO", b"3"]);
    w.send_cmd(&[b"BZMPOP", b"0", b"1", b"c", b"MIN", b"COUNT", b"5"]);
    wait_blocked(&mut p, 1);
    p.cmd(&[b"ZADD", b"c", b"0.5", b"m"]);
    assert_eq!(
        w.read_reply(),
        b"*2\r\n$1\r\nc\r\n*1\r\n*2\r\n$1\r\nm\r\n,0.5\r\n"
    );
    w.send_cmd(&[b"BZPOPMIN", b"d", b"0"]);
    wait_blocked(&mut p, 1);
    p.cmd(&[b"ZADD", b"d", b"-inf", b"m"]);
    assert_eq!(w.read_reply(), b"*3\r\n$1\r\nd\r\n$1\r\nm\r\n,-inf\r\n");
}

#[test]
fn waiters_are_served_in_order_and_the_first_key_with_data_wins() {
    let s = start_miniredis(&[]);
    let mut admin = s.raw();
    let mut waiters: Vec<Raw> = Vec::new();
    for i in 0..3 {
        let mut w = s.raw();
        w.send_cmd(&[b"BZPOPMIN", b"k1", b"k2", b"0"]);
        waiters.push(w);
        wait_blocked(&mut admin, i + 1);
    }
    assert_eq!(
        admin.cmd(&[b"ZADD", b"k2", b"3", b"c", b"1", b"a", b"2", b"b"]),
        b":3\r\n"
    );
    for (w, (m, sc)) in waiters.iter_mut().zip([("a", 1), ("b", 2), ("c", 3)]) {
        assert_eq!(
            w.read_reply(),
            format!("*3\r\n$2\r\nk2\r\n$1\r\n{m}\r\n$1\r\n{sc}\r\n").as_bytes()
        );
    }
    assert_eq!(admin.cmd(&[b"EXISTS", b"k2"]), b":0\r\n");
    // Served clients left every queue: a later write to k1 stays.
    admin.cmd(&[b"ZADD", b"k1", b"1", b"x"]);
    assert_eq!(admin.cmd(&[b"ZCARD", b"k1"]), b":1\r\n");
}

#[test]
fn a_list_does_not_serve_a_sorted_set_waiter_and_store_commands_do() {
    let s = start_miniredis(&[]);
    let mut w = s.raw();
    let mut p = s.raw();
    w.send_cmd(&[b"BZPOPMAX", b"k", b"0"]);
    wait_blocked(&mut p, 1);
    p.cmd(&[b"RPUSH", b"k", b"v"]);
    p.cmd(&[b"DEL", b"k"]);
    wait_blocked(&mut p, 1);
    p.cmd(&[b"ZADD", b"src", b"1", b"a", b"2", b"b"]);
    assert_eq!(p.cmd(&[b"ZUNIONSTORE", b"k", b"1", b"src"]), b":2\r\n");
    assert_eq!(w.read_reply(), b"*3\r\n$1\r\nk\r\n$1\r\nb\r\n$1\r\n2\r\n");
    w.send_cmd(&[b"BZPOPMIN", b"r", b"0"]);
    wait_blocked(&mut p, 1);
    assert_eq!(
        p.cmd(&[b"ZRANGESTORE", b"r", b"src", b"1", b"1"]),
        b":1\r\n"
    );
    assert_eq!(w.read_reply(), b"*3\r\n$1\r\nr\r\n$1\r\nb\r\n$1\r\n2\r\n");
    assert_eq!(p.cmd(&[b"EXISTS", b"r"]), b":0\r\n");
}

#[test]
fn an_added_member_is_never_visible_in_between() {
    let s = start_miniredis(&[]);
    let mut w = s.raw();
    let mut p = s.raw();
    w.send_cmd(&[b"BZPOPMIN", b"z", b"0"]);
    wait_blocked(&mut p, 1);
    p.send(b"ZADD z 1 x\r\nZRANGE z 0 -1\r\nEXISTS z\r\n");
    assert_eq!(p.read_reply(), b":1\r\n");
    assert_eq!(p.read_reply(), b"*0\r\n");
    assert_eq!(p.read_reply(), b":0\r\n");
    assert_eq!(w.read_reply(), b"*3\r\n$1\r\nz\r\n$1\r\nx\r\n$1\r\n1\r\n");
}

#[test]
fn inside_multi_a_blocking_pop_answers_as_a_timeout() {
    let s = start_miniredis(&[]);
    let mut r = s.raw();
    r.send(b"MULTI\r\nBZPOPMIN z 0\r\nBZMPOP 0 1 z MIN\r\nEXEC\r\n");
    assert_eq!(r.read_reply(), b"+OK\r\n");
    assert_eq!(r.read_reply(), b"+QUEUED\r\n");
    assert_eq!(r.read_reply(), b"+QUEUED\r\n");
    assert_eq!(r.read_reply(), b"*2\r\n*-1\r\n*-1\r\n");
}

#[test]
fn served_pops_are_logged_as_zpopmin_and_replay() {
    let dir = std::env::temp_dir().join(format!("miniredis-zsets-aof-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("z.aof");
    let args = [
        "--aof",
        path.to_str().unwrap(),
        "--appendfsync",
        "always",
        "--save",
        "",
    ];
    {
        let s = start_miniredis(&args);
        let mut w = s.raw();
        let mut p = s.raw();
        w.send_cmd(&[b"BZPOPMIN", b"z", b"0"]);
        wait_blocked(&mut p, 1);
        p.cmd(&[b"ZADD", b"z", b"1", b"a", b"2", b"b", b"3", b"c"]);
        w.read_reply();
        w.send_cmd(&[b"BZMPOP", b"0", b"1", b"y", b"MAX", b"COUNT", b"5"]);
        wait_blocked(&mut p, 1);
        p.cmd(&[b"ZADD", b"y", b"1", b"a", b"2", b"b"]);
        w.read_reply();
        p.cmd(&[b"ZMPOP", b"1", b"z", b"MAX", b"COUNT", b"9"]);
        p.cmd(&[b"ZADD", b"z", b"1", b"q", b"2", b"r"]);
        p.cmd(&[b"BZPOPMAX", b"z", b"0"]);
        p.send(b"SHUTDOWN\r\n");
        assert!(p.closed());
    }
    let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
    assert!(!text.contains("BZ") && !text.contains("ZMPOP"), "{text}");
    assert!(text.contains("$7\r\nZPOPMIN\r\n$1\r\nz\r\n*"), "{text}");
    assert!(
        text.contains("$7\r\nZPOPMAX\r\n$1\r\ny\r\n$1\r\n2\r\n"),
        "{text}"
    );
    assert!(
        text.contains("$7\r\nZPOPMAX\r\n$1\r\nz\r\n$1\r\n2\r\n"),
        "{text}"
    );
    let s = start_miniredis(&args);
    let mut r = s.raw();
    assert_eq!(
        r.cmd(&[b"ZRANGE", b"z", b"0", b"-1", b"WITHSCORES"]),
        b"*2\r\n$1\r\nq\r\n$1\r\n1\r\n"
    );
    assert_eq!(r.cmd(&[b"EXISTS", b"y"]), b":0\r\n");
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Waiters are readied where a key is created (Redis's dbAdd), not by an
/// overwrite: a client blocked on a key that another type took meanwhile
/// stays blocked when a STORE replaces that value, until a push.
#[test]
fn an_overwrite_readies_nobody() {
    let s = crate::common::start_miniredis(&[]);
    let mut w = s.raw();
    let mut r = s.raw();
    w.send_cmd(&[b"BZPOPMAX", b"k", b"0"]);
    assert!(crate::common::wait_for(
        std::time::Duration::from_secs(5),
        || {
            String::from_utf8_lossy(&r.cmd(&[b"INFO", b"clients"]))
                .contains("blocked_clients:1\r\n")
        }
    ));
    assert_eq!(r.q("SET k v"), "+OK\r\n");
    assert_eq!(r.q("ZADD src 1 a"), ":1\r\n");
    assert_eq!(r.q("ZUNIONSTORE k 1 src"), ":1\r\n");
    // Still blocked: the overwrite signalled nothing.
    assert!(
        String::from_utf8_lossy(&r.cmd(&[b"INFO", b"clients"])).contains("blocked_clients:1\r\n")
    );
    // As in redis-server 7.0.15, adding to that existing sorted set
    // readies nobody either; only a key created anew does.
    assert_eq!(r.q("ZADD k 2 b"), ":1\r\n");
    assert!(
        String::from_utf8_lossy(&r.cmd(&[b"INFO", b"clients"])).contains("blocked_clients:1\r\n")
    );
    assert_eq!(r.q("DEL k"), ":1\r\n");
    assert_eq!(r.q("ZADD k 3 c"), ":1\r\n");
    assert_eq!(w.read_reply(), b"*3\r\n$1\r\nk\r\n$1\r\nc\r\n$1\r\n3\r\n");
}
