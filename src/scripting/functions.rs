//! Redis 7.0's functions (functions.c and function_lua.c): libraries of
//! Lua functions loaded with FUNCTION LOAD, kept by name, called with
//! FCALL, saved in RDB files (opcode FUNCTION2) and the AOF.
//!
//! The functions run in a Lua state of their own (the engine made with
//! `FUNCTIONS` set in prelude.lua), apart from EVAL's: SCRIPT FLUSH does not
//! touch them, FUNCTION FLUSH does not touch EVAL's cache.

use super::{Engine, ScriptFlags, convert};
use crate::server::Server;
use mlua::{Function, Table, Value};
use std::collections::BTreeMap;

/// Redis's LOAD_TIMEOUT_MS: how long a library's code may run at FUNCTION
/// LOAD (none when loading from a file).
pub const LOAD_TIMEOUT_MS: i64 = 500;

/// The one engine, as FUNCTION STATS and LIST name it.
pub const ENGINE_NAME: &str = "LUA";

/// One registered function.
#[derive(Clone, Debug)]
pub struct FunctionInfo {
    pub name: std::sync::Arc<str>,
    /// The name lowercased: the functions engine's key for its callback.
    pub key: std::sync::Arc<str>,
    /// The callback's slot in the engine's Lua registry (set when linked).
    pub id: i32,
    pub desc: Option<Vec<u8>>,
    pub flags: ScriptFlags,
}

/// One library: its source (shebang included) and its functions, in the
/// order they were registered.
#[derive(Clone, Debug)]
pub struct Library {
    pub name: String,
    pub code: Vec<u8>,
    pub functions: Vec<FunctionInfo>,
}

/// The loaded libraries. Library names are case-sensitive; function names
/// are not (Redis's functionDictType), and are unique across libraries.
#[derive(Default)]
pub struct Registry {
    pub libraries: BTreeMap<String, Library>,
    /// Lowercased function name → the function (a copy of its library's
    /// entry: FCALL's one lookup).
    functions: crate::util::hash::FastMap<String, FunctionInfo>,
}

impl Registry {
    pub fn function(&self, name: &[u8]) -> Option<&FunctionInfo> {
        // Lowercased on the stack: this runs for every FCALL.
        let mut buf = [0u8; 64];
        let owned;
        let key: &[u8] = if name.len() <= buf.len() {
            let b = &mut buf[..name.len()];
            b.copy_from_slice(name);
            b.make_ascii_lowercase();
            b
        } else {
            owned = name.to_ascii_lowercase();
            &owned
        };
        let key = std::str::from_utf8(key).ok()?;
        self.functions.get(key)
    }

    pub fn num_functions(&self) -> usize {
        self.functions.len()
    }

    /// Every library's source, for an RDB or an AOF rewrite.
    pub fn codes(&self) -> Vec<Vec<u8>> {
        self.libraries.values().map(|l| l.code.clone()).collect()
    }

    fn unlink(&mut self, name: &str) -> Option<Library> {
        let lib = self.libraries.remove(name)?;
        for f in &lib.functions {
            self.functions.remove(&f.name.to_ascii_lowercase());
        }
        Some(lib)
    }

    fn link(&mut self, lib: Library) {
        for f in &lib.functions {
            self.functions.insert(f.key.to_string(), f.clone());
        }
        self.libraries.insert(lib.name.clone(), lib);
    }

    /// A function of `lib` whose name another library has.
    fn collision<'a>(&self, lib: &'a Library) -> Option<&'a str> {
        lib.functions
            .iter()
            .find(|f| self.functions.contains_key(&f.name.to_ascii_lowercase()))
            .map(|f| &*f.name)
    }
}

/// Is this a valid library or function name (functionsVerifyName)?
fn valid_name(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'_')
}

const BAD_NAME: &str = "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";

