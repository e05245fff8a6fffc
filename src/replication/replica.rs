//! The replica side of replication (Redis's replicaofCommand,
//! connectWithMaster, syncWithMaster, readSyncBulkPayload, the master
//! client): a non-blocking state machine on the link's socket, driven by
//! the event loop's readiness events for the link (`MASTER_TOKEN`) and by
//! the cron. Once synced, the socket becomes a client flagged
//! `master_link` in the client slab; its commands run through the normal
//! command path with their replies dropped, and the bytes it applied are
//! proxied, unchanged, to our own backlog and replicas.

use crate::client::Client;
use crate::commands::{CmdResult, ReplyError};
use crate::server::Server;
use mio::net::TcpStream;
use std::io::{self, Read, Write};

/// Where the link stands (Redis's repl_state).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum LinkState {
    /// Not a replica.
    #[default]
    None,
    /// To connect (at `connect_at_ms`).
    Connect,
    /// The TCP connection is being made.
    Connecting,
    /// PING, AUTH, REPLCONF and PSYNC sent, their replies read in turn.
    Handshake,
    /// Receiving the master's RDB.
    Transfer,
    /// The master client is in the slab, applying the stream.
    Connected,
}

/// The master followed.
#[derive(Clone, Debug)]
pub struct MasterAddr {
    pub host: String,
    pub port: u16,
}

/// A handshake reply we wait for, in the order the commands went out.
#[derive(Clone, Copy, Debug)]
enum Expect {
    Pong,
    Auth,
    Port,
    Ip,
    Capa,
    Psync,
}

/// The RDB being received.
struct Transfer {
    /// `$EOF:<mark>` form: the 40-byte mark that ends the payload.
    eof_mark: Option<Vec<u8>>,
    /// `$<len>` form: bytes still to read.
    left: u64,
    file: Option<std::fs::File>,
    temp: std::path::PathBuf,
    /// The last bytes received (the EOF form looks for its mark there).
    tail: Vec<u8>,
    /// From +FULLRESYNC.
    replid: String,
    offset: u64,
}

/// The replica's link to its master (Redis's server.masterhost,
/// repl_state, repl_transfer_*, cached master).
#[derive(Default)]
pub struct Link {
    pub master: Option<MasterAddr>,
    pub state: LinkState,
    /// The socket while connecting, handshaking and transferring.
    pub sock: Option<TcpStream>,
    /// The loop must register `sock` (it was just created).
    pub needs_register: bool,
    inbuf: Vec<u8>,
    expect: std::collections::VecDeque<Expect>,
    transfer: Option<Transfer>,
    /// The master client's slot, once connected.
    pub master_slot: Option<usize>,
    /// We hold a history the master may continue (PSYNC replid offset+1):
    /// after a sync, or our own when we were a master (Redis's
    /// replicationCacheMasterUsingMyself).
    can_psync: bool,
    /// The db the stream had selected when the link broke (a partial
    /// resync continues in it).
    cached_db: usize,
    pub connect_at_ms: i64,
    pub down_since_ms: i64,
    pub last_io_ms: i64,
    /// Bytes read from the master, applied or not (slave_read_repl_offset).
    pub read_reploff: u64,
    /// REPLCONF GETACK arrived: answer after the command.
    pub ack_requested: bool,
    pub transfer_size: i64,
    pub transfer_read: u64,
    /// A background load of the received RDB (repl-diskless-load swapdb),
    /// with the master's ID and offset from +FULLRESYNC.
    pub load: Option<(LoadHandle, String, u64)>,
}

/// A thread loading an RDB into new databases.
pub type LoadHandle = std::thread::JoinHandle<
    Result<(Vec<crate::db::Db>, crate::persistence::snapshot::Loaded), String>,
>;

impl Link {
    pub fn is_connected(&self) -> bool {
        self.state == LinkState::Connected
    }

    /// ROLE's state word (Redis's roleCommand).
    pub fn role_state(&self) -> &'static str {
        match self.state {
            LinkState::None | LinkState::Connect => "connect",
            LinkState::Connecting => "connecting",
            LinkState::Handshake => "handshake",
            LinkState::Transfer => "sync",
            LinkState::Connected => "connected",
        }
    }
}

impl Server {
    // ---------------------------------------------------------------
    // REPLICAOF
    // ---------------------------------------------------------------

