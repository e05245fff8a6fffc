//! The keyspace API on the server, after Redis's db.c: lookups with lazy
//! expiry, hit/miss stats and LRU touch; adding, setting and deleting keys
//! with their bookkeeping (the `new` event); the key-modified signal.
//! `db/` holds the data structures and knows no server.

use crate::commands::{ReplyError, WRONGTYPE_ERR};
use crate::db::lru_clock;
use crate::server::Server;
use crate::types::{Object, Value};

impl Server {
    // ---------------------------------------------------------------
    // Keyspace access with lazy expiry (Redis's db.c lookupKey*).
    // ---------------------------------------------------------------

    /// Delete `key` if its TTL has passed. True if it was deleted.
    pub fn expire_if_needed(&mut self, db: usize, key: &[u8]) -> bool {
        // While loading, keys stay: the file itself says when they went.
        if self.loading {
            return false;
        }
        if !self.dbs[db].key_is_expired(key, self.now_ms) {
            return false;
        }
        // A replica keeps the key for its master's DEL: its master's
        // commands still see it, everyone else reads it as gone.
        if self.is_replica() {
            return !self.current_is_master;
        }
        // While clients are paused nothing may change the dataset: the key
        // reads as gone but stays (Redis's
        // checkClientPauseTimeoutAndReturnIfPaused).
        if self.clients_paused() {
            return true;
        }
        self.delete_expired_key(db, key);
        // Found outside any command (serving a blocked client): nothing
        // else will send the deletion out.
        if self.prop.depth == 0 {
            self.propagate_pending();
        }
        true
    }

    /// A key's value changed, or it appeared or went (Redis's
    /// signalModifiedKey): every consumer of "this key changed" hangs here
    /// (WATCH today, client-side caching next).
    pub fn signal_modified_key(&mut self, db: usize, key: &[u8]) {
        // A script's changes are nobody's own for NOLOOP broadcasts (Redis
        // passes its script client).
        let by = if self.scripting.running().is_some() {
            None
        } else {
            self.current_client_id
        };
        self.signal_modified_key_by(db, key, by);
    }

    /// The same with who changed it: None for expiry and eviction.
    pub fn signal_modified_key_by(&mut self, db: usize, key: &[u8], by: Option<u64>) {
        self.touch_watched_key(db, key);
        if self.tracking.clients > 0 {
            self.tracking_invalidate_key(key, by, true);
        }
    }

    /// Look a key up for reading: expired keys vanish, hits and misses are
    /// counted, the LRU clock is touched.
    pub fn lookup_read(&mut self, db: usize, key: &[u8]) -> Option<&Object> {
        let expired = self.expire_if_needed(db, key);
        let lru = lru_clock(self.now_ms);
        let stale = match self.dbs[db].dict.get(key).filter(|_| !expired) {
            Some(o) => o.lru != lru,
            None => {
                self.stats.keyspace_misses += 1;
                self.notify_keyspace_event(crate::notify::KEY_MISS, "keymiss", key, db);
                return None;
            }
        };
        self.stats.keyspace_hits += 1;
        // Only a changed clock writes (a write may copy a chunk a snapshot
        // shares); under LFU every access counts.
        let d = &mut self.dbs[db];
        if crate::db::lfu_mode() {
            if let Some(o) = d.dict.get_mut(key) {
                o.lru = crate::db::lfu_touch(o.lru, self.now_ms);
            }
        } else if stale && let Some(o) = d.dict.get_mut(key) {
            o.lru = lru;
        }
        d.dict.get(key)
    }

    /// Look a key up without touching stats or LRU (TYPE, TTL, OBJECT).
    pub fn lookup_notouch(&mut self, db: usize, key: &[u8]) -> Option<&Object> {
        if self.expire_if_needed(db, key) {
            return None;
        }
        self.dbs[db].dict.get(key)
    }

