//! Group `acl`: ACL SETUSER, GETUSER, DELUSER, LIST, USERS, WHOAMI, CAT,
//! LOG, GENPASS, DRYRUN, LOAD, SAVE (Redis's aclCommand), and the server
//! side of users: the check before every command, the log of denials,
//! loading users at startup and dropping clients whose user went away.
//! The users and the rule language are in src/acl.rs.

use super::args::{is, parse_i64, reply_help, subcommand_syntax_error};
use super::{CmdResult, CommandSpec, Lookup, ReplyError};
use crate::acl::{self, Acl, Denied, LogContext};
use crate::client::Client;
use crate::server::Server;

impl Server {
    /// Users from the config file's `user` lines, or from the aclfile
    /// (never both), and requirepass (ACLLoadUsersAtStartup).
    pub fn acl_load_at_startup(&mut self) -> Result<(), String> {
        self.acl.pubsub_all = self.config.acl_pubsub_default == "allchannels";
        self.acl
            .set_default_password(&self.config.requirepass.clone());
        if !self.config.aclfile.is_empty() && !self.config.users.is_empty() {
            return Err("Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.".to_string());
        }
        for line in &self.config.users {
            self.acl
                .validate_user_line(line.get(1..).unwrap_or_default())
                .map_err(|e| format!("Error in user declaration '{}': {e}", c_str(&line[0])))?;
        }
        let users = self.config.users.clone();
        self.acl
            .load_configured_users(&users)
            .map_err(|e| format!("{e}. Critical error while loading ACLs. Exiting."))?;
        if !self.config.aclfile.is_empty() {
            let path = self.config.aclfile.clone();
            let text = std::fs::read(&path).map_err(|e| {
                format!(
                    "Aborting Redis startup because of ACL errors: Error loading ACLs, opening file '{path}': {}",
                    strerror(&e)
                )
            })?;
            self.acl
                .load_file_text(&text, &path)
                .map_err(|e| format!("Aborting Redis startup because of ACL errors: {e}"))?;
        }
        Ok(())
    }

    /// The permission check of processCommand: Err is the reply (the
    /// denial is logged).
    pub fn acl_check_command(
        &mut self,
        c: &Client,
        spec: &'static CommandSpec,
        context: LogContext,
    ) -> Result<(), ReplyError> {
        let Err((why, pos)) = self.acl.check(&self.commands, c.user, spec, &c.argv) else {
            return Ok(());
        };
        self.acl_log(c, why, context, pos, spec);
        Err(match why {
            Denied::Cmd => ReplyError::owned(format!(
                "NOPERM this user has no permissions to run the '{}' command",
                self.commands.full_name_static(spec)
            )),
            Denied::Key => ReplyError::new(
                "NOPERM this user has no permissions to access one of the keys used as arguments",
            ),
            Denied::Channel => ReplyError::new(
                "NOPERM this user has no permissions to access one of the channels used as arguments",
            ),
            Denied::Auth => ReplyError::new("ERR no permission"),
        })
    }

    /// addACLLogEntry for a refused command: the object is the command's
    /// name, or the key or channel at `pos`.
    pub fn acl_log(
        &mut self,
        c: &Client,
        why: Denied,
        context: LogContext,
        pos: usize,
        spec: &'static CommandSpec,
    ) {
        let object = match why {
            Denied::Cmd => self.commands.full_name_static(spec).as_bytes().to_vec(),
            _ => c.argv.get(pos).cloned().unwrap_or_default(),
        };
        let username = self.acl.user_name(c.user).to_vec();
        self.acl_log_entry(c, why, context, object, username);
    }

    /// An entry with its object and user given (AUTH failures name the
    /// user tried, not the client's).
    pub fn acl_log_entry(
        &mut self,
        c: &Client,
        why: Denied,
        context: LogContext,
        object: Vec<u8>,
        username: Vec<u8>,
    ) {
        // A script's denial shows the client that called the script.
        let info = match self.scripting.caller_info.as_ref() {
            Some(info) if context == LogContext::Lua => info.clone(),
            _ => super::connection::client_info_string(self, c),
        };
        let max = self.config.acllog_max_len as usize;
        self.acl
            .log_denial(why, context, object, username, info, self.now_ms, max);
    }

