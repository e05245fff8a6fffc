//! Loading the AOF at startup, after Redis 7.0's loadAppendOnlyFiles and
//! loadSingleAppendOnlyFile: the manifest names a base and incr files; each
//! file may open with an RDB (a base, or a pre-7.0 preamble) and goes on
//! with RESP commands and `#` annotations, replayed through a client
//! without a socket.
//!
//! A refused file is never touched. The one repair is Redis's
//! `aof-load-truncated`: a last command cut short at the end of the *last*
//! file (a crash mid-write) is dropped and that file cut back to its last
//! whole command. A point-in-time load (`until`) changes no file at all.

use super::manifest::{AofInfo, FileType, Manifest, ManifestError, manifest_name};
use crate::client::Client;
use crate::resp::parse::{Parsed, QueryBuf};
use crate::server::Server;
use std::fs::OpenOptions;
use std::io::{self, BufRead, Read};
use std::path::{Path, PathBuf};

/// Why the AOF was refused (the server then exits with status 1).
#[derive(Debug)]
pub enum LoadError {
    Io(PathBuf, io::Error),
    Manifest(ManifestError),
    /// A file the manifest names is not there.
    Missing(String),
    /// Corruption before the end: the offset of the bad command.
    Corrupt {
        file: String,
        offset: u64,
        why: String,
    },
    /// The file ends mid-command and `aof-load-truncated` is off, or it is
    /// not the last file.
    UnexpectedEof {
        file: String,
        not_last: bool,
    },
    /// A command the server does not know.
    UnknownCommand {
        file: String,
        name: String,
    },
    /// The RDB a file opens with is damaged.
    Rdb {
        file: String,
        why: String,
    },
    /// A point in time before the oldest data the AOF still has.
    TooEarly {
        until: i64,
        base_time: i64,
    },
    /// A point-in-time load met commands with no `#TS` before them.
    NoTimestamps {
        file: String,
    },
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Io(p, e) => write!(
                f,
                "Fatal error: can't open the append log file {} for reading: {e}",
                p.display()
            ),
            LoadError::Manifest(m) => write!(f, "{m}"),
            LoadError::Missing(name) => write!(
                f,
                "Unable to obtain the AOF file {name} length. stat: No such file or directory"
            ),
            LoadError::Corrupt { file, offset, why } => write!(
                f,
                "Bad file format reading the append only file {file} at offset {offset} ({why}): make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>"
            ),
            LoadError::UnexpectedEof {
                file,
                not_last: true,
            } => write!(
                f,
                "!!! Warning: short read while loading the AOF file {file}!!! Fatal error: the truncated file is not the last file"
            ),
            LoadError::UnexpectedEof { file, .. } => write!(
                f,
                "Unexpected end of file reading the append only file {file}. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server."
            ),
            LoadError::UnknownCommand { file, name } => write!(
                f,
                "Unknown command '{name}' reading the append only file {file}"
            ),
            LoadError::Rdb { file, why } => write!(
                f,
                "{why}. Error reading the RDB base file {file}, AOF loading aborted"
            ),
            LoadError::TooEarly { until, base_time } => write!(
                f,
                "Can't load the AOF until {} ({until}): its oldest data, the base file, was written at {} ({base_time}); what came before it is gone",
                crate::util::time::format_utc(*until),
                crate::util::time::format_utc(*base_time)
            ),
            LoadError::NoTimestamps { file } => write!(
                f,
                "Can't load the AOF up to a point in time: {file} has commands without a #TS annotation before them (written while aof-timestamp-enabled was off), so when they ran is unknown"
            ),
        }
    }
}

/// What a load did.
#[derive(Default, Debug)]
pub struct Loaded {
    pub commands: usize,
    /// Keys read from RDB parts (a base file or a preamble).
    pub rdb_keys: usize,
    /// Offset the last file was cut back to, when its end was partial.
    pub truncated_at: Option<u64>,
    /// The manifest the files came from (directory layout).
    pub manifest: Manifest,
    /// Bytes of the base and incr files, of the base alone, and of the
    /// last incr file.
    pub total_size: u64,
    pub base_size: u64,
    /// A point-in-time load stopped at the first annotation after it.
    pub stopped_at: Option<i64>,
    /// The newest `#TS` seen.
    pub last_timestamp: Option<i64>,
}

