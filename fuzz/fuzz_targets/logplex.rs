//! Octet-counted framing and RFC 5424 parsing: any bytes, no panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    for frame in drain_core::framing::octet_counting::frames(data).flatten() {
        let _ = drain_core::format::syslog::parse(frame);
    }
});
