//! Group `server`, the introspection part: SLOWLOG, MONITOR and LATENCY
//! (Redis's slowlog.c, the monitor half of replication.c, latency.c).

use super::args::{is, parse_range};
use super::{CmdResult, ReplyError};
use crate::client::Client;
use crate::server::Server;
use std::collections::VecDeque;

/// Redis's SLOWLOG_ENTRY_MAX_ARGC and SLOWLOG_ENTRY_MAX_STRING.
const SLOWLOG_MAX_ARGC: usize = 32;
const SLOWLOG_MAX_STRING: usize = 128;

pub struct SlowlogEntry {
    pub id: u64,
    pub time: i64,
    pub duration_us: u64,
    pub argv: Vec<Vec<u8>>,
    pub addr: String,
    pub name: Vec<u8>,
}

#[derive(Default)]
pub struct Slowlog {
    pub entries: VecDeque<SlowlogEntry>,
    pub next_id: u64,
}

impl Slowlog {
    /// Record a command that took `duration_us` (Redis's slowlogPushEntryIfNeeded).
    pub fn push_if_needed(
        &mut self,
        threshold: i64,
        max_len: u64,
        c: &Client,
        duration_us: u64,
        now_ms: i64,
    ) {
        if threshold < 0 || (duration_us as i64) < threshold {
            return;
        }
        let argc = c.argv.len().min(SLOWLOG_MAX_ARGC);
        let mut argv: Vec<Vec<u8>> = Vec::with_capacity(argc);
        for (i, a) in c.argv.iter().take(argc).enumerate() {
            if i == SLOWLOG_MAX_ARGC - 1 && c.argv.len() > SLOWLOG_MAX_ARGC {
                argv.push(
                    format!(
                        "... ({} more arguments)",
                        c.argv.len() - SLOWLOG_MAX_ARGC + 1
                    )
                    .into_bytes(),
                );
            } else if a.len() > SLOWLOG_MAX_STRING {
                let mut t = a[..SLOWLOG_MAX_STRING].to_vec();
                t.extend_from_slice(
                    format!("... ({} more bytes)", a.len() - SLOWLOG_MAX_STRING).as_bytes(),
                );
                argv.push(t);
            } else {
                argv.push(a.clone());
            }
        }
        self.entries.push_front(SlowlogEntry {
            id: self.next_id,
            time: now_ms / 1000,
            duration_us,
            argv,
            addr: c.addr.clone(),
            name: c.name.clone().unwrap_or_default(),
        });
        self.next_id += 1;
        while self.entries.len() as u64 > max_len {
            self.entries.pop_back();
        }
    }
}

pub fn slowlog_get_command(s: &mut Server, c: &mut Client) -> CmdResult {
    if c.argv.len() > 3 {
        return Err(super::args::subcommand_syntax_error(c));
    }
    let count = match c.argv.get(2) {
        Some(a) => parse_range(
            a,
            -1,
            i64::MAX,
            Some("ERR count should be greater than or equal to -1"),
        )?,
        None => 10,
    };
    let n = if count < 0 {
        s.slowlog.entries.len()
    } else {
        (count as usize).min(s.slowlog.entries.len())
    };
    c.reply.array_len(n);
    for e in s.slowlog.entries.iter().take(n) {
        c.reply.array_len(6);
        c.reply.int(e.id as i64);
        c.reply.int(e.time);
        c.reply.int(e.duration_us as i64);
        c.reply.array_len(e.argv.len());
        for a in &e.argv {
            c.reply.bulk(a);
        }
        c.reply.bulk_str(&e.addr);
        c.reply.bulk(&e.name);
    }
    Ok(())
}

pub fn slowlog_len_command(s: &mut Server, c: &mut Client) -> CmdResult {
    c.reply.int(s.slowlog.entries.len() as i64);
    Ok(())
}

pub fn slowlog_reset_command(s: &mut Server, c: &mut Client) -> CmdResult {
    s.slowlog.entries.clear();
    c.reply.ok();
    Ok(())
}

