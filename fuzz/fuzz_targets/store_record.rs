//! Decoding a stored attribute record must never panic, and what decodes re-encodes exactly.
#![no_main]

use craton_token::attrs::Attributes;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(a) = Attributes::decode(data) {
        assert_eq!(a.encode(), data);
    }
});
