//! The `miniredis` binary: parse flags and the config file, print the
//! banner, bind, and run the event loop until shutdown.

use log::{error, info};
use miniredis::config::Config;
use miniredis::event_loop::{EventLoop, install_signal_handlers};
use miniredis::server::Server;
use std::io::Write;
use std::process::ExitCode;

#[global_allocator]
static GLOBAL: miniredis::alloc::CountingAlloc = miniredis::alloc::CountingAlloc;

const USAGE: &str = "Usage: miniredis [/path/to/redis.conf] [options]
       miniredis --port 6379 [--bind ADDR ...] [--aof PATH]
       miniredis -v | --version
       miniredis -h | --help

Options (any redis.conf directive also works as --directive value):
  --port N            TCP port (default 6379; 0 picks a free port)
  --bind ADDR ...     addresses to listen on (default 127.0.0.1)
  --databases N       number of databases (default 16)
  --dir DIR           working directory for data files
  --loglevel LEVEL    debug | verbose | notice | warning | nothing
  --aof PATH          append-only file to log writes to
  --aof-load-until TIME  start with the AOF's data as it was at TIME (Unix
                      seconds or ISO-8601), files untouched, appendonly off
  --save \"SECS CHANGES ...\"  snapshot points ('' turns them off)
  --appendonly yes|no, --appendfsync always|everysec|no

Examples:
  miniredis --port 6380
  miniredis /etc/redis/redis.conf --loglevel verbose";

/// Startup failures: 2 for bad usage, 1 for the environment.
enum StartError {
    Usage(String),
    Env(String),
}

fn parse_args() -> Result<Option<(Config, Option<String>)>, StartError> {
    use lexopt::prelude::*;
    let mut parser = lexopt::Parser::from_env();
    let mut config_file: Option<String> = None;
    // Directives from flags, applied after the file, in order.
    let mut directives: Vec<(String, Vec<String>)> = Vec::new();
    let mut first = true;
    while let Some(arg) = parser
        .next()
        .map_err(|e| StartError::Usage(e.to_string()))?
    {
        match arg {
            Short('h') | Long("help") => {
                println!("{USAGE}");
                return Ok(None);
            }
            Short('v') | Long("version") => {
                println!(
                    "miniredis v={} (Redis 7.0.15 protocol)",
                    env!("CARGO_PKG_VERSION")
                );
                return Ok(None);
            }
            Long(name) => {
                let name = name.to_string();
                let value = parser
                    .value()
                    .map_err(|_| StartError::Usage(format!("option '--{name}' requires a value")))?
                    .string()
                    .map_err(|_| {
                        StartError::Usage(format!(
                            "option '--{name}' has a value that is not UTF-8"
                        ))
                    })?;
                directives.push((name, vec![value]));
            }
            Value(v) => {
                let v = v
                    .string()
                    .map_err(|_| StartError::Usage("argument is not UTF-8".into()))?;
                if first && config_file.is_none() {
                    config_file = Some(v);
                } else if let Some((_, args)) = directives.last_mut() {
                    // `--save 3600 1 300 100`: extra words belong to the last flag.
                    args.push(v);
                } else {
                    return Err(StartError::Usage(format!("unexpected argument '{v}'")));
                }
            }
            Short(c) => return Err(StartError::Usage(format!("unknown option '-{c}'"))),
        }
        first = false;
    }
    let mut config = Config::default();
    if let Some(path) = &config_file {
        let text = std::fs::read_to_string(path).map_err(|e| {
            StartError::Env(format!("Fatal error, can't open config file '{path}': {e}"))
        })?;
        config
            .load_text(&text)
            .map_err(|e| StartError::Usage(format!("Bad config file '{path}': {e}")))?;
    }
    for (name, args) in directives {
        if name == "aof" {
            config.appendonly = true;
            config.aof_file = Some(args.join(" "));
            continue;
        }
        if name == "aof-load-until" {
            let when = args.join(" ");
            config.aof_load_until = Some(
                miniredis::util::time::parse_point_in_time(&when).ok_or_else(|| {
                    StartError::Usage(format!(
                        "Bad option '--aof-load-until {when}': give Unix seconds or an ISO-8601 date-time such as 2026-12-06T15:04:05Z"
                    ))
                })?,
            );
            continue;
        }
        if name == "user" {
            config.add_user_line(&args).map_err(|e| {
                StartError::Usage(format!("Bad option '--user {}': {e}", args.join(" ")))
            })?;
            continue;
        }
        config.apply(&name, &args).map_err(|e| {
            StartError::Usage(format!("Bad option '--{name} {}': {e}", args.join(" ")))
        })?;
    }
    // Kept absolute (CONFIG REWRITE writes it after a --dir chdir), as
    // Redis's getAbsolutePath.
    let config_file = config_file.map(|p| {
        std::fs::canonicalize(&p)
            .map(|a| a.display().to_string())
            .unwrap_or(p)
    });
    Ok(Some((config, config_file)))
}

