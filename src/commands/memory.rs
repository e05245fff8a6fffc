//! MEMORY USAGE, DOCTOR, MALLOC-STATS, PURGE and HELP (Redis's
//! memoryCommand in object.c).

use super::args::{is, parse_i64, reply_help};
use super::{CmdResult, SYNTAX_ERR};
use crate::client::Client;
use crate::server::Server;
use crate::types::Value;

/// Redis's OBJ_COMPUTE_SIZE_DEF_SAMPLES.
const DEFAULT_SAMPLES: usize = 5;
/// What the keyspace spends on an entry besides the key and value bytes:
/// the table entry, the key's header, the object.
const ENTRY_OVERHEAD: usize = 48;

/// Bytes a value takes, estimated as Redis's objectComputeSize does:
/// strings exactly, collections from the average of up to `samples`
/// elements times their count.
fn value_size(v: &Value, samples: usize) -> usize {
    fn estimate(n: usize, samples: usize, it: impl Iterator<Item = usize>, per: usize) -> usize {
        let mut seen = 0;
        let mut sum = 0;
        for len in it.take(samples) {
            sum += len + per;
            seen += 1;
        }
        (sum * n).checked_div(seen).unwrap_or(0)
    }
    match v {
        Value::Int(_) => 0,
        Value::Small(..) => 16,
        Value::Emb(b) | Value::Raw(b) => b.capacity() + 24,
        Value::List(l) => 32 + estimate(l.len(), samples, l.iter().map(|e| e.len()), 2),
        Value::Hash(h) => {
            32 + estimate(
                h.len(),
                samples,
                h.iter().map(|(f, v)| f.len() + v.len()),
                8,
            )
        }
        Value::Set(s) => 32 + estimate(s.len(), samples, s.iter().map(|m| m.to_vec().len()), 8),
        Value::ZSet(z) => 32 + estimate(z.len(), samples, z.iter_asc().map(|(m, _)| m.len()), 24),
        Value::Stream(st) => {
            64 + st.nodes_bytes()
                + st.cgroups
                    .values()
                    .map(|g| 64 + g.pel.len() * 48 + g.consumers.len() * 64)
                    .sum::<usize>()
        }
    }
}

pub fn memory_usage_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let mut samples = DEFAULT_SAMPLES;
    let mut j = 3;
    while j < c.argv.len() {
        if is(&c.argv[j], "samples") && j + 1 < c.argv.len() {
            let n = parse_i64(&c.argv[j + 1])?;
            if n < 0 {
                return Err(SYNTAX_ERR);
            }
            samples = if n == 0 { usize::MAX } else { n as usize };
            j += 2;
        } else {
            return Err(SYNTAX_ERR);
        }
    }
    let key_len = c.argv[2].len();
    match s.lookup_notouch(c.db, &c.argv[2]) {
        None => c.reply.null(),
        Some(o) => c
            .reply
            .int((value_size(&o.value, samples) + key_len + ENTRY_OVERHEAD) as i64),
    }
    Ok(())
}

/// Redis's getMemoryDoctorReport: too little memory to judge under 5 MB;
/// otherwise no issue is reported (the peak, fragmentation and big-buffer
/// checks are not made).
pub fn memory_doctor_command(_: &mut Server, c: &mut Client) -> CmdResult {
    if crate::alloc::used_memory() < 5 * 1024 * 1024 {
        c.reply.verbatim(
            b"Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n",
        );
    } else {
        c.reply.verbatim(
            b"Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n",
        );
    }
    Ok(())
}

pub fn memory_malloc_stats_command(_: &mut Server, c: &mut Client) -> CmdResult {
    c.reply
        .verbatim(b"Stats not supported for the current allocator");
    Ok(())
}

pub fn memory_purge_command(_: &mut Server, c: &mut Client) -> CmdResult {
    c.reply.ok();
    Ok(())
}

pub fn memory_help_command(_: &mut Server, c: &mut Client) -> CmdResult {
    reply_help(
        c,
        "MEMORY",
        &[
            "DOCTOR",
            "    Return memory problems reports.",
            "MALLOC-STATS",
            "    Return internal statistics report from the memory allocator.",
            "PURGE",
            "    Attempt to purge dirty pages for reclamation by the allocator.",
            "STATS",
            "    Return information about the memory usage of the server.",
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value. Nested values are",
            "    sampled up to <count> times (default: 5, 0 means sample all).",
        ],
    );
    Ok(())
}
