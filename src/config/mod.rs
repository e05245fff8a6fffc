//! Configuration, after Redis's config.c: one table of parameters with
//! Redis's names, defaults, types and mutability. The same table serves the
//! config file, `--name value` flags, CONFIG GET and CONFIG SET.

use crate::util::glob::string_match;
use crate::util::num::string2ll;

/// Values as typed fields; the table below maps names onto them.
#[derive(Clone, Debug)]
pub struct Config {
    pub bind: Vec<String>,
    pub port: u16,
    pub databases: usize,
    pub dir: String,
    pub loglevel: String,
    pub logfile: String,
    pub hz: u32,
    pub timeout: u64,
    pub tcp_keepalive: u64,
    pub tcp_backlog: u64,
    pub maxclients: u64,
    pub maxmemory: u64,
    /// maxmemory-clients: bytes, or (negative) a percentage of maxmemory,
    /// as Redis stores it; 0 disables client eviction.
    pub maxmemory_clients: i64,
    pub maxmemory_policy: String,
    pub maxmemory_samples: u64,
    pub maxmemory_eviction_tenacity: u64,
    pub lfu_log_factor: u32,
    pub lfu_decay_time: u32,
    pub save: String,
    pub appendonly: bool,
    pub appendfilename: String,
    pub appenddirname: String,
    pub appendfsync: String,
    pub dbfilename: String,
    pub requirepass: String,
    /// ACL: the users file (ACL LOAD/SAVE), the log's length, and whether
    /// new users get every channel (`allchannels`) or none.
    pub aclfile: String,
    pub acllog_max_len: u64,
    pub acl_pubsub_default: String,
    /// `user <name> <rules...>` lines of the config file, in order
    /// (loaded into the ACL at startup).
    pub users: Vec<Vec<Vec<u8>>>,
    pub proto_max_bulk_len: u64,
    pub client_query_buffer_limit: u64,
    pub active_expire_effort: u64,
    pub protected_mode: bool,
    pub daemonize: bool,
    pub databases_set: bool,
    pub lazyfree_lazy_user_del: bool,
    pub lazyfree_lazy_expire: bool,
    pub lazyfree_lazy_eviction: bool,
    pub lazyfree_lazy_server_del: bool,
    pub lazyfree_lazy_user_flush: bool,
    /// A replica empties its data before a full sync lazily (replication).
    pub replica_lazy_flush: bool,
    /// Enabled keyspace-notification classes (notify::KEYSPACE | ...).
    pub notify_keyspace_events: u32,
    pub slowlog_log_slower_than: i64,
    pub slowlog_max_len: u64,
    pub auto_aof_rewrite_percentage: u64,
    pub auto_aof_rewrite_min_size: u64,
    pub hash_max_listpack_entries: u64,
    pub hash_max_listpack_value: u64,
    pub set_max_intset_entries: u64,
    pub zset_max_listpack_entries: u64,
    pub zset_max_listpack_value: u64,
    pub stream_node_max_bytes: u64,
    pub hll_sparse_max_bytes: u64,
    pub tracking_table_max_keys: u64,
    /// Events at least this slow (ms) are recorded; 0: none.
    pub latency_monitor_threshold: u64,
    pub latency_tracking: bool,
    pub latency_tracking_info_percentiles: Vec<f64>,
    /// no | yes | local: DEBUG allowed from nowhere, anywhere, or local
    /// connections (Redis 7.0's protected commands).
    pub enable_debug_command: String,
    pub enable_protected_configs: String,
    pub enable_module_command: String,
    pub stream_node_max_entries: i64,
    pub list_max_listpack_size: i64,
    pub list_compress_depth: u64,
    pub rdbcompression: bool,
    pub rdbchecksum: bool,
    pub stop_writes_on_bgsave_error: bool,
    pub aof_use_rdb_preamble: bool,
    pub aof_load_truncated: bool,
    pub appendfsync_no_rewrite: bool,
    pub aof_timestamp_enabled: bool,
    /// Milliseconds a script runs before other clients get -BUSY and
    /// SCRIPT KILL may stop it (alias lua-time-limit).
    pub busy_reply_threshold: u64,
    /// `--aof PATH` (ours, not Redis's): one append-only file at PATH
    /// instead of Redis 7.0's directory of files.
    pub aof_file: Option<String>,
    /// `--aof-load-until TIME` (ours): load the AOF as it was at these
    /// Unix seconds, change no file, and run with appendonly off.
    pub aof_load_until: Option<i64>,
    pub pidfile: String,
    /// CPU lists ("0,2-3", "0-20:2", as taskset reads them) for the loop
    /// thread, the fsync / lazy-free threads, the AOF rewrite writer and
    /// the snapshot writers (BGSAVE, a full sync's serializer): Redis's
    /// server_cpulist, bio_cpulist, aof_rewrite_cpulist and bgsave_cpulist.
    /// Empty leaves a thread where it was started.
    pub server_cpulist: String,
    pub bio_cpulist: String,
    pub aof_rewrite_cpulist: String,
    pub bgsave_cpulist: String,
    pub supervised: String,
    /// "normal 0 0 0 slave ... pubsub 33554432 8388608 60", canonical bytes.
    pub client_output_buffer_limit: String,
    /// Its pubsub class, parsed once per change: (hard bytes, soft bytes,
    /// soft seconds), read on every PUBLISH.
    pub pubsub_limits: (u64, u64, u64),
    /// The normal class's limits (0 0 0 by default: none).
    pub normal_limits: (u64, u64, u64),
    /// The replica class's limits.
    pub replica_limits: (u64, u64, u64),
    // Replication (replication/).
    /// `replicaof host port`: kept in step with REPLICAOF, so CONFIG GET
    /// and CONFIG REWRITE say what the server follows now.
    pub replicaof: Option<(String, u16)>,
    pub masterauth: String,
    pub masteruser: String,
    pub repl_diskless_sync: bool,
    pub repl_diskless_sync_delay: u64,
    pub repl_diskless_sync_max_replicas: u64,
    pub repl_diskless_load: String,
    pub repl_ping_replica_period: u64,
    pub repl_timeout: u64,
    pub repl_backlog_size: u64,
    pub repl_backlog_ttl: u64,
    pub repl_disable_tcp_nodelay: bool,
    pub replica_read_only: bool,
    pub replica_serve_stale_data: bool,
    pub replica_priority: u64,
    pub replica_announce_ip: String,
    pub replica_announce_port: u64,
    pub replica_announced: bool,
    pub replica_ignore_maxmemory: bool,
    /// A replica goes on applying its master's stream after a failed
    /// disk write (its AOF): ours always does; kept for CONFIG.
    pub replica_ignore_disk_write_errors: bool,
    pub min_replicas_to_write: u64,
    pub min_replicas_max_lag: u64,
    /// Redis's parameters that change nothing here (accepted.rs), by name.
    pub accepted: std::collections::BTreeMap<&'static str, String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            // Redis binds every interface; we bind loopback unless told.
            bind: vec!["127.0.0.1".into()],
            port: 6379,
            databases: 16,
            dir: String::new(),
            loglevel: "notice".into(),
            logfile: String::new(),
            hz: 10,
            timeout: 0,
            tcp_keepalive: 300,
            tcp_backlog: 511,
            maxclients: 10000,
            maxmemory_clients: 0,
            maxmemory: 0,
            maxmemory_policy: "noeviction".into(),
            maxmemory_samples: 5,
            maxmemory_eviction_tenacity: 10,
            lfu_log_factor: 10,
            lfu_decay_time: 1,
            save: "3600 1 300 100 60 10000".into(),
            appendonly: false,
            appendfilename: "appendonly.aof".into(),
            appenddirname: "appendonlydir".into(),
            appendfsync: "everysec".into(),
            dbfilename: "dump.rdb".into(),
            requirepass: String::new(),
            aclfile: String::new(),
            acllog_max_len: 128,
            acl_pubsub_default: "resetchannels".to_string(),
            users: Vec::new(),
            proto_max_bulk_len: 512 * 1024 * 1024,
            client_query_buffer_limit: 1024 * 1024 * 1024,
            active_expire_effort: 1,
            protected_mode: true,
            daemonize: false,
            databases_set: false,
            lazyfree_lazy_user_del: false,
            lazyfree_lazy_expire: false,
            lazyfree_lazy_eviction: false,
            lazyfree_lazy_server_del: false,
            lazyfree_lazy_user_flush: false,
            replica_lazy_flush: false,
            notify_keyspace_events: 0,
            slowlog_log_slower_than: 10000,
            slowlog_max_len: 128,
            auto_aof_rewrite_percentage: 100,
            auto_aof_rewrite_min_size: 64 * 1024 * 1024,
            hash_max_listpack_entries: 512,
            hash_max_listpack_value: 64,
            set_max_intset_entries: 512,
            zset_max_listpack_entries: 128,
            zset_max_listpack_value: 64,
            stream_node_max_bytes: 4096,
            hll_sparse_max_bytes: 3000,
            tracking_table_max_keys: 1_000_000,
            latency_monitor_threshold: 0,
            latency_tracking: true,
            latency_tracking_info_percentiles: vec![50.0, 99.0, 99.9],
            enable_debug_command: "no".into(),
            enable_protected_configs: "no".into(),
            enable_module_command: "no".into(),
            stream_node_max_entries: 100,
            list_max_listpack_size: -2,
            list_compress_depth: 0,
            rdbcompression: true,
            rdbchecksum: true,
            stop_writes_on_bgsave_error: true,
            aof_use_rdb_preamble: true,
            aof_load_truncated: true,
            aof_timestamp_enabled: false,
            busy_reply_threshold: 5000,
            aof_file: None,
            aof_load_until: None,
            appendfsync_no_rewrite: false,
            pidfile: String::new(),
            server_cpulist: String::new(),
            bio_cpulist: String::new(),
            aof_rewrite_cpulist: String::new(),
            bgsave_cpulist: String::new(),
            supervised: "no".into(),
            client_output_buffer_limit:
                "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60".into(),
            pubsub_limits: (32 << 20, 8 << 20, 60),
            normal_limits: (0, 0, 0),
            replica_limits: (256 << 20, 64 << 20, 60),
            replicaof: None,
            masterauth: String::new(),
            masteruser: String::new(),
            repl_diskless_sync: true,
            repl_diskless_sync_delay: 5,
            repl_diskless_sync_max_replicas: 0,
            repl_diskless_load: "disabled".into(),
            repl_ping_replica_period: 10,
            repl_timeout: 60,
            repl_backlog_size: 1 << 20,
            repl_backlog_ttl: 3600,
            repl_disable_tcp_nodelay: false,
            replica_read_only: true,
            replica_serve_stale_data: true,
            replica_priority: 100,
            replica_announce_ip: String::new(),
            replica_announce_port: 0,
            replica_announced: true,
            replica_ignore_maxmemory: true,
            replica_ignore_disk_write_errors: false,
            min_replicas_to_write: 0,
            min_replicas_max_lag: 10,
            accepted: accepted::defaults(),
        }
    }
}

