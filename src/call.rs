//! The command path, after Redis's server.c processCommand and call: the
//! command table lookup, Redis's refusal errors, the transaction queue,
//! then `call`, which runs the handler, signals the keys it wrote, queues
//! its propagation and sends the unit's ops out when the outermost call
//! returns, and keeps the stats, the slow log and MONITOR fed.

use crate::client::Client;
use crate::commands::{CmdResult, CommandSpec, Lookup, ReplyError};
use crate::server::{CommandStats, Server};

impl Server {
    // ---------------------------------------------------------------
    // The command path.
    // ---------------------------------------------------------------

    /// Run the request in `c.argv` (Redis's processCommand): look it up,
    /// check arity, then `call` it. Errors here are counted as rejected.
    pub fn process_command(&mut self, c: &mut Client) {
        if c.argv.is_empty() {
            return;
        }
        // CLIENT REPLY OFF/SKIP: run the command, drop what it answered.
        let reply_mark = c.reply.buf.len();
        let skip_this = c.reply_skip_next;
        c.reply_skip_next = false;
        // Our master's commands are obeyed, never answered.
        c.replies_suppressed = c.reply_off || skip_this || c.master_link;
        let off = self.repl.master_repl_offset;
        self.process_command_inner(c);
        // WAIT waits for the stream up to this client's last write.
        if self.repl.master_repl_offset != off {
            c.woff = self.repl.master_repl_offset;
        }
        // (CLIENT REPLY ON lifts it for its own OK, even after a SKIP.)
        if c.replies_suppressed {
            c.reply.buf.truncate(reply_mark.max(c.reply.sent));
        }
        c.replies_suppressed = false;
        if !c.kept_pushes.is_empty() {
            let kept = std::mem::take(&mut c.kept_pushes);
            c.reply.buf.extend_from_slice(&kept);
        }
        // Messages published to this client while it ran (its own
        // keyspace events, or under CLIENT REPLY OFF, where pushes still
        // go out as Redis sends them: they are not replies).
        crate::commands::pubsub::deliver_deferred_pushes(self, c);
    }

    /// Would CLIENT PAUSE hold this command back right now?
    /// A CLIENT PAUSE (either kind) or a failover's pause is on (Redis's
    /// checkClientPauseTimeoutAndReturnIfPaused): expiry waits.
    pub fn clients_paused(&self) -> bool {
        self.pause
            .is_some_and(|(until, _)| crate::util::time::mstime() < until)
            || self.failover_pauses_writes()
    }

    pub fn paused_for(&mut self, c: &Client) -> bool {
        // Unknown commands and wrong arities are answered at once, paused or
        // not (Redis checks them before the pause).
        match self.commands.lookup(&c.argv) {
            Lookup::Found(spec) => {
                let argc = c.argv.len() as i64;
                let arity = spec.arity as i64;
                if (arity > 0 && argc != arity) || argc < -arity {
                    return false;
                }
            }
            _ => return false,
        }
        if self.failover_pauses_writes() && self.may_replicate(c) {
            return true;
        }
        let Some((until, all)) = self.pause else {
            return false;
        };
        if crate::util::time::mstime() >= until {
            self.pause = None;
            return false;
        }
        all || self.may_replicate(c)
    }

    /// Redis's is_may_replicate_command, what CLIENT PAUSE WRITE holds: a
    /// command flagged write or may-replicate (PUBLISH, PFCOUNT, EVAL...),
    /// an EXEC queuing one, and a script by its shebang flags when it has
    /// them (a `no-writes` script is a read).
    fn may_replicate(&self, c: &Client) -> bool {
        if let Lookup::Found(spec) = self.commands.lookup(&c.argv)
            && spec.name == "exec"
        {
            return c
                .mstate
                .as_ref()
                .is_some_and(|q| q.iter().any(|argv| self.argv_may_replicate(argv)));
        }
        self.argv_may_replicate(&c.argv)
    }

    fn argv_may_replicate(&self, argv: &[Vec<u8>]) -> bool {
        use crate::commands::flag::{MAY_REPLICATE, WRITE};
        let Lookup::Found(spec) = self.commands.lookup(argv) else {
            return false;
        };
        let name = self.commands.full_name_static(spec);
        if matches!(
            name,
            "eval" | "eval_ro" | "evalsha" | "evalsha_ro" | "fcall" | "fcall_ro"
        ) && let Some(f) = self.scripting.flags_for_call(name, argv)
            && !f.compat
        {
            return !f.no_writes;
        }
        self.commands.flag_bits(spec) & (WRITE | MAY_REPLICATE) != 0
    }

