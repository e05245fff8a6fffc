//! Group `stream`: XADD, XLEN, XRANGE/XREVRANGE, XDEL, XTRIM, XSETID,
//! XREAD/XREADGROUP (and their blocking forms), XACK, XPENDING, XCLAIM,
//! XAUTOCLAIM, XGROUP and XINFO (Redis's t_stream.c). The data structure
//! lives in `types/stream.rs`.
//!
//! Propagation follows Redis 7.0: XADD goes out with the ID it generated
//! and an approximate trim rewritten as the exact one it did; what
//! XREADGROUP, XCLAIM and XAUTOCLAIM change in a group goes out as
//! idempotent `XCLAIM ... FORCE JUSTID LASTID` commands (plus
//! `XGROUP SETID` / `XGROUP CREATECONSUMER` under NOACK), never as
//! themselves.

use super::args::{is, parse_i64, parse_i64_or, reply_help, subcommand_syntax_error};
use super::{CmdResult, ReplyError, SYNTAX_ERR, WRONGTYPE_ERR};
use crate::blocked::{BlockOp, BlockState};
use crate::client::Client;
use crate::notify;
use crate::persistence::listpack::Entry;
use crate::resp::reply::ReplyBuf;
use crate::server::Server;
use crate::types::Value;
use crate::types::stream::{
    AppendError, ConsumerGroup, EntryView, INVALID_ENTRIES_READ, IdSpec, Nack, NodeLimits, Stream,
    StreamId, TrimArgs, TrimStrategy,
};
use std::sync::Arc;

const INVALID_ID_ERR: ReplyError =
    ReplyError::new("ERR Invalid stream ID specified as stream command argument");
const NO_KEY_ERR: ReplyError = ReplyError::new("ERR no such key");
/// XREAD's COUNT when a blocked client did not give one.
const XREAD_BLOCKED_DEFAULT_COUNT: usize = 1000;

// ---------------------------------------------------------------------
// IDs
// ---------------------------------------------------------------------

/// C's strtoull as Redis's string2ull falls back to it: leading blanks, a
/// sign (a minus negates, wrapping), decimal digits to the end, no
/// overflow.
fn strtoull(s: &[u8]) -> Option<u64> {
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
        i += 1;
    }
    let mut neg = false;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        neg = s[i] == b'-';
        i += 1;
    }
    if i >= s.len() {
        return None;
    }
    let mut v: u64 = 0;
    for &b in &s[i..] {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((b - b'0') as u64)?;
    }
    Some(if neg { v.wrapping_neg() } else { v })
}

/// Redis's string2ull.
fn string2ull(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    if let Some(v) = crate::util::num::string2ll(s) {
        return if v < 0 { None } else { Some(v as u64) };
    }
    strtoull(s)
}

/// streamGenericParseIDOrReply: `<ms>-<seq>`, `<ms>` (seq `missing_seq`),
/// `-`/`+` unless `strict`, and `<ms>-*` when `ms_star` (returns
/// seq_given false).
fn parse_id_generic(
    arg: &[u8],
    missing_seq: u64,
    strict: bool,
    ms_star: bool,
) -> Result<(StreamId, bool), ReplyError> {
    // Redis copies into a 128-byte C buffer: a NUL ends the string.
    if arg.len() > 127 {
        return Err(INVALID_ID_ERR);
    }
    let buf = match arg.iter().position(|&b| b == 0) {
        Some(n) => &arg[..n],
        None => arg,
    };
    if strict && (buf == b"-" || buf == b"+") {
        return Err(INVALID_ID_ERR);
    }
    if buf == b"-" {
        return Ok((StreamId::MIN, true));
    }
    if buf == b"+" {
        return Ok((StreamId::MAX, true));
    }
    let (ms_part, seq_part) = match buf.iter().position(|&b| b == b'-') {
        Some(d) => (&buf[..d], Some(&buf[d + 1..])),
        None => (buf, None),
    };
    let ms = string2ull(ms_part).ok_or(INVALID_ID_ERR)?;
    let (seq, given) = match seq_part {
        Some(b"*") if ms_star => (0, false),
        Some(p) => (string2ull(p).ok_or(INVALID_ID_ERR)?, true),
        None => (missing_seq, true),
    };
    Ok((StreamId::new(ms, seq), given))
}

fn parse_id(arg: &[u8], missing_seq: u64) -> Result<StreamId, ReplyError> {
    parse_id_generic(arg, missing_seq, false, false).map(|r| r.0)
}

fn parse_strict_id(arg: &[u8], missing_seq: u64) -> Result<StreamId, ReplyError> {
    parse_id_generic(arg, missing_seq, true, false).map(|r| r.0)
}

/// A range bound: `(` makes it exclusive (and strict).
fn parse_interval_id(arg: &[u8], missing_seq: u64) -> Result<(StreamId, bool), ReplyError> {
    if arg.len() > 1 && arg[0] == b'(' {
        Ok((parse_strict_id(&arg[1..], missing_seq)?, true))
    } else {
        Ok((parse_id(arg, missing_seq)?, false))
    }
}

fn parse_range_start(arg: &[u8]) -> Result<StreamId, ReplyError> {
    let (id, ex) = parse_interval_id(arg, 0)?;
    if ex {
        id.incr()
            .ok_or(ReplyError::new("ERR invalid start ID for the interval"))
    } else {
        Ok(id)
    }
}

fn parse_range_end(arg: &[u8]) -> Result<StreamId, ReplyError> {
    let (id, ex) = parse_interval_id(arg, u64::MAX)?;
    if ex {
        id.decr()
            .ok_or(ReplyError::new("ERR invalid end ID for the interval"))
    } else {
        Ok(id)
    }
}

// ---------------------------------------------------------------------
// Replies
// ---------------------------------------------------------------------

fn bulk_entry(r: &mut ReplyBuf, e: Entry<'_>) {
    match e {
        Entry::Str(s) => r.bulk(s),
        Entry::Int(v) => r.bulk_int(v),
    }
}

fn reply_id(r: &mut ReplyBuf, id: StreamId) {
    r.bulk(&id.to_bytes());
}

/// `[id, [field, value, ...]]`.
fn reply_entry(r: &mut ReplyBuf, e: &EntryView<'_>) {
    r.array_len(2);
    reply_id(r, e.id);
    r.array_len(e.nfields * 2);
    for (f, v) in e.fields() {
        bulk_entry(r, f);
        bulk_entry(r, v);
    }
}

/// Reply with the entries of a range, at most `count` (0: all); returns
/// how many (streamReplyWithRange without a group).
fn reply_range(
    r: &mut ReplyBuf,
    s: &Stream,
    start: StreamId,
    end: StreamId,
    count: usize,
    rev: bool,
    raw: bool,
) -> usize {
    let d = r.deferred();
    let mut n = 0;
    s.range(start, end, rev, |e| {
        reply_entry(r, e);
        n += 1;
        count == 0 || n < count
    });
    if !raw {
        r.set_deferred_array_len(d, n);
    }
    n
}

fn nogroup_err(key: &[u8], group: &[u8], suffix: &str) -> ReplyError {
    ReplyError::bytes(
        [
            b"NOGROUP No such key '".as_slice(),
            key,
            b"' or consumer group '",
            group,
            b"'",
            suffix.as_bytes(),
        ]
        .concat(),
    )
}

fn nogroup_for_key_err(group: &[u8], key: &[u8]) -> ReplyError {
    ReplyError::bytes(
        [
            b"NOGROUP No such consumer group '".as_slice(),
            group,
            b"' for key name '",
            key,
            b"'",
        ]
        .concat(),
    )
}

// ---------------------------------------------------------------------
// Lookups
// ---------------------------------------------------------------------

fn limits(s: &Server) -> NodeLimits {
    NodeLimits {
        max_bytes: s.config.stream_node_max_bytes as usize,
        max_entries: s.config.stream_node_max_entries,
    }
}

/// The stream at `key` for writing, no stats touched (the caller looked
/// it up already).
fn stream_mut<'a>(s: &'a mut Server, db: usize, key: &[u8]) -> Option<&'a mut Stream> {
    match s.peek_mut(db, key).map(|o| &mut o.value) {
        Some(Value::Stream(st)) => Some(Arc::make_mut(st)),
        _ => None,
    }
}

