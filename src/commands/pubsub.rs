//! Group `pubsub`: channel and pattern subscriptions and PUBLISH, shard
//! channels and SPUBLISH, state and commands together as in Redis's
//! pubsub.c. Subscribers are client slots; a publisher that is itself
//! subscribed (RESP3) gets its message in its own buffer. Messages are
//! RESP2 arrays or RESP3 push frames. Shard channels are a namespace of
//! their own (as on a single-shard cluster): SPUBLISH reaches only
//! SSUBSCRIBE clients, as `smessage`, and patterns never match them.

use super::CmdResult;
use crate::client::Client;
use crate::resp::reply::ReplyBuf;
use crate::server::Server;
use crate::util::glob::string_match;

/// Subscription state the server keeps.
#[derive(Default)]
pub struct PubSub {
    /// channel → subscriber slots, in subscription order.
    pub channels: std::collections::HashMap<Vec<u8>, Vec<usize>>,
    /// pattern → subscriber slots; patterns kept in subscription order.
    pub patterns: Vec<(Vec<u8>, Vec<usize>)>,
    /// shard channel → subscriber slots, in subscription order.
    pub shard_channels: std::collections::HashMap<Vec<u8>, Vec<usize>>,
}

impl Client {
    /// Every subscription, shard channels included: a RESP2 client with any
    /// is in the subscribed context (clientTotalPubSubSubscriptionCount).
    pub fn subscription_count(&self) -> usize {
        self.channels.len() + self.patterns.len() + self.shard_channels.len()
    }
}

/// Which channel namespace (Redis's pubsubtype).
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Global,
    Shard,
}

impl Kind {
    /// The count a (un)subscribe reply carries: channels and patterns, or
    /// shard channels alone.
    fn count(self, c: &Client) -> usize {
        match self {
            Kind::Global => c.channels.len() + c.patterns.len(),
            Kind::Shard => c.shard_channels.len(),
        }
    }
    fn client_list(self, c: &mut Client) -> &mut Vec<Vec<u8>> {
        match self {
            Kind::Global => &mut c.channels,
            Kind::Shard => &mut c.shard_channels,
        }
    }
    fn server_map(self, s: &mut Server) -> &mut std::collections::HashMap<Vec<u8>, Vec<usize>> {
        match self {
            Kind::Global => &mut s.pubsub.channels,
            Kind::Shard => &mut s.pubsub.shard_channels,
        }
    }
    fn sub_name(self) -> &'static str {
        match self {
            Kind::Global => "subscribe",
            Kind::Shard => "ssubscribe",
        }
    }
    fn unsub_name(self) -> &'static str {
        match self {
            Kind::Global => "unsubscribe",
            Kind::Shard => "sunsubscribe",
        }
    }
}

/// A (un)subscribe confirmation (an array in RESP2, a push in RESP3).
/// CLIENT REPLY OFF/SKIP does not silence pub/sub frames in either
/// protocol (Redis's CLIENT_PUSHING): kept aside, sent after the command.
fn reply_sub_event(c: &mut Client, kind: &str, name: Option<&[u8]>, count: usize) {
    if c.replies_suppressed {
        let mut side = ReplyBuf::new();
        side.resp = c.reply.resp;
        write_sub_event(&mut side, kind, name, count);
        c.kept_pushes.extend_from_slice(&side.buf);
    } else {
        write_sub_event(&mut c.reply, kind, name, count);
    }
}

fn write_sub_event(r: &mut ReplyBuf, kind: &str, name: Option<&[u8]>, count: usize) {
    r.push_len(3);
    r.bulk_str(kind);
    match name {
        Some(n) => r.bulk(n),
        None => r.null(),
    }
    r.int(count as i64);
}

fn subscribe(s: &mut Server, c: &mut Client, ch: Vec<u8>, kind: Kind) {
    if !kind.client_list(c).contains(&ch) {
        let slot = c.slot;
        kind.server_map(s).entry(ch.clone()).or_default().push(slot);
        kind.client_list(c).push(ch.clone());
    }
    let n = kind.count(c);
    reply_sub_event(c, kind.sub_name(), Some(&ch), n);
}

/// True if the client was subscribed.
fn unsubscribe(s: &mut Server, c: &mut Client, ch: &[u8], notify: bool, kind: Kind) -> bool {
    let list = kind.client_list(c);
    let found = list.iter().position(|x| x.as_slice() == ch);
    if let Some(pos) = found {
        list.remove(pos);
        let slot = c.slot;
        let map = kind.server_map(s);
        if let Some(v) = map.get_mut(ch) {
            v.retain(|&x| x != slot);
            if v.is_empty() {
                map.remove(ch);
            }
        }
    }
    if notify {
        let n = kind.count(c);
        reply_sub_event(c, kind.unsub_name(), Some(ch), n);
    }
    found.is_some()
}

