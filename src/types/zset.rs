//! The sorted set type, after Redis's t_zset.c encodings.
//!
//! * `listpack` while small (at most zset-max-listpack-entries members of at
//!   most zset-max-listpack-value bytes): a vector of (score, member) kept in
//!   order, so rank is the index. A listpack stores a score as text, an
//!   integral one as an integer, so `-0` reads back as `0` there, as in
//!   Redis.
//! * `skiplist` once larger: a `Dict` from member to score (O(1) ZSCORE, the
//!   SCAN cursor guarantee, random picks) plus an order-statistic tree over
//!   (score, member). The tree is a treap kept in an arena (`Vec` of nodes
//!   linked by `u32` indices, each with its subtree size), so rank, select,
//!   insert and delete are O(log n) and a range starting at any rank is an
//!   O(log n) descent followed by an in-order walk.
//!
//! The order is Redis's: by score, then by member bytes (memcmp). The
//! conversion to `skiplist` is one-way for a live key; only the results of
//! store commands (ZUNIONSTORE, ZRANGESTORE...) are built small again when
//! they fit, as Redis converts them.

use super::packed::Packed;
use crate::dict::Dict;
use crate::sds::Sds;
use crate::util::rand;
use std::cmp::Ordering;

/// The two thresholds of the compact encoding.
#[derive(Clone, Copy, Debug)]
pub struct ZSetLimits {
    pub max_entries: u64,
    pub max_value: u64,
}

/// Redis's ordering: score, then member bytes.
#[inline]
pub fn cmp_entry(s1: f64, m1: &[u8], s2: f64, m2: &[u8]) -> Ordering {
    match s1.partial_cmp(&s2) {
        Some(Ordering::Less) => Ordering::Less,
        Some(Ordering::Greater) => Ordering::Greater,
        _ => m1.cmp(m2),
    }
}

/// A score as a listpack stores it: Redis writes it as text (an integral
/// value within ±2^62 as an integer), so only `-0` changes (to `0`).
#[inline]
pub fn listpack_score(v: f64) -> f64 {
    if v == 0.0 { 0.0 } else { v }
}

/// The text a listpack holds for a score (what ZSCAN shows for a small
/// set): an integral value within ±2^62 as an integer, otherwise `%.17g`.
pub fn listpack_score_text(v: f64) -> String {
    const LIM: f64 = 4_611_686_018_427_387_904.0; // (double)(LLONG_MAX/2)
    if v.is_finite() && (-LIM..=LIM).contains(&v) && v == v.trunc() {
        return (v as i64).to_string();
    }
    crate::util::num::fmt_g17(v)
}

// ---------------------------------------------------------------------
// Ranges
// ---------------------------------------------------------------------

/// A score interval; `minex`/`maxex` make an end open (the `(` prefix).
#[derive(Clone, Copy, Debug)]
pub struct ScoreRange {
    pub min: f64,
    pub max: f64,
    pub minex: bool,
    pub maxex: bool,
}

impl ScoreRange {
    #[inline]
    pub fn gte_min(&self, v: f64) -> bool {
        if self.minex {
            v > self.min
        } else {
            v >= self.min
        }
    }
    #[inline]
    pub fn lte_max(&self, v: f64) -> bool {
        if self.maxex {
            v < self.max
        } else {
            v <= self.max
        }
    }
}

/// One end of a lexicographic range: `-`, `+` or a string.
#[derive(Clone, Debug)]
pub enum LexBound {
    Min,
    Max,
    Val(Vec<u8>),
}

impl LexBound {
    /// Redis's sdscmplex: `-` below everything, `+` above everything.
    fn cmp_value(&self, v: &[u8]) -> Ordering {
        match self {
            LexBound::Min => Ordering::Less,
            LexBound::Max => Ordering::Greater,
            LexBound::Val(b) => b.as_slice().cmp(v),
        }
    }
    fn cmp_bound(&self, o: &LexBound) -> Ordering {
        match (self, o) {
            (LexBound::Min, LexBound::Min) | (LexBound::Max, LexBound::Max) => Ordering::Equal,
            (LexBound::Min, _) | (_, LexBound::Max) => Ordering::Less,
            (LexBound::Max, _) | (_, LexBound::Min) => Ordering::Greater,
            (LexBound::Val(a), LexBound::Val(b)) => a.cmp(b),
        }
    }
}

#[derive(Clone, Debug)]
pub struct LexRange {
    pub min: LexBound,
    pub max: LexBound,
    pub minex: bool,
    pub maxex: bool,
}

impl LexRange {
    #[inline]
    pub fn gte_min(&self, v: &[u8]) -> bool {
        let c = self.min.cmp_value(v); // min vs value
        if self.minex {
            c == Ordering::Less
        } else {
            c != Ordering::Greater
        }
    }
    #[inline]
    pub fn lte_max(&self, v: &[u8]) -> bool {
        let c = self.max.cmp_value(v); // max vs value
        if self.maxex {
            c == Ordering::Greater
        } else {
            c != Ordering::Less
        }
    }
    /// False when the range is empty by construction.
    pub fn is_valid(&self) -> bool {
        let c = self.min.cmp_bound(&self.max);
        !(c == Ordering::Greater || (c == Ordering::Equal && (self.minex || self.maxex)))
    }
}

