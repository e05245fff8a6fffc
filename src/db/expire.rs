//! Active expiry, after Redis 7.0's activeExpireCycle (expire.c): sample
//! keys that carry a TTL, delete the expired ones, and keep going while
//! more than a tenth of a sample had expired, within a time budget. The
//! slow cycle runs in the cron; the fast cycle runs before sleeping (at
//! most 1 ms, at most every 2 ms) when the last pass hit its time limit or
//! left much stale.
//!
//! One difference, so the loop never stalls: Redis lets one slow cycle
//! take 25% of a tick (25 ms at hz 10) in one go; ours stops after
//! `SLOW_SLICE_US` and leaves the rest to the fast cycles, which can take
//! up to half the CPU in 1 ms slices between other clients' commands. A
//! mass expiry (and deletions that copy chunks a snapshot shares, during
//! a BGSAVE or a full sync) costs clients a millisecond or two at a time.

use crate::server::Server;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, PartialEq)]
pub enum CycleKind {
    Slow,
    Fast,
}

const KEYS_PER_LOOP: usize = 20;
const FAST_DURATION_US: u64 = 1000;
const SLOW_TIME_PERC: u64 = 25;
/// The longest one slow cycle runs (see the module's comment).
const SLOW_SLICE_US: u64 = 2000;
const ACCEPTABLE_STALE: usize = 10;

/// State the cycle keeps between calls.
#[derive(Default)]
pub struct ExpireCycleState {
    current_db: usize,
    timelimit_exit: bool,
    last_fast_cycle: Option<Instant>,
}

/// The active expiry cycle, its duration recorded as the latency
/// monitor's `expire-cycle` event.
pub fn active_expire_cycle(server: &mut Server, kind: CycleKind) {
    // A replica's keys go when its master's DELs say so; nothing goes
    // while clients are paused.
    if server.is_replica() || server.clients_paused() {
        return;
    }
    let threshold = server.config.latency_monitor_threshold;
    // The clock is read only when the monitor is on: the fast cycle runs
    // before every sleep.
    if threshold == 0 {
        return active_expire_cycle_inner(server, kind);
    }
    let start = Instant::now();
    active_expire_cycle_inner(server, kind);
    let ms = start.elapsed().as_millis() as u64;
    server
        .latency_monitor
        .add_if_needed(threshold, "expire-cycle", ms);
}

fn active_expire_cycle_inner(server: &mut Server, kind: CycleKind) {
    if !server.active_expire_enabled || server.loading {
        return;
    }
    let effort = server.config.active_expire_effort.saturating_sub(1) as usize;
    let keys_per_loop = KEYS_PER_LOOP + KEYS_PER_LOOP / 4 * effort;
    let fast_duration = FAST_DURATION_US + FAST_DURATION_US / 4 * effort as u64;
    let slow_perc = SLOW_TIME_PERC + 2 * effort as u64;
    let acceptable_stale = ACCEPTABLE_STALE - effort.min(ACCEPTABLE_STALE);

    let start = Instant::now();
    let mut st = std::mem::take(&mut server.expire_state);
    if kind == CycleKind::Fast {
        // Only when the previous cycle hit its time limit or left too much
        // stale, and not more often than every 2 fast durations.
        if !st.timelimit_exit && server.stats.expired_stale_perc < acceptable_stale as f64 {
            server.expire_state = st;
            return;
        }
        if st
            .last_fast_cycle
            .is_some_and(|t| start.duration_since(t) < Duration::from_micros(fast_duration * 2))
        {
            server.expire_state = st;
            return;
        }
        st.last_fast_cycle = Some(start);
    }
    let timelimit = match kind {
        CycleKind::Fast => Duration::from_micros(fast_duration),
        CycleKind::Slow => Duration::from_micros(
            (slow_perc * 1_000_000 / server.config.hz.max(1) as u64 / 100).min(SLOW_SLICE_US),
        ),
    };
    st.timelimit_exit = false;
    let ndbs = server.db_count();
    let (mut total_sampled, mut total_expired) = (0usize, 0usize);
    let mut expired_keys: Vec<Vec<u8>> = Vec::new();
    'dbs: for _ in 0..ndbs {
        let dbid = st.current_db % ndbs;
        st.current_db = st.current_db.wrapping_add(1);
        let mut iteration = 0u64;
        loop {
            let now = crate::util::time::mstime();
            let db = server.db_mut(dbid);
            let num = db.expires.len();
            if num == 0 {
                db.avg_ttl = 0;
                break;
            }
            let slots = db.expires.slots();
            // A nearly empty table: sampling costs more than it finds.
            if slots > 4 && num * 100 / slots < 1 {
                break;
            }
            let want = num.min(keys_per_loop);
            let max_buckets = want * 20;
            let (mut sampled, mut buckets) = (0usize, 0usize);
            let (mut ttl_sum, mut ttl_samples) = (0i64, 0i64);
            expired_keys.clear();
            while sampled < want && buckets < max_buckets {
                let cursor = db.expires_cursor;
                db.expires_cursor = db.expires.scan(cursor, |e| {
                    sampled += 1;
                    if e.value <= now {
                        expired_keys.push(e.key.to_vec());
                    } else {
                        ttl_sum += e.value - now;
                        ttl_samples += 1;
                    }
                });
                buckets += 1;
            }
            let expired = expired_keys.len();
            // Independent deletions: propagated one by one, never wrapped.
            server.prop.no_multi = true;
            for k in &expired_keys {
                server.delete_expired_key(dbid, k);
            }
            server.propagate_pending();
            server.prop.no_multi = false;
            if ttl_samples > 0 {
                let avg = ttl_sum / ttl_samples;
                let db = server.db_mut(dbid);
                db.avg_ttl = if db.avg_ttl == 0 {
                    avg
                } else {
                    (db.avg_ttl / 50) * 49 + avg / 50
                };
            }
            total_sampled += sampled;
            total_expired += expired;
            iteration += 1;
            if iteration.is_multiple_of(16) && start.elapsed() > timelimit {
                st.timelimit_exit = true;
                server.stats.expired_time_cap_reached_count += 1;
                break 'dbs;
            }
            if sampled == 0 || expired * 100 / sampled <= acceptable_stale {
                break;
            }
        }
    }
    let elapsed = start.elapsed().as_micros() as u64;
    server.stats.expire_cycle_time_used += elapsed;
    let current_perc = if total_sampled > 0 {
        total_expired as f64 / total_sampled as f64
    } else {
        0.0
    };
    server.stats.expired_stale_perc =
        current_perc * 100.0 * 0.05 + server.stats.expired_stale_perc * 0.95;
    server.expire_state = st;
}
