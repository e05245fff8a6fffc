//! DEBUG (Redis's debug.c): the dataset digest Redis computes (so the same
//! data gives the same digest here and there), object details, the RESP3
//! protocol samples, and the test hooks (SLEEP, RELOAD, PAUSE-CRON, ...).
//! Allowed only as `enable-debug-command` says (checked in call.rs).

use super::args::{parse_i64, parse_positive, reply_help, subcommand_syntax_error};
use super::{CmdResult, ReplyError};
use crate::client::Client;
use crate::scripting::sha1::sha1;
use crate::server::Server;
use crate::types::Value;

// ---------------------------------------------------------------------
// The dataset digest (xorDigest / mixDigest / xorObjectDigest)
// ---------------------------------------------------------------------

/// digest ^= SHA1(data): order does not matter.
fn xor_digest(digest: &mut [u8; 20], data: &[u8]) {
    for (d, h) in digest.iter_mut().zip(sha1(data)) {
        *d ^= h;
    }
}

/// digest = SHA1(digest ^ SHA1(data)): order matters.
fn mix_digest(digest: &mut [u8; 20], data: &[u8]) {
    xor_digest(digest, data);
    *digest = sha1(&digest[..]);
}

/// Redis's OBJ_* type numbers.
fn type_code(v: &Value) -> u32 {
    match v {
        Value::List(_) => 1,
        Value::Set(_) => 2,
        Value::ZSet(_) => 3,
        Value::Hash(_) => 4,
        Value::Stream(_) => 6,
        _ => 0,
    }
}

/// xorObjectDigest: one value's digest mixed into `digest`.
fn object_digest(digest: &mut [u8; 20], v: &Value, has_expire: bool) {
    mix_digest(digest, &type_code(v).to_be_bytes());
    match v {
        Value::List(l) => {
            for e in l.iter() {
                mix_digest(digest, e);
            }
        }
        Value::Set(s) => {
            for m in s.iter() {
                xor_digest(digest, &m.to_vec());
            }
        }
        Value::ZSet(z) => {
            for (m, score) in z.iter_asc() {
                let mut ele = [0u8; 20];
                mix_digest(&mut ele, m);
                mix_digest(&mut ele, crate::util::num::fmt_g17(score).as_bytes());
                xor_digest(digest, &ele);
            }
        }
        Value::Hash(h) => {
            for (f, val) in h.iter() {
                let mut ele = [0u8; 20];
                mix_digest(&mut ele, f);
                mix_digest(&mut ele, val);
                xor_digest(digest, &ele);
            }
        }
        Value::Stream(st) => {
            let (min, max) = (
                crate::types::stream::StreamId { ms: 0, seq: 0 },
                crate::types::stream::StreamId {
                    ms: u64::MAX,
                    seq: u64::MAX,
                },
            );
            st.range(min, max, false, |e| {
                mix_digest(digest, format!("{}.{}", e.id.ms, e.id.seq).as_bytes());
                for (f, val) in e.fields() {
                    mix_digest(digest, &f.to_vec());
                    mix_digest(digest, &val.to_vec());
                }
                true
            });
        }
        s => {
            let mut scratch = [0u8; 20];
            mix_digest(digest, s.str_bytes(&mut scratch));
        }
    }
    if has_expire {
        xor_digest(digest, b"!!expire!!");
    }
}

/// computeDatasetDigest: every database's keys, each key-value digest
/// xored in (so key order does not matter), each database's number mixed
/// in first.
pub fn dataset_digest(s: &Server) -> [u8; 20] {
    let mut fin = [0u8; 20];
    for db in 0..s.db_count() {
        let d = s.db(db);
        if d.dict.is_empty() {
            continue;
        }
        mix_digest(&mut fin, &(db as u32).to_be_bytes());
        for e in d.dict.iter() {
            let mut digest = [0u8; 20];
            mix_digest(&mut digest, e.key.as_bytes());
            let has_expire = d.expires.contains_key(e.key.as_bytes());
            object_digest(&mut digest, &e.value.value, has_expire);
            xor_digest(&mut fin, &digest);
        }
    }
    fin
}

