//! Small helpers shared by every command family: Redis's number parsing and
//! formatting rules (`num`), its glob matcher (`glob`) and the key hash (`hash`).

pub mod fork;
pub mod glob;
pub mod hash;
pub mod ld;
pub mod num;
pub mod pqsort;
pub mod rand;
pub mod sha256;
pub mod thread;
pub mod time;