    fn process_command_inner(&mut self, c: &mut Client) {
        c.last_interaction = self.now_ms;
        // CLIENT LIST's cmd= is set at lookup, as Redis's lastcmd: a
        // refused or queued command shows too, an unknown one as NULL, and
        // the commands EXEC runs leave it at exec.
        let spec = match self.commands.lookup(&c.argv) {
            Lookup::Found(spec) => {
                c.last_cmd = self.commands.full_name_static(spec);
                spec
            }
            Lookup::UnknownCommand => {
                c.last_cmd = "NULL";
                let err = unknown_command_error(&c.argv);
                self.reject(c, err, None);
                return;
            }
            Lookup::UnknownSubcommand => {
                c.last_cmd = "NULL";
                let err = ReplyError::bytes(
                    [
                        b"ERR unknown subcommand '".as_slice(),
                        trunc(&c.argv[1], 128),
                        b"'. Try ",
                        c.argv[0].to_ascii_uppercase().as_slice(),
                        b" HELP.",
                    ]
                    .concat(),
                );
                self.reject(c, err, None);
                return;
            }
        };
        if !spec.arity_ok(c.argv.len()) {
            let err = ReplyError::owned(format!(
                "ERR wrong number of arguments for '{}' command",
                self.commands.full_name(spec)
            ));
            self.reject(c, err, Some(spec));
            return;
        }
        // DEBUG is a protected command: enable-debug-command says from
        // where, if anywhere, it may run (allowProtectedAction).
        if spec.name == "debug"
            && self
                .commands
                .get(b"debug")
                .is_some_and(|d| std::ptr::eq(d, spec))
        {
            let allowed = match self.config.enable_debug_command.as_str() {
                "yes" => true,
                "local" => c.is_local(),
                _ => false,
            };
            if !allowed {
                self.reject(
                    c,
                    ReplyError::new(
                        "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.",
                    ),
                    Some(spec),
                );
                return;
            }
        }
        if !c.authenticated && !spec.has_flag("no_auth") && self.acl.default_requires_auth() {
            self.reject(
                c,
                ReplyError::new("NOAUTH Authentication required."),
                Some(spec),
            );
            return;
        }
        if c.mstate.is_some() && spec.has_flag("no_multi") {
            self.reject(
                c,
                ReplyError::new("ERR Command not allowed inside a transaction"),
                Some(spec),
            );
            return;
        }
        // The user's permissions (one bitmap test; none for a user that
        // may run everything).
        if !self.acl.is_unrestricted(c.user) {
            let context = if c.mstate.is_some() {
                crate::acl::LogContext::Multi
            } else {
                crate::acl::LogContext::Toplevel
            };
            if let Err(err) = self.acl_check_command(c, spec, context) {
                self.reject(c, err, Some(spec));
                return;
            }
        }
        // Over maxmemory: what may grow memory is refused (Redis's OOM
        // check in processCommand, before the pub/sub and busy checks).
        if self.config.maxmemory > 0
            && !c.master_link
            && !self.scripting.is_busy()
            && self.oom_rejects(c, spec)
        {
            self.reject(
                c,
                ReplyError::new("OOM command not allowed when used memory > 'maxmemory'."),
                Some(spec),
            );
            return;
        }
        // Replication's refusals (Redis's processCommand, after OOM): too
        // few good replicas, a read-only replica, stale data.
        if self.repl_refuses(c, spec) {
            return;
        }
        // Evictions just made, and the tracking table brought within its
        // limit, announce themselves before this command's reply.
        if self.tracking.clients > 0 {
            self.tracking_limit_used_slots();
            self.tracking_flush_pending(c);
        }
        // RESP2 subscribers may only (un)subscribe, PING, QUIT or RESET.
        if c.reply.resp == 2
            && c.subscription_count() > 0
            && !matches!(
                self.commands.full_name_static(spec),
                "subscribe"
                    | "psubscribe"
                    | "unsubscribe"
                    | "punsubscribe"
                    | "ssubscribe"
                    | "sunsubscribe"
                    | "ping"
                    | "quit"
                    | "reset"
            )
        {
            let err = ReplyError::owned(format!(
                "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
                self.commands.full_name_static(spec)
            ));
            self.reject(c, err, Some(spec));
            return;
        }
        // A script past busy-reply-threshold: only what may run beside it.
        if self.scripting.is_busy() && !spec.has_flag("allow_busy") {
            self.reject(c, ReplyError::new(self.scripting.busy_error()), Some(spec));
            return;
        }
        if c.mstate.is_some()
            && !matches!(
                self.commands.full_name_static(spec),
                "exec" | "discard" | "multi" | "watch" | "quit" | "reset"
            )
        {
            // A transaction already doomed (a refused command, a touched
            // WATCH) stops growing, as Redis's queueMultiCommand.
            let doomed = c.dirty_exec || self.cas_dirty.contains(&c.slot);
            if let Some(q) = c.mstate.as_mut()
                && !doomed
            {
                q.push(std::mem::take(&mut c.argv));
            }
            c.reply.status("QUEUED");
            return;
        }
        self.call(c, spec);
        // CLIENT CACHING applies to the next command (or transaction).
        if let Some(t) = c.tracking.as_mut()
            && t.caching
            && c.mstate.is_none()
            && !self.commands.full_name_static(spec).starts_with("client|")
        {
            t.caching = false;
        }
        if !self.ready_keys.is_empty() {
            // Serving them takes time the next command must not count.
            self.last_call_end_us = 0;
            self.handle_clients_blocked_on_keys();
            // What serving them changed, for this client.
            self.tracking_flush_pending(c);
        }
    }

