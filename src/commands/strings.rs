//! Group `string`: SET and its family, GET*, MSET*, INCR*/DECR*, APPEND,
//! STRLEN, GETRANGE/SETRANGE, LCS (Redis's t_string.c).

use super::args::{is, parse_i64};
use super::{
    CmdResult, NOT_FLOAT_ERR, NOT_INTEGER_ERR, OVERFLOW_ERR, ReplyError, SYNTAX_ERR, WRONGTYPE_ERR,
};
use crate::client::Client;
use crate::notify;
use crate::server::Server;
use crate::types::Value;

// ---------------------------------------------------------------------
// SET family
// ---------------------------------------------------------------------

#[derive(Default, Clone, Copy, PartialEq)]
enum ExpireArg {
    #[default]
    None,
    Ex,
    Px,
    ExAt,
    PxAt,
}

#[derive(Default)]
struct SetArgs {
    nx: bool,
    xx: bool,
    get: bool,
    keepttl: bool,
    persist: bool,
    expire: ExpireArg,
    /// argv index of the expire time.
    expire_arg: Option<usize>,
}

#[derive(PartialEq)]
enum Cmd {
    Set,
    GetEx,
}

/// Redis's parseExtendedStringArgumentsOrReply: option combinations are
/// accepted or refused exactly as Redis does (a repeated EX is allowed).
fn parse_extended(argv: &[Vec<u8>], from: usize, cmd: Cmd) -> Result<SetArgs, ReplyError> {
    let mut a = SetArgs::default();
    let mut j = from;
    while j < argv.len() {
        let opt = &argv[j][..];
        let next = argv.get(j + 1).map(|v| &v[..]);
        let no_expire_but =
            |keep: ExpireArg, a: &SetArgs| a.expire == ExpireArg::None || a.expire == keep;
        if is(opt, "nx") && !a.xx && cmd == Cmd::Set {
            a.nx = true;
        } else if is(opt, "xx") && !a.nx && cmd == Cmd::Set {
            a.xx = true;
        } else if is(opt, "get") && cmd == Cmd::Set {
            a.get = true;
        } else if is(opt, "keepttl") && !a.persist && a.expire == ExpireArg::None && cmd == Cmd::Set
        {
            a.keepttl = true;
        } else if is(opt, "persist")
            && cmd == Cmd::GetEx
            && a.expire == ExpireArg::None
            && !a.keepttl
        {
            a.persist = true;
        } else if let Some(kind) = [
            ("ex", ExpireArg::Ex),
            ("px", ExpireArg::Px),
            ("exat", ExpireArg::ExAt),
            ("pxat", ExpireArg::PxAt),
        ]
        .iter()
        .find(|(n, _)| is(opt, n))
        .map(|(_, k)| *k)
        .filter(|k| !a.keepttl && !a.persist && no_expire_but(*k, &a) && next.is_some())
        {
            a.expire = kind;
            a.expire_arg = Some(j + 1);
            j += 1;
        } else {
            return Err(SYNTAX_ERR);
        }
        j += 1;
    }
    Ok(a)
}

fn invalid_expire(cmd: &str) -> ReplyError {
    ReplyError::owned(format!("ERR invalid expire time in '{cmd}' command"))
}

/// Redis's getExpireMillisecondsOrReply: an absolute Unix-ms deadline.
fn expire_ms(arg: &[u8], kind: ExpireArg, now: i64, cmd: &str) -> Result<i64, ReplyError> {
    let mut ms = parse_i64(arg)?;
    let seconds = matches!(kind, ExpireArg::Ex | ExpireArg::ExAt);
    if ms <= 0 || (seconds && ms > i64::MAX / 1000) {
        return Err(invalid_expire(cmd));
    }
    if seconds {
        ms *= 1000;
    }
    if matches!(kind, ExpireArg::Ex | ExpireArg::Px) {
        ms = ms.wrapping_add(now);
    }
    if ms <= 0 {
        return Err(invalid_expire(cmd));
    }
    Ok(ms)
}

