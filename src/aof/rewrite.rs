//! The AOF rewrite, after Redis's rewriteAppendOnlyFileRio: the dataset as
//! the fewest commands that rebuild it (or as an RDB, the default base),
//! written from a copy-on-write snapshot on a background thread.

use super::cat_command;
use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

/// Items per command when a collection is written in pieces (Redis's
/// AOF_REWRITE_ITEMS_PER_CMD).
const ITEMS_PER_CMD: usize = 64;

/// Append the commands that rebuild one key.
pub fn rewrite_key(
    out: &mut Vec<u8>,
    key: &[u8],
    value: &crate::types::Value,
    expire: Option<i64>,
) {
    use crate::types::Value;
    use crate::types::hash::Hash;
    use crate::types::set::Set;
    let k = key.to_vec();
    let batched =
        |out: &mut Vec<u8>, cmd: &[u8], items: &mut dyn Iterator<Item = Vec<u8>>, per: usize| {
            let mut argv = vec![cmd.to_vec(), k.clone()];
            for it in items {
                argv.push(it);
                if argv.len() >= 2 + per {
                    cat_command(out, &argv);
                    argv.truncate(2);
                }
            }
            if argv.len() > 2 {
                cat_command(out, &argv);
            }
        };
    match value {
        Value::List(l) => batched(
            out,
            b"RPUSH",
            &mut l.iter().map(|e| e.to_vec()),
            ITEMS_PER_CMD,
        ),
        Value::Hash(h) => {
            let pairs: Box<dyn Iterator<Item = Vec<u8>>> = match &**h {
                Hash::Listpack(p) => Box::new(p.iter().map(|e| e.to_vec())),
                Hash::Table(d) => {
                    Box::new(d.iter().flat_map(|e| [e.key.to_vec(), e.value.to_vec()]))
                }
            };
            let mut pairs = pairs;
            batched(out, b"HSET", &mut pairs, ITEMS_PER_CMD * 2);
        }
        Value::Set(s) => {
            let members: Box<dyn Iterator<Item = Vec<u8>>> = match &**s {
                Set::Intset(v) => Box::new(v.iter().map(|i| i.to_string().into_bytes())),
                Set::Table(d) => Box::new(d.iter().map(|e| e.key.to_vec())),
                Set::Packed(p) => Box::new(p.iter().map(|m| m.to_vec())),
            };
            let mut members = members;
            batched(out, b"SADD", &mut members, ITEMS_PER_CMD);
        }
        Value::ZSet(z) => {
            let mut pairs = z
                .iter_asc()
                .flat_map(|(m, score)| [crate::util::num::fmt_g17(score).into_bytes(), m.to_vec()]);
            batched(out, b"ZADD", &mut pairs, ITEMS_PER_CMD * 2);
        }
        Value::Stream(st) => rewrite_stream(out, &k, st),
        other => cat_command(out, &[b"SET".to_vec(), k.clone(), other.to_vec()]),
    }
    if let Some(when) = expire {
        cat_command(
            out,
            &[b"PEXPIREAT".to_vec(), k, when.to_string().into_bytes()],
        );
    }
}

/// A stream as Redis 7.0's rewriteStreamObject writes it: its entries as
/// XADDs (an empty stream as an XADD trimmed away), XSETID for its
/// counters, each group as XGROUP CREATE, its pending entries as XCLAIMs
/// and consumers without any as XGROUP CREATECONSUMER.
fn rewrite_stream(out: &mut Vec<u8>, k: &[u8], st: &crate::types::stream::Stream) {
    use crate::persistence::listpack::Entry;
    use crate::types::stream::StreamId;
    let ent = |e: Entry<'_>| match e {
        Entry::Str(s) => s.to_vec(),
        Entry::Int(v) => v.to_string().into_bytes(),
    };
    if st.length > 0 {
        st.range(StreamId::MIN, StreamId::MAX, false, |e| {
            let mut argv = Vec::with_capacity(3 + e.nfields * 2);
            argv.push(b"XADD".to_vec());
            argv.push(k.to_vec());
            argv.push(e.id.to_bytes());
            for (f, v) in e.fields() {
                argv.push(ent(f));
                argv.push(ent(v));
            }
            cat_command(out, &argv);
            true
        });
    } else {
        cat_command(
            out,
            &[
                b"XADD".to_vec(),
                k.to_vec(),
                b"MAXLEN".to_vec(),
                b"0".to_vec(),
                StreamId::new(0, 1).to_bytes(),
                b"x".to_vec(),
                b"y".to_vec(),
            ],
        );
    }
    cat_command(
        out,
        &[
            b"XSETID".to_vec(),
            k.to_vec(),
            st.last_id.to_bytes(),
            b"ENTRIESADDED".to_vec(),
            st.entries_added.to_string().into_bytes(),
            b"MAXDELETEDID".to_vec(),
            st.max_deleted_entry_id.to_bytes(),
        ],
    );
    for (name, cg) in &st.cgroups {
        cat_command(
            out,
            &[
                b"XGROUP".to_vec(),
                b"CREATE".to_vec(),
                k.to_vec(),
                name.clone(),
                cg.last_id.to_bytes(),
                b"ENTRIESREAD".to_vec(),
                cg.entries_read.to_string().into_bytes(),
            ],
        );
        for cons in cg.consumers.values() {
            if cons.pel.is_empty() {
                cat_command(
                    out,
                    &[
                        b"XGROUP".to_vec(),
                        b"CREATECONSUMER".to_vec(),
                        k.to_vec(),
                        name.clone(),
                        cons.name.to_vec(),
                    ],
                );
                continue;
            }
            for id in &cons.pel {
                let Some(nack) = cg.pel.get(id) else { continue };
                cat_command(
                    out,
                    &[
                        b"XCLAIM".to_vec(),
                        k.to_vec(),
                        name.clone(),
                        cons.name.to_vec(),
                        b"0".to_vec(),
                        id.to_bytes(),
                        b"TIME".to_vec(),
                        nack.delivery_time.to_string().into_bytes(),
                        b"RETRYCOUNT".to_vec(),
                        nack.delivery_count.to_string().into_bytes(),
                        b"JUSTID".to_vec(),
                        b"FORCE".to_vec(),
                    ],
                );
            }
        }
    }
}