/// Is the running client a script's? (Redis's CLIENT_SCRIPT.)
fn from_script(c: &Client) -> bool {
    c.id == u64::MAX && c.sock.is_none()
}

// ---------------------------------------------------------------------
// XADD / XTRIM
// ---------------------------------------------------------------------

struct AddTrimArgs {
    id: IdSpec,
    id_given: bool,
    no_mkstream: bool,
    trim: TrimArgs,
    /// Index of the MAXLEN/MINID threshold argument, for the rewrite.
    trim_arg_idx: usize,
}

/// streamParseAddOrTrimArgsOrReply; returns the args and the ID's index.
fn parse_add_trim(s: &Server, c: &Client, xadd: bool) -> Result<(AddTrimArgs, usize), ReplyError> {
    let argv = &c.argv;
    let argc = argv.len();
    let mut a = AddTrimArgs {
        id: IdSpec::Auto,
        id_given: false,
        no_mkstream: false,
        trim: TrimArgs {
            strategy: TrimStrategy::None,
            approx: false,
            limit: 0,
        },
        trim_arg_idx: 0,
    };
    let mut limit_given = false;
    let mut i = 2;
    while i < argc {
        let moreargs = argc - 1 - i;
        let opt = &argv[i][..];
        if xadd && opt == b"*" {
            break;
        } else if (is(opt, "maxlen") || is(opt, "minid")) && moreargs > 0 {
            if a.trim.strategy != TrimStrategy::None {
                return Err(ReplyError::new(
                    "ERR syntax error, MAXLEN and MINID options at the same time are not compatible",
                ));
            }
            a.trim.approx = false;
            let next = &argv[i + 1][..];
            if moreargs >= 2 && next == b"~" {
                a.trim.approx = true;
                i += 1;
            } else if moreargs >= 2 && next == b"=" {
                i += 1;
            }
            if is(opt, "maxlen") {
                let n = parse_i64(&argv[i + 1])?;
                if n < 0 {
                    return Err(ReplyError::new("ERR The MAXLEN argument must be >= 0."));
                }
                a.trim.strategy = TrimStrategy::MaxLen(n as u64);
            } else {
                a.trim.strategy = TrimStrategy::MinId(parse_strict_id(&argv[i + 1], 0)?);
            }
            i += 1;
            a.trim_arg_idx = i;
        } else if is(opt, "limit") && moreargs > 0 {
            let n = parse_i64(&argv[i + 1])?;
            if n < 0 {
                return Err(ReplyError::new("ERR The LIMIT argument must be >= 0."));
            }
            a.trim.limit = n;
            limit_given = true;
            i += 1;
        } else if xadd && is(opt, "nomkstream") {
            a.no_mkstream = true;
        } else if xadd {
            let (id, seq_given) = parse_id_generic(opt, 0, true, true)?;
            a.id = if seq_given {
                IdSpec::Exact(id)
            } else {
                IdSpec::Ms(id.ms)
            };
            a.id_given = true;
            break;
        } else {
            return Err(SYNTAX_ERR);
        }
        i += 1;
    }
    if a.trim.limit != 0 && a.trim.strategy == TrimStrategy::None {
        return Err(ReplyError::new(
            "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy",
        ));
    }
    if !xadd && a.trim.strategy == TrimStrategy::None {
        return Err(ReplyError::new(
            "ERR syntax error, XTRIM must be called with a trimming strategy",
        ));
    }
    if s.loading {
        // A replayed file's trims were rewritten exact: no limit applies.
        a.trim.limit = 0;
    } else if limit_given {
        if !a.trim.approx {
            return Err(ReplyError::new(
                "ERR syntax error, LIMIT cannot be used without the special ~ option",
            ));
        }
    } else if a.trim.approx {
        let mut l = 100i64.saturating_mul(s.config.stream_node_max_entries);
        if l <= 0 {
            l = 10000;
        }
        a.trim.limit = l.min(1_000_000);
    } else {
        a.trim.limit = 0;
    }
    Ok((a, i))
}

/// After an approximate trim, the form to propagate: `=` and the length
/// (or first ID) the stream was left with.
fn rewrite_trim(argv: &mut [Vec<u8>], st: &Stream, a: &AddTrimArgs) {
    let idx = a.trim_arg_idx;
    if idx < 1 || idx >= argv.len() {
        return;
    }
    argv[idx - 1] = b"=".to_vec();
    argv[idx] = match a.trim.strategy {
        TrimStrategy::MaxLen(_) => st.length.to_string().into_bytes(),
        _ => st.edge_id(true, false).unwrap_or(StreamId::MAX).to_bytes(),
    };
}

pub fn xadd_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let (a, idpos) = parse_add_trim(s, c, true)?;
    let field_pos = idpos + 1;
    let argc = c.argv.len();
    if argc < field_pos + 2 || !(argc - field_pos).is_multiple_of(2) {
        return Err(ReplyError::new(
            "ERR wrong number of arguments for 'xadd' command",
        ));
    }
    if let IdSpec::Exact(id) = a.id
        && id.is_zero()
    {
        return Err(ReplyError::new(
            "ERR The ID specified in XADD must be greater than 0-0",
        ));
    }
    let key = c.argv[1].clone();
    let db = c.db;
    match s.lookup_write(db, &key) {
        None => {
            if a.no_mkstream {
                c.reply.null();
                return Ok(());
            }
            s.db_add(db, &key, Value::Stream(Arc::new(Stream::new())));
        }
        Some(o) if matches!(o.value, Value::Stream(_)) => {}
        Some(_) => return Err(WRONGTYPE_ERR),
    }
    let lim = limits(s);
    let now = s.now_ms.max(0) as u64;
    let Some(st) = stream_mut(s, db, &key) else {
        return Err(WRONGTYPE_ERR);
    };
    if st.last_id == StreamId::MAX {
        return Err(ReplyError::new(
            "ERR The stream has exhausted the last possible ID, unable to add more items",
        ));
    }
    let id = match st.append(&c.argv[field_pos..], a.id, lim, now) {
        Ok(id) => id,
        Err(AppendError::IdTooSmall) => {
            return Err(ReplyError::new(
                "ERR The ID specified in XADD is equal or smaller than the target stream top item",
            ));
        }
        Err(AppendError::TooLarge) => {
            return Err(ReplyError::new("ERR Elements are too large to be stored"));
        }
    };
    let idbytes = id.to_bytes();
    c.reply.bulk(&idbytes);
    s.keys_signalled = true;
    s.signal_modified_key(db, &key);
    s.note_reply(c);
    s.notify_keyspace_event(notify::STREAM, "xadd", &key, db);
    s.dirty += 1;

    let mut rewritten = false;
    if a.trim.strategy != TrimStrategy::None {
        let Some(st) = stream_mut(s, db, &key) else {
            return Ok(());
        };
        let trimmed = st.trim(&a.trim);
        rewritten = a.trim.approx;
        if trimmed > 0 {
            s.notify_keyspace_event(notify::STREAM, "xtrim", &key, db);
        }
    }
    if s.propagation_wanted() && (rewritten || !a.id_given || matches!(a.id, IdSpec::Ms(_))) {
        let mut argv = c.argv.clone();
        if rewritten && let Some(Value::Stream(st)) = s.peek(db, &key).map(|o| &o.value) {
            rewrite_trim(&mut argv, st, &a);
        }
        if !a.id_given || matches!(a.id, IdSpec::Ms(_)) {
            argv[idpos] = idbytes;
        }
        s.propagate_as(argv);
    }
    s.signal_key_as_ready(db, &key);
    Ok(())
}

pub fn xtrim_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let (a, _) = parse_add_trim(s, c, false)?;
    let key = c.argv[1].clone();
    let db = c.db;
    s.keys_signalled = true;
    match s.lookup_write(db, &key) {
        None => {
            c.reply.int(0);
            return Ok(());
        }
        Some(o) if matches!(o.value, Value::Stream(_)) => {}
        Some(_) => return Err(WRONGTYPE_ERR),
    }
    let Some(st) = stream_mut(s, db, &key) else {
        return Err(WRONGTYPE_ERR);
    };
    let deleted = st.trim(&a.trim);
    if deleted > 0 {
        s.notify_keyspace_event(notify::STREAM, "xtrim", &key, db);
        if a.trim.approx {
            let mut argv = c.argv.clone();
            if let Some(Value::Stream(st)) = s.peek(db, &key).map(|o| &o.value) {
                rewrite_trim(&mut argv, st, &a);
            }
            s.propagate_as(argv);
        }
        s.signal_modified_key(db, &key);
        s.dirty += deleted as u64;
    }
    c.reply.int(deleted);
    Ok(())
}

