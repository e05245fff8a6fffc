//! Group `server`: DBSIZE, FLUSHDB/FLUSHALL, SWAPDB, INFO, CONFIG, TIME,
//! LASTSAVE, SHUTDOWN, DEBUG and COMMAND (Redis's server.c, config.c and
//! debug.c commands).

use super::args::reply_help;
use super::args::{is, parse_i64};
use super::{BeginSearch, CmdResult, CommandSpec, DB_INDEX_ERR, FindKeys, ReplyError, SYNTAX_ERR};
use crate::client::Client;
use crate::config;
use crate::server::{Server, Shutdown, Stats};
use crate::util::glob::string_match;

pub fn dbsize_command(s: &mut Server, c: &mut Client) -> CmdResult {
    c.reply.int(s.db(c.db).len() as i64);
    Ok(())
}

/// FLUSHDB/FLUSHALL's optional SYNC|ASYNC: free the data on the lazy-free
/// thread? Without either, lazyfree-lazy-user-flush decides.
fn parse_flush_flags(s: &Server, c: &Client) -> Result<bool, ReplyError> {
    match c.argv.len() {
        1 => Ok(s.config.lazyfree_lazy_user_flush),
        2 if is(&c.argv[1], "sync") => Ok(false),
        2 if is(&c.argv[1], "async") => Ok(true),
        _ => Err(SYNTAX_ERR),
    }
}

pub fn flushdb_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let lazy = parse_flush_flags(s, c)?;
    s.dirty += s.flush_db_lazy(c.db, lazy) as u64;
    c.reply.ok();
    Ok(())
}

pub fn flushall_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let lazy = parse_flush_flags(s, c)?;
    let removed = s.flush_all_lazy(lazy);
    s.dirty += removed as u64 + 1;
    // As Redis: with save points set, FLUSHALL leaves an empty RDB behind.
    if !s.save_points().is_empty() && s.bgsave.is_none() {
        let dirty = s.dirty;
        let _ = s.rdb_save();
        // The FLUSHALL itself still counts as a change to propagate.
        s.dirty = s.dirty.max(if dirty > 0 { 1 } else { 0 });
    }
    c.reply.ok();
    Ok(())
}

pub fn swapdb_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let parse = |arg: &[u8], msg: &'static str| -> Result<i64, ReplyError> {
        let v = parse_i64(arg).map_err(|_| ReplyError::new(msg))?;
        if v < i32::MIN as i64 || v > i32::MAX as i64 {
            return Err(ReplyError::new(msg));
        }
        Ok(v)
    };
    let a = parse(&c.argv[1], "ERR invalid first DB index")?;
    let b = parse(&c.argv[2], "ERR invalid second DB index")?;
    let n = s.db_count() as i64;
    if a < 0 || a >= n || b < 0 || b >= n {
        return Err(DB_INDEX_ERR);
    }
    if a == b {
        // Swapping a database with itself changes nothing (Redis's
        // dbSwapDatabases), though Redis still counts it as a change.
        s.dirty += 1;
        c.reply.ok();
        return Ok(());
    }
    s.swap_dbs(a as usize, b as usize);
    s.dirty += 1;
    c.reply.ok();
    Ok(())
}

pub fn info_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let sections = crate::info::sections_for(&c.argv[1..]);
    let clients = s.connected_clients() - s.repl.replicas.len().min(s.connected_clients());
    let text = crate::info::gen_info(s, &sections, clients, Some(c));
    c.reply.verbatim(text.as_bytes());
    Ok(())
}

pub fn time_command(_: &mut Server, c: &mut Client) -> CmdResult {
    let us = crate::util::time::ustime();
    c.reply.array_len(2);
    c.reply.bulk(format!("{}", us / 1_000_000).as_bytes());
    c.reply.bulk(format!("{}", us % 1_000_000).as_bytes());
    Ok(())
}

pub fn lastsave_command(s: &mut Server, c: &mut Client) -> CmdResult {
    c.reply.int(s.lastsave);
    Ok(())
}

