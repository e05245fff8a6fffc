//! MIGRATE (Redis's migrateCommand and its socket cache, cluster.c),
//! without stopping the loop.
//!
//! Redis moves the keys with blocking socket calls: the whole server waits
//! up to `timeout` ms per connect, write and reply. Here the calling client
//! blocks instead and the exchange runs on a non-blocking socket the loop
//! drives (`migrate_event`). Until it ends, a command from anyone else
//! that names a key being moved, and any other MIGRATE, waits as a
//! CLIENT PAUSE'd command does (`migrate_holds`), so to every other client
//! the move is as atomic as Redis's: the keys are there, unchanged, until
//! the target has acknowledged them, then gone. Inside MULTI/EXEC or a
//! script, where nothing can wait, the exchange runs blocking, as in Redis.
//!
//! Connections are cached per host:port for 10 s (MIGRATE_SOCKET_CACHE_TTL)
//! and 64 at most, remembering the db they last SELECTed.

use crate::blocked::{BlockOp, BlockState};
use crate::client::Client;
use crate::commands::args::is;
use crate::commands::{CmdResult, ReplyError, SYNTAX_ERR};
use crate::notify;
use crate::server::Server;
use mio::net::TcpStream;
use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::ToSocketAddrs;
use std::time::Duration;

/// Event-loop tokens of MIGRATE's sockets: far above any client's.
pub const TOKEN_BASE: usize = usize::MAX / 2;
const CACHE_ITEMS: usize = 64;
const CACHE_TTL_MS: i64 = 10_000;
/// A reply line longer than this is cut (Redis reads into 1024 bytes).
const LINE_MAX: usize = 1024;

pub struct CachedSocket {
    sock: TcpStream,
    token: usize,
    /// The db the connection has SELECTed (-1: none, or unknown).
    last_dbid: i64,
    last_use_ms: i64,
    /// Connected (a fresh socket waits for its first writable event).
    connected: bool,
}

#[derive(Default)]
pub struct MigrateState {
    cache: HashMap<Vec<u8>, CachedSocket>,
    next_token: usize,
    /// The migration in flight; at most one at a time, as in Redis.
    pub active: Option<Migration>,
    /// Cache entries whose socket the loop must register.
    pub to_register: Vec<Vec<u8>>,
    /// An exchange that ended while its caller was not in its slot (within
    /// `migrate_command` itself): the caller's id and its answer.
    done: Option<(u64, Result<(), Vec<u8>>)>,
}

#[derive(Clone, Copy, PartialEq)]
enum Phase {
    Connecting,
    Writing,
    Reading,
}

pub struct Migration {
    client_id: u64,
    slot: usize,
    db: usize,
    /// "host:port", the cache key.
    name: Vec<u8>,
    host: Vec<u8>,
    port: Vec<u8>,
    dbid: i64,
    timeout_ms: i64,
    copy: bool,
    auth: Option<(Option<Vec<u8>>, Vec<u8>)>,
    /// The keys sent, in order, and their RESTORE commands.
    pub keys: Vec<Vec<u8>>,
    restores: Vec<u8>,
    /// This exchange's bytes (AUTH, SELECT, RESTOREs) and how many went.
    out: Vec<u8>,
    written: usize,
    select: bool,
    inbuf: Vec<u8>,
    lines: Vec<Vec<u8>>,
    phase: Phase,
    deadline_ms: i64,
    may_retry: bool,
    /// Run with blocking calls on a socket of its own (MULTI, scripts):
    /// the cache is not its to change.
    blocking: bool,
}

impl Migration {
    fn expected_lines(&self) -> usize {
        usize::from(self.auth.is_some()) + usize::from(self.select) + self.keys.len()
    }

    /// Lines read so far that answer RESTOREs.
    fn restore_lines(&self) -> usize {
        self.lines
            .len()
            .saturating_sub(usize::from(self.auth.is_some()) + usize::from(self.select))
    }
}

/// How an exchange failed on the socket (Redis's socket_err).
#[derive(Clone, Copy)]
enum SockErr {
    Connect,
    Write,
    Read,
    /// Timed out in this phase: no retry.
    Timeout(Phase),
}

fn bulk(out: &mut Vec<u8>, a: &[u8]) {
    out.push(b'$');
    out.extend_from_slice(a.len().to_string().as_bytes());
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(a);
    out.extend_from_slice(b"\r\n");
}

