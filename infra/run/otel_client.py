"""Sends logs, traces and metrics to drain with the official OpenTelemetry Python SDK (exporters
configured by the OTEL_EXPORTER_OTLP_* environment only), then reads the objects drain stored in
the folder given and checks every line: `python otel_client.py DATA_DIR`."""
import glob
import gzip
import json
import logging
import os
import sys

from opentelemetry import metrics, trace
from opentelemetry._logs import set_logger_provider
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from checks import check, done  # noqa: E402

data = sys.argv[1]
resource = Resource.create({"deployment.environment": "test"})

tracer_provider = TracerProvider(resource=resource)
tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
trace.set_tracer_provider(tracer_provider)
logger_provider = LoggerProvider(resource=resource)
logger_provider.add_log_record_processor(BatchLogRecordProcessor(OTLPLogExporter()))
set_logger_provider(logger_provider)
reader = PeriodicExportingMetricReader(OTLPMetricExporter(), export_interval_millis=60_000)
meter_provider = MeterProvider(resource=resource, metric_readers=[reader])
metrics.set_meter_provider(meter_provider)

log = logging.getLogger("shop")
log.setLevel(logging.INFO)
log.addHandler(LoggingHandler(logger_provider=logger_provider))

tracer = trace.get_tracer("shop.http", "2.0.1")
with tracer.start_as_current_span("POST /orders", kind=SpanKind.SERVER, attributes={"http.route": "/orders"}) as root:
    root.add_event("validated", {"items": 3})
    with tracer.start_as_current_span("INSERT orders", kind=SpanKind.CLIENT) as child:
        child.set_status(Status(StatusCode.ERROR, "deadlock"))
        log.error("order failed", extra={"order_id": "A-17", "attempt": 2})
    log.info("order placed")

meter = metrics.get_meter("shop.metrics")
orders = meter.create_counter("orders", unit="{order}", description="orders placed")
orders.add(5, {"country": "NL"})
latency = meter.create_histogram("latency", unit="ms")
for v in (3, 12, 40):
    latency.record(v)

tracer_provider.shutdown()
logger_provider.shutdown()
meter_provider.shutdown()


def lines(signal):
    out = []
    for path in sorted(glob.glob(os.path.join(data, signal, "drain=otel", "day=*", "hour=*", "*.ndjson.gz"))):
        with gzip.open(path, "rt") as f:
            out += [json.loads(line) for line in f]
    return out




logs, spans, points = lines("logs"), lines("traces"), lines("metrics")
by_message = {l.get("message"): l for l in logs}
error = by_message.get("order failed", {})
check("2 log records stored as lines under logs/", len(logs) == 2, logs)
check("the error log: level, severity, service, resource, scope, attributes",
      error.get("level") == "error" and error.get("severity_number") == 17 and error.get("service") == "checkout"
      and error.get("resource", {}).get("deployment.environment") == "test" and error.get("scope", {}).get("name") == "shop"
      and error.get("attributes", {}).get("order_id") == "A-17" and error.get("attributes", {}).get("attempt") == 2,
      error)
by_name = {s.get("name"): s for s in spans}
root, child = by_name.get("POST /orders", {}), by_name.get("INSERT orders", {})
check("2 spans stored under traces/ (gzip export)", len(spans) == 2, spans)
check("the server span: kind, scope version, attribute, event, ids, duration",
      root.get("kind") == "server" and root.get("scope", {}).get("version") == "2.0.1"
      and root.get("attributes", {}).get("http.route") == "/orders"
      and [e.get("name") for e in root.get("events", [])] == ["validated"]
      and len(root.get("trace_id", "")) == 32 and len(root.get("span_id", "")) == 16
      and isinstance(root.get("duration_ns"), int) and root.get("dt") < root.get("end_dt"), root)
check("the child span: parent, client kind, error status, same trace",
      child.get("parent_span_id") == root.get("span_id") and child.get("kind") == "client"
      and child.get("status_code") == "error" and child.get("status_message") == "deadlock"
      and child.get("trace_id") == root.get("trace_id"), child)
check("the error log carries the child span's ids",
      error.get("trace_id") == child.get("trace_id") and error.get("span_id") == child.get("span_id"), error)
by_metric = {p.get("metric"): p for p in points}
counter, hist = by_metric.get("orders", {}), by_metric.get("latency", {})
check("the counter: a monotonic cumulative sum of 5 with its attribute",
      counter.get("type") == "sum" and counter.get("value") == 5 and counter.get("monotonic") is True
      and counter.get("temporality") == "cumulative" and counter.get("attributes") == {"country": "NL"}
      and counter.get("unit") == "{order}", counter)
check("the histogram: count, sum, min, max, buckets that add up",
      hist.get("type") == "histogram" and hist.get("count") == 3 and hist.get("sum") == 55
      and hist.get("min") == 3 and hist.get("max") == 40
      and sum(hist.get("bucket_counts", [])) == 3
      and len(hist.get("bucket_counts", [])) == len(hist.get("explicit_bounds", [])) + 1, hist)
done()
