//! Values across the Lua boundary, after Redis 7.0's script_lua.c: a
//! command's reply (RESP2 or RESP3 bytes) into Lua values
//! (redisProtocolToLuaType), a script's return value into a reply
//! (luaReplyToRedisReply), script arguments into argv, and error tables.

use crate::client::Client;
use crate::server::Server;
use mlua::{Lua, MultiValue, Table, Value};

/// Deeper than this a reply is refused, where Redis runs out of Lua stack.
const MAX_DEPTH: usize = 1000;

/// Lua's own `tostring` of a number ("%.14g").
pub fn lua_number_string(v: &Value) -> String {
    let n = match v {
        Value::Integer(i) => *i as f64,
        Value::Number(n) => *n,
        _ => return String::new(),
    };
    crate::util::num::fmt_g(n, 14)
}

/// redis.call's arguments as argv (luaArgsToRedisArgv): strings as they
/// are, numbers as "%.17g"; anything else refused.
pub fn args_to_argv(args: &MultiValue) -> Result<Vec<Vec<u8>>, &'static str> {
    if args.is_empty() {
        return Err("Please specify at least one argument for this redis lib call");
    }
    let mut argv = Vec::with_capacity(args.len());
    for v in args.iter() {
        match v {
            Value::String(s) => argv.push(s.as_bytes().to_vec()),
            Value::Integer(i) => argv.push(i.to_string().into_bytes()),
            Value::Number(n) => argv.push(crate::util::num::fmt_g17(*n).into_bytes()),
            _ => return Err("Lua redis lib command arguments must be strings or integers"),
        }
    }
    Ok(argv)
}

/// An error as a Lua table {err = "CODE message"} (luaPushErrorBuff): a
/// leading '-' means the first word is the code; otherwise the code is ERR.
pub fn error_table(lua: &Lua, err: &[u8]) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.raw_set("err", lua.create_string(error_text(err))?)?;
    Ok(t)
}

/// The `err` string of an error table (luaPushErrorBuff's formatting).
pub fn error_text(err: &[u8]) -> Vec<u8> {
    let (code, msg): (&[u8], &[u8]) = match err.strip_prefix(b"-") {
        Some(rest) => match rest.iter().position(|&c| c == b' ') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (b"ERR", rest),
        },
        None => (b"ERR", err),
    };
    let crlf = |c: &u8| *c == b'\r' || *c == b'\n';
    let start = msg.iter().position(|c| !crlf(c)).unwrap_or(msg.len());
    let end = msg.iter().rposition(|c| !crlf(c)).map_or(start, |i| i + 1);
    let mut text = code.to_vec();
    text.push(b' ');
    text.extend_from_slice(&msg[start..end.max(start)]);
    text
}

/// Push a command's reply bytes onto the Lua stack as the value a script
/// gets (redisProtocolToLuaType, on the C API like Redis's). False when
/// the bytes are not one whole reply (then nothing is left pushed).
///
/// # Safety
/// `state` is a running Lua state with room for the C API's stack use.
pub unsafe fn push_reply(state: *mut mlua::lua_State, buf: &[u8]) -> bool {
    let mut pos = 0;
    let top = unsafe { mlua::ffi::lua_gettop(state) };
    let ok = unsafe { push_one(state, buf, &mut pos, 0) };
    if !ok {
        unsafe { mlua::ffi::lua_settop(state, top) };
    }
    ok
}

/// Push an error table {err = text, ignore_error_stats_update = true}.
///
/// # Safety
/// As `push_reply`.
pub unsafe fn push_error(state: *mut mlua::lua_State, err: &[u8], counted: bool) {
    use mlua::ffi;
    let text = error_text(err);
    unsafe {
        ffi::lua_createtable(state, 0, 2);
        ffi::lua_pushlstring(state, text.as_ptr().cast(), text.len());
        ffi::lua_setfield(state, -2, c"err".as_ptr());
        if counted {
            ffi::lua_pushboolean(state, 1);
            ffi::lua_setfield(state, -2, c"ignore_error_stats_update".as_ptr());
        }
    }
}

