//! Differential cases for EVAL, EVALSHA, their read-only forms and SCRIPT:
//! the conversions both ways, error texts with their script and line,
//! the sandbox's refusals, propagation-relevant shapes, RESP2 and RESP3.

use super::{Cmp, Pair, run_lines, show};

const CASES: &str = r#"
EVAL "return 1" 0
EVAL "return {1,2,{3,'x'},nil,4}" 0
EVAL "return redis.call('set',KEYS[1],ARGV[1])" 1 k v
EVAL "return redis.call('get','k')" 0
EVAL "return {KEYS[1], KEYS[2], ARGV[1], ARGV[2], #KEYS, #ARGV}" 2 a b c d
EVAL "return foo" 0
EVAL "return redis.call('nosuch')" 0
EVAL "error('boom')" 0
EVAL "\n\nerror('on line three')" 0
EVAL "local function f() error('inner') end\nf()" 0
EVAL "error({err='MY custom'})" 0
EVAL "error(42)" 0
EVAL "return redis.error_reply('MY err')" 0
EVAL "return redis.error_reply('nospace')" 0
EVAL "return redis.error_reply('-DASH err')" 0
EVAL "return redis.error_reply(1)" 0
EVAL "return redis.status_reply('FINE')" 0
EVAL "return redis.status_reply('multi\r\nline')" 0
EVAL "return redis.status_reply()" 0
EVAL "return 3.99" 0
EVAL "return -3.99" 0
EVAL "return 1e300" 0
EVAL "return true" 0
EVAL "return false" 0
EVAL "return nil" 0
EVAL "return {true, false, 'x'}" 0
EVALSHA ffffffffffffffffffffffffffffffffffffffff 0
EVALSHA ffff 0
EVAL "return 1" -1
EVAL "return 1" 5 a
EVAL "return 1" x
EVAL "x = 5" 0
EVAL "string.foo = 1" 0
EVAL "return redis.pcall('incr','k')" 0
EVAL "return redis.call('incr','k')" 0
EVAL "local r = redis.pcall('incr','k'); return r['err']" 0
EVAL "local ok, e = pcall(redis.call, 'incr', 'k') return {tostring(ok), e}" 0
EVAL "local ok, e = pcall(error, 'x') return {tostring(ok), e}" 0
SCRIPT LOAD "return 1"
SCRIPT EXISTS e0e1f9fabfc9d4800c877a703b823ac0578ff8db E0E1F9FABFC9D4800C877A703B823AC0578FF8DB ffff
EVALSHA e0e1f9fabfc9d4800c877a703b823ac0578ff8db 0
EVALSHA E0E1F9FABFC9D4800C877A703B823AC0578FF8DB 0
EVAL "return {err='x'}" 0
EVAL "return {err='ERR x'}" 0
EVAL "return {ok='y'}" 0
EVAL "return redis.sha1hex('')" 0
EVAL "return redis.sha1hex(1.5)" 0
EVAL "return redis.sha1hex()" 0
EVAL "local t = {} t[1]=1 t[3]=3 return t" 0
EVAL "return {1,{2,{3,{4}}}}" 0
EVAL "return 'abc'" 0
EVAL "syntax error here" 0
EVAL "return (" 0
EVAL "return redis.call()" 0
EVAL "return redis.pcall()" 0
EVAL "return redis.call('get',{})" 0
EVAL "return redis.call('get',1.5)" 0
EVAL "return redis.call('get')" 0
EVAL "return redis.pcall('nosuch')" 0
EVAL "return redis.call('hgetall','nokey')" 0
EVAL "return redis.call('exists','k')" 0
EVAL "redis.call('set','a','1'); redis.call('incr','a'); return redis.call('get','a')" 0
EVAL "redis.call('set','f',1.5) redis.call('set','g',3) redis.call('set','h',0.1) return redis.call('mget','f','g','h')" 0
EVAL "return redis.call('multi')" 0
EVAL "return redis.call('blpop','nolist',0)" 0
EVAL "return redis.call('ping')" 0
EVAL "return redis.call('lpush','k','x')" 0
EVAL "return redis.pcall('lpush','k','x')" 0
EVAL "redis.call('select','1') redis.call('set','indb1','x') return redis.call('get','indb1')" 0
GET indb1
EVAL_RO "return redis.call('set','ro','x')" 0
EVAL_RO "return redis.call('get','a')" 0
EVAL "return redis.REDIS_VERSION" 0
EVAL "setmetatable(_G, {})" 0
EVAL "local g = getmetatable(_G) g.__index = {}" 0
EVAL "redis.call = function() return 1 end" 0
EVAL "cjson.encode = 1" 0
EVAL "bit.lshift = 1" 0
EVAL "cmsgpack.pack = 1" 0
EVAL "_G = {}" 0
EVAL "rawset(_G, 'x', 1)" 0
EVAL "rawset(redis, 'call', 1)" 0
EVAL "return loadstring(string.dump(function() return 1 end))()" 0
EVAL "return loadstring('return 7')()" 0
EVAL "return cjson.encode_keep_buffer(false)" 0
EVAL "local t = {} setmetatable(t, {__index=function() return 5 end}) return t.x" 0
EVAL "local t = {} for i = 1, 10000 do t[i] = 'v' .. i end return t" 0
EVAL "local a = {} for i = 1, 20000 do a['k' .. i] = i end local d = cmsgpack.unpack(cmsgpack.pack(a)) return {d.k1, d.k20000}" 0
EVAL "return loadfile" 0
SET holes v
EVAL "redis.setresp(3) local r = redis.call('mget', 'holes', 'nx2', 'holes') return #r" 0
EVAL "redis.setresp(3) local r = redis.call('mget', 'nx1', 'nx2', 'holes') return #r" 0
EVAL "redis.setresp(3) local r = redis.call('mget', 'holes', 'nx2', 'holes') r[5] = 1 return #r" 0
EVAL "return {cjson.encode_max_depth(1), pcall(cjson.encode, {{1}})}" 0
EVAL "return cjson.encode_max_depth(1000)" 0
EVAL "return cjson.encode_max_depth(0)" 0
EVAL "return cjson.encode_max_depth('x')" 0
EVAL "return cjson.encode_max_depth(1, 2)" 0
EVAL "return {cjson.encode_invalid_numbers(true), cjson.encode({0/0, 1/0, -1/0})}" 0
EVAL "return {cjson.encode_invalid_numbers('null'), cjson.encode({0/0, 1/0})}" 0
EVAL "return cjson.encode_invalid_numbers('x')" 0
EVAL "return cjson.encode_invalid_numbers(false)" 0
EVAL "return {cjson.encode_number_precision(3), cjson.encode(3.14159)}" 0
EVAL "return cjson.encode_number_precision(14)" 0
EVAL "return {cjson.encode_sparse_array(true), cjson.encode({[1]=1, [100]=2})}" 0
EVAL "return {cjson.encode_sparse_array(false, 2, 10)}" 0
EVAL "return {cjson.decode_max_depth(1), pcall(cjson.decode, '[[1]]')}" 0
EVAL "return cjson.decode_max_depth(1000)" 0
EVAL "return {cjson.decode_invalid_numbers(false), pcall(cjson.decode, '[nan]')}" 0
EVAL "return cjson.decode_invalid_numbers(true)" 0
EVAL "return cjson.encode_keep_buffer('x')" 0
EVAL "return {pcall(cjson.encode)}" 0
EVAL "return {pcall(math.random, 2, 1)}" 0
EVAL "return {pcall(cjson.decode, {})}" 0
EVAL "return {pcall(bit.band, 'x')}" 0
EVAL "return {pcall(struct.pack, 'i', 'x')}" 0
EVAL "return {pcall(struct.unpack, 'z', 'x')}" 0
EVAL "return redis.REDIS_VERSION_NUM" 0
EVAL "return {math.random(), math.random(100), math.random(5,10)}" 0
EVAL "math.randomseed(7) return {math.random(1000), math.random(1000)}" 0
EVAL "return type(os) .. type(io) .. type(print) .. type(loadfile) .. type(dofile) .. type(require) .. type(setfenv)" 0
EVAL "return redis.log(redis.LOG_WARNING)" 0
EVAL "return redis.log('x', 'y')" 0
EVAL "return redis.log(99, 'y')" 0
EVAL "redis.log(redis.LOG_NOTICE, 'hello', 1) return 1" 0
EVAL "return redis.setresp(4)" 0
EVAL "return redis.set_repl(99)" 0
EVAL "return redis.replicate_commands()" 0
EVAL "return tostring(1/3)" 0
EVAL "return #ARGV" 0 a b c
EVAL "return redis.call('rpush','lst','a','b','c')" 0
EVAL "return redis.call('lrange','lst',0,-1)" 0
EVAL "redis.call('hset','hh','f','v') return redis.call('hgetall','hh')" 0
EVAL "redis.call('zadd','zz',1.5,'m') return redis.call('zscore','zz','m')" 0
EVAL "redis.setresp(3) return redis.call('hgetall','hh')" 0
EVAL "redis.setresp(3) return redis.call('zscore','zz','m')" 0
EVAL "redis.setresp(3) return redis.call('get','nokey')" 0
EVAL "redis.setresp(3) local r = redis.call('hgetall','hh') return r['map']['f']" 0
EVAL "redis.setresp(3) local r = redis.call('zscore','zz','m') return r['double']" 0
EVAL "return {double=3.5}" 0
EVAL "return {big_number='1234567890123456789012'}" 0
EVAL "return {map={a=1}}" 0
EVAL "return {set={a=true}}" 0
EVAL "return {verbatim_string={format='txt', string='hi'}}" 0
MULTI
EVAL "return redis.call('incr','tx')" 0
EVAL "return redis.call('incr','tx')" 0
EXEC
SCRIPT FLUSH
SCRIPT EXISTS e0e1f9fabfc9d4800c877a703b823ac0578ff8db
SCRIPT FLUSH ASYNC
SCRIPT FLUSH x
SCRIPT KILL
SCRIPT HELP
SCRIPT nosuch
"#;

