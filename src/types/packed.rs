//! `Packed`: byte strings back to back in one exact-size allocation, each
//! framed by its length as a LEB128 varint, after a 4-byte entry count (no
//! header at all when empty), so the handle is one boxed slice. This is Redis's listpack idea
//! for small collections (a small hash is one of these, fields and values
//! alternating): one allocation instead of one per element, at the price
//! of a linear scan and a reallocation per change, which is cheap at the
//! sizes the listpack thresholds allow. Only this module writes the
//! buffer, so decoding trusts it.

#[derive(Clone, Default)]
pub struct Packed {
    buf: Box<[u8]>,
}

/// The entry count's bytes at the head of a non-empty buffer.
const HDR: usize = 4;

/// Bytes the LEB128 varint of `n` takes.
pub(crate) fn varint_len(mut n: usize) -> usize {
    let mut k = 1;
    n >>= 7;
    while n > 0 {
        k += 1;
        n >>= 7;
    }
    k
}

/// The LEB128 varint at `pos`: (its value, the position after it).
#[inline]
pub(crate) fn read_varint(buf: &[u8], pos: usize) -> (usize, usize) {
    let (mut n, mut shift, mut i) = (0usize, 0, pos);
    loop {
        let b = buf[i];
        n |= ((b & 0x7f) as usize) << shift;
        i += 1;
        if b & 0x80 == 0 {
            return (n, i);
        }
        shift += 7;
    }
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
    let (len, d) = read_varint(buf, pos);
    (d, d + len)
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
        match self.buf.get(..HDR) {
            Some(h) => u32::from_le_bytes([h[0], h[1], h[2], h[3]]) as usize,
            None => 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Take `out` (header room included) as the buffer holding `count`
    /// entries.
    fn install(&mut self, mut out: Vec<u8>, count: usize) {
        if count == 0 {
            self.buf = Box::default();
            return;
        }
        out[..HDR].copy_from_slice(&(count as u32).to_le_bytes());
        self.buf = out.into_boxed_slice();
    }

    /// Bytes used (and allocated).
    pub fn bytes(&self) -> usize {
        self.buf.len()
    }

    pub fn iter(&self) -> Iter<'_> {
        Iter {
            buf: &self.buf,
            pos: HDR.min(self.buf.len()),
        }
    }

    /// Append entries, reallocating once.
    pub fn push(&mut self, entries: &[&[u8]]) {
        let extra: usize = entries.iter().map(|e| varint_len(e.len()) + e.len()).sum();
        let mut out = Vec::with_capacity(HDR + self.buf.len() + extra);
        if self.buf.is_empty() {
            out.extend_from_slice(&[0; HDR]);
        } else {
            out.extend_from_slice(&self.buf);
        }
        for e in entries {
            put_entry(&mut out, e);
        }
        let count = self.len() + entries.len();
        self.install(out, count);
    }

    /// Replace the bytes `start..end` (whole entries, `removed` of them,
    /// as `Slot`s place them) with `entries`.
    pub fn splice(&mut self, start: usize, end: usize, removed: usize, entries: &[&[u8]]) {
        let extra: usize = entries.iter().map(|e| varint_len(e.len()) + e.len()).sum();
        let mut out = Vec::with_capacity(self.buf.len() - (end - start) + extra);
        out.extend_from_slice(&self.buf[..start]);
        for e in entries {
            put_entry(&mut out, e);
        }
        out.extend_from_slice(&self.buf[end..]);
        let count = self.len() + entries.len() - removed;
        self.install(out, count);
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
        assert_eq!(p.bytes(), HDR + 2 + 1 + 302 + 3);
        // Replace the long entry by two short ones.
        let mut it = p.iter();
        it.next_slot();
        it.next_slot();
        let s = it.next_slot().unwrap();
        p.splice(s.start, s.end, 1, &[b"x", b"y"]);
        let all: Vec<&[u8]> = p.iter().collect();
        assert_eq!(all, vec![&b"a"[..], b"", b"x", b"y", b"zz"]);
        assert_eq!(p.len(), 5);
        p.splice(HDR, p.bytes(), 5, &[]);
        assert!(p.is_empty());
        assert_eq!((p.bytes(), p.len(), p.iter().count()), (0, 0, 0));
        assert_eq!(std::mem::size_of::<Packed>(), 16);
    }
}