/// The shared body of SET, SETEX, PSETEX, SETNX (Redis's setGenericCommand).
/// Returns whether the key was set.
fn set_generic(
    s: &mut Server,
    c: &mut Client,
    a: &SetArgs,
    key_idx: usize,
    val_idx: usize,
    cmd: &str,
    reply_ok: bool,
) -> Result<bool, ReplyError> {
    let expire_at = match a.expire_arg {
        Some(i) => Some(expire_ms(&c.argv[i], a.expire, s.now_ms, cmd)?),
        None => None,
    };
    let key = &c.argv[key_idx];
    if a.get {
        match s.lookup_string(c.db, key)? {
            Some(v) => {
                let mut scratch = [0u8; 20];
                c.reply.bulk(v.str_bytes(&mut scratch));
            }
            None => c.reply.null(),
        }
        // SET ... GET announces what it did after the old value.
        s.note_reply(c);
    }
    let found = s.key_exists(c.db, key);
    if (a.nx && found) || (a.xx && !found) {
        if !a.get && reply_ok {
            c.reply.null();
        }
        return Ok(false);
    }
    let value = Value::from_vec(c.argv[val_idx].clone());
    let key = &c.argv[key_idx];
    s.set_key(c.db, key, value, a.keepttl);
    s.dirty += 1;
    s.notify_keyspace_event(notify::STRING, "set", key, c.db);
    if let Some(when) = expire_at {
        s.set_expire(c.db, key, when);
        s.notify_keyspace_event(notify::GENERIC, "expire", key, c.db);
        // Logged with an absolute deadline so a replay expires it on time.
        s.propagate_as(vec![
            b"SET".to_vec(),
            key.clone(),
            c.argv[val_idx].clone(),
            b"PXAT".to_vec(),
            when.to_string().into_bytes(),
        ]);
    }
    if !a.get && reply_ok {
        c.reply.ok();
    }
    Ok(true)
}

pub fn set_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let a = parse_extended(&c.argv, 3, Cmd::Set)?;
    set_generic(s, c, &a, 1, 2, "set", true).map(|_| ())
}

pub fn setnx_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let a = SetArgs {
        nx: true,
        ..Default::default()
    };
    let set = set_generic(s, c, &a, 1, 2, "setnx", false)?;
    c.reply.int(set as i64);
    Ok(())
}

pub fn setex_command(s: &mut Server, c: &mut Client) -> CmdResult {
    setex_generic(s, c, ExpireArg::Ex, "setex")
}

pub fn psetex_command(s: &mut Server, c: &mut Client) -> CmdResult {
    setex_generic(s, c, ExpireArg::Px, "psetex")
}

fn setex_generic(s: &mut Server, c: &mut Client, kind: ExpireArg, cmd: &str) -> CmdResult {
    let a = SetArgs {
        expire: kind,
        expire_arg: Some(2),
        ..Default::default()
    };
    set_generic(s, c, &a, 1, 3, cmd, true).map(|_| ())
}

pub fn get_command(s: &mut Server, c: &mut Client) -> CmdResult {
    match s.lookup_string(c.db, &c.argv[1])? {
        Some(v) => {
            let mut scratch = [0u8; 20];
            c.reply.bulk(v.str_bytes(&mut scratch));
        }
        None => c.reply.null(),
    }
    Ok(())
}

pub fn getset_command(s: &mut Server, c: &mut Client) -> CmdResult {
    get_command(s, c)?;
    s.note_reply(c);
    let value = Value::from_vec(c.argv[2].clone());
    s.set_key(c.db, &c.argv[1], value, false);
    s.dirty += 1;
    s.notify_keyspace_event(notify::STRING, "set", &c.argv[1], c.db);
    Ok(())
}

