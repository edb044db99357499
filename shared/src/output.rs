//! The objects of one delivery: NDJSON lines streamed into one gzip stream per hour of event
//! time, and the retry-safe key of each (SPEC section 4).

use std::borrow::Cow;
use std::collections::BTreeMap;

use flate2::Compression;
use xxhash_rust::xxh3::Xxh3;

use crate::config::Limits;
use crate::controls::Controls;
use crate::error::Limit;
use crate::plan::Object;
use crate::scratch::{Gzip, Scratch};
use crate::timestamp::{HourText, Timestamp};

/// Lines are handed to the compressor in chunks of about this size.
const CHUNK: usize = 64 * 1024;

/// An object whose NDJSON is smaller than this is compressed at level 1 (or `gzip_level` if
/// lower). zlib-rs's levels 2-9 spend ~11 µs per object on their dynamic Huffman trees whatever
/// the object's size, which is most of a small delivery's CPU; level 1 uses fixed codes and
/// stores such an object ~25 % larger (a few hundred bytes), until compaction rewrites the hour
/// at `gzip_level` (BENCHMARKS.md "Small deliveries").
pub const SMALL_OBJECT: usize = 32 * 1024;

/// What makes a delivery the same delivery when it is retried.
#[derive(Debug, Clone, Copy)]
pub enum Identity<'a> {
    /// The body after any gzip was undone.
    Body(&'a [u8]),
    /// Logplex's `Logplex-Frame-Id`.
    FrameId(&'a [u8]),
}

/// The events of one delivery on their way to becoming objects, written through the caller's
/// [`Scratch`].
pub struct Batch<'c, 's> {
    source: &'c str,
    prefix: &'c str,
    /// The signal (`logs`, `traces`, `metrics`): part of every key's hash, so two signals never
    /// share a key even where a config gives them one prefix.
    signal: &'c str,
    received_at: Timestamp,
    /// The platform's id for this request: in the key of every object written unconditionally.
    request_id: &'c str,
    /// `,"drain":"…","received_at":"…"`, the same on every line.
    common: Vec<u8>,
    level: Compression,
    limits: Limits,
    /// At most `limits.max_objects`; found by hour through `index`.
    buckets: Vec<Bucket>,
    index: BTreeMap<i64, usize>,
    events: usize,
    /// Bytes of lines written so far, all hours together, against `limits.max_stored`.
    stored: usize,
    scratch: &'s mut Scratch,
    /// The source's controls, when it has any, and the line they are applied into.
    controls: Option<&'c Controls>,
    applied: Vec<u8>,
    /// Matches the controls replaced, in the lines kept.
    redacted: usize,
    /// Events the controls kept out (below `min_level`).
    dropped: usize,
}

struct Bucket {
    hour: i64,
    earliest: Timestamp,
    /// Every event here carries a sender's timestamp, so the key can be a pure function of the
    /// delivery.
    sender_times: bool,
    events: usize,
    /// What each line's `dt` starts with, worked out once for the hour.
    hour_text: HourText,
    lines: Vec<u8>,
    /// Taken from the scratch when the first chunk of lines is handed over, so an hour that
    /// holds a few lines takes no compressor until the delivery is finished.
    gz: Option<Gzip>,
}

impl Bucket {
    fn flush(&mut self, level: Compression, scratch: &mut Scratch) {
        let gz = self.gz.get_or_insert_with(|| scratch.gzip(level));
        gz.write(&self.lines);
        self.lines.clear();
    }
}
/// One line being written: `{"dt":"…"` is already there, `}` and the newline come after.
pub struct Line<'b> {
    pub out: &'b mut Vec<u8>,
    common: &'b [u8],
    /// The line's hour and its text, for other times in the same hour.
    hour: i64,
    hour_text: &'b HourText,
    /// `out.len()` past which the line is over `max_event_bytes`.
    end: usize,
    max_event_bytes: usize,
}