    /// -NOREPLICAS, -READONLY and -MASTERDOWN, as Redis checks them.
    fn repl_refuses(&mut self, c: &mut Client, spec: &'static CommandSpec) -> bool {
        let replica = self.is_replica();
        if !replica && self.config.min_replicas_to_write == 0 {
            return false;
        }
        let flags = self.commands.flag_bits(spec);
        let queued_flags = |s: &Self| -> u32 {
            c.mstate.as_ref().map_or(0, |q| {
                q.iter()
                    .filter_map(|argv| match s.commands.lookup(argv) {
                        Lookup::Found(sp) => Some(s.commands.flag_bits(sp)),
                        _ => None,
                    })
                    .fold(0, |a, f| a | f)
            })
        };
        let is_exec = spec.name == "exec";
        let write =
            spec.is_write() || (is_exec && queued_flags(self) & crate::commands::flag::WRITE != 0);
        if write && !replica && self.not_enough_good_replicas() {
            self.reject(
                c,
                ReplyError::new("NOREPLICAS Not enough good replicas to write."),
                Some(spec),
            );
            return true;
        }
        if !replica || c.master_link {
            return false;
        }
        if write && self.config.replica_read_only {
            self.reject(
                c,
                ReplyError::new("READONLY You can't write against a read only replica."),
                Some(spec),
            );
            return true;
        }
        let stale_ok = flags & crate::commands::flag::STALE != 0
            && !(is_exec
                && queued_flags(self) & crate::commands::flag::STALE == 0
                && c.mstate.as_ref().is_some_and(|q| !q.is_empty()));
        if !self.repl.link.is_connected() && !self.config.replica_serve_stale_data && !stale_ok {
            self.reject(c, ReplyError::new("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."), Some(spec));
            return true;
        }
        false
    }

    /// Is memory over maxmemory with nothing left to evict, and is this a
    /// command that must not run then? A `denyoom` command, anything but
    /// EXEC/DISCARD/QUIT/RESET inside MULTI, an EXEC of a queued `denyoom`
    /// command, a script whose flags deny it. EVAL/FCALL/EXEC remember the
    /// state for the writes they make (pre_command_oom_state).
    fn oom_rejects(&mut self, c: &Client, spec: &'static CommandSpec) -> bool {
        let out_of_memory = self.perform_evictions() == crate::evict::Evict::Fail;
        let name = self.commands.full_name_static(spec);
        let mut denyoom = self.commands.flag_bits(spec) & crate::commands::flag::DENYOOM != 0;
        if out_of_memory && !denyoom {
            denyoom = match name {
                "exec" => c.mstate.as_ref().is_some_and(|q| {
                    q.iter().any(|argv| match self.commands.lookup(argv) {
                        crate::commands::Lookup::Found(sp) => {
                            self.commands.flag_bits(sp) & crate::commands::flag::DENYOOM != 0
                        }
                        _ => false,
                    })
                }),
                "eval" | "eval_ro" | "evalsha" | "evalsha_ro" | "fcall" | "fcall_ro" => self
                    .scripting
                    .flags_for_call(name, &c.argv)
                    .is_some_and(|f| !f.compat && !f.allow_oom && !f.no_writes),
                _ => false,
            };
        }
        let reject_on_oom = denyoom
            || (c.mstate.is_some() && !matches!(name, "exec" | "discard" | "quit" | "reset"));
        if out_of_memory && reject_on_oom {
            return true;
        }
        if matches!(
            name,
            "eval" | "eval_ro" | "evalsha" | "evalsha_ro" | "fcall" | "fcall_ro" | "exec"
        ) {
            self.pre_command_oom_state = out_of_memory;
        }
        false
    }