/// A library's metadata line (functionExtractLibMetaData): the engine, the
/// name, and where the code after the shebang line starts (at its newline,
/// so line numbers count the shebang).
fn metadata(code: &[u8]) -> Result<(Vec<u8>, String, usize), String> {
    if !code.starts_with(b"#!") {
        return Err("Missing library metadata".into());
    }
    let Some(end) = memchr::memchr(b'\n', code) else {
        return Err("Invalid library metadata".into());
    };
    let parts = match crate::resp::parse::split_args(&code[..end]) {
        Some(p) if !p.is_empty() => p,
        _ => return Err("Invalid library metadata".into()),
    };
    let engine = parts[0].get(2..).unwrap_or_default().to_vec();
    let mut name: Option<Vec<u8>> = None;
    for part in &parts[1..] {
        if part.len() >= 5 && part[..5].eq_ignore_ascii_case(b"name=") {
            if name.is_some() {
                return Err(
                    "Invalid metadata value, name argument was given multiple times".into(),
                );
            }
            name = Some(part[5..].to_vec());
            continue;
        }
        return Err(format!(
            "Invalid metadata value given: {}",
            String::from_utf8_lossy(part)
        ));
    }
    let Some(name) = name else {
        return Err("Library name was not given".into());
    };
    if !valid_name(&name) {
        return Err(BAD_NAME.into());
    }
    // valid_name admits ASCII only.
    let name = String::from_utf8_lossy(&name).into_owned();
    Ok((engine, name, end))
}

/// A library compiled and run in the functions engine, not yet linked.
struct Compiled {
    lib: Library,
    callbacks: Vec<Function>,
}

/// Compile and run a library's code (luaEngineCreate).
fn compile(engine: &Engine, code: &[u8], limit_ms: i64) -> Result<Compiled, String> {
    let (eng, name, body_at) = metadata(code)?;
    if !eng.eq_ignore_ascii_case(ENGINE_NAME.as_bytes()) {
        return Err(format!(
            "Engine '{}' not found",
            String::from_utf8_lossy(&eng)
        ));
    }
    let Some(loader) = engine.loader.as_ref() else {
        return Err("Engine 'LUA' not found".into());
    };
    let chunk = engine
        .lua
        .load(&code[body_at..])
        .set_name("@user_function")
        .into_function()
        .map_err(|e| {
            format!(
                "Error compiling function: {}",
                convert::compile_error_text(&e)
            )
        })?;
    let (ok, result): (bool, Value) = loader
        .call((chunk, limit_ms))
        .map_err(|e| format!("Error registering functions: ERR {e}"))?;
    if !ok {
        let msg = match &result {
            Value::Table(t) => match t.raw_get::<Value>("err") {
                Ok(Value::String(s)) => s.to_string_lossy(),
                _ => "ERR unknown error".to_string(),
            },
            Value::String(s) => format!("ERR {}", s.to_string_lossy()),
            _ => "ERR unknown error".to_string(),
        };
        return Err(format!("Error registering functions: {msg}"));
    }
    let Value::Table(list) = result else {
        return Err("No functions registered".into());
    };
    let mut lib = Library {
        name,
        code: code.to_vec(),
        functions: Vec::new(),
    };
    let mut callbacks = Vec::new();
    for entry in list.sequence_values::<Table>() {
        let entry = entry.map_err(|e| e.to_string())?;
        let fname: String = entry.raw_get(1).map_err(|e| e.to_string())?;
        let callback: Function = entry.raw_get(2).map_err(|e| e.to_string())?;
        let flag_list: Table = entry.raw_get(3).map_err(|e| e.to_string())?;
        let desc: Option<mlua::LuaString> = entry.raw_get(4).map_err(|e| e.to_string())?;
        let mut flags = ScriptFlags::default();
        for f in flag_list.sequence_values::<String>() {
            match f.map_err(|e| e.to_string())?.as_str() {
                "no-writes" => flags.no_writes = true,
                "allow-oom" => flags.allow_oom = true,
                "allow-stale" => flags.allow_stale = true,
                "no-cluster" => flags.no_cluster = true,
                _ => flags.allow_cross_slot = true,
            }
        }
        lib.functions.push(FunctionInfo {
            key: fname.to_ascii_lowercase().into(),
            id: 0,
            name: fname.into(),
            desc: desc.map(|d| d.as_bytes().to_vec()),
            flags,
        });
        callbacks.push(callback);
    }
    if lib.functions.is_empty() {
        return Err("No functions registered".into());
    }
    Ok(Compiled { lib, callbacks })
}