fn init_logging(level: &str) {
    let filter = match level {
        "debug" => "debug",
        "verbose" => "info",
        "notice" => "info",
        "warning" => "warn",
        "nothing" => "off",
        _ => "info",
    };
    let env = env_logger::Env::default().default_filter_or(filter);
    let _ = env_logger::Builder::from_env(env)
        .target(env_logger::Target::Stderr)
        .try_init();
}

fn bind_listeners(config: &Config) -> Result<(Vec<mio::net::TcpListener>, u16), String> {
    miniredis::event_loop::bind_listeners(&config.bind, config.port).map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    miniredis::alloc::tune_system_allocator();
    let (mut config, config_file) = match parse_args() {
        Ok(Some(c)) => c,
        Ok(None) => return ExitCode::SUCCESS,
        Err(StartError::Usage(msg)) => {
            eprintln!("miniredis: {msg} (try --help)");
            return ExitCode::from(2);
        }
        Err(StartError::Env(msg)) => {
            eprintln!("miniredis: {msg}");
            return ExitCode::from(1);
        }
    };
    init_logging(&config.loglevel);
    if !config.dir.is_empty()
        && let Err(e) = std::env::set_current_dir(&config.dir)
    {
        eprintln!("miniredis: can't chdir to '{}': {e}", config.dir);
        return ExitCode::from(1);
    }
    println!("MiniRedis server starting...");
    let (listeners, port) = match bind_listeners(&config) {
        Ok(l) => l,
        Err(msg) => {
            eprintln!("miniredis: {msg}");
            return ExitCode::from(1);
        }
    };
    config.port = port;
    println!("Port: {port}");
    install_signal_handlers();
    miniredis::util::thread::set_bio_cpulist(&config.bio_cpulist);
    let mut server = Server::new(config);
    server.config_file = config_file;
    if let Err(msg) = server.acl_load_at_startup() {
        eprintln!("miniredis: {msg}");
        return ExitCode::from(1);
    }
    let mut el = match EventLoop::new(listeners) {
        Ok(el) => el,
        Err(e) => {
            eprintln!("miniredis: can't start the event loop: {e}");
            return ExitCode::from(1);
        }
    };
    server.aof_wake = Some(el.waker());
    // What the server takes before any data (used_memory_startup).
    server.initial_memory_usage = miniredis::alloc::used_memory();
    // Startup data: the AOF if it is on (or a point in time is asked
    // for), else the RDB.
    if !server.config.appendonly
        && server.config.aof_load_until.is_none()
        && server.rdb_path().exists()
    {
        let path = server.rdb_path();
        match server.rdb_load() {
            Ok(loaded) => {
                println!(
                    "RDB: {} (loading {} keys)",
                    path.display(),
                    thousands(loaded.keys)
                );
            }
            Err(e) => {
                eprintln!("miniredis: can't load the RDB file {}: {e}", path.display());
                return ExitCode::from(1);
            }
        }
    }
    if server.config.aof_load_until.is_some() {
        match load_aof_until(&mut server) {
            Ok(banner) => println!("{banner}"),
            Err(msg) => {
                eprintln!("miniredis: {msg}");
                return ExitCode::from(1);
            }
        }
    } else if server.config.appendonly || server.config.aof_file.is_none() {
        match load_aof(&mut server) {
            Ok(Some(banner)) => println!("{banner}"),
            Ok(None) => {}
            Err(msg) => {
                eprintln!("miniredis: {msg}");
                return ExitCode::from(1);
            }
        }
    }
    // `replicaof host port` in the config: follow that master from now.
    if let Some((host, port)) = server.config.replicaof.clone() {
        server.replication_set_master(host, port);
    }
    println!("Ready to accept connections");
    let _ = std::io::stdout().flush();
    info!("Server initialized, pid {}", std::process::id());
    // Last, as Redis does: threads started from here on (snapshot
    // writers) inherit the loop's CPUs unless their own list says else.
    miniredis::util::thread::remember_startup_affinity();
    miniredis::util::thread::set_cpu_affinity("server_cpulist", &server.config.server_cpulist);
    if let Err(e) = el.run(&mut server) {
        error!("Event loop failed: {e}");
        return ExitCode::from(1);
    }

    info!("miniredis is now ready to exit, bye bye...");
    ExitCode::SUCCESS
}

