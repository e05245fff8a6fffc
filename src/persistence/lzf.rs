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

/// Compress `input` into at most `max_out` bytes, choosing the very items
/// liblzf 3.6 (Redis's lzf_c.c, built VERY_FAST with a 2^16-slot table)
/// chooses, so files and DUMP payloads come out byte for byte as Redis's.
/// Returns `None` when `input` is empty or when liblzf would give up
/// (its output would not fit), so the caller stores the bytes raw.
pub fn compress(input: &[u8], max_out: usize) -> Option<Vec<u8>> {
    const HLOG: u32 = 16;
    let in_end = input.len();
    let out_end = max_out;
    if in_end == 0 || out_end == 0 {
        return None;
    }
    // liblzf's hash of the three bytes at `p` (IDX of NEXT of FRST);
    // bits above the window do not reach the index.
    let idx = |h: u32| -> usize {
        ((h >> (3 * 8 - HLOG)).wrapping_sub(h.wrapping_mul(5)) & ((1 << HLOG) - 1)) as usize
    };
    let at = |p: usize| -> u32 { input.get(p).copied().unwrap_or(0) as u32 };
    // Position + 1 of the last time each hash was seen; 0 is empty.
    let mut htab = vec![0u32; 1 << HLOG];
    // Never more than the input plus its literal-run headers, whatever
    // limit the caller gives.
    let mut out = vec![0u8; out_end.min(in_end + in_end / MAX_LIT + 8) + 4];
    let mut ip = 0usize;
    let mut op = 1usize; // a literal run's header is reserved at op - 1
    let mut lit = 0usize;
    let mut hval: u32 = (at(0) << 8) | at(1);
    while ip + 2 < in_end {
        hval = (hval << 8) | at(ip + 2);
        let slot = idx(hval);
        let candidate = htab[slot];
        htab[slot] = (ip + 1) as u32;
        let matched = candidate != 0 && {
            let r = candidate as usize - 1;
            r < ip && ip - r - 1 < MAX_OFF && r > 0 && input[r..r + 3] == input[ip..ip + 3]
        };
        if matched {
            let r = candidate as usize - 1;
            let off = ip - r - 1;
            let maxlen = (in_end - ip - 2).min(MAX_REF);
            if op + 4 >= out_end && op - (lit == 0) as usize + 4 >= out_end {
                return None;
            }
            out[op - lit - 1] = (lit as u8).wrapping_sub(1);
            op -= (lit == 0) as usize;
            let mut len = 2usize;
            let mut done = false;
            if maxlen > 16 {
                for _ in 0..16 {
                    len += 1;
                    if input[r + len] != input[ip + len] {
                        done = true;
                        break;
                    }
                }
            }
            if !done {
                loop {
                    len += 1;
                    if !(len < maxlen && input[r + len] == input[ip + len]) {
                        break;
                    }
                }
            }
            len -= 2;
            ip += 1;
            if len < 7 {
                out[op] = ((off >> 8) + (len << 5)) as u8;
                op += 1;
            } else {
                out[op] = ((off >> 8) + (7 << 5)) as u8;
                out[op + 1] = (len - 7) as u8;
                op += 2;
            }
            out[op] = off as u8;
            op += 1;
            lit = 0;
            op += 1;
            ip += len + 1;
            if ip + 2 >= in_end {
                break;
            }
            // VERY_FAST: hash only the match's last two positions.
            ip -= 2;
            hval = (at(ip) << 8) | at(ip + 1);
            hval = (hval << 8) | at(ip + 2);
            htab[idx(hval)] = (ip + 1) as u32;
            ip += 1;
            hval = (hval << 8) | at(ip + 2);
            htab[idx(hval)] = (ip + 1) as u32;
            ip += 1;
        } else {
            if op >= out_end {
                return None;
            }
            lit += 1;
            out[op] = input[ip];
            op += 1;
            ip += 1;
            if lit == MAX_LIT {
                out[op - lit - 1] = (lit - 1) as u8;
                lit = 0;
                op += 1;
            }
        }
    }
    if op + 3 > out_end {
        return None;
    }
    while ip < in_end {
        lit += 1;
        out[op] = input[ip];
        op += 1;
        ip += 1;
        if lit == MAX_LIT {
            out[op - lit - 1] = (lit - 1) as u8;
            lit = 0;
            op += 1;
        }
    }
    out[op - lit - 1] = (lit as u8).wrapping_sub(1);
    op -= (lit == 0) as usize;
    out.truncate(op);
    Some(out)
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
            // A limit is never exceeded; like liblzf, it gives up a few
            // bytes early rather than check every write.
            if c.len() > 1 {
                prop_assert_eq!(compress(&data, c.len() - 1), None);
            }
            prop_assert_eq!(compress(&data, c.len() + 4), Some(c));
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
