//! The append-only file, after Redis's aof.c: every write command is logged
//! in a deterministic form (relative TTLs as absolute PXAT/PEXPIREAT, served
//! blocking pops as plain pops, expired keys as DEL, SELECT when the
//! database changes), so replaying the file rebuilds the same data.
//!
//! One file of RESP commands (the single-file format redis-check-aof
//! accepts). Commands collect in `buf` while the loop runs; `flush` writes
//! them in `before_sleep`, before any reply leaves. With `appendfsync
//! always` it also fsyncs there: one fsync per loop iteration covers every
//! command of that iteration (group commit), and no reply is sent before
//! its command is on disk. With `everysec` the cron hands an fsync to the
//! bio thread once a second.

use crate::bio::Bio;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;

#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Fsync {
    Always,
    EverySec,
    No,
}

impl Fsync {
    pub fn parse(s: &str) -> Fsync {
        match s {
            "always" => Fsync::Always,
            "no" => Fsync::No,
            _ => Fsync::EverySec,
        }
    }
}

pub struct Aof {
    pub path: PathBuf,
    file: Arc<File>,
    /// Commands not yet written to the file.
    pub buf: Vec<u8>,
    /// Database the file's last SELECT chose.
    selected_db: Option<usize>,
    pub fsync: Fsync,
    /// Bytes written to the file so far (its size).
    pub written: u64,
    bio: Bio,
    last_fsync_ms: i64,
    pub last_write_ok: bool,
}

/// Append a command in RESP multibulk form.
pub fn cat_command(out: &mut Vec<u8>, argv: &[Vec<u8>]) {
    out.push(b'*');
    out.extend_from_slice(argv.len().to_string().as_bytes());
    out.extend_from_slice(b"\r\n");
    for a in argv {
        out.push(b'$');
        out.extend_from_slice(a.len().to_string().as_bytes());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

impl Aof {
    /// Open (or create) the file for appending.
    pub fn open(path: PathBuf, fsync: Fsync) -> io::Result<Aof> {
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        let written = file.metadata()?.len();
        let bio = Bio::start(written)?;
        Ok(Aof {
            path,
            file: Arc::new(file),
            buf: Vec::new(),
            selected_db: None,
            fsync,
            written,
            bio,
            last_fsync_ms: 0,
            last_write_ok: true,
        })
    }

    /// Log one command run against database `db`.
    pub fn feed(&mut self, db: usize, argv: &[Vec<u8>]) {
        if self.selected_db != Some(db) {
            cat_command(
                &mut self.buf,
                &[b"SELECT".to_vec(), db.to_string().into_bytes()],
            );
            self.selected_db = Some(db);
        }
        cat_command(&mut self.buf, argv);
    }

    /// Bytes known to be durable.
    pub fn synced(&self) -> u64 {
        self.bio.synced.load(Ordering::SeqCst)
    }

    /// Write the buffer to the file (before replies go out); with
    /// `always`, fsync too.
    pub fn flush(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            let res = (&*self.file).write_all(&self.buf);
            if let Err(e) = res {
                self.last_write_ok = false;
                return Err(e);
            }
            self.written += self.buf.len() as u64;
            self.buf.clear();
            self.last_write_ok = true;
        }
        if self.fsync == Fsync::Always && self.synced() < self.written {
            self.file.sync_data()?;
            self.bio.synced.fetch_max(self.written, Ordering::SeqCst);
        }
        Ok(())
    }

    /// The once-a-second fsync for `everysec`, handed to the bio thread.
    pub fn cron(&mut self, now_ms: i64) {
        if self.fsync == Fsync::EverySec
            && self.synced() < self.written
            && now_ms - self.last_fsync_ms >= 1000
            && self.bio.fsync(self.file.clone(), self.written)
        {
            self.last_fsync_ms = now_ms;
        }
        if self.bio.failed.load(Ordering::SeqCst) {
            self.last_write_ok = false;
        }
    }

    /// Flush and fsync everything (shutdown).
    pub fn shutdown(&mut self) -> io::Result<()> {
        self.flush()?;
        self.file.sync_data()?;
        self.bio.synced.fetch_max(self.written, Ordering::SeqCst);
        Ok(())
    }

    /// Test hook (DEBUG AOF-CRASH): cut the file back to what was fsynced,
    /// as a power loss would, so tests can check that no reply was sent for
    /// a command that was not yet durable.
    pub fn drop_unsynced(&self) -> io::Result<()> {
        self.file.set_len(self.synced())
    }
}

/// What loading an AOF found.
#[derive(Debug)]
pub enum LoadError {
    Io(io::Error),
    /// Corruption before the end: the offset of the bad command.
    Corrupt {
        offset: u64,
        why: String,
    },
    /// A command the server does not know.
    UnknownCommand {
        offset: u64,
        name: String,
    },
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Io(e) => write!(f, "can't read the append only file: {e}"),
            LoadError::Corrupt { offset, why } => write!(
                f,
                "Bad file format reading the append only file at offset {offset} ({why}): make a backup of your AOF file, then use redis-check-aof --fix <filename>"
            ),
            LoadError::UnknownCommand { offset, name } => {
                write!(
                    f,
                    "Unknown command '{name}' reading the append only file at offset {offset}"
                )
            }
        }
    }
}

