//! Background I/O, after Redis's bio.c: one helper thread that runs the
//! blocking fsync of the append-only file, so the event loop never waits on
//! the disk under `appendfsync everysec`.

use std::fs::File;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Sender, channel};

/// A job for the fsync thread: sync `file`, then record that the first
/// `upto` bytes are durable.
struct FsyncJob {
    file: Arc<File>,
    upto: u64,
}

/// Handle to the fsync thread and what it reports back.
pub struct Bio {
    tx: Sender<FsyncJob>,
    /// Bytes of the file known to be on disk.
    pub synced: Arc<AtomicU64>,
    pub in_progress: Arc<AtomicBool>,
    /// Set if an fsync failed (INFO aof_last_write_status).
    pub failed: Arc<AtomicBool>,
}

impl Bio {
    pub fn start(initial_synced: u64) -> std::io::Result<Bio> {
        let (tx, rx) = channel::<FsyncJob>();
        let synced = Arc::new(AtomicU64::new(initial_synced));
        let in_progress = Arc::new(AtomicBool::new(false));
        let failed = Arc::new(AtomicBool::new(false));
        let (s, p, f) = (synced.clone(), in_progress.clone(), failed.clone());
        std::thread::Builder::new()
            .name("bio_aof_fsync".into())
            .spawn(move || {
                for job in rx {
                    match job.file.sync_data() {
                        Ok(()) => {
                            s.fetch_max(job.upto, Ordering::SeqCst);
                            f.store(false, Ordering::SeqCst);
                        }
                        Err(e) => {
                            log::warn!("Background AOF fsync failed: {e}");
                            f.store(true, Ordering::SeqCst);
                        }
                    }
                    p.store(false, Ordering::SeqCst);
                }
            })?;
        Ok(Bio {
            tx,
            synced,
            in_progress,
            failed,
        })
    }

    /// Queue an fsync unless one is already running. Returns whether queued.
    pub fn fsync(&self, file: Arc<File>, upto: u64) -> bool {
        if self.in_progress.swap(true, Ordering::SeqCst) {
            return false;
        }
        if self.tx.send(FsyncJob { file, upto }).is_err() {
            self.in_progress.store(false, Ordering::SeqCst);
            return false;
        }
        true
    }
}