pub fn slowlog_help_command(_: &mut Server, c: &mut Client) -> CmdResult {
    super::args::reply_help(
        c,
        "SLOWLOG",
        &[
            "GET [<count>]",
            "    The newest <count> entries (10 by default, -1 for all).",
            "LEN",
            "    How many entries the log holds.",
            "RESET",
            "    Empty the log.",
        ],
    );
    Ok(())
}

/// C's sdscatrepr: a quoted, escaped rendering of an argument.
pub fn repr(out: &mut String, a: &[u8]) {
    out.push('"');
    for &b in a {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            7 => out.push_str("\\a"),
            8 => out.push_str("\\b"),
            32..=126 => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
}

pub fn monitor_command(s: &mut Server, c: &mut Client) -> CmdResult {
    if !c.monitor {
        c.monitor = true;
        s.monitors.push(c.slot);
    }
    c.reply.ok();
    Ok(())
}

/// Send a command line to every MONITOR client (Redis's
/// replicationFeedMonitors): `+<unix.micros> [<db> <addr>] "arg" ...`.
pub fn feed_monitors(s: &mut Server, c: &mut Client) {
    let us = crate::util::time::ustime();
    // A script's commands show as `lua`, as Redis's CLIENT_SCRIPT.
    let from_script = c.id == u64::MAX && c.sock.is_none();
    let mut line = format!(
        "{}.{:06} [{} {}]",
        us / 1_000_000,
        us % 1_000_000,
        c.db,
        if from_script { "lua" } else { c.addr.as_str() }
    );
    for a in &c.argv {
        line.push(' ');
        repr(&mut line, a);
    }
    // A monitor sees its own commands too, after their replies (Redis's
    // call feeds the monitors once the command has run).
    if c.monitor {
        c.reply.status(&line);
    }
    for slot in s.monitors.clone() {
        if slot == c.slot {
            continue;
        }
        if let Some(Some(m)) = s.clients.get_mut(slot) {
            m.reply.status(&line);
            s.pending_writes.push(slot);
        }
    }
}

/// LATENCY LATEST: each event's latest spike: [event, unix time,
/// latency ms, all-time max ms].
pub fn latency_latest_command(s: &mut Server, c: &mut Client) -> CmdResult {
    c.reply.array_len(s.latency_monitor.events.len());
    for (name, ts) in &s.latency_monitor.events {
        let (t, ms) = ts.latest();
        c.reply.array_len(4);
        c.reply.bulk(name.as_bytes());
        c.reply.int(t);
        c.reply.int(ms as i64);
        c.reply.int(ts.max as i64);
    }
    Ok(())
}

/// LATENCY HISTORY event: its samples, oldest first, [time, ms] each.
pub fn latency_history_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let name = String::from_utf8_lossy(&c.argv[2]).into_owned();
    let samples = s
        .latency_monitor
        .events
        .get(&name)
        .map(|ts| ts.history())
        .unwrap_or_default();
    c.reply.array_len(samples.len());
    for (t, ms) in samples {
        c.reply.array_len(2);
        c.reply.int(t);
        c.reply.int(ms as i64);
    }
    Ok(())
}

/// LATENCY RESET [event ...]: forget events; how many were forgotten.
pub fn latency_reset_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let n = if c.argv.len() == 2 {
        let n = s.latency_monitor.events.len();
        s.latency_monitor.events.clear();
        n
    } else {
        c.argv[2..]
            .iter()
            .filter(|e| {
                s.latency_monitor
                    .events
                    .remove(String::from_utf8_lossy(e).as_ref())
                    .is_some()
            })
            .count()
    };
    c.reply.int(n as i64);
    Ok(())
}

