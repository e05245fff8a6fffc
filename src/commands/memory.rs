//! MEMORY USAGE, STATS, DOCTOR, MALLOC-STATS, PURGE and HELP (Redis's
//! memoryCommand in object.c), and the memory breakdown INFO memory and
//! MEMORY STATS share (getMemoryOverheadData).

use super::args::{is, parse_i64, reply_help};
use super::{CmdResult, SYNTAX_ERR};
use crate::client::Client;
use crate::server::Server;
use crate::types::Value;

/// Redis's OBJ_COMPUTE_SIZE_DEF_SAMPLES.
const DEFAULT_SAMPLES: usize = 5;
/// What the keyspace spends on an entry besides the key and value bytes:
/// the table entry, the key's header, the object.
const ENTRY_OVERHEAD: usize = 48;

/// Bytes a value takes, estimated as Redis's objectComputeSize does:
/// strings exactly, collections from the average of up to `samples`
/// elements times their count.
fn value_size(v: &Value, samples: usize) -> usize {
    fn estimate(n: usize, samples: usize, it: impl Iterator<Item = usize>, per: usize) -> usize {
        let mut seen = 0;
        let mut sum = 0;
        for len in it.take(samples) {
            sum += len + per;
            seen += 1;
        }
        (sum * n).checked_div(seen).unwrap_or(0)
    }
    match v {
        Value::Int(_) => 0,
        Value::Small(..) => 16,
        Value::Emb(b) | Value::Raw(b) => b.capacity() + 24,
        Value::List(l) => 32 + estimate(l.len(), samples, l.iter().map(|e| e.len()), 2),
        Value::Hash(h) => {
            32 + estimate(
                h.len(),
                samples,
                h.iter().map(|(f, v)| f.len() + v.len()),
                8,
            )
        }
        Value::Set(s) => 32 + estimate(s.len(), samples, s.iter().map(|m| m.to_vec().len()), 8),
        Value::ZSet(z) => 32 + estimate(z.len(), samples, z.iter_asc().map(|(m, _)| m.len()), 24),
        Value::Stream(st) => {
            64 + st.nodes_bytes()
                + st.cgroups
                    .values()
                    .map(|g| 64 + g.pel.len() * 48 + g.consumers.len() * 64)
                    .sum::<usize>()
        }
    }
}

pub fn memory_usage_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let mut samples = DEFAULT_SAMPLES;
    let mut j = 3;
    while j < c.argv.len() {
        if is(&c.argv[j], "samples") && j + 1 < c.argv.len() {
            let n = parse_i64(&c.argv[j + 1])?;
            if n < 0 {
                return Err(SYNTAX_ERR);
            }
            samples = if n == 0 { usize::MAX } else { n as usize };
            j += 2;
        } else {
            return Err(SYNTAX_ERR);
        }
    }
    let key_len = c.argv[2].len();
    match s.lookup_notouch(c.db, &c.argv[2]) {
        None => c.reply.null(),
        Some(o) => c
            .reply
            .int((value_size(&o.value, samples) + key_len + ENTRY_OVERHEAD) as i64),
    }
    Ok(())
}

/// Redis's getMemoryDoctorReport: too little memory to judge under 5 MB;
/// otherwise no issue is reported (the peak, fragmentation and big-buffer
/// checks are not made).
pub fn memory_doctor_command(_: &mut Server, c: &mut Client) -> CmdResult {
    if crate::alloc::used_memory() < 5 * 1024 * 1024 {
        c.reply.verbatim(
            b"Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n",
        );
    } else {
        c.reply.verbatim(
            b"Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n",
        );
    }
    Ok(())
}

pub fn memory_malloc_stats_command(_: &mut Server, c: &mut Client) -> CmdResult {
    c.reply
        .verbatim(b"Stats not supported for the current allocator");
    Ok(())
}

/// MEMORY PURGE: free heap pages go back to the kernel (Redis asks
/// jemalloc to purge its dirty pages).
pub fn memory_purge_command(_: &mut Server, c: &mut Client) -> CmdResult {
    crate::alloc::release_free_memory();
    c.reply.ok();
    Ok(())
}

