//! INFO, after Redis's genRedisInfoString: the same sections and field
//! names, so tools that read Redis's INFO read ours. `miniredis_version`
//! leads the Server section.

use crate::alloc;
use crate::server::Server;
use crate::util::time::ustime;
use std::fmt::Write;

const DEFAULT_SECTIONS: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "modules",
    "errorstats",
    "cluster",
    "keyspace",
];
const ALL_SECTIONS: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "modules",
    "commandstats",
    "errorstats",
    "latencystats",
    "cluster",
    "keyspace",
];

/// Which sections an INFO argument list asks for, in Redis's order.
pub fn sections_for(args: &[Vec<u8>]) -> Vec<&'static str> {
    if args.is_empty() {
        return DEFAULT_SECTIONS.to_vec();
    }
    let mut want: Vec<&'static str> = Vec::new();
    for a in args {
        let a = String::from_utf8_lossy(a).to_ascii_lowercase();
        match a.as_str() {
            "default" => want.extend(DEFAULT_SECTIONS),
            "all" | "everything" => want.extend(ALL_SECTIONS),
            other => {
                if let Some(s) = ALL_SECTIONS.iter().find(|s| **s == other) {
                    want.push(s);
                }
            }
        }
    }
    ALL_SECTIONS
        .iter()
        .copied()
        .filter(|s| want.contains(s))
        .collect()
}

fn human(bytes: usize) -> String {
    let b = bytes as f64;
    if b < 1024.0 {
        format!("{}B", bytes)
    } else if b < 1024.0 * 1024.0 {
        format!("{:.2}K", b / 1024.0)
    } else if b < 1024.0 * 1024.0 * 1024.0 {
        format!("{:.2}M", b / (1024.0 * 1024.0))
    } else {
        format!("{:.2}G", b / (1024.0 * 1024.0 * 1024.0))
    }
}

/// User and system CPU seconds of this process, from /proc.
fn cpu_times() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0) / 100.0;
    (tick(11), tick(12))
}