/// What `load` did.
pub struct Loaded {
    pub commands: usize,
    /// Offset the file was cut back to, when its last command was partial.
    pub truncated_at: Option<u64>,
}

/// Replay an AOF into the server through a client without a socket
/// (Redis's loadAppendOnlyFiles). A missing file loads nothing. A last
/// command cut short (a crash mid-write) is dropped and the file truncated
/// to the last whole command when `aof-load-truncated` is on; anything
/// malformed before the end refuses the load and leaves the file alone.
pub fn load(
    server: &mut crate::server::Server,
    path: &std::path::Path,
) -> Result<Loaded, LoadError> {
    use crate::client::Client;
    use crate::resp::parse::{Parsed, QueryBuf};
    let data = match std::fs::read(path) {
        Ok(d) => d,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Ok(Loaded {
                commands: 0,
                truncated_at: None,
            });
        }
        Err(e) => return Err(LoadError::Io(e)),
    };
    let total = data.len() as u64;
    let mut q = QueryBuf::default();
    q.buf = data;
    q.whole = true;
    // A bulk may claim at most what the server would accept or what the
    // file holds: past both it is corruption, not a value cut short.
    let max_bulk = (server.config.proto_max_bulk_len as usize).max(q.buf.len());
    // The parser may drop consumed bytes; the offset is what is left.
    let offset = |q: &QueryBuf| total - (q.buf.len() - q.pos) as u64;
    let mut fake = Client::new(0, None, server.now_ms);
    fake.authenticated = true;
    server.loading = true;
    let mut loaded = Loaded {
        commands: 0,
        truncated_at: None,
    };
    let mut multi_at: Option<u64> = None;
    let result = loop {
        let start = offset(&q);
        if q.pos >= q.buf.len() {
            break Ok(());
        }
        if q.buf[q.pos] != b'*' {
            break Err(LoadError::Corrupt {
                offset: start,
                why: "expected '*'".into(),
            });
        }
        match q.parse(max_bulk) {
            Parsed::Incomplete => {
                if !server.config.aof_load_truncated {
                    break Err(LoadError::Corrupt {
                        offset: start,
                        why: "unexpected end of file".into(),
                    });
                }
                log::warn!(
                    "!!! Warning: short read while loading the AOF file {}: the last command at offset {start} is incomplete; truncating the file to {start} bytes !!!",
                    path.display()
                );
                if let Err(e) = OpenOptions::new()
                    .write(true)
                    .open(path)
                    .and_then(|f| f.set_len(start))
                {
                    break Err(LoadError::Io(e));
                }
                loaded.truncated_at = Some(start);
                break Ok(());
            }
            Parsed::Error(why) => break Err(LoadError::Corrupt { offset: start, why }),
            Parsed::Command => {
                fake.argv = std::mem::take(&mut q.argv);
                if fake.argv.is_empty() {
                    continue;
                }
                if matches!(
                    server.commands.lookup(&fake.argv),
                    crate::commands::Lookup::UnknownCommand
                ) {
                    let name = String::from_utf8_lossy(&fake.argv[0]).into_owned();
                    break Err(LoadError::UnknownCommand {
                        offset: start,
                        name,
                    });
                }
                let was_in_multi = fake.mstate.is_some();
                server.process_command(&mut fake);
                if fake.mstate.is_some() && !was_in_multi {
                    multi_at = Some(start);
                }
                fake.reply.buf.clear();
                fake.argv.clear();
                loaded.commands += 1;
            }
        }
    };
    server.loading = false;
    result?;
    // A MULTI whose EXEC never made it to disk: drop it from the file too,
    // or commands appended later would join that transaction on replay.
    if let (Some(_), Some(at)) = (fake.mstate.as_ref(), multi_at) {
        log::warn!(
            "Reverting the incomplete MULTI/EXEC transaction at offset {at} of the AOF file"
        );
        OpenOptions::new()
            .write(true)
            .open(path)
            .and_then(|f| f.set_len(at))
            .map_err(LoadError::Io)?;
        loaded.truncated_at = Some(at);
    }
    Ok(loaded)
}

// ---------------------------------------------------------------------
// Rewrite: the dataset as the fewest commands that rebuild it
// ---------------------------------------------------------------------

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
        other => cat_command(out, &[b"SET".to_vec(), k.clone(), other.to_vec()]),
    }
    if let Some(when) = expire {
        cat_command(
            out,
            &[b"PEXPIREAT".to_vec(), k, when.to_string().into_bytes()],
        );
    }
}

