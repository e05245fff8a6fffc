#!/usr/bin/env python3
"""gen-command-specs.py -- emit rows for miniredis's declarative command table.

This script regenerates the protocol facts of every command row (arity, flags,
ACL categories, tips, first/last/step, key specs, group, since, complexity)
from a real redis-server 7.0.15, by asking it `COMMAND INFO` and `COMMAND DOCS`
over a tiny raw RESP client (Python 3 standard library only).

The `summary` of each row is NOT taken from Redis: summaries are our own words,
kept in the SUMMARIES dict inside this script.

Usage:
    redis-server --port 7399 --save '' --appendonly no --daemonize yes
    python3 scripts/gen-command-specs.py --port 7399
                      # writes src/commands/table/<module>.rs, one per family
    redis-cli -p 7399 shutdown nosave

The files it writes are generated: edit this script (SUMMARIES, MODULES,
BEYOND_7_0), never the files.  Each holds one family's `COMMANDS` rows; the
handlers live in the family's module (src/commands/<module>.rs).

Rows follow `CommandSpec` / `KeySpec` / `BeginSearch` / `FindKeys` in
src/commands/mod.rs.  Anything Redis reports that the struct cannot hold
(key-spec "notes", unknown begin_search/find_keys types, deprecation info) is
printed as a `// NOTE:` comment above the row.  Subcommands listed below that
the server does not know are printed as a `// MISSING:` comment and skipped.
"""

import argparse
import os
import socket
import sys

# ---------------------------------------------------------------------------
# Which commands go in which module, in table order.  A tuple
# (name, [subcommands...]) marks a container command.
# ---------------------------------------------------------------------------
MODULES = [
    ("strings", [
        "set", "get", "getset", "getdel", "getex", "setnx", "setex", "psetex",
        "mset", "msetnx", "mget", "append", "strlen", "incr", "decr", "incrby",
        "decrby", "incrbyfloat", "getrange", "setrange", "substr", "lcs",
    ]),
    ("keys", [
        "del", "unlink", "exists", "type", "keys", "scan", "randomkey", "rename",
        "renamenx", "copy", "touch", "expire", "pexpire", "expireat",
        "pexpireat", "ttl", "pttl", "expiretime", "pexpiretime", "persist",
        "move", "dump", "restore", "restore-asking",
        ("object", ["encoding", "refcount", "idletime", "freq", "help"]),
    ]),
    ("server", [
        "dbsize", "flushdb", "flushall", "swapdb", "info",
        ("config", ["get", "set", "resetstat", "rewrite", "help"]),
        "time", "lastsave", "shutdown", "lolwut",
        ("command", ["count", "info", "docs", "list", "getkeys",
                     "getkeysandflags", "help"]),
        "save", "bgsave", "bgrewriteaof",
    ]),
    ("connection", [
        "ping", "echo", "quit", "reset", "select", "hello", "auth",
        ("client", ["id", "setname", "getname", "list", "info", "setinfo",
                    "kill", "unblock", "pause", "unpause", "no-evict", "reply",
                    "tracking", "caching", "getredir", "trackinginfo",
                    "help"]),
    ]),
    ("introspection", [
        "monitor",
        ("slowlog", ["get", "len", "reset", "help"]),
        ("latency", ["latest", "history", "reset", "graph", "doctor", "histogram", "help"]),
        ("cluster", ["info", "myid", "nodes", "shards", "slots", "keyslot", "countkeysinslot", "getkeysinslot", "meet", "forget", "replicate", "replicas", "slaves", "failover", "reset", "saveconfig", "addslots", "addslotsrange", "delslots", "delslotsrange", "flushslots", "setslot", "set-config-epoch", "bumpepoch", "count-failure-reports", "links", "help"]),
        "asking", "readonly", "readwrite",
    ]),
    ("replication", [
        "replicaof", "slaveof", "sync", "psync", "replconf", "role", "wait",
        "failover",
    ]),
    ("acl", [
        ("acl", ["setuser", "getuser", "deluser", "list", "users", "whoami",
                 "cat", "log", "genpass", "dryrun", "load", "save", "help"]),
    ]),
    ("lists", [
        "lpush", "rpush", "lpushx", "rpushx", "lpop", "rpop", "llen", "lrange",
        "lindex", "lset", "linsert", "lrem", "ltrim", "lpos", "lmove",
        "rpoplpush", "lmpop", "blpop", "brpop", "blmove", "brpoplpush", "blmpop",
    ]),
    ("hashes", [
        "hset", "hsetnx", "hget", "hmget", "hmset", "hdel", "hlen", "hstrlen",
        "hexists", "hkeys", "hvals", "hgetall", "hincrby", "hincrbyfloat",
        "hrandfield", "hscan",
    ]),
    ("sets", [
        "sadd", "srem", "sismember", "smismember", "smembers", "scard", "spop",
        "srandmember", "smove", "sinter", "sintercard", "sunion", "sdiff",
        "sinterstore", "sunionstore", "sdiffstore", "sscan",
    ]),
    ("sorted_sets", [
        "zadd", "zincrby", "zscore", "zmscore", "zcard", "zcount", "zlexcount",
        "zrange", "zrangestore", "zrevrange", "zrangebyscore",
        "zrevrangebyscore", "zrangebylex", "zrevrangebylex", "zrank",
        "zrevrank", "zrem", "zremrangebyrank", "zremrangebyscore",
        "zremrangebylex", "zpopmin", "zpopmax", "zmpop", "bzpopmin", "bzpopmax",
        "bzmpop", "zunion", "zinter", "zdiff", "zunionstore", "zinterstore",
        "zdiffstore", "zintercard", "zrandmember", "zscan",
    ]),
    ("streams", [
        "xadd", "xlen", "xrange", "xrevrange", "xdel", "xtrim", "xsetid",
        "xread", "xreadgroup", "xack", "xpending", "xclaim", "xautoclaim",
        ("xgroup", ["create", "createconsumer", "delconsumer", "destroy",
                    "setid", "help"]),
        ("xinfo", ["stream", "groups", "consumers", "help"]),
    ]),
    ("sort", ["sort", "sort_ro"]),
    ("geo", ["geoadd", "geopos", "geodist", "geohash", "georadius", "georadius_ro",
             "georadiusbymember", "georadiusbymember_ro", "geosearch", "geosearchstore"]),
    ("memory", [
        ("memory", ["usage", "stats", "doctor", "malloc-stats", "purge", "help"]),
    ]),
    ("debug", ["debug"]),
    ("hyperloglog", ["pfadd", "pfcount", "pfmerge", "pfdebug", "pfselftest"]),
    ("migrate", ["migrate"]),
    ("bitops", ["setbit", "getbit", "bitcount", "bitpos", "bitop", "bitfield", "bitfield_ro"]),
    ("transactions", ["multi", "exec", "discard", "watch", "unwatch"]),
    ("pubsub", [
        "subscribe", "unsubscribe", "psubscribe", "punsubscribe", "publish",
        "ssubscribe", "sunsubscribe", "spublish",
        ("pubsub", ["channels", "numsub", "numpat", "shardchannels",
                    "shardnumsub", "help"]),
    ]),
    ("scripting", [
        "eval", "evalsha", "eval_ro", "evalsha_ro",
        ("script", ["load", "exists", "flush", "kill", "debug", "help"]),
        "fcall", "fcall_ro",
        ("function", ["load", "delete", "list", "stats", "kill", "flush",
                      "dump", "restore", "help"]),
    ]),
]

