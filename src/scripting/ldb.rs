//! The Lua debugger (Redis's LDB, in eval.c): `SCRIPT DEBUG YES|SYNC`,
//! then an EVAL whose script stops at each line for the debugging client,
//! as `redis-cli --ldb` drives it.
//!
//! As in Redis, the session talks to the client's socket directly, in
//! blocking mode, from inside the script's line hook: the debugger's
//! commands are read and its logs written there, without going back to
//! the loop. The hook, the REPL and the commands that look at Lua values
//! are Lua (ldb.lua, compiled by prelude.lua, which holds the debug
//! library, on a session's first EVAL); this file keeps
//! the session's state, the socket I/O, the log and the rendering of
//! Redis replies the debugger shows.
//!
//! SYNC blocks the server for the session and keeps the script's changes,
//! as Redis. YES in Redis forks a child that runs the session while the
//! parent serves others, and the child's changes vanish with it; without
//! fork, the session here runs on the loop like SYNC, on the live dataset,
//! and the dataset is put back afterwards from a copy-on-write snapshot
//! taken before it (nothing the script did is propagated or kept).

use std::io::{Read, Write};
use std::mem::ManuallyDrop;
use std::os::fd::{FromRawFd, RawFd};

/// Redis's LDB_MAX_LEN_DEFAULT: replies and values in the log are cut here.
pub const MAX_LEN_DEFAULT: usize = 256;

/// The debugging session (Redis's `ldb` struct).
pub struct Ldb {
    /// A session is running (an EVAL under the debugger).
    pub active: bool,
    /// Stop at the next line; also what makes redis.call log.
    pub step: bool,
    /// A YES session: this process is the forked child running it.
    pub forked: bool,
    /// The forked sessions' children (Redis's ldb.children), reaped by the
    /// cron, killed at shutdown.
    pub children: Vec<i32>,
    /// Log entries longer than this are cut (0: never).
    pub maxlen: usize,
    pub maxlen_hint_sent: bool,
    logs: Vec<Vec<u8>>,
    /// The debugging client's unparsed input.
    cbuf: Vec<u8>,
    /// The debugging client's socket while a session runs.
    fd: Option<RawFd>,
    /// The script's source, one entry per line.
    pub src: Vec<Vec<u8>>,
}

impl Default for Ldb {
    fn default() -> Self {
        Ldb {
            active: false,
            step: false,
            forked: false,
            children: Vec::new(),
            maxlen: MAX_LEN_DEFAULT,
            maxlen_hint_sent: false,
            logs: Vec::new(),
            cbuf: Vec::new(),
            fd: None,
            src: Vec::new(),
        }
    }
}

impl Ldb {
    /// From the cron: forget the children that exited.
    pub fn reap_children(&mut self) {
        self.children.retain(|&pid| !crate::util::fork::reaped(pid));
    }

    /// ldbKillForkedSessions (shutdown): kill every forked session.
    pub fn kill_forked_sessions(&mut self) {
        for pid in self.children.drain(..) {
            log::warn!("Killing debugging session {pid}");
            crate::util::fork::kill_child(pid);
        }
    }
}

/// What reading the debugging client gave.
pub enum Input {
    Command(Vec<Vec<u8>>),
    /// The client closed the connection (or the read failed).
    Gone,
    /// Raised as the script's error (Redis's luaError from the REPL).
    Error(&'static str),
}

/// A socket borrowed by fd, never closed here.
fn borrow_socket(fd: RawFd) -> ManuallyDrop<std::net::TcpStream> {
    // SAFETY: `fd` is the debugging client's open socket for the whole
    // session (the client is not freed while its command runs), and the
    // ManuallyDrop never closes it.
    ManuallyDrop::new(unsafe { std::net::TcpStream::from_raw_fd(fd) })
}

impl Ldb {
    /// ldbEnable: SCRIPT DEBUG YES/SYNC resets the session's settings.
    pub fn enable(&mut self) {
        self.logs.clear();
        self.step = true;
        self.cbuf.clear();
        self.maxlen = MAX_LEN_DEFAULT;
        self.maxlen_hint_sent = false;
    }

    /// ldbIsEnabled: redis.call and errors are logged.
    pub fn enabled(&self) -> bool {
        self.active && self.step
    }

