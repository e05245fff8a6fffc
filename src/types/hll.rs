//! HyperLogLog as Redis stores it (hyperloglog.c): a plain string with a
//! 16-byte header ("HYLL", the encoding, three zero bytes, the cached
//! cardinality little-endian with bit 63 marking it stale) followed by
//! 16384 six-bit registers, either dense (12288 bytes) or sparse (run-length
//! opcodes ZERO 00xxxxxx, XZERO 01xxxxxx yyyyyyyy, VAL 1vvvvvxx). Every
//! operation edits those bytes the way Redis does, so GET, DUMP and RDB
//! bytes of an HLL are Redis's and a Redis HLL works here.
//!
//! The bytes come from clients (SET, RESTORE) as much as from PFADD: every
//! reader treats them as hostile. Where Redis reads the byte after a
//! truncated XZERO it reads the string's terminating zero; so do we.

pub const HDR_SIZE: usize = 16;
pub const P: u32 = 14;
pub const Q: u32 = 64 - P;
pub const REGISTERS: usize = 1 << P;
const P_MASK: u64 = REGISTERS as u64 - 1;
const BITS: usize = 6;
const REGISTER_MAX: u8 = (1 << BITS) - 1;
pub const DENSE_SIZE: usize = HDR_SIZE + (REGISTERS * BITS).div_ceil(8);
pub const DENSE: u8 = 0;
pub const SPARSE: u8 = 1;
const MAX_ENCODING: u8 = 1;

const XZERO_BIT: u8 = 0x40;
const VAL_BIT: u8 = 0x80;
const VAL_MAX_VALUE: u8 = 32;
const VAL_MAX_LEN: usize = 4;
const ZERO_MAX_LEN: usize = 64;
const XZERO_MAX_LEN: usize = 16384;
/// 0.5/ln(2).
const ALPHA_INF: f64 = 0.721_347_520_444_481_7;

fn is_zero(b: u8) -> bool {
    b & 0xc0 == 0
}
fn is_xzero(b: u8) -> bool {
    b & 0xc0 == XZERO_BIT
}
fn is_val(b: u8) -> bool {
    b & VAL_BIT != 0
}
fn zero_len(b: u8) -> usize {
    (b & 0x3f) as usize + 1
}
fn xzero_len(b0: u8, b1: u8) -> usize {
    ((((b0 & 0x3f) as usize) << 8) | b1 as usize) + 1
}
fn val_value(b: u8) -> u8 {
    ((b >> 2) & 0x1f) + 1
}
fn val_len(b: u8) -> usize {
    (b & 0x3) as usize + 1
}
fn val_op(val: u8, len: usize) -> u8 {
    (((val - 1) << 2) | (len as u8 - 1)) | VAL_BIT
}
fn zero_op(len: usize) -> u8 {
    (len - 1) as u8
}
fn xzero_op(len: usize) -> [u8; 2] {
    let l = len - 1;
    [(l >> 8) as u8 | XZERO_BIT, (l & 0xff) as u8]
}

/// The byte at `i`, or the terminating zero past the end.
fn at(s: &[u8], i: usize) -> u8 {
    s.get(i).copied().unwrap_or(0)
}

