//! Hand-written differential cases: every supported command, its options
//! and its error paths, compared with redis-server 7.0.

use super::{Pair, run_lines};

fn pair() -> Option<Pair> {
    Pair::start()
}

#[test]
fn strings_set_family() {
    let Some(mut p) = pair() else { return };
    run_lines(
        &mut p,
        r#"
SET k v
GET k
SET k v2 NX
SET k v3 XX
GET k
SET nk v XX
SET nk v NX GET
SET k v4 GET
SET k v5 NX GET
SET k v EX 100
TTL k
SET k v PX 100000
≈1 TTL k
SET k v EXAT 9999999999
≈1 TTL k
SET k v PXAT 9999999999000
≈1 TTL k
SET k v KEEPTTL
TTL k
SET k v EX 10 EX 20
TTL k
SET k v EX 10 PX 20
SET k v KEEPTTL EX 10
SET k v EX 10 KEEPTTL
SET k v NX XX
SET k v XX NX
SET k v EX
SET k v EX 0
SET k v EX -1
SET k v EX abc
SET k v PX 0
SET k v EX 9223372036854775807
SET k v PX 9223372036854775807
SET k v EXAT 0
SET k v PXAT -5
SET k v BADOPT
SET k v PERSIST
SET k
SET
SET k v ex 100 get
GET nosuch
SET "" empty
GET ""
SET bin "a\r\nb\x00c"
GET bin
SETNX k x
SETNX fresh x
GET fresh
SETEX s 100 v
TTL s
SETEX s 0 v
SETEX s -10 v
SETEX s abc v
SETEX s 9223372036854775807 v
PSETEX ps 100000 v
≈1 TTL ps
PSETEX ps 0 v
GETSET k newval
GETSET nosuch2 val
GET nosuch2
GETDEL k
GETDEL k
EXISTS k
RPUSH notastring a
GET notastring
GETSET notastring x
GETDEL notastring
SET notastring x GET
SETNX notastring x
STRLEN notastring
APPEND notastring x
INCR notastring
SETEX notastring 10 x
PSETEX notastring 10000 x
GETEX notastring
MGET notastring
TYPE notastring
SET notastring x
TYPE notastring
"#,
    );
}

#[test]
fn strings_getex_mset_mget() {
    let Some(mut p) = pair() else { return };
    run_lines(
        &mut p,
        r#"
SET g v
GETEX g
GETEX g EX 100
TTL g
GETEX g PERSIST
TTL g
GETEX g PX 200000
≈1 TTL g
GETEX g EXAT 9999999999
TTL g
GETEX g PXAT 9999999999999
TTL g
GETEX g EX 0
GETEX g EX -1
GETEX g EX abc
GETEX g EX 10 PERSIST
GETEX g PERSIST EX 10
GETEX g KEEPTTL
GETEX g NX
GETEX g BAD
GETEX nosuch EX 10
GETEX nosuch EX abc
GETEX nosuch BAD
GETEX g EXAT 1
EXISTS g
MSET a 1 b 2 c 3
MGET a b c nosuch
MSET a 1 b
MSET a
MSETNX a 1 z 2
MSETNX y 1 z 2
MGET y z
MSETNX y
RPUSH alist x
MGET a alist b
MSET a 1 a 2
GET a
"#,
    );
}

