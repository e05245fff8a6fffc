//! The command table, after Redis's commands.c: one `CommandSpec` row per
//! command, declared in the module of its Redis command group and gathered
//! here. `COMMAND`, arity checks and key positions all read these rows.
//!
//! A handler has one shape: `fn(&mut Server, &mut Client) -> CmdResult`.
//! It reads `client.argv`, writes its reply into `client.reply`, and returns
//! `Err(ReplyError)` to answer with an error instead (nothing written yet).

pub mod acl;
pub mod admin;
pub mod args;
pub mod bitops;
pub mod connection;
pub mod debug;
pub mod docs_args;
pub mod geo;
pub mod hashes;
pub mod hyperloglog;
pub mod introspection;
pub mod keys;
pub mod lists;
pub mod memory;
pub mod migrate;
pub mod pubsub;
pub mod replication;
pub mod scripting;
pub mod sets;
pub mod sort;
pub mod sorted_sets;
pub mod streams;
pub mod strings;
pub mod table;
pub mod transactions;

use crate::client::Client;
use crate::server::Server;
use crate::util::hash::FastMap;
use std::borrow::Cow;

/// An error reply: Redis's full text without the leading `-`.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplyError(pub Cow<'static, [u8]>);

impl ReplyError {
    pub const fn new(s: &'static str) -> ReplyError {
        ReplyError(Cow::Borrowed(s.as_bytes()))
    }
    pub fn owned(s: String) -> ReplyError {
        ReplyError(Cow::Owned(s.into_bytes()))
    }
    pub fn bytes(b: Vec<u8>) -> ReplyError {
        ReplyError(Cow::Owned(b))
    }
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

pub type CmdResult = Result<(), ReplyError>;
pub type Handler = fn(&mut Server, &mut Client) -> CmdResult;

// Redis's shared error replies (server.c createSharedObjects).
pub const SYNTAX_ERR: ReplyError = ReplyError::new("ERR syntax error");
pub const WRONGTYPE_ERR: ReplyError =
    ReplyError::new("WRONGTYPE Operation against a key holding the wrong kind of value");
pub const NOT_INTEGER_ERR: ReplyError =
    ReplyError::new("ERR value is not an integer or out of range");
pub const NOT_FLOAT_ERR: ReplyError = ReplyError::new("ERR value is not a valid float");
pub const NO_SUCH_KEY_ERR: ReplyError = ReplyError::new("ERR no such key");
pub const OUT_OF_RANGE_ERR: ReplyError = ReplyError::new("ERR index out of range");
pub const DB_INDEX_ERR: ReplyError = ReplyError::new("ERR DB index is out of range");
pub const OVERFLOW_ERR: ReplyError = ReplyError::new("ERR increment or decrement would overflow");

/// Where COMMAND GETKEYS and clients find keys (Redis 7 key specs).
pub struct KeySpec {
    pub notes: &'static str,
    pub flags: &'static str,
    pub begin: BeginSearch,
    pub find: FindKeys,
}

pub enum BeginSearch {
    Index(i32),
    /// Keys no spec can find (SORT's BY/GET and STORE): the command's own
    /// key-finding code knows them (Redis's getkeys_proc).
    Unknown,
    /// keyword, startfrom
    Keyword(&'static str, i32),
}

pub enum FindKeys {
    Unknown,
    /// lastkey, keystep, limit
    Range(i32, i32, i32),
    /// keynumidx, firstkey, keystep
    Keynum(i32, i32, i32),
}

/// One argument of a command as COMMAND DOCS describes it (generated
/// from redis-server 7.0.15 into docs_args.rs; redis-cli's hints read it).
pub struct DocArg {
    /// Map fields in Redis's order (name, type, token, flags, ...).
    pub fields: &'static [(&'static str, DocVal)],
    /// Nested arguments of a oneof/block argument.
    pub args: &'static [DocArg],
}

pub enum DocVal {
    Str(&'static str),
    Int(i64),
    /// Flags, sent as simple strings.
    Flags(&'static [&'static str]),
}

/// The documented arguments of a command by full name ("config|get").
pub fn doc_args(full_name: &str) -> &'static [DocArg] {
    docs_args::DOC_ARGS
        .iter()
        .find(|(n, _)| *n == full_name)
        .map(|(_, a)| *a)
        .unwrap_or(&[])
}

/// One row of the command table.
pub struct CommandSpec {
    pub name: &'static str,
    /// Redis's convention: N exact, -N at least N (the name counts).
    pub arity: i32,
    pub flags: &'static str,
    pub acl: &'static str,
    pub tips: &'static str,
    pub first_key: i32,
    pub last_key: i32,
    pub key_step: i32,
    pub key_specs: &'static [KeySpec],
    pub group: &'static str,
    pub since: &'static str,
    pub complexity: &'static str,
    pub summary: &'static str,
    pub handler: Handler,
    pub subcommands: &'static [CommandSpec],
}

