//! Function libraries persist as Redis 7.0 keeps them: FUNCTION2 in RDB
//! files (real Redis's file loads here, ours loads in real Redis),
//! FUNCTION LOAD/DELETE in the AOF, and FUNCTION LOAD commands at the
//! head of a rewritten base without an RDB preamble.

use crate::common::{Raw, start_miniredis, wait_for};
use crate::tmpdir;
use std::process::{Command, Stdio};
use std::time::Duration;

const LIB: &str = "#!lua name=plib\nredis.register_function('pecho', function(keys, args) return 'p:' .. args[1] end)";

fn load_lib(r: &mut Raw) {
    assert_eq!(
        r.cmd(&[b"FUNCTION", b"LOAD", LIB.as_bytes()]),
        b"$4\r\nplib\r\n"
    );
}

fn pecho(r: &mut Raw) -> Vec<u8> {
    r.cmd(&[b"FCALL", b"pecho", b"0", b"x"])
}

#[test]
fn real_redis_function_rdb_loads_and_runs() {
    let dir = tmpdir("fn-fixture");
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/rdb/function.rdb"
    );
    std::fs::copy(fixture, dir.join("dump.rdb")).unwrap();
    let s = start_miniredis(&["--dir", dir.to_str().unwrap(), "--save", ""]);
    let mut r = s.raw();
    assert_eq!(r.q("FCALL fxecho 0 hello"), "$5\r\nhello\r\n");
    assert_eq!(r.q("GET k"), "$1\r\nv\r\n");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn functions_survive_save_and_load_in_redis_server_too() {
    let dir = tmpdir("fn-rdb");
    let dirs = dir.to_str().unwrap();
    {
        let s = start_miniredis(&["--dir", dirs, "--save", ""]);
        let mut r = s.raw();
        load_lib(&mut r);
        assert_eq!(r.q("SET k v"), "+OK\r\n");
        assert_eq!(r.q("SAVE"), "+OK\r\n");
        // DEBUG RELOAD empties the libraries with the data and loads both.
        assert_eq!(r.q("DEBUG RELOAD"), "+OK\r\n");
        assert_eq!(pecho(&mut r), b"$3\r\np:x\r\n");
    }
    {
        let s = start_miniredis(&["--dir", dirs, "--save", ""]);
        let mut r = s.raw();
        assert_eq!(pecho(&mut r), b"$3\r\np:x\r\n");
    }
    if common_redis() {
        let port = free_port();
        let mut child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--dir", dirs])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        assert!(wait_for(Duration::from_secs(10), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
                && Raw::connect(port).q("PING") == "+PONG\r\n"
        }));
        let mut r = Raw::connect(port);
        assert_eq!(pecho(&mut r), b"$3\r\np:x\r\n");
        let _ = child.kill();
        let _ = child.wait();
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn functions_replay_from_the_aof_and_its_rewrite() {
    for preamble in ["yes", "no"] {
        let dir = tmpdir(&format!("fn-aof-{preamble}"));
        let dirs = dir.to_str().unwrap();
        let args = [
            "--dir",
            dirs,
            "--save",
            "",
            "--appendonly",
            "yes",
            "--aof-use-rdb-preamble",
            preamble,
        ];
        {
            let s = start_miniredis(&args);
            let mut r = s.raw();
            load_lib(&mut r);
            let gone: &[u8] =
                b"#!lua name=gone\nredis.register_function('g', function() return 1 end)";
            assert_eq!(r.cmd(&[b"FUNCTION", b"LOAD", gone]), b"$4\r\ngone\r\n");
            assert_eq!(r.q("FUNCTION DELETE gone"), "+OK\r\n");
        }
        {
            let s = start_miniredis(&args);
            let mut r = s.raw();
            assert_eq!(pecho(&mut r), b"$3\r\np:x\r\n", "preamble {preamble}");
            assert_eq!(r.q("FCALL g 0"), "-ERR Function not found\r\n");
            assert_eq!(
                r.q("BGREWRITEAOF"),
                "+Background append only file rewriting started\r\n"
            );
            assert!(wait_for(Duration::from_secs(10), || {
                String::from_utf8_lossy(&r.cmd(&[b"INFO", b"persistence"]))
                    .contains("aof_rewrite_in_progress:0\r\naof_rewrite_scheduled:0")
            }));
        }
        {
            let s = start_miniredis(&args);
            let mut r = s.raw();
            assert_eq!(
                pecho(&mut r),
                b"$3\r\np:x\r\n",
                "rewritten, preamble {preamble}"
            );
            assert!(r.q("FUNCTION STATS").contains("libraries_count\r\n:1\r\n"));
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}

fn common_redis() -> bool {
    crate::common::redis_server_available()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