/// MurmurHash64A, little-endian, as Redis hashes HLL elements.
pub fn murmur64a(key: &[u8], seed: u32) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h: u64 = seed as u64 ^ (key.len() as u64).wrapping_mul(M);
    let mut chunks = key.chunks_exact(8);
    for c in &mut chunks {
        let mut k = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        for (i, b) in rest.iter().enumerate() {
            h ^= (*b as u64) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// hllPatLen: the register an element addresses and the length of the
/// run of zeros (plus one) in the rest of its hash.
pub fn pat_len(ele: &[u8]) -> (usize, u8) {
    let mut hash = murmur64a(ele, 0xadc8_3b19);
    let index = (hash & P_MASK) as usize;
    hash >>= P;
    hash |= 1u64 << Q;
    (index, hash.trailing_zeros() as u8 + 1)
}

/// A dense register (HLL_DENSE_GET_REGISTER) in `regs` (the bytes after
/// the header).
pub fn dense_get(regs: &[u8], i: usize) -> u8 {
    let byte = i * BITS / 8;
    let fb = (i * BITS) & 7;
    let b0 = at(regs, byte) as u32;
    let b1 = at(regs, byte + 1) as u32;
    (((b0 >> fb) | (b1 << (8 - fb))) & REGISTER_MAX as u32) as u8
}

/// HLL_DENSE_SET_REGISTER.
pub fn dense_set(regs: &mut [u8], i: usize, val: u8) {
    let byte = i * BITS / 8;
    let fb = (i * BITS) & 7;
    let fb8 = 8 - fb;
    let v = val as u32;
    if let Some(b) = regs.get_mut(byte) {
        *b &= !((REGISTER_MAX as u32) << fb) as u8;
        *b |= (v << fb) as u8;
    }
    if let Some(b) = regs.get_mut(byte + 1) {
        *b &= !((REGISTER_MAX as u32) >> fb8) as u8;
        *b |= (v >> fb8) as u8;
    }
}

/// hllDenseSet: raise a register; true if it changed.
fn dense_raise(regs: &mut [u8], i: usize, count: u8) -> bool {
    if count > dense_get(regs, i) {
        dense_set(regs, i, count);
        true
    } else {
        false
    }
}

/// A new, empty HLL: sparse, one XZERO covering every register, its
/// cached cardinality 0 and valid (createHLLObject).
pub fn create() -> Vec<u8> {
    let mut s = vec![0u8; HDR_SIZE];
    s[..4].copy_from_slice(b"HYLL");
    s[4] = SPARSE;
    let mut left = REGISTERS;
    while left > 0 {
        let n = left.min(XZERO_MAX_LEN);
        s.extend_from_slice(&xzero_op(n));
        left -= n;
    }
    s
}

/// isHLLObjectOrReply's checks: the header's magic and encoding, and a
/// dense string's exact length.
pub fn is_valid(s: &[u8]) -> bool {
    s.len() >= HDR_SIZE
        && &s[..4] == b"HYLL"
        && s[4] <= MAX_ENCODING
        && (s[4] != DENSE || s.len() == DENSE_SIZE)
}

pub fn encoding(s: &[u8]) -> u8 {
    s[4]
}

pub fn invalidate_cache(s: &mut [u8]) {
    s[15] |= 0x80;
}

/// The cached cardinality, if valid.
pub fn cached_card(s: &[u8]) -> Option<u64> {
    if s[15] & 0x80 != 0 {
        return None;
    }
    let mut b = [0u8; 8];
    b.copy_from_slice(&s[8..16]);
    Some(u64::from_le_bytes(b))
}

pub fn set_cached_card(s: &mut [u8], card: u64) {
    s[8..16].copy_from_slice(&card.to_le_bytes());
}

/// hllSparseToDense: None when the opcodes do not cover exactly every
/// register. A dense string is returned as it is.
pub fn sparse_to_dense(s: &[u8]) -> Option<Vec<u8>> {
    if s[4] == DENSE {
        return Some(s.to_vec());
    }
    let mut dense = vec![0u8; DENSE_SIZE];
    dense[..HDR_SIZE].copy_from_slice(&s[..HDR_SIZE]);
    dense[4] = DENSE;
    let regs = &mut dense[HDR_SIZE..];
    let mut idx = 0usize;
    let mut p = HDR_SIZE;
    while p < s.len() {
        let b = s[p];
        if is_zero(b) {
            idx += zero_len(b);
            p += 1;
        } else if is_xzero(b) {
            idx += xzero_len(b, at(s, p + 1));
            p += 2;
        } else {
            let runlen = val_len(b);
            let regval = val_value(b);
            if runlen + idx > REGISTERS {
                break;
            }
            for _ in 0..runlen {
                dense_set(regs, idx, regval);
                idx += 1;
            }
            p += 1;
        }
    }
    (idx == REGISTERS).then_some(dense)
}

/// hllSparseSet: raise register `index` to `count` in a sparse HLL,
/// splitting the opcode that covers it and merging equal neighbours, or
/// promoting the whole string to dense when the value or the growth does
/// not fit. 1 if changed, 0 if not, -1 for a corrupt string.
pub fn sparse_set(s: &mut Vec<u8>, index: usize, count: u8, sparse_max_bytes: u64) -> i32 {
    if count > VAL_MAX_VALUE {
        return promote(s, index, count);
    }
    // Redis first makes room for 3 more bytes (plus its terminator) and
    // works in place; `len` is the string's length within that buffer.
    let mut len = s.len();
    s.extend_from_slice(&[0; 4]);
    let r = sparse_set_in(s, &mut len, index, count, sparse_max_bytes);
    s.truncate(len.min(s.len()));
    match r {
        SetResult::Done(v) => v,
        SetResult::Promote => promote(s, index, count),
    }
}

enum SetResult {
    Done(i32),
    Promote,
}

fn promote(s: &mut Vec<u8>, index: usize, count: u8) -> i32 {
    match sparse_to_dense(s) {
        None => -1,
        Some(d) => {
            *s = d;
            dense_raise(&mut s[HDR_SIZE..], index, count);
            1
        }
    }
}

fn sparse_set_in(
    buf: &mut [u8],
    len: &mut usize,
    index: usize,
    count: u8,
    sparse_max_bytes: u64,
) -> SetResult {
    let sparse = HDR_SIZE;
    let mut end = *len;
    // Step 1: the opcode covering `index`.
    let mut p = sparse;
    let mut first = 0usize;
    let mut prev: Option<usize> = None;
    let mut span = 0usize;
    while p < end {
        let b = buf[p];
        let mut oplen = 1;
        if is_zero(b) {
            span = zero_len(b);
        } else if is_val(b) {
            span = val_len(b);
        } else {
            span = xzero_len(b, at(buf, p + 1));
            oplen = 2;
        }
        if index < first + span {
            break;
        }
        prev = Some(p);
        p += oplen;
        first += span;
    }
    if span == 0 || p >= end {
        return SetResult::Done(-1);
    }
    let b = buf[p];
    let next = if is_xzero(b) { p + 2 } else { p + 1 };
    let next = (next < end).then_some(next);
    let (zero, xzero) = (is_zero(b), is_xzero(b));
    let runlen = if zero {
        zero_len(b)
    } else if xzero {
        xzero_len(b, at(buf, p + 1))
    } else {
        val_len(b)
    };

    // Step 2: the trivial cases, updated in place.
    let mut updated = false;
    if !zero && !xzero {
        let oldcount = val_value(b);
        if oldcount >= count {
            return SetResult::Done(0);
        }
        if runlen == 1 {
            buf[p] = val_op(count, 1);
            updated = true;
        }
    }
    if !updated && zero && runlen == 1 {
        buf[p] = val_op(count, 1);
        updated = true;
    }

    if !updated {
        // General case: split the opcode into up to three.
        let mut seq = [0u8; 5];
        let mut n = 0;
        let last = first + span - 1;
        if zero || xzero {
            let zeros = |seq: &mut [u8; 5], n: &mut usize, len: usize| {
                if len > ZERO_MAX_LEN {
                    seq[*n..*n + 2].copy_from_slice(&xzero_op(len));
                    *n += 2;
                } else {
                    seq[*n] = zero_op(len);
                    *n += 1;
                }
            };
            if index != first {
                zeros(&mut seq, &mut n, index - first);
            }
            seq[n] = val_op(count, 1);
            n += 1;
            if index != last {
                zeros(&mut seq, &mut n, last - index);
            }
        } else {
            let curval = val_value(b);
            if index != first {
                seq[n] = val_op(curval, index - first);
                n += 1;
            }
            seq[n] = val_op(count, 1);
            n += 1;
            if index != last {
                seq[n] = val_op(curval, last - index);
                n += 1;
            }
        }
        // Step 3: put the new sequence in place of the old opcode.
        let oldlen = if xzero { 2 } else { 1 };
        let deltalen = n as isize - oldlen as isize;
        if deltalen > 0 && (*len as u64 + deltalen as u64) > sparse_max_bytes {
            return SetResult::Promote;
        }
        if deltalen != 0
            && let Some(nx) = next
        {
            let dst = (nx as isize + deltalen) as usize;
            buf.copy_within(nx..end, dst);
        }
        *len = (*len as isize + deltalen) as usize;
        if let Some(t) = buf.get_mut(*len) {
            *t = 0;
        }
        for (i, v) in seq[..n].iter().enumerate() {
            if let Some(t) = buf.get_mut(p + i) {
                *t = *v;
            }
        }
        end = (end as isize + deltalen) as usize;
    }

    // Step 4: merge adjacent VAL opcodes of equal value, scanning up to
    // five opcodes from the one before.
    let mut p = prev.unwrap_or(sparse);
    let mut scanlen = 5;
    while p < end && scanlen > 0 {
        scanlen -= 1;
        let b = buf[p];
        if is_xzero(b) {
            p += 2;
            continue;
        } else if is_zero(b) {
            p += 1;
            continue;
        }
        if p + 1 < end && is_val(buf[p + 1]) {
            let v1 = val_value(b);
            let v2 = val_value(buf[p + 1]);
            if v1 == v2 {
                let l = val_len(b) + val_len(buf[p + 1]);
                if l <= VAL_MAX_LEN {
                    buf[p + 1] = val_op(v1, l);
                    // memmove(p, p+1, end-p): the terminator comes along.
                    let upto = (end + 1).min(buf.len());
                    buf.copy_within(p + 1..upto, p);
                    *len -= 1;
                    end -= 1;
                    continue;
                }
            }
        }
        p += 1;
    }
    invalidate_cache(&mut buf[..HDR_SIZE]);
    SetResult::Done(1)
}

/// hllAdd: add one element; 1 if a register changed, 0 if not, -1 for a
/// corrupt string.
pub fn add(s: &mut Vec<u8>, ele: &[u8], sparse_max_bytes: u64) -> i32 {
    let (index, count) = pat_len(ele);
    match s[4] {
        DENSE => dense_raise(&mut s[HDR_SIZE..], index, count) as i32,
        SPARSE => sparse_set(s, index, count, sparse_max_bytes),
        _ => -1,
    }
}

/// Raise register `index` to `count` whatever the encoding (PFMERGE's
/// write-back).
pub fn set_register(s: &mut Vec<u8>, index: usize, count: u8, sparse_max_bytes: u64) {
    match s[4] {
        DENSE => {
            dense_raise(&mut s[HDR_SIZE..], index, count);
        }
        SPARSE => {
            sparse_set(s, index, count, sparse_max_bytes);
        }
        _ => {}
    }
}

/// hllMerge: max[i] = MAX(max[i], register i); false for a corrupt sparse
/// string.
pub fn merge(max: &mut [u8; REGISTERS], s: &[u8]) -> bool {
    if s[4] == DENSE {
        let regs = &s[HDR_SIZE..];
        for (i, m) in max.iter_mut().enumerate() {
            let v = dense_get(regs, i);
            if v > *m {
                *m = v;
            }
        }
        return true;
    }
    let mut i = 0usize;
    let mut p = HDR_SIZE;
    while p < s.len() {
        let b = s[p];
        if is_zero(b) {
            i += zero_len(b);
            p += 1;
        } else if is_xzero(b) {
            i += xzero_len(b, at(s, p + 1));
            p += 2;
        } else {
            let runlen = val_len(b);
            let regval = val_value(b);
            if runlen + i > REGISTERS {
                break;
            }
            for m in &mut max[i..i + runlen] {
                if regval > *m {
                    *m = regval;
                }
            }
            i += runlen;
            p += 1;
        }
    }
    i == REGISTERS
}

/// Ertl's sigma (arXiv:1702.01284).
fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let mut y = 1.0;
    let mut z = x;
    loop {
        x *= x;
        let z_prime = z;
        z += x * y;
        y += y;
        if z_prime == z {
            return z;
        }
    }
}

/// Ertl's tau. (C's pow(1-x, 2) is compiled to a multiplication.)
fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let mut y = 1.0;
    let mut z = 1.0 - x;
    loop {
        x = x.sqrt();
        let z_prime = z;
        y *= 0.5;
        z -= (1.0 - x) * (1.0 - x) * y;
        if z_prime == z {
            return z / 3.0;
        }
    }
}