#[test]
fn strings_counters() {
    let Some(mut p) = pair() else { return };
    run_lines(
        &mut p,
        r#"
INCR c
INCR c
DECR c
INCRBY c 10
INCRBY c -20
DECRBY c 5
DECRBY c -5
INCRBY c abc
INCRBY c 1.5
INCRBY c 9223372036854775807
SET c 9223372036854775807
INCR c
SET c -9223372036854775808
DECR c
DECRBY c -9223372036854775808
DECRBY x -9223372036854775808
DECRBY x 9223372036854775807
SET c 10
OBJECT ENCODING c
SET c " 10"
INCR c
SET c "10 "
INCR c
SET c 010
INCR c
SET c +10
INCR c
SET c -0
INCR c
SET c abc
INCR c
SET c ""
INCR c
SET c 99999999999999999999
INCR c
SET c 12 EX 100
INCR c
TTL c
SET f 10.5
INCRBYFLOAT f 0.1
INCRBYFLOAT f -5
INCRBYFLOAT f 5.0e3
INCRBYFLOAT f 2.0e2
INCRBYFLOAT nf 3
INCRBYFLOAT nf abc
INCRBYFLOAT nf inf
INCRBYFLOAT nf -inf
INCRBYFLOAT nf nan
INCRBYFLOAT nf ""
INCRBYFLOAT nf " 1"
INCRBYFLOAT nf 1e400
SET f abc
INCRBYFLOAT f 1
SET f 1
INCRBYFLOAT f 1.5
OBJECT ENCODING f
SET f 5
INCRBYFLOAT f 0
INCRBYFLOAT f -5
SET f 1e3
INCRBYFLOAT f 1
RPUSH l x
INCRBYFLOAT l 1
INCRBY l 1
DECR l
INCR l
DECRBY l 1
"#,
    );
}

#[test]
fn strings_ranges_append_lcs() {
    let Some(mut p) = pair() else { return };
    run_lines(
        &mut p,
        r#"
SET s "Hello World"
GETRANGE s 0 4
GETRANGE s -5 -1
GETRANGE s 0 -1
GETRANGE s 5 2
GETRANGE s -1 -5
GETRANGE s 100 200
GETRANGE s -100 -50
GETRANGE s -100 100
GETRANGE s 0 abc
GETRANGE nosuch 0 10
SUBSTR s 0 3
SET n 12345
GETRANGE n 1 3
STRLEN s
STRLEN n
STRLEN nosuch
APPEND s "!!"
GET s
OBJECT ENCODING s
APPEND newkey abc
APPEND n 6
GET n
OBJECT ENCODING n
SETRANGE s 6 Redis
GET s
SETRANGE s 20 x
GET s
SETRANGE nk 5 abc
GET nk
SETRANGE nk2 0 ""
EXISTS nk2
SETRANGE s 0 ""
SETRANGE s -1 x
SETRANGE s abc x
SETRANGE s 536870912 x
SETRANGE s 536870911 x
SET a ohmytext
SET b mynewtext
LCS a b
LCS a b LEN
LCS a b IDX
LCS a b IDX MINMATCHLEN 4
LCS a b IDX MINMATCHLEN 4 WITHMATCHLEN
LCS a b IDX WITHMATCHLEN
LCS a b LEN IDX
LCS a b BAD
LCS a b MINMATCHLEN
LCS a b MINMATCHLEN x
LCS a nosuch
LCS nosuch nosuch2 IDX
SET x1 ABCBDAB
SET x2 BDCABA
LCS x1 x2
LCS x1 x2 IDX WITHMATCHLEN
RPUSH li x
LCS a li
LCS li a
GETRANGE li 0 1
STRLEN li
APPEND li x
SETRANGE li 0 x
"#,
    );
}

#[test]
fn keys_generic() {
    let Some(mut p) = pair() else { return };
    run_lines(
        &mut p,
        r#"
MSET k1 a k2 b k3 c
DEL k1 k2 nosuch
DEL k1
EXISTS k3 k3 nosuch
UNLINK k3
EXISTS k3
SET s v
RPUSH l a
HSET h f v
SADD st m
ZADD z 1 m
TYPE s
TYPE l
TYPE h
TYPE st
TYPE z
TYPE nosuch
DEL l h st z
MSET user:1 a user:2 b user:10 c other d
~KEYS user:*
~KEYS user:?
~KEYS user:[12]
~KEYS *
~KEYS nomatch*
TOUCH user:1 nosuch user:2
RENAME user:1 renamed
GET renamed
RENAME nosuch x
RENAME renamed renamed
RENAME nosuch nosuch
RENAMENX renamed user:2
RENAMENX renamed fresh
RENAMENX fresh fresh
RENAMENX nosuch y
SET t v EX 100
RENAME t t2
TTL t2
COPY t2 t3
TTL t3
GET t3
COPY t2 t3
COPY t2 t3 REPLACE
COPY t2 t2
COPY t2 t2 DB 1
COPY nosuch t4
COPY t2 t4 DB 16
COPY t2 t4 DB -1
COPY t2 t4 DB abc
COPY t2 t4 BAD
COPY t2 t4 DB
SELECT 1
GET t2
SELECT 0
MOVE t2 1
MOVE t2 1
MOVE other 0
MOVE other 16
MOVE other abc
MOVE nosuch 1
SELECT 1
GET t2
TTL t2
SELECT 0
DBSIZE
"#,
    );
}

