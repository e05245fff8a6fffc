//! Background I/O, after Redis's bio.c: one helper thread that runs the
//! blocking fsyncs of the append-only file (so the event loop never waits
//! on the disk) and deletes files the AOF no longer needs (an unlink of a
//! big file can take long on some filesystems).
//!
//! With `appendfsync always` the thread follows the loop's writes: when an
//! fsync ends and the loop has written more meanwhile (it publishes what it
//! wrote in `follow`), the next fsync starts at once, without a round trip
//! through the loop to queue it (two thread wake-ups per fsync saved, which
//! on a busy core is as long as the flush itself).

use std::fs::File;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Mutex};

/// What the loop has written with `always`: the file, its bytes written,
/// and the same point in the AOF's global offset, for the bio thread to
/// make durable next.
#[derive(Clone)]
pub struct Follow {
    pub file: Arc<File>,
    pub upto: u64,
    pub synced: Arc<AtomicU64>,
    pub global_at: u64,
    pub global_synced: Arc<AtomicU64>,
}

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

/// The next fsync the loop's writes call for, if its global point is not
/// durable yet.
fn next_follow(follow: &Mutex<Option<Follow>>) -> Option<Follow> {
    let guard = follow.lock().ok()?;
    let f = guard.as_ref()?;
    (f.global_synced.load(Ordering::SeqCst) < f.global_at).then(|| f.clone())
}

/// Handle to the bio thread and what it reports back.
pub struct Bio {
    tx: Sender<Job>,
    /// Written by the loop with `always` (see the module comment).
    pub follow: Arc<Mutex<Option<Follow>>>,
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
        let follow: Arc<Mutex<Option<Follow>>> = Arc::new(Mutex::new(None));
        let (p, f, done) = (in_progress.clone(), failed.clone(), completed.clone());
        let following = follow.clone();
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
                            let follows = global.is_some();
                            run_fsync(&file, upto, &synced, global, &f);
                            done.fetch_add(1, Ordering::SeqCst);
                            if let Some(w) = wake.as_ref() {
                                w();
                            }
                            // `always`: go on with what the loop wrote
                            // meanwhile. After clearing `in_progress`, look
                            // once more: the loop may have published and
                            // seen us busy just before.
                            loop {
                                while follows && let Some(n) = next_follow(&following) {
                                    run_fsync(
                                        &n.file,
                                        n.upto,
                                        &n.synced,
                                        Some((n.global_at, n.global_synced)),
                                        &f,
                                    );
                                    done.fetch_add(1, Ordering::SeqCst);
                                    if let Some(w) = wake.as_ref() {
                                        w();
                                    }
                                }
                                p.store(false, Ordering::SeqCst);
                                if !(follows
                                    && next_follow(&following).is_some()
                                    && !p.swap(true, Ordering::SeqCst))
                                {
                                    break;
                                }
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
            follow,
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
