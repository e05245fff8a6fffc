//! The server cron, after Redis's serverCron: runs `hz` times a second in
//! the event loop. Slow duties run inside it every so many milliseconds.

use crate::db::expire::{CycleKind, active_expire_cycle};
use crate::server::Server;
use crate::util::time::mstime;
use std::time::{Duration, Instant};

pub fn server_cron(server: &mut Server) {
    if server.pause_cron {
        return;
    }
    server.now_ms = mstime();
    crate::alloc::refresh_rss();
    let (now, n) = (server.now_ms, server.stats.numcommands);
    server.ops_sampler.sample(now, n);
    client_timeouts(server);
    clients_cron_resize_buffers(server);
    // maxmemory-clients may have been lowered since the last read.
    server.evict_clients(None);
    if let Some(aof) = server.aof.as_mut() {
        aof.cron(server.now_ms);
    }
    server.check_aof_rewrite_done();
    server.check_bgsave_done();
    if !server.scripting.ldb.children.is_empty() {
        server.scripting.ldb.reap_children();
    }
    scheduled_jobs(server);
    save_points(server);
    auto_aof_rewrite(server);
    server.replication_cron();
    server.migrate_cron();
    databases_cron(server);
    // The tracking table's limit, even when idle after a CONFIG SET.
    if server.tracking.clients > 0 {
        server.tracking_limit_used_slots();
    }
    // Eviction that ran out of its budget goes on here (Redis's
    // evictionTimeProc), so memory comes down even without commands.
    if server.evict_pending {
        server.perform_evictions();
    }
    server.cronloops += 1;
}

/// Active expiry, then table resizing and a millisecond of rehashing.
fn databases_cron(server: &mut Server) {
    active_expire_cycle(server, CycleKind::Slow);
    server.resize_and_rehash(Instant::now() + Duration::from_millis(1));
}

/// Close clients idle longer than `timeout` seconds (0 = never), as
/// Redis's clientsCronHandleTimeout.
fn client_timeouts(server: &mut Server) {
    let timeout = server.config.timeout as i64 * 1000;
    if timeout == 0 {
        return;
    }
    let now = server.now_ms;
    for (slot, c) in server.clients.iter_mut().enumerate() {
        // Subscribers, blocked clients and monitors wait by design.
        if let Some(c) = c
            && now - c.last_interaction > timeout
            && c.subscription_count() == 0
            && c.bstate.is_none()
            && !c.monitor
            && c.replica.is_none()
            && !c.master_link
        {
            log::info!("Closing idle client");
            c.close_asap = true;
            server.pending_writes.push(slot);
        }
    }
}

/// Redis's clientsCronResizeQueryBuffer / ResizeOutputBuffer: a client
/// idle for more than 2 seconds with nothing pending gives its buffers
/// back (the next read and reply take them again), so idle connections
/// cost little.
fn clients_cron_resize_buffers(server: &mut Server) {
    let now = server.now_ms;
    let mut released = 0;
    let (reset_time, resizing) = (
        server.reply_buffer_peak_reset_time,
        server.reply_buffer_resizing,
    );
    for c in server.clients.iter_mut().flatten() {
        resize_reply_buffer_account(c, now, reset_time, resizing, &mut server.stats);
        if now - c.last_interaction <= 2000 || c.bstate.is_some() {
            c.query.resize_for_peak();
            continue;
        }
        released += c.query.release_if_idle();
        if c.reply.pending() == 0 && c.reply.buf.capacity() > 0 && c.kept_pushes.is_empty() {
            released += c.reply.buf.capacity();
            c.reply.buf = Vec::new();
            c.reply.sent = 0;
        }
    }
    // Freed small buffers stay resident until the heap gives them back.
    if released >= 1 << 20 {
        crate::alloc::release_free_memory();
    }
}

/// Redis's clientsCronResizeOutputBuffer on the client's `rbs` account:
/// halve toward the peak when the peak is under half, double (up to 16 KiB)
/// when the peak filled it, and forget the peak every peak-reset-time.
fn resize_reply_buffer_account(
    c: &mut crate::client::Client,
    now: i64,
    reset_time: i64,
    resizing: bool,
    stats: &mut crate::server::Stats,
) {
    use crate::client::{PROTO_REPLY_CHUNK_BYTES, PROTO_REPLY_MIN_BYTES};
    let mut new_size = 0;
    if resizing {
        let (shrink, expand) = (c.rbs / 2, c.rbs * 2);
        if shrink >= PROTO_REPLY_MIN_BYTES && c.rbuf_peak < shrink {
            new_size = PROTO_REPLY_MIN_BYTES.max(c.rbuf_peak + 1);
            stats.reply_buffer_shrinks += 1;
        } else if expand < PROTO_REPLY_CHUNK_BYTES * 2 && c.rbuf_peak == c.rbs {
            new_size = PROTO_REPLY_CHUNK_BYTES.min(expand);
            stats.reply_buffer_expands += 1;
        }
    }
    if reset_time >= 0 && now - c.rbuf_peak_reset_ms >= reset_time {
        c.rbuf_peak = c.reply.pending().min(c.rbs);
        c.rbuf_peak_reset_ms = now;
    }
    if new_size > 0 {
        c.rbs = new_size;
    }
}

/// Rewrite the AOF when it grew by auto-aof-rewrite-percentage since the
/// last rewrite and is past auto-aof-rewrite-min-size.
fn auto_aof_rewrite(server: &mut Server) {
    let Some(aof) = server.aof.as_ref().filter(|a| !a.wait_rewrite) else {
        return;
    };
    let perc = server.config.auto_aof_rewrite_percentage;
    if perc == 0
        || server.has_active_job()
        || aof.current_size <= server.config.auto_aof_rewrite_min_size
    {
        return;
    }
    let base = aof.base_size.max(1);
    let growth = (aof.current_size * 100 / base).saturating_sub(100);
    if growth >= perc {
        log::info!("Starting automatic rewriting of AOF on {growth}% growth");
        let _ = server.start_aof_rewrite();
    }
}

/// Jobs asked for while another ran (BGREWRITEAOF during a BGSAVE,
/// BGSAVE SCHEDULE during a rewrite), started once none runs, the rewrite
/// first, as Redis's serverCron does.
fn scheduled_jobs(server: &mut Server) {
    if server.has_active_job() {
        return;
    }
    if server.aof_rewrite_scheduled {
        server.aof_rewrite_scheduled = false;
        let _ = server.start_aof_rewrite();
        return;
    }
    let now = server.now_ms;
    if server.bgsave_scheduled
        && (server.persist.rdb_last_bgsave_ok || now - server.persist.rdb_last_bgsave_try_ms > 5000)
    {
        server.bgsave_scheduled = false;
        let _ = server.start_bgsave();
    }
}

/// Redis's save points: BGSAVE when `changes` writes happened and
/// `seconds` passed since the last save (retry failures after 5 s).
fn save_points(server: &mut Server) {
    if server.has_active_job() || server.dirty == 0 {
        return;
    }
    let now = server.now_ms;
    if !server.persist.rdb_last_bgsave_ok && now - server.persist.rdb_last_bgsave_try_ms < 5000 {
        return;
    }
    let due = server
        .save_points()
        .iter()
        .any(|&(secs, changes)| server.dirty >= changes && now / 1000 - server.lastsave >= secs);
    if due {
        log::info!("{} changes: saving...", server.dirty);
        let _ = server.start_bgsave();
    }
}
