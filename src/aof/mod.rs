//! The append-only file, after Redis 7.0's aof.c: every write command is
//! logged in a deterministic form (relative TTLs as absolute PXAT/PEXPIREAT,
//! served blocking pops as plain pops, expired keys as DEL, SELECT when the
//! database changes), so replaying the files rebuilds the same data.
//!
//! Two layouts. Redis 7.0's (`appendonly yes`): a directory
//! (`appenddirname`) holding a manifest, one base file (an RDB, or
//! commands with `aof-use-rdb-preamble no`) and incr files of commands in
//! replay order; a rewrite writes a new base while a new incr file takes
//! the live writes. Ours (`--aof PATH`, the product sheet's): one file of
//! commands at PATH, replaced atomically by a rewrite.
//!
//! Commands collect in `buf` while the loop runs; `before_sleep` writes
//! them before any reply of that iteration leaves. With `everysec` the cron
//! hands an fsync to the bio thread once a second. With `always` the loop
//! never waits for the disk either: the iteration's commands are written,
//! their fsync runs on the bio thread while the loop serves the next
//! batch, and the replies of that iteration are held until it completes
//! (group commit, pipelined; see `event_loop.rs` and docs/PERSISTENCE.md).
//! The bio thread goes straight on to the next batch's fsync when one was
//! written meanwhile (`bio::Follow`).
//! Offsets for that live in one space across all the AOF's files
//! (`global_written`, `global_synced`).

pub mod load;
pub mod manifest;
pub mod rewrite;

pub use load::{LoadError, Loaded};
pub use rewrite::{RewriteJob, rewrite_key};

use crate::bio::Bio;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Fsync {
    Always,
    EverySec,
    No,
}

impl Fsync {
    pub fn parse(s: &str) -> Fsync {
        match s {
            "always" => Fsync::Always,
            "no" => Fsync::No,
            _ => Fsync::EverySec,
        }
    }
}

/// Where the AOF lives.
#[derive(Clone, Debug)]
pub enum Layout {
    /// Redis 7.0's multi-part AOF in `dir`, files named after `filename`
    /// (the manifest is the server's, `Server::aof_manifest`).
    Dir { dir: PathBuf, filename: String },
    /// `--aof PATH`: one file.
    Single { path: PathBuf },
}

impl Layout {
    /// The layout the config asks for.
    pub fn of(config: &crate::config::Config) -> Layout {
        match &config.aof_file {
            Some(path) => Layout::Single {
                path: PathBuf::from(path),
            },
            None => Layout::Dir {
                dir: PathBuf::from(&config.appenddirname),
                filename: config.appendfilename.clone(),
            },
        }
    }

    /// What the banner and logs call it.
    pub fn display(&self) -> String {
        match self {
            Layout::Dir { dir, .. } => dir.display().to_string(),
            Layout::Single { path } => path.display().to_string(),
        }
    }
}

/// The temp incr file that takes writes while CONFIG SET appendonly yes
/// waits for its first rewrite (Redis's getTempIncrAofName).
pub fn temp_incr_name(filename: &str) -> String {
    format!("temp-{filename}.incr")
}

pub struct Aof {
    pub layout: Layout,
    /// Writing the temp incr file until the first rewrite installs a base
    /// (Redis's AOF_WAIT_REWRITE, after CONFIG SET appendonly yes).
    pub wait_rewrite: bool,
    file: Arc<File>,
    /// Bytes of `file` known to be durable.
    synced: Arc<AtomicU64>,
    /// Commands not yet written to the file.
    pub buf: Vec<u8>,
    /// Database the file's last SELECT chose.
    selected_db: Option<usize>,
    pub fsync: Fsync,
    /// Bytes written to the file being appended (aof_last_incr_size).
    pub written: u64,
    /// Bytes of every file of the AOF (aof_current_size).
    pub current_size: u64,
    /// Bytes written since the AOF was opened, across file switches, and
    /// how many of them are known durable: replies wait on these.
    pub global_written: u64,
    global_synced: Arc<AtomicU64>,
    /// Size after the last rewrite: the base of auto-rewrite growth.
    pub base_size: u64,
    pub bio: Bio,
    last_fsync_ms: i64,
    pub last_write_ok: bool,
    /// `aof-timestamp-enabled`: `#TS:<unix seconds>` lines as time passes.
    pub timestamps: bool,
    cur_timestamp: i64,
}