#[test]
fn scripting_cases_resp2() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(&mut p, CASES);
}

#[test]
fn scripting_cases_resp3() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(&mut p, "?HELLO 3");
    run_lines(&mut p, CASES);
}

const BIT_CASES: &str = r#"
EVAL "return {bit.tobit(1), bit.tobit(-1), bit.tobit(2^31), bit.tobit(2^32 + 5), bit.tobit(1.5), bit.tobit(2.5), bit.tobit(-1.5)}" 0
EVAL "return {bit.band(0xff, 0x0f), bit.bor(1, 2, 4), bit.bxor(5, 3), bit.bnot(0), bit.band(-1)}" 0
EVAL "return {bit.lshift(1, 31), bit.lshift(1, 32), bit.rshift(-1, 28), bit.arshift(-256, 4), bit.rol(0x80000001, 1), bit.ror(1, 1)}" 0
EVAL "return {bit.bswap(0x12345678), bit.tohex(255), bit.tohex(255, 2), bit.tohex(-1, -4), bit.tohex(0x1234, 2)}" 0
EVAL "return bit.band('x', 1)" 0
EVAL "return bit.lshift(1)" 0
EVAL "return bit.band('12', '10')" 0
EVAL "bit.foo = 1" 0
EVAL "return math.random('x')" 0
EVAL "return math.random(0)" 0
EVAL "return math.random(5, 1)" 0
EVAL "return math.random(1, 2, 3)" 0
EVAL "return math.randomseed()" 0
"#;

