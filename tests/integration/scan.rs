//! SCAN's guarantee: a full iteration returns every key present for the
//! whole iteration, while other keys are added and removed in between.

use crate::common::start_miniredis;
use std::collections::HashSet;

fn parse_scan(reply: &[u8]) -> (String, Vec<String>) {
    let text = String::from_utf8_lossy(reply);
    let lines: Vec<&str> = text.split("\r\n").collect();
    let cursor = lines[2].to_string();
    let keys = lines[4..]
        .iter()
        .skip(1)
        .step_by(2)
        .filter(|s| !s.is_empty())
        .map(|s| s.to_string())
        .collect();
    (cursor, keys)
}

#[test]
fn scan_returns_stable_keys_under_churn() {
    let s = start_miniredis(&[]);
    let mut r = s.raw();
    for i in 0..2000 {
        r.q(&format!("SET stable:{i} x"));
    }
    let mut seen = HashSet::new();
    let mut cursor = "0".to_string();
    let mut round = 0;
    loop {
        let (next, keys) = parse_scan(&r.cmd(&[b"SCAN", cursor.as_bytes(), b"COUNT", b"50"]));
        seen.extend(keys);
        // Churn between calls: grow the table a lot, then shrink it.
        round += 1;
        for j in 0..300 {
            if round < 20 {
                r.q(&format!("SET churn:{round}:{j} y"));
            } else {
                r.q(&format!("DEL churn:{}:{j}", round - 19));
            }
        }
        cursor = next;
        if cursor == "0" {
            break;
        }
    }
    for i in 0..2000 {
        assert!(
            seen.contains(&format!("stable:{i}")),
            "stable:{i} was never returned"
        );
    }
}
