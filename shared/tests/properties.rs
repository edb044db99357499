//! Properties over generated inputs: nothing panics, the plan is deterministic, and events come
//! out as they went in whatever the framing (NDJSON, array, MessagePack, gzip).

#![allow(clippy::disallowed_methods, reason = "the test reads back what the core wrote")]

use std::io::{Read, Write};

use drain_core::{handle, handle_with, Body, Config, Plan, Request, Scratch, Timestamp};
use proptest::prelude::*;
use serde_json::{Map, Value};

const CONFIG: &str = r#"
[limits]
max_body = 1048576
max_decompressed = 4194304
[[source]]
name = "v"
kind = "vercel"
secrets = ["vs"]
[[source]]
name = "app"
kind = "betterstack"
tokens = ["tok"]
[[source]]
name = "nf"
kind = "northflank"
auth = "none"
[[source]]
name = "lp"
kind = "logplex"
auth = { basic = { username = "u", password = "p" } }
"#;

fn config() -> Config {
    Config::parse(CONFIG, &|_| None).unwrap()
}

fn at() -> Timestamp {
    Timestamp::parse_rfc3339("2026-11-22T15:04:05.5Z").unwrap()
}

fn run(config: &Config, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Plan {
    let mut map = http::HeaderMap::new();
    for (k, v) in headers {
        map.insert(http::HeaderName::from_bytes(k.as_bytes()).unwrap(), v.parse().unwrap());
    }
    handle(
        config,
        &Request {
            method: "POST",
            path,
            headers: &map,
            body: Body::Complete(body),
            request_id: "property",
            body_macs: None,
        },
        at(),
    )
}

fn stored_events(plan: &Plan) -> Vec<Map<String, Value>> {
    let mut out = Vec::new();
    for o in &plan.objects {
        let mut text = String::new();
        flate2::read::GzDecoder::new(&o.body[..])
            .read_to_string(&mut text)
            .unwrap();
        for line in text.lines() {
            let Value::Object(mut m) = serde_json::from_str(line).unwrap() else {
                panic!("not an object")
            };
            for added in ["dt", "drain", "received_at"] {
                m.remove(added);
            }
            out.push(m);
        }
    }
    out
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1e12f64..1e12).prop_map(Value::from),
        "[ -~\\n\\t\"\\\\é😀]{0,20}".prop_map(Value::from),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z]{1,6}", inner, 0..4).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A sender event: a string message, a `dt` or not, other fields with names that never collide.
fn event() -> impl Strategy<Value = Map<String, Value>> {
    (
        "[ -~]{0,30}",
        prop::option::of(1_600_000_000i64..1_800_000_000),
        prop::collection::btree_map("f[a-z0-9_]{0,8}", value(), 0..6),
    )
        .prop_map(|(message, dt, fields)| {
            let mut m = Map::new();
            m.insert("message".into(), Value::from(message));
            if let Some(dt) = dt {
                m.insert("dt".into(), Value::from(dt));
            }
            m.extend(fields);
            m
        })
}

