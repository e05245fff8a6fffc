//! Propagation: the one path by which a change leaves the keyspace for the
//! AOF, the AOF-rewrite buffer and the replication stream, after
//! Redis 7.0's alsoPropagate / propagatePendingCommands / propagateNow
//! (server.c).
//!
//! Everything an execution unit changed is queued as (db, argv) ops: the
//! command's own argv (queued by `call` when the command made the data
//! dirty), what a handler propagates instead of its argv (`propagate_as`:
//! SET EX becomes SET PXAT, SPOP becomes SREM, a served BLPOP becomes
//! LPOP...), and deletions of keys found expired meanwhile. When the
//! outermost unit ends (`call` at depth 0, one blocked client served, an
//! active-expiry batch) `propagate_pending` sends the queue out through
//! `propagate_now`: a single op as it is, several wrapped in MULTI/EXEC so
//! a replay applies all or none of them (an EXEC, a write that also found
//! an expired key). Nothing else writes to the AOF.

use crate::server::Server;

/// One queued change: the database it applies to, its argv, and whether
/// it goes to the replicas only (PUBLISH: Redis's PROPAGATE_REPL).
pub type Op = (usize, Vec<Vec<u8>>, bool);

#[derive(Default)]
pub struct Propagation {
    /// Ops of the running execution unit (Redis's server.also_propagate).
    ops: Vec<Op>,
    /// How many `call`s are running (Redis's in_nested_call): the queue
    /// goes out when the outermost one returns.
    pub depth: u32,
    /// The running command propagates what it queued with `propagate_as`
    /// instead of its own argv (Redis's CLIENT_PREVENT_PROP).
    pub prevent_cmd: bool,
    /// The database of the running command, for `propagate_as`.
    pub cmd_db: usize,
    /// Active expiry: the batch is independent deletions, never wrapped
    /// (Redis's propagate_no_multi).
    pub no_multi: bool,
    /// The running top-level command's name: SCAN and RANDOMKEY may touch
    /// arbitrary keys, so their expired-key deletions go out unwrapped, as
    /// Redis's CMD_TOUCHES_ARBITRARY_KEYS (looked at only when wrapping).
    pub top_command: &'static str,
}

impl Propagation {
    pub fn has_pending(&self) -> bool {
        !self.ops.is_empty()
    }
}

impl Server {
    /// Is anyone listening to the propagation stream? (Nothing is queued,
    /// so nothing is cloned, when no AOF is on and no rewrite runs.)
    #[inline]
    pub fn propagation_wanted(&self) -> bool {
        !self.loading
            && (self.aof.is_some() || self.aof_rewrite.is_some() || self.repl.wants_stream())
    }

    /// The running command is not propagated for itself (Redis's
    /// preventCommandPropagation): EVAL, whose effects go out instead.
    pub fn prevent_command_propagation(&mut self) {
        self.prop.prevent_cmd = true;
    }

    /// How many ops the running unit has queued, to drop later ones with
    /// `discard_propagation_since` (redis.set_repl(redis.REPL_NONE)).
    pub fn propagation_mark(&self) -> usize {
        self.prop.ops.len()
    }

    pub fn discard_propagation_since(&mut self, mark: usize) {
        self.prop.ops.truncate(mark);
    }

    /// Queue an op for the running execution unit (Redis's alsoPropagate).
    pub fn also_propagate(&mut self, db: usize, argv: Vec<Vec<u8>>) {
        if self.propagation_wanted() {
            self.prop.ops.push((db, argv, false));
        }
    }

    /// The running command also goes to the replicas, never to the AOF
    /// (Redis's forceCommandPropagation(c, PROPAGATE_REPL): PUBLISH and
    /// SPUBLISH, so a replica's subscribers hear the master's messages).
    pub fn propagate_to_replicas(&mut self, db: usize, argv: &[Vec<u8>]) {
        if !self.loading && self.repl.wants_stream() {
            self.prop.ops.push((db, argv.to_vec(), true));
        }
    }

    /// The running command propagates as `argv` (one or several calls)
    /// instead of as it came: the deterministic form of a command whose
    /// effect depends on time or state (Redis's preventCommandPropagation
    /// plus alsoPropagate, or rewriteClientCommandVector).
    pub fn propagate_as(&mut self, argv: Vec<Vec<u8>>) {
        self.prop.prevent_cmd = true;
        let db = self.prop.cmd_db;
        self.also_propagate(db, argv);
    }

