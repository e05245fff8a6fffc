//! `Client`: one connection's state, after Redis's `client` struct
//! (server.h) and its lifecycle in networking.c: the socket, the query
//! buffer with its parse state, the current argv, the reply buffer, the
//! selected db, and the flags CLIENT LIST shows.

use crate::resp::parse::QueryBuf;
use crate::resp::reply::ReplyBuf;
use mio::net::TcpStream;
use std::io::{self, Read, Write};

/// Redis's NET_MAX_WRITES_PER_EVENT: stop writing one client after this
/// many bytes so others get a turn (unless it is the only work left).
pub const MAX_WRITE_PER_EVENT: usize = 64 * 1024;
/// Redis's PROTO_IOBUF_LEN: bytes asked of the kernel per read.
pub const IOBUF_LEN: usize = 16 * 1024;
/// Redis's reply buffer sizes: a client's starts at PROTO_REPLY_CHUNK_BYTES
/// and the cron resizes it between PROTO_REPLY_MIN_BYTES and that.
pub const PROTO_REPLY_CHUNK_BYTES: usize = 16 * 1024;
pub const PROTO_REPLY_MIN_BYTES: usize = 1024;

pub struct Client {
    pub id: u64,
    pub sock: Option<TcpStream>,
    pub addr: String,
    pub laddr: String,
    pub query: QueryBuf,
    pub reply: ReplyBuf,
    pub argv: Vec<Vec<u8>>,
    pub db: usize,
    pub name: Option<Vec<u8>>,
    pub lib_name: Option<Vec<u8>>,
    pub lib_ver: Option<Vec<u8>>,
    /// Creation and last interaction times, Unix ms.
    pub ctime: i64,
    pub last_interaction: i64,
    /// Full name of the last command run, for CLIENT LIST's cmd=.
    pub last_cmd: &'static str,
    /// How long the last command's own run took (Redis's c->duration): a
    /// blocked command's stats add it when it is served.
    pub duration_us: u64,
    /// Redis 7.0's dynamic reply buffer, as CLIENT LIST's rbs= and rbp=
    /// report it: our reply buffer is one growable Vec, so this is Redis's
    /// account of it (buf_usable_size, buf_peak and its last reset),
    /// resized by the cron as Redis's clientsCronResizeOutputBuffer does.
    pub rbs: usize,
    pub rbuf_peak: usize,
    pub rbuf_peak_reset_ms: i64,
    /// Close once the reply is written (QUIT, protocol errors).
    pub close_after_reply: bool,
    /// Close at the next chance (CLIENT KILL, errors).
    pub close_asap: bool,
    /// SCRIPT DEBUG: its EVALs run under the Lua debugger; Some(true) for
    /// SYNC (Redis's CLIENT_LUA_DEBUG and CLIENT_LUA_DEBUG_SYNC).
    pub lua_debug: Option<bool>,
    /// Writable interest registered with the poller.
    pub want_write: bool,
    pub bytes_read_total: u64,
    pub bytes_written_total: u64,
    /// Reply bytes waiting for the AOF (`appendfsync always`): (end of
    /// the bytes, counted like `bytes_written_total`; the AOF offset that
    /// must be durable before they leave), oldest first.
    pub held: std::collections::VecDeque<(u64, u64)>,
    /// The end of the bytes released from `held` so far.
    pub released_to: u64,
    /// Passed AUTH (or no password is set).
    pub authenticated: bool,
    /// The ACL user's slot (acl::DEFAULT_USER until AUTH; acl::SUPERUSER
    /// for internal clients).
    pub user: usize,
    /// Index in the server's client slab (its poll token's slot).
    pub slot: usize,
    /// Set while blocked in BLPOP and friends.
    pub bstate: Option<crate::blocked::BlockState>,
    /// Argument bytes of the command the client is blocked in (CLIENT
    /// LIST's argv-mem: Redis keeps that argv until it is served).
    pub blocked_argv_mem: usize,
    /// Commands queued since MULTI.
    pub mstate: Option<Vec<Vec<Vec<u8>>>>,
    /// A command was refused while queueing: EXEC will abort.
    pub dirty_exec: bool,
    /// Keys this client WATCHes: (db, key).
    pub watched: Vec<(usize, Vec<u8>)>,
    /// Running queued commands inside EXEC (blocking commands don't block).
    pub in_exec: bool,
    /// Subscribed channels and patterns, in subscription order.
    pub channels: Vec<Vec<u8>>,
    pub patterns: Vec<Vec<u8>>,
    /// Shard channels (SSUBSCRIBE), in subscription order.
    pub shard_channels: Vec<Vec<u8>>,
    /// Client-side caching state (CLIENT TRACKING on).
    pub tracking: Option<crate::tracking::ClientTracking>,
    /// Since when the reply buffer is over the pub/sub soft limit (ms).
    pub obuf_soft_since: Option<i64>,
    /// MONITOR mode.
    pub monitor: bool,
    /// CLIENT NO-EVICT on (the `e` flag): never evicted by
    /// maxmemory-clients.
    pub no_evict: bool,
    /// This client's memory as counted in `Server::client_mem_total`.
    pub mem_counted: usize,
    /// While EXEC runs its queue: how many commands it holds (CLIENT LIST
    /// still shows the client in MULTI, as Redis does).
    pub exec_len: Option<usize>,
    /// CLIENT REPLY OFF / SKIP.
    pub reply_off: bool,
    pub reply_skip_next: bool,
    /// The running command's replies are dropped (REPLY OFF / SKIP);
    /// pushes meant for it are held and delivered after.
    pub replies_suppressed: bool,
    /// Push frames written while replies were suppressed, sent after.
    pub kept_pushes: Vec<u8>,
    /// A command held back by CLIENT PAUSE, run when the pause ends.
    pub paused_argv: Option<Vec<Vec<u8>>>,
    /// Already on the server's pending-write list.
    pub pending_write: bool,
    /// This connection is a replica of ours (it sent SYNC/PSYNC).
    pub replica: Option<Box<crate::replication::ReplicaInfo>>,
    /// REPLCONF options a replica sent before its PSYNC.
    pub pending_replica: Option<Box<crate::replication::ReplicaInfo>>,
    /// This connection is our master's link (Redis's CLIENT_MASTER): its
    /// commands are obeyed, their replies dropped.
    pub master_link: bool,
    /// The replication offset after this client's last write (WAIT).
    pub woff: u64,
    /// The master link: where in the query buffer the bytes not yet
    /// applied (proxied, counted in the offset) start.
    pub repl_applied: usize,
}

