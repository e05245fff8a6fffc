//! The event loop, after Redis's ae.c and networking.c: one mio `Poll`
//! owns the listeners and every client socket. Each turn: wait for
//! readiness (or the next cron tick), read and run every complete command a
//! client sent (pipelining), run the cron when due, then `before_sleep`
//! writes pending replies straight to the sockets. Only what the kernel
//! will not take waits for a writable event.

use crate::client::Client;
use crate::cron;
use crate::resp::parse::Parsed;
use crate::server::{Server, Shutdown};
use log::{debug, info, warn};
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Tokens below this are listeners; a client in slot i has token i + this.
const CLIENT_TOKEN_BASE: usize = 64;
/// The bio thread's wake-up after an fsync (replies may be released).
const WAKER_TOKEN: usize = CLIENT_TOKEN_BASE - 1;
/// A replica's link to its master while it connects and syncs.
const MASTER_TOKEN: usize = CLIENT_TOKEN_BASE - 2;

thread_local! {
    /// The running loop, for serving clients while a script is busy (set
    /// by `run`, the one loop of the thread).
    static LOOP: std::cell::Cell<*mut EventLoop> = const { std::cell::Cell::new(std::ptr::null_mut()) };
}

/// Serve what is ready while a script runs past busy-reply-threshold
/// (Redis's processEventsWhileBlocked): accept, read and answer clients
/// (their commands get -BUSY but SCRIPT KILL and SHUTDOWN NOSAVE), write
/// replies. No cron, no expiry, no AOF: the dataset is the script's.
pub fn process_events_while_blocked(server: &mut Server) {
    let ptr = LOOP.with(|l| l.get());
    if ptr.is_null() {
        return;
    }
    // SAFETY: set by `expose` from the `&mut EventLoop` of the method
    // that is running commands right now (and so this script), which does
    // not touch the loop again until the command returns.
    let el = unsafe { &mut *ptr };
    el.serve_while_blocked(server);
}

/// Set by SIGINT/SIGTERM.
pub static SHUTDOWN_SIGNAL: AtomicBool = AtomicBool::new(false);

pub struct EventLoop {
    poll: Poll,
    waker: std::sync::Arc<mio::Waker>,
    listeners: Vec<TcpListener>,
    free_slots: Vec<usize>,
    /// Clients whose last read filled its buffer: more may be waiting, and
    /// edge-triggered readiness will not say so again.
    pending_reads: Vec<usize>,
    /// This iteration's readiness events not yet handled (token, readable,
    /// writable): a busy script's nested serving takes them too, since
    /// edge-triggered readiness reports each only once.
    batch: std::collections::VecDeque<(usize, bool, bool)>,
}

/// Listening sockets on each `bind` address at `port` (0: a free port,
/// the same for every address); also the port taken.
pub fn bind_listeners(bind: &[String], port: u16) -> io::Result<(Vec<TcpListener>, u16)> {
    let mut out = Vec::new();
    let mut port = port;
    for addr in bind {
        let addr = addr.trim_start_matches('-');
        let sock = std::net::TcpListener::bind((addr, port)).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("Could not create server TCP listening socket {addr}:{port}: {e}"),
            )
        })?;
        if port == 0 {
            port = sock.local_addr().map(|a| a.port()).unwrap_or(0);
        }
        sock.set_nonblocking(true)?;
        out.push(TcpListener::from_std(sock));
    }
    Ok((out, port))
}

impl EventLoop {
    pub fn new(mut listeners: Vec<TcpListener>) -> io::Result<EventLoop> {
        let poll = Poll::new()?;
        if listeners.len() >= MASTER_TOKEN {
            return Err(io::Error::other("too many listening addresses"));
        }
        for (i, l) in listeners.iter_mut().enumerate() {
            poll.registry().register(l, Token(i), Interest::READABLE)?;
        }
        let waker = std::sync::Arc::new(mio::Waker::new(poll.registry(), Token(WAKER_TOKEN))?);
        Ok(EventLoop {
            poll,
            waker,
            listeners,
            free_slots: Vec::new(),
            pending_reads: Vec::new(),
            batch: std::collections::VecDeque::new(),
        })
    }

