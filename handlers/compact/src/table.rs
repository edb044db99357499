//! A compacted hour as Parquet (SPEC section 9): `dt` and `received_at` as `TIMESTAMP(MICROS,
//! UTC)`, the signal's common fields typed, and `json`, the stored line itself. Rows sorted by
//! `dt` (stable: lines with the same `dt`, or none, keep their input order), zstd pages (snappy
//! on the Worker, where it must be pure Rust), one row group per ~128 MiB of lines.
//!
//! The lines are held while they are sorted: a builder takes inputs while their lines add up to
//! at most its cap, and refuses the one that would pass it (that input goes to the next
//! generation; one that alone passes it is left in place as unreadable).

use std::sync::Arc;

pub use bytes::Bytes;
use parquet::basic::{Compression, Encoding};
use parquet::column::reader::ColumnReader;
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterVersion};
pub use parquet::file::reader::{ChunkReader, Length};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::ColumnPath;
use serde_json::value::RawValue;
use xxhash_rust::xxh3::Xxh3;

use crate::build::{each_line, Digest};

/// A column's type as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    Timestamp,
    Text,
    Int,
    Float,
}

/// The columns of a signal's table, in order (`json` last).
pub fn columns(signal: &str) -> &'static [(&'static str, Type)] {
    use Type::*;
    match signal {
        "traces" => &[
            ("dt", Timestamp),
            ("received_at", Timestamp),
            ("name", Text),
            ("kind", Text),
            ("service", Text),
            ("trace_id", Text),
            ("span_id", Text),
            ("parent_span_id", Text),
            ("status_code", Text),
            ("duration_ns", Int),
            ("json", Text),
        ],
        "metrics" => &[
            ("dt", Timestamp),
            ("received_at", Timestamp),
            ("metric", Text),
            ("type", Text),
            ("unit", Text),
            ("service", Text),
            ("value", Float),
            ("count", Int),
            ("sum", Float),
            ("json", Text),
        ],
        _ => &[
            ("dt", Timestamp),
            ("received_at", Timestamp),
            ("level", Text),
            ("message", Text),
            ("service", Text),
            ("trace_id", Text),
            ("span_id", Text),
            ("json", Text),
        ],
    }
}

/// The Parquet schema of a signal's table.
fn schema(signal: &str) -> String {
    let mut s = format!("message {} {{\n", if signal.is_empty() { "logs" } else { signal });
    for (name, ty) in columns(signal) {
        let rep = if *name == "json" { "REQUIRED" } else { "OPTIONAL" };
        let t = match ty {
            Type::Timestamp => "INT64 {} (TIMESTAMP(MICROS,true))",
            Type::Text => "BYTE_ARRAY {} (STRING)",
            Type::Int => "INT64 {}",
            Type::Float => "DOUBLE {}",
        };
        s.push_str(&format!("  {rep} {};\n", t.replace("{}", name)));
    }
    s.push('}');
    s
}

/// The page codec: zstd natively (level 3: a compacted hour about the size of its gzip NDJSON),
/// snappy on wasm32 (the compaction Worker: pure Rust). DuckDB, ClickHouse, pyarrow and Athena
/// read both.
fn codec() -> Compression {
    #[cfg(not(target_arch = "wasm32"))]
    return Compression::ZSTD(parquet::basic::ZstdLevel::try_new(3).expect("3 is a zstd level"));
    #[cfg(target_arch = "wasm32")]
    return Compression::SNAPPY;
}

/// Lines per row group at most about this many bytes (SPEC section 9: ~128 MiB or the file;
/// a Parquet output holds at most `max_table_bytes`, 128 MiB by default, so it is one group).
const ROW_GROUP_BYTES: usize = 128 << 20;

/// One row: where its line is in the arena, and its `dt` in microseconds (`None` sorts first).
struct Row {
    dt: Option<i64>,
    start: usize,
    end: usize,
}

/// One Parquet output being built.
pub struct TableBuilder {
    signal: String,
    arena: Vec<u8>,
    rows: Vec<Row>,
    cap: u64,
    max_line: usize,
}

/// What [`TableBuilder::add`] did with an input.
#[derive(Debug, PartialEq, Eq)]
pub enum Added {
    Taken,
    /// Its lines would pass the cap: not taken (the next generation takes it).
    Full,
}

