//! Group `connection`: PING, ECHO, QUIT, RESET, SELECT, HELLO, AUTH and
//! CLIENT (Redis's networking.c and acl.c commands).

use super::args::{is, parse_i64};
use super::args::{reply_help, subcommand_syntax_error};
use super::{CmdResult, DB_INDEX_ERR, ReplyError, SYNTAX_ERR};
use crate::client::Client;
use crate::server::Server;

pub fn ping_command(_: &mut Server, c: &mut Client) -> CmdResult {
    // A RESP2 subscriber gets its PONG as a pub/sub frame.
    if c.reply.resp == 2 && c.subscription_count() > 0 && c.argv.len() <= 2 {
        let msg = c.argv.get(1).cloned().unwrap_or_default();
        c.reply.array_len(2);
        c.reply.bulk(b"pong");
        c.reply.bulk(&msg);
        return Ok(());
    }
    match c.argv.len() {
        1 => c.reply.status("PONG"),
        2 => {
            let msg = std::mem::take(&mut c.argv[1]);
            c.reply.bulk(&msg);
        }
        _ => {
            return Err(ReplyError::new(
                "ERR wrong number of arguments for 'ping' command",
            ));
        }
    }
    Ok(())
}

pub fn echo_command(_: &mut Server, c: &mut Client) -> CmdResult {
    let msg = std::mem::take(&mut c.argv[1]);
    c.reply.bulk(&msg);
    Ok(())
}

pub fn quit_command(_: &mut Server, c: &mut Client) -> CmdResult {
    c.reply.ok();
    c.close_after_reply = true;
    Ok(())
}

pub fn reset_command(s: &mut Server, c: &mut Client) -> CmdResult {
    crate::commands::transactions::discard_transaction(s, c);
    crate::commands::pubsub::unsubscribe_all(s, c);
    s.disable_tracking(c);
    c.db = 0;
    c.reply.resp = 2;
    c.name = None;
    c.reply_off = false;
    c.reply_skip_next = false;
    c.replies_suppressed = false;
    // Back to the default user, authenticated as a new connection would
    // be (clientSetDefaultAuth).
    c.user = crate::acl::DEFAULT_USER;
    c.authenticated = s.acl.new_client_authenticated();
    c.reply.status("RESET");
    Ok(())
}

pub fn select_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let id = super::args::parse_i32(&c.argv[1])?;
    if id < 0 || id as usize >= s.db_count() {
        return Err(DB_INDEX_ERR);
    }
    c.db = id as usize;
    c.reply.ok();
    Ok(())
}

const WRONGPASS: ReplyError =
    ReplyError::new("WRONGPASS invalid username-password pair or user is disabled.");

pub fn auth_command(s: &mut Server, c: &mut Client) -> CmdResult {
    if c.argv.len() > 3 {
        return Err(SYNTAX_ERR);
    }
    let (user, pass): (Vec<u8>, Vec<u8>) = if c.argv.len() == 2 {
        // The old form has no user: it is default's password, and an
        // error when default needs none.
        if s.acl
            .user(crate::acl::DEFAULT_USER)
            .is_some_and(|u| u.nopass)
        {
            return Err(ReplyError::new(
                "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
            ));
        }
        (b"default".to_vec(), c.argv[1].clone())
    } else {
        (c.argv[1].clone(), c.argv[2].clone())
    };
    if !s.acl_authenticate(c, &user, &pass) {
        return Err(WRONGPASS);
    }
    c.reply.ok();
    Ok(())
}

/// Redis's validateClientName.
fn validate_client_name(name: &[u8]) -> CmdResult {
    if name.iter().any(|&b| !(b'!'..=b'~').contains(&b)) {
        return Err(ReplyError::new(
            "ERR Client names cannot contain spaces, newlines or special characters.",
        ));
    }
    Ok(())
}

