//! Group `generic`: DEL, EXISTS, TYPE, KEYS, SCAN, RANDOMKEY, RENAME*,
//! COPY, MOVE, TOUCH, the EXPIRE/TTL family and OBJECT (Redis's db.c,
//! expire.c and object.c commands).

use super::args::{is, parse_i64, parse_scan_cursor, parse_scan_opts, reply_help};
use super::{CmdResult, DB_INDEX_ERR, NO_SUCH_KEY_ERR, ReplyError, SYNTAX_ERR};
use crate::client::Client;
use crate::notify;
use crate::server::Server;
use crate::types::Value;
use crate::util::glob::string_match;

const SAME_OBJECT_ERR: ReplyError =
    ReplyError::new("ERR source and destination objects are the same");

pub fn del_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let lazy = s.config.lazyfree_lazy_user_del;
    del_generic(s, c, lazy)
}

/// DEL and UNLINK (Redis's delGenericCommand): UNLINK always frees big
/// values on the lazy-free thread, DEL under lazyfree-lazy-user-del.
fn del_generic(s: &mut Server, c: &mut Client, lazy: bool) -> CmdResult {
    let mut n = 0;
    for i in 1..c.argv.len() {
        if s.delete_key_lazy(c.db, &c.argv[i], lazy) {
            // Only a key that was there changed (a WATCH on a missing one
            // survives, as in Redis's delGenericCommand).
            s.signal_modified_key(c.db, &c.argv[i]);
            s.notify_keyspace_event(notify::GENERIC, "del", &c.argv[i], c.db);
            n += 1;
        }
    }
    s.keys_signalled = true;
    s.dirty += n as u64;
    c.reply.int(n);
    Ok(())
}

pub fn unlink_command(s: &mut Server, c: &mut Client) -> CmdResult {
    del_generic(s, c, true)
}

pub fn exists_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let n = (1..c.argv.len())
        .filter(|&i| s.lookup_notouch_or_miss(c.db, &c.argv[i]).is_some())
        .count();
    c.reply.int(n as i64);
    Ok(())
}

pub fn touch_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let n = (1..c.argv.len())
        .filter(|&i| s.lookup_read(c.db, &c.argv[i]).is_some())
        .count();
    c.reply.int(n as i64);
    Ok(())
}

pub fn type_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let t = s
        .lookup_notouch_or_miss(c.db, &c.argv[1])
        .map(|o| o.value.type_name())
        .unwrap_or("none");
    c.reply.status(t);
    Ok(())
}

pub fn keys_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let pattern = &c.argv[1];
    let all = pattern.as_slice() == b"*";
    let db = s.db(c.db);
    let now = s.now_ms;
    let d = c.reply.deferred();
    let mut n = 0;
    for e in db.dict.iter() {
        if (all || string_match(pattern, &e.key, false)) && !db.key_is_expired(&e.key, now) {
            c.reply.bulk(&e.key);
            n += 1;
        }
    }
    c.reply.set_deferred_array_len(d, n);
    Ok(())
}

pub fn scan_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let mut cursor = parse_scan_cursor(&c.argv[1])?;
    let opts = parse_scan_opts(&c.argv, 2, true)?;
    let mut keys: Vec<Vec<u8>> = Vec::new();
    let dict = &s.db(c.db).dict;
    let mut maxiter = opts.count.saturating_mul(10);
    loop {
        cursor = dict.scan(cursor, |e| keys.push(e.key.to_vec()));
        if cursor == 0 || maxiter == 0 || keys.len() >= opts.count {
            break;
        }
        maxiter -= 1;
    }
    let mut out = Vec::with_capacity(keys.len());
    for k in keys {
        if let Some(p) = &opts.pattern
            && !string_match(p, &k, false)
        {
            continue;
        }
        if let Some(t) = &opts.type_name {
            let ty = s
                .lookup_notouch(c.db, &k)
                .map(|o| o.value.type_name())
                .unwrap_or("none");
            if !t.eq_ignore_ascii_case(ty.as_bytes()) {
                continue;
            }
        }
        if s.expire_if_needed(c.db, &k) {
            continue;
        }
        out.push(k);
    }
    c.reply.array_len(2);
    c.reply.bulk(cursor.to_string().as_bytes());
    c.reply.array_len(out.len());
    for k in out {
        c.reply.bulk(&k);
    }
    Ok(())
}

