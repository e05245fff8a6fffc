//! Persistence formats, as pure functions over byte streams: the RDB file
//! format (`rdb`) and what it is built from (CRC-64, LZF, listpacks,
//! intsets, and the ziplists/zipmaps of older files).

pub mod crc64;
pub mod intset;
pub mod listpack;
pub mod lzf;
pub mod rdb;
pub mod snapshot;
pub mod ziplist;

/// `rdb-key-save-delay` (microseconds slept per key by the snapshot and
/// rewrite writers, a testing knob as in Redis). Read by the writer
/// threads, so it lives outside the loop's state.
pub static KEY_SAVE_DELAY_US: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);

/// Sleep `rdb-key-save-delay` after a key, when set.
pub fn key_save_delay() {
    let us = KEY_SAVE_DELAY_US.load(std::sync::atomic::Ordering::Relaxed);
    if us > 0 {
        std::thread::sleep(std::time::Duration::from_micros(us as u64));
    }
}
