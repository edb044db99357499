//! One sender event that is a map of fields (JSON or MessagePack) made into a stored line: the
//! added fields, the sender's fields kept unchanged, and collisions renamed with a leading `_`.

use std::borrow::Cow;

use crate::error::Limit;
pub use crate::format::json_safe::Budget;
use crate::names::Names;
use crate::output::{write_json_raw, Batch, Line};
use crate::timestamp::Timestamp;

/// A field value as a format holds it, left encoded until it is written.
pub trait FieldValue {
    /// The value when it is a string.
    fn as_str(&self) -> Option<Cow<'_, str>>;
    /// Whether the value is a string, without decoding it.
    fn is_str(&self) -> bool {
        self.as_str().is_some()
    }
    /// The value read as a time (Unix by magnitude, RFC 3339, a MessagePack timestamp).
    fn time(&self) -> Option<Timestamp>;
    /// Counts the value's nested keys and nesting into `budget`; `true` when its encoded text
    /// is query-safe JSON as it is (so the event's text can be copied whole). `no_escapes`: the
    /// event's text holds no backslash, so no string in it needs a look.
    fn check(&self, budget: &mut Budget, no_escapes: bool) -> Result<bool, Limit>;
    /// Writes the value as query-safe JSON within `budget`.
    fn write_json(&self, out: &mut Vec<u8>, budget: &mut Budget) -> Result<(), Limit>;
}

/// How a sender's events name their time, message and level (SPEC sections 3 and 10): each a
/// list of top-level field names in order of preference. A kind's rules are a constant; a
/// webhook's come from its config.
#[derive(Debug, Clone, Copy)]
pub struct Rules<'r> {
    /// The time: the first of these fields that parses.
    pub time: &'r [Cow<'static, str>],
    /// The message: the first of these fields that is a string.
    pub message: &'r [Cow<'static, str>],
    /// The level: the first of these fields that is a string.
    pub level: &'r [Cow<'static, str>],
    /// The first time field is drain's `dt` itself (Better Stack): replaced by its normalized
    /// form when it parses, kept as `dt_raw` when it doesn't.
    pub replaces_time: bool,
    /// A `message` that is not a string is stored as its JSON text (else the message is `""`).
    pub message_as_text: bool,
    /// The `<datetime> ` prefix that Northflank puts in `message` is removed.
    pub strip_datetime: bool,
}

const fn names(list: &'static [Cow<'static, str>]) -> &'static [Cow<'static, str>] {
    list
}

impl Rules<'static> {
    /// `timestamp` (Unix ms) is the time; `level` and `message` as sent.
    pub const VERCEL: Self = Rules {
        time: names(&[Cow::Borrowed("timestamp")]),
        message: names(&[Cow::Borrowed("message")]),
        level: names(&[Cow::Borrowed("level")]),
        replaces_time: false,
        message_as_text: true,
        strip_datetime: false,
    };
    /// `timestamp` or `date` is the time, `severity` the level; the `<datetime> ` prefix that
    /// Northflank puts in `message` is removed.
    pub const NORTHFLANK: Self = Rules {
        time: names(&[Cow::Borrowed("timestamp"), Cow::Borrowed("date")]),
        message: names(&[Cow::Borrowed("message")]),
        level: names(&[Cow::Borrowed("severity"), Cow::Borrowed("level")]),
        replaces_time: false,
        message_as_text: true,
        strip_datetime: true,
    };
    /// `dt` is the time and is replaced by its normalized form (`dt_raw` keeps what couldn't be
    /// read); `level` and `message` as sent.
    pub const BETTERSTACK: Self = Rules {
        time: names(&[Cow::Borrowed("dt")]),
        message: names(&[Cow::Borrowed("message")]),
        level: names(&[Cow::Borrowed("level")]),
        replaces_time: true,
        message_as_text: true,
        strip_datetime: false,
    };
}

/// What a decoder found itself for an event (a HEC envelope's nested `event.message`), in place
/// of what the rules would read from its top-level fields.
#[derive(Debug, Clone, Copy, Default)]
pub struct Given<'g> {
    pub time: Option<Timestamp>,
    pub message: Option<&'g str>,
    pub level: Option<&'g str>,
}