pub fn randomkey_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let mut tries = 0;
    loop {
        match s.db(c.db).random_key(s.now_ms) {
            None => {
                c.reply.null();
                return Ok(());
            }
            Some((key, expired)) => {
                // If every key is volatile and expired, give up and return
                // one rather than loop (Redis does the same after 100 tries).
                if expired && tries < 100 {
                    tries += 1;
                    s.expire_if_needed(c.db, &key);
                    continue;
                }
                c.reply.bulk(&key);
                return Ok(());
            }
        }
    }
}

fn rename_generic(s: &mut Server, c: &mut Client, nx: bool) -> CmdResult {
    let (src, dst) = (&c.argv[1], &c.argv[2]);
    if s.lookup_write(c.db, src).is_none() {
        return Err(NO_SUCH_KEY_ERR);
    }
    if src == dst {
        if nx {
            c.reply.int(0)
        } else {
            c.reply.ok()
        }
        return Ok(());
    }
    if s.lookup_write(c.db, dst).is_some() {
        if nx {
            c.reply.int(0);
            return Ok(());
        }
        s.db_delete(c.db, dst);
    }
    if let Some((obj, ttl)) = s.db_take(c.db, src) {
        s.db_add_object(c.db, dst, obj, ttl);
    }
    s.dirty += 1;
    s.notify_keyspace_event(notify::GENERIC, "rename_from", src, c.db);
    s.notify_keyspace_event(notify::GENERIC, "rename_to", dst, c.db);
    if nx {
        c.reply.int(1)
    } else {
        c.reply.ok()
    }
    Ok(())
}

pub fn rename_command(s: &mut Server, c: &mut Client) -> CmdResult {
    rename_generic(s, c, false)
}

pub fn renamenx_command(s: &mut Server, c: &mut Client) -> CmdResult {
    rename_generic(s, c, true)
}

/// A database number argument: an int, then in range.
fn parse_db_index(s: &Server, arg: &[u8]) -> Result<usize, ReplyError> {
    let id = super::args::parse_i32(arg)?;
    if id < 0 || id as usize >= s.db_count() {
        return Err(DB_INDEX_ERR);
    }
    Ok(id as usize)
}

pub fn copy_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let mut dst_db = c.db;
    let mut replace = false;
    let mut j = 3;
    while j < c.argv.len() {
        let more = c.argv.len() - j - 1;
        if is(&c.argv[j], "replace") {
            replace = true;
        } else if is(&c.argv[j], "db") && more >= 1 {
            dst_db = parse_db_index(s, &c.argv[j + 1])?;
            j += 1;
        } else {
            return Err(SYNTAX_ERR);
        }
        j += 1;
    }
    let (src, dst) = (&c.argv[1], &c.argv[2]);
    if dst_db == c.db && src == dst {
        return Err(SAME_OBJECT_ERR);
    }
    let Some(obj) = s.lookup_read(c.db, src).cloned() else {
        c.reply.int(0);
        return Ok(());
    };
    let ttl = s.get_expire(c.db, src);
    if s.lookup_write(dst_db, dst).is_some() {
        if !replace {
            c.reply.int(0);
            return Ok(());
        }
        s.db_delete(dst_db, dst);
    }
    s.db_add(dst_db, dst, obj.value);
    if let Some(o) = s.peek_mut(dst_db, dst) {
        o.unshared = true;
    }
    if let Some(t) = ttl {
        s.set_expire(dst_db, dst, t);
    }
    s.signal_modified_key(dst_db, dst);
    s.keys_signalled = true;
    s.dirty += 1;
    s.notify_keyspace_event(notify::GENERIC, "copy_to", dst, dst_db);
    c.reply.int(1);
    Ok(())
}

/// DUMP: the value as an RDB file holds it, the RDB version and a CRC64
/// (Redis's createDumpPayload); a missing key is a null.
pub fn dump_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let compress = s.config.rdbcompression;
    let Some(o) = s.lookup_read(c.db, &c.argv[1]) else {
        c.reply.null();
        return Ok(());
    };
    let payload = crate::persistence::snapshot::with_save_value(&o.value, |sv| {
        crate::persistence::rdb::dump_payload(sv, compress)
    })
    .map_err(|e| ReplyError::owned(format!("ERR {e}")))?;
    c.reply.bulk(&payload);
    Ok(())
}

/// RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f]
/// (Redis's restoreCommand): the payload's checksum and every byte of its
/// value are checked before anything changes.
pub fn restore_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let mut replace = false;
    let mut absttl = false;
    let mut idle: i64 = -1;
    let mut freq: i64 = -1;
    let mut j = 4;
    while j < c.argv.len() {
        let more = c.argv.len() - j - 1;
        if is(&c.argv[j], "replace") {
            replace = true;
        } else if is(&c.argv[j], "absttl") {
            absttl = true;
        } else if is(&c.argv[j], "idletime") && more >= 1 && freq == -1 {
            idle = parse_i64(&c.argv[j + 1])?;
            if idle < 0 {
                return Err(ReplyError::new("ERR Invalid IDLETIME value, must be >= 0"));
            }
            j += 1;
        } else if is(&c.argv[j], "freq") && more >= 1 && idle == -1 {
            freq = parse_i64(&c.argv[j + 1])?;
            if !(0..=255).contains(&freq) {
                return Err(ReplyError::new(
                    "ERR Invalid FREQ value, must be >= 0 and <= 255",
                ));
            }
            j += 1;
        } else {
            return Err(SYNTAX_ERR);
        }
        j += 1;
    }
    let db = c.db;
    let key = c.argv[1].clone();
    if !replace && s.lookup_write(db, &key).is_some() {
        return Err(ReplyError::new("BUSYKEY Target key name already exists."));
    }
    let mut ttl = parse_i64(&c.argv[2])?;
    if ttl < 0 {
        return Err(ReplyError::new("ERR Invalid TTL value, must be >= 0"));
    }
    if !crate::persistence::rdb::verify_dump_payload(&c.argv[3]) {
        return Err(ReplyError::new(
            "ERR DUMP payload version or checksum are wrong",
        ));
    }
    let lim = s.load_limits();
    let Some(value) = crate::persistence::rdb::read_dump_value(&c.argv[3])
        .and_then(|v| crate::persistence::snapshot::value_from_rdb(v, &lim))
    else {
        return Err(ReplyError::new("ERR Bad data format"));
    };
    let deleted = replace && s.delete_key(db, &key);
    if ttl != 0 && !absttl {
        ttl = ttl.saturating_add(s.now_ms);
    }
    if ttl != 0 && s.check_already_expired(ttl) {
        if deleted {
            s.propagate_as(vec![b"DEL".to_vec(), key.clone()]);
            s.signal_modified_key(db, &key);
            s.notify_keyspace_event(notify::GENERIC, "del", &key, db);
            s.dirty += 1;
        }
        s.keys_signalled = true;
        c.reply.ok();
        return Ok(());
    }
    s.db_add(db, &key, value);
    if ttl != 0 {
        s.set_expire(db, &key, ttl);
        if !absttl && s.propagation_wanted() {
            let mut argv = c.argv.clone();
            argv[2] = ttl.to_string().into_bytes();
            argv.push(b"ABSTTL".to_vec());
            s.propagate_as(argv);
        }
    }
    // objectSetLRUOrLFU: FREQ under an LFU policy, IDLETIME under LRU.
    let now = s.now_ms;
    if let Some(o) = s.peek_mut(db, &key) {
        if crate::db::lfu_mode() {
            if freq >= 0 {
                o.lru = (crate::db::new_lru(now) & !0xFF) | freq as u32;
            }
        } else if idle >= 0 {
            o.lru = crate::db::lru_clock(now).saturating_sub(idle.min(u32::MAX as i64) as u32);
        }
    }
    s.signal_modified_key(db, &key);
    s.keys_signalled = true;
    s.notify_keyspace_event(notify::GENERIC, "restore", &key, db);
    c.reply.ok();
    s.dirty += 1;
    Ok(())
}