impl TableBuilder {
    /// A builder for `signal`'s table holding at most `cap` bytes of lines.
    pub fn new(signal: &str, cap: u64, max_line: usize) -> Self {
        TableBuilder {
            signal: signal.to_owned(),
            arena: Vec::new(),
            rows: Vec::new(),
            cap,
            max_line,
        }
    }

    /// Bytes of lines held (inflated, without their `\n`).
    pub fn inflated(&self) -> u64 {
        self.arena.len() as u64
    }

    /// Adds one input's lines; `Err` (nothing added) when any part can't be read or it alone
    /// passes the cap.
    pub fn add(&mut self, gz: &[u8]) -> Result<Added, String> {
        let mut size = 0u64;
        each_line(gz, self.max_line, |l| size += l.len() as u64)?;
        if self.arena.len() as u64 + size > self.cap {
            if self.rows.is_empty() {
                return Err(format!(
                    "its lines ({size} bytes) pass what one Parquet output holds in memory ({} bytes)",
                    self.cap
                ));
            }
            return Ok(Added::Full);
        }
        let (arena, rows) = (&mut self.arena, &mut self.rows);
        each_line(gz, self.max_line, |l| {
            let start = arena.len();
            arena.extend_from_slice(l);
            rows.push(Row {
                dt: line_dt(l),
                start,
                end: arena.len(),
            });
        })?;
        Ok(Added::Taken)
    }

    /// The Parquet object and the digest of its `json` column in row order.
    pub fn finish(self) -> Result<(Vec<u8>, Digest), String> {
        let TableBuilder {
            signal,
            arena,
            mut rows,
            ..
        } = self;
        rows.sort_by_key(|r| r.dt);
        let arena = Bytes::from(arena);
        let mut hash = Xxh3::new();
        for r in &rows {
            hash.update(&arena[r.start..r.end]);
            hash.update(b"\n");
        }
        let digest = Digest {
            lines: rows.len() as u64,
            hash: hash.digest128(),
        };
        let body = write(&signal, &arena, &rows).map_err(|e| format!("writing Parquet: {e}"))?;
        Ok((body, digest))
    }
}

/// A line's `dt` in microseconds since the epoch.
fn line_dt(line: &[u8]) -> Option<i64> {
    #[derive(serde::Deserialize)]
    struct Dt<'a> {
        #[serde(borrow)]
        dt: Option<&'a RawValue>,
    }
    let v: Dt = serde_json::from_slice(line).ok()?;
    micros(v.dt?)
}

fn micros(v: &RawValue) -> Option<i64> {
    let s: &str = serde_json::from_str(v.get()).ok()?;
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()?;
    i64::try_from(t.unix_timestamp_nanos().div_euclid(1000)).ok()
}

/// A text column's value: a JSON string's text (shared with the arena when it has no escape),
/// any other value's JSON text.
fn text(arena: &Bytes, v: &RawValue) -> Option<ByteArray> {
    let raw = v.get();
    match raw.as_bytes().first()? {
        b'n' => None,
        b'"' if !raw.contains('\\') => Some(ByteArray::from(arena.slice_ref(&raw.as_bytes()[1..raw.len() - 1]))),
        b'"' => serde_json::from_str::<String>(raw)
            .ok()
            .map(|s| ByteArray::from(s.into_bytes())),
        _ => Some(ByteArray::from(arena.slice_ref(raw.as_bytes()))),
    }
}

fn int(v: &RawValue) -> Option<i64> {
    let raw = v.get();
    let raw = raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')).unwrap_or(raw);
    raw.parse::<i64>().ok().or_else(|| {
        raw.parse::<f64>()
            .ok()
            .filter(|f| f.fract() == 0.0 && f.abs() < 9.2e18)
            .map(|f| f as i64)
    })
}

fn float(v: &RawValue) -> Option<f64> {
    let raw = v.get();
    let raw = raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')).unwrap_or(raw);
    raw.parse::<f64>().ok()
}