type Getter = fn(&Config) -> String;
type Setter = fn(&mut Config, &[String]) -> Result<(), String>;

/// One configuration parameter.
pub struct ConfigEntry {
    pub name: &'static str,
    pub mutable: bool,
    pub get: Getter,
    pub set: Setter,
}

/// Redis 7.0 keeps the AOF's names plain file names (isValidAOFfilename,
/// isValidAOFdirname).
fn valid_aof_name(v: &str, what: &str) -> Result<String, String> {
    if v.is_empty() {
        return Err(format!("{what} can't be empty"));
    }
    if v.contains('/') || v.contains('\\') {
        let just = if what == "appenddirname" {
            "dirname"
        } else {
            "filename"
        };
        return Err(format!("{what} can't be a path, just a {just}"));
    }
    Ok(v.to_string())
}

fn yes_no(b: bool) -> String {
    if b { "yes".into() } else { "no".into() }
}

fn one(v: &[String]) -> Result<&str, String> {
    match v {
        [x] => Ok(x),
        _ => Err("wrong number of arguments".into()),
    }
}

fn parse_bool(v: &[String]) -> Result<bool, String> {
    match one(v)?.to_ascii_lowercase().as_str() {
        "yes" => Ok(true),
        "no" => Ok(false),
        _ => Err("argument must be 'yes' or 'no'".into()),
    }
}

fn parse_int(v: &[String], min: i64, max: i64) -> Result<i64, String> {
    let s = one(v)?;
    let n = string2ll(s.as_bytes()).ok_or("argument couldn't be parsed into an integer")?;
    if n < min || n > max {
        return Err(format!(
            "argument must be between {min} and {max} inclusive"
        ));
    }
    Ok(n)
}

/// Redis 7.0's memtoull: digits then an optional unit (b, k, kb, m, mb,
/// g, gb; any case). No digits reads as 0 and a number too big for 64 bits
/// saturates, as strtoull does; the unit multiplies with wraparound.
pub fn parse_memory(s: &str) -> Option<u64> {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    let (num, unit) = s.split_at(digits);
    let mul: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    let n = num.bytes().fold(0u64, |n, d| {
        n.saturating_mul(10).saturating_add((d - b'0') as u64)
    });
    Some(n.wrapping_mul(mul))
}

/// A memory value within `min..=max` (compared as Redis's signed long long
/// when `max` fits one, so an overflowed value reads as out of range).
/// A memory value, or a percentage stored negative (Redis's
/// PERCENT_CONFIG, at most 100%).
fn parse_mem_or_percent(v: &str) -> Result<i64, String> {
    if let Some(m) = parse_memory(v) {
        return i64::try_from(m).map_err(|_| "argument must be a memory or percent value".into());
    }
    if let Some(p) = v.strip_suffix('%').filter(|p| !p.is_empty())
        && let Some(n) = string2ll(p.as_bytes())
        && n >= 0
    {
        if n > 100 {
            return Err("percentage argument must be less or equal to 100".into());
        }
        return Ok(-n);
    }
    Err("argument must be a memory or percent value".into())
}

fn parse_mem_range(v: &[String], min: u64, max: u64) -> Result<u64, String> {
    let n = parse_memory(one(v)?).ok_or("argument must be a memory value")?;
    let too_big = if max <= i64::MAX as u64 {
        n as i64 > max as i64 || (n as i64) < 0
    } else {
        n > max
    };
    if too_big || n < min {
        return Err(format!(
            "argument must be between {min} and {max} inclusive"
        ));
    }
    Ok(n)
}

