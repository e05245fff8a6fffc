//! Group `bitmap`: SETBIT, GETBIT, BITCOUNT, BITPOS and BITOP (Redis's
//! bitops.c). Bitmaps are strings; bit 0 is the most significant bit of
//! the first byte.

use super::args::{is, parse_i64, parse_i64_or};
use super::{CmdResult, ReplyError, SYNTAX_ERR, WRONGTYPE_ERR};
use crate::client::Client;
use crate::notify;
use crate::server::Server;
use crate::types::Value;

const OFFSET_ERR: ReplyError = ReplyError::new("ERR bit offset is not an integer or out of range");

/// A bit offset (getBitOffsetFromArgument): an integer from 0 to
/// proto-max-bulk-len bytes' worth of bits.
fn parse_bit_offset(s: &Server, arg: &[u8]) -> Result<u64, ReplyError> {
    let v = crate::util::num::string2ll(arg).ok_or(OFFSET_ERR)?;
    if v < 0 || (!s.loading && (v as u64 >> 3) >= s.config.proto_max_bulk_len) {
        return Err(OFFSET_ERR);
    }
    Ok(v as u64)
}

/// The string at `key` for reading (integers as their decimal text).
fn read_bytes(s: &mut Server, db: usize, key: &[u8]) -> Result<Option<Vec<u8>>, ReplyError> {
    Ok(s.lookup_string(db, key)?.map(|v| v.to_vec()))
}

pub fn setbit_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let offset = parse_bit_offset(s, &c.argv[2])?;
    let on = parse_i64_or(
        &c.argv[3],
        ReplyError::new("ERR bit is not an integer or out of range"),
    )?;
    if on & !1 != 0 {
        return Err(ReplyError::new("ERR bit is not an integer or out of range"));
    }
    let db = c.db;
    let key = c.argv[1].clone();
    let byte = (offset >> 3) as usize;
    // Redis's lookupStringForBitCommand: created or grown with zeros.
    let (mut bytes, existed) = match s.lookup_write(db, &key) {
        None => (Vec::new(), false),
        Some(o) if !o.value.is_string() => return Err(WRONGTYPE_ERR),
        Some(o) => (
            match std::mem::replace(&mut o.value, Value::Int(0)) {
                Value::Raw(arc) => std::sync::Arc::try_unwrap(arc).unwrap_or_else(|a| (*a).clone()),
                other => other.to_vec(),
            },
            true,
        ),
    };
    let grown = bytes.len() < byte + 1;
    if grown {
        bytes.resize(byte + 1, 0);
    }
    let bit = 7 - (offset & 7) as u32;
    let old = (bytes[byte] >> bit) & 1;
    let changed = !existed || grown || old as i64 != on;
    if changed {
        bytes[byte] = (bytes[byte] & !(1 << bit)) | ((on as u8) << bit);
    }
    let value = Value::raw(bytes);
    match s.lookup_write(db, &key) {
        Some(o) => o.value = value,
        None => s.db_add(db, &key, value),
    }
    s.keys_signalled = true;
    if changed {
        s.signal_modified_key(db, &key);
        s.notify_keyspace_event(notify::STRING, "setbit", &key, db);
        s.dirty += 1;
    }
    c.reply.int(old as i64);
    Ok(())
}

pub fn getbit_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let offset = parse_bit_offset(s, &c.argv[2])?;
    let byte = (offset >> 3) as usize;
    let bit = 7 - (offset & 7) as u32;
    let v = match s.lookup_string(c.db, &c.argv[1])? {
        None => 0,
        Some(v) => {
            let mut scratch = [0u8; 20];
            let b = v.str_bytes(&mut scratch);
            b.get(byte).map(|x| (x >> bit) & 1).unwrap_or(0)
        }
    };
    c.reply.int(v as i64);
    Ok(())
}

/// Start/end as BITCOUNT and BITPOS normalize them: negative from the
/// end, clamped; in bits with BIT (then turned into bytes and the masks of
/// the partial first and last bytes).
struct Span {
    start: i64,
    end: i64,
    first_mask: u8,
    last_mask: u8,
}

