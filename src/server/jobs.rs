//! Background jobs, after the background halves of Redis's rdb.c and
//! aof.c: SAVE, BGSAVE from a copy-on-write clone of the keyspace on a
//! thread (no fork), the AOF rewrite likewise, their completion checks in
//! the cron, save points and shutdown. One job runs at a time, as Redis
//! runs one child.

use crate::server::{BgSaveJob, Server, Shutdown};
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
        let (path, lim) = (self.rdb_path(), self.load_limits());
        let now = crate::util::time::mstime();
        let loaded = crate::persistence::snapshot::load(&mut self.dbs, &path, &lim, now)?;
        self.persist.rdb_last_load_keys_loaded = loaded.keys as u64;
        self.persist.rdb_last_load_keys_expired = loaded.expired as u64;
        Ok(loaded)
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
            cow_at_start: crate::dict::cow_bytes(),
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
        self.persist.aof_last_cow_size = crate::dict::cow_bytes() - job.cow_at_start;
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
}
