//! EVAL, EVALSHA, their read-only forms and SCRIPT, after Redis 7.0's
//! eval.c. The engine is `crate::scripting`.

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

/// A script's KEYS and ARGV.
type KeysAndArgs = (Vec<Vec<u8>>, Vec<Vec<u8>>);

/// The keys and arguments of EVAL-style calls (evalGenericCommand's checks).
fn split_keys(c: &Client) -> Result<KeysAndArgs, ReplyError> {
    let numkeys = string2ll(&c.argv[2]).ok_or(ReplyError::new(
        "ERR value is not an integer or out of range",
    ))?;
    let rest = &c.argv[3..];
    if numkeys > rest.len() as i64 {
        return Err(ReplyError::new(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    if numkeys < 0 {
        return Err(ReplyError::new("ERR Number of keys can't be negative"));
    }
    let (keys, args) = rest.split_at(numkeys as usize);
    Ok((keys.to_vec(), args.to_vec()))
}

fn eval_generic(s: &mut Server, c: &mut Client, evalsha: bool, read_only: bool) -> CmdResult {
    let (keys, args) = split_keys(c)?;
    let sha = if evalsha {
        if c.argv[1].len() != 40 {
            return Err(NOSCRIPT);
        }
        match std::str::from_utf8(&c.argv[1]) {
            Ok(sha) => sha.to_ascii_lowercase(),
            Err(_) => return Err(NOSCRIPT),
        }
    } else {
        let body = c.argv[1].clone();
        s.script_load(&body).map_err(ReplyError::bytes)?
    };
    match s.run_script(c, &sha, &keys, &args, read_only) {
        Outcome::Done => Ok(()),
        Outcome::NoScript => Err(NOSCRIPT),
        Outcome::Error(e) => Err(ReplyError::bytes(e)),
    }
}

pub fn eval_command(s: &mut Server, c: &mut Client) -> CmdResult {
    eval_generic(s, c, false, false)
}

pub fn eval_ro_command(s: &mut Server, c: &mut Client) -> CmdResult {
    eval_generic(s, c, false, true)
}

pub fn evalsha_command(s: &mut Server, c: &mut Client) -> CmdResult {
    eval_generic(s, c, true, false)
}

pub fn evalsha_ro_command(s: &mut Server, c: &mut Client) -> CmdResult {
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
    let ok = argc == 2 || (argc == 3 && (is(&c.argv[2], "sync") || is(&c.argv[2], "async")));
    if !ok {
        return Err(ReplyError::new(
            "ERR SCRIPT FLUSH only support SYNC|ASYNC option",
        ));
    }
    s.scripting.flush();
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

pub fn script_kill_command(s: &mut Server, c: &mut Client) -> CmdResult {
    // Reaches here only while a script is past busy-reply-threshold (the
    // loop serves from the script's hook) or when none runs.
    s.scripting.kill().map_err(ReplyError::new)?;
    c.reply.ok();
    Ok(())
}
