//! Differential suite: the same command sequences go to a real
//! redis-server 7.0 and to miniredis, and the replies are compared byte
//! for byte (as multisets only where Redis gives no order).
//!
//! Hand-written cases cover every supported command and its error paths;
//! a seeded generator adds at least 10,000 commands per run. Set
//! DIFF_SEED to replay a generated run, DIFF_COMMANDS to change its length.

#[path = "../common/mod.rs"]
mod common;

mod acl;
mod bitops;
mod cases;
mod collections_hs;
mod collections_list;
mod debug;
mod dump_restore;
mod functions;
mod generator;
mod geo;
mod hyperloglog;
mod maxmemory;
mod notifications;
mod pubsub;
mod script_gen;
mod scripting;
mod sort;
mod streams;
mod tracking;
mod transactions;
mod zsets;

use common::{Proc, Raw, reply_len, start_miniredis, start_redis_server};

/// How a reply is compared.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Cmp {
    Exact,
    /// An array whose order Redis leaves undefined.
    Unordered,
    /// An integer that may differ by a little between two runs (TTLs).
    Near(i64),
    /// Only the reply's type must agree (nondeterministic content).
    SameType,
    /// Each string's space-separated words as a multiset (ACL LIST: Redis
    /// emits single-command rules in its command dict's random order).
    Words,
}

pub struct Pair {
    _ours: Proc,
    _theirs: Proc,
    pub a: Raw,
    pub b: Raw,
    pub checked: usize,
}

impl Pair {
    pub fn start() -> Option<Pair> {
        if !common::redis_server_available() {
            return None;
        }
        let theirs = start_redis_server();
        let ours = start_miniredis(&["--save", "", "--appendonly", "no"]);
        let a = ours.raw();
        let b = theirs.raw();
        Some(Pair {
            _ours: ours,
            _theirs: theirs,
            a,
            b,
            checked: 0,
        })
    }

    /// A second connection to each server (ours, theirs).
    pub fn connect_more(&self) -> (Raw, Raw) {
        (self._ours.raw(), self._theirs.raw())
    }

    /// Send `args` to both; compare. Returns (ours, theirs) on mismatch.
    pub fn compare(&mut self, args: &[Vec<u8>], cmp: Cmp) -> Result<(), (String, String)> {
        let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
        let ours = self.a.cmd(&refs);
        let theirs = self.b.cmd(&refs);
        self.checked += 1;
        if same(&ours, &theirs, cmp) {
            Ok(())
        } else {
            Err((show(&ours), show(&theirs)))
        }
    }

    pub fn check(&mut self, args: &[Vec<u8>], cmp: Cmp) {
        if let Err((ours, theirs)) = self.compare(args, cmp) {
            panic!(
                "mismatch for {}\n  miniredis: {}\n  redis:     {}",
                show_args(args),
                ours,
                theirs
            );
        }
    }
}

pub fn show(b: &[u8]) -> String {
    format!("{:?}", String::from_utf8_lossy(b))
}

pub fn show_args(args: &[Vec<u8>]) -> String {
    args.iter()
        .map(|a| format!("{:?}", String::from_utf8_lossy(a)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Split a reply into its top-level array elements' bytes.
pub fn elements(b: &[u8]) -> Option<Vec<&[u8]>> {
    if !(b.starts_with(b"*") || b.starts_with(b"~")) {
        return None;
    }
    let hdr = b.windows(2).position(|w| w == b"\r\n")?;
    let n: usize = std::str::from_utf8(&b[1..hdr]).ok()?.parse().ok()?;
    let mut p = hdr + 2;
    let mut out = Vec::new();
    for _ in 0..n {
        let l = reply_len(b, p)?;
        out.push(&b[p..p + l]);
        p += l;
    }
    Some(out)
}

/// A reply with every array's elements sorted, recursively (SCAN nests
/// its keys inside the cursor reply).
fn canonical(b: &[u8]) -> Vec<u8> {
    match elements(b) {
        Some(els) => {
            let mut inner: Vec<Vec<u8>> = els.into_iter().map(canonical).collect();
            inner.sort();
            let mut out = b"[".to_vec();
            for e in inner {
                out.extend(e);
                out.push(b',');
            }
            out.push(b']');
            out
        }
        None => b.to_vec(),
    }
}

pub fn same(ours: &[u8], theirs: &[u8], cmp: Cmp) -> bool {
    match cmp {
        Cmp::Exact => ours == theirs,
        Cmp::Unordered => canonical(ours) == canonical(theirs),
        Cmp::Near(tol) => {
            let int = |b: &[u8]| -> Option<i64> {
                let s = std::str::from_utf8(b).ok()?;
                s.strip_prefix(':')?.trim_end().parse().ok()
            };
            match (int(ours), int(theirs)) {
                (Some(x), Some(y)) => (x - y).abs() <= tol && (x < 0) == (y < 0),
                _ => ours == theirs,
            }
        }
        Cmp::SameType => ours.first() == theirs.first(),
        Cmp::Words => words(ours) == words(theirs),
    }
}

/// A reply with every bulk string's words sorted, arrays kept in order.
fn words(b: &[u8]) -> Vec<u8> {
    if let Some(els) = elements(b) {
        let mut out = b"[".to_vec();
        for e in els {
            out.extend(words(e));
            out.push(b',');
        }
        out.push(b']');
        return out;
    }
    if b.starts_with(b"$")
        && let Some(hdr) = b.windows(2).position(|w| w == b"\r\n")
        && hdr + 4 <= b.len()
    {
        let body = &b[hdr + 2..b.len().saturating_sub(2)];
        let mut ws: Vec<&[u8]> = body.split(|&c| c == b' ').collect();
        ws.sort();
        return ws.join(&b' ');
    }
    b.to_vec()
}

/// Split a case line into arguments: spaces separate, "double quotes"
/// group and take \r \n \t \\ \" \xHH escapes.
pub fn split_line(line: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let b = line.as_bytes();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && b[i] == b' ' {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        let mut cur = Vec::new();
        if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' && i + 1 < b.len() {
                    i += 1;
                    match b[i] {
                        b'r' => cur.push(b'\r'),
                        b'n' => cur.push(b'\n'),
                        b't' => cur.push(b'\t'),
                        b'0' => cur.push(0),
                        b'x' => {
                            let h = std::str::from_utf8(&b[i + 1..i + 3]).unwrap();
                            cur.push(u8::from_str_radix(h, 16).unwrap());
                            i += 2;
                        }
                        other => cur.push(other),
                    }
                } else {
                    cur.push(b[i]);
                }
                i += 1;
            }
            i += 1;
        } else {
            while i < b.len() && b[i] != b' ' {
                cur.push(b[i]);
                i += 1;
            }
        }
        out.push(cur);
    }
    out
}

/// Run a block of case lines. A line may start with `~` (unordered),
/// `≈N` (integer within N) or `?` (same reply type only).
pub fn run_lines(p: &mut Pair, text: &str) {
    for raw in text.lines() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (cmp, rest) = if let Some(r) = line.strip_prefix('~') {
            (Cmp::Unordered, r)
        } else if let Some(r) = line.strip_prefix('≋') {
            (Cmp::Words, r)
        } else if let Some(r) = line.strip_prefix('?') {
            (Cmp::SameType, r)
        } else if let Some(r) = line.strip_prefix('≈') {
            let (n, r) = r.split_once(' ').unwrap();
            (Cmp::Near(n.parse().unwrap()), r)
        } else {
            (Cmp::Exact, line)
        };
        p.check(&split_line(rest.trim()), cmp);
    }
}