#[test]
fn keys_expire_family() {
    let Some(mut p) = pair() else { return };
    run_lines(
        &mut p,
        r#"
SET k v
EXPIRE k 100
TTL k
EXPIRE k 100 NX
EXPIRE k 200 XX
TTL k
EXPIRE k 50 GT
EXPIRE k 500 GT
TTL k
EXPIRE k 600 LT
EXPIRE k 60 LT
TTL k
EXPIRE k 10 NX XX
EXPIRE k 10 GT LT
EXPIRE k 10 NX GT
EXPIRE k 10 FOO
EXPIRE k abc
EXPIRE k 9223372036854775807
EXPIRE k -9223372036854775808
PEXPIRE k 9223372036854775807
PEXPIRE k 100000
≈1 TTL k
PERSIST k
PERSIST k
TTL k
EXPIRE k 100 XX
EXPIRE k 100 GT
EXPIRE k 100 LT
TTL k
PERSIST nosuch
EXPIRE nosuch 100
TTL nosuch
PTTL nosuch
EXPIRETIME nosuch
PEXPIRETIME nosuch
SET k2 v
EXPIRETIME k2
PEXPIRETIME k2
EXPIREAT k2 9999999999
EXPIRETIME k2
PEXPIRETIME k2
PEXPIREAT k2 9999999999123
PEXPIRETIME k2
EXPIRETIME k2
EXPIREAT k2 1
EXISTS k2
SET k3 v
EXPIRE k3 -1
EXISTS k3
SET k3 v
PEXPIRE k3 0
EXISTS k3
SET k3 v
EXPIREAT k3 0
GET k3
EXPIRE
EXPIRE k
TTL
"#,
    );
}

#[test]
fn scan_and_randomkey_shapes() {
    let Some(mut p) = pair() else { return };
    run_lines(
        &mut p,
        r#"
RANDOMKEY
SCAN 0
SCAN abc
SCAN -1 COUNT 0
SCAN 0 COUNT 0
SCAN 0 COUNT -1
SCAN 0 COUNT abc
SCAN 0 MATCH
SCAN 0 BAD x
SCAN 0 TYPE
SET a 1
RANDOMKEY
~SCAN 0 COUNT 100
~SCAN 0 MATCH a COUNT 100
~SCAN 0 TYPE string COUNT 100
~SCAN 0 TYPE list COUNT 100
~SCAN 0 TYPE nosuchtype COUNT 100
SCAN 18446744073709551616
"#,
    );
}

#[test]
fn databases_and_flush() {
    let Some(mut p) = pair() else { return };
    run_lines(
        &mut p,
        r#"
SET a 1
SELECT 3
SET b 2
DBSIZE
SELECT 16
SELECT -1
SELECT abc
SELECT 9999999999
SWAPDB 0 3
GET b
SELECT 0
GET b
SWAPDB 0 16
SWAPDB a 0
SWAPDB 0 a
SWAPDB 0 0
FLUSHDB BAD
FLUSHDB ASYNC x
FLUSHDB SYNC
DBSIZE
SELECT 3
DBSIZE
FLUSHALL ASYNC
DBSIZE
FLUSHALL BAD
FLUSHALL
"#,
    );
}

