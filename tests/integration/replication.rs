//! Replication's protocol seen from a raw replica socket, and a miniredis
//! replica of a miniredis master. (Replication with real redis-server, both
//! ways, and Sentinel are `make test-replication`.)

use crate::common::{Raw, start_miniredis, wait_for};
use std::io::Read;
use std::time::Duration;

/// Read bytes until `pred` holds for what was read (bounded).
fn read_until(r: &mut Raw, pred: impl Fn(&[u8]) -> bool) -> Vec<u8> {
    let mut got = std::mem::take(&mut r.buf);
    let mut tmp = [0u8; 65536];
    r.sock
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    while !pred(&got) {
        let n = match r.sock.read(&mut tmp) {
            Ok(n) => n,
            Err(e) => panic!(
                "read: {e}; got {} bytes: {:?}",
                got.len(),
                String::from_utf8_lossy(&got[got.len().saturating_sub(300)..])
            ),
        };
        assert!(n > 0, "closed; got {:?}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&tmp[..n]);
    }
    got
}

fn info_field(r: &mut Raw, section: &str, field: &str) -> String {
    let info = String::from_utf8_lossy(&r.cmd(&[b"INFO", section.as_bytes()])).into_owned();
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or("")
        .to_string()
}

/// Handshake as a Redis 7.0 replica and get a diskless full sync: returns
/// the raw socket, the replication ID and the offset after the RDB.
fn full_sync(port_of_master: &crate::common::Proc) -> (Raw, String, u64) {
    let mut rep = port_of_master.raw();
    assert_eq!(rep.q("REPLCONF listening-port 4321"), "+OK\r\n");
    assert_eq!(rep.q("REPLCONF capa eof capa psync2"), "+OK\r\n");
    rep.send_cmd(&[b"PSYNC", b"?", b"-1"]);
    let head = read_until(&mut rep, |b| b.windows(2).any(|w| w == b"\r\n"));
    let nl = head.windows(2).position(|w| w == b"\r\n").unwrap();
    let line = String::from_utf8_lossy(&head[..nl]).into_owned();
    let words: Vec<&str> = line.split(' ').collect();
    assert_eq!(words[0], "+FULLRESYNC", "{line}");
    assert_eq!(words[1].len(), 40);
    let offset: u64 = words[2].parse().unwrap();
    rep.buf = head[nl + 2..].to_vec();
    // `$EOF:<mark>`, the RDB, the mark again.
    let all = read_until(&mut rep, |b| {
        b.len() > 47 && b.starts_with(b"$EOF:") && b[b.len() - 40..] == b[5..45]
    });
    assert!(all[47..].starts_with(b"REDIS0010"), "an RDB of version 10");
    (rep, words[1].to_string(), offset)
}

#[test]
fn a_replica_gets_the_rdb_then_the_stream_after_its_first_ack() {
    let s = start_miniredis(&["--repl-diskless-sync-delay", "0"]);
    let mut c = s.raw();
    c.q("SET a 1");
    let (mut rep, replid, offset) = full_sync(&s);
    c.q("SET b 2");
    // The stream starts with the replica's first ACK: SELECT, then SET.
    rep.send_cmd(&[b"REPLCONF", b"ACK", offset.to_string().as_bytes()]);
    let want = b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n";
    let got = read_until(&mut rep, |b| b.len() >= want.len());
    assert_eq!(&got[..want.len()], want);
    assert_eq!(info_field(&mut c, "replication", "connected_slaves"), "1");
    assert!(
        info_field(&mut c, "replication", "slave0")
            .starts_with("ip=127.0.0.1,port=4321,state=online"),
    );
    let end = offset + want.len() as u64;
    assert_eq!(
        info_field(&mut c, "replication", "master_repl_offset"),
        end.to_string()
    );
    assert_eq!(info_field(&mut c, "replication", "master_replid"), replid);
    // ROLE: master, its offset, [ip, port, acknowledged offset] per replica.
    let role = String::from_utf8_lossy(&c.cmd(&[b"ROLE"])).into_owned();
    assert!(
        role.starts_with(&format!(
            "*3\r\n$6\r\nmaster\r\n:{end}\r\n*1\r\n*3\r\n$9\r\n127.0.0.1\r\n$4\r\n4321\r\n"
        )),
        "{role}"
    );
    // Reconnecting at our offset continues from the backlog.
    drop(rep);
    assert!(wait_for(Duration::from_secs(5), || {
        info_field(&mut c, "replication", "connected_slaves") == "0"
    }));
    c.q("SET c 3");
    let mut again = s.raw();
    assert_eq!(again.q("REPLCONF capa psync2"), "+OK\r\n");
    again.send_cmd(&[
        b"PSYNC",
        replid.as_bytes(),
        (offset + 1).to_string().as_bytes(),
    ]);
    let got = read_until(&mut again, |b| {
        b.windows(14).any(|w| w == b"$1\r\nc\r\n$1\r\n3\r\n")
    });
    let text = String::from_utf8_lossy(&got);
    assert!(
        text.starts_with(&format!("+CONTINUE {replid}\r\n*2\r\n$6\r\nSELECT")),
        "{text}"
    );
    assert_eq!(info_field(&mut c, "stats", "sync_partial_ok"), "1");
    assert_eq!(info_field(&mut c, "stats", "sync_full"), "1");
}

#[test]
fn a_replica_past_its_output_limit_is_dropped() {
    let s = start_miniredis(&["--repl-diskless-sync-delay", "0"]);
    let mut c = s.raw();
    c.cmd(&[
        b"CONFIG",
        b"SET",
        b"client-output-buffer-limit",
        b"replica 1mb 0 0",
    ]);
    // Never ACKs: the stream is held for it, and counts.
    let (mut rep, _, _) = full_sync(&s);
    let big = vec![b'x'; 100_000];
    for i in 0..15 {
        c.cmd(&[b"SET", format!("k{i}").as_bytes(), &big]);
    }
    assert!(wait_for(Duration::from_secs(5), || {
        info_field(&mut c, "replication", "connected_slaves") == "0"
    }));
    rep.sock
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    assert!(rep.closed(), "the replica's connection is closed");
}

#[test]
fn wait_and_min_replicas_without_replicas() {
    let s = start_miniredis(&[]);
    let mut c = s.raw();
    assert_eq!(c.q("WAIT 0 0"), ":0\r\n");
    assert_eq!(c.q("WAIT 1 20"), ":0\r\n");
    assert_eq!(c.q("WAIT 1 -1"), "-ERR timeout is negative\r\n");
    assert_eq!(
        c.q("WAIT 1 x"),
        "-ERR timeout is not an integer or out of range\r\n"
    );
    c.q("CONFIG SET min-replicas-to-write 1");
    assert_eq!(
        c.q("SET k v"),
        "-NOREPLICAS Not enough good replicas to write.\r\n"
    );
    assert_eq!(c.q("GET k"), "$-1\r\n");
    assert_eq!(c.q("ROLE"), "*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n");
}

/// PUBLISH and SPUBLISH reach the replicas (Redis's PROPAGATE_REPL), alone
/// or inside MULTI, so a replica's subscribers hear the master's messages;
/// they never reach the AOF.
#[test]
fn published_messages_reach_a_replicas_subscribers_and_not_the_aof() {
    let dir = std::env::temp_dir().join(format!("miniredis-publish-repl-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let d = dir.to_str().unwrap();
    let m = start_miniredis(&[
        "--repl-diskless-sync-delay",
        "0",
        "--appendonly",
        "yes",
        "--dir",
        d,
    ]);
    let mut mc = m.raw();
    let port = m.port.to_string();
    let r = start_miniredis(&["--replicaof", &format!("127.0.0.1 {port}")]);
    let mut rc = r.raw();
    assert!(wait_for(Duration::from_secs(10), || {
        info_field(&mut rc, "replication", "master_link_status") == "up"
    }));
    let mut sub = r.raw();
    sub.send_cmd(&[b"SUBSCRIBE", b"news"]);
    read_until(&mut sub, |b| b.ends_with(b":1\r\n"));
    sub.send_cmd(&[b"SSUBSCRIBE", b"shard"]);
    read_until(&mut sub, |b| b.ends_with(b":1\r\n"));
    // The replica's subscribers are not the master's: 0 receivers there.
    assert_eq!(mc.q("PUBLISH news one"), ":0\r\n");
    let got = read_until(&mut sub, |b| b.ends_with(b"$3\r\none\r\n"));
    assert!(
        got.ends_with(b"*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$3\r\none\r\n"),
        "{}",
        String::from_utf8_lossy(&got)
    );
    mc.q("MULTI");
    mc.q("SET k v");
    mc.q("PUBLISH news two");
    mc.q("SPUBLISH shard three");
    assert_eq!(mc.q("EXEC"), "*3\r\n+OK\r\n:0\r\n:0\r\n");
    let got = read_until(&mut sub, |b| b.ends_with(b"$5\r\nthree\r\n"));
    let text = String::from_utf8_lossy(&got);
    assert!(text.contains("$4\r\nnews\r\n$3\r\ntwo\r\n"), "{text}");
    assert!(
        text.ends_with("*3\r\n$8\r\nsmessage\r\n$5\r\nshard\r\n$5\r\nthree\r\n"),
        "{text}"
    );
    assert_eq!(rc.q("GET k"), "$1\r\nv\r\n");
    // The AOF has the SET, no PUBLISH.
    mc.q("CONFIG SET appendfsync always");
    mc.q("SET flush me");
    let aof: Vec<u8> = std::fs::read_dir(dir.join("appendonlydir"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".incr.aof"))
        .flat_map(|e| std::fs::read(e.path()).unwrap())
        .collect();
    let aof = String::from_utf8_lossy(&aof);
    assert!(aof.contains("$3\r\nSET\r\n$1\r\nk\r\n"), "{aof}");
    assert!(!aof.to_ascii_lowercase().contains("publish"), "{aof}");
}

#[test]
fn a_miniredis_replica_follows_hides_expired_keys_and_refuses_writes() {
    let m = start_miniredis(&["--repl-diskless-sync-delay", "0"]);
    let mut mc = m.raw();
    mc.q("DEBUG SET-ACTIVE-EXPIRE 0");
    mc.q("SET plain v");
    let port = m.port.to_string();
    let r = start_miniredis(&["--replicaof", &format!("127.0.0.1 {port}")]);
    let mut rc = r.raw();
    assert!(wait_for(Duration::from_secs(10), || {
        info_field(&mut rc, "replication", "master_link_status") == "up"
    }));
    assert_eq!(rc.q("GET plain"), "$1\r\nv\r\n");
    mc.q("SET soon v PX 200");
    mc.q("RPUSH l a b c");
    assert!(wait_for(Duration::from_secs(5), || rc.q("LLEN l") == ":3\r\n"));
    // Past its TTL the key reads as gone on the replica, but stays there
    // until the master's DEL (active expiry is off on the master).
    assert!(wait_for(Duration::from_secs(5), || rc.q("GET soon") == "$-1\r\n"));
    assert_eq!(rc.q("DBSIZE"), ":3\r\n");
    assert_eq!(
        rc.q("SET x 1"),
        "-READONLY You can't write against a read only replica.\r\n"
    );
    // The master's lookup deletes it and propagates DEL.
    assert_eq!(mc.q("GET soon"), "$-1\r\n");
    assert!(wait_for(Duration::from_secs(5), || rc.q("DBSIZE") == ":2\r\n"));
    let role = rc.q("ROLE");
    assert!(
        role.starts_with(&format!(
            "*5\r\n$5\r\nslave\r\n$9\r\n127.0.0.1\r\n:{port}\r\n$9\r\nconnected\r\n"
        )),
        "{role}"
    );
    // Promoted: writable, a new ID with the old one kept as replid2.
    let old = info_field(&mut rc, "replication", "master_replid");
    assert_eq!(rc.q("REPLICAOF NO ONE"), "+OK\r\n");
    assert_eq!(info_field(&mut rc, "replication", "master_replid2"), old);
    assert_eq!(rc.q("SET x 1"), "+OK\r\n");
}

#[test]
fn swapdb_loads_on_a_thread_and_swaps_the_masters_data_in() {
    let m = start_miniredis(&["--repl-diskless-sync-delay", "0"]);
    let mut mc = m.raw();
    mc.q("DEBUG POPULATE 20000");
    let r = start_miniredis(&["--repl-diskless-load", "swapdb"]);
    let mut rc = r.raw();
    rc.q("SET mine 1");
    let port = m.port.to_string();
    assert_eq!(
        rc.cmd(&[b"REPLICAOF", b"127.0.0.1", port.as_bytes()]),
        b"+OK\r\n"
    );
    assert!(wait_for(Duration::from_secs(10), || {
        info_field(&mut rc, "replication", "master_link_status") == "up"
    }));
    assert_eq!(rc.q("DBSIZE"), ":20000\r\n");
    assert_eq!(rc.q("EXISTS mine"), ":0\r\n");
    mc.q("SET after 1");
    assert!(wait_for(Duration::from_secs(5), || rc.q("GET after")
        == "$1\r\n1\r\n"));
}