unsafe fn push_one(state: *mut mlua::lua_State, buf: &[u8], pos: &mut usize, depth: usize) -> bool {
    use mlua::ffi;
    if depth > MAX_DEPTH || unsafe { ffi::lua_checkstack(state, 4) } == 0 {
        return false;
    }
    let Some(&kind) = buf.get(*pos) else {
        return false;
    };
    *pos += 1;
    let rest = buf.get(*pos..).unwrap_or_default();
    let Some(end) = memchr::memchr(b'\r', rest) else {
        return false;
    };
    let l = &rest[..end];
    *pos += end + 2;
    let n = || crate::util::num::string2ll(l);
    let setfield1 = |key: &std::ffi::CStr| unsafe {
        // {key = <value on top>}
        ffi::lua_createtable(state, 0, 1);
        ffi::lua_insert(state, -2);
        ffi::lua_setfield(state, -2, key.as_ptr());
    };
    match kind {
        b':' => match n() {
            Some(v) => unsafe { ffi::lua_pushnumber(state, v as f64) },
            None => return false,
        },
        b'$' | b'=' => {
            let Some(len) = n() else { return false };
            if len < 0 {
                unsafe { ffi::lua_pushboolean(state, 0) };
                return true;
            }
            let len = len as usize;
            let Some(body) = buf.get(*pos..pos.saturating_add(len)) else {
                return false;
            };
            *pos += len + 2;
            if kind == b'=' {
                let (format, text) = body.split_at(body.len().min(4));
                unsafe {
                    ffi::lua_createtable(state, 0, 2);
                    ffi::lua_pushlstring(state, text.as_ptr().cast(), text.len());
                    ffi::lua_setfield(state, -2, c"string".as_ptr());
                    let f = &format[..format.len().min(3)];
                    ffi::lua_pushlstring(state, f.as_ptr().cast(), f.len());
                    ffi::lua_setfield(state, -2, c"format".as_ptr());
                }
                setfield1(c"verbatim_string");
            } else {
                unsafe { ffi::lua_pushlstring(state, body.as_ptr().cast(), body.len()) };
            }
        }
        b'+' => {
            unsafe { ffi::lua_pushlstring(state, l.as_ptr().cast(), l.len()) };
            setfield1(c"ok");
        }
        b'-' => {
            let mut err = Vec::with_capacity(l.len() + 1);
            err.push(b'-');
            err.extend_from_slice(l);
            unsafe { push_error(state, &err, true) };
        }
        b'*' | b'~' => {
            let Some(count) = n() else { return false };
            if count < 0 {
                unsafe { ffi::lua_pushboolean(state, 0) };
                return true;
            }
            // lua_newtable and growth by insertion, as Redis builds it: the
            // table's layout decides `#` over holes (RESP3 nulls) and the
            // order pairs() walks.
            unsafe { ffi::lua_createtable(state, 0, 0) };
            for i in 0..count {
                if !unsafe { push_one(state, buf, pos, depth + 1) } {
                    return false;
                }
                unsafe {
                    if kind == b'*' {
                        ffi::lua_rawseti(state, -2, (i + 1) as _);
                    } else {
                        ffi::lua_pushboolean(state, 1);
                        ffi::lua_rawset(state, -3);
                    }
                }
            }
            if kind == b'~' {
                setfield1(c"set");
            }
        }
        b'%' => {
            let Some(count) = n() else { return false };
            unsafe { ffi::lua_createtable(state, 0, 0) };
            for _ in 0..count {
                if !unsafe { push_one(state, buf, pos, depth + 1) }
                    || !unsafe { push_one(state, buf, pos, depth + 1) }
                {
                    return false;
                }
                unsafe {
                    if ffi::lua_type(state, -2) == ffi::LUA_TNIL {
                        ffi::lua_settop(state, -3);
                    } else {
                        ffi::lua_rawset(state, -3);
                    }
                }
            }
            setfield1(c"map");
        }
        b'|' => {
            let Some(count) = n() else { return false };
            for _ in 0..count.saturating_mul(2) {
                if !unsafe { push_one(state, buf, pos, depth + 1) } {
                    return false;
                }
                unsafe { ffi::lua_settop(state, -2) };
            }
            return unsafe { push_one(state, buf, pos, depth + 1) };
        }
        b'_' => unsafe { ffi::lua_pushnil(state) },
        b'#' => unsafe { ffi::lua_pushboolean(state, (l == b"t") as i32) },
        b',' => {
            let s = std::str::from_utf8(l).unwrap_or("0");
            let d = match s {
                "inf" => f64::INFINITY,
                "-inf" => f64::NEG_INFINITY,
                _ => s.parse().unwrap_or(0.0),
            };
            unsafe { ffi::lua_pushnumber(state, d) };
            setfield1(c"double");
        }
        b'(' => {
            unsafe { ffi::lua_pushlstring(state, l.as_ptr().cast(), l.len()) };
            setfield1(c"big_number");
        }
        _ => return false,
    }
    true
}