/// The names drain adds to every event.
const RESERVED: [&str; 5] = ["dt", "message", "level", "drain", "received_at"];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Action {
    Keep,
    Drop,
    /// Written under this name instead.
    Rename(Vec<u8>),
    DtRaw,
}

/// The first field named `name`.
fn first_named<K: AsRef<[u8]>, V>(fields: &[(K, V)], name: &str) -> Option<usize> {
    fields.iter().position(|(k, _)| k.as_ref() == name.as_bytes())
}

/// Writes one event. `splice` is the sender's object text between its braces, when the format
/// can give it: if no field needs renaming and every value is query-safe as it is, it is copied
/// whole instead of field by field.
pub fn write_event<K: AsRef<[u8]>, V: FieldValue>(
    batch: &mut Batch<'_, '_>,
    rules: &Rules<'_>,
    fields: &[(K, V)],
    splice: Option<&[u8]>,
) -> Result<(), Limit> {
    write_event_given(batch, rules, fields, splice, Given::default())
}

/// [`write_event`], with what the decoder found itself (`given`) taking the place of what the
/// rules would read.
pub fn write_event_given<K: AsRef<[u8]>, V: FieldValue>(
    batch: &mut Batch<'_, '_>,
    rules: &Rules<'_>,
    fields: &[(K, V)],
    splice: Option<&[u8]>,
    given: Given<'_>,
) -> Result<(), Limit> {
    let limits = *batch.limits();
    if fields.len() > limits.max_fields {
        return Err(Limit::Fields(limits.max_fields));
    }
    // SPEC section 3: the first of the candidate fields that parses, not the first present.
    let time_field = match rules.replaces_time {
        true => rules.time.first().and_then(|n| first_named(fields, n)),
        false => None,
    };
    let dt = given.time.or_else(|| {
        rules
            .time
            .iter()
            .filter_map(|n| first_named(fields, n))
            .find_map(|i| fields[i].1.time())
    });

    // The message: the first candidate that is a string; a sender's `message` chosen is kept in
    // place, any other is written as drain's `message` (and a sender's `message` renamed).
    let message_at = first_named(fields, "message");
    let chosen_message = match given.message {
        Some(_) => None,
        None => rules
            .message
            .iter()
            .filter_map(|n| first_named(fields, n))
            .find(|&i| fields[i].1.is_str()),
    };
    let message_is_str = chosen_message.is_some() && chosen_message == message_at;
    let stripped = match rules.strip_datetime && message_is_str {
        true => message_at
            .and_then(|i| fields[i].1.as_str())
            .and_then(|m| strip_datetime_prefix(&m)),
        false => None,
    };
    let other_message = match (given.message, chosen_message) {
        (Some(m), _) => Some(Cow::Borrowed(m)),
        (None, Some(i)) if Some(i) != message_at => fields[i].1.as_str(),
        _ => None,
    };
    // The level: likewise, the first candidate that is a string.
    let level_at = first_named(fields, "level");
    let chosen_level = match given.level {
        Some(_) => None,
        None => rules
            .level
            .iter()
            .filter_map(|n| first_named(fields, n))
            .find(|&i| fields[i].1.is_str()),
    };
    let level_is_str = chosen_level.is_some() && chosen_level == level_at;
    let other_level = match (given.level, chosen_level) {
        (Some(l), _) => Some(Cow::Borrowed(l)),
        (None, Some(i)) if Some(i) != level_at => fields[i].1.as_str(),
        _ => None,
    };

    // What becomes of each sender field before renames: kept in drain's place, dropped, or
    // kept as the sender's.
    let base = |i: usize, _k: &[u8]| {
        if Some(i) == time_field {
            return match dt {
                Some(_) => Action::Drop,
                None => Action::DtRaw,
            };
        }
        if Some(i) == message_at && message_is_str && stripped.is_some() {
            return Action::Drop;
        }
        Action::Keep
    };
    let in_place = |i: usize, _k: &[u8]| {
        (Some(i) == message_at && message_is_str && stripped.is_none()) || (Some(i) == level_at && level_is_str)
    };
    // drain's names that a sender field fills in place (only `message` and `level` can be).
    let filled = |r: &str| match r {
        "message" => message_at.is_some_and(|i| in_place(i, b"message")),
        "level" => level_at.is_some_and(|i| in_place(i, b"level")),
        _ => false,
    };
    // Renames are needed only when two top-level names (drain's included) are equal ignoring
    // ASCII case; a cheap fingerprint rules that out for almost every event.
    let renames = match might_collide(fields, &base, &filled) {
        true => Some(decide_names(fields, &base, &in_place, limits.max_event_bytes)?),
        false => None,
    };
    let action = |i: usize, k: &[u8]| match &renames {
        Some(actions) => actions[i].clone(),
        None => base(i, k),
    };

    let budget = Budget {
        fields: limits.max_fields - fields.len(),
        max_fields: limits.max_fields,
        max_depth: limits.max_depth,
        end: 0,
        max_event_bytes: limits.max_event_bytes,
    };
    batch.event(dt, |line: &mut Line<'_>| {
        let mut budget = Budget {
            end: line.end(),
            ..budget
        };
        // `message`, when it isn't among the kept sender fields.
        if let Some(m) = stripped.as_deref().or(other_message.as_deref()) {
            line.str_field("message", m);
        } else if !message_is_str {
            match message_at {
                Some(i) if rules.message_as_text => {
                    let mut text = Vec::new();
                    fields[i].1.write_json(&mut text, &mut budget.clone())?;
                    line.str_field("message", &String::from_utf8_lossy(&text));
                }
                _ => line.str_field("message", ""),
            }
        }
        if let Some(level) = &other_level {
            line.str_field("level", level);
        }
        line.common();
        if let (Some(inner), None) = (splice, &renames) {
            // One scan of the event's text: without a backslash no string needs a look (no lone
            // surrogate, no escaped key), and without a line break it is copied as it is.
            let plain = memchr::memchr3(b'\\', b'\n', b'\r', inner).is_none();
            let mut checked = budget;
            let mut clean = true;
            for (i, (k, v)) in fields.iter().enumerate() {
                clean &= base(i, k.as_ref()) == Action::Keep;
                clean &= v.check(&mut checked, plain)?;
            }
            if clean {
                if !inner.is_empty() {
                    if line.out.len() + inner.len() + 1 > budget.end {
                        return Err(Limit::EventBytes(limits.max_event_bytes));
                    }
                    line.out.push(b',');
                    match plain {
                        true => line.out.extend_from_slice(inner),
                        false => write_json_raw(line.out, inner),
                    }
                }
                return Ok(());
            }
        }
        for (i, (k, v)) in fields.iter().enumerate() {
            match action(i, k.as_ref()) {
                Action::Keep => line.key(k.as_ref()),
                Action::Rename(name) => line.key(&name),
                Action::DtRaw => line.key(b"dt_raw"),
                Action::Drop => continue,
            }
            v.write_json(line.out, &mut budget)?;
        }
        Ok(())
    })
}