// ---------------------------------------------------------------------
// The order-statistic tree
// ---------------------------------------------------------------------

const NIL: u32 = u32::MAX;

#[derive(Clone)]
struct Node {
    score: f64,
    member: Sds,
    left: u32,
    right: u32,
    size: u32,
    /// Size of the left subtree, kept here so rank and select walks read
    /// one node per level instead of also fetching the left child.
    lsize: u32,
    prio: u32,
}

/// A treap over (score, member) with subtree sizes, in an arena.
#[derive(Clone)]
pub struct Tree {
    nodes: Vec<Node>,
    free: Vec<u32>,
    root: u32,
}

impl Default for Tree {
    fn default() -> Self {
        Tree {
            nodes: Vec::new(),
            free: Vec::new(),
            root: NIL,
        }
    }
}

impl Tree {
    pub fn len(&self) -> usize {
        self.size(self.root)
    }

    pub fn is_empty(&self) -> bool {
        self.root == NIL
    }

    #[inline]
    fn size(&self, n: u32) -> usize {
        if n == NIL {
            0
        } else {
            self.nodes[n as usize].size as usize
        }
    }

    #[inline]
    fn update(&mut self, n: u32) {
        let (l, r) = {
            let nd = &self.nodes[n as usize];
            (nd.left, nd.right)
        };
        let ls = self.size(l);
        let s = 1 + ls + self.size(r);
        let nd = &mut self.nodes[n as usize];
        nd.size = s as u32;
        nd.lsize = ls as u32;
    }

    fn alloc(&mut self, score: f64, member: Sds) -> u32 {
        let node = Node {
            score,
            member,
            left: NIL,
            right: NIL,
            size: 1,
            lsize: 0,
            prio: rand::next_u64() as u32,
        };
        match self.free.pop() {
            Some(i) => {
                self.nodes[i as usize] = node;
                i
            }
            None => {
                self.nodes.push(node);
                (self.nodes.len() - 1) as u32
            }
        }
    }

    fn release(&mut self, n: u32) -> (f64, Sds) {
        let nd = &mut self.nodes[n as usize];
        let member = std::mem::replace(&mut nd.member, Sds::new(b""));
        let score = nd.score;
        self.free.push(n);
        (score, member)
    }

    /// Split `t` into its first `k` elements and the rest.
    fn split(&mut self, t: u32, k: usize) -> (u32, u32) {
        if t == NIL {
            return (NIL, NIL);
        }
        let l = self.nodes[t as usize].left;
        let ls = self.size(l);
        if k <= ls {
            let (a, b) = self.split(l, k);
            self.nodes[t as usize].left = b;
            self.update(t);
            (a, t)
        } else {
            let r = self.nodes[t as usize].right;
            let (a, b) = self.split(r, k - ls - 1);
            self.nodes[t as usize].right = a;
            self.update(t);
            (t, b)
        }
    }

    /// Join two trees, every element of `a` before every element of `b`.
    fn merge(&mut self, a: u32, b: u32) -> u32 {
        if a == NIL {
            return b;
        }
        if b == NIL {
            return a;
        }
        if self.nodes[a as usize].prio > self.nodes[b as usize].prio {
            let ar = self.nodes[a as usize].right;
            let m = self.merge(ar, b);
            self.nodes[a as usize].right = m;
            self.update(a);
            a
        } else {
            let bl = self.nodes[b as usize].left;
            let m = self.merge(a, bl);
            self.nodes[b as usize].left = m;
            self.update(b);
            b
        }
    }

    /// How many leading elements satisfy `pred` (which must hold for a
    /// prefix of the order and fail after it).
    pub fn count_prefix(&self, mut pred: impl FnMut(f64, &[u8]) -> bool) -> usize {
        let mut n = self.root;
        let mut acc = 0;
        while n != NIL {
            let nd = &self.nodes[n as usize];
            if pred(nd.score, &nd.member) {
                acc += nd.lsize as usize + 1;
                n = nd.right;
            } else {
                n = nd.left;
            }
        }
        acc
    }

    /// The rank (0-based) at which (score, member) is or would be.
    pub fn rank(&self, score: f64, member: &[u8]) -> usize {
        self.count_prefix(|s, m| cmp_entry(s, m, score, member) == Ordering::Less)
    }

    fn select(&self, mut k: usize) -> u32 {
        let mut n = self.root;
        while n != NIL {
            let nd = &self.nodes[n as usize];
            let ls = nd.lsize as usize;
            match k.cmp(&ls) {
                Ordering::Less => n = nd.left,
                Ordering::Equal => return n,
                Ordering::Greater => {
                    k -= ls + 1;
                    n = nd.right;
                }
            }
        }
        NIL
    }

    /// The element at rank `k` (< len).
    pub fn get(&self, k: usize) -> (f64, &[u8]) {
        let nd = &self.nodes[self.select(k) as usize];
        (nd.score, &nd.member)
    }

    /// Is node `a` before node `b` in (score, member) order?
    #[inline]
    fn node_less(&self, a: u32, b: u32) -> bool {
        let (na, nb) = (&self.nodes[a as usize], &self.nodes[b as usize]);
        cmp_entry(na.score, &na.member, nb.score, &nb.member) == Ordering::Less
    }

