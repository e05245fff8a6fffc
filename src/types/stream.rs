//! The stream type, after Redis's t_stream.c and stream.h.
//!
//! Entries live in nodes keyed by their master ID (the ID of the first
//! entry ever added to the node), in an ordered map standing where Redis
//! keeps its radix tree. Each node is a listpack laid out byte for byte as
//! Redis lays it out, so an RDB file carries nodes as they are:
//!
//! ```text
//! master entry: count | deleted | num-fields | field_1 .. field_N | 0
//! each entry:   flags | ms-diff | seq-diff | [num-fields | field value ..]
//!               or, with SAMEFIELDS, just the values | lp-count
//! ```
//!
//! IDs are delta-encoded against the master ID, and an entry with the
//! master's field names stores only its values. A deleted entry is only
//! flagged; a node goes when its last live entry does. Nodes sit under
//! `Arc`, so a snapshot's clone of a stream shares them and a write copies
//! only the node it changes.
//!
//! Consumer groups keep their pending entries lists (PELs) in ordered maps
//! by ID, the group's and each consumer's, as Redis keeps two radix trees.

use crate::persistence::listpack::{self, Entry, HEADER_SIZE};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

pub const FLAG_DELETED: i64 = 1;
pub const FLAG_SAMEFIELDS: i64 = 2;
/// Redis's STREAM_LISTPACK_MAX_SIZE: the most a node may hold.
pub const LISTPACK_MAX_SIZE: usize = 1 << 30;
/// Redis's STREAM_LISTPACK_MAX_PRE_ALLOCATE.
const MAX_PRE_ALLOCATE: usize = 4096;
/// SCG_INVALID_ENTRIES_READ: a group's read counter is unknown.
pub const INVALID_ENTRIES_READ: i64 = -1;

/// A stream entry ID: milliseconds and sequence number.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub struct StreamId {
    pub ms: u64,
    pub seq: u64,
}

impl StreamId {
    pub const MIN: StreamId = StreamId { ms: 0, seq: 0 };
    pub const MAX: StreamId = StreamId {
        ms: u64::MAX,
        seq: u64::MAX,
    };

    pub fn new(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    pub fn is_zero(&self) -> bool {
        self.ms == 0 && self.seq == 0
    }

    /// The next ID (streamIncrID); None past the last possible one.
    pub fn incr(self) -> Option<StreamId> {
        if self.seq == u64::MAX {
            if self.ms == u64::MAX {
                None
            } else {
                Some(StreamId::new(self.ms + 1, 0))
            }
        } else {
            Some(StreamId::new(self.ms, self.seq + 1))
        }
    }

    /// The previous ID (streamDecrID); None before 0-0.
    pub fn decr(self) -> Option<StreamId> {
        if self.seq == 0 {
            if self.ms == 0 {
                None
            } else {
                Some(StreamId::new(self.ms - 1, u64::MAX))
            }
        } else {
            Some(StreamId::new(self.ms, self.seq - 1))
        }
    }

    /// The 128-bit big-endian form Redis keys its radix trees with.
    pub fn to_be_bytes(self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&self.ms.to_be_bytes());
        b[8..].copy_from_slice(&self.seq.to_be_bytes());
        b
    }

    pub fn from_be_bytes(b: &[u8]) -> Option<StreamId> {
        if b.len() != 16 {
            return None;
        }
        let mut ms = [0u8; 8];
        let mut seq = [0u8; 8];
        ms.copy_from_slice(&b[..8]);
        seq.copy_from_slice(&b[8..]);
        Some(StreamId::new(
            u64::from_be_bytes(ms),
            u64::from_be_bytes(seq),
        ))
    }

    /// `<ms>-<seq>`, as replies and propagated commands carry it.
    pub fn to_bytes(self) -> Vec<u8> {
        format!("{}-{}", self.ms, self.seq).into_bytes()
    }
}