    /// ldbStartSession's setup: the socket goes blocking with a 5 s send
    /// timeout, the source is split into lines.
    pub fn start(&mut self, fd: RawFd, forked: bool, body: &[u8]) {
        let sock = borrow_socket(fd);
        let _ = sock.set_nonblocking(false);
        let _ = sock.set_write_timeout(Some(std::time::Duration::from_secs(5)));
        self.fd = Some(fd);
        self.forked = forked;
        self.active = true;
        let mut end = body.len();
        while end > 0 && matches!(body[end - 1], b'\n' | b'\r') {
            end -= 1;
        }
        self.src = body[..end]
            .split(|&b| b == b'\n')
            .map(|l| l.to_vec())
            .collect();
        if end == 0 {
            self.src.clear();
        }
    }

    /// ldbEndSession: the remaining logs and `<endsession>`, then the
    /// socket back to non-blocking.
    pub fn end(&mut self) {
        self.log(b"<endsession>".to_vec());
        self.send_logs();
        if let Some(fd) = self.fd.take() {
            let sock = borrow_socket(fd);
            let _ = sock.set_write_timeout(None);
            let _ = sock.set_nonblocking(true);
        }
        self.src.clear();
        self.active = false;
    }

    /// ldbEndSession in the forked child: the end of the session, then the
    /// script's reply (still blocking), before the child exits.
    pub fn end_forked(&mut self, reply: &[u8]) {
        let fd = self.fd;
        self.log(b"<endsession>".to_vec());
        self.send_logs();
        if let Some(fd) = fd {
            let _ = borrow_socket(fd).write_all(reply);
        }
        log::warn!("Lua debugging session child exiting");
    }

    pub fn log(&mut self, entry: Vec<u8>) {
        self.logs.push(entry);
    }

    /// ldbLogWithMaxLen: cut at maxlen with " ...", and the hint once.
    pub fn log_max_len(&mut self, mut entry: Vec<u8>) {
        let trimmed = self.maxlen > 0 && entry.len() > self.maxlen;
        if trimmed {
            entry.truncate(self.maxlen);
            entry.extend_from_slice(b" ...");
        }
        self.log(entry);
        if trimmed && !self.maxlen_hint_sent {
            self.maxlen_hint_sent = true;
            self.log(
                b"<hint> The above reply was trimmed. Use 'maxlen 0' to disable trimming.".to_vec(),
            );
        }
    }

    /// ldbSendLogs: the log as an array of status replies (newlines made
    /// spaces), consumed. A write error is left for the next read to see.
    pub fn send_logs(&mut self) {
        let mut proto = format!("*{}\r\n", self.logs.len()).into_bytes();
        for mut entry in self.logs.drain(..) {
            for b in entry.iter_mut() {
                if *b == b'\r' || *b == b'\n' {
                    *b = b' ';
                }
            }
            proto.push(b'+');
            proto.extend_from_slice(&entry);
            proto.extend_from_slice(b"\r\n");
        }
        if let Some(fd) = self.fd {
            let _ = borrow_socket(fd).write_all(&proto);
        }
    }

    /// ldbRepl's read: the next command from the client, reading (blocking)
    /// until one is whole. The buffer is emptied after each command, as
    /// Redis's is, whatever followed it.
    pub fn read_command(&mut self) -> Input {
        loop {
            match parse_command(&self.cbuf) {
                Parsed::Command(argv) => {
                    self.cbuf.clear();
                    return Input::Command(argv);
                }
                Parsed::Error => return Input::Error("protocol error"),
                Parsed::More => {}
            }
            let Some(fd) = self.fd else {
                return Input::Gone;
            };
            let mut buf = [0u8; 1024];
            match borrow_socket(fd).read(&mut buf) {
                Ok(n) if n > 0 => self.cbuf.extend_from_slice(&buf[..n]),
                _ => {
                    // The script goes on without the user.
                    self.step = false;
                    return Input::Gone;
                }
            }
            if self.cbuf.len() > 1 << 20 {
                self.cbuf.clear();
                return Input::Error("max client buffer reached");
            }
        }
    }

