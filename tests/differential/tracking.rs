//! Client-side caching against redis-server 7.0.15: CLIENT TRACKING's
//! options and errors, CLIENT CACHING / GETREDIR / TRACKINGINFO, and the
//! invalidations themselves, frame by frame: RESP3 pushes to the reader
//! (after its own command's reply), NOLOOP, OPTIN/OPTOUT, BCAST prefixes,
//! RESP2 redirection to a `__redis__:invalidate` subscriber, a broken
//! redirection, FLUSHALL's null, expiry, and EXEC.

use super::common::Raw;
use super::{Cmp, Pair, run_lines, split_line};

const OPTIONS: &str = r#"
CLIENT TRACKING
CLIENT TRACKING maybe
CLIENT TRACKING on foo
CLIENT TRACKING on PREFIX a
CLIENT TRACKING on BCAST OPTIN
CLIENT TRACKING on BCAST OPTOUT
CLIENT TRACKING on OPTIN OPTOUT
CLIENT TRACKING on REDIRECT 999999
CLIENT TRACKING on REDIRECT abc
CLIENT TRACKING on REDIRECT 0
CLIENT TRACKING on REDIRECT
CLIENT TRACKING on BCAST PREFIX ab PREFIX a
CLIENT TRACKING on BCAST PREFIX a PREFIX b
CLIENT TRACKINGINFO
CLIENT TRACKING on BCAST PREFIX abc
CLIENT TRACKING on BCAST PREFIX c
CLIENT TRACKINGINFO
CLIENT TRACKING on
CLIENT GETREDIR
CLIENT TRACKING off
CLIENT TRACKINGINFO
CLIENT GETREDIR
CLIENT CACHING yes
CLIENT TRACKING on OPTIN NOLOOP
CLIENT CACHING no
CLIENT CACHING maybe
CLIENT CACHING yes
CLIENT TRACKINGINFO
CLIENT TRACKINGINFO
CLIENT TRACKING on OPTOUT
CLIENT TRACKING off
CLIENT TRACKING on OPTOUT
CLIENT CACHING yes
CLIENT CACHING no
CLIENT TRACKINGINFO
CLIENT TRACKING off
CLIENT TRACKING on BCAST
CLIENT TRACKING on
CLIENT TRACKING on BCAST PREFIX x
CLIENT TRACKINGINFO
RESET
CLIENT TRACKINGINFO
"#;

#[test]
fn tracking_options_and_errors() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(&mut p, OPTIONS);
    p.check(&split_line("HELLO 3"), Cmp::SameType);
    run_lines(&mut p, OPTIONS);
}

/// The two servers' connections of one role.
struct Conns {
    a: Raw,
    b: Raw,
}

impl Conns {
    fn new(p: &Pair) -> Conns {
        let (a, b) = p.connect_more();
        Conns { a, b }
    }

    /// Send `line` on both and compare the next `frames` frames of each.
    fn check(&mut self, line: &str, frames: usize) {
        let args = split_line(line);
        let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
        self.a.send_cmd(&refs);
        self.b.send_cmd(&refs);
        for i in 0..frames {
            let (x, y) = (self.a.read_reply(), self.b.read_reply());
            assert_eq!(
                String::from_utf8_lossy(&x),
                String::from_utf8_lossy(&y),
                "frame {i} after {line}"
            );
        }
    }

    /// Both servers' connection IDs.
    fn ids(&mut self) -> (String, String) {
        let id = |r: &mut Raw| {
            let v = r.cmd(&[b"CLIENT", b"ID"]);
            String::from_utf8_lossy(&v[1..v.len() - 2]).into_owned()
        };
        (id(&mut self.a), id(&mut self.b))
    }
}