/// A pending entry: delivered to a consumer, not yet acknowledged.
#[derive(Clone, Debug, PartialEq)]
pub struct Nack {
    /// Unix ms of the last delivery.
    pub delivery_time: i64,
    pub delivery_count: u64,
    /// The consumer it was last delivered to.
    pub consumer: Arc<[u8]>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Consumer {
    pub name: Arc<[u8]>,
    /// Unix ms of the consumer's last activity.
    pub seen_time: i64,
    /// The IDs of the group PEL's entries this consumer holds.
    pub pel: BTreeSet<StreamId>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ConsumerGroup {
    /// Last delivered ID.
    pub last_id: StreamId,
    /// The group's logical read counter, or INVALID_ENTRIES_READ.
    pub entries_read: i64,
    pub pel: BTreeMap<StreamId, Nack>,
    pub consumers: BTreeMap<Vec<u8>, Consumer>,
}

impl ConsumerGroup {
    pub fn new(last_id: StreamId, entries_read: i64) -> ConsumerGroup {
        ConsumerGroup {
            last_id,
            entries_read,
            pel: BTreeMap::new(),
            consumers: BTreeMap::new(),
        }
    }

    /// Create a consumer (streamCreateConsumer); false if it exists.
    pub fn create_consumer(&mut self, name: &[u8], now: i64) -> bool {
        if self.consumers.contains_key(name) {
            return false;
        }
        self.consumers.insert(
            name.to_vec(),
            Consumer {
                name: Arc::from(name),
                seen_time: now,
                pel: BTreeSet::new(),
            },
        );
        true
    }

    /// Delete a consumer and its pending entries (streamDelConsumer);
    /// returns how many it had.
    pub fn delete_consumer(&mut self, name: &[u8]) -> Option<usize> {
        let c = self.consumers.remove(name)?;
        for id in &c.pel {
            self.pel.remove(id);
        }
        Some(c.pel.len())
    }

    /// Remove a pending entry from the group and its owner (XACK).
    pub fn ack(&mut self, id: StreamId) -> bool {
        match self.pel.remove(&id) {
            Some(n) => {
                if let Some(c) = self.consumers.get_mut(&*n.consumer) {
                    c.pel.remove(&id);
                }
                true
            }
            None => false,
        }
    }

    /// Give the pending entry `id` to `consumer` (it must exist), taking
    /// it from its previous owner.
    pub fn assign(&mut self, id: StreamId, consumer: &[u8]) {
        let Some(new_owner) = self.consumers.get(consumer).map(|c| c.name.clone()) else {
            return;
        };
        if let Some(n) = self.pel.get_mut(&id)
            && *n.consumer != *consumer
        {
            let old = std::mem::replace(&mut n.consumer, new_owner);
            if let Some(c) = self.consumers.get_mut(&*old) {
                c.pel.remove(&id);
            }
        }
        if let Some(c) = self.consumers.get_mut(consumer) {
            c.pel.insert(id);
        }
    }
}

/// How XADD's ID was given.
#[derive(Clone, Copy, Debug)]
pub enum IdSpec {
    /// `*`.
    Auto,
    /// `<ms>-*`.
    Ms(u64),
    /// A full ID.
    Exact(StreamId),
}

/// Why an append failed.
#[derive(Debug, PartialEq)]
pub enum AppendError {
    /// The ID is not greater than the top item (errno EDOM).
    IdTooSmall,
    /// The fields are too large for a node (errno ERANGE).
    TooLarge,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TrimStrategy {
    None,
    MaxLen(u64),
    MinId(StreamId),
}

#[derive(Clone, Copy, Debug)]
pub struct TrimArgs {
    pub strategy: TrimStrategy,
    pub approx: bool,
    /// 0: no limit on the entries removed.
    pub limit: i64,
}

/// Node size limits (stream-node-max-bytes / stream-node-max-entries).
#[derive(Clone, Copy, Debug)]
pub struct NodeLimits {
    pub max_bytes: usize,
    pub max_entries: i64,
}

/// The parsed master entry of a node.
#[derive(Clone, Copy, Debug)]
struct Master {
    count: i64,
    deleted: i64,
    nfields: usize,
    /// Offset of the first master field.
    fields_at: usize,
    /// Offset of the first entry (after the master's 0 terminator).
    entries_at: usize,
}

/// One entry as found in a node.
#[derive(Clone, Copy, Debug)]
struct RawEntry {
    /// Offset of the flags element.
    at: usize,
    flags: i64,
    id: StreamId,
    nfields: usize,
    /// Offset of the first field (or value, with SAMEFIELDS).
    body_at: usize,
    /// Offset of the next entry.
    next: usize,
}

fn lp_end(lp: &[u8]) -> usize {
    lp.len().saturating_sub(1)
}

/// The element at `p`. Nodes are checked when loaded and built here, so
/// backlens are skipped unread; a damaged one still cannot panic.
#[inline]
fn read(lp: &[u8], p: usize) -> Option<(Entry<'_>, usize)> {
    if p >= lp_end(lp) {
        return None;
    }
    listpack::element_at(lp, p)
}

fn as_int(e: Entry<'_>) -> Option<i64> {
    match e {
        Entry::Int(v) => Some(v),
        Entry::Str(s) => crate::util::num::string2ll(s),
    }
}

fn read_int(lp: &[u8], p: usize) -> Option<(i64, usize)> {
    let (e, n) = read(lp, p)?;
    Some((as_int(e)?, n))
}

fn skip(lp: &[u8], mut p: usize, n: usize) -> Option<usize> {
    for _ in 0..n {
        p = read(lp, p)?.1;
    }
    Some(p)
}

fn parse_master(lp: &[u8]) -> Option<Master> {
    let (count, p) = read_int(lp, HEADER_SIZE)?;
    let (deleted, p) = read_int(lp, p)?;
    let (nfields, p) = read_int(lp, p)?;
    let nfields = usize::try_from(nfields).ok()?;
    let fields_at = p;
    let p = skip(lp, p, nfields)?;
    let (_zero, entries_at) = read_int(lp, p)?;
    Some(Master {
        count,
        deleted,
        nfields,
        fields_at,
        entries_at,
    })
}

fn parse_entry(lp: &[u8], m: &Master, master_id: StreamId, at: usize) -> Option<RawEntry> {
    if at >= lp_end(lp) {
        return None;
    }
    let (flags, p) = read_int(lp, at)?;
    let (ms_diff, p) = read_int(lp, p)?;
    let (seq_diff, p) = read_int(lp, p)?;
    let id = StreamId::new(
        master_id.ms.wrapping_add(ms_diff as u64),
        master_id.seq.wrapping_add(seq_diff as u64),
    );
    let (nfields, body_at, elems) = if flags & FLAG_SAMEFIELDS != 0 {
        (m.nfields, p, m.nfields)
    } else {
        let (n, p) = read_int(lp, p)?;
        let n = usize::try_from(n).ok()?;
        (n, p, n.checked_mul(2)?)
    };
    let p = skip(lp, body_at, elems)?;
    let (_lp_count, next) = read(lp, p)?;
    Some(RawEntry {
        at,
        flags,
        id,
        nfields,
        body_at,
        next,
    })
}

/// The entry that ends right before offset `p` (the next entry's flags, or
/// the terminator), found backwards through its lp-count as Redis's reverse
/// iterator does; None once the master entry is reached.
fn entry_before(lp: &[u8], m: &Master, master_id: StreamId, p: usize) -> Option<RawEntry> {
    let q = listpack::prev_element(lp, p)?;
    if q < m.entries_at {
        return None;
    }
    let (count, _) = read_int(lp, q)?;
    if count <= 0 || count as usize > lp.len() {
        return None;
    }
    let mut f = q;
    for _ in 0..count {
        f = listpack::prev_element(lp, f)?;
    }
    if f < m.entries_at {
        return None;
    }
    parse_entry(lp, m, master_id, f)
}

/// Every entry of a node, tombstones included, in order.
fn node_entries(lp: &[u8], master_id: StreamId) -> (Option<Master>, Vec<RawEntry>) {
    let Some(m) = parse_master(lp) else {
        return (None, Vec::new());
    };
    let mut out = Vec::new();
    let mut p = m.entries_at;
    while let Some(e) = parse_entry(lp, &m, master_id, p) {
        p = e.next;
        out.push(e);
    }
    (Some(m), out)
}

/// Write the header (total bytes, element count) after an edit.
fn fix_header(lp: &mut [u8], count_delta: i64) {
    let total = lp.len() as u32;
    lp[0..4].copy_from_slice(&total.to_le_bytes());
    let count = u16::from_le_bytes([lp[4], lp[5]]);
    if count != listpack::COUNT_UNKNOWN {
        let n = (count as i64 + count_delta).clamp(0, listpack::COUNT_UNKNOWN as i64);
        lp[4..6].copy_from_slice(&(n as u16).to_le_bytes());
    }
}

/// Replace the integer element at `p` (lpReplaceInteger); its encoding
/// may change size.
fn replace_int(lp: &mut Vec<u8>, p: usize, v: i64) {
    let Some((_, next)) = read(lp, p) else { return };
    let mut enc = Vec::with_capacity(10);
    listpack::append_int(&mut enc, v);
    lp.splice(p..next, enc);
    fix_header(lp, 0);
}

/// An entry handed to a visitor: its ID and a way to read its fields.
pub struct EntryView<'a> {
    pub id: StreamId,
    lp: &'a [u8],
    samefields: bool,
    master_fields_at: usize,
    body_at: usize,
    pub nfields: usize,
}

impl<'a> EntryView<'a> {
    /// The field-value pairs, in order.
    pub fn fields(&self) -> FieldIter<'a> {
        FieldIter {
            lp: self.lp,
            samefields: self.samefields,
            mf: self.master_fields_at,
            p: self.body_at,
            left: self.nfields,
        }
    }
}

pub struct FieldIter<'a> {
    lp: &'a [u8],
    samefields: bool,
    mf: usize,
    p: usize,
    left: usize,
}

