//! Parameters redis-server 7.0.15 has that change nothing here: accepted
//! with Redis's defaults, types and mutability, so config files, CONFIG
//! GET/SET and CONFIG REWRITE written for Redis work, and documented in
//! docs/OPERATIONS.md as without effect (TLS, cluster, I/O threads,
//! active defragmentation, syslog, process titles...).

use super::{Config, ConfigEntry, one, parse_bool, parse_enum, parse_int, parse_memory, yes_no};

/// A parameter stored as its canonical text.
macro_rules! accepted {
    ($name:literal, $mutable:expr, $check:expr) => {
        ConfigEntry {
            name: $name,
            mutable: $mutable,
            get: |c: &Config| c.accepted.get($name).cloned().unwrap_or_default(),
            set: |c: &mut Config, v: &[String]| {
                let check: fn(&[String]) -> Result<String, String> = $check;
                let value = check(v)?;
                c.accepted.insert($name, value);
                Ok(())
            },
        }
    };
}

fn boolean(v: &[String]) -> Result<String, String> {
    parse_bool(v).map(yes_no)
}

fn text(v: &[String]) -> Result<String, String> {
    one(v).map(str::to_string)
}

fn memory(v: &[String]) -> Result<String, String> {
    parse_memory(one(v)?)
        .map(|n| n.to_string())
        .ok_or_else(|| "argument must be a memory value".to_string())
}

