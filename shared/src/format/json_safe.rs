//! A sender's JSON value (text serde_json has already checked) made query-safe on its way into
//! a stored line: repeated keys renamed, lone UTF-16 surrogate escapes replaced with `\ufffd`,
//! line breaks between tokens made spaces; nested keys counted against `max_fields` and nesting
//! against `max_depth`. One pass over the bytes, copying clean runs whole.

use std::borrow::Cow;

use crate::error::Limit;
use crate::names::{renamed, Names};
use crate::output::write_json_bytes;

/// What one event may still spend, shared by its values.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Keys the event may still have.
    pub fields: usize,
    pub max_fields: usize,
    pub max_depth: usize,
    /// `out.len()` the line must not pass.
    pub end: usize,
    pub max_event_bytes: usize,
}

impl Budget {
    /// No limit: for values written outside a stored line.
    pub fn unlimited() -> Self {
        Self {
            fields: usize::MAX,
            max_fields: usize::MAX,
            max_depth: usize::MAX,
            end: usize::MAX,
            max_event_bytes: usize::MAX,
        }
    }

    pub fn field(&mut self) -> Result<(), Limit> {
        self.fields = self.fields.checked_sub(1).ok_or(Limit::Fields(self.max_fields))?;
        Ok(())
    }

    pub fn room(&self, out: &[u8]) -> Result<(), Limit> {
        if out.len() > self.end {
            return Err(Limit::EventBytes(self.max_event_bytes));
        }
        Ok(())
    }
}

/// Checks `raw` (one JSON value at nesting `depth`) and counts its keys; `true` when it can be
/// copied as it is.
/// `no_escapes`: `raw` is known to hold no backslash.
pub fn check(raw: &[u8], depth: usize, budget: &mut Budget, no_escapes: bool) -> Result<bool, Limit> {
    match quick_check(raw, depth, budget, no_escapes) {
        Some(answer) => answer,
        None => walk(raw, depth, budget, None),
    }
}

/// Keys of the open objects that [`quick_check`] compares without allocating.
const QUICK_KEYS: usize = 64;
/// Nesting [`quick_check`] follows.
const QUICK_DEPTH: usize = 32;

/// [`check`] for the common value, on the stack: keys without escapes, at most [`QUICK_KEYS`]
/// of them open at once, each compared with its object's earlier keys. `None` when the value
/// needs the general walk.
fn quick_check(raw: &[u8], mut depth: usize, budget: &mut Budget, no_escapes: bool) -> Option<Result<bool, Limit>> {
    match raw.first() {
        Some(b'{' | b'[') => {}
        // A string without escapes, a number, a literal: nothing to count or change.
        Some(b'"') if !no_escapes => return Some(Ok(!has_lone_surrogate(raw))),
        _ => return Some(Ok(true)),
    }
    let mut keys: [&[u8]; QUICK_KEYS] = [&[]; QUICK_KEYS];
    // Each key's length and bytes next to its quotes: most pairs differ there, so few are
    // compared in full.
    let mut prints = [0u32; QUICK_KEYS];
    let print = |t: &[u8]| {
        let at = |k: usize| u32::from(t.get(k).copied().unwrap_or(0));
        ((t.len() as u32) << 16) | (at(1) << 8) | at(t.len().saturating_sub(2))
    };
    let mut nkeys = 0;
    // Per open container: where its keys start in `keys`, or `usize::MAX` for an array.
    let mut starts = [0usize; QUICK_DEPTH];
    let mut open = 0;
    let mut spent = budget.fields;
    let mut expect_key = false;
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'{' | b'[' => {
                depth += 1;
                if depth > budget.max_depth {
                    return Some(Err(Limit::Depth(budget.max_depth)));
                }
                if open == QUICK_DEPTH {
                    return None;
                }
                let object = raw[i] == b'{';
                starts[open] = if object { nkeys } else { usize::MAX };
                open += 1;
                expect_key = object;
                i += 1;
            }
            b'}' | b']' => {
                open -= 1;
                if starts[open] != usize::MAX {
                    nkeys = starts[open];
                }
                depth -= 1;
                expect_key = false;
                i += 1;
            }
            b',' => {
                expect_key = open > 0 && starts[open - 1] != usize::MAX;
                i += 1;
            }
            b'"' => {
                let (end, escaped) = match no_escapes {
                    // No backslash: the string ends at the next quote.
                    true => (memchr::memchr(b'"', &raw[i + 1..]).map_or(raw.len(), |at| i + at + 2), false),
                    false => {
                        let end = string_end(raw, i);
                        (end, memchr::memchr(b'\\', &raw[i..end]).is_some())
                    }
                };
                let token = &raw[i..end];
                if escaped && !expect_key && has_lone_surrogate(token) {
                    return Some(Ok(false));
                }
                if expect_key {
                    if escaped {
                        return None;
                    }
                    let Some(left) = spent.checked_sub(1) else {
                        return Some(Err(Limit::Fields(budget.max_fields)));
                    };
                    spent = left;
                    let start = starts[open - 1];
                    let p = print(token);
                    if (start..nkeys).any(|j| prints[j] == p && keys[j] == token) {
                        return Some(Ok(false));
                    }
                    if nkeys == QUICK_KEYS {
                        return None;
                    }
                    keys[nkeys] = token;
                    prints[nkeys] = p;
                    nkeys += 1;
                    expect_key = false;
                }
                i = end;
            }
            _ => i += 1,
        }
    }
    budget.fields = spent;
    Some(Ok(true))
}

