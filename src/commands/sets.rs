//! Group `set`: SADD, SREM, SISMEMBER/SMISMEMBER, SMEMBERS, SCARD, SPOP,
//! SRANDMEMBER, SMOVE, the SINTER/SUNION/SDIFF family with their STORE
//! forms, SINTERCARD and SSCAN (Redis's t_set.c). The data structure lives
//! in `types/set.rs`.

use super::args::{is, parse_positive, parse_range};
use super::args::{parse_rand_count, reply_empty_scan};
use super::args::{parse_scan_cursor, parse_scan_opts};
use super::{CmdResult, ReplyError, SYNTAX_ERR, WRONGTYPE_ERR};
use crate::client::Client;
use crate::notify;
use crate::resp::reply::ReplyBuf;
use crate::server::Server;
use crate::types::Value;
use crate::types::set::{Member, Set};
use crate::util::glob::string_match;
use std::sync::Arc;

/// Members per SREM when SPOP's effect is logged (Redis batches its
/// rewritten SREMs by 1024 too).
const SPOP_PROPAGATE_BATCH: usize = 1024;

// ---------------------------------------------------------------------
// Lookups
// ---------------------------------------------------------------------

/// The set at `key` for reading; None when missing, WRONGTYPE otherwise.
fn read_set<'a>(s: &'a mut Server, db: usize, key: &[u8]) -> Result<Option<&'a Set>, ReplyError> {
    s.read_as(db, key)
}

/// The set at `key` for writing, if it exists.
fn write_set<'a>(
    s: &'a mut Server,
    db: usize,
    key: &[u8],
) -> Result<Option<&'a mut Set>, ReplyError> {
    s.write_as(db, key)
}

/// The set stored at a key already checked to hold one.
fn stored_set<'a>(s: &'a Server, db: usize, key: &[u8]) -> Option<&'a Set> {
    match s.peek(db, key).map(|o| &o.value) {
        Some(Value::Set(set)) => Some(set),
        _ => None,
    }
}

fn reply_member(r: &mut ReplyBuf, m: Member) {
    let mut buf = [0u8; 20];
    r.bulk(m.bytes(&mut buf));
}

// ---------------------------------------------------------------------
// Single-set commands
// ---------------------------------------------------------------------

pub fn sadd_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let (db, key) = (c.db, &c.argv[1]);
    let max = s.config.set_max_intset_entries;
    let exists = match s.lookup_write(db, key) {
        None => false,
        Some(o) if matches!(o.value, Value::Set(_)) => true,
        Some(_) => return Err(WRONGTYPE_ERR),
    };
    if !exists {
        s.db_add(db, key, Value::Set(Arc::new(Set::new_for(&c.argv[2]))));
    }
    let Some(Value::Set(set)) = s.peek_mut(db, key).map(|o| &mut o.value) else {
        return Err(WRONGTYPE_ERR);
    };
    let set = Arc::make_mut(set);
    let mut added = 0;
    for m in &c.argv[2..] {
        if set.add(m, max) {
            added += 1;
        }
    }
    s.dirty += added as u64;
    if added > 0 {
        s.notify_keyspace_event(notify::SET, "sadd", key, db);
    }
    c.reply.int(added);
    Ok(())
}

pub fn srem_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let n = s.remove_members::<Set>(
        c.db,
        &c.argv[1],
        &c.argv[2..],
        notify::SET,
        "srem",
        |set, m| set.remove(m),
        |set| set.is_empty(),
    )?;
    c.reply.int(n as i64);
    Ok(())
}

