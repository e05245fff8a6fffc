//! Lua scripting, after Redis 7.0's eval.c, script.c and script_lua.c: one
//! Lua 5.1 state (mlua, vendored), the script cache by SHA-1, and the
//! bridge a script's `redis.call` crosses to run a command.
//!
//! A script runs inside the event loop, atomically. Its commands go
//! through `Server::call` on the scripting client (the loop's one path), so
//! they reach the propagation queue of the EVAL's execution unit: a script
//! is propagated as its effects, wrapped in MULTI/EXEC when there are
//! several, never as EVAL (a replay never runs Lua).
//!
//! While the script runs the Lua state is out of `Server` and a pointer to
//! the server is in the state's app data, valid only for that run: the
//! bridge functions reach the server through it (see `Bridge`).

mod bridge;
pub mod cjson;
pub mod cmsgpack;
pub mod convert;
pub mod functions;
pub mod ldb;
pub mod sha1;
pub mod structlib;

use crate::client::Client;
use crate::server::Server;
use crate::util::hash::FastMap;
use mlua::{Function, Lua, Table, Value};

/// Redis 7.0.15, as scripts see it.
const REDIS_VERSION: &str = "7.0.15";
const REDIS_VERSION_NUM: i64 = 0x0007_000f;

/// A script's shebang flags (`#!lua flags=no-writes,...`, Redis 7.0).
#[derive(Clone, Copy, Default, PartialEq, Debug)]
pub struct ScriptFlags {
    /// No shebang: Redis's EVAL compatibility mode, where flags do not apply.
    pub compat: bool,
    pub no_writes: bool,
    pub allow_oom: bool,
    pub allow_stale: bool,
    pub no_cluster: bool,
    pub allow_cross_slot: bool,
}

/// Read a script's shebang line (Redis's evalExtractShebangFlags): its
/// flags and how many bytes of the body it takes (the newline stays, so
/// line numbers do not move).
pub fn shebang_flags(body: &[u8]) -> Result<(ScriptFlags, usize), String> {
    let mut flags = ScriptFlags {
        compat: true,
        ..ScriptFlags::default()
    };
    if !body.starts_with(b"#!") {
        return Ok((flags, 0));
    }
    let Some(len) = memchr::memchr(b'\n', body) else {
        return Err("Invalid script shebang".into());
    };
    let parts = match crate::resp::parse::split_args(&body[..len]) {
        Some(p) if !p.is_empty() => p,
        _ => return Err("Invalid engine in script shebang".into()),
    };
    if parts[0] != b"#!lua" {
        return Err(format!(
            "Unexpected engine in script shebang: {}",
            String::from_utf8_lossy(&parts[0])
        ));
    }
    flags.compat = false;
    for part in &parts[1..] {
        let Some(list) = part.strip_prefix(b"flags=") else {
            return Err(format!(
                "Unknown lua shebang option: {}",
                String::from_utf8_lossy(part)
            ));
        };
        if list.is_empty() {
            continue;
        }
        for flag in list.split(|&c| c == b',') {
            match flag {
                b"no-writes" => flags.no_writes = true,
                b"allow-oom" => flags.allow_oom = true,
                b"allow-stale" => flags.allow_stale = true,
                b"no-cluster" => flags.no_cluster = true,
                b"allow-cross-slot-keys" => flags.allow_cross_slot = true,
                other => {
                    return Err(format!(
                        "Unexpected flag in script shebang: {}",
                        String::from_utf8_lossy(other)
                    ));
                }
            }
        }
    }
    Ok((flags, len))
}

impl Scripting {
    /// The flags of the script an EVAL/EVALSHA/FCALL (and their _RO
    /// forms) would run, as Redis's getCommandFlags finds them: a cached
    /// script's or an EVAL body's shebang, a function's flags; None when
    /// there is nothing to run (the command's own flags apply).
    pub fn flags_for_call(&self, name: &str, argv: &[Vec<u8>]) -> Option<ScriptFlags> {
        let arg = argv.get(1)?;
        match name {
            "eval" | "eval_ro" => shebang_flags(arg).ok().map(|(f, _)| f),
            "evalsha" | "evalsha_ro" => {
                let sha = std::str::from_utf8(arg).ok()?.to_ascii_lowercase();
                self.scripts.get(&sha).map(|s| s.1)
            }
            _ => self.functions.function(arg).map(|f| f.flags),
        }
    }
}

/// The running function's name and the FCALL that runs it.
pub type RunningFunction = (std::sync::Arc<str>, std::rc::Rc<Vec<Vec<u8>>>);

