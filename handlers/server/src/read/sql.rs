//! `drain sql duckdb|athena|clickhouse`: ready-to-run statements over the objects of a folder or
//! a bucket, one table or view per signal, `dt` as a timestamp and the `drain`, `day`, `hour`
//! partitions as columns. The README's snippets are this command's output, and the test command
//! runs them on DuckDB and ClickHouse (chdb).

use std::fmt::Write as _;

use anyhow::{bail, Result};

use drain_compact::table::Type;

use super::{Prefixes, Signal};
use drain_cli::read::{Engine, SqlArgs};

/// Where the objects are, as each engine names them.
enum Place {
    Dir(String),
    Bucket { name: String, endpoint: Option<String> },
}

impl Place {
    fn describe(&self) -> String {
        match self {
            Place::Dir(d) => format!("the folder {d}"),
            Place::Bucket { name, .. } => format!("s3://{name}"),
        }
    }
}

/// A string literal for DuckDB (standard SQL: a quote is doubled, a backslash is itself).
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A string literal for ClickHouse, where a backslash starts an escape too.
fn ch_quote(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// Athena's DDL puts the database name and the location's bucket and prefix into the statement
/// as they are: each must be made of the characters such names use, nothing that could end a
/// literal or an identifier.
fn athena_safe(what: &str, value: &str, extra: &str) -> Result<()> {
    if value.is_empty() && what != "prefix" {
        bail!("--{what} is empty");
    }
    if let Some(c) = value
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || extra.contains(*c)))
    {
        bail!("--{what} {value:?}: {c:?} is not allowed in an Athena statement (a-z, 0-9 and {extra:?} only)");
    }
    Ok(())
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
    // Which signals have objects in each format: a view over a glob that matches nothing fails
    // in DuckDB and has no columns in ClickHouse, so each view reads only what is there (a fresh
    // deployment has no Parquet yet, a quiet source no NDJSON, a logs-only sender no traces),
    // and is empty, with its columns, where there is nothing. `None`: the store couldn't be
    // looked at (a folder that doesn't exist, a bucket not reachable with these credentials
    // within a few seconds), and every view reads both formats.
    let held = match args.engine {
        Engine::Athena => None,
        _ => held_signals(&place, &prefix_of, &|s| prefixes.table(s), &args.region),
    };
    let holds = |s: Signal| -> (bool, bool) {
        let i = Signal::ALL.iter().position(|x| *x == s).expect("a signal");
        held.map_or((true, true), |h| h[i])
    };
    let at = |p: &str| match &place {
        Place::Dir(d) => format!("{d}/{p}"),
        Place::Bucket { name, .. } => format!("s3://{name}/{p}"),
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
            let hive = "hive_partitioning = true, hive_types = {'drain': VARCHAR, 'day': DATE, 'hour': INTEGER}";
            for s in Signal::ALL {
                let (ndjson, parquet) = holds(s);
                let mut parts = Vec::new();
                if ndjson {
                    parts.push(format!(
                        "SELECT {}, drain, day, hour FROM read_json_objects({}, format = 'newline_delimited', {hive})",
                        duckdb_from_json(s),
                        quote(&format!("{base}/{}**/*.ndjson.gz", prefix_of(s)))
                    ));
                }
                if parquet {
                    parts.push(format!(
                        "SELECT {}, drain, day, hour FROM read_parquet({}, union_by_name = true, {hive})",
                        table_columns(s)
                            .iter()
                            .map(|(n, _)| if *n == "json" {
                                "json::JSON AS json".to_owned()
                            } else {
                                (*n).to_owned()
                            })
                            .collect::<Vec<_>>()
                            .join(", "),
                        quote(&format!("{base}/{}**/*.parquet", prefixes.table(s)))
                    ));
                }
                if parts.is_empty() {
                    let _ = writeln!(
                        out,
                        "-- no {} stored under {} or {} yet (DuckDB refuses a glob that matches nothing): an empty view; run drain sql again once there are",
                        s.name(),
                        at(&prefix_of(s)),
                        at(&prefixes.table(s))
                    );
                    parts.push(format!("SELECT {} WHERE false", duckdb_empty_columns(s)));
                } else if parts.len() == 1 && held.is_some() {
                    let (what, missing) = if ndjson {
                        ("Parquet", prefixes.table(s))
                    } else {
                        ("NDJSON", prefix_of(s))
                    };
                    let _ = writeln!(
                        out,
                        "-- no {} {what} under {} yet: run drain sql again once there is",
                        s.name(),
                        at(&missing)
                    );
                }
                let _ = writeln!(
                    out,
                    "CREATE OR REPLACE VIEW {} AS {};",
                    s.name(),
                    parts.join(" UNION ALL BY NAME ")
                );
            }
            let _ = writeln!(
                out,
                "-- for example: SELECT dt, level, drain, message FROM logs WHERE day >= current_date - 1 ORDER BY dt DESC LIMIT 50;"
            );
        }
        Engine::Clickhouse => {
            let from = |prefix: &str, glob: &str, format: &str| match &place {
                Place::Dir(d) => format!("file({}, '{format}')", ch_quote(&format!("{d}/{prefix}**/{glob}"))),
                Place::Bucket { name, endpoint } => {
                    let url = match endpoint {
                        Some(e) => format!("{}/{name}/{prefix}**/{glob}", e.trim_end_matches('/')),
                        None => format!("https://{name}.s3.{}.amazonaws.com/{prefix}**/{glob}", args.region),
                    };
                    format!(
                        "s3({}, {}, {}, '{format}')",
                        ch_quote(&url),
                        ch_quote(&credentials("<access key id>", "AWS_ACCESS_KEY_ID")),
                        ch_quote(&credentials("<secret access key>", "AWS_SECRET_ACCESS_KEY"))
                    )
                }
            };
            let _ = writeln!(
                out,
                "-- drain: one ClickHouse view per signal (drain sql clickhouse); `json` holds every field\n\
                 CREATE DATABASE IF NOT EXISTS drain;"
            );
            for s in Signal::ALL {
                let (ndjson, parquet) = holds(s);
                let mut parts = Vec::new();
                if ndjson {
                    parts.push(format!(
                        "SELECT {}, toString(drain) AS drain, toDate(day) AS day, toUInt8(hour) AS hour FROM {} \
                         SETTINGS use_hive_partitioning = 1, input_format_try_infer_datetimes = 0, input_format_try_infer_dates = 0",
                        clickhouse_from_json(s),
                        from(&prefix_of(s), "*.ndjson.gz", "JSONAsObject")
                    ));
                }
                if parquet {
                    parts.push(format!(
                        "SELECT {}, toString(drain) AS drain, toDate(day) AS day, toUInt8(hour) AS hour FROM {} SETTINGS use_hive_partitioning = 1",
                        clickhouse_from_parquet(s),
                        from(&prefixes.table(s), "*.parquet", "Parquet")
                    ));
                }
                if parts.is_empty() {
                    let _ = writeln!(
                        out,
                        "-- no {} stored under {} or {} yet (the view would not know its columns): an empty one; run drain sql again once there are",
                        s.name(),
                        at(&prefix_of(s)),
                        at(&prefixes.table(s))
                    );
                    parts.push(format!("SELECT {} WHERE 0", clickhouse_empty_columns(s)));
                }
                let _ = writeln!(
                    out,
                    "CREATE OR REPLACE VIEW drain.{} AS {};",
                    s.name(),
                    parts.join(" UNION ALL ")
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
            athena_safe("database", db, "_")?;
            athena_safe("bucket", name, ".-_ABCDEFGHIJKLMNOPQRSTUVWXYZ")?;
            for s in Signal::ALL {
                athena_safe("prefix", &prefix_of(s), "/._=-ABCDEFGHIJKLMNOPQRSTUVWXYZ")?;
            }
            let _ = writeln!(
                out,
                "-- drain: Athena tables with partition projection (drain sql athena); run one statement at a time\n\
                 CREATE DATABASE IF NOT EXISTS {db};"
            );
            athena_safe(
                "tables_prefix",
                &prefixes.tables_prefix,
                "/._=-ABCDEFGHIJKLMNOPQRSTUVWXYZ",
            )?;
            let projection = "'projection.enabled' = 'true', 'projection.drain.type' = 'injected', \
                 'projection.day.type' = 'date', 'projection.day.format' = 'yyyy-MM-dd', 'projection.day.range' = '2024-01-01,NOW', \
                 'projection.day.interval' = '1', 'projection.day.interval.unit' = 'DAYS', \
                 'projection.hour.type' = 'integer', 'projection.hour.range' = '0,23', 'projection.hour.digits' = '2'";
            let template = drain_layout::LOCATION_TEMPLATE;
            for s in Signal::ALL {
                let n = s.name();
                let cols = athena_columns(s);
                let location = format!("s3://{name}/{}", prefix_of(s));
                // The NDJSON objects, a sender field per column (OpenX JSON SerDe).
                let _ = writeln!(
                    out,
                    "CREATE EXTERNAL TABLE IF NOT EXISTS {db}.{n} ({cols})\n\
                     PARTITIONED BY (drain string, day string, hour int)\n\
                     ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe' WITH SERDEPROPERTIES ('ignore.malformed.json' = 'true')\n\
                     LOCATION '{location}'\n\
                     TBLPROPERTIES ({projection}, 'storage.location.template' = '{location}{template}');"
                );
                // The same objects, each line whole in `json` (a line never holds the byte 0x01:
                // JSON escapes it).
                let _ = writeln!(
                    out,
                    "CREATE EXTERNAL TABLE IF NOT EXISTS {db}.{n}_lines (json string)\n\
                     PARTITIONED BY (drain string, day string, hour int)\n\
                     ROW FORMAT DELIMITED FIELDS TERMINATED BY '\\001'\n\
                     LOCATION '{location}'\n\
                     TBLPROPERTIES ({projection}, 'storage.location.template' = '{location}{template}');"
                );
                let table = format!("s3://{name}/{}", prefixes.table(s));
                let _ = writeln!(
                    out,
                    "CREATE EXTERNAL TABLE IF NOT EXISTS {db}.{n}_parquet ({})\n\
                     PARTITIONED BY (drain string, day string, hour int)\n\
                     STORED AS PARQUET\n\
                     LOCATION '{table}'\n\
                     TBLPROPERTIES ({projection}, 'storage.location.template' = '{table}{template}');",
                    athena_table_columns(s)
                );
                let _ = writeln!(out, "{};", athena_view(s, db));
            }
            let _ = writeln!(
                out,
                "-- for example (drain is injected: name the source):\n\
                 -- SELECT dt, level, message FROM {db}.logs_all WHERE drain = 'my-source' AND day = cast(current_date AS varchar) ORDER BY dt DESC LIMIT 50;"
            );
        }
    }
    Ok(out)
}