pub fn getdel_command(s: &mut Server, c: &mut Client) -> CmdResult {
    // One lookup: a miss counts (and is announced) once, as in Redis.
    match s.lookup_string(c.db, &c.argv[1])? {
        Some(v) => {
            let mut scratch = [0u8; 20];
            c.reply.bulk(v.str_bytes(&mut scratch));
        }
        None => {
            c.reply.null();
            return Ok(());
        }
    }
    s.note_reply(c);
    // Redis's getdelCommand: deleted as DEL or UNLINK would under
    // lazyfree-lazy-user-del, and propagated as that command.
    let lazy = s.config.lazyfree_lazy_user_del;
    s.delete_key_lazy(c.db, &c.argv[1], lazy);
    let verb: &[u8] = if lazy { b"UNLINK" } else { b"DEL" };
    s.propagate_as(vec![verb.to_vec(), c.argv[1].clone()]);
    s.dirty += 1;
    s.notify_keyspace_event(notify::GENERIC, "del", &c.argv[1], c.db);
    Ok(())
}

pub fn getex_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let a = parse_extended(&c.argv, 2, Cmd::GetEx)?;
    let key = &c.argv[1];
    let Some(v) = s.lookup_string(c.db, key)? else {
        c.reply.null();
        return Ok(());
    };
    let bytes = v.to_vec();
    let expire_at = match a.expire_arg {
        Some(i) => Some(expire_ms(&c.argv[i], a.expire, s.now_ms, "getex")?),
        None => None,
    };
    c.reply.bulk(&bytes);
    s.note_reply(c);
    if let Some(when) = expire_at {
        if matches!(a.expire, ExpireArg::ExAt | ExpireArg::PxAt) && s.check_already_expired(when) {
            s.delete_for_past_expiry(c.db, key);
        } else {
            s.set_expire(c.db, key, when);
            s.notify_keyspace_event(notify::GENERIC, "expire", key, c.db);
            s.propagate_as(vec![
                b"PEXPIREAT".to_vec(),
                key.clone(),
                when.to_string().into_bytes(),
            ]);
        }
        s.dirty += 1;
    } else if a.persist && s.remove_expire(c.db, key) {
        s.propagate_as(vec![b"PERSIST".to_vec(), key.clone()]);
        s.notify_keyspace_event(notify::GENERIC, "persist", key, c.db);
        s.dirty += 1;
    }
    Ok(())
}

pub fn mget_command(s: &mut Server, c: &mut Client) -> CmdResult {
    c.reply.array_len(c.argv.len() - 1);
    for i in 1..c.argv.len() {
        match s.lookup_read(c.db, &c.argv[i]) {
            Some(o) if o.value.is_string() => {
                let mut scratch = [0u8; 20];
                c.reply.bulk(o.value.str_bytes(&mut scratch));
            }
            _ => c.reply.null(),
        }
    }
    Ok(())
}

fn mset_generic(s: &mut Server, c: &mut Client, nx: bool, name: &str) -> Result<bool, ReplyError> {
    if c.argv.len().is_multiple_of(2) {
        return Err(ReplyError::owned(format!(
            "ERR wrong number of arguments for '{name}' command"
        )));
    }
    if nx
        && (1..c.argv.len())
            .step_by(2)
            .any(|i| s.key_exists(c.db, &c.argv[i]))
    {
        return Ok(false);
    }
    for i in (1..c.argv.len()).step_by(2) {
        let v = Value::from_vec(c.argv[i + 1].clone());
        s.set_key(c.db, &c.argv[i], v, false);
        s.notify_keyspace_event(notify::STRING, "set", &c.argv[i], c.db);
    }
    s.dirty += (c.argv.len() / 2) as u64;
    Ok(true)
}

pub fn mset_command(s: &mut Server, c: &mut Client) -> CmdResult {
    mset_generic(s, c, false, "mset")?;
    c.reply.ok();
    Ok(())
}

pub fn msetnx_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let set = mset_generic(s, c, true, "msetnx")?;
    c.reply.int(set as i64);
    Ok(())
}

