//! `Server`: everything the event loop owns apart from the sockets'
//! readiness — databases, clients, config, stats — after Redis's server.h.
//! Its behaviour is split along Redis's own files: the command path
//! (`call.rs`, server.c's processCommand/call), the keyspace API
//! (`server/keyspace.rs`, db.c: the only way to the private databases),
//! propagation (`propagate.rs`), notifications (`notify.rs`), WATCH
//! (`commands/transactions.rs`, multi.c), background jobs
//! (`server/jobs.rs`, rdb.c/aof.c's background halves), blocked clients
//! (`blocked.rs`, blocked.c).

use crate::client::Client;
use crate::commands::CommandTable;
use crate::config::Config;
use crate::db::Db;
use crate::util::time::mstime;
use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Instant;

// The server's own halves: the keyspace API (the only code that touches
// the databases) and the background jobs that snapshot them.
mod jobs;
mod keyspace;

/// Per-command counters for INFO commandstats.
#[derive(Default, Clone, Copy)]
pub struct CommandStats {
    pub calls: u64,
    pub usec: u64,
    pub rejected_calls: u64,
    pub failed_calls: u64,
}

/// Redis's REPLY_BUFFER_DEFAULT_PEAK_RESET_TIME (ms).
pub const REPLY_BUFFER_DEFAULT_PEAK_RESET_TIME: i64 = 5000;

#[derive(Default)]
pub struct Stats {
    /// Per-command latency histograms, by command index (LATENCY
    /// HISTOGRAM, INFO latencystats).
    pub latency_hist: Vec<Option<Box<crate::latency::Histogram>>>,
    pub numcommands: u64,
    pub reply_buffer_shrinks: u64,
    pub reply_buffer_expands: u64,
    pub numconnections: u64,
    pub rejected_conn: u64,
    pub expired_keys: u64,
    pub expired_stale_perc: f64,
    pub expired_time_cap_reached_count: u64,
    pub expire_cycle_time_used: u64,
    pub evicted_keys: u64,
    /// Clients closed by maxmemory-clients.
    pub evicted_clients: u64,
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    pub net_input_bytes: u64,
    pub net_output_bytes: u64,
    pub total_error_replies: u64,
    pub unexpected_error_replies: u64,
    pub errors: HashMap<String, u64>,
    /// Per-command counters, by CommandTable index.
    pub commands: Vec<CommandStats>,
    pub io_reads: u64,
    pub io_writes: u64,
}

/// A BGSAVE in progress: a thread serializing a snapshot.
pub struct BgSaveJob {
    pub handle: std::thread::JoinHandle<std::io::Result<usize>>,
    pub started_ms: i64,
    pub dirty_at_start: u64,
    pub cow_at_start: u64,
}

/// Counters for INFO persistence.
#[derive(Default)]
pub struct PersistStats {
    pub rdb_saves: u64,
    pub rdb_last_bgsave_ok: bool,
    pub rdb_last_bgsave_time_sec: i64,
    pub rdb_last_cow_size: u64,
    pub aof_last_cow_size: u64,
    pub rdb_last_load_keys_loaded: u64,
    pub rdb_last_load_keys_expired: u64,
    /// When the last BGSAVE attempt failed (retry after 5 s, as Redis).
    pub rdb_last_bgsave_try_ms: i64,
    /// The loop's pause to take the last snapshot (Redis's latest_fork_usec).
    pub latest_fork_usec: u64,
    pub aof_rewrites: u64,
    pub aof_last_rewrite_ok: bool,
    pub aof_last_rewrite_time_sec: i64,
    pub aof_rewrites_consecutive_failures: u64,
}

/// Why and how the server is stopping.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Shutdown {
    Nosave,
    Save,
    Default,
}

