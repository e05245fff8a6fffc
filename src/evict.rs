//! maxmemory and eviction, after Redis's evict.c.
//!
//! Before a command runs (`process_command`), `perform_evictions` frees
//! memory while `used_memory` is over `maxmemory`: it picks keys by
//! `maxmemory-policy` (random, or the best of an eviction pool filled with
//! `maxmemory-samples` sampled keys per database, by idle time or time to
//! live), deletes each through the keyspace API, announces it as
//! `evicted`, and propagates its deletion like an expired key's (DEL, or
//! UNLINK under lazyfree-lazy-expire). Work per call is bounded by time (`maxmemory-eviction-tenacity`,
//! as Redis's evictionTimeLimitUs); what is left is finished from the
//! cron. When nothing can be evicted (noeviction, or no candidate key) a
//! command flagged `denyoom` is refused with `-OOM`.

use crate::server::Server;

/// What an eviction pass found (Redis's EVICT_OK / RUNNING / FAIL).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Evict {
    /// Under the limit (or nothing to do).
    Ok,
    /// Over the limit, freeing memory in steps; commands may run.
    Running,
    /// Over the limit with nothing that can be evicted.
    Fail,
}

/// How many candidates the eviction pool keeps (Redis's EVPOOL_SIZE).
const POOL_SIZE: usize = 16;

#[derive(Clone, Copy, PartialEq)]
enum Policy {
    NoEviction,
    AllKeysRandom,
    VolatileRandom,
    AllKeysLru,
    VolatileLru,
    AllKeysLfu,
    VolatileLfu,
    VolatileTtl,
}

impl Policy {
    fn parse(s: &str) -> Policy {
        match s {
            "allkeys-random" => Policy::AllKeysRandom,
            "volatile-random" => Policy::VolatileRandom,
            "allkeys-lru" => Policy::AllKeysLru,
            "volatile-lru" => Policy::VolatileLru,
            "allkeys-lfu" => Policy::AllKeysLfu,
            "volatile-lfu" => Policy::VolatileLfu,
            "volatile-ttl" => Policy::VolatileTtl,
            _ => Policy::NoEviction,
        }
    }

    fn all_keys(self) -> bool {
        matches!(
            self,
            Policy::AllKeysRandom | Policy::AllKeysLru | Policy::AllKeysLfu
        )
    }
}

/// Redis's evictionTimeLimitUs: 500 µs at the default tenacity 10,
/// growing 15% per step above it, unlimited at 100.
fn time_limit_us(tenacity: u64) -> Option<u64> {
    if tenacity <= 10 {
        return Some(50 * tenacity.max(1));
    }
    if tenacity < 100 {
        return Some((500.0 * 1.15f64.powi((tenacity - 10) as i32)) as u64);
    }
    None
}

impl Server {
    /// Memory counted against maxmemory: `used_memory` less what Redis
    /// leaves out too (the AOF buffer not yet written).
    pub fn memory_for_eviction(&self) -> u64 {
        let used = crate::alloc::used_memory() as u64;
        used.saturating_sub(
            self.aof
                .as_ref()
                .map(|a| a.buf.capacity() as u64)
                .unwrap_or(0),
        )
    }

    /// Free memory down to maxmemory if needed (Redis's performEvictions).
    pub fn perform_evictions(&mut self) -> Evict {
        if self.config.maxmemory == 0 || self.loading {
            return Evict::Ok;
        }
        let start = std::time::Instant::now();
        let r = self.perform_evictions_inner();
        let threshold = self.config.latency_monitor_threshold;
        self.latency_monitor.add_if_needed(
            threshold,
            "eviction-cycle",
            start.elapsed().as_millis() as u64,
        );
        r
    }

    fn perform_evictions_inner(&mut self) -> Evict {
        let maxmem = self.config.maxmemory;
        if maxmem == 0 || self.loading {
            return Evict::Ok;
        }
        if self.memory_for_eviction() <= maxmem {
            self.evict_pending = false;
            return Evict::Ok;
        }
        let policy = Policy::parse(&self.config.maxmemory_policy);
        if policy == Policy::NoEviction {
            return Evict::Fail;
        }
        let start = std::time::Instant::now();
        let limit = time_limit_us(self.config.maxmemory_eviction_tenacity);
        let mut evicted_any = false;
        while self.memory_for_eviction() > maxmem {
            let Some((db, key)) = self.eviction_candidate(policy) else {
                // Nothing left that the policy may evict.
                self.evict_pending = false;
                return if evicted_any {
                    Evict::Running
                } else {
                    Evict::Fail
                };
            };
            self.evict_key(db, &key);
            evicted_any = true;
            if let Some(us) = limit
                && start.elapsed().as_micros() as u64 > us
            {
                // Over budget: the cron goes on from here.
                self.evict_pending = true;
                return Evict::Running;
            }
        }
        self.evict_pending = false;
        Evict::Ok
    }