#[test]
fn scripting_bit_library() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(&mut p, BIT_CASES);
}

const CJSON_CASES: &str = r#"
EVAL "return cjson.encode({a=1,b={1,2,3},c='x/y', d=1.5, e=1e20, f='\1'})" 0
EVAL "return cjson.encode({1,nil,3})" 0
EVAL "return cjson.encode({[1]=1,[20]=2})" 0
EVAL "return cjson.encode({[1]=1,[3]=2})" 0
EVAL "return cjson.encode({})" 0
EVAL "return cjson.encode(0/0)" 0
EVAL "return cjson.encode(1/0)" 0
EVAL "return cjson.encode(function() end)" 0
EVAL "return cjson.encode({[true]=1})" 0
EVAL "return cjson.encode({[1.5]=1, x=2})" 0
EVAL "return cjson.encode(string.char(127, 0, 10, 200, 34, 92, 8, 12, 9, 13))" 0
EVAL "return cjson.encode(cjson.null)" 0
EVAL "return cjson.encode(nil)" 0
EVAL "return cjson.encode()" 0
EVAL "return cjson.encode(1, 2)" 0
EVAL "return cjson.encode({1, 2.5, -0, 123456789012345678, 0.1, 1e-7, 'x', true, false})" 0
EVAL "local t = {} local c = t for i=1,1100 do c[1] = {} c = c[1] end return cjson.encode(t)" 0
EVAL "local t = cjson.decode('{\"a\":[1,2,{\"b\":null}],\"c\":1.5e3}') return {t.a[1], t.a[3].b == cjson.null, t.c, type(t.a[3].b)}" 0
EVAL "return cjson.decode('[1,2')" 0
EVAL "return cjson.decode('xyz')" 0
EVAL "return cjson.decode('[1,2] x')" 0
EVAL "return cjson.decode('{1:2}')" 0
EVAL "return cjson.decode('{\"a\" 2}')" 0
EVAL "return cjson.decode('{\"a\":2,}')" 0
EVAL "return cjson.decode('[\"\\u00e9\\ud83d\\ude00\", \"a\\/b\\n\"]')" 0
EVAL "return cjson.decode('\"bad \\q escape\"')" 0
EVAL "return cjson.decode('\"unterminated')" 0
EVAL "return cjson.decode('')" 0
EVAL "return cjson.decode()" 0
EVAL "return cjson.decode({})" 0
EVAL "return cjson.decode(12)" 0
EVAL "return cjson.decode(' [ true , false , null ] ')" 0
EVAL "return cjson.encode(cjson.decode('{\"k\":[1,{\"x\":\"y\"}],\"n\":-2.5e-3}'))" 0
EVAL "return cjson.decode(string.rep('[', 1100) .. string.rep(']', 1100))" 0
EVAL "cjson.foo = 1" 0
EVAL "return cjson.encode({1e15, 123456789012345, 2^53, -1e-300, 3.14159265358979})" 0
EVAL "return cjson.encode(cjson.decode('[1e400, -1e400]'))" 0
EVAL "return cjson.decode('-')" 0
EVAL "return cjson.decode('[01, 1.]')" 0
EVAL "return cjson.decode('[0x10]')" 0
EVAL "return cjson.decode('tru')" 0
EVAL "return cjson.decode('nul')" 0
EVAL "return cjson.decode('\"\\ud800\"')" 0
EVAL "return cjson.decode('{\"a\":1,\"a\":2}').a" 0
EVAL "return type(cjson.null) .. tostring(cjson.null == cjson.decode('null'))" 0
"#;

