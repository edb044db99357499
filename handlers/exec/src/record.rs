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
    /// Matches the source's `redact` replaced in what was stored.
    pub redacted: usize,
    /// Events the source's `min_level` kept out.
    pub dropped: usize,
    pub bytes_in: usize,
    pub bytes_stored: usize,
    pub objects: usize,
    /// Create-only objects a retry had already stored.
    pub already_stored: usize,
    /// Why storing failed (the answer was then 503).
    pub storage_error: Option<String>,
    /// A refused delivery was kept for a look under `_drain/refused/` (`keep_refused`).
    pub kept: bool,
    pub decode_ms: f64,
    pub store_ms: f64,
    pub keys: Vec<String>,
    /// How many deliveries this line stands for (`[log] deliveries = "sample"`: one stored
    /// delivery in N has a line); 0: this delivery has no line. Written only when not 1.
    #[serde(skip_serializing_if = "is_one")]
    pub sample: u32,
}

fn is_one(n: &u32) -> bool {
    *n == 1
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
            redacted: plan.redacted,
            dropped: plan.dropped,
            bytes_in: context.bytes_in,
            bytes_stored: plan.objects.iter().map(|o| o.body.len()).sum(),
            objects: plan.objects.len(),
            already_stored: 0,
            storage_error: None,
            kept: false,
            decode_ms: context.decode_ms,
            store_ms: 0.0,
            keys: plan.objects.iter().map(|o| o.key.clone()).collect(),
            sample: context.log.weight(context.request_id),
        }
    }

    /// Whether this delivery has a log line (`[log]`): refusals and failures always do.
    pub fn logged(&self) -> bool {
        self.sample > 0
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

    /// What this delivery adds to each of [`COUNTERS`], in their order.
    pub fn counts(&self) -> [f64; COUNTERS.len()] {
        let stored = self.status < 300 && !self.storage_failed();
        let when = |b: bool, v: usize| if b { v as f64 } else { 0.0 };
        [
            1.0,
            when(self.refusal.is_some(), 1),
            when(self.storage_failed(), 1),
            when(stored, self.events),
            self.bytes_in as f64,
            when(stored, self.bytes_stored),
            when(stored, self.objects),
            self.decode_ms,
            self.store_ms,
            when(stored, self.redacted),
            when(stored, self.dropped),
        ]
    }

    /// The counters by name: `(name, value)` in [`COUNTERS`]' order.
    pub fn counted(&self) -> impl Iterator<Item = (&'static Counter, f64)> {
        COUNTERS.iter().zip(self.counts())
    }

    /// The Workers Analytics Engine data point: indexed by source; blobs source, kind, status,
    /// refusal; doubles [`Record::counts`].
    pub fn analytics_blobs(&self) -> [String; 4] {
        [
            self.source.clone().unwrap_or_else(|| "-".into()),
            self.kind.unwrap_or("-").into(),
            self.status.to_string(),
            self.refusal.unwrap_or("").into(),
        ]
    }

    /// The JSON line with CloudWatch Embedded Metric Format added (AWS Lambda): the log line is
    /// also the metrics ([`COUNTERS`]), with no call to CloudWatch. Counted overall (`service`)
    /// and per source.
    pub fn emf(&self, timestamp_ms: i64) -> String {
        let mut v = serde_json::to_value(self).expect("a record serializes");
        let obj = v.as_object_mut().expect("a record is an object");
        for (c, value) in self.counted() {
            // A sampled line's metrics stand for the deliveries it stands for.
            let value = value * f64::from(self.sample.max(1));
            let value = match c.unit {
                Unit::Milliseconds => value.into(),
                Unit::Count | Unit::Bytes => (value as u64).into(),
            };
            obj.insert(c.name.into(), value);
        }
        if self.source.is_none() {
            obj.insert("source".into(), "-".into());
        }
        // A constant dimension, so the totals over every source are a metric of their own (the
        // one template.yaml's alarms watch).
        obj.insert("service".into(), "drain".into());
        let metrics: Vec<serde_json::Value> = COUNTERS
            .iter()
            .map(|c| serde_json::json!({"Name": c.name, "Unit": c.unit.cloudwatch()}))
            .collect();
        obj.insert(
            "_aws".into(),
            serde_json::json!({
                "Timestamp": timestamp_ms,
                "CloudWatchMetrics": [{
                    "Namespace": "drain",
                    "Dimensions": [["service"], ["service", "source"]],
                    "Metrics": metrics
                }]
            }),
        );
        v.to_string()
    }
}

/// What a counter counts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    Bytes,
    Milliseconds,
}

impl Unit {
    fn cloudwatch(self) -> &'static str {
        match self {
            Unit::Count => "Count",
            Unit::Bytes => "Bytes",
            Unit::Milliseconds => "Milliseconds",
        }
    }
}

/// One number every platform counts per delivery.
#[derive(Debug)]
pub struct Counter {
    pub name: &'static str,
    pub unit: Unit,
    pub help: &'static str,
}

/// The one set of counters: the server's Prometheus counters (`drain_{name}_total`; the two
/// durations as `_seconds` histograms), the Lambda's CloudWatch EMF metrics, the Worker's
/// Analytics Engine doubles (in this order). A new counter is a new row here.
pub const COUNTERS: [Counter; 11] = [
    Counter {
        name: "deliveries",
        unit: Unit::Count,
        help: "Requests answered",
    },
    Counter {
        name: "refused",
        unit: Unit::Count,
        help: "Requests refused (4xx, or 503 when busy)",
    },
    Counter {
        name: "storage_failures",
        unit: Unit::Count,
        help: "Deliveries answered 503 because storing failed or timed out",
    },
    Counter {
        name: "stored_events",
        unit: Unit::Count,
        help: "Events stored",
    },
    Counter {
        name: "bytes_in",
        unit: Unit::Bytes,
        help: "Body bytes received",
    },
    Counter {
        name: "stored_bytes",
        unit: Unit::Bytes,
        help: "Object bytes stored (gzip)",
    },
    Counter {
        name: "stored_objects",
        unit: Unit::Count,
        help: "Objects stored (or found stored by a retry)",
    },
    Counter {
        name: "decode_ms",
        unit: Unit::Milliseconds,
        help: "Time to read and decode a delivery",
    },
    Counter {
        name: "store_ms",
        unit: Unit::Milliseconds,
        help: "Time to store a delivery's objects",
    },
    Counter {
        name: "redacted",
        unit: Unit::Count,
        help: "Matches a source's redact replaced in stored events",
    },
    Counter {
        name: "dropped",
        unit: Unit::Count,
        help: "Events a source's min_level kept out",
    },
];
