//! The Rust half of the Redis API for Lua: the `__redis_bridge` table
//! prelude.lua takes its functions from (then removes from the globals).
//! Functions that can fail return `ok, value...` (or `false, message`);
//! prelude.lua raises the message at the script's line, as the C
//! libraries' luaL_error places it.

use super::{
    REDIS_VERSION, REDIS_VERSION_NUM, bitop, cjson, cmsgpack, convert, lua_c_wrap, lua_redis_call,
    lua_redis_pcall, sha1, srand48, structlib, tobit, tohex, with_server,
};
use mlua::{Lua, MultiValue, Table, Value};

/// `true, value` or `false, message`.
fn outcome(lua: &Lua, r: Result<mlua::Result<Value>, String>) -> mlua::Result<(bool, Value)> {
    Ok(match r {
        Ok(v) => (true, v?),
        Err(msg) => (false, Value::String(lua.create_string(msg)?)),
    })
}

/// `true, values...` or `false, message`.
fn outcomes(lua: &Lua, r: Result<Vec<Value>, String>) -> mlua::Result<MultiValue> {
    let mut out = MultiValue::new();
    match r {
        Ok(values) => {
            out.push_back(Value::Boolean(true));
            out.extend(values);
        }
        Err(msg) => {
            out.push_back(Value::Boolean(false));
            out.push_back(Value::String(lua.create_string(msg)?));
        }
    }
    Ok(out)
}

/// The bridge table, made once per Lua state.
/// The cjson settings prelude.lua keeps (its `cj` table).
fn cjson_options(cfg: &Table) -> cjson::Options {
    let d = cjson::Options::default();
    let int = |k: &str, dflt: i64| cfg.raw_get::<Option<i64>>(k).ok().flatten().unwrap_or(dflt);
    let flag = |k: &str, dflt: bool| {
        cfg.raw_get::<Option<bool>>(k)
            .ok()
            .flatten()
            .unwrap_or(dflt)
    };
    cjson::Options {
        encode_max_depth: int("encode_max_depth", d.encode_max_depth as i64).max(1) as usize,
        decode_max_depth: int("decode_max_depth", d.decode_max_depth as i64).max(1) as usize,
        encode_invalid: int("encode_invalid", 0).clamp(0, 2) as u8,
        decode_invalid: flag("decode_invalid", d.decode_invalid),
        precision: int("precision", d.precision as i64).clamp(1, 14) as usize,
        sparse_convert: flag("sparse_convert", d.sparse_convert),
        sparse_ratio: int("sparse_ratio", d.sparse_ratio),
        sparse_safe: int("sparse_safe", d.sparse_safe),
    }
}