pub fn smove_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let db = c.db;
    let (src, dst, ele) = (&c.argv[1], &c.argv[2], &c.argv[3]);
    let kind = |o: Option<&mut crate::types::Object>| o.map(|o| matches!(o.value, Value::Set(_)));
    let src_kind = kind(s.lookup_write(db, src));
    let dst_kind = kind(s.lookup_write(db, dst));
    let Some(src_is_set) = src_kind else {
        c.reply.int(0);
        return Ok(());
    };
    if !src_is_set || dst_kind == Some(false) {
        return Err(WRONGTYPE_ERR);
    }
    if src == dst {
        let found = stored_set(s, db, src).is_some_and(|set| set.contains(ele));
        c.reply.int(found as i64);
        return Ok(());
    }
    let Some(set) = write_set(s, db, src)? else {
        c.reply.int(0);
        return Ok(());
    };
    if !set.remove(ele) {
        c.reply.int(0);
        return Ok(());
    }
    let emptied = set.is_empty();
    s.notify_keyspace_event(notify::SET, "srem", src, db);
    if emptied {
        s.db_delete(db, src);
        s.notify_keyspace_event(notify::GENERIC, "del", src, db);
    }
    if dst_kind.is_none() {
        s.db_add(db, dst, Value::Set(Arc::new(Set::new_for(ele))));
    }
    s.dirty += 1;
    // The source always changed; the destination only if it gained the
    // member (Redis's smoveCommand), which a WATCH on it can tell.
    s.keys_signalled = true;
    s.signal_modified_key(db, src);
    let max = s.config.set_max_intset_entries;
    if let Some(set) = write_set(s, db, dst)?
        && set.add(ele, max)
    {
        s.dirty += 1;
        s.signal_modified_key(db, dst);
        s.notify_keyspace_event(notify::SET, "sadd", dst, db);
    }
    c.reply.int(1);
    Ok(())
}

pub fn sismember_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let found = read_set(s, c.db, &c.argv[1])?.is_some_and(|set| set.contains(&c.argv[2]));
    c.reply.int(found as i64);
    Ok(())
}

pub fn smismember_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let set = read_set(s, c.db, &c.argv[1])?;
    c.reply.array_len(c.argv.len() - 2);
    for m in &c.argv[2..] {
        c.reply.int(set.is_some_and(|set| set.contains(m)) as i64);
    }
    Ok(())
}

pub fn scard_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let n = read_set(s, c.db, &c.argv[1])?.map_or(0, |set| set.len());
    c.reply.int(n as i64);
    Ok(())
}

/// Redis 7.0 answers SMEMBERS with its SINTER of one key.
pub fn smembers_command(s: &mut Server, c: &mut Client) -> CmdResult {
    sinter_generic(s, c, 1, c.argv.len(), None, None)
}

// ---------------------------------------------------------------------
// SPOP / SRANDMEMBER
// ---------------------------------------------------------------------

/// Log popped members as SREMs, so a replay removes the same ones.
fn propagate_srem(s: &mut Server, key: &[u8], members: &[Vec<u8>]) {
    // Nobody listens (no AOF, no rewrite): not even the argv is built.
    if !s.propagation_wanted() {
        return;
    }
    for batch in members.chunks(SPOP_PROPAGATE_BATCH) {
        let mut argv = Vec::with_capacity(batch.len() + 2);
        argv.push(b"SREM".to_vec());
        argv.push(key.to_vec());
        argv.extend(batch.iter().cloned());
        s.propagate_as(argv);
    }
}

pub fn spop_command(s: &mut Server, c: &mut Client) -> CmdResult {
    if c.argv.len() == 3 {
        return spop_with_count(s, c);
    }
    if c.argv.len() > 3 {
        return Err(SYNTAX_ERR);
    }
    let db = c.db;
    let Some(set) = write_set(s, db, &c.argv[1])? else {
        c.reply.null();
        return Ok(());
    };
    let popped = set.pop_random(1);
    let emptied = set.is_empty();
    s.notify_keyspace_event(notify::SET, "spop", &c.argv[1], db);
    s.dirty += 1;
    propagate_srem(s, &c.argv[1], &popped);
    match popped.first() {
        Some(m) => c.reply.bulk(m),
        None => c.reply.null(),
    }
    if emptied {
        // The key goes after the reply, as in Redis.
        s.note_reply(c);
        s.db_delete(db, &c.argv[1]);
        s.notify_keyspace_event(notify::GENERIC, "del", &c.argv[1], db);
    }
    Ok(())
}

