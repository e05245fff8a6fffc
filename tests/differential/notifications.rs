//! Differential cases for keyspace notifications (`notify-keyspace-events`).
//!
//! On each server a listener connection sets the event classes with CONFIG
//! SET, PSUBSCRIBEs `__key*@*__:*` and SUBSCRIBEs `sentinel`. A writer
//! connection runs SCENARIO (every write command family, other dbs, served
//! blocking pops, lazy and active expiry); each section ends with `PUBLISH
//! sentinel <section>` and the listener reads every frame up to that message
//! (the last one is `done`). The listener's frames must be byte-identical to
//! Redis 7.0.15's, in RESP2 and RESP3, and so must the writer's replies. A
//! third connection issues the blocking pops that a later push serves.
//!
//! SCENARIO directives (any other line is a writer command; `?` compares
//! only the reply's type, `~` compares an array as a multiset):
//!   !checkpoint NAME      PUBLISH sentinel NAME; the listener reads up to it
//!   !block CMD ...        the blocker sends CMD; wait until INFO shows it blocked
//!   !served               read the blocker's reply
//!   !wait-expired KEY     poll PTTL KEY until -2 (the poll itself expires KEY)
//!   !active-expired KEY DB  wait for the active cycle to expire KEY: read the
//!                         listener up to its `expired` event when the flags
//!                         publish one, else poll DBSIZE until 0
//!
//! No fixed sleeps: every wait polls (wait_for) or reads with a deadline.

use std::time::{Duration, Instant};

use super::common::{
    Proc, Raw, redis_server_available, start_miniredis, start_redis_server, wait_for,
};
use super::{Cmp, Pair, run_lines, same, show, show_args, split_line};

/// How long any wait may take before the test fails.
const WAIT: Duration = Duration::from_secs(15);

const SCENARIO: &str = r#"
# Short TTLs must expire only when a command touches them, until the
# active-expiry section turns the cycle back on.
DEBUG SET-ACTIVE-EXPIRE 0
FLUSHALL

# ---- strings
SET s v
SET s v2 GET
SET s v3 EX 100
SET s v3 KEEPTTL
SET s v4 NX
SET s v5 XX GET
SET s v6 NX GET
SET snew v XX
SET snew v XX GET
SET s2 v GET
SETNX s3 a
SETNX s3 a
SETEX s4 100 a
PSETEX s5 100000 a
SETEX s4 0 a
SET s6 v EX 0
MSET m1 a m2 b m1 c
MSETNX m3 a m4 b
MSETNX m3 a m5 b
APPEND ap x
APPEND ap y
APPEND ap ""
APPEND ap2 ""
INCR i
INCRBY i 5
DECR i
DECRBY i 2
INCR s
INCRBY i notanumber
INCRBYFLOAT f 1.5
INCRBYFLOAT f 2
INCRBYFLOAT s 1
SETRANGE sr 3 x
SETRANGE sr0 0 ""
SETRANGE sr 0 ""
SETRANGE sr 1 y
SETRANGE sr -1 y
GETSET gs a
GETSET gs b
GETDEL gs
GETDEL gs
GETEX s
GETEX s EX 100
GETEX s PERSIST
GETEX s PERSIST
GETEX s PX 100000
GETEX s PXAT 1
GETEX s EX 100
GETEX nokey PERSIST
SET e v EX 100
SET e v EXAT 1
GET e
LPUSH wl a
SET wl v GET
GETSET wl v
APPEND wl x
INCR wl
SETRANGE wl 0 x
GETDEL wl
GETEX wl EX 10
!checkpoint strings

# ---- keys
FLUSHALL
SET a 1
RENAME a b
SET a 2
RENAME a b
RENAMENX b a
SET b 3
RENAMENX a b
RENAME a a
RENAMENX a a
RENAME nokey x
SET t v EX 100
RENAME t t2
?TTL t2
MOVE a 1
MOVE a 1
SET a 9
MOVE a 1
MOVE a 0
MOVE a 99
COPY a c
COPY a c
COPY a c REPLACE
COPY a c DB 2
COPY a c DB 2 REPLACE
COPY nokey c
COPY a a
SET tc v EX 100
COPY tc tc2
DEL a b c nokey
DEL a
SET u 1
UNLINK u nokey
SET w v
EXPIRE w 100 XX
EXPIRE w 100
EXPIRE w 100 NX
EXPIREAT w 4000000000
EXPIREAT w 4000000001 NX
PEXPIREAT w 3999999999000 GT
PEXPIREAT w 4000000001000 GT
EXPIREAT w 4000000005 LT
EXPIREAT w 3999999000 LT
PEXPIREAT w 4000000000000 XX
PERSIST w
EXPIREAT w 4000000000 GT
EXPIREAT w 4000000000 LT
PERSIST w
PERSIST nokey
EXPIRE w -1
EXPIRE w 10
EXPIRE nokey 10
SET w2 v
PEXPIREAT w2 1
SET w3 v
EXPIREAT w3 1
SET w4 v
EXPIRE w4 abc
PEXPIRE w4 0
MULTI
SET x 1
INCR x
EXPIRE x 100
DEL x
EXEC
SET f1 v
SELECT 1
SET f1 v
SELECT 0
SWAPDB 0 1
SWAPDB 0 1
FLUSHDB
SELECT 1
FLUSHDB
SELECT 0
FLUSHALL
!checkpoint keys

