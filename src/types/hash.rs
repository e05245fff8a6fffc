//! The hash type: a listpack-like vector of (field, value) pairs while small
//! (insertion order, as Redis's listpack), a `Dict` once it passes
//! hash-max-listpack-entries or a field/value passes hash-max-listpack-value.

use crate::db::dict::Dict;
use crate::sds::Sds;

#[derive(Clone)]
pub enum Hash {
    Listpack(Vec<(Sds, Sds)>),
    Table(Dict<Sds>),
}

impl Default for Hash {
    fn default() -> Self {
        Hash::Listpack(Vec::new())
    }
}

impl Hash {
    pub fn len(&self) -> usize {
        match self {
            Hash::Listpack(v) => v.len(),
            Hash::Table(d) => d.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn encoding(&self) -> &'static str {
        match self {
            Hash::Listpack(_) => "listpack",
            Hash::Table(_) => "hashtable",
        }
    }
}
