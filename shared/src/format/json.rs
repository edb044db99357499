//! JSON events: a whole array, NDJSON, one object, or objects one per line, read with their
//! fields borrowed from the body and their values left as raw JSON text.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::error::{DecodeError, Limit};
use crate::event::{Budget, FieldValue};
use crate::format::json_safe;
use crate::timestamp::Timestamp;

/// One event: its top-level fields in order.
#[derive(Debug)]
pub struct JsonEvent<'a> {
    pub fields: Vec<(Key<'a>, &'a RawValue)>,
}

/// A field name, borrowed from the body unless it had escapes.
#[derive(Debug)]
pub struct Key<'a>(pub Cow<'a, str>);

impl AsRef<[u8]> for Key<'_> {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl<'a> JsonEvent<'a> {
    /// The object's text between its braces, when it can be copied as is: the first name is
    /// borrowed from `body`, so where the object starts is known.
    pub fn inner(&self, body: &'a [u8]) -> Option<&'a [u8]> {
        let (Some((first, _)), Some((_, last))) = (self.fields.first(), self.fields.last()) else {
            return Some(&[]);
        };
        let Cow::Borrowed(name) = first.0 else {
            return None;
        };
        let start = offset_in(body, name.as_bytes())?.checked_sub(1)?;
        let end = offset_in(body, last.get().as_bytes())? + last.get().len();
        (body.get(start) == Some(&b'"')).then(|| &body[start..end])
    }
}

fn offset_in(body: &[u8], part: &[u8]) -> Option<usize> {
    let off = (part.as_ptr() as usize).checked_sub(body.as_ptr() as usize)?;
    (off + part.len() <= body.len()).then_some(off)
}

impl FieldValue for &RawValue {
    fn as_str(&self) -> Option<Cow<'_, str>> {
        let text = self.get();
        if !text.starts_with('"') {
            return None;
        }
        match serde_json::from_str::<Key<'_>>(text) {
            Ok(k) => Some(k.0),
            // A lone surrogate escape (JavaScript text cut mid-pair): its text as stored.
            Err(_) => {
                let fixed = json_safe::replace_lone_surrogates(text.as_bytes());
                serde_json::from_slice::<String>(&fixed).ok().map(Cow::Owned)
            }
        }
    }

    fn is_str(&self) -> bool {
        // serde_json has checked the text: a value that opens with a quote is a whole string.
        self.get().starts_with('"')
    }

    fn time(&self) -> Option<Timestamp> {
        Timestamp::parse_json_text(self.get())
    }

    fn check(&self, budget: &mut Budget, no_escapes: bool) -> Result<bool, Limit> {
        json_safe::check(self.get().as_bytes(), 1, budget, no_escapes)
    }

    fn write_json(&self, out: &mut Vec<u8>, budget: &mut Budget) -> Result<(), Limit> {
        json_safe::write(self.get().as_bytes(), 1, budget, out)
    }
}

pub use crate::config::FIELDS_CAP;
const FIELDS_CAP_TEXT: &str = "drain: more top-level fields than the cap";

/// A reading error, or the field cap reached (a limit, not a decoding error).
fn json_error<E: From<DecodeError> + From<Limit>>(e: serde_json::Error) -> E {
    let text = e.to_string();
    if text.starts_with(FIELDS_CAP_TEXT) {
        return Limit::Fields(FIELDS_CAP).into();
    }
    DecodeError::Json(crate::error::brief(text)).into()
}

/// An element of a body whose events may also be strings (a webhook's `["a line", {…}]`).
#[derive(Debug)]
pub enum Element<'a> {
    Object(JsonEvent<'a>),
    Text(Cow<'a, str>),
}

/// Calls `f` on every event of the body, in order. An empty body has none.
pub fn for_each_event<'a, E: From<DecodeError> + From<Limit>>(
    body: &'a [u8],
    f: impl FnMut(JsonEvent<'a>) -> Result<(), E>,
) -> Result<(), E> {
    for_each(body, f)
}

/// Calls `f` on every element of the body, in order: a whole array, or values one after
/// another (NDJSON, or concatenated with no space between, as HEC senders do). An empty body
/// has none.
pub fn for_each<'a, T: Deserialize<'a>, E: From<DecodeError> + From<Limit>>(
    body: &'a [u8],
    mut f: impl FnMut(T) -> Result<(), E>,
) -> Result<(), E> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    // JSON text is UTF-8 (RFC 8259). Checked once for the whole body, which is much faster than
    // string by string, and lets serde_json read it as `str` without checking again.
    let body = std::str::from_utf8(body).map_err(|e| {
        DecodeError::Json(format!(
            "the body is not UTF-8 (invalid byte at offset {})",
            e.valid_up_to()
        ))
    })?;
    let first = body.bytes().find(|c| !c.is_ascii_whitespace());
    if first == Some(b'[') {
        let mut de = serde_json::Deserializer::from_str(body);
        let mut failure = None;
        let seed = ArraySeed {
            f: &mut f,
            failure: &mut failure,
            index: 0,
            item: std::marker::PhantomData,
        };
        let parsed = seed.deserialize(&mut de).and_then(|()| de.end());
        if let Some(e) = failure {
            return Err(e);
        }
        return parsed.map_err(json_error);
    }
    for item in serde_json::Deserializer::from_str(body).into_iter::<T>() {
        f(item.map_err(json_error::<E>)?)?;
    }
    Ok(())
}

