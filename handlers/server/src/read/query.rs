//! One read of a time range for `drain ui`'s API: the same listing, bounds and reader as `drain
//! logs` (data and table partitions, objects merged in time order within a buffer), answering
//! with the newest events of the range (a page, with a cursor for the next), or with counts per
//! time bucket and level, never holding more than the page or the counts.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use anyhow::Result;
use serde_json::value::RawValue;

use super::blocking::Blocking;
use super::line::{parse_time, Event, Filter};
use super::merge::{Obj, Reader};
use super::{Prefixes, Signal};

const HOUR: i128 = 3_600_000_000_000;

/// What to read.
#[derive(Debug, Clone)]
pub struct Range {
    pub signal: Signal,
    /// Empty: every source found.
    pub sources: Vec<String>,
    pub since: i128,
    pub until: i128,
    pub min_rank: Option<u8>,
    pub grep: Option<String>,
}

/// The sources of a signal: those with a data or a table partition.
pub fn sources(b: &Blocking, p: &Prefixes, signal: Signal) -> Result<Vec<String>> {
    let mut found = BTreeSet::new();
    for prefix in [p.of(signal).to_owned(), p.table(signal)] {
        found.extend(
            b.folders(&prefix)?
                .into_iter()
                .filter_map(|f| drain_layout::source_of_folder(&f).map(str::to_owned)),
        );
    }
    Ok(found.into_iter().collect())
}

/// The objects of each hour of the range, data and table partitions alike, newest hour last.
fn plan(b: &Blocking, p: &Prefixes, r: &Range) -> Result<BTreeMap<i128, Vec<Obj>>> {
    let sources = if r.sources.is_empty() {
        sources(b, p, r.signal)?
    } else {
        r.sources.clone()
    };
    let (first, last) = (r.since.div_euclid(HOUR), (r.until - 1).div_euclid(HOUR));
    let mut out: BTreeMap<i128, Vec<Obj>> = BTreeMap::new();
    for prefix in [p.of(r.signal).to_owned(), p.table(r.signal)] {
        for (hour, dirs) in super::logs::partitions(b, &prefix, &sources, first, last)? {
            for dir in dirs {
                out.entry(hour).or_default().extend(
                    b.list(&dir, None)?
                        .into_iter()
                        .map(|(k, size)| Obj::new(k, hour * HOUR).sized(size))
                        .filter(|o| o.stamp < r.until),
                );
            }
        }
    }
    Ok(out)
}

/// A reader over the range's filters, printing stored lines as they are.
/// Reads one hour's objects in time order, each event that passes the range's filter handed to
/// `emit` (false stops the hour); the objects that could not be read whole go to `bad`.
fn read_hour(
    b: &Arc<Blocking>,
    r: &Range,
    objs: Vec<Obj>,
    (concurrency, buffer): (usize, usize),
    bad: &mut Vec<String>,
    emit: &mut dyn FnMut(Event) -> bool,
) {
    let filter = Filter {
        signal: r.signal,
        min_rank: r.min_rank,
        grep: r.grep.clone(),
        since: r.since,
        until: r.until,
        json: true,
        color: false,
    };
    let mut reader = Reader::new(b.clone(), Arc::new(filter), concurrency, buffer);
    reader.run(objs, emit, &mut |_| {});
    bad.append(&mut reader.bad);
}

/// A page of events, newest first.
#[derive(Debug)]
pub struct Page {
    /// (time in ns, the stored line), newest first.
    pub events: Vec<(i128, String)>,
    /// Whether older events remain in the range.
    pub more: bool,
    /// Objects that could not be read whole (the first few, each with why).
    pub bad: Vec<String>,
}