impl<'a> Iterator for FieldIter<'a> {
    type Item = (Entry<'a>, Entry<'a>);
    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        if self.samefields {
            let (f, mf) = read(self.lp, self.mf)?;
            let (v, p) = read(self.lp, self.p)?;
            self.mf = mf;
            self.p = p;
            Some((f, v))
        } else {
            let (f, p) = read(self.lp, self.p)?;
            let (v, p) = read(self.lp, p)?;
            self.p = p;
            Some((f, v))
        }
    }
}

fn view<'a>(lp: &'a [u8], m: &Master, e: &RawEntry) -> EntryView<'a> {
    EntryView {
        id: e.id,
        lp,
        samefields: e.flags & FLAG_SAMEFIELDS != 0,
        master_fields_at: m.fields_at,
        body_at: e.body_at,
        nfields: e.nfields,
    }
}

#[derive(Clone, Default, Debug, PartialEq)]
pub struct Stream {
    /// Nodes by master ID.
    pub nodes: BTreeMap<StreamId, Arc<Vec<u8>>>,
    /// Live entries.
    pub length: u64,
    pub last_id: StreamId,
    /// The first live entry's ID, 0-0 when empty.
    pub first_id: StreamId,
    pub max_deleted_entry_id: StreamId,
    /// Every entry ever added.
    pub entries_added: u64,
    pub cgroups: BTreeMap<Vec<u8>, ConsumerGroup>,
}

