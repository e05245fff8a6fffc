//! Background jobs, after the background halves of Redis's rdb.c and
//! aof.c: SAVE, BGSAVE from a copy-on-write clone of the keyspace on a
//! thread (no fork), the AOF rewrite likewise, their completion checks in
//! the cron, save points and shutdown. One job runs at a time, as Redis
//! runs one child.

use crate::aof::rewrite::BaseSpec;
use crate::aof::{Aof, Fsync, Layout};
use crate::server::{BgSaveJob, Server, Shutdown};
use std::path::{Path, PathBuf};
use std::time::Instant;

impl Server {
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

    /// Load the RDB file into the (empty) databases: startup and DEBUG
    /// RELOAD.
    pub fn rdb_load(&mut self) -> Result<crate::persistence::snapshot::Loaded, String> {
        self.rdb_load_merging(false)
    }

    /// `rdb_load`; `merge`: the file's function libraries replace loaded
    /// ones of the same name (DEBUG RELOAD MERGE; otherwise one refuses
    /// the load, as Redis's RDBFLAGS_ALLOW_DUP decides).
    pub fn rdb_load_merging(
        &mut self,
        merge: bool,
    ) -> Result<crate::persistence::snapshot::Loaded, String> {
        let (path, lim) = (self.rdb_path(), self.load_limits());
        let now = crate::util::time::mstime();
        let loaded = crate::persistence::snapshot::load(&mut self.dbs, &path, &lim, now)?;
        self.functions_load_from_rdb_replacing(&loaded.functions, merge)?;
        self.persist.rdb_last_load_keys_loaded = loaded.keys as u64;
        self.persist.rdb_last_load_keys_expired = loaded.expired as u64;
        Ok(loaded)
    }

    /// A copy-on-write clone of every database (a full sync's snapshot).
    pub fn dbs_snapshot(&self) -> Vec<crate::db::Db> {
        self.dbs.clone()
    }

    /// A replica loads its master's RDB in place of its data (Redis's
    /// emptyData + rdbLoad in readSyncBulkPayload). Keys already expired
    /// are kept: the master's DELs remove them.
    pub fn replica_load_rdb(&mut self, path: &Path) -> Result<(), String> {
        let lazy = self.config.replica_lazy_flush;
        self.flush_all_lazy(lazy);
        self.functions_flush();
        let lim = self.load_limits();
        let file =
            std::fs::File::open(path).map_err(|e| format!("can't open {}: {e}", path.display()))?;
        let was_loading = std::mem::replace(&mut self.loading, true);
        let result = crate::persistence::snapshot::load_from(
            &mut self.dbs,
            std::io::BufReader::with_capacity(1 << 20, file),
            &lim,
            None,
        );
        self.loading = was_loading;
        let (loaded, _) = result?;
        self.functions_load_from_rdb(&loaded.functions)?;
        self.persist.rdb_last_load_keys_loaded = loaded.keys as u64;
        self.persist.rdb_last_load_keys_expired = 0;
        self.dirty += 1;
        Ok(())
    }

    /// Load a master's RDB into new databases on a thread (the old ones
    /// keep serving meanwhile).
    pub fn replica_load_in_background(
        &self,
        path: PathBuf,
    ) -> std::io::Result<crate::replication::replica::LoadHandle> {
        let lim = self.load_limits();
        let n = self.dbs.len();
        let wake = self.aof_wake.clone();
        std::thread::Builder::new()
            .name("repl-load".into())
            .spawn(move || {
                // The loop swaps the result in as soon as it is ready.
                struct WakeOnExit(Option<std::sync::Arc<dyn Fn() + Send + Sync>>);
                impl Drop for WakeOnExit {
                    fn drop(&mut self) {
                        if let Some(w) = &self.0 {
                            w();
                        }
                    }
                }
                let _wake = WakeOnExit(wake);
                let mut dbs: Vec<crate::db::Db> = (0..n).map(|_| crate::db::Db::new()).collect();
                let file = std::fs::File::open(&path)
                    .map_err(|e| format!("can't open {}: {e}", path.display()))?;
                let (loaded, _) = crate::persistence::snapshot::load_from(
                    &mut dbs,
                    std::io::BufReader::with_capacity(1 << 20, file),
                    &lim,
                    None,
                )?;
                Ok((dbs, loaded))
            })
    }

