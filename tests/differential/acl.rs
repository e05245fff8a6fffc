//! ACL against redis-server 7.0.15: every rule form through SETUSER,
//! GETUSER and LIST; the rule errors; DRYRUN; AUTH and HELLO AUTH with
//! users; NOPERM for commands, keys and channels at top level, in MULTI,
//! at EXEC after the rules changed, and in scripts; ACL LOG's entries.
//!
//! Lines starting with `≋` compare each string's words as a multiset:
//! Redis lists single-command rules in its command dict's random order.

use super::{Cmp, Pair, elements, run_lines, split_line};

const RULES: &str = r##"
ACL SETUSER plain
≋ACL GETUSER plain
≋ACL LIST
ACL SETUSER alice on >secret ~cached:* &news:* +get +set
≋ACL GETUSER alice
ACL SETUSER bob on nopass +@all -@dangerous ~* allchannels
≋ACL GETUSER bob
ACL SETUSER carol on #0b14d501a594442a01c6859541bcb3e8164d183d32937b851835442f69d5c94e %R~read:* %W~write:* %RW~both:*
≋ACL GETUSER carol
ACL SETUSER dave on nopass -@all +@read -@slow +config|get +client|id
≋ACL GETUSER dave
ACL SETUSER erin on nopass +@all -@write +set
≋ACL GETUSER erin
ACL SETUSER frank on nopass -@all +@hash -hgetall
≋ACL GETUSER frank
ACL SETUSER grace on nopass allcommands allkeys resetchannels &a &b &a
≋ACL GETUSER grace
ACL SETUSER heidi on nopass nocommands +select|0 +select|1 ~x
≋ACL GETUSER heidi
ACL SETUSER ivan on nopass +get (+set ~w:*) (+del ~d:* &c)
≋ACL GETUSER ivan
ACL SETUSER judy on nopass "(+get" "~j:*)" skip-sanitize-payload
≋ACL GETUSER judy
ACL SETUSER judy clearselectors sanitize-payload
≋ACL GETUSER judy
ACL SETUSER ken on >a >b >a <b
≋ACL GETUSER ken
ACL SETUSER ken resetpass nopass
≋ACL GETUSER ken
ACL SETUSER ken reset
≋ACL GETUSER ken
ACL SETUSER ken on nopass +@all -@dangerous -@admin +debug
≋ACL GETUSER ken
ACL SETUSER leo on nopass +@all -@list -@fast
≋ACL GETUSER leo
ACL SETUSER mia on nopass -@all +@admin -@dangerous
≋ACL GETUSER mia
ACL SETUSER ned ~a* ~a* %R~b* %W~b* resetkeys ~c
≋ACL GETUSER ned
≋ACL LIST
ACL USERS
≋ACL GETUSER nosuch
ACL DELUSER plain nosuch
ACL DELUSER default
ACL USERS
ACL SETUSER "sp ace"
ACL SETUSER err +nosuch
ACL SETUSER err +@nosuch
ACL SETUSER err bogus
ACL SETUSER err ~* ~more
ACL SETUSER err &* &more
ACL SETUSER err #abc
ACL SETUSER err !abc
ACL SETUSER err <notthere
ACL SETUSER err +get|
ACL SETUSER err +config|get|x
ACL SETUSER err -get|x
ACL SETUSER err +config|nosuch
ACL SETUSER err %X~a
ACL SETUSER err "~a b"
ACL SETUSER err (+get ~x
ACL SETUSER err "(on)"
ACL SETUSER err on +get +nosuch
≋ACL GETUSER err
ACL CAT nosuch
ACL CAT
~ACL CAT geo
~ACL CAT transaction
ACL DRYRUN alice get cached:1
ACL DRYRUN alice get other
ACL DRYRUN alice del cached:1
ACL DRYRUN alice set cached:1 v
ACL DRYRUN carol get read:1
ACL DRYRUN carol set read:1 v
ACL DRYRUN carol set write:1 v
ACL DRYRUN carol get write:1
ACL DRYRUN carol copy read:1 write:1
ACL DRYRUN carol copy write:1 read:1
ACL DRYRUN grace publish a x
ACL DRYRUN grace publish c x
ACL DRYRUN grace subscribe a b
ACL DRYRUN grace subscribe a z
ACL DRYRUN heidi select 0
ACL DRYRUN heidi select 2
ACL DRYRUN ivan set w:1 v
ACL DRYRUN ivan set x v
ACL DRYRUN ivan del d:1
ACL DRYRUN ivan publish c x
ACL SETUSER atoi on nopass +@all ~a*
ACL DRYRUN atoi eval "return 1" 1x b
ACL DRYRUN atoi eval "return 1" " 1" a1
ACL DRYRUN atoi zunionstore a "01" b
ACL DRYRUN atoi lmpop 1z b left
ACL DRYRUN atoi lmpop x b left
ACL DELUSER atoi
ACL DRYRUN nosuch get x
ACL DRYRUN alice nosuch x
ACL DRYRUN alice get
ACL DRYRUN alice config nosuch
ACL WHOAMI
ACL GENPASS 0
ACL GENPASS 4097
ACL GENPASS x
ACL LOG x
ACL LOG RESET
ACL NOSUCH
ACL SETUSER nul "on\0x" "+get\0junk" "+select|0\0z"
≋ACL GETUSER nul
ACL SETUSER nul "~k\0"
ACL DELUSER "default\0x"
ACL DELUSER nul
ACL DELUSER alice bob carol dave erin frank grace heidi ivan judy ken leo mia ned
ACL USERS
"##;

#[test]
fn setuser_getuser_list_and_errors() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(&mut p, RULES);
}

