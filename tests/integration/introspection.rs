//! Introspection tools use: SLOWLOG, MONITOR, CLIENT PAUSE/REPLY, ACL WHOAMI.

use crate::common::{Raw, start_miniredis};
use std::time::{Duration, Instant};

#[test]
fn slowlog_records_slow_commands_with_trimmed_args() {
    let s = start_miniredis(&[]);
    let mut r = s.raw();
    assert_eq!(r.q("CONFIG SET slowlog-log-slower-than 0"), "+OK\r\n");
    r.q("SLOWLOG RESET");
    let long = "x".repeat(200);
    r.q(&format!("SET k {long}"));
    let log = r.q("SLOWLOG GET 1");
    assert!(log.starts_with("*1\r\n*6\r\n:"), "{log}");
    assert!(
        log.contains(&format!("{}... (72 more bytes)", "x".repeat(128))),
        "{log}"
    );
    assert_eq!(r.q("CONFIG SET slowlog-log-slower-than -1"), "+OK\r\n");
    let n = r.q("SLOWLOG LEN");
    r.q("GET k");
    assert_eq!(r.q("SLOWLOG LEN"), n);
    assert_eq!(
        r.q("SLOWLOG GET -2"),
        "-ERR count should be greater than or equal to -1\r\n"
    );
}

#[test]
fn monitor_streams_other_clients_commands() {
    let s = start_miniredis(&[]);
    let mut mon = s.raw();
    let mut r = s.raw();
    assert_eq!(mon.q("MONITOR"), "+OK\r\n");
    r.cmd(&[b"SET", b"greeting", b"hi \"there\"\n"]);
    let line = String::from_utf8(mon.read_reply()).unwrap();
    assert!(
        line.starts_with('+')
            && line.ends_with(" \"SET\" \"greeting\" \"hi \\\"there\\\"\\n\"\r\n"),
        "{line}"
    );
    assert!(line.contains(" [0 127.0.0.1:"), "{line}");
    // Its own commands too, after their replies, as Redis does.
    assert_eq!(mon.q("PING"), "+PONG\r\n");
    let own = String::from_utf8(mon.read_reply()).unwrap();
    assert!(own.ends_with("] \"PING\"\r\n"), "{own}");
}

/// A script shows in MONITOR before the commands it runs, and those show as
/// `lua` (Redis's evalCommand and fcallCommandGeneric feed the monitors
/// first).
#[test]
fn monitor_shows_scripts_before_their_commands() {
    let s = start_miniredis(&[]);
    let mut mon = s.raw();
    let mut r = s.raw();
    let lib: &[u8] = b"#!lua name=t\nredis.register_function('tf', function() return redis.call('set', 'foo', 'baz') end)";
    assert_eq!(r.cmd(&[b"FUNCTION", b"LOAD", lib]), b"$1\r\nt\r\n");
    assert_eq!(mon.q("MONITOR"), "+OK\r\n");
    r.cmd(&[
        b"EVAL",
        b"redis.call('set',KEYS[1],ARGV[1])",
        b"1",
        b"foo",
        b"bar",
    ]);
    let first = String::from_utf8(mon.read_reply()).unwrap();
    assert!(first.contains("\"EVAL\""), "{first}");
    let second = String::from_utf8(mon.read_reply()).unwrap();
    assert!(
        second.contains(" [0 lua] \"set\" \"foo\" \"bar\""),
        "{second}"
    );
    r.cmd(&[b"FCALL", b"tf", b"0"]);
    let first = String::from_utf8(mon.read_reply()).unwrap();
    assert!(first.contains("\"FCALL\" \"tf\""), "{first}");
    let second = String::from_utf8(mon.read_reply()).unwrap();
    assert!(
        second.contains(" [0 lua] \"set\" \"foo\" \"baz\""),
        "{second}"
    );
}