pub fn hello_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let mut ver = 0;
    let mut next = 1;
    if c.argv.len() >= 2 {
        ver = parse_i64(&c.argv[1]).map_err(|_| {
            ReplyError::new("ERR Protocol version is not an integer or out of range")
        })?;
        next = 2;
        if !(2..=3).contains(&ver) {
            return Err(ReplyError::new("NOPROTO unsupported protocol version"));
        }
    }
    // Options take effect one by one, as Redis's helloCommand: an AUTH
    // or SETNAME before a failing option stays done.
    let mut j = next;
    while j < c.argv.len() {
        let more = c.argv.len() - 1 - j;
        if is(&c.argv[j], "auth") && more >= 2 {
            let (user, pass) = (c.argv[j + 1].clone(), c.argv[j + 2].clone());
            if !s.acl_authenticate(c, &user, &pass) {
                return Err(WRONGPASS);
            }
            j += 2;
        } else if is(&c.argv[j], "setname") && more >= 1 {
            validate_client_name(&c.argv[j + 1])?;
            let name = c.argv[j + 1].clone();
            c.name = if name.is_empty() { None } else { Some(name) };
            j += 1;
        } else {
            return Err(ReplyError::bytes(
                [
                    b"ERR Syntax error in HELLO option '".as_slice(),
                    &c.argv[j],
                    b"'",
                ]
                .concat(),
            ));
        }
        j += 1;
    }
    if !c.authenticated {
        return Err(ReplyError::new(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time",
        ));
    }
    if ver != 0 {
        c.reply.resp = ver as u8;
    }
    c.reply.map_len(7);
    c.reply.bulk_str("server");
    c.reply.bulk_str("redis");
    c.reply.bulk_str("version");
    c.reply.bulk_str("7.0.15");
    c.reply.bulk_str("proto");
    c.reply.int(c.reply.resp as i64);
    c.reply.bulk_str("id");
    c.reply.int(c.id as i64);
    c.reply.bulk_str("mode");
    c.reply.bulk_str("standalone");
    c.reply.bulk_str("role");
    c.reply.bulk_str("master");
    c.reply.bulk_str("modules");
    c.reply.array_len(0);
    Ok(())
}

// ---------------------------------------------------------------------
// CLIENT
// ---------------------------------------------------------------------

/// Redis's getClientType: our master's link is `master`, a replica
/// `slave`, a client with subscriptions `pubsub`, every other one (a
/// monitor too) `normal`.
pub fn client_type(c: &Client) -> &'static str {
    if c.master_link {
        "master"
    } else if c.replica.is_some() {
        "slave"
    } else if c.subscription_count() > 0 {
        "pubsub"
    } else {
        "normal"
    }
}

/// CLIENT LIST's flags, in the order Redis's catClientInfoString writes them.
fn client_flags(s: &Server, c: &Client) -> String {
    let mut f = String::new();
    let set = [
        (c.replica.is_some(), 'S'),
        (c.master_link, 'M'),
        (c.monitor, 'O'),
        (c.subscription_count() > 0, 'P'),
        (c.mstate.is_some() || c.exec_len.is_some(), 'x'),
        (c.bstate.is_some() || c.paused_argv.is_some(), 'b'),
        (c.tracking.is_some(), 't'),
        (c.tracking.as_ref().is_some_and(|t| t.broken_redir), 'R'),
        (c.tracking.as_ref().is_some_and(|t| t.bcast), 'B'),
        (s.cas_dirty.contains(&c.slot), 'd'),
        (c.close_after_reply, 'c'),
        (c.close_asap, 'A'),
        (c.no_evict, 'e'),
    ];
    for (on, ch) in set {
        if on {
            f.push(ch);
        }
    }
    if f.is_empty() {
        f.push('N');
    }
    f
}