/// The estimate from a register histogram (hllCount's second half).
fn estimate(reghisto: &[i64; 64]) -> u64 {
    let m = REGISTERS as f64;
    let mut z = m * tau((m - reghisto[Q as usize + 1] as f64) / m);
    for j in (1..=Q as usize).rev() {
        z += reghisto[j] as f64;
        z *= 0.5;
    }
    z += m * sigma(reghisto[0] as f64 / m);
    let e = (ALPHA_INF * m * m / z).round();
    // llroundl then a double: out-of-range values are LLONG_MIN in C.
    if (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&e) {
        e as i64 as u64
    } else {
        i64::MIN as u64
    }
}

/// hllCount of an HLL string: (estimate, whether a sparse string's
/// opcodes were invalid).
pub fn count(s: &[u8]) -> (u64, bool) {
    let mut reghisto = [0i64; 64];
    let mut invalid = false;
    if s[4] == DENSE {
        let regs = &s[HDR_SIZE..];
        for i in 0..REGISTERS {
            reghisto[dense_get(regs, i) as usize] += 1;
        }
    } else {
        let mut idx = 0usize;
        let mut p = HDR_SIZE;
        while p < s.len() {
            let b = s[p];
            if is_zero(b) {
                let r = zero_len(b);
                idx += r;
                reghisto[0] += r as i64;
                p += 1;
            } else if is_xzero(b) {
                let r = xzero_len(b, at(s, p + 1));
                idx += r;
                reghisto[0] += r as i64;
                p += 2;
            } else {
                let r = val_len(b);
                idx += r;
                reghisto[val_value(b) as usize] += r as i64;
                p += 1;
            }
        }
        invalid = idx != REGISTERS;
    }
    (estimate(&reghisto), invalid)
}

