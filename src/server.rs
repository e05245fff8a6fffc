//! `Server`: everything the event loop owns apart from the sockets'
//! readiness — databases, clients, config, stats — and the command path
//! `process_command` → `call`, after Redis's server.c.

use crate::client::Client;
use crate::commands::{CmdResult, CommandSpec, CommandTable, Lookup, ReplyError, WRONGTYPE_ERR};
use crate::config::Config;
use crate::db::{Db, lru_clock};
use crate::types::{Object, Value};
use crate::util::time::mstime;
use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Instant;

/// Per-command counters for INFO commandstats.
#[derive(Default, Clone, Copy)]
pub struct CommandStats {
    pub calls: u64,
    pub usec: u64,
    pub rejected_calls: u64,
    pub failed_calls: u64,
}

#[derive(Default)]
pub struct Stats {
    pub numcommands: u64,
    pub numconnections: u64,
    pub rejected_conn: u64,
    pub expired_keys: u64,
    pub expired_stale_perc: f64,
    pub expired_time_cap_reached_count: u64,
    pub expire_cycle_time_used: u64,
    pub evicted_keys: u64,
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    pub net_input_bytes: u64,
    pub net_output_bytes: u64,
    pub total_error_replies: u64,
    pub unexpected_error_replies: u64,
    pub errors: HashMap<String, u64>,
    /// Per-command counters, by CommandTable index.
    pub commands: Vec<CommandStats>,
    pub io_reads: u64,
    pub io_writes: u64,
}

/// A BGSAVE in progress: a thread serializing a snapshot.
pub struct BgSaveJob {
    pub handle: std::thread::JoinHandle<std::io::Result<usize>>,
    pub started_ms: i64,
    pub dirty_at_start: u64,
    pub cow_at_start: u64,
}

/// Counters for INFO persistence.
#[derive(Default)]
pub struct PersistStats {
    pub rdb_saves: u64,
    pub rdb_last_bgsave_ok: bool,
    pub rdb_last_bgsave_time_sec: i64,
    pub rdb_last_cow_size: u64,
    pub aof_last_cow_size: u64,
    pub rdb_last_load_keys_loaded: u64,
    pub rdb_last_load_keys_expired: u64,
    /// When the last BGSAVE attempt failed (retry after 5 s, as Redis).
    pub rdb_last_bgsave_try_ms: i64,
    /// The loop's pause to take the last snapshot (Redis's latest_fork_usec).
    pub latest_fork_usec: u64,
    pub aof_rewrites: u64,
    pub aof_last_rewrite_ok: bool,
    pub aof_last_rewrite_time_sec: i64,
    pub aof_rewrites_consecutive_failures: u64,
}

/// Why and how the server is stopping.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Shutdown {
    Nosave,
    Save,
    Default,
}

