//! `drain logs`' pure parts: the times it accepts, the partitions it names or lists, the key
//! stamps it lists after, and what a stored line becomes.

use super::*;
use crate::read::line::{keep, parse_time, rank, Filter};
use crate::read::merge::Obj;
use drain_cli::when::LATEST;

/// 2026-11-22T10:30:00Z.
const NOW: i128 = 1_795_343_400 * SECOND;

#[test]
fn durations_count_back_from_now() {
    assert_eq!(parse_when("90s", NOW).unwrap(), NOW - 90 * SECOND);
    assert_eq!(parse_when("15m", NOW).unwrap(), NOW - 15 * 60 * SECOND);
    assert_eq!(parse_when("2h", NOW).unwrap(), NOW - 2 * HOUR);
    assert_eq!(parse_when("7d", NOW).unwrap(), NOW - 7 * 24 * HOUR);
    assert_eq!(parse_when("1w", NOW).unwrap(), NOW - 7 * 24 * HOUR);
}

#[test]
fn times_with_or_without_seconds_and_dates() {
    let ten = parse_time("2026-11-22T10:00:00Z").unwrap();
    assert_eq!(parse_when("2026-11-22T10:00Z", NOW).unwrap(), ten);
    assert_eq!(parse_when("2026-11-22T10:00:00Z", NOW).unwrap(), ten);
    assert_eq!(parse_when("2026-11-22T11:00+01:00", NOW).unwrap(), ten);
    assert_eq!(parse_when("2026-11-22T10:00:00.5Z", NOW).unwrap(), ten + SECOND / 2);
    assert_eq!(parse_when("2026-11-22", NOW).unwrap(), ten - 10 * HOUR);
}

#[test]
fn nonsense_and_out_of_range_times_are_refused_not_a_panic() {
    for bad in [
        "",
        "soon",
        "2h30",
        "-2h",
        "3x",
        "2026-13-01",
        "99999999999999999999999999999d",
        "1000000000d",
        "1969-12-31",
    ] {
        let err = parse_when(bad, NOW).expect_err(bad).to_string();
        assert!(err.contains(bad.trim()), "{bad}: {err}");
    }
}

#[test]
fn stamps_sort_like_the_key_names() {
    assert_eq!(stamp(parse_time("2026-11-22T09:05:07.9Z").unwrap()), "20261122T090507Z");
    let a = stamp(NOW - SECOND);
    let b = stamp(NOW);
    assert!(a < b);
}

#[test]
fn an_objects_stamp_comes_from_its_name_or_its_hour() {
    let floor = parse_time("2026-11-22T09:00:00Z").unwrap();
    let named = Obj::new(
        "logs/drain=a/day=2026-11-22/hour=09/20261122T091502Z-00ff.ndjson.gz".into(),
        floor,
    );
    assert_eq!(named.stamp, parse_time("2026-11-22T09:15:02Z").unwrap());
    // A name without a stamp, or one from before its own hour, can't push events out of order:
    // the hour's start is the earliest time its events can have.
    for name in [
        "compacted.ndjson.gz",
        "2026xxxxT091502Z-1.ndjson.gz",
        "20261121T091502Z-1.ndjson.gz",
    ] {
        let obj = Obj::new(format!("logs/drain=a/day=2026-11-22/hour=09/{name}"), floor);
        assert_eq!(obj.stamp, floor, "{name}");
    }
}

#[test]
fn levels_rank_by_severity() {
    assert!(rank("error") > rank("warning"));
    assert_eq!(rank("WARN"), rank("warning"));
    assert_eq!(rank("err"), rank("error"));
    assert!(rank("fatal") > rank("error"));
    assert!(rank("info") < rank("notice"));
    assert_eq!(rank("loud"), None);
}

fn filter(signal: crate::read::Signal) -> Filter {
    Filter {
        signal,
        min_rank: None,
        grep: None,
        since: 0,
        until: LATEST,
        json: false,
        color: false,
    }
}