pub struct Server {
    pub config: Config,
    pub config_file: Option<String>,
    /// The databases: reached through the keyspace API (keyspace.rs).
    dbs: Vec<Db>,
    /// Clients by poll token; the one being served is taken out meanwhile.
    pub clients: Vec<Option<Box<Client>>>,
    pub commands: CommandTable,
    /// Users, their permissions and the ACL log.
    pub acl: crate::acl::Acl,
    pub stats: Stats,
    /// Time of the command being run (Redis caches it the same way).
    pub now_ms: i64,
    /// The clock read that ended the previous command of a pipelined
    /// batch: the next command of the same batch starts from it instead of
    /// reading the clock again (process_input_buffer sets and clears it).
    pub call_clock_hint: Option<i64>,
    /// When the last outermost call ended (µs), for that hint.
    pub last_call_end_us: i64,
    pub start_ms: i64,
    pub start_instant: Instant,
    /// Changes since the last save (Redis's server.dirty).
    pub dirty: u64,
    pub lastsave: i64,
    pub next_client_id: u64,
    pub shutdown: Option<Shutdown>,
    pub run_id: String,
    pub cronloops: u64,
    pub executable: String,
    /// Clients waiting to be written to (Redis's clients_pending_write).
    pub pending_writes: Vec<usize>,
    /// Clients whose replies wait for an AOF fsync (`appendfsync always`).
    pub held_slots: HashSet<usize>,
    /// Lua scripting: the state, the script cache (scripting/).
    pub scripting: crate::scripting::Scripting,
    pub expire_state: crate::db::expire::ExpireCycleState,
    pub ops_sampler: crate::info::OpsSampler,
    /// DEBUG SET-ACTIVE-EXPIRE switch.
    pub active_expire_enabled: bool,
    /// DEBUG SET-DISABLE-DENY-SCRIPTS: scripts may call `noscript` commands
    /// (Redis's script_disable_deny_script, for its tests).
    pub script_disable_deny_script: bool,
    /// (db, key) → slots of clients blocked on it, in blocking order.
    pub blocking_keys: HashMap<(usize, Vec<u8>), VecDeque<usize>>,
    /// Keys signalled since the last command, served after it.
    pub ready_keys: VecDeque<(usize, Vec<u8>)>,
    pub blocked_slots: HashSet<usize>,
    /// Blocked clients with a deadline, soonest first (Redis's
    /// clients_timeout_table): the next timeout is the first entry.
    pub block_deadlines: std::collections::BTreeSet<(i64, usize)>,
    /// Clients in the slab (connected_clients without a scan).
    pub num_clients: usize,
    /// The memory of evictable clients as last measured (only kept while
    /// maxmemory-clients is on): each client's share in `Client::mem_counted`.
    pub client_mem_total: usize,
    /// Clients just unblocked: their buffered commands run next.
    pub unblocked_slots: Vec<usize>,
    /// The append-only file, when enabled.
    pub aof: Option<crate::aof::Aof>,
    /// True while replaying a file at startup: no propagation, no expiry.
    pub loading: bool,
    /// A background AOF rewrite in progress.
    pub aof_rewrite: Option<crate::aof::RewriteJob>,
    /// The single-file layout: turn the AOF on once the running rewrite
    /// finishes (CONFIG SET appendonly yes writes the whole dataset first).
    pub aof_enable_pending: bool,
    /// The directory layout's manifest, kept even while the AOF is off (a
    /// BGREWRITEAOF then still writes a new base), as Redis keeps it.
    pub aof_manifest: crate::aof::manifest::Manifest,
    /// Called by the bio thread after each fsync: wakes the event loop.
    pub aof_wake: Option<std::sync::Arc<dyn Fn() + Send + Sync>>,
    pub persist: PersistStats,
    pub bgsave: Option<BgSaveJob>,
    /// BGSAVE SCHEDULE (or BGSAVE inside EXEC) while another job ran:
    /// started by the cron once none runs (Redis's rdb_bgsave_scheduled).
    pub bgsave_scheduled: bool,
    /// BGREWRITEAOF while a BGSAVE ran, likewise.
    pub aof_rewrite_scheduled: bool,
    /// (db, key) → slots of clients WATCHing it.
    /// Watched key -> (client slot, the key was already expired when that
    /// client watched it).
    pub watched_keys: HashMap<(usize, Vec<u8>), Vec<Watcher>>,
    /// Clients whose watched keys were touched: their EXEC fails.
    pub cas_dirty: HashSet<usize>,
    /// What the running execution unit changed, on its way to the AOF
    /// (propagate.rs).
    pub prop: crate::propagate::Propagation,
    /// Pub/sub messages for clients out of the slab while they run.
    pub deferred_pushes: Vec<crate::commands::pubsub::DeferredPush>,
    /// Where the running client's reply stands, as last noted (`call`
    /// notes it before the handler, handlers after a reply part Redis
    /// writes before its events): pushes to that client land there.
    pub reply_pos: Option<(usize, usize)>,
    /// The running command's handler signalled the keys it changed itself
    /// (COPY to another db, SMOVE into a set that had the member), so
    /// `call` does not signal every key it could have written.
    pub keys_signalled: bool,
    /// Memory was over maxmemory when the running EVAL/FCALL/EXEC started
    /// (Redis's pre_command_oom_state): a script's first write is refused.
    pub pre_command_oom_state: bool,
    /// total_error_replies as far as commands have accounted for it
    /// (Redis's prev_err_count): new errors past it make a call failed.
    pub err_seen: u64,
    /// Eviction ran out of its time budget; the cron goes on with it.
    pub evict_pending: bool,
    /// The eviction pool: (db, key, score), best candidate last.
    pub evict_pool: Vec<(usize, Vec<u8>, u64)>,
    /// Where random eviction looks next (Redis's next_db).
    pub evict_next_db: usize,
    pub pubsub: crate::commands::pubsub::PubSub,
    pub slowlog: crate::commands::introspection::Slowlog,
    /// Slots of MONITOR clients.
    pub monitors: Vec<usize>,
    /// CLIENT PAUSE: until (Unix ms), and whether reads are held too.
    pub pause: Option<(i64, bool)>,
    /// DEBUG REPLYBUFFER PEAK-RESET-TIME (ms; -1 never) and RESIZING
    /// (Redis's reply_buffer_peak_reset_time, reply_buffer_resizing_enabled).
    pub reply_buffer_peak_reset_time: i64,
    pub reply_buffer_resizing: bool,
    /// Clients holding a command back because of a pause.
    pub paused_slots: Vec<usize>,
    /// Connected clients by ID (Redis's lookupClientByID).
    pub client_ids: HashMap<u64, usize>,
    /// Client-side caching: the tracking table and prefixes (tracking.rs).
    pub tracking: crate::tracking::Tracking,
    /// The client whose command is running (outermost), for NOLOOP.
    pub current_client_id: Option<u64>,
    /// The running command comes from our master (it sees keys a
    /// replica's other clients read as expired).
    pub current_is_master: bool,
    /// DEBUG PAUSE-CRON: the cron does nothing.
    pub pause_cron: bool,
    /// used_memory once initialised, before loading data
    /// (used_memory_startup).
    pub initial_memory_usage: usize,
    /// The latency monitor's events (LATENCY LATEST/HISTORY/...).
    pub latency_monitor: crate::latency::Monitor,
    /// Big values and emptied databases freed off the loop.
    pub lazyfree: crate::lazyfree::LazyFree,
    /// Replication: our replicas, our master, the backlog (replication/).
    pub repl: crate::replication::Replication,
    /// MIGRATE's exchange in flight and its cached connections.
    pub migrate: crate::commands::migrate::MigrateState,
    /// Sockets a CONFIG SET port/bind opened, for the loop to listen on
    /// instead of its current ones.
    pub new_listeners: Option<Vec<mio::net::TcpListener>>,
}

