//! Replication, after Redis 7.0's replication.c. Both halves run in the one
//! event loop:
//!
//! - `master.rs`: replicas are clients that sent SYNC/PSYNC. A full sync
//!   streams an RDB serialized from a copy-on-write clone of the keyspace
//!   by a helper thread (no fork); the loop hands its chunks to the
//!   replicas' sockets as they drain, and keeps serving meanwhile. After
//!   it, replicas get the command stream from the single propagation path
//!   (`propagate.rs` calls `repl_feed`), which also fills the backlog a
//!   reconnecting replica continues from (+CONTINUE).
//! - `replica.rs`: REPLICAOF connects to a master with a non-blocking
//!   handshake (PING, AUTH, REPLCONF, PSYNC), loads its RDB, then applies
//!   its stream as a client flagged master whose replies are dropped,
//!   proxying the same bytes to its own backlog and replicas.
//!
//! The replication ID and offset are Redis's: a 40-hex ID names a history,
//! the offset counts its bytes; the previous ID (replid2) is kept after a
//! promotion so the old master's replicas can continue partially (PSYNC2).

pub mod failover;
pub mod master;
pub mod replica;

use std::collections::VecDeque;

/// The stream of one history, most recent bytes, for partial resyncs
/// (Redis's repl_backlog).
pub struct Backlog {
    buf: VecDeque<u8>,
    size: usize,
    /// Replication offset of the first byte held (repl_backlog_first_byte_offset).
    pub first_offset: u64,
}

impl Backlog {
    /// A backlog that will hold what comes after `master_offset`.
    pub fn new(size: usize, master_offset: u64) -> Backlog {
        Backlog {
            buf: VecDeque::new(),
            size: size.max(16 * 1024),
            first_offset: master_offset + 1,
        }
    }

    pub fn histlen(&self) -> usize {
        self.buf.len()
    }

    pub fn append(&mut self, bytes: &[u8]) {
        self.buf.extend(bytes);
        self.trim();
    }

    fn trim(&mut self) {
        if self.buf.len() > self.size {
            let excess = self.buf.len() - self.size;
            self.buf.drain(..excess);
            self.first_offset += excess as u64;
        }
    }

    pub fn resize(&mut self, size: usize) {
        self.size = size.max(16 * 1024);
        self.trim();
        self.buf.shrink_to(self.size);
    }

    /// The bytes from replication offset `from` to the end, if held.
    pub fn since(&self, from: u64) -> Option<Vec<u8>> {
        let end = self.first_offset + self.buf.len() as u64;
        if from < self.first_offset || from > end {
            return None;
        }
        let skip = (from - self.first_offset) as usize;
        Some(self.buf.range(skip..).copied().collect())
    }

    pub fn memory(&self) -> usize {
        self.buf.capacity()
    }
}

/// A replica's state as its master sees it (Redis's SLAVE_STATE_*).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ReplicaState {
    /// Waiting for a full sync to start (the diskless delay, or another
    /// job running).
    WaitBgsaveStart,
    /// Its full sync is being produced and sent.
    WaitBgsaveEnd,
    /// Getting the stream (after the first ACK, for a diskless sync).
    Online,
}

/// What a master keeps for each replica client (Redis's client fields
/// replstate, repl_ack_off, slave_listening_port, ...).
pub struct ReplicaInfo {
    pub state: ReplicaState,
    pub listening_port: u16,
    pub announced_ip: Option<String>,
    /// REPLCONF capa eof / psync2.
    pub capa_eof: bool,
    pub capa_psync2: bool,
    /// SYNC (no +FULLRESYNC line, no partial resyncs).
    pub pre_psync: bool,
    pub ack_off: u64,
    pub ack_time_ms: i64,
    /// Stream bytes that arrived while its RDB was being sent: they follow
    /// the RDB (and, diskless, the replica's first ACK: it reads the EOF
    /// mark as the last bytes of a read, so nothing may follow it before).
    pub pending: Vec<u8>,
    /// Diskless sync sent: start the stream on the first ACK.
    pub wait_first_ack: bool,
    /// An ACK came while its sync was still being wrapped up (the replica
    /// read the whole RDB before the loop saw the serializer finish).
    pub acked_during_sync: bool,
    /// When it started waiting for a full sync (the diskless delay).
    pub wait_since_ms: i64,
    /// The offset its full sync started at (psync_initial_offset).
    pub initial_offset: u64,
}

