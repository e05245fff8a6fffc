//! Users and their permissions, after Redis 7.0's acl.c: users made of
//! flags, password hashes and selectors; the rule language of ACL SETUSER
//! and of `user` lines; the permission check `call` makes before every
//! command; the ACL log; and the ACL file.
//!
//! The check is one bitmap test per command: each selector holds a bit
//! per command-table row (the table's dense index), and a user whose only
//! selector allows every command, key and channel (the default user, as
//! shipped) skips the check altogether.

use std::collections::{BTreeMap, HashMap, VecDeque};

use crate::commands::CommandSpec;
use crate::commands::CommandTable;
use crate::util::glob::string_match;

/// Redis's categories, in its order (ACL CAT, COMMAND INFO, and the order
/// the describe loop tries them in).
pub const CATEGORIES: [&str; 21] = [
    "keyspace",
    "read",
    "write",
    "set",
    "sortedset",
    "list",
    "hash",
    "string",
    "bitmap",
    "hyperloglog",
    "geo",
    "stream",
    "pubsub",
    "admin",
    "fast",
    "slow",
    "blocking",
    "dangerous",
    "connection",
    "transaction",
    "scripting",
];

/// The user every connection starts as.
pub const DEFAULT_USER: usize = 0;
/// Internal clients (AOF loading): no user, no checks (Redis's NULL user).
pub const SUPERUSER: usize = usize::MAX;

/// Key permissions of a pattern (%R~, %W~, ~ is both).
const PERM_READ: u8 = 1;
const PERM_WRITE: u8 = 2;
const PERM_ALL: u8 = PERM_READ | PERM_WRITE;

/// Why a command was refused, with Redis's numbering (the highest wins
/// when several selectors refuse).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Denied {
    Cmd = 1,
    Key = 2,
    Auth = 3,
    Channel = 4,
}

impl Denied {
    fn reason(self) -> &'static str {
        match self {
            Denied::Cmd => "command",
            Denied::Key => "key",
            Denied::Channel => "channel",
            Denied::Auth => "auth",
        }
    }

    /// getAclErrorMessage (scripts: "The user executing the script ...").
    pub fn message(self) -> &'static str {
        match self {
            Denied::Cmd => "can't run this command or subcommand",
            Denied::Key => {
                "can't access at least one of the keys mentioned in the command arguments"
            }
            Denied::Channel => "can't publish to the channel mentioned in the command",
            Denied::Auth => "lacking the permissions for the command",
        }
    }
}

/// Where a denial happened (ACL LOG's context).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum LogContext {
    Toplevel,
    Multi,
    Lua,
}

impl LogContext {
    fn name(self) -> &'static str {
        match self {
            LogContext::Toplevel => "toplevel",
            LogContext::Multi => "multi",
            LogContext::Lua => "lua",
        }
    }
}

/// One ACL LOG entry.
#[derive(Clone)]
pub struct LogEntry {
    pub count: u64,
    pub reason: Denied,
    pub context: LogContext,
    pub object: Vec<u8>,
    pub username: Vec<u8>,
    pub ctime_ms: i64,
    pub client_info: Vec<u8>,
}

/// What a rule got wrong (ACLSetUserStringError's errno cases).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum RuleError {
    /// ENOENT
    UnknownCommand,
    /// EINVAL
    Syntax,
    /// EEXIST
    KeyAfterAll,
    /// EISDIR
    ChannelAfterAll,
    /// ENODEV
    NoSuchPassword,
    /// EBADMSG
    BadHash,
    /// ECHILD
    SubcommandFirstArg,
}

impl RuleError {
    pub fn message(self) -> &'static str {
        match self {
            RuleError::UnknownCommand => "Unknown command or category name in ACL",
            RuleError::Syntax => "Syntax error",
            RuleError::KeyAfterAll => {
                "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns"
            }
            RuleError::ChannelAfterAll => {
                "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels"
            }
            RuleError::NoSuchPassword => {
                "The password you are trying to remove from the user does not exist"
            }
            RuleError::BadHash => {
                "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"
            }
            RuleError::SubcommandFirstArg => "Allowing first-arg of a subcommand is not supported",
        }
    }
}

/// What the ACL code needs to know of each command-table row, by the
/// row's dense index.
struct Rows {
    names: Vec<&'static str>,
    cats: Vec<u32>,
    parent: Vec<Option<usize>>,
    /// A container's subcommand rows follow it in the index.
    subs: Vec<std::ops::Range<usize>>,
    no_auth: Vec<bool>,
    by_name: HashMap<String, usize>,
}

impl Rows {
    fn new(table: &CommandTable) -> Rows {
        let names: Vec<&'static str> = table.names().to_vec();
        let n = names.len();
        let mut rows = Rows {
            names,
            cats: vec![0; n],
            parent: vec![None; n],
            subs: vec![0..0; n],
            no_auth: vec![false; n],
            by_name: HashMap::new(),
        };
        let mut specs: Vec<&'static CommandSpec> = table.iter().collect();
        specs.sort_by_key(|s| table.index_of(s));
        for spec in specs {
            let id = table.index_of(spec);
            rows.fill(id, spec);
            let first = id + 1;
            rows.subs[id] = first..first + spec.subcommands.len();
            for sub in spec.subcommands {
                let sid = table.index_of(sub);
                rows.fill(sid, sub);
                rows.parent[sid] = Some(id);
            }
        }
        for (id, name) in rows.names.iter().enumerate() {
            rows.by_name.insert(name.to_string(), id);
        }
        rows
    }

    fn fill(&mut self, id: usize, spec: &CommandSpec) {
        self.cats[id] = spec
            .acl
            .split(' ')
            .filter_map(|c| c.strip_prefix('@'))
            .filter_map(category_bit)
            .fold(0, |m, b| m | b);
        self.no_auth[id] = spec.has_flag("no_auth");
    }

    fn len(&self) -> usize {
        self.names.len()
    }

    /// ACLLookupCommand: "get" or "config|get", case-insensitively.
    fn lookup(&self, name: &[u8]) -> Option<usize> {
        let lower = String::from_utf8_lossy(name).to_ascii_lowercase();
        self.by_name.get(&lower).copied()
    }
}

/// A category's bit, by name (any case).
pub fn category_bit(name: &str) -> Option<u32> {
    CATEGORIES
        .iter()
        .position(|c| c.eq_ignore_ascii_case(name))
        .map(|i| 1 << i)
}

#[derive(Clone, PartialEq, Debug)]
struct KeyPattern {
    perm: u8,
    pattern: Vec<u8>,
}

impl KeyPattern {
    fn describe(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(match self.perm {
            PERM_READ => b"%R~".as_slice(),
            PERM_WRITE => b"%W~",
            _ => b"~",
        });
        out.extend_from_slice(&self.pattern);
    }
}

