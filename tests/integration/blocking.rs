//! Blocking pops with several clients: order, keys, timeouts, disconnects,
//! CLIENT UNBLOCK, and atomic hand-over of pushed elements.

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
fn worker_in_brpop_gets_a_job_pushed_later() {
    let s = start_miniredis(&[]);
    let mut worker = s.raw();
    let mut producer = s.raw();
    worker.send_cmd(&[b"BRPOP", b"queue:jobs", b"0"]);
    wait_blocked(&mut producer, 1);
    assert_eq!(producer.cmd(&[b"LPUSH", b"queue:jobs", b"job1"]), b":1\r\n");
    assert_eq!(
        worker.read_reply(),
        b"*2\r\n$10\r\nqueue:jobs\r\n$4\r\njob1\r\n"
    );
    assert_eq!(producer.cmd(&[b"LLEN", b"queue:jobs"]), b":0\r\n");
}

#[test]
fn longest_waiting_client_is_served_first() {
    let s = start_miniredis(&[]);
    let mut admin = s.raw();
    let mut waiters: Vec<Raw> = Vec::new();
    for i in 0..3 {
        let mut w = s.raw();
        w.send_cmd(&[b"BLPOP", b"k", b"0"]);
        waiters.push(w);
        wait_blocked(&mut admin, i + 1);
    }
    assert_eq!(admin.cmd(&[b"RPUSH", b"k", b"a", b"b", b"c"]), b":3\r\n");
    for (w, v) in waiters.iter_mut().zip(["a", "b", "c"]) {
        assert_eq!(
            w.read_reply(),
            format!("*2\r\n$1\r\nk\r\n$1\r\n{v}\r\n").as_bytes()
        );
    }
    assert_eq!(admin.cmd(&[b"EXISTS", b"k"]), b":0\r\n");
}

#[test]
fn several_keys_and_the_first_that_gets_data_wins() {
    let s = start_miniredis(&[]);
    let mut w = s.raw();
    let mut p = s.raw();
    w.send_cmd(&[b"BLPOP", b"k1", b"k2", b"k3", b"0"]);
    wait_blocked(&mut p, 1);
    p.cmd(&[b"RPUSH", b"k2", b"v"]);
    assert_eq!(w.read_reply(), b"*2\r\n$2\r\nk2\r\n$1\r\nv\r\n");
    // The client is no longer queued on k1/k3.
    p.cmd(&[b"RPUSH", b"k1", b"x"]);
    assert_eq!(p.cmd(&[b"LLEN", b"k1"]), b":1\r\n");
}

#[test]
fn timeout_replies_null_with_millisecond_precision() {
    let s = start_miniredis(&[]);
    let mut w = s.raw();
    let t0 = Instant::now();
    assert_eq!(w.cmd(&[b"BLPOP", b"k", b"0.15"]), b"*-1\r\n");
    let took = t0.elapsed();
    // Deadlines are whole milliseconds from the command's start, as in Redis.
    assert!(
        took >= Duration::from_millis(148) && took < Duration::from_millis(1000),
        "{took:?}"
    );
    assert_eq!(
        w.cmd(&[b"BLMOVE", b"k", b"d", b"LEFT", b"LEFT", b"0.05"]),
        b"*-1\r\n"
    );
    assert_eq!(
        w.cmd(&[b"BLMPOP", b"0.05", b"1", b"k", b"LEFT"]),
        b"*-1\r\n"
    );
    assert_eq!(w.cmd(&[b"PING"]), b"+PONG\r\n");
}

#[test]
fn a_disconnected_waiter_is_forgotten() {
    let s = start_miniredis(&[]);
    let mut p = s.raw();
    {
        let mut w = s.raw();
        w.send_cmd(&[b"BLPOP", b"k", b"0"]);
        wait_blocked(&mut p, 1);
    }
    wait_blocked(&mut p, 0);
    p.cmd(&[b"RPUSH", b"k", b"kept"]);
    assert_eq!(
        p.cmd(&[b"LRANGE", b"k", b"0", b"-1"]),
        b"*1\r\n$4\r\nkept\r\n"
    );
}

#[test]
fn a_pushed_element_is_never_visible_in_between() {
    let s = start_miniredis(&[]);
    let mut w = s.raw();
    let mut p = s.raw();
    w.send_cmd(&[b"BLPOP", b"k", b"0"]);
    wait_blocked(&mut p, 1);
    // Push and read in one write: the waiter takes the element first.
    p.send(b"RPUSH k x\r\nLRANGE k 0 -1\r\nEXISTS k\r\n");
    assert_eq!(p.read_reply(), b":1\r\n");
    assert_eq!(p.read_reply(), b"*0\r\n");
    assert_eq!(p.read_reply(), b":0\r\n");
    assert_eq!(w.read_reply(), b"*2\r\n$1\r\nk\r\n$1\r\nx\r\n");
}

