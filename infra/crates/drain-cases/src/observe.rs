//! What a platform says about a run: its delivery log lines (one schema on every platform) and
//! its counters, both checked against the answers the runner received.

use std::collections::BTreeMap;

use serde_json::Value;

/// How many answers of each status the runner received.
pub type Tally = BTreeMap<u16, usize>;

/// The fields every delivery line has, and the JSON types each may take.
const SCHEMA: &[(&str, &[&str])] = &[
    ("msg", &["string"]),
    ("request_id", &["string"]),
    ("source", &["string", "null"]),
    ("kind", &["string", "null"]),
    ("signal", &["string", "null"]),
    ("status", &["integer"]),
    ("refusal", &["string", "null"]),
    ("reason", &["string", "null"]),
    ("events", &["integer"]),
    ("redacted", &["integer"]),
    ("dropped", &["integer"]),
    ("bytes_in", &["integer"]),
    ("bytes_stored", &["integer"]),
    ("objects", &["integer"]),
    ("already_stored", &["integer"]),
    ("storage_error", &["string", "null"]),
    ("kept", &["boolean"]),
    ("decode_ms", &["number", "integer"]),
    ("store_ms", &["number", "integer"]),
    ("keys", &["array"]),
];

/// The labels `refusal` may take (drain_core::Refusal).
const REFUSALS: &[&str] = &[
    "not_found",
    "method_not_allowed",
    "unauthorized",
    "too_large",
    "too_many_hours",
    "too_much_stored",
    "event_too_large",
    "too_many_fields",
    "too_deep",
    "unsupported_type",
    "unsupported_encoding",
    "undecodable",
    "unavailable",
];

fn type_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_u64() || n.is_i64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The delivery lines in a log: each line's JSON object from its first `{` (a platform may put
/// a prefix before it), those whose `msg` is `delivery`.
pub fn delivery_lines(log: &str) -> Vec<serde_json::Map<String, Value>> {
    log.lines()
        .filter_map(|line| {
            let start = line.find('{')?;
            match serde_json::from_str::<Value>(line[start..].trim_end()) {
                Ok(Value::Object(o)) if o.get("msg").and_then(Value::as_str) == Some("delivery") => Some(o),
                _ => None,
            }
        })
        .collect()
}

/// Checks every delivery line against the schema (and, with `emf`, CloudWatch's Embedded Metric
/// Format), and that the lines by status are the answers the runner received. `Ok` says how
/// many lines were checked.
pub fn check_log(log: &str, tally: &Tally, emf: bool) -> Result<usize, String> {
    let lines = delivery_lines(log);
    let mut by_status = Tally::new();
    for (i, line) in lines.iter().enumerate() {
        for (field, types) in SCHEMA {
            let got = line.get(*field).map_or("missing", type_of);
            if !types.contains(&got) {
                return Err(format!("delivery line {}: `{field}` is {got}, not {types:?}", i + 1));
            }
        }
        if let Some(r) = line["refusal"].as_str() {
            if !REFUSALS.contains(&r) {
                return Err(format!("delivery line {}: unknown refusal label `{r}`", i + 1));
            }
        }
        if emf {
            let ns = &line.get("_aws").map(|a| &a["CloudWatchMetrics"][0]["Namespace"]);
            if ns.and_then(Value::as_str) != Some("drain") || line.get("deliveries").and_then(Value::as_u64) != Some(1)
            {
                return Err(format!("delivery line {}: no Embedded Metric Format block", i + 1));
            }
        }
        let status = line["status"].as_u64().unwrap_or_default() as u16;
        *by_status.entry(status).or_default() += 1;
    }
    if &by_status != tally {
        return Err(format!(
            "delivery lines by status {by_status:?}, answers received {tally:?}"
        ));
    }
    Ok(lines.len())
}

/// Checks the server's `drain_deliveries_total` by status against the answers received.
pub fn check_metrics(text: &str, tally: &Tally) -> Result<usize, String> {
    let mut by_status = Tally::new();
    for line in text.lines().filter(|l| l.starts_with("drain_deliveries_total{")) {
        let status = line
            .split("status=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .and_then(|s| s.parse::<u16>().ok())
            .ok_or_else(|| format!("no status label in `{line}`"))?;
        let n: f64 = line
            .rsplit(' ')
            .next()
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| format!("no value in `{line}`"))?;
        *by_status.entry(status).or_default() += n as usize;
    }
    if &by_status != tally {
        return Err(format!(
            "drain_deliveries_total by status {by_status:?}, answers received {tally:?}"
        ));
    }
    Ok(by_status.values().sum())
}
