//! Group `sorted_set` (Redis's t_zset.c): ZADD and friends, ranges by rank,
//! score and lex, the set operations, pops and their blocking forms (the
//! blocking machinery is in blocked.rs). The type is in types/zset.rs.

use super::args::{is, parse_i64, parse_positive, parse_range};
use super::args::{parse_scan_cursor, parse_scan_opts};
use super::{CmdResult, NOT_FLOAT_ERR, ReplyError, SYNTAX_ERR, WRONGTYPE_ERR};
use crate::blocked::{BlockOp, BlockState};
use crate::client::Client;
use crate::notify;
use crate::resp::reply::ReplyBuf;
use crate::sds::Sds;
use crate::server::Server;
use crate::types::Value;
use crate::types::set::Set;
use crate::types::zset::{
    AddFlags, AddResult, LexBound, LexRange, ScoreRange, ZSet, ZSetLimits, listpack_score_text,
};
use crate::util::glob::string_match;
use crate::util::hash::FastMap;
use crate::util::num::fmt_g17;
use std::sync::Arc;

const NAN_ERR: ReplyError = ReplyError::new("ERR resulting score is not a number (NaN)");
const MINMAX_FLOAT_ERR: ReplyError = ReplyError::new("ERR min or max is not a float");
const MINMAX_LEX_ERR: ReplyError = ReplyError::new("ERR min or max not valid string range item");

// ---------------------------------------------------------------------
// Access helpers
// ---------------------------------------------------------------------

fn limits(s: &Server) -> ZSetLimits {
    ZSetLimits {
        max_entries: s.config.zset_max_listpack_entries,
        max_value: s.config.zset_max_listpack_value,
    }
}

/// The sorted set at `key` for reading (hits/misses counted).
fn zset_ref<'a>(s: &'a mut Server, db: usize, key: &[u8]) -> Result<Option<&'a ZSet>, ReplyError> {
    s.read_as(db, key)
}

/// The sorted set at `key` for writing.
fn zset_mut<'a>(
    s: &'a mut Server,
    db: usize,
    key: &[u8],
) -> Result<Option<&'a mut ZSet>, ReplyError> {
    s.write_as(db, key)
}

/// Type check as a write lookup does (no stats): true if a sorted set is there.
fn check_zset(s: &mut Server, db: usize, key: &[u8]) -> Result<bool, ReplyError> {
    match s.lookup_write(db, key) {
        None => Ok(false),
        Some(o) if matches!(o.value, Value::ZSet(_)) => Ok(true),
        Some(_) => Err(WRONGTYPE_ERR),
    }
}

/// Redis never keeps an empty sorted set: the key goes, with its `del`.
fn delete_if_empty(s: &mut Server, db: usize, key: &[u8]) -> bool {
    if matches!(s.peek(db, key), Some(o) if matches!(&o.value, Value::ZSet(z) if z.is_empty())) {
        s.db_delete(db, key);
        s.notify_keyspace_event(notify::GENERIC, "del", key, db);
        return true;
    }
    false
}

/// Store `z` at `dst` (or delete `dst` when `z` is empty) the way the
/// store commands do; replies with the resulting size.
fn store_result(s: &mut Server, c: &mut Client, dst: &[u8], z: ZSet) {
    let n = z.len();
    if n > 0 {
        s.set_key(c.db, dst, Value::ZSet(Arc::new(z)), false);
        s.dirty += 1;
        c.reply.int(n as i64);
        s.note_reply(c);
        let event = match c.argv[0].to_ascii_lowercase().as_slice() {
            b"zunionstore" => "zunionstore",
            b"zinterstore" => "zinterstore",
            b"zdiffstore" => "zdiffstore",
            _ => "zrangestore",
        };
        s.notify_keyspace_event(notify::ZSET, event, dst, c.db);
    } else {
        c.reply.int(0);
        s.note_reply(c);
        if s.delete_key(c.db, dst) {
            s.dirty += 1;
            s.notify_keyspace_event(notify::GENERIC, "del", dst, c.db);
        }
    }
}

// ---------------------------------------------------------------------
// Number and range parsing
// ---------------------------------------------------------------------

/// A float argument as Redis's getDoubleFromObject reads it (the server's
/// one float parser, util::num::string2d).
fn parse_score(arg: &[u8], err: ReplyError) -> Result<f64, ReplyError> {
    crate::util::num::string2d(arg).ok_or(err)
}

/// One end of a score range (Redis's zslParseRange): strtod on the C
/// string after an optional `(`, which must be used up; NaN refused.
fn parse_score_bound(arg: &[u8]) -> Option<(f64, bool)> {
    let c = &arg[..arg.iter().position(|&b| b == 0).unwrap_or(arg.len())];
    let (body, ex) = match c.first() {
        Some(b'(') => (&c[1..], true),
        _ => (c, false),
    };
    let (v, used, _) = crate::util::num::strtod(body);
    if used != body.len() || v.is_nan() {
        return None;
    }
    Some((v, ex))
}

fn parse_score_range(min: &[u8], max: &[u8]) -> Result<ScoreRange, ReplyError> {
    let (min, minex) = parse_score_bound(min).ok_or(MINMAX_FLOAT_ERR)?;
    let (max, maxex) = parse_score_bound(max).ok_or(MINMAX_FLOAT_ERR)?;
    Ok(ScoreRange {
        min,
        max,
        minex,
        maxex,
    })
}

/// One end of a lex range: `-`, `+`, `(value` or `[value`.
fn parse_lex_bound(arg: &[u8]) -> Option<(LexBound, bool)> {
    let alone = arg.len() <= 1 || arg[1] == 0;
    match arg.first()? {
        b'+' if alone => Some((LexBound::Max, true)),
        b'-' if alone => Some((LexBound::Min, true)),
        b'(' => Some((LexBound::Val(arg[1..].to_vec()), true)),
        b'[' => Some((LexBound::Val(arg[1..].to_vec()), false)),
        _ => None,
    }
}

