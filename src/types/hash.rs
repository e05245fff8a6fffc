//! The hash type: fields and values alternating in one `Packed` buffer
//! while small (insertion order, as Redis's listpack), a `Dict` once it passes
//! hash-max-listpack-entries or a field/value passes hash-max-listpack-value.
//!
//! The conversion is one-way, as in Redis: a hash that became a table stays
//! one even when fields are deleted.

use super::packed::{self, Packed};
use crate::dict::Dict;
use crate::sds::Sds;
use crate::util::rand;
use std::collections::HashSet;

#[derive(Clone)]
pub enum Hash {
    Listpack(Packed),
    Table(Box<Dict<Sds>>),
}

impl Default for Hash {
    fn default() -> Self {
        Hash::Listpack(Packed::default())
    }
}

/// The (field, value) slots of a packed hash, in order.
struct Pairs<'a>(packed::Iter<'a>);

impl<'a> Iterator for Pairs<'a> {
    type Item = (packed::Slot<'a>, packed::Slot<'a>);
    fn next(&mut self) -> Option<Self::Item> {
        Some((self.0.next_slot()?, self.0.next_slot()?))
    }
}

fn pairs(p: &Packed) -> Pairs<'_> {
    Pairs(p.iter())
}

/// The slots of `field` and its value in a packed hash.
fn find<'a>(p: &'a Packed, field: &[u8]) -> Option<(packed::Slot<'a>, packed::Slot<'a>)> {
    pairs(p).find(|(f, _)| f.data == field)
}

/// The two thresholds that decide when a listpack becomes a table
/// (hash-max-listpack-entries and hash-max-listpack-value).
#[derive(Clone, Copy, Debug)]
pub struct HashLimits {
    pub max_entries: u64,
    pub max_value: u64,
}

/// Iterator over a hash's (field, value) pairs, in encoding order.
pub enum HashIter<'a> {
    Listpack(packed::Iter<'a>),
    Table(Box<dyn Iterator<Item = (&'a [u8], &'a [u8])> + 'a>),
}

impl<'a> Iterator for HashIter<'a> {
    type Item = (&'a [u8], &'a [u8]);
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            HashIter::Listpack(it) => Some((it.next()?, it.next()?)),
            HashIter::Table(it) => it.next(),
        }
    }
}

impl Hash {
    pub fn len(&self) -> usize {
        match self {
            Hash::Listpack(p) => p.len() / 2,
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

    /// The value of `field`.
    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match self {
            Hash::Listpack(p) => find(p, field).map(|(_, v)| v.data),
            Hash::Table(d) => d.get(field).map(|v| v.as_bytes()),
        }
    }

    pub fn contains(&self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    /// Set `field` to `value` (Redis's hashTypeSet); true when the field is
    /// new. A listpack keeps an overwritten field where it was and appends
    /// a new one; it becomes a table when the field or value is longer than
    /// `max_value` bytes or the hash grows past `max_entries` fields.
    pub fn set(&mut self, field: &[u8], value: &[u8], lim: HashLimits) -> bool {
        if matches!(self, Hash::Listpack(_))
            && (field.len() as u64 > lim.max_value || value.len() as u64 > lim.max_value)
        {
            self.convert();
        }
        let (created, too_many) = match self {
            Hash::Listpack(p) => {
                if let Some((_, v)) = find(p, field) {
                    let (start, end) = (v.start, v.end);
                    p.splice(start, end, 1, &[value]);
                    (false, false)
                } else {
                    p.push(&[field, value]);
                    (true, (p.len() / 2) as u64 > lim.max_entries)
                }
            }
            Hash::Table(d) => (d.insert(Sds::new(field), Sds::new(value)).is_none(), false),
        };
        if too_many {
            self.convert();
        }
        created
    }

    /// Remove `field`; true if it was there. A table shrinks when mostly
    /// empty, as Redis's hashTypeDelete does.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match self {
            Hash::Listpack(p) => match find(p, field) {
                Some((f, v)) => {
                    let (start, end) = (f.start, v.end);
                    p.splice(start, end, 2, &[]);
                    true
                }
                None => false,
            },
            Hash::Table(d) => {
                let removed = d.remove(field).is_some();
                if removed {
                    d.shrink_if_needed();
                }
                removed
            }
        }
    }

    /// Turn a listpack into a table (no-op for a table).
    pub fn convert(&mut self) {
        if let Hash::Listpack(p) = self {
            let mut d = Dict::new();
            for (f, v) in pairs(p) {
                d.insert_new(Sds::new(f.data), Sds::new(v.data));
            }
            *self = Hash::Table(Box::new(d));
        }
    }

