//! The core's whole pipeline exposed to JavaScript, so `infra/wasm-bench.mjs` can time it in V8.

use drain_core::{handle, Body, Config, Request, Timestamp};
use wasm_bindgen::prelude::wasm_bindgen;

/// Runs one signed Vercel delivery through the core; returns the stored object bytes (or 0 when
/// nothing was stored, which the caller treats as a failure).
#[wasm_bindgen]
pub fn vercel_delivery(body: &[u8], signature: &str, secret: &str) -> usize {
    let config = Config::parse(
        &format!("[[source]]\nname=\"vercel\"\nkind=\"vercel\"\nsecrets=[\"{secret}\"]\n"),
        &|_| None,
    )
    .expect("bench config");
    let mut headers = http::HeaderMap::new();
    headers.insert("content-type", http::HeaderValue::from_static("application/x-ndjson"));
    headers.insert(
        "x-vercel-signature",
        http::HeaderValue::from_str(signature).expect("hex"),
    );
    let req = Request {
        method: "POST",
        path: "/vercel",
        headers: &headers,
        body: Body::Complete(body),
        request_id: "bench",
    };
    let plan = handle(
        &config,
        &req,
        Timestamp::from_unix_millis(1_795_348_800_000).expect("time"),
    );
    plan.objects.iter().map(|o| o.body.len()).sum()
}