fn hex(d: &[u8; 20]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

// ---------------------------------------------------------------------
// DEBUG
// ---------------------------------------------------------------------

pub fn debug_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let sub = c.argv[1].to_ascii_lowercase();
    let argc = c.argv.len();
    match (sub.as_slice(), argc) {
        (b"sleep", 3) => {
            // strtod's prefix, as Redis reads it (junk sleeps 0).
            let secs = crate::util::num::strtod(&c.argv[2]).0;
            if secs > 0.0 {
                std::thread::sleep(std::time::Duration::from_secs_f64(secs));
            }
            c.reply.ok();
        }
        (b"populate", 3..=5) => debug_populate(s, c)?,
        (b"set-skip-checksum-validation", 3) => {
            crate::persistence::rdb::set_skip_checksum_validation(parse_i64(&c.argv[2])? != 0);
            c.reply.ok();
        }
        (b"lazyfree-hold", 3) => {
            // miniredis's own hook: hold the lazy-free thread (tests).
            crate::lazyfree::set_hold(parse_i64(&c.argv[2])? != 0);
            c.reply.ok();
        }
        (b"pause-cron", 3) => {
            s.pause_cron = parse_i64(&c.argv[2])? != 0;
            c.reply.ok();
        }
        (b"replybuffer", 4) => {
            // Redis's DEBUG REPLYBUFFER: how the cron resizes reply buffers
            // (the rbs= CLIENT LIST shows).
            let what = c.argv[2].to_ascii_lowercase();
            match what.as_slice() {
                b"peak-reset-time" => {
                    let v = c.argv[3].to_ascii_lowercase();
                    s.reply_buffer_peak_reset_time = match v.as_slice() {
                        b"never" => -1,
                        b"reset" => crate::server::REPLY_BUFFER_DEFAULT_PEAK_RESET_TIME,
                        _ => parse_i64(&c.argv[3])?,
                    };
                }
                b"resizing" => {
                    // atoi: the leading digits, 0 when none.
                    let a = &c.argv[3];
                    let neg = a.first() == Some(&b'-');
                    let nonzero = a
                        .iter()
                        .skip(usize::from(neg || a.first() == Some(&b'+')))
                        .take_while(|b| b.is_ascii_digit())
                        .any(|&b| b != b'0');
                    s.reply_buffer_resizing = nonzero;
                }
                _ => return Err(subcommand_syntax_error(c)),
            }
            c.reply.ok();
        }
        (b"set-active-expire", 3) => {
            s.active_expire_enabled = parse_i64(&c.argv[2])? != 0;
            c.reply.ok();
        }
        (b"quicklist-packed-threshold", 3) => {
            // Lists are stored our own way; the threshold decides which
            // elements their RDB and DUMP form gives PLAIN nodes.
            match crate::config::parse_memory(&String::from_utf8_lossy(&c.argv[2])) {
                Some(v) if v <= (1u64 << 32) - (1 << 20) => {
                    crate::persistence::rdb::LIST_PACKED_THRESHOLD
                        .store(v as usize, std::sync::atomic::Ordering::Relaxed);
                    c.reply.ok()
                }
                _ => {
                    return Err(ReplyError::new(
                        "ERR argument must be a memory value bigger than 1 and smaller than 4gb",
                    ));
                }
            }
        }
        (b"change-repl-id", 2) => {
            s.run_id = (0..40)
                .map(|_| format!("{:x}", crate::util::rand::below(16)))
                .collect();
            c.reply.ok();
        }
        (b"log", 3) => {
            log::warn!("DEBUG LOG: {}", String::from_utf8_lossy(&c.argv[2]));
            c.reply.ok();
        }
        (b"digest", 2) => {
            let d = dataset_digest(s);
            c.reply.status(&hex(&d));
        }
        (b"digest-value", _) => {
            c.reply.array_len(argc - 2);
            for i in 2..argc {
                let mut digest = [0u8; 20];
                // Logically expired keys too, as Redis reads the table.
                let has_expire = s.get_expire(c.db, &c.argv[i]).is_some();
                if let Some(o) = s.peek(c.db, &c.argv[i]) {
                    object_digest(&mut digest, &o.value, has_expire);
                }
                c.reply.status(&hex(&digest));
            }
        }
        (b"object", 3) => debug_object(s, c)?,
        (b"protocol", 3) => debug_protocol(c)?,
        // Replayed from a file (an AOF written before these were kept out
        // of it), they would load the file again inside its own load.
        (b"loadaof", _) | (b"reload", _) if s.loading => {
            return Err(ReplyError::new(
                "ERR DEBUG LOADAOF and RELOAD are not run while loading",
            ));
        }
        (b"reload", _) => {
            // Save, flush, load: the round trip tests rely on; NOSAVE,
            // NOFLUSH and MERGE (what the file holds replaces what is here)
            // as Redis's.
            let (mut save, mut flush, mut merge) = (true, true, false);
            for opt in &c.argv[2..] {
                match opt.to_ascii_lowercase().as_slice() {
                    b"merge" => merge = true,
                    b"noflush" => flush = false,
                    b"nosave" => save = false,
                    _ => {
                        return Err(ReplyError::new(
                            "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.",
                        ));
                    }
                }
            }
            if save {
                s.rdb_save().map_err(|e| {
                    ReplyError::owned(format!("ERR Error trying to save the DB: {e}"))
                })?;
            }
            if flush {
                // A restore from disk invalidates every WATCH on what it
                // replaces; Redis's emptyData takes the libraries too.
                s.flush_all();
                s.functions_flush();
            }
            if let Err(e) = s.rdb_load_merging(merge) {
                log::warn!("DEBUG RELOAD: {e}");
                return Err(ReplyError::new("ERR Error trying to load the RDB dump"));
            }
            log::warn!("DB reloaded by DEBUG RELOAD");
            // What was loaded is no change to propagate or save.
            s.dirty = 0;
            s.prevent_command_propagation();
            c.reply.ok();
        }
        (b"set-disable-deny-scripts", 3) => {
            s.script_disable_deny_script =
                crate::util::num::string2ll(&c.argv[2]).unwrap_or(0) != 0;
            c.reply.ok();
        }
        (b"loadaof", 2) => {
            // Redis's DEBUG LOADAOF: what the AOF holds now replaces the
            // dataset (AOF round-trip tests). Redis exits on a file it
            // cannot load; we answer the error and keep serving.
            if let Some(aof) = s.aof.as_mut() {
                aof.shutdown()
                    .map_err(|e| ReplyError::owned(format!("ERR Error writing the AOF: {e}")))?;
            }
            s.flush_all();
            s.functions_flush();
            use crate::aof::{Layout, load};
            let loaded = match Layout::of(&s.config) {
                Layout::Dir { dir, filename } => {
                    load::load_dir(s, &dir, &filename, load::LoadOpts::default())
                }
                Layout::Single { path } => load::load_single(s, &path, load::LoadOpts::default()),
            };
            loaded.map_err(|e| ReplyError::owned(format!("ERR Error loading the AOF: {e}")))?;
            log::warn!("Append Only File loaded by DEBUG LOADAOF");
            // Nothing goes out (Redis's `server.dirty = 0`): propagated, the
            // command itself would land in the AOF and load it again,
            // forever.
            s.dirty = 0;
            s.prevent_command_propagation();
            c.reply.ok();
        }
        (b"aof-crash", 2) => {
            // Test hook: lose what a power cut would lose, then die.
            if let Some(aof) = s.aof.as_ref() {
                let _ = aof.drop_unsynced();
            }
            std::process::exit(1);
        }
        (b"help", _) => reply_help(
            c,
            "DEBUG",
            &[
                "AOF-CRASH",
                "    Cut the AOF back to its fsynced length and exit at once (crash tests).",
                "CHANGE-REPL-ID",
                "    Change the replication IDs of the instance.",
                "DIGEST",
                "    Output a hex signature of the whole dataset (Redis's digest).",
                "DIGEST-VALUE <key> [<key> ...]",
                "    Output a hex signature of the values of the given keys.",
                "LOADAOF",
                "    Flush the AOF buffers on disk and reload the AOF in memory.",
                "LOG <message>",
                "    Write <message> to the server log.",
                "LAZYFREE-HOLD <0|1>",
                "    Hold or release the lazy-free thread (miniredis: for tests).",
                "POPULATE <count> [<prefix>] [<size>]",
                "    Create <count> string keys named key:<num>. If <prefix> is specified then",
                "    it is used instead of the 'key' prefix. These are not propagated to",
                "    replicas. Cache the values as 'value:<num>' unless <size> is given.",
                "OBJECT <key>",
                "    Show low-level information about the key and its value.",
                "PAUSE-CRON <0|1>",
                "    Stop or resume the server's periodic tasks.",
                "PROTOCOL <type>",
                "    Reply with a sample of a RESP type: string, integer, double, bignum,",
                "    null, array, set, map, attrib, push, verbatim, true, false.",
                "QUICKLIST-PACKED-THRESHOLD <size>",
                "    Elements of <size> bytes or more get PLAIN nodes in RDB and DUMP payloads.",
                "REPLYBUFFER PEAK-RESET-TIME <NEVER||RESET|time>",
                "    Reset the reply buffers' peak size after <time> ms (NEVER, or RESET to the default).",
                "REPLYBUFFER RESIZING <0|1>",
                "    Turn the cron's reply buffer resizing off or on.",
                "RELOAD [option ...]",
                "    Save the RDB, empty the databases and load the RDB back. Options:",
                "    * MERGE: what the RDB holds replaces what is loaded already.",
                "    * NOFLUSH: keep the current data (with MERGE: merge the two).",
                "    * NOSAVE: load the RDB on disk as it is.",
                "SET-ACTIVE-EXPIRE <0|1>",
                "    Turn the active expiry cycle off or on (lazy expiry always runs).",
                "SET-DISABLE-DENY-SCRIPTS <0|1>",
                "    Let scripts call commands flagged noscript (for tests).",
                "SET-SKIP-CHECKSUM-VALIDATION <0|1>",
                "    Enables or disables checksum checks for RESTORE's and FUNCTION RESTORE's payloads.",
                "SLEEP <seconds>",
                "    Stop the server for <seconds> (a float).",
            ],
        ),
        _ => return Err(subcommand_syntax_error(c)),
    }
    Ok(())
}