    /// What the bio thread calls after an fsync: the loop wakes and
    /// releases the replies that were waiting for it.
    pub fn waker(&self) -> std::sync::Arc<dyn Fn() + Send + Sync> {
        let w = self.waker.clone();
        std::sync::Arc::new(move || {
            let _ = w.wake();
        })
    }

    /// Lend this loop to a script that may run past busy-reply-threshold:
    /// called by each method that runs commands, right before it does.
    fn expose(&mut self) {
        LOOP.with(|l| l.set(self as *mut EventLoop));
    }

    fn serve_while_blocked(&mut self, server: &mut Server) {
        let mut events = Events::with_capacity(128);
        if self.poll.poll(&mut events, Some(Duration::ZERO)).is_err() {
            return;
        }
        self.queue_events(&events);
        self.handle_events(server);
        let (ready, held): (Vec<usize>, Vec<usize>) = std::mem::take(&mut self.pending_reads)
            .into_iter()
            .partition(|&slot| server.clients.get(slot).is_some_and(Option::is_some));
        self.pending_reads = held;
        for slot in ready {
            self.handle_read(server, slot);
        }
        let (ready, held): (Vec<usize>, Vec<usize>) = std::mem::take(&mut server.pending_writes)
            .into_iter()
            .partition(|&slot| server.clients.get(slot).is_some_and(Option::is_some));
        server.pending_writes = held;
        for slot in ready {
            self.flush_client(server, slot);
        }
    }

    fn queue_events(&mut self, events: &Events) {
        for ev in events.iter() {
            let readable = ev.is_readable() || ev.is_read_closed() || ev.is_error();
            self.batch
                .push_back((ev.token().0, readable, ev.is_writable()));
        }
    }

    /// Accept, read and write for the queued readiness events.
    fn handle_events(&mut self, server: &mut Server) {
        while let Some((t, readable, writable)) = self.batch.pop_front() {
            if t == WAKER_TOKEN {
                continue;
            }
            if t == MASTER_TOKEN {
                self.handle_master_link(server);
                continue;
            }
            if t >= crate::commands::migrate::TOKEN_BASE {
                server.migrate_event(t, readable, writable);
                continue;
            }
            if t < CLIENT_TOKEN_BASE {
                self.accept(server, t);
                continue;
            }
            let slot = t - CLIENT_TOKEN_BASE;
            if readable {
                if server.clients.get(slot).is_some_and(Option::is_none) {
                    // Out of its slot: the client running a busy script.
                    // Read what it sent once the script is done.
                    self.pending_reads.push(slot);
                } else {
                    self.handle_read(server, slot);
                }
            }
            if writable {
                self.handle_write(server, slot);
            }
        }
    }

