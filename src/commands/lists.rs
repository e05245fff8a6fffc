//! Group `list`: pushes and pops at both ends, ranges, LPOS, LMOVE, LMPOP
//! and their blocking forms (Redis's t_list.c; the blocking machinery is
//! in blocked.rs).

use super::args::{is, parse_i64};
use super::{CmdResult, NO_SUCH_KEY_ERR, OUT_OF_RANGE_ERR, ReplyError, SYNTAX_ERR, WRONGTYPE_ERR};
use crate::blocked::{BlockOp, BlockState, End};
use crate::client::Client;
use crate::notify;
use crate::sds::Sds;
use crate::server::Server;
use crate::types::Value;
use crate::types::list::List;
use std::sync::Arc;

// ---------------------------------------------------------------------
// List access helpers
// ---------------------------------------------------------------------

/// The list at `key` for writing: Ok(None) if missing, WRONGTYPE if not a list.
fn list_mut<'a>(
    s: &'a mut Server,
    db: usize,
    key: &[u8],
) -> Result<Option<&'a mut List>, ReplyError> {
    s.write_as(db, key)
}

/// The list at `key` for reading.
fn list_ref<'a>(s: &'a mut Server, db: usize, key: &[u8]) -> Result<Option<&'a List>, ReplyError> {
    s.read_as(db, key)
}

/// Type check without touching stats (for commands that look before acting).
fn check_list_type(s: &mut Server, db: usize, key: &[u8]) -> Result<bool, ReplyError> {
    match s.lookup_notouch(db, key) {
        None => Ok(false),
        Some(o) if matches!(o.value, Value::List(_)) => Ok(true),
        Some(_) => Err(WRONGTYPE_ERR),
    }
}

/// Does `key` hold a non-empty list? (Used before serving blocked clients.)
pub fn list_has_items(s: &mut Server, db: usize, key: &[u8]) -> bool {
    matches!(s.lookup_notouch(db, key), Some(o) if matches!(&o.value, Value::List(l) if !l.is_empty()))
}

/// Delete the key if its list is now empty (Redis never keeps empty
/// lists), with its `del` event.
fn delete_if_empty(s: &mut Server, db: usize, key: &[u8]) {
    if matches!(s.peek(db, key), Some(o) if matches!(&o.value, Value::List(l) if l.is_empty())) {
        s.db_delete(db, key);
        s.notify_keyspace_event(notify::GENERIC, "del", key, db);
    }
}

/// The list event of a pop from `end`.
fn pop_event(end: End) -> &'static str {
    if end == End::Head { "lpop" } else { "rpop" }
}

fn push_items(s: &mut Server, db: usize, key: &[u8], items: &[Vec<u8>], end: End) -> usize {
    let created = s.lookup_write(db, key).is_none();
    if created {
        s.db_add(db, key, Value::List(Arc::new(List::new())));
    }
    let len = match s.peek_mut(db, key).map(|o| &mut o.value) {
        Some(Value::List(l)) => {
            let l = Arc::make_mut(l);
            for it in items {
                match end {
                    End::Head => l.push_front(it),
                    End::Tail => l.push_back(it),
                }
            }
            l.len()
        }
        _ => 0,
    };
    s.dirty += items.len() as u64;
    len
}

/// The list event of a push at `end` (the caller sends it where Redis
/// does: after the reply for LPUSH, before it for LMOVE's destination).
fn notify_push(s: &mut Server, db: usize, key: &[u8], end: End) {
    let event = if end == End::Head { "lpush" } else { "rpush" };
    s.notify_keyspace_event(notify::LIST, event, key, db);
}

fn pop(l: &mut List, end: End) -> Option<Sds> {
    match end {
        End::Head => l.pop_front(),
        End::Tail => l.pop_back(),
    }
}

fn pop_name(end: End) -> &'static [u8] {
    if end == End::Head { b"LPOP" } else { b"RPOP" }
}

fn end_name(end: End) -> &'static [u8] {
    if end == End::Head { b"LEFT" } else { b"RIGHT" }
}