    /// `lookup_notouch` that announces a miss (`keymiss`), as Redis's
    /// read lookups do (EXISTS, TYPE, TTL); OBJECT's does not.
    pub fn lookup_notouch_or_miss(&mut self, db: usize, key: &[u8]) -> Option<&Object> {
        let expired = self.expire_if_needed(db, key);
        if expired || !self.dbs[db].dict.contains_key(key) {
            self.notify_keyspace_event(crate::notify::KEY_MISS, "keymiss", key, db);
            return None;
        }
        self.dbs[db].dict.get(key)
    }

    /// Look a key up for writing.
    pub fn lookup_write(&mut self, db: usize, key: &[u8]) -> Option<&mut Object> {
        if self.expire_if_needed(db, key) {
            return None;
        }
        let now = self.now_ms;
        let o = self.dbs[db].dict.get_mut(key)?;
        o.lru = if crate::db::lfu_mode() {
            crate::db::lfu_touch(o.lru, now)
        } else {
            lru_clock(now)
        };
        Some(o)
    }

    /// A string value for reading, WRONGTYPE for other types.
    pub fn lookup_string(&mut self, db: usize, key: &[u8]) -> Result<Option<&Value>, ReplyError> {
        match self.lookup_read(db, key) {
            None => Ok(None),
            Some(o) if o.value.is_string() => Ok(Some(&o.value)),
            Some(_) => Err(WRONGTYPE_ERR),
        }
    }

    /// A collection of type `T` for reading: None when the key is missing,
    /// WRONGTYPE when it holds something else.
    pub fn read_as<T: crate::types::Kind>(
        &mut self,
        db: usize,
        key: &[u8],
    ) -> Result<Option<&T>, ReplyError> {
        match self.lookup_read(db, key) {
            None => Ok(None),
            Some(o) => T::of(&o.value).map(|a| Some(&**a)).ok_or(WRONGTYPE_ERR),
        }
    }

    /// A collection of type `T` for writing (copied first if a snapshot
    /// shares it): None when missing, WRONGTYPE when it holds something else.
    pub fn write_as<T: crate::types::Kind>(
        &mut self,
        db: usize,
        key: &[u8],
    ) -> Result<Option<&mut T>, ReplyError> {
        match self.lookup_write(db, key) {
            None => Ok(None),
            Some(o) => T::of_mut(&mut o.value)
                .map(|a| Some(std::sync::Arc::make_mut(a)))
                .ok_or(WRONGTYPE_ERR),
        }
    }

    /// Set a key (Redis's setKey): overwrite, drop the TTL unless kept; a
    /// new key is announced (`new` event) as dbAdd does.
    /// The value replaced goes to the lazy-free thread under
    /// lazyfree-lazy-server-del, as Redis's dbSetValue.
    pub fn set_key(&mut self, db: usize, key: &[u8], value: Value, keep_ttl: bool) {
        self.signal_if_stream_goes(db, key);
        match self.dbs[db].set_key(key, value, keep_ttl, self.now_ms) {
            None => {
                self.signal_key_as_ready(db, key);
                self.notify_keyspace_event(crate::notify::NEW, "new", key, db);
            }
            Some(old) => {
                if self.config.lazyfree_lazy_server_del {
                    self.lazyfree.free_object(old);
                }
            }
        }
    }

    /// Add a key that does not exist (Redis's dbAdd): the `new` event.
    pub fn db_add(&mut self, db: usize, key: &[u8], value: Value) {
        self.dbs[db].add(key, value, self.now_ms);
        self.signal_key_as_ready(db, key);
        self.notify_keyspace_event(crate::notify::NEW, "new", key, db);
    }

    /// Remove `members` from the collection of type `T` at `key` (HDEL,
    /// SREM, ZREM: one body), stopping once it is empty; if any went, the
    /// type's event and `dirty`; an emptied collection's key goes too,
    /// with its `del` event. Returns how many were removed (0 for a missing
    /// key), WRONGTYPE for another type.
    #[allow(clippy::too_many_arguments)]
    pub fn remove_members<T: crate::types::Kind>(
        &mut self,
        db: usize,
        key: &[u8],
        members: &[Vec<u8>],
        class: u32,
        event: &str,
        remove: fn(&mut T, &[u8]) -> bool,
        is_empty: fn(&T) -> bool,
    ) -> Result<usize, ReplyError> {
        let Some(coll) = self.write_as::<T>(db, key)? else {
            return Ok(0);
        };
        let mut removed = 0;
        let mut emptied = false;
        for m in members {
            if remove(coll, m) {
                removed += 1;
                if is_empty(coll) {
                    emptied = true;
                    break;
                }
            }
        }
        if removed > 0 {
            self.dirty += removed as u64;
            self.notify_keyspace_event(class, event, key, db);
        }
        if emptied {
            self.dbs[db].delete(key);
            self.notify_keyspace_event(crate::notify::GENERIC, "del", key, db);
        }
        Ok(removed)
    }