#[test]
fn object_and_encodings() {
    let Some(mut p) = pair() else { return };
    run_lines(
        &mut p,
        r#"
SET i 123
OBJECT ENCODING i
OBJECT REFCOUNT i
SET big 123456
OBJECT REFCOUNT big
OBJECT ENCODING big
SET e hello
OBJECT ENCODING e
SET r aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
OBJECT ENCODING r
SET e44 12345678901234567890123456789012345678901234
OBJECT ENCODING e44
SET e45 123456789012345678901234567890123456789012345
OBJECT ENCODING e45
SET neg -1
OBJECT ENCODING neg
OBJECT REFCOUNT neg
SET long 12345678901234567890
OBJECT ENCODING long
SET zero 0
OBJECT ENCODING zero
SET lead 007
OBJECT ENCODING lead
OBJECT ENCODING nosuch
OBJECT REFCOUNT nosuch
OBJECT IDLETIME nosuch
OBJECT FREQ nosuch
OBJECT FREQ i
≈1 OBJECT IDLETIME i
OBJECT NOSUB i
OBJECT
OBJECT ENCODING
SETRANGE e 0 H
OBJECT ENCODING e
"#,
    );
}

#[test]
fn connection_and_errors() {
    let Some(mut p) = pair() else { return };
    run_lines(
        &mut p,
        r#"
PING
PING hello
PING a b
ECHO hi
ECHO
ECHO a b
nosuchcmd
nosuchcmd a b c
NOSUCHCMD "a b"
CONFIG NOSUB
CONFIG
CLIENT NOSUB
CLIENT
GET
GET a b
DBSIZE x
TIME x
LASTSAVE x
CLIENT SETNAME "bad name"
CLIENT SETNAME ok-name
CLIENT GETNAME
CLIENT SETNAME ""
CLIENT GETNAME
CLIENT KILL 1.2.3.4:5
CLIENT KILL ID 999999
CLIENT KILL ID abc
CLIENT KILL ID 0
CLIENT KILL TYPE bad
CLIENT KILL BAD x
CLIENT KILL ID 1 SKIPME maybe
CLIENT LIST TYPE bad
CLIENT LIST ID abc
CLIENT LIST BAD
AUTH pass
AUTH a b c
AUTH default anything
AUTH nouser pass
HELLO 4
HELLO abc
HELLO 2 BAD
HELLO 2 SETNAME "bad name"
HELLO 2 AUTH default
SHUTDOWN BAD
SHUTDOWN ABORT
SHUTDOWN NOSAVE SAVE
SHUTDOWN ABORT NOSAVE
SELECT 0
QUIT extra
"#,
    );
}

#[test]
fn command_table_facts_match() {
    let Some(mut p) = pair() else { return };
    let names = [
        "set",
        "get",
        "getset",
        "getdel",
        "getex",
        "setnx",
        "setex",
        "psetex",
        "mset",
        "msetnx",
        "mget",
        "append",
        "strlen",
        "incr",
        "decr",
        "incrby",
        "decrby",
        "incrbyfloat",
        "getrange",
        "setrange",
        "substr",
        "lcs",
        "del",
        "unlink",
        "exists",
        "type",
        "keys",
        "scan",
        "randomkey",
        "rename",
        "renamenx",
        "copy",
        "touch",
        "expire",
        "pexpire",
        "expireat",
        "pexpireat",
        "ttl",
        "pttl",
        "expiretime",
        "pexpiretime",
        "persist",
        "move",
        "object|encoding",
        "object|refcount",
        "object|idletime",
        "object|freq",
        "dbsize",
        "flushdb",
        "flushall",
        "swapdb",
        "info",
        "config|get",
        "config|set",
        "config|resetstat",
        "time",
        "lastsave",
        "shutdown",
        "ping",
        "echo",
        "quit",
        "reset",
        "select",
        "hello",
        "auth",
        "client|id",
        "client|setname",
        "client|getname",
        "client|list",
        "client|info",
        "client|kill",
        "command|count",
        "command|info",
        "command|docs",
        "command|list",
        "command|getkeys",
        "nosuchcommand",
    ];
    for n in names {
        p.check(
            &[b"COMMAND".to_vec(), b"INFO".to_vec(), n.as_bytes().to_vec()],
            super::Cmp::Exact,
        );
    }
    run_lines(
        &mut p,
        r#"
COMMAND GETKEYS SET a b
COMMAND GETKEYS zunionstore d 0 a
COMMAND GETKEYS zunionstore d 5 a
COMMAND GETKEYS zunionstore d 1 a
COMMAND GETKEYS lmpop 0 a LEFT
COMMAND GETKEYS lmpop 2 a b LEFT
COMMAND GETKEYS ping x
COMMAND GETKEYS nosuch a
SLOWLOG GET 1 2
PUBSUB CHANNELS * x
COMMAND GETKEYS MSET a 1 b 2
COMMAND GETKEYS DEL a b c
COMMAND GETKEYS GET
COMMAND GETKEYS nosuch a
COMMAND GETKEYS PING
COMMAND INFO
"#
        .lines()
        .filter(|l| !l.contains("COMMAND INFO"))
        .collect::<Vec<_>>()
        .join("\n")
        .as_str(),
    );
}