fn psubscribe(s: &mut Server, c: &mut Client, pat: Vec<u8>) {
    if !c.patterns.contains(&pat) {
        match s.pubsub.patterns.iter_mut().find(|(p, _)| *p == pat) {
            Some((_, v)) => v.push(c.slot),
            None => s.pubsub.patterns.push((pat.clone(), vec![c.slot])),
        }
        c.patterns.push(pat.clone());
    }
    let n = Kind::Global.count(c);
    reply_sub_event(c, "psubscribe", Some(&pat), n);
}

fn punsubscribe(s: &mut Server, c: &mut Client, pat: &[u8], notify: bool) {
    if let Some(pos) = c.patterns.iter().position(|x| x.as_slice() == pat) {
        c.patterns.remove(pos);
        if let Some(i) = s
            .pubsub
            .patterns
            .iter()
            .position(|(p, _)| p.as_slice() == pat)
        {
            s.pubsub.patterns[i].1.retain(|&slot| slot != c.slot);
            if s.pubsub.patterns[i].1.is_empty() {
                s.pubsub.patterns.remove(i);
            }
        }
    }
    if notify {
        let n = Kind::Global.count(c);
        reply_sub_event(c, "punsubscribe", Some(pat), n);
    }
}

/// Drop every subscription (disconnect, RESET), without replies.
pub fn unsubscribe_all(s: &mut Server, c: &mut Client) {
    for ch in c.channels.clone() {
        unsubscribe(s, c, &ch, false, Kind::Global);
    }
    for ch in c.shard_channels.clone() {
        unsubscribe(s, c, &ch, false, Kind::Shard);
    }
    for p in c.patterns.clone() {
        punsubscribe(s, c, &p, false);
    }
}

pub fn subscribe_command(s: &mut Server, c: &mut Client) -> CmdResult {
    for i in 1..c.argv.len() {
        let ch = c.argv[i].clone();
        subscribe(s, c, ch, Kind::Global);
    }
    Ok(())
}

/// SSUBSCRIBE shardchannel [...]. Unlike SUBSCRIBE, refused inside EXEC
/// (Redis's CLIENT_DENY_BLOCKING without the MULTI exemption).
pub fn ssubscribe_command(s: &mut Server, c: &mut Client) -> CmdResult {
    if c.in_exec {
        return Err(super::ReplyError::new(
            "ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client",
        ));
    }
    for i in 1..c.argv.len() {
        let ch = c.argv[i].clone();
        subscribe(s, c, ch, Kind::Shard);
    }
    Ok(())
}

fn unsubscribe_generic(s: &mut Server, c: &mut Client, kind: Kind) {
    let targets: Vec<Vec<u8>> = if c.argv.len() > 1 {
        c.argv[1..].to_vec()
    } else {
        kind.client_list(c).clone()
    };
    if targets.is_empty() {
        let n = kind.count(c);
        reply_sub_event(c, kind.unsub_name(), None, n);
    }
    for ch in targets {
        unsubscribe(s, c, &ch, true, kind);
    }
}

pub fn unsubscribe_command(s: &mut Server, c: &mut Client) -> CmdResult {
    unsubscribe_generic(s, c, Kind::Global);
    Ok(())
}

pub fn sunsubscribe_command(s: &mut Server, c: &mut Client) -> CmdResult {
    unsubscribe_generic(s, c, Kind::Shard);
    Ok(())
}

pub fn psubscribe_command(s: &mut Server, c: &mut Client) -> CmdResult {
    for i in 1..c.argv.len() {
        let p = c.argv[i].clone();
        psubscribe(s, c, p);
    }
    Ok(())
}

pub fn punsubscribe_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let targets: Vec<Vec<u8>> = if c.argv.len() > 1 {
        c.argv[1..].to_vec()
    } else {
        c.patterns.clone()
    };
    if targets.is_empty() {
        let n = Kind::Global.count(c);
        reply_sub_event(c, "punsubscribe", None, n);
    }
    for p in targets {
        punsubscribe(s, c, &p, true);
    }
    Ok(())
}

fn write_message(r: &mut ReplyBuf, kind: &[u8], ch: &[u8], msg: &[u8]) {
    r.push_len(3);
    r.bulk(kind);
    r.bulk(ch);
    r.bulk(msg);
}

