//! Loki push requests (SPEC section 10): `logproto.PushRequest` as snappy-compressed protobuf,
//! or its JSON form. One stored line per entry; a stream's labels are rendered once and copied
//! into each of its lines. Entries are read one at a time into reused space (protobuf through
//! the OTLP reader's views, JSON through borrowed raw values), so no entry costs an allocation a
//! hostile body could multiply.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::error::{DecodeError, Limit, Rejection};
use crate::event::{Budget, FieldValue};
use crate::format::json_safe;
use crate::format::otlp::view::{json_each, Fields, View};
use crate::names::{renamed, Names};
use crate::output::{write_json_bytes, Batch};
use crate::timestamp::Timestamp;

const PUSH: &Fields = &Fields::new(&[(1, &["streams"])]);
const STREAM: &Fields = &Fields::new(&[(1, &["labels"]), (2, &["entries"])]);
const ENTRY: &Fields = &Fields::new(&[(1, &["timestamp"]), (2, &["line"]), (3, &["structuredMetadata"])]);
const PAIR: &Fields = &Fields::new(&[(1, &["name"]), (2, &["value"])]);
const TIMESTAMP: &Fields = &Fields::new(&[(1, &["seconds"]), (2, &["nanos"])]);

/// The names a level is read from, in the labels and then the structured metadata.
const LEVELS: [&str; 3] = ["level", "detected_level", "severity"];

fn bad(what: impl Into<String>) -> Rejection {
    Rejection::Undecodable(DecodeError::Loki(what.into()))
}

/// The protobuf reader's errors, said as Loki's.
fn as_loki(e: Rejection) -> Rejection {
    match e {
        Rejection::Undecodable(DecodeError::Otlp(m)) => bad(m),
        other => other,
    }
}

/// A snappy block (the Loki push body) inflated, refused past `max` before anything is made.
pub fn unsnappy(body: &[u8], max: usize) -> Result<Vec<u8>, Rejection> {
    let n = snap::raw::decompress_len(body).map_err(|e| bad(format!("snappy: {e}")))?;
    if n > max {
        return Err(Rejection::TooLarge);
    }
    snap::raw::Decoder::new()
        .decompress_vec(body)
        .map_err(|e| bad(format!("snappy: {e}")))
}

/// What every line of one delivery shares.
pub struct Push<'t> {
    /// `X-Scope-OrgID`, when sent.
    pub tenant: Option<&'t str>,
}

/// Space reused across a delivery's entries.
struct Scratch {
    labels: Vec<u8>,
    metadata: Vec<u8>,
}

pub fn decode_protobuf(body: &[u8], push: &Push<'_>, batch: &mut Batch<'_, '_>) -> Result<(), Rejection> {
    let request = View::protobuf(PUSH, body).map_err(as_loki)?;
    let mut scratch = Scratch {
        labels: Vec::new(),
        metadata: Vec::new(),
    };
    let limits = *batch.limits();
    // One entry's structured metadata, borrowed from the body; the space is reused.
    let mut pairs: Vec<(Cow<'_, str>, Cow<'_, str>)> = Vec::new();
    request
        .each(0, STREAM, |stream| {
            let text = stream.str(0)?;
            // At most `max_fields` labels, whatever the text holds.
            let mut labels = Vec::new();
            parse_labels(&text, &mut labels, limits.max_fields)?;
            render_pairs(&labels, &mut scratch.labels);
            let stream_level = level_in(&labels).map(|l| l.to_string());
            stream.each(1, ENTRY, |entry| {
                let time = match entry.has(0) {
                    true => {
                        let ts = entry.message(0, TIMESTAMP)?;
                        Timestamp::from_unix_nanos(i128::from(ts.i64(0)?) * 1_000_000_000 + i128::from(ts.i64(1)?))
                    }
                    false => None,
                };
                let line = entry.text(1)?;
                pairs.clear();
                entry.each(2, PAIR, |p| {
                    if pairs.len() >= limits.max_fields {
                        return Err(Limit::Fields(limits.max_fields).into());
                    }
                    pairs.push((p.str(0)?, p.str(1)?));
                    Ok(())
                })?;
                scratch.metadata.clear();
                if !pairs.is_empty() {
                    render_pairs(&pairs, &mut scratch.metadata);
                }
                let level = stream_level.as_deref().or_else(|| level_in(&pairs));
                write_line(batch, push, time, &line, level, &scratch)
            })
        })
        .map_err(as_loki)
}