#[test]
fn config_get_set() {
    let Some(mut p) = pair() else { return };
    run_lines(
        &mut p,
        r#"
CONFIG GET save
CONFIG GET appendonly
CONFIG GET appendfsync
CONFIG GET databases
CONFIG GET hash-max-listpack-entries
CONFIG GET hash-max-ziplist-entries
CONFIG GET set-max-intset-entries
CONFIG GET zset-max-listpack-entries
CONFIG GET list-max-listpack-size
CONFIG GET maxmemory
CONFIG GET maxmemory-policy
CONFIG GET hz
CONFIG GET timeout
CONFIG GET proto-max-bulk-len
CONFIG GET nosuchparam
~CONFIG GET save appendonly
~CONFIG GET hash-max-*
~CONFIG GET slaveof replicaof
~CONFIG GET repl-*
~CONFIG GET replica-*
~CONFIG GET min-*
~CONFIG GET *-max-ziplist-* hash-max-listpack-entries
CONFIG SET nosuch 1
CONFIG SET hz abc
CONFIG SET hz 20
CONFIG GET hz
CONFIG SET appendfsync bad
CONFIG SET maxmemory-policy bad
CONFIG SET maxmemory 10mb
CONFIG GET maxmemory
CONFIG SET maxmemory 0
CONFIG SET timeout -1
CONFIG SET hz 10 hz 11
CONFIG SET databases 4
CONFIG SET hz
CONFIG SET hz 10 timeout
CONFIG SET protected-mode maybe
CONFIG SET hash-max-listpack-entries 100
CONFIG GET hash-max-listpack-entries
CONFIG SET hash-max-listpack-entries 512
CONFIG SET hash-max-listpack-entries 1gb
CONFIG SET hash-max-listpack-entries abc
CONFIG SET set-max-intset-entries -1
CONFIG SET zset-max-listpack-entries 1.5
CONFIG SET hash-max-listpack-value 99999999999999999999
CONFIG SET zset-max-ziplist-value 99999999999999999999
CONFIG SET list-max-ziplist-size abc
CONFIG SET hash-max-listpack-value ""
CONFIG GET hash-max-listpack-value
CONFIG SET hash-max-listpack-value 64
CONFIG SET proto-max-bulk-len 10
CONFIG SET client-query-buffer-limit 100
CONFIG SET maxmemory 99999999999999999999
CONFIG GET maxmemory
CONFIG SET maxmemory ""
CONFIG GET maxmemory
CONFIG SET maxmemory -1
CONFIG SET maxmemory 1.5mb
CONFIG SET client-output-buffer-limit ""
CONFIG GET client-output-buffer-limit
CONFIG SET loglevel foo
CONFIG GET MAXMEMORY
CONFIG GET Hz
CONFIG GET hash-max-ziplist-entries
CONFIG RESETSTAT
CONFIG RESETSTAT x
"#,
    );
}

#[test]
fn resp3_replies_after_hello_3() {
    let Some(mut p) = pair() else { return };
    run_lines(
        &mut p,
        r#"
?HELLO 3
SET k v
GET k
GET nosuch
MGET k nosuch
SET k v NX GET
SET n 5
INCRBYFLOAT n 1.5
CONFIG GET hz
CONFIG GET nosuch
TTL k
EXPIRETIME k
OBJECT ENCODING nosuch
~SCAN 0 COUNT 100
LCS k n IDX
COMMAND INFO get config|get nosuch
COMMAND DOCS nosuch
COMMAND GETKEYS SET a b
TYPE k
?RANDOMKEY
ECHO hi
PING
PING msg
HELLO 2 BAD
HELLO 4
nosuch
SELECT 99
?HELLO 2
GET nosuch
"#,
    );
}

