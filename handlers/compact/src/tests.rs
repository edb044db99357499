//! The protocol against an in-memory store that can fail at any operation, interleave two runs
//! and deliveries, or ignore conditions: after every crash and a rerun, each stored line exists
//! exactly once. Every test runs for both formats (Parquet tables and gzip NDJSON).

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::io::{Read, Write};
use std::pin::Pin;
use std::task::{Context, Poll};

use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use futures_util::future::join;

use super::*;

/// logs/, source `app`, 2026-11-22 hour 10 (`drain_layout::partition`, checked below).
const PART: &str = "logs/drain=app/day=2026-11-22/hour=10/";
/// Its table partition (`drain_layout::table_partition`), where its Parquet outputs go.
const TABLE: &str = "tables/logs/drain=app/day=2026-11-22/hour=10/";
/// 2026-11-22T12:00:00Z: hour 10 is closed.
const NOW: i64 = 1_795_348_800;

/// A bucket in memory. Every operation counts; the `fail_at`-th fails (before or after it takes
/// effect) and every later one too, as if the process died there.
#[derive(Default)]
struct Mem {
    objects: RefCell<BTreeMap<String, (Vec<u8>, u64)>>,
    version: Cell<u64>,
    ops: Cell<usize>,
    fail_at: Cell<Option<(usize, bool)>>,
    dead: Cell<bool>,
    ignore_conditions: bool,
    /// Seed of the yields that interleave concurrent runs (0: never yield).
    seed: Cell<u64>,
    /// Answered once, instead of the current objects, to the next listing of its prefix: a
    /// listing taken before another run wrote.
    stale: RefCell<Option<(String, Vec<Listed>)>>,
    /// The keys read, in order.
    got: RefCell<Vec<String>>,
}

struct YieldNow(u64);

impl Future for YieldNow {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 == 0 {
            return Poll::Ready(());
        }
        self.0 -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

impl Mem {
    async fn op(&self) -> Result<bool, drain_store::Error> {
        let s = self.seed.get();
        if s != 0 {
            let s = s ^ (s << 13) ^ (s >> 7) ^ (s << 17);
            self.seed.set(s);
            YieldNow(s % 3).await;
        }
        if self.dead.get() {
            return Err(drain_store::Error::other("dead"));
        }
        let n = self.ops.get() + 1;
        self.ops.set(n);
        match self.fail_at.get() {
            Some((at, after)) if at == n => {
                self.dead.set(true);
                Ok(after)
            }
            _ => Ok(true),
        }
    }

    fn failed(&self) -> Result<(), drain_store::Error> {
        if self.dead.get() {
            Err(drain_store::Error::other("injected failure"))
        } else {
            Ok(())
        }
    }

    fn insert(&self, key: &str, body: Vec<u8>) -> String {
        let v = self.version.get() + 1;
        self.version.set(v);
        self.objects.borrow_mut().insert(key.to_owned(), (body, v));
        format!("\"{v}\"")
    }

    fn revive(&self) {
        self.dead.set(false);
        self.fail_at.set(None);
    }
}

impl Store for Mem {
    async fn list(&self, prefix: &str, _: Option<&str>) -> Result<Vec<Listed>, drain_store::Error> {
        self.op().await?;
        let stale = self.stale.borrow_mut().take_if(|(p, _)| p == prefix);
        if let Some((_, old)) = stale {
            return Ok(old);
        }
        Ok(self
            .objects
            .borrow()
            .range(prefix.to_owned()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, (b, v))| Listed {
                key: k.clone(),
                etag: format!("\"{v}\""),
                size: b.len() as u64,
            })
            .collect())
    }

    async fn folders(&self, prefix: &str) -> Result<Vec<String>, drain_store::Error> {
        self.op().await?;
        let mut out: Vec<String> = self
            .objects
            .borrow()
            .keys()
            .filter_map(|k| Some(k.strip_prefix(prefix)?.split_once('/')?.0.to_owned()))
            .collect();
        out.dedup();
        Ok(out)
    }

    async fn get(&self, key: &str) -> Result<Option<(Vec<u8>, String)>, drain_store::Error> {
        self.op().await?;
        self.got.borrow_mut().push(key.to_owned());
        Ok(self
            .objects
            .borrow()
            .get(key)
            .map(|(b, v)| (b.clone(), format!("\"{v}\""))))
    }