/// The JSON push: `{"streams":[{"stream":{…},"values":[["<ns>","<line>",{…}?]]}]}`.
pub fn decode_json(body: &[u8], push: &Push<'_>, batch: &mut Batch<'_, '_>) -> Result<(), Rejection> {
    #[derive(Deserialize)]
    struct Request<'a> {
        #[serde(borrow)]
        streams: Option<&'a RawValue>,
    }
    #[derive(Deserialize)]
    struct Stream<'a> {
        #[serde(borrow)]
        stream: Option<&'a RawValue>,
        #[serde(borrow)]
        values: Option<&'a RawValue>,
    }
    /// The level names of a labels or metadata object, read without building the object.
    #[derive(Deserialize, Default)]
    struct Levels<'a> {
        #[serde(borrow)]
        level: Option<&'a RawValue>,
        #[serde(borrow)]
        detected_level: Option<&'a RawValue>,
        #[serde(borrow)]
        severity: Option<&'a RawValue>,
    }
    impl Levels<'_> {
        fn first(&self) -> Option<Cow<'_, str>> {
            [&self.level, &self.detected_level, &self.severity]
                .into_iter()
                .flatten()
                .find_map(|v| v.as_str())
        }
    }
    let json_err = |e: serde_json::Error| bad(format!("JSON: {}", crate::error::brief(e.to_string())));
    let text = std::str::from_utf8(body).map_err(|e| bad(format!("JSON: not UTF-8 (invalid byte at offset {})", e.valid_up_to())))?;
    let request: Request<'_> = serde_json::from_str(text).map_err(json_err)?;
    let limits = *batch.limits();
    let budget = Budget {
        fields: limits.max_fields,
        max_fields: limits.max_fields,
        max_depth: limits.max_depth,
        end: limits.max_event_bytes,
        max_event_bytes: limits.max_event_bytes,
    };
    let mut scratch = Scratch {
        labels: Vec::new(),
        metadata: Vec::new(),
    };
    let Some(streams) = request.streams else {
        return Err(bad("no `streams`"));
    };
    json_each(streams, |raw| {
        let stream: Stream<'_> = serde_json::from_str(raw.get()).map_err(json_err)?;
        scratch.labels.clear();
        let labels = stream.stream.filter(|l| l.get() != "null");
        let stream_level = match labels {
            Some(l) => {
                if !l.get().starts_with('{') {
                    return Err(bad("`stream` is not an object of labels"));
                }
                json_safe::write(l.get().as_bytes(), 1, &mut budget.clone(), &mut scratch.labels)?;
                let levels: Levels<'_> = serde_json::from_str(l.get()).unwrap_or_default();
                levels.first().map(Cow::into_owned)
            }
            None => {
                scratch.labels.extend_from_slice(b"{}");
                None
            }
        };
        let Some(values) = stream.values else {
            return Ok(());
        };
        json_each(values, |entry| {
            let mut parts: [Option<&RawValue>; 3] = [None; 3];
            let mut n = 0;
            json_each(entry, |part| {
                if n == parts.len() {
                    return Err(bad("an entry is [\"<unix ns>\", \"<line>\", {metadata}?]"));
                }
                parts[n] = Some(part);
                n += 1;
                Ok(())
            })?;
            let (Some(ts), Some(line)) = (parts[0], parts[1]) else {
                return Err(bad("an entry is [\"<unix ns>\", \"<line>\", {metadata}?]"));
            };
            let time = ts.time();
            let line = line.as_str().ok_or_else(|| bad("an entry's line is not a string"))?;
            scratch.metadata.clear();
            let mut level = stream_level.as_deref().map(Cow::Borrowed);
            if let Some(meta) = parts[2].filter(|m| m.get() != "null" && m.get() != "{}") {
                if !meta.get().starts_with('{') {
                    return Err(bad("an entry's structured metadata is not an object"));
                }
                json_safe::write(meta.get().as_bytes(), 1, &mut budget.clone(), &mut scratch.metadata)?;
                if level.is_none() {
                    let levels: Levels<'_> = serde_json::from_str(meta.get()).unwrap_or_default();
                    level = levels.first().map(|l| Cow::Owned(l.into_owned()));
                }
            }
            write_line(batch, push, time, line.as_bytes(), level.as_deref(), &scratch)
        })
    })
    .map_err(as_loki)
}

/// One entry's stored line: `message`, `level`, drain's fields, `labels`, `metadata`, `tenant`.
fn write_line(
    batch: &mut Batch<'_, '_>,
    push: &Push<'_>,
    time: Option<Timestamp>,
    line: &[u8],
    level: Option<&str>,
    scratch: &Scratch,
) -> Result<(), Rejection> {
    batch.event(time, |l| {
        l.fits(line.len() + scratch.labels.len() + scratch.metadata.len())?;
        l.bytes_field("message", line);
        if let Some(level) = level {
            l.str_field("level", level);
        }
        l.common();
        l.name("labels");
        l.out.extend_from_slice(&scratch.labels);
        if !scratch.metadata.is_empty() {
            l.name("metadata");
            l.out.extend_from_slice(&scratch.metadata);
        }
        if let Some(t) = push.tenant {
            l.str_field("tenant", t);
        }
        l.check().map_err(Rejection::from)
    })
}

/// The first level among `pairs`.
fn level_in<'p>(pairs: &'p [(Cow<'_, str>, Cow<'_, str>)]) -> Option<&'p str> {
    LEVELS
        .iter()
        .find_map(|name| pairs.iter().find(|(k, _)| k == name))
        .map(|(_, v)| v.as_ref())
}