fn parse_end(arg: &[u8]) -> Result<End, ReplyError> {
    if is(arg, "left") {
        Ok(End::Head)
    } else if is(arg, "right") {
        Ok(End::Tail)
    } else {
        Err(SYNTAX_ERR)
    }
}

// ---------------------------------------------------------------------
// Pushes
// ---------------------------------------------------------------------

fn push_generic(s: &mut Server, c: &mut Client, end: End, only_existing: bool) -> CmdResult {
    let exists = check_list_type(s, c.db, &c.argv[1])?;
    if only_existing && !exists {
        c.reply.int(0);
        return Ok(());
    }
    let len = push_items(s, c.db, &c.argv[1], &c.argv[2..], end);
    c.reply.int(len as i64);
    s.note_reply(c);
    notify_push(s, c.db, &c.argv[1], end);
    Ok(())
}

pub fn lpush_command(s: &mut Server, c: &mut Client) -> CmdResult {
    push_generic(s, c, End::Head, false)
}

pub fn rpush_command(s: &mut Server, c: &mut Client) -> CmdResult {
    push_generic(s, c, End::Tail, false)
}

pub fn lpushx_command(s: &mut Server, c: &mut Client) -> CmdResult {
    push_generic(s, c, End::Head, true)
}

pub fn rpushx_command(s: &mut Server, c: &mut Client) -> CmdResult {
    push_generic(s, c, End::Tail, true)
}

pub fn linsert_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let after = if is(&c.argv[2], "after") {
        true
    } else if is(&c.argv[2], "before") {
        false
    } else {
        return Err(SYNTAX_ERR);
    };
    let (pivot, elem) = (&c.argv[3], &c.argv[4]);
    let Some(l) = list_mut(s, c.db, &c.argv[1])? else {
        c.reply.int(0);
        return Ok(());
    };
    match l.iter().position(|e| e == pivot.as_slice()) {
        Some(i) => {
            l.insert(if after { i + 1 } else { i }, elem);
            let len = l.len();
            s.dirty += 1;
            s.notify_keyspace_event(notify::LIST, "linsert", &c.argv[1], c.db);
            c.reply.int(len as i64);
        }
        None => c.reply.int(-1),
    }
    Ok(())
}

// ---------------------------------------------------------------------
// Pops
// ---------------------------------------------------------------------

/// Reply with `n` items popped from `end` (a range reply, in pop order).
fn pop_range_reply(reply: &mut crate::resp::reply::ReplyBuf, l: &mut List, end: End, n: usize) {
    let n = n.min(l.len());
    reply.array_len(n);
    for _ in 0..n {
        if let Some(e) = pop(l, end) {
            reply.bulk(&e);
        }
    }
}

fn pop_generic(s: &mut Server, c: &mut Client, end: End) -> CmdResult {
    if c.argv.len() > 3 {
        let name = if end == End::Head { "lpop" } else { "rpop" };
        return Err(ReplyError::owned(format!(
            "ERR wrong number of arguments for '{name}' command"
        )));
    }
    let count = match c.argv.get(2) {
        Some(a) => Some(super::args::parse_positive(a)? as usize),
        None => None,
    };
    let key = &c.argv[1];
    let Some(l) = list_mut(s, c.db, key)? else {
        if count.is_some() {
            c.reply.null_array()
        } else {
            c.reply.null()
        }
        return Ok(());
    };
    match count {
        Some(0) => {
            c.reply.array_len(0);
            return Ok(());
        }
        Some(n) => {
            let n = n.min(l.len());
            pop_range_reply(&mut c.reply, l, end, n);
            s.dirty += n as u64;
        }
        None => {
            if let Some(e) = pop(l, end) {
                c.reply.bulk(&e);
            }
            s.dirty += 1;
        }
    }
    s.note_reply(c);
    s.notify_keyspace_event(notify::LIST, pop_event(end), key, c.db);
    delete_if_empty(s, c.db, key);
    Ok(())
}

pub fn lpop_command(s: &mut Server, c: &mut Client) -> CmdResult {
    pop_generic(s, c, End::Head)
}

pub fn rpop_command(s: &mut Server, c: &mut Client) -> CmdResult {
    pop_generic(s, c, End::Tail)
}