    /// REPLICAOF host port | NO ONE (and SLAVEOF).
    pub fn replicaof_command(&mut self, c: &mut Client) -> CmdResult {
        let (host, port) = (&c.argv[1], &c.argv[2]);
        if host.eq_ignore_ascii_case(b"no") && port.eq_ignore_ascii_case(b"one") {
            if self.is_replica() {
                self.replication_unset_master();
                log::info!(
                    "MASTER MODE enabled (user request from 'id={} addr={} laddr={} fd={} name={} age={} idle=0 flags=N')",
                    c.id,
                    c.addr,
                    c.laddr,
                    c.fd(),
                    String::from_utf8_lossy(c.name.as_deref().unwrap_or(b"")),
                    (self.now_ms - c.ctime) / 1000
                );
            }
            c.reply.ok();
            return Ok(());
        }
        if c.replica.is_some() {
            return Err(ReplyError::new(
                "ERR Command is not valid when client is a replica.",
            ));
        }
        let port = crate::util::num::string2ll(port)
            .filter(|p| (0..=65535).contains(p))
            .ok_or(ReplyError::new("ERR Invalid master port"))? as u16;
        let host = String::from_utf8_lossy(host).into_owned();
        if let Some(m) = self.repl.link.master.as_ref()
            && m.host.eq_ignore_ascii_case(&host)
            && m.port == port
        {
            log::info!(
                "REPLICAOF would result into synchronization with the master we are already connected with. No operation performed."
            );
            c.reply.status("OK Already connected to specified master");
            return Ok(());
        }
        self.replication_set_master(host.clone(), port);
        log::info!(
            "REPLICAOF {host}:{port} enabled (user request from 'id={} addr={} laddr={} fd={} name={}')",
            c.id,
            c.addr,
            c.laddr,
            c.fd(),
            String::from_utf8_lossy(c.name.as_deref().unwrap_or(b""))
        );
        c.reply.ok();
        Ok(())
    }

    /// Follow a (new) master (Redis's replicationSetMaster).
    pub fn replication_set_master(&mut self, host: String, port: u16) {
        let was_master = !self.is_replica();
        self.repl.link.master = Some(MasterAddr {
            host: host.clone(),
            port,
        });
        self.config.replicaof = Some((host, port));
        self.drop_master_client();
        self.cancel_handshake();
        // Clients blocked on keys would wait for writes that now come from
        // the master only.
        self.disconnect_blocked_clients(
            b"UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)",
        );
        if was_master {
            // Our own history is what the new master may continue.
            self.repl.link.can_psync = true;
            self.repl.link.cached_db = 0;
        }
        self.repl.link.state = LinkState::Connect;
        self.repl.link.connect_at_ms = 0;
        self.repl.link.down_since_ms = self.now_ms;
        self.replica_connect();
    }

    /// Stop following (Redis's replicationUnsetMaster): a new history
    /// starts, the old one kept as replid2 so our replicas continue.
    pub fn replication_unset_master(&mut self) {
        if !self.is_replica() {
            return;
        }
        self.drop_master_client();
        self.cancel_handshake();
        self.repl.link.master = None;
        self.repl.link.state = LinkState::None;
        self.repl.link.can_psync = false;
        self.config.replicaof = None;
        self.repl.shift_replid();
        // Our replicas must learn the new ID: they reconnect and continue.
        self.disconnect_replicas();
        self.repl.seldb = None;
        self.repl.no_replicas_since_ms = self.now_ms;
        self.disconnect_blocked_clients(
            b"UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)",
        );
        log::info!(
            "Setting secondary replication ID to {}, valid up to offset: {}. New replication ID is {}",
            self.repl.replid2,
            self.repl.second_replid_offset,
            self.repl.replid
        );
    }

    fn drop_master_client(&mut self) {
        if let Some(slot) = self.repl.link.master_slot.take()
            && let Some(Some(m)) = self.clients.get_mut(slot)
        {
            // Freed by the loop; it must not count as a lost link then.
            m.master_link = false;
            m.close_asap = true;
            self.repl.link.cached_db = m.db;
            self.pending_writes.push(slot);
        }
    }

    fn cancel_handshake(&mut self) {
        let l = &mut self.repl.link;
        // A running load finishes on its thread; its result is dropped there.
        l.load = None;
        l.sock = None;
        l.needs_register = false;
        l.inbuf.clear();
        l.expect.clear();
        if let Some(t) = l.transfer.take() {
            let _ = std::fs::remove_file(&t.temp);
        }
    }

