//! `drain compact` and `drain serve`'s compaction timer: `drain_compact::run_checked` over the
//! folder or the bucket, on a thread of its own so that a large output never holds up a delivery.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use drain_compact::{Report, Settings, Step};

/// Where compaction works: the folder or the bucket.
#[derive(Debug, Clone)]
pub struct Target {
    pub data: PathBuf,
    pub s3_bucket: Option<String>,
}

/// `drain compact`'s options.
#[derive(clap::Args, Debug)]
pub struct CompactArgs {
    /// The folder `drain serve --data` writes.
    #[arg(long, env = "DRAIN_DATA", default_value = "./data")]
    data: PathBuf,
    /// Compact this S3-compatible bucket instead (standard AWS environment, AWS_ENDPOINT_URL_S3).
    #[arg(long, env = "DRAIN_S3_BUCKET")]
    s3_bucket: Option<String>,
    /// The config whose prefixes and `[compaction] format` to use (defaults: logs/, traces/,
    /// metrics/, Parquet under tables/).
    #[arg(long, env = "DRAIN_CONFIG_FILE")]
    config: Option<PathBuf>,
    /// Hours back from now to look at.
    #[arg(long, default_value_t = 48)]
    lookback_hours: i64,
    /// Compact from this time on instead (`2026-11-01`, `2026-11-22T10:00Z`, `30d`): a backfill.
    #[arg(long)]
    since: Option<String>,
    /// Minutes after an hour ends before it counts as closed.
    #[arg(long, default_value_t = 15)]
    settle_minutes: i64,
    /// Delivery objects per output at most.
    #[arg(long, default_value_t = 10_000)]
    max_inputs: usize,
    /// Stored MiB of input per output at most (an output is held in memory while written; a
    /// Parquet output also holds its lines, at most 128 MiB of them, while it sorts them).
    #[arg(long, default_value_t = 64)]
    max_input_mib: u64,
    /// Stop the process (abort) right after this step of the first generation: for the crash
    /// tests.
    #[arg(long, hide = true, value_parser = ["claimed", "written", "committed", "deleted"])]
    crash_after: Option<String>,
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Compaction's settings for a config's prefixes and format (SPEC section 9).
pub fn settings_of(p: &crate::read::Prefixes) -> Settings {
    Settings {
        prefixes: crate::read::Signal::ALL.iter().map(|s| p.of(*s).to_owned()).collect(),
        tables: p.parquet.then(|| p.tables_prefix.clone()),
        ..Settings::default()
    }
}

/// Runs the self-test, then one compaction, on the current thread.
pub async fn once(target: &Target, settings: &Settings, hook: &dyn Fn(&str, Step)) -> Result<Report> {
    let probe = format!("{}-{}", now_secs(), std::process::id());
    let store = crate::store::open(target.data.clone(), target.s3_bucket.clone()).await;
    drain_compact::run_checked(&store, settings, now_secs(), &probe, hook)
        .await
        .map_err(anyhow::Error::msg)
}

/// `drain compact`.
pub fn run(args: CompactArgs) -> Result<()> {
    let prefixes = crate::read::Prefixes::load(args.config.as_deref())?;
    let mut settings = Settings {
        lookback_hours: args.lookback_hours.max(0),
        settle_secs: args.settle_minutes.max(0) * 60,
        max_inputs: args.max_inputs.max(1),
        max_input_bytes: args.max_input_mib.max(1) << 20,
        ..settings_of(&prefixes)
    };
    if let Some(since) = &args.since {
        let from = crate::read::logs::parse_when(since, now_secs() as i128 * 1_000_000_000).context("--since")?;
        settings.lookback_hours = now_secs().div_euclid(3600) - (from / 3_600_000_000_000) as i64;
    }
    let target = Target {
        data: args.data,
        s3_bucket: args.s3_bucket,
    };
    let crash = args.crash_after;
    let hook = move |part: &str, step: Step| {
        if crash.as_deref() == Some(step.name()) {
            eprintln!(
                "drain compact: stopping the process after {} in {part} (--crash-after)",
                step.name()
            );
            std::process::abort();
        }
    };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let report = rt.block_on(once(&target, &settings, &hook))?;
    for w in report.warnings() {
        eprintln!("drain compact: {w}");
    }
    println!("{}", report.summary());
    if !report.errors.is_empty() {
        bail!(
            "{} partitions stopped on an error; a later run goes on from there",
            report.errors.len()
        );
    }
    Ok(())
}

/// `drain serve`'s timer: a compaction now and then every `every`, on a thread of its own.
pub fn spawn_timer(target: Target, settings: Settings, every: Duration) {
    std::thread::Builder::new()
        .name("compaction".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(rt) => rt,
                Err(e) => return tracing::error!(error = %e, "compaction off: no runtime"),
            };
            loop {
                match rt.block_on(once(&target, &settings, &|_, _| {})) {
                    Ok(r) => {
                        for w in r.warnings() {
                            tracing::warn!("{w}");
                        }
                        tracing::info!(report = %r.fields(), "compaction run");
                    }
                    Err(e) => tracing::error!(error = %e, "compaction did not run; trying again at the next interval"),
                }
                std::thread::sleep(every);
            }
        })
        .expect("a thread for compaction");
}