# ---- lists
LPUSH l a b c
RPUSH l d
LPUSHX l z
LPUSHX nol z
RPUSHX l y
RPUSHX nol y
LINSERT l BEFORE a x
LINSERT l AFTER nope x
LINSERT nol BEFORE a x
LSET l 0 q
LSET l 100 q
LSET nol 0 q
LREM l 1 q
LREM l 0 nope
LREM nol 0 a
LTRIM l 0 -1
LTRIM l 1 2
LTRIM nol 0 1
LPOP l
RPOP l 5
LPOP l
LPOP nol 2
RPUSH l a b c
LPOP l 0
LMOVE l l2 LEFT RIGHT
RPOPLPUSH l l2
LMOVE l l2 RIGHT LEFT
LMOVE l2 l2 LEFT RIGHT
LMOVE nol l2 LEFT RIGHT
SET str x
LMOVE l2 str LEFT LEFT
LPUSH str x
LMPOP 2 nol l2 LEFT COUNT 10
LMPOP 1 nol RIGHT
RPUSH l a
LTRIM l 5 10
RPUSH l a b a
LREM l 0 a
LREM l -1 b
RPUSH l a
BLPOP l 0
RPUSH l a b
BRPOP l 0
BLMOVE l l3 LEFT LEFT 0
BRPOPLPUSH l3 l4 0
BLMPOP 0 1 l4 RIGHT COUNT 5
!checkpoint lists

# ---- blocking pops served by a push from the writer
FLUSHALL
!block BLPOP bq1 0
RPUSH bq1 x y
!served
!block BLMOVE bq2 bd2 RIGHT LEFT 0
LPUSH bq2 x
!served
!block BRPOPLPUSH bq3 bd3 0
RPUSH bq3 a b
!served
!block BZPOPMIN bz1 0
ZADD bz1 1 a
!served
!block BZPOPMAX bz2 0
ZADD bz2 1 a 2 b
!served
!block BLMPOP 0 2 bq4 bq5 LEFT COUNT 2
RPUSH bq5 a b c
!served
!block BZMPOP 0 1 bz3 MIN COUNT 5
ZADD bz3 1 a 2 b
!served
!block BRPOP bq6 0
MULTI
RPUSH bq6 a
SET after 1
EXEC
!served
!checkpoint blocking

# ---- hashes
FLUSHALL
HSET h a 1 b 2
HSET h a 1
HSETNX h a 1
HSETNX h c 1
HMSET h d 1
HINCRBY h n 5
HINCRBY h n x
HSET h s notnum
HINCRBY h s 1
HINCRBY h n 9223372036854775807
HINCRBYFLOAT h f 1.5
HINCRBYFLOAT h s 1.5
HDEL h zz
HDEL nokey a
HDEL h a b
HDEL h c d n f s zz
HSETNX h2 a 1
HINCRBY h3 a 1
HINCRBYFLOAT h4 a 1.5
SET str x
HSET str a 1
HDEL str a
!checkpoint hashes

# ---- sets
FLUSHALL
SADD s a b
SADD s a
SREM s zz
SREM nokey a
SREM s a
SMOVE s s2 b
SADD s x y
SMOVE s s2 x
SMOVE s s2 nope
SMOVE nokey s2 x
SADD s2 y
SMOVE s s2 y
SADD s2 q
SMOVE s2 s2 q
SADD s a b c
SPOP s 0
?SPOP s 1
?SPOP s 10
SADD s a
SPOP s
SADD s 1 2 3
?SPOP s
?SPOP s 5
SPOP nokey
SPOP nokey 3
SADD t1 a b
SADD t2 b c
SINTERSTORE d t1 t2
SINTERSTORE d t1 t2
SUNIONSTORE d t1 t2
SDIFFSTORE d t1 t2
SINTERSTORE d t1 nokey
SINTERSTORE d t1 nokey
SADD d z
SDIFFSTORE d t1 t1
SDIFFSTORE d t1 t1
SUNIONSTORE d nokey
SET str x
SUNIONSTORE d t1 str
SADD str a
SMOVE t1 str a
!checkpoint sets

