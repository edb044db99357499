//! The core's whole pipeline exposed to JavaScript, so `infra/bench/wasm-bench.mjs` can time it in V8
//! beside a hand-written JavaScript Worker and the platform's own HMAC and gzip.

use std::io::Write;

use drain_core::{handle_with, Body, Config, Request, Scratch, Timestamp};
use hmac::{Hmac, Mac};
use wasm_bindgen::prelude::wasm_bindgen;

/// A Vercel source's config (at a gzip level) and the core's scratch, kept as a Worker isolate
/// keeps them.
#[wasm_bindgen]
pub struct Pipeline {
    config: Config,
    scratch: Scratch,
}

#[wasm_bindgen]
impl Pipeline {
    #[wasm_bindgen(constructor)]
    pub fn new(secret: &str, gzip_level: u32) -> Pipeline {
        let config = Config::parse(
            &format!(
                "[storage]\ngzip_level={gzip_level}\n[[source]]\nname=\"vercel\"\nkind=\"vercel\"\nsecrets=[\"{secret}\"]\n[[source]]\nname=\"otel\"\nkind=\"otlp\"\nauth={{bearer=\"{secret}\"}}\n"
            ),
            &|_| None,
        )
        .expect("bench config");
        Pipeline {
            config,
            scratch: Scratch::default(),
        }
    }

    /// One signed Vercel delivery through the core; the stored object bytes (0 when nothing
    /// was stored, which the caller treats as a failure).
    pub fn vercel(&mut self, body: &[u8], signature: &str) -> usize {
        self.deliver(body, signature, None)
    }

    /// The same with the body's HMAC-SHA1 computed by the caller (`crypto.subtle`), as the Worker
    /// hands it to the core for large bodies.
    pub fn vercel_with_mac(&mut self, body: &[u8], signature: &str, mac: &[u8]) -> usize {
        let mac: [u8; 20] = mac.try_into().expect("20 bytes");
        self.deliver(body, signature, Some(&[mac]))
    }
}

#[wasm_bindgen]
impl Pipeline {
    /// An OTLP/HTTP protobuf export of spans (`/otel/v1/traces`, Bearer the secret) through the
    /// core; the stored object bytes (0 when nothing was stored).
    pub fn otlp_traces(&mut self, body: &[u8], secret: &str) -> usize {
        let mut headers = http::HeaderMap::new();
        headers.insert("content-type", http::HeaderValue::from_static("application/x-protobuf"));
        headers.insert(
            "authorization",
            http::HeaderValue::from_str(&format!("Bearer {secret}")).expect("token"),
        );
        self.run("/otel/v1/traces", &headers, body, None)
    }
}

impl Pipeline {
    fn deliver(&mut self, body: &[u8], signature: &str, macs: Option<&[[u8; 20]]>) -> usize {
        let mut headers = http::HeaderMap::new();
        headers.insert("content-type", http::HeaderValue::from_static("application/x-ndjson"));
        headers.insert(
            "x-vercel-signature",
            http::HeaderValue::from_str(signature).expect("hex"),
        );
        self.run("/vercel", &headers, body, macs)
    }

    fn run(&mut self, path: &str, headers: &http::HeaderMap, body: &[u8], macs: Option<&[[u8; 20]]>) -> usize {
        let req = Request {
            method: "POST",
            path,
            headers,
            body: Body::Complete(body),
            request_id: "bench",
            body_macs: macs,
        };
        let at = Timestamp::from_unix_millis(1_795_348_800_000).expect("time");
        let plan = handle_with(&self.config, &req, at, &mut self.scratch);
        plan.objects.iter().map(|o| o.body.len()).sum()
    }
}

/// HMAC-SHA1 of `body` in wasm (the `hmac` and `sha1` crates, as the core checks a signature).
#[wasm_bindgen]
pub fn hmac_sha1(body: &[u8], secret: &str) -> usize {
    let mut m = Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes()).expect("key");
    m.update(body);
    m.finalize().into_bytes()[0].into()
}

/// gzip of `data` in wasm at `level` (flate2 over zlib-rs, as the core compresses objects).
#[wasm_bindgen]
pub fn gzip(data: &[u8], level: u32) -> usize {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
    e.write_all(data).expect("memory");
    e.finish().expect("memory").len()
}
