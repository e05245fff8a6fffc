//! EVAL, EVALSHA, their read-only forms and SCRIPT, after Redis 7.0's
//! eval.c; FCALL, FCALL_RO and FUNCTION, after its functions.c. The
//! engine is `crate::scripting`.

use crate::client::Client;
use crate::commands::args::reply_help;
use crate::commands::{CmdResult, ReplyError};
use crate::scripting::Outcome;
use crate::server::Server;
use crate::util::num::string2ll;

const NOSCRIPT: ReplyError = ReplyError::new("NOSCRIPT No matching script. Please use EVAL.");

fn is(a: &[u8], s: &str) -> bool {
    a.eq_ignore_ascii_case(s.as_bytes())
}

/// The number of keys of EVAL-style calls (evalGenericCommand's checks).
fn numkeys(c: &Client) -> Result<usize, ReplyError> {
    let numkeys = string2ll(&c.argv[2]).ok_or(ReplyError::new(
        "ERR value is not an integer or out of range",
    ))?;
    if numkeys > (c.argv.len() - 3) as i64 {
        return Err(ReplyError::new(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    if numkeys < 0 {
        return Err(ReplyError::new("ERR Number of keys can't be negative"));
    }
    Ok(numkeys as usize)
}

fn eval_generic(s: &mut Server, c: &mut Client, evalsha: bool, read_only: bool) -> CmdResult {
    let n = numkeys(c)?;
    // The SHA-1, lowercased on the stack (no allocation on EVALSHA's path).
    let mut buf = [0u8; 40];
    let loaded;
    let sha: &str = if evalsha {
        if c.argv[1].len() != 40 {
            return Err(NOSCRIPT);
        }
        buf.copy_from_slice(&c.argv[1]);
        buf.make_ascii_lowercase();
        std::str::from_utf8(&buf).map_err(|_| NOSCRIPT)?
    } else {
        let body = c.argv[1].clone();
        loaded = s.script_load(&body).map_err(ReplyError::bytes)?;
        &loaded
    };
    if evalsha && c.lua_debug.is_some() {
        return Err(ReplyError::new(
            "ERR Please use EVAL instead of EVALSHA for debugging",
        ));
    }
    // The argv is lent out for the run: the keys and arguments are read
    // from it in place.
    let argv = std::mem::take(&mut c.argv);
    let (keys, args) = argv[3..].split_at(n);
    let debug = match (c.lua_debug, c.sock.as_ref()) {
        (Some(sync), Some(sock)) => Some((sync, std::os::fd::AsRawFd::as_raw_fd(sock))),
        _ => None,
    };
    let outcome = match debug {
        None => s.run_script(c, sha, keys, args, read_only),
        Some((false, fd)) => {
            // evalGenericCommandWithDebugging, forked (ldbStartSession):
            // the child runs the session on its copy of the dataset and
            // exits; the parent closes its side of the client and goes on.
            match crate::util::fork::fork_child() {
                Err(e) => {
                    c.argv = argv;
                    c.lua_debug = None;
                    return Err(ReplyError::owned(format!(
                        "ERR Fork() failed: can't run EVAL in debugging mode: {e}"
                    )));
                }
                Ok(Some(pid)) => {
                    log::warn!("Redis forked for debugging eval (child {pid})");
                    s.scripting.ldb.children.push(pid);
                    c.argv = argv;
                    c.lua_debug = None;
                    c.close_asap = true;
                    return Ok(());
                }
                Ok(None) => {
                    crate::util::fork::child_setup(fd);
                    s.scripting.ldb.start(fd, true, &argv[1]);
                    let outcome = s.run_script(c, sha, keys, args, read_only);
                    let err = match outcome {
                        Outcome::Done => None,
                        Outcome::NoScript => Some(NOSCRIPT),
                        Outcome::Error(e) => Some(ReplyError::bytes(e)),
                    };
                    if let Some(e) = err {
                        s.add_reply_error(c, &e);
                    }
                    s.scripting.ldb.end_forked(&c.reply.buf[c.reply.sent..]);
                    crate::util::fork::child_exit(0);
                }
            }
        }
        Some((true, fd)) => {
            // evalGenericCommandWithDebugging, synchronous: the session
            // around the run; the client is closed after its reply, as
            // Redis closes it.
            log::warn!("Redis synchronous debugging eval session started");
            s.scripting.ldb.start(fd, false, &argv[1]);
            let outcome = s.run_script(c, sha, keys, args, read_only);
            s.scripting.ldb.end();
            c.lua_debug = None;
            c.close_after_reply = true;
            log::warn!("Redis debugging eval session ended");
            outcome
        }
    };
    c.argv = argv;
    match outcome {
        Outcome::Done => Ok(()),
        Outcome::NoScript => Err(NOSCRIPT),
        Outcome::Error(e) => Err(ReplyError::bytes(e)),
    }
}

/// Scripts reach MONITOR before the commands they run (EVAL and FCALL are
/// `skip_monitor`, so `call` does not feed them again), as Redis's
/// evalCommand and fcallCommandGeneric do.
fn feed_monitors_first(s: &mut Server, c: &mut Client) {
    if !s.monitors.is_empty() && !s.loading {
        crate::commands::introspection::feed_monitors(s, c);
    }
}

pub fn eval_command(s: &mut Server, c: &mut Client) -> CmdResult {
    feed_monitors_first(s, c);
    eval_generic(s, c, false, false)
}

pub fn eval_ro_command(s: &mut Server, c: &mut Client) -> CmdResult {
    feed_monitors_first(s, c);
    eval_generic(s, c, false, true)
}

pub fn evalsha_command(s: &mut Server, c: &mut Client) -> CmdResult {
    feed_monitors_first(s, c);
    eval_generic(s, c, true, false)
}

pub fn evalsha_ro_command(s: &mut Server, c: &mut Client) -> CmdResult {
    feed_monitors_first(s, c);
    eval_generic(s, c, true, true)
}

pub fn script_help_command(_s: &mut Server, c: &mut Client) -> CmdResult {
    reply_help(
        c,
        "SCRIPT",
        &[
            "DEBUG (YES|SYNC|NO)",
            "    Set the debug mode for subsequent scripts executed.",
            "EXISTS <sha1> [<sha1> ...]",
            "    Return information about the existence of the scripts in the script cache.",
            "FLUSH [ASYNC|SYNC]",
            "    Flush the Lua scripts cache. Very dangerous on replicas.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the scripts cache.",
            "    * SYNC: Synchronously flush the scripts cache.",
            "KILL",
            "    Kill the currently executing Lua script.",
            "LOAD <script>",
            "    Load a script into the scripts cache without executing it.",
        ],
    );
    Ok(())
}

pub fn script_flush_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let argc = c.argv.len();
    let lazy = match argc {
        2 => s.config.lazyfree_lazy_user_flush,
        3 if is(&c.argv[2], "sync") => false,
        3 if is(&c.argv[2], "async") => true,
        _ => {
            return Err(ReplyError::new(
                "ERR SCRIPT FLUSH only support SYNC|ASYNC option",
            ));
        }
    };
    let scripts = s.scripting.flush_take();
    let n = scripts.len();
    if lazy && n > crate::lazyfree::LAZYFREE_THRESHOLD {
        s.lazyfree.free_later(Box::new(scripts), n);
    }
    c.reply.ok();
    Ok(())
}

pub fn script_exists_command(s: &mut Server, c: &mut Client) -> CmdResult {
    c.reply.array_len(c.argv.len() - 2);
    for sha in &c.argv[2..] {
        let key = String::from_utf8_lossy(sha).to_ascii_lowercase();
        c.reply.int(s.scripting.scripts.contains_key(&key) as i64);
    }
    Ok(())
}

pub fn script_load_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let body = c.argv[2].clone();
    let sha = s.script_load(&body).map_err(ReplyError::bytes)?;
    c.reply.bulk(sha.as_bytes());
    Ok(())
}

/// SCRIPT DEBUG YES|SYNC|NO: the client's next EVALs run under the Lua
/// debugger (scripting/ldb.rs), in a forked child whose changes die with it
/// (YES) or synchronously, blocking the server (SYNC).
pub fn script_debug_command(s: &mut Server, c: &mut Client) -> CmdResult {
    if c.reply.buf.len() > c.reply.sent {
        return Err(ReplyError::new(
            "ERR SCRIPT DEBUG must be called outside a pipeline",
        ));
    }
    let mode = c.argv[2].to_ascii_lowercase();
    c.lua_debug = match mode.as_slice() {
        b"no" => None,
        b"yes" => Some(false),
        b"sync" => Some(true),
        _ => return Err(ReplyError::new("ERR Use SCRIPT DEBUG YES/SYNC/NO")),
    };
    if c.lua_debug.is_some() {
        s.scripting.ldb.enable();
    }
    c.reply.ok();
    Ok(())
}

pub fn script_kill_command(s: &mut Server, c: &mut Client) -> CmdResult {
    // Reaches here only while a script is past busy-reply-threshold (the
    // loop serves from the script's hook) or when none runs.
    s.scripting.kill(true).map_err(ReplyError::new)?;
    c.reply.ok();
    Ok(())
}

fn fcall_generic(s: &mut Server, c: &mut Client, read_only: bool) -> CmdResult {
    if s.scripting.functions.function(&c.argv[1]).is_none() {
        return Err(ReplyError::new("ERR Function not found"));
    }
    let numkeys =
        string2ll(&c.argv[2]).ok_or(ReplyError::new("ERR Bad number of keys provided"))?;
    if numkeys > (c.argv.len() - 3) as i64 {
        return Err(ReplyError::new(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    if numkeys < 0 {
        return Err(ReplyError::new("ERR Number of keys can't be negative"));
    }
    // The argv moves into an Rc for the run (FUNCTION STATS shows it) and
    // comes back after: no copy of the keys and arguments.
    let argv = std::rc::Rc::new(std::mem::take(&mut c.argv));
    let outcome = s.run_function(c, argv.clone(), numkeys as usize, read_only);
    c.argv = std::rc::Rc::try_unwrap(argv).unwrap_or_else(|rc| (*rc).clone());
    match outcome {
        Outcome::Done => Ok(()),
        Outcome::NoScript => Err(ReplyError::new("ERR Function not found")),
        Outcome::Error(e) => Err(ReplyError::bytes(e)),
    }
}

pub fn fcall_command(s: &mut Server, c: &mut Client) -> CmdResult {
    feed_monitors_first(s, c);
    fcall_generic(s, c, false)
}

pub fn fcall_ro_command(s: &mut Server, c: &mut Client) -> CmdResult {
    feed_monitors_first(s, c);
    fcall_generic(s, c, true)
}

fn err_text(e: String) -> ReplyError {
    ReplyError::bytes(format!("ERR {e}").into_bytes())
}

pub fn function_load_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let mut replace = false;
    let mut at = 2;
    while at < c.argv.len() - 1 {
        if is(&c.argv[at], "replace") {
            replace = true;
            at += 1;
            continue;
        }
        return Err(ReplyError::bytes(
            format!(
                "ERR Unknown option given: {}",
                String::from_utf8_lossy(&c.argv[at])
            )
            .into_bytes(),
        ));
    }
    if at >= c.argv.len() {
        return Err(ReplyError::new("ERR Function code is missing"));
    }
    // A replayed FUNCTION LOAD (AOF) runs without the time limit, as
    // Redis's mustObeyClient.
    let limit = if s.loading {
        0
    } else {
        crate::scripting::functions::LOAD_TIMEOUT_MS
    };
    let code = c.argv[at].clone();
    let name = s.function_load(&code, replace, limit).map_err(err_text)?;
    s.dirty += 1;
    c.reply.bulk(name.as_bytes());
    Ok(())
}

pub fn function_delete_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let name = c.argv[2].clone();
    s.function_delete(&name).map_err(err_text)?;
    s.dirty += 1;
    c.reply.ok();
    Ok(())
}

pub fn function_flush_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let argc = c.argv.len();
    if argc > 3 {
        return Err(subcommand_syntax_error(c));
    }
    let lazy = match c.argv.get(2) {
        None => s.config.lazyfree_lazy_user_flush,
        Some(a) if is(a, "sync") => false,
        Some(a) if is(a, "async") => true,
        Some(_) => {
            return Err(ReplyError::new(
                "ERR FUNCTION FLUSH only supports SYNC|ASYNC option",
            ));
        }
    };
    s.functions_flush_lazy(lazy);
    s.dirty += 1;
    c.reply.ok();
    Ok(())
}

/// Redis's addReplySubcommandSyntaxError for FUNCTION's subcommands.
fn subcommand_syntax_error(c: &Client) -> ReplyError {
    ReplyError::bytes(
        format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try FUNCTION HELP.",
            String::from_utf8_lossy(&c.argv[1])
        )
        .into_bytes(),
    )
}

