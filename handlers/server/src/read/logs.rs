//! `drain logs`: the stored events of a time range, in time order, from a folder or a bucket;
//! with `--follow`, new objects as they land.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use super::blocking::Blocking;
use super::line::{rank, Event, Filter};
use super::merge::{Obj, Reader, Tally};
use super::Prefixes;
use drain_cli::read::{Color, LogsArgs};
use drain_cli::when::parse_when;

const HOUR: i128 = 3_600_000_000_000;
const SECOND: i128 = 1_000_000_000;

/// With `--follow`, objects whose stamp is up to this far before the newest poll are looked for
/// again: a delivery whose events are a little older than the last one seen still shows.
const FOLLOW_LOOKBACK: i128 = 10 * 60 * SECOND;

fn now() -> i128 {
    time::OffsetDateTime::now_utc().unix_timestamp_nanos()
}

/// The partition folder of one source and hour (hours in range: `drain logs` reads years 1970
/// to 9999).
fn partition(prefix: &str, source: &str, hour: i128) -> String {
    drain_layout::partition(prefix, source, hour as i64).expect("hour in range")
}

/// Ranges up to this many hours name their partition folders directly; longer ones list the
/// day folders, then the hour folders of the days in range.
const LIST_DAYS_PAST: i128 = 48;

/// The partition folders of the hours `first..=last`, by hour (only hours that may hold objects).
pub(super) fn partitions(
    b: &Blocking,
    prefix: &str,
    sources: &[String],
    first: i128,
    last: i128,
) -> Result<BTreeMap<i128, Vec<String>>> {
    let mut plan: BTreeMap<i128, Vec<String>> = BTreeMap::new();
    for s in sources {
        if last - first < LIST_DAYS_PAST {
            for hour in first..=last {
                plan.entry(hour).or_default().push(partition(prefix, s, hour));
            }
            continue;
        }
        let source_dir = drain_layout::source_folder(prefix, s);
        for day in b.folders(&source_dir)? {
            let Some(day_hour) = drain_layout::day_of_folder(&day).map(i128::from) else {
                continue;
            };
            if day_hour + 23 < first || day_hour > last {
                continue;
            }
            for h in b.folders(&format!("{source_dir}{day}/"))? {
                let Some(hh) = drain_layout::hour_of_folder(&h).map(i128::from) else {
                    continue;
                };
                let hour = day_hour + hh;
                if (first..=last).contains(&hour) {
                    plan.entry(hour).or_default().push(format!("{source_dir}{day}/{h}/"));
                }
            }
        }
    }
    Ok(plan)
}

/// The key-name stamp of a time, to list only keys after it.
fn stamp(at: i128) -> String {
    drain_layout::stamp(at.div_euclid(SECOND) as i64).expect("time in range")
}

struct Out {
    w: std::io::BufWriter<std::io::Stdout>,
    closed: bool,
}

impl Out {
    fn emit(&mut self, e: Event) -> bool {
        if writeln!(self.w, "{}", e.out).is_err() {
            self.closed = true;
        }
        !self.closed
    }
}

/// A progress line on stderr once a run reads many objects.
struct Progress {
    total: u64,
    last: Instant,
    tty: bool,
    shown: bool,
}

impl Progress {
    fn tick(&mut self, t: &Tally) {
        if self.total < 50 || self.last.elapsed() < Duration::from_millis(if self.tty { 200 } else { 5000 }) {
            return;
        }
        self.last = Instant::now();
        self.shown = true;
        let text = format!(
            "drain logs: read {} of {} objects, {} events",
            t.objects, self.total, t.events
        );
        if self.tty {
            eprint!("\r{text}\x1b[K");
        } else {
            eprintln!("{text}");
        }
    }

    fn done(&mut self) {
        if self.tty && self.shown {
            eprint!("\r\x1b[K");
        }
    }
}

