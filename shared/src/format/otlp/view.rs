//! One OTLP message read the same way whether it came as protobuf or as JSON: a view that finds
//! each field of the message's schema by number (protobuf) or by name (JSON, camelCase or
//! snake_case), read leniently (SPEC section 8). Nothing is copied: a view holds slices of the
//! body, one slot per field of its schema (a repeated field is walked again when asked for), so
//! reading a message costs no memory beyond its slots, whatever the sender repeats.

use std::borrow::Cow;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use prost::encoding::{decode_key, decode_varint, WireType};
use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserializer as _;
use serde_json::value::RawValue;

use crate::error::{DecodeError, Rejection};

/// A message type: its fields as (protobuf number, JSON names).
pub(crate) type Schema = &'static Fields;

/// A message type's fields, in the order its `F_*` indexes name them, and which index each
/// protobuf field number below 32 has (OTLP's are all below 17).
#[derive(Debug)]
pub(crate) struct Fields {
    fields: &'static [(u32, &'static [&'static str])],
    by_number: [u8; 32],
}

impl Fields {
    const NONE: u8 = u8::MAX;

    pub(crate) const fn new(fields: &'static [(u32, &'static [&'static str])]) -> Self {
        let mut by_number = [Self::NONE; 32];
        let mut i = 0;
        while i < fields.len() {
            if (fields[i].0 as usize) < by_number.len() {
                by_number[fields[i].0 as usize] = i as u8;
            }
            i += 1;
        }
        Fields { fields, by_number }
    }

    /// The index of the field numbered `number`, if the schema reads it.
    fn index(&self, number: u32) -> Option<usize> {
        match self.by_number.get(number as usize) {
            Some(&Self::NONE) => None,
            Some(&i) => Some(usize::from(i)),
            None => self.fields.iter().position(|(n, _)| *n == number),
        }
    }
}

impl std::ops::Deref for Fields {
    type Target = [(u32, &'static [&'static str])];

    fn deref(&self) -> &Self::Target {
        self.fields
    }
}

/// At most this many fields in a schema.
pub(crate) const MAX_FIELDS: usize = 16;

/// A field's bytes as the wire gave them.
#[derive(Debug, Clone, Copy)]
enum Slot<'a> {
    Varint(u64),
    Fixed64(u64),
    Fixed32(u32),
    Bytes(&'a [u8]),
    Json(&'a RawValue),
}

/// One message.
#[derive(Debug, Clone, Copy)]
pub(crate) struct View<'a> {
    schema: Schema,
    /// The message's bytes (protobuf), walked again for repeated fields.
    pb: Option<&'a [u8]>,
    slots: [Option<Slot<'a>>; MAX_FIELDS],
}

/// A view's errors are the delivery's: undecodable, or a limit its callbacks met.
pub(crate) type Result<T> = std::result::Result<T, Rejection>;

#[cold]
fn bad(what: impl Into<String>) -> Rejection {
    Rejection::Undecodable(DecodeError::Otlp(what.into()))
}

/// A varint; one byte (most lengths and small numbers) read in place, the rest through prost.
#[inline(always)]
fn varint(buf: &mut &[u8]) -> Result<u64> {
    match buf.first() {
        Some(&b) if b < 0x80 => {
            *buf = &buf[1..];
            Ok(u64::from(b))
        }
        _ => decode_varint(buf).map_err(|e| bad(format!("protobuf: {e}"))),
    }
}

/// A field's key: one byte (fields 1-15, what OTLP uses) read in place, the rest through prost.
#[inline(always)]
fn key(buf: &mut &[u8]) -> Result<(u32, WireType)> {
    let one_byte = match buf.first() {
        Some(&k) if k < 0x80 && k >> 3 != 0 => WireType::try_from(u64::from(k & 7)).ok().map(|w| (u32::from(k >> 3), w)),
        _ => None,
    };
    match one_byte {
        Some(key) => {
            *buf = &buf[1..];
            Ok(key)
        }
        None => decode_key(buf).map_err(|e| bad(format!("protobuf: {e}"))),
    }
}

/// Reads one protobuf field at the start of `buf`: its number and value (a group is refused).
#[inline(always)]
fn pb_field<'a>(buf: &mut &'a [u8]) -> Result<(u32, Slot<'a>)> {
    let (number, wire) = key(buf)?;
    let slot = match wire {
        WireType::Varint => Slot::Varint(varint(buf)?),
        WireType::SixtyFourBit => {
            let (b, rest) = buf.split_first_chunk::<8>().ok_or_else(|| bad("protobuf: truncated fixed64"))?;
            *buf = rest;
            Slot::Fixed64(u64::from_le_bytes(*b))
        }
        WireType::ThirtyTwoBit => {
            let (b, rest) = buf.split_first_chunk::<4>().ok_or_else(|| bad("protobuf: truncated fixed32"))?;
            *buf = rest;
            Slot::Fixed32(u32::from_le_bytes(*b))
        }
        WireType::LengthDelimited => {
            let len = varint(buf)?;
            let len = usize::try_from(len)
                .ok()
                .filter(|&n| n <= buf.len())
                .ok_or_else(|| bad(format!("protobuf: a field of {len} bytes in {} left", buf.len())))?;
            let (b, rest) = buf.split_at(len);
            *buf = rest;
            Slot::Bytes(b)
        }
        WireType::StartGroup | WireType::EndGroup => return Err(bad("protobuf: groups are not OTLP")),
    };
    Ok((number, slot))
}

impl<'a> View<'a> {
    /// A view of `schema` with no field set (an absent message reads as empty).
    pub(crate) fn empty(schema: Schema) -> Self {
        debug_assert!(schema.len() <= MAX_FIELDS);
        View {
            schema,
            pb: None,
            slots: [None; MAX_FIELDS],
        }
    }