impl Stream {
    pub fn new() -> Stream {
        Stream::default()
    }

    pub fn len(&self) -> u64 {
        self.length
    }

    pub fn is_empty(&self) -> bool {
        self.length == 0
    }

    /// Visit live entries from `start` to `end` inclusive (reversed with
    /// `rev`); the visitor returns false to stop.
    pub fn range(
        &self,
        start: StreamId,
        end: StreamId,
        rev: bool,
        mut f: impl FnMut(&EntryView<'_>) -> bool,
    ) {
        if start > end {
            return;
        }
        if !rev {
            let from = self
                .nodes
                .range(..=start)
                .next_back()
                .map(|(k, _)| *k)
                .unwrap_or(start);
            for (&mid, lp) in self.nodes.range(from..) {
                if mid > end {
                    return;
                }
                let Some(m) = parse_master(lp) else { continue };
                let mut p = m.entries_at;
                while let Some(e) = parse_entry(lp, &m, mid, p) {
                    p = e.next;
                    if e.id < start || e.flags & FLAG_DELETED != 0 {
                        continue;
                    }
                    if e.id > end {
                        return;
                    }
                    if !f(&view(lp, &m, &e)) {
                        return;
                    }
                }
            }
        } else {
            for (&mid, lp) in self.nodes.range(..=end).rev() {
                let Some(m) = parse_master(lp) else { continue };
                let mut p = lp_end(lp);
                while let Some(e) = entry_before(lp, &m, mid, p) {
                    p = e.at;
                    if e.id > end || e.flags & FLAG_DELETED != 0 {
                        continue;
                    }
                    if e.id < start {
                        return;
                    }
                    if !f(&view(lp, &m, &e)) {
                        return;
                    }
                }
            }
        }
    }

    /// The first or last entry's ID, tombstones skipped or not
    /// (streamGetEdgeID); None when there is none.
    pub fn edge_id(&self, first: bool, skip_tombstones: bool) -> Option<StreamId> {
        let pick = |e: &RawEntry| !skip_tombstones || e.flags & FLAG_DELETED == 0;
        if first {
            for (&mid, lp) in &self.nodes {
                let Some(m) = parse_master(lp) else { continue };
                let mut p = m.entries_at;
                while let Some(e) = parse_entry(lp, &m, mid, p) {
                    p = e.next;
                    if pick(&e) {
                        return Some(e.id);
                    }
                }
            }
        } else {
            for (&mid, lp) in self.nodes.iter().rev() {
                let Some(m) = parse_master(lp) else { continue };
                let mut p = lp_end(lp);
                while let Some(e) = entry_before(lp, &m, mid, p) {
                    p = e.at;
                    if pick(&e) {
                        return Some(e.id);
                    }
                }
            }
        }
        None
    }

    /// The last live entry's ID (streamLastValidID), 0-0 when empty.
    pub fn last_valid_id(&self) -> StreamId {
        self.edge_id(false, true).unwrap_or_default()
    }

    /// Is `id` a live entry (streamEntryExists)?
    pub fn entry_exists(&self, id: StreamId) -> bool {
        let mut found = false;
        self.range(id, id, false, |_| {
            found = true;
            false
        });
        found
    }

    /// Add an entry (streamAppendItem). `fv` holds field, value, field,
    /// value...
    pub fn append(
        &mut self,
        fv: &[Vec<u8>],
        spec: IdSpec,
        lim: NodeLimits,
        now_ms: u64,
    ) -> Result<StreamId, AppendError> {
        let id = match spec {
            IdSpec::Exact(id) => id,
            IdSpec::Ms(ms) => {
                if self.last_id.ms == ms {
                    if self.last_id.seq == u64::MAX {
                        return Err(AppendError::IdTooSmall);
                    }
                    StreamId::new(ms, self.last_id.seq + 1)
                } else {
                    StreamId::new(ms, 0)
                }
            }
            IdSpec::Auto => {
                if now_ms > self.last_id.ms {
                    StreamId::new(now_ms, 0)
                } else {
                    self.last_id.incr().unwrap_or_default()
                }
            }
        };
        if id <= self.last_id {
            return Err(AppendError::IdTooSmall);
        }
        let totelelen: usize = fv.iter().map(|a| a.len()).sum();
        if totelelen > LISTPACK_MAX_SIZE {
            return Err(AppendError::TooLarge);
        }
        let numfields = fv.len() / 2;
        let max_bytes = if lim.max_bytes == 0 || lim.max_bytes > LISTPACK_MAX_SIZE {
            LISTPACK_MAX_SIZE
        } else {
            lim.max_bytes
        };

        // Append to the tail node unless it is full.
        let mut tail = self.nodes.iter().next_back().map(|(k, _)| *k);
        if let Some(k) = tail {
            let full = match self.nodes.get(&k) {
                Some(lp) => {
                    if lp.len() + totelelen >= max_bytes {
                        true
                    } else if lim.max_entries > 0 {
                        parse_master(lp)
                            .map(|m| m.count + m.deleted >= lim.max_entries)
                            .unwrap_or(true)
                    } else {
                        false
                    }
                }
                None => true,
            };
            if full {
                if let Some(lp) = self.nodes.get_mut(&k) {
                    Arc::make_mut(lp).shrink_to_fit();
                }
                tail = None;
            }
        }

        let mut flags = 0;
        let master_id;
        let lp: &mut Vec<u8> = match tail {
            None => {
                master_id = id;
                let prealloc = if lim.max_bytes > 0 && lim.max_bytes < MAX_PRE_ALLOCATE {
                    lim.max_bytes
                } else {
                    MAX_PRE_ALLOCATE
                };
                let mut lp = Vec::with_capacity(prealloc.max(HEADER_SIZE + 1));
                lp.extend_from_slice(&[0; HEADER_SIZE]);
                listpack::append_int(&mut lp, 1);
                listpack::append_int(&mut lp, 0);
                listpack::append_int(&mut lp, numfields as i64);
                for pair in fv.chunks_exact(2) {
                    listpack::append(&mut lp, &pair[0]);
                }
                listpack::append_int(&mut lp, 0);
                lp.push(listpack::EOF);
                let n = (numfields as u64 + 4).min(listpack::COUNT_UNKNOWN as u64) as u16;
                lp[4..6].copy_from_slice(&n.to_le_bytes());
                fix_header(&mut lp, 0);
                flags |= FLAG_SAMEFIELDS;
                self.nodes.insert(id, Arc::new(lp));
                match self.nodes.get_mut(&id) {
                    Some(lp) => Arc::make_mut(lp),
                    None => return Err(AppendError::TooLarge),
                }
            }
            Some(k) => {
                master_id = k;
                let Some(arc) = self.nodes.get_mut(&k) else {
                    return Err(AppendError::TooLarge);
                };
                let lp = Arc::make_mut(arc);
                if let Some(m) = parse_master(lp) {
                    replace_int(lp, HEADER_SIZE, m.count + 1);
                }
                if let Some(m) = parse_master(lp)
                    && m.nfields == numfields
                {
                    let mut p = m.fields_at;
                    let mut same = true;
                    for pair in fv.chunks_exact(2) {
                        match read(lp, p) {
                            Some((e, next)) => {
                                let eq = match e {
                                    Entry::Str(s) => s == pair[0].as_slice(),
                                    Entry::Int(v) => v.to_string().as_bytes() == pair[0].as_slice(),
                                };
                                if !eq {
                                    same = false;
                                    break;
                                }
                                p = next;
                            }
                            None => {
                                same = false;
                                break;
                            }
                        }
                    }
                    if same {
                        flags |= FLAG_SAMEFIELDS;
                    }
                }
                lp
            }
        };

        // The entry itself, appended before the terminator.
        lp.pop();
        let mut elems: i64 = 0;
        listpack::append_int(lp, flags);
        listpack::append_int(lp, id.ms.wrapping_sub(master_id.ms) as i64);
        listpack::append_int(lp, id.seq.wrapping_sub(master_id.seq) as i64);
        elems += 3;
        if flags & FLAG_SAMEFIELDS == 0 {
            listpack::append_int(lp, numfields as i64);
            elems += 1;
        }
        for pair in fv.chunks_exact(2) {
            if flags & FLAG_SAMEFIELDS == 0 {
                listpack::append(lp, &pair[0]);
                elems += 1;
            }
            listpack::append(lp, &pair[1]);
            elems += 1;
        }
        let mut lp_count = numfields as i64 + 3;
        if flags & FLAG_SAMEFIELDS == 0 {
            lp_count += numfields as i64 + 1;
        }
        listpack::append_int(lp, lp_count);
        elems += 1;
        lp.push(listpack::EOF);
        fix_header(lp, elems);

        self.length += 1;
        self.entries_added += 1;
        self.last_id = id;
        if self.length == 1 {
            self.first_id = id;
        }
        Ok(id)
    }

    /// Mark the live entry `id` deleted (streamDeleteItem); a node whose
    /// last live entry goes is removed.
    pub fn delete(&mut self, id: StreamId) -> bool {
        let Some((&mid, _)) = self.nodes.range(..=id).next_back() else {
            return false;
        };
        let Some(arc) = self.nodes.get_mut(&mid) else {
            return false;
        };
        let (Some(m), entries) = node_entries(arc, mid) else {
            return false;
        };
        let Some(e) = entries
            .iter()
            .find(|e| e.id == id && e.flags & FLAG_DELETED == 0)
            .copied()
        else {
            return false;
        };
        if m.count <= 1 {
            self.nodes.remove(&mid);
        } else {
            let lp = Arc::make_mut(arc);
            replace_int(lp, e.at, e.flags | FLAG_DELETED);
            replace_int(lp, HEADER_SIZE, m.count - 1);
            if let Some((_, p)) = read(lp, HEADER_SIZE) {
                replace_int(lp, p, m.deleted + 1);
            }
        }
        self.length = self.length.saturating_sub(1);
        true
    }

    /// XDEL's bookkeeping around `delete`: the first ID and the largest
    /// deleted one.
    pub fn delete_ids(&mut self, ids: &[StreamId]) -> usize {
        let mut deleted = 0;
        let mut first_entry = false;
        for &id in ids {
            if self.delete(id) {
                if id == self.first_id {
                    first_entry = true;
                }
                if id > self.max_deleted_entry_id {
                    self.max_deleted_entry_id = id;
                }
                deleted += 1;
            }
        }
        if deleted > 0 {
            if self.length == 0 {
                self.first_id = StreamId::MIN;
            } else if first_entry {
                self.first_id = self.edge_id(true, true).unwrap_or(StreamId::MAX);
            }
        }
        deleted
    }

    /// Trim from the head (streamTrim); returns the entries removed.
    pub fn trim(&mut self, args: &TrimArgs) -> i64 {
        if args.strategy == TrimStrategy::None {
            return 0;
        }
        let mut deleted: i64 = 0;
        let keys: Vec<StreamId> = self.nodes.keys().copied().collect();
        for mid in keys {
            if let TrimStrategy::MaxLen(maxlen) = args.strategy
                && self.length <= maxlen
            {
                break;
            }
            let Some(arc) = self.nodes.get(&mid) else {
                continue;
            };
            let (Some(m), entries) = node_entries(arc, mid) else {
                break;
            };
            let live = m.count;
            if args.limit != 0 && deleted + live > args.limit {
                break;
            }
            let remove_node = match args.strategy {
                TrimStrategy::MaxLen(maxlen) => {
                    self.length.saturating_sub(live.max(0) as u64) >= maxlen
                }
                TrimStrategy::MinId(min) => entries.last().map(|e| e.id < min).unwrap_or(true),
                TrimStrategy::None => false,
            };
            if remove_node {
                self.nodes.remove(&mid);
                self.length = self.length.saturating_sub(live.max(0) as u64);
                deleted += live;
                continue;
            }
            if args.approx {
                break;
            }
            // Mark entries deleted inside this node, then stop.
            let Some(arc) = self.nodes.get_mut(&mid) else {
                break;
            };
            let lp = Arc::make_mut(arc);
            let mut from_lp = 0i64;
            for e in &entries {
                let stop = match args.strategy {
                    TrimStrategy::MaxLen(maxlen) => self.length <= maxlen,
                    TrimStrategy::MinId(min) => e.id >= min,
                    TrimStrategy::None => true,
                };
                if stop {
                    break;
                }
                if e.flags & FLAG_DELETED == 0 {
                    // Flags 0/2 become 1/3: same encoding size, offsets hold.
                    replace_int(lp, e.at, e.flags | FLAG_DELETED);
                    from_lp += 1;
                    self.length = self.length.saturating_sub(1);
                }
            }
            deleted += from_lp;
            replace_int(lp, HEADER_SIZE, live - from_lp);
            if let Some((_, p)) = read(lp, HEADER_SIZE) {
                replace_int(lp, p, m.deleted + from_lp);
            }
            break;
        }
        if self.length == 0 {
            self.first_id = StreamId::MIN;
        } else if deleted > 0 {
            self.first_id = self.edge_id(true, true).unwrap_or(StreamId::MAX);
        }
        deleted
    }

    /// Does `start..=end` hold a tombstone (streamRangeHasTombstones)?
    pub fn range_has_tombstones(&self, start: Option<StreamId>, end: Option<StreamId>) -> bool {
        if self.length == 0 || self.max_deleted_entry_id.is_zero() {
            return false;
        }
        if self.first_id > self.max_deleted_entry_id {
            return false;
        }
        let s = start.unwrap_or(StreamId::MIN);
        let e = end.unwrap_or(StreamId::MAX);
        s <= self.max_deleted_entry_id && self.max_deleted_entry_id <= e
    }

    /// streamEstimateDistanceFromFirstEverEntry.
    pub fn estimate_distance_from_first_ever_entry(&self, id: StreamId) -> i64 {
        if self.entries_added == 0 {
            return 0;
        }
        if self.length == 0 && id <= self.last_id {
            return self.entries_added as i64;
        }
        if id == self.last_id {
            return self.entries_added as i64;
        } else if id > self.last_id {
            return INVALID_ENTRIES_READ;
        }
        if self.max_deleted_entry_id.is_zero() || self.max_deleted_entry_id < self.first_id {
            if id < self.first_id {
                return (self.entries_added - self.length) as i64;
            } else if id == self.first_id {
                return (self.entries_added - self.length + 1) as i64;
            }
        }
        INVALID_ENTRIES_READ
    }

    /// A group's lag, None when it cannot be known (streamReplyWithCGLag).
    pub fn group_lag(&self, cg: &ConsumerGroup) -> Option<i64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        if cg.entries_read != INVALID_ENTRIES_READ
            && !self.range_has_tombstones(Some(cg.last_id), None)
        {
            return Some(self.entries_added as i64 - cg.entries_read);
        }
        let r = self.estimate_distance_from_first_ever_entry(cg.last_id);
        if r != INVALID_ENTRIES_READ {
            Some(self.entries_added as i64 - r)
        } else {
            None
        }
    }