    /// Serve until shutdown.
    pub fn run(&mut self, server: &mut Server) -> io::Result<()> {
        let mut events = Events::with_capacity(1024);
        let mut next_cron = Instant::now();
        loop {
            let now = Instant::now();
            let mut timeout = if self.pending_reads.is_empty() {
                next_cron.saturating_duration_since(now)
            } else {
                Duration::ZERO
            };
            if let (Some((until, _)), false) = (server.pause, server.paused_slots.is_empty()) {
                let wait = (until - crate::util::time::mstime()).max(0) as u64;
                timeout = timeout.min(Duration::from_millis(wait));
            }
            // Wake for the earliest blocking deadline, to the millisecond.
            if let Some(deadline) = server.next_block_deadline() {
                let wait = (deadline - crate::util::time::mstime()).max(0) as u64;
                timeout = timeout.min(Duration::from_millis(wait));
            }
            if let Err(e) = self.poll.poll(&mut events, Some(timeout))
                && e.kind() != io::ErrorKind::Interrupted
            {
                return Err(e);
            }
            self.queue_events(&events);
            self.handle_events(server);
            for slot in std::mem::take(&mut self.pending_reads) {
                self.handle_read(server, slot);
            }
            server.handle_blocked_timeouts();
            self.process_unblocked(server);
            self.resume_paused(server);
            if Instant::now() >= next_cron {
                cron::server_cron(server);
                let period = Duration::from_millis(1000 / server.config.hz.max(1) as u64);
                next_cron += period;
                if next_cron < Instant::now() {
                    next_cron = Instant::now() + period;
                }
            }
            if SHUTDOWN_SIGNAL.swap(false, Ordering::SeqCst) && server.shutdown.is_none() {
                info!("Received shutdown signal, scheduling shutdown...");
                match server.prepare_for_shutdown(Shutdown::Default) {
                    Ok(()) => server.shutdown = Some(Shutdown::Default),
                    Err(e) => warn!("{e}; errors trying to shut down the server, check the logs"),
                }
            }
            self.before_sleep(server);
            if server.shutdown.is_some() {
                return Ok(());
            }
        }
    }

    fn accept(&mut self, server: &mut Server, li: usize) {
        loop {
            let Some(listener) = self.listeners.get(li) else {
                return;
            };
            match listener.accept() {
                Ok((sock, addr)) => {
                    debug!("Accepted {addr}");
                    self.add_client(server, sock);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    warn!("Accepting client connection: {e}");
                    return;
                }
            }
        }
    }

    fn add_client(&mut self, server: &mut Server, mut sock: TcpStream) {
        let _ = sock.set_nodelay(true);
        if server.connected_clients() as u64 >= server.config.maxclients {
            use std::io::Write;
            let _ = sock.write(b"-ERR max number of clients reached\r\n");
            server.stats.rejected_conn += 1;
            return;
        }
        // Protected mode: with no password on the default user, only the
        // loopback address may connect (Redis's clientAcceptHandler).
        if server.config.protected_mode
            && server
                .acl
                .user(crate::acl::DEFAULT_USER)
                .is_some_and(|u| u.nopass)
            && !sock
                .peer_addr()
                .is_ok_and(|a| crate::client::is_loopback_peer(&a))
        {
            use std::io::Write;
            let _ = sock.write(PROTECTED_MODE_DENIED);
            server.stats.rejected_conn += 1;
            return;
        }
        if server.config.tcp_keepalive > 0 {
            set_keepalive(&sock, server.config.tcp_keepalive);
        }
        let slot = self.free_slots.pop().unwrap_or_else(|| {
            server.clients.push(None);
            server.clients.len() - 1
        });
        if let Err(e) = self.poll.registry().register(
            &mut sock,
            Token(slot + CLIENT_TOKEN_BASE),
            Interest::READABLE,
        ) {
            warn!("Registering client: {e}");
            self.free_slots.push(slot);
            return;
        }
        let id = server.next_client_id;
        server.next_client_id += 1;
        let mut c = Client::new(id, Some(sock), server.now_ms);
        c.slot = slot;
        c.authenticated = server.acl.new_client_authenticated();
        server.client_ids.insert(id, slot);
        server.clients[slot] = Some(Box::new(c));
        server.num_clients += 1;
        server.stats.numconnections += 1;
    }

    fn free_client(&mut self, server: &mut Server, slot: usize, mut c: Box<Client>) {
        server.replica_gone(&c);
        server.master_link_lost(&c);
        server.unblock_client(&mut c);
        server.unwatch_all(&mut c);
        crate::commands::pubsub::unsubscribe_all(server, &mut c);
        server.disable_tracking(&mut c);
        server.client_ids.remove(&c.id);
        server.forget_client_mem(&mut c);
        if c.monitor {
            server.monitors.retain(|&s| s != slot);
        }
        if c.paused_argv.is_some() {
            server.paused_slots.retain(|&s| s != slot);
        }
        if let Some(sock) = c.sock.as_mut() {
            let _ = self.poll.registry().deregister(sock);
        }
        debug!("Client closed connection id={} addr={}", c.id, c.addr);
        server.clients[slot] = None;
        server.num_clients -= 1;
        self.free_slots.push(slot);
    }

