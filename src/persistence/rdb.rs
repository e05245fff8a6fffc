//! The RDB file format: a reader for files written by Redis 7.0 (RDB
//! version 10) and older (6.2 writes version 9), and a writer whose files
//! Redis 7.0 loads as its own.
//!
//! Pure functions over `Read`/`Write`: nothing here knows the server.
//!
//! # File layout
//!
//! `REDIS` and a 4-digit version, then a sequence of items each starting
//! with one byte: an opcode (0xF5..=0xFF) or, for a key, the value's type.
//!
//! | byte | item |
//! | --- | --- |
//! | 0xFF EOF | end of data; version 5+ then has 8 bytes of CRC-64 (LE) of everything before them, 0 meaning "not computed" |
//! | 0xFE SELECTDB | a length: the database the next keys belong to |
//! | 0xFD EXPIRETIME | i32 LE, seconds: the next key's absolute expiry |
//! | 0xFC EXPIRETIME_MS | i64 LE, milliseconds: the next key's absolute expiry |
//! | 0xFB RESIZEDB | two lengths: the database's key and expiry counts (a sizing hint) |
//! | 0xFA AUX | two strings: a named property of the file (`redis-ver`, `ctime`, ...) |
//! | 0xF9 FREQ | one byte: the next key's LFU counter |
//! | 0xF8 IDLE | a length: the next key's idle time in seconds (LRU) |
//! | 0xF7 MODULE_AUX | module-global data |
//! | 0xF6 FUNCTION | a function, in the format of Redis 7.0's release candidates |
//! | 0xF5 FUNCTION2 | a string: the source of one function library |
//! | type | a key (a string) and its value, encoded as the type says |
//!
//! A *length* is 1, 2, 5 or 9 bytes: `00xxxxxx` (6 bits), `01xxxxxx` +
//! one byte (14 bits, big-endian), `0x80` + u32 BE, `0x81` + u64 BE. The
//! top bits `11` instead mark a specially encoded *string*: `0xC0`/`0xC1`/
//! `0xC2` an 8/16/32-bit integer (LE) standing for its decimal text, `0xC3`
//! an LZF-compressed string (compressed length, original length, data).
//! Any other string is a length and the bytes.

use super::crc64::{Crc64Reader, Crc64Writer};
use super::{intset, listpack, lzf, ziplist};
use crate::util::num::{d2string, string2ll};
use std::fmt;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};

/// The RDB version we write, and the newest we read (Redis 7.0's).
pub const RDB_VERSION: u32 = 10;

/// Value types (the byte before a key).
pub mod types {
    pub const STRING: u8 = 0;
    pub const LIST: u8 = 1;
    pub const SET: u8 = 2;
    pub const ZSET: u8 = 3;
    pub const HASH: u8 = 4;
    pub const ZSET_2: u8 = 5;
    pub const MODULE_PRE_GA: u8 = 6;
    pub const MODULE_2: u8 = 7;
    pub const HASH_ZIPMAP: u8 = 9;
    pub const LIST_ZIPLIST: u8 = 10;
    pub const SET_INTSET: u8 = 11;
    pub const ZSET_ZIPLIST: u8 = 12;
    pub const HASH_ZIPLIST: u8 = 13;
    pub const LIST_QUICKLIST: u8 = 14;
    pub const STREAM_LISTPACKS: u8 = 15;
    pub const HASH_LISTPACK: u8 = 16;
    pub const ZSET_LISTPACK: u8 = 17;
    pub const LIST_QUICKLIST_2: u8 = 18;
    pub const STREAM_LISTPACKS_2: u8 = 19;
}

/// Opcodes (non-key items).
pub mod opcodes {
    pub const FUNCTION2: u8 = 0xF5;
    pub const FUNCTION_PRE_GA: u8 = 0xF6;
    pub const MODULE_AUX: u8 = 0xF7;
    pub const IDLE: u8 = 0xF8;
    pub const FREQ: u8 = 0xF9;
    pub const AUX: u8 = 0xFA;
    pub const RESIZEDB: u8 = 0xFB;
    pub const EXPIRETIME_MS: u8 = 0xFC;
    pub const EXPIRETIME: u8 = 0xFD;
    pub const SELECTDB: u8 = 0xFE;
    pub const EOF: u8 = 0xFF;
}

/// Quicklist node containers in a type-18 list.
const CONTAINER_PLAIN: u64 = 1;
const CONTAINER_PACKED: u64 = 2;

/// Redis 7.0's defaults that decide how lists are cut into nodes:
/// `list-max-listpack-size -2` (8 KB per node) and the threshold (1 GB;
/// DEBUG QUICKLIST-PACKED-THRESHOLD sets it, as Redis's global) past which
/// an element gets a PLAIN node of its own.
const LIST_NODE_MAX_BYTES: usize = 8192;
const LIST_NODE_ESTIMATE_OVERHEAD: usize = 8;
pub static LIST_PACKED_THRESHOLD: std::sync::atomic::AtomicUsize =
    std::sync::atomic::AtomicUsize::new(1 << 30);

// ---------------------------------------------------------------------------
// Values and errors
// ---------------------------------------------------------------------------

/// A loaded value, whatever encoding the file used.
///
/// Collections come in file order: for `ZSet` that is ascending
/// (score, member) from a listpack or ziplist, descending from a type-5
/// skiplist dump. Members are not checked for duplicates (Redis refuses
/// files with duplicate set members, hash fields or zset members; the
/// caller inserting into its own structures decides).
#[derive(Debug, Clone, PartialEq)]
pub enum RdbValue {
    String(Vec<u8>),
    List(Vec<Vec<u8>>),
    Set(Vec<Vec<u8>>),
    Hash(Vec<(Vec<u8>, Vec<u8>)>),
    ZSet(Vec<(Vec<u8>, f64)>),
    /// Types 15 and 19, checked as Redis's deep sanitization checks them.
    Stream(Box<crate::types::stream::Stream>),
}

/// The AUX fields of a file, (name, value) in file order.
pub type AuxFields = Vec<(Vec<u8>, Vec<u8>)>;

/// The key a FUNCTION2 opcode's library source comes back under among the
/// aux fields (no real aux field starts with a NUL byte).
pub const FUNCTION_AUX: &[u8] = b"\0function";

