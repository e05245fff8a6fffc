//! Group `hash`: HSET and its family, HGET/HMGET, HDEL, HLEN, HSTRLEN,
//! HEXISTS, HKEYS/HVALS/HGETALL, HINCRBY/HINCRBYFLOAT, HRANDFIELD, HSCAN
//! (Redis's t_hash.c). The data structure lives in `types/hash.rs`.

use super::args::{is, parse_i64};
use super::args::{parse_rand_count, parse_scan_cursor, parse_scan_opts, reply_empty_scan};
use super::{CmdResult, NOT_FLOAT_ERR, OVERFLOW_ERR, ReplyError, SYNTAX_ERR, WRONGTYPE_ERR};
use crate::client::Client;
use crate::notify;
use crate::resp::reply::ReplyBuf;
use crate::server::Server;
use crate::types::Value;
use crate::types::hash::{Hash, HashLimits};
use crate::util::glob::string_match;
use crate::util::ld::LongDouble;
use std::sync::Arc;

// ---------------------------------------------------------------------
// Lookups
// ---------------------------------------------------------------------

fn limits(s: &Server) -> HashLimits {
    HashLimits {
        max_entries: s.config.hash_max_listpack_entries,
        max_value: s.config.hash_max_listpack_value,
    }
}

/// The hash at `key` for reading; None when missing, WRONGTYPE for another
/// type.
fn read_hash<'a>(s: &'a mut Server, db: usize, key: &[u8]) -> Result<Option<&'a Hash>, ReplyError> {
    s.read_as(db, key)
}

/// The hash at `key` for writing, created empty when missing (Redis's
/// hashTypeLookupWriteOrCreate). Callers always add a field to a hash they
/// created, so no empty hash is left behind.
fn hash_or_create<'a>(
    s: &'a mut Server,
    db: usize,
    key: &[u8],
) -> Result<&'a mut Hash, ReplyError> {
    let exists = match s.lookup_write(db, key) {
        None => false,
        Some(o) if matches!(o.value, Value::Hash(_)) => true,
        Some(_) => return Err(WRONGTYPE_ERR),
    };
    if !exists {
        s.db_add(db, key, Value::Hash(Arc::new(Hash::default())));
    }
    match s.peek_mut(db, key).map(|o| &mut o.value) {
        Some(Value::Hash(h)) => Ok(Arc::make_mut(h)),
        _ => Err(WRONGTYPE_ERR),
    }
}

fn arity_err(name: &str) -> ReplyError {
    ReplyError::owned(format!(
        "ERR wrong number of arguments for '{name}' command"
    ))
}

// ---------------------------------------------------------------------
// Writes
// ---------------------------------------------------------------------

/// HSET/HMSET: every pair is set; returns how many fields were new.
fn hset_generic(s: &mut Server, c: &mut Client, name: &str) -> Result<i64, ReplyError> {
    if !c.argv.len().is_multiple_of(2) {
        return Err(arity_err(name));
    }
    let lim = limits(s);
    let h = hash_or_create(s, c.db, &c.argv[1])?;
    let mut created = 0;
    for pair in c.argv[2..].chunks_exact(2) {
        if h.set(&pair[0], &pair[1], lim) {
            created += 1;
        }
    }
    s.dirty += ((c.argv.len() - 2) / 2) as u64;
    Ok(created)
}

/// A hash event, after the reply as Redis sends it.
fn notify_after_reply(s: &mut Server, c: &Client, event: &str) {
    s.note_reply(c);
    s.notify_keyspace_event(notify::HASH, event, &c.argv[1], c.db);
}

pub fn hset_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let created = hset_generic(s, c, "hset")?;
    c.reply.int(created);
    notify_after_reply(s, c, "hset");
    Ok(())
}

pub fn hmset_command(s: &mut Server, c: &mut Client) -> CmdResult {
    hset_generic(s, c, "hmset")?;
    c.reply.ok();
    notify_after_reply(s, c, "hset");
    Ok(())
}

pub fn hsetnx_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let lim = limits(s);
    let h = hash_or_create(s, c.db, &c.argv[1])?;
    if h.contains(&c.argv[2]) {
        c.reply.int(0);
        return Ok(());
    }
    h.set(&c.argv[2], &c.argv[3], lim);
    s.dirty += 1;
    c.reply.int(1);
    notify_after_reply(s, c, "hset");
    Ok(())
}