/// Pop from the first non-empty list among `keys`; reply [key, [items]].
/// Returns false when every list was missing or empty.
fn mpop_first(
    s: &mut Server,
    c: &mut Client,
    keys: std::ops::Range<usize>,
    end: End,
    count: usize,
) -> Result<bool, ReplyError> {
    for i in keys {
        let key = c.argv[i].clone();
        let Some(l) = list_mut(s, c.db, &key)? else {
            continue;
        };
        if l.is_empty() {
            continue;
        }
        c.reply.array_len(2);
        c.reply.bulk(&key);
        let n = count.min(l.len());
        pop_range_reply(&mut c.reply, l, end, n);
        s.dirty += n as u64;
        s.note_reply(c);
        s.notify_keyspace_event(notify::LIST, pop_event(end), &key, c.db);
        delete_if_empty(s, c.db, &key);
        // Only the key popped from changed, not every key named.
        s.signal_modified_key(c.db, &key);
        s.keys_signalled = true;
        s.propagate_as(vec![
            pop_name(end).to_vec(),
            key,
            n.to_string().into_bytes(),
        ]);
        return Ok(true);
    }
    Ok(false)
}

pub fn lmpop_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let a = super::args::parse_mpop(&c.argv, 1, ["left", "right"])?;
    let end = if a.second { End::Tail } else { End::Head };
    if !mpop_first(s, c, a.keys, end, a.count)? {
        c.reply.null_array();
    }
    Ok(())
}

// ---------------------------------------------------------------------
// Reads and edits in place
// ---------------------------------------------------------------------

pub fn llen_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let n = list_ref(s, c.db, &c.argv[1])?.map(|l| l.len()).unwrap_or(0);
    c.reply.int(n as i64);
    Ok(())
}

/// Redis's range normalisation for LRANGE/LTRIM: Some((start, end)) inclusive.
fn normalize_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let mut start = if start < 0 {
        len.saturating_add(start)
    } else {
        start
    };
    let mut end = if end < 0 {
        len.saturating_add(end)
    } else {
        end
    };
    if start < 0 {
        start = 0;
    }
    if start > end || start >= len {
        return None;
    }
    if end >= len {
        end = len - 1;
    }
    Some((start as usize, end as usize))
}

pub fn lrange_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let start = parse_i64(&c.argv[2])?;
    let end = parse_i64(&c.argv[3])?;
    let Some(l) = list_ref(s, c.db, &c.argv[1])? else {
        c.reply.array_len(0);
        return Ok(());
    };
    match normalize_range(start, end, l.len()) {
        None => c.reply.array_len(0),
        Some((a, b)) => {
            c.reply.array_len(b - a + 1);
            for e in l.iter_from(a).take(b - a + 1) {
                c.reply.bulk(e);
            }
        }
    }
    Ok(())
}

pub fn lindex_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let Some(l) = list_ref(s, c.db, &c.argv[1])? else {
        c.reply.null();
        return Ok(());
    };
    let index = parse_i64(&c.argv[2])?;
    match l.resolve_index(index) {
        Some(i) => c.reply.bulk(l.get(i).unwrap_or_default()),
        None => c.reply.null(),
    }
    Ok(())
}

pub fn lset_command(s: &mut Server, c: &mut Client) -> CmdResult {
    if !check_list_type(s, c.db, &c.argv[1])? {
        return Err(NO_SUCH_KEY_ERR);
    }
    let index = parse_i64(&c.argv[2])?;
    let l = list_mut(s, c.db, &c.argv[1])?.ok_or(NO_SUCH_KEY_ERR)?;
    let i = l.resolve_index(index).ok_or(OUT_OF_RANGE_ERR)?;
    l.set(i, &c.argv[3]);
    s.dirty += 1;
    c.reply.ok();
    s.note_reply(c);
    s.notify_keyspace_event(notify::LIST, "lset", &c.argv[1], c.db);
    Ok(())
}

