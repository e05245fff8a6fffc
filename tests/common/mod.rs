//! Shared test harness: start the built miniredis (or a reference
//! redis-server) on a free port, wait until it says it is ready, kill it on
//! drop; and a raw RESP client that returns each reply's exact bytes.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running server process.
pub struct Proc {
    pub child: Child,
    pub port: u16,
    pub stdout_lines: Vec<String>,
    /// The scratch directory the server ran in, removed on drop.
    pub dir: Option<std::path::PathBuf>,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(d) = &self.dir {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

impl Proc {
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
    pub fn raw(&self) -> Raw {
        Raw::connect(self.port)
    }
    pub fn client(&self) -> redis::Connection {
        let c = redis::Client::open(format!("redis://127.0.0.1:{}/", self.port)).expect("client");
        c.get_connection().expect("connection")
    }
}

/// Start miniredis with `args` (a config file may come first) on a free
/// port (`--port 0`): the banner tells us the port it got.
pub fn start_miniredis(args: &[&str]) -> Proc {
    // Each server runs in a fresh directory, so a dump.rdb written at
    // shutdown never leaks into another test.
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "miniredis-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    ));
    let _ = std::fs::create_dir_all(&dir);
    let mut child = Command::new(env!("CARGO_BIN_EXE_miniredis"))
        .current_dir(&dir)
        .args(args)
        // As Redis's own test servers: DEBUG allowed unless a test says
        // (after the arguments: a config file must come first).
        .args(if args.contains(&"--enable-debug-command") {
            &[][..]
        } else {
            &["--enable-debug-command", "yes"][..]
        })
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn miniredis");
    let stdout = child.stdout.take().expect("stdout");
    let mut reader = BufReader::new(stdout);
    let mut lines = Vec::new();
    let mut port = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            panic!("miniredis exited before it was ready: {lines:?}");
        }
        let line = line.trim_end().to_string();
        if let Some(p) = line.strip_prefix("Port: ") {
            port = p.parse().expect("port");
        }
        let ready = line == "Ready to accept connections";
        lines.push(line);
        if ready {
            break;
        }
    }
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || {
        let mut sink = Vec::new();
        let _ = reader.read_to_end(&mut sink);
    });
    Proc {
        child,
        port,
        stdout_lines: lines,
        dir: Some(dir),
    }
}

