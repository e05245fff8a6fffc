//! The multi-part AOF's manifest, after Redis 7.0's aof.c: which files
//! make up the append-only file, in replay order. One line per file,
//! `file NAME seq N type b|h|i`: at most one base (listed first), history
//! files awaiting deletion, then the incr files in replay order. Lines are
//! at most 1024 bytes, `#` starts a comment, names are quoted only when
//! they need it (sdscatrepr), and keys may come in any order.

use std::ffi::OsStr;
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// Redis's MANIFEST_MAX_LINE.
const MAX_LINE: usize = 1024;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FileType {
    Base,
    History,
    Incr,
}

impl FileType {
    fn letter(self) -> char {
        match self {
            FileType::Base => 'b',
            FileType::History => 'h',
            FileType::Incr => 'i',
        }
    }
}

/// One file of the AOF (Redis's aofInfo).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct AofInfo {
    pub name: Vec<u8>,
    pub seq: i64,
    pub kind: FileType,
}

impl AofInfo {
    pub fn path_in(&self, dir: &Path) -> PathBuf {
        dir.join(OsStr::from_bytes(&self.name))
    }

    pub fn display_name(&self) -> String {
        String::from_utf8_lossy(&self.name).into_owned()
    }
}

#[derive(Clone, Default, PartialEq, Eq, Debug)]
pub struct Manifest {
    pub base: Option<AofInfo>,
    pub history: Vec<AofInfo>,
    pub incr: Vec<AofInfo>,
    pub curr_base_seq: i64,
    pub curr_incr_seq: i64,
}

/// Why a manifest was refused: Redis's message, and the line it was on.
#[derive(Debug, PartialEq, Eq)]
pub struct ManifestError {
    pub line: Option<(usize, String)>,
    pub msg: &'static str,
}

impl std::fmt::Display for ManifestError {
    /// The lines Redis logs before it exits.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "*** FATAL AOF MANIFEST FILE ERROR ***")?;
        if let Some((n, line)) = &self.line {
            writeln!(f, "Reading the manifest file, at line {n}")?;
            writeln!(f, ">>> '{line}'")?;
        }
        write!(f, "{}", self.msg)
    }
}

impl Manifest {
    /// Parse a manifest as Redis's aofLoadManifestFromFile does, line by
    /// line as fgets reads them (at most 1024 bytes each).
    pub fn parse(data: &[u8]) -> Result<Manifest, ManifestError> {
        let mut am = Manifest::default();
        let mut maxseq = 0i64;
        let mut rest = data;
        let mut linenum = 0;
        if data.is_empty() {
            return Err(ManifestError {
                line: None,
                msg: "Found an empty AOF manifest",
            });
        }
        while !rest.is_empty() {
            let take = match memchr::memchr(b'\n', &rest[..rest.len().min(MAX_LINE)]) {
                Some(i) => i + 1,
                None => rest.len().min(MAX_LINE),
            };
            let (chunk, tail) = rest.split_at(take);
            rest = tail;
            linenum += 1;
            if chunk.first() == Some(&b'#') {
                continue;
            }
            let shown = String::from_utf8_lossy(trim(chunk)).into_owned();
            let fail = |msg| ManifestError {
                line: Some((linenum, shown.clone())),
                msg,
            };
            if chunk.last() != Some(&b'\n') {
                return Err(fail("The AOF manifest file contains too long line"));
            }
            let line = trim(chunk);
            if line.is_empty() {
                return Err(fail("Invalid AOF manifest file format"));
            }
            let argv = match crate::resp::parse::split_args(line) {
                Some(a) if a.len() >= 6 && a.len() % 2 == 0 => a,
                _ => return Err(fail("Invalid AOF manifest file format")),
            };
            let (mut name, mut seq, mut kind) = (None, 0i64, 0u8);
            for kv in argv.chunks(2) {
                let [k, v] = kv else { continue };
                if k.eq_ignore_ascii_case(b"file") {
                    if v.contains(&b'/') || v.contains(&b'\\') {
                        return Err(fail("File can't be a path, just a filename"));
                    }
                    name = Some(v.clone());
                } else if k.eq_ignore_ascii_case(b"seq") {
                    seq = atoll(v);
                } else if k.eq_ignore_ascii_case(b"type") {
                    kind = v.first().copied().unwrap_or(0);
                }
            }
            let Some(name) = name.filter(|_| seq != 0 && kind != 0) else {
                return Err(fail("Invalid AOF manifest file format"));
            };
            let info = |kind| AofInfo { name, seq, kind };
            match kind {
                b'b' => {
                    if am.base.is_some() {
                        return Err(fail("Found duplicate base file information"));
                    }
                    am.base = Some(info(FileType::Base));
                    am.curr_base_seq = seq;
                }
                b'h' => am.history.push(info(FileType::History)),
                b'i' => {
                    if seq <= maxseq {
                        return Err(fail("Found a non-monotonic sequence number"));
                    }
                    am.incr.push(info(FileType::Incr));
                    am.curr_incr_seq = seq;
                    maxseq = seq;
                }
                _ => return Err(fail("Unknown AOF file type")),
            }
        }
        Ok(am)
    }