/// The scripting engine's state on the server.
pub struct Scripting {
    /// None while a script runs (it is lent out), or before first use.
    lua: Option<Engine>,
    /// The functions engine (its own Lua state), lent out the same way.
    fengine: Option<Engine>,
    /// The loaded function libraries.
    pub functions: functions::Registry,
    /// The running function's name and FCALL, for FUNCTION STATS.
    pub running_function: Option<RunningFunction>,
    /// SHA-1 (lowercase hex) → body and shebang flags, for SCRIPT EXISTS
    /// and EVALSHA.
    pub scripts: FastMap<String, (Vec<u8>, ScriptFlags, i32)>,
    /// Bytes of the cached bodies (used_memory_scripts_eval).
    pub scripts_mem: usize,
    /// The client scripts run their commands as (Redis's lua_client).
    /// Boxed: it is taken out and put back around every call a script
    /// makes, and a Client is too big to move each time.
    client: Option<Box<Client>>,
    /// Redis's rand48 state for math.random: one sequence for the
    /// process, never reseeded between scripts (as in 7.0).
    rand48: u64,
    /// What the running script may do, and what it did.
    run: RunState,
    /// A reply buffer handed back and forth with the scripting client, so
    /// a script's calls do not allocate one each.
    spare_reply: Vec<u8>,
    /// Likewise an argv for a script's calls.
    spare_argv: Vec<Vec<u8>>,
    gc_count: u32,
    /// CLIENT INFO of the client running the script, for ACL LOG entries
    /// of its refused calls (None when its user cannot be refused).
    pub caller_info: Option<Vec<u8>>,
    /// The Lua debugger's session (SCRIPT DEBUG).
    pub ldb: ldb::Ldb,
}

#[derive(Clone, Copy)]
struct RunState {
    /// When the running script started (busy-reply-threshold); read only
    /// while one runs (an idle state needs no clock read).
    started: Option<std::time::Instant>,
    /// Past busy-reply-threshold: other clients are served -BUSY.
    busy: bool,
    /// SCRIPT KILL asked for it to stop.
    killed: bool,
    /// It ran a write command: SCRIPT KILL refuses (UNKILLABLE).
    wrote: bool,
    /// A script is running.
    running: bool,
    /// It is an EVAL's (else an FCALL's): which KILL stops it.
    is_eval: bool,
    read_only: bool,
    /// A shebang with allow-oom: its writes are never refused for memory.
    allow_oom: bool,
    /// The time keys expire by while the script runs: its start (Redis's
    /// scriptTimeSnapshot), so a key cannot expire halfway through it.
    time_ms: i64,
    /// Propagation of the script's writes (redis.set_repl): AOF bit 1,
    /// replicas bit 2.
    repl: u8,
}

struct Engine {
    lua: Lua,
    /// The read-only environment scripts run in.
    env: Table,
    /// The error handler scripts run under (Redis's __redis__err__handler).
    handler: Function,
    /// Sets the scripts' count hook again (after SCRIPT KILL changed it).
    arm: Function,
    /// The compiled scripts, by SHA-1 (Redis keeps them in the registry as
    /// f_<sha>; a map saves building that name on every call); in the
    /// functions engine, the functions by lowercased name.
    /// They live in the Lua registry (as Redis keeps them), not as mlua
    /// references: those take a slot each on mlua's reference stack, which
    /// holds about 8,000.
    funcs: FastMap<String, mlua::RegistryKey>,
    /// The functions engine's library loader (prelude.lua).
    loader: Option<Function>,
    /// Start and end a debugged run (prelude.lua's LDB).
    ldb_begin: Function,
    ldb_end: Function,
}

thread_local! {
    /// The server whose script is running on this thread (the loop's):
    /// set by `Server::run_script` around the Lua call, null otherwise.
    static CURRENT: std::cell::Cell<*mut Server> = const { std::cell::Cell::new(std::ptr::null_mut()) };
}

/// Run `f` with the server whose script is running; None outside a script.
fn with_current_server<R>(f: impl FnOnce(&mut Server) -> R) -> Option<R> {
    let ptr = CURRENT.with(|c| c.get());
    if ptr.is_null() {
        return None;
    }
    // SAFETY: the pointer is set by `Server::run_script` from its `&mut
    // self` right before the Lua call and cleared right after; during that
    // call nothing else touches the server (one thread, and the caller's
    // own borrow is not used until the call returns).
    Some(f(unsafe { &mut *ptr }))
}

impl Default for Scripting {
    fn default() -> Self {
        Scripting {
            lua: None,
            fengine: None,
            functions: functions::Registry::default(),
            running_function: None,
            scripts: FastMap::default(),
            scripts_mem: 0,
            client: None,
            rand48: 0x1234_ABCD_330E,
            run: RunState::idle(),
            spare_reply: Vec::new(),
            spare_argv: Vec::new(),
            gc_count: 0,
            caller_info: None,
            ldb: ldb::Ldb::default(),
        }
    }
}

/// Run `f` with the server the running script belongs to.
fn with_server<R>(_lua: &Lua, f: impl FnOnce(&mut Server) -> R) -> mlua::Result<R> {
    with_current_server(f)
        .ok_or_else(|| mlua::Error::runtime("can only be called inside a script invocation"))
}

impl Engine {
    /// EVAL's state, or (`functions`) the functions engine's.
    fn new(functions: bool) -> mlua::Result<Engine> {
        // SAFETY: the debug library is loaded for the error handler only;
        // the prelude takes it out of the globals before any script runs.
        let lua = unsafe {
            Lua::unsafe_new_with(
                mlua::StdLib::TABLE
                    | mlua::StdLib::STRING
                    | mlua::StdLib::MATH
                    | mlua::StdLib::DEBUG,
                mlua::LuaOptions::new(),
            )
        };
        let bridge = bridge::make(&lua)?;
        lua.globals().set("__redis_bridge", bridge)?;
        lua.globals().set("__function_mode", functions)?;
        #[allow(clippy::type_complexity)]
        let (env, handler, arm, loader, ldb_begin, ldb_end): (
            Table,
            Function,
            Function,
            Option<Function>,
            Function,
            Function,
        ) = lua
            .load(include_str!("prelude.lua"))
            .set_name("=redis")
            .eval()?;
        arm.call::<()>(())?;
        // The prelude's compile garbage goes now, not with the first scripts.
        lua.gc_collect()?;
        lua.gc_collect()?;
        Ok(Engine {
            lua,
            env,
            handler,
            arm,
            funcs: FastMap::default(),
            loader,
            ldb_begin,
            ldb_end,
        })
    }
}

