//! Group `geo` (Redis's geo.c, geohash.c, geohash_helper.c): places stored
//! in a sorted set, each scored by the 52-bit geohash of its longitude and
//! latitude. A search covers its shape with nine geohash boxes, reads each
//! box as a score range and keeps the points inside the shape; every
//! floating-point step is Redis's, so distances and coordinates print the
//! same digits.

use super::args::{is, parse_i64};
use super::{CmdResult, ReplyError, SYNTAX_ERR};
use crate::client::Client;
use crate::notify;
use crate::sds::Sds;
use crate::server::Server;
use crate::types::Value;
use crate::types::zset::{ZSet, ZSetLimits};
use std::cmp::Ordering;
use std::sync::Arc;

const LONG_MIN: f64 = -180.0;
const LONG_MAX: f64 = 180.0;
const LAT_MIN: f64 = -85.05112878;
const LAT_MAX: f64 = 85.05112878;
/// 26 steps of longitude and of latitude: 52 bits.
const STEP_MAX: u8 = 26;
const MERCATOR_MAX: f64 = 20037726.37;
/// Earth's quadratic mean radius for WGS-84, as Redis uses it.
const EARTH_RADIUS_IN_METERS: f64 = 6372797.560856;
const D_R: f64 = std::f64::consts::PI / 180.0;

// ---------------------------------------------------------------------
// Geohash (geohash.c)
// ---------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Default)]
struct HashBits {
    bits: u64,
    step: u8,
}

impl HashBits {
    fn is_zero(&self) -> bool {
        self.bits == 0 && self.step == 0
    }
}

#[derive(Clone, Copy, Default)]
struct Range {
    min: f64,
    max: f64,
}

#[derive(Clone, Copy, Default)]
struct Area {
    longitude: Range,
    latitude: Range,
}

const WGS84_LONG: Range = Range {
    min: LONG_MIN,
    max: LONG_MAX,
};
const WGS84_LAT: Range = Range {
    min: LAT_MIN,
    max: LAT_MAX,
};

/// Spread the low 32 bits of `x` over the even bits and those of `y`
/// over the odd bits (interleave64).
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

/// The inverse: even bits to the low word, odd bits to the high word.
fn deinterleave64(v: u64) -> u64 {
    fn gather(mut v: u64) -> u64 {
        v &= 0x5555_5555_5555_5555;
        v = (v | (v >> 1)) & 0x3333_3333_3333_3333;
        v = (v | (v >> 2)) & 0x0F0F_0F0F_0F0F_0F0F;
        v = (v | (v >> 4)) & 0x00FF_00FF_00FF_00FF;
        v = (v | (v >> 8)) & 0x0000_FFFF_0000_FFFF;
        v = (v | (v >> 16)) & 0x0000_0000_FFFF_FFFF;
        v
    }
    gather(v) | (gather(v >> 1) << 32)
}

/// geohashEncode: None where Redis returns 0 before touching the hash;
/// a zero hash of `step` steps for a point outside the ranges.
fn encode_in(lon_r: Range, lat_r: Range, lon: f64, lat: f64, step: u8) -> Option<HashBits> {
    if step > 32 || step == 0 {
        return None;
    }
    if !(LONG_MIN..=LONG_MAX).contains(&lon) || !(LAT_MIN..=LAT_MAX).contains(&lat) {
        return None;
    }
    let mut h = HashBits { bits: 0, step };
    if lat < lat_r.min || lat > lat_r.max || lon < lon_r.min || lon > lon_r.max {
        return Some(h);
    }
    let lat_offset = (lat - lat_r.min) / (lat_r.max - lat_r.min) * (1u64 << step) as f64;
    let long_offset = (lon - lon_r.min) / (lon_r.max - lon_r.min) * (1u64 << step) as f64;
    // C converts the doubles to the uint32_t parameters by truncation.
    h.bits = interleave64(lat_offset as u32, long_offset as u32);
    Some(h)
}

fn encode_wgs84(lon: f64, lat: f64, step: u8) -> HashBits {
    encode_in(WGS84_LONG, WGS84_LAT, lon, lat, step).unwrap_or_default()
}

/// geohashAlign52Bits.
fn align52(h: HashBits) -> u64 {
    h.bits << (52 - h.step as u32 * 2)
}

