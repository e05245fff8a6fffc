//! RDB snapshots of the server's keyspace, after Redis's rdb.c save/load
//! paths: converting values to and from the format layer (`rdb.rs`),
//! writing to a temp file that is fsynced and renamed atomically (then the
//! directory fsynced), and BGSAVE without fork: the loop clones the
//! keyspace's chunk pointers and a thread serializes the clone.

use super::rdb::{self, RdbEntry, RdbValue, RdbWriter, SaveValue};
use crate::db::Db;
use crate::types::Value;
use crate::types::hash::{Hash, HashLimits};
use crate::types::list::List;
use crate::types::set::Set;
use std::fs::File;
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Encoding thresholds a load uses to pick compact or full encodings.
#[derive(Clone, Copy)]
pub struct Limits {
    pub hash: HashLimits,
    pub set_max_intset: u64,
    pub zset_max_entries: u64,
    pub zset_max_value: u64,
}

/// Hand `f` the value as the format layer writes it, in the encoding it
/// has now (an RDB file's entry, a DUMP payload).
pub fn with_save_value<R>(v: &Value, f: impl FnOnce(&SaveValue<'_>) -> R) -> R {
    match v {
        Value::List(l) => {
            let items: Vec<&[u8]> = l.iter().collect();
            f(&SaveValue::List(&items))
        }
        Value::Hash(h) => {
            let pairs: Vec<(&[u8], &[u8])> = h.iter().collect();
            if matches!(&**h, Hash::Listpack(_)) {
                f(&SaveValue::HashListpack(&pairs))
            } else {
                f(&SaveValue::Hash(&pairs))
            }
        }
        Value::Set(s) => match &**s {
            Set::Intset(ints) => f(&SaveValue::SetIntset(ints)),
            Set::Packed(_) | Set::Table(_) => {
                let owned: Vec<Vec<u8>> = s.iter().map(|m| m.to_vec()).collect();
                let members: Vec<&[u8]> = owned.iter().map(|m| m.as_slice()).collect();
                f(&SaveValue::Set(&members))
            }
        },
        Value::ZSet(z) => {
            let pairs: Vec<(&[u8], f64)> = z.iter_asc().collect();
            if z.encoding() == "listpack" {
                f(&SaveValue::ZSetListpack(&pairs))
            } else {
                f(&SaveValue::ZSet(&pairs))
            }
        }
        Value::Stream(st) => f(&SaveValue::Stream(st)),
        string => {
            let bytes = string.to_vec();
            f(&SaveValue::String(&bytes))
        }
    }
}

/// Write one key through the format layer, in the encoding it has now.
fn write_key<W: io::Write>(
    w: &mut RdbWriter<W>,
    key: &[u8],
    v: &Value,
    expire: Option<i64>,
    compress: bool,
) -> io::Result<()> {
    with_save_value(v, |sv| w.write_entry(key, sv, expire, compress))
}

/// Serialize databases into `path` atomically: temp file, fsync, rename,
/// fsync of the directory. Returns the number of keys written.
pub fn save(
    dbs: Vec<Db>,
    functions: &[Vec<u8>],
    path: &Path,
    compress: bool,
    checksum: bool,
    now_ms: i64,
) -> io::Result<usize> {
    save_as(dbs, functions, path, compress, checksum, now_ms, false)
}

/// As [`save`]; `aof_base` marks the file as an AOF's base (the `aof-base`
/// aux field Redis 7.0 writes).
pub fn save_as(
    dbs: Vec<Db>,
    functions: &[Vec<u8>],
    path: &Path,
    compress: bool,
    checksum: bool,
    now_ms: i64,
    aof_base: bool,
) -> io::Result<usize> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let temp = dir.join(format!(
        "temp-{}-{}.rdb",
        std::process::id(),
        crate::util::rand::next_u64() % 1_000_000
    ));
    let result = (|| -> io::Result<usize> {
        let file = File::create(&temp)?;
        let out = BufWriter::with_capacity(1 << 20, file);
        let (out, keys) = write_rdb(out, dbs, functions, compress, checksum, now_ms, aof_base)?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        Ok(keys)
    })();
    match result {
        Ok(keys) => {
            std::fs::rename(&temp, path)?;
            File::open(&dir)?.sync_all()?;
            Ok(keys)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&temp);
            Err(e)
        }
    }
}