fn write_pmessage(r: &mut ReplyBuf, pat: &[u8], ch: &[u8], msg: &[u8]) {
    r.push_len(4);
    r.bulk(b"pmessage");
    r.bulk(pat);
    r.bulk(ch);
    r.bulk(msg);
}

/// A message for a subscriber that is out of the client slab while it
/// runs a command (or is being served): delivered right after that.
pub struct DeferredPush {
    pub slot: usize,
    /// Where in the running client's reply buffer Redis would have written
    /// it (the reply position last noted), so it lands there, not after.
    pub pos: Option<usize>,
    pub pattern: Option<Vec<u8>>,
    /// An SPUBLISH message (`smessage`).
    pub sharded: bool,
    pub channel: Vec<u8>,
    pub message: Vec<u8>,
}

impl DeferredPush {
    fn write(&self, r: &mut ReplyBuf) {
        match &self.pattern {
            Some(p) => write_pmessage(r, p, &self.channel, &self.message),
            None => write_message(r, message_kind(self.sharded), &self.channel, &self.message),
        }
    }
}

/// Deliver a message (Redis's pubsubPublishMessage): channel subscribers
/// first, then pattern subscribers. Returns how many received it. The
/// publishing client, when subscribed itself, gets it in place unless its
/// replies are switched off (a push is not a reply: it is delivered after
/// the command then).
pub fn publish(s: &mut Server, c: &mut Client, ch: &[u8], msg: &[u8]) -> usize {
    publish_to(s, Some(c), ch, msg, false)
}

fn message_kind(sharded: bool) -> &'static [u8] {
    if sharded { b"smessage" } else { b"message" }
}

/// Publish with no client at hand (keyspace notifications, expiry): a
/// subscriber that is out of the slab gets the message after its command.
pub fn publish_message(s: &mut Server, ch: &[u8], msg: &[u8]) -> usize {
    publish_to(s, None, ch, msg, false)
}

fn publish_to(
    s: &mut Server,
    mut current: Option<&mut Client>,
    ch: &[u8],
    msg: &[u8],
    sharded: bool,
) -> usize {
    let hard = s.config.pubsub_limits.0;
    let Server {
        clients,
        pubsub,
        pending_writes,
        deferred_pushes,
        reply_pos,
        ..
    } = s;
    let pos = *reply_pos;
    let mut receivers = 0;
    let mut deliver = |slot: usize, pat: Option<&[u8]>| {
        receivers += 1;
        let write = |r: &mut ReplyBuf| match pat {
            Some(p) => write_pmessage(r, p, ch, msg),
            None => write_message(r, message_kind(sharded), ch, msg),
        };
        let defer = |q: &mut Vec<DeferredPush>| {
            q.push(DeferredPush {
                slot,
                pos: pos.filter(|&(s, _)| s == slot).map(|(_, p)| p),
                pattern: pat.map(<[u8]>::to_vec),
                sharded,
                channel: ch.to_vec(),
                message: msg.to_vec(),
            })
        };
        match current.as_deref_mut() {
            Some(c) if c.slot == slot => {
                if c.replies_suppressed {
                    defer(deferred_pushes);
                } else {
                    write(&mut c.reply);
                }
                return;
            }
            _ => {}
        }
        match clients.get_mut(slot) {
            Some(Some(sub)) => {
                // A subscriber that does not read is cut off at the hard
                // limit rather than growing the server's memory without bound.
                if hard > 0 && sub.reply.pending() as u64 > hard {
                    sub.close_asap = true;
                } else if !sub.close_asap {
                    write(&mut sub.reply);
                }
                if !sub.pending_write {
                    sub.pending_write = true;
                    pending_writes.push(slot);
                }
            }
            // Out of the slab: the client running the command.
            _ => defer(deferred_pushes),
        }
    };
    let map = if sharded {
        &pubsub.shard_channels
    } else {
        &pubsub.channels
    };
    if let Some(slots) = map.get(ch) {
        for &slot in slots {
            deliver(slot, None);
        }
    }
    if sharded {
        return receivers;
    }
    for (pat, slots) in &pubsub.patterns {
        if string_match(pat, ch, false) {
            for &slot in slots {
                deliver(slot, Some(pat));
            }
        }
    }
    receivers
}

/// Write the messages held for `c` while it was out of the slab.
#[inline]
pub fn deliver_deferred_pushes(s: &mut Server, c: &mut Client) {
    if !s.deferred_pushes.is_empty() {
        deliver_deferred_to(s, c);
    }
}

