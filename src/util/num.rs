//! Redis's strict number rules (`string2ll`, `string2ld` in util.c) and its
//! number formatting. Every command that takes a number goes through here, so
//! "value is not an integer or out of range" means the same everywhere.

/// Parse a signed 64-bit integer exactly as Redis's `string2ll`: no spaces,
/// no `+`, no leading zeros, no `-0`, at most 20 characters.
pub fn string2ll(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() >= 21 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (neg, digits) = match s[0] {
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    let first = *digits.first()?;
    if !(b'1'..=b'9').contains(&first) {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    if neg {
        if v > (i64::MAX as u64) + 1 {
            return None;
        }
        Some((v as i64).wrapping_neg())
    } else if v > i64::MAX as u64 {
        None
    } else {
        Some(v as i64)
    }
}

/// Parse a float as Redis's `string2ld`/`strtod` users do: the whole string
/// must be consumed, no leading space, NaN rejected. Accepts what strtod
/// accepts for decimal input (sign, exponent, inf/infinity).
pub fn string2d(s: &[u8]) -> Option<f64> {
    if s.is_empty() || s.len() >= 5 * 1024 {
        return None;
    }
    if s[0].is_ascii_whitespace() {
        return None;
    }
    let text = std::str::from_utf8(s).ok()?;
    // Rust accepts "infinity"/"inf"/"nan" in any case like strtod; strtod
    // also accepts hex floats, which are rare enough to leave out.
    let v: f64 = text.parse().ok()?;
    if v.is_nan() {
        return None;
    }
    Some(v)
}

/// Format an integer into a reusable buffer (Redis's `ll2string`).
pub fn ll2string(v: i64) -> String {
    v.to_string()
}

/// Format a double as C's `%.17g`, Redis 7.0's `d2string` for non-integers.
pub fn fmt_g17(v: f64) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if v == 0.0 {
        return if v.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    // %.17g: 17 significant digits, scientific when exp < -4 or exp >= 17,
    // trailing zeros removed.
    let sci = format!("{:.16e}", v);
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..17).contains(&exp) {
        let mant = trim_zeros(mant);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{}e{}{:02}", mant, sign, exp.abs())
    } else {
        let decimals = (16 - exp).max(0) as usize;
        trim_zeros(&format!("{:.*}", decimals, v)).to_string()
    }
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// Redis's `d2string`: integers in range print without a fraction, the rest
/// as `%.17g`.
pub fn d2string(v: f64) -> String {
    if v.is_finite() && v != 0.0 && v.fract() == 0.0 && v.abs() < 1e17 {
        return (v as i64).to_string();
    }
    fmt_g17(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn string2ll_is_strict() {
        assert_eq!(string2ll(b"0"), Some(0));
        assert_eq!(string2ll(b"-1"), Some(-1));
        assert_eq!(string2ll(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(string2ll(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b""[..],
            b"-",
            b"-0",
            b"01",
            b"+1",
            b" 1",
            b"1 ",
            b"9223372036854775808",
            b"-9223372036854775809",
            b"1a",
            b"00000000000000000000001",
        ] {
            assert_eq!(string2ll(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn g17_matches_c() {
        assert_eq!(fmt_g17(0.1), "0.10000000000000001");
        assert_eq!(fmt_g17(1e300), "1.0000000000000001e+300");
        assert_eq!(fmt_g17(1.5), "1.5");
        assert_eq!(fmt_g17(1e-5), "1.0000000000000001e-05");
        assert_eq!(d2string(3.0), "3");
    }

    proptest! {
        #[test]
        fn string2ll_round_trips(v in any::<i64>()) {
            prop_assert_eq!(string2ll(v.to_string().as_bytes()), Some(v));
        }
        #[test]
        fn string2ll_never_panics(s in proptest::collection::vec(any::<u8>(), 0..30)) {
            let _ = string2ll(&s);
            let _ = string2d(&s);
        }
    }
}