/// LuaBitOp's normalization: the number rounded to the nearest integer
/// (ties to even, as the FPU rounds), taken modulo 2^32, as a signed
/// 32-bit value.
fn tobit(x: f64) -> i32 {
    if !x.is_finite() {
        return 0;
    }
    x.round_ties_even().rem_euclid(4_294_967_296.0) as u32 as i32
}

/// One bit operation on normalized arguments (LuaBitOp's semantics).
fn bitop(op: &[u8], args: &[f64]) -> i32 {
    let a = |i: usize| args.get(i).copied().map_or(0, tobit);
    let b = a(0);
    let n = (a(1) & 31) as u32;
    match op {
        b"tobit" => b,
        b"bnot" => !b,
        b"bswap" => b.swap_bytes(),
        b"band" => args.iter().skip(1).fold(b, |acc, &x| acc & tobit(x)),
        b"bor" => args.iter().skip(1).fold(b, |acc, &x| acc | tobit(x)),
        b"bxor" => args.iter().skip(1).fold(b, |acc, &x| acc ^ tobit(x)),
        b"lshift" => ((b as u32) << n) as i32,
        b"rshift" => ((b as u32) >> n) as i32,
        b"arshift" => b >> n,
        b"rol" => (b as u32).rotate_left(n) as i32,
        b"ror" => (b as u32).rotate_right(n) as i32,
        _ => 0,
    }
}

/// bit.tohex: `n` hex digits (default 8; negative for upper case).
fn tohex(x: i32, n: i32) -> String {
    let upper = n < 0;
    let digits = (n.unsigned_abs() as usize).clamp(1, 8);
    let v = x as u32 as u64 & ((1u64 << (4 * digits)) - 1);
    if upper {
        format!("{v:0digits$X}")
    } else {
        format!("{v:0digits$x}")
    }
}

/// The check the script's hook makes every 100,000 VM instructions
/// (Redis's luaMaskCountHook and scriptInterrupt): past
/// busy-reply-threshold the loop serves other clients from here (-BUSY,
/// SCRIPT KILL, SHUTDOWN NOSAVE). True when SCRIPT KILL asked the script
/// to stop; the hook (prelude.lua) then raises Redis's error.
pub(super) fn script_interrupt() -> bool {
    with_current_server(|s| {
        let run = &mut s.scripting.run;
        if !run.running {
            return false;
        }
        if !run.busy {
            let elapsed = run.started.map_or(0, |t| t.elapsed().as_millis() as u64);
            if elapsed < s.config.busy_reply_threshold {
                return false;
            }
            run.busy = true;
            log::warn!(
                "Slow script detected: still in execution after {elapsed} milliseconds. You can try killing the script using the SCRIPT KILL command."
            );
        }
        crate::event_loop::process_events_while_blocked(s);
        if s.shutdown.is_some() {
            // SHUTDOWN NOSAVE from another client: the server stops now,
            // as Redis's does, without finishing the script.
            log::warn!("Shutting down while a script runs (SHUTDOWN NOSAVE).");
            log::info!("miniredis is now ready to exit, bye bye...");
            std::process::exit(0);
        }
        if s.scripting.run.killed {
            log::warn!("Lua script killed by user with SCRIPT KILL.");
        }
        s.scripting.run.killed
    })
    .unwrap_or(false)
}

/// Redis's redisLrand48 seed (redisSrand48): the 48-bit state.
fn srand48(seed: i32) -> u64 {
    (((seed as u32) as u64) << 16) | 0x330E
}

impl RunState {
    fn idle() -> RunState {
        RunState {
            started: None,
            busy: false,
            killed: false,
            wrote: false,
            allow_oom: false,
            running: false,
            is_eval: true,
            read_only: false,
            repl: 3,
            time_ms: 0,
        }
    }
}

impl Scripting {
    /// A script has run past busy-reply-threshold (Redis's
    /// isInsideYieldingLongCommand): other clients get -BUSY.
    /// The ACL user the running script's commands run as (its caller's).
    pub fn caller_user(&self) -> usize {
        self.client
            .as_ref()
            .map_or(crate::acl::DEFAULT_USER, |c| c.user)
    }

    pub fn is_busy(&self) -> bool {
        self.run.running && self.run.busy
    }