    /// ACLAuthenticateUser: on success the client becomes the user; a
    /// failure is logged (reason auth, object the command's name).
    pub fn acl_authenticate(&mut self, c: &mut Client, user: &[u8], pass: &[u8]) -> bool {
        match self.acl.check_credentials(user, pass) {
            Some(id) => {
                c.authenticated = true;
                c.user = id;
                true
            }
            None => {
                let context = if c.mstate.is_some() || c.in_exec {
                    LogContext::Multi
                } else {
                    LogContext::Toplevel
                };
                let object = c.argv.first().cloned().unwrap_or_default();
                self.acl_log_entry(c, Denied::Auth, context, object, user.to_vec());
                false
            }
        }
    }

    /// ACLFreeUserAndKillClients: clients of a deleted (or replaced) user
    /// go back to the default user, unauthenticated, and are closed.
    fn acl_drop_clients_of(&mut self, c: &mut Client, user: usize) {
        for (slot, other) in self.clients.iter_mut().enumerate() {
            if let Some(o) = other
                && o.user == user
            {
                o.user = acl::DEFAULT_USER;
                o.authenticated = false;
                o.close_asap = true;
                self.pending_writes.push(slot);
            }
        }
        if c.user == user {
            c.user = acl::DEFAULT_USER;
            c.authenticated = false;
            c.close_after_reply = true;
        }
    }

    /// ACLKillPubsubClientsIfNeeded after a user's rules changed.
    fn acl_drop_revoked_subscribers(&mut self, c: &mut Client, user: usize, before: &acl::User) {
        let Some(upcoming) = self.acl.channels_revoked(user, before) else {
            return;
        };
        let violates = |o: &Client| {
            o.user == user
                && o.subscription_count() > 0
                && Acl::violates(&upcoming, &o.channels, &o.patterns, &o.shard_channels)
        };
        for (slot, other) in self.clients.iter_mut().enumerate() {
            if let Some(o) = other
                && violates(o)
            {
                o.close_asap = true;
                self.pending_writes.push(slot);
            }
        }
        if violates(c) {
            c.close_after_reply = true;
        }
    }
}

/// C's strerror text: the io error without Rust's " (os error N)".
fn strerror(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

fn c_str(b: &[u8]) -> String {
    String::from_utf8_lossy(b.split(|&x| x == 0).next().unwrap_or_default()).into_owned()
}

pub fn acl_setuser_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let name = c.argv[2].clone();
    if acl::has_spaces(&name) {
        return Err(ReplyError::new(
            "ERR Usernames can't contain spaces or null characters",
        ));
    }
    s.acl.pubsub_all = s.config.acl_pubsub_default == "allchannels";
    let (id, before) = s.acl.set_user(&name, &c.argv[3..]).map_err(|e| {
        // addReplyErrorSdsSafe: line breaks become spaces.
        let safe: Vec<u8> = e
            .into_iter()
            .map(|b| if b == b'\r' || b == b'\n' { b' ' } else { b })
            .collect();
        ReplyError::bytes([b"ERR ".as_slice(), &safe].concat())
    })?;
    if let Some(before) = before {
        s.acl_drop_revoked_subscribers(c, id, &before);
    }
    c.reply.ok();
    Ok(())
}

pub fn acl_deluser_command(s: &mut Server, c: &mut Client) -> CmdResult {
    // Redis compares with strcmp: "default\0x" is default too.
    if c.argv[2..]
        .iter()
        .any(|n| n.split(|&b| b == 0).next() == Some(b"default".as_slice()))
    {
        return Err(ReplyError::new("ERR The 'default' user cannot be removed"));
    }
    let mut deleted = 0;
    for j in 2..c.argv.len() {
        let name = c.argv[j].clone();
        if let Some(id) = s.acl.delete_user(&name) {
            s.acl_drop_clients_of(c, id);
            deleted += 1;
        }
    }
    c.reply.int(deleted);
    Ok(())
}

pub fn acl_getuser_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let Some(info) = s.acl.user_id(&c.argv[2]).and_then(|id| s.acl.getuser(id)) else {
        c.reply.null();
        return Ok(());
    };
    let selector = |c: &mut Client, (cmds, keys, chans): &(Vec<u8>, Vec<u8>, Vec<u8>)| {
        c.reply.bulk_str("commands");
        c.reply.bulk(cmds);
        c.reply.bulk_str("keys");
        c.reply.bulk(keys);
        c.reply.bulk_str("channels");
        c.reply.bulk(chans);
    };
    c.reply.map_len(6);
    c.reply.bulk_str("flags");
    c.reply.set_len(info.flags.len());
    for f in &info.flags {
        c.reply.bulk_str(f);
    }
    c.reply.bulk_str("passwords");
    c.reply.array_len(info.passwords.len());
    for p in &info.passwords {
        c.reply.bulk_str(p);
    }
    selector(c, &info.root);
    c.reply.bulk_str("selectors");
    c.reply.array_len(info.selectors.len());
    for sel in &info.selectors {
        c.reply.map_len(3);
        selector(c, sel);
    }
    Ok(())
}