/// DEBUG OBJECT key: the value's address, refcount, encoding, RDB length
/// and LRU clock, as Redis prints them.
fn debug_object(s: &mut Server, c: &mut Client) -> CmdResult {
    let lim = s.config.list_max_listpack_size;
    let compress = s.config.list_compress_depth;
    let compression = s.config.rdbcompression;
    let now = s.now_ms;
    let Some(o) = s.peek(c.db, &c.argv[2]) else {
        return Err(ReplyError::new("ERR no such key"));
    };
    let encoding = o.value.encoding();
    // Small integers are Redis's shared objects.
    let refcount: i64 = match o.value.as_int() {
        Some(n) if (0..10000).contains(&n) && !crate::db::lfu_mode() => 2147483647,
        _ => 1,
    };
    let serialized = crate::persistence::snapshot::with_save_value(&o.value, |sv| {
        crate::persistence::rdb::dump_payload(sv, compression)
    })
    .map(|p| p.len().saturating_sub(11))
    .unwrap_or(0);
    let mut extra = String::new();
    if let Value::List(l) = &o.value
        && encoding == "quicklist"
    {
        let nodes = l.node_count().max(1);
        extra = format!(
            " ql_nodes:{} ql_avg_node:{:.2} ql_listpack_max:{} ql_compressed:{} ql_uncompressed_size:{}",
            nodes,
            l.len() as f64 / nodes as f64,
            lim,
            (compress != 0) as u8,
            l.nodes_bytes()
        );
    }
    let idle = crate::db::lru_clock(now).saturating_sub(o.lru);
    let line = format!(
        "Value at:{:p} refcount:{} encoding:{} serializedlength:{} lru:{} lru_seconds_idle:{}{}",
        o as *const _,
        refcount,
        encoding,
        serialized,
        o.lru & 0xFF_FFFF,
        idle,
        extra
    );
    c.reply.status(&line);
    Ok(())
}