pub fn run(args: LogsArgs) -> Result<()> {
    let prefixes = Prefixes::load(args.config.as_deref())?;
    let prefix = match args.refused {
        true => drain_layout::REFUSED.to_owned(),
        false => prefixes.of(args.signal).to_owned(),
    };
    let start = now();
    let since = parse_when(&args.since, start)?;
    let until = match &args.until {
        Some(u) if args.follow => bail!("--until and --follow can't go together (got --until {u})"),
        Some(u) => parse_when(u, start)?,
        None => i128::MAX,
    };
    if since >= until {
        bail!("--since is not before --until");
    }
    let min_rank = match &args.level {
        Some(l) => Some(rank(l).with_context(|| {
            format!("unknown level '{l}' (trace, debug, info, notice, warning, error, critical, alert, emergency)")
        })?),
        None => None,
    };
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let filter = Arc::new(Filter {
        signal: args.signal,
        min_rank,
        grep: args.grep.clone(),
        since,
        until,
        json: args.json,
        color,
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    args.objects.check_readable()?;
    let bucket = Arc::new(Blocking {
        store: runtime.block_on(crate::store::open(&args.objects, false)),
        rt: runtime.handle().clone(),
    });
    let mut reader = Reader::new(
        bucket.clone(),
        filter,
        args.objects.concurrency(args.concurrency),
        args.buffer_mib << 20,
    );
    let mut out = Out {
        w: std::io::BufWriter::new(std::io::stdout()),
        closed: false,
    };
    let mut progress = Progress {
        total: 0,
        last: Instant::now(),
        tty: std::io::stderr().is_terminal(),
        shown: false,
    };
    // A compacted hour is in the signal's Parquet table (SPEC section 9), whatever format
    // compaction writes now: an earlier run may have written either.
    let table = (!args.refused).then(|| prefixes.table(args.signal));
    let sources = |b: &Blocking| -> Result<Vec<String>> {
        if !args.sources.is_empty() {
            return Ok(args.sources.clone());
        }
        let mut found = BTreeSet::new();
        for p in std::iter::once(&prefix).chain(&table) {
            found.extend(
                b.folders(p)?
                    .into_iter()
                    .filter_map(|f| drain_layout::source_of_folder(&f).map(str::to_owned)),
            );
        }
        Ok(found.into_iter().collect())
    };
    let objects_of = |b: &Blocking, dirs: &[String], hour: i128, after: Option<&str>| -> Result<Vec<Obj>> {
        let mut objs = Vec::new();
        for dir in dirs {
            let after = after.map(|a| format!("{dir}{a}"));
            // A key's stamp is its object's earliest event (SPEC section 4): one stamped at or
            // after `until` holds nothing in range, so it is never read.
            objs.extend(
                b.list(dir, after.as_deref())?
                    .into_iter()
                    .map(|(k, size)| Obj::new(k, hour * HOUR).sized(size))
                    .filter(|o| args.follow || o.stamp < until),
            );
        }
        Ok(objs)
    };
    let srcs = sources(&bucket)?;
    let first_hour = since.div_euclid(HOUR);
    let last_hour = until.min(start).div_euclid(HOUR);
    let mut plan = partitions(&bucket, &prefix, &srcs, first_hour, last_hour)?;
    if let Some(t) = &table {
        for (hour, dirs) in partitions(&bucket, t, &srcs, first_hour, last_hour)? {
            plan.entry(hour).or_default().extend(dirs);
        }
    }
    let mut seen: BTreeSet<(i128, String)> = BTreeSet::new();
    let cutoff = start - FOLLOW_LOOKBACK;
    let remember = |objs: &[Obj], seen: &mut BTreeSet<(i128, String)>| {
        if args.follow {
            seen.extend(
                objs.iter()
                    .filter(|o| o.stamp >= cutoff - HOUR)
                    .map(|o| (o.stamp, o.key.clone())),
            );
        }
    };

    if let Some(limit) = args.limit {
        // Newest hour first; each hour's last events, until there are `limit`.
        let mut hours: Vec<Vec<Event>> = Vec::new();
        let mut have = 0;
        for (&hour, dirs) in plan.iter().rev() {
            if have >= limit {
                break;
            }
            let objs = objects_of(&bucket, dirs, hour, None)?;
            progress.total += objs.len() as u64;
            remember(&objs, &mut seen);
            let want = limit - have;
            let mut ring = std::collections::VecDeque::with_capacity(want.min(4096));
            reader.reset_order();
            reader.run(
                objs,
                &mut |e| {
                    if ring.len() == want {
                        ring.pop_front();
                    }
                    ring.push_back(e);
                    true
                },
                &mut |t| progress.tick(t),
            );
            have += ring.len();
            hours.push(ring.into());
        }
        for e in hours.into_iter().rev().flatten() {
            if !out.emit(e) {
                break;
            }
        }
    } else {
        for (&hour, dirs) in &plan {
            let objs = objects_of(&bucket, dirs, hour, None)?;
            progress.total += objs.len() as u64;
            remember(&objs, &mut seen);
            if !reader.run(objs, &mut |e| out.emit(e), &mut |t| progress.tick(t)) {
                break;
            }
        }
    }
    progress.done();
    let _ = out.w.flush();

    if args.follow && !out.closed {
        let interval = Duration::from_secs_f64(args.interval.max(0.1));
        loop {
            std::thread::sleep(interval);
            let now = now();
            let cutoff = now - FOLLOW_LOOKBACK;
            let srcs = sources(&bucket)?;
            let mut fresh = Vec::new();
            for hour in cutoff.div_euclid(HOUR)..=now.div_euclid(HOUR) {
                let after = (hour == cutoff.div_euclid(HOUR)).then(|| stamp(cutoff));
                let dirs: Vec<String> = srcs.iter().map(|s| partition(&prefix, s, hour)).collect();
                for o in objects_of(&bucket, &dirs, hour, after.as_deref())? {
                    // Only delivery objects are new to a follower: a compacted output (its name
                    // has no stamp, so it sorts after every `after`) holds events already printed
                    // from the deliveries it merged, when compaction runs inside the lookback
                    // (`--settle-minutes` under 10).
                    if drain_layout::is_delivery(&o.key) && !seen.contains(&(o.stamp, o.key.clone())) {
                        fresh.push(o);
                    }
                }
            }
            remember(&fresh, &mut seen);
            seen.retain(|(s, _)| *s >= cutoff - SECOND);
            reader.reset_order();
            if !reader.run(fresh, &mut |e| out.emit(e), &mut |_| {}) || out.w.flush().is_err() {
                break;
            }
        }
    }
    let t = reader.tally;
    if t.bad > 0 {
        eprintln!(
            "drain logs: {} object(s) could not be read whole (above); the rest were read",
            t.bad
        );
    }
    if t.out_of_order > 0 {
        eprintln!(
            "drain logs: {} event(s) printed out of time order: more than --buffer-mib {} of events overlapped",
            t.out_of_order, args.buffer_mib
        );
    }
    Ok(())
}

#[cfg(test)]
#[path = "logs_tests.rs"]
mod tests;