    async fn put(&self, key: &str, body: Vec<u8>, _: &str, cond: Cond<'_>) -> Result<Wrote, drain_store::Error> {
        if !self.op().await? {
            return self.failed().map(|_| Wrote::Refused);
        }
        let current = self.objects.borrow().get(key).map(|(_, v)| format!("\"{v}\""));
        let holds = self.ignore_conditions
            || match cond {
                Cond::IfAbsent => current.is_none(),
                Cond::IfMatch(e) => current.as_deref() == Some(e),
                Cond::Always => true,
            };
        let wrote = if holds {
            Wrote::Done {
                etag: self.insert(key, body),
            }
        } else {
            Wrote::Refused
        };
        self.failed().map(|_| wrote)
    }

    async fn get_range(&self, key: &str, start: u64, len: u64) -> Result<Option<Vec<u8>>, drain_store::Error> {
        Ok(self.get(key).await?.map(|(b, _)| {
            let s = (start as usize).min(b.len());
            b[s..(s + len as usize).min(b.len())].to_vec()
        }))
    }

    fn describe(&self) -> String {
        "memory".into()
    }

    async fn delete(&self, key: &str, if_match: Option<&str>) -> Result<(), drain_store::Error> {
        if !self.op().await? {
            return self.failed();
        }
        let mut objects = self.objects.borrow_mut();
        let matches = match (objects.get(key), if_match) {
            (Some((_, v)), Some(e)) => format!("\"{v}\"") == e,
            _ => true,
        };
        if matches {
            objects.remove(key);
        }
        drop(objects);
        self.failed()
    }
}

thread_local! {
    /// Whether this thread's test is running its NDJSON pass.
    static NDJSON: Cell<bool> = const { Cell::new(false) };
}

/// Runs a test once compacting to Parquet, once to NDJSON.
fn each_format(test: impl Fn()) {
    for ndjson in [false, true] {
        NDJSON.with(|n| n.set(ndjson));
        test();
    }
}

fn ndjson() -> bool {
    NDJSON.with(Cell::get)
}

/// The default settings of this pass's format.
fn base() -> Settings {
    Settings {
        tables: (!ndjson()).then(|| "tables/".to_owned()),
        ..Settings::default()
    }
}

/// The compaction outputs of `PART`, where this pass's format puts them.
fn outputs(mem: &Mem) -> Vec<String> {
    keys(mem, |k| {
        (k.starts_with(PART) || k.starts_with(TABLE)) && !is_delivery(k)
    })
}

fn gz(lines: &[String]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), flate2::Compression::fast());
    for l in lines {
        e.write_all(l.as_bytes()).unwrap();
        e.write_all(b"\n").unwrap();
    }
    e.finish().unwrap()
}

/// Stores `n` deliveries of 1..=5 lines into `part`, named like the handlers name them.
fn deliver(mem: &Mem, part: &str, from: usize, n: usize) {
    for i in from..from + n {
        let lines: Vec<String> = (0..1 + i % 5)
            .map(|j| {
                format!(
                    r#"{{"dt":"2026-11-22T10:{:02}:00Z","message":"event {i}.{j}","drain":"app"}}"#,
                    i % 60
                )
            })
            .collect();
        mem.insert(
            &format!("{part}20261122T10{:02}00Z-{i:04x}.ndjson.gz", i % 60),
            gz(&lines),
        );
    }
}

/// Every line under the data prefixes, with how often it is stored.
fn lines(mem: &Mem) -> HashMap<String, usize> {
    let mut out = HashMap::new();
    for (k, (body, _)) in mem.objects.borrow().iter() {
        if k.starts_with(MANIFESTS) {
            continue;
        }
        if k.ends_with(".parquet") {
            let counted = crate::table::each_row(body.clone(), |l| {
                *out.entry(String::from_utf8(l.to_vec()).unwrap()).or_default() += 1;
            });
            if counted.is_err() {
                *out.entry(format!("unreadable {k}")).or_default() += 1;
            }
            continue;
        }
        if !k.ends_with(".ndjson.gz") {
            continue;
        }
        let mut text = String::new();
        if MultiGzDecoder::new(&body[..]).read_to_string(&mut text).is_err() {
            *out.entry(format!("unreadable {k}")).or_default() += 1;
            continue;
        }
        for l in text.lines().filter(|l| !l.is_empty()) {
            *out.entry(l.to_owned()).or_default() += 1;
        }
    }
    out
}