    /// Queue the command that just ran, unless its handler propagated
    /// something else. Called by `call` when the command dirtied the data.
    #[inline]
    pub(crate) fn propagate_command(&mut self, db: usize, argv: &[Vec<u8>]) {
        if self.prop.prevent_cmd || !self.propagation_wanted() {
            return;
        }
        // The common case, a lone top-level write, goes straight out
        // without copying its argv into the queue.
        if self.prop.depth == 0 && self.prop.ops.is_empty() {
            self.propagate_now(db, argv, false);
        } else {
            self.prop.ops.push((db, argv.to_vec(), false));
        }
    }

    /// Send the queued ops out (Redis's propagatePendingCommands): alone as
    /// they are, several inside MULTI/EXEC.
    #[inline]
    pub fn propagate_pending(&mut self) {
        if !self.prop.ops.is_empty() {
            self.send_pending();
        }
    }

    #[inline(never)]
    fn send_pending(&mut self) {
        let ops = std::mem::take(&mut self.prop.ops);
        let wrap = ops.len() > 1
            && !self.prop.no_multi
            && !matches!(self.prop.top_command, "scan" | "randomkey");
        if wrap {
            // MULTI takes the first op's db, so its SELECT comes first;
            // EXEC takes the last one's, so it needs none.
            self.propagate_now(ops[0].0, &[b"MULTI".to_vec()], false);
        }
        let last_db = ops.last().map(|o| o.0).unwrap_or(0);
        for (db, argv, repl_only) in &ops {
            self.propagate_now(*db, argv, *repl_only);
        }
        if wrap {
            self.propagate_now(last_db, &[b"EXEC".to_vec()], false);
        }
    }

    /// Feed one op to every consumer (Redis's propagateNow): the AOF,
    /// while a rewrite runs the buffer of what arrived meanwhile, and the
    /// replicas with the backlog.
    fn propagate_now(&mut self, db: usize, argv: &[Vec<u8>], repl_only: bool) {
        if self.loading {
            return;
        }
        if !repl_only {
            if let Some(aof) = self.aof.as_mut() {
                aof.feed(db, argv, self.now_ms / 1000);
            }
            if let Some(job) = self.aof_rewrite.as_mut() {
                job.feed(db, argv);
            }
        }
        self.repl_feed(Some(db), argv);
    }

    /// Delete a key found expired, lazily or by the active cycle (Redis's
    /// deleteExpiredKeyAndPropagate): gone from the keyspace, an `expired`
    /// event, the key-modified signal, and DEL (or UNLINK under
    /// lazyfree-lazy-expire) propagated.
    pub fn delete_expired_key(&mut self, db: usize, key: &[u8]) {
        let lazy = self.config.lazyfree_lazy_expire;
        self.db_generic_delete(db, key, lazy);
        self.notify_keyspace_event(crate::notify::EXPIRED, "expired", key, db);
        self.signal_modified_key_by(db, key, None);
        let cmd = self.expire_deletion_command();
        self.also_propagate(db, vec![cmd.to_vec(), key.to_vec()]);
        self.stats.expired_keys += 1;
    }

    /// How a deletion because of expiry is propagated: DEL, or UNLINK under
    /// lazyfree-lazy-expire (Redis's propagateDeletion).
    pub fn expire_deletion_command(&self) -> &'static [u8] {
        if self.config.lazyfree_lazy_expire {
            b"UNLINK"
        } else {
            b"DEL"
        }
    }

    /// A command set a time already past on `key` (EXPIRE, GETEX EXAT/PXAT):
    /// the key goes now, announced as `del` and propagated as DEL/UNLINK in
    /// the command's place (Redis's expireGenericCommand).
    /// A TTL already in the past deletes the key at once (Redis's
    /// checkAlreadyExpired), except while loading: the file goes on to
    /// say what happened next, and replays it with the key still there.
    pub fn check_already_expired(&self, when: i64) -> bool {
        when <= self.now_ms && !self.loading
    }

    pub fn delete_for_past_expiry(&mut self, db: usize, key: &[u8]) {
        let lazy = self.config.lazyfree_lazy_expire;
        self.db_generic_delete(db, key, lazy);
        let cmd = self.expire_deletion_command();
        self.propagate_as(vec![cmd.to_vec(), key.to_vec()]);
        self.notify_keyspace_event(crate::notify::GENERIC, "del", key, db);
    }
}