// ---------------------------------------------------------------------
// XLEN / XRANGE / XREVRANGE / XDEL / XSETID
// ---------------------------------------------------------------------

pub fn xlen_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let n = s
        .read_as::<Stream>(c.db, &c.argv[1])?
        .map(|st| st.len())
        .unwrap_or(0);
    c.reply.int(n as i64);
    Ok(())
}

fn xrange_generic(s: &mut Server, c: &mut Client, rev: bool) -> CmdResult {
    let (sa, ea) = if rev { (3, 2) } else { (2, 3) };
    let start = parse_range_start(&c.argv[sa])?;
    let end = parse_range_end(&c.argv[ea])?;
    let mut count: i64 = -1;
    let mut j = 4;
    while j < c.argv.len() {
        if is(&c.argv[j], "count") && j + 1 < c.argv.len() {
            count = parse_i64(&c.argv[j + 1])?.max(0);
            j += 2;
        } else {
            return Err(SYNTAX_ERR);
        }
    }
    let Some(st) = s.read_as::<Stream>(c.db, &c.argv[1])? else {
        c.reply.array_len(0);
        return Ok(());
    };
    if count == 0 {
        c.reply.null_array();
    } else {
        let n = if count < 0 { 0 } else { count as usize };
        reply_range(&mut c.reply, st, start, end, n, rev, false);
    }
    Ok(())
}

pub fn xrange_command(s: &mut Server, c: &mut Client) -> CmdResult {
    xrange_generic(s, c, false)
}

pub fn xrevrange_command(s: &mut Server, c: &mut Client) -> CmdResult {
    xrange_generic(s, c, true)
}

pub fn xdel_command(s: &mut Server, c: &mut Client) -> CmdResult {
    s.keys_signalled = true;
    let db = c.db;
    let key = c.argv[1].clone();
    match s.lookup_write(db, &key) {
        None => {
            c.reply.int(0);
            return Ok(());
        }
        Some(o) if matches!(o.value, Value::Stream(_)) => {}
        Some(_) => return Err(WRONGTYPE_ERR),
    }
    let ids = c.argv[2..]
        .iter()
        .map(|a| parse_strict_id(a, 0))
        .collect::<Result<Vec<_>, _>>()?;
    let Some(st) = stream_mut(s, db, &key) else {
        return Err(WRONGTYPE_ERR);
    };
    let deleted = st.delete_ids(&ids);
    if deleted > 0 {
        s.signal_modified_key(db, &key);
        s.notify_keyspace_event(notify::STREAM, "xdel", &key, db);
        s.dirty += deleted as u64;
    }
    c.reply.int(deleted as i64);
    Ok(())
}

pub fn xsetid_command(s: &mut Server, c: &mut Client) -> CmdResult {
    s.keys_signalled = true;
    let id = parse_strict_id(&c.argv[2], 0)?;
    let mut entries_added: i64 = -1;
    let mut max_xdel = StreamId::MIN;
    let mut i = 3;
    while i < c.argv.len() {
        let more = c.argv.len() - 1 - i;
        if is(&c.argv[i], "entriesadded") && more > 0 {
            entries_added = parse_i64(&c.argv[i + 1])?;
            if entries_added < 0 {
                return Err(ReplyError::new("ERR entries_added must be positive"));
            }
            i += 2;
        } else if is(&c.argv[i], "maxdeletedid") && more > 0 {
            max_xdel = parse_strict_id(&c.argv[i + 1], 0)?;
            if id < max_xdel {
                return Err(ReplyError::new(
                    "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
                ));
            }
            i += 2;
        } else {
            return Err(SYNTAX_ERR);
        }
    }
    let db = c.db;
    let key = c.argv[1].clone();
    match s.lookup_write(db, &key) {
        None => return Err(NO_KEY_ERR),
        Some(o) if matches!(o.value, Value::Stream(_)) => {}
        Some(_) => return Err(WRONGTYPE_ERR),
    }
    let Some(st) = stream_mut(s, db, &key) else {
        return Err(WRONGTYPE_ERR);
    };
    if st.length > 0 {
        if id < st.last_valid_id() {
            return Err(ReplyError::new(
                "ERR The ID specified in XSETID is smaller than the target stream top item",
            ));
        }
        if entries_added != -1 && st.length > entries_added as u64 {
            return Err(ReplyError::new(
                "ERR The entries_added specified in XSETID is smaller than the target stream length",
            ));
        }
    }
    st.last_id = id;
    if entries_added != -1 {
        st.entries_added = entries_added as u64;
    }
    if !max_xdel.is_zero() {
        st.max_deleted_entry_id = max_xdel;
    }
    c.reply.ok();
    s.dirty += 1;
    s.notify_keyspace_event(notify::STREAM, "xsetid", &key, db);
    Ok(())
}

// ---------------------------------------------------------------------
// Consumer groups: reading
// ---------------------------------------------------------------------

/// `XCLAIM key group consumer 0 id TIME t RETRYCOUNT n FORCE JUSTID
/// LASTID last` (streamPropagateXCLAIM).
fn propagate_xclaim(
    s: &mut Server,
    db: usize,
    key: &[u8],
    group: &[u8],
    cg: &ConsumerGroup,
    id: StreamId,
    nack: &Nack,
) {
    if !s.propagation_wanted() {
        return;
    }
    s.also_propagate(
        db,
        vec![
            b"XCLAIM".to_vec(),
            key.to_vec(),
            group.to_vec(),
            nack.consumer.to_vec(),
            b"0".to_vec(),
            id.to_bytes(),
            b"TIME".to_vec(),
            nack.delivery_time.to_string().into_bytes(),
            b"RETRYCOUNT".to_vec(),
            nack.delivery_count.to_string().into_bytes(),
            b"FORCE".to_vec(),
            b"JUSTID".to_vec(),
            b"LASTID".to_vec(),
            cg.last_id.to_bytes(),
        ],
    );
}

/// `XGROUP SETID key group last ENTRIESREAD n` (streamPropagateGroupID).
fn propagate_group_id(s: &mut Server, db: usize, key: &[u8], group: &[u8], cg: &ConsumerGroup) {
    s.also_propagate(
        db,
        vec![
            b"XGROUP".to_vec(),
            b"SETID".to_vec(),
            key.to_vec(),
            group.to_vec(),
            cg.last_id.to_bytes(),
            b"ENTRIESREAD".to_vec(),
            cg.entries_read.to_string().into_bytes(),
        ],
    );
}

fn propagate_consumer_creation(s: &mut Server, db: usize, key: &[u8], group: &[u8], name: &[u8]) {
    s.also_propagate(
        db,
        vec![
            b"XGROUP".to_vec(),
            b"CREATECONSUMER".to_vec(),
            key.to_vec(),
            group.to_vec(),
            name.to_vec(),
        ],
    );
}

/// Find or create a consumer (streamLookupConsumer / streamCreateConsumer
/// with its event and dirty); returns whether it was created.
fn lookup_or_create_consumer(
    s: &mut Server,
    cg: &mut ConsumerGroup,
    name: &[u8],
    key: &[u8],
    db: usize,
) -> bool {
    let now = s.now_ms;
    if let Some(cons) = cg.consumers.get_mut(name) {
        cons.seen_time = now;
        return false;
    }
    cg.create_consumer(name, now);
    s.dirty += 1;
    s.notify_keyspace_event(notify::STREAM, "xgroup-createconsumer", key, db);
    true
}