fn parse_mem(v: &[String], max: u64) -> Result<u64, String> {
    parse_mem_range(v, 0, max)
}

fn parse_enum(v: &[String], choices: &[&str]) -> Result<String, String> {
    let s = one(v)?.to_ascii_lowercase();
    if choices.contains(&s.as_str()) {
        Ok(s)
    } else {
        Err(format!(
            "argument(s) must be one of the following: {}",
            choices.join(", ")
        ))
    }
}

/// `replicaof host port`, or `replicaof no one` (none).
fn parse_replicaof(v: &[String]) -> Result<Option<(String, u16)>, String> {
    let words: Vec<&str> = v.iter().flat_map(|s| s.split_whitespace()).collect();
    match words[..] {
        [h, p] if h.eq_ignore_ascii_case("no") && p.eq_ignore_ascii_case("one") => Ok(None),
        [h, p] => match p.parse::<u16>() {
            Ok(port) => Ok(Some((h.to_string(), port))),
            Err(_) => Err("Invalid master port".to_string()),
        },
        _ => Err("wrong number of arguments".to_string()),
    }
}

fn parse_save(v: &[String]) -> Result<String, String> {
    let joined = v.join(" ");
    let parts: Vec<&str> = joined.split_whitespace().collect();
    if !parts.len().is_multiple_of(2) {
        return Err("Invalid save parameters".into());
    }
    for p in &parts {
        if string2ll(p.as_bytes()).is_none_or(|n| n < 0) {
            return Err("Invalid save parameters".into());
        }
    }
    Ok(parts.join(" "))
}

/// Merge "class hard soft seconds" triples into the current setting.
fn parse_obuf_limits(current: &str, v: &[String]) -> Result<String, String> {
    let words: Vec<String> = v.join(" ").split_whitespace().map(String::from).collect();
    if words.is_empty() {
        // An empty value changes nothing, as in Redis.
        return Ok(current.to_string());
    }
    if !words.len().is_multiple_of(4) {
        return Err("Wrong number of arguments in buffer limit configuration.".into());
    }
    let mut classes: Vec<(String, [u64; 3])> = current
        .split_whitespace()
        .collect::<Vec<_>>()
        .chunks(4)
        .filter_map(|c| match c {
            [name, h, s, t] => Some((
                name.to_string(),
                [h.parse().ok()?, s.parse().ok()?, t.parse().ok()?],
            )),
            _ => None,
        })
        .collect();
    for chunk in words.chunks(4) {
        let name = match chunk[0].to_ascii_lowercase().as_str() {
            "replica" | "slave" => "slave".to_string(),
            "normal" | "pubsub" => chunk[0].to_ascii_lowercase(),
            _ => {
                return Err("Invalid client class specified in buffer limit configuration.".into());
            }
        };
        let hard = parse_memory(&chunk[1])
            .ok_or("Error in hard, soft or soft_seconds setting in buffer limit configuration.")?;
        let soft = parse_memory(&chunk[2])
            .ok_or("Error in hard, soft or soft_seconds setting in buffer limit configuration.")?;
        let secs: u64 = chunk[3].parse().map_err(
            |_| "Error in hard, soft or soft_seconds setting in buffer limit configuration.",
        )?;
        match classes.iter_mut().find(|(n, _)| *n == name) {
            Some((_, vals)) => *vals = [hard, soft, secs],
            None => classes.push((name, [hard, soft, secs])),
        }
    }
    Ok(classes
        .iter()
        .map(|(n, v)| format!("{n} {} {} {}", v[0], v[1], v[2]))
        .collect::<Vec<_>>()
        .join(" "))
}

impl Config {
    /// Redis's getClientEvictionLimit: the bytes clients may hold before
    /// the biggest are evicted (0: never); at least 128 KiB.
    pub fn client_eviction_limit(&self) -> u64 {
        let limit = if self.maxmemory_clients < 0 {
            self.maxmemory * (-self.maxmemory_clients) as u64 / 100
        } else {
            self.maxmemory_clients as u64
        };
        if limit == 0 { 0 } else { limit.max(128 * 1024) }
    }

    /// Tell the keyspace how objects count accesses (LRU clock or LFU
    /// counter), after maxmemory-policy or an lfu-* setting changed.
    pub fn sync_lfu(&self) {
        crate::db::set_lfu(
            self.maxmemory_policy.contains("lfu"),
            self.lfu_log_factor,
            self.lfu_decay_time,
        );
    }

    /// The pubsub class's (hard bytes, soft bytes, soft seconds).
    pub fn pubsub_obuf_limits(&self) -> (u64, u64, u64) {
        self.pubsub_limits
    }

    /// One class's (hard bytes, soft bytes, soft seconds).
    fn parse_obuf_class(&self, class: &str, default: (u64, u64, u64)) -> (u64, u64, u64) {
        let w: Vec<&str> = self.client_output_buffer_limit.split_whitespace().collect();
        w.chunks(4)
            .find(|c| c.first() == Some(&class))
            .and_then(|c| {
                Some((
                    c.get(1)?.parse().ok()?,
                    c.get(2)?.parse().ok()?,
                    c.get(3)?.parse().ok()?,
                ))
            })
            .unwrap_or(default)
    }
}

mod accepted;

/// Every parameter: ours, then Redis's that change nothing here.
pub fn all_entries() -> impl Iterator<Item = &'static ConfigEntry> {
    CONFIG_TABLE.iter().chain(accepted::TABLE.iter())
}

/// Parameters only an exact name reaches (Redis's HIDDEN_CONFIG): no glob
/// lists them.
const HIDDEN: &[&str] = &[
    "rdb-key-save-delay",
    "use-exit-on-panic",
    "key-load-delay",
    "watchdog-period",
    "loading-process-events-interval-bytes",
];

macro_rules! entry {
    ($name:literal, $mutable:expr, |$c:ident| $get:expr, |$cs:ident, $v:ident| $set:expr) => {
        ConfigEntry {
            name: $name,
            mutable: $mutable,
            get: |$c: &Config| $get,
            set: |$cs: &mut Config, $v: &[String]| {
                $set;
                Ok(())
            },
        }
    };
}