    /// A protobuf message.
    pub(crate) fn protobuf(schema: Schema, bytes: &'a [u8]) -> Result<Self> {
        let mut view = View::empty(schema);
        view.read_protobuf(bytes)?;
        Ok(view)
    }

    /// A JSON object (`null` reads as an empty message).
    pub(crate) fn json(schema: Schema, raw: &'a RawValue) -> Result<Self> {
        let mut view = View::empty(schema);
        view.read_json(raw)?;
        Ok(view)
    }

    /// Makes this view (its schema kept) the protobuf message `bytes`: a view is a few hundred
    /// bytes, so the elements of a repeated field are read into one rather than each copied out.
    fn read_protobuf(&mut self, bytes: &'a [u8]) -> Result<()> {
        self.clear();
        let schema = self.schema;
        self.pb = Some(bytes);
        let mut buf = bytes;
        while !buf.is_empty() {
            let (number, slot) = pb_field(&mut buf)?;
            if let Some(i) = schema.index(number) {
                self.slots[i] = Some(slot);
            }
        }
        Ok(())
    }

    /// As [`Self::read_protobuf`], for a JSON object.
    fn read_json(&mut self, raw: &'a RawValue) -> Result<()> {
        self.clear();
        let schema = self.schema;
        let text = raw.get();
        if text == "null" {
            return Ok(());
        }
        let mut slots: [Option<&RawValue>; MAX_FIELDS] = [None; MAX_FIELDS];
        let mut de = serde_json::Deserializer::from_str(text);
        de.deserialize_map(ObjectVisitor {
            schema,
            slots: &mut slots,
        })
        .map_err(|e| bad(format!("JSON: {e}")))?;
        for (i, s) in slots[..schema.len()].iter().enumerate() {
            self.slots[i] = s.map(Slot::Json);
        }
        Ok(())
    }

    /// No field set, the schema kept.
    fn clear(&mut self) {
        self.pb = None;
        self.slots[..self.schema.len()].fill(None);
    }

    fn slot(&self, field: usize) -> Option<Slot<'a>> {
        self.slots[field]
    }

    pub(crate) fn has(&self, field: usize) -> bool {
        self.slots[field].is_some_and(|s| !matches!(s, Slot::Json(r) if r.get() == "null"))
    }

