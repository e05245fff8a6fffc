//! Lazy freeing, after Redis's lazyfree.c: a value whose free takes many
//! allocations (a big list, set, sorted set, hash or stream), or a whole
//! emptied database, leaves the keyspace at once and is dropped on a
//! helper thread, so UNLINK, FLUSHALL ASYNC and the lazyfree-lazy-* paths
//! never stall the loop. Small values are freed inline, as in Redis:
//! handing them off costs more than freeing them.
//!
//! The thread only drops what it is handed; nothing it receives is reachable
//! from the loop any more (a value still shared with a running snapshot is
//! not handed over at all: dropping our reference frees nothing).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Condvar, Mutex};

use crate::types::{Object, Value};

/// Redis's LAZYFREE_THRESHOLD: above this many allocations a value is
/// freed on the helper thread.
pub const LAZYFREE_THRESHOLD: usize = 64;

/// Objects handed over and not yet freed (INFO lazyfree_pending_objects).
static PENDING: AtomicUsize = AtomicUsize::new(0);
/// Objects freed by the thread (INFO lazyfreed_objects; CONFIG RESETSTAT).
static FREED: AtomicUsize = AtomicUsize::new(0);

/// DEBUG LAZYFREE-HOLD: while set the thread frees nothing (tests use it
/// to see a value leave the keyspace before its memory does).
static HOLD: Mutex<bool> = Mutex::new(false);
static HOLD_CHANGED: Condvar = Condvar::new();

type Garbage = (Box<dyn Send>, usize);

/// Hold or release the thread (DEBUG LAZYFREE-HOLD yes|no).
pub fn set_hold(on: bool) {
    if let Ok(mut h) = HOLD.lock() {
        *h = on;
        HOLD_CHANGED.notify_all();
    }
}

fn wait_while_held() {
    if let Ok(mut h) = HOLD.lock() {
        while *h {
            match HOLD_CHANGED.wait(h) {
                Ok(g) => h = g,
                Err(_) => return,
            }
        }
    }
}

/// The handle the loop keeps; the thread starts on first use.
#[derive(Default)]
pub struct LazyFree {
    tx: Option<Sender<Garbage>>,
}

impl LazyFree {
    /// Free `obj`, on the thread when that pays (Redis's freeObjAsync).
    pub fn free_object(&mut self, obj: Object) {
        if free_effort(&obj.value) > LAZYFREE_THRESHOLD && unshared(&obj.value) {
            self.free_later(Box::new(obj), 1);
        }
    }

    /// Hand `garbage` (standing for `count` objects) to the thread. If the
    /// thread cannot be started it is dropped here, which is merely slow.
    pub fn free_later(&mut self, garbage: Box<dyn Send>, count: usize) {
        PENDING.fetch_add(count, Ordering::SeqCst);
        let garbage = match self.sender() {
            Some(tx) => match tx.send((garbage, count)) {
                Ok(()) => return,
                Err(e) => e.0.0,
            },
            None => garbage,
        };
        drop(garbage);
        PENDING.fetch_sub(count, Ordering::SeqCst);
        FREED.fetch_add(count, Ordering::SeqCst);
    }

    fn sender(&mut self) -> Option<&Sender<Garbage>> {
        if self.tx.is_none() {
            let (tx, rx) = channel::<Garbage>();
            let spawned = std::thread::Builder::new()
                .name("bio_lazy_free".into())
                .spawn(move || {
                    crate::util::thread::bio_thread_start();
                    // Normal priority on purpose: each free takes the
                    // allocator's lock of the loop's arena, and a thread
                    // preempted while holding it would stall the loop.
                    for (garbage, count) in rx {
                        wait_while_held();
                        drop(garbage);
                        PENDING.fetch_sub(count, Ordering::SeqCst);
                        FREED.fetch_add(count, Ordering::SeqCst);
                    }
                });
            match spawned {
                Ok(_) => self.tx = Some(tx),
                Err(e) => log::warn!("Can't start the lazy free thread: {e}"),
            }
        }
        self.tx.as_ref()
    }
}

/// INFO lazyfree_pending_objects.
pub fn pending_objects() -> usize {
    PENDING.load(Ordering::SeqCst)
}

/// INFO lazyfreed_objects.
pub fn freed_objects() -> usize {
    FREED.load(Ordering::SeqCst)
}

/// CONFIG RESETSTAT.
pub fn reset_stats() {
    FREED.store(0, Ordering::SeqCst);
}

/// Is this the last reference to the value's data? (A value a snapshot
/// still holds costs nothing to let go of.)
fn unshared(v: &Value) -> bool {
    match v {
        Value::List(a) => Arc::strong_count(a) == 1,
        Value::Hash(a) => Arc::strong_count(a) == 1,
        Value::Set(a) => Arc::strong_count(a) == 1,
        Value::ZSet(a) => Arc::strong_count(a) == 1,
        Value::Stream(a) => Arc::strong_count(a) == 1,
        _ => false,
    }
}

/// How many allocations freeing `v` takes (Redis's lazyfreeGetFreeEffort):
/// a list's nodes, a hashtable-encoded set or hash's entries, a skiplist
/// sorted set's members, a stream's nodes plus its groups' pending
/// entries (the first group's PEL standing for every group's); 1 for
/// anything in one piece.
pub fn free_effort(v: &Value) -> usize {
    match v {
        Value::List(l) => l.node_count(),
        Value::Set(s) if s.encoding() == "hashtable" => s.len(),
        Value::Hash(h) if h.encoding() == "hashtable" => h.len(),
        Value::ZSet(z) if z.encoding() == "skiplist" => z.len(),
        Value::Stream(s) => {
            let groups = s.cgroups.len();
            let first_pel = s.cgroups.values().next().map_or(0, |g| g.pel.len());
            s.nodes.len() + groups * (1 + first_pel)
        }
        _ => 1,
    }
}
