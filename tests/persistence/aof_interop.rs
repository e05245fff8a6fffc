//! AOF interop with a real redis-server 7.0.15, both ways, under a mixed
//! seeded workload (every type, TTLs that run out mid-run, transactions,
//! blocked clients served by pushes, two databases, rewrites mid-run): the
//! loading server must end up holding the same dataset the writing one
//! held, every key's type, value and absolute expiry. Both layouts: Redis
//! 7.0's directory (RDB base or command base) and our single file.
//! `AOF_SEED=n` replays a run; `AOF_OPS` sets its length.

use super::tmpdir;
use crate::common::{self, Raw, start_miniredis, wait_for};
use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::Duration;

/// xorshift64*: deterministic for a seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }
}

/// One random write (or a transaction of them) as a command line.
fn random_command(rng: &mut Rng) -> Vec<String> {
    let s = |v: &str| v.to_string();
    let key = |rng: &mut Rng, prefix: &str| format!("{prefix}{}", rng.below(12));
    let val = |rng: &mut Rng| {
        if rng.below(10) == 0 {
            // Big enough to leave the small encodings.
            "v".repeat(70 + rng.below(30) as usize)
        } else {
            format!("{}", rng.below(1000))
        }
    };
    let any = ["s", "l", "h", "t", "z"];
    let kind = rng.pick(&any);
    let kind3 = rng.pick(&any[..3]);
    match rng.below(50) {
        0 => vec![s("SET"), key(rng, "s"), val(rng)],
        1 => vec![
            s("SET"),
            key(rng, "s"),
            val(rng),
            s("PX"),
            format!("{}", 20 + rng.below(200)),
        ],
        2 => vec![
            s("SET"),
            key(rng, "s"),
            val(rng),
            s("EX"),
            format!("{}", 1000 + rng.below(1000)),
        ],
        3 => vec![s("INCRBY"), key(rng, "n"), format!("{}", rng.below(100))],
        4 => vec![s("INCRBYFLOAT"), key(rng, "f"), s("1.5")],
        5 => vec![s("APPEND"), key(rng, "s"), val(rng)],
        6 => vec![s("DEL"), key(rng, kind)],
        7 => vec![
            s("PEXPIRE"),
            key(rng, kind),
            format!("{}", 20 + rng.below(200)),
        ],
        8 => vec![
            s("EXPIRE"),
            key(rng, kind),
            format!("{}", 1000 + rng.below(1000)),
        ],
        9 => vec![s("PERSIST"), key(rng, kind3)],
        10 => vec![s("RENAME"), key(rng, "s"), key(rng, "s")],
        11 => vec![
            s("GETEX"),
            key(rng, "s"),
            s("PX"),
            format!("{}", 20 + rng.below(200)),
        ],
        12 | 13 => vec![
            s(rng.pick(&["LPUSH", "RPUSH"])),
            key(rng, "l"),
            val(rng),
            val(rng),
        ],
        14 => vec![s(rng.pick(&["LPOP", "RPOP"])), key(rng, "l")],
        15 => vec![
            s("LMOVE"),
            key(rng, "l"),
            key(rng, "l"),
            s(rng.pick(&["LEFT", "RIGHT"])),
            s(rng.pick(&["LEFT", "RIGHT"])),
        ],
        16 => vec![
            s("LTRIM"),
            key(rng, "l"),
            s("0"),
            format!("{}", rng.below(5)),
        ],
        17 => vec![s("LSET"), key(rng, "l"), s("0"), val(rng)],
        18 | 19 => vec![
            s("HSET"),
            key(rng, "h"),
            format!("f{}", rng.below(20)),
            val(rng),
        ],
        20 => vec![s("HDEL"), key(rng, "h"), format!("f{}", rng.below(20))],
        21 => vec![s("HINCRBYFLOAT"), key(rng, "h"), s("fl"), s("0.25")],
        22 | 23 => vec![
            s("SADD"),
            key(rng, "t"),
            format!("{}", rng.below(30)),
            format!("m{}", rng.below(30)),
        ],
        24 => vec![s("SREM"), key(rng, "t"), format!("{}", rng.below(30))],
        25 => vec![s("SPOP"), key(rng, "t"), format!("{}", 1 + rng.below(3))],
        26 => vec![
            s("SMOVE"),
            key(rng, "t"),
            key(rng, "t"),
            format!("m{}", rng.below(30)),
        ],
        27 => vec![
            s(rng.pick(&["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"])),
            key(rng, "t"),
            key(rng, "t"),
            key(rng, "t"),
        ],
        28 | 29 => {
            let mut v = vec![s("ZADD"), key(rng, "z")];
            let most = if rng.below(8) == 0 { 150 } else { 3 };
            for _ in 0..1 + rng.below(most) {
                v.push(format!("{}.5", rng.below(100)));
                v.push(format!("m{}", rng.below(200)));
            }
            v
        }
        30 => vec![
            s("ZINCRBY"),
            key(rng, "z"),
            s("2.25"),
            format!("m{}", rng.below(200)),
        ],
        31 => vec![s(rng.pick(&["ZPOPMIN", "ZPOPMAX"])), key(rng, "z")],
        32 => vec![
            s("ZREMRANGEBYSCORE"),
            key(rng, "z"),
            s("0"),
            format!("{}", rng.below(30)),
        ],
        33 => vec![
            s(rng.pick(&["ZUNIONSTORE", "ZINTERSTORE"])),
            key(rng, "z"),
            s("2"),
            key(rng, "z"),
            key(rng, "z"),
        ],
        34 => vec![
            s("ZRANGESTORE"),
            key(rng, "z"),
            key(rng, "z"),
            s("0"),
            s("3"),
        ],
        35 => vec![s("COPY"), key(rng, "s"), key(rng, "s"), s("REPLACE")],
        36 => vec![s("MOVE"), key(rng, "s"), s("1")],
        37 => vec![s("SELECT"), format!("{}", rng.below(2))],
        38 => vec![s("HINCRBY"), key(rng, "h"), s("cnt"), s("3")],
        // A script of two of these commands: the AOF gets their effects
        // (inside MULTI/EXEC), never the EVAL, and replays without Lua.
        39 | 40 => {
            let lit = |v: &String| {
                let mut out = String::from("\"");
                for &b in v.as_bytes() {
                    out.push_str(&format!("\\{b}"));
                }
                out.push('"');
                out
            };
            let call = |c: &Vec<String>| {
                let args: Vec<String> = c.iter().map(lit).collect();
                format!("redis.pcall({})", args.join(", "))
            };
            let (a, b) = (random_command(rng), random_command(rng));
            vec![
                s("EVAL"),
                format!("{} {} return 1", call(&a), call(&b)),
                s("0"),
            ]
        }
        // Streams: generated IDs go out as the IDs they became, `~`
        // trims as the exact trims they did, group reads as XCLAIMs.
        42 | 43 => {
            // Trimmed streams ("y") have no groups: an entry trimmed while
            // pending stays in the PEL, but no AOF (Redis's either) can
            // claim an entry that is gone, so it would not replay.
            let trimmed = rng.below(2) == 0;
            let mut v = vec![s("XADD"), key(rng, if trimmed { "y" } else { "x" })];
            if trimmed {
                match rng.below(2) {
                    0 => v.extend([s("MAXLEN"), s("~"), format!("{}", rng.below(30))]),
                    _ => v.extend([s("MAXLEN"), format!("{}", 5 + rng.below(30))]),
                }
            }
            v.extend([s("*"), s("f"), val(rng), s("g"), val(rng)]);
            v
        }
        44 => vec![
            s("XGROUP"),
            s("CREATE"),
            key(rng, "x"),
            format!("g{}", rng.below(2)),
            s(rng.pick(&["0", "$"])),
            s("MKSTREAM"),
        ],
        45 | 46 => vec![
            s("XREADGROUP"),
            s("GROUP"),
            format!("g{}", rng.below(2)),
            format!("c{}", rng.below(3)),
            s("COUNT"),
            format!("{}", 1 + rng.below(3)),
            s("STREAMS"),
            key(rng, "x"),
            s(">"),
        ],
        47 => vec![
            s("XAUTOCLAIM"),
            key(rng, "x"),
            format!("g{}", rng.below(2)),
            format!("c{}", rng.below(3)),
            s("0"),
            s("0"),
            s("COUNT"),
            s("2"),
        ],
        48 => vec![s("XTRIM"), key(rng, "y"), s("MAXLEN"), s("~"), s("10")],
        _ => vec![s("SPOP"), key(rng, "t")],
    }
}