/// One CLIENT LIST line, in Redis 7.0's field order, as bytes: a user's
/// name may be any bytes, and Redis prints them as they are.
pub fn client_info_string(s: &Server, c: &Client) -> Vec<u8> {
    let now = s.now_ms;
    // Redis trims the query buffer after the whole batch it read, so the
    // client running this command still counts the command's own bytes
    // (26 for CLIENT LIST as multibulk). It is the one out of the slab.
    let running = s.clients.get(c.slot).is_none_or(Option::is_none);
    let qbuf = if running {
        c.query.buf.len().saturating_sub(c.query.batch_start)
    } else {
        c.query.buf.len() - c.query.pos
    };
    let mut line = format!(
        "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub={} multi={} qbuf={} qbuf-free={} argv-mem={} multi-mem={} rbs={} rbp={} obl={} oll=0 omem=0 tot-mem={} events=r cmd={} user=",
        c.id,
        c.addr,
        c.laddr,
        c.fd(),
        String::from_utf8_lossy(c.name.as_deref().unwrap_or(b"")),
        (now - c.ctime) / 1000,
        (now - c.last_interaction) / 1000,
        client_flags(s, c),
        c.db,
        c.channels.len(),
        c.patterns.len(),
        c.shard_channels.len(),
        c.exec_len
            .or(c.mstate.as_ref().map(|q| q.len()))
            .map_or(-1, |n| n as i64),
        qbuf,
        c.query.buf.capacity() - c.query.buf.len(),
        // A blocked client still holds its command's arguments in Redis;
        // others only the one running now (a client just released from a
        // block keeps them here until its next command, Redis frees them).
        if c.bstate.is_some() {
            c.blocked_argv_mem
        } else if running {
            c.argv.iter().map(|a| a.len()).sum::<usize>()
        } else {
            0
        },
        // Redis's mstate.argv_len_sums: each queued command's argument
        // bytes plus a pointer per argument.
        c.mstate.as_ref().map_or(0, |q| q
            .iter()
            .map(|argv| argv.iter().map(|a| a.len() + 8).sum::<usize>())
            .sum::<usize>()),
        c.rbs,
        c.rbuf_peak,
        c.reply.pending(),
        c.query.buf.capacity() + c.reply.buf.capacity(),
        c.last_cmd,
    )
    .into_bytes();
    line.extend_from_slice(s.acl.user_name(c.user));
    line.extend_from_slice(
        format!(
            " redir={} resp={}",
            c.tracking.as_ref().map_or(-1, |t| t.redirect as i64),
            c.reply.resp
        )
        .as_bytes(),
    );
    line
}

pub fn client_id_command(_: &mut Server, c: &mut Client) -> CmdResult {
    c.reply.int(c.id as i64);
    Ok(())
}

pub fn client_setname_command(_: &mut Server, c: &mut Client) -> CmdResult {
    let name = c.argv[2].clone();
    validate_client_name(&name)?;
    c.name = if name.is_empty() { None } else { Some(name) };
    c.reply.ok();
    Ok(())
}

pub fn client_getname_command(_: &mut Server, c: &mut Client) -> CmdResult {
    match c.name.clone() {
        Some(n) => c.reply.bulk(&n),
        None => c.reply.null(),
    }
    Ok(())
}

pub fn client_setinfo_command(_: &mut Server, c: &mut Client) -> CmdResult {
    let value = c.argv[3].clone();
    if is(&c.argv[2], "lib-name") {
        validate_client_name(&value)?;
        c.lib_name = Some(value);
    } else if is(&c.argv[2], "lib-ver") {
        validate_client_name(&value)?;
        c.lib_ver = Some(value);
    } else {
        return Err(ReplyError::bytes(
            [b"ERR Unrecognized option '".as_slice(), &c.argv[2], b"'"].concat(),
        ));
    }
    c.reply.ok();
    Ok(())
}

pub fn client_info_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let mut line = client_info_string(s, c);
    line.push(b'\n');
    c.reply.verbatim(&line);
    Ok(())
}

pub fn client_list_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let mut out = Vec::new();
    let mut line = |cl: &Client| {
        out.extend_from_slice(&client_info_string(s, cl));
        out.push(b'\n');
    };
    if c.argv.len() == 4 && is(&c.argv[2], "type") {
        let mut t = c.argv[3].to_ascii_lowercase();
        if t == b"replica" {
            t = b"slave".to_vec();
        }
        if !matches!(
            &t[..],
            b"normal" | b"master" | b"replica" | b"slave" | b"pubsub"
        ) {
            return Err(ReplyError::bytes(
                [b"ERR Unknown client type '".as_slice(), &c.argv[3], b"'"].concat(),
            ));
        }
        for cl in s.client_ids_sorted(c) {
            if client_type(cl).as_bytes() == &t[..] {
                line(cl);
            }
        }
    } else if c.argv.len() >= 4 && is(&c.argv[2], "id") {
        // In argument order, repeats included; an unknown id is skipped.
        let all = s.client_ids_sorted(c);
        for a in &c.argv[3..] {
            let id = parse_i64(a).map_err(|_| ReplyError::new("ERR Invalid client ID"))?;
            if let Some(cl) = all.iter().find(|cl| cl.id as i64 == id) {
                line(cl);
            }
        }
    } else if c.argv.len() > 2 {
        return Err(SYNTAX_ERR);
    } else {
        for cl in s.client_ids_sorted(c) {
            line(cl);
        }
    }
    c.reply.verbatim(&out);
    Ok(())
}

