//! A software x87 80-bit `long double`, just enough for INCRBYFLOAT and
//! HINCRBYFLOAT.
//!
//! Redis keeps those counters as strings and does the arithmetic in C
//! `long double`, which on x86-64 is the x87 extended format: a sign, a 15-bit
//! exponent and a 64-bit mantissa with an explicit integer bit. It parses with
//! `strtold` (through `string2ld`), adds with the FPU at its default 64-bit
//! precision, and prints with `"%.17Lf"` before trimming zeros (`ld2string` in
//! `LD_STR_HUMAN` mode). The 11 extra mantissa bits over `f64` are visible to
//! clients: 0.1 + 0.2 prints as `0.3` (an `f64` would show
//! `0.30000000000000004`), and `1e300` prints all 301 integer digits of its
//! 64-bit-mantissa approximation. Rust has no `f80`, so this
//! module does all three steps in software: correctly rounded decimal and hex
//! parsing, round-to-nearest-even addition, and exact decimal printing, using
//! a small arbitrary-precision integer for the cases that need it.

use std::cmp::Ordering;

/// An x87 80-bit extended-precision value (sign, 15-bit exponent, 64-bit
/// mantissa with explicit integer bit).
///
/// Only canonical encodings are ever built: zero, subnormals (`exp == 0`,
/// integer bit clear), normals (integer bit set), infinities and NaNs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LongDouble {
    neg: bool,
    /// Biased exponent, `0..=0x7fff`.
    exp: u16,
    mant: u64,
}

/// Exponent bias of the x87 extended format.
const BIAS: i64 = 16383;
/// Exponent field of infinities and NaNs.
const EXP_SPECIAL: u16 = 0x7fff;
const INT_BIT: u64 = 1 << 63;
/// Weight of the mantissa's lowest bit for subnormals and the smallest
/// normals: the smallest positive value is 2^-16445.
const MIN_LSB: i64 = 1 - BIAS - 63;
/// Redis's `MAX_LONG_DOUBLE_CHARS`: `string2ld` refuses inputs this long.
const MAX_INPUT: usize = 5 * 1024;

impl LongDouble {
    const fn zero(neg: bool) -> LongDouble {
        LongDouble {
            neg,
            exp: 0,
            mant: 0,
        }
    }

    const fn infinity(neg: bool) -> LongDouble {
        LongDouble {
            neg,
            exp: EXP_SPECIAL,
            mant: INT_BIT,
        }
    }

    /// The "real indefinite" NaN the FPU produces for `inf + -inf`.
    const DEFAULT_NAN: LongDouble = LongDouble {
        neg: true,
        exp: EXP_SPECIAL,
        mant: 0xC000_0000_0000_0000,
    };