/// Run `argv` on `r` and read its reply (errors such as WRONGTYPE are part
/// of the workload).
fn run(r: &mut Raw, argv: &[String]) -> Vec<u8> {
    let refs: Vec<&[u8]> = argv.iter().map(|a| a.as_bytes()).collect();
    r.cmd(&refs)
}

/// Every live key of databases 0 and 1: (db, key) → (type, value, expiry).
type Dataset = BTreeMap<(u8, String), (String, String, i64)>;

fn dump(port: u16) -> Dataset {
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}/")).unwrap();
    let mut con = client.get_connection().unwrap();
    let mut out = Dataset::new();
    for db in 0..2u8 {
        redis::cmd("SELECT").arg(db).query::<()>(&mut con).unwrap();
        let keys: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut con).unwrap();
        for k in keys {
            let t: String = redis::cmd("TYPE").arg(&k).query(&mut con).unwrap();
            let v: String = match t.as_str() {
                "string" => redis::cmd("GET").arg(&k).query(&mut con).unwrap(),
                "list" => {
                    let v: Vec<String> = redis::cmd("LRANGE")
                        .arg(&k)
                        .arg(0)
                        .arg(-1)
                        .query(&mut con)
                        .unwrap();
                    v.join(",")
                }
                "hash" => {
                    let mut v: Vec<(String, String)> =
                        redis::cmd("HGETALL").arg(&k).query(&mut con).unwrap();
                    v.sort();
                    format!("{v:?}")
                }
                "set" => {
                    let mut v: Vec<String> =
                        redis::cmd("SMEMBERS").arg(&k).query(&mut con).unwrap();
                    v.sort();
                    v.join(",")
                }
                "zset" => {
                    let v: Vec<String> = redis::cmd("ZRANGE")
                        .arg(&k)
                        .arg(0)
                        .arg(-1)
                        .arg("WITHSCORES")
                        .query(&mut con)
                        .unwrap();
                    v.join(",")
                }
                "stream" => stream_state(&mut con, &k),
                "none" => continue,
                other => panic!("unexpected type {other}"),
            };
            let exp: i64 = redis::cmd("PEXPIRETIME").arg(&k).query(&mut con).unwrap();
            if exp == -2 {
                continue;
            }
            out.insert((db, k), (t, v, exp));
        }
    }
    out
}