fn normalize(mut start: i64, mut end: i64, len: i64, isbit: bool) -> Span {
    let totlen = if isbit { len << 3 } else { len };
    if start < 0 {
        start += totlen;
    }
    if end < 0 {
        end += totlen;
    }
    start = start.max(0);
    end = end.max(0);
    if end >= totlen {
        end = totlen - 1;
    }
    let (mut first_mask, mut last_mask) = (0u8, 0u8);
    if isbit && start <= end {
        first_mask = (!((1u32 << (8 - (start & 7))) - 1) & 0xFF) as u8;
        last_mask = ((1u32 << (7 - (end & 7))) - 1) as u8;
        start >>= 3;
        end >>= 3;
    }
    Span {
        start,
        end,
        first_mask,
        last_mask,
    }
}

fn parse_unit(arg: &[u8]) -> Result<bool, ReplyError> {
    if is(arg, "bit") {
        Ok(true)
    } else if is(arg, "byte") {
        Ok(false)
    } else {
        Err(SYNTAX_ERR)
    }
}

pub fn bitcount_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let Some(p) = read_bytes(s, c.db, &c.argv[1])? else {
        c.reply.int(0);
        return Ok(());
    };
    let argc = c.argv.len();
    let span = if argc == 4 || argc == 5 {
        let start = parse_i64(&c.argv[2])?;
        let end = parse_i64(&c.argv[3])?;
        if start < 0 && end < 0 && start > end {
            c.reply.int(0);
            return Ok(());
        }
        let isbit = if argc == 5 {
            parse_unit(&c.argv[4])?
        } else {
            false
        };
        normalize(start, end, p.len() as i64, isbit)
    } else if argc == 2 {
        Span {
            start: 0,
            end: p.len() as i64 - 1,
            first_mask: 0,
            last_mask: 0,
        }
    } else {
        return Err(SYNTAX_ERR);
    };
    if span.start > span.end {
        c.reply.int(0);
        return Ok(());
    }
    let (a, b) = (span.start as usize, span.end as usize);
    let mut count = popcount(&p[a..=b]) as i64;
    if span.first_mask != 0 {
        count -= (p[a] & span.first_mask).count_ones() as i64;
    }
    if span.last_mask != 0 {
        count -= (p[b] & span.last_mask).count_ones() as i64;
    }
    c.reply.int(count);
    Ok(())
}

/// The number of set bits in `b` (Redis's redisPopcount), eight bytes at a
/// time, with the CPU's POPCNT where it has one.
pub fn popcount(b: &[u8]) -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("popcnt") {
            // SAFETY: the CPU was just found to have POPCNT.
            return unsafe { popcount_popcnt(b) };
        }
    }
    popcount_words(b)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
unsafe fn popcount_popcnt(b: &[u8]) -> u64 {
    popcount_words(b)
}

#[inline(always)]
fn popcount_words(b: &[u8]) -> u64 {
    let mut chunks = b.chunks_exact(32);
    let (mut n0, mut n1, mut n2, mut n3) = (0u64, 0u64, 0u64, 0u64);
    let word = |c: &[u8]| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
    for c in &mut chunks {
        n0 += word(&c[0..8]).count_ones() as u64;
        n1 += word(&c[8..16]).count_ones() as u64;
        n2 += word(&c[16..24]).count_ones() as u64;
        n3 += word(&c[24..32]).count_ones() as u64;
    }
    let rest: u64 = chunks
        .remainder()
        .iter()
        .map(|x| x.count_ones() as u64)
        .sum();
    n0 + n1 + n2 + n3 + rest
}

/// The first bit equal to `bit` in `bytes` (redisBitpos): -1 when looking
/// for a 1 that is not there, the bit just past the end when looking for
/// a 0 among all ones.
fn bitpos_in(bytes: &[u8], bit: bool) -> i64 {
    for (i, &b) in bytes.iter().enumerate() {
        if bit && b != 0 {
            return i as i64 * 8 + b.leading_zeros() as i64;
        }
        if !bit && b != 0xFF {
            return i as i64 * 8 + b.leading_ones() as i64;
        }
    }
    if bit { -1 } else { bytes.len() as i64 * 8 }
}