    /// Register the socket a REPLICAOF just opened.
    fn register_master_link(&mut self, server: &mut Server) {
        server.repl.link.needs_register = false;
        if let Some(sock) = server.repl.link.sock.as_mut()
            && let Err(e) = self.poll.registry().register(
                sock,
                Token(MASTER_TOKEN),
                Interest::READABLE | Interest::WRITABLE,
            )
        {
            warn!("Registering the link to the master: {e}");
            server.repl.link.sock = None;
        }
    }

    /// Readiness on the link while it handshakes and syncs; once synced,
    /// its socket becomes the master client (Redis's
    /// replicationCreateMasterClient).
    fn handle_master_link(&mut self, server: &mut Server) {
        if let Some((sock, rest)) = server.replica_link_event() {
            self.attach_master(server, sock, rest);
        }
    }

    fn attach_master(&mut self, server: &mut Server, mut sock: TcpStream, rest: Vec<u8>) {
        if server.repl.link.needs_register {
            self.register_master_link(server);
        }
        let _ = sock.set_nodelay(!server.config.repl_disable_tcp_nodelay);
        let slot = self.free_slots.pop().unwrap_or_else(|| {
            server.clients.push(None);
            server.clients.len() - 1
        });
        if let Err(e) = self.poll.registry().reregister(
            &mut sock,
            Token(slot + CLIENT_TOKEN_BASE),
            Interest::READABLE,
        ) {
            warn!("Registering the master client: {e}");
            self.free_slots.push(slot);
            return;
        }
        let id = server.next_client_id;
        server.next_client_id += 1;
        let mut c = Client::new(id, Some(sock), server.now_ms);
        c.slot = slot;
        c.query.buf = rest;
        server.master_client_attached(&mut c);
        server.client_ids.insert(id, slot);
        server.clients[slot] = Some(Box::new(c));
        server.num_clients += 1;
        server.pending_writes.push(slot);
        // What arrived with the sync's end, and what waits in the socket.
        self.pending_reads.push(slot);
    }

    fn handle_read(&mut self, server: &mut Server, slot: usize) {
        let Some(mut c) = server.clients.get_mut(slot).and_then(Option::take) else {
            return;
        };
        match c.read_from_socket() {
            Ok((n, more)) => {
                server.stats.net_input_bytes += n as u64;
                server.stats.io_reads += 1;
                if c.master_link {
                    server.repl.link.read_reploff += n as u64;
                    server.repl.link.last_io_ms = server.now_ms;
                    server.repl.stats.net_repl_input_bytes += n as u64;
                }
                if more {
                    self.pending_reads.push(slot);
                }
            }
            Err(_) => {
                self.free_client(server, slot, c);
                return;
            }
        }
        self.expose();
        if c.reply.buf.capacity() == 0 {
            c.reply.buf.reserve(1024);
        }
        process_input_buffer(server, &mut c);
        if c.query.buf.len() as u64 > server.config.client_query_buffer_limit {
            warn!(
                "Closing client that reached max query buffer length: id={} addr={}",
                c.id, c.addr
            );
            self.free_client(server, slot, c);
            return;
        }
        // maxmemory-clients: this client's memory counts, and the biggest
        // clients go when all of them hold too much.
        if server.config.maxmemory_clients != 0 {
            server.update_client_mem(&mut c);
            server.evict_clients(Some(&mut c));
        }
        if c.reply.pending() > 0 || c.close_asap || c.close_after_reply {
            server.pending_writes.push(slot);
        }
        server.clients[slot] = Some(c);
    }