fn write(signal: &str, arena: &Bytes, rows: &[Row]) -> parquet::errors::Result<Vec<u8>> {
    let schema = Arc::new(parquet::schema::parser::parse_message_type(&schema(signal))?);
    let json = ColumnPath::from("json");
    let message = ColumnPath::from("message");
    let props = WriterProperties::builder()
        .set_writer_version(WriterVersion::PARQUET_1_0)
        .set_compression(codec())
        .set_created_by("drain".into())
        .set_column_dictionary_enabled(json.clone(), false)
        .set_column_encoding(json.clone(), Encoding::PLAIN)
        .set_column_statistics_enabled(json, EnabledStatistics::None)
        .set_column_dictionary_enabled(message, false)
        .build();
    let mut w = SerializedFileWriter::new(Vec::new(), schema, Arc::new(props))?;
    let cols = columns(signal);
    let mut at = 0;
    while at < rows.len() {
        let mut end = at;
        let mut bytes = 0;
        while end < rows.len() && (end == at || bytes < ROW_GROUP_BYTES) {
            bytes += rows[end].end - rows[end].start;
            end += 1;
        }
        let group = &rows[at..end];
        // The typed columns' values of each line in this group: one slot per column, row after
        // row, borrowed from the arena (16 bytes a slot).
        let names: Vec<&str> = cols.iter().map(|(n, _)| *n).collect();
        let width = names.len();
        let mut picked: Vec<Option<&RawValue>> = vec![None; group.len() * width];
        for (r, slots) in group.iter().zip(picked.chunks_mut(width)) {
            pick(&arena[r.start..r.end], &names, slots);
        }
        let fields: Vec<&[Option<&RawValue>]> = picked.chunks(width).collect();
        let at_col = |name: &str| names.iter().position(|n| *n == name).expect("a column");
        let mut rg = w.next_row_group()?;
        for (name, ty) in cols {
            let mut col = rg.next_column()?.expect("a column per schema field");
            if *name == "json" {
                let values: Vec<ByteArray> = group
                    .iter()
                    .map(|r| ByteArray::from(arena.slice(r.start..r.end)))
                    .collect();
                col.typed::<ByteArrayType>().write_batch(&values, None, None)?;
            } else {
                match ty {
                    Type::Timestamp => {
                        let v: Vec<Option<i64>> = match *name {
                            "dt" => group.iter().map(|r| r.dt).collect(),
                            _ => fields.iter().map(|f| f[at_col(name)].and_then(micros)).collect(),
                        };
                        let (def, vals) = levels(v);
                        col.typed::<Int64Type>().write_batch(&vals, Some(&def), None)?;
                    }
                    Type::Int => {
                        let (def, vals) = levels(fields.iter().map(|f| f[at_col(name)].and_then(int)).collect());
                        col.typed::<Int64Type>().write_batch(&vals, Some(&def), None)?;
                    }
                    Type::Float => {
                        let (def, vals) = levels(fields.iter().map(|f| f[at_col(name)].and_then(float)).collect());
                        col.typed::<DoubleType>().write_batch(&vals, Some(&def), None)?;
                    }
                    Type::Text => {
                        let (def, vals) = levels(
                            fields
                                .iter()
                                .map(|f| f[at_col(name)].and_then(|v| text(arena, v)))
                                .collect(),
                        );
                        col.typed::<ByteArrayType>().write_batch(&vals, Some(&def), None)?;
                    }
                }
            }
            col.close()?;
        }
        rg.close()?;
        at = end;
    }
    w.into_inner()
}

/// Fills `out` (a slot per name) with a line's top-level values of those names (the first of a
/// repeated key); a line that isn't a JSON object fills nothing.
fn pick<'de>(line: &'de [u8], names: &[&str], out: &mut [Option<&'de RawValue>]) {
    use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};
    struct Pick<'n, 'o, 'de> {
        names: &'n [&'n str],
        out: &'o mut [Option<&'de RawValue>],
    }
    impl<'de> Visitor<'de> for Pick<'_, '_, 'de> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<(), A::Error> {
            while let Some(k) = m.next_key::<std::borrow::Cow<'de, str>>()? {
                match self.names.iter().position(|n| *n == k) {
                    Some(i) if self.out[i].is_none() => self.out[i] = Some(m.next_value::<&'de RawValue>()?),
                    _ => {
                        m.next_value::<IgnoredAny>()?;
                    }
                }
            }
            Ok(())
        }
    }
    impl<'de> DeserializeSeed<'de> for Pick<'_, '_, 'de> {
        type Value = ();
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_map(self)
        }
    }
    let mut d = serde_json::Deserializer::from_slice(line);
    if (Pick { names, out: &mut *out }).deserialize(&mut d).is_err() {
        out.iter_mut().for_each(|o| *o = None);
    }
}

/// Definition levels (1 present, 0 null) and the present values.
fn levels<T>(v: Vec<Option<T>>) -> (Vec<i16>, Vec<T>) {
    let def = v.iter().map(|x| i16::from(x.is_some())).collect();
    (def, v.into_iter().flatten().collect())
}