pub fn bitpos_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let bit = parse_i64(&c.argv[2])?;
    if bit != 0 && bit != 1 {
        return Err(ReplyError::new("ERR The bit argument must be 1 or 0."));
    }
    let bit = bit == 1;
    let p = match s.lookup_read(c.db, &c.argv[1]) {
        None => {
            c.reply.int(if bit { -1 } else { 0 });
            return Ok(());
        }
        Some(o) if !o.value.is_string() => return Err(WRONGTYPE_ERR),
        Some(o) => o.value.to_vec(),
    };
    let argc = c.argv.len();
    let mut end_given = false;
    let span = if (4..=6).contains(&argc) {
        let start = parse_i64(&c.argv[3])?;
        let isbit = if argc == 6 {
            parse_unit(&c.argv[5])?
        } else {
            false
        };
        let totlen = p.len() as i64;
        let end = if argc >= 5 {
            end_given = true;
            parse_i64(&c.argv[4])?
        } else if isbit {
            (totlen << 3) + 7
        } else {
            totlen - 1
        };
        normalize(start, end, totlen, isbit)
    } else if argc == 3 {
        Span {
            start: 0,
            end: p.len() as i64 - 1,
            first_mask: 0,
            last_mask: 0,
        }
    } else {
        return Err(SYNTAX_ERR);
    };
    if span.start > span.end {
        c.reply.int(-1);
        return Ok(());
    }
    let mut start = span.start as usize;
    let end = span.end as usize;
    let mut bytes = end - start + 1;
    // The partial first and last bytes are read with the bits outside
    // the range forced to the opposite of what is sought.
    let force = |b: u8, mask: u8| if bit { b & !mask } else { b | mask };
    let pos = 'found: {
        if span.first_mask != 0 {
            let mut t = force(p[start], span.first_mask);
            if span.last_mask != 0 && bytes == 1 {
                t = force(t, span.last_mask);
            }
            let pos = bitpos_in(&[t], bit);
            if bytes == 1 || (pos != -1 && pos != 8) {
                break 'found pos;
            }
            start += 1;
            bytes -= 1;
        }
        let cur = bytes - if span.last_mask != 0 { 1 } else { 0 };
        if cur > 0 {
            let pos = bitpos_in(&p[start..start + cur], bit);
            if bytes == cur || (pos != -1 && pos != (cur as i64) << 3) {
                break 'found pos;
            }
            start += cur;
            bytes -= cur;
        }
        bitpos_in(&[force(p[end], span.last_mask)], bit)
    };
    if end_given && !bit && pos == (bytes as i64) << 3 {
        c.reply.int(-1);
        return Ok(());
    }
    c.reply.int(if pos != -1 {
        pos + ((start as i64) << 3)
    } else {
        pos
    });
    Ok(())
}

pub fn bitop_command(s: &mut Server, c: &mut Client) -> CmdResult {
    #[derive(PartialEq, Clone, Copy)]
    enum Op {
        And,
        Or,
        Xor,
        Not,
    }
    let op = match c.argv[1].to_ascii_lowercase().as_slice() {
        b"and" => Op::And,
        b"or" => Op::Or,
        b"xor" => Op::Xor,
        b"not" => Op::Not,
        _ => return Err(SYNTAX_ERR),
    };
    if op == Op::Not && c.argv.len() != 4 {
        return Err(ReplyError::new(
            "ERR BITOP NOT must be called with a single source key.",
        ));
    }
    let db = c.db;
    let mut srcs: Vec<Vec<u8>> = Vec::with_capacity(c.argv.len() - 3);
    for k in &c.argv[3..] {
        srcs.push(read_bytes(s, db, k)?.unwrap_or_default());
    }
    let maxlen = srcs.iter().map(|v| v.len()).max().unwrap_or(0);
    let mut res = vec![0u8; maxlen];
    for (j, out) in res.iter_mut().enumerate() {
        let at = |v: &Vec<u8>| v.get(j).copied().unwrap_or(0);
        let mut o = at(&srcs[0]);
        if op == Op::Not {
            o = !o;
        }
        for src in &srcs[1..] {
            let b = at(src);
            match op {
                Op::And => o &= b,
                Op::Or => o |= b,
                Op::Xor => o ^= b,
                Op::Not => {}
            }
        }
        *out = o;
    }
    let dst = c.argv[2].clone();
    s.keys_signalled = true;
    if maxlen > 0 {
        s.set_key(db, &dst, Value::raw(res), false);
        s.signal_modified_key(db, &dst);
        s.notify_keyspace_event(notify::STRING, "set", &dst, db);
        s.dirty += 1;
    } else if s.delete_key(db, &dst) {
        s.signal_modified_key(db, &dst);
        s.notify_keyspace_event(notify::GENERIC, "del", &dst, db);
        s.dirty += 1;
    }
    c.reply.int(maxlen as i64);
    Ok(())
}