/// Every parameter, in Redis's names.
pub static CONFIG_TABLE: &[ConfigEntry] = &[
    entry!("bind", true, |c| c.bind.join(" "), |c, v| c.bind =
        v.join(" ").split_whitespace().map(String::from).collect()),
    entry!("port", true, |c| c.port.to_string(), |c, v| c.port =
        parse_int(v, 0, 65535)? as u16),
    entry!("databases", false, |c| c.databases.to_string(), |c, v| c
        .databases =
        parse_int(v, 1, i32::MAX as i64)? as usize),
    // Like Redis, CONFIG GET dir answers the working directory itself.
    entry!(
        "dir",
        true,
        |_c| std::env::current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_default(),
        |c, v| c.dir = one(v)?.to_string()
    ),
    entry!("loglevel", true, |c| c.loglevel.clone(), |c, v| c
        .loglevel =
        parse_enum(v, &["debug", "verbose", "notice", "warning"])?),
    entry!("logfile", false, |c| c.logfile.clone(), |c, v| c.logfile =
        one(v)?.to_string()),
    entry!("hz", true, |c| c.hz.to_string(), |c, v| c.hz =
        parse_int(v, 0, i32::MAX as i64)?.clamp(1, 500) as u32),
    entry!("timeout", true, |c| c.timeout.to_string(), |c, v| c
        .timeout =
        parse_int(v, 0, i32::MAX as i64)? as u64),
    entry!(
        "tcp-keepalive",
        true,
        |c| c.tcp_keepalive.to_string(),
        |c, v| c.tcp_keepalive = parse_int(v, 0, i32::MAX as i64)? as u64
    ),
    entry!(
        "tcp-backlog",
        false,
        |c| c.tcp_backlog.to_string(),
        |c, v| c.tcp_backlog = parse_int(v, 0, i32::MAX as i64)? as u64
    ),
    entry!(
        "maxmemory-clients",
        true,
        |c| if c.maxmemory_clients < 0 {
            format!("{}%", -c.maxmemory_clients)
        } else {
            c.maxmemory_clients.to_string()
        },
        |c, v| c.maxmemory_clients = parse_mem_or_percent(one(v)?)?
    ),
    entry!("maxclients", true, |c| c.maxclients.to_string(), |c, v| c
        .maxclients =
        parse_int(v, 1, u32::MAX as i64)? as u64),
    entry!("maxmemory", true, |c| c.maxmemory.to_string(), |c, v| c
        .maxmemory =
        parse_mem(v, u64::MAX)?),
    entry!(
        "maxmemory-policy",
        true,
        |c| c.maxmemory_policy.clone(),
        |c, v| {
            c.maxmemory_policy = parse_enum(
                v,
                &[
                    "volatile-lru",
                    "volatile-lfu",
                    "volatile-random",
                    "volatile-ttl",
                    "allkeys-lru",
                    "allkeys-lfu",
                    "allkeys-random",
                    "noeviction",
                ],
            )?;
            c.sync_lfu();
        }
    ),
    entry!(
        "maxmemory-samples",
        true,
        |c| c.maxmemory_samples.to_string(),
        |c, v| c.maxmemory_samples = parse_int(v, 1, i32::MAX as i64)? as u64
    ),
    entry!(
        "maxmemory-eviction-tenacity",
        true,
        |c| c.maxmemory_eviction_tenacity.to_string(),
        |c, v| c.maxmemory_eviction_tenacity = parse_int(v, 0, 100)? as u64
    ),
    entry!(
        "lfu-log-factor",
        true,
        |c| c.lfu_log_factor.to_string(),
        |c, v| {
            c.lfu_log_factor = parse_int(v, 0, i32::MAX as i64)? as u32;
            c.sync_lfu();
        }
    ),
    entry!(
        "lfu-decay-time",
        true,
        |c| c.lfu_decay_time.to_string(),
        |c, v| {
            c.lfu_decay_time = parse_int(v, 0, i32::MAX as i64)? as u32;
            c.sync_lfu();
        }
    ),
    entry!("save", true, |c| c.save.clone(), |c, v| c.save =
        parse_save(v)?),
    entry!("appendonly", true, |c| yes_no(c.appendonly), |c, v| c
        .appendonly =
        parse_bool(v)?),
    entry!(
        "appendfilename",
        false,
        |c| c.appendfilename.clone(),
        |c, v| c.appendfilename = valid_aof_name(one(v)?, "appendfilename")?
    ),
    entry!(
        "appenddirname",
        false,
        |c| c.appenddirname.clone(),
        |c, v| c.appenddirname = valid_aof_name(one(v)?, "appenddirname")?
    ),
    entry!("appendfsync", true, |c| c.appendfsync.clone(), |c, v| c
        .appendfsync =
        parse_enum(v, &["everysec", "always", "no"])?),
    entry!("dbfilename", true, |c| c.dbfilename.clone(), |c, v| c
        .dbfilename =
        one(v)?.to_string()),
    entry!("requirepass", true, |c| c.requirepass.clone(), |c, v| c
        .requirepass =
        one(v)?.to_string()),
    entry!("aclfile", false, |c| c.aclfile.clone(), |c, v| c.aclfile =
        one(v)?.to_string()),
    entry!(
        "acllog-max-len",
        true,
        |c| c.acllog_max_len.to_string(),
        |c, v| c.acllog_max_len = parse_int(v, 0, i64::MAX)? as u64
    ),
    entry!(
        "acl-pubsub-default",
        true,
        |c| c.acl_pubsub_default.clone(),
        |c, v| c.acl_pubsub_default = parse_enum(v, &["allchannels", "resetchannels"])?
    ),
    entry!(
        "proto-max-bulk-len",
        true,
        |c| c.proto_max_bulk_len.to_string(),
        |c, v| c.proto_max_bulk_len = parse_mem_range(v, 1024 * 1024, i64::MAX as u64)?
    ),
    entry!(
        "client-query-buffer-limit",
        true,
        |c| c.client_query_buffer_limit.to_string(),
        |c, v| c.client_query_buffer_limit = parse_mem_range(v, 1024 * 1024, i64::MAX as u64)?
    ),
    entry!(
        "active-expire-effort",
        true,
        |c| c.active_expire_effort.to_string(),
        |c, v| c.active_expire_effort = parse_int(v, 1, 10)? as u64
    ),
    entry!(
        "protected-mode",
        true,
        |c| yes_no(c.protected_mode),
        |c, v| c.protected_mode = parse_bool(v)?
    ),
    entry!("daemonize", false, |c| yes_no(c.daemonize), |c, v| c
        .daemonize =
        parse_bool(v)?),
    entry!(
        "lazyfree-lazy-user-del",
        true,
        |c| yes_no(c.lazyfree_lazy_user_del),
        |c, v| c.lazyfree_lazy_user_del = parse_bool(v)?
    ),
    entry!(
        "slowlog-log-slower-than",
        true,
        |c| c.slowlog_log_slower_than.to_string(),
        |c, v| c.slowlog_log_slower_than = parse_int(v, -1, i64::MAX)?
    ),
    entry!(
        "slowlog-max-len",
        true,
        |c| c.slowlog_max_len.to_string(),
        |c, v| c.slowlog_max_len = parse_int(v, 0, i64::MAX)? as u64
    ),
    entry!(
        "auto-aof-rewrite-percentage",
        true,
        |c| c.auto_aof_rewrite_percentage.to_string(),
        |c, v| c.auto_aof_rewrite_percentage = parse_int(v, 0, i32::MAX as i64)? as u64
    ),
    entry!(
        "auto-aof-rewrite-min-size",
        true,
        |c| c.auto_aof_rewrite_min_size.to_string(),
        |c, v| c.auto_aof_rewrite_min_size = parse_mem(v, i64::MAX as u64)?
    ),
    entry!(
        "hash-max-listpack-entries",
        true,
        |c| c.hash_max_listpack_entries.to_string(),
        |c, v| c.hash_max_listpack_entries = parse_int(v, 0, i64::MAX)? as u64
    ),
    entry!(
        "hash-max-listpack-value",
        true,
        |c| c.hash_max_listpack_value.to_string(),
        |c, v| c.hash_max_listpack_value = parse_mem(v, i64::MAX as u64)?
    ),
    entry!(
        "set-max-intset-entries",
        true,
        |c| c.set_max_intset_entries.to_string(),
        |c, v| c.set_max_intset_entries = parse_int(v, 0, i64::MAX)? as u64
    ),
    entry!(
        "zset-max-listpack-entries",
        true,
        |c| c.zset_max_listpack_entries.to_string(),
        |c, v| c.zset_max_listpack_entries = parse_int(v, 0, i64::MAX)? as u64
    ),
    entry!(
        "zset-max-listpack-value",
        true,
        |c| c.zset_max_listpack_value.to_string(),
        |c, v| c.zset_max_listpack_value = parse_mem(v, i64::MAX as u64)?
    ),
    entry!(
        "enable-protected-configs",
        false,
        |c| c.enable_protected_configs.clone(),
        |c, v| c.enable_protected_configs = parse_enum(v, &["no", "yes", "local"])?
    ),
    entry!(
        "enable-debug-command",
        false,
        |c| c.enable_debug_command.clone(),
        |c, v| c.enable_debug_command = parse_enum(v, &["no", "yes", "local"])?
    ),
    entry!(
        "enable-module-command",
        false,
        |c| c.enable_module_command.clone(),
        |c, v| c.enable_module_command = parse_enum(v, &["no", "yes", "local"])?
    ),
    entry!(
        "latency-monitor-threshold",
        true,
        |c| c.latency_monitor_threshold.to_string(),
        |c, v| c.latency_monitor_threshold = parse_int(v, 0, i64::MAX)? as u64
    ),
    entry!(
        "latency-tracking",
        true,
        |c| if c.latency_tracking { "yes" } else { "no" }.to_string(),
        |c, v| c.latency_tracking = parse_bool(v)?
    ),
    entry!(
        "latency-tracking-info-percentiles",
        true,
        |c| c
            .latency_tracking_info_percentiles
            .iter()
            .map(|p| crate::latency::percentile_name(*p))
            .collect::<Vec<_>>()
            .join(" "),
        |c, v| c.latency_tracking_info_percentiles = crate::latency::parse_percentiles(v)?
    ),
    entry!(
        "tracking-table-max-keys",
        true,
        |c| c.tracking_table_max_keys.to_string(),
        |c, v| c.tracking_table_max_keys = parse_int(v, 0, i64::MAX)? as u64
    ),
    entry!(
        "hll-sparse-max-bytes",
        true,
        |c| c.hll_sparse_max_bytes.to_string(),
        |c, v| c.hll_sparse_max_bytes = parse_mem(v, i64::MAX as u64)?
    ),
    entry!(
        "stream-node-max-bytes",
        true,
        |c| c.stream_node_max_bytes.to_string(),
        |c, v| c.stream_node_max_bytes = parse_mem(v, i64::MAX as u64)?
    ),
    entry!(
        "stream-node-max-entries",
        true,
        |c| c.stream_node_max_entries.to_string(),
        |c, v| c.stream_node_max_entries = parse_int(v, 0, i64::MAX)?
    ),
    entry!(
        "list-max-listpack-size",
        true,
        |c| c.list_max_listpack_size.to_string(),
        |c, v| c.list_max_listpack_size = parse_int(v, i32::MIN as i64, i32::MAX as i64)?
    ),
    entry!(
        "list-compress-depth",
        true,
        |c| c.list_compress_depth.to_string(),
        |c, v| c.list_compress_depth = parse_int(v, 0, i32::MAX as i64)? as u64
    ),
    entry!(
        "rdbcompression",
        true,
        |c| yes_no(c.rdbcompression),
        |c, v| c.rdbcompression = parse_bool(v)?
    ),
    entry!("rdbchecksum", false, |c| yes_no(c.rdbchecksum), |c, v| c
        .rdbchecksum =
        parse_bool(v)?),
    entry!(
        "stop-writes-on-bgsave-error",
        true,
        |c| yes_no(c.stop_writes_on_bgsave_error),
        |c, v| c.stop_writes_on_bgsave_error = parse_bool(v)?
    ),
    entry!(
        "aof-use-rdb-preamble",
        true,
        |c| yes_no(c.aof_use_rdb_preamble),
        |c, v| c.aof_use_rdb_preamble = parse_bool(v)?
    ),
    entry!(
        "busy-reply-threshold",
        true,
        |c| c.busy_reply_threshold.to_string(),
        |c, v| c.busy_reply_threshold = parse_int(v, 0, i64::MAX)? as u64
    ),
    entry!(
        "aof-timestamp-enabled",
        true,
        |c| yes_no(c.aof_timestamp_enabled),
        |c, v| c.aof_timestamp_enabled = parse_bool(v)?
    ),
    entry!(
        "aof-load-truncated",
        true,
        |c| yes_no(c.aof_load_truncated),
        |c, v| c.aof_load_truncated = parse_bool(v)?
    ),
    entry!(
        "no-appendfsync-on-rewrite",
        true,
        |c| yes_no(c.appendfsync_no_rewrite),
        |c, v| c.appendfsync_no_rewrite = parse_bool(v)?
    ),
    entry!("pidfile", false, |c| c.pidfile.clone(), |c, v| c.pidfile =
        one(v)?.to_string()),
    entry!(
        "server_cpulist",
        false,
        |c| c.server_cpulist.clone(),
        |c, v| c.server_cpulist = one(v)?.to_string()
    ),
    entry!("bio_cpulist", false, |c| c.bio_cpulist.clone(), |c, v| c
        .bio_cpulist =
        one(v)?.to_string()),
    entry!(
        "aof_rewrite_cpulist",
        false,
        |c| c.aof_rewrite_cpulist.clone(),
        |c, v| c.aof_rewrite_cpulist = one(v)?.to_string()
    ),
    entry!(
        "bgsave_cpulist",
        false,
        |c| c.bgsave_cpulist.clone(),
        |c, v| c.bgsave_cpulist = one(v)?.to_string()
    ),
    entry!(
        "client-output-buffer-limit",
        true,
        |c| c.client_output_buffer_limit.clone(),
        |c, v| {
            c.client_output_buffer_limit = parse_obuf_limits(&c.client_output_buffer_limit, v)?;
            c.pubsub_limits = c.parse_obuf_class("pubsub", (32 << 20, 8 << 20, 60));
            c.normal_limits = c.parse_obuf_class("normal", (0, 0, 0));
            c.replica_limits = c.parse_obuf_class("slave", (256 << 20, 64 << 20, 60));
        }
    ),
    entry!(
        "notify-keyspace-events",
        true,
        |c| crate::notify::format_flags(c.notify_keyspace_events),
        |c, v| c.notify_keyspace_events = crate::notify::parse_flags(one(v)?)
            .ok_or("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")?
    ),
    entry!(
        "rdb-key-save-delay",
        true,
        |_c| crate::persistence::KEY_SAVE_DELAY_US
            .load(std::sync::atomic::Ordering::Relaxed)
            .to_string(),
        |_c, v| crate::persistence::KEY_SAVE_DELAY_US.store(
            parse_int(v, i32::MIN as i64, i32::MAX as i64)?,
            std::sync::atomic::Ordering::Relaxed
        )
    ),
    entry!(
        "lazyfree-lazy-expire",
        true,
        |c| yes_no(c.lazyfree_lazy_expire),
        |c, v| c.lazyfree_lazy_expire = parse_bool(v)?
    ),
    entry!(
        "lazyfree-lazy-eviction",
        true,
        |c| yes_no(c.lazyfree_lazy_eviction),
        |c, v| c.lazyfree_lazy_eviction = parse_bool(v)?
    ),
    entry!(
        "lazyfree-lazy-server-del",
        true,
        |c| yes_no(c.lazyfree_lazy_server_del),
        |c, v| c.lazyfree_lazy_server_del = parse_bool(v)?
    ),
    entry!(
        "lazyfree-lazy-user-flush",
        true,
        |c| yes_no(c.lazyfree_lazy_user_flush),
        |c, v| c.lazyfree_lazy_user_flush = parse_bool(v)?
    ),
    entry!(
        "replica-lazy-flush",
        true,
        |c| yes_no(c.replica_lazy_flush),
        |c, v| c.replica_lazy_flush = parse_bool(v)?
    ),
    entry!(
        "replicaof",
        false,
        |c| c
            .replicaof
            .as_ref()
            .map(|(h, p)| format!("{h} {p}"))
            .unwrap_or_default(),
        |c, v| c.replicaof = parse_replicaof(v)?
    ),
    entry!("masterauth", true, |c| c.masterauth.clone(), |c, v| c
        .masterauth =
        one(v)?.to_string()),
    entry!("masteruser", true, |c| c.masteruser.clone(), |c, v| c
        .masteruser =
        one(v)?.to_string()),
    entry!(
        "repl-diskless-sync",
        true,
        |c| yes_no(c.repl_diskless_sync),
        |c, v| c.repl_diskless_sync = parse_bool(v)?
    ),
    entry!(
        "repl-diskless-sync-delay",
        true,
        |c| c.repl_diskless_sync_delay.to_string(),
        |c, v| c.repl_diskless_sync_delay = parse_int(v, 0, i32::MAX as i64)? as u64
    ),
    entry!(
        "repl-diskless-sync-max-replicas",
        true,
        |c| c.repl_diskless_sync_max_replicas.to_string(),
        |c, v| c.repl_diskless_sync_max_replicas = parse_int(v, 0, i32::MAX as i64)? as u64
    ),
    entry!(
        "repl-diskless-load",
        true,
        |c| c.repl_diskless_load.clone(),
        |c, v| c.repl_diskless_load = parse_enum(v, &["disabled", "on-empty-db", "swapdb"])?
    ),
    entry!(
        "repl-ping-replica-period",
        true,
        |c| c.repl_ping_replica_period.to_string(),
        |c, v| c.repl_ping_replica_period = parse_int(v, 1, i32::MAX as i64)? as u64
    ),
    entry!(
        "repl-timeout",
        true,
        |c| c.repl_timeout.to_string(),
        |c, v| c.repl_timeout = parse_int(v, 1, i32::MAX as i64)? as u64
    ),
    entry!(
        "repl-backlog-size",
        true,
        |c| c.repl_backlog_size.to_string(),
        |c, v| c.repl_backlog_size = parse_mem_range(v, 1, i64::MAX as u64)?
    ),
    entry!(
        "repl-backlog-ttl",
        true,
        |c| c.repl_backlog_ttl.to_string(),
        |c, v| c.repl_backlog_ttl = parse_int(v, 0, i32::MAX as i64)? as u64
    ),
    entry!(
        "repl-disable-tcp-nodelay",
        true,
        |c| yes_no(c.repl_disable_tcp_nodelay),
        |c, v| c.repl_disable_tcp_nodelay = parse_bool(v)?
    ),
    entry!(
        "replica-read-only",
        true,
        |c| yes_no(c.replica_read_only),
        |c, v| c.replica_read_only = parse_bool(v)?
    ),
    entry!(
        "replica-serve-stale-data",
        true,
        |c| yes_no(c.replica_serve_stale_data),
        |c, v| c.replica_serve_stale_data = parse_bool(v)?
    ),
    entry!(
        "replica-priority",
        true,
        |c| c.replica_priority.to_string(),
        |c, v| c.replica_priority = parse_int(v, 0, i32::MAX as i64)? as u64
    ),
    entry!(
        "replica-announce-ip",
        true,
        |c| c.replica_announce_ip.clone(),
        |c, v| c.replica_announce_ip = one(v)?.to_string()
    ),
    entry!(
        "replica-announce-port",
        true,
        |c| c.replica_announce_port.to_string(),
        |c, v| c.replica_announce_port = parse_int(v, 0, 65535)? as u64
    ),
    entry!(
        "replica-announced",
        true,
        |c| yes_no(c.replica_announced),
        |c, v| c.replica_announced = parse_bool(v)?
    ),
    entry!(
        "replica-ignore-maxmemory",
        true,
        |c| yes_no(c.replica_ignore_maxmemory),
        |c, v| c.replica_ignore_maxmemory = parse_bool(v)?
    ),
    entry!(
        "replica-ignore-disk-write-errors",
        true,
        |c| yes_no(c.replica_ignore_disk_write_errors),
        |c, v| c.replica_ignore_disk_write_errors = parse_bool(v)?
    ),
    entry!(
        "min-replicas-to-write",
        true,
        |c| c.min_replicas_to_write.to_string(),
        |c, v| c.min_replicas_to_write = parse_int(v, 0, i32::MAX as i64)? as u64
    ),
    entry!(
        "min-replicas-max-lag",
        true,
        |c| c.min_replicas_max_lag.to_string(),
        |c, v| c.min_replicas_max_lag = parse_int(v, 0, i32::MAX as i64)? as u64
    ),
    entry!("supervised", false, |c| c.supervised.clone(), |c, v| c
        .supervised =
        parse_enum(v, &["upstart", "systemd", "auto", "no"])?),
];