pub fn function_kill_command(s: &mut Server, c: &mut Client) -> CmdResult {
    s.scripting.kill(false).map_err(ReplyError::new)?;
    c.reply.ok();
    Ok(())
}

pub fn function_stats_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let running = s.scripting.running();
    if let Some((true, _)) = running {
        return Err(ReplyError::new(s.scripting.busy_error()));
    }
    c.reply.map_len(2);
    c.reply.bulk(b"running_script");
    match (running, &s.scripting.running_function) {
        (Some((_, took)), Some((name, argv))) => {
            c.reply.map_len(3);
            c.reply.bulk(b"name");
            c.reply.bulk(name.as_bytes());
            c.reply.bulk(b"command");
            c.reply.array_len(argv.len());
            for a in argv.iter() {
                c.reply.bulk(a);
            }
            c.reply.bulk(b"duration_ms");
            c.reply.int(took.as_millis() as i64);
        }
        _ => c.reply.null(),
    }
    c.reply.bulk(b"engines");
    c.reply.map_len(1);
    c.reply
        .bulk(crate::scripting::functions::ENGINE_NAME.as_bytes());
    c.reply.map_len(2);
    c.reply.bulk(b"libraries_count");
    c.reply.int(s.scripting.functions.libraries.len() as i64);
    c.reply.bulk(b"functions_count");
    c.reply.int(s.scripting.functions.num_functions() as i64);
    Ok(())
}

