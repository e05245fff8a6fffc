//! Incremental request parser, after Redis's processInlineBuffer and
//! processMultibulkBuffer (networking.c). State survives between reads, so a
//! request may arrive split at any byte. Protocol errors carry Redis's exact
//! texts; after one, the caller replies, flushes and closes the connection.

use crate::util::num::string2ll;
use memchr::memchr;

/// Redis's PROTO_INLINE_MAX_SIZE: the longest inline request or count line.
pub const PROTO_INLINE_MAX_SIZE: usize = 64 * 1024;
/// Redis's PROTO_MBULK_BIG_ARG: from this size a bulk argument gets a
/// buffer of its own, so a large value is copied once, not once per read.
pub const PROTO_MBULK_BIG_ARG: usize = 32 * 1024;

/// Outcome of one parse attempt.
#[derive(Debug, PartialEq)]
pub enum Parsed {
    /// Not a whole request yet.
    Incomplete,
    /// `argv` holds a whole request (possibly empty: nothing to run).
    Command,
    /// A protocol error: reply with this text, then close.
    Error(String),
}

/// What a client has read and how far parsing got.
#[derive(Default)]
pub struct QueryBuf {
    pub buf: Vec<u8>,
    pub pos: usize,
    /// Where the batch being run started (CLIENT LIST's qbuf counts from
    /// here, as Redis trims its query buffer only after a batch).
    pub batch_start: usize,
    /// The buffer already holds all the input there will be (a file being
    /// loaded): big arguments are sliced in place, never moved to the
    /// buffer's front or reserved for (that would be quadratic over a file
    /// of big values, and would allocate what a header merely claims).
    pub whole: bool,
    /// Keep every byte where it arrived (a master link proxies the raw
    /// stream it applied): no moving big arguments to the front, no
    /// taking the buffer as an argument.
    pub keep_raw: bool,
    /// Remaining arguments of the multibulk request being read (0 = none).
    multibulk_len: usize,
    /// Length of the bulk being read, if its header was read.
    bulk_len: Option<usize>,
    /// True while a multibulk request is being read.
    in_multibulk: bool,
    pub argv: Vec<Vec<u8>>,
    /// Argument buffers of earlier requests, reused for the next ones: a
    /// pipeline of MSETs would otherwise allocate and free every argument.
    spare: Vec<Vec<u8>>,
    /// The most the buffer held since the last cron (for its resizing).
    pub peak: usize,
}

/// Spare argument buffers a client keeps, and the largest one kept.
const SPARE_ARGS: usize = 32;
const SPARE_ARG_CAP: usize = 128;

impl QueryBuf {
    pub fn pending(&self) -> &[u8] {
        &self.buf[self.pos..]
    }

    /// Bytes the next read should make room for: the rest of a big bulk
    /// argument when one is being read, so it lands in one allocation.
    pub fn wanted(&self) -> usize {
        match self.bulk_len {
            Some(n) if n >= PROTO_MBULK_BIG_ARG => {
                (n + 2).saturating_sub(self.buf.len() - self.pos)
            }
            _ => 0,
        }
    }

    /// Drop consumed bytes once in a while (Redis trims querybuf the same way).
    /// `compact` that keeps the bytes from `keep` on (a master link's
    /// unapplied MULTI); returns how far the bytes moved.
    pub fn compact_keeping(&mut self, keep: usize) -> usize {
        let cut = keep.min(self.pos);
        if cut > 0 && (cut == self.buf.len() || cut >= 16 * 1024 || cut * 2 >= self.buf.len()) {
            self.buf.drain(..cut);
            self.pos -= cut;
            return cut;
        }
        0
    }

    pub fn compact(&mut self) {
        if self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
            // A big buffer is trimmed by the cron (resize_for_peak).
            if self.argv.capacity() > 1024 && !self.in_multibulk {
                self.argv = Vec::new();
            }
        } else if self.pos > 0 && (self.pos >= 16 * 1024 || self.pos * 2 >= self.buf.len()) {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
    }

    /// Redis's clientsCronResizeQueryBuffer for a client that is not
    /// idle: a buffer over 32 KiB more than twice the biggest it held
    /// since the last cron is cut down to that peak; then the peak starts
    /// again from what it holds now.
    pub fn resize_for_peak(&mut self) {
        let cap = self.buf.capacity();
        if cap - self.buf.len() > 4 * 1024 && cap > 32 * 1024 && cap / 2 > self.peak {
            let keep = self
                .buf
                .len()
                .max(self.peak)
                .max(self.bulk_len.unwrap_or(0) + 2);
            if self.pos > 0 {
                self.buf.drain(..self.pos);
                self.pos = 0;
            }
            self.buf.shrink_to(keep);
        }
        self.peak = self.buf.len().max(self.bulk_len.map_or(0, |l| l + 2));
    }