/// Options of one load.
#[derive(Clone, Copy, Default)]
pub struct LoadOpts {
    /// Point-in-time recovery: replay only what happened up to these Unix
    /// seconds (`#TS` annotations), and never modify a file.
    pub until: Option<i64>,
}

impl LoadOpts {
    fn read_only(&self) -> bool {
        self.until.is_some()
    }
}

/// A reader that counts what was consumed (the RDB part's length).
struct Counting<R> {
    inner: R,
    n: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let k = self.inner.read(buf)?;
        self.n += k as u64;
        Ok(k)
    }
}

impl<R: BufRead> BufRead for Counting<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        self.n += amt as u64;
        self.inner.consume(amt)
    }
}

/// How one file's load ended.
enum FileEnd {
    Whole,
    /// Cut short at this offset (or a transaction without EXEC).
    Partial(u64),
    /// A point-in-time load reached a later annotation.
    Stopped(i64),
}

/// Load one file (loadSingleAppendOnlyFile). `last`: the last file of the
/// AOF, the only one a truncated end is forgiven in.
pub fn load_file(
    server: &mut Server,
    path: &Path,
    last: bool,
    opts: LoadOpts,
    loaded: &mut Loaded,
) -> Result<(), LoadError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let file = std::fs::File::open(path).map_err(|e| LoadError::Io(path.to_path_buf(), e))?;
    let mut r = Counting {
        inner: io::BufReader::with_capacity(1 << 20, file),
        n: 0,
    };
    let starts_with_rdb = r
        .fill_buf()
        .map_err(|e| LoadError::Io(path.to_path_buf(), e))?
        .starts_with(b"REDIS");
    if starts_with_rdb {
        let (keys, ctime) = server
            .rdb_load_preamble(&mut r)
            .map_err(|why| LoadError::Rdb {
                file: name.clone(),
                why,
            })?;
        if let (Some(until), Some(base_time)) = (opts.until, ctime)
            && base_time > until
        {
            return Err(LoadError::TooEarly { until, base_time });
        }
        loaded.rdb_keys += keys;
    }
    let rdb_len = r.n;
    let mut data = Vec::new();
    r.read_to_end(&mut data)
        .map_err(|e| LoadError::Io(path.to_path_buf(), e))?;
    let end = replay(server, data, rdb_len, &name, opts, loaded)?;
    match end {
        FileEnd::Whole => Ok(()),
        FileEnd::Stopped(t) => {
            loaded.stopped_at = Some(t);
            Ok(())
        }
        FileEnd::Partial(at) => {
            if !last {
                return Err(LoadError::UnexpectedEof {
                    file: name,
                    not_last: true,
                });
            }
            if opts.read_only() {
                // The files stay as they are; what loaded is what counts.
                return Ok(());
            }
            if !server.config.aof_load_truncated {
                return Err(LoadError::UnexpectedEof {
                    file: name,
                    not_last: false,
                });
            }
            log::warn!("!!! Warning: short read while loading the AOF file {name}!!!");
            log::warn!("!!! Truncating the AOF {name} at offset {at} !!!");
            OpenOptions::new()
                .write(true)
                .open(path)
                .and_then(|f| f.set_len(at))
                .map_err(|e| LoadError::Io(path.to_path_buf(), e))?;
            log::warn!("AOF {name} loaded anyway because aof-load-truncated is enabled");
            loaded.truncated_at = Some(at);
            Ok(())
        }
    }
}

/// Replay an AOF held in memory, preamble and all, as the last file of
/// a load (the fuzz target's entry: whatever the bytes, an error or a
/// load, never a panic).
pub fn replay_bytes(server: &mut Server, data: &[u8]) -> Result<(), String> {
    let mut r = Counting {
        inner: io::Cursor::new(data),
        n: 0,
    };
    if data.starts_with(b"REDIS") {
        server.rdb_load_preamble(&mut r)?;
    }
    let base = r.n;
    let rest = data.get(base as usize..).unwrap_or_default().to_vec();
    let mut loaded = Loaded::default();
    replay(
        server,
        rest,
        base,
        "fuzz.aof",
        LoadOpts::default(),
        &mut loaded,
    )
    .map(|_| ())
    .map_err(|e| format!("{e:?}"))
}