#[test]
fn client_pause_holds_commands_until_it_ends() {
    let s = start_miniredis(&[]);
    let mut admin = s.raw();
    let mut other = s.raw();
    // t0 is taken before the pause starts, so the pause surely ends at
    // least 1 s after it; a read answered well before that was not held.
    let t0 = Instant::now();
    assert_eq!(admin.q("CLIENT PAUSE 1000 WRITE"), "+OK\r\n");
    assert_eq!(other.q("GET k"), "$-1\r\n");
    assert!(
        t0.elapsed() < Duration::from_millis(900),
        "reads are not held in WRITE mode"
    );
    assert_eq!(other.q("SET k v"), "+OK\r\n");
    assert!(
        // (the server keeps whole milliseconds: allow for the truncation)
        t0.elapsed() >= Duration::from_millis(990),
        "the write waited for the pause: {:?}",
        t0.elapsed()
    );
    // UNPAUSE (not a write) ends a long WRITE pause early.
    admin.q("CLIENT PAUSE 10000 WRITE");
    let t1 = Instant::now();
    other.send(b"SET k v2\r\n");
    assert_eq!(admin.q("CLIENT UNPAUSE"), "+OK\r\n");
    assert_eq!(other.read_reply(), b"+OK\r\n");
    assert!(t1.elapsed() < Duration::from_secs(5));
}

#[test]
fn client_reply_off_and_skip() {
    let s = start_miniredis(&[]);
    let mut r = s.raw();
    r.send(b"CLIENT REPLY SKIP\r\nSET a 1\r\nGET a\r\n");
    assert_eq!(r.read_reply(), b"$1\r\n1\r\n");
    r.send(b"CLIENT REPLY OFF\r\nSET b 2\r\nGET b\r\nCLIENT REPLY ON\r\nGET b\r\n");
    assert_eq!(r.read_reply(), b"+OK\r\n");
    assert_eq!(r.read_reply(), b"$1\r\n2\r\n");
    assert_eq!(r.q("ACL WHOAMI"), "$7\r\ndefault\r\n");
}

#[test]
fn passwords_are_redacted_in_monitor_and_slowlog() {
    let s = start_miniredis(&["--requirepass", "s3cret"]);
    let mut mon = s.raw();
    mon.q("AUTH s3cret");
    mon.q("CONFIG SET slowlog-log-slower-than 0");
    assert_eq!(mon.q("MONITOR"), "+OK\r\n");
    let mut r = s.raw();
    r.q("AUTH s3cret");
    let line = String::from_utf8(mon.read_reply()).unwrap();
    assert!(line.ends_with("\"AUTH\" \"(redacted)\"\r\n"), "{line}");
    let log = r.q("SLOWLOG GET 10");
    assert!(!log.contains("s3cret"), "{log}");
}

/// A subscribed client is of type pubsub for CLIENT LIST and CLIENT KILL,
/// and CLIENT LIST ID answers in argument order, repeats included.
#[test]
fn client_types_and_list_by_id() {
    let s = start_miniredis(&[]);
    let mut sub = s.raw();
    let mut admin = s.raw();
    sub.send_cmd(&[b"SUBSCRIBE", b"ch"]);
    sub.read_reply();
    let pubsub = String::from_utf8(admin.cmd(&[b"CLIENT", b"LIST", b"TYPE", b"pubsub"])).unwrap();
    assert_eq!(pubsub.matches("id=").count(), 1, "{pubsub}");
    assert!(pubsub.contains("flags=P "), "{pubsub}");
    let normal = String::from_utf8(admin.cmd(&[b"CLIENT", b"LIST", b"TYPE", b"normal"])).unwrap();
    assert_eq!(normal.matches("id=").count(), 1, "{normal}");
    let me = String::from_utf8(admin.cmd(&[b"CLIENT", b"ID"])).unwrap();
    let me = me.trim_start_matches(':').trim_end().to_string();
    let list = String::from_utf8(admin.cmd(&[
        b"CLIENT",
        b"LIST",
        b"ID",
        me.as_bytes(),
        b"0",
        me.as_bytes(),
    ]))
    .unwrap();
    assert_eq!(list.matches(&format!("id={me} ")).count(), 2, "{list}");
    assert_eq!(
        admin.cmd(&[b"CLIENT", b"KILL", b"TYPE", b"normal"]),
        b":0\r\n"
    );
    assert_eq!(
        admin.cmd(&[b"CLIENT", b"KILL", b"TYPE", b"pubsub"]),
        b":1\r\n"
    );
    assert!(sub.closed(), "the subscriber was killed");
}