/// DEBUG PROTOCOL type: one sample reply of each RESP type.
fn debug_protocol(c: &mut Client) -> CmdResult {
    let name = c.argv[2].to_ascii_lowercase();
    let r = &mut c.reply;
    let resp3 = r.resp >= 3;
    match name.as_slice() {
        b"string" => r.bulk(b"Hello World"),
        b"integer" => r.int(12345),
        #[allow(clippy::approx_constant)]
        b"double" => r.double(3.141),
        b"bignum" => {
            let n = "1234567999999999999999999999999999999";
            if resp3 {
                r.raw(format!("({n}\r\n").as_bytes());
            } else {
                r.bulk(n.as_bytes());
            }
        }
        b"null" => r.null(),
        b"array" => {
            r.array_len(3);
            for i in 0..3 {
                r.int(i);
            }
        }
        b"set" => {
            r.set_len(3);
            for i in 0..3 {
                r.int(i);
            }
        }
        b"map" => {
            r.map_len(3);
            for i in 0..3 {
                r.int(i);
                r.bool(i == 1);
            }
        }
        b"attrib" => {
            if resp3 {
                r.raw(b"|1\r\n");
                r.bulk(b"key-popularity");
                r.array_len(2);
                r.bulk(b"key:123");
                r.int(90);
            }
            // The attribute annotates this reply.
            r.bulk(b"Some real reply following the attribute");
        }
        b"push" => {
            if !resp3 {
                return Err(ReplyError::new(
                    "ERR RESP2 is not supported by this command",
                ));
            }
            r.push_len(2);
            r.bulk(b"server-cpu-usage");
            r.int(42);
            // Push frames come with a reply of their own.
            r.bulk(b"Some real reply following the push reply");
        }
        b"true" => r.bool(true),
        b"false" => r.bool(false),
        b"verbatim" => r.verbatim(b"This is a verbatim\nstring"),
        _ => {
            return Err(ReplyError::new(
                "ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false",
            ));
        }
    }
    Ok(())
}

