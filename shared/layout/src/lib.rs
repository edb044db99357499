//! The key layout, written once (SPEC sections 4 and 9). Every key drain writes is
//! `{prefix}drain={source}/day=YYYY-MM-DD/hour=HH/{name}`, where `name` is a delivery's
//! `{YYYYMMDDTHHMMSSZ}-{id}.ndjson.gz` (the stamp is the earliest event it holds) or a compaction
//! output's `c{generation}-{hash}.ndjson.gz`; a partition's manifests live under `_drain/manifests/`,
//! outside every data prefix. The core builds keys with it, compaction names its outputs and
//! walks partitions with it, `drain logs` and `drain sql` list and parse with it. Nothing else in
//! the tree formats or parses `drain=`, `day=` or `hour=`.
//!
//! Runtime-free and clock-free; builds for wasm32.

#![forbid(unsafe_code)]

mod lines;

pub use lines::{LineError, Lines};

/// Where a partition's manifests live: outside every data prefix, so no table reads them.
pub const MANIFESTS: &str = "_drain/manifests/";

/// Where a source with `keep_refused` keeps what it refused, in the delivery layout (so `drain
/// logs --refused` reads it like any prefix); outside every data prefix, so no table reads it.
pub const REFUSED: &str = "_drain/refused/";

/// The partition part of a table's location, in the form Athena's and Glue's partition
/// projection take (`storage.location.template`, after the signal's `s3://bucket/prefix`).
pub const LOCATION_TEMPLATE: &str = "drain=${drain}/day=${day}/hour=${hour}/";

const SOURCE: &str = "drain=";
const DAY: &str = "day=";
const HOUR: &str = "hour=";
const GZ_NDJSON: &str = ".ndjson.gz";
const PARQUET: &str = ".parquet";

/// An instant's calendar fields in UTC, to the second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Civil(time::OffsetDateTime);

impl Civil {
    fn at(unix_secs: i64) -> Option<Self> {
        time::OffsetDateTime::from_unix_timestamp(unix_secs)
            .ok()
            .filter(|t| (0..=9999).contains(&t.year()))
            .map(Civil)
    }

    fn day(self) -> String {
        let t = self.0;
        format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day())
    }

    fn stamp(self) -> String {
        let t = self.0;
        format!(
            "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )
    }
}

/// `{prefix}drain={source}/`: the folder of one source's partitions.
pub fn source_folder(prefix: &str, source: &str) -> String {
    format!("{prefix}{SOURCE}{source}/")
}

/// The source a folder name below a prefix names (`drain=app` → `app`).
pub fn source_of_folder(name: &str) -> Option<&str> {
    name.strip_prefix(SOURCE)
}

/// `day=YYYY-MM-DD` of `hour` (unix hours), the name of its day folder.
pub fn day_folder(hour: i64) -> Option<String> {
    Some(format!("{DAY}{}", Civil::at(hour.checked_mul(3600)?)?.day()))
}

/// The partition folder of `hour` (unix hours): `{prefix}drain={source}/day=…/hour=…/`.
pub fn partition(prefix: &str, source: &str, hour: i64) -> Option<String> {
    let c = Civil::at(hour.checked_mul(3600)?)?;
    Some(format!(
        "{prefix}{SOURCE}{source}/{DAY}{}/{HOUR}{:02}/",
        c.day(),
        c.0.hour()
    ))
}

/// The first hour (unix hours) of a day folder's day (`day=2026-11-22`).
pub fn day_of_folder(name: &str) -> Option<i64> {
    let d = name.strip_prefix(DAY)?;
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(d, &format).ok()?;
    Some(date.midnight().assume_utc().unix_timestamp().div_euclid(3600))
}

/// The hour of the day (0..=23) an hour folder names (`hour=09`).
pub fn hour_of_folder(name: &str) -> Option<i64> {
    let h = name.strip_prefix(HOUR)?;
    (h.len() == 2 && h.bytes().all(|b| b.is_ascii_digit()))
        .then(|| h.parse().ok())
        .flatten()
        .filter(|h| (0..24).contains(h))
}

/// A delivery object's key: `{partition of at}{stamp of at}-{id as 32 hex digits}.ndjson.gz`,
/// `at` (unix seconds) being the earliest event's time (or the hour's start, SPEC section 4).
/// `None` outside years 0000 to 9999.
pub fn delivery_key(prefix: &str, source: &str, at_secs: i64, id: u128) -> Option<String> {
    let c = Civil::at(at_secs)?;
    Some(format!(
        "{prefix}{SOURCE}{source}/{DAY}{}/{HOUR}{:02}/{}-{id:032x}{GZ_NDJSON}",
        c.day(),
        c.0.hour(),
        c.stamp()
    ))
}