impl Client {
    pub fn new(id: u64, sock: Option<TcpStream>, now: i64) -> Client {
        let (addr, laddr) = match &sock {
            Some(s) => (
                s.peer_addr().map(|a| a.to_string()).unwrap_or_default(),
                s.local_addr().map(|a| a.to_string()).unwrap_or_default(),
            ),
            None => (String::new(), String::new()),
        };
        Client {
            id,
            sock,
            addr,
            laddr,
            query: QueryBuf::default(),
            reply: ReplyBuf::new(),
            argv: Vec::new(),
            db: 0,
            name: None,
            lib_name: None,
            lib_ver: None,
            ctime: now,
            last_interaction: now,
            last_cmd: "NULL",
            duration_us: 0,
            rbs: crate::client::PROTO_REPLY_CHUNK_BYTES,
            rbuf_peak: 0,
            rbuf_peak_reset_ms: now,
            close_after_reply: false,
            close_asap: false,
            lua_debug: None,
            want_write: false,
            bytes_read_total: 0,
            bytes_written_total: 0,
            held: std::collections::VecDeque::new(),
            released_to: 0,
            authenticated: false,
            user: crate::acl::DEFAULT_USER,
            slot: usize::MAX,
            bstate: None,
            blocked_argv_mem: 0,
            mstate: None,
            dirty_exec: false,
            watched: Vec::new(),
            in_exec: false,
            channels: Vec::new(),
            patterns: Vec::new(),
            shard_channels: Vec::new(),
            tracking: None,
            obuf_soft_since: None,
            monitor: false,
            no_evict: false,
            mem_counted: 0,
            exec_len: None,
            reply_off: false,
            reply_skip_next: false,
            replies_suppressed: false,
            kept_pushes: Vec::new(),
            paused_argv: None,
            pending_write: false,
            replica: None,
            pending_replica: None,
            master_link: false,
            woff: 0,
            repl_applied: 0,
        }
    }