impl CommandSpec {
    pub fn has_flag(&self, flag: &str) -> bool {
        self.flags.split(' ').any(|f| f == flag)
    }
    pub fn is_write(&self) -> bool {
        self.has_flag("write")
    }
    pub fn arity_ok(&self, argc: usize) -> bool {
        let a = self.arity;
        (a > 0 && argc == a as usize) || (a < 0 && argc >= (-a) as usize)
    }
}

/// Flags the hot paths test, as bits (CommandTable::flag_bits).
pub mod flag {
    pub const WRITE: u32 = 1;
    pub const MAY_REPLICATE: u32 = 2;
    pub const NOSCRIPT: u32 = 4;
    pub const DENYOOM: u32 = 8;
    pub const READONLY: u32 = 16;
    pub const FAST: u32 = 32;
    pub const STALE: u32 = 64;

    /// The commands Redis 7.0.15 flags MAY_REPLICATE (its
    /// src/commands/*.json). COMMAND INFO does not show that flag, so the
    /// generated table, read from COMMAND INFO, cannot carry it.
    const MAY_REPLICATE_COMMANDS: [&str; 6] =
        ["eval", "evalsha", "fcall", "pfcount", "publish", "spublish"];

    pub fn bits(spec: &super::CommandSpec) -> u32 {
        let may_replicate = if MAY_REPLICATE_COMMANDS.contains(&spec.name) {
            MAY_REPLICATE
        } else {
            0
        };
        may_replicate
            | spec.flags.split(' ').fold(0, |b, f| {
                b | match f {
                    "write" => WRITE,
                    "may_replicate" => MAY_REPLICATE,
                    "noscript" => NOSCRIPT,
                    "denyoom" => DENYOOM,
                    "readonly" => READONLY,
                    "fast" => FAST,
                    "stale" => STALE,
                    _ => 0,
                }
            })
    }
}

/// The handler a container row (CONFIG, CLIENT, ...) carries; never called
/// for a known subcommand, and dispatch answers unknown ones itself.
pub fn container_command(_: &mut Server, c: &mut Client) -> CmdResult {
    Err(ReplyError::owned(format!(
        "ERR unknown subcommand '{}'. Try {} HELP.",
        String::from_utf8_lossy(c.argv.get(1).map(|a| &a[..]).unwrap_or(b"")),
        String::from_utf8_lossy(&c.argv[0]).to_uppercase()
    )))
}

/// All command families' rows.
pub fn all_tables() -> Vec<&'static [CommandSpec]> {
    vec![
        table::strings::COMMANDS,
        table::keys::COMMANDS,
        table::admin::COMMANDS,
        table::connection::COMMANDS,
        table::lists::COMMANDS,
        table::transactions::COMMANDS,
        table::pubsub::COMMANDS,
        table::hashes::COMMANDS,
        table::sets::COMMANDS,
        table::introspection::COMMANDS,
        table::replication::COMMANDS,
        table::acl::COMMANDS,
        table::sorted_sets::COMMANDS,
        table::scripting::COMMANDS,
        table::streams::COMMANDS,
        table::sort::COMMANDS,
        table::bitops::COMMANDS,
        table::memory::COMMANDS,
        table::geo::COMMANDS,
        table::hyperloglog::COMMANDS,
        table::migrate::COMMANDS,
        table::debug::COMMANDS,
    ]
}

/// Name → row lookup, built once at startup.
pub struct CommandTable {
    by_name: FastMap<Vec<u8>, &'static CommandSpec>,
    /// Dense index of every row (commands and subcommands), keyed by row
    /// address: per-command stats live in a Vec at this index; and the
    /// row's hot flags as bits (see `flag`).
    index: FastMap<usize, (usize, u32)>,
    /// "config|get" style names, by index.
    names: Vec<&'static str>,
}

/// What a lookup found for an argv.
pub enum Lookup {
    Found(&'static CommandSpec),
    UnknownCommand,
    /// argv[0] is a container, argv[1] is none of its subcommands.
    UnknownSubcommand,
}

impl Default for CommandTable {
    fn default() -> Self {
        Self::new()
    }
}

impl CommandTable {
    pub fn new() -> CommandTable {
        let mut by_name = FastMap::default();
        let mut index = FastMap::default();
        let mut names = Vec::new();
        for table in all_tables() {
            for spec in table {
                by_name.insert(spec.name.as_bytes().to_vec(), spec);
                index.insert(spec as *const _ as usize, (names.len(), flag::bits(spec)));
                names.push(spec.name);
                for sub in spec.subcommands {
                    let full: &'static str =
                        Box::leak(format!("{}|{}", spec.name, sub.name).into_boxed_str());
                    index.insert(sub as *const _ as usize, (names.len(), flag::bits(sub)));
                    names.push(full);
                }
            }
        }
        CommandTable {
            by_name,
            index,
            names,
        }
    }

