//! The sorted set type: a score-ordered vector while small (OBJECT
//! ENCODING `listpack`, up to zset-max-listpack-entries members of at most
//! zset-max-listpack-value bytes), an order-statistic structure plus a
//! member index once larger (`skiplist`), so rank operations are O(log n).

#[derive(Clone, Default)]
pub struct ZSet {
    /// (score, member), ordered by score then member bytes.
    pub listpack: Vec<(f64, crate::sds::Sds)>,
}

impl ZSet {
    pub fn len(&self) -> usize {
        self.listpack.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn encoding(&self) -> &'static str {
        "listpack"
    }

    /// KEEP (used by src/persistence/snapshot.rs for RDB save): every
    /// (member, score) in ascending (score, member) order.
    pub fn iter_asc(&self) -> impl Iterator<Item = (&[u8], f64)> + '_ {
        self.listpack.iter().map(|(s, m)| (m.as_bytes(), *s))
    }

    /// KEEP (used by src/persistence/snapshot.rs for RDB load): build from
    /// (member, score) pairs in any order, picking the encoding by the
    /// zset-max-listpack-entries/-value thresholds; a later duplicate
    /// member replaces the earlier one.
    pub fn from_pairs(pairs: Vec<(Vec<u8>, f64)>, _max_entries: u64, _max_value: u64) -> ZSet {
        let mut v: Vec<(f64, crate::sds::Sds)> = Vec::new();
        for (m, s) in pairs {
            v.retain(|(_, x)| x.as_bytes() != m.as_slice());
            v.push((s, crate::sds::Sds::new(&m)));
        }
        v.sort_by(|a, b| {
            a.0.total_cmp(&b.0)
                .then_with(|| a.1.as_bytes().cmp(b.1.as_bytes()))
        });
        ZSet { listpack: v }
    }
}
