//! ACL users end to end (Redis runs its own ACL tests only on servers it
//! starts, so these stand in for unit/acl): connections of a deleted user
//! are closed, subscribers losing a channel are closed, the ACL file is
//! loaded and saved, `user` lines of the config file are loaded, the
//! default user switched off requires AUTH, the ACL log groups and trims,
//! and rules never reach the slow log.

use crate::common::{Raw, start_miniredis, wait_for};
use std::time::Duration;

fn ok(r: &mut Raw, line: &str) {
    assert_eq!(r.q(line), "+OK\r\n", "{line}");
}

#[test]
fn deleting_a_user_closes_its_connections() {
    let s = start_miniredis(&[]);
    let mut admin = s.raw();
    ok(&mut admin, "ACL SETUSER u on >p +@all ~*");
    let mut other = s.raw();
    ok(&mut other, "AUTH u p");
    assert_eq!(other.q("ACL WHOAMI"), "$1\r\nu\r\n");
    // A user nobody uses: no connection is touched.
    ok(&mut admin, "ACL SETUSER unused on >p");
    assert_eq!(admin.q("ACL DELUSER unused"), ":1\r\n");
    assert_eq!(admin.q("PING"), "+PONG\r\n");
    assert_eq!(admin.q("ACL DELUSER u"), ":1\r\n");
    assert!(other.closed(), "the deleted user's connection is closed");
    // Deleting one's own user: the reply arrives, then the close.
    ok(&mut admin, "ACL SETUSER me on >p +@all");
    let mut me = s.raw();
    ok(&mut me, "AUTH me p");
    assert_eq!(me.q("ACL DELUSER me"), ":1\r\n");
    assert!(me.closed());
    assert_eq!(admin.q("ACL USERS"), "*1\r\n$7\r\ndefault\r\n");
}