impl ReplicaInfo {
    pub fn new(now_ms: i64) -> ReplicaInfo {
        ReplicaInfo {
            state: ReplicaState::WaitBgsaveStart,
            listening_port: 0,
            announced_ip: None,
            capa_eof: false,
            capa_psync2: false,
            pre_psync: false,
            ack_off: 0,
            ack_time_ms: now_ms,
            pending: Vec::new(),
            wait_first_ack: false,
            acked_during_sync: false,
            wait_since_ms: now_ms,
            initial_offset: 0,
        }
    }

    /// Redis's replstateToString.
    pub fn state_name(&self) -> &'static str {
        match self.state {
            ReplicaState::WaitBgsaveStart | ReplicaState::WaitBgsaveEnd => "wait_bgsave",
            ReplicaState::Online => "online",
        }
    }
}

/// Counters of INFO stats.
#[derive(Default)]
pub struct ReplStats {
    pub sync_full: u64,
    pub sync_partial_ok: u64,
    pub sync_partial_err: u64,
    pub net_repl_input_bytes: u64,
    pub net_repl_output_bytes: u64,
}

/// Replication state of the server (Redis's server.repl_* and friends).
pub struct Replication {
    pub replid: String,
    pub replid2: String,
    pub master_repl_offset: u64,
    /// Up to which offset replid2 is valid (-1: none).
    pub second_replid_offset: i64,
    pub backlog: Option<Backlog>,
    /// The db the stream last selected (Redis's slaveseldb): a command for
    /// another one is preceded by SELECT.
    pub seldb: Option<usize>,
    /// Replica clients' slots, in the order they attached.
    pub replicas: Vec<usize>,
    /// The full sync being produced, if any.
    pub transfer: Option<master::FullSync>,
    /// When the last replica left (for repl-backlog-ttl).
    pub no_replicas_since_ms: i64,
    /// Replicas that acknowledged within min-replicas-max-lag.
    pub good_replicas: usize,
    /// A WAIT is waiting: ask replicas for an ACK before sleeping.
    pub get_ack_pending: bool,
    /// Slots of clients blocked in WAIT.
    pub waiting: Vec<usize>,
    /// An ACK arrived since WAIT clients were last looked at.
    pub acks_changed: bool,
    pub stats: ReplStats,
    /// A FAILOVER in progress.
    pub failover: Option<failover::Failover>,
    /// Replica side: the master followed and the link to it.
    pub link: replica::Link,
    /// Scratch space to encode a command once for every replica.
    scratch: Vec<u8>,
}

impl Default for Replication {
    fn default() -> Self {
        Replication {
            replid: new_replid(),
            replid2: "0".repeat(40),
            master_repl_offset: 0,
            second_replid_offset: -1,
            backlog: None,
            seldb: None,
            replicas: Vec::new(),
            transfer: None,
            no_replicas_since_ms: crate::util::time::mstime(),
            good_replicas: 0,
            get_ack_pending: false,
            waiting: Vec::new(),
            acks_changed: false,
            stats: ReplStats::default(),
            failover: None,
            link: replica::Link::default(),
            scratch: Vec::new(),
        }
    }
}

/// A new random replication ID: 40 hex digits (Redis's changeReplicationId).
pub fn new_replid() -> String {
    (0..40)
        .map(|_| format!("{:x}", crate::util::rand::below(16)))
        .collect()
}

impl Replication {
    /// A master with replicas or a backlog wants the stream.
    #[inline]
    pub fn wants_stream(&self) -> bool {
        self.backlog.is_some()
    }

    /// Start a new history (Redis's shiftReplicationId): the old one stays
    /// valid up to the current offset, for replicas that followed it.
    pub fn shift_replid(&mut self) {
        self.replid2 = std::mem::replace(&mut self.replid, new_replid());
        self.second_replid_offset = self.master_repl_offset as i64 + 1;
    }

    /// A new history with no previous one (the first replica's backlog,
    /// a backlog freed by repl-backlog-ttl).
    pub fn shift_replid_fresh(&mut self) {
        self.replid = new_replid();
        self.clear_replid2();
    }

    /// Forget the previous history (Redis's clearReplicationId2).
    pub fn clear_replid2(&mut self) {
        self.replid2 = "0".repeat(40);
        self.second_replid_offset = -1;
    }
}

impl crate::server::Server {
    /// Is this server a replica (REPLICAOF host port)?
    #[inline]
    pub fn is_replica(&self) -> bool {
        self.repl.link.master.is_some()
    }