#[test]
fn tracking_resp3_invalidations() {
    let Some(p) = Pair::start() else { return };
    let mut t = Conns::new(&p);
    let mut w = Conns::new(&p);
    t.check("HELLO 3", 0);
    let _ = (t.a.read_reply(), t.b.read_reply());
    t.check("CLIENT TRACKING on", 1);
    w.check("SET a 1", 1);
    t.check("GET a", 1);
    t.check("MGET a b", 1);
    // Our own write: the reply, then the push.
    t.check("SET a 2", 2);
    // Forgotten once invalidated: a second write says nothing.
    t.check("SET a 3", 1);
    t.check("GET a", 1);
    t.check("GET b", 1);
    w.check("SET a 4", 1);
    w.check("DEL b", 1);
    // The other connection's write arrives before the next reply (DEL of
    // a missing key changes nothing).
    t.check("PING", 2);
    t.check("INFO keyspace", 1);
    // Types and commands: HGET, LRANGE, SMEMBERS, ZSCORE, EXISTS, TYPE.
    w.check("HSET h f v", 1);
    w.check("RPUSH l x", 1);
    t.check("HGET h f", 1);
    t.check("LRANGE l 0 -1", 1);
    t.check("EXISTS h l", 1);
    w.check("HDEL h f", 1);
    w.check("LPUSH l y", 1);
    t.check("PING", 3);
    // A write inside EXEC: the invalidation after the EXEC's reply.
    t.check("GET a", 1);
    t.check("MULTI", 1);
    t.check("SET a 5", 1);
    t.check("GET a", 1);
    t.check("EXEC", 2);
    // Expiry invalidates (lazily here, or by the active cycle first).
    t.check("SET e 1 PX 30", 1);
    t.check("GET e", 1);
    for r in [&mut w.a, &mut w.b] {
        while r.cmd(&[b"EXISTS", b"e"]) != b":0\r\n" {
            std::thread::yield_now();
        }
    }
    t.check("PING", 2);
    // FLUSHALL: a null push (after its reply for the flusher itself).
    t.check("GET a", 1);
    w.check("FLUSHALL", 1);
    t.check("PING", 2);
    t.check("FLUSHDB", 2);
    // NOLOOP: our own writes are not announced to us.
    t.check("CLIENT TRACKING on NOLOOP", 1);
    t.check("GET n", 1);
    t.check("SET n 1", 1);
    t.check("GET n", 1);
    w.check("SET n 2", 1);
    t.check("PING", 2);
    t.check("CLIENT TRACKING off", 1);
    // OPTIN: only after CLIENT CACHING yes, for the next command.
    t.check("CLIENT TRACKING on OPTIN", 1);
    t.check("GET o1", 1);
    t.check("CLIENT CACHING yes", 1);
    t.check("GET o2", 1);
    t.check("GET o3", 1);
    w.check("MSET o1 1 o2 2 o3 3", 1);
    t.check("PING", 2);
    t.check("CLIENT TRACKING off", 1);
    // OPTOUT: everything but the command after CLIENT CACHING no.
    t.check("CLIENT TRACKING on OPTOUT", 1);
    t.check("CLIENT CACHING no", 1);
    t.check("GET p1", 1);
    t.check("GET p2", 1);
    w.check("MSET p1 1 p2 2", 1);
    t.check("PING", 2);
    t.check("CLIENT TRACKING off", 1);
    // BCAST: prefixes announce without reads, keys in order, one array
    // per prefix per event-loop iteration.
    t.check("CLIENT TRACKING on BCAST PREFIX user: PREFIX obj:", 1);
    w.check("MSET user:2 a user:1 b other c obj:9 d", 1);
    t.check("PING", 3);
    t.check("SET user:3 x", 2);
    t.check("CLIENT TRACKING off", 1);
    t.check("CLIENT TRACKING on BCAST NOLOOP", 1);
    t.check("SET mine 1", 1);
    w.check("SET theirs 1", 1);
    t.check("PING", 2);
}

#[test]
fn tracking_resp2_redirect_and_broken_redirect() {
    let Some(p) = Pair::start() else { return };
    let mut sub = Conns::new(&p);
    let mut t = Conns::new(&p);
    let mut w = Conns::new(&p);
    let (sa, sb) = sub.ids();
    sub.check("SUBSCRIBE __redis__:invalidate", 1);
    // Each server's own subscriber ID.
    let on =
        |r: &mut Raw, id: &str| r.cmd(&[b"CLIENT", b"TRACKING", b"on", b"REDIRECT", id.as_bytes()]);
    assert_eq!(on(&mut t.a, &sa), on(&mut t.b, &sb));
    let redir = |r: &mut Raw| r.cmd(&[b"CLIENT", b"GETREDIR"]);
    let (ra, rb) = (redir(&mut t.a), redir(&mut t.b));
    assert_eq!(ra, format!(":{sa}\r\n").into_bytes());
    assert_eq!(rb, format!(":{sb}\r\n").into_bytes());
    t.check("GET k", 1);
    t.check("GET j", 1);
    w.check("SET k 1", 1);
    sub.check("PING", 2);
    t.check("SET j 1", 1);
    sub.check("PING", 2);
    t.check("GET k", 1);
    w.check("FLUSHALL", 1);
    sub.check("PING", 2);
    // A RESP3 tracking client whose redirection goes away.
    let mut t3 = Conns::new(&p);
    let mut gone = Conns::new(&p);
    let (ga, gb) = gone.ids();
    t3.check("HELLO 3", 0);
    let _ = (t3.a.read_reply(), t3.b.read_reply());
    assert_eq!(on(&mut t3.a, &ga), on(&mut t3.b, &gb));
    t3.check("GET x", 1);
    drop(gone);
    // Wait until both servers saw the disconnection.
    for (r, me) in [(&mut w.a, &ga), (&mut w.b, &gb)] {
        loop {
            let list = r.cmd(&[b"CLIENT", b"LIST"]);
            if !String::from_utf8_lossy(&list).contains(&format!("id={me} ")) {
                break;
            }
            std::thread::yield_now();
        }
    }
    w.check("SET x 1", 1);
    // The push names each server's own (gone) client ID.
    let strip = |v: Vec<u8>, id: &str| {
        String::from_utf8_lossy(&v).replace(&format!(":{id}\r\n"), ":ID\r\n")
    };
    for cmd in [&[&b"PING"[..]][..], &[b"CLIENT", b"TRACKINGINFO"]] {
        t3.a.send_cmd(cmd);
        t3.b.send_cmd(cmd);
        let frames = if cmd.len() == 1 { 2 } else { 1 };
        for _ in 0..frames {
            assert_eq!(strip(t3.a.read_reply(), &ga), strip(t3.b.read_reply(), &gb));
        }
    }
}