#[test]
fn subscribers_losing_a_channel_are_closed() {
    let s = start_miniredis(&[]);
    let mut admin = s.raw();
    ok(
        &mut admin,
        "ACL SETUSER sub on nopass +@all ~* resetchannels &a &b",
    );
    let mut losing = s.raw();
    ok(&mut losing, "AUTH sub x");
    assert!(losing.q("SUBSCRIBE a").starts_with("*3\r\n$9\r\nsubscribe"));
    let mut keeping = s.raw();
    ok(&mut keeping, "AUTH sub x");
    assert!(
        keeping
            .q("SUBSCRIBE b")
            .starts_with("*3\r\n$9\r\nsubscribe")
    );
    // Adding a channel pardons everyone.
    ok(&mut admin, "ACL SETUSER sub &c");
    assert_eq!(losing.q("PING"), "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
    // Dropping `a` closes its subscriber only.
    ok(&mut admin, "ACL SETUSER sub resetchannels &b &c");
    assert!(
        losing.closed(),
        "the subscriber of a revoked channel is closed"
    );
    assert_eq!(keeping.q("PING"), "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
    // A pattern subscription survives only its literal pattern.
    let mut pat = s.raw();
    ok(&mut pat, "AUTH sub x");
    ok(&mut admin, "ACL SETUSER sub &p*");
    assert!(
        pat.q("PSUBSCRIBE p*")
            .starts_with("*3\r\n$10\r\npsubscribe")
    );
    let denied = pat.q("PSUBSCRIBE p1*");
    assert!(denied.starts_with("-NOPERM"), "{denied}");
    ok(&mut admin, "ACL SETUSER sub resetchannels allchannels");
    assert_eq!(pat.q("PING"), "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
    ok(&mut admin, "ACL SETUSER sub resetchannels");
    assert!(
        pat.closed(),
        "losing allchannels closes the pattern subscriber"
    );
}

#[test]
fn acl_file_load_and_save() {
    let dir = std::env::temp_dir().join(format!("miniredis-acl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("users.acl");
    std::fs::write(
        &path,
        "user alice on allcommands allkeys &* >alice\nuser bob on -@all +@set +acl ~set* &* >bob\n",
    )
    .unwrap();
    let p = path.to_str().unwrap();
    let s = start_miniredis(&["--aclfile", p]);
    let mut r = s.raw();
    assert_eq!(
        r.q("ACL USERS"),
        "*3\r\n$5\r\nalice\r\n$3\r\nbob\r\n$7\r\ndefault\r\n"
    );
    let mut bob = s.raw();
    ok(&mut bob, "AUTH bob bob");
    assert_eq!(bob.q("SADD set1 a"), ":1\r\n");
    assert!(bob.q("SET x 1").starts_with("-NOPERM"));
    // SAVE writes every user, by name, as ACL LIST shows them.
    ok(&mut r, "ACL SETUSER carol on nopass +get");
    ok(&mut r, "ACL SAVE");
    let saved = std::fs::read_to_string(&path).unwrap();
    assert!(
        saved.starts_with("user alice on #"),
        "alice first, with her hash: {saved}"
    );
    assert!(saved.contains("\nuser carol on nopass resetchannels -@all +get\n"));
    assert!(saved.ends_with("user default on nopass ~* &* +@all\n"));
    // A broken file changes nothing and says why.
    std::fs::write(&path, "user dave on +nosuch\nnot a user line\n").unwrap();
    let err = r.q("ACL LOAD");
    assert!(
        err.contains("Error in applying operation '+nosuch'")
            && err.contains("should start with user keyword")
            && err.contains("no change to the previously active ACL rules"),
        "{err}"
    );
    assert_eq!(r.q("ACL WHOAMI"), "$7\r\ndefault\r\n");
    assert!(r.q("ACL USERS").contains("carol"));
    // A good one replaces every user; their connections are closed.
    std::fs::write(&path, "user erin on nopass +@all ~*\n").unwrap();
    ok(&mut r, "ACL LOAD");
    assert_eq!(r.q("ACL USERS"), "*2\r\n$7\r\ndefault\r\n$4\r\nerin\r\n");
    assert!(bob.closed(), "a connection of a replaced user is closed");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn users_from_the_config_file() {
    let dir = std::env::temp_dir().join(format!("miniredis-aclconf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let conf = dir.join("redis.conf");
    std::fs::write(
        &conf,
        "user default on nopass ~* &* +@all\nuser zed on >zpass +get ~z* (+set ~w*)\n",
    )
    .unwrap();
    let s = start_miniredis(&[conf.to_str().unwrap()]);
    let mut r = s.raw();
    ok(&mut r, "AUTH zed zpass");
    assert_eq!(r.q("GET z1"), "$-1\r\n");
    assert_eq!(r.q("SET w1 v"), "+OK\r\n");
    assert_eq!(
        r.q("SET z1 v"),
        "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n"
    );
    assert_eq!(
        r.q("DEL z1"),
        "-NOPERM this user has no permissions to run the 'del' command\r\n"
    );
    // CONFIG REWRITE writes the users back in place of the old lines.
    let mut admin = s.raw();
    ok(&mut admin, "ACL SETUSER yan on nopass +ping");
    ok(&mut admin, "CONFIG REWRITE");
    let text = std::fs::read_to_string(&conf).unwrap();
    let users: Vec<&str> = text.lines().filter(|l| l.starts_with("user ")).collect();
    assert_eq!(users.len(), 3, "{text}");
    // A configured default user was reset first (so sanitize-payload).
    assert_eq!(
        users[0],
        "user default on nopass sanitize-payload ~* &* +@all"
    );
    assert_eq!(users[1], "user yan on nopass resetchannels -@all +ping");
    assert!(
        users[2].starts_with("user zed on #")
            && users[2].ends_with("(~w* resetchannels -@all +set)")
    );
    drop(s);
    // The rewritten file names the first server's (now deleted) dir.
    let s = start_miniredis(&[conf.to_str().unwrap(), "--dir", dir.to_str().unwrap()]);
    assert_eq!(
        s.raw().q("ACL USERS"),
        "*3\r\n$7\r\ndefault\r\n$3\r\nyan\r\n$3\r\nzed\r\n"
    );
    drop(s);
    // A user named twice, or users beside an aclfile, stop the start.
    std::fs::write(&conf, "user a on\nuser a off\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_miniredis"))
        .arg(conf.to_str().unwrap())
        .args(["--port", "0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Duplicate user"));
    std::fs::write(&conf, "user a on\naclfile /nonexistent.acl\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_miniredis"))
        .arg(conf.to_str().unwrap())
        .args(["--port", "0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("but not both"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn default_user_off_or_with_a_password_requires_auth() {
    let s = start_miniredis(&[]);
    let mut admin = s.raw();
    ok(&mut admin, "ACL SETUSER default off");
    let mut late = s.raw();
    assert_eq!(late.q("PING"), "-NOAUTH Authentication required.\r\n");
    // The connection made before keeps working.
    ok(&mut admin, "ACL SETUSER default on >pw");
    assert_eq!(admin.q("PING"), "+PONG\r\n");
    let mut fresh = s.raw();
    assert_eq!(fresh.q("GET x"), "-NOAUTH Authentication required.\r\n");
    assert_eq!(
        fresh.q("AUTH nope"),
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    );
    ok(&mut fresh, "AUTH pw");
    ok(&mut admin, "ACL SETUSER default nopass");
    assert_eq!(s.raw().q("PING"), "+PONG\r\n");
}

#[test]
fn acl_log_groups_and_trims() {
    let s = start_miniredis(&[]);
    let mut r = s.raw();
    ok(&mut r, "ACL SETUSER t on nopass +acl|log +acl|whoami +auth");
    ok(&mut r, "AUTH t x");
    for _ in 0..3 {
        assert!(r.q("GET k").starts_with("-NOPERM"));
    }
    assert!(r.q("SET k v").starts_with("-NOPERM"));
    let log = r.q("ACL LOG");
    // Two entries: set (newest), then get counted three times.
    assert!(
        log.starts_with("*2\r\n*14\r\n$5\r\ncount\r\n:1\r\n"),
        "{log}"
    );
    assert!(log.contains("$6\r\nobject\r\n$3\r\nset\r\n"));
    assert!(
        log.contains(":3\r\n$6\r\nreason\r\n$7\r\ncommand\r\n"),
        "{log}"
    );
    assert!(log.contains("user=t "), "client-info names the user: {log}");
    assert_eq!(r.q("ACL LOG 1").matches("*14\r\n").count(), 1);
    ok(&mut r, "AUTH default x");
    ok(&mut r, "CONFIG SET acllog-max-len 2");
    // The one-argument form is the default user's password (there is none).
    assert!(
        r.q("AUTH t")
            .starts_with("-ERR AUTH <password> called without")
    );
    ok(&mut r, "AUTH t x");
    for key in ["a", "b", "c"] {
        assert!(r.q(&format!("DEL {key}")).starts_with("-NOPERM"));
    }
    ok(&mut r, "AUTH default x");
    assert_eq!(r.q("ACL LOG 100").matches("*14\r\n").count(), 2);
    ok(&mut r, "ACL LOG RESET");
    assert_eq!(r.q("ACL LOG"), "*0\r\n");
}

#[test]
fn rules_and_passwords_never_reach_the_slow_log() {
    let s = start_miniredis(&["--slowlog-log-slower-than", "0"]);
    let mut r = s.raw();
    ok(&mut r, "ACL SETUSER secret on >hunter2 +@all");
    ok(&mut r, "AUTH secret hunter2");
    ok(&mut r, "CONFIG SET requirepass hunter3");
    let log = r.q("SLOWLOG GET 10");
    assert!(!log.contains("hunter"), "{log}");
    assert!(log.contains("(redacted)"));
}

#[test]
fn subscribers_closed_promptly() {
    // A kill on SETUSER must not wait for the subscriber to write.
    let s = start_miniredis(&[]);
    let mut admin = s.raw();
    ok(&mut admin, "ACL SETUSER w on nopass +@all resetchannels &x");
    let mut sub = s.raw();
    ok(&mut sub, "AUTH w x");
    sub.q("SUBSCRIBE x");
    ok(&mut admin, "ACL SETUSER w resetchannels");
    assert!(wait_for(Duration::from_secs(5), || {
        !admin.q("CLIENT LIST").contains("user=w ")
    }));
}

#[test]
fn a_binary_user_name_shows_as_its_bytes_in_client_info_and_the_acl_log() {
    let s = start_miniredis(&[]);
    let mut r = s.raw();
    let name: &[u8] = b"u\xff\x01";
    assert_eq!(
        r.cmd(&[
            b"ACL", b"SETUSER", name, b"on", b"nopass", b"+client", b"+acl"
        ]),
        b"+OK\r\n"
    );
    assert_eq!(r.cmd(&[b"AUTH", name, b"x"]), b"+OK\r\n");
    let info = r.cmd(&[b"CLIENT", b"INFO"]);
    assert!(
        info.windows(name.len() + 6)
            .any(|w| w == [b"user=".as_slice(), name, b" "].concat()),
        "{}",
        String::from_utf8_lossy(&info)
    );
    // A denial is logged with the same client line.
    assert!(r.cmd(&[b"GET", b"k"]).starts_with(b"-NOPERM"));
    let log = r.cmd(&[b"ACL", b"LOG"]);
    assert!(
        log.windows(name.len() + 5)
            .any(|w| w == [b"user=".as_slice(), name].concat())
    );
}