#[test]
fn blmove_chains_into_another_waiter() {
    let s = start_miniredis(&[]);
    let mut a = s.raw();
    let mut b = s.raw();
    let mut p = s.raw();
    a.send_cmd(&[b"BLMOVE", b"src", b"dst", b"RIGHT", b"LEFT", b"0"]);
    wait_blocked(&mut p, 1);
    b.send_cmd(&[b"BRPOP", b"dst", b"0"]);
    wait_blocked(&mut p, 2);
    p.cmd(&[b"LPUSH", b"src", b"v"]);
    assert_eq!(a.read_reply(), b"$1\r\nv\r\n");
    assert_eq!(b.read_reply(), b"*2\r\n$3\r\ndst\r\n$1\r\nv\r\n");
    assert_eq!(p.cmd(&[b"DBSIZE"]), b":0\r\n");
}

#[test]
fn pipelined_commands_after_a_block_run_once_served() {
    let s = start_miniredis(&[]);
    let mut w = s.raw();
    let mut p = s.raw();
    w.send(b"BLPOP k 0\r\nPING\r\nLLEN k\r\n");
    wait_blocked(&mut p, 1);
    p.cmd(&[b"RPUSH", b"k", b"1", b"2"]);
    assert_eq!(w.read_reply(), b"*2\r\n$1\r\nk\r\n$1\r\n1\r\n");
    assert_eq!(w.read_reply(), b"+PONG\r\n");
    assert_eq!(w.read_reply(), b":1\r\n");
}

#[test]
fn client_unblock_timeout_and_error() {
    let s = start_miniredis(&[]);
    let mut w = s.raw();
    let mut p = s.raw();
    let id = String::from_utf8(w.cmd(&[b"CLIENT", b"ID"])).unwrap();
    let id = id.trim_start_matches(':').trim_end().to_string();
    w.send_cmd(&[b"BLPOP", b"k", b"0"]);
    wait_blocked(&mut p, 1);
    assert_eq!(p.cmd(&[b"CLIENT", b"UNBLOCK", id.as_bytes()]), b":1\r\n");
    assert_eq!(w.read_reply(), b"*-1\r\n");
    w.send_cmd(&[b"BLPOP", b"k", b"0"]);
    wait_blocked(&mut p, 1);
    assert_eq!(
        p.cmd(&[b"CLIENT", b"UNBLOCK", id.as_bytes(), b"ERROR"]),
        b":1\r\n"
    );
    assert_eq!(
        w.read_reply(),
        b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
    );
    assert_eq!(p.cmd(&[b"CLIENT", b"UNBLOCK", id.as_bytes()]), b":0\r\n");
}

/// Redis serves waiters after the whole EXEC: the transaction sees its own
/// pushes, and the waiter gets what is left (here: after RPUSH a b; LPOP,
/// the waiter gets b, and after RPUSH; DEL, nothing).
#[test]
fn waiters_are_served_after_exec_not_inside_it() {
    let s = start_miniredis(&[]);
    let mut w = s.raw();
    let mut tx = s.raw();
    w.send_cmd(&[b"BLPOP", b"m", b"0"]);
    wait_blocked(&mut tx, 1);
    assert_eq!(tx.cmd(&[b"MULTI"]), b"+OK\r\n");
    assert_eq!(tx.cmd(&[b"RPUSH", b"m", b"a", b"b"]), b"+QUEUED\r\n");
    assert_eq!(tx.cmd(&[b"LPOP", b"m"]), b"+QUEUED\r\n");
    assert_eq!(tx.cmd(&[b"EXEC"]), b"*2\r\n:2\r\n$1\r\na\r\n");
    assert_eq!(w.read_reply(), b"*2\r\n$1\r\nm\r\n$1\r\nb\r\n");

    let id = String::from_utf8(w.cmd(&[b"CLIENT", b"ID"])).unwrap();
    let id = id.trim_start_matches(':').trim_end().to_string();
    w.send_cmd(&[b"BLPOP", b"q", b"0"]);
    wait_blocked(&mut tx, 1);
    assert_eq!(tx.cmd(&[b"MULTI"]), b"+OK\r\n");
    assert_eq!(tx.cmd(&[b"RPUSH", b"q", b"a"]), b"+QUEUED\r\n");
    assert_eq!(tx.cmd(&[b"DEL", b"q"]), b"+QUEUED\r\n");
    assert_eq!(tx.cmd(&[b"EXEC"]), b"*2\r\n:1\r\n:1\r\n");
    // The element never existed outside the transaction: still blocked.
    wait_blocked(&mut tx, 1);
    assert_eq!(tx.cmd(&[b"CLIENT", b"UNBLOCK", id.as_bytes()]), b":1\r\n");
    assert_eq!(w.read_reply(), b"*-1\r\n");
}