#[test]
fn a_log_line_reads_as_dt_level_drain_message() {
    let line =
        r#"{"dt":"2026-11-22T10:00:00.25Z","level":"warning","drain":"vercel","message":"slow\n","n":[1,{"x":2}]}"#;
    let (at, out) = keep(line, &filter(crate::read::Signal::Logs), 0).unwrap().unwrap();
    assert_eq!(at, parse_time("2026-11-22T10:00:00.25Z").unwrap());
    assert_eq!(out, "2026-11-22T10:00:00.25Z warning vercel slow");
    let json = Filter {
        json: true,
        ..filter(crate::read::Signal::Logs)
    };
    assert_eq!(keep(line, &json, 0).unwrap().unwrap().1, line);
}

/// Issue 28, item 1: sender text was printed raw, so an escape sequence set the terminal's title
/// and colours and an embedded line break forged a line from another source. Control
/// characters are printed escaped; `--json` prints the stored line unchanged.
#[test]
fn control_characters_and_line_breaks_are_printed_escaped() {
    let line = r#"{"dt":"2026-11-22T10:00:00Z","level":"info\u001b[31m","drain":"app","message":"\u001b]0;PWNED\u0007\u001b[31mred\n2026-11-22T10:00:01Z error   vercel FORGED\r\u009b2J"}"#;
    let (_, out) = keep(line, &filter(crate::read::Signal::Logs), 0).unwrap().unwrap();
    assert_eq!(
        out,
        r"2026-11-22T10:00:00Z info\u001b[31m app \u001b]0;PWNED\u0007\u001b[31mred\n2026-11-22T10:00:01Z error   vercel FORGED\r\u009b2J"
    );
    assert!(!out.chars().any(char::is_control), "{out:?}");
    let json = Filter {
        json: true,
        ..filter(crate::read::Signal::Logs)
    };
    assert_eq!(keep(line, &json, 0).unwrap().unwrap().1, line);
    let span =
        r#"{"dt":"2026-11-22T10:00:00Z","drain":"o","name":"a\nb","kind":"server\u001b[2J","trace_id":"\u0007"}"#;
    let (_, out) = keep(span, &filter(crate::read::Signal::Traces), 0).unwrap().unwrap();
    assert!(!out.chars().any(char::is_control), "{out:?}");
    assert!(out.contains(r"a\nb") && out.contains(r"server\u001b[2J"), "{out}");
}

#[test]
fn filters_drop_by_level_text_and_time() {
    let line = r#"{"dt":"2026-11-22T10:00:00Z","level":"info","drain":"a","message":"hello"}"#;
    let at = parse_time("2026-11-22T10:00:00Z").unwrap();
    let logs = filter(crate::read::Signal::Logs);
    let cases = [
        (
            Filter {
                min_rank: rank("error"),
                ..logs.clone()
            },
            false,
        ),
        (
            Filter {
                min_rank: rank("info"),
                ..logs.clone()
            },
            true,
        ),
        (
            Filter {
                grep: Some("hell".into()),
                ..logs.clone()
            },
            true,
        ),
        (
            Filter {
                grep: Some("bye".into()),
                ..logs.clone()
            },
            false,
        ),
        (
            Filter {
                since: at,
                until: at + 1,
                ..logs.clone()
            },
            true,
        ),
        (
            Filter {
                since: at + 1,
                ..logs.clone()
            },
            false,
        ),
        (
            Filter {
                until: at,
                ..logs.clone()
            },
            false,
        ),
    ];
    for (i, (f, kept)) in cases.iter().enumerate() {
        assert_eq!(keep(line, f, 0).unwrap().is_some(), *kept, "case {i}");
    }
}

#[test]
fn a_line_without_a_readable_dt_takes_the_fallback_and_a_bad_line_is_an_error() {
    let line = r#"{"dt":12,"message":"m"}"#;
    assert_eq!(
        keep(line, &filter(crate::read::Signal::Logs), 42).unwrap().unwrap().0,
        42
    );
    assert!(keep("not json", &filter(crate::read::Signal::Logs), 0).is_err());
    assert!(keep("[1,2]", &filter(crate::read::Signal::Logs), 0).is_err());
}

