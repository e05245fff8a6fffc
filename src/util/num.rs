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

/// Parse a float as Redis's string2d and getDoubleFromObject do: C's
/// strtod over the whole string, no leading space, no overflow or underflow
/// to zero, no NaN. The server's one float parser (hex floats included).
pub fn string2d(s: &[u8]) -> Option<f64> {
    if s.is_empty() || is_c_space(s[0]) {
        return None;
    }
    let (v, used, erange) = strtod(s);
    if used != s.len() || (erange && (v.is_infinite() || v == 0.0)) || v.is_nan() {
        return None;
    }
    Some(v)
}

fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn starts_with_ci(s: &[u8], p: &[u8]) -> bool {
    s.len() >= p.len() && s[..p.len()].eq_ignore_ascii_case(p)
}

/// `v * 2^e` without overflowing in between.
fn ldexp(mut v: f64, mut e: i64) -> f64 {
    while e > 1000 {
        v *= 2f64.powi(1000);
        e -= 1000;
        if v.is_infinite() {
            return v;
        }
    }
    while e < -1000 {
        v *= 2f64.powi(-1000);
        e += 1000;
        if v == 0.0 {
            return v;
        }
    }
    v * 2f64.powi(e as i32)
}

/// Hex digits after "0x" as strtod reads them: (magnitude, bytes used).
fn parse_hex_float(h: &[u8]) -> Option<(f64, usize)> {
    let hexval = |b: u8| (b as char).to_digit(16).map(|d| d as u64);
    let (mut mant, mut exp, mut any, mut sticky, mut j) = (0u64, 0i64, false, false, 0usize);
    while let Some(d) = h.get(j).and_then(|&b| hexval(b)) {
        any = true;
        if mant >> 56 == 0 {
            mant = mant * 16 + d;
        } else {
            exp += 4;
            sticky |= d != 0;
        }
        j += 1;
    }
    if h.get(j) == Some(&b'.') {
        let mut k = j + 1;
        let mut frac_any = false;
        while let Some(d) = h.get(k).and_then(|&b| hexval(b)) {
            frac_any = true;
            if mant >> 56 == 0 {
                mant = mant * 16 + d;
                exp -= 4;
            } else {
                sticky |= d != 0;
            }
            k += 1;
        }
        if frac_any || any {
            any = any || frac_any;
            j = k;
        }
    }
    if !any {
        return None;
    }
    if matches!(h.get(j), Some(b'p' | b'P')) {
        let mut k = j + 1;
        let neg = match h.get(k) {
            Some(b'-') => {
                k += 1;
                true
            }
            Some(b'+') => {
                k += 1;
                false
            }
            _ => false,
        };
        if h.get(k).is_some_and(|b| b.is_ascii_digit()) {
            let mut e: i64 = 0;
            while let Some(&b) = h.get(k).filter(|b| b.is_ascii_digit()) {
                e = e
                    .saturating_mul(10)
                    .saturating_add((b - b'0') as i64)
                    .min(1 << 40);
                k += 1;
            }
            exp += if neg { -e } else { e };
            j = k;
        }
    }
    Some((ldexp((mant | sticky as u64) as f64, exp), j))
}

/// What C's number readers (strtod, atoll) skip first: blanks, then an
/// optional sign. The index after them and whether the sign was '-'.
pub fn c_space_and_sign(s: &[u8]) -> (usize, bool) {
    let mut i = 0;
    while i < s.len() && is_c_space(s[i]) {
        i += 1;
    }
    match s.get(i) {
        Some(b'-') => (i + 1, true),
        Some(b'+') => (i + 1, false),
        _ => (i, false),
    }
}

/// C's strtod on `s` as a C string (up to its first NUL): the value, the
/// bytes it used (0 when nothing parses), and whether it overflowed or
/// underflowed to zero (ERANGE).
pub fn strtod(s: &[u8]) -> (f64, usize, bool) {
    let s = &s[..s.iter().position(|&b| b == 0).unwrap_or(s.len())];
    let (i, neg) = c_space_and_sign(s);
    let sign = |v: f64| if neg { -v } else { v };
    let rest = &s[i..];
    if starts_with_ci(rest, b"inf") {
        let n = if starts_with_ci(rest, b"infinity") {
            8
        } else {
            3
        };
        return (sign(f64::INFINITY), i + n, false);
    }
    if starts_with_ci(rest, b"nan") {
        let mut n = 3;
        if rest.get(3) == Some(&b'(')
            && let Some(p) = rest[4..]
                .iter()
                .position(|&b| !(b.is_ascii_alphanumeric() || b == b'_'))
            && rest[4 + p] == b')'
        {
            n = 4 + p + 1;
        }
        return (f64::NAN, i + n, false);
    }
    if rest.len() >= 2 && rest[0] == b'0' && (rest[1] | 0x20) == b'x' {
        return match parse_hex_float(&rest[2..]) {
            Some((v, used)) => {
                let v = sign(v);
                (v, i + 2 + used, v.is_infinite())
            }
            None => (sign(0.0), i + 1, false),
        };
    }
    let mut j = 0;
    let mut digits = 0;
    let mut nonzero = false;
    while j < rest.len() && rest[j].is_ascii_digit() {
        nonzero |= rest[j] != b'0';
        j += 1;
        digits += 1;
    }
    if j < rest.len() && rest[j] == b'.' {
        let mut k = j + 1;
        let mut frac = 0;
        while k < rest.len() && rest[k].is_ascii_digit() {
            nonzero |= rest[k] != b'0';
            k += 1;
            frac += 1;
        }
        if digits + frac > 0 {
            j = k;
            digits += frac;
        }
    }
    if digits == 0 {
        return (0.0, 0, false);
    }
    if j < rest.len() && (rest[j] | 0x20) == b'e' {
        let mut k = j + 1;
        if k < rest.len() && (rest[k] == b'+' || rest[k] == b'-') {
            k += 1;
        }
        if k < rest.len() && rest[k].is_ascii_digit() {
            while k < rest.len() && rest[k].is_ascii_digit() {
                k += 1;
            }
            j = k;
        }
    }
    let text = std::str::from_utf8(&rest[..j]).unwrap_or("0");
    let v: f64 = text.parse().unwrap_or(0.0);
    let erange = v.is_infinite() || (v == 0.0 && nonzero);
    (sign(v), i + j, erange)
}

/// Format an integer into a reusable buffer (Redis's `ll2string`).
pub fn ll2string(v: i64) -> String {
    v.to_string()
}

/// Format a double as C's `%.17g`, Redis 7.0's `d2string` for non-integers.
pub fn fmt_g17(v: f64) -> String {
    fmt_g(v, 17)
}

/// Format a double as C's `%.<precision>g` (`%.14g` is Lua's tostring).
pub fn fmt_g(v: f64, precision: usize) -> String {
    let precision = precision.max(1);
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
    // %.Pg: P significant digits, scientific when exp < -4 or exp >= P,
    // trailing zeros removed.
    let sci = format!("{:.*e}", precision - 1, v);
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..precision as i32).contains(&exp) {
        let mant = trim_zeros(mant);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{}e{}{:02}", mant, sign, exp.abs())
    } else {
        let decimals = (precision as i32 - 1 - exp).max(0) as usize;
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

/// ld2string's LD_STR_HUMAN for a double (exact in a long double): 17
/// decimals, trailing zeros and a bare dot dropped, "-0" as "0".
pub fn human_double(v: f64) -> String {
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let mut s = format!("{v:.17}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "-0" {
        s = "0".into();
    }
    s
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