// ---------------------------------------------------------------------
// Counters
// ---------------------------------------------------------------------

fn incr_decr(s: &mut Server, c: &mut Client, incr: i64) -> CmdResult {
    let key = &c.argv[1];
    let old = match s.lookup_write(c.db, key) {
        None => 0,
        Some(o) if !o.value.is_string() => return Err(WRONGTYPE_ERR),
        Some(o) => o.value.as_int().ok_or(NOT_INTEGER_ERR)?,
    };
    let new = old.checked_add(incr).ok_or(OVERFLOW_ERR)?;
    s.set_key(c.db, key, Value::Int(new), true);
    s.dirty += 1;
    s.notify_keyspace_event(notify::STRING, "incrby", key, c.db);
    c.reply.int(new);
    Ok(())
}

pub fn incr_command(s: &mut Server, c: &mut Client) -> CmdResult {
    incr_decr(s, c, 1)
}

pub fn decr_command(s: &mut Server, c: &mut Client) -> CmdResult {
    incr_decr(s, c, -1)
}

pub fn incrby_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let by = parse_i64(&c.argv[2])?;
    incr_decr(s, c, by)
}

pub fn decrby_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let by = parse_i64(&c.argv[2])?;
    if by == i64::MIN {
        return Err(ReplyError::new("ERR decrement would overflow"));
    }
    incr_decr(s, c, -by)
}

pub fn incrbyfloat_command(s: &mut Server, c: &mut Client) -> CmdResult {
    use crate::util::ld::LongDouble;
    let key = &c.argv[1];
    // Redis computes in C long double; util::ld reproduces x87 arithmetic.
    let old = match s.lookup_write(c.db, key) {
        None => LongDouble::from_i64(0),
        Some(o) if !o.value.is_string() => return Err(WRONGTYPE_ERR),
        Some(o) => match &o.value {
            Value::Int(i) => LongDouble::from_i64(*i),
            v => LongDouble::parse(&v.to_vec()).ok_or(NOT_FLOAT_ERR)?,
        },
    };
    let by = LongDouble::parse(&c.argv[2]).ok_or(NOT_FLOAT_ERR)?;
    let new = old.add(by);
    if !new.is_finite() {
        return Err(ReplyError::new(
            "ERR increment would produce NaN or Infinity",
        ));
    }
    let text = new.to_human_string();
    s.set_key(c.db, key, Value::from_bytes_no_int(text.as_bytes()), true);
    s.dirty += 1;
    s.notify_keyspace_event(notify::STRING, "incrbyfloat", key, c.db);
    // Float arithmetic is logged as its result.
    s.propagate_as(vec![
        b"SET".to_vec(),
        key.clone(),
        text.clone().into_bytes(),
        b"KEEPTTL".to_vec(),
    ]);
    c.reply.bulk(text.as_bytes());
    Ok(())
}

// ---------------------------------------------------------------------
// Byte-level edits and reads
// ---------------------------------------------------------------------

/// Redis's checkStringLength against proto-max-bulk-len.
fn check_string_length(s: &Server, size: u64, append: u64) -> CmdResult {
    match size.checked_add(append) {
        Some(total) if total <= s.config.proto_max_bulk_len => Ok(()),
        _ => Err(ReplyError::new(
            "ERR string exceeds maximum allowed size (proto-max-bulk-len)",
        )),
    }
}