fn spop_with_count(s: &mut Server, c: &mut Client) -> CmdResult {
    let count = parse_positive(&c.argv[2])? as u64;
    let db = c.db;
    let max = s.config.set_max_intset_entries;
    let Some(set) = write_set(s, db, &c.argv[1])? else {
        c.reply.set_len(0);
        return Ok(());
    };
    if count == 0 {
        c.reply.set_len(0);
        return Ok(());
    }
    if count >= set.len() as u64 {
        // The whole set, answered as Redis does: through a SUNION of it.
        let all = union_of(&[Some(&*set)], max);
        s.notify_keyspace_event(notify::SET, "spop", &c.argv[1], db);
        reply_set(&mut c.reply, &all);
        s.note_reply(c);
        s.db_delete(db, &c.argv[1]);
        s.notify_keyspace_event(notify::GENERIC, "del", &c.argv[1], db);
        s.dirty = s.dirty.wrapping_add(count);
        s.propagate_as(vec![b"DEL".to_vec(), c.argv[1].clone()]);
        return Ok(());
    }
    let popped = set.pop_random(count as usize);
    // Redis's case 3 (what stays is at most a fifth of what goes): it
    // builds the remaining set anew, so its encoding is what a new set of
    // those members gets (an intset if they are all integers).
    if set.len() as u64 * 5 <= count {
        let members: Vec<Vec<u8>> = set.iter().map(|m| m.to_vec()).collect();
        if let Some(first) = members.first() {
            let mut rebuilt = Set::new_for(first);
            for m in &members {
                rebuilt.add(m, max);
            }
            *set = rebuilt;
        }
    }
    s.dirty = s.dirty.wrapping_add(count);
    s.notify_keyspace_event(notify::SET, "spop", &c.argv[1], db);
    c.reply.set_len(popped.len());
    for m in &popped {
        c.reply.bulk(m);
    }
    propagate_srem(s, &c.argv[1], &popped);
    Ok(())
}

pub fn srandmember_command(s: &mut Server, c: &mut Client) -> CmdResult {
    if c.argv.len() == 3 {
        return srandmember_with_count(s, c);
    }
    if c.argv.len() > 3 {
        return Err(SYNTAX_ERR);
    }
    match read_set(s, c.db, &c.argv[1])?.and_then(|set| set.random()) {
        Some(m) => reply_member(&mut c.reply, m),
        None => c.reply.null(),
    }
    Ok(())
}

fn srandmember_with_count(s: &mut Server, c: &mut Client) -> CmdResult {
    let l = parse_rand_count(&c.argv[2])?;
    let set = match read_set(s, c.db, &c.argv[1])? {
        Some(set) if !set.is_empty() => set,
        _ => {
            c.reply.array_len(0);
            return Ok(());
        }
    };
    let r = &mut c.reply;
    let count = l.unsigned_abs() as usize;
    if count == 0 {
        r.array_len(0);
        return Ok(());
    }
    // Negative count (or 1): independent picks, repeats allowed.
    if l < 0 || count == 1 {
        r.array_len(count);
        for _ in 0..count {
            if let Some(m) = set.random() {
                reply_member(r, m);
            }
        }
        return Ok(());
    }
    if count >= set.len() {
        r.array_len(set.len());
        for m in set.iter() {
            reply_member(r, m);
        }
        return Ok(());
    }
    let picks = set.random_distinct(count);
    r.array_len(picks.len());
    for m in picks {
        reply_member(r, m);
    }
    Ok(())
}

// ---------------------------------------------------------------------
// SINTER / SUNION / SDIFF and their STORE forms
// ---------------------------------------------------------------------

/// Answer a whole set as a RESP3 set (an array in RESP2).
fn reply_set(r: &mut ReplyBuf, set: &Set) {
    r.set_len(set.len());
    for m in set.iter() {
        reply_member(r, m);
    }
}

/// Check that every key of `argv[from..to]` is a set or missing (WRONGTYPE
/// otherwise, even after a missing key); true for each key that exists.
/// Read lookups even for the STORE forms, as Redis 7.0 does (they count in
/// keyspace_hits/misses).
fn check_sets(s: &mut Server, c: &Client, from: usize, to: usize) -> Result<Vec<bool>, ReplyError> {
    let mut present = Vec::with_capacity(to - from);
    for key in &c.argv[from..to] {
        match s.lookup_read(c.db, key) {
            None => present.push(false),
            Some(o) if matches!(o.value, Value::Set(_)) => present.push(true),
            Some(_) => return Err(WRONGTYPE_ERR),
        }
    }
    Ok(present)
}

