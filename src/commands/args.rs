//! Argument parsers that fail with Redis's exact errors (object.c's
//! get*FromObjectOrReply family).

use super::{NOT_FLOAT_ERR, NOT_INTEGER_ERR, ReplyError};
use crate::util::num::{string2d, string2ll};

/// An integer argument ("value is not an integer or out of range").
pub fn parse_i64(arg: &[u8]) -> Result<i64, ReplyError> {
    string2ll(arg).ok_or(NOT_INTEGER_ERR)
}

/// An integer argument with a caller-chosen error text.
pub fn parse_i64_or(arg: &[u8], err: ReplyError) -> Result<i64, ReplyError> {
    string2ll(arg).ok_or(err)
}

/// A float argument ("value is not a valid float").
pub fn parse_f64(arg: &[u8]) -> Result<f64, ReplyError> {
    string2d(arg).ok_or(NOT_FLOAT_ERR)
}

/// An integer in `[min, max]`, Redis's getRangeLongFromObjectOrReply: a
/// given message answers both a non-integer and an out-of-range value.
pub fn parse_range(
    arg: &[u8],
    min: i64,
    max: i64,
    msg: Option<&'static str>,
) -> Result<i64, ReplyError> {
    let v = match (string2ll(arg), msg) {
        (Some(v), _) => v,
        (None, Some(m)) => return Err(ReplyError::new(m)),
        (None, None) => return Err(NOT_INTEGER_ERR),
    };
    if v < min || v > max {
        return Err(match msg {
            Some(m) => ReplyError::new(m),
            None => ReplyError::owned(format!(
                "ERR value is out of range, must be between {min} and {max}"
            )),
        });
    }
    Ok(v)
}

/// A non-negative integer: "value is out of range, must be positive".
pub fn parse_positive(arg: &[u8]) -> Result<i64, ReplyError> {
    parse_range(
        arg,
        0,
        i64::MAX,
        Some("ERR value is out of range, must be positive"),
    )
}

/// Case-insensitive comparison of an argument with an ASCII keyword.
#[inline]
pub fn is(arg: &[u8], kw: &str) -> bool {
    arg.eq_ignore_ascii_case(kw.as_bytes())
}

/// A C `int` argument (Redis's getIntFromObjectOrReply).
pub fn parse_i32(arg: &[u8]) -> Result<i32, ReplyError> {
    let v = parse_i64(arg)?;
    i32::try_from(v).map_err(|_| {
        ReplyError::new("ERR value is out of range, value must between -2147483648 and 2147483647")
    })
}

/// A blocking command's timeout in seconds (Redis's
/// getTimeoutFromObjectOrReply): the deadline in Unix ms, 0 for forever.
pub fn parse_block_timeout(now_ms: i64, arg: &[u8]) -> Result<i64, ReplyError> {
    crate::util::ld::LongDouble::parse(arg).ok_or(ReplyError::new(
        "ERR timeout is not a float or out of range",
    ))?;
    // Redis reads a long double, multiplies by 1000 and rounds up to whole
    // milliseconds (0.0005 waits 1 ms; -0.0005 is 0, forever); C's
    // conversion of a value past i64 yields i64::MIN, read as negative.
    // Whole seconds are computed exactly (a long double holds them all,
    // an f64 would round 9223372036854775 up past the limit).
    let tval = match crate::util::num::string2ll(arg) {
        Some(secs) => secs.checked_mul(1000).unwrap_or(i64::MIN),
        None => {
            // strtod reads what strtold does (hex included: "0x10" is 16).
            let (secs, _, _) = crate::util::num::strtod(arg);
            let ms = (secs * 1000.0).ceil();
            const TWO_63: f64 = 9_223_372_036_854_775_808.0; // 2^63, exact in f64
            if (-TWO_63..TWO_63).contains(&ms) {
                ms as i64
            } else {
                i64::MIN
            }
        }
    };
    if tval < 0 {
        return Err(ReplyError::new("ERR timeout is negative"));
    }
    if tval == 0 {
        return Ok(0);
    }
    // A deadline past the end of time waits forever, as Redis's does.
    Ok(tval.checked_add(now_ms).unwrap_or(0))
}
