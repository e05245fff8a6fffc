//! Group `hyperloglog` (Redis's hyperloglog.c): PFADD, PFCOUNT, PFMERGE,
//! PFDEBUG, PFSELFTEST over HLL strings (src/types/hll.rs). An HLL is a
//! plain string, so it is read, written, dumped and saved as one; these
//! commands check its header first, as Redis does, and refuse anything
//! else with Redis's errors.

use super::{CmdResult, ReplyError, WRONGTYPE_ERR};
use crate::client::Client;
use crate::notify;
use crate::server::Server;
use crate::types::Value;
use crate::types::hll;
use std::sync::Arc;

const NOT_HLL: ReplyError =
    ReplyError::new("WRONGTYPE Key is not a valid HyperLogLog string value.");
const INVALID_HLL: ReplyError = ReplyError::new("INVALIDOBJ Corrupted HLL object detected");

/// isHLLObjectOrReply on a value.
fn check_hll(v: &Value) -> Result<(), ReplyError> {
    if !v.is_string() {
        return Err(WRONGTYPE_ERR);
    }
    let mut scratch = [0u8; 20];
    if !hll::is_valid(v.str_bytes(&mut scratch)) {
        return Err(NOT_HLL);
    }
    Ok(())
}

/// The HLL at `key` for writing, checked and unshared into a raw string
/// (dbUnshareStringValue): None when the key is missing.
fn hll_mut<'a>(
    s: &'a mut Server,
    db: usize,
    key: &[u8],
) -> Result<Option<&'a mut Vec<u8>>, ReplyError> {
    let Some(o) = s.lookup_write(db, key) else {
        return Ok(None);
    };
    check_hll(&o.value)?;
    if !matches!(o.value, Value::Raw(_)) {
        o.value = Value::raw(o.value.to_vec());
    }
    match &mut o.value {
        Value::Raw(a) => Ok(Some(Arc::make_mut(a))),
        _ => Err(NOT_HLL),
    }
}

/// Merge the HLL at `key` (if any, read with stats) into `max`; true if
/// it is dense.
fn merge_key(
    s: &mut Server,
    db: usize,
    key: &[u8],
    max: &mut [u8; hll::REGISTERS],
) -> Result<bool, ReplyError> {
    let Some(o) = s.lookup_read(db, key) else {
        return Ok(false);
    };
    check_hll(&o.value)?;
    let mut scratch = [0u8; 20];
    let bytes = o.value.str_bytes(&mut scratch);
    if !hll::merge(max, bytes) {
        return Err(INVALID_HLL);
    }
    Ok(hll::encoding(bytes) == hll::DENSE)
}

/// PFADD key [element ...]: 1 if the key was created or a register rose.
pub fn pfadd_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let db = c.db;
    let max_bytes = s.config.hll_sparse_max_bytes;
    let mut updated = 0u64;
    if hll_mut(s, db, &c.argv[1])?.is_none() {
        s.db_add(db, &c.argv[1], Value::raw(hll::create()));
        updated += 1;
    }
    let mut failed = false;
    if let Some(h) = hll_mut(s, db, &c.argv[1])? {
        for e in &c.argv[2..] {
            match hll::add(h, e, max_bytes) {
                1 => updated += 1,
                -1 => {
                    failed = true;
                    break;
                }
                _ => {}
            }
        }
        if updated > 0 && !failed {
            hll::invalidate_cache(h);
        }
    }
    if failed {
        // Redis leaves what it changed, unannounced, and replies the error.
        return Err(INVALID_HLL);
    }
    if updated > 0 {
        s.notify_keyspace_event(notify::STRING, "pfadd", &c.argv[1], db);
        s.dirty += updated;
    }
    c.reply.int((updated > 0) as i64);
    Ok(())
}