/// The newest `limit` events of the range, after dropping the newest `skip` events at exactly
/// `until - 1` (the cursor of a previous page: its oldest time and how many at that time it held).
pub fn newest(
    b: &Arc<Blocking>,
    p: &Prefixes,
    r: &Range,
    limit: usize,
    skip: usize,
    concurrency: usize,
    buffer: usize,
) -> Result<Page> {
    let plan = plan(b, p, r)?;
    let want = limit + skip + 1;
    let mut hours: Vec<Vec<(i128, String)>> = Vec::new();
    let mut have = 0;
    let mut bad = Vec::new();
    for (_, objs) in plan.into_iter().rev() {
        if have >= want {
            break;
        }
        let mut ring = std::collections::VecDeque::with_capacity((want - have).min(4096));
        let room = want - have;
        read_hour(b, r, objs, (concurrency, buffer), &mut bad, &mut |e| {
            if ring.len() == room {
                ring.pop_front();
            }
            ring.push_back((e.at, e.out));
            true
        });
        have += ring.len();
        hours.push(ring.into());
    }
    // Oldest first, across hours.
    let mut all: Vec<(i128, String)> = hours.into_iter().rev().flatten().collect();
    let last = r.until - 1;
    let mut dropped = 0;
    while dropped < skip && all.last().is_some_and(|(at, _)| *at == last) {
        all.pop();
        dropped += 1;
    }
    let more = all.len() > limit;
    let start = all.len().saturating_sub(limit);
    let mut events = all.split_off(start);
    events.reverse();
    bad.truncate(20);
    Ok(Page { events, more, bad })
}

/// The oldest `limit` events of the range, after dropping the oldest `skip` events at exactly
/// `since` (the cursor of a previous page read oldest first). Hours are read oldest first and the
/// read stops once the page is full.
pub fn oldest(
    b: &Arc<Blocking>,
    p: &Prefixes,
    r: &Range,
    limit: usize,
    skip: usize,
    concurrency: usize,
    buffer: usize,
) -> Result<Page> {
    let plan = plan(b, p, r)?;
    let mut events: Vec<(i128, String)> = Vec::new();
    let mut skipped = 0;
    let mut bad = Vec::new();
    let mut more = false;
    for (_, objs) in plan {
        if more {
            break;
        }
        read_hour(b, r, objs, (concurrency, buffer), &mut bad, &mut |e| {
            if skipped < skip && e.at == r.since {
                skipped += 1;
                return true;
            }
            if events.len() == limit {
                more = true;
                return false;
            }
            events.push((e.at, e.out));
            true
        });
    }
    bad.truncate(20);
    Ok(Page { events, more, bad })
}

/// Events per (bucket start in ns, level class).
pub type Counts = BTreeMap<(i128, &'static str), u64>;

/// Counts per time bucket (`width` ns from `since`) and level class, and the objects that could
/// not be read.
pub fn counts(
    b: &Arc<Blocking>,
    p: &Prefixes,
    r: &Range,
    width: i128,
    concurrency: usize,
    buffer: usize,
) -> Result<(Counts, Vec<String>)> {
    let mut out = BTreeMap::new();
    let mut bad = Vec::new();
    for (_, objs) in plan(b, p, r)? {
        read_hour(b, r, objs, (concurrency, buffer), &mut bad, &mut |e| {
            let bucket = r.since + (e.at - r.since).div_euclid(width) * width;
            *out.entry((bucket, level_class(r.signal, &e.out))).or_insert(0) += 1;
            true
        });
    }
    bad.truncate(20);
    Ok((out, bad))
}

/// The level a line is drawn in: the canonical name of its level (`warn` is `warning`), `other`
/// for one drain can't rank, `none` without one; spans are `error` or `ok` by status, metric
/// points `info`.
pub fn level_class(signal: Signal, line: &str) -> &'static str {
    #[derive(serde::Deserialize)]
    struct L<'a> {
        #[serde(borrow)]
        level: Option<&'a RawValue>,
        #[serde(borrow)]
        status_code: Option<&'a RawValue>,
    }
    let Ok(l) = serde_json::from_str::<L>(line) else {
        return "other";
    };
    match signal {
        Signal::Traces => {
            if l.status_code.is_some_and(|s| s.get() == "\"error\"") {
                "error"
            } else {
                "ok"
            }
        }
        Signal::Metrics => "info",
        Signal::Logs => {
            let Some(raw) = l.level else { return "none" };
            let text: String = serde_json::from_str(raw.get()).unwrap_or_else(|_| raw.get().to_owned());
            match drain_core::controls::rank(&text) {
                Some(r) => LEVELS[usize::from(r)],
                None => "other",
            }
        }
    }
}

/// The canonical level names by rank (`drain_core::controls::rank`).
pub const LEVELS: [&str; 9] = [
    "trace",
    "debug",
    "info",
    "notice",
    "warning",
    "error",
    "critical",
    "alert",
    "emergency",
];

/// An RFC 3339 time or unix milliseconds, as nanoseconds.
pub fn time_param(s: &str) -> Option<i128> {
    s.parse::<i64>()
        .ok()
        .map(|ms| i128::from(ms) * 1_000_000)
        .or_else(|| parse_time(s))
}