impl Line<'_> {
    /// Bytes the line may still grow by before it passes `max_event_bytes`: writers of values
    /// that can expand (MessagePack) stop there instead of writing on.
    pub fn room(&self) -> usize {
        self.end.saturating_sub(self.out.len())
    }

    /// Where the line must end, as an `out.len()`.
    pub fn end(&self) -> usize {
        self.end
    }

    /// Refused when `len` more bytes would take the line past `max_event_bytes`: for a writer
    /// about to copy a value that escaping can only grow, before it copies.
    pub fn fits(&self, len: usize) -> Result<(), Limit> {
        if len > self.room() {
            return Err(Limit::EventBytes(self.max_event_bytes));
        }
        Ok(())
    }

    /// Refused once the line is past `max_event_bytes`: for a writer that checks as it goes.
    pub fn check(&self) -> Result<(), Limit> {
        if self.out.len() > self.end {
            return Err(Limit::EventBytes(self.max_event_bytes));
        }
        Ok(())
    }

    /// `,"drain":…,"received_at":…`
    pub fn common(&mut self) {
        self.out.extend_from_slice(self.common);
    }

    /// `,"name":` with `name` written as a JSON string (its lossy text if it isn't UTF-8).
    pub fn key(&mut self, name: &[u8]) {
        self.out.push(b',');
        write_json_bytes(self.out, name);
        self.out.push(b':');
    }

    /// `,"name":` and `value` as a JSON string; `name` is one of drain's own, which needs no escape.
    pub fn str_field(&mut self, name: &'static str, value: &str) {
        self.name(name);
        write_json_str(self.out, value);
    }

    /// `,"name":"value"` where both are drain's own text, which needs no escape.
    pub fn plain_field(&mut self, name: &'static str, value: &'static str) {
        self.name(name);
        debug_assert!(value.bytes().all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\'));
        self.out.push(b'"');
        self.out.extend_from_slice(value.as_bytes());
        self.out.push(b'"');
    }

    /// As `str_field`, for a value meant as UTF-8 (its lossy text if it isn't).
    pub fn bytes_field(&mut self, name: &'static str, value: &[u8]) {
        self.name(name);
        write_json_bytes(self.out, value);
    }

    pub fn name(&mut self, name: &'static str) {
        debug_assert!(name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
        self.out.reserve(name.len() + 4);
        self.out.extend_from_slice(b",\"");
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b"\":");
    }

    /// `,"name":"<RFC 3339>"`; a time in the line's own hour reuses its hour's text.
    pub fn time_field(&mut self, name: &'static str, t: Timestamp) {
        self.name(name);
        self.out.push(b'"');
        if t.hour() == self.hour {
            t.write_rfc3339_in(self.hour_text, self.out);
        } else {
            t.write_rfc3339(self.out);
        }
        self.out.push(b'"');
    }
}

impl<'c, 's> Batch<'c, 's> {
    #[allow(clippy::too_many_arguments, reason = "the parts of a delivery's identity")]
    pub fn new(
        source: &'c str,
        prefix: &'c str,
        signal: &'c str,
        received_at: Timestamp,
        request_id: &'c str,
        gzip_level: u32,
        limits: Limits,
        scratch: &'s mut Scratch,
    ) -> Self {
        let mut common = Vec::with_capacity(64 + source.len());
        common.extend_from_slice(b",\"drain\":");
        write_json_str(&mut common, source);
        common.extend_from_slice(b",\"received_at\":\"");
        received_at.write_rfc3339(&mut common);
        common.push(b'"');
        Self {
            source,
            prefix,
            signal,
            received_at,
            request_id,
            common,
            level: Compression::new(gzip_level),
            limits,
            buckets: Vec::new(),
            index: BTreeMap::new(),
            events: 0,
            stored: 0,
            scratch,
            controls: None,
            applied: Vec::new(),
            redacted: 0,
            dropped: 0,
        }
    }

    /// Applies `controls` to every line from now on (nothing, when they are empty).
    pub fn set_controls(&mut self, controls: &'c Controls) {
        self.controls = (!controls.is_empty()).then_some(controls);
    }

    /// Matches replaced and events kept out by the controls, so far.
    pub fn controlled(&self) -> (usize, usize) {
        (self.redacted, self.dropped)
    }