pub fn function_list_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let mut with_code = false;
    let mut pattern: Option<Vec<u8>> = None;
    let mut i = 2;
    while i < c.argv.len() {
        let a = &c.argv[i];
        if !with_code && is(a, "withcode") {
            with_code = true;
        } else if pattern.is_none() && is(a, "libraryname") {
            if i >= c.argv.len() - 1 {
                return Err(ReplyError::new("ERR library name argument was not given"));
            }
            i += 1;
            pattern = Some(c.argv[i].clone());
        } else {
            return Err(ReplyError::bytes(
                format!("ERR Unknown argument {}", String::from_utf8_lossy(a)).into_bytes(),
            ));
        }
        i += 1;
    }
    let libs: Vec<&crate::scripting::functions::Library> = s
        .scripting
        .functions
        .libraries
        .values()
        .filter(|l| {
            pattern
                .as_ref()
                .is_none_or(|p| crate::util::glob::string_match(p, l.name.as_bytes(), true))
        })
        .collect();
    c.reply.array_len(libs.len());
    for lib in libs {
        c.reply.map_len(if with_code { 4 } else { 3 });
        c.reply.bulk(b"library_name");
        c.reply.bulk(lib.name.as_bytes());
        c.reply.bulk(b"engine");
        c.reply
            .bulk(crate::scripting::functions::ENGINE_NAME.as_bytes());
        c.reply.bulk(b"functions");
        c.reply.array_len(lib.functions.len());
        for f in &lib.functions {
            c.reply.map_len(3);
            c.reply.bulk(b"name");
            c.reply.bulk(f.name.as_bytes());
            c.reply.bulk(b"description");
            match &f.desc {
                Some(d) => c.reply.bulk(d),
                None => c.reply.null(),
            }
            c.reply.bulk(b"flags");
            let names: Vec<&str> = [
                (f.flags.no_writes, "no-writes"),
                (f.flags.allow_oom, "allow-oom"),
                (f.flags.allow_stale, "allow-stale"),
                (f.flags.no_cluster, "no-cluster"),
                (f.flags.allow_cross_slot, "allow-cross-slot-keys"),
            ]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, n)| *n)
            .collect();
            c.reply.set_len(names.len());
            for n in names {
                c.reply.status(n);
            }
        }
        if with_code {
            c.reply.bulk(b"library_code");
            c.reply.bulk(&lib.code);
        }
    }
    Ok(())
}