pub fn lrem_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let count = parse_i64(&c.argv[2])?;
    let key = &c.argv[1];
    let elem = &c.argv[3];
    let Some(l) = list_mut(s, c.db, key)? else {
        c.reply.int(0);
        return Ok(());
    };
    let limit = if count == 0 {
        usize::MAX
    } else {
        count.unsigned_abs() as usize
    };
    // Find the victims first, then repack the list once.
    let hits = |(i, e): (usize, &[u8])| (e == elem.as_slice()).then_some(i);
    let mut victims: Vec<usize> = if count >= 0 {
        l.iter().enumerate().filter_map(hits).take(limit).collect()
    } else {
        let len = l.len();
        l.iter()
            .rev()
            .enumerate()
            .filter_map(|(k, e)| hits((len - 1 - k, e)))
            .take(limit)
            .collect()
    };
    victims.sort_unstable();
    let removed = victims.len();
    l.remove_indices(&victims);
    s.dirty += removed as u64;
    if removed > 0 {
        s.notify_keyspace_event(notify::LIST, "lrem", key, c.db);
        delete_if_empty(s, c.db, key);
    }
    c.reply.int(removed as i64);
    Ok(())
}

pub fn ltrim_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let start = parse_i64(&c.argv[2])?;
    let end = parse_i64(&c.argv[3])?;
    let key = &c.argv[1];
    let Some(l) = list_mut(s, c.db, key)? else {
        c.reply.ok();
        return Ok(());
    };
    let len = l.len();
    match normalize_range(start, end, len) {
        None => l.clear(),
        Some((a, b)) => {
            l.drop_back(len - 1 - b);
            l.drop_front(a);
        }
    }
    s.dirty += 1;
    s.notify_keyspace_event(notify::LIST, "ltrim", key, c.db);
    delete_if_empty(s, c.db, key);
    c.reply.ok();
    Ok(())
}

pub fn lpos_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let (mut rank, mut count, mut maxlen): (i64, Option<i64>, i64) = (1, None, 0);
    let mut j = 3;
    while j < c.argv.len() {
        let more = c.argv.len() - 1 - j;
        let opt = &c.argv[j];
        if is(opt, "rank") && more > 0 {
            j += 1;
            rank = parse_i64(&c.argv[j])?;
            if rank == 0 {
                return Err(ReplyError::new(
                    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
                ));
            }
        } else if is(opt, "count") && more > 0 {
            j += 1;
            count = Some(super::args::parse_range(
                &c.argv[j],
                0,
                i64::MAX,
                Some("ERR COUNT can't be negative"),
            )?);
        } else if is(opt, "maxlen") && more > 0 {
            j += 1;
            maxlen = super::args::parse_range(
                &c.argv[j],
                0,
                i64::MAX,
                Some("ERR MAXLEN can't be negative"),
            )?;
        } else {
            return Err(SYNTAX_ERR);
        }
        j += 1;
    }
    // A negative rank searches from the tail; i64::MIN stays negative as
    // in C, which then matches the first hit from the tail.
    let from_tail = rank < 0;
    let rank = if from_tail { rank.wrapping_neg() } else { rank };
    let elem = c.argv[2].clone();
    let Some(l) = list_ref(s, c.db, &c.argv[1])? else {
        if count.is_some() {
            c.reply.array_len(0)
        } else {
            c.reply.null()
        }
        return Ok(());
    };
    let len = l.len();
    let mut matches: i64 = 0;
    let mut found: Vec<i64> = Vec::new();
    let mut walk: Box<dyn Iterator<Item = &[u8]>> = if from_tail {
        Box::new(l.iter().rev())
    } else {
        Box::new(l.iter())
    };
    for step in 0..len {
        if maxlen != 0 && step as i64 >= maxlen {
            break;
        }
        let idx = if from_tail { len - 1 - step } else { step };
        let Some(e) = walk.next() else { break };
        if e == elem.as_slice() {
            matches += 1;
            if matches >= rank {
                found.push(idx as i64);
                match count {
                    None => break,
                    Some(n) if n != 0 && matches - rank + 1 >= n => break,
                    _ => {}
                }
            }
        }
    }
    match count {
        Some(_) => {
            c.reply.array_len(found.len());
            for i in found {
                c.reply.int(i);
            }
        }
        None => match found.first() {
            Some(i) => c.reply.int(*i),
            None => c.reply.null(),
        },
    }
    Ok(())
}

