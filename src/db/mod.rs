//! The keyspace: `Db` (one numbered database) and its API, after Redis's
//! db.c. Every key lives in `dict`; keys with a TTL also live in `expires`
//! with their absolute expiry time in Unix milliseconds, as in Redis, so
//! sampling for active expiry visits only keys that can expire and a key
//! without a TTL pays nothing for the possibility.

pub mod expire;

use crate::dict::Dict;
use crate::sds::Sds;
use crate::types::{Object, Value};

#[derive(Clone, Default)]
pub struct Db {
    pub dict: Dict<Object>,
    pub expires: Dict<i64>,
    /// Where the slow active-expiry cycle resumes in `expires` (Redis 7's
    /// expires_cursor).
    pub expires_cursor: u64,
    /// Running average TTL of sampled keys, for INFO keyspace.
    pub avg_ttl: i64,
}

/// The LRU clock: seconds, wrapping like Redis's 24-bit clock does not need to.
pub fn lru_clock(now_ms: i64) -> u32 {
    (now_ms / 1000) as u32
}

/// Under an LFU maxmemory-policy the same field holds what Redis keeps
/// there: the minutes of the last decrement (16 bits) and a logarithmic
/// access counter (8 bits). Set with the policy (CONFIG SET), read
/// wherever an object is made or touched.
static LFU_MODE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
/// lfu-log-factor and lfu-decay-time, for the touch on every access.
static LFU_LOG_FACTOR: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(10);
static LFU_DECAY_TIME: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
/// A new object's counter (Redis's LFU_INIT_VAL).
pub const LFU_INIT_VAL: u32 = 5;

pub fn set_lfu(mode: bool, log_factor: u32, decay_time: u32) {
    use std::sync::atomic::Ordering::Relaxed;
    LFU_MODE.store(mode, Relaxed);
    LFU_LOG_FACTOR.store(log_factor, Relaxed);
    LFU_DECAY_TIME.store(decay_time, Relaxed);
}

pub fn lfu_mode() -> bool {
    LFU_MODE.load(std::sync::atomic::Ordering::Relaxed)
}

fn lfu_minutes(now_ms: i64) -> u32 {
    ((now_ms / 1000 / 60) as u32) & 0xFFFF
}

/// The counter bits of an LFU word.
pub fn lfu_counter(word: u32) -> u32 {
    word & 0xFF
}

/// What a new object's field holds: the LRU clock, or under LFU the
/// current minutes and the initial counter.
pub fn new_lru(now_ms: i64) -> u32 {
    if lfu_mode() {
        (lfu_minutes(now_ms) << 8) | LFU_INIT_VAL
    } else {
        lru_clock(now_ms)
    }
}

/// The counter decayed by the minutes since its last decrement (Redis's
/// LFUDecrAndReturn).
pub fn lfu_decr_and_return(word: u32, now_ms: i64) -> u32 {
    let ldt = word >> 8;
    let counter = word & 0xFF;
    let now = lfu_minutes(now_ms);
    let elapsed = if now >= ldt {
        now - ldt
    } else {
        65535 - ldt + now
    };
    let decay = LFU_DECAY_TIME.load(std::sync::atomic::Ordering::Relaxed);
    let periods = elapsed.checked_div(decay).unwrap_or(0);
    counter.saturating_sub(periods)
}

/// An access under LFU (Redis's updateLFU): decay, then a logarithmic
/// increment.
pub fn lfu_touch(word: u32, now_ms: i64) -> u32 {
    let mut counter = lfu_decr_and_return(word, now_ms);
    if counter < 255 {
        let r = crate::util::rand::below(1 << 30) as f64 / (1u64 << 30) as f64;
        let baseval = counter.saturating_sub(LFU_INIT_VAL) as f64;
        let factor = LFU_LOG_FACTOR.load(std::sync::atomic::Ordering::Relaxed) as f64;
        let p = 1.0 / (baseval * factor + 1.0);
        if r < p {
            counter += 1;
        }
    }
    (lfu_minutes(now_ms) << 8) | counter
}

impl Db {
    pub fn new() -> Db {
        Db::default()
    }

    pub fn len(&self) -> usize {
        self.dict.len()
    }

    pub fn is_empty(&self) -> bool {
        self.dict.is_empty()
    }

