//! `Dict`: the keyspace hash table, after Redis's dict.c.
//!
//! * Chained buckets in a power-of-two table, so every key lives in the
//!   bucket its hash bits name. That is what makes SCAN's reverse-binary
//!   cursor return every key present for a whole iteration, even while the
//!   table grows or shrinks in between calls.
//! * Incremental rehashing between two tables (`ht[0]` → `ht[1]`): every
//!   write moves one bucket and the cron moves more, so no single command
//!   pays for a whole resize.
//! * The bucket array is cut into chunks of 64 buckets, each under an `Arc`,
//!   and the chunks are grouped 64 to a directory, also under an `Arc`.
//!   Cloning a `Dict` (a snapshot for BGSAVE, AOF rewrite, full sync)
//!   copies only the directory pointers: O(keys / 4096) pointer bumps, no
//!   entries, so the loop's pause stays far under a millisecond for
//!   millions of keys. A write where a snapshot still shares the path
//!   copies that directory (64 pointers) and that chunk (64 short chains)
//!   and nothing else; a serializer that drops each chunk once it has
//!   written it keeps those copies short-lived.

use crate::sds::Sds;
use crate::util::hash::hash_bytes;
use crate::util::rand;
use std::sync::Arc;

const CHUNK_BITS: u32 = 6;
/// Entries a fair random pick gathers (Redis's GETFAIR_NUM_ENTRIES).
const SAMPLE: usize = 15;
const CHUNK_LEN: usize = 1 << CHUNK_BITS;
const CHUNK_MASK: usize = CHUNK_LEN - 1;
/// Chunks per directory.
const DIR_BITS: u32 = 6;
const DIR_LEN: usize = 1 << DIR_BITS;
/// Buckets per directory, in bits.
const DIR_SPAN_BITS: u32 = CHUNK_BITS + DIR_BITS;
const DIR_SPAN_MASK: usize = (1 << DIR_SPAN_BITS) - 1;
/// Redis's DICT_HT_INITIAL_SIZE.
const INITIAL_SIZE: usize = 4;

type Link<V> = Option<Box<Entry<V>>>;
type Chunk<V> = Arc<[Link<V>]>;
type Dir<V> = Arc<[Option<Chunk<V>>]>;

/// Bytes copied because a write touched a chunk a snapshot shared (INFO's
/// rdb_last_cow_size / aof_last_cow_size are differences of this).
pub static COW_BYTES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Copy-on-write bytes so far.
pub fn cow_bytes() -> u64 {
    COW_BYTES.load(std::sync::atomic::Ordering::Relaxed)
}

/// One key and its value; `next` chains entries of the same bucket.
#[derive(Clone)]
pub struct Entry<V> {
    next: Link<V>,
    pub key: Sds,
    pub value: V,
}

struct Table<V> {
    /// A chunk (and its directory) is allocated when a bucket in it is
    /// first written, and a rehash releases each chunk of the old table as
    /// it moves past it: so growing or shrinking a table of millions of
    /// buckets allocates and frees its chunks a few at a time, never all
    /// in one command.
    dirs: Vec<Option<Dir<V>>>,
    size: usize,
    used: usize,
}

/// Cloning a table is the snapshot's pause in the loop: one reference
/// count bump per directory, each on its own cache line, usually cold (256
/// for a million keys). Fetching the counters a few directories ahead lets
/// those misses overlap instead of paying each in turn.
impl<V> Clone for Table<V> {
    fn clone(&self) -> Self {
        const AHEAD: usize = 16;
        let mut dirs = Vec::with_capacity(self.dirs.len());
        for (i, d) in self.dirs.iter().enumerate() {
            if let Some(Some(next)) = self.dirs.get(i + AHEAD) {
                prefetch_arc_counts(next);
            }
            dirs.push(d.clone());
        }
        Table {
            dirs,
            size: self.size,
            used: self.used,
        }
    }
}

