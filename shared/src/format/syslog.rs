//! RFC 5424 syslog messages, with or without STRUCTURED-DATA (Heroku's Logplex leaves it out).
//! Hand-written: the maintained parsers on crates.io (syslog_loose, syslog_rfc5424) either
//! guess at the format or reject Heroku's frames, and this grammar is small.

use crate::error::Limit;
use crate::timestamp::Timestamp;

/// Why a frame is not a message: not RFC 5424 (saying what was expected), or more
/// STRUCTURED-DATA elements and parameters than `max_fields`.
#[derive(Debug, PartialEq)]
pub enum Error {
    Invalid(String),
    Limit(Limit),
}

impl From<String> for Error {
    fn from(what: String) -> Self {
        Error::Invalid(what)
    }
}

impl From<&str> for Error {
    fn from(what: &str) -> Self {
        Error::Invalid(what.to_string())
    }
}

/// One parsed message, borrowing from the frame.
#[derive(Debug, PartialEq)]
pub struct Message<'a> {
    pub facility: u8,
    pub severity: u8,
    pub timestamp: Option<Timestamp>,
    /// The header fields: printable ASCII, as sent.
    pub hostname: Option<&'a [u8]>,
    pub app_name: Option<&'a [u8]>,
    pub procid: Option<&'a [u8]>,
    pub msgid: Option<&'a [u8]>,
    /// `(SD-ID, [(PARAM-NAME, PARAM-VALUE with escapes undone)])`
    pub structured_data: Vec<SdElement<'a>>,
    /// MSG as sent, BOM removed: meant as UTF-8, checked when it is written.
    pub msg: &'a [u8],
}

