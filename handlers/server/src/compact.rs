//! `drain compact` and `drain serve`'s compaction timer: `drain-compact`'s protocol over the
//! folder (`DirBucket`) or an S3 bucket, on a thread of its own so that folder IO and a large
//! output never hold up a delivery.

use std::io::{self, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use drain_compact::{Bucket, Cond, Listed, Report, Settings, Step, Wrote};

use crate::store::S3Store;

/// Compaction's bucket on a folder. A version tag is the file's inode, size and modification
/// time, so a replaced manifest always gets a new one; conditional writes and deletes hold an
/// exclusive lock on `_drain/.lock` (so two `drain compact` processes serialize on it), and a
/// write is a synced temp file renamed into place.
#[derive(Debug, Clone)]
pub struct DirBucket {
    root: PathBuf,
}

impl DirBucket {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        DirBucket { root: root.into() }
    }

    fn tag(meta: &std::fs::Metadata) -> String {
        format!("{}-{}-{}.{}", meta.ino(), meta.len(), meta.mtime(), meta.mtime_nsec())
    }

    fn lock(&self) -> io::Result<std::fs::File> {
        let dir = self.root.join("_drain");
        std::fs::create_dir_all(&dir)?;
        let f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(".lock"))?;
        f.lock()?;
        Ok(f)
    }

    fn current(&self, key: &str) -> io::Result<Option<String>> {
        match std::fs::metadata(self.root.join(key)) {
            Ok(m) => Ok(Some(Self::tag(&m))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn walk(&self, dir: &Path, out: &mut Vec<Listed>) -> io::Result<()> {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name();
            if name.to_string_lossy().starts_with('.') {
                continue; // a folder store's temp files, the lock
            }
            let meta = entry.metadata()?;
            if meta.is_dir() {
                self.walk(&entry.path(), out)?;
            } else if let Ok(rel) = entry.path().strip_prefix(&self.root) {
                out.push(Listed {
                    key: rel.to_string_lossy().into_owned(),
                    etag: Self::tag(&meta),
                    size: meta.len(),
                });
            }
        }
        Ok(())
    }

    fn write(&self, key: &str, body: &[u8]) -> io::Result<String> {
        let path = self.root.join(key);
        let dir = path.parent().ok_or_else(|| io::Error::other("key has no folder"))?;
        std::fs::create_dir_all(dir)?;
        let tmp = dir.join(format!(".compact.{}.tmp", std::process::id()));
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(body)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)?;
        std::fs::File::open(dir)?.sync_all()?;
        Ok(Self::tag(&std::fs::metadata(&path)?))
    }
}

fn err(e: io::Error) -> String {
    e.to_string()
}