/// Serve a group read of `key` after `start` (streamReplyWithRange with a
/// group): deliver, record pending entries, move the group on, propagate.
#[allow(clippy::too_many_arguments)]
fn group_read(
    s: &mut Server,
    r: &mut ReplyBuf,
    db: usize,
    key: &[u8],
    group: &[u8],
    consumer: &[u8],
    start: StreamId,
    count: usize,
    noack: bool,
    history: bool,
) {
    let now = s.now_ms;
    let Some(st) = stream_mut(s, db, key) else {
        return;
    };
    let Some(mut cg) = st.cgroups.remove(group) else {
        return;
    };
    if history {
        // The consumer's own pending entries from `start` on.
        let st: &Stream = st;
        let d = r.deferred();
        let mut n = 0;
        let ids: Vec<StreamId> = cg
            .consumers
            .get(consumer)
            .map(|c| c.pel.range(start..).copied().collect())
            .unwrap_or_default();
        for id in ids {
            if count != 0 && n >= count {
                break;
            }
            let mut found = false;
            st.range(id, id, false, |e| {
                reply_entry(r, e);
                found = true;
                false
            });
            if !found {
                r.array_len(2);
                reply_id(r, id);
                r.null_array();
            } else if let Some(nack) = cg.pel.get_mut(&id) {
                nack.delivery_time = now;
                nack.delivery_count += 1;
            }
            n += 1;
        }
        r.set_deferred_array_len(d, n);
        if let Some(st) = stream_mut(s, db, key) {
            st.cgroups.insert(group.to_vec(), cg);
        }
        return;
    }
    let d = r.deferred();
    let mut delivered: Vec<StreamId> = Vec::new();
    let st_ref: &Stream = st;
    st_ref.range(start, StreamId::MAX, false, |e| {
        reply_entry(r, e);
        delivered.push(e.id);
        count == 0 || delivered.len() < count
    });
    r.set_deferred_array_len(d, delivered.len());
    let mut propagate_last_id = false;
    let mut claims: Vec<(StreamId, Nack)> = Vec::new();
    let cname: Arc<[u8]> = cg
        .consumers
        .get(consumer)
        .map(|c| c.name.clone())
        .unwrap_or_else(|| Arc::from(consumer));
    for &id in &delivered {
        if st_ref.advance_group(&mut cg, id) && noack {
            propagate_last_id = true;
        }
        if !noack {
            match cg.pel.get_mut(&id) {
                Some(n) => {
                    n.delivery_time = now;
                    n.delivery_count = 1;
                }
                None => {
                    cg.pel.insert(
                        id,
                        Nack {
                            delivery_time: now,
                            delivery_count: 1,
                            consumer: cname.clone(),
                        },
                    );
                }
            }
            cg.assign(id, consumer);
            if let Some(n) = cg.pel.get(&id) {
                claims.push((id, n.clone()));
            }
        }
    }
    // Each XCLAIM carries the group's last ID at the time of its entry.
    let final_last = cg.last_id;
    let final_read = cg.entries_read;
    if let Some(st) = stream_mut(s, db, key) {
        st.cgroups.insert(group.to_vec(), cg);
    }
    if s.propagation_wanted() {
        let mut snapshot = ConsumerGroup::new(final_last, final_read);
        for (id, nack) in &claims {
            snapshot.last_id = (*id).max(StreamId::MIN);
            // Redis propagates after updating last_id for this entry.
            propagate_xclaim(s, db, key, group, &snapshot, *id, nack);
        }
        if propagate_last_id {
            snapshot.last_id = final_last;
            snapshot.entries_read = final_read;
            propagate_group_id(s, db, key, group, &snapshot);
        }
    }
}

struct XReadArgs {
    timeout: i64,
    block: bool,
    count: usize,
    streams_arg: usize,
    nstreams: usize,
    group: Option<(Vec<u8>, Vec<u8>)>,
    noack: bool,
}