/// The libraries of a FUNCTION DUMP payload (Redis's verifyDumpPayload and
/// functionRestoreCommand's reading loop): FUNCTION2 opcodes (or the 7.0
/// release candidates' FUNCTION, translated), then the RDB version and a
/// CRC64, as DUMP's payloads end.
pub fn function_payload(payload: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    const WRONG: &str = "DUMP payload version or checksum are wrong";
    if payload.len() < 10 {
        return Err(WRONG.into());
    }
    let (body, footer) = payload.split_at(payload.len() - 10);
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    if version as u32 > RDB_VERSION {
        return Err(WRONG.into());
    }
    let crc = crate::persistence::crc64::crc64(0, &payload[..payload.len() - 8]);
    if crc.to_le_bytes() != footer[2..] && !skip_checksum_validation() {
        return Err(WRONG.into());
    }
    let mut src = Src {
        r: Crc64Reader::new(body),
    };
    let mut codes = Vec::new();
    while src.pos() < body.len() as u64 {
        let t = src.u8().map_err(|_| "can not read data type".to_string())?;
        match t {
            opcodes::FUNCTION2 => {
                codes.push(
                    src.string()
                        .map_err(|_| "Failed loading library payload".to_string())?,
                );
            }
            opcodes::FUNCTION_PRE_GA => {
                let name = src
                    .string()
                    .map_err(|_| "Failed loading library name".to_string())?;
                let engine = src
                    .string()
                    .map_err(|_| "Failed loading engine name".to_string())?;
                let has_desc = src
                    .len()
                    .map_err(|_| "Failed loading library description indicator".to_string())?;
                if has_desc != 0 {
                    src.string()
                        .map_err(|_| "Failed loading library description".to_string())?;
                }
                let blob = src
                    .string()
                    .map_err(|_| "Failed loading library blob".to_string())?;
                let mut code = b"#!".to_vec();
                code.extend_from_slice(&engine);
                code.extend_from_slice(b" name=");
                code.extend_from_slice(&name);
                code.push(b'\n');
                code.extend_from_slice(&blob);
                codes.push(code);
            }
            _ => return Err("given type is not a function".into()),
        }
    }
    Ok(codes)
}

/// DEBUG SET-SKIP-CHECKSUM-VALIDATION: DUMP payloads' CRC64 goes unchecked
/// (Redis's server.skip_checksum_validation; its tests restore hand-made
/// payloads this way). The version is still checked.
static SKIP_CHECKSUM_VALIDATION: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

pub fn set_skip_checksum_validation(on: bool) {
    SKIP_CHECKSUM_VALIDATION.store(on, std::sync::atomic::Ordering::Relaxed);
}

fn skip_checksum_validation() -> bool {
    SKIP_CHECKSUM_VALIDATION.load(std::sync::atomic::Ordering::Relaxed)
}

/// Check a DUMP payload's footer (Redis's verifyDumpPayload): the RDB
/// version it was made with is not newer than ours and the CRC64 matches.
/// Returns whether the payload passes.
pub fn verify_dump_payload(payload: &[u8]) -> bool {
    if payload.len() < 10 {
        return false;
    }
    let footer = &payload[payload.len() - 10..];
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    if version as u32 > RDB_VERSION {
        return false;
    }
    if skip_checksum_validation() {
        return true;
    }
    let crc = crate::persistence::crc64::crc64(0, &payload[..payload.len() - 8]);
    crc.to_le_bytes() == footer[2..]
}

/// The value of a verified DUMP payload (RESTORE's rdbLoadObjectType +
/// rdbLoadObject). Read as Redis reads it, from the whole payload: a value
/// that claims more bytes than its body has runs on into the footer.
/// None for anything malformed.
pub fn read_dump_value(body: &[u8]) -> Option<RdbValue> {
    let mut src = Src {
        r: Crc64Reader::new(body),
    };
    let t = src.u8().ok()?;
    if !is_value_type(t) {
        return None;
    }
    match read_value(&mut src, t) {
        Ok(Some(v)) => Some(v),
        _ => None,
    }
}

/// A DUMP payload: the value as an RDB file holds it (type byte, then the
/// value), the RDB version as two little-endian bytes, and a CRC64 of all
/// that (Redis's createDumpPayload).
pub fn dump_payload(value: &SaveValue<'_>, compress: bool) -> io::Result<Vec<u8>> {
    let mut w = RdbWriter::bare(Vec::new());
    w.write_value(value, compress)?;
    let mut out = w.into_inner()?;
    out.extend_from_slice(&(RDB_VERSION as u16).to_le_bytes());
    let crc = crate::persistence::crc64::crc64(0, &out);
    out.extend_from_slice(&crc.to_le_bytes());
    Ok(out)
}

/// One key as loaded.
#[derive(Debug, Clone, PartialEq)]
pub struct RdbEntry {
    /// The database from the last SELECTDB (0 before any).
    pub db: usize,
    pub key: Vec<u8>,
    pub value: RdbValue,
    /// Absolute expiry in Unix milliseconds, if the key had one. Keys that
    /// are already expired are passed on too: dropping them (Redis does so
    /// when loading as a master) is the caller's choice.
    pub expire_ms: Option<i64>,
}

/// A load failure: what went wrong, and the file offset of the item (or
/// byte) where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RdbError {
    pub offset: u64,
    pub msg: String,
}

impl fmt::Display for RdbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at offset {}", self.msg, self.offset)
    }
}

impl std::error::Error for RdbError {}

// ---------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------

/// Load a whole file: calls `on_entry` for each key in file order; verifies
/// the trailing CRC unless it is 0; returns the AUX fields in file order.
///
/// `r` is buffered internally. An `Err` from `on_entry` stops the load and
/// comes back as an `RdbError` at the key's offset.
///
/// What is skipped: IDLE and FREQ (LRU/LFU hints), RESIZEDB (a sizing hint),
/// FUNCTION2 (a function library's source: we have no scripting, so there is
/// nothing to load it into), and empty collections (as Redis skips them).
/// What is refused with an error: module data (MODULE_AUX and module
/// values: we have no modules, and Redis refuses them too when the module
/// is not loaded), the pre-GA FUNCTION opcode (Redis 7.0 refuses it too),
/// streams (not supported), versions newer than 10.
pub fn load<R: Read>(
    r: R,
    on_entry: impl FnMut(RdbEntry) -> Result<(), String>,
) -> Result<AuxFields, RdbError> {
    load_buffered(BufReader::with_capacity(64 * 1024, r), on_entry)
}

/// As [`load`], from a buffered reader, consuming exactly the RDB bytes: on
/// success `r` is left right after the checksum (or after EOF for versions
/// before 5), so whatever follows (an AOF tail after an RDB preamble) can be
/// read from it. Pass `&mut reader` to keep using it.
pub fn load_buffered<R: BufRead>(
    r: R,
    on_entry: impl FnMut(RdbEntry) -> Result<(), String>,
) -> Result<AuxFields, RdbError> {
    load_with_hints(r, |_, _| {}, on_entry)
}