pub fn acl_list_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let lines: Vec<Vec<u8>> = s
        .acl
        .users()
        .map(|(id, name)| [b"user ".as_slice(), name, b" ", &s.acl.describe(id)].concat())
        .collect();
    c.reply.array_len(lines.len());
    for l in lines {
        c.reply.bulk(&l);
    }
    Ok(())
}

pub fn acl_users_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let names: Vec<Vec<u8>> = s.acl.users().map(|(_, n)| n.to_vec()).collect();
    c.reply.array_len(names.len());
    for n in names {
        c.reply.bulk(&n);
    }
    Ok(())
}

pub fn acl_whoami_command(s: &mut Server, c: &mut Client) -> CmdResult {
    match s.acl.user(c.user) {
        Some(u) => {
            let name = u.name.clone();
            c.reply.bulk(&name);
        }
        None => c.reply.null(),
    }
    Ok(())
}

const NO_ACLFILE: &str = "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.";

pub fn acl_load_command(s: &mut Server, c: &mut Client) -> CmdResult {
    if s.config.aclfile.is_empty() {
        return Err(ReplyError::new(NO_ACLFILE));
    }
    let path = s.config.aclfile.clone();
    let text = std::fs::read(&path).map_err(|e| {
        ReplyError::owned(format!(
            "ERR Error loading ACLs, opening file '{path}': {}",
            strerror(&e)
        ))
    })?;
    s.acl.pubsub_all = s.config.acl_pubsub_default == "allchannels";
    let replaced = s
        .acl
        .load_file_text(&text, &path)
        .map_err(|e| ReplyError::owned(format!("ERR {e}")))?;
    for id in replaced {
        s.acl_drop_clients_of(c, id);
    }
    c.reply.ok();
    Ok(())
}

pub fn acl_save_command(s: &mut Server, c: &mut Client) -> CmdResult {
    if s.config.aclfile.is_empty() {
        return Err(ReplyError::new(NO_ACLFILE));
    }
    let path = s.config.aclfile.clone();
    let tmp = format!(
        "{path}.tmp-{}-{}",
        std::process::id(),
        crate::util::time::mstime()
    );
    let text = s.acl.file_text();
    let written = std::fs::write(&tmp, &text).and_then(|_| std::fs::rename(&tmp, &path));
    if let Err(e) = written {
        log::warn!("Writing ACL file for ACL SAVE: {e}");
        let _ = std::fs::remove_file(&tmp);
        return Err(ReplyError::new(
            "ERR There was an error trying to save the ACLs. Please check the server logs for more information",
        ));
    }
    c.reply.ok();
    Ok(())
}

/// ACL CAT [category]: the categories, or every row (subcommands as
/// `parent|sub`) in one.
pub fn acl_cat_command(_: &mut Server, c: &mut Client) -> CmdResult {
    if c.argv.len() > 3 {
        return Err(subcommand_syntax_error(c));
    }
    let Some(arg) = c.argv.get(2) else {
        c.reply.array_len(acl::CATEGORIES.len());
        for cat in acl::CATEGORIES {
            c.reply.bulk_str(cat);
        }
        return Ok(());
    };
    let Some(cat) = acl::CATEGORIES
        .iter()
        .find(|cat| arg.eq_ignore_ascii_case(cat.as_bytes()))
    else {
        let shown = &arg[..arg.len().min(128)];
        return Err(ReplyError::bytes(
            [b"ERR Unknown category '".as_slice(), shown, b"'"].concat(),
        ));
    };
    let tag = format!("@{cat}");
    let in_cat = |spec: &CommandSpec| spec.acl.split_whitespace().any(|t| t == tag);
    let mut names: Vec<String> = Vec::new();
    for table in super::all_tables() {
        for spec in table {
            if in_cat(spec) {
                names.push(spec.name.to_string());
            }
            for sub in spec.subcommands {
                if in_cat(sub) {
                    names.push(format!("{}|{}", spec.name, sub.name));
                }
            }
        }
    }
    c.reply.array_len(names.len());
    for n in names {
        c.reply.bulk_str(&n);
    }
    Ok(())
}