    /// When a CLIENT PAUSE (or a MIGRATE) ends, run the commands it held
    /// back.
    fn resume_paused(&mut self, server: &mut Server) {
        if server.paused_slots.is_empty() || server.failover_pauses_writes() {
            return;
        }
        if let Some((until, _)) = server.pause {
            if crate::util::time::mstime() < until {
                return;
            }
            server.pause = None;
        }
        for slot in std::mem::take(&mut server.paused_slots) {
            let Some(mut c) = server.clients.get_mut(slot).and_then(Option::take) else {
                continue;
            };
            if let Some(argv) = c.paused_argv.take() {
                c.argv = argv;
                if server.migrate_holds(&c) {
                    // Its keys are still on the move: it waits on.
                    c.paused_argv = Some(std::mem::take(&mut c.argv));
                    server.paused_slots.push(slot);
                    server.clients[slot] = Some(c);
                    continue;
                }
                self.expose();
                server.process_command(&mut c);
                if c.bstate.is_none() {
                    c.argv.clear();
                }
                process_input_buffer(server, &mut c);
            }
            server.pending_writes.push(slot);
            server.clients[slot] = Some(c);
        }
    }

    /// Clients just served or timed out of a blocking command: run the
    /// commands they sent meanwhile (Redis's processUnblockedClients).
    fn process_unblocked(&mut self, server: &mut Server) {
        while !server.unblocked_slots.is_empty() {
            for slot in std::mem::take(&mut server.unblocked_slots) {
                let Some(mut c) = server.clients.get_mut(slot).and_then(Option::take) else {
                    continue;
                };
                if c.bstate.is_none() {
                    self.expose();
                    process_input_buffer(server, &mut c);
                }
                server.pending_writes.push(slot);
                server.clients[slot] = Some(c);
            }
        }
    }

    fn handle_write(&mut self, server: &mut Server, slot: usize) {
        if let Some(c) = server.clients.get(slot).and_then(Option::as_ref)
            && c.reply.pending() > 0
        {
            server.pending_writes.push(slot);
        }
        self.flush_client(server, slot);
    }

    /// Write what a client has pending; adjust writable interest; close it
    /// when it asked to be closed and everything is out.
    fn flush_client(&mut self, server: &mut Server, slot: usize) {
        // Work on the client in place; it leaves the slab only to be freed.
        let Some(Some(c)) = server.clients.get_mut(slot) else {
            return;
        };
        c.pending_write = false;
        let synced = server.aof.as_ref().map_or(u64::MAX, |a| a.global_synced());
        let close = if c.close_asap {
            true
        } else {
            let before = c.bytes_written_total;
            let limit = if c.held.is_empty() {
                usize::MAX
            } else {
                c.sendable(synced)
            };
            match c.write_to_socket(limit) {
                Err(_) => true,
                Ok(all_sent) => {
                    // What is left waits for an fsync, not for the socket.
                    let waiting = !all_sent && !c.held.is_empty() && c.sendable(synced) == 0;
                    if waiting {
                        server.held_slots.insert(slot);
                    }
                    let done = all_sent || waiting;
                    crate::evict::account_client_mem(
                        server.config.maxmemory_clients != 0,
                        &mut server.client_mem_total,
                        c,
                    );
                    server.stats.net_output_bytes += c.bytes_written_total - before;
                    if obuf_over_limit(server.now_ms, &server.config, c) {
                        log_obuf_close(c);
                        true
                    } else if all_sent && c.close_after_reply {
                        true
                    } else if done == c.want_write {
                        let interest = if done {
                            Interest::READABLE
                        } else {
                            Interest::READABLE | Interest::WRITABLE
                        };
                        c.want_write = !done;
                        match c.sock.as_mut() {
                            Some(sock) => self
                                .poll
                                .registry()
                                .reregister(sock, Token(slot + CLIENT_TOKEN_BASE), interest)
                                .is_err(),
                            None => false,
                        }
                    } else {
                        false
                    }
                }
            }
        };
        if close && let Some(c) = server.clients[slot].take() {
            self.free_client(server, slot, c);
        }
    }