    /// Swap databases a background load built in for ours (the old ones
    /// go to the lazy-free thread, WATCHes and caches learn of the flush).
    pub fn replica_swap_in(
        &mut self,
        dbs: Vec<crate::db::Db>,
        loaded: crate::persistence::snapshot::Loaded,
    ) -> Result<(), String> {
        if dbs.len() != self.dbs.len() {
            return Err("the number of databases changed".into());
        }
        self.flush_all_lazy(true);
        self.dbs = dbs;
        self.functions_flush();
        self.functions_load_from_rdb(&loaded.functions)?;
        self.persist.rdb_last_load_keys_loaded = loaded.keys as u64;
        self.persist.rdb_last_load_keys_expired = 0;
        self.dirty += 1;
        Ok(())
    }

    /// After a full sync the AOF describes data we no longer hold: start
    /// it over from the new dataset (Redis's restartAOFAfterSYNC).
    pub fn aof_restart_after_sync(&mut self) {
        self.aof_stop();
        if let Some(job) = self.aof_rewrite.take() {
            let _ = std::fs::remove_file(&job.temp);
        }
        self.aof_start();
    }

    /// The loop's pause to take a snapshot: INFO's latest_fork_usec and the
    /// latency monitor's `fork` event, where Redis records its fork.
    pub fn note_snapshot_pause(&mut self, t0: Instant) {
        let us = t0.elapsed().as_micros() as u64;
        self.persist.latest_fork_usec = us;
        let threshold = self.config.latency_monitor_threshold;
        self.latency_monitor
            .add_if_needed(threshold, "fork", us / 1000);
    }