    /// The running command wrote part of its reply before the events that
    /// follow (Redis's order for LPOP, HSET, ZADD...): they land after it.
    #[inline]
    pub fn note_reply(&mut self, c: &crate::client::Client) {
        self.reply_pos = Some((c.slot, c.reply.buf.len()));
    }

    /// How many databases there are.
    pub fn db_count(&self) -> usize {
        self.dbs.len()
    }

    /// A database, to read whole (KEYS, SCAN, RANDOMKEY, DBSIZE).
    pub fn db(&self, db: usize) -> &crate::db::Db {
        &self.dbs[db]
    }

    /// A key's object as stored: no expiry check, no stats (a command
    /// looking again at what it just wrote).
    pub fn peek(&self, db: usize, key: &[u8]) -> Option<&Object> {
        self.dbs[db].dict.get(key)
    }

    /// A database for the keyspace's own upkeep (the active expiry cycle
    /// walks `expires` and keeps its cursor and averages there).
    pub(crate) fn db_mut(&mut self, db: usize) -> &mut crate::db::Db {
        &mut self.dbs[db]
    }

    /// Shrink tables that emptied and rehash incrementally until
    /// `deadline` (the cron's millisecond, as Redis's databasesCron).
    pub fn resize_and_rehash(&mut self, deadline: std::time::Instant) {
        for db in self.dbs.iter_mut() {
            db.dict.shrink_if_needed();
            db.expires.shrink_if_needed();
            while std::time::Instant::now() < deadline
                && (db.dict.rehash(100) | db.expires.rehash(100))
            {}
        }
    }

    /// `peek` for writing.
    pub fn peek_mut(&mut self, db: usize, key: &[u8]) -> Option<&mut Object> {
        self.dbs[db].get_mut(key)
    }

    /// Empty one database (FLUSHDB): every WATCH on a key it held fails
    /// first. Returns how many keys went.
    pub fn flush_db(&mut self, db: usize) -> usize {
        let n = self.flush_one_db(db);
        self.tracking_invalidate_on_flush();
        n
    }

    /// FLUSHDB ASYNC (or under lazyfree-lazy-user-flush): the same, with
    /// the tables freed on the lazy-free thread.
    pub fn flush_db_lazy(&mut self, db: usize, lazy: bool) -> usize {
        let n = self.flush_one_db_lazy(db, lazy);
        self.tracking_invalidate_on_flush();
        n
    }

    fn flush_one_db(&mut self, db: usize) -> usize {
        self.flush_one_db_lazy(db, false)
    }

    fn flush_one_db_lazy(&mut self, db: usize, lazy: bool) -> usize {
        self.touch_all_watched_in_db(db, None);
        self.signal_deleted_streams(db, None);
        if !lazy {
            return self.dbs[db].flush();
        }
        // Redis's emptyDbAsync: the tables go whole, counted as their keys.
        let n = self.dbs[db].len();
        if n > 0 {
            let tables = self.dbs[db].take_all();
            self.lazyfree.free_later(Box::new(tables), n);
        }
        n
    }

    /// Empty every database (FLUSHALL, DEBUG RELOAD): one flush signal.
    pub fn flush_all(&mut self) -> usize {
        self.flush_all_lazy(false)
    }

    /// FLUSHALL, its tables freed on the lazy-free thread when `lazy`.
    pub fn flush_all_lazy(&mut self, lazy: bool) -> usize {
        let n = (0..self.dbs.len())
            .map(|db| self.flush_one_db_lazy(db, lazy))
            .sum();
        self.tracking_invalidate_on_flush();
        n
    }