/// The 52-bit score of a place (geohashEncodeWGS84 + geohashAlign52Bits).
pub fn encode(longitude: f64, latitude: f64) -> u64 {
    align52(encode_wgs84(longitude, latitude, STEP_MAX))
}

/// geohashDecode over the WGS84 ranges.
fn decode(h: HashBits) -> Option<Area> {
    if h.is_zero() {
        return None;
    }
    let sep = deinterleave64(h.bits);
    let ilato = sep as u32;
    let ilono = (sep >> 32) as u32;
    let div = (1u64 << h.step) as f64;
    let (lat_scale, long_scale) = (LAT_MAX - LAT_MIN, LONG_MAX - LONG_MIN);
    // `ilato + 1` is uint32_t arithmetic in C.
    Some(Area {
        latitude: Range {
            min: LAT_MIN + (ilato as f64 / div) * lat_scale,
            max: LAT_MIN + (ilato.wrapping_add(1) as f64 / div) * lat_scale,
        },
        longitude: Range {
            min: LONG_MIN + (ilono as f64 / div) * long_scale,
            max: LONG_MIN + (ilono.wrapping_add(1) as f64 / div) * long_scale,
        },
    })
}

/// The centre of a box, clamped to the valid ranges.
fn area_center(a: &Area) -> [f64; 2] {
    [
        ((a.longitude.min + a.longitude.max) / 2.0).clamp(LONG_MIN, LONG_MAX),
        ((a.latitude.min + a.latitude.max) / 2.0).clamp(LAT_MIN, LAT_MAX),
    ]
}

/// C's `(uint64_t)double` as x86-64 code computes it, for scores that a
/// ZADD, not a GEOADD, put in the set.
fn c_double_to_u64(x: f64) -> u64 {
    const TWO63: f64 = 9_223_372_036_854_775_808.0;
    if x.is_nan() || x < -TWO63 {
        1 << 63
    } else if x < TWO63 {
        x as i64 as u64
    } else if x < 2.0 * TWO63 {
        ((x - TWO63) as i64 as u64) ^ (1 << 63)
    } else {
        0
    }
}

/// A member's position from its score (decodeGeohash).
fn decode_score(score: f64) -> [f64; 2] {
    let h = HashBits {
        bits: c_double_to_u64(score),
        step: STEP_MAX,
    };
    decode(h).map(|a| area_center(&a)).unwrap_or_default()
}

fn move_x(h: &mut HashBits, d: i8) {
    if d == 0 {
        return;
    }
    let mut x = h.bits & 0xaaaa_aaaa_aaaa_aaaa;
    let y = h.bits & 0x5555_5555_5555_5555;
    let zz = 0x5555_5555_5555_5555u64 >> (64 - h.step as u32 * 2);
    if d > 0 {
        x = x.wrapping_add(zz + 1);
    } else {
        x |= zz;
        x = x.wrapping_sub(zz + 1);
    }
    x &= 0xaaaa_aaaa_aaaa_aaaau64 >> (64 - h.step as u32 * 2);
    h.bits = x | y;
}

fn move_y(h: &mut HashBits, d: i8) {
    if d == 0 {
        return;
    }
    let x = h.bits & 0xaaaa_aaaa_aaaa_aaaa;
    let mut y = h.bits & 0x5555_5555_5555_5555;
    let zz = 0xaaaa_aaaa_aaaa_aaaau64 >> (64 - h.step as u32 * 2);
    if d > 0 {
        y = y.wrapping_add(zz + 1);
    } else {
        y |= zz;
        y = y.wrapping_sub(zz + 1);
    }
    y &= 0x5555_5555_5555_5555u64 >> (64 - h.step as u32 * 2);
    h.bits = x | y;
}

/// The eight boxes around one, in membersOfAllNeighbors's order after the
/// centre: north, south, east, west, north-east, north-west, south-east,
/// south-west.
fn neighbors(h: HashBits) -> [HashBits; 8] {
    let at = |dx: i8, dy: i8| {
        let mut n = h;
        move_x(&mut n, dx);
        move_y(&mut n, dy);
        n
    };
    [
        at(0, 1),
        at(0, -1),
        at(1, 0),
        at(-1, 0),
        at(1, 1),
        at(-1, 1),
        at(1, -1),
        at(-1, -1),
    ]
}
const NORTH: usize = 0;
const SOUTH: usize = 1;
const EAST: usize = 2;
const WEST: usize = 3;
const NORTH_EAST: usize = 4;
const NORTH_WEST: usize = 5;
const SOUTH_EAST: usize = 6;
const SOUTH_WEST: usize = 7;