pub fn hdel_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let n = s.remove_members::<Hash>(
        c.db,
        &c.argv[1],
        &c.argv[2..],
        notify::HASH,
        "hdel",
        |h, f| h.remove(f),
        |h| h.is_empty(),
    )?;
    c.reply.int(n as i64);
    Ok(())
}

pub fn hincrby_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let incr = parse_i64(&c.argv[3])?;
    let lim = limits(s);
    let h = hash_or_create(s, c.db, &c.argv[1])?;
    let old = match h.get(&c.argv[2]) {
        Some(v) => crate::util::num::string2ll(v)
            .ok_or(ReplyError::new("ERR hash value is not an integer"))?,
        None => 0,
    };
    let new = old.checked_add(incr).ok_or(OVERFLOW_ERR)?;
    h.set(&c.argv[2], new.to_string().as_bytes(), lim);
    s.dirty += 1;
    c.reply.int(new);
    notify_after_reply(s, c, "hincrby");
    Ok(())
}

pub fn hincrbyfloat_command(s: &mut Server, c: &mut Client) -> CmdResult {
    // Redis computes in C long double; util::ld reproduces x87 arithmetic.
    let incr = LongDouble::parse(&c.argv[3]).ok_or(NOT_FLOAT_ERR)?;
    if !incr.is_finite() {
        return Err(ReplyError::new("ERR value is NaN or Infinity"));
    }
    let lim = limits(s);
    let h = hash_or_create(s, c.db, &c.argv[1])?;
    let old = match h.get(&c.argv[2]) {
        Some(v) => LongDouble::parse(v).ok_or(ReplyError::new("ERR hash value is not a float"))?,
        None => LongDouble::from_i64(0),
    };
    let new = old.add(incr);
    if !new.is_finite() {
        return Err(ReplyError::new(
            "ERR increment would produce NaN or Infinity",
        ));
    }
    let text = new.to_human_string();
    h.set(&c.argv[2], text.as_bytes(), lim);
    s.dirty += 1;
    // Float arithmetic is logged as its result, as Redis does.
    s.propagate_as(vec![
        b"HSET".to_vec(),
        c.argv[1].clone(),
        c.argv[2].clone(),
        text.clone().into_bytes(),
    ]);
    c.reply.bulk(text.as_bytes());
    notify_after_reply(s, c, "hincrbyfloat");
    Ok(())
}

// ---------------------------------------------------------------------
// Reads
// ---------------------------------------------------------------------

pub fn hget_command(s: &mut Server, c: &mut Client) -> CmdResult {
    match read_hash(s, c.db, &c.argv[1])?.and_then(|h| h.get(&c.argv[2])) {
        Some(v) => c.reply.bulk(v),
        None => c.reply.null(),
    }
    Ok(())
}

pub fn hmget_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let h = read_hash(s, c.db, &c.argv[1])?;
    c.reply.array_len(c.argv.len() - 2);
    for f in &c.argv[2..] {
        match h.and_then(|h| h.get(f)) {
            Some(v) => c.reply.bulk(v),
            None => c.reply.null(),
        }
    }
    Ok(())
}

pub fn hlen_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let n = read_hash(s, c.db, &c.argv[1])?.map_or(0, |h| h.len());
    c.reply.int(n as i64);
    Ok(())
}

pub fn hstrlen_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let n = read_hash(s, c.db, &c.argv[1])?
        .and_then(|h| h.get(&c.argv[2]))
        .map_or(0, |v| v.len());
    c.reply.int(n as i64);
    Ok(())
}

pub fn hexists_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let found = read_hash(s, c.db, &c.argv[1])?.is_some_and(|h| h.contains(&c.argv[2]));
    c.reply.int(found as i64);
    Ok(())
}

/// HKEYS, HVALS, HGETALL (Redis's genericHgetallCommand): a map in RESP3
/// when both halves are asked for.
fn getall_generic(s: &mut Server, c: &mut Client, keys: bool, vals: bool) -> CmdResult {
    let h = read_hash(s, c.db, &c.argv[1])?;
    let n = h.map_or(0, |h| h.len());
    if keys && vals {
        c.reply.map_len(n);
    } else {
        c.reply.array_len(n);
    }
    if let Some(h) = h {
        for (f, v) in h.iter() {
            if keys {
                c.reply.bulk(f);
            }
            if vals {
                c.reply.bulk(v);
            }
        }
    }
    Ok(())
}

