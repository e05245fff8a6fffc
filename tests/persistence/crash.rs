//! Crash trials on Redis 7.0's directory layout: kill -9 (the page cache
//! survives) and a power cut (DEBUG AOF-CRASH: whatever was not fsynced is
//! gone), at seeded random moments during writes, half of them during a
//! rewrite. With `appendfsync always` not one acknowledged write may be
//! lost; with `everysec` at most the last two seconds; and the directory
//! always loads. `CRASH_SEED=n` replays a run.

use super::{acked_two_seconds_before, spawn_writer, tmpdir};
use crate::common::{self, Raw, start_miniredis, wait_for};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn start(dir: &Path, fsync: &str) -> common::Proc {
    start_miniredis(&[
        "--dir",
        dir.to_str().unwrap(),
        "--appendonly",
        "yes",
        "--appendfsync",
        fsync,
        "--save",
        "",
    ])
}

fn rewriting(r: &mut Raw) -> bool {
    String::from_utf8_lossy(&r.cmd(&[b"INFO", b"persistence"]))
        .contains("aof_rewrite_in_progress:1")
}

/// Crash the server: kill -9, or a power cut.
fn crash(s: &mut common::Proc, power_cut: bool) {
    if power_cut {
        let mut admin = s.raw();
        admin.send(b"DEBUG AOF-CRASH\r\n");
        assert!(admin.closed());
    } else {
        let pid = s.child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-9", &pid])
                .status()
                .unwrap()
                .success()
        );
    }
    let _ = s.child.wait();
}

/// w:1 ..= w:last all hold their number.
fn assert_all_there(r: &mut Raw, last: u64, what: &str) {
    let mut n = 1;
    while n <= last {
        let end = (n + 499).min(last);
        let keys: Vec<String> = (n..=end).map(|i| format!("w:{i}")).collect();
        let mut argv: Vec<&[u8]> = vec![b"MGET"];
        argv.extend(keys.iter().map(|k| k.as_bytes()));
        let reply = r.cmd(&argv);
        let mut want = format!("*{}\r\n", end - n + 1);
        for i in n..=end {
            want.push_str(&format!("${}\r\n{i}\r\n", i.to_string().len()));
        }
        assert_eq!(
            String::from_utf8_lossy(&reply),
            want,
            "{what}: w:{n}..w:{end}"
        );
        n = end + 1;
    }
}

/// A reader that asks for the writes just past the last acknowledged one
/// and records the highest it saw: a read must never show what a crash
/// could take back, so everything it saw survives too.
fn spawn_reader(port: u16, stop: Arc<AtomicBool>, acked: Arc<AtomicU64>, seen: Arc<AtomicU64>) {
    std::thread::spawn(move || {
        let mut r = Raw::connect(port);
        while !stop.load(Ordering::SeqCst) {
            let a = acked.load(Ordering::SeqCst);
            let keys: Vec<String> = (a + 1..=a + 8).map(|i| format!("w:{i}")).collect();
            let mut argv: Vec<&[u8]> = vec![b"MGET"];
            argv.extend(keys.iter().map(|k| k.as_bytes()));
            let enc = common::encode(&argv);
            if r.sock_write(&enc).is_err() {
                return;
            }
            let Some(reply) = r.try_read_reply() else {
                return;
            };
            // Values are the key's number: the highest non-null one.
            let text = String::from_utf8_lossy(&reply).to_string();
            let best = text
                .split("\r\n")
                .filter(|l| !l.starts_with('$') && !l.starts_with('*') && !l.is_empty())
                .filter_map(|l| l.parse::<u64>().ok())
                .max();
            if let Some(n) = best {
                seen.fetch_max(n, Ordering::SeqCst);
            }
        }
    });
}