/// CLIENT LIST's flags, multi= and cmd= follow Redis 7.0: `d` once a
/// watched key is touched (and a doomed transaction queues nothing), `e`
/// for NO-EVICT, `O` for a monitor, cmd= from the command's lookup.
#[test]
fn client_list_flags_multi_and_cmd() {
    let s = start_miniredis(&[]);
    let mut a = s.raw();
    let mut b = s.raw();
    let info =
        |r: &mut crate::common::Raw| String::from_utf8(r.cmd(&[b"CLIENT", b"INFO"])).unwrap();
    assert_eq!(a.cmd(&[b"WATCH", b"w"]), b"+OK\r\n");
    assert_eq!(b.cmd(&[b"SET", b"w", b"1"]), b"+OK\r\n");
    assert!(info(&mut a).contains(" flags=d "), "{}", info(&mut a));
    assert_eq!(a.cmd(&[b"MULTI"]), b"+OK\r\n");
    assert_eq!(a.cmd(&[b"GET", b"w"]), b"+QUEUED\r\n");
    let list = String::from_utf8(b.cmd(&[b"CLIENT", b"LIST"])).unwrap();
    assert!(
        list.contains(" flags=xd ") && list.contains(" multi=0 ") && list.contains(" cmd=get "),
        "{list}"
    );
    assert_eq!(a.cmd(&[b"EXEC"]), b"*-1\r\n");
    assert_eq!(
        a.cmd(&[b"GET"]),
        b"-ERR wrong number of arguments for 'get' command\r\n"
    );
    let list = String::from_utf8(b.cmd(&[b"CLIENT", b"LIST"])).unwrap();
    assert!(list.contains(" cmd=get "), "{list}");
    a.cmd(&[b"NOSUCH"]);
    let list = String::from_utf8(b.cmd(&[b"CLIENT", b"LIST"])).unwrap();
    assert!(list.contains(" cmd=NULL "), "{list}");
    assert_eq!(a.cmd(&[b"CLIENT", b"NO-EVICT", b"on"]), b"+OK\r\n");
    assert!(info(&mut a).contains(" flags=e "));
    // Inside EXEC the client is still in MULTI, with its queue's length.
    assert_eq!(b.cmd(&[b"MULTI"]), b"+OK\r\n");
    b.cmd(&[b"CLIENT", b"INFO"]);
    let exec = String::from_utf8(b.cmd(&[b"EXEC"])).unwrap();
    assert!(
        exec.contains(" flags=x ") && exec.contains(" multi=1 ") && exec.contains(" cmd=exec "),
        "{exec}"
    );
    let mut m = s.raw();
    assert_eq!(m.cmd(&[b"MONITOR"]), b"+OK\r\n");
    let list = String::from_utf8(b.cmd(&[b"CLIENT", b"LIST"])).unwrap();
    assert!(list.contains(" flags=O "), "{list}");
}

/// CLIENT INFO/LIST count the running command's own bytes in qbuf (and a
/// pipelined command before it), as Redis, which trims its query buffer
/// only after the batch: 26 for CLIENT INFO as multibulk, 40 after a PING
/// in the same read, 13 inline.
#[test]
fn qbuf_counts_the_running_batch() {
    let s = crate::common::start_miniredis(&[]);
    for (payload, want) in [
        (&b"*2\r\n$6\r\nCLIENT\r\n$4\r\nINFO\r\n"[..], "qbuf=26 "),
        (
            &b"*1\r\n$4\r\nPING\r\n*2\r\n$6\r\nCLIENT\r\n$4\r\nINFO\r\n"[..],
            "qbuf=40 ",
        ),
        (&b"CLIENT INFO\r\n"[..], "qbuf=13 "),
    ] {
        let mut r = s.raw();
        r.send(payload);
        let mut reply = r.read_reply();
        if reply == b"+PONG\r\n" {
            reply = r.read_reply();
        }
        let text = String::from_utf8_lossy(&reply);
        assert!(text.contains(want), "{want} in {text}");
    }
}

/// INFO's connected_clients counts every connection, the asking one
/// included, and follows disconnects (a counter, not a scan).
#[test]
fn connected_clients_follows_connects_and_disconnects() {
    let s = crate::common::start_miniredis(&[]);
    let mut r = s.raw();
    let count = |r: &mut crate::common::Raw| -> String {
        let info = String::from_utf8(r.cmd(&[b"INFO", b"clients"])).unwrap();
        info.lines()
            .find_map(|l| l.strip_prefix("connected_clients:").map(str::to_string))
            .unwrap()
    };
    assert_eq!(count(&mut r), "1");
    let mut others: Vec<_> = (0..3).map(|_| s.raw()).collect();
    for o in others.iter_mut() {
        assert_eq!(o.q("PING"), "+PONG\r\n");
    }
    assert_eq!(count(&mut r), "4");
    others.truncate(1);
    assert!(crate::common::wait_for(Duration::from_secs(5), || count(
        &mut r
    ) == "2"));
}