// ---------------------------------------------------------------------
// LMOVE family
// ---------------------------------------------------------------------

/// Move one element from `src` to `dst`, replying with it (Redis's
/// lmoveGenericCommand). Returns false if `src` has nothing.
fn lmove_generic(
    s: &mut Server,
    c: &mut Client,
    src: &[u8],
    dst: &[u8],
    from: End,
    to: End,
) -> Result<bool, ReplyError> {
    // A write lookup, as Redis's: no hit/miss counted, no keymiss.
    let has = match s.lookup_write(c.db, src) {
        None => return Ok(false),
        Some(o) => match &o.value {
            Value::List(l) => !l.is_empty(),
            _ => return Err(WRONGTYPE_ERR),
        },
    };
    if !has {
        return Ok(false);
    }
    check_list_type(s, c.db, dst)?;
    let Some(l) = list_mut(s, c.db, src)? else {
        return Ok(false);
    };
    let Some(e) = pop(l, from) else {
        return Ok(false);
    };
    // Redis's order: the push (and its events) first, then the pop's
    // event, then the source goes if empty (when src is dst, the push
    // lands on the same list, which never went).
    let v = e.to_vec();
    push_items(s, c.db, dst, std::slice::from_ref(&v), to);
    notify_push(s, c.db, dst, to);
    c.reply.bulk(&v);
    s.note_reply(c);
    s.notify_keyspace_event(notify::LIST, pop_event(from), src, c.db);
    delete_if_empty(s, c.db, src);
    s.propagate_as(vec![
        b"LMOVE".to_vec(),
        src.to_vec(),
        dst.to_vec(),
        end_name(from).to_vec(),
        end_name(to).to_vec(),
    ]);
    Ok(true)
}

pub fn lmove_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let from = parse_end(&c.argv[3])?;
    let to = parse_end(&c.argv[4])?;
    let (src, dst) = (c.argv[1].clone(), c.argv[2].clone());
    if !lmove_generic(s, c, &src, &dst, from, to)? {
        c.reply.null();
    }
    Ok(())
}

pub fn rpoplpush_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let (src, dst) = (c.argv[1].clone(), c.argv[2].clone());
    if !lmove_generic(s, c, &src, &dst, End::Tail, End::Head)? {
        c.reply.null();
    }
    Ok(())
}

// ---------------------------------------------------------------------
// Blocking forms
// ---------------------------------------------------------------------

fn blocking_pop(s: &mut Server, c: &mut Client, end: End) -> CmdResult {
    let last = c.argv.len() - 1;
    let deadline = super::args::parse_block_timeout(s.now_ms, &c.argv[last])?;
    for i in 1..last {
        let key = c.argv[i].clone();
        let Some(l) = list_mut(s, c.db, &key)? else {
            continue;
        };
        let Some(e) = pop(l, end) else { continue };
        c.reply.array_len(2);
        c.reply.bulk(&key);
        c.reply.bulk(&e);
        s.dirty += 1;
        s.note_reply(c);
        s.notify_keyspace_event(notify::LIST, pop_event(end), &key, c.db);
        delete_if_empty(s, c.db, &key);
        // Only the key popped from changed, not every key named.
        s.signal_modified_key(c.db, &key);
        s.keys_signalled = true;
        s.propagate_as(vec![pop_name(end).to_vec(), key]);
        return Ok(());
    }
    let keys = c.argv[1..last].to_vec();
    s.block_client(
        c,
        BlockState {
            db: c.db,
            keys,
            deadline,
            op: BlockOp::Pop { end, count: None },
        },
    );
    Ok(())
}

pub fn blpop_command(s: &mut Server, c: &mut Client) -> CmdResult {
    blocking_pop(s, c, End::Head)
}

pub fn brpop_command(s: &mut Server, c: &mut Client) -> CmdResult {
    blocking_pop(s, c, End::Tail)
}