// ---------------------------------------------------------------------
// Search areas and distances (geohash_helper.c)
// ---------------------------------------------------------------------

fn deg_rad(a: f64) -> f64 {
    a * D_R
}

fn rad_deg(a: f64) -> f64 {
    a / D_R
}

#[derive(Clone, Copy)]
enum ShapeKind {
    Circle { radius: f64 },
    Box { width: f64, height: f64 },
}

/// What a search covers: a centre, a circle or box in the request's
/// unit, and the unit's size in meters.
#[derive(Clone, Copy)]
struct Shape {
    xy: [f64; 2],
    conversion: f64,
    kind: ShapeKind,
}

/// geohashEstimateStepsByRadius: the box size whose neighbourhood covers
/// the radius.
fn estimate_steps_by_radius(mut range_meters: f64, lat: f64) -> u8 {
    if range_meters == 0.0 {
        return 26;
    }
    let mut step: i32 = 1;
    while range_meters < MERCATOR_MAX {
        range_meters *= 2.0;
        step += 1;
    }
    step -= 2;
    if !(-66.0..=66.0).contains(&lat) {
        step -= 1;
        if !(-80.0..=80.0).contains(&lat) {
            step -= 1;
        }
    }
    step.clamp(1, 26) as u8
}

/// geohashBoundingBox: [min lon, min lat, max lon, max lat].
fn bounding_box(shape: &Shape) -> [f64; 4] {
    let [longitude, latitude] = shape.xy;
    let (h, w) = match shape.kind {
        ShapeKind::Circle { radius } => (radius, radius),
        ShapeKind::Box { width, height } => (height / 2.0, width / 2.0),
    };
    let height = shape.conversion * h;
    let width = shape.conversion * w;
    let lat_delta = rad_deg(height / EARTH_RADIUS_IN_METERS);
    let long_delta_top =
        rad_deg(width / EARTH_RADIUS_IN_METERS / deg_rad(latitude + lat_delta).cos());
    let long_delta_bottom =
        rad_deg(width / EARTH_RADIUS_IN_METERS / deg_rad(latitude - lat_delta).cos());
    let delta = if latitude < 0.0 {
        long_delta_bottom
    } else {
        long_delta_top
    };
    [
        longitude - delta,
        latitude - lat_delta,
        longitude + delta,
        latitude + lat_delta,
    ]
}

/// geohashCalculateAreasByShapeWGS84: the nine boxes to read, centre
/// first, the useless ones zeroed.
fn areas_by_shape(shape: &Shape) -> [HashBits; 9] {
    let [min_lon, min_lat, max_lon, max_lat] = bounding_box(shape);
    let [longitude, latitude] = shape.xy;
    let radius_meters = match shape.kind {
        ShapeKind::Circle { radius } => radius,
        ShapeKind::Box { width, height } => {
            ((width / 2.0) * (width / 2.0) + (height / 2.0) * (height / 2.0)).sqrt()
        }
    } * shape.conversion;
    let mut steps = estimate_steps_by_radius(radius_meters, latitude);
    let mut hash = encode_wgs84(longitude, latitude, steps);
    let mut n = neighbors(hash);
    let mut area = decode(hash).unwrap_or_default();
    // The estimate can leave part of the shape outside the neighbours.
    let dec = |h: HashBits| decode(h).unwrap_or_default();
    let decrease_step = dec(n[NORTH]).latitude.max < max_lat
        || dec(n[SOUTH]).latitude.min > min_lat
        || dec(n[EAST]).longitude.max < max_lon
        || dec(n[WEST]).longitude.min > min_lon;
    if steps > 1 && decrease_step {
        steps -= 1;
        hash = encode_wgs84(longitude, latitude, steps);
        n = neighbors(hash);
        area = decode(hash).unwrap_or_default();
    }
    if steps >= 2 {
        let mut zero = |dirs: [usize; 3]| {
            for d in dirs {
                n[d] = HashBits::default();
            }
        };
        if area.latitude.min < min_lat {
            zero([SOUTH, SOUTH_WEST, SOUTH_EAST]);
        }
        if area.latitude.max > max_lat {
            zero([NORTH, NORTH_EAST, NORTH_WEST]);
        }
        if area.longitude.min < min_lon {
            zero([WEST, SOUTH_WEST, NORTH_WEST]);
        }
        if area.longitude.max > max_lon {
            zero([EAST, SOUTH_EAST, NORTH_EAST]);
        }
    }
    [hash, n[0], n[1], n[2], n[3], n[4], n[5], n[6], n[7]]
}