    /// One op on its way to the replicas and the backlog (from
    /// `propagate_now`, the single propagation path): SELECT first when
    /// the stream is on another db, then the command, Redis's encoding.
    /// A replica does not feed here: it proxies its master's bytes.
    pub fn repl_feed(&mut self, db: Option<usize>, argv: &[Vec<u8>]) {
        if self.is_replica() || !self.repl.wants_stream() {
            return;
        }
        let mut buf = std::mem::take(&mut self.repl.scratch);
        buf.clear();
        if let Some(db) = db
            && self.repl.seldb != Some(db)
        {
            crate::aof::cat_command(&mut buf, &[b"SELECT".to_vec(), db.to_string().into_bytes()]);
            self.repl.seldb = Some(db);
        }
        crate::aof::cat_command(&mut buf, argv);
        self.repl_feed_raw(&buf);
        self.repl.scratch = buf;
    }

    /// Stream bytes to the backlog and to every replica past its sync's
    /// start (Redis's feedReplicationBuffer).
    pub fn repl_feed_raw(&mut self, bytes: &[u8]) {
        self.repl.master_repl_offset += bytes.len() as u64;
        if let Some(b) = self.repl.backlog.as_mut() {
            b.append(bytes);
        }
        for &slot in &self.repl.replicas {
            let Some(Some(c)) = self.clients.get_mut(slot) else {
                continue;
            };
            let Some(r) = c.replica.as_mut() else {
                continue;
            };
            match r.state {
                ReplicaState::WaitBgsaveStart => {}
                ReplicaState::Online if !r.wait_first_ack => {
                    c.reply.buf.extend_from_slice(bytes);
                    if !c.pending_write {
                        c.pending_write = true;
                        self.pending_writes.push(slot);
                    }
                }
                _ => r.pending.extend_from_slice(bytes),
            }
            // A replica that falls too far behind is dropped (the replica
            // class of client-output-buffer-limit), held stream included.
            if !c.close_asap && crate::event_loop::obuf_over_limit(self.now_ms, &self.config, c) {
                crate::event_loop::log_obuf_close(c);
                c.close_asap = true;
                if !c.pending_write {
                    c.pending_write = true;
                    self.pending_writes.push(slot);
                }
            }
        }
    }

    /// Create the backlog if there is none (the first replica, or a
    /// replica that got its master's history).
    pub fn repl_create_backlog(&mut self) {
        if self.repl.backlog.is_none() {
            self.repl.backlog = Some(Backlog::new(
                self.config.repl_backlog_size as usize,
                self.repl.master_repl_offset,
            ));
        }
    }

    /// Replication's duties in the cron (Redis's replicationCron, run
    /// every second; the link's checks run every tick).
    pub fn replication_cron(&mut self) {
        self.replica_cron();
        let now = self.now_ms;
        let once_a_second = self.cronloops.is_multiple_of(self.config.hz.max(1) as u64);
        // PING the replicas every repl-ping-replica-period: through the
        // stream, so they can tell a silent master from a dead one.
        let period = self.config.hz.max(1) as u64 * self.config.repl_ping_replica_period.max(1);
        if !self.is_replica()
            && !self.repl.replicas.is_empty()
            && self.cronloops.is_multiple_of(period)
        {
            self.repl_feed(None, &[b"PING".to_vec()]);
        }
        if once_a_second {
            self.master_cron(now);
        }
        self.repl_start_pending_sync();
        self.update_failover_status();
    }

    /// INFO's replication section, Redis 7.0's fields in its order.
    pub fn info_replication(&self, out: &mut String) {
        use std::fmt::Write;
        let r = &self.repl;
        let _ = write!(
            out,
            "role:{}\r\n",
            if self.is_replica() { "slave" } else { "master" }
        );
        if let Some(m) = r.link.master.as_ref() {
            self.info_replica_link(m, out);
        }
        let _ = write!(out, "connected_slaves:{}\r\n", r.replicas.len());
        if self.config.min_replicas_to_write > 0 && self.config.min_replicas_max_lag > 0 {
            let _ = write!(out, "min_slaves_good_slaves:{}\r\n", r.good_replicas);
        }
        let now_s = self.now_ms / 1000;
        for (i, c) in self.replica_clients().enumerate() {
            let Some(ri) = c.replica.as_ref() else {
                continue;
            };
            let ip = ri.announced_ip.clone().unwrap_or_else(|| peer_ip(&c.addr));
            let lag = if ri.state == ReplicaState::Online {
                now_s - ri.ack_time_ms / 1000
            } else {
                0
            };
            let _ = write!(
                out,
                "slave{i}:ip={ip},port={},state={},offset={},lag={lag}\r\n",
                ri.listening_port,
                ri.state_name(),
                ri.ack_off
            );
        }
        let (active, first, histlen) = match r.backlog.as_ref() {
            Some(b) => (1, b.first_offset, b.histlen()),
            None => (0, 0, 0),
        };
        let _ = write!(
            out,
            "master_failover_state:{}\r\n\
             master_replid:{}\r\n\
             master_replid2:{}\r\n\
             master_repl_offset:{}\r\n\
             second_repl_offset:{}\r\n\
             repl_backlog_active:{active}\r\n\
             repl_backlog_size:{}\r\n\
             repl_backlog_first_byte_offset:{first}\r\n\
             repl_backlog_histlen:{histlen}\r\n",
            self.failover_state_name(),
            r.replid,
            r.replid2,
            r.master_repl_offset,
            r.second_replid_offset,
            self.config.repl_backlog_size,
        );
    }