/// Whether two top-level names of the stored line might be equal ignoring ASCII case: drain's
/// own (less the ones a sender field fills in place) and the sender's. Compares a fingerprint
/// (length, first and last byte folded), so `false` is certain and `true` is checked exactly.
fn might_collide<K: AsRef<[u8]>, V>(
    fields: &[(K, V)],
    base: &impl Fn(usize, &[u8]) -> Action,
    filled: &impl Fn(&str) -> bool,
) -> bool {
    const MAX: usize = 32;
    if fields.len() > MAX {
        return true;
    }
    let print = |k: &[u8]| -> u32 {
        let (Some(first), Some(last)) = (k.first(), k.last()) else {
            return 0;
        };
        ((k.len() as u32) << 16) | (u32::from(first.to_ascii_lowercase()) << 8) | u32::from(last.to_ascii_lowercase())
    };
    let mut prints = [0u32; MAX + RESERVED.len()];
    let mut n = 0;
    for r in RESERVED {
        if !filled(r) {
            prints[n] = print(r.as_bytes());
            n += 1;
        }
    }
    // Each sender field under the name it would be written with: a dropped one (a `dt` that
    // drain's replaces) under none.
    for (i, (k, _)) in fields.iter().enumerate() {
        let k = k.as_ref();
        prints[n] = match base(i, k) {
            Action::Drop => continue,
            Action::DtRaw => print(b"dt_raw"),
            _ => print(k),
        };
        n += 1;
    }
    // Two equal prints, found through a small open-addressed table (no sort).
    let mut table = [0u32; 2 * (MAX + RESERVED.len()).next_power_of_two()];
    let mask = table.len() - 1;
    for &p in &prints[..n] {
        // Bit 31 marks a used slot: no marked print is 0, and equal prints stay equal.
        let p = p | 1 << 31;
        let mut slot = (p.wrapping_mul(0x9E37_79B1) >> 16) as usize & mask;
        loop {
            match table[slot] {
                0 => {
                    table[slot] = p;
                    break;
                }
                q if q == p => return true,
                _ => slot = (slot + 1) & mask,
            }
        }
    }
    false
}