#[test]
fn scripting_cjson_library() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(&mut p, CJSON_CASES);
}

const SHEBANG_CASES: &str = r##"
EVAL "#!lua\nreturn 1" 0
EVAL "#!lua flags=no-writes\nreturn redis.call('get','x')" 0
EVAL "#!lua flags=no-writes\nreturn redis.call('set','x','1')" 0
EVAL "#!lua flags=no-writes,allow-oom\nreturn 2" 0
EVAL "#!lua flags=\nreturn 3" 0
EVAL "#!lua flags=bogus\nreturn 1" 0
EVAL "#!lua other=1\nreturn 1" 0
EVAL "#!python\nreturn 1" 0
EVAL "#!lua" 0
EVAL "#!lua\n\nerror('line three')" 0
EVAL "#!lua\nreturn redis.call('set','y','1')" 0
EVAL_RO "#!lua\nreturn redis.call('get','y')" 0
EVAL_RO "#!lua flags=no-writes\nreturn redis.call('get','y')" 0
EVAL_RO "return redis.call('get','y')" 0
SCRIPT LOAD "#!lua flags=no-writes\nreturn 9"
EVALSHA_RO 0a3e8b5bd2a0aac7bcbc4f3bd0e6a3c8a7c4e1d1 0
"##;

#[test]
fn scripting_shebang_flags() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(&mut p, SHEBANG_CASES);
}

