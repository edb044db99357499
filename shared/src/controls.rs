//! What a source keeps (SPEC section 7): `redact` (built-in detectors and patterns), `drop`
//! (dotted paths) and `min_level`, applied to each stored line as it is written, in one pass over
//! its JSON text that keeps the fields' order. Patterns are compiled once, with the config.

use std::borrow::Cow;

use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};

/// A source's controls; empty (the default) costs nothing per line.
#[derive(Debug, Clone, Default)]
pub struct Controls {
    redact: Vec<Detector>,
    /// Every detector's pattern at once: one scan tells which of them a string holds (most hold
    /// none), so each string is searched once rather than once per detector.
    any: Option<RegexSet>,
    /// Dotted paths, each split at its dots.
    drop: Vec<Vec<String>>,
    min_rank: Option<u8>,
    /// Keep what is refused after auth, for a look (`_drain/refused/`).
    pub keep_refused: bool,
}

#[derive(Debug, Clone)]
struct Detector {
    name: String,
    regex: Regex,
    /// What a match must also be to count (a card number's Luhn digit, an address that parses).
    check: Check,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    None,
    Luhn,
    Ipv4,
    Ipv6,
}

/// The built-in detectors by name, each a pattern and the check its matches must pass.
/// ASCII classes (`(?-u)`): what they find is ASCII, and Unicode word boundaries would keep the
/// `regex` crate off its fast DFA.
const BUILT_IN: &[(&str, &str, Check)] = &[
    (
        "email",
        r"(?-u)[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}",
        Check::None,
    ),
    ("bearer", r"(?i-u)\bbearer\s+[A-Za-z0-9\-._~+/]{8,}=*", Check::None),
    (
        "jwt",
        r"(?-u)\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+",
        Check::None,
    ),
    (
        "aws_key",
        r"(?-u)\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b",
        Check::None,
    ),
    ("card", r"(?-u)\b\d(?:[ -]?\d){12,18}\b", Check::Luhn),
    (
        "ipv6",
        r"(?i-u)(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}|(?:[0-9a-f]{1,4}:){0,6}[0-9a-f]{0,4}::(?:[0-9a-f]{1,4}:){0,6}[0-9a-f]{0,4}(?:%[0-9a-z]+)?",
        Check::Ipv6,
    ),
    ("ipv4", r"(?-u)\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b", Check::Ipv4),
];

/// The largest compiled program one pattern may make (the `regex` crate's own limit is 10 MiB).
const PATTERN_SIZE_LIMIT: usize = 1 << 20;

/// drain's own fields, never redacted (a pattern can't make a line unreadable).
const OWN: [&[u8]; 3] = [b"dt", b"received_at", b"drain"];

/// What applying the controls to one line gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    /// Store the line (`false`: its level ranks below `min_level`).
    pub keep: bool,
    /// Matches replaced.
    pub redacted: usize,
    /// The line grew past the bound `apply` was given while replacements were written (it was
    /// stopped there).
    pub too_large: bool,
}

