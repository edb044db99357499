//! The function as drain-exec's host: the store S3, a tokio timer for the store deadline, the
//! delivery line (JSON with CloudWatch Embedded Metric Format, the counters) to stdout.

use drain_exec::{wall_clock, Host, Record};
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

    fn record(&self, record: &Record) {
        if !record.logged() {
            return; // `[log]`: its metrics are in a sampled line, or not wanted
        }
        let now_ms = (wall_clock().unix_nanos() / 1_000_000) as i64;
        println!("{}", record.emf(now_ms));
    }
}