/// A hint to bring an `Arc`'s counters (just before its data) into the
/// cache; no effect on the program's meaning.
#[inline(always)]
fn prefetch_arc_counts<T: ?Sized>(a: &Arc<T>) {
    #[cfg(target_arch = "x86_64")]
    {
        let p = Arc::as_ptr(a)
            .cast::<i8>()
            .wrapping_sub(2 * std::mem::size_of::<usize>());
        // SAFETY: a prefetch never faults and reads nothing the program
        // sees, whatever address it is given.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p);
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = a;
}

impl<V: Clone> Table<V> {
    fn empty() -> Self {
        Table {
            dirs: Vec::new(),
            size: 0,
            used: 0,
        }
    }

    fn with_size(size: usize) -> Self {
        let dirs = vec![None; size.div_ceil(1 << DIR_SPAN_BITS)];
        Table {
            dirs,
            size,
            used: 0,
        }
    }

    /// The chunk holding bucket `i`, if allocated.
    #[inline]
    fn chunk(&self, i: usize) -> Option<&Chunk<V>> {
        self.dirs[i >> DIR_SPAN_BITS].as_ref()?[(i >> CHUNK_BITS) & (DIR_LEN - 1)].as_ref()
    }

    /// Whether a write to bucket `i` would copy nothing (no snapshot shares
    /// its directory or chunk, and both exist).
    #[inline]
    fn owns_path(&mut self, i: usize) -> bool {
        self.dirs[i >> DIR_SPAN_BITS]
            .as_mut()
            .and_then(Arc::get_mut)
            .and_then(|d| d[(i >> CHUNK_BITS) & (DIR_LEN - 1)].as_mut())
            .is_some_and(|c| Arc::get_mut(c).is_some())
    }

    #[inline]
    fn mask(&self) -> usize {
        self.size.wrapping_sub(1)
    }

    /// The first entry of a bucket's chain.
    #[inline]
    fn bucket(&self, i: usize) -> Option<&Entry<V>> {
        self.chunk(i)?[i & CHUNK_MASK].as_deref()
    }

    /// Mutable access to a bucket; allocates its chunk on first use, and
    /// copies it first if a snapshot shares it.
    #[inline]
    fn bucket_mut(&mut self, i: usize) -> &mut Link<V> {
        let per_chunk = self.size.min(CHUNK_LEN);
        let per_dir = (self.size / per_chunk).min(DIR_LEN);
        let dir = self.dirs[i >> DIR_SPAN_BITS]
            .get_or_insert_with(|| (0..per_dir).map(|_| None).collect::<Vec<_>>().into());
        if Arc::strong_count(dir) > 1 {
            // A snapshot shares this directory: make_mut copies its pointers.
            COW_BYTES.fetch_add(
                std::mem::size_of_val(&**dir) as u64,
                std::sync::atomic::Ordering::Relaxed,
            );
        }
        let chunk =
            Arc::make_mut(dir)[(i >> CHUNK_BITS) & (DIR_LEN - 1)].get_or_insert_with(|| {
                (0..per_chunk)
                    .map(|_| None)
                    .collect::<Vec<Link<V>>>()
                    .into()
            });
        if Arc::strong_count(chunk) > 1 {
            // A snapshot shares this chunk: make_mut is about to copy it.
            let entries: usize = chunk
                .iter()
                .map(|l| Chain { cur: l.as_deref() }.count())
                .sum();
            let bytes = std::mem::size_of_val(&**chunk) + entries * std::mem::size_of::<Entry<V>>();
            COW_BYTES.fetch_add(bytes as u64, std::sync::atomic::Ordering::Relaxed);
        }
        &mut Arc::make_mut(chunk)[i & CHUNK_MASK]
    }

    /// A rehash has moved bucket `i` out: once that was the last bucket
    /// of its chunk the chunk is empty, and goes now.
    #[inline]
    fn release_passed_chunk(&mut self, i: usize) {
        if i & DIR_SPAN_MASK == DIR_SPAN_MASK {
            self.dirs[i >> DIR_SPAN_BITS] = None;
        } else if i & CHUNK_MASK == CHUNK_MASK
            && let Some(dir) = self.dirs[i >> DIR_SPAN_BITS].as_mut()
        {
            Arc::make_mut(dir)[(i >> CHUNK_BITS) & (DIR_LEN - 1)] = None;
        }
    }

    fn find(&self, h: u64, key: &[u8]) -> Option<&Entry<V>> {
        if self.size == 0 {
            return None;
        }
        let mut cur = self.bucket(h as usize & self.mask());
        while let Some(e) = cur {
            if e.key.as_bytes() == key {
                return Some(e);
            }
            cur = e.next.as_deref();
        }
        None
    }

    /// A mutable walk copies a shared chunk, so when a snapshot shares it
    /// look first and copy only if the key is really there.
    fn find_mut(&mut self, h: u64, key: &[u8]) -> Option<&mut Entry<V>> {
        if self.size == 0 {
            return None;
        }
        let idx = h as usize & self.mask();
        if !self.owns_path(idx) && self.find(h, key).is_none() {
            return None;
        }
        let mut cur = self.bucket_mut(idx).as_deref_mut();
        while let Some(e) = cur {
            if e.key.as_bytes() == key {
                return Some(e);
            }
            cur = e.next.as_deref_mut();
        }
        None
    }

    fn push_front(&mut self, h: u64, mut e: Box<Entry<V>>) {
        let idx = h as usize & self.mask();
        let head = self.bucket_mut(idx);
        e.next = head.take();
        *head = Some(e);
        self.used += 1;
    }

    fn remove(&mut self, h: u64, key: &[u8]) -> Option<Box<Entry<V>>> {
        if self.size == 0 || self.find(h, key).is_none() {
            return None;
        }
        let idx = h as usize & self.mask();
        let mut link = self.bucket_mut(idx);
        while link.as_ref().is_some_and(|e| e.key.as_bytes() != key) {
            link = &mut link.as_mut()?.next;
        }
        let mut e = link.take()?;
        *link = e.next.take();
        self.used -= 1;
        Some(e)
    }
}

/// A hash table from byte-string keys to `V`; see the module docs.
#[derive(Clone)]
pub struct Dict<V> {
    ht: [Table<V>; 2],
    /// Next `ht[0]` bucket to move while rehashing.
    rehash_idx: Option<usize>,
}

impl<V: Clone> Default for Dict<V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V: Clone> Dict<V> {
    pub fn new() -> Self {
        Dict {
            ht: [Table::empty(), Table::empty()],
            rehash_idx: None,
        }
    }

    pub fn len(&self) -> usize {
        self.ht[0].used + self.ht[1].used
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bucket slots in both tables (Redis's dictSlots).
    pub fn slots(&self) -> usize {
        self.ht[0].size + self.ht[1].size
    }

    pub fn is_rehashing(&self) -> bool {
        self.rehash_idx.is_some()
    }

    pub fn get(&self, key: &[u8]) -> Option<&V> {
        self.find(key).map(|e| &e.value)
    }

    pub fn find(&self, key: &[u8]) -> Option<&Entry<V>> {
        if self.is_empty() {
            return None;
        }
        let h = hash_bytes(key);
        self.ht[0].find(h, key).or_else(|| self.ht[1].find(h, key))
    }

    pub fn contains_key(&self, key: &[u8]) -> bool {
        self.find(key).is_some()
    }

    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        self.find_entry_mut(key).map(|e| &mut e.value)
    }

    pub fn find_entry_mut(&mut self, key: &[u8]) -> Option<&mut Entry<V>> {
        if self.is_empty() {
            return None;
        }
        self.rehash_step();
        let h = hash_bytes(key);
        let t = if self.is_rehashing() && self.ht[0].find(h, key).is_none() {
            1
        } else {
            0
        };
        self.ht[t].find_mut(h, key)
    }

    /// Insert or replace; returns the old value when the key existed.
    pub fn insert(&mut self, key: Sds, value: V) -> Option<V> {
        self.rehash_step();
        let h = hash_bytes(&key);
        let t = if self.is_rehashing() && self.ht[0].find(h, &key).is_none() {
            1
        } else {
            0
        };
        if let Some(e) = self.ht[t].find_mut(h, &key) {
            return Some(std::mem::replace(&mut e.value, value));
        }
        self.insert_new_hashed(h, key, value);
        None
    }

    /// Insert a key the caller knows is absent.
    pub fn insert_new(&mut self, key: Sds, value: V) {
        self.rehash_step();
        let h = hash_bytes(&key);
        self.insert_new_hashed(h, key, value);
    }

    fn insert_new_hashed(&mut self, h: u64, key: Sds, value: V) {
        self.expand_if_needed();
        let t = if self.is_rehashing() { 1 } else { 0 };
        self.ht[t].push_front(
            h,
            Box::new(Entry {
                next: None,
                key,
                value,
            }),
        );
    }

    /// Remove a key, returning it with its value.
    pub fn remove(&mut self, key: &[u8]) -> Option<(Sds, V)> {
        if self.is_empty() {
            return None;
        }
        self.rehash_step();
        let h = hash_bytes(key);
        let e = match self.ht[0].remove(h, key) {
            Some(e) => e,
            None => self.ht[1].remove(h, key)?,
        };
        let Entry { key, value, .. } = *e;
        Some((key, value))
    }

    /// Size an empty table for `n` entries at once (a loader's hint; it is
    /// capped, as a hint from a file must not allocate without bound).
    pub fn reserve(&mut self, n: u64) {
        const MAX_HINT: u64 = 1 << 26;
        if self.is_empty() && !self.is_rehashing() && n > 0 {
            let size = (n.min(MAX_HINT) as usize)
                .max(INITIAL_SIZE)
                .next_power_of_two();
            if size > self.ht[0].size {
                self.ht[0] = Table::with_size(size);
            }
        }
    }

    /// Drop every entry.
    pub fn clear(&mut self) {
        *self = Dict::new();
    }

    fn expand_if_needed(&mut self) {
        if self.is_rehashing() {
            return;
        }
        if self.ht[0].size == 0 {
            self.ht[0] = Table::with_size(INITIAL_SIZE);
        } else if self.ht[0].used >= self.ht[0].size {
            self.resize_to(self.ht[0].used + 1);
        }
    }

    /// Start rehashing into a table sized for `n` entries.
    fn resize_to(&mut self, n: usize) {
        let size = n.max(INITIAL_SIZE).next_power_of_two();
        if self.is_rehashing() || size == self.ht[0].size {
            return;
        }
        self.ht[1] = Table::with_size(size);
        self.rehash_idx = Some(0);
    }

    /// Shrink when under 10% full, as Redis's cron does (htNeedsResize).
    pub fn shrink_if_needed(&mut self) {
        let size = self.ht[0].size;
        if !self.is_rehashing() && size > INITIAL_SIZE && self.ht[0].used * 100 / size < 10 {
            self.resize_to(self.ht[0].used);
        }
    }

    #[inline]
    fn rehash_step(&mut self) {
        if self.is_rehashing() {
            self.rehash(1);
        }
    }

    /// Move up to `n` buckets from `ht[0]` to `ht[1]`, visiting at most
    /// `n * 10` empty buckets. Returns true while more work remains.
    pub fn rehash(&mut self, n: usize) -> bool {
        let Some(mut idx) = self.rehash_idx else {
            return false;
        };
        let mut empty_visits = n * 10;
        let mut n = n;
        while n > 0 && self.ht[0].used != 0 {
            n -= 1;
            while idx < self.ht[0].size && self.ht[0].bucket(idx).is_none() {
                self.ht[0].release_passed_chunk(idx);
                idx += 1;
                empty_visits -= 1;
                if empty_visits == 0 {
                    self.rehash_idx = Some(idx);
                    return true;
                }
            }
            if idx >= self.ht[0].size {
                break;
            }
            let mut chain = self.ht[0].bucket_mut(idx).take();
            while let Some(mut e) = chain {
                chain = e.next.take();
                self.ht[0].used -= 1;
                let h = hash_bytes(&e.key);
                self.ht[1].push_front(h, e);
            }
            self.ht[0].release_passed_chunk(idx);
            idx += 1;
        }
        if self.ht[0].used == 0 {
            self.ht[0] = std::mem::replace(&mut self.ht[1], Table::empty());
            self.rehash_idx = None;
            return false;
        }
        self.rehash_idx = Some(idx);
        true
    }

    /// A random entry (Redis's dictGetRandomKey): a random non-empty bucket,
    /// then a random element of its chain.
    /// A random entry, fairly (Redis's dictGetFairRandomKey): gather up
    /// to 15 entries from consecutive buckets starting at a random one
    /// (dictGetSomeKeys) and pick one of them. A plain random bucket then
    /// a random chain element favours keys alone in their bucket, which
    /// RANDOMKEY/SRANDMEMBER/HRANDFIELD/ZRANDMEMBER users notice.
    pub fn random_entry(&self) -> Option<&Entry<V>> {
        if self.is_empty() {
            return None;
        }
        let mut found: [Option<&Entry<V>>; SAMPLE] = [None; SAMPLE];
        // Never more than there are, or a wrap-around would count some
        // entries twice.
        let want = SAMPLE.min(self.len());
        // Which of the gathered entries is the pick, drawn up front so the
        // walk stops there: the same uniform choice among them (if the walk
        // ends short of it, the pick is redrawn among those gathered, which
        // keeps every one at exactly 1/gathered), at half the walking.
        let pick = rand::below(want);
        if self.rehash_idx.is_none() {
            return self.random_entry_settled(want, pick);
        }
        let mut stored = 0;
        let max_size = self.ht[0].size.max(self.ht[1].size);
        let mask = max_size - 1;
        let mut i = rand::below(max_size);
        let mut empty_run = 0;
        let mut steps = want * 10;
        // Buckets walked since the last jump: one full turn and every
        // entry was seen, so never walk on (nothing is gathered twice).
        let mut walked = 0;
        while stored < want && steps > 0 && walked < max_size {
            steps -= 1;
            walked += 1;
            for (t, table) in self.ht.iter().enumerate() {
                if table.size == 0 {
                    continue;
                }
                // Buckets of the old table below the rehash index are empty.
                if t == 0
                    && let Some(ri) = self.rehash_idx
                    && i < ri
                {
                    if i >= self.ht[1].size {
                        i = ri;
                    } else {
                        continue;
                    }
                }
                if i >= table.size {
                    continue;
                }
                let cur = table.bucket(i);
                if cur.is_none() {
                    empty_run += 1;
                    // A long empty run: jump elsewhere, as Redis does, but
                    // only while nothing is gathered (a jump could come
                    // back over what was).
                    if empty_run >= 5 && empty_run > want && stored == 0 {
                        i = rand::below(max_size);
                        empty_run = 0;
                        walked = 0;
                    }
                    continue;
                }
                empty_run = 0;
                if let Some(e) = gather_chain(cur, &mut found, &mut stored, pick) {
                    return Some(e);
                }
            }
            i = (i + 1) & mask;
        }
        self.pick_gathered(&found, stored)
    }

    /// The walk ended before the pick: one of those gathered, uniformly
    /// (or any entry when none was).
    fn pick_gathered<'a>(
        &'a self,
        found: &[Option<&'a Entry<V>>],
        stored: usize,
    ) -> Option<&'a Entry<V>> {
        if stored > 0 {
            return found[rand::below(stored)];
        }
        self.random_entry_unfair()
    }

    /// `random_entry` on a table that is not rehashing: the same walk over
    /// one table, without the per-bucket checks a rehash needs (the hot
    /// path of SPOP and SRANDMEMBER).
    fn random_entry_settled(&self, want: usize, pick: usize) -> Option<&Entry<V>> {
        let table = &self.ht[0];
        let size = table.size;
        let mask = size - 1;
        let mut found: [Option<&Entry<V>>; SAMPLE] = [None; SAMPLE];
        let mut stored = 0;
        let mut i = rand::below(size);
        let (mut empty_run, mut steps, mut walked) = (0, want * 10, 0);
        while stored < want && steps > 0 && walked < size {
            steps -= 1;
            walked += 1;
            let cur = table.bucket(i);
            if cur.is_none() {
                empty_run += 1;
                if empty_run >= 5 && empty_run > want && stored == 0 {
                    i = rand::below(size);
                    empty_run = 0;
                    walked = 0;
                    continue;
                }
            } else {
                empty_run = 0;
            }
            if let Some(e) = gather_chain(cur, &mut found, &mut stored, pick) {
                return Some(e);
            }
            i = (i + 1) & mask;
        }
        self.pick_gathered(&found, stored)
    }

    /// Redis's dictGetRandomKey: a random non-empty bucket, then a random
    /// element of its chain.
    fn random_entry_unfair(&self) -> Option<&Entry<V>> {
        if self.is_empty() {
            return None;
        }
        let head = loop {
            let link = match self.rehash_idx {
                Some(ri) => {
                    let s0 = self.ht[0].size;
                    let h = ri + rand::below(self.slots() - ri);
                    if h >= s0 {
                        self.ht[1].bucket(h - s0)
                    } else {
                        self.ht[0].bucket(h)
                    }
                }
                None => self.ht[0].bucket(rand::below(self.ht[0].size)),
            };
            if let Some(e) = link {
                break e;
            }
        };
        let mut len = 0;
        let mut cur = Some(head);
        while let Some(e) = cur {
            len += 1;
            cur = e.next.as_deref();
        }
        let mut pick = rand::below(len);
        let mut e = head;
        while pick > 0 {
            e = e.next.as_deref()?;
            pick -= 1;
        }
        Some(e)
    }

    /// One SCAN step (Redis's dictScan): visit the bucket(s) the cursor
    /// names, call `f` for each entry, return the next cursor (0 = done).
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(&Entry<V>)) -> u64 {
        if self.is_empty() {
            return 0;
        }
        let mut v = cursor;
        let visit = |t: &Table<V>, i: usize, f: &mut dyn FnMut(&Entry<V>)| {
            let mut cur = t.bucket(i);
            while let Some(e) = cur {
                f(e);
                cur = e.next.as_deref();
            }
        };
        if !self.is_rehashing() {
            let t0 = &self.ht[0];
            let m0 = t0.mask() as u64;
            visit(t0, (v & m0) as usize, &mut f);
            v |= !m0;
            v = v.reverse_bits().wrapping_add(1).reverse_bits();
        } else {
            let (t0, t1) = if self.ht[0].size <= self.ht[1].size {
                (&self.ht[0], &self.ht[1])
            } else {
                (&self.ht[1], &self.ht[0])
            };
            let m0 = t0.mask() as u64;
            let m1 = t1.mask() as u64;
            visit(t0, (v & m0) as usize, &mut f);
            loop {
                visit(t1, (v & m1) as usize, &mut f);
                v |= !m1;
                v = v.reverse_bits().wrapping_add(1).reverse_bits();
                if v & (m0 ^ m1) == 0 {
                    break;
                }
            }
        }
        v
    }

    /// Consume the dict chunk by chunk, calling `f` for every entry and
    /// releasing each chunk as soon as it is done. A snapshot serialized
    /// this way stops sharing a chunk once written, so the live table's
    /// later writes to it copy nothing (keyspace-notes: copies die soon).
    pub fn drain_chunks(self, mut f: impl FnMut(&Entry<V>)) {
        let Dict { ht, .. } = self;
        for t in ht {
            let dirs = std::mem::take(&mut { t }.dirs);
            for dir in dirs.into_iter().flatten() {
                // Our own copy of the directory's pointers, so each chunk
                // can go as soon as it is written.
                let chunks: Vec<Option<Chunk<V>>> = dir.iter().cloned().collect();
                drop(dir);
                for chunk in chunks.into_iter().flatten() {
                    for link in chunk.iter() {
                        let mut cur = link.as_deref();
                        while let Some(e) = cur {
                            f(e);
                            cur = e.next.as_deref();
                        }
                    }
                    drop(chunk);
                }
            }
        }
    }

    /// Every entry, in table order.
    pub fn iter(&self) -> impl Iterator<Item = &Entry<V>> {
        self.ht
            .iter()
            .flat_map(|t| t.dirs.iter().flatten().flat_map(|d| d.iter()))
            .flat_map(|c| c.iter().flat_map(|c| c.iter()))
            .flat_map(|link| Chain {
                cur: link.as_deref(),
            })
    }
}