/// A stream's entries, counters and groups with their pending entries
/// (not times: idle and seen-times differ between two servers).
fn stream_state(con: &mut redis::Connection, k: &str) -> String {
    let entries: redis::Value = redis::cmd("XRANGE")
        .arg(k)
        .arg("-")
        .arg("+")
        .query(con)
        .unwrap();
    let info: Vec<redis::Value> = redis::cmd("XINFO").arg("STREAM").arg(k).query(con).unwrap();
    // Node counts depend on how trims went: `~` replays as `=`.
    let info: Vec<String> = info
        .chunks(2)
        .filter(|p| !matches!(&p[0], redis::Value::BulkString(n) if n.starts_with(b"radix")))
        .map(|p| format!("{:?}", p))
        .collect();
    // A group's entries-read (and the lag computed from it) does not
    // survive an AOF in Redis 7.0 either: reads replay as XCLAIM ... LASTID,
    // which moves the last ID and leaves the counter.
    let names: Vec<Vec<redis::Value>> =
        redis::cmd("XINFO").arg("GROUPS").arg(k).query(con).unwrap();
    let groups: Vec<String> = names
        .iter()
        .map(|g| {
            g.chunks(2)
                .filter(|p| {
                    !matches!(&p[0], redis::Value::BulkString(n) if n == b"entries-read" || n == b"lag")
                })
                .map(|p| format!("{:?}", p))
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    let mut out = format!("{entries:?} {info:?} {groups:?}");
    for g in names {
        if let Some(redis::Value::BulkString(name)) = g.get(1) {
            let pel: Vec<(String, String, i64, i64)> = redis::cmd("XPENDING")
                .arg(k)
                .arg(name.as_slice())
                .arg("-")
                .arg("+")
                .arg(10_000)
                .query(con)
                .unwrap();
            let pel: Vec<(String, String, i64)> =
                pel.into_iter().map(|(id, c, _, n)| (id, c, n)).collect();
            out.push_str(&format!(" {pel:?}"));
        }
    }
    out
}

fn seed_and_ops() -> (u64, usize) {
    let seed: u64 = std::env::var("AOF_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| std::process::id() as u64 * 2_654_435_761 + 1);
    let ops: usize = std::env::var("AOF_OPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3000);
    eprintln!("AOF_SEED={seed} AOF_OPS={ops}");
    (seed, ops)
}

fn info_has(r: &mut Raw, what: &str) -> bool {
    String::from_utf8_lossy(&r.cmd(&[b"INFO", b"persistence"])).contains(what)
}

/// The seeded workload against the server on `port`; with `rewrite_every`,
/// a BGREWRITEAOF every so many ops (waited for, so the next starts). Ends
/// once every short TTL has run out. How many blocked clients were served.
fn drive(port: u16, seed: u64, ops: usize, rewrite_every: Option<usize>) -> usize {
    let mut rng = Rng(seed | 1);
    let mut w = Raw::connect(port);
    let mut blocker = Raw::connect(port);
    let mut admin = Raw::connect(port);
    // A blocked client waiting on a list, a sorted set or a move; served
    // by a later push from the writer.
    let mut waiting: Option<&str> = None;
    let mut served = 0;
    // The writer's selected db (the blocker stays in db 0).
    let mut wdb = "0".to_string();
    for i in 0..ops {
        if let Some(every) = rewrite_every
            && i > 0
            && i % every == 0
        {
            assert!(wait_for(Duration::from_secs(20), || info_has(
                &mut admin,
                "aof_rewrite_in_progress:0"
            ) && !info_has(
                &mut admin,
                "aof_rewrite_scheduled:1"
            )));
            let reply = admin.cmd(&[b"BGREWRITEAOF"]);
            assert!(reply.starts_with(b"+Background"), "{reply:?}");
        }
        if waiting.is_none() && rng.below(40) == 0 {
            let (cmd, what): (&[&[u8]], &str) = match rng.below(3) {
                0 => (&[b"BLPOP", b"bl", b"0"], "bl"),
                1 => (&[b"BZPOPMIN", b"bz", b"0"], "bz"),
                _ => (&[b"BLMOVE", b"bm", b"l0", b"LEFT", b"RIGHT", b"0"], "bm"),
            };
            blocker.send_cmd(cmd);
            assert!(wait_for(Duration::from_secs(5), || {
                String::from_utf8_lossy(&admin.cmd(&[b"INFO", b"clients"]))
                    .contains("blocked_clients:1\r\n")
            }));
            waiting = Some(what);
        }
        if let Some(what) = waiting
            && i % 7 == 0
        {
            // Served inside a transaction half the time.
            let push: Vec<String> = match what {
                "bz" => vec!["ZADD".into(), "bz".into(), "1".into(), format!("p{i}")],
                _ => vec!["RPUSH".into(), what.into(), format!("p{i}")],
            };
            run(&mut w, &["SELECT".to_string(), "0".to_string()]);
            if rng.below(2) == 0 {
                run(&mut w, &["MULTI".to_string()]);
                run(&mut w, &push);
                run(&mut w, &random_command(&mut rng));
                run(&mut w, &["EXEC".to_string()]);
            } else {
                run(&mut w, &push);
            }
            run(&mut w, &["SELECT".to_string(), wdb.clone()]);
            let reply = blocker.read_reply();
            assert!(
                reply.starts_with(b"*") || reply.starts_with(b"$"),
                "{reply:?}"
            );
            waiting = None;
            served += 1;
        }
        if rng.below(15) == 0 {
            run(&mut w, &["MULTI".to_string()]);
            for _ in 0..2 + rng.below(3) {
                let c = random_command(&mut rng);
                if c[0] != "SELECT" {
                    run(&mut w, &c);
                }
            }
            run(&mut w, &["EXEC".to_string()]);
        } else {
            let c = random_command(&mut rng);
            if c[0] == "SELECT" {
                wdb = c[1].clone();
            }
            run(&mut w, &c);
        }
    }
    // A client still waiting stays blocked; it is dropped with the server.
    // Let every short TTL run out, so nothing expires between the dumps.
    let now_ms = |r: &mut Raw| {
        let t = String::from_utf8_lossy(&r.cmd(&[b"TIME"])).to_string();
        let p: Vec<&str> = t.split("\r\n").collect();
        p[2].parse::<u64>().unwrap() * 1000 + p[4].parse::<u64>().unwrap() / 1000
    };
    let until = now_ms(&mut w) + 400;
    assert!(wait_for(Duration::from_secs(10), || now_ms(&mut admin) > until));
    // The last rewrite is in before the dataset is compared.
    assert!(wait_for(Duration::from_secs(20), || info_has(
        &mut admin,
        "aof_rewrite_in_progress:0"
    ) && !info_has(
        &mut admin,
        "aof_rewrite_scheduled:1"
    )));
    served
}

/// redis-server 7.0.15 on a free port in `dir`, with `args`.
fn spawn_redis(dir: &std::path::Path, args: &[&str]) -> (std::process::Child, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--dir", dir.to_str().unwrap()])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    assert!(wait_for(Duration::from_secs(10), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
            && Raw::connect(port).q("PING") == "+PONG\r\n"
    }));
    (child, port)
}

/// Stop redis-server the way a user does (SHUTDOWN: the AOF is flushed).
fn shutdown_redis(mut child: std::process::Child, port: u16) {
    let mut r = Raw::connect(port);
    r.send(b"SHUTDOWN\r\n");
    let _ = child.wait();
}

fn assert_same(seed: u64, what: &str, ours: &Dataset, theirs: &Dataset) {
    let only_ours: Vec<_> = ours
        .iter()
        .filter(|(k, v)| theirs.get(k) != Some(v))
        .take(5)
        .collect();
    let only_theirs: Vec<_> = theirs
        .iter()
        .filter(|(k, v)| ours.get(k) != Some(v))
        .take(5)
        .collect();
    assert!(
        only_ours.is_empty() && only_theirs.is_empty(),
        "AOF_SEED={seed} {what}: datasets differ ({} keys in miniredis, {} in Redis)\nminiredis: {only_ours:?}\nredis: {only_theirs:?}",
        ours.len(),
        theirs.len()
    );
}

/// redis-check-aof accepts `path` (a manifest or a single file).
fn check_aof(path: &std::path::Path) {
    let out = Command::new("redis-check-aof").arg(path).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && (text.contains("is valid") || text.contains("are valid")),
        "redis-check-aof {}: {text}",
        path.display()
    );
}

