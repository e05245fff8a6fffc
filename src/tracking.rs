//! Client-side caching (Redis's tracking.c). A tracking client's reads
//! remember which keys it may cache (the tracking table: key → client
//! IDs); the "key modified" signal (`Server::signal_modified_key`) sends
//! each of them one invalidation and forgets the key. BCAST clients track
//! prefixes instead: modified keys are collected per prefix and sent once
//! per event-loop iteration, before sleeping. FLUSHDB/FLUSHALL invalidate
//! everything with a null.
//!
//! Invalidations are RESP3 `invalidate` pushes, or, for a RESP2 client
//! redirecting to one that is subscribed, `message`s on
//! `__redis__:invalidate`. The client running a command is out of the
//! client slab: what is meant for it waits until its command has replied
//! (Redis's tracking_pending_keys), as Redis sends it then.

use crate::client::Client;
use crate::server::Server;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A client's tracking state (Redis's CLIENT_TRACKING_* flags, the
/// redirection and the BCAST prefixes).
#[derive(Default, Clone)]
pub struct ClientTracking {
    /// Client ID invalidations go to (0: this connection).
    pub redirect: u64,
    pub bcast: bool,
    pub optin: bool,
    pub optout: bool,
    pub noloop: bool,
    /// CLIENT CACHING yes/no given for the next command.
    pub caching: bool,
    /// The redirection target went away.
    pub broken_redir: bool,
    /// BCAST prefixes, in byte order (as a rax lists them).
    pub prefixes: BTreeSet<Vec<u8>>,
}

/// One prefix's broadcast state: keys modified since the last broadcast
/// (with the ID of the client that modified each, for NOLOOP) and the
/// clients subscribed to it.
#[derive(Default)]
struct Bcast {
    keys: BTreeMap<Vec<u8>, Option<u64>>,
    clients: BTreeSet<u64>,
}

/// What an invalidation carries.
enum Payload {
    /// One key: a one-element array.
    Key(Vec<u8>),
    /// Prebuilt protocol: a BCAST array of keys, or the null a flush sends
    /// (in the tracking client's own protocol, as Redis builds it).
    Proto(Vec<u8>),
}

#[derive(Default)]
pub struct Tracking {
    /// key → IDs of the clients that may have cached it.
    table: HashMap<Vec<u8>, BTreeSet<u64>>,
    /// Every ID in `table` (tracking_total_items).
    total_items: u64,
    prefixes: BTreeMap<Vec<u8>, Bcast>,
    /// Clients with tracking on (tracking_clients).
    pub clients: usize,
    /// Invalidations meant for the running client (or going through it):
    /// (tracking client ID, payload), sent after its command.
    pending: Vec<(u64, Payload)>,
    /// How many times in a row the table stayed over its limit.
    limit_timeout_counter: u32,
    /// A read-only command ran inside a script: the script's caller
    /// remembers the script's keys.
    pub script_read: bool,
}

impl Tracking {
    pub fn total_keys(&self) -> usize {
        self.table.len()
    }
    pub fn total_items(&self) -> u64 {
        self.total_items
    }
    pub fn total_prefixes(&self) -> usize {
        self.prefixes.len()
    }
}

fn key_array(key: &[u8]) -> Vec<u8> {
    let mut v = format!("*1\r\n${}\r\n", key.len()).into_bytes();
    v.extend_from_slice(key);
    v.extend_from_slice(b"\r\n");
    v
}

impl Server {
    /// The slot of a connected client by ID (Redis's lookupClientByID).
    pub fn slot_of_client(&self, id: u64) -> Option<usize> {
        self.client_ids.get(&id).copied()
    }

