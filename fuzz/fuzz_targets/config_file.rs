//! Parsing a configuration file must give a Config or a ConfigError, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = craton_token::Config::from_toml(text, None);
    }
});