/// As [`load_buffered`], also passing each RESIZEDB hint on as
/// `on_resize(db, keys)`, so a loader can size its table once instead of
/// growing it step by step.
pub fn load_with_hints<R: BufRead>(
    r: R,
    mut on_resize: impl FnMut(usize, u64),
    mut on_entry: impl FnMut(RdbEntry) -> Result<(), String>,
) -> Result<AuxFields, RdbError> {
    let mut src = Src {
        r: Crc64Reader::new(r),
    };
    let mut magic = [0u8; 9];
    src.read_into(&mut magic)?;
    if &magic[..5] != b"REDIS" || !magic[5..].iter().all(u8::is_ascii_digit) {
        return Err(src.err_at(0, "Wrong signature trying to load DB from file"));
    }
    let version = magic[5..]
        .iter()
        .fold(0u32, |v, d| v * 10 + (d - b'0') as u32);
    if !(1..=RDB_VERSION).contains(&version) {
        return Err(src.err_at(5, format!("Can't handle RDB format version {version}")));
    }

    let mut aux = Vec::new();
    let mut db = 0usize;
    let mut expire_ms: Option<i64> = None;
    loop {
        let at = src.pos();
        let op = src.u8()?;
        match op {
            opcodes::EOF => break,
            opcodes::SELECTDB => {
                let n = src.len()?;
                db = usize::try_from(n)
                    .map_err(|_| src.err_at(at, format!("database number {n} out of range")))?;
            }
            opcodes::RESIZEDB => {
                let keys = src.len()?;
                src.len()?;
                on_resize(db, keys);
            }
            opcodes::EXPIRETIME_MS => {
                let mut b = [0u8; 8];
                src.read_into(&mut b)?;
                expire_ms = Some(i64::from_le_bytes(b));
            }
            opcodes::EXPIRETIME => {
                let mut b = [0u8; 4];
                src.read_into(&mut b)?;
                expire_ms = Some(i32::from_le_bytes(b) as i64 * 1000);
            }
            opcodes::IDLE => {
                src.len()?;
            }
            opcodes::FREQ => {
                src.u8()?;
            }
            opcodes::AUX => {
                let k = src.string()?;
                let v = src.string()?;
                aux.push((k, v));
            }
            opcodes::FUNCTION2 => {
                // A function library's source: handed back among the aux
                // fields, for the server to load into its functions engine.
                let code = src.string()?;
                aux.push((FUNCTION_AUX.to_vec(), code));
            }
            opcodes::FUNCTION_PRE_GA => {
                return Err(
                    src.err_at(at, "Pre-GA function format (RDB opcode 0xF6) not supported")
                );
            }
            opcodes::MODULE_AUX => {
                let id = src.len()?;
                return Err(src.err_at(
                    at,
                    format!(
                        "module aux data of module '{}' cannot be loaded: modules are not supported",
                        module_name(id)
                    ),
                ));
            }
            t if is_value_type(t) => {
                let key = src.string()?;
                let value = read_value(&mut src, t)?;
                let exp = expire_ms.take();
                if let Some(value) = value {
                    on_entry(RdbEntry {
                        db,
                        key,
                        value,
                        expire_ms: exp,
                    })
                    .map_err(|m| src.err_at(at, m))?;
                }
            }
            t => {
                return Err(src.err_at(at, format!("unknown RDB type or opcode {t}")));
            }
        }
    }
    if version >= 5 {
        let at = src.pos();
        let expected = src.r.crc();
        let mut b = [0u8; 8];
        src.read_into(&mut b)?;
        let stored = u64::from_le_bytes(b);
        if stored != 0 && stored != expected {
            return Err(src.err_at(
                at,
                format!("Wrong RDB checksum expected: ({expected:x}) got: ({stored:x})"),
            ));
        }
    }
    Ok(aux)
}

fn is_value_type(t: u8) -> bool {
    matches!(t, 0..=7 | 9..=19)
}

/// A module type id holds a 9-character name (6 bits per character) and a
/// 10-bit encoding version.
fn module_name(id: u64) -> String {
    const CHARSET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    (0..9)
        .map(|i| CHARSET[((id >> (64 - 6 * (i + 1))) & 63) as usize] as char)
        .collect()
}

/// The input, with the position and the running CRC of every byte taken.
struct Src<R: BufRead> {
    r: Crc64Reader<R>,
}

/// Strings longer than this are read in pieces, so a corrupt length costs
/// at most this much memory beyond the bytes the file really holds.
const READ_CHUNK: u64 = 1 << 20;

enum Len {
    Plain(u64),
    Special(u8),
}

impl<R: BufRead> Src<R> {
    fn pos(&self) -> u64 {
        self.r.position()
    }

    fn err_at(&self, offset: u64, msg: impl Into<String>) -> RdbError {
        RdbError {
            offset,
            msg: msg.into(),
        }
    }

    /// The next buffered bytes (never empty), or an error at EOF.
    fn fill(&mut self) -> Result<&[u8], RdbError> {
        loop {
            match self.r.fill_buf() {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                _ => break,
            }
        }
        let offset = self.pos();
        match self.r.fill_buf() {
            Ok([]) => Err(RdbError {
                offset,
                msg: "Unexpected EOF reading RDB file".into(),
            }),
            Ok(b) => Ok(b),
            Err(e) => Err(RdbError {
                offset,
                msg: format!("read error: {e}"),
            }),
        }
    }

    fn consume(&mut self, n: usize) {
        self.r.consume(n);
    }

    fn read_into(&mut self, out: &mut [u8]) -> Result<(), RdbError> {
        let mut done = 0;
        while done < out.len() {
            let b = self.fill()?;
            let k = b.len().min(out.len() - done);
            out[done..done + k].copy_from_slice(&b[..k]);
            self.consume(k);
            done += k;
        }
        Ok(())
    }

    fn u8(&mut self) -> Result<u8, RdbError> {
        let b = self.fill()?[0];
        self.consume(1);
        Ok(b)
    }

    /// `n` bytes; memory grows with the bytes actually read.
    fn bytes(&mut self, n: u64) -> Result<Vec<u8>, RdbError> {
        if n <= READ_CHUNK {
            let mut v = vec![0u8; n as usize];
            self.read_into(&mut v)?;
            return Ok(v);
        }
        let mut v: Vec<u8> = Vec::new();
        let mut left = n;
        while left > 0 {
            if v.len() == v.capacity() {
                let want = left.min((v.len() as u64).max(READ_CHUNK));
                v.reserve_exact(want as usize);
            }
            let b = self.fill()?;
            let k = (b.len() as u64).min(left) as usize;
            v.extend_from_slice(&b[..k]);
            self.consume(k);
            left -= k as u64;
        }
        Ok(v)
    }

    fn len_or_special(&mut self) -> Result<Len, RdbError> {
        let at = self.pos();
        let b = self.u8()?;
        Ok(match b >> 6 {
            0 => Len::Plain((b & 0x3f) as u64),
            1 => Len::Plain((((b & 0x3f) as u64) << 8) | self.u8()? as u64),
            3 => Len::Special(b & 0x3f),
            _ => match b {
                0x80 => {
                    let mut x = [0u8; 4];
                    self.read_into(&mut x)?;
                    Len::Plain(u32::from_be_bytes(x) as u64)
                }
                0x81 => {
                    let mut x = [0u8; 8];
                    self.read_into(&mut x)?;
                    Len::Plain(u64::from_be_bytes(x))
                }
                _ => {
                    return Err(
                        self.err_at(at, format!("Unknown length encoding {b} in rdbLoadLen()"))
                    );
                }
            },
        })
    }