    fn reject(&mut self, c: &mut Client, err: ReplyError, spec: Option<&'static CommandSpec>) {
        // A refused EXEC discards the transaction and says why (Redis's
        // execCommandAbort); any other refused command inside MULTI dooms
        // the transaction.
        let err = if spec.is_some_and(|s| s.name == "exec") {
            crate::commands::transactions::discard_transaction(self, c);
            let msg = err.as_bytes();
            let why = msg.strip_prefix(b"ERR ").unwrap_or(msg);
            ReplyError::bytes(
                [
                    b"EXECABORT Transaction discarded because of: ".as_slice(),
                    why,
                ]
                .concat(),
            )
        } else {
            if c.mstate.is_some() {
                c.dirty_exec = true;
            }
            err
        };
        if let Some(spec) = spec {
            let i = self.commands.index_of(spec);
            if self.stats.commands.len() <= i {
                self.stats.commands.resize(
                    self.commands.names().len().max(i + 1),
                    CommandStats::default(),
                );
            }
            self.stats.commands[i].rejected_calls += 1;
        }
        self.add_reply_error(c, &err);
    }

    /// Write an error reply and count it in errorstats.
    pub fn add_reply_error(&mut self, c: &mut Client, err: &ReplyError) {
        let msg = err.as_bytes();
        let code_end = msg.iter().position(|&b| b == b' ').unwrap_or(msg.len());
        let code = String::from_utf8_lossy(&msg[..code_end]).into_owned();
        *self.stats.errors.entry(code).or_default() += 1;
        self.stats.total_error_replies += 1;
        c.reply.error(msg);
    }

    fn command_stats_mut(&mut self, spec: &'static CommandSpec) -> &mut CommandStats {
        let i = self.commands.index_of(spec);
        if self.stats.commands.len() <= i {
            self.stats.commands.resize(
                self.commands.names().len().max(i + 1),
                CommandStats::default(),
            );
        }
        &mut self.stats.commands[i]
    }

    /// A command refused before it ran, in its stats (rejected_calls).
    pub fn count_rejected_call(&mut self, spec: &'static CommandSpec) {
        self.command_stats_mut(spec).rejected_calls += 1;
    }

    /// A command that failed with an error already counted elsewhere.
    pub fn count_failed_call(&mut self, spec: &'static CommandSpec) {
        self.command_stats_mut(spec).failed_calls += 1;
    }