# ---- sorted sets
FLUSHALL
ZADD z 1 a 2 b 3 c
ZADD z 1 a
ZADD z 5 a
ZADD z NX 9 a
ZADD z XX CH 9 a
ZADD z INCR 1 a
ZADD nz XX 1 a
ZADD zg GT 1 a
ZADD zg GT 0 a
ZADD zg LT 0 a
ZADD zi INCR 1 a
ZADD zinf 1 a
ZADD zinf INCR +inf a
ZADD zinf INCR -inf a
ZINCRBY z 2 b
ZINCRBY z2 2 b
ZREM z nope
ZREM nokey a
ZREM z a
ZREM z2 b
ZADD z 1 a 2 d 3 e 4 f
ZREMRANGEBYRANK z 0 0
ZREMRANGEBYRANK z 10 20
ZREMRANGEBYSCORE z 100 200
ZREMRANGEBYSCORE z 2 3
ZREMRANGEBYLEX z [a [b
ZREMRANGEBYLEX z - +
ZREMRANGEBYRANK nokey 0 -1
ZADD z 1 a 2 b 3 c 4 d
ZPOPMIN z
ZPOPMAX z 2
ZPOPMIN z 0
ZPOPMIN z 10
ZPOPMIN z
ZADD z 1 a 2 b
ZMPOP 1 z MAX COUNT 5
ZMPOP 1 z MIN
ZADD z 1 a 2 b
BZPOPMIN z 0
BZPOPMAX z 0
ZADD z 1 a 2 b
BZMPOP 0 1 z MIN
ZADD y 1 b 2 c
ZUNIONSTORE zd 2 z y
ZINTERSTORE zd 2 z y
ZDIFFSTORE zd 2 z y
ZDIFFSTORE zd 2 z z
ZDIFFSTORE zd 2 z z
ZRANGESTORE zd z 0 -1
ZRANGESTORE zd z 5 10
ZRANGESTORE zd z 0 0
ZRANGESTORE zd2 y 2 3 BYSCORE
ZRANGESTORE zd nokey 0 -1
ZINTERSTORE zd 2 z nokey
SET str x
ZADD str 1 a
ZUNIONSTORE zd 2 z str
ZPOPMIN str
!checkpoint zsets

# ---- streams
XADD xs 1-0 a 1
XADD xs 2-0 a 2
XADD xs MAXLEN 1 3-0 a 3
XADD xs MAXLEN 5 4-0 a 4
XADD nox NOMKSTREAM 1-0 a 1
XDEL xs 3-0
XDEL xs 99-0
XTRIM xs MAXLEN 0
XTRIM xs MAXLEN 0
XSETID xs 10-0
XGROUP CREATE xs g $
XGROUP CREATE xnew g $ MKSTREAM
XGROUP SETID xs g 0
XGROUP CREATECONSUMER xs g c1
XADD xs 11-0 a 11
XREADGROUP GROUP g c2 STREAMS xs >
XREADGROUP GROUP g c3 NOACK STREAMS xs 0
XACK xs g 11-0
XADD xs 12-0 a 12
XREADGROUP GROUP g c2 STREAMS xs >
XCLAIM xs g c4 0 12-0
XAUTOCLAIM xs g c5 0 0
XGROUP DELCONSUMER xs g c4
XGROUP DESTROY xs g
COPY xs xcopy
RENAME xcopy xren
DEL xren
!checkpoint streams

# ---- other databases
FLUSHALL
SELECT 3
SET k3 v
LPUSH l3 a
HSET h3 a 1
SADD s3 a
ZADD z3 1 a
RENAME k3 k3b
EXPIRE k3b 100
DEL k3b l3 h3 s3 z3
SET mv v
MOVE mv 0
SELECT 0
MOVE mv 3
SET cpsrc v
COPY cpsrc cp DB 9
SELECT 9
COPY cp cp2
SELECT 0
!checkpoint dbs

# ---- reads: nothing, except keymiss with the m class
FLUSHALL
SET present v
GET nk
MGET nk1 present nk2
EXISTS nk present nk
TYPE nk
TTL nk
PTTL nk
OBJECT ENCODING nk
TOUCH nk present
HGET nk f
HMGET nk a
HGETALL nk
SMEMBERS nk
SINTER nk nk2
ZSCORE nk a
ZRANGE nk 0 -1
LRANGE nk 0 -1
LLEN nk
STRLEN nk
KEYS nk*
SCAN 0
DBSIZE
!checkpoint reads

# ---- lazy expiry: clock is set last with the longest TTL, so once PTTL
# says it is gone every other short-TTL key is past its TTL too.
FLUSHALL
SET lz v PX 30
SET lzd v PX 30
SET lzx v PX 30
SET lzs v PX 30
RPUSH lzl a
PEXPIRE lzl 30
HSET lzh a 1
PEXPIRE lzh 30
SET lzk v PX 30
SET lzr v PX 30
SET lzt v PX 30
SADD lzm a
PEXPIRE lzm 30
SET clock v PX 60
!wait-expired clock
GET lz
DEL lzd
EXISTS lzx
SET lzs w
RPUSH lzl b
HGET lzh a
KEYS lzk
TYPE lzk
RENAME lzr other
TTL lzt
SADD lzm b
SET e v EXAT 1
GET e
!checkpoint lazy

# ---- active expiry
FLUSHALL
DEBUG SET-ACTIVE-EXPIRE 1
SET ac v PX 30
!active-expired ac 0
SELECT 5
SET ac5 v PX 30
!active-expired ac5 5
SELECT 0
DEBUG SET-ACTIVE-EXPIRE 0
!checkpoint done
"#;

/// One RESP3 connection subscribed to its own events: every command's
/// push frames and reply, in the order they reach the connection (Redis
/// writes a push into the publishing client's own buffer at once, so some
/// come before the reply and some after).
const SELF_DELIVERY: &str = r#"
SET k v
SET k v GET
SET k v EX 100
EXPIRE k 100
EXPIRE k -1
SET k v
PERSIST k
EXPIRE k 100
PERSIST k
GETEX k EX 100
GETEX k PERSIST
GETSET k w
GETDEL k
INCR i
INCRBYFLOAT i 1.5
APPEND i 1
SETRANGE i 0 1
MSET a 1 b 2
RENAME a c
COPY c d
MOVE d 1
DEL b c nokey
LPUSH l a b
LPOP l
RPOP l
LINSERT l BEFORE a b
RPUSH l a b
LSET l 0 x
LREM l 0 x
LTRIM l 0 0
LMOVE l l2 LEFT LEFT
LMPOP 1 l2 LEFT COUNT 5
RPUSH l a b c
LPOP l 2
BRPOP l 0
HSET h a 1
HINCRBY h a 1
HDEL h a
SADD s a b
SREM s a
SMOVE s s2 b
SPOP s2
SADD t a
SADD s a
SINTERSTORE d s t
SUNIONSTORE d s t
SINTERSTORE d t nokey
SDIFFSTORE d s t
ZADD z 1 a 2 b
ZINCRBY z 1 a
ZREM z a
ZREMRANGEBYSCORE z -inf +inf
ZADD z 1 a
ZRANGESTORE zd z 0 -1
ZUNIONSTORE zd2 1 z
ZINTERSTORE zd2 2 z nokey
DEL z zd
HMSET h2 a 1 b 2
HSETNX h2 c 3
HINCRBYFLOAT h2 a 1.5
LPUSHX l9 a
RPUSH l9 a
LPUSHX l9 b
SADD sp 1 2 3 4 5 6 7 8 9 10
SPOP sp 100
SADD e1 a
SADD e2 b
SET dst x
SINTERSTORE dst e1 e2
ZADD zz INCR 5 m
ZADD zz XX CH 6 m
SET zd3 x
ZUNIONSTORE zd3 1 nokey
SET g v
GETEX g PXAT 1
SET p v
PEXPIREAT p 1
"#;

/// ZPOPMIN/ZPOPMAX/ZMPOP/BZPOP*/BZMPOP, self-delivered in RESP3: Redis
/// writes the `zpopmin`/`zpopmax` push frame after the reply's array
/// header(s) and before the first element (the `del` comes after the
/// whole reply).
const SELF_DELIVERY_ZPOP: &str = r#"
ZADD z 1 a 2 b 3 c 4 d 5 e 6 f
ZPOPMIN z
ZPOPMAX z
ZPOPMIN z 2
BZPOPMIN z 0
BZPOPMAX z 0
ZADD z 1 a 2 b 3 c
ZMPOP 1 z MIN
ZMPOP 1 z MAX COUNT 1
BZMPOP 0 1 z MIN COUNT 9
ZADD z 1 a
ZPOPMAX z 5
"#;

/// One recorded observation, compared with the other server's.
struct Entry {
    what: String,
    frames: Vec<Vec<u8>>,
    cmp: Cmp,
}

fn send(raw: &mut Raw, args: &[Vec<u8>]) -> Vec<u8> {
    let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
    raw.cmd(&refs)
}

fn argv(parts: &[&str]) -> Vec<Vec<u8>> {
    parts.iter().map(|p| p.as_bytes().to_vec()).collect()
}

/// The next frame on `raw`, or a panic naming what was awaited.
fn next_frame(raw: &mut Raw, server: &str, waiting_for: &str, so_far: &[Vec<u8>]) -> Vec<u8> {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(f) = raw.try_read_reply() {
            return f;
        }
        if Instant::now() >= deadline {
            let seen: Vec<String> = so_far.iter().map(|f| show(f)).collect();
            panic!(
                "{server}: nothing more arrived within {WAIT:?} while waiting for {waiting_for}; \
                 frames since the last checkpoint: {seen:#?}"
            );
        }
        // The read timed out (or the connection is gone): back off a little
        // before asking again, until the deadline.
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Bulk-string encoding of two trailing elements, e.g. a message's channel
/// and payload: the bytes a pub/sub frame ends with.
fn tail(a: &str, b: &str) -> Vec<u8> {
    format!("${}\r\n{a}\r\n${}\r\n{b}\r\n", a.len(), b.len()).into_bytes()
}

fn is_sentinel(frame: &[u8], name: &str) -> bool {
    (frame.starts_with(b"*3\r\n$7\r\nmessage\r\n") || frame.starts_with(b">3\r\n$7\r\nmessage\r\n"))
        && frame.ends_with(&tail("sentinel", name))
}

/// One server's run of SCENARIO.
struct Run {
    server: &'static str,
    w: Raw,
    l: Raw,
    blk: Raw,
    /// Do these flags publish `expired` events at all?
    expired_published: bool,
    /// Is the keyevent channel (E) on? Else only keyspace (K).
    keyevent: bool,
    blocked_cmd: Option<String>,
    pending: Vec<Vec<u8>>,
    out: Vec<Entry>,
}

impl Run {
    fn new(p: &Proc, server: &'static str, flags: &str, resp3: bool) -> Run {
        let w = p.raw();
        let l = p.raw();
        let blk = p.raw();
        // Short socket timeouts so next_frame can enforce its own deadline.
        l.sock.set_read_timeout(Some(Duration::from_secs(1))).ok();
        blk.sock.set_read_timeout(Some(Duration::from_secs(1))).ok();
        let has = |c: char| flags.contains(c);
        let mut run = Run {
            server,
            w,
            l,
            blk,
            expired_published: (has('A') || has('x')) && (has('K') || has('E')),
            keyevent: has('E'),
            blocked_cmd: None,
            pending: Vec::new(),
            out: Vec::new(),
        };
        if resp3 {
            // Server name/version/id differ: read, do not compare.
            let _ = run.l.cmd(&[b"HELLO", b"3"]);
        }
        let setup = [
            argv(&["CONFIG", "SET", "notify-keyspace-events", flags]),
            argv(&["CONFIG", "GET", "notify-keyspace-events"]),
            argv(&["PSUBSCRIBE", "__key*@*__:*"]),
            argv(&["SUBSCRIBE", "sentinel"]),
        ];
        for args in setup {
            let reply = send(&mut run.l, &args);
            run.record(format!("listener: {}", show_args(&args)), reply, Cmp::Exact);
        }
        run
    }

    fn record(&mut self, what: String, reply: Vec<u8>, cmp: Cmp) {
        self.out.push(Entry {
            what,
            frames: vec![reply],
            cmp,
        });
    }

    fn play(mut self, script: &str) -> Vec<Entry> {
        for raw in script.lines() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(rest) = line.strip_prefix('!') {
                let (directive, arg) = rest.split_once(' ').unwrap_or((rest, ""));
                match directive {
                    "checkpoint" => self.checkpoint(arg),
                    "block" => self.block(arg),
                    "served" => self.served(),
                    "wait-expired" => self.wait_expired(arg),
                    "active-expired" => {
                        let (key, db) = arg.split_once(' ').expect("!active-expired KEY DB");
                        self.active_expired(key, db);
                    }
                    other => panic!("unknown directive !{other}"),
                }
                continue;
            }
            let (cmp, rest) = if let Some(r) = line.strip_prefix('?') {
                (Cmp::SameType, r)
            } else if let Some(r) = line.strip_prefix('~') {
                (Cmp::Unordered, r)
            } else {
                (Cmp::Exact, line)
            };
            let args = split_line(rest.trim());
            let reply = send(&mut self.w, &args);
            self.record(show_args(&args), reply, cmp);
        }
        assert!(
            self.pending.is_empty(),
            "the script must end with a !checkpoint"
        );
        self.out
    }

    /// PUBLISH sentinel NAME; the listener reads every frame up to it.
    fn checkpoint(&mut self, name: &str) {
        let args = argv(&["PUBLISH", "sentinel", name]);
        let reply = send(&mut self.w, &args);
        self.record(show_args(&args), reply, Cmp::Exact);
        loop {
            let waiting = format!("the sentinel message `{name}`");
            let f = next_frame(&mut self.l, self.server, &waiting, &self.pending);
            let end = is_sentinel(&f, name);
            self.pending.push(f);
            if end {
                break;
            }
        }
        self.out.push(Entry {
            what: format!("listener frames up to checkpoint `{name}`"),
            frames: std::mem::take(&mut self.pending),
            cmp: Cmp::Exact,
        });
    }

    fn blocked_clients(&mut self) -> String {
        let info = self.w.cmd(&[b"INFO", b"clients"]);
        String::from_utf8_lossy(&info)
            .lines()
            .find_map(|l| {
                l.strip_prefix("blocked_clients:")
                    .map(|n| n.trim().to_string())
            })
            .unwrap_or_default()
    }

    /// The blocker sends a blocking command; wait until the server has it
    /// blocked, so the next push serves it rather than racing it.
    fn block(&mut self, line: &str) {
        assert!(self.blocked_cmd.is_none(), "!block twice without !served");
        let args = split_line(line);
        let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
        self.blk.send_cmd(&refs);
        let ok = wait_for(WAIT, || self.blocked_clients() == "1");
        if !ok {
            let now = self.blocked_clients();
            panic!(
                "{}: `{line}` never showed as blocked (INFO clients blocked_clients:{now})",
                self.server
            );
        }
        self.blocked_cmd = Some(show_args(&args));
    }

    fn served(&mut self) {
        let what = self.blocked_cmd.take().expect("!served without !block");
        let reply = next_frame(
            &mut self.blk,
            self.server,
            &format!("the reply to the blocked {what}"),
            &[],
        );
        self.record(format!("blocker: {what}"), reply, Cmp::Exact);
    }

    /// Poll PTTL until the key is gone. Only the last poll (the one that
    /// finds it expired) emits anything, so the event stream is the same
    /// however many polls each server needed.
    fn wait_expired(&mut self, key: &str) {
        let ok = wait_for(WAIT, || {
            self.w.cmd(&[b"PTTL", key.as_bytes()]) == b":-2\r\n"
        });
        assert!(ok, "{}: {key} never expired", self.server);
    }

    fn active_expired(&mut self, key: &str, db: &str) {
        if self.expired_published {
            let want = if self.keyevent {
                tail(&format!("__keyevent@{db}__:expired"), key)
            } else {
                tail(&format!("__keyspace@{db}__:{key}"), "expired")
            };
            loop {
                let waiting = format!("the active expiry of {key} in db {db}");
                let f = next_frame(&mut self.l, self.server, &waiting, &self.pending);
                let hit = f.ends_with(&want);
                self.pending.push(f);
                if hit {
                    break;
                }
            }
        } else {
            // Nothing is published for expiry with these flags: wait until
            // the cycle has removed the key (DBSIZE does not expire keys;
            // the section starts with FLUSHALL so it is the only one).
            let ok = wait_for(WAIT, || self.w.cmd(&[b"DBSIZE"]) == b":0\r\n");
            assert!(
                ok,
                "{}: the active cycle never removed {key} from db {db}",
                self.server
            );
        }
    }
}

/// Where two frame lists first differ, with a little context.
fn frames_diff(ours: &[Vec<u8>], theirs: &[Vec<u8>]) -> String {
    let i = ours.iter().zip(theirs).take_while(|(a, b)| a == b).count();
    let from = i.saturating_sub(3);
    let list = |fs: &[Vec<u8>]| {
        fs.iter()
            .enumerate()
            .skip(from)
            .take(i - from + 4)
            .map(|(n, f)| format!("    #{n} {}", show(f)))
            .collect::<Vec<_>>()
            .join("\n")
    };
    format!(
        "first difference at frame #{i} (miniredis {} frames, redis {})\n  miniredis:\n{}\n  redis:\n{}",
        ours.len(),
        theirs.len(),
        list(ours),
        list(theirs)
    )
}

fn compare(ours: &[Entry], theirs: &[Entry], label: &str) {
    assert_eq!(
        ours.len(),
        theirs.len(),
        "{label}: the two runs recorded a different number of steps"
    );
    for (o, t) in ours.iter().zip(theirs) {
        assert_eq!(o.what, t.what, "{label}: runs out of step");
        let ok = match (o.frames.as_slice(), t.frames.as_slice()) {
            ([a], [b]) => same(a, b, o.cmp),
            (a, b) => a == b,
        };
        if !ok {
            if o.frames.len() == 1 && t.frames.len() == 1 {
                panic!(
                    "{label}: mismatch for {}\n  miniredis: {}\n  redis:     {}",
                    o.what,
                    show(&o.frames[0]),
                    show(&t.frames[0])
                );
            }
            panic!(
                "{label}: mismatch in {}\n{}",
                o.what,
                frames_diff(&o.frames, &t.frames)
            );
        }
    }
}

/// Run SCENARIO against a fresh miniredis and a fresh redis-server with
/// these classes and listener protocol; the recordings must agree.
fn scenario(flags: &str, resp3: bool) {
    if !redis_server_available() {
        return;
    }
    let ours = start_miniredis(&["--save", "", "--appendonly", "no"]);
    let theirs = start_redis_server();
    let a = Run::new(&ours, "miniredis", flags, resp3).play(SCENARIO);
    let b = Run::new(&theirs, "redis", flags, resp3).play(SCENARIO);
    let label = format!(
        "notify-keyspace-events {flags:?}, listener RESP{}",
        if resp3 { 3 } else { 2 }
    );
    compare(&a, &b, &label);
    // Every entry holds one frame except the checkpoints, which also hold
    // the events: flags that publish something must have produced events,
    // so a server that publishes nothing cannot pass against a broken run.
    let events = b.iter().map(|e| e.frames.len()).sum::<usize>() - b.len();
    if flags.contains('K') || flags.contains('E') {
        assert!(events > 0, "{label}: redis published no keyspace events");
    }
}

/// One RESP3 connection subscribed to its own events; per command, every
/// frame up to the reply of a PING sent right after it.
fn self_delivery_run(p: &Proc, server: &'static str, script: &str) -> Vec<Entry> {
    let mut c = p.raw();
    c.sock.set_read_timeout(Some(Duration::from_secs(1))).ok();
    let _ = c.cmd(&[b"HELLO", b"3"]);
    let mut out = Vec::new();
    for args in [
        argv(&["CONFIG", "SET", "notify-keyspace-events", "KEAn"]),
        argv(&["PSUBSCRIBE", "__key*@*__:*"]),
    ] {
        let reply = send(&mut c, &args);
        out.push(Entry {
            what: show_args(&args),
            frames: vec![reply],
            cmp: Cmp::Exact,
        });
    }
    for raw in script.lines() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let args = split_line(line);
        let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
        c.send_cmd(&refs);
        c.send_cmd(&[b"PING"]);
        let mut frames = Vec::new();
        loop {
            let f = next_frame(&mut c, server, &format!("the PONG after {line}"), &frames);
            if f == b"+PONG\r\n" {
                break;
            }
            frames.push(f);
        }
        out.push(Entry {
            what: show_args(&args),
            frames,
            cmp: Cmp::Exact,
        });
    }
    out
}

fn self_delivery(script: &str, label: &str) {
    if !redis_server_available() {
        return;
    }
    let ours = start_miniredis(&["--save", "", "--appendonly", "no"]);
    let theirs = start_redis_server();
    // Redis 7.0 writes a client's own pushes into its buffer where the
    // handler notifies (before the reply, after it, or between a ZPOP's
    // headers and elements); miniredis places them at the same points.
    let a = self_delivery_run(&ours, "miniredis", script);
    let b = self_delivery_run(&theirs, "redis", script);
    compare(&a, &b, label);
}

#[test]
fn notify_all_classes_resp2() {
    scenario("KEA", false);
}

#[test]
fn notify_all_classes_resp3() {
    scenario("KEA", true);
}

#[test]
fn notify_new_class_resp2() {
    scenario("KEAn", false);
}

#[test]
fn notify_new_class_resp3() {
    scenario("KEAn", true);
}

#[test]
fn notify_class_subsets_resp2() {
    for flags in ["Kl", "Ex$", "gzK", "nE", "A", ""] {
        scenario(flags, false);
    }
}

#[test]
fn notify_class_subsets_resp3() {
    for flags in ["Kl", "Eshx", "nK"] {
        scenario(flags, true);
    }
}

/// `m` (keymiss) is outside `A`: every read lookup that finds nothing,
/// including those inside write commands (SET ... GET, COPY, *STORE).
#[test]
fn notify_keymiss_class() {
    scenario("KEAm", false);
    scenario("Em", true);
}

/// Order of push frames vs. the reply on a RESP3 connection that receives
/// its own events.
#[test]
fn notify_resp3_self_delivery_order() {
    self_delivery(SELF_DELIVERY, "RESP3 self-delivery");
}

/// Redis splices the zpop event into the middle of the pop's array reply.
#[test]
fn notify_resp3_self_delivery_zpop_splice() {
    self_delivery(SELF_DELIVERY_ZPOP, "RESP3 self-delivery, zpop");
}

#[test]
fn notify_config_set_get() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(
        &mut p,
        r#"
CONFIG GET notify-keyspace-events
CONFIG SET notify-keyspace-events KEA
CONFIG GET notify-keyspace-events
CONFIG SET notify-keyspace-events KEAn
CONFIG GET notify-keyspace-events
CONFIG SET notify-keyspace-events AKE
CONFIG GET notify-keyspace-events
CONFIG SET notify-keyspace-events Kl
CONFIG GET notify-keyspace-events
CONFIG SET notify-keyspace-events El
CONFIG GET notify-keyspace-events
CONFIG SET notify-keyspace-events g$lshzxetdKE
CONFIG GET notify-keyspace-events
CONFIG SET notify-keyspace-events g$lshzxetd
CONFIG GET notify-keyspace-events
CONFIG SET notify-keyspace-events g$lshzxetdn
CONFIG GET notify-keyspace-events
CONFIG SET notify-keyspace-events g$lshzxetn
CONFIG GET notify-keyspace-events
CONFIG SET notify-keyspace-events nd$tegxzhsl
CONFIG GET notify-keyspace-events
CONFIG SET notify-keyspace-events xK
CONFIG GET notify-keyspace-events
CONFIG SET notify-keyspace-events Em
CONFIG GET notify-keyspace-events
CONFIG SET notify-keyspace-events mEK
CONFIG GET notify-keyspace-events
CONFIG SET notify-keyspace-events AmnKE
CONFIG GET notify-keyspace-events
CONFIG SET notify-keyspace-events nK
CONFIG GET notify-keyspace-events
CONFIG SET notify-keyspace-events tdK
CONFIG GET notify-keyspace-events
CONFIG SET notify-keyspace-events AA
CONFIG GET notify-keyspace-events
CONFIG SET notify-keyspace-events Ae
CONFIG GET notify-keyspace-events
CONFIG SET notify-keyspace-events KKEE
CONFIG GET notify-keyspace-events
CONFIG SET notify-keyspace-events ""
CONFIG GET notify-keyspace-events
CONFIG SET notify-keyspace-events Kg
CONFIG SET notify-keyspace-events KEA!
CONFIG GET notify-keyspace-events
CONFIG SET notify-keyspace-events q
CONFIG SET notify-keyspace-events kea
CONFIG SET notify-keyspace-events a
CONFIG SET notify-keyspace-events " "
CONFIG SET notify-keyspace-events "K E"
CONFIG SET notify-keyspace-events "\xff"
CONFIG GET notify-keyspace-events
CONFIG SET notify-keyspace-events KEA notify-keyspace-events Kl
CONFIG GET notify-keyspace-events
CONFIG SET hz 20 notify-keyspace-events x!
CONFIG GET hz
CONFIG GET notify-keyspace-events
CONFIG SET hz 20 notify-keyspace-events Ex
CONFIG GET hz
CONFIG GET notify-keyspace-events
CONFIG SET hz 10
CONFIG SET NOTIFY-KEYSPACE-EVENTS Kz
CONFIG GET NOTIFY-KEYSPACE-EVENTS
CONFIG GET notify-keyspace-*
CONFIG GET notify-keyspace-events nosuchparam
CONFIG SET notify-keyspace-events
CONFIG SET notify-keyspace-events KEA extra
CONFIG GET notify-keyspace-events
?HELLO 3
CONFIG GET notify-keyspace-events
CONFIG SET notify-keyspace-events ""
CONFIG GET notify-keyspace-events
CONFIG SET notify-keyspace-events zz!
"#,
    );
}