    fn len(&mut self) -> Result<u64, RdbError> {
        let at = self.pos();
        match self.len_or_special()? {
            Len::Plain(n) => Ok(n),
            Len::Special(_) => Err(self.err_at(at, "expected a length, found an encoded string")),
        }
    }

    fn string(&mut self) -> Result<Vec<u8>, RdbError> {
        let at = self.pos();
        match self.len_or_special()? {
            Len::Plain(n) => self.bytes(n),
            Len::Special(0) => Ok((self.u8()? as i8).to_string().into_bytes()),
            Len::Special(1) => {
                let mut x = [0u8; 2];
                self.read_into(&mut x)?;
                Ok(i16::from_le_bytes(x).to_string().into_bytes())
            }
            Len::Special(2) => {
                let mut x = [0u8; 4];
                self.read_into(&mut x)?;
                Ok(i32::from_le_bytes(x).to_string().into_bytes())
            }
            Len::Special(3) => {
                let clen = self.len()?;
                let ulen = self.len()?;
                if ulen > clen.saturating_mul(lzf::MAX_EXPANSION as u64) {
                    return Err(self.err_at(
                        at,
                        format!(
                            "Invalid LZF compressed string: {clen} bytes cannot expand to {ulen}"
                        ),
                    ));
                }
                let data = self.bytes(clen)?;
                lzf::decompress(&data, ulen as usize)
                    .ok_or_else(|| self.err_at(at, "Invalid LZF compressed string"))
            }
            Len::Special(e) => {
                Err(self.err_at(at, format!("Unknown RDB string encoding type {e}")))
            }
        }
    }

    /// A score in the old (type 3) format: a length byte, then that many
    /// bytes of text; 253/254/255 stand for nan/inf/-inf.
    fn text_double(&mut self) -> Result<f64, RdbError> {
        let at = self.pos();
        match self.u8()? {
            253 => Ok(f64::NAN),
            254 => Ok(f64::INFINITY),
            255 => Ok(f64::NEG_INFINITY),
            n => {
                let b = self.bytes(n as u64)?;
                std::str::from_utf8(&b)
                    .ok()
                    .and_then(|s| s.trim_start().parse().ok())
                    .ok_or_else(|| self.err_at(at, "invalid double value in RDB file"))
            }
        }
    }

    fn binary_double(&mut self) -> Result<f64, RdbError> {
        let mut x = [0u8; 8];
        self.read_into(&mut x)?;
        Ok(f64::from_le_bytes(x))
    }
}

/// Capacity for a collection that claims `n` elements: never more than a
/// small bound up front, the vector grows as elements really arrive.
fn cap(n: u64) -> usize {
    n.min(1024) as usize
}

fn read_value<R: BufRead>(src: &mut Src<R>, t: u8) -> Result<Option<RdbValue>, RdbError> {
    let at = src.pos();
    let bad = |src: &Src<R>, what: &str, e: String| src.err_at(at, format!("{what}: {e}"));
    let value = match t {
        types::STRING => RdbValue::String(src.string()?),
        types::LIST | types::SET => {
            let n = src.len()?;
            let mut v = Vec::with_capacity(cap(n));
            for _ in 0..n {
                v.push(src.string()?);
            }
            if t == types::LIST {
                RdbValue::List(v)
            } else {
                RdbValue::Set(v)
            }
        }
        types::ZSET | types::ZSET_2 => {
            let n = src.len()?;
            let mut v = Vec::with_capacity(cap(n));
            for _ in 0..n {
                let m = src.string()?;
                let s_at = src.pos();
                let s = if t == types::ZSET {
                    src.text_double()?
                } else {
                    src.binary_double()?
                };
                if s.is_nan() {
                    return Err(src.err_at(s_at, "Zset with NAN score detected"));
                }
                v.push((m, s));
            }
            RdbValue::ZSet(v)
        }
        types::HASH => {
            let n = src.len()?;
            let mut v = Vec::with_capacity(cap(n));
            for _ in 0..n {
                let f = src.string()?;
                let val = src.string()?;
                v.push((f, val));
            }
            RdbValue::Hash(v)
        }
        types::HASH_ZIPMAP => {
            let blob = src.string()?;
            let pairs = ziplist::decode_zipmap(&blob)
                .map_err(|e| bad(src, "Zipmap integrity check failed", e))?;
            RdbValue::Hash(
                pairs
                    .into_iter()
                    .map(|(k, v)| (k.to_vec(), v.to_vec()))
                    .collect(),
            )
        }
        types::LIST_ZIPLIST => {
            let blob = src.string()?;
            let items = ziplist::decode(&blob)
                .map_err(|e| bad(src, "Ziplist integrity check failed", e))?;
            RdbValue::List(items.iter().map(|e| e.to_vec()).collect())
        }
        types::SET_INTSET => {
            let blob = src.string()?;
            let items =
                intset::decode(&blob).map_err(|e| bad(src, "Intset integrity check failed", e))?;
            RdbValue::Set(items.iter().map(|v| v.to_string().into_bytes()).collect())
        }
        types::ZSET_ZIPLIST | types::ZSET_LISTPACK => {
            let blob = src.string()?;
            let items = if t == types::ZSET_ZIPLIST {
                ziplist::decode(&blob)
                    .map_err(|e| bad(src, "Zset ziplist integrity check failed", e))?
            } else {
                listpack::decode(&blob)
                    .map_err(|e| bad(src, "Zset listpack integrity check failed", e))?
            };
            if items.len() % 2 != 0 {
                return Err(src.err_at(at, "Zset encoding has an odd number of elements"));
            }
            let mut v = Vec::with_capacity(items.len() / 2);
            for pair in items.chunks_exact(2) {
                let score = pair[1].to_score().ok_or_else(|| {
                    src.err_at(at, "Zset encoding holds a score that is not a valid number")
                })?;
                v.push((pair[0].to_vec(), score));
            }
            RdbValue::ZSet(v)
        }
        types::HASH_ZIPLIST | types::HASH_LISTPACK => {
            let blob = src.string()?;
            let items = if t == types::HASH_ZIPLIST {
                ziplist::decode(&blob)
                    .map_err(|e| bad(src, "Hash ziplist integrity check failed", e))?
            } else {
                listpack::decode(&blob)
                    .map_err(|e| bad(src, "Hash listpack integrity check failed", e))?
            };
            if items.len() % 2 != 0 {
                return Err(src.err_at(at, "Hash encoding has an odd number of elements"));
            }
            RdbValue::Hash(
                items
                    .chunks_exact(2)
                    .map(|p| (p[0].to_vec(), p[1].to_vec()))
                    .collect(),
            )
        }
        types::LIST_QUICKLIST | types::LIST_QUICKLIST_2 => {
            let nodes = src.len()?;
            let mut v = Vec::new();
            for _ in 0..nodes {
                let node_at = src.pos();
                let container = if t == types::LIST_QUICKLIST_2 {
                    src.len()?
                } else {
                    CONTAINER_PACKED
                };
                let blob = src.string()?;
                match container {
                    CONTAINER_PLAIN => v.push(blob),
                    CONTAINER_PACKED => {
                        let items = if t == types::LIST_QUICKLIST {
                            ziplist::decode(&blob).map_err(|e| {
                                src.err_at(node_at, format!("Ziplist integrity check failed: {e}"))
                            })?
                        } else {
                            listpack::decode(&blob).map_err(|e| {
                                src.err_at(node_at, format!("Listpack integrity check failed: {e}"))
                            })?
                        };
                        v.extend(items.iter().map(|e| e.to_vec()));
                    }
                    c => {
                        return Err(src.err_at(
                            node_at,
                            format!("Quicklist integrity check failed: unknown container {c}"),
                        ));
                    }
                }
            }
            RdbValue::List(v)
        }
        types::MODULE_PRE_GA | types::MODULE_2 => {
            let id = src.len()?;
            return Err(src.err_at(
                at,
                format!(
                    "value of module type '{}' cannot be loaded: modules are not supported",
                    module_name(id)
                ),
            ));
        }
        types::STREAM_LISTPACKS | types::STREAM_LISTPACKS_2 => {
            RdbValue::Stream(Box::new(read_stream(src, t)?))
        }
        _ => return Err(src.err_at(at, format!("unknown RDB value type {t}"))),
    };
    let empty = match &value {
        RdbValue::String(_) => false,
        RdbValue::List(v) | RdbValue::Set(v) => v.is_empty(),
        RdbValue::Hash(v) => v.is_empty(),
        RdbValue::ZSet(v) => v.is_empty(),
        // An empty stream is a key like any other.
        RdbValue::Stream(_) => false,
    };
    Ok(if empty { None } else { Some(value) })
}