    /// An idle client's buffers go back (nothing unparsed is pending):
    /// the next read allocates again.
    /// Returns the bytes given back.
    pub fn release_if_idle(&mut self) -> usize {
        if self.pos == self.buf.len() && !self.in_multibulk && self.buf.capacity() > 0 {
            let freed = self.buf.capacity() + self.spare.iter().map(Vec::capacity).sum::<usize>();
            self.buf = Vec::new();
            self.pos = 0;
            self.spare = Vec::new();
            self.argv = Vec::new();
            return freed;
        }
        0
    }

    /// Take back a finished request's arguments for reuse.
    pub fn recycle(&mut self, argv: &mut Vec<Vec<u8>>) {
        if self.spare.len() >= SPARE_ARGS {
            argv.clear();
            return;
        }
        for a in argv.drain(..) {
            if self.spare.len() < SPARE_ARGS && a.capacity() > 0 && a.capacity() <= SPARE_ARG_CAP {
                self.spare.push(a);
            }
        }
    }

    /// Parse the next request into `argv`.
    pub fn parse(&mut self, max_bulk_len: usize) -> Parsed {
        if !self.in_multibulk {
            let mut old = std::mem::take(&mut self.argv);
            self.recycle(&mut old);
            self.argv = old;
            match self.buf.get(self.pos) {
                None => return Parsed::Incomplete,
                Some(b'*') => self.in_multibulk = true,
                Some(_) => return self.parse_inline(),
            }
        }
        self.parse_multibulk(max_bulk_len)
    }

    fn parse_inline(&mut self) -> Parsed {
        let pending = &self.buf[self.pos..];
        let Some(nl) = memchr(b'\n', pending) else {
            if pending.len() > PROTO_INLINE_MAX_SIZE {
                return Parsed::Error("Protocol error: too big inline request".into());
            }
            return Parsed::Incomplete;
        };
        let line_end = if nl > 0 && pending[nl - 1] == b'\r' {
            nl - 1
        } else {
            nl
        };
        let line = &self.buf[self.pos..self.pos + line_end];
        let ok = split_args_into(line, &mut self.argv, &mut self.spare);
        self.pos += nl + 1;
        if ok {
            Parsed::Command
        } else {
            Parsed::Error("Protocol error: unbalanced quotes in request".into())
        }
    }