/// geohashGetLatDistance: along a meridian.
fn lat_distance(lat1: f64, lat2: f64) -> f64 {
    EARTH_RADIUS_IN_METERS * (deg_rad(lat2) - deg_rad(lat1)).abs()
}

/// geohashGetDistance: haversine great-circle distance in meters.
fn distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let lon1r = deg_rad(lon1);
    let lon2r = deg_rad(lon2);
    let v = ((lon2r - lon1r) / 2.0).sin();
    if v == 0.0 {
        return lat_distance(lat1, lat2);
    }
    let lat1r = deg_rad(lat1);
    let lat2r = deg_rad(lat2);
    let u = ((lat2r - lat1r) / 2.0).sin();
    let a = u * u + lat1r.cos() * lat2r.cos() * v * v;
    2.0 * EARTH_RADIUS_IN_METERS * a.sqrt().asin()
}

/// geoWithinShape: the point's position and distance from the centre when
/// it lies inside.
fn within_shape(shape: &Shape, score: f64) -> Option<([f64; 2], f64)> {
    let xy = decode_score(score);
    let [x1, y1] = shape.xy;
    match shape.kind {
        ShapeKind::Circle { radius } => {
            let limit = radius * shape.conversion;
            // The distance along the meridian never exceeds the great
            // circle's: a point that far in latitude alone is outside, and
            // the trigonometry is skipped (the margin keeps rounding from
            // ever rejecting a point the full formula would accept).
            if lat_distance(y1, xy[1]) > limit * (1.0 + 1e-9) {
                return None;
            }
            let d = distance(x1, y1, xy[0], xy[1]);
            (d <= limit).then_some((xy, d))
        }
        ShapeKind::Box { width, height } => {
            if lat_distance(xy[1], y1) > height * shape.conversion / 2.0 {
                return None;
            }
            if distance(xy[0], xy[1], x1, xy[1]) > width * shape.conversion / 2.0 {
                return None;
            }
            Some((xy, distance(x1, y1, xy[0], xy[1])))
        }
    }
}

// ---------------------------------------------------------------------
// Searching the sorted set
// ---------------------------------------------------------------------

struct GeoPoint {
    xy: [f64; 2],
    dist: f64,
    score: f64,
    member: Vec<u8>,
}

/// geoGetPointsInRange: the members scored in [min, max) inside the shape,
/// stopping once `limit` points (all boxes so far) were found.
fn points_in_range(
    z: &ZSet,
    min: f64,
    max: f64,
    shape: &Shape,
    ga: &mut Vec<GeoPoint>,
    limit: usize,
) {
    let Some(k) = z.first_where(|s, _| s >= min) else {
        return;
    };
    for (score, member) in z.iter_from(k, false) {
        if score >= max {
            break;
        }
        if let Some((xy, dist)) = within_shape(shape, score) {
            ga.push(GeoPoint {
                xy,
                dist,
                score,
                member: member.to_vec(),
            });
        }
        if !ga.is_empty() && limit != 0 && ga.len() >= limit {
            break;
        }
    }
}

/// membersOfAllNeighbors: each useful box as a score range (a box of
/// `step` steps holds the scores sharing its 2*step-bit prefix).
fn members_of_all_neighbors(
    z: &ZSet,
    boxes: &[HashBits; 9],
    shape: &Shape,
    limit: usize,
) -> Vec<GeoPoint> {
    let mut ga = Vec::new();
    let mut last_processed = 0;
    for (i, b) in boxes.iter().enumerate() {
        if b.is_zero() {
            continue;
        }
        // Huge radii make neighbours repeat; Redis skips a box equal to
        // the last one read (never comparing with the centre).
        if last_processed != 0 && *b == boxes[last_processed] {
            continue;
        }
        if !ga.is_empty() && limit != 0 && ga.len() >= limit {
            break;
        }
        let min = align52(*b);
        let max = align52(HashBits {
            bits: b.bits + 1,
            step: b.step,
        });
        points_in_range(z, min as f64, max as f64, shape, &mut ga, limit);
        last_processed = i;
    }
    ga
}

