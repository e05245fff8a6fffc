//! The set type: a sorted vector of integers while every member is an
//! integer and there are few (Redis's intset, set-max-intset-entries); a
//! `Packed` buffer while small (at most 128 members of at most 64 bytes,
//! Redis 7.2's listpack sets); a `Dict` otherwise. Redis 7.0 stores small
//! string sets as hash tables, so OBJECT ENCODING says `hashtable` for a
//! packed set too: the compact form is ours, the reply is Redis's. Member
//! order of a non-intset set is unspecified either way.
//!
//! A member is an intset integer when Redis's `string2ll` accepts it (so
//! "01", "+1", "-0" and " 1" are strings). The conversion is one-way.

use super::packed::{self, Packed};
use crate::dict::Dict;
use crate::sds::Sds;
use crate::util::num::string2ll;
use crate::util::rand;
use std::collections::HashSet;

#[derive(Clone)]
pub enum Set {
    Intset(Vec<i64>),
    Packed(Packed),
    Table(Box<Dict<()>>),
}

/// The most members, and the longest member, a packed set holds.
const PACKED_MAX_ENTRIES: usize = 128;
const PACKED_MAX_VALUE: usize = 64;

impl Default for Set {
    fn default() -> Self {
        Set::Intset(Vec::new())
    }
}

/// A member as stored: an intset integer or a table string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Member<'a> {
    Int(i64),
    Str(&'a [u8]),
}

/// Format `v` in decimal into `buf`.
pub fn fmt_i64(v: i64, buf: &mut [u8; 20]) -> &[u8] {
    let mut tmp = [0u8; 20];
    let mut n = 0;
    let mut u = v.unsigned_abs();
    loop {
        tmp[n] = b'0' + (u % 10) as u8;
        n += 1;
        u /= 10;
        if u == 0 {
            break;
        }
    }
    let mut len = 0;
    if v < 0 {
        buf[0] = b'-';
        len = 1;
    }
    for d in tmp[..n].iter().rev() {
        buf[len] = *d;
        len += 1;
    }
    &buf[..len]
}

impl Member<'_> {
    /// The member's bytes; an integer is formatted into `buf`.
    pub fn bytes<'b>(&'b self, buf: &'b mut [u8; 20]) -> &'b [u8] {
        match self {
            Member::Int(i) => fmt_i64(*i, buf),
            Member::Str(s) => s,
        }
    }

    pub fn to_vec(&self) -> Vec<u8> {
        let mut buf = [0u8; 20];
        self.bytes(&mut buf).to_vec()
    }
}

/// Iterator over a set's members, in encoding order (sorted for an intset).
pub enum SetIter<'a> {
    Intset(std::slice::Iter<'a, i64>),
    Packed(packed::Iter<'a>),
    Table(Box<dyn Iterator<Item = Member<'a>> + 'a>),
}

impl<'a> Iterator for SetIter<'a> {
    type Item = Member<'a>;
    fn next(&mut self) -> Option<Member<'a>> {
        match self {
            SetIter::Intset(it) => it.next().map(|i| Member::Int(*i)),
            SetIter::Packed(it) => it.next().map(Member::Str),
            SetIter::Table(it) => it.next(),
        }
    }
}