    /// The `maxlen` command: sets (values of 1..=60 become 60) and says.
    pub fn maxlen_command(&mut self, arg: Option<&[u8]>) {
        if let Some(a) = arg {
            let v = atoi(a);
            self.maxlen_hint_sent = true;
            self.maxlen = if v != 0 && v <= 60 {
                60
            } else {
                v.max(0) as usize
            };
        }
        let msg = if self.maxlen > 0 {
            format!("<value> replies are truncated at {} bytes.", self.maxlen)
        } else {
            "<value> replies are unlimited.".to_string()
        };
        self.log(msg.into_bytes());
    }

    /// The `<redis>` line logged before a script's call.
    pub fn log_call(&mut self, argv: &[Vec<u8>]) {
        let mut line = b"<redis>".to_vec();
        for (j, a) in argv.iter().enumerate() {
            if j == 10 {
                line.extend_from_slice(format!(" ... ({} more)", argv.len() - j - 1).as_bytes());
                break;
            }
            line.push(b' ');
            line.extend_from_slice(a);
        }
        self.log(line);
    }

    /// ldbLogRedisReply: `<reply>` and the reply in human form.
    pub fn log_reply(&mut self, reply: &[u8]) {
        // An error reply is logged as the error it becomes first (Redis's
        // redisProtocolToLuaType_Error goes through luaPushErrorBuff).
        if reply.first() == Some(&b'-') {
            let end = find_crlf(reply, 0).unwrap_or(reply.len());
            let mut line = b"<error> ".to_vec();
            line.extend_from_slice(&reply[..end]);
            self.log(line);
        }
        let mut out = b"<reply> ".to_vec();
        protocol_to_human(&mut out, reply, 0);
        self.log_max_len(out);
    }
}

enum Parsed {
    Command(Vec<Vec<u8>>),
    More,
    Error,
}

/// C's atoi: optional blanks and sign, then digits; 0 when none.
fn atoi(s: &[u8]) -> i64 {
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
        i += 1;
    }
    let neg = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let mut v: i64 = 0;
    while let Some(d) = s.get(i).filter(|b| b.is_ascii_digit()) {
        v = v.saturating_mul(10).saturating_add((d - b'0') as i64);
        i += 1;
    }
    if neg { -v } else { v }
}

fn find_crlf(s: &[u8], from: usize) -> Option<usize> {
    s.get(from..)?
        .windows(2)
        .position(|w| w == b"\r\n")
        .map(|p| p + from)
}

/// ldbReplParseCommand: a multibulk of 1..=1024 arguments of 1..=1024
/// bytes, found from the first `*` of the buffer (Redis's forgiving
/// parser, errors and all).
fn parse_command(buf: &[u8]) -> Parsed {
    if buf.is_empty() {
        return Parsed::More;
    }
    let Some(star) = memchr::memchr(b'*', buf) else {
        return Parsed::Error;
    };
    let Some(eol) = find_crlf(buf, star) else {
        return Parsed::More;
    };
    let argc = atoi(&buf[star + 1..eol]);
    if !(1..=1024).contains(&argc) {
        return Parsed::Error;
    }
    let mut p = eol + 2;
    let mut argv = Vec::with_capacity(argc as usize);
    while argv.len() < argc as usize {
        let Some(&first) = buf.get(p) else {
            return Parsed::More;
        };
        if first != b'$' {
            return Parsed::Error;
        }
        let Some(eol) = find_crlf(buf, p) else {
            return Parsed::More;
        };
        let slen = atoi(&buf[p + 1..eol]);
        if !(1..=1024).contains(&slen) {
            return Parsed::Error;
        }
        let start = eol + 2;
        let end = start + slen as usize;
        if end + 2 > buf.len() {
            return Parsed::More;
        }
        argv.push(buf[start..end].to_vec());
        if &buf[end..end + 2] != b"\r\n" {
            return Parsed::Error;
        }
        p = end + 2;
    }
    Parsed::Command(argv)
}

/// C's sdscatrepr.
pub fn repr(out: &mut Vec<u8>, a: &[u8]) {
    let mut s = String::new();
    crate::commands::introspection::repr(&mut s, a);
    out.extend_from_slice(s.as_bytes());
}