// ---------------------------------------------------------------------
// BITFIELD
// ---------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq)]
enum Overflow {
    Wrap,
    Sat,
    Fail,
}

#[derive(Clone, Copy, PartialEq)]
enum FieldOp {
    Get,
    Set,
    IncrBy,
}

struct Field {
    op: FieldOp,
    offset: u64,
    value: i64,
    overflow: Overflow,
    bits: u32,
    signed: bool,
}

/// `i1`..`i64` or `u1`..`u63` (getBitfieldTypeFromArgument).
fn parse_field_type(arg: &[u8]) -> Result<(bool, u32), ReplyError> {
    const ERR: ReplyError = ReplyError::new(
        "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
    );
    let signed = match arg.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return Err(ERR),
    };
    let bits = crate::util::num::string2ll(&arg[1..]).ok_or(ERR)?;
    if bits < 1 || (signed && bits > 64) || (!signed && bits > 63) {
        return Err(ERR);
    }
    Ok((signed, bits as u32))
}

/// An offset, `#N` meaning N fields of `bits` bits.
fn parse_field_offset(s: &Server, arg: &[u8], bits: u32) -> Result<u64, ReplyError> {
    let (hash, digits) = match arg.first() {
        Some(b'#') => (true, &arg[1..]),
        _ => (false, arg),
    };
    let mut v = crate::util::num::string2ll(digits).ok_or(OFFSET_ERR)?;
    if hash {
        v = v.checked_mul(bits as i64).ok_or(OFFSET_ERR)?;
    }
    if v < 0 || (!s.loading && (v as u64 >> 3) >= s.config.proto_max_bulk_len) {
        return Err(OFFSET_ERR);
    }
    Ok(v as u64)
}

fn get_unsigned(p: &[u8], offset: u64, bits: u32) -> u64 {
    let mut v = 0u64;
    for j in 0..bits as u64 {
        let o = offset + j;
        let byte = p.get((o >> 3) as usize).copied().unwrap_or(0);
        v = (v << 1) | ((byte >> (7 - (o & 7))) & 1) as u64;
    }
    v
}

fn get_signed(p: &[u8], offset: u64, bits: u32) -> i64 {
    let mut v = get_unsigned(p, offset, bits) as i64;
    if bits < 64 && v & (1i64 << (bits - 1)) != 0 {
        v |= (-1i64) << bits;
    }
    v
}

fn set_unsigned(p: &mut [u8], offset: u64, bits: u32, value: u64) {
    for j in 0..bits as u64 {
        let bit = (value >> (bits as u64 - 1 - j)) & 1;
        let o = offset + j;
        if let Some(b) = p.get_mut((o >> 3) as usize) {
            let shift = 7 - (o & 7);
            *b = (*b & !(1 << shift)) | ((bit as u8) << shift);
        }
    }
}

/// checkUnsignedBitfieldOverflow: 0, or ±1 with the value to store (None
/// under FAIL).
fn unsigned_overflow(value: u64, incr: i64, bits: u32, ow: Overflow) -> (i32, Option<u64>) {
    let max: u64 = if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    let maxincr = max.wrapping_sub(value) as i64;
    let minincr = value.wrapping_neg() as i64;
    let wrap = || {
        let mask = if bits >= 64 { 0 } else { u64::MAX << bits };
        value.wrapping_add(incr as u64) & !mask
    };
    if value > max || (incr > 0 && incr > maxincr) {
        return (
            1,
            match ow {
                Overflow::Wrap => Some(wrap()),
                Overflow::Sat => Some(max),
                Overflow::Fail => None,
            },
        );
    }
    if incr < 0 && incr < minincr {
        return (
            -1,
            match ow {
                Overflow::Wrap => Some(wrap()),
                Overflow::Sat => Some(0),
                Overflow::Fail => None,
            },
        );
    }
    (0, None)
}

