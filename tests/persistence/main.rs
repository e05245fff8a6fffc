//! Persistence the hard way: AOF round trips, kill -9 under write load,
//! a crash that drops every unsynced byte, truncated and corrupted files.

#[path = "../common/mod.rs"]
mod common;

mod aof_dir;
mod aof_interop;
mod crash;
mod functions;
mod pitr;
mod propagation;
mod rdb;
mod streams;

use common::{Raw, start_miniredis, wait_for};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("miniredis-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn start_with_aof(path: &std::path::Path, fsync: &str) -> common::Proc {
    start_miniredis(&[
        "--aof",
        path.to_str().unwrap(),
        "--appendfsync",
        fsync,
        "--save",
        "",
    ])
}

#[test]
fn aof_round_trip_keeps_every_type_and_ttl() {
    let dir = tmpdir("aof-rt");
    let path = dir.join("data.aof");
    {
        let s = start_with_aof(&path, "everysec");
        assert_eq!(
            s.stdout_lines[2],
            format!("AOF: {} (loading 0 commands)", path.display())
        );
        let mut r = s.raw();
        for line in [
            "SET s hello",
            "SET ttl v EX 1000",
            "SET gone v PX 50",
            "INCRBYFLOAT f 0.1",
            "INCRBYFLOAT f 0.2",
            "RPUSH l a b c d",
            "LPOP l",
            "LMOVE l l2 RIGHT LEFT",
            "EXPIRE l 5000",
            "SELECT 3",
            "SET in3 x",
            "SELECT 0",
            "INCR n",
            "INCR n",
        ] {
            let reply = r.q(line);
            assert!(!reply.starts_with('-'), "{line}: {reply}");
        }
        assert!(wait_for(Duration::from_secs(5), || r.q("EXISTS gone") == ":0\r\n"));
        r.send(b"SHUTDOWN\r\n");
        assert!(r.closed());
    }
    // redis-check-aof accepts the file.
    if common::redis_server_available() {
        let out = Command::new("redis-check-aof").arg(&path).output().unwrap();
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("is valid"),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    let s = start_with_aof(&path, "everysec");
    let mut r = s.raw();
    assert_eq!(r.q("GET s"), "$5\r\nhello\r\n");
    assert_eq!(r.q("GET f"), "$3\r\n0.3\r\n");
    assert_eq!(r.q("LRANGE l 0 -1"), "*2\r\n$1\r\nb\r\n$1\r\nc\r\n");
    assert_eq!(r.q("LRANGE l2 0 -1"), "*1\r\n$1\r\nd\r\n");
    assert_eq!(r.q("GET n"), "$1\r\n2\r\n");
    assert_eq!(r.q("EXISTS gone"), ":0\r\n");
    let ttl: i64 = r.q("TTL ttl")[1..].trim().parse().unwrap();
    assert!((990..=1000).contains(&ttl), "ttl {ttl}");
    let ttl: i64 = r.q("TTL l")[1..].trim().parse().unwrap();
    assert!((4990..=5000).contains(&ttl), "ttl {ttl}");
    assert_eq!(r.q("SELECT 3"), "+OK\r\n");
    assert_eq!(r.q("GET in3"), "$1\r\nx\r\n");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn truncated_tail_loads_with_a_warning_and_is_cut() {
    let dir = tmpdir("aof-trunc");
    let path = dir.join("data.aof");
    let mut content = common::encode(&[b"SET", b"a", b"1"]);
    content.extend(common::encode(&[b"SET", b"b", b"2"]));
    let good_len = content.len();
    content.extend(b"*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$5\r\nhel");
    std::fs::write(&path, &content).unwrap();
    let s = start_with_aof(&path, "everysec");
    assert_eq!(
        s.stdout_lines[2],
        format!("AOF: {} (loading 2 commands)", path.display())
    );
    let mut r = s.raw();
    assert_eq!(r.q("MGET a b c"), "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n");
    assert_eq!(std::fs::metadata(&path).unwrap().len() as usize, good_len);
    let _ = std::fs::remove_dir_all(dir);
}

/// Start on an AOF holding `content`, which is damaged at `bad_at`: the
/// server must refuse with one line naming that offset (and `why`), exit 1
/// and leave the file as it was.
fn assert_refused(name: &str, content: &[u8], bad_at: usize, why: &str) {
    let dir = tmpdir(name);
    let path = dir.join("data.aof");
    std::fs::write(&path, content).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_miniredis"))
        .args(["--port", "0", "--aof", path.to_str().unwrap()])
        .stdout(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("offset {bad_at} "))
            && err.contains(why)
            && err.contains("redis-check-aof --fix"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        content,
        "the file is untouched"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn corruption_before_the_end_refuses_to_start_and_keeps_the_file() {
    let mut content = common::encode(&[b"SET", b"a", b"1"]);
    let bad_at = content.len();
    content.extend(b"garbage in the middle\r\n");
    content.extend(common::encode(&[b"SET", b"b", b"2"]));
    assert_refused("aof-corrupt", &content, bad_at, "expected '*'");
}

/// A bulk header claiming 10^14 bytes is corruption: refused with its
/// offset, exit 1, the file untouched, and nothing of that size allocated.
#[test]
fn absurd_bulk_claim_in_the_aof_is_corruption_not_an_allocation() {
    let mut content = common::encode(&[b"SET", b"a", b"1"]);
    let bad_at = content.len();
    content.extend(b"*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$100000000000000\r\nxyz\r\n");
    assert_refused("aof-claim", &content, bad_at, "invalid bulk length");
}

/// Many big values load whole and in order (each is sliced in place from
/// the file, not moved to the front of what is left of it).
#[test]
fn an_aof_of_big_values_loads_every_one() {
    let dir = tmpdir("aof-big");
    let path = dir.join("data.aof");
    let mut content = Vec::new();
    for i in 0..300u32 {
        let v = vec![b'a' + (i % 26) as u8; 40_000 + i as usize];
        content.extend(common::encode(&[b"SET", format!("k{i}").as_bytes(), &v]));
    }
    std::fs::write(&path, &content).unwrap();
    let s = start_with_aof(&path, "always");
    let mut r = s.raw();
    assert_eq!(r.q("DBSIZE"), ":300\r\n");
    for i in [0u32, 1, 150, 299] {
        assert_eq!(r.q(&format!("STRLEN k{i}")), format!(":{}\r\n", 40_000 + i));
        let v = r.cmd(&[b"GET", format!("k{i}").as_bytes()]);
        assert!(v.ends_with(&[b'a' + (i % 26) as u8, b'\r', b'\n']));
    }
    drop(s);
    let _ = std::fs::remove_dir_all(dir);
}

/// A writer that SETs w:<n> = n for increasing n and records the highest
/// acknowledged n. Pipelined a little so several commands share a loop
/// iteration (group commit).
fn spawn_writer(
    port: u16,
    stop: Arc<AtomicBool>,
    acked: Arc<AtomicU64>,
    acked_at: Arc<AtomicU64>,
    t0: Instant,
) {
    std::thread::spawn(move || {
        let mut r = Raw::connect(port);
        let mut n: u64 = 0;
        while !stop.load(Ordering::SeqCst) {
            let mut batch = Vec::new();
            for i in 1..=4 {
                let k = format!("w:{}", n + i);
                batch.extend(common::encode(&[
                    b"SET",
                    k.as_bytes(),
                    (n + i).to_string().as_bytes(),
                ]));
            }
            if r.sock_write(&batch).is_err() {
                return;
            }
            for i in 1..=4 {
                match r.try_read_reply() {
                    Some(rep) if rep == b"+OK\r\n" => {
                        acked.store(n + i, Ordering::SeqCst);
                        acked_at.store(t0.elapsed().as_millis() as u64, Ordering::SeqCst);
                    }
                    _ => return,
                }
            }
            n += 4;
        }
    });
}

/// With `appendfsync always`, every acknowledged write survives kill -9.
#[test]
fn kill_9_under_load_with_always_loses_nothing_acknowledged() {
    let dir = tmpdir("aof-kill");
    let path = dir.join("data.aof");
    let mut s = start_with_aof(&path, "always");
    let (stop, acked, at) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
    );
    spawn_writer(s.port, stop.clone(), acked.clone(), at, Instant::now());
    assert!(wait_for(Duration::from_secs(10), || acked
        .load(Ordering::SeqCst)
        > 300));
    let pid = s.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-9", &pid])
            .status()
            .unwrap()
            .success()
    );
    let _ = s.child.wait();
    stop.store(true, Ordering::SeqCst);
    let last = acked.load(Ordering::SeqCst);
    drop(s);
    let s = start_with_aof(&path, "always");
    let mut r = s.raw();
    for n in (1..=last).step_by(7).chain([last]) {
        assert_eq!(
            r.q(&format!("GET w:{n}")),
            format!("${}\r\n{n}\r\n", n.to_string().len()),
            "w:{n} (acked up to {last})"
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// A crash that also loses the page cache (DEBUG AOF-CRASH cuts the file to
/// its fsynced length): with `always` nothing acknowledged is lost, since
/// no reply leaves before its fsync.
#[test]
fn power_cut_with_always_loses_nothing_acknowledged() {
    let dir = tmpdir("aof-cut");
    let path = dir.join("data.aof");
    let s = start_with_aof(&path, "always");
    let (stop, acked, at) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
    );
    spawn_writer(s.port, stop.clone(), acked.clone(), at, Instant::now());
    assert!(wait_for(Duration::from_secs(10), || acked
        .load(Ordering::SeqCst)
        > 300));
    let mut admin = s.raw();
    admin.send(b"DEBUG AOF-CRASH\r\n");
    assert!(admin.closed());
    stop.store(true, Ordering::SeqCst);
    let last = acked.load(Ordering::SeqCst);
    drop(s);
    let s = start_with_aof(&path, "always");
    let mut r = s.raw();
    for n in (1..=last).step_by(5).chain([last]) {
        assert_eq!(
            r.q(&format!("GET w:{n}")),
            format!("${}\r\n{n}\r\n", n.to_string().len()),
            "w:{n} (acked up to {last})"
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// Of the writer's progress marks (highest write acknowledged, at ms since
/// start), the highest acknowledged at least 2 s before `crash_ms`: what
/// `everysec` must have kept through a power cut.
fn acked_two_seconds_before(marks: &[(u64, u64)], crash_ms: u64) -> u64 {
    marks
        .iter()
        .filter(|(_, ms)| *ms + 2000 <= crash_ms)
        .map(|(n, _)| *n)
        .max()
        .unwrap_or(0)
}

/// With `everysec`, a power cut loses at most about the last two seconds
/// of acknowledged writes.
#[test]
fn power_cut_with_everysec_loses_at_most_two_seconds() {
    let dir = tmpdir("aof-cut-es");
    let path = dir.join("data.aof");
    let s = start_with_aof(&path, "everysec");
    let t0 = Instant::now();
    let (stop, acked, at) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
    );
    // Record when each thousandth write was acknowledged.
    spawn_writer(s.port, stop.clone(), acked.clone(), at.clone(), t0);
    let mut marks: Vec<(u64, u64)> = Vec::new();
    while t0.elapsed() < Duration::from_millis(3500) {
        marks.push((
            acked.load(Ordering::SeqCst),
            t0.elapsed().as_millis() as u64,
        ));
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut admin = s.raw();
    let crash_ms = t0.elapsed().as_millis() as u64;
    admin.send(b"DEBUG AOF-CRASH\r\n");
    assert!(admin.closed());
    stop.store(true, Ordering::SeqCst);
    drop(s);
    let s = start_with_aof(&path, "everysec");
    let mut r = s.raw();
    // Every write acknowledged more than 2 s before the crash is there.
    let old_enough = acked_two_seconds_before(&marks, crash_ms);
    assert!(old_enough > 0, "the writer made progress");
    for n in (1..=old_enough).step_by(11).chain([old_enough]) {
        assert_eq!(
            r.q(&format!("GET w:{n}")),
            format!("${}\r\n{n}\r\n", n.to_string().len()),
            "w:{n}"
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// BGREWRITEAOF compacts the file while writes go on, and the result
/// replays to the same data.
#[test]
fn bgrewriteaof_compacts_while_writes_continue() {
    let dir = tmpdir("aof-rewrite");
    let path = dir.join("data.aof");
    let s = start_with_aof(&path, "everysec");
    let mut r = s.raw();
    for i in 0..2000 {
        r.q(&format!("INCR counter{}", i % 10));
        r.q(&format!("RPUSH list {i}"));
    }
    r.q("SET withttl v EX 5000");
    let before = std::fs::metadata(&path).unwrap().len();
    // The writer sleeps 1 ms per key until let go, so the writes below
    // land during the rewrite (asserted).
    assert_eq!(r.q("CONFIG SET rdb-key-save-delay 1000"), "+OK\r\n");
    assert_eq!(
        r.q("BGREWRITEAOF"),
        "+Background append only file rewriting started\r\n"
    );
    // Writes keep landing during the rewrite.
    for i in 0..100 {
        r.q(&format!("SET during{i} {i}"));
    }
    assert!(
        r.q("INFO persistence")
            .contains("aof_rewrite_in_progress:1"),
        "the writes must overlap the rewrite"
    );
    assert_eq!(r.q("CONFIG SET rdb-key-save-delay 0"), "+OK\r\n");
    assert!(wait_for(Duration::from_secs(10), || {
        let info = r.q("INFO persistence");
        info.contains("aof_rewrite_in_progress:0") && info.contains("aof_rewrites:1")
    }));
    r.q("SET after 1");
    let after = std::fs::metadata(&path).unwrap().len();
    assert!(after < before / 2, "rewrite compacts: {before} -> {after}");
    r.send(b"SHUTDOWN\r\n");
    assert!(r.closed());
    drop(s);
    let s = start_with_aof(&path, "everysec");
    let mut r = s.raw();
    assert_eq!(r.q("GET counter3"), "$3\r\n200\r\n");
    assert_eq!(r.q("LLEN list"), ":2000\r\n");
    assert_eq!(r.q("GET during99"), "$2\r\n99\r\n");
    assert_eq!(r.q("GET after"), "$1\r\n1\r\n");
    let ttl: i64 = r.q("TTL withttl")[1..].trim().parse().unwrap();
    assert!(ttl > 4900, "{ttl}");
    let _ = std::fs::remove_dir_all(dir);
}

/// CONFIG SET appendonly yes writes the dataset first, then logs: both
/// layouts.
#[test]
fn config_set_appendonly_yes_writes_the_dataset_then_logs() {
    for single in [true, false] {
        let dir = tmpdir(if single {
            "aof-enable-1"
        } else {
            "aof-enable-dir"
        });
        let path = dir.join("late.aof");
        let layout: Vec<&str> = if single {
            vec!["--aof", path.to_str().unwrap()]
        } else {
            vec!["--dir", dir.to_str().unwrap()]
        };
        let mut args = layout.clone();
        args.extend(["--appendonly", "no", "--save", ""]);
        let s = start_miniredis(&args);
        let mut r = s.raw();
        r.q("SET before 1");
        r.q("RPUSH l a b");
        assert_eq!(r.q("CONFIG SET appendonly yes"), "+OK\r\n");
        assert!(wait_for(Duration::from_secs(10), || r
            .q("INFO persistence")
            .contains("aof_enabled:1")));
        r.q("SET after 2");
        r.send(b"SHUTDOWN\r\n");
        assert!(r.closed());
        drop(s);
        let mut args = layout.clone();
        args.extend(["--appendonly", "yes", "--save", ""]);
        let s = start_miniredis(&args);
        let mut r = s.raw();
        assert_eq!(r.q("MGET before after"), "*2\r\n$1\r\n1\r\n$1\r\n2\r\n");
        assert_eq!(r.q("LRANGE l 0 -1"), "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// EXEC's writes are logged inside MULTI/EXEC and replay as a unit; a
/// transaction cut off at the end of the file is not applied.
#[test]
fn transactions_replay_all_or_nothing() {
    let dir = tmpdir("aof-tx");
    let path = dir.join("data.aof");
    {
        let s = start_with_aof(&path, "always");
        let mut r = s.raw();
        r.send(b"MULTI\r\nSET tx:a 1\r\nINCR tx:a\r\nEXEC\r\n");
        for _ in 0..4 {
            r.read_reply();
        }
        r.send(b"SHUTDOWN\r\n");
        assert!(r.closed());
    }
    let text = std::fs::read(&path).unwrap();
    let as_str = String::from_utf8_lossy(&text);
    assert!(
        as_str.contains("MULTI") && as_str.contains("EXEC"),
        "{as_str}"
    );
    // Append a transaction that never got its EXEC.
    let mut cut = text.clone();
    cut.extend(common::encode(&[b"MULTI"]));
    cut.extend(common::encode(&[b"SET", b"tx:b", b"1"]));
    std::fs::write(&path, &cut).unwrap();
    let s = start_with_aof(&path, "always");
    let mut r = s.raw();
    assert_eq!(r.q("GET tx:a"), "$1\r\n2\r\n");
    assert_eq!(r.q("EXISTS tx:b"), ":0\r\n");
    // Later writes must not be swallowed by the dangling MULTI.
    r.q("MULTI");
    r.q("SET tx:c 1");
    r.q("EXEC");
    r.q("SET plain 1");
    r.send(b"SHUTDOWN\r\n");
    assert!(r.closed());
    drop(s);
    let s = start_with_aof(&path, "always");
    let mut r = s.raw();
    assert_eq!(
        r.q("MGET tx:a tx:b tx:c plain"),
        "*4\r\n$1\r\n2\r\n$-1\r\n$1\r\n1\r\n$1\r\n1\r\n"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// Sorted sets survive an AOF rewrite (scores exact, inf included).
#[test]
fn rewrite_keeps_sorted_sets() {
    let dir = tmpdir("aof-rewrite-z");
    let path = dir.join("data.aof");
    let s = start_with_aof(&path, "everysec");
    let mut r = s.raw();
    r.q("ZADD z 0.1 a 1e300 b -inf c inf d 3 e");
    for i in 0..300 {
        r.q(&format!("ZADD big {}.25 m{i}", i));
    }
    let before = (
        r.q("ZRANGE z 0 -1 WITHSCORES"),
        r.q("ZRANGE big 0 -1 WITHSCORES"),
    );
    assert_eq!(
        r.q("BGREWRITEAOF"),
        "+Background append only file rewriting started\r\n"
    );
    assert!(wait_for(Duration::from_secs(10), || r
        .q("INFO persistence")
        .contains("aof_rewrites:1")));
    r.send(b"SHUTDOWN\r\n");
    assert!(r.closed());
    drop(s);
    let s = start_with_aof(&path, "everysec");
    let mut r = s.raw();
    assert_eq!(
        (
            r.q("ZRANGE z 0 -1 WITHSCORES"),
            r.q("ZRANGE big 0 -1 WITHSCORES")
        ),
        before
    );
    assert_eq!(r.q("OBJECT ENCODING big"), "$8\r\nskiplist\r\n");
    let _ = std::fs::remove_dir_all(dir);
}

/// One background job at a time, as Redis: BGSAVE during a rewrite is
/// refused unless SCHEDULEd, BGREWRITEAOF during a BGSAVE is scheduled, and
/// the cron starts what was scheduled once the running job ends.
/// (rdb-key-save-delay holds a job open; it is read per key, so setting it
/// back to 0 lets the job finish.)
#[test]
fn background_jobs_run_one_at_a_time_and_schedule_the_other() {
    let dir = tmpdir("aof-jobs");
    let path = dir.join("data.aof");
    let s = start_with_aof(&path, "everysec");
    let mut r = s.raw();
    for i in 0..50 {
        r.q(&format!("SET k{i} {i}"));
    }
    let info = |r: &mut Raw, field: &str| -> String {
        let text = r.q("INFO persistence");
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{field}:")).map(str::to_string))
            .unwrap_or_default()
    };
    assert_eq!(r.q("CONFIG SET rdb-key-save-delay 100000"), "+OK\r\n");
    assert_eq!(
        r.q("BGREWRITEAOF"),
        "+Background append only file rewriting started\r\n"
    );
    assert_eq!(
        r.q("BGREWRITEAOF"),
        "-ERR Background append only file rewriting already in progress\r\n"
    );
    assert_eq!(
        r.q("BGSAVE"),
        "-ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.\r\n"
    );
    assert_eq!(r.q("BGSAVE SCHEDULE"), "+Background saving scheduled\r\n");
    assert_eq!(info(&mut r, "rdb_bgsave_in_progress"), "0");
    assert_eq!(r.q("CONFIG SET rdb-key-save-delay 0"), "+OK\r\n");
    // The rewrite ends, then the scheduled BGSAVE runs and ends.
    assert!(wait_for(Duration::from_secs(10), || info(
        &mut r,
        "rdb_saves"
    ) == "1"
        && info(&mut r, "aof_rewrite_in_progress") == "0"));
    assert_eq!(info(&mut r, "aof_rewrites"), "1");

    // The other way round: a rewrite asked for during a BGSAVE waits.
    assert_eq!(r.q("CONFIG SET rdb-key-save-delay 100000"), "+OK\r\n");
    assert_eq!(r.q("BGSAVE"), "+Background saving started\r\n");
    assert_eq!(
        r.q("BGSAVE"),
        "-ERR Background save already in progress\r\n"
    );
    assert_eq!(
        r.q("BGREWRITEAOF"),
        "+Background append only file rewriting scheduled\r\n"
    );
    assert_eq!(info(&mut r, "aof_rewrite_scheduled"), "1");
    assert_eq!(info(&mut r, "aof_rewrite_in_progress"), "0");
    assert_eq!(r.q("CONFIG SET rdb-key-save-delay 0"), "+OK\r\n");
    assert!(wait_for(Duration::from_secs(10), || info(
        &mut r,
        "aof_rewrites"
    ) == "2"));
    assert_eq!(info(&mut r, "aof_rewrite_scheduled"), "0");
    assert_eq!(info(&mut r, "rdb_saves"), "2");
    drop(s);
    let _ = std::fs::remove_dir_all(dir);
}

/// The product sheet's banner: `AOF: PATH (loading 1,234 commands)`, with
/// the thousands separator.
#[test]
fn banner_counts_loaded_commands_with_thousands_separator() {
    let dir = tmpdir("aof-banner");
    let path = dir.join("redis.aof");
    let mut content = Vec::new();
    for i in 0..1234 {
        content.extend(common::encode(&[b"SET", format!("k{i}").as_bytes(), b"v"]));
    }
    std::fs::write(&path, &content).unwrap();
    let s = start_with_aof(&path, "everysec");
    let want = format!("AOF: {} (loading 1,234 commands)", path.display());
    assert!(s.stdout_lines.contains(&want), "{:?}", s.stdout_lines);
    assert_eq!(s.raw().q("DBSIZE"), ":1234\r\n");
    drop(s);
    let _ = std::fs::remove_dir_all(dir);
}