/// Append a command in RESP multibulk form.
pub fn cat_command(out: &mut Vec<u8>, argv: &[Vec<u8>]) {
    out.push(b'*');
    out.extend_from_slice(argv.len().to_string().as_bytes());
    out.extend_from_slice(b"\r\n");
    for a in argv {
        out.push(b'$');
        out.extend_from_slice(a.len().to_string().as_bytes());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// Open `path` for appending; its length.
fn open_append(path: &Path, truncate: bool) -> io::Result<(File, u64)> {
    let file = if truncate {
        OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(path)?
    } else {
        OpenOptions::new().create(true).append(true).open(path)?
    };
    let len = file.metadata()?.len();
    Ok((file, len))
}

impl Aof {
    /// Start logging to `path` (the single file, or the incr file a
    /// directory layout appends to), which already holds `len` bytes.
    pub fn new(
        layout: Layout,
        path: &Path,
        fsync: Fsync,
        wake: Option<Arc<dyn Fn() + Send + Sync>>,
    ) -> io::Result<Aof> {
        let (file, written) = open_append(path, false)?;
        Ok(Aof {
            layout,
            wait_rewrite: false,
            file: Arc::new(file),
            synced: Arc::new(AtomicU64::new(written)),
            buf: Vec::new(),
            selected_db: None,
            fsync,
            written,
            current_size: written,
            global_written: 0,
            global_synced: Arc::new(AtomicU64::new(0)),
            base_size: 0,
            bio: Bio::start(wake)?,
            last_fsync_ms: 0,
            last_write_ok: true,
            timestamps: false,
            cur_timestamp: 0,
        })
    }

    /// The single-file layout's path.
    pub fn single_path(&self) -> Option<&Path> {
        match &self.layout {
            Layout::Single { path } => Some(path),
            Layout::Dir { .. } => None,
        }
    }

    /// Log one command run against database `db` at `now_secs`.
    pub fn feed(&mut self, db: usize, argv: &[Vec<u8>], now_secs: i64) {
        if self.timestamps && self.cur_timestamp < now_secs {
            self.cur_timestamp = now_secs;
            self.buf
                .extend_from_slice(format!("#TS:{now_secs}\r\n").as_bytes());
        }
        if self.selected_db != Some(db) {
            cat_command(
                &mut self.buf,
                &[b"SELECT".to_vec(), db.to_string().into_bytes()],
            );
            self.selected_db = Some(db);
        }
        cat_command(&mut self.buf, argv);
    }

    /// Bytes of the current file known to be durable.
    pub fn synced(&self) -> u64 {
        self.synced.load(Ordering::SeqCst)
    }

    /// Of `global_written`, the bytes known durable.
    pub fn global_synced(&self) -> u64 {
        self.global_synced.load(Ordering::SeqCst)
    }

    /// Write the buffer to the file (before replies go out); with
    /// `always`, fsync too, here and now.
    pub fn flush(&mut self) -> io::Result<()> {
        self.write_buf()?;
        if self.fsync == Fsync::Always && self.synced() < self.written {
            self.sync_now()?;
        }
        Ok(())
    }

    /// fsync the current file from the loop.
    fn sync_now(&mut self) -> io::Result<()> {
        self.file.sync_data()?;
        self.synced.fetch_max(self.written, Ordering::SeqCst);
        self.global_synced
            .fetch_max(self.global_written, Ordering::SeqCst);
        Ok(())
    }

    /// `always`: hand the fsync of everything written so far to the bio
    /// thread, unless one is running (its completion wakes the loop, which
    /// then starts the next). Returns the offset replies must wait for, if
    /// anything is not yet durable.
    pub fn sync_in_background(&mut self) -> Option<u64> {
        if self.global_synced() >= self.global_written {
            return None;
        }
        // Published first, so a running fsync goes on with it.
        if let Ok(mut f) = self.bio.follow.lock() {
            *f = Some(crate::bio::Follow {
                file: self.file.clone(),
                upto: self.written,
                synced: self.synced.clone(),
                global_at: self.global_written,
                global_synced: self.global_synced.clone(),
            });
        }
        self.bio.fsync(
            self.file.clone(),
            self.written,
            self.synced.clone(),
            Some((self.global_written, self.global_synced.clone())),
        );
        Some(self.global_written)
    }

    /// Write the buffer to the file, without fsync.
    pub fn write_buf(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            if let Err(e) = (&*self.file).write_all(&self.buf) {
                self.last_write_ok = false;
                return Err(e);
            }
            self.written += self.buf.len() as u64;
            self.current_size += self.buf.len() as u64;
            self.global_written += self.buf.len() as u64;
            self.buf.clear();
            self.last_write_ok = true;
        }
        Ok(())
    }

    /// The once-a-second fsync for `everysec`, handed to the bio thread.
    pub fn cron(&mut self, now_ms: i64) {
        if self.fsync == Fsync::EverySec
            && self.synced() < self.written
            && now_ms - self.last_fsync_ms >= 1000
            && self
                .bio
                .fsync(self.file.clone(), self.written, self.synced.clone(), None)
        {
            self.last_fsync_ms = now_ms;
        }
        if self.bio.failed.load(Ordering::SeqCst) {
            self.last_write_ok = false;
        }
    }

    /// Flush and fsync everything (shutdown, appendonly off).
    pub fn shutdown(&mut self) -> io::Result<()> {
        self.write_buf()?;
        self.sync_now()
    }

    /// Append from now on to the file at `path` (a new incr file, or the
    /// single file a rewrite just replaced); the next command starts with
    /// SELECT. The old file is fsynced first, here and now: it is no longer
    /// the last file, and only the last file may end short when the AOF is
    /// loaded, so a power cut must not leave its tail behind (one fsync per
    /// rewrite; Redis syncs it in the background and takes that risk).
    pub fn switch_to(&mut self, path: &Path, truncate: bool) -> io::Result<()> {
        self.write_buf()?;
        if self.synced() < self.written {
            self.sync_now()?;
        }
        // The bio thread must not keep following (or holding open) the
        // old file, which a rewrite may delete.
        if let Ok(mut f) = self.bio.follow.lock() {
            *f = None;
        }
        let (file, len) = open_append(path, truncate)?;
        self.file = Arc::new(file);
        self.synced = Arc::new(AtomicU64::new(len));
        self.written = len;
        self.selected_db = None;
        Ok(())
    }

    /// Test hook (DEBUG AOF-CRASH): cut the file being appended back to
    /// what was fsynced, as a power loss would, so tests can check that no
    /// reply was sent for a command that was not yet durable.
    pub fn drop_unsynced(&self) -> io::Result<()> {
        self.file.set_len(self.synced())
    }
}