/// A key that becomes a list or sorted set by RENAME (or RENAMENX) readies
/// its waiters, as any key creation does in Redis.
#[test]
fn rename_onto_a_waited_key_serves_the_waiter() {
    let s = start_miniredis(&[]);
    let mut w = s.raw();
    let mut p = s.raw();
    assert_eq!(p.cmd(&[b"RPUSH", b"tmp", b"v"]), b":1\r\n");
    w.send_cmd(&[b"BLPOP", b"dst", b"0"]);
    wait_blocked(&mut p, 1);
    assert_eq!(p.cmd(&[b"RENAME", b"tmp", b"dst"]), b"+OK\r\n");
    assert_eq!(w.read_reply(), b"*2\r\n$3\r\ndst\r\n$1\r\nv\r\n");

    assert_eq!(p.cmd(&[b"ZADD", b"tz", b"5", b"q"]), b":1\r\n");
    w.send_cmd(&[b"BZPOPMAX", b"zdst", b"0"]);
    wait_blocked(&mut p, 1);
    assert_eq!(p.cmd(&[b"RENAMENX", b"tz", b"zdst"]), b":1\r\n");
    assert_eq!(
        w.read_reply(),
        b"*3\r\n$4\r\nzdst\r\n$1\r\nq\r\n$1\r\n5\r\n"
    );
    assert_eq!(p.cmd(&[b"EXISTS", b"zdst"]), b":0\r\n");
}

/// Timeouts round up to whole milliseconds, as Redis's do: 0.0005 times
/// out, and a huge one (past the end of time) waits.
#[test]
fn sub_millisecond_and_huge_timeouts() {
    let s = start_miniredis(&[]);
    let mut w = s.raw();
    let mut admin = s.raw();
    let t0 = Instant::now();
    assert_eq!(w.cmd(&[b"BLPOP", b"q", b"0.0005"]), b"*-1\r\n");
    assert_eq!(w.cmd(&[b"BZPOPMIN", b"z", b"1e-5"]), b"*-1\r\n");
    assert!(t0.elapsed() < Duration::from_secs(2));
    assert_eq!(
        w.cmd(&[b"BLPOP", b"q", b"9223372036854776"]),
        b"-ERR timeout is negative\r\n"
    );
    w.send_cmd(&[b"BLPOP", b"q", b"9223372036854775"]);
    wait_blocked(&mut admin, 1);
    assert_eq!(admin.cmd(&[b"RPUSH", b"q", b"x"]), b":1\r\n");
    assert_eq!(w.read_reply(), b"*2\r\n$1\r\nq\r\n$1\r\nx\r\n");
}

/// Timeouts are read as strtold reads them: "0x10" is 16 seconds (it used
/// to block forever), "0x0.1p-4" well under one.
#[test]
fn hex_timeouts_are_seconds_and_counted_in_the_timeout_table() {
    let s = start_miniredis(&[]);
    let mut w = s.raw();
    let mut forever = s.raw();
    let mut admin = s.raw();
    w.send_cmd(&[b"BLPOP", b"q", b"0x10"]);
    forever.send_cmd(&[b"BLPOP", b"q2", b"0"]);
    assert!(wait_for(Duration::from_secs(5), || {
        let info = String::from_utf8(admin.cmd(&[b"INFO", b"clients"])).unwrap();
        info.contains("blocked_clients:2\r\n")
    }));
    // Only the one with a deadline is in the timeout table.
    let info = String::from_utf8(admin.cmd(&[b"INFO", b"clients"])).unwrap();
    assert!(info.contains("clients_in_timeout_table:1\r\n"), "{info}");
    assert_eq!(admin.cmd(&[b"RPUSH", b"q", b"x"]), b":1\r\n");
    assert_eq!(w.read_reply(), b"*2\r\n$1\r\nq\r\n$1\r\nx\r\n");
    assert_eq!(w.cmd(&[b"BLPOP", b"q", b"0x0.1p-4"]), b"*-1\r\n");
    let info = String::from_utf8(admin.cmd(&[b"INFO", b"clients"])).unwrap();
    assert!(
        info.contains("blocked_clients:1\r\n") && info.contains("clients_in_timeout_table:0\r\n"),
        "{info}"
    );
}
