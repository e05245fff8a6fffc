//! RDB snapshots: round trips, BGSAVE under writes, interop with real
//! redis-server 7.0 both ways, and refusal of a corrupted file.

use crate::common::{self, Raw, start_miniredis, start_redis_server, wait_for};
use crate::tmpdir;
use std::process::{Command, Stdio};
use std::time::Duration;

/// A dataset with every type in small and large encodings, TTLs, two dbs.
pub fn fill(r: &mut Raw) {
    let mut lines: Vec<String> = vec![
        "SET str hello".into(),
        "SET int 12345".into(),
        "SET ttl v EX 5000".into(),
        "SET gone v PX 1".into(),
        "RPUSH list:small a b 1 -1 100000".into(),
        "HSET hash:small f1 v1 num 123".into(),
        "SADD set:ints 1 2 3 -100 5000000000".into(),
        "SADD set:strs a b c".into(),
        "EXPIRE list:small 6000".into(),
        "SELECT 2".into(),
        "SET in2 x".into(),
        "SELECT 0".into(),
    ];
    for i in 0..600 {
        lines.push(format!("RPUSH list:large element-{i:012}"));
        lines.push(format!("HSET hash:large field-{i:04} value-{i:04}"));
        lines.push(format!("SADD set:large m{i}"));
    }
    lines.push(format!("SET big {}", "z".repeat(70_000)));
    for l in lines {
        let reply = r.q(&l);
        assert!(!reply.starts_with('-'), "{l}: {reply}");
    }
}

/// Every key's type and content, rendered comparably (sets sorted).
pub fn dump(r: &mut Raw, db: usize) -> Vec<String> {
    r.q(&format!("SELECT {db}"));
    let keys = r.cmd(&[b"KEYS", b"*"]);
    let text = String::from_utf8_lossy(&keys).to_string();
    let mut names: Vec<String> = text
        .split("\r\n")
        .skip(1)
        .filter(|l| !l.starts_with('$') && !l.is_empty())
        .map(String::from)
        .collect();
    names.sort();
    let mut out = Vec::new();
    for k in names {
        let t = r.q(&format!("TYPE {k}"));
        let content = match t.trim() {
            "+string" => r.q(&format!("GET {k}")),
            "+list" => r.q(&format!("LRANGE {k} 0 -1")),
            "+hash" => sorted_pairs(&r.q(&format!("HGETALL {k}"))),
            "+set" => sorted_items(&r.q(&format!("SMEMBERS {k}"))),
            "+zset" => r.q(&format!("ZRANGE {k} 0 -1 WITHSCORES")),
            other => other.to_string(),
        };
        let ttl: i64 = r.q(&format!("TTL {k}"))[1..].trim().parse().unwrap_or(-3);
        let ttl_class = if ttl > 0 { "ttl" } else { "persist" };
        out.push(format!("{k} {t} {ttl_class} {content}"));
    }
    r.q("SELECT 0");
    out
}

fn items(reply: &str) -> Vec<String> {
    reply
        .split("\r\n")
        .skip(1)
        .filter(|l| !l.starts_with('$') && !l.is_empty())
        .map(String::from)
        .collect()
}

fn sorted_items(reply: &str) -> String {
    let mut v = items(reply);
    v.sort();
    v.join(",")
}

fn sorted_pairs(reply: &str) -> String {
    let v = items(reply);
    let mut pairs: Vec<String> = v.chunks(2).map(|c| c.join("=")).collect();
    pairs.sort();
    pairs.join(",")
}