/// `\r` and `\n` as spaces (Redis's sdsmapchars on status replies).
fn no_newlines(s: &[u8]) -> Vec<u8> {
    s.iter()
        .map(|&c| if c == b'\r' || c == b'\n' { b' ' } else { c })
        .collect()
}

/// A script's return value as the reply to `c` (luaReplyToRedisReply).
/// `script_resp` is the protocol the script chose with redis.setresp.
pub fn lua_to_reply(s: &mut Server, c: &mut Client, v: &Value, script_resp: u8, depth: usize) {
    if depth > MAX_DEPTH {
        s.add_reply_error(
            c,
            &crate::commands::ReplyError::new("ERR reached lua stack limit"),
        );
        return;
    }
    match v {
        Value::String(st) => c.reply.bulk(&st.as_bytes()),
        Value::Boolean(b) => {
            if script_resp == 2 {
                if *b {
                    c.reply.int(1);
                } else {
                    c.reply.null();
                }
            } else {
                c.reply.bool(*b);
            }
        }
        Value::Integer(i) => c.reply.int(*i),
        Value::Number(n) => c.reply.int(lua_number_to_i64(*n)),
        Value::Table(t) => table_to_reply(s, c, t, script_resp, depth),
        _ => c.reply.null(),
    }
}

/// C's `(long long)` of a Lua number as x86-64 computes it: toward zero,
/// and the "integer indefinite" value (i64::MIN) when out of range or NaN.
fn lua_number_to_i64(n: f64) -> i64 {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if (-LIMIT..LIMIT).contains(&n) {
        n as i64
    } else {
        i64::MIN
    }
}

