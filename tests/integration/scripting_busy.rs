//! A script past busy-reply-threshold: the others get -BUSY, SCRIPT KILL
//! stops a script that has not written, SHUTDOWN NOSAVE stops the server.

use crate::common::{Proc, Raw, start_miniredis, wait_for};
use std::time::Duration;

const BUSY: &[u8] =
    b"-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n";

/// A server whose scripts turn busy after 20 ms, and a client whose
/// EVAL of `script` has made it busy (another client got -BUSY).
fn busy_with(script: &str) -> (Proc, Raw, Raw) {
    let s = start_miniredis(&["--busy-reply-threshold", "20"]);
    let mut runner = s.raw();
    let mut other = s.raw();
    runner.send_cmd(&[b"EVAL", script.as_bytes(), b"0"]);
    // The other client's PING is answered once the script turns busy.
    assert_eq!(other.cmd(&[b"PING"]), BUSY);
    (s, runner, other)
}

#[test]
fn script_kill_stops_a_busy_script_and_the_server_serves_again() {
    let (_s, mut runner, mut other) = busy_with("while true do end");
    assert_eq!(other.cmd(&[b"GET", b"k"]), BUSY);
    // A command the script's own client sends meanwhile waits its turn.
    runner.send_cmd(&[b"PING"]);
    // A client connecting while the script runs is served too.
    let mut late = Raw::connect(_s.port);
    assert_eq!(late.cmd(&[b"SET", b"k", b"v"]), BUSY);
    assert_eq!(other.cmd(&[b"SCRIPT", b"KILL"]), b"+OK\r\n");
    assert_eq!(
        runner.read_reply(),
        b"-ERR Script killed by user with SCRIPT KILL... script: 694a5fe1ddb97a4c6a1bf299d9537c7d3d0f84e7, on @user_script:1.\r\n"
    );
    assert_eq!(runner.read_reply(), b"+PONG\r\n");
    assert_eq!(
        other.cmd(&[b"SCRIPT", b"KILL"]),
        b"-NOTBUSY No scripts in execution right now.\r\n"
    );
    assert_eq!(late.cmd(&[b"GET", b"k"]), b"$-1\r\n");
}

#[test]
fn a_pcall_cannot_keep_a_killed_script_alive() {
    let script =
        "local n = 0\nwhile true do\n  pcall(function() while true do end end)\n  n = n + 1\nend";
    let (_s, mut runner, mut other) = busy_with(script);
    assert_eq!(other.cmd(&[b"SCRIPT", b"KILL"]), b"+OK\r\n");
    let reply = String::from_utf8(runner.read_reply()).unwrap();
    assert!(
        reply.starts_with("-ERR Script killed by user with SCRIPT KILL... script: ")
            && reply.ends_with(", on @user_script:4.\r\n"),
        "{reply}"
    );
    // Within one script, pcall sees Redis's error string once.
    let (_s, mut runner, mut other) =
        busy_with("local ok, e = pcall(function() while true do end end) return {tostring(ok), e}");
    assert_eq!(other.cmd(&[b"SCRIPT", b"KILL"]), b"+OK\r\n");
    assert_eq!(
        runner.read_reply(),
        b"*2\r\n$5\r\nfalse\r\n$45\r\nERR Script killed by user with SCRIPT KILL...\r\n"
    );
}

#[test]
fn a_script_that_wrote_is_unkillable_and_only_shutdown_nosave_stops_it() {
    let (mut s, mut runner, mut other) = busy_with("redis.call('set', 'k', 'v') while true do end");
    assert_eq!(
        other.cmd(&[b"SCRIPT", b"KILL"]),
        b"-UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.\r\n"
    );
    assert_eq!(other.cmd(&[b"SHUTDOWN"]), BUSY);
    other.send_cmd(&[b"SHUTDOWN", b"NOSAVE"]);
    assert!(other.closed(), "SHUTDOWN NOSAVE closes the connection");
    assert!(
        runner.closed(),
        "the script's client is gone with the server"
    );
    assert!(
        wait_for(Duration::from_secs(5), || matches!(
            s.child.try_wait(),
            Ok(Some(st)) if st.success()
        )),
        "the server exits"
    );
}