/// Redis's aliases: old names still accepted, and listed by CONFIG GET.
const ALIASES: &[(&str, &str)] = &[
    ("hash-max-ziplist-entries", "hash-max-listpack-entries"),
    ("hash-max-ziplist-value", "hash-max-listpack-value"),
    ("zset-max-ziplist-entries", "zset-max-listpack-entries"),
    ("zset-max-ziplist-value", "zset-max-listpack-value"),
    ("list-max-ziplist-size", "list-max-listpack-size"),
    ("lua-time-limit", "busy-reply-threshold"),
    ("slave-lazy-flush", "replica-lazy-flush"),
    ("slaveof", "replicaof"),
    ("cluster-slave-no-failover", "cluster-replica-no-failover"),
    (
        "cluster-slave-validity-factor",
        "cluster-replica-validity-factor",
    ),
    ("repl-ping-slave-period", "repl-ping-replica-period"),
    ("slave-read-only", "replica-read-only"),
    ("slave-serve-stale-data", "replica-serve-stale-data"),
    ("slave-priority", "replica-priority"),
    ("slave-announce-ip", "replica-announce-ip"),
    ("slave-announce-port", "replica-announce-port"),
    ("slave-ignore-maxmemory", "replica-ignore-maxmemory"),
    ("min-slaves-to-write", "min-replicas-to-write"),
    ("min-slaves-max-lag", "min-replicas-max-lag"),
];