    /// SCRIPT KILL and FUNCTION KILL (Redis's scriptKill): stop a busy
    /// script that has not written, if it is of the kind the command kills.
    pub fn kill(&mut self, is_eval: bool) -> Result<(), &'static str> {
        if !self.is_busy() {
            return Err("NOTBUSY No scripts in execution right now.");
        }
        if self.run.wrote {
            return Err(
                "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.",
            );
        }
        if is_eval != self.run.is_eval {
            return Err(self.busy_error());
        }
        self.run.killed = true;
        Ok(())
    }

    /// What other clients get while a script is busy (slowevalerr or
    /// slowscripterr).
    pub fn busy_error(&self) -> &'static str {
        if self.run.is_eval {
            "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
        } else {
            "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
        }
    }

    /// A script is running (FUNCTION STATS; only seen while one is busy).
    pub fn running(&self) -> Option<(bool, std::time::Duration)> {
        self.run.running.then(|| {
            (
                self.run.is_eval,
                self.run.started.map(|t| t.elapsed()).unwrap_or_default(),
            )
        })
    }

    /// Milliseconds since the running script started (or the debugger
    /// last let it go on).
    pub fn run_elapsed_ms(&self) -> Option<u64> {
        self.run.started.map(|t| t.elapsed().as_millis() as u64)
    }

    /// The debugger stopped the script for the user: its time starts
    /// again (Redis resets the run's start time after each stop).
    pub fn restart_clock(&mut self) {
        if self.run.running {
            self.run.started = Some(std::time::Instant::now());
            self.run.time_ms = crate::util::time::mstime();
        }
    }

    /// While a script runs, the time its commands see (its start).
    pub fn time_snapshot(&self) -> Option<i64> {
        self.run.running.then_some(self.run.time_ms)
    }

    /// math.random's draw: (lrand48() % INT32_MAX) / INT32_MAX.
    fn next_random(&mut self) -> f64 {
        const A: u64 = 0x5_DEEC_E66D;
        self.rand48 = (self.rand48.wrapping_mul(A).wrapping_add(0xB)) & ((1 << 48) - 1);
        let r = (self.rand48 >> 17) as i64;
        let max = i32::MAX as i64;
        (r % max) as f64 / max as f64
    }

    /// SCRIPT FLUSH: a fresh Lua state and an empty cache.
    pub fn flush(&mut self) {
        drop(self.flush_take());
    }

    /// Empty the cache and hand back the scripts' bodies (SCRIPT FLUSH
    /// ASYNC frees a big cache on the lazy-free thread, as Redis's
    /// freeLuaScriptsAsync; the Lua state itself closes here, as in Redis).
    pub fn flush_take(&mut self) -> FastMap<String, (Vec<u8>, ScriptFlags, i32)> {
        self.lua = None;
        self.scripts_mem = 0;
        std::mem::take(&mut self.scripts)
    }

    /// Bytes the Lua state uses (used_memory_lua).
    pub fn lua_memory(&self) -> usize {
        self.lua.as_ref().map_or(0, |e| e.lua.used_memory())
    }

    /// Bytes the functions engine's Lua state uses (used_memory_vm_functions).
    pub fn functions_memory(&self) -> usize {
        self.fengine.as_ref().map_or(0, |e| e.lua.used_memory())
    }
}

/// How a script run ended, for the caller's reply.
pub enum Outcome {
    /// The reply is written.
    Done,
    /// EVALSHA of a script not in the cache.
    NoScript,
    /// An error reply, already formatted (compile errors).
    Error(Vec<u8>),
}

impl Server {
    /// Compile `body` into the cache (Redis's luaCreateFunction); its SHA.
    pub fn script_load(&mut self, body: &[u8]) -> Result<String, Vec<u8>> {
        let sha = sha1::sha1_hex(body);
        if self.scripting.scripts.contains_key(&sha) {
            return Ok(sha);
        }
        let (flags, shebang_len) =
            shebang_flags(body).map_err(|e| format!("ERR {e}").into_bytes())?;
        self.engine()?;
        let Some(engine) = self.scripting.lua.as_mut() else {
            return Err(b"ERR Lua is busy".to_vec());
        };
        let func = engine
            .lua
            .load(&body[shebang_len..])
            .set_name("@user_script")
            .into_function()
            .map_err(|e| {
                format!(
                    "ERR Error compiling script (new function): {}",
                    convert::compile_error_text(&e)
                )
                .into_bytes()
            })?;
        let _ = func.set_environment(engine.env.clone());
        let key = engine
            .lua
            .create_registry_value(func)
            .map_err(|e| format!("ERR {e}").into_bytes())?;
        let id = key.id();
        engine.funcs.insert(sha.clone(), key);
        self.scripting.scripts_mem += body.len() + 40;
        self.scripting
            .scripts
            .insert(sha.clone(), (body.to_vec(), flags, id));
        Ok(sha)
    }

    /// The Lua state, made on first use.
    fn engine(&mut self) -> Result<&Engine, Vec<u8>> {
        if self.scripting.lua.is_none() {
            let e =
                Engine::new(false).map_err(|e| format!("ERR can't start Lua: {e}").into_bytes())?;
            self.scripting.lua = Some(e);
        }
        self.scripting
            .lua
            .as_ref()
            .ok_or_else(|| b"ERR Lua is busy".to_vec())
    }

