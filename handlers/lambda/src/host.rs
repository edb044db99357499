//! The function as drain-exec's host: the store S3, a tokio timer for the store deadline, the
//! delivery line (JSON with CloudWatch Embedded Metric Format, the counters) to stdout.

use drain_exec::{Host, Record};
use drain_s3::S3Store;

use crate::State;

impl Host for State {
    type Store = S3Store;

    fn store(&self) -> &S3Store {
        &self.store
    }

    fn millis(&self) -> f64 {
        self.started.elapsed().as_secs_f64() * 1000.0
    }

    fn deadline(&self) -> impl std::future::Future<Output = ()> {
        tokio::time::sleep(self.store_timeout)
    }

    /// The delivery line as CloudWatch Embedded Metric Format: the counters become metrics.
    fn record(&self, record: &Record) {
        drain_exec::logs::delivery(drain_exec::logs::Format::Lambda, record);
    }
}