fn canonical(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    ALIASES
        .iter()
        .find(|(a, _)| *a == lower)
        .map(|(_, c)| c.to_string())
        .unwrap_or(lower)
}

pub fn find(name: &str) -> Option<&'static ConfigEntry> {
    let name = canonical(name);
    all_entries().find(|e| e.name == name)
}

impl Config {
    /// Apply one directive (config file line or `--name value` flag).
    pub fn apply(&mut self, name: &str, args: &[String]) -> Result<(), String> {
        let e =
            find(name).ok_or_else(|| "Bad directive or wrong number of arguments".to_string())?;
        (e.set)(self, args)?;
        if e.name == "databases" {
            self.databases_set = true;
        }
        Ok(())
    }

    /// Parameters whose name matches any pattern, as (name, value) pairs.
    pub fn matching(&self, patterns: &[Vec<u8>]) -> Vec<(&'static str, String)> {
        let names = all_entries()
            .filter(|e| !HIDDEN.contains(&e.name))
            .map(|e| (e.name, e))
            .chain(
                ALIASES
                    .iter()
                    .filter_map(|(alias, canon)| find(canon).map(|e| (*alias, e))),
            );
        names
            .filter(|(name, _)| {
                patterns
                    .iter()
                    .any(|p| string_match(p, name.as_bytes(), true))
            })
            .map(|(name, e)| (name, (e.get)(self)))
            .collect()
    }