pub(super) fn make(lua: &Lua) -> mlua::Result<Table> {
    let bridge = lua.create_table()?;
    // SAFETY: two C functions with the lua_CFunction contract (below).
    unsafe {
        bridge.set("call", lua.create_c_function(lua_redis_call)?)?;
        bridge.set("pcall", lua.create_c_function(lua_redis_pcall)?)?;
        bridge.set("c_wrap", lua.create_c_function(lua_c_wrap)?)?;
    }
    bridge.set(
        "sha1hex",
        lua.create_function(|lua, s: Value| {
            let bytes = match &s {
                Value::String(s) => s.as_bytes().to_vec(),
                Value::Integer(_) | Value::Number(_) => convert::lua_number_string(&s).into_bytes(),
                _ => Vec::new(),
            };
            lua.create_string(sha1::sha1_hex(&bytes))
        })?,
    )?;
    bridge.set(
        "error_table",
        lua.create_function(|lua, s: mlua::LuaString| {
            let mut err = s.as_bytes().to_vec();
            if err.first() != Some(&b'-') {
                err.insert(0, b'-');
            }
            convert::error_table(lua, &err)
        })?,
    )?;
    bridge.set(
        "log",
        lua.create_function(|_, args: MultiValue| {
            let mut it = args.into_iter();
            let level = match it.next() {
                Some(Value::Number(n)) => n as i64,
                Some(Value::Integer(n)) => n,
                _ => 0,
            };
            let words: Vec<String> = it
                .map(|v| match v {
                    Value::String(s) => String::from_utf8_lossy(&s.as_bytes()).into_owned(),
                    other => convert::lua_number_string(&other),
                })
                .collect();
            let msg = words.join(" ");
            match level {
                0 => log::debug!("{msg}"),
                1 | 2 => log::info!("{msg}"),
                _ => log::warn!("{msg}"),
            }
            Ok(())
        })?,
    )?;
    bridge.set(
        "interrupt",
        lua.create_function(|_, ()| Ok(super::script_interrupt()))?,
    )?;
    bridge.set(
        "now_ms",
        lua.create_function(|_, ()| Ok(crate::util::time::mstime()))?,
    )?;
    bridge.set("version", REDIS_VERSION)?;
    bridge.set("version_num", REDIS_VERSION_NUM)?;
    bridge.set(
        "setresp",
        lua.create_function(|lua, v: i64| {
            with_server(lua, |s| {
                if let Some(c) = s.scripting.client.as_mut() {
                    c.reply.resp = v as u8;
                }
            })
        })?,
    )?;
    bridge.set(
        "set_repl",
        lua.create_function(|lua, v: i64| with_server(lua, |s| s.scripting.run.repl = v as u8))?,
    )?;
    bridge.set(
        "rand48",
        lua.create_function(|lua, ()| with_server(lua, |s| s.scripting.next_random()))?,
    )?;
    bridge.set(
        "srand48",
        lua.create_function(|lua, seed: i64| {
            with_server(lua, |s| s.scripting.rand48 = srand48(seed as i32))
        })?,
    )?;
    bridge.set(
        "acl_check",
        // redis.acl_check_cmd: nil for an unknown command, else whether
        // the script's caller may run the command line.
        lua.create_function(|lua, args: MultiValue| {
            let argv = convert::args_to_argv(&args).unwrap_or_default();
            with_server(lua, |s| match s.commands.lookup(&argv) {
                crate::commands::Lookup::Found(spec) => {
                    let user = s.scripting.caller_user();
                    Some(s.acl.check(&s.commands, user, spec, &argv).is_ok())
                }
                _ => None,
            })
        })?,
    )?;
    bridge.set(
        "bitop",
        lua.create_function(|_, (op, args): (mlua::LuaString, mlua::Variadic<f64>)| {
            Ok(bitop(&op.as_bytes(), &args) as f64)
        })?,
    )?;
    bridge.set(
        "tohex",
        lua.create_function(|lua, (x, n): (f64, f64)| {
            lua.create_string(tohex(tobit(x), tobit(n)))
        })?,
    )?;
    bridge.set(
        "cjson_encode",
        lua.create_function(|lua, (v, cfg): (Value, Table)| {
            let o = cjson_options(&cfg);
            outcome(
                lua,
                cjson::encode_with(&v, &o).map(|t| lua.create_string(t).map(Value::String)),
            )
        })?,
    )?;
    bridge.set(
        "cjson_decode",
        lua.create_function(|lua, (s, cfg): (mlua::LuaString, Table)| {
            let o = cjson_options(&cfg);
            outcome(lua, cjson::decode_with(lua, &s.as_bytes(), &o).map(Ok))
        })?,
    )?;
    bridge.set("cjson_null", cjson::null())?;
    bridge.set(
        "struct_pack",
        lua.create_function(|lua, args: MultiValue| {
            let args: Vec<Value> = args.into_iter().collect();
            outcome(
                lua,
                structlib::pack(&args).map(|b| lua.create_string(b).map(Value::String)),
            )
        })?,
    )?;
    bridge.set(
        "struct_unpack",
        lua.create_function(|lua, args: MultiValue| {
            let args: Vec<Value> = args.into_iter().collect();
            outcomes(lua, structlib::unpack(lua, &args))
        })?,
    )?;
    bridge.set(
        "mp_pack",
        lua.create_function(|lua, args: MultiValue| {
            let args: Vec<Value> = args.into_iter().collect();
            outcome(
                lua,
                cmsgpack::pack(&args).map(|b| lua.create_string(b).map(Value::String)),
            )
        })?,
    )?;
    bridge.set(
        "mp_unpack",
        lua.create_function(|lua, (s, limit, offset): (mlua::LuaString, f64, f64)| {
            outcomes(
                lua,
                cmsgpack::unpack(lua, &s.as_bytes(), limit as i64, offset as i64),
            )
        })?,
    )?;
    bridge.set(
        "struct_size",
        lua.create_function(|lua, args: MultiValue| {
            let args: Vec<Value> = args.into_iter().collect();
            outcome(lua, structlib::size(&args).map(|n| Ok(Value::Number(n))))
        })?,
    )?;
    super::ldb::register(lua, &bridge)?;
    Ok(bridge)
}