# ---------------------------------------------------------------------------
# Our own one-line summaries.  Keys are "name" or "parent|sub".
# ---------------------------------------------------------------------------
SUMMARIES = {
    # scripting
    "eval": "Run a Lua script against the keys and arguments given.",
    "evalsha": "Run a cached Lua script named by its SHA-1.",
    "eval_ro": "Run a Lua script that may only read.",
    "evalsha_ro": "Run a cached Lua script that may only read.",
    "script": "Manage the Lua script cache.",
    "script|load": "Compile a script into the cache and return its SHA-1.",
    "script|exists": "Tell which of these SHA-1s are in the script cache.",
    "script|flush": "Empty the script cache.",
    "script|kill": "Stop the running script if it has not written.",
    "script|debug": "Run this client's next EVALs under the Lua debugger.",
    "script|help": "List the SCRIPT subcommands.",
    "fcall": "Call a function of a loaded library.",
    "fcall_ro": "Call a function of a loaded library that may only read.",
    "function": "Manage the function libraries.",
    "function|load": "Load a library of functions from its Lua source.",
    "function|delete": "Remove a library and its functions.",
    "function|list": "Describe the loaded libraries and their functions.",
    "function|stats": "Tell which function runs now and how many are loaded.",
    "function|kill": "Stop the running function if it has not written.",
    "function|flush": "Remove every library.",
    "function|dump": "Serialize every library into one payload.",
    "function|restore": "Load the libraries of a FUNCTION DUMP payload.",
    "function|help": "List the FUNCTION subcommands.",
    # strings
    "set": "Set a key to a string value, with optional expiry and conditions.",
    "get": "Return the string stored at a key.",
    "getset": "Store a new string at a key and hand back the previous one.",
    "getdel": "Return a key's string and remove the key.",
    "getex": "Return a key's string while changing or clearing its expiry.",
    "setnx": "Store a string only when the key is absent.",
    "setex": "Store a string together with a lifetime in seconds.",
    "psetex": "Store a string together with a lifetime in milliseconds.",
    "mset": "Store several key/value pairs in one step.",
    "msetnx": "Store several key/value pairs only if none of the keys exist.",
    "mget": "Fetch the strings of several keys at once.",
    "append": "Add bytes to the end of a key's string.",
    "strlen": "Report how many bytes a key's string holds.",
    "incr": "Add one to the integer held in a key.",
    "decr": "Subtract one from the integer held in a key.",
    "incrby": "Add a given integer to the number held in a key.",
    "decrby": "Subtract a given integer from the number held in a key.",
    "incrbyfloat": "Add a floating-point amount to the number held in a key.",
    "getrange": "Return a slice of a key's string by byte offsets.",
    "setrange": "Overwrite part of a key's string starting at an offset.",
    "substr": "Older name for taking a byte slice of a key's string.",
    "lcs": "Find the longest common subsequence of two string keys.",
    # keys
    "del": "Remove one or more keys.",
    "unlink": "Remove keys, freeing their memory in the background.",
    "exists": "Count how many of the named keys are present.",
    "type": "Report what kind of value a key holds.",
    "keys": "List every key whose name matches a glob pattern.",
    "scan": "Walk the keyspace a batch at a time with a cursor.",
    "randomkey": "Pick any key from the current database.",
    "rename": "Give a key a new name, replacing any key already there.",
    "renamenx": "Give a key a new name only when that name is free.",
    "copy": "Duplicate a key's value under another name.",
    "touch": "Mark keys as recently used and count the ones found.",
    "expire": "Give a key a lifetime in seconds.",
    "pexpire": "Give a key a lifetime in milliseconds.",
    "expireat": "Make a key vanish at a Unix time in seconds.",
    "pexpireat": "Make a key vanish at a Unix time in milliseconds.",
    "ttl": "Report a key's remaining lifetime in seconds.",
    "pttl": "Report a key's remaining lifetime in milliseconds.",
    "expiretime": "Report the Unix time in seconds when a key will vanish.",
    "pexpiretime": "Report the Unix time in milliseconds when a key will vanish.",
    "persist": "Drop a key's expiry so it lives forever.",
    "move": "Shift a key into another numbered database.",
    "object": "Look at the internals of a stored value.",
    "dump": "Serialize a key's value as RESTORE takes it.",
    "geoadd": "Add places to a geospatial index by longitude and latitude.",
    "geopos": "The longitude and latitude of places in a geospatial index.",
    "geodist": "The distance between two places in a geospatial index.",
    "geohash": "Standard geohash strings for places in a geospatial index.",
    "georadius": "Places within a radius of a point, optionally stored (deprecated for GEOSEARCH).",
    "georadius_ro": "Places within a radius of a point, read-only form (deprecated for GEOSEARCH).",
    "georadiusbymember": "Places within a radius of a member, optionally stored (deprecated for GEOSEARCH).",
    "georadiusbymember_ro": "Places within a radius of a member, read-only form (deprecated for GEOSEARCH).",
    "geosearch": "Places inside a circle or box around a point or member.",
    "geosearchstore": "Store the places inside a circle or box around a point or member.",
    "memory": "Look at the server's memory use.",
    "memory|usage": "Estimate the bytes a key and its value take.",
    "memory|doctor": "Report memory problems, if any.",
    "memory|malloc-stats": "Report the memory allocator's statistics.",
    "memory|purge": "Ask the allocator to return free pages.",
    "memory|help": "List the MEMORY subcommands.",
    "pfadd": "Add elements to a HyperLogLog, creating it if needed.",
    "pfcount": "The estimated number of distinct elements in one HyperLogLog or the union of several.",
    "pfmerge": "Merge HyperLogLogs into a destination HyperLogLog.",
    "pfdebug": "Inspect or convert the internal encoding of a HyperLogLog.",
    "pfselftest": "Run the HyperLogLog implementation's self-test.",
    "ssubscribe": "Listen for messages published to shard channels.",
    "sunsubscribe": "Stop listening to shard channels.",
    "spublish": "Post a message to a shard channel.",
    "pubsub|shardchannels": "Shard channels with at least one subscriber.",
    "pubsub|shardnumsub": "Subscriber counts of shard channels.",
    "command|getkeysandflags": "The keys of a full command line, each with its key flags.",
    "client|tracking": "Turn client-side caching invalidations on or off for this connection.",
    "client|caching": "Say whether the next command's keys are tracked (OPTIN/OPTOUT).",
    "client|getredir": "The client ID this connection's invalidations go to.",
    "client|trackinginfo": "This connection's client-side caching settings.",
    "memory|stats": "Where the server's memory goes: overhead, dataset, fragmentation.",
    "latency|history": "The samples recorded for one latency event.",
    "latency|graph": "A text chart of one latency event's samples.",
    "latency|doctor": "A readable report of the latency events recorded.",
    "latency|histogram": "Per-command distributions of call durations.",
    "restore-asking": "RESTORE for a cluster slot migration (ASKING implied).",
    "migrate": "Move keys to another instance: RESTOREd there, then deleted here (COPY keeps them).",
    "lolwut": "Show the server version, with a drawing for versions 5 and 6.",
    "asking": "Cluster redirection flag (cluster support is disabled here).",
    "readonly": "Cluster replica reads (cluster support is disabled here).",
    "readwrite": "End cluster replica reads (cluster support is disabled here).",
    "config|rewrite": "Write the current settings back into the config file.",
    "setbit": "Set or clear one bit of a string, returning its old value.",
    "getbit": "Return one bit of a string.",
    "bitcount": "Count the set bits of a string, or of a range of it.",
    "bitpos": "Find the first set or clear bit of a string, or of a range of it.",
    "bitop": "Combine strings bitwise (AND, OR, XOR, NOT) into a key.",
    "bitfield": "Read, write and increment integers of any width at any bit offset of a string.",
    "bitfield_ro": "Read integers of any width at any bit offset of a string.",
    "sort": "Sort a list, set or sorted set, optionally by other keys, and return or store it.",
    "sort_ro": "Sort a list, set or sorted set without storing the result.",
    "restore": "Create a key from a DUMP payload.",
    "object|encoding": "Report the internal representation a value uses.",
    "object|refcount": "Report how many references a value has.",
    "object|idletime": "Report how long since a key was last touched.",
    "object|freq": "Report a key's access-frequency counter.",
    "object|help": "List the OBJECT subcommands.",
    # server
    "dbsize": "Count the keys in the current database.",
    "flushdb": "Empty the current database.",
    "flushall": "Empty every database.",
    "swapdb": "Exchange the contents of two databases.",
    "info": "Report server state and statistics as text sections.",
    "config": "Read or change server settings.",
    "config|get": "Read the settings matching one or more patterns.",
    "config|set": "Change one or more settings at run time.",
    "config|resetstat": "Zero the server's statistics counters.",
    "config|help": "List the CONFIG subcommands.",
    "time": "Report the server clock as seconds and microseconds.",
    "lastsave": "Report when data was last written to disk.",
    "shutdown": "Stop the server, optionally saving first.",
    "debug": "Run internal diagnostic and testing actions.",
    "command": "Describe the commands this server understands.",
    "command|count": "Report how many commands exist.",
    "command|info": "Describe the named commands, or all of them.",
    "command|docs": "Give documentation details for commands.",
    "command|list": "List command names, optionally filtered.",
    "command|getkeys": "Work out which arguments of a command are keys.",
    "command|help": "List the COMMAND subcommands.",
    "save": "Write the dataset to disk, blocking until done.",
    "bgsave": "Write the dataset to disk in the background.",
    "bgrewriteaof": "Compact the append-only file in the background.",
    # connection
    "ping": "Check the connection is alive, optionally echoing a message.",
    "echo": "Send the given message straight back.",
    "quit": "Close this connection.",
    "reset": "Return this connection to its initial state.",
    "select": "Switch this connection to another numbered database.",
    "hello": "Negotiate protocol version and describe the connection.",
    "auth": "Log this connection in with a password.",
    "client": "Inspect and manage client connections.",
    "client|id": "Report this connection's numeric id.",
    "client|setname": "Attach a name to this connection.",
    "client|getname": "Report the name attached to this connection.",
    "client|list": "Describe every open connection.",
    "client|info": "Describe this connection.",
    "client|setinfo": "Record the name or version of the client library on this connection.",
    "client|kill": "Close other connections chosen by address or filter.",
    "client|help": "List the CLIENT subcommands.",
    "client|unblock": "Release a client that is blocked in a blocking command.",
    "client|pause": "Hold every client's commands (or only writes) for a while.",
    "client|unpause": "End a CLIENT PAUSE early.",
    "client|no-evict": "Exempt this connection from client eviction, or not.",
    "client|reply": "Turn this connection's replies off, on, or skip the next one.",
    "monitor": "Stream every command the server runs to this connection.",
    "replicaof": "Follow another server as its replica, or stop following (NO ONE).",
    "slaveof": "Follow another server as its replica (the old name of REPLICAOF).",
    "sync": "Ask for the whole dataset, then the command stream (old replicas).",
    "psync": "Ask to continue the replication stream from an offset, or get it whole.",
    "replconf": "Tell the master about this replica: its port, abilities and acknowledged offset.",
    "role": "Report this server's role in replication and its peers.",
    "wait": "Wait until enough replicas acknowledged this connection's writes.",
    "failover": "Hand the master role to one of this server's replicas.",
    "slowlog": "Inspect the log of slow commands.",
    "slowlog|get": "Return the most recent slow commands.",
    "slowlog|len": "Count the entries in the slow log.",
    "slowlog|reset": "Empty the slow log.",
    "slowlog|help": "List the SLOWLOG subcommands.",
    "latency": "Inspect latency spikes the server recorded.",
    "cluster": "Cluster administration; refused, as this server never runs in cluster mode.",
    "cluster|info": "Would report the cluster's state; refused without cluster mode.",
    "cluster|myid": "Would report this node's id; refused without cluster mode.",
    "cluster|nodes": "Would describe the nodes this one knows; refused without cluster mode.",
    "cluster|shards": "Would describe the cluster's shards; refused without cluster mode.",
    "cluster|slots": "Would map hash slots to nodes; refused without cluster mode.",
    "cluster|keyslot": "Would hash a key to its slot; refused without cluster mode.",
    "cluster|countkeysinslot": "Would count the keys in a hash slot; refused without cluster mode.",
    "cluster|getkeysinslot": "Would list keys of a hash slot; refused without cluster mode.",
    "cluster|meet": "Would connect to another node; refused without cluster mode.",
    "cluster|forget": "Would drop a node from the node table; refused without cluster mode.",
    "cluster|replicate": "Would make this node a replica of another; refused without cluster mode.",
    "cluster|replicas": "Would list the replicas of a node; refused without cluster mode.",
    "cluster|slaves": "Would list the replicas of a node (old name); refused without cluster mode.",
    "cluster|failover": "Would make this replica take over its master; refused without cluster mode.",
    "cluster|reset": "Would forget the cluster this node was in; refused without cluster mode.",
    "cluster|saveconfig": "Would write the cluster configuration file; refused without cluster mode.",
    "cluster|addslots": "Would assign hash slots to this node; refused without cluster mode.",
    "cluster|addslotsrange": "Would assign ranges of hash slots to this node; refused without cluster mode.",
    "cluster|delslots": "Would unassign hash slots from this node; refused without cluster mode.",
    "cluster|delslotsrange": "Would unassign ranges of hash slots; refused without cluster mode.",
    "cluster|flushslots": "Would unassign every slot of this node; refused without cluster mode.",
    "cluster|setslot": "Would change a hash slot's state; refused without cluster mode.",
    "cluster|set-config-epoch": "Would set a new node's config epoch; refused without cluster mode.",
    "cluster|bumpepoch": "Would advance this node's config epoch; refused without cluster mode.",
    "cluster|count-failure-reports": "Would count the failure reports about a node; refused without cluster mode.",
    "cluster|links": "Would list the links to other nodes; refused without cluster mode.",
    "cluster|help": "Would list the CLUSTER subcommands; refused without cluster mode.",
    "latency|latest": "Return the latest spike of each event.",
    "latency|reset": "Forget recorded latency spikes.",
    "latency|help": "List the LATENCY subcommands.",
    "acl": "Inspect users and permissions.",
    "acl|whoami": "Name the user this connection is authenticated as.",
    "acl|cat": "List the command categories, or the commands in one category.",
    "acl|users": "List the names of the configured users.",
    "acl|help": "List the ACL subcommands.",
    "acl|setuser": "Create a user or change its rules, all or nothing.",
    "acl|getuser": "Show a user's flags, password hashes and permissions.",
    "acl|deluser": "Delete users and close their connections.",
    "acl|list": "Every user's rules as a config-file line.",
    "acl|log": "Show or clear the log of refused commands and logins.",
    "acl|genpass": "Make a random password from the kernel's generator.",
    "acl|dryrun": "Tell whether a user may run a command line, without running it.",
    "acl|load": "Replace the users with those of the ACL file.",
    "acl|save": "Write the users to the ACL file.",
    # lists
    "lpush": "Insert elements at the head of a list.",
    "rpush": "Insert elements at the tail of a list.",
    "lpushx": "Insert at the head only if the list already exists.",
    "rpushx": "Insert at the tail only if the list already exists.",
    "lpop": "Take elements off the head of a list.",
    "rpop": "Take elements off the tail of a list.",
    "llen": "Report how many elements a list holds.",
    "lrange": "Return the list elements between two positions.",
    "lindex": "Return the list element at a position.",
    "lset": "Replace the list element at a position.",
    "linsert": "Put an element just before or after a pivot element.",
    "lrem": "Delete occurrences of a value from a list.",
    "ltrim": "Cut a list down to a range of positions.",
    "lpos": "Find the positions where a value occurs in a list.",
    "lmove": "Pop from one list end and push onto another list.",
    "rpoplpush": "Take the tail of one list and put it at the head of another.",
    "lmpop": "Pop elements from the first non-empty list among several.",
    "blpop": "Take the head of the first non-empty list, waiting if all are empty.",
    "brpop": "Take the tail of the first non-empty list, waiting if all are empty.",
    "blmove": "Move an element between lists, waiting for the source to fill.",
    "brpoplpush": "Move a tail element to another list's head, waiting if needed.",
    "blmpop": "Pop from the first non-empty list, waiting if all are empty.",
    # hashes
    "hset": "Assign one or more fields in a hash.",
    "hsetnx": "Assign a hash field only if it is absent.",
    "hget": "Return one field's value from a hash.",
    "hmget": "Return several fields' values from a hash.",
    "hmset": "Older form of assigning several hash fields.",
    "hdel": "Remove fields from a hash.",
    "hlen": "Count the fields in a hash.",
    "hstrlen": "Report the byte length of one hash field's value.",
    "hexists": "Check whether a hash has a field.",
    "hkeys": "List the field names of a hash.",
    "hvals": "List the values of a hash.",
    "hgetall": "Return every field and value of a hash.",
    "hincrby": "Add an integer to a numeric hash field.",
    "hincrbyfloat": "Add a floating-point amount to a numeric hash field.",
    "hrandfield": "Pick random fields from a hash.",
    "hscan": "Walk a hash's fields a batch at a time with a cursor.",
    # sets
    "sadd": "Put members into a set.",
    "srem": "Take members out of a set.",
    "sismember": "Check whether a value belongs to a set.",
    "smismember": "Check membership for several values at once.",
    "smembers": "List every member of a set.",
    "scard": "Count the members of a set.",
    "spop": "Remove and return random members of a set.",
    "srandmember": "Return random members of a set without removing them.",
    "smove": "Shift a member from one set to another.",
    "sinter": "Return the members common to all the given sets.",
    "sintercard": "Count the members common to all the given sets.",
    "sunion": "Return the members found in any of the given sets.",
    "sdiff": "Return members of the first set missing from the others.",
    "sinterstore": "Save the common members of several sets under a key.",
    "sunionstore": "Save the combined members of several sets under a key.",
    "sdiffstore": "Save the set difference under a key.",
    "sscan": "Walk a set's members a batch at a time with a cursor.",
    # sorted sets
    "zadd": "Put members with scores into a sorted set, or update them.",
    "zincrby": "Raise a sorted-set member's score by an amount.",
    "zscore": "Return the score of a sorted-set member.",
    "zmscore": "Return the scores of several sorted-set members.",
    "zcard": "Count the members of a sorted set.",
    "zcount": "Count sorted-set members whose scores fall in a range.",
    "zlexcount": "Count sorted-set members within a lexical range.",
    "zrange": "Return sorted-set members by rank, score or lexical range.",
    "zrangestore": "Save a range of a sorted set under another key.",
    "zrevrange": "Return sorted-set members by rank, highest first.",
    "zrangebyscore": "Return sorted-set members within a score range.",
    "zrevrangebyscore": "Return members within a score range, highest first.",
    "zrangebylex": "Return sorted-set members within a lexical range.",
    "zrevrangebylex": "Return members within a lexical range, in reverse.",
    "zrank": "Report a member's position counting from the lowest score.",
    "zrevrank": "Report a member's position counting from the highest score.",
    "zrem": "Take members out of a sorted set.",
    "zremrangebyrank": "Delete sorted-set members between two positions.",
    "zremrangebyscore": "Delete sorted-set members within a score range.",
    "zremrangebylex": "Delete sorted-set members within a lexical range.",
    "zpopmin": "Remove and return the lowest-scored members.",
    "zpopmax": "Remove and return the highest-scored members.",
    "zmpop": "Pop from the first non-empty sorted set among several.",
    "bzpopmin": "Pop the lowest-scored member, waiting if all sets are empty.",
    "bzpopmax": "Pop the highest-scored member, waiting if all sets are empty.",
    "bzmpop": "Pop from the first non-empty sorted set, waiting if needed.",
    "zunion": "Return the combined members of several sorted sets.",
    "zinter": "Return the members shared by several sorted sets.",
    "zdiff": "Return members of the first sorted set absent from the rest.",
    "zunionstore": "Save the combination of several sorted sets under a key.",
    "zinterstore": "Save the shared members of several sorted sets under a key.",
    "zdiffstore": "Save the sorted-set difference under a key.",
    "zintercard": "Count the members shared by several sorted sets.",
    "zrandmember": "Pick random members from a sorted set.",
    "zscan": "Walk a sorted set a batch at a time with a cursor.",
    # streams
    "xadd": "Append an entry to a stream, optionally trimming it.",
    "xlen": "Count the entries of a stream.",
    "xrange": "Return a stream's entries between two IDs, oldest first.",
    "xrevrange": "Return a stream's entries between two IDs, newest first.",
    "xdel": "Remove entries from a stream by ID.",
    "xtrim": "Drop a stream's oldest entries down to a length or an ID.",
    "xsetid": "Set a stream's last ID and its bookkeeping counters.",
    "xread": "Read entries after given IDs from streams, optionally waiting.",
    "xreadgroup": "Read entries as a consumer of a group, optionally waiting.",
    "xack": "Mark a group's pending entries as processed.",
    "xpending": "Describe the entries a group delivered and nobody acknowledged.",
    "xclaim": "Take pending entries over from another consumer.",
    "xautoclaim": "Take over pending entries idle for long enough, with a cursor.",
    "xgroup": "Manage the consumer groups of a stream.",
    "xgroup|create": "Create a consumer group.",
    "xgroup|createconsumer": "Add a consumer to a group.",
    "xgroup|delconsumer": "Remove a consumer and its pending entries.",
    "xgroup|destroy": "Remove a consumer group.",
    "xgroup|setid": "Move a group's last delivered ID.",
    "xgroup|help": "List the XGROUP subcommands.",
    "xinfo": "Describe a stream, its groups or their consumers.",
    "xinfo|stream": "Describe a stream, or dump it in full.",
    "xinfo|groups": "Describe a stream's consumer groups.",
    "xinfo|consumers": "Describe the consumers of a group.",
    "xinfo|help": "List the XINFO subcommands.",
    # transactions
    "multi": "Begin queueing commands for a transaction.",
    "exec": "Run every queued command of the transaction.",
    "discard": "Throw away the queued transaction.",
    "watch": "Abort the next transaction if any of these keys change.",
    "unwatch": "Stop watching all keys.",
    # pubsub
    "subscribe": "Listen for messages on the named channels.",
    "unsubscribe": "Stop listening on channels.",
    "psubscribe": "Listen on every channel matching the given patterns.",
    "punsubscribe": "Stop listening on channel patterns.",
    "publish": "Send a message to a channel's listeners.",
    "pubsub": "Inspect the state of the publish/subscribe system.",
    "pubsub|channels": "List channels that currently have listeners.",
    "pubsub|numsub": "Count the listeners of the named channels.",
    "pubsub|numpat": "Count the active pattern subscriptions.",
    "pubsub|help": "List the PUBSUB subcommands.",
}