#[test]
fn spans_and_points_have_their_own_readable_form() {
    let span = r#"{"dt":"2026-11-22T10:00:00Z","drain":"otel","name":"GET /","kind":"server","status_code":"error","duration_ns":1500000,"trace_id":"ab"}"#;
    let (_, out) = keep(span, &filter(crate::read::Signal::Traces), 0).unwrap().unwrap();
    assert_eq!(out, "2026-11-22T10:00:00Z error   otel GET / server 1.500 ms trace=ab");
    let errors = Filter {
        min_rank: rank("error"),
        ..filter(crate::read::Signal::Traces)
    };
    assert!(keep(span, &errors, 0).unwrap().is_some());
    let point = r#"{"dt":"2026-11-22T10:00:00Z","drain":"otel","metric":"requests","type":"sum","value":3}"#;
    let (_, out) = keep(point, &filter(crate::read::Signal::Metrics), 0).unwrap().unwrap();
    assert_eq!(out, "2026-11-22T10:00:00Z sum otel requests = 3");
}

#[test]
fn long_ranges_list_only_the_day_and_hour_folders_that_exist() {
    let dir = tempfile::tempdir().unwrap();
    for p in [
        "logs/drain=a/day=2026-11-01/hour=23",
        "logs/drain=a/day=2026-11-20/hour=05",
        "logs/drain=a/day=2026-11-22/hour=09",
        "logs/drain=b/day=2026-11-22/hour=09",
    ] {
        std::fs::create_dir_all(dir.path().join(p)).unwrap();
    }
    let (_rt, b) = folder(dir.path());
    let first = parse_time("2026-11-02T00:00:00Z").unwrap().div_euclid(HOUR);
    let last = parse_time("2026-11-22T09:00:00Z").unwrap().div_euclid(HOUR);
    let plan = partitions(&b, "logs/", &["a".to_owned()], first, last).unwrap();
    let folders: Vec<&String> = plan.values().flatten().collect();
    assert_eq!(
        folders,
        [
            "logs/drain=a/day=2026-11-20/hour=05/",
            "logs/drain=a/day=2026-11-22/hour=09/"
        ]
    );
    // A short range names its hours without listing: every hour is there, objects or not.
    let plan = partitions(&b, "logs/", &["a".to_owned(), "b".to_owned()], last - 2, last).unwrap();
    assert_eq!(plan.len(), 3);
    assert_eq!(
        plan[&last],
        [
            "logs/drain=a/day=2026-11-22/hour=09/",
            "logs/drain=b/day=2026-11-22/hour=09/"
        ]
    );
}

#[test]
fn now_is_the_time_its_comment_says() {
    assert_eq!(Some(NOW), parse_time("2026-11-22T10:30:00Z"));
}

/// Issue 28, item 4: a reader that listed an hour before compaction wrote its output and opens
/// an input after the deletes finds it gone. What `drain logs` does then, as README states: that
/// object is reported and skipped (its events missed: run it again), every other object is read
/// and printed in time order.
#[test]
fn an_object_deleted_after_the_listing_is_reported_and_the_rest_is_read() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let part = "logs/drain=app/day=2026-11-22/hour=10/";
    std::fs::create_dir_all(dir.path().join(part)).unwrap();
    let mut keys = Vec::new();
    for (i, m) in ["a", "b", "c"].iter().enumerate() {
        let key = format!("{part}20261122T10000{i}Z-{m}.ndjson.gz");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        writeln!(
            gz,
            r#"{{"dt":"2026-11-22T10:00:0{i}Z","level":"info","drain":"app","message":"{m}"}}"#
        )
        .unwrap();
        std::fs::write(dir.path().join(&key), gz.finish().unwrap()).unwrap();
        keys.push(key);
    }
    let listed: Vec<Obj> = keys.iter().map(|k| Obj::new(k.clone(), 0)).collect();
    // Compaction deletes one input between the listing and the read.
    std::fs::remove_file(dir.path().join(&keys[1])).unwrap();
    let (_rt, bucket) = folder(dir.path());
    let mut reader = Reader::new(bucket, Arc::new(filter(crate::read::Signal::Logs)), 4, 1 << 20);
    let mut printed = Vec::new();
    reader.run(
        listed,
        &mut |e| {
            printed.push(e.out);
            true
        },
        &mut |_| {},
    );
    assert_eq!(
        printed,
        [
            "2026-11-22T10:00:00Z info    app a",
            "2026-11-22T10:00:02Z info    app c"
        ]
    );
    assert_eq!(reader.tally.bad, 1);
}