    pub fn disconnect_replicas(&mut self) {
        for &slot in &self.repl.replicas {
            if let Some(Some(c)) = self.clients.get_mut(slot) {
                c.close_asap = true;
                self.pending_writes.push(slot);
            }
        }
    }

    fn disconnect_blocked_clients(&mut self, msg: &'static [u8]) {
        let slots: Vec<usize> = self.blocked_slots.iter().copied().collect();
        for slot in slots {
            if let Some(mut c) = self.clients.get_mut(slot).and_then(Option::take) {
                if !matches!(
                    c.bstate.as_ref().map(|b| &b.op),
                    Some(crate::blocked::BlockOp::Wait { .. })
                ) {
                    self.release_blocked(&mut c, crate::blocked::Unblock::Message(msg));
                    self.pending_writes.push(slot);
                }
                self.clients[slot] = Some(c);
            }
        }
    }

    // ---------------------------------------------------------------
    // The link: connect, handshake, transfer.
    // ---------------------------------------------------------------

    /// Open the connection to the master (Redis's connectWithMaster).
    fn replica_connect(&mut self) {
        let Some(m) = self.repl.link.master.clone() else {
            return;
        };
        log::info!("Connecting to MASTER {}:{}", m.host, m.port);
        use std::net::ToSocketAddrs;
        let addr = (m.host.as_str(), m.port)
            .to_socket_addrs()
            .ok()
            .and_then(|mut a| a.next());
        let sock = addr.map(TcpStream::connect);
        match sock {
            Some(Ok(s)) => {
                let l = &mut self.repl.link;
                l.sock = Some(s);
                l.needs_register = true;
                l.state = LinkState::Connecting;
                l.last_io_ms = self.now_ms;
                l.inbuf.clear();
                l.expect.clear();
                log::info!("MASTER <-> REPLICA sync started");
            }
            Some(Err(e)) => self.link_failed(&format!("Unable to connect to MASTER: {e}")),
            None => self.link_failed("Unable to connect to MASTER: can't resolve its address"),
        }
    }

    /// The handshake or transfer failed: close, try again in a second.
    fn link_failed(&mut self, why: &str) {
        log::warn!("{why}");
        if self.repl.failover.is_some() {
            self.cancel_handshake();
            self.abort_failover("Failover target rejected psync request or the link failed");
            return;
        }
        self.cancel_handshake();
        if self.is_replica() {
            self.repl.link.state = LinkState::Connect;
            self.repl.link.connect_at_ms = self.now_ms + 1000;
        }
    }

    /// The replica's part of the cron: connect when due, time out a
    /// silent link, send the once-a-second ACK.
    pub(super) fn replica_cron(&mut self) {
        if !self.is_replica() {
            return;
        }
        let now = self.now_ms;
        let timeout = self.config.repl_timeout as i64 * 1000;
        match self.repl.link.state {
            LinkState::Connect if now >= self.repl.link.connect_at_ms => self.replica_connect(),
            LinkState::Connecting | LinkState::Handshake
                if now - self.repl.link.last_io_ms > timeout =>
            {
                self.link_failed("Timeout connecting to the MASTER...");
            }
            LinkState::Transfer if now - self.repl.link.last_io_ms > timeout => {
                self.link_failed("Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value.");
            }
            LinkState::Connected => {
                let slot = self.repl.link.master_slot;
                let silent = slot
                    .and_then(|s| self.clients.get(s)?.as_ref())
                    .is_some_and(|m| {
                        now - m.last_interaction > timeout
                            && now - self.repl.link.last_io_ms > timeout
                    });
                if silent && let Some(s) = slot {
                    log::warn!("MASTER timeout: no data nor PING received...");
                    if let Some(Some(m)) = self.clients.get_mut(s) {
                        m.close_asap = true;
                        self.pending_writes.push(s);
                    }
                } else if self.cronloops.is_multiple_of(self.config.hz.max(1) as u64) {
                    self.replica_send_ack();
                }
            }
            _ => {}
        }
    }

    /// REPLCONF ACK <offset> to the master (Redis's replicationSendAck).
    pub fn replica_send_ack(&mut self) {
        let off = self.repl.master_repl_offset;
        let Some(slot) = self.repl.link.master_slot else {
            return;
        };
        if let Some(Some(m)) = self.clients.get_mut(slot) {
            crate::aof::cat_command(
                &mut m.reply.buf,
                &[
                    b"REPLCONF".to_vec(),
                    b"ACK".to_vec(),
                    off.to_string().into_bytes(),
                ],
            );
            if !m.pending_write {
                m.pending_write = true;
                self.pending_writes.push(slot);
            }
        }
    }

