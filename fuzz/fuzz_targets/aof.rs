//! cargo-fuzz target `aof`: the body is miniredis::fuzz::aof, which the
//! property tests (tests/fuzz_props.rs) also run on stable.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    miniredis::fuzz::aof(data);
});