    /// Delete an evicted key: gone from the keyspace, `evicted` announced,
    /// the deletion propagated, WATCH touched, counted.
    fn evict_key(&mut self, db: usize, key: &[u8]) {
        let lazy = self.config.lazyfree_lazy_eviction;
        self.db_generic_delete(db, key, lazy);
        self.stats.evicted_keys += 1;
        self.signal_modified_key_by(db, key, None);
        self.notify_keyspace_event(crate::notify::EVICTED, "evicted", key, db);
        // Propagated as UNLINK under lazyfree-lazy-eviction (Redis's
        // propagateDeletion with that setting).
        let cmd: &[u8] = if lazy { b"UNLINK" } else { b"DEL" };
        self.also_propagate(db, vec![cmd.to_vec(), key.to_vec()]);
        self.propagate_pending();
    }

    /// The next key to evict under `policy`, if any.
    fn eviction_candidate(&mut self, policy: Policy) -> Option<(usize, Vec<u8>)> {
        let ndb = self.db_count();
        if matches!(policy, Policy::AllKeysRandom | Policy::VolatileRandom) {
            for _ in 0..ndb {
                self.evict_next_db = (self.evict_next_db + 1) % ndb;
                let d = self.db(self.evict_next_db);
                let key = if policy.all_keys() {
                    d.dict.random_entry().map(|e| e.key.to_vec())
                } else {
                    d.expires.random_entry().map(|e| e.key.to_vec())
                };
                if let Some(k) = key {
                    return Some((self.evict_next_db, k));
                }
            }
            return None;
        }
        // LRU/LFU/TTL: fill the pool from every database, then take the
        // best candidate still there (Redis's evictionPoolPopulate).
        let samples = self.config.maxmemory_samples.max(1) as usize;
        let now = self.now_ms;
        let lru_now = crate::db::lru_clock(now);
        let mut pool = std::mem::take(&mut self.evict_pool);
        for db in 0..ndb {
            let d = self.db(db);
            let source_len = if policy.all_keys() {
                d.dict.len()
            } else {
                d.expires.len()
            };
            if source_len == 0 {
                continue;
            }
            for _ in 0..samples.min(source_len) {
                let (key, score) = if policy.all_keys() {
                    let Some(e) = d.dict.random_entry() else {
                        break;
                    };
                    (e.key.to_vec(), idle_score(policy, &e.value, lru_now, None))
                } else {
                    let Some(e) = d.expires.random_entry() else {
                        break;
                    };
                    let score = match d.dict.get(&e.key) {
                        Some(o) => idle_score(policy, o, lru_now, Some(e.value)),
                        None => continue,
                    };
                    (e.key.to_vec(), score)
                };
                pool_insert(&mut pool, db, key, score);
            }
        }
        // The best is last; a candidate deleted meanwhile is skipped.
        let mut found = None;
        while let Some((db, key, _)) = pool.pop() {
            let present = if policy.all_keys() {
                self.db(db).dict.contains_key(&key)
            } else {
                self.db(db).expires.contains_key(&key)
            };
            if present {
                found = Some((db, key));
                break;
            }
        }
        self.evict_pool = pool;
        found
    }
}

/// Higher is evicted first (Redis's `idle`): idle milliseconds for LRU,
/// 255 minus the access counter for LFU, the inverse of the expiry time
/// for TTL.
fn idle_score(policy: Policy, o: &crate::types::Object, lru_now: u32, expire: Option<i64>) -> u64 {
    match policy {
        Policy::VolatileTtl => u64::MAX - expire.unwrap_or(i64::MAX).max(0) as u64,
        Policy::AllKeysLfu | Policy::VolatileLfu => {
            255u64.saturating_sub(crate::db::lfu_counter(o.lru) as u64)
        }
        _ => (lru_now.saturating_sub(o.lru) as u64) * 1000,
    }
}

/// Keep the pool sorted by score, ascending, at most POOL_SIZE entries,
/// dropping the worst when full (Redis's evictionPoolPopulate insert).
fn pool_insert(pool: &mut Vec<(usize, Vec<u8>, u64)>, db: usize, key: Vec<u8>, score: u64) {
    if pool.iter().any(|(d, k, _)| *d == db && *k == key) {
        return;
    }
    let at = pool.partition_point(|(_, _, s)| *s < score);
    if pool.len() >= POOL_SIZE {
        if at == 0 {
            return;
        }
        pool.remove(0);
        pool.insert(at - 1, (db, key, score));
    } else {
        pool.insert(at, (db, key, score));
    }
}