/// checkSignedBitfieldOverflow, likewise.
fn signed_overflow(value: i64, incr: i64, bits: u32, ow: Overflow) -> (i32, Option<i64>) {
    let max: i64 = if bits == 64 {
        i64::MAX
    } else {
        (1i64 << (bits - 1)) - 1
    };
    let min = -max - 1;
    let maxincr = (max as u64).wrapping_sub(value as u64) as i64;
    let minincr = min.wrapping_sub(value);
    let wrap = || {
        let msb = 1u64 << (bits - 1);
        let mut c = (value as u64).wrapping_add(incr as u64);
        if bits < 64 {
            let mask = u64::MAX << bits;
            if c & msb != 0 {
                c |= mask;
            } else {
                c &= !mask;
            }
        }
        c as i64
    };
    if value > max || (bits != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr) {
        return (
            1,
            match ow {
                Overflow::Wrap => Some(wrap()),
                Overflow::Sat => Some(max),
                Overflow::Fail => None,
            },
        );
    }
    if value < min || (bits != 64 && incr < minincr) || (value < 0 && incr < 0 && incr < minincr) {
        return (
            -1,
            match ow {
                Overflow::Wrap => Some(wrap()),
                Overflow::Sat => Some(min),
                Overflow::Fail => None,
            },
        );
    }
    (0, None)
}