/// One SD-ELEMENT: its SD-ID and its parameters, escapes undone.
pub type SdElement<'a> = (&'a str, Vec<(&'a str, String)>);

pub const SEVERITIES: [&str; 8] = [
    "emergency",
    "alert",
    "critical",
    "error",
    "warning",
    "notice",
    "info",
    "debug",
];
pub const FACILITIES: [&str; 24] = [
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp", "ntp",
    "audit", "alert", "clock", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
];

/// Parses one frame; the error says what was expected. STRUCTURED-DATA elements and parameters
/// are counted against `max_fields` as they are read, so a frame of a million `a=""` holds no
/// more than `max_fields` of them.
pub fn parse(frame: &[u8], max_fields: usize) -> Result<Message<'_>, Error> {
    let frame = frame.strip_suffix(b"\n").unwrap_or(frame);
    let frame = frame.strip_suffix(b"\r").unwrap_or(frame);
    let mut p = Parser {
        s: frame,
        pos: 0,
        fields: max_fields,
        max_fields,
    };
    p.expect(b'<', "`<PRI>`")?;
    let pri = p.digits(1, 3).filter(|&v| v <= 191).ok_or("PRI must be 0 to 191")?;
    p.expect(b'>', "`>` after PRI")?;
    p.digits(1, 2)
        .filter(|&v| v >= 1)
        .ok_or("expected a VERSION after PRI")?;
    p.expect(b' ', "a space after VERSION")?;
    let ts = p.token().ok_or("expected a TIMESTAMP")?;
    let timestamp = match ts {
        b"-" => None,
        t => {
            // A token is printable ASCII.
            let text = std::str::from_utf8(t).unwrap_or_default();
            Some(Timestamp::parse_rfc3339(text).ok_or_else(|| format!("TIMESTAMP `{text}` is not RFC 3339"))?)
        }
    };
    let mut header = [None; 4];
    for (slot, name) in header.iter_mut().zip(["HOSTNAME", "APP-NAME", "PROCID", "MSGID"]) {
        p.expect(b' ', "a space between header fields")?;
        let t = p.token().ok_or_else(|| format!("expected {name}"))?;
        *slot = (t != b"-").then_some(t);
    }
    let [hostname, app_name, procid, msgid] = header;
    let mut structured_data = Vec::new();
    if p.pos < p.s.len() {
        p.expect(b' ', "a space after MSGID")?;
        let save = p.pos;
        if p.s[p.pos..].starts_with(b"- ") || &p.s[p.pos..] == b"-" {
            p.pos += 1;
            p.eat(b' ');
        } else if p.peek() == Some(b'[') {
            match p.structured_data().map_err(Error::Limit)? {
                Some(sd) => {
                    structured_data = sd;
                    p.eat(b' ');
                }
                // Not STRUCTURED-DATA after all: Heroku's MSG may start with `[`.
                None => p.pos = save,
            }
        }
    }
    let rest = &p.s[p.pos..];
    let rest = rest.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(rest);
    Ok(Message {
        facility: pri / 8,
        severity: pri % 8,
        timestamp,
        hostname,
        app_name,
        procid,
        msgid,
        structured_data,
        msg: rest,
    })
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
    /// Elements and parameters that may still be read.
    fields: usize,
    max_fields: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        let hit = self.peek() == Some(c);
        self.pos += usize::from(hit);
        hit
    }

    fn expect(&mut self, c: u8, what: &str) -> Result<(), String> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(format!("expected {what} at byte {}", self.pos))
        }
    }

    fn digits(&mut self, min: usize, max: usize) -> Option<u8> {
        let n = self.s[self.pos..].iter().take_while(|c| c.is_ascii_digit()).count();
        if n < min || n > max {
            return None;
        }
        let v = self.s[self.pos..self.pos + n]
            .iter()
            .try_fold(0u8, |v, &d| v.checked_mul(10)?.checked_add(d - b'0'))?;
        self.pos += n;
        Some(v)
    }

    /// PRINTUSASCII up to the next space.
    fn token(&mut self) -> Option<&'a [u8]> {
        let n = self.s[self.pos..]
            .iter()
            .take_while(|&&c| (33..=126).contains(&c))
            .count();
        if n == 0 {
            return None;
        }
        let t = &self.s[self.pos..self.pos + n];
        self.pos += n;
        Some(t)
    }

    fn name(&mut self) -> Option<&'a str> {
        let n = self.s[self.pos..]
            .iter()
            .take_while(|&&c| (33..=126).contains(&c) && !b"= ]\"".contains(&c))
            .count();
        if n == 0 || n > 32 {
            return None;
        }
        let t = std::str::from_utf8(&self.s[self.pos..self.pos + n]).ok()?;
        self.pos += n;
        Some(t)
    }

    /// One more element or parameter, within `max_fields`.
    fn count(&mut self) -> Result<(), Limit> {
        self.fields = self.fields.checked_sub(1).ok_or(Limit::Fields(self.max_fields))?;
        Ok(())
    }

    /// `Ok(None)`: not STRUCTURED-DATA after all (the MSG starts with `[`).
    fn structured_data(&mut self) -> Result<Option<Vec<SdElement<'a>>>, Limit> {
        let mut out = Vec::new();
        while self.eat(b'[') {
            // RFC 5424 6.3.2: an SD-ID is IANA-registered or `name@number`; anything else is
            // the start of a message such as Heroku's `[web.1] …`.
            let Some(id) = self
                .name()
                .filter(|id| id.contains('@') || ["timeQuality", "origin", "meta"].contains(id))
            else {
                return Ok(None);
            };
            self.count()?;
            let mut params = Vec::new();
            while self.eat(b' ') {
                let Some(name) = self.name() else {
                    return Ok(None);
                };
                if !(self.eat(b'=') && self.eat(b'"')) {
                    return Ok(None);
                }
                self.count()?;
                let mut value = Vec::new();
                loop {
                    match self.peek() {
                        None => return Ok(None),
                        Some(b'\\') if matches!(self.s.get(self.pos + 1), Some(b'"' | b'\\' | b']')) => {
                            value.push(self.s[self.pos + 1]);
                            self.pos += 2;
                        }
                        Some(b'"') => {
                            self.pos += 1;
                            break;
                        }
                        Some(c) => {
                            value.push(c);
                            self.pos += 1;
                        }
                    }
                }
                params.push((name, String::from_utf8_lossy(&value).into_owned()));
            }
            if !self.eat(b']') {
                return Ok(None);
            }
            out.push((id, params));
        }
        Ok(Some(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(frame: &str, expected: &str) {
        let got = match parse(frame.as_bytes(), 10_000) {
            Ok(m) => format!(
                "{}.{} {} {:?} {:?} {:?} {:?} {:?} {:?}",
                FACILITIES[m.facility as usize],
                SEVERITIES[m.severity as usize],
                m.timestamp.map(|t| t.to_rfc3339()).unwrap_or_default(),
                m.hostname.map(String::from_utf8_lossy),
                m.app_name.map(String::from_utf8_lossy),
                m.procid.map(String::from_utf8_lossy),
                m.msgid.map(String::from_utf8_lossy),
                m.structured_data,
                String::from_utf8_lossy(m.msg)
            ),
            Err(Error::Invalid(e)) => format!("error: {e}"),
            Err(Error::Limit(l)) => format!("limit: {l}"),
        };
        assert_eq!(got, expected, "frame {frame:?}");
    }

    #[test]
    fn frames_as_senders_write_them() {
        check(
            "<174>1 2012-07-22T00:06:26+00:00 host erlang console - Hi from erlang\n",
            r#"local5.info 2012-07-22T00:06:26Z Some("host") Some("erlang") Some("console") None [] "Hi from erlang""#,
        );
        check(
            "<40>1 2012-11-30T06:45:29+00:00 host app web.3 - State changed from starting to up\n",
            r#"syslog.emergency 2012-11-30T06:45:29Z Some("host") Some("app") Some("web.3") None [] "State changed from starting to up""#,
        );
        check(
            "<142>1 2019-11-15T11:42:22.562Z * now proxy - [proxy@54735 a=\"1\" b=\"x\\\"y\\]\"]",
            r#"local1.info 2019-11-15T11:42:22.562Z Some("*") Some("now") Some("proxy") None [("proxy@54735", [("a", "1"), ("b", "x\"y]")])] """#,
        );
        check(
            "<13>1 - - - - ID47 [a@1 x=\"1\"][b@2] \u{feff}hello",
            r#"user.notice  None None None Some("ID47") [("a@1", [("x", "1")]), ("b@2", [])] "hello""#,
        );
        check("<13>1 - - - - - - msg", r#"user.notice  None None None None [] "msg""#);
        check(
            "<13>1 - h a p m [web.1] started",
            r#"user.notice  Some("h") Some("a") Some("p") Some("m") [] "[web.1] started""#,
        );
        check(
            "<13>1 - h a p m\r\n",
            r#"user.notice  Some("h") Some("a") Some("p") Some("m") [] """#,
        );
    }

    #[test]
    fn broken_frames_say_what() {
        check("hello", "error: expected `<PRI>` at byte 0");
        check("<999>1 - - - - -", "error: PRI must be 0 to 191");
        check(
            "<13>1 yesterday h a p m msg",
            "error: TIMESTAMP `yesterday` is not RFC 3339",
        );
        check(
            "<13>1 - h a",
            "error: expected a space between header fields at byte 11",
        );
        check("<13> - h a p m", "error: expected a VERSION after PRI");
    }

    /// Issue 35: every element and parameter counted while parsing, not collected first.
    #[test]
    fn structured_data_counts_against_max_fields() {
        let frame = |n: usize| format!("<13>1 - h a p m [x@1{}] msg", " a=\"\"".repeat(n));
        let two = frame(2);
        let parsed = parse(two.as_bytes(), 3).unwrap();
        assert_eq!(parsed.structured_data, vec![("x@1", vec![("a", String::new()), ("a", String::new())])]);
        assert_eq!(parse(frame(3).as_bytes(), 3), Err(Error::Limit(Limit::Fields(3))));
        assert_eq!(parse(frame(100_000).as_bytes(), 10_000), Err(Error::Limit(Limit::Fields(10_000))));
    }
}
