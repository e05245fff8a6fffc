//! The master side of replication (Redis's syncCommand,
//! masterTryPartialResynchronization, startBgsaveForReplication,
//! replconfCommand, WAIT).
//!
//! A full sync has no fork: the loop clones the keyspace's chunk pointers
//! and a helper thread serializes the clone into chunks handed back over a
//! bounded channel. The loop moves a chunk into each attached replica's
//! reply buffer only while that buffer is nearly drained, so the sync
//! costs a few megabytes at most whatever the dataset, and the loop never
//! waits for it.

use super::{ReplicaInfo, ReplicaState};
use crate::client::Client;
use crate::commands::{CmdResult, ReplyError};
use crate::server::Server;
use std::io::{self, Write};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, sync_channel};

/// A chunk of RDB stream moves to a replica only while its reply buffer
/// holds less than this.
const REPLICA_QUEUE_LOW: usize = 64 * 1024;
/// Chunks in flight between the serializer and the loop.
const CHANNEL_CHUNKS: usize = 4;
const CHUNK: usize = 16 * 1024;

/// A full sync being produced (Redis's RDB child for replication).
pub struct FullSync {
    rx: Receiver<Vec<u8>>,
    handle: Option<std::thread::JoinHandle<io::Result<usize>>>,
    /// The replicas it is for.
    pub slots: Vec<usize>,
    pub diskless: bool,
    pub started_ms: i64,
}

/// The serializer's writer: fills chunks, hands each to the loop and
/// wakes it. A closed channel (every replica gone) stops the serializer.
struct ChunkWriter {
    tx: SyncSender<Vec<u8>>,
    buf: Vec<u8>,
    wake: Option<std::sync::Arc<dyn Fn() + Send + Sync>>,
}

impl ChunkWriter {
    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK));
        self.tx
            .send(chunk)
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "all replicas left"))?;
        if let Some(w) = &self.wake {
            w();
        }
        Ok(())
    }
}

impl Write for ChunkWriter {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(b);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

impl Server {
    // ---------------------------------------------------------------
    // SYNC / PSYNC
    // ---------------------------------------------------------------

    /// SYNC and PSYNC (Redis's syncCommand): continue from the backlog
    /// when the replica's history is ours and still held, else queue a
    /// full sync.
    pub fn sync_command(&mut self, c: &mut Client) -> CmdResult {
        if c.replica.as_ref().is_some() {
            return Ok(()); // A second SYNC on a replica link: ignored, as Redis.
        }
        if self.is_replica() && !self.repl.link.is_connected() {
            return Err(ReplyError::new(
                "NOMASTERLINK Can't SYNC while not connected with my master",
            ));
        }
        if c.reply.pending() > 0 {
            return Err(ReplyError::new(
                "ERR SYNC and PSYNC are invalid with pending output",
            ));
        }
        let psync = c.argv[0].eq_ignore_ascii_case(b"psync");
        if psync
            && c.argv
                .get(3)
                .is_some_and(|a| a.eq_ignore_ascii_case(b"failover"))
        {
            self.psync_failover_request(c)?;
        }
        let mut info = c
            .pending_replica
            .take()
            .unwrap_or_else(|| Box::new(ReplicaInfo::new(self.now_ms)));
        info.wait_since_ms = self.now_ms;
        info.ack_time_ms = self.now_ms;
        if psync {
            if self.try_partial_resync(c, &mut info) {
                self.repl.stats.sync_partial_ok += 1;
                self.attach_replica(c, info);
                return Ok(());
            }
            let asked = &c.argv[1];
            if asked.as_slice() != b"?" {
                self.repl.stats.sync_partial_err += 1;
            }
        } else {
            info.pre_psync = true;
        }
        self.repl.stats.sync_full += 1;
        log::info!(
            "Replica {} asks for synchronization; full resync",
            replica_name(c, &info)
        );
        // The first replica makes the backlog: the stream is recorded from
        // this sync's offset on, for its later partial resyncs.
        if self.repl.backlog.is_none() {
            self.repl.shift_replid_fresh();
            self.repl_create_backlog();
        }
        info.state = ReplicaState::WaitBgsaveStart;
        self.attach_replica(c, info);
        // Disk-based, or diskless without a delay: start at once if no
        // other job runs; otherwise the cron starts it.
        self.repl_start_pending_sync();
        Ok(())
    }