/// For each of [`Signal::ALL`], whether the store holds an NDJSON object of it and a Parquet
/// one; `None` when the store can't be looked at (see the caller).
fn held_signals(
    place: &Place,
    prefix_of: &dyn Fn(Signal) -> String,
    table_of: &dyn Fn(Signal) -> String,
    region: &str,
) -> Option<[(bool, bool); 3]> {
    use drain_store::Store as _;
    if let Place::Dir(d) = place {
        if !std::path::Path::new(d).is_dir() {
            return None;
        }
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()?;
    let looked = rt.block_on(async {
        let probe = async {
            let store = match place {
                Place::Dir(d) => crate::store::FolderOrBucket::Left(drain_store::Folder::new(d)),
                Place::Bucket { name, endpoint } => crate::store::FolderOrBucket::Right(
                    drain_s3::S3Store::from_env(name.clone(), endpoint.as_deref(), Some(region)).await,
                ),
            };
            let mut held = [(false, false); 3];
            for (i, s) in Signal::ALL.into_iter().enumerate() {
                held[i] = (
                    store.holds_any(&prefix_of(s)).await?,
                    store.holds_any(&table_of(s)).await?,
                );
            }
            Ok::<_, drain_store::Error>(held)
        };
        tokio::time::timeout(std::time::Duration::from_secs(5), probe).await
    });
    match looked {
        Ok(Ok(held)) => Some(held),
        Ok(Err(e)) => {
            let brief: String = e.message.chars().take(160).collect();
            eprintln!(
                "drain sql: could not list {} ({brief}…); every view is printed",
                place.describe()
            );
            None
        }
        Err(_) => {
            eprintln!(
                "drain sql: {} did not answer a listing within 5 s; every view is printed",
                place.describe()
            );
            None
        }
    }
}

/// A signal's table columns (SPEC section 9): `dt`, `received_at`, the common fields typed,
/// `json`. Every engine's view has them, then `drain`, `day`, `hour`, whichever format a row is in.
fn table_columns(s: Signal) -> &'static [(&'static str, Type)] {
    drain_compact::table::columns(s.name())
}