/// One set of permissions; a user holds its root selector and any number
/// of `(...)` selectors, and may run a command when any one allows it.
#[derive(Clone)]
struct Selector {
    root: bool,
    allkeys: bool,
    allchannels: bool,
    allcommands: bool,
    /// A bit per row, then the "future commands" bit set only by +@all.
    bits: Vec<u64>,
    /// Allowed first arguments of otherwise denied commands (+select|0).
    firstargs: Vec<(usize, Vec<Vec<u8>>)>,
    patterns: Vec<KeyPattern>,
    channels: Vec<Vec<u8>>,
}

impl Selector {
    fn new(rows: &Rows, root: bool, pubsub_all: bool) -> Selector {
        Selector {
            root,
            allkeys: false,
            allchannels: pubsub_all,
            allcommands: false,
            bits: vec![0; (rows.len() + 1).div_ceil(64)],
            firstargs: Vec::new(),
            patterns: Vec::new(),
            channels: Vec::new(),
        }
    }

    fn bit(&self, id: usize) -> bool {
        self.bits
            .get(id / 64)
            .is_some_and(|w| w & (1 << (id % 64)) != 0)
    }

    fn set_bit(&mut self, id: usize, on: bool) {
        if let Some(w) = self.bits.get_mut(id / 64) {
            if on {
                *w |= 1 << (id % 64);
            } else {
                *w &= !(1 << (id % 64));
                self.allcommands = false;
            }
        }
    }

    fn future_bit(rows: &Rows) -> usize {
        rows.len()
    }

    fn set_all(&mut self, on: bool) {
        self.bits
            .iter_mut()
            .for_each(|w| *w = if on { !0 } else { 0 });
        self.allcommands = on;
        self.firstargs.clear();
    }

    /// ACLChangeSelectorPerm: a container takes its subcommands along.
    fn change_perm(&mut self, rows: &Rows, id: usize, on: bool) {
        self.set_bit(id, on);
        self.firstargs.retain(|(i, _)| *i != id);
        for sub in rows.subs[id].clone() {
            self.set_bit(sub, on);
        }
    }

    fn set_category(&mut self, rows: &Rows, cat: u32, on: bool) {
        for id in 0..rows.len() {
            if rows.cats[id] & cat != 0 {
                self.change_perm(rows, id, on);
            }
        }
    }

    fn count_category(&self, rows: &Rows, cat: u32) -> (usize, usize) {
        let (mut on, mut off) = (0, 0);
        for id in 0..rows.len() {
            if rows.cats[id] & cat != 0 {
                if self.bit(id) {
                    on += 1;
                } else {
                    off += 1;
                }
            }
        }
        (on, off)
    }

    /// ACLSetSelector: one rule about commands, keys or channels.
    fn apply(&mut self, rows: &Rows, op: &[u8]) -> Result<(), RuleError> {
        // Keywords and command names are C strings in Redis: they end at
        // a NUL ("on\0x" is "on"). Patterns and passwords keep every byte.
        let kw = c_bytes(op);
        let is = |s: &str| kw.eq_ignore_ascii_case(s.as_bytes());
        if is("allkeys") || kw == b"~*" {
            self.allkeys = true;
            self.patterns.clear();
        } else if is("resetkeys") {
            self.allkeys = false;
            self.patterns.clear();
        } else if is("allchannels") || kw == b"&*" {
            self.allchannels = true;
            self.channels.clear();
        } else if is("resetchannels") {
            self.allchannels = false;
            self.channels.clear();
        } else if is("allcommands") || is("+@all") {
            self.set_all(true);
        } else if is("nocommands") || is("-@all") {
            self.set_all(false);
        } else if op.first() == Some(&b'~') || op.first() == Some(&b'%') {
            if self.allkeys {
                return Err(RuleError::KeyAfterAll);
            }
            let mut perm = 0;
            let mut offset = 1;
            if op[0] == b'%' {
                while offset < op.len() {
                    let ch = op[offset].to_ascii_uppercase();
                    if ch == b'R' && perm & PERM_READ == 0 {
                        perm |= PERM_READ;
                    } else if ch == b'W' && perm & PERM_WRITE == 0 {
                        perm |= PERM_WRITE;
                    } else if op[offset] == b'~' {
                        offset += 1;
                        break;
                    } else {
                        return Err(RuleError::Syntax);
                    }
                    offset += 1;
                }
                // Redis accepts "%~x" (no permission) and then cannot
                // describe it; refused here instead.
                if perm == 0 {
                    return Err(RuleError::Syntax);
                }
            } else {
                perm = PERM_ALL;
            }
            let pattern = &op[offset.min(op.len())..];
            if has_spaces(pattern) {
                return Err(RuleError::Syntax);
            }
            match self.patterns.iter_mut().find(|p| p.pattern == pattern) {
                Some(p) => p.perm |= perm,
                None => self.patterns.push(KeyPattern {
                    perm,
                    pattern: pattern.to_vec(),
                }),
            }
            self.allkeys = false;
        } else if op.first() == Some(&b'&') {
            if self.allchannels {
                return Err(RuleError::ChannelAfterAll);
            }
            let pattern = &op[1..];
            if has_spaces(pattern) {
                return Err(RuleError::Syntax);
            }
            if !self.channels.iter().any(|c| c == pattern) {
                self.channels.push(pattern.to_vec());
            }
            self.allchannels = false;
        } else if kw.first() == Some(&b'+') && kw.get(1) != Some(&b'@') {
            let name = &kw[1..];
            match name.iter().rposition(|&b| b == b'|') {
                None => {
                    let id = rows.lookup(name).ok_or(RuleError::UnknownCommand)?;
                    self.change_perm(rows, id, true);
                }
                Some(bar) => {
                    let (base, sub) = (&name[..bar], &name[bar + 1..]);
                    let id = rows.lookup(base).ok_or(RuleError::UnknownCommand)?;
                    if rows.parent[id].is_some() {
                        return Err(RuleError::SubcommandFirstArg);
                    }
                    if sub.is_empty() {
                        return Err(RuleError::Syntax);
                    }
                    if !rows.subs[id].is_empty() {
                        let sid = rows.lookup(name).ok_or(RuleError::UnknownCommand)?;
                        self.change_perm(rows, sid, true);
                    } else {
                        log::warn!(
                            "Deprecation warning: Allowing a first arg of an otherwise blocked command is a misuse of ACL and may get disabled in the future (offender: +{})",
                            String::from_utf8_lossy(name)
                        );
                        match self.firstargs.iter_mut().find(|(i, _)| *i == id) {
                            Some((_, args)) => {
                                if !args.iter().any(|a| a.eq_ignore_ascii_case(sub)) {
                                    args.push(sub.to_vec());
                                }
                            }
                            None => self.firstargs.push((id, vec![sub.to_vec()])),
                        }
                    }
                }
            }
        } else if kw.first() == Some(&b'-') && kw.get(1) != Some(&b'@') {
            let id = rows.lookup(&kw[1..]).ok_or(RuleError::UnknownCommand)?;
            self.change_perm(rows, id, false);
        } else if (kw.first() == Some(&b'+') || kw.first() == Some(&b'-'))
            && kw.get(1) == Some(&b'@')
        {
            let cat = std::str::from_utf8(&kw[2..])
                .ok()
                .and_then(category_bit)
                .ok_or(RuleError::UnknownCommand)?;
            self.set_category(rows, cat, kw[0] == b'+');
        } else {
            return Err(RuleError::Syntax);
        }
        Ok(())
    }

