//! Northflank text lines and timestamps: any text, no panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &str| {
    for (_, line) in drain_core::format::northflank_text::lines(data) {
        let _ = drain_core::format::northflank_text::parse(line);
    }
    let _ = drain_core::Timestamp::parse_json_text(data);
});
