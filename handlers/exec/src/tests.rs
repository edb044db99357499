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
