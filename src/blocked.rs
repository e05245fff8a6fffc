//! Clients blocked on keys (BLPOP and friends), after Redis's blocked.c.
//!
//! A blocking command that finds nothing records its keys and deadline in
//! the client and queues the client under each key. When a command creates
//! a list at a key with waiters, the key is signalled ready; right after
//! that command (before any other client runs) the waiters are served in
//! the order they blocked, so a pushed element is never visible to anyone
//! else in between. Timeouts fire from the event loop with millisecond
//! precision; a client that disconnects is dropped from every queue.

use crate::client::Client;
use crate::server::Server;
use std::collections::VecDeque;

/// Which end of a list.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum End {
    Head,
    Tail,
}

/// What a blocked client is waiting to do.
#[derive(Clone, Debug)]
pub enum BlockOp {
    /// BLPOP/BRPOP (count None) and BLMPOP (count Some).
    Pop { end: End, count: Option<usize> },
    /// BLMOVE/BRPOPLPUSH.
    Move { from: End, to: End, dst: Vec<u8> },
    /// BZPOPMIN/BZPOPMAX (count None) and BZMPOP (count Some); `max`
    /// pops the highest scores.
    ZPop { max: bool, count: Option<usize> },
    /// XREAD/XREADGROUP: per key (in `keys` order) the ID entries must
    /// follow (StreamId::MAX for XREADGROUP's `>`), how many to serve, and
    /// the group and consumer.
    XRead {
        ids: Vec<crate::types::stream::StreamId>,
        count: usize,
        group: Option<(Vec<u8>, Vec<u8>)>,
        noack: bool,
    },
    /// WAIT: enough replicas must acknowledge `offset`.
    Wait { replicas: i64, offset: u64 },
    /// MIGRATE: its exchange with the target is in flight
    /// (commands/migrate.rs answers and releases it).
    Migrate,
}

#[derive(Clone, Debug)]
pub struct BlockState {
    pub db: usize,
    pub keys: Vec<Vec<u8>>,
    /// Unix ms; 0 waits forever.
    pub deadline: i64,
    pub op: BlockOp,
}

/// How a blocked client is released without being served.
pub enum Unblock {
    Timeout,
    Error,
    /// Released with this error (an instance turned replica).
    Message(&'static [u8]),
}

impl Server {
    /// Block `c` on its keys (Redis's blockForKeys).
    pub fn block_client(&mut self, c: &mut Client, state: BlockState) {
        // Replaying a file or running EXEC never blocks: nothing would
        // serve it meanwhile. Redis answers as a timeout.
        if self.loading || c.in_exec {
            c.reply.null_array();
            return;
        }
        for k in &state.keys {
            let q = self.blocking_keys.entry((state.db, k.clone())).or_default();
            if !q.contains(&c.slot) {
                q.push_back(c.slot);
            }
        }
        self.blocked_slots.insert(c.slot);
        c.blocked_argv_mem = c.argv.iter().map(|a| a.len()).sum();
        if state.deadline > 0 {
            self.block_deadlines.insert((state.deadline, c.slot));
        }
        c.bstate = Some(state);
    }

    /// Forget that `c` is blocked (served, timed out, or gone).
    pub fn unblock_client(&mut self, c: &mut Client) {
        let Some(state) = c.bstate.take() else { return };
        if state.deadline > 0 {
            self.block_deadlines.remove(&(state.deadline, c.slot));
        }
        for k in state.keys {
            let key = (state.db, k);
            if let Some(q) = self.blocking_keys.get_mut(&key) {
                q.retain(|&s| s != c.slot);
                if q.is_empty() {
                    self.blocking_keys.remove(&key);
                }
            }
        }
        self.blocked_slots.remove(&c.slot);
        self.unblocked_slots.push(c.slot);
    }

    /// A blocked command was served (Redis's updateStatsOnUnblock): its
    /// time, its own run's plus the serving's, goes to its command stats,
    /// latency histogram and the slow log (with the argv it came with,
    /// kept while it was blocked), the serving's to the latency monitor's
    /// `command-unblocking`. Then the argv goes.
    pub fn update_stats_on_unblock(&mut self, c: &mut Client, reply_us: u64, had_errors: bool) {
        if let crate::commands::Lookup::Found(spec) = self.commands.lookup(&c.argv) {
            let total = c.duration_us + reply_us;
            let i = self.commands.index_of(spec);
            if let Some(st) = self.stats.commands.get_mut(i) {
                st.usec += total;
                if had_errors {
                    st.failed_calls += 1;
                }
            }
            if self.config.latency_tracking {
                if self.stats.latency_hist.len() <= i {
                    self.stats
                        .latency_hist
                        .resize(self.commands.names().len().max(i + 1), None);
                }
                self.stats.latency_hist[i]
                    .get_or_insert_with(Default::default)
                    .record(total as i64 * 1000);
            }
            let (threshold, max_len) = (
                self.config.slowlog_log_slower_than,
                self.config.slowlog_max_len,
            );
            self.slowlog
                .push_if_needed(threshold, max_len, c, total, self.now_ms);
            let threshold = self.config.latency_monitor_threshold;
            if threshold > 0 {
                self.latency_monitor.add_if_needed(
                    threshold,
                    "command-unblocking",
                    reply_us / 1000,
                );
            }
        }
        c.argv.clear();
    }

