//! OTLP/HTTP bodies (protobuf or JSON) to stored lines, as SPEC section 8 maps them: one line per
//! log record, span and metric data point, with its resource and scope.
//!
//! Both encodings are read through one [`view::View`] per message (fields found by number or by
//! name, leniently), so the mapping below is written once. Nothing is decoded into a tree: each
//! item is written straight into its line, its attributes and values transcoded as they are
//! read, with the line's limits (keys, nesting, bytes) counted as they are written.

mod schema;
pub(crate) mod view;

use std::borrow::Cow;

use serde_json::value::RawValue;

use crate::error::{DecodeError, Limit, Rejection};
use crate::event::Budget;
use crate::names::{renamed, Names};
use crate::output::{write_json_str, Batch, Line};
use crate::timestamp::Timestamp;
use schema::*;
use view::{Number, View};

/// What an export carries: the last segment of `/v1/{logs,traces,metrics}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Signal {
    Logs,
    Traces,
    Metrics,
}

impl Signal {
    pub(crate) fn from_path(segment: &str) -> Option<Self> {
        match segment {
            "logs" => Some(Signal::Logs),
            "traces" => Some(Signal::Traces),
            "metrics" => Some(Signal::Metrics),
            _ => None,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Signal::Logs => "logs",
            Signal::Traces => "traces",
            Signal::Metrics => "metrics",
        }
    }
}

type Result<T> = std::result::Result<T, Rejection>;

/// Writes every item of an export into `batch`. `protobuf`: the body is an
/// `Export…ServiceRequest` in protobuf, else in JSON. An empty export writes nothing.
pub(crate) fn decode(signal: Signal, protobuf: bool, body: &[u8], batch: &mut Batch<'_, '_>) -> Result<()> {
    let (request_schema, resource_schema, scope_schema) = match signal {
        Signal::Logs => (LOGS_REQUEST, RESOURCE_LOGS, SCOPE_LOGS),
        Signal::Traces => (TRACES_REQUEST, RESOURCE_SPANS, SCOPE_SPANS),
        Signal::Metrics => (METRICS_REQUEST, RESOURCE_METRICS, SCOPE_METRICS),
    };
    let request = if protobuf {
        View::protobuf(request_schema, body)?
    } else {
        let text = std::str::from_utf8(body)
            .map_err(|e| DecodeError::Otlp(format!("JSON: not UTF-8 (invalid byte at offset {})", e.valid_up_to())))?;
        if text.trim().is_empty() {
            return Ok(());
        }
        let raw: &RawValue = serde_json::from_str(text).map_err(|e| DecodeError::Otlp(format!("JSON: {e}")))?;
        View::json(request_schema, raw)?
    };
    let limits = *batch.limits();
    let budget = Budget {
        fields: limits.max_fields,
        max_fields: limits.max_fields,
        max_depth: limits.max_depth,
        end: limits.max_event_bytes,
        max_event_bytes: limits.max_event_bytes,
    };
    request.each(0, resource_schema, |rv| {
        let resource = rv.message(0, RESOURCE)?;
        let mut context = Context {
            service: None,
            resource: Vec::new(),
            scope: Vec::new(),
        };
        let mut b = budget;
        if write_attributes(&resource, 0, &mut context.resource, &mut b, 1)? == 0 {
            context.resource.clear();
        }
        context.service = service_name(&resource)?;
        rv.each(1, scope_schema, |sv| {
            let scope = sv.message(0, SCOPE)?;
            context.scope = render_scope(&scope, budget)?;
            sv.each(1, item_schema(signal), |item| {
                match signal {
                    Signal::Logs => log_line(batch, &context, item),
                    Signal::Traces => span_line(batch, &context, item),
                    Signal::Metrics => metric_lines(batch, &context, item),
                }
                
            })
        })
    })
}

fn item_schema(signal: Signal) -> view::Schema {
    match signal {
        Signal::Logs => LOG,
        Signal::Traces => SPAN,
        Signal::Metrics => METRIC,
    }
}

/// What every line of one resource and scope shares.
struct Context<'a> {
    service: Option<Cow<'a, str>>,
    /// The resource's attributes as a JSON object, or empty.
    resource: Vec<u8>,
    /// `{"name","version","attributes"}`, or empty.
    scope: Vec<u8>,
}