pub fn move_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let dst_db = parse_db_index(s, &c.argv[2])?;
    if dst_db == c.db {
        return Err(SAME_OBJECT_ERR);
    }
    let key = &c.argv[1];
    if s.lookup_write(c.db, key).is_none() || s.lookup_write(dst_db, key).is_some() {
        c.reply.int(0);
        return Ok(());
    }
    if let Some((obj, ttl)) = s.db_take(c.db, key) {
        s.db_add_object(dst_db, key, obj, ttl);
    }
    // Both databases' keys changed (Redis's moveCommand).
    s.signal_modified_key(c.db, key);
    s.signal_modified_key(dst_db, key);
    s.keys_signalled = true;
    s.dirty += 1;
    s.notify_keyspace_event(notify::GENERIC, "move_from", key, c.db);
    s.notify_keyspace_event(notify::GENERIC, "move_to", key, dst_db);
    c.reply.int(1);
    Ok(())
}

// ---------------------------------------------------------------------
// Expiry
// ---------------------------------------------------------------------

fn expire_generic(
    s: &mut Server,
    c: &mut Client,
    basetime: i64,
    seconds: bool,
    name: &str,
) -> CmdResult {
    let (mut nx, mut xx, mut gt, mut lt) = (false, false, false, false);
    for opt in &c.argv[3..] {
        if is(opt, "nx") {
            nx = true;
        } else if is(opt, "xx") {
            xx = true;
        } else if is(opt, "gt") {
            gt = true;
        } else if is(opt, "lt") {
            lt = true;
        } else {
            let shown = opt.split(|&b| b == 0).next().unwrap_or(&[]);
            return Err(ReplyError::bytes(
                [b"ERR Unsupported option ".as_slice(), shown].concat(),
            ));
        }
    }
    if nx && (xx || gt || lt) {
        return Err(ReplyError::new(
            "ERR NX and XX, GT or LT options at the same time are not compatible",
        ));
    }
    if gt && lt {
        return Err(ReplyError::new(
            "ERR GT and LT options at the same time are not compatible",
        ));
    }
    let invalid = || ReplyError::owned(format!("ERR invalid expire time in '{name}' command"));
    let mut when = parse_i64(&c.argv[2])?;
    if seconds {
        if !(i64::MIN / 1000..=i64::MAX / 1000).contains(&when) {
            return Err(invalid());
        }
        when *= 1000;
    }
    if when > i64::MAX - basetime {
        return Err(invalid());
    }
    when += basetime;
    let key = &c.argv[1];
    if s.lookup_write(c.db, key).is_none() {
        c.reply.int(0);
        return Ok(());
    }
    let current = s.get_expire(c.db, key);
    let refuse = (nx && current.is_some())
        || (xx && current.is_none())
        || (gt && current.is_none_or(|cur| when <= cur))
        || (lt && current.is_some_and(|cur| when >= cur));
    if refuse {
        c.reply.int(0);
        return Ok(());
    }
    s.dirty += 1;
    if s.check_already_expired(when) {
        s.delete_for_past_expiry(c.db, key);
        c.reply.int(1);
    } else {
        s.set_expire(c.db, key, when);
        s.propagate_as(vec![
            b"PEXPIREAT".to_vec(),
            key.clone(),
            when.to_string().into_bytes(),
        ]);
        // Redis answers before it announces the new TTL.
        c.reply.int(1);
        s.note_reply(c);
        s.notify_keyspace_event(notify::GENERIC, "expire", key, c.db);
    }
    Ok(())
}

pub fn expire_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let now = s.now_ms;
    expire_generic(s, c, now, true, "expire")
}

pub fn pexpire_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let now = s.now_ms;
    expire_generic(s, c, now, false, "pexpire")
}

pub fn expireat_command(s: &mut Server, c: &mut Client) -> CmdResult {
    expire_generic(s, c, 0, true, "expireat")
}

pub fn pexpireat_command(s: &mut Server, c: &mut Client) -> CmdResult {
    expire_generic(s, c, 0, false, "pexpireat")
}

