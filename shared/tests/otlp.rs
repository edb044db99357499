//! OTLP's two encodings store the same lines, and no mutation of a real export makes the core
//! answer anything but stored, undecodable or too large.

#![allow(
    clippy::disallowed_methods,
    reason = "the test reads the fixtures and inflates what the core stored; the core does neither"
)]

use std::io::Read;

use drain_core::{handle, Body, Config, Plan, Request, Timestamp};
use proptest::prelude::*;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../../shared/fixtures/cases/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn config() -> Config {
    Config::parse(
        "[[source]]\nname = \"otel\"\nkind = \"otlp\"\nauth = { bearer = \"t\" }\n",
        &|_| None,
    )
    .unwrap()
}

fn export(config: &Config, path: &str, content_type: &str, body: &[u8]) -> Plan {
    let mut headers = http::HeaderMap::new();
    headers.insert("authorization", "Bearer t".parse().unwrap());
    headers.insert("content-type", content_type.parse().unwrap());
    let request = Request {
        method: "POST",
        path,
        headers: &headers,
        body: Body::Complete(body),
        request_id: "otlp",
        body_macs: None,
    };
    handle(
        config,
        &request,
        Timestamp::from_unix_millis(1_795_000_000_000).unwrap(),
    )
}

fn lines(plan: &Plan) -> Vec<String> {
    let mut out = Vec::new();
    for o in &plan.objects {
        let mut text = String::new();
        flate2::read::MultiGzDecoder::new(&o.body[..])
            .read_to_string(&mut text)
            .unwrap();
        out.extend(text.lines().map(str::to_string));
    }
    out
}

#[test]
fn protobuf_and_json_exports_of_the_same_logs_store_the_same_lines() {
    let config = config();
    let pb = export(
        &config,
        "/otel/v1/logs",
        "application/x-protobuf",
        &fixture("039-otlp-logs-protobuf.body"),
    );
    let json = export(
        &config,
        "/otel/v1/logs",
        "application/json",
        &fixture("040-otlp-logs-json.body"),
    );
    assert_eq!(pb.response.status(), 200);
    assert_eq!(json.response.status(), 200);
    let (pb, json) = (lines(&pb), lines(&json));
    assert_eq!(pb.len(), 3);
    assert_eq!(pb, json);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// A real export with bytes changed: stored, or refused as undecodable or too large; never a
    /// panic, never another answer.
    #[test]
    fn mutated_exports_are_stored_or_refused(
        which in 0usize..4,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
    ) {
        let (path, ctype, name) = [
            ("/otel/v1/logs", "application/x-protobuf", "039-otlp-logs-protobuf.body"),
            ("/otel/v1/logs", "application/json", "040-otlp-logs-json.body"),
            ("/otel/v1/metrics", "application/json", "043-otlp-metrics-json.body"),
            ("/otel/v1/traces", "application/json", "042-otlp-vercel-trace-drain.body"),
        ][which];
        let mut body = fixture(name);
        for (at, byte) in edits {
            let i = at.index(body.len());
            body[i] = byte;
        }
        let plan = export(&config(), path, ctype, &body);
        let status = plan.response.status().as_u16();
        prop_assert!([200, 400, 413].contains(&status), "{status} {:?}", plan.reason);
        if status != 200 {
            prop_assert!(plan.objects.is_empty());
        }
    }
}
