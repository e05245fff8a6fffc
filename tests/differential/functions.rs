//! Differential cases for Redis 7.0's functions: FUNCTION LOAD and its
//! refusals (metadata, names, register_function's arguments, the load
//! sandbox), FCALL/FCALL_RO with flags and errors, LIST, DELETE, FLUSH,
//! STATS, DUMP/RESTORE, RESP2 and RESP3.

use super::{Pair, run_lines};

const CASES: &str = r##"
FUNCTION FLUSH
FUNCTION LOAD "#!lua name=lib1\nredis.register_function('f1', function(keys, args) return {keys[1], args[1], #keys, #args} end)"
FCALL f1 1 k a
FCALL F1 1 k a
FCALL f1 0
FCALL nosuch 0
FCALL f1 x
FCALL f1 -1
FCALL f1 3 a
FUNCTION LOAD "#!lua name=lib1\nredis.register_function('f1', function() return 2 end)"
FUNCTION LOAD REPLACE "#!lua name=lib1\nredis.register_function('f1', function() return 2 end)"
FCALL f1 0
FUNCTION LOAD "#!lua name=lib2\nredis.register_function('f1', function() return 3 end)"
FUNCTION LOAD "#!lua name=lib2\nredis.register_function('F1', function() return 3 end)"
FUNCTION LOAD "return 1"
FUNCTION LOAD "#!lua"
FUNCTION LOAD "#!lua name=x"
FUNCTION LOAD "#!lua name=x name=y\nreturn 1"
FUNCTION LOAD "#!lua foo=bar\nreturn 1"
FUNCTION LOAD "#!lua name=bad-name\nreturn 1"
FUNCTION LOAD "#!nosuch name=x\nreturn 1"
FUNCTION LOAD "#!lua name=x\nreturn 1"
FUNCTION LOAD "#!lua name=x\nsyntax error"
FUNCTION LOAD "#!lua name=x\nerror('boom')"
FUNCTION LOAD "#!lua name=x\nredis.call('ping')"
FUNCTION LOAD "#!lua name=x\nlocal a = string.len('x')"
FUNCTION LOAD "#!lua name=x\nfoo = 1"
FUNCTION LOAD "#!lua name=x\nredis.register_function()"
FUNCTION LOAD "#!lua name=x\nredis.register_function('a', function() end, 3)"
FUNCTION LOAD "#!lua name=x\nredis.register_function(1, function() end)"
FCALL 1 0
FUNCTION DELETE x
FUNCTION LOAD "#!lua name=x\nredis.register_function({}, function() end)"
FUNCTION LOAD "#!lua name=x\nredis.register_function('a', 'b')"
FUNCTION LOAD "#!lua name=x\nredis.register_function('a-b', function() end)"
FUNCTION LOAD "#!lua name=x\nredis.register_function('a', function() end) redis.register_function('a', function() end)"
FUNCTION LOAD "#!lua name=x\nredis.register_function('a')"
FUNCTION LOAD "#!lua name=x\nredis.register_function{function_name='a'}"
FUNCTION LOAD "#!lua name=x\nredis.register_function{callback=function() end}"
FUNCTION LOAD "#!lua name=x\nredis.register_function{function_name='a', callback=function() end, flags={'no-writes','nosuch'}}"
FUNCTION LOAD "#!lua name=x\nredis.register_function{function_name='a', callback=function() end, flags='no-writes'}"
FUNCTION LOAD "#!lua name=x\nredis.register_function{function_name='a', callback=function() end, foo=1}"
FUNCTION LOAD "#!lua name=x\nredis.register_function{function_name={}, callback=function() end}"
FUNCTION LOAD "#!lua name=x\nredis.register_function{function_name='a', callback=1}"
FUNCTION LOAD "#!lua name=x\nredis.register_function{function_name='a', callback=function() end, description={}}"
FUNCTION LOAD "#!lua name=x\nredis.register_function('x')"
FUNCTION LOAD "#!lua name=x\nredis.register_function{[1]='a'}"
FUNCTION LOAD "#!lua name=x\nreturn redis.REDIS_VERSION"
FUNCTION LOAD "#!lua name=x\nredis.log(redis.LOG_NOTICE, 'loading') redis.register_function('x1', function() return 1 end)"
FCALL x1 0
FUNCTION LOAD "#!lua name=ro\nredis.register_function{function_name='ro_get', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}, description='reads'}\nredis.register_function{function_name='ro_set', callback=function(keys) return redis.call('set', keys[1], 'v') end, flags={'no-writes'}}\nredis.register_function('rw_set', function(keys, args) return redis.call('set', keys[1], args[1]) end)"
FCALL rw_set 1 k v
FCALL ro_get 1 k
FCALL_RO ro_get 1 k
FCALL ro_set 1 k
FCALL_RO rw_set 1 k v
FUNCTION LOAD "#!lua name=errs\nredis.register_function('e1', function() error('boom') end)\nredis.register_function('e2', function() return redis.call('nosuch') end)\nredis.register_function('e3', function() return nosuch end)\nredis.register_function('e4', function() x = 1 end)\nredis.register_function('e5', function() return redis.error_reply('MY err') end)\nredis.register_function('e6', function() return redis.register_function('z', function() end) end)"
FCALL e1 0
FCALL e2 0
FCALL e3 0
FCALL e4 0
FCALL e5 0
FCALL e6 0
FUNCTION LOAD "#!lua name=types\nredis.register_function('t', function() return {1, 'two', 3.5, true, false, {ok='fine'}, {4, {5}}} end)"
FCALL t 0
FUNCTION LIST LIBRARYNAME lib1
FUNCTION LOAD "#!lua name=one\nredis.register_function{function_name='only', callback=function() return 1 end, flags={'no-writes', 'ALLOW-OOM', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys'}, description='the one'}"
FUNCTION LIST LIBRARYNAME one
FUNCTION LIST LIBRARYNAME on? WITHCODE
FUNCTION LIST WITHCODE LIBRARYNAME one
FUNCTION LIST LIBRARYNAME nosuch
FUNCTION LIST LIBRARYNAME
FUNCTION LIST FOO
FUNCTION LIST WITHCODE WITHCODE
FUNCTION DELETE lib1
FUNCTION DELETE lib1
FCALL f1 0
FUNCTION STATS
FUNCTION KILL
SCRIPT KILL
FUNCTION FLUSH SYNC
FUNCTION FLUSH ASYNC
FUNCTION FLUSH FOO
FUNCTION FLUSH SYNC X
FUNCTION LIST
FUNCTION STATS
FUNCTION LOAD
FUNCTION LOAD REPLACE
FUNCTION LOAD FOO "#!lua name=x\nreturn 1"
FUNCTION DELETE
FUNCTION RESTORE foo
FUNCTION RESTORE foo BAR
FUNCTION RESTORE foo FLUSH X
FUNCTION HELP
FUNCTION NOSUCH
FCALL
FUNCTION LOAD "#!lua name=multi\nredis.register_function('m1', function() return 1 end)\nredis.register_function('m2', function() return 2 end)"
MULTI
FCALL m1 0
FCALL m2 0
EXEC
"##;