    /// An unsigned integer (fixed64, varint; JSON: a number or a string of digits).
    pub(crate) fn u64(&self, field: usize) -> Result<u64> {
        Ok(match self.slot(field) {
            None => 0,
            Some(Slot::Varint(v) | Slot::Fixed64(v)) => v,
            Some(Slot::Fixed32(v)) => u64::from(v),
            Some(Slot::Json(r)) => json_u64(r).ok_or_else(|| self.wrong(field, "an unsigned integer"))?,
            Some(Slot::Bytes(_)) => return Err(self.wrong(field, "an integer")),
        })
    }

    /// A signed integer (varint two's complement, sfixed64; JSON: a number or a string).
    pub(crate) fn i64(&self, field: usize) -> Result<i64> {
        Ok(match self.slot(field) {
            None => 0,
            Some(Slot::Varint(v) | Slot::Fixed64(v)) => v as i64,
            Some(Slot::Fixed32(v)) => i64::from(v as i32),
            Some(Slot::Json(r)) => json_i64(r).ok_or_else(|| self.wrong(field, "an integer"))?,
            Some(Slot::Bytes(_)) => return Err(self.wrong(field, "an integer")),
        })
    }

    /// A zigzag-encoded sint32 (protobuf); JSON: a number.
    pub(crate) fn sint32(&self, field: usize) -> Result<i64> {
        Ok(match self.slot(field) {
            Some(Slot::Varint(v)) => ((v >> 1) as i64) ^ -((v & 1) as i64),
            _ => self.i64(field)?,
        })
    }

    /// A double (fixed64 bits; JSON: a number, or `"NaN"`, `"Infinity"`, `"-Infinity"`).
    pub(crate) fn f64(&self, field: usize) -> Result<f64> {
        Ok(match self.slot(field) {
            None => 0.0,
            Some(Slot::Fixed64(v)) => f64::from_bits(v),
            Some(Slot::Json(r)) => json_f64(r).ok_or_else(|| self.wrong(field, "a number"))?,
            Some(_) => return Err(self.wrong(field, "a double")),
        })
    }

    pub(crate) fn bool(&self, field: usize) -> Result<bool> {
        Ok(match self.slot(field) {
            None => false,
            Some(Slot::Varint(v)) => v != 0,
            Some(Slot::Json(r)) => match r.get() {
                "true" => true,
                "false" | "null" => false,
                _ => return Err(self.wrong(field, "a boolean")),
            },
            Some(_) => return Err(self.wrong(field, "a boolean")),
        })
    }