pub fn client_kill_command(s: &mut Server, c: &mut Client) -> CmdResult {
    // Old form: CLIENT KILL addr:port.
    if c.argv.len() == 3 {
        let addr = String::from_utf8_lossy(&c.argv[2]).into_owned();
        if c.addr == addr {
            c.close_after_reply = true;
            c.reply.ok();
            return Ok(());
        }
        for (slot, other) in s.clients.iter_mut().enumerate() {
            if let Some(o) = other
                && o.addr == addr
            {
                o.close_asap = true;
                s.pending_writes.push(slot);
                c.reply.ok();
                return Ok(());
            }
        }
        return Err(ReplyError::new("ERR No such client"));
    }
    if !c.argv.len().is_multiple_of(2) {
        return Err(SYNTAX_ERR);
    }
    let (mut id, mut addr, mut laddr, mut skipme) = (None, None, None, true);
    let mut user: Option<usize> = None;
    let mut kind: Option<Vec<u8>> = None;
    for pair in c.argv[2..].chunks(2) {
        let (k, v) = (&pair[0], &pair[1]);
        if is(k, "id") {
            let n = parse_i64(v)
                .ok()
                .filter(|&i| i > 0)
                .ok_or(ReplyError::new("ERR client-id should be greater than 0"))?;
            id = Some(n as u64);
        } else if is(k, "addr") {
            addr = Some(String::from_utf8_lossy(v).into_owned());
        } else if is(k, "laddr") {
            laddr = Some(String::from_utf8_lossy(v).into_owned());
        } else if is(k, "type") {
            if !(is(v, "normal")
                || is(v, "master")
                || is(v, "replica")
                || is(v, "slave")
                || is(v, "pubsub"))
            {
                return Err(ReplyError::bytes(
                    [b"ERR Unknown client type '".as_slice(), v, b"'"].concat(),
                ));
            }
            kind = Some(match v.to_ascii_lowercase() {
                t if t == b"replica" => b"slave".to_vec(),
                t => t,
            });
        } else if is(k, "user") {
            match s.acl.user_id(v) {
                Some(u) => user = Some(u),
                None => {
                    return Err(ReplyError::bytes(
                        [b"ERR No such user '".as_slice(), v, b"'"].concat(),
                    ));
                }
            }
        } else if is(k, "skipme") {
            skipme = if is(v, "yes") {
                true
            } else if is(v, "no") {
                false
            } else {
                return Err(SYNTAX_ERR);
            };
        } else {
            return Err(SYNTAX_ERR);
        }
    }
    let matches = |cl: &Client| {
        id.is_none_or(|i| cl.id == i)
            && addr.as_ref().is_none_or(|a| &cl.addr == a)
            && laddr.as_ref().is_none_or(|a| &cl.laddr == a)
            && kind
                .as_ref()
                .is_none_or(|k| client_type(cl).as_bytes() == &k[..])
            && user.is_none_or(|u| cl.user == u)
    };
    let mut killed = 0;
    for (slot, other) in s.clients.iter_mut().enumerate() {
        // A client already being closed is gone for Redis (freed at once).
        if let Some(o) = other
            && !o.close_asap
            && matches(o)
        {
            o.close_asap = true;
            s.pending_writes.push(slot);
            killed += 1;
        }
    }
    if !skipme && matches(c) {
        c.close_after_reply = true;
        killed += 1;
    }
    c.reply.int(killed);
    Ok(())
}

pub fn client_unblock_command(s: &mut Server, c: &mut Client) -> CmdResult {
    if c.argv.len() > 4 {
        return Err(subcommand_syntax_error(c));
    }
    let id = parse_i64(&c.argv[2])?;
    let how = match c.argv.get(3) {
        None => crate::blocked::Unblock::Timeout,
        Some(a) if is(a, "timeout") => crate::blocked::Unblock::Timeout,
        Some(a) if is(a, "error") => crate::blocked::Unblock::Error,
        Some(_) => {
            return Err(ReplyError::new(
                "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR",
            ));
        }
    };
    let slot = s.clients.iter().position(|o| {
        o.as_ref().is_some_and(|o| {
            o.id as i64 == id
                    // MIGRATE's wait is not a blocking command's.
                    && o.bstate
                        .as_ref()
                        .is_some_and(|b| !matches!(b.op, crate::blocked::BlockOp::Migrate))
        })
    });
    match slot {
        Some(slot) => {
            if let Some(mut other) = s.clients[slot].take() {
                s.release_blocked(&mut other, how);
                s.pending_writes.push(slot);
                s.clients[slot] = Some(other);
            }
            c.reply.int(1);
        }
        None => c.reply.int(0),
    }
    Ok(())
}

