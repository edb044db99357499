//! MessagePack events (Better Stack): a map or an array of maps, walked in place and written
//! straight out as JSON, with no tree of values in between.

use std::borrow::Cow;
use std::ops::Range;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rmp::Marker;

use crate::config::Limits;
use crate::error::{DecodeError, Limit};
use crate::event::{Budget, FieldValue};
use crate::config::FIELDS_CAP;
use crate::names::{renamed, Names};
use crate::output::write_json_bytes;
use crate::timestamp::Timestamp;

/// Keys of one map compared on the stack before a set of names takes over.
const FEW_KEYS: usize = 16;

/// How deep arrays and maps may nest, as serde_json allows.
const MAX_DEPTH: usize = 128;

/// One event's top-level fields: each name as its bytes (a string's, not yet checked for UTF-8,
/// or a scalar key's JSON text), each value as sent and as the JSON it became.
pub type Fields<'a, 'j> = [(Cow<'a, [u8]>, Field<'a, 'j>)];

/// One encoded value, exactly its bytes.
#[derive(Debug, Clone, Copy)]
pub struct MsgpackValue<'a>(pub &'a [u8]);

/// A top-level value: its MessagePack bytes (read for the time, the message, the level) and the
/// query-safe JSON it was transcoded to in the walk that checked it, copied into the line as is.
#[derive(Debug, Clone, Copy)]
pub struct Field<'a, 'j> {
    pub raw: MsgpackValue<'a>,
    pub json: &'j [u8],
}

/// Calls `f` on every event: the body is one map, an array of maps, or several of those one
/// after another. Each event is walked once: every value is checked and transcoded to JSON in
/// the same pass, within `limits` (its keys, nested ones counted, its nesting, its bytes).
pub fn for_each_event<'a, E: From<DecodeError> + From<Limit>>(
    body: &'a [u8],
    limits: &Limits,
    mut f: impl FnMut(&Fields<'a, '_>) -> Result<(), E>,
) -> Result<(), E> {
    let mut r = Reader { buf: body, pos: 0 };
    // One event's fields and JSON, cleared between events; `view` lends the JSON to `f` and
    // keeps its allocation from event to event (`reuse`).
    let mut fields = Vec::new();
    let mut json = Vec::new();
    let mut spare: Vec<(Cow<'a, [u8]>, Field<'a, 'static>)> = Vec::new();
    let mut one = |r: &mut Reader<'a>, spare: &mut Vec<_>| -> Result<(), E> {
        r.event(&mut fields, &mut json, limits).map_err(Stop::into_error::<E>)?;
        let mut view: Vec<(Cow<'a, [u8]>, Field<'a, '_>)> = reuse(std::mem::take(spare));
        view.extend(fields.drain(..).map(|(k, raw, at): (_, _, Range<usize>)| {
            (
                k,
                Field {
                    raw,
                    json: &json[at],
                },
            )
        }));
        let done = f(&view);
        *spare = reuse(view);
        done
    };
    while r.pos < body.len() {
        let at = r.pos;
        match r.marker()? {
            Marker::FixArray(_) | Marker::Array16 | Marker::Array32 => {
                r.pos = at;
                let n = r.array_len()?;
                for _ in 0..n {
                    one(&mut r, &mut spare)?;
                }
            }
            _ => {
                r.pos = at;
                one(&mut r, &mut spare)?;
            }
        }
    }
    Ok(())
}

/// An emptied vector's allocation for elements of another lifetime: std collects an iterator
/// of a vector in place when the element sizes match, so nothing is allocated.
fn reuse<T, U>(mut v: Vec<T>) -> Vec<U> {
    v.clear();
    v.into_iter().map(|_| unreachable!("cleared")).collect()
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn fail(&self, what: impl Into<String>) -> DecodeError {
        DecodeError::Msgpack {
            offset: self.pos,
            what: what.into(),
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len());
        let end = end.ok_or_else(|| self.fail(format!("{n} bytes announced, {} left", self.buf.len() - self.pos)))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn marker(&mut self) -> Result<Marker, DecodeError> {
        Ok(Marker::from_u8(self.take(1)?[0]))
    }

    fn uint(&mut self, bytes: usize) -> Result<u64, DecodeError> {
        Ok(self.take(bytes)?.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }

    fn array_len(&mut self) -> Result<u64, DecodeError> {
        match self.marker()? {
            Marker::FixArray(n) => Ok(n.into()),
            Marker::Array16 => self.uint(2),
            Marker::Array32 => self.uint(4),
            _ => Err(self.fail("expected an array")),
        }
    }

    /// A map at the top of an event: its fields' names and values, each value transcoded to
    /// JSON at the end of `json` as it is checked.
    #[allow(clippy::type_complexity, reason = "a name, the value's bytes, where its JSON is")]
    fn event(
        &mut self,
        fields: &mut Vec<(Cow<'a, [u8]>, MsgpackValue<'a>, Range<usize>)>,
        json: &mut Vec<u8>,
        limits: &Limits,
    ) -> Result<(), Stop> {
        let at = self.pos;
        let n = match self.marker()? {
            Marker::FixMap(n) => u64::from(n),
            Marker::Map16 => self.uint(2)?,
            Marker::Map32 => self.uint(4)?,
            _ => {
                return Err(DecodeError::Msgpack {
                    offset: at,
                    what: "expected a map (one event)".into(),
                }
                .into())
            }
        };
        fields.clear();
        json.clear();
        // Top-level and nested keys share `max_fields`; the JSON of the values can't pass what
        // one line may hold.
        let mut budget = Budget {
            fields: limits.max_fields,
            max_fields: limits.max_fields,
            max_depth: limits.max_depth,
            end: limits.max_event_bytes,
            max_event_bytes: limits.max_event_bytes,
        };
        let mut read = || -> Result<(), Stop> {
            for _ in 0..n {
                if fields.len() == FIELDS_CAP {
                    return Err(Limit::Fields(FIELDS_CAP).into());
                }
                budget.field()?;
                let key = self.scalar_key()?;
                let value_at = self.pos;
                let json_at = json.len();
                transcode(self, json, 1, &mut budget)?;
                fields.push((key, MsgpackValue(&self.buf[value_at..self.pos]), json_at..json.len()));
            }
            Ok(())
        };
        match read() {
            // An event that is also malformed further on is answered as malformed, as when it was
            // checked whole before being written: walked again, only on the way to a refusal.
            Err(Stop::Limit(l)) => {
                self.pos = at;
                self.skip(0)?;
                Err(l.into())
            }
            done => done,
        }
    }

    /// Reads one map key as a name: a string or a scalar, never a container (checked before
    /// anything is read past its marker).
    fn scalar_key(&mut self) -> Result<Cow<'a, [u8]>, DecodeError> {
        const NOT_SCALAR: &str = "a map key must be a string, number, boolean or nil";
        let at = self.pos;
        // A string, nearly every key, is read in one step: its length, then its bytes.
        let len_bytes = match self.buf.get(at).map(|&b| Marker::from_u8(b)) {
            Some(Marker::FixStr(_)) => 0,
            Some(Marker::Str8) => 1,
            Some(Marker::Str16) => 2,
            Some(Marker::Str32) => 4,
            Some(m) if is_scalar_key(m) => {
                self.skip(0)?;
                return key_text(&self.buf[at..self.pos]).ok_or_else(|| self.fail(NOT_SCALAR));
            }
            _ => return Err(self.fail(NOT_SCALAR)),
        };
        let n = match self.marker()? {
            Marker::FixStr(n) => n.into(),
            _ => self.uint(len_bytes)?,
        };
        let n = usize::try_from(n).map_err(|_| self.fail("length too large"))?;
        Ok(Cow::Borrowed(self.take(n)?))
    }

    /// Moves past one map key, which must be a scalar: JSON has only string keys, and writing a
    /// nested key as text would escape it again at every level (exponential output).
    fn key(&mut self, depth: usize) -> Result<(), DecodeError> {
        let at = self.pos;
        let scalar = self.buf.get(at).is_some_and(|&b| is_scalar_key(Marker::from_u8(b)));
        self.skip(depth)?;
        if scalar {
            Ok(())
        } else {
            Err(DecodeError::Msgpack {
                offset: at,
                what: "a map key must be a string, number, boolean or nil".into(),
            })
        }
    }

    /// Moves past one value, checking that it is whole and not nested too deep.
    fn skip(&mut self, depth: usize) -> Result<(), DecodeError> {
        if depth > MAX_DEPTH {
            return Err(self.fail("nested too deep"));
        }
        let (items, bytes) = match self.marker()? {
            Marker::Null | Marker::True | Marker::False | Marker::FixPos(_) | Marker::FixNeg(_) => (0, 0),
            Marker::U8 | Marker::I8 => (0, 1),
            Marker::U16 | Marker::I16 => (0, 2),
            Marker::U32 | Marker::I32 | Marker::F32 => (0, 4),
            Marker::U64 | Marker::I64 | Marker::F64 => (0, 8),
            Marker::FixStr(n) => (0, n.into()),
            Marker::Str8 | Marker::Bin8 => (0, self.uint(1)?),
            Marker::Str16 | Marker::Bin16 => (0, self.uint(2)?),
            Marker::Str32 | Marker::Bin32 => (0, self.uint(4)?),
            Marker::FixArray(n) => (u64::from(n), 0),
            Marker::Array16 => (self.uint(2)?, 0),
            Marker::Array32 => (self.uint(4)?, 0),
            m @ (Marker::FixMap(_) | Marker::Map16 | Marker::Map32) => {
                let n = match m {
                    Marker::FixMap(n) => u64::from(n),
                    Marker::Map16 => self.uint(2)?,
                    _ => self.uint(4)?,
                };
                for _ in 0..n {
                    self.key(depth + 1)?;
                    self.skip(depth + 1)?;
                }
                return Ok(());
            }
            Marker::FixExt1 => (0, 2),
            Marker::FixExt2 => (0, 3),
            Marker::FixExt4 => (0, 5),
            Marker::FixExt8 => (0, 9),
            Marker::FixExt16 => (0, 17),
            Marker::Ext8 => (0, self.uint(1)? + 1),
            Marker::Ext16 => (0, self.uint(2)? + 1),
            Marker::Ext32 => (0, self.uint(4)? + 1),
            Marker::Reserved => return Err(self.fail("reserved marker 0xc1")),
        };
        self.take(usize::try_from(bytes).map_err(|_| self.fail("length too large"))?)?;
        for _ in 0..items {
            self.skip(depth + 1)?;
        }
        Ok(())
    }
}

/// A map key as a field name: a string's bytes as they are; integers, floats, booleans and nil
/// as their JSON text; `None` for containers, bin and ext. Only scalars are ever transcoded here.
fn key_text(encoded: &[u8]) -> Option<Cow<'_, [u8]>> {
    let v = MsgpackValue(encoded);
    if let Some(s) = v.str_bytes() {
        return Some(Cow::Borrowed(s));
    }
    let scalar = is_scalar_key(Marker::from_u8(*encoded.first()?));
    if !scalar {
        return None;
    }
    let mut out = Vec::new();
    transcode(&mut Reader { buf: encoded, pos: 0 }, &mut out, 1, &mut Budget::unlimited()).ok()?;
    Some(Cow::Owned(out))
}

impl<'a> MsgpackValue<'a> {
    fn parts(&self) -> (Marker, &'a [u8]) {
        (Marker::from_u8(self.0[0]), &self.0[1..])
    }

    /// The value when it is a string (invalid UTF-8 replaced).
    fn str(self) -> Option<Cow<'a, str>> {
        self.str_bytes().map(crate::output::lossy)
    }

    /// A string's bytes, not yet checked for UTF-8.
    fn str_bytes(self) -> Option<&'a [u8]> {
        Some(match self.parts().0 {
            Marker::FixStr(_) => self.payload(0),
            Marker::Str8 => self.payload(1),
            Marker::Str16 => self.payload(2),
            Marker::Str32 => self.payload(4),
            _ => return None,
        })
    }

    /// The value when it is an integer.
    fn integer(self) -> Option<i128> {
        let (m, rest) = self.parts();
        Some(match m {
            Marker::FixPos(n) => n.into(),
            Marker::FixNeg(n) => n.into(),
            Marker::U8 | Marker::U16 | Marker::U32 | Marker::U64 => be(rest).into(),
            Marker::I8 => i64::from(rest[0] as i8).into(),
            Marker::I16 => i64::from(be(rest) as u16 as i16).into(),
            Marker::I32 => i64::from(be(rest) as u32 as i32).into(),
            Marker::I64 => (be(rest) as i64).into(),
            _ => return None,
        })
    }

    /// The payload of a str/bin/ext value after its length bytes.
    fn payload(&self, len_bytes: usize) -> &'a [u8] {
        &self.0[1 + len_bytes..]
    }
}

