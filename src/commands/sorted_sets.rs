//! Group `sorted_set` (Redis's t_zset.c): ZADD and friends.

use crate::client::Client;
use crate::server::Server;

/// Serve one client blocked in BZPOPMIN/BZPOPMAX/BZMPOP from the sorted
/// set at `key` (which has members); unblock it when served.
pub fn serve_blocked_client(_s: &mut Server, _c: &mut Client, _key: &[u8]) {}
