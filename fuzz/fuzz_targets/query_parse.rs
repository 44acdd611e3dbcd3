//! The query parser on arbitrary input: an expression or an error with an offset inside
//! the input, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Err(e) = query::parse(text) {
        assert!(e.offset <= text.len());
    }
});