    /// The manifest's text (Redis's getAofManifestAsString).
    pub fn to_text(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for ai in self
            .base
            .iter()
            .chain(self.history.iter())
            .chain(self.incr.iter())
        {
            out.extend_from_slice(b"file ");
            if needs_repr(&ai.name) {
                let mut s = String::new();
                crate::commands::introspection::repr(&mut s, &ai.name);
                out.extend_from_slice(s.as_bytes());
            } else {
                out.extend_from_slice(&ai.name);
            }
            out.extend_from_slice(
                format!(" seq {} type {}\n", ai.seq, ai.kind.letter()).as_bytes(),
            );
        }
        out
    }

    pub fn is_empty(&self) -> bool {
        self.base.is_none() && self.incr.is_empty()
    }

    /// A new base name (`appendonly.aof.2.base.rdb`); the old base, if
    /// any, becomes history (getNewBaseFileNameAndMarkPreAsHistory).
    pub fn new_base(&mut self, filename: &str, rdb: bool) -> AofInfo {
        if let Some(mut old) = self.base.take() {
            old.kind = FileType::History;
            self.history.insert(0, old);
        }
        self.curr_base_seq += 1;
        let suffix = if rdb { "rdb" } else { "aof" };
        let ai = AofInfo {
            name: format!("{filename}.{}.base.{suffix}", self.curr_base_seq).into_bytes(),
            seq: self.curr_base_seq,
            kind: FileType::Base,
        };
        self.base = Some(ai.clone());
        ai
    }

    /// A new incr file at the end of the replay order (getNewIncrAofName).
    pub fn new_incr(&mut self, filename: &str) -> AofInfo {
        self.curr_incr_seq += 1;
        let ai = AofInfo {
            name: format!("{filename}.{}.incr.aof", self.curr_incr_seq).into_bytes(),
            seq: self.curr_incr_seq,
            kind: FileType::Incr,
        };
        self.incr.push(ai.clone());
        ai
    }

    /// After a rewrite: every incr file but the one being written (when
    /// `keep_last`) is covered by the new base (markRewrittenIncrAofAsHistory).
    pub fn mark_rewritten_incr_as_history(&mut self, keep_last: bool) {
        let keep = if keep_last { self.incr.pop() } else { None };
        for mut ai in std::mem::take(&mut self.incr).into_iter() {
            ai.kind = FileType::History;
            self.history.insert(0, ai);
        }
        self.incr.extend(keep);
    }