    fn attach_replica(&mut self, c: &mut Client, info: Box<ReplicaInfo>) {
        c.replica = Some(info);
        if !self.repl.replicas.contains(&c.slot) {
            self.repl.replicas.push(c.slot);
        }
    }

    /// Redis's masterTryPartialResynchronization: +CONTINUE and the
    /// backlog from the asked offset, when we can.
    fn try_partial_resync(&mut self, c: &mut Client, info: &mut ReplicaInfo) -> bool {
        let (Some(replid), Some(off)) = (
            c.argv
                .get(1)
                .map(|a| String::from_utf8_lossy(a).into_owned()),
            c.argv.get(2).and_then(|a| crate::util::num::string2ll(a)),
        ) else {
            return false;
        };
        let r = &self.repl;
        if replid != r.replid && (replid != r.replid2 || off > r.second_replid_offset) {
            if replid != "?" {
                log::info!(
                    "Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '{replid}', my replication IDs are '{}' and '{}')",
                    r.replid,
                    r.replid2
                );
            }
            return false;
        }
        let Some(bytes) = (off >= 0)
            .then(|| r.backlog.as_ref().and_then(|b| b.since(off as u64)))
            .flatten()
        else {
            log::info!(
                "Unable to partial resync with replica {} for lack of backlog (Replica request was: {off}).",
                replica_name(c, info)
            );
            return false;
        };
        info.state = ReplicaState::Online;
        info.ack_time_ms = self.now_ms;
        let line = if info.capa_psync2 {
            format!("+CONTINUE {}\r\n", self.repl.replid)
        } else {
            "+CONTINUE\r\n".to_string()
        };
        c.reply.buf.extend_from_slice(line.as_bytes());
        c.reply.buf.extend_from_slice(&bytes);
        log::info!(
            "Partial resynchronization request from {} accepted. Sending {} bytes of backlog starting from offset {off}.",
            replica_name(c, info),
            bytes.len()
        );
        true
    }

    /// Start a full sync for the replicas waiting for one (Redis's
    /// replicationStartPendingFork + startBgsaveForReplication), unless a
    /// job runs or the diskless delay still holds them back.
    pub fn repl_start_pending_sync(&mut self) {
        if self.repl.transfer.is_some() || self.has_active_job() {
            return;
        }
        let waiting: Vec<(usize, bool, i64)> = self
            .repl
            .replicas
            .iter()
            .filter_map(|&s| {
                let c = self.clients.get(s)?.as_ref()?;
                let r = c.replica.as_ref()?;
                (r.state == ReplicaState::WaitBgsaveStart).then_some((
                    s,
                    r.capa_eof,
                    r.wait_since_ms,
                ))
            })
            .collect();
        if waiting.is_empty() {
            return;
        }
        let diskless = self.config.repl_diskless_sync && waiting.iter().all(|w| w.1);
        if diskless && self.config.repl_diskless_sync_delay > 0 {
            let max_idle = waiting.iter().map(|w| self.now_ms - w.2).max().unwrap_or(0);
            let enough = self.config.repl_diskless_sync_max_replicas > 0
                && waiting.len() as u64 >= self.config.repl_diskless_sync_max_replicas;
            if max_idle < self.config.repl_diskless_sync_delay as i64 * 1000 && !enough {
                return;
            }
        }
        self.start_full_sync(waiting.iter().map(|w| w.0).collect(), diskless);
    }