/// Calls `f` with each row's `json` (the stored line), in row order; the number of rows.
pub fn each_row(object: impl Into<Bytes>, mut f: impl FnMut(&[u8])) -> Result<u64, String> {
    each_row_in(object.into(), |l| {
        f(l);
        true
    })
}

/// [`each_row`] over any Parquet source (`drain logs` reads a bucket's object page by page),
/// stopping when `f` returns false. The `parquet` crate panics on some damaged objects (its
/// metadata decoder indexes what it read): that is caught and is an error like any other, where
/// panics unwind (the server and Lambda; a Worker aborts, and reads back only what it wrote).
pub fn each_row_in<R: ChunkReader + 'static>(source: R, f: impl FnMut(&[u8]) -> bool) -> Result<u64, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rows_in(source, f)))
        .unwrap_or_else(|_| Err("not a readable Parquet object: its reader gave up on it".into()))
}

fn rows_in<R: ChunkReader + 'static>(source: R, mut f: impl FnMut(&[u8]) -> bool) -> Result<u64, String> {
    let e = |e: parquet::errors::ParquetError| format!("not a readable Parquet object: {e}");
    let reader = SerializedFileReader::new(source).map_err(e)?;
    let schema = reader.metadata().file_metadata().schema_descr_ptr();
    let at = (0..schema.num_columns())
        .find(|&i| schema.column(i).name() == "json")
        .ok_or("a Parquet object without a `json` column")?;
    let mut rows = 0;
    for g in 0..reader.num_row_groups() {
        let group = reader.get_row_group(g).map_err(e)?;
        let ColumnReader::ByteArrayColumnReader(mut col) = group.get_column_reader(at).map_err(e)? else {
            return Err("its `json` column is not text".into());
        };
        loop {
            let mut values = Vec::new();
            let (records, _, _) = col.read_records(1024, None, None, &mut values).map_err(e)?;
            if records == 0 {
                break;
            }
            for v in &values {
                rows += 1;
                if !f(v.data()) {
                    return Ok(rows);
                }
            }
        }
    }
    Ok(rows)
}