/// The first `service.name` (the one the stored `resource` keeps under that name).
fn service_name<'a>(resource: &View<'a>) -> Result<Option<Cow<'a, str>>> {
    let mut found = None;
    resource.each(0, KEY_VALUE, |kv| {
        if found.is_none() && kv.str(0)? == "service.name" {
            let v = kv.message(1, ANY)?;
            if v.has(ANY_STRING) {
                found = Some(v.str(ANY_STRING)?);
            }
        }
        Ok(())
    })?;
    Ok(found)
}

fn render_scope(scope: &View<'_>, mut budget: Budget) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let name = scope.str(0)?;
    let version = scope.str(1)?;
    out.push(b'{');
    let mut first = true;
    for (key, value) in [("name", &name), ("version", &version)] {
        if !value.is_empty() {
            if !first {
                out.push(b',');
            }
            first = false;
            out.extend_from_slice(format!("\"{key}\":").as_bytes());
            write_json_str(&mut out, value);
        }
    }
    let mark = out.len();
    if !first {
        out.push(b',');
    }
    out.extend_from_slice(b"\"attributes\":");
    let n = write_attributes(scope, 2, &mut out, &mut budget, 2)?;
    if n == 0 {
        out.truncate(mark);
    }
    out.push(b'}');
    Ok(if out == b"{}" { Vec::new() } else { out })
}

/// Writes a repeated `KeyValue` field as a JSON object with unique keys (a repeat gets leading
/// underscores, SPEC section 4); returns how many keys it has.
fn write_attributes(
    parent: &View<'_>,
    field: usize,
    out: &mut Vec<u8>,
    budget: &mut Budget,
    depth: usize,
) -> Result<usize> {
    if depth > budget.max_depth {
        return Err(Limit::Depth(budget.max_depth).into());
    }
    out.push(b'{');
    let mut names = Names::exact();
    let mut n = 0usize;
    // Each value read into one view.
    let mut value = View::empty(ANY);
    parent
        .each(field, KEY_VALUE, |kv| {
            budget.field().map_err(Rejection::from)?;
            if n > 0 {
                out.push(b',');
            }
            n += 1;
            // The key's bytes; not UTF-8, its lossy text, so that two invalid keys that read
            // alike are told apart by the names they are written as.
            let key = kv.text(0)?;
            let key = if key.is_ascii() || std::str::from_utf8(&key).is_ok() {
                key
            } else {
                Cow::Owned(String::from_utf8_lossy(&key).into_owned().into_bytes())
            };
            match names.take(key.clone()) {
                None => crate::output::write_json_bytes(out, &key),
                Some(prefix) => crate::output::write_json_bytes(out, &renamed(&prefix, &key)),
            }
            out.push(b':');
            kv.message_into(1, &mut value)?;
            write_any(&value, out, budget, depth + 1)
        })?;
    out.push(b'}');
    budget.room(out)?;
    Ok(n)
}

/// An `AnyValue` as JSON: string, bool, integer, double (non-finite: `null`), bytes (base64),
/// array, kvlist (an object); unset: `null`.
fn write_any(v: &View<'_>, out: &mut Vec<u8>, budget: &mut Budget, depth: usize) -> Result<()> {
    if depth > budget.max_depth {
        return Err(Limit::Depth(budget.max_depth).into());
    }
    if v.has(ANY_STRING) {
        // Escaping only grows a string: one longer than the room left can't fit.
        let text = v.text(ANY_STRING)?;
        if out.len().saturating_add(text.len()) > budget.end {
            return Err(Limit::EventBytes(budget.max_event_bytes).into());
        }
        crate::output::write_json_bytes(out, &text);
    } else if v.has(ANY_BOOL) {
        out.extend_from_slice(if v.bool(ANY_BOOL)? { b"true" } else { b"false" });
    } else if v.has(ANY_INT) {
        out.extend_from_slice(itoa::Buffer::new().format(v.i64(ANY_INT)?).as_bytes());
    } else if v.has(ANY_DOUBLE) {
        write_f64(out, v.f64(ANY_DOUBLE)?);
    } else if v.has(ANY_BYTES) {
        let bytes = v.bytes(ANY_BYTES)?;
        out.push(b'"');
        let start = out.len();
        out.resize(start + bytes.len().div_ceil(3) * 4, 0);
        use base64::Engine;
        let n = base64::engine::general_purpose::STANDARD
            .encode_slice(&bytes, &mut out[start..])
            .expect("sized for the encoding");
        out.truncate(start + n);
        out.push(b'"');
    } else if v.has(ANY_ARRAY) {
        let array = v.message(ANY_ARRAY, VALUES)?;
        out.push(b'[');
        let mut first = true;
        array
            .each(0, ANY, |item| {
                if !first {
                    out.push(b',');
                }
                first = false;
                budget.room(out).map_err(Rejection::from)?;
                write_any(item, out, budget, depth + 1)
            })?;
        out.push(b']');
    } else if v.has(ANY_KVLIST) {
        let list = v.message(ANY_KVLIST, VALUES)?;
        write_attributes(&list, 0, out, budget, depth)?;
    } else {
        out.extend_from_slice(b"null");
    }
    budget.room(out)?;
    Ok(())
}