/// CLIENT REPLY ON after a SKIP answers its own OK (Redis clears the skip
/// for the running command), and CONFIG SET port to the port in use is OK.
#[test]
fn reply_on_after_skip_and_config_set_same_port() {
    let s = crate::common::start_miniredis(&[]);
    let mut r = s.raw();
    r.send(b"CLIENT REPLY SKIP\r\nCLIENT REPLY ON\r\nPING\r\n");
    assert_eq!(r.read_reply(), b"+OK\r\n");
    assert_eq!(r.read_reply(), b"+PONG\r\n");
    let port = s.port.to_string();
    assert_eq!(
        r.cmd(&[b"CONFIG", b"GET", b"port"]),
        format!("*2\r\n$4\r\nport\r\n${}\r\n{port}\r\n", port.len()).into_bytes()
    );
    assert_eq!(
        r.cmd(&[b"CONFIG", b"SET", b"port", port.as_bytes()]),
        b"+OK\r\n"
    );
}

/// A script's failing or refused calls count where Redis counts them: the
/// refused command as rejected, the failed one as failed, the error once
/// in errorstats, and the script as failed only when its reply is an error.
#[test]
fn script_errors_count_once_and_in_the_right_command() {
    let s = start_miniredis(&[]);
    let mut r = s.raw();
    let stat = |r: &mut Raw, section: &str, prefix: &str| -> String {
        let info = String::from_utf8(r.cmd(&[b"INFO", section.as_bytes()])).unwrap();
        info.lines()
            .find(|l| l.starts_with(prefix))
            .map(|l| l.to_string())
            .unwrap_or_default()
    };
    r.q("CONFIG RESETSTAT");
    let err = r.cmd(&[b"EVAL", b"return redis.call('select',99)", b"0"]);
    assert!(err.starts_with(b"-ERR DB index is out of range"));
    assert_eq!(
        stat(&mut r, "errorstats", "errorstat_ERR"),
        "errorstat_ERR:count=1"
    );
    assert!(
        stat(&mut r, "commandstats", "cmdstat_select:")
            .ends_with("rejected_calls=0,failed_calls=1")
    );
    assert!(
        stat(&mut r, "commandstats", "cmdstat_eval:").ends_with("rejected_calls=0,failed_calls=1")
    );
    // Caught with pcall: the script itself succeeds.
    r.q("CONFIG RESETSTAT");
    let ok = r.cmd(&[
        b"EVAL",
        b"local t = redis.pcall('select',99) return 1",
        b"0",
    ]);
    assert_eq!(ok, b":1\r\n");
    assert!(
        stat(&mut r, "commandstats", "cmdstat_eval:").ends_with("rejected_calls=0,failed_calls=0")
    );
    // Refused by a read-only script: rejected, not failed.
    r.q("CONFIG RESETSTAT");
    let err = r.cmd(&[b"EVAL_RO", b"return redis.call('set','x','y')", b"1", b"x"]);
    assert!(err.starts_with(b"-ERR Write commands are not allowed from read-only scripts"));
    assert!(
        stat(&mut r, "commandstats", "cmdstat_set:").ends_with("rejected_calls=1,failed_calls=0")
    );
    assert!(
        stat(&mut r, "commandstats", "cmdstat_eval_ro:")
            .ends_with("rejected_calls=0,failed_calls=1")
    );
    assert_eq!(
        stat(&mut r, "stats", "total_error_replies"),
        "total_error_replies:1"
    );
}

/// DEBUG is a protected command: refused by default with Redis's text,
/// allowed from this machine under `local`, and the setting cannot change
/// at run time.
#[test]
fn debug_command_is_protected() {
    let s = start_miniredis(&["--enable-debug-command", "no"]);
    let mut r = s.raw();
    assert_eq!(
        r.q("DEBUG SLEEP 0"),
        "-ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.\r\n"
    );
    assert_eq!(
        r.q("CONFIG GET enable-debug-command"),
        "*2\r\n$20\r\nenable-debug-command\r\n$2\r\nno\r\n"
    );
    assert!(
        r.q("CONFIG SET enable-debug-command yes")
            .starts_with("-ERR CONFIG SET failed")
    );
    let s = start_miniredis(&["--enable-debug-command", "local"]);
    let mut r = s.raw();
    assert_eq!(r.q("DEBUG SLEEP 0"), "+OK\r\n");
}