/// FUNCTION RESTORE's policies.
#[derive(Clone, Copy, PartialEq)]
pub enum RestorePolicy {
    Append,
    Replace,
    Flush,
}

impl Server {
    /// The functions engine, made on first use.
    fn functions_engine(&mut self) -> Result<&mut Engine, String> {
        if self.scripting.fengine.is_none() {
            let e = Engine::new(true).map_err(|e| format!("can't start Lua: {e}"))?;
            self.scripting.fengine = Some(e);
        }
        self.scripting
            .fengine
            .as_mut()
            .ok_or_else(|| "Lua is busy".to_string())
    }

    /// FUNCTION LOAD (functionsCreateWithLibraryCtx): the library's name.
    /// `limit_ms` 0 runs the code without a time limit.
    pub fn function_load(
        &mut self,
        code: &[u8],
        replace: bool,
        limit_ms: i64,
    ) -> Result<String, String> {
        let (_, name, _) = metadata(code)?;
        let exists = self.scripting.functions.libraries.contains_key(&name);
        if exists && !replace {
            // Redis checks the engine first.
            let (eng, _, _) = metadata(code)?;
            if !eng.eq_ignore_ascii_case(ENGINE_NAME.as_bytes()) {
                return Err(format!(
                    "Engine '{}' not found",
                    String::from_utf8_lossy(&eng)
                ));
            }
            return Err(format!("Library '{name}' already exists"));
        }
        let compiled = compile(self.functions_engine()?, code, limit_ms)?;
        self.link_compiled(vec![compiled], true)?;
        Ok(name)
    }

