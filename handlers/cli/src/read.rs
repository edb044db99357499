//! The read commands' options: `drain logs`, `drain sql`, `drain ui`.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::{Args, ValueEnum};

use crate::Signal;

/// Where the objects are: a folder or a bucket (`drain serve`, `logs`, `ui`, `compact`).
#[derive(Args, Debug, Clone)]
pub struct Objects {
    /// The folder the objects are in, at DIR/<key>.
    #[arg(long, env = "DRAIN_DATA", default_value = "./data")]
    pub data: PathBuf,
    /// An S3-compatible bucket instead of the folder (region, credentials and
    /// AWS_ENDPOINT_URL_S3 for R2/MinIO from the standard AWS environment).
    #[arg(long, env = "DRAIN_S3_BUCKET")]
    pub s3_bucket: Option<String>,
}

impl Objects {
    /// For a reader: the folder must exist (a bucket is found out on the first call).
    pub fn check_readable(&self) -> Result<()> {
        if self.s3_bucket.is_none() && !self.data.is_dir() {
            bail!(
                "{} is not a folder (--data; or --s3-bucket to read a bucket)",
                self.data.display()
            );
        }
        Ok(())
    }

    /// Objects read at once: `given`, or 8 from a folder and 32 from a bucket, where each read
    /// waits on the network.
    pub fn concurrency(&self, given: Option<usize>) -> usize {
        given.unwrap_or(if self.s3_bucket.is_some() { 32 } else { 8 }).max(1)
    }
}

#[derive(Args, Debug)]
pub struct LogsArgs {
    #[command(flatten)]
    pub objects: Objects,
    /// The config whose prefixes to read (default: logs/, traces/, metrics/).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Only this source (repeatable); default: every source found under the signal's prefix.
    #[arg(long = "source", value_name = "NAME")]
    pub sources: Vec<String>,
    /// Start: a duration back from now (90s, 15m, 2h, 7d) or a time (2026-11-22T10:00Z, 2026-11-22).
    #[arg(long, default_value = "1h")]
    pub since: String,
    /// End (exclusive), in the same forms; default: now.
    #[arg(long)]
    pub until: Option<String>,
    /// Only events at this level or more severe (trace, debug, info, notice, warning, error,
    /// critical, alert, emergency); events without a level are left out.
    #[arg(long)]
    pub level: Option<String>,
    /// Only lines that contain this text (anywhere in the stored JSON line, case-sensitive).
    #[arg(long)]
    pub grep: Option<String>,
    /// Which signal: logs, or an OpenTelemetry source's spans or metric points.
    #[arg(long, value_enum, default_value = "logs")]
    pub signal: Signal,
    /// The deliveries sources with `keep_refused` refused after auth (`_drain/refused/`): each
    /// printed with its status, refusal and reason (`--json`: with its headers and first 64 KiB).
    #[arg(long, conflicts_with = "signal")]
    pub refused: bool,
    /// Only the last N events of the range (read newest hour first, stopping once there are N).
    #[arg(long, short = 'n')]
    pub limit: Option<usize>,
    /// Print the stored NDJSON lines as they are.
    #[arg(long)]
    pub json: bool,
    /// Keep reading new objects as they land, like `tail -f`.
    #[arg(long, short = 'f')]
    pub follow: bool,
    /// Seconds between polls with --follow.
    #[arg(long, default_value_t = 2.0)]
    pub interval: f64,
    /// Colour the level: auto (on a terminal), always, never.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: Color,
    /// Objects read at once [default: 8 from a folder, 32 from a bucket, where each read waits
    /// on the network].
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// MiB of events held to put them in time order; past it the oldest go out early.
    #[arg(long, default_value_t = 64)]
    pub buffer_mib: usize,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Engine {
    Duckdb,
    Athena,
    Clickhouse,
}

#[derive(Args, Debug)]
pub struct SqlArgs {
    /// Which engine's statements.
    pub engine: Engine,
    /// The bucket the objects are in (S3, or R2 and others with --endpoint).
    #[arg(long, env = "DRAIN_S3_BUCKET")]
    pub bucket: Option<String>,
    /// The folder the objects are in (`drain serve --data`), instead of a bucket.
    #[arg(long, conflicts_with = "bucket")]
    pub data: Option<PathBuf>,
    /// The config whose prefixes to use (default: logs/, traces/, metrics/).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// The logs prefix, if not the config's (traces/ and metrics/ likewise with the config).
    #[arg(long)]
    pub prefix: Option<String>,
    /// An S3 API that is not AWS: R2 (https://ACCOUNT.r2.cloudflarestorage.com), MinIO, a local
    /// server. Default: AWS_ENDPOINT_URL_S3 when set.
    #[arg(long)]
    pub endpoint: Option<String>,
    /// The bucket's region (AWS; `auto` for R2).
    #[arg(long, env = "AWS_REGION", default_value = "us-east-1")]
    pub region: String,
    /// Athena/Glue: the database to create the tables in.
    #[arg(long, default_value = "drain")]
    pub database: String,
    /// DuckDB and ClickHouse with --endpoint: write AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY
    /// from the environment into the statements (they are printed: pipe them, don't save them).
    /// Without it, the statements hold placeholders to fill in.
    #[arg(long)]
    pub inline_credentials: bool,
}

#[derive(Args, Debug)]
pub struct UiArgs {
    #[command(flatten)]
    pub objects: Objects,
    /// The config whose prefixes to read (default: logs/, traces/, metrics/, tables/).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Where to serve the page. Any address but loopback needs --token.
    #[arg(long, default_value = "127.0.0.1:8090")]
    pub listen: SocketAddr,
    /// A token every request must carry (`Authorization: Bearer …` or `?token=…`; the printed
    /// URL holds it).
    #[arg(long, env = "DRAIN_UI_TOKEN")]
    pub token: Option<String>,
    /// Open the page in the default browser (xdg-open / open).
    #[arg(long)]
    pub open: bool,
    /// Objects read at once [default: 8 from a folder, 32 from a bucket].
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// MiB of events held per request to put them in time order.
    #[arg(long, default_value_t = 64)]
    pub buffer_mib: usize,
}
