//! The process log of the native platforms (the server, Lambda): `RUST_LOG` as the user's
//! filter (`Targets` syntax: `level` or `target=level`, comma-separated; no regex engine in the
//! binary), and [`QUIET_TARGETS`](crate::QUIET_TARGETS) capped at `debug` by a filter of its own.
//! An event is logged only when both allow it, so no `RUST_LOG` directive, however specific
//! (`lambda_runtime::layers::api_response=trace` logs each raw event), lifts the cap.

use tracing::level_filters::LevelFilter;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// `RUST_LOG`, `info` when unset or unreadable.
pub fn filter(rust_log: Option<String>) -> Targets {
    rust_log
        .and_then(|s| s.parse::<Targets>().ok())
        .unwrap_or_else(|| Targets::new().with_default(LevelFilter::INFO))
}

/// The cap on the crates that would log credentials or raw events.
pub fn cap() -> Targets {
    crate::QUIET_TARGETS
        .iter()
        .fold(Targets::new().with_default(LevelFilter::TRACE), |t, target| {
            t.with_target(*target, LevelFilter::DEBUG)
        })
}

/// How lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Text on stderr (a terminal).
    Text,
    /// JSON on stderr (`drain serve --log-format json`).
    Json,
    /// JSON on stdout without a time (Lambda: CloudWatch adds it).
    Lambda,
}

/// Installs the process's subscriber.
pub fn init(format: Format) {
    let registry = tracing_subscriber::registry()
        .with(filter(std::env::var("RUST_LOG").ok()))
        .with(cap());
    let fmt = tracing_subscriber::fmt::layer();
    match format {
        Format::Text => registry.with(fmt.with_writer(std::io::stderr)).init(),
        Format::Json => registry.with(fmt.json().with_writer(std::io::stderr)).init(),
        Format::Lambda => registry.with(fmt.json().without_time().with_target(false)).init(),
    }
}

/// A delivery's line, when its `[log]` policy keeps it: JSON on stderr (`--log-format json`),
/// the text line through `tracing` (an error when storing failed), or CloudWatch Embedded Metric
/// Format on stdout (Lambda: the counters become metrics).
pub fn delivery(format: Format, record: &crate::Record) {
    if !record.logged() {
        return;
    }
    match format {
        Format::Json => eprintln!("{}", record.json()),
        Format::Text if record.storage_failed() => tracing::error!("{}", record.text()),
        Format::Text => tracing::info!("{}", record.text()),
        Format::Lambda => println!("{}", record.emf((crate::wall_clock().unix_nanos() / 1_000_000) as i64)),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// The targets and levels of the events that got through.
    #[derive(Clone, Default)]
    struct Seen(Arc<Mutex<Vec<String>>>);

    impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Seen {
        fn on_event(&self, e: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
            let m = e.metadata();
            self.0.lock().unwrap().push(format!("{} {}", m.level(), m.target()));
        }
    }

    /// Issue 35: the cap was one more directive in the user's filter, and the most specific
    /// directive wins, so `lambda_runtime::layers::api_response=trace` logged each raw event,
    /// `Authorization` included. The cap is now a filter of its own.
    #[test]
    fn no_rust_log_lifts_the_cap() {
        let cases = [
            (
                "trace",
                vec!["DEBUG lambda_runtime::layers::api_response", "TRACE drain"],
            ),
            (
                "lambda_runtime::layers::api_response=trace",
                vec!["DEBUG lambda_runtime::layers::api_response"],
            ),
            (
                "trace,lambda_runtime=trace,hyper::proto::h1=trace,aws_sigv4::http_request=trace",
                vec!["DEBUG lambda_runtime::layers::api_response", "TRACE drain"],
            ),
        ];
        for (rust_log, expected) in cases {
            let seen = Seen::default();
            let subscriber = tracing_subscriber::registry()
                .with(seen.clone())
                .with(filter(Some(rust_log.to_string())))
                .with(cap());
            tracing::subscriber::with_default(subscriber, || {
                tracing::trace!(target: "lambda_runtime::layers::api_response", "the raw event");
                tracing::trace!(target: "hyper::proto::h1", "the request head");
                tracing::trace!(target: "aws_sigv4::http_request", "the canonical request");
                tracing::debug!(target: "lambda_runtime::layers::api_response", "kept at debug");
                tracing::trace!(target: "drain", "drain's own");
            });
            assert_eq!(*seen.0.lock().unwrap(), expected, "RUST_LOG={rust_log}");
        }
    }
}