pub fn memory_help_command(_: &mut Server, c: &mut Client) -> CmdResult {
    reply_help(
        c,
        "MEMORY",
        &[
            "DOCTOR",
            "    Return memory problems reports.",
            "MALLOC-STATS",
            "    Return internal statistics report from the memory allocator.",
            "PURGE",
            "    Attempt to purge dirty pages for reclamation by the allocator.",
            "STATS",
            "    Return information about the memory usage of the server.",
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value. Nested values are",
            "    sampled up to <count> times (default: 5, 0 means sample all).",
        ],
    );
    Ok(())
}

/// One database's table overhead (MEMORY STATS db.N).
pub struct DbOverhead {
    pub db: usize,
    pub main: usize,
    pub expires: usize,
}

/// Where memory goes (Redis's redisMemOverhead): what the server itself
/// holds (startup, clients, AOF buffer, script caches, the keyspace's
/// tables) against the dataset, and the allocator and RSS ratios.
pub struct MemOverhead {
    pub total_allocated: usize,
    pub startup_allocated: usize,
    pub peak_allocated: usize,
    pub clients_normal: usize,
    pub aof_buffer: usize,
    pub lua_caches: usize,
    pub functions_caches: usize,
    pub dbs: Vec<DbOverhead>,
    pub overhead_total: usize,
    pub total_keys: usize,
    pub dataset: usize,
    pub dataset_perc: f64,
    pub peak_perc: f64,
    pub bytes_per_key: usize,
    /// The allocator's view: allocated (what was asked for), active and
    /// resident. The counting allocator knows the first; the process RSS
    /// stands for the others.
    pub allocator_allocated: usize,
    pub allocator_active: usize,
    pub allocator_resident: usize,
    pub rss: usize,
}

impl MemOverhead {
    pub fn allocator_frag(&self) -> f64 {
        self.allocator_active as f64 / self.allocator_allocated.max(1) as f64
    }
    pub fn allocator_frag_bytes(&self) -> i64 {
        self.allocator_active as i64 - self.allocator_allocated as i64
    }
    pub fn allocator_rss(&self) -> f64 {
        self.allocator_resident as f64 / self.allocator_active.max(1) as f64
    }
    pub fn allocator_rss_bytes(&self) -> i64 {
        self.allocator_resident as i64 - self.allocator_active as i64
    }
    pub fn rss_extra(&self) -> f64 {
        self.rss as f64 / self.allocator_resident.max(1) as f64
    }
    pub fn rss_extra_bytes(&self) -> i64 {
        self.rss as i64 - self.allocator_resident as i64
    }
    pub fn total_frag(&self) -> f64 {
        self.rss as f64 / self.total_allocated.max(1) as f64
    }
    pub fn total_frag_bytes(&self) -> i64 {
        self.rss as i64 - self.total_allocated as i64
    }
}

/// A client's memory as Redis counts it (getClientMemoryUsage): its
/// buffers, arguments and queued transaction, plus the struct.
pub fn client_memory(c: &Client) -> usize {
    std::mem::size_of::<Client>()
        + c.query.buf.capacity()
        + c.reply.buf.capacity()
        + c.argv.iter().map(|a| a.capacity() + 24).sum::<usize>()
        + c.mstate
            .as_ref()
            .map_or(0, |q| q.iter().flatten().map(|a| a.capacity() + 24).sum())
}