/// DuckDB: the table columns from a line read as one JSON value (`read_json_objects`).
fn duckdb_from_json(s: Signal) -> String {
    let cols: Vec<String> = table_columns(s)
        .iter()
        .map(|(n, t)| match t {
            _ if *n == "json" => "json".to_owned(),
            Type::Timestamp => format!("TRY_CAST(json->>'{n}' AS TIMESTAMPTZ) AS {n}"),
            Type::Text => format!("json->>'{n}' AS {n}"),
            Type::Int => format!("TRY_CAST(json->>'{n}' AS BIGINT) AS {n}"),
            Type::Float => format!("TRY_CAST(json->>'{n}' AS DOUBLE) AS {n}"),
        })
        .collect();
    cols.join(", ")
}

/// DuckDB: a signal's view when nothing is stored yet, its columns typed and empty.
fn duckdb_empty_columns(s: Signal) -> String {
    let mut cols: Vec<String> = table_columns(s)
        .iter()
        .map(|(n, t)| {
            let ty = match t {
                _ if *n == "json" => "JSON",
                Type::Timestamp => "TIMESTAMPTZ",
                Type::Text => "VARCHAR",
                Type::Int => "BIGINT",
                Type::Float => "DOUBLE",
            };
            format!("NULL::{ty} AS {n}")
        })
        .collect();
    cols.extend(["NULL::VARCHAR AS drain", "NULL::DATE AS day", "NULL::INTEGER AS hour"].map(String::from));
    cols.join(", ")
}

