//! `drain ui`: a log explorer in the browser over a folder or a bucket, served from this binary
//! on loopback (the page, its script and style embedded; nothing fetched from elsewhere). It reads
//! through `query.rs`, the `drain logs` reader: the same listing, bounds and formats. Its JSON API
//! (README "See it: drain ui"): `/api/meta`, `/api/events`, `/api/counts`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use anyhow::{bail, Result};
use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::blocking::Blocking;
use super::query::{self, Range, LEVELS};
use super::{Prefixes, Signal};
use drain_cli::read::UiArgs;

/// The page: HTML, CSS and JavaScript in one file, compiled in.
const PAGE: &str = include_str!("ui.html");

struct Ui {
    bucket: Arc<Blocking>,
    prefixes: Prefixes,
    token: Option<String>,
    concurrency: usize,
    buffer: usize,
}

/// Rows a page of events holds at most.
const MAX_LIMIT: usize = 1000;
/// Histogram buckets at most.
const MAX_BUCKETS: usize = 500;

pub fn run(args: UiArgs) -> Result<()> {
    if !args.listen.ip().is_loopback() && args.token.as_deref().is_none_or(str::is_empty) {
        bail!(
            "--listen {} is not a loopback address: give --token so that every request must carry it (or listen on 127.0.0.1)",
            args.listen
        );
    }
    args.objects.check_readable()?;
    let prefixes = Prefixes::load(args.config.as_deref())?;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let store = rt.block_on(crate::store::open(&args.objects, false));
    let bucket = Arc::new(Blocking {
        store,
        rt: rt.handle().clone(),
    });
    let ui = Arc::new(Ui {
        bucket,
        prefixes,
        token: args.token.clone(),
        concurrency: args.objects.concurrency(args.concurrency),
        buffer: args.buffer_mib.max(1) << 20,
    });
    let app = router(ui);
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen).await?;
        let addr = listener.local_addr()?;
        let url = match &args.token {
            Some(t) => format!(
                "http://{addr}/?token={}",
                form_urlencoded::byte_serialize(t.as_bytes()).collect::<String>()
            ),
            None => format!("http://{addr}/"),
        };
        println!("drain ui: {url}");
        if args.open {
            let opener = if cfg!(target_os = "macos") { "open" } else { "xdg-open" };
            if let Err(e) = std::process::Command::new(opener).arg(&url).spawn() {
                eprintln!("drain ui: could not start {opener} ({e}); open the URL above");
            }
        }
        axum::serve(listener, app).await?;
        Ok(())
    })
}

fn router(ui: Arc<Ui>) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/api/meta", get(meta))
        .route("/api/events", get(events))
        .route("/api/counts", get(counts))
        .layer(middleware::from_fn_with_state(ui.clone(), guard))
        .with_state(ui)
}

/// Every request carries the token, when there is one; every answer forbids framing and any
/// request the page would make elsewhere.
async fn guard(State(ui): State<Arc<Ui>>, req: Request, next: Next) -> Response {
    if let Some(want) = &ui.token {
        let bearer = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::to_owned);
        let query = req.uri().query().and_then(|q| {
            form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "token")
                .map(|(_, v)| v.into_owned())
        });
        let given = bearer.or(query).unwrap_or_default();
        let same: bool = subtle::ConstantTimeEq::ct_eq(given.as_bytes(), want.as_bytes()).into();
        if !same {
            return error(
                StatusCode::UNAUTHORIZED,
                "this drain ui needs its token (?token=… or Authorization: Bearer …)",
            );
        }
    }
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'; frame-ancestors 'none'"),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn error(status: StatusCode, why: &str) -> Response {
    (status, Json(json!({ "error": why }))).into_response()
}

async fn page() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], PAGE)
}

/// The sources of each signal, the level names, the server's time.
async fn meta(State(ui): State<Arc<Ui>>) -> Response {
    let work = tokio::task::spawn_blocking(move || {
        let mut sources = serde_json::Map::new();
        for s in Signal::ALL {
            sources.insert(s.name().into(), json!(query::sources(&ui.bucket, &ui.prefixes, s)?));
        }
        Ok::<_, anyhow::Error>(json!({
            "sources": sources,
            "levels": LEVELS,
            "now_ms": now_ns() / 1_000_000,
            "store": drain_store::Store::describe(&ui.bucket.store),
        }))
    });
    answer(work.await)
}

fn answer(done: Result<Result<Value>, tokio::task::JoinError>) -> Response {
    match done {
        Ok(Ok(v)) => Json(v).into_response(),
        Ok(Err(e)) => {
            let brief: String = format!("{e:#}").chars().take(300).collect();
            error(StatusCode::BAD_GATEWAY, &format!("reading the store failed: {brief}"))
        }
        Err(_) => error(StatusCode::INTERNAL_SERVER_ERROR, "the read stopped unexpectedly"),
    }
}

fn now_ns() -> i128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128)
}