// ---------------------------------------------------------------------
// Argument helpers
// ---------------------------------------------------------------------

fn parse_double(a: &[u8], err: Option<&'static str>) -> Result<f64, ReplyError> {
    crate::util::num::string2d(a).ok_or(ReplyError::new(
        err.unwrap_or("ERR value is not a valid float"),
    ))
}

/// A longitude,latitude pair (extractLongLatOrReply).
fn parse_long_lat(lon: &[u8], lat: &[u8]) -> Result<[f64; 2], ReplyError> {
    let (x, y) = (parse_double(lon, None)?, parse_double(lat, None)?);
    if !(LONG_MIN..=LONG_MAX).contains(&x) || !(LAT_MIN..=LAT_MAX).contains(&y) {
        return Err(ReplyError::owned(format!(
            "ERR invalid longitude,latitude pair {x:.6},{y:.6}"
        )));
    }
    Ok([x, y])
}

/// A unit's size in meters (extractUnitOrReply).
fn parse_unit(u: &[u8]) -> Result<f64, ReplyError> {
    if is(u, "m") {
        Ok(1.0)
    } else if is(u, "km") {
        Ok(1000.0)
    } else if is(u, "ft") {
        Ok(0.3048)
    } else if is(u, "mi") {
        Ok(1609.34)
    } else {
        Err(ReplyError::new(
            "ERR unsupported unit provided. please use M, KM, FT, MI",
        ))
    }
}

/// `<radius> <unit>` (extractDistanceOrReply): (radius, conversion).
fn parse_distance(args: &[Vec<u8>]) -> Result<(f64, f64), ReplyError> {
    let d = parse_double(&args[0], Some("ERR need numeric radius"))?;
    if d < 0.0 {
        return Err(ReplyError::new("ERR radius cannot be negative"));
    }
    Ok((d, parse_unit(&args[1])?))
}

/// `<width> <height> <unit>` (extractBoxOrReply): (width, height, conversion).
fn parse_box(args: &[Vec<u8>]) -> Result<(f64, f64, f64), ReplyError> {
    let w = parse_double(&args[0], Some("ERR need numeric width"))?;
    let h = parse_double(&args[1], Some("ERR need numeric height"))?;
    if h < 0.0 || w < 0.0 {
        return Err(ReplyError::new("ERR height or width cannot be negative"));
    }
    Ok((w, h, parse_unit(&args[2])?))
}

/// A distance as Redis prints it: four decimals of the value rounded to
/// the nearest 1/10000, ties to even (fixedpoint_d2string).
fn distance_text(d: f64) -> String {
    if d == 0.0 {
        return "0.0000".to_string();
    }
    let v = (d * 10000.0).round_ties_even();
    // llrint's result for what does not fit a long long.
    const TWO63: f64 = 9_223_372_036_854_775_808.0;
    let v = if (-TWO63..TWO63).contains(&v) {
        v as i64
    } else {
        i64::MIN
    };
    let neg = v < 0;
    let digits = v.unsigned_abs().to_string();
    let digits = if digits.len() < 5 {
        format!("{}{}", "0".repeat(5 - digits.len()), digits)
    } else {
        digits
    };
    let (int, frac) = digits.split_at(digits.len() - 4);
    format!("{}{int}.{frac}", if neg { "-" } else { "" })
}

// ---------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------

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
        let [x, y] = parse_long_lat(&place[0], &place[1])?;
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

/// GEOPOS key member [...]: each member's longitude and latitude, a null
/// array for a missing one.
pub fn geopos_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let z = s.read_as::<ZSet>(c.db, &c.argv[1])?;
    c.reply.array_len(c.argv.len() - 2);
    for m in &c.argv[2..] {
        match z.and_then(|z| z.score(m)) {
            None => c.reply.null_array(),
            Some(score) => {
                let xy = decode_score(score);
                c.reply.array_len(2);
                c.reply.human_double(xy[0]);
                c.reply.human_double(xy[1]);
            }
        }
    }
    Ok(())
}