/// `running`: the client whose command asks (out of the client slab),
/// counted with the others in the memory figures.
pub fn gen_info(
    server: &Server,
    sections: &[&str],
    connected_clients: usize,
    running: Option<&crate::client::Client>,
) -> String {
    let mut out = String::new();
    for (n, section) in sections.iter().enumerate() {
        if n > 0 {
            out.push_str("\r\n");
        }
        let s = &mut out;
        macro_rules! f {
            ($($arg:tt)*) => {{ let _ = write!(s, $($arg)*); s.push_str("\r\n"); }};
        }
        let uptime = server.start_instant.elapsed().as_secs();
        match *section {
            "server" => {
                f!("# Server");
                f!("miniredis_version:{}", env!("CARGO_PKG_VERSION"));
                f!("redis_version:7.0.15");
                f!("redis_git_sha1:00000000");
                f!("redis_git_dirty:0");
                f!("redis_build_id:0");
                f!("redis_mode:standalone");
                f!("os:{} {}", std::env::consts::OS, std::env::consts::ARCH);
                f!("arch_bits:64");
                f!("monotonic_clock:POSIX clock_gettime");
                f!("multiplexing_api:epoll");
                f!("atomicvar_api:c11-builtin");
                // Not built by GCC: what Redis prints then.
                f!("gcc_version:0.0.0");
                f!("process_id:{}", std::process::id());
                f!("process_supervised:no");
                f!("run_id:{}", server.run_id);
                f!("tcp_port:{}", server.config.port);
                f!("server_time_usec:{}", ustime());
                f!("uptime_in_seconds:{}", uptime);
                f!("uptime_in_days:{}", uptime / 86400);
                f!("hz:{}", server.config.hz);
                f!("configured_hz:{}", server.config.hz);
                f!(
                    "lru_clock:{}",
                    (server.now_ms / 1000) as u64 & ((1 << 24) - 1)
                );
                f!("executable:{}", server.executable);
                f!(
                    "config_file:{}",
                    server.config_file.clone().unwrap_or_default()
                );
                f!("io_threads_active:0");
            }
            "clients" => {
                f!("# Clients");
                f!("connected_clients:{}", connected_clients);
                f!("cluster_connections:0");
                f!("maxclients:{}", server.config.maxclients);
                f!("client_recent_max_input_buffer:0");
                f!("client_recent_max_output_buffer:0");
                // Clients held by CLIENT PAUSE count too (Redis blocks
                // them as BLOCKED_PAUSE).
                f!(
                    "blocked_clients:{}",
                    server.blocked_slots.len() + server.paused_slots.len()
                );
                f!("tracking_clients:{}", server.tracking.clients);
                // Blocked with a deadline (Redis's clients_timeout_table).
                f!("clients_in_timeout_table:{}", server.block_deadlines.len());
            }
            "memory" => {
                let used = alloc::used_memory();
                let rss = alloc::cron_rss();
                let peak = alloc::peak_memory().max(used);
                let mh = crate::commands::memory::memory_overhead(server, running);
                let sysmem = crate::commands::memory::total_system_memory();
                let lua = server.scripting.lua_memory();
                let vm_functions = server.scripting.functions_memory();
                let scripts = mh.lua_caches + mh.functions_caches;
                // Redis keeps these ratios in floats.
                let f = |v: f64| v as f32;
                f!("# Memory");
                f!("used_memory:{}", used);
                f!("used_memory_human:{}", human(used));
                f!("used_memory_rss:{}", rss);
                f!("used_memory_rss_human:{}", human(rss));
                f!("used_memory_peak:{}", peak);
                f!("used_memory_peak_human:{}", human(peak));
                f!("used_memory_peak_perc:{:.2}%", f(mh.peak_perc));
                f!("used_memory_overhead:{}", mh.overhead_total);
                f!("used_memory_startup:{}", mh.startup_allocated);
                f!("used_memory_dataset:{}", mh.dataset);
                f!("used_memory_dataset_perc:{:.2}%", f(mh.dataset_perc));
                f!("allocator_allocated:{}", mh.allocator_allocated);
                f!("allocator_active:{}", mh.allocator_active);
                f!("allocator_resident:{}", mh.allocator_resident);
                f!("total_system_memory:{}", sysmem);
                f!("total_system_memory_human:{}", human(sysmem as usize));
                f!("used_memory_lua:{}", lua);
                f!("used_memory_vm_eval:{}", lua);
                f!("used_memory_lua_human:{}", human(lua));
                f!("used_memory_scripts_eval:{}", mh.lua_caches);
                f!(
                    "number_of_cached_scripts:{}",
                    server.scripting.scripts.len()
                );
                f!(
                    "number_of_functions:{}",
                    server.scripting.functions.num_functions()
                );
                f!(
                    "number_of_libraries:{}",
                    server.scripting.functions.libraries.len()
                );
                f!("used_memory_vm_functions:{}", vm_functions);
                f!("used_memory_vm_total:{}", vm_functions + lua);
                f!("used_memory_vm_total_human:{}", human(vm_functions + lua));
                f!("used_memory_functions:{}", mh.functions_caches);
                f!("used_memory_scripts:{}", scripts);
                f!("used_memory_scripts_human:{}", human(scripts));
                f!("maxmemory:{}", server.config.maxmemory);
                f!(
                    "maxmemory_human:{}",
                    human(server.config.maxmemory as usize)
                );
                f!("maxmemory_policy:{}", server.config.maxmemory_policy);
                f!("allocator_frag_ratio:{:.2}", f(mh.allocator_frag()));
                f!("allocator_frag_bytes:{}", mh.allocator_frag_bytes());
                f!("allocator_rss_ratio:{:.2}", f(mh.allocator_rss()));
                f!("allocator_rss_bytes:{}", mh.allocator_rss_bytes());
                f!("rss_overhead_ratio:{:.2}", f(mh.rss_extra()));
                f!("rss_overhead_bytes:{}", mh.rss_extra_bytes());
                f!("mem_fragmentation_ratio:{:.2}", f(mh.total_frag()));
                f!("mem_fragmentation_bytes:{}", mh.total_frag_bytes());
                f!("mem_not_counted_for_evict:{}", mh.aof_buffer);
                let (backlog, replicas) = server.repl_memory();
                f!("mem_replication_backlog:{backlog}");
                f!("mem_total_replication_buffers:{}", backlog + replicas);
                f!("mem_clients_slaves:{replicas}");
                f!("mem_clients_normal:{}", mh.clients_normal);
                f!("mem_cluster_links:0");
                f!("mem_aof_buffer:{}", mh.aof_buffer);
                f!("mem_allocator:libc");
                f!("active_defrag_running:0");
                f!(
                    "lazyfree_pending_objects:{}",
                    crate::lazyfree::pending_objects()
                );
                f!("lazyfreed_objects:{}", crate::lazyfree::freed_objects());
            }
            "persistence" => {
                f!("# Persistence");
                f!("loading:{}", server.loading as u8);
                f!("async_loading:0");
                f!("current_cow_peak:0");
                f!("current_cow_size:0");
                f!("current_cow_size_age:0");
                f!("current_fork_perc:0.00");
                f!("current_save_keys_processed:0");
                f!("current_save_keys_total:0");
                let p = &server.persist;
                f!("rdb_changes_since_last_save:{}", server.dirty);
                f!("rdb_bgsave_in_progress:{}", server.bgsave.is_some() as u8);
                f!("rdb_last_save_time:{}", server.lastsave);
                f!(
                    "rdb_last_bgsave_status:{}",
                    if p.rdb_last_bgsave_ok { "ok" } else { "err" }
                );
                f!(
                    "rdb_last_bgsave_time_sec:{}",
                    if p.rdb_saves > 0 || !p.rdb_last_bgsave_ok {
                        p.rdb_last_bgsave_time_sec
                    } else {
                        -1
                    }
                );
                f!(
                    "rdb_current_bgsave_time_sec:{}",
                    server
                        .bgsave
                        .as_ref()
                        .map(|j| (server.now_ms - j.started_ms) / 1000)
                        .unwrap_or(-1)
                );
                f!("rdb_saves:{}", p.rdb_saves);
                f!("rdb_last_cow_size:{}", p.rdb_last_cow_size);
                f!(
                    "rdb_last_load_keys_expired:{}",
                    p.rdb_last_load_keys_expired
                );
                f!("rdb_last_load_keys_loaded:{}", p.rdb_last_load_keys_loaded);
                let p = &server.persist;
                let rewriting = server.aof_rewrite.as_ref();
                f!("aof_enabled:{}", server.aof.is_some() as u8);
                f!("aof_rewrite_in_progress:{}", rewriting.is_some() as u8);
                f!(
                    "aof_rewrite_scheduled:{}",
                    server.aof_rewrite_scheduled as u8
                );
                f!(
                    "aof_last_rewrite_time_sec:{}",
                    if p.aof_rewrites > 0 || !p.aof_last_rewrite_ok {
                        p.aof_last_rewrite_time_sec
                    } else {
                        -1
                    }
                );
                f!(
                    "aof_current_rewrite_time_sec:{}",
                    rewriting
                        .map(|j| (server.now_ms - j.started_ms) / 1000)
                        .unwrap_or(-1)
                );
                f!(
                    "aof_last_bgrewrite_status:{}",
                    if p.aof_rewrites_consecutive_failures == 0 {
                        "ok"
                    } else {
                        "err"
                    }
                );
                f!("aof_rewrites:{}", p.aof_rewrites);
                f!(
                    "aof_rewrites_consecutive_failures:{}",
                    p.aof_rewrites_consecutive_failures
                );
                f!(
                    "aof_last_write_status:{}",
                    if server.aof.as_ref().is_none_or(|a| a.last_write_ok) {
                        "ok"
                    } else {
                        "err"
                    }
                );
                f!("aof_last_cow_size:{}", server.persist.aof_last_cow_size);
                f!("module_fork_in_progress:0");
                f!("module_fork_last_cow_size:0");
                if let Some(aof) = server.aof.as_ref() {
                    f!("aof_current_size:{}", aof.current_size);
                    f!("aof_base_size:{}", aof.base_size);
                    f!("aof_pending_rewrite:{}", server.aof_rewrite_scheduled as u8);
                    f!("aof_buffer_length:{}", aof.buf.len());
                    f!(
                        "aof_pending_bio_fsync:{}",
                        aof.bio
                            .in_progress
                            .load(std::sync::atomic::Ordering::SeqCst)
                            as u8
                    );
                    f!("aof_delayed_fsync:0");
                }
            }
            "stats" => {
                let st = &server.stats;
                f!("# Stats");
                f!("total_connections_received:{}", st.numconnections);
                f!("total_commands_processed:{}", st.numcommands);
                f!(
                    "instantaneous_ops_per_sec:{}",
                    server.ops_sampler.ops_per_sec()
                );
                f!("total_net_input_bytes:{}", st.net_input_bytes);
                f!("total_net_output_bytes:{}", st.net_output_bytes);
                f!(
                    "total_net_repl_input_bytes:{}",
                    server.repl.stats.net_repl_input_bytes
                );
                f!(
                    "total_net_repl_output_bytes:{}",
                    server.repl.stats.net_repl_output_bytes
                );
                f!("instantaneous_input_kbps:0.00");
                f!("instantaneous_output_kbps:0.00");
                f!("instantaneous_input_repl_kbps:0.00");
                f!("instantaneous_output_repl_kbps:0.00");
                f!("rejected_connections:{}", st.rejected_conn);
                f!("sync_full:{}", server.repl.stats.sync_full);
                f!("sync_partial_ok:{}", server.repl.stats.sync_partial_ok);
                f!("sync_partial_err:{}", server.repl.stats.sync_partial_err);
                f!("expired_keys:{}", st.expired_keys);
                f!("expired_stale_perc:{:.2}", st.expired_stale_perc);
                f!(
                    "expired_time_cap_reached_count:{}",
                    st.expired_time_cap_reached_count
                );
                f!(
                    "expire_cycle_cpu_milliseconds:{}",
                    st.expire_cycle_time_used / 1000
                );
                f!("evicted_keys:{}", st.evicted_keys);
                f!("evicted_clients:{}", st.evicted_clients);
                f!("total_eviction_exceeded_time:0");
                f!("current_eviction_exceeded_time:0");
                f!("keyspace_hits:{}", st.keyspace_hits);
                f!("keyspace_misses:{}", st.keyspace_misses);
                f!("pubsub_channels:{}", server.pubsub.channels.len());
                f!("pubsub_patterns:{}", server.pubsub.patterns.len());
                f!(
                    "pubsubshard_channels:{}",
                    server.pubsub.shard_channels.len()
                );
                f!("latest_fork_usec:{}", server.persist.latest_fork_usec);
                f!("total_forks:0");
                f!("migrate_cached_sockets:{}", server.migrate.cached_sockets());
                f!("slave_expires_tracked_keys:0");
                f!("active_defrag_hits:0");
                f!("active_defrag_misses:0");
                f!("active_defrag_key_hits:0");
                f!("active_defrag_key_misses:0");
                f!("total_active_defrag_time:0");
                f!("current_active_defrag_time:0");
                f!("tracking_total_keys:{}", server.tracking.total_keys());
                f!("tracking_total_items:{}", server.tracking.total_items());
                f!(
                    "tracking_total_prefixes:{}",
                    server.tracking.total_prefixes()
                );
                f!("unexpected_error_replies:{}", st.unexpected_error_replies);
                f!("total_error_replies:{}", st.total_error_replies);
                f!("dump_payload_sanitizations:0");
                f!("total_reads_processed:{}", st.io_reads);
                f!("total_writes_processed:{}", st.io_writes);
                f!("io_threaded_reads_processed:0");
                f!("io_threaded_writes_processed:0");
                f!("reply_buffer_shrinks:{}", server.stats.reply_buffer_shrinks);
                f!("reply_buffer_expands:{}", server.stats.reply_buffer_expands);
            }
            "replication" => {
                f!("# Replication");
                server.info_replication(s);
            }
            "cpu" => {
                let (user, sys) = cpu_times();
                f!("# CPU");
                f!("used_cpu_sys:{:.6}", sys);
                f!("used_cpu_user:{:.6}", user);
                f!("used_cpu_sys_children:0.000000");
                f!("used_cpu_user_children:0.000000");
                f!("used_cpu_sys_main_thread:{:.6}", sys);
                f!("used_cpu_user_main_thread:{:.6}", user);
            }
            "modules" => f!("# Modules"),
            "commandstats" => {
                f!("# Commandstats");
                let mut names: Vec<(&str, &crate::server::CommandStats)> = server
                    .stats
                    .commands
                    .iter()
                    .enumerate()
                    .filter(|(_, st)| st.calls > 0 || st.rejected_calls > 0)
                    .map(|(i, st)| (server.commands.names()[i], st))
                    .collect();
                names.sort_by_key(|(n, _)| *n);
                for (name, st) in names {
                    f!(
                        "cmdstat_{}:calls={},usec={},usec_per_call={:.2},rejected_calls={},failed_calls={}",
                        name,
                        st.calls,
                        st.usec,
                        if st.calls > 0 {
                            st.usec as f64 / st.calls as f64
                        } else {
                            0.0
                        },
                        st.rejected_calls,
                        st.failed_calls
                    );
                }
            }
            "errorstats" => {
                f!("# Errorstats");
                let mut errs: Vec<_> = server.stats.errors.iter().collect();
                errs.sort();
                for (code, n) in errs {
                    f!("errorstat_{}:count={}", code, n);
                }
            }
            "latencystats" => {
                f!("# Latencystats");
                let mut rows: Vec<(&str, &crate::latency::Histogram)> = server
                    .stats
                    .latency_hist
                    .iter()
                    .enumerate()
                    .filter_map(|(i, h)| {
                        h.as_deref()
                            .filter(|h| h.total_count > 0)
                            .map(|h| (server.commands.names()[i], h))
                    })
                    .collect();
                rows.sort_by_key(|(n, _)| *n);
                for (name, h) in rows {
                    let parts: Vec<String> = server
                        .config
                        .latency_tracking_info_percentiles
                        .iter()
                        .map(|&p| {
                            format!(
                                "p{}={:.3}",
                                crate::latency::percentile_name(p),
                                h.value_at_percentile(p) as f64 / 1000.0
                            )
                        })
                        .collect();
                    f!("latency_percentiles_usec_{}:{}", name, parts.join(","));
                }
            }
            "cluster" => {
                f!("# Cluster");
                f!("cluster_enabled:0");
            }
            "keyspace" => {
                f!("# Keyspace");
                for (i, db) in (0..server.db_count()).map(|i| (i, server.db(i))) {
                    if !db.is_empty() {
                        f!(
                            "db{}:keys={},expires={},avg_ttl={}",
                            i,
                            db.len(),
                            db.expires.len(),
                            db.avg_ttl
                        );
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// instantaneous_ops_per_sec: commands per second over the last 16 samples
/// taken by the cron every 100 ms (Redis's trackInstantaneousMetric).
#[derive(Default)]
pub struct OpsSampler {
    samples: [u64; 16],
    idx: usize,
    last_ms: i64,
    last_count: u64,
}

impl OpsSampler {
    pub fn sample(&mut self, now_ms: i64, count: u64) {
        if self.last_ms == 0 {
            self.last_ms = now_ms;
            self.last_count = count;
            return;
        }
        let dt = now_ms - self.last_ms;
        if dt < 100 {
            return;
        }
        // CONFIG RESETSTAT can move the counter backwards.
        self.samples[self.idx % 16] = count.saturating_sub(self.last_count) * 1000 / dt as u64;
        self.idx += 1;
        self.last_ms = now_ms;
        self.last_count = count;
    }

    pub fn ops_per_sec(&self) -> u64 {
        self.samples.iter().sum::<u64>() / 16
    }
}
