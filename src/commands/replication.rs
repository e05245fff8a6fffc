//! Replication's commands (REPLICAOF, SYNC/PSYNC, REPLCONF, ROLE, WAIT,
//! FAILOVER); their bodies live with replication itself (replication/).

use crate::client::Client;
use crate::commands::CmdResult;
use crate::server::Server;

pub fn replicaof_command(s: &mut Server, c: &mut Client) -> CmdResult {
    s.replicaof_command(c)
}

pub fn slaveof_command(s: &mut Server, c: &mut Client) -> CmdResult {
    s.replicaof_command(c)
}

pub fn sync_command(s: &mut Server, c: &mut Client) -> CmdResult {
    s.sync_command(c)
}

pub fn psync_command(s: &mut Server, c: &mut Client) -> CmdResult {
    s.sync_command(c)
}

pub fn replconf_command(s: &mut Server, c: &mut Client) -> CmdResult {
    s.replconf_command(c)
}

pub fn role_command(s: &mut Server, c: &mut Client) -> CmdResult {
    s.role_reply(c);
    Ok(())
}

pub fn wait_command(s: &mut Server, c: &mut Client) -> CmdResult {
    s.wait_command(c)
}

pub fn failover_command(s: &mut Server, c: &mut Client) -> CmdResult {
    s.failover_command(c)
}