pub static TABLE: &[ConfigEntry] = &[
    accepted!("activedefrag", true, boolean),
    accepted!("active-defrag-cycle-min", true, |v| parse_int(v, 1, 99)
        .map(|n| n.to_string())),
    accepted!("active-defrag-cycle-max", true, |v| parse_int(v, 1, 99)
        .map(|n| n.to_string())),
    accepted!("active-defrag-ignore-bytes", true, memory),
    accepted!("active-defrag-max-scan-fields", true, |v| parse_int(
        v,
        1,
        i64::MAX
    )
    .map(|n| n.to_string())),
    accepted!("active-defrag-threshold-lower", true, |v| parse_int(
        v, 0, 1000
    )
    .map(|n| n.to_string())),
    accepted!("active-defrag-threshold-upper", true, |v| parse_int(
        v, 0, 1000
    )
    .map(|n| n.to_string())),
    accepted!("activerehashing", true, boolean),
    accepted!("always-show-logo", false, boolean),
    accepted!("aof-disable-auto-gc", true, boolean),
    accepted!("aof-rewrite-incremental-fsync", true, boolean),
    accepted!("bind-source-addr", true, text),
    accepted!("cluster-allow-pubsubshard-when-down", true, boolean),
    accepted!("cluster-allow-reads-when-down", true, boolean),
    accepted!("cluster-allow-replica-migration", true, boolean),
    accepted!("cluster-announce-bus-port", true, |v| parse_int(
        v, 0, 65535
    )
    .map(|n| n.to_string())),
    accepted!("cluster-announce-hostname", true, text),
    accepted!("cluster-announce-ip", true, text),
    accepted!("cluster-announce-port", true, |v| parse_int(v, 0, 65535)
        .map(|n| n.to_string())),
    accepted!("cluster-announce-tls-port", true, |v| parse_int(
        v, 0, 65535
    )
    .map(|n| n.to_string())),
    accepted!("cluster-config-file", false, text),
    // Refused rather than ignored: a server started for a cluster must
    // not come up as a standalone one.
    accepted!("cluster-enabled", false, |v| match boolean(v)?.as_str() {
        "no" => Ok("no".to_string()),
        _ => Err("cluster mode is not supported by miniredis".to_string()),
    }),
    accepted!("cluster-link-sendbuf-limit", true, memory),
    accepted!("cluster-migration-barrier", true, |v| parse_int(
        v,
        0,
        i32::MAX as i64
    )
    .map(|n| n.to_string())),
    accepted!("cluster-node-timeout", true, |v| parse_int(v, 0, i64::MAX)
        .map(|n| n.to_string())),
    accepted!("cluster-port", false, |v| parse_int(v, 0, 65535)
        .map(|n| n.to_string())),
    accepted!("cluster-preferred-endpoint-type", true, |v| parse_enum(
        v,
        &["ip", "hostname", "unknown-endpoint"]
    )),
    accepted!("cluster-replica-no-failover", true, boolean),
    accepted!("cluster-replica-validity-factor", true, |v| parse_int(
        v,
        0,
        i32::MAX as i64
    )
    .map(|n| n.to_string())),
    accepted!("cluster-require-full-coverage", true, boolean),
    accepted!("crash-log-enabled", true, boolean),
    accepted!("crash-memcheck-enabled", true, boolean),
    accepted!("disable-thp", false, boolean),
    accepted!("dynamic-hz", true, boolean),
    accepted!("ignore-warnings", true, text),
    accepted!("io-threads", false, |v| parse_int(v, 1, 128)
        .map(|n| n.to_string())),
    accepted!("io-threads-do-reads", false, boolean),
    accepted!("jemalloc-bg-thread", true, boolean),
    accepted!("oom-score-adj", true, |v| parse_enum(
        v,
        &["no", "yes", "relative", "absolute"]
    )),
    accepted!("oom-score-adj-values", true, |v| {
        let words: Vec<&str> = v.iter().flat_map(|s| s.split_whitespace()).collect();
        if words.len() != 3 {
            return Err("wrong number of arguments".to_string());
        }
        if !words
            .iter()
            .all(|w| w.parse::<i64>().is_ok_and(|n| (-2000..=2000).contains(&n)))
        {
            return Err(
                "Invalid oom-score-adj-values, elements must be between -2000 and 2000."
                    .to_string(),
            );
        }
        Ok(words.join(" "))
    }),
    accepted!("proc-title-template", true, text),
    accepted!("propagation-error-behavior", true, |v| parse_enum(
        v,
        &["ignore", "panic", "panic-on-replicas"]
    )),
    accepted!("rdb-del-sync-files", true, boolean),
    accepted!("rdb-save-incremental-fsync", true, boolean),
    accepted!("sanitize-dump-payload", true, |v| parse_enum(
        v,
        &["no", "yes", "clients"]
    )),
    accepted!("set-proc-title", false, boolean),
    accepted!("shutdown-on-sigint", true, text),
    accepted!("shutdown-on-sigterm", true, text),
    accepted!("shutdown-timeout", true, |v| parse_int(
        v,
        0,
        i32::MAX as i64
    )
    .map(|n| n.to_string())),
    accepted!("socket-mark-id", false, |v| parse_int(
        v,
        0,
        u32::MAX as i64
    )
    .map(|n| n.to_string())),
    accepted!("syslog-enabled", false, boolean),
    accepted!("syslog-facility", false, |v| parse_enum(
        v,
        &[
            "user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"
        ]
    )),
    accepted!("syslog-ident", false, text),
    accepted!("tls-auth-clients", true, |v| parse_enum(
        v,
        &["no", "yes", "optional"]
    )),
    accepted!("tls-ca-cert-dir", true, text),
    accepted!("tls-ca-cert-file", true, text),
    accepted!("tls-cert-file", true, text),
    accepted!("tls-ciphers", true, text),
    accepted!("tls-ciphersuites", true, text),
    accepted!("tls-client-cert-file", true, text),
    accepted!("tls-client-key-file", true, text),
    accepted!("tls-client-key-file-pass", true, text),
    accepted!("tls-cluster", true, boolean),
    accepted!("tls-dh-params-file", true, text),
    accepted!("tls-key-file", true, text),
    accepted!("tls-key-file-pass", true, text),
    // No TLS here: a TLS port is refused (Redis's own words when it cannot
    // set TLS up), never silently not opened.
    accepted!("tls-port", true, |v| match parse_int(v, 0, 65535)? {
        0 => Ok("0".to_string()),
        _ => Err("Unable to update TLS configuration. Check server logs.".to_string()),
    }),
    accepted!("tls-prefer-server-ciphers", true, boolean),
    accepted!("tls-protocols", true, text),
    accepted!("tls-replication", true, boolean),
    accepted!("tls-session-cache-size", true, |v| parse_int(
        v,
        0,
        i32::MAX as i64
    )
    .map(|n| n.to_string())),
    accepted!("tls-session-cache-timeout", true, |v| parse_int(
        v,
        0,
        i32::MAX as i64
    )
    .map(|n| n.to_string())),
    accepted!("tls-session-caching", true, boolean),
    accepted!("unixsocket", false, text),
    accepted!("unixsocketperm", false, |v| parse_int(v, 0, 0o777)
        .map(|n| format!("{n:o}"))),
    // Redis's hidden test hooks (HIDDEN_CONFIG): CONFIG GET answers them
    // only by exact name.
    accepted!("use-exit-on-panic", true, boolean),
    accepted!("key-load-delay", true, |v| parse_int(
        v,
        i32::MIN as i64,
        i32::MAX as i64
    )
    .map(|n| n.to_string())),
    accepted!("watchdog-period", true, |v| parse_int(
        v,
        0,
        i32::MAX as i64
    )
    .map(|n| n.to_string())),
    accepted!("loading-process-events-interval-bytes", true, |v| {
        parse_int(v, 1024, i32::MAX as i64).map(|n| n.to_string())
    }),
];