/// getMemoryOverheadData.
pub fn memory_overhead(s: &Server, running: Option<&Client>) -> MemOverhead {
    let used = crate::alloc::used_memory();
    let rss = crate::alloc::cron_rss();
    let startup = s.initial_memory_usage;
    let mut total = startup;
    let clients_normal = s
        .clients
        .iter()
        .flatten()
        .map(|c| &**c)
        .chain(running)
        .map(client_memory)
        .sum::<usize>();
    total += clients_normal;
    let aof_buffer = s.aof.as_ref().map_or(0, |a| a.buf.capacity());
    total += aof_buffer;
    let lua_caches = s.scripting.scripts_mem;
    total += lua_caches;
    let functions_caches = s
        .scripting
        .functions
        .libraries
        .values()
        .map(|l| l.code.len() + 64)
        .sum::<usize>()
        + s.scripting.functions.num_functions() * 64;
    total += functions_caches;
    let mut dbs = Vec::new();
    let mut total_keys = 0;
    for db in 0..s.db_count() {
        let d = s.db(db);
        let keys = d.dict.len();
        if keys == 0 {
            continue;
        }
        total_keys += keys;
        // Entry (24), bucket pointer (8) and object header (16) per key,
        // as Redis counts its dictEntry, table slots and robj.
        let main = keys * 24 + d.dict.slots() * 8 + keys * 16;
        let expires = d.expires.len() * 24 + d.expires.slots() * 8;
        total += main + expires;
        dbs.push(DbOverhead { db, main, expires });
    }
    let peak = crate::alloc::peak_memory().max(used);
    let net = if used > startup { used - startup } else { 1 };
    let dataset = used.saturating_sub(total);
    MemOverhead {
        total_allocated: used,
        startup_allocated: startup,
        peak_allocated: peak,
        clients_normal,
        aof_buffer,
        lua_caches,
        functions_caches,
        dbs,
        overhead_total: total,
        total_keys,
        dataset,
        dataset_perc: dataset as f64 * 100.0 / net as f64,
        peak_perc: used as f64 * 100.0 / peak.max(1) as f64,
        bytes_per_key: net.checked_div(total_keys).unwrap_or(0),
        allocator_allocated: used,
        allocator_active: used,
        allocator_resident: rss,
        rss,
    }
}

/// MEMORY STATS: the breakdown as a map.
pub fn memory_stats_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let mh = memory_overhead(s, Some(c));
    let r = &mut c.reply;
    r.map_len(27 + mh.dbs.len());
    let int = |r: &mut crate::resp::reply::ReplyBuf, k: &str, v: i64| {
        r.bulk_str(k);
        r.int(v);
    };
    int(r, "peak.allocated", mh.peak_allocated as i64);
    int(r, "total.allocated", mh.total_allocated as i64);
    int(r, "startup.allocated", mh.startup_allocated as i64);
    int(r, "replication.backlog", 0);
    int(r, "clients.slaves", 0);
    int(r, "clients.normal", mh.clients_normal as i64);
    int(r, "cluster.links", 0);
    int(r, "aof.buffer", mh.aof_buffer as i64);
    int(r, "lua.caches", mh.lua_caches as i64);
    int(r, "functions.caches", mh.functions_caches as i64);
    for d in &mh.dbs {
        r.bulk_str(&format!("db.{}", d.db));
        r.map_len(3);
        int(r, "overhead.hashtable.main", d.main as i64);
        int(r, "overhead.hashtable.expires", d.expires as i64);
        int(r, "overhead.hashtable.slot-to-keys", 0);
    }
    int(r, "overhead.total", mh.overhead_total as i64);
    int(r, "keys.count", mh.total_keys as i64);
    int(r, "keys.bytes-per-key", mh.bytes_per_key as i64);
    int(r, "dataset.bytes", mh.dataset as i64);
    r.bulk_str("dataset.percentage");
    r.double(mh.dataset_perc as f32 as f64);
    r.bulk_str("peak.percentage");
    r.double(mh.peak_perc as f32 as f64);
    int(r, "allocator.allocated", mh.allocator_allocated as i64);
    int(r, "allocator.active", mh.allocator_active as i64);
    int(r, "allocator.resident", mh.allocator_resident as i64);
    r.bulk_str("allocator-fragmentation.ratio");
    r.double(mh.allocator_frag() as f32 as f64);
    int(
        r,
        "allocator-fragmentation.bytes",
        mh.allocator_frag_bytes(),
    );
    r.bulk_str("allocator-rss.ratio");
    r.double(mh.allocator_rss() as f32 as f64);
    int(r, "allocator-rss.bytes", mh.allocator_rss_bytes());
    r.bulk_str("rss-overhead.ratio");
    r.double(mh.rss_extra() as f32 as f64);
    int(r, "rss-overhead.bytes", mh.rss_extra_bytes());
    r.bulk_str("fragmentation");
    r.double(mh.total_frag() as f32 as f64);
    int(r, "fragmentation.bytes", mh.total_frag_bytes());
    Ok(())
}

/// The machine's memory (total_system_memory), from /proc/meminfo.
/// Read once, as Redis does at startup: /proc/meminfo costs the kernel
/// tens of microseconds per read, paid inside every INFO memory.
pub fn total_system_memory() -> u64 {
    static TOTAL: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *TOTAL.get_or_init(read_total_system_memory)
}

fn read_total_system_memory() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}