impl Controls {
    /// The controls of one source's config; an error names what can't be used.
    pub fn parse(
        redact: Option<&toml::Value>,
        drop: Option<Vec<String>>,
        min_level: Option<String>,
    ) -> Result<Self, String> {
        let mut controls = Controls::default();
        for item in redact
            .map(|r| r.as_array().ok_or("`redact` is a list"))
            .transpose()?
            .into_iter()
            .flatten()
        {
            controls.redact.push(match item {
                toml::Value::String(name) => {
                    let (_, pattern, check) = BUILT_IN.iter().find(|(n, _, _)| n == name).ok_or_else(|| {
                        let names: Vec<&str> = BUILT_IN.iter().map(|(n, _, _)| *n).collect();
                        format!(
                            "`redact`: no detector `{name}` (one of {}, or {{ pattern = \"…\" }})",
                            names.join(", ")
                        )
                    })?;
                    Detector {
                        name: name.clone(),
                        regex: Regex::new(pattern).expect("a built-in pattern compiles"),
                        check: *check,
                    }
                }
                toml::Value::Table(t) => {
                    let pattern = t
                        .get("pattern")
                        .and_then(|p| p.as_str())
                        .filter(|p| !p.is_empty())
                        .ok_or("`redact`: a pattern is { pattern = \"…\" } (and an optional name)")?;
                    if let Some(k) = t.keys().find(|k| *k != "pattern" && *k != "name") {
                        return Err(format!("`redact`: a pattern does not take `{k}`"));
                    }
                    let name = t.get("name").and_then(|n| n.as_str()).unwrap_or("pattern");
                    if name.is_empty()
                        || !name
                            .bytes()
                            .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
                    {
                        return Err(format!(
                            "`redact`: a pattern's name `{name}` is letters, digits, `_` and `-`"
                        ));
                    }
                    let regex = RegexBuilder::new(pattern)
                        .size_limit(PATTERN_SIZE_LIMIT)
                        .dfa_size_limit(PATTERN_SIZE_LIMIT)
                        .build()
                        .map_err(|e| format!("`redact`: the pattern {pattern:?} can't be used: {e}"))?;
                    Detector {
                        name: name.to_string(),
                        regex,
                        check: Check::None,
                    }
                }
                _ => return Err("`redact` holds detector names and { pattern = \"…\" } tables".into()),
            });
        }
        if !controls.redact.is_empty() {
            let limit = PATTERN_SIZE_LIMIT * controls.redact.len();
            controls.any = Some(
                RegexSetBuilder::new(controls.redact.iter().map(|d| d.regex.as_str()))
                    .size_limit(limit)
                    .dfa_size_limit(limit)
                    .build()
                    .map_err(|e| format!("`redact`: the patterns together can't be used: {e}"))?,
            );
        }
        for path in drop.unwrap_or_default() {
            let parts: Vec<String> = path.split('.').map(String::from).collect();
            if parts.iter().any(String::is_empty) {
                return Err(format!("`drop`: `{path}` is not a dotted path of field names"));
            }
            controls.drop.push(parts);
        }
        if let Some(level) = min_level {
            controls.min_rank =
                Some(rank(&level).ok_or_else(|| format!("`min_level`: `{level}` is not a level drain ranks (trace, debug, info, notice, warn, error, critical, alert, emergency)"))?);
        }
        Ok(controls)
    }

    /// No control applies to stored lines (`keep_refused` is not one of them).
    pub fn is_empty(&self) -> bool {
        self.redact.is_empty() && self.drop.is_empty() && self.min_rank.is_none()
    }

    /// What `drain check-config` says of them (`None`: none set).
    pub fn describe(&self) -> Option<String> {
        let mut parts = Vec::new();
        if !self.redact.is_empty() {
            let names: Vec<&str> = self.redact.iter().map(|d| d.name.as_str()).collect();
            parts.push(format!("redact {}", names.join(", ")));
        }
        if !self.drop.is_empty() {
            let paths: Vec<String> = self.drop.iter().map(|p| p.join(".")).collect();
            parts.push(format!("drop {}", paths.join(", ")));
        }
        if let Some(r) = self.min_rank {
            parts.push(format!("min_level {}", RANKS[usize::from(r)]));
        }
        if self.keep_refused {
            parts.push("keep_refused (under _drain/refused/)".to_string());
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }

    /// Applies the controls to one stored line (`line`: a whole JSON object, as drain writes it),
    /// writing the kept line to `out`. Linear in the line: each byte is read once, each string
    /// value searched once by the set of detectors. Replacements are longer than what they
    /// replace, so the line is stopped as soon as it passes `max` bytes (`too_large`), not after.
    pub fn apply(&self, line: &[u8], out: &mut Vec<u8>, max: usize) -> Applied {
        out.clear();
        let mut pass = Pass {
            s: line,
            i: 0,
            out,
            controls: self,
            max,
            too_large: false,
            redacted: 0,
            level: None,
            path: Vec::new(),
        };
        pass.value(0);
        let keep = match (self.min_rank, pass.level.as_deref().and_then(rank)) {
            (Some(min), Some(r)) => r >= min,
            _ => true,
        };
        Applied {
            keep,
            redacted: pass.redacted,
            too_large: pass.too_large,
        }
    }

    /// `text` with every match of every detector replaced by `[REDACTED:<name>]`, and how many.
    /// A replacement can make a match where there was none (`…1111sk_live_x`: once the key is
    /// replaced, the card number ends at a word boundary), so the detectors run again over what
    /// changed, at most once per detector more. Stops once the text passes `max` bytes.
    fn redact<'t>(&self, text: &'t str, max: usize) -> (Cow<'t, str>, usize) {
        let mut text = Cow::Borrowed(text);
        let Some(any) = &self.any else {
            return (text, 0);
        };
        let mut n = 0;
        for _ in 0..=self.redact.len() {
            let hits = any.matches(&text);
            if !hits.matched_any() {
                break;
            }
            let before = n;
            for i in hits.iter() {
                let d = &self.redact[i];
                let mut next = String::new();
                let mut last = 0;
                for m in d.regex.find_iter(&text) {
                    // An address stands alone: `std::io` or `a::b` are not addresses.
                    let apart =
                        |ch: Option<char>| ch.is_none_or(|ch| !(ch.is_ascii_alphanumeric() || ch == ':' || ch == '_'));
                    let alone = apart(text[..m.start()].chars().next_back()) && apart(text[m.end()..].chars().next());
                    if !d.check.passes(m.as_str()) || (d.check == Check::Ipv6 && !alone) {
                        continue;
                    }
                    next.push_str(&text[last..m.start()]);
                    next.push_str("[REDACTED:");
                    next.push_str(&d.name);
                    next.push(']');
                    last = m.end();
                    n += 1;
                    if next.len() > max {
                        return (Cow::Owned(next), n);
                    }
                }
                if last > 0 {
                    next.push_str(&text[last..]);
                    text = Cow::Owned(next);
                }
            }
            if n == before {
                break;
            }
        }
        (text, n)
    }
}