/// `pairs` as a JSON object, a repeated name renamed (`_name`) so the line stays query-safe.
fn render_pairs(pairs: &[(Cow<'_, str>, Cow<'_, str>)], out: &mut Vec<u8>) {
    out.clear();
    out.push(b'{');
    let mut names = Names::exact();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        match names.take(Cow::Borrowed(k.as_bytes())) {
            None => write_json_bytes(out, k.as_bytes()),
            Some(prefix) => write_json_bytes(out, &renamed(&prefix, k.as_bytes())),
        }
        out.push(b':');
        write_json_bytes(out, v.as_bytes());
    }
    out.push(b'}');
}

/// The label text of a protobuf stream, `{name="value", …}`, its values unquoted as Go quotes
/// them (`\"`, `\\`, `\n`, `\t`, `\r`); at most `max` labels.
pub fn parse_labels<'t>(text: &'t str, out: &mut Vec<(Cow<'t, str>, Cow<'t, str>)>, max: usize) -> Result<(), Rejection> {
    let form = || bad(format!("labels are {{name=\"value\", …}}, not {}", crate::error::echo(text.as_bytes())));
    let inner = text
        .trim()
        .strip_prefix('{')
        .and_then(|r| r.strip_suffix('}'))
        .ok_or_else(form)?;
    let b = inner.as_bytes();
    let mut i = 0;
    let skip = |i: &mut usize| {
        while *i < b.len() && b[*i].is_ascii_whitespace() {
            *i += 1;
        }
    };
    loop {
        skip(&mut i);
        if i == b.len() {
            return Ok(());
        }
        let start = i;
        while i < b.len() && (b[i].is_ascii_alphanumeric() || b"_.:".contains(&b[i])) {
            i += 1;
        }
        if start == i {
            return Err(form());
        }
        let name = &inner[start..i];
        skip(&mut i);
        if b.get(i) != Some(&b'=') {
            return Err(form());
        }
        i += 1;
        skip(&mut i);
        if b.get(i) != Some(&b'"') {
            return Err(form());
        }
        i += 1;
        let start = i;
        let mut escaped = false;
        while i < b.len() && b[i] != b'"' {
            if b[i] == b'\\' {
                escaped = true;
                i += 1;
            }
            i += 1;
        }
        if i >= b.len() {
            return Err(form());
        }
        let raw = &inner[start..i];
        i += 1;
        if out.len() == max {
            return Err(Limit::Fields(max).into());
        }
        out.push((Cow::Borrowed(name), if escaped { Cow::Owned(unquote(raw)) } else { Cow::Borrowed(raw) }));
        skip(&mut i);
        match b.get(i) {
            None => return Ok(()),
            Some(b',') => i += 1,
            Some(_) => return Err(form()),
        }
    }
}

/// A label value's escapes undone; an escape drain doesn't know keeps its character.
fn unquote(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(text: &str) -> Result<Vec<(String, String)>, Rejection> {
        let mut out = Vec::new();
        parse_labels(text, &mut out, 100)?;
        Ok(out.into_iter().map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
    }

    #[test]
    fn label_text_with_its_escapes() {
        let got = labels(r#"{a="b", c="d\"e", f="g\\h", job="x\ny",}"#).unwrap();
        let want = [("a", "b"), ("c", "d\"e"), ("f", "g\\h"), ("job", "x\ny")];
        assert_eq!(got, want.map(|(k, v)| (k.to_string(), v.to_string())));
        assert_eq!(labels("{}").unwrap(), vec![]);
        assert_eq!(labels(" { } ").unwrap(), vec![]);
        for broken in ["", "a=\"b\"", "{a=b}", "{a=\"b}", "{=\"b\"}", "{a=\"b\" c=\"d\"}", "{a=\"b\\\"}"] {
            assert!(labels(broken).is_err(), "{broken:?} is not label text");
        }
        let mut out = Vec::new();
        assert_eq!(
            parse_labels("{a=\"1\", b=\"2\", c=\"3\"}", &mut out, 2),
            Err(Limit::Fields(2).into())
        );
    }

    #[test]
    fn a_repeated_label_is_renamed() {
        let mut out = Vec::new();
        let pairs = [
            (Cow::Borrowed("a"), Cow::Borrowed("1")),
            (Cow::Borrowed("a"), Cow::Borrowed("2")),
        ];
        render_pairs(&pairs, &mut out);
        assert_eq!(out, br#"{"a":"1","_a":"2"}"#);
    }

    #[test]
    fn snappy_past_the_limit_is_refused_before_inflating() {
        let body = snap::raw::Encoder::new().compress_vec(&vec![b'x'; 10_000]).unwrap();
        assert_eq!(unsnappy(&body, 9_999), Err(Rejection::TooLarge));
        assert_eq!(unsnappy(&body, 10_000).unwrap().len(), 10_000);
        assert!(matches!(unsnappy(b"\xff\xff\xff", 100), Err(Rejection::Undecodable(_))));
    }
}
