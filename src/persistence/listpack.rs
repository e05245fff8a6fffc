//! Listpacks: the compact list encoding Redis 7.0 keeps small lists, hashes
//! and sorted sets in, and writes into RDB files as one string.
//!
//! Layout: a 6-byte header (total bytes as u32 LE, element count as u16 LE,
//! 65535 meaning "count it"), the entries, and a 0xFF terminator. Each entry
//! is its encoding byte(s), its data, then a "backlen": the size of
//! encoding + data in 1 to 5 bytes of 7 bits each, most significant first,
//! every byte but the first with its high bit set (so it can be read from
//! the right when walking backwards).
//!
//! Encodings (first byte):
//!
//! | bits | meaning |
//! | --- | --- |
//! | `0xxxxxxx` | integer 0..=127 |
//! | `10xxxxxx` | string, 6-bit length, then the bytes |
//! | `110xxxxx` + 1 byte | 13-bit signed integer (two's complement) |
//! | `1110xxxx` + 1 byte | string, 12-bit length (high bits first), then the bytes |
//! | `0xF0` + u32 LE | string, 32-bit length, then the bytes |
//! | `0xF1` / `0xF2` / `0xF3` / `0xF4` | 16 / 24 / 32 / 64-bit signed integer, LE |
//! | `0xFF` | end of the listpack |

use crate::util::num::string2ll;

/// The header: total bytes (u32) and element count (u16).
pub const HEADER_SIZE: usize = 6;
/// Terminator byte, also the last byte of every listpack.
pub const EOF: u8 = 0xFF;
/// The count field's value when the count does not fit in 16 bits.
pub const COUNT_UNKNOWN: u16 = u16::MAX;

/// One element of a listpack or ziplist: either bytes or an integer the
/// encoding stored as a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry<'a> {
    Str(&'a [u8]),
    Int(i64),
}

impl Entry<'_> {
    /// The element as Redis returns it: integers in decimal.
    pub fn to_vec(&self) -> Vec<u8> {
        match *self {
            Entry::Str(s) => s.to_vec(),
            Entry::Int(v) => v.to_string().into_bytes(),
        }
    }

    /// The element read as a sorted-set score; `None` if it is not a number
    /// (or is NaN).
    pub fn to_score(&self) -> Option<f64> {
        match *self {
            Entry::Int(v) => Some(v as f64),
            Entry::Str(s) => parse_score(s),
        }
    }
}

/// Parse a score stored as text (`"2.5"`, `"inf"`, `"-inf"`,
/// `"0.10000000000000001"`); NaN is refused as Redis refuses it.
pub fn parse_score(s: &[u8]) -> Option<f64> {
    if s.len() > 127 {
        return None;
    }
    crate::util::num::string2d(s)
}

/// Size of the backlen field for an entry whose encoding + data take `l`
/// bytes. The thresholds are the listpack specification's (note the strict
/// `<` past the first), so entries of exactly 16383 bytes take 3 bytes.
pub fn backlen_size(l: usize) -> usize {
    if l <= 127 {
        1
    } else if l < 16383 {
        2
    } else if l < 2_097_151 {
        3
    } else if l < 268_435_455 {
        4
    } else {
        5
    }
}

fn push_backlen(buf: &mut Vec<u8>, l: usize) {
    let n = backlen_size(l);
    for i in (0..n).rev() {
        let b = ((l >> (7 * i)) & 127) as u8;
        // The first (most significant) byte has no continuation bit.
        buf.push(if i == n - 1 { b } else { b | 128 });
    }
}

/// Encode one string element (encoding, bytes, backlen) at the end of `buf`.
pub fn append_str(buf: &mut Vec<u8>, s: &[u8]) {
    let start = buf.len();
    let len = s.len();
    if len < 64 {
        buf.push(0x80 | len as u8);
    } else if len < 4096 {
        buf.push(0xE0 | (len >> 8) as u8);
        buf.push((len & 0xff) as u8);
    } else {
        buf.push(0xF0);
        // Longer strings are refused by callers (the total no longer fits
        // the header), so truncating here is never observable.
        buf.extend_from_slice(&(len as u32).to_le_bytes());
    }
    buf.extend_from_slice(s);
    let l = buf.len() - start;
    push_backlen(buf, l);
}