fn read_stream<R: BufRead>(
    src: &mut Src<R>,
    t: u8,
) -> Result<crate::types::stream::Stream, RdbError> {
    use crate::types::stream::{self, ConsumerGroup, Nack, Stream, StreamId};
    use std::sync::Arc;
    let at = src.pos();
    let mut st = Stream::new();
    let nodes = src.len()?;
    let mut live: u64 = 0;
    for _ in 0..nodes {
        let key_at = src.pos();
        let key = src.string()?;
        let Some(master) = StreamId::from_be_bytes(&key) else {
            return Err(src.err_at(
                key_at,
                "Stream node key entry is not the size of a stream ID",
            ));
        };
        let lp_at = src.pos();
        let lp = src.string()?;
        if lp.len() <= listpack::HEADER_SIZE + 1 {
            return Err(src.err_at(lp_at, "Empty listpack inside stream"));
        }
        stream::validate_node(&lp).map_err(|e| {
            src.err_at(
                lp_at,
                format!("Stream listpack integrity check failed: {e}"),
            )
        })?;
        if let Some(listpack::Entry::Int(n)) =
            listpack::decode(&lp).ok().and_then(|v| v.first().copied())
        {
            live += n.max(0) as u64;
        }
        if st.nodes.insert(master, Arc::new(lp)).is_some() {
            return Err(src.err_at(lp_at, "Listpack re-added with existing key"));
        }
    }
    st.length = src.len()?;
    st.last_id = StreamId::new(src.len()?, src.len()?);
    if t == types::STREAM_LISTPACKS_2 {
        st.first_id = StreamId::new(src.len()?, src.len()?);
        st.max_deleted_entry_id = StreamId::new(src.len()?, src.len()?);
        st.entries_added = src.len()?;
    } else {
        st.entries_added = st.length;
        st.first_id = st.edge_id(true, true).unwrap_or(StreamId::MAX);
    }
    // Ours: the length must be what the nodes hold, or later deletions
    // would leave nodes with nothing live in them.
    if st.length != live {
        return Err(src.err_at(at, "Stream length inconsistent with rax entries"));
    }
    let groups = src.len()?;
    for _ in 0..groups {
        let name_at = src.pos();
        let name = src.string()?;
        let last = StreamId::new(src.len()?, src.len()?);
        let entries_read = if t == types::STREAM_LISTPACKS_2 {
            src.len()? as i64
        } else {
            st.estimate_distance_from_first_ever_entry(last)
        };
        if st.cgroups.contains_key(&name) {
            return Err(src.err_at(name_at, "Duplicated consumer group name"));
        }
        let mut cg = ConsumerGroup::new(last, entries_read);
        let mut pending: std::collections::BTreeMap<StreamId, (i64, u64)> =
            std::collections::BTreeMap::new();
        let pel = src.len()?;
        for _ in 0..pel {
            let id_at = src.pos();
            let mut raw = [0u8; 16];
            src.read_into(&mut raw)?;
            let mut ms = [0u8; 8];
            src.read_into(&mut ms)?;
            let count = src.len()?;
            let id = StreamId::from_be_bytes(&raw).unwrap_or_default();
            if pending
                .insert(id, (i64::from_le_bytes(ms), count))
                .is_some()
            {
                return Err(src.err_at(
                    id_at,
                    "Duplicated global PEL entry loading stream consumer group",
                ));
            }
        }
        let consumers = src.len()?;
        for _ in 0..consumers {
            let c_at = src.pos();
            let cname = src.string()?;
            let mut seen = [0u8; 8];
            src.read_into(&mut seen)?;
            if !cg.create_consumer(&cname, i64::from_le_bytes(seen)) {
                return Err(src.err_at(c_at, "Duplicate stream consumer detected."));
            }
            let owner: Arc<[u8]> = Arc::from(cname.as_slice());
            let n = src.len()?;
            for _ in 0..n {
                let id_at = src.pos();
                let mut raw = [0u8; 16];
                src.read_into(&mut raw)?;
                let id = StreamId::from_be_bytes(&raw).unwrap_or_default();
                let Some((time, count)) = pending.remove(&id) else {
                    return Err(src.err_at(
                        id_at,
                        if cg.pel.contains_key(&id) {
                            "Duplicated consumer PEL entry  loading a stream consumer group"
                        } else {
                            "Consumer entry not found in group global PEL"
                        },
                    ));
                };
                cg.pel.insert(
                    id,
                    Nack {
                        delivery_time: time,
                        delivery_count: count,
                        consumer: owner.clone(),
                    },
                );
                if let Some(c) = cg.consumers.get_mut(cname.as_slice()) {
                    c.pel.insert(id);
                }
            }
        }
        if !pending.is_empty() {
            return Err(src.err_at(name_at, "Stream CG PEL entry without consumer"));
        }
        st.cgroups.insert(name, cg);
    }
    Ok(st)
}

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