fn seed() -> u64 {
    let seed = std::env::var("CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| std::process::id() as u64 * 0x9e37_79b9 + 7);
    eprintln!("CRASH_SEED={seed}");
    seed
}

/// `always`: 20 kill -9 trials and 20 power cuts, at random moments, half
/// during a rewrite; nothing acknowledged or read by anyone is lost, and
/// the directory loads.
#[test]
fn always_loses_nothing_acknowledged_in_40_crashes() {
    let seed = seed();
    let mut rng = Rng(seed | 1);
    for trial in 0..40 {
        let power_cut = trial % 2 == 1;
        let during_rewrite = (trial / 2) % 2 == 1;
        let what = format!(
            "CRASH_SEED={seed} trial {trial} ({}{})",
            if power_cut { "power cut" } else { "kill -9" },
            if during_rewrite {
                ", during a rewrite"
            } else {
                ""
            }
        );
        let dir = tmpdir(&format!("crash-always-{trial}"));
        let mut s = start(&dir, "always");
        let (stop, acked, at) = (
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicU64::new(0)),
            Arc::new(AtomicU64::new(0)),
        );
        spawn_writer(s.port, stop.clone(), acked.clone(), at, Instant::now());
        let seen = Arc::new(AtomicU64::new(0));
        spawn_reader(s.port, stop.clone(), acked.clone(), seen.clone());
        let first = 100 + rng.below(400);
        assert!(
            wait_for(Duration::from_secs(10), || acked.load(Ordering::SeqCst)
                > first),
            "{what}"
        );
        let mut admin = s.raw();
        if during_rewrite {
            // 300 µs a key: the rewrite outlasts the crash.
            admin.q("CONFIG SET rdb-key-save-delay 300");
            assert!(admin.q("BGREWRITEAOF").starts_with("+Background"), "{what}");
        }
        let more = acked.load(Ordering::SeqCst) + rng.below(300);
        assert!(
            wait_for(Duration::from_secs(10), || acked.load(Ordering::SeqCst)
                > more),
            "{what}"
        );
        if during_rewrite {
            assert!(rewriting(&mut admin), "{what}: the rewrite still runs");
        }
        crash(&mut s, power_cut);
        stop.store(true, Ordering::SeqCst);
        let last = acked
            .load(Ordering::SeqCst)
            .max(seen.load(Ordering::SeqCst));
        drop(s);
        let s = start(&dir, "always");
        let mut r = s.raw();
        assert_all_there(&mut r, last, &what);
        drop(s);
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// `everysec`: a power cut loses at most the last two seconds of
/// acknowledged writes, with and without a rewrite running.
#[test]
fn everysec_power_cuts_lose_at_most_two_seconds() {
    for during_rewrite in [false, true] {
        let dir = tmpdir(&format!("crash-everysec-{during_rewrite}"));
        let mut s = start(&dir, "everysec");
        let t0 = Instant::now();
        let (stop, acked, at) = (
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicU64::new(0)),
            Arc::new(AtomicU64::new(0)),
        );
        spawn_writer(s.port, stop.clone(), acked.clone(), at, t0);
        let mut marks: Vec<(u64, u64)> = Vec::new();
        let mut admin = s.raw();
        let mut rewrite_started = false;
        while t0.elapsed() < Duration::from_millis(2600) {
            marks.push((
                acked.load(Ordering::SeqCst),
                t0.elapsed().as_millis() as u64,
            ));
            if during_rewrite && !rewrite_started && t0.elapsed() > Duration::from_millis(1500) {
                admin.q("CONFIG SET rdb-key-save-delay 300");
                assert!(admin.q("BGREWRITEAOF").starts_with("+Background"));
                rewrite_started = true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        if during_rewrite {
            assert!(rewriting(&mut admin));
        }
        let crash_ms = t0.elapsed().as_millis() as u64;
        crash(&mut s, true);
        stop.store(true, Ordering::SeqCst);
        drop(s);
        let s = start(&dir, "everysec");
        let mut r = s.raw();
        let old_enough = acked_two_seconds_before(&marks, crash_ms);
        assert!(old_enough > 0, "the writer made progress");
        assert_all_there(
            &mut r,
            old_enough,
            &format!("everysec, rewrite {during_rewrite}"),
        );
        drop(s);
        let _ = std::fs::remove_dir_all(dir);
    }
}