const STRUCT_CASES: &str = r#"
EVAL "return struct.pack('>I2', 258)" 0
EVAL "return struct.pack('<i4i2bB', -2, 300, -1, 255)" 0
EVAL "return struct.pack('>d', 1.5) .. struct.pack('<f', -0.25)" 0
EVAL "return struct.pack('s', 'abc') .. struct.pack('c2', 'xyz') .. struct.pack('c0', 'hi') .. struct.pack('x')" 0
EVAL "return {struct.unpack('>I2', string.char(1, 2))}" 0
EVAL "return {struct.unpack('<i4', string.char(254, 255, 255, 255))}" 0
EVAL "return {struct.unpack('<bB', string.char(255, 255))}" 0
EVAL "return {struct.unpack('s', 'abc\0rest')}" 0
EVAL "return {struct.unpack('bc0', string.char(3) .. 'xyzw')}" 0
EVAL "return {struct.unpack('>I2', string.char(0, 0, 1, 2), 3)}" 0
EVAL "return {struct.unpack('!4 b i', string.char(1, 0, 0, 0, 5, 0, 0, 0))}" 0
EVAL "return {struct.size('i'), struct.size('!8bd'), struct.size('c10'), struct.size('>I3'), struct.size('q')}" 0
EVAL "return struct.size('s')" 0
EVAL "return struct.size('c0')" 0
EVAL "return struct.pack('q', 1)" 0
EVAL "return struct.pack('i40', 1)" 0
EVAL "return struct.pack('!3i', 1)" 0
EVAL "return struct.pack('c5', 'ab')" 0
EVAL "return struct.pack('i', 'x')" 0
EVAL "return struct.pack('i')" 0
EVAL "return {struct.unpack('i', 'ab')}" 0
EVAL "return {struct.unpack('s', 'abc')}" 0
EVAL "return {struct.unpack('c0', 'abc')}" 0
EVAL "return {struct.unpack('b', 'a', 0)}" 0
EVAL "return {struct.unpack('<d', struct.pack('<d', 3.25))}" 0
EVAL "return {struct.unpack('>l', struct.pack('>l', -123456789))}" 0
EVAL "struct.x = 1" 0
"#;

#[test]
fn scripting_struct_library() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(&mut p, STRUCT_CASES);
}

const CMSGPACK_CASES: &str = r#"
EVAL "return cmsgpack.pack(1, -1, 200, -200, 70000, -70000, 5000000000, -5000000000)" 0
EVAL "return cmsgpack.pack(1.5, 0.1, -0.25, 1e300, 1/0)" 0
EVAL "return cmsgpack.pack('x', string.rep('a', 40), string.rep('b', 300), true, false, nil)" 0
EVAL "return cmsgpack.pack({1, 2, 3}, {}, {a=1}, {1, nil, 3}, {[2]=1})" 0
EVAL "return cmsgpack.pack(function() end)" 0
EVAL "return cmsgpack.pack()" 0
EVAL "local t = {} t[1] = t return cmsgpack.pack(t)" 0
EVAL "return {cmsgpack.unpack(cmsgpack.pack(1, 'two', {3, 4}, {x='y'}, true, -7, 1.5))}" 0
EVAL "local a, b = cmsgpack.unpack(cmsgpack.pack({k={1,2}}, 9)) return {a.k[2], b}" 0
EVAL "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3))}" 0
EVAL "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 2)}" 0
EVAL "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2)}" 0
EVAL "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 5, 1)}" 0
EVAL "return {cmsgpack.unpack_one(cmsgpack.pack(1), 5)}" 0
EVAL "return {cmsgpack.unpack_limit('x', -1)}" 0
EVAL "return {cmsgpack.unpack(string.char(0xcd, 1))}" 0
EVAL "return {cmsgpack.unpack(string.char(0xc1))}" 0
EVAL "return {cmsgpack.unpack(string.char(0xc4, 1, 65))}" 0
EVAL "return {cmsgpack.unpack()}" 0
EVAL "return {cmsgpack.unpack({})}" 0
EVAL "return {cmsgpack.unpack_one('x', 'y')}" 0
EVAL "return {cmsgpack.unpack_limit('x')}" 0
EVAL "cmsgpack.x = 1" 0
"#;

