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
    "`CHANGE-REPL-ID`, `QUICKLIST-PACKED-THRESHOLD` (accepted; list elements are always packed), "
    "`LOG`, `AOF-CRASH` (a crash-test hook) and `HELP`. "
    "`ACL` answers `WHOAMI`, `USERS`, `CAT` and `HELP`: there is one user, `default`, with every permission."
)
out += ["", open("scripts/commands-md-notifications.md").read().rstrip("\n")]
open("docs/COMMANDS.md", "w").write("\n".join(out) + "\n")
