//! Where each signal's objects are (SPEC sections 4 and 9): a config's prefixes, or the defaults
//! when `drain logs`, `drain sql` or `drain compact` are given no config.

use std::path::Path;

use anyhow::{Context, Result};
use clap::ValueEnum;

/// One of the three stored signals (SPEC section 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Signal {
    Logs,
    Traces,
    Metrics,
}

impl Signal {
    pub const ALL: [Signal; 3] = [Signal::Logs, Signal::Traces, Signal::Metrics];

    pub fn name(self) -> &'static str {
        match self {
            Signal::Logs => "logs",
            Signal::Traces => "traces",
            Signal::Metrics => "metrics",
        }
    }
}

/// The key prefix of each signal: a config's, or the defaults.
#[derive(Debug, Clone)]
pub struct Prefixes {
    logs: String,
    traces: String,
    metrics: String,
    /// The config's `tables_prefix` (SPEC section 9): where compacted hours are read from
    /// whatever the format compaction writes now (an earlier run may have written Parquet).
    pub tables_prefix: String,
    /// Whether compaction writes Parquet (`[compaction] format`).
    pub parquet: bool,
}

impl Prefixes {
    /// Reading needs no secret: every `${NAME}` of the config gets a placeholder.
    pub fn load(config: Option<&Path>) -> Result<Self> {
        let Some(file) = config else {
            return Ok(Prefixes {
                logs: "logs/".into(),
                traces: "traces/".into(),
                metrics: "metrics/".into(),
                tables_prefix: "tables/".into(),
                parquet: true,
            });
        };
        let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        let c = drain_core::Config::parse(&text, &|_| Some("placeholder".to_owned()))
            .with_context(|| format!("{} can't be used", file.display()))?;
        Ok(Self::of_config(&c))
    }

    pub fn of_config(c: &drain_core::Config) -> Self {
        Prefixes {
            logs: c.prefix.clone(),
            traces: c.traces_prefix.clone(),
            metrics: c.metrics_prefix.clone(),
            tables_prefix: c.tables_prefix.clone(),
            parquet: c.compaction.format == drain_core::TableFormat::Parquet,
        }
    }

    /// Where a signal's Parquet table is: `{tables_prefix}{signal}/`.
    pub fn table(&self, signal: Signal) -> String {
        format!("{}{}/", self.tables_prefix, signal.name())
    }

    pub fn of(&self, signal: Signal) -> &str {
        match signal {
            Signal::Logs => &self.logs,
            Signal::Traces => &self.traces,
            Signal::Metrics => &self.metrics,
        }
    }
}