pub fn shutdown_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let (mut nosave, mut save, mut abort, mut other) = (false, false, false, false);
    for a in &c.argv[1..] {
        if is(a, "nosave") {
            nosave = true;
        } else if is(a, "save") {
            save = true;
        } else if is(a, "now") || is(a, "force") {
            other = true;
        } else if is(a, "abort") {
            abort = true;
        } else {
            return Err(SYNTAX_ERR);
        }
    }
    if (abort && (nosave || save || other)) || (nosave && save) {
        return Err(SYNTAX_ERR);
    }
    if abort {
        return Err(ReplyError::new("ERR No shutdown in progress."));
    }
    if !nosave && s.scripting.is_busy() {
        // Only SHUTDOWN NOSAVE stops a server a script keeps busy.
        return Err(ReplyError::new(s.scripting.busy_error()));
    }
    let kind = if nosave {
        Shutdown::Nosave
    } else if save {
        Shutdown::Save
    } else {
        Shutdown::Default
    };
    if let Err(e) = s.prepare_for_shutdown(kind) {
        log::warn!("{e}");
        return Err(ReplyError::new(
            "ERR Errors trying to SHUTDOWN. Check logs.",
        ));
    }
    s.shutdown = Some(Shutdown::Nosave);
    // Redis closes the connection without a reply when the shutdown goes ahead.
    c.close_asap = true;
    Ok(())
}

// ---------------------------------------------------------------------
// CONFIG
// ---------------------------------------------------------------------

pub fn config_get_command(s: &mut Server, c: &mut Client) -> CmdResult {
    // A name without glob characters is looked up directly and answered
    // under the name as typed, as Redis 7.0 does. Each name once; an alias
    // is a name of its own (CONFIG GET * lists slaveof and replicaof).
    let mut found: Vec<(String, String)> = Vec::new();
    let seen = |found: &[(String, String)], name: &str| {
        found.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
    };
    for pat in &c.argv[2..] {
        if !pat.iter().any(|b| matches!(b, b'*' | b'?' | b'[' | b'\\')) {
            let typed = String::from_utf8_lossy(pat).into_owned();
            if let Some(e) = config::find(&typed)
                && !seen(&found, &typed)
            {
                found.push((typed, (e.get)(&s.config)));
            }
            continue;
        }
        for (name, value) in s.config.matching(std::slice::from_ref(pat)) {
            if !seen(&found, name) {
                found.push((name.to_string(), value));
            }
        }
    }
    c.reply.map_len(found.len());
    for (name, value) in found {
        c.reply.bulk_str(&name);
        c.reply.bulk_str(&value);
    }
    Ok(())
}