/// PFCOUNT key [key ...]: one key's cardinality (cached in its header,
/// which may write it), or that of the union of several.
pub fn pfcount_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let db = c.db;
    if c.argv.len() > 2 {
        let mut max = [0u8; hll::REGISTERS];
        for k in &c.argv[1..] {
            merge_key(s, db, k, &mut max)?;
        }
        c.reply.int(hll::count_raw(&max) as i64);
        return Ok(());
    }
    let key = &c.argv[1];
    match s.lookup_read(db, key) {
        None => {
            c.reply.int(0);
            return Ok(());
        }
        Some(o) => check_hll(&o.value)?,
    }
    let Some(h) = hll_mut(s, db, key)? else {
        c.reply.int(0);
        return Ok(());
    };
    let card = match hll::cached_card(h) {
        Some(card) => card,
        None => {
            let (card, invalid) = hll::count(h);
            if invalid {
                return Err(INVALID_HLL);
            }
            hll::set_cached_card(h, card);
            // A read that changed the string: propagated as a write.
            s.dirty += 1;
            card
        }
    };
    c.reply.int(card as i64);
    Ok(())
}

/// PFMERGE destkey [sourcekey ...]: the union into destkey (which takes
/// part), dense when any input is.
pub fn pfmerge_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let db = c.db;
    let max_bytes = s.config.hll_sparse_max_bytes;
    let mut max = [0u8; hll::REGISTERS];
    let mut use_dense = false;
    for k in &c.argv[1..] {
        use_dense |= merge_key(s, db, k, &mut max)?;
    }
    let dst = &c.argv[1];
    if hll_mut(s, db, dst)?.is_none() {
        s.db_add(db, dst, Value::raw(hll::create()));
    }
    let Some(h) = hll_mut(s, db, dst)? else {
        return Err(INVALID_HLL);
    };
    if use_dense {
        match hll::sparse_to_dense(h) {
            Some(d) => *h = d,
            None => return Err(INVALID_HLL),
        }
    }
    for (j, m) in max.iter().enumerate() {
        if *m != 0 {
            hll::set_register(h, j, *m, max_bytes);
        }
    }
    hll::invalidate_cache(h);
    s.notify_keyspace_event(notify::STRING, "pfadd", dst, db);
    s.dirty += 1;
    c.reply.ok();
    Ok(())
}

/// PFSELFTEST: the register and estimator self-test.
pub fn pfselftest_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let max_bytes = s.config.hll_sparse_max_bytes;
    match hll::selftest(|| crate::util::rand::next_u64() as u32, max_bytes) {
        Ok(()) => c.reply.ok(),
        Err(e) => return Err(ReplyError::owned(e)),
    }
    Ok(())
}

/// PFDEBUG GETREG|DECODE|ENCODING|TODENSE key.
pub fn pfdebug_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let db = c.db;
    let cmd = String::from_utf8_lossy(&c.argv[1]).into_owned();
    let arity_err = || {
        ReplyError::owned(format!(
            "ERR Wrong number of arguments for the '{cmd}' subcommand"
        ))
    };
    let Some(h) = hll_mut(s, db, &c.argv[2])? else {
        return Err(ReplyError::new("ERR The specified key does not exist"));
    };
    let sub = c.argv[1].to_ascii_lowercase();
    let mut converted = false;
    match sub.as_slice() {
        b"getreg" | b"todense" => {
            if c.argv.len() != 3 {
                return Err(arity_err());
            }
            if hll::encoding(h) == hll::SPARSE {
                match hll::sparse_to_dense(h) {
                    Some(d) => *h = d,
                    None => return Err(INVALID_HLL),
                }
                converted = true;
            }
            if sub == b"getreg" {
                c.reply.array_len(hll::REGISTERS);
                for i in 0..hll::REGISTERS {
                    c.reply.int(hll::dense_get(&h[hll::HDR_SIZE..], i) as i64);
                }
            } else {
                c.reply.int(converted as i64);
            }
        }
        b"decode" => {
            if c.argv.len() != 3 {
                return Err(arity_err());
            }
            if hll::encoding(h) != hll::SPARSE {
                return Err(ReplyError::new("ERR HLL encoding is not sparse"));
            }
            c.reply.bulk(hll::decode_sparse(h).as_bytes());
        }
        b"encoding" => {
            if c.argv.len() != 3 {
                return Err(arity_err());
            }
            c.reply.status(if hll::encoding(h) == hll::DENSE {
                "dense"
            } else {
                "sparse"
            });
        }
        _ => {
            return Err(ReplyError::owned(format!(
                "ERR Unknown PFDEBUG subcommand '{cmd}'"
            )));
        }
    }
    if converted {
        // Redis propagates the encoding change.
        s.dirty += 1;
    }
    Ok(())
}