const CH_TIME: &str = "Nullable(DateTime64(9, \\'UTC\\'))";

/// ClickHouse: the table columns from a line read as one JSON object (`JSONAsObject`).
fn clickhouse_from_json(s: Signal) -> String {
    let cols: Vec<String> = table_columns(s)
        .iter()
        .map(|(n, t)| match t {
            _ if *n == "json" => "json".to_owned(),
            Type::Timestamp => format!("parseDateTime64BestEffortOrNull(json.{n}::String, 9, 'UTC') AS {n}"),
            Type::Text => format!("json.{n}::Nullable(String) AS {n}"),
            Type::Int => format!("toInt64OrNull(json.{n}::String) AS {n}"),
            Type::Float => format!("toFloat64OrNull(json.{n}::String) AS {n}"),
        })
        .collect();
    cols.join(", ")
}

/// ClickHouse: the table columns from a Parquet object, typed as the NDJSON side types them.
fn clickhouse_from_parquet(s: Signal) -> String {
    let cols: Vec<String> = table_columns(s)
        .iter()
        .map(|(n, t)| match t {
            _ if *n == "json" => "CAST(json, 'JSON') AS json".to_owned(),
            Type::Timestamp => format!("CAST({n}, '{CH_TIME}') AS {n}"),
            _ => (*n).to_owned(),
        })
        .collect();
    cols.join(", ")
}

