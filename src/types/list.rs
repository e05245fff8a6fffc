//! The list type, built the way Redis's quicklist is: a deque of nodes,
//! each a packed byte buffer of up to 8 KB (list-max-listpack-size -2)
//! holding many elements back to back. A 13-byte element costs 15 bytes
//! instead of a 24-byte slot plus growth slack, and push and pop stay
//! O(1) at both ends.
//!
//! An entry is `len` as a LEB128 varint, the bytes, then the same varint
//! with its bytes reversed, so a node reads in both directions. Each node
//! keeps its live bytes in `buf[head..tail]` with free room at either
//! end, so a push at the front does not move the node's other entries.
//! An element larger than a node gets a node of its own, like Redis's
//! plain nodes. The buffers are only ever written by this module, so the
//! decoding below trusts them.

use super::packed::{read_varint, varint_len};
use crate::sds::Sds;
use std::collections::VecDeque;

/// A node's byte budget: Redis's default list-max-listpack-size -2.
const NODE_BYTES: usize = 8192;
/// A new node's buffer starts at its first entry's size (rounded up to
/// this) and grows by half each time, up to `NODE_BYTES`: a 3-element list
/// costs a few dozen bytes, a long one reallocates O(log) times per node.
const NODE_ALIGN: usize = 8;

#[derive(Clone, Default)]
pub struct List {
    nodes: VecDeque<Node>,
    len: usize,
}

#[derive(Clone)]
struct Node {
    buf: Box<[u8]>,
    head: u32,
    tail: u32,
    count: u32,
}

/// Bytes an entry of `len` data bytes takes in a node.
fn entry_size(len: usize) -> usize {
    2 * varint_len(len) + len
}

/// Write the entry for `data` at the start of `dst` (exactly
/// `entry_size(data.len())` bytes).
fn write_entry(dst: &mut [u8], data: &[u8]) {
    let h = varint_len(data.len());
    let mut n = data.len();
    for i in 0..h {
        let more = if i + 1 < h { 0x80 } else { 0 };
        let b = (n & 0x7f) as u8 | more;
        dst[i] = b;
        // The trailer holds the same bytes in reverse order.
        dst[2 * h + data.len() - 1 - i] = b;
        n >>= 7;
    }
    dst[h..h + data.len()].copy_from_slice(data);
}

/// The entry starting at `pos`: (data start, data length, next entry).
#[inline]
fn read_forward(buf: &[u8], pos: usize) -> (usize, usize, usize) {
    let (len, d) = read_varint(buf, pos);
    (d, len, d + len + (d - pos))
}