    /// ACLDescribeSelectorCommandRules: +@all or -@all, then the
    /// categories that best close the gap, then single commands. Redis
    /// walks its command dict (random order) for the single commands; we
    /// walk the table.
    fn describe_commands(&self, rows: &Rows) -> Vec<u8> {
        let mut rules: Vec<u8> = Vec::new();
        let mut fake = Selector::new(rows, false, false);
        let additive = !self.bit(Selector::future_bit(rows));
        if additive {
            rules.extend_from_slice(b"-@all ");
            fake.set_all(false);
        } else {
            rules.extend_from_slice(b"+@all ");
            fake.set_all(true);
        }
        let mut temp = self.clone();
        let mut applied = [false; CATEGORIES.len()];
        loop {
            let mut best = None;
            let (mut mindiff, mut maxsame) = (usize::MAX, 0);
            for (j, _) in CATEGORIES.iter().enumerate() {
                if applied[j] {
                    continue;
                }
                let (on, off) = temp.count_category(rows, 1 << j);
                let (diff, same) = if additive { (off, on) } else { (on, off) };
                if same > diff && (diff < mindiff || (diff == mindiff && same > maxsame)) {
                    best = Some(j);
                    mindiff = diff;
                    maxsame = same;
                }
            }
            let Some(j) = best else { break };
            fake.set_category(rows, 1 << j, additive);
            temp.set_category(rows, 1 << j, !additive);
            rules.extend_from_slice(if additive { b"+@" } else { b"-@" });
            rules.extend_from_slice(CATEGORIES[j].as_bytes());
            rules.push(b' ');
            applied[j] = true;
        }
        for id in 0..rows.len() {
            if rows.parent[id].is_some() {
                continue;
            }
            for row in std::iter::once(id).chain(rows.subs[id].clone()) {
                let userbit = self.bit(row);
                if userbit != fake.bit(row) {
                    rules.push(if userbit { b'+' } else { b'-' });
                    rules.extend_from_slice(rows.names[row].as_bytes());
                    rules.push(b' ');
                    fake.change_perm(rows, row, userbit);
                }
            }
            if !self.bit(id)
                && let Some((_, args)) = self.firstargs.iter().find(|(i, _)| *i == id)
            {
                for a in args {
                    rules.push(b'+');
                    rules.extend_from_slice(rows.names[id].as_bytes());
                    rules.push(b'|');
                    rules.extend_from_slice(a);
                    rules.push(b' ');
                }
            }
        }
        rules.pop();
        rules
    }

    /// ACLDescribeSelector: keys, channels, then commands.
    fn describe(&self, rows: &Rows) -> Vec<u8> {
        let mut out = Vec::new();
        if self.allkeys {
            out.extend_from_slice(b"~* ");
        } else {
            for p in &self.patterns {
                p.describe(&mut out);
                out.push(b' ');
            }
        }
        if self.allchannels {
            out.extend_from_slice(b"&* ");
        } else {
            out.extend_from_slice(b"resetchannels ");
            for ch in &self.channels {
                out.push(b'&');
                out.extend_from_slice(ch);
                out.push(b' ');
            }
        }
        out.extend_from_slice(&self.describe_commands(rows));
        out
    }

    /// GETUSER's "keys" field.
    fn keys_field(&self) -> Vec<u8> {
        if self.allkeys {
            return b"~*".to_vec();
        }
        let mut out = Vec::new();
        for (i, p) in self.patterns.iter().enumerate() {
            if i > 0 {
                out.push(b' ');
            }
            p.describe(&mut out);
        }
        out
    }

    /// GETUSER's "channels" field.
    fn channels_field(&self) -> Vec<u8> {
        if self.allchannels {
            return b"&*".to_vec();
        }
        let mut out = Vec::new();
        for (i, ch) in self.channels.iter().enumerate() {
            if i > 0 {
                out.push(b' ');
            }
            out.push(b'&');
            out.extend_from_slice(ch);
        }
        out
    }

    fn check_key(&self, key: &[u8], need: u8) -> bool {
        self.allkeys
            || self
                .patterns
                .iter()
                .any(|p| p.perm & need == need && string_match(&p.pattern, key, false))
    }

