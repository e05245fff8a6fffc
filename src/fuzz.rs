//! The bodies of the fuzz targets: what cargo-fuzz runs (fuzz/, `make
//! fuzz`, libFuzzer on nightly) and what the property tests run on stable
//! inside `make test` (tests/fuzz_props.rs). Each takes arbitrary bytes and
//! must neither panic nor allocate what the bytes merely claim; where a
//! property can be checked (a request split anywhere parses the same; a
//! user's described rules rebuild the same user), it is asserted.

use crate::acl::Acl;
use crate::commands::CommandTable;
use crate::resp::parse::{Parsed, QueryBuf};
use crate::server::Server;

/// What the parser made of an input: the commands, then the error.
type Parse = (Vec<Vec<Vec<u8>>>, Option<String>);

fn parse_chunks(chunks: &[&[u8]]) -> Parse {
    let mut q = QueryBuf::default();
    let mut cmds = Vec::new();
    for chunk in chunks {
        q.buf.extend_from_slice(chunk);
        loop {
            match q.parse(512 * 1024 * 1024) {
                Parsed::Incomplete => break,
                Parsed::Command => {
                    if !q.argv.is_empty() {
                        cmds.push(std::mem::take(&mut q.argv));
                    }
                }
                Parsed::Error(e) => return (cmds, Some(e)),
            }
        }
        q.compact();
    }
    (cmds, None)
}

/// RESP requests (multibulk and inline mixed, as a socket delivers them):
/// split at a point the first byte chooses, they parse as they do whole.
pub fn resp(data: &[u8]) {
    let Some((&first, input)) = data.split_first() else {
        return;
    };
    let at = if input.is_empty() {
        0
    } else {
        first as usize % (input.len() + 1)
    };
    let whole = parse_chunks(&[input]);
    let split = parse_chunks(&[&input[..at], &input[at..]]);
    assert_eq!(whole, split, "a request split at {at} parsed differently");
}

/// Inline requests and config lines (Redis's sdssplitargs): one line, as
/// a request and as a config directive.
pub fn inline(data: &[u8]) {
    let mut line = data.to_vec();
    if line.first() == Some(&b'*') {
        line[0] = b' ';
    }
    let _ = parse_chunks(&[&line]);
    let _ = crate::resp::parse::split_args(&line);
    let mut config = crate::config::Config::default();
    let _ = config.load_text(&String::from_utf8_lossy(data));
}

thread_local! {
    static SERVER: std::cell::RefCell<Option<Server>> = const { std::cell::RefCell::new(None) };
    static ACL: std::cell::RefCell<Option<Acl>> = const { std::cell::RefCell::new(None) };
}

/// One server per thread for the loaders (building one per input would
/// cost more than the load), emptied after each input.
fn with_server(f: impl FnOnce(&mut Server)) {
    SERVER.with(|cell| {
        let mut slot = cell.borrow_mut();
        let server = slot.get_or_insert_with(|| Server::new(crate::config::Config::default()));
        f(server);
        server.flush_all();
    });
}

/// An RDB file, loaded into the keyspace as at startup.
pub fn rdb(data: &[u8]) {
    with_server(|s| {
        let _ = s.rdb_load_preamble(&mut std::io::Cursor::new(data));
    });
}

/// An AOF (with or without an RDB preamble), replayed as at startup.
pub fn aof(data: &[u8]) {
    with_server(|s| {
        let _ = crate::aof::load::replay_bytes(s, data);
    });
}

/// ACL rules: ACL SETUSER's arguments (split at spaces), an ACL file and
/// a `user` config line. A user that was set describes itself in rules
/// that rebuild the same description (split at spaces, as ACL LOAD reads
/// a line; inputs with quotes are left out, since a selector's inside is
/// split the quoting way).
pub fn acl_rules(data: &[u8]) {
    ACL.with(|cell| {
        let mut slot = cell.borrow_mut();
        // Each input starts from a fresh copy (the command facts shared).
        let mut acl = slot
            .get_or_insert_with(|| Acl::new(&CommandTable::new()))
            .clone();
        let rules: Vec<Vec<u8>> = data.split(|&b| b == b' ').map(<[u8]>::to_vec).collect();
        let _ = acl.validate_user_line(&rules);
        if acl.set_user(b"fuzz", &rules).is_ok()
            && let Some(id) = acl.user_id(b"fuzz")
        {
            let described = acl.describe(id);
            let _ = acl.getuser(id);
            // Also left out: a `*` pattern given as %RW~* (a pattern, not
            // allkeys) describes as ~*, which reads back as allkeys; Redis
            // 7.0 does the same.
            let star_pattern = data.windows(2).any(|w| w == b"~*");
            // And a pattern with a `)` of its own inside a selector
            // (described, it ends the selector early; so in Redis).
            let odd_paren = rules.iter().any(|t| {
                let n = t.iter().filter(|&&b| b == b')').count();
                n > 1 || (n == 1 && t.last() != Some(&b')'))
            });
            if !star_pattern
                && !odd_paren
                && !data.iter().any(|b| matches!(b, b'"' | b'\'' | b'\\'))
            {
                let again: Vec<Vec<u8>> = described
                    .split(|&b| b == b' ')
                    .map(<[u8]>::to_vec)
                    .collect();
                acl.set_user(b"fuzz2", &again).unwrap_or_else(|e| {
                    panic!(
                        "described rules {:?} refused: {}",
                        String::from_utf8_lossy(&described),
                        String::from_utf8_lossy(&e)
                    )
                });
                let id2 = acl.user_id(b"fuzz2").unwrap_or(usize::MAX);
                assert_eq!(
                    String::from_utf8_lossy(&described),
                    String::from_utf8_lossy(&acl.describe(id2)),
                    "rules {:?}",
                    String::from_utf8_lossy(data)
                );
            }
        }
        let _ = acl.load_file_text(data, "fuzz.acl");
    });
}