/// The entry ending at `end`: (entry start, data start, data length).
#[inline]
fn read_backward(buf: &[u8], end: usize) -> (usize, usize, usize) {
    let (mut len, mut shift, mut i) = (0usize, 0, end);
    loop {
        i -= 1;
        let b = buf[i];
        len |= ((b & 0x7f) as usize) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    let h = end - i;
    let start = end - 2 * h - len;
    (start, start + h, len)
}

impl Node {
    fn with_capacity(cap: usize, at_front: bool) -> Node {
        let pos = if at_front { cap as u32 } else { 0 };
        Node {
            buf: vec![0u8; cap].into_boxed_slice(),
            head: pos,
            tail: pos,
            count: 0,
        }
    }

    /// A node holding exactly the packed entries `bytes` (`count` of them).
    fn from_packed(bytes: &[u8], count: u32) -> Node {
        Node {
            buf: bytes.into(),
            head: 0,
            tail: bytes.len() as u32,
            count,
        }
    }

    #[inline]
    fn live(&self) -> &[u8] {
        &self.buf[self.head as usize..self.tail as usize]
    }

    #[inline]
    fn bytes(&self) -> usize {
        (self.tail - self.head) as usize
    }

    /// Make room for `n` more bytes at the front or the back: slide the
    /// live bytes when the buffer is big enough, else reallocate (doubling,
    /// up to the node budget).
    fn make_room(&mut self, n: usize, at_front: bool) {
        let live = self.bytes();
        let want = live + n;
        let cap = if want <= self.buf.len() {
            self.buf.len()
        } else {
            let grown = (self.buf.len() + self.buf.len() / 2).next_multiple_of(NODE_ALIGN);
            want.max(grown.min(NODE_BYTES))
        };
        let new_head = if at_front { cap - live } else { 0 };
        if cap == self.buf.len() {
            let (h, t) = (self.head as usize, self.tail as usize);
            self.buf.copy_within(h..t, new_head);
        } else {
            let mut buf = vec![0u8; cap].into_boxed_slice();
            buf[new_head..new_head + live].copy_from_slice(self.live());
            self.buf = buf;
        }
        self.head = new_head as u32;
        self.tail = (new_head + live) as u32;
    }

    fn push(&mut self, data: &[u8], front: bool) {
        if front {
            self.push_front(data)
        } else {
            self.push_back(data)
        }
    }

    fn push_back(&mut self, data: &[u8]) {
        let n = entry_size(data.len());
        if self.tail as usize + n > self.buf.len() {
            self.make_room(n, false);
        }
        let t = self.tail as usize;
        write_entry(&mut self.buf[t..t + n], data);
        self.tail += n as u32;
        self.count += 1;
    }

    fn push_front(&mut self, data: &[u8]) {
        let n = entry_size(data.len());
        if (self.head as usize) < n {
            self.make_room(n, true);
        }
        let h = self.head as usize - n;
        write_entry(&mut self.buf[h..h + n], data);
        self.head = h as u32;
        self.count += 1;
    }

    fn pop_front(&mut self) -> Sds {
        let (d, len, next) = read_forward(&self.buf, self.head as usize);
        let out = Sds::new(&self.buf[d..d + len]);
        self.head = next as u32;
        self.count -= 1;
        out
    }

    fn pop_back(&mut self) -> Sds {
        let (start, d, len) = read_backward(&self.buf, self.tail as usize);
        let out = Sds::new(&self.buf[d..d + len]);
        self.tail = start as u32;
        self.count -= 1;
        out
    }

    /// Byte span (start, end) in `buf` of entry `j` (< count), walking
    /// from the nearer end.
    fn span(&self, j: usize) -> (usize, usize) {
        let count = self.count as usize;
        if j < count / 2 {
            let mut pos = self.head as usize;
            for _ in 0..j {
                pos = read_forward(&self.buf, pos).2;
            }
            (pos, read_forward(&self.buf, pos).2)
        } else {
            let mut end = self.tail as usize;
            for _ in 0..count - 1 - j {
                end = read_backward(&self.buf, end).0;
            }
            (read_backward(&self.buf, end).0, end)
        }
    }
}

/// Cut a run of packed entries into nodes within the budget.
fn pack(bytes: &[u8]) -> Vec<Node> {
    let mut out = Vec::new();
    let (mut start, mut pos, mut count) = (0, 0, 0u32);
    while pos < bytes.len() {
        let next = read_forward(bytes, pos).2;
        if count > 0 && next - start > NODE_BYTES {
            out.push(Node::from_packed(&bytes[start..pos], count));
            (start, count) = (pos, 0);
        }
        count += 1;
        pos = next;
    }
    if count > 0 {
        out.push(Node::from_packed(&bytes[start..pos], count));
    }
    out
}

impl List {
    pub fn new() -> List {
        List::default()
    }

    /// How many nodes hold the elements (DEBUG OBJECT's ql_nodes).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// The nodes' bytes (DEBUG OBJECT's ql_uncompressed_size).
    pub fn nodes_bytes(&self) -> usize {
        self.nodes.iter().map(|n| (n.tail - n.head) as usize).sum()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Redis's index convention: negative counts from the tail.
    pub fn resolve_index(&self, index: i64) -> Option<usize> {
        let len = self.len as i64;
        let i = if index < 0 {
            len.checked_add(index)?
        } else {
            index
        };
        if (0..len).contains(&i) {
            Some(i as usize)
        } else {
            None
        }
    }

    pub fn push_back(&mut self, data: &[u8]) {
        self.push(data, false);
    }

    pub fn push_front(&mut self, data: &[u8]) {
        self.push(data, true);
    }

    fn push(&mut self, data: &[u8], front: bool) {
        let n = entry_size(data.len());
        let end = if front {
            self.nodes.front_mut()
        } else {
            self.nodes.back_mut()
        };
        match end {
            Some(node) if node.bytes() + n <= NODE_BYTES => node.push(data, front),
            _ => {
                let mut node = Node::with_capacity(n.next_multiple_of(NODE_ALIGN), front);
                node.push(data, front);
                if self.nodes.is_empty() {
                    // Most lists are one node: no room for more until needed.
                    self.nodes.reserve_exact(1);
                }
                if front {
                    self.nodes.push_front(node);
                } else {
                    self.nodes.push_back(node);
                }
            }
        }
        self.len += 1;
    }

    pub fn pop_front(&mut self) -> Option<Sds> {
        let first = self.nodes.front_mut()?;
        let out = first.pop_front();
        if first.count == 0 {
            self.nodes.pop_front();
        }
        self.len -= 1;
        Some(out)
    }

    pub fn pop_back(&mut self) -> Option<Sds> {
        let last = self.nodes.back_mut()?;
        let out = last.pop_back();
        if last.count == 0 {
            self.nodes.pop_back();
        }
        self.len -= 1;
        Some(out)
    }

    /// (node, index within it) of element `i` (< len), walking the node
    /// counts from the nearer end of the list.
    fn locate(&self, i: usize) -> (usize, usize) {
        if i < self.len / 2 {
            let mut i = i;
            for (ni, node) in self.nodes.iter().enumerate() {
                let c = node.count as usize;
                if i < c {
                    return (ni, i);
                }
                i -= c;
            }
        } else {
            let mut from_end = self.len - 1 - i;
            for (ni, node) in self.nodes.iter().enumerate().rev() {
                let c = node.count as usize;
                if from_end < c {
                    return (ni, c - 1 - from_end);
                }
                from_end -= c;
            }
        }
        unreachable!("list index {i} past its length {}", self.len)
    }

    pub fn get(&self, i: usize) -> Option<&[u8]> {
        if i >= self.len {
            return None;
        }
        let (ni, j) = self.locate(i);
        let node = &self.nodes[ni];
        let (start, _) = node.span(j);
        let (d, len, _) = read_forward(&node.buf, start);
        Some(&node.buf[d..d + len])
    }

    /// Replace node `ni` by the nodes `pack` cuts from `bytes`.
    fn replace_node(&mut self, ni: usize, bytes: &[u8]) {
        self.nodes.remove(ni);
        for (k, node) in pack(bytes).into_iter().enumerate() {
            self.nodes.insert(ni + k, node);
        }
    }

    /// Overwrite element `i` (< len).
    pub fn set(&mut self, i: usize, data: &[u8]) {
        if i < self.len {
            self.rewrite_at(i, data, true);
        }
    }

    /// Insert `data` so that it becomes element `i` (<= len).
    pub fn insert(&mut self, i: usize, data: &[u8]) {
        if i == 0 {
            return self.push_front(data);
        }
        if i >= self.len {
            return self.push_back(data);
        }
        self.rewrite_at(i, data, false);
        self.len += 1;
    }

    /// Rebuild the node holding element `i` (< len) with `data` written in
    /// its place (`replace`) or just before it, cut anew into nodes.
    fn rewrite_at(&mut self, i: usize, data: &[u8], replace: bool) {
        let (ni, j) = self.locate(i);
        let node = &self.nodes[ni];
        let (s, e) = node.span(j);
        let resume = if replace { e } else { s };
        let mut bytes = Vec::with_capacity(node.bytes() + entry_size(data.len()));
        bytes.extend_from_slice(&node.buf[node.head as usize..s]);
        let at = bytes.len();
        bytes.resize(at + entry_size(data.len()), 0);
        write_entry(&mut bytes[at..], data);
        bytes.extend_from_slice(&node.buf[resume..node.tail as usize]);
        self.replace_node(ni, &bytes);
    }

    /// Drop the first `n` elements (whole nodes at a time where it can).
    pub fn drop_front(&mut self, mut n: usize) {
        n = n.min(self.len);
        self.len -= n;
        while n > 0 {
            let Some(first) = self.nodes.front_mut() else {
                break;
            };
            if first.count as usize <= n {
                n -= first.count as usize;
                self.nodes.pop_front();
            } else {
                let (s, _) = first.span(n);
                first.head = s as u32;
                first.count -= n as u32;
                n = 0;
            }
        }
    }

    /// Drop the last `n` elements.
    pub fn drop_back(&mut self, mut n: usize) {
        n = n.min(self.len);
        self.len -= n;
        while n > 0 {
            let Some(last) = self.nodes.back_mut() else {
                break;
            };
            if last.count as usize <= n {
                n -= last.count as usize;
                self.nodes.pop_back();
            } else {
                let keep = last.count as usize - n;
                let (_, e) = last.span(keep - 1);
                last.tail = e as u32;
                last.count = keep as u32;
                n = 0;
            }
        }
    }

    pub fn clear(&mut self) {
        self.nodes.clear();
        self.len = 0;
    }

    /// Remove the elements at the given indices (ascending, each < len)
    /// by repacking the list once.
    pub fn remove_indices(&mut self, sorted: &[usize]) {
        if sorted.is_empty() {
            return;
        }
        let mut out = List::new();
        let mut skip = sorted.iter().peekable();
        for (i, e) in self.iter().enumerate() {
            if skip.peek() == Some(&&i) {
                skip.next();
            } else {
                out.push_back(e);
            }
        }
        *self = out;
    }

    pub fn iter(&self) -> Iter<'_> {
        self.iter_from(0)
    }

    /// Iterate from element `i` to the end (and from the end backwards).
    pub fn iter_from(&self, i: usize) -> Iter<'_> {
        let (back_node, back_pos) = match self.nodes.back() {
            Some(n) => (self.nodes.len() - 1, n.tail as usize),
            None => (0, 0),
        };
        let (front_node, front_pos) = if i >= self.len {
            (back_node, back_pos)
        } else {
            let (ni, j) = self.locate(i);
            (ni, self.nodes[ni].span(j).0)
        };
        Iter {
            nodes: &self.nodes,
            front_node,
            front_pos,
            back_node,
            back_pos,
            remaining: self.len.saturating_sub(i),
        }
    }
}