    /// Split subtree `t` into the elements before node `x` and the rest.
    fn split_before(&mut self, t: u32, x: u32) -> (u32, u32) {
        if t == NIL {
            return (NIL, NIL);
        }
        if self.node_less(t, x) {
            let (a, b) = self.split_before(self.nodes[t as usize].right, x);
            self.nodes[t as usize].right = a;
            self.update(t);
            (t, b)
        } else {
            let (a, b) = self.split_before(self.nodes[t as usize].left, x);
            self.nodes[t as usize].left = b;
            self.update(t);
            (a, t)
        }
    }

    /// Point the link `parent` (NIL for the root) on side `left` at `n`.
    #[inline]
    fn relink(&mut self, parent: u32, left: bool, n: u32) {
        if parent == NIL {
            self.root = n;
        } else if left {
            self.nodes[parent as usize].left = n;
        } else {
            self.nodes[parent as usize].right = n;
        }
    }

    /// Insert (score, member), known absent, top down: descend (bumping
    /// sizes) while the nodes outrank the new one's priority, then split
    /// the subtree found there around it. No path stack, no rotations.
    pub fn insert(&mut self, score: f64, member: Sds) {
        let x = self.alloc(score, member);
        let prio = self.nodes[x as usize].prio;
        let (mut parent, mut left) = (NIL, false);
        let mut n = self.root;
        while n != NIL && self.nodes[n as usize].prio >= prio {
            let go_left = self.node_less(x, n);
            let nd = &mut self.nodes[n as usize];
            nd.size += 1;
            (parent, left) = (n, go_left);
            n = if go_left {
                nd.lsize += 1;
                nd.left
            } else {
                nd.right
            };
        }
        let (l, r) = self.split_before(n, x);
        let xn = &mut self.nodes[x as usize];
        xn.left = l;
        xn.right = r;
        self.update(x);
        self.relink(parent, left, x);
    }

    /// Remove (score, member); false if absent. One search, then a second
    /// descent that shrinks the sizes on the path, and the node's two
    /// subtrees merged in its place.
    pub fn remove(&mut self, score: f64, member: &[u8]) -> bool {
        let mut n = self.root;
        while n != NIL {
            let nd = &self.nodes[n as usize];
            n = match cmp_entry(score, member, nd.score, &nd.member) {
                Ordering::Equal => break,
                Ordering::Less => nd.left,
                Ordering::Greater => nd.right,
            };
        }
        if n == NIL {
            return false;
        }
        let target = n;
        let (mut parent, mut left) = (NIL, false);
        let mut n = self.root;
        while n != target {
            let go_left = self.node_less(target, n);
            let nd = &mut self.nodes[n as usize];
            nd.size -= 1;
            (parent, left) = (n, go_left);
            n = if go_left {
                nd.lsize -= 1;
                nd.left
            } else {
                nd.right
            };
        }
        let (l, r) = {
            let nd = &self.nodes[target as usize];
            (nd.left, nd.right)
        };
        let m = self.merge(l, r);
        self.relink(parent, left, m);
        self.release(target);
        if self.root == NIL {
            self.nodes.clear();
            self.free.clear();
        }
        true
    }

    /// Remove ranks `start..end`, returning them in order.
    pub fn remove_range(&mut self, start: usize, end: usize) -> Vec<(f64, Sds)> {
        let end = end.min(self.len());
        if start >= end {
            return Vec::new();
        }
        let (a, bc) = self.split(self.root, start);
        let (b, c) = self.split(bc, end - start);
        let mut out = Vec::with_capacity(end - start);
        let mut stack = Vec::new();
        let mut n = b;
        loop {
            while n != NIL {
                stack.push(n);
                n = self.nodes[n as usize].left;
            }
            let Some(top) = stack.pop() else { break };
            n = self.nodes[top as usize].right;
            out.push(self.release(top));
        }
        self.root = self.merge(a, c);
        if self.root == NIL {
            self.nodes.clear();
            self.free.clear();
        }
        out
    }

    /// Build from elements already in order, in O(n) (a Cartesian tree
    /// on the random priorities, built along its right spine).
    pub fn from_sorted(items: impl IntoIterator<Item = (f64, Sds)>) -> Tree {
        let mut t = Tree::default();
        let mut spine: Vec<u32> = Vec::new();
        for (score, member) in items {
            let n = t.alloc(score, member);
            let prio = t.nodes[n as usize].prio;
            let mut last = NIL;
            while let Some(&top) = spine.last() {
                if t.nodes[top as usize].prio >= prio {
                    break;
                }
                spine.pop();
                // Its subtree is complete: its right child was popped just
                // before it, its left one long ago.
                t.update(top);
                last = top;
            }
            t.nodes[n as usize].left = last;
            if let Some(&top) = spine.last() {
                t.nodes[top as usize].right = n;
            }
            spine.push(n);
        }
        while let Some(top) = spine.pop() {
            t.update(top);
            t.root = top;
        }
        t
    }

