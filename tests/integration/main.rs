//! Integration tests: the built binary on a free port, driven through the
//! `redis` crate and through raw sockets for protocol edge cases.

#[path = "../common/mod.rs"]
mod common;

mod acl;
mod blocking;
mod cli;
mod clients;
mod eviction;
mod expiry;
mod introspection;
mod lazyfree;
mod migrate;
mod protocol;
mod pubsub;
mod replication;
mod scan;
mod scripting_busy;
mod streams;
mod transactions;
mod zsets_blocking;

use common::start_miniredis;

#[test]
fn redis_crate_client_round_trip() {
    let s = start_miniredis(&[]);
    let mut con = s.client();
    let _: () = redis::cmd("SET")
        .arg("user:1:name")
        .arg("Alice")
        .query(&mut con)
        .unwrap();
    let v: String = redis::cmd("GET")
        .arg("user:1:name")
        .query(&mut con)
        .unwrap();
    assert_eq!(v, "Alice");
    let n: i64 = redis::cmd("INCRBY")
        .arg("counter")
        .arg(41)
        .query(&mut con)
        .unwrap();
    assert_eq!(n, 41);
    let vals: Vec<Option<String>> = redis::cmd("MGET")
        .arg("user:1:name")
        .arg("nosuch")
        .query(&mut con)
        .unwrap();
    assert_eq!(vals, vec![Some("Alice".to_string()), None]);
    let err = redis::cmd("INCR")
        .arg("user:1:name")
        .query::<i64>(&mut con)
        .unwrap_err();
    assert!(err.to_string().contains("not an integer"), "{err}");
    // Pipelined through the client library.
    let (a, b): (String, i64) = redis::pipe()
        .cmd("ECHO")
        .arg("hi")
        .cmd("DBSIZE")
        .query(&mut con)
        .unwrap();
    assert_eq!((a.as_str(), b), ("hi", 2));
}

#[test]
fn hello_3_switches_to_resp3() {
    let s = start_miniredis(&[]);
    let mut r = s.raw();
    let reply = String::from_utf8(r.cmd(&[b"HELLO", b"3"])).unwrap();
    assert!(reply.starts_with("%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n"), "{reply}");
    assert_eq!(r.cmd(&[b"GET", b"nosuch"]), b"_\r\n");
    r.cmd(&[b"SET", b"k", b"v"]);
    let info = r.cmd(&[b"INFO", b"server"]);
    assert!(
        info.starts_with(b"="),
        "INFO is a verbatim string under RESP3"
    );
    assert_eq!(r.cmd(&[b"HELLO", b"2"]).first(), Some(&b'*'));
    assert_eq!(r.cmd(&[b"GET", b"nosuch"]), b"$-1\r\n");
}

#[test]
fn requirepass_gates_every_command_path() {
    let s = start_miniredis(&["--requirepass", "s3cret"]);
    let mut r = s.raw();
    assert_eq!(
        r.cmd(&[b"GET", b"k"]),
        b"-NOAUTH Authentication required.\r\n"
    );
    r.send(b"SET k v\r\n");
    assert_eq!(r.read_reply(), b"-NOAUTH Authentication required.\r\n");
    r.send(b"*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n");
    assert_eq!(r.read_reply(), b"-NOAUTH Authentication required.\r\n");
    assert_eq!(r.read_reply(), b"-NOAUTH Authentication required.\r\n");
    assert_eq!(
        r.cmd(&[b"AUTH", b"wrong"]),
        b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    );
    // As Redis 7.0: arity is checked before authentication, a refused EXEC
    // says EXECABORT, and HELLO names its AUTH option.
    assert_eq!(
        r.cmd(&[b"GET"]),
        b"-ERR wrong number of arguments for 'get' command\r\n"
    );
    assert_eq!(
        r.cmd(&[b"EXEC"]),
        b"-EXECABORT Transaction discarded because of: NOAUTH Authentication required.\r\n"
    );
    assert_eq!(
        r.cmd(&[b"HELLO", b"3"]),
        b"-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n"
    );
    assert_eq!(r.cmd(&[b"AUTH", b"s3cret"]), b"+OK\r\n");
    assert_eq!(r.cmd(&[b"PING"]), b"+PONG\r\n");
}