fn array(out: &mut Vec<u8>, n: usize) {
    out.push(b'*');
    out.extend_from_slice(n.to_string().as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE]
/// [AUTH password | AUTH2 username password] [KEYS key...]
pub fn migrate_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let (mut copy, mut replace) = (false, false);
    let mut auth: Option<(Option<Vec<u8>>, Vec<u8>)> = None;
    let (mut first_key, mut num_keys) = (3, 1);
    let argc = c.argv.len();
    let mut j = 6;
    while j < argc {
        let more = argc - 1 - j;
        let a = &c.argv[j];
        if is(a, "copy") {
            copy = true;
        } else if is(a, "replace") {
            replace = true;
        } else if is(a, "auth") {
            if more == 0 {
                return Err(SYNTAX_ERR);
            }
            j += 1;
            auth = Some((None, c.argv[j].clone()));
        } else if is(a, "auth2") {
            if more < 2 {
                return Err(SYNTAX_ERR);
            }
            auth = Some((Some(c.argv[j + 1].clone()), c.argv[j + 2].clone()));
            j += 2;
        } else if is(a, "keys") {
            if !c.argv[3].is_empty() {
                return Err(ReplyError::new(
                    "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string",
                ));
            }
            first_key = j + 1;
            num_keys = argc - j - 1;
            break;
        } else {
            return Err(SYNTAX_ERR);
        }
        j += 1;
    }
    let mut timeout = crate::commands::args::parse_i64(&c.argv[5])?;
    let dbid = crate::commands::args::parse_i64(&c.argv[4])?;
    if timeout <= 0 {
        timeout = 1000;
    }
    // The keys that are here; none is not an error (they may just have
    // expired), Redis answers NOKEY.
    let db = c.db;
    let mut keys = Vec::new();
    for k in &c.argv[first_key..first_key + num_keys] {
        if s.lookup_read(db, k).is_some() {
            keys.push(k.clone());
        }
    }
    if keys.is_empty() {
        c.reply.status("NOKEY");
        return Ok(());
    }
    // The RESTOREs, made now: until the exchange ends nobody else can
    // change these keys.
    let compress = s.config.rdbcompression;
    let now = crate::util::time::mstime();
    let mut restores = Vec::new();
    let mut sent = Vec::new();
    for k in keys {
        let mut ttl = 0;
        if let Some(at) = s.get_expire(db, &k) {
            ttl = at - now;
            if ttl < 0 {
                continue;
            }
            ttl = ttl.max(1);
        }
        let Some(o) = s.lookup_notouch(db, &k) else {
            continue;
        };
        let payload = crate::persistence::snapshot::with_save_value(&o.value, |sv| {
            crate::persistence::rdb::dump_payload(sv, compress)
        })
        .map_err(|e| ReplyError::owned(format!("ERR {e}")))?;
        array(&mut restores, if replace { 5 } else { 4 });
        bulk(&mut restores, b"RESTORE");
        bulk(&mut restores, &k);
        bulk(&mut restores, ttl.to_string().as_bytes());
        bulk(&mut restores, &payload);
        if replace {
            bulk(&mut restores, b"REPLACE");
        }
        sent.push(k);
    }
    let (host, port) = (c.argv[1].clone(), c.argv[2].clone());
    let mut name = host.clone();
    name.push(b':');
    name.extend_from_slice(&port);
    let m = Migration {
        client_id: c.id,
        slot: c.slot,
        db,
        name,
        host,
        port,
        dbid,
        timeout_ms: timeout,
        copy,
        auth,
        keys: sent,
        restores,
        out: Vec::new(),
        written: 0,
        select: false,
        inbuf: Vec::new(),
        lines: Vec::new(),
        phase: Phase::Connecting,
        deadline_ms: 0,
        may_retry: true,
        blocking: false,
    };
    if c.in_exec || s.scripting.running().is_some() || s.loading {
        // Nothing may wait here: the exchange runs blocking, as Redis's.
        return s.migrate_blocking(c, m);
    }
    s.migrate.done = None;
    s.migrate.active = Some(m);
    if let Err(e) = s.migrate_start() {
        s.migrate_failed(e);
    }
    // Over already (a connection refused at once): answer now.
    if let Some((id, reply)) = s.migrate.done.take()
        && id == c.id
    {
        match reply {
            Ok(()) => c.reply.ok(),
            Err(e) => c.reply.error(&e),
        }
        return Ok(());
    }
    let state = BlockState {
        db,
        keys: Vec::new(),
        deadline: 0,
        op: BlockOp::Migrate,
    };
    // Not counted among blocked_clients (Redis's MIGRATE never blocks).
    c.blocked_argv_mem = c.argv.iter().map(|a| a.len()).sum();
    c.bstate = Some(state);
    Ok(())
}