impl Set {
    /// An empty set of the encoding Redis's setTypeCreate picks for a set
    /// whose first member is `first`.
    pub fn new_for(first: &[u8]) -> Set {
        if string2ll(first).is_some() {
            Set::Intset(Vec::new())
        } else if first.len() <= PACKED_MAX_VALUE {
            Set::Packed(Packed::default())
        } else {
            Set::Table(Box::default())
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Set::Intset(v) => v.len(),
            Set::Packed(p) => p.len(),
            Set::Table(d) => d.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn encoding(&self) -> &'static str {
        match self {
            Set::Intset(_) => "intset",
            Set::Packed(_) | Set::Table(_) => "hashtable",
        }
    }

    pub fn contains(&self, m: &[u8]) -> bool {
        match self {
            Set::Intset(v) => string2ll(m).is_some_and(|i| v.binary_search(&i).is_ok()),
            Set::Packed(p) => p.iter().any(|e| e == m),
            Set::Table(d) => d.contains_key(m),
        }
    }

    /// Membership of a member taken from another set.
    pub fn contains_member(&self, m: Member) -> bool {
        match (self, m) {
            (Set::Intset(v), Member::Int(i)) => v.binary_search(&i).is_ok(),
            (_, Member::Str(s)) => self.contains(s),
            (_, Member::Int(i)) => {
                let mut buf = [0u8; 20];
                self.contains(fmt_i64(i, &mut buf))
            }
        }
    }

    /// Add a member (Redis's setTypeAdd); true if it was new. An intset
    /// becomes a table on a non-integer member or past `max_intset`
    /// members.
    pub fn add(&mut self, m: &[u8], max_intset: u64) -> bool {
        if let Set::Intset(v) = self {
            if let Some(i) = string2ll(m) {
                return match v.binary_search(&i) {
                    Ok(_) => false,
                    Err(pos) => {
                        // Exact growth, as Redis's intset reallocates: the
                        // insert shifts the tail anyway.
                        v.reserve_exact(1);
                        v.insert(pos, i);
                        if v.len() as u64 > max_intset {
                            self.convert();
                        }
                        true
                    }
                };
            }
            self.convert_for(m.len());
        }
        if let Set::Packed(p) = self {
            if p.iter().any(|e| e == m) {
                return false;
            }
            if p.len() < PACKED_MAX_ENTRIES && m.len() <= PACKED_MAX_VALUE {
                p.push(&[m]);
                return true;
            }
            self.convert_to_table();
        }
        match self {
            Set::Table(d) => d.insert(Sds::new(m), ()).is_none(),
            Set::Intset(_) | Set::Packed(_) => false,
        }
    }

    /// Add a member taken from another set.
    pub fn add_member(&mut self, m: Member, max_intset: u64) -> bool {
        let mut buf = [0u8; 20];
        match (&mut *self, m) {
            (Set::Intset(v), Member::Int(i)) => match v.binary_search(&i) {
                Ok(_) => false,
                Err(pos) => {
                    v.reserve_exact(1);
                    v.insert(pos, i);
                    if v.len() as u64 > max_intset {
                        self.convert();
                    }
                    true
                }
            },
            (_, m) => self.add(m.bytes(&mut buf), max_intset),
        }
    }

    /// Remove a member; true if it was there. A table shrinks when mostly
    /// empty, as Redis's setTypeRemove does.
    pub fn remove(&mut self, m: &[u8]) -> bool {
        match self {
            Set::Intset(v) => match string2ll(m).map(|i| v.binary_search(&i)) {
                Some(Ok(pos)) => {
                    v.remove(pos);
                    true
                }
                _ => false,
            },
            Set::Packed(p) => {
                let mut it = p.iter();
                while let Some(slot) = it.next_slot() {
                    if slot.data == m {
                        let (start, end) = (slot.start, slot.end);
                        p.splice(start, end, 1, &[]);
                        return true;
                    }
                }
                false
            }
            Set::Table(d) => {
                let removed = d.remove(m).is_some();
                if removed {
                    d.shrink_if_needed();
                }
                removed
            }
        }
    }

    pub fn remove_member(&mut self, m: Member) -> bool {
        match (&mut *self, m) {
            (Set::Intset(v), Member::Int(i)) => match v.binary_search(&i) {
                Ok(pos) => {
                    v.remove(pos);
                    true
                }
                Err(_) => false,
            },
            (_, m) => {
                let mut buf = [0u8; 20];
                self.remove(m.bytes(&mut buf))
            }
        }
    }

    /// Turn an intset into a string set: packed while it (and a member
    /// of `next_len` bytes about to join) fits, else a table.
    fn convert_for(&mut self, next_len: usize) {
        if let Set::Intset(v) = self {
            let mut buf = [0u8; 20];
            if v.len() < PACKED_MAX_ENTRIES && next_len <= PACKED_MAX_VALUE {
                let mut p = Packed::default();
                let owned: Vec<Vec<u8>> =
                    v.iter().map(|&i| fmt_i64(i, &mut buf).to_vec()).collect();
                let refs: Vec<&[u8]> = owned.iter().map(|m| m.as_slice()).collect();
                p.push(&refs);
                *self = Set::Packed(p);
            } else {
                let mut d = Dict::new();
                for &i in v.iter() {
                    d.insert_new(Sds::new(fmt_i64(i, &mut buf)), ());
                }
                *self = Set::Table(Box::new(d));
            }
        }
    }

    /// Turn an intset into a string set (Redis's conversion on too many
    /// integers).
    pub fn convert(&mut self) {
        self.convert_for(0);
        if self.len() > PACKED_MAX_ENTRIES {
            self.convert_to_table();
        }
    }

    /// Turn a packed or integer set into a table (no-op for a table).
    fn convert_to_table(&mut self) {
        if matches!(self, Set::Table(_)) {
            return;
        }
        let mut d = Dict::new();
        for m in self.iter() {
            d.insert_new(Sds::new(&m.to_vec()), ());
        }
        *self = Set::Table(Box::new(d));
    }

    pub fn iter(&self) -> SetIter<'_> {
        match self {
            Set::Intset(v) => SetIter::Intset(v.iter()),
            Set::Packed(p) => SetIter::Packed(p.iter()),
            Set::Table(d) => SetIter::Table(Box::new(d.iter().map(|e| Member::Str(&e.key)))),
        }
    }