#[test]
fn reset_turns_client_reply_back_on() {
    let s = start_miniredis(&[]);
    let mut r = s.raw();
    r.send(b"CLIENT REPLY OFF\r\nRESET\r\nPING\r\n");
    assert_eq!(r.read_reply(), b"+RESET\r\n");
    assert_eq!(r.read_reply(), b"+PONG\r\n");
}

#[test]
fn client_list_shows_names_and_kill_closes() {
    let s = start_miniredis(&[]);
    let mut a = s.raw();
    let mut b = s.raw();
    assert_eq!(a.cmd(&[b"CLIENT", b"SETNAME", b"alpha"]), b"+OK\r\n");
    let list = String::from_utf8(b.cmd(&[b"CLIENT", b"LIST"])).unwrap();
    assert!(list.contains(" name=alpha "), "{list}");
    assert_eq!(list.matches("id=").count(), 2, "{list}");
    let id = String::from_utf8(a.cmd(&[b"CLIENT", b"ID"])).unwrap();
    let id = id.trim_start_matches(':').trim_end();
    assert_eq!(
        b.cmd(&[b"CLIENT", b"KILL", b"ID", id.as_bytes()]),
        b":1\r\n"
    );
    assert!(a.closed(), "killed client's connection is closed");
    assert_eq!(b.cmd(&[b"PING"]), b"+PONG\r\n");
}

#[test]
fn info_has_redis_sections_and_real_memory() {
    let s = start_miniredis(&[]);
    let mut r = s.raw();
    let info = String::from_utf8(r.cmd(&[b"INFO"])).unwrap();
    for section in [
        "# Server",
        "# Clients",
        "# Memory",
        "# Persistence",
        "# Stats",
        "# Replication",
        "# CPU",
        "# Keyspace",
    ] {
        assert!(info.contains(section), "missing {section}");
    }
    assert!(info.contains("miniredis_version:1.0.0\r\n"));
    assert!(info.contains("redis_version:7.0.15\r\n"));
    let used = |info: &str| -> u64 {
        info.lines()
            .find_map(|l| l.strip_prefix("used_memory:"))
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    };
    let before = used(&info);
    let big = vec![b'x'; 10_000_000];
    r.cmd(&[b"SET", b"big", &big]);
    let after = used(&String::from_utf8(r.cmd(&[b"INFO", b"memory"])).unwrap());
    assert!(
        after >= before + 10_000_000,
        "used_memory {before} -> {after}"
    );
    r.cmd(&[b"DEL", b"big"]);
    let freed = used(&String::from_utf8(r.cmd(&[b"INFO", b"memory"])).unwrap());
    assert!(freed < after - 9_000_000, "used_memory after DEL {freed}");
    let ks = String::from_utf8(r.cmd(&[b"INFO", b"keyspace"])).unwrap();
    assert_eq!(ks, "$12\r\n# Keyspace\r\n\r\n");
}

#[test]
fn command_docs_has_the_shape_redis_cli_needs() {
    let s = start_miniredis(&[]);
    let mut r = s.raw();
    let docs = String::from_utf8(r.cmd(&[b"COMMAND", b"DOCS", b"get"])).unwrap();
    assert!(
        docs.starts_with("*2\r\n$3\r\nget\r\n*10\r\n$7\r\nsummary\r\n"),
        "{docs}"
    );
    // The argument maps redis-cli's hints read: flags as simple strings.
    assert!(
        docs.contains("$9\r\narguments\r\n*1\r\n*6\r\n$4\r\nname\r\n$3\r\nkey\r\n"),
        "{docs}"
    );
    let count = String::from_utf8(r.cmd(&[b"COMMAND", b"COUNT"])).unwrap();
    let all = r.cmd(&[b"COMMAND"]);
    assert!(all.starts_with(format!("*{}\r\n", &count[1..count.len() - 2]).as_bytes()));
}

#[test]
fn docs_commands_md_lists_every_command() {
    let s = start_miniredis(&[]);
    let mut r = s.raw();
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/COMMANDS.md")).unwrap();
    let list = String::from_utf8(r.cmd(&[b"COMMAND", b"LIST"])).unwrap();
    let names: Vec<&str> = list
        .split("\r\n")
        .filter(|l| !l.is_empty() && !l.starts_with(['*', '$']))
        .collect();
    assert!(names.len() > 60);
    for n in names {
        let row = format!("| {} |", n.replace('|', " ").to_uppercase());
        assert!(doc.contains(&row), "docs/COMMANDS.md lacks {n}");
    }
}
