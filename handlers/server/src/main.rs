//! `drain`: serve the drain contract locally (`drain serve`), check a config (`drain check-config`),
//! read stored events back (`drain logs`) and print query statements (`drain sql`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use drain_core::Config;
use drain_server::{AppState, FolderOrBucket, Settings};
use drain_store::Store as _;

#[derive(Parser)]
#[command(
    name = "drain",
    version,
    about = "A log drain endpoint: Vercel, Northflank, Better Stack, Heroku Logplex and OpenTelemetry into gzip NDJSON objects"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the sources of a config, storing objects in a folder.
    Serve {
        /// The TOML config (see drain.example.toml); `${NAME}` is read from the environment.
        #[arg(long, env = "DRAIN_CONFIG_FILE", default_value = "drain.example.toml")]
        config: PathBuf,
        /// Folder the objects land in, at DIR/<key>.
        #[arg(long, env = "DRAIN_DATA", default_value = "./data")]
        data: PathBuf,
        /// Store in this S3-compatible bucket instead of the folder (region, credentials and
        /// AWS_ENDPOINT_URL_S3 for R2/MinIO come from the standard AWS environment).
        #[arg(long, env = "DRAIN_S3_BUCKET")]
        s3_bucket: Option<String>,
        /// Address to listen on.
        #[arg(long, env = "DRAIN_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Log format.
        #[arg(long, env = "DRAIN_LOG_FORMAT", default_value = "text")]
        log_format: LogFormat,
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
    },
    /// Merge each closed hour's delivery objects into few large ones, nothing lost or doubled
    /// (drain serve does it every hour; this runs it once).
    Compact(drain_server::compact::CompactArgs),
    /// Print stored events of a time range in time order, from a folder or a bucket.
    Logs(drain_server::read::logs::LogsArgs),
    /// Print ready-to-run DuckDB, Athena or ClickHouse statements over the stored objects.
    Sql(drain_server::read::sql::SqlArgs),
    /// A log explorer in the browser over a folder or a bucket, on this machine (README "See it:
    /// drain ui").
    Ui(drain_server::read::ui::UiArgs),
    /// Say what a config defines, or exactly what is wrong with it.
    CheckConfig {
        /// The TOML config.
        file: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Logs(args) => drain_server::read::logs::run(args),
        Command::Sql(args) => drain_server::read::sql::run(args),
        Command::Ui(args) => drain_server::read::ui::run(args),
        Command::Compact(args) => drain_server::compact::run(args),
        Command::CheckConfig { file } => {
            let config = load(&file)?;
            println!("{}: ok", file.display());
            println!(
                "prefixes: logs {}, traces {}, metrics {}",
                config.prefix, config.traces_prefix, config.metrics_prefix
            );
            let l = config.limits;
            println!(
                "limits: max_body {} bytes, max_decompressed {} bytes, max_objects {}, max_event_bytes {}, max_fields {}, max_depth {}, max_stored {} bytes",
                l.max_body, l.max_decompressed, l.max_objects, l.max_event_bytes, l.max_fields, l.max_depth, l.max_stored
            );
            println!("storage: gzip level {}", config.storage.gzip_level);
            println!(
                "compaction: {}",
                match config.compaction.format {
                    drain_core::TableFormat::Parquet =>
                        format!("Parquet tables under {}{{logs,traces,metrics}}/", config.tables_prefix),
                    drain_core::TableFormat::Ndjson => "gzip NDJSON in each hour's partition".to_owned(),
                }
            );
            for s in &config.sources {
                println!(
                    "source {:<20} kind {:<12} {}",
                    s.name,
                    s.kind.name(),
                    drain_core::describe(s)
                );
            }
            Ok(())
        }
        Command::Serve {
            config,
            data,
            s3_bucket,
            listen,
            log_format,
            read_timeout,
            store_timeout,
            max_concurrent,
            max_buffered_mib,
            max_decoding,
            max_unauthenticated,
            decode_wait,
            max_connections,
            header_timeout,
            compact_every_minutes,
        } => {
            init_logs(log_format);
            let config = load(&config)?;
            if compact_every_minutes > 0 {
                let target = drain_server::compact::Target {
                    data: data.clone(),
                    s3_bucket: s3_bucket.clone(),
                };
                let settings = drain_server::compact::settings_of(&drain_server::read::Prefixes::of_config(&config));
                drain_server::compact::spawn_timer(target, settings, Duration::from_secs(compact_every_minutes * 60));
            }
            let settings = Settings {
                read_timeout: Duration::from_secs(read_timeout),
                store_timeout: Duration::from_secs(store_timeout),
                max_concurrent: max_concurrent.max(1),
                max_buffered: max_buffered_mib.max(1) << 20,
                max_decoding: max_decoding.unwrap_or(Settings::default().max_decoding).max(1),
                max_unauthenticated: max_unauthenticated
                    .unwrap_or(max_concurrent / 4)
                    .clamp(1, max_concurrent.saturating_sub(1).max(1)),
                decode_wait: Duration::from_secs(decode_wait.max(1)),
                max_connections: max_connections.max(1),
                header_timeout: Duration::from_secs(header_timeout.max(1)),
                log_json: matches!(log_format, LogFormat::Json),
            };
            // Decoding and folder writes run on the blocking pool: a few threads suffice, and
            // each extra thread would hold its own allocator arena (RSS).
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .max_blocking_threads(settings.max_decoding + 4)
                .enable_all()
                .build()?;
            runtime.block_on(async move {
                let store = drain_server::store::open_for_serving(data, s3_bucket).await;
                if let FolderOrBucket::Right(s3) = &store {
                    if let Err(e) = s3.warm_up().await {
                        tracing::warn!(bucket = s3.bucket(), error = %e, "bucket unreachable at start; deliveries will answer 503 until it is back");
                    }
                }
                serve(config, store, settings, listen).await
            })
        }
    }
}

fn load(file: &PathBuf) -> Result<Config> {
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    Config::parse(&text, &|name| std::env::var(name).ok()).with_context(|| format!("{} can't be used", file.display()))
}

fn init_logs(format: LogFormat) {
    drain_exec::logs::init(match format {
        LogFormat::Text => drain_exec::logs::Format::Text,
        LogFormat::Json => drain_exec::logs::Format::Json,
    });
}

async fn serve(config: Config, store: FolderOrBucket, settings: Settings, listen: SocketAddr) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding {listen}"))?;
    let sources: Vec<String> = config
        .sources
        .iter()
        .map(|s| format!("/{} ({})", s.name, s.kind.name()))
        .collect();
    tracing::info!(address = %listener.local_addr()?, store = %store.describe(), sources = ?sources, "drain listening");
    let state = AppState::new(config, store, settings);
    drain_server::serve(listener, state, shutdown()).await;
    tracing::info!("stopped: in-flight deliveries finished");
    Ok(())
}

async fn shutdown() {
    let ctrl_c = tokio::signal::ctrl_c();
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = ctrl_c => {},
        _ = term.recv() => {},
    }
    tracing::info!("shutting down: finishing in-flight deliveries");
}
