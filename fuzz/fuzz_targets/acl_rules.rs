//! cargo-fuzz target `acl_rules`: the body is miniredis::fuzz::acl_rules, which the
//! property tests (tests/fuzz_props.rs) also run on stable.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    miniredis::fuzz::acl_rules(data);
});
