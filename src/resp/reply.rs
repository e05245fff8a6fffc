//! Reply encoding, after Redis's addReply* family. One buffer type knows the
//! client's protocol version, so a handler writes `map_len(n)` once and the
//! bytes are RESP2 (`*2n`) or RESP3 (`%n`) as the client asked with HELLO.

use std::io::Write;

/// A client's pending reply bytes.
#[derive(Default)]
pub struct ReplyBuf {
    pub buf: Vec<u8>,
    /// Bytes of `buf` already written to the socket.
    pub sent: usize,
    /// 2 or 3.
    pub resp: u8,
}

/// Position of a deferred length header (Redis's addReplyDeferredLen).
pub struct Deferred(usize);

impl ReplyBuf {
    pub fn new() -> ReplyBuf {
        ReplyBuf {
            // Taken at the first read (an idle connection holds nothing).
            buf: Vec::new(),
            sent: 0,
            resp: 2,
        }
    }

    pub fn pending(&self) -> usize {
        self.buf.len() - self.sent
    }

    #[inline]
    fn header(&mut self, prefix: u8, n: i64) {
        self.buf.push(prefix);
        let tmp = itoa_buf(n);
        self.buf.extend_from_slice(tmp.as_bytes());
        self.buf.extend_from_slice(b"\r\n");
    }

    pub fn raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    pub fn status(&mut self, s: &str) {
        self.buf.push(b'+');
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.extend_from_slice(b"\r\n");
    }

    pub fn ok(&mut self) {
        self.buf.extend_from_slice(b"+OK\r\n");
    }

    /// An error line; `\r` and `\n` inside become spaces, as Redis does.
    pub fn error(&mut self, msg: &[u8]) {
        self.buf.push(b'-');
        self.buf.extend(
            msg.iter()
                .map(|&c| if c == b'\r' || c == b'\n' { b' ' } else { c }),
        );
        self.buf.extend_from_slice(b"\r\n");
    }

    pub fn int(&mut self, n: i64) {
        self.header(b':', n);
    }

    pub fn bulk(&mut self, b: &[u8]) {
        self.header(b'$', b.len() as i64);
        self.buf.extend_from_slice(b);
        self.buf.extend_from_slice(b"\r\n");
    }

    pub fn bulk_str(&mut self, s: &str) {
        self.bulk(s.as_bytes());
    }

    pub fn bulk_int(&mut self, n: i64) {
        self.bulk(n.to_string().as_bytes());
    }

    /// The null bulk string ($-1 in RESP2, _ in RESP3).
    pub fn null(&mut self) {
        if self.resp >= 3 {
            self.buf.extend_from_slice(b"_\r\n");
        } else {
            self.buf.extend_from_slice(b"$-1\r\n");
        }
    }

    /// The null array (*-1 in RESP2, _ in RESP3).
    pub fn null_array(&mut self) {
        if self.resp >= 3 {
            self.buf.extend_from_slice(b"_\r\n");
        } else {
            self.buf.extend_from_slice(b"*-1\r\n");
        }
    }

    pub fn array_len(&mut self, n: usize) {
        self.header(b'*', n as i64);
    }

    pub fn map_len(&mut self, n: usize) {
        if self.resp >= 3 {
            self.header(b'%', n as i64)
        } else {
            self.header(b'*', 2 * n as i64)
        }
    }

    pub fn set_len(&mut self, n: usize) {
        if self.resp >= 3 {
            self.header(b'~', n as i64)
        } else {
            self.header(b'*', n as i64)
        }
    }

    /// An out-of-band push (pub/sub messages): `>` in RESP3, an array in RESP2.
    pub fn push_len(&mut self, n: usize) {
        if self.resp >= 3 {
            self.header(b'>', n as i64)
        } else {
            self.header(b'*', n as i64)
        }
    }

    pub fn bool(&mut self, b: bool) {
        if self.resp >= 3 {
            self.buf
                .extend_from_slice(if b { b"#t\r\n" } else { b"#f\r\n" });
        } else {
            self.int(b as i64);
        }
    }

    /// A double: a bulk string in RESP2, a `,` double in RESP3.
    pub fn double(&mut self, d: f64) {
        if self.resp >= 3 {
            let s = crate::util::num::fmt_g17(d);
            let _ = write!(self.buf, ",{}\r\n", s);
        } else {
            self.bulk(crate::util::num::d2string(d).as_bytes());
        }
    }

    /// A double as Redis's addReplyHumanLongDouble prints it (`%.17Lf`
    /// without trailing zeros): a bulk string in RESP2, a `,` double in RESP3.
    pub fn human_double(&mut self, d: f64) {
        let s = crate::util::num::human_double(d);
        if self.resp >= 3 {
            let _ = write!(self.buf, ",{}\r\n", s);
        } else {
            self.bulk(s.as_bytes());
        }
    }

    /// Text for humans (INFO, CLIENT LIST): a verbatim string in RESP3.
    pub fn verbatim(&mut self, text: &[u8]) {
        if self.resp >= 3 {
            self.header(b'=', text.len() as i64 + 4);
            self.buf.extend_from_slice(b"txt:");
            self.buf.extend_from_slice(text);
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(text);
        }
    }

    /// Reserve a place for an aggregate length known only later.
    pub fn deferred(&self) -> Deferred {
        Deferred(self.buf.len())
    }

    fn set_deferred(&mut self, d: Deferred, prefix: u8, n: usize) {
        let mut h = vec![prefix];
        h.extend_from_slice(n.to_string().as_bytes());
        h.extend_from_slice(b"\r\n");
        self.buf.splice(d.0..d.0, h);
    }

    pub fn set_deferred_array_len(&mut self, d: Deferred, n: usize) {
        self.set_deferred(d, b'*', n);
    }

    pub fn set_deferred_map_len(&mut self, d: Deferred, n: usize) {
        if self.resp >= 3 {
            self.set_deferred(d, b'%', n)
        } else {
            self.set_deferred(d, b'*', 2 * n)
        }
    }

    pub fn set_deferred_set_len(&mut self, d: Deferred, n: usize) {
        if self.resp >= 3 {
            self.set_deferred(d, b'~', n)
        } else {
            self.set_deferred(d, b'*', n)
        }
    }
}

/// Small integer formatting without going through `fmt`.
fn itoa_buf(n: i64) -> Itoa {
    let mut b = Itoa {
        buf: [0; 20],
        start: 20,
    };
    let mut v = n.unsigned_abs();
    loop {
        b.start -= 1;
        b.buf[b.start] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    if n < 0 {
        b.start -= 1;
        b.buf[b.start] = b'-';
    }
    b
}

struct Itoa {
    buf: [u8; 20],
    start: usize,
}

impl Itoa {
    fn as_bytes(&self) -> &[u8] {
        &self.buf[self.start..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn encodes_resp2_and_resp3() {
        let mut r = ReplyBuf::new();
        r.int(i64::MIN);
        r.bulk(b"hi");
        r.null();
        r.map_len(2);
        r.error(b"ERR a\r\nb");
        assert_eq!(
            r.buf,
            b":-9223372036854775808\r\n$2\r\nhi\r\n$-1\r\n*4\r\n-ERR a  b\r\n"
        );
        let mut r = ReplyBuf::new();
        r.resp = 3;
        r.null();
        r.map_len(2);
        let d = r.deferred();
        r.bulk(b"x");
        r.set_deferred_array_len(d, 1);
        assert_eq!(r.buf, b"_\r\n%2\r\n*1\r\n$1\r\nx\r\n");
    }
}