    /// A `user` directive (file line or `--user` flag): kept for the
    /// ACL to load at startup; a user may be named once.
    pub fn add_user_line(&mut self, args: &[String]) -> Result<(), String> {
        let Some(name) = args.first() else {
            return Err("Bad directive or wrong number of arguments".to_string());
        };
        if self
            .users
            .iter()
            .any(|u| u.first().map(|n| &n[..]) == Some(name.as_bytes()))
        {
            return Err(format!(
                "Error in user declaration '{name}': Duplicate user found. A user can only be defined once in config files"
            ));
        }
        self.users
            .push(args.iter().map(|a| a.as_bytes().to_vec()).collect());
        Ok(())
    }

    /// Parse a redis.conf-style file's text.
    pub fn load_text(&mut self, text: &str) -> Result<(), String> {
        for (n, line) in text.lines().enumerate() {
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let args = crate::resp::parse::split_args(trimmed.as_bytes()).ok_or_else(|| {
                format!("line {}: unbalanced quotes in configuration line", n + 1)
            })?;
            let args: Vec<String> = args
                .into_iter()
                .map(|a| String::from_utf8_lossy(&a).into_owned())
                .collect();
            let Some((name, rest)) = args.split_first() else {
                continue;
            };
            if name.eq_ignore_ascii_case("include") {
                continue;
            }
            if name.eq_ignore_ascii_case("user") {
                self.add_user_line(rest)
                    .map_err(|e| format!("line {}: '{}': {}", n + 1, trimmed, e))?;
                continue;
            }
            self.apply(name, rest)
                .map_err(|e| format!("line {}: '{}': {}", n + 1, trimmed, e))?;
        }
        Ok(())
    }
}

/// The marker above the directives CONFIG REWRITE adds.
const REWRITE_SIGNATURE: &str = "# Generated by CONFIG REWRITE";

/// Redis's string configs (createStringConfig / createSDSConfig): CONFIG
/// REWRITE quotes their values; `true` for those whose empty value means
/// "not set" (EMPTY_STRING_IS_NULL), which get no line at all.
const STRING_CONFIGS: &[(&str, bool)] = &[
    ("aclfile", false),
    ("unixsocket", true),
    ("pidfile", true),
    ("replica-announce-ip", true),
    ("masteruser", true),
    ("cluster-announce-ip", true),
    ("cluster-config-file", false),
    ("cluster-announce-hostname", true),
    ("syslog-ident", false),
    ("dbfilename", false),
    ("appendfilename", false),
    ("appenddirname", false),
    ("server_cpulist", true),
    ("bio_cpulist", true),
    ("aof_rewrite_cpulist", true),
    ("bgsave_cpulist", true),
    ("ignore-warnings", false),
    ("proc-title-template", false),
    ("bind-source-addr", true),
    ("logfile", false),
    ("masterauth", true),
    ("requirepass", true),
    ("tls-cert-file", true),
    ("tls-key-file", true),
    ("tls-key-file-pass", true),
    ("tls-client-cert-file", true),
    ("tls-client-key-file", true),
    ("tls-client-key-file-pass", true),
    ("tls-dh-params-file", true),
    ("tls-ca-cert-file", true),
    ("tls-ca-cert-dir", true),
    ("tls-protocols", true),
    ("tls-ciphers", true),
    ("tls-ciphersuites", true),
    ("dir", false),
    ("notify-keyspace-events", false),
];

/// Redis's MEMORY_CONFIG byte counts, written as 1gb / 64mb / 16kb when
/// they divide evenly (rewriteConfigFormatMemory).
const MEMORY_CONFIGS: &[&str] = &[
    "proto-max-bulk-len",
    "repl-backlog-size",
    "maxmemory",
    "cluster-link-sendbuf-limit",
    "active-defrag-ignore-bytes",
    "hash-max-listpack-value",
    "stream-node-max-bytes",
    "zset-max-listpack-value",
    "hll-sparse-max-bytes",
    "client-query-buffer-limit",
    "maxmemory-clients",
    "auto-aof-rewrite-min-size",
];

/// Redis's rewriteConfigFormatMemory; other text as it is.
fn format_memory(v: &str) -> String {
    match v.parse::<i64>() {
        Ok(b) if b != 0 && b % (1 << 30) == 0 => format!("{}gb", b >> 30),
        Ok(b) if b != 0 && b % (1 << 20) == 0 => format!("{}mb", b >> 20),
        Ok(b) if b != 0 && b % (1 << 10) == 0 => format!("{}kb", b >> 10),
        _ => v.to_string(),
    }
}

