//! MessagePack walking and transcoding to JSON: any bytes, no panic, no unbounded allocation.
#![no_main]
use drain_core::event::FieldValue;
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = drain_core::format::msgpack::for_each_event(data, |fields| {
        let mut out = Vec::new();
        for (_, v) in fields {
            v.write_json(&mut out);
            let _ = v.time();
        }
        Ok::<_, drain_core::DecodeError>(())
    });
});
