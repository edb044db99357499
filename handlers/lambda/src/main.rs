//! drain on AWS Lambda: the function URL event in, `drain-core`'s plan carried out on S3, the
//! plan's response out. Config from `DRAIN_CONFIG` (`${NAME}` from the environment), bucket from
//! `DRAIN_BUCKET`; the S3 client is built and its connection opened during init. A delivery's
//! objects must be stored within `DRAIN_STORE_TIMEOUT` seconds (default 20, under the function's
//! 30 s timeout) or it answers 503, never the 502 of a function that timed out. With
//! `DRAIN_ROLE=compact` the same binary is the scheduled compaction function instead (`compact.rs`).

#![forbid(unsafe_code)]

mod compact;
mod host;

use std::sync::Arc;
use std::time::{Duration, Instant};

use drain_core::Config;
use drain_exec::function_url::Vars;
use drain_s3::S3Store;
use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use lambda_http::lambda_runtime::{self, service_fn, LambdaEvent};

pub struct State {
    config: Config,
    store: S3Store,
    store_timeout: Duration,
    started: Instant,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let started = Instant::now();
    drain_exec::logs::init(drain_exec::logs::Format::Lambda);
    if std::env::var("DRAIN_ROLE").as_deref() == Ok("compact") {
        let bucket = std::env::var("DRAIN_BUCKET").map_err(|_| "DRAIN_BUCKET is not set")?;
        return compact::serve(S3Store::from_env(bucket, None, None).await).await;
    }
    let Vars {
        config,
        bucket,
        store_timeout,
    } = Vars::from(|name| std::env::var(name).ok())?;
    let store = S3Store::from_env(bucket, None, None).await;
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
        started,
    });
    lambda_runtime::run(service_fn(move |event: LambdaEvent<ApiGatewayV2httpRequest>| {
        let state = Arc::clone(&state);
        async move {
            Ok::<_, lambda_runtime::Error>(
                drain_exec::function_url::handle(&*state, &state.config, &event.payload, drain_exec::wall_clock())
                    .await,
            )
        }
    }))
    .await
}