#[test]
fn scripting_cmsgpack_library() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(&mut p, CMSGPACK_CASES);
}

/// A script for the debugger: locals of several types, calls, a loop,
/// redis.debug and redis.breakpoint.
const DEBUGGED: &str = "local a = 1
local t = {1, 2, 'x', {k = 'v'}, f = true}
redis.call('SET', KEYS[1], ARGV[1])
local v = redis.call('GET', KEYS[1])
redis.debug('dbg', a, t)
for i = 1, 3 do
  a = a + i
end
redis.breakpoint()
local r = redis.pcall('INCR', KEYS[1])
local long = string.rep('y', 300)
redis.call('SET', 'long', long)
return {a, v, r}";

/// The Lua debugger (SCRIPT DEBUG SYNC and YES) driven through a whole
/// session, every debugger command and error, each reply compared byte
/// for byte; then what the session left in the dataset (SYNC keeps it,
/// YES undoes it) and the debugger's refusals.
#[test]
fn lua_debugger_sessions_match() {
    let Some(mut p) = Pair::start() else { return };
    let steps: &[&[&str]] = &[
        &["help"],
        &["s"],
        &["step"],
        &["p"],
        &["print", "t"],
        &["p", "KEYS"],
        &["p", "ARGV"],
        &["p", "nosuch"],
        &["l"],
        &["list", "3", "1"],
        &["l", "0"],
        &["l", "99"],
        &["b", "7"],
        &["b", "7"],
        &["b"],
        &["b", "99"],
        &["b", "x", "05", "-0"],
        &["b", "-7"],
        &["break", "-7"],
        &["b", "4", "6"],
        &["b", "0"],
        &["e", "1 + 1"],
        &["eval", "a + 1"],
        &["e", "local x = 1"],
        &["e", "syntax error here"],
        &["e", "error('boom')"],
        &["e", "{1, {2}, x = 'y'}"],
        &["r", "SET", "k2", "v2"],
        &["redis", "GET", "k2"],
        &["r", "INCR", "k2"],
        &["r"],
        &["m"],
        &["maxlen", "5"],
        &["m", "0"],
        &["m", "100"],
        &["t"],
        &["trace"],
        &["zzz"],
        &["n"],
        &["next"],
        &["b", "8"],
        &["c"],
        &["p", "a"],
        &["continue"],
        &["s"],
        &["s"],
        &["p", "long"],
        &["w"],
        &["c"],
    ];
    for mode in ["SYNC", "YES"] {
        run_lines(&mut p, "FLUSHALL\nSET keep 1");
        let (mut a, mut b) = p.connect_more();
        for r in [&mut a, &mut b] {
            assert_eq!(r.cmd(&[b"SCRIPT", b"DEBUG", mode.as_bytes()]), b"+OK\r\n");
        }
        let eval: [&[u8]; 5] = [b"EVAL", DEBUGGED.as_bytes(), b"1", b"k", b"hello"];
        let (ours, theirs) = (a.cmd(&eval), b.cmd(&eval));
        assert_eq!(show(&ours), show(&theirs), "{mode}: the first stop");
        let mut ended = false;
        for step in steps {
            let args: Vec<&[u8]> = step.iter().map(|s| s.as_bytes()).collect();
            let (ours, theirs) = (a.cmd(&args), b.cmd(&args));
            assert_eq!(show(&ours), show(&theirs), "{mode}: {step:?}");
            if theirs.windows(12).any(|w| w == b"<endsession>") {
                ended = true;
                break;
            }
        }
        assert!(ended, "{mode}: the session did not end");
        // The EVAL's own reply, then the connection closes.
        assert_eq!(
            show(&a.read_reply()),
            show(&b.read_reply()),
            "{mode}: the reply"
        );
        for k in ["k", "k2", "long", "keep"] {
            p.check(&[b"GET".to_vec(), k.as_bytes().to_vec()], Cmp::Exact);
        }
    }
    // Aborting, a protocol error, EVALSHA and pipelining refused.
    for (mode, input) in [
        ("SYNC", &b"*1\r\n$5\r\nabort\r\n"[..]),
        ("YES", &b"garbage\r\n"[..]),
    ] {
        let (mut a, mut b) = p.connect_more();
        for r in [&mut a, &mut b] {
            assert_eq!(r.cmd(&[b"SCRIPT", b"DEBUG", mode.as_bytes()]), b"+OK\r\n");
        }
        let eval: [&[u8]; 5] = [b"EVAL", DEBUGGED.as_bytes(), b"1", b"k", b"hello"];
        let (ours, theirs) = (a.cmd(&eval), b.cmd(&eval));
        assert_eq!(show(&ours), show(&theirs));
        a.send(input);
        b.send(input);
        let (ours, theirs) = (a.read_reply(), b.read_reply());
        assert_eq!(
            show(&ours),
            show(&theirs),
            "{mode}: the end of an aborted session"
        );
        let (ours, theirs) = (a.read_reply(), b.read_reply());
        assert!(
            ours.starts_with(b"-") && theirs.starts_with(b"-"),
            "{mode}: {} / {}",
            show(&ours),
            show(&theirs)
        );
    }
    run_lines(
        &mut p,
        "SCRIPT DEBUG YES\nEVALSHA 0123456789012345678901234567890123456789 0\nSCRIPT DEBUG MAYBE\nSCRIPT DEBUG NO\nSCRIPT DEBUG",
    );
    let (mut a, mut b) = p.connect_more();
    let pipeline = b"*1\r\n$4\r\nPING\r\n*3\r\n$6\r\nSCRIPT\r\n$5\r\nDEBUG\r\n$3\r\nYES\r\n";
    a.send(pipeline);
    b.send(pipeline);
    for _ in 0..2 {
        assert_eq!(show(&a.read_reply()), show(&b.read_reply()), "pipelined");
    }
}