    /// Run a looked-up command (Redis's call): the handler, then stats.
    pub fn call(&mut self, c: &mut Client, spec: &'static CommandSpec) {
        // One clock read gives the command's time (TTLs) and its start;
        // in a pipelined batch the previous command's end serves.
        let start_us = match self.call_clock_hint.take() {
            Some(us) if self.prop.depth == 0 => us,
            _ => crate::util::time::ustime(),
        };
        // A script's commands see the time it started (keys cannot
        // expire halfway through it).
        self.now_ms = match self.scripting.time_snapshot() {
            Some(t) if self.prop.depth > 0 => t,
            _ => start_us / 1000,
        };
        c.last_interaction = self.now_ms;
        let dirty_before = self.dirty;
        // Errors counted before this command (elsewhere) are not its own.
        if self.prop.depth == 0 {
            self.err_seen = self.stats.total_error_replies;
        }
        let outer_prevent = std::mem::replace(&mut self.prop.prevent_cmd, false);
        let outer_signalled = std::mem::replace(&mut self.keys_signalled, false);
        let outer_db = std::mem::replace(&mut self.prop.cmd_db, c.db);
        if self.prop.depth == 0 {
            self.prop.top_command = spec.name;
            self.current_client_id = Some(c.id);
            self.current_is_master = c.master_link;
            // Invalidations from before the command (its evictions, the
            // tracking table's limit) go before its reply, as Redis sends
            // them right after performEvictions.
            self.tracking_flush_pending(c);
        }
        self.prop.depth += 1;
        self.reply_pos = Some((c.slot, c.reply.buf.len()));
        let result: CmdResult = (spec.handler)(self, c);
        self.prop.depth -= 1;
        let end_us = crate::util::time::ustime();
        let usec = (end_us - start_us).max(0) as u64;
        if self.prop.depth == 0 {
            self.last_call_end_us = end_us;
        }
        // A write touches the WATCHes and tracking of the keys it may
        // change. (Waiters
        // are readied where a key is created, by the keyspace API, as
        // Redis's dbAdd does: an overwrite readies nobody.) A handler that
        // knows better signals its keys itself (see `keys_signalled`).
        if self.dirty != dirty_before
            && (!self.watched_keys.is_empty() || self.tracking.clients > 0)
            && !self.keys_signalled
        {
            for i in crate::commands::written_key_positions(spec, &c.argv) {
                let key = c.argv[i].clone();
                self.signal_modified_key(c.db, &key);
            }
        }
        // A tracking client remembers the keys of what it read, a script's
        // caller the script's keys when the script read anything.
        if self.tracking.clients > 0 {
            self.tracking_after_call(c, spec);
        }
        // A command that changed data is propagated as it came, unless its
        // handler propagated another form. EXEC never is: what ran inside
        // it is, wrapped in MULTI/EXEC when there is more than one op.
        if self.dirty != dirty_before {
            self.propagate_command(c.db, &c.argv);
        }
        // Pushes from here on (the unit's propagation publishes nothing,
        // but an EXEC's next command notes its own position).
        self.reply_pos = Some((c.slot, c.reply.buf.len()));
        self.prop.prevent_cmd = outer_prevent;
        self.keys_signalled = outer_signalled;
        self.prop.cmd_db = outer_db;
        // The outermost call sends out what its unit queued (Redis's
        // afterCommand).
        if self.prop.depth == 0 {
            self.propagate_pending();
            self.prop.top_command = "";
        }
        // One index lookup serves the name and the stats slot.
        let i = self.commands.index_of(spec);
        let name = self.commands.names()[i];
        // Passwords never reach MONITOR, the slow log or CLIENT LIST.
        redact_secrets(name, &mut c.argv);
        if !self.monitors.is_empty()
            && !self.loading
            && !spec.has_flag("admin")
            && !spec.has_flag("skip_monitor")
        {
            crate::commands::introspection::feed_monitors(self, c);
        }
        c.duration_us = usec;
        // A blocked command is logged when it is served, with its whole
        // time (Redis's updateStatsOnUnblock).
        let threshold = self.config.slowlog_log_slower_than;
        if threshold >= 0
            && usec as i64 >= threshold
            && !spec.has_flag("skip_slowlog")
            && c.bstate.is_none()
        {
            let max_len = self.config.slowlog_max_len;
            self.slowlog
                .push_if_needed(threshold, max_len, c, usec, self.now_ms);
        }
        if self.stats.commands.len() <= i {
            self.stats.commands.resize(
                self.commands.names().len().max(i + 1),
                CommandStats::default(),
            );
        }
        // An error reply counted while it ran, and not by a command it ran
        // itself (EXEC's, a script's), makes it failed, as Redis's call
        // compares stat_total_error_replies.
        let errored = self.stats.total_error_replies > self.err_seen;
        // A blocked command's latency is not known yet (Redis counts it
        // when the client is unblocked).
        if c.bstate.is_none() {
            if self.config.latency_tracking {
                if self.stats.latency_hist.len() <= i {
                    self.stats
                        .latency_hist
                        .resize(self.commands.names().len().max(i + 1), None);
                }
                self.stats.latency_hist[i]
                    .get_or_insert_with(Default::default)
                    .record(usec as i64 * 1000);
            }
            let threshold = self.config.latency_monitor_threshold;
            if threshold > 0 {
                let fast = self.commands.flag_bits(spec) & crate::commands::flag::FAST != 0;
                let event = if fast { "fast-command" } else { "command" };
                self.latency_monitor
                    .add_if_needed(threshold, event, usec / 1000);
            }
        }
        let st = &mut self.stats.commands[i];
        st.calls += 1;
        st.usec += usec;
        if let Err(e) = result {
            st.failed_calls += 1;
            self.add_reply_error(c, &e);
        } else if errored {
            st.failed_calls += 1;
        }
        self.err_seen = self.stats.total_error_replies;
        self.stats.numcommands += 1;
        // Invalidations for this client go after its reply (and after a
        // whole EXEC's), as Redis's afterCommand sends them.
        if self.prop.depth == 0 {
            self.current_client_id = None;
            self.current_is_master = false;
            self.tracking_flush_pending(c);
        }
    }