struct ArraySeed<'s, T, F, E> {
    f: &'s mut F,
    failure: &'s mut Option<E>,
    index: usize,
    item: std::marker::PhantomData<T>,
}

impl<'de, T: Deserialize<'de>, F, E> DeserializeSeed<'de> for ArraySeed<'_, T, F, E>
where
    F: FnMut(T) -> Result<(), E>,
{
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, T: Deserialize<'de>, F, E> Visitor<'de> for ArraySeed<'_, T, F, E>
where
    F: FnMut(T) -> Result<(), E>,
{
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of JSON objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        while let Some(event) = seq.next_element::<T>()? {
            self.index += 1;
            if let Err(e) = (self.f)(event) {
                *self.failure = Some(e);
                return Err(de::Error::custom("stopped"));
            }
        }
        Ok(())
    }
}

/// The fields of one object, each value left as raw text.
fn read_fields<'de, A: MapAccess<'de>>(mut map: A) -> Result<JsonEvent<'de>, A::Error> {
    // serde_json gives no size hint: room for 32 fields (a Vercel log has ~18) in one allocation.
    let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(32).min(64));
    while let Some(k) = map.next_key::<Key<'de>>()? {
        if fields.len() == FIELDS_CAP {
            return Err(de::Error::custom(FIELDS_CAP_TEXT));
        }
        fields.push((k, map.next_value::<&'de RawValue>()?));
    }
    Ok(JsonEvent { fields })
}

impl<'de> Deserialize<'de> for JsonEvent<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = JsonEvent<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object (one event)")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                read_fields(map)
            }
        }
        d.deserialize_map(V)
    }
}

impl<'de> Deserialize<'de> for Element<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Element<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object or string (one event)")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                read_fields(map).map(Element::Object)
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Element::Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Element::Text(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// A field value read as JSON text, or one drain made itself from text (a line of a text body, a
/// query parameter, a string element): the one value type of an event that mixes them.
#[derive(Debug, Clone)]
pub enum Val<'a> {
    Raw(&'a RawValue),
    Text(Cow<'a, str>),
}

impl FieldValue for Val<'_> {
    fn as_str(&self) -> Option<Cow<'_, str>> {
        match self {
            Val::Raw(r) => r.as_str(),
            Val::Text(t) => Some(Cow::Borrowed(t)),
        }
    }

    fn is_str(&self) -> bool {
        match self {
            Val::Raw(r) => r.is_str(),
            Val::Text(_) => true,
        }
    }

    fn time(&self) -> Option<Timestamp> {
        match self {
            Val::Raw(r) => r.time(),
            Val::Text(t) => Timestamp::parse_rfc3339(t.trim()).or_else(|| Timestamp::parse_number(t.trim())),
        }
    }

    fn check(&self, budget: &mut Budget, no_escapes: bool) -> Result<bool, Limit> {
        match self {
            Val::Raw(r) => r.check(budget, no_escapes),
            // Written through the escaper, never spliced.
            Val::Text(_) => Ok(false),
        }
    }

    fn write_json(&self, out: &mut Vec<u8>, budget: &mut Budget) -> Result<(), Limit> {
        match self {
            Val::Raw(r) => r.write_json(out, budget),
            Val::Text(t) => {
                if out.len() + t.len() > budget.end {
                    return Err(Limit::EventBytes(budget.max_event_bytes));
                }
                crate::output::write_json_str(out, t);
                Ok(())
            }
        }
    }
}
