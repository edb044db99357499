//! Northflank's text log lines: `<RFC 3339 ns> <stdout|stderr> [F|P ]<line>`, one per line.

use crate::timestamp::Timestamp;

#[derive(Debug, PartialEq)]
pub struct TextLine<'a> {
    pub timestamp: Timestamp,
    /// `stdout` or `stderr`.
    pub stream: &'static str,
    /// The CRI tag: `F` for a full line, `P` for a part of a longer one.
    pub tag: Option<&'static str>,
    pub message: &'a str,
}

/// Parses one line (without its line break).
pub fn parse(line: &str) -> Result<TextLine<'_>, String> {
    let (ts, rest) = split_at_space(line).ok_or("expected `<timestamp> <stream> <message>`")?;
    let timestamp = Timestamp::parse_rfc3339(ts).ok_or_else(|| format!("`{ts}` is not an RFC 3339 timestamp"))?;
    let (stream, rest) = split_at_space(rest).unwrap_or((rest, ""));
    let stream = match stream {
        "stdout" => "stdout",
        "stderr" => "stderr",
        _ => {
            return Err(format!(
                "expected `stdout` or `stderr` after the timestamp, found `{stream}`"
            ))
        }
    };
    let tag = |b: u8| if b == b'F' { "F" } else { "P" };
    let (tag, message) = match rest.as_bytes() {
        [t @ (b'F' | b'P')] => (Some(tag(*t)), ""),
        [t @ (b'F' | b'P'), b' ', ..] => (Some(tag(*t)), &rest[2..]),
        _ => (None, rest),
    };
    Ok(TextLine {
        timestamp,
        stream,
        tag,
        message,
    })
}

/// The lines of a body with their 1-based numbers, line breaks (LF or CRLF) removed, blank
/// lines skipped.
pub fn lines(body: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut start = 0;
    memchr::memchr_iter(b'\n', body.as_bytes())
        .chain(std::iter::once(body.len()))
        .enumerate()
        .map(move |(i, end)| {
            let l = &body[start..end];
            start = end + 1;
            (i + 1, l.strip_suffix('\r').unwrap_or(l))
        })
        .filter(|(_, l)| !l.trim().is_empty())
}

/// The text before the first space and the text after it. (Byte search: `str::split_once` with
/// a `char` compares each hit with `memcmp`.)
fn split_at_space(s: &str) -> Option<(&str, &str)> {
    let i = memchr::memchr(b' ', s.as_bytes())?;
    Some((&s[..i], &s[i + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(line: &str, expected: &str) {
        let got = match parse(line) {
            Ok(l) => format!("{} {} {:?} {:?}", l.timestamp.to_rfc3339(), l.stream, l.tag, l.message),
            Err(e) => format!("error: {e}"),
        };
        assert_eq!(got, expected, "line {line:?}");
    }

    #[test]
    fn line_cases() {
        check(
            "2022-09-12T09:21:40.817924799Z stdout F hello world",
            r#"2022-09-12T09:21:40.817924799Z stdout Some("F") "hello world""#,
        );
        check(
            "2022-09-12T09:21:40Z stderr P part",
            r#"2022-09-12T09:21:40Z stderr Some("P") "part""#,
        );
        check(
            "2022-09-12T09:21:40Z stdout no tag",
            r#"2022-09-12T09:21:40Z stdout None "no tag""#,
        );
        check(
            "2022-09-12T09:21:40Z stdout F",
            r#"2022-09-12T09:21:40Z stdout Some("F") """#,
        );
        check("2022-09-12T09:21:40Z stdout", r#"2022-09-12T09:21:40Z stdout None """#);
        check(
            "2022-09-12T09:21:40Z stdout  two  spaces",
            r#"2022-09-12T09:21:40Z stdout None " two  spaces""#,
        );
        check("hello", "error: expected `<timestamp> <stream> <message>`");
        check("yesterday stdout x", "error: `yesterday` is not an RFC 3339 timestamp");
        check(
            "2022-09-12T09:21:40Z stdin x",
            "error: expected `stdout` or `stderr` after the timestamp, found `stdin`",
        );
    }

    #[test]
    fn line_splitting() {
        let got: Vec<_> = lines("a\r\n\n  \nb\nc").collect();
        assert_eq!(got, vec![(1, "a"), (4, "b"), (5, "c")]);
    }
}
