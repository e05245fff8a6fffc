//! Intsets: sorted arrays of distinct integers, all stored at one width
//! (2, 4 or 8 bytes). Layout: the width as u32 LE, the count as u32 LE, then
//! the elements in ascending order, little-endian.

/// The narrowest width (2, 4 or 8 bytes) that holds every value.
pub fn width_for(values: &[i64]) -> usize {
    let mut w = 2;
    for &v in values {
        if v < i32::MIN as i64 || v > i32::MAX as i64 {
            return 8;
        }
        if v < i16::MIN as i64 || v > i16::MAX as i64 {
            w = 4;
        }
    }
    w
}

/// Encode values at the narrowest width. `values` must be sorted ascending
/// with no duplicates (otherwise the result is not a valid intset), and hold
/// fewer than 2^32 elements.
pub fn encode(values: &[i64]) -> Vec<u8> {
    let w = width_for(values);
    let mut out = Vec::with_capacity(8 + w * values.len());
    out.extend_from_slice(&(w as u32).to_le_bytes());
    out.extend_from_slice(&(values.len() as u32).to_le_bytes());
    for &v in values {
        match w {
            2 => out.extend_from_slice(&(v as i16).to_le_bytes()),
            4 => out.extend_from_slice(&(v as i32).to_le_bytes()),
            _ => out.extend_from_slice(&v.to_le_bytes()),
        }
    }
    out
}

/// Decode and validate an intset: a known width, a size that matches the
/// count exactly, elements strictly ascending. Never panics.
pub fn decode(blob: &[u8]) -> Result<Vec<i64>, String> {
    if blob.len() < 8 {
        return Err(format!("intset too short ({} bytes)", blob.len()));
    }
    let w = u32::from_le_bytes([blob[0], blob[1], blob[2], blob[3]]) as usize;
    let n = u32::from_le_bytes([blob[4], blob[5], blob[6], blob[7]]) as usize;
    if !matches!(w, 2 | 4 | 8) {
        return Err(format!("intset has bad element width {w}"));
    }
    let body = &blob[8..];
    if n.checked_mul(w) != Some(body.len()) {
        return Err(format!(
            "intset says {n} elements of {w} bytes but holds {} bytes",
            body.len()
        ));
    }
    let mut out: Vec<i64> = Vec::with_capacity(n);
    for c in body.chunks_exact(w) {
        let v = match w {
            2 => i16::from_le_bytes([c[0], c[1]]) as i64,
            4 => i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as i64,
            _ => i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]),
        };
        if let Some(&prev) = out.last()
            && v <= prev
        {
            return Err("intset elements are not strictly ascending".into());
        }
        out.push(v);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn widths() {
        assert_eq!(
            encode(&[1, 2, 3]),
            [2, 0, 0, 0, 3, 0, 0, 0, 1, 0, 2, 0, 3, 0]
        );
        assert_eq!(width_for(&[-32768, 32767]), 2);
        assert_eq!(width_for(&[-32769]), 4);
        assert_eq!(width_for(&[70000, -100]), 4);
        assert_eq!(width_for(&[-100, 70000, 5_000_000_000]), 8);
        assert_eq!(width_for(&[]), 2);
        assert_eq!(decode(&encode(&[])).unwrap(), Vec::<i64>::new());
    }

    #[test]
    fn rejects_bad_intsets() {
        assert!(decode(&[3, 0, 0, 0, 0, 0, 0, 0]).is_err());
        assert!(decode(&[2, 0, 0, 0, 2, 0, 0, 0, 1, 0]).is_err());
        assert!(decode(&[2, 0, 0, 0, 2, 0, 0, 0, 2, 0, 1, 0]).is_err());
        assert!(decode(&[2, 0, 0, 0, 2, 0, 0, 0, 1, 0, 1, 0]).is_err());
        assert!(decode(&[8, 0, 0, 0, 255, 255, 255, 255]).is_err());
    }

    proptest! {
        #[test]
        fn round_trip(mut v in proptest::collection::vec(any::<i64>(), 0..50), small in proptest::collection::vec(-40000i64..40000, 0..50), pick in any::<bool>()) {
            let mut v = if pick { small } else { std::mem::take(&mut v) };
            v.sort_unstable();
            v.dedup();
            prop_assert_eq!(decode(&encode(&v)).unwrap(), v);
        }
    }
}