    /// A string's bytes, not yet checked as UTF-8 when they come from protobuf: for a writer
    /// that replaces invalid sequences as it writes (`output::write_json_bytes`), so a string of
    /// invalid bytes is never copied into a lossy `String` three times its size first.
    pub(crate) fn text(&self, field: usize) -> Result<Cow<'a, [u8]>> {
        Ok(match self.slot(field) {
            None => Cow::Borrowed(&[]),
            Some(Slot::Bytes(b)) => Cow::Borrowed(b),
            Some(Slot::Json(r)) if r.get() == "null" => Cow::Borrowed(&[]),
            Some(Slot::Json(r)) => match json_str(r).ok_or_else(|| self.wrong(field, "a string"))? {
                Cow::Borrowed(t) => Cow::Borrowed(t.as_bytes()),
                Cow::Owned(t) => Cow::Owned(t.into_bytes()),
            },
            Some(_) => return Err(self.wrong(field, "a string")),
        })
    }

    /// A string (its lossy text if the protobuf bytes aren't UTF-8).
    pub(crate) fn str(&self, field: usize) -> Result<Cow<'a, str>> {
        Ok(match self.slot(field) {
            None => Cow::Borrowed(""),
            Some(Slot::Bytes(b)) => crate::output::lossy(b),
            Some(Slot::Json(r)) if r.get() == "null" => Cow::Borrowed(""),
            Some(Slot::Json(r)) => json_str(r).ok_or_else(|| self.wrong(field, "a string"))?,
            Some(_) => return Err(self.wrong(field, "a string")),
        })
    }

    /// Bytes (protobuf); JSON: base64.
    pub(crate) fn bytes(&self, field: usize) -> Result<Cow<'a, [u8]>> {
        Ok(match self.slot(field) {
            None => Cow::Borrowed(&[]),
            Some(Slot::Bytes(b)) => Cow::Borrowed(b),
            Some(Slot::Json(r)) => {
                let s = json_str(r).ok_or_else(|| self.wrong(field, "a base64 string"))?;
                Cow::Owned(STANDARD.decode(s.as_bytes()).map_err(|_| self.wrong(field, "base64"))?)
            }
            Some(_) => return Err(self.wrong(field, "bytes")),
        })
    }

    /// A trace or span id's bytes (empty when absent or all zero): protobuf bytes; JSON hex (the
    /// OTLP rule) or base64 (protobuf's generic JSON mapping). At most 64 bytes.
    pub(crate) fn id_bytes(&self, field: usize) -> Result<Cow<'a, [u8]>> {
        let bytes: Cow<'a, [u8]> = match self.slot(field) {
            Some(Slot::Json(r)) if r.get() != "null" => {
                let s = json_str(r).ok_or_else(|| self.wrong(field, "an id"))?;
                let hexlike = s.len() % 2 == 0 && s.bytes().all(|c| c.is_ascii_hexdigit());
                if hexlike && (s.len() == 32 || s.len() == 16 || s.is_empty()) {
                    Cow::Owned(hex::decode(s.as_bytes()).map_err(|_| self.wrong(field, "hex"))?)
                } else {
                    Cow::Owned(
                        STANDARD
                            .decode(s.as_bytes())
                            .map_err(|_| self.wrong(field, "an id in hex or base64"))?,
                    )
                }
            }
            _ => self.bytes(field)?,
        };
        if bytes.len() > 64 {
            return Err(self.wrong(field, "an id of at most 64 bytes"));
        }
        Ok(if bytes.iter().all(|&b| b == 0) { Cow::Borrowed(&[]) } else { bytes })
    }

    /// [`Self::id_bytes`] as lowercase hex, on the stack (for an object's members).
    pub(crate) fn id(&self, field: usize) -> Result<Id> {
        let bytes = self.id_bytes(field)?;
        let mut id = Id { hex: [0; 128], len: bytes.len() * 2 };
        hex::encode_to_slice(&bytes, &mut id.hex[..id.len]).expect("sized for 64 bytes");
        Ok(id)
    }

    /// An enum: its number (protobuf, JSON) or its name in JSON, whole (`SPAN_KIND_SERVER`) or
    /// without the prefix, in any case (`server`, as Vercel sends). `names[n]` is number `n`'s
    /// short name.
    pub(crate) fn enumeration(&self, field: usize, prefix: &str, names: &[&str]) -> Result<u64> {
        match self.slot(field) {
            Some(Slot::Json(r)) if r.get().starts_with('"') => {
                let s = json_str(r).ok_or_else(|| self.wrong(field, "an enum"))?;
                let short = s
                    .get(..prefix.len())
                    .filter(|p| p.eq_ignore_ascii_case(prefix))
                    .map_or(&*s, |_| &s[prefix.len()..]);
                names
                    .iter()
                    .position(|n| n.eq_ignore_ascii_case(short))
                    .map(|n| n as u64)
                    .ok_or_else(|| self.wrong(field, "a known enum name"))
            }
            _ => self.u64(field),
        }
    }

    /// The message in a field (an empty one when absent).
    pub(crate) fn message(&self, field: usize, schema: Schema) -> Result<View<'a>> {
        let mut view = View::empty(schema);
        self.message_into(field, &mut view)?;
        Ok(view)
    }

    /// The message in a field read into `view` (its schema kept; empty when absent).
    pub(crate) fn message_into(&self, field: usize, view: &mut View<'a>) -> Result<()> {
        match self.slot(field) {
            None => {
                view.clear();
                Ok(())
            }
            Some(Slot::Bytes(b)) => view.read_protobuf(b),
            Some(Slot::Json(r)) => view.read_json(r),
            Some(_) => Err(self.wrong(field, "a message")),
        }
    }

    /// Calls `f` on each message of a repeated field, in order, each read into the same view.
    pub(crate) fn each(&self, field: usize, schema: Schema, mut f: impl FnMut(&View<'a>) -> Result<()>) -> Result<()> {
        let mut view = View::empty(schema);
        match (self.pb, self.slot(field)) {
            (_, None) => Ok(()),
            (Some(mut buf), _) => {
                let number = self.schema[field].0;
                while !buf.is_empty() {
                    match pb_field(&mut buf)? {
                        (n, Slot::Bytes(b)) if n == number => {
                            view.read_protobuf(b)?;
                            f(&view)?;
                        }
                        (n, _) if n == number => return Err(self.wrong(field, "messages")),
                        _ => {}
                    }
                }
                Ok(())
            }
            (None, Some(Slot::Json(r))) => json_each(r, |item| {
                view.read_json(item)?;
                f(&view)
            })
            .map_err(|e| self.wrong_with(field, e)),
            (None, Some(_)) => Err(self.wrong(field, "a list")),
        }
    }

    /// Calls `f` on each number of a repeated scalar field: packed or not (protobuf), an array of
    /// numbers or strings (JSON). `fixed`: the packed elements are 8-byte (fixed64, double) rather
    /// than varints.
    pub(crate) fn each_number(&self, field: usize, fixed: bool, mut f: impl FnMut(Number) -> Result<()>) -> Result<()> {
        match (self.pb, self.slot(field)) {
            (_, None) => Ok(()),
            (Some(mut buf), _) => {
                let number = self.schema[field].0;
                while !buf.is_empty() {
                    match pb_field(&mut buf)? {
                        (n, Slot::Bytes(mut packed)) if n == number => {
                            while !packed.is_empty() {
                                if fixed {
                                    let (b, rest) = packed
                                        .split_first_chunk::<8>()
                                        .ok_or_else(|| self.wrong(field, "packed 8-byte numbers"))?;
                                    packed = rest;
                                    f(Number::Bits(u64::from_le_bytes(*b)))?;
                                } else {
                                    let v = varint(&mut packed)?;
                                    f(Number::Unsigned(v))?;
                                }
                            }
                        }
                        (n, Slot::Fixed64(v)) if n == number => f(Number::Bits(v))?,
                        (n, Slot::Varint(v)) if n == number => f(Number::Unsigned(v))?,
                        (n, _) if n == number => return Err(self.wrong(field, "numbers")),
                        _ => {}
                    }
                }
                Ok(())
            }
            (None, Some(Slot::Json(r))) => json_each(r, |item| {
                f(Number::Json(
                    json_f64(item).ok_or_else(|| bad(format!("`{}` is not a number", crate::error::brief(item.get()))))?,
                    json_u64(item),
                ))
            })
            .map_err(|e| self.wrong_with(field, e)),
            (None, Some(_)) => Err(self.wrong(field, "a list")),
        }
    }

    fn name(&self, field: usize) -> &'static str {
        self.schema[field].1.first().copied().unwrap_or("?")
    }

    fn wrong(&self, field: usize, expected: &str) -> Rejection {
        bad(format!("`{}` is not {expected}", self.name(field)))
    }

    fn wrong_with(&self, field: usize, e: Rejection) -> Rejection {
        match e {
            Rejection::Undecodable(DecodeError::Otlp(m)) if !m.starts_with("in `") => {
                bad(format!("in `{}`: {m}", self.name(field)))
            }
            other => other,
        }
    }
}