#[test]
fn config_dir_and_dbfilename_are_protected() {
    let Some(mut p) = pair() else { return };
    run_lines(
        &mut p,
        r#"
CONFIG SET dir /nonexistent/dir
CONFIG SET dir /tmp
CONFIG SET dbfilename other.rdb
"#,
    );
}

/// COMMAND DOCS `arguments` (what redis-cli's hints read) are Redis's bytes,
/// in RESP2 and RESP3. Containers are left out: Redis has subcommands we lack.
#[test]
fn command_docs_arguments_match() {
    let Some(mut p) = pair() else { return };
    fn arguments_of(reply: &[u8]) -> Vec<u8> {
        let key = b"$9\r\narguments\r\n";
        match reply.windows(key.len()).position(|w| w == key) {
            Some(i) => {
                let at = i + key.len();
                let n = crate::common::reply_len(reply, at).unwrap_or(0);
                reply[at..at + n].to_vec()
            }
            None => Vec::new(),
        }
    }
    for proto in ["2", "3"] {
        p.compare(
            &[b"HELLO".to_vec(), proto.as_bytes().to_vec()],
            crate::Cmp::SameType,
        )
        .unwrap();
        for name in [
            "set",
            "get",
            "getex",
            "lcs",
            "scan",
            "expire",
            "copy",
            "lpos",
            "lmpop",
            "blmove",
            "hset",
            "hrandfield",
            "srandmember",
            "sintercard",
            "zadd",
            "zrange",
            "zunionstore",
            "bzmpop",
            "hello",
            "auth",
            "shutdown",
            "client|kill",
            "config|set",
            "object|encoding",
            "subscribe",
            "watch",
        ] {
            let args = [
                b"COMMAND".to_vec(),
                b"DOCS".to_vec(),
                name.as_bytes().to_vec(),
            ];
            let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
            let ours = arguments_of(&p.a.cmd(&refs));
            let theirs = arguments_of(&p.b.cmd(&refs));
            assert!(
                !theirs.is_empty(),
                "{name} has no documented arguments in Redis?"
            );
            assert_eq!(
                String::from_utf8_lossy(&ours),
                String::from_utf8_lossy(&theirs),
                "{name} RESP{proto}"
            );
        }
    }
}

/// ACL's read-only subcommands: the category list and error texts match
/// byte for byte; each category's command list is Redis's, restricted to
/// the commands miniredis has.
#[test]
fn acl_cat_users_whoami() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(
        &mut p,
        r#"
ACL CAT
ACL CAT foo
ACL CAT a b
ACL USERS
ACL USERS x
ACL WHOAMI
ACL WHOAMI x
ACL NOSUCH
"#,
    );
    // Bulk strings of a flat array reply.
    fn names(reply: &[u8]) -> std::collections::BTreeSet<String> {
        String::from_utf8_lossy(reply)
            .split("\r\n")
            .skip(1)
            .filter(|l| !l.starts_with('$') && !l.is_empty())
            .map(String::from)
            .collect()
    }
    let ours_all = names(&p.a.cmd(&[b"COMMAND", b"LIST"]));
    for cat in [
        "write",
        "read",
        "fast",
        "transaction",
        "pubsub",
        "Connection",
    ] {
        let ours = names(&p.a.cmd(&[b"ACL", b"CAT", cat.as_bytes()]));
        let theirs = names(&p.b.cmd(&[b"ACL", b"CAT", cat.as_bytes()]));
        assert!(ours.len() > 3, "{cat}: {ours:?}");
        for n in &ours {
            // CLIENT SETINFO is our one Redis 7.2 extension.
            if n != "client|setinfo" {
                assert!(theirs.contains(n), "{cat}: {n} is not in Redis's list");
            }
        }
        for n in &theirs {
            if !n.contains('|') && ours_all.contains(n) {
                assert!(ours.contains(n), "{cat}: {n} missing");
            }
        }
    }
}