/// A compacted hour in Parquet (issue 31) is read through its `json` column, page by page, and
/// merged in time order with the NDJSON objects of the same range; the filters apply alike.
#[test]
fn a_parquet_hour_is_read_in_time_order_with_the_ndjson_beside_it() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let gz = |lines: &[String]| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        for l in lines {
            writeln!(e, "{l}").unwrap();
        }
        e.finish().unwrap()
    };
    let line = |m: u32, s: u32, level: &str| {
        format!(
            r#"{{"dt":"2026-11-22T10:{m:02}:{s:02}Z","level":"{level}","drain":"app","message":"m{m}s{s} {}"}}"#,
            "x".repeat(200)
        )
    };
    // 3,000 rows of ~260 bytes: several 1 MiB pages.
    let mut table = drain_compact::table::TableBuilder::new("logs", 64 << 20, 1 << 20);
    let rows: Vec<String> = (0..3000)
        .map(|i| line(i / 60 % 60, i % 60, if i % 100 == 0 { "error" } else { "info" }))
        .collect();
    table.add(&gz(&rows)).unwrap();
    let (object, _) = table.finish().unwrap();
    let tkey = "tables/logs/drain=app/day=2026-11-22/hour=10/c000001-ab.parquet";
    std::fs::create_dir_all(dir.path().join("tables/logs/drain=app/day=2026-11-22/hour=10")).unwrap();
    std::fs::write(dir.path().join(tkey), &object).unwrap();
    let nkey = "logs/drain=app/day=2026-11-22/hour=10/20261122T103000Z-late.ndjson.gz";
    std::fs::create_dir_all(dir.path().join("logs/drain=app/day=2026-11-22/hour=10")).unwrap();
    std::fs::write(
        dir.path().join(nkey),
        gz(&[line(30, 0, "error").replace("m30s0", "late")]),
    )
    .unwrap();
    let hour = parse_time("2026-11-22T10:00:00Z").unwrap();
    let listed = vec![
        Obj::new(tkey.to_owned(), hour).sized(object.len() as u64),
        Obj::new(nkey.to_owned(), hour),
    ];
    let (_rt, bucket) = folder(dir.path());
    let errors = Filter {
        min_rank: rank("error"),
        ..filter(crate::read::Signal::Logs)
    };
    let mut reader = Reader::new(bucket, Arc::new(errors), 4, 1 << 20);
    let mut printed = Vec::new();
    reader.run(
        listed,
        &mut |e| {
            printed.push(e.out.split(' ').next().unwrap().to_owned());
            true
        },
        &mut |_| {},
    );
    assert_eq!((reader.tally.bad, reader.tally.out_of_order), (0, 0));
    // Every 100th row is an error (30 of them), and the late delivery's one at 10:30:00.
    assert_eq!(printed.len(), 31, "{printed:?}");
    let mut sorted = printed.clone();
    sorted.sort();
    assert_eq!(printed, sorted, "in time order");
    // Row 1,800 of the table (an error) and the late delivery are both at 10:30:00.
    assert_eq!(printed.iter().filter(|t| *t == "2026-11-22T10:30:00Z").count(), 2);
}

/// The folder store as `drain logs` reads it, and the runtime its calls run on.
fn folder(dir: &std::path::Path) -> (tokio::runtime::Runtime, Arc<Blocking>) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let bucket = Arc::new(Blocking {
        store: crate::store::FolderOrBucket::Left(drain_store::Folder::new(dir)),
        rt: rt.handle().clone(),
    });
    (rt, bucket)
}
