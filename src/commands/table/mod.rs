//! The command table, one generated module per family (see
//! scripts/gen-command-specs.py). Do not edit.

pub mod acl;
pub mod admin;
pub mod bitops;
pub mod connection;
pub mod debug;
pub mod geo;
pub mod hashes;
pub mod hyperloglog;
pub mod introspection;
pub mod keys;
pub mod lists;
pub mod memory;
pub mod migrate;
pub mod pubsub;
pub mod replication;
pub mod scripting;
pub mod sets;
pub mod sort;
pub mod sorted_sets;
pub mod streams;
pub mod strings;
pub mod transactions;