/// The range and filters of a request: `signal`, `from`/`to` (unix ms or RFC 3339; `from_ns` and
/// `to_ns` for nanoseconds), `source` (comma-separated), `level` (the least severe shown), `q`
/// (text the stored line contains). Default: the last hour of logs.
fn range(p: &HashMap<String, String>) -> Result<Range, String> {
    let signal = match p.get("signal").map(String::as_str).unwrap_or("logs") {
        "logs" => Signal::Logs,
        "traces" => Signal::Traces,
        "metrics" => Signal::Metrics,
        other => return Err(format!("signal `{}`: logs, traces or metrics", brief(other))),
    };
    let now = now_ns();
    let time = |ns: &str, plain: &str, default: i128| -> Result<i128, String> {
        if let Some(v) = p.get(ns) {
            return v.parse().map_err(|_| format!("{ns}: nanoseconds since 1970"));
        }
        match p.get(plain) {
            Some(v) => query::time_param(v).ok_or_else(|| format!("{plain} `{}`: unix ms or RFC 3339", brief(v))),
            None => Ok(default),
        }
    };
    let until = time("to_ns", "to", now)?;
    let since = time("from_ns", "from", until - 3_600_000_000_000)?;
    let (lo, hi) = (0, 253_402_300_800_000_000_000); // 1970 to the end of 9999: keys' years
    if !(lo..=hi).contains(&since) || !(lo..=hi).contains(&until) || since >= until {
        return Err("from must be before to, both between 1970 and 9999".into());
    }
    let min_rank = match p.get("level").filter(|l| !l.is_empty()) {
        Some(l) => {
            Some(super::line::rank(l).ok_or_else(|| format!("level `{}`: one of {}", brief(l), LEVELS.join(", ")))?)
        }
        None => None,
    };
    let sources: Vec<String> = p
        .get("source")
        .map(|s| s.split(',').filter(|x| !x.is_empty()).map(str::to_owned).collect())
        .unwrap_or_default();
    let name = |s: &str| {
        (1..=64).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    if let Some(bad) = sources.iter().find(|s| !name(s)) {
        return Err(format!("source `{}` is not a source name", brief(bad)));
    }
    Ok(Range {
        signal,
        sources,
        since,
        until,
        min_rank,
        grep: p.get("q").filter(|q| !q.is_empty()).cloned(),
    })
}

/// At most 80 characters of what a request said, for an error.
fn brief(s: &str) -> String {
    s.chars().take(80).collect()
}

/// A page of events, newest first (`order=asc`: oldest first): `limit` (default 200, at most
/// 1,000); the previous page's `next` (`before_ns` or `after_ns`, and `skip`, the events at that
/// very time it already held) continues it.
async fn events(State(ui): State<Arc<Ui>>, Query(p): Query<HashMap<String, String>>) -> Response {
    let mut r = match range(&p) {
        Ok(r) => r,
        Err(e) => return error(StatusCode::BAD_REQUEST, &e),
    };
    let limit = p
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(200usize)
        .clamp(1, MAX_LIMIT);
    let skip = p
        .get("skip")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0usize)
        .min(1_000_000);
    let ascending = p.get("order").is_some_and(|o| o == "asc");
    if let Some(before) = p.get("before_ns").and_then(|b| b.parse::<i128>().ok()) {
        r.until = r.until.min(before + 1);
    }
    if let Some(after) = p.get("after_ns").and_then(|b| b.parse::<i128>().ok()) {
        r.since = r.since.max(after);
    }
    if r.until <= r.since {
        return Json(json!({"events": [], "next": null, "bad": []})).into_response();
    }
    let work = tokio::task::spawn_blocking(move || {
        let page = if ascending {
            query::oldest(&ui.bucket, &ui.prefixes, &r, limit, skip, ui.concurrency, ui.buffer)?
        } else {
            query::newest(&ui.bucket, &ui.prefixes, &r, limit, skip, ui.concurrency, ui.buffer)?
        };
        let next = match (page.more, page.events.last()) {
            (true, Some((edge, _))) => {
                let ties = page.events.iter().filter(|(at, _)| at == edge).count();
                // Ties already held from the same time, on an earlier page, carry over.
                let (key, same) = if ascending {
                    ("after_ns", *edge == r.since)
                } else {
                    ("before_ns", *edge == r.until - 1)
                };
                json!({key: edge.to_string(), "skip": ties + if same { skip } else { 0 }})
            }
            _ => Value::Null,
        };
        let events: Vec<Value> = page
            .events
            .into_iter()
            .filter_map(|(at, line)| {
                let raw = serde_json::value::RawValue::from_string(line).ok()?;
                let class = query::level_class(r.signal, raw.get());
                Some(json!({"t_ns": at.to_string(), "class": class, "line": raw}))
            })
            .collect();
        Ok(json!({"events": events, "next": next, "bad": page.bad}))
    });
    answer(work.await)
}

/// Counts per bucket and level class: `buckets` (default 60, at most 500) over the range.
async fn counts(State(ui): State<Arc<Ui>>, Query(p): Query<HashMap<String, String>>) -> Response {
    let r = match range(&p) {
        Ok(r) => r,
        Err(e) => return error(StatusCode::BAD_REQUEST, &e),
    };
    let n = p
        .get("buckets")
        .and_then(|l| l.parse().ok())
        .unwrap_or(60i128)
        .clamp(1, MAX_BUCKETS as i128);
    // Whole milliseconds, so the page can name each bucket exactly.
    let width = (((r.until - r.since) + n - 1) / n).max(1_000_000).div_euclid(1_000_000) * 1_000_000;
    let work = tokio::task::spawn_blocking(move || {
        let (counts, bad) = query::counts(&ui.bucket, &ui.prefixes, &r, width, ui.concurrency, ui.buffer)?;
        let mut buckets: BTreeMap<i128, serde_json::Map<String, Value>> = BTreeMap::new();
        let mut total = 0;
        for ((t, class), c) in counts {
            buckets.entry(t).or_default().insert(class.into(), c.into());
            total += c;
        }
        let buckets: Vec<Value> = buckets
            .into_iter()
            .map(|(t, c)| json!({"t_ms": (t / 1_000_000) as i64, "counts": c}))
            .collect();
        Ok(json!({
            "from_ms": (r.since / 1_000_000) as i64,
            "to_ms": (r.until / 1_000_000) as i64,
            "width_ms": (width / 1_000_000) as i64,
            "buckets": buckets,
            "total": total,
            "bad": bad,
        }))
    });
    answer(work.await)
}
