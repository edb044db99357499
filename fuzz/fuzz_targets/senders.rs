//! The `senders` target (its body is in `fuzz/src/lib.rs`, shared with the stable seed replay).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| drain_fuzz::senders(data));