    /// One random member (a random bucket, then a random chain element for
    /// a table, like Redis's dictGetRandomKey).
    pub fn random(&self) -> Option<Member<'_>> {
        match self {
            Set::Intset(v) => {
                if v.is_empty() {
                    None
                } else {
                    Some(Member::Int(v[rand::below(v.len())]))
                }
            }
            Set::Packed(p) => {
                if p.is_empty() {
                    None
                } else {
                    p.iter().nth(rand::below(p.len())).map(Member::Str)
                }
            }
            Set::Table(d) => d.random_entry().map(|e| Member::Str(&e.key)),
        }
    }

    /// Remove and return up to `count` random members (all of them when
    /// `count >= len`), in no particular order.
    pub fn pop_random(&mut self, count: usize) -> Vec<Vec<u8>> {
        let len = self.len();
        let count = count.min(len);
        if count == 0 {
            return Vec::new();
        }
        match self {
            Set::Intset(v) => {
                if count == len {
                    let mut buf = [0u8; 20];
                    return std::mem::take(v)
                        .into_iter()
                        .map(|i| fmt_i64(i, &mut buf).to_vec())
                        .collect();
                }
                // Choose the indexes by a partial shuffle, then keep the rest.
                let mut idx: Vec<usize> = (0..len).collect();
                for i in 0..count {
                    let j = i + rand::below(len - i);
                    idx.swap(i, j);
                }
                let mut take = vec![false; len];
                let mut out = Vec::with_capacity(count);
                let mut buf = [0u8; 20];
                for &i in &idx[..count] {
                    take[i] = true;
                    out.push(fmt_i64(v[i], &mut buf).to_vec());
                }
                let mut k = 0;
                v.retain(|_| {
                    k += 1;
                    !take[k - 1]
                });
                out
            }
            Set::Packed(p) => {
                let mut all: Vec<Vec<u8>> = p.iter().map(|m| m.to_vec()).collect();
                for i in 0..count {
                    let j = i + rand::below(all.len() - i);
                    all.swap(i, j);
                }
                let rest: Vec<&[u8]> = all[count..].iter().map(|m| m.as_slice()).collect();
                let mut kept = Packed::default();
                kept.push(&rest);
                *p = kept;
                all.truncate(count);
                all
            }
            Set::Table(d) => {
                let mut out = Vec::with_capacity(count);
                if count.saturating_mul(5) > len {
                    // Most of the set: pick from a list of every member.
                    let mut all: Vec<Sds> = d.iter().map(|e| e.key.clone()).collect();
                    for i in 0..count {
                        let j = i + rand::below(all.len() - i);
                        all.swap(i, j);
                    }
                    all.truncate(count);
                    for m in all {
                        d.remove(&m);
                        out.push(m.to_vec());
                    }
                } else {
                    while out.len() < count {
                        let Some(key) = d.random_entry().map(|e| e.key.to_vec()) else {
                            break;
                        };
                        d.remove(&key);
                        out.push(key);
                    }
                }
                d.shrink_if_needed();
                out
            }
        }
    }

    /// `count` distinct members, `count < len`, in no particular order.
    pub fn random_distinct(&self, count: usize) -> Vec<Member<'_>> {
        let len = self.len();
        let count = count.min(len);
        if count.saturating_mul(3) > len {
            let mut all: Vec<Member> = self.iter().collect();
            for i in 0..count {
                let j = i + rand::below(all.len() - i);
                all.swap(i, j);
            }
            all.truncate(count);
            all
        } else {
            let mut seen: HashSet<Member> = HashSet::with_capacity(count);
            let mut out = Vec::with_capacity(count);
            while out.len() < count {
                let Some(m) = self.random() else { break };
                if seen.insert(m) {
                    out.push(m);
                }
            }
            out
        }
    }

    /// One SSCAN step: calls `f` for each member visited and returns the
    /// next cursor. An intset is visited whole and answers cursor 0.
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(Member)) -> u64 {
        match self {
            Set::Intset(v) => {
                for &i in v {
                    f(Member::Int(i));
                }
                0
            }
            Set::Packed(p) => {
                for m in p.iter() {
                    f(Member::Str(m));
                }
                0
            }
            Set::Table(d) => d.scan(cursor, |e| f(Member::Str(&e.key))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(s: &Set) -> Vec<Vec<u8>> {
        s.iter().map(|m| m.to_vec()).collect()
    }

    /// Small string sets live packed, then move to a table past 128
    /// members or on a member over 64 bytes; every step agrees with a
    /// plain HashSet model.
    #[test]
    fn packed_sets_match_a_model_through_conversions() {
        use std::collections::HashSet as Model;
        let mut s = Set::new_for(b"a");
        let mut model: Model<Vec<u8>> = Model::new();
        let check = |s: &Set, model: &Model<Vec<u8>>| {
            assert_eq!(s.len(), model.len());
            let got: Model<Vec<u8>> = s.iter().map(|m| m.to_vec()).collect();
            assert_eq!(&got, model);
            assert_eq!(s.encoding(), "hashtable");
        };
        for i in 0..600u32 {
            let m = format!("m{}", (i * 7919) % 200).into_bytes();
            if i % 10 == 9 {
                assert_eq!(s.remove(&m), model.remove(&m));
            } else {
                assert_eq!(s.add(&m, 512), model.insert(m.clone()));
            }
            check(&s, &model);
            assert!(
                matches!(s, Set::Packed(_)) == (model.len() <= 128 && !matches!(s, Set::Table(_)))
            );
            if model.len() > 128 {
                assert!(
                    matches!(s, Set::Table(_)),
                    "past 128 members a set is a table"
                );
            }
        }
        // The walk above did pass 128 members.
        assert!(matches!(s, Set::Table(_)));
        let mut small = Set::new_for(b"x");
        small.add(b"x", 512);
        small.add(b"y", 512);
        assert!(matches!(small, Set::Packed(_)));
        assert!(small.contains(b"y") && !small.contains(b"z"));
        small.add(&[b'L'; 65], 512);
        assert!(matches!(small, Set::Table(_)));
        // An intset meeting a string becomes packed, integers and all.
        let mut ints = Set::new_for(b"1");
        ints.add(b"1", 512);
        ints.add(b"2", 512);
        ints.add(b"abc", 512);
        assert!(matches!(ints, Set::Packed(_)));
        assert!(ints.contains(b"1") && ints.contains_member(Member::Int(2)));
        let popped = ints.pop_random(2);
        assert_eq!((popped.len(), ints.len()), (2, 1));
    }

    #[test]
    fn intset_is_sorted_and_strict_about_integers() {
        let mut s = Set::new_for(b"3");
        assert_eq!(s.encoding(), "intset");
        for m in [
            "3",
            "1",
            "2",
            "1",
            "-9223372036854775808",
            "9223372036854775807",
        ] {
            s.add(m.as_bytes(), 512);
        }
        assert_eq!(s.len(), 5);
        assert_eq!(
            members(&s),
            ["-9223372036854775808", "1", "2", "3", "9223372036854775807"]
                .iter()
                .map(|m| m.as_bytes().to_vec())
                .collect::<Vec<_>>()
        );
        assert!(s.contains(b"2"));
        assert!(!s.contains(b"02"));
        assert!(!s.contains(b"x"));
        assert_eq!(s.encoding(), "intset");
        for odd in ["01", "-0", "+1", " 1", "9223372036854775808", "a"] {
            let mut t = s.clone();
            assert!(t.add(odd.as_bytes(), 512));
            assert_eq!(t.encoding(), "hashtable", "{odd}");
            assert!(t.contains(odd.as_bytes()));
            assert!(t.contains(b"2"));
            assert!(t.contains_member(Member::Int(3)));
        }
        assert_eq!(Set::new_for(b"01").encoding(), "hashtable");
    }

    #[test]
    fn converts_past_max_intset_entries_one_way() {
        let mut s = Set::default();
        assert!(s.add(b"1", 2));
        assert!(s.add(b"2", 2));
        assert_eq!(s.encoding(), "intset");
        assert!(!s.add(b"2", 2));
        assert!(s.add(b"3", 2));
        assert_eq!(s.encoding(), "hashtable");
        assert!(s.remove(b"3"));
        assert!(s.remove(b"2"));
        assert!(!s.remove(b"2"));
        assert_eq!(s.encoding(), "hashtable");
        let mut z = Set::default();
        z.add(b"5", 0);
        assert_eq!(z.encoding(), "hashtable");
    }

    #[test]
    fn member_ops_across_encodings() {
        let mut a = Set::default();
        a.add_member(Member::Int(7), 512);
        a.add_member(Member::Str(b"8"), 512);
        assert_eq!(a.encoding(), "intset");
        assert!(a.contains_member(Member::Str(b"8")));
        a.add_member(Member::Str(b"x"), 512);
        assert!(a.contains_member(Member::Int(7)));
        assert!(a.remove_member(Member::Int(7)));
        assert!(!a.remove_member(Member::Int(7)));
        assert_eq!(a.len(), 2);
    }

    #[test]
    fn random_pops_and_samples() {
        for (n, strings) in [(10usize, false), (10, true), (1000, true), (300, false)] {
            let mut s = Set::default();
            for i in 0..n {
                let m = if strings {
                    format!("m{i}")
                } else {
                    i.to_string()
                };
                s.add(m.as_bytes(), 512);
            }
            for count in [1, 2, n / 4, n - 1] {
                let picks = s.random_distinct(count);
                assert_eq!(picks.len(), count);
                let uniq: HashSet<_> = picks.iter().copied().collect();
                assert_eq!(uniq.len(), count);
                assert!(picks.iter().all(|m| s.contains_member(*m)));
            }
            let before = s.clone();
            let popped = s.pop_random(n / 3);
            assert_eq!(popped.len(), n / 3);
            assert_eq!(s.len(), n - n / 3);
            for m in &popped {
                assert!(before.contains(m) && !s.contains(m));
            }
            let rest = s.pop_random(usize::MAX);
            assert_eq!(rest.len(), n - n / 3);
            assert!(s.is_empty());
            assert!(s.random().is_none());
        }
    }

    #[test]
    fn scan_visits_every_member() {
        let mut s = Set::default();
        for i in 0..2000 {
            s.add(format!("m{i}").as_bytes(), 512);
        }
        let mut seen = HashSet::new();
        let mut cursor = 0;
        loop {
            cursor = s.scan(cursor, |m| {
                seen.insert(m.to_vec());
            });
            if cursor == 0 {
                break;
            }
        }
        assert_eq!(seen.len(), 2000);
    }

    #[test]
    fn formats_integers() {
        let mut b = [0u8; 20];
        assert_eq!(fmt_i64(0, &mut b), b"0");
        assert_eq!(fmt_i64(-12, &mut b), b"-12");
        assert_eq!(fmt_i64(i64::MIN, &mut b), b"-9223372036854775808");
    }
}