fn write_f64(out: &mut Vec<u8>, v: f64) {
    if v.is_finite() {
        serde_json::to_writer(&mut *out, &v).expect("writing to memory");
    } else {
        out.extend_from_slice(b"null");
    }
}

fn time(nanos: u64) -> Option<Timestamp> {
    (nanos != 0).then(|| Timestamp::from_unix_nanos(i128::from(nanos))).flatten()
}

/// `,"name":"<RFC 3339>"` when `nanos` is a time.
fn time_field(line: &mut Line<'_>, name: &'static str, nanos: u64) {
    if let Some(t) = time(nanos) {
        line.time_field(name, t);
    }
}

/// `,"name":"<hex>"` unless the id is absent or all zero.
fn id_field(line: &mut Line<'_>, name: &'static str, view: &View<'_>, field: usize) -> Result<()> {
    let bytes = view.id_bytes(field)?;
    if !bytes.is_empty() {
        line.name(name);
        let out = &mut *line.out;
        out.push(b'"');
        let start = out.len();
        out.resize(start + bytes.len() * 2, 0);
        hex::encode_to_slice(&bytes, &mut out[start..]).expect("sized for the hex");
        out.push(b'"');
    }
    Ok(())
}

/// `,"name":"…"` of a string field unless it is empty; written from its bytes (invalid UTF-8
/// replaced as it is written), so valid text is scanned once.
fn text_field(line: &mut Line<'_>, name: &'static str, view: &View<'_>, field: usize) -> Result<()> {
    let text = view.text(field)?;
    if !text.is_empty() {
        line.bytes_field(name, &text);
    }
    Ok(())
}

fn str_field(line: &mut Line<'_>, name: &'static str, value: &str) {
    if !value.is_empty() {
        line.name(name);
        write_json_str(line.out, value);
    }
}

fn int_field(line: &mut Line<'_>, name: &'static str, value: i64) {
    if value != 0 {
        line.name(name);
        line.out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
    }
}

/// `,"attributes":{…}` unless there are none.
fn attributes_field(line: &mut Line<'_>, name: &'static str, view: &View<'_>, field: usize, budget: &mut Budget) -> Result<()> {
    let mark = line.out.len();
    line.name(name);
    if write_attributes(view, field, line.out, budget, 1)? == 0 {
        line.out.truncate(mark);
    }
    Ok(())
}

/// drain's fields, then the resource's and the scope's.
fn shared_fields(line: &mut Line<'_>, c: &Context<'_>) -> Result<()> {
    line.common();
    if let Some(s) = &c.service {
        str_field(line, "service", s);
    }
    for (name, json) in [("resource", &c.resource), ("scope", &c.scope)] {
        if !json.is_empty() {
            if line.out.len() + json.len() + name.len() + 4 > line.end() {
                return Err(Limit::EventBytes(line.end()).into());
            }
            line.name(name);
            line.out.extend_from_slice(json);
        }
    }
    Ok(())
}

fn line_budget(batch: &Batch<'_, '_>) -> Budget {
    let l = batch.limits();
    Budget {
        fields: l.max_fields,
        max_fields: l.max_fields,
        max_depth: l.max_depth,
        end: 0,
        max_event_bytes: l.max_event_bytes,
    }
}

const LEVELS: [&str; 6] = ["trace", "debug", "info", "warning", "error", "fatal"];

