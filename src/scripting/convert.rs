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
    let t = lua.create_table()?;
    t.raw_set("err", lua.create_string(&text)?)?;
    Ok(t)
}

/// A command's reply bytes as the Lua value a script gets.
pub fn reply_to_lua(lua: &Lua, reply: &[u8], _resp: u8) -> mlua::Result<Value> {
    let mut pos = 0;
    let v = parse(lua, reply, &mut pos, 0)?;
    Ok(v.unwrap_or(Value::Nil))
}

fn line<'a>(buf: &'a [u8], pos: &mut usize) -> mlua::Result<&'a [u8]> {
    let rest = buf.get(*pos..).unwrap_or_default();
    let end = memchr::memchr(b'\r', rest).ok_or_else(|| mlua::Error::runtime("bad reply"))?;
    *pos += end + 2;
    Ok(&rest[..end])
}

fn number(s: &[u8]) -> mlua::Result<i64> {
    crate::util::num::string2ll(s).ok_or_else(|| mlua::Error::runtime("bad reply"))
}

/// One reply; `None` for an attribute's ignored parts (never returned).
fn parse(lua: &Lua, buf: &[u8], pos: &mut usize, depth: usize) -> mlua::Result<Option<Value>> {
    if depth > MAX_DEPTH {
        return Err(mlua::Error::runtime("reply nested too deeply"));
    }
    let kind = *buf
        .get(*pos)
        .ok_or_else(|| mlua::Error::runtime("bad reply"))?;
    *pos += 1;
    let l = line(buf, pos)?;
    let table1 = |key: &str, v: Value| -> mlua::Result<Value> {
        let t = lua.create_table()?;
        t.raw_set(key, v)?;
        Ok(Value::Table(t))
    };
    Ok(Some(match kind {
        b':' => Value::Number(number(l)? as f64),
        b'$' | b'=' => {
            let n = number(l)?;
            if n < 0 {
                return Ok(Some(Value::Boolean(false)));
            }
            let n = n as usize;
            let body = buf
                .get(*pos..*pos + n)
                .ok_or_else(|| mlua::Error::runtime("bad reply"))?;
            *pos += n + 2;
            if kind == b'=' {
                let (format, text) = body.split_at(body.len().min(4));
                let inner = lua.create_table()?;
                inner.raw_set("string", lua.create_string(text)?)?;
                inner.raw_set("format", lua.create_string(&format[..format.len().min(3)])?)?;
                return Ok(Some(table1("verbatim_string", Value::Table(inner))?));
            }
            Value::String(lua.create_string(body)?)
        }
        b'+' => table1("ok", Value::String(lua.create_string(l)?))?,
        b'-' => {
            let mut err = vec![b'-'];
            err.extend_from_slice(l);
            let t = error_table(lua, &err)?;
            t.raw_set("ignore_error_stats_update", true)?;
            Value::Table(t)
        }
        b'*' | b'~' => {
            let n = number(l)?;
            if n < 0 {
                return Ok(Some(Value::Boolean(false)));
            }
            let t = lua.create_table()?;
            for i in 0..n {
                let v = parse(lua, buf, pos, depth + 1)?.unwrap_or(Value::Nil);
                if kind == b'*' {
                    t.raw_set(i + 1, v)?;
                } else {
                    t.raw_set(v, true)?;
                }
            }
            if kind == b'~' {
                table1("set", Value::Table(t))?
            } else {
                Value::Table(t)
            }
        }
        b'%' => {
            let n = number(l)?;
            let t = lua.create_table()?;
            for _ in 0..n {
                let k = parse(lua, buf, pos, depth + 1)?.unwrap_or(Value::Nil);
                let v = parse(lua, buf, pos, depth + 1)?.unwrap_or(Value::Nil);
                if k != Value::Nil {
                    t.raw_set(k, v)?;
                }
            }
            table1("map", Value::Table(t))?
        }
        b'|' => {
            let n = number(l)?;
            for _ in 0..n * 2 {
                parse(lua, buf, pos, depth + 1)?;
            }
            return parse(lua, buf, pos, depth + 1);
        }
        b'_' => Value::Nil,
        b'#' => Value::Boolean(l == b"t"),
        b',' => {
            let s = std::str::from_utf8(l).unwrap_or("0");
            let d = match s {
                "inf" => f64::INFINITY,
                "-inf" => f64::NEG_INFINITY,
                _ => s.parse().unwrap_or(0.0),
            };
            table1("double", Value::Number(d))?
        }
        b'(' => table1("big_number", Value::String(lua.create_string(l)?))?,
        _ => return Err(mlua::Error::runtime("bad reply")),
    }))
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
            c.reply.error(&msg);
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
        let pairs: Vec<(Value, Value)> =
            map.pairs::<Value, Value>().filter_map(Result::ok).collect();
        c.reply.map_len(pairs.len());
        for (k, v) in &pairs {
            lua_to_reply(s, c, k, script_resp, depth + 1);
            lua_to_reply(s, c, v, script_resp, depth + 1);
        }
        return;
    }
    if let Ok(Value::Table(set)) = t.raw_get::<Value>("set") {
        let keys: Vec<Value> = set
            .pairs::<Value, Value>()
            .filter_map(Result::ok)
            .map(|(k, _)| k)
            .collect();
        c.reply.set_len(keys.len());
        for k in &keys {
            lua_to_reply(s, c, k, script_resp, depth + 1);
        }
        return;
    }
    // An array: 1, 2, ... up to the first nil.
    let mut items = Vec::new();
    for i in 1.. {
        match t.raw_get::<Value>(i) {
            Ok(Value::Nil) | Err(_) => break,
            Ok(v) => items.push(v),
        }
    }
    c.reply.array_len(items.len());
    for v in &items {
        lua_to_reply(s, c, v, script_resp, depth + 1);
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
