//! Group `geo` (Redis's geo.c): places stored in a sorted set, each
//! scored by the 52-bit geohash of its longitude and latitude. GEOADD so
//! far; the queries come with the rest of the family.

use super::{CmdResult, ReplyError, SYNTAX_ERR};
use crate::client::Client;
use crate::server::Server;

const LONG_MIN: f64 = -180.0;
const LONG_MAX: f64 = 180.0;
const LAT_MIN: f64 = -85.05112878;
const LAT_MAX: f64 = 85.05112878;
/// 26 steps of longitude and of latitude: 52 bits.
const STEP: u32 = 26;

/// Spread the low 32 bits of `x` over the even bits and those of `y`
/// over the odd bits (geohash.c's interleave64).
fn interleave64(x: u32, y: u32) -> u64 {
    fn spread(v: u32) -> u64 {
        let mut v = v as u64;
        v = (v | (v << 16)) & 0x0000_FFFF_0000_FFFF;
        v = (v | (v << 8)) & 0x00FF_00FF_00FF_00FF;
        v = (v | (v << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
        v = (v | (v << 2)) & 0x3333_3333_3333_3333;
        v = (v | (v << 1)) & 0x5555_5555_5555_5555;
        v
    }
    spread(x) | (spread(y) << 1)
}

/// The 52-bit score of a place (geohashEncodeWGS84 + geohashAlign52Bits).
pub fn encode(longitude: f64, latitude: f64) -> u64 {
    let lat_offset = (latitude - LAT_MIN) / (LAT_MAX - LAT_MIN) * (1u64 << STEP) as f64;
    let long_offset = (longitude - LONG_MIN) / (LONG_MAX - LONG_MIN) * (1u64 << STEP) as f64;
    // C converts the doubles to the uint32_t parameters by truncation.
    interleave64(lat_offset as u32, long_offset as u32)
}

/// A longitude,latitude pair (extractLongLatOrReply).
fn parse_long_lat(lon: &[u8], lat: &[u8]) -> Result<(f64, f64), ReplyError> {
    let parse = |a: &[u8]| {
        crate::util::num::string2d(a).ok_or(ReplyError::new("ERR value is not a valid float"))
    };
    let (x, y) = (parse(lon)?, parse(lat)?);
    if !(LONG_MIN..=LONG_MAX).contains(&x) || !(LAT_MIN..=LAT_MAX).contains(&y) {
        return Err(ReplyError::owned(format!(
            "ERR invalid longitude,latitude pair {x:.6},{y:.6}"
        )));
    }
    Ok((x, y))
}

/// GEOADD key [NX|XX] [CH] longitude latitude member [...]: a ZADD of the
/// members scored by their geohashes, propagated as that ZADD.
pub fn geoadd_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let argc = c.argv.len();
    let (mut nx, mut xx) = (false, false);
    let mut longidx = 2;
    while longidx < argc {
        let a = &c.argv[longidx];
        if a.eq_ignore_ascii_case(b"nx") {
            nx = true;
        } else if a.eq_ignore_ascii_case(b"xx") {
            xx = true;
        } else if !a.eq_ignore_ascii_case(b"ch") {
            break;
        }
        longidx += 1;
    }
    if !(argc - longidx).is_multiple_of(3) || (xx && nx) {
        return Err(SYNTAX_ERR);
    }
    let mut zadd: Vec<Vec<u8>> = Vec::with_capacity(longidx + (argc - longidx) / 3 * 2);
    zadd.push(b"zadd".to_vec());
    zadd.extend(c.argv[1..longidx].iter().cloned());
    for place in c.argv[longidx..].chunks_exact(3) {
        let (x, y) = parse_long_lat(&place[0], &place[1])?;
        zadd.push(encode(x, y).to_string().into_bytes());
        zadd.push(place[2].clone());
    }
    let dirty_before = s.dirty;
    let original = std::mem::replace(&mut c.argv, zadd);
    let result = super::sorted_sets::zadd_command(s, c);
    let zadd = std::mem::replace(&mut c.argv, original);
    if s.dirty != dirty_before {
        s.propagate_as(zadd);
    }
    result
}
