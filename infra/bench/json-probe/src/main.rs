//! See Cargo.toml: serde_json, sonic-rs and simd-json reading the same NDJSON, best of 15 rounds of 10.

use serde::de::IgnoredAny;
use std::time::Instant;

fn body() -> Vec<u8> {
    let mut b = Vec::new();
    let mut n = 0u64;
    while b.len() < 1 << 20 {
        b.extend_from_slice(serde_json::json!({"id": format!("{:028}", n), "deploymentId": "dpl_233NRGRjVZX1caZrXWtz5g1TAksD", "source": "lambda", "host": "my-app-abc123.vercel.app", "timestamp": 1795348800000u64 + n * 7, "projectId": "gdufoJxB6b9b1fEqr1jUtFkyavUU", "level": "info", "message": format!("API request processed in {} ms for user {}", n % 997, n * 31 % 10007), "requestId": format!("643af4e3-975a-4cc7-9e7a-{n:012x}"), "statusCode": 200, "proxy": {"method": "GET", "path": format!("/api/users?page={}", n % 50), "userAgent": ["Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36"], "clientIp": format!("120.75.{}.{}", n % 256, n * 7 % 256)}}).to_string().as_bytes());
        b.push(b'\n');
        n += 1;
    }
    b
}

fn time(name: &str, bytes: usize, mut f: impl FnMut()) {
    for _ in 0..5 {
        f();
    }
    let mut best = f64::MAX;
    for _ in 0..15 {
        let t = Instant::now();
        for _ in 0..10 {
            f();
        }
        best = best.min(t.elapsed().as_secs_f64() / 10.0);
    }
    println!("{name}: {:.0} MB/s", bytes as f64 / best / 1e6);
}

/// Whether each reader refuses what drain must refuse in a value it only skips (a field drain
/// keeps as its raw text): serde_json's `RawValue` against sonic-rs's `LazyValue`.
fn strictness() {
    let cases: [(&str, &[u8]); 13] = [
        ("trailing comma in a nested array", br#"{"a":[1,2,]}"#),
        ("bad literal in a nested object", br#"{"a":{"b":tru}}"#),
        ("raw control byte in a nested string", b"{\"a\":[\"x\x01y\"]}"),
        ("invalid UTF-8 in a nested string", b"{\"a\":{\"b\":\"\xff\"}}"),
        ("bad escape in a nested string", br#"{"a":["\q"]}"#),
        ("short \\u escape in a nested string", br#"{"a":["\u12"]}"#),
        ("lone surrogate escape", br#"{"a":["\ud800"]}"#),
        ("leading zero", br#"{"a":[01]}"#),
        ("exponent without digits", br#"{"a":[1e]}"#),
        ("NaN", br#"{"a":[NaN]}"#),
        ("missing comma in a nested array", br#"{"a":[1 2]}"#),
        ("garbage after the object", br#"{"a":1} x"#),
        ("unclosed nested object", br#"{"a":{"b":1}"#),
    ];
    println!("| skipped value holds | serde_json RawValue | sonic-rs LazyValue |");
    println!("| --- | --- | --- |");
    for (name, json) in cases {
        let serde = serde_json::from_slice::<std::collections::BTreeMap<&str, &serde_json::value::RawValue>>(json).is_err();
        let sonic = sonic_rs::from_slice::<std::collections::BTreeMap<&str, sonic_rs::LazyValue>>(json).is_err();
        let word = |refused: bool| if refused { "refused" } else { "**accepted**" };
        println!("| {name} | {} | {} |", word(serde), word(sonic));
    }
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("strict") {
        return strictness();
    }
    let b = body();
    let lines: Vec<&[u8]> = b.split(|&c| c == b'\n').filter(|l| !l.is_empty()).collect();
    time("serde_json IgnoredAny per line", b.len(), || {
        for l in &lines {
            let _: IgnoredAny = serde_json::from_slice(l).unwrap();
        }
    });
    time("serde_json RawValue map per line", b.len(), || {
        for l in &lines {
            let _: std::collections::BTreeMap<&str, &serde_json::value::RawValue> = serde_json::from_slice(l).unwrap();
        }
    });
    time("sonic_rs IgnoredAny per line", b.len(), || {
        for l in &lines {
            let _: IgnoredAny = sonic_rs::from_slice(l).unwrap();
        }
    });
    time("sonic_rs RawValue map per line", b.len(), || {
        for l in &lines {
            let _: std::collections::BTreeMap<&str, sonic_rs::LazyValue> = sonic_rs::from_slice(l).unwrap();
        }
    });
    let mut copies: Vec<Vec<u8>> = lines.iter().map(|l| l.to_vec()).collect();
    time("simd_json tape per line (incl. copy)", b.len(), || {
        for (l, c) in lines.iter().zip(copies.iter_mut()) {
            c.clear();
            c.extend_from_slice(l);
            let _ = simd_json::to_tape(c).unwrap();
        }
    });
}