/// How a value should be written. The server knows its in-memory encoding
/// and picks the variant; the writer does not second-guess it.
#[derive(Debug, Clone, Copy)]
pub enum SaveValue<'a> {
    /// Type 0. Integer-encoded when it is a canonical integer within 32 bits,
    /// LZF-compressed when asked and worth it, else raw.
    String(&'a [u8]),
    /// Type 18: a quicklist of PACKED listpack nodes of at most 8 KB, cut as
    /// Redis 7.0 cuts a list built by RPUSH with `list-max-listpack-size -2`.
    List(&'a [&'a [u8]]),
    /// Type 11: an intset at the narrowest width that holds every member.
    /// Members are sorted and deduplicated first if they are not already.
    SetIntset(&'a [i64]),
    /// Type 2: one string per member.
    Set(&'a [&'a [u8]]),
    /// Type 16: a listpack of field, value, field, value...
    HashListpack(&'a [(&'a [u8], &'a [u8])]),
    /// Type 4: one string per field and per value.
    Hash(&'a [(&'a [u8], &'a [u8])]),
    /// Type 17: a listpack of member, score, member, score... Give the
    /// members in ascending (score, member) order, the order a listpack
    /// zset keeps. Scores are stored as Redis 7.0 formats them (integral
    /// values as integers, others as `%.17g` text).
    ZSetListpack(&'a [(&'a [u8], f64)]),
    /// Type 5: member strings and 8-byte little-endian doubles. Give the
    /// members in ascending (score, member) order; they are written highest
    /// score first, as Redis does (so its loader inserts each at the head).
    ZSet(&'a [(&'a [u8], f64)]),
    /// Type 19: the stream's nodes as they are, its counters, its groups
    /// with their PELs and consumers (Redis 7.0's rdbSaveObject).
    Stream(&'a crate::types::stream::Stream),
}

/// The AUX fields a file starts with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaveInfo {
    /// `redis-ver`.
    pub redis_ver: String,
    /// `ctime`: when the file was made, Unix seconds.
    pub ctime: i64,
    /// `used-mem`: the server's memory use in bytes.
    pub used_mem: u64,
    /// `aof-base`: true when this RDB is the base of an AOF.
    pub aof_base: bool,
    /// Write the CRC-64 trailer (`rdbchecksum yes`); when false the trailer
    /// is 8 zero bytes, which loaders take as "not computed".
    pub checksum: bool,
}

impl SaveInfo {
    /// `redis-ver` 7.0.15, the current time, no memory figure, not an AOF
    /// base, checksum on.
    pub fn now() -> Self {
        let ctime = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        SaveInfo {
            redis_ver: "7.0.15".into(),
            ctime,
            used_mem: 0,
            aof_base: false,
            checksum: true,
        }
    }
}

/// Writes an RDB file one key at a time. Output is buffered internally;
/// `finish` writes the EOF opcode and the checksum and hands back `W`.
pub struct RdbWriter<W: Write> {
    w: Crc64Writer<BufWriter<W>>,
    checksum: bool,
}

impl<W: Write> RdbWriter<W> {
    /// Start a file with [`SaveInfo::now`]: `REDIS0010`, then the AUX
    /// fields `redis-ver`, `redis-bits`, `ctime`, `used-mem`, `aof-base`.
    pub fn new(w: W) -> io::Result<Self> {
        Self::with_info(w, &SaveInfo::now())
    }

    /// Start a file with the given AUX values.
    pub fn with_info(w: W, info: &SaveInfo) -> io::Result<Self> {
        let mut me = RdbWriter {
            w: Crc64Writer::new(BufWriter::with_capacity(64 * 1024, w)),
            checksum: info.checksum,
        };
        me.put(format!("REDIS{RDB_VERSION:04}").as_bytes())?;
        me.write_aux(b"redis-ver", info.redis_ver.as_bytes())?;
        me.write_aux(b"redis-bits", b"64")?;
        me.write_aux(b"ctime", info.ctime.to_string().as_bytes())?;
        me.write_aux(b"used-mem", info.used_mem.to_string().as_bytes())?;
        me.write_aux(b"aof-base", if info.aof_base { b"1" } else { b"0" })?;
        Ok(me)
    }

    /// A writer of RDB pieces without the file's header (FUNCTION DUMP's
    /// payload); `into_inner` hands the bytes back without EOF or checksum.
    pub fn bare(w: W) -> Self {
        RdbWriter {
            w: Crc64Writer::new(BufWriter::with_capacity(4096, w)),
            checksum: false,
        }
    }

    /// Flush and return the inner writer, writing nothing more.
    pub fn into_inner(self) -> io::Result<W> {
        self.w.into_inner().into_inner().map_err(|e| e.into_error())
    }

    /// One function library (FUNCTION2 and its source); before the first
    /// `select_db`, as Redis writes them.
    pub fn write_function(&mut self, code: &[u8]) -> io::Result<()> {
        self.put(&[opcodes::FUNCTION2])?;
        self.string(code, true)
    }

    /// One more AUX field (for example `repl-id`); call before the first
    /// `select_db`.
    pub fn write_aux(&mut self, key: &[u8], value: &[u8]) -> io::Result<()> {
        self.put(&[opcodes::AUX])?;
        self.string(key, true)?;
        self.string(value, true)
    }

    /// Start a database: SELECTDB, then RESIZEDB with its key count and the
    /// number of keys with an expiry. Redis writes only non-empty databases.
    pub fn select_db(&mut self, db: usize, db_size: u64, expires_size: u64) -> io::Result<()> {
        self.put(&[opcodes::SELECTDB])?;
        self.len(db as u64)?;
        self.put(&[opcodes::RESIZEDB])?;
        self.len(db_size)?;
        self.len(expires_size)
    }

    /// Write one key: its expiry (EXPIRETIME_MS, absolute Unix ms) if any,
    /// its type, the key and the value. `compress` is `rdbcompression`: it
    /// allows LZF for the key, string values, and listpack/intset blobs.
    pub fn write_entry(
        &mut self,
        key: &[u8],
        value: &SaveValue<'_>,
        expire_ms: Option<i64>,
        compress: bool,
    ) -> io::Result<()> {
        if let Some(ms) = expire_ms {
            self.put(&[opcodes::EXPIRETIME_MS])?;
            self.put(&ms.to_le_bytes())?;
        }
        self.put(&[value_type(value)])?;
        self.string(key, compress)?;
        self.value_body(value, compress)
    }

    /// A value with its type byte and no key: what DUMP serializes.
    pub fn write_value(&mut self, value: &SaveValue<'_>, compress: bool) -> io::Result<()> {
        self.put(&[value_type(value)])?;
        self.value_body(value, compress)
    }