/// Writes `raw` made query-safe.
pub fn write(raw: &[u8], depth: usize, budget: &mut Budget, out: &mut Vec<u8>) -> Result<(), Limit> {
    walk(raw, depth, budget, Some(out)).map(|_| ())
}

fn walk(raw: &[u8], mut depth: usize, budget: &mut Budget, mut out: Option<&mut Vec<u8>>) -> Result<bool, Limit> {
    // Fast exit for scalars without escapes: nothing to count, nothing to change.
    match raw.first() {
        Some(b'{' | b'[' | b'"') => {}
        _ => {
            if let Some(out) = out {
                out.extend_from_slice(raw);
            }
            return Ok(true);
        }
    }
    if raw[0] == b'"' && memchr::memchr(b'\\', raw).is_none() {
        if let Some(out) = out {
            out.extend_from_slice(raw);
            budget.room(out)?;
        }
        return Ok(true);
    }
    let mut clean = true;
    // One set of names per open object; arrays push `None`.
    let mut frames: Vec<Option<Names<'_>>> = Vec::new();
    let mut expect_key = false;
    let mut renamed_bytes = 0usize;
    let mut copied = 0;
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'{' | b'[' => {
                depth += 1;
                if depth > budget.max_depth {
                    return Err(Limit::Depth(budget.max_depth));
                }
                let object = raw[i] == b'{';
                frames.push(object.then(Names::exact));
                expect_key = object;
                i += 1;
            }
            b'}' | b']' => {
                frames.pop();
                depth -= 1;
                expect_key = false;
                i += 1;
            }
            b',' => {
                expect_key = matches!(frames.last(), Some(Some(_)));
                i += 1;
            }
            b'\n' | b'\r' => {
                // A line break between tokens (inside a string it is always escaped).
                if let Some(out) = out.as_deref_mut() {
                    out.extend_from_slice(&raw[copied..i]);
                    out.push(b' ');
                    copied = i + 1;
                }
                i += 1;
            }
            b'"' => {
                let end = string_end(raw, i);
                let token = &raw[i..end];
                let escaped = memchr::memchr(b'\\', token).is_some();
                let lone = escaped && has_lone_surrogate(token);
                let fixed: Cow<'_, [u8]> = if lone {
                    Cow::Owned(replace_lone_surrogates(token))
                } else {
                    Cow::Borrowed(token)
                };
                let mut rename = None;
                if expect_key {
                    budget.field()?;
                    let name = key_text(&fixed);
                    if let Some(Some(names)) = frames.last_mut() {
                        rename = names.take(name.clone()).map(|prefix| renamed(&prefix, &name));
                    }
                    // New names can't cost more than a line may hold (many repeats of one key
                    // each get one more underscore).
                    if let Some(n) = &rename {
                        renamed_bytes += n.len();
                        if renamed_bytes > budget.max_event_bytes {
                            return Err(Limit::EventBytes(budget.max_event_bytes));
                        }
                    }
                    expect_key = false;
                }
                if lone || rename.is_some() {
                    clean = false;
                    if let Some(out) = out.as_deref_mut() {
                        out.extend_from_slice(&raw[copied..i]);
                        match &rename {
                            Some(name) => write_json_bytes(out, name),
                            None => out.extend_from_slice(&fixed),
                        }
                        copied = end;
                    }
                }
                i = end;
            }
            _ => i += 1,
        }
        if let Some(out) = out.as_deref() {
            // Checked against what would be written so far, so no line grows far past the limit.
            if out.len() + (i - copied) > budget.end {
                return Err(Limit::EventBytes(budget.max_event_bytes));
            }
        }
    }
    if let Some(out) = out {
        out.extend_from_slice(&raw[copied..]);
        budget.room(out)?;
    }
    Ok(clean)
}

/// The index just past the string token that starts at `start` (valid JSON: it is closed).
fn string_end(raw: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while let Some(at) = memchr::memchr2(b'"', b'\\', &raw[i..]) {
        i += at;
        if raw[i] == b'\\' {
            i += 2;
        } else {
            return i + 1;
        }
    }
    raw.len()
}