# ---------------------------------------------------------------------------
# Minimal RESP client.
# ---------------------------------------------------------------------------
class RespError(Exception):
    pass


class Resp:
    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port), timeout=10)
        self.buf = b""

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed connection")
        self.buf += chunk

    def _line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 2:]
                return line
            self._fill()

    def _exact(self, n):
        while len(self.buf) < n + 2:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def _read(self):
        line = self._line()
        t, rest = line[:1], line[1:]
        if t == b"+":
            return rest.decode()
        if t == b"-":
            return RespError(rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n).decode()
        if t in (b"*", b"~", b">"):
            n = int(rest)
            return None if n < 0 else [self._read() for _ in range(n)]
        if t == b"%":  # RESP3 map, flattened like RESP2
            out = []
            for _ in range(int(rest)):
                out.append(self._read())
                out.append(self._read())
            return out
        if t == b"_":
            return None
        raise ValueError("unexpected RESP type %r" % line)

    def call(self, *args):
        parts = [b"*%d\r\n" % len(args)]
        for a in args:
            b = str(a).encode()
            parts.append(b"$%d\r\n%s\r\n" % (len(b), b))
        self.sock.sendall(b"".join(parts))
        reply = self._read()
        if isinstance(reply, RespError):
            raise reply
        return reply