/// GEODIST key member1 member2 [M|KM|FT|MI].
pub fn geodist_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let to_meter = match c.argv.len() {
        5 => parse_unit(&c.argv[4])?,
        n if n > 5 => return Err(SYNTAX_ERR),
        _ => 1.0,
    };
    let Some(z) = s.read_as::<ZSet>(c.db, &c.argv[1])? else {
        c.reply.null();
        return Ok(());
    };
    match (z.score(&c.argv[2]), z.score(&c.argv[3])) {
        (Some(a), Some(b)) => {
            let (p, q) = (decode_score(a), decode_score(b));
            let d = distance(p[0], p[1], q[0], q[1]) / to_meter;
            c.reply.bulk(distance_text(d).as_bytes());
        }
        _ => c.reply.null(),
    }
    Ok(())
}

/// GEOHASH key member [...]: standard 11-character geohashes (re-encoded
/// over latitudes -90..90, the last character always '0').
pub fn geohash_command(s: &mut Server, c: &mut Client) -> CmdResult {
    const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let z = s.read_as::<ZSet>(c.db, &c.argv[1])?;
    c.reply.array_len(c.argv.len() - 2);
    for m in &c.argv[2..] {
        match z.and_then(|z| z.score(m)) {
            None => c.reply.null(),
            Some(score) => {
                let xy = decode_score(score);
                let std_lon = Range {
                    min: -180.0,
                    max: 180.0,
                };
                let std_lat = Range {
                    min: -90.0,
                    max: 90.0,
                };
                let h = encode_in(std_lon, std_lat, xy[0], xy[1], 26).unwrap_or_default();
                let mut buf = [b'0'; 11];
                for (i, ch) in buf.iter_mut().enumerate().take(10) {
                    *ch = ALPHABET[((h.bits >> (52 - (i + 1) * 5)) & 0x1f) as usize];
                }
                c.reply.bulk(&buf);
            }
        }
    }
    Ok(())
}

const RADIUS_COORDS: u8 = 1;
const RADIUS_MEMBER: u8 = 2;
const RADIUS_NOSTORE: u8 = 4;
const GEOSEARCH: u8 = 8;
const GEOSEARCHSTORE: u8 = 16;

#[derive(PartialEq, Clone, Copy)]
enum Sort {
    None,
    Asc,
    Desc,
}

/// georadiusGeneric: every search command's body.
fn georadius_generic(s: &mut Server, c: &mut Client, src_idx: usize, flags: u8) -> CmdResult {
    let db = c.db;
    let argv = std::mem::take(&mut c.argv);
    let r = georadius_with(s, c, db, &argv, src_idx, flags);
    c.argv = argv;
    r
}