    /// Run the cached script `sha` for `c` with these keys and arguments
    /// (Redis's evalGenericCommand after the lookup, and luaCallFunction).
    pub fn run_script(
        &mut self,
        c: &mut Client,
        sha: &str,
        keys: &[Vec<u8>],
        args: &[Vec<u8>],
        read_only: bool,
    ) -> Outcome {
        let Some(&(_, flags, func_id)) = self.scripting.scripts.get(sha) else {
            return Outcome::NoScript;
        };
        if let Err(e) = self.engine() {
            return Outcome::Error(e);
        }
        self.run_lua(c, func_id, sha, true, flags, keys, args, read_only)
    }

    /// Run the function `argv[1]` of an FCALL for `c`, its keys and
    /// arguments `argv[3..]` split at `numkeys` (fcallCommandGeneric after
    /// its checks). The argv is shared with FUNCTION STATS for the run.
    pub fn run_function(
        &mut self,
        c: &mut Client,
        argv: std::rc::Rc<Vec<Vec<u8>>>,
        numkeys: usize,
        read_only: bool,
    ) -> Outcome {
        let Some(f) = argv
            .get(1)
            .and_then(|n| self.scripting.functions.function(n))
        else {
            return Outcome::Error(b"ERR Function not found".to_vec());
        };
        let (fname, func_id, flags) = (f.name.clone(), f.id, f.flags);
        let rest = argv.get(3..).unwrap_or_default();
        let (keys, args) = rest.split_at(numkeys.min(rest.len()));
        self.scripting.running_function = Some((fname.clone(), argv.clone()));
        let outcome = self.run_lua(c, func_id, &fname, false, flags, keys, args, read_only);
        self.scripting.running_function = None;
        outcome
    }

    /// The run itself, for EVAL (`name` the SHA-1) and FCALL (`name` the
    /// function's): `func_id` is the compiled function's registry slot.
    #[allow(clippy::too_many_arguments)]
    fn run_lua(
        &mut self,
        c: &mut Client,
        func_id: i32,
        name: &str,
        is_eval: bool,
        flags: ScriptFlags,
        keys: &[Vec<u8>],
        args: &[Vec<u8>],
        read_only: bool,
    ) -> Outcome {
        // Redis's scriptPrepareForRun: a script that may write is refused
        // by the _RO commands; one with no-writes runs read-only.
        if !flags.compat && !flags.no_writes && read_only {
            return Outcome::Error(
                b"ERR Can not execute a script with write flag using *_ro command.".to_vec(),
            );
        }
        // Over maxmemory when the command came in, a script that may write
        // must say allow-oom (no-writes implies it).
        if !flags.compat
            && self.pre_command_oom_state
            && self.config.maxmemory > 0
            && !(flags.allow_oom || flags.no_writes)
        {
            return Outcome::Error(
                b"OOM allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'"
                    .to_vec(),
            );
        }
        // A script that declared it may write (a shebang without
        // no-writes) is refused up front where a write would be
        // (scriptPrepareForRun): on a read-only replica, and without
        // enough good replicas.
        if !flags.compat && !flags.no_writes {
            if self.is_replica() && self.config.replica_read_only && !c.master_link {
                return Outcome::Error(
                    b"READONLY Can not run script with write flag on readonly replica".to_vec(),
                );
            }
            if self.not_enough_good_replicas() {
                return Outcome::Error(b"NOREPLICAS Not enough good replicas to write.".to_vec());
            }
        }
        let read_only = read_only || (!flags.compat && flags.no_writes);
        let slot = if is_eval {
            &mut self.scripting.lua
        } else {
            &mut self.scripting.fengine
        };
        let Some(engine) = slot.take() else {
            return Outcome::Error(b"ERR Lua is busy".to_vec());
        };
        let mut sc = self
            .scripting
            .client
            .take()
            .unwrap_or_else(|| Box::new(script_client(self.now_ms)));
        sc.db = c.db;
        // The script's commands run as the caller's user; a denial's log
        // entry shows the caller (kept only when denials are possible).
        sc.user = c.user;
        self.scripting.caller_info = (!self.acl.is_unrestricted(c.user))
            .then(|| crate::commands::connection::client_info_string(self, c));
        sc.reply.resp = 2;
        self.scripting.client = Some(sc);
        self.scripting.run = RunState {
            read_only,
            running: true,
            is_eval,
            allow_oom: !flags.compat && flags.allow_oom,
            started: Some(std::time::Instant::now()),
            time_ms: self.now_ms,
            ..RunState::idle()
        };
        let debugging = is_eval && self.scripting.ldb.active;
        if debugging {
            // Under the debugger: its line hook, and the source it lists.
            let lines = engine.lua.create_sequence_from(
                self.scripting
                    .ldb
                    .src
                    .iter()
                    .map(|l| engine.lua.create_string(l))
                    .collect::<mlua::Result<Vec<_>>>()
                    .unwrap_or_default(),
            );
            match lines.and_then(|l| engine.ldb_begin.call::<()>(l)) {
                Ok(()) => {}
                Err(e) => log::warn!("Lua debugger: {e}"),
            }
        }
        let result = {
            let prev = CURRENT.with(|c| c.replace(self as *mut Server));
            // The call is made on the C API, as Redis's luaCallFunction
            // makes it: KEYS and ARGV built as luaCreateArray builds them,
            // globals for a script, arguments for a function, then
            // lua_pcall under the handler. The hot path of every EVALSHA.
            // SAFETY: the stack holds the handler as exec_raw pushed it,
            // then the function from the registry; lua_pcall catches every
            // error, and the closure leaves exactly (ok, result) on the stack.
            let r = unsafe {
                engine
                    .lua
                    .exec_raw::<(bool, Value)>(engine.handler.clone(), |state| {
                        use mlua::ffi;
                        ffi::lua_rawgeti(state, ffi::LUA_REGISTRYINDEX, func_id as _);
                        let nargs = if is_eval {
                            ffi::lua_pushstring(state, c"KEYS".as_ptr());
                            push_string_array(state, keys);
                            ffi::lua_rawset(state, ffi::LUA_GLOBALSINDEX);
                            ffi::lua_pushstring(state, c"ARGV".as_ptr());
                            push_string_array(state, args);
                            ffi::lua_rawset(state, ffi::LUA_GLOBALSINDEX);
                            0
                        } else {
                            push_string_array(state, keys);
                            push_string_array(state, args);
                            2
                        };
                        let rc = ffi::lua_pcall(state, nargs, 1, 1);
                        // (handler, result) → (ok, result)
                        ffi::lua_pushboolean(state, (rc == 0) as _);
                        ffi::lua_replace(state, 1);
                    })
            };
            CURRENT.with(|c| c.set(prev));
            r
        };
        if debugging {
            let _ = engine.ldb_end.call::<()>(());
        }
        let script_resp = self.scripting.client.as_ref().map_or(2, |sc| sc.reply.resp);
        match result {
            Ok((true, value)) => convert::lua_to_reply(self, c, &value, script_resp, 0),
            Ok((false, err)) => {
                let (msg, ignore_stats) = convert::error_reply_text(&err, name);
                self.add_script_error(c, &msg, ignore_stats);
            }
            Err(e) => {
                let msg = format!("ERR Error running script f_{name}, {e}");
                self.add_script_error(c, msg.as_bytes(), false);
            }
        }
        if self.scripting.run.killed {
            // The kill left the every-line hook on.
            let _ = engine.arm.call::<()>(());
        }
        self.scripting.run = RunState::idle();
        // The Lua collector runs a step of size 50 every 50 scripts, not a
        // full cycle (Redis's lua_gc(LUA_GCSTEP, LUA_GC_CYCLE_PERIOD)).
        self.scripting.gc_count += 1;
        if self.scripting.gc_count >= 50 {
            self.scripting.gc_count = 0;
            // SAFETY: lua_gc on the state's own stack, nothing pushed.
            let _ = unsafe {
                engine.lua.exec_raw::<()>((), |state| {
                    mlua::ffi::lua_gc(state, mlua::ffi::LUA_GCSTEP, 50);
                })
            };
        }
        if is_eval {
            self.scripting.lua = Some(engine);
        } else {
            self.scripting.fengine = Some(engine);
        }
        // A script's writes go out as their effects, never as EVAL/FCALL.
        self.prevent_command_propagation();
        Outcome::Done
    }