    /// ACLSelectorCheckCmd. `keys` caches the command's keys across
    /// selectors. Err carries the reason and the offending argument.
    fn check_cmd(
        &self,
        rows: &Rows,
        id: usize,
        spec: &'static CommandSpec,
        argv: &[Vec<u8>],
        keys: &mut Option<Vec<(usize, &'static str)>>,
    ) -> Result<(), (Denied, usize)> {
        if !self.allcommands && !rows.no_auth[id] && !self.bit(id) {
            let allowed = argv.len() >= 2
                && self
                    .firstargs
                    .iter()
                    .find(|(i, _)| *i == id)
                    .is_some_and(|(_, args)| {
                        args.iter()
                            .any(|a| a.eq_ignore_ascii_case(c_bytes(&argv[1])))
                    });
            if !allowed {
                return Err((Denied::Cmd, 0));
            }
        }
        if !self.allkeys && !spec.key_specs.is_empty() {
            let keys = keys.get_or_insert_with(|| command_keys(spec, argv));
            for &(pos, flags) in keys.iter() {
                if !self.check_key(&argv[pos], key_perm_needed(flags)) {
                    return Err((Denied::Key, pos));
                }
            }
        }
        if !self.allchannels {
            for (pos, is_pattern) in command_channels(rows.names[id], argv) {
                if !channel_allowed(&self.channels, &argv[pos], is_pattern) {
                    return Err((Denied::Channel, pos));
                }
            }
        }
        Ok(())
    }

    /// ACLSelectorHasUnrestrictedKeyAccess for read access.
    fn has_unrestricted_read(&self) -> bool {
        self.allkeys
            || self
                .patterns
                .iter()
                .any(|p| p.perm & PERM_READ != 0 && p.pattern == b"*")
    }
}

/// The keys a command names, with their key-spec flags (as COMMAND
/// GETKEYSANDFLAGS finds them; none when a key count is impossible).
/// A key count that is no integer is read as C's atoi reads it ("1x",
/// " 1"), since Redis then falls back to the command's own key finder,
/// which does.
fn command_keys(spec: &'static CommandSpec, argv: &[Vec<u8>]) -> Vec<(usize, &'static str)> {
    use crate::commands::{key_positions_and_flags, keynum_counts_valid};
    if keynum_counts_valid(spec, argv) {
        return key_positions_and_flags(spec, argv);
    }
    match atoi_keynums(spec, argv) {
        Some(fixed) if keynum_counts_valid(spec, &fixed) => key_positions_and_flags(spec, &fixed),
        _ => Vec::new(),
    }
}

/// `argv` with each key count that string2ll refuses rewritten as atoi
/// reads it; None when there is none such.
fn atoi_keynums(spec: &CommandSpec, argv: &[Vec<u8>]) -> Option<Vec<Vec<u8>>> {
    use crate::commands::{BeginSearch, FindKeys};
    let mut fixed: Option<Vec<Vec<u8>>> = None;
    for ks in spec.key_specs {
        if let (BeginSearch::Index(start), FindKeys::Keynum(numidx, _, _)) = (&ks.begin, &ks.find) {
            let i = (*start + *numidx) as usize;
            if let Some(a) = argv.get(i)
                && crate::util::num::string2ll(a).is_none()
            {
                let v = fixed.get_or_insert_with(|| argv.to_vec());
                v[i] = atoi(a).to_string().into_bytes();
            }
        }
    }
    fixed
}

/// C's atoi: leading white space, a sign, digits up to the first other
/// byte; 0 when there are none (saturating instead of undefined).
fn atoi(b: &[u8]) -> i64 {
    let mut it = b
        .iter()
        .skip_while(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r'))
        .peekable();
    let neg = match it.peek() {
        Some(b'-') => {
            it.next();
            true
        }
        Some(b'+') => {
            it.next();
            false
        }
        _ => false,
    };
    let mut n: i64 = 0;
    for c in it.take_while(|c| c.is_ascii_digit()) {
        n = n.saturating_mul(10).saturating_add((c - b'0') as i64);
    }
    let n = n.min(i32::MAX as i64);
    if neg { -n } else { n }
}

/// The permission a key spec's flags need: read for access, write for
/// insert, delete or update.
fn key_perm_needed(flags: &str) -> u8 {
    flags.split(' ').fold(0, |m, f| {
        m | match f {
            "access" => PERM_READ,
            "insert" | "delete" | "update" => PERM_WRITE,
            _ => 0,
        }
    })
}

/// Channels a command subscribes or publishes to (Redis's
/// getChannelsFromCommand, less the unsubscribes, which are never
/// checked): (argument position, is a pattern).
fn command_channels(name: &str, argv: &[Vec<u8>]) -> Vec<(usize, bool)> {
    match name {
        "subscribe" | "ssubscribe" => (1..argv.len()).map(|i| (i, false)).collect(),
        "psubscribe" => (1..argv.len()).map(|i| (i, true)).collect(),
        "publish" | "spublish" if argv.len() > 1 => vec![(1, false)],
        _ => Vec::new(),
    }
}

/// A channel against a list: a channel may match a pattern of the list; a
/// pattern (PSUBSCRIBE's) only an identical entry.
fn channel_allowed(list: &[Vec<u8>], channel: &[u8], is_pattern: bool) -> bool {
    list.iter().any(|p| {
        if is_pattern {
            p == channel
        } else {
            string_match(p, channel, false)
        }
    })
}

/// Spaces or NULs are not allowed in usernames and patterns.
pub fn has_spaces(s: &[u8]) -> bool {
    s.iter()
        .any(|&b| matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r' | 0))
}

fn is_valid_hash(h: &[u8]) -> bool {
    h.len() == 64 && h.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A user: flags, password hashes, selectors (the root one first).
#[derive(Clone)]
pub struct User {
    pub name: Vec<u8>,
    pub enabled: bool,
    pub nopass: bool,
    /// Some(true) sanitize-payload, Some(false) skip-sanitize-payload.
    sanitize: Option<bool>,
    passwords: Vec<String>,
    selectors: Vec<Selector>,
    /// One selector allowing everything: no check needed.
    unrestricted: bool,
}

impl User {
    fn new(rows: &Rows, name: &[u8], pubsub_all: bool) -> User {
        User {
            name: name.to_vec(),
            enabled: false,
            nopass: false,
            sanitize: None,
            passwords: Vec::new(),
            selectors: vec![Selector::new(rows, true, pubsub_all)],
            unrestricted: false,
        }
    }

    fn refresh(&mut self) {
        self.unrestricted = self.selectors.len() == 1
            && self
                .selectors
                .first()
                .is_some_and(|s| s.allcommands && s.allkeys && s.allchannels);
    }

    /// ACLSetUser: one rule.
    fn apply(&mut self, rows: &Rows, op: &[u8], pubsub_all: bool) -> Result<(), RuleError> {
        let r = self.apply_inner(rows, op, pubsub_all);
        self.refresh();
        r
    }

    fn apply_inner(&mut self, rows: &Rows, op: &[u8], pubsub_all: bool) -> Result<(), RuleError> {
        let kw = c_bytes(op);
        let is = |s: &str| kw.eq_ignore_ascii_case(s.as_bytes());
        if op.is_empty() {
            return Ok(());
        }
        if is("on") {
            self.enabled = true;
        } else if is("off") {
            self.enabled = false;
        } else if is("skip-sanitize-payload") {
            self.sanitize = Some(false);
        } else if is("sanitize-payload") {
            self.sanitize = Some(true);
        } else if is("nopass") {
            self.nopass = true;
            self.passwords.clear();
        } else if is("resetpass") {
            self.nopass = false;
            self.passwords.clear();
        } else if op[0] == b'>' || op[0] == b'#' {
            let hash = if op[0] == b'>' {
                crate::util::sha256::sha256_hex(&op[1..])
            } else {
                if !is_valid_hash(&op[1..]) {
                    return Err(RuleError::BadHash);
                }
                String::from_utf8_lossy(&op[1..]).into_owned()
            };
            if !self.passwords.contains(&hash) {
                self.passwords.push(hash);
            }
            self.nopass = false;
        } else if op[0] == b'<' || op[0] == b'!' {
            let hash = if op[0] == b'<' {
                crate::util::sha256::sha256_hex(&op[1..])
            } else {
                if !is_valid_hash(&op[1..]) {
                    return Err(RuleError::BadHash);
                }
                String::from_utf8_lossy(&op[1..]).into_owned()
            };
            match self.passwords.iter().position(|p| *p == hash) {
                Some(i) => {
                    self.passwords.remove(i);
                }
                None => return Err(RuleError::NoSuchPassword),
            }
        } else if op[0] == b'(' && op.last() == Some(&b')') {
            let inner = &op[1..op.len() - 1];
            let args = crate::resp::parse::split_args(inner).unwrap_or_default();
            let mut sel = Selector::new(rows, false, pubsub_all);
            for a in &args {
                sel.apply(rows, a)?;
            }
            self.selectors.push(sel);
        } else if is("clearselectors") {
            self.selectors.truncate(1);
        } else if is("reset") {
            self.nopass = false;
            self.passwords.clear();
            self.selectors.truncate(1);
            let root = &mut self.selectors[0];
            root.allkeys = false;
            root.patterns.clear();
            root.allchannels = pubsub_all;
            root.channels.clear();
            root.set_all(false);
            self.enabled = false;
            self.sanitize = Some(true);
        } else {
            self.selectors[0].apply(rows, op)?;
        }
        Ok(())
    }

    /// ACLDescribeUser: flags, password hashes, root rules, (selectors).
    fn describe(&self, rows: &Rows) -> Vec<u8> {
        let mut out = Vec::new();
        for f in self.flag_names() {
            out.extend_from_slice(f.as_bytes());
            out.push(b' ');
        }
        for p in &self.passwords {
            out.push(b'#');
            out.extend_from_slice(p.as_bytes());
            out.push(b' ');
        }
        for sel in &self.selectors {
            if sel.root {
                out.extend_from_slice(&sel.describe(rows));
            } else {
                out.extend_from_slice(b" (");
                out.extend_from_slice(&sel.describe(rows));
                out.push(b')');
            }
        }
        out
    }

    /// The user's flags in Redis's order.
    pub fn flag_names(&self) -> Vec<&'static str> {
        let mut f = vec![if self.enabled { "on" } else { "off" }];
        if self.nopass {
            f.push("nopass");
        }
        match self.sanitize {
            Some(false) => f.push("skip-sanitize-payload"),
            Some(true) => f.push("sanitize-payload"),
            None => {}
        }
        f
    }

    fn password_matches(&self, pass: &[u8]) -> bool {
        let hash = crate::util::sha256::sha256_hex(pass);
        // Compare every hash in full (time independent, as Redis).
        self.passwords.iter().fold(false, |ok, p| {
            let diff = p
                .bytes()
                .zip(hash.bytes())
                .fold(0u8, |d, (a, b)| d | (a ^ b));
            ok | (diff == 0)
        })
    }
}

/// Every user, the ACL log and the command facts the rules need.
#[derive(Clone)]
pub struct Acl {
    /// Shared: a scratch Acl (a fuzz input, a validation) costs no copy.
    rows: std::sync::Arc<Rows>,
    /// Users by slot; clients hold the slot. Slot 0 is `default`.
    users: Vec<Option<User>>,
    by_name: BTreeMap<Vec<u8>, usize>,
    pub log: VecDeque<LogEntry>,
    /// acl-pubsub-default is allchannels (new selectors get &*).
    pub pubsub_all: bool,
}

impl Acl {
    pub fn new(table: &CommandTable) -> Acl {
        let rows = std::sync::Arc::new(Rows::new(table));
        let mut acl = Acl {
            rows,
            users: Vec::new(),
            by_name: BTreeMap::new(),
            log: VecDeque::new(),
            pubsub_all: false,
        };
        let default = acl.default_user_template();
        acl.users.push(Some(default));
        acl.by_name.insert(b"default".to_vec(), DEFAULT_USER);
        acl
    }

    /// ACLCreateDefaultUser: +@all ~* &* on nopass.
    fn default_user_template(&self) -> User {
        let mut u = User::new(&self.rows, b"default", self.pubsub_all);
        for op in ["+@all", "~*", "&*", "on", "nopass"] {
            let _ = u.apply(&self.rows, op.as_bytes(), self.pubsub_all);
        }
        u
    }

    pub fn user(&self, id: usize) -> Option<&User> {
        self.users.get(id).and_then(|u| u.as_ref())
    }

    /// Can this user never be refused (one selector allowing all)?
    pub fn is_unrestricted(&self, id: usize) -> bool {
        self.user(id).is_none_or(|u| u.unrestricted)
    }

    pub fn user_id(&self, name: &[u8]) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    /// A client's user name (CLIENT LIST's user=).
    pub fn user_name(&self, id: usize) -> &[u8] {
        match self.user(id) {
            Some(u) => &u.name,
            None => b"(superuser)",
        }
    }

    /// authRequired: the default user needs a password (or is off).
    pub fn default_requires_auth(&self) -> bool {
        self.user(DEFAULT_USER)
            .is_some_and(|u| !u.nopass || !u.enabled)
    }

    /// A new connection starts authenticated when the default user needs
    /// no password.
    pub fn new_client_authenticated(&self) -> bool {
        !self.default_requires_auth()
    }

    /// requirepass: the default user's one password, or nopass.
    pub fn set_default_password(&mut self, pass: &str) {
        let pubsub_all = self.pubsub_all;
        if let Some(Some(u)) = self.users.get_mut(DEFAULT_USER) {
            let _ = u.apply(&self.rows, b"resetpass", pubsub_all);
            if pass.is_empty() {
                let _ = u.apply(&self.rows, b"nopass", pubsub_all);
            } else {
                let op = [b">".as_slice(), pass.as_bytes()].concat();
                let _ = u.apply(&self.rows, &op, pubsub_all);
            }
        }
    }

    /// ACLCheckUserCredentials: the user id on success.
    pub fn check_credentials(&self, name: &[u8], pass: &[u8]) -> Option<usize> {
        let id = self.user_id(name)?;
        let u = self.user(id)?;
        if !u.enabled {
            return None;
        }
        if u.nopass || u.password_matches(pass) {
            Some(id)
        } else {
            None
        }
    }

    /// ACLCheckAllUserCommandPerm: may `user` run this command line?
    pub fn check(
        &self,
        table: &CommandTable,
        user: usize,
        spec: &'static CommandSpec,
        argv: &[Vec<u8>],
    ) -> Result<(), (Denied, usize)> {
        let Some(u) = self.user(user) else {
            return Ok(());
        };
        if u.unrestricted {
            return Ok(());
        }
        let id = table.index_of(spec);
        let mut keys = None;
        let (mut relevant, mut last_idx) = (Denied::Cmd, 0);
        for sel in &u.selectors {
            match sel.check_cmd(&self.rows, id, spec, argv, &mut keys) {
                Ok(()) => return Ok(()),
                Err((r, idx)) => {
                    if r > relevant || (r == relevant && idx > last_idx) {
                        relevant = r;
                        last_idx = idx;
                    }
                }
            }
        }
        Err((relevant, last_idx))
    }

    /// ACLUserCheckCmdWithUnrestrictedKeyAccess for read access (SORT's
    /// BY and GET): some selector allows the command and every key.
    pub fn unrestricted_read(
        &self,
        table: &CommandTable,
        user: usize,
        spec: &'static CommandSpec,
        argv: &[Vec<u8>],
    ) -> bool {
        let Some(u) = self.user(user) else {
            return true;
        };
        let id = table.index_of(spec);
        let mut keys = None;
        u.selectors.iter().any(|s| {
            s.check_cmd(&self.rows, id, spec, argv, &mut keys).is_ok() && s.has_unrestricted_read()
        })
    }

    /// ACL LIST's line for a user (without "user <name> ").
    pub fn describe(&self, id: usize) -> Vec<u8> {
        self.user(id)
            .map(|u| u.describe(&self.rows))
            .unwrap_or_default()
    }

    /// Users in name order: (slot, name).
    pub fn users(&self) -> impl Iterator<Item = (usize, &[u8])> {
        self.by_name.iter().map(|(n, &id)| (id, n.as_slice()))
    }

    /// ACL SETUSER's rules applied to a copy of the user (or a new one):
    /// all or nothing. Returns the user's slot and its state before.
    pub fn set_user(
        &mut self,
        name: &[u8],
        args: &[Vec<u8>],
    ) -> Result<(usize, Option<User>), Vec<u8>> {
        // Error texts carry the rule's bytes as Redis's %s does (up to a
        // NUL), not a lossy copy.
        let merged = merge_selector_args(args).map_err(|i| {
            [
                b"Unmatched parenthesis in acl selector starting at '".as_slice(),
                c_bytes(&args[i]),
                b"'.",
            ]
            .concat()
        })?;
        let existing = self.user_id(name);
        let mut temp = match existing.and_then(|id| self.user(id)) {
            Some(u) => u.clone(),
            None => User::new(&self.rows, name, self.pubsub_all),
        };
        for op in &merged {
            temp.apply(&self.rows, op, self.pubsub_all).map_err(|e| {
                [
                    b"Error in ACL SETUSER modifier '".as_slice(),
                    c_bytes(op),
                    b"': ",
                    e.message().as_bytes(),
                ]
                .concat()
            })?;
        }
        temp.name = name.to_vec();
        match existing {
            Some(id) => {
                let before = self.users[id].replace(temp);
                Ok((id, before))
            }
            None => Ok((self.insert(temp), None)),
        }
    }

    fn insert(&mut self, u: User) -> usize {
        let name = u.name.clone();
        let id = match self.users.iter().position(|s| s.is_none()) {
            Some(i) => {
                self.users[i] = Some(u);
                i
            }
            None => {
                self.users.push(Some(u));
                self.users.len() - 1
            }
        };
        self.by_name.insert(name, id);
        id
    }

    /// ACL DELUSER of one user: its slot, if it existed.
    pub fn delete_user(&mut self, name: &[u8]) -> Option<usize> {
        let id = self.by_name.remove(name)?;
        if let Some(slot) = self.users.get_mut(id) {
            *slot = None;
        }
        Some(id)
    }

    /// Would a pub/sub client of the user, as it was in `before`, lose
    /// channels it holds under the user as it is now? Redis's
    /// ACLKillPubsubClientsIfNeeded: None when nothing can be lost, else
    /// the test to apply to each client's subscriptions.
    pub fn channels_revoked(&self, id: usize, before: &User) -> Option<Vec<Vec<u8>>> {
        let now = self.user(id)?;
        if now.selectors.iter().any(|s| s.allchannels) {
            return None;
        }
        let upcoming: Vec<Vec<u8>> = now
            .selectors
            .iter()
            .flat_map(|s| s.channels.iter().cloned())
            .collect();
        let superset = before
            .selectors
            .iter()
            .all(|s| !s.allchannels && s.channels.iter().all(|c| upcoming.contains(c)));
        if superset { None } else { Some(upcoming) }
    }

    /// Does a subscriber hold a channel or pattern the list no longer
    /// allows?
    pub fn violates(
        upcoming: &[Vec<u8>],
        channels: &[Vec<u8>],
        patterns: &[Vec<u8>],
        shard_channels: &[Vec<u8>],
    ) -> bool {
        patterns.iter().any(|p| !channel_allowed(upcoming, p, true))
            || channels
                .iter()
                .chain(shard_channels)
                .any(|c| !channel_allowed(upcoming, c, false))
    }

    // ---------------------------------------------------------------
    // GETUSER
    // ---------------------------------------------------------------

    /// ACL GETUSER's facts: flags, passwords, then (commands, keys,
    /// channels) of the root selector and of each other selector.
    pub fn getuser(&self, id: usize) -> Option<GetUser> {
        let u = self.user(id)?;
        let sel = |s: &Selector| {
            (
                s.describe_commands(&self.rows),
                s.keys_field(),
                s.channels_field(),
            )
        };
        Some(GetUser {
            flags: u.flag_names(),
            passwords: u.passwords.clone(),
            root: sel(&u.selectors[0]),
            selectors: u.selectors[1..].iter().map(sel).collect(),
        })
    }

    // ---------------------------------------------------------------
    // The ACL log
    // ---------------------------------------------------------------

    /// addACLLogEntry: a like entry of the last 10 within a minute is
    /// bumped and moved to the front instead of a new one.
    #[allow(clippy::too_many_arguments)]
    pub fn log_denial(
        &mut self,
        reason: Denied,
        context: LogContext,
        object: Vec<u8>,
        username: Vec<u8>,
        client_info: Vec<u8>,
        now_ms: i64,
        max_len: usize,
    ) {
        let found = self.log.iter().take(10).position(|e| {
            e.reason == reason
                && e.context == context
                && (e.ctime_ms - now_ms).abs() <= 60_000
                && e.object == object
                && e.username == username
        });
        if let Some(i) = found
            && let Some(mut e) = self.log.remove(i)
        {
            e.client_info = client_info;
            e.ctime_ms = now_ms;
            e.count += 1;
            self.log.push_front(e);
            return;
        }
        self.log.push_front(LogEntry {
            count: 1,
            reason,
            context,
            object,
            username,
            ctime_ms: now_ms,
            client_info,
        });
        self.log.truncate(max_len);
    }

    pub fn log_reason_name(e: &LogEntry) -> &'static str {
        e.reason.reason()
    }

    pub fn log_context_name(e: &LogEntry) -> &'static str {
        e.context.name()
    }

    // ---------------------------------------------------------------
    // Loading and saving
    // ---------------------------------------------------------------

    /// ACLAppendUserForLoading's check of a `user` line of the config:
    /// rules that would fail (other than unknown commands) are refused.
    pub fn validate_user_line(&self, args: &[Vec<u8>]) -> Result<(), String> {
        let merged = merge_selector_args(args)
            .map_err(|_| "Unmatched parenthesis in acl selector".to_string())?;
        let mut fake = User::new(&self.rows, b"__fakeuser__", self.pubsub_all);
        for op in &merged {
            if let Err(e) = fake.apply(&self.rows, op, self.pubsub_all)
                && e != RuleError::UnknownCommand
            {
                return Err(e.message().to_string());
            }
        }
        Ok(())
    }

    /// ACLLoadConfiguredUsers: the config file's `user` lines, in order.
    pub fn load_configured_users(&mut self, lines: &[Vec<Vec<u8>>]) -> Result<(), String> {
        for line in lines {
            let Some((name, rules)) = line.split_first() else {
                continue;
            };
            if has_spaces(name) {
                return Err("Spaces not allowed in ACL usernames".to_string());
            }
            let merged = merge_selector_args(rules)
                .map_err(|_| "Unmatched parenthesis in acl selector".to_string())?;
            let mut u = match self.user_id(name) {
                Some(DEFAULT_USER) => {
                    let mut d = self.users[DEFAULT_USER]
                        .take()
                        .unwrap_or_else(|| User::new(&self.rows, b"default", self.pubsub_all));
                    let _ = d.apply(&self.rows, b"reset", self.pubsub_all);
                    d
                }
                Some(_) => return Err(format!("Duplicate user '{}'", c_str(name))),
                None => User::new(&self.rows, name, self.pubsub_all),
            };
            for op in &merged {
                if let Err(e) = u.apply(&self.rows, op, self.pubsub_all) {
                    let msg = format!(
                        "Error loading ACL rule '{}' for the user named '{}': {}",
                        c_str(op),
                        c_str(name),
                        e.message()
                    );
                    if name == b"default" {
                        self.users[DEFAULT_USER] = Some(u);
                    }
                    return Err(msg);
                }
            }
            if !u.enabled {
                log::info!(
                    "The user '{}' is disabled (there is no 'on' modifier in the user description). Make sure this is not a configuration error.",
                    c_str(name)
                );
            }
            if name == b"default" {
                self.users[DEFAULT_USER] = Some(u);
            } else {
                self.insert(u);
            }
        }
        Ok(())
    }

    /// ACLLoadFromFile: every line valid, or nothing changes. On success
    /// returns the slots of the users that were replaced (their clients
    /// must go, as in Redis: every user but default is new).
    pub fn load_file_text(&mut self, text: &[u8], filename: &str) -> Result<Vec<usize>, String> {
        let mut errors = String::new();
        let mut users: Vec<User> = Vec::new();
        // Bytes, as Redis reads it: names and patterns need not be UTF-8.
        for (i, raw) in text.split(|&b| b == b'\n').enumerate() {
            let linenum = i + 1;
            let line = trim_bytes(raw, b" \t\r\n");
            if line.is_empty() {
                continue;
            }
            let argv: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
            if argv.iter().all(|a| a.is_empty()) {
                continue;
            }
            if argv[0] != b"user" || argv.len() < 2 {
                errors.push_str(&format!(
                    "{filename}:{linenum} should start with user keyword followed by the username. "
                ));
                continue;
            }
            let name = argv[1];
            if has_spaces(name) {
                errors.push_str(&format!(
                    "'{filename}:{linenum}: username '{}' contains invalid characters. ",
                    c_str(name)
                ));
                continue;
            }
            if users.iter().any(|u| u.name == name) {
                errors.push_str(&format!(
                    "WARNING: Duplicate user '{}' found on line {linenum}. ",
                    c_str(name)
                ));
                continue;
            }
            let mut u = User::new(&self.rows, name, self.pubsub_all);
            let rules: Vec<Vec<u8>> = argv[2..].iter().map(|a| a.to_vec()).collect();
            let merged = match merge_selector_args(&rules) {
                Ok(m) => m,
                Err(_) => {
                    errors.push_str(&format!(
                        "{filename}:{linenum}: Unmatched parenthesis in selector definition."
                    ));
                    Vec::new()
                }
            };
            let mut syntax_error = false;
            for op in &merged {
                let op: Vec<u8> = trim_bytes(op, b"\t\r\n").to_vec();
                if let Err(e) = u.apply(&self.rows, &op, self.pubsub_all) {
                    if e == RuleError::UnknownCommand {
                        errors.push_str(&format!(
                            "{filename}:{linenum}: Error in applying operation '{}': {}. ",
                            c_str(&op),
                            e.message()
                        ));
                    } else if !syntax_error {
                        errors.push_str(&format!("{filename}:{linenum}: {}. ", e.message()));
                        syntax_error = true;
                    }
                }
            }
            users.push(u);
        }
        if !errors.is_empty() {
            errors.push_str(
                "WARNING: ACL errors detected, no change to the previously active ACL rules was performed",
            );
            return Err(errors);
        }
        let new_default = match users.iter().position(|u| u.name == b"default") {
            Some(i) => users.remove(i),
            None => self.default_user_template(),
        };
        let replaced: Vec<usize> = self
            .by_name
            .values()
            .copied()
            .filter(|&id| id != DEFAULT_USER)
            .collect();
        self.users.truncate(1);
        self.users[DEFAULT_USER] = Some(new_default);
        self.by_name.clear();
        self.by_name.insert(b"default".to_vec(), DEFAULT_USER);
        for u in users {
            self.insert(u);
        }
        Ok(replaced)
    }

    /// ACLSaveToFile's text: "user <name> <rules>" per user, by name.
    pub fn file_text(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for (id, name) in self.users() {
            out.extend_from_slice(b"user ");
            out.extend_from_slice(name);
            out.push(b' ');
            out.extend_from_slice(&self.describe(id));
            out.push(b'\n');
        }
        out
    }
}

/// ACL GETUSER's reply, as data.
pub struct GetUser {
    pub flags: Vec<&'static str>,
    pub passwords: Vec<String>,
    /// (commands, keys, channels)
    pub root: (Vec<u8>, Vec<u8>, Vec<u8>),
    pub selectors: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)>,
}

