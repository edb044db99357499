//! Exactly once under storage failures and retries (SPEC section 4), as a property of the core
//! and the rule handlers follow (store the plan's objects in order, stop at the first failure,
//! answer 503, the sender retries later): any sequence of deliveries, with and without sender
//! timestamps, across hours, with puts that fail before writing or write and then report a
//! failure (a timeout), stores each event exactly once.

#![allow(clippy::disallowed_methods, reason = "the test reads back what the core stored")]

use std::collections::BTreeMap;
use std::io::Read;

use drain_core::{handle, Body, Config, Request, Timestamp};
use proptest::prelude::*;

const CONFIG: &str = r#"
[[source]]
name = "app"
kind = "betterstack"
tokens = ["t"]

[[source]]
name = "heroku"
kind = "logplex"
auth = { basic = { username = "u", password = "p" } }
"#;

/// Hours of sender time an event may carry, or none (it takes the reception time).
const HOURS: [Option<i64>; 4] = [None, Some(0), Some(1), Some(2)];
/// 2026-11-22T14:00:00Z: the hours before, at and after the reception time (15:00:05 on), so
/// the reception hour's object sits between create-only ones.
const BASE: i64 = 1_795_356_000;

#[derive(Debug, Clone)]
enum Delivery {
    /// Better Stack NDJSON: one line per event, `dt` in the given hour or absent.
    BetterStack(Vec<Option<i64>>),
    /// Logplex frames with a `Logplex-Frame-Id`: a timestamp in the given hour or NILVALUE.
    Logplex(Vec<Option<i64>>),
}

/// What happens to one PUT.
#[derive(Debug, Clone, Copy)]
enum Put {
    Ok,
    /// Fails before anything is written.
    Fails,
    /// Writes, then reports a failure (the store timed out); only for create-only objects,
    /// where a retry finds the object (an unconditional one would be written again: drain
    /// promises at-least-once there, and the README says so).
    WritesThenFails,
}

fn delivery() -> impl Strategy<Value = Delivery> {
    let events = prop::collection::vec(prop::sample::select(HOURS.to_vec()), 1..6);
    prop_oneof![
        events.clone().prop_map(Delivery::BetterStack),
        events.prop_map(Delivery::Logplex),
    ]
}

fn put() -> impl Strategy<Value = Put> {
    prop_oneof![4 => Just(Put::Ok), 1 => Just(Put::Fails), 1 => Just(Put::WritesThenFails)]
}

/// The request for delivery `n`; every event carries `id` `n.i`.
fn request(n: usize, d: &Delivery) -> (&'static str, Vec<(&'static str, String)>, Vec<u8>) {
    match d {
        Delivery::BetterStack(events) => {
            let mut body = String::new();
            for (i, h) in events.iter().enumerate() {
                match h {
                    Some(h) => body.push_str(&format!(
                        "{{\"message\":\"m\",\"id\":\"{n}.{i}\",\"dt\":{}}}\n",
                        BASE + h * 3600 + i as i64
                    )),
                    None => body.push_str(&format!("{{\"message\":\"m\",\"id\":\"{n}.{i}\"}}\n")),
                }
            }
            let headers = vec![
                ("authorization", "Bearer t".to_string()),
                ("content-type", "application/x-ndjson".to_string()),
            ];
            ("/app", headers, body.into_bytes())
        }
        Delivery::Logplex(events) => {
            let mut body = Vec::new();
            for (i, h) in events.iter().enumerate() {
                let ts = match h {
                    Some(h) => Timestamp::from_unix_millis((BASE + h * 3600 + i as i64) * 1000)
                        .unwrap()
                        .to_rfc3339(),
                    None => "-".to_string(),
                };
                let frame = format!("<190>1 {ts} host app web.1 - id={n}.{i}\n");
                body.extend_from_slice(format!("{} {frame}", frame.len()).as_bytes());
            }
            let headers = vec![
                ("authorization", "Basic dTpw".to_string()),
                ("content-type", "application/logplex-1".to_string()),
                ("logplex-frame-id", format!("frame-{n}")),
            ];
            ("/heroku", headers, body)
        }
    }
}

/// The `id` of every stored event (Better Stack's field, or Logplex's message `id=…`).
fn stored_ids(store: &BTreeMap<String, Vec<u8>>) -> Vec<String> {
    let mut ids = Vec::new();
    for bytes in store.values() {
        let mut text = String::new();
        flate2::read::MultiGzDecoder::new(&bytes[..])
            .read_to_string(&mut text)
            .unwrap();
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let id = match v.get("id").and_then(|i| i.as_str()) {
                Some(id) => id.to_string(),
                None => v["message"].as_str().unwrap().trim_start_matches("id=").to_string(),
            };
            ids.push(id);
        }
    }
    ids.sort();
    ids
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_event_is_stored_exactly_once_whatever_fails(
        deliveries in prop::collection::vec(delivery(), 1..6),
        puts in prop::collection::vec(put(), 0..30),
    ) {
        let config = Config::parse(CONFIG, &|_| None).unwrap();
        let mut store: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        let mut puts = puts.into_iter();
        // A few seconds after 15:00:00, so retries stay in one reception hour.
        let mut now = Timestamp::parse_rfc3339("2026-11-22T15:00:05Z").unwrap().unix_nanos();
        let mut request_id = 0u64;
        let mut expected = Vec::new();
        for (n, d) in deliveries.iter().enumerate() {
            let (path, header_list, body) = request(n, d);
            let mut headers = http::HeaderMap::new();
            for (k, v) in &header_list {
                headers.insert(*k, v.parse().unwrap());
            }
            let events = match d { Delivery::BetterStack(e) | Delivery::Logplex(e) => e.len() };
            expected.extend((0..events).map(|i| format!("{n}.{i}")));
            let mut acknowledged = false;
            for _attempt in 0..40 {
                // Each attempt later than the last (a retry a second or more later), with a new
                // request id.
                now += 1_500_000_000;
                request_id += 1;
                let rid = format!("r{request_id}");
                let req = Request { method: "POST", path, headers: &headers, body: Body::Complete(&body), request_id: &rid, body_macs: None };
                let plan = handle(&config, &req, Timestamp::from_unix_nanos(now).unwrap());
                prop_assert!(plan.response.status().as_u16() / 100 == 2, "refused: {:?}", plan.reason);
                let mut stored_all = true;
                for o in &plan.objects {
                    let outcome = puts.next().unwrap_or(Put::Ok);
                    let outcome = match (outcome, o.if_absent) {
                        (Put::WritesThenFails, false) => Put::Fails,
                        (p, _) => p,
                    };
                    if matches!(outcome, Put::Ok | Put::WritesThenFails) && !(o.if_absent && store.contains_key(&o.key)) {
                        store.insert(o.key.clone(), o.body.clone());
                    }
                    if !matches!(outcome, Put::Ok) {
                        stored_all = false;
                        break;
                    }
                }
                if stored_all {
                    acknowledged = true;
                    break;
                }
            }
            prop_assert!(acknowledged, "delivery {} never acknowledged", n);
        }
        expected.sort();
        prop_assert_eq!(stored_ids(&store), expected);
    }
}
