//! Inputs that once broke the core, named after what broke; each must now be answered quickly
//! with a bounded amount of work.

#![allow(
    clippy::disallowed_methods,
    reason = "the test inflates the objects the core made to read their lines"
)]

use drain_core::{handle, Body, Config, Request, Timestamp};

fn betterstack(body: &[u8], content_type: &str) -> u16 {
    let config = Config::parse(
        "[[source]]\nname=\"app\"\nkind=\"betterstack\"\ntokens=[\"t\"]\n",
        &|_| None,
    )
    .unwrap();
    let mut headers = http::HeaderMap::new();
    headers.insert("authorization", "Bearer t".parse().unwrap());
    headers.insert("content-type", content_type.parse().unwrap());
    let req = Request {
        method: "POST",
        path: "/app",
        headers: &headers,
        body: Body::Complete(body),
        request_id: "regression",
        body_macs: None,
    };
    handle(&config, &req, Timestamp::from_unix_millis(1_700_000_000_000).unwrap())
        .response
        .status()
        .as_u16()
}

/// Found by the msgpack_events fuzz target: maps used as map keys, nested, were written as JSON
/// text inside JSON strings, escaped again at every level (output doubling per level: OOM).
/// Keys that aren't scalars are now refused while the body is checked.
#[test]
fn msgpack_nested_map_keys_exponential() {
    let body = include_bytes!("regressions/msgpack-nested-map-keys-exponential.bin");
    assert_eq!(betterstack(body, "application/msgpack"), 406);
    // The same shape built deliberately: 100 levels of {{…}: nil} as the value of a field.
    let mut deep = vec![0x81, 0xa1, b'x'];
    deep.extend(std::iter::repeat_n(0x81, 100));
    deep.push(0x80);
    deep.extend(std::iter::repeat_n(0xc0, 100));
    assert_eq!(betterstack(&deep, "application/msgpack"), 406);
    // Scalar keys are fine: {x: {1: nil, true: nil, nil: 1.5}}
    let scalars = [
        0x81, 0xa1, b'x', 0x83, 0x01, 0xc0, 0xc3, 0xc0, 0xc0, 0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0,
    ];
    assert_eq!(betterstack(&scalars, "application/msgpack"), 202);
}