/// ldbRedisProtocolToHuman: one reply appended in the debugger's form;
/// returns the bytes it took. The reply is our own RESP, but a damaged
/// one renders partly rather than panicking.
fn protocol_to_human(out: &mut Vec<u8>, reply: &[u8], depth: usize) -> usize {
    let Some(&kind) = reply.first() else {
        return 0;
    };
    let Some(eol) = find_crlf(reply, 1) else {
        return reply.len();
    };
    let head = &reply[1..eol];
    let after = eol + 2;
    let count = |out: &mut Vec<u8>, n: i64, sep: &[u8], pairs: bool| -> usize {
        let mut p = after;
        for j in 0..n.max(0) {
            if p >= reply.len() || depth > 64 {
                break;
            }
            p += protocol_to_human(out, &reply[p..], depth + 1);
            if pairs {
                out.extend_from_slice(b" => ");
                p += protocol_to_human(out, reply.get(p..).unwrap_or_default(), depth + 1);
            }
            if j != n - 1 {
                out.extend_from_slice(sep);
            }
        }
        p
    };
    match kind {
        b':' => {
            out.extend_from_slice(head);
            after
        }
        b'$' => {
            let n = atoi(head);
            if n < 0 {
                out.extend_from_slice(b"NULL");
                return after;
            }
            let end = (after + n as usize).min(reply.len());
            repr(out, &reply[after..end]);
            (end + 2).min(reply.len())
        }
        b'+' | b'-' => {
            repr(out, &reply[..eol]);
            after
        }
        b'*' => {
            let n = atoi(head);
            if n < 0 {
                out.extend_from_slice(b"NULL");
                return after;
            }
            out.push(b'[');
            let p = count(out, n, b",", false);
            out.push(b']');
            p
        }
        b'~' => {
            out.extend_from_slice(b"~(");
            let p = count(out, atoi(head), b",", false);
            out.push(b')');
            p
        }
        b'%' => {
            out.push(b'{');
            let p = count(out, atoi(head), b",", true);
            out.push(b'}');
            p
        }
        b'_' => {
            out.extend_from_slice(b"(null)");
            after
        }
        b'#' => {
            out.extend_from_slice(if head.first() == Some(&b't') {
                b"#true"
            } else {
                b"#false"
            });
            after
        }
        b',' => {
            out.extend_from_slice(b"(double) ");
            out.extend_from_slice(head);
            after
        }
        _ => reply.len(),
    }
}