    /// The key's expiry time, if it has one.
    pub fn get_expire(&self, key: &[u8]) -> Option<i64> {
        if self.expires.is_empty() {
            return None;
        }
        self.expires.get(key).copied()
    }

    pub fn key_is_expired(&self, key: &[u8], now: i64) -> bool {
        matches!(self.get_expire(key), Some(when) if when <= now)
    }

    /// Find a live key without touching its LRU.
    pub fn peek(&self, key: &[u8], now: i64) -> Option<&Object> {
        let o = self.dict.get(key)?;
        if self.key_is_expired(key, now) {
            None
        } else {
            Some(o)
        }
    }

    /// Find a key for writing; the caller removed expired keys first.
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut Object> {
        self.dict.get_mut(key)
    }

    /// Add a key that does not exist (Redis's dbAdd).
    pub fn add(&mut self, key: &[u8], value: Value, now: i64) {
        self.dict
            .insert_new(Sds::new(key), Object::new(value, new_lru(now)));
    }

    /// Add a key, or replace it and drop its TTL if it was there: one hash
    /// and one bucket walk (loading a file, where keys are new but a
    /// damaged file may repeat one).
    pub fn add_or_replace(&mut self, key: &[u8], value: Value, now: i64) {
        let obj = Object::new(value, new_lru(now));
        if self.dict.insert(Sds::new(key), obj).is_some() {
            self.remove_expire(key);
        }
    }

    /// Set a key to a value, creating or overwriting; drops its TTL unless
    /// `keep_ttl` (Redis's setKey). Hands back the object it replaced (None
    /// if the key is new), for the caller to free (lazily or not).
    pub fn set_key(
        &mut self,
        key: &[u8],
        value: Value,
        keep_ttl: bool,
        now: i64,
    ) -> Option<Object> {
        let obj = Object::new(value, new_lru(now));
        let old = if let Some(o) = self.dict.get_mut(key) {
            Some(std::mem::replace(o, obj))
        } else {
            self.dict.insert_new(Sds::new(key), obj);
            None
        };
        if !keep_ttl && old.is_some() {
            self.remove_expire(key);
        }
        old
    }

    /// Delete a key and its TTL; true if it existed.
    pub fn delete(&mut self, key: &[u8]) -> bool {
        self.remove(key).is_some()
    }

    /// Delete a key and its TTL, handing back its object.
    pub fn remove(&mut self, key: &[u8]) -> Option<Object> {
        let (_, o) = self.dict.remove(key)?;
        self.remove_expire(key);
        Some(o)
    }

    /// Delete and return a key's object.
    pub fn take(&mut self, key: &[u8]) -> Option<(Object, Option<i64>)> {
        let (_, o) = self.dict.remove(key)?;
        let ttl = if self.expires.is_empty() {
            None
        } else {
            self.expires.remove(key).map(|(_, t)| t)
        };
        Some((o, ttl))
    }

    pub fn set_expire(&mut self, key: &[u8], when: i64) {
        if let Some(t) = self.expires.get_mut(key) {
            *t = when;
        } else {
            self.expires.insert_new(Sds::new(key), when);
        }
    }

    pub fn remove_expire(&mut self, key: &[u8]) -> bool {
        !self.expires.is_empty() && self.expires.remove(key).is_some()
    }

    /// Remove every key.
    pub fn flush(&mut self) -> usize {
        let n = self.dict.len();
        self.dict.clear();
        self.expires.clear();
        self.expires_cursor = 0;
        self.avg_ttl = 0;
        n
    }

    /// Empty the database and hand back its tables (Redis's emptyDbAsync
    /// gives them to the lazy-free thread).
    pub fn take_all(&mut self) -> (Dict<Object>, Dict<i64>) {
        self.expires_cursor = 0;
        self.avg_ttl = 0;
        (
            std::mem::take(&mut self.dict),
            std::mem::take(&mut self.expires),
        )
    }

    /// A random live key (Redis's dbRandomKey): expired picks are skipped;
    /// the caller deletes them lazily.
    pub fn random_key(&self, now: i64) -> Option<(Sds, bool)> {
        let e = self.dict.random_entry()?;
        let expired = self.key_is_expired(&e.key, now);
        Some((e.key.clone(), expired))
    }
}
