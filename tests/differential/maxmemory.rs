//! maxmemory against redis-server 7.0.15: with `maxmemory 1` and
//! noeviction nothing can be freed, so every `denyoom` command, anything
//! queued in MULTI, an EXEC holding one, and scripts without allow-oom get
//! Redis's OOM errors while reads, DISCARD and allow-oom scripts go on;
//! LFU counters (OBJECT FREQ with lfu-log-factor 0, so every access
//! counts) and the errors OBJECT answers under the other policy.

use super::{Pair, run_lines};

const OOM: &str = r##"
FLUSHALL
SET k v
RPUSH l a
MULTI
SET queued 1
EXEC
CONFIG SET maxmemory 1
SET a b
GET k
LPUSH l b
LRANGE l 0 -1
INCR n
DEL k
EXISTS k
MULTI
GET l
SET x 1
DISCARD
MULTI
GET l
EXEC
EVAL "return redis.call('set','x','y')" 0
EVAL "return redis.pcall('set','x','y')" 0
EVAL "return redis.call('get','x')" 0
EVAL "#!lua\nreturn redis.call('get','x')" 0
EVAL "#!lua flags=no-writes\nreturn redis.call('get','x')" 0
EVAL "#!lua flags=allow-oom\nreturn redis.call('set','x','y')" 0
EVAL_RO "return redis.call('get','x')" 0
FUNCTION LOAD "#!lua name=lib\nredis.register_function('w', function() return redis.call('set','fx','1') end)\nredis.register_function{function_name='ao', callback=function() return redis.call('set','fy','1') end, flags={'allow-oom'}}\nredis.register_function{function_name='nw', callback=function() return 1 end, flags={'no-writes'}}"
CONFIG SET maxmemory 0
FUNCTION LOAD "#!lua name=lib\nredis.register_function('w', function() return redis.call('set','fx','1') end)\nredis.register_function{function_name='ao', callback=function() return redis.call('set','fy','1') end, flags={'allow-oom'}}\nredis.register_function{function_name='nw', callback=function() return 1 end, flags={'no-writes'}}"
MULTI
SET late 1
CONFIG SET maxmemory 1
EXEC
CONFIG SET maxmemory 1
FCALL w 0
FCALL ao 0
FCALL nw 0
FCALL_RO nw 0
CONFIG SET maxmemory 0
FUNCTION FLUSH
EXISTS late
SET ok 1
"##;

#[test]
fn oom_under_noeviction() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(&mut p, OOM);
}

const LFU: &str = r#"
FLUSHALL
SET k v
OBJECT FREQ k
OBJECT IDLETIME k
CONFIG SET maxmemory-policy allkeys-lfu
CONFIG SET lfu-log-factor 0
SET f v
OBJECT FREQ f
GET f
GET f
GET f
OBJECT FREQ f
OBJECT IDLETIME f
OBJECT FREQ nokey
CONFIG SET maxmemory-policy noeviction
CONFIG SET lfu-log-factor 10
CONFIG GET maxmemory-samples
CONFIG SET maxmemory-samples 0
CONFIG SET maxmemory-samples 65
CONFIG SET maxmemory-samples 10
CONFIG GET maxmemory-samples
CONFIG SET maxmemory-eviction-tenacity 101
CONFIG GET maxmemory-eviction-tenacity
CONFIG GET lfu-decay-time
CONFIG SET maxmemory-samples 5
"#;

#[test]
fn lfu_counters_and_settings() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(&mut p, LFU);
}

const MEMORY: &str = r#"
FLUSHALL
SET s v
RPUSH l a b c
HSET h f v
?MEMORY USAGE s
?MEMORY USAGE l
?MEMORY USAGE h SAMPLES 0
?MEMORY USAGE h SAMPLES 2
MEMORY USAGE nokey
MEMORY USAGE s SAMPLES -1
MEMORY USAGE s SAMPLES abc
MEMORY USAGE s FOO
MEMORY USAGE s SAMPLES
MEMORY USAGE
MEMORY HELP
MEMORY DOCTOR
?MEMORY MALLOC-STATS
MEMORY PURGE
MEMORY FOO
"#;

#[test]
fn memory_command() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(&mut p, MEMORY);
    run_lines(&mut p, "?HELLO 3");
    run_lines(&mut p, MEMORY);
}