/// Every sender field's action with the top-level names made unique ignoring ASCII case.
/// drain's own names come first; then the sender's names in order, a repeat getting
/// underscores; last the sender fields that collide with drain's names, each under the first
/// name with underscores that no field uses (so `_drain` sent as such keeps its name).
/// The names' bytes are counted: a line can't hold more than `max_event_bytes`, so many repeats
/// of one name (each one underscore longer) are refused before they cost more than that.
fn decide_names<K: AsRef<[u8]>, V>(
    fields: &[(K, V)],
    base: &impl Fn(usize, &[u8]) -> Action,
    in_place: &impl Fn(usize, &[u8]) -> bool,
    max_event_bytes: usize,
) -> Result<Vec<Action>, Limit> {
    let mut spent = 0usize;
    let mut spend = |name: &[u8]| {
        spent += name.len();
        if spent > max_event_bytes {
            return Err(Limit::EventBytes(max_event_bytes));
        }
        Ok(())
    };
    let mut names = Names::folded();
    for r in RESERVED {
        names.reserve(r.as_bytes());
    }
    let reserved = |k: &[u8]| RESERVED.iter().any(|r| r.as_bytes().eq_ignore_ascii_case(k));
    let mut actions: Vec<Action> = fields
        .iter()
        .enumerate()
        .map(|(i, (k, _))| {
            let k = k.as_ref();
            Ok(match base(i, k) {
                Action::Drop => Action::Drop,
                _ if in_place(i, k) => Action::Keep,
                Action::DtRaw => Action::DtRaw,
                _ if reserved(k) => Action::Rename(Vec::new()),
                _ => match names.take(Cow::Borrowed(k)) {
                    None => Action::Keep,
                    Some(prefix) => {
                        let name = crate::names::renamed(&prefix, k);
                        spend(&name)?;
                        Action::Rename(name)
                    }
                },
            })
        })
        .collect::<Result<_, Limit>>()?;
    for (i, (k, _)) in fields.iter().enumerate() {
        let k = k.as_ref();
        let name: &[u8] = match &actions[i] {
            Action::DtRaw => b"dt_raw",
            Action::Rename(n) if n.is_empty() => k,
            _ => continue,
        };
        let name = match names.take(Cow::Borrowed(name)) {
            None => name.to_vec(),
            Some(prefix) => crate::names::renamed(&prefix, name),
        };
        spend(&name)?;
        actions[i] = Action::Rename(name);
    }
    Ok(actions)
}

/// Northflank writes `<RFC 3339 datetime> ` at the start of a JSON event's `message`.
pub fn strip_datetime_prefix(m: &str) -> Option<String> {
    let (head, rest) = m.split_once(' ')?;
    Timestamp::parse_rfc3339(head).map(|_| rest.to_string())
}