/// Write a snapshot of every database as commands into `path`, fsync it.
/// Runs on a background thread; the snapshot shares its pieces with the
/// live keyspace until either side writes (see db/dict.rs).
pub fn write_snapshot_commands(dbs: Vec<crate::db::Db>, path: &std::path::Path) -> io::Result<()> {
    let file = File::create(path)?;
    let mut w = io::BufWriter::with_capacity(1 << 20, file);
    let mut buf = Vec::with_capacity(64 * 1024);
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

/// A background rewrite in progress.
pub struct RewriteJob {
    pub handle: std::thread::JoinHandle<io::Result<()>>,
    pub temp: std::path::PathBuf,
    /// Commands that arrived while the snapshot was being written.
    pub buf: Vec<u8>,
    pub selected_db: Option<usize>,
    pub started_ms: i64,
    /// Copy-on-write bytes counter when the snapshot was taken.
    pub cow_at_start: u64,
}

impl RewriteJob {
    pub fn feed(&mut self, db: usize, argv: &[Vec<u8>]) {
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

impl Aof {
    /// Swap in a freshly rewritten file (already renamed over `path`).
    pub fn reopen(&mut self) -> io::Result<()> {
        // An fsync of the old file still running would report its length
        // as synced for the new one; let it finish first (rare, short).
        while self.bio.in_progress.load(Ordering::SeqCst) {
            std::thread::yield_now();
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        self.written = file.metadata()?.len();
        self.file = Arc::new(file);
        self.bio.synced.store(self.written, Ordering::SeqCst);
        self.selected_db = None;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::server::Server;
    use proptest::prelude::*;

    fn resp(cmds: &[&[&str]]) -> Vec<u8> {
        let mut out = Vec::new();
        for argv in cmds {
            out.extend_from_slice(format!("*{}\r\n", argv.len()).as_bytes());
            for a in argv.iter() {
                out.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
            }
        }
        out
    }

    fn sample() -> Vec<u8> {
        resp(&[
            &["SELECT", "0"],
            &["SET", "s", "hello", "PXAT", "4102444800000"],
            &["RPUSH", "l", "a", "b", "c"],
            &["HSET", "h", "f", "v", "g", "w"],
            &["SADD", "st", "1", "2", "x"],
            &["ZADD", "z", "1.5", "m", "-inf", "n"],
            &["MULTI"],
            &["INCR", "n"],
            &["LPUSH", "l", "z"],
            &["EXEC"],
            &["SELECT", "3"],
            &["SET", "k", "v"],
            &["DEL", "k"],
            &["PEXPIREAT", "l", "4102444800000"],
        ])
    }

    fn load_bytes(bytes: &[u8], name: &str) -> (Result<Loaded, LoadError>, Vec<u8>, Server) {
        let dir = std::env::temp_dir().join(format!("miniredis-aof-{}-{name}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("appendonly.aof");
        std::fs::write(&path, bytes).unwrap();
        let mut server = Server::new(Config::default());
        let r = load(&mut server, &path);
        let after = std::fs::read(&path).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        (r, after, server)
    }

    #[test]
    fn a_whole_file_loads_every_command() {
        let (r, after, server) = load_bytes(&sample(), "whole");
        let loaded = r.unwrap();
        assert_eq!((loaded.commands, loaded.truncated_at), (14, None));
        assert_eq!(after, sample());
        assert_eq!(server.db(0).dict.len(), 5 + 1);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        /// Random damage (a cut, flipped bytes, inserted garbage) never
        /// panics; a refused file is left exactly as it was; a repaired one
        /// is cut to a prefix that then loads cleanly.
        #[test]
        fn damage_never_panics_and_never_loses_the_file(
            cut in any::<prop::sample::Index>(),
            flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
            insert in proptest::option::of((any::<prop::sample::Index>(), proptest::collection::vec(any::<u8>(), 1..12))),
        ) {
            let mut bytes = sample();
            for (i, b) in flips {
                let i = i.index(bytes.len());
                bytes[i] = b;
            }
            if let Some((at, junk)) = insert {
                let at = at.index(bytes.len() + 1);
                bytes.splice(at..at, junk);
            }
            bytes.truncate(cut.index(bytes.len() + 1));
            let (r, after, _) = load_bytes(&bytes, "fuzz");
            match r {
                Ok(Loaded { truncated_at: Some(at), .. }) => {
                    prop_assert_eq!(&after[..], &bytes[..at as usize]);
                    let (again, _, _) = load_bytes(&after, "fuzz-again");
                    let clean = matches!(again, Ok(Loaded { truncated_at: None, .. }));
                    prop_assert!(clean, "the repaired file loads cleanly");
                }
                Ok(_) => prop_assert_eq!(after, bytes),
                Err(_) => prop_assert_eq!(after, bytes),
            }
        }
    }
}