    /// Walk from rank `k` towards the end (`rev` false) or the start.
    pub fn iter_from(&self, mut k: usize, rev: bool) -> TreeIter<'_> {
        let mut stack = Vec::new();
        let mut n = self.root;
        while n != NIL {
            let nd = &self.nodes[n as usize];
            let ls = nd.lsize as usize;
            match k.cmp(&ls) {
                Ordering::Less => {
                    if !rev {
                        stack.push(n);
                    }
                    n = nd.left;
                }
                Ordering::Equal => {
                    stack.push(n);
                    break;
                }
                Ordering::Greater => {
                    if rev {
                        stack.push(n);
                    }
                    k -= ls + 1;
                    n = nd.right;
                }
            }
        }
        TreeIter {
            tree: self,
            stack,
            rev,
        }
    }
}

/// In-order walk of a `Tree` in either direction.
pub struct TreeIter<'a> {
    tree: &'a Tree,
    stack: Vec<u32>,
    rev: bool,
}

impl<'a> Iterator for TreeIter<'a> {
    type Item = (f64, &'a [u8]);
    fn next(&mut self) -> Option<Self::Item> {
        let n = self.stack.pop()?;
        let nodes = &self.tree.nodes;
        let nd = &nodes[n as usize];
        let mut c = if self.rev { nd.left } else { nd.right };
        while c != NIL {
            self.stack.push(c);
            let cn = &nodes[c as usize];
            c = if self.rev { cn.right } else { cn.left };
        }
        Some((nd.score, &nd.member))
    }
}

// ---------------------------------------------------------------------
// The sorted set
// ---------------------------------------------------------------------

/// The `skiplist` encoding: member → score, plus the order.
#[derive(Clone, Default)]
pub struct SkipList {
    pub dict: Dict<f64>,
    pub tree: Tree,
}

#[derive(Clone)]
pub enum ZSet {
    /// (score, member) in order, packed.
    Listpack(ZPack),
    Skiplist(Box<SkipList>),
}

impl Default for ZSet {
    fn default() -> Self {
        ZSet::Listpack(ZPack::default())
    }
}

/// The `listpack` encoding: (score, member) in order in one `Packed`
/// buffer, each entry the score's 8 bytes then the member, so a small set
/// is one allocation. Lookups are linear scans, as in Redis's listpack,
/// over at most zset-max-listpack-entries elements.
#[derive(Clone, Default)]
pub struct ZPack(Packed);

fn zentry(data: &[u8]) -> (f64, &[u8]) {
    let (score, member) = data.split_at(8);
    let mut b = [0u8; 8];
    b.copy_from_slice(score);
    (f64::from_le_bytes(b), member)
}

impl ZPack {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (f64, &[u8])> + '_ {
        self.0.iter().map(zentry)
    }

    /// Every element, decoded (for reverse walks and index access).
    pub fn to_vec(&self) -> Vec<(f64, &[u8])> {
        self.iter().collect()
    }

    /// Insert in order (the member is known absent).
    fn insert(&mut self, score: f64, member: &[u8]) {
        let mut it = self.0.iter();
        let mut at = None;
        while let Some(slot) = it.next_slot() {
            let (s2, m2) = zentry(slot.data);
            if cmp_entry(s2, m2, score, member) != Ordering::Less {
                at = Some(slot.start);
                break;
            }
        }
        let mut entry = Vec::with_capacity(8 + member.len());
        entry.extend_from_slice(&score.to_le_bytes());
        entry.extend_from_slice(member);
        match at {
            Some(pos) => self.0.splice(pos, pos, 0, &[&entry]),
            None => self.0.push(&[&entry]),
        }
    }

    /// Remove `member`; its score if it was there.
    fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let mut it = self.0.iter();
        while let Some(slot) = it.next_slot() {
            let (s, m) = zentry(slot.data);
            if m == member {
                let (start, end) = (slot.start, slot.end);
                self.0.splice(start, end, 1, &[]);
                return Some(s);
            }
        }
        None
    }

    /// Remove ranks `start..end` (within the length), returning them: one
    /// walk collects them and their byte range, one splice drops it.
    fn drain(&mut self, start: usize, end: usize) -> Vec<(f64, Sds)> {
        let mut out = Vec::with_capacity(end - start);
        let (mut from, mut to) = (0, 0);
        let mut it = self.0.iter();
        let mut k = 0;
        while let Some(slot) = it.next_slot() {
            if k >= end {
                break;
            }
            if k == start {
                from = slot.start;
            }
            if k >= start {
                let (s, m) = zentry(slot.data);
                out.push((s, Sds::new(m)));
                to = slot.end;
            }
            k += 1;
        }
        if !out.is_empty() {
            self.0.splice(from, to, out.len(), &[]);
        }
        out
    }

    /// Build from elements already in order.
    fn from_sorted(entries: &[(f64, Sds)]) -> ZPack {
        let owned: Vec<Vec<u8>> = entries
            .iter()
            .map(|(s, m)| [s.to_le_bytes().as_slice(), m.as_bytes()].concat())
            .collect();
        let refs: Vec<&[u8]> = owned.iter().map(|e| e.as_slice()).collect();
        let mut p = Packed::default();
        p.push(&refs);
        ZPack(p)
    }
}

/// ZADD's options.
#[derive(Clone, Copy, Default, Debug)]
pub struct AddFlags {
    pub incr: bool,
    pub nx: bool,
    pub xx: bool,
    pub gt: bool,
    pub lt: bool,
}