    /// CLIENT TRACKING on (enableTracking): options already checked.
    pub fn enable_tracking(&mut self, c: &mut Client, t: ClientTracking, prefixes: &[Vec<u8>]) {
        let was_on = c.tracking.is_some();
        if !was_on {
            self.tracking.clients += 1;
        }
        let mut st = c.tracking.take().unwrap_or_default();
        st.redirect = t.redirect;
        st.broken_redir = false;
        st.bcast = t.bcast;
        st.optin = t.optin;
        st.optout = t.optout;
        st.noloop = t.noloop;
        if t.bcast {
            let wanted: Vec<Vec<u8>> = if prefixes.is_empty() {
                vec![Vec::new()]
            } else {
                prefixes.to_vec()
            };
            for p in wanted {
                let bs = self.tracking.prefixes.entry(p.clone()).or_default();
                if bs.clients.insert(c.id) {
                    st.prefixes.insert(p);
                }
            }
        }
        c.tracking = Some(st);
    }

    /// CLIENT TRACKING off, RESET, disconnection (disableTracking).
    pub fn disable_tracking(&mut self, c: &mut Client) {
        let Some(st) = c.tracking.take() else {
            return;
        };
        for p in &st.prefixes {
            if let Some(bs) = self.tracking.prefixes.get_mut(p) {
                bs.clients.remove(&c.id);
                if bs.clients.is_empty() {
                    self.tracking.prefixes.remove(p);
                }
            }
        }
        self.tracking.clients -= 1;
    }

    /// After a read-only command of a tracking client (not BCAST):
    /// remember its keys for it, unless OPTIN/OPTOUT says otherwise
    /// (trackingRememberKeys).
    pub fn tracking_remember_keys(
        &mut self,
        c: &Client,
        spec: &'static crate::commands::CommandSpec,
    ) {
        let Some(st) = c.tracking.as_ref() else {
            return;
        };
        if st.bcast || (st.optin && !st.caching) || (st.optout && st.caching) {
            return;
        }
        if spec.has_flag("pubsub") {
            return;
        }
        for i in crate::commands::key_positions(spec, &c.argv) {
            let ids = self.tracking.table.entry(c.argv[i].clone()).or_default();
            if ids.insert(c.id) {
                self.tracking.total_items += 1;
            }
        }
    }

    /// The key-modified signal's tracking part (trackingInvalidateKey):
    /// every client that may cache `key` hears once and is forgotten;
    /// BCAST prefixes collect it. `modifier`: the client that changed it
    /// (None for expiry, eviction, a script).
    pub fn tracking_invalidate_key(&mut self, key: &[u8], modifier: Option<u64>, bcast: bool) {
        if bcast && !self.tracking.prefixes.is_empty() {
            for (p, bs) in self.tracking.prefixes.iter_mut() {
                if key.starts_with(p) {
                    bs.keys.insert(key.to_vec(), modifier);
                }
            }
        }
        let Some(ids) = self.tracking.table.remove(key) else {
            return;
        };
        self.tracking.total_items -= ids.len() as u64;
        for id in ids {
            let Some(slot) = self.slot_of_client(id) else {
                continue;
            };
            let running = !matches!(self.clients.get(slot), Some(Some(_)));
            if !running {
                let Some(Some(t)) = self.clients.get(slot) else {
                    continue;
                };
                match &t.tracking {
                    Some(st) if !st.bcast => {}
                    _ => continue,
                }
                self.send_tracking_message(None, id, Payload::Key(key.to_vec()));
            } else {
                // The running client: NOLOOP skips its own changes; the
                // rest waits for its reply.
                self.tracking.pending.push((id, Payload::Key(key.to_vec())));
            }
        }
    }

    /// FLUSHDB / FLUSHALL: every tracking client is told everything went
    /// (a null), and the table is emptied (trackingInvalidateKeysOnFlush).
    pub fn tracking_invalidate_on_flush(&mut self) {
        if self.tracking.clients > 0 {
            let ids: Vec<(u64, usize)> = self.client_ids.iter().map(|(&i, &s)| (i, s)).collect();
            for (id, slot) in ids {
                match self.clients.get(slot) {
                    Some(Some(c)) => {
                        if c.tracking.is_some() {
                            let null = null_of(c.reply.resp);
                            self.send_tracking_message(None, id, Payload::Proto(null));
                        }
                    }
                    // The running client: told after its reply, in its
                    // protocol then (an empty payload stands for that).
                    _ => self.tracking.pending.push((id, Payload::Proto(Vec::new()))),
                }
            }
        }
        self.tracking.table.clear();
        self.tracking.total_items = 0;
    }