const AS_USER: &str = r##"
FLUSHALL
ACL LOG RESET
ACL SETUSER limited on >pw ~k:* &ch:* +get +set +multi +exec +discard +publish +subscribe +psubscribe +eval +acl|whoami +auth +ping
AUTH limited wrong
AUTH nosuch pw
AUTH limited pw
ACL WHOAMI
GET k:1
SET k:1 v
GET other
SET other v
DEL k:1
PUBLISH ch:1 m
PUBLISH other m
CONFIG GET maxmemory
MULTI
SET k:2 v
DEL k:2
SET other v
EXEC
EVAL "return redis.call('get', 'k:1')" 0
EVAL "return redis.call('del', 'k:1')" 0
EVAL "return redis.pcall('get', 'other')" 0
EVAL "return redis.call('get', 'other')" 0
AUTH default anything
ACL WHOAMI
ACL SETUSER off off >pw +@all
AUTH off pw
HELLO 2 AUTH off pw
HELLO 2 AUTH limited wrong
ACL SETUSER nopw on nopass +@all
AUTH nopw whatever
ACL WHOAMI
RESET
ACL WHOAMI
AUTH anything
CONFIG SET requirepass sesame
AUTH wrong
AUTH sesame
≋ACL GETUSER default
CONFIG SET requirepass ""
≋ACL GETUSER default
ACL DELUSER limited off nopw
ACL SETUSER sorter on nopass +sort +rpush ~s:*
AUTH sorter x
RPUSH s:l 3 1 2
SORT s:l
SORT s:l BY nosort
SORT s:l BY w_*
SORT s:l GET #
SORT s:l GET o_*
AUTH default x
ACL SETUSER sorter %R~*
AUTH sorter x
SORT s:l BY w_* GET #
AUTH default x
DEL s:l
ACL DELUSER sorter
"##;

#[test]
fn commands_as_a_restricted_user() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(&mut p, AS_USER);
    // The log, newest first: everything but the age and the client.
    check_log(&mut p);
}

/// ACL LOG's entries compared field by field, less age-seconds and
/// client-info (which name the connection).
fn check_log(p: &mut Pair) {
    let args = split_line("ACL LOG 100");
    let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
    let ours = p.a.cmd(&refs);
    let theirs = p.b.cmd(&refs);
    let strip = |reply: &[u8]| -> Vec<Vec<u8>> {
        let entries = elements(reply).expect("ACL LOG answers an array");
        entries
            .into_iter()
            .map(|e| {
                let fields = elements(e).expect("each entry is a field list");
                assert_eq!(fields.len(), 14, "seven fields per entry");
                let mut kept = Vec::new();
                for pair in fields.chunks(2) {
                    if pair[0] == b"$11\r\nage-seconds\r\n" || pair[0] == b"$11\r\nclient-info\r\n"
                    {
                        continue;
                    }
                    kept.extend_from_slice(pair[0]);
                    kept.extend_from_slice(pair[1]);
                }
                kept
            })
            .collect()
    };
    let (o, t) = (strip(&ours), strip(&theirs));
    assert!(!t.is_empty(), "Redis logged the denials");
    assert_eq!(
        o.iter().map(|e| super::show(e)).collect::<Vec<_>>(),
        t.iter().map(|e| super::show(e)).collect::<Vec<_>>()
    );
}