    fn add_script_error(&mut self, c: &mut Client, msg: &[u8], ignore_stats: bool) {
        if ignore_stats {
            // Counted already where it happened; the script still failed
            // (Redis's ERR_REPLY_FLAG_NO_STATS_UPDATE path).
            c.reply.error(msg);
            if let Some(spec) = self.commands.get(c.last_cmd.as_bytes()) {
                self.count_failed_call(spec);
            }
        } else {
            self.add_reply_error(c, &crate::commands::ReplyError::bytes(msg.to_vec()));
        }
    }
}

/// The client a script's commands run as.
fn script_client(now: i64) -> Client {
    let mut c = Client::new(u64::MAX, None, now);
    c.authenticated = true;
    // Blocking commands never block here, as inside EXEC.
    c.in_exec = true;
    c
}

/// redis.call and redis.pcall are C functions, as in Redis, so a script's
/// `return redis.call(...)` is no Lua tail call (which would lose the
/// script's line from the error report), and redis.call can raise its
/// error table itself.
unsafe extern "C-unwind" fn lua_redis_call(state: *mut mlua::lua_State) -> std::os::raw::c_int {
    // SAFETY: called by Lua with a valid state; nothing of ours is alive
    // when lua_error jumps out (push_call_result has returned).
    unsafe {
        if push_call_result(state) {
            mlua::ffi::lua_error(state);
        }
    }
    1
}

unsafe extern "C-unwind" fn lua_redis_pcall(state: *mut mlua::lua_State) -> std::os::raw::c_int {
    // SAFETY: as above; errors are returned, not raised.
    unsafe {
        push_call_result(state);
    }
    1
}

/// `c_wrap(f)`: f behind a C function. The API functions written in Lua
/// (prelude.lua) are wrapped so that, like Redis's C functions, a script's
/// `return redis.sha1hex()` is no tail call and an error they raise still
/// names the script's line.
unsafe extern "C-unwind" fn lua_c_wrap(state: *mut mlua::lua_State) -> std::os::raw::c_int {
    use mlua::ffi;
    // SAFETY: the argument (index 1) becomes the closure's one upvalue.
    unsafe {
        ffi::lua_settop(state, 1);
        ffi::lua_pushcclosure(state, lua_trampoline, 1);
    }
    1
}

