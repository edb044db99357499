//! One sender event that is a map of fields (JSON or MessagePack) made into a stored line: the
//! added fields, the sender's fields kept unchanged, and collisions renamed with a leading `_`.

use std::borrow::Cow;
use std::convert::Infallible;

use crate::output::{write_json_raw, Batch, Line};
use crate::timestamp::Timestamp;

/// A field value as a format holds it, left encoded until it is written.
pub trait FieldValue {
    /// The value when it is a string.
    fn as_str(&self) -> Option<Cow<'_, str>>;
    /// The value read as a time (Unix by magnitude, RFC 3339, a MessagePack timestamp).
    fn time(&self) -> Option<Timestamp>;
    /// Writes the value as JSON.
    fn write_json(&self, out: &mut Vec<u8>);
}

/// Which sender's naming an event follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rules {
    /// `timestamp` (Unix ms) is the time; `level` and `message` as sent.
    Vercel,
    /// `timestamp` or `date` is the time, `severity` the level; the `<datetime> ` prefix that
    /// Northflank puts in `message` is removed.
    Northflank,
    /// `dt` is the time and is replaced by its normalized form (`dt_raw` keeps what couldn't be
    /// read); `level` and `message` as sent.
    BetterStack,
}

/// The names drain adds to every event.
const RESERVED: [&str; 5] = ["dt", "message", "level", "drain", "received_at"];

enum Action {
    Keep,
    Drop,
    Rename(String),
    DtRaw,
}

/// Writes one event. `splice` is the sender's object text between its braces, when the format
/// can give it: if no field needs renaming, it is copied as is instead of field by field.
pub fn write_event<K: AsRef<[u8]>, V: FieldValue>(
    batch: &mut Batch<'_>,
    rules: Rules,
    fields: &[(K, V)],
    splice: Option<&[u8]>,
) {
    let find = |name: &str| fields.iter().position(|(k, _)| k.as_ref() == name.as_bytes());
    let time_field = match rules {
        Rules::Vercel => find("timestamp"),
        Rules::Northflank => find("timestamp").or_else(|| find("date")),
        Rules::BetterStack => find("dt"),
    };
    let dt = time_field.and_then(|i| fields[i].1.time());

    // The message: a sender's string is kept in place; anything else is renamed and shown as text.
    let message_at = find("message");
    let message_str = message_at.and_then(|i| fields[i].1.as_str());
    let stripped = match (rules, &message_str) {
        (Rules::Northflank, Some(m)) => strip_datetime_prefix(m),
        _ => None,
    };
    // The level: kept in place when the sender's `level` is a string; Northflank's `severity` is
    // added as `level`.
    let severity = if rules == Rules::Northflank {
        find("severity").and_then(|i| fields[i].1.as_str())
    } else {
        None
    };
    let level_at = find("level");
    let level_is_str = level_at.is_some_and(|i| fields[i].1.as_str().is_some());

    // What becomes of each sender field; decided again while writing rather than kept in a
    // per-event vector (renames, the only case that allocates, are rare).
    let action = |i: usize, k: &[u8]| match k {
        b"dt" if rules == Rules::BetterStack && Some(i) == time_field => {
            if dt.is_some() {
                Action::Drop
            } else {
                Action::DtRaw
            }
        }
        b"message" if Some(i) == message_at && message_str.is_some() => {
            if stripped.is_some() {
                Action::Drop
            } else {
                Action::Keep
            }
        }
        b"level" if Some(i) == level_at && level_is_str && severity.is_none() => Action::Keep,
        k if RESERVED.iter().any(|r| r.as_bytes() == k) => Action::Rename(free_name(k, fields)),
        _ => Action::Keep,
    };
    let all_keep = || {
        fields
            .iter()
            .enumerate()
            .all(|(i, (k, _))| matches!(action(i, k.as_ref()), Action::Keep))
    };

    let written: Result<(), Infallible> = batch.event(dt, |line: &mut Line<'_>| {
        // `message`, when it isn't among the kept sender fields.
        if let Some(m) = &stripped {
            line.str_field("message", m);
        } else if message_str.is_none() {
            match message_at {
                Some(i) => {
                    let mut text = Vec::new();
                    fields[i].1.write_json(&mut text);
                    line.str_field("message", &String::from_utf8_lossy(&text));
                }
                None => line.str_field("message", ""),
            }
        }
        if let Some(sev) = &severity {
            line.str_field("level", sev);
        }
        line.common();
        match splice {
            Some(inner) if all_keep() => {
                if !inner.is_empty() {
                    line.out.push(b',');
                    write_json_raw(line.out, inner);
                }
            }
            _ => {
                for (i, (k, v)) in fields.iter().enumerate() {
                    match action(i, k.as_ref()) {
                        Action::Keep => line.key(k.as_ref()),
                        Action::Rename(n) => line.key(n.as_bytes()),
                        Action::DtRaw => line.key(b"dt_raw"),
                        Action::Drop => continue,
                    }
                    v.write_json(line.out);
                }
            }
        }
        Ok(())
    });
    let Ok(()) = written;
}

/// `_name`, with more underscores while the sender already uses that name too.
fn free_name<K: AsRef<[u8]>, V>(name: &[u8], fields: &[(K, V)]) -> String {
    let mut candidate = format!("_{}", String::from_utf8_lossy(name));
    while fields.iter().any(|(k, _)| k.as_ref() == candidate.as_bytes()) {
        candidate.insert(0, '_');
    }
    candidate
}

/// Northflank writes `<RFC 3339 datetime> ` at the start of a JSON event's `message`.
pub fn strip_datetime_prefix(m: &str) -> Option<String> {
    let (head, rest) = m.split_once(' ')?;
    Timestamp::parse_rfc3339(head).map(|_| rest.to_string())
}