    fn value_body(&mut self, value: &SaveValue<'_>, compress: bool) -> io::Result<()> {
        match *value {
            SaveValue::String(s) => self.string(s, compress),
            SaveValue::List(items) => self.list(items, compress),
            SaveValue::SetIntset(members) => {
                let blob = if members.windows(2).all(|w| w[0] < w[1]) {
                    intset::encode(members)
                } else {
                    let mut m = members.to_vec();
                    m.sort_unstable();
                    m.dedup();
                    intset::encode(&m)
                };
                self.string(&blob, compress)
            }
            SaveValue::Set(members) => {
                self.len(members.len() as u64)?;
                for m in members {
                    self.string(m, compress)?;
                }
                Ok(())
            }
            SaveValue::HashListpack(pairs) => {
                let mut lp = listpack::ListpackBuilder::new();
                for (f, v) in pairs {
                    lp.push(f);
                    lp.push(v);
                }
                let blob = finish_listpack(lp)?;
                self.string(&blob, compress)
            }
            SaveValue::Hash(pairs) => {
                self.len(pairs.len() as u64)?;
                for (f, v) in pairs {
                    self.string(f, compress)?;
                    self.string(v, compress)?;
                }
                Ok(())
            }
            SaveValue::ZSetListpack(items) => {
                let mut lp = listpack::ListpackBuilder::new();
                for (m, s) in items {
                    lp.push(m);
                    lp.push(d2string(*s).as_bytes());
                }
                let blob = finish_listpack(lp)?;
                self.string(&blob, compress)
            }
            SaveValue::ZSet(items) => {
                self.len(items.len() as u64)?;
                for (m, s) in items.iter().rev() {
                    self.string(m, compress)?;
                    self.put(&s.to_le_bytes())?;
                }
                Ok(())
            }
            SaveValue::Stream(st) => self.stream(st, compress),
        }
    }

    fn stream(&mut self, st: &crate::types::stream::Stream, compress: bool) -> io::Result<()> {
        self.len(st.nodes.len() as u64)?;
        for (id, lp) in &st.nodes {
            self.string(&id.to_be_bytes(), compress)?;
            self.string(lp, compress)?;
        }
        self.len(st.length)?;
        self.len(st.last_id.ms)?;
        self.len(st.last_id.seq)?;
        self.len(st.first_id.ms)?;
        self.len(st.first_id.seq)?;
        self.len(st.max_deleted_entry_id.ms)?;
        self.len(st.max_deleted_entry_id.seq)?;
        self.len(st.entries_added)?;
        self.len(st.cgroups.len() as u64)?;
        for (name, cg) in &st.cgroups {
            self.string(name, compress)?;
            self.len(cg.last_id.ms)?;
            self.len(cg.last_id.seq)?;
            self.len(cg.entries_read as u64)?;
            self.len(cg.pel.len() as u64)?;
            for (id, nack) in &cg.pel {
                self.put(&id.to_be_bytes())?;
                self.put(&nack.delivery_time.to_le_bytes())?;
                self.len(nack.delivery_count)?;
            }
            self.len(cg.consumers.len() as u64)?;
            for c in cg.consumers.values() {
                self.string(&c.name, compress)?;
                self.put(&c.seen_time.to_le_bytes())?;
                self.len(c.pel.len() as u64)?;
                for id in &c.pel {
                    self.put(&id.to_be_bytes())?;
                }
            }
        }
        Ok(())
    }

    /// Bytes written so far (before buffering).
    pub fn bytes_written(&self) -> u64 {
        self.w.written()
    }

    /// Write EOF and the checksum, flush, and return the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.put(&[opcodes::EOF])?;
        let crc = if self.checksum { self.w.crc() } else { 0 };
        self.put(&crc.to_le_bytes())?;
        let mut w = self
            .w
            .into_inner()
            .into_inner()
            .map_err(|e| e.into_error())?;
        w.flush()?;
        Ok(w)
    }

    fn put(&mut self, b: &[u8]) -> io::Result<()> {
        self.w.write_all(b)
    }

    fn len(&mut self, n: u64) -> io::Result<()> {
        if n < 1 << 6 {
            self.put(&[n as u8])
        } else if n < 1 << 14 {
            self.put(&[0x40 | (n >> 8) as u8, (n & 0xff) as u8])
        } else if n <= u32::MAX as u64 {
            self.put(&[0x80])?;
            self.put(&(n as u32).to_be_bytes())
        } else {
            self.put(&[0x81])?;
            self.put(&n.to_be_bytes())
        }
    }

    /// Redis's string rules: a canonical integer of at most 11 characters
    /// that fits 32 bits is stored as an integer; else, with compression on
    /// and more than 20 bytes, LZF when it saves at least 4 bytes; else raw.
    fn string(&mut self, s: &[u8], compress: bool) -> io::Result<()> {
        if s.len() <= 11
            && let Some(v) = string2ll(s)
        {
            if let Ok(v) = i8::try_from(v) {
                return self.put(&[0xC0, v as u8]);
            } else if let Ok(v) = i16::try_from(v) {
                self.put(&[0xC1])?;
                return self.put(&v.to_le_bytes());
            } else if let Ok(v) = i32::try_from(v) {
                self.put(&[0xC2])?;
                return self.put(&v.to_le_bytes());
            }
        }
        if compress
            && s.len() > 20
            && let Some(c) = lzf::compress(s, s.len() - 4)
        {
            self.put(&[0xC3])?;
            self.len(c.len() as u64)?;
            self.len(s.len() as u64)?;
            return self.put(&c);
        }
        self.len(s.len() as u64)?;
        self.put(s)
    }

    fn list(&mut self, items: &[&[u8]], compress: bool) -> io::Result<()> {
        enum Node<'a> {
            Packed(Vec<u8>),
            Plain(&'a [u8]),
        }
        let mut nodes: Vec<Node<'_>> = Vec::new();
        let mut cur: Option<listpack::ListpackBuilder> = None;
        let threshold = LIST_PACKED_THRESHOLD.load(std::sync::atomic::Ordering::Relaxed);
        for &e in items {
            if e.len() >= threshold {
                if let Some(lp) = cur.take() {
                    nodes.push(Node::Packed(finish_listpack(lp)?));
                }
                nodes.push(Node::Plain(e));
                continue;
            }
            // Redis's rule: an element joins the current node while the
            // node's bytes + the element's length + 8 stay within 8 KB.
            if let Some(lp) = &cur
                && lp.bytes() + e.len() + LIST_NODE_ESTIMATE_OVERHEAD > LIST_NODE_MAX_BYTES
                && let Some(lp) = cur.take()
            {
                nodes.push(Node::Packed(finish_listpack(lp)?));
            }
            cur.get_or_insert_with(listpack::ListpackBuilder::new)
                .push(e);
        }
        if let Some(lp) = cur.take() {
            nodes.push(Node::Packed(finish_listpack(lp)?));
        }
        self.len(nodes.len() as u64)?;
        for n in &nodes {
            match n {
                Node::Packed(blob) => {
                    self.len(CONTAINER_PACKED)?;
                    self.string(blob, compress)?;
                }
                Node::Plain(e) => {
                    self.len(CONTAINER_PLAIN)?;
                    self.string(e, compress)?;
                }
            }
        }
        Ok(())
    }
}