/// The estimate of raw registers (one byte each: PFCOUNT of several keys).
pub fn count_raw(regs: &[u8; REGISTERS]) -> u64 {
    let mut reghisto = [0i64; 64];
    for r in regs {
        reghisto[(*r & 63) as usize] += 1;
    }
    estimate(&reghisto)
}

/// PFDEBUG DECODE's text of a sparse string's opcodes.
pub fn decode_sparse(s: &[u8]) -> String {
    let mut out = String::new();
    let mut p = HDR_SIZE;
    while p < s.len() {
        let b = s[p];
        if is_zero(b) {
            out.push_str(&format!("z:{} ", zero_len(b)));
            p += 1;
        } else if is_xzero(b) {
            out.push_str(&format!("Z:{} ", xzero_len(b, at(s, p + 1))));
            p += 2;
        } else {
            out.push_str(&format!("v:{},{} ", val_value(b), val_len(b)));
            p += 1;
        }
    }
    out.trim_matches(' ').to_string()
}

/// PFSELFTEST: registers keep what is set without touching their
/// neighbours, and dense and sparse estimates agree and stay within six
/// standard errors up to 10^7 elements. Err(text) on failure.
pub fn selftest(mut rand: impl FnMut() -> u32, sparse_max_bytes: u64) -> Result<(), String> {
    let mut dense = vec![0u8; DENSE_SIZE];
    dense[..4].copy_from_slice(b"HYLL");
    let mut bytecounters = vec![0u8; REGISTERS];
    for _ in 0..1000 {
        for (i, b) in bytecounters.iter_mut().enumerate() {
            let r = (rand() & REGISTER_MAX as u32) as u8;
            *b = r;
            dense_set(&mut dense[HDR_SIZE..], i, r);
        }
        for (i, b) in bytecounters.iter().enumerate() {
            let v = dense_get(&dense[HDR_SIZE..], i);
            if v != *b {
                return Err(format!("TESTFAILED Register {i} should be {b} but is {v}"));
            }
        }
    }
    dense[HDR_SIZE..].fill(0);
    let mut sparse = create();
    let relerr = 1.04 / (REGISTERS as f64).sqrt();
    let mut checkpoint: u64 = 1;
    let seed = rand() as u64 | (rand() as u64) << 32;
    for j in 1..=10_000_000u64 {
        let ele = (j ^ seed).to_le_bytes();
        let (index, cnt) = pat_len(&ele);
        dense_raise(&mut dense[HDR_SIZE..], index, cnt);
        add(&mut sparse, &ele, sparse_max_bytes);
        if j != checkpoint {
            continue;
        }
        if j < sparse_max_bytes / 2 && sparse[4] != SPARSE {
            return Err("TESTFAILED sparse encoding not used".into());
        }
        let card = count(&dense).0;
        if card != count(&sparse).0 {
            return Err("TESTFAILED dense/sparse disagree".into());
        }
        let abserr = (checkpoint as i64 - card as i64).unsigned_abs();
        let maxerr = if j == 10 {
            1
        } else {
            (relerr * 6.0 * checkpoint as f64).ceil() as u64
        };
        if abserr > maxerr {
            return Err(format!(
                "TESTFAILED Too big error. card:{checkpoint} abserr:{abserr}"
            ));
        }
        checkpoint *= 10;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_hll_counts_zero_and_adds_stay_sparse() {
        let mut s = create();
        assert_eq!(s.len(), 18);
        assert_eq!(count(&s), (0, false));
        for i in 0..100u32 {
            add(&mut s, format!("e{i}").as_bytes(), 3000);
        }
        assert_eq!(s[4], SPARSE);
        let (n, bad) = count(&s);
        assert!(!bad && (95..=105).contains(&n), "{n}");
        let d = sparse_to_dense(&s).unwrap();
        assert_eq!(count(&d).0, n);
    }

    #[test]
    fn hostile_bytes_never_panic() {
        let mut seed = 99u64;
        let mut rnd = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as u8
        };
        for len in [16usize, 17, 18, 19, 40, 300] {
            for _ in 0..300 {
                let mut s: Vec<u8> = (0..len).map(|_| rnd()).collect();
                s[..4].copy_from_slice(b"HYLL");
                s[4] = SPARSE;
                let _ = count(&s);
                let mut max = [0u8; REGISTERS];
                let _ = merge(&mut max, &s);
                let _ = sparse_to_dense(&s);
                let _ = decode_sparse(&s);
                for e in 0..20u8 {
                    if add(&mut s, &[e, rnd()], 3000) < 0 {
                        break;
                    }
                }
            }
        }
    }

    proptest::proptest! {
        /// Any bytes after a valid sparse or dense header: every reader and
        /// PFADD refuse or cope, never panic.
        #[test]
        fn arbitrary_hll_bytes(body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400),
                               dense in proptest::prelude::any::<bool>(),
                               eles in proptest::collection::vec(proptest::prelude::any::<u16>(), 0..30)) {
            let mut s = b"HYLL".to_vec();
            s.push(if dense { DENSE } else { SPARSE });
            s.extend_from_slice(&[0; 11]);
            if dense {
                s.extend(body.iter().cycle().take(DENSE_SIZE - HDR_SIZE));
                s.resize(DENSE_SIZE, 0);
            } else {
                s.extend_from_slice(&body);
            }
            if is_valid(&s) {
                let _ = count(&s);
                let mut max = [0u8; REGISTERS];
                let _ = merge(&mut max, &s);
                let _ = sparse_to_dense(&s);
                let _ = decode_sparse(&s);
                for e in eles {
                    if add(&mut s, &e.to_le_bytes(), 3000) < 0 {
                        break;
                    }
                }
            }
        }

        /// A sparse HLL built by adds holds the registers its dense form
        /// holds, and both give the same estimate.
        #[test]
        fn sparse_and_dense_agree(eles in proptest::collection::vec(proptest::prelude::any::<u32>(), 0..600),
                                  max_bytes in 20u64..4000) {
            let mut s = create();
            let mut d = sparse_to_dense(&s).unwrap();
            for e in &eles {
                add(&mut s, &e.to_le_bytes(), max_bytes);
                add(&mut d, &e.to_le_bytes(), max_bytes);
                proptest::prop_assert!(s[4] == DENSE || s.len() as u64 <= max_bytes.max(18));
            }
            let mut a = [0u8; REGISTERS];
            let mut b = [0u8; REGISTERS];
            proptest::prop_assert!(merge(&mut a, &s));
            proptest::prop_assert!(merge(&mut b, &d));
            proptest::prop_assert!(a == b);
            proptest::prop_assert_eq!(count(&s).0, count(&d).0);
            proptest::prop_assert_eq!(count(&s).0, count_raw(&a));
        }
    }
}