    /// One read from the socket, as Redis's readQueryFromClient: 16 KiB, or
    /// the rest of a big bulk argument. Returns (bytes read, maybe more
    /// waiting): a read that filled its buffer may have left data behind,
    /// and with edge-triggered readiness the caller must come back for it.
    /// EOF is `Err(UnexpectedEof)`.
    pub fn read_from_socket(&mut self) -> io::Result<(usize, bool)> {
        let Some(sock) = self.sock.as_mut() else {
            return Ok((0, false));
        };
        let want = self.query.wanted().max(IOBUF_LEN);
        let buf = &mut self.query.buf;
        buf.reserve(want);
        let start = buf.len();
        let spare = &mut buf.spare_capacity_mut()[..want];
        // SAFETY: `read` on a socket only writes into the slice (the kernel
        // fills it); we expose exactly the `n` bytes it reports.
        let dst = unsafe { std::slice::from_raw_parts_mut(spare.as_mut_ptr() as *mut u8, want) };
        loop {
            match sock.read(dst) {
                Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(n) => {
                    // SAFETY: the kernel initialised these `n` bytes.
                    unsafe { buf.set_len(start + n) };
                    self.query.peak = self.query.peak.max(start + n);
                    self.bytes_read_total += n as u64;
                    return Ok((n, n == want));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok((0, false)),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Write pending reply bytes until done, WouldBlock, or `limit`.
    /// Returns true when everything pending was written.
    /// Hold the reply bytes produced so far until the AOF offset `need` is
    /// durable (no-op when nothing new was produced since the last hold).
    pub fn hold_reply(&mut self, need: u64) {
        let end = self.bytes_written_total + self.reply.pending() as u64;
        if self.held.back().is_none_or(|&(e, _)| e < end) && end > self.bytes_written_total {
            self.held.push_back((end, need));
        }
    }

    /// How many pending reply bytes may leave now that `synced` AOF bytes
    /// are durable: all of them unless some still wait.
    pub fn sendable(&mut self, synced: u64) -> usize {
        while let Some(&(end, need)) = self.held.front() {
            if need > synced {
                break;
            }
            self.released_to = end;
            self.held.pop_front();
        }
        if self.held.is_empty() {
            self.reply.pending()
        } else {
            self.released_to.saturating_sub(self.bytes_written_total) as usize
        }
    }

    /// Write up to `limit` pending reply bytes. True when nothing is left.
    pub fn write_to_socket(&mut self, limit: usize) -> io::Result<bool> {
        // What Redis's static buffer would have held (its buf_peak).
        let held = self.reply.pending().min(self.rbs);
        if held > self.rbuf_peak {
            self.rbuf_peak = held;
        }
        let Some(sock) = self.sock.as_mut() else {
            self.reply.buf.clear();
            self.reply.sent = 0;
            return Ok(true);
        };
        let mut written = 0;
        let stop = self
            .reply
            .sent
            .saturating_add(limit)
            .min(self.reply.buf.len());
        while self.reply.sent < stop {
            match sock.write(&self.reply.buf[self.reply.sent..stop]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.reply.sent += n;
                    written += n;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        self.bytes_written_total += written as u64;
        if self.reply.sent == self.reply.buf.len() {
            self.reply.buf.clear();
            self.reply.sent = 0;
            // Give memory back after a huge reply.
            if self.reply.buf.capacity() > 1024 * 1024 {
                self.reply.buf.shrink_to(16 * 1024);
            }
            return Ok(true);
        }
        Ok(false)
    }

    pub fn fd(&self) -> i32 {
        use std::os::fd::AsRawFd;
        self.sock.as_ref().map(|s| s.as_raw_fd()).unwrap_or(-1)
    }

    /// A connection from this machine (Redis's islocalClient: 127.0.0.1
    /// or ::1).
    pub fn is_local(&self) -> bool {
        self.sock
            .as_ref()
            .and_then(|s| s.peer_addr().ok())
            .is_some_and(|a| is_loopback_peer(&a))
    }
}

/// Redis's islocalClient: the peer is exactly 127.0.0.1 or ::1.
pub fn is_loopback_peer(a: &std::net::SocketAddr) -> bool {
    match a.ip() {
        std::net::IpAddr::V4(ip) => ip == std::net::Ipv4Addr::LOCALHOST,
        std::net::IpAddr::V6(ip) => ip == std::net::Ipv6Addr::LOCALHOST,
    }
}