fn without_dt(events: &[Map<String, Value>]) -> Vec<Map<String, Value>> {
    events
        .iter()
        .map(|e| {
            e.iter()
                .filter(|(k, _)| *k != "dt")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .collect()
}

fn sorted(mut v: Vec<Map<String, Value>>) -> Vec<String> {
    let mut s: Vec<String> = v.drain(..).map(|m| Value::Object(m).to_string()).collect();
    s.sort();
    s
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn json_strings_are_escaped_exactly_as_serde_json_does(s in "(?s).{0,40}", ctl in prop::collection::vec(0u8..0x20, 0..4)) {
        let mut text = s.clone();
        for c in ctl {
            text.push(char::from(c));
            text.push_str("\"\\é");
        }
        let mut ours = Vec::new();
        drain_core::output::write_json_str(&mut ours, &text);
        prop_assert_eq!(String::from_utf8(ours).unwrap(), serde_json::to_string(&text).unwrap());
    }

    #[test]
    fn dense_escapes_are_written_as_serde_json_does(s in "[a\"\\\\\\x00-\\x1f\\x7fé]{0,48}") {
        // Several bytes to escape in one 8-byte word, next to ASCII and to non-ASCII text.
        let mut ours = Vec::new();
        drain_core::output::write_json_str(&mut ours, &s);
        prop_assert_eq!(String::from_utf8(ours).unwrap(), serde_json::to_string(&s).unwrap());
        let mut ours = Vec::new();
        drain_core::output::write_json_bytes(&mut ours, s.as_bytes());
        prop_assert_eq!(String::from_utf8(ours).unwrap(), serde_json::to_string(&s).unwrap());
    }

    #[test]
    fn json_bytes_are_written_as_their_lossy_text(s in "(?s).{0,40}", cut in any::<prop::sample::Index>(), junk in prop::collection::vec(any::<u8>(), 0..12)) {
        // Valid text, text cut inside a character, and text followed by arbitrary bytes.
        let at = cut.index(s.len() + 1);
        for bytes in [s.as_bytes().to_vec(), s.as_bytes()[..at].to_vec(), [s.as_bytes(), &junk].concat()] {
            let mut ours = Vec::new();
            drain_core::output::write_json_bytes(&mut ours, &bytes);
            prop_assert_eq!(String::from_utf8(ours).unwrap(), serde_json::to_string(&String::from_utf8_lossy(&bytes)).unwrap());
        }
    }

    #[test]
    fn no_bytes_panic_and_the_plan_is_deterministic(
        body in prop::collection::vec(any::<u8>(), 0..600),
        path in prop::sample::select(vec!["/v", "/app", "/nf", "/lp", "/", "/healthz", "/x"]),
        ctype in prop::sample::select(vec!["application/json", "application/x-ndjson", "application/msgpack", "text/plain", "application/logplex-1", ""]),
        gz in any::<bool>(),
    ) {
        let config = config();
        let auth = if path == "/lp" { "Basic dTpw" } else { "Bearer tok" };
        let mut headers = vec![("authorization", auth)];
        if !ctype.is_empty() { headers.push(("content-type", ctype)); }
        if gz { headers.push(("content-encoding", "gzip")); }
        let a = run(&config, path, &headers, &body);
        let b = run(&config, path, &headers, &body);
        prop_assert_eq!(format!("{a:?}"), format!("{b:?}"));
        prop_assert!([200, 202, 400, 401, 403, 404, 405, 406, 413, 415].contains(&a.response.status().as_u16()), "{}", a.response.status().as_u16());
        if a.response.status().as_u16() >= 400 { prop_assert!(a.objects.is_empty()); }
    }

    #[test]
    fn a_reused_scratch_never_changes_a_plan(
        deliveries in prop::collection::vec(
            (prop::collection::vec(event(), 0..40), any::<prop::sample::Index>(), 0u8..4),
            1..6,
        ),
    ) {
        // Deliveries of every size (small objects at level 1, larger ones at the configured
        // level), damaged ones refused half way (their compressors never given back), one after
        // another through one scratch: each plan is a new scratch's, byte for byte.
        let config = config();
        let mut scratch = Scratch::default();
        for (events, cut, shape) in deliveries {
            let ndjson: Vec<u8> = events.iter().flat_map(|e| format!("{}\n", Value::Object(e.clone())).into_bytes()).collect();
            let big: Vec<u8> = ndjson.repeat(if shape == 1 { 60 } else { 1 });
            let body = match shape {
                2 => big[..cut.index(big.len() + 1)].to_vec(),
                3 => gzip(&big),
                _ => big,
            };
            let mut map = http::HeaderMap::new();
            map.insert("authorization", "Bearer tok".parse().unwrap());
            map.insert("content-type", "application/json".parse().unwrap());
            if shape == 3 { map.insert("content-encoding", "gzip".parse().unwrap()); }
            let req = Request { method: "POST", path: "/app", headers: &map, body: Body::Complete(&body), request_id: "property", body_macs: None };
            let reused = handle_with(&config, &req, at(), &mut scratch);
            let fresh = handle(&config, &req, at());
            prop_assert_eq!(format!("{reused:?}"), format!("{fresh:?}"));
        }
    }

    #[test]
    fn structured_looking_bodies_never_panic(
        events in prop::collection::vec(event(), 0..5),
        cut in any::<prop::sample::Index>(),
        flip in any::<prop::sample::Index>(),
    ) {
        let config = config();
        let ndjson: Vec<u8> = events.iter().flat_map(|e| format!("{}\n", Value::Object(e.clone())).into_bytes()).collect();
        let packed = rmp_array(&events);
        for body in [ndjson.clone(), packed.clone()] {
            if body.is_empty() { continue; }
            let mut damaged = body[..cut.index(body.len() + 1)].to_vec();
            if !damaged.is_empty() { let i = flip.index(damaged.len()); damaged[i] ^= 0x5a; }
            for ctype in ["application/json", "application/msgpack"] {
                let plan = run(&config, "/app", &[("authorization", "Bearer tok"), ("content-type", ctype)], &damaged);
                prop_assert!([202, 406].contains(&plan.response.status().as_u16()));
            }
        }
    }

    #[test]
    fn ndjson_array_gzip_and_msgpack_store_the_same_events(events in prop::collection::vec(event(), 1..8)) {
        let config = config();
        let h = [("authorization", "Bearer tok"), ("content-type", "application/json")];
        let ndjson: String = events.iter().map(|e| format!("{}\n", Value::Object(e.clone()))).collect();
        let array = Value::Array(events.iter().cloned().map(Value::Object).collect()).to_string();
        let expected = sorted(without_dt(&events));

        let by_lines = run(&config, "/app", &h, ndjson.as_bytes());
        prop_assert_eq!(by_lines.response.status().as_u16(), 202);
        prop_assert_eq!(sorted(stored_events(&by_lines)), expected.clone());

        let by_array = run(&config, "/app", &h, array.as_bytes());
        prop_assert_eq!(sorted(stored_events(&by_array)), expected.clone());
        // Same body bytes after gzip: same keys (a retry with another compression is still a retry).
        let gz = run(&config, "/app", &[h[0], h[1], ("content-encoding", "gzip")], &gzip(ndjson.as_bytes()));
        prop_assert_eq!(by_lines.objects.iter().map(|o| &o.key).collect::<Vec<_>>(), gz.objects.iter().map(|o| &o.key).collect::<Vec<_>>());

        let mp = run(&config, "/app", &[h[0], ("content-type", "application/msgpack")], &rmp_array(&events));
        prop_assert_eq!(mp.response.status().as_u16(), 202);
        prop_assert_eq!(sorted(stored_events(&mp)), expected);
        prop_assert_eq!(by_lines.events, events.len());
    }
}

/// A JSON value as the same MessagePack value.
fn to_rmpv(v: &Value) -> rmpv::Value {
    match v {
        Value::Null => rmpv::Value::Nil,
        Value::Bool(b) => rmpv::Value::Boolean(*b),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => rmpv::Value::from(u),
            (_, Some(i)) => rmpv::Value::from(i),
            _ => rmpv::Value::F64(n.as_f64().unwrap()),
        },
        Value::String(s) => rmpv::Value::from(s.as_str()),
        Value::Array(a) => rmpv::Value::Array(a.iter().map(to_rmpv).collect()),
        Value::Object(o) => rmpv::Value::Map(
            o.iter()
                .map(|(k, v)| (rmpv::Value::from(k.as_str()), to_rmpv(v)))
                .collect(),
        ),
    }
}

fn rmp_array(events: &[Map<String, Value>]) -> Vec<u8> {
    let all = rmpv::Value::Array(events.iter().map(|e| to_rmpv(&Value::Object(e.clone()))).collect());
    let mut out = Vec::new();
    rmpv::encode::write_value(&mut out, &all).unwrap();
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Sender names equal to drain's own in any case, and repeats at the top level and nested:
    /// every stored line is query-safe, and every sender value is still there, under its name
    /// or its name with leading underscores.
    #[test]
    fn lines_are_query_safe_and_keep_every_sender_value(
        fields in prop::collection::vec((prop::sample::select(vec![
            "dt", "DT", "message", "Message", "MESSAGE", "level", "Level", "drain", "DRAIN", "_drain",
            "received_at", "Received_At", "dt_raw", "_dt", "a", "A", "_a", "timestamp", "severity",
        ]), value()), 0..8),
        nested_repeat in any::<bool>(),
        path in prop::sample::select(vec!["/app", "/v", "/nf"]),
    ) {
        let config = config();
        let mut body = String::from("{");
        for (i, (k, v)) in fields.iter().enumerate() {
            if i > 0 { body.push(','); }
            body.push_str(&format!("{}:{}", serde_json::to_string(k).unwrap(), v));
        }
        if nested_repeat {
            if !fields.is_empty() { body.push(','); }
            body.push_str(r#""n":{"k":1,"k":2,"deep":[{"z":"\ud800","z":2}]}"#);
        }
        body.push('}');
        let signature = {
            use hmac::Mac;
            let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(b"vs").unwrap();
            mac.update(body.as_bytes());
            hex::encode(mac.finalize().into_bytes())
        };
        let headers = [
            ("authorization", "Bearer tok"),
            ("content-type", "application/json"),
            ("x-vercel-signature", signature.as_str()),
        ];
        let mut plans = vec![run(&config, path, &headers, body.as_bytes())];
        if path == "/app" {
            // The same event as MessagePack, its repeats kept (a map in the wire format, not a
            // serde map): the one-walk transcoder must rename exactly as the JSON path does.
            let mut map: Vec<(rmpv::Value, rmpv::Value)> =
                fields.iter().map(|(k, v)| (rmpv::Value::from(*k), to_rmpv(v))).collect();
            if nested_repeat {
                let deep = rmpv::Value::Map(vec![("z".into(), "\u{fffd}".into()), ("z".into(), 2.into())]);
                map.push(("n".into(), rmpv::Value::Map(vec![
                    ("k".into(), 1.into()),
                    ("k".into(), 2.into()),
                    ("deep".into(), rmpv::Value::Array(vec![deep])),
                ])));
            }
            let mut mp = Vec::new();
            rmpv::encode::write_value(&mut mp, &rmpv::Value::Map(map)).unwrap();
            plans.push(run(&config, path, &[headers[0], ("content-type", "application/msgpack")], &mp));
        }
        for plan in &plans {
            prop_assert!(plan.response.status().as_u16() / 100 == 2, "{} {:?}", plan.response.status().as_u16(), plan.reason);
            let mut stored_values: Vec<String> = Vec::new();
            for o in &plan.objects {
                let mut text = String::new();
                flate2::read::GzDecoder::new(&o.body[..]).read_to_string(&mut text).unwrap();
                for line in text.lines() {
                    prop_assert!(drain_cases::query_safe(line).is_ok(), "{line}: {:?}", drain_cases::query_safe(line));
                    let Value::Object(m) = serde_json::from_str(line).unwrap() else { panic!() };
                    stored_values.extend(m.iter().map(|(k, v)| format!("{}={v}", k.trim_start_matches('_').to_ascii_lowercase())));
                }
            }
            for (k, v) in &fields {
                // Drain's own fields may replace the sender's (a time read, a message or level kept
                // in place, Northflank's severity made the level); the others are all kept.
                let replaced = ["dt", "timestamp", "message", "level", "severity"].contains(&k.to_ascii_lowercase().as_str());
                let want = format!("{}={v}", k.trim_start_matches('_').to_ascii_lowercase());
                prop_assert!(replaced || stored_values.contains(&want), "{want} not among {stored_values:?}");
            }
        }
    }
}
