//! Values stored in the keyspace, after Redis's robj (object.c).
//!
//! A string value is one of Redis's three encodings: `int`, `embstr` (short,
//! stored inline here when it fits in 14 bytes) or `raw`. Larger payloads sit
//! under an `Arc`, so a snapshot that shares a keyspace chunk shares the
//! bytes too and a write clones only the one value it changes.

pub mod hash;
pub mod hll;
pub mod list;
pub mod packed;
pub mod set;
pub mod stream;
pub mod zset;

use crate::util::num::string2ll;
use hash::Hash;
use list::List;
use set::Set;
use std::sync::Arc;
use stream::Stream;
use zset::ZSet;

const SMALL_CAP: usize = 14;
/// Redis's OBJ_ENCODING_EMBSTR_SIZE_LIMIT.
pub const EMBSTR_SIZE_LIMIT: usize = 44;

/// A value as stored: a string in one of Redis's encodings, or a
/// collection under an `Arc` (a write to one a snapshot shares clones it).
#[derive(Clone)]
pub enum Value {
    /// Encoding `int`: a string that is a canonical 64-bit integer.
    Int(i64),
    /// Encoding `embstr`, stored inline.
    Small(u8, [u8; SMALL_CAP]),
    /// Encoding `embstr` up to 44 bytes, `raw` beyond.
    Emb(Arc<Vec<u8>>),
    /// Encoding `raw` whatever its length: the result of APPEND/SETRANGE,
    /// as Redis's in-place string edits leave it.
    Raw(Arc<Vec<u8>>),
    List(Arc<List>),
    Hash(Arc<Hash>),
    Set(Arc<Set>),
    ZSet(Arc<ZSet>),
    Stream(Arc<Stream>),
}

/// A collection type stored under `Arc` in a `Value` variant: lets the
/// typed lookups (`Server::read_as` / `write_as`) serve every family.
pub trait Kind: Clone {
    fn of(v: &Value) -> Option<&Arc<Self>>;
    fn of_mut(v: &mut Value) -> Option<&mut Arc<Self>>;
}

macro_rules! kind {
    ($t:ty, $variant:ident) => {
        impl Kind for $t {
            fn of(v: &Value) -> Option<&Arc<Self>> {
                if let Value::$variant(x) = v {
                    Some(x)
                } else {
                    None
                }
            }
            fn of_mut(v: &mut Value) -> Option<&mut Arc<Self>> {
                if let Value::$variant(x) = v {
                    Some(x)
                } else {
                    None
                }
            }
        }
    };
}
kind!(List, List);
kind!(Hash, Hash);
kind!(Set, Set);
kind!(ZSet, ZSet);
kind!(Stream, Stream);

/// A keyspace value plus its LRU clock (seconds), for OBJECT IDLETIME.
#[derive(Clone)]
pub struct Object {
    pub value: Value,
    pub lru: u32,
    /// A small integer Redis would not share (COPY duplicates shared
    /// integers into private objects); only OBJECT REFCOUNT can tell.
    pub unshared: bool,
}

impl Object {
    pub fn new(value: Value, lru: u32) -> Object {
        Object {
            value,
            lru,
            unshared: false,
        }
    }
}

/// Redis's TYPE names.
pub const TYPE_STRING: &str = "string";
pub const TYPE_LIST: &str = "list";
pub const TYPE_HASH: &str = "hash";
pub const TYPE_SET: &str = "set";
pub const TYPE_ZSET: &str = "zset";
pub const TYPE_STREAM: &str = "stream";

impl Value {
    /// Build a string value the way Redis's `tryObjectEncoding` would.
    pub fn from_bytes(b: &[u8]) -> Value {
        if b.len() <= 20
            && let Some(i) = string2ll(b)
        {
            return Value::Int(i);
        }
        Value::from_bytes_no_int(b)
    }

    /// A string as Redis's createStringObject makes it: embstr or raw by
    /// length, never int (INCRBYFLOAT results).
    pub fn from_bytes_no_int(b: &[u8]) -> Value {
        if b.len() <= SMALL_CAP {
            let mut buf = [0u8; SMALL_CAP];
            buf[..b.len()].copy_from_slice(b);
            Value::Small(b.len() as u8, buf)
        } else {
            Value::Emb(Arc::new(b.to_vec()))
        }
    }

