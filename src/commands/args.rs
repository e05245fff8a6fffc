//! Argument parsers that fail with Redis's exact errors (object.c's
//! get*FromObjectOrReply family).

use super::{NOT_FLOAT_ERR, NOT_INTEGER_ERR, ReplyError, SYNTAX_ERR};
use crate::client::Client;
use crate::resp::reply::ReplyBuf;
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

// ---------------------------------------------------------------------
// Shapes several families share: SCAN options, HELP replies, MPOP
// arguments, random-pick counts.
// ---------------------------------------------------------------------

/// Redis's parseScanCursorOrReply: strtoul rules (a leading '-' wraps).
pub fn parse_scan_cursor(arg: &[u8]) -> Result<u64, ReplyError> {
    const INVALID: ReplyError = ReplyError::new("ERR invalid cursor");
    let (neg, digits) = match arg.first() {
        Some(b'-') => (true, &arg[1..]),
        Some(b'+') => (false, &arg[1..]),
        _ => (false, arg),
    };
    if digits.is_empty() {
        // strtoul parses nothing and leaves eptr at the start.
        return if arg.is_empty() { Ok(0) } else { Err(INVALID) };
    }
    let mut v: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return Err(INVALID);
        }
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add((d - b'0') as u64))
            .ok_or(INVALID)?;
    }
    Ok(if neg { v.wrapping_neg() } else { v })
}

/// SCAN's options, shared later by HSCAN/SSCAN/ZSCAN.
pub struct ScanOpts {
    pub count: usize,
    pub pattern: Option<Vec<u8>>,
    pub type_name: Option<Vec<u8>>,
}

pub fn parse_scan_opts(
    argv: &[Vec<u8>],
    from: usize,
    allow_type: bool,
) -> Result<ScanOpts, ReplyError> {
    let mut o = ScanOpts {
        count: 10,
        pattern: None,
        type_name: None,
    };
    let mut i = from;
    while i < argv.len() {
        let left = argv.len() - i;
        if is(&argv[i], "count") && left >= 2 {
            let n = parse_i64(&argv[i + 1])?;
            if n < 1 {
                return Err(SYNTAX_ERR);
            }
            o.count = n as usize;
        } else if is(&argv[i], "match") && left >= 2 {
            let p = &argv[i + 1];
            o.pattern = if p.as_slice() == b"*" {
                None
            } else {
                Some(p.clone())
            };
        } else if is(&argv[i], "type") && allow_type && left >= 2 {
            o.type_name = Some(argv[i + 1].clone());
        } else {
            return Err(SYNTAX_ERR);
        }
        i += 2;
    }
    Ok(o)
}

/// Reply with a HELP listing for a container command.
pub fn reply_help(c: &mut Client, cmd: &str, lines: &[&str]) {
    c.reply.array_len(lines.len() + 3);
    c.reply.status(&format!(
        "{cmd} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    ));
    for l in lines {
        c.reply.status(l);
    }
    c.reply.status("HELP");
    c.reply.status("    Prints this help.");
}

/// Redis's addReplySubcommandSyntaxError, for a subcommand given too many
/// arguments that its table arity (a minimum) let through.
pub fn subcommand_syntax_error(c: &Client) -> ReplyError {
    ReplyError::bytes(
        [
            b"ERR unknown subcommand or wrong number of arguments for '".as_slice(),
            &c.argv[1],
            b"'. Try ",
            &c.argv[0].to_ascii_uppercase(),
            b" HELP.",
        ]
        .concat(),
    )
}

/// A count for HRANDFIELD/SRANDMEMBER: any long but LONG_MIN, with the
/// message Redis 7.0's getRangeLongFromObjectOrReply gives.
pub fn parse_rand_count(arg: &[u8]) -> Result<i64, ReplyError> {
    let v = parse_i64(arg)?;
    if v == i64::MIN {
        return Err(ReplyError::new(
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
        ));
    }
    Ok(v)
}

/// The reply to a SCAN-family command on a missing key.
pub fn reply_empty_scan(r: &mut ReplyBuf) {
    r.array_len(2);
    r.bulk(b"0");
    r.array_len(0);
}

/// LMPOP/ZMPOP and their blocking forms: `numkeys key... WHERE [COUNT n]`
/// from `numkeys_idx`, WHERE one of `ends` (LEFT|RIGHT, MIN|MAX).
pub struct MpopArgs {
    pub keys: std::ops::Range<usize>,
    /// The second of `ends` was given (RIGHT, MAX).
    pub second: bool,
    pub count: usize,
}

pub fn parse_mpop(
    argv: &[Vec<u8>],
    numkeys_idx: usize,
    ends: [&str; 2],
) -> Result<MpopArgs, ReplyError> {
    let numkeys = parse_range(
        &argv[numkeys_idx],
        1,
        i64::MAX,
        Some("ERR numkeys should be greater than 0"),
    )? as usize;
    let where_idx = numkeys_idx
        .checked_add(numkeys)
        .and_then(|v| v.checked_add(1))
        .unwrap_or(usize::MAX);
    if where_idx >= argv.len() {
        return Err(SYNTAX_ERR);
    }
    let second = if is(&argv[where_idx], ends[0]) {
        false
    } else if is(&argv[where_idx], ends[1]) {
        true
    } else {
        return Err(SYNTAX_ERR);
    };
    let mut count: Option<usize> = None;
    let mut j = where_idx + 1;
    while j < argv.len() {
        let more = argv.len() - 1 - j;
        if count.is_none() && is(&argv[j], "count") && more > 0 {
            j += 1;
            count = Some(parse_range(
                &argv[j],
                1,
                i64::MAX,
                Some("ERR count should be greater than 0"),
            )? as usize);
        } else {
            return Err(SYNTAX_ERR);
        }
        j += 1;
    }
    Ok(MpopArgs {
        keys: numkeys_idx + 1..where_idx,
        second,
        count: count.unwrap_or(1),
    })
}