    /// What a group's read of `id` does to its counter and last ID
    /// (streamReplyWithRange's bookkeeping for each delivered entry).
    pub fn advance_group(&self, cg: &mut ConsumerGroup, id: StreamId) -> bool {
        if id <= cg.last_id {
            return false;
        }
        if cg.entries_read != INVALID_ENTRIES_READ && !self.range_has_tombstones(Some(id), None) {
            cg.entries_read += 1;
        } else if self.entries_added > 0 {
            cg.entries_read = self.estimate_distance_from_first_ever_entry(id);
        }
        cg.last_id = id;
        true
    }

    /// The nodes Redis's radix tree would have for these keys (XINFO's
    /// radix-tree-nodes): a compressed trie over the 16-byte master IDs.
    pub fn radix_tree_nodes(&self) -> u64 {
        let keys: Vec<[u8; 16]> = self.nodes.keys().map(|k| k.to_be_bytes()).collect();
        if keys.is_empty() {
            return 1;
        }
        trie_nodes(&keys, 0)
    }

    /// Bytes held by the entries' nodes, for memory accounting.
    pub fn nodes_bytes(&self) -> usize {
        self.nodes.values().map(|lp| lp.capacity() + 48).sum()
    }
}

fn trie_nodes(keys: &[[u8; 16]], depth: usize) -> u64 {
    if keys.len() == 1 {
        return if depth >= 16 { 1 } else { 2 };
    }
    // Common prefix from `depth` (keys are sorted and distinct).
    let first = &keys[0];
    let last = &keys[keys.len() - 1];
    let mut p = depth;
    while p < 16 && first[p] == last[p] {
        p += 1;
    }
    if p >= 16 {
        return 1;
    }
    let mut n = if p > depth { 1 } else { 0 } + 1;
    let mut i = 0;
    while i < keys.len() {
        let b = keys[i][p];
        let mut j = i;
        while j < keys.len() && keys[j][p] == b {
            j += 1;
        }
        n += trie_nodes(&keys[i..j], p + 1);
        i = j;
    }
    n
}