fn plan_for(config: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> drain_core::Plan {
    let config = Config::parse(config, &|_| None).unwrap();
    let mut map = http::HeaderMap::new();
    for (k, v) in headers {
        map.insert(http::HeaderName::from_bytes(k.as_bytes()).unwrap(), v.parse().unwrap());
    }
    let req = Request {
        method: "POST",
        path,
        headers: &map,
        body: Body::Complete(body),
        request_id: "regression",
        body_macs: None,
    };
    handle(&config, &req, Timestamp::from_unix_millis(1_700_000_000_000).unwrap())
}

fn lines(plan: &drain_core::Plan) -> Vec<serde_json::Value> {
    use std::io::Read;
    let mut out = Vec::new();
    for o in &plan.objects {
        let mut text = String::new();
        flate2::read::GzDecoder::new(&o.body[..])
            .read_to_string(&mut text)
            .unwrap();
        out.extend(text.lines().map(|l| serde_json::from_str(l).unwrap()));
    }
    out
}

/// Issue 35: SPEC section 3 says the first of `timestamp`, `date` that parses; the first one
/// present won, so an unparseable `timestamp` beside a good `date` took the reception time.
#[test]
fn northflank_json_dt_from_date_when_timestamp_does_not_parse() {
    let config = "[[source]]\nname=\"nf\"\nkind=\"northflank\"\nauth=\"none\"\n";
    let body = br#"[{"timestamp":"not a time","date":"2026-11-22T10:00:00.500Z","message":"m"},{"timestamp":"2026-11-22T11:00:00Z","date":"2026-11-22T12:00:00Z","message":"n"}]"#;
    let plan = plan_for(config, "/nf", &[("content-type", "application/json")], body);
    assert_eq!(plan.response.status(), 200);
    let dts: Vec<_> = lines(&plan)
        .iter()
        .map(|l| l["dt"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(dts, ["2026-11-22T10:00:00.500Z", "2026-11-22T11:00:00Z"]);
    assert!(
        plan.objects.iter().all(|o| o.if_absent),
        "sender times throughout: retry-safe keys"
    );
}

/// Issue 35: the signal was not in the retry-safe hash, so with one prefix for every signal the
/// spans and the log records of one body (OTLP JSON may carry both arrays) shared a key and the
/// second was taken for a retry of the first.
#[test]
fn one_prefix_for_every_signal_keeps_their_keys_apart() {
    let config = "prefix = \"all/\"\ntraces_prefix = \"all/\"\nmetrics_prefix = \"all/\"\n[[source]]\nname=\"o\"\nkind=\"otlp\"\nauth={ bearer = \"t\" }\n";
    let t = "1763805600000000000";
    let body = format!(
        r#"{{"resourceLogs":[{{"scopeLogs":[{{"logRecords":[{{"timeUnixNano":"{t}","body":{{"stringValue":"m"}}}}]}}]}}],"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"startTimeUnixNano":"{t}","name":"s"}}]}}]}}]}}"#
    );
    let headers = [("authorization", "Bearer t"), ("content-type", "application/json")];
    let logs = plan_for(config, "/o/v1/logs", &headers, body.as_bytes());
    let traces = plan_for(config, "/o/v1/traces", &headers, body.as_bytes());
    assert_eq!((logs.objects.len(), traces.objects.len()), (1, 1));
    assert!(logs.objects[0].if_absent && traces.objects[0].if_absent);
    assert_ne!(logs.objects[0].key, traces.objects[0].key);
    assert_eq!(lines(&logs)[0]["message"], "m");
    assert_eq!(lines(&traces)[0]["name"], "s");
}

/// Issue 35: a delivery's stored lines are bounded by `max_stored`, counted as they are
/// written: one resource with many attributes copied into every record's line stops there
/// (413, nothing stored), while the same export with fewer records is stored.
#[test]
fn max_stored_bounds_what_a_shared_resource_makes() {
    let config = "[limits]\nmax_stored = 1048576\n[[source]]\nname=\"o\"\nkind=\"otlp\"\nauth={ bearer = \"t\" }\n";
    let headers = [
        ("authorization", "Bearer t"),
        ("content-type", "application/x-protobuf"),
    ];
    let body = |records| drain_cases::shapes::otlp_logs_with_resource(1_000, records);
    let small = plan_for(config, "/o/v1/logs", &headers, &body(10));
    assert_eq!(small.response.status(), 200, "{:?}", small.reason);
    assert_eq!(small.events, 10);
    let big = plan_for(config, "/o/v1/logs", &headers, &body(10_000));
    assert_eq!(big.response.status(), 413);
    assert!(big.objects.is_empty());
    assert_eq!(big.refusal.map(|r| r.as_str()), Some("too_much_stored"));
    assert!(big.reason.unwrap().contains("max_stored"));
}

/// Issue 35: Logplex STRUCTURED-DATA was collected without a count, and repeated names renamed
/// (`a`, `_a`, `__a`, …) with no budget: quadratic bytes before the line's size was checked.
#[test]
fn logplex_structured_data_is_counted_and_bounded() {
    let config = "[[source]]\nname=\"lp\"\nkind=\"logplex\"\nauth={ basic = { username = \"u\", password = \"p\" } }\n";
    let headers = [
        ("authorization", "Basic dTpw"),
        ("content-type", "application/logplex-1"),
    ];
    let frame = drain_cases::shapes::logplex_repeated_params;
    let ok = plan_for(config, "/lp", &headers, &frame(3));
    assert_eq!(ok.response.status(), 200, "{:?}", ok.reason);
    let sd = &lines(&ok)[0]["structured_data"]["x@1"];
    assert_eq!(sd, &serde_json::json!({"a": "", "_a": "", "__a": ""}));
    let many = plan_for(config, "/lp", &headers, &frame(20_000));
    assert_eq!(many.response.status(), 413);
    assert_eq!(many.refusal.map(|r| r.as_str()), Some("too_many_fields"));
    // Under max_fields, but the renamed names pass max_event_bytes long before the last one.
    let renamed = plan_for(config, "/lp", &headers, &frame(8_000));
    assert_eq!(renamed.response.status(), 413);
    assert_eq!(renamed.refusal.map(|r| r.as_str()), Some("event_too_large"));
}

/// Issue 35 (left from round 2): an OTLP string of invalid UTF-8 was made a lossy `String` (3
/// bytes per bad byte) and written whole before the line's size was checked. It is written with
/// its replacements as it goes, and one longer than the line's room is refused before any copy.
#[test]
fn otlp_strings_of_invalid_utf8_are_not_copied_three_times() {
    let config = "[[source]]\nname=\"o\"\nkind=\"otlp\"\nauth={ bearer = \"t\" }\n";
    let headers = [
        ("authorization", "Bearer t"),
        ("content-type", "application/x-protobuf"),
    ];
    use drain_cases::shapes::pb;
    let record = |text: &[u8]| drain_cases::shapes::otlp_logs([pb(5, &pb(1, text))]);
    let small = plan_for(config, "/o/v1/logs", &headers, &record(b"ok \xff\xfe end"));
    assert_eq!(small.response.status(), 200, "{:?}", small.reason);
    assert_eq!(lines(&small)[0]["message"], "ok \u{fffd}\u{fffd} end");
    let big = plan_for(config, "/o/v1/logs", &headers, &record(&vec![0xff; 2 << 20]));
    assert_eq!(big.response.status(), 413);
    assert_eq!(big.refusal.map(|r| r.as_str()), Some("event_too_large"));
}
