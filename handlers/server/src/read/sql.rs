//! `drain sql duckdb|athena|clickhouse`: ready-to-run statements over the objects of a folder or
//! a bucket, one table or view per signal, `dt` as a timestamp and the `drain`, `day`, `hour`
//! partitions as columns. The README's snippets are this command's output, and the test command
//! runs them on DuckDB and ClickHouse (chdb).

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::{Args, ValueEnum};

use super::{Prefixes, Signal};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Engine {
    Duckdb,
    Athena,
    Clickhouse,
}

#[derive(Args, Debug)]
pub struct SqlArgs {
    /// Which engine's statements.
    engine: Engine,
    /// The bucket the objects are in (S3, or R2 and others with --endpoint).
    #[arg(long, env = "DRAIN_S3_BUCKET")]
    bucket: Option<String>,
    /// The folder the objects are in (`drain serve --data`), instead of a bucket.
    #[arg(long, conflicts_with = "bucket")]
    data: Option<PathBuf>,
    /// The config whose prefixes to use (default: logs/, traces/, metrics/).
    #[arg(long)]
    config: Option<PathBuf>,
    /// The logs prefix, if not the config's (traces/ and metrics/ likewise with the config).
    #[arg(long)]
    prefix: Option<String>,
    /// An S3 API that is not AWS: R2 (https://ACCOUNT.r2.cloudflarestorage.com), MinIO, a local
    /// server. Default: AWS_ENDPOINT_URL_S3 when set.
    #[arg(long)]
    endpoint: Option<String>,
    /// The bucket's region (AWS; `auto` for R2).
    #[arg(long, env = "AWS_REGION", default_value = "us-east-1")]
    region: String,
    /// Athena/Glue: the database to create the tables in.
    #[arg(long, default_value = "drain")]
    database: String,
    /// DuckDB and ClickHouse with --endpoint: write AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY
    /// from the environment into the statements (they are printed: pipe them, don't save them).
    /// Without it, the statements hold placeholders to fill in.
    #[arg(long)]
    inline_credentials: bool,
}