unsafe extern "C-unwind" fn lua_trampoline(state: *mut mlua::lua_State) -> std::os::raw::c_int {
    use mlua::ffi;
    // SAFETY: calls the upvalue with every argument; errors pass through
    // (nothing of ours is alive), results are returned as they are.
    unsafe {
        let n = ffi::lua_gettop(state);
        ffi::lua_pushvalue(state, ffi::lua_upvalueindex(1));
        ffi::lua_insert(state, 1);
        ffi::lua_call(state, n, ffi::LUA_MULTRET);
        ffi::lua_gettop(state)
    }
}

/// Run the command the stack's arguments name and leave its reply (or an
/// error table) as the one value on the stack. True when it is an error.
unsafe fn push_call_result(state: *mut mlua::lua_State) -> bool {
    use mlua::ffi;
    // SAFETY: `state` is the running state; the arguments are read while
    // on the stack and copied before it is cleared.
    // The argv of the last call, its buffers reused (no allocation for
    // arguments no longer than last time's).
    let mut argv =
        with_current_server(|s| std::mem::take(&mut s.scripting.spare_argv)).unwrap_or_default();
    let filled = unsafe { stack_argv(state, &mut argv) };
    unsafe { ffi::lua_settop(state, 0) };
    match filled {
        Ok(()) => {}
        Err(msg) => {
            unsafe { convert::push_error(state, msg.as_bytes(), false) };
            return true;
        }
    };
    let outcome = with_current_server(|s| {
        if s.scripting.ldb.enabled() {
            s.scripting.ldb.log_call(&argv);
        }
        let r = s.script_command(argv);
        if s.scripting.ldb.enabled() {
            match &r {
                Ok(reply) => s.scripting.ldb.log_reply(reply),
                Err(msg) => {
                    // Redis's scriptCall errors: its own texts bare, shared
                    // ones (-OOM, -READONLY...) with their code.
                    let text = msg.strip_prefix(b"-ERR ").unwrap_or(msg);
                    let mut line = b"<error> ".to_vec();
                    line.extend_from_slice(text);
                    s.scripting.ldb.log(line);
                }
            }
        }
        r
    });
    match outcome {
        None => {
            let msg = b"redis.call/pcall can only be called inside a script invocation";
            unsafe { convert::push_error(state, msg, false) };
            true
        }
        Some(Err(msg)) => {
            unsafe { convert::push_error(state, &msg, true) };
            true
        }
        Some(Ok(reply)) => {
            let failed = if unsafe { convert::push_reply(state, &reply) } {
                reply.first() == Some(&b'-')
            } else {
                unsafe { convert::push_error(state, b"-ERR bad reply", false) };
                true
            };
            with_current_server(|s| s.scripting.spare_reply = reply);
            failed
        }
    }
}

/// Push a Lua array of these strings (Redis's luaCreateArray).
///
/// # Safety
/// `state` is a running state with room for two more values.
unsafe fn push_string_array(state: *mut mlua::lua_State, items: &[Vec<u8>]) {
    use mlua::ffi;
    unsafe {
        // lua_newtable, as luaCreateArray: the same layout as Redis's.
        ffi::lua_createtable(state, 0, 0);
        for (i, item) in items.iter().enumerate() {
            ffi::lua_pushlstring(state, item.as_ptr().cast(), item.len());
            ffi::lua_rawseti(state, -2, (i + 1) as _);
        }
    }
}

/// The call's arguments as argv (luaArgsToRedisArgv): strings as they are,
/// numbers as "%.17g", anything else refused. Written into `argv`, whose
/// buffers are reused.
unsafe fn stack_argv(
    state: *mut mlua::lua_State,
    argv: &mut Vec<Vec<u8>>,
) -> Result<(), &'static str> {
    use mlua::ffi;
    // SAFETY: indexes 1..=top are valid stack slots.
    let n = unsafe { ffi::lua_gettop(state) };
    if n == 0 {
        return Err("Please specify at least one argument for this redis lib call");
    }
    argv.truncate(n as usize);
    let mut put = |i: usize, bytes: &[u8]| match argv.get_mut(i) {
        Some(a) => {
            a.clear();
            a.extend_from_slice(bytes);
        }
        None => argv.push(bytes.to_vec()),
    };
    for i in 1..=n {
        let at = (i - 1) as usize;
        match unsafe { ffi::lua_type(state, i) } {
            ffi::LUA_TNUMBER => {
                let x = unsafe { ffi::lua_tonumber(state, i) };
                put(at, crate::util::num::fmt_g17(x).as_bytes());
            }
            ffi::LUA_TSTRING => {
                let mut len = 0usize;
                let p = unsafe { ffi::lua_tolstring(state, i, &mut len) };
                if p.is_null() {
                    return Err("Lua redis lib command arguments must be strings or integers");
                }
                put(at, unsafe {
                    std::slice::from_raw_parts(p as *const u8, len)
                });
            }
            _ => return Err("Lua redis lib command arguments must be strings or integers"),
        }
    }
    Ok(())
}