fn log_line(batch: &mut Batch<'_, '_>, c: &Context<'_>, r: &View<'_>) -> Result<()> {
    let dt = time(r.u64(LOG_TIME)?).or(time(r.u64(LOG_OBSERVED)?));
    let budget = line_budget(batch);
    batch.event(dt, |line: &mut Line<'_>| {
        let mut budget = Budget {
            end: line.end(),
            ..budget
        };
        // The body: a string is the message; anything else is the message as JSON text and
        // `body` as the value.
        let body = r.message(LOG_BODY, ANY)?;
        let mut body_json = None;
        if body.has(ANY_STRING) {
            let text = body.text(ANY_STRING)?;
            line.fits(text.len())?;
            line.bytes_field("message", &text);
        } else if r.has(LOG_BODY) {
            let mut json = Vec::new();
            write_any(&body, &mut json, &mut Budget { end: budget.max_event_bytes, ..budget }, 1)?;
            line.str_field("message", &String::from_utf8_lossy(&json));
            body_json = Some(json);
        } else {
            line.str_field("message", "");
        }
        let text = r.str(LOG_SEVERITY_TEXT)?;
        let number = r.enumeration(LOG_SEVERITY_NUMBER, "SEVERITY_NUMBER_", SEVERITIES)?;
        if !text.is_empty() {
            // A severity text is a short ASCII word: lowercased on the stack.
            let mut short = [0u8; 16];
            match short.get_mut(..text.len()).filter(|_| text.is_ascii()) {
                Some(b) => {
                    b.copy_from_slice(text.as_bytes());
                    b.make_ascii_lowercase();
                    line.str_field("level", std::str::from_utf8(b).expect("ASCII"));
                }
                None => line.str_field("level", &text.to_lowercase()),
            }
        } else if (1..=24).contains(&number) {
            line.plain_field("level", LEVELS[(number as usize - 1) / 4]);
        }
        shared_fields(line, c)?;
        time_field(line, "observed_dt", r.u64(LOG_OBSERVED)?);
        int_field(line, "severity_number", number as i64);
        id_field(line, "trace_id", r, LOG_TRACE_ID)?;
        id_field(line, "span_id", r, LOG_SPAN_ID)?;
        text_field(line, "event_name", r, LOG_EVENT_NAME)?;
        int_field(line, "flags", r.u64(LOG_FLAGS)? as i64);
        if let Some(json) = body_json {
            line.name("body");
            line.out.extend_from_slice(&json);
        }
        attributes_field(line, "attributes", r, LOG_ATTRIBUTES, &mut budget)
    })
}

fn span_line(batch: &mut Batch<'_, '_>, c: &Context<'_>, s: &View<'_>) -> Result<()> {
    let (start, end) = (s.u64(SPAN_START)?, s.u64(SPAN_END)?);
    let budget = line_budget(batch);
    batch.event(time(start), |line: &mut Line<'_>| {
        let mut budget = Budget {
            end: line.end(),
            ..budget
        };
        shared_fields(line, c)?;
        time_field(line, "end_dt", end);
        if start != 0 && end >= start {
            int_field(line, "duration_ns", (end - start).min(i64::MAX as u64) as i64);
        }
        id_field(line, "trace_id", s, SPAN_TRACE_ID)?;
        id_field(line, "span_id", s, SPAN_SPAN_ID)?;
        id_field(line, "parent_span_id", s, SPAN_PARENT)?;
        text_field(line, "trace_state", s, SPAN_TRACE_STATE)?;
        text_field(line, "name", s, SPAN_NAME)?;
        let kind = s.enumeration(SPAN_KIND, "SPAN_KIND_", SPAN_KINDS)?;
        if let Some(k) = SPAN_KINDS.get(kind as usize).filter(|_| kind != 0) {
            line.plain_field("kind", k);
        }
        let status = s.message(SPAN_STATUS, STATUS)?;
        let code = status.enumeration(1, "STATUS_CODE_", STATUS_CODES)?;
        if let Some(k) = STATUS_CODES.get(code as usize).filter(|_| code != 0) {
            line.plain_field("status_code", k);
        }
        text_field(line, "status_message", &status, 0)?;
        int_field(line, "flags", s.u64(SPAN_FLAGS)? as i64);
        attributes_field(line, "attributes", s, SPAN_ATTRIBUTES, &mut budget)?;
        list_field(line, "events", s, SPAN_EVENTS, SPAN_EVENT, &mut budget, |out, e, budget| {
            let mut first = true;
            if let Some(t) = time(e.u64(0)?) {
                out.extend_from_slice(b"\"dt\":\"");
                t.write_rfc3339(out);
                out.push(b'"');
                first = false;
            }
            member_str(out, &mut first, "name", &e.str(1)?);
            member_attributes(out, &mut first, "attributes", e, 2, budget)
        })?;
        list_field(line, "links", s, SPAN_LINKS, SPAN_LINK, &mut budget, |out, l, budget| {
            let mut first = true;
            member_str(out, &mut first, "trace_id", &l.id(0)?);
            member_str(out, &mut first, "span_id", &l.id(1)?);
            member_str(out, &mut first, "trace_state", &l.str(2)?);
            member_attributes(out, &mut first, "attributes", l, 3, budget)
        })
    })
}

