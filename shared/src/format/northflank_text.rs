//! Northflank's text log lines: `<RFC 3339 ns> <stdout|stderr> [F|P ]<line>`, one per line,
//! read over bytes: only a line's message is meant as UTF-8, and it is made lossy where it is
//! written (one line at a time), never the whole body.

use crate::error::echo;
use crate::timestamp::Timestamp;

#[derive(Debug, PartialEq)]
pub struct TextLine<'a> {
    pub timestamp: Timestamp,
    /// `stdout` or `stderr`.
    pub stream: &'static str,
    /// The CRI tag: `F` for a full line, `P` for a part of a longer one.
    pub tag: Option<&'static str>,
    /// Meant as UTF-8, checked when it is written.
    pub message: &'a [u8],
}

/// Parses one line (without its line break).
pub fn parse(line: &[u8]) -> Result<TextLine<'_>, String> {
    let (ts, rest) = split_at_space(line).ok_or("expected `<timestamp> <stream> <message>`")?;
    let timestamp = std::str::from_utf8(ts)
        .ok()
        .and_then(Timestamp::parse_rfc3339)
        .ok_or_else(|| format!("`{}` is not an RFC 3339 timestamp", echo(ts)))?;
    let (stream, rest) = split_at_space(rest).unwrap_or((rest, b""));
    let stream = match stream {
        b"stdout" => "stdout",
        b"stderr" => "stderr",
        _ => {
            return Err(format!(
                "expected `stdout` or `stderr` after the timestamp, found `{}`",
                echo(stream)
            ))
        }
    };
    let tag = |b: u8| if b == b'F' { "F" } else { "P" };
    let (tag, message) = match rest {
        [t @ (b'F' | b'P')] => (Some(tag(*t)), &b""[..]),
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
pub fn lines(body: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    let mut start = 0;
    memchr::memchr_iter(b'\n', body)
        .chain(std::iter::once(body.len()))
        .enumerate()
        .map(move |(i, end)| {
            let l = &body[start..end];
            start = end + 1;
            (i + 1, l.strip_suffix(b"\r").unwrap_or(l))
        })
        .filter(|(_, l)| !l.trim_ascii().is_empty())
}

/// The bytes before the first space and the bytes after it.
fn split_at_space(s: &[u8]) -> Option<(&[u8], &[u8])> {
    let i = memchr::memchr(b' ', s)?;
    Some((&s[..i], &s[i + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(line: &str, expected: &str) {
        let got = match parse(line.as_bytes()) {
            Ok(l) => format!(
                "{} {} {:?} {:?}",
                l.timestamp.to_rfc3339(),
                l.stream,
                l.tag,
                String::from_utf8_lossy(l.message)
            ),
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

    /// Issue 35: invalid UTF-8 is a line's business, and an error quotes at most a few hundred
    /// bytes of it.
    #[test]
    fn bytes_that_are_not_utf8() {
        let mut line = b"2022-09-12T09:21:40Z stdout F ok \xff\xfe".to_vec();
        let l = parse(&line).unwrap();
        assert_eq!(l.message, b"ok \xff\xfe");
        line = vec![0xff; 1 << 20];
        line.extend_from_slice(b" stdout x");
        let e = parse(&line).unwrap_err();
        assert!(e.len() < 1_000, "{} bytes", e.len());
    }

    #[test]
    fn line_splitting() {
        let got: Vec<_> = lines(b"a\r\n\n  \nb\nc").collect();
        assert_eq!(got, vec![(1, &b"a"[..]), (4, b"b"), (5, b"c")]);
    }
}
