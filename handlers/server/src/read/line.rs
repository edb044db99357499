//! One stored line as `drain logs` sees it: its time, its level, whether it passes the filters,
//! and how it is printed. Only drain's own fields are looked at, each read as raw JSON first, so a
//! sender's field of any type never makes a line unreadable.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::Signal;

/// The fields `drain logs` prints or filters on (SPEC sections 4 and 8).
#[derive(Deserialize, Default)]
struct Head<'a> {
    #[serde(borrow)]
    dt: Option<&'a RawValue>,
    #[serde(borrow)]
    level: Option<&'a RawValue>,
    #[serde(borrow)]
    drain: Option<&'a RawValue>,
    #[serde(borrow)]
    message: Option<&'a RawValue>,
    #[serde(borrow)]
    name: Option<&'a RawValue>,
    #[serde(borrow)]
    kind: Option<&'a RawValue>,
    #[serde(borrow)]
    status_code: Option<&'a RawValue>,
    #[serde(borrow)]
    duration_ns: Option<&'a RawValue>,
    #[serde(borrow)]
    trace_id: Option<&'a RawValue>,
    #[serde(borrow)]
    metric: Option<&'a RawValue>,
    #[serde(borrow, rename = "type")]
    kind_of_point: Option<&'a RawValue>,
    #[serde(borrow)]
    value: Option<&'a RawValue>,
    #[serde(borrow)]
    count: Option<&'a RawValue>,
    #[serde(borrow)]
    sum: Option<&'a RawValue>,
}

/// A JSON value as text: a string unescaped, anything else as its JSON.
fn text<'a>(v: Option<&'a RawValue>) -> Cow<'a, str> {
    match v {
        None => Cow::Borrowed(""),
        Some(raw) => match serde_json::from_str::<Cow<'a, str>>(raw.get()) {
            Ok(s) => s,
            Err(_) => Cow::Borrowed(raw.get()),
        },
    }
}

/// [`text`] as it is printed: trailing whitespace trimmed, control characters escaped.
fn show(v: Option<&RawValue>) -> String {
    terminal_safe(text(v).trim_end()).into_owned()
}

/// Sender text made safe to print on a terminal: every control character (C0, DEL, C1: escape
/// sequences that set titles and colours, line breaks that would forge a line of their own)
/// written as its escape (`\n`, `\r`, `\t`, `\u001b`, …). Senders are untrusted; `--json`
/// prints the stored line, whose strings are JSON-escaped already.
pub fn terminal_safe(s: &str) -> Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '\n' => out.push_str(r"\n"),
            '\r' => out.push_str(r"\r"),
            '\t' => out.push_str(r"\t"),
            c if c.is_control() => out.push_str(&format!(r"\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// The rank of a level name, most severe highest: the one ranking, which a source's `min_level`
/// uses too.
pub use drain_core::controls::rank;

/// What to keep and how to print it.
#[derive(Debug, Clone)]
pub struct Filter {
    pub signal: Signal,
    /// Keep events at this rank or above (events without a level drain can place are dropped).
    pub min_rank: Option<u8>,
    /// Keep lines containing this text (anywhere in the stored JSON line).
    pub grep: Option<String>,
    /// Keep events with `since <= dt < until` (Unix nanoseconds).
    pub since: i128,
    pub until: i128,
    pub json: bool,
    pub color: bool,
}

/// A kept event: when it happened and the text to print.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Event {
    pub at: i128,
    pub seq: u64,
    pub out: String,
}

pub use drain_cli::when::parse_time;

/// `Err` for a line that is not a JSON object; `Ok(None)` for one the filters drop. `fallback`
/// is the time of a line whose `dt` can't be read (the object's stamp).
pub fn keep(line: &str, filter: &Filter, fallback: i128) -> Result<Option<(i128, String)>, serde_json::Error> {
    let head: Head = serde_json::from_str(line)?;
    if filter.grep.as_deref().is_some_and(|g| !line.contains(g)) {
        return Ok(None);
    }
    let dt = text(head.dt);
    let at = parse_time(&dt).unwrap_or(fallback);
    if at < filter.since || at >= filter.until {
        return Ok(None);
    }
    let level: Cow<str> = match filter.signal {
        Signal::Traces if text(head.status_code) == "error" => "error".into(),
        Signal::Traces | Signal::Metrics => "info".into(),
        Signal::Logs => text(head.level),
    };
    if let Some(min) = filter.min_rank {
        if rank(&level).is_none_or(|r| r < min) {
            return Ok(None);
        }
    }
    if filter.json {
        return Ok(Some((at, line.to_owned())));
    }
    let (dt, drain) = (terminal_safe(&dt), show(head.drain));
    let lvl = paint(&terminal_safe(&level), filter.color);
    let out = match filter.signal {
        Signal::Logs => format!("{dt} {lvl} {drain} {}", show(head.message)),
        Signal::Traces => {
            let ms = text(head.duration_ns)
                .parse::<f64>()
                .map_or(String::new(), |ns| format!(" {:.3} ms", ns / 1e6));
            let status = show(head.status_code);
            format!(
                "{dt} {} {drain} {} {}{ms} trace={}",
                paint(
                    if status.is_empty() { "unset" } else { &status },
                    filter.color && status == "error"
                ),
                show(head.name),
                show(head.kind),
                show(head.trace_id)
            )
        }
        Signal::Metrics => {
            let what = if head.value.is_some() {
                format!("= {}", show(head.value))
            } else {
                format!("count={} sum={}", show(head.count), show(head.sum))
            };
            format!("{dt} {} {drain} {} {what}", show(head.kind_of_point), show(head.metric))
        }
    };
    Ok(Some((at, out)))
}

/// The level, padded, and in colour on a terminal.
fn paint(level: &str, color: bool) -> String {
    let padded = format!("{level:<7}");
    if !color {
        return padded;
    }
    let code = match rank(level) {
        Some(5..) => "31",
        Some(4) => "33",
        Some(0 | 1) => "2",
        _ => "32",
    };
    format!("\x1b[{code}m{padded}\x1b[0m")
}