/// `,"name":[{…},…]` of a repeated message field, unless it is empty; `member` writes one
/// object's members.
fn list_field<'a>(
    line: &mut Line<'_>,
    name: &'static str,
    parent: &View<'a>,
    field: usize,
    schema: view::Schema,
    budget: &mut Budget,
    mut member: impl FnMut(&mut Vec<u8>, &View<'a>, &mut Budget) -> Result<()>,
) -> Result<()> {
    let mark = line.out.len();
    line.name(name);
    line.out.push(b'[');
    let mut n = 0;
    let out = &mut *line.out;
    parent
        .each(field, schema, |item| {
            if n > 0 {
                out.push(b',');
            }
            n += 1;
            out.push(b'{');
            member(out, item, budget)?;
            out.push(b'}');
            budget.room(out).map_err(Rejection::from)
        })?;
    if n == 0 {
        line.out.truncate(mark);
    } else {
        line.out.push(b']');
    }
    Ok(())
}

fn member_key(out: &mut Vec<u8>, first: &mut bool, name: &str) {
    if !*first {
        out.push(b',');
    }
    *first = false;
    out.push(b'"');
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\":");
}

fn member_str(out: &mut Vec<u8>, first: &mut bool, name: &str, value: &str) {
    if !value.is_empty() {
        member_key(out, first, name);
        write_json_str(out, value);
    }
}

fn member_attributes(
    out: &mut Vec<u8>,
    first: &mut bool,
    name: &str,
    view: &View<'_>,
    field: usize,
    budget: &mut Budget,
) -> Result<()> {
    let mark = out.len();
    let was_first = *first;
    member_key(out, first, name);
    if write_attributes(view, field, out, budget, 2)? == 0 {
        out.truncate(mark);
        *first = was_first;
    }
    Ok(())
}

fn member_f64(out: &mut Vec<u8>, first: &mut bool, name: &str, value: f64) {
    member_key(out, first, name);
    write_f64(out, value);
}

fn metric_lines(batch: &mut Batch<'_, '_>, c: &Context<'_>, m: &View<'_>) -> Result<()> {
    let Some(&(index, kind)) = METRIC_TYPES.iter().find(|(i, _)| m.has(*i)) else {
        return Ok(());
    };
    let data = m.message(index, METRIC_DATA)?;
    let point_schema = match kind {
        "gauge" | "sum" => NUMBER_POINT,
        "histogram" => HISTOGRAM_POINT,
        "exponential_histogram" => EXP_HISTOGRAM_POINT,
        _ => SUMMARY_POINT,
    };
    let temporality = if matches!(kind, "gauge" | "summary") {
        0
    } else {
        data.enumeration(1, "AGGREGATION_TEMPORALITY_", TEMPORALITIES)?
    };
    let monotonic = kind == "sum" && data.bool(2)?;
    let (name, description, unit) = (m.str(METRIC_NAME)?, m.str(METRIC_DESCRIPTION)?, m.str(METRIC_UNIT)?);
    let budget = line_budget(batch);
    data.each(0, point_schema, |p| {
        let dt = time(p.u64(2)?);
        batch
            .event(dt, |line: &mut Line<'_>| {
                let mut budget = Budget {
                    end: line.end(),
                    ..budget
                };
                shared_fields(line, c)?;
                time_field(line, "start_dt", p.u64(1)?);
                str_field(line, "metric", &name);
                str_field(line, "description", &description);
                str_field(line, "unit", &unit);
                line.name("type");
                write_json_str(line.out, kind);
                if let Some(t) = TEMPORALITIES.get(temporality as usize).filter(|_| temporality != 0) {
                    line.plain_field("temporality", t);
                }
                if monotonic {
                    line.name("monotonic");
                    line.out.extend_from_slice(b"true");
                }
                point_fields(line, kind, p, &mut budget)?;
                attributes_field(line, "attributes", p, 0, &mut budget)
            })
            
    })
}