fn georadius_with(
    s: &mut Server,
    c: &mut Client,
    db: usize,
    argv: &[Vec<u8>],
    src_idx: usize,
    flags: u8,
) -> CmdResult {
    let zobj = s.read_as::<ZSet>(db, &argv[src_idx])?;
    let mut storekey: Option<&[u8]> = None;
    let mut storedist = false;
    let mut xy = [0.0; 2];
    let mut kind = ShapeKind::Circle { radius: 0.0 };
    let mut conversion = 1.0;
    let base_args;
    let decode_err = || ReplyError::new("ERR could not decode requested zset member");
    if flags & RADIUS_COORDS != 0 {
        base_args = 6;
        xy = parse_long_lat(&argv[2], &argv[3])?;
        let (radius, conv) = parse_distance(&argv[4..6])?;
        kind = ShapeKind::Circle { radius };
        conversion = conv;
    } else if flags & RADIUS_MEMBER != 0 {
        base_args = 5;
        // Without the key the arguments are still parsed (the reply
        // depends on STORE), but the member and radius are not.
        if let Some(z) = zobj {
            xy = decode_score(z.score(&argv[2]).ok_or_else(decode_err)?);
            let (radius, conv) = parse_distance(&argv[3..5])?;
            kind = ShapeKind::Circle { radius };
            conversion = conv;
        }
    } else {
        base_args = if flags & GEOSEARCHSTORE != 0 {
            storekey = Some(&argv[1]);
            3
        } else {
            2
        };
    }

    let (mut withdist, mut withhash, mut withcoords) = (false, false, false);
    let (mut frommember, mut fromloc, mut byradius, mut bybox) = (false, false, false, false);
    let mut sort = Sort::None;
    let mut any = false;
    let mut count: i64 = 0;
    let search = flags & GEOSEARCH != 0;
    let may_store = flags & (RADIUS_NOSTORE | GEOSEARCH) == 0;
    let remaining = argv.len().saturating_sub(base_args);
    let mut i = 0;
    while i < remaining {
        let arg = &argv[base_args + i];
        let next = |k: usize| &argv[base_args + i + k];
        if is(arg, "withdist") {
            withdist = true;
        } else if is(arg, "withhash") {
            withhash = true;
        } else if is(arg, "withcoord") {
            withcoords = true;
        } else if is(arg, "any") {
            any = true;
        } else if is(arg, "asc") {
            sort = Sort::Asc;
        } else if is(arg, "desc") {
            sort = Sort::Desc;
        } else if is(arg, "count") && i + 1 < remaining {
            count = parse_i64(next(1))?;
            if count <= 0 {
                return Err(ReplyError::new("ERR COUNT must be > 0"));
            }
            i += 1;
        } else if is(arg, "store") && i + 1 < remaining && may_store {
            storekey = Some(next(1));
            storedist = false;
            i += 1;
        } else if is(arg, "storedist") && i + 1 < remaining && may_store {
            storekey = Some(next(1));
            storedist = true;
            i += 1;
        } else if is(arg, "storedist") && search && flags & GEOSEARCHSTORE != 0 {
            storedist = true;
        } else if is(arg, "frommember") && i + 1 < remaining && search && !fromloc {
            if let Some(z) = zobj {
                xy = decode_score(z.score(next(1)).ok_or_else(decode_err)?);
            }
            frommember = true;
            i += 1;
        } else if is(arg, "fromlonlat") && i + 2 < remaining && search && !frommember {
            xy = parse_long_lat(next(1), next(2))?;
            fromloc = true;
            i += 2;
        } else if is(arg, "byradius") && i + 2 < remaining && search && !bybox {
            let (radius, conv) = parse_distance(&argv[base_args + i + 1..base_args + i + 3])?;
            kind = ShapeKind::Circle { radius };
            conversion = conv;
            byradius = true;
            i += 2;
        } else if is(arg, "bybox") && i + 3 < remaining && search && !byradius {
            let (width, height, conv) = parse_box(&argv[base_args + i + 1..base_args + i + 4])?;
            kind = ShapeKind::Box { width, height };
            conversion = conv;
            bybox = true;
            i += 3;
        } else {
            return Err(SYNTAX_ERR);
        }
        i += 1;
    }

    if storekey.is_some() && (withdist || withhash || withcoords) {
        return Err(ReplyError::owned(format!(
            "ERR {} is not compatible with WITHDIST, WITHHASH and WITHCOORD options",
            if flags & GEOSEARCHSTORE != 0 {
                "GEOSEARCHSTORE"
            } else {
                "STORE option in GEORADIUS"
            }
        )));
    }
    let name = || String::from_utf8_lossy(&argv[0]).into_owned();
    if search && !(frommember || fromloc) {
        return Err(ReplyError::owned(format!(
            "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {}",
            name()
        )));
    }
    if search && !(byradius || bybox) {
        return Err(ReplyError::owned(format!(
            "ERR exactly one of BYRADIUS and BYBOX can be specified for {}",
            name()
        )));
    }
    if any && count == 0 {
        return Err(ReplyError::new(
            "ERR the ANY argument requires COUNT argument",
        ));
    }

    let Some(z) = zobj else {
        match storekey {
            Some(dst) => {
                if s.delete_key(db, dst) {
                    s.notify_keyspace_event(notify::GENERIC, "del", dst, db);
                    s.dirty += 1;
                }
                c.reply.int(0);
            }
            None => c.reply.array_len(0),
        }
        return Ok(());
    };

    // COUNT without an order means the closest ones (not with ANY).
    if count != 0 && sort == Sort::None && !any {
        sort = Sort::Asc;
    }
    let shape = Shape {
        xy,
        conversion,
        kind,
    };
    let boxes = areas_by_shape(&shape);
    let limit = if any { count as usize } else { 0 };
    let mut ga = members_of_all_neighbors(z, &boxes, &shape, limit);

    if ga.is_empty() && storekey.is_none() {
        c.reply.array_len(0);
        return Ok(());
    }
    let result_length = ga.len();
    let returned = if count == 0 || (result_length as i64) < count {
        result_length
    } else {
        count as usize
    };
    if sort != Sort::None {
        let mut cmp = |a: &GeoPoint, b: &GeoPoint| {
            let o = a.dist.partial_cmp(&b.dist).unwrap_or(Ordering::Equal);
            if sort == Sort::Desc { o.reverse() } else { o }
        };
        if returned == result_length {
            // glibc's qsort is a merge sort: stable.
            ga.sort_by(&mut cmp);
        } else {
            crate::util::pqsort::pqsort(&mut ga, &mut cmp, 0, returned - 1);
        }
    }

    let Some(dst) = storekey else {
        let options = withdist as usize + withcoords as usize + withhash as usize;
        c.reply.array_len(returned);
        for gp in &ga[..returned] {
            if options > 0 {
                c.reply.array_len(options + 1);
            }
            c.reply.bulk(&gp.member);
            if withdist {
                c.reply.bulk(distance_text(gp.dist / conversion).as_bytes());
            }
            if withhash {
                c.reply.int(gp.score as i64);
            }
            if withcoords {
                c.reply.array_len(2);
                c.reply.human_double(gp.xy[0]);
                c.reply.human_double(gp.xy[1]);
            }
        }
        return Ok(());
    };

    let dst = dst.to_vec();
    if returned > 0 {
        let mut seen = std::collections::HashSet::new();
        let entries: Vec<(f64, Sds)> = ga
            .drain(..returned)
            .filter(|gp| seen.insert(gp.member.clone()))
            .map(|gp| {
                let score = if storedist {
                    gp.dist / conversion
                } else {
                    gp.score
                };
                (score, Sds::from_vec(gp.member))
            })
            .collect();
        let lim = ZSetLimits {
            max_entries: s.config.zset_max_listpack_entries,
            max_value: s.config.zset_max_listpack_value,
        };
        let zs = ZSet::from_entries(entries, lim);
        s.set_key(db, &dst, Value::ZSet(Arc::new(zs)), false);
        let event = if search {
            "geosearchstore"
        } else {
            "georadiusstore"
        };
        s.notify_keyspace_event(notify::ZSET, event, &dst, db);
        s.dirty += returned as u64;
    } else if s.delete_key(db, &dst) {
        s.notify_keyspace_event(notify::GENERIC, "del", &dst, db);
        s.dirty += 1;
    }
    c.reply.int(returned as i64);
    Ok(())
}

