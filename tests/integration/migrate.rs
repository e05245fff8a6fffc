//! MIGRATE: between two miniredis, to and from a real redis-server, the
//! same replies as redis-server gives for the same moves, and the loop
//! serving everyone else while a target is slow.

use crate::common::{Proc, Raw, redis_server_available, start_miniredis, start_redis_server};
use std::time::{Duration, Instant};

/// `Raw::q`, where a lone `""` is an empty argument.
fn q(r: &mut Raw, line: &str) -> String {
    let args: Vec<&[u8]> = line
        .split(' ')
        .map(|a| if a == "\"\"" { &b""[..] } else { a.as_bytes() })
        .collect();
    String::from_utf8_lossy(&r.cmd(&args)).into_owned()
}

/// The moves of `moves` (a source and a target of one kind), replies as
/// bytes, then what each side holds.
fn script(src: &Proc, dst: &Proc) -> Vec<String> {
    let mut s = src.raw();
    let mut d = dst.raw();
    let p = dst.port;
    let mut out = Vec::new();
    for cmd in [
        "FLUSHALL".to_string(),
        "SET k1 v1".into(),
        "PEXPIRE k1 100000".into(),
        "RPUSH l a b c".into(),
        "HSET h f v".into(),
        "ZADD z 1 a 2 b".into(),
        // Integers: an intset's DUMP is the same bytes on both servers (a
        // hash table's order is each server's own).
        "SADD s 1 2".into(),
        "SET big ".to_string() + &"x".repeat(100_000),
    ] {
        s.q(&cmd);
    }
    d.q("FLUSHALL");
    d.q("SET taken old");
    s.q("SET taken new");
    for cmd in [
        format!("MIGRATE 127.0.0.1 {p} k1 0 5000"),
        format!("MIGRATE 127.0.0.1 {p} k1 0 5000"),
        format!("MIGRATE 127.0.0.1 {p} nosuch 0 5000"),
        format!("MIGRATE 127.0.0.1 {p} taken 0 5000"),
        format!("MIGRATE 127.0.0.1 {p} taken 0 5000 COPY REPLACE"),
        format!("MIGRATE 127.0.0.1 {p} \"\" 3 5000 KEYS l h nosuch z"),
        format!("MIGRATE 127.0.0.1 {p} \"\" 0 5000 COPY KEYS s big"),
        format!("MIGRATE 127.0.0.1 {p} k 0 5000 KEYS s"),
        format!("MIGRATE 127.0.0.1 {p} s 0 5000 FOO"),
        format!("MIGRATE 127.0.0.1 {p} s 0 5000 AUTH"),
        format!("MIGRATE 127.0.0.1 {p} s 0 5000 AUTH2 u"),
        format!("MIGRATE 127.0.0.1 {p} s x 5000"),
        format!("MIGRATE 127.0.0.1 {p} s 0 x"),
        format!("MIGRATE 127.0.0.1 {p} s 0 5000 AUTH nopass"),
        format!("MIGRATE 127.0.0.1 {p} s 16 5000 REPLACE"),
        format!("MIGRATE 127.0.0.1 {p} s 0 0 REPLACE"),
        "MIGRATE 127.0.0.1 1 s 0 5000".to_string(),
    ] {
        out.push(format!("{cmd} -> {}", q(&mut s, &cmd)));
    }
    for (side, r) in [("src", &mut s), ("dst", &mut d)] {
        for db in [0, 3] {
            r.q(&format!("SELECT {db}"));
            for k in ["k1", "l", "h", "z", "s", "big", "taken"] {
                out.push(format!("{side} db{db} {k}: {}", r.q(&format!("DUMP {k}"))));
            }
            let ttl: i64 = r.q("PTTL k1")[1..].trim().parse().unwrap_or(0);
            out.push(format!("{side} db{db} k1 has a TTL: {}", ttl > 90_000));
        }
    }
    out
}

#[test]
fn migrate_answers_and_moves_as_redis_server_does() {
    let (a, b) = (start_miniredis(&[]), start_miniredis(&[]));
    let ours = script(&a, &b);
    if !redis_server_available() {
        return;
    }
    let (ra, rb) = (start_redis_server(), start_redis_server());
    let theirs = script(&ra, &rb);
    for (o, t) in ours.iter().zip(&theirs) {
        // The target's port differs; the rest must not.
        let norm = |s: &str, p: u16| s.replace(&p.to_string(), "PORT");
        assert_eq!(norm(o, b.port), norm(t, rb.port));
    }
    assert_eq!(ours.len(), theirs.len());
}

#[test]
fn migrate_between_miniredis_and_redis_server_both_ways() {
    if !redis_server_available() {
        return;
    }
    let mini = start_miniredis(&[]);
    let redis = start_redis_server();
    let (mut m, mut r) = (mini.raw(), redis.raw());
    m.q("RPUSH l a b c");
    m.q("SET s v");
    m.q("PEXPIRE s 100000");
    assert_eq!(
        q(
            &mut m,
            &format!("MIGRATE 127.0.0.1 {} \"\" 0 5000 KEYS l s", redis.port)
        ),
        "+OK\r\n"
    );
    assert_eq!(
        r.q("LRANGE l 0 -1"),
        "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"
    );
    assert_eq!(r.q("GET s"), "$1\r\nv\r\n");
    assert_eq!(m.q("EXISTS l s"), ":0\r\n");
    assert_eq!(
        q(
            &mut r,
            &format!("MIGRATE 127.0.0.1 {} \"\" 0 5000 KEYS l s", mini.port)
        ),
        "+OK\r\n"
    );
    assert_eq!(
        m.q("LRANGE l 0 -1"),
        "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"
    );
    // Millisecond clocks: within the same ms the TTL is still 100000.
    let pttl: i64 = m.q("PTTL s")[1..].trim().parse().unwrap();
    assert!((90_000..=100_000).contains(&pttl), "{pttl}");
    assert_eq!(r.q("EXISTS l s"), ":0\r\n");
}

