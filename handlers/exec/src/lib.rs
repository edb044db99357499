//! Carrying out a plan, the same way on every platform: the plan's objects stored one after
//! another (create-only where the plan says so) within a deadline, the plan's response or its
//! storage-failure answer, and one delivery record for the log line and the metrics.
//!
//! Runtime-free, like the core: the store, the deadline and the clock come from the handler (a
//! tokio sleep on the server and Lambda, a `worker::Delay` on the Worker), so this builds for
//! wasm32 and nothing here needs `Send`.

#![forbid(unsafe_code)]

#[cfg(feature = "function-url")]
pub mod function_url;
#[cfg(feature = "gate")]
pub mod gate;
mod host;
#[cfg(feature = "logs")]
pub mod logs;
#[cfg(feature = "prometheus")]
pub mod prometheus;
mod record;

use std::future::Future;
use std::pin::pin;

use drain_core::{Admitted, Config, Plan, Request, Scratch, Timestamp};
use drain_store::{Cond, Store, Wrote};
use futures_util::future::{select, Either};

pub use host::{finish, header_map, ingest, read_within, Body, Host, Incoming};
pub use record::{Counter, Record, Unit, COUNTERS};

/// The crates whose logs are capped at `debug` on every platform, whatever `RUST_LOG` asks: at
/// `trace` the AWS SDK and hyper log signed requests and the Lambda runtime each raw event,
/// `Authorization` headers included.
pub const QUIET_TARGETS: &[&str] = &[
    "lambda_runtime",
    "lambda_http",
    "aws_smithy_runtime",
    "aws_smithy_runtime_api",
    "aws_smithy_http_client",
    "aws_sigv4",
    "aws_config",
    "aws_sdk_s3",
    "hyper",
    "hyper_util",
    "h2",
];

thread_local! {
    /// The core's scratch space, one per thread that decodes: a server worker or blocking-pool
    /// thread, a Lambda execution environment's thread, a Worker isolate. At most ~1 MiB each
    /// (two gzip compressors and two line buffers, `drain_core::Scratch`).
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
}

/// [`Admitted::handle`] through this thread's [`Scratch`]: the same plan, without allocating
/// compressor state and buffers per delivery.
pub fn decide(config: &Config, admitted: Admitted, request: &Request<'_>, received_at: Timestamp) -> Plan {
    SCRATCH.with(|s| match s.try_borrow_mut() {
        Ok(mut scratch) => admitted.handle(config, request, received_at, &mut scratch),
        // Only if a call were ever nested on one thread: a fresh scratch, the same plan.
        Err(_) => admitted.handle(config, request, received_at, &mut Scratch::default()),
    })
}

/// The config in the `DRAIN_CONFIG` variable, each `${NAME}` in it read by `var` too (Lambda's
/// environment; the Worker's secrets, then its vars); what is missing or wrong, named.
pub fn config_from(var: &impl Fn(&str) -> Option<String>) -> Result<Config, String> {
    let text = var("DRAIN_CONFIG").ok_or("DRAIN_CONFIG is not set: it holds the drain TOML config")?;
    Config::parse(&text, &|name| var(name)).map_err(|e| format!("DRAIN_CONFIG can't be used: {e}"))
}

/// The system clock as the core's time (the server and Lambda; the Worker reads `Date.now()`).
#[cfg(not(target_arch = "wasm32"))]
pub fn wall_clock() -> drain_core::Timestamp {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128);
    drain_core::Timestamp::from_unix_nanos(nanos).expect("the clock is within years 0000-9999")
}

/// What the handler knows of a delivery beyond its plan.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub request_id: &'a str,
    /// Body bytes as received (0 when answered from the head alone).
    pub bytes_in: usize,
    /// Time spent reading and deciding, in milliseconds.
    pub decode_ms: f64,
    /// The config's `[log]`: whether this delivery's line is written.
    pub log: drain_core::Log,
}

/// Stores the plan's objects in order, stopping at the first failure or when `deadline` ends,
/// and answers: the plan's response once every object is stored (an existing create-only object
/// counts as stored), its `on_storage_failure` (503 with `Retry-After`) otherwise. `clock` gives
/// milliseconds for the record's store duration.
pub async fn carry_out<S: Store + ?Sized>(
    store: &S,
    plan: Plan,
    context: Context<'_>,
    deadline: impl Future<Output = ()>,
    clock: impl Fn() -> f64,
) -> (http::Response<Vec<u8>>, Record) {
    let started = clock();
    let put_all = async {
        let mut existing = 0;
        for object in &plan.objects {
            let cond = if object.if_absent { Cond::IfAbsent } else { Cond::Always };
            // Refused: create-only and the key existed, a retry of a delivery already stored.
            let wrote = store
                .put(&object.key, object.body.clone(), object.content_type, cond)
                .await?;
            if wrote == Wrote::Refused {
                existing += 1;
            }
        }
        Ok::<_, drain_store::Error>(existing)
    };
    let mut was_kept = false;
    let stored = if plan.objects.is_empty() {
        // A refused delivery kept for a look: one small write within the deadline, best effort;
        // the answer stays the refusal whatever it gives.
        if let Some(kept) = &plan.kept {
            let put = store.put(&kept.key, kept.body.clone(), kept.content_type, Cond::Always);
            was_kept = matches!(select(pin!(put), pin!(deadline)).await, Either::Left((Ok(_), _)));
        }
        Ok(0)
    } else {
        match select(pin!(put_all), pin!(deadline)).await {
            Either::Left((stored, _)) => stored.map_err(String::from),
            Either::Right(((), _)) => Err("storing took longer than the store timeout".to_string()),
        }
    };
    let store_ms = clock() - started;
    let mut record = Record::new(&plan, context);
    record.store_ms = store_ms;
    record.kept = was_kept;
    let response = match stored {
        Ok(existing) => {
            record.already_stored = existing;
            plan.response
        }
        Err(e) => {
            record.storage_error = Some(e);
            plan.on_storage_failure
        }
    };
    record.status = response.status().as_u16();
    if record.refusal.is_some() || record.storage_failed() {
        record.sample = 1; // always logged, each for itself
    }
    (response, record)
}

#[cfg(test)]
mod tests;