/// GEORADIUS key longitude latitude radius unit [options] [STORE|STOREDIST key].
pub fn georadius_command(s: &mut Server, c: &mut Client) -> CmdResult {
    georadius_generic(s, c, 1, RADIUS_COORDS)
}

/// GEORADIUSBYMEMBER key member radius unit [options] [STORE|STOREDIST key].
pub fn georadiusbymember_command(s: &mut Server, c: &mut Client) -> CmdResult {
    georadius_generic(s, c, 1, RADIUS_MEMBER)
}

pub fn georadius_ro_command(s: &mut Server, c: &mut Client) -> CmdResult {
    georadius_generic(s, c, 1, RADIUS_COORDS | RADIUS_NOSTORE)
}

pub fn georadiusbymember_ro_command(s: &mut Server, c: &mut Client) -> CmdResult {
    georadius_generic(s, c, 1, RADIUS_MEMBER | RADIUS_NOSTORE)
}

/// GEOSEARCH key FROMMEMBER m|FROMLONLAT lon lat BYRADIUS r unit|BYBOX w h unit [options].
pub fn geosearch_command(s: &mut Server, c: &mut Client) -> CmdResult {
    georadius_generic(s, c, 1, GEOSEARCH)
}

/// GEOSEARCHSTORE dst src ... [STOREDIST].
pub fn geosearchstore_command(s: &mut Server, c: &mut Client) -> CmdResult {
    georadius_generic(s, c, 2, GEOSEARCH | GEOSEARCHSTORE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleave_round_trips() {
        for (x, y) in [
            (0u32, 0u32),
            (1, 2),
            (0x3ff_ffff, 0x155_5555),
            (u32::MAX, 7),
        ] {
            let v = deinterleave64(interleave64(x, y));
            assert_eq!((v as u32, (v >> 32) as u32), (x, y));
        }
    }

    #[test]
    fn distances_print_as_redis() {
        assert_eq!(distance_text(0.0), "0.0000");
        assert_eq!(distance_text(166274.1516), "166274.1516");
        assert_eq!(distance_text(0.00004), "0.0000");
        assert_eq!(distance_text(0.00016), "0.0002");
        assert_eq!(distance_text(12.5), "12.5000");
    }
}
