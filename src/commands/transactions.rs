//! Group `transactions`: MULTI, EXEC, DISCARD, WATCH, UNWATCH (Redis's
//! multi.c). Queued commands run back to back inside EXEC, so no other
//! client's command interleaves; a watched key touched by anyone (writes,
//! deletes, expiry, FLUSH*, SWAPDB) makes EXEC return a null array.

use super::{CmdResult, Lookup, ReplyError};
use crate::client::Client;
use crate::server::Server;

pub fn multi_command(_: &mut Server, c: &mut Client) -> CmdResult {
    if c.mstate.is_some() {
        return Err(ReplyError::new("ERR MULTI calls can not be nested"));
    }
    c.mstate = Some(Vec::new());
    c.dirty_exec = false;
    c.reply.ok();
    Ok(())
}

pub fn discard_command(s: &mut Server, c: &mut Client) -> CmdResult {
    if c.mstate.is_none() {
        return Err(ReplyError::new("ERR DISCARD without MULTI"));
    }
    discard_transaction(s, c);
    c.reply.ok();
    Ok(())
}

/// Drop the queue and every WATCH.
pub fn discard_transaction(s: &mut Server, c: &mut Client) {
    c.mstate = None;
    c.dirty_exec = false;
    s.unwatch_all(c);
}

pub fn exec_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let Some(queue) = c.mstate.take() else {
        return Err(ReplyError::new("ERR EXEC without MULTI"));
    };
    if c.dirty_exec {
        discard_transaction(s, c);
        return Err(ReplyError::new(
            "EXECABORT Transaction discarded because of previous errors.",
        ));
    }
    if s.watch_failed(c) {
        discard_transaction(s, c);
        c.reply.null_array();
        return Ok(());
    }
    s.unwatch_all(c);
    // What the commands change is propagated when EXEC returns, wrapped
    // in MULTI/EXEC when there is more than one op (propagate.rs).
    c.in_exec = true;
    c.exec_len = Some(queue.len());
    let exec_argv = std::mem::take(&mut c.argv);
    c.reply.array_len(queue.len());
    for argv in queue {
        c.argv = argv;
        match s.commands.lookup(&c.argv) {
            Lookup::Found(spec) => {
                // Rules may have changed since the command was queued.
                match s.acl.check(&s.commands, c.user, spec, &c.argv) {
                    Ok(()) => s.call(c, spec),
                    Err((why, pos)) => {
                        s.acl_log(c, why, crate::acl::LogContext::Multi, pos, spec);
                        let reason = match why {
                            crate::acl::Denied::Cmd => {
                                "no permission to execute the command or subcommand"
                            }
                            crate::acl::Denied::Key => "no permission to touch the specified keys",
                            crate::acl::Denied::Channel => {
                                "no permission to access one of the channels used as arguments"
                            }
                            crate::acl::Denied::Auth => "no permission",
                        };
                        let err = ReplyError::owned(format!(
                            "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: {reason}"
                        ));
                        s.add_reply_error(c, &err);
                    }
                }
            }
            // Checked when queued; a table cannot change meanwhile.
            _ => c.reply.error(b"ERR unknown command"),
        }
    }
    // Waiters on keys the transaction readied are served after it, by the
    // caller, so nothing interleaves with it.
    c.in_exec = false;
    c.exec_len = None;
    // EXEC itself is never propagated: what ran inside it was queued, and
    // goes out wrapped in MULTI/EXEC when the unit ends.
    s.prop.prevent_cmd = true;
    c.argv = exec_argv;
    Ok(())
}

pub fn watch_command(s: &mut Server, c: &mut Client) -> CmdResult {
    if c.mstate.is_some() {
        return Err(ReplyError::new("ERR WATCH inside MULTI is not allowed"));
    }
    for i in 1..c.argv.len() {
        let key = c.argv[i].clone();
        s.watch_key(c, key);
    }
    c.reply.ok();
    Ok(())
}

pub fn unwatch_command(s: &mut Server, c: &mut Client) -> CmdResult {
    s.unwatch_all(c);
    c.reply.ok();
    Ok(())
}
// ---------------------------------------------------------------------
// WATCH bookkeeping on the server (Redis's multi.c touchWatchedKey family)
// ---------------------------------------------------------------------

impl Server {
    // ---------------------------------------------------------------
    // WATCH bookkeeping (Redis's multi.c touchWatchedKey family).
    // ---------------------------------------------------------------

