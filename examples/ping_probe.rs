//! A PING latency probe for `make test-replication` (scripts/
//! replication-check.py): one connection sends PING every millisecond and
//! records each round trip until SIGTERM or SIGINT, then prints
//!     count p50_ms p99_ms p999_ms max_ms over10ms over100ms
//! as scripts/latency-probe.py does. Compiled, it adds far less jitter of
//! its own than the Python probe, so a loop pause of a millisecond shows.
//!
//! Usage: ping_probe --port P [--ready FILE] [--slow MS]
//!
//! --slow MS also prints, to stderr, each round trip over MS with its
//! time since the probe started, to line pauses up with other events.

use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: i32) {
    STOP.store(true, Ordering::SeqCst);
}

unsafe extern "C" {
    fn signal(signum: i32, handler: usize) -> usize;
}

fn main() {
    let mut port = None;
    let mut ready = None;
    let mut slow: Option<f64> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--port" => port = args.next().and_then(|p| p.parse::<u16>().ok()),
            "--ready" => ready = args.next(),
            "--slow" => slow = args.next().and_then(|v| v.parse::<f64>().ok()),
            _ => {}
        }
    }
    let Some(port) = port else {
        eprintln!("usage: ping_probe --port P [--ready FILE]");
        std::process::exit(2);
    };
    // SAFETY: the handler only stores to an atomic, which is signal-safe.
    unsafe {
        signal(15, on_signal as *const () as usize);
        signal(2, on_signal as *const () as usize);
    }
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_nodelay(true).expect("nodelay");
    if let Some(f) = ready {
        std::fs::write(f, b"").expect("ready file");
    }
    let mut rtts: Vec<f64> = Vec::new();
    let start = Instant::now();
    let mut buf = [0u8; 64];
    while !STOP.load(Ordering::SeqCst) {
        let t = Instant::now();
        if s.write_all(b"PING\r\n").is_err() {
            break;
        }
        // "+PONG\r\n": read until the line ends.
        let mut got = 0;
        while got < 7 {
            match s.read(&mut buf[got..]) {
                Ok(0) | Err(_) => {
                    got = usize::MAX;
                    break;
                }
                Ok(n) => got += n,
            }
        }
        if got == usize::MAX {
            break;
        }
        let rtt = t.elapsed().as_secs_f64() * 1000.0;
        if slow.is_some_and(|ms| rtt > ms) {
            eprintln!("{:.3} {:.3}", t.duration_since(start).as_secs_f64(), rtt);
        }
        rtts.push(rtt);
        std::thread::sleep(Duration::from_millis(1));
    }
    let max = rtts.iter().copied().fold(0.0, f64::max);
    let over = |ms: f64| rtts.iter().filter(|&&r| r > ms).count();
    let mut sorted = rtts.clone();
    sorted.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        if sorted.is_empty() {
            0.0
        } else {
            sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
        }
    };
    println!(
        "{} {:.3} {:.3} {:.3} {:.3} {} {}",
        rtts.len(),
        pct(0.50),
        pct(0.99),
        pct(0.999),
        max,
        over(10.0),
        over(100.0)
    );
}