/// HELLO applies its options in order: an AUTH before a failing option
/// stays done.
const HELLO: &str = r##"
ACL SETUSER h on >pw +@all ~*
HELLO 2 AUTH h pw AUTH h wrong
ACL WHOAMI
HELLO 2 AUTH default x BOGUS
ACL WHOAMI
?HELLO 2 SETNAME auth AUTH h pw
ACL WHOAMI
CLIENT GETNAME
RESET
ACL WHOAMI
AUTH default x
ACL SETUSER m1 "(+get" "(~x" "+set)"
≋ACL GETUSER m1
ACL DELUSER h m1
"##;

#[test]
fn hello_options_apply_in_order() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(&mut p, HELLO);
}

#[test]
fn exec_rechecks_rules_changed_after_queueing() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(
        &mut p,
        "ACL SETUSER q on >pw ~* +@all\nAUTH q pw\nMULTI\nSET a 1\nGET a\nINCR a",
    );
    let (mut oa, mut ob) = p.connect_more();
    for raw in [&mut oa, &mut ob] {
        let r = raw.cmd(&[b"ACL", b"SETUSER", b"q", b"-incr"]);
        assert_eq!(r, b"+OK\r\n");
    }
    run_lines(&mut p, "EXEC\nAUTH default x\nACL DELUSER q");
    p.check(&split_line("ACL LOG 1"), Cmp::SameType);
}

/// A connection to `port` from 127.0.0.2: not the loopback address Redis
/// trusts (exactly 127.0.0.1 or ::1). Returns everything the server sent
/// after `PING` until it closed or went quiet.
fn ping_from_elsewhere(port: u16) -> Vec<u8> {
    use socket2::{Domain, Socket, Type};
    use std::io::{Read, Write};
    let sock = Socket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
    let from: std::net::SocketAddr = "127.0.0.2:0".parse().unwrap();
    sock.bind(&from.into()).expect("bind 127.0.0.2");
    let to: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    sock.connect(&to.into()).expect("connect");
    let mut stream: std::net::TcpStream = sock.into();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    let _ = stream.write_all(b"PING\r\n");
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                out.extend_from_slice(&buf[..n]);
                if out.ends_with(b"\r\n") && !out.starts_with(b"-DENIED") {
                    break;
                }
            }
        }
    }
    out
}

#[test]
fn protected_mode_refuses_other_addresses() {
    let Some(mut p) = Pair::start() else { return };
    let (ours, theirs) = (p._ours.port, p._theirs.port);
    run_lines(&mut p, "CONFIG SET protected-mode yes");
    let (o, t) = (ping_from_elsewhere(ours), ping_from_elsewhere(theirs));
    assert!(t.starts_with(b"-DENIED Redis is running in protected mode"));
    assert_eq!(super::show(&o), super::show(&t));
    // A password on the default user lifts it: AUTH is asked for instead.
    run_lines(&mut p, "CONFIG SET requirepass pw");
    let (o, t) = (ping_from_elsewhere(ours), ping_from_elsewhere(theirs));
    assert_eq!(t, b"-NOAUTH Authentication required.\r\n");
    assert_eq!(o, t);
    run_lines(
        &mut p,
        "CONFIG SET requirepass \"\"\nCONFIG SET protected-mode no",
    );
    let (o, t) = (ping_from_elsewhere(ours), ping_from_elsewhere(theirs));
    assert_eq!(t, b"+PONG\r\n");
    assert_eq!(o, t);
}

/// maxmemory-clients's values and errors.
const MAXMEMORY_CLIENTS: &str = r##"
CONFIG GET maxmemory-clients
CONFIG SET maxmemory-clients 10%
CONFIG GET maxmemory-clients
CONFIG SET maxmemory-clients 100%
CONFIG SET maxmemory-clients 101%
CONFIG SET maxmemory-clients -1
CONFIG SET maxmemory-clients abc
CONFIG SET maxmemory-clients 1mb
CONFIG GET maxmemory-clients
CONFIG SET maxmemory-clients 0
CONFIG GET maxmemory-clients
"##;

#[test]
fn maxmemory_clients_values() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(&mut p, MAXMEMORY_CLIENTS);
}

/// A connection past maxclients gets Redis's error and is closed.
#[test]
fn max_clients_reached() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(&mut p, "CONFIG SET maxclients 1");
    let replies: Vec<Vec<u8>> = [p._ours.port, p._theirs.port]
        .iter()
        .map(|&port| {
            use std::io::{Read, Write};
            let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
            s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
                .unwrap();
            let _ = s.write_all(b"PING\r\n");
            let mut out = Vec::new();
            let _ = s.read_to_end(&mut out);
            out
        })
        .collect();
    assert_eq!(replies[1], b"-ERR max number of clients reached\r\n");
    assert_eq!(super::show(&replies[0]), super::show(&replies[1]));
    run_lines(&mut p, "CONFIG SET maxclients 10000\nPING");
}
