//! The command line: banner, exit codes, config file, signals.

use crate::common::start_miniredis;
use std::process::{Command, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_miniredis"))
}

#[test]
fn banner_is_the_product_sheets() {
    let s = start_miniredis(&[]);
    assert_eq!(
        s.stdout_lines,
        vec![
            "MiniRedis server starting...".to_string(),
            format!("Port: {}", s.port),
            "Ready to accept connections".into()
        ]
    );
}

#[test]
fn bad_flags_and_values_exit_2() {
    for args in [
        &["--port", "99999"][..],
        &["--nosuch", "1"],
        &["--appendfsync", "sometimes"],
        &["-x"],
        &["--port"],
    ] {
        let out = bin().args(args).stdout(Stdio::null()).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "one clear line: {err}");
    }
}

#[test]
fn help_and_version_exit_0() {
    let out = bin().arg("--version").output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("1.0.0"));
    let out = bin().arg("--help").output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("--port"));
}

#[test]
fn port_in_use_and_unreadable_config_exit_1() {
    let s = start_miniredis(&[]);
    let out = bin()
        .args(["--port", &s.port.to_string()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains(&s.port.to_string()));
    let out = bin().arg("/nonexistent/redis.conf").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn config_file_then_flags_like_redis_server() {
    let dir = std::env::temp_dir().join(format!("miniredis-conf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let conf = dir.join("redis.conf");
    std::fs::write(
        &conf,
        "# test\nhz 20\nsave \"\"\nappendonly no\nappendfsync always\ndatabases 4\n",
    )
    .unwrap();
    let s = start_miniredis(&[conf.to_str().unwrap(), "--hz", "15", "--save", "60", "10"]);
    let mut r = s.raw();
    assert_eq!(r.q("CONFIG GET hz"), "*2\r\n$2\r\nhz\r\n$2\r\n15\r\n");
    assert_eq!(
        r.q("CONFIG GET save"),
        "*2\r\n$4\r\nsave\r\n$5\r\n60 10\r\n"
    );
    assert_eq!(
        r.q("CONFIG GET appendfsync"),
        "*2\r\n$11\r\nappendfsync\r\n$6\r\nalways\r\n"
    );
    assert_eq!(r.q("SELECT 4"), "-ERR DB index is out of range\r\n");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn sigterm_and_shutdown_exit_cleanly() {
    let mut s = start_miniredis(&[]);
    let pid = s.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    assert_eq!(s.child.wait().unwrap().code(), Some(0));

    let mut s = start_miniredis(&[]);
    let mut r = s.raw();
    r.send(b"SHUTDOWN NOSAVE\r\n");
    assert!(r.closed());
    assert_eq!(s.child.wait().unwrap().code(), Some(0));
}
