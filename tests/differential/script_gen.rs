//! Seeded generator of small scripts over the existing commands: each
//! script runs one to four of the command generator's commands through
//! redis.call or redis.pcall (arguments as Lua literals, the first key
//! sometimes through KEYS), then returns what they answered in one of the
//! shapes the conversion rules care about: a table of the replies (a nil
//! stops it), one reply, a reply's type, an error table's text, a count.
//! Some scripts switch to RESP3 with redis.setresp(3). Every reply is
//! compared with redis-server 7.0.15's, byte for byte.

use super::generator::{Rng, gen_command, seed_and_len};
use super::{Cmp, Pair, show_args};

/// A Lua string literal for any bytes: printable ASCII as it is, the rest
/// (and quotes and backslashes) as decimal escapes.
fn lua_literal(s: &str) -> String {
    let mut out = String::from("\"");
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || b" :_.-{}*+".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("\\{b}"));
        }
    }
    out.push('"');
    out
}

/// One script and its KEYS.
fn gen_script(r: &mut Rng) -> (String, Vec<String>) {
    let mut lines = Vec::new();
    if r.chance(15) {
        lines.push("redis.setresp(3)".to_string());
    }
    let mut keys = Vec::new();
    let n = 1 + r.below(4);
    let mut made = 0;
    while made < n {
        let (cmd, cmp) = gen_command(r);
        // Replies whose order or content Redis leaves open cannot be
        // compared once a script has turned them into Lua values.
        if !matches!(cmp, Cmp::Exact) {
            continue;
        }
        let mut args: Vec<String> = cmd.iter().map(|a| lua_literal(a)).collect();
        if args.len() > 1 && r.chance(40) {
            keys.push(cmd[1].clone());
            args[1] = format!("KEYS[{}]", keys.len());
        }
        let call = if r.chance(70) { "pcall" } else { "call" };
        lines.push(format!("local r{made} = redis.{call}({})", args.join(", ")));
        made += 1;
    }
    let all: Vec<String> = (0..n).map(|i| format!("r{i}")).collect();
    let last = format!("r{}", n - 1);
    let ret = match r.below(7) {
        0 | 1 => format!("return {{{}}}", all.join(", ")),
        2 => format!("return {last}"),
        3 => format!("return type({last})"),
        4 => format!(
            "if type({last}) == 'table' then return {last}['err'] or {last}['ok'] or #{last} end return {last}"
        ),
        5 => format!("return {{type({last}), tostring({last} == nil)}}"),
        _ => format!(
            "return redis.status_reply(tostring(#{{{}}}))",
            all.join(", ")
        ),
    };
    lines.push(ret);
    (lines.join("\n"), keys)
}

fn run(resp3: bool) {
    let Some(mut p) = Pair::start() else { return };
    if resp3 {
        p.compare(&[b"HELLO".to_vec(), b"3".to_vec()], Cmp::SameType)
            .unwrap();
    }
    let (seed, n) = seed_and_len(1500);
    eprintln!("generated script run: DIFF_SEED={seed} DIFF_COMMANDS={n}");
    let mut r = Rng::new(seed);
    for step in 0..n {
        let (script, keys) = gen_script(&mut r);
        let mut args = vec![
            b"EVAL".to_vec(),
            script.into_bytes(),
            keys.len().to_string().into_bytes(),
        ];
        args.extend(keys.into_iter().map(String::into_bytes));
        if let Err((ours, theirs)) = p.compare(&args, Cmp::Exact) {
            panic!(
                "mismatch at step {step} (DIFF_SEED={seed}) for {}\n  miniredis: {ours}\n  redis:     {theirs}",
                show_args(&args)
            );
        }
    }
}

#[test]
fn generated_scripts_match_redis() {
    run(false);
}

#[test]
fn generated_scripts_match_redis_under_resp3() {
    run(true);
}