    /// A readiness event on the link's socket. Returns the socket and the
    /// bytes read past the sync once the link becomes the master client.
    pub fn replica_link_event(&mut self) -> Option<(TcpStream, Vec<u8>)> {
        match self.repl.link.state {
            LinkState::Connecting => {
                let sock = self.repl.link.sock.as_ref()?;
                if let Ok(Some(e)) | Err(e) = sock.take_error() {
                    self.link_failed(&format!("Error condition on socket for SYNC: {e}"));
                    return None;
                }
                match sock.peer_addr() {
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::NotConnected => return None,
                    Err(e) => {
                        self.link_failed(&format!("Error condition on socket for SYNC: {e}"));
                        return None;
                    }
                }
                log::info!("Non blocking connect for SYNC fired the event.");
                self.repl.link.state = LinkState::Handshake;
                self.repl.link.expect.push_back(Expect::Pong);
                self.link_send(&[b"PING".to_vec()]);
                None
            }
            // The stream waits in the socket while the RDB loads.
            LinkState::Transfer if self.repl.link.load.is_some() => None,
            LinkState::Handshake | LinkState::Transfer => {
                if let Err(e) = self.link_read() {
                    self.link_failed(&e);
                    return None;
                }
                match self.link_process() {
                    Ok(done) => done,
                    Err(e) => {
                        self.link_failed(&e);
                        None
                    }
                }
            }
            _ => None,
        }
    }

    fn link_send(&mut self, argv: &[Vec<u8>]) {
        let mut buf = Vec::new();
        crate::aof::cat_command(&mut buf, argv);
        let ok = self
            .repl
            .link
            .sock
            .as_mut()
            .is_some_and(|s| s.write_all(&buf).is_ok());
        if !ok {
            self.link_failed("Error writing to the MASTER during the handshake");
        }
    }