    /// As `from_bytes`, reusing the argument's buffer for long values.
    pub fn from_vec(v: Vec<u8>) -> Value {
        if v.len() <= EMBSTR_SIZE_LIMIT {
            Value::from_bytes(&v)
        } else {
            Value::Emb(Arc::new(v))
        }
    }

    pub fn raw(v: Vec<u8>) -> Value {
        Value::Raw(Arc::new(v))
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Value::List(_) => TYPE_LIST,
            Value::Hash(_) => TYPE_HASH,
            Value::Set(_) => TYPE_SET,
            Value::ZSet(_) => TYPE_ZSET,
            Value::Stream(_) => TYPE_STREAM,
            _ => TYPE_STRING,
        }
    }

    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Int(_) => "int",
            Value::Small(..) => "embstr",
            Value::Emb(v) if v.len() <= EMBSTR_SIZE_LIMIT => "embstr",
            Value::Emb(_) | Value::Raw(_) => "raw",
            Value::List(_) => "quicklist",
            Value::Hash(h) => h.encoding(),
            Value::Set(s) => s.encoding(),
            Value::ZSet(z) => z.encoding(),
            Value::Stream(_) => "stream",
        }
    }

    pub fn is_string(&self) -> bool {
        matches!(
            self,
            Value::Int(_) | Value::Small(..) | Value::Emb(_) | Value::Raw(_)
        )
    }

    /// The string's bytes; integers are formatted into `scratch`.
    pub fn str_bytes<'a>(&'a self, scratch: &'a mut [u8; 20]) -> &'a [u8] {
        match self {
            Value::Int(i) => {
                let mut n = 0;
                let mut v = i.unsigned_abs();
                let mut tmp = [0u8; 20];
                loop {
                    tmp[n] = b'0' + (v % 10) as u8;
                    n += 1;
                    v /= 10;
                    if v == 0 {
                        break;
                    }
                }
                let mut len = 0;
                if *i < 0 {
                    scratch[0] = b'-';
                    len = 1;
                }
                for d in tmp[..n].iter().rev() {
                    scratch[len] = *d;
                    len += 1;
                }
                &scratch[..len]
            }
            Value::Small(len, buf) => &buf[..*len as usize],
            Value::Emb(v) | Value::Raw(v) => v,
            // Callers check is_string first; a collection has no bytes.
            Value::List(_) | Value::Hash(_) | Value::Set(_) | Value::ZSet(_) | Value::Stream(_) => {
                &[]
            }
        }
    }

    pub fn to_vec(&self) -> Vec<u8> {
        let mut s = [0u8; 20];
        self.str_bytes(&mut s).to_vec()
    }

    pub fn str_len(&self) -> usize {
        match self {
            Value::Int(i) => {
                let mut s = [0u8; 20];
                Value::Int(*i).str_bytes(&mut s).len()
            }
            Value::Small(len, _) => *len as usize,
            Value::Emb(v) | Value::Raw(v) => v.len(),
            Value::List(_) | Value::Hash(_) | Value::Set(_) | Value::ZSet(_) | Value::Stream(_) => {
                0
            }
        }
    }

    /// The integer this string holds, if it is one (Redis's getLongLongFromObject).
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            other => {
                let mut s = [0u8; 20];
                string2ll(other.str_bytes(&mut s))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn value_is_two_words_and_encodes_like_redis() {
        assert_eq!(std::mem::size_of::<Value>(), 16);
        assert_eq!(Value::from_bytes(b"123").encoding(), "int");
        assert_eq!(Value::from_bytes(b"0123").encoding(), "embstr");
        assert_eq!(Value::from_bytes(&[b'a'; 44]).encoding(), "embstr");
        assert_eq!(Value::from_bytes(&[b'a'; 45]).encoding(), "raw");
        assert_eq!(
            Value::from_bytes(b"-9223372036854775808").to_vec(),
            b"-9223372036854775808"
        );
        assert_eq!(Value::from_bytes(b"hello").to_vec(), b"hello");
    }
}
