//! Compaction (SPEC section 9): each closed hour of one source and signal, its delivery objects
//! merged into few large ones, with every event stored exactly once whatever crashes, times out
//! or runs twice along the way.
//!
//! Runtime-free, like `drain-exec`: the store and the clock come from the host (the `drain`
//! CLI and server over a folder or S3, Lambda over S3), so the protocol is written once. It is a
//! claim → build → verify → commit → delete sequence per generation whose commit point is a
//! compare-and-swap on a manifest kept outside the data prefixes (`_drain/manifests/`); see
//! `partition.rs` for the steps and why each is safe to repeat.

#![forbid(unsafe_code)]

mod build;
mod manifest;
mod partition;
pub mod table;
#[cfg(test)]
mod tests;

pub use drain_store::{self_test, Cond, Listed, Store, Wrote};
pub use manifest::{Manifest, State};
pub use partition::Step;

/// How compaction runs; `Settings::default()` is what `drain compact` and the schedules use.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The data prefixes to compact: the config's `prefix`, `traces_prefix`, `metrics_prefix`,
    /// in that order (the signal of each is its place: logs, traces, metrics).
    pub prefixes: Vec<String>,
    /// Where Parquet tables go (the config's `tables_prefix`, SPEC section 9); `None` compacts
    /// to gzip NDJSON in the hour's own partition (`[compaction] format = "ndjson"`).
    pub tables: Option<String>,
    /// A Parquet output holds its lines in memory while it sorts them: at most this many bytes
    /// of them (an input that would pass it goes to the next generation).
    pub max_table_bytes: u64,
    /// Hours this far back (from the current one) are looked at; older ones are left alone.
    pub lookback_hours: i64,
    /// An hour is closed this many seconds after it ends: longer than a delivery can take.
    pub settle_secs: i64,
    /// At most this many objects merged into one output.
    pub max_inputs: usize,
    /// At most this many stored (gzip) bytes of input per output, so an output, which is held in
    /// memory while it is written, stays about this size. A larger single object is left as it
    /// is.
    pub max_input_bytes: u64,
    /// At most about this many inflated bytes of lines per output: the inputs after the one
    /// that passes it are left to the next generation, so a generation of inputs that inflate
    /// 1,000 : 1 still finishes within a run's time (Lambda's 900 s, a Worker's CPU).
    pub max_inflated_bytes: u64,
    /// A line longer than this makes its object unreadable (left in place and reported).
    pub max_line_bytes: usize,
    /// An hour is compacted once it has at least this many delivery objects.
    pub min_inputs: usize,
    /// Inputs fetched at once while building an output (each fetch is a round trip).
    pub read_ahead: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            prefixes: vec!["logs/".into(), "traces/".into(), "metrics/".into()],
            tables: Some("tables/".into()),
            max_table_bytes: 128 << 20,
            lookback_hours: 48,
            settle_secs: 15 * 60,
            max_inputs: 10_000,
            max_input_bytes: 64 << 20,
            max_inflated_bytes: 1 << 30,
            max_line_bytes: 16 << 20,
            min_inputs: 2,
            read_ahead: 8,
        }
    }
}

impl Settings {
    /// The defaults with the variables the Lambda function and the compaction Worker take:
    /// `DRAIN_COMPACT_PREFIXES` (the logs, traces and metrics prefixes, space-separated),
    /// `DRAIN_COMPACT_FORMAT` (`parquet`, the default, or `ndjson`) and `DRAIN_TABLES_PREFIX`
    /// (default `tables/`): the ingest config's `prefix`…, `[compaction] format` and
    /// `tables_prefix`, which `infra/run/check-shipped-configs` checks they agree with.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let mut s = Settings::default();
        if let Some(p) = var("DRAIN_COMPACT_PREFIXES") {
            s.prefixes = p.split_whitespace().map(str::to_owned).collect();
        }
        let tables = var("DRAIN_TABLES_PREFIX").unwrap_or_else(|| "tables/".into());
        if !(tables.is_empty() || tables.ends_with('/')) {
            return Err(format!("DRAIN_TABLES_PREFIX `{tables}`: must be empty or end in `/`"));
        }
        s.tables = match var("DRAIN_COMPACT_FORMAT").as_deref().unwrap_or("parquet") {
            "parquet" => Some(tables),
            "ndjson" => None,
            other => return Err(format!("DRAIN_COMPACT_FORMAT `{other}`: `parquet` or `ndjson`")),
        };
        Ok(s)
    }

    /// These settings for one scheduled invocation whose event may carry `{"lookback_hours": N}`
    /// (a backfill, 1 to 400 days of hours).
    pub fn for_event(&self, event: &serde_json::Value) -> Settings {
        let mut s = self.clone();
        if let Some(h) = event.get("lookback_hours").and_then(|v| v.as_i64()) {
            s.lookback_hours = h.clamp(1, 24 * 400);
        }
        s
    }

    /// The compaction Worker's: [`Settings::from_vars`] within a run of `DRAIN_COMPACT_BUDGET`
    /// R2 calls (default 900, under the paid plan's 1,000 subrequests), and the budget. A
    /// generation costs a call per input and about ten more, so a third of the budget lets a run
    /// that begins with a pending one finish it and start the next; inputs stay within 16 MiB
    /// and a Parquet output holds at most 24 MiB of lines while it sorts them (the isolate has
    /// 128 MB).
    pub fn for_workers(var: impl Fn(&str) -> Option<String>) -> Result<(Self, u32), String> {
        let budget = match var("DRAIN_COMPACT_BUDGET") {
            None => 900,
            Some(v) => v
                .parse()
                .map_err(|_| format!("DRAIN_COMPACT_BUDGET `{v}`: a number of R2 calls"))?,
        };
        let mut s = Settings::from_vars(var)?;
        s.max_inputs = (budget / 3).clamp(2, 300) as usize;
        s.max_input_bytes = 16 << 20;
        s.max_table_bytes = 24 << 20;
        Ok((s, budget))
    }
}