/// DEBUG SET-SKIP-CHECKSUM-VALIDATION: a payload whose CRC64 is wrong is
/// refused, then restored while checks are off (the version still counts).
#[test]
fn debug_can_skip_dump_checksums() {
    let s = start_miniredis(&[]);
    let mut r = s.raw();
    r.cmd(&[b"SET", b"k", b"hello"]);
    let dump = r.cmd(&[b"DUMP", b"k"]);
    // "$<len>\r\n<payload>\r\n": corrupt the payload's last CRC byte.
    let start = dump.iter().position(|&b| b == b'\n').unwrap() + 1;
    let mut payload = dump[start..dump.len() - 2].to_vec();
    let last = payload.len() - 1;
    payload[last] ^= 0xff;
    let bad = b"-ERR DUMP payload version or checksum are wrong\r\n";
    assert_eq!(r.cmd(&[b"RESTORE", b"k2", b"0", &payload]), bad);
    assert_eq!(
        r.cmd(&[b"DEBUG", b"SET-SKIP-CHECKSUM-VALIDATION", b"1"]),
        b"+OK\r\n"
    );
    assert_eq!(r.cmd(&[b"RESTORE", b"k2", b"0", &payload]), b"+OK\r\n");
    assert_eq!(r.cmd(&[b"GET", b"k2"]), b"$5\r\nhello\r\n");
    assert_eq!(
        r.cmd(&[b"DEBUG", b"SET-SKIP-CHECKSUM-VALIDATION", b"0"]),
        b"+OK\r\n"
    );
    assert_eq!(r.cmd(&[b"RESTORE", b"k3", b"0", &payload]), bad);
}

/// server_cpulist places the loop thread as taskset would; the CPU lists
/// read back with CONFIG GET and, as in Redis, cannot change at runtime.
#[cfg(target_os = "linux")]
#[test]
fn server_cpulist_pins_the_loop_thread() {
    let s = start_miniredis(&["--server_cpulist", "0", "--bgsave_cpulist", "0-0:1"]);
    let mut r = s.raw();
    // Set just before the loop starts: a reply means it has run.
    assert_eq!(r.q("PING"), "+PONG\r\n");
    let pid = s.child.id();
    let status = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/status")).unwrap();
    let cpus = status
        .lines()
        .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
        .map(str::trim);
    assert_eq!(cpus, Some("0"), "{status}");
    assert_eq!(
        r.q("CONFIG GET bgsave_cpulist"),
        "*2\r\n$14\r\nbgsave_cpulist\r\n$5\r\n0-0:1\r\n"
    );
    assert_eq!(
        r.q("CONFIG SET server_cpulist 1"),
        "-ERR CONFIG SET failed (possibly related to argument 'server_cpulist') - can't set immutable config\r\n"
    );
    // The snapshot writer takes bgsave_cpulist and the save completes.
    assert_eq!(r.q("SET k v"), "+OK\r\n");
    assert!(r.q("BGSAVE").starts_with("+Background saving started"));
}

/// CONFIG SET port: a port in use is refused with Redis's words and every
/// parameter of the call rolled back; a free one is listened on at once
/// and the old one no longer.
#[test]
fn config_set_port_moves_the_listener_or_rolls_back() {
    let s = start_miniredis(&[]);
    let mut r = s.raw();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let used = taken.local_addr().unwrap().port();
    assert_eq!(
        r.q(&format!(
            "CONFIG SET maxmemory 10000001 port {used} client-query-buffer-limit 10m"
        )),
        "-ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port\r\n"
    );
    assert_eq!(
        r.q("CONFIG GET maxmemory"),
        "*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n"
    );
    assert_eq!(s.raw().q("PING"), "+PONG\r\n");
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    assert_eq!(r.q(&format!("CONFIG SET port {free}")), "+OK\r\n");
    // The connection that asked stays; new ones go to the new port.
    assert_eq!(
        r.q("CONFIG GET port"),
        format!(
            "*2\r\n$4\r\nport\r\n${}\r\n{free}\r\n",
            free.to_string().len()
        )
    );
    assert_eq!(Raw::connect(free).q("PING"), "+PONG\r\n");
    assert!(std::net::TcpStream::connect(("127.0.0.1", s.port)).is_err());
}