    fn start_full_sync(&mut self, slots: Vec<usize>, diskless: bool) {
        // The stream after this point is what each replica applies on top
        // of the snapshot; a fresh SELECT opens it.
        self.repl.seldb = None;
        let offset = self.repl.master_repl_offset;
        let replid = self.repl.replid.clone();
        for &s in &slots {
            if let Some(Some(c)) = self.clients.get_mut(s)
                && let Some(r) = c.replica.as_mut()
            {
                r.state = ReplicaState::WaitBgsaveEnd;
                r.initial_offset = offset;
                if !r.pre_psync {
                    c.reply
                        .buf
                        .extend_from_slice(format!("+FULLRESYNC {replid} {offset}\r\n").as_bytes());
                }
                if !c.pending_write {
                    c.pending_write = true;
                    self.pending_writes.push(s);
                }
            }
        }
        let t0 = std::time::Instant::now();
        let snapshot = self.dbs_snapshot();
        let functions = self.scripting.functions.codes();
        self.note_snapshot_pause(t0);
        let (compress, checksum, now) = (
            self.config.rdbcompression,
            self.config.rdbchecksum,
            self.now_ms,
        );
        let path = self.rdb_path();
        let (tx, rx) = sync_channel(CHANNEL_CHUNKS);
        let mut w = ChunkWriter {
            tx,
            buf: Vec::with_capacity(CHUNK),
            wake: self.aof_wake.clone(),
        };
        let cpus = self.config.bgsave_cpulist.clone();
        let spawned = std::thread::Builder::new().name("repl-sync".into()).spawn(
            move || -> io::Result<usize> {
                // Redis's child for a full sync takes bgsave_cpulist too.
                crate::util::thread::set_cpu_affinity("bgsave_cpulist", &cpus);
                crate::util::thread::idle_priority();
                if diskless {
                    // Redis 7.0's EOF-marked form: the length is not known
                    // up front, a random 40-byte mark ends the payload.
                    let mark: String = (0..40)
                        .map(|_| format!("{:x}", crate::util::rand::below(16)))
                        .collect();
                    w.write_all(format!("$EOF:{mark}\r\n").as_bytes())?;
                    let (mut w, keys) = crate::persistence::snapshot::write_rdb(
                        w, snapshot, &functions, compress, checksum, now, false,
                    )?;
                    w.write_all(mark.as_bytes())?;
                    w.flush()?;
                    Ok(keys)
                } else {
                    let keys = crate::persistence::snapshot::save(
                        snapshot, &functions, &path, compress, checksum, now,
                    )?;
                    let mut f = std::fs::File::open(&path)?;
                    let len = f.metadata()?.len();
                    w.write_all(format!("${len}\r\n").as_bytes())?;
                    io::copy(&mut f, &mut w)?;
                    w.flush()?;
                    Ok(keys)
                }
            },
        );
        match spawned {
            Ok(handle) => {
                log::info!(
                    "Starting BGSAVE for SYNC with target: {}",
                    if diskless { "replicas sockets" } else { "disk" }
                );
                self.repl.transfer = Some(FullSync {
                    rx,
                    handle: Some(handle),
                    slots,
                    diskless,
                    started_ms: self.now_ms,
                });
            }
            Err(e) => {
                log::warn!("Can't start the full sync thread: {e}");
                for s in slots {
                    if let Some(Some(c)) = self.clients.get_mut(s) {
                        c.close_asap = true;
                        self.pending_writes.push(s);
                    }
                }
            }
        }
    }

    /// Move produced chunks to the replicas that have room (from
    /// before_sleep, and whenever the serializer wakes the loop).
    pub fn repl_pump_transfer(&mut self) {
        let Some(t) = self.repl.transfer.as_mut() else {
            return;
        };
        let clients = &mut self.clients;
        t.slots.retain(|&s| {
            clients
                .get(s)
                .and_then(|c| c.as_ref())
                .and_then(|c| c.replica.as_ref())
                .is_some_and(|r| r.state == ReplicaState::WaitBgsaveEnd)
        });
        if t.slots.is_empty() {
            log::warn!("Full sync aborted: no replica left to send it to");
            self.repl.transfer = None;
            return;
        }
        let mut finished = false;
        loop {
            let room = t.slots.iter().all(|&s| {
                clients[s]
                    .as_ref()
                    .is_some_and(|c| c.reply.pending() < REPLICA_QUEUE_LOW)
            });
            if !room {
                break;
            }
            match t.rx.try_recv() {
                Ok(chunk) => {
                    self.repl.stats.net_repl_output_bytes += (chunk.len() * t.slots.len()) as u64;
                    for &s in &t.slots {
                        if let Some(c) = clients[s].as_mut() {
                            c.reply.buf.extend_from_slice(&chunk);
                            if !c.pending_write {
                                c.pending_write = true;
                                self.pending_writes.push(s);
                            }
                        }
                    }
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    finished = true;
                    break;
                }
            }
        }
        if finished {
            self.repl_finish_transfer();
        }
    }