/// Whether a value with this marker can be a map key: a string or a scalar (written as its
/// JSON text), never a container, bin or ext.
fn is_scalar_key(m: Marker) -> bool {
    is_integer(m)
        || matches!(
            m,
            Marker::FixStr(_)
                | Marker::Str8
                | Marker::Str16
                | Marker::Str32
                | Marker::F32
                | Marker::F64
                | Marker::Null
                | Marker::True
                | Marker::False
        )
}

fn is_integer(m: Marker) -> bool {
    matches!(
        m,
        Marker::FixPos(_)
            | Marker::FixNeg(_)
            | Marker::U8
            | Marker::U16
            | Marker::U32
            | Marker::U64
            | Marker::I8
            | Marker::I16
            | Marker::I32
            | Marker::I64
    )
}

fn be(b: &[u8]) -> u64 {
    b.iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x))
}

impl MsgpackValue<'_> {
    /// The value read as a time: the timestamp extension (type -1), an integer or float (Unix
    /// by magnitude), an RFC 3339 string.
    fn time(&self) -> Option<Timestamp> {
        let (m, rest) = self.parts();
        match m {
            // The timestamp extension, type -1: 32-bit seconds; 30-bit nanoseconds and 34-bit
            // seconds; or 32-bit nanoseconds and 64-bit signed seconds.
            Marker::FixExt4 if rest[0] == 0xff => {
                Timestamp::from_unix_nanos(i128::from(be(&rest[1..5])) * 1_000_000_000)
            }
            Marker::FixExt8 if rest[0] == 0xff => {
                let v = be(&rest[1..9]);
                let (nanos, secs) = (v >> 34, v & 0x3_ffff_ffff);
                Timestamp::from_unix_nanos(i128::from(secs) * 1_000_000_000 + i128::from(nanos))
            }
            Marker::Ext8 if rest.len() == 14 && rest[0] == 12 && rest[1] == 0xff => {
                let nanos = be(&rest[2..6]);
                let secs = be(&rest[6..14]) as i64;
                Timestamp::from_unix_nanos(i128::from(secs) * 1_000_000_000 + i128::from(nanos))
            }
            Marker::F32 | Marker::F64 => {
                // Read as the number's JSON text, as a JSON sender's would be.
                let mut out = Vec::new();
                transcode(&mut Reader { buf: self.0, pos: 0 }, &mut out, 1, &mut Budget::unlimited()).ok()?;
                Timestamp::parse_number(std::str::from_utf8(&out).ok()?)
            }
            Marker::FixStr(_) | Marker::Str8 | Marker::Str16 | Marker::Str32 => Timestamp::parse_rfc3339(&self.str()?),
            m if is_integer(m) => self.integer().and_then(Timestamp::from_unix_integer),
            _ => None,
        }
    }
}