    /// Send the invalidations waiting for the running client `c` (after
    /// its command's reply: trackingHandlePendingKeyInvalidations).
    #[inline]
    pub fn tracking_flush_pending(&mut self, c: &mut Client) {
        if !self.tracking.pending.is_empty() {
            self.tracking_flush_pending_slow(c);
        }
    }

    fn tracking_flush_pending_slow(&mut self, c: &mut Client) {
        for (id, p) in std::mem::take(&mut self.tracking.pending) {
            let p = match p {
                Payload::Proto(v) if v.is_empty() => Payload::Proto(null_of(c.reply.resp)),
                p => p,
            };
            if id == c.id {
                // As for any target: tracking still on, not BCAST for a
                // key, and NOLOOP skips what it changed itself.
                let Some(st) = c.tracking.as_ref() else {
                    continue;
                };
                if matches!(p, Payload::Key(_)) && (st.bcast || st.noloop) {
                    continue;
                }
            }
            self.send_tracking_message(Some(c), id, p);
        }
    }

    /// Before sleeping every client is in the slab: whatever still waits
    /// (meant for a client that was running) goes out now.
    pub fn tracking_flush_idle(&mut self) {
        if self.tracking.pending.is_empty() {
            return;
        }
        for (id, p) in std::mem::take(&mut self.tracking.pending) {
            let Some(Some(c)) = self.slot_of_client(id).and_then(|s| self.clients.get(s)) else {
                continue;
            };
            let Some(st) = c.tracking.as_ref() else {
                continue;
            };
            let p = match p {
                Payload::Proto(v) if v.is_empty() => Payload::Proto(null_of(c.reply.resp)),
                Payload::Key(_) if st.bcast => continue,
                p => p,
            };
            self.send_tracking_message(None, id, p);
        }
    }