/// Reads a Parquet output back: the digest of its `json` column.
pub fn digest(object: impl Into<Bytes>) -> Result<Digest, String> {
    let mut h = Xxh3::new();
    let lines = each_row(object, |l| {
        h.update(l);
        h.update(b"\n");
    })?;
    Ok(Digest {
        lines,
        hash: h.digest128(),
    })
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use parquet::record::Field;

    use super::*;

    fn gz(lines: &[&str]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        for l in lines {
            e.write_all(l.as_bytes()).unwrap();
            e.write_all(b"\n").unwrap();
        }
        e.finish().unwrap()
    }

    /// Every row of an object as (column name, field) pairs.
    fn rows(object: &[u8]) -> Vec<Vec<(String, Field)>> {
        let r = SerializedFileReader::new(Bytes::copy_from_slice(object)).unwrap();
        r.get_row_iter(None)
            .unwrap()
            .map(|row| {
                row.unwrap()
                    .get_column_iter()
                    .map(|(n, f)| (n.clone(), f.clone()))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn rows_are_sorted_by_dt_with_typed_columns_and_the_line_whole() {
        let mut b = TableBuilder::new("logs", 1 << 20, 1 << 20);
        let late = r#"{"dt":"2026-11-22T10:00:02.123456789Z","level":"error","message":"late \"q\"","received_at":"2026-11-22T10:00:03Z","drain":"app"}"#;
        let early = r#"{"dt":"2026-11-22T10:00:01Z","level":5,"message":"early","service":"api","drain":"app","extra":{"a":[1]}}"#;
        let none = r#"{"message":"no dt","drain":"app"}"#;
        assert_eq!(b.add(&gz(&[late, early])).unwrap(), Added::Taken);
        assert_eq!(b.add(&gz(&[none])).unwrap(), Added::Taken);
        let (object, digest) = b.finish().unwrap();
        assert_eq!(digest.lines, 3);
        assert_eq!(super::digest(object.clone()).unwrap(), digest);
        let rows = rows(&object);
        let col = |r: &Vec<(String, Field)>, name: &str| r.iter().find(|(n, _)| n == name).unwrap().1.clone();
        // No `dt` sorts first; then by time, to the microsecond.
        assert_eq!(col(&rows[0], "dt"), Field::Null);
        assert_eq!(col(&rows[1], "dt"), Field::TimestampMicros(1_795_341_601_000_000));
        assert_eq!(col(&rows[2], "dt"), Field::TimestampMicros(1_795_341_602_123_456));
        assert_eq!(
            col(&rows[2], "received_at"),
            Field::TimestampMicros(1_795_341_603_000_000)
        );
        assert_eq!(col(&rows[2], "message"), Field::Str("late \"q\"".into()));
        // A level that isn't a string is kept as its JSON text; an absent field is null.
        assert_eq!(col(&rows[1], "level"), Field::Str("5".into()));
        assert_eq!(col(&rows[1], "service"), Field::Str("api".into()));
        assert_eq!(col(&rows[2], "service"), Field::Null);
        assert_eq!(col(&rows[1], "json"), Field::Str(early.into()));
        assert_eq!(col(&rows[2], "json"), Field::Str(late.into()));
    }

    #[test]
    fn traces_and_metrics_type_their_numbers() {
        let mut b = TableBuilder::new("traces", 1 << 20, 1 << 20);
        let span = r#"{"dt":"2026-11-22T10:00:01Z","name":"GET /","kind":"server","duration_ns":"1500","status_code":"ok","trace_id":"ab"}"#;
        b.add(&gz(&[span])).unwrap();
        let spans = rows(&b.finish().unwrap().0);
        assert!(
            spans[0].contains(&("duration_ns".into(), Field::Long(1500))),
            "{:?}",
            spans[0]
        );
        assert!(spans[0].contains(&("kind".into(), Field::Str("server".into()))));
        let mut b = TableBuilder::new("metrics", 1 << 20, 1 << 20);
        let point = r#"{"dt":"2026-11-22T10:00:01Z","metric":"m","type":"histogram","count":3,"sum":1.5,"value":null}"#;
        b.add(&gz(&[point])).unwrap();
        let points = rows(&b.finish().unwrap().0);
        for want in [
            ("count".to_string(), Field::Long(3)),
            ("sum".into(), Field::Double(1.5)),
            ("value".into(), Field::Null),
            ("metric".into(), Field::Str("m".into())),
        ] {
            assert!(points[0].contains(&want), "{want:?} in {:?}", points[0]);
        }
    }

    #[test]
    fn the_cap_holds_an_input_back_or_refuses_one_that_alone_passes_it() {
        let line = format!(r#"{{"dt":"2026-11-22T10:00:01Z","message":"{}"}}"#, "x".repeat(100));
        let input = gz(&[&line, &line]);
        let mut b = TableBuilder::new("logs", 3 * line.len() as u64, 1 << 20);
        assert_eq!(b.add(&input).unwrap(), Added::Taken);
        assert_eq!(b.add(&input).unwrap(), Added::Full);
        assert_eq!(b.inflated(), 2 * line.len() as u64);
        let mut small = TableBuilder::new("logs", line.len() as u64, 1 << 20);
        let e = small.add(&input).unwrap_err();
        assert!(e.contains("pass what one Parquet output holds"), "{e}");
        assert!(super::digest(b"PAR1 not really".to_vec()).is_err());
    }
}

#[cfg(test)]
mod corrupt {
    use super::*;

    /// A Parquet object read back (compaction's verify, `drain logs`) may be anything a bucket
    /// holds: every single-byte change and every truncation of a real one is an error or rows,
    /// never a panic.
    #[test]
    fn any_damage_to_an_object_is_an_error_not_a_panic() {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        for i in 0..20 {
            std::io::Write::write_all(
                &mut e,
                format!("{{\"dt\":\"2026-11-22T10:00:{i:02}Z\",\"level\":\"info\",\"message\":\"m{i}\"}}\n").as_bytes(),
            )
            .unwrap();
        }
        let mut b = TableBuilder::new("logs", 1 << 20, 1 << 20);
        b.add(&e.finish().unwrap()).unwrap();
        let (object, _) = b.finish().unwrap();
        let mut errors = 0;
        for at in 0..object.len() {
            for flip in [0x01u8, 0x80, 0xff] {
                let mut bad = object.clone();
                bad[at] ^= flip;
                errors += usize::from(digest(bad).is_err());
            }
            errors += usize::from(digest(object[..at].to_vec()).is_err());
        }
        assert!(
            errors > object.len(),
            "{errors} errors of {} variants",
            4 * object.len()
        );
    }
}
