//! The OTLP messages drain reads (opentelemetry-proto v1: common, resource, logs, trace,
//! metrics): each field's protobuf number and JSON names, in the order the `F_*` indexes name.
//! Fields drain doesn't store (dropped counts, schema URLs, entity refs) are left out and skipped.

use super::view::{Fields, Schema};

/// `n` with its JSON names: lowerCamelCase (the OTLP JSON rule) and the proto field name.
macro_rules! schema {
    ($($n:literal $camel:literal $snake:literal),* $(,)?) => {
        &Fields::new(&[$(($n, &[$camel, $snake])),*])
    };
}

pub(crate) const ANY: Schema = schema![
    1 "stringValue" "string_value", 2 "boolValue" "bool_value", 3 "intValue" "int_value",
    4 "doubleValue" "double_value", 5 "arrayValue" "array_value", 6 "kvlistValue" "kvlist_value",
    7 "bytesValue" "bytes_value",
];
pub(crate) const ANY_STRING: usize = 0;
pub(crate) const ANY_BOOL: usize = 1;
pub(crate) const ANY_INT: usize = 2;
pub(crate) const ANY_DOUBLE: usize = 3;
pub(crate) const ANY_ARRAY: usize = 4;
pub(crate) const ANY_KVLIST: usize = 5;
pub(crate) const ANY_BYTES: usize = 6;

/// ArrayValue and KeyValueList: `values`.
pub(crate) const VALUES: Schema = schema![1 "values" "values"];
pub(crate) const KEY_VALUE: Schema = schema![1 "key" "key", 2 "value" "value"];

pub(crate) const SCOPE: Schema = schema![1 "name" "name", 2 "version" "version", 3 "attributes" "attributes"];
pub(crate) const RESOURCE: Schema = schema![1 "attributes" "attributes"];

/// `Export{Logs,Trace,Metrics}ServiceRequest`: the resources.
pub(crate) const LOGS_REQUEST: Schema = schema![1 "resourceLogs" "resource_logs"];
pub(crate) const TRACES_REQUEST: Schema = schema![1 "resourceSpans" "resource_spans"];
pub(crate) const METRICS_REQUEST: Schema = schema![1 "resourceMetrics" "resource_metrics"];
/// `Resource{Logs,Spans,Metrics}`: the resource, then the scopes.
pub(crate) const RESOURCE_LOGS: Schema = schema![1 "resource" "resource", 2 "scopeLogs" "scope_logs"];
pub(crate) const RESOURCE_SPANS: Schema = schema![1 "resource" "resource", 2 "scopeSpans" "scope_spans"];
pub(crate) const RESOURCE_METRICS: Schema = schema![1 "resource" "resource", 2 "scopeMetrics" "scope_metrics"];
/// `Scope{Logs,Spans,Metrics}`: the scope, then the items.
pub(crate) const SCOPE_LOGS: Schema = schema![1 "scope" "scope", 2 "logRecords" "log_records"];
pub(crate) const SCOPE_SPANS: Schema = schema![1 "scope" "scope", 2 "spans" "spans"];
pub(crate) const SCOPE_METRICS: Schema = schema![1 "scope" "scope", 2 "metrics" "metrics"];

pub(crate) const LOG: Schema = schema![
    1 "timeUnixNano" "time_unix_nano", 11 "observedTimeUnixNano" "observed_time_unix_nano",
    2 "severityNumber" "severity_number", 3 "severityText" "severity_text", 5 "body" "body",
    6 "attributes" "attributes", 8 "flags" "flags", 9 "traceId" "trace_id", 10 "spanId" "span_id",
    12 "eventName" "event_name",
];
pub(crate) const LOG_TIME: usize = 0;
pub(crate) const LOG_OBSERVED: usize = 1;
pub(crate) const LOG_SEVERITY_NUMBER: usize = 2;
pub(crate) const LOG_SEVERITY_TEXT: usize = 3;
pub(crate) const LOG_BODY: usize = 4;
pub(crate) const LOG_ATTRIBUTES: usize = 5;
pub(crate) const LOG_FLAGS: usize = 6;
pub(crate) const LOG_TRACE_ID: usize = 7;
pub(crate) const LOG_SPAN_ID: usize = 8;
pub(crate) const LOG_EVENT_NAME: usize = 9;
/// `SeverityNumber` by number, without the `SEVERITY_NUMBER_` prefix.
pub(crate) const SEVERITIES: &[&str] = &[
    "unspecified", "trace", "trace2", "trace3", "trace4", "debug", "debug2", "debug3", "debug4", "info", "info2",
    "info3", "info4", "warn", "warn2", "warn3", "warn4", "error", "error2", "error3", "error4", "fatal", "fatal2",
    "fatal3", "fatal4",
];