/// LATENCY GRAPH event: the samples as a text bar chart, tallest first.
pub fn latency_graph_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let name = String::from_utf8_lossy(&c.argv[2]).into_owned();
    let Some(ts) = s.latency_monitor.events.get(&name) else {
        return Err(ReplyError::owned(format!(
            "ERR No samples available for event '{name}'"
        )));
    };
    let samples = ts.history();
    let (hi, lo) = samples
        .iter()
        .fold((0u64, u64::MAX), |(h, l), &(_, ms)| (h.max(ms), l.min(ms)));
    let mut text = format!(
        "{name} - high {hi} ms, low {lo} ms (all time high {} ms)\n{}\n",
        ts.max,
        "-".repeat(80)
    );
    // Four rows of bars scaled to the highest sample, then each sample's
    // age in seconds (vertically).
    let now = crate::util::time::mstime() / 1000;
    for row in (1..=4u64).rev() {
        let line: String = samples
            .iter()
            .map(|&(_, ms)| if ms * 4 >= row * hi.max(1) { '#' } else { ' ' })
            .collect();
        text.push_str(line.trim_end());
        text.push('\n');
    }
    let ages: Vec<String> = samples
        .iter()
        .map(|&(t, _)| (now - t).max(0).to_string())
        .collect();
    let width = ages.iter().map(|a| a.len()).max().unwrap_or(0);
    for i in 0..width {
        let line: String = ages
            .iter()
            .map(|a| a.chars().nth(i).unwrap_or(' '))
            .collect();
        text.push_str(line.trim_end());
        text.push('\n');
    }
    c.reply.verbatim(text.as_bytes());
    Ok(())
}

/// LATENCY DOCTOR: a readable report of the recorded events.
pub fn latency_doctor_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let threshold = s.config.latency_monitor_threshold;
    let mut text = String::new();
    if s.latency_monitor.events.is_empty() {
        if threshold == 0 {
            text.push_str(
                "The latency monitor is off (latency-monitor-threshold is 0): no events are recorded.\n\
                 Set it to a number of milliseconds, e.g. CONFIG SET latency-monitor-threshold 100, to record slower events.\n",
            );
        } else {
            text.push_str(&format!(
                "No event took {threshold} ms or more since the monitor was last reset.\n"
            ));
        }
    } else {
        text.push_str(&format!(
            "Events that took at least {threshold} ms (latency-monitor-threshold):\n\n"
        ));
        for (i, (name, ts)) in s.latency_monitor.events.iter().enumerate() {
            let h = ts.history();
            let avg = h.iter().map(|&(_, ms)| ms).sum::<u64>() / h.len().max(1) as u64;
            text.push_str(&format!(
                "{}. {name}: {} spikes (one per second at most), average {avg} ms, worst {} ms, latest {} ms.\n",
                i + 1,
                h.len(),
                ts.max,
                ts.latest().1
            ));
            let advice = match name.as_str() {
                "command" => {
                    "Slow commands: check the slow log (SLOWLOG GET) for O(N) commands on big values."
                }
                "fast-command" => {
                    "O(1) and O(log N) commands were slow: the machine may be overloaded or swapping."
                }
                "expire-cycle" => {
                    "Expiring keys took long: many keys expire at the same time, or deleting big values."
                }
                "eviction-cycle" => {
                    "Eviction took long: maxmemory is often exceeded by large writes."
                }
                _ => "",
            };
            if !advice.is_empty() {
                text.push_str(&format!("   {advice}\n"));
            }
        }
    }
    c.reply.verbatim(text.as_bytes());
    Ok(())
}

/// LATENCY HISTOGRAM [command ...]: per command, its calls and the
/// cumulative distribution of their durations in microseconds.
pub fn latency_histogram_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let names = s.commands.names().to_vec();
    let with_data = |i: usize| {
        s.stats
            .latency_hist
            .get(i)
            .and_then(|h| h.as_deref())
            .filter(|h| h.total_count > 0)
    };
    let mut picked: Vec<usize> = Vec::new();
    if c.argv.len() == 2 {
        picked = (0..names.len())
            .filter(|&i| with_data(i).is_some())
            .collect();
    } else {
        for a in &c.argv[2..] {
            let want = String::from_utf8_lossy(a).to_ascii_lowercase();
            for (i, n) in names.iter().enumerate() {
                // A container asked for by name brings its subcommands.
                let parent = n.split('|').next().unwrap_or(n);
                let hit = *n == want || (!want.contains('|') && parent == want);
                if hit && with_data(i).is_some() {
                    picked.push(i);
                }
            }
        }
    }
    c.reply.map_len(picked.len());
    for i in picked {
        let Some(h) = with_data(i) else { continue };
        c.reply.bulk(names[i].as_bytes());
        c.reply.map_len(2);
        c.reply.bulk(b"calls");
        c.reply.int(h.total_count);
        c.reply.bulk(b"histogram_usec");
        let cdf = h.cdf();
        c.reply.map_len(cdf.len());
        for (us, n) in cdf {
            c.reply.int(us);
            c.reply.int(n);
        }
    }
    Ok(())
}

