//! The set type: a sorted vector of integers while every member is an
//! integer and there are few (Redis's intset, set-max-intset-entries), a
//! `Dict` otherwise.

use crate::db::dict::Dict;

#[derive(Clone)]
pub enum Set {
    Intset(Vec<i64>),
    Table(Dict<()>),
}

impl Default for Set {
    fn default() -> Self {
        Set::Intset(Vec::new())
    }
}

impl Set {
    pub fn len(&self) -> usize {
        match self {
            Set::Intset(v) => v.len(),
            Set::Table(d) => d.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn encoding(&self) -> &'static str {
        match self {
            Set::Intset(_) => "intset",
            Set::Table(_) => "hashtable",
        }
    }
}