pub(crate) const SPAN: Schema = schema![
    1 "traceId" "trace_id", 2 "spanId" "span_id", 3 "traceState" "trace_state",
    4 "parentSpanId" "parent_span_id", 16 "flags" "flags", 5 "name" "name", 6 "kind" "kind",
    7 "startTimeUnixNano" "start_time_unix_nano", 8 "endTimeUnixNano" "end_time_unix_nano",
    9 "attributes" "attributes", 11 "events" "events", 13 "links" "links", 15 "status" "status",
];
pub(crate) const SPAN_TRACE_ID: usize = 0;
pub(crate) const SPAN_SPAN_ID: usize = 1;
pub(crate) const SPAN_TRACE_STATE: usize = 2;
pub(crate) const SPAN_PARENT: usize = 3;
pub(crate) const SPAN_FLAGS: usize = 4;
pub(crate) const SPAN_NAME: usize = 5;
pub(crate) const SPAN_KIND: usize = 6;
pub(crate) const SPAN_START: usize = 7;
pub(crate) const SPAN_END: usize = 8;
pub(crate) const SPAN_ATTRIBUTES: usize = 9;
pub(crate) const SPAN_EVENTS: usize = 10;
pub(crate) const SPAN_LINKS: usize = 11;
pub(crate) const SPAN_STATUS: usize = 12;
pub(crate) const SPAN_KINDS: &[&str] = &["unspecified", "internal", "server", "client", "producer", "consumer"];

pub(crate) const SPAN_EVENT: Schema = schema![1 "timeUnixNano" "time_unix_nano", 2 "name" "name", 3 "attributes" "attributes"];
pub(crate) const SPAN_LINK: Schema = schema![
    1 "traceId" "trace_id", 2 "spanId" "span_id", 3 "traceState" "trace_state", 4 "attributes" "attributes",
];
pub(crate) const STATUS: Schema = schema![2 "message" "message", 3 "code" "code"];
pub(crate) const STATUS_CODES: &[&str] = &["unset", "ok", "error"];

pub(crate) const METRIC: Schema = schema![
    1 "name" "name", 2 "description" "description", 3 "unit" "unit", 5 "gauge" "gauge", 7 "sum" "sum",
    9 "histogram" "histogram", 10 "exponentialHistogram" "exponential_histogram", 11 "summary" "summary",
];
pub(crate) const METRIC_NAME: usize = 0;
pub(crate) const METRIC_DESCRIPTION: usize = 1;
pub(crate) const METRIC_UNIT: usize = 2;
/// Gauge, Sum, Histogram, ExponentialHistogram, Summary: the indexes of the data's oneof.
pub(crate) const METRIC_TYPES: [(usize, &str); 5] = [
    (3, "gauge"),
    (4, "sum"),
    (5, "histogram"),
    (6, "exponential_histogram"),
    (7, "summary"),
];
/// The data of every metric type: its points, then temporality and monotonicity where it has them.
pub(crate) const METRIC_DATA: Schema = schema![
    1 "dataPoints" "data_points", 2 "aggregationTemporality" "aggregation_temporality",
    3 "isMonotonic" "is_monotonic",
];
pub(crate) const TEMPORALITIES: &[&str] = &["unspecified", "delta", "cumulative"];

pub(crate) const NUMBER_POINT: Schema = schema![
    7 "attributes" "attributes", 2 "startTimeUnixNano" "start_time_unix_nano", 3 "timeUnixNano" "time_unix_nano",
    4 "asDouble" "as_double", 6 "asInt" "as_int", 5 "exemplars" "exemplars", 8 "flags" "flags",
];
pub(crate) const HISTOGRAM_POINT: Schema = schema![
    9 "attributes" "attributes", 2 "startTimeUnixNano" "start_time_unix_nano", 3 "timeUnixNano" "time_unix_nano",
    4 "count" "count", 5 "sum" "sum", 6 "bucketCounts" "bucket_counts", 7 "explicitBounds" "explicit_bounds",
    8 "exemplars" "exemplars", 10 "flags" "flags", 11 "min" "min", 12 "max" "max",
];
pub(crate) const EXP_HISTOGRAM_POINT: Schema = schema![
    1 "attributes" "attributes", 2 "startTimeUnixNano" "start_time_unix_nano", 3 "timeUnixNano" "time_unix_nano",
    4 "count" "count", 5 "sum" "sum", 6 "scale" "scale", 7 "zeroCount" "zero_count", 8 "positive" "positive",
    9 "negative" "negative", 10 "flags" "flags", 11 "exemplars" "exemplars", 12 "min" "min", 13 "max" "max",
];
pub(crate) const BUCKETS: Schema = schema![1 "offset" "offset", 2 "bucketCounts" "bucket_counts"];
pub(crate) const SUMMARY_POINT: Schema = schema![
    7 "attributes" "attributes", 2 "startTimeUnixNano" "start_time_unix_nano", 3 "timeUnixNano" "time_unix_nano",
    4 "count" "count", 5 "sum" "sum", 6 "quantileValues" "quantile_values", 8 "flags" "flags",
];
pub(crate) const QUANTILE: Schema = schema![1 "quantile" "quantile", 2 "value" "value"];
pub(crate) const EXEMPLAR: Schema = schema![
    7 "filteredAttributes" "filtered_attributes", 2 "timeUnixNano" "time_unix_nano", 3 "asDouble" "as_double",
    6 "asInt" "as_int", 4 "spanId" "span_id", 5 "traceId" "trace_id",
];