pub fn config_set_command(s: &mut Server, c: &mut Client) -> CmdResult {
    if !c.argv.len().is_multiple_of(2) {
        return Err(SYNTAX_ERR);
    }
    let mut seen: Vec<&'static str> = Vec::new();
    let mut plan = Vec::new();
    let mut failure: Option<(String, &str)> = None;
    for pair in c.argv[2..].chunks(2) {
        let name = String::from_utf8_lossy(&pair[0]).into_owned();
        let Some(entry) = config::find(&name) else {
            return Err(ReplyError::owned(format!(
                "ERR Unknown option or number of arguments for CONFIG SET - '{name}'"
            )));
        };
        if failure.is_some() {
            continue;
        }
        if !entry.mutable {
            failure = Some((name, "can't set immutable config"));
        } else if matches!(entry.name, "dir" | "dbfilename") {
            // Protected in Redis 7.0 (enable-protected-configs no).
            failure = Some((name, "can't set protected config"));
        } else if seen.contains(&entry.name) {
            failure = Some((name, "duplicate parameter"));
        } else {
            seen.push(entry.name);
            plan.push((entry, name, String::from_utf8_lossy(&pair[1]).into_owned()));
        }
    }
    if let Some((name, why)) = failure {
        return Err(ReplyError::owned(format!(
            "ERR CONFIG SET failed (possibly related to argument '{name}') - {why}"
        )));
    }
    // Apply all or nothing.
    let sets_requirepass = plan.iter().any(|(e, _, _)| e.name == "requirepass");
    let mut next = s.config.clone();
    for (entry, name, value) in plan {
        // Errors name the parameter as the client typed it (an alias too).
        (entry.set)(&mut next, &[value]).map_err(|why| {
            ReplyError::owned(format!(
                "ERR CONFIG SET failed (possibly related to argument '{name}') - {why}"
            ))
        })?;
    }
    // A new port or bind list: the new sockets must be had before anything
    // changes (Redis's changeListenPort / changeBindAddr, rolled back on
    // failure); the loop swaps them in before it sleeps.
    if next.port != s.config.port || next.bind != s.config.bind {
        let (name, why) = if next.bind != s.config.bind {
            ("bind", "Failed to bind to specified addresses.")
        } else {
            ("port", "Unable to listen on this port")
        };
        // Port 0 listens on no TCP port, as in Redis.
        let bound = if next.port == 0 {
            Ok((Vec::new(), 0))
        } else {
            crate::event_loop::bind_listeners(&next.bind, next.port)
        };
        match bound {
            Ok((listeners, _)) => s.new_listeners = Some(listeners),
            Err(e) => {
                log::warn!("CONFIG SET {name}: {e}");
                let name = typed_name(&c.argv, name);
                return Err(ReplyError::owned(format!(
                    "ERR CONFIG SET failed (possibly related to argument '{name}') - {why}"
                )));
            }
        }
    }
    let was_on = s.config.appendonly;
    let old_maxmemory = s.config.maxmemory;
    s.config = next;
    // Redis's updateRequirePass: the default user's password follows.
    if sets_requirepass {
        s.acl.set_default_password(&s.config.requirepass);
    }
    apply_appendonly(s, was_on);
    // Redis's updateReplBacklogSize: the backlog takes its new size now.
    let backlog_size = s.config.repl_backlog_size as usize;
    if let Some(b) = s.repl.backlog.as_mut() {
        b.resize(backlog_size);
    }
    // A new maxmemory evicts at once (Redis's updateMaxmemory).
    if s.config.maxmemory != old_maxmemory && s.config.maxmemory > 0 {
        s.perform_evictions();
    }
    if let Some(aof) = s.aof.as_mut() {
        aof.fsync = crate::aof::Fsync::parse(&s.config.appendfsync);
    }
    c.reply.ok();
    Ok(())
}

/// The parameter as the client typed it (an alias, another case).
fn typed_name(argv: &[Vec<u8>], canonical: &str) -> String {
    argv.get(2..)
        .unwrap_or_default()
        .chunks(2)
        .map(|p| String::from_utf8_lossy(&p[0]).into_owned())
        .find(|n| config::find(n).is_some_and(|e| e.name == canonical))
        .unwrap_or_else(|| canonical.to_string())
}

/// CONFIG SET appendonly: turning it on writes the dataset to a new file
/// first (a background rewrite, then the log starts); off flushes and closes.
fn apply_appendonly(s: &mut Server, was_on: bool) {
    match (was_on, s.config.appendonly) {
        (false, true) if s.aof.is_none() => s.aof_start(),
        (true, false) => s.aof_stop(),
        _ => {}
    }
}

pub fn save_command(s: &mut Server, c: &mut Client) -> CmdResult {
    if s.bgsave.is_some() {
        return Err(ReplyError::new("ERR Background save already in progress"));
    }
    s.rdb_save().map_err(|_| ReplyError::new("ERR"))?;
    c.reply.ok();
    Ok(())
}

pub fn bgsave_command(s: &mut Server, c: &mut Client) -> CmdResult {
    match c.argv.get(1) {
        None => {}
        Some(a) if is(a, "schedule") => {}
        Some(_) => return Err(SYNTAX_ERR),
    }
    if c.argv.len() > 2 {
        return Err(SYNTAX_ERR);
    }
    let schedule = c.argv.len() == 2;
    if s.bgsave.is_some() {
        return Err(ReplyError::new("ERR Background save already in progress"));
    }
    if s.has_active_job() || c.in_exec {
        if !schedule && !c.in_exec {
            return Err(ReplyError::new(
                "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.",
            ));
        }
        s.bgsave_scheduled = true;
        c.reply.status("Background saving scheduled");
        return Ok(());
    }
    s.start_bgsave().map_err(ReplyError::new)?;
    c.reply.status("Background saving started");
    Ok(())
}