/// Read the AOF's manifest (always: Redis refuses a broken one even with
/// the AOF off) and, with `appendonly yes`, load the files and open the AOF
/// for appending. The banner line to print, if the AOF is on.
fn load_aof(server: &mut Server) -> Result<Option<String>, String> {
    use miniredis::aof::{Layout, load};
    let opts = load::LoadOpts::default();
    let layout = Layout::of(&server.config);
    let loaded = match &layout {
        Layout::Dir { dir, filename } => {
            server.aof_manifest = load::read_manifest(dir, filename).map_err(|e| e.to_string())?;
            if !server.config.appendonly {
                return Ok(None);
            }
            load::load_dir(server, dir, filename, opts).map_err(|e| e.to_string())?
        }
        Layout::Single { path } => {
            load::load_single(server, path, opts).map_err(|e| e.to_string())?
        }
    };
    server.aof_manifest = loaded.manifest.clone();
    server.aof_open_on_start(&loaded)?;
    let what = if loaded.rdb_keys > 0 {
        format!(
            "loading {} keys and {} commands",
            thousands(loaded.rdb_keys),
            thousands(loaded.commands)
        )
    } else {
        format!("loading {} commands", thousands(loaded.commands))
    };
    Ok(Some(format!("AOF: {} ({what})", layout.display())))
}

/// `--aof-load-until`: replay the AOF up to the point in time, modify
/// nothing, and leave appendonly off. The banner lines to print.
fn load_aof_until(server: &mut Server) -> Result<String, String> {
    use miniredis::aof::{Layout, load};
    use miniredis::util::time::format_utc;
    let until = server.config.aof_load_until.unwrap_or(0);
    let opts = load::LoadOpts { until: Some(until) };
    let layout = Layout::of(&server.config);
    let loaded = match &layout {
        Layout::Dir { dir, filename } => {
            load::load_dir(server, dir, filename, opts).map_err(|e| e.to_string())?
        }
        Layout::Single { path } => {
            load::load_single(server, path, opts).map_err(|e| e.to_string())?
        }
    };
    // What the user does next decides: SAVE, or CONFIG SET appendonly yes
    // (a new AOF from this state, replacing the files' later history).
    server.aof_manifest = loaded.manifest.clone();
    server.config.appendonly = false;
    let upto = match loaded.last_timestamp {
        Some(ts) => format!("the last change at {} ({ts})", format_utc(ts)),
        None => "no timed change".to_string(),
    };
    Ok(format!(
        "AOF: {} (loading {} keys and {} commands up to {} ({until}); {upto})\n\
         Point in time: loaded as of {}; appendonly is off and the AOF files are untouched (SAVE writes this state, CONFIG SET appendonly yes starts a new AOF from it)",
        layout.display(),
        thousands(loaded.rdb_keys),
        thousands(loaded.commands),
        format_utc(until),
        format_utc(until),
    ))
}

/// 1234567 -> "1,234,567", as the banner shows counts.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}
