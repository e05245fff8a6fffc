//! FAILOVER (Redis 7.0's coordinated failover, in replication.c): the
//! master pauses writes, waits until a replica (the one named, or any)
//! acknowledged everything, then turns itself into that replica's replica
//! with `PSYNC <replid> <offset> FAILOVER`, which makes the target promote
//! itself and continue the stream partially (PSYNC2).

use super::ReplicaState;
use crate::client::Client;
use crate::commands::args::is;
use crate::commands::{CmdResult, ReplyError, SYNTAX_ERR};
use crate::server::Server;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FailoverState {
    WaitForSync,
    InProgress,
}

pub struct Failover {
    pub state: FailoverState,
    pub target: Option<(String, u16)>,
    pub force: bool,
    /// Unix ms; 0: no timeout.
    pub deadline: i64,
}

impl Server {
    /// FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms].
    pub fn failover_command(&mut self, c: &mut Client) -> CmdResult {
        let (mut target, mut force, mut abort, mut timeout) = (None, false, false, 0i64);
        let mut i = 1;
        while i < c.argv.len() {
            let a = &c.argv[i];
            if is(a, "to") && i + 2 < c.argv.len() && target.is_none() {
                let host = String::from_utf8_lossy(&c.argv[i + 1]).into_owned();
                let port = crate::util::num::string2ll(&c.argv[i + 2])
                    .filter(|p| (0..=65535).contains(p))
                    .ok_or(ReplyError::new(
                        "ERR value is not an integer or out of range",
                    ))?;
                target = Some((host, port as u16));
                i += 3;
            } else if is(a, "timeout") && i + 1 < c.argv.len() && timeout == 0 {
                timeout = crate::util::num::string2ll(&c.argv[i + 1]).ok_or(ReplyError::new(
                    "ERR value is not an integer or out of range",
                ))?;
                if timeout <= 0 {
                    return Err(ReplyError::new(
                        "ERR FAILOVER timeout must be greater than 0",
                    ));
                }
                i += 2;
            } else if is(a, "force") && !force {
                force = true;
                i += 1;
            } else if is(a, "abort") && !abort {
                abort = true;
                i += 1;
            } else {
                return Err(SYNTAX_ERR);
            }
        }
        if abort {
            if self.repl.failover.is_none() {
                return Err(ReplyError::new("ERR No failover in progress."));
            }
            self.abort_failover("Failover manually aborted");
            c.reply.ok();
            return Ok(());
        }
        if force && (timeout == 0 || target.is_none()) {
            return Err(ReplyError::new(
                "ERR FAILOVER with force option requires both a timeout and target HOST and IP.",
            ));
        }
        if self.is_replica() {
            return Err(ReplyError::new(
                "ERR FAILOVER is not valid when server is a replica.",
            ));
        }
        if self.repl.replicas.is_empty() {
            return Err(ReplyError::new("ERR FAILOVER requires connected replicas."));
        }
        if self.repl.failover.is_some() {
            return Err(ReplyError::new("ERR FAILOVER already in progress."));
        }
        if let Some((host, port)) = &target {
            let found = self.replica_clients().find_map(|r| {
                let ri = r.replica.as_ref()?;
                let ip = ri
                    .announced_ip
                    .clone()
                    .unwrap_or_else(|| super::peer_ip(&r.addr));
                (ip.eq_ignore_ascii_case(host) && ri.listening_port == *port).then_some(ri.state)
            });
            match found {
                None => {
                    return Err(ReplyError::new(
                        "ERR FAILOVER target HOST and PORT is not a replica.",
                    ));
                }
                Some(s) if s != ReplicaState::Online => {
                    return Err(ReplyError::new(
                        "ERR FAILOVER target replica is not online.",
                    ));
                }
                Some(_) => log::info!("FAILOVER requested to {host}:{port}."),
            }
        } else {
            log::info!("FAILOVER requested to any replica.");
        }
        self.repl.failover = Some(Failover {
            state: FailoverState::WaitForSync,
            target,
            force,
            deadline: if timeout > 0 {
                self.now_ms + timeout
            } else {
                0
            },
        });
        // Writes wait (CLIENT PAUSE WRITE, as Redis pauses them) while the
        // replicas catch up.
        self.repl.get_ack_pending = true;
        c.reply.ok();
        Ok(())
    }