fn parse_lex_range(min: &[u8], max: &[u8]) -> Result<LexRange, ReplyError> {
    let (min, minex) = parse_lex_bound(min).ok_or(MINMAX_LEX_ERR)?;
    let (max, maxex) = parse_lex_bound(max).ok_or(MINMAX_LEX_ERR)?;
    Ok(LexRange {
        min,
        max,
        minex,
        maxex,
    })
}

// ---------------------------------------------------------------------
// Range selection
// ---------------------------------------------------------------------

/// Rank of the first element in a score range (Redis's zslFirstInRange).
fn score_first(z: &ZSet, r: &ScoreRange) -> Option<usize> {
    let k = z.first_where(|s, _| r.gte_min(s))?;
    r.lte_max(z.get(k).0).then_some(k)
}

fn score_last(z: &ZSet, r: &ScoreRange) -> Option<usize> {
    let k = z.last_where(|s, _| r.lte_max(s))?;
    r.gte_min(z.get(k).0).then_some(k)
}

/// Can anything match (Redis's zslIsInLexRange)? Also checks the ends.
fn lex_possible(z: &ZSet, r: &LexRange) -> bool {
    if !r.is_valid() || z.is_empty() {
        return false;
    }
    r.gte_min(z.get(z.len() - 1).1) && r.lte_max(z.get(0).1)
}

fn lex_first(z: &ZSet, r: &LexRange) -> Option<usize> {
    if !lex_possible(z, r) {
        return None;
    }
    let k = z.first_where(|_, m| r.gte_min(m))?;
    r.lte_max(z.get(k).1).then_some(k)
}

fn lex_last(z: &ZSet, r: &LexRange) -> Option<usize> {
    if !lex_possible(z, r) {
        return None;
    }
    let k = z.last_where(|_, m| r.lte_max(m))?;
    r.gte_min(z.get(k).1).then_some(k)
}

/// How many elements from rank `first` on stay within the lex range's
/// max (ZLEXCOUNT and ZREMRANGEBYLEX walk like that).
fn lex_run(z: &ZSet, r: &LexRange, first: usize) -> usize {
    match z {
        ZSet::Listpack(_) => z
            .iter_from(first, false)
            .take_while(|(_, m)| r.lte_max(m))
            .count(),
        ZSet::Skiplist(_) => match lex_last(z, r) {
            Some(last) if last >= first => last - first + 1,
            _ => 0,
        },
    }
}

/// What a ZRANGE-family command asks for.
enum RangeSpec {
    Rank(i64, i64),
    Score(ScoreRange),
    Lex(LexRange),
}

/// Whether an element is still inside the range being walked.
type InRange<'r> = Box<dyn Fn(f64, &[u8]) -> bool + 'r>;

/// The elements a ZRANGE-family command selects, in reply order.
fn select_range<'a>(
    z: &'a ZSet,
    spec: &RangeSpec,
    rev: bool,
    offset: i64,
    limit: i64,
) -> Vec<(f64, &'a [u8])> {
    let len = z.len();
    let llen = len as i64;
    let (first, in_range): (Option<usize>, InRange<'_>) = match spec {
        RangeSpec::Rank(start, end) => {
            let mut start = if *start < 0 { llen + *start } else { *start };
            let mut end = if *end < 0 { llen + *end } else { *end };
            if start < 0 {
                start = 0;
            }
            if start > end || start >= llen {
                return Vec::new();
            }
            if end >= llen {
                end = llen - 1;
            }
            let n = (end - start + 1) as usize;
            let from = if rev {
                len - 1 - start as usize
            } else {
                start as usize
            };
            return z.iter_from(from, rev).take(n).collect();
        }
        RangeSpec::Score(r) => {
            let first = if rev {
                score_last(z, r)
            } else {
                score_first(z, r)
            };
            let r = *r;
            (
                first,
                Box::new(move |s, _| if rev { r.gte_min(s) } else { r.lte_max(s) }),
            )
        }
        RangeSpec::Lex(r) => {
            let first = if rev { lex_last(z, r) } else { lex_first(z, r) };
            (
                first,
                Box::new(move |_, m| if rev { r.gte_min(m) } else { r.lte_max(m) }),
            )
        }
    };
    let Some(first) = first else {
        return Vec::new();
    };
    // The offset is skipped element by element without a range check; a
    // negative one runs off the end.
    if offset < 0 || offset >= llen {
        return Vec::new();
    }
    let off = offset as usize;
    let start = if rev {
        match first.checked_sub(off) {
            Some(v) => v,
            None => return Vec::new(),
        }
    } else {
        if first + off >= len {
            return Vec::new();
        }
        first + off
    };
    let take = if limit < 0 {
        usize::MAX
    } else {
        limit as usize
    };
    z.iter_from(start, rev)
        .take(take)
        .take_while(|(s, m)| in_range(*s, m))
        .collect()
}

/// Reply with elements, flat with scores in RESP2, pairs in RESP3.
fn reply_elements(r: &mut ReplyBuf, items: &[(f64, &[u8])], withscores: bool) {
    let resp3 = r.resp >= 3;
    r.array_len(if withscores && !resp3 {
        items.len() * 2
    } else {
        items.len()
    });
    for (s, m) in items {
        if withscores && resp3 {
            r.array_len(2);
        }
        r.bulk(m);
        if withscores {
            r.double(*s);
        }
    }
}

// ---------------------------------------------------------------------
// ZADD, ZINCRBY, ZREM
// ---------------------------------------------------------------------