    /// Read what the socket has (edge-triggered: until it would block).
    fn link_read(&mut self) -> Result<(), String> {
        let l = &mut self.repl.link;
        let Some(sock) = l.sock.as_mut() else {
            return Ok(());
        };
        let mut chunk = [0u8; 16 * 1024];
        loop {
            match sock.read(&mut chunk) {
                Ok(0) => return Err("Master closed the connection during the sync".into()),
                Ok(n) => {
                    l.inbuf.extend_from_slice(&chunk[..n]);
                    l.last_io_ms = crate::util::time::mstime();
                    self.repl.stats.net_repl_input_bytes += n as u64;
                    // Drain the payload to its file as it comes, so a big
                    // RDB never sits in memory.
                    if l.state == LinkState::Transfer && l.inbuf.len() >= 1 << 20 {
                        return Ok(());
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(format!("Error reading from MASTER: {e}")),
            }
        }
    }

    /// Consume what was read: handshake replies, then the payload.
    fn link_process(&mut self) -> Result<Option<(TcpStream, Vec<u8>)>, String> {
        loop {
            match self.repl.link.state {
                LinkState::Handshake => {
                    let Some(line) = take_line(&mut self.repl.link.inbuf) else {
                        return Ok(None);
                    };
                    if let Some(done) = self.handshake_reply(&line)? {
                        return Ok(Some(done));
                    }
                }
                LinkState::Transfer => {
                    let more = self.transfer_step()?;
                    if self.repl.link.state != LinkState::Transfer {
                        return Ok(self.finish_sync());
                    }
                    if !more {
                        // Partial read left over (edge-triggered readiness
                        // will not say so again): keep reading.
                        if self.repl.link.inbuf.is_empty() {
                            self.link_read()?;
                            if self.repl.link.inbuf.is_empty() {
                                return Ok(None);
                            }
                        }
                    }
                }
                _ => return Ok(None),
            }
        }
    }

    fn handshake_reply(&mut self, line: &[u8]) -> Result<Option<(TcpStream, Vec<u8>)>, String> {
        // A master keeps a waiting replica's link alive with bare
        // newlines (before +FULLRESYNC while its sync is delayed).
        if line.is_empty() {
            return Ok(None);
        }
        let text = String::from_utf8_lossy(line).into_owned();
        let Some(what) = self.repl.link.expect.pop_front() else {
            return Ok(None);
        };
        match what {
            Expect::Pong => {
                // -NOAUTH / -NOPERM / operation not permitted: AUTH follows.
                if text.starts_with('-')
                    && !text.starts_with("-NOAUTH")
                    && !text.starts_with("-NOPERM")
                    && !text.starts_with("-ERR operation not permitted")
                {
                    return Err(format!("Error reply to PING from master: '{text}'"));
                }
                log::info!("Master replied to PING, replication can continue...");
                // The rest of the handshake goes out at once; the replies
                // come back in order.
                if !self.config.masterauth.is_empty() {
                    let mut argv = vec![b"AUTH".to_vec()];
                    if !self.config.masteruser.is_empty() {
                        argv.push(self.config.masteruser.clone().into_bytes());
                    }
                    argv.push(self.config.masterauth.clone().into_bytes());
                    self.link_send(&argv);
                    self.repl.link.expect.push_back(Expect::Auth);
                }
                let port = if self.config.replica_announce_port > 0 {
                    self.config.replica_announce_port
                } else {
                    self.config.port as u64
                };
                self.link_send(&[
                    b"REPLCONF".to_vec(),
                    b"listening-port".to_vec(),
                    port.to_string().into_bytes(),
                ]);
                self.repl.link.expect.push_back(Expect::Port);
                if !self.config.replica_announce_ip.is_empty() {
                    self.link_send(&[
                        b"REPLCONF".to_vec(),
                        b"ip-address".to_vec(),
                        self.config.replica_announce_ip.clone().into_bytes(),
                    ]);
                    self.repl.link.expect.push_back(Expect::Ip);
                }
                self.link_send(&[
                    b"REPLCONF".to_vec(),
                    b"capa".to_vec(),
                    b"eof".to_vec(),
                    b"capa".to_vec(),
                    b"psync2".to_vec(),
                ]);
                self.repl.link.expect.push_back(Expect::Capa);
            }
            Expect::Auth => {
                if text.starts_with('-') {
                    return Err(format!("Unable to AUTH to MASTER: {text}"));
                }
            }
            Expect::Port | Expect::Ip | Expect::Capa => {
                if text.starts_with('-') {
                    log::info!("(Non critical) Master does not understand REPLCONF: {text}");
                }
                if matches!(what, Expect::Capa) {
                    self.send_psync();
                }
            }
            Expect::Psync => return self.psync_reply(&text),
        }
        Ok(None)
    }

    /// PSYNC with our history, or `PSYNC ? -1` without one.
    fn send_psync(&mut self) {
        let (id, off) = if self.repl.link.can_psync {
            (
                self.repl.replid.clone(),
                (self.repl.master_repl_offset + 1).to_string(),
            )
        } else {
            log::info!("Partial resynchronization not possible (no cached master)");
            ("?".to_string(), "-1".to_string())
        };
        if id != "?" {
            log::info!("Trying a partial resynchronization (request {id}:{off}).");
        }
        let mut argv = vec![b"PSYNC".to_vec(), id.into_bytes(), off.into_bytes()];
        if self
            .repl
            .failover
            .as_ref()
            .is_some_and(|f| f.state == super::failover::FailoverState::InProgress)
        {
            argv.push(b"FAILOVER".to_vec());
        }
        self.link_send(&argv);
        self.repl.link.expect.push_back(Expect::Psync);
    }

    fn psync_reply(&mut self, text: &str) -> Result<Option<(TcpStream, Vec<u8>)>, String> {
        if text.starts_with('+') {
            self.failover_done();
        }
        if let Some(rest) = text.strip_prefix("+FULLRESYNC") {
            let mut w = rest.split_whitespace();
            let (Some(id), Some(off)) = (w.next(), w.next().and_then(|o| o.parse::<u64>().ok()))
            else {
                return Err(format!(
                    "Master replied with wrong +FULLRESYNC syntax: {text}"
                ));
            };
            log::info!("Full resync from master: {id}:{off}");
            let temp = std::path::PathBuf::from(format!(
                "temp-{}.{}.rdb",
                self.now_ms / 1000,
                std::process::id()
            ));
            let file = std::fs::File::create(&temp).map_err(|e| {
                format!("Opening the temp file needed for MASTER <-> REPLICA synchronization: {e}")
            })?;
            self.repl.link.transfer = Some(Transfer {
                eof_mark: None,
                left: 0,
                file: Some(file),
                temp,
                tail: Vec::new(),
                replid: id.to_string(),
                offset: off,
            });
            self.repl.link.transfer_size = -1;
            self.repl.link.transfer_read = 0;
            self.repl.link.state = LinkState::Transfer;
            return Ok(None);
        }
        if let Some(rest) = text.strip_prefix("+CONTINUE") {
            log::info!("Successful partial resynchronization with master.");
            if let Some(new) = rest.split_whitespace().next()
                && new.len() == 40
                && new != self.repl.replid
            {
                // The master's history has a new name from here on; ours
                // continues under it, the old one valid up to here.
                self.repl.replid2 = std::mem::replace(&mut self.repl.replid, new.to_string());
                self.repl.second_replid_offset = self.repl.master_repl_offset as i64 + 1;
                log::warn!("Master replication ID changed to {new}");
                self.disconnect_replicas();
            }
            log::info!("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.");
            self.repl_create_backlog();
            let sock = self.repl.link.sock.take();
            self.repl.link.needs_register = false;
            let rest = std::mem::take(&mut self.repl.link.inbuf);
            self.repl.link.state = LinkState::Connected;
            return Ok(sock.map(|s| (s, rest)));
        }
        if text.starts_with("-NOMASTERLINK") || text.starts_with("-LOADING") {
            return Err(format!(
                "Master is currently unable to PSYNC but should be in the future: {text}"
            ));
        }
        Err(format!("Unexpected reply to PSYNC from master: {text}"))
    }

    /// Move received payload to the temp file. Ok(true): progress made.
    fn transfer_step(&mut self) -> Result<bool, String> {
        let l = &mut self.repl.link;
        let Some(t) = l.transfer.as_mut() else {
            return Err("no transfer".into());
        };
        if l.transfer_size == -1 && t.eof_mark.is_none() {
            // The header: `$<len>` or `$EOF:<mark>`, after any newlines the
            // master sent to keep us waiting.
            let Some(line) = take_line(&mut l.inbuf) else {
                return Ok(false);
            };
            if line.is_empty() {
                return Ok(true);
            }
            if line.first() == Some(&b'-') {
                return Err(format!(
                    "MASTER aborted replication with an error: {}",
                    String::from_utf8_lossy(&line[1..])
                ));
            }
            if let Some(mark) = line.strip_prefix(b"$EOF:") {
                if mark.len() != 40 {
                    return Err("Bad EOF mark from MASTER".into());
                }
                t.eof_mark = Some(mark.to_vec());
                l.transfer_size = 0;
                log::info!(
                    "MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk"
                );
            } else if let Some(n) = line
                .strip_prefix(b"$")
                .and_then(crate::util::num::string2ll)
                .filter(|&n| n >= 0)
            {
                t.left = n as u64;
                l.transfer_size = n;
                log::info!("MASTER <-> REPLICA sync: receiving {n} bytes from master to disk");
            } else {
                return Err(format!(
                    "Bad protocol from MASTER, the first byte is not '$' (we received '{}'), are you sure the host and port are right?",
                    String::from_utf8_lossy(&line)
                ));
            }
            return Ok(true);
        }
        if l.inbuf.is_empty() {
            return Ok(false);
        }
        let take = match &t.eof_mark {
            Some(_) => l.inbuf.len(),
            None => (t.left.min(l.inbuf.len() as u64)) as usize,
        };
        let data: Vec<u8> = l.inbuf.drain(..take).collect();
        if let Some(f) = t.file.as_mut() {
            f.write_all(&data)
                .map_err(|e| format!("Write error or short write writing to the DB dump file needed for MASTER <-> REPLICA synchronization: {e}"))?;
        }
        l.transfer_read += data.len() as u64;
        let done = match &t.eof_mark {
            Some(mark) => {
                t.tail.extend_from_slice(&data);
                if t.tail.len() > 40 {
                    t.tail.drain(..t.tail.len() - 40);
                }
                &t.tail[..] == mark.as_slice()
            }
            None => {
                t.left -= data.len() as u64;
                t.left == 0
            }
        };
        if done {
            l.state = LinkState::Connected;
        }
        Ok(true)
    }

    /// The payload is in: load it in place of our data, adopt the
    /// master's history, and hand the socket over as the master client
    /// (Redis's readSyncBulkPayload, its end).
    fn finish_sync(&mut self) -> Option<(TcpStream, Vec<u8>)> {
        let t = self.repl.link.transfer.take()?;
        let file = t.file?;
        if t.eof_mark.is_some() {
            let len = self.repl.link.transfer_read.saturating_sub(40);
            if let Err(e) = file.set_len(len) {
                self.link_failed(&format!(
                    "Error truncating the RDB file received from the master for SYNC: {e}"
                ));
                return None;
            }
        }
        let _ = file.sync_all();
        drop(file);
        let path = self.rdb_path();
        if let Err(e) = std::fs::rename(&t.temp, &path) {
            let _ = std::fs::remove_file(&t.temp);
            self.link_failed(&format!("Failed trying to rename the temp DB into {} in MASTER <-> REPLICA synchronization: {e}", path.display()));
            return None;
        }
        // Our replicas held the old data: they sync again.
        self.disconnect_replicas();
        self.repl.backlog = None;
        if self.config.repl_diskless_load != "disabled" {
            // swapdb / on-empty-db: the old data is served while a thread
            // builds the new one; the loop swaps it in when ready.
            log::info!(
                "MASTER <-> REPLICA sync: Loading DB in memory, serving the old data meanwhile"
            );
            match self.replica_load_in_background(path) {
                Ok(handle) => {
                    self.repl.link.state = LinkState::Transfer;
                    self.repl.link.load = Some((handle, t.replid, t.offset));
                }
                Err(e) => self.link_failed(&format!("Can't start the loading thread: {e}")),
            }
            return None;
        }
        log::info!("MASTER <-> REPLICA sync: Flushing old data");
        log::info!("MASTER <-> REPLICA sync: Loading DB in memory");
        if let Err(e) = self.replica_load_rdb(&path) {
            log::warn!(
                "Failed trying to load the MASTER synchronization DB from disk, check server logs: {e}"
            );
            self.link_failed("MASTER <-> REPLICA sync failed");
            return None;
        }
        self.adopt_master_history(t.replid, t.offset)
    }

    /// A background load finished (from before_sleep): swap the new data
    /// in and hand the link over as the master client.
    pub fn replica_poll_load(&mut self) -> Option<(TcpStream, Vec<u8>)> {
        if !self
            .repl
            .link
            .load
            .as_ref()
            .is_some_and(|(h, _, _)| h.is_finished())
        {
            return None;
        }
        let (handle, replid, offset) = self.repl.link.load.take()?;
        let loaded = handle
            .join()
            .unwrap_or_else(|_| Err("the loading thread panicked".to_string()));
        let swapped = loaded.and_then(|(dbs, loaded)| self.replica_swap_in(dbs, loaded));
        if let Err(e) = swapped {
            log::warn!("Failed trying to load the MASTER synchronization DB from disk: {e}");
            self.link_failed("MASTER <-> REPLICA sync failed");
            return None;
        }
        log::info!("MASTER <-> REPLICA sync: Swapped in the new dataset");
        self.adopt_master_history(replid, offset)
    }

    /// The master's data is ours: so is its history (ID and offset).
    fn adopt_master_history(
        &mut self,
        replid: String,
        offset: u64,
    ) -> Option<(TcpStream, Vec<u8>)> {
        self.repl.replid = replid;
        self.repl.master_repl_offset = offset;
        self.repl.clear_replid2();
        self.repl_create_backlog();
        self.repl.link.can_psync = true;
        self.repl.link.cached_db = 0;
        log::info!("MASTER <-> REPLICA sync: Finished with success");
        let sock = self.repl.link.sock.take()?;
        self.repl.link.needs_register = false;
        let rest = std::mem::take(&mut self.repl.link.inbuf);
        Some((sock, rest))
    }

    /// The loop turned the link into the master client at `slot`.
    pub fn master_client_attached(&mut self, c: &mut Client) {
        c.master_link = true;
        c.authenticated = true;
        c.user = crate::acl::SUPERUSER;
        c.db = self.repl.link.cached_db;
        c.query.keep_raw = true;
        c.repl_applied = 0;
        self.repl.link.master_slot = Some(c.slot);
        self.repl.link.state = LinkState::Connected;
        self.repl.link.last_io_ms = self.now_ms;
        self.repl.link.read_reploff = self.repl.master_repl_offset + c.query.buf.len() as u64;
        // The first ACK puts us online at a diskless master.
        crate::aof::cat_command(
            &mut c.reply.buf,
            &[
                b"REPLCONF".to_vec(),
                b"ACK".to_vec(),
                self.repl.master_repl_offset.to_string().into_bytes(),
            ],
        );
        if self.aof.is_some() {
            // The AOF holds the old dataset: start over from the new one.
            self.aof_restart_after_sync();
        }
    }

    /// After a command from the master: its bytes count as applied
    /// (proxied and in the offset) unless a MULTI is still open, and a
    /// GETACK is answered.
    pub fn master_command_processed(&mut self, c: &mut Client) {
        if c.mstate.is_none() && c.query.pos > c.repl_applied {
            let applied = c.query.buf[c.repl_applied..c.query.pos].to_vec();
            c.repl_applied = c.query.pos;
            self.repl_feed_raw(&applied);
        }
        if std::mem::take(&mut self.repl.link.ack_requested) {
            crate::aof::cat_command(
                &mut c.reply.buf,
                &[
                    b"REPLCONF".to_vec(),
                    b"ACK".to_vec(),
                    self.repl.master_repl_offset.to_string().into_bytes(),
                ],
            );
        }
    }

    /// The master client is gone (from free_client): reconnect soon and
    /// continue from where we are.
    pub fn master_link_lost(&mut self, c: &Client) {
        if !c.master_link || self.repl.link.master_slot != Some(c.slot) {
            return;
        }
        log::info!("Connection with master lost.");
        log::info!("Caching the disconnected master state.");
        self.repl.link.master_slot = None;
        self.repl.link.cached_db = c.db;
        self.repl.link.can_psync = true;
        self.repl.link.state = LinkState::Connect;
        self.repl.link.connect_at_ms = self.now_ms;
        self.repl.link.down_since_ms = self.now_ms;
    }

    /// INFO replication's replica part.
    pub(super) fn info_replica_link(&self, m: &MasterAddr, out: &mut String) {
        use std::fmt::Write;
        let l = &self.repl.link;
        let last_io = if l.state == LinkState::Connected {
            let last = l
                .master_slot
                .and_then(|s| self.clients.get(s)?.as_ref())
                .map_or(l.last_io_ms, |c| c.last_interaction.max(l.last_io_ms));
            (self.now_ms - last) / 1000
        } else {
            -1
        };
        let _ = write!(
            out,
            "master_host:{}\r\nmaster_port:{}\r\nmaster_link_status:{}\r\nmaster_last_io_seconds_ago:{last_io}\r\nmaster_sync_in_progress:{}\r\nslave_read_repl_offset:{}\r\nslave_repl_offset:{}\r\n",
            m.host,
            m.port,
            if l.state == LinkState::Connected {
                "up"
            } else {
                "down"
            },
            (l.state == LinkState::Transfer) as u8,
            match l.state {
                LinkState::Connected => l.read_reploff,
                _ if l.can_psync => self.repl.master_repl_offset,
                _ => 1,
            },
            if l.state == LinkState::Connected || l.can_psync {
                self.repl.master_repl_offset
            } else {
                1
            },
        );
        if l.state == LinkState::Transfer {
            let size = l.transfer_size.max(0);
            let perc = if size > 0 {
                l.transfer_read as f64 / size as f64 * 100.0
            } else {
                0.0
            };
            let _ = write!(
                out,
                "master_sync_total_bytes:{size}\r\nmaster_sync_read_bytes:{}\r\nmaster_sync_left_bytes:{}\r\nmaster_sync_perc:{perc:.2}\r\nmaster_sync_last_io_seconds_ago:{}\r\n",
                l.transfer_read,
                size - l.transfer_read as i64,
                (self.now_ms - l.last_io_ms) / 1000
            );
        }
        if l.state != LinkState::Connected {
            let since = if l.down_since_ms > 0 {
                (self.now_ms - l.down_since_ms) / 1000
            } else {
                -1
            };
            let _ = write!(out, "master_link_down_since_seconds:{since}\r\n");
        }
        let _ = write!(
            out,
            "slave_priority:{}\r\nslave_read_only:{}\r\nreplica_announced:{}\r\n",
            self.config.replica_priority,
            self.config.replica_read_only as u8,
            self.config.replica_announced as u8
        );
    }
}

/// One CRLF- (or LF-) terminated line off the front of `buf`.
fn take_line(buf: &mut Vec<u8>) -> Option<Vec<u8>> {
    let nl = memchr::memchr(b'\n', buf)?;
    let mut line: Vec<u8> = buf.drain(..=nl).collect();
    line.pop();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Some(line)
}