    /// Note that a key now holds a value waiters may want (Redis's
    /// signalKeyAsReady). Cheap when nobody waits on it.
    pub fn signal_key_as_ready(&mut self, db: usize, key: &[u8]) {
        if self.blocking_keys.is_empty() {
            return;
        }
        let k = (db, key.to_vec());
        if self.blocking_keys.contains_key(&k) && !self.ready_keys.contains(&k) {
            self.ready_keys.push_back(k);
        }
    }

    /// Does `key` hold a non-empty list or sorted set?
    fn key_has_items(&mut self, db: usize, key: &[u8]) -> bool {
        use crate::types::Value;
        matches!(self.lookup_notouch(db, key), Some(o) if match &o.value {
            Value::List(l) => !l.is_empty(),
            Value::ZSet(z) => !z.is_empty(),
            _ => false,
        })
    }

    fn key_holds_zset(&mut self, db: usize, key: &[u8]) -> bool {
        matches!(self.lookup_notouch(db, key), Some(o) if matches!(o.value, crate::types::Value::ZSet(_)))
    }

    /// Signal `key` if it now holds a list or sorted set (RENAME, MOVE, COPY, SWAPDB can
    /// create one where clients wait, as Redis's dbAdd signals).
    pub fn signal_if_list(&mut self, db: usize, key: &[u8]) {
        if !self.blocking_keys.is_empty()
            && matches!(self.peek(db, key), Some(o) if matches!(o.value, crate::types::Value::List(_) | crate::types::Value::ZSet(_)))
        {
            self.signal_key_as_ready(db, key);
        }
    }

    /// After SWAPDB: every waited-on key in the swapped databases may now
    /// hold a list.
    pub fn signal_swapped_dbs(&mut self, a: usize, b: usize) {
        let keys: Vec<(usize, Vec<u8>)> = self
            .blocking_keys
            .keys()
            .filter(|(db, _)| *db == a || *db == b)
            .cloned()
            .collect();
        for (db, k) in keys {
            self.signal_if_list(db, &k);
        }
    }

    /// Serve clients blocked on keys that became ready (Redis's
    /// handleClientsBlockedOnKeys). Serving may ready more keys (BLMOVE
    /// pushes), so loop until none are left.
    pub fn handle_clients_blocked_on_keys(&mut self) {
        // Outside any command the clock is not fixed (Redis's
        // fixed_time_expire is 0 here): a key that expired while the
        // command that readied it ran (an EXEC with DEBUG SLEEP) is gone.
        if !self.ready_keys.is_empty() && self.scripting.running().is_none() {
            self.now_ms = crate::util::time::mstime();
        }
        while let Some((db, key)) = self.ready_keys.pop_front() {
            let waiters: VecDeque<usize> = match self.blocking_keys.get(&(db, key.clone())) {
                Some(q) => q.clone(),
                None => continue,
            };
            // Streams are served by their own rules: every waiter whose ID
            // the stream passed, and XREADGROUP waiters released with an
            // error when the key stops holding a stream.
            let is_stream = matches!(self.peek(db, &key), Some(o) if matches!(o.value, crate::types::Value::Stream(_)));
            for &slot in &waiters {
                let Some(mut c) = self.clients.get_mut(slot).and_then(Option::take) else {
                    continue;
                };
                if matches!(
                    c.bstate.as_ref().map(|b| &b.op),
                    Some(BlockOp::XRead { .. })
                ) {
                    let outer = self.current_client_id.replace(c.id);
                    let (t0, errs) = (crate::util::time::ustime(), self.stats.total_error_replies);
                    if is_stream {
                        crate::commands::streams::serve_blocked_client(self, &mut c, &key);
                    } else {
                        crate::commands::streams::unblock_deleted_stream_client(self, &mut c);
                    }
                    if c.bstate.is_none() {
                        let reply_us = (crate::util::time::ustime() - t0).max(0) as u64;
                        let had_errors = self.stats.total_error_replies != errs;
                        self.update_stats_on_unblock(&mut c, reply_us, had_errors);
                    }
                    self.current_client_id = outer;
                    crate::commands::pubsub::deliver_deferred_pushes(self, &mut c);
                    // Invalidations its command caused, after its reply.
                    self.tracking_flush_pending(&mut c);
                    if c.bstate.is_none() {
                        self.pending_writes.push(slot);
                    }
                }
                self.clients[slot] = Some(c);
            }
            if is_stream {
                continue;
            }
            for slot in waiters {
                if !self.key_has_items(db, &key) {
                    break;
                }
                let Some(mut c) = self.clients.get_mut(slot).and_then(Option::take) else {
                    continue;
                };
                // A client waits on a list or on a sorted set; a key of the
                // other kind does not serve it (it stays blocked).
                let is_zpop =
                    matches!(c.bstate.as_ref().map(|b| &b.op), Some(BlockOp::ZPop { .. }));
                let is_xread = matches!(
                    c.bstate.as_ref().map(|b| &b.op),
                    Some(BlockOp::XRead { .. })
                );
                let outer = self.current_client_id.replace(c.id);
                let (t0, errs) = (crate::util::time::ustime(), self.stats.total_error_replies);
                let mut served = false;
                if is_xread {
                    // Served above.
                } else if is_zpop && self.key_holds_zset(db, &key) {
                    crate::commands::sorted_sets::serve_blocked_client(self, &mut c, &key);
                    served = true;
                } else if !is_zpop
                    && c.bstate.is_some()
                    && crate::commands::lists::list_has_items(self, db, &key)
                {
                    crate::commands::lists::serve_blocked_client(self, &mut c, &key);
                    served = true;
                }
                if served && c.bstate.is_none() {
                    let reply_us = (crate::util::time::ustime() - t0).max(0) as u64;
                    let had_errors = self.stats.total_error_replies != errs;
                    self.update_stats_on_unblock(&mut c, reply_us, had_errors);
                }
                self.current_client_id = outer;
                crate::commands::pubsub::deliver_deferred_pushes(self, &mut c);
                self.tracking_flush_pending(&mut c);
                if c.bstate.is_none() {
                    self.pending_writes.push(slot);
                }
                self.clients[slot] = Some(c);
            }
        }
    }