pub fn latency_help_command(_: &mut Server, c: &mut Client) -> CmdResult {
    super::args::reply_help(
        c,
        "LATENCY",
        &[
            "DOCTOR",
            "    A readable report of the latency events recorded.",
            "GRAPH <event>",
            "    A text chart of an event's samples.",
            "HISTOGRAM [<command> ...]",
            "    Per command, the cumulative distribution of call durations (microseconds).",
            "HISTORY <event>",
            "    An event's samples: [unix time, latency ms] pairs.",
            "LATEST",
            "    The latest spike of each event.",
            "RESET [<event> ...]",
            "    Forget recorded spikes.",
        ],
    );
    Ok(())
}

/// CLIENT PAUSE <ms> [WRITE|ALL].
pub fn client_pause_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let ms = crate::util::num::string2ll(&c.argv[2]).ok_or(ReplyError::new(
        "ERR timeout is not an integer or out of range",
    ))?;
    if ms < 0 {
        return Err(ReplyError::new("ERR timeout is negative"));
    }
    if c.argv.len() > 4 {
        return Err(super::args::subcommand_syntax_error(c));
    }
    let all = match c.argv.get(3) {
        None => true,
        Some(a) if is(a, "all") => true,
        Some(a) if is(a, "write") => false,
        Some(_) => {
            return Err(ReplyError::new(
                "ERR CLIENT PAUSE mode must be WRITE or ALL",
            ));
        }
    };
    let until = s.now_ms.saturating_add(ms);
    // A longer or stricter pause wins, as Redis's pauseClients does.
    s.pause = Some(match s.pause {
        Some((t, a)) => (t.max(until), a || all),
        None => (until, all),
    });
    c.reply.ok();
    Ok(())
}

pub fn client_unpause_command(s: &mut Server, c: &mut Client) -> CmdResult {
    s.pause = None;
    c.reply.ok();
    Ok(())
}

pub fn client_no_evict_command(_: &mut Server, c: &mut Client) -> CmdResult {
    if is(&c.argv[2], "on") || is(&c.argv[2], "off") {
        c.no_evict = is(&c.argv[2], "on");
        c.reply.ok();
        Ok(())
    } else {
        Err(super::SYNTAX_ERR)
    }
}

pub fn client_reply_command(_: &mut Server, c: &mut Client) -> CmdResult {
    let mode = &c.argv[2];
    if is(mode, "on") {
        c.reply_off = false;
        c.reply_skip_next = false;
        c.replies_suppressed = false;
        c.reply.ok();
    } else if is(mode, "off") {
        c.reply_off = true;
    } else if is(mode, "skip") {
        if !c.reply_off {
            c.reply_skip_next = true;
        }
    } else {
        return Err(super::SYNTAX_ERR);
    }
    Ok(())
}

/// Every CLUSTER subcommand: this server never runs in cluster mode, and
/// Redis without `cluster-enabled` answers them all this way.
pub fn cluster_disabled_command(_s: &mut Server, _c: &mut Client) -> CmdResult {
    Err(ReplyError::new(
        "ERR This instance has cluster support disabled",
    ))
}

/// ASKING, READONLY, READWRITE: cluster commands, refused without cluster
/// support as Redis refuses them.
pub fn asking_command(s: &mut Server, c: &mut Client) -> CmdResult {
    cluster_disabled_command(s, c)
}

pub fn readonly_command(s: &mut Server, c: &mut Client) -> CmdResult {
    cluster_disabled_command(s, c)
}

pub fn readwrite_command(s: &mut Server, c: &mut Client) -> CmdResult {
    cluster_disabled_command(s, c)
}
