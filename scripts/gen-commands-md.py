#!/usr/bin/env python3
"""Regenerate docs/COMMANDS.md from the command tables in src/commands/table/*.rs."""
import os
import re

MODULES = [
    ("String", "src/commands/table/strings.rs"),
    ("Generic (keys)", "src/commands/table/keys.rs"),
    ("Server", "src/commands/table/admin.rs"),
    ("Connection", "src/commands/table/connection.rs"),
    ("List", "src/commands/table/lists.rs"),
    ("Hash", "src/commands/table/hashes.rs"),
    ("Set", "src/commands/table/sets.rs"),
    ("Transactions", "src/commands/table/transactions.rs"),
    ("Pub/Sub", "src/commands/table/pubsub.rs"),
    ("Sorted set", "src/commands/table/sorted_sets.rs"),
    ("Introspection", "src/commands/table/introspection.rs"),
    ("Replication", "src/commands/table/replication.rs"),
    ("ACL", "src/commands/table/acl.rs"),
    ("Scripting", "src/commands/table/scripting.rs"),
    ("Stream", "src/commands/table/streams.rs"),
    ("Sort", "src/commands/table/sort.rs"),
    ("Bitmap", "src/commands/table/bitops.rs"),
    ("Memory", "src/commands/table/memory.rs"),
    ("Geo", "src/commands/table/geo.rs"),
    ("HyperLogLog", "src/commands/table/hyperloglog.rs"),
    ("Migrate", "src/commands/table/migrate.rs"),
    ("Debugging", "src/commands/table/debug.rs"),
]

out = [
    "# Supported commands",
    "",
    "Every command below answers as Redis 7.0.15 does: same replies, same error texts,",
    "same side effects. The differential suite (tests/differential) checks them against a",
    "real redis-server. A test keeps this list and the command table in step;",
    "`scripts/gen-commands-md.py` regenerates it from the tables.",
    "",
]
for title, path in MODULES:
    if not os.path.exists(path):
        continue
    src = open(path).read()
    if "pub static COMMANDS" not in src:
        continue
    src = src[src.index("pub static COMMANDS"):]
    handlers = path.replace("/table/", "/")
    out += [f"## {title} (`{handlers}`)", "", "| command | arity | summary |", "|---|---|---|"]
    parent = None
    for m in re.finditer(r'\n( +)name: "([^"]+)",\s+arity: (-?\d+),.*?summary: "((?:[^"\\]|\\.)*)"', src, re.S):
        indent, name, arity, summary = m.groups()
        if len(indent) <= 8:
            parent, full = name, name.upper()
        else:
            full = f"{parent.upper()} {name.upper()}"
        out.append(f"| {full} | {arity} | {summary} |")
    out.append("")
out.append(
    "Beyond Redis 7.0.15: `CLIENT SETINFO` (from Redis 7.2; modern client libraries send it), "
    "and `--port 0` picks a free port and prints it in the banner. `DEBUG` runs only as "
    "`enable-debug-command` allows (`no` by default, `yes`, or `local`), as in Redis 7.0, and "
    "offers `DIGEST` and `DIGEST-VALUE` (Redis's digest: equal datasets give equal digests on "
    "both servers), `OBJECT`, `PROTOCOL`, `SLEEP`, `RELOAD`, `PAUSE-CRON`, `SET-ACTIVE-EXPIRE`, "
    "`CHANGE-REPL-ID`, `QUICKLIST-PACKED-THRESHOLD` (which elements get PLAIN nodes in RDB and "
    "DUMP payloads), `LOG`, `LOADAOF`, `AOF-CRASH` (a crash-test hook) and `HELP`. "
    "`SCRIPT DEBUG SYNC` is Redis's; `SCRIPT DEBUG YES`, where Redis forks a child for the "
    "session, runs it on the loop like SYNC and then puts the dataset back as it was (see "
    "docs/OPERATIONS.md). Not here: the cluster and module commands."
)

# CONFIG parameters: the table's entries (src/config/mod.rs) apply; those of
# src/config/accepted.rs are accepted and change nothing.
def config_rows(path, macro):
    text = open(path).read()
    return re.findall(macro + r'!\(\s*"([^"]+)",\s*(true|false)', text)

live = config_rows("src/config/mod.rs", "entry")
inert = config_rows("src/config/accepted.rs", "accepted")
mod_src = open("src/config/mod.rs").read()
hidden = set(re.findall(r'"([^"]+)"', re.search(r'const HIDDEN: &\[&str\] = &\[([^\]]*)\]', mod_src).group(1)))
aliases = {}
for old_name, new_name in re.findall(r'\(\s*"([^"]+)",\s*"([^"]+)",?\s*\)', mod_src[mod_src.index("const ALIASES"):]):
    aliases.setdefault(new_name, []).append(old_name)
out += [
    "",
    "## CONFIG parameters (`src/config/`)",
    "",
    f"CONFIG GET * lists the same names as redis-server 7.0.15: {len(live) + len(inert) - len(hidden)} parameters "
    f"and {sum(len(v) for v in aliases.values())} aliases. \"applies\" means the parameter does "
    "what it does in Redis; \"accepted\" means it is read, stored, listed and rewritten with "
    "Redis's default, type and mutability but changes nothing here (docs/OPERATIONS.md says why "
    "for each). CONFIG SET \"no\" is Redis's immutable config. \"hidden\" parameters answer only "
    "to their exact name, as Redis's HIDDEN_CONFIG.",
    "",
    "| parameter | status | CONFIG SET | aliases |",
    "|---|---|---|---|",
]
rows = [(n, "applies" + (", hidden" if n in hidden else ""), m) for n, m in live]
rows += [(n, "accepted, no effect" + (", hidden" if n in hidden else ""), m) for n, m in inert]
for name, status, mutable in sorted(rows):
    al = ", ".join(f"`{a}`" for a in aliases.get(name, []))
    out.append(f"| `{name}` | {status} | {'yes' if mutable == 'true' else 'no'} | {al} |")
out += ["", open("scripts/commands-md-notifications.md").read().rstrip("\n")]
open("docs/COMMANDS.md", "w").write("\n".join(out) + "\n")