/// What one ZADD element did (Redis's zsetAdd out flags); the score is
/// the member's new score.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AddResult {
    /// INCR produced NaN: nothing changed.
    Nan,
    /// Not done (NX/XX/GT/LT said no).
    Nop,
    Added(f64),
    Updated(f64),
    /// Present with that very score already.
    Same(f64),
}

/// Iterator over (score, member) from some rank, either way.
pub enum ZIter<'a> {
    Listpack {
        v: Vec<(f64, &'a [u8])>,
        /// Next index to yield; `usize::MAX` when done backwards.
        next: usize,
        rev: bool,
    },
    Tree(TreeIter<'a>),
}

impl<'a> Iterator for ZIter<'a> {
    type Item = (f64, &'a [u8]);
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            ZIter::Listpack { v, next, rev } => {
                let (s, m) = *v.get(*next)?;
                *next = if *rev {
                    next.checked_sub(1).unwrap_or(usize::MAX)
                } else {
                    *next + 1
                };
                Some((s, m))
            }
            ZIter::Tree(t) => t.next(),
        }
    }
}

impl ZSet {
    /// An empty set of the encoding Redis creates for a new key whose first
    /// member is `first_len` bytes long.
    pub fn new_for(first_len: usize, lim: ZSetLimits) -> ZSet {
        if lim.max_entries == 0 || first_len as u64 > lim.max_value {
            ZSet::Skiplist(Box::default())
        } else {
            ZSet::Listpack(ZPack::default())
        }
    }

    /// A set holding `entries` (distinct members, any order), encoded as
    /// Redis leaves the result of a store command: compact when it fits.
    pub fn from_entries(mut entries: Vec<(f64, Sds)>, lim: ZSetLimits) -> ZSet {
        entries.sort_unstable_by(|a, b| cmp_entry(a.0, &a.1, b.0, &b.1));
        let maxlen = entries.iter().map(|e| e.1.len()).max().unwrap_or(0);
        if entries.len() as u64 <= lim.max_entries && maxlen as u64 <= lim.max_value {
            for e in entries.iter_mut() {
                e.0 = listpack_score(e.0);
            }
            ZSet::Listpack(ZPack::from_sorted(&entries))
        } else {
            let mut dict = Dict::new();
            for (s, m) in &entries {
                dict.insert_new(m.clone(), *s);
            }
            ZSet::Skiplist(Box::new(SkipList {
                dict,
                tree: Tree::from_sorted(entries),
            }))
        }
    }

    /// A set loaded from a file: (member, score) pairs in any order (a
    /// repeated member keeps its last score), encoded compactly when it
    /// fits, as Redis converts after loading.
    pub fn from_pairs(pairs: Vec<(Vec<u8>, f64)>, max_entries: u64, max_value: u64) -> ZSet {
        let mut seen: std::collections::HashMap<Vec<u8>, usize> =
            std::collections::HashMap::with_capacity(pairs.len());
        let mut entries: Vec<(f64, Sds)> = Vec::with_capacity(pairs.len());
        for (m, s) in pairs {
            match seen.get(&m) {
                Some(&i) => entries[i].0 = s,
                None => {
                    seen.insert(m.clone(), entries.len());
                    entries.push((s, Sds::from_vec(m)));
                }
            }
        }
        ZSet::from_entries(
            entries,
            ZSetLimits {
                max_entries,
                max_value,
            },
        )
    }

