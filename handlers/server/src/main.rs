//! `drain`: serve the drain contract locally (`drain serve`), check a config (`drain check-config`),
//! read stored events back (`drain logs`), print query statements (`drain sql`), browse them
//! (`drain ui`) and compact them (`drain compact`). What the options mean is drain-cli's; this
//! hosts it on tokio.

use std::net::SocketAddr;

use anyhow::{Context, Result};
use clap::Parser;
use drain_cli::{Cli, Command};
use drain_core::Config;
use drain_server::{AppState, FolderOrBucket, Settings};
use drain_store::Store as _;

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Logs(args) => drain_server::read::logs::run(args),
        Command::Sql(args) => drain_server::read::sql::run(args),
        Command::Ui(args) => drain_server::read::ui::run(args),
        Command::Compact(args) => drain_server::compact::run(args),
        Command::CheckConfig { file } => {
            print!("{}", drain_cli::check::report(&file, &drain_cli::check::load(&file)?));
            Ok(())
        }
        Command::Serve(args) => {
            let settings = args.settings();
            drain_exec::logs::init(settings.log);
            let config = drain_cli::check::load(&args.config)?;
            if let Some(every) = args.compact_every() {
                let settings = drain_cli::compact::settings_of(&drain_cli::Prefixes::of_config(&config));
                drain_server::compact::spawn_timer(args.objects.clone(), settings, every);
            }
            // Decoding and folder writes run on the blocking pool: a few threads suffice, and
            // each extra thread would hold its own allocator arena (RSS).
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .max_blocking_threads(settings.max_decoding + 4)
                .enable_all()
                .build()?;
            runtime.block_on(async move {
                let store = drain_server::store::open(&args.objects, true).await;
                if let FolderOrBucket::Right(s3) = &store {
                    if let Err(e) = s3.warm_up().await {
                        tracing::warn!(bucket = s3.bucket(), error = %e, "bucket unreachable at start; deliveries will answer 503 until it is back");
                    }
                }
                serve(config, store, settings, args.listen).await
            })
        }
    }
}

async fn serve(config: Config, store: FolderOrBucket, settings: Settings, listen: SocketAddr) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding {listen}"))?;
    let sources = drain_cli::check::sources(&config);
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