    /// The serializer is done: every chunk has been handed out.
    fn repl_finish_transfer(&mut self) {
        let Some(mut t) = self.repl.transfer.take() else {
            return;
        };
        let result = t
            .handle
            .take()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(io::Error::other("sync thread panicked")))
            })
            .unwrap_or(Ok(0));
        for s in t.slots {
            let Some(Some(c)) = self.clients.get_mut(s) else {
                continue;
            };
            match &result {
                Err(e) => {
                    log::warn!("Full sync failed for replica {}: {e}", c.addr);
                    c.close_asap = true;
                }
                Ok(_) => {
                    let Some(r) = c.replica.as_mut() else {
                        continue;
                    };
                    r.state = ReplicaState::Online;
                    r.ack_time_ms = self.now_ms;
                    if t.diskless && !r.acked_during_sync {
                        r.wait_first_ack = true;
                        log::info!(
                            "Streamed RDB transfer with replica {} succeeded (socket). Waiting for REPLCONF ACK from replica to enable streaming",
                            c.addr
                        );
                    } else {
                        // Disk-based, or a replica that already ACKed
                        // the RDB it read: the stream follows at once.
                        let pending = std::mem::take(&mut r.pending);
                        c.reply.buf.extend_from_slice(&pending);
                        log::info!("Synchronization with replica {} succeeded", c.addr);
                    }
                }
            }
            if !c.pending_write {
                c.pending_write = true;
                self.pending_writes.push(s);
            }
        }
        if let Ok(keys) = result {
            log::info!(
                "Full sync of {keys} keys produced in {} ms",
                self.now_ms - t.started_ms
            );
        }
    }

    // ---------------------------------------------------------------
    // REPLCONF
    // ---------------------------------------------------------------

    /// REPLCONF (Redis's replconfCommand): options a replica sends before
    /// PSYNC, its ACKs after, and GETACK from our own master.
    pub fn replconf_command(&mut self, c: &mut Client) -> CmdResult {
        if c.argv.len().is_multiple_of(2) {
            return Err(crate::commands::SYNTAX_ERR);
        }
        let mut i = 1;
        while i + 1 < c.argv.len() {
            let (opt, val) = (c.argv[i].to_ascii_lowercase(), c.argv[i + 1].clone());
            i += 2;
            match &opt[..] {
                b"listening-port" => {
                    let port = crate::util::num::string2ll(&val)
                        .filter(|p| (0..=65535).contains(p))
                        .ok_or_else(|| {
                            ReplyError::new("ERR value is not an integer or out of range")
                        })?;
                    self.pending_replica_info(c).listening_port = port as u16;
                }
                b"ip-address" => {
                    let ip = String::from_utf8_lossy(&val).into_owned();
                    self.pending_replica_info(c).announced_ip = Some(ip);
                }
                b"capa" => {
                    let info = self.pending_replica_info(c);
                    if val.eq_ignore_ascii_case(b"eof") {
                        info.capa_eof = true;
                    } else if val.eq_ignore_ascii_case(b"psync2") {
                        info.capa_psync2 = true;
                    }
                }
                b"ack" => {
                    // A replica's acknowledged offset: no reply, as Redis.
                    let Some(off) = crate::util::num::string2ll(&val) else {
                        return Ok(());
                    };
                    self.replica_ack(c, off.max(0) as u64);
                    return Ok(());
                }
                b"getack" => {
                    // Our master asks where we are: answered by the link.
                    if c.master_link {
                        self.repl.link.ack_requested = true;
                    }
                    return Ok(());
                }
                b"rdb-only" | b"rdb-filter-only" => {}
                _ => {
                    return Err(ReplyError::owned(format!(
                        "ERR Unrecognized REPLCONF option: {}",
                        String::from_utf8_lossy(&c.argv[i - 2])
                    )));
                }
            }
        }
        c.reply.ok();
        Ok(())
    }

    /// The options of a replica that has not sent PSYNC yet.
    fn pending_replica_info<'a>(&self, c: &'a mut Client) -> &'a mut ReplicaInfo {
        if c.replica.is_some() {
            return c.replica.as_deref_mut().expect("checked");
        }
        c.pending_replica
            .get_or_insert_with(|| Box::new(ReplicaInfo::new(self.now_ms)))
    }

    fn replica_ack(&mut self, c: &mut Client, off: u64) {
        let now = self.now_ms;
        let Some(r) = c.replica.as_mut() else {
            return;
        };
        r.ack_off = r.ack_off.max(off);
        r.ack_time_ms = now;
        if r.state == ReplicaState::WaitBgsaveEnd {
            r.acked_during_sync = true;
        }
        if r.wait_first_ack {
            r.wait_first_ack = false;
            let pending = std::mem::take(&mut r.pending);
            c.reply.buf.extend_from_slice(&pending);
            log::info!("Synchronization with replica {} succeeded", c.addr);
        }
        self.repl.acks_changed = true;
    }

    // ---------------------------------------------------------------
    // WAIT, min-replicas, the master's cron.
    // ---------------------------------------------------------------

    /// How many replicas acknowledged at least `off` (Redis's
    /// replicationCountAcksByOffset).
    pub fn replicas_acked(&self, off: u64) -> usize {
        self.replica_clients()
            .filter(|c| {
                c.replica
                    .as_ref()
                    .is_some_and(|r| r.state == ReplicaState::Online && r.ack_off >= off)
            })
            .count()
    }

    /// WAIT numreplicas timeout.
    pub fn wait_command(&mut self, c: &mut Client) -> CmdResult {
        if self.is_replica() {
            return Err(ReplyError::new(
                "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.",
            ));
        }
        let n = crate::commands::args::parse_i64(&c.argv[1])?;
        let timeout = parse_wait_timeout(self.now_ms, &c.argv[2])?;
        let acked = self.replicas_acked(c.woff);
        if acked as i64 >= n || c.in_exec || self.scripting.running().is_some() {
            c.reply.int(acked as i64);
            return Ok(());
        }
        let state = crate::blocked::BlockState {
            db: c.db,
            keys: Vec::new(),
            deadline: timeout,
            op: crate::blocked::BlockOp::Wait {
                replicas: n,
                offset: c.woff,
            },
        };
        self.block_client(c, state);
        self.repl.waiting.push(c.slot);
        self.repl.get_ack_pending = true;
        Ok(())
    }

    /// Release WAIT clients whose offset enough replicas acknowledged
    /// (Redis's processClientsWaitingReplicas).
    pub fn process_clients_waiting_replicas(&mut self) {
        if !std::mem::take(&mut self.repl.acks_changed) {
            return;
        }
        if self.repl.failover.is_some() {
            self.update_failover_status();
        }
        if self.repl.waiting.is_empty() {
            return;
        }
        let mut still = Vec::new();
        for slot in std::mem::take(&mut self.repl.waiting) {
            let Some(mut c) = self.clients.get_mut(slot).and_then(Option::take) else {
                continue;
            };
            if let Some(crate::blocked::BlockOp::Wait { replicas, offset }) =
                c.bstate.as_ref().map(|b| b.op.clone())
            {
                let acked = self.replicas_acked(offset);
                if acked as i64 >= replicas {
                    c.reply.int(acked as i64);
                    self.unblock_client(&mut c);
                    self.pending_writes.push(slot);
                } else {
                    still.push(slot);
                }
            }
            self.clients[slot] = Some(c);
        }
        self.repl.waiting.extend(still);
    }

    /// Ask replicas where they are, once per loop iteration a WAIT needs it
    /// (Redis's beforeSleep REPLCONF GETACK).
    pub fn repl_send_getack(&mut self) {
        if std::mem::take(&mut self.repl.get_ack_pending) {
            self.repl_feed(
                None,
                &[b"REPLCONF".to_vec(), b"GETACK".to_vec(), b"*".to_vec()],
            );
        }
    }

    /// Would min-replicas-to-write refuse a write now?
    #[inline]
    pub fn not_enough_good_replicas(&self) -> bool {
        self.config.min_replicas_to_write > 0
            && self.config.min_replicas_max_lag > 0
            && !self.is_replica()
            && (self.repl.good_replicas as u64) < self.config.min_replicas_to_write
    }

    /// Once a second: replicas that stopped acknowledging are dropped,
    /// those waiting get a newline so they do not time out, the good ones
    /// are counted, and a backlog nobody used for repl-backlog-ttl goes.
    pub(super) fn master_cron(&mut self, now: i64) {
        let timeout = self.config.repl_timeout as i64 * 1000;
        let max_lag = self.config.min_replicas_max_lag as i64 * 1000;
        let mut good = 0;
        for &slot in &self.repl.replicas {
            let Some(Some(c)) = self.clients.get_mut(slot) else {
                continue;
            };
            let Some(r) = c.replica.as_ref() else {
                continue;
            };
            match r.state {
                ReplicaState::Online if !r.pre_psync => {
                    if now - r.ack_time_ms > timeout {
                        log::warn!(
                            "Disconnecting timedout replica (streaming sync): {}",
                            c.addr
                        );
                        c.close_asap = true;
                    } else if now - r.ack_time_ms <= max_lag {
                        good += 1;
                    }
                }
                ReplicaState::WaitBgsaveStart => {
                    c.reply.buf.push(b'\n');
                }
                _ => {}
            }
            if !c.pending_write {
                c.pending_write = true;
                self.pending_writes.push(slot);
            }
        }
        self.repl.good_replicas = good;
        let ttl = self.config.repl_backlog_ttl as i64 * 1000;
        if self.repl.replicas.is_empty()
            && !self.is_replica()
            && ttl > 0
            && self.repl.backlog.is_some()
            && now - self.repl.no_replicas_since_ms > ttl
        {
            // A new history: nobody could continue the old one anyway.
            self.repl.shift_replid_fresh();
            self.repl.backlog = None;
            log::info!(
                "Replication backlog freed after {} seconds without connected replicas.",
                self.config.repl_backlog_ttl
            );
        }
    }

    /// A replica client is gone (from free_client).
    pub fn replica_gone(&mut self, c: &Client) {
        if c.replica.is_none() {
            return;
        }
        self.repl.replicas.retain(|&s| s != c.slot);
        if self.repl.replicas.is_empty() {
            self.repl.no_replicas_since_ms = self.now_ms;
        }
        log::info!("Connection with replica {} lost.", c.addr);
    }
}

/// WAIT's timeout: integer milliseconds (Redis's
/// getTimeoutFromObjectOrReply with UNIT_MILLISECONDS); 0 waits forever.
fn parse_wait_timeout(now_ms: i64, arg: &[u8]) -> Result<i64, ReplyError> {
    let t = crate::util::num::string2ll(arg).ok_or(ReplyError::new(
        "ERR timeout is not an integer or out of range",
    ))?;
    if t < 0 {
        return Err(ReplyError::new("ERR timeout is negative"));
    }
    Ok(if t == 0 { 0 } else { t.saturating_add(now_ms) })
}

fn replica_name(c: &Client, info: &ReplicaInfo) -> String {
    let ip = info
        .announced_ip
        .clone()
        .unwrap_or_else(|| super::peer_ip(&c.addr));
    format!("{ip}:{}", info.listening_port)
}
