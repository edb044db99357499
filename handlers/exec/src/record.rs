//! The delivery record: one per request, the same fields on every platform, written as the
//! delivery log line (JSON, or `key=value` text on a terminal) and counted by the metrics.

use drain_core::{Plan, Refusal};
use serde::Serialize;

use crate::Context;

/// What became of one request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Record {
    /// Always `"delivery"`: tells the line apart from the other log lines.
    pub msg: &'static str,
    pub request_id: String,
    /// The source the path (or token) named, when it names one, and its kind.
    pub source: Option<String>,
    pub kind: Option<&'static str>,
    pub signal: Option<&'static str>,
    pub status: u16,
    /// Why it was refused (`unauthorized`, `too_large`, …); `None` when stored or answered.
    pub refusal: Option<&'static str>,
    /// The refusal in words, a few hundred bytes at most.
    pub reason: Option<String>,
    pub events: usize,
    pub bytes_in: usize,
    pub bytes_stored: usize,
    pub objects: usize,
    /// Create-only objects a retry had already stored.
    pub already_stored: usize,
    /// Why storing failed (the answer was then 503).
    pub storage_error: Option<String>,
    pub decode_ms: f64,
    pub store_ms: f64,
    pub keys: Vec<String>,
}

impl Record {
    /// The record of `plan` before its objects are stored.
    pub fn new(plan: &Plan, context: Context<'_>) -> Self {
        Record {
            msg: "delivery",
            request_id: context.request_id.to_string(),
            source: plan.source.clone(),
            kind: plan.kind,
            signal: plan.signal,
            status: plan.response.status().as_u16(),
            refusal: plan.refusal.map(Refusal::as_str),
            reason: plan.reason.clone(),
            events: plan.events,
            bytes_in: context.bytes_in,
            bytes_stored: plan.objects.iter().map(|o| o.body.len()).sum(),
            objects: plan.objects.len(),
            already_stored: 0,
            storage_error: None,
            decode_ms: context.decode_ms,
            store_ms: 0.0,
            keys: plan.objects.iter().map(|o| o.key.clone()).collect(),
        }
    }

    /// A `GET /healthz`: answered, but neither logged nor counted.
    pub fn is_health_check(&self) -> bool {
        self.source.is_none() && self.refusal.is_none()
    }

    /// Whether the objects failed to store (a 503 the sender retries).
    pub fn storage_failed(&self) -> bool {
        self.storage_error.is_some()
    }

    /// One line of JSON.
    pub fn json(&self) -> String {
        serde_json::to_string(self).expect("a record serializes")
    }

    /// The same fields as `key=value` pairs, for a terminal.
    pub fn text(&self) -> String {
        let serde_json::Value::Object(fields) = serde_json::to_value(self).expect("a record serializes") else {
            unreachable!("a record is an object")
        };
        let mut out = String::from("delivery");
        for (k, v) in fields {
            match v {
                serde_json::Value::Null => continue,
                serde_json::Value::String(s) if k == "msg" && s == "delivery" => continue,
                serde_json::Value::String(s) if !s.contains([' ', '"', '=']) && !s.is_empty() => {
                    out += &format!(" {k}={s}");
                }
                v => out += &format!(" {k}={v}"),
            }
        }
        out
    }

    /// The JSON line with CloudWatch Embedded Metric Format added (AWS Lambda): the log line is
    /// also the metrics, with no call to CloudWatch. Counts overall (`service`) and per source.
    pub fn emf(&self, timestamp_ms: i64) -> String {
        let mut v = serde_json::to_value(self).expect("a record serializes");
        let obj = v.as_object_mut().expect("a record is an object");
        let count = |b: bool| u64::from(b);
        obj.insert("deliveries".into(), 1.into());
        obj.insert("refused".into(), count(self.refusal.is_some()).into());
        obj.insert("storage_failures".into(), count(self.storage_failed()).into());
        obj.insert(
            "stored_events".into(),
            if self.status < 300 { self.events } else { 0 }.into(),
        );
        if self.source.is_none() {
            obj.insert("source".into(), "-".into());
        }
        // A constant dimension, so the totals over every source are a metric of their own (the
        // one template.yaml's alarms watch).
        obj.insert("service".into(), "drain".into());
        obj.insert(
            "_aws".into(),
            serde_json::json!({
                "Timestamp": timestamp_ms,
                "CloudWatchMetrics": [{
                    "Namespace": "drain",
                    "Dimensions": [["service"], ["service", "source"]],
                    "Metrics": [
                        {"Name": "deliveries", "Unit": "Count"},
                        {"Name": "refused", "Unit": "Count"},
                        {"Name": "storage_failures", "Unit": "Count"},
                        {"Name": "stored_events", "Unit": "Count"},
                        {"Name": "bytes_in", "Unit": "Bytes"},
                        {"Name": "bytes_stored", "Unit": "Bytes"},
                        {"Name": "decode_ms", "Unit": "Milliseconds"},
                        {"Name": "store_ms", "Unit": "Milliseconds"}
                    ]
                }]
            }),
        );
        v.to_string()
    }
}