/// The debugger's functions on the bridge table (prelude.lua's REPL).
pub(super) fn register(lua: &mlua::Lua, bridge: &mlua::Table) -> mlua::Result<()> {
    use super::with_server;
    use mlua::{LuaString, Value};
    let f = lua.create_function(|lua, s: LuaString| {
        with_server(lua, |srv| srv.scripting.ldb.log(s.as_bytes().to_vec()))
    })?;
    bridge.set("ldb_log", f)?;
    let f = lua.create_function(|lua, s: LuaString| {
        with_server(lua, |srv| {
            srv.scripting.ldb.log_max_len(s.as_bytes().to_vec())
        })
    })?;
    bridge.set("ldb_log_max", f)?;
    let f = lua.create_function(|lua, ()| with_server(lua, |srv| srv.scripting.ldb.send_logs()))?;
    bridge.set("ldb_send", f)?;
    // A command as a table of strings; nil when the client is gone; nil
    // and the error to raise.
    let f = lua.create_function(|lua, ()| {
        let input = with_server(lua, |srv| srv.scripting.ldb.read_command())?;
        let mut out = mlua::MultiValue::new();
        match input {
            Input::Command(argv) => {
                let t = lua.create_table()?;
                for (i, a) in argv.iter().enumerate() {
                    t.raw_set(i + 1, lua.create_string(a)?)?;
                }
                out.push_back(Value::Table(t));
            }
            Input::Gone => out.push_back(Value::Nil),
            Input::Error(e) => {
                out.push_back(Value::Nil);
                out.push_back(Value::String(lua.create_string(e)?));
            }
        }
        Ok(out)
    })?;
    bridge.set("ldb_read", f)?;
    let f = lua.create_function(|lua, v: Option<bool>| {
        with_server(lua, |srv| {
            if let Some(v) = v {
                srv.scripting.ldb.step = v;
            }
            srv.scripting.ldb.step
        })
    })?;
    bridge.set("ldb_step", f)?;
    let f = lua.create_function(|lua, arg: Option<LuaString>| {
        with_server(lua, |srv| {
            let arg = arg.map(|a| a.as_bytes().to_vec());
            srv.scripting.ldb.maxlen_command(arg.as_deref())
        })
    })?;
    bridge.set("ldb_maxlen", f)?;
    let f = lua.create_function(|lua, s: LuaString| {
        let mut out = Vec::new();
        repr(&mut out, &s.as_bytes());
        lua.create_string(out)
    })?;
    bridge.set("ldb_repr", f)?;
    // The hook's timeout: busy-reply-threshold (5 s when 0) since the
    // script started or last stopped.
    let f = lua.create_function(|lua, ()| {
        with_server(lua, |srv| {
            let limit = match srv.config.busy_reply_threshold {
                0 => 5000,
                t => t,
            };
            srv.scripting.run_elapsed_ms().is_some_and(|ms| ms >= limit)
        })
    })?;
    bridge.set("ldb_timed_out", f)?;
    // The debugger's Lua, compiled on a session's first EVAL.
    let f = lua.create_function(|lua, ()| lua.create_string(include_str!("ldb.lua")))?;
    bridge.set("ldb_source", f)?;
    let f = lua.create_function(|lua, ()| with_server(lua, |srv| srv.scripting.restart_clock()))?;
    bridge.set("ldb_reset_clock", f)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_as_redis_does() {
        let cmd = |b: &[u8]| match parse_command(b) {
            Parsed::Command(a) => Some(a),
            _ => None,
        };
        assert_eq!(
            cmd(b"*2\r\n$1\r\np\r\n$3\r\nfoo\r\n"),
            Some(vec![b"p".to_vec(), b"foo".to_vec()])
        );
        // Leading junk before the `*` is skipped.
        assert_eq!(cmd(b"xx*1\r\n$1\r\ns\r\n"), Some(vec![b"s".to_vec()]));
        assert!(matches!(parse_command(b"*2\r\n$1\r\np\r\n"), Parsed::More));
        assert!(matches!(parse_command(b"*1\r\n$3\r\nfo"), Parsed::More));
        assert!(matches!(parse_command(b"hello"), Parsed::Error));
        assert!(matches!(parse_command(b"*0\r\n"), Parsed::Error));
        assert!(matches!(parse_command(b"*1\r\n$0\r\n\r\n"), Parsed::Error));
        assert!(matches!(parse_command(b"*1\r\n+x\r\n"), Parsed::Error));
        assert!(matches!(
            parse_command(b"*1\r\n$1\r\nab\r\n"),
            Parsed::Error
        ));
        assert!(matches!(parse_command(b"*1\r\n$2000\r\n"), Parsed::Error));
    }

    #[test]
    fn renders_replies_as_redis_does() {
        let h = |r: &[u8]| {
            let mut o = Vec::new();
            protocol_to_human(&mut o, r, 0);
            String::from_utf8(o).unwrap()
        };
        assert_eq!(h(b":5\r\n"), "5");
        assert_eq!(h(b"$3\r\na\"b\r\n"), "\"a\\\"b\"");
        assert_eq!(h(b"$-1\r\n"), "NULL");
        assert_eq!(h(b"+OK\r\n"), "\"+OK\"");
        assert_eq!(h(b"-ERR x\r\n"), "\"-ERR x\"");
        assert_eq!(h(b"*2\r\n:1\r\n$1\r\na\r\n"), "[1,\"a\"]");
        assert_eq!(h(b"*-1\r\n"), "NULL");
        assert_eq!(h(b"%1\r\n$1\r\nk\r\n:2\r\n"), "{\"k\" => 2}");
        assert_eq!(h(b"~1\r\n:1\r\n"), "~(1)");
        assert_eq!(h(b"_\r\n"), "(null)");
        assert_eq!(h(b"#t\r\n"), "#true");
        assert_eq!(h(b",1.5\r\n"), "(double) 1.5");
        // Damaged input renders partly, never panics.
        assert_eq!(h(b"*3\r\n:1\r\n"), "[1,]");
        let _ = h(b"$10\r\nab");
    }
}
