//! The compaction function (`DRAIN_ROLE=compact`, invoked by EventBridge Scheduler): one
//! `drain_compact::run` over `DRAIN_BUCKET` per invocation, after the self-test that refuses a
//! store ignoring conditional writes. The prefixes, format and tables prefix are the variables of
//! `Settings::from_vars`, which must match the ingest config. The event may carry
//! `{"lookback_hours": N}` for a backfill; a run cut short by the function's timeout is finished
//! by the next one.

use drain_compact::{now_secs, Settings};
use drain_s3::S3Store;
use lambda_http::lambda_runtime::{self, service_fn, LambdaEvent};

pub async fn serve(store: S3Store) -> Result<(), lambda_runtime::Error> {
    let base = Settings::from_vars(|v| std::env::var(v).ok())?;
    tracing::info!(bucket = store.bucket(), prefixes = ?base.prefixes, tables = ?base.tables, "drain compaction ready");
    let (store, base) = (&store, &base);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<serde_json::Value>| async move {
        let settings = base.for_event(&event.payload);
        let r = drain_compact::run_checked(store, &settings, now_secs(), &event.context.request_id, &|_, _| {}).await?;
        drain_compact::log(&r);
        Ok::<_, lambda_runtime::Error>(r.json())
    }))
    .await
}