/// DEBUG POPULATE count [prefix] [size] (Redis's debug.c): `prefix:N` keys
/// (prefix `key`) holding `value:N`, or that text cut or zero-padded to
/// `size` bytes; keys already there are left alone. Like Redis it neither
/// propagates nor counts as a change.
fn debug_populate(s: &mut Server, c: &mut Client) -> CmdResult {
    let keys = parse_positive(&c.argv[2])?;
    let size = match c.argv.get(4) {
        Some(a) => parse_positive(a)? as usize,
        None => 0,
    };
    // Redis would try to allocate any size; a value past the largest bulk a
    // client may send is refused rather than risk the process.
    if size as u64 > s.config.proto_max_bulk_len {
        return Err(ReplyError::new("ERR value is out of range"));
    }
    // Redis formats into a 128-byte buffer with %s: the prefix stops at a
    // NUL and the name at 127 bytes.
    let prefix: Vec<u8> = match c.argv.get(3) {
        Some(p) => p.split(|&b| b == 0).next().unwrap_or_default().to_vec(),
        None => b"key".to_vec(),
    };
    if s.db(c.db).is_empty() {
        s.db_mut(c.db).dict.reserve(keys as u64);
    }
    let mut key = Vec::with_capacity(prefix.len() + 21);
    for j in 0..keys {
        key.clear();
        key.extend_from_slice(&prefix);
        key.extend_from_slice(format!(":{j}").as_bytes());
        key.truncate(127);
        if s.lookup_write(c.db, &key).is_some() {
            continue;
        }
        let text = format!("value:{j}").into_bytes();
        let value = if size == 0 {
            Value::from_bytes(&text)
        } else {
            let mut v = vec![0u8; size];
            let n = size.min(text.len());
            v[..n].copy_from_slice(&text[..n]);
            Value::from_vec(v)
        };
        s.db_add(c.db, &key, value);
        s.signal_modified_key(c.db, &key);
    }
    c.reply.ok();
    Ok(())
}