fn ttl_generic(s: &mut Server, c: &mut Client, ms: bool, absolute: bool) -> CmdResult {
    let key = &c.argv[1];
    if s.lookup_notouch_or_miss(c.db, key).is_none() {
        c.reply.int(-2);
        return Ok(());
    }
    match s.get_expire(c.db, key) {
        None => c.reply.int(-1),
        Some(when) => {
            let ttl = if absolute {
                when
            } else {
                (when - s.now_ms).max(0)
            };
            // Rounded to the nearest second without overflowing near i64::MAX.
            c.reply.int(if ms {
                ttl
            } else {
                ((ttl as i128 + 500) / 1000) as i64
            });
        }
    }
    Ok(())
}

pub fn ttl_command(s: &mut Server, c: &mut Client) -> CmdResult {
    ttl_generic(s, c, false, false)
}

pub fn pttl_command(s: &mut Server, c: &mut Client) -> CmdResult {
    ttl_generic(s, c, true, false)
}

pub fn expiretime_command(s: &mut Server, c: &mut Client) -> CmdResult {
    ttl_generic(s, c, false, true)
}

pub fn pexpiretime_command(s: &mut Server, c: &mut Client) -> CmdResult {
    ttl_generic(s, c, true, true)
}

pub fn persist_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let key = &c.argv[1];
    if s.lookup_write(c.db, key).is_none() {
        c.reply.int(0);
        return Ok(());
    }
    let removed = s.remove_expire(c.db, key);
    if removed {
        s.dirty += 1;
        s.notify_keyspace_event(notify::GENERIC, "persist", key, c.db);
    }
    c.reply.int(removed as i64);
    Ok(())
}

// ---------------------------------------------------------------------
// OBJECT
// ---------------------------------------------------------------------

/// Redis's OBJ_SHARED_REFCOUNT, reported for shared small integers.
const OBJ_SHARED_REFCOUNT: i64 = i32::MAX as i64;

pub fn object_encoding_command(s: &mut Server, c: &mut Client) -> CmdResult {
    match s.lookup_notouch(c.db, &c.argv[2]) {
        Some(o) => c.reply.bulk_str(o.value.encoding()),
        None => c.reply.null(),
    }
    Ok(())
}

pub fn object_refcount_command(s: &mut Server, c: &mut Client) -> CmdResult {
    match s.lookup_notouch(c.db, &c.argv[2]) {
        Some(o) => {
            let shared = !o.unshared && matches!(o.value, Value::Int(i) if (0..10000).contains(&i));
            c.reply.int(if shared { OBJ_SHARED_REFCOUNT } else { 1 });
        }
        None => c.reply.null(),
    }
    Ok(())
}

fn lfu_policy(s: &Server) -> bool {
    s.config.maxmemory_policy.contains("lfu")
}

pub fn object_idletime_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let now_lru = crate::db::lru_clock(s.now_ms);
    let lfu = lfu_policy(s);
    match s.lookup_notouch(c.db, &c.argv[2]) {
        Some(_) if lfu => Err(ReplyError::new(
            "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
        )),
        Some(o) => {
            c.reply.int(now_lru.saturating_sub(o.lru) as i64);
            Ok(())
        }
        None => {
            c.reply.null();
            Ok(())
        }
    }
}

pub fn object_freq_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let lfu = lfu_policy(s);
    let now = s.now_ms;
    match s.lookup_notouch(c.db, &c.argv[2]) {
        Some(_) if !lfu => Err(ReplyError::new(
            "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
        )),
        Some(o) => {
            c.reply
                .int(crate::db::lfu_decr_and_return(o.lru, now) as i64);
            Ok(())
        }
        None => {
            c.reply.null();
            Ok(())
        }
    }
}

pub fn object_help_command(_: &mut Server, c: &mut Client) -> CmdResult {
    reply_help(
        c,
        "OBJECT",
        &[
            "ENCODING <key>",
            "    The internal encoding of the value at <key> (int, embstr, raw, ...).",
            "FREQ <key>",
            "    The logarithmic access counter of <key> (LFU policies only).",
            "IDLETIME <key>",
            "    Seconds since <key> was last read or written.",
            "REFCOUNT <key>",
            "    How many references the value at <key> has.",
        ],
    );
    Ok(())
}

/// RESTORE-ASKING: RESTORE as a cluster slot migration sends it.
pub fn restore_asking_command(s: &mut Server, c: &mut Client) -> CmdResult {
    restore_command(s, c)
}