pub struct Server {
    pub config: Config,
    pub config_file: Option<String>,
    pub dbs: Vec<Db>,
    /// Clients by poll token; the one being served is taken out meanwhile.
    pub clients: Vec<Option<Client>>,
    pub commands: CommandTable,
    pub stats: Stats,
    /// Time of the command being run (Redis caches it the same way).
    pub now_ms: i64,
    pub start_ms: i64,
    pub start_instant: Instant,
    /// Changes since the last save (Redis's server.dirty).
    pub dirty: u64,
    pub lastsave: i64,
    pub next_client_id: u64,
    pub shutdown: Option<Shutdown>,
    pub run_id: String,
    pub cronloops: u64,
    pub executable: String,
    /// Clients waiting to be written to (Redis's clients_pending_write).
    pub pending_writes: Vec<usize>,
    pub expire_state: crate::db::expire::ExpireCycleState,
    pub ops_sampler: crate::info::OpsSampler,
    /// DEBUG SET-ACTIVE-EXPIRE switch.
    pub active_expire_enabled: bool,
    /// (db, key) → slots of clients blocked on it, in blocking order.
    pub blocking_keys: HashMap<(usize, Vec<u8>), VecDeque<usize>>,
    /// Keys signalled since the last command, served after it.
    pub ready_keys: VecDeque<(usize, Vec<u8>)>,
    pub blocked_slots: HashSet<usize>,
    /// Blocked clients with a deadline, soonest first (Redis's
    /// clients_timeout_table): the next timeout is the first entry.
    pub block_deadlines: std::collections::BTreeSet<(i64, usize)>,
    /// Clients in the slab (connected_clients without a scan).
    pub num_clients: usize,
    /// Clients just unblocked: their buffered commands run next.
    pub unblocked_slots: Vec<usize>,
    /// The append-only file, when enabled.
    pub aof: Option<crate::aof::Aof>,
    /// True while replaying a file at startup: no propagation, no expiry.
    pub loading: bool,
    /// A background AOF rewrite in progress.
    pub aof_rewrite: Option<crate::aof::RewriteJob>,
    /// Turn the AOF on once the running rewrite finishes (CONFIG SET
    /// appendonly yes writes the whole dataset first, as Redis does).
    pub aof_enable_pending: bool,
    /// AOF size after the last rewrite, the base of auto-rewrite growth.
    pub aof_base_size: u64,
    pub persist: PersistStats,
    pub bgsave: Option<BgSaveJob>,
    /// BGSAVE SCHEDULE (or BGSAVE inside EXEC) while another job ran:
    /// started by the cron once none runs (Redis's rdb_bgsave_scheduled).
    pub bgsave_scheduled: bool,
    /// BGREWRITEAOF while a BGSAVE ran, likewise.
    pub aof_rewrite_scheduled: bool,
    /// (db, key) → slots of clients WATCHing it.
    /// Watched key -> (client slot, the key was already expired when that
    /// client watched it).
    pub watched_keys: HashMap<(usize, Vec<u8>), Vec<Watcher>>,
    /// Clients whose watched keys were touched: their EXEC fails.
    pub cas_dirty: HashSet<usize>,
    /// What the running execution unit changed, on its way to the AOF
    /// (propagate.rs).
    pub prop: crate::propagate::Propagation,
    /// Pub/sub messages for clients out of the slab while they run.
    pub deferred_pushes: Vec<crate::commands::pubsub::DeferredPush>,
    pub pubsub: crate::commands::pubsub::PubSub,
    pub slowlog: crate::commands::introspection::Slowlog,
    /// Slots of MONITOR clients.
    pub monitors: Vec<usize>,
    /// CLIENT PAUSE: until (Unix ms), and whether reads are held too.
    pub pause: Option<(i64, bool)>,
    /// Clients holding a command back because of a pause.
    pub paused_slots: Vec<usize>,
}

/// A client watching a key: its slot, and whether the key was already
/// expired when it watched it.
pub type Watcher = (usize, bool);

impl Server {
    pub fn new(config: Config) -> Server {
        let now = mstime();
        let dbs = (0..config.databases).map(|_| Db::new()).collect();
        let run_id = (0..40)
            .map(|_| format!("{:x}", crate::util::rand::below(16)))
            .collect();
        Server {
            config,
            config_file: None,
            dbs,
            clients: Vec::new(),
            commands: CommandTable::new(),
            stats: Stats::default(),
            now_ms: now,
            start_ms: now,
            start_instant: Instant::now(),
            dirty: 0,
            lastsave: now / 1000,
            next_client_id: 1,
            shutdown: None,
            run_id,
            cronloops: 0,
            executable: std::env::current_exe()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            pending_writes: Vec::new(),
            expire_state: Default::default(),
            ops_sampler: Default::default(),
            active_expire_enabled: true,
            blocking_keys: HashMap::new(),
            ready_keys: VecDeque::new(),
            blocked_slots: HashSet::new(),
            block_deadlines: Default::default(),
            num_clients: 0,
            unblocked_slots: Vec::new(),
            aof: None,
            loading: false,
            aof_rewrite: None,
            aof_enable_pending: false,
            aof_base_size: 0,
            persist: PersistStats {
                rdb_last_bgsave_ok: true,
                aof_last_rewrite_ok: true,
                ..Default::default()
            },
            bgsave: None,
            bgsave_scheduled: false,
            aof_rewrite_scheduled: false,
            watched_keys: HashMap::new(),
            cas_dirty: HashSet::new(),
            prop: Default::default(),
            deferred_pushes: Vec::new(),
            pubsub: Default::default(),
            slowlog: Default::default(),
            monitors: Vec::new(),
            pause: None,
            paused_slots: Vec::new(),
        }
    }