    /// Link compiled libraries, replacing libraries of the same name when
    /// `replace` (else refusing them), refusing function name collisions
    /// (libraryJoin); on a refusal nothing changes.
    fn link_compiled(&mut self, compiled: Vec<Compiled>, replace: bool) -> Result<(), String> {
        let reg = &mut self.scripting.functions;
        let mut old = Vec::new();
        let mut result = Ok(());
        for c in &compiled {
            if reg.libraries.contains_key(&c.lib.name) {
                if !replace {
                    result = Err(format!("Library {} already exists", c.lib.name));
                    break;
                }
                old.extend(reg.unlink(&c.lib.name));
            }
        }
        if result.is_ok() {
            // Collisions with what stays, and among the new libraries.
            let mut seen = std::collections::HashSet::new();
            'outer: for c in &compiled {
                if let Some(f) = reg.collision(&c.lib) {
                    result = Err(format!("Function {f} already exists"));
                    break;
                }
                for f in &c.lib.functions {
                    if !seen.insert(f.name.to_ascii_lowercase()) {
                        result = Err(format!("Function {} already exists", f.name));
                        break 'outer;
                    }
                }
            }
        }
        if let Err(e) = result {
            for lib in old {
                reg.link(lib);
            }
            return Err(e);
        }
        let Some(engine) = self.scripting.fengine.as_mut() else {
            return Err("Lua is busy".into());
        };
        for lib in &old {
            for f in &lib.functions {
                if let Some(k) = engine.funcs.remove(&*f.key) {
                    let _ = engine.lua.remove_registry_value(k);
                }
            }
        }
        for mut c in compiled {
            for (f, cb) in c.lib.functions.iter_mut().zip(c.callbacks) {
                let k = engine
                    .lua
                    .create_registry_value(cb)
                    .map_err(|e| e.to_string())?;
                f.id = k.id();
                engine.funcs.insert(f.key.to_string(), k);
            }
            reg.link(c.lib);
        }
        Ok(())
    }

    /// FUNCTION DELETE.
    pub fn function_delete(&mut self, name: &[u8]) -> Result<(), String> {
        let name = String::from_utf8_lossy(name).into_owned();
        let Some(lib) = self.scripting.functions.unlink(&name) else {
            return Err("Library not found".into());
        };
        if let Some(engine) = self.scripting.fengine.as_mut() {
            for f in &lib.functions {
                if let Some(k) = engine.funcs.remove(&*f.key) {
                    let _ = engine.lua.remove_registry_value(k);
                }
            }
        }
        Ok(())
    }

    /// FUNCTION FLUSH: no libraries, and a fresh functions engine.
    pub fn functions_flush(&mut self) {
        self.functions_flush_lazy(false);
    }

    /// FUNCTION FLUSH [ASYNC]: with `lazy`, a registry of more than 64
    /// functions is freed on the lazy-free thread (Redis's
    /// freeFunctionsAsync); the engine's Lua state closes here.
    pub fn functions_flush_lazy(&mut self, lazy: bool) {
        let registry = std::mem::take(&mut self.scripting.functions);
        self.scripting.fengine = None;
        let n = registry.num_functions();
        if lazy && n > crate::lazyfree::LAZYFREE_THRESHOLD {
            self.lazyfree.free_later(Box::new(registry), n);
        }
    }

    /// FUNCTION DUMP (functionDumpCommand): FUNCTION2 and the source of
    /// each library, then the RDB version and a CRC64, as DUMP's payloads.
    pub fn functions_dump(&self) -> Vec<u8> {
        let mut w = crate::persistence::rdb::RdbWriter::bare(Vec::new());
        for lib in self.scripting.functions.libraries.values() {
            let _ = w.write_function(&lib.code);
        }
        let mut payload = w.into_inner().unwrap_or_default();
        payload.extend_from_slice(&(crate::persistence::rdb::RDB_VERSION as u16).to_le_bytes());
        let crc = crate::persistence::crc64::crc64(0, &payload);
        payload.extend_from_slice(&crc.to_le_bytes());
        payload
    }

    /// FUNCTION RESTORE (functionRestoreCommand).
    pub fn functions_restore(
        &mut self,
        payload: &[u8],
        policy: RestorePolicy,
    ) -> Result<(), String> {
        let codes = crate::persistence::rdb::function_payload(payload)?;
        // Compile into a scratch registry first: a payload that does not
        // load changes nothing.
        let mut compiled = Vec::new();
        let mut names = std::collections::HashSet::new();
        for code in &codes {
            let c = compile(self.functions_engine()?, code, 0)?;
            if !names.insert(c.lib.name.clone()) {
                return Err(format!("Library '{}' already exists", c.lib.name));
            }
            compiled.push(c);
        }
        if policy == RestorePolicy::Flush {
            // The engine stays: the new callbacks live in it.
            self.scripting.functions = Registry::default();
            if let Some(e) = self.scripting.fengine.as_mut() {
                for (_, k) in e.funcs.drain() {
                    let _ = e.lua.remove_registry_value(k);
                }
            }
        }
        self.link_compiled(compiled, policy == RestorePolicy::Replace)
    }

    /// Load the libraries an RDB file held (its FUNCTION2 opcodes), as
    /// Redis's rdbFunctionLoad does: no time limit, a duplicate is an error.
    pub fn functions_load_from_rdb(&mut self, codes: &[Vec<u8>]) -> Result<(), String> {
        self.functions_load_from_rdb_replacing(codes, false)
    }

    /// The same, a library of a loaded name replacing it when `replace`.
    pub fn functions_load_from_rdb_replacing(
        &mut self,
        codes: &[Vec<u8>],
        replace: bool,
    ) -> Result<(), String> {
        for code in codes {
            let c = compile(self.functions_engine()?, code, 0)?;
            self.link_compiled(vec![c], replace)?;
        }
        Ok(())
    }
}
