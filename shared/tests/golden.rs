//! Golden cases for the nasty inputs: `golden/<case>.req.json` is one request, and
//! `golden/<case>.expected` what the core must answer and store, byte for byte (the objects
//! shown decompressed). `UPDATE_GOLDEN=1 cargo test --test golden` rewrites the expectations;
//! review them in the diff.

#![allow(
    clippy::disallowed_methods,
    reason = "the test harness reads files and env; the core does not"
)]

use std::io::{Read, Write};
use std::path::PathBuf;

use drain_core::{handle, Body, Config, Request, Timestamp};
use hmac::{Hmac, Mac};
use serde::Deserialize;

const CONFIG: &str = r#"
[limits]
max_body = 65536
max_decompressed = 262144

[[source]]
name = "v"
kind = "vercel"
secrets = ["vs"]
verify = "vv"

[[source]]
name = "app"
kind = "betterstack"
tokens = ["tok"]

[[source]]
name = "nf"
kind = "northflank"
auth = { basic = { username = "nf", password = "pw" } }

[[source]]
name = "lp"
kind = "logplex"
auth = { basic = { username = "h", password = "pw" } }

[[source]]
name = "o"
kind = "otlp"
auth = { bearer = "otok" }
"#;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Req {
    #[serde(default)]
    about: String,
    method: String,
    path: String,
    headers: std::collections::BTreeMap<String, String>,
    body: Option<String>,
    body_hex: Option<String>,
    #[serde(default)]
    gzip: bool,
}

fn run(req: &Req, config: &Config) -> String {
    let mut body = match (&req.body, &req.body_hex) {
        (Some(b), _) => b.as_bytes().to_vec(),
        (None, Some(h)) => hex::decode(h).expect("hex body"),
        (None, None) => Vec::new(),
    };
    if req.gzip {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(&body).unwrap();
        body = e.finish().unwrap();
    }
    let mut headers = http::HeaderMap::new();
    for (k, v) in &req.headers {
        let v = if v == "SIGN" {
            let mut mac = Hmac::<sha1::Sha1>::new_from_slice(b"vs").unwrap();
            mac.update(&body);
            hex::encode(mac.finalize().into_bytes())
        } else {
            v.clone()
        };
        headers.insert(http::HeaderName::from_bytes(k.as_bytes()).unwrap(), v.parse().unwrap());
    }
    let received_at = Timestamp::parse_rfc3339("2026-11-22T15:04:05.123456789Z").unwrap();
    let request = Request {
        method: &req.method,
        path: &req.path,
        headers: &headers,
        body: Body::Complete(&body),
        request_id: "golden",
        body_macs: None,
    };
    let plan = handle(config, &request, received_at);
    let again = handle(config, &request, received_at);
    drain_cases::dump_objects("cases", plan.objects.iter().map(|o| (o.key.as_str(), &o.body[..])));
    assert_eq!(format!("{plan:?}"), format!("{again:?}"), "same input, same plan");

    let mut out = format!("# {}\nstatus {}\n", req.about, plan.response.status().as_u16());
    for (k, v) in plan.response.headers() {
        out += &format!("{k}: {}\n", String::from_utf8_lossy(v.as_bytes()));
    }
    out += &format!("body {:?}\n", String::from_utf8_lossy(plan.response.body()));
    for o in &plan.objects {
        let mut text = String::new();
        flate2::read::GzDecoder::new(&o.body[..])
            .read_to_string(&mut text)
            .unwrap();
        out += &format!("== {} if_absent={} events={}\n{text}", o.key, o.if_absent, o.events);
    }
    out
}

#[test]
fn golden_cases() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let config = Config::parse(CONFIG, &|_| None).unwrap();
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".req.json"))
        .collect();
    files.sort();
    assert!(files.len() >= 30, "golden cases present");
    let mut failed = Vec::new();
    for file in &files {
        let req: Req = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        let got = run(&req, &config);
        let expected_path = PathBuf::from(file.to_string_lossy().replace(".req.json", ".expected"));
        if update {
            std::fs::write(&expected_path, &got).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if got != expected {
            failed.push(format!("{}:\n--- expected\n{expected}--- got\n{got}", file.display()));
        }
    }
    assert!(
        failed.is_empty(),
        "{} golden cases differ:\n{}",
        failed.len(),
        failed.join("\n")
    );
}