/// Encode one integer element in its smallest encoding at the end of `buf`.
pub fn append_int(buf: &mut Vec<u8>, v: i64) {
    let start = buf.len();
    if (0..=127).contains(&v) {
        buf.push(v as u8);
    } else if (-4096..=4095).contains(&v) {
        let u = (v as u64 & 0x1fff) as u16;
        buf.push(0xC0 | (u >> 8) as u8);
        buf.push((u & 0xff) as u8);
    } else if (-32768..=32767).contains(&v) {
        buf.push(0xF1);
        buf.extend_from_slice(&(v as i16).to_le_bytes());
    } else if (-8_388_608..=8_388_607).contains(&v) {
        buf.push(0xF2);
        buf.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
    } else if (i32::MIN as i64..=i32::MAX as i64).contains(&v) {
        buf.push(0xF3);
        buf.extend_from_slice(&(v as i32).to_le_bytes());
    } else {
        buf.push(0xF4);
        buf.extend_from_slice(&v.to_le_bytes());
    }
    let l = buf.len() - start;
    push_backlen(buf, l);
}

/// Encode an element as Redis's lpAppend does: a canonical 64-bit integer
/// as an integer, anything else as bytes.
pub fn append(buf: &mut Vec<u8>, s: &[u8]) {
    match string2ll(s) {
        Some(v) => append_int(buf, v),
        None => append_str(buf, s),
    }
}

/// Builds a listpack entry by entry.
#[derive(Debug, Clone)]
pub struct ListpackBuilder {
    buf: Vec<u8>,
    count: usize,
}

impl Default for ListpackBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ListpackBuilder {
    pub fn new() -> Self {
        let mut buf = Vec::with_capacity(64);
        buf.extend_from_slice(&[0; HEADER_SIZE]);
        ListpackBuilder { buf, count: 0 }
    }

    /// Append an element as Redis does: a string that is a canonical 64-bit
    /// integer (Redis's strict `string2ll` rules) is stored as an integer,
    /// anything else as bytes.
    pub fn push(&mut self, s: &[u8]) {
        match string2ll(s) {
            Some(v) => self.push_int(v),
            None => self.push_str(s),
        }
    }

    /// Append bytes as a string entry, never converting to an integer.
    pub fn push_str(&mut self, s: &[u8]) {
        append_str(&mut self.buf, s);
        self.count += 1;
    }

    /// Append an integer entry in its smallest encoding.
    pub fn push_int(&mut self, v: i64) {
        append_int(&mut self.buf, v);
        self.count += 1;
    }

    /// Elements appended so far.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Size the finished listpack would have (header, entries, terminator):
    /// what Redis calls the listpack's bytes, `lpBytes`.
    pub fn bytes(&self) -> usize {
        self.buf.len() + 1
    }

    /// The finished listpack, or `None` if it is larger than the 32-bit
    /// header can describe.
    pub fn finish(mut self) -> Option<Vec<u8>> {
        self.buf.push(EOF);
        let total = u32::try_from(self.buf.len()).ok()?;
        let count = if self.count < COUNT_UNKNOWN as usize {
            self.count as u16
        } else {
            COUNT_UNKNOWN
        };
        self.buf[0..4].copy_from_slice(&total.to_le_bytes());
        self.buf[4..6].copy_from_slice(&count.to_le_bytes());
        Some(self.buf)
    }
}

/// Encode `items` (with Redis's integer conversion) into a listpack.
pub fn encode<'a>(items: impl IntoIterator<Item = &'a [u8]>) -> Option<Vec<u8>> {
    let mut b = ListpackBuilder::new();
    for s in items {
        b.push(s);
    }
    b.finish()
}

fn le_int(b: &[u8]) -> i64 {
    // Sign-extend a little-endian integer of 1..=8 bytes.
    let mut v: u64 = 0;
    for (i, &x) in b.iter().enumerate() {
        v |= (x as u64) << (8 * i);
    }
    let shift = 64 - 8 * b.len() as u32;
    ((v << shift) as i64) >> shift
}

/// Decode and validate a whole listpack: the header's byte total must be the
/// blob's size, the count must match (unless 65535), every entry must lie
/// inside the blob with a correct backlen, and the terminator must be the
/// last byte. Never panics, whatever the input.
pub fn decode(lp: &[u8]) -> Result<Vec<Entry<'_>>, String> {
    if lp.len() < HEADER_SIZE + 1 {
        return Err(format!("listpack too short ({} bytes)", lp.len()));
    }
    let total = u32::from_le_bytes([lp[0], lp[1], lp[2], lp[3]]) as usize;
    let count = u16::from_le_bytes([lp[4], lp[5]]);
    if total != lp.len() {
        return Err(format!(
            "listpack header says {total} bytes but it has {}",
            lp.len()
        ));
    }
    if lp[lp.len() - 1] != EOF {
        return Err("listpack does not end with 0xFF".into());
    }
    let end = lp.len() - 1;
    let mut out = Vec::with_capacity((count as usize).min(end / 2));
    let mut p = HEADER_SIZE;
    while p < end {
        let (entry, next) = entry_at(lp, p, end)?;
        p = next;
        out.push(entry);
    }
    if count != COUNT_UNKNOWN && count as usize != out.len() {
        return Err(format!(
            "listpack header says {count} entries but it has {}",
            out.len()
        ));
    }
    Ok(out)
}