pub fn client_help_command(_: &mut Server, c: &mut Client) -> CmdResult {
    reply_help(
        c,
        "CLIENT",
        &[
            "GETNAME",
            "    This connection's name, or null.",
            "ID",
            "    This connection's id.",
            "INFO",
            "    This connection's CLIENT LIST line.",
            "KILL <ip:port> | <filter> <value> ...",
            "    Close connections by address, or by ID, ADDR, LADDR, TYPE, USER, SKIPME filters.",
            "LIST [TYPE <type>] [ID <id> ...]",
            "    One line per connection.",
            "SETINFO <LIB-NAME|LIB-VER> <value>",
            "    Record the client library's name or version.",
            "SETNAME <name>",
            "    Name this connection.",
            "PAUSE <timeout> [WRITE|ALL]",
            "    Hold clients' commands (all, or only writes) for <timeout> milliseconds.",
            "REPLY (ON|OFF|SKIP)",
            "    Turn this connection's replies on or off, or skip the next one.",
            "UNPAUSE",
            "    End a pause early.",
            "UNBLOCK <clientid> [TIMEOUT|ERROR]",
            "    Release a client blocked in BLPOP and friends, as a timeout or with an error.",
        ],
    );
    Ok(())
}

// ---------------------------------------------------------------------
// Client-side caching: CLIENT TRACKING / CACHING / GETREDIR /
// TRACKINGINFO (the state and invalidations are in src/tracking.rs).
// ---------------------------------------------------------------------

/// CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p ...] [BCAST] [OPTIN]
/// [OPTOUT] [NOLOOP], with Redis's checks in Redis's order.
pub fn client_tracking_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let mut t = crate::tracking::ClientTracking::default();
    let mut prefixes: Vec<Vec<u8>> = Vec::new();
    let argc = c.argv.len();
    let mut j = 3;
    while j < argc {
        let more = argc - 1 - j > 0;
        let a = &c.argv[j];
        if a.eq_ignore_ascii_case(b"redirect") && more {
            j += 1;
            if t.redirect != 0 {
                return Err(ReplyError::new(
                    "ERR A client can only redirect to a single other client",
                ));
            }
            let id = super::args::parse_i64(&c.argv[j])?;
            if id < 0 || (s.slot_of_client(id as u64).is_none() && id as u64 != c.id) {
                return Err(ReplyError::new(
                    "ERR The client ID you want redirect to does not exist",
                ));
            }
            t.redirect = id as u64;
        } else if a.eq_ignore_ascii_case(b"bcast") {
            t.bcast = true;
        } else if a.eq_ignore_ascii_case(b"optin") {
            t.optin = true;
        } else if a.eq_ignore_ascii_case(b"optout") {
            t.optout = true;
        } else if a.eq_ignore_ascii_case(b"noloop") {
            t.noloop = true;
        } else if a.eq_ignore_ascii_case(b"prefix") && more {
            j += 1;
            prefixes.push(c.argv[j].clone());
        } else {
            return Err(SYNTAX_ERR);
        }
        j += 1;
    }
    let mode = &c.argv[2];
    if mode.eq_ignore_ascii_case(b"on") {
        if !t.bcast && !prefixes.is_empty() {
            return Err(ReplyError::new(
                "ERR PREFIX option requires BCAST mode to be enabled",
            ));
        }
        if let Some(cur) = c.tracking.as_ref()
            && cur.bcast != t.bcast
        {
            return Err(ReplyError::new(
                "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.",
            ));
        }
        if t.bcast && (t.optin || t.optout) {
            return Err(ReplyError::new(
                "ERR OPTIN and OPTOUT are not compatible with BCAST",
            ));
        }
        if t.optin && t.optout {
            return Err(ReplyError::new(
                "ERR You can't specify both OPTIN mode and OPTOUT mode",
            ));
        }
        if let Some(cur) = c.tracking.as_ref()
            && ((t.optin && cur.optout) || (t.optout && cur.optin))
        {
            return Err(ReplyError::new(
                "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.",
            ));
        }
        if t.bcast {
            check_prefix_collisions(c, &prefixes)?;
        }
        s.enable_tracking(c, t, &prefixes);
    } else if mode.eq_ignore_ascii_case(b"off") {
        s.disable_tracking(c);
    } else {
        return Err(SYNTAX_ERR);
    }
    c.reply.ok();
    Ok(())
}