/// ACLMergeSelectorArguments: a selector spread over several arguments
/// ("(+get" "~x)") becomes one; Err(index) for an unclosed one.
fn merge_selector_args(args: &[Vec<u8>]) -> Result<Vec<Vec<u8>>, usize> {
    let mut out = Vec::with_capacity(args.len());
    let mut open: Option<(usize, Vec<u8>)> = None;
    for (j, op) in args.iter().enumerate() {
        // A new opening starts the selector over (as Redis: the check for
        // `(` comes first).
        if op.first() == Some(&b'(') && op.last() != Some(&b')') {
            open = Some((j, op.clone()));
            continue;
        }
        if let Some((_, sel)) = open.as_mut() {
            sel.push(b' ');
            sel.extend_from_slice(op);
            if op.last() == Some(&b')') {
                let (_, sel) = open.take().unwrap_or_default();
                out.push(sel);
            }
            continue;
        }
        out.push(op.clone());
    }
    match open {
        Some((j, _)) => Err(j),
        None => Ok(out),
    }
}

/// Redis formats rule text with %s: it stops at a NUL.
fn c_bytes(b: &[u8]) -> &[u8] {
    b.split(|&x| x == 0).next().unwrap_or_default()
}

fn c_str(b: &[u8]) -> String {
    String::from_utf8_lossy(b.split(|&x| x == 0).next().unwrap_or_default()).into_owned()
}