/// The stored lines are `want`, each as often; a failure names a few differences only.
fn same(got: &HashMap<String, usize>, want: &HashMap<String, usize>, context: &str) {
    let mut diff: Vec<String> = want
        .iter()
        .filter(|(l, n)| got.get(*l) != Some(n))
        .map(|(l, n)| format!("{l}: {n} stored before, {} now", got.get(l).unwrap_or(&0)))
        .chain(
            got.keys()
                .filter(|l| !want.contains_key(*l))
                .map(|l| format!("{l}: new")),
        )
        .collect();
    diff.sort();
    assert!(
        diff.is_empty(),
        "{context}: {} lines differ, e.g. {:?}",
        diff.len(),
        &diff[..diff.len().min(3)]
    );
}

fn keys(mem: &Mem, pred: impl Fn(&str) -> bool) -> Vec<String> {
    mem.objects.borrow().keys().filter(|k| pred(k)).cloned().collect()
}

fn manifests(mem: &Mem) -> Vec<Manifest> {
    mem.objects
        .borrow()
        .iter()
        .filter(|(k, _)| k.starts_with(MANIFESTS))
        .map(|(_, (b, _))| Manifest::parse(b).unwrap())
        .collect()
}

fn run_once(mem: &Mem, settings: &Settings) -> Report {
    futures_executor::block_on(run(mem, settings, NOW, &|_, _| {}))
}

/// The state a finished compaction must leave: no delivery objects in `PART` (when it had at
/// least `min_inputs`), no pending manifest, every output named by a committed manifest.
fn assert_settled(mem: &Mem) {
    assert_eq!(
        keys(mem, |k| k.starts_with(PART) && is_delivery(k)),
        Vec::<String>::new()
    );
    let ms = manifests(mem);
    assert!(ms.iter().all(|m| m.state != State::Pending), "{ms:#?}");
    for out in outputs(mem) {
        assert!(
            ms.iter().any(|m| m.state == State::Committed && m.output == out),
            "{out} is an orphan"
        );
    }
}

#[test]
fn an_hour_becomes_one_object_and_a_rerun_changes_nothing() {
    each_format(|| {
        let mem = Mem::default();
        deliver(&mem, PART, 0, 50);
        deliver(&mem, "logs/drain=app/day=2026-11-22/hour=11/", 100, 5); // not closed at NOW
        let before = lines(&mem);
        let r = run_once(&mem, &base());
        assert_eq!(
            (r.committed, r.merged, r.deleted, r.errors.len()),
            (1, 50, 50, 0),
            "{r:?}"
        );
        same(&lines(&mem), &before, "");
        assert_settled(&mem);
        let outputs = outputs(&mem);
        assert_eq!(outputs.len(), 1);
        let want = if ndjson() {
            (PART, ".ndjson.gz")
        } else {
            (TABLE, ".parquet")
        };
        assert!(
            outputs[0].starts_with(want.0) && outputs[0].ends_with(want.1),
            "{outputs:?}"
        );
        assert_eq!(keys(&mem, |k| k.contains("hour=11/")).len(), 5);
        let snapshot = mem.objects.borrow().clone();
        let again = run_once(&mem, &base());
        assert_eq!((again.committed, again.deleted), (0, 0));
        assert_eq!(*mem.objects.borrow(), snapshot);
    });
}

#[test]
fn a_crash_at_any_operation_then_a_rerun_loses_and_doubles_nothing() {
    each_format(|| {
        let settings = Settings {
            max_inputs: 7,
            ..base()
        };
        let clean = Mem::default();
        deliver(&clean, PART, 0, 20);
        run_once(&clean, &settings);
        let total = clean.ops.get();
        assert!(total > 40, "{total} operations");
        for at in 1..=total {
            for after in [false, true] {
                let mem = Mem::default();
                deliver(&mem, PART, 0, 20);
                let before = lines(&mem);
                mem.fail_at.set(Some((at, after)));
                run_once(&mem, &settings);
                mem.revive();
                let r = run_once(&mem, &settings);
                assert!(r.errors.is_empty(), "crash at {at} ({after}): {r:?}");
                same(
                    &lines(&mem),
                    &before,
                    &format!("crash at operation {at} (after: {after})"),
                );
                assert_settled(&mem);
            }
        }
    });
}