/// checkPrefixCollisionsOrReply: no new prefix may be a prefix of (or
/// have as prefix) one the client has, or another new one.
fn check_prefix_collisions(c: &Client, prefixes: &[Vec<u8>]) -> CmdResult {
    let overlap = |a: &[u8], b: &[u8]| {
        let n = a.len().min(b.len());
        a[..n] == b[..n]
    };
    let lossy = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    for (i, p) in prefixes.iter().enumerate() {
        if let Some(cur) = c.tracking.as_ref() {
            for have in &cur.prefixes {
                if overlap(have, p) {
                    return Err(ReplyError::owned(format!(
                        "ERR Prefix '{}' overlaps with an existing prefix '{}'. Prefixes for a single client must not overlap.",
                        lossy(p),
                        lossy(have)
                    )));
                }
            }
        }
        for q in &prefixes[i + 1..] {
            if overlap(p, q) {
                return Err(ReplyError::owned(format!(
                    "ERR Prefix '{}' overlaps with another provided prefix '{}'. Prefixes for a single client must not overlap.",
                    lossy(p),
                    lossy(q)
                )));
            }
        }
    }
    Ok(())
}

/// CLIENT CACHING YES|NO: the next command is (not) tracked, in OPTIN
/// (OPTOUT) mode.
pub fn client_caching_command(_: &mut Server, c: &mut Client) -> CmdResult {
    let Some(t) = c.tracking.as_mut() else {
        return Err(ReplyError::new(
            "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled",
        ));
    };
    let opt = &c.argv[2];
    if opt.eq_ignore_ascii_case(b"yes") {
        if !t.optin {
            return Err(ReplyError::new(
                "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.",
            ));
        }
        t.caching = true;
    } else if opt.eq_ignore_ascii_case(b"no") {
        if !t.optout {
            return Err(ReplyError::new(
                "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.",
            ));
        }
        t.caching = true;
    } else {
        return Err(SYNTAX_ERR);
    }
    c.reply.ok();
    Ok(())
}

/// CLIENT GETREDIR: the redirection's client ID, 0 for none, -1 when not
/// tracking.
pub fn client_getredir_command(_: &mut Server, c: &mut Client) -> CmdResult {
    let v = c.tracking.as_ref().map_or(-1, |t| t.redirect as i64);
    c.reply.int(v);
    Ok(())
}

/// CLIENT TRACKINGINFO: flags, redirect and prefixes.
pub fn client_trackinginfo_command(_: &mut Server, c: &mut Client) -> CmdResult {
    let t = c.tracking.clone();
    let mut flags: Vec<&str> = vec![if t.is_some() { "on" } else { "off" }];
    if let Some(t) = &t {
        if t.bcast {
            flags.push("bcast");
        }
        if t.optin {
            flags.push("optin");
            if t.caching {
                flags.push("caching-yes");
            }
        }
        if t.optout {
            flags.push("optout");
            if t.caching {
                flags.push("caching-no");
            }
        }
        if t.noloop {
            flags.push("noloop");
        }
        if t.broken_redir {
            flags.push("broken_redirect");
        }
    }
    c.reply.map_len(3);
    c.reply.bulk(b"flags");
    c.reply.set_len(flags.len());
    for f in flags {
        c.reply.bulk(f.as_bytes());
    }
    c.reply.bulk(b"redirect");
    c.reply.int(t.as_ref().map_or(-1, |t| t.redirect as i64));
    c.reply.bulk(b"prefixes");
    let prefixes: Vec<Vec<u8>> = t
        .map(|t| t.prefixes.into_iter().collect())
        .unwrap_or_default();
    c.reply.array_len(prefixes.len());
    for p in prefixes {
        c.reply.bulk(&p);
    }
    Ok(())
}