/// INFO persistence lists Redis's fields in Redis's order, with the AOF
/// off and on (the on-only fields appear after the module_fork lines).
#[test]
fn info_persistence_fields_as_redis() {
    let Some(mut p) = pair() else { return };
    let names = |raw: &mut crate::common::Raw| -> Vec<String> {
        let info = String::from_utf8_lossy(&raw.cmd(&[b"INFO", b"persistence"])).to_string();
        info.lines()
            .skip(1)
            .filter_map(|l| l.split_once(':').map(|(k, _)| k.to_string()))
            .collect()
    };
    assert_eq!(names(&mut p.a), names(&mut p.b));
    for raw in [&mut p.a, &mut p.b] {
        assert_eq!(raw.q("CONFIG SET appendonly yes"), "+OK\r\n");
    }
    for raw in [&mut p.a, &mut p.b] {
        assert!(crate::common::wait_for(
            std::time::Duration::from_secs(10),
            || String::from_utf8_lossy(&raw.cmd(&[b"INFO", b"persistence"]))
                .contains("aof_rewrite_in_progress:0")
        ));
    }
    let (ours, theirs) = (names(&mut p.a), names(&mut p.b));
    assert!(ours.contains(&"aof_current_size".to_string()), "{ours:?}");
    assert_eq!(ours, theirs);
    for raw in [&mut p.a, &mut p.b] {
        assert_eq!(raw.q("CONFIG SET appendonly no"), "+OK\r\n");
    }
}

/// CLUSTER on a server without cluster mode: every subcommand refused as
/// Redis refuses it, the container's own errors, and from a script.
#[test]
fn cluster_without_cluster_mode() {
    let Some(mut p) = pair() else { return };
    run_lines(
        &mut p,
        r#"
CLUSTER INFO
CLUSTER NODES
CLUSTER SLOTS
CLUSTER SHARDS
CLUSTER MYID
CLUSTER KEYSLOT foo
CLUSTER KEYSLOT
CLUSTER HELP
CLUSTER RESET HARD
CLUSTER
CLUSTER NOSUCH
EVAL "return redis.call('cluster','reset')" 0
EVAL "return redis.pcall('cluster','info')" 0
"#,
    );
}

/// COMMAND GETKEYSANDFLAGS: each key with its key spec's flags (SORT's
/// from sortGetKeys), and the errors COMMAND GETKEYS gives.
#[test]
fn command_getkeysandflags() {
    let Some(mut p) = super::Pair::start() else {
        return;
    };
    super::run_lines(
        &mut p,
        r#"
COMMAND GETKEYSANDFLAGS set k1 v1
COMMAND GETKEYSANDFLAGS mset k1 v1 k2 v2
COMMAND GETKEYSANDFLAGS LMOVE k1 k2 left right
COMMAND GETKEYSANDFLAGS sort k1 store k2
COMMAND GETKEYSANDFLAGS sort_ro k1
COMMAND GETKEYSANDFLAGS zunionstore d 2 a b
COMMAND GETKEYSANDFLAGS eval "return 1" 2 a b
COMMAND GETKEYSANDFLAGS eval "return 1" 0
COMMAND GETKEYSANDFLAGS xreadgroup GROUP g c STREAMS s1 s2 > >
COMMAND GETKEYSANDFLAGS georadius k 1 1 1 km STORE a
COMMAND GETKEYSANDFLAGS copy a b
COMMAND GETKEYSANDFLAGS get
COMMAND GETKEYSANDFLAGS nosuch a
COMMAND GETKEYSANDFLAGS ping
COMMAND GETKEYSANDFLAGS
"#,
    );
    super::run_lines(
        &mut p,
        "?HELLO 3\nCOMMAND GETKEYSANDFLAGS LMOVE k1 k2 left right\n",
    );
}

