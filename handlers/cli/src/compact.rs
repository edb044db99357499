//! `drain compact`'s options, the compaction [`Settings`] they make, and how a run's report is
//! printed (the server's timer logs it instead).

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use drain_compact::{Report, Settings, Step};

use crate::{Prefixes, Signal};

/// `drain compact`.
#[derive(clap::Args, Debug)]
pub struct CompactArgs {
    #[command(flatten)]
    pub objects: crate::read::Objects,
    /// The config whose prefixes and `[compaction] format` to use (defaults: logs/, traces/,
    /// metrics/, Parquet under tables/).
    #[arg(long, env = "DRAIN_CONFIG_FILE")]
    pub config: Option<PathBuf>,
    /// Hours back from now to look at.
    #[arg(long, default_value_t = 48)]
    lookback_hours: i64,
    /// Compact from this time on instead (`2026-11-01`, `2026-11-22T10:00Z`, `30d`): a backfill.
    #[arg(long)]
    pub since: Option<String>,
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

/// Compaction's settings for a config's prefixes and format (SPEC section 9).
pub fn settings_of(p: &Prefixes) -> Settings {
    Settings {
        prefixes: Signal::ALL.iter().map(|s| p.of(*s).to_owned()).collect(),
        tables: p.parquet.then(|| p.tables_prefix.clone()),
        ..Settings::default()
    }
}

impl CompactArgs {
    /// The settings for these options at `now_secs`: from `--since` on when given, the last
    /// `--lookback-hours` otherwise.
    pub fn settings(&self, prefixes: &Prefixes, now_secs: i64) -> Result<Settings> {
        let mut settings = Settings {
            lookback_hours: self.lookback_hours.max(0),
            settle_secs: self.settle_minutes.max(0) * 60,
            max_inputs: self.max_inputs.max(1),
            max_input_bytes: self.max_input_mib.max(1) << 20,
            ..settings_of(prefixes)
        };
        if let Some(since) = &self.since {
            let from = crate::when::parse_when(since, i128::from(now_secs) * 1_000_000_000).context("--since")?;
            settings.lookback_hours = now_secs.div_euclid(3600) - (from / 3_600_000_000_000) as i64;
        }
        Ok(settings)
    }

    /// The hook that stops the process after `--crash-after`'s step (none without it).
    pub fn crash_hook(&self) -> impl Fn(&str, Step) + 'static {
        let crash = self.crash_after.clone();
        move |part: &str, step: Step| {
            if crash.as_deref() == Some(step.name()) {
                eprintln!(
                    "drain compact: stopping the process after {} in {part} (--crash-after)",
                    step.name()
                );
                std::process::abort();
            }
        }
    }
}

/// A run's warnings to stderr and its summary to stdout; an error if a partition stopped on one.
pub fn print(report: &Report) -> Result<()> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: CompactArgs,
    }

    #[test]
    fn since_overrides_the_lookback_and_limits_stay_at_least_one() {
        let cli = Cli::parse_from([
            "drain",
            "--max-inputs",
            "0",
            "--lookback-hours=-3",
            "--settle-minutes",
            "5",
        ]);
        let prefixes = Prefixes::load(None).unwrap();
        let s = cli.args.settings(&prefixes, 100 * 3600 + 10).unwrap();
        assert_eq!((s.max_inputs, s.lookback_hours, s.settle_secs), (1, 0, 300));
        assert_eq!(s.tables.as_deref(), Some("tables/"));
        // Hour 70 since the epoch, 30 hours before now.
        let since = |at: &str| {
            Cli::parse_from(["drain", "--since", at])
                .args
                .settings(&prefixes, 100 * 3600 + 10)
        };
        assert_eq!(since("1970-01-03T22:00Z").unwrap().lookback_hours, 30);
        assert_eq!(since("30h").unwrap().lookback_hours, 30);
        assert!(format!("{:#}", since("soon").unwrap_err()).starts_with("--since: 'soon' is neither"));
    }
}