/// Where the objects are, as each engine names them.
enum Place {
    Dir(String),
    Bucket { name: String, endpoint: Option<String> },
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

pub fn run(args: SqlArgs) -> Result<()> {
    print!("{}", statements(&args)?);
    Ok(())
}

fn statements(args: &SqlArgs) -> Result<String> {
    let prefixes = Prefixes::load(args.config.as_deref())?;
    let prefix_of = |s: Signal| match (s, &args.prefix) {
        (Signal::Logs, Some(p)) => p.clone(),
        _ => prefixes.of(s).to_owned(),
    };
    let place = match (&args.bucket, &args.data) {
        (Some(b), _) => Place::Bucket {
            name: b.clone(),
            endpoint: args
                .endpoint
                .clone()
                .or_else(|| std::env::var("AWS_ENDPOINT_URL_S3").ok()),
        },
        (None, Some(d)) => {
            let abs = std::path::absolute(d)?;
            Place::Dir(abs.to_string_lossy().trim_end_matches('/').to_owned())
        }
        (None, None) => bail!("say where the objects are: --bucket NAME or --data DIR"),
    };
    let credentials = |placeholder: &str, var: &str| -> String {
        if args.inline_credentials {
            std::env::var(var).unwrap_or_else(|_| placeholder.to_owned())
        } else {
            placeholder.to_owned()
        }
    };
    let mut out = String::new();
    match args.engine {
        Engine::Duckdb => {
            let _ = writeln!(out, "-- drain: one DuckDB view per signal (drain sql duckdb)");
            let base = match &place {
                Place::Dir(d) => d.clone(),
                Place::Bucket { name, endpoint } => {
                    let _ = writeln!(out, "INSTALL httpfs;\nLOAD httpfs;");
                    match endpoint {
                        None => {
                            let _ = writeln!(
                                out,
                                "CREATE OR REPLACE SECRET drain (TYPE s3, PROVIDER credential_chain, REGION {});",
                                quote(&args.region)
                            );
                        }
                        Some(url) => {
                            let (ssl, host) = match url.split_once("://") {
                                Some(("http", h)) => (false, h),
                                Some((_, h)) => (true, h),
                                None => (true, url.as_str()),
                            };
                            let _ = writeln!(
                                out,
                                "CREATE OR REPLACE SECRET drain (TYPE s3, KEY_ID {}, SECRET {}, REGION {}, ENDPOINT {}, URL_STYLE 'path', USE_SSL {ssl});",
                                quote(&credentials("<access key id>", "AWS_ACCESS_KEY_ID")),
                                quote(&credentials("<secret access key>", "AWS_SECRET_ACCESS_KEY")),
                                quote(&args.region),
                                quote(host.trim_end_matches('/'))
                            );
                        }
                    }
                    format!("s3://{name}")
                }
            };
            for s in Signal::ALL {
                let _ = writeln!(
                    out,
                    "CREATE OR REPLACE VIEW {} AS SELECT * REPLACE (TRY_CAST(dt AS TIMESTAMPTZ) AS dt) FROM read_json({}, \
                     format = 'newline_delimited', hive_partitioning = true, union_by_name = true, \
                     map_inference_threshold = -1, hive_types = {{'drain': VARCHAR, 'day': DATE, 'hour': INTEGER}});",
                    s.name(),
                    quote(&format!("{base}/{}**/*.ndjson.gz", prefix_of(s)))
                );
            }
            let _ = writeln!(
                out,
                "-- for example: SELECT dt, level, drain, message FROM logs WHERE day >= current_date - 1 ORDER BY dt DESC LIMIT 50;"
            );
        }
        Engine::Clickhouse => {
            let from = |s: Signal| match &place {
                Place::Dir(d) => format!(
                    "file({}, 'JSONAsObject')",
                    quote(&format!("{d}/{}**/*.ndjson.gz", prefix_of(s)))
                ),
                Place::Bucket { name, endpoint } => {
                    let url = match endpoint {
                        Some(e) => format!("{}/{name}/{}**/*.ndjson.gz", e.trim_end_matches('/'), prefix_of(s)),
                        None => format!(
                            "https://{name}.s3.{}.amazonaws.com/{}**/*.ndjson.gz",
                            args.region,
                            prefix_of(s)
                        ),
                    };
                    format!(
                        "s3({}, {}, {}, 'JSONAsObject')",
                        quote(&url),
                        quote(&credentials("<access key id>", "AWS_ACCESS_KEY_ID")),
                        quote(&credentials("<secret access key>", "AWS_SECRET_ACCESS_KEY"))
                    )
                }
            };
            let _ = writeln!(
                out,
                "-- drain: one ClickHouse view per signal (drain sql clickhouse); `json` holds every field\n\
                 CREATE DATABASE IF NOT EXISTS drain;"
            );
            for s in Signal::ALL {
                let own = match s {
                    Signal::Logs => {
                        "json.level::Nullable(String) AS level, json.message::Nullable(String) AS message, "
                    }
                    Signal::Traces => {
                        "json.name::Nullable(String) AS name, json.duration_ns::Nullable(Int64) AS duration_ns, "
                    }
                    Signal::Metrics => {
                        "json.metric::Nullable(String) AS metric, json.value::Nullable(Float64) AS value, "
                    }
                };
                let _ = writeln!(
                    out,
                    "CREATE OR REPLACE VIEW drain.{} AS SELECT parseDateTime64BestEffortOrNull(json.dt::String, 9, 'UTC') AS dt, \
                     drain, toDate(day) AS day, toUInt8(hour) AS hour, {own}json FROM {} \
                     SETTINGS use_hive_partitioning = 1, input_format_try_infer_datetimes = 0, input_format_try_infer_dates = 0;",
                    s.name(),
                    from(s)
                );
            }
            let _ = writeln!(
                out,
                "-- for example: SELECT dt, level, drain, message FROM drain.logs WHERE day >= today() - 1 ORDER BY dt DESC LIMIT 50;"
            );
        }
        Engine::Athena => {
            let Place::Bucket { name, .. } = &place else {
                bail!("Athena reads S3: give --bucket");
            };
            let db = &args.database;
            let _ = writeln!(
                out,
                "-- drain: Athena tables with partition projection (drain sql athena); run one statement at a time\n\
                 CREATE DATABASE IF NOT EXISTS {db};"
            );
            for s in Signal::ALL {
                let cols = athena_columns(s);
                let location = format!("s3://{name}/{}", prefix_of(s));
                let _ = writeln!(
                    out,
                    "CREATE EXTERNAL TABLE IF NOT EXISTS {db}.{} ({cols})\n\
                     PARTITIONED BY (drain string, day string, hour int)\n\
                     ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe' WITH SERDEPROPERTIES ('ignore.malformed.json' = 'true')\n\
                     LOCATION '{location}'\n\
                     TBLPROPERTIES ('projection.enabled' = 'true', 'projection.drain.type' = 'injected', \
                     'projection.day.type' = 'date', 'projection.day.format' = 'yyyy-MM-dd', 'projection.day.range' = '2024-01-01,NOW', \
                     'projection.day.interval' = '1', 'projection.day.interval.unit' = 'DAYS', \
                     'projection.hour.type' = 'integer', 'projection.hour.range' = '0,23', 'projection.hour.digits' = '2', \
                     'storage.location.template' = '{location}drain=${{drain}}/day=${{day}}/hour=${{hour}}/');",
                    s.name()
                );
            }
            let _ = writeln!(
                out,
                "-- for example (drain is injected: name the source):\n\
                 -- SELECT from_iso8601_timestamp(dt) AS dt, level, message FROM {db}.logs WHERE drain = 'my-source' AND day = cast(current_date AS varchar) ORDER BY dt DESC LIMIT 50;"
            );
        }
    }
    Ok(out)
}

/// The sender's fields as strings (one of another type never fails a query; nested values stay
/// JSON text), drain's own numbers typed; `dt` a string read with `from_iso8601_timestamp`.
pub fn athena_columns(s: Signal) -> &'static str {
    match s {
        Signal::Logs => "dt string, level string, message string, received_at string, service string, trace_id string, span_id string, source string, host string, path string, statuscode string, requestid string, deploymentid string, projectid string, hostname string, app_name string, procid string, attributes string, resource string",
        Signal::Traces => "dt string, end_dt string, duration_ns bigint, name string, kind string, status_code string, status_message string, service string, trace_id string, span_id string, parent_span_id string, attributes string, resource string, events string, links string, received_at string",
        Signal::Metrics => "dt string, start_dt string, metric string, type string, unit string, description string, value double, count bigint, sum double, service string, attributes string, resource string, received_at string",
    }
}
