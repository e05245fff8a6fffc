//! Streams persist as Redis 7.0 keeps them: RDB type 19 both ways with
//! real redis-server 7.0.15 (groups, consumers, pending entries, deleted
//! and trimmed entries; redis-check-rdb passes on ours), and consumer
//! groups come back the same after a restart from RDB and from the AOF.

use crate::common::{Raw, redis_server_available, start_miniredis, wait_for};
use crate::tmpdir;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Streams with several nodes, tombstones, a trimmed head, an emptied
/// stream, two groups with consumers and pending entries.
fn fill(r: &mut Raw) {
    let mut lines: Vec<String> = Vec::new();
    for i in 1..=350 {
        lines.push(format!("XADD s {i}-0 f{} v{i} n {i}", i % 3));
    }
    lines.extend(
        [
            "XDEL s 5-0 6-0 200-0",
            "XTRIM s MAXLEN 300",
            "XGROUP CREATE s g1 0",
            "XGROUP CREATE s g2 $",
            "XREADGROUP GROUP g1 alice COUNT 5 STREAMS s >",
            "XREADGROUP GROUP g1 bob COUNT 3 STREAMS s >",
            "XGROUP CREATECONSUMER s g1 idle",
            "XACK s g1 52-0",
            "XCLAIM s g1 bob 0 53-0 TIME 1700000000000 RETRYCOUNT 4",
            "XADD e 1-0 a b",
            "XDEL e 1-0",
            "XADD num 1-0 1 2 3 4",
            "XADD num 2-0 1 5 3 6",
        ]
        .map(String::from),
    );
    for l in lines {
        let reply = r.q(&l);
        assert!(!reply.starts_with('-'), "{l}: {reply}");
    }
}

/// Everything XINFO STREAM FULL shows (times included: they are saved).
fn state(r: &mut Raw) -> Vec<String> {
    ["s", "e", "num"]
        .iter()
        .map(|k| r.q(&format!("XINFO STREAM {k} FULL")))
        .collect()
}

fn spawn_redis(dir: &str) -> (std::process::Child, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--dir", dir])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    assert!(wait_for(Duration::from_secs(10), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
            && Raw::connect(port).q("PING") == "+PONG\r\n"
    }));
    (child, port)
}

#[test]
fn stream_rdb_moves_between_redis_and_us_both_ways() {
    assert!(redis_server_available(), "redis-server 7.0 is needed");
    // Redis writes, we load.
    let dir = tmpdir("stream-rdb-theirs");
    let dirs = dir.to_str().unwrap();
    let (mut child, port) = spawn_redis(dirs);
    let mut theirs = Raw::connect(port);
    fill(&mut theirs);
    let want = state(&mut theirs);
    assert_eq!(theirs.q("SAVE"), "+OK\r\n");
    let _ = child.kill();
    let _ = child.wait();
    {
        let s = start_miniredis(&["--dir", dirs, "--save", ""]);
        let mut r = s.raw();
        assert_eq!(state(&mut r), want);
        // And ours, saved, is what Redis saved and passes its checker.
        assert_eq!(r.q("SAVE"), "+OK\r\n");
    }
    let check = Command::new("redis-check-rdb")
        .arg(dir.join("dump.rdb"))
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&check.stdout);
    assert!(
        check.status.success() && out.contains("RDB looks OK"),
        "{out}"
    );
    assert!(out.contains("3 keys read"), "{out}");
    // Redis loads ours.
    let (mut child, port) = spawn_redis(dirs);
    let mut again = Raw::connect(port);
    assert_eq!(state(&mut again), want);
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(dir);
}

/// What the groups hold, without the times a restart may move (a
/// consumer's seen-time is not propagated).
/// `layout`: also the node counts, which a command-form AOF (entries
/// added one by one again) does not keep, in Redis either.
fn groups(r: &mut Raw, layout: bool) -> Vec<String> {
    let info = r.q("XINFO STREAM s");
    let info = if layout {
        info
    } else {
        info.split("\r\n")
            .enumerate()
            // length, then radix-tree-keys and -nodes with their values.
            .filter(|(i, _)| !(5..=12).contains(i))
            .map(|(_, l)| l)
            .collect::<Vec<_>>()
            .join("|")
    };
    vec![
        r.q("XRANGE s - + COUNT 20"),
        info,
        r.q("XINFO GROUPS s"),
        r.q("XPENDING s g1"),
        r.q("XPENDING s g1 - + 100")
            .split("\r\n")
            .enumerate()
            // Drop each entry's idle time (after `*N`, entries of seven
            // lines: *4, $n, id, $n, consumer, :idle, :count).
            .filter(|(i, _)| *i == 0 || (i - 1) % 7 != 5)
            .map(|(_, l)| l)
            .collect::<Vec<_>>()
            .join("|"),
        r.q("XINFO STREAM e"),
        r.q("XRANGE num - +"),
    ]
}

#[test]
fn consumer_groups_survive_restarts_from_rdb_and_aof() {
    for (name, args) in [
        ("rdb", vec!["--save", "1 1"]),
        (
            "aof-preamble",
            vec!["--appendonly", "yes", "--aof-use-rdb-preamble", "yes"],
        ),
        (
            "aof-commands",
            vec!["--appendonly", "yes", "--aof-use-rdb-preamble", "no"],
        ),
    ] {
        let dir = tmpdir(&format!("stream-restart-{name}"));
        let mut all = vec!["--dir", dir.to_str().unwrap()];
        all.extend(args.iter().copied());
        let want = {
            let s = start_miniredis(&all);
            let mut r = s.raw();
            fill(&mut r);
            if name == "rdb" {
                assert_eq!(r.q("SAVE"), "+OK\r\n");
            } else if name == "aof-commands" {
                // The rewrite writes streams as XADD/XSETID/XGROUP/XCLAIM.
                r.q("BGREWRITEAOF");
                assert!(wait_for(Duration::from_secs(10), || {
                    String::from_utf8_lossy(&r.cmd(&[b"INFO", b"persistence"]))
                        .contains("aof_rewrite_in_progress:0\r\naof_rewrite_scheduled:0")
                }));
                r.q("XREADGROUP GROUP g1 carol COUNT 1 STREAMS s >");
            }
            groups(&mut r, name != "aof-commands")
        };
        let s = start_miniredis(&all);
        let mut r = s.raw();
        assert_eq!(groups(&mut r, name != "aof-commands"), want, "{name}");
        let _ = std::fs::remove_dir_all(dir);
    }
}