#[test]
fn function_cases_resp2() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(&mut p, CASES);
}

#[test]
fn function_cases_resp3() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(&mut p, "?HELLO 3");
    run_lines(&mut p, CASES);
}

/// FUNCTION DUMP's payload is Redis's, byte for byte, and each server
/// restores the other's.
#[test]
fn function_dump_and_restore_across_servers() {
    let Some(mut p) = Pair::start() else { return };
    let code: &[u8] = b"#!lua name=dumped\nredis.register_function('dumped_f', function(keys, args) return 'restored ' .. (args[1] or '') end)\n-- a comment long enough for LZF to shrink: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n";
    for raw in [&mut p.a, &mut p.b] {
        assert_eq!(
            raw.cmd(&[b"FUNCTION", b"LOAD", code]),
            b"$6\r\ndumped\r\n".to_vec()
        );
    }
    let ours = p.a.cmd(&[b"FUNCTION", b"DUMP"]);
    let theirs = p.b.cmd(&[b"FUNCTION", b"DUMP"]);
    assert_eq!(ours, theirs, "FUNCTION DUMP payloads differ");
    let payload = {
        // The bulk string's body.
        let at = theirs.iter().position(|&b| b == b'\n').unwrap() + 1;
        theirs[at..theirs.len() - 2].to_vec()
    };
    for raw in [&mut p.a, &mut p.b] {
        assert_eq!(
            raw.cmd(&[b"FUNCTION", b"RESTORE", &payload]),
            b"-ERR Library dumped already exists\r\n".to_vec()
        );
        assert_eq!(
            raw.cmd(&[b"FUNCTION", b"RESTORE", &payload, b"REPLACE"]),
            b"+OK\r\n".to_vec()
        );
        assert_eq!(raw.cmd(&[b"FUNCTION", b"FLUSH"]), b"+OK\r\n".to_vec());
        assert_eq!(
            raw.cmd(&[b"FUNCTION", b"RESTORE", &payload]),
            b"+OK\r\n".to_vec()
        );
        assert_eq!(
            raw.cmd(&[b"FCALL", b"dumped_f", b"0", b"x"]),
            b"$10\r\nrestored x\r\n".to_vec()
        );
    }
    // A payload whose checksum does not match is refused by both.
    let mut bad = payload.clone();
    let n = bad.len();
    bad[n - 1] ^= 1;
    for raw in [&mut p.a, &mut p.b] {
        assert_eq!(
            raw.cmd(&[b"FUNCTION", b"RESTORE", &bad]),
            b"-ERR DUMP payload version or checksum are wrong\r\n".to_vec()
        );
    }
}