    /// Redis's beforeSleep: the fast expire cycle, then every pending reply
    /// written straight to its socket.
    fn before_sleep(&mut self, server: &mut Server) {
        crate::db::expire::active_expire_cycle(server, crate::db::expire::CycleKind::Fast);
        // Replication: register a new link to our master, hand the
        // replicas their full sync's next chunks, ask them for ACKs a
        // WAIT needs, release WAITs their ACKs satisfied.
        if server.repl.link.needs_register {
            self.register_master_link(server);
        }
        // CONFIG SET port / bind: listen on the new sockets from now on.
        if let Some(mut new) = server.new_listeners.take() {
            for l in self.listeners.iter_mut() {
                let _ = self.poll.registry().deregister(l);
            }
            new.truncate(MASTER_TOKEN);
            for (i, l) in new.iter_mut().enumerate() {
                if let Err(e) = self
                    .poll
                    .registry()
                    .register(l, Token(i), Interest::READABLE)
                {
                    warn!("Listening on the new port: {e}");
                }
            }
            self.listeners = new;
        }
        // MIGRATE: a connection just opened.
        if !server.migrate.to_register.is_empty() {
            for (sock, token) in server.migrate_sockets_to_register() {
                if let Err(e) = self.poll.registry().register(
                    sock,
                    Token(token),
                    Interest::READABLE | Interest::WRITABLE,
                ) {
                    warn!("Registering a MIGRATE connection: {e}");
                }
            }
        }
        if server.repl.link.load.is_some()
            && let Some((sock, rest)) = server.replica_poll_load()
        {
            self.attach_master(server, sock, rest);
        }
        if server.repl.transfer.is_some() {
            server.repl_pump_transfer();
        }
        server.repl_send_getack();
        server.process_clients_waiting_replicas();
        crate::commands::pubsub::deliver_all_deferred_pushes(server);
        server.tracking_flush_idle();
        server.tracking_broadcast();
        // The AOF is written before any reply of this iteration leaves, so
        // an acknowledged write is logged. With `always`, its fsync goes to
        // the bio thread and this iteration's replies wait for it (reads
        // too: nobody sees what a crash could take back), while the loop
        // goes on serving.
        let mut need = None;
        if let Some(aof) = server.aof.as_mut() {
            let always = aof.fsync == crate::aof::Fsync::Always;
            let written = if always { aof.write_buf() } else { aof.flush() };
            match written {
                Err(e) if always => {
                    log::error!(
                        "Can't recover from AOF write error when the AOF fsync policy is 'always': {e}. Exiting..."
                    );
                    std::process::exit(1);
                }
                Err(e) => log::warn!("Error writing to the AOF file: {e}"),
                Ok(()) if always => need = aof.sync_in_background(),
                Ok(()) => {}
            }
        }
        let pending = std::mem::take(&mut server.pending_writes);
        for slot in pending {
            if let Some(need) = need
                && let Some(Some(c)) = server.clients.get_mut(slot)
            {
                c.hold_reply(need);
            }
            self.flush_client(server, slot);
        }
        // Replies an fsync has released since.
        if !server.held_slots.is_empty() {
            let held: Vec<usize> = server.held_slots.drain().collect();
            for slot in held {
                self.flush_client(server, slot);
            }
        }
    }
}

/// The output buffer limits of the client's class (Redis's
/// getClientType: pub/sub when subscribed, else normal).
#[inline]
fn obuf_limits(config: &crate::config::Config, c: &Client) -> (u64, u64, u64) {
    if c.replica.is_some() {
        config.replica_limits
    } else if c.master_link {
        (0, 0, 0)
    } else if c.subscription_count() > 0 {
        config.pubsub_obuf_limits()
    } else {
        config.normal_limits
    }
}

