//! Decoders for the two encodings older RDB files (Redis 6.2 and before)
//! store small collections in: ziplists and zipmaps. We never write them.
//!
//! Ziplist: a 10-byte header (total bytes u32 LE, offset of the last entry
//! u32 LE, entry count u16 LE with 65535 meaning "count it"), entries, and a
//! 0xFF terminator. Each entry is the previous entry's size (1 byte if below
//! 254, else 0xFE and a u32 LE), an encoding, and data:
//!
//! | encoding | meaning |
//! | --- | --- |
//! | `00llllll` | string, 6-bit length |
//! | `01llllll llllllll` | string, 14-bit length (high bits first) |
//! | `0x80` + u32 BE | string, 32-bit length |
//! | `0xC0` / `0xD0` / `0xE0` | 16 / 32 / 64-bit signed integer, LE |
//! | `0xF0` | 24-bit signed integer, LE |
//! | `0xFE` | 8-bit signed integer |
//! | `0xF1`..=`0xFD` | the integer 0..=12, in the low 4 bits minus one |
//!
//! Zipmap (Redis 2.x hashes): a count byte, then per pair a key length, the
//! key, a value length, one "free" byte, the value and that many unused
//! bytes; lengths are one byte below 254, or 0xFE then a u32 LE; 0xFF ends.

use super::listpack::Entry;

fn le_int(b: &[u8]) -> i64 {
    let mut v: u64 = 0;
    for (i, &x) in b.iter().enumerate() {
        v |= (x as u64) << (8 * i);
    }
    let shift = 64 - 8 * b.len() as u32;
    ((v << shift) as i64) >> shift
}

/// Decode and validate a whole ziplist (header size and tail offset,
/// every entry's previous-length field, the count unless 65535, the
/// terminator). Never panics, whatever the input.
pub fn decode(zl: &[u8]) -> Result<Vec<Entry<'_>>, String> {
    const HEADER: usize = 10;
    if zl.len() < HEADER + 1 {
        return Err(format!("ziplist too short ({} bytes)", zl.len()));
    }
    let total = u32::from_le_bytes([zl[0], zl[1], zl[2], zl[3]]) as usize;
    let tail = u32::from_le_bytes([zl[4], zl[5], zl[6], zl[7]]) as usize;
    let count = u16::from_le_bytes([zl[8], zl[9]]);
    if total != zl.len() {
        return Err(format!(
            "ziplist header says {total} bytes but it has {}",
            zl.len()
        ));
    }
    let end = zl.len() - 1;
    if zl[end] != 0xFF {
        return Err("ziplist does not end with 0xFF".into());
    }
    let mut out = Vec::with_capacity((count as usize).min(end / 2));
    let mut p = HEADER;
    let mut prev_size = 0usize;
    let mut last = HEADER;
    while p < end {
        let start = p;
        let trunc = || format!("ziplist entry at {start} runs past the end");
        // previous entry length
        let prevlen = if zl[p] < 254 {
            p += 1;
            zl[start] as usize
        } else if zl[p] == 254 {
            let b = zl.get(p + 1..p + 5).ok_or_else(trunc)?;
            p += 5;
            u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize
        } else {
            return Err(format!("ziplist entry at {start} has a bad length byte"));
        };
        if prevlen != prev_size {
            return Err(format!(
                "ziplist entry at {start} has a wrong previous-entry length"
            ));
        }
        let e = *zl.get(p).ok_or_else(trunc)?;
        let entry = match e >> 6 {
            0 => {
                let len = (e & 0x3f) as usize;
                let s = zl.get(p + 1..p + 1 + len).ok_or_else(trunc)?;
                p += 1 + len;
                Entry::Str(s)
            }
            1 => {
                let lo = *zl.get(p + 1).ok_or_else(trunc)?;
                let len = (((e & 0x3f) as usize) << 8) | lo as usize;
                let s = zl.get(p + 2..p + 2 + len).ok_or_else(trunc)?;
                p += 2 + len;
                Entry::Str(s)
            }
            2 => {
                if e != 0x80 {
                    return Err(format!(
                        "ziplist entry at {start} has bad encoding 0x{e:02x}"
                    ));
                }
                let l = zl.get(p + 1..p + 5).ok_or_else(trunc)?;
                let len = u32::from_be_bytes([l[0], l[1], l[2], l[3]]) as usize;
                let s = zl
                    .get(p + 5..(p + 5).saturating_add(len))
                    .ok_or_else(trunc)?;
                p += 5 + len;
                Entry::Str(s)
            }
            _ => {
                let n = match e {
                    0xC0 => 2,
                    0xD0 => 4,
                    0xE0 => 8,
                    0xF0 => 3,
                    0xFE => 1,
                    0xF1..=0xFD => 0,
                    _ => {
                        return Err(format!(
                            "ziplist entry at {start} has bad encoding 0x{e:02x}"
                        ));
                    }
                };
                if n == 0 {
                    p += 1;
                    Entry::Int((e & 0x0f) as i64 - 1)
                } else {
                    let b = zl.get(p + 1..p + 1 + n).ok_or_else(trunc)?;
                    p += 1 + n;
                    Entry::Int(le_int(b))
                }
            }
        };
        if p > end {
            return Err(trunc());
        }
        prev_size = p - start;
        last = start;
        out.push(entry);
    }
    if tail != last {
        return Err(format!(
            "ziplist header says the last entry is at {tail}, it is at {last}"
        ));
    }
    if count != u16::MAX && count as usize != out.len() {
        return Err(format!(
            "ziplist header says {count} entries but it has {}",
            out.len()
        ));
    }
    Ok(out)
}

