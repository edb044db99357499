//! carry_out against an in-memory store that can fail or hang at a given put.

use std::cell::RefCell;
use std::collections::BTreeMap;

use drain_core::{handle, Body, Config, Timestamp};
use futures_executor::block_on;

use super::*;

#[derive(Default)]
struct Memory {
    objects: RefCell<BTreeMap<String, Vec<u8>>>,
    /// The put (counted from 0) that fails, or hangs.
    fail_at: Option<usize>,
    hang: bool,
    puts: RefCell<usize>,
}

impl Store for Memory {
    async fn put(&self, key: &str, body: Vec<u8>, _: &str, cond: Cond<'_>) -> Result<Wrote, drain_store::Error> {
        let n = *self.puts.borrow();
        *self.puts.borrow_mut() += 1;
        if self.fail_at == Some(n) {
            if self.hang {
                std::future::pending::<()>().await;
            }
            return Err(drain_store::Error::other("injected"));
        }
        let mut objects = self.objects.borrow_mut();
        if cond == Cond::IfAbsent && objects.contains_key(key) {
            return Ok(Wrote::Refused);
        }
        objects.insert(key.to_owned(), body);
        Ok(Wrote::Done { etag: String::new() })
    }
    async fn get(&self, _: &str) -> Result<Option<(Vec<u8>, String)>, drain_store::Error> {
        unreachable!("ingest only puts")
    }
    async fn get_range(&self, _: &str, _: u64, _: u64) -> Result<Option<Vec<u8>>, drain_store::Error> {
        unreachable!("ingest only puts")
    }
    async fn list(&self, _: &str, _: Option<&str>) -> Result<Vec<drain_store::Listed>, drain_store::Error> {
        unreachable!("ingest only puts")
    }
    async fn folders(&self, _: &str) -> Result<Vec<String>, drain_store::Error> {
        unreachable!("ingest only puts")
    }
    async fn delete(&self, _: &str, _: Option<&str>) -> Result<(), drain_store::Error> {
        unreachable!("ingest only puts")
    }
    fn describe(&self) -> String {
        "memory".into()
    }
}

const CONFIG: &str = "[[source]]\nname = \"bs\"\nkind = \"betterstack\"\ntokens = [\"t\"]\n";

/// A delivery of events in three hours: three objects.
fn plan() -> Plan {
    let config = Config::parse(CONFIG, &|_| None).unwrap();
    let mut headers = http::HeaderMap::new();
    headers.insert("authorization", "Bearer t".parse().unwrap());
    headers.insert("content-type", "application/json".parse().unwrap());
    let body = br#"[{"dt":"2026-11-23T10:00:00Z","message":"a"},{"dt":"2026-11-23T11:00:00Z","message":"b"},{"dt":"2026-11-23T12:00:00Z","message":"c"}]"#;
    let request = drain_core::Request {
        method: "POST",
        path: "/bs",
        headers: &headers,
        body: Body::Complete(body),
        request_id: "r1",
        body_macs: None,
    };
    handle(
        &config,
        &request,
        Timestamp::from_unix_millis(1_795_000_000_000).unwrap(),
    )
}

fn context() -> Context<'static> {
    Context {
        request_id: "r1",
        bytes_in: 100,
        decode_ms: 0.5,
        log: drain_core::Log::default(),
    }
}

fn run(store: &Memory, deadline: impl Future<Output = ()>) -> (http::Response<Vec<u8>>, Record) {
    block_on(carry_out(store, plan(), context(), deadline, || 0.0))
}

#[test]
fn stores_every_object_then_answers_the_plan() {
    let store = Memory::default();
    let (response, record) = run(&store, std::future::pending());
    assert_eq!(response.status(), 202);
    assert_eq!(store.objects.borrow().len(), 3);
    assert_eq!((record.objects, record.events, record.already_stored), (3, 3, 0));
    assert_eq!(record.status, 202);
    assert_eq!(
        record.bytes_stored,
        store.objects.borrow().values().map(Vec::len).sum::<usize>()
    );
    // The retry finds every object there: the same answer, nothing doubled.
    let (again, record) = run(&store, std::future::pending());
    assert_eq!(again.status(), 202);
    assert_eq!((store.objects.borrow().len(), record.already_stored), (3, 3));
}

#[test]
fn a_failed_put_stops_the_rest_and_answers_503() {
    let store = Memory {
        fail_at: Some(1),
        ..Memory::default()
    };
    let (response, record) = run(&store, std::future::pending());
    assert_eq!(response.status(), 503);
    assert!(response.headers().contains_key("retry-after"));
    assert_eq!(*store.puts.borrow(), 2, "no put after the failed one");
    assert_eq!(store.objects.borrow().len(), 1);
    assert_eq!(record.storage_error.as_deref(), Some("injected"));
    assert_eq!(record.status, 503);
}