    /// Parse like Redis's `string2ld`: `strtold` semantics on the whole
    /// input. `None` when the input is empty, 5120 bytes or longer, starts
    /// with whitespace, is not a number in full, is NaN, or is finite-looking
    /// but overflows to infinity or underflows to zero (`ERANGE`). Accepts an
    /// optional sign, then decimal digits with an optional `.` and exponent,
    /// hex floats (`0x1.8p3`, exponent optional), or `inf`/`infinity` in any
    /// case. The result is correctly rounded, ties to even, like glibc's.
    pub fn parse(s: &[u8]) -> Option<LongDouble> {
        if s.is_empty() || s.len() >= MAX_INPUT {
            return None;
        }
        // strtold would skip leading whitespace, but string2ld rejects it, so
        // whitespace is simply never accepted here.
        let (neg, body) = match s[0] {
            b'-' => (true, &s[1..]),
            b'+' => (false, &s[1..]),
            _ => (false, s),
        };
        if body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity") {
            return Some(LongDouble::infinity(neg));
        }
        // "nan" and "nan(chars)" parse to NaN, which string2ld rejects; they
        // fall through to the decimal parser and fail there.
        if body.len() > 2 && body[0] == b'0' && (body[1] | 0x20) == b'x' {
            // With no hex digit after "0x", strtold stops after the "0" and
            // the leftover "x..." makes string2ld fail: parse_hex says None.
            return parse_hex(neg, &body[2..]);
        }
        parse_decimal(neg, body)
    }

    /// The exact value of `v`.
    pub fn from_i64(v: i64) -> LongDouble {
        if v == 0 {
            return LongDouble::zero(false);
        }
        let mag = v.unsigned_abs();
        let shift = mag.leading_zeros();
        // value = mant * 2^-shift, so the lowest bit weighs 2^-shift.
        LongDouble {
            neg: v < 0,
            exp: (-(shift as i64) - MIN_LSB + 1) as u16,
            mant: mag << shift,
        }
    }

    /// `self + other` as the x87 FPU computes it with its default control
    /// word: round to nearest, ties to even, at 64 bits of mantissa.
    #[allow(clippy::should_implement_trait)] // named after the C operation it stands for
    pub fn add(self, other: LongDouble) -> LongDouble {
        if self.is_nan() || other.is_nan() {
            // The FPU returns the NaN operand (the one with the larger
            // mantissa if both are), made quiet.
            let nan = match (self.is_nan(), other.is_nan()) {
                (true, true) if other.mant > self.mant => other,
                (true, _) => self,
                _ => other,
            };
            return LongDouble {
                mant: nan.mant | (1 << 62),
                ..nan
            };
        }
        if self.is_infinite() {
            if other.is_infinite() && other.neg != self.neg {
                return LongDouble::DEFAULT_NAN;
            }
            return self;
        }
        if other.is_infinite() {
            return other;
        }
        if self.mant == 0 && other.mant == 0 {
            // -0 + -0 is -0; any other mix of zeros is +0.
            return LongDouble::zero(self.neg && other.neg);
        }

        // Work on u128 with the operand of larger scale, `a`, shifted up by
        // 63 guard bits so the sum cannot overflow. Bits of `b` shifted out
        // below that are folded into its lowest bit ("sticky"): that only
        // happens when a is at least 2^63 times larger than b, so the result
        // still has 126+ bits and the folded bit lies well below the
        // rounding position, where it breaks ties exactly as the lost bits
        // would have.
        let (a, b) = if self.lsb() >= other.lsb() {
            (self, other)
        } else {
            (other, self)
        };
        let shift = (a.lsb() - b.lsb()) as u32;
        let wide_a = (a.mant as u128) << 63;
        let full_b = (b.mant as u128) << 63;
        let wide_b = if shift >= 128 {
            (b.mant != 0) as u128
        } else {
            let lost = shift > 0 && full_b & ((1u128 << shift) - 1) != 0;
            (full_b >> shift) | lost as u128
        };
        let (neg, sum) = if a.neg == b.neg {
            (a.neg, wide_a + wide_b)
        } else if wide_a >= wide_b {
            (a.neg, wide_a - wide_b)
        } else {
            (b.neg, wide_b - wide_a)
        };
        if sum == 0 {
            // Exact cancellation gives +0 when rounding to nearest.
            return LongDouble::zero(false);
        }
        round_pack(neg, &Big::from_u128(sum), a.lsb() - 63, false).value
    }

    /// False for infinities and NaNs.
    pub fn is_finite(&self) -> bool {
        self.exp != EXP_SPECIAL
    }

    fn is_infinite(&self) -> bool {
        self.exp == EXP_SPECIAL && self.mant == INT_BIT
    }

    fn is_nan(&self) -> bool {
        self.exp == EXP_SPECIAL && self.mant != INT_BIT
    }

    /// The weight of the mantissa's lowest bit: the value is `mant * 2^lsb`.
    fn lsb(&self) -> i64 {
        if self.exp == 0 {
            MIN_LSB
        } else {
            self.exp as i64 + MIN_LSB - 1
        }
    }

    /// Redis's `ld2string(value, LD_STR_HUMAN)`: `"%.17Lf"`, then trailing
    /// zeros and a trailing `.` removed, and `-0` turned into `0`. Infinities
    /// print as `inf`/`-inf` and NaNs as glibc does (`nan`/`-nan`). The
    /// digits are exact: correctly rounded, ties to even, as glibc prints.
    pub fn to_human_string(&self) -> String {
        if self.is_nan() {
            return if self.neg { "-nan" } else { "nan" }.to_string();
        }
        if self.is_infinite() {
            return if self.neg { "-inf" } else { "inf" }.to_string();
        }
        let mut out = String::new();
        if self.neg {
            out.push('-');
        }
        out.push_str(&self.fixed17());
        // fixed17 always has a '.', so trimming zeros never touches the
        // integer part.
        let trimmed = out.trim_end_matches('0').trim_end_matches('.').len();
        out.truncate(trimmed);
        if out == "-0" {
            out.remove(0);
        }
        out
    }

    /// The magnitude printed as `"%.17Lf"`.
    fn fixed17(&self) -> String {
        const SCALE: u128 = 100_000_000_000_000_000; // 10^17
        let lsb = self.lsb();
        if lsb >= 0 {
            // An integer, possibly thousands of digits long.
            let int = Big::from_u128(self.mant as u128).shl(lsb as u64);
            return format!("{}.00000000000000000", int.to_decimal());
        }
        // value * 10^17 = mant * 10^17 / 2^shift; the numerator is below
        // 2^121, so from a shift of 122 on the result rounds to zero.
        let shift = (-lsb) as u32;
        let scaled = if shift >= 122 {
            0
        } else {
            let x = self.mant as u128 * SCALE;
            let q = x >> shift;
            let rem = x & ((1u128 << shift) - 1);
            let half = 1u128 << (shift - 1);
            if rem > half || (rem == half && q & 1 == 1) {
                q + 1
            } else {
                q
            }
        };
        format!("{}.{:017}", scaled / SCALE, scaled % SCALE)
    }
}

/// Decimal input after the sign: digits with an optional '.', at least one
/// digit, then an optional exponent.
fn parse_decimal(neg: bool, s: &[u8]) -> Option<LongDouble> {
    // Significant digits (leading zeros dropped) and the power of ten they
    // are scaled by: value = digits * 10^exp10.
    let mut digits: Vec<u8> = Vec::new();
    let mut exp10: i64 = 0;
    let mut seen_digit = false;
    let mut seen_point = false;
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            c @ b'0'..=b'9' => {
                seen_digit = true;
                if !(digits.is_empty() && c == b'0') {
                    digits.push(c - b'0');
                }
                if seen_point {
                    exp10 -= 1;
                }
            }
            b'.' if !seen_point => seen_point = true,
            _ => break,
        }
        i += 1;
    }
    if !seen_digit {
        return None;
    }
    if i < s.len() {
        if s[i] | 0x20 != b'e' {
            return None;
        }
        exp10 += parse_exponent(&s[i + 1..])?;
    }
    while digits.last() == Some(&0) {
        digits.pop();
        exp10 += 1;
    }
    if digits.is_empty() {
        // Zero stays (signed) zero whatever the exponent: no ERANGE.
        return Some(LongDouble::zero(neg));
    }
    // The value lies in [10^(nd+exp10-1), 10^(nd+exp10)). The largest finite
    // value is about 1.19e4932 and half the smallest subnormal about
    // 1.82e-4951, so outside this window the answer is known without
    // building huge numbers.
    let nd = digits.len() as i64;
    if nd + exp10 > 4933 || nd + exp10 <= -4952 {
        return None;
    }
    let mut num = Big::from_digits(&digits, 10);
    let mut den = Big::from_u128(1);
    if exp10 >= 0 {
        num.mul_pow10(exp10 as u64);
    } else {
        den.mul_pow10((-exp10) as u64);
    }
    // Scale so that the quotient num * 2^t / den lands in (2^65, 2^67): at
    // least two bits beyond the 64 kept, plus the remainder as sticky bit.
    let t = 66 - (num.bit_len() as i64 - den.bit_len() as i64);
    if t >= 0 {
        num = num.shl(t as u64);
    } else {
        den = den.shl((-t) as u64);
    }
    let (quotient, inexact) = divide_small_quotient(num, &den, 67);
    finish_parse(round_pack(neg, &Big::from_u128(quotient), -t, inexact))
}

