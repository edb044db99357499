//! `drain serve`'s options and the [`Settings`] they make: the limits and times by which the
//! server bounds what it holds (README "Limits").

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

/// `drain serve`.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// The TOML config (see drain.example.toml); `${NAME}` is read from the environment.
    #[arg(long, env = "DRAIN_CONFIG_FILE", default_value = "drain.example.toml")]
    pub config: PathBuf,
    #[command(flatten)]
    pub objects: crate::read::Objects,
    /// Address to listen on.
    #[arg(long, env = "DRAIN_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Log format.
    #[arg(long, env = "DRAIN_LOG_FORMAT", default_value = "text")]
    pub log_format: LogFormat,
    /// Seconds allowed to receive a body.
    #[arg(long, env = "DRAIN_READ_TIMEOUT", default_value_t = 60)]
    read_timeout: u64,
    /// Seconds allowed to store a delivery before answering 503.
    #[arg(long, env = "DRAIN_STORE_TIMEOUT", default_value_t = 30)]
    store_timeout: u64,
    /// Deliveries in progress at once (receiving, decoding or storing); past that, 503 with
    /// Retry-After.
    #[arg(long, env = "DRAIN_MAX_CONCURRENT", default_value_t = 1024)]
    max_concurrent: usize,
    /// MiB of request bodies held at once across deliveries; a delivery that would pass it
    /// gets 503 with Retry-After.
    #[arg(long, env = "DRAIN_MAX_BUFFERED_MIB", default_value_t = 256)]
    max_buffered_mib: usize,
    /// Deliveries decoded at once, each holding up to max_decompressed inflated; the others
    /// wait. Default: the number of CPUs.
    #[arg(long, env = "DRAIN_MAX_DECODING")]
    max_decoding: Option<usize>,
    /// Deliveries at once whose body is read before its sender is known (a body signature:
    /// vercel, otlp with secrets); kept below max-concurrent so unsigned uploads can't take
    /// every slot. Default: a quarter of max-concurrent.
    #[arg(long, env = "DRAIN_MAX_UNAUTHENTICATED")]
    max_unauthenticated: Option<usize>,
    /// Seconds a delivery may wait for a decoding slot before answering 503.
    #[arg(long, env = "DRAIN_DECODE_WAIT", default_value_t = 10)]
    decode_wait: u64,
    /// Connections open at once; past that, new ones wait in the kernel's backlog.
    #[arg(long, env = "DRAIN_MAX_CONNECTIONS", default_value_t = 4096)]
    max_connections: usize,
    /// Seconds allowed to receive a request's head (method, path, headers).
    #[arg(long, env = "DRAIN_HEADER_TIMEOUT", default_value_t = 10)]
    header_timeout: u64,
    /// Minutes between compaction runs (each closed hour's objects merged into few; see
    /// drain compact). 0 turns compaction off.
    #[arg(long, env = "DRAIN_COMPACT_EVERY_MINUTES", default_value_t = 60)]
    compact_every_minutes: u64,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

pub use drain_exec::gate::Settings;

impl ServeArgs {
    /// The settings these options make, each limit at least 1 and `max_unauthenticated` below
    /// `max_concurrent`.
    pub fn settings(&self) -> Settings {
        let max_concurrent = self.max_concurrent.max(1);
        Settings {
            read_timeout: Duration::from_secs(self.read_timeout),
            store_timeout: Duration::from_secs(self.store_timeout),
            max_concurrent,
            max_buffered: self.max_buffered_mib.max(1) << 20,
            max_decoding: self.max_decoding.unwrap_or(Settings::default().max_decoding).max(1),
            max_unauthenticated: self
                .max_unauthenticated
                .unwrap_or(max_concurrent / 4)
                .clamp(1, max_concurrent.saturating_sub(1).max(1)),
            decode_wait: Duration::from_secs(self.decode_wait.max(1)),
            max_connections: self.max_connections.max(1),
            header_timeout: Duration::from_secs(self.header_timeout.max(1)),
            log: match self.log_format {
                LogFormat::Text => drain_exec::logs::Format::Text,
                LogFormat::Json => drain_exec::logs::Format::Json,
            },
        }
    }

    /// How often `drain serve` compacts, if at all.
    pub fn compact_every(&self) -> Option<Duration> {
        (self.compact_every_minutes > 0).then(|| Duration::from_secs(self.compact_every_minutes * 60))
    }
}