/// One element of a repeated number field.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Number {
    /// A varint.
    Unsigned(u64),
    /// 8 bytes: a fixed64 or a double, as the field says.
    Bits(u64),
    /// JSON: as a double, and as an unsigned integer when it is one.
    Json(f64, Option<u64>),
}

impl Number {
    pub(crate) fn as_u64(self) -> u64 {
        match self {
            Number::Unsigned(v) | Number::Bits(v) => v,
            Number::Json(f, u) => u.unwrap_or(f as u64),
        }
    }

    pub(crate) fn as_f64(self) -> f64 {
        match self {
            Number::Unsigned(v) => v as f64,
            Number::Bits(v) => f64::from_bits(v),
            Number::Json(f, _) => f,
        }
    }
}

fn json_str(r: &RawValue) -> Option<Cow<'_, str>> {
    serde_json::from_str::<Cow<'_, str>>(r.get()).ok()
}

fn json_u64(r: &RawValue) -> Option<u64> {
    let t = r.get();
    let t = t.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or(t);
    t.parse::<u64>().ok().or_else(|| {
        // `1.7e18` or `12.0`: a whole number written as a float.
        t.parse::<f64>()
            .ok()
            .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < 1.8e19)
            .map(|f| f as u64)
    })
}

fn json_i64(r: &RawValue) -> Option<i64> {
    let t = r.get();
    let t = t.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or(t);
    t.parse::<i64>().ok().or_else(|| {
        t.parse::<f64>()
            .ok()
            .filter(|f| f.fract() == 0.0 && f.abs() < 9.2e18)
            .map(|f| f as i64)
    })
}

