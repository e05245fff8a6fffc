//! CRC-64/Jones, the checksum at the end of every RDB file.
//!
//! Parameters: reflected input and output, polynomial 0xad93d23594c935a9
//! (normal form), initial value 0, no final xor. The check value (the CRC of
//! the ASCII bytes `123456789`) is 0xe9c6d914c4b8d9ca.
//!
//! The implementation is slicing-by-8 over tables built at compile time:
//! eight table lookups per eight input bytes.

use std::io::{self, BufRead, Read, Write};

/// The polynomial as usually written (most significant bit first).
pub const POLY: u64 = 0xad93_d235_94c9_35a9;

const fn reflect64(mut x: u64) -> u64 {
    let mut r = 0u64;
    let mut i = 0;
    while i < 64 {
        r = (r << 1) | (x & 1);
        x >>= 1;
        i += 1;
    }
    r
}

const POLY_REFLECTED: u64 = reflect64(POLY);

const fn make_tables() -> [[u64; 256]; 8] {
    let mut t = [[0u64; 256]; 8];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u64;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 == 1 {
                (c >> 1) ^ POLY_REFLECTED
            } else {
                c >> 1
            };
            k += 1;
        }
        t[0][i] = c;
        i += 1;
    }
    let mut s = 1;
    while s < 8 {
        let mut i = 0;
        while i < 256 {
            let prev = t[s - 1][i];
            t[s][i] = (prev >> 8) ^ t[0][(prev & 0xff) as usize];
            i += 1;
        }
        s += 1;
    }
    t
}

static TABLES: [[u64; 256]; 8] = make_tables();

/// Continue a CRC over `data`. Start with `crc = 0`; feeding a buffer in
/// pieces gives the same result as feeding it whole.
pub fn crc64(crc: u64, data: &[u8]) -> u64 {
    let t = &TABLES;
    let mut crc = crc;
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let v = crc ^ u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        crc = t[7][(v & 0xff) as usize]
            ^ t[6][((v >> 8) & 0xff) as usize]
            ^ t[5][((v >> 16) & 0xff) as usize]
            ^ t[4][((v >> 24) & 0xff) as usize]
            ^ t[3][((v >> 32) & 0xff) as usize]
            ^ t[2][((v >> 40) & 0xff) as usize]
            ^ t[1][((v >> 48) & 0xff) as usize]
            ^ t[0][(v >> 56) as usize];
    }
    for &b in chunks.remainder() {
        crc = t[0][((crc ^ b as u64) & 0xff) as usize] ^ (crc >> 8);
    }
    crc
}

/// A writer that passes bytes through to `W` and keeps the CRC of every
/// byte the inner writer accepted.
#[derive(Debug)]
pub struct Crc64Writer<W: Write> {
    inner: W,
    crc: u64,
    written: u64,
}

impl<W: Write> Crc64Writer<W> {
    pub fn new(inner: W) -> Self {
        Crc64Writer {
            inner,
            crc: 0,
            written: 0,
        }
    }
    /// The CRC of everything written so far.
    pub fn crc(&self) -> u64 {
        self.crc
    }
    /// How many bytes were written so far.
    pub fn written(&self) -> u64 {
        self.written
    }
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }
    pub fn into_inner(self) -> W {
        self.inner
    }
}

impl<W: Write> Write for Crc64Writer<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        let done = &buf[..n.min(buf.len())];
        self.crc = crc64(self.crc, done);
        self.written += done.len() as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A reader that keeps the CRC of every byte handed out (through `read`, or
/// through `consume` when used as a `BufRead`).
#[derive(Debug)]
pub struct Crc64Reader<R> {
    inner: R,
    crc: u64,
    read: u64,
}

impl<R> Crc64Reader<R> {
    pub fn new(inner: R) -> Self {
        Crc64Reader {
            inner,
            crc: 0,
            read: 0,
        }
    }
    /// The CRC of everything read so far.
    pub fn crc(&self) -> u64 {
        self.crc
    }
    /// How many bytes were read so far (the offset of the next byte).
    pub fn position(&self) -> u64 {
        self.read
    }
    pub fn get_ref(&self) -> &R {
        &self.inner
    }
    pub fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: Read> Read for Crc64Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let got = &buf[..n.min(buf.len())];
        self.crc = crc64(self.crc, got);
        self.read += got.len() as u64;
        Ok(got.len())
    }
}

impl<R: BufRead> BufRead for Crc64Reader<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        // Hash exactly the bytes being consumed. fill_buf on a BufRead is
        // idempotent until consume, so this sees the same bytes.
        if let Ok(buf) = self.inner.fill_buf() {
            let n = amt.min(buf.len());
            self.crc = crc64(self.crc, &buf[..n]);
            self.read += n as u64;
        }
        self.inner.consume(amt);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn bytewise(mut crc: u64, data: &[u8]) -> u64 {
        for &b in data {
            crc ^= b as u64;
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ POLY_REFLECTED
                } else {
                    crc >> 1
                };
            }
        }
        crc
    }

    #[test]
    fn check_value() {
        assert_eq!(crc64(0, b"123456789"), 0xe9c6_d914_c4b8_d9ca);
        assert_eq!(bytewise(0, b"123456789"), 0xe9c6_d914_c4b8_d9ca);
        assert_eq!(crc64(0, b""), 0);
    }

    #[test]
    fn writer_and_reader_track_the_crc() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 + 3) as u8).collect();
        let mut w = Crc64Writer::new(Vec::new());
        for chunk in data.chunks(13) {
            w.write_all(chunk).unwrap();
        }
        assert_eq!(w.crc(), crc64(0, &data));
        assert_eq!(w.written(), 1000);
        assert_eq!(w.into_inner(), data);

        let mut r = Crc64Reader::new(&data[..]);
        let mut out = Vec::new();
        r.read_to_end(&mut out).unwrap();
        assert_eq!(r.crc(), crc64(0, &data));

        let mut r = Crc64Reader::new(io::BufReader::with_capacity(7, &data[..]));
        let mut n = 0;
        while n < 500 {
            let avail = r.fill_buf().unwrap().len().min(3);
            r.consume(avail);
            n += avail;
        }
        assert_eq!(r.position(), 500);
        assert_eq!(r.crc(), crc64(0, &data[..500]));
    }

    proptest! {
        #[test]
        fn sliced_equals_bytewise(data in proptest::collection::vec(any::<u8>(), 0..300), split in 0usize..300) {
            let split = split.min(data.len());
            let whole = crc64(0, &data);
            prop_assert_eq!(whole, bytewise(0, &data));
            prop_assert_eq!(crc64(crc64(0, &data[..split]), &data[split..]), whole);
        }
    }
}
