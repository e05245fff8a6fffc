//! A small, fast pseudo-random generator for sampling (RANDOMKEY, active
//! expiry, SCAN-independent picks). Not for anything secret.

use std::cell::Cell;

thread_local! {
    static STATE: Cell<u64> = Cell::new(
        (crate::util::time::ustime() as u64) ^ 0x2545_f491_4f6c_dd1d | 1
    );
}

/// Next 64 random bits (xorshift64*).
pub fn next_u64() -> u64 {
    STATE.with(|s| {
        let mut x = s.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        s.set(x);
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    })
}

/// A uniform-enough index below `n` (`n > 0`).
pub fn below(n: usize) -> usize {
    (next_u64() % n as u64) as usize
}
