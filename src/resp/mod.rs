//! The Redis protocol: request parsing (`parse`) and reply encoding
//! (`reply`, RESP2 and RESP3 from one set of functions).

pub mod parse;
pub mod reply;