impl Check {
    fn passes(self, m: &str) -> bool {
        match self {
            Check::None => true,
            Check::Luhn => luhn(m),
            Check::Ipv4 => m.parse::<std::net::Ipv4Addr>().is_ok(),
            Check::Ipv6 => {
                let addr = m.split('%').next().unwrap_or(m);
                (addr.contains("::") || addr.matches(':').count() == 7) && addr.parse::<std::net::Ipv6Addr>().is_ok()
            }
        }
    }
}

/// A card number's check digit (Luhn), over its digits.
fn luhn(m: &str) -> bool {
    let digits: Vec<u32> = m.chars().filter_map(|c| c.to_digit(10)).collect();
    if !(13..=19).contains(&digits.len()) {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                if d * 2 > 9 {
                    d * 2 - 9
                } else {
                    d * 2
                }
            } else {
                d
            }
        })
        .sum();
    sum % 10 == 0
}

/// The level names by rank, most severe highest (`drain logs --level` ranks the same way).
const RANKS: [&str; 9] = [
    "trace",
    "debug",
    "info",
    "notice",
    "warn",
    "error",
    "critical",
    "alert",
    "emergency",
];

/// The rank of a level name, most severe highest: the syslog names, OpenTelemetry's and the
/// common spellings. `None` for a level drain can't place.
pub fn rank(level: &str) -> Option<u8> {
    Some(match level.trim().to_ascii_lowercase().as_str() {
        "trace" => 0,
        "debug" => 1,
        "info" | "information" | "informational" | "log" => 2,
        "notice" => 3,
        "warn" | "warning" => 4,
        "error" | "err" => 5,
        "critical" | "crit" | "fatal" => 6,
        "alert" => 7,
        "emergency" | "emerg" | "panic" => 8,
        _ => return None,
    })
}

/// One line being copied: a recursive descent over JSON text drain wrote (valid, its nesting
/// within `max_depth`), so every byte is read once.
struct Pass<'a, 'o> {
    s: &'a [u8],
    i: usize,
    out: &'o mut Vec<u8>,
    controls: &'a Controls,
    /// The bound the line is stopped at, and whether it was.
    max: usize,
    too_large: bool,
    redacted: usize,
    /// The top-level `level`, when a string.
    level: Option<Cow<'a, str>>,
    /// The keys from the top to the value being copied.
    path: Vec<Cow<'a, [u8]>>,
}