/// What one run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    /// Partitions (source, signal, hour) listed.
    pub partitions: usize,
    /// Generations committed by this run (a resumed one included).
    pub committed: usize,
    /// Delivery objects merged into those outputs.
    pub merged: usize,
    /// Objects deleted after a commit.
    pub deleted: usize,
    /// Lines written to outputs.
    pub lines: u64,
    /// Stored bytes read from inputs and written as outputs.
    pub bytes_in: u64,
    pub bytes_out: u64,
    /// Generations given up (an input vanished or changed behind compaction's back).
    pub aborted: usize,
    /// Objects that could not be read as gzip NDJSON objects: left in place, never deleted.
    pub unreadable: Vec<String>,
    /// Partitions that stopped on an error (the store failed, a committed output is missing); a
    /// later run picks each up where it stopped.
    pub errors: Vec<String>,
    /// The store requests the run made, self-test included (what the bucket bills).
    pub requests: drain_store::Requests,
}

impl Report {
    /// What a run counts, by name: the one list every host logs (a tracing line, a Worker's JSON
    /// log line, the Lambda function's answer).
    pub fn counts(&self) -> [(&'static str, u64); 13] {
        [
            ("partitions", self.partitions as u64),
            ("committed", self.committed as u64),
            ("merged", self.merged as u64),
            ("deleted", self.deleted as u64),
            ("lines", self.lines),
            ("bytes_in", self.bytes_in),
            ("bytes_out", self.bytes_out),
            ("aborted", self.aborted as u64),
            ("unreadable", self.unreadable.len() as u64),
            ("puts", self.requests.puts),
            ("gets", self.requests.gets),
            ("lists", self.requests.lists),
            ("deletes", self.requests.deletes),
        ]
    }

    /// The counts as `key=value` pairs, then `errors=N`.
    pub fn fields(&self) -> String {
        let mut out: Vec<String> = self.counts().iter().map(|(k, v)| format!("{k}={v}")).collect();
        out.push(format!("errors={}", self.errors.len()));
        out.join(" ")
    }

    /// The counts as one JSON object (`msg: "compaction run"`), the unreadable objects and the
    /// errors listed in full.
    pub fn json(&self) -> serde_json::Value {
        let mut v = serde_json::Map::new();
        v.insert("msg".into(), "compaction run".into());
        for (k, n) in self.counts() {
            v.insert(k.into(), n.into());
        }
        v.insert("unreadable".into(), self.unreadable.clone().into());
        v.insert("errors".into(), self.errors.clone().into());
        v.into()
    }

    /// [`Report::json`] with the lists counted, not listed: for a host that logs them as
    /// [`Report::warnings`] already.
    pub fn counted_json(&self) -> serde_json::Value {
        let mut line = self.json();
        line["errors"] = self.errors.len().into();
        line["unreadable"] = self.unreadable.len().into();
        line
    }

    /// One sentence for a terminal (`drain compact`).
    pub fn summary(&self) -> String {
        format!(
            "compaction: {} partitions looked at, {} outputs committed from {} objects ({} lines, {} bytes in, {} bytes out), {} objects deleted, {} generations aborted, {} unreadable objects left in place, {} errors",
            self.partitions, self.committed, self.merged, self.lines, self.bytes_in, self.bytes_out, self.deleted, self.aborted, self.unreadable.len(), self.errors.len()
        )
    }

    /// What a host logs as warnings: each unreadable object left in place, each partition that
    /// stopped on an error.
    pub fn warnings(&self) -> impl Iterator<Item = String> + '_ {
        let unreadable = self
            .unreadable
            .iter()
            .map(|u| format!("compaction left an unreadable object in place: {u}"));
        let errors = self
            .errors
            .iter()
            .map(|e| format!("compaction stopped in a partition (a later run goes on): {e}"));
        unreadable.chain(errors)
    }
}