/// Redis's zaddGenericCommand (ZINCRBY is ZADD with INCR).
fn zadd_generic(s: &mut Server, c: &mut Client, incr: bool) -> CmdResult {
    let mut f = AddFlags {
        incr,
        ..AddFlags::default()
    };
    let mut ch = false;
    let argc = c.argv.len();
    let mut idx = 2;
    while idx < argc {
        let o = &c.argv[idx];
        if is(o, "nx") {
            f.nx = true;
        } else if is(o, "xx") {
            f.xx = true;
        } else if is(o, "ch") {
            ch = true;
        } else if is(o, "incr") {
            f.incr = true;
        } else if is(o, "gt") {
            f.gt = true;
        } else if is(o, "lt") {
            f.lt = true;
        } else {
            break;
        }
        idx += 1;
    }
    let elements = argc - idx;
    if !elements.is_multiple_of(2) || elements == 0 {
        return Err(SYNTAX_ERR);
    }
    let elements = elements / 2;
    if f.nx && f.xx {
        return Err(ReplyError::new(
            "ERR XX and NX options at the same time are not compatible",
        ));
    }
    if (f.nx && (f.gt || f.lt)) || (f.gt && f.lt) {
        return Err(ReplyError::new(
            "ERR GT, LT, and/or NX options at the same time are not compatible",
        ));
    }
    if f.incr && elements > 1 {
        return Err(ReplyError::new(
            "ERR INCR option supports a single increment-element pair",
        ));
    }
    let mut scores = Vec::with_capacity(elements);
    for j in 0..elements {
        scores.push(parse_score(&c.argv[idx + j * 2], NOT_FLOAT_ERR)?);
    }
    let key = c.argv[1].clone();
    let lim = limits(s);
    let exists = check_zset(s, c.db, &key)?;
    let (mut added, mut updated, mut processed) = (0u64, 0u64, 0u64);
    let mut score = 0.0;
    if exists || !f.xx {
        if !exists {
            let z = ZSet::new_for(c.argv[idx + 1].len(), lim);
            s.db_add(c.db, &key, Value::ZSet(Arc::new(z)));
        }
        let Some(z) = zset_mut(s, c.db, &key)? else {
            return Ok(());
        };
        for (j, sc) in scores.iter().enumerate() {
            let member = &c.argv[idx + 1 + j * 2];
            match z.add(*sc, member, f, lim) {
                AddResult::Nan => return Err(NAN_ERR),
                AddResult::Nop => {}
                AddResult::Added(v) => {
                    added += 1;
                    processed += 1;
                    score = v;
                }
                AddResult::Updated(v) => {
                    updated += 1;
                    processed += 1;
                    score = v;
                }
                AddResult::Same(v) => {
                    processed += 1;
                    score = v;
                }
            }
        }
        s.dirty += added + updated;
    }
    if f.incr {
        if processed > 0 {
            c.reply.double(score);
        } else {
            c.reply.null();
        }
    } else {
        c.reply
            .int((if ch { added + updated } else { added }) as i64);
    }
    // Announced after the reply, as Redis does.
    if added + updated > 0 {
        s.note_reply(c);
        let event = if f.incr { "zincr" } else { "zadd" };
        s.notify_keyspace_event(notify::ZSET, event, &key, c.db);
    }
    Ok(())
}

pub fn zadd_command(s: &mut Server, c: &mut Client) -> CmdResult {
    zadd_generic(s, c, false)
}

pub fn zincrby_command(s: &mut Server, c: &mut Client) -> CmdResult {
    zadd_generic(s, c, true)
}

pub fn zrem_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let n = s.remove_members::<ZSet>(
        c.db,
        &c.argv[1],
        &c.argv[2..],
        notify::ZSET,
        "zrem",
        |z, m| z.remove(m),
        |z| z.is_empty(),
    )?;
    c.reply.int(n as i64);
    Ok(())
}

// ---------------------------------------------------------------------
// Reads of single members and counts
// ---------------------------------------------------------------------

pub fn zscore_command(s: &mut Server, c: &mut Client) -> CmdResult {
    match zset_ref(s, c.db, &c.argv[1])?.and_then(|z| z.score(&c.argv[2])) {
        Some(v) => c.reply.double(v),
        None => c.reply.null(),
    }
    Ok(())
}

pub fn zmscore_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let z = zset_ref(s, c.db, &c.argv[1])?;
    c.reply.array_len(c.argv.len() - 2);
    for m in &c.argv[2..] {
        match z.and_then(|z| z.score(m)) {
            Some(v) => c.reply.double(v),
            None => c.reply.null(),
        }
    }
    Ok(())
}

pub fn zcard_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let n = zset_ref(s, c.db, &c.argv[1])?.map(|z| z.len()).unwrap_or(0);
    c.reply.int(n as i64);
    Ok(())
}

pub fn zcount_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let r = parse_score_range(&c.argv[2], &c.argv[3])?;
    let n = match zset_ref(s, c.db, &c.argv[1])? {
        None => 0,
        Some(z) => match (score_first(z, &r), score_last(z, &r)) {
            (Some(a), Some(b)) if b >= a => b - a + 1,
            _ => 0,
        },
    };
    c.reply.int(n as i64);
    Ok(())
}

pub fn zlexcount_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let r = parse_lex_range(&c.argv[2], &c.argv[3])?;
    let n = match zset_ref(s, c.db, &c.argv[1])? {
        None => 0,
        Some(z) => match lex_first(z, &r) {
            Some(first) => lex_run(z, &r, first),
            None => 0,
        },
    };
    c.reply.int(n as i64);
    Ok(())
}

