//! Every kind's answers when the platform can't finish a delivery (busy, the body late or
//! broken, storage failed) are in that kind's own dialect, by every route that reaches it.

use http::HeaderMap;

use crate::kinds::{Dialect, ALL};
use crate::{admit, Admission, Config, Plan};

const CONFIG: &str = r#"
[[source]]
name = "vercel"
kind = "vercel"
secrets = ["s"]
verify = "v-token"
[[source]]
name = "nf"
kind = "northflank"
auth = { bearer = "nf-token" }
[[source]]
name = "bs"
kind = "betterstack"
tokens = ["bs-token"]
[[source]]
name = "heroku"
kind = "logplex"
auth = { basic = { username = "u", password = "p" } }
[[source]]
name = "otel"
kind = "otlp"
auth = { bearer = "otel-token" }
[[source]]
name = "vtrace"
kind = "otlp"
secrets = ["s"]
[[source]]
name = "hook"
kind = "webhook"
auth = { bearer = "hook-token" }
[[source]]
name = "hookq"
kind = "webhook"
auth = { query = { name = "token", value = "q-token" } }
[[source]]
name = "hec"
kind = "splunk_hec"
tokens = ["hec-token"]
[[source]]
name = "dd"
kind = "datadog"
tokens = ["dd-key"]
[[source]]
name = "alloy"
kind = "loki"
auth = { basic = { username = "u", password = "p" } }
"#;

/// (path, authorization, content type, kind name): every route to every source above.
const ROUTES: &[(&str, Option<&str>, &str, &str)] = &[
    ("/vercel", None, "application/json", "vercel"),
    ("/nf", Some("Bearer nf-token"), "application/json", "northflank"),
    ("/bs", Some("Bearer bs-token"), "application/json", "betterstack"),
    ("/", Some("Bearer bs-token"), "application/msgpack", "betterstack"),
    ("/heroku", Some("Basic dTpw"), "application/logplex-1", "logplex"),
    ("/otel/v1/logs", Some("Bearer otel-token"), "application/json", "otlp"),
    (
        "/otel/v1/traces",
        Some("Bearer otel-token"),
        "application/x-protobuf",
        "otlp",
    ),
    (
        "/v1/metrics",
        Some("Bearer otel-token"),
        "application/x-protobuf",
        "otlp",
    ),
    ("/v1/logs", Some("Bearer otel-token"), "application/json", "otlp"),
    ("/vtrace/v1/traces", None, "application/x-protobuf", "otlp"),
    ("/hook", Some("Bearer hook-token"), "application/json", "webhook"),
    ("/hookq?token=q-token", None, "text/plain", "webhook"),
    (
        "/hec/services/collector/event",
        Some("Splunk hec-token"),
        "application/json",
        "splunk_hec",
    ),
    (
        "/services/collector/raw/1.0?channel=x",
        Some("Splunk hec-token"),
        "text/plain",
        "splunk_hec",
    ),
    ("/dd/api/v2/logs?dd-api-key=dd-key", None, "application/json", "datadog"),
    ("/api/v2/logs?dd-api-key=dd-key", None, "application/json", "datadog"),
    (
        "/alloy/loki/api/v1/push",
        Some("Basic dTpw"),
        "application/x-protobuf",
        "loki",
    ),
    ("/loki/api/v1/push", Some("Basic dTpw"), "application/json", "loki"),
];

fn header(plan_response: &http::Response<Vec<u8>>, name: &str) -> Option<String> {
    plan_response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

/// Checks one answer's shape for a dialect: `status`, and the body a sender of that kind reads.
fn in_dialect(what: &str, r: &http::Response<Vec<u8>>, dialect: Dialect, protobuf: bool, status: u16) {
    assert_eq!(r.status().as_u16(), status, "{what}");
    let ct = header(r, "content-type").unwrap_or_default();
    match dialect {
        Dialect::Vercel => {
            let v: serde_json::Value = serde_json::from_slice(r.body()).expect(what);
            assert!(v["code"].is_string() && v["error"].is_string(), "{what}: {v}");
            assert_eq!(header(r, "x-vercel-verify").as_deref(), Some("v-token"), "{what}");
        }
        Dialect::Otlp if protobuf => {
            assert_eq!(ct, "application/x-protobuf", "{what}");
            // google.rpc.Status: field 1 (code), varint.
            assert_eq!(r.body()[0], 0x08, "{what}");
        }
        Dialect::Otlp => {
            let v: serde_json::Value = serde_json::from_slice(r.body()).expect(what);
            assert!(v["code"].is_i64() && v["message"].is_string(), "{what}: {v}");
        }
        Dialect::Webhook => {
            let v: serde_json::Value = serde_json::from_slice(r.body()).expect(what);
            assert!(v["error"].is_string(), "{what}: {v}");
        }
        Dialect::Splunk => {
            let v: serde_json::Value = serde_json::from_slice(r.body()).expect(what);
            assert!(v["text"].is_string() && v["code"].is_i64(), "{what}: {v}");
        }
        Dialect::Datadog => {
            let v: serde_json::Value = serde_json::from_slice(r.body()).expect(what);
            assert!(v["errors"][0].is_string(), "{what}: {v}");
        }
        Dialect::BetterStack | Dialect::Plain => {
            assert!(ct.starts_with("text/plain"), "{what}: {ct}");
            assert!(!r.body().is_empty(), "{what}");
        }
    }
}

#[test]
fn every_kinds_unfinished_answers_are_in_its_dialect() {
    let config = Config::parse(CONFIG, &|_| None).unwrap();
    for kind in ALL {
        assert!(
            ROUTES.iter().any(|r| r.3 == kind.name),
            "the {} kind has no route in this test: add a source and its routes",
            kind.name
        );
    }
    for &(path, auth, content_type, name) in ROUTES {
        let mut headers = HeaderMap::new();
        headers.insert("content-type", content_type.parse().unwrap());
        if let Some(a) = auth {
            headers.insert("authorization", a.parse().unwrap());
        }
        let Admission::Read(admitted) = admit(&config, "POST", path, &headers) else {
            panic!("POST {path} is admitted from its head")
        };
        let kind = admitted.source(&config).kind.row();
        assert_eq!(kind.name, name, "{path}");
        let protobuf = content_type == "application/x-protobuf";
        let busy: Plan = admitted.unavailable(&config, &headers, "too busy, retry later");
        for (what, r) in [("busy", &busy.response), ("storage failure", &busy.on_storage_failure)] {
            in_dialect(&format!("{what} at {path}"), r, kind.dialect, protobuf, 503);
            assert!(header(r, "retry-after").is_some(), "{what} at {path}: Retry-After");
        }
        assert_eq!(busy.source.as_deref(), Some(admitted.source(&config).name.as_str()));
        let broken = admitted.unreadable(&config, &headers, "broke off");
        let status = if kind.dialect == Dialect::BetterStack { 406 } else { 400 };
        in_dialect(
            &format!("broken body at {path}"),
            &broken.response,
            kind.dialect,
            protobuf,
            status,
        );
    }
}
