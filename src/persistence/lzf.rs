//! LZF, the compression RDB files use for strings (our own implementation
//! of the liblzf stream format).
//!
//! A compressed stream is a sequence of items, each starting with a control
//! byte `c`:
//!
//! * `c < 32`: a literal run; the next `c + 1` bytes are copied as they are.
//! * otherwise a back reference: `len = c >> 5` (if `len == 7`, the next
//!   byte is added to it), then one more byte `lo`; the distance back from
//!   the end of the output is `((c & 0x1f) << 8 | lo) + 1`, and `len + 2`
//!   bytes are copied from there, one at a time (the source may overlap the
//!   bytes being produced, which is how runs are encoded).
//!
//! So a back reference reaches at most 8192 bytes back and copies 3 to 264
//! bytes.

/// Longest distance a back reference can reach.
const MAX_OFF: usize = 1 << 13;
/// Longest match a back reference can copy.
const MAX_REF: usize = (1 << 8) + (1 << 3);
/// Longest literal run.
const MAX_LIT: usize = 1 << 5;
/// No stream expands more than this: a 3-byte back reference yields at most
/// 264 bytes.
pub const MAX_EXPANSION: usize = MAX_REF / 3;

/// Compress `input`. Returns `None` when `input` is empty or when the result
/// would be longer than `max_out` bytes (the work stops as soon as that is
/// known), so the caller can fall back to storing the bytes raw.
pub fn compress(input: &[u8], max_out: usize) -> Option<Vec<u8>> {
    let n = input.len();
    if n == 0 {
        return None;
    }
    // Hash table of the last position (plus one) where each 3-byte
    // sequence was seen; sized to the input so small strings stay cheap.
    let hash_log = (usize::BITS - n.next_power_of_two().leading_zeros()).clamp(8, 14);
    let mut table = vec![0u32; 1 << hash_log];
    let hash = |p: usize| -> usize {
        let v = (input[p] as u32) << 16 | (input[p + 1] as u32) << 8 | input[p + 2] as u32;
        (v.wrapping_mul(2_654_435_761) >> (32 - hash_log)) as usize
    };
    let mut out = Vec::with_capacity(max_out.min(n + n / MAX_LIT + 1));
    let mut lit_start = 0;
    let mut i = 0;
    while i + 2 < n {
        let h = hash(i);
        let cand = table[h] as usize;
        table[h] = (i + 1) as u32;
        if cand != 0 {
            let c = cand - 1;
            let back = i - c;
            // As liblzf: never a reference to the first byte, and a match
            // stops short of the input's last two bytes (its maxlen).
            if c > 0 && back <= MAX_OFF && input[c..c + 3] == input[i..i + 3] {
                let max_len = MAX_REF.min(n - i - 2);
                let mut len = 3;
                while len < max_len && input[c + len] == input[i + len] {
                    len += 1;
                }
                emit_literals(&mut out, &input[lit_start..i]);
                let off = back - 1;
                let l = len - 2;
                if l < 7 {
                    out.push(((l << 5) | (off >> 8)) as u8);
                } else {
                    out.push(((7 << 5) | (off >> 8)) as u8);
                    out.push((l - 7) as u8);
                }
                out.push((off & 0xff) as u8);
                if out.len() > max_out {
                    return None;
                }
                // Remember the positions inside the match too.
                let end = i + len;
                let mut p = i + 1;
                while p < end && p + 2 < n {
                    let h = hash(p);
                    table[h] = (p + 1) as u32;
                    p += 1;
                }
                i = end;
                lit_start = i;
                continue;
            }
        }
        i += 1;
        if out.len() + (i - lit_start) > max_out {
            // The pending literals alone no longer fit.
            return None;
        }
    }
    emit_literals(&mut out, &input[lit_start..]);
    if out.len() > max_out {
        return None;
    }
    Some(out)
}

fn emit_literals(out: &mut Vec<u8>, mut lit: &[u8]) {
    while !lit.is_empty() {
        let run = lit.len().min(MAX_LIT);
        out.push((run - 1) as u8);
        out.extend_from_slice(&lit[..run]);
        lit = &lit[run..];
    }
}