    pub fn watch_key(&mut self, c: &mut Client, key: Vec<u8>) {
        let entry = (c.db, key);
        if c.watched.contains(&entry) {
            return;
        }
        // A key already expired when watched counts as absent, not as
        // "expired since": only a later expiry fails the EXEC.
        let expired_now = self.db(c.db).key_is_expired(&entry.1, self.now_ms);
        self.watched_keys
            .entry(entry.clone())
            .or_default()
            .push((c.slot, expired_now));
        c.watched.push(entry);
    }

    pub fn unwatch_all(&mut self, c: &mut Client) {
        for entry in c.watched.drain(..) {
            if let Some(v) = self.watched_keys.get_mut(&entry) {
                v.retain(|&(s, _)| s != c.slot);
                if v.is_empty() {
                    self.watched_keys.remove(&entry);
                }
            }
        }
        self.cas_dirty.remove(&c.slot);
    }

    /// Did anything invalidate this client's WATCH? (Touched, or a watched
    /// key expired since it was watched.)
    pub fn watch_failed(&self, c: &Client) -> bool {
        let now = crate::util::time::mstime();
        self.cas_dirty.contains(&c.slot)
            || c.watched.iter().any(|entry| {
                let expired_at_watch = self
                    .watched_keys
                    .get(entry)
                    .and_then(|v| v.iter().find(|&&(slot, _)| slot == c.slot))
                    .is_some_and(|&(_, e)| e);
                !expired_at_watch && self.db(entry.0).key_is_expired(&entry.1, now)
            })
    }

    /// A key changed: every client watching it will fail its EXEC, except
    /// one that watched it already expired and now sees it deleted, which
    /// is logically no change (Redis 7.0's touchWatchedKey).
    pub fn touch_watched_key(&mut self, db: usize, key: &[u8]) {
        if self.watched_keys.is_empty() {
            return;
        }
        let exists = self.db(db).dict.contains_key(key);
        if let Some(watchers) = self.watched_keys.get_mut(&(db, key.to_vec())) {
            for (slot, expired_at_watch) in watchers.iter_mut() {
                if *expired_at_watch && !exists {
                    *expired_at_watch = false;
                    continue;
                }
                self.cas_dirty.insert(*slot);
            }
        }
    }

    /// FLUSHDB/FLUSHALL/SWAPDB: touch watched keys of `db` that exist
    /// there (or in `other`, for SWAPDB). Call before the change.
    pub fn touch_all_watched_in_db(&mut self, db: usize, other: Option<usize>) {
        if self.watched_keys.is_empty() {
            return;
        }
        // Redis 7.0's touchAllWatchedKeysInDb: a watched key that was
        // already expired when watched and is now just gone (or stays
        // expired) is no change; a missing one replaced by an expired one
        // counts as expired at watch.
        let now = self.now_ms;
        // What each watched key of `db` finds, read first (the databases
        // are only read), then the watchers updated.
        // (watched key, exists in `db`, exists in `other`, expired there)
        type Found = ((usize, Vec<u8>), bool, bool, bool);
        let found: Vec<Found> = self
            .watched_keys
            .keys()
            .filter(|(d, _)| *d == db)
            .map(|entry| {
                let k = &entry.1;
                let exists_in_emptied = self.db(db).dict.contains_key(k);
                let in_replaced = other.is_some_and(|o| self.db(o).dict.contains_key(k));
                let replaced_expired = other.is_some_and(|o| self.db(o).key_is_expired(k, now));
                (
                    entry.clone(),
                    exists_in_emptied,
                    in_replaced,
                    replaced_expired,
                )
            })
            .collect();
        for (entry, exists_in_emptied, in_replaced, replaced_expired) in found {
            if !exists_in_emptied && !in_replaced {
                continue;
            }
            let Some(watchers) = self.watched_keys.get_mut(&entry) else {
                continue;
            };
            for (slot, expired_at_watch) in watchers.iter_mut() {
                if *expired_at_watch {
                    if !in_replaced {
                        *expired_at_watch = false;
                        continue;
                    } else if replaced_expired {
                        continue;
                    }
                } else if !exists_in_emptied && replaced_expired {
                    *expired_at_watch = true;
                    continue;
                }
                self.cas_dirty.insert(*slot);
            }
        }
    }
}
