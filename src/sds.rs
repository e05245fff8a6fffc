//! `Sds`: the byte string used for keys (and later for collection members).
//! Named after Redis's sds. Up to 22 bytes live inline, so a typical key
//! costs no allocation of its own; longer keys own one boxed slice.

use std::fmt;

const INLINE_CAP: usize = 22;

#[derive(Clone)]
pub enum Sds {
    Inline(u8, [u8; INLINE_CAP]),
    Heap(Box<[u8]>),
}

impl Sds {
    pub fn new(bytes: &[u8]) -> Sds {
        if bytes.len() <= INLINE_CAP {
            let mut buf = [0u8; INLINE_CAP];
            buf[..bytes.len()].copy_from_slice(bytes);
            Sds::Inline(bytes.len() as u8, buf)
        } else {
            Sds::Heap(bytes.into())
        }
    }

    /// Take ownership of a buffer; long keys reuse its allocation.
    pub fn from_vec(v: Vec<u8>) -> Sds {
        if v.len() <= INLINE_CAP {
            Sds::new(&v)
        } else {
            Sds::Heap(v.into_boxed_slice())
        }
    }

    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Sds::Inline(len, buf) => &buf[..*len as usize],
            Sds::Heap(b) => b,
        }
    }

    pub fn len(&self) -> usize {
        self.as_bytes().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl std::ops::Deref for Sds {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl PartialEq for Sds {
    fn eq(&self, other: &Sds) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}
impl Eq for Sds {}

impl fmt::Debug for Sds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn sds_is_three_words_and_round_trips() {
        assert_eq!(std::mem::size_of::<Sds>(), 24);
        for n in [0, 1, 22, 23, 100] {
            let v: Vec<u8> = (0..n as u8).collect();
            assert_eq!(Sds::new(&v).as_bytes(), &v[..]);
            assert_eq!(Sds::from_vec(v.clone()).as_bytes(), &v[..]);
        }
    }
}