pub fn blmpop_command(s: &mut Server, c: &mut Client) -> CmdResult {
    // Redis checks numkeys, the direction and COUNT before the timeout.
    let a = super::args::parse_mpop(&c.argv, 2, ["left", "right"])?;
    let end = if a.second { End::Tail } else { End::Head };
    let deadline = super::args::parse_block_timeout(s.now_ms, &c.argv[1])?;
    if mpop_first(s, c, a.keys.clone(), end, a.count)? {
        return Ok(());
    }
    let keys = c.argv[a.keys].to_vec();
    s.block_client(
        c,
        BlockState {
            db: c.db,
            keys,
            deadline,
            op: BlockOp::Pop {
                end,
                count: Some(a.count),
            },
        },
    );
    Ok(())
}

fn blmove_generic(
    s: &mut Server,
    c: &mut Client,
    from: End,
    to: End,
    timeout_idx: usize,
) -> CmdResult {
    let deadline = super::args::parse_block_timeout(s.now_ms, &c.argv[timeout_idx])?;
    let (src, dst) = (c.argv[1].clone(), c.argv[2].clone());
    if check_list_type(s, c.db, &src)? {
        lmove_generic(s, c, &src, &dst, from, to)?;
        return Ok(());
    }
    // Inside EXEC (or a replay) nothing may block: answer as a timeout.
    if c.in_exec || s.loading {
        c.reply.null();
        return Ok(());
    }
    s.block_client(
        c,
        BlockState {
            db: c.db,
            keys: vec![src],
            deadline,
            op: BlockOp::Move { from, to, dst },
        },
    );
    Ok(())
}

pub fn blmove_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let from = parse_end(&c.argv[3])?;
    let to = parse_end(&c.argv[4])?;
    blmove_generic(s, c, from, to, 5)
}

pub fn brpoplpush_command(s: &mut Server, c: &mut Client) -> CmdResult {
    blmove_generic(s, c, End::Tail, End::Head, 3)
}

/// Serve one blocked client from the list at `key`, which has items
/// (Redis's serveClientBlockedOnList). The client is unblocked when served.
pub fn serve_blocked_client(s: &mut Server, c: &mut Client, key: &[u8]) {
    let Some(state) = c.bstate.clone() else {
        return;
    };
    if state.db >= s.db_count() {
        return;
    }
    let db = state.db;
    let saved_db = c.db;
    c.db = db;
    s.note_reply(c);
    // Served outside `call`: what it does is one execution unit, sent
    // out below (Redis's afterCommand on the receiver).
    s.prop.cmd_db = db;
    s.prop.depth += 1;
    let result: Result<bool, ReplyError> = match &state.op {
        BlockOp::Pop { end, count: None } => match list_mut(s, db, key) {
            Ok(Some(l)) => match pop(l, *end) {
                Some(e) => {
                    c.reply.array_len(2);
                    c.reply.bulk(key);
                    c.reply.bulk(&e);
                    s.dirty += 1;
                    s.note_reply(c);
                    s.notify_keyspace_event(notify::LIST, pop_event(*end), key, db);
                    delete_if_empty(s, db, key);
                    s.propagate_as(vec![pop_name(*end).to_vec(), key.to_vec()]);
                    Ok(true)
                }
                None => Ok(false),
            },
            Ok(None) => Ok(false),
            Err(e) => Err(e),
        },
        BlockOp::Pop {
            end,
            count: Some(n),
        } => {
            let idx = c.argv.len();
            c.argv.push(key.to_vec());
            let r = mpop_first(s, c, idx..idx + 1, *end, *n);
            c.argv.pop();
            r
        }
        BlockOp::Move { from, to, dst } => lmove_generic(s, c, key, dst, *from, *to),
        BlockOp::ZPop { .. } | BlockOp::XRead { .. } | BlockOp::Wait { .. } | BlockOp::Migrate => {
            Ok(false)
        }
    };
    c.db = saved_db;
    s.prop.depth -= 1;
    s.prop.prevent_cmd = false;
    s.signal_modified_key(db, key);
    if let BlockOp::Move { dst, .. } = &state.op {
        s.signal_modified_key(db, dst);
    }
    s.propagate_pending();
    match result {
        Ok(true) => {
            s.stats.numcommands += 1;
            s.unblock_client(c);
        }
        Ok(false) => {}
        Err(e) => {
            s.add_reply_error(c, &e);
            s.unblock_client(c);
        }
    }
}