    /// SAVE: write the dataset from the loop.
    pub fn rdb_save(&mut self) -> std::io::Result<usize> {
        let now = crate::util::time::mstime();
        let path = self.rdb_path();
        let result = crate::persistence::snapshot::save(
            self.dbs.clone(),
            &self.scripting.functions.codes(),
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
        let functions = self.scripting.functions.codes();
        self.note_snapshot_pause(t0);
        let (path, compress, checksum, now) = (
            self.rdb_path(),
            self.config.rdbcompression,
            self.config.rdbchecksum,
            self.now_ms,
        );
        let cpus = self.config.bgsave_cpulist.clone();
        let handle = std::thread::Builder::new()
            .name("bgsave".into())
            .spawn(move || {
                crate::util::thread::set_cpu_affinity("bgsave_cpulist", &cpus);
                crate::util::thread::lower_priority();
                crate::persistence::snapshot::save(
                    snapshot, &functions, &path, compress, checksum, now,
                )
            })
            .map_err(|_| "ERR Can't start the background save thread")?;
        log::info!("Background saving started");
        self.bgsave = Some(BgSaveJob {
            handle,
            started_ms: self.now_ms,
            dirty_at_start: self.dirty,
            cow_at_start: crate::dict::cow_bytes(),
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
        self.persist.rdb_last_cow_size = crate::dict::cow_bytes() - job.cow_at_start;
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
        self.scripting.ldb.kill_forked_sessions();
        if self.aof.as_ref().is_some_and(|a| a.wait_rewrite) {
            log::info!("Writing initial AOF: waiting for the rewrite before exiting.");
            if self.aof_rewrite.is_none() && self.start_aof_rewrite().is_err() {
                return Err("Writing initial AOF, can't exit.".into());
            }
            self.wait_aof_rewrite();
        }
        if let Some(job) = self.aof_rewrite.as_ref() {
            // Its result is not needed: the AOF already has every write.
            let _ = std::fs::remove_file(&job.temp);
        }
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

    /// Load an RDB that opens an AOF file into the databases, leaving `r`
    /// after it: its keys and its `ctime` (when it was written).
    pub fn rdb_load_preamble(
        &mut self,
        r: &mut impl std::io::BufRead,
    ) -> Result<(usize, Option<i64>), String> {
        let lim = self.load_limits();
        let (loaded, aux) = crate::persistence::snapshot::load_from(&mut self.dbs, r, &lim, None)?;
        self.functions_load_from_rdb(&loaded.functions)?;
        let ctime = aux
            .iter()
            .find(|(k, _)| k == b"ctime")
            .and_then(|(_, v)| crate::util::num::string2ll(v));
        Ok((loaded.keys, ctime))
    }

    fn base_spec(&self, rdb: bool) -> BaseSpec {
        BaseSpec {
            rdb,
            compress: self.config.rdbcompression,
            checksum: self.config.rdbchecksum,
            now_ms: self.now_ms,
            timestamp: self
                .config
                .aof_timestamp_enabled
                .then(|| crate::util::time::mstime() / 1000),
            functions: self.scripting.functions.codes(),
        }
    }

    /// After loading, with `appendonly yes` and Redis 7.0's layout (Redis's
    /// aofOpenIfNeededOnServerStart): the directory, a base written now if
    /// there is none (an empty or RDB-loaded dataset), the last incr file
    /// opened for appending or a new one, the manifest persisted, and the
    /// history a crash left behind deleted.
    pub fn aof_open_on_start(&mut self, loaded: &crate::aof::Loaded) -> Result<(), String> {
        let fsync = Fsync::parse(&self.config.appendfsync);
        let layout = Layout::of(&self.config);
        let (dir, filename) = match &layout {
            Layout::Single { path } => {
                let mut aof = Aof::new(layout.clone(), path, fsync, self.aof_wake.clone())
                    .map_err(|e| {
                        format!("can't open the append only file {}: {e}", path.display())
                    })?;
                aof.base_size = aof.written;
                aof.timestamps = self.config.aof_timestamp_enabled;
                self.aof = Some(aof);
                return Ok(());
            }
            Layout::Dir { dir, filename } => (dir.clone(), filename.clone()),
        };
        std::fs::create_dir_all(&dir).map_err(|e| {
            format!(
                "Can't open or create append-only dir {}: {e}",
                dir.display()
            )
        })?;
        let mut am = self.aof_manifest.clone();
        if am.is_empty() {
            let base = am.new_base(&filename, self.config.aof_use_rdb_preamble);
            let temp = PathBuf::from(format!("temp-rewriteaof-{}.aof", std::process::id()));
            let spec = self.base_spec(self.config.aof_use_rdb_preamble);
            let target = base.path_in(&dir);
            crate::aof::rewrite::write_base(self.dbs.clone(), &temp, &spec)
                .and_then(|()| std::fs::rename(&temp, &target))
                .map_err(|e| {
                    let _ = std::fs::remove_file(&temp);
                    format!("Write error writing append only file on disk: {e}")
                })?;
            log::info!(
                "Creating AOF base file {} on server start",
                base.display_name()
            );
        }
        let reopening = !am.incr.is_empty();
        let incr = match am.incr.last() {
            Some(ai) => ai.clone(),
            None => am.new_incr(&filename),
        };
        let path = incr.path_in(&dir);
        let mut aof = Aof::new(layout, &path, fsync, self.aof_wake.clone()).map_err(|e| {
            format!(
                "Can't open the append-only file {}: {e}",
                incr.display_name()
            )
        })?;
        if am != self.aof_manifest {
            am.persist(&dir, &filename)
                .map_err(|e| format!("Can't persist the AOF manifest: {e}"))?;
        }
        self.aof_manifest = am;
        log::info!(
            "{} AOF incr file {} on server start",
            if reopening { "Opening" } else { "Creating" },
            incr.display_name()
        );
        // A base written just now is not counted, as Redis 7.0 counts it
        // (its sizes come from what was loaded).
        aof.current_size = loaded.total_size.max(aof.written);
        aof.base_size = loaded.base_size;
        aof.timestamps = self.config.aof_timestamp_enabled;
        self.aof = Some(aof);
        self.aof_delete_history();
        Ok(())
    }

    /// Delete the files a rewrite made history, then drop them from the
    /// manifest (Redis's aofDelHistoryFiles).
    pub fn aof_delete_history(&mut self) {
        if self.aof_manifest.history.is_empty() || self.config.aof_file.is_some() {
            return;
        }
        let Layout::Dir { dir, filename } = Layout::of(&self.config) else {
            return;
        };
        for ai in std::mem::take(&mut self.aof_manifest.history) {
            log::info!(
                "Removing the history file {} in the background",
                ai.display_name()
            );
            match self.aof.as_ref() {
                Some(aof) => aof.bio.unlink(ai.path_in(&dir)),
                None => {
                    let _ = std::fs::remove_file(ai.path_in(&dir));
                }
            }
        }
        if let Err(e) = self.aof_manifest.persist(&dir, &filename) {
            log::warn!("Can't persist the AOF manifest: {e}");
        }
    }

    /// CONFIG SET appendonly yes (Redis's startAppendOnly): the directory
    /// layout logs to a temp incr file at once while a rewrite writes the
    /// base; the single file is opened when its rewrite is done.
    pub fn aof_start(&mut self) {
        if self.config.aof_file.is_some() {
            self.aof_enable_pending = true;
        } else if let Layout::Dir { dir, filename } = Layout::of(&self.config) {
            let temp = dir.join(crate::aof::temp_incr_name(&filename));
            let fsync = Fsync::parse(&self.config.appendfsync);
            let opened = std::fs::create_dir_all(&dir).and_then(|()| {
                let _ = std::fs::remove_file(&temp);
                Aof::new(
                    Layout::of(&self.config),
                    &temp,
                    fsync,
                    self.aof_wake.clone(),
                )
            });
            match opened {
                Ok(mut aof) => {
                    aof.wait_rewrite = true;
                    aof.timestamps = self.config.aof_timestamp_enabled;
                    self.aof = Some(aof);
                }
                Err(e) => {
                    log::warn!("Can't open the append-only file {}: {e}", temp.display());
                    return;
                }
            }
        }
        if self.has_active_job() {
            if self.aof_rewrite.is_none() {
                log::warn!(
                    "AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible."
                );
            }
            // A running rewrite does not cover what the new log needs.
            self.aof_rewrite_scheduled = true;
        } else if self.start_aof_rewrite().is_err() {
            self.aof = None;
            self.aof_enable_pending = false;
        }
    }

    /// CONFIG SET appendonly no (Redis's stopAppendOnly).
    pub fn aof_stop(&mut self) {
        if let Some(mut aof) = self.aof.take()
            && let Err(e) = aof.shutdown()
        {
            log::warn!("Fail to fsync the AOF file: {e}");
        }
        self.aof_enable_pending = false;
        self.aof_rewrite_scheduled = false;
    }

    /// Start a fork-free background rewrite (Redis's
    /// rewriteAppendOnlyFileBackground): the loop opens a new incr file
    /// for what comes next and clones the keyspace's chunk pointers; a
    /// thread writes the new base from that clone.
    pub fn start_aof_rewrite(&mut self) -> Result<(), &'static str> {
        const CANT: &str = "ERR Can't execute an AOF background rewriting. Please check the server logs for more information.";
        if self.aof_rewrite.is_some() {
            return Err("ERR Background append only file rewriting already in progress");
        }
        let (temp, buffered, rdb) = match Layout::of(&self.config) {
            Layout::Single { path } => {
                let dir = path.parent().map(|p| p.to_path_buf()).unwrap_or_default();
                let temp = dir.join(format!("temp-rewriteaof-bg-{}.aof", std::process::id()));
                (temp, true, false)
            }
            Layout::Dir { dir, filename } => {
                if let Err(e) = std::fs::create_dir_all(&dir) {
                    log::warn!(
                        "Can't open or create append-only dir {}: {e}",
                        dir.display()
                    );
                    self.persist.aof_rewrites_consecutive_failures += 1;
                    return Err(CANT);
                }
                if let Err(e) = self.open_new_incr(&dir, &filename) {
                    log::warn!("Can't open a new AOF incr file: {e}");
                    self.persist.aof_rewrites_consecutive_failures += 1;
                    return Err(CANT);
                }
                let temp = PathBuf::from(format!("temp-rewriteaof-bg-{}.aof", std::process::id()));
                (temp, false, self.config.aof_use_rdb_preamble)
            }
        };
        self.persist.aof_rewrites += 1;
        let t0 = Instant::now();
        let snapshot = self.dbs.clone();
        self.note_snapshot_pause(t0);
        let spec = self.base_spec(rdb);
        let temp2 = temp.clone();
        let cpus = self.config.aof_rewrite_cpulist.clone();
        let handle = std::thread::Builder::new()
            .name("aof_rewrite".into())
            .spawn(move || {
                crate::util::thread::set_cpu_affinity("aof_rewrite_cpulist", &cpus);
                crate::util::thread::lower_priority();
                crate::aof::rewrite::write_base(snapshot, &temp2, &spec)
            })
            .map_err(|_| CANT)?;
        log::info!("Background append only file rewriting started");
        self.aof_rewrite = Some(crate::aof::RewriteJob {
            handle,
            temp,
            buffered,
            rdb,
            buf: Vec::new(),
            selected_db: None,
            started_ms: self.now_ms,
            cow_at_start: crate::dict::cow_bytes(),
        });
        Ok(())
    }

    /// The directory layout at the start of a rewrite (Redis's
    /// openNewIncrAofForAppend): later writes go to a new incr file, which
    /// the manifest lists before the loop goes on; while waiting for the
    /// first rewrite, to the temp incr file instead.
    fn open_new_incr(&mut self, dir: &Path, filename: &str) -> std::io::Result<()> {
        let Some(aof) = self.aof.as_mut() else {
            return Ok(());
        };
        if aof.wait_rewrite {
            let temp = dir.join(crate::aof::temp_incr_name(filename));
            return aof.switch_to(&temp, true);
        }
        let mut am = self.aof_manifest.clone();
        let ai = am.new_incr(filename);
        let path = ai.path_in(dir);
        aof.write_buf()?;
        std::fs::File::create(&path)?;
        if let Err(e) = am.persist(dir, filename) {
            let _ = std::fs::remove_file(&path);
            return Err(e);
        }
        self.aof_manifest = am;
        log::info!(
            "Creating AOF incr file {} on background rewrite",
            ai.display_name()
        );
        aof.switch_to(&path, false)
    }

    /// From the cron: install a finished rewrite.
    pub fn check_aof_rewrite_done(&mut self) {
        if self
            .aof_rewrite
            .as_ref()
            .is_some_and(|j| j.handle.is_finished())
        {
            self.finish_aof_rewrite();
        }
    }

    /// Wait for a running rewrite and install it (shutdown while the AOF
    /// waits for its first base: exiting without it would lose the data).
    pub fn wait_aof_rewrite(&mut self) {
        if self.aof_rewrite.is_some() {
            self.finish_aof_rewrite();
        }
    }

    /// Install a finished rewrite (Redis's backgroundRewriteDoneHandler).
    fn finish_aof_rewrite(&mut self) {
        let Some(job) = self.aof_rewrite.take() else {
            return;
        };
        let crate::aof::RewriteJob {
            handle,
            temp,
            rdb,
            mut buf,
            started_ms,
            cow_at_start,
            ..
        } = job;
        let result = match handle.join() {
            Ok(r) => r,
            Err(_) => Err(std::io::Error::other("rewrite thread panicked")),
        };
        let result = result.and_then(|()| match Layout::of(&self.config) {
            Layout::Single { path } => self.install_single_rewrite(&temp, &mut buf, &path),
            Layout::Dir { dir, filename } => self.install_dir_rewrite(&temp, rdb, &dir, &filename),
        });
        self.persist.aof_last_rewrite_time_sec = (self.now_ms - started_ms) / 1000;
        self.persist.aof_last_cow_size = crate::dict::cow_bytes() - cow_at_start;
        match result {
            Ok(()) => {
                self.persist.aof_last_rewrite_ok = true;
                self.persist.aof_rewrites_consecutive_failures = 0;
                self.aof_delete_history();
                log::info!("Background AOF rewrite finished successfully");
            }
            Err(e) => {
                let _ = std::fs::remove_file(&temp);
                self.persist.aof_last_rewrite_ok = false;
                self.persist.aof_rewrites_consecutive_failures += 1;
                self.aof_enable_pending = false;
                log::warn!("Background AOF rewrite failed: {e}");
                // Still waiting for a first base: try again.
                if let Some(aof) = self.aof.as_mut().filter(|a| a.wait_rewrite) {
                    aof.buf.clear();
                    self.aof_rewrite_scheduled = true;
                }
            }
        }
    }

    /// The directory layout: the temp file becomes the next base, the temp
    /// incr file (if the AOF was just turned on) the next incr file, and
    /// the incr files the base covers history; one manifest write makes it
    /// all true at once.
    fn install_dir_rewrite(
        &mut self,
        temp: &Path,
        rdb: bool,
        dir: &Path,
        filename: &str,
    ) -> std::io::Result<()> {
        let mut am = self.aof_manifest.clone();
        let base = am.new_base(filename, rdb);
        let base_path = base.path_in(dir);
        std::fs::rename(temp, &base_path)?;
        let mut new_incr = None;
        if let Some(aof) = self.aof.as_mut().filter(|a| a.wait_rewrite) {
            aof.write_buf()?;
            let ai = am.new_incr(filename);
            let temp = dir.join(crate::aof::temp_incr_name(filename));
            if let Err(e) = std::fs::rename(&temp, ai.path_in(dir)) {
                let _ = std::fs::remove_file(&base_path);
                return Err(e);
            }
            new_incr = Some(ai.path_in(dir));
        }
        am.mark_rewritten_incr_as_history(self.aof.is_some());
        if let Err(e) = am.persist(dir, filename) {
            let _ = std::fs::remove_file(&base_path);
            if let Some(p) = new_incr {
                let _ = std::fs::remove_file(p);
            }
            return Err(e);
        }
        self.aof_manifest = am;
        let base_size = std::fs::metadata(&base_path).map_or(0, |m| m.len());
        if let Some(aof) = self.aof.as_mut() {
            aof.wait_rewrite = false;
            aof.current_size = base_size + aof.written;
            aof.base_size = aof.current_size;
        }
        Ok(())
    }

    /// The single-file layout: what arrived during the rewrite goes after
    /// the snapshot, then the new file replaces the old one atomically.
    fn install_single_rewrite(
        &mut self,
        temp: &Path,
        buf: &mut Vec<u8>,
        path: &Path,
    ) -> std::io::Result<()> {
        use std::io::Write;
        // This iteration's commands are in both buffers: write them to the
        // old file now, so the new file does not get them twice.
        if let Some(aof) = self.aof.as_mut() {
            aof.write_buf()?;
        }
        let mut f = std::fs::OpenOptions::new().append(true).open(temp)?;
        f.write_all(buf)?;
        buf.clear();
        f.sync_all()?;
        std::fs::rename(temp, path)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::File::open(dir)?.sync_all()?;
        }
        if self.aof.is_none() && self.aof_enable_pending {
            let fsync = Fsync::parse(&self.config.appendfsync);
            let mut aof = Aof::new(
                Layout::Single {
                    path: path.to_path_buf(),
                },
                path,
                fsync,
                self.aof_wake.clone(),
            )?;
            aof.timestamps = self.config.aof_timestamp_enabled;
            self.aof = Some(aof);
        } else if let Some(aof) = self.aof.as_mut() {
            aof.switch_to(path, false)?;
        }
        self.aof_enable_pending = false;
        if let Some(aof) = self.aof.as_mut() {
            aof.current_size = aof.written;
            aof.base_size = aof.written;
        }
        Ok(())
    }
}
