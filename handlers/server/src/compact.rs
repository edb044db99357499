//! `drain compact` and `drain serve`'s compaction timer: `drain_compact::run_checked` over the
//! folder or the bucket, on a thread of its own so that a large output never holds up a delivery.
//! Its options and report are drain-cli's.

use std::time::Duration;

use anyhow::Result;
use drain_cli::compact::CompactArgs;
use drain_cli::read::Objects;
use drain_compact::{now_secs, Report, Settings, Step};

/// Runs the self-test, then one compaction, on the current thread.
pub async fn once(objects: &Objects, settings: &Settings, hook: &dyn Fn(&str, Step)) -> Result<Report> {
    let now = now_secs();
    let store = crate::store::open(objects, false).await;
    drain_compact::run_checked(&store, settings, now, &format!("{now}-{}", std::process::id()), hook)
        .await
        .map_err(anyhow::Error::msg)
}

/// `drain compact`.
pub fn run(args: CompactArgs) -> Result<()> {
    let prefixes = drain_cli::Prefixes::load(args.config.as_deref())?;
    let settings = args.settings(&prefixes, now_secs())?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    drain_cli::compact::print(&rt.block_on(once(&args.objects, &settings, &args.crash_hook()))?)
}

/// `drain serve`'s timer: a compaction now and then every `every`, on a thread of its own.
pub fn spawn_timer(objects: Objects, settings: Settings, every: Duration) {
    std::thread::Builder::new()
        .name("compaction".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(rt) => rt,
                Err(e) => return tracing::error!(error = %e, "compaction off: no runtime"),
            };
            loop {
                match rt.block_on(once(&objects, &settings, &|_, _| {})) {
                    Ok(r) => drain_compact::log(&r),
                    Err(e) => tracing::error!(error = %e, "compaction did not run; trying again at the next interval"),
                }
                std::thread::sleep(every);
            }
        })
        .expect("a thread for compaction");
}
