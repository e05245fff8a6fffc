//! cargo-fuzz target `rdb`: the body is miniredis::fuzz::rdb, which the
//! property tests (tests/fuzz_props.rs) also run on stable.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    miniredis::fuzz::rdb(data);
});