/// Store a computed set at `dst` (dropping its TTL), or delete `dst` when
/// the result is empty; reply with the stored size.
/// Events come after the reply, as Redis sends them, but for SINTERSTORE
/// with a missing source (`early_del`), whose `del` goes first.
fn store_result(s: &mut Server, c: &mut Client, dst: usize, result: Set, early_del: bool) {
    let n = result.len();
    if n > 0 {
        s.set_key(c.db, &c.argv[dst], Value::Set(Arc::new(result)), false);
        s.dirty += 1;
        c.reply.int(n as i64);
        s.note_reply(c);
        let event = match c.argv[0].to_ascii_lowercase().as_slice() {
            b"sinterstore" => "sinterstore",
            b"sunionstore" => "sunionstore",
            _ => "sdiffstore",
        };
        s.notify_keyspace_event(notify::SET, event, &c.argv[dst], c.db);
        return;
    }
    if !early_del {
        c.reply.int(0);
        s.note_reply(c);
    }
    if s.delete_key(c.db, &c.argv[dst]) {
        s.dirty += 1;
        s.notify_keyspace_event(notify::GENERIC, "del", &c.argv[dst], c.db);
    }
    if early_del {
        c.reply.int(0);
    }
}

/// SINTER, SINTERSTORE, SINTERCARD, SMEMBERS (Redis's
/// sinterGenericCommand): walk the smallest set, keep what all others hold.
/// `card` is Some(limit) for SINTERCARD (0 = no limit).
fn sinter_generic(
    s: &mut Server,
    c: &mut Client,
    from: usize,
    to: usize,
    dst: Option<usize>,
    card: Option<u64>,
) -> CmdResult {
    let present = check_sets(s, c, from, to)?;
    if present.iter().any(|p| !p) {
        if let Some(d) = dst {
            store_result(s, c, d, Set::default(), true);
        } else if card.is_some() {
            c.reply.int(0);
        } else {
            c.reply.set_len(0);
        }
        return Ok(());
    }
    let max = s.config.set_max_intset_entries;
    let mut sets: Vec<(&[u8], &Set)> = c.argv[from..to]
        .iter()
        .filter_map(|k| stored_set(s, c.db, k).map(|set| (k.as_slice(), set)))
        .collect();
    sets.sort_by_key(|(_, set)| set.len());
    let (first_key, first) = sets[0];
    let in_all = |m: Member| {
        sets[1..]
            .iter()
            .all(|(k, set)| *k == first_key || set.contains_member(m))
    };
    if let Some(limit) = card {
        let mut n: u64 = 0;
        for m in first.iter() {
            if in_all(m) {
                n += 1;
                if limit != 0 && n >= limit {
                    break;
                }
            }
        }
        c.reply.int(n as i64);
        return Ok(());
    }
    if let Some(d) = dst {
        let mut result = Set::default();
        for m in first.iter() {
            if in_all(m) {
                result.add_member(m, max);
            }
        }
        store_result(s, c, d, result, false);
        return Ok(());
    }
    let r = &mut c.reply;
    let deferred = r.deferred();
    let mut n = 0;
    for m in first.iter() {
        if in_all(m) {
            reply_member(r, m);
            n += 1;
        }
    }
    r.set_deferred_set_len(deferred, n);
    Ok(())
}

/// The union of `sets` built as Redis builds it: an intset that converts
/// as members arrive.
fn union_of(sets: &[Option<&Set>], max: u64) -> Set {
    let mut out = Set::default();
    for set in sets.iter().flatten() {
        for m in set.iter() {
            out.add_member(m, max);
        }
    }
    out
}

#[derive(PartialEq, Clone, Copy)]
enum SetOp {
    Union,
    Diff,
}

