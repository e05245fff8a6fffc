//! Background I/O, after Redis's bio.c: one helper thread that runs the
//! blocking fsyncs of the append-only file (so the event loop never waits
//! on the disk) and deletes files the AOF no longer needs (an unlink of a
//! big file can take long on some filesystems).

use std::fs::File;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Sender, channel};

enum Job {
    /// Sync `file`, then record that its first `upto` bytes are durable
    /// in `synced` (each file has its own counter: an fsync of a file the
    /// AOF moved away from must not vouch for the new one).
    Fsync {
        file: Arc<File>,
        upto: u64,
        synced: Arc<AtomicU64>,
        /// The same point in the AOF's offset across all its files, for
        /// replies waiting on it (`appendfsync always`).
        global: Option<(u64, Arc<AtomicU64>)>,
    },
    Unlink(PathBuf),
}

fn run_fsync(
    file: &File,
    upto: u64,
    synced: &AtomicU64,
    global: Option<(u64, Arc<AtomicU64>)>,
    failed: &AtomicBool,
) {
    match file.sync_data() {
        Ok(()) => {
            synced.fetch_max(upto, Ordering::SeqCst);
            if let Some((at, g)) = global {
                g.fetch_max(at, Ordering::SeqCst);
            }
            failed.store(false, Ordering::SeqCst);
        }
        Err(e) => {
            log::warn!("Background AOF fsync failed: {e}");
            failed.store(true, Ordering::SeqCst);
        }
    }
}

/// Handle to the bio thread and what it reports back.
pub struct Bio {
    tx: Sender<Job>,
    pub in_progress: Arc<AtomicBool>,
    /// Set if an fsync failed (INFO aof_last_write_status).
    pub failed: Arc<AtomicBool>,
    /// Fsyncs done, for the event loop to notice without polling.
    pub completed: Arc<AtomicU64>,
}

impl Bio {
    /// Start the thread; `wake` runs after every fsync (the event loop's
    /// waker, so replies waiting for that fsync leave at once).
    pub fn start(wake: Option<Arc<dyn Fn() + Send + Sync>>) -> std::io::Result<Bio> {
        let (tx, rx) = channel::<Job>();
        let in_progress = Arc::new(AtomicBool::new(false));
        let failed = Arc::new(AtomicBool::new(false));
        let completed = Arc::new(AtomicU64::new(0));
        let (p, f, done) = (in_progress.clone(), failed.clone(), completed.clone());
        std::thread::Builder::new()
            .name("bio_aof".into())
            .spawn(move || {
                crate::util::thread::bio_thread_start();
                for job in rx {
                    match job {
                        Job::Fsync {
                            file,
                            upto,
                            synced,
                            global,
                        } => {
                            run_fsync(&file, upto, &synced, global, &f);
                            p.store(false, Ordering::SeqCst);
                            done.fetch_add(1, Ordering::SeqCst);
                            if let Some(w) = wake.as_ref() {
                                w();
                            }
                        }
                        Job::Unlink(path) => {
                            if let Err(e) = std::fs::remove_file(&path) {
                                log::warn!("Can't remove {}: {e}", path.display());
                            }
                        }
                    }
                }
            })?;
        Ok(Bio {
            tx,
            in_progress,
            failed,
            completed,
        })
    }

    /// Queue an fsync unless one is already running. Returns whether queued.
    pub fn fsync(
        &self,
        file: Arc<File>,
        upto: u64,
        synced: Arc<AtomicU64>,
        global: Option<(u64, Arc<AtomicU64>)>,
    ) -> bool {
        if self.in_progress.swap(true, Ordering::SeqCst) {
            return false;
        }
        let job = Job::Fsync {
            file,
            upto,
            synced,
            global,
        };
        if self.tx.send(job).is_err() {
            self.in_progress.store(false, Ordering::SeqCst);
            return false;
        }
        true
    }

    /// Delete a file in the background (Redis's bg_unlink).
    pub fn unlink(&self, path: PathBuf) {
        if self.tx.send(Job::Unlink(path.clone())).is_err() {
            let _ = std::fs::remove_file(path);
        }
    }
}