fn zrank_generic(s: &mut Server, c: &mut Client, rev: bool) -> CmdResult {
    let Some(z) = zset_ref(s, c.db, &c.argv[1])? else {
        c.reply.null();
        return Ok(());
    };
    match z.rank(&c.argv[2]) {
        Some(r) => {
            let r = if rev { z.len() - 1 - r } else { r };
            c.reply.int(r as i64)
        }
        None => c.reply.null(),
    }
    Ok(())
}

pub fn zrank_command(s: &mut Server, c: &mut Client) -> CmdResult {
    zrank_generic(s, c, false)
}

pub fn zrevrank_command(s: &mut Server, c: &mut Client) -> CmdResult {
    zrank_generic(s, c, true)
}

// ---------------------------------------------------------------------
// ZRANGE and its older forms
// ---------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq)]
enum RangeKind {
    Auto,
    Rank,
    Score,
    Lex,
}

#[derive(Clone, Copy, PartialEq)]
enum Direction {
    Auto,
    Forward,
    Reverse,
}

/// Redis's zrangeGenericCommand: the key is at `first`; `store` is
/// ZRANGESTORE (destination at `first - 1`).
fn zrange_generic(
    s: &mut Server,
    c: &mut Client,
    first: usize,
    store: bool,
    mut kind: RangeKind,
    mut dir: Direction,
) -> CmdResult {
    let argc = c.argv.len();
    let (mut minidx, mut maxidx) = (first + 1, first + 2);
    let mut withscores = false;
    let (mut offset, mut limit) = (0i64, -1i64);
    let mut j = first + 3;
    while j < argc {
        let left = argc - j - 1;
        let a = &c.argv[j];
        if !store && is(a, "withscores") {
            withscores = true;
        } else if is(a, "limit") && left >= 2 {
            offset = parse_i64(&c.argv[j + 1])?;
            limit = parse_i64(&c.argv[j + 2])?;
            j += 2;
        } else if dir == Direction::Auto && is(a, "rev") {
            dir = Direction::Reverse;
        } else if kind == RangeKind::Auto && is(a, "bylex") {
            kind = RangeKind::Lex;
        } else if kind == RangeKind::Auto && is(a, "byscore") {
            kind = RangeKind::Score;
        } else {
            return Err(SYNTAX_ERR);
        }
        j += 1;
    }
    if kind == RangeKind::Auto {
        kind = RangeKind::Rank;
    }
    let rev = dir == Direction::Reverse;
    if limit != -1 && kind == RangeKind::Rank {
        return Err(ReplyError::new(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if withscores && kind == RangeKind::Lex {
        return Err(ReplyError::new(
            "ERR syntax error, WITHSCORES not supported in combination with BYLEX",
        ));
    }
    if rev && kind != RangeKind::Rank {
        std::mem::swap(&mut minidx, &mut maxidx);
    }
    let spec = match kind {
        RangeKind::Score => RangeSpec::Score(parse_score_range(&c.argv[minidx], &c.argv[maxidx])?),
        RangeKind::Lex => RangeSpec::Lex(parse_lex_range(&c.argv[minidx], &c.argv[maxidx])?),
        _ => RangeSpec::Rank(parse_i64(&c.argv[minidx])?, parse_i64(&c.argv[maxidx])?),
    };
    let key = c.argv[first].clone();
    if store {
        let dst = c.argv[first - 1].clone();
        // A read lookup, as Redis's (hits/misses counted, keymiss sent).
        let mut entries: Vec<(f64, Sds)> = match s.lookup_read(c.db, &key) {
            None => Vec::new(),
            Some(o) => match &o.value {
                Value::ZSet(z) => select_range(z, &spec, rev, offset, limit)
                    .into_iter()
                    .map(|(sc, m)| (sc, Sds::new(m)))
                    .collect(),
                _ => return Err(WRONGTYPE_ERR),
            },
        };
        // Redis builds the destination element by element, starting as a
        // listpack unless a rank range already says it is too long; the
        // elements added before it converts went through the listpack's
        // text form (so -0 became 0).
        let lim = limits(s);
        let mut packed =
            !matches!(spec, RangeSpec::Rank(..)) || entries.len() as u64 <= lim.max_entries;
        for (i, (score, m)) in entries.iter_mut().enumerate() {
            packed = packed && (i as u64) < lim.max_entries && m.len() as u64 <= lim.max_value;
            if packed {
                *score = crate::types::zset::listpack_score(*score);
            }
        }
        let z = ZSet::from_entries(entries, lim);
        store_result(s, c, &dst, z);
        return Ok(());
    }
    let Some(z) = zset_ref(s, c.db, &key)? else {
        c.reply.array_len(0);
        return Ok(());
    };
    let items = select_range(z, &spec, rev, offset, limit);
    reply_elements(&mut c.reply, &items, withscores);
    Ok(())
}

pub fn zrange_command(s: &mut Server, c: &mut Client) -> CmdResult {
    zrange_generic(s, c, 1, false, RangeKind::Auto, Direction::Auto)
}

pub fn zrangestore_command(s: &mut Server, c: &mut Client) -> CmdResult {
    zrange_generic(s, c, 2, true, RangeKind::Auto, Direction::Auto)
}

pub fn zrevrange_command(s: &mut Server, c: &mut Client) -> CmdResult {
    zrange_generic(s, c, 1, false, RangeKind::Rank, Direction::Reverse)
}

pub fn zrangebyscore_command(s: &mut Server, c: &mut Client) -> CmdResult {
    zrange_generic(s, c, 1, false, RangeKind::Score, Direction::Forward)
}

pub fn zrevrangebyscore_command(s: &mut Server, c: &mut Client) -> CmdResult {
    zrange_generic(s, c, 1, false, RangeKind::Score, Direction::Reverse)
}

pub fn zrangebylex_command(s: &mut Server, c: &mut Client) -> CmdResult {
    zrange_generic(s, c, 1, false, RangeKind::Lex, Direction::Forward)
}

pub fn zrevrangebylex_command(s: &mut Server, c: &mut Client) -> CmdResult {
    zrange_generic(s, c, 1, false, RangeKind::Lex, Direction::Reverse)
}

// ---------------------------------------------------------------------
// ZREMRANGEBY*
// ---------------------------------------------------------------------

fn zremrange_generic(s: &mut Server, c: &mut Client, kind: RangeKind) -> CmdResult {
    let spec = match kind {
        RangeKind::Score => RangeSpec::Score(parse_score_range(&c.argv[2], &c.argv[3])?),
        RangeKind::Lex => RangeSpec::Lex(parse_lex_range(&c.argv[2], &c.argv[3])?),
        _ => RangeSpec::Rank(parse_i64(&c.argv[2])?, parse_i64(&c.argv[3])?),
    };
    let key = c.argv[1].clone();
    if !check_zset(s, c.db, &key)? {
        c.reply.int(0);
        return Ok(());
    }
    let Some(z) = zset_mut(s, c.db, &key)? else {
        c.reply.int(0);
        return Ok(());
    };
    let len = z.len() as i64;
    let (start, n) = match &spec {
        RangeSpec::Rank(start, end) => {
            let mut start = if *start < 0 { len + *start } else { *start };
            let mut end = if *end < 0 { len + *end } else { *end };
            if start < 0 {
                start = 0;
            }
            if start > end || start >= len {
                (0, 0)
            } else {
                if end >= len {
                    end = len - 1;
                }
                (start as usize, (end - start + 1) as usize)
            }
        }
        RangeSpec::Score(r) => match (score_first(z, r), score_last(z, r)) {
            (Some(a), Some(b)) if b >= a => (a, b - a + 1),
            _ => (0, 0),
        },
        RangeSpec::Lex(r) => match lex_first(z, r) {
            Some(a) => (a, lex_run(z, r, a)),
            None => (0, 0),
        },
    };
    let removed = if n > 0 {
        z.remove_range(start, start + n).len()
    } else {
        0
    };
    if removed > 0 {
        let event = match kind {
            RangeKind::Score => "zremrangebyscore",
            RangeKind::Lex => "zremrangebylex",
            _ => "zremrangebyrank",
        };
        s.notify_keyspace_event(notify::ZSET, event, &key, c.db);
    }
    delete_if_empty(s, c.db, &key);
    s.dirty += removed as u64;
    c.reply.int(removed as i64);
    Ok(())
}

pub fn zremrangebyrank_command(s: &mut Server, c: &mut Client) -> CmdResult {
    zremrange_generic(s, c, RangeKind::Rank)
}

pub fn zremrangebyscore_command(s: &mut Server, c: &mut Client) -> CmdResult {
    zremrange_generic(s, c, RangeKind::Score)
}

pub fn zremrangebylex_command(s: &mut Server, c: &mut Client) -> CmdResult {
    zremrange_generic(s, c, RangeKind::Lex)
}

// ---------------------------------------------------------------------
// Pops
// ---------------------------------------------------------------------

fn pop_name(max: bool) -> &'static [u8] {
    if max { b"ZPOPMAX" } else { b"ZPOPMIN" }
}

/// How a pop replies (Redis's genericZpopCommand arguments).
#[derive(Clone, Copy)]
struct PopReply {
    /// Pop the highest scores.
    max: bool,
    /// At most this many (≥ 1).
    count: usize,
    /// The key comes first in the reply.
    emitkey: bool,
    /// One [member, score] array per element.
    nested: bool,
}

/// Pop from the sorted set at `key` (which exists) and reply as Redis's
/// genericZpopCommand does. Returns how many were popped.
fn pop_and_reply(s: &mut Server, c: &mut Client, db: usize, key: &[u8], how: PopReply) -> usize {
    let PopReply {
        max,
        count,
        emitkey,
        nested,
    } = how;
    let popped = match zset_mut(s, db, key) {
        Ok(Some(z)) => {
            let len = z.len();
            let n = count.min(len);
            let mut v = if max {
                z.remove_range(len - n, len)
            } else {
                z.remove_range(0, n)
            };
            if max {
                v.reverse();
            }
            v
        }
        _ => Vec::new(),
    };
    let n = popped.len();
    let r = &mut c.reply;
    match (nested, emitkey) {
        (false, false) => r.array_len(n * 2),
        (true, false) => r.array_len(n),
        (false, true) => {
            r.array_len(n * 2 + 1);
            r.bulk(key);
        }
        (true, true) => {
            r.array_len(2);
            r.bulk(key);
            r.array_len(n);
        }
    }
    // Redis announces the pop between the reply's headers and its
    // elements, and the key's deletion after the whole reply.
    if n > 0 {
        s.note_reply(c);
        let event = if max { "zpopmax" } else { "zpopmin" };
        s.notify_keyspace_event(notify::ZSET, event, key, db);
    }
    let r = &mut c.reply;
    for (sc, m) in &popped {
        if nested {
            r.array_len(2);
        }
        r.bulk(m);
        r.double(*sc);
    }
    s.dirty += n as u64;
    s.note_reply(c);
    delete_if_empty(s, db, key);
    n
}

fn zpop_minmax(s: &mut Server, c: &mut Client, max: bool) -> CmdResult {
    if c.argv.len() > 3 {
        return Err(SYNTAX_ERR);
    }
    let count = match c.argv.get(2) {
        Some(a) => Some(parse_positive(a)? as usize),
        None => None,
    };
    let key = c.argv[1].clone();
    if !check_zset(s, c.db, &key)? || count == Some(0) {
        c.reply.array_len(0);
        return Ok(());
    }
    let nested = c.reply.resp >= 3 && count.is_some();
    let how = PopReply {
        max,
        count: count.unwrap_or(1),
        emitkey: false,
        nested,
    };
    pop_and_reply(s, c, c.db, &key, how);
    Ok(())
}

pub fn zpopmin_command(s: &mut Server, c: &mut Client) -> CmdResult {
    zpop_minmax(s, c, false)
}

pub fn zpopmax_command(s: &mut Server, c: &mut Client) -> CmdResult {
    zpop_minmax(s, c, true)
}

/// BZPOPMIN/BZPOPMAX (`count` None: flat, key first) and ZMPOP/BZMPOP
/// (nested, key first) replies.
fn served_pop(max: bool, count: Option<usize>) -> PopReply {
    PopReply {
        max,
        count: count.unwrap_or(1),
        emitkey: true,
        nested: count.is_some(),
    }
}

/// Pop from the first sorted set among `keys` (the first existing key
/// must be one). `count` None is BZPOPMIN/BZPOPMAX's flat reply; Some is
/// ZMPOP's nested one. Logged as ZPOPMIN/ZPOPMAX. False if all are missing.
fn pop_first(
    s: &mut Server,
    c: &mut Client,
    keys: std::ops::Range<usize>,
    max: bool,
    count: Option<usize>,
) -> Result<bool, ReplyError> {
    for i in keys {
        let key = c.argv[i].clone();
        if !check_zset(s, c.db, &key)? {
            continue;
        }
        let n = pop_and_reply(s, c, c.db, &key, served_pop(max, count));
        // Only the key popped from changed, not every key named.
        s.signal_modified_key(c.db, &key);
        s.keys_signalled = true;
        let mut argv = vec![pop_name(max).to_vec(), key];
        if count.is_some() {
            argv.push(n.to_string().into_bytes());
        }
        s.propagate_as(argv);
        return Ok(true);
    }
    Ok(false)
}

pub fn zmpop_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let a = super::args::parse_mpop(&c.argv, 1, ["min", "max"])?;
    if !pop_first(s, c, a.keys, a.second, Some(a.count))? {
        c.reply.null_array();
    }
    Ok(())
}

fn blocking_pop(
    s: &mut Server,
    c: &mut Client,
    keys: std::ops::Range<usize>,
    deadline: i64,
    max: bool,
    count: Option<usize>,
) -> CmdResult {
    if pop_first(s, c, keys.clone(), max, count)? {
        return Ok(());
    }
    let keys = c.argv[keys].to_vec();
    s.block_client(
        c,
        BlockState {
            db: c.db,
            keys,
            deadline,
            op: BlockOp::ZPop { max, count },
        },
    );
    Ok(())
}

fn bzpop_minmax(s: &mut Server, c: &mut Client, max: bool) -> CmdResult {
    let last = c.argv.len() - 1;
    let deadline = super::args::parse_block_timeout(s.now_ms, &c.argv[last])?;
    blocking_pop(s, c, 1..last, deadline, max, None)
}

pub fn bzpopmin_command(s: &mut Server, c: &mut Client) -> CmdResult {
    bzpop_minmax(s, c, false)
}

pub fn bzpopmax_command(s: &mut Server, c: &mut Client) -> CmdResult {
    bzpop_minmax(s, c, true)
}

pub fn bzmpop_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let a = super::args::parse_mpop(&c.argv, 2, ["min", "max"])?;
    let deadline = super::args::parse_block_timeout(s.now_ms, &c.argv[1])?;
    blocking_pop(s, c, a.keys, deadline, a.second, Some(a.count))
}

