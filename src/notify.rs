//! Keyspace notifications, after Redis 7.0's notify.c: a change to a key
//! is published on `__keyspace@<db>__:<key>` (the message is the event
//! name) and on `__keyevent@<db>__:<event>` (the message is the key), for
//! the classes `notify-keyspace-events` enables. Publishing needs no
//! client: expiry and eviction have none.

use crate::server::Server;

pub const KEYSPACE: u32 = 1 << 0; // K
pub const KEYEVENT: u32 = 1 << 1; // E
pub const GENERIC: u32 = 1 << 2; // g
pub const STRING: u32 = 1 << 3; // $
pub const LIST: u32 = 1 << 4; // l
pub const SET: u32 = 1 << 5; // s
pub const HASH: u32 = 1 << 6; // h
pub const ZSET: u32 = 1 << 7; // z
pub const EXPIRED: u32 = 1 << 8; // x
pub const EVICTED: u32 = 1 << 9; // e
pub const STREAM: u32 = 1 << 10; // t
/// `m`: left out of `A` on purpose, as in Redis.
pub const KEY_MISS: u32 = 1 << 11;
pub const MODULE: u32 = 1 << 13; // d
pub const NEW: u32 = 1 << 14; // n
pub const ALL: u32 =
    GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;

/// Parse a class string ("KEA", "Kl$"); None on a character Redis does not
/// know (keyspaceEventsStringToFlags).
pub fn parse_flags(classes: &str) -> Option<u32> {
    let mut flags = 0;
    for ch in classes.chars() {
        flags |= match ch {
            'A' => ALL,
            'g' => GENERIC,
            '$' => STRING,
            'l' => LIST,
            's' => SET,
            'h' => HASH,
            'z' => ZSET,
            'x' => EXPIRED,
            'e' => EVICTED,
            'K' => KEYSPACE,
            'E' => KEYEVENT,
            't' => STREAM,
            'm' => KEY_MISS,
            'd' => MODULE,
            'n' => NEW,
            _ => return None,
        };
    }
    Some(flags)
}

/// The canonical class string CONFIG GET answers (keyspaceEventsFlagsToString).
pub fn format_flags(flags: u32) -> String {
    let mut s = String::new();
    if flags & ALL == ALL {
        s.push('A');
    } else {
        for (bit, ch) in [
            (GENERIC, 'g'),
            (STRING, '$'),
            (LIST, 'l'),
            (SET, 's'),
            (HASH, 'h'),
            (ZSET, 'z'),
            (EXPIRED, 'x'),
            (EVICTED, 'e'),
            (STREAM, 't'),
            (MODULE, 'd'),
            (NEW, 'n'),
        ] {
            if flags & bit != 0 {
                s.push(ch);
            }
        }
    }
    for (bit, ch) in [(KEYSPACE, 'K'), (KEYEVENT, 'E'), (KEY_MISS, 'm')] {
        if flags & bit != 0 {
            s.push(ch);
        }
    }
    s
}

impl Server {
    /// Publish `event` on `key` of `db` if its class is enabled (Redis's
    /// notifyKeyspaceEvent). One branch when notifications are off.
    #[inline]
    pub fn notify_keyspace_event(&mut self, class: u32, event: &str, key: &[u8], db: usize) {
        let flags = self.config.notify_keyspace_events;
        if flags & class == 0 {
            return;
        }
        self.publish_keyspace_event(flags, event, key, db);
    }

    #[cold]
    fn publish_keyspace_event(&mut self, flags: u32, event: &str, key: &[u8], db: usize) {
        let mut prefix = Vec::with_capacity(24 + key.len().max(event.len()));
        if flags & KEYSPACE != 0 {
            prefix.extend_from_slice(b"__keyspace@");
            prefix.extend_from_slice(db.to_string().as_bytes());
            prefix.extend_from_slice(b"__:");
            prefix.extend_from_slice(key);
            crate::commands::pubsub::publish_message(self, &prefix, event.as_bytes());
        }
        if flags & KEYEVENT != 0 {
            prefix.clear();
            prefix.extend_from_slice(b"__keyevent@");
            prefix.extend_from_slice(db.to_string().as_bytes());
            prefix.extend_from_slice(b"__:");
            prefix.extend_from_slice(event.as_bytes());
            crate::commands::pubsub::publish_message(self, &prefix, key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_round_trip_as_redis_prints_them() {
        assert_eq!(format_flags(parse_flags("KEA").unwrap()), "AKE");
        assert_eq!(format_flags(parse_flags("Elg$").unwrap()), "g$lE");
        assert_eq!(format_flags(parse_flags("An").unwrap()), "A");
        assert_eq!(format_flags(parse_flags("gn").unwrap()), "gn");
        assert_eq!(format_flags(parse_flags("mK").unwrap()), "Km");
        assert_eq!(format_flags(parse_flags("").unwrap()), "");
        assert_eq!(parse_flags("KEA?"), None);
    }
}