/// SUNION, SDIFF and their STORE forms (Redis's sunionDiffGenericCommand),
/// including its choice between the two difference algorithms, which
/// decides the result's encoding.
fn sunion_diff_generic(
    s: &mut Server,
    c: &mut Client,
    from: usize,
    dst: Option<usize>,
    op: SetOp,
) -> CmdResult {
    let to = c.argv.len();
    check_sets(s, c, from, to)?;
    let max = s.config.set_max_intset_entries;
    let keys = &c.argv[from..to];
    let sets: Vec<Option<&Set>> = keys.iter().map(|k| stored_set(s, c.db, k)).collect();
    let result = match op {
        SetOp::Union => union_of(&sets, max),
        SetOp::Diff => {
            let mut out = Set::default();
            let same_as_first = sets[0].is_some() && keys[1..].iter().any(|k| *k == keys[0]);
            if let (Some(first), false) = (sets[0], same_as_first) {
                let others = || sets[1..].iter().flatten();
                let nonnull = sets.iter().flatten().count() as u64;
                let algo_one = nonnull * first.len() as u64 / 2;
                let algo_two: u64 = sets.iter().flatten().map(|s| s.len() as u64).sum();
                if algo_one <= algo_two {
                    // Each member of the first set not found in any other.
                    for m in first.iter() {
                        if !others().any(|o| o.contains_member(m)) {
                            out.add_member(m, max);
                        }
                    }
                } else {
                    // All of the first set, then take the others away.
                    for m in first.iter() {
                        out.add_member(m, max);
                    }
                    for o in others() {
                        if out.is_empty() {
                            break;
                        }
                        for m in o.iter() {
                            out.remove_member(m);
                        }
                    }
                }
            }
            out
        }
    };
    match dst {
        Some(d) => store_result(s, c, d, result, false),
        None => reply_set(&mut c.reply, &result),
    }
    Ok(())
}

pub fn sinter_command(s: &mut Server, c: &mut Client) -> CmdResult {
    sinter_generic(s, c, 1, c.argv.len(), None, None)
}

pub fn sinterstore_command(s: &mut Server, c: &mut Client) -> CmdResult {
    sinter_generic(s, c, 2, c.argv.len(), Some(1), None)
}

pub fn sintercard_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let numkeys = parse_range(
        &c.argv[1],
        1,
        i64::MAX,
        Some("ERR numkeys should be greater than 0"),
    )?;
    if numkeys > c.argv.len() as i64 - 2 {
        return Err(ReplyError::new(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    let end = 2 + numkeys as usize;
    let mut limit = 0;
    let mut j = end;
    while j < c.argv.len() {
        let more = c.argv.len() - 1 - j;
        if is(&c.argv[j], "limit") && more > 0 {
            j += 1;
            limit = parse_range(&c.argv[j], 0, i64::MAX, Some("ERR LIMIT can't be negative"))?;
        } else {
            return Err(SYNTAX_ERR);
        }
        j += 1;
    }
    sinter_generic(s, c, 2, end, None, Some(limit as u64))
}

pub fn sunion_command(s: &mut Server, c: &mut Client) -> CmdResult {
    sunion_diff_generic(s, c, 1, None, SetOp::Union)
}

pub fn sunionstore_command(s: &mut Server, c: &mut Client) -> CmdResult {
    sunion_diff_generic(s, c, 2, Some(1), SetOp::Union)
}

pub fn sdiff_command(s: &mut Server, c: &mut Client) -> CmdResult {
    sunion_diff_generic(s, c, 1, None, SetOp::Diff)
}

pub fn sdiffstore_command(s: &mut Server, c: &mut Client) -> CmdResult {
    sunion_diff_generic(s, c, 2, Some(1), SetOp::Diff)
}

// ---------------------------------------------------------------------
// SSCAN
// ---------------------------------------------------------------------

pub fn sscan_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let mut cursor = parse_scan_cursor(&c.argv[2])?;
    let Some(set) = read_set(s, c.db, &c.argv[1])? else {
        reply_empty_scan(&mut c.reply);
        return Ok(());
    };
    // Options are read only once the key is known to be a set.
    let opts = parse_scan_opts(&c.argv, 3, false)?;
    let mut members: Vec<Vec<u8>> = Vec::new();
    let mut maxiter = opts.count.saturating_mul(10);
    loop {
        cursor = set.scan(cursor, |m| members.push(m.to_vec()));
        if cursor == 0 || maxiter == 0 || members.len() >= opts.count {
            break;
        }
        maxiter -= 1;
    }
    if let Some(p) = &opts.pattern {
        members.retain(|m| string_match(p, m, false));
    }
    let r = &mut c.reply;
    r.array_len(2);
    r.bulk(cursor.to_string().as_bytes());
    r.array_len(members.len());
    for m in &members {
        r.bulk(m);
    }
    Ok(())
}