/// Serve one client blocked in BZPOPMIN/BZPOPMAX/BZMPOP from the sorted
/// set at `key` (which has members); unblock it when served.
pub fn serve_blocked_client(s: &mut Server, c: &mut Client, key: &[u8]) {
    let Some(state) = c.bstate.clone() else {
        return;
    };
    let BlockOp::ZPop { max, count } = state.op else {
        return;
    };
    if state.db >= s.db_count() {
        return;
    }
    let db = state.db;
    if !matches!(s.lookup_notouch(db, key), Some(o) if matches!(&o.value, Value::ZSet(z) if !z.is_empty()))
    {
        return;
    }
    // Served outside `call`: what it does is one execution unit, sent
    // out here (Redis's afterCommand on the receiver).
    s.prop.cmd_db = db;
    s.prop.depth += 1;
    let n = pop_and_reply(s, c, db, key, served_pop(max, count));
    let mut argv = vec![pop_name(max).to_vec(), key.to_vec()];
    if count.is_some() {
        argv.push(n.to_string().into_bytes());
    }
    s.propagate_as(argv);
    s.prop.depth -= 1;
    s.prop.prevent_cmd = false;
    s.signal_modified_key(db, key);
    s.propagate_pending();
    s.stats.numcommands += 1;
    s.unblock_client(c);
}

