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

use crate::client::Client;
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

// ---------------------------------------------------------------------
// Client eviction (maxmemory-clients), after Redis 7.0's evictClients.
// ---------------------------------------------------------------------

/// May maxmemory-clients close this client? Normal and pub/sub
/// connections without CLIENT NO-EVICT (not MONITOR, not internal ones).
fn client_evictable(c: &Client) -> bool {
    !c.no_evict && !c.monitor && c.sock.is_some() && c.replica.is_none() && !c.master_link
}

/// The accounting itself, for callers holding the client inside the
/// server (only while maxmemory-clients is on: the measure walks the
/// client's arguments and queued transaction).
pub fn account_client_mem(enabled: bool, total: &mut usize, c: &mut Client) {
    if !enabled {
        return;
    }
    // A client on its way out (evicted, killed) no longer counts.
    let m = if client_evictable(c) && !c.close_asap {
        crate::commands::memory::client_memory(c)
    } else {
        0
    };
    *total = (*total + m).saturating_sub(c.mem_counted);
    c.mem_counted = m;
}

impl Server {
    /// Redis's updateClientMemUsage: bring this client's share of the
    /// clients' total up to date.
    pub fn update_client_mem(&mut self, c: &mut Client) {
        account_client_mem(
            self.config.maxmemory_clients != 0,
            &mut self.client_mem_total,
            c,
        );
    }

    /// A client leaves: its share goes.
    pub fn forget_client_mem(&mut self, c: &mut Client) {
        self.client_mem_total = self.client_mem_total.saturating_sub(c.mem_counted);
        c.mem_counted = 0;
    }

    /// Redis's evictClients: while the clients hold more than the limit,
    /// close the biggest evictable ones (`current`, the client being
    /// served, included), logging each and counting `evicted_clients`.
    pub fn evict_clients(&mut self, mut current: Option<&mut Client>) {
        let limit = self.config.client_eviction_limit() as usize;
        if limit == 0 || self.client_mem_total < limit {
            return;
        }
        // Biggest first: (memory, slot); the current client is out of the
        // slab and stands for its own slot.
        let mut order: Vec<(usize, usize)> = self
            .clients
            .iter()
            .enumerate()
            .filter_map(|(slot, c)| c.as_ref().map(|c| (c.mem_counted, slot)))
            .filter(|&(m, _)| m > 0)
            .collect();
        if let Some(c) = current.as_deref()
            && c.mem_counted > 0
        {
            order.push((c.mem_counted, c.slot));
        }
        order.sort_unstable_by(|a, b| b.cmp(a));
        for (_, slot) in order {
            if self.client_mem_total < limit {
                break;
            }
            let victim: Option<&mut Client> = match current.as_deref_mut() {
                Some(c) if c.slot == slot => Some(c),
                _ => self.clients.get_mut(slot).and_then(|c| c.as_deref_mut()),
            };
            let Some(v) = victim else { continue };
            if v.close_asap {
                continue;
            }
            log::info!(
                "Evicting client: id={} addr={} laddr={} name={} tot-mem={}",
                v.id,
                v.addr,
                v.laddr,
                String::from_utf8_lossy(v.name.as_deref().unwrap_or(b"")),
                v.mem_counted
            );
            v.close_asap = true;
            let m = std::mem::take(&mut v.mem_counted);
            self.client_mem_total = self.client_mem_total.saturating_sub(m);
            self.stats.evicted_clients += 1;
            self.pending_writes.push(slot);
        }
        if self.client_mem_total >= limit {
            log::warn!("Over client maxmemory after evicting all evictable clients");
        }
    }
}