/// Write a snapshot of every database as commands into `path`, fsync it
/// (Redis's rewriteAppendOnlyFileRio). `timestamp`: open with a `#TS`
/// annotation, as Redis does with aof-timestamp-enabled. Runs on a
/// background thread; the snapshot shares its pieces with the live
/// keyspace until either side writes (see db/dict.rs).
pub fn write_snapshot_commands(
    dbs: Vec<crate::db::Db>,
    functions: &[Vec<u8>],
    path: &Path,
    timestamp: Option<i64>,
) -> io::Result<()> {
    let file = File::create(path)?;
    let mut w = io::BufWriter::with_capacity(1 << 20, file);
    let mut buf = Vec::with_capacity(64 * 1024);
    if let Some(ts) = timestamp {
        buf.extend_from_slice(format!("#TS:{ts}\r\n").as_bytes());
    }
    // The function libraries first, as Redis's rewriteFunctions.
    for code in functions {
        cat_command(
            &mut buf,
            &[b"FUNCTION".to_vec(), b"LOAD".to_vec(), code.clone()],
        );
    }
    for (id, db) in dbs.into_iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        cat_command(&mut buf, &[b"SELECT".to_vec(), id.to_string().into_bytes()]);
        let crate::db::Db { dict, expires, .. } = db;
        let mut err: Option<io::Error> = None;
        // Chunks are released as they are written (see Dict::drain_chunks).
        dict.drain_chunks(|e| {
            if err.is_some() {
                return;
            }
            rewrite_key(
                &mut buf,
                &e.key,
                &e.value.value,
                expires.get(&e.key).copied(),
            );
            crate::persistence::key_save_delay();
            if buf.len() >= 64 * 1024 {
                if let Err(e) = w.write_all(&buf) {
                    err = Some(e);
                }
                buf.clear();
            }
        });
        if let Some(e) = err {
            return Err(e);
        }
    }
    w.write_all(&buf)?;
    let file = w.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    Ok(())
}

/// What a rewrite writes: the new base of a directory layout (an RDB or
/// commands), or the whole new single file (commands).
pub struct BaseSpec {
    pub rdb: bool,
    pub compress: bool,
    pub checksum: bool,
    pub now_ms: i64,
    pub timestamp: Option<i64>,
    /// The function libraries' sources at the snapshot.
    pub functions: Vec<Vec<u8>>,
}

/// Write the snapshot `dbs` to `path` as `spec` says, fsynced. The thread
/// body of a rewrite (the child of Redis's rewriteAppendOnlyFile).
pub fn write_base(dbs: Vec<crate::db::Db>, path: &Path, spec: &BaseSpec) -> io::Result<()> {
    if spec.rdb {
        crate::persistence::snapshot::save_as(
            dbs,
            &spec.functions,
            path,
            spec.compress,
            spec.checksum,
            spec.now_ms,
            true,
        )
        .map(|_| ())
    } else {
        write_snapshot_commands(dbs, &spec.functions, path, spec.timestamp)
    }
}

/// A background rewrite in progress.
pub struct RewriteJob {
    pub handle: std::thread::JoinHandle<io::Result<()>>,
    pub temp: std::path::PathBuf,
    /// The single-file layout only: commands that arrived while the
    /// snapshot was being written, appended to the new file at the end.
    /// (The directory layout needs none: a new incr file takes them.)
    pub buffered: bool,
    /// The new base is an RDB.
    pub rdb: bool,
    pub buf: Vec<u8>,
    pub selected_db: Option<usize>,
    pub started_ms: i64,
    /// Copy-on-write bytes counter when the snapshot was taken.
    pub cow_at_start: u64,
}

impl RewriteJob {
    pub fn feed(&mut self, db: usize, argv: &[Vec<u8>]) {
        if !self.buffered {
            return;
        }
        if self.selected_db != Some(db) {
            cat_command(
                &mut self.buf,
                &[b"SELECT".to_vec(), db.to_string().into_bytes()],
            );
            self.selected_db = Some(db);
        }
        cat_command(&mut self.buf, argv);
    }
}
