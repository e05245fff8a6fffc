//! The keyspace hash: a fast multiply-mix hash seeded once per process, so
//! bucket placement is not predictable from outside (Redis seeds SipHash the
//! same way for the same reason).

use std::sync::OnceLock;

static SEED: OnceLock<u64> = OnceLock::new();

fn seed() -> u64 {
    *SEED.get_or_init(|| {
        // The address of a stack value and the clock are enough entropy to
        // make bucket placement unpredictable; this is not cryptography.
        let local = 0u8;
        let addr = &local as *const u8 as u64;
        let t = crate::util::time::ustime() as u64;
        mix(addr ^ t.rotate_left(32) ^ 0x9e37_79b9_7f4a_7c15)
    })
}

#[inline]
fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

#[inline]
fn fold(a: u64, b: u64) -> u64 {
    let r = (a as u128).wrapping_mul(b as u128);
    (r as u64) ^ ((r >> 64) as u64)
}

/// Hash a key. Reads eight bytes at a time; the tail is padded by length.
#[inline]
pub fn hash_bytes(key: &[u8]) -> u64 {
    const K1: u64 = 0xa076_1d64_78bd_642f;
    const K2: u64 = 0xe703_7ed1_a0b4_28db;
    let mut h = seed() ^ (key.len() as u64).wrapping_mul(K1);
    let mut chunks = key.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = fold(h ^ u64::from_le_bytes(w), K2);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut w = [0u8; 8];
        w[..rest.len()].copy_from_slice(rest);
        h = fold(h ^ u64::from_le_bytes(w) ^ K1, K2);
    }
    mix(h)
}

/// A fast `Hasher` for small internal maps (command names, stats): not
/// exposed to client-chosen keys in bulk, so speed matters more than
/// flooding resistance here.
#[derive(Default, Clone, Copy)]
pub struct FastHasher(u64);

impl std::hash::Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        for c in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..c.len()].copy_from_slice(c);
            self.0 =
                (self.0.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
    }
    fn write_usize(&mut self, n: usize) {
        self.0 = (self.0.rotate_left(5) ^ n as u64).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
    fn finish(&self) -> u64 {
        mix(self.0)
    }
}

pub type FastBuildHasher = std::hash::BuildHasherDefault<FastHasher>;
pub type FastMap<K, V> = std::collections::HashMap<K, V, FastBuildHasher>;

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn same_bytes_same_hash_and_tail_matters() {
        assert_eq!(hash_bytes(b"abc"), hash_bytes(b"abc"));
        assert_ne!(hash_bytes(b"abc"), hash_bytes(b"abd"));
        assert_ne!(hash_bytes(b"a"), hash_bytes(b"a\0"));
        assert_ne!(
            hash_bytes(b"key:000000000001"),
            hash_bytes(b"key:000000000002")
        );
    }
}
