//! Protocol edge cases over raw sockets: inline commands, pipelining,
//! arbitrary splits, huge values, and every malformed-input error.

use crate::common::{encode, start_miniredis};

#[test]
fn inline_commands_with_quotes() {
    let s = start_miniredis(&[]);
    let mut r = s.raw();
    r.send(b"SET greeting \"hello world\"\r\nGET greeting\nPING\r\n\r\nECHO 'it''s'\r\n");
    assert_eq!(r.read_reply(), b"+OK\r\n");
    assert_eq!(r.read_reply(), b"$11\r\nhello world\r\n");
    assert_eq!(r.read_reply(), b"+PONG\r\n");
    // The empty line is ignored; ECHO 'it''s' is a closing quote followed
    // by a non-space: an error that closes the connection.
    assert_eq!(
        r.read_reply(),
        b"-ERR Protocol error: unbalanced quotes in request\r\n"
    );
    assert!(r.closed());
}

#[test]
fn ten_thousand_pipelined_commands_in_one_write() {
    let s = start_miniredis(&[]);
    let mut r = s.raw();
    let mut batch = Vec::new();
    for i in 0..10_000 {
        batch.extend(encode(&[b"INCR", b"counter"]));
        if i % 1000 == 0 {
            batch.extend(b"PING\r\n");
        }
    }
    r.send(&batch);
    let mut last = Vec::new();
    for i in 0..10_010 {
        last = r.read_reply();
        if i == 0 {
            assert_eq!(last, b":1\r\n");
        }
    }
    assert_eq!(last, b":10000\r\n");
}

#[test]
fn a_request_split_at_every_byte_boundary() {
    let s = start_miniredis(&[]);
    let mut r = s.raw();
    let req = encode(&[b"SET", b"split", b"value-with-some-length"]);
    for cut in 0..=req.len() {
        r.send(&req[..cut]);
        r.sock.flush_now();
        r.send(&req[cut..]);
        assert_eq!(r.read_reply(), b"+OK\r\n", "cut at {cut}");
    }
    // And byte by byte.
    for b in encode(&[b"GET", b"split"]) {
        r.send(&[b]);
    }
    assert_eq!(r.read_reply(), b"$22\r\nvalue-with-some-length\r\n");
}

trait FlushNow {
    fn flush_now(&mut self);
}
impl FlushNow for std::net::TcpStream {
    fn flush_now(&mut self) {
        use std::io::Write;
        let _ = self.flush();
    }
}

