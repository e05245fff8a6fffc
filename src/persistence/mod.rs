//! Persistence formats, as pure functions over byte streams: the RDB file
//! format (`rdb`) and what it is built from (CRC-64, LZF, listpacks,
//! intsets, and the ziplists/zipmaps of older files).

pub mod crc64;
pub mod intset;
pub mod listpack;
pub mod lzf;
pub mod rdb;
pub mod snapshot;
pub mod ziplist;