/// Redis's sdscatrepr: a quoted string with C escapes.
fn repr(v: &str) -> String {
    let mut out = String::from("\"");
    for &b in v.as_bytes() {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
    out
}

/// One directive's lines as CONFIG REWRITE writes them, each with Redis's
/// `force` (written even where the old file has no line for it): a value
/// other than the default, and always for `save` and `dir`.
fn rewrite_lines(name: &str, value: &str, default: &str) -> Vec<(String, bool)> {
    let force = value != default;
    match name {
        "save" => {
            let nums: Vec<&str> = value.split_whitespace().collect();
            if nums.is_empty() {
                return vec![("save \"\"".to_string(), true)];
            }
            return nums
                .chunks(2)
                .map(|p| (format!("save {}", p.join(" ")), true))
                .collect();
        }
        // A master has no replicaof line (Redis drops it: Sentinel rewrites
        // a promoted replica's file this way).
        "replicaof" if value.is_empty() => return Vec::new(),
        "replicaof" => return vec![(format!("{name} {value}"), true)],
        "dir" => return vec![(format!("{name} {}", repr(value)), true)],
        // Redis 7.0 writes this one whatever its value.
        "latency-tracking-info-percentiles" => return vec![(format!("{name} {value}"), true)],
        // One line per client class, with its own force.
        "client-output-buffer-limit" => {
            let defs: Vec<&str> = default.split_whitespace().collect();
            let vals: Vec<&str> = value.split_whitespace().collect();
            return vals
                .chunks(4)
                .enumerate()
                .filter_map(|(i, class)| {
                    let [kind, hard, soft, secs] = class else {
                        return None;
                    };
                    let kind = if *kind == "slave" { "replica" } else { kind };
                    let line = format!(
                        "{name} {kind} {} {} {secs}",
                        format_memory(hard),
                        format_memory(soft)
                    );
                    Some((line, defs.get(i * 4..i * 4 + 4) != Some(class)))
                })
                .collect();
        }
        _ => {}
    }
    if let Some(&(_, null_if_empty)) = STRING_CONFIGS.iter().find(|(n, _)| *n == name) {
        if value.is_empty() && null_if_empty {
            return Vec::new();
        }
        return vec![(format!("{name} {}", repr(value)), force)];
    }
    if MEMORY_CONFIGS.contains(&name) {
        return vec![(format!("{name} {}", format_memory(value)), force)];
    }
    if value.is_empty() {
        vec![(format!("{name} \"\""), force)]
    } else {
        vec![(format!("{name} {value}"), force)]
    }
}

impl Config {
    /// CONFIG REWRITE's new file text from the old, as Redis's
    /// rewriteConfig makes it: comments, blank lines and lines Redis keeps
    /// unparsed (include, rename-command, loadmodule, sentinel) stay where
    /// they are; a line naming no directive becomes a `# ??? ` comment; a
    /// directive's new lines take the places of its old ones in order,
    /// old ones left over are blanked, and new ones past them are added at
    /// the end under the signature (only when forced: not the default);
    /// runs of blank lines become one.
    pub fn rewrite_text(&self, old: &str) -> String {
        self.rewrite_text_with_users(old, &[])
    }

    /// CONFIG REWRITE with ACL users (Redis's rewriteConfigUserOption):
    /// `users` ("user <name> <rules>" lines) take the places of the old
    /// file's `user` lines in order, the rest go at the end; old `user`
    /// lines left over are blanked (all of them when `users` is empty, as
    /// with an aclfile).
    pub fn rewrite_text_with_users(&self, old: &str, users: &[String]) -> String {
        let defaults = Config::default();
        let mut lines: Vec<String> = Vec::new();
        // directive name ("user" for users) -> its old lines' indexes.
        let mut slots: std::collections::HashMap<&'static str, std::collections::VecDeque<usize>> =
            Default::default();
        let mut needs_signature = true;
        // sdssplitlen: a file ending in a newline ends with an empty line.
        let old_lines: Vec<&str> = if old.is_empty() {
            Vec::new()
        } else {
            old.split('\n').collect()
        };
        for raw in old_lines {
            let line = raw.trim_matches(['\r', '\n', '\t', ' ']);
            if line.is_empty() || line.starts_with('#') {
                if line == REWRITE_SIGNATURE {
                    needs_signature = false;
                }
                lines.push(line.to_string());
                continue;
            }
            let name = crate::resp::parse::split_args(line.as_bytes())
                .and_then(|a| a.into_iter().next())
                .map(|n| String::from_utf8_lossy(&n).to_ascii_lowercase());
            let Some(name) = name else {
                lines.push(format!("# ??? {line}"));
                continue;
            };
            let key: Option<&'static str> = if name == "user" {
                Some("user")
            } else {
                find(&name).map(|e| e.name)
            };
            match key {
                Some(k) => {
                    slots.entry(k).or_default().push_back(lines.len());
                    lines.push(line.to_string());
                }
                None if matches!(
                    name.as_str(),
                    "include" | "rename-command" | "loadmodule" | "sentinel"
                ) =>
                {
                    lines.push(line.to_string())
                }
                None => lines.push(format!("# ??? {line}")),
            }
        }
        let mut appended: Vec<String> = Vec::new();
        let mut place = |key: &'static str, new: Vec<(String, bool)>, lines: &mut Vec<String>| {
            let mut old = slots.remove(key).unwrap_or_default();
            for (text, force) in new {
                if let Some(i) = old.pop_front() {
                    lines[i] = text;
                } else if force {
                    appended.push(text);
                }
            }
            // Old lines no new one took (Redis's orphaned lines) go blank.
            for i in old {
                lines[i].clear();
            }
        };
        for e in all_entries() {
            let new = rewrite_lines(e.name, &(e.get)(self), &(e.get)(&defaults));
            place(e.name, new, &mut lines);
        }
        let users = users.iter().map(|u| (u.clone(), true)).collect();
        place("user", users, &mut lines);
        if !appended.is_empty() && needs_signature {
            lines.push(REWRITE_SIGNATURE.to_string());
        }
        lines.extend(appended);
        let mut text = String::new();
        let mut was_empty = false;
        for l in lines {
            if l.is_empty() {
                if was_empty {
                    continue;
                }
                was_empty = true;
            } else {
                was_empty = false;
            }
            text.push_str(&l);
            text.push('\n');
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrite_keeps_comments_and_order() {
        let mut c = Config::default();
        let old = "# top comment\nport 7000\nhz 20\nhz 30\n\n# keep me\nunknown-thing yes\n\
                   dbfilename dump.rdb\nsave 100 1\n\n\nsave 200 2\nslaveof 127.0.0.1 1\n";
        c.load_text("port 7000\nhz 30\nsave \"100 1 200 2\"")
            .unwrap();
        c.maxmemory = 1 << 20;
        c.requirepass = "a\"b".into();
        let cwd = std::env::current_dir().unwrap().display().to_string();
        let new = c.rewrite_text(old);
        // As redis-server 7.0.15 rewrote the same file (seen): duplicates
        // and the master's slaveof blanked, runs of blank lines one, string
        // values quoted, byte counts in mb, new lines under the signature.
        assert!(
            new.starts_with(
                "# top comment\nport 7000\nhz 30\n\n# keep me\n# ??? unknown-thing yes\n\
                 dbfilename \"dump.rdb\"\nsave 100 1\n\nsave 200 2\n\n# Generated by CONFIG REWRITE\n"
            ),
            "{new}"
        );
        for line in [
            &format!("\ndir \"{cwd}\"\n"),
            "\nrequirepass \"a\\\"b\"\n",
            "\nmaxmemory 1mb\n",
            "\nlatency-tracking-info-percentiles 50 99 99.9\n",
        ] {
            assert!(new.contains(line), "{line} in {new}");
        }
        // The next rewrite changes nothing but the blank line a file
        // ending in a newline gains (as Redis's), and none after that.
        let again = c.rewrite_text(&new);
        assert_eq!(again, format!("{new}\n"));
        assert_eq!(c.rewrite_text(&again), again);
    }

    #[test]
    fn file_and_flags_share_the_table() {
        let mut c = Config::default();
        c.load_text("# comment\nport 7000\nsave \"\"\nappendonly no\nappendfsync always\nhash-max-ziplist-entries 64\n").unwrap();
        assert_eq!(c.port, 7000);
        assert_eq!(c.save, "");
        assert_eq!(c.appendfsync, "always");
        assert_eq!(c.hash_max_listpack_entries, 64);
        assert!(c.load_text("port 70000").is_err());
        assert!(c.load_text("nosuch 1").is_err());
        assert_eq!(parse_memory("1gb"), Some(1 << 30));
        assert_eq!(parse_memory("64mb"), Some(64 << 20));
        assert_eq!(parse_memory(""), Some(0));
        assert_eq!(parse_memory("99999999999999999999"), Some(u64::MAX));
        assert_eq!(parse_memory("1.5"), None);
        assert_eq!(parse_memory("-1"), None);
    }
}