// ---------------------------------------------------------------------
// ZUNION, ZINTER, ZDIFF and their STORE forms, ZINTERCARD
// ---------------------------------------------------------------------

/// An input of a set operation: a sorted set, a set (every score 1), or
/// nothing.
enum Src {
    None,
    Z(Arc<ZSet>),
    S(Arc<Set>),
}

impl Src {
    fn len(&self) -> usize {
        match self {
            Src::None => 0,
            Src::Z(z) => z.len(),
            Src::S(st) => st.len(),
        }
    }

    fn find(&self, m: &[u8]) -> Option<f64> {
        match self {
            Src::None => None,
            Src::Z(z) => z.score(m),
            Src::S(st) => st.contains(m).then_some(1.0),
        }
    }

    /// Call `f(member, score)` for each element until it returns false.
    fn each(&self, mut f: impl FnMut(&[u8], f64) -> bool) {
        match self {
            Src::None => {}
            Src::Z(z) => {
                for (sc, m) in z.iter() {
                    if !f(m, sc) {
                        return;
                    }
                }
            }
            Src::S(st) => {
                let mut buf = [0u8; 20];
                for m in st.iter() {
                    if !f(m.bytes(&mut buf), 1.0) {
                        return;
                    }
                }
            }
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum SetOp {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

fn aggregate(target: &mut f64, val: f64, agg: Aggregate) {
    match agg {
        Aggregate::Sum => {
            *target += val;
            if target.is_nan() {
                *target = 0.0;
            }
        }
        Aggregate::Min => {
            if val < *target {
                *target = val;
            }
        }
        Aggregate::Max => {
            if val > *target {
                *target = val;
            }
        }
    }
}

/// Redis's zunionInterDiffGenericCommand.
fn zsetop_generic(
    s: &mut Server,
    c: &mut Client,
    dst: Option<Vec<u8>>,
    numkeys_idx: usize,
    op: SetOp,
    card_only: bool,
) -> CmdResult {
    let argc = c.argv.len();
    let setnum = parse_i64(&c.argv[numkeys_idx])?;
    if setnum < 1 {
        return Err(ReplyError::owned(format!(
            "ERR at least 1 input key is needed for '{}' command",
            String::from_utf8_lossy(&c.argv[0]).to_lowercase()
        )));
    }
    if setnum > (argc - (numkeys_idx + 1)) as i64 {
        return Err(SYNTAX_ERR);
    }
    let setnum = setnum as usize;
    let mut srcs: Vec<(Src, f64)> = Vec::with_capacity(setnum);
    for i in 0..setnum {
        let key = &c.argv[numkeys_idx + 1 + i];
        // Read lookups for the STORE forms too, as Redis 7.0's (stats
        // and keymiss count every missing source).
        let o = s.lookup_read(c.db, key);
        let src = match o.map(|o| &o.value) {
            None => Src::None,
            Some(Value::ZSet(z)) => Src::Z(z.clone()),
            Some(Value::Set(st)) => Src::S(st.clone()),
            Some(_) => return Err(WRONGTYPE_ERR),
        };
        srcs.push((src, 1.0));
    }
    let mut agg = Aggregate::Sum;
    let mut withscores = false;
    let mut limit: usize = 0;
    let mut j = numkeys_idx + 1 + setnum;
    while j < argc {
        let remaining = argc - j;
        let a = &c.argv[j];
        if op != SetOp::Diff && !card_only && remaining > setnum && is(a, "weights") {
            j += 1;
            for src in srcs.iter_mut() {
                src.1 = parse_score(
                    &c.argv[j],
                    ReplyError::new("ERR weight value is not a float"),
                )?;
                j += 1;
            }
        } else if op != SetOp::Diff && !card_only && remaining >= 2 && is(a, "aggregate") {
            let v = &c.argv[j + 1];
            agg = if is(v, "sum") {
                Aggregate::Sum
            } else if is(v, "min") {
                Aggregate::Min
            } else if is(v, "max") {
                Aggregate::Max
            } else {
                return Err(SYNTAX_ERR);
            };
            j += 2;
        } else if dst.is_none() && !card_only && is(a, "withscores") {
            withscores = true;
            j += 1;
        } else if card_only && remaining >= 2 && is(a, "limit") {
            limit = parse_range(
                &c.argv[j + 1],
                0,
                i64::MAX,
                Some("ERR LIMIT can't be negative"),
            )? as usize;
            j += 2;
        } else {
            return Err(SYNTAX_ERR);
        }
    }
    if op != SetOp::Diff {
        srcs.sort_by_key(|(src, _)| src.len());
    }
    let mut out: Vec<(f64, Sds)> = Vec::new();
    let mut card: usize = 0;
    match op {
        SetOp::Inter => {
            // numkeys >= 1 was checked while parsing.
            if let Some((first, rest)) = srcs.split_first()
                && first.0.len() > 0
            {
                first.0.each(|m, sc| {
                    let mut score = first.1 * sc;
                    if score.is_nan() {
                        score = 0.0;
                    }
                    for (src, w) in rest {
                        match src.find(m) {
                            Some(v) => aggregate(&mut score, v * w, agg),
                            None => return true,
                        }
                    }
                    if card_only {
                        card += 1;
                        return !(limit != 0 && card >= limit);
                    }
                    out.push((score, Sds::new(m)));
                    true
                });
            }
        }
        SetOp::Union => {
            let mut acc: FastMap<Vec<u8>, f64> = FastMap::default();
            for (src, w) in &srcs {
                src.each(|m, sc| {
                    let mut score = w * sc;
                    if score.is_nan() {
                        score = 0.0;
                    }
                    match acc.get_mut(m) {
                        Some(t) => aggregate(t, score, agg),
                        None => {
                            acc.insert(m.to_vec(), score);
                        }
                    }
                    true
                });
            }
            out = acc
                .into_iter()
                .map(|(m, sc)| (sc, Sds::from_vec(m)))
                .collect();
        }
        SetOp::Diff => {
            if let Some((first, rest)) = srcs.split_first() {
                first.0.each(|m, sc| {
                    if !rest.iter().any(|(src, _)| src.find(m).is_some()) {
                        out.push((sc, Sds::new(m)));
                    }
                    true
                });
            }
        }
    }
    if let Some(dst) = dst {
        let z = ZSet::from_entries(out, limits(s));
        store_result(s, c, &dst, z);
    } else if card_only {
        c.reply.int(card as i64);
    } else {
        out.sort_unstable_by(|a, b| crate::types::zset::cmp_entry(a.0, &a.1, b.0, &b.1));
        let items: Vec<(f64, &[u8])> = out.iter().map(|(sc, m)| (*sc, &m[..])).collect();
        reply_elements(&mut c.reply, &items, withscores);
    }
    Ok(())
}

pub fn zunion_command(s: &mut Server, c: &mut Client) -> CmdResult {
    zsetop_generic(s, c, None, 1, SetOp::Union, false)
}

pub fn zinter_command(s: &mut Server, c: &mut Client) -> CmdResult {
    zsetop_generic(s, c, None, 1, SetOp::Inter, false)
}

pub fn zdiff_command(s: &mut Server, c: &mut Client) -> CmdResult {
    zsetop_generic(s, c, None, 1, SetOp::Diff, false)
}

pub fn zunionstore_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let dst = c.argv[1].clone();
    zsetop_generic(s, c, Some(dst), 2, SetOp::Union, false)
}

pub fn zinterstore_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let dst = c.argv[1].clone();
    zsetop_generic(s, c, Some(dst), 2, SetOp::Inter, false)
}

pub fn zdiffstore_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let dst = c.argv[1].clone();
    zsetop_generic(s, c, Some(dst), 2, SetOp::Diff, false)
}

pub fn zintercard_command(s: &mut Server, c: &mut Client) -> CmdResult {
    zsetop_generic(s, c, None, 1, SetOp::Inter, true)
}

// ---------------------------------------------------------------------
// ZRANDMEMBER, ZSCAN
// ---------------------------------------------------------------------

pub fn zrandmember_command(s: &mut Server, c: &mut Client) -> CmdResult {
    if c.argv.len() >= 3 {
        let l = parse_range(&c.argv[2], -i64::MAX, i64::MAX, None).map_err(|e| {
            if e.as_bytes().starts_with(b"ERR value is out of range") {
                ReplyError::owned(format!(
                    "ERR value is out of range, value must between {} and {}",
                    -i64::MAX,
                    i64::MAX
                ))
            } else {
                e
            }
        })?;
        let argc = c.argv.len();
        if argc > 4 || (argc == 4 && !is(&c.argv[3], "withscores")) {
            return Err(SYNTAX_ERR);
        }
        let withscores = argc == 4;
        if withscores && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&l) {
            return Err(ReplyError::new("ERR value is out of range"));
        }
        return zrandmember_with_count(s, c, l, withscores);
    }
    match zset_ref(s, c.db, &c.argv[1])?.and_then(|z| z.random()) {
        Some((_, m)) => c.reply.bulk(m),
        None => c.reply.null(),
    }
    Ok(())
}