    /// Every (field, value) pair: insertion order for a listpack, table
    /// order for a table.
    pub fn iter(&self) -> HashIter<'_> {
        match self {
            Hash::Listpack(p) => HashIter::Listpack(p.iter()),
            Hash::Table(d) => HashIter::Table(Box::new(
                d.iter().map(|e| (e.key.as_bytes(), e.value.as_bytes())),
            )),
        }
    }

    /// One uniformly chosen pair (per bucket for a table, like Redis's
    /// dictGetRandomKey), or None when empty.
    pub fn random_pair(&self) -> Option<(&[u8], &[u8])> {
        match self {
            Hash::Listpack(p) => {
                if p.is_empty() {
                    return None;
                }
                pairs(p)
                    .nth(rand::below(p.len() / 2))
                    .map(|(f, v)| (f.data, v.data))
            }
            Hash::Table(d) => d
                .random_entry()
                .map(|e| (e.key.as_bytes(), e.value.as_bytes())),
        }
    }

    /// `count` distinct pairs (at most `len`), in no particular order, as
    /// Redis 7.0 answers them for either encoding.
    pub fn random_distinct(&self, count: usize) -> Vec<(&[u8], &[u8])> {
        let len = self.len();
        let count = count.min(len);
        if count.saturating_mul(3) > len {
            // Most of the hash: a partial shuffle of every pair.
            let mut all: Vec<(&[u8], &[u8])> = self.iter().collect();
            for i in 0..count {
                let j = i + rand::below(all.len() - i);
                all.swap(i, j);
            }
            all.truncate(count);
            all
        } else {
            let mut seen: HashSet<&[u8]> = HashSet::with_capacity(count);
            let mut out = Vec::with_capacity(count);
            while out.len() < count {
                let Some((f, v)) = self.random_pair() else {
                    break;
                };
                if seen.insert(f) {
                    out.push((f, v));
                }
            }
            out
        }
    }

    /// One HSCAN step: calls `f` for each pair visited and returns the next
    /// cursor. A listpack is visited whole and answers cursor 0.
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(&[u8], &[u8])) -> u64 {
        match self {
            Hash::Listpack(p) => {
                for (k, v) in pairs(p) {
                    f(k.data, v.data);
                }
                0
            }
            Hash::Table(d) => d.scan(cursor, |e| f(&e.key, &e.value)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIM: HashLimits = HashLimits {
        max_entries: 4,
        max_value: 8,
    };

    fn fields(h: &Hash) -> Vec<Vec<u8>> {
        h.iter().map(|(f, _)| f.to_vec()).collect()
    }

    #[test]
    fn listpack_keeps_insertion_order_and_updates_in_place() {
        let mut h = Hash::default();
        assert!(h.set(b"b", b"1", LIM));
        assert!(h.set(b"a", b"2", LIM));
        assert!(!h.set(b"b", b"3", LIM));
        assert_eq!(fields(&h), vec![b"b".to_vec(), b"a".to_vec()]);
        assert_eq!(h.get(b"b"), Some(&b"3"[..]));
        assert_eq!(h.get(b"z"), None);
        assert_eq!(h.encoding(), "listpack");
        assert!(h.remove(b"b"));
        assert!(!h.remove(b"b"));
        assert_eq!(h.len(), 1);
    }

    #[test]
    fn converts_past_entry_and_value_limits_one_way() {
        let mut h = Hash::default();
        for i in 0..4 {
            h.set(format!("f{i}").as_bytes(), b"v", LIM);
        }
        assert_eq!(h.encoding(), "listpack");
        h.set(b"f4", b"v", LIM);
        assert_eq!(h.encoding(), "hashtable");
        for i in 0..5 {
            assert!(h.remove(format!("f{i}").as_bytes()));
        }
        assert!(h.is_empty());
        assert_eq!(h.encoding(), "hashtable");

        let mut h = Hash::default();
        h.set(b"12345678", b"12345678", LIM);
        assert_eq!(h.encoding(), "listpack");
        h.set(b"a", b"123456789", LIM);
        assert_eq!(h.encoding(), "hashtable");
        assert_eq!(h.get(b"12345678"), Some(&b"12345678"[..]));

        let mut h = Hash::default();
        h.set(b"123456789", b"", LIM);
        assert_eq!(h.encoding(), "hashtable");
    }

    #[test]
    fn random_picks_are_members_and_distinct() {
        for n in [3usize, 10, 100] {
            let lim = HashLimits {
                max_entries: 16,
                max_value: 64,
            };
            let mut h = Hash::default();
            for i in 0..n {
                h.set(format!("f{i}").as_bytes(), format!("v{i}").as_bytes(), lim);
            }
            for count in [0, 1, 2, n / 2, n - 1] {
                let picks = h.random_distinct(count);
                assert_eq!(picks.len(), count);
                let set: HashSet<_> = picks.iter().map(|(f, _)| f.to_vec()).collect();
                assert_eq!(set.len(), count);
                for (f, v) in &picks {
                    assert_eq!(h.get(f), Some(*v));
                }
            }
            let (f, v) = h.random_pair().unwrap();
            assert_eq!(h.get(f), Some(v));
        }
        assert!(Hash::default().random_pair().is_none());
    }

    #[test]
    fn scan_visits_every_pair() {
        let lim = HashLimits {
            max_entries: 8,
            max_value: 64,
        };
        for n in [5usize, 1000] {
            let mut h = Hash::default();
            for i in 0..n {
                h.set(format!("f{i}").as_bytes(), b"v", lim);
            }
            let mut seen = HashSet::new();
            let mut cursor = 0;
            loop {
                cursor = h.scan(cursor, |f, _| {
                    seen.insert(f.to_vec());
                });
                if cursor == 0 {
                    break;
                }
            }
            assert_eq!(seen.len(), n);
        }
    }
}