#[test]
fn redis_server_loads_our_aof_into_the_same_dataset() {
    if !common::redis_server_available() {
        return;
    }
    let (seed, ops) = seed_and_ops();
    let dir = tmpdir("aof-interop");
    let path = dir.join("appendonly.aof");
    let s = start_miniredis(&[
        "--aof",
        path.to_str().unwrap(),
        "--appendfsync",
        "always",
        "--save",
        "",
    ]);
    let served = drive(s.port, seed, ops, None);
    let ours = dump(s.port);
    assert!(ours.len() > 10, "the workload left data: {}", ours.len());
    assert!(served > 0, "some blocked clients were served");
    let mut admin = s.raw();
    admin.send(b"SHUTDOWN\r\n");
    assert!(admin.closed());
    drop(s);
    check_aof(&path);
    // The workload's scripts are in the file as their effects only.
    let bytes = std::fs::read(&path).unwrap();
    let has = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    assert!(!has(b"\r\nEVAL\r\n"), "no EVAL in the AOF");
    assert!(has(b"\r\nMULTI\r\n"), "scripts' effects inside MULTI/EXEC");
    // Redis 7.0 takes an old-style appendonly.aof in `dir` as its base.
    let (child, port) = spawn_redis(&dir, &["--appendonly", "yes"]);
    let theirs = dump(port);
    shutdown_redis(child, port);
    assert_same(seed, "single file", &ours, &theirs);
    let _ = std::fs::remove_dir_all(dir);
}