    /// call()'s client-side caching part: a read-only command's keys are
    /// remembered for the client (EVAL_RO/EVALSHA_RO/FCALL_RO excepted: a
    /// script's reads count for its caller, with the script's keys).
    fn tracking_after_call(&mut self, c: &mut Client, spec: &'static CommandSpec) {
        let readonly = self.commands.flag_bits(spec) & crate::commands::flag::READONLY != 0;
        let script_cmd = matches!(
            spec.name,
            "eval" | "evalsha" | "eval_ro" | "evalsha_ro" | "fcall" | "fcall_ro"
        );
        if readonly && !script_cmd {
            if self.scripting.running().is_some() {
                self.tracking.script_read = true;
            } else if c.tracking.as_ref().is_some_and(|t| !t.bcast) {
                self.tracking_remember_keys(c, spec);
            }
        } else if script_cmd
            && std::mem::take(&mut self.tracking.script_read)
            && c.tracking.as_ref().is_some_and(|t| !t.bcast)
        {
            self.tracking_remember_keys(c, spec);
        }
    }
}

/// Redis's redactClientCommandArgument for AUTH and HELLO ... AUTH.
fn redact_secrets(name: &str, argv: &mut [Vec<u8>]) {
    const REDACTED: &[u8] = b"(redacted)";
    match name {
        "auth" => argv.iter_mut().skip(1).for_each(|a| *a = REDACTED.to_vec()),
        // MIGRATE's AUTH password and AUTH2 username password.
        "migrate" => {
            let mut j = 6;
            while j < argv.len() {
                let more = argv.len() - 1 - j;
                if argv[j].eq_ignore_ascii_case(b"auth") && more >= 1 {
                    argv[j + 1] = REDACTED.to_vec();
                    j += 1;
                } else if argv[j].eq_ignore_ascii_case(b"auth2") && more >= 2 {
                    argv[j + 1] = REDACTED.to_vec();
                    argv[j + 2] = REDACTED.to_vec();
                    j += 2;
                } else if argv[j].eq_ignore_ascii_case(b"keys") {
                    break;
                }
                j += 1;
            }
        }
        // Every rule: passwords among them.
        "acl|setuser" => argv.iter_mut().skip(2).for_each(|a| *a = REDACTED.to_vec()),
        // Sensitive configs' values (Redis's SENSITIVE_CONFIG).
        "config|set" => {
            for pair in argv[2..].chunks_mut(2) {
                if let [name, value] = pair
                    && (name.eq_ignore_ascii_case(b"requirepass")
                        || name.eq_ignore_ascii_case(b"masterauth"))
                {
                    *value = REDACTED.to_vec();
                }
            }
        }
        // The credentials of each AUTH option, found the way HELLO reads
        // its options (a client name may well be "auth").
        "hello" => {
            let mut j = 2;
            while j < argv.len() {
                let more = argv.len() - 1 - j;
                if argv[j].eq_ignore_ascii_case(b"auth") && more >= 2 {
                    argv[j + 1] = REDACTED.to_vec();
                    argv[j + 2] = REDACTED.to_vec();
                    j += 3;
                } else if argv[j].eq_ignore_ascii_case(b"setname") && more >= 1 {
                    j += 2;
                } else {
                    break;
                }
            }
        }
        _ => {}
    }
}

fn trunc(b: &[u8], n: usize) -> &[u8] {
    &b[..b.len().min(n)]
}

/// Redis's unknown-command text: the name (up to 128 bytes) and the first
/// arguments, each quoted, until 128 bytes of them are shown.
fn unknown_command_error(argv: &[Vec<u8>]) -> ReplyError {
    // Redis formats with %s, which stops at a NUL byte.
    let c_str = |a: &[u8]| -> Vec<u8> { a.split(|&b| b == 0).next().unwrap_or_default().to_vec() };
    let mut args: Vec<u8> = Vec::new();
    for a in &argv[1..] {
        if args.len() >= 128 {
            break;
        }
        let room = 128 - args.len();
        args.push(b'\'');
        args.extend_from_slice(trunc(&c_str(a), room));
        args.extend_from_slice(b"' ");
    }
    let mut msg = b"ERR unknown command '".to_vec();
    msg.extend_from_slice(trunc(&c_str(&argv[0]), 128));
    msg.extend_from_slice(b"', with args beginning with: ");
    msg.extend_from_slice(&args);
    ReplyError::bytes(msg)
}