/// The element at offset `p` and its encoding + data size, or None if it
/// runs past the buffer or has no valid encoding. Never panics.
#[inline]
pub fn decode_element(lp: &[u8], p: usize) -> Option<(Entry<'_>, usize)> {
    let e = *lp.get(p)?;
    Some(if e & 0x80 == 0 {
        (Entry::Int(e as i64), 1)
    } else if e & 0xC0 == 0x80 {
        let len = (e & 0x3f) as usize;
        (Entry::Str(lp.get(p + 1..p + 1 + len)?), 1 + len)
    } else if e & 0xE0 == 0xC0 {
        let lo = *lp.get(p + 1)?;
        let u = (((e & 0x1f) as i64) << 8) | lo as i64;
        (Entry::Int(if u >= 4096 { u - 8192 } else { u }), 2)
    } else if e & 0xF0 == 0xE0 {
        let lo = *lp.get(p + 1)?;
        let len = (((e & 0x0f) as usize) << 8) | lo as usize;
        (Entry::Str(lp.get(p + 2..p + 2 + len)?), 2 + len)
    } else {
        match e {
            0xF0 => {
                let l = lp.get(p + 1..p + 5)?;
                let len = u32::from_le_bytes([l[0], l[1], l[2], l[3]]) as usize;
                (
                    Entry::Str(lp.get(p + 5..(p + 5).saturating_add(len))?),
                    5 + len,
                )
            }
            0xF1..=0xF4 => {
                let n = match e {
                    0xF1 => 2,
                    0xF2 => 3,
                    0xF3 => 4,
                    _ => 8,
                };
                (Entry::Int(le_int(lp.get(p + 1..p + 1 + n)?)), 1 + n)
            }
            _ => return None,
        }
    })
}

/// Decode the element at offset `p` of a listpack whose structure is
/// already known good (checked when it was loaded, or built here): the
/// element and the offset of the next one, its backlen skipped unread.
/// Still never panics.
#[inline]
pub fn element_at(lp: &[u8], p: usize) -> Option<(Entry<'_>, usize)> {
    let (e, size) = decode_element(lp, p)?;
    Some((e, p + size + backlen_size(size)))
}

/// The offset of the element before the one at `p` (or before the
/// terminator, when `p` is its offset), read from its backlen; None at
/// the first element. Never panics.
pub fn prev_element(lp: &[u8], p: usize) -> Option<usize> {
    if p <= HEADER_SIZE {
        return None;
    }
    let mut q = p - 1;
    let mut v: usize = 0;
    let mut shift = 0;
    loop {
        let b = *lp.get(q)?;
        v |= ((b & 127) as usize) << shift;
        shift += 7;
        if b & 128 == 0 || shift > 28 {
            break;
        }
        q = q.checked_sub(1)?;
    }
    let start = q.checked_sub(v)?;
    if start < HEADER_SIZE {
        None
    } else {
        Some(start)
    }
}

/// Decode the element at offset `p` of `lp`, checking that it and its
/// backlen lie before `end` (the terminator's offset). Returns the element
/// and the offset of the next one. Never panics, whatever the input.
pub fn entry_at(lp: &[u8], p: usize, end: usize) -> Result<(Entry<'_>, usize), String> {
    let trunc = || format!("listpack entry at {p} runs past the end");
    let Some((entry, size)) = decode_element(lp, p) else {
        return match lp.get(p) {
            Some(&e) if e >= 0xF5 => {
                Err(format!("listpack entry at {p} has bad encoding 0x{e:02x}"))
            }
            _ => Err(trunc()),
        };
    };
    let bl = backlen_size(size);
    let got = lp.get(p + size..p + size + bl).ok_or_else(trunc)?;
    let mut want = [0u8; 5];
    let n = encode_backlen(&mut want, size);
    if got != &want[..n] {
        return Err(format!("listpack entry at {p} has a wrong backlen"));
    }
    let next = p + size + bl;
    if next > end {
        return Err(trunc());
    }
    Ok((entry, next))
}