impl<'a> Pass<'a, '_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    /// The end of the string token starting at `self.i` (its opening quote), past its closing one.
    fn string_end(&self) -> usize {
        let mut j = self.i + 1;
        while j < self.s.len() {
            match self.s[j] {
                b'\\' => j += 2,
                b'"' => return j + 1,
                _ => j += 1,
            }
        }
        self.s.len()
    }

    /// A string token's text (its escapes undone).
    fn text(raw: &'a [u8]) -> Cow<'a, str> {
        let inner = &raw[1..raw.len().saturating_sub(1).max(1)];
        if !inner.contains(&b'\\') {
            if let Ok(t) = std::str::from_utf8(inner) {
                return Cow::Borrowed(t);
            }
        }
        serde_json::from_slice::<String>(raw).map_or_else(|_| String::from_utf8_lossy(inner), Cow::Owned)
    }

    fn value(&mut self, depth: usize) {
        self.ws();
        match self.s.get(self.i) {
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => {
                let end = self.string_end();
                let raw = &self.s[self.i..end];
                self.i = end;
                let own = depth == 1 && self.path.len() == 1 && OWN.contains(&self.path[0].as_ref());
                if self.controls.redact.is_empty() || own {
                    self.out.extend_from_slice(raw);
                    return;
                }
                let text = Self::text(raw);
                match self.controls.redact(&text, self.max) {
                    (_, 0) => self.out.extend_from_slice(raw),
                    (redacted, n) => {
                        self.redacted += n;
                        serde_json::to_writer(&mut *self.out, redacted.as_ref()).expect("writing to memory");
                        if self.out.len() > self.max {
                            // Past the bound: the rest of the line is not read (every loop ends).
                            self.too_large = true;
                            self.i = self.s.len();
                        }
                    }
                }
            }
            Some(_) => {
                let start = self.i;
                while self.i < self.s.len() && !matches!(self.s[self.i], b',' | b'}' | b']') {
                    self.i += 1;
                }
                self.out.extend_from_slice(self.s[start..self.i].trim_ascii_end());
            }
            None => {}
        }
    }

    /// Past one value without copying it.
    fn skip(&mut self) {
        self.ws();
        let mut depth = 0usize;
        while self.i < self.s.len() {
            match self.s[self.i] {
                b'"' => {
                    self.i = self.string_end();
                    if depth == 0 {
                        return;
                    }
                    continue;
                }
                b'{' | b'[' => depth += 1,
                b'}' | b']' if depth == 0 => return,
                b'}' | b']' => {
                    depth -= 1;
                    if depth == 0 {
                        self.i += 1;
                        return;
                    }
                }
                b',' if depth == 0 => return,
                _ => {}
            }
            self.i += 1;
        }
    }

    fn dropped(&self) -> bool {
        self.controls
            .drop
            .iter()
            .any(|p| p.len() == self.path.len() && p.iter().zip(&self.path).all(|(a, b)| a.as_bytes() == b.as_ref()))
    }

    /// Moves to the container's next member: `false` past its closing `close` (or the end).
    fn next_member(&mut self, close: u8) -> bool {
        loop {
            self.ws();
            match self.s.get(self.i) {
                None => return false,
                Some(&c) if c == close => {
                    self.i += 1;
                    return false;
                }
                Some(b',') => self.i += 1,
                Some(_) => return true,
            }
        }
    }

    fn object(&mut self, depth: usize) {
        self.out.push(b'{');
        self.i += 1;
        let mut first = true;
        while self.next_member(b'}') {
            let end = self.string_end();
            let raw_key = &self.s[self.i..end];
            self.i = end;
            self.ws();
            self.i += 1; // the colon
            let key = match Self::text(raw_key) {
                Cow::Borrowed(k) => Cow::Borrowed(k.as_bytes()),
                Cow::Owned(k) => Cow::Owned(k.into_bytes()),
            };
            self.path.push(key);
            if !self.controls.drop.is_empty() && self.dropped() {
                self.skip();
                self.path.pop();
                continue;
            }
            if !first {
                self.out.push(b',');
            }
            first = false;
            self.out.extend_from_slice(raw_key);
            self.out.push(b':');
            if depth == 1 && self.path.len() == 1 && self.path[0].as_ref() == b"level" {
                self.ws();
                if self.s.get(self.i) == Some(&b'"') {
                    let end = self.string_end();
                    self.level = Some(Self::text(&self.s[self.i..end]));
                }
            }
            self.value(depth);
            self.path.pop();
        }
        self.out.push(b'}');
    }

    fn array(&mut self, depth: usize) {
        self.out.push(b'[');
        self.i += 1;
        let mut first = true;
        while self.next_member(b']') {
            if !first {
                self.out.push(b',');
            }
            first = false;
            self.value(depth);
        }
        self.out.push(b']');
    }
}

#[cfg(test)]
#[path = "controls_tests.rs"]
mod tests;