impl Server {
    /// Run one command from a script (Redis's scriptCall): the checks a
    /// script's call gets, then `call`. The reply's RESP bytes (in the
    /// protocol the script chose), or the error text for a refused call.
    /// A script's call refused before it ran (scriptCall's error path):
    /// the error counts in errorstats now, and as a rejected call of the
    /// command, so the script's own error reply does not count it again.
    fn script_reject(
        &mut self,
        spec: Option<&'static crate::commands::CommandSpec>,
        msg: &[u8],
    ) -> Vec<u8> {
        let text = msg.strip_prefix(b"-").unwrap_or(msg);
        let code_end = text.iter().position(|&b| b == b' ').unwrap_or(text.len());
        let code = String::from_utf8_lossy(&text[..code_end]).into_owned();
        *self.stats.errors.entry(code).or_default() += 1;
        self.stats.total_error_replies += 1;
        // Accounted for as a rejection: the script's command is not failed
        // by it.
        self.err_seen = self.stats.total_error_replies;
        if let Some(spec) = spec {
            self.count_rejected_call(spec);
        }
        msg.to_vec()
    }

    fn script_command(&mut self, argv: Vec<Vec<u8>>) -> Result<Vec<u8>, Vec<u8>> {
        use crate::commands::Lookup;
        let spec = match self.commands.lookup(&argv) {
            Lookup::Found(spec) => spec,
            _ => {
                return Err(
                    self.script_reject(None, b"-ERR Unknown Redis command called from script")
                );
            }
        };
        let argc = argv.len() as i32;
        if (spec.arity > 0 && spec.arity != argc) || argc < -spec.arity {
            return Err(self.script_reject(
                Some(spec),
                b"-ERR Wrong number of args calling Redis command from script",
            ));
        }
        // The flags as bits (this runs for every call a script makes).
        use crate::commands::flag;
        let bits = self.commands.flag_bits(spec);
        if bits & flag::NOSCRIPT != 0 && !self.script_disable_deny_script {
            return Err(self.script_reject(
                Some(spec),
                b"-ERR This Redis command is not allowed from script",
            ));
        }
        // Redis's scriptVerifyACL: the caller's user must be allowed.
        let user = self.scripting.caller_user();
        if let Err((why, pos)) = self.acl.check(&self.commands, user, spec, &argv) {
            let mut probe = script_client(self.now_ms);
            probe.user = user;
            probe.argv = argv;
            self.acl_log(&probe, why, crate::acl::LogContext::Lua, pos, spec);
            let msg = format!("-ERR The user executing the script {}", why.message());
            return Err(self.script_reject(Some(spec), msg.as_bytes()));
        }
        let writes = bits & (flag::WRITE | flag::MAY_REPLICATE) != 0;
        let wrote_before = self.scripting.run.wrote;
        if self.scripting.run.read_only && writes {
            return Err(self.script_reject(
                Some(spec),
                b"-ERR Write commands are not allowed from read-only scripts.",
            ));
        }
        // Redis's scriptVerifyOOM: over maxmemory when the script started,
        // its first write that may grow memory is refused (later ones are
        // not: a script is never stopped halfway).
        if bits & flag::DENYOOM != 0
            && self.config.maxmemory > 0
            && !self.scripting.run.allow_oom
            && !self.loading
            && !wrote_before
            && self.pre_command_oom_state
        {
            return Err(self.script_reject(
                Some(spec),
                b"-OOM command not allowed when used memory > 'maxmemory'.",
            ));
        }
        // scriptVerifyWriteCommandAllow: until the script has written, a
        // write is refused as the server's state says (a script is never
        // stopped halfway).
        if bits & flag::WRITE != 0 && !wrote_before {
            if self.is_replica() && self.config.replica_read_only && !self.current_is_master {
                return Err(self.script_reject(
                    Some(spec),
                    b"-READONLY You can't write against a read only replica.",
                ));
            }
            if self.not_enough_good_replicas() {
                return Err(self.script_reject(
                    Some(spec),
                    b"-NOREPLICAS Not enough good replicas to write.",
                ));
            }
        }
        // The script has written (SCRIPT KILL refuses it from now on).
        if bits & flag::WRITE != 0 {
            self.scripting.run.wrote = true;
        }
        let Some(mut sc) = self.scripting.client.take() else {
            return Err(b"-ERR the script's client is busy".to_vec());
        };
        sc.argv = argv;
        // The reply lands in the spare buffer (empty, with capacity).
        sc.reply.buf = std::mem::take(&mut self.scripting.spare_reply);
        sc.reply.buf.clear();
        // A YES debugging session runs in a forked child whose changes
        // die with it: nothing is queued to go out.
        let propagate = self.scripting.run.repl & 1 != 0
            && !(self.scripting.ldb.active && self.scripting.ldb.forked);
        let mark = self.propagation_mark();
        self.call(&mut sc, spec);
        if !propagate {
            self.discard_propagation_since(mark);
        }
        // The argv's buffers serve the next call (stack_argv).
        self.scripting.spare_argv = std::mem::take(&mut sc.argv);
        let reply = std::mem::take(&mut sc.reply.buf);
        sc.reply.sent = 0;
        self.scripting.client = Some(sc);
        Ok(reply)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rand48_matches_redis() {
        // Redis 7.0.15, a fresh server: EVAL "return {math.random(),
        // math.random(100)}" 0 → {0, 85} (the first draw truncated).
        let mut s = Scripting::default();
        let first = s.next_random();
        assert!((0.0..1.0).contains(&first));
        let second = s.next_random();
        assert_eq!((second * 100.0).floor() as i64 + 1, 85);
    }
}