/// Check a node from a file as Redis's deep sanitization does
/// (streamValidateListpackIntegrity): a valid listpack, a master entry,
/// entries whose lp-count adds up, nothing after the last.
pub fn validate_node(lp: &[u8]) -> Result<(), String> {
    let items = listpack::decode(lp)?;
    let mut it = items.iter().copied();
    let bad = || "stream listpack integrity check failed".to_string();
    let int = |it: &mut dyn Iterator<Item = Entry<'_>>| -> Result<i64, String> {
        it.next().and_then(as_int).ok_or_else(bad)
    };
    let count = int(&mut it)?;
    let deleted = int(&mut it)?;
    let master_fields = int(&mut it)?;
    if count < 0 || deleted < 0 || master_fields < 0 {
        return Err(bad());
    }
    for _ in 0..master_fields {
        it.next().ok_or_else(bad)?;
    }
    if int(&mut it)? != 0 {
        return Err(bad());
    }
    let mut total = count.checked_add(deleted).ok_or_else(bad)?;
    let (mut live, mut dead) = (0, 0);
    while total > 0 {
        total -= 1;
        let flags = int(&mut it)?;
        int(&mut it)?;
        int(&mut it)?;
        let mut fields = master_fields;
        let mut extra = 3;
        if flags & FLAG_SAMEFIELDS == 0 {
            fields = int(&mut it)?;
            if fields < 0 {
                return Err(bad());
            }
            for _ in 0..fields {
                it.next().ok_or_else(bad)?;
            }
            extra += fields + 1;
        }
        for _ in 0..fields {
            it.next().ok_or_else(bad)?;
        }
        if int(&mut it)? != fields + extra {
            return Err(bad());
        }
        if flags & FLAG_DELETED != 0 {
            dead += 1;
        } else {
            live += 1;
        }
    }
    if it.next().is_some() {
        return Err(bad());
    }
    // Our own: the counters must match the flags, or deletions would
    // leave a node whose entries are all gone.
    if live != count || dead != deleted {
        return Err(bad());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lim() -> NodeLimits {
        NodeLimits {
            max_bytes: 4096,
            max_entries: 100,
        }
    }

    fn fv(pairs: &[(&str, &str)]) -> Vec<Vec<u8>> {
        pairs
            .iter()
            .flat_map(|(f, v)| [f.as_bytes().to_vec(), v.as_bytes().to_vec()])
            .collect()
    }

    fn ids(s: &Stream, rev: bool) -> Vec<StreamId> {
        let mut out = vec![];
        s.range(StreamId::MIN, StreamId::MAX, rev, |e| {
            out.push(e.id);
            true
        });
        out
    }

    #[test]
    fn append_range_delete_trim() {
        let mut s = Stream::new();
        for i in 1..=250u64 {
            let f = if i % 3 == 0 {
                fv(&[("a", "1"), ("b", "x")])
            } else {
                fv(&[("other", "v")])
            };
            s.append(&f, IdSpec::Exact(StreamId::new(i, 0)), lim(), 0)
                .unwrap();
        }
        assert_eq!(s.len(), 250);
        assert_eq!(s.nodes.len(), 3);
        for lp in s.nodes.values() {
            validate_node(lp).unwrap();
        }
        let all = ids(&s, false);
        assert_eq!(all.len(), 250);
        let mut r = ids(&s, true);
        r.reverse();
        assert_eq!(all, r);
        let mut fields = vec![];
        s.range(StreamId::new(3, 0), StreamId::new(3, 0), false, |e| {
            fields.extend(e.fields().map(|(f, v)| (f.to_vec(), v.to_vec())));
            true
        });
        assert_eq!(
            fields,
            vec![
                (b"a".to_vec(), b"1".to_vec()),
                (b"b".to_vec(), b"x".to_vec())
            ]
        );
        assert!(s.delete(StreamId::new(5, 0)));
        assert!(!s.delete(StreamId::new(5, 0)));
        assert!(!s.entry_exists(StreamId::new(5, 0)));
        assert_eq!(s.len(), 249);
        for lp in s.nodes.values() {
            validate_node(lp).unwrap();
        }
        let n = s.trim(&TrimArgs {
            strategy: TrimStrategy::MaxLen(120),
            approx: false,
            limit: 0,
        });
        assert_eq!(n, 129);
        assert_eq!(s.len(), 120);
        assert_eq!(s.first_id, StreamId::new(131, 0));
        for lp in s.nodes.values() {
            validate_node(lp).unwrap();
        }
        assert_eq!(
            s.append(
                &fv(&[("a", "b")]),
                IdSpec::Exact(StreamId::new(1, 0)),
                lim(),
                0
            ),
            Err(AppendError::IdTooSmall)
        );
        assert_eq!(
            s.append(&fv(&[("a", "b")]), IdSpec::Ms(250), lim(), 0),
            Ok(StreamId::new(250, 1))
        );
    }

    /// A stream with several nodes, tombstones and mixed field layouts.
    fn sample() -> Stream {
        let mut s = Stream::new();
        for i in 1..=40u64 {
            let f = match i % 3 {
                0 => fv(&[("a", "1"), ("b", "x")]),
                1 => fv(&[("n", &i.to_string())]),
                _ => fv(&[("a", "-7"), ("b", "long value here")]),
            };
            let lim = NodeLimits {
                max_bytes: 4096,
                max_entries: 7,
            };
            s.append(&f, IdSpec::Exact(StreamId::new(i, i % 2)), lim, 0)
                .unwrap();
        }
        s.delete(StreamId::new(3, 1));
        s.delete(StreamId::new(4, 0));
        s
    }

    proptest::proptest! {
        /// Whatever bytes a node holds, checking it never panics; a node
        /// that passes can be read, deleted from and appended to without
        /// panicking either.
        #[test]
        fn damaged_nodes_never_panic(
            node in 0usize..6,
            flips in proptest::collection::vec((0usize..4096, proptest::prelude::any::<u8>()), 1..6),
            cut in proptest::option::of(0usize..4096),
        ) {
            let s = sample();
            let (&key, lp) = s.nodes.iter().nth(node % s.nodes.len()).unwrap();
            let mut bytes = lp.to_vec();
            for (at, b) in flips {
                let n = bytes.len();
                bytes[at % n] = b;
            }
            if let Some(c) = cut {
                bytes.truncate(c % (bytes.len() + 1));
            }
            if validate_node(&bytes).is_ok() {
                let mut t = s.clone();
                t.nodes.insert(key, Arc::new(bytes));
                let all = ids(&t, false);
                let _ = ids(&t, true);
                for id in all.iter().take(5) {
                    t.delete(*id);
                }
                let _ = t.trim(&TrimArgs { strategy: TrimStrategy::MaxLen(3), approx: false, limit: 0 });
                let _ = t.append(&fv(&[("z", "1")]), IdSpec::Auto, lim(), 1);
                let _ = t.edge_id(true, true);
            }
        }
    }

    #[test]
    fn trie_node_counts() {
        let mut s = Stream::new();
        assert_eq!(s.radix_tree_nodes(), 1);
        s.append(
            &fv(&[("a", "1")]),
            IdSpec::Exact(StreamId::new(1, 0)),
            lim(),
            0,
        )
        .unwrap();
        assert_eq!(s.radix_tree_nodes(), 2);
    }
}
