//! The server's numbers at `GET /metrics` (Prometheus text format): this crate's one set of
//! counters (`COUNTERS`, the same as the Lambda's EMF metrics and the Worker's Analytics Engine
//! doubles) as `drain_{name}_total` by source, deliveries also by kind, status and refusal, and
//! the two durations as `_seconds` histograms. Labels come from the config and the core's enums,
//! never from what a sender wrote, so their number is bounded.
//!
//! `prometheus-client` rather than the `metrics` facade: its registry is a value the server owns
//! (the tests run several servers in one process; a global recorder would mix their counts), and
//! label sets are typed structs.

use crate::{Record, Unit, COUNTERS};
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

/// How one of `COUNTERS` is kept.
#[derive(Debug)]
enum Kept {
    /// `deliveries`, with every label.
    Deliveries(Family<DeliveryLabels, Counter>),
    BySource(Family<SourceLabels, Counter>),
    /// A duration, in seconds.
    Seconds(Histogram),
}

#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    kept: Vec<Kept>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("drain");
        let kept = COUNTERS
            .iter()
            .map(|c| match (c.name, c.unit) {
                ("deliveries", _) => {
                    let f = Family::<DeliveryLabels, Counter>::default();
                    registry.register(
                        c.name,
                        format!(
                            "{}, by source, kind, status and refusal (source \"-\": none named)",
                            c.help
                        ),
                        f.clone(),
                    );
                    Kept::Deliveries(f)
                }
                (name, Unit::Milliseconds) => {
                    // 0.1 ms to 6.6 s.
                    let h = Histogram::new(exponential_buckets(0.0001, 4.0, 9));
                    registry.register(format!("{}_seconds", name.trim_end_matches("_ms")), c.help, h.clone());
                    Kept::Seconds(h)
                }
                (name, _) => {
                    let f = Family::<SourceLabels, Counter>::default();
                    registry.register(name, c.help, f.clone());
                    Kept::BySource(f)
                }
            })
            .collect();
        Metrics { registry, kept }
    }
}

impl Metrics {
    pub fn observe(&self, r: &Record) {
        let source = r.source.clone().unwrap_or_else(|| "-".into());
        let by = SourceLabels { source: source.clone() };
        for ((c, value), kept) in r.counted().zip(&self.kept) {
            match kept {
                Kept::Deliveries(f) => {
                    f.get_or_create(&DeliveryLabels {
                        source: source.clone(),
                        kind: r.kind.unwrap_or("-").into(),
                        status: r.status,
                        refusal: r.refusal.unwrap_or("").into(),
                    })
                    .inc();
                }
                Kept::BySource(f) => {
                    if value > 0.0 {
                        f.get_or_create(&by).inc_by(value as u64);
                    }
                }
                // A refusal is decoded in no time, and nothing is stored without objects: those
                // would only pull the distributions down.
                Kept::Seconds(h) => {
                    let meaningful = match c.name {
                        "decode_ms" => r.refusal.is_none(),
                        _ => r.objects > 0,
                    };
                    if meaningful {
                        h.observe(value / 1000.0);
                    }
                }
            }
        }
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry).expect("writing to a String");
        out
    }
}