fn zrandmember_with_count(s: &mut Server, c: &mut Client, l: i64, withscores: bool) -> CmdResult {
    let Some(z) = zset_ref(s, c.db, &c.argv[1])? else {
        c.reply.array_len(0);
        return Ok(());
    };
    let r = &mut c.reply;
    let count = l.unsigned_abs() as usize;
    if count == 0 {
        r.array_len(0);
        return Ok(());
    }
    let resp3 = r.resp >= 3;
    let pair = |r: &mut ReplyBuf, sc: f64, m: &[u8]| {
        if withscores && resp3 {
            r.array_len(2);
        }
        r.bulk(m);
        if withscores {
            r.double(sc);
        }
    };
    // Negative count (or 1): independent picks, repeats allowed.
    if l < 0 || count == 1 {
        r.array_len(if withscores && !resp3 {
            count * 2
        } else {
            count
        });
        for _ in 0..count {
            if let Some((sc, m)) = z.random() {
                pair(r, sc, m);
            }
        }
        return Ok(());
    }
    let len = z.len();
    let n = count.min(len);
    r.array_len(if withscores && !resp3 { n * 2 } else { n });
    // At least the whole set: all of it, from the highest score down, as
    // Redis's iterator walks it.
    if count >= len {
        for (sc, m) in z.iter_from(len - 1, true) {
            pair(r, sc, m);
        }
        return Ok(());
    }
    for (sc, m) in z.random_distinct(count) {
        pair(r, sc, m);
    }
    Ok(())
}