fn table_to_reply(s: &mut Server, c: &mut Client, t: &Table, script_resp: u8, depth: usize) {
    if let Ok(Value::String(err)) = t.raw_get::<Value>("err") {
        let ignore = matches!(
            t.raw_get::<Value>("ignore_error_stats_update"),
            Ok(Value::Boolean(true))
        );
        let msg = no_newlines(&err.as_bytes());
        if ignore {
            // Counted where it happened; the script's command still failed.
            c.reply.error(&msg);
            if let Some(spec) = s.commands.get(c.last_cmd.as_bytes()) {
                s.count_failed_call(spec);
            }
        } else {
            s.add_reply_error(c, &crate::commands::ReplyError::bytes(msg));
        }
        return;
    }
    if let Ok(Value::String(ok)) = t.raw_get::<Value>("ok") {
        let text = no_newlines(&ok.as_bytes());
        c.reply.status(&String::from_utf8_lossy(&text));
        return;
    }
    if let Ok(Value::Number(d)) = t.raw_get::<Value>("double") {
        c.reply.double(d);
        return;
    }
    if let Ok(Value::Integer(d)) = t.raw_get::<Value>("double") {
        c.reply.double(d as f64);
        return;
    }
    if let Ok(Value::String(n)) = t.raw_get::<Value>("big_number") {
        let n = no_newlines(&n.as_bytes());
        if c.reply.resp >= 3 {
            c.reply.raw(b"(");
            c.reply.raw(&n);
            c.reply.raw(b"\r\n");
        } else {
            c.reply.bulk(&n);
        }
        return;
    }
    if let Ok(Value::Table(vt)) = t.raw_get::<Value>("verbatim_string")
        && let (Ok(Value::String(format)), Ok(Value::String(text))) =
            (vt.raw_get::<Value>("format"), vt.raw_get::<Value>("string"))
    {
        let (format, text) = (format.as_bytes(), text.as_bytes());
        if c.reply.resp >= 3 {
            let mut f = format.to_vec();
            f.resize(3, b' ');
            c.reply.raw(format!("={}\r\n", text.len() + 4).as_bytes());
            c.reply.raw(&f);
            c.reply.raw(b":");
            c.reply.raw(&text);
            c.reply.raw(b"\r\n");
        } else {
            c.reply.bulk(&text);
        }
        return;
    }
    if let Ok(Value::Table(map)) = t.raw_get::<Value>("map") {
        let n = map.pairs::<Value, Value>().filter(Result::is_ok).count();
        c.reply.map_len(n);
        for (k, v) in map.pairs::<Value, Value>().filter_map(Result::ok) {
            lua_to_reply(s, c, &k, script_resp, depth + 1);
            lua_to_reply(s, c, &v, script_resp, depth + 1);
        }
        return;
    }
    if let Ok(Value::Table(set)) = t.raw_get::<Value>("set") {
        let n = set.pairs::<Value, Value>().filter(Result::is_ok).count();
        c.reply.set_len(n);
        for (k, _) in set.pairs::<Value, Value>().filter_map(Result::ok) {
            lua_to_reply(s, c, &k, script_resp, depth + 1);
        }
        return;
    }
    // An array: 1, 2, ... up to the first nil.
    // Counted, then converted one by one: holding every item would take
    // a Lua stack slot for each string or table (a big reply overflows).
    let mut n = 0;
    while !matches!(t.raw_get::<Value>(n + 1), Ok(Value::Nil) | Err(_)) {
        n += 1;
    }
    c.reply.array_len(n);
    for i in 1..=n {
        let v = t.raw_get::<Value>(i).unwrap_or(Value::Nil);
        lua_to_reply(s, c, &v, script_resp, depth + 1);
    }
}

/// The error reply for a script that failed: the handler's table
/// {err, source, line} as Redis words it (luaCallFunction), and whether
/// errorstats already counted it.
pub fn error_reply_text(err: &Value, sha: &str) -> (Vec<u8>, bool) {
    let Value::Table(t) = err else {
        let msg = match err {
            Value::String(s) => String::from_utf8_lossy(&s.as_bytes()).into_owned(),
            _ => "execution failure".to_string(),
        };
        let msg: String = msg.chars().take(100).collect();
        return (
            format!("ERR Error running script {sha}, {msg}").into_bytes(),
            false,
        );
    };
    let text = |k: &str| -> Option<Vec<u8>> {
        match t.raw_get::<Value>(k).ok()? {
            Value::String(s) => Some(s.as_bytes().to_vec()),
            v @ (Value::Integer(_) | Value::Number(_)) => Some(lua_number_string(&v).into_bytes()),
            _ => None,
        }
    };
    let mut msg = text("err").unwrap_or_default();
    if let (Some(source), Some(line)) = (text("source"), text("line")) {
        msg.extend_from_slice(format!(" script: {sha}, on ").as_bytes());
        msg.extend_from_slice(&source);
        msg.push(b':');
        msg.extend_from_slice(&line);
        msg.push(b'.');
    }
    let ignore = matches!(
        t.raw_get::<Value>("ignore_error_stats_update"),
        Ok(Value::Boolean(true))
    );
    (msg, ignore)
}

/// The text Lua gave for a script that does not compile.
pub fn compile_error_text(e: &mlua::Error) -> String {
    match e {
        mlua::Error::SyntaxError { message, .. } => message.clone(),
        other => other.to_string(),
    }
}