#[test]
fn save_and_restart_keeps_every_type_and_ttl() {
    let dir = tmpdir("rdb-rt");
    let dirs = dir.to_str().unwrap();
    let (before0, before2);
    {
        let s = start_miniredis(&["--dir", dirs, "--save", ""]);
        let mut r = s.raw();
        fill(&mut r);
        assert!(wait_for(Duration::from_secs(5), || r.q("EXISTS gone") == ":0\r\n"));
        before0 = dump(&mut r, 0);
        before2 = dump(&mut r, 2);
        assert_eq!(r.q("SAVE"), "+OK\r\n");
        let info = r.q("INFO persistence");
        assert!(
            info.contains("rdb_changes_since_last_save:0") && info.contains("rdb_saves:1"),
            "{info}"
        );
    }
    let s = start_miniredis(&["--dir", dirs, "--save", ""]);
    assert!(
        s.stdout_lines
            .iter()
            .any(|l| l.starts_with("RDB: dump.rdb (loading ")),
        "{:?}",
        s.stdout_lines
    );
    let mut r = s.raw();
    assert_eq!(dump(&mut r, 0), before0);
    assert_eq!(dump(&mut r, 2), before2);
    assert_eq!(r.q("OBJECT ENCODING hash:small"), "$8\r\nlistpack\r\n");
    assert_eq!(r.q("OBJECT ENCODING set:ints"), "$6\r\nintset\r\n");
    assert_eq!(r.q("OBJECT ENCODING hash:large"), "$9\r\nhashtable\r\n");
    assert_eq!(r.q("DEBUG RELOAD"), "+OK\r\n");
    assert_eq!(dump(&mut r, 0), before0);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn bgsave_writes_the_data_as_of_its_start_while_writes_go_on() {
    let dir = tmpdir("rdb-bg");
    let dirs = dir.to_str().unwrap();
    {
        let s = start_miniredis(&["--dir", dirs, "--save", ""]);
        let mut r = s.raw();
        let mut batch = Vec::new();
        for i in 0..50_000 {
            batch.extend(common::encode(&[
                b"SET",
                format!("k{i}").as_bytes(),
                b"before",
            ]));
        }
        r.send(&batch);
        for _ in 0..50_000 {
            r.read_reply();
        }
        // Each key costs the writer 100 us, so the overwrites below land
        // while it runs (asserted), then it is let go.
        assert_eq!(r.q("CONFIG SET rdb-key-save-delay 100"), "+OK\r\n");
        assert_eq!(r.q("BGSAVE"), "+Background saving started\r\n");
        // Overwrite while the snapshot is being written.
        for i in 0..2000 {
            r.q(&format!("SET k{i} after"));
        }
        assert!(
            r.q("INFO persistence").contains("rdb_bgsave_in_progress:1"),
            "the writes must overlap the snapshot"
        );
        assert_eq!(r.q("CONFIG SET rdb-key-save-delay 0"), "+OK\r\n");
        assert!(wait_for(Duration::from_secs(20), || r
            .q("INFO persistence")
            .contains("rdb_bgsave_in_progress:0")));
        let info = r.q("INFO persistence");
        assert!(info.contains("rdb_last_bgsave_status:ok"), "{info}");
        r.send(b"SHUTDOWN NOSAVE\r\n");
        assert!(r.closed());
    }
    let s = start_miniredis(&["--dir", dirs, "--save", ""]);
    let mut r = s.raw();
    assert_eq!(r.q("DBSIZE"), ":50000\r\n");
    for i in (0..50_000).step_by(997) {
        assert_eq!(r.q(&format!("GET k{i}")), "$6\r\nbefore\r\n", "k{i}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn redis_reads_our_rdb_and_we_read_its() {
    if !common::redis_server_available() {
        return;
    }
    let dir = tmpdir("rdb-interop");
    let dirs = dir.to_str().unwrap();
    let ours_dump;
    {
        let s = start_miniredis(&["--dir", dirs, "--save", ""]);
        let mut r = s.raw();
        fill(&mut r);
        assert!(wait_for(Duration::from_secs(5), || r.q("EXISTS gone") == ":0\r\n"));
        ours_dump = (dump(&mut r, 0), dump(&mut r, 2));
        assert_eq!(r.q("SAVE"), "+OK\r\n");
    }
    let file = dir.join("dump.rdb");
    let check = Command::new("redis-check-rdb").arg(&file).output().unwrap();
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(text.contains("RDB looks OK"), "{text}");
    // Real redis-server loads our file and holds the same data.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--dir",
            dirs,
            "--dbfilename",
            "dump.rdb",
            "--save",
            "",
        ])
        .args(["--sanitize-dump-payload", "yes"])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut r = Raw::connect(port);
    assert!(wait_for(Duration::from_secs(10), || r.q("PING") == "+PONG\r\n"));
    assert_eq!((dump(&mut r, 0), dump(&mut r, 2)), ours_dump);
    // And the file real Redis writes loads back into us identically.
    assert_eq!(r.q("SAVE"), "+OK\r\n");
    let _ = child.kill();
    let _ = child.wait();
    let s = start_miniredis(&["--dir", dirs, "--save", ""]);
    let mut r = s.raw();
    assert_eq!((dump(&mut r, 0), dump(&mut r, 2)), ours_dump);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_corrupted_rdb_refuses_to_start() {
    let dir = tmpdir("rdb-corrupt");
    let dirs = dir.to_str().unwrap();
    {
        let s = start_miniredis(&["--dir", dirs, "--save", ""]);
        let mut r = s.raw();
        r.q("SET a 1");
        r.q("SET b 2");
        assert_eq!(r.q("SAVE"), "+OK\r\n");
    }
    let path = dir.join("dump.rdb");
    let mut bytes = std::fs::read(&path).unwrap();
    let n = bytes.len();
    bytes[n - 12] ^= 0x55;
    std::fs::write(&path, &bytes).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_miniredis"))
        .args(["--port", "0", "--dir", dirs])
        .stdout(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("RDB") && err.contains("offset"), "{err}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes,
        "the file is untouched"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn shutdown_saves_with_save_points_and_sigterm_too() {
    let dir = tmpdir("rdb-shutdown");
    let dirs = dir.to_str().unwrap();
    {
        let mut s = start_miniredis(&["--dir", dirs, "--save", "3600 1"]);
        let mut r = s.raw();
        r.q("SET kept yes");
        let pid = s.child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        assert_eq!(s.child.wait().unwrap().code(), Some(0));
    }
    {
        let s = start_miniredis(&["--dir", dirs, "--save", ""]);
        let mut r = s.raw();
        assert_eq!(r.q("GET kept"), "$3\r\nyes\r\n");
        r.q("SET more 1");
        r.send(b"SHUTDOWN SAVE\r\n");
        assert!(r.closed());
    }
    let s = start_miniredis(&["--dir", dirs, "--save", ""]);
    let mut r = s.raw();
    assert_eq!(r.q("MGET kept more"), "*2\r\n$3\r\nyes\r\n$1\r\n1\r\n");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn redis_fixture_files_load() {
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/rdb");
    for (name, dbsize) in [
        ("plain-uncompressed.rdb", 3),
        ("lru.rdb", 1),
        ("lfu.rdb", 1),
        ("empty.rdb", 0),
    ] {
        let dir = tmpdir(&format!("rdb-fx-{name}"));
        std::fs::copy(format!("{fixtures}/{name}"), dir.join("dump.rdb")).unwrap();
        let s = start_miniredis(&["--dir", dir.to_str().unwrap(), "--save", ""]);
        let mut r = s.raw();
        assert_eq!(r.q("DBSIZE"), format!(":{dbsize}\r\n"), "{name}");
        let _ = std::fs::remove_dir_all(dir);
    }
    let _ = start_redis_server;
}

/// Real Redis's files (7.0 and 6.2 encodings: listpack, quicklist,
/// intset, ziplist, skiplist) load into miniredis with the same data
/// real redis-server 7.0 sees in them.
#[test]
fn redis_fixture_rdb_files_load_with_identical_data() {
    if !common::redis_server_available() {
        return;
    }
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/rdb");
    for name in [
        "all-types.rdb",
        "all-types-redis6.rdb",
        "list-compressed.rdb",
        "list-plain-node.rdb",
    ] {
        let dir = tmpdir(&format!("rdb-fxd-{name}"));
        std::fs::copy(format!("{fixtures}/{name}"), dir.join("dump.rdb")).unwrap();
        let dirs = dir.to_str().unwrap();
        let ours = {
            let s = start_miniredis(&["--dir", dirs, "--save", ""]);
            let mut r = s.raw();
            (dump(&mut r, 0), dump(&mut r, 1))
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--dir",
                dirs,
                "--dbfilename",
                "dump.rdb",
                "--save",
                "",
            ])
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let mut r = Raw::connect(port);
        assert!(wait_for(Duration::from_secs(10), || r.q("PING") == "+PONG\r\n"));
        let theirs = (dump(&mut r, 0), dump(&mut r, 1));
        let _ = child.kill();
        let _ = child.wait();
        assert!(!ours.0.is_empty(), "{name} loaded nothing");
        assert_eq!(ours, theirs, "{name}");
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// The single-file AOF real Redis 7.0 wrote replays into the documented state.
#[test]
fn redis_fixture_aof_replays() {
    let dir = tmpdir("aof-fx");
    let path = dir.join("appendonly.aof");
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/aof/single-file.aof"
        ),
        &path,
    )
    .unwrap();
    let s = start_miniredis(&["--aof", path.to_str().unwrap(), "--save", ""]);
    let mut r = s.raw();
    assert_eq!(r.q("LRANGE list:a 0 -1"), "*2\r\n$1\r\ny\r\n$1\r\nz\r\n");
    assert_eq!(r.q("SMISMEMBER set:a m1 m2"), "*2\r\n:1\r\n:1\r\n");
    assert_eq!(
        r.q("ZRANGE zset:a 0 -1 WITHSCORES"),
        "*4\r\n$3\r\none\r\n$3\r\n1.5\r\n$3\r\ntwo\r\n$1\r\n2\r\n"
    );
    assert_eq!(
        r.q("HGETALL hash:a"),
        "*4\r\n$2\r\nf1\r\n$2\r\nv1\r\n$2\r\nf2\r\n$2\r\nv2\r\n"
    );
    assert_eq!(
        r.q("MGET tx:a str:far counter str:a str:ttl"),
        "*5\r\n$1\r\n2\r\n$1\r\nv\r\n$-1\r\n$-1\r\n$-1\r\n"
    );
    r.q("SELECT 3");
    assert_eq!(r.q("GET db3:key"), "$1\r\nv\r\n");
    let _ = std::fs::remove_dir_all(dir);
}

/// A save that fails at SHUTDOWN keeps the server up and says why.
#[test]
fn a_failed_save_at_shutdown_keeps_the_server_up() {
    let dir = tmpdir("rdb-failsave");
    let s = start_miniredis(&["--dir", dir.to_str().unwrap(), "--save", "3600 1"]);
    let mut r = s.raw();
    r.q("SET k v");
    // The directory disappears: the RDB cannot be written any more.
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(
        r.q("SHUTDOWN"),
        "-ERR Errors trying to SHUTDOWN. Check logs.\r\n"
    );
    assert_eq!(r.q("GET k"), "$1\r\nv\r\n");
    r.send(b"SHUTDOWN NOSAVE\r\n");
    assert!(r.closed());
}

/// DEBUG RELOAD (a restore from disk) makes a WATCHing EXEC fail.
#[test]
fn reload_invalidates_watch() {
    let dir = tmpdir("rdb-watch");
    let s = start_miniredis(&["--dir", dir.to_str().unwrap(), "--save", ""]);
    let mut r = s.raw();
    r.q("SET k v");
    r.q("WATCH k");
    assert_eq!(r.q("DEBUG RELOAD"), "+OK\r\n");
    r.q("MULTI");
    r.q("PING");
    assert_eq!(r.q("EXEC"), "*-1\r\n");
    let _ = std::fs::remove_dir_all(dir);
}