    /// The replica clients in attach order (the running client excluded:
    /// a replica never runs INFO or ROLE on its own link).
    pub fn replica_clients(&self) -> impl Iterator<Item = &crate::client::Client> {
        self.repl
            .replicas
            .iter()
            .filter_map(|&s| self.clients.get(s).and_then(|c| c.as_deref()))
    }

    /// ROLE (Redis's roleCommand).
    pub fn role_reply(&self, c: &mut crate::client::Client) {
        if let Some(m) = self.repl.link.master.as_ref() {
            c.reply.array_len(5);
            c.reply.bulk(b"slave");
            c.reply.bulk(m.host.as_bytes());
            c.reply.int(m.port as i64);
            c.reply.bulk(self.repl.link.role_state().as_bytes());
            let off = if self.repl.link.is_connected() {
                self.repl.master_repl_offset as i64
            } else {
                -1
            };
            c.reply.int(off);
            return;
        }
        c.reply.array_len(3);
        c.reply.bulk(b"master");
        c.reply.int(self.repl.master_repl_offset as i64);
        let replicas: Vec<(String, u16, u64)> = self
            .replica_clients()
            .filter_map(|rc| {
                let ri = rc.replica.as_ref()?;
                let ip = ri.announced_ip.clone().unwrap_or_else(|| peer_ip(&rc.addr));
                Some((ip, ri.listening_port, ri.ack_off))
            })
            .collect();
        c.reply.array_len(replicas.len());
        for (ip, port, off) in replicas {
            c.reply.array_len(3);
            c.reply.bulk(ip.as_bytes());
            c.reply.bulk(port.to_string().as_bytes());
            c.reply.bulk(off.to_string().as_bytes());
        }
    }

    /// Memory held by replication outside the dataset (replica buffers and
    /// the backlog): Redis leaves it out of eviction's count.
    pub fn repl_memory(&self) -> (usize, usize) {
        let backlog = self.repl.backlog.as_ref().map_or(0, Backlog::memory);
        let replicas = self
            .replica_clients()
            .map(|c| {
                c.reply.buf.capacity() + c.replica.as_ref().map_or(0, |r| r.pending.capacity())
            })
            .sum();
        (backlog, replicas)
    }
}

/// The IP part of "ip:port" (IPv6 addresses come as "[::1]:port").
pub fn peer_ip(addr: &str) -> String {
    let host = addr.rsplit_once(':').map_or(addr, |(h, _)| h);
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backlog_keeps_the_last_size_bytes_and_serves_offsets() {
        let mut b = Backlog::new(16 * 1024, 100);
        assert_eq!(b.first_offset, 101);
        b.append(&[b'a'; 10_000]);
        b.append(&[b'b'; 10_000]);
        assert_eq!(b.histlen(), 16 * 1024);
        assert_eq!(b.first_offset, 101 + 20_000 - 16 * 1024);
        let end = 101 + 20_000u64;
        assert_eq!(b.since(end).unwrap().len(), 0);
        assert_eq!(b.since(end - 5).unwrap(), vec![b'b'; 5]);
        assert!(b.since(b.first_offset - 1).is_none());
        assert!(b.since(end + 1).is_none());
        b.resize(16 * 1024);
        assert_eq!(b.since(end - 10_001).unwrap()[0], b'a');
    }

    #[test]
    fn peer_ip_of_v4_and_v6() {
        assert_eq!(peer_ip("127.0.0.1:6379"), "127.0.0.1");
        assert_eq!(peer_ip("[::1]:6379"), "::1");
    }
}