    pub fn events(&self) -> usize {
        self.events
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Writes one event at `dt` (`None`: the sender gave no usable time, so the reception time).
    /// Refused when it would make more than `max_objects` objects, a line over
    /// `max_event_bytes`, or the delivery's lines together over `max_stored`; the writer learns
    /// where the line ends through [`Line::room`].
    pub fn event<E: From<Limit>>(
        &mut self,
        dt: Option<Timestamp>,
        write: impl FnOnce(&mut Line<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let t = dt.unwrap_or(self.received_at);
        let hour = t.hour();
        let created = !self.index.contains_key(&hour);
        let i = match self.index.get(&hour) {
            Some(&i) => i,
            None => {
                if self.buckets.len() >= self.limits.max_objects {
                    return Err(Limit::Objects(self.limits.max_objects).into());
                }
                self.buckets.push(Bucket {
                    hour,
                    earliest: t,
                    sender_times: true,
                    events: 0,
                    hour_text: t.hour_text(),
                    lines: self.scratch.lines(),
                    gz: None,
                });
                self.index.insert(hour, self.buckets.len() - 1);
                self.buckets.len() - 1
            }
        };
        let bucket = &mut self.buckets[i];
        let before = (bucket.earliest, bucket.sender_times);
        bucket.earliest = bucket.earliest.min(t);
        bucket.sender_times &= dt.is_some();
        bucket.events += 1;
        self.events += 1;
        let start = bucket.lines.len();
        bucket.lines.extend_from_slice(b"{\"dt\":\"");
        t.write_rfc3339_in(&bucket.hour_text, &mut bucket.lines);
        bucket.lines.push(b'"');
        let max = self.limits.max_event_bytes;
        write(&mut Line {
            out: &mut bucket.lines,
            common: &self.common,
            hour,
            hour_text: &bucket.hour_text,
            end: start + max,
            max_event_bytes: max,
        })?;
        bucket.lines.push(b'}');
        if let Some(controls) = self.controls {
            let applied = controls.apply(&bucket.lines[start..], &mut self.applied, max);
            bucket.lines.truncate(start);
            if applied.too_large {
                return Err(Limit::EventBytes(max).into());
            }
            if !applied.keep {
                (bucket.earliest, bucket.sender_times) = before;
                bucket.events -= 1;
                self.events -= 1;
                self.dropped += 1;
                if created {
                    let gone = self.buckets.pop().expect("the bucket made for this event");
                    self.index.remove(&hour);
                    self.scratch.give_back(None, gone.lines);
                }
                return Ok(());
            }
            self.redacted += applied.redacted;
            bucket.lines.extend_from_slice(&self.applied);
        }
        bucket.lines.push(b'\n');
        let written = bucket.lines.len() - start;
        if written > max {
            return Err(Limit::EventBytes(max).into());
        }
        // Counted as each line is written, so a small body whose records share a large context
        // (an OTLP resource copied into every line) stops here, not gigabytes later.
        self.stored += written;
        if self.stored > self.limits.max_stored {
            return Err(Limit::Stored(self.limits.max_stored).into());
        }
        if bucket.lines.len() >= CHUNK {
            bucket.flush(self.level, self.scratch);
        }
        Ok(())
    }

    /// The finished objects, one per hour: the create-only ones in hour order, then the one
    /// written unconditionally (at most one: the reception time's hour holds every event without
    /// a time). Stored in this order and stopped at the first failure, a retry never writes an
    /// unconditional object twice: it is written only once everything before it is stored.
    pub fn finish(self, identity: Identity<'_>) -> Vec<Object> {
        let (tag, bytes) = match identity {
            Identity::Body(b) => (0u8, b),
            Identity::FrameId(f) => (1u8, f),
        };
        let delivery = xxhash_rust::xxh3::xxh3_128(bytes);
        let level = self.level;
        let scratch = self.scratch;
        let mut buckets = self.buckets;
        buckets.sort_by_key(|b| (!(b.sender_times || tag == 1), b.hour));
        buckets
            .into_iter()
            .map(|mut b| {
                let small = b.gz.is_none() && b.lines.len() < SMALL_OBJECT;
                let level = if small {
                    Compression::new(level.level().min(1))
                } else {
                    level
                };
                b.flush(level, scratch);
                let mut gz = b.gz.take().expect("made by flush");
                let body = gz.finish();
                scratch.give_back(Some(gz), std::mem::take(&mut b.lines));
                let if_absent = b.sender_times || tag == 1;
                let mut h = Xxh3::new();
                h.update(self.source.as_bytes());
                h.update(&[0, tag]);
                // Log keys hash as they did before the signal was added (a retry across an
                // upgrade keeps its key); spans and metric points hash their signal too.
                if self.signal != "logs" {
                    h.update(self.signal.as_bytes());
                }
                h.update(&delivery.to_le_bytes());
                h.update(&b.hour.to_le_bytes());
                // The stamp of an if-absent key never depends on the reception time: the earliest
                // sender time, or (a frame id over events that took the reception time) the
                // hour's start. Otherwise the reception time and the request id make it unique.
                let stamp_at = if b.sender_times {
                    b.earliest
                } else if if_absent {
                    Timestamp::from_unix_nanos(i128::from(b.hour) * 3_600_000_000_000).unwrap_or(b.earliest)
                } else {
                    h.update(&self.received_at.unix_nanos().to_le_bytes());
                    h.update(self.request_id.as_bytes());
                    b.earliest
                };
                let secs = stamp_at.unix_nanos().div_euclid(1_000_000_000) as i64;
                let key = drain_layout::delivery_key(self.prefix, self.source, secs, h.digest128())
                    .expect("a timestamp is within years 0000-9999");
                Object {
                    key,
                    body,
                    content_type: "application/gzip",
                    if_absent,
                    events: b.events,
                }
            })
            .collect()
    }
}

/// `s` as a JSON string, quotes included, escaped as `serde_json` escapes (`\"`, `\\`, the short
/// forms `\n` `\r` `\t` `\b` `\f`, `\u00XX` for other control characters). Runs that need no
/// escape are found 8 bytes at a time and copied whole: most log text has none.
pub fn write_json_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let (start, _) = escape::<false>(out, bytes, 0, 0);
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Bytes meant as UTF-8 text (MessagePack strings and keys, Logplex fields, Northflank lines),
/// written as `write_json_str` writes their text, invalid sequences replaced with U+FFFD (as
/// `String::from_utf8_lossy` does, without making that copy). The escape scan checks for ASCII in
/// the same pass, so only text with other characters is validated separately, from its first one on.
pub fn write_json_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    let mark = out.len();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let (mut start, at) = escape::<true>(out, bytes, 0, 0);
    if at < bytes.len() {
        // An ASCII prefix ends on a character boundary, so the rest decides validity.
        if std::str::from_utf8(&bytes[at..]).is_err() {
            out.truncate(mark);
            out.push(b'"');
            for chunk in bytes.utf8_chunks() {
                let valid = chunk.valid().as_bytes();
                let (start, _) = escape::<false>(out, valid, 0, 0);
                out.extend_from_slice(&valid[start..]);
                if !chunk.invalid().is_empty() {
                    out.extend_from_slice(char::REPLACEMENT_CHARACTER.encode_utf8(&mut [0; 4]).as_bytes());
                }
            }
            out.push(b'"');
            return;
        }
        start = escape::<false>(out, bytes, start, at).0;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Escapes `bytes[i..]` into `out`, where `bytes[start..i]` is a pending run with nothing to
/// escape. Returns the pending run's start and where the scan stopped: the end, or with
/// `STOP_AT_NON_ASCII` the first byte at or above 0x80.
#[inline(always)]
fn escape<const STOP_AT_NON_ASCII: bool>(
    out: &mut Vec<u8>,
    bytes: &[u8],
    mut start: usize,
    mut i: usize,
) -> (usize, usize) {
    // Eight bytes at a time (the last few padded with spaces, which need nothing); a word's
    // lowest flagged byte is the first one to act on, found without going through the word
    // byte by byte.
    while i < bytes.len() {
        let (w, n) = match bytes.get(i..i + 8) {
            Some(word) => (u64::from_le_bytes(word.try_into().expect("8 bytes")), 8),
            None => {
                let mut word = [b' '; 8];
                word[..bytes.len() - i].copy_from_slice(&bytes[i..]);
                (u64::from_le_bytes(word), bytes.len() - i)
            }
        };
        let flagged = escape_mask(w) | if STOP_AT_NON_ASCII { w & HIGH } else { 0 };
        if flagged == 0 {
            i += n;
            continue;
        }
        i += (flagged.trailing_zeros() / 8) as usize;
        let b = bytes[i];
        if STOP_AT_NON_ASCII && b >= 0x80 {
            return (start, i);
        }
        out.extend_from_slice(&bytes[start..i]);
        write_escape(out, b);
        i += 1;
        start = i;
    }
    (start, i)
}

const HIGH: u64 = 0x8080_8080_8080_8080;

fn write_escape(out: &mut Vec<u8>, b: u8) {
    match b {
        b'"' => out.extend_from_slice(b"\\\""),
        b'\\' => out.extend_from_slice(b"\\\\"),
        b'\n' => out.extend_from_slice(b"\\n"),
        b'\r' => out.extend_from_slice(b"\\r"),
        b'\t' => out.extend_from_slice(b"\\t"),
        0x08 => out.extend_from_slice(b"\\b"),
        0x0c => out.extend_from_slice(b"\\f"),
        _ => {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 0xf)]);
        }
    }
}