/// Redis's AOF_ANNOTATION_LINE_MAX_LEN: fgets reads an annotation in
/// pieces of this many bytes less one.
const ANNOTATION_MAX: usize = 1024;

/// Replay the commands of `data` (which starts at `base` in its file).
fn replay(
    server: &mut Server,
    data: Vec<u8>,
    base: u64,
    name: &str,
    opts: LoadOpts,
    loaded: &mut Loaded,
) -> Result<FileEnd, LoadError> {
    let total = data.len() as u64;
    let mut q = QueryBuf::default();
    q.buf = data;
    q.whole = true;
    // A bulk may claim at most what the server would accept or what the
    // file holds: past both it is corruption, not a value cut short.
    let max_bulk = (server.config.proto_max_bulk_len as usize).max(q.buf.len());
    // The parser may drop consumed bytes; the offset is what is left.
    let offset = |q: &QueryBuf| base + total - (q.buf.len() - q.pos) as u64;
    let mut fake = Client::new(0, None, server.now_ms);
    fake.authenticated = true;
    fake.user = crate::acl::SUPERUSER;
    let was_loading = std::mem::replace(&mut server.loading, true);
    let mut multi_at: Option<u64> = None;
    // A point-in-time load needs every command's time.
    let mut timed = false;
    let corrupt = |offset, why: &str| LoadError::Corrupt {
        file: name.to_string(),
        offset,
        why: why.to_string(),
    };
    let result = loop {
        let start = offset(&q);
        let Some(&first) = q.buf.get(q.pos) else {
            break Ok(FileEnd::Whole);
        };
        if first == b'#' {
            let rest = q.buf.get(q.pos..).unwrap_or_default();
            let piece = &rest[..rest.len().min(ANNOTATION_MAX - 1)];
            let len = memchr::memchr(b'\n', piece).map_or(piece.len(), |i| i + 1);
            if let Some(ts) = parse_timestamp(&piece[..len]) {
                if let Some(until) = opts.until
                    && ts > until
                {
                    break Ok(FileEnd::Stopped(ts));
                }
                loaded.last_timestamp = Some(ts);
                timed = true;
            }
            q.pos += len;
            continue;
        }
        if first != b'*' {
            break Err(corrupt(start, "expected '*'"));
        }
        if opts.until.is_some() && !timed {
            break Err(LoadError::NoTimestamps {
                file: name.to_string(),
            });
        }
        match q.parse(max_bulk) {
            Parsed::Incomplete => break Ok(FileEnd::Partial(start)),
            Parsed::Error(why) => break Err(corrupt(start, &why)),
            Parsed::Command => {
                fake.argv = std::mem::take(&mut q.argv);
                if fake.argv.is_empty() {
                    break Err(corrupt(start, "invalid multibulk length"));
                }
                if matches!(
                    server.commands.lookup(&fake.argv),
                    crate::commands::Lookup::UnknownCommand
                ) {
                    let cmd = String::from_utf8_lossy(&fake.argv[0]).into_owned();
                    break Err(LoadError::UnknownCommand {
                        file: name.to_string(),
                        name: cmd,
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
    server.loading = was_loading;
    let end = result?;
    // A MULTI whose EXEC never made it to disk is dropped like a command
    // cut short, or commands appended later would join that transaction.
    if let (Some(_), Some(at)) = (fake.mstate.as_ref(), multi_at) {
        log::warn!("Revert incomplete MULTI/EXEC transaction in AOF file {name}");
        if let FileEnd::Stopped(_) = end {
            return Ok(end);
        }
        return Ok(FileEnd::Partial(at));
    }
    Ok(end)
}

/// `#TS:<unix seconds>` (Redis's timestamp annotation).
fn parse_timestamp(line: &[u8]) -> Option<i64> {
    let rest = line.strip_prefix(b"#TS:")?;
    let digits: &[u8] = rest
        .strip_suffix(b"\r\n")
        .or_else(|| rest.strip_suffix(b"\n"))
        .unwrap_or(rest);
    crate::util::num::string2ll(digits)
}

/// Load Redis 7.0's directory layout (loadAppendOnlyFiles), migrating a
/// pre-7.0 single `filename` in the working directory into it first, as
/// Redis does (unless the load must change nothing).
pub fn load_dir(
    server: &mut Server,
    dir: &Path,
    filename: &str,
    opts: LoadOpts,
) -> Result<Loaded, LoadError> {
    let mut am = read_manifest(dir, filename)?;
    let old_style = Path::new(filename);
    if old_style.is_file() {
        let upgrade = !dir.is_dir()
            || am.is_empty()
            || (am.incr.is_empty()
                && am
                    .base
                    .as_ref()
                    .is_some_and(|b| b.name == filename.as_bytes())
                && !dir.join(filename).exists());
        if upgrade && opts.read_only() {
            let mut loaded = Loaded::default();
            load_file(server, old_style, true, opts, &mut loaded)?;
            return Ok(loaded);
        }
        if upgrade {
            am = upgrade_prepare(dir, filename)?;
        }
    }
    let mut loaded = Loaded {
        manifest: am.clone(),
        ..Loaded::default()
    };
    if am.is_empty() {
        return Ok(loaded);
    }
    let files: Vec<&AofInfo> = am.base.iter().chain(am.incr.iter()).collect();
    for ai in &files {
        let size = std::fs::metadata(ai.path_in(dir))
            .map_err(|_| LoadError::Missing(ai.display_name()))?
            .len();
        loaded.total_size += size;
        if Some(*ai) == am.base.as_ref() {
            loaded.base_size = size;
        }
    }
    if loaded.total_size == 0 {
        return Ok(loaded);
    }
    for (i, ai) in files.iter().enumerate() {
        let last = i + 1 == files.len();
        load_file(server, &ai.path_in(dir), last, opts, &mut loaded)?;
        if let Some(at) = loaded.stopped_at {
            // A base is one moment: the point asked for is before it.
            if let (Some(until), true) = (opts.until, ai.kind == FileType::Base) {
                return Err(LoadError::TooEarly {
                    until,
                    base_time: at,
                });
            }
            break;
        }
    }
    if let Some(at) = loaded.truncated_at {
        // The last file got shorter.
        let cut = files
            .last()
            .and_then(|ai| std::fs::metadata(ai.path_in(dir)).ok())
            .map_or(0, |m| m.len());
        loaded.total_size = loaded.total_size.saturating_sub(cut.max(at) - at);
    }
    Ok(loaded)
}

/// The manifest in `dir`, or an empty one when the directory or the
/// manifest is not there (aofLoadManifestFromDisk).
pub fn read_manifest(dir: &Path, filename: &str) -> Result<Manifest, LoadError> {
    if !dir.is_dir() {
        return Ok(Manifest::default());
    }
    let path = dir.join(manifest_name(filename));
    match std::fs::read(&path) {
        Ok(data) => Manifest::parse(&data).map_err(LoadError::Manifest),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Manifest::default()),
        Err(e) => Err(LoadError::Io(path, e)),
    }
}

/// Take a pre-7.0 `appendonly.aof` into the directory as its base
/// (aofUpgradePrepare): manifest first, then the move, so a crash between
/// the two is retried at the next start.
fn upgrade_prepare(dir: &Path, filename: &str) -> Result<Manifest, LoadError> {
    std::fs::create_dir_all(dir).map_err(|e| LoadError::Io(dir.to_path_buf(), e))?;
    let am = Manifest {
        base: Some(AofInfo {
            name: filename.as_bytes().to_vec(),
            seq: 1,
            kind: FileType::Base,
        }),
        curr_base_seq: 1,
        ..Manifest::default()
    };
    am.persist(dir, filename)
        .map_err(|e| LoadError::Io(dir.join(manifest_name(filename)), e))?;
    std::fs::rename(filename, dir.join(filename))
        .map_err(|e| LoadError::Io(PathBuf::from(filename), e))?;
    log::info!(
        "Successfully migrated an old-style AOF file ({filename}) into the AOF directory ({}).",
        dir.display()
    );
    Ok(am)
}

/// Load the single-file layout (`--aof PATH`). A missing file loads
/// nothing.
pub fn load_single(server: &mut Server, path: &Path, opts: LoadOpts) -> Result<Loaded, LoadError> {
    let mut loaded = Loaded::default();
    match std::fs::metadata(path) {
        Ok(m) if m.len() == 0 => return Ok(loaded),
        Ok(m) => loaded.total_size = m.len(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(loaded),
        Err(e) => return Err(LoadError::Io(path.to_path_buf(), e)),
    }
    load_file(server, path, true, opts, &mut loaded)?;
    if let Some(at) = loaded.truncated_at {
        loaded.total_size = at;
    }
    Ok(loaded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
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

    /// The sample with `#TS` annotations between its commands.
    fn annotated() -> Vec<u8> {
        let mut out = b"#TS:1000\r\n".to_vec();
        for (i, chunk) in sample().split_inclusive(|&c| c == b'\n').enumerate() {
            // Between commands only: before a `*` line.
            if chunk.starts_with(b"*") && i % 3 == 0 {
                out.extend_from_slice(format!("#TS:{}\r\n", 1000 + i).as_bytes());
            }
            out.extend_from_slice(chunk);
        }
        out
    }

    /// An RDB (as a base or pre-7.0 preamble) followed by the sample.
    fn with_preamble() -> Vec<u8> {
        use crate::persistence::rdb::{RdbWriter, SaveValue};
        let mut w = RdbWriter::new(Vec::new()).unwrap();
        w.select_db(0, 2, 1).unwrap();
        w.write_entry(b"r1", &SaveValue::String(b"v1"), None, false)
            .unwrap();
        let items: [&[u8]; 3] = [b"a", b"b", b"c"];
        w.write_entry(b"r2", &SaveValue::List(&items), Some(4102444800000), false)
            .unwrap();
        let mut out = w.finish().unwrap();
        out.extend(sample());
        out
    }

    fn load_bytes(bytes: &[u8], name: &str) -> (Result<Loaded, LoadError>, Vec<u8>, Server) {
        load_bytes_with(bytes, name, LoadOpts::default())
    }

    fn load_bytes_with(
        bytes: &[u8],
        name: &str,
        opts: LoadOpts,
    ) -> (Result<Loaded, LoadError>, Vec<u8>, Server) {
        let dir = std::env::temp_dir().join(format!("miniredis-aof-{}-{name}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("appendonly.aof");
        std::fs::write(&path, bytes).unwrap();
        let mut server = Server::new(Config::default());
        let r = load_single(&mut server, &path, opts);
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

    #[test]
    fn annotations_and_a_preamble_load() {
        let (r, after, _) = load_bytes(&annotated(), "annotated");
        let loaded = r.unwrap();
        assert_eq!(loaded.commands, 14);
        assert!(loaded.last_timestamp.unwrap() > 1000);
        assert_eq!(after, annotated());
        let (r, _, server) = load_bytes(&with_preamble(), "preamble");
        assert_eq!(r.unwrap().rdb_keys, 2);
        assert_eq!(server.db(0).dict.len(), 2 + 6);
        // Up to a point in time: only what came before the next annotation.
        let opts = LoadOpts { until: Some(1000) };
        let (r, after, server) = load_bytes_with(&annotated(), "until", opts);
        let loaded = r.unwrap();
        assert!(loaded.commands < 14 && loaded.stopped_at.is_some());
        assert!(server.db(0).dict.len() < 6);
        assert_eq!(after, annotated());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// Random damage (a cut, flipped bytes, inserted garbage) never
        /// panics; a refused file is left exactly as it was; a repaired one
        /// is cut to a prefix that then loads cleanly.
        #[test]
        fn damage_never_panics_and_never_loses_the_file(
            cut in any::<prop::sample::Index>(),
            flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
            insert in proptest::option::of((any::<prop::sample::Index>(), proptest::collection::vec(any::<u8>(), 1..12))),
            kind in 0u8..3,
            until in proptest::option::of(995i64..1020),
        ) {
            let mut bytes = match kind {
                0 => sample(),
                1 => annotated(),
                _ => with_preamble(),
            };
            for (i, b) in flips {
                let i = i.index(bytes.len());
                bytes[i] = b;
            }
            if let Some((at, junk)) = insert {
                let at = at.index(bytes.len() + 1);
                bytes.splice(at..at, junk);
            }
            bytes.truncate(cut.index(bytes.len() + 1));
            if until.is_some() {
                // A point-in-time load changes nothing, whatever it finds.
                let (_, after, _) = load_bytes_with(&bytes, "fuzz-until", LoadOpts { until });
                prop_assert_eq!(after, bytes);
                return Ok(());
            }
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