/// A zipmap's (key, value) pairs, borrowed from the blob.
pub type ZipmapPairs<'a> = Vec<(&'a [u8], &'a [u8])>;

/// Decode a zipmap into its (key, value) pairs. Never panics.
pub fn decode_zipmap(zm: &[u8]) -> Result<ZipmapPairs<'_>, String> {
    fn len_at(zm: &[u8], p: &mut usize) -> Result<Option<usize>, String> {
        let b = *zm.get(*p).ok_or("zipmap runs past the end")?;
        match b {
            0xFF => Ok(None),
            0xFE => {
                let l = zm.get(*p + 1..*p + 5).ok_or("zipmap runs past the end")?;
                *p += 5;
                Ok(Some(u32::from_le_bytes([l[0], l[1], l[2], l[3]]) as usize))
            }
            _ => {
                *p += 1;
                Ok(Some(b as usize))
            }
        }
    }
    fn take<'a>(zm: &'a [u8], p: &mut usize, n: usize) -> Result<&'a [u8], String> {
        let s = zm
            .get(*p..(*p).saturating_add(n))
            .ok_or("zipmap runs past the end")?;
        *p += n;
        Ok(s)
    }
    if zm.len() < 2 {
        return Err("zipmap too short".into());
    }
    let mut out = Vec::new();
    let mut p = 1;
    while let Some(klen) = len_at(zm, &mut p)? {
        let key = take(zm, &mut p, klen)?;
        let vlen = len_at(zm, &mut p)?.ok_or("zipmap ends between a key and its value")?;
        let free = *zm.get(p).ok_or("zipmap runs past the end")? as usize;
        p += 1;
        let val = take(zm, &mut p, vlen)?;
        take(zm, &mut p, free)?;
        out.push((key, val));
    }
    if p + 1 != zm.len() {
        return Err("zipmap has bytes after its end marker".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A minimal ziplist encoder, only for building test inputs.
    fn encode_for_test(items: &[Entry<'_>], force_large_prevlen: bool) -> Vec<u8> {
        let mut body = Vec::new();
        let mut prev = 0usize;
        let mut last = 10;
        for it in items {
            let start = body.len();
            last = 10 + start;
            if prev < 254 && !force_large_prevlen {
                body.push(prev as u8);
            } else {
                body.push(0xFE);
                body.extend_from_slice(&(prev as u32).to_le_bytes());
            }
            match *it {
                Entry::Str(s) if s.len() < 64 => {
                    body.push(s.len() as u8);
                    body.extend_from_slice(s);
                }
                Entry::Str(s) if s.len() < 16384 => {
                    body.push(0x40 | (s.len() >> 8) as u8);
                    body.push(s.len() as u8);
                    body.extend_from_slice(s);
                }
                Entry::Str(s) => {
                    body.push(0x80);
                    body.extend_from_slice(&(s.len() as u32).to_be_bytes());
                    body.extend_from_slice(s);
                }
                Entry::Int(v) if (0..=12).contains(&v) => body.push(0xF1 + v as u8),
                Entry::Int(v) if (-128..=127).contains(&v) => {
                    body.push(0xFE);
                    body.push(v as i8 as u8);
                }
                Entry::Int(v) if (-32768..=32767).contains(&v) => {
                    body.push(0xC0);
                    body.extend_from_slice(&(v as i16).to_le_bytes());
                }
                Entry::Int(v) if (-8_388_608..=8_388_607).contains(&v) => {
                    body.push(0xF0);
                    body.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
                }
                Entry::Int(v) if (i32::MIN as i64..=i32::MAX as i64).contains(&v) => {
                    body.push(0xD0);
                    body.extend_from_slice(&(v as i32).to_le_bytes());
                }
                Entry::Int(v) => {
                    body.push(0xE0);
                    body.extend_from_slice(&v.to_le_bytes());
                }
            }
            prev = body.len() - start;
        }
        let total = 10 + body.len() + 1;
        let mut zl = Vec::with_capacity(total);
        zl.extend_from_slice(&(total as u32).to_le_bytes());
        zl.extend_from_slice(&(last as u32).to_le_bytes());
        zl.extend_from_slice(&(items.len().min(65535) as u16).to_le_bytes());
        zl.extend_from_slice(&body);
        zl.push(0xFF);
        zl
    }

    #[test]
    fn decodes_every_encoding() {
        let big = vec![b'z'; 300];
        let huge = vec![b'h'; 20000];
        let items = vec![
            Entry::Str(b"a"),
            Entry::Int(0),
            Entry::Int(12),
            Entry::Int(13),
            Entry::Int(-7),
            Entry::Int(1000),
            Entry::Int(100000),
            Entry::Int(-3_000_000_000),
            Entry::Int(2_000_000_000),
            Entry::Str(&big),
            Entry::Str(&huge),
            Entry::Str(b""),
        ];
        for large in [false, true] {
            let zl = encode_for_test(&items, large);
            assert_eq!(decode(&zl).unwrap(), items);
        }
        let empty = encode_for_test(&[], false);
        assert_eq!(decode(&empty).unwrap(), vec![]);
    }

    #[test]
    fn zipmap_pairs() {
        let mut zm = vec![2u8];
        zm.extend_from_slice(&[3, b'f', b'o', b'o', 3, 2, b'b', b'a', b'r', 0, 0]);
        zm.push(0xFE);
        zm.extend_from_slice(&1u32.to_le_bytes());
        zm.push(b'k');
        zm.extend_from_slice(&[0, 0]);
        zm.push(0xFF);
        assert_eq!(
            decode_zipmap(&zm).unwrap(),
            vec![(&b"foo"[..], &b"bar"[..]), (&b"k"[..], &b""[..])]
        );
        assert!(decode_zipmap(&zm[..zm.len() - 1]).is_err());
    }

    proptest! {
        #[test]
        fn garbage_never_panics(data in proptest::collection::vec(any::<u8>(), 0..120)) {
            let mut d = data.clone();
            if d.len() >= 10 {
                let n = d.len() as u32;
                d[..4].copy_from_slice(&n.to_le_bytes());
            }
            let _ = decode(&d);
            let _ = decode(&data);
            let _ = decode_zipmap(&data);
        }
    }
}
