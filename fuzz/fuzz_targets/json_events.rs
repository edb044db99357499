//! JSON framing and field reading: any bytes, no panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = drain_core::format::json::for_each_event(data, |ev| {
        let _ = ev.inner(data);
        Ok::<_, drain_core::DecodeError>(())
    });
});
