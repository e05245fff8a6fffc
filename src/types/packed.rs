//! `Packed`: byte strings back to back in one exact-size allocation, each
//! framed by its length as a LEB128 varint. This is Redis's listpack idea
//! for small collections (a small hash is one of these, fields and values
//! alternating): one allocation instead of one per element, at the price
//! of a linear scan and a reallocation per change, which is cheap at the
//! sizes the listpack thresholds allow. Only this module writes the
//! buffer, so decoding trusts it.

#[derive(Clone, Default)]
pub struct Packed {
    buf: Box<[u8]>,
    count: u32,
}

fn varint_len(mut n: usize) -> usize {
    let mut k = 1;
    n >>= 7;
    while n > 0 {
        k += 1;
        n >>= 7;
    }
    k
}

fn put_entry(out: &mut Vec<u8>, data: &[u8]) {
    let mut n = data.len();
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(b);
            break;
        }
        out.push(b | 0x80);
    }
    out.extend_from_slice(data);
}

/// The entry at `pos`: (data start, data end = next entry's start).
#[inline]
fn read_entry(buf: &[u8], pos: usize) -> (usize, usize) {
    let (mut len, mut shift, mut i) = (0usize, 0, pos);
    loop {
        let b = buf[i];
        len |= ((b & 0x7f) as usize) << shift;
        i += 1;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    (i, i + len)
}

/// An entry's place: its bytes are `data`, the whole entry spans
/// `start..end` of the buffer.
#[derive(Clone, Copy)]
pub struct Slot<'a> {
    pub start: usize,
    pub end: usize,
    pub data: &'a [u8],
}

impl Packed {
    /// Entries (not pairs).
    pub fn len(&self) -> usize {
        self.count as usize
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Bytes used (and allocated).
    pub fn bytes(&self) -> usize {
        self.buf.len()
    }

    pub fn iter(&self) -> Iter<'_> {
        Iter {
            buf: &self.buf,
            pos: 0,
        }
    }

    /// Append entries, reallocating once.
    pub fn push(&mut self, entries: &[&[u8]]) {
        let extra: usize = entries.iter().map(|e| varint_len(e.len()) + e.len()).sum();
        let mut out = Vec::with_capacity(self.buf.len() + extra);
        out.extend_from_slice(&self.buf);
        for e in entries {
            put_entry(&mut out, e);
        }
        self.buf = out.into_boxed_slice();
        self.count += entries.len() as u32;
    }

    /// Replace the bytes `start..end` (whole entries, `removed` of them)
    /// with `entries`.
    pub fn splice(&mut self, start: usize, end: usize, removed: usize, entries: &[&[u8]]) {
        let extra: usize = entries.iter().map(|e| varint_len(e.len()) + e.len()).sum();
        let mut out = Vec::with_capacity(self.buf.len() - (end - start) + extra);
        out.extend_from_slice(&self.buf[..start]);
        for e in entries {
            put_entry(&mut out, e);
        }
        out.extend_from_slice(&self.buf[end..]);
        self.buf = out.into_boxed_slice();
        self.count = self.count + entries.len() as u32 - removed as u32;
    }
}

/// Entries in order, with their places.
pub struct Iter<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Iter<'a> {
    pub fn next_slot(&mut self) -> Option<Slot<'a>> {
        if self.pos >= self.buf.len() {
            return None;
        }
        let start = self.pos;
        let (d, end) = read_entry(self.buf, start);
        self.pos = end;
        Some(Slot {
            start,
            end,
            data: &self.buf[d..end],
        })
    }
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        self.next_slot().map(|s| s.data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_splice_and_iterate() {
        let mut p = Packed::default();
        let long = vec![7u8; 300];
        p.push(&[b"a", b"", &long]);
        p.push(&[b"zz"]);
        assert_eq!(p.len(), 4);
        let all: Vec<&[u8]> = p.iter().collect();
        assert_eq!(all, vec![&b"a"[..], b"", &long[..], b"zz"]);
        assert_eq!(p.bytes(), 2 + 1 + 302 + 3);
        // Replace the long entry by two short ones.
        let mut it = p.iter();
        it.next_slot();
        it.next_slot();
        let s = it.next_slot().unwrap();
        p.splice(s.start, s.end, 1, &[b"x", b"y"]);
        let all: Vec<&[u8]> = p.iter().collect();
        assert_eq!(all, vec![&b"a"[..], b"", b"x", b"y", b"zz"]);
        assert_eq!(p.len(), 5);
        p.splice(0, p.bytes(), 5, &[]);
        assert!(p.is_empty());
        assert_eq!(p.iter().count(), 0);
    }
}