fn json_f64(r: &RawValue) -> Option<f64> {
    let t = r.get();
    match t {
        "\"NaN\"" => Some(f64::NAN),
        "\"Infinity\"" => Some(f64::INFINITY),
        "\"-Infinity\"" => Some(f64::NEG_INFINITY),
        _ => {
            let t = t.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or(t);
            t.parse::<f64>().ok()
        }
    }
}

/// Calls `f` on each element of a JSON array (`null`: none), without collecting them.
pub(crate) fn json_each<'a>(r: &'a RawValue, f: impl FnMut(&'a RawValue) -> Result<()>) -> Result<()> {
    if r.get() == "null" {
        return Ok(());
    }
    let mut failure = None;
    let mut de = serde_json::Deserializer::from_str(r.get());
    let outcome = de.deserialize_seq(EachVisitor {
        f,
        failure: &mut failure,
    });
    if let Some(e) = failure {
        return Err(e);
    }
    outcome.map_err(|e| bad(format!("JSON: {e}")))
}

struct EachVisitor<'f, F> {
    f: F,
    failure: &'f mut Option<Rejection>,
}

impl<'de, F: FnMut(&'de RawValue) -> Result<()>> Visitor<'de> for EachVisitor<'_, F> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a list")
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> std::result::Result<(), A::Error> {
        while let Some(item) = seq.next_element::<&'de RawValue>()? {
            if let Err(e) = (self.f)(item) {
                *self.failure = Some(e);
                return Err(serde::de::Error::custom("stopped"));
            }
        }
        Ok(())
    }
}

struct ObjectVisitor<'s, 'a> {
    schema: Schema,
    slots: &'s mut [Option<&'a RawValue>; MAX_FIELDS],
}

impl<'de> Visitor<'de> for ObjectVisitor<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match self.schema.iter().position(|(_, names)| names.contains(&&*key)) {
                Some(i) => self.slots[i] = Some(map.next_value::<&'de RawValue>()?),
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// An id as lowercase hex (empty when absent or all zero), on the stack: a span carries three.
pub(crate) struct Id {
    hex: [u8; 128],
    len: usize,
}

impl std::ops::Deref for Id {
    type Target = str;

    fn deref(&self) -> &str {
        std::str::from_utf8(&self.hex[..self.len]).expect("hex is ASCII")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one-byte fast paths read keys and varints exactly as prost does, and refuse what it
    /// refuses: every first byte, before a tail that is a complete varint or cut short.
    #[test]
    fn one_byte_paths_agree_with_prost() {
        for first in 0..=255u8 {
            for tail in [&[][..], &[0x01, 0x00, 0x00][..], &[0x80, 0x80][..], &[0x81, 0x01, 0x7f][..]] {
                let bytes: Vec<u8> = std::iter::once(first).chain(tail.iter().copied()).collect();
                let (mut ours, mut theirs) = (&bytes[..], &bytes[..]);
                let got = varint(&mut ours).ok();
                let want = decode_varint(&mut theirs).ok();
                // Equal results, and the same bytes consumed when read.
                assert_eq!((got, ours.len()), (want, if want.is_some() { theirs.len() } else { ours.len() }));

                let (mut ours, mut theirs) = (&bytes[..], &bytes[..]);
                let got = key(&mut ours).ok();
                let want = decode_key(&mut theirs).ok();
                assert_eq!((got, ours.len()), (want, if want.is_some() { theirs.len() } else { ours.len() }));
            }
        }
    }
}