/// Hex input after the sign and "0x": hex digits with an optional '.', at
/// least one digit, then an optional binary exponent `p[+-]digits`.
fn parse_hex(neg: bool, s: &[u8]) -> Option<LongDouble> {
    let mut digits: Vec<u8> = Vec::new();
    let mut exp2: i64 = 0;
    let mut seen_digit = false;
    let mut seen_point = false;
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            c if c.is_ascii_hexdigit() => {
                seen_digit = true;
                digits.push((c as char).to_digit(16).unwrap_or(0) as u8);
                if seen_point {
                    exp2 -= 4;
                }
            }
            b'.' if !seen_point => seen_point = true,
            _ => break,
        }
        i += 1;
    }
    if !seen_digit {
        return None;
    }
    if i < s.len() {
        if s[i] | 0x20 != b'p' {
            return None;
        }
        exp2 += parse_exponent(&s[i + 1..])?;
    }
    let num = Big::from_digits(&digits, 16);
    if num.is_zero() {
        return Some(LongDouble::zero(neg));
    }
    finish_parse(round_pack(neg, &num, exp2, false))
}

/// An exponent `[+-]digits` that must span the rest of the input. Huge
/// values saturate: anything past a billion already over- or underflows.
fn parse_exponent(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut e: i64 = 0;
    for &c in digits {
        e = (e * 10 + (c - b'0') as i64).min(1_000_000_000);
    }
    Some(if neg { -e } else { e })
}

/// string2ld's range check: overflow to infinity and underflow to zero are
/// errors, a subnormal result is fine.
fn finish_parse(r: Rounded) -> Option<LongDouble> {
    if r.overflow || r.underflow_to_zero {
        None
    } else {
        Some(r.value)
    }
}

struct Rounded {
    value: LongDouble,
    overflow: bool,
    underflow_to_zero: bool,
}

/// Round `num * 2^exp2` (plus a little more if `sticky`: the caller dropped
/// nonzero bits below `num`'s lowest one) to the nearest extended value,
/// ties to even. `num` must be nonzero, and when `sticky` is set `num` must
/// carry at least two bits beyond the 64 kept, so the dropped bits sit below
/// the rounding bit.
fn round_pack(neg: bool, num: &Big, exp2: i64, sticky: bool) -> Rounded {
    let len = num.bit_len() as i64;
    let top = len - 1 + exp2; // num * 2^exp2 lies in [2^top, 2^(top+1))
    let overflow = Rounded {
        value: LongDouble::infinity(neg),
        overflow: true,
        underflow_to_zero: false,
    };
    let underflow = Rounded {
        value: LongDouble::zero(neg),
        overflow: false,
        underflow_to_zero: true,
    };
    if top >= 16384 {
        return overflow;
    }
    if top < MIN_LSB - 1 {
        // Below half the smallest subnormal.
        return underflow;
    }
    // Keep 64 bits, or fewer when the result is subnormal.
    let mut lsb = (top - 63).max(MIN_LSB);
    let drop = lsb - exp2;
    let (mut mant, round_bit, rest) = if drop <= 0 {
        debug_assert!(!sticky);
        (num.low_u64() << (-drop) as u32, false, false)
    } else {
        let drop = drop as u64;
        (
            num.bits_u64(drop),
            num.bit(drop - 1),
            sticky || num.any_below(drop - 1),
        )
    };
    if round_bit && (rest || mant & 1 == 1) {
        mant = mant.wrapping_add(1);
        if mant == 0 {
            // Carried out of the mantissa: 2^64 * 2^lsb = 2^63 * 2^(lsb+1).
            mant = INT_BIT;
            lsb += 1;
        }
    }
    if mant == 0 {
        return underflow;
    }
    // A set integer bit means normal (a subnormal that rounded up to 2^63
    // becomes the smallest normal); otherwise lsb is MIN_LSB: subnormal.
    let exp = if mant & INT_BIT != 0 {
        lsb - MIN_LSB + 1
    } else {
        0
    };
    if exp >= EXP_SPECIAL as i64 {
        return overflow;
    }
    Rounded {
        value: LongDouble {
            neg,
            exp: exp as u16,
            mant,
        },
        overflow: false,
        underflow_to_zero: false,
    }
}

/// `num / den` for a quotient known to be below `2^bits` (`bits <= 128`),
/// by binary long division; also whether the remainder is nonzero.
fn divide_small_quotient(mut num: Big, den: &Big, bits: u32) -> (u128, bool) {
    let mut d = den.shl(bits as u64 - 1);
    let mut q: u128 = 0;
    for i in (0..bits).rev() {
        if num.cmp(&d) != Ordering::Less {
            num.sub_assign(&d);
            q |= 1 << i;
        }
        d.shr1();
    }
    (q, !num.is_zero())
}