    /// Is a background job (BGSAVE or AOF rewrite) running? Redis runs one
    /// child at a time; we keep its rule (hasActiveChildProcess), so two
    /// serializers never compete for the disk.
    pub fn has_active_job(&self) -> bool {
        self.bgsave.is_some() || self.aof_rewrite.is_some()
    }

    pub fn connected_clients(&self) -> usize {
        self.num_clients
    }

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
        self.touch_watched_key(db, key);
    }

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
        let expired_now = self.dbs[c.db].key_is_expired(&entry.1, self.now_ms);
        self.watched_keys
            .entry(entry.clone())
            .or_default()
            .push((c.slot, expired_now));
        if expired_now {
            c.watched_expired.push(entry.clone());
        }
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
        c.watched_expired.clear();
        self.cas_dirty.remove(&c.slot);
    }

    /// Did anything invalidate this client's WATCH? (Touched, or a watched
    /// key expired since it was watched.)
    pub fn watch_failed(&self, c: &Client) -> bool {
        self.cas_dirty.contains(&c.slot)
            || c.watched.iter().any(|(db, k)| {
                !c.watched_expired.iter().any(|(d2, k2)| d2 == db && k2 == k)
                    && self.dbs[*db].key_is_expired(k, crate::util::time::mstime())
            })
    }

    /// A key changed: every client watching it will fail its EXEC, except
    /// one that watched it already expired and now sees it deleted, which
    /// is logically no change (Redis 7.0's touchWatchedKey).
    pub fn touch_watched_key(&mut self, db: usize, key: &[u8]) {
        if self.watched_keys.is_empty() {
            return;
        }
        let exists = self.dbs[db].dict.contains_key(key);
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
        let hit: Vec<usize> = self
            .watched_keys
            .iter()
            .filter(|((d, k), _)| {
                *d == db
                    && (self.dbs[db].dict.contains_key(k)
                        || other.is_some_and(|o| self.dbs[o].dict.contains_key(k)))
            })
            .flat_map(|(_, watchers)| watchers.iter().map(|&(slot, _)| slot))
            .collect();
        self.cas_dirty.extend(hit);
    }

    // ---------------------------------------------------------------
    // RDB snapshots (Redis's rdbSave / rdbSaveBackground).
    // ---------------------------------------------------------------

    pub fn rdb_path(&self) -> std::path::PathBuf {
        std::path::PathBuf::from(&self.config.dbfilename)
    }

    pub fn load_limits(&self) -> crate::persistence::snapshot::Limits {
        crate::persistence::snapshot::Limits {
            hash: crate::types::hash::HashLimits {
                max_entries: self.config.hash_max_listpack_entries,
                max_value: self.config.hash_max_listpack_value,
            },
            set_max_intset: self.config.set_max_intset_entries,
            zset_max_entries: self.config.zset_max_listpack_entries,
            zset_max_value: self.config.zset_max_listpack_value,
        }
    }

    /// SAVE: write the dataset from the loop.
    pub fn rdb_save(&mut self) -> std::io::Result<usize> {
        let now = crate::util::time::mstime();
        let path = self.rdb_path();
        let result = crate::persistence::snapshot::save(
            self.dbs.clone(),
            &path,
            self.config.rdbcompression,
            self.config.rdbchecksum,
            now,
        );
        match &result {
            Ok(keys) => {
                self.dirty = 0;
                self.lastsave = now / 1000;
                self.persist.rdb_saves += 1;
                self.persist.rdb_last_bgsave_ok = true;
                log::info!("DB saved on disk ({keys} keys)");
            }
            Err(e) => log::warn!("Failed saving the DB: {e}"),
        }
        result
    }

    /// BGSAVE without fork: the loop pays for cloning chunk pointers; a
    /// thread writes the clone.
    pub fn start_bgsave(&mut self) -> Result<(), &'static str> {
        if self.bgsave.is_some() {
            return Err("ERR Background save already in progress");
        }
        let t0 = Instant::now();
        let snapshot = self.dbs.clone();
        self.persist.latest_fork_usec = t0.elapsed().as_micros() as u64;
        let (path, compress, checksum, now) = (
            self.rdb_path(),
            self.config.rdbcompression,
            self.config.rdbchecksum,
            self.now_ms,
        );
        let handle = std::thread::Builder::new()
            .name("bgsave".into())
            .spawn(move || {
                crate::persistence::snapshot::save(snapshot, &path, compress, checksum, now)
            })
            .map_err(|_| "ERR Can't start the background save thread")?;
        log::info!("Background saving started");
        self.bgsave = Some(BgSaveJob {
            handle,
            started_ms: self.now_ms,
            dirty_at_start: self.dirty,
            cow_at_start: crate::db::dict::cow_bytes(),
        });
        Ok(())
    }

    /// From the cron: account for a finished BGSAVE.
    pub fn check_bgsave_done(&mut self) {
        if !self.bgsave.as_ref().is_some_and(|j| j.handle.is_finished()) {
            return;
        }
        let Some(job) = self.bgsave.take() else {
            return;
        };
        let result = job
            .handle
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("save thread panicked")));
        self.persist.rdb_last_bgsave_time_sec = (self.now_ms - job.started_ms) / 1000;
        self.persist.rdb_last_cow_size = crate::db::dict::cow_bytes() - job.cow_at_start;
        match result {
            Ok(keys) => {
                self.dirty -= job.dirty_at_start.min(self.dirty);
                self.lastsave = job.started_ms / 1000;
                self.persist.rdb_saves += 1;
                self.persist.rdb_last_bgsave_ok = true;
                log::info!("Background saving terminated with success ({keys} keys)");
            }
            Err(e) => {
                self.persist.rdb_last_bgsave_ok = false;
                self.persist.rdb_last_bgsave_try_ms = self.now_ms;
                log::warn!("Background saving error: {e}");
            }
        }
    }

    /// Save points: "seconds changes" pairs from the `save` setting.
    pub fn save_points(&self) -> Vec<(i64, u64)> {
        let w: Vec<i64> = self
            .config
            .save
            .split_whitespace()
            .filter_map(|x| x.parse().ok())
            .collect();
        w.chunks(2)
            .filter_map(|c| Some((*c.first()?, *c.get(1)? as u64)))
            .collect()
    }

    /// Before exiting: flush the AOF and, if asked or if save points are
    /// set, write the RDB. An error keeps the server up (as Redis).
    pub fn prepare_for_shutdown(&mut self, kind: Shutdown) -> Result<(), String> {
        log::info!("User requested shutdown...");
        if let Some(aof) = self.aof.as_mut() {
            log::info!("Calling fsync() on the AOF file.");
            aof.shutdown()
                .map_err(|e| format!("Error flushing the AOF at shutdown: {e}"))?;
        }
        let save = match kind {
            Shutdown::Nosave => false,
            Shutdown::Save => true,
            Shutdown::Default => !self.save_points().is_empty(),
        };
        if save {
            log::info!("Saving the final RDB snapshot before exiting.");
            self.rdb_save()
                .map_err(|e| format!("Error trying to save the DB, can't exit: {e}"))?;
        }
        Ok(())
    }

    /// Where the AOF lives (`--aof PATH` or appendfilename in dir).
    pub fn aof_path(&self) -> std::path::PathBuf {
        match &self.aof {
            Some(aof) => aof.path.clone(),
            None => std::path::PathBuf::from(&self.config.appendfilename),
        }
    }

    /// Start a fork-free background rewrite (Redis's
    /// rewriteAppendOnlyFileBackground): the loop pays for cloning the
    /// keyspace's chunk pointers, a thread writes the commands.
    pub fn start_aof_rewrite(&mut self) -> Result<(), &'static str> {
        if self.aof_rewrite.is_some() {
            return Err("ERR Background append only file rewriting already in progress");
        }
        let path = self.aof_path();
        let dir = path.parent().map(|p| p.to_path_buf()).unwrap_or_default();
        let temp = dir.join(format!("temp-rewriteaof-bg-{}.aof", std::process::id()));
        let t0 = Instant::now();
        let snapshot = self.dbs.clone();
        self.persist.latest_fork_usec = t0.elapsed().as_micros() as u64;
        let temp2 = temp.clone();
        let handle = std::thread::Builder::new()
            .name("aof_rewrite".into())
            .spawn(move || crate::aof::write_snapshot_commands(snapshot, &temp2))
            .map_err(|_| "ERR Can't start the background rewrite thread")?;
        log::info!("Background append only file rewriting started");
        self.aof_rewrite = Some(crate::aof::RewriteJob {
            handle,
            temp,
            buf: Vec::new(),
            selected_db: None,
            started_ms: self.now_ms,
            cow_at_start: crate::db::dict::cow_bytes(),
        });
        Ok(())
    }

    /// From the cron: install a finished rewrite (append what arrived
    /// meanwhile, fsync, rename over the old file atomically).
    pub fn check_aof_rewrite_done(&mut self) {
        if !self
            .aof_rewrite
            .as_ref()
            .is_some_and(|j| j.handle.is_finished())
        {
            return;
        }
        let Some(job) = self.aof_rewrite.take() else {
            return;
        };
        let path = self.aof_path();
        // Commands of this loop iteration are in both buffers: write them to
        // the old file now, so the reopened file does not get them twice.
        if let Some(aof) = self.aof.as_mut()
            && let Err(e) = aof.flush()
        {
            log::warn!("Writing the AOF before installing the rewrite: {e}");
        }
        let result = match job.handle.join() {
            Ok(r) => r,
            Err(_) => Err(std::io::Error::other("rewrite thread panicked")),
        }
        .and_then(|()| {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new().append(true).open(&job.temp)?;
            f.write_all(&job.buf)?;
            f.sync_all()?;
            std::fs::rename(&job.temp, &path)?;
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::File::open(dir)?.sync_all()?;
            }
            Ok(())
        });
        self.persist.aof_last_rewrite_time_sec = (self.now_ms - job.started_ms) / 1000;
        self.persist.aof_last_cow_size = crate::db::dict::cow_bytes() - job.cow_at_start;
        match result {
            Ok(()) => {
                self.persist.aof_rewrites += 1;
                self.persist.aof_last_rewrite_ok = true;
                self.persist.aof_rewrites_consecutive_failures = 0;
                let reopened = match self.aof.as_mut() {
                    Some(aof) => aof.reopen(),
                    None if self.aof_enable_pending => {
                        let fsync = crate::aof::Fsync::parse(&self.config.appendfsync);
                        crate::aof::Aof::open(path.clone(), fsync).map(|a| self.aof = Some(a))
                    }
                    None => Ok(()),
                };
                self.aof_enable_pending = false;
                if let Err(e) = reopened {
                    log::warn!("Can't reopen the append only file after the rewrite: {e}");
                }
                self.aof_base_size = self.aof.as_ref().map(|a| a.written).unwrap_or(0);
                log::info!("Background AOF rewrite finished successfully");
            }
            Err(e) => {
                let _ = std::fs::remove_file(&job.temp);
                self.persist.aof_last_rewrite_ok = false;
                self.persist.aof_rewrites_consecutive_failures += 1;
                self.aof_enable_pending = false;
                log::warn!("Background AOF rewrite failed: {e}");
            }
        }
    }

    /// Look a key up for reading: expired keys vanish, hits and misses are
    /// counted, the LRU clock is touched.
    pub fn lookup_read(&mut self, db: usize, key: &[u8]) -> Option<&Object> {
        self.expire_if_needed(db, key);
        let lru = lru_clock(self.now_ms);
        let stale = match self.dbs[db].dict.get(key) {
            Some(o) => o.lru != lru,
            None => {
                self.stats.keyspace_misses += 1;
                self.notify_keyspace_event(crate::notify::KEY_MISS, "keymiss", key, db);
                return None;
            }
        };
        self.stats.keyspace_hits += 1;
        // Only a changed clock writes (a write may copy a chunk a snapshot
        // shares).
        let d = &mut self.dbs[db];
        if stale && let Some(o) = d.dict.get_mut(key) {
            o.lru = lru;
        }
        d.dict.get(key)
    }

    /// Look a key up without touching stats or LRU (TYPE, TTL, OBJECT).
    pub fn lookup_notouch(&mut self, db: usize, key: &[u8]) -> Option<&Object> {
        self.expire_if_needed(db, key);
        self.dbs[db].dict.get(key)
    }

    /// `lookup_notouch` that announces a miss (`keymiss`), as Redis's
    /// read lookups do (EXISTS, TYPE, TTL); OBJECT's does not.
    pub fn lookup_notouch_or_miss(&mut self, db: usize, key: &[u8]) -> Option<&Object> {
        self.expire_if_needed(db, key);
        if !self.dbs[db].dict.contains_key(key) {
            self.notify_keyspace_event(crate::notify::KEY_MISS, "keymiss", key, db);
            return None;
        }
        self.dbs[db].dict.get(key)
    }

    /// Look a key up for writing.
    pub fn lookup_write(&mut self, db: usize, key: &[u8]) -> Option<&mut Object> {
        self.expire_if_needed(db, key);
        let lru = lru_clock(self.now_ms);
        let o = self.dbs[db].dict.get_mut(key)?;
        o.lru = lru;
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
    pub fn set_key(&mut self, db: usize, key: &[u8], value: Value, keep_ttl: bool) {
        if self.dbs[db].set_key(key, value, keep_ttl, self.now_ms) {
            self.notify_keyspace_event(crate::notify::NEW, "new", key, db);
        }
    }

    /// Add a key that does not exist (Redis's dbAdd): the `new` event.
    pub fn db_add(&mut self, db: usize, key: &[u8], value: Value) {
        self.dbs[db].add(key, value, self.now_ms);
        self.notify_keyspace_event(crate::notify::NEW, "new", key, db);
    }

    /// Delete a key; true if it existed.
    pub fn delete_key(&mut self, db: usize, key: &[u8]) -> bool {
        self.expire_if_needed(db, key);
        self.dbs[db].delete(key)
    }

    /// Does the key exist (expired keys do not)?
    pub fn key_exists(&mut self, db: usize, key: &[u8]) -> bool {
        self.expire_if_needed(db, key);
        self.dbs[db].dict.contains_key(key)
    }

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
        c.replies_suppressed = c.reply_off || skip_this;
        self.process_command_inner(c);
        if c.reply_off || skip_this {
            c.reply.buf.truncate(reply_mark.max(c.reply.sent));
        }
        c.replies_suppressed = false;
        // Messages published to this client while it ran (its own
        // keyspace events, or under CLIENT REPLY OFF, where pushes still
        // go out as Redis sends them: they are not replies).
        crate::commands::pubsub::deliver_deferred_pushes(self, c);
    }

    /// Would CLIENT PAUSE hold this command back right now?
    pub fn paused_for(&mut self, argv: &[Vec<u8>]) -> bool {
        let Some((until, all)) = self.pause else {
            return false;
        };
        if crate::util::time::mstime() >= until {
            self.pause = None;
            return false;
        }
        if all {
            return true;
        }
        match self.commands.lookup(argv) {
            Lookup::Found(spec) => {
                spec.is_write() || matches!(spec.name, "eval" | "evalsha" | "publish")
            }
            _ => false,
        }
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
        if !c.authenticated && !self.config.requirepass.is_empty() && !spec.has_flag("no_auth") {
            self.reject(
                c,
                ReplyError::new("NOAUTH Authentication required."),
                Some(spec),
            );
            return;
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
        if c.mstate.is_some() {
            if spec.has_flag("no_multi") {
                self.reject(
                    c,
                    ReplyError::new("ERR Command not allowed inside a transaction"),
                    Some(spec),
                );
                return;
            }
            if !matches!(
                self.commands.full_name_static(spec),
                "exec" | "discard" | "multi" | "watch" | "quit" | "reset"
            ) {
                // A transaction already doomed (a refused command, a
                // touched WATCH) stops growing, as Redis's queueMultiCommand.
                let doomed = c.dirty_exec || self.cas_dirty.contains(&c.slot);
                if let Some(q) = c.mstate.as_mut()
                    && !doomed
                {
                    q.push(std::mem::take(&mut c.argv));
                }
                c.reply.status("QUEUED");
                return;
            }
        }
        self.call(c, spec);
        if !self.ready_keys.is_empty() {
            self.handle_clients_blocked_on_keys();
        }
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

    /// Run a looked-up command (Redis's call): the handler, then stats.
    pub fn call(&mut self, c: &mut Client, spec: &'static CommandSpec) {
        // One clock read gives the command's time (TTLs) and its start.
        let start_us = crate::util::time::ustime();
        self.now_ms = start_us / 1000;
        c.last_interaction = self.now_ms;
        let dirty_before = self.dirty;
        let outer_prevent = std::mem::replace(&mut self.prop.prevent_cmd, false);
        let outer_db = std::mem::replace(&mut self.prop.cmd_db, c.db);
        if self.prop.depth == 0 {
            self.prop.touches_arbitrary_keys = matches!(spec.name, "scan" | "randomkey");
        }
        self.prop.depth += 1;
        let result: CmdResult = (spec.handler)(self, c);
        self.prop.depth -= 1;
        let usec = (crate::util::time::ustime() - start_us).max(0) as u64;
        // A write touches the WATCHes on the keys it may change, and a
        // write that leaves a list or sorted set at a key someone waits on
        // (RENAME, a STORE, a push) readies it, as Redis's dbAdd does; the
        // waiters are served once the command (or EXEC) is done. COPY ...
        // DB n writes a key of another database: its handler does both.
        if self.dirty != dirty_before
            && (!self.watched_keys.is_empty() || !self.blocking_keys.is_empty())
            && spec.name != "copy"
        {
            for i in crate::commands::written_key_positions(spec, &c.argv) {
                let key = c.argv[i].clone();
                self.signal_modified_key(c.db, &key);
                self.signal_key_as_ready(c.db, &key);
            }
        }
        // A command that changed data is propagated as it came, unless its
        // handler propagated another form. EXEC never is: what ran inside
        // it is, wrapped in MULTI/EXEC when there is more than one op.
        if self.dirty != dirty_before && spec.name != "exec" {
            self.propagate_command(c.db, &c.argv);
        }
        self.prop.prevent_cmd = outer_prevent;
        self.prop.cmd_db = outer_db;
        // The outermost call sends out what its unit queued (Redis's
        // afterCommand).
        if self.prop.depth == 0 {
            self.propagate_pending();
            self.prop.touches_arbitrary_keys = false;
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
        let threshold = self.config.slowlog_log_slower_than;
        if threshold >= 0 && usec as i64 >= threshold && !spec.has_flag("skip_slowlog") {
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
        let st = &mut self.stats.commands[i];
        st.calls += 1;
        st.usec += usec;
        if let Err(e) = result {
            st.failed_calls += 1;
            self.add_reply_error(c, &e);
        }
        self.stats.numcommands += 1;
    }

    /// Every client, the one being served included, ordered by id.
    pub fn client_ids_sorted<'a>(&'a self, current: &'a Client) -> Vec<&'a Client> {
        let mut all: Vec<&Client> = self.clients.iter().flatten().collect();
        all.push(current);
        all.sort_by_key(|c| c.id);
        all
    }
}

/// Redis's redactClientCommandArgument for AUTH and HELLO ... AUTH.
fn redact_secrets(name: &str, argv: &mut [Vec<u8>]) {
    const REDACTED: &[u8] = b"(redacted)";
    match name {
        "auth" => argv.iter_mut().skip(1).for_each(|a| *a = REDACTED.to_vec()),
        "hello" => {
            if let Some(i) = argv.iter().position(|a| a.eq_ignore_ascii_case(b"auth")) {
                for a in argv.iter_mut().skip(i + 1).take(2) {
                    *a = REDACTED.to_vec();
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