impl<'a> FromIterator<&'a [u8]> for List {
    fn from_iter<I: IntoIterator<Item = &'a [u8]>>(it: I) -> List {
        let mut l = List::new();
        for e in it {
            l.push_back(e);
        }
        l
    }
}

/// Elements in order, from either end.
pub struct Iter<'a> {
    nodes: &'a VecDeque<Node>,
    front_node: usize,
    front_pos: usize,
    back_node: usize,
    back_pos: usize,
    remaining: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.remaining == 0 {
            return None;
        }
        let mut node = &self.nodes[self.front_node];
        while self.front_pos >= node.tail as usize {
            self.front_node += 1;
            node = &self.nodes[self.front_node];
            self.front_pos = node.head as usize;
        }
        let (d, len, next) = read_forward(&node.buf, self.front_pos);
        self.front_pos = next;
        self.remaining -= 1;
        Some(&node.buf[d..d + len])
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<'a> DoubleEndedIterator for Iter<'a> {
    fn next_back(&mut self) -> Option<&'a [u8]> {
        if self.remaining == 0 {
            return None;
        }
        let mut node = &self.nodes[self.back_node];
        while self.back_pos <= node.head as usize {
            self.back_node -= 1;
            node = &self.nodes[self.back_node];
            self.back_pos = node.tail as usize;
        }
        let (start, d, len) = read_backward(&node.buf, self.back_pos);
        self.back_pos = start;
        self.remaining -= 1;
        Some(&node.buf[d..d + len])
    }
}