/// A minimal unsigned big integer: little-endian 32-bit limbs, no high zero
/// limbs (zero is the empty vector).
#[derive(Clone, Debug)]
struct Big(Vec<u32>);

impl Big {
    fn from_u128(mut v: u128) -> Big {
        let mut limbs = Vec::new();
        while v != 0 {
            limbs.push(v as u32);
            v >>= 32;
        }
        Big(limbs)
    }

    /// From digit values in base 10 or 16, most significant first.
    fn from_digits(digits: &[u8], radix: u32) -> Big {
        // Take as many digits at a time as fit in a limb.
        let per_limb = if radix == 16 { 7 } else { 9 };
        let mut n = Big(Vec::new());
        for chunk in digits.chunks(per_limb) {
            let v = chunk.iter().fold(0u32, |acc, &d| acc * radix + d as u32);
            n.mul_add_small(radix.pow(chunk.len() as u32), v);
        }
        n
    }

    fn is_zero(&self) -> bool {
        self.0.is_empty()
    }

    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }

    /// self = self * m + a
    fn mul_add_small(&mut self, m: u32, a: u32) {
        let mut carry = a as u64;
        for limb in &mut self.0 {
            let v = *limb as u64 * m as u64 + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry != 0 {
            self.0.push(carry as u32);
        }
        self.trim();
    }

    fn mul_pow10(&mut self, mut n: u64) {
        while n >= 9 {
            self.mul_add_small(1_000_000_000, 0);
            n -= 9;
        }
        self.mul_add_small(10u32.pow(n as u32), 0);
    }

    fn bit_len(&self) -> u64 {
        match self.0.last() {
            None => 0,
            Some(&top) => self.0.len() as u64 * 32 - top.leading_zeros() as u64,
        }
    }

    fn bit(&self, i: u64) -> bool {
        let limb = (i / 32) as usize;
        limb < self.0.len() && (self.0[limb] >> (i % 32)) & 1 == 1
    }

    /// Whether any bit below position `i` is set.
    fn any_below(&self, i: u64) -> bool {
        let full = ((i / 32) as usize).min(self.0.len());
        if self.0[..full].iter().any(|&l| l != 0) {
            return true;
        }
        let part = (i % 32) as u32;
        full < self.0.len() && part > 0 && self.0[full] & ((1u32 << part) - 1) != 0
    }

    /// Bits `[from, from + 64)`.
    fn bits_u64(&self, from: u64) -> u64 {
        (0..64)
            .filter(|&k| self.bit(from + k))
            .fold(0, |acc, k| acc | 1 << k)
    }

    fn low_u64(&self) -> u64 {
        self.bits_u64(0)
    }

    fn shl(&self, bits: u64) -> Big {
        if self.is_zero() {
            return Big(Vec::new());
        }
        let (limbs, part) = ((bits / 32) as usize, (bits % 32) as u32);
        let mut out = vec![0u32; limbs];
        out.reserve(self.0.len() + 1);
        let mut carry = 0u32;
        for &l in &self.0 {
            if part == 0 {
                out.push(l);
            } else {
                out.push((l << part) | carry);
                carry = l >> (32 - part);
            }
        }
        out.push(carry);
        let mut n = Big(out);
        n.trim();
        n
    }

    fn shr1(&mut self) {
        let mut carry = 0u32;
        for limb in self.0.iter_mut().rev() {
            let next = *limb << 31;
            *limb = (*limb >> 1) | carry;
            carry = next;
        }
        self.trim();
    }

    fn cmp(&self, other: &Big) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.iter().rev().cmp(other.0.iter().rev()))
    }

    /// self -= other; requires self >= other.
    fn sub_assign(&mut self, other: &Big) {
        let mut borrow = 0i64;
        for (i, limb) in self.0.iter_mut().enumerate() {
            let v = *limb as i64 - other.0.get(i).copied().unwrap_or(0) as i64 - borrow;
            borrow = (v < 0) as i64;
            *limb = v.rem_euclid(1 << 32) as u32;
        }
        debug_assert_eq!(borrow, 0);
        self.trim();
    }

    /// self /= d, returning the remainder.
    fn div_rem_small(&mut self, d: u32) -> u32 {
        let mut rem = 0u64;
        for limb in self.0.iter_mut().rev() {
            let cur = (rem << 32) | *limb as u64;
            *limb = (cur / d as u64) as u32;
            rem = cur % d as u64;
        }
        self.trim();
        rem as u32
    }

    fn to_decimal(&self) -> String {
        let mut n = self.clone();
        let mut chunks = Vec::new(); // base 10^9, least significant first
        while !n.is_zero() {
            chunks.push(n.div_rem_small(1_000_000_000));
        }
        let mut out = match chunks.pop() {
            None => return "0".to_string(),
            Some(top) => top.to_string(),
        };
        for c in chunks.iter().rev() {
            out.push_str(&format!("{c:09}"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ld(s: &str) -> LongDouble {
        LongDouble::parse(s.as_bytes()).unwrap_or_else(|| panic!("{s:?} should parse"))
    }

    fn from_bits(hex: &str) -> LongDouble {
        let se = u16::from_str_radix(&hex[..4], 16).unwrap();
        let mant = u64::from_str_radix(&hex[4..], 16).unwrap();
        LongDouble {
            neg: se >> 15 == 1,
            exp: se & 0x7fff,
            mant,
        }
    }

    /// Generated with glibc on x86-64 (`strtold`, a volatile `long double`
    /// sum, `snprintf("%.17Lf")` and Redis's trimming), one case a line:
    ///   P input  bits human   parse (ERR: string2ld fails)
    ///   A a b    bits human   parse(a) + parse(b)
    ///   I a n    bits human   parse(a) + (long double)n
    /// bits: 4 hex digits of sign and exponent, 16 of mantissa.
    const GLIBC: &str = r"
P 0.1 3ffbcccccccccccccccd 0.1
P 0.2 3ffccccccccccccccccd 0.2
P 0.3 3ffd999999999999999a 0.3
P 10.5 4002a800000000000000 10.5
P 3.0e3 400abb80000000000000 3000
P 5.0e3 400b9c40000000000000 5000
P -1e-300 bc1aab70fe17c79ac6ca 0
P 5.0e-4950 0000000000000000000e 0
P -0 80000000000000000000 0
P 0 00000000000000000000 0
P +0 00000000000000000000 0
P -0.0 80000000000000000000 0
P 0.0 00000000000000000000 0
P 00000 00000000000000000000 0
P 000.000e5 00000000000000000000 0
P 0e99999999999999999 00000000000000000000 0
P 1 3fff8000000000000000 1
P -1 bfff8000000000000000 -1
P +1 3fff8000000000000000 1
P 1. 3fff8000000000000000 1
P .5 3ffe8000000000000000 0.5
P -.5 bffe8000000000000000 -0.5
P +.5e1 4001a000000000000000 5
P 1e0 3fff8000000000000000 1
P 1E0 3fff8000000000000000 1
P 1e+0 3fff8000000000000000 1
P 1e-0 3fff8000000000000000 1
P 1.5e+3 4009bb80000000000000 1500
P 1.5E-3 3ff5c49ba5e353f7ced9 0.0015
P 123456789012345678901234567890 405fc77487fb61b9f077 123456789012345678899921813504
P 0.000000000000000000000000001 3fa59e74d1b791e07e48 0
P 9223372036854775807 403dfffffffffffffffe 9223372036854775807
P 9223372036854775808 403e8000000000000000 9223372036854775808
P -9223372036854775808 c03e8000000000000000 -9223372036854775808
P -9223372036854775809 c03e8000000000000001 -9223372036854775809
P 18446744073709551615 403effffffffffffffff 18446744073709551615
P 18446744073709551616 403f8000000000000000 18446744073709551616
P 18446744073709551617 403f8000000000000000 18446744073709551616
P 18446744073709551618 403f8000000000000001 18446744073709551618
P 18446744073709551619 403f8000000000000002 18446744073709551620
P 36893488147419103233 40408000000000000000 36893488147419103232
P 36893488147419103235 40408000000000000001 36893488147419103236
P inf 7fff8000000000000000 inf
P -inf ffff8000000000000000 -inf
P +inf 7fff8000000000000000 inf
P INF 7fff8000000000000000 inf
P Inf 7fff8000000000000000 inf
P infinity 7fff8000000000000000 inf
P INFINITY 7fff8000000000000000 inf
P -Infinity ffff8000000000000000 -inf
P infin ERR
P infinit ERR
P infinityy ERR
P in ERR
P i ERR
P nan ERR
P NaN ERR
P -nan ERR
P nan(123) ERR
P nan() ERR
P nanx ERR
P 1.19e4932 ERR
P 1.2e4932 ERR
P -1.2e4932 ERR
P 1e4933 ERR
P 1e5000 ERR
P 1e99999999999 ERR
P -1e99999999999 ERR
P 1e-4950 00000000000000000003 0
P 1e-4951 ERR
P 2e-4951 00000000000000000001 0
P 1.8e-4951 ERR
P 1.9e-4951 00000000000000000001 0
P 3.6e-4951 00000000000000000001 0
P 3.7e-4951 00000000000000000001 0
P 1e-4952 ERR
P 1e-5000 ERR
P 1e-99999999999 ERR
P -1e-5000 ERR
P 4e-4951 00000000000000000001 0
P 3.64519953188247460253e-4951 00000000000000000001 0
P 1.82259976594123730126e-4951 ERR
P 1.82259976594123730127e-4951 00000000000000000001 0
P 1.8225997659412373012e-4951 ERR
P 3.36210314311209350626e-4932 00018000000000000000 0
P 3.3621031431120935062e-4932 00018000000000000000 0
P 3.3621031431120935063e-4932 00018000000000000000 0
P 0x1p3 40028000000000000000 8
P 0X1P3 40028000000000000000 8
P 0x1.8p1 4000c000000000000000 3
P -0x1p-2 bffd8000000000000000 -0.25
P 0x.8 3ffe8000000000000000 0.5
P 0x1. 3fff8000000000000000 1
P 0x1 3fff8000000000000000 1
P 0xff 4006ff00000000000000 255
P 0xFFp-4 4002ff00000000000000 15.9375
P 0x1p ERR
P 0x1p+ ERR
P 0x ERR
P 0xg ERR
P 0x.p1 ERR
P 0x1.fffffffffffffffffp0 40008000000000000000 2
P 0x1p16384 ERR
P 0x1p-16445 00000000000000000001 0
P 0x1p-16446 ERR
P 0x1.000001p-16446 00000000000000000001 0
P 0x3p-16447 00000000000000000001 0
P 0x1p-16382 00018000000000000000 0
P 0x0p99999 00000000000000000000 0
P 0x1p99999999999 ERR
P 0x1p-99999999999 ERR
P 0x1e3 4007f180000000000000 483
P 0x1.8 3fffc000000000000000 1.5
P 0x10000000000000001 403f8000000000000000 18446744073709551616
P 0x10000000000000003 403f8000000000000002 18446744073709551620
P 0x1.ffffffffffffffff8p0 40008000000000000000 2
P 0x1.ffffffffffffffff7p0 40008000000000000000 2
P 0x1.fffffffffffffffe8p0 3fffffffffffffffffff 2
P 0x8000000000000000p-16508 00000000000000000001 0
P . ERR
P .e5 ERR
P e5 ERR
P - ERR
P + ERR
P +- ERR
P -+1 ERR
P --1 ERR
P ++1 ERR
P 1e ERR
P 1e+ ERR
P 1e- ERR
P 1e+-1 ERR
P 1.2.3 ERR
P 1..2 ERR
P 1,5 ERR
P 0x1p3.5 ERR
P 1f ERR
P 1d ERR
P 1L ERR
P 12abc ERR
P 1e5x ERR
P 1_000 ERR
P 0b101 ERR
P 1e1.5 ERR
P 3.14159265358979323846264338327950288 4000c90fdaa22168c235 3.14159265358979324
P 2.71828182845904523536 4000adf85458a2bb4a9b 2.71828182845904524
P 1.41421356237309504880 3fffb504f333f9de6484 1.41421356237309505
P 0.30000000000000000001 3ffd999999999999999a 0.3
P 1.00000000000000000005 3fff8000000000000000 1
P 1.000000000000000000054210108624275221700372640043497085571289062 3fff8000000000000000 1
P 1.0000000000000000000542101086242752217003726400434970855712890625 3fff8000000000000000 1
P 1.0000000000000000000542101086242752217003726400434970855712890626 3fff8000000000000001 1
P 1.0000000000000000000542101086242752217003726400434970855712890624 3fff8000000000000000 1
P 0.000003814697265625 3fed8000000000000000 0.00000381469726562
P 0.000011444091796875 3feec000000000000000 0.00001144409179688
P 0.000019073486328125 3fefa000000000000000 0.00001907348632812
P -0.000003814697265625 bfed8000000000000000 -0.00000381469726562
P 0.00000000000000000499 3fc5b81937ae045babbc 0
P 0.000000000000000005 3fc5b877aa3236a4b449 0
P 0.000000000000000005000000001 3fc5b877aa32d5198601 0.00000000000000001
P 0.000000000000000015 3fc78a59bfa5a8fb8737 0.00000000000000002
P 0.000000000000000025 3fc7e69594bec44de15b 0.00000000000000002
P 99999999999999999.999999999999999995 4037b1a2bc2ec5000000 100000000000000000
P 0.99999999999999999995 3ffeffffffffffffffff 1
P 123.456 4005f6e978d4fdf3b646 123.456
P 1e10 40209502f90000000000 10000000000
P 1e17 4037b1a2bc2ec5000000 100000000000000000
P 1e18 403ade0b6b3a76400000 1000000000000000000
P 1e19 403e8ac7230489e80000 10000000000000000000
P 1e20 4041ad78ebc5ac620000 100000000000000000000
P 1e25 405284595161401484a0 10000000000000000000000000
P 1e30 4062c9f2c9cd04674edf 1000000000000000000024696061952
P 1e50 40a588d8762bf324cd10 100000000000000000003583830118858923890798487404544
P 1e100 414b924d692ca61be758 9999999999999999999669353532207342619498699019828496079271391541752018669482644324418977840117055488
P 1.5e-10 3fdea4ed3f1b0e72604f 0.00000000015
P 1e-17 3fc6b877aa3236a4b449 0.00000000000000001
P 1e-18 3fc39392ee8e921d5d07 0
P 1e-20 3fbcbce5086492111aeb 0
P 1e-300 3c1aab70fe17c79ac6ca 0
P 1e-1000 3305868a9188a89e1467 0
P 1e-4000 0c179c3d73864f3805c0 0
P 1e300 43e3bf21e44003acdd2d 1000000000000000000008997324079559193870523944273290747938260082321265646596180935755849152083750497190350372508614274835903592556184672983913096260520748646287327135641843653294084255107606016789726652932370030551382947620994540294772781889620606179267611627097410650567187386105690089424915104006144
P 6814.4042496850533658925286317753489129245281219482421875 400bd4f33be74245c7b2 6814.40424968505336611
P 498597990091.52218E-4948 000000007c670f8dab03 0
P 0.671825749386016468633897602558135986328125 3ffeabfcc5b639400000 0.67182574938601647
P -5289579786933717.74302324468631E-4927 804488762a32c42537db 0
P 72503.5442393E-30 3fabb38294a7e40fd082 0
P 84535623188.3E14 4051dfc391029664f20d 8453562318830000000204800
P 136917201595449884.453125 4037f336bc165e610e3a 136917201595449884.453125
P -8338.179224868958916365624992690776972567 c00c8248b786b95b3bd5 -8338.17922486895891598
P 26639245010529404933 403fb8d8ce192099e402 26639245010529404932
P 38148761224.086765 40228e1d7e68816363b2 38148761224.08676499873399734
P .583E+4933 ERR
P 3531739449.624047844303289680713109398424e-4967 ERR
P 0.010955068368040626289541968584051456758743370301090180873870849609375 3ff8b37ce3176f784a06 0.01095506836804063
P -113329.288776397705078125 c00fdd58a4f6a0000000 -113329.28877639770507812
P 25718.170 400dc8ec570a3d70a3d7 25718.16999999999999993
P 378445.168692e+29 4071e93c1ea2b46c8108 37844516869199999999321901671383040
P 30348256. 4017e789f00000000000 30348256
P -15.38721487876017590679111890494823455810546875 c002f632083a8ccb0000 -15.38721487876017591
P 1634414120331731075.901310466290996306389E-4935 0031dd10cdf258999e66 0
P -41.226 c004a4e76c8b43958106 -41.226
P 76400.9161043797839 400f95387542e8877276 76400.9161043797839028
P 7.6 4001f333333333333333 7.6
P -0.826591799917545275340480248615904201869852840900421142578125 bffed39b852bc9a247d0 -0.82659179991754528
P 4455674.3718792362 401587f9f4be66f48b15 4455674.37187923620012953
P 2707565145.54138033325E-4946 00000000438e176043a8 0
P 1511605199256.3356129E+22 4070ba51d98ea5e2dc41 15116051992563356128628934136823808
P 573927206810.239871e-17 3fedc093f8bf69155efe 0.0000057392720681
P 2.68929396447591341084e-4894 007ef0b4daefb95f784f 0
P -39895.625043392981893930482328869402408599853515625 c00e9bd7a002d8037028 -39895.62504339298189393
P .56E-21 3fb8a93fe6c082e038e3 0
P 412759685997588959.2611057724562306983985 4039b74d57ebaf9e3be8 412759685997588959.25
P 0x104e0a3bf02b844b1p-16319 0080827051df815c2258 0
P 37361873693063845992.3 404081a0028b0485461a 37361873693063845992
P 93443049110.777594 4023ae0d1e34b6388334 93443049110.77759400010108948
P 3629659185089824142385366189.465144531006 405abba623ab15c7f584 3629659185089824142431092736
A 0.1 0.1 3ffccccccccccccccccd 0.2
A 0.1 0.2 3ffd999999999999999a 0.3
A 10.5 0.1 4002a99999999999999a 10.6
A 10.5 0.2 4002ab33333333333333 10.7
A -0 -0 80000000000000000000 0
A -0 -5.0e-4950 8000000000000000000e 0
A -0 -inf ffff8000000000000000 -inf
A -0 0x1p-16445 00000000000000000001 0
A 5.0e-4950 -0 0000000000000000000e 0
A 5.0e-4950 -5.0e-4950 00000000000000000000 0
A 5.0e-4950 -inf ffff8000000000000000 -inf
A 5.0e-4950 0x1p-16445 0000000000000000000f 0
A 1.18e4932 1.18e4932 7fff8000000000000000 inf
A 1.18e4932 -inf ffff8000000000000000 -inf
A inf -0 7fff8000000000000000 inf
A inf -5.0e-4950 7fff8000000000000000 inf
A inf 1.18e4932 7fff8000000000000000 inf
A inf -inf ffffc000000000000000 -nan
A inf 0x1p-16445 7fff8000000000000000 inf
A 810.E24 9672439728.0065077466E+20 4062c37f37a6baf38145 968053972800650774664645181440
A inf 3.3621031431120935063e-4932 7fff8000000000000000 inf
A 491.78906E-17 71.4E+13 4030a2584517a8000000 714000000000000
A 1e300 inf 7fff8000000000000000 inf
A .83254E+20 53.523E+51 40ae8f0dec3698053c58 53522999999999999998382543752408302645769589569355776
A -0 3.3621031431120935063e-4932 00018000000000000000 0
A 0.5 -0 3ffe8000000000000000 0.5
A 91.467e+56 -91.467e+59 c0c9b5f647799a7291fe -9137553299999999999808331837266510476318651040918757911298048
A 0xeed226eff3ac0178p-16395 57010443609.551152e-24 3fd3806048809a296b7e 0.00000000000005701
A -9.3076799639222791563E+14 9.3076799639222791563E+15 4033ee160e711d6219ed 8376911967530051.24072265625
A -311356726895409093 125783721735480104 c038a4d26a8f1d652740 -185573005159928989
A 98088615144.71075921743064E-45 -794616883505842237 c03ab070bd871e4c83d0 -794616883505842237
A 346732713560740.09121e2 -0x1da39ac51bf48c7dp-48 4035f65e502cc214eb08 34673271356066421.515625
A -18994205568357220.218e-21 18994205568357220.218e-27 bfef9f55b47fcc70c1e3 -0.00001899418657415
A 8462.3109325536540764E-9 4734847099938385580 403d836b1cb3c33b5d58 4734847099938385580
A 538.17572620531720e18 -538.17572620531720e16 4043e710035f1fae0eab 532793968943264028000
A 0x1p63 -5.0e-4950 403e8000000000000000 9223372036854775808
A -3.3621031431120935063e-4932 1e-4940 80007ffffff99cd8719e 0
A 0x1.fffffffffffffffep16383 -inf ffff8000000000000000 -inf
A -5.0e-4950 5.0e-4950 00000000000000000000 0
A 0xe895dc2f1d71e663p-8168 46.781E+9 4022ae45d69400000000 46781000000
A -3.1230939E+18 -36140.757459112795E23 c05abad7e4eee7795acb -3614075749034373400013832192
A 0xfe87562cd7730e01p-12313 -0xfe87562cd7730e01p-12313 00000000000000000000 0
A 39.006876E-25 6262035020936421243 403dadce6f5903f13ef6 6262035020936421243
A 31.962072E+6 55483685193188.274e18 4068af135d2d1b74eec2 55483685193188274000286059593728
A 9342921.7e-21 3342.1E60 40d281fcb3f63ff20879 3342099999999999999832871692736728372580256774128141952970915840
A 58.5e-4 -58.5e-2 bffe94432ca57a786c22 -0.57915
A 5.0e-4950 -1 bfff8000000000000000 -1
A 3.0e3 -0x1p-1 400abb78000000000000 2999.5
A 05.086215E14 558770324404556839 4039f85ea79e9fdf64e0 559278945904556839
A -17.468E27 17.468E20 c05ce1c4c20b04bb959d -17467998253200000000408420352
A 3.64519953188247460253e-4951 -0x1p-1 bffe8000000000000000 -0.5
A -8029059802065461.4e-4 -0xe76fd59cd8204671p-39 c026baf2bbdcd9c58016 -802936315097.77148568630218506
A 0.000003814697265625 -5.0e-4950 3fed8000000000000000 0.00000381469726562
A 0x7668ef5670a758d6p-16396 -.1e+21 c041ad78ebc5ac620000 -100000000000000000000
I -.70073E-49 -56 c004e000000000000000 -56
I 5.8290e+57 -8905317306053901680 40beedb9997ec0ab7a86 5829000000000000000042734977413025852412596622035003637760
I 1324848005078911240 9223372036854775807 403e9262ce3dc41d0907 10548220041933687047
I 1151200107127.152819e20 -6533118004523979246 4069b5a09a1f4f7563f9 115120010712708748779247265382400
I -0x5fb1af509ef505a3p-16421 -9223372036854775808 c03e8000000000000000 -9223372036854775808
I -6080222356305140050 109 c03da8c294098de9b1ca -6080222356305139941
I -956463280797517735 66 c03ad460a494ca407650 -956463280797517669
I 0x9926716465f2894cp-9494 8718713096211770065 403df1fe2ebc0c7f55a2 8718713096211770065
I 5.0e3 2 400b9c50000000000000 5002
";

    #[test]
    fn matches_glibc() {
        for line in GLIBC.lines().filter(|l| !l.is_empty()) {
            let f: Vec<&str> = line.split(' ').collect();
            let (got, want) = match f[0] {
                "P" => (LongDouble::parse(f[1].as_bytes()), &f[2..]),
                "A" => (Some(ld(f[1]).add(ld(f[2]))), &f[3..]),
                "I" => (
                    Some(ld(f[1]).add(LongDouble::from_i64(f[2].parse().unwrap()))),
                    &f[3..],
                ),
                _ => panic!("bad line {line}"),
            };
            if want[0] == "ERR" {
                assert_eq!(got, None, "{line}");
                continue;
            }
            let got = got.unwrap_or_else(|| panic!("rejected: {line}"));
            assert_eq!(got, from_bits(want[0]), "{line}");
            assert_eq!(got.to_human_string(), want[1], "{line}");
        }
    }

    #[test]
    fn redis_examples() {
        assert_eq!(ld("0.1").add(ld("0.2")).to_human_string(), "0.3");
        assert_eq!(ld("10.5").add(ld("0.1")).to_human_string(), "10.6");
        assert_eq!(
            ld("5.0e3").add(LongDouble::from_i64(2)).to_human_string(),
            "5002"
        );
        assert_eq!(ld("-0").to_human_string(), "0");
        assert_eq!(ld("-1e-20").to_human_string(), "0");
        assert_eq!(ld("inf").to_human_string(), "inf");
        assert!(!ld("-inf").is_finite());
        assert!(!ld("inf").add(ld("-inf")).is_finite());
        assert!(ld("1.18e4932").is_finite());
        assert!(!ld("1.18e4932").add(ld("1.18e4932")).is_finite());
        let big = ld("1e300").to_human_string();
        assert_eq!(big.len(), 301);
        assert!(big.starts_with("1000000000000000000008997324"), "{big}");
    }

    #[test]
    fn rejects_like_string2ld() {
        for bad in [
            "", " 1", "1 ", "\t1", "\x0b1", "\x0c1", "1\r", "1\0", "nan", "-nan", "nan(1)", "1e",
            "0x", "0x1p", ".", "-", "1e4933", "1e-4952",
        ] {
            assert_eq!(LongDouble::parse(bad.as_bytes()), None, "{bad:?}");
        }
        // Length limit: 5119 bytes is fine, 5120 is not.
        let ok = format!("{}1", "0".repeat(5118));
        assert_eq!(
            LongDouble::parse(ok.as_bytes()),
            Some(LongDouble::from_i64(1))
        );
        let long = format!("{}1", "0".repeat(5119));
        assert_eq!(LongDouble::parse(long.as_bytes()), None);
        // Zero is exact whatever the exponent, so no ERANGE.
        assert_eq!(
            LongDouble::parse(b"0e999999999999"),
            Some(LongDouble::zero(false))
        );
    }

    /// xorshift64*: a small deterministic generator for the self-checks.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
    }

    #[test]
    fn randomized_self_checks() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for _ in 0..20_000 {
            // Integers are exact: parsing, adding without overflow, printing.
            let a = rng.next() as i64 >> (rng.next() % 64);
            let b = rng.next() as i64 >> (rng.next() % 64);
            let (la, lb) = (LongDouble::from_i64(a), LongDouble::from_i64(b));
            assert_eq!(LongDouble::parse(a.to_string().as_bytes()), Some(la));
            assert_eq!(la.to_human_string(), a.to_string());
            if let Some(sum) = a.checked_add(b) {
                assert_eq!(la.add(lb), LongDouble::from_i64(sum), "{a} + {b}");
            }
            assert_eq!(la.add(lb), lb.add(la));

            // Any finite value survives a trip through a hex float, and its
            // negation through a leading '-'.
            let mant = rng.next() | 1;
            let exp = (rng.next() % 32766) as u16 + 1;
            let v = LongDouble {
                neg: false,
                exp,
                mant: mant | INT_BIT,
            };
            let hex = format!("0x{:x}p{}", v.mant, v.lsb());
            assert_eq!(LongDouble::parse(hex.as_bytes()), Some(v), "{hex}");
            assert_eq!(
                LongDouble::parse(format!("-{hex}").as_bytes()),
                Some(LongDouble { neg: true, ..v })
            );
            // x + (-x) is +0, x + 0 is x.
            assert_eq!(
                v.add(LongDouble { neg: true, ..v }),
                LongDouble::zero(false)
            );
            assert_eq!(v.add(LongDouble::zero(true)), v);
        }
    }
}
