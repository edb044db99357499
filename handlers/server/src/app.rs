//! The HTTP side: `GET /metrics`, and every other request handed to drain-exec's admission
//! control (`drain_exec::gate`) with this host's timer, blocking pool, store and log.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Body as AxumBody;
use axum::extract::{Request, State};
use axum::response::Response;
use axum::Router;
pub use drain_cli::Settings;
use drain_core::{Config, Plan, Timestamp};
use drain_exec::gate::{Gate, Server};
use drain_exec::prometheus::Metrics;
use drain_exec::{Host, Record};

use crate::store::FolderOrBucket;

pub struct AppState {
    pub config: Config,
    pub store: FolderOrBucket,
    pub gate: Gate,
    pub metrics: Metrics,
    /// When this process started, for durations.
    epoch: Instant,
}

impl AppState {
    pub fn new(config: Config, store: FolderOrBucket, settings: Settings) -> Arc<Self> {
        let started = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        Arc::new(Self {
            config,
            store,
            gate: Gate::new(settings, started),
            metrics: Metrics::default(),
            epoch: Instant::now(),
        })
    }

    pub fn settings(&self) -> &Settings {
        &self.gate.settings
    }
}

/// The whole server as a router, for `axum::serve` and for tests.
pub fn app(state: Arc<AppState>) -> Router {
    Router::new().fallback(deliver).with_state(state)
}

async fn deliver(State(state): State<Arc<AppState>>, req: Request) -> Response {
    if req.uri().path() == "/metrics" && req.method() == http::Method::GET {
        return http::Response::builder()
            .header(
                "content-type",
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )
            .body(AxumBody::from(state.metrics.render()))
            .expect("static response");
    }
    drain_exec::gate::deliver(&state, req).await.map(AxumBody::from)
}

impl Server for AppState {
    fn config(&self) -> &Config {
        &self.config
    }

    fn gate(&self) -> &Gate {
        &self.gate
    }

    fn now(&self) -> Timestamp {
        drain_exec::wall_clock()
    }

    fn sleep(&self, duration: Duration) -> impl std::future::Future<Output = ()> {
        tokio::time::sleep(duration)
    }

    /// Tokio's blocking pool.
    async fn offload(&self, job: Box<dyn FnOnce() -> Plan + Send>) -> Option<Plan> {
        tokio::task::spawn_blocking(job).await.ok()
    }
}

impl Host for AppState {
    type Store = FolderOrBucket;

    fn store(&self) -> &FolderOrBucket {
        &self.store
    }

    fn millis(&self) -> f64 {
        self.epoch.elapsed().as_secs_f64() * 1000.0
    }

    fn deadline(&self) -> impl std::future::Future<Output = ()> {
        tokio::time::sleep(self.gate.settings.store_timeout)
    }

    /// Counted for `/metrics`; the delivery line to stderr (JSON, or text with `tracing`).
    fn record(&self, record: &Record) {
        self.metrics.observe(record);
        drain_exec::logs::delivery(self.gate.settings.log, record);
    }
}