/// Decompress `input`, which must expand to exactly `out_len` bytes.
/// Returns `None` for any malformed stream (truncated item, reference before
/// the start of the output, output longer or shorter than `out_len`) and
/// for an `out_len` no stream of this size could produce, so a corrupt
/// length never leads to a large allocation. Never panics.
pub fn decompress(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    if out_len > input.len().saturating_mul(MAX_EXPANSION) {
        return None;
    }
    let mut out: Vec<u8> = Vec::with_capacity(out_len);
    let mut i = 0;
    while i < input.len() {
        let ctrl = input[i] as usize;
        i += 1;
        if ctrl < 32 {
            let run = ctrl + 1;
            let lit = input.get(i..i + run)?;
            if out.len() + run > out_len {
                return None;
            }
            out.extend_from_slice(lit);
            i += run;
        } else {
            let mut len = ctrl >> 5;
            if len == 7 {
                len += *input.get(i)? as usize;
                i += 1;
            }
            len += 2;
            let back = (((ctrl & 0x1f) << 8) | *input.get(i)? as usize) + 1;
            i += 1;
            if back > out.len() || out.len() + len > out_len {
                return None;
            }
            let start = out.len() - back;
            if back >= len {
                out.extend_from_within(start..start + len);
            } else {
                for k in start..start + len {
                    let b = out[k];
                    out.push(b);
                }
            }
        }
    }
    if out.len() == out_len {
        Some(out)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn runs_compress_well() {
        let a = vec![b'a'; 200];
        let c = compress(&a, 196).unwrap();
        assert!(c.len() <= 10, "{}", c.len());
        assert_eq!(decompress(&c, 200).unwrap(), a);
    }

    #[test]
    fn decodes_a_hand_made_stream() {
        // literal "ab", then copy 6 bytes from 2 back: "abababab"
        let s = [1, b'a', b'b', (4 << 5), 1];
        assert_eq!(decompress(&s, 8).unwrap(), b"abababab");
        // long form: len 7 + 10 = 17 (+2 = 19 bytes), distance 1
        let s = [0, b'x', (7 << 5), 10, 0];
        assert_eq!(decompress(&s, 20).unwrap(), vec![b'x'; 20]);
    }

    #[test]
    fn rejects_bad_streams() {
        assert_eq!(decompress(&[5, b'a'], 6), None); // truncated literal
        assert_eq!(decompress(&[0, b'a', 0x20], 4), None); // truncated ref
        assert_eq!(decompress(&[0, b'a', 0x20, 5], 4), None); // ref before start
        assert_eq!(decompress(&[0, b'a'], 2), None); // too short
        assert_eq!(decompress(&[1, b'a', b'b'], 1), None); // too long
        assert_eq!(decompress(&[0, b'a'], usize::MAX), None); // absurd length
        assert_eq!(decompress(&[], 0), Some(vec![]));
    }

    #[test]
    fn incompressible_returns_none() {
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let data: Vec<u8> = (0..1000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 32) as u8
            })
            .collect();
        assert_eq!(compress(&data, data.len() - 4), None);
        assert_eq!(compress(&[], 10), None);
    }

    #[test]
    fn long_inputs_round_trip() {
        let mut data = Vec::new();
        for i in 0..50_000u32 {
            data.extend_from_slice(format!("element-{:012} ", i % 977).as_bytes());
        }
        let c = compress(&data, data.len()).unwrap();
        assert!(c.len() < data.len() / 4);
        assert_eq!(decompress(&c, data.len()).unwrap(), data);
    }

    proptest! {
        #[test]
        fn round_trip(data in proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b'), any::<u8>()], 1..3000)) {
            let c = compress(&data, usize::MAX).unwrap();
            prop_assert!(c.len() <= data.len() + data.len() / 32 + 1);
            prop_assert_eq!(decompress(&c, data.len()).unwrap(), data.clone());
            // A limit is honoured exactly.
            if c.len() > 1 {
                prop_assert_eq!(compress(&data, c.len() - 1), None);
            }
            prop_assert_eq!(compress(&data, c.len()), Some(c));
        }

        #[test]
        fn corrupt_input_never_panics(data in proptest::collection::vec(any::<u8>(), 0..200), len in 0usize..5000) {
            if let Some(out) = decompress(&data, len) {
                prop_assert_eq!(out.len(), len);
            }
        }

        #[test]
        fn flipped_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 1..500), pos in any::<usize>(), flip in 1u8..=255) {
            let mut c = compress(&data, usize::MAX).unwrap();
            let p = pos % c.len();
            c[p] ^= flip;
            let _ = decompress(&c, data.len());
        }
    }
}