pub fn bgrewriteaof_command(s: &mut Server, c: &mut Client) -> CmdResult {
    if s.aof_rewrite.is_some() {
        return Err(ReplyError::new(
            "ERR Background append only file rewriting already in progress",
        ));
    }
    if s.has_active_job() || c.in_exec {
        s.aof_rewrite_scheduled = true;
        s.persist.aof_rewrites_consecutive_failures = 0;
        c.reply
            .status("Background append only file rewriting scheduled");
        return Ok(());
    }
    s.start_aof_rewrite().map_err(ReplyError::new)?;
    c.reply
        .status("Background append only file rewriting started");
    Ok(())
}

pub fn config_resetstat_command(s: &mut Server, c: &mut Client) -> CmdResult {
    s.stats = Stats::default();
    crate::lazyfree::reset_stats();
    c.reply.ok();
    Ok(())
}

pub fn config_help_command(_: &mut Server, c: &mut Client) -> CmdResult {
    reply_help(
        c,
        "CONFIG",
        &[
            "GET <pattern>",
            "    Every parameter whose name matches the glob <pattern>, with its value.",
            "SET <directive> <value> [<directive> <value> ...]",
            "    Change parameters at run time; all or none are applied.",
            "RESETSTAT",
            "    Zero the counters INFO reports.",
            "REWRITE",
            "    Write the current settings into the config file the server started with.",
        ],
    );
    Ok(())
}

// ---------------------------------------------------------------------
// COMMAND
// ---------------------------------------------------------------------

fn reply_status_set(c: &mut Client, words: &str) {
    let items: Vec<&str> = words.split(' ').filter(|w| !w.is_empty()).collect();
    c.reply.set_len(items.len());
    for w in items {
        c.reply.status(w);
    }
}

fn reply_key_specs(c: &mut Client, spec: &CommandSpec) {
    c.reply.set_len(spec.key_specs.len());
    for ks in spec.key_specs {
        let has_notes = !ks.notes.is_empty();
        c.reply.map_len(3 + has_notes as usize);
        if has_notes {
            c.reply.bulk_str("notes");
            c.reply.bulk_str(ks.notes);
        }
        c.reply.bulk_str("flags");
        reply_status_set(c, ks.flags);
        c.reply.bulk_str("begin_search");
        c.reply.map_len(2);
        c.reply.bulk_str("type");
        match &ks.begin {
            BeginSearch::Unknown => {
                c.reply.bulk_str("unknown");
                c.reply.bulk_str("spec");
                c.reply.map_len(0);
            }
            BeginSearch::Index(i) => {
                c.reply.bulk_str("index");
                c.reply.bulk_str("spec");
                c.reply.map_len(1);
                c.reply.bulk_str("index");
                c.reply.int(*i as i64);
            }
            BeginSearch::Keyword(kw, from) => {
                c.reply.bulk_str("keyword");
                c.reply.bulk_str("spec");
                c.reply.map_len(2);
                c.reply.bulk_str("keyword");
                c.reply.bulk_str(kw);
                c.reply.bulk_str("startfrom");
                c.reply.int(*from as i64);
            }
        }
        c.reply.bulk_str("find_keys");
        c.reply.map_len(2);
        c.reply.bulk_str("type");
        match &ks.find {
            FindKeys::Unknown => {
                c.reply.bulk_str("unknown");
                c.reply.bulk_str("spec");
                c.reply.map_len(0);
            }
            FindKeys::Range(last, step, limit) => {
                c.reply.bulk_str("range");
                c.reply.bulk_str("spec");
                c.reply.map_len(3);
                c.reply.bulk_str("lastkey");
                c.reply.int(*last as i64);
                c.reply.bulk_str("keystep");
                c.reply.int(*step as i64);
                c.reply.bulk_str("limit");
                c.reply.int(*limit as i64);
            }
            FindKeys::Keynum(idx, first, step) => {
                c.reply.bulk_str("keynum");
                c.reply.bulk_str("spec");
                c.reply.map_len(3);
                c.reply.bulk_str("keynumidx");
                c.reply.int(*idx as i64);
                c.reply.bulk_str("firstkey");
                c.reply.int(*first as i64);
                c.reply.bulk_str("keystep");
                c.reply.int(*step as i64);
            }
        }
    }
}