    /// Swap two databases (SWAPDB): WATCHes on either fail as Redis's
    /// touchAllWatchedKeysInDb decides, and waiters on keys that now hold
    /// what they wait for are readied.
    pub fn swap_dbs(&mut self, a: usize, b: usize) {
        self.touch_all_watched_in_db(a, Some(b));
        self.touch_all_watched_in_db(b, Some(a));
        self.signal_deleted_streams(a, Some(b));
        self.signal_deleted_streams(b, Some(a));
        self.dbs.swap(a, b);
        self.signal_swapped_dbs(a, b);
    }

    /// Remove a key and its TTL, no questions asked (Redis's dbDelete): the
    /// caller has looked it up, and announces and signals what it did.
    /// Freed on the lazy-free thread under lazyfree-lazy-server-del.
    pub fn db_delete(&mut self, db: usize, key: &[u8]) -> bool {
        let lazy = self.config.lazyfree_lazy_server_del;
        self.db_generic_delete(db, key, lazy)
    }

    /// The one place a key is deleted (Redis's dbGenericDelete): with
    /// `lazy` a value that takes many allocations to free goes to the
    /// lazy-free thread (UNLINK, and DEL/expiry/eviction/overwrites under
    /// their lazyfree-lazy-* settings).
    pub fn db_generic_delete(&mut self, db: usize, key: &[u8], lazy: bool) -> bool {
        self.signal_if_stream_goes(db, key);
        match self.dbs[db].remove(key) {
            Some(obj) => {
                if lazy {
                    self.lazyfree.free_object(obj);
                }
                true
            }
            None => false,
        }
    }

    /// Add a key that does not exist with an object taken from elsewhere
    /// and its TTL (RENAME, MOVE: Redis's dbAdd of the moved object), with
    /// the `new` event.
    pub fn db_add_object(&mut self, db: usize, key: &[u8], obj: Object, ttl: Option<i64>) {
        let d = &mut self.dbs[db];
        d.dict.insert_new(crate::sds::Sds::new(key), obj);
        if let Some(t) = ttl {
            d.set_expire(key, t);
        }
        self.signal_key_as_ready(db, key);
        self.notify_keyspace_event(crate::notify::NEW, "new", key, db);
    }

    /// Remove a key and hand back its object and TTL (RENAME, MOVE).
    pub fn db_take(&mut self, db: usize, key: &[u8]) -> Option<(Object, Option<i64>)> {
        self.signal_if_stream_goes(db, key);
        self.dbs[db].take(key)
    }

    /// Give a key an absolute expiry in Unix ms (Redis's setExpire).
    pub fn set_expire(&mut self, db: usize, key: &[u8], when: i64) {
        self.dbs[db].set_expire(key, when);
    }

    /// Drop a key's TTL; true if it had one.
    pub fn remove_expire(&mut self, db: usize, key: &[u8]) -> bool {
        self.dbs[db].remove_expire(key)
    }

    /// A key's absolute expiry in Unix ms, if it has one.
    pub fn get_expire(&self, db: usize, key: &[u8]) -> Option<i64> {
        self.dbs[db].get_expire(key)
    }

    /// Delete a key (expired ones do not count); true if it existed.
    pub fn delete_key(&mut self, db: usize, key: &[u8]) -> bool {
        let lazy = self.config.lazyfree_lazy_server_del;
        self.delete_key_lazy(db, key, lazy)
    }

    /// The same, freed lazily or not as the caller says (DEL, UNLINK).
    pub fn delete_key_lazy(&mut self, db: usize, key: &[u8], lazy: bool) -> bool {
        self.expire_if_needed(db, key);
        self.db_generic_delete(db, key, lazy)
    }

    /// Does the key exist (expired keys do not)?
    pub fn key_exists(&mut self, db: usize, key: &[u8]) -> bool {
        !self.expire_if_needed(db, key) && self.dbs[db].dict.contains_key(key)
    }
}