/// Redis 7.0.15's defaults, as CONFIG GET shows them.
pub static DEFAULTS: &[(&str, &str)] = &[
    ("activedefrag", "no"),
    ("active-defrag-cycle-min", "1"),
    ("active-defrag-cycle-max", "25"),
    ("active-defrag-ignore-bytes", "104857600"),
    ("active-defrag-max-scan-fields", "1000"),
    ("active-defrag-threshold-lower", "10"),
    ("active-defrag-threshold-upper", "100"),
    ("activerehashing", "yes"),
    ("always-show-logo", "no"),
    ("aof-disable-auto-gc", "no"),
    ("aof-rewrite-incremental-fsync", "yes"),
    ("bind-source-addr", ""),
    ("cluster-allow-pubsubshard-when-down", "yes"),
    ("cluster-allow-reads-when-down", "no"),
    ("cluster-allow-replica-migration", "yes"),
    ("cluster-announce-bus-port", "0"),
    ("cluster-announce-hostname", ""),
    ("cluster-announce-ip", ""),
    ("cluster-announce-port", "0"),
    ("cluster-announce-tls-port", "0"),
    ("cluster-config-file", "nodes.conf"),
    ("cluster-enabled", "no"),
    ("cluster-link-sendbuf-limit", "0"),
    ("cluster-migration-barrier", "1"),
    ("cluster-node-timeout", "15000"),
    ("cluster-port", "0"),
    ("cluster-preferred-endpoint-type", "ip"),
    ("cluster-replica-no-failover", "no"),
    ("cluster-replica-validity-factor", "10"),
    ("cluster-require-full-coverage", "yes"),
    ("crash-log-enabled", "yes"),
    ("crash-memcheck-enabled", "yes"),
    ("disable-thp", "yes"),
    ("dynamic-hz", "yes"),
    ("ignore-warnings", ""),
    ("io-threads", "1"),
    ("io-threads-do-reads", "no"),
    ("jemalloc-bg-thread", "yes"),
    ("oom-score-adj", "no"),
    ("oom-score-adj-values", "0 200 800"),
    ("proc-title-template", "{title} {listen-addr} {server-mode}"),
    ("propagation-error-behavior", "ignore"),
    ("rdb-del-sync-files", "no"),
    ("rdb-save-incremental-fsync", "yes"),
    ("sanitize-dump-payload", "no"),
    ("set-proc-title", "yes"),
    ("shutdown-on-sigint", "default"),
    ("shutdown-on-sigterm", "default"),
    ("shutdown-timeout", "10"),
    ("socket-mark-id", "0"),
    ("syslog-enabled", "no"),
    ("syslog-facility", "local0"),
    ("syslog-ident", "redis"),
    ("tls-auth-clients", "yes"),
    ("tls-ca-cert-dir", ""),
    ("tls-ca-cert-file", ""),
    ("tls-cert-file", ""),
    ("tls-ciphers", ""),
    ("tls-ciphersuites", ""),
    ("tls-client-cert-file", ""),
    ("tls-client-key-file", ""),
    ("tls-client-key-file-pass", ""),
    ("tls-cluster", "no"),
    ("tls-dh-params-file", ""),
    ("tls-key-file", ""),
    ("tls-key-file-pass", ""),
    ("tls-port", "0"),
    ("tls-prefer-server-ciphers", "no"),
    ("tls-protocols", ""),
    ("tls-replication", "no"),
    ("tls-session-cache-size", "20480"),
    ("tls-session-cache-timeout", "300"),
    ("tls-session-caching", "yes"),
    ("unixsocket", ""),
    ("unixsocketperm", "0"),
    ("use-exit-on-panic", "no"),
    ("key-load-delay", "0"),
    ("watchdog-period", "0"),
    ("loading-process-events-interval-bytes", "2097152"),
];

/// The defaults as a Config holds them.
pub fn defaults() -> std::collections::BTreeMap<&'static str, String> {
    DEFAULTS.iter().map(|(k, v)| (*k, v.to_string())).collect()
}