pub fn hkeys_command(s: &mut Server, c: &mut Client) -> CmdResult {
    getall_generic(s, c, true, false)
}

pub fn hvals_command(s: &mut Server, c: &mut Client) -> CmdResult {
    getall_generic(s, c, false, true)
}

pub fn hgetall_command(s: &mut Server, c: &mut Client) -> CmdResult {
    getall_generic(s, c, true, true)
}

// ---------------------------------------------------------------------
// HRANDFIELD
// ---------------------------------------------------------------------

pub fn hrandfield_command(s: &mut Server, c: &mut Client) -> CmdResult {
    if c.argv.len() >= 3 {
        let l = parse_rand_count(&c.argv[2])?;
        let argc = c.argv.len();
        if argc > 4 || (argc == 4 && !is(&c.argv[3], "withvalues")) {
            return Err(SYNTAX_ERR);
        }
        let withvalues = argc == 4;
        if withvalues && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&l) {
            return Err(ReplyError::new("ERR value is out of range"));
        }
        return hrandfield_with_count(s, c, l, withvalues);
    }
    match read_hash(s, c.db, &c.argv[1])?.and_then(|h| h.random_pair()) {
        Some((f, _)) => c.reply.bulk(f),
        None => c.reply.null(),
    }
    Ok(())
}

fn hrandfield_with_count(s: &mut Server, c: &mut Client, l: i64, withvalues: bool) -> CmdResult {
    let h = match read_hash(s, c.db, &c.argv[1])? {
        Some(h) if !h.is_empty() => h,
        _ => {
            c.reply.array_len(0);
            return Ok(());
        }
    };
    let r = &mut c.reply;
    let count = l.unsigned_abs() as usize;
    let uniq = l >= 0;
    if count == 0 {
        r.array_len(0);
        return Ok(());
    }
    let resp3 = r.resp >= 3;
    let header = |r: &mut ReplyBuf, n: usize| {
        r.array_len(if withvalues && !resp3 { n * 2 } else { n });
    };
    let pair = |r: &mut ReplyBuf, f: &[u8], v: &[u8]| {
        if withvalues && resp3 {
            r.array_len(2);
        }
        r.bulk(f);
        if withvalues {
            r.bulk(v);
        }
    };
    // Negative count (or 1): independent picks, repeats allowed.
    if !uniq || count == 1 {
        header(r, count);
        for _ in 0..count {
            if let Some((f, v)) = h.random_pair() {
                pair(r, f, v);
            }
        }
        return Ok(());
    }
    // At least the whole hash: all of it, in its own order.
    if count >= h.len() {
        header(r, h.len());
        for (f, v) in h.iter() {
            pair(r, f, v);
        }
        return Ok(());
    }
    let picks = h.random_distinct(count);
    header(r, picks.len());
    for (f, v) in picks {
        pair(r, f, v);
    }
    Ok(())
}

// ---------------------------------------------------------------------
// HSCAN
// ---------------------------------------------------------------------

pub fn hscan_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let mut cursor = parse_scan_cursor(&c.argv[2])?;
    let Some(h) = read_hash(s, c.db, &c.argv[1])? else {
        reply_empty_scan(&mut c.reply);
        return Ok(());
    };
    // Options are read only once the key is known to be a hash.
    let opts = parse_scan_opts(&c.argv, 3, false)?;
    let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let mut maxiter = opts.count.saturating_mul(10);
    loop {
        cursor = h.scan(cursor, |f, v| pairs.push((f.to_vec(), v.to_vec())));
        // Redis counts fields and values alike against COUNT.
        if cursor == 0 || maxiter == 0 || pairs.len() * 2 >= opts.count {
            break;
        }
        maxiter -= 1;
    }
    if let Some(p) = &opts.pattern {
        pairs.retain(|(f, _)| string_match(p, f, false));
    }
    let r = &mut c.reply;
    r.array_len(2);
    r.bulk(cursor.to_string().as_bytes());
    r.array_len(pairs.len() * 2);
    for (f, v) in &pairs {
        r.bulk(f);
        r.bulk(v);
    }
    Ok(())
}