#[test]
fn a_hundred_megabyte_value() {
    let s = start_miniredis(&[]);
    let mut r = s.raw();
    let val: Vec<u8> = (0..100 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    assert_eq!(r.cmd(&[b"SET", b"big", &val]), b"+OK\r\n");
    assert_eq!(
        r.cmd(&[b"STRLEN", b"big"]),
        format!(":{}\r\n", val.len()).as_bytes()
    );
    let got = r.cmd(&[b"GET", b"big"]);
    let header = format!("${}\r\n", val.len());
    assert_eq!(&got[..header.len()], header.as_bytes());
    assert!(
        got[header.len()..got.len() - 2] == val[..],
        "value round-trips"
    );
}

/// Each malformed input gets Redis's exact error, then the connection is
/// closed; another client is unaffected.
#[test]
fn malformed_input_errors_and_close() {
    let s = start_miniredis(&[]);
    let mut bystander = s.raw();
    assert_eq!(bystander.cmd(&[b"SET", b"k", b"v"]), b"+OK\r\n");
    let cases: &[(&[u8], &str)] = &[
        (
            b"*abc\r\n",
            "-ERR Protocol error: invalid multibulk length\r\n",
        ),
        (
            b"*3000000000\r\n",
            "-ERR Protocol error: invalid multibulk length\r\n",
        ),
        (
            b"*1\r\n+PING\r\n",
            "-ERR Protocol error: expected '$', got '+'\r\n",
        ),
        (
            b"*1\r\n$abc\r\n",
            "-ERR Protocol error: invalid bulk length\r\n",
        ),
        (
            b"*1\r\n$-5\r\n",
            "-ERR Protocol error: invalid bulk length\r\n",
        ),
        (
            b"*1\r\n$600000000\r\n",
            "-ERR Protocol error: invalid bulk length\r\n",
        ),
        (
            b"SET \"abc\r\n",
            "-ERR Protocol error: unbalanced quotes in request\r\n",
        ),
    ];
    for (input, want) in cases {
        let mut r = s.raw();
        r.send(input);
        assert_eq!(
            String::from_utf8_lossy(&r.read_reply()),
            *want,
            "input {:?}",
            String::from_utf8_lossy(input)
        );
        assert!(
            r.closed(),
            "closed after {:?}",
            String::from_utf8_lossy(input)
        );
    }
    let mut r = s.raw();
    r.send(&vec![b'a'; 70 * 1024]);
    assert_eq!(
        r.read_reply(),
        b"-ERR Protocol error: too big inline request\r\n"
    );
    let mut r = s.raw();
    let mut long_count = b"*".to_vec();
    long_count.extend(vec![b'1'; 70 * 1024]);
    r.send(&long_count);
    assert_eq!(
        r.read_reply(),
        b"-ERR Protocol error: too big mbulk count string\r\n"
    );
    let mut r = s.raw();
    let mut long_bulk = b"*1\r\n$".to_vec();
    long_bulk.extend(vec![b'1'; 70 * 1024]);
    r.send(&long_bulk);
    assert_eq!(
        r.read_reply(),
        b"-ERR Protocol error: too big bulk count string\r\n"
    );
    // Replies before the bad request still arrive, in order.
    let mut r = s.raw();
    r.send(b"PING\r\n*1\r\n$4\r\nPING\r\n*x\r\nPING\r\n");
    assert_eq!(r.read_reply(), b"+PONG\r\n");
    assert_eq!(r.read_reply(), b"+PONG\r\n");
    assert_eq!(
        r.read_reply(),
        b"-ERR Protocol error: invalid multibulk length\r\n"
    );
    assert!(r.closed());
    assert_eq!(bystander.cmd(&[b"GET", b"k"]), b"$1\r\nv\r\n");
}

#[test]
fn huge_and_negative_counts_and_bad_numbers_never_crash() {
    let s = start_miniredis(&[]);
    let mut r = s.raw();
    // Each with the reply redis-server 7.0.15 gives (on an empty db).
    let cases: &[(&[&[u8]], &[u8])] = &[
        (
            &[
                b"GETRANGE",
                b"k",
                b"-9223372036854775808",
                b"9223372036854775807",
            ],
            b"$0\r\n\r\n",
        ),
        (
            &[b"SETRANGE", b"k", b"9223372036854775807", b"x"],
            b"-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n",
        ),
        (
            &[b"SCAN", b"0", b"COUNT", b"9223372036854775807"],
            b"*2\r\n$1\r\n0\r\n*0\r\n",
        ),
        (
            &[b"EXPIRE", b"k", b"-9223372036854775808"],
            b"-ERR invalid expire time in 'expire' command\r\n",
        ),
        (
            &[b"INCRBYFLOAT", b"k", b"1e4933"],
            b"-ERR value is not a valid float\r\n",
        ),
        (
            &[b"SETEX", b"k", b"-9223372036854775808", b"v"],
            b"-ERR invalid expire time in 'setex' command\r\n",
        ),
        (
            &[b"SELECT", b"2147483648"],
            b"-ERR value is out of range, value must between -2147483648 and 2147483647\r\n",
        ),
        (
            &[b"LCS", b"k", b"k", b"MINMATCHLEN", b"-9223372036854775808"],
            b"$0\r\n\r\n",
        ),
        (&[b"DEBUG", b"SLEEP", b"-1"], b"+OK\r\n"),
        (&[b"OBJECT", b"ENCODING", b""], b"$-1\r\n"),
    ];
    for (args, want) in cases {
        let reply = r.cmd(args);
        assert_eq!(
            String::from_utf8_lossy(&reply),
            String::from_utf8_lossy(want),
            "{:?}",
            args.iter()
                .map(|a| String::from_utf8_lossy(a))
                .collect::<Vec<_>>()
        );
    }
    assert_eq!(r.cmd(&[b"PING"]), b"+PONG\r\n");
}

/// Redis formats the unknown-command error with %s: names and arguments
/// stop at a NUL byte.
#[test]
fn unknown_command_error_stops_at_nul() {
    let s = start_miniredis(&[]);
    let mut r = s.raw();
    assert_eq!(
        r.cmd(&[b"GE\0Tx", b"a\0b"]),
        b"-ERR unknown command 'GE', with args beginning with: 'a' \r\n"
    );
}