    fn parse_multibulk(&mut self, max_bulk_len: usize) -> Parsed {
        if self.multibulk_len == 0 {
            let pending = &self.buf[self.pos..];
            let Some(cr) = memchr(b'\r', pending) else {
                if pending.len() > PROTO_INLINE_MAX_SIZE {
                    return Parsed::Error("Protocol error: too big mbulk count string".into());
                }
                return Parsed::Incomplete;
            };
            if cr + 2 > pending.len() {
                return Parsed::Incomplete;
            }
            let n = match string2ll(&pending[1..cr]) {
                Some(n) if n <= i32::MAX as i64 => n,
                _ => return Parsed::Error("Protocol error: invalid multibulk length".into()),
            };
            self.pos += cr + 2;
            if n <= 0 {
                self.in_multibulk = false;
                return Parsed::Command;
            }
            self.multibulk_len = n as usize;
            self.argv.reserve(self.multibulk_len.min(1024));
        }
        while self.multibulk_len > 0 {
            let len = match self.bulk_len {
                Some(len) => len,
                None => {
                    let pending = &self.buf[self.pos..];
                    let Some(cr) = memchr(b'\r', pending) else {
                        if pending.len() > PROTO_INLINE_MAX_SIZE {
                            return Parsed::Error(
                                "Protocol error: too big bulk count string".into(),
                            );
                        }
                        return Parsed::Incomplete;
                    };
                    if cr + 2 > pending.len() {
                        return Parsed::Incomplete;
                    }
                    if pending[0] != b'$' {
                        return Parsed::Error(format!(
                            "Protocol error: expected '$', got '{}'",
                            pending[0] as char
                        ));
                    }
                    let len = match string2ll(&pending[1..cr]) {
                        Some(n) if n >= 0 && n as u64 <= max_bulk_len as u64 => n as usize,
                        _ => return Parsed::Error("Protocol error: invalid bulk length".into()),
                    };
                    self.pos += cr + 2;
                    if len >= PROTO_MBULK_BIG_ARG && !self.whole && !self.keep_raw {
                        // Make the buffer start at this argument and hold
                        // all of it, so reads append without reallocating.
                        self.buf.drain(..self.pos);
                        self.pos = 0;
                        self.buf.reserve((len + 2).saturating_sub(self.buf.len()));
                    }
                    self.bulk_len = Some(len);
                    len
                }
            };
            if self.buf.len() - self.pos < len + 2 {
                return Parsed::Incomplete;
            }
            let arg = if self.pos == 0
                && len >= PROTO_MBULK_BIG_ARG
                && self.buf.len() == len + 2
                && !self.keep_raw
            {
                // The buffer is exactly this argument: take it, no copy;
                // the next read gets a buffer as big, expecting another
                // big argument (Redis does the same; the cron trims it).
                let next = if self.whole { 0 } else { len + 2 };
                let mut b = std::mem::replace(&mut self.buf, Vec::with_capacity(next));
                b.truncate(len);
                self.pos = 0;
                b
            } else {
                let src = &self.buf[self.pos..self.pos + len];
                let spare = if len <= SPARE_ARG_CAP {
                    self.spare.pop()
                } else {
                    None
                };
                let a = match spare {
                    Some(mut a) => {
                        a.clear();
                        a.extend_from_slice(src);
                        a
                    }
                    None => src.to_vec(),
                };
                self.pos += len + 2;
                a
            };
            self.argv.push(arg);
            self.bulk_len = None;
            self.multibulk_len -= 1;
        }
        self.in_multibulk = false;
        Parsed::Command
    }
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn hex_val(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// Split an inline request line like Redis's sdssplitargs: blanks separate
/// arguments; "double quotes" take \n \r \t \b \a \xHH escapes; 'single
/// quotes' take only \'. A closing quote must be followed by a blank.
/// Returns None for unbalanced quotes.
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    split_args_into(line, &mut out, &mut Vec::new()).then_some(out)
}

/// `split_args` into `out` (cleared first), taking argument buffers from
/// `spare` (an inline request reuses its client's). False on unbalanced
/// quotes.
fn split_args_into(line: &[u8], out: &mut Vec<Vec<u8>>, spare: &mut Vec<Vec<u8>>) -> bool {
    out.clear();
    let ok = split_args_inner(line, out, spare).is_some();
    if !ok {
        out.clear();
    }
    ok
}

fn split_args_inner(line: &[u8], out: &mut Vec<Vec<u8>>, spare: &mut Vec<Vec<u8>>) -> Option<()> {
    let at = |i: usize| line.get(i).copied().unwrap_or(0);
    let mut p = 0;
    loop {
        while p < line.len() && is_space(line[p]) {
            p += 1;
        }
        if p >= line.len() {
            return Some(());
        }
        let (mut inq, mut insq) = (false, false);
        let mut cur = spare.pop().unwrap_or_default();
        cur.clear();
        loop {
            let c = at(p);
            if inq {
                if c == b'\\'
                    && at(p + 1) == b'x'
                    && hex_val(at(p + 2)).is_some()
                    && hex_val(at(p + 3)).is_some()
                {
                    cur.push(hex_val(at(p + 2))? * 16 + hex_val(at(p + 3))?);
                    p += 3;
                } else if c == b'\\' && p + 1 < line.len() {
                    p += 1;
                    cur.push(match line[p] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 8,
                        b'a' => 7,
                        other => other,
                    });
                } else if c == b'"' {
                    if p + 1 < line.len() && !is_space(line[p + 1]) {
                        return None;
                    }
                    p += 1;
                    break;
                } else if p >= line.len() {
                    return None;
                } else {
                    cur.push(c);
                }
            } else if insq {
                if c == b'\\' && at(p + 1) == b'\'' {
                    p += 1;
                    cur.push(b'\'');
                } else if c == b'\'' {
                    if p + 1 < line.len() && !is_space(line[p + 1]) {
                        return None;
                    }
                    p += 1;
                    break;
                } else if p >= line.len() {
                    return None;
                } else {
                    cur.push(c);
                }
            } else {
                match c {
                    b' ' | b'\n' | b'\r' | b'\t' => break,
                    0 if p >= line.len() => break,
                    b'"' => inq = true,
                    b'\'' => insq = true,
                    _ => cur.push(c),
                }
            }
            p += 1;
        }
        out.push(cur);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse_all(input: &[u8]) -> (Vec<Vec<Vec<u8>>>, Option<String>) {
        let mut q = QueryBuf::default();
        q.buf.extend_from_slice(input);
        let mut cmds = Vec::new();
        loop {
            match q.parse(512 * 1024 * 1024) {
                Parsed::Incomplete => return (cmds, None),
                Parsed::Command => {
                    if !q.argv.is_empty() {
                        cmds.push(std::mem::take(&mut q.argv));
                    }
                }
                Parsed::Error(e) => return (cmds, Some(e)),
            }
        }
    }

    fn v(args: &[&str]) -> Vec<Vec<u8>> {
        args.iter().map(|a| a.as_bytes().to_vec()).collect()
    }

    #[test]
    fn multibulk_and_inline() {
        let (c, e) = parse_all(b"*2\r\n$3\r\nGET\r\n$1\r\na\r\nPING\r\nSET k \"a b\"\r\n\r\n");
        assert_eq!(e, None);
        assert_eq!(
            c,
            vec![v(&["GET", "a"]), v(&["PING"]), v(&["SET", "k", "a b"])]
        );
    }

    #[test]
    fn split_args_like_sdssplitargs() {
        assert_eq!(
            split_args(b"set a \"x\\x41\\n\""),
            Some(v(&["set", "a", "xA\n"]))
        );
        assert_eq!(split_args(b"'it\\'s'"), Some(v(&["it's"])));
        assert_eq!(split_args(b"\"abc"), None);
        assert_eq!(split_args(b"\"abc\"def"), None);
        assert_eq!(split_args(b"'abc"), None);
        assert_eq!(split_args(b"   "), Some(vec![]));
        assert_eq!(split_args(b"\"\""), Some(v(&[""])));
    }

    #[test]
    fn protocol_errors_have_redis_texts() {
        assert_eq!(
            parse_all(b"*x\r\n").1.as_deref(),
            Some("Protocol error: invalid multibulk length")
        );
        assert_eq!(
            parse_all(b"*1\r\nx\r\n").1.as_deref(),
            Some("Protocol error: expected '$', got 'x'")
        );
        assert_eq!(
            parse_all(b"*1\r\n$-1\r\n").1.as_deref(),
            Some("Protocol error: invalid bulk length")
        );
        assert_eq!(
            parse_all(b"\"x\r\n").1.as_deref(),
            Some("Protocol error: unbalanced quotes in request")
        );
        let big = vec![b'a'; 70_000];
        assert_eq!(
            parse_all(&big).1.as_deref(),
            Some("Protocol error: too big inline request")
        );
        let mut big = b"*".to_vec();
        big.extend(vec![b'1'; 70_000]);
        assert_eq!(
            parse_all(&big).1.as_deref(),
            Some("Protocol error: too big mbulk count string")
        );
    }

    #[test]
    fn zero_and_negative_counts_are_ignored() {
        let (c, e) = parse_all(b"*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n");
        assert_eq!(e, None);
        assert_eq!(c, vec![v(&["PING"])]);
    }

    #[test]
    fn big_argument_arrives_in_pieces() {
        let val = vec![b'z'; 100_000];
        let mut req = format!("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n${}\r\n", val.len()).into_bytes();
        req.extend_from_slice(&val);
        req.extend_from_slice(b"\r\n");
        let mut q = QueryBuf::default();
        for chunk in req.chunks(4096) {
            assert_eq!(q.parse(usize::MAX), Parsed::Incomplete);
            q.buf.extend_from_slice(chunk);
        }
        assert_eq!(q.parse(usize::MAX), Parsed::Command);
        assert_eq!(q.argv[2], val);
    }

    proptest! {
        #[test]
        fn any_split_point_gives_the_same_commands(split in 0usize..60) {
            let input = b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\nGET key\r\n*1\r\n$4\r\nPING\r\n";
            let split = split.min(input.len());
            let mut q = QueryBuf::default();
            let mut cmds = Vec::new();
            for part in [&input[..split], &input[split..]] {
                q.buf.extend_from_slice(part);
                while let Parsed::Command = q.parse(1 << 29) {
                    cmds.push(std::mem::take(&mut q.argv));
                }
            }
            prop_assert_eq!(cmds, vec![v(&["SET", "key", "value"]), v(&["GET", "key"]), v(&["PING"])]);
        }

        #[test]
        fn garbage_never_panics(input in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = parse_all(&input);
        }
    }
}