/// Redis 7.0's directory layout, both ways, with and without the RDB
/// preamble, rewrites mid-run: what one server wrote, the other loads into
/// the same dataset; redis-check-aof accepts our directory.
#[test]
fn the_directory_layout_moves_between_redis_and_us_both_ways() {
    if !common::redis_server_available() {
        return;
    }
    let (seed, ops) = seed_and_ops();
    for preamble in ["yes", "no"] {
        let layout = ["--appendonly", "yes", "--aof-use-rdb-preamble", preamble];
        // miniredis writes, redis-server loads.
        let dir = tmpdir(&format!("aof-dir-ours-{preamble}"));
        let mut args = vec!["--dir", dir.to_str().unwrap(), "--save", ""];
        args.extend(layout);
        args.extend(["--appendfsync", "everysec"]);
        let s = start_miniredis(&args);
        drive(s.port, seed, ops, Some(ops / 3));
        let ours = dump(s.port);
        assert!(ours.len() > 10, "the workload left data: {}", ours.len());
        let mut admin = s.raw();
        admin.send(b"SHUTDOWN\r\n");
        assert!(admin.closed());
        drop(s);
        let manifest = dir.join("appendonlydir/appendonly.aof.manifest");
        let text = std::fs::read_to_string(&manifest).unwrap();
        let base_ext = if preamble == "yes" {
            ".base.rdb"
        } else {
            ".base.aof"
        };
        assert!(
            text.lines().next().unwrap().contains(base_ext) && !text.contains(" type h"),
            "{text}"
        );
        check_aof(&manifest);
        let (child, port) = spawn_redis(&dir, &layout);
        let theirs = dump(port);
        shutdown_redis(child, port);
        assert_same(
            seed,
            &format!("ours -> redis, preamble {preamble}"),
            &ours,
            &theirs,
        );
        let _ = std::fs::remove_dir_all(&dir);

        // redis-server writes, miniredis loads.
        let dir = tmpdir(&format!("aof-dir-theirs-{preamble}"));
        let (child, port) = spawn_redis(&dir, &layout);
        drive(port, seed ^ 0x5eed, ops, Some(ops / 3));
        let theirs = dump(port);
        shutdown_redis(child, port);
        let mut args = vec!["--dir", dir.to_str().unwrap(), "--save", ""];
        args.extend(layout);
        let s = start_miniredis(&args);
        let ours = dump(s.port);
        drop(s);
        assert_same(
            seed ^ 0x5eed,
            &format!("redis -> ours, preamble {preamble}"),
            &ours,
            &theirs,
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