/// A target that accepts and never answers: the caller waits up to its
/// timeout while everyone else is served, a command on the key being
/// moved waits with it, and the key stays where it was.
#[test]
fn a_slow_target_stalls_only_the_caller_and_the_moving_keys() {
    let src = start_miniredis(&[]);
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let held = std::thread::spawn(move || {
        // Keep the connection open (and unanswered) until the test ends.
        let (sock, _) = silent.accept().unwrap();
        std::thread::sleep(Duration::from_secs(3));
        drop(sock);
    });
    let mut caller = src.raw();
    caller.q("SET moving v");
    caller.q("SET other w");
    let t0 = Instant::now();
    let port_s = port.to_string();
    caller.send_cmd(&[
        b"MIGRATE",
        b"127.0.0.1",
        port_s.as_bytes(),
        b"moving",
        b"0",
        b"1500",
    ]);
    let mut other = src.raw();
    // The loop serves others at once.
    assert_eq!(other.q("GET other"), "$1\r\nw\r\n");
    assert!(t0.elapsed() < Duration::from_millis(1000));
    // A command on the moving key waits for the move to end.
    let mut reader = src.raw();
    reader.send_cmd(&[b"GET", b"moving"]);
    assert_eq!(
        caller.read_reply(),
        b"-IOERR error or timeout reading to target instance\r\n"
    );
    assert!(
        t0.elapsed() >= Duration::from_millis(1400),
        "{:?}",
        t0.elapsed()
    );
    assert_eq!(reader.read_reply(), b"$1\r\nv\r\n");
    held.join().unwrap();
}

#[test]
fn migrate_to_nothing_is_refused_and_keys_stay() {
    let src = start_miniredis(&[]);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut r = src.raw();
    r.q("SET k v");
    assert_eq!(
        r.q(&format!("MIGRATE 127.0.0.1 {port} k 0 1000")),
        "-IOERR error or timeout connecting to the client\r\n"
    );
    assert_eq!(r.q("GET k"), "$1\r\nv\r\n");
    // Inside MULTI the exchange runs blocking, with the same answers.
    let dst = start_miniredis(&[]);
    r.q("MULTI");
    r.q(&format!("MIGRATE 127.0.0.1 {} k 0 1000", dst.port));
    r.q("EXISTS k");
    assert_eq!(r.q("EXEC"), "*2\r\n+OK\r\n:0\r\n");
    assert_eq!(dst.raw().q("GET k"), "$1\r\nv\r\n");
}

/// Passwords never reach the slow log; AUTH2 reaches the target.
#[test]
fn migrate_auth_is_used_and_redacted() {
    let src = start_miniredis(&[]);
    let dst = start_miniredis(&["--requirepass", "secret"]);
    let mut r = src.raw();
    r.q("CONFIG SET slowlog-log-slower-than 0");
    r.q("SET k v");
    let bad = r.q(&format!(
        "MIGRATE 127.0.0.1 {} k 0 1000 AUTH wrong",
        dst.port
    ));
    assert!(
        bad.starts_with("-ERR Target instance replied with error: WRONGPASS"),
        "{bad}"
    );
    assert_eq!(
        r.q(&format!(
            "MIGRATE 127.0.0.1 {} k 0 1000 AUTH2 default secret",
            dst.port
        )),
        "+OK\r\n"
    );
    let log = r.q("SLOWLOG GET 2");
    assert!(!log.contains("secret") && !log.contains("wrong"), "{log}");
    assert!(log.contains("(redacted)"), "{log}");
    let mut d = dst.raw();
    d.q("AUTH secret");
    assert_eq!(d.q("GET k"), "$1\r\nv\r\n");
}

/// The keys the target took leave the AOF and the replicas too, as a DEL.
#[test]
fn a_migrated_key_is_deleted_on_the_replica() {
    let master = start_miniredis(&[]);
    let replica = start_miniredis(&[]);
    let target = start_miniredis(&[]);
    let (mut m, mut r) = (master.raw(), replica.raw());
    m.q("SET k v");
    m.q("SET stays w");
    assert_eq!(
        r.q(&format!("REPLICAOF 127.0.0.1 {}", master.port)),
        "+OK\r\n"
    );
    let until = |r: &mut Raw, cmd: &str, want: &str| {
        let t0 = Instant::now();
        while r.q(cmd) != want {
            assert!(
                t0.elapsed() < Duration::from_secs(20),
                "{cmd} never gave {want:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    until(&mut r, "EXISTS k", ":1\r\n");
    assert_eq!(
        m.q(&format!("MIGRATE 127.0.0.1 {} k 0 5000", target.port)),
        "+OK\r\n"
    );
    until(&mut r, "EXISTS k", ":0\r\n");
    assert_eq!(r.q("GET stays"), "$1\r\nw\r\n");
    assert_eq!(target.raw().q("GET k"), "$1\r\nv\r\n");
}