def pairs(flat):
    """Turn a flat [k, v, k, v, ...] reply into a dict."""
    return {flat[i]: flat[i + 1] for i in range(0, len(flat), 2)}


# ---------------------------------------------------------------------------
# Rust rendering.
# ---------------------------------------------------------------------------
def rs(s):
    """A Rust string literal."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def render_key_spec(spec, notes_out):
    d = pairs(spec)
    extra = [k for k in d if k not in ("flags", "begin_search", "find_keys", "notes")]
    for k in extra:
        notes_out.append("key spec %s: %s" % (k, d[k]))
    flags = " ".join(f for f in d["flags"])

    bs = pairs(d["begin_search"])
    bss = pairs(bs["spec"]) if bs.get("spec") else {}
    if bs["type"] == "index":
        begin = "BeginSearch::Index(%d)" % bss["index"]
    elif bs["type"] == "keyword":
        begin = "BeginSearch::Keyword(%s, %d)" % (rs(bss["keyword"]), bss["startfrom"])
    elif bs["type"] == "unknown":
        begin = "BeginSearch::Unknown"
    else:
        notes_out.append("begin_search type %r not representable" % bs["type"])
        begin = "BeginSearch::Index(0)"

    fk = pairs(d["find_keys"])
    fks = pairs(fk["spec"]) if fk.get("spec") else {}
    if fk["type"] == "range":
        find = "FindKeys::Range(%d, %d, %d)" % (fks["lastkey"], fks["keystep"], fks["limit"])
    elif fk["type"] == "keynum":
        find = "FindKeys::Keynum(%d, %d, %d)" % (fks["keynumidx"], fks["firstkey"], fks["keystep"])
    elif fk["type"] == "unknown":
        find = "FindKeys::Unknown"
    else:
        notes_out.append("find_keys type %r not representable" % fk["type"])
        find = "FindKeys::Range(0, 1, 0)"
    return "KeySpec { notes: %s, flags: %s, begin: %s, find: %s }" % (rs(d.get("notes", "")), rs(flags), begin, find)


class Missing(Exception):
    pass


def render_row(full, info, docs, indent, handler, sub_rows=None, warnings=None):
    """full: 'set' or 'config|get'.  info: COMMAND INFO entry.  docs: dict."""
    (name, arity, flags, first, last, step, acl, tips, key_specs) = info[:9]
    short = name.split("|")[-1].lower()
    notes = []
    ks = [render_key_spec(s, notes) for s in key_specs]
    if "deprecated_since" in docs:
        msg = "docs: deprecated since %s" % docs["deprecated_since"]
        if docs.get("replaced_by"):
            msg += ", replaced by %s" % docs["replaced_by"]
        notes.append(msg)
    summary = SUMMARIES.get(full)
    if summary is None:
        if warnings is not None:
            warnings.append("no summary for %s" % full)
        summary = "TODO"

    p = " " * indent
    q = p + "    "
    out = []
    for n in notes:
        out.append("%s// NOTE: %s" % (p, " ".join(str(n).split())))
        if warnings is not None and n.startswith("key spec"):
            warnings.append("%s: %s" % (full, n))
    out.append(p + "CommandSpec {")
    out.append("%sname: %s, arity: %d, flags: %s, acl: %s, tips: %s," % (
        q, rs(short), arity, rs(" ".join(flags)), rs(" ".join(acl)), rs(" ".join(tips))))
    out.append("%sfirst_key: %d, last_key: %d, key_step: %d," % (q, first, last, step))
    if not ks:
        out.append("%skey_specs: &[]," % q)
    elif len(ks) == 1:
        out.append("%skey_specs: &[%s]," % (q, ks[0]))
    else:
        out.append("%skey_specs: &[" % q)
        for k in ks:
            out.append("%s    %s," % (q, k))
        out.append("%s]," % q)
    out.append("%sgroup: %s, since: %s, complexity: %s," % (
        q, rs(docs.get("group", "")), rs(docs.get("since", "")), rs(docs.get("complexity", ""))))
    out.append("%ssummary: %s," % (q, rs(summary)))
    if sub_rows is None:
        out.append("%shandler: %s, subcommands: &[]," % (q, handler))
    else:
        out.append("%shandler: %s, subcommands: &[" % (q, handler or "container_command"))
        out.extend(sub_rows)
        out.append("%s]," % q)
    out.append(p + "},")
    return out


# Rows for commands newer than Redis 7.0.15 (which cannot describe them):
# full name -> the COMMAND INFO/DOCS facts of the Redis version that added
# them, in render_row's shape.
BEYOND_7_0 = {
    # Redis 7.2: modern client libraries send it on connect.
    "client|setinfo": (
        ["client|setinfo", 4, ["noscript", "loading", "stale"], 0, 0, 0,
         ["@slow", "@connection"],
         ["request_policy:all_nodes", "response_policy:all_succeeded"], []],
        {"group": "connection", "since": "7.2.0", "complexity": "O(1)"},
    ),
}

# Containers that answer by themselves too (COMMAND alone lists every
# command); the others answer Redis's unknown-subcommand error.
CONTAINER_HANDLERS = {"command": "command_command"}

# MODULES names that differ from their source file.
FILE_OF = {"server": "admin"}


# Containers whose every subcommand shares one handler.
SHARED_SUB_HANDLERS = {"cluster": "cluster_disabled_command"}


def handler_name(*parts):
    if len(parts) == 2 and parts[0] in SHARED_SUB_HANDLERS:
        return SHARED_SUB_HANDLERS[parts[0]]
    return "_".join(p.lower().replace("-", "_") for p in parts) + "_command"


def generate(conn, warnings):
    """Return {module: text}."""
    result = {}
    for module, entries in MODULES:
        names = [e if isinstance(e, str) else e[0] for e in entries]
        infos = conn.call("COMMAND", "INFO", *names)
        docs_flat = conn.call("COMMAND", "DOCS", *names)
        docs_all = {k.lower(): pairs(v) for k, v in pairs(docs_flat).items()}
        lines = []
        for entry, info in zip(entries, infos):
            name = entry if isinstance(entry, str) else entry[0]
            if info is None:
                lines.append("    // MISSING: %s is not known to this server" % name)
                warnings.append("%s: not known to server" % name)
                continue
            docs = docs_all.get(name, {})
            if isinstance(entry, str):
                lines += render_row(name, info, docs, 4, handler_name(name),
                                    warnings=warnings)
                continue
            subs_wanted = entry[1]
            sub_infos = {s[0].lower(): s for s in (info[9] if len(info) > 9 else [])}
            sub_docs = {k.lower(): pairs(v)
                        for k, v in pairs(docs.get("subcommands", [])).items()}
            sub_rows = []
            for sub in subs_wanted:
                full = "%s|%s" % (name, sub)
                if full not in sub_infos and full in BEYOND_7_0:
                    info_b, docs_b = BEYOND_7_0[full]
                    sub_rows += render_row(full, info_b, docs_b, 12,
                                           handler_name(name, sub), warnings=warnings)
                    continue
                if full not in sub_infos:
                    sub_rows.append("            // MISSING: %s is not known to this server" % full)
                    warnings.append("%s: not known to server, row skipped" % full)
                    continue
                sub_rows += render_row(full, sub_infos[full], sub_docs.get(full, {}), 12,
                                       handler_name(name, sub), warnings=warnings)
            skipped = sorted(set(sub_infos) - {"%s|%s" % (name, s) for s in subs_wanted})
            if skipped:
                warnings.append("%s: server subcommands not emitted: %s" % (name, " ".join(skipped)))
            lines += render_row(name, info, docs, 4, CONTAINER_HANDLERS.get(name),
                                sub_rows=sub_rows, warnings=warnings)
        result[module] = "\n".join(lines) + "\n"
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=6379)
    ap.add_argument("--outdir", default=os.path.join(os.path.dirname(__file__), "..", "src", "commands", "table"),
                    help="where the table modules go (default src/commands/table)")
    ap.add_argument("--stdout", action="store_true", help="print instead of writing files")
    args = ap.parse_args()

    conn = Resp(args.host, args.port)
    version = pairs_info_version(conn)
    warnings = []
    if version != "7.0.15":
        warnings.append("server reports redis_version %s, expected 7.0.15" % version)
    result = generate(conn, warnings)

    # Every family's handlers are in scope (cargo fmt lays the line out).
    imports = ", ".join("%s::*" % m for m in sorted(FILE_OF.get(m, m) for m, _ in MODULES))
    files = {}
    for module, text in result.items():
        fname = FILE_OF.get(module, module)
        files[fname] = (
            "//! The `%s` family's command table rows (handlers in\n"
            "//! src/commands/%s.rs). GENERATED by scripts/gen-command-specs.py from\n"
            "//! redis-server 7.0.15's COMMAND INFO and COMMAND DOCS; summaries are the\n"
            "//! script's own words. Do not edit: change the script and rerun it.\n"
            "\n"
            "#[allow(unused_imports)]\n"
            "use crate::commands::{BeginSearch, CommandSpec, FindKeys, KeySpec, container_command};\n"
            "#[allow(unused_imports)]\n"
            "use crate::commands::{%s};\n"
            "\n"
            "#[rustfmt::skip]\n"
            "pub static COMMANDS: &[CommandSpec] = &[\n%s];\n"
        ) % (module, fname, imports, text)
    if args.stdout:
        for fname, text in files.items():
            sys.stdout.write("// ===== src/commands/table/%s.rs =====\n%s\n" % (fname, text))
    else:
        os.makedirs(args.outdir, exist_ok=True)
        for fname, text in files.items():
            with open(os.path.join(args.outdir, fname + ".rs"), "w") as f:
                f.write(text)
        with open(os.path.join(args.outdir, "mod.rs"), "w") as f:
            f.write("//! The command table, one generated module per family (see\n"
                    "//! scripts/gen-command-specs.py). Do not edit.\n\n")
            for fname in sorted(files):
                f.write("pub mod %s;\n" % fname)
    for w in warnings:
        print("warning: " + w, file=sys.stderr)


def pairs_info_version(conn):
    text = conn.call("INFO", "server")
    for line in text.splitlines():
        if line.startswith("redis_version:"):
            return line.split(":", 1)[1].strip()
    return "?"


if __name__ == "__main__":
    main()