/// SCRIPT DEBUG YES forks (Redis's ldbStartSession): while the session
/// waits at a stop, other clients are served and see none of the
/// session's writes, which die with the child.
#[test]
fn lua_debugger_forked_session_leaves_the_server_serving() {
    let Some(mut p) = Pair::start() else { return };
    run_lines(&mut p, "FLUSHALL\nSET keep 1");
    let (mut a, mut b) = p.connect_more();
    let (mut oa, mut ob) = p.connect_more();
    for r in [&mut a, &mut b] {
        assert_eq!(r.cmd(&[b"SCRIPT", b"DEBUG", b"YES"]), b"+OK\r\n");
    }
    let script: &[u8] = b"redis.call('set', KEYS[1], 'in-session')\nredis.call('incr', 'keep')\nreturn redis.call('get', KEYS[1])";
    let eval: [&[u8]; 4] = [b"EVAL", script, b"1", b"dbg"];
    let (ours, theirs) = (a.cmd(&eval), b.cmd(&eval));
    assert_eq!(show(&ours), show(&theirs), "the first stop");
    let others: &[&[&[u8]]] = &[
        &[b"SET", b"other", b"x"],
        &[b"GET", b"other"],
        &[b"INCR", b"keep"],
    ];
    for cmd in others {
        let (ours, theirs) = (oa.cmd(cmd), ob.cmd(cmd));
        assert_eq!(
            show(&ours),
            show(&theirs),
            "served during the session: {cmd:?}"
        );
    }
    for step in [&[&b"s"[..]][..], &[b"s"]] {
        let (ours, theirs) = (a.cmd(step), b.cmd(step));
        assert_eq!(show(&ours), show(&theirs), "a step");
    }
    for cmd in [&[&b"GET"[..], b"dbg"][..], &[b"GET", b"keep"]] {
        let (ours, theirs) = (oa.cmd(cmd), ob.cmd(cmd));
        assert_eq!(
            show(&ours),
            show(&theirs),
            "the session's writes unseen: {cmd:?}"
        );
        assert!(!theirs.starts_with(b"$10"), "{}", show(&theirs));
    }
    let (ours, theirs) = (a.cmd(&[b"c"]), b.cmd(&[b"c"]));
    assert_eq!(show(&ours), show(&theirs), "the end");
    assert_eq!(show(&a.read_reply()), show(&b.read_reply()), "the reply");
    for k in ["dbg", "keep", "other"] {
        p.check(&[b"GET".to_vec(), k.as_bytes().to_vec()], Cmp::Exact);
    }
}