impl MigrateState {
    /// INFO's migrate_cached_sockets.
    pub fn cached_sockets(&self) -> usize {
        self.cache.len()
    }
}

impl Server {
    /// Would this command from `c` change or read the move in flight?
    /// Such commands wait until it ends (postponed like CLIENT PAUSE's).
    pub fn migrate_holds(&self, c: &Client) -> bool {
        let Some(m) = &self.migrate.active else {
            return false;
        };
        let Some(name) = c.argv.first() else {
            return false;
        };
        if is(name, "migrate") {
            return true;
        }
        if is(name, "exec") {
            return c.mstate.as_ref().is_some_and(|q| {
                q.iter().any(|argv| {
                    argv.first().is_some_and(|n| is(n, "migrate")) || self.names_any(argv, &m.keys)
                })
            });
        }
        self.names_any(&c.argv, &m.keys)
    }

    fn names_any(&self, argv: &[Vec<u8>], keys: &[Vec<u8>]) -> bool {
        let crate::commands::Lookup::Found(spec) = self.commands.lookup(argv) else {
            return false;
        };
        if spec.key_specs.is_empty() || !crate::commands::keynum_counts_valid(spec, argv) {
            return false;
        }
        crate::commands::key_positions_and_flags(spec, argv)
            .into_iter()
            .any(|(i, _)| argv.get(i).is_some_and(|k| keys.contains(k)))
    }

    /// Connect (or take the cached connection) and send the exchange.
    fn migrate_start(&mut self) -> Result<(), SockErr> {
        let now = self.now_ms;
        let Some(m) = self.migrate.active.as_mut() else {
            return Ok(());
        };
        m.deadline_ms = now + m.timeout_ms;
        if !self.migrate.cache.contains_key(&m.name) {
            if self.migrate.cache.len() >= CACHE_ITEMS {
                // Full: drop one at random (any but a busy one: none is).
                if let Some(k) = self.migrate.cache.keys().next().cloned() {
                    self.migrate.cache.remove(&k);
                }
            }
            let port = std::str::from_utf8(&m.port)
                .ok()
                .and_then(|p| p.parse::<u16>().ok())
                .unwrap_or(0);
            let host = String::from_utf8_lossy(&m.host).into_owned();
            let addr = (host.as_str(), port)
                .to_socket_addrs()
                .ok()
                .and_then(|mut a| a.next())
                .ok_or(SockErr::Connect)?;
            let sock = TcpStream::connect(addr).map_err(|_| SockErr::Connect)?;
            let _ = sock.set_nodelay(true);
            let token = TOKEN_BASE + self.migrate.next_token;
            self.migrate.next_token = (self.migrate.next_token + 1) % (1 << 20);
            self.migrate.cache.insert(
                m.name.clone(),
                CachedSocket {
                    sock,
                    token,
                    last_dbid: -1,
                    last_use_ms: now,
                    connected: false,
                },
            );
            self.migrate.to_register.push(m.name.clone());
        }
        let Some(cs) = self.migrate.cache.get_mut(&m.name) else {
            return Err(SockErr::Connect);
        };
        cs.last_use_ms = now;
        // This exchange's bytes: AUTH, SELECT unless the connection has
        // it already, the RESTOREs.
        m.out.clear();
        m.written = 0;
        m.lines.clear();
        m.inbuf.clear();
        if let Some((user, pass)) = &m.auth {
            array(&mut m.out, if user.is_some() { 3 } else { 2 });
            bulk(&mut m.out, b"AUTH");
            if let Some(u) = user {
                bulk(&mut m.out, u);
            }
            bulk(&mut m.out, pass);
        }
        m.select = cs.last_dbid != m.dbid;
        if m.select {
            array(&mut m.out, 2);
            bulk(&mut m.out, b"SELECT");
            bulk(&mut m.out, m.dbid.to_string().as_bytes());
        }
        m.out.extend_from_slice(&m.restores);
        m.phase = if cs.connected {
            Phase::Writing
        } else {
            Phase::Connecting
        };
        if m.phase == Phase::Writing {
            // A cached socket reports no new writable edge: write now.
            self.migrate_drive(true, false);
        }
        Ok(())
    }