/// Unix seconds by the system clock (the server and Lambda; the Worker reads `Date.now()`).
#[cfg(not(target_arch = "wasm32"))]
pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// A run's report in the process log (the server's timer, the Lambda function): each of its
/// [`Report::warnings`], then its counts.
#[cfg(not(target_arch = "wasm32"))]
pub fn log(report: &Report) {
    for w in report.warnings() {
        tracing::warn!("{w}");
    }
    tracing::info!(report = %report.fields(), "compaction run");
}

/// What every host calls: the self-test (with `probe`, a name unique to this run), then one run.
pub async fn run_checked<B: Store + ?Sized>(
    store: &B,
    settings: &Settings,
    now: i64,
    probe: &str,
    hook: &dyn Fn(&str, Step),
) -> Result<Report, String> {
    let store = drain_store::Counted::new(store);
    self_test(&store, probe)
        .await
        .map_err(|e| format!("compaction refused: {e}"))?;
    let mut report = run(&store, settings, now, hook).await;
    report.requests = store.requests();
    Ok(report)
}

/// The hours (as unix hour numbers) that are closed at `now` (unix seconds) and within the look-
/// back window, oldest first.
pub fn due_hours(settings: &Settings, now: i64) -> std::ops::RangeInclusive<i64> {
    let last = (now - settings.settle_secs).div_euclid(3600) - 1;
    let first = now.div_euclid(3600) - settings.lookback_hours;
    first..=last
}

pub use drain_layout::{is_delivery, MANIFESTS};

/// The signal of each of `Settings::prefixes`, by place.
pub const SIGNALS: [&str; 3] = ["logs", "traces", "metrics"];

/// One compaction run over every due partition of every source under `settings.prefixes`.
/// `now` is unix seconds; `hook` is called after each step of the protocol (the crash tests stop
/// the process there). Only folders that exist are listed (a source's days, then a day's hours),
/// so a long look-back costs a listing per stored day and hour, not per hour of the window. The
/// due partitions are then compacted starting at one that moves with the hour of `now`. One
/// partition's error never stops the others; it is in the report.
pub async fn run<B: Store + ?Sized>(bucket: &B, settings: &Settings, now: i64, hook: &dyn Fn(&str, Step)) -> Report {
    let mut report = Report::default();
    let due = due_hours(settings, now);
    let mut parts = Vec::new();
    for (i, prefix) in settings.prefixes.iter().enumerate() {
        let signal = SIGNALS.get(i).copied().unwrap_or("logs");
        let sources = match bucket.folders(prefix).await {
            Ok(s) => s,
            Err(e) => {
                report.errors.push(format!("{prefix}: {e}"));
                continue;
            }
        };
        for source in sources.iter().filter_map(|f| drain_layout::source_of_folder(f)) {
            let source_dir = drain_layout::source_folder(prefix, source);
            let days = match bucket.folders(&source_dir).await {
                Ok(d) => d,
                Err(e) => {
                    report.errors.push(format!("{source_dir}: {e}"));
                    continue;
                }
            };
            for day in days {
                let Some(first) = drain_layout::day_of_folder(&day) else {
                    continue;
                };
                if first + 23 < *due.start() || first > *due.end() {
                    continue;
                }
                let hours = match bucket.folders(&format!("{source_dir}{day}/")).await {
                    Ok(h) => h,
                    Err(e) => {
                        report.errors.push(format!("{source_dir}{day}/: {e}"));
                        continue;
                    }
                };
                for hour in hours.iter().filter_map(|h| drain_layout::hour_of_folder(h)) {
                    if due.contains(&(first + hour)) {
                        if let Some(part) = drain_layout::partition(prefix, source, first + hour) {
                            let table = settings
                                .tables
                                .as_deref()
                                .and_then(|t| drain_layout::table_partition(t, signal, &part));
                            parts.push((part, table));
                        }
                    }
                }
            }
        }
    }
    // Each run starts at another partition (by the hour it runs in), so one that outlasts a
    // run's time can't keep every partition after it from ever being compacted.
    if !parts.is_empty() {
        let start = now.div_euclid(3600).rem_euclid(parts.len() as i64) as usize;
        parts.rotate_left(start);
    }
    for (part, table) in parts {
        report.partitions += 1;
        if let Err(e) = partition::compact(bucket, settings, &part, table.as_deref(), &mut report, hook).await {
            report.errors.push(format!("{part}: {e}"));
        }
    }
    report
}