/// The key-name stamp of a time (unix seconds), `YYYYMMDDTHHMMSSZ`: listing after
/// `{partition}{stamp}` skips every delivery whose events all came before it.
pub fn stamp(at_secs: i64) -> Option<String> {
    Some(Civil::at(at_secs)?.stamp())
}

/// The time (unix seconds) a delivery object's file name is stamped with; `None` for any other
/// name (a compaction output).
pub fn stamp_of(key: &str) -> Option<i64> {
    let name = key.rsplit('/').next().unwrap_or(key);
    if !is_delivery(name) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| name[r].parse::<u8>().ok();
    let date = time::Date::from_calendar_date(
        name[0..4].parse().ok()?,
        time::Month::try_from(n(4..6)?).ok()?,
        n(6..8)?,
    )
    .ok()?;
    let t = time::Time::from_hms(n(9..11)?, n(11..13)?, n(13..15)?).ok()?;
    Some(date.with_time(t).assume_utc().unix_timestamp())
}

/// A delivery object's name (`{YYYYMMDDTHHMMSSZ}-{id}.ndjson.gz`). A compaction output's name
/// never is one, so compaction never takes its own output as input.
pub fn is_delivery(key: &str) -> bool {
    let name = key.rsplit('/').next().unwrap_or(key).as_bytes();
    let digits = |r: std::ops::Range<usize>| name.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    name.len() > 17
        && digits(0..8)
        && name[8] == b'T'
        && digits(9..15)
        && name[15] == b'Z'
        && name[16] == b'-'
        && name.ends_with(GZ_NDJSON.as_bytes())
}

/// Whether a key is one of drain's gzip NDJSON objects (a delivery or a compaction output).
pub fn is_object(key: &str) -> bool {
    key.ends_with(GZ_NDJSON)
}

/// A compaction output's key in `partition`: `c{generation}-{tag}.ndjson.gz`.
pub fn output_key(partition: &str, generation: u32, tag: &str) -> String {
    format!("{partition}c{generation:06}-{tag}{GZ_NDJSON}")
}

/// The table partition of a data partition (SPEC section 9):
/// `{tables_prefix}{signal}/drain={source}/day=…/hour=…/`, where a compacted hour's Parquet goes.
pub fn table_partition(tables_prefix: &str, signal: &str, partition: &str) -> Option<String> {
    let at = partition.find(SOURCE)?;
    Some(format!("{tables_prefix}{signal}/{}", &partition[at..]))
}

/// A Parquet output's key in a table partition: `c{generation}-{tag}.parquet`.
pub fn table_key(table_partition: &str, generation: u32, tag: &str) -> String {
    format!("{table_partition}c{generation:06}-{tag}{PARQUET}")
}

/// Whether a key is a Parquet table object.
pub fn is_table(key: &str) -> bool {
    key.ends_with(PARQUET)
}

/// The signal a table object's key is under (`tables/logs/drain=…` → `logs`): the last folder of
/// its data prefix.
pub fn table_signal(key: &str) -> Option<&str> {
    let p = parse(key)?;
    p.prefix.strip_suffix('/')?.rsplit('/').next()
}

/// The manifest key of `generation` of `partition`.
pub fn manifest_key(partition: &str, generation: u32) -> String {
    format!("{MANIFESTS}{partition}g{generation:06}.json")
}

/// The generation number in a manifest key's file name (`g000012.json`).
pub fn generation_of(key: &str) -> Option<u32> {
    key.rsplit('/')
        .next()?
        .strip_prefix('g')?
        .strip_suffix(".json")?
        .parse()
        .ok()
}

/// A key read back: its parts (the data prefix is everything before `drain=`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed<'a> {
    pub prefix: &'a str,
    pub source: &'a str,
    /// The partition's hour, unix hours.
    pub hour: i64,
    /// The day folder's text (`2026-11-22`) and the hour of day, as stored.
    pub day: &'a str,
    pub hour_of_day: u8,
    pub name: &'a str,
}

/// Splits a key into its layout parts; `None` when it is not in the layout.
pub fn parse(key: &str) -> Option<Parsed<'_>> {
    let at = key.find(SOURCE)?;
    let (prefix, rest) = key.split_at(at);
    if !(prefix.is_empty() || prefix.ends_with('/')) {
        return None;
    }
    let mut parts = rest.splitn(4, '/');
    let source = source_of_folder(parts.next()?)?;
    let day_folder = parts.next()?;
    let hour_folder = parts.next()?;
    let name = parts.next()?;
    let hod = hour_of_folder(hour_folder)?;
    let first = day_of_folder(day_folder)?;
    let valid_source = !source.is_empty()
        && source
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !valid_source || name.is_empty() || name.contains('/') {
        return None;
    }
    Some(Parsed {
        prefix,
        source,
        hour: first + hod,
        day: &day_folder[DAY.len()..],
        hour_of_day: hod as u8,
        name,
    })
}

#[cfg(test)]
mod tests;