impl FieldValue for Field<'_, '_> {
    fn as_str(&self) -> Option<Cow<'_, str>> {
        self.raw.str()
    }

    fn is_str(&self) -> bool {
        self.raw.str_bytes().is_some()
    }

    fn time(&self) -> Option<Timestamp> {
        self.raw.time()
    }

    fn check(&self, _budget: &mut Budget, _no_escapes: bool) -> Result<bool, Limit> {
        // Transcoded: its keys and nesting were counted when the event was read.
        Ok(false)
    }

    fn write_json(&self, out: &mut Vec<u8>, budget: &mut Budget) -> Result<(), Limit> {
        if out.len().saturating_add(self.json.len()) > budget.end {
            return Err(Limit::EventBytes(budget.max_event_bytes));
        }
        out.extend_from_slice(self.json);
        Ok(())
    }
}

/// Why reading or transcoding stopped.
enum Stop {
    Decode(DecodeError),
    Limit(Limit),
}

impl Stop {
    fn into_error<E: From<DecodeError> + From<Limit>>(self) -> E {
        match self {
            Stop::Decode(e) => e.into(),
            Stop::Limit(l) => l.into(),
        }
    }
}

impl From<DecodeError> for Stop {
    fn from(e: DecodeError) -> Self {
        Stop::Decode(e)
    }
}