fn encode_backlen(out: &mut [u8; 5], l: usize) -> usize {
    let n = backlen_size(l);
    for (k, i) in (0..n).rev().enumerate() {
        let b = ((l >> (7 * i)) & 127) as u8;
        out[k] = if i == n - 1 { b } else { b | 128 };
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn encodings_match_the_spec() {
        let mut b = ListpackBuilder::new();
        b.push(b"a");
        b.push(b"1");
        b.push(b"-1");
        b.push(b"100000");
        b.push(b"007");
        b.push(b"12345678901234567890");
        let lp = b.finish().unwrap();
        assert_eq!(&lp[..6], &[lp.len() as u8, 0, 0, 0, 6, 0]);
        let body = &lp[6..];
        let expect: Vec<u8> = [
            &[0x81, b'a', 2][..],
            &[0x01, 1],
            &[0xDF, 0xFF, 2],
            &[0xF2, 0xA0, 0x86, 0x01, 4],
            &[0x83, b'0', b'0', b'7', 4],
            &[0x94],
        ]
        .concat();
        assert_eq!(&body[..expect.len()], &expect[..]);
        assert_eq!(*lp.last().unwrap(), 0xFF);
        let d = decode(&lp).unwrap();
        assert_eq!(d[2], Entry::Int(-1));
        assert_eq!(d[3], Entry::Int(100000));
        assert_eq!(d[4], Entry::Str(b"007"));
        assert_eq!(d[5], Entry::Str(b"12345678901234567890"));
    }

    #[test]
    fn backlen_boundaries() {
        for (l, n) in [
            (1, 1),
            (127, 1),
            (128, 2),
            (16382, 2),
            (16383, 3),
            (2_097_150, 3),
            (2_097_151, 4),
        ] {
            assert_eq!(backlen_size(l), n, "{l}");
            let mut v = Vec::new();
            push_backlen(&mut v, l);
            assert_eq!(v.len(), n);
            // Read it back from the right, as a backwards walk does.
            let mut val = 0usize;
            let mut shift = 0;
            for (i, &b) in v.iter().rev().enumerate() {
                val |= ((b & 127) as usize) << shift;
                shift += 7;
                assert_eq!(b & 128 != 0, i + 1 < n);
            }
            assert_eq!(val, l);
        }
        // Strings whose entry crosses the 2- and 3-byte backlen sizes.
        for len in [
            58, 59, 63, 64, 122, 123, 124, 125, 126, 127, 4095, 4096, 16377, 16378, 16379,
        ] {
            let s = vec![b'x'; len];
            let lp = encode([&s[..], b"tail"]).unwrap();
            let d = decode(&lp).unwrap();
            assert_eq!(d, vec![Entry::Str(&s), Entry::Str(b"tail")]);
        }
    }

    #[test]
    fn integer_ranges() {
        for v in [
            0i64,
            127,
            128,
            -1,
            -4096,
            4095,
            4096,
            -4097,
            32767,
            -32768,
            32768,
            8_388_607,
            -8_388_608,
            8_388_608,
            i32::MAX as i64,
            i32::MIN as i64,
            i32::MAX as i64 + 1,
            i64::MAX,
            i64::MIN,
        ] {
            let s = v.to_string();
            let lp = encode([s.as_bytes()]).unwrap();
            assert_eq!(decode(&lp).unwrap(), vec![Entry::Int(v)], "{v}");
        }
    }

    #[test]
    fn rejects_corruption() {
        let lp = encode([&b"hello"[..], b"42", b"world"]).unwrap();
        assert!(decode(&lp[..lp.len() - 1]).is_err());
        for i in 0..lp.len() {
            for flip in [1u8, 0x80, 0xff] {
                let mut c = lp.clone();
                c[i] ^= flip;
                let _ = decode(&c);
            }
        }
        let mut c = lp.clone();
        c[4] = 2; // wrong count
        assert!(decode(&c).is_err());
        c[4] = 0xff;
        c[5] = 0xff; // unknown count is accepted
        assert_eq!(decode(&c).unwrap().len(), 3);
    }

    proptest! {
        #[test]
        fn round_trip(items in proptest::collection::vec(
            prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..300),
                any::<i64>().prop_map(|v| v.to_string().into_bytes()),
                (-5000i64..5000).prop_map(|v| v.to_string().into_bytes()),
            ], 0..40)) {
            let lp = encode(items.iter().map(|v| v.as_slice())).unwrap();
            let back: Vec<Vec<u8>> = decode(&lp).unwrap().iter().map(|e| e.to_vec()).collect();
            prop_assert_eq!(back, items);
        }

        #[test]
        fn garbage_never_panics(data in proptest::collection::vec(any::<u8>(), 0..100)) {
            let mut d = data.clone();
            if d.len() >= 6 {
                let n = d.len() as u32;
                d[..4].copy_from_slice(&n.to_le_bytes());
            }
            let _ = decode(&d);
            let _ = decode(&data);
        }
    }
}