/// The high bit of each of the 8 bytes that is a control character, `"` or `\\`, and perhaps
/// of some bytes after the first such one (the has-less-than and has-zero-byte tricks borrow
/// upwards); so the lowest bit set is exact, and none is set when there is none.
#[inline]
fn escape_mask(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let control = w.wrapping_sub(ONES * 0x20) & !w;
    let quote = (w ^ (ONES * u64::from(b'"'))).wrapping_sub(ONES) & !(w ^ (ONES * u64::from(b'"')));
    let backslash = (w ^ (ONES * u64::from(b'\\'))).wrapping_sub(ONES) & !(w ^ (ONES * u64::from(b'\\')));
    (control | quote | backslash) & HIGH
}

/// Bytes as text: borrowed when they are valid UTF-8 (`from_utf8` is much faster than
/// `from_utf8_lossy`'s chunking), else with U+FFFD for each invalid sequence.
pub fn lossy(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// JSON text taken from the sender, with line breaks between tokens turned into spaces so the
/// event stays on one line (inside a valid JSON string they are always escaped).
pub fn write_json_raw(out: &mut Vec<u8>, raw: &[u8]) {
    let mut rest = raw;
    while let Some(i) = memchr::memchr2(b'\n', b'\r', rest) {
        out.extend_from_slice(&rest[..i]);
        out.push(b' ');
        rest = &rest[i + 1..];
    }
    out.extend_from_slice(rest);
}
