//! The server's numbers, counted from the delivery records and served at `GET /metrics` in the
//! Prometheus text format. Labels come from the config and the core's enums (source name, kind,
//! status, refusal), never from what a sender wrote, so their number is bounded.
//!
//! `prometheus-client` rather than the `metrics` facade: its registry is a value the server owns
//! (the tests run several servers in one process; a global recorder would mix their counts), and
//! label sets are typed structs.

use drain_exec::Record;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DeliveryLabels {
    source: String,
    kind: String,
    status: u16,
    refusal: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SourceLabels {
    source: String,
}

#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    deliveries: Family<DeliveryLabels, Counter>,
    events: Family<SourceLabels, Counter>,
    bytes_in: Family<SourceLabels, Counter>,
    bytes_stored: Family<SourceLabels, Counter>,
    objects: Family<SourceLabels, Counter>,
    storage_failures: Family<SourceLabels, Counter>,
    decode: Histogram,
    store: Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("drain");
        let deliveries = Family::<DeliveryLabels, Counter>::default();
        let events = Family::<SourceLabels, Counter>::default();
        let bytes_in = Family::<SourceLabels, Counter>::default();
        let bytes_stored = Family::<SourceLabels, Counter>::default();
        let objects = Family::<SourceLabels, Counter>::default();
        let storage_failures = Family::<SourceLabels, Counter>::default();
        // 0.1 ms to ~3 s.
        let decode = Histogram::new(exponential_buckets(0.0001, 4.0, 9));
        let store = Histogram::new(exponential_buckets(0.001, 3.0, 10));
        registry.register(
            "deliveries",
            "Requests answered, by source, kind, status and refusal (source \"-\": none named)",
            deliveries.clone(),
        );
        registry.register("events", "Events stored", events.clone());
        registry.register("received_bytes", "Body bytes received", bytes_in.clone());
        registry.register("stored_bytes", "Object bytes stored (gzip)", bytes_stored.clone());
        registry.register(
            "objects",
            "Objects stored (or found stored by a retry)",
            objects.clone(),
        );
        registry.register(
            "storage_failures",
            "Deliveries answered 503 because storing failed or timed out",
            storage_failures.clone(),
        );
        registry.register("decode_seconds", "Time to read and decode a delivery", decode.clone());
        registry.register("store_seconds", "Time to store a delivery's objects", store.clone());
        Metrics {
            registry,
            deliveries,
            events,
            bytes_in,
            bytes_stored,
            objects,
            storage_failures,
            decode,
            store,
        }
    }
}

impl Metrics {
    pub fn observe(&self, r: &Record) {
        let source = r.source.clone().unwrap_or_else(|| "-".into());
        self.deliveries
            .get_or_create(&DeliveryLabels {
                source: source.clone(),
                kind: r.kind.unwrap_or("-").into(),
                status: r.status,
                refusal: r.refusal.unwrap_or("").into(),
            })
            .inc();
        let by = SourceLabels { source };
        self.bytes_in.get_or_create(&by).inc_by(r.bytes_in as u64);
        if r.storage_failed() {
            self.storage_failures.get_or_create(&by).inc();
        } else if r.objects > 0 {
            self.events.get_or_create(&by).inc_by(r.events as u64);
            self.bytes_stored.get_or_create(&by).inc_by(r.bytes_stored as u64);
            self.objects.get_or_create(&by).inc_by(r.objects as u64);
        }
        if r.refusal.is_none() {
            self.decode.observe(r.decode_ms / 1000.0);
        }
        if r.objects > 0 {
            self.store.observe(r.store_ms / 1000.0);
        }
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry).expect("writing to a String");
        out
    }
}