#[test]
fn a_crash_after_each_step_then_a_rerun_loses_and_doubles_nothing() {
    each_format(|| {
        for step in Step::ALL {
            let mem = Mem::default();
            deliver(&mem, PART, 0, 12);
            let before = lines(&mem);
            let hook = |_: &str, s: Step| {
                if s == step {
                    mem.dead.set(true);
                }
            };
            let r = futures_executor::block_on(run(&mem, &base(), NOW, &hook));
            assert!(!r.errors.is_empty(), "{step:?} should have stopped the run");
            mem.revive();
            run_once(&mem, &base());
            same(&lines(&mem), &before, &format!("after {step:?}"));
            assert_settled(&mem);
        }
    });
}

#[test]
fn two_runs_at_once_commit_each_line_once() {
    each_format(|| {
        for seed in 1..=60u64 {
            let mem = Mem {
                seed: Cell::new(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
                ..Mem::default()
            };
            deliver(&mem, PART, 0, 30);
            let before = lines(&mem);
            let settings = Settings {
                max_inputs: 8,
                ..base()
            };
            let (a, b) = futures_executor::block_on(join(
                run(&mem, &settings, NOW, &|_, _| {}),
                run(&mem, &settings, NOW, &|_, _| {}),
            ));
            same(&lines(&mem), &before, &format!("seed {seed}: {a:?} {b:?}"));
            run_once(&mem, &settings);
            same(&lines(&mem), &before, &format!("seed {seed}"));
            assert_settled(&mem);
        }
    });
}

#[test]
fn deliveries_racing_a_run_are_kept_and_compacted_later() {
    each_format(|| {
        for seed in 1..=30u64 {
            let mem = Mem {
                seed: Cell::new(seed.wrapping_mul(0x2545_F491_4F6C_DD1D)),
                ..Mem::default()
            };
            deliver(&mem, PART, 0, 20);
            let settings = Settings {
                max_inputs: 6,
                ..base()
            };
            let live = async {
                for i in 0..10 {
                    YieldNow(3).await;
                    deliver(&mem, PART, 1000 + i, 1);
                }
            };
            futures_executor::block_on(join(run(&mem, &settings, NOW, &|_, _| {}), live));
            let before = {
                let check = Mem::default();
                deliver(&check, PART, 0, 20);
                for i in 0..10 {
                    deliver(&check, PART, 1000 + i, 1);
                }
                lines(&check)
            };
            same(&lines(&mem), &before, &format!("seed {seed}"));
            run_once(&mem, &settings);
            same(&lines(&mem), &before, &format!("seed {seed}"));
            assert_settled(&mem);
        }
    });
}

#[test]
fn an_input_deleted_behind_its_back_aborts_the_generation_and_the_rest_is_compacted() {
    each_format(|| {
        let mem = Mem::default();
        deliver(&mem, PART, 0, 10);
        let victim = keys(&mem, |k| k.starts_with(PART))[3].clone();
        let victim_lines = lines(&mem).len();
        let hook = |_: &str, s: Step| {
            if s == Step::Claimed && mem.objects.borrow().contains_key(&victim) {
                mem.objects.borrow_mut().remove(&victim);
            }
        };
        let r = futures_executor::block_on(run(&mem, &base(), NOW, &hook));
        assert_eq!((r.aborted, r.committed, r.merged), (1, 1, 9), "{r:?}");
        let after = lines(&mem);
        assert_eq!(after.values().sum::<usize>(), after.len(), "no line twice");
        // The fourth delivery (number 3) holds 1 + 3 % 5 = 4 lines.
        assert_eq!(
            victim_lines - after.len(),
            4,
            "only the deleted object's lines are gone"
        );
        assert_settled(&mem);
        let ms = manifests(&mem);
        assert_eq!(ms[0].state, State::Aborted);
        assert!(ms[0].why.as_deref().unwrap().contains("vanished"), "{:?}", ms[0].why);
    });
}

#[test]
fn a_listing_older_than_another_runs_commit_is_no_error() {
    each_format(|| {
        // Run A commits a generation and stops before deleting; run B's listing of the hour was
        // taken before A wrote the output, but B reads A's manifest as committed.
        let mem = Mem::default();
        deliver(&mem, PART, 0, 8);
        let before = lines(&mem);
        let old = futures_executor::block_on(mem.list(PART, None)).unwrap();
        let hook = |_: &str, s: Step| {
            if s == Step::Committed {
                mem.dead.set(true);
            }
        };
        futures_executor::block_on(run(&mem, &base(), NOW, &hook));
        mem.revive();
        *mem.stale.borrow_mut() = Some((PART.to_owned(), old));
        let r = run_once(&mem, &base());
        assert!(r.errors.is_empty(), "{r:?}");
        assert_eq!(r.deleted, 8, "{r:?}");
        same(&lines(&mem), &before, "");
        assert_settled(&mem);
    });
}

#[test]
fn unreadable_objects_stay_in_place_and_are_reported() {
    each_format(|| {
        let mem = Mem::default();
        deliver(&mem, PART, 0, 6);
        let not_gzip = format!("{PART}20261122T100000Z-bad1.ndjson.gz");
        let not_json = format!("{PART}20261122T100000Z-bad2.ndjson.gz");
        mem.insert(&not_gzip, b"not gzip at all".to_vec());
        mem.insert(&not_json, gz(&[r#"{"ok":1}"#.into(), "[1,2]".into()]));
        let r = run_once(&mem, &base());
        assert_eq!((r.committed, r.merged, r.unreadable.len()), (1, 6, 2), "{r:?}");
        assert!(
            r.unreadable.iter().any(|u| u.contains("line 2 is not a JSON object")),
            "{r:?}"
        );
        let left = keys(&mem, |k| k.starts_with(PART) && is_delivery(k));
        assert_eq!(left, vec![not_gzip, not_json]);
        let again = run_once(&mem, &base());
        assert_eq!((again.committed, again.deleted, again.unreadable.len()), (0, 0, 0));
    });
}

/// Issue 28, item 3: a sender's retry after the commit re-creates a delivery key the committed
/// manifest names (same key, same events, a new version). Recovery deleted it only at the old
/// version, so on S3 and the folder it stayed, doubled for good; it is deleted on the next run.
#[test]
fn a_retry_that_recreates_a_compacted_delivery_is_stored_once_after_the_next_run() {
    each_format(|| {
        let mem = Mem::default();
        deliver(&mem, PART, 0, 10);
        let before = lines(&mem);
        let retried = keys(&mem, |k| k.starts_with(PART) && is_delivery(k))[3].clone();
        let body = mem.objects.borrow()[&retried].0.clone();
        let r = run_once(&mem, &base());
        assert_eq!((r.committed, r.deleted), (1, 10), "{r:?}");
        // The retry lands after the commit and the deletes.
        mem.insert(&retried, body);
        let again = run_once(&mem, &base());
        assert_eq!(
            (again.committed, again.deleted, again.errors.len()),
            (0, 1, 0),
            "{again:?}"
        );
        same(&lines(&mem), &before, "after the retry and the next run");
        assert_settled(&mem);
    });
}

#[test]
fn a_late_delivery_becomes_a_later_generation() {
    each_format(|| {
        let mem = Mem::default();
        deliver(&mem, PART, 0, 5);
        run_once(&mem, &base());
        deliver(&mem, PART, 10, 3);
        let before = lines(&mem);
        let r = run_once(&mem, &base());
        assert_eq!((r.committed, r.merged), (1, 3));
        same(&lines(&mem), &before, "");
        let outputs = outputs(&mem);
        assert!(
            outputs[0].contains("/c000001-") && outputs[1].contains("/c000002-"),
            "{outputs:?}"
        );
        assert_settled(&mem);
    });
}

#[test]
fn outputs_stay_within_the_input_bound_and_big_objects_stay_as_they_are() {
    each_format(|| {
        let mem = Mem::default();
        deliver(&mem, PART, 0, 40);
        let big = format!("{PART}20261122T100000Z-big.ndjson.gz");
        let huge: Vec<String> = (0..2000)
            .map(|i| format!(r#"{{"n":{i},"pad":"{:x}"}}"#, i * 7919))
            .collect();
        mem.insert(&big, gz(&huge));
        let big_size = mem.objects.borrow()[&big].0.len() as u64;
        let settings = Settings {
            max_input_bytes: big_size - 1,
            ..base()
        };
        let before = lines(&mem);
        let r = run_once(&mem, &settings);
        assert!(r.committed >= 1);
        same(&lines(&mem), &before, "");
        assert_eq!(keys(&mem, |k| k.starts_with(PART) && is_delivery(k)), vec![big]);
        for k in outputs(&mem) {
            let size = mem.objects.borrow()[&k].0.len() as u64;
            assert!(size <= big_size, "{k}: {size} bytes");
        }
    });
}

#[test]
fn a_store_that_ignores_conditions_is_refused() {
    let honest = Mem::default();
    futures_executor::block_on(self_test(&honest, "p1")).unwrap();
    assert!(honest.objects.borrow().is_empty(), "the probe is cleaned up");
    let liar = Mem {
        ignore_conditions: true,
        ..Mem::default()
    };
    let e = futures_executor::block_on(self_test(&liar, "p1")).unwrap_err();
    assert!(e.contains("ignores conditional writes"), "{e}");
}

#[test]
fn names_hours_and_partitions() {
    // The names themselves are drain-layout's golden tests; a temp file is never an input.
    assert!(!is_delivery(&format!("{PART}.20261122T100000Z-ab.ndjson.gz.1-2.tmp")));
    let m = Manifest::claim(PART, None, 1, &[]);
    assert!(!is_delivery(&m.output) && m.output.starts_with(PART) && m.output.ends_with(".ndjson.gz"));
    let m = Manifest::claim(PART, Some(TABLE), 1, &[]);
    assert!(
        m.output.starts_with(TABLE) && m.output.ends_with(".parquet"),
        "{}",
        m.output
    );
    assert_eq!(drain_layout::table_partition("tables/", "logs", PART).unwrap(), TABLE);
    assert_eq!(Manifest::key(PART, 12), drain_layout::manifest_key(PART, 12));
    let s = base();
    // At 12:00 with 15 minutes to settle, 10:00 is the last closed hour; at 11:20, 10:00 too.
    assert_eq!(*due_hours(&s, NOW).end(), NOW / 3600 - 2);
    assert_eq!(*due_hours(&s, NOW - 40 * 60).end(), NOW / 3600 - 2);
    assert_eq!(*due_hours(&s, NOW - 50 * 60).end(), NOW / 3600 - 3);
    assert_eq!(due_hours(&s, NOW).count(), 47);
    assert_eq!(drain_layout::partition("logs/", "app", NOW / 3600 - 2).unwrap(), PART);
}

/// Issue 28, item 5: a generation was bounded by stored bytes only, so inputs that inflate
/// 1,000 : 1 could make one outlast every run. It now stops taking inputs once its lines pass
/// `max_inflated_bytes`; the rest go to the next generation, and one run still settles the hour.
#[test]
fn a_generation_of_highly_compressible_inputs_stops_at_the_inflated_bound() {
    each_format(|| {
        let mem = Mem::default();
        for i in 0..12 {
            // ~20 KB of lines each, a few hundred bytes stored.
            let lines: Vec<String> = (0..100)
                .map(|j| {
                    format!(
                        r#"{{"dt":"2026-11-22T10:00:{i:02}Z","message":"{}","n":{j}}}"#,
                        "x".repeat(150)
                    )
                })
                .collect();
            mem.insert(&format!("{PART}20261122T1000{i:02}Z-{i:04x}.ndjson.gz"), gz(&lines));
        }
        let before = lines(&mem);
        let settings = Settings {
            max_inflated_bytes: 50_000,
            max_table_bytes: 50_000,
            ..base()
        };
        let r = run_once(&mem, &settings);
        assert_eq!((r.merged, r.deleted, r.errors.len()), (12, 12, 0), "{r:?}");
        // NDJSON stops after the input that passes the bound: three (~60 KB) per generation.
        // Parquet holds its lines, so it stops before the one that would: two (~40 KB).
        let per = if ndjson() { 3 } else { 2 };
        // Inputs are fetched ahead only as far as the room goes: each is read once, and a
        // Parquet generation reads the one it stops before (read again by the next) at most.
        let reads = mem.got.borrow().iter().filter(|k| crate::is_delivery(k)).count();
        let again = if ndjson() { 0 } else { 12 / per - 1 };
        assert!(reads <= 12 + again, "{reads} reads of 12 inputs");
        assert_eq!(r.committed, 12 / per, "{per} inputs per generation: {r:?}");
        same(&lines(&mem), &before, "");
        assert_settled(&mem);
        for m in manifests(&mem) {
            assert_eq!(m.inputs.len(), per, "generation {}", m.generation);
        }
    });
}

/// Issue 28, item 5: every run began with the same partition, so one that outlasted a run kept
/// the ones after it from ever being compacted. The first partition moves with the hour.
#[test]
fn runs_start_at_a_partition_that_moves_with_the_hour() {
    each_format(|| {
        let firsts: Vec<String> = (0..3)
            .map(|h| {
                let mem = Mem::default();
                for hour in 0..3 {
                    deliver(&mem, &format!("logs/drain=app/day=2026-11-22/hour=0{hour}/"), 0, 2);
                }
                let order = RefCell::new(Vec::new());
                futures_executor::block_on(run(&mem, &base(), NOW + h * 3600, &|p, step| {
                    if step == Step::Claimed {
                        order.borrow_mut().push(p.to_owned());
                    }
                }));
                order.into_inner()[0].clone()
            })
            .collect();
        assert_eq!(
            firsts.iter().collect::<std::collections::BTreeSet<_>>().len(),
            3,
            "{firsts:?}"
        );
    });
}

/// The Lambda function's and the compaction Worker's variables (issue 31): the format and the
/// tables prefix, refused when they can't be used.
#[test]
fn the_hosts_variables_choose_the_format() {
    let vars = |pairs: &'static [(&'static str, &'static str)]| {
        move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
    };
    let s = Settings::from_vars(vars(&[])).unwrap();
    assert_eq!((s.tables.as_deref(), s.prefixes.len()), (Some("tables/"), 3));
    let s = Settings::from_vars(vars(&[
        ("DRAIN_COMPACT_FORMAT", "ndjson"),
        ("DRAIN_COMPACT_PREFIXES", "a/ b/ c/"),
    ]))
    .unwrap();
    assert_eq!(
        (s.tables, s.prefixes),
        (None, vec!["a/".to_owned(), "b/".into(), "c/".into()])
    );
    let s = Settings::from_vars(vars(&[("DRAIN_TABLES_PREFIX", "t/")])).unwrap();
    assert_eq!(s.tables.as_deref(), Some("t/"));
    assert!(Settings::from_vars(vars(&[("DRAIN_COMPACT_FORMAT", "orc")]))
        .unwrap_err()
        .contains("`parquet` or `ndjson`"));
    assert!(Settings::from_vars(vars(&[("DRAIN_TABLES_PREFIX", "t")]))
        .unwrap_err()
        .contains("end in `/`"));
    // A scheduled event's backfill, within 1 hour and 400 days.
    let base = Settings::default();
    let hours = |event: serde_json::Value| base.for_event(&event).lookback_hours;
    assert_eq!(hours(serde_json::json!({})), 48);
    assert_eq!(hours(serde_json::json!({"lookback_hours": 72})), 72);
    assert_eq!(hours(serde_json::json!({"lookback_hours": 0})), 1);
    assert_eq!(hours(serde_json::json!({"lookback_hours": 99999})), 9600);
    // The compaction Worker's: its run within the R2 call budget.
    let (s, budget) = Settings::for_workers(vars(&[])).unwrap();
    assert_eq!((budget, s.max_inputs, s.max_table_bytes), (900, 300, 24 << 20));
    let (s, budget) = Settings::for_workers(vars(&[("DRAIN_COMPACT_BUDGET", "30")])).unwrap();
    assert_eq!((budget, s.max_inputs), (30, 10));
    assert!(Settings::for_workers(vars(&[("DRAIN_COMPACT_BUDGET", "lots")]))
        .unwrap_err()
        .contains("DRAIN_COMPACT_BUDGET"));
}

/// What a compacted hour costs in store requests (`infra/cost` prices it): per input object one
/// GET and one delete; the rest (self-test, listings, manifest, output, read-back) does not grow
/// with the hour.
#[test]
fn the_report_counts_requests_and_only_reads_and_deletes_grow_with_the_inputs() {
    each_format(|| {
        let run = |n: usize| {
            let mem = Mem::default();
            deliver(&mem, PART, 0, n);
            let r = futures_executor::block_on(run_checked(&mem, &base(), NOW, "p", &|_, _| {})).unwrap();
            assert_eq!((r.merged, r.deleted), (n, n), "{r:?}");
            r.requests
        };
        let (small, large) = (run(50), run(100));
        assert_eq!(large.gets - small.gets, 50, "{small:?} {large:?}");
        assert_eq!(large.deletes - small.deletes, 50, "{small:?} {large:?}");
        assert_eq!(
            (large.puts, large.lists),
            (small.puts, small.lists),
            "{small:?} {large:?}"
        );
        assert!(small.puts >= 3 && small.lists >= 1, "{small:?}");
        eprintln!("{} 50 inputs: {small:?}", if ndjson() { "ndjson" } else { "parquet" });
    });
}