pub fn append_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let key = &c.argv[1];
    let add = &c.argv[2];
    let new_len = match s.lookup_write(c.db, key) {
        None => {
            let v = Value::from_vec(add.clone());
            let len = add.len();
            s.db_add(c.db, key, v);
            len
        }
        Some(o) => {
            if !o.value.is_string() {
                return Err(WRONGTYPE_ERR);
            }
            let cur_len = o.value.str_len() as u64;
            check_string_length(s, cur_len, add.len() as u64)?;
            let o = s.lookup_write(c.db, key).ok_or(WRONGTYPE_ERR)?;
            let mut bytes = match std::mem::replace(&mut o.value, Value::Int(0)) {
                Value::Raw(arc) => std::sync::Arc::try_unwrap(arc).unwrap_or_else(|a| (*a).clone()),
                other => other.to_vec(),
            };
            bytes.extend_from_slice(add);
            let len = bytes.len();
            o.value = Value::raw(bytes);
            len
        }
    };
    s.dirty += 1;
    s.notify_keyspace_event(notify::STRING, "append", key, c.db);
    c.reply.int(new_len as i64);
    Ok(())
}

pub fn strlen_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let n = s
        .lookup_string(c.db, &c.argv[1])?
        .map(|v| v.str_len())
        .unwrap_or(0);
    c.reply.int(n as i64);
    Ok(())
}

pub fn getrange_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let mut start = parse_i64(&c.argv[2])?;
    let mut end = parse_i64(&c.argv[3])?;
    let Some(v) = s.lookup_string(c.db, &c.argv[1])? else {
        c.reply.bulk(b"");
        return Ok(());
    };
    let mut scratch = [0u8; 20];
    let bytes = v.str_bytes(&mut scratch);
    let len = bytes.len() as i64;
    if start < 0 && end < 0 && start > end {
        c.reply.bulk(b"");
        return Ok(());
    }
    if start < 0 {
        start += len;
    }
    if end < 0 {
        end += len;
    }
    start = start.max(0);
    end = end.max(0);
    if end >= len {
        end = len - 1;
    }
    if start > end || len == 0 {
        c.reply.bulk(b"");
    } else {
        c.reply.bulk(&bytes[start as usize..=end as usize]);
    }
    Ok(())
}

pub fn substr_command(s: &mut Server, c: &mut Client) -> CmdResult {
    getrange_command(s, c)
}

pub fn setrange_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let offset = parse_i64(&c.argv[2])?;
    if offset < 0 {
        return Err(ReplyError::new("ERR offset is out of range"));
    }
    let offset = offset as u64;
    let key = &c.argv[1];
    let patch = &c.argv[3];
    let existing = match s.lookup_write(c.db, key) {
        None => None,
        Some(o) if !o.value.is_string() => return Err(WRONGTYPE_ERR),
        Some(o) => Some(o.value.str_len()),
    };
    match existing {
        None if patch.is_empty() => {
            c.reply.int(0);
            return Ok(());
        }
        Some(len) if patch.is_empty() => {
            c.reply.int(len as i64);
            return Ok(());
        }
        _ => check_string_length(s, offset, patch.len() as u64)?,
    }
    let mut bytes = match s.lookup_write(c.db, key) {
        Some(o) => match std::mem::replace(&mut o.value, Value::Int(0)) {
            Value::Raw(arc) => std::sync::Arc::try_unwrap(arc).unwrap_or_else(|a| (*a).clone()),
            other => other.to_vec(),
        },
        None => Vec::new(),
    };
    let off = offset as usize;
    if bytes.len() < off + patch.len() {
        bytes.resize(off + patch.len(), 0);
    }
    bytes[off..off + patch.len()].copy_from_slice(patch);
    let len = bytes.len();
    match s.lookup_write(c.db, key) {
        Some(o) => o.value = Value::raw(bytes),
        None => s.db_add(c.db, key, Value::raw(bytes)),
    }
    s.dirty += 1;
    s.notify_keyspace_event(notify::STRING, "setrange", key, c.db);
    c.reply.int(len as i64);
    Ok(())
}