/// The RDB type byte a value is written with.
fn value_type(value: &SaveValue<'_>) -> u8 {
    match value {
        SaveValue::String(_) => types::STRING,
        SaveValue::List(_) => types::LIST_QUICKLIST_2,
        SaveValue::SetIntset(_) => types::SET_INTSET,
        SaveValue::Set(_) => types::SET,
        SaveValue::HashListpack(_) => types::HASH_LISTPACK,
        SaveValue::Hash(_) => types::HASH,
        SaveValue::ZSetListpack(_) => types::ZSET_LISTPACK,
        SaveValue::ZSet(_) => types::ZSET_2,
        SaveValue::Stream(_) => types::STREAM_LISTPACKS_2,
    }
}

fn finish_listpack(lp: listpack::ListpackBuilder) -> io::Result<Vec<u8>> {
    lp.finish().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "listpack larger than 4 GB: use the hashtable/skiplist encoding",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> SaveInfo {
        SaveInfo {
            redis_ver: "7.0.15".into(),
            ctime: 1_700_000_000,
            used_mem: 1_000_000,
            aof_base: false,
            checksum: true,
        }
    }

    fn write(entries: &[(&[u8], SaveValue<'_>, Option<i64>)], compress: bool) -> Vec<u8> {
        let mut w = RdbWriter::with_info(Vec::new(), &info()).unwrap();
        w.select_db(0, entries.len() as u64, 0).unwrap();
        for (k, v, e) in entries {
            w.write_entry(k, v, *e, compress).unwrap();
        }
        w.finish().unwrap()
    }

    fn read(file: &[u8]) -> Result<Vec<RdbEntry>, RdbError> {
        let mut out = Vec::new();
        load(file, |e| {
            out.push(e);
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn string_encodings() {
        for (s, first) in [
            (&b"-5"[..], 0xC0u8),
            (b"12345", 0xC1),
            (b"100000", 0xC2),
            (b"-2147483648", 0xC2),
            (b"2147483648", 10),
            (b"007", 3),
            (b"-0", 2),
            (b"", 0),
        ] {
            let mut w = RdbWriter::with_info(Vec::new(), &info()).unwrap();
            let before = w.bytes_written();
            w.string(s, true).unwrap();
            let file = w.finish().unwrap();
            assert_eq!(
                file[before as usize],
                first,
                "{:?}",
                String::from_utf8_lossy(s)
            );
        }
        let a = vec![b'a'; 200];
        let file = write(&[(b"k", SaveValue::String(&a), None)], true);
        assert!(file.contains(&0xC3));
        assert_eq!(read(&file).unwrap()[0].value, RdbValue::String(a.clone()));
        let file = write(&[(b"k", SaveValue::String(&a), None)], false);
        assert!(file.len() > 200);
        assert_eq!(read(&file).unwrap()[0].value, RdbValue::String(a));
    }

    #[test]
    fn lengths_round_trip() {
        for n in [
            0u64,
            63,
            64,
            16383,
            16384,
            u32::MAX as u64,
            u32::MAX as u64 + 1,
            u64::MAX,
        ] {
            let mut w = RdbWriter::with_info(Vec::new(), &info()).unwrap();
            let before = w.bytes_written() as usize;
            w.len(n).unwrap();
            let file = w.finish().unwrap();
            let mut src = Src {
                r: Crc64Reader::new(&file[before..]),
            };
            assert_eq!(src.len().unwrap(), n);
        }
    }

    #[test]
    fn list_nodes_are_cut_like_redis() {
        // 20-byte elements: 371 per node (6 + 371 * 22 + 1 = 8169 bytes).
        let items: Vec<Vec<u8>> = (1..=2000)
            .map(|i| format!("element-{i:012}").into_bytes())
            .collect();
        let refs: Vec<&[u8]> = items.iter().map(|v| v.as_slice()).collect();
        let file = write(&[(b"l", SaveValue::List(&refs), None)], false);
        // type, key, node count right after the RESIZEDB.
        let p = file
            .iter()
            .position(|&b| b == types::LIST_QUICKLIST_2)
            .unwrap();
        assert_eq!(file[p + 3], 6);
        // PACKED, a 14-bit string length 8169, the listpack's header.
        assert_eq!(
            &file[p + 4..p + 13],
            &[2, 0x5F, 0xE9, 0xE9, 0x1F, 0, 0, 0x73, 0x01]
        );
        assert_eq!(read(&file).unwrap()[0].value, RdbValue::List(items));
    }

    #[test]
    fn zset_scores_and_order() {
        let items: Vec<(&[u8], f64)> = vec![
            (b"ninf", f64::NEG_INFINITY),
            (b"three", -3.0),
            (b"tenth", 0.1),
            (b"one", 1.0),
            (b"two", 2.5),
            (b"pinf", f64::INFINITY),
        ];
        let file = write(
            &[
                (b"lp", SaveValue::ZSetListpack(&items), None),
                (b"sl", SaveValue::ZSet(&items), Some(123)),
            ],
            false,
        );
        let got = read(&file).unwrap();
        let want: Vec<(Vec<u8>, f64)> = items.iter().map(|(m, s)| (m.to_vec(), *s)).collect();
        assert_eq!(got[0].value, RdbValue::ZSet(want.clone()));
        let mut rev = want;
        rev.reverse();
        assert_eq!(got[1].value, RdbValue::ZSet(rev));
        assert_eq!(got[1].expire_ms, Some(123));
        assert!(file.windows(19).any(|w| w == b"0.10000000000000001"));
    }

    #[test]
    fn module_names() {
        // "MyType123" with encoding version 0.
        let charset = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut id = 0u64;
        for c in b"MyType123" {
            id = (id << 6) | charset.iter().position(|x| x == c).unwrap() as u64;
        }
        id <<= 10;
        assert_eq!(module_name(id), "MyType123");
    }

    #[test]
    fn buffered_load_stops_after_the_checksum() {
        let mut file = write(&[(b"k", SaveValue::String(b"v"), None)], true);
        file.extend_from_slice(b"*1\r\n$4\r\nPING\r\n");
        let mut r = io::BufReader::with_capacity(5, &file[..]);
        let mut n = 0;
        load_buffered(&mut r, |_| {
            n += 1;
            Ok(())
        })
        .unwrap();
        assert_eq!(n, 1);
        let mut rest = Vec::new();
        r.read_to_end(&mut rest).unwrap();
        assert_eq!(rest, b"*1\r\n$4\r\nPING\r\n");
    }
}