    /// Every (member, score), ascending (what a snapshot writes).
    pub fn iter_asc(&self) -> impl Iterator<Item = (&[u8], f64)> + '_ {
        self.iter().map(|(s, m)| (m, s))
    }

    pub fn len(&self) -> usize {
        match self {
            ZSet::Listpack(v) => v.len(),
            ZSet::Skiplist(sl) => sl.tree.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn encoding(&self) -> &'static str {
        match self {
            ZSet::Listpack(_) => "listpack",
            ZSet::Skiplist(_) => "skiplist",
        }
    }

    pub fn is_listpack(&self) -> bool {
        matches!(self, ZSet::Listpack(_))
    }

    /// Turn a listpack into a skiplist (no-op for a skiplist).
    pub fn convert_to_skiplist(&mut self) {
        if let ZSet::Listpack(p) = self {
            let v: Vec<(f64, Sds)> = p.iter().map(|(s, m)| (s, Sds::new(m))).collect();
            let mut dict = Dict::new();
            for (s, m) in &v {
                dict.insert_new(m.clone(), *s);
            }
            *self = ZSet::Skiplist(Box::new(SkipList {
                dict,
                tree: Tree::from_sorted(v),
            }));
        }
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            ZSet::Listpack(v) => v.iter().find(|(_, m)| *m == member).map(|e| e.0),
            ZSet::Skiplist(sl) => sl.dict.get(member).copied(),
        }
    }

    /// 0-based rank from the lowest score.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        match self {
            ZSet::Listpack(v) => v.iter().position(|(_, m)| m == member),
            ZSet::Skiplist(sl) => {
                let s = *sl.dict.get(member)?;
                Some(sl.tree.rank(s, member))
            }
        }
    }

    /// The element at rank `k` (< len).
    pub fn get(&self, k: usize) -> (f64, &[u8]) {
        match self {
            ZSet::Listpack(v) => v.iter().nth(k).unwrap_or((0.0, &[])),
            ZSet::Skiplist(sl) => sl.tree.get(k),
        }
    }

    /// Elements from rank `k` on, ascending (`rev` false) or descending.
    pub fn iter_from(&self, k: usize, rev: bool) -> ZIter<'_> {
        match self {
            ZSet::Listpack(p) => {
                let v = p.to_vec();
                let next = if k < v.len() { k } else { usize::MAX };
                ZIter::Listpack { v, next, rev }
            }
            ZSet::Skiplist(sl) => {
                if k >= sl.tree.len() {
                    ZIter::Listpack {
                        v: Vec::new(),
                        next: usize::MAX,
                        rev,
                    }
                } else {
                    ZIter::Tree(sl.tree.iter_from(k, rev))
                }
            }
        }
    }

    /// Every element, ascending.
    pub fn iter(&self) -> ZIter<'_> {
        self.iter_from(0, false)
    }

    /// The first element (from the lowest) for which `pred` holds. A
    /// listpack is scanned from its head as Redis does; a skiplist is
    /// searched assuming `pred` fails on a prefix and holds after it.
    pub fn first_where(&self, mut pred: impl FnMut(f64, &[u8]) -> bool) -> Option<usize> {
        match self {
            ZSet::Listpack(v) => v.iter().position(|(s, m)| pred(s, m)),
            ZSet::Skiplist(sl) => {
                let k = sl.tree.count_prefix(|s, m| !pred(s, m));
                (k < sl.tree.len()).then_some(k)
            }
        }
    }

    /// The last element (from the highest) for which `pred` holds; as
    /// `first_where`, from the tail.
    pub fn last_where(&self, mut pred: impl FnMut(f64, &[u8]) -> bool) -> Option<usize> {
        match self {
            ZSet::Listpack(v) => v.to_vec().iter().rposition(|(s, m)| pred(*s, m)),
            ZSet::Skiplist(sl) => sl.tree.count_prefix(pred).checked_sub(1),
        }
    }

    /// Redis's zsetAdd: add, update or leave one member per the flags.
    pub fn add(&mut self, score: f64, member: &[u8], f: AddFlags, lim: ZSetLimits) -> AddResult {
        if score.is_nan() {
            return AddResult::Nan;
        }
        let current = match self {
            ZSet::Listpack(v) => v.iter().find(|(_, m)| *m == member).map(|e| e.0),
            // One dict probe decides and, for an update, writes the score.
            ZSet::Skiplist(sl) => match sl.dict.get_mut(member) {
                Some(cur_ref) => {
                    let cur = *cur_ref;
                    let new = match Self::resolve(score, cur, f) {
                        Ok(new) => new,
                        Err(r) => return r,
                    };
                    if new == cur {
                        return AddResult::Same(new);
                    }
                    *cur_ref = new;
                    sl.tree.remove(cur, member);
                    sl.tree.insert(new, Sds::new(member));
                    return AddResult::Updated(new);
                }
                None => None,
            },
        };
        match current {
            Some(cur) => {
                let score = match Self::resolve(score, cur, f) {
                    Ok(s) => s,
                    Err(r) => return r,
                };
                if score != cur {
                    self.update(member, cur, score);
                    AddResult::Updated(score)
                } else {
                    AddResult::Same(score)
                }
            }
            None => {
                if f.xx {
                    return AddResult::Nop;
                }
                self.insert_new(score, member, lim);
                AddResult::Added(score)
            }
        }
    }

    /// The score an existing member at `cur` would take under ZADD's
    /// flags, or why nothing changes.
    fn resolve(score: f64, cur: f64, f: AddFlags) -> Result<f64, AddResult> {
        if f.nx {
            return Err(AddResult::Nop);
        }
        let mut score = score;
        if f.incr {
            score += cur;
            if score.is_nan() {
                return Err(AddResult::Nan);
            }
        }
        if (f.lt && score >= cur) || (f.gt && score <= cur) {
            return Err(AddResult::Nop);
        }
        Ok(score)
    }

    /// Add a member known to be absent, converting first if it would not
    /// fit the listpack.
    pub fn insert_new(&mut self, score: f64, member: &[u8], lim: ZSetLimits) {
        if let ZSet::Listpack(v) = self
            && (v.len() as u64 + 1 > lim.max_entries || member.len() as u64 > lim.max_value)
        {
            self.convert_to_skiplist();
        }
        match self {
            ZSet::Listpack(v) => v.insert(listpack_score(score), member),
            ZSet::Skiplist(sl) => {
                sl.dict.insert_new(Sds::new(member), score);
                sl.tree.insert(score, Sds::new(member));
            }
        }
    }

    fn update(&mut self, member: &[u8], old: f64, new: f64) {
        match self {
            ZSet::Listpack(v) => {
                if v.remove(member).is_some() {
                    v.insert(listpack_score(new), member);
                }
            }
            ZSet::Skiplist(sl) => {
                if let Some(s) = sl.dict.get_mut(member) {
                    *s = new;
                }
                sl.tree.remove(old, member);
                sl.tree.insert(new, Sds::new(member));
            }
        }
    }

    /// Remove a member; true if it was there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self {
            ZSet::Listpack(v) => v.remove(member).is_some(),
            ZSet::Skiplist(sl) => match sl.dict.remove(member) {
                Some((_, s)) => {
                    sl.tree.remove(s, member);
                    sl.dict.shrink_if_needed();
                    true
                }
                None => false,
            },
        }
    }

    /// Remove ranks `start..end` (clamped), returning them in order.
    pub fn remove_range(&mut self, start: usize, end: usize) -> Vec<(f64, Sds)> {
        let end = end.min(self.len());
        if start >= end {
            return Vec::new();
        }
        match self {
            ZSet::Listpack(v) => v.drain(start, end),
            ZSet::Skiplist(sl) => {
                let out = sl.tree.remove_range(start, end);
                for (_, m) in &out {
                    sl.dict.remove(m);
                }
                sl.dict.shrink_if_needed();
                out
            }
        }
    }

    /// A random element (Redis's zsetTypeRandomElement).
    pub fn random(&self) -> Option<(f64, &[u8])> {
        match self {
            ZSet::Listpack(v) => {
                if v.is_empty() {
                    return None;
                }
                v.iter().nth(rand::below(v.len()))
            }
            ZSet::Skiplist(sl) => sl.dict.random_entry().map(|e| (e.value, &e.key[..])),
        }
    }

    /// `count` distinct random elements (fewer if the set is smaller).
    pub fn random_distinct(&self, count: usize) -> Vec<(f64, &[u8])> {
        let len = self.len();
        let count = count.min(len);
        match self {
            ZSet::Listpack(v) => {
                // Selection sampling: distinct picks in listpack order.
                let mut out = Vec::with_capacity(count);
                let mut needed = count;
                for (i, (s, m)) in v.iter().enumerate() {
                    if needed == 0 {
                        break;
                    }
                    if rand::below(len - i) < needed {
                        out.push((s, m));
                        needed -= 1;
                    }
                }
                out
            }
            ZSet::Skiplist(sl) => {
                if count.saturating_mul(3) > len {
                    let mut all: Vec<(f64, &[u8])> =
                        sl.dict.iter().map(|e| (e.value, &e.key[..])).collect();
                    for i in 0..count {
                        let j = i + rand::below(all.len() - i);
                        all.swap(i, j);
                    }
                    all.truncate(count);
                    all
                } else {
                    let mut seen = std::collections::HashSet::with_capacity(count);
                    let mut out = Vec::with_capacity(count);
                    while out.len() < count {
                        let Some(e) = sl.dict.random_entry() else {
                            break;
                        };
                        if seen.insert(&e.key[..]) {
                            out.push((e.value, &e.key[..]));
                        }
                    }
                    out
                }
            }
        }
    }

    /// One ZSCAN step: `f(member, score)` for what it visits; returns the
    /// next cursor. A listpack is visited whole and answers 0.
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(&[u8], f64)) -> u64 {
        match self {
            ZSet::Listpack(v) => {
                for (s, m) in v.iter() {
                    f(m, s);
                }
                0
            }
            ZSet::Skiplist(sl) => sl.dict.scan(cursor, |e| f(&e.key, e.value)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const LIM: ZSetLimits = ZSetLimits {
        max_entries: 128,
        max_value: 64,
    };

    fn sorted_ref(v: &mut [(f64, Vec<u8>)]) {
        v.sort_by(|a, b| cmp_entry(a.0, &a.1, b.0, &b.1));
    }

    fn check_against(z: &ZSet, model: &[(f64, Vec<u8>)]) {
        assert_eq!(z.len(), model.len());
        let got: Vec<(f64, Vec<u8>)> = z.iter().map(|(s, m)| (s, m.to_vec())).collect();
        assert_eq!(got, model);
        let back: Vec<(f64, Vec<u8>)> = if model.is_empty() {
            Vec::new()
        } else {
            z.iter_from(model.len() - 1, true)
                .map(|(s, m)| (s, m.to_vec()))
                .collect()
        };
        let mut rev = model.to_vec();
        rev.reverse();
        assert_eq!(back, rev);
        for (i, (s, m)) in model.iter().enumerate() {
            assert_eq!(z.rank(m), Some(i));
            assert_eq!(z.score(m), Some(*s));
            let (gs, gm) = z.get(i);
            assert_eq!((gs, gm), (*s, &m[..]));
            let from: Vec<Vec<u8>> = z.iter_from(i, false).map(|(_, m)| m.to_vec()).collect();
            assert_eq!(from.len(), model.len() - i);
            let down: Vec<Vec<u8>> = z.iter_from(i, true).map(|(_, m)| m.to_vec()).collect();
            assert_eq!(down.len(), i + 1);
            assert_eq!(down[0], *m);
        }
    }

    #[test]
    fn tree_rank_select_and_ranges() {
        let mut z = ZSet::Skiplist(Box::default());
        let mut model = Vec::new();
        for i in 0..1000u32 {
            let m = format!("m{}", (i * 7919) % 1000).into_bytes();
            let s = ((i * 31) % 17) as f64;
            z.insert_new(s, &m, LIM);
            model.push((s, m));
        }
        sorted_ref(&mut model);
        check_against(&z, &model);
        let removed = z.remove_range(100, 250);
        assert_eq!(removed.len(), 150);
        let gone: Vec<(f64, Vec<u8>)> = model.drain(100..250).collect();
        assert_eq!(
            removed
                .iter()
                .map(|(s, m)| (*s, m.to_vec()))
                .collect::<Vec<_>>(),
            gone
        );
        check_against(&z, &model);
        for (_, m) in &gone {
            assert_eq!(z.score(m), None);
        }
    }

    #[test]
    fn from_sorted_builds_a_consistent_tree() {
        for n in [0usize, 1, 2, 3, 10, 1000] {
            let items: Vec<(f64, Sds)> = (0..n)
                .map(|i| (i as f64, Sds::new(format!("{i:05}").as_bytes())))
                .collect();
            let t = Tree::from_sorted(items.clone());
            assert_eq!(t.len(), n);
            for (i, (s, m)) in items.iter().enumerate() {
                assert_eq!(t.get(i), (*s, m.as_bytes()));
                assert_eq!(t.rank(*s, m), i);
            }
        }
    }

    #[test]
    fn listpack_converts_at_the_thresholds() {
        let lim = ZSetLimits {
            max_entries: 2,
            max_value: 3,
        };
        let mut z = ZSet::new_for(1, lim);
        assert_eq!(z.encoding(), "listpack");
        z.insert_new(1.0, b"a", lim);
        z.insert_new(2.0, b"b", lim);
        assert_eq!(z.encoding(), "listpack");
        z.insert_new(3.0, b"c", lim);
        assert_eq!(z.encoding(), "skiplist");
        let mut z = ZSet::new_for(1, lim);
        z.insert_new(1.0, b"abcd", lim);
        assert_eq!(z.encoding(), "skiplist");
        assert_eq!(ZSet::new_for(4, lim).encoding(), "skiplist");
        // -0 reads back as 0 from a listpack, stays -0 in a skiplist.
        let mut z = ZSet::new_for(1, LIM);
        z.insert_new(-0.0, b"a", LIM);
        assert!(z.score(b"a").unwrap().is_sign_positive());
    }

    #[test]
    fn listpack_score_text_matches_redis() {
        assert_eq!(listpack_score_text(1e17), "100000000000000000");
        assert_eq!(
            listpack_score_text(123456789012345678.0),
            "123456789012345680"
        );
        assert_eq!(listpack_score_text(0.1), "0.10000000000000001");
        assert_eq!(listpack_score_text(f64::INFINITY), "inf");
        assert_eq!(listpack_score_text(1e19), "1e+19");
    }

    #[derive(Debug, Clone)]
    enum Op {
        Add(u8, i8),
        Rem(u8),
        RemRange(u16, u16),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (any::<u8>(), any::<i8>()).prop_map(|(m, s)| Op::Add(m, s)),
            any::<u8>().prop_map(Op::Rem),
            (any::<u16>(), any::<u16>()).prop_map(|(a, b)| Op::RemRange(a % 300, b % 300)),
        ]
    }

    proptest! {
        #[test]
        fn matches_a_sorted_vec(ops in proptest::collection::vec(op(), 1..300), small in 0u64..40) {
            let lim = ZSetLimits { max_entries: small, max_value: 64 };
            let mut z = ZSet::new_for(1, lim);
            let mut model: Vec<(f64, Vec<u8>)> = Vec::new();
            for o in ops {
                match o {
                    Op::Add(m, s) => {
                        let m = vec![b'a' + m % 40];
                        let f = AddFlags::default();
                        let r = z.add(s as f64, &m, f, lim);
                        match model.iter().position(|(_, mm)| *mm == m) {
                            Some(i) => {
                                let same = model[i].0 == s as f64;
                                model[i].0 = s as f64;
                                prop_assert_eq!(r, if same { AddResult::Same(s as f64) } else { AddResult::Updated(s as f64) });
                            }
                            None => {
                                model.push((s as f64, m));
                                prop_assert_eq!(r, AddResult::Added(s as f64));
                            }
                        }
                    }
                    Op::Rem(m) => {
                        let m = vec![b'a' + m % 40];
                        let had = model.iter().position(|(_, mm)| *mm == m);
                        if let Some(i) = had { model.remove(i); }
                        prop_assert_eq!(z.remove(&m), had.is_some());
                    }
                    Op::RemRange(a, b) => {
                        sorted_ref(&mut model);
                        let (a, b) = (a as usize, b as usize);
                        let n = z.remove_range(a, b).len();
                        let end = b.min(model.len());
                        let expect = end.saturating_sub(a);
                        if a < end { model.drain(a..end); }
                        prop_assert_eq!(n, expect);
                    }
                }
                sorted_ref(&mut model);
                prop_assert_eq!(z.len(), model.len());
            }
            check_against(&z, &model);
            for (i, (s, m)) in model.iter().enumerate() {
                let lt = z.first_where(|ss, mm| cmp_entry(ss, mm, *s, m) != Ordering::Less);
                prop_assert_eq!(lt, Some(i));
                let le = z.last_where(|ss, mm| cmp_entry(ss, mm, *s, m) != Ordering::Greater);
                prop_assert_eq!(le, Some(i));
            }
        }
    }
}