/// LCS with Redis's table walk, so ranges come out in Redis's order.
pub fn lcs_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let mut fetch = |key: &[u8]| -> Result<Vec<u8>, ReplyError> {
        match s.lookup_read(c.db, key) {
            None => Ok(Vec::new()),
            Some(o) if o.value.is_string() => Ok(o.value.to_vec()),
            Some(_) => Err(ReplyError::new(
                "ERR The specified keys must contain string values",
            )),
        }
    };
    let a = fetch(&c.argv[1])?;
    let b = fetch(&c.argv[2])?;
    let (mut getlen, mut getidx, mut withmatchlen) = (false, false, false);
    let mut minmatchlen: i64 = 0;
    let mut j = 3;
    while j < c.argv.len() {
        let opt = &c.argv[j];
        let more = c.argv.len() - 1 - j;
        if is(opt, "idx") {
            getidx = true;
        } else if is(opt, "len") {
            getlen = true;
        } else if is(opt, "withmatchlen") {
            withmatchlen = true;
        } else if is(opt, "minmatchlen") && more > 0 {
            minmatchlen = parse_i64(&c.argv[j + 1])?.max(0);
            j += 1;
        } else {
            return Err(SYNTAX_ERR);
        }
        j += 1;
    }
    if getidx && getlen {
        return Err(ReplyError::new(
            "ERR If you want both the length and indexes, please just use IDX.",
        ));
    }
    let (alen, blen) = (a.len(), b.len());
    let cells = (alen as u64 + 1) * (blen as u64 + 1);
    if cells * 4 > s.config.proto_max_bulk_len {
        return Err(ReplyError::new(
            "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
        ));
    }
    let w = blen + 1;
    let mut t = vec![0u32; cells as usize];
    for i in 1..=alen {
        for jj in 1..=blen {
            t[i * w + jj] = if a[i - 1] == b[jj - 1] {
                t[(i - 1) * w + jj - 1] + 1
            } else {
                t[(i - 1) * w + jj].max(t[i * w + jj - 1])
            };
        }
    }
    let total = t[alen * w + blen];
    let mut idx = total as usize;
    let computelcs = getidx || !getlen;
    let mut result = vec![0u8; if computelcs { idx } else { 0 }];
    let mut ranges: Vec<(usize, usize, usize, usize)> = Vec::new();
    let (mut as_, mut ae, mut bs, mut be) = (alen, 0usize, 0usize, 0usize);
    let (mut i, mut jj) = (alen, blen);
    while computelcs && i > 0 && jj > 0 {
        let mut emit = false;
        if a[i - 1] == b[jj - 1] {
            result[idx - 1] = a[i - 1];
            if as_ == alen {
                as_ = i - 1;
                ae = i - 1;
                bs = jj - 1;
                be = jj - 1;
            } else if as_ == i && bs == jj {
                as_ -= 1;
                bs -= 1;
            } else {
                emit = true;
            }
            if as_ == 0 || bs == 0 {
                emit = true;
            }
            idx -= 1;
            i -= 1;
            jj -= 1;
        } else {
            if t[(i - 1) * w + jj] > t[i * w + jj - 1] {
                i -= 1;
            } else {
                jj -= 1;
            }
            if as_ != alen {
                emit = true;
            }
        }
        if emit {
            let match_len = ae.wrapping_sub(as_).wrapping_add(1);
            if minmatchlen == 0 || match_len as i64 >= minmatchlen {
                ranges.push((as_, ae, bs, be));
            }
            as_ = alen;
        }
    }
    if getidx {
        c.reply.map_len(2);
        c.reply.bulk(b"matches");
        c.reply.array_len(ranges.len());
        for (as_, ae, bs, be) in ranges {
            c.reply.array_len(2 + withmatchlen as usize);
            c.reply.array_len(2);
            c.reply.int(as_ as i64);
            c.reply.int(ae as i64);
            c.reply.array_len(2);
            c.reply.int(bs as i64);
            c.reply.int(be as i64);
            if withmatchlen {
                c.reply.int((ae - as_ + 1) as i64);
            }
        }
        c.reply.bulk(b"len");
        c.reply.int(total as i64);
    } else if getlen {
        c.reply.int(total as i64);
    } else {
        c.reply.bulk(&result);
    }
    Ok(())
}