/// Serialize databases as one RDB into `out` (a file, or a replica's
/// stream): returns the writer and the number of keys written. Keys
/// already expired at `now_ms` are left out.
pub fn write_rdb<W: io::Write>(
    out: W,
    dbs: Vec<Db>,
    functions: &[Vec<u8>],
    compress: bool,
    checksum: bool,
    now_ms: i64,
    aof_base: bool,
) -> io::Result<(W, usize)> {
    let mut info = rdb::SaveInfo::now();
    info.checksum = checksum;
    info.aof_base = aof_base;
    info.used_mem = crate::alloc::used_memory() as u64;
    let mut w = RdbWriter::with_info(out, &info)?;
    // Function libraries come before the databases, as Redis saves them.
    for code in functions {
        w.write_function(code)?;
    }
    let mut keys = 0;
    for (id, db) in dbs.into_iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        w.select_db(id, db.len() as u64, db.expires.len() as u64)?;
        let Db { dict, expires, .. } = db;
        let mut err: Option<io::Error> = None;
        dict.drain_chunks(|e| {
            if err.is_some() {
                return;
            }
            let expire = expires.get(&e.key).copied();
            // An expired key has nothing to give a reader.
            if expire.is_some_and(|t| t <= now_ms) {
                return;
            }
            match write_key(&mut w, &e.key, &e.value.value, expire, compress) {
                Ok(()) => keys += 1,
                Err(e) => err = Some(e),
            }
            super::key_save_delay();
        });
        if let Some(e) = err {
            return Err(e);
        }
    }
    Ok((w.finish()?, keys))
}

/// Turn a loaded value into ours, picking encodings by the thresholds.
pub fn value_from_rdb(v: RdbValue, lim: &Limits) -> Option<Value> {
    Some(match v {
        RdbValue::String(s) => Value::from_vec(s),
        RdbValue::List(items) => Value::List(Arc::new(
            items.iter().map(|i| i.as_slice()).collect::<List>(),
        )),
        RdbValue::Set(members) => {
            let first = members.first()?;
            let mut set = Set::new_for(first);
            for m in &members {
                set.add(m, lim.set_max_intset);
            }
            Value::Set(Arc::new(set))
        }
        RdbValue::Hash(pairs) => {
            let mut h = Hash::default();
            for (f, v) in &pairs {
                h.set(f, v, lim.hash);
            }
            Value::Hash(Arc::new(h))
        }
        RdbValue::ZSet(pairs) => Value::ZSet(Arc::new(crate::types::zset::ZSet::from_pairs(
            pairs,
            lim.zset_max_entries,
            lim.zset_max_value,
        ))),
        RdbValue::Stream(st) => Value::Stream(Arc::new(*st)),
    })
}

/// What a load found.
pub struct Loaded {
    pub keys: usize,
    pub expired: usize,
    /// The function libraries' sources (FUNCTION2), for the server to load.
    pub functions: Vec<Vec<u8>>,
}

/// Load an RDB file into empty databases. Keys already expired are
/// skipped, as a master loading its own file does.
pub fn load(dbs: &mut [Db], path: &Path, lim: &Limits, now_ms: i64) -> Result<Loaded, String> {
    let file = File::open(path).map_err(|e| format!("can't open {}: {e}", path.display()))?;
    load_from(
        dbs,
        io::BufReader::with_capacity(1 << 20, file),
        lim,
        Some(now_ms),
    )
    .map(|(loaded, _)| loaded)
}

/// Load an RDB from a reader, leaving it right after the RDB's last byte
/// (an AOF goes on with commands there). Keys expired before `now_ms` are
/// skipped; `None` keeps every key, as Redis loads an AOF's RDB part.
pub fn load_from<R: io::BufRead>(
    dbs: &mut [Db],
    r: R,
    lim: &Limits,
    now_ms: Option<i64>,
) -> Result<(Loaded, rdb::AuxFields), String> {
    let ndbs = dbs.len();
    let mut loaded = Loaded {
        keys: 0,
        expired: 0,
        functions: Vec::new(),
    };
    let now = now_ms.unwrap_or(i64::MIN);
    let clock = crate::util::time::mstime();
    // A RESIZEDB hint sizes its database's table before the first key.
    let hint = std::cell::Cell::new(None::<(usize, u64)>);
    let on_resize = |db: usize, keys: u64| hint.set(Some((db, keys)));
    let aux = rdb::load_with_hints(r, on_resize, |e: RdbEntry| {
        if let Some((db, keys)) = hint.take()
            && let Some(d) = dbs.get_mut(db)
        {
            d.dict.reserve(keys);
        }
        if e.db >= ndbs {
            return Err(format!("FATAL: Data file was created with a Redis server configured to handle more than {ndbs} databases"));
        }
        if now_ms.is_some() && e.expire_ms.is_some_and(|t| t <= now) {
            loaded.expired += 1;
            return Ok(());
        }
        let Some(value) = value_from_rdb(e.value, lim) else { return Ok(()) };
        let db = &mut dbs[e.db];
        db.add_or_replace(&e.key, value, clock);
        if let Some(t) = e.expire_ms {
            db.set_expire(&e.key, t);
        }
        loaded.keys += 1;
        Ok(())
    })
    .map_err(|e| e.to_string())?;
    let (functions, aux): (rdb::AuxFields, rdb::AuxFields) =
        aux.into_iter().partition(|(k, _)| k == rdb::FUNCTION_AUX);
    loaded.functions = functions.into_iter().map(|(_, code)| code).collect();
    Ok((loaded, aux))
}
