//! Point-in-time recovery: `--aof-load-until TIME` starts with the dataset
//! exactly as it was at TIME (from the AOF's `#TS` annotations), changes no
//! file, and runs with appendonly off until the user decides.

use super::tmpdir;
use crate::common::{Raw, start_miniredis, wait_for};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(dir.join("appendonlydir")).unwrap() {
        let p = e.unwrap().path();
        out.insert(p.clone(), std::fs::read(&p).unwrap());
    }
    out
}

fn now_secs(r: &mut Raw) -> i64 {
    let t = String::from_utf8_lossy(&r.cmd(&[b"TIME"])).to_string();
    t.split("\r\n").nth(2).unwrap().parse().unwrap()
}

/// Wait for the server's clock to pass second `s`.
fn next_second(r: &mut Raw, s: i64) -> i64 {
    assert!(wait_for(Duration::from_secs(3), || now_secs(r) > s));
    now_secs(r)
}

fn start_until(dir: &Path, until: &str) -> crate::common::Proc {
    start_aof(dir, &["--aof-load-until", until])
}

/// miniredis on `dir` with the AOF on and no save points, plus `extra`.
fn start_aof(dir: &Path, extra: &[&str]) -> crate::common::Proc {
    let mut args = vec![
        "--dir",
        dir.to_str().unwrap(),
        "--appendonly",
        "yes",
        "--save",
        "",
    ];
    args.extend(extra);
    start_miniredis(&args)
}

fn iso(secs: i64) -> String {
    let out = Command::new("date")
        .args(["-u", "-d", &format!("@{secs}"), "+%Y-%m-%dT%H:%M:%SZ"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn the_dataset_as_it_was_at_three_points_in_time() {
    let dir = tmpdir("pitr");
    let s = start_aof(&dir, &["--aof-timestamp-enabled", "yes"]);
    let mut r = s.raw();
    // Each phase starts in a later second than the last one ended.
    let t0 = now_secs(&mut r);
    next_second(&mut r, t0);
    r.q("SET a 1");
    r.q("RPUSH l x");
    let t1 = now_secs(&mut r);
    next_second(&mut r, t1);
    r.q("SET a 10");
    r.q("SET b 2");
    r.q("RPUSH l y");
    let t2 = now_secs(&mut r);
    next_second(&mut r, t2);
    r.q("SET c 3");
    r.q("DEL b");
    let t3 = now_secs(&mut r);
    r.send(b"SHUTDOWN\r\n");
    assert!(r.closed());
    drop(s);
    let before = files(&dir);
    let incr = before
        .iter()
        .find(|(p, _)| p.to_string_lossy().ends_with(".incr.aof"))
        .unwrap()
        .1;
    assert!(String::from_utf8_lossy(incr).starts_with("#TS:"));
    for (until, want) in [
        (t1.to_string(), "*3\r\n$1\r\n1\r\n$-1\r\n$-1\r\n:1\r\n"),
        (iso(t2), "*3\r\n$2\r\n10\r\n$1\r\n2\r\n$-1\r\n:2\r\n"),
        (t3.to_string(), "*3\r\n$2\r\n10\r\n$-1\r\n$1\r\n3\r\n:2\r\n"),
    ] {
        let s = start_until(&dir, &until);
        assert!(
            s.stdout_lines
                .iter()
                .any(|l| l.starts_with("Point in time: loaded as of")),
            "{:?}",
            s.stdout_lines
        );
        let mut r = s.raw();
        r.send(b"MGET a b c\r\nLLEN l\r\n");
        let mut got = r.read_reply();
        got.extend(r.read_reply());
        assert_eq!(String::from_utf8_lossy(&got), want, "until {until}");
        assert!(
            String::from_utf8_lossy(&r.cmd(&[b"INFO", b"persistence"])).contains("aof_enabled:0")
        );
        r.q("SET written-after x");
        drop(s);
        assert_eq!(
            files(&dir),
            before,
            "until {until}: the files are untouched"
        );
    }
    // Before the base was written: what came before is gone; refused.
    let out = Command::new(env!("CARGO_BIN_EXE_miniredis"))
        .args([
            "--port",
            "0",
            "--dir",
            dir.to_str().unwrap(),
            "--appendonly",
            "yes",
        ])
        .args(["--aof-load-until", &(t0 - 5).to_string()])
        .stdout(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("what came before it is gone"));
    assert_eq!(files(&dir), before);
    // The user keeps the past: a new AOF from that state.
    let s = start_until(&dir, &t2.to_string());
    let mut r = s.raw();
    assert_eq!(r.q("CONFIG SET appendonly yes"), "+OK\r\n");
    assert!(wait_for(Duration::from_secs(10), || {
        String::from_utf8_lossy(&r.cmd(&[b"INFO", b"persistence"]))
            .contains("aof_rewrite_in_progress:0")
    }));
    r.send(b"SHUTDOWN\r\n");
    assert!(r.closed());
    drop(s);
    let s = start_aof(&dir, &[]);
    let mut r = s.raw();
    assert_eq!(r.q("MGET a b c"), "*3\r\n$2\r\n10\r\n$1\r\n2\r\n$-1\r\n");
    drop(s);
    let _ = std::fs::remove_dir_all(dir);
}

/// Without timestamps, when a command ran is unknown: refused, unchanged.
#[test]
fn an_aof_without_timestamps_is_refused() {
    let dir = tmpdir("pitr-nots");
    let s = start_aof(&dir, &[]);
    let mut r = s.raw();
    r.q("SET a 1");
    r.send(b"SHUTDOWN\r\n");
    assert!(r.closed());
    drop(s);
    let before = files(&dir);
    let out = Command::new(env!("CARGO_BIN_EXE_miniredis"))
        .args([
            "--port",
            "0",
            "--dir",
            dir.to_str().unwrap(),
            "--appendonly",
            "yes",
        ])
        .args(["--aof-load-until", "2099-01-01T00:00:00Z"])
        .stdout(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("without a #TS annotation"));
    assert_eq!(files(&dir), before);
    let _ = std::fs::remove_dir_all(dir);
}
