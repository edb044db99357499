//! drain's compaction Worker (`wrangler.compact.toml`): on its Cron Trigger, drain-compact's
//! protocol over the R2 bucket the drain Worker writes, bound as `LOGS`. A Worker of its own, so
//! the ingest Worker carries none of this code (its upload and start-up stay as they were).
//! Create-only and compare-and-swap puts through `onlyIf` (`etagDoesNotMatch: "*"`,
//! `etagMatches`); deletes are unconditional (the binding has none), which is safe because a
//! delivery key is written once and never rewritten. Every R2 call is a subrequest: a run stops
//! at `DRAIN_COMPACT_BUDGET` calls (default 900, under the paid plan's 1,000) and the next Cron
//! run goes on from there (a generation takes at most a third of it in inputs; deletes go 1,000
//! keys to a call); outputs stay within 16 MiB of input, well inside 128 MB.

#![forbid(unsafe_code)]

use std::cell::Cell;

use drain_compact::{Bucket, Cond, Listed, Settings, Wrote};
use worker::{event, Conditional, Data, Env, HttpMetadata, ScheduleContext, ScheduledEvent};

/// The R2 binding that holds the objects (the drain Worker's).
const BUCKET_BINDING: &str = "LOGS";

#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    run(&env).await;
}

/// The R2 binding as compaction's bucket, counting its calls.
struct R2 {
    bucket: worker::Bucket,
    calls: Cell<u32>,
    budget: u32,
}

impl R2 {
    fn spend(&self) -> Result<(), String> {
        let n = self.calls.get() + 1;
        self.calls.set(n);
        if n > self.budget {
            return Err(format!(
                "{} R2 calls spent (DRAIN_COMPACT_BUDGET); the next run goes on",
                self.budget
            ));
        }
        Ok(())
    }
}

fn text(e: worker::Error) -> String {
    e.to_string()
}

impl Bucket for R2 {
    async fn list(&self, prefix: &str) -> Result<Vec<Listed>, String> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            self.spend()?;
            let mut req = self.bucket.list().prefix(prefix);
            if let Some(c) = cursor.take() {
                req = req.cursor(c);
            }
            let page = req.execute().await.map_err(text)?;
            out.extend(page.objects().into_iter().map(|o| Listed {
                key: o.key(),
                etag: o.etag(),
                size: o.size(),
            }));
            match page.cursor() {
                Some(c) if page.truncated() => cursor = Some(c),
                _ => break,
            }
        }
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    async fn folders(&self, prefix: &str) -> Result<Vec<String>, String> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            self.spend()?;
            let mut req = self.bucket.list().prefix(prefix).delimiter("/");
            if let Some(c) = cursor.take() {
                req = req.cursor(c);
            }
            let page = req.execute().await.map_err(text)?;
            out.extend(
                page.delimited_prefixes()
                    .into_iter()
                    .filter_map(|p| Some(p.strip_prefix(prefix)?.trim_end_matches('/').to_owned())),
            );
            match page.cursor() {
                Some(c) if page.truncated() => cursor = Some(c),
                _ => break,
            }
        }
        out.sort();
        Ok(out)
    }

    async fn get(&self, key: &str) -> Result<Option<(Vec<u8>, String)>, String> {
        self.spend()?;
        let Some(object) = self.bucket.get(key).execute().await.map_err(text)? else {
            return Ok(None);
        };
        let etag = object.etag();
        let bytes = match object.body() {
            Some(body) => body.bytes().await.map_err(text)?,
            None => Vec::new(),
        };
        Ok(Some((bytes, etag)))
    }

    async fn put(&self, key: &str, body: Vec<u8>, cond: Cond<'_>) -> Result<Wrote, String> {
        self.spend()?;
        let only_if = match cond {
            Cond::IfAbsent => Conditional {
                etag_does_not_match: Some("*".into()),
                ..Conditional::default()
            },
            Cond::IfMatch(etag) => Conditional {
                etag_matches: Some(etag.to_owned()),
                ..Conditional::default()
            },
        };
        let metadata = HttpMetadata {
            content_type: Some(
                if key.ends_with(".json") {
                    "application/json"
                } else {
                    "application/gzip"
                }
                .into(),
            ),
            ..HttpMetadata::default()
        };
        match self
            .bucket
            .put(key, Data::Bytes(body))
            .http_metadata(metadata)
            .only_if(only_if)
            .execute()
            .await
            .map_err(text)?
        {
            Some(o) => Ok(Wrote::Done { etag: o.etag() }),
            None => Ok(Wrote::Refused),
        }
    }

    async fn delete(&self, key: &str, _if_match: Option<&str>) -> Result<(), String> {
        self.spend()?;
        self.bucket.delete(key).await.map_err(text)
    }

    async fn delete_many(&self, keys: &[(&str, Option<&str>)]) -> Result<(), String> {
        for batch in keys.chunks(1000) {
            self.spend()?;
            let keys: Vec<&str> = batch.iter().map(|(k, _)| *k).collect();
            self.bucket.delete_multiple(keys).await.map_err(text)?;
        }
        Ok(())
    }
}

/// One compaction run; its summary goes to Workers Logs. The prefixes are the
/// `DRAIN_COMPACT_PREFIXES` var (space-separated): the drain Worker's config's.
async fn run(env: &Env) {
    let mut settings = Settings::default();
    if let Ok(p) = env.var("DRAIN_COMPACT_PREFIXES") {
        settings.prefixes = p.to_string().split_whitespace().map(str::to_owned).collect();
    }
    let bucket = match env.bucket(BUCKET_BINDING) {
        Ok(b) => b,
        Err(e) => return worker::console_error!("compaction: no R2 binding {BUCKET_BINDING}: {e}"),
    };
    let budget = env
        .var("DRAIN_COMPACT_BUDGET")
        .ok()
        .and_then(|v| v.to_string().parse().ok())
        .unwrap_or(900);
    let r2 = R2 {
        bucket,
        calls: Cell::new(0),
        budget,
    };
    // A generation costs a call per input and about ten more: a third of the budget lets a run
    // that begins with a pending one finish it and start the next.
    settings.max_inputs = (budget / 3).clamp(2, 300) as usize;
    settings.max_input_bytes = 16 << 20;
    let now_ms = worker::Date::now().as_millis();
    if let Err(e) = drain_compact::self_test(&r2, &format!("worker-{now_ms}")).await {
        return worker::console_error!("compaction refused: {e}");
    }
    let r = drain_compact::run(&r2, &settings, (now_ms / 1000) as i64, &|_, _| {}).await;
    for u in &r.unreadable {
        worker::console_warn!("compaction left an unreadable object in place: {u}");
    }
    for e in &r.errors {
        worker::console_warn!("compaction stopped in a partition (the next run goes on): {e}");
    }
    worker::console_log!(
        "{}",
        serde_json::json!({
            "msg": "compaction run",
            "partitions": r.partitions,
            "committed": r.committed,
            "merged": r.merged,
            "deleted": r.deleted,
            "lines": r.lines,
            "bytes_in": r.bytes_in,
            "bytes_out": r.bytes_out,
            "aborted": r.aborted,
            "unreadable": r.unreadable.len(),
            "errors": r.errors.len(),
            "r2_calls": r2.calls.get(),
        })
    );
}
