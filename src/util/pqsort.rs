//! Redis's partial quicksort (pqsort.c, Bentley & McIlroy's qsort that
//! only descends into partitions overlapping a wanted range). GEORADIUS
//! with COUNT and SORT with LIMIT order only the elements they return with
//! it, and the order it leaves equal elements in is part of their replies,
//! so this follows the original step for step (indices for pointers).

use std::cmp::Ordering;

/// Sort `v` so that positions `lrange..=rrange` hold what a full sort
/// would put there (the rest is partitioned around them, in no order).
pub fn pqsort<T>(
    v: &mut [T],
    cmp: &mut impl FnMut(&T, &T) -> Ordering,
    lrange: usize,
    rrange: usize,
) {
    let n = v.len();
    partial(v, 0, n, cmp, lrange, rrange);
}

fn med3<T>(
    v: &[T],
    a: usize,
    b: usize,
    c: usize,
    cmp: &mut impl FnMut(&T, &T) -> Ordering,
) -> usize {
    if cmp(&v[a], &v[b]).is_lt() {
        if cmp(&v[b], &v[c]).is_lt() {
            b
        } else if cmp(&v[a], &v[c]).is_lt() {
            c
        } else {
            a
        }
    } else if cmp(&v[b], &v[c]).is_gt() {
        b
    } else if cmp(&v[a], &v[c]).is_lt() {
        a
    } else {
        c
    }
}

fn vecswap<T>(v: &mut [T], a: usize, b: usize, n: usize) {
    for i in 0..n {
        v.swap(a + i, b + i);
    }
}

/// Does the partition `start..start+len` miss the wanted range entirely?
fn outside(start: usize, len: usize, l: usize, r: usize) -> bool {
    (l < start && r < start) || (l >= start + len && r >= start + len)
}

fn partial<T>(
    v: &mut [T],
    mut a: usize,
    mut n: usize,
    cmp: &mut impl FnMut(&T, &T) -> Ordering,
    l: usize,
    r: usize,
) {
    loop {
        if n < 7 {
            for pm in a + 1..a + n {
                let mut pl = pm;
                while pl > a && cmp(&v[pl - 1], &v[pl]).is_gt() {
                    v.swap(pl, pl - 1);
                    pl -= 1;
                }
            }
            return;
        }
        let mut pm = a + n / 2;
        if n > 7 {
            let mut pl = a;
            let mut pn = a + n - 1;
            if n > 40 {
                let d = n / 8;
                pl = med3(v, pl, pl + d, pl + 2 * d, cmp);
                pm = med3(v, pm - d, pm, pm + d, cmp);
                pn = med3(v, pn - 2 * d, pn - d, pn, cmp);
            }
            pm = med3(v, pl, pm, pn, cmp);
        }
        v.swap(a, pm);
        let (mut pa, mut pb) = (a + 1, a + 1);
        let (mut pc, mut pd) = (a + n - 1, a + n - 1);
        loop {
            while pb <= pc {
                let o = cmp(&v[pb], &v[a]);
                if o.is_gt() {
                    break;
                }
                if o.is_eq() {
                    v.swap(pa, pb);
                    pa += 1;
                }
                pb += 1;
            }
            while pb <= pc {
                let o = cmp(&v[pc], &v[a]);
                if o.is_lt() {
                    break;
                }
                if o.is_eq() {
                    v.swap(pc, pd);
                    pd -= 1;
                }
                pc -= 1;
            }
            if pb > pc {
                break;
            }
            v.swap(pb, pc);
            pb += 1;
            pc -= 1;
        }
        let pn = a + n;
        let s = (pa - a).min(pb - pa);
        vecswap(v, a, pb - s, s);
        let s = (pd - pc).min(pn - pd - 1);
        vecswap(v, pb, pn - s, s);
        let s = pb - pa;
        if s > 1 && !outside(a, s, l, r) {
            partial(v, a, s, cmp, l, r);
        }
        let s = pd - pc;
        if s > 1 {
            a = pn - s;
            n = s;
            if !outside(a, n, l, r) {
                continue;
            }
        }
        return;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wanted_range_is_sorted() {
        let mut seed = 12345u64;
        for len in [0usize, 1, 5, 7, 8, 39, 41, 200, 1000] {
            for (lo, hi) in [(0usize, 0usize), (0, 9), (3, 17), (0, 999)] {
                let mut v: Vec<u32> = (0..len)
                    .map(|_| {
                        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                        ((seed >> 33) % 50) as u32
                    })
                    .collect();
                let mut sorted = v.clone();
                sorted.sort();
                if len == 0 {
                    continue;
                }
                let hi = hi.min(len - 1);
                let lo = lo.min(hi);
                pqsort(&mut v, &mut |a, b| a.cmp(b), lo, hi);
                assert_eq!(v[lo..=hi], sorted[lo..=hi], "len {len} {lo}..={hi}");
            }
        }
    }
}
