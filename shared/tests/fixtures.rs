//! Every conformance case in `../shared/fixtures/cases` and drain's own in `infra/cases` (or the
//! folders in `DRAIN_CASES`, separated by `:`), run through the core with an in-memory store.

#![allow(
    clippy::disallowed_methods,
    reason = "the test harness reads files and env; the core does not"
)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use drain_cases::{check, load, Reply, Stored};
use drain_core::{handle, handle_with, Body, Config, Request, Scratch, Timestamp};

fn team_folder() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures")
}

#[test]
fn conformance_cases_pass_on_the_core() {
    let own = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../infra/cases");
    let dirs: Vec<PathBuf> = match std::env::var("DRAIN_CASES") {
        Ok(v) => v.split(':').map(PathBuf::from).collect(),
        Err(_) => vec![team_folder().join("cases"), own.clone()],
    };
    let configs: Vec<PathBuf> = match std::env::var("DRAIN_CASES_CONFIG") {
        Ok(v) => v.split(':').map(PathBuf::from).collect(),
        Err(_) => vec![team_folder().join("drain.toml"), own.join("drain.toml")],
    };
    let texts: Vec<String> = configs
        .iter()
        .map(|p| std::fs::read_to_string(p).expect("fixture config"))
        .collect();
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    let text = drain_cases::configs_without_pending(&texts).expect("fixture config is TOML");
    let config = Config::parse(&text, &|name| std::env::var(name).ok()).expect("fixture config parses");

    let cases = load(&dirs).expect("cases load");
    let mut store: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut now = Timestamp::parse_rfc3339("2026-11-22T15:04:05.123456789Z")
        .unwrap()
        .unix_nanos();
    let (mut passed, mut failed) = (0, Vec::new());
    // One scratch through every case, as a handler keeps one: each plan must be the plan a new
    // scratch gives, byte for byte.
    let mut scratch = Scratch::default();
    for case in &cases {
        let mut headers = http::HeaderMap::new();
        for (k, v) in &case.headers {
            headers.append(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                http::HeaderValue::from_str(v).unwrap(),
            );
        }
        let before: Vec<String> = store.keys().cloned().collect();
        let mut replies = Vec::new();
        for n in 0..case.repeat {
            now += 1_000_000
                + if n > 0 {
                    case.repeat_delay_ms as i128 * 1_000_000
                } else {
                    0
                };
            let body = case.body.as_deref().unwrap_or_default();
            let request_id = format!("fixture-{now}");
            let body = if body.len() > config.limits.max_body {
                Body::TooLarge
            } else {
                Body::Complete(body)
            };
            let req = Request {
                method: &case.method,
                path: &case.path,
                headers: &headers,
                body,
                request_id: &request_id,
                body_macs: None,
            };
            let at = Timestamp::from_unix_nanos(now).unwrap();
            let plan = handle_with(&config, &req, at, &mut scratch);
            let fresh = handle(&config, &req, at);
            assert_eq!(
                (&plan.objects, plan.response.status(), plan.response.body()),
                (&fresh.objects, fresh.response.status(), fresh.response.body()),
                "{}: a used scratch changed the plan",
                case.name
            );
            drain_cases::dump_objects("cases", plan.objects.iter().map(|o| (o.key.as_str(), &o.body[..])));
            // A refused delivery kept for a look is stored as the handlers store it.
            for o in plan.objects.into_iter().chain(plan.kept) {
                if !(o.if_absent && store.contains_key(&o.key)) {
                    store.insert(o.key, o.body);
                }
            }
            replies.push(Reply {
                status: plan.response.status().as_u16(),
                headers: plan
                    .response
                    .headers()
                    .iter()
                    .map(|(k, v)| (k.to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
                    .collect(),
                body: plan.response.into_body(),
            });
        }
        let created: Vec<Stored> = store
            .iter()
            .filter(|(k, _)| !before.contains(k))
            .map(|(k, v)| Stored {
                key: k.clone(),
                bytes: v.clone(),
            })
            .collect();
        let problems = check(case, &replies, &created);
        if problems.is_empty() {
            passed += 1;
        } else {
            failed.push(format!("{} ({}):\n  {}", case.name, case.about, problems.join("\n  ")));
        }
    }
    println!("{passed} passed, {} failed", failed.len());
    assert!(
        failed.is_empty(),
        "{} of {} cases failed:\n{}",
        failed.len(),
        cases.len(),
        failed.join("\n")
    );
}