    /// Readiness on a MIGRATE socket.
    pub fn migrate_event(&mut self, token: usize, readable: bool, writable: bool) {
        let Some(name) = self
            .migrate
            .cache
            .iter()
            .find(|(_, cs)| cs.token == token)
            .map(|(n, _)| n.clone())
        else {
            return;
        };
        let busy = self.migrate.active.as_ref().is_some_and(|m| m.name == name);
        if !busy {
            // An idle cached connection: the target closed it, or sent
            // something unasked. Either way it is no longer to be trusted.
            if readable {
                self.migrate.cache.remove(&name);
            }
            return;
        }
        self.migrate_drive(writable, readable);
    }

    /// Move the exchange in flight as far as its socket allows.
    fn migrate_drive(&mut self, writable: bool, readable: bool) {
        let result = self.migrate_io(writable, readable);
        match result {
            Ok(true) => self.migrate_finish(None),
            Ok(false) => {}
            Err(e) => self.migrate_failed(e),
        }
    }

    /// Ok(true) when every reply is in.
    fn migrate_io(&mut self, writable: bool, readable: bool) -> Result<bool, SockErr> {
        let now = self.now_ms;
        let Some(m) = self.migrate.active.as_mut() else {
            return Ok(false);
        };
        let Some(cs) = self.migrate.cache.get_mut(&m.name) else {
            return Err(SockErr::Connect);
        };
        if m.phase == Phase::Connecting {
            if !writable && !readable {
                return Ok(false);
            }
            if let Ok(Some(_)) | Err(_) = cs.sock.take_error() {
                return Err(SockErr::Connect);
            }
            match cs.sock.peer_addr() {
                Ok(_) => {
                    cs.connected = true;
                    m.phase = Phase::Writing;
                    m.deadline_ms = now + m.timeout_ms;
                }
                Err(e) if e.kind() == io::ErrorKind::NotConnected => return Ok(false),
                Err(_) => return Err(SockErr::Connect),
            }
        }
        if m.phase == Phase::Writing {
            while m.written < m.out.len() {
                match cs.sock.write(&m.out[m.written..]) {
                    Ok(0) => return Err(SockErr::Write),
                    Ok(n) => {
                        m.written += n;
                        m.deadline_ms = now + m.timeout_ms;
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => return Err(SockErr::Write),
                }
            }
            m.phase = Phase::Reading;
            if m.expected_lines() == 0 {
                return Ok(true);
            }
        }
        // Reading: lines, as Redis's connSyncReadLine reads them.
        let mut buf = [0u8; 16 * 1024];
        loop {
            match cs.sock.read(&mut buf) {
                Ok(0) => return Err(SockErr::Read),
                Ok(n) => {
                    m.deadline_ms = now + m.timeout_ms;
                    m.inbuf.extend_from_slice(&buf[..n]);
                    while let Some(p) = memchr::memchr(b'\n', &m.inbuf) {
                        let mut line: Vec<u8> = m.inbuf.drain(..=p).collect();
                        line.pop();
                        if line.last() == Some(&b'\r') {
                            line.pop();
                        }
                        line.truncate(LINE_MAX - 1);
                        m.lines.push(line);
                    }
                    if m.lines.len() >= m.expected_lines() {
                        return Ok(true);
                    }
                    if m.inbuf.len() > LINE_MAX * 64 {
                        // A target that sends no line end: not Redis.
                        return Err(SockErr::Read);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return Err(SockErr::Read),
            }
        }
    }

    /// A socket error or a timeout (Redis's socket_err): retry once on a
    /// fresh connection when nothing was acknowledged, else answer IOERR
    /// after applying what the target did acknowledge.
    fn migrate_failed(&mut self, e: SockErr) {
        let Some(m) = self.migrate.active.as_ref() else {
            return;
        };
        let name = m.name.clone();
        self.migrate.cache.remove(&name);
        // Redis retries a broken cached connection, never a refused or
        // timed-out one.
        let retry = matches!(e, SockErr::Write | SockErr::Read);
        let reading = matches!(e, SockErr::Read | SockErr::Timeout(Phase::Reading));
        // Replies already read to some RESTOREs: those keys moved.
        if reading && m.restore_lines() > 0 {
            self.migrate_finish(Some(e));
            return;
        }
        if retry && m.may_retry {
            if let Some(m) = self.migrate.active.as_mut() {
                m.may_retry = false;
            }
            match self.migrate_start() {
                Ok(()) => return,
                Err(e2) => {
                    if let Some(m) = self.migrate.active.as_mut() {
                        m.may_retry = false;
                    }
                    return self.migrate_failed(e2);
                }
            }
        }
        let msg: &[u8] = match e {
            SockErr::Connect | SockErr::Timeout(Phase::Connecting) => {
                b"IOERR error or timeout connecting to the client"
            }
            SockErr::Write | SockErr::Timeout(Phase::Writing) => {
                b"IOERR error or timeout writing to target instance"
            }
            _ => b"IOERR error or timeout reading to target instance",
        };
        self.migrate_reply_and_release(Err(msg.to_vec()));
    }

    /// Every reply is in (or a read failed after some): delete what the
    /// target acknowledged, answer, release the caller.
    fn migrate_finish(&mut self, sock_err: Option<SockErr>) {
        let Some(m) = self.migrate.active.as_ref() else {
            return;
        };
        let mut lines = m.lines.iter();
        let auth_line = if m.auth.is_some() { lines.next() } else { None };
        let select_line = if m.select { lines.next() } else { None };
        let (db, copy, dbid) = (m.db, m.copy, m.dbid);
        let mut error: Option<Vec<u8>> = None;
        let mut moved = Vec::new();
        for (key, line) in m.keys.iter().zip(lines) {
            let failed = auth_line
                .filter(|l| l.first() == Some(&b'-'))
                .or(select_line.filter(|l| l.first() == Some(&b'-')))
                .or(Some(line).filter(|l| l.first() == Some(&b'-')));
            if let Some(errline) = failed {
                if error.is_none() {
                    let mut msg = b"ERR Target instance replied with error: ".to_vec();
                    msg.extend_from_slice(errline.get(1..).unwrap_or_default());
                    error = Some(msg);
                }
            } else if !copy {
                moved.push(key.clone());
            }
        }
        let name = m.name.clone();
        let cache = if m.blocking {
            None
        } else {
            Some(&mut self.migrate.cache)
        };
        let reply = match (error, sock_err) {
            (Some(msg), _) => {
                if let Some(cs) = cache.and_then(|c| c.get_mut(&name)) {
                    cs.last_dbid = -1;
                }
                Err(msg)
            }
            (None, Some(_)) => {
                if let Some(c) = cache {
                    c.remove(&name);
                }
                Err(b"IOERR error or timeout reading to target instance".to_vec())
            }
            (None, None) => {
                if let Some(cs) = cache.and_then(|c| c.get_mut(&name)) {
                    cs.last_dbid = dbid;
                }
                Ok(())
            }
        };
        self.migrate_delete_moved(db, moved);
        self.migrate_reply_and_release(reply);
    }

    /// The keys the target took, gone from here: DEL for the AOF and the
    /// replicas, as Redis rewrites a MIGRATE into.
    fn migrate_delete_moved(&mut self, db: usize, keys: Vec<Vec<u8>>) {
        let mut argv = vec![b"DEL".to_vec()];
        for k in keys {
            if self.delete_key(db, &k) {
                self.signal_modified_key(db, &k);
                self.notify_keyspace_event(notify::GENERIC, "del", &k, db);
                self.dirty += 1;
                argv.push(k);
            }
        }
        if argv.len() > 1 {
            self.also_propagate(db, argv);
            // From the loop (an exchange that ended) it goes out now;
            // inside EXEC or a script, with the rest of that unit.
            if self.prop.depth == 0 {
                self.propagate_pending();
            }
        }
    }

    fn migrate_reply_and_release(&mut self, reply: Result<(), Vec<u8>>) {
        let Some(m) = self.migrate.active.take() else {
            return;
        };
        let slot = m.slot;
        let Some(mut c) = self.clients.get_mut(slot).and_then(Option::take) else {
            // Not in its slot: still inside `migrate_command` (or gone).
            self.migrate.done = Some((m.client_id, reply));
            return;
        };
        if c.id == m.client_id && matches!(c.bstate.as_ref().map(|b| &b.op), Some(BlockOp::Migrate))
        {
            let had_errors = reply.is_err();
            match reply {
                Ok(()) => c.reply.ok(),
                Err(e) => c.reply.error(&e),
            }
            self.unblock_client(&mut c);
            // Redis's MIGRATE runs within its call: its slow-log entry and
            // stats take the whole exchange (the argv, AUTH redacted, was
            // kept while it waited).
            let elapsed = (crate::util::time::ustime() - c.last_interaction * 1000).max(0) as u64;
            let reply_us = elapsed.saturating_sub(c.duration_us);
            self.update_stats_on_unblock(&mut c, reply_us, had_errors);
            self.pending_writes.push(slot);
        }
        self.clients[slot] = Some(c);
    }

    /// Cron: time out the exchange in flight, close connections unused for
    /// 10 s (Redis's migrateCloseTimedoutSockets).
    pub fn migrate_cron(&mut self) {
        let now = self.now_ms;
        if let Some(m) = &self.migrate.active
            && now > m.deadline_ms
        {
            let phase = m.phase;
            self.migrate_failed(SockErr::Timeout(phase));
        }
        if self.migrate.cache.is_empty() {
            return;
        }
        let busy = self.migrate.active.as_ref().map(|m| m.name.clone());
        self.migrate
            .cache
            .retain(|n, cs| Some(n) == busy.as_ref() || now - cs.last_use_ms <= CACHE_TTL_MS);
    }

    /// Sockets the loop must register: (socket, token).
    pub fn migrate_sockets_to_register(&mut self) -> Vec<(&mut TcpStream, usize)> {
        let names = std::mem::take(&mut self.migrate.to_register);
        self.migrate
            .cache
            .iter_mut()
            .filter(|(n, _)| names.contains(n))
            .map(|(_, cs)| (&mut cs.sock, cs.token))
            .collect()
    }

    /// The exchange with blocking calls, in MULTI/EXEC or a script.
    fn migrate_blocking(&mut self, c: &mut Client, mut m: Migration) -> CmdResult {
        let timeout = Duration::from_millis(m.timeout_ms as u64);
        let fail = |what: &str| ReplyError::owned(format!("IOERR error or timeout {what}"));
        // A fresh socket of its own: the cached ones are non-blocking, and
        // one may be busy with the exchange in flight.
        m.blocking = true;
        let port = std::str::from_utf8(&m.port)
            .ok()
            .and_then(|p| p.parse::<u16>().ok())
            .unwrap_or(0);
        let host = String::from_utf8_lossy(&m.host).into_owned();
        let addr = (host.as_str(), port)
            .to_socket_addrs()
            .ok()
            .and_then(|mut a| a.next())
            .ok_or_else(|| fail("connecting to the client"))?;
        let mut sock = std::net::TcpStream::connect_timeout(&addr, timeout)
            .map_err(|_| fail("connecting to the client"))?;
        let _ = sock.set_nodelay(true);
        let _ = sock.set_write_timeout(Some(timeout));
        let _ = sock.set_read_timeout(Some(timeout));
        let mut out = Vec::new();
        if let Some((user, pass)) = &m.auth {
            array(&mut out, if user.is_some() { 3 } else { 2 });
            bulk(&mut out, b"AUTH");
            if let Some(u) = user {
                bulk(&mut out, u);
            }
            bulk(&mut out, pass);
        }
        m.select = true;
        array(&mut out, 2);
        bulk(&mut out, b"SELECT");
        bulk(&mut out, m.dbid.to_string().as_bytes());
        out.extend_from_slice(&m.restores);
        sock.write_all(&out)
            .map_err(|_| fail("writing to target instance"))?;
        let mut buf = [0u8; 4096];
        let mut sock_err = false;
        while m.lines.len() < m.expected_lines() {
            match sock.read(&mut buf) {
                Ok(n) if n > 0 => {
                    m.inbuf.extend_from_slice(&buf[..n]);
                    while let Some(p) = memchr::memchr(b'\n', &m.inbuf) {
                        let mut line: Vec<u8> = m.inbuf.drain(..=p).collect();
                        line.pop();
                        if line.last() == Some(&b'\r') {
                            line.pop();
                        }
                        line.truncate(LINE_MAX - 1);
                        m.lines.push(line);
                    }
                }
                _ => {
                    sock_err = true;
                    break;
                }
            }
        }
        if sock_err && m.restore_lines() == 0 {
            return Err(fail("reading to target instance"));
        }
        // Not in any slot: the answer comes back through `done`. An
        // exchange in flight (for other keys) steps aside meanwhile.
        m.slot = usize::MAX;
        // The DELs it queues stand for it (Redis rewrites it into DEL).
        self.prevent_command_propagation();
        let in_flight = self.migrate.active.replace(m);
        let done_before = self.migrate.done.take();
        self.migrate_finish(sock_err.then_some(SockErr::Read));
        self.migrate.active = in_flight;
        let done = std::mem::replace(&mut self.migrate.done, done_before);
        match done {
            Some((_, Err(e))) => c.reply.error(&e),
            _ => c.reply.ok(),
        }
        Ok(())
    }
}
