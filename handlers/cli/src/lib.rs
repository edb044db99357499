//! What drain's command line means, with no runtime: the server's options and the limits they
//! set (`serve`), what `drain check-config` reports (`check`), `drain compact`'s options and
//! report (`compact`), the read commands' options (`read`), where each signal is stored
//! (`Prefixes`), and the command line whole ([`Cli`]). The `drain` binary parses
//! with these and hosts them on tokio; nothing here does IO beyond reading the config file.

#![forbid(unsafe_code)]

pub mod check;
pub mod compact;
mod prefixes;
pub mod read;
pub mod serve;
pub mod when;

pub use prefixes::{Prefixes, Signal};
pub use serve::{LogFormat, ServeArgs, Settings};

/// `drain` and its commands.
#[derive(clap::Parser)]
#[command(
    name = "drain",
    version,
    about = "A log drain endpoint: Vercel, Northflank, Better Stack, Heroku Logplex and OpenTelemetry into gzip NDJSON objects"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(clap::Subcommand)]
pub enum Command {
    /// Serve the sources of a config, storing objects in a folder.
    Serve(ServeArgs),
    /// Merge each closed hour's delivery objects into few large ones, nothing lost or doubled
    /// (drain serve does it every hour; this runs it once).
    Compact(compact::CompactArgs),
    /// Print stored events of a time range in time order, from a folder or a bucket.
    Logs(read::LogsArgs),
    /// Print ready-to-run DuckDB, Athena or ClickHouse statements over the stored objects.
    Sql(read::SqlArgs),
    /// A log explorer in the browser over a folder or a bucket, on this machine (README "See it:
    /// drain ui").
    Ui(read::UiArgs),
    /// Say what a config defines, or exactly what is wrong with it.
    CheckConfig {
        /// The TOML config.
        file: std::path::PathBuf,
    },
}