/// A key's text for comparing: the bytes between the quotes, decoded when it has escapes.
fn key_text<'a>(token: &Cow<'a, [u8]>) -> Cow<'a, [u8]> {
    let inner_of = |t: &'a [u8]| &t[1..t.len().saturating_sub(1).max(1)];
    match token {
        Cow::Borrowed(t) if memchr::memchr(b'\\', t).is_none() => Cow::Borrowed(inner_of(t)),
        t => match serde_json::from_slice::<String>(t) {
            Ok(s) => Cow::Owned(s.into_bytes()),
            Err(_) => Cow::Owned(t[1..t.len().saturating_sub(1).max(1)].to_vec()),
        },
    }
}

/// Whether a string token holds a `\uD800`–`\uDFFF` escape that isn't half of a valid pair.
fn has_lone_surrogate(token: &[u8]) -> bool {
    let mut lone = false;
    visit_surrogates(token, |_, _| lone = true);
    lone
}

/// The token with each lone surrogate escape replaced by `\ufffd`.
pub fn replace_lone_surrogates(token: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(token.len());
    let mut copied = 0;
    visit_surrogates(token, |at, _| {
        out.extend_from_slice(&token[copied..at]);
        out.extend_from_slice(b"\\ufffd");
        copied = at + 6;
    });
    out.extend_from_slice(&token[copied..]);
    out
}

/// Calls `f(offset, unit)` for each lone surrogate escape `\uXXXX` in a string token.
fn visit_surrogates(token: &[u8], mut f: impl FnMut(usize, u16)) {
    let unit_at = |i: usize| -> Option<u16> {
        let hex = token.get(i + 2..i + 6)?;
        (token.get(i..i + 2)? == b"\\u")
            .then(|| u16::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok())
            .flatten()
    };
    let mut i = 0;
    while let Some(at) = memchr::memchr(b'\\', &token[i..]) {
        i += at;
        if token.get(i + 1) != Some(&b'u') {
            i += 2;
            continue;
        }
        let Some(unit) = unit_at(i) else {
            i += 2;
            continue;
        };
        match unit {
            0xD800..=0xDBFF => match unit_at(i + 6) {
                Some(0xDC00..=0xDFFF) => i += 12,
                _ => {
                    f(i, unit);
                    i += 6;
                }
            },
            0xDC00..=0xDFFF => {
                f(i, unit);
                i += 6;
            }
            _ => i += 6,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget() -> Budget {
        Budget {
            fields: 100,
            max_fields: 100,
            max_depth: 4,
            end: 1 << 20,
            max_event_bytes: 1 << 20,
        }
    }

    fn safe(raw: &str) -> String {
        let mut out = Vec::new();
        write(raw.as_bytes(), 1, &mut budget(), &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn values_made_query_safe() {
        let cases = [
            (r#"{"k":1,"k":2}"#, r#"{"k":1,"_k":2}"#),
            (
                r#"{"a":{"z":1,"z":2},"b":[{"z":1,"z":2,"_z":3}]}"#,
                r#"{"a":{"z":1,"_z":2},"b":[{"z":1,"_z":2,"__z":3}]}"#,
            ),
            (r#""a\ud800b""#, r#""a\ufffdb""#),
            (r#"["\udc00","\ud83d\ude00"]"#, r#"["\ufffd","\ud83d\ude00"]"#),
            (r#"{"\u0061":1,"a":2}"#, r#"{"\u0061":1,"_a":2}"#),
            ("{\n\"k\":\r1}", "{ \"k\": 1}"),
            (r#"{"k":"\\ud800"}"#, r#"{"k":"\\ud800"}"#),
            ("12.5", "12.5"),
        ];
        for (raw, expected) in cases {
            assert_eq!(safe(raw), expected, "{raw}");
            let clean = check(raw.as_bytes(), 1, &mut budget(), false).unwrap();
            assert_eq!(clean, raw.replace(['\n', '\r'], " ") == expected, "{raw}");
            if !raw.contains('\\') {
                assert_eq!(check(raw.as_bytes(), 1, &mut budget(), true).unwrap(), clean, "{raw}");
            }
        }
    }

    #[test]
    fn limits_while_walking() {
        let mut b = budget();
        assert_eq!(check(b"[[[[1]]]]", 1, &mut b, false), Err(Limit::Depth(4)));
        let mut b = budget();
        assert_eq!(check(b"[[[1]]]", 1, &mut b, true), Ok(true));
        let mut b = Budget { fields: 2, ..budget() };
        assert_eq!(check(br#"{"a":{"b":1,"c":2}}"#, 1, &mut b, true), Err(Limit::Fields(100)));
        let mut b = Budget { end: 10, ..budget() };
        let mut out = Vec::new();
        assert_eq!(
            write(br#"{"a":"0123456789abcdef"}"#, 1, &mut b, &mut out),
            Err(Limit::EventBytes(1 << 20))
        );
    }
}