    /// A stream at `key` is about to go (deleted, overwritten, renamed
    /// away): clients blocked in XREADGROUP on it must hear of it, as
    /// Redis's dbGenericDelete/dbSetValue signal.
    pub fn signal_if_stream_goes(&mut self, db: usize, key: &[u8]) {
        if !self.blocking_keys.is_empty()
            && matches!(self.peek(db, key), Some(o) if matches!(o.value, crate::types::Value::Stream(_)))
        {
            self.signal_key_as_ready(db, key);
        }
    }

    /// Before a database is emptied or swapped: every waited-on key that
    /// holds a stream now and will not after (Redis's
    /// scanDatabaseForDeletedStreams). `replaced_with`: the database whose
    /// keys take its place, if any.
    pub fn signal_deleted_streams(&mut self, emptied: usize, replaced_with: Option<usize>) {
        if self.blocking_keys.is_empty() {
            return;
        }
        let keys: Vec<Vec<u8>> = self
            .blocking_keys
            .keys()
            .filter(|(db, _)| *db == emptied)
            .map(|(_, k)| k.clone())
            .collect();
        for k in keys {
            let is_stream = |s: &Self, db: usize| matches!(s.peek(db, &k), Some(o) if matches!(o.value, crate::types::Value::Stream(_)));
            let was = is_stream(self, emptied);
            let will = replaced_with.is_some_and(|r| is_stream(self, r));
            if was && !will {
                self.signal_key_as_ready(emptied, &k);
            }
        }
    }

    /// Release a blocked client with a timeout reply or CLIENT UNBLOCK's error.
    pub fn release_blocked(&mut self, c: &mut Client, how: Unblock) {
        if c.bstate.is_none() {
            return;
        }
        match how {
            // Redis 7.0 answers every timed-out list wait with a null
            // array, BLMOVE included.
            Unblock::Timeout => match c.bstate.as_ref().map(|b| &b.op) {
                // WAIT answers how many replicas got there in time.
                Some(BlockOp::Wait { offset, .. }) => {
                    let n = self.replicas_acked(*offset);
                    c.reply.int(n as i64)
                }
                _ => c.reply.null_array(),
            },
            Unblock::Error => c
                .reply
                .error(b"UNBLOCKED client unblocked via CLIENT UNBLOCK"),
            Unblock::Message(m) => c.reply.error(m),
        }
        self.unblock_client(c);
    }

    /// The earliest deadline among blocked clients, if any.
    pub fn next_block_deadline(&self) -> Option<i64> {
        self.block_deadlines.first().map(|&(d, _)| d)
    }

    /// Time out blocked clients whose deadline passed.
    pub fn handle_blocked_timeouts(&mut self) {
        if self.block_deadlines.is_empty() {
            return;
        }
        let now = crate::util::time::mstime();
        let expired: Vec<usize> = self
            .block_deadlines
            .range(..(now + 1, 0))
            .map(|&(_, slot)| slot)
            .collect();
        for slot in expired {
            if let Some(mut c) = self.clients.get_mut(slot).and_then(Option::take) {
                self.release_blocked(&mut c, Unblock::Timeout);
                self.pending_writes.push(slot);
                self.clients[slot] = Some(c);
            }
        }
    }
}