/// One COMMAND INFO entry (Redis's addReplyCommandInfo).
fn reply_command_info(s: &Server, c: &mut Client, spec: &'static CommandSpec) {
    c.reply.array_len(10);
    c.reply.bulk_str(s.commands.full_name_static(spec));
    c.reply.int(spec.arity as i64);
    reply_status_set(c, spec.flags);
    c.reply.int(spec.first_key as i64);
    c.reply.int(spec.last_key as i64);
    c.reply.int(spec.key_step as i64);
    reply_status_set(c, spec.acl);
    let tips: Vec<&str> = spec.tips.split(' ').filter(|w| !w.is_empty()).collect();
    c.reply.set_len(tips.len());
    for t in tips {
        c.reply.bulk_str(t);
    }
    reply_key_specs(c, spec);
    c.reply.set_len(spec.subcommands.len());
    for sub in spec.subcommands {
        reply_command_info(s, c, sub);
    }
}

/// One COMMAND DOCS entry: our summary with Redis's since/group/complexity.
fn reply_command_docs(s: &Server, c: &mut Client, spec: &'static CommandSpec) {
    let has_complexity = !spec.complexity.is_empty();
    let has_subs = !spec.subcommands.is_empty();
    let args = crate::commands::doc_args(s.commands.full_name_static(spec));
    let has_args = !args.is_empty();
    c.reply
        .map_len(3 + has_complexity as usize + has_args as usize + has_subs as usize);
    c.reply.bulk_str("summary");
    c.reply.bulk_str(spec.summary);
    c.reply.bulk_str("since");
    c.reply.bulk_str(spec.since);
    c.reply.bulk_str("group");
    c.reply.bulk_str(spec.group);
    if has_complexity {
        c.reply.bulk_str("complexity");
        c.reply.bulk_str(spec.complexity);
    }
    if has_args {
        c.reply.bulk_str("arguments");
        reply_doc_args(c, args);
    }
    if has_subs {
        c.reply.bulk_str("subcommands");
        c.reply.map_len(spec.subcommands.len());
        for sub in spec.subcommands {
            c.reply.bulk_str(s.commands.full_name_static(sub));
            reply_command_docs(s, c, sub);
        }
    }
}

/// The `arguments` array: one map per argument, nested for oneof/block.
fn reply_doc_args(c: &mut Client, args: &[crate::commands::DocArg]) {
    use crate::commands::DocVal;
    c.reply.array_len(args.len());
    for a in args {
        c.reply
            .map_len(a.fields.len() + !a.args.is_empty() as usize);
        for (k, v) in a.fields {
            c.reply.bulk_str(k);
            match v {
                DocVal::Str(x) => c.reply.bulk_str(x),
                DocVal::Int(i) => c.reply.int(*i),
                DocVal::Flags(fl) => {
                    c.reply.set_len(fl.len());
                    for f in *fl {
                        c.reply.status(f);
                    }
                }
            }
        }
        if !a.args.is_empty() {
            c.reply.bulk_str("arguments");
            reply_doc_args(c, a.args);
        }
    }
}

/// Find a row by "name" or "container|sub".
fn lookup_by_full_name(s: &Server, name: &[u8]) -> Option<&'static CommandSpec> {
    let mut parts = name.splitn(2, |&b| b == b'|');
    let first = parts.next()?;
    let spec = s.commands.get(first)?;
    match parts.next() {
        None => Some(spec),
        Some(sub) => spec
            .subcommands
            .iter()
            .find(|x| x.name.as_bytes().eq_ignore_ascii_case(sub)),
    }
}