pub(crate) fn log_obuf_close(c: &Client) {
    log::warn!(
        "Client id={} addr={} laddr={} name={} scheduled to be closed ASAP for overcoming of output buffer limits.",
        c.id,
        c.addr,
        c.laddr,
        String::from_utf8_lossy(c.name.as_deref().unwrap_or(b""))
    );
}

/// Is the client past its class's output buffer limit? (Inlined: with
/// no limit, as for normal clients by default, it is two tests.)
#[inline]
pub(crate) fn obuf_over_limit(now_ms: i64, config: &crate::config::Config, c: &mut Client) -> bool {
    let limits = obuf_limits(config, c);
    (limits.0 != 0 || limits.1 != 0) && obuf_limit_reached(now_ms, limits, c)
}

/// Redis's checkClientOutputBufferLimits: at the hard limit, or at the
/// soft limit for longer than its seconds.
#[inline(never)]
fn obuf_limit_reached(now_ms: i64, limits: (u64, u64, u64), c: &mut Client) -> bool {
    let (hard, soft, secs) = limits;
    if hard == 0 && soft == 0 {
        return false;
    }
    // A replica's stream held behind its full sync counts too.
    let pending = (c.reply.pending() + c.replica.as_ref().map_or(0, |r| r.pending.len())) as u64;
    if hard > 0 && pending >= hard {
        return true;
    }
    if soft > 0 && pending >= soft {
        let since = *c.obuf_soft_since.get_or_insert(now_ms);
        return now_ms - since >= secs as i64 * 1000;
    }
    c.obuf_soft_since = None;
    false
}

/// Run every complete request in the client's query buffer (Redis's
/// processInputBuffer).
pub fn process_input_buffer(server: &mut Server, c: &mut Client) {
    let max_bulk = server.config.proto_max_bulk_len as usize;
    c.query.batch_start = c.query.pos;
    loop {
        if c.close_after_reply
            || c.close_asap
            || c.bstate.is_some()
            || c.paused_argv.is_some()
            || server.shutdown.is_some()
        {
            break;
        }
        match c.query.parse(max_bulk) {
            Parsed::Incomplete => break,
            Parsed::Command => {
                // What a command that blocked kept (for its stats when
                // served) goes now, whether it was served or timed out.
                if !c.argv.is_empty() {
                    c.query.recycle(&mut c.argv);
                }
                std::mem::swap(&mut c.argv, &mut c.query.argv);
                if !c.argv.is_empty() && (server.paused_for(c) || server.migrate_holds(c)) {
                    // CLIENT PAUSE, or a key MIGRATE is moving: hold this
                    // command (and everything after it) until that ends.
                    c.paused_argv = Some(std::mem::take(&mut c.argv));
                    server.paused_slots.push(c.slot);
                    break;
                }
                server.last_call_end_us = 0;
                server.process_command(c);
                if c.master_link {
                    server.master_command_processed(c);
                }
                // A blocked command keeps its argv until it is served.
                if c.bstate.is_none() {
                    c.query.recycle(&mut c.argv);
                }
                // A client that pipelines without reading stops at its
                // output buffer limit (closed asynchronously, as Redis).
                if obuf_over_limit(server.now_ms, &server.config, c) {
                    log_obuf_close(c);
                    c.close_asap = true;
                }
                // The next command of this batch starts when this one ended.
                server.call_clock_hint =
                    (server.last_call_end_us != 0).then_some(server.last_call_end_us);
            }
            Parsed::Error(msg) => {
                debug!(
                    "Protocol error ({msg}) from client id={} addr={}",
                    c.id, c.addr
                );
                server
                    .add_reply_error(c, &crate::commands::ReplyError::owned(format!("ERR {msg}")));
                c.close_after_reply = true;
                break;
            }
        }
    }
    server.call_clock_hint = None;
    // The argument vector of a request with many arguments is not kept.
    if c.argv.capacity() > 1024 {
        c.argv = Vec::new();
    }
    if c.master_link {
        // Bytes of an open MULTI are applied (proxied) at its EXEC.
        let moved = c.query.compact_keeping(c.repl_applied);
        c.repl_applied -= moved;
    } else {
        c.query.compact();
    }
}