    /// Write the manifest atomically into `dir` as `name`: a temp file,
    /// fsync, rename, fsync of the directory (writeAofManifestFile).
    pub fn persist(&self, dir: &Path, filename: &str) -> io::Result<()> {
        let name = manifest_name(filename);
        let temp = dir.join(format!("temp-{name}"));
        let result = (|| {
            let mut f = std::fs::File::create(&temp)?;
            f.write_all(&self.to_text())?;
            f.sync_all()?;
            std::fs::rename(&temp, dir.join(&name))?;
            std::fs::File::open(dir)?.sync_all()
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        result
    }
}

/// `appendonly.aof.manifest`.
pub fn manifest_name(filename: &str) -> String {
    format!("{filename}.manifest")
}

fn trim(mut s: &[u8]) -> &[u8] {
    let blank = |c: &u8| matches!(c, b' ' | b'\t' | b'\r' | b'\n');
    while s.first().is_some_and(blank) {
        s = &s[1..];
    }
    while s.last().is_some_and(blank) {
        s = &s[..s.len() - 1];
    }
    s
}

/// C's atoll: optional blanks and sign, then digits up to the first
/// non-digit; 0 when there are none. Saturates instead of overflowing.
fn atoll(s: &[u8]) -> i64 {
    let (mut i, neg) = crate::util::num::c_space_and_sign(s);
    let mut n: i64 = 0;
    while let Some(d) = s.get(i).filter(|c| c.is_ascii_digit()) {
        n = n.saturating_mul(10).saturating_add((d - b'0') as i64);
        i += 1;
    }
    if neg { -n } else { n }
}

/// sdsneedsrepr: whether a name must be quoted in the manifest. Also a
/// single quote, which Redis leaves bare and then cannot read back (its
/// sdssplitargs takes it for an opening quote).
fn needs_repr(s: &[u8]) -> bool {
    s.iter().any(|&c| {
        matches!(c, b'\\' | b'"' | b'\'' | b'\n' | b'\r' | b'\t' | 7 | 8)
            || !(0x20..=0x7e).contains(&c)
            || c == b' '
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn redis_fixture_manifests_parse_and_format_back() {
        for (text, base, incr) in [
            (
                "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n",
                "appendonly.aof.1.base.rdb",
                "appendonly.aof.1.incr.aof",
            ),
            (
                "file appendonly.aof.2.base.aof seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n",
                "appendonly.aof.2.base.aof",
                "appendonly.aof.2.incr.aof",
            ),
        ] {
            let am = Manifest::parse(text.as_bytes()).unwrap();
            assert_eq!(am.base.as_ref().unwrap().name, base.as_bytes());
            assert_eq!(am.incr[0].name, incr.as_bytes());
            assert_eq!(am.to_text(), text.as_bytes());
        }
    }

    #[test]
    fn keys_in_any_order_comments_and_quoting() {
        let am = Manifest::parse(
            b"# comment\ntype i seq 3 file \"a b.aof\"\nfile 'x.aof' seq 4 type i extra 1\n",
        )
        .unwrap();
        assert_eq!(am.incr.len(), 2);
        assert_eq!(am.incr[0].name, b"a b.aof");
        assert_eq!(am.curr_incr_seq, 4);
        assert_eq!(
            am.to_text(),
            b"file \"a b.aof\" seq 3 type i\nfile x.aof seq 4 type i\n"
        );
    }

    #[test]
    fn redis_refusals() {
        let err = |t: &[u8]| Manifest::parse(t).unwrap_err().msg;
        assert_eq!(err(b""), "Found an empty AOF manifest");
        assert_eq!(
            err(b"file a seq 1 type b"),
            "The AOF manifest file contains too long line"
        );
        assert_eq!(err(b"\n"), "Invalid AOF manifest file format");
        assert_eq!(err(b"file a seq 1\n"), "Invalid AOF manifest file format");
        assert_eq!(
            err(b"file a seq x type b\n"),
            "Invalid AOF manifest file format"
        );
        assert_eq!(
            err(b"file a/b seq 1 type b\n"),
            "File can't be a path, just a filename"
        );
        assert_eq!(
            err(b"file a seq 1 type b\nfile b seq 2 type b\n"),
            "Found duplicate base file information"
        );
        assert_eq!(
            err(b"file a seq 2 type i\nfile b seq 2 type i\n"),
            "Found a non-monotonic sequence number"
        );
        assert_eq!(err(b"file a seq 1 type x\n"), "Unknown AOF file type");
        let long = format!("file {} seq 1 type b\n", "a".repeat(1100));
        assert_eq!(
            err(long.as_bytes()),
            "The AOF manifest file contains too long line"
        );
        // Only comments: an empty manifest, not an error.
        assert!(Manifest::parse(b"# nothing\n").unwrap().is_empty());
    }

    #[test]
    fn rewrite_bookkeeping() {
        let mut am = Manifest::default();
        am.new_base("appendonly.aof", true);
        am.new_incr("appendonly.aof");
        am.new_incr("appendonly.aof");
        am.new_base("appendonly.aof", false);
        am.mark_rewritten_incr_as_history(true);
        assert_eq!(
            String::from_utf8(am.to_text()).unwrap(),
            "file appendonly.aof.2.base.aof seq 2 type b\n\
             file appendonly.aof.1.incr.aof seq 1 type h\n\
             file appendonly.aof.1.base.rdb seq 1 type h\n\
             file appendonly.aof.2.incr.aof seq 2 type i\n"
        );
    }

    proptest! {
        /// Any bytes: a manifest or Redis's refusal, never a panic; what
        /// parses formats to a manifest that parses to the same files.
        #[test]
        fn any_bytes_parse_or_refuse(data in proptest::collection::vec(any::<u8>(), 0..300)) {
            if let Ok(am) = Manifest::parse(&data) {
                let again = Manifest::parse(&am.to_text());
                if !am.to_text().is_empty() {
                    let again = again.unwrap();
                    prop_assert_eq!(again.base, am.base);
                    prop_assert_eq!(again.incr, am.incr);
                    prop_assert_eq!(again.history, am.history);
                }
            }
        }

        #[test]
        fn names_round_trip(name in proptest::collection::vec(any::<u8>().prop_filter("no path", |c| *c != b'/' && *c != b'\\' && *c != 0), 1..40), seq in 1i64..1_000_000) {
            let am = Manifest { base: Some(AofInfo { name: name.clone(), seq, kind: FileType::Base }), ..Default::default() };
            let text = am.to_text();
            prop_assume!(text.len() <= MAX_LINE);
            let back = Manifest::parse(&text).unwrap();
            prop_assert_eq!(back.base.unwrap().name, name);
        }
    }
}