    /// sendTrackingMessage: to the client `id`, or the client it
    /// redirects to; `current` is the running client (out of the slab).
    fn send_tracking_message(&mut self, mut current: Option<&mut Client>, id: u64, p: Payload) {
        // The tracking client's redirection.
        let redirect = {
            let st = match current.as_deref() {
                Some(c) if c.id == id => c.tracking.as_ref(),
                _ => self
                    .slot_of_client(id)
                    .and_then(|s| self.clients.get(s))
                    .and_then(|c| c.as_ref())
                    .and_then(|c| c.tracking.as_ref()),
            };
            match st {
                Some(st) => st.redirect,
                None => return,
            }
        };
        let dest_id = if redirect != 0 {
            let exists = self.slot_of_client(redirect).is_some();
            if !exists {
                // Tell the tracking client its redirection broke (RESP3).
                let mut note = Vec::new();
                let with = |c: &mut Client, note: &mut Vec<u8>| {
                    if let Some(st) = c.tracking.as_mut() {
                        st.broken_redir = true;
                    }
                    if c.reply.resp > 2 {
                        *note = format!(">2\r\n$21\r\ntracking-redir-broken\r\n:{redirect}\r\n")
                            .into_bytes();
                    }
                };
                match current.as_deref_mut() {
                    Some(c) if c.id == id => {
                        with(c, &mut note);
                        c.reply.raw(&note);
                    }
                    _ => {
                        if let Some(slot) = self.slot_of_client(id)
                            && let Some(Some(c)) = self.clients.get_mut(slot)
                        {
                            with(c, &mut note);
                            c.reply.raw(&note);
                            self.mark_pending_write(slot);
                        }
                    }
                }
                return;
            }
            redirect
        } else {
            id
        };
        let using_redirection = redirect != 0;
        let write = |c: &mut Client| {
            let body = match &p {
                Payload::Key(k) => key_array(k),
                Payload::Proto(v) => v.clone(),
            };
            if c.reply.resp > 2 {
                c.reply.raw(b">2\r\n$10\r\ninvalidate\r\n");
            } else if using_redirection && c.subscription_count() > 0 {
                c.reply
                    .raw(b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n");
            } else {
                return;
            }
            c.reply.raw(&body);
        };
        match current {
            Some(c) if c.id == dest_id => write(c),
            _ => {
                let Some(slot) = self.slot_of_client(dest_id) else {
                    return;
                };
                match self.clients.get_mut(slot) {
                    Some(Some(c)) => {
                        write(c);
                        self.mark_pending_write(slot);
                    }
                    // The destination is running a command: after it.
                    _ => self.tracking.pending.push((id, p)),
                }
            }
        }
    }

    fn mark_pending_write(&mut self, slot: usize) {
        if let Some(Some(c)) = self.clients.get_mut(slot)
            && !c.pending_write
        {
            c.pending_write = true;
            self.pending_writes.push(slot);
        }
    }

    /// Before sleeping: each prefix's collected keys to its BCAST clients,
    /// one array per prefix, without a NOLOOP client's own changes
    /// (trackingBroadcastInvalidationMessages).
    pub fn tracking_broadcast(&mut self) {
        if self.tracking.clients == 0 || self.tracking.prefixes.is_empty() {
            return;
        }
        let mut sends: Vec<(u64, Vec<u8>)> = Vec::new();
        for bs in self.tracking.prefixes.values_mut() {
            if bs.keys.is_empty() {
                continue;
            }
            let keys = std::mem::take(&mut bs.keys);
            let build = |skip: Option<u64>| -> Option<Vec<u8>> {
                let n = keys
                    .values()
                    .filter(|m| skip.is_none() || **m != skip)
                    .count();
                if skip.is_some() && n == 0 {
                    return None;
                }
                let mut v = format!("*{n}\r\n").into_bytes();
                for (k, m) in &keys {
                    if skip.is_some() && *m == skip {
                        continue;
                    }
                    v.extend_from_slice(format!("${}\r\n", k.len()).as_bytes());
                    v.extend_from_slice(k);
                    v.extend_from_slice(b"\r\n");
                }
                Some(v)
            };
            let common = build(None).unwrap_or_default();
            for &id in &bs.clients {
                let noloop = self
                    .client_ids
                    .get(&id)
                    .and_then(|&s| self.clients.get(s))
                    .and_then(|c| c.as_ref())
                    .and_then(|c| c.tracking.as_ref())
                    .is_some_and(|st| st.noloop);
                if noloop {
                    if let Some(v) = build(Some(id)) {
                        sends.push((id, v));
                    }
                } else {
                    sends.push((id, common.clone()));
                }
            }
        }
        for (id, v) in sends {
            self.send_tracking_message(None, id, Payload::Proto(v));
        }
    }

    /// Keep the tracking table within tracking-table-max-keys, forgetting
    /// (and invalidating) keys a little more each time it stays over
    /// (trackingLimitUsedSlots).
    pub fn tracking_limit_used_slots(&mut self) {
        let max = self.config.tracking_table_max_keys;
        if max == 0 || self.tracking.table.len() as u64 <= max {
            self.tracking.limit_timeout_counter = 0;
            return;
        }
        let mut effort = 100 * (self.tracking.limit_timeout_counter as u64 + 1);
        while effort > 0 {
            effort -= 1;
            let Some(key) = self.tracking.table.keys().next().cloned() else {
                break;
            };
            self.tracking_invalidate_key(&key, None, false);
            if self.tracking.table.len() as u64 <= max {
                self.tracking.limit_timeout_counter = 0;
                return;
            }
        }
        self.tracking.limit_timeout_counter += 1;
    }
}

fn null_of(resp: u8) -> Vec<u8> {
    if resp > 2 {
        b"_\r\n".to_vec()
    } else {
        b"$-1\r\n".to_vec()
    }
}