/// ClickHouse: a signal's view when nothing is stored yet, its columns typed and empty.
fn clickhouse_empty_columns(s: Signal) -> String {
    let mut cols: Vec<String> = table_columns(s)
        .iter()
        .map(|(n, t)| match t {
            _ if *n == "json" => "CAST('{}', 'JSON') AS json".to_owned(),
            Type::Timestamp => format!("CAST(NULL, '{CH_TIME}') AS {n}"),
            Type::Text => format!("CAST(NULL, 'Nullable(String)') AS {n}"),
            Type::Int => format!("CAST(NULL, 'Nullable(Int64)') AS {n}"),
            Type::Float => format!("CAST(NULL, 'Nullable(Float64)') AS {n}"),
        })
        .collect();
    cols.extend(
        [
            "CAST(NULL, 'Nullable(String)') AS drain",
            "CAST(NULL, 'Nullable(Date)') AS day",
            "CAST(NULL, 'Nullable(UInt8)') AS hour",
        ]
        .map(String::from),
    );
    cols.join(", ")
}

/// Athena: a signal's Parquet table columns.
pub fn athena_table_columns(s: Signal) -> String {
    let cols: Vec<String> = table_columns(s)
        .iter()
        .map(|(n, t)| format!("{n} {}", athena_type(*t)))
        .collect();
    cols.join(", ")
}

fn athena_type(t: Type) -> &'static str {
    match t {
        Type::Timestamp => "timestamp",
        Type::Text => "string",
        Type::Int => "bigint",
        Type::Float => "double",
    }
}