struct Chain<'a, V> {
    cur: Option<&'a Entry<V>>,
}

impl<'a, V> Iterator for Chain<'a, V> {
    type Item = &'a Entry<V>;
    fn next(&mut self) -> Option<&'a Entry<V>> {
        let e = self.cur?;
        self.cur = e.next.as_deref();
        Some(e)
    }
}

impl<V> Drop for Table<V> {
    // Unlink chains iteratively so a long chain cannot overflow the stack.
    fn drop(&mut self) {
        for d in self.dirs.iter_mut().flatten() {
            let Some(dir) = Arc::get_mut(d) else { continue };
            for c in dir.iter_mut().flatten() {
                if let Some(chunk) = Arc::get_mut(c) {
                    for link in chunk.iter_mut() {
                        let mut cur = link.take();
                        while let Some(mut e) = cur {
                            cur = e.next.take();
                        }
                    }
                }
            }
        }
    }
}

/// A fair pick's walk over one chain: the entry at `pick` if the chain
/// reaches it, else every entry gathered into `found` (`stored` counts
/// them; `pick` < SAMPLE keeps them in bounds).
fn gather_chain<'a, V>(
    mut cur: Option<&'a Entry<V>>,
    found: &mut [Option<&'a Entry<V>>; SAMPLE],
    stored: &mut usize,
    pick: usize,
) -> Option<&'a Entry<V>> {
    while let Some(e) = cur {
        if *stored == pick {
            return Some(e);
        }
        found[*stored] = Some(e);
        *stored += 1;
        cur = e.next.as_deref();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn k(i: usize) -> Sds {
        Sds::new(format!("key:{i}").as_bytes())
    }

    /// Random picks of a small collection are fair whatever the chains
    /// look like, also while the table is being rehashed (no entry is
    /// gathered twice): chi-square far under its one-in-a-million bound.
    /// (Past 15 entries the sample is a window of the table, as Redis's.)
    #[test]
    fn random_entry_is_fair() {
        let mut rehashing_seen = false;
        for n in 5usize..=15 {
            let mut d: Dict<u32> = Dict::new();
            for i in 0..n {
                d.insert_new(k(i), i as u32);
            }
            rehashing_seen |= d.is_rehashing();
            let rounds = n * 2000;
            let mut hits = vec![0usize; n];
            for _ in 0..rounds {
                hits[d.random_entry().unwrap().value as usize] += 1;
            }
            let expected = rounds as f64 / n as f64;
            let chi: f64 = hits
                .iter()
                .map(|&h| (h as f64 - expected).powi(2) / expected)
                .sum();
            let dof = (n - 1) as f64;
            let bound = dof + 9.0 * (2.0 * dof).sqrt();
            assert!(chi < bound, "n={n} chi-square {chi}: {hits:?}");
        }
        assert!(rehashing_seen, "some table was mid-rehash");
    }

    #[test]
    fn reserve_sizes_once_so_loading_never_rehashes() {
        let mut d: Dict<u32> = Dict::new();
        d.reserve(10_000);
        assert_eq!(d.slots(), 16_384);
        for i in 0..10_000u32 {
            d.insert_new(Sds::new(format!("k{i}").as_bytes()), i);
            assert!(!d.is_rehashing());
        }
        assert_eq!(d.get(b"k9999"), Some(&9999));
        // A hint never shrinks a table or touches a full one.
        d.reserve(1);
        assert_eq!((d.slots(), d.len()), (16_384, 10_000));
    }

    #[test]
    fn insert_get_remove_through_resizes() {
        let mut d: Dict<usize> = Dict::new();
        for i in 0..10_000 {
            assert!(d.insert(k(i), i).is_none());
        }
        assert_eq!(d.len(), 10_000);
        assert_eq!(d.insert(k(7), 70), Some(7));
        for i in 0..10_000 {
            assert!(d.get(&k(i)).is_some());
        }
        for i in 0..9_990 {
            assert!(d.remove(&k(i)).is_some());
        }
        assert!(d.remove(&k(0)).is_none());
        assert_eq!(d.len(), 10);
        d.shrink_if_needed();
        while d.rehash(100) {}
        assert!(d.slots() <= 16);
        assert_eq!(d.iter().count(), 10);
    }

    #[test]
    fn scan_returns_every_key_present_throughout_while_table_changes() {
        let mut d: Dict<()> = Dict::new();
        for i in 0..1000 {
            d.insert(k(i), ());
        }
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut step = 0;
        loop {
            cursor = d.scan(cursor, |e| {
                seen.insert(e.key.as_bytes().to_vec());
            });
            // Churn: grow a lot, then delete the extra keys, between calls.
            step += 1;
            if step < 50 {
                for j in 0..200 {
                    d.insert(k(100_000 + step * 1000 + j), ());
                }
            } else if step < 100 {
                for j in 0..200 {
                    d.remove(&k(100_000 + (step - 50) * 1000 + j));
                }
                d.shrink_if_needed();
            }
            if cursor == 0 {
                break;
            }
        }
        for i in 0..1000 {
            assert!(seen.contains(k(i).as_bytes()), "key {i} missed");
        }
    }

    #[test]
    fn snapshot_clone_is_isolated_from_later_writes() {
        let mut d: Dict<usize> = Dict::new();
        for i in 0..1000 {
            d.insert(k(i), i);
        }
        let snap = d.clone();
        for i in 0..1000 {
            *d.get_mut(&k(i)).unwrap() += 1;
        }
        d.remove(&k(5));
        d.insert(k(5000), 1);
        assert_eq!(snap.len(), 1000);
        for i in 0..1000 {
            assert_eq!(snap.get(&k(i)), Some(&i));
        }
        assert!(snap.get(&k(5000)).is_none());
        assert_eq!(d.get(&k(6)), Some(&7));
    }

    /// Across several directories, through rehashes both ways while
    /// snapshots share the tables, and with a snapshot drained chunk by
    /// chunk as a serializer does: every snapshot keeps exactly what it
    /// had, and the live dict exactly what was written.
    #[test]
    fn snapshots_stay_whole_across_directories_and_rehashes() {
        let mut d: Dict<usize> = Dict::new();
        let mut model = std::collections::HashMap::new();
        let mut snaps = Vec::new();
        for round in 0..6usize {
            for i in 0..20_000usize {
                let key = (i * 7 + round) % 30_000;
                if (i + round) % 3 == 0 {
                    d.remove(&k(key));
                    model.remove(&key);
                } else {
                    d.insert(k(key), i + round);
                    model.insert(key, i + round);
                }
                if i % 997 == 0 {
                    d.rehash(100);
                }
            }
            snaps.push((d.clone(), model.clone()));
            if round == 3 {
                // Shrink hard while snapshots share the table.
                for key in 0..29_000 {
                    d.remove(&k(key));
                    model.remove(&key);
                }
                snaps.push((d.clone(), model.clone()));
            }
        }
        for (snap, m) in &snaps {
            assert_eq!(snap.len(), m.len());
            for (key, v) in m {
                assert_eq!(snap.get(&k(*key)), Some(v));
            }
        }
        let (last, m) = snaps.swap_remove(2);
        let mut drained = 0;
        last.drain_chunks(|e| {
            drained += 1;
            let key = e.key.as_bytes().strip_prefix(b"key:").unwrap();
            let key: usize = std::str::from_utf8(key).unwrap().parse().unwrap();
            assert_eq!(m.get(&key), Some(&e.value));
        });
        assert_eq!(drained, m.len());
        assert_eq!(d.len(), model.len());
        for (key, v) in &model {
            assert_eq!(d.get(&k(*key)), Some(v));
        }
    }

    #[test]
    fn random_entry_reaches_every_key() {
        let mut d: Dict<usize> = Dict::new();
        for i in 0..8 {
            d.insert(k(i), i);
        }
        let mut seen = HashSet::new();
        for _ in 0..2000 {
            seen.insert(d.random_entry().unwrap().value);
        }
        assert_eq!(seen.len(), 8);
    }
}
