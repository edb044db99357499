//! The layout's golden keys: what SPEC section 4 and 9 spell, built and read back.

use std::io::Write;

use super::*;

/// 2026-11-22T09:15:02Z.
const AT: i64 = 1_795_338_902;

#[test]
fn keys_are_spelled_as_the_spec_says() {
    assert_eq!(
        delivery_key("logs/", "vercel", AT, 0xff).unwrap(),
        "logs/drain=vercel/day=2026-11-22/hour=09/20261122T091502Z-000000000000000000000000000000ff.ndjson.gz"
    );
    let hour = AT.div_euclid(3600);
    assert_eq!(
        partition("logs/", "vercel", hour).unwrap(),
        "logs/drain=vercel/day=2026-11-22/hour=09/"
    );
    assert_eq!(
        partition("", "app", hour + 15).unwrap(),
        "drain=app/day=2026-11-23/hour=00/"
    );
    assert_eq!(day_folder(hour).unwrap(), "day=2026-11-22");
    assert_eq!(source_folder("traces/", "otel"), "traces/drain=otel/");
    assert_eq!(stamp(AT).unwrap(), "20261122T091502Z");
    let part = partition("logs/", "app", hour).unwrap();
    assert_eq!(
        output_key(&part, 12, "00aa"),
        "logs/drain=app/day=2026-11-22/hour=09/c000012-00aa.ndjson.gz"
    );
    assert_eq!(
        manifest_key(&part, 12),
        "_drain/manifests/logs/drain=app/day=2026-11-22/hour=09/g000012.json"
    );
    assert_eq!(generation_of(&manifest_key(&part, 12)), Some(12));
    let table = table_partition("tables/", "logs", &part).unwrap();
    assert_eq!(table, "tables/logs/drain=app/day=2026-11-22/hour=09/");
    let key = table_key(&table, 3, "00bb");
    assert_eq!(key, "tables/logs/drain=app/day=2026-11-22/hour=09/c000003-00bb.parquet");
    assert!(is_table(&key) && !is_object(&key) && !is_delivery(&key));
    assert_eq!(table_signal(&key), Some("logs"));
    assert_eq!(
        table_signal(&table_key(&table_partition("", "traces", &part).unwrap(), 1, "a")),
        Some("traces")
    );
    // UTC whatever the instant's offset was: 2022-12-31T23:45:59-02:00.
    assert_eq!(stamp(1_672_537_559).unwrap(), "20230101T014559Z");
    // Years 0000 to 9999 only (key names have four-digit years).
    assert_eq!(delivery_key("", "a", -62_167_219_201, 1), None);
    assert!(delivery_key("", "a", -62_167_219_200, 1)
        .unwrap()
        .contains("day=0000-01-01"));
    assert_eq!(stamp(253_402_300_800), None);
}

#[test]
fn keys_parse_back() {
    let key = delivery_key("a/b/", "my-app", AT, 7).unwrap();
    let p = parse(&key).unwrap();
    assert_eq!(
        (p.prefix, p.source, p.hour, p.day, p.hour_of_day),
        ("a/b/", "my-app", AT.div_euclid(3600), "2026-11-22", 9)
    );
    assert_eq!(stamp_of(&key), Some(AT));
    assert!(is_delivery(&key) && is_object(&key));
    let out = output_key(&partition("", "app", 10).unwrap(), 1, "ab");
    assert!(!is_delivery(&out) && is_object(&out));
    assert_eq!(stamp_of(&out), None);
    assert_eq!(parse(&out).unwrap().name, "c000001-ab.ndjson.gz");
    for bad in [
        "logs/drain=app/day=2026-11-22/20261122T091502Z-0.ndjson.gz",
        "logs/drain=app/day=2026-13-22/hour=09/x.ndjson.gz",
        "logs/drain=app/day=2026-11-22/hour=24/x.ndjson.gz",
        "logs/drain=App/day=2026-11-22/hour=09/x.ndjson.gz",
        "logsdrain=app/day=2026-11-22/hour=09/x.ndjson.gz",
        "logs/drain=app/day=2026-11-22/hour=09/",
    ] {
        assert_eq!(parse(bad), None, "{bad}");
    }
    assert_eq!(day_of_folder("day=1970-01-02"), Some(24));
    assert_eq!(hour_of_folder("hour=7"), None);
    assert_eq!(source_of_folder("drain=x"), Some("x"));
}

/// The template's Glue tables restate the layout (CloudFormation can't call this crate): their
/// location templates must be this crate's.
#[test]
fn the_templates_tables_use_this_layout() {
    let template = include_str!("../../../template.yaml");
    let found: Vec<&str> = template
        .lines()
        .filter(|l| l.contains("storage.location.template"))
        .collect();
    // Per signal: the NDJSON table, its lines table and the Parquet table.
    assert_eq!(found.len(), 9, "three tables per signal");
    let cloudformation = LOCATION_TEMPLATE.replace("${", "${!");
    for line in found {
        assert!(
            line.contains(&cloudformation),
            "{line} does not end in {cloudformation}"
        );
    }
}

fn gz(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in parts {
        // Each part its own gzip member, as a retried or appended object may be.
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(p).unwrap();
        out.extend(e.finish().unwrap());
    }
    out
}

#[test]
fn lines_across_members_within_the_bound() {
    let body = gz(&[b"{\"a\":1}\n\n{\"b\"", b":2}\n{\"c\":3}"]);
    let mut lines = Lines::new(&body[..], 16);
    let mut got = Vec::new();
    while let Some((_, l)) = lines.next_line().unwrap() {
        got.push(String::from_utf8(l.to_vec()).unwrap());
    }
    assert_eq!(got, ["{\"a\":1}", "{\"b\":2}", "{\"c\":3}"]);

    let long = gz(&[b"{\"a\":1}\n0123456789abcdefg\n"]);
    let mut lines = Lines::new(&long[..], 16);
    assert!(lines.next_line().unwrap().is_some());
    let e = lines.next_line().unwrap_err();
    assert_eq!(e.to_string(), "line 2 is longer than 16 bytes");
    // Exactly at the bound is fine.
    let at = gz(&[b"0123456789abcdef\n"]);
    assert_eq!(Lines::new(&at[..], 16).next_line().unwrap().unwrap().1.len(), 16);

    let mut broken = gz(&[b"{\"a\":1}\n{\"b\":2}\n"]);
    broken.truncate(broken.len() - 10);
    let mut lines = Lines::new(&broken[..], 16);
    let mut n = 0;
    let err = loop {
        match lines.next_line() {
            Ok(Some(_)) => n += 1,
            Ok(None) => panic!("a cut stream is not read to its end"),
            Err(e) => break e,
        }
    };
    assert!(n <= 2 && matches!(err, LineError::Unreadable { .. }), "{err}");
}
