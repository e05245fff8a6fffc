//! A counting global allocator: `used_memory` in INFO is the bytes the
//! process has allocated and not freed, as Redis's zmalloc counts them.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

pub struct CountingAlloc;

/// Tune the system allocator for a server that frees in bursts. glibc keeps
/// small freed chunks in "fastbins" without merging them, and the first
/// free of a chunk of 64 KiB or more afterwards merges every one of them in
/// a single call (malloc_consolidate): after an expiry storm of 1,000,000
/// keys that one free stalled the loop for 400 ms. With fastbins off
/// (M_MXFAST = 0) small frees merge as they happen, behind glibc's
/// per-thread cache, and no free pays for a million others (measured by
/// scripts/bench-latency.sh's expire-storm: 403 ms worst round trip -> 29 ms,
/// Redis with jemalloc 28 ms).
pub fn tune_system_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        const M_MXFAST: i32 = 1;
        unsafe extern "C" {
            fn mallopt(param: i32, value: i32) -> i32;
        }
        // SAFETY: mallopt only changes allocator parameters; called once at
        // startup, before the server allocates its data.
        unsafe {
            mallopt(M_MXFAST, 0);
        }
    }
}

/// Hand free heap pages back to the kernel (glibc's malloc_trim): freed
/// small buffers stay resident otherwise. Called after the cron released
/// many idle clients' buffers, and by MEMORY PURGE.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        unsafe extern "C" {
            fn malloc_trim(pad: usize) -> i32;
        }
        // SAFETY: malloc_trim only returns free pages; no pointer of ours
        // is involved.
        unsafe {
            malloc_trim(0);
        }
    }
}

static USED: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged to the system allocator.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            USED.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) };
        USED.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged to the system allocator.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            USED.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded unchanged to the system allocator.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            USED.fetch_sub(layout.size(), Ordering::Relaxed);
            USED.fetch_add(new_size, Ordering::Relaxed);
        }
        p
    }
}

/// Bytes currently allocated.
pub fn used_memory() -> usize {
    let u = USED.load(Ordering::Relaxed);
    PEAK.fetch_max(u, Ordering::Relaxed);
    u
}

/// Highest `used_memory` seen so far.
pub fn peak_memory() -> usize {
    PEAK.load(Ordering::Relaxed).max(used_memory())
}

/// The RSS as the cron last read it (Redis's cron_malloc_stats.process_rss):
/// INFO and MEMORY read this, not /proc, which costs the loop tens of
/// microseconds per read, and up to a millisecond while a snapshot
/// writer's allocations hold the address space's lock.
static CRON_RSS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Read the RSS for `cron_rss` (the cron, every tick; startup).
pub fn refresh_rss() {
    CRON_RSS.store(rss_memory(), Ordering::Relaxed);
}

/// The RSS of the last cron tick (read now if there was none yet).
pub fn cron_rss() -> usize {
    match CRON_RSS.load(Ordering::Relaxed) {
        0 => {
            refresh_rss();
            CRON_RSS.load(Ordering::Relaxed)
        }
        rss => rss,
    }
}

/// Resident set size from /proc, in bytes (0 where unavailable).
pub fn rss_memory() -> usize {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|p| p.parse::<usize>().ok())
        })
        .map(|pages| pages * 4096)
        .unwrap_or(0)
}