/// The fields of one data point by metric type.
fn point_fields(line: &mut Line<'_>, kind: &str, p: &View<'_>, budget: &mut Budget) -> Result<()> {
    let exemplars_at = match kind {
        "gauge" | "sum" => {
            line.name("value");
            if p.has(4) {
                line.out.extend_from_slice(itoa::Buffer::new().format(p.i64(4)?).as_bytes());
            } else {
                write_f64(line.out, p.f64(3)?);
            }
            Some(5)
        }
        "histogram" | "exponential_histogram" => {
            line.name("count");
            line.out.extend_from_slice(itoa::Buffer::new().format(p.u64(3)?).as_bytes());
            let (min, max) = if kind == "histogram" { (9, 10) } else { (11, 12) };
            for (name, i) in [("sum", 4), ("min", min), ("max", max)] {
                if p.has(i) {
                    line.name(name);
                    write_f64(line.out, p.f64(i)?);
                }
            }
            if kind == "histogram" {
                numbers_field(line, "bucket_counts", p, 5, true, false, budget)?;
                numbers_field(line, "explicit_bounds", p, 6, true, true, budget)?;
                Some(7)
            } else {
                int_field(line, "scale", p.sint32(5)?);
                line.name("zero_count");
                line.out.extend_from_slice(itoa::Buffer::new().format(p.u64(6)?).as_bytes());
                for (name, i) in [("positive", 7), ("negative", 8)] {
                    if p.has(i) {
                        let b = p.message(i, BUCKETS)?;
                        line.name(name);
                        line.out.extend_from_slice(b"{\"offset\":");
                        line.out
                            .extend_from_slice(itoa::Buffer::new().format(b.sint32(0)?).as_bytes());
                        numbers_field(line, "bucket_counts", &b, 1, false, false, budget)?;
                        line.out.push(b'}');
                    }
                }
                Some(10)
            }
        }
        _ => {
            line.name("count");
            line.out.extend_from_slice(itoa::Buffer::new().format(p.u64(3)?).as_bytes());
            line.name("sum");
            write_f64(line.out, p.f64(4)?);
            list_field(line, "quantiles", p, 5, QUANTILE, budget, |out, q, _| {
                let mut first = true;
                member_f64(out, &mut first, "quantile", q.f64(0)?);
                member_f64(out, &mut first, "value", q.f64(1)?);
                Ok(())
            })?;
            None
        }
    };
    if let Some(at) = exemplars_at {
        list_field(line, "exemplars", p, at, EXEMPLAR, budget, |out, e, budget| {
            let mut first = true;
            if let Some(t) = time(e.u64(1)?) {
                member_key(out, &mut first, "dt");
                out.push(b'"');
                t.write_rfc3339(out);
                out.push(b'"');
            }
            member_key(out, &mut first, "value");
            if e.has(3) {
                out.extend_from_slice(itoa::Buffer::new().format(e.i64(3)?).as_bytes());
            } else {
                write_f64(out, e.f64(2)?);
            }
            member_str(out, &mut first, "trace_id", &e.id(5)?);
            member_str(out, &mut first, "span_id", &e.id(4)?);
            member_attributes(out, &mut first, "attributes", e, 0, budget)
        })?;
    }
    Ok(())
}

/// `,"name":[n,…]` of a repeated number field. `fixed`: 8-byte elements in protobuf;
/// `double`: written as doubles, else as unsigned integers. In an `{…}` already opened (the
/// buckets of an exponential histogram) the field is a member.
fn numbers_field(
    line: &mut Line<'_>,
    name: &'static str,
    p: &View<'_>,
    field: usize,
    fixed: bool,
    double: bool,
    budget: &mut Budget,
) -> Result<()> {
    line.name(name);
    line.out.push(b'[');
    let mut first = true;
    let out = &mut *line.out;
    p.each_number(field, fixed, |n: Number| {
        if !first {
            out.push(b',');
        }
        first = false;
        if double {
            write_f64(out, n.as_f64());
        } else {
            out.extend_from_slice(itoa::Buffer::new().format(n.as_u64()).as_bytes());
        }
        budget.room(out).map_err(Rejection::from)
    })?;
    line.out.push(b']');
    Ok(())
}