pub fn function_dump_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let payload = s.functions_dump();
    c.reply.bulk(&payload);
    Ok(())
}

pub fn function_restore_command(s: &mut Server, c: &mut Client) -> CmdResult {
    use crate::scripting::functions::RestorePolicy;
    if c.argv.len() > 4 {
        return Err(subcommand_syntax_error(c));
    }
    let policy = match c.argv.get(3) {
        None => RestorePolicy::Append,
        Some(p) if is(p, "append") => RestorePolicy::Append,
        Some(p) if is(p, "replace") => RestorePolicy::Replace,
        Some(p) if is(p, "flush") => RestorePolicy::Flush,
        Some(_) => {
            return Err(ReplyError::new(
                "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.",
            ));
        }
    };
    let payload = c.argv[2].clone();
    s.functions_restore(&payload, policy).map_err(err_text)?;
    s.dirty += 1;
    c.reply.ok();
    Ok(())
}

pub fn function_help_command(_s: &mut Server, c: &mut Client) -> CmdResult {
    reply_help(
        c,
        "FUNCTION",
        &[
            "LOAD [REPLACE] <FUNCTION CODE>",
            "    Create a new library with the given library name and code.",
            "DELETE <LIBRARY NAME>",
            "    Delete the given library.",
            "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
            "    Return general information on all the libraries:",
            "    * Library name",
            "    * The engine used to run the Library",
            "    * Library description",
            "    * Functions list",
            "    * Library code (if WITHCODE is given)",
            "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
            "STATS",
            "    Return information about the current function running:",
            "    * Function name",
            "    * Command used to run the function",
            "    * Duration in MS that the function is running",
            "    If no function is running, return nil",
            "    In addition, returns a list of available engines.",
            "KILL",
            "    Kill the current running function.",
            "FLUSH [ASYNC|SYNC]",
            "    Delete all the libraries.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the libraries.",
            "    * SYNC: Synchronously flush the libraries.",
            "DUMP",
            "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
            "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
            "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
            "    control how to handle existing libraries (default APPEND):",
            "    * FLUSH: delete all existing libraries.",
            "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
            "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
            "      libraries with the new libraries (notice that even on this option there is a chance of failure",
            "      in case of functions name collision with another library).",
        ],
    );
    Ok(())
}
