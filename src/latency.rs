//! Latency measurements (Redis's latency.c and its hdr_histogram use):
//!
//! - per-command histograms of call durations in nanoseconds, HDR-style
//!   (values from 1 ns to 1 s kept to 2 significant digits), behind
//!   LATENCY HISTOGRAM and INFO latencystats;
//! - the latency monitor: events (`command`, `fast-command`,
//!   `expire-cycle`, `eviction-cycle`) slower than
//!   `latency-monitor-threshold` ms, one sample per second per event in a
//!   ring of 160, behind LATENCY LATEST / HISTORY / GRAPH / DOCTOR / RESET.

use std::collections::BTreeMap;

const HIST_MIN: i64 = 1;
const HIST_MAX: i64 = 1_000_000_000;
/// 2 significant digits: 256 sub-buckets (the first 200 values exact).
const SUB_BUCKET_COUNT: i64 = 256;
const SUB_BUCKET_HALF_COUNT: i64 = 128;
const SUB_BUCKET_HALF_COUNT_MAGNITUDE: i32 = 7;
const SUB_BUCKET_MASK: i64 = SUB_BUCKET_COUNT - 1;
/// Buckets to cover HIST_MAX with 256 sub-buckets each (doubling).
const BUCKET_COUNT: i32 = 23;
const COUNTS_LEN: usize = ((BUCKET_COUNT + 1) as i64 * SUB_BUCKET_HALF_COUNT) as usize;

/// An HDR histogram with Redis's parameters (unit magnitude 0).
#[derive(Clone)]
pub struct Histogram {
    /// The counts array in pieces of 128, each allocated when a value
    /// first lands in it: a command's calls span a few doublings, so it
    /// costs a few KiB instead of the whole 24 KiB array Redis allocates.
    pieces: Vec<Option<Box<[i64; PIECE]>>>,
    pub total_count: i64,
}

const PIECE: usize = SUB_BUCKET_HALF_COUNT as usize;

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            pieces: vec![None; COUNTS_LEN.div_ceil(PIECE)],
            total_count: 0,
        }
    }
}

fn bucket_index(value: i64) -> i32 {
    let pow2ceiling = 64 - (value | SUB_BUCKET_MASK).leading_zeros() as i32;
    pow2ceiling - (SUB_BUCKET_HALF_COUNT_MAGNITUDE + 1)
}

fn sub_bucket_index(value: i64, bucket: i32) -> i64 {
    value >> bucket
}

fn counts_index(bucket: i32, sub: i64) -> usize {
    let base = ((bucket + 1) as i64) << SUB_BUCKET_HALF_COUNT_MAGNITUDE;
    (base + sub - SUB_BUCKET_HALF_COUNT) as usize
}

fn value_at_index(index: usize) -> i64 {
    let mut bucket = (index as i64 >> SUB_BUCKET_HALF_COUNT_MAGNITUDE) as i32 - 1;
    let mut sub = (index as i64 & (SUB_BUCKET_HALF_COUNT - 1)) + SUB_BUCKET_HALF_COUNT;
    if bucket < 0 {
        sub -= SUB_BUCKET_HALF_COUNT;
        bucket = 0;
    }
    sub << bucket
}

fn lowest_equivalent(value: i64) -> i64 {
    let b = bucket_index(value);
    sub_bucket_index(value, b) << b
}

fn equivalent_range(value: i64) -> i64 {
    let b = bucket_index(value);
    let s = sub_bucket_index(value, b);
    let adjusted = if s >= SUB_BUCKET_COUNT { b + 1 } else { b };
    1 << adjusted
}

fn highest_equivalent(value: i64) -> i64 {
    lowest_equivalent(value) + equivalent_range(value) - 1
}

impl Histogram {
    /// Record one duration in nanoseconds, clamped to the range.
    pub fn record(&mut self, ns: i64) {
        let v = ns.clamp(HIST_MIN, HIST_MAX);
        let b = bucket_index(v);
        let i = counts_index(b, sub_bucket_index(v, b));
        if let Some(piece) = self.pieces.get_mut(i / PIECE) {
            piece.get_or_insert_with(|| Box::new([0; PIECE]))[i % PIECE] += 1;
            self.total_count += 1;
        }
    }

    /// The count at a flat index of the HDR counts array.
    fn count_at(&self, i: usize) -> i64 {
        match self.pieces.get(i / PIECE) {
            Some(Some(p)) => p[i % PIECE],
            _ => 0,
        }
    }

    /// hdr_value_at_percentile.
    pub fn value_at_percentile(&self, percentile: f64) -> i64 {
        let p = percentile.min(100.0);
        let want = ((p / 100.0 * self.total_count as f64) + 0.5) as i64;
        let want = want.max(1);
        let mut total = 0;
        // Where the running count reaches `want` (the last index if never).
        let mut at = COUNTS_LEN - 1;
        for i in 0..COUNTS_LEN {
            if self.pieces[i / PIECE].is_none() {
                continue;
            }
            total += self.count_at(i);
            if total >= want {
                at = i;
                break;
            }
        }
        let v = value_at_index(at);
        if percentile == 0.0 {
            lowest_equivalent(v)
        } else {
            highest_equivalent(v)
        }
    }