#[test]
fn a_put_past_the_deadline_answers_503() {
    let store = Memory {
        fail_at: Some(0),
        hang: true,
        ..Memory::default()
    };
    let (response, record) = run(&store, std::future::ready(()));
    assert_eq!(response.status(), 503);
    assert!(record.storage_failed());
}

#[test]
fn a_refusal_is_answered_without_storing_and_labelled() {
    let config = Config::parse(CONFIG, &|_| None).unwrap();
    let headers = http::HeaderMap::new();
    let drain_core::Admission::Answer(plan) = drain_core::admit(&config, "POST", "/bs", &headers) else {
        panic!("refused from the head")
    };
    let store = Memory::default();
    let (response, record) = block_on(carry_out(&store, plan, context(), std::future::pending(), || 0.0));
    assert_eq!(response.status(), 403);
    assert_eq!(*store.puts.borrow(), 0);
    assert_eq!(record.refusal, Some("unauthorized"));
    let line: serde_json::Value = serde_json::from_str(&record.json()).unwrap();
    assert_eq!(line["refusal"], "unauthorized");
    assert_eq!(line["source"], "bs");
    assert!(record.text().contains(" refusal=unauthorized"), "{}", record.text());
    let kind = record.kind.expect("the source's kind");
    assert_eq!(record.analytics_blobs(), ["bs", kind, "403", "unauthorized"]);
    let emf: serde_json::Value = serde_json::from_str(&record.emf(1)).unwrap();
    assert_eq!(
        (emf["refused"].as_u64(), emf["deliveries"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(emf["_aws"]["CloudWatchMetrics"][0]["Namespace"], "drain");
}

/// The one set of counters: what a stored delivery, a storage failure and a refusal each add.
#[test]
fn counters_count_what_was_stored() {
    let by_name = |r: &Record| -> std::collections::HashMap<&'static str, f64> {
        r.counted().map(|(c, v)| (c.name, v)).collect()
    };
    let (_, stored) = run(&Memory::default(), std::future::pending());
    let n = by_name(&stored);
    assert_eq!(
        (
            n["deliveries"],
            n["refused"],
            n["storage_failures"],
            n["stored_events"],
            n["stored_objects"]
        ),
        (1.0, 0.0, 0.0, 3.0, 3.0)
    );
    assert_eq!(n["stored_bytes"], stored.bytes_stored as f64);
    assert_eq!(n["bytes_in"], 100.0);

    let failing = Memory {
        fail_at: Some(0),
        ..Memory::default()
    };
    let (_, failed) = run(&failing, std::future::pending());
    let n = by_name(&failed);
    assert_eq!(
        (
            n["storage_failures"],
            n["stored_events"],
            n["stored_bytes"],
            n["stored_objects"]
        ),
        (1.0, 0.0, 0.0, 0.0),
        "nothing counts as stored when storing failed"
    );

    // EMF names every counter, with a unit, and the line carries each value.
    let emf: serde_json::Value = serde_json::from_str(&stored.emf(1)).unwrap();
    let metrics = emf["_aws"]["CloudWatchMetrics"][0]["Metrics"].as_array().unwrap();
    assert_eq!(metrics.len(), COUNTERS.len());
    for c in &COUNTERS {
        assert!(emf[c.name].is_number(), "{} in the EMF line", c.name);
    }
}

/// `[log]`: a stored delivery's line is written for all, none, or one in N (standing for N, its
/// EMF metrics multiplied); a failed delivery's line is always written, standing for itself.
#[test]
fn the_log_policy_decides_which_lines_are_written() {
    use drain_core::{Log, LogDeliveries};
    let with = |log: Log, store: &Memory, request_id: &'static str| {
        let context = Context {
            request_id,
            log,
            ..context()
        };
        block_on(carry_out(store, plan(), context, std::future::pending(), || 0.0)).1
    };
    let failures = Log {
        deliveries: LogDeliveries::Failures,
        ..Log::default()
    };
    let stored = with(failures, &Memory::default(), "r1");
    assert!(!stored.logged());
    let failing = Memory {
        fail_at: Some(0),
        ..Memory::default()
    };
    let failed = with(failures, &failing, "r1");
    assert!(failed.logged() && failed.sample == 1);
    assert!(!failed.json().contains("\"sample\""));

    let sample = Log {
        deliveries: LogDeliveries::Sample,
        sample_one_in: 5,
    };
    let ids = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"];
    let records: Vec<Record> = ids.iter().map(|id| with(sample, &Memory::default(), id)).collect();
    let logged: Vec<&Record> = records.iter().filter(|r| r.logged()).collect();
    assert!(
        !logged.is_empty() && logged.len() < ids.len(),
        "{} of {} logged",
        logged.len(),
        ids.len()
    );
    let emf: serde_json::Value = serde_json::from_str(&logged[0].emf(0)).unwrap();
    assert_eq!(
        (
            emf["sample"].as_u64(),
            emf["deliveries"].as_u64(),
            emf["stored_events"].as_u64()
        ),
        (Some(5), Some(5), Some(15))
    );
}

/// [`Memory`] as a host whose records are kept.
#[cfg(feature = "function-url")]
struct MemoryHost {
    store: Memory,
    records: RefCell<Vec<Record>>,
}

#[cfg(feature = "function-url")]
impl Host for MemoryHost {
    type Store = Memory;
    fn store(&self) -> &Memory {
        &self.store
    }
    fn millis(&self) -> f64 {
        0.0
    }
    fn deadline(&self) -> impl Future<Output = ()> {
        std::future::pending()
    }
    fn record(&self, record: &Record) {
        self.records.borrow_mut().push(record.clone());
    }
}

#[cfg(feature = "function-url")]
#[test]
fn a_function_url_event_is_read_whole_and_answered_as_the_events_response() {
    use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
    use base64::Engine;
    let config = Config::parse(CONFIG, &|_| None).unwrap();
    let now = Timestamp::from_unix_millis(1_795_000_000_000).unwrap();
    let event = |body: &str, base64: bool, token: &str| {
        let mut e = ApiGatewayV2httpRequest::default();
        e.raw_path = Some("/bs".into());
        e.raw_query_string = Some("x=1".into());
        e.request_context.http.method = http::Method::POST;
        e.request_context.request_id = Some("req-1".into());
        e.headers.insert("content-type", "application/json".parse().unwrap());
        if !token.is_empty() {
            e.headers
                .insert("authorization", format!("Bearer {token}").parse().unwrap());
        }
        e.body = Some(body.into());
        e.is_base64_encoded = base64;
        e
    };
    let host = MemoryHost {
        store: Memory::default(),
        records: RefCell::default(),
    };
    let events = r#"[{"dt":"2026-11-23T10:00:00Z","message":"a"}]"#;
    // Base64 as the platform sends binary bodies; the query string doesn't change the route.
    let encoded = base64::engine::general_purpose::STANDARD.encode(events);
    let r = block_on(function_url::handle(&host, &config, &event(&encoded, true, "t"), now));
    assert_eq!(r.status_code, 202, "{:?}", r.body);
    assert_eq!(host.store.objects.borrow().len(), 1);
    assert_eq!(host.records.borrow()[0].events, 1);
    // No credential: Better Stack's 403, nothing stored.
    let r = block_on(function_url::handle(&host, &config, &event(events, false, ""), now));
    assert_eq!(r.status_code, 403);
    // A body the platform encoded wrongly is not the sender's fault: 503, nothing stored.
    let r = block_on(function_url::handle(&host, &config, &event("%%%", true, "t"), now));
    assert_eq!(r.status_code, 503);
    assert_eq!(host.store.objects.borrow().len(), 1);
}

#[cfg(feature = "function-url")]
#[test]
fn the_functions_variables_are_named_when_missing_or_wrong() {
    let vars = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    };
    let err = |pairs| function_url::Vars::from(vars(pairs)).unwrap_err();
    assert!(err(&[]).contains("DRAIN_CONFIG is not set"));
    assert!(err(&[("DRAIN_CONFIG", CONFIG)]).contains("DRAIN_BUCKET"));
    const BAD: &[(&str, &str)] = &[
        ("DRAIN_CONFIG", CONFIG),
        ("DRAIN_BUCKET", "b"),
        ("DRAIN_STORE_TIMEOUT", "900"),
    ];
    assert!(err(BAD).contains("DRAIN_STORE_TIMEOUT"));
    let ok = function_url::Vars::from(vars(&[("DRAIN_CONFIG", CONFIG), ("DRAIN_BUCKET", "b")])).unwrap();
    assert_eq!((ok.bucket.as_str(), ok.store_timeout.as_secs()), ("b", 20));
}

#[test]
fn a_chunked_body_is_kept_up_to_max_and_no_further() {
    let chunks = |n: usize| futures_util::stream::iter((0..n).map(|_| Ok::<_, String>(vec![7u8; 10])));
    assert_eq!(
        block_on(read_within(chunks(3), None, 30)).unwrap().map(|b| b.len()),
        Some(30)
    );
    assert_eq!(
        block_on(read_within(chunks(4), None, 30)).unwrap(),
        None,
        "past max as read"
    );
    assert_eq!(
        block_on(read_within(chunks(1), Some(31), 30)).unwrap(),
        None,
        "past max as declared"
    );
    let broken = futures_util::stream::iter([Ok(vec![1u8]), Err("reset".to_string())]);
    assert_eq!(block_on(read_within(broken, None, 30)).unwrap_err(), "reset");
    let headers = header_map([
        ("x-a".into(), "1".into()),
        ("bad name".into(), "2".into()),
        ("x-a".into(), "3".into()),
    ]);
    assert_eq!(headers.get_all("x-a").iter().collect::<Vec<_>>(), ["1", "3"]);
    assert_eq!(headers.len(), 2);
}