impl From<Limit> for Stop {
    fn from(l: Limit) -> Self {
        Stop::Limit(l)
    }
}

/// Writes base64 of `data` straight into `out`, within the budget.
fn base64_into(out: &mut Vec<u8>, data: &[u8], budget: &Budget) -> Result<(), Limit> {
    let n = base64::encoded_len(data.len(), true).unwrap_or(usize::MAX);
    if out.len().saturating_add(n) > budget.end {
        return Err(Limit::EventBytes(budget.max_event_bytes));
    }
    let start = out.len();
    out.resize(start + n, 0);
    let written = STANDARD
        .encode_slice(data, &mut out[start..])
        .expect("sized by encoded_len");
    out.truncate(start + written);
    Ok(())
}

fn transcode<'a>(r: &mut Reader<'a>, out: &mut Vec<u8>, depth: usize, budget: &mut Budget) -> Result<(), Stop> {
    // Every value writes at most a few bytes past what was checked here before the next check.
    budget.room(out)?;
    match r.marker()? {
        Marker::Null => out.extend_from_slice(b"null"),
        Marker::True => out.extend_from_slice(b"true"),
        Marker::False => out.extend_from_slice(b"false"),
        Marker::FixPos(n) => num(out, n),
        Marker::FixNeg(n) => num(out, n),
        Marker::U8 => num(out, r.uint(1)?),
        Marker::U16 => num(out, r.uint(2)?),
        Marker::U32 => num(out, r.uint(4)?),
        Marker::U64 => num(out, r.uint(8)?),
        Marker::I8 => num(out, r.uint(1)? as u8 as i8),
        Marker::I16 => num(out, r.uint(2)? as u16 as i16),
        Marker::I32 => num(out, r.uint(4)? as u32 as i32),
        Marker::I64 => num(out, r.uint(8)? as i64),
        Marker::F32 => serde_json::to_writer(&mut *out, &f32::from_bits(r.uint(4)? as u32)).expect("writing to memory"),
        Marker::F64 => float(out, f64::from_bits(r.uint(8)?)),
        m @ (Marker::FixStr(_) | Marker::Str8 | Marker::Str16 | Marker::Str32) => {
            let n = match m {
                Marker::FixStr(n) => u64::from(n),
                Marker::Str8 => r.uint(1)?,
                Marker::Str16 => r.uint(2)?,
                _ => r.uint(4)?,
            };
            let text = r.take(usize::try_from(n).map_err(|_| r.fail("length too large"))?)?;
            if out.len().saturating_add(text.len()) > budget.end {
                return Err(Limit::EventBytes(budget.max_event_bytes).into());
            }
            write_json_bytes(out, text);
        }
        m @ (Marker::Bin8 | Marker::Bin16 | Marker::Bin32) => {
            let n = match m {
                Marker::Bin8 => r.uint(1)?,
                Marker::Bin16 => r.uint(2)?,
                _ => r.uint(4)?,
            };
            out.push(b'"');
            base64_into(out, r.take(n as usize)?, budget)?;
            out.push(b'"');
        }
        m @ (Marker::FixArray(_) | Marker::Array16 | Marker::Array32) => {
            let n = match m {
                Marker::FixArray(n) => u64::from(n),
                Marker::Array16 => r.uint(2)?,
                _ => r.uint(4)?,
            };
            if depth + 1 > budget.max_depth {
                return Err(Limit::Depth(budget.max_depth).into());
            }
            out.push(b'[');
            for i in 0..n {
                if i > 0 {
                    out.push(b',');
                }
                transcode(r, out, depth + 1, budget)?;
            }
            out.push(b']');
        }
        m @ (Marker::FixMap(_) | Marker::Map16 | Marker::Map32) => {
            let n = match m {
                Marker::FixMap(n) => u64::from(n),
                Marker::Map16 => r.uint(2)?,
                _ => r.uint(4)?,
            };
            if depth + 1 > budget.max_depth {
                return Err(Limit::Depth(budget.max_depth).into());
            }
            // A map's first keys are compared on the stack; a set takes over past them.
            let mut few: [&[u8]; FEW_KEYS] = [&[]; FEW_KEYS];
            let mut nfew = 0;
            let mut names: Option<Names<'_>> = None;
            out.push(b'{');
            for i in 0..n {
                if i > 0 {
                    out.push(b',');
                }
                budget.field()?;
                let key = r.scalar_key()?;
                if let (Cow::Borrowed(k), None) = (&key, &names) {
                    if nfew < FEW_KEYS && !few[..nfew].contains(k) {
                        few[nfew] = k;
                        nfew += 1;
                        write_json_bytes(out, k);
                        out.push(b':');
                        transcode(r, out, depth + 1, budget)?;
                        continue;
                    }
                }
                let names = names.get_or_insert_with(|| {
                    let mut set = Names::exact();
                    for k in &few[..nfew] {
                        set.reserve(k);
                    }
                    set
                });
                match names.take(key.clone()) {
                    None => write_json_bytes(out, &key),
                    Some(prefix) => write_json_bytes(out, &renamed(&prefix, &key)),
                }
                out.push(b':');
                transcode(r, out, depth + 1, budget)?;
            }
            out.push(b'}');
        }
        m @ (Marker::FixExt1
        | Marker::FixExt2
        | Marker::FixExt4
        | Marker::FixExt8
        | Marker::FixExt16
        | Marker::Ext8
        | Marker::Ext16
        | Marker::Ext32) => {
            let start = r.pos - 1;
            let n = match m {
                Marker::FixExt1 => 1,
                Marker::FixExt2 => 2,
                Marker::FixExt4 => 4,
                Marker::FixExt8 => 8,
                Marker::FixExt16 => 16,
                Marker::Ext8 => r.uint(1)?,
                Marker::Ext16 => r.uint(2)?,
                _ => r.uint(4)?,
            };
            let ty = r.take(1)?[0] as i8;
            let data = r.take(n as usize)?;
            let whole = MsgpackValue(&r.buf[start..r.pos]);
            match whole.time().filter(|_| ty == -1) {
                Some(t) => {
                    out.push(b'"');
                    t.write_rfc3339(out);
                    out.push(b'"');
                }
                None => {
                    out.extend_from_slice(b"{\"ext_type\":");
                    num(out, ty);
                    out.extend_from_slice(b",\"data\":\"");
                    base64_into(out, data, budget)?;
                    out.extend_from_slice(b"\"}");
                }
            }
        }
        Marker::Reserved => return Err(r.fail("reserved marker 0xc1").into()),
    }
    Ok(())
}

/// An integer as JSON text.
fn num(out: &mut Vec<u8>, v: impl itoa::Integer) {
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

/// JSON has no NaN or infinity: those become `null`.
fn float(out: &mut Vec<u8>, v: f64) {
    serde_json::to_writer(&mut *out, &v).expect("writing to memory");
}