fn bitfield_generic(s: &mut Server, c: &mut Client, readonly_cmd: bool) -> CmdResult {
    let mut ops: Vec<Field> = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut readonly = true;
    let mut highest: u64 = 0;
    let argc = c.argv.len();
    let mut j = 2;
    while j < argc {
        let rem = argc - j - 1;
        let sub = &c.argv[j];
        let op = if is(sub, "get") && rem >= 2 {
            FieldOp::Get
        } else if is(sub, "set") && rem >= 3 {
            FieldOp::Set
        } else if is(sub, "incrby") && rem >= 3 {
            FieldOp::IncrBy
        } else if is(sub, "overflow") && rem >= 1 {
            let t = &c.argv[j + 1];
            overflow = if is(t, "wrap") {
                Overflow::Wrap
            } else if is(t, "sat") {
                Overflow::Sat
            } else if is(t, "fail") {
                Overflow::Fail
            } else {
                return Err(ReplyError::new("ERR Invalid OVERFLOW type specified"));
            };
            j += 2;
            continue;
        } else {
            return Err(SYNTAX_ERR);
        };
        let (signed, bits) = parse_field_type(&c.argv[j + 1])?;
        let offset = parse_field_offset(s, &c.argv[j + 2], bits)?;
        let mut value = 0;
        if op != FieldOp::Get {
            readonly = false;
            highest = highest.max(offset + bits as u64 - 1);
            value = parse_i64(&c.argv[j + 3])?;
        }
        ops.push(Field {
            op,
            offset,
            value,
            overflow,
            bits,
            signed,
        });
        j += if op == FieldOp::Get { 3 } else { 4 };
    }
    let db = c.db;
    let key = c.argv[1].clone();
    if readonly {
        let p = read_bytes(s, db, &key)?.unwrap_or_default();
        c.reply.array_len(ops.len());
        for f in &ops {
            if f.signed {
                c.reply.int(get_signed(&p, f.offset, f.bits));
            } else {
                c.reply.int(get_unsigned(&p, f.offset, f.bits) as i64);
            }
        }
        return Ok(());
    }
    if readonly_cmd {
        return Err(ReplyError::new(
            "ERR BITFIELD_RO only supports the GET subcommand",
        ));
    }
    // Redis's lookupStringForBitCommand up to the farthest bit written.
    let byte = (highest >> 3) as usize;
    let (mut p, existed) = match s.lookup_write(db, &key) {
        None => (Vec::new(), false),
        Some(o) if !o.value.is_string() => return Err(WRONGTYPE_ERR),
        Some(o) => (
            match std::mem::replace(&mut o.value, Value::Int(0)) {
                Value::Raw(arc) => std::sync::Arc::try_unwrap(arc).unwrap_or_else(|a| (*a).clone()),
                other => other.to_vec(),
            },
            true,
        ),
    };
    let grown = p.len() < byte + 1;
    if grown {
        p.resize(byte + 1, 0);
    }
    let dirty = !existed || grown;
    let mut changes = 0u64;
    c.reply.array_len(ops.len());
    for f in &ops {
        match f.op {
            FieldOp::Get => {
                if f.signed {
                    c.reply.int(get_signed(&p, f.offset, f.bits));
                } else {
                    c.reply.int(get_unsigned(&p, f.offset, f.bits) as i64);
                }
            }
            _ if f.signed => {
                let old = get_signed(&p, f.offset, f.bits);
                let (newval, ret, ov) = if f.op == FieldOp::IncrBy {
                    let (ov, w) = signed_overflow(old, f.value, f.bits, f.overflow);
                    let n = if ov != 0 {
                        w
                    } else {
                        Some(old.wrapping_add(f.value))
                    };
                    (n, n, ov)
                } else {
                    let (ov, w) = signed_overflow(f.value, 0, f.bits, f.overflow);
                    let n = if ov != 0 { w } else { Some(f.value) };
                    (n, Some(old), ov)
                };
                match (ov != 0 && f.overflow == Overflow::Fail, newval, ret) {
                    (false, Some(n), Some(r)) => {
                        c.reply.int(r);
                        set_unsigned(&mut p, f.offset, f.bits, n as u64);
                        if dirty || old != n {
                            changes += 1;
                        }
                    }
                    _ => c.reply.null(),
                }
            }
            _ => {
                let old = get_unsigned(&p, f.offset, f.bits);
                let (newval, ret, ov) = if f.op == FieldOp::IncrBy {
                    let (ov, w) = unsigned_overflow(old, f.value, f.bits, f.overflow);
                    let n = if ov != 0 {
                        w
                    } else {
                        Some(old.wrapping_add(f.value as u64))
                    };
                    (n, n, ov)
                } else {
                    let (ov, w) = unsigned_overflow(f.value as u64, 0, f.bits, f.overflow);
                    let n = if ov != 0 { w } else { Some(f.value as u64) };
                    (n, Some(old), ov)
                };
                match (ov != 0 && f.overflow == Overflow::Fail, newval, ret) {
                    (false, Some(n), Some(r)) => {
                        c.reply.int(r as i64);
                        set_unsigned(&mut p, f.offset, f.bits, n);
                        if dirty || old != n {
                            changes += 1;
                        }
                    }
                    _ => c.reply.null(),
                }
            }
        }
    }
    let value = Value::raw(p);
    match s.lookup_write(db, &key) {
        Some(o) => o.value = value,
        None => s.db_add(db, &key, value),
    }
    s.keys_signalled = true;
    if changes > 0 {
        s.signal_modified_key(db, &key);
        s.notify_keyspace_event(notify::STRING, "setbit", &key, db);
        s.dirty += changes;
    }
    Ok(())
}

pub fn bitfield_command(s: &mut Server, c: &mut Client) -> CmdResult {
    bitfield_generic(s, c, false)
}

pub fn bitfield_ro_command(s: &mut Server, c: &mut Client) -> CmdResult {
    bitfield_generic(s, c, true)
}

#[cfg(test)]
mod tests {
    use super::popcount;

    #[test]
    fn popcount_matches_bytewise() {
        let v: Vec<u8> = (0..1000u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        for (a, b) in [(0, 0), (0, 1), (3, 40), (0, 1000), (7, 999)] {
            let want: u64 = v[a..b].iter().map(|x| x.count_ones() as u64).sum();
            assert_eq!(popcount(&v[a..b]), want);
        }
    }
}