    /// The cumulative distribution LATENCY HISTOGRAM shows: at powers of
    /// two from 1024 ns (hdr_iter_log_init(1024, 2)), the highest value
    /// of the bucket reached, in microseconds, and how many calls took at
    /// most that, where that count grew.
    pub fn cdf(&self) -> Vec<(i64, i64)> {
        let mut out = Vec::new();
        let mut level: i64 = 1024;
        let mut level_low = lowest_equivalent(level);
        let mut index: isize = -1;
        let mut cumulative = 0;
        let mut value = 0;
        let mut highest = 0;
        let mut previous = 0;
        loop {
            let more =
                cumulative < self.total_count || value_at_index((index + 1) as usize) > level_low;
            if !more {
                break;
            }
            // log_iter_next: walk buckets until the reporting level.
            loop {
                if value >= level_low {
                    level *= 2;
                    level_low = lowest_equivalent(level);
                    break;
                }
                index += 1;
                if index as usize >= COUNTS_LEN {
                    break;
                }
                let count = self.count_at(index as usize);
                cumulative += count;
                value = value_at_index(index as usize);
                highest = lowest_equivalent(value) + equivalent_range(value) - 1;
            }
            if cumulative > previous {
                out.push((highest / 1000, cumulative));
            }
            previous = cumulative;
            if index as usize >= COUNTS_LEN || level > HIST_MAX * 4 {
                break;
            }
        }
        out
    }
}

/// One event's samples (latencyTimeSeries): a ring of 160, one per second.
#[derive(Clone, Default)]
pub struct TimeSeries {
    idx: usize,
    pub max: u64,
    samples: Vec<(i64, u64)>,
}

const TS_LEN: usize = 160;

impl TimeSeries {
    fn add(&mut self, now_s: i64, ms: u64) {
        if self.samples.is_empty() {
            self.samples = vec![(0, 0); TS_LEN];
        }
        self.max = self.max.max(ms);
        let prev = (self.idx + TS_LEN - 1) % TS_LEN;
        if self.samples[prev].0 == now_s {
            if ms > self.samples[prev].1 {
                self.samples[prev].1 = ms;
            }
            return;
        }
        self.samples[self.idx] = (now_s, ms);
        self.idx = (self.idx + 1) % TS_LEN;
    }

    /// The latest sample (time, latency).
    pub fn latest(&self) -> (i64, u64) {
        let prev = (self.idx + TS_LEN - 1) % TS_LEN;
        self.samples.get(prev).copied().unwrap_or((0, 0))
    }

    /// Every sample, oldest first.
    pub fn history(&self) -> Vec<(i64, u64)> {
        (0..TS_LEN)
            .filter_map(|j| self.samples.get((self.idx + j) % TS_LEN).copied())
            .filter(|s| s.0 != 0)
            .collect()
    }
}

/// The latency monitor's events, by name.
#[derive(Default)]
pub struct Monitor {
    pub events: BTreeMap<String, TimeSeries>,
}

impl Monitor {
    /// latencyAddSampleIfNeeded: only at or above the threshold (0: off).
    pub fn add_if_needed(&mut self, threshold_ms: u64, event: &str, ms: u64) {
        if threshold_ms > 0 && ms >= threshold_ms {
            let now = crate::util::time::mstime() / 1000;
            self.events
                .entry(event.to_string())
                .or_default()
                .add(now, ms);
        }
    }
}

/// A percentile as Redis names it in INFO and CONFIG (`%f`, trailing
/// zeros and dot dropped): 50, 99, 99.9.
pub fn percentile_name(p: f64) -> String {
    let mut s = format!("{p:.6}");
    while s.ends_with('0') {
        s.pop();
    }
    if s.ends_with('.') {
        s.pop();
    }
    s
}

/// latency-tracking-info-percentiles: numbers in [0, 100], "" for none.
pub fn parse_percentiles(v: &[String]) -> Result<Vec<f64>, String> {
    let words: Vec<&str> = v.iter().flat_map(|a| a.split_whitespace()).collect();
    let mut out = Vec::new();
    for w in words {
        let p = crate::util::num::string2d(w.as_bytes())
            .ok_or("Invalid latency-tracking-info-percentiles parameters")?;
        if !(0.0..=100.0).contains(&p) {
            return Err(
                "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
                    .into(),
            );
        }
        out.push(p);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_and_cdf() {
        let mut h = Histogram::default();
        for ns in [500, 1000, 1500, 3000, 10_000, 250_000] {
            h.record(ns);
        }
        assert_eq!(h.total_count, 6);
        let p50 = h.value_at_percentile(50.0);
        assert!((1500..1600).contains(&p50), "{p50}");
        let p100 = h.value_at_percentile(100.0);
        assert!((250_000..252_000).contains(&p100), "{p100}");
        let cdf = h.cdf();
        assert_eq!(cdf.last().map(|c| c.1), Some(6));
        assert!(
            cdf.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1),
            "{cdf:?}"
        );
    }

    #[test]
    fn time_series_keeps_one_sample_per_second() {
        let mut ts = TimeSeries::default();
        ts.add(100, 5);
        ts.add(100, 9);
        ts.add(101, 3);
        assert_eq!(ts.history(), vec![(100, 9), (101, 3)]);
        assert_eq!(ts.max, 9);
        assert_eq!(ts.latest(), (101, 3));
    }
}