impl ExactSizeIterator for Iter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check(l: &List, model: &VecDeque<Vec<u8>>) {
        assert_eq!(l.len(), model.len());
        let fwd: Vec<&[u8]> = l.iter().collect();
        let want: Vec<&[u8]> = model.iter().map(|v| v.as_slice()).collect();
        assert_eq!(fwd, want);
        let mut back: Vec<&[u8]> = l.iter().rev().collect();
        back.reverse();
        assert_eq!(back, want);
        for (i, w) in want.iter().enumerate() {
            assert_eq!(l.get(i), Some(*w));
        }
        assert_eq!(l.get(model.len()), None);
        let counted: usize = l.nodes.iter().map(|n| n.count as usize).sum();
        assert_eq!(counted, l.len());
        for n in &l.nodes {
            assert!(n.count > 0);
            assert!(n.bytes() <= NODE_BYTES || n.count == 1);
        }
    }

    #[test]
    fn varint_entries_round_trip_both_ways() {
        for len in [0, 1, 127, 128, 300, 16383, 16384, 70000] {
            let data: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let mut buf = vec![0u8; entry_size(len)];
            write_entry(&mut buf, &data);
            let (d, l, next) = read_forward(&buf, 0);
            assert_eq!((&buf[d..d + l], next), (&data[..], buf.len()));
            let (start, d, l) = read_backward(&buf, buf.len());
            assert_eq!((start, &buf[d..d + l]), (0, &data[..]));
        }
    }

    #[test]
    fn thirteen_byte_elements_cost_fifteen_bytes() {
        let mut l = List::new();
        for i in 0..100_000 {
            l.push_back(format!("elem:{i:08}").as_bytes());
        }
        let bytes: usize = l.nodes.iter().map(|n| n.buf.len()).sum();
        assert!(bytes < 100_000 * 16, "{bytes}");
        assert_eq!(l.get(54_321), Some(&b"elem:00054321"[..]));
    }

    #[derive(Debug, Clone)]
    enum Op {
        PushFront(Vec<u8>),
        PushBack(Vec<u8>),
        PopFront,
        PopBack,
        Set(usize, Vec<u8>),
        Insert(usize, Vec<u8>),
        DropFront(usize),
        DropBack(usize),
        RemoveEvery(usize),
        IterFrom(usize),
    }

    fn elem() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            8 => proptest::collection::vec(any::<u8>(), 0..20),
            1 => proptest::collection::vec(any::<u8>(), 100..400),
            1 => proptest::collection::vec(any::<u8>(), 7000..9000),
        ]
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            6 => elem().prop_map(Op::PushFront),
            6 => elem().prop_map(Op::PushBack),
            2 => Just(Op::PopFront),
            2 => Just(Op::PopBack),
            1 => (any::<usize>(), elem()).prop_map(|(i, e)| Op::Set(i, e)),
            1 => (any::<usize>(), elem()).prop_map(|(i, e)| Op::Insert(i, e)),
            1 => (0usize..50).prop_map(Op::DropFront),
            1 => (0usize..50).prop_map(Op::DropBack),
            1 => (2usize..7).prop_map(Op::RemoveEvery),
            1 => any::<usize>().prop_map(Op::IterFrom),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn matches_a_vecdeque(ops in proptest::collection::vec(op(), 1..400)) {
            let mut l = List::new();
            let mut m: VecDeque<Vec<u8>> = VecDeque::new();
            for op in ops {
                match op {
                    Op::PushFront(e) => { l.push_front(&e); m.push_front(e); }
                    Op::PushBack(e) => { l.push_back(&e); m.push_back(e); }
                    Op::PopFront => {
                        prop_assert_eq!(l.pop_front().map(|s| s.to_vec()), m.pop_front());
                    }
                    Op::PopBack => {
                        prop_assert_eq!(l.pop_back().map(|s| s.to_vec()), m.pop_back());
                    }
                    Op::Set(i, e) => if !m.is_empty() {
                        let i = i % m.len();
                        l.set(i, &e);
                        m[i] = e;
                    },
                    Op::Insert(i, e) => {
                        let i = i % (m.len() + 1);
                        l.insert(i, &e);
                        m.insert(i, e);
                    }
                    Op::DropFront(n) => {
                        l.drop_front(n);
                        m.drain(..n.min(m.len()));
                    }
                    Op::DropBack(n) => {
                        l.drop_back(n);
                        m.truncate(m.len() - n.min(m.len()));
                    }
                    Op::RemoveEvery(k) => {
                        let idx: Vec<usize> = (0..m.len()).filter(|i| i % k == 0).collect();
                        l.remove_indices(&idx);
                        let mut i = 0;
                        m.retain(|_| { i += 1; (i - 1) % k != 0 });
                    }
                    Op::IterFrom(i) => {
                        let i = i % (m.len() + 1);
                        let got: Vec<&[u8]> = l.iter_from(i).collect();
                        let want: Vec<&[u8]> = m.iter().skip(i).map(|v| v.as_slice()).collect();
                        prop_assert_eq!(got, want);
                        let got: Vec<&[u8]> = l.iter_from(i).rev().collect();
                        let want: Vec<&[u8]> = m.iter().skip(i).rev().map(|v| v.as_slice()).collect();
                        prop_assert_eq!(got, want);
                    }
                }
            }
            check(&l, &m);
        }
    }
}