// ---------------------------------------------------------------------
// Signals: the handler only sets a flag; the loop notices within a tick.
// ---------------------------------------------------------------------

const SIGINT: i32 = 2;
const SIGTERM: i32 = 15;
const SIGPIPE: i32 = 13;
const SIG_IGN: usize = 1;

unsafe extern "C" {
    fn signal(signum: i32, handler: usize) -> usize;
    fn setsockopt(fd: i32, level: i32, name: i32, value: *const i32, len: u32) -> i32;
}

/// tcp-keepalive, as Redis's anetKeepAlive: probes after `secs` idle,
/// then every secs/3, dropped after 3 unanswered (Linux's constants).
fn set_keepalive(sock: &impl std::os::fd::AsRawFd, secs: u64) {
    const SOL_SOCKET: i32 = 1;
    const SO_KEEPALIVE: i32 = 9;
    const IPPROTO_TCP: i32 = 6;
    const TCP_KEEPIDLE: i32 = 4;
    const TCP_KEEPINTVL: i32 = 5;
    const TCP_KEEPCNT: i32 = 6;
    let fd = sock.as_raw_fd();
    let idle = secs.min(i32::MAX as u64) as i32;
    for (level, name, value) in [
        (SOL_SOCKET, SO_KEEPALIVE, 1),
        (IPPROTO_TCP, TCP_KEEPIDLE, idle),
        (IPPROTO_TCP, TCP_KEEPINTVL, (idle / 3).max(1)),
        (IPPROTO_TCP, TCP_KEEPCNT, 3),
    ] {
        // SAFETY: a valid socket fd, a pointer to a live i32 and its size.
        unsafe {
            setsockopt(fd, level, name, &value, std::mem::size_of::<i32>() as u32);
        }
    }
}

extern "C" fn on_shutdown_signal(_: i32) {
    SHUTDOWN_SIGNAL.store(true, Ordering::SeqCst);
}

/// Install SIGINT/SIGTERM handlers and ignore SIGPIPE.
pub fn install_signal_handlers() {
    // SAFETY: the handler only stores to an atomic, which is signal-safe.
    unsafe {
        signal(SIGINT, on_shutdown_signal as *const () as usize);
        signal(SIGTERM, on_shutdown_signal as *const () as usize);
        signal(SIGPIPE, SIG_IGN);
    }
}

/// Redis's reply to a remote client refused by protected mode (its text,
/// byte for byte: clients and operators recognise it).
const PROTECTED_MODE_DENIED: &[u8] = b"-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

#[cfg(test)]
mod keepalive_tests {
    unsafe extern "C" {
        fn getsockopt(fd: i32, level: i32, name: i32, value: *mut i32, len: *mut u32) -> i32;
    }

    fn opt(fd: i32, level: i32, name: i32) -> i32 {
        let (mut v, mut len) = (0i32, 4u32);
        // SAFETY: a valid fd, pointers to live locals of the sizes given.
        let rc = unsafe { getsockopt(fd, level, name, &mut v, &mut len) };
        assert_eq!(rc, 0);
        v
    }

    #[test]
    fn tcp_keepalive_sets_redis_probe_timing() {
        use std::os::fd::AsRawFd;
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let s = std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
        super::set_keepalive(&s, 300);
        let fd = s.as_raw_fd();
        assert_eq!(opt(fd, 1, 9), 1, "SO_KEEPALIVE");
        assert_eq!(opt(fd, 6, 4), 300, "TCP_KEEPIDLE");
        assert_eq!(opt(fd, 6, 5), 100, "TCP_KEEPINTVL");
        assert_eq!(opt(fd, 6, 6), 3, "TCP_KEEPCNT");
    }
}
