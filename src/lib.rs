//! miniredis: a Redis-compatible in-memory data server.
//!
//! One thread runs one mio poll loop (`event_loop`) that owns every socket,
//! every client's buffers (`client`) and the keyspace (`db`), so nothing is
//! locked. A request flows: socket bytes → `resp::parse` → the command
//! table (`commands`) → a handler that edits the keyspace and writes its
//! reply through `resp::reply` → the client's buffer → the socket, written
//! in `before_sleep`. Time events (`cron`) run in the same loop at `hz`.
//! See docs/ARCHITECTURE.md.

pub mod acl;
pub mod alloc;
pub mod aof;
pub mod bio;
pub mod blocked;
pub mod call;
pub mod client;
pub mod commands;
pub mod config;
pub mod cron;
pub mod db;
pub mod dict;
pub mod event_loop;
pub mod evict;
pub mod fuzz;
pub mod info;
pub mod latency;
pub mod lazyfree;
pub mod notify;
pub mod persistence;
pub mod propagate;
pub mod replication;
pub mod resp;
pub mod scripting;
pub mod sds;
pub mod server;
pub mod tracking;
pub mod types;
pub mod util;
