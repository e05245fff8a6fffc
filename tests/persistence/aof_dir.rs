//! Redis 7.0's multi-part AOF directory: real Redis directories load, a
//! pre-7.0 single file is migrated, rewrites leave one base and one incr
//! file behind, and what cannot be loaded is refused with Redis's words,
//! exit 1, every file left as it was.

use super::tmpdir;
use crate::common::{self, Raw, start_miniredis, wait_for};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/aof");

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.clone(), std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// Copy a fixture directory as `dir/appendonlydir`, writable.
fn copy_fixture(name: &str, dir: &Path) -> PathBuf {
    let to = dir.join("appendonlydir");
    std::fs::create_dir_all(&to).unwrap();
    for e in std::fs::read_dir(Path::new(FIXTURES).join(name)).unwrap() {
        let p = e.unwrap().path();
        let bytes = std::fs::read(&p).unwrap();
        std::fs::write(to.join(p.file_name().unwrap()), bytes).unwrap();
    }
    to
}

fn start_dir(dir: &Path, extra: &[&str]) -> common::Proc {
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

/// The state the fixtures' README documents.
fn assert_fixture_state(r: &mut Raw) {
    assert_eq!(r.q("LRANGE list:a 0 -1"), "*2\r\n$1\r\ny\r\n$1\r\nz\r\n");
    assert_eq!(r.q("SMISMEMBER set:a m1 m2"), "*2\r\n:1\r\n:1\r\n");
    assert_eq!(
        r.q("ZRANGE zset:a 0 -1 WITHSCORES"),
        "*4\r\n$3\r\none\r\n$3\r\n1.5\r\n$3\r\ntwo\r\n$1\r\n2\r\n"
    );
    assert_eq!(r.q("HMGET hash:a f1 f2"), "*2\r\n$2\r\nv1\r\n$2\r\nv2\r\n");
    assert_eq!(
        r.q("MGET tx:a str:far counter"),
        "*3\r\n$1\r\n2\r\n$1\r\nv\r\n$-1\r\n"
    );
    r.q("SELECT 3");
    assert_eq!(r.q("GET db3:key"), "$1\r\nv\r\n");
    r.q("SELECT 0");
}

fn info_field(r: &mut Raw, name: &str) -> String {
    let info = String::from_utf8_lossy(&r.cmd(&[b"INFO", b"persistence"])).to_string();
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .unwrap_or_default()
        .to_string()
}

#[test]
fn redis_written_directories_load_as_they_are() {
    for (fixture, base) in [
        ("appendonlydir-preamble", "appendonly.aof.1.base.rdb"),
        ("appendonlydir-plain", "appendonly.aof.2.base.aof"),
    ] {
        let dir = tmpdir(&format!("aofdir-{fixture}"));
        let aofdir = copy_fixture(fixture, &dir);
        let before = std::fs::read(aofdir.join("appendonly.aof.manifest")).unwrap();
        let s = start_dir(&dir, &[]);
        assert_eq!(
            s.stdout_lines[2],
            if fixture.ends_with("plain") {
                "AOF: appendonlydir (loading 17 commands)"
            } else {
                "AOF: appendonlydir (loading 19 commands)"
            },
            "{fixture}"
        );
        let mut r = s.raw();
        assert_fixture_state(&mut r);
        if fixture.ends_with("plain") {
            assert_eq!(r.q("GET after:rewrite"), "$1\r\n1\r\n");
            assert_eq!(r.q("HGET hash:a f3"), "$2\r\nv3\r\n");
        }
        // The same files go on: the last incr file takes new writes.
        assert_eq!(
            std::fs::read(aofdir.join("appendonly.aof.manifest")).unwrap(),
            before
        );
        let base_size = std::fs::metadata(aofdir.join(base)).unwrap().len();
        assert_eq!(info_field(&mut r, "aof_base_size"), base_size.to_string());
        let total: u64 = snapshot(&aofdir)
            .iter()
            .filter(|(p, _)| !p.ends_with("appendonly.aof.manifest"))
            .map(|(_, b)| b.len() as u64)
            .sum();
        assert_eq!(info_field(&mut r, "aof_current_size"), total.to_string());
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// A pre-7.0 `appendonly.aof` in `dir` becomes the directory's base, as
/// Redis 7.0 migrates it: the same manifest Redis writes.
#[test]
fn a_pre_7_single_file_is_migrated_into_the_directory() {
    let dir = tmpdir("aofdir-migrate");
    let single = std::fs::read(Path::new(FIXTURES).join("single-file.aof")).unwrap();
    std::fs::write(dir.join("appendonly.aof"), &single).unwrap();
    let s = start_dir(&dir, &[]);
    let mut r = s.raw();
    assert_fixture_state(&mut r);
    assert!(!dir.join("appendonly.aof").exists());
    assert_eq!(
        std::fs::read(dir.join("appendonlydir/appendonly.aof")).unwrap(),
        single
    );
    let manifest =
        std::fs::read_to_string(dir.join("appendonlydir/appendonly.aof.manifest")).unwrap();
    assert_eq!(
        manifest,
        "file appendonly.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    );
    drop(s);
    if common::redis_server_available() {
        let theirs = tmpdir("aofdir-migrate-redis");
        std::fs::write(theirs.join("appendonly.aof"), &single).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--save", ""])
            .args(["--appendonly", "yes", "--dir", theirs.to_str().unwrap()])
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        // Redis listens before it loads (and migrates): wait for the
        // manifest itself.
        let manifest_path = theirs.join("appendonlydir/appendonly.aof.manifest");
        assert!(wait_for(Duration::from_secs(10), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
                && std::fs::read_to_string(&manifest_path).is_ok_and(|m| m.ends_with('\n'))
        }));
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(
            std::fs::read_to_string(&manifest_path).unwrap(),
            manifest,
            "Redis writes the same manifest"
        );
        let _ = std::fs::remove_dir_all(theirs);
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// Rewrites: the new base and the incr file that took the writes meanwhile
/// are all that is left; INFO counts them as Redis does.
#[test]
fn rewrites_leave_one_base_and_one_incr_file() {
    let dir = tmpdir("aofdir-rewrite");
    let s = start_dir(&dir, &["--appendfsync", "always"]);
    let mut r = s.raw();
    let aofdir = dir.join("appendonlydir");
    let names = |d: &Path| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    // A fresh start writes an (empty) RDB base and an incr file, as Redis.
    assert_eq!(
        names(&aofdir),
        [
            "appendonly.aof.1.base.rdb",
            "appendonly.aof.1.incr.aof",
            "appendonly.aof.manifest"
        ]
    );
    for round in 0..2 {
        for i in 0..100 {
            r.q(&format!("RPUSH l{round} {i}"));
        }
        assert_eq!(
            r.q("BGREWRITEAOF"),
            "+Background append only file rewriting started\r\n"
        );
        r.q(&format!("SET during{round} x"));
        assert!(wait_for(Duration::from_secs(10), || info_field(
            &mut r,
            "aof_rewrite_in_progress"
        ) == "0"));
    }
    assert_eq!(info_field(&mut r, "aof_rewrites"), "2");
    assert_eq!(info_field(&mut r, "aof_last_bgrewrite_status"), "ok");
    assert!(wait_for(Duration::from_secs(10), || names(&aofdir)
        == [
            "appendonly.aof.3.base.rdb",
            "appendonly.aof.3.incr.aof",
            "appendonly.aof.manifest"
        ]));
    assert_eq!(
        std::fs::read_to_string(aofdir.join("appendonly.aof.manifest")).unwrap(),
        "file appendonly.aof.3.base.rdb seq 3 type b\nfile appendonly.aof.3.incr.aof seq 3 type i\n"
    );
    r.q("SET after 1");
    let files: u64 = ["appendonly.aof.3.base.rdb", "appendonly.aof.3.incr.aof"]
        .iter()
        .map(|n| std::fs::metadata(aofdir.join(n)).unwrap().len())
        .sum();
    assert_eq!(info_field(&mut r, "aof_current_size"), files.to_string());
    drop(s);
    let s = start_dir(&dir, &[]);
    let mut r = s.raw();
    assert_eq!(r.q("LLEN l1"), ":100\r\n");
    assert_eq!(
        r.q("MGET during0 during1 after"),
        "*3\r\n$1\r\nx\r\n$1\r\nx\r\n$1\r\n1\r\n"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// Start on `dir` expecting a refusal: exit 1, `why` on stderr, every
/// file as it was.
fn assert_refused(dir: &Path, extra: &[&str], why: &str) {
    let before = snapshot(dir);
    let out = Command::new(env!("CARGO_BIN_EXE_miniredis"))
        .args(["--port", "0", "--dir", dir.to_str().unwrap(), "--save", ""])
        .args(["--appendonly", "yes"])
        .args(extra)
        .stdout(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains(why), "{err}");
    assert_eq!(snapshot(dir), before, "the files are untouched");
}

#[test]
fn a_broken_manifest_or_a_missing_file_refuses_to_start() {
    let manifest_cases: [(&[u8], &str); 5] = [
        (b"", "Found an empty AOF manifest"),
        (
            b"file appendonly.aof.1.base.rdb seq 1 type b\ngarbage\n",
            "Invalid AOF manifest file format",
        ),
        (
            b"file appendonly.aof.1.base.rdb seq 1 type b\nfile x seq 2 type b\n",
            "Found duplicate base file information",
        ),
        (
            b"file ../appendonly.aof.1.base.rdb seq 1 type b\n",
            "File can't be a path, just a filename",
        ),
        (
            b"file appendonly.aof.1.base.rdb seq 1 type b",
            "The AOF manifest file contains too long line",
        ),
    ];
    for (i, (text, why)) in manifest_cases.iter().enumerate() {
        let dir = tmpdir(&format!("aofdir-bad-{i}"));
        let aofdir = copy_fixture("appendonlydir-preamble", &dir);
        std::fs::write(aofdir.join("appendonly.aof.manifest"), text).unwrap();
        assert_refused(&dir, &[], why);
        assert_refused(&dir, &[], "*** FATAL AOF MANIFEST FILE ERROR ***");
        let _ = std::fs::remove_dir_all(dir);
    }
    // A file the manifest names is gone.
    let dir = tmpdir("aofdir-missing");
    let aofdir = copy_fixture("appendonlydir-preamble", &dir);
    std::fs::remove_file(aofdir.join("appendonly.aof.1.base.rdb")).unwrap();
    assert_refused(&dir, &[], "appendonly.aof.1.base.rdb");
    // A damaged RDB base.
    let dir2 = tmpdir("aofdir-badrdb");
    let aofdir = copy_fixture("appendonlydir-preamble", &dir2);
    let base = aofdir.join("appendonly.aof.1.base.rdb");
    let mut bytes = std::fs::read(&base).unwrap();
    let n = bytes.len();
    bytes[n - 3] ^= 0xff;
    std::fs::write(&base, bytes).unwrap();
    assert_refused(
        &dir2,
        &[],
        "Error reading the RDB base file appendonly.aof.1.base.rdb",
    );
    let _ = std::fs::remove_dir_all(dir);
    let _ = std::fs::remove_dir_all(dir2);
}

/// A last incr file cut mid-command loads (aof-load-truncated) and is cut
/// back to its last whole command; a cut anywhere else is refused.
#[test]
fn only_the_last_file_may_end_short() {
    let dir = tmpdir("aofdir-trunc");
    let aofdir = copy_fixture("appendonlydir-plain", &dir);
    let incr = aofdir.join("appendonly.aof.2.incr.aof");
    let whole = std::fs::read(&incr).unwrap();
    let mut cut = whole.clone();
    cut.extend_from_slice(b"*3\r\n$3\r\nSET\r\n$4\r\nhal");
    std::fs::write(&incr, &cut).unwrap();
    assert_refused(
        &dir,
        &["--aof-load-truncated", "no"],
        "Unexpected end of file reading the append only file appendonly.aof.2.incr.aof",
    );
    let s = start_dir(&dir, &[]);
    let mut r = s.raw();
    assert_fixture_state(&mut r);
    // Cut back to the last whole command (then the expired keys' DELs
    // follow it).
    let now = std::fs::read(&incr).unwrap();
    assert!(
        now.starts_with(&whole),
        "{:?}",
        String::from_utf8_lossy(&now)
    );
    assert!(!now.windows(3).any(|w| w == b"hal"));
    drop(s);
    // The base cut short: not the last file, refused.
    let base = aofdir.join("appendonly.aof.2.base.aof");
    let bytes = std::fs::read(&base).unwrap();
    std::fs::write(&base, &bytes[..bytes.len() - 5]).unwrap();
    assert_refused(&dir, &[], "the truncated file is not the last file");
    let _ = std::fs::remove_dir_all(dir);
}

/// With the AOF off, a broken manifest still refuses to start, as in
/// Redis 7.0 (it reads the manifest whatever appendonly says).
#[test]
fn a_broken_manifest_refuses_even_with_the_aof_off() {
    let dir = tmpdir("aofdir-off");
    let aofdir = copy_fixture("appendonlydir-preamble", &dir);
    std::fs::write(aofdir.join("appendonly.aof.manifest"), b"junk\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_miniredis"))
        .args(["--port", "0", "--dir", dir.to_str().unwrap()])
        .args(["--appendonly", "no"])
        .stdout(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let _ = std::fs::remove_dir_all(dir);
}

/// DEBUG LOADAOF and DEBUG RELOAD never reach the AOF (Redis's `dirty =
/// 0`): written there, the next load would run them inside itself and
/// recurse until the stack overflowed. Loading twice, with writes between,
/// keeps the data and the server.
#[test]
fn debug_loadaof_twice_keeps_the_data() {
    let s = common::start_miniredis(&["--appendonly", "yes", "--enable-debug-command", "yes"]);
    let mut r = s.raw();
    for round in 0..3 {
        assert_eq!(r.q(&format!("SET k{round} v EX 100")), "+OK\r\n");
        assert_eq!(r.q("DEBUG LOADAOF"), "+OK\r\n", "round {round}");
        assert_eq!(r.q("DEBUG RELOAD"), "+OK\r\n", "round {round}");
        assert_eq!(r.q("DBSIZE"), format!(":{}\r\n", round + 1));
    }
    assert_eq!(
        r.q("DEBUG RELOAD NOFLUSH"),
        "+OK\r\n",
        "keys already here are replaced"
    );
    assert_eq!(
        r.q("DEBUG RELOAD BAD"),
        "-ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.\r\n"
    );
    assert_eq!(r.q("GET k2"), "$1\r\nv\r\n");
}