pub fn zscan_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let mut cursor = parse_scan_cursor(&c.argv[2])?;
    let Some(z) = zset_ref(s, c.db, &c.argv[1])? else {
        c.reply.array_len(2);
        c.reply.bulk(b"0");
        c.reply.array_len(0);
        return Ok(());
    };
    // Options are read only once the key is known to be a sorted set.
    let opts = parse_scan_opts(&c.argv, 3, false)?;
    let listpack = z.is_listpack();
    let mut pairs: Vec<(Vec<u8>, f64)> = Vec::new();
    let mut maxiter = opts.count.saturating_mul(10);
    loop {
        cursor = z.scan(cursor, |m, sc| pairs.push((m.to_vec(), sc)));
        // Redis counts members and scores alike against COUNT.
        if cursor == 0 || maxiter == 0 || pairs.len() * 2 >= opts.count {
            break;
        }
        maxiter -= 1;
    }
    if let Some(p) = &opts.pattern {
        pairs.retain(|(m, _)| string_match(p, m, false));
    }
    let r = &mut c.reply;
    r.array_len(2);
    r.bulk(cursor.to_string().as_bytes());
    r.array_len(pairs.len() * 2);
    for (m, sc) in &pairs {
        r.bulk(m);
        // A listpack holds scores as text (integers as integers); the
        // skiplist's are formatted with %.17g.
        if listpack {
            r.bulk(listpack_score_text(*sc).as_bytes());
        } else {
            r.bulk(fmt_g17(*sc).as_bytes());
        }
    }
    Ok(())
}