fn sorted_specs(s: &Server) -> Vec<&'static CommandSpec> {
    let mut all: Vec<_> = s.commands.iter().collect();
    all.sort_by_key(|c| c.name);
    all
}

/// COMMAND with no arguments: every command's info.
pub fn command_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let all = sorted_specs(s);
    c.reply.array_len(all.len());
    for spec in all {
        reply_command_info(s, c, spec);
    }
    Ok(())
}

pub fn command_count_command(s: &mut Server, c: &mut Client) -> CmdResult {
    c.reply.int(s.commands.len() as i64);
    Ok(())
}

pub fn command_info_command(s: &mut Server, c: &mut Client) -> CmdResult {
    if c.argv.len() == 2 {
        return command_command(s, c);
    }
    c.reply.array_len(c.argv.len() - 2);
    for i in 2..c.argv.len() {
        match lookup_by_full_name(s, &c.argv[i]) {
            Some(spec) => reply_command_info(s, c, spec),
            None => c.reply.null(),
        }
    }
    Ok(())
}

pub fn command_docs_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let specs: Vec<&'static CommandSpec> = if c.argv.len() == 2 {
        sorted_specs(s)
    } else {
        c.argv[2..]
            .iter()
            .filter_map(|n| lookup_by_full_name(s, n))
            .collect()
    };
    c.reply.map_len(specs.len());
    for spec in specs {
        c.reply.bulk_str(s.commands.full_name_static(spec));
        reply_command_docs(s, c, spec);
    }
    Ok(())
}

pub fn command_list_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let mut filter: Option<(Vec<u8>, Vec<u8>)> = None;
    if c.argv.len() == 5 && is(&c.argv[2], "filterby") {
        filter = Some((c.argv[3].to_ascii_lowercase(), c.argv[4].clone()));
    } else if c.argv.len() != 2 {
        return Err(SYNTAX_ERR);
    }
    let mut names: Vec<&'static str> = Vec::new();
    for spec in sorted_specs(s) {
        let rows = std::iter::once(spec).chain(spec.subcommands.iter());
        for r in rows {
            let full = s.commands.full_name_static(r);
            let keep = match &filter {
                None => true,
                Some((kind, arg)) => match kind.as_slice() {
                    b"pattern" => string_match(arg, full.as_bytes(), true),
                    b"aclcat" => {
                        let cat = format!("@{}", String::from_utf8_lossy(arg).to_ascii_lowercase());
                        r.acl.split(' ').any(|a| a == cat)
                    }
                    b"module" => false,
                    _ => return Err(SYNTAX_ERR),
                },
            };
            if keep {
                names.push(full);
            }
        }
    }
    c.reply.array_len(names.len());
    for n in names {
        c.reply.bulk_str(n);
    }
    Ok(())
}

pub fn command_getkeys_command(s: &mut Server, c: &mut Client) -> CmdResult {
    getkeys(s, c, false)
}

/// COMMAND GETKEYSANDFLAGS: each key with its key spec's flags.
pub fn command_getkeysandflags_command(s: &mut Server, c: &mut Client) -> CmdResult {
    getkeys(s, c, true)
}