fn trim_bytes<'a>(b: &'a [u8], set: &[u8]) -> &'a [u8] {
    let start = b.iter().position(|c| !set.contains(c)).unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !set.contains(c))
        .map_or(start, |e| e + 1);
    &b[start..end.max(start)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acl() -> (CommandTable, Acl) {
        let t = CommandTable::new();
        let a = Acl::new(&t);
        (t, a)
    }

    fn set(a: &mut Acl, name: &str, rules: &[&str]) -> Result<(), String> {
        let args: Vec<Vec<u8>> = rules.iter().map(|r| r.as_bytes().to_vec()).collect();
        a.set_user(name.as_bytes(), &args)
            .map(|_| ())
            .map_err(|e| String::from_utf8_lossy(&e).into_owned())
    }

    fn line(a: &Acl, name: &str) -> String {
        let id = a.user_id(name.as_bytes()).unwrap_or(usize::MAX);
        String::from_utf8_lossy(&a.describe(id)).into_owned()
    }

    #[test]
    fn default_and_new_users_describe_as_redis() {
        let (_, mut a) = acl();
        assert_eq!(line(&a, "default"), "on nopass ~* &* +@all");
        set(&mut a, "u1", &[]).unwrap();
        assert_eq!(line(&a, "u1"), "off resetchannels -@all");
        set(
            &mut a,
            "u2",
            &[
                "on",
                ">p1",
                "+@all",
                "-@dangerous",
                "~a*",
                "%R~b*",
                "&ch*",
                "(+get ~x*)",
            ],
        )
        .unwrap();
        assert_eq!(
            line(&a, "u2"),
            "on #f64551fcd6f07823cb87971cfb91446425da18286b3ab1ef935e0cbd7a69f68a ~a* %R~b* resetchannels &ch* +@all -@dangerous (~x* resetchannels -@all +get)"
        );
    }

    #[test]
    fn rule_errors_leave_the_user_unchanged() {
        let (_, mut a) = acl();
        set(&mut a, "u", &["on", "+get"]).unwrap();
        let e = set(&mut a, "u", &["+set", "+nosuch"]).unwrap_err();
        assert_eq!(
            e,
            "Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL"
        );
        assert_eq!(line(&a, "u"), "on resetchannels -@all +get");
        let e = set(&mut a, "u", &["(+get", "~x"]).unwrap_err();
        assert_eq!(
            e,
            "Unmatched parenthesis in acl selector starting at '(+get'."
        );
        assert_eq!(
            set(&mut a, "u", &["+config|get|x"]).unwrap_err(),
            "Error in ACL SETUSER modifier '+config|get|x': Allowing first-arg of a subcommand is not supported"
        );
    }

    #[test]
    fn short_command_lines_never_panic_the_check() {
        // redis.acl_check_cmd checks no arity: every row, any length.
        let (t, mut a) = acl();
        set(&mut a, "k", &["on", "+@all", "~a*", "&c"]).unwrap();
        let id = a.user_id(b"k").unwrap();
        for name in t.names() {
            let mut argv: Vec<Vec<u8>> = name.split('|').map(|p| p.as_bytes().to_vec()).collect();
            for _ in 0..5 {
                if let crate::commands::Lookup::Found(spec) = t.lookup(&argv) {
                    let _ = a.check(&t, id, spec, &argv);
                    let _ = a.unrestricted_read(&t, id, spec, &argv);
                }
                argv.push(b"2".to_vec());
            }
        }
    }

    #[test]
    fn keywords_and_command_names_end_at_a_nul() {
        let (_, mut a) = acl();
        set(&mut a, "z", &["on\0x", "+get\0junk", "~k\0"]).unwrap_err();
        set(&mut a, "z", &["on\0x", "+get\0junk"]).unwrap();
        assert_eq!(line(&a, "z"), "on resetchannels -@all +get");
    }

    #[test]
    fn a_new_opening_parenthesis_restarts_the_selector() {
        let (_, mut a) = acl();
        set(&mut a, "m", &["(+get", "(~x", "+set)"]).unwrap();
        assert_eq!(
            line(&a, "m"),
            "off resetchannels -@all (~x resetchannels -@all +set)"
        );
    }

    #[test]
    fn checks_commands_keys_and_channels() {
        let (t, mut a) = acl();
        set(
            &mut a,
            "u",
            &[
                "on", "nopass", "+get", "+set", "+publish", "%R~r*", "~rw*", "&news",
            ],
        )
        .unwrap();
        let id = a.user_id(b"u").unwrap();
        let argv =
            |s: &str| -> Vec<Vec<u8>> { s.split(' ').map(|x| x.as_bytes().to_vec()).collect() };
        let check = |cmd: &str| {
            let v = argv(cmd);
            let crate::commands::Lookup::Found(spec) = t.lookup(&v) else {
                panic!("{cmd}");
            };
            a.check(&t, id, spec, &v)
        };
        assert!(check("get r1").is_ok());
        assert_eq!(check("set r1 v"), Err((Denied::Key, 1)));
        assert!(check("set rw1 v").is_ok());
        assert_eq!(check("del rw1"), Err((Denied::Cmd, 0)));
        assert!(check("publish news x").is_ok());
        assert_eq!(check("publish sports x"), Err((Denied::Channel, 1)));
        assert_eq!(a.check_credentials(b"u", b"any"), Some(id));
    }
}