/// Is the reference redis-server 7.0 installed? It must be: the
/// differential tests compare against it and never pass by skipping.
/// `MINIREDIS_SKIP_REDIS=1` is the explicit opt-out (the comparisons are
/// then skipped, loudly); another version is refused, since its
/// differences would read as our bugs.
pub fn redis_server_available() -> bool {
    let out = Command::new("redis-server").arg("--version").output();
    let version = out
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
    let opt_out = std::env::var("MINIREDIS_SKIP_REDIS").is_ok_and(|v| v == "1");
    match version {
        Some(v) if v.contains("v=7.0.") => true,
        Some(v) if !opt_out => panic!(
            "the differential tests need redis-server 7.0.x, found: {}\n(MINIREDIS_SKIP_REDIS=1 skips them)",
            v.trim()
        ),
        None if !opt_out => panic!(
            "redis-server is not installed: the differential tests cannot run.\nInstall it: apt-get update && apt-get install -y redis-server redis-tools\n(or run `make test`, which does; MINIREDIS_SKIP_REDIS=1 skips them)"
        ),
        _ => {
            eprintln!(
                "\n*** MINIREDIS_SKIP_REDIS=1: comparisons with redis-server are SKIPPED ***\n"
            );
            false
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// Start the reference redis-server 7.0 on a free port, with no persistence.
pub fn start_redis_server() -> Proc {
    for _ in 0..20 {
        let port = free_port();
        // A directory of its own: a DEBUG RELOAD or SAVE in one test must
        // not leave a dump.rdb the next server would load.
        let dir = std::env::temp_dir().join(format!("miniredis-ref-{}-{port}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::remove_file(dir.join("dump.rdb"));
        let mut child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .args([
                "--daemonize",
                "no",
                "--protected-mode",
                "no",
                // DEBUG allowed on both servers, as in Redis's own tests.
                "--enable-debug-command",
                "yes",
                "--loglevel",
                "notice",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .current_dir(&dir)
            .spawn()
            .expect("spawn redis-server");
        let stdout = child.stdout.take().expect("stdout");
        let mut reader = BufReader::new(stdout);
        let mut ready = false;
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                break;
            }
            if line.contains("Ready to accept connections") {
                ready = true;
                break;
            }
            lines.push(line);
        }
        if ready {
            std::thread::spawn(move || {
                let mut sink = Vec::new();
                let _ = reader.read_to_end(&mut sink);
            });
            return Proc {
                child,
                port,
                stdout_lines: lines,
                dir: None,
            };
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    panic!("could not start redis-server");
}

/// A raw connection: send bytes, read whole replies as exact bytes.
pub struct Raw {
    pub sock: TcpStream,
    pub buf: Vec<u8>,
}

impl Raw {
    pub fn connect(port: u16) -> Raw {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match TcpStream::connect(("127.0.0.1", port)) {
                Ok(sock) => {
                    sock.set_read_timeout(Some(Duration::from_secs(30))).ok();
                    sock.set_nodelay(true).ok();
                    return Raw {
                        sock,
                        buf: Vec::new(),
                    };
                }
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(e) => panic!("connect {port}: {e}"),
            }
        }
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.sock.write_all(bytes).expect("write");
    }

    /// Send one command as a multibulk request.
    pub fn send_cmd(&mut self, args: &[&[u8]]) {
        self.send(&encode(args));
    }

    /// Send a command and return its reply's bytes.
    pub fn cmd(&mut self, args: &[&[u8]]) -> Vec<u8> {
        self.send_cmd(args);
        self.read_reply()
    }

    /// `cmd` with string arguments split on spaces.
    pub fn q(&mut self, line: &str) -> String {
        let args: Vec<&[u8]> = line.split(' ').map(|a| a.as_bytes()).collect();
        String::from_utf8_lossy(&self.cmd(&args)).into_owned()
    }

    fn fill(&mut self) -> bool {
        let mut tmp = [0u8; 65536];
        match self.sock.read(&mut tmp) {
            Ok(0) => false,
            Ok(n) => {
                self.buf.extend_from_slice(&tmp[..n]);
                true
            }
            // A signal meant for a child process can land on this thread.
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => true,
            Err(e) => panic!("read: {e}"),
        }
    }

    /// The exact bytes of the next complete reply.
    pub fn read_reply(&mut self) -> Vec<u8> {
        loop {
            if let Some(n) = reply_len(&self.buf, 0) {
                return self.buf.drain(..n).collect();
            }
            if !self.fill() {
                panic!(
                    "connection closed; partial: {:?}",
                    String::from_utf8_lossy(&self.buf)
                );
            }
        }
    }

    /// Write without panicking (for writers racing a crash).
    pub fn sock_write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.sock.write_all(bytes)
    }

    /// The next reply, or None if the connection ended or failed.
    pub fn try_read_reply(&mut self) -> Option<Vec<u8>> {
        loop {
            if let Some(n) = reply_len(&self.buf, 0) {
                return Some(self.buf.drain(..n).collect());
            }
            let mut tmp = [0u8; 65536];
            match self.sock.read(&mut tmp) {
                Ok(0) | Err(_) => return None,
                Ok(n) => self.buf.extend_from_slice(&tmp[..n]),
            }
        }
    }

    /// True when the server closed the connection (after any pending bytes).
    pub fn closed(&mut self) -> bool {
        let mut tmp = [0u8; 1024];
        loop {
            match self.sock.read(&mut tmp) {
                Ok(0) => return true,
                Ok(n) => self.buf.extend_from_slice(&tmp[..n]),
                Err(_) => return false,
            }
        }
    }
}

pub fn encode(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Length of the complete RESP2/RESP3 value at `pos`, if it is all there.
pub fn reply_len(buf: &[u8], pos: usize) -> Option<usize> {
    let line_end = pos + buf.get(pos..)?.windows(2).position(|w| w == b"\r\n")?;
    let head = *buf.get(pos)?;
    let num = || {
        std::str::from_utf8(&buf[pos + 1..line_end])
            .ok()?
            .parse::<i64>()
            .ok()
    };
    let after = line_end + 2;
    match head {
        b'+' | b'-' | b':' | b',' | b'_' | b'#' | b'(' => Some(after - pos),
        b'$' | b'=' | b'!' => {
            let n = num()?;
            if n < 0 {
                return Some(after - pos);
            }
            let end = after + n as usize + 2;
            if buf.len() >= end {
                Some(end - pos)
            } else {
                None
            }
        }
        b'*' | b'~' | b'>' | b'%' | b'|' => {
            let n = num()?;
            if n < 0 {
                return Some(after - pos);
            }
            let items = if head == b'%' || head == b'|' {
                n * 2
            } else {
                n
            };
            let mut p = after;
            for _ in 0..items {
                p += reply_len(buf, p)?;
            }
            Some(p - pos)
        }
        _ => Some(after - pos),
    }
}

/// Poll `f` until it returns true or `timeout` passes.
pub fn wait_for(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    f()
}