#[test]
fn command_getkeysandflags_variable_flags() {
    let Some(mut p) = super::Pair::start() else {
        return;
    };
    super::run_lines(
        &mut p,
        r#"
COMMAND GETKEYSANDFLAGS set k v GET
COMMAND GETKEYSANDFLAGS set k v get EX 10
COMMAND GETKEYSANDFLAGS set k get
COMMAND GETKEYSANDFLAGS set k v getx
COMMAND GETKEYSANDFLAGS bitfield k GET u8 0
COMMAND GETKEYSANDFLAGS bitfield k GET u8 0 OVERFLOW SAT GET i4 3
COMMAND GETKEYSANDFLAGS bitfield k GET u8 0 SET u8 0 1
COMMAND GETKEYSANDFLAGS bitfield k INCRBY u8 0 1
COMMAND GETKEYSANDFLAGS bitfield k GET u8
COMMAND GETKEYSANDFLAGS bitfield k FOO
COMMAND GETKEYSANDFLAGS bitfield k
COMMAND GETKEYSANDFLAGS bitfield_ro k GET u8 0
"#,
    );
}

/// LATENCY without recorded events, and its argument errors.
#[test]
fn latency_subcommands_without_events() {
    let Some(mut p) = super::Pair::start() else {
        return;
    };
    super::run_lines(
        &mut p,
        r#"
LATENCY RESET
LATENCY LATEST
LATENCY HISTORY command
LATENCY HISTORY blabla
LATENCY RESET blabla other
LATENCY GRAPH command
LATENCY HISTOGRAM blabla
LATENCY HISTORY
LATENCY GRAPH
LATENCY HELP xxx
LATENCY NOSUCH
CONFIG GET latency-monitor-threshold
~CONFIG GET latency-tracking*
CONFIG SET latency-tracking-info-percentiles "50 101"
CONFIG SET latency-tracking-info-percentiles "abc"
CONFIG SET latency-tracking-info-percentiles "50 99.99"
CONFIG GET latency-tracking-info-percentiles
"#,
    );
}

/// LOLWUT's version line, the cluster commands refused without cluster
/// support, RESTORE-ASKING as RESTORE.
#[test]
fn lolwut_cluster_flags_and_restore_asking() {
    let Some(mut p) = super::Pair::start() else {
        return;
    };
    super::run_lines(
        &mut p,
        r#"
LOLWUT
LOLWUT VERSION 7
LOLWUT VERSION 8 1 2
LOLWUT VERSION abc
LOLWUT 12
ASKING
READONLY
READWRITE
ASKING extra
SET k v
RESTORE-ASKING k2 0 "\x00\x01v\n\x00\x91\x08\xce\xb2\x198\x8a\xce"
GET k2
RESTORE-ASKING k2 0 bad
"#,
    );
}

/// CONFIG GET * lists the same parameter names as redis-server 7.0.15
/// (values differ where the servers were started differently: port, dir).
#[test]
fn config_get_star_has_redis_names() {
    let Some(mut p) = pair() else { return };
    let names = |reply: &[u8]| -> std::collections::BTreeSet<Vec<u8>> {
        super::elements(reply)
            .expect("an array")
            .chunks(2)
            .map(|kv| kv[0].to_vec())
            .collect()
    };
    let ours = p.a.cmd(&[b"CONFIG", b"GET", b"*"]);
    let theirs = p.b.cmd(&[b"CONFIG", b"GET", b"*"]);
    let (ours, theirs) = (names(&ours), names(&theirs));
    let missing: Vec<String> = theirs
        .difference(&ours)
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .collect();
    let extra: Vec<String> = ours
        .difference(&theirs)
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}, extra {extra:?}"
    );
    // Accepted parameters keep Redis's types and mutability.
    run_lines(
        &mut p,
        r#"
CONFIG SET unixsocketperm 700
CONFIG SET io-threads 4
CONFIG SET activedefrag maybe
CONFIG SET active-defrag-cycle-max 100
CONFIG SET oom-score-adj-values "0 200"
CONFIG SET oom-score-adj-values "0 100 300"
CONFIG GET oom-score-adj-values
CONFIG SET tls-port 6390
CONFIG SET sanitize-dump-payload clients
CONFIG GET sanitize-dump-payload
CONFIG SET sanitize-dump-payload no
"#,
    );
}