/// ACL GENPASS [bits]: random hex from the kernel's generator.
pub fn acl_genpass_command(_: &mut Server, c: &mut Client) -> CmdResult {
    if c.argv.len() > 3 {
        return Err(subcommand_syntax_error(c));
    }
    let bits = match c.argv.get(2) {
        Some(a) => parse_i64(a)?,
        None => 256,
    };
    if bits <= 0 || bits > 4096 {
        return Err(ReplyError::new(
            "ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096",
        ));
    }
    let chars = ((bits + 3) / 4) as usize;
    let mut bytes = vec![0u8; chars.div_ceil(2)];
    let from_kernel = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes));
    if from_kernel.is_err() {
        bytes
            .iter_mut()
            .for_each(|b| *b = crate::util::rand::below(256) as u8);
    }
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    c.reply.bulk(&hex.as_bytes()[..chars]);
    Ok(())
}

/// ACL LOG [count | RESET].
pub fn acl_log_command(s: &mut Server, c: &mut Client) -> CmdResult {
    if c.argv.len() > 3 {
        return Err(subcommand_syntax_error(c));
    }
    let mut count = 10;
    if let Some(a) = c.argv.get(2) {
        if is(a, "reset") {
            s.acl.log.clear();
            c.reply.ok();
            return Ok(());
        }
        count = parse_i64(a)?.max(0);
    }
    let count = (count as usize).min(s.acl.log.len());
    let now = crate::util::time::mstime();
    c.reply.array_len(count);
    for e in s.acl.log.iter().take(count) {
        c.reply.map_len(7);
        c.reply.bulk_str("count");
        c.reply.int(e.count as i64);
        c.reply.bulk_str("reason");
        c.reply.bulk_str(Acl::log_reason_name(e));
        c.reply.bulk_str("context");
        c.reply.bulk_str(Acl::log_context_name(e));
        c.reply.bulk_str("object");
        c.reply.bulk(&e.object);
        c.reply.bulk_str("username");
        c.reply.bulk(&e.username);
        c.reply.bulk_str("age-seconds");
        c.reply.double((now - e.ctime_ms) as f64 / 1000.0);
        c.reply.bulk_str("client-info");
        c.reply.bulk(&e.client_info);
    }
    Ok(())
}

/// ACL DRYRUN user command [arg ...]: would the user be allowed?
pub fn acl_dryrun_command(s: &mut Server, c: &mut Client) -> CmdResult {
    let Some(user) = s.acl.user_id(&c.argv[2]) else {
        return Err(ReplyError::owned(format!(
            "ERR User '{}' not found",
            c_str(&c.argv[2])
        )));
    };
    let args = &c.argv[3..];
    let Lookup::Found(spec) = s.commands.lookup(args) else {
        return Err(ReplyError::owned(format!(
            "ERR Command '{}' not found",
            c_str(&args[0])
        )));
    };
    if !spec.arity_ok(args.len()) {
        return Err(ReplyError::owned(format!(
            "ERR wrong number of arguments for '{}' command",
            s.commands.full_name_static(spec)
        )));
    }
    match s.acl.check(&s.commands, user, spec, args) {
        Ok(()) => c.reply.ok(),
        Err((why, pos)) => {
            let what = match why {
                Denied::Cmd => format!(
                    "This user has no permissions to run the '{}' command",
                    s.commands.full_name_static(spec)
                ),
                Denied::Key => format!(
                    "This user has no permissions to access the '{}' key",
                    c_str(&args[pos])
                ),
                _ => format!(
                    "This user has no permissions to access the '{}' channel",
                    c_str(&args[pos])
                ),
            };
            c.reply.bulk(what.as_bytes());
        }
    }
    Ok(())
}

pub fn acl_help_command(_: &mut Server, c: &mut Client) -> CmdResult {
    reply_help(
        c,
        "ACL",
        &[
            "CAT [<category>]",
            "    The command categories, or the commands of one category.",
            "DELUSER <username> [<username> ...]",
            "    Delete users; their connections are closed.",
            "DRYRUN <username> <command> [<arg> ...]",
            "    Tell whether the user may run the command line, without running it.",
            "GETUSER <username>",
            "    A user's flags, password hashes and permissions.",
            "GENPASS [<bits>]",
            "    A random password of 256 bits, or of the given number of bits.",
            "LIST",
            "    Every user's rules, as config-file lines.",
            "LOAD",
            "    Replace the users with those of the ACL file.",
            "LOG [<count> | RESET]",
            "    The latest refused commands and logins, or clear them.",
            "SAVE",
            "    Write the users to the ACL file.",
            "SETUSER <username> <attribute> [<attribute> ...]",
            "    Create a user or change its rules.",
            "USERS",
            "    The names of the users.",
            "WHOAMI",
            "    The user this connection is authenticated as.",
        ],
    );
    Ok(())
}