fn getkeys(s: &mut Server, c: &mut Client, with_flags: bool) -> CmdResult {
    let args = &c.argv[2..];
    let spec = match s.commands.lookup(args) {
        crate::commands::Lookup::Found(spec) => spec,
        _ => return Err(ReplyError::new("ERR Invalid command specified")),
    };
    if spec.key_specs.is_empty() {
        return Err(ReplyError::new("ERR The command has no key arguments"));
    }
    if !spec.arity_ok(args.len()) {
        return Err(ReplyError::new(
            "ERR Invalid number of arguments specified for command",
        ));
    }
    let keys = if crate::commands::keynum_counts_valid(spec, args) {
        crate::commands::key_positions_and_flags(spec, args)
    } else {
        Vec::new()
    };
    if keys.is_empty() {
        if spec.has_flag("no_mandatory_keys") {
            c.reply.array_len(0);
            return Ok(());
        }
        return Err(ReplyError::new(
            "ERR Invalid arguments specified for command",
        ));
    }
    c.reply.array_len(keys.len());
    for (i, flags) in keys {
        if with_flags {
            c.reply.array_len(2);
            c.reply.bulk(&args[i]);
            let flags: Vec<&str> = flags.split_whitespace().collect();
            c.reply.set_len(flags.len());
            for f in flags {
                c.reply.status(f);
            }
        } else {
            c.reply.bulk(&args[i]);
        }
    }
    Ok(())
}

pub fn command_help_command(_: &mut Server, c: &mut Client) -> CmdResult {
    reply_help(
        c,
        "COMMAND",
        &[
            "(no subcommand)",
            "    Every command's details.",
            "COUNT",
            "    How many commands there are.",
            "DOCS [<command-name> ...]",
            "    Documentation of the given commands, or of all.",
            "GETKEYS <full-command>",
            "    The key arguments of a full command line.",
            "INFO [<command-name> ...]",
            "    Details of the given commands, or of all.",
            "LIST [FILTERBY (MODULE <module-name>|ACLCAT <category>|PATTERN <pattern>)]",
            "    Command names, optionally filtered.",
        ],
    );
    Ok(())
}

/// LOLWUT [VERSION v]: the server version line (Redis 7.0's output); for
/// versions 5 and 6, a small drawing of our own comes first (Redis's are
/// random, so never the same twice anyway).
pub fn lolwut_command(_: &mut Server, c: &mut Client) -> CmdResult {
    let mut major = 7i64;
    let mut args = &c.argv[1..];
    if args.len() >= 2 && is(&args[0], "version") {
        let v = parse_i64(&args[1])?;
        // Redis formats it as an unsigned int.
        major = v as u32 as i64;
        args = &args[2..];
    }
    let mut text = String::new();
    if major == 5 || major == 6 {
        let num = |i: usize, d: i64| {
            args.get(i)
                .and_then(|a| crate::util::num::string2ll(a))
                .unwrap_or(d)
                .clamp(1, 40)
        };
        let (cols, rows) = (num(0, 12), num(1, 6));
        for r in 0..rows {
            for col in 0..cols {
                text.push(if (r + col) % 2 == 0 { '#' } else { '.' });
            }
            text.push('\n');
        }
        text.push('\n');
    }
    text.push_str("Redis ver. 7.0.15\n");
    c.reply.verbatim(text.as_bytes());
    Ok(())
}

/// CONFIG REWRITE: the config file the server started with, brought up to
/// date with the current settings (comments and order kept), written to a
/// temporary file and renamed over the old one.
pub fn config_rewrite_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let Some(path) = s.config_file.clone() else {
        return Err(ReplyError::new(
            "ERR The server is running without a config file",
        ));
    };
    let old = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => {
            return Err(ReplyError::owned(format!("ERR Rewriting config file: {e}")));
        }
    };
    // Users are rewritten as `user` lines unless an aclfile keeps them.
    let users: Vec<String> = if s.config.aclfile.is_empty() {
        s.acl
            .file_text()
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| String::from_utf8_lossy(l).into_owned())
            .collect()
    } else {
        Vec::new()
    };
    let text = s.config.rewrite_text_with_users(&old, &users);
    let tmp = format!("{path}.tmp-{}", std::process::id());
    let written = std::fs::write(&tmp, text.as_bytes())
        .and_then(|_| std::fs::File::open(&tmp)?.sync_all())
        .and_then(|_| std::fs::rename(&tmp, &path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        log::warn!("CONFIG REWRITE failed: {e}");
        return Err(ReplyError::owned(format!("ERR Rewriting config file: {e}")));
    }
    log::info!("CONFIG REWRITE executed with success.");
    c.reply.ok();
    Ok(())
}