fn parse_xread(s: &Server, c: &Client, xreadgroup: bool) -> Result<XReadArgs, ReplyError> {
    let argv = &c.argv;
    let argc = argv.len();
    let mut a = XReadArgs {
        timeout: 0,
        block: false,
        count: 0,
        streams_arg: 0,
        nstreams: 0,
        group: None,
        noack: false,
    };
    let mut i = 1;
    while i < argc {
        let more = argc - i - 1;
        let o = &argv[i][..];
        if is(o, "block") && more > 0 {
            if from_script(c) {
                return Err(ReplyError::owned(format!(
                    "ERR {} command is not allowed with BLOCK option from scripts",
                    String::from_utf8_lossy(&argv[0])
                )));
            }
            i += 1;
            let t = parse_i64_or(
                &argv[i],
                ReplyError::new("ERR timeout is not an integer or out of range"),
            )?;
            if t < 0 {
                return Err(ReplyError::new("ERR timeout is negative"));
            }
            a.timeout = if t > 0 {
                t.checked_add(s.now_ms).unwrap_or(0)
            } else {
                0
            };
            a.block = true;
        } else if is(o, "count") && more > 0 {
            i += 1;
            a.count = parse_i64(&argv[i])?.max(0) as usize;
        } else if is(o, "streams") && more > 0 {
            a.streams_arg = i + 1;
            let n = argc - a.streams_arg;
            if !n.is_multiple_of(2) {
                return Err(ReplyError::new(
                    "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
                ));
            }
            a.nstreams = n / 2;
            break;
        } else if is(o, "group") && more >= 2 {
            if !xreadgroup {
                return Err(ReplyError::new(
                    "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            a.group = Some((argv[i + 1].clone(), argv[i + 2].clone()));
            i += 2;
        } else if is(o, "noack") {
            if !xreadgroup {
                return Err(ReplyError::new(
                    "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            a.noack = true;
        } else {
            return Err(SYNTAX_ERR);
        }
        i += 1;
    }
    if a.streams_arg == 0 {
        return Err(SYNTAX_ERR);
    }
    if xreadgroup && a.group.is_none() {
        return Err(ReplyError::new("ERR Missing GROUP option for XREADGROUP"));
    }
    Ok(a)
}

fn xread_generic(s: &mut Server, c: &mut Client, xreadgroup: bool) -> CmdResult {
    // Propagated through what it does (XCLAIM...), never as itself.
    s.prevent_command_propagation();
    s.keys_signalled = true;
    let a = parse_xread(s, c, xreadgroup)?;
    let db = c.db;
    let n = a.nstreams;
    let mut ids: Vec<StreamId> = Vec::with_capacity(n);
    for k in 0..n {
        let key = &c.argv[a.streams_arg + k];
        let idarg = &c.argv[a.streams_arg + n + k];
        let st = s.read_as::<Stream>(db, key)?;
        if let Some((g, _)) = &a.group
            && st.is_none_or(|st| !st.cgroups.contains_key(g))
        {
            return Err(nogroup_err(key, g, " in XREADGROUP with GROUP option"));
        }
        if idarg.as_slice() == b"$" {
            if xreadgroup {
                return Err(ReplyError::new(
                    "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.",
                ));
            }
            ids.push(st.map(|st| st.last_id).unwrap_or_default());
            continue;
        } else if idarg.as_slice() == b">" {
            if !xreadgroup {
                return Err(ReplyError::new(
                    "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.",
                ));
            }
            ids.push(StreamId::MAX);
            continue;
        }
        ids.push(parse_strict_id(idarg, 0)?);
    }

    // Serve synchronously what can be.
    let mut served = 0;
    let mut d = None;
    for (k, gt) in ids.iter().enumerate() {
        let key = c.argv[a.streams_arg + k].clone();
        let Some(st) = s.read_as::<Stream>(db, &key)? else {
            continue;
        };
        let mut start = *gt;
        let mut history = false;
        let serve = if let Some((g, _)) = &a.group {
            if *gt != StreamId::MAX {
                history = true;
                true
            } else if st.length > 0 {
                let last = st.cgroups.get(g).map(|cg| cg.last_id).unwrap_or_default();
                if st.last_valid_id() > last {
                    start = last;
                    true
                } else {
                    false
                }
            } else {
                false
            }
        } else {
            st.length > 0 && st.last_valid_id() > *gt
        };
        if !serve {
            continue;
        }
        served += 1;
        if served == 1 {
            d = Some(c.reply.deferred());
        }
        // Served from the entry after the ID given (history included).
        let from = start.incr().unwrap_or(StreamId::MIN);
        if c.reply.resp == 2 {
            c.reply.array_len(2);
        }
        c.reply.bulk(&key);
        match &a.group {
            Some((g, cons)) => {
                let (g, cons) = (g.clone(), cons.clone());
                let created = {
                    let Some(st) = stream_mut(s, db, &key) else {
                        continue;
                    };
                    let Some(mut cg) = st.cgroups.remove(&g) else {
                        continue;
                    };
                    let created = lookup_or_create_consumer(s, &mut cg, &cons, &key, db);
                    if let Some(st) = stream_mut(s, db, &key) {
                        st.cgroups.insert(g.clone(), cg);
                    }
                    created
                };
                if created && a.noack {
                    propagate_consumer_creation(s, db, &key, &g, &cons);
                }
                let mut r = std::mem::take(&mut c.reply);
                group_read(
                    s, &mut r, db, &key, &g, &cons, from, a.count, a.noack, history,
                );
                c.reply = r;
                s.dirty += 1;
            }
            None => {
                let Some(st) = s.read_as::<Stream>(db, &key)? else {
                    continue;
                };
                reply_range(&mut c.reply, st, from, StreamId::MAX, a.count, false, false);
            }
        }
    }
    if let Some(d) = d {
        if c.reply.resp == 2 {
            c.reply.set_deferred_array_len(d, served);
        } else {
            c.reply.set_deferred_map_len(d, served);
        }
        return Ok(());
    }
    if a.block {
        let keys: Vec<Vec<u8>> = c.argv[a.streams_arg..a.streams_arg + n].to_vec();
        s.block_client(
            c,
            BlockState {
                db,
                keys,
                deadline: a.timeout,
                op: BlockOp::XRead {
                    ids,
                    count: if a.count > 0 {
                        a.count
                    } else {
                        XREAD_BLOCKED_DEFAULT_COUNT
                    },
                    group: a.group.clone(),
                    noack: a.noack,
                },
            },
        );
        return Ok(());
    }
    c.reply.null_array();
    Ok(())
}

pub fn xread_command(s: &mut Server, c: &mut Client) -> CmdResult {
    xread_generic(s, c, false)
}

pub fn xreadgroup_command(s: &mut Server, c: &mut Client) -> CmdResult {
    xread_generic(s, c, true)
}

/// Serve a client blocked in XREAD/XREADGROUP on `key`, which holds a
/// stream (serveClientsBlockedOnStreamKey). Unblocks it when served.
pub fn serve_blocked_client(s: &mut Server, c: &mut Client, key: &[u8]) {
    let Some(state) = c.bstate.clone() else {
        return;
    };
    let BlockOp::XRead {
        ids,
        count,
        group,
        noack,
    } = &state.op
    else {
        return;
    };
    let db = state.db;
    if db >= s.db_count() {
        return;
    }
    let Some(pos) = state.keys.iter().position(|k| k.as_slice() == key) else {
        return;
    };
    let Some(Value::Stream(st)) = s.peek(db, key).map(|o| &o.value) else {
        return;
    };
    let mut gt = ids.get(pos).copied().unwrap_or_default();
    if let Some((g, _)) = group {
        match st.cgroups.get(g) {
            None => {
                s.add_reply_error(
                    c,
                    &ReplyError::new(
                        "NOGROUP the consumer group this client was blocked on no longer exists",
                    ),
                );
                s.stats.numcommands += 1;
                s.unblock_client(c);
                return;
            }
            Some(cg) => gt = cg.last_id,
        }
    }
    if st.last_id <= gt {
        return;
    }
    let start = gt.incr().unwrap_or(StreamId::MIN);
    s.prop.cmd_db = db;
    s.prop.depth += 1;
    s.note_reply(c);
    if c.reply.resp == 2 {
        c.reply.array_len(1);
        c.reply.array_len(2);
    } else {
        c.reply.map_len(1);
    }
    c.reply.bulk(key);
    match group {
        Some((g, cons)) => {
            let created = match stream_mut(s, db, key).and_then(|st| st.cgroups.remove(g)) {
                Some(mut cg) => {
                    let created = lookup_or_create_consumer(s, &mut cg, cons, key, db);
                    if let Some(st) = stream_mut(s, db, key) {
                        st.cgroups.insert(g.clone(), cg);
                    }
                    created
                }
                None => false,
            };
            if created && *noack {
                propagate_consumer_creation(s, db, key, g, cons);
            }
            let mut r = std::mem::take(&mut c.reply);
            group_read(s, &mut r, db, key, g, cons, start, *count, *noack, false);
            c.reply = r;
        }
        None => {
            if let Some(Value::Stream(st)) = s.peek(db, key).map(|o| &o.value) {
                reply_range(&mut c.reply, st, start, StreamId::MAX, *count, false, false);
            }
        }
    }
    s.prop.depth -= 1;
    s.prop.prevent_cmd = false;
    s.propagate_pending();
    s.stats.numcommands += 1;
    s.unblock_client(c);
}

/// A client blocked in XREADGROUP on a key that no longer holds a stream
/// (unblockDeletedStreamReadgroupClients).
pub fn unblock_deleted_stream_client(s: &mut Server, c: &mut Client) {
    let is_group = matches!(
        c.bstate.as_ref().map(|b| &b.op),
        Some(BlockOp::XRead { group: Some(_), .. })
    );
    if !is_group {
        return;
    }
    s.add_reply_error(
        c,
        &ReplyError::new("UNBLOCKED the stream key no longer exists"),
    );
    s.stats.numcommands += 1;
    s.unblock_client(c);
}

// ---------------------------------------------------------------------
// XACK / XPENDING / XCLAIM / XAUTOCLAIM
// ---------------------------------------------------------------------

pub fn xack_command(s: &mut Server, c: &mut Client) -> CmdResult {
    s.keys_signalled = true;
    let db = c.db;
    let key = c.argv[1].clone();
    let has = match s.read_as::<Stream>(db, &key)? {
        Some(st) => st.cgroups.contains_key(&c.argv[2]),
        None => false,
    };
    if !has {
        c.reply.int(0);
        return Ok(());
    }
    let ids = c.argv[3..]
        .iter()
        .map(|a| parse_strict_id(a, 0))
        .collect::<Result<Vec<_>, _>>()?;
    let mut acked = 0;
    if let Some(cg) = stream_mut(s, db, &key).and_then(|st| st.cgroups.get_mut(&c.argv[2])) {
        for id in ids {
            if cg.ack(id) {
                acked += 1;
            }
        }
    }
    s.dirty += acked;
    c.reply.int(acked as i64);
    Ok(())
}

pub fn xpending_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let argc = c.argv.len();
    let justinfo = argc == 3;
    if argc != 3 && !(6..=9).contains(&argc) {
        return Err(SYNTAX_ERR);
    }
    let mut start = StreamId::MIN;
    let mut end = StreamId::MAX;
    let mut count: i64 = 0;
    let mut minidle: i64 = 0;
    let mut consumer: Option<Vec<u8>> = None;
    if argc >= 6 {
        let mut startidx = 3;
        if is(&c.argv[3], "idle") {
            minidle = parse_i64(&c.argv[4])?;
            if argc < 8 {
                return Err(SYNTAX_ERR);
            }
            startidx += 2;
        }
        count = parse_i64(&c.argv[startidx + 2])?.max(0);
        start = parse_range_start(&c.argv[startidx])?;
        end = parse_range_end(&c.argv[startidx + 1])?;
        if startidx + 3 < argc {
            consumer = Some(c.argv[startidx + 3].clone());
        }
    }
    let now = s.now_ms;
    let key = &c.argv[1];
    let group = &c.argv[2];
    let st = s.read_as::<Stream>(c.db, key)?;
    let Some(cg) = st.and_then(|st| st.cgroups.get(group)) else {
        return Err(nogroup_err(key, group, ""));
    };
    let r = &mut c.reply;
    if justinfo {
        r.array_len(4);
        r.int(cg.pel.len() as i64);
        match (cg.pel.keys().next(), cg.pel.keys().next_back()) {
            (Some(&first), Some(&last)) => {
                reply_id(r, first);
                reply_id(r, last);
                let holders: Vec<&crate::types::stream::Consumer> = cg
                    .consumers
                    .values()
                    .filter(|c| !c.pel.is_empty())
                    .collect();
                r.array_len(holders.len());
                for h in holders {
                    r.array_len(2);
                    r.bulk(&h.name);
                    r.bulk_int(h.pel.len() as i64);
                }
            }
            _ => {
                r.null();
                r.null();
                r.null_array();
            }
        }
        return Ok(());
    }
    let ids: Vec<StreamId> = match &consumer {
        Some(name) => match cg.consumers.get(name) {
            Some(cons) => cons.pel.range(start..).copied().collect(),
            None => {
                r.array_len(0);
                return Ok(());
            }
        },
        None => cg.pel.range(start..).map(|(k, _)| *k).collect(),
    };
    let d = r.deferred();
    let mut n = 0;
    for id in ids {
        if count == 0 || id > end {
            break;
        }
        let Some(nack) = cg.pel.get(&id) else {
            continue;
        };
        if minidle != 0 && now - nack.delivery_time < minidle {
            continue;
        }
        n += 1;
        count -= 1;
        r.array_len(4);
        reply_id(r, id);
        r.bulk(&nack.consumer);
        r.int((now - nack.delivery_time).max(0));
        r.int(nack.delivery_count as i64);
    }
    r.set_deferred_array_len(d, n);
    Ok(())
}

pub fn xclaim_command(s: &mut Server, c: &mut Client) -> CmdResult {
    s.keys_signalled = true;
    let db = c.db;
    let key = c.argv[1].clone();
    let group = c.argv[2].clone();
    let has = match s.read_as::<Stream>(db, &key)? {
        Some(st) => st.cgroups.contains_key(&group),
        None => false,
    };
    if !has {
        return Err(nogroup_err(&key, &group, ""));
    }
    let minidle = parse_i64_or(
        &c.argv[4],
        ReplyError::new("ERR Invalid min-idle-time argument for XCLAIM"),
    )?
    .max(0);
    let mut ids = Vec::new();
    let mut j = 5;
    while j < c.argv.len() {
        match parse_strict_id(&c.argv[j], 0) {
            Ok(id) => ids.push(id),
            Err(_) => break,
        }
        j += 1;
    }
    let now = s.now_ms;
    let mut force = false;
    let mut justid = false;
    let mut deliverytime: i64 = -1;
    let mut retrycount: i64 = -1;
    let mut last_id = StreamId::MIN;
    while j < c.argv.len() {
        let more = c.argv.len() - 1 - j;
        let opt = &c.argv[j];
        if is(opt, "force") {
            force = true;
        } else if is(opt, "justid") {
            justid = true;
        } else if is(opt, "idle") && more > 0 {
            j += 1;
            let v = parse_i64_or(
                &c.argv[j],
                ReplyError::new("ERR Invalid IDLE option argument for XCLAIM"),
            )?;
            deliverytime = now.wrapping_sub(v);
        } else if is(opt, "time") && more > 0 {
            j += 1;
            deliverytime = parse_i64_or(
                &c.argv[j],
                ReplyError::new("ERR Invalid TIME option argument for XCLAIM"),
            )?;
        } else if is(opt, "retrycount") && more > 0 {
            j += 1;
            retrycount = parse_i64_or(
                &c.argv[j],
                ReplyError::new("ERR Invalid RETRYCOUNT option argument for XCLAIM"),
            )?;
        } else if is(opt, "lastid") && more > 0 {
            j += 1;
            last_id = parse_strict_id(&c.argv[j], 0)?;
        } else {
            return Err(ReplyError::owned(format!(
                "ERR Unrecognized XCLAIM option '{}'",
                String::from_utf8_lossy(opt)
            )));
        }
        j += 1;
    }
    s.prevent_command_propagation();
    let Some(st) = stream_mut(s, db, &key) else {
        return Ok(());
    };
    let Some(mut cg) = st.cgroups.remove(&group) else {
        return Ok(());
    };
    let mut propagate_last_id = false;
    if last_id > cg.last_id {
        cg.last_id = last_id;
        propagate_last_id = true;
    }
    if deliverytime != -1 {
        if deliverytime < 0 || deliverytime > now {
            deliverytime = now;
        }
    } else {
        deliverytime = now;
    }
    let name = c.argv[3].clone();
    let d = c.reply.deferred();
    let mut n = 0;
    let mut consumer_ready = false;
    let mut props: Vec<(StreamId, Nack, StreamId)> = Vec::new();
    for id in ids {
        let exists = match s.peek(db, &key).map(|o| &o.value) {
            Some(Value::Stream(st)) => st.entry_exists(id),
            _ => false,
        };
        if !exists {
            if let Some(nack) = cg.pel.get(&id).cloned() {
                props.push((id, nack, cg.last_id));
                propagate_last_id = false;
                s.dirty += 1;
                cg.ack(id);
            }
            continue;
        }
        let mut fresh = false;
        if force && !cg.pel.contains_key(&id) {
            fresh = true;
        } else if !cg.pel.contains_key(&id) {
            continue;
        }
        if !fresh
            && minidle != 0
            && let Some(nack) = cg.pel.get(&id)
            && now - nack.delivery_time < minidle
        {
            continue;
        }
        if !consumer_ready {
            lookup_or_create_consumer(s, &mut cg, &name, &key, db);
            consumer_ready = true;
        }
        let cname = cg
            .consumers
            .get(&name)
            .map(|c| c.name.clone())
            .unwrap_or_else(|| Arc::from(name.as_slice()));
        if fresh {
            cg.pel.insert(
                id,
                Nack {
                    delivery_time: deliverytime,
                    delivery_count: 1,
                    consumer: cname.clone(),
                },
            );
            // A fresh entry belongs to nobody yet: `assign` below adds it.
        }
        if let Some(nack) = cg.pel.get_mut(&id) {
            nack.delivery_time = deliverytime;
            if retrycount >= 0 {
                nack.delivery_count = retrycount as u64;
            } else if !justid {
                nack.delivery_count += 1;
            }
        }
        cg.assign(id, &name);
        if justid {
            reply_id(&mut c.reply, id);
        } else if let Some(Value::Stream(st)) = s.peek(db, &key).map(|o| &o.value) {
            reply_range(&mut c.reply, st, id, id, 1, false, true);
        }
        n += 1;
        if let Some(nack) = cg.pel.get(&id) {
            props.push((id, nack.clone(), cg.last_id));
        }
        propagate_last_id = false;
        s.dirty += 1;
    }
    let (fl, fr) = (cg.last_id, cg.entries_read);
    if let Some(st) = stream_mut(s, db, &key) {
        st.cgroups.insert(group.clone(), cg);
    }
    for (id, nack, last) in &props {
        let snap = ConsumerGroup::new(*last, fr);
        propagate_xclaim(s, db, &key, &group, &snap, *id, nack);
    }
    if propagate_last_id {
        let snap = ConsumerGroup::new(fl, fr);
        propagate_group_id(s, db, &key, &group, &snap);
        s.dirty += 1;
    }
    c.reply.set_deferred_array_len(d, n);
    Ok(())
}

pub fn xautoclaim_command(s: &mut Server, c: &mut Client) -> CmdResult {
    s.keys_signalled = true;
    let db = c.db;
    let minidle = parse_i64_or(
        &c.argv[4],
        ReplyError::new("ERR Invalid min-idle-time argument for XAUTOCLAIM"),
    )?
    .max(0);
    let start = parse_range_start(&c.argv[5])?;
    let mut count: i64 = 100;
    let mut justid = false;
    let mut j = 6;
    while j < c.argv.len() {
        let more = c.argv.len() - 1 - j;
        if is(&c.argv[j], "count") && more > 0 {
            // LONG_MAX / max(sizeof(streamID), attempts factor 10).
            let max_count = i64::MAX / 16;
            let v =
                parse_i64(&c.argv[j + 1]).map_err(|_| ReplyError::new("ERR COUNT must be > 0"))?;
            if !(1..=max_count).contains(&v) {
                return Err(ReplyError::new("ERR COUNT must be > 0"));
            }
            count = v;
            j += 1;
        } else if is(&c.argv[j], "justid") {
            justid = true;
        } else {
            return Err(SYNTAX_ERR);
        }
        j += 1;
    }
    let key = c.argv[1].clone();
    let group = c.argv[2].clone();
    let has = match s.read_as::<Stream>(db, &key)? {
        Some(st) => st.cgroups.contains_key(&group),
        None => false,
    };
    if !has {
        return Err(nogroup_err(&key, &group, ""));
    }
    s.prevent_command_propagation();
    let Some(mut cg) = stream_mut(s, db, &key).and_then(|st| st.cgroups.remove(&group)) else {
        return Ok(());
    };
    let now = s.now_ms;
    let name = c.argv[3].clone();
    let mut attempts = count.saturating_mul(10);
    let mut deleted: Vec<StreamId> = Vec::new();
    let mut claimed: Vec<StreamId> = Vec::new();
    let mut props: Vec<(StreamId, Nack)> = Vec::new();
    let mut consumer_ready = false;
    let mut cursor = start;
    let mut next_id: Option<StreamId> = None;
    loop {
        if attempts == 0 || count == 0 {
            next_id = cg.pel.range(cursor..).next().map(|(k, _)| *k);
            break;
        }
        attempts -= 1;
        let Some((&id, _)) = cg.pel.range(cursor..).next() else {
            break;
        };
        cursor = match id.incr() {
            Some(n) => n,
            None => {
                // The last possible ID: nothing can follow it.
                attempts = 0;
                id
            }
        };
        let exists = match s.peek(db, &key).map(|o| &o.value) {
            Some(Value::Stream(st)) => st.entry_exists(id),
            _ => false,
        };
        if !exists {
            if let Some(nack) = cg.pel.get(&id).cloned() {
                props.push((id, nack));
            }
            s.dirty += 1;
            cg.ack(id);
            deleted.push(id);
            count -= 1;
            if cursor == id {
                break;
            }
            continue;
        }
        if minidle != 0
            && let Some(nack) = cg.pel.get(&id)
            && now - nack.delivery_time < minidle
        {
            if cursor == id {
                break;
            }
            continue;
        }
        if !consumer_ready {
            lookup_or_create_consumer(s, &mut cg, &name, &key, db);
            consumer_ready = true;
        }
        if let Some(nack) = cg.pel.get_mut(&id) {
            nack.delivery_time = now;
            if !justid {
                nack.delivery_count += 1;
            }
        }
        cg.assign(id, &name);
        claimed.push(id);
        count -= 1;
        if let Some(nack) = cg.pel.get(&id) {
            props.push((id, nack.clone()));
        }
        s.dirty += 1;
        if cursor == id {
            break;
        }
    }
    c.reply.array_len(3);
    reply_id(&mut c.reply, next_id.unwrap_or(StreamId::MIN));
    c.reply.array_len(claimed.len());
    for &id in &claimed {
        if justid {
            reply_id(&mut c.reply, id);
        } else if let Some(Value::Stream(st)) = s.peek(db, &key).map(|o| &o.value) {
            reply_range(&mut c.reply, st, id, id, 1, false, true);
        }
    }
    c.reply.array_len(deleted.len());
    for &id in &deleted {
        reply_id(&mut c.reply, id);
    }
    let snap = ConsumerGroup::new(cg.last_id, cg.entries_read);
    if let Some(st) = stream_mut(s, db, &key) {
        st.cgroups.insert(group.clone(), cg);
    }
    for (id, nack) in &props {
        propagate_xclaim(s, db, &key, &group, &snap, *id, nack);
    }
    Ok(())
}

// ---------------------------------------------------------------------
// XGROUP
// ---------------------------------------------------------------------

/// The checks every XGROUP subcommand but HELP shares (xgroupCommand's
/// preamble): options, key and group.
fn xgroup_prepare(
    s: &mut Server,
    c: &Client,
    needs_group: bool,
) -> Result<(bool, i64, bool), ReplyError> {
    let sub = &c.argv[1];
    let create = is(sub, "create");
    let setid = is(sub, "setid");
    let mut mkstream = false;
    let mut entries_read = INVALID_ENTRIES_READ;
    let mut i = 5;
    while i < c.argv.len() {
        if create && is(&c.argv[i], "mkstream") {
            mkstream = true;
            i += 1;
        } else if (create || setid) && is(&c.argv[i], "entriesread") && i + 1 < c.argv.len() {
            entries_read = parse_i64(&c.argv[i + 1])?;
            if entries_read < 0 && entries_read != INVALID_ENTRIES_READ {
                return Err(ReplyError::new(
                    "ERR value for ENTRIESREAD must be positive or -1",
                ));
            }
            i += 2;
        } else {
            return Err(subcommand_syntax_error(c));
        }
    }
    let key = &c.argv[2];
    let exists = match s.lookup_write(c.db, key) {
        None => false,
        Some(o) if matches!(o.value, Value::Stream(_)) => true,
        Some(_) => return Err(WRONGTYPE_ERR),
    };
    if !mkstream {
        if !exists {
            return Err(ReplyError::new(
                "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.",
            ));
        }
        if needs_group {
            let has = match s.peek(c.db, key).map(|o| &o.value) {
                Some(Value::Stream(st)) => st.cgroups.contains_key(&c.argv[3]),
                _ => false,
            };
            if !has {
                return Err(nogroup_for_key_err(&c.argv[3], key));
            }
        }
    }
    Ok((mkstream, entries_read, exists))
}

pub fn xgroup_create_command(s: &mut Server, c: &mut Client) -> CmdResult {
    s.keys_signalled = true;
    let (_mk, entries_read, exists) = xgroup_prepare(s, c, false)?;
    if c.argv.len() > 8 {
        return Err(subcommand_syntax_error(c));
    }
    let db = c.db;
    let key = c.argv[2].clone();
    let id = if c.argv[4].as_slice() == b"$" {
        match s.peek(db, &key).map(|o| &o.value) {
            Some(Value::Stream(st)) => st.last_id,
            _ => StreamId::MIN,
        }
    } else {
        parse_strict_id(&c.argv[4], 0)?
    };
    if !exists {
        s.db_add(db, &key, Value::Stream(Arc::new(Stream::new())));
        s.signal_modified_key(db, &key);
    }
    let Some(st) = stream_mut(s, db, &key) else {
        return Err(WRONGTYPE_ERR);
    };
    if st.cgroups.contains_key(&c.argv[3]) {
        return Err(ReplyError::new(
            "BUSYGROUP Consumer Group name already exists",
        ));
    }
    st.cgroups
        .insert(c.argv[3].clone(), ConsumerGroup::new(id, entries_read));
    c.reply.ok();
    s.dirty += 1;
    s.notify_keyspace_event(notify::STREAM, "xgroup-create", &key, db);
    Ok(())
}

pub fn xgroup_setid_command(s: &mut Server, c: &mut Client) -> CmdResult {
    s.keys_signalled = true;
    let (_, entries_read, _) = xgroup_prepare(s, c, true)?;
    if c.argv.len() != 5 && c.argv.len() != 7 {
        return Err(subcommand_syntax_error(c));
    }
    let db = c.db;
    let key = c.argv[2].clone();
    let last = match s.peek(db, &key).map(|o| &o.value) {
        Some(Value::Stream(st)) => st.last_id,
        _ => StreamId::MIN,
    };
    let id = if c.argv[4].as_slice() == b"$" {
        last
    } else {
        parse_id(&c.argv[4], 0)?
    };
    if let Some(cg) = stream_mut(s, db, &key).and_then(|st| st.cgroups.get_mut(&c.argv[3])) {
        cg.last_id = id;
        cg.entries_read = entries_read;
    }
    c.reply.ok();
    s.dirty += 1;
    s.notify_keyspace_event(notify::STREAM, "xgroup-setid", &key, db);
    Ok(())
}

pub fn xgroup_destroy_command(s: &mut Server, c: &mut Client) -> CmdResult {
    s.keys_signalled = true;
    xgroup_prepare(s, c, false)?;
    if c.argv.len() != 4 {
        return Err(subcommand_syntax_error(c));
    }
    let db = c.db;
    let key = c.argv[2].clone();
    let removed = stream_mut(s, db, &key)
        .and_then(|st| st.cgroups.remove(&c.argv[3]))
        .is_some();
    if removed {
        c.reply.int(1);
        s.dirty += 1;
        s.notify_keyspace_event(notify::STREAM, "xgroup-destroy", &key, db);
        // Clients blocked in XREADGROUP on it get -NOGROUP.
        s.signal_key_as_ready(db, &key);
    } else {
        c.reply.int(0);
    }
    Ok(())
}

pub fn xgroup_createconsumer_command(s: &mut Server, c: &mut Client) -> CmdResult {
    s.keys_signalled = true;
    xgroup_prepare(s, c, true)?;
    if c.argv.len() != 5 {
        return Err(subcommand_syntax_error(c));
    }
    let db = c.db;
    let key = c.argv[2].clone();
    let now = s.now_ms;
    let created = stream_mut(s, db, &key)
        .and_then(|st| st.cgroups.get_mut(&c.argv[3]))
        .map(|cg| cg.create_consumer(&c.argv[4], now))
        .unwrap_or(false);
    if created {
        s.dirty += 1;
        s.notify_keyspace_event(notify::STREAM, "xgroup-createconsumer", &key, db);
    }
    c.reply.int(created as i64);
    Ok(())
}

pub fn xgroup_delconsumer_command(s: &mut Server, c: &mut Client) -> CmdResult {
    s.keys_signalled = true;
    xgroup_prepare(s, c, true)?;
    if c.argv.len() != 5 {
        return Err(subcommand_syntax_error(c));
    }
    let db = c.db;
    let key = c.argv[2].clone();
    let pending = stream_mut(s, db, &key)
        .and_then(|st| st.cgroups.get_mut(&c.argv[3]))
        .and_then(|cg| cg.delete_consumer(&c.argv[4]));
    if let Some(n) = pending {
        s.dirty += 1;
        s.notify_keyspace_event(notify::STREAM, "xgroup-delconsumer", &key, db);
        c.reply.int(n as i64);
    } else {
        c.reply.int(0);
    }
    Ok(())
}

pub fn xgroup_help_command(_: &mut Server, c: &mut Client) -> CmdResult {
    reply_help(
        c,
        "XGROUP",
        &[
            "CREATE <key> <groupname> <id|$> [option]",
            "    Create a new consumer group. Options are:",
            "    * MKSTREAM",
            "      Create the empty stream if it does not exist.",
            "    * ENTRIESREAD entries_read",
            "      Set the group's entries_read counter (internal use).",
            "CREATECONSUMER <key> <groupname> <consumer>",
            "    Create a new consumer in the specified group.",
            "DELCONSUMER <key> <groupname> <consumer>",
            "    Remove the specified consumer.",
            "DESTROY <key> <groupname>",
            "    Remove the specified group.",
            "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
            "    Set the current group ID and entries_read counter.",
        ],
    );
    Ok(())
}

// ---------------------------------------------------------------------
// XINFO
// ---------------------------------------------------------------------

fn reply_lag(r: &mut ReplyBuf, st: &Stream, cg: &ConsumerGroup) {
    match st.group_lag(cg) {
        Some(l) => r.int(l),
        None => r.null(),
    }
}

fn reply_entries_read(r: &mut ReplyBuf, cg: &ConsumerGroup) {
    if cg.entries_read != INVALID_ENTRIES_READ {
        r.int(cg.entries_read);
    } else {
        r.null();
    }
}

fn xinfo_stream_lookup<'a>(s: &'a mut Server, c: &Client) -> Result<&'a Stream, ReplyError> {
    s.read_as::<Stream>(c.db, &c.argv[2])?.ok_or(NO_KEY_ERR)
}

pub fn xinfo_stream_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let optc = c.argv.len() - 3;
    let mut full = true;
    let mut count: i64 = 10;
    if optc == 0 {
        full = false;
    } else {
        if (optc != 1 && optc != 3) || !is(&c.argv[3], "full") {
            return Err(subcommand_syntax_error(c));
        }
        if optc == 3 {
            if !is(&c.argv[4], "count") {
                return Err(subcommand_syntax_error(c));
            }
            count = parse_i64(&c.argv[5])?;
            if count < 0 {
                count = 10;
            }
        }
    }
    let st = xinfo_stream_lookup(s, c)?;
    let r = &mut c.reply;
    r.map_len(if full { 9 } else { 10 });
    r.bulk(b"length");
    r.int(st.length as i64);
    r.bulk(b"radix-tree-keys");
    r.int(st.nodes.len() as i64);
    r.bulk(b"radix-tree-nodes");
    r.int(st.radix_tree_nodes() as i64);
    r.bulk(b"last-generated-id");
    reply_id(r, st.last_id);
    r.bulk(b"max-deleted-entry-id");
    reply_id(r, st.max_deleted_entry_id);
    r.bulk(b"entries-added");
    r.int(st.entries_added as i64);
    r.bulk(b"recorded-first-entry-id");
    reply_id(r, st.first_id);
    if !full {
        r.bulk(b"groups");
        r.int(st.cgroups.len() as i64);
        r.bulk(b"first-entry");
        if reply_range(r, st, StreamId::MIN, StreamId::MAX, 1, false, true) == 0 {
            r.null();
        }
        r.bulk(b"last-entry");
        if reply_range(r, st, StreamId::MIN, StreamId::MAX, 1, true, true) == 0 {
            r.null();
        }
        return Ok(());
    }
    let count = count as usize;
    r.bulk(b"entries");
    reply_range(r, st, StreamId::MIN, StreamId::MAX, count, false, false);
    r.bulk(b"groups");
    r.array_len(st.cgroups.len());
    for (name, cg) in &st.cgroups {
        r.map_len(7);
        r.bulk(b"name");
        r.bulk(name);
        r.bulk(b"last-delivered-id");
        reply_id(r, cg.last_id);
        r.bulk(b"entries-read");
        reply_entries_read(r, cg);
        r.bulk(b"lag");
        reply_lag(r, st, cg);
        r.bulk(b"pel-count");
        r.int(cg.pel.len() as i64);
        r.bulk(b"pending");
        let n = if count == 0 {
            cg.pel.len()
        } else {
            cg.pel.len().min(count)
        };
        r.array_len(n);
        for (id, nack) in cg.pel.iter().take(n) {
            r.array_len(4);
            reply_id(r, *id);
            r.bulk(&nack.consumer);
            r.int(nack.delivery_time);
            r.int(nack.delivery_count as i64);
        }
        r.bulk(b"consumers");
        r.array_len(cg.consumers.len());
        for cons in cg.consumers.values() {
            r.map_len(4);
            r.bulk(b"name");
            r.bulk(&cons.name);
            r.bulk(b"seen-time");
            r.int(cons.seen_time);
            r.bulk(b"pel-count");
            r.int(cons.pel.len() as i64);
            r.bulk(b"pending");
            let n = if count == 0 {
                cons.pel.len()
            } else {
                cons.pel.len().min(count)
            };
            r.array_len(n);
            for id in cons.pel.iter().take(n) {
                r.array_len(3);
                reply_id(r, *id);
                let nack = cg.pel.get(id);
                r.int(nack.map(|n| n.delivery_time).unwrap_or(0));
                r.int(nack.map(|n| n.delivery_count as i64).unwrap_or(0));
            }
        }
    }
    Ok(())
}

pub fn xinfo_groups_command(s: &mut Server, c: &mut Client) -> CmdResult {
    if c.argv.len() != 3 {
        return Err(subcommand_syntax_error(c));
    }
    let st = xinfo_stream_lookup(s, c)?;
    let r = &mut c.reply;
    r.array_len(st.cgroups.len());
    for (name, cg) in &st.cgroups {
        r.map_len(6);
        r.bulk(b"name");
        r.bulk(name);
        r.bulk(b"consumers");
        r.int(cg.consumers.len() as i64);
        r.bulk(b"pending");
        r.int(cg.pel.len() as i64);
        r.bulk(b"last-delivered-id");
        reply_id(r, cg.last_id);
        r.bulk(b"entries-read");
        reply_entries_read(r, cg);
        r.bulk(b"lag");
        reply_lag(r, st, cg);
    }
    Ok(())
}

pub fn xinfo_consumers_command(s: &mut Server, c: &mut Client) -> CmdResult {
    if c.argv.len() != 4 {
        return Err(subcommand_syntax_error(c));
    }
    let now = s.now_ms;
    let st = xinfo_stream_lookup(s, c)?;
    let Some(cg) = st.cgroups.get(&c.argv[3]) else {
        return Err(nogroup_for_key_err(&c.argv[3], &c.argv[2]));
    };
    let r = &mut c.reply;
    r.array_len(cg.consumers.len());
    for cons in cg.consumers.values() {
        r.map_len(3);
        r.bulk(b"name");
        r.bulk(&cons.name);
        r.bulk(b"pending");
        r.int(cons.pel.len() as i64);
        r.bulk(b"idle");
        r.int((now - cons.seen_time).max(0));
    }
    Ok(())
}

pub fn xinfo_help_command(_: &mut Server, c: &mut Client) -> CmdResult {
    reply_help(
        c,
        "XINFO",
        &[
            "CONSUMERS <key> <groupname>",
            "    Show consumers of <groupname>.",
            "GROUPS <key>",
            "    Show the stream consumer groups.",
            "STREAM <key> [FULL [COUNT <count>]",
            "    Show information about the stream.",
        ],
    );
    Ok(())
}
