//! drain on AWS Lambda: the function URL event in, `drain-core`'s plan carried out on S3, the
//! plan's response out. Config from `DRAIN_CONFIG` (`${NAME}` from the environment), bucket from
//! `DRAIN_BUCKET`; the S3 client is built and its connection opened during init. A delivery's
//! objects must be stored within `DRAIN_STORE_TIMEOUT` seconds (default 20, under the function's
//! 30 s timeout) or it answers 503, never the 502 of a function that timed out. With
//! `DRAIN_ROLE=compact` the same binary is the scheduled compaction function instead (`compact.rs`).

#![forbid(unsafe_code)]

mod compact;
mod request;

use std::sync::Arc;
use std::time::{Duration, Instant};

use drain_core::Config;
use drain_s3::S3Store;
use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use lambda_http::lambda_runtime::{self, service_fn, LambdaEvent};
use tracing::level_filters::LevelFilter;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

pub struct State {
    config: Config,
    store: S3Store,
    store_timeout: Duration,
}

/// `RUST_LOG` (default `info`; `Targets` syntax: `level` or `target=level`, comma-separated).
/// (`Targets` rather than `EnvFilter`: no regex engine in the binary.)
fn log_filter(rust_log: Option<String>) -> Targets {
    rust_log
        .and_then(|s| s.parse::<Targets>().ok())
        .unwrap_or_else(|| Targets::new().with_default(LevelFilter::INFO))
}

/// `drain_exec::QUIET_TARGETS` capped at `debug`: a filter of its own beside the user's, and an
/// event is logged only when both allow it, so no `RUST_LOG` directive, however specific
/// (`lambda_runtime::layers::api_response=trace` logs each raw event), lifts the cap.
fn log_cap() -> Targets {
    drain_exec::QUIET_TARGETS
        .iter()
        .fold(Targets::new().with_default(LevelFilter::TRACE), |t, target| {
            t.with_target(*target, LevelFilter::DEBUG)
        })
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let started = Instant::now();
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .json()
                .without_time()
                .with_target(false),
        )
        .with(log_filter(std::env::var("RUST_LOG").ok()))
        .with(log_cap())
        .init();
    if std::env::var("DRAIN_ROLE").as_deref() == Ok("compact") {
        let bucket = std::env::var("DRAIN_BUCKET").map_err(|_| "DRAIN_BUCKET is not set")?;
        return compact::serve(S3Store::from_env(bucket).await).await;
    }
    let text = std::env::var("DRAIN_CONFIG").map_err(|_| "DRAIN_CONFIG is not set: it holds the drain TOML config")?;
    let config = Config::parse(&text, &|name| std::env::var(name).ok())
        .map_err(|e| format!("DRAIN_CONFIG can't be used: {e}"))?;
    let bucket = std::env::var("DRAIN_BUCKET").map_err(|_| "DRAIN_BUCKET is not set")?;
    let store_timeout = match std::env::var("DRAIN_STORE_TIMEOUT") {
        Err(_) => Duration::from_secs(20),
        Ok(s) => Duration::from_secs_f64(
            s.parse::<f64>()
                .ok()
                .filter(|t| *t > 0.0 && *t < 900.0)
                .ok_or("DRAIN_STORE_TIMEOUT must be a number of seconds between 0 and 900")?,
        ),
    };
    let store = S3Store::from_env(bucket).await;
    let warm = store.warm_up().await;
    if let Err(e) = &warm {
        tracing::warn!(bucket = store.bucket(), error = %e, "bucket did not answer during init; deliveries will retry it");
    }
    tracing::info!(
        init_ms = started.elapsed().as_secs_f64() * 1000.0,
        sources = config.sources.len(),
        bucket_ok = warm.is_ok(),
        "drain ready"
    );
    let state = Arc::new(State {
        config,
        store,
        store_timeout,
    });
    lambda_runtime::run(service_fn(move |event: LambdaEvent<ApiGatewayV2httpRequest>| {
        let state = Arc::clone(&state);
        async move { Ok::<_, lambda_runtime::Error>(request::handle(&state, event.payload).await) }
    }))
    .await
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
                vec!["DEBUG lambda_runtime::layers::api_response", "TRACE drain_lambda"],
            ),
            (
                "lambda_runtime::layers::api_response=trace",
                vec!["DEBUG lambda_runtime::layers::api_response"],
            ),
            (
                "trace,lambda_runtime=trace,hyper::proto::h1=trace,aws_sigv4::http_request=trace",
                vec!["DEBUG lambda_runtime::layers::api_response", "TRACE drain_lambda"],
            ),
        ];
        for (rust_log, expected) in cases {
            let seen = Seen::default();
            let subscriber = tracing_subscriber::registry()
                .with(seen.clone())
                .with(log_filter(Some(rust_log.to_string())))
                .with(log_cap());
            tracing::subscriber::with_default(subscriber, || {
                tracing::trace!(target: "lambda_runtime::layers::api_response", "the raw event");
                tracing::trace!(target: "hyper::proto::h1", "the request head");
                tracing::trace!(target: "aws_sigv4::http_request", "the canonical request");
                tracing::debug!(target: "lambda_runtime::layers::api_response", "kept at debug");
                tracing::trace!(target: "drain_lambda", "drain's own");
            });
            assert_eq!(*seen.0.lock().unwrap(), expected, "RUST_LOG={rust_log}");
        }
    }
}