#[inline(never)]
fn deliver_deferred_to(s: &mut Server, c: &mut Client) {
    let mut rest = Vec::new();
    // Bytes already inserted, so later positions shift by as much.
    let mut shift = 0;
    for p in std::mem::take(&mut s.deferred_pushes) {
        if p.slot != c.slot {
            rest.push(p);
            continue;
        }
        let mut frame = ReplyBuf::new();
        frame.resp = c.reply.resp;
        p.write(&mut frame);
        let len = c.reply.buf.len();
        let at = p
            .pos
            .map_or(len, |pos| (pos + shift).clamp(c.reply.sent, len));
        c.reply.buf.splice(at..at, frame.buf.iter().copied());
        shift += frame.buf.len();
    }
    s.deferred_pushes = rest;
}

/// Deliver whatever is still held (before sleeping, every client is back
/// in the slab); messages for clients gone meanwhile are dropped.
#[inline]
pub fn deliver_all_deferred_pushes(s: &mut Server) {
    if !s.deferred_pushes.is_empty() {
        deliver_all_deferred(s);
    }
}

#[inline(never)]
fn deliver_all_deferred(s: &mut Server) {
    for p in std::mem::take(&mut s.deferred_pushes) {
        if let Some(Some(sub)) = s.clients.get_mut(p.slot) {
            // (Left over from a serve: no position applies any more.)
            p.write(&mut sub.reply);
            if !sub.pending_write {
                sub.pending_write = true;
                s.pending_writes.push(p.slot);
            }
        }
    }
}

pub fn publish_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let (ch, msg) = (c.argv[1].clone(), c.argv[2].clone());
    let n = publish(s, c, &ch, &msg);
    c.reply.int(n as i64);
    s.propagate_to_replicas(c.db, &c.argv);
    Ok(())
}

/// SPUBLISH shardchannel message: to SSUBSCRIBE clients only.
pub fn spublish_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let (ch, msg) = (c.argv[1].clone(), c.argv[2].clone());
    let n = publish_to(s, Some(c), &ch, &msg, true);
    c.reply.int(n as i64);
    s.propagate_to_replicas(c.db, &c.argv);
    Ok(())
}

pub fn pubsub_channels_command(s: &mut Server, c: &mut Client) -> CmdResult {
    channel_list(c, &s.pubsub.channels)
}

pub fn pubsub_shardchannels_command(s: &mut Server, c: &mut Client) -> CmdResult {
    channel_list(c, &s.pubsub.shard_channels)
}

/// PUBSUB CHANNELS / SHARDCHANNELS [pattern] (channelList).
fn channel_list(c: &mut Client, map: &std::collections::HashMap<Vec<u8>, Vec<usize>>) -> CmdResult {
    if c.argv.len() > 3 {
        return Err(super::args::subcommand_syntax_error(c));
    }
    let pat = c.argv.get(2).cloned();
    let names: Vec<&Vec<u8>> = map
        .keys()
        .filter(|ch| pat.as_ref().is_none_or(|p| string_match(p, ch, false)))
        .collect();
    c.reply.array_len(names.len());
    for n in names {
        c.reply.bulk(n);
    }
    Ok(())
}

pub fn pubsub_numsub_command(s: &mut Server, c: &mut Client) -> CmdResult {
    numsub(c, &s.pubsub.channels)
}

pub fn pubsub_shardnumsub_command(s: &mut Server, c: &mut Client) -> CmdResult {
    numsub(c, &s.pubsub.shard_channels)
}

fn numsub(c: &mut Client, map: &std::collections::HashMap<Vec<u8>, Vec<usize>>) -> CmdResult {
    c.reply.array_len(2 * (c.argv.len() - 2));
    for i in 2..c.argv.len() {
        let n = map.get(&c.argv[i]).map(|v| v.len()).unwrap_or(0);
        c.reply.bulk(&c.argv[i].clone());
        c.reply.int(n as i64);
    }
    Ok(())
}

pub fn pubsub_numpat_command(s: &mut Server, c: &mut Client) -> CmdResult {
    c.reply.int(s.pubsub.patterns.len() as i64);
    Ok(())
}

pub fn pubsub_help_command(_: &mut Server, c: &mut Client) -> CmdResult {
    super::args::reply_help(
        c,
        "PUBSUB",
        &[
            "CHANNELS [<pattern>]",
            "    Channels with at least one subscriber, optionally matching <pattern>.",
            "NUMPAT",
            "    How many distinct patterns are subscribed to.",
            "NUMSUB [<channel> ...]",
            "    Subscriber counts of the given channels.",
            "SHARDCHANNELS [<pattern>]",
            "    Shard channels with at least one subscriber, optionally matching <pattern>.",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Subscriber counts of the given shard channels.",
        ],
    );
    Ok(())
}