#[test]
fn busy_reply_threshold_has_its_old_name() {
    let s = start_miniredis(&[]);
    let mut r = s.raw();
    assert_eq!(
        r.cmd(&[b"CONFIG", b"GET", b"busy-reply-threshold"]),
        b"*2\r\n$20\r\nbusy-reply-threshold\r\n$4\r\n5000\r\n"
    );
    assert_eq!(
        r.cmd(&[b"CONFIG", b"SET", b"lua-time-limit", b"100"]),
        b"+OK\r\n"
    );
    assert_eq!(
        r.cmd(&[b"CONFIG", b"GET", b"lua-time-limit"]),
        b"*2\r\n$14\r\nlua-time-limit\r\n$3\r\n100\r\n"
    );
    // A script shorter than the threshold never makes anyone wait on -BUSY.
    assert_eq!(
        r.cmd(&[
            b"EVAL",
            b"local t = 0 for i = 1, 1000000 do t = t + i end return t",
            b"0"
        ]),
        b":500000500000\r\n"
    );
}

#[test]
fn function_kill_stops_a_busy_function_and_script_kill_does_not() {
    let s = start_miniredis(&["--busy-reply-threshold", "20"]);
    let mut runner = s.raw();
    let mut other = s.raw();
    let lib: &[u8] =
        b"#!lua name=loop\nredis.register_function('loop', function() while true do end end)";
    assert_eq!(runner.cmd(&[b"FUNCTION", b"LOAD", lib]), b"$4\r\nloop\r\n");
    runner.send_cmd(&[b"FCALL", b"loop", b"0"]);
    const FBUSY: &[u8] = b"-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.\r\n";
    assert_eq!(other.cmd(&[b"PING"]), FBUSY);
    assert_eq!(other.cmd(&[b"SCRIPT", b"KILL"]), FBUSY);
    let stats = String::from_utf8(other.cmd(&[b"FUNCTION", b"STATS"])).unwrap();
    assert!(
        stats.starts_with("*4\r\n$14\r\nrunning_script\r\n*6\r\n$4\r\nname\r\n$4\r\nloop\r\n$7\r\ncommand\r\n*3\r\n$5\r\nFCALL\r\n$4\r\nloop\r\n$1\r\n0\r\n$11\r\nduration_ms\r\n:"),
        "{stats}"
    );
    assert_eq!(other.cmd(&[b"FUNCTION", b"KILL"]), b"+OK\r\n");
    assert_eq!(
        runner.read_reply(),
        b"-ERR Script killed by user with SCRIPT KILL... script: loop, on @user_function:2.\r\n"
    );
    // And FUNCTION KILL does not stop an EVAL.
    runner.send_cmd(&[b"EVAL", b"while true do end", b"0"]);
    assert_eq!(other.cmd(&[b"PING"]), BUSY);
    assert_eq!(other.cmd(&[b"FUNCTION", b"KILL"]), BUSY);
    assert_eq!(other.cmd(&[b"FUNCTION", b"STATS"]), BUSY);
    assert_eq!(other.cmd(&[b"SCRIPT", b"KILL"]), b"+OK\r\n");
    let reply = runner.read_reply();
    assert!(
        reply.starts_with(b"-ERR Script killed by user"),
        "{reply:?}"
    );
}

/// The script cache holds more scripts than mlua's reference stack has
/// slots (about 8,000): compiled scripts live in the Lua registry.
#[test]
fn ten_thousand_cached_scripts_all_run() {
    let s = start_miniredis(&[]);
    let mut r = s.raw();
    let mut batch = Vec::new();
    for i in 0..10_000 {
        let body = format!("return {i}");
        batch.extend_from_slice(&crate::common::encode(&[
            b"SCRIPT",
            b"LOAD",
            body.as_bytes(),
        ]));
    }
    r.send(&batch);
    let mut shas = Vec::new();
    for _ in 0..10_000 {
        let reply = r.read_reply();
        assert!(reply.starts_with(b"$40\r\n"), "{reply:?}");
        shas.push(reply[5..45].to_vec());
    }
    for (i, sha) in [(0, &shas[0]), (9_999, &shas[9_999]), (5_000, &shas[5_000])] {
        assert_eq!(
            r.cmd(&[b"EVALSHA", sha, b"0"]),
            format!(":{i}\r\n").as_bytes()
        );
    }
    assert_eq!(
        r.cmd(&[b"EVAL", b"return {1, 2}", b"0"]),
        b"*2\r\n:1\r\n:2\r\n"
    );
}