/// A client watching a key: its slot, and whether the key was already
/// expired when it watched it.
pub type Watcher = (usize, bool);

impl Server {
    pub fn new(config: Config) -> Server {
        let now = mstime();
        let dbs = (0..config.databases).map(|_| Db::new()).collect();
        let commands = CommandTable::new();
        let mut acl = crate::acl::Acl::new(&commands);
        acl.set_default_password(&config.requirepass);
        let run_id = (0..40)
            .map(|_| format!("{:x}", crate::util::rand::below(16)))
            .collect();
        Server {
            config,
            config_file: None,
            dbs,
            clients: Vec::new(),
            acl,
            commands,
            stats: Stats::default(),
            now_ms: now,
            call_clock_hint: None,
            last_call_end_us: 0,
            start_ms: now,
            start_instant: Instant::now(),
            dirty: 0,
            lastsave: now / 1000,
            next_client_id: 1,
            shutdown: None,
            run_id,
            cronloops: 0,
            executable: std::env::current_exe()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            pending_writes: Vec::new(),
            held_slots: HashSet::new(),
            scripting: Default::default(),
            expire_state: Default::default(),
            ops_sampler: Default::default(),
            active_expire_enabled: true,
            script_disable_deny_script: false,
            blocking_keys: HashMap::new(),
            ready_keys: VecDeque::new(),
            blocked_slots: HashSet::new(),
            block_deadlines: Default::default(),
            num_clients: 0,
            client_mem_total: 0,
            unblocked_slots: Vec::new(),
            aof: None,
            loading: false,
            aof_rewrite: None,
            aof_enable_pending: false,
            aof_manifest: Default::default(),
            aof_wake: None,
            persist: PersistStats {
                rdb_last_bgsave_ok: true,
                aof_last_rewrite_ok: true,
                ..Default::default()
            },
            bgsave: None,
            bgsave_scheduled: false,
            aof_rewrite_scheduled: false,
            watched_keys: HashMap::new(),
            cas_dirty: HashSet::new(),
            prop: Default::default(),
            deferred_pushes: Vec::new(),
            reply_pos: None,
            keys_signalled: false,
            pre_command_oom_state: false,
            err_seen: 0,
            evict_pending: false,
            evict_pool: Vec::new(),
            evict_next_db: 0,
            pubsub: Default::default(),
            slowlog: Default::default(),
            monitors: Vec::new(),
            pause: None,
            reply_buffer_peak_reset_time: REPLY_BUFFER_DEFAULT_PEAK_RESET_TIME,
            reply_buffer_resizing: true,
            paused_slots: Vec::new(),
            client_ids: HashMap::new(),
            tracking: Default::default(),
            current_client_id: None,
            current_is_master: false,
            pause_cron: false,
            initial_memory_usage: 0,
            latency_monitor: Default::default(),
            lazyfree: Default::default(),
            repl: Default::default(),
            migrate: Default::default(),
            new_listeners: None,
        }
    }

    /// Is a background job (BGSAVE or AOF rewrite) running? Redis runs one
    /// child at a time; we keep its rule (hasActiveChildProcess), so two
    /// serializers never compete for the disk.
    pub fn has_active_job(&self) -> bool {
        self.bgsave.is_some() || self.aof_rewrite.is_some() || self.repl.transfer.is_some()
    }

    pub fn connected_clients(&self) -> usize {
        self.num_clients
    }

    /// Every client, the one being served included, ordered by id.
    pub fn client_ids_sorted<'a>(&'a self, current: &'a Client) -> Vec<&'a Client> {
        let mut all: Vec<&Client> = self.clients.iter().flatten().map(|c| &**c).collect();
        all.push(current);
        all.sort_by_key(|c| c.id);
        all
    }
}