/// Athena: the view of a signal over both formats (`{signal}_all`): the NDJSON hours through
/// the `_lines` table, their columns taken from `json` as the Parquet writer types them, and the
/// Parquet hours as they are. The template's Glue view holds the same query.
pub fn athena_view(s: Signal, db: &str) -> String {
    let n = s.name();
    let from_json: Vec<String> = table_columns(s)
        .iter()
        .map(|(c, t)| match t {
            _ if *c == "json" => "json".to_owned(),
            Type::Timestamp => {
                format!(
                    "try(CAST(from_iso8601_timestamp_nanos(json_extract_scalar(json, '$.{c}')) AS timestamp)) AS {c}"
                )
            }
            Type::Text => format!("json_extract_scalar(json, '$.{c}') AS {c}"),
            Type::Int => format!("try_cast(json_extract_scalar(json, '$.{c}') AS bigint) AS {c}"),
            Type::Float => format!("try_cast(json_extract_scalar(json, '$.{c}') AS double) AS {c}"),
        })
        .collect();
    let names: Vec<&str> = table_columns(s).iter().map(|(c, _)| *c).collect();
    format!(
        "CREATE OR REPLACE VIEW {db}.{n}_all AS SELECT {}, drain, day, hour FROM {db}.{n}_lines UNION ALL SELECT {}, drain, day, hour FROM {db}.{n}_parquet",
        from_json.join(", "),
        names.join(", ")
    )
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

#[cfg(test)]
mod tests {
    use super::*;

    fn args(engine: Engine, extra: &[&str]) -> SqlArgs {
        use clap::Parser;
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            sql: SqlArgs,
        }
        let name = match engine {
            Engine::Duckdb => "duckdb",
            Engine::Athena => "athena",
            Engine::Clickhouse => "clickhouse",
        };
        Cli::parse_from(["sql", name].iter().chain(extra)).sql
    }

    /// Issue 28, item 9: `quote` doubled `'` only, which ClickHouse reads as an escape when a
    /// backslash precedes it; Athena took `--database` and `--prefix` unquoted.
    #[test]
    fn names_are_escaped_for_each_engine_or_refused() {
        assert_eq!(quote(r"a'b\"), r"'a''b\'");
        assert_eq!(ch_quote(r"a'b\"), r"'a\'b\\'");
        let ch = statements(&args(Engine::Clickhouse, &["--data", r"/tmp/x\'; DROP"])).unwrap();
        assert!(ch.contains(r"/tmp/x\\\'; DROP"), "{ch}");
        for bad in [
            ["--bucket", "b", "--database", "drain; DROP TABLE x"],
            ["--bucket", "b'", "--database", "drain"],
            ["--bucket", "b", "--prefix", "logs/' --"],
        ] {
            let e = statements(&args(Engine::Athena, &bad)).unwrap_err().to_string();
            assert!(e.contains("not allowed"), "{bad:?}: {e}");
        }
        assert!(statements(&args(
            Engine::Athena,
            &["--bucket", "my-log-bucket.x", "--prefix", "Logs/app=1/"]
        ))
        .is_ok());
    }

    /// Each view reads what is there: NDJSON only (a fresh deployment), Parquet only (a quiet
    /// source after compaction), or nothing (a logs-only sender's traces), never a glob that
    /// matches nothing.
    #[test]
    fn each_view_reads_the_formats_that_are_there() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let put = |rel: &str| {
            let p = d.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, b"x").unwrap();
        };
        put("logs/drain=a/day=2026-11-22/hour=10/20261122T100000Z-1.ndjson.gz");
        put("tables/traces/drain=a/day=2026-11-22/hour=09/c000001-ab.parquet");
        let data = d.to_str().unwrap();
        for engine in [Engine::Duckdb, Engine::Clickhouse] {
            let out = statements(&args(engine, &["--data", data])).unwrap();
            let view = |name: &str| {
                out.lines()
                    .find(|l| {
                        l.starts_with("CREATE OR REPLACE VIEW") && l.contains(&format!("VIEW {name} "))
                            || l.contains(&format!("VIEW drain.{name} "))
                    })
                    .unwrap_or_else(|| panic!("no {name} view in {out}"))
                    .to_owned()
            };
            let (logs, traces, metrics) = (view("logs"), view("traces"), view("metrics"));
            assert!(
                logs.contains("/logs/**/*.ndjson.gz") && !logs.contains(".parquet"),
                "{logs}"
            );
            assert!(
                traces.contains("/tables/traces/**/*.parquet") && !traces.contains(".ndjson.gz"),
                "{traces}"
            );
            assert!(!metrics.contains("**") && metrics.contains("WHERE"), "{metrics}");
            // The same columns in every case: the table's, then the partitions.
            for v in [&logs, &traces, &metrics] {
                assert!(v.contains(" AS dt") || v.contains("SELECT dt,"), "{v}");
                assert!(v.contains("json") && v.contains("hour"), "{v}");
            }
            assert!(
                out.contains("no traces NDJSON") || matches!(engine, Engine::Clickhouse),
                "{out}"
            );
        }
        // Both formats: one view over both.
        put("tables/logs/drain=a/day=2026-11-22/hour=09/c000001-cd.parquet");
        let out = statements(&args(Engine::Duckdb, &["--data", data])).unwrap();
        assert!(
            out.contains(".ndjson.gz', format = 'newline_delimited'")
                && out.contains("UNION ALL BY NAME SELECT dt, received_at, level"),
            "{out}"
        );
    }

    #[test]
    fn athena_prints_three_tables_and_a_view_per_signal() {
        let out = statements(&args(Engine::Athena, &["--bucket", "b"])).unwrap();
        for s in ["logs", "traces", "metrics"] {
            for t in [
                format!("drain.{s} ("),
                format!("drain.{s}_lines (json string)"),
                format!("drain.{s}_parquet (dt timestamp"),
            ] {
                assert!(out.contains(&t), "{t} in {out}");
            }
            assert!(out.contains(&format!("LOCATION 's3://b/tables/{s}/'")), "{out}");
            assert!(
                out.contains(&format!("CREATE OR REPLACE VIEW drain.{s}_all AS SELECT")),
                "{out}"
            );
        }
    }
}