    /// Writes are held back while a failover runs.
    #[inline]
    pub fn failover_pauses_writes(&self) -> bool {
        self.repl.failover.is_some()
    }

    pub fn abort_failover(&mut self, why: &str) {
        let Some(f) = self.repl.failover.take() else {
            return;
        };
        log::warn!("FAILOVER aborted: {why}");
        if f.state == FailoverState::InProgress {
            // We were on our way to follow the target: lead again.
            self.replication_unset_master();
        }
    }

    /// The failover's progress, from the cron and after ACKs (Redis's
    /// updateFailoverStatus).
    pub fn update_failover_status(&mut self) {
        let Some(f) = self.repl.failover.as_ref() else {
            return;
        };
        let now = self.now_ms;
        match f.state {
            FailoverState::WaitForSync => {
                let offset = self.repl.master_repl_offset;
                let want = f.target.clone();
                let caught_up = self.replica_clients().find_map(|r| {
                    let ri = r.replica.as_ref()?;
                    if ri.state != ReplicaState::Online || ri.ack_off != offset {
                        return None;
                    }
                    let ip = ri
                        .announced_ip
                        .clone()
                        .unwrap_or_else(|| super::peer_ip(&r.addr));
                    match &want {
                        Some((h, p))
                            if !(ip.eq_ignore_ascii_case(h) && ri.listening_port == *p) =>
                        {
                            None
                        }
                        _ => Some((ip, ri.listening_port)),
                    }
                });
                let expired = f.deadline > 0 && now >= f.deadline;
                let go = match (caught_up, expired) {
                    (Some(t), _) => Some(t),
                    (None, true) if f.force => f.target.clone(),
                    (None, true) => {
                        self.abort_failover("Replica never caught up before timeout");
                        return;
                    }
                    (None, false) => {
                        self.repl.get_ack_pending = true;
                        None
                    }
                };
                if let Some((host, port)) = go {
                    log::info!("Failover target {host}:{port} is synced, failing over.");
                    if let Some(f) = self.repl.failover.as_mut() {
                        f.state = FailoverState::InProgress;
                        f.target = Some((host.clone(), port));
                    }
                    self.replication_set_master(host, port);
                }
            }
            FailoverState::InProgress => {
                if f.deadline > 0 && now >= f.deadline + 10_000 {
                    self.abort_failover("Failover target never responded to PSYNC");
                }
            }
        }
    }

    /// The target answered our PSYNC: the failover is done.
    pub fn failover_done(&mut self) {
        if self
            .repl
            .failover
            .as_ref()
            .is_some_and(|f| f.state == FailoverState::InProgress)
        {
            self.repl.failover = None;
            log::info!("Failover target accepted the PSYNC, failover complete.");
        }
    }

    pub fn failover_state_name(&self) -> &'static str {
        match self.repl.failover.as_ref().map(|f| f.state) {
            None => "no-failover",
            Some(FailoverState::WaitForSync) => "waiting-for-sync",
            Some(FailoverState::InProgress) => "failover-in-progress",
        }
    }

    /// PSYNC ... FAILOVER arrived: our master hands us its role (Redis's
    /// syncCommand, its FAILOVER branch).
    pub fn psync_failover_request(&mut self, c: &Client) -> Result<(), ReplyError> {
        if c.argv[1] != self.repl.replid.as_bytes() {
            return Err(ReplyError::new(
                "ERR PSYNC FAILOVER replid must match my replid.",
            ));
        }
        self.replication_unset_master();
        log::info!(
            "Failover request received for replid {}.",
            String::from_utf8_lossy(&c.argv[1])
        );
        Ok(())
    }
}