    pub fn get(&self, name: &[u8]) -> Option<&'static CommandSpec> {
        let mut buf = [0u8; 32];
        if name.len() > buf.len() {
            return None;
        }
        let lower = &mut buf[..name.len()];
        lower.copy_from_slice(name);
        lower.make_ascii_lowercase();
        self.by_name.get(&lower[..]).copied()
    }

    /// Resolve argv to a row, descending into subcommands (Redis's
    /// lookupCommand with the container rule).
    pub fn lookup(&self, argv: &[Vec<u8>]) -> Lookup {
        let Some(spec) = argv.first().and_then(|n| self.get(n)) else {
            return Lookup::UnknownCommand;
        };
        if spec.subcommands.is_empty() || argv.len() == 1 {
            return Lookup::Found(spec);
        }
        let sub = &argv[1];
        match spec
            .subcommands
            .iter()
            .find(|s| s.name.as_bytes().eq_ignore_ascii_case(sub))
        {
            Some(s) => Lookup::Found(s),
            None => Lookup::UnknownSubcommand,
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &'static CommandSpec> + '_ {
        self.by_name.values().copied()
    }

    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// The container row a subcommand row belongs to.
    pub fn parent_of(&self, sub: &'static CommandSpec) -> Option<&'static CommandSpec> {
        self.by_name
            .values()
            .copied()
            .find(|p| p.subcommands.iter().any(|s| std::ptr::eq(s, sub)))
    }

    /// "config|get" for a subcommand, "get" for a command.
    pub fn full_name(&self, spec: &'static CommandSpec) -> String {
        self.full_name_static(spec).to_string()
    }

    pub fn full_name_static(&self, spec: &'static CommandSpec) -> &'static str {
        self.names[self.index_of(spec)]
    }

    /// The row's dense index (every row of the table has one).
    pub fn index_of(&self, spec: &'static CommandSpec) -> usize {
        self.index
            .get(&(spec as *const _ as usize))
            .map_or(0, |&(i, _)| i)
    }

    /// A row's hot flags (`flag::WRITE` ...), without parsing its string.
    pub fn flag_bits(&self, spec: &'static CommandSpec) -> u32 {
        match self.index.get(&(spec as *const _ as usize)) {
            Some(&(_, bits)) => bits,
            None => flag::bits(spec),
        }
    }

    /// Every row's full name, by index.
    pub fn names(&self) -> &[&'static str] {
        &self.names
    }
}

/// Key argument positions of a command line, from its key specs (Redis's
/// getKeysUsingKeySpecs): what WATCH invalidation and COMMAND GETKEYS use.
/// Does every numkeys-style key spec of `argv` name at least one key and
/// no more than the arguments hold? (Redis's genericGetKeys sanity check:
/// when it fails, COMMAND GETKEYS finds no keys at all.)
pub fn keynum_counts_valid(spec: &CommandSpec, argv: &[Vec<u8>]) -> bool {
    let argc = argv.len() as i64;
    spec.key_specs.iter().all(|ks| {
        let (BeginSearch::Index(start), FindKeys::Keynum(numidx, first, step)) =
            (&ks.begin, &ks.find)
        else {
            return true;
        };
        let start = *start as i64;
        let Some(n) = argv
            .get((start + *numidx as i64) as usize)
            .and_then(|a| crate::util::num::string2ll(a))
        else {
            return false;
        };
        let first = start + *first as i64;
        n >= 1 && n <= (argc - first) / (*step).max(1) as i64
    })
}

pub fn key_positions(spec: &'static CommandSpec, argv: &[Vec<u8>]) -> Vec<usize> {
    positions(spec, argv, false)
        .into_iter()
        .map(|(i, _)| i)
        .collect()
}

/// Key positions with the flags of the key spec that found each (COMMAND
/// GETKEYSANDFLAGS).
pub fn key_positions_and_flags(
    spec: &'static CommandSpec,
    argv: &[Vec<u8>],
) -> Vec<(usize, &'static str)> {
    positions(spec, argv, false)
}

/// The keys a write may change: those of key specs not flagged `RO` (so
/// not COPY's source or a STORE command's inputs), which is what Redis
/// signals as modified.
pub fn written_key_positions(spec: &'static CommandSpec, argv: &[Vec<u8>]) -> Vec<usize> {
    positions(spec, argv, true)
        .into_iter()
        .map(|(i, _)| i)
        .collect()
}

/// SORT's keys (Redis's sortGetKeys): the sorted key, and the last STORE
/// key with LIMIT/GET/BY arguments skipped, with the flags sortGetKeys
/// gives them.
fn sort_keys(argv: &[Vec<u8>]) -> Vec<(usize, &'static str)> {
    let mut out = vec![(1, "RO access")];
    let mut store = None;
    let mut i = 2;
    while i < argv.len() {
        let a = &argv[i];
        if a.eq_ignore_ascii_case(b"limit") {
            i += 2;
        } else if a.eq_ignore_ascii_case(b"get") || a.eq_ignore_ascii_case(b"by") {
            i += 1;
        } else if a.eq_ignore_ascii_case(b"store") && i + 1 < argv.len() {
            store = Some(i + 1);
        }
        i += 1;
    }
    out.extend(store.map(|p| (p, "OW update")));
    out
}

/// bitfieldGetKeys: read-only when only GET and OVERFLOW appear.
fn bitfield_key_flags(argv: &[Vec<u8>]) -> &'static str {
    let argc = argv.len();
    let mut i = 2;
    while i < argc {
        let remargs = argc - i - 1;
        let a = &argv[i];
        if a.eq_ignore_ascii_case(b"get") && remargs >= 2 {
            i += 2;
        } else if a.eq_ignore_ascii_case(b"overflow") && remargs >= 1 {
            i += 1;
        } else {
            // SET, INCRBY, or a syntax error Redis takes as a write.
            return "RW access update";
        }
        i += 1;
    }
    "RO access"
}

fn positions(
    spec: &'static CommandSpec,
    argv: &[Vec<u8>],
    only_written: bool,
) -> Vec<(usize, &'static str)> {
    let argc = argv.len() as i64;
    if spec.name == "sort" || spec.name == "sort_ro" {
        if argv.len() < 2 {
            return Vec::new();
        }
        let keys = if spec.name == "sort" {
            sort_keys(argv)
        } else {
            vec![(1, "RO access")]
        };
        return keys
            .into_iter()
            .filter(|&(_, f)| !only_written || !f.starts_with("RO"))
            .collect();
    }
    // Key specs with variable flags: Redis asks the command's getkeys
    // proc, whose flags depend on the arguments.
    if spec.name == "set" && argv.len() > 1 {
        let get = argv
            .get(3..)
            .unwrap_or_default()
            .iter()
            .any(|a| a.eq_ignore_ascii_case(b"get"));
        return vec![(1, if get { "RW access update" } else { "OW update" })];
    }
    if spec.name == "bitfield" && argv.len() > 1 {
        return vec![(1, bitfield_key_flags(argv))];
    }
    let mut out = Vec::new();
    for ks in spec.key_specs {
        if only_written && ks.flags.split_whitespace().any(|f| f == "RO") {
            continue;
        }
        let start = match &ks.begin {
            BeginSearch::Unknown => continue,
            BeginSearch::Index(i) => *i as i64,
            BeginSearch::Keyword(kw, from) => {
                let found = if *from >= 0 {
                    (*from as i64..argc)
                        .find(|&i| argv[i as usize].eq_ignore_ascii_case(kw.as_bytes()))
                } else {
                    (1..=(argc + *from as i64).max(0))
                        .rev()
                        .find(|&i| argv[i as usize].eq_ignore_ascii_case(kw.as_bytes()))
                };
                match found {
                    Some(i) => i + 1,
                    None => continue,
                }
            }
        };
        if start <= 0 || start >= argc {
            continue;
        }
        match &ks.find {
            FindKeys::Unknown => {}
            FindKeys::Range(last, step, limit) => {
                let step = (*step).max(1) as i64;
                let end = if *last >= 0 {
                    start + *last as i64
                } else if *limit > 1 {
                    start + (argc - start) / *limit as i64 - 1
                } else {
                    argc + *last as i64
                };
                let mut i = start;
                while i <= end.min(argc - 1) {
                    out.push((i as usize, ks.flags));
                    i += step;
                }
            }
            FindKeys::Keynum(numidx, first, step) => {
                let idx = start + *numidx as i64;
                let Some(n) = argv
                    .get(idx as usize)
                    .and_then(|a| crate::util::num::string2ll(a))
                else {
                    continue;
                };
                let step = (*step).max(1) as i64;
                let first = start + *first as i64;
                for j in 0..n.max(0) {
                    let i = first + j * step;
                    if i >= argc {
                        break;
                    }
                    out.push((i as usize, ks.flags));
                }
            }
        }
    }
    out
}