impl Bucket for DirBucket {
    async fn list(&self, prefix: &str) -> Result<Vec<Listed>, String> {
        let mut out = Vec::new();
        self.walk(&self.root.join(prefix), &mut out).map_err(err)?;
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    async fn folders(&self, prefix: &str) -> Result<Vec<String>, String> {
        let mut out: Vec<String> = match std::fs::read_dir(self.root.join(prefix)) {
            Ok(entries) => entries
                .filter_map(|e| e.ok())
                .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                .filter_map(|e| e.file_name().into_string().ok())
                .collect(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(err(e)),
        };
        out.sort();
        Ok(out)
    }

    async fn get(&self, key: &str) -> Result<Option<(Vec<u8>, String)>, String> {
        let path = self.root.join(key);
        let read = std::fs::File::open(&path).and_then(|mut f| {
            let meta = f.metadata()?;
            let mut body = Vec::with_capacity(meta.len() as usize);
            io::Read::read_to_end(&mut f, &mut body)?;
            Ok((body, Self::tag(&meta)))
        });
        match read {
            Ok(got) => Ok(Some(got)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(err(e)),
        }
    }

    async fn put(&self, key: &str, body: Vec<u8>, cond: Cond<'_>) -> Result<Wrote, String> {
        let _lock = self.lock().map_err(err)?;
        let current = self.current(key).map_err(err)?;
        let holds = match cond {
            Cond::IfAbsent => current.is_none(),
            Cond::IfMatch(etag) => current.as_deref() == Some(etag),
        };
        if !holds {
            return Ok(Wrote::Refused);
        }
        Ok(Wrote::Done {
            etag: self.write(key, &body).map_err(err)?,
        })
    }

    async fn delete(&self, key: &str, if_match: Option<&str>) -> Result<(), String> {
        let _lock = self.lock().map_err(err)?;
        if let (Some(want), Some(now)) = (if_match, self.current(key).map_err(err)?) {
            if want != now {
                return Ok(()); // another version than the one named
            }
        }
        match std::fs::remove_file(self.root.join(key)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(err(e)),
        }
    }
}

/// Where compaction works.
#[derive(Debug, Clone)]
pub enum Target {
    Dir(PathBuf),
    S3(String),
}

/// `drain compact`'s options.
#[derive(clap::Args, Debug)]
pub struct CompactArgs {
    /// The folder `drain serve --data` writes.
    #[arg(long, env = "DRAIN_DATA", default_value = "./data")]
    data: PathBuf,
    /// Compact this S3-compatible bucket instead (standard AWS environment, AWS_ENDPOINT_URL_S3).
    #[arg(long, env = "DRAIN_S3_BUCKET")]
    s3_bucket: Option<String>,
    /// The config whose prefixes to compact (defaults: logs/, traces/, metrics/).
    #[arg(long, env = "DRAIN_CONFIG_FILE")]
    config: Option<PathBuf>,
    /// Hours back from now to look at.
    #[arg(long, default_value_t = 48)]
    lookback_hours: i64,
    /// Compact from this time on instead (`2026-11-01`, `2026-11-22T10:00Z`, `30d`): a backfill.
    #[arg(long)]
    since: Option<String>,
    /// Minutes after an hour ends before it counts as closed.
    #[arg(long, default_value_t = 15)]
    settle_minutes: i64,
    /// Delivery objects per output at most.
    #[arg(long, default_value_t = 10_000)]
    max_inputs: usize,
    /// Stored MiB of input per output at most (an output is held in memory while written).
    #[arg(long, default_value_t = 64)]
    max_input_mib: u64,
    /// Stop the process (abort) right after this step of the first generation: for the crash
    /// tests.
    #[arg(long, hide = true, value_parser = ["claimed", "written", "committed", "deleted"])]
    crash_after: Option<String>,
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// One line per run: what it did.
pub fn summary(r: &Report) -> String {
    format!(
        "compaction: {} partitions looked at, {} outputs committed from {} objects ({} lines, {} bytes in, {} bytes out), {} objects deleted, {} generations aborted, {} unreadable objects left in place, {} errors",
        r.partitions, r.committed, r.merged, r.lines, r.bytes_in, r.bytes_out, r.deleted, r.aborted, r.unreadable.len(), r.errors.len()
    )
}

/// Runs the self-test, then one compaction, on the current thread.
pub async fn once(target: &Target, settings: &Settings, hook: &dyn Fn(&str, Step)) -> Result<Report> {
    let probe = format!("{}-{}", now_secs(), std::process::id());
    let now = now_secs();
    match target {
        Target::Dir(root) => {
            let b = DirBucket::new(root);
            drain_compact::self_test(&b, &probe).await.map_err(anyhow::Error::msg)?;
            Ok(drain_compact::run(&b, settings, now, hook).await)
        }
        Target::S3(bucket) => {
            let b = S3Store::from_env(bucket.clone()).await;
            drain_compact::self_test(&b, &probe).await.map_err(anyhow::Error::msg)?;
            Ok(drain_compact::run(&b, settings, now, hook).await)
        }
    }
}

/// `drain compact`.
pub fn run(args: CompactArgs) -> Result<()> {
    let prefixes = crate::read::Prefixes::load(args.config.as_deref())?;
    let mut settings = Settings {
        prefixes: crate::read::Signal::ALL
            .iter()
            .map(|s| prefixes.of(*s).to_owned())
            .collect(),
        lookback_hours: args.lookback_hours.max(0),
        settle_secs: args.settle_minutes.max(0) * 60,
        max_inputs: args.max_inputs.max(1),
        max_input_bytes: args.max_input_mib.max(1) << 20,
        ..Settings::default()
    };
    if let Some(since) = &args.since {
        let from = crate::read::logs::parse_when(since, now_secs() as i128 * 1_000_000_000).context("--since")?;
        settings.lookback_hours = now_secs().div_euclid(3600) - (from / 3_600_000_000_000) as i64;
    }
    let target = match args.s3_bucket {
        Some(b) => Target::S3(b),
        None => Target::Dir(args.data),
    };
    let crash = args.crash_after;
    let hook = move |part: &str, step: Step| {
        if crash.as_deref() == Some(step.name()) {
            eprintln!(
                "drain compact: stopping the process after {} in {part} (--crash-after)",
                step.name()
            );
            std::process::abort();
        }
    };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let report = rt.block_on(once(&target, &settings, &hook))?;
    for u in &report.unreadable {
        eprintln!("drain compact: left in place, unreadable: {u}");
    }
    for e in &report.errors {
        eprintln!("drain compact: {e}");
    }
    println!("{}", summary(&report));
    if !report.errors.is_empty() {
        bail!(
            "{} partitions stopped on an error; a later run goes on from there",
            report.errors.len()
        );
    }
    Ok(())
}

/// `drain serve`'s timer: a compaction now and then every `every`, on a thread of its own.
pub fn spawn_timer(target: Target, settings: Settings, every: Duration) {
    std::thread::Builder::new()
        .name("compaction".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(rt) => rt,
                Err(e) => return tracing::error!(error = %e, "compaction off: no runtime"),
            };
            loop {
                match rt.block_on(once(&target, &settings, &|_, _| {})) {
                    Ok(r) => {
                        for u in &r.unreadable {
                            tracing::warn!(object = %u, "compaction left an unreadable object in place");
                        }
                        for e in &r.errors {
                            tracing::warn!(error = %e, "compaction stopped in a partition; the next run goes on");
                        }
                        tracing::info!(
                            partitions = r.partitions,
                            committed = r.committed,
                            merged = r.merged,
                            deleted = r.deleted,
                            lines = r.lines,
                            bytes_in = r.bytes_in,
                            bytes_out = r.bytes_out,
                            aborted = r.aborted,
                            "compaction run"
                        );
                    }
                    Err(e) => tracing::error!(error = %e, "compaction did not run; trying again at the next interval"),
                }
                std::thread::sleep(every);
            }
        })
        .expect("a thread for compaction");
}
