//! Instants as the senders write them, and as drain writes them back (RFC 3339, UTC, AutoSi).

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// An instant in UTC with nanosecond precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    /// From nanoseconds since the Unix epoch; `None` outside the years 0000–9999.
    pub fn from_unix_nanos(nanos: i128) -> Option<Self> {
        let t = OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()?;
        (0..=9999).contains(&t.year()).then_some(Self(t))
    }

    /// From milliseconds since the Unix epoch (what `Date.now()` gives on Workers).
    pub fn from_unix_millis(millis: i64) -> Option<Self> {
        Self::from_unix_nanos(i128::from(millis) * 1_000_000)
    }

    pub fn unix_nanos(self) -> i128 {
        self.0.unix_timestamp_nanos()
    }

    /// Whole hours since the epoch: the partition an event belongs to.
    pub fn hour(self) -> i64 {
        self.0.unix_timestamp().div_euclid(3600)
    }

    /// An RFC 3339 date-time with any offset, `T`, `t` or a space between date and time.
    pub fn parse_rfc3339(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() < 20 || b.len() > 64 {
            return None;
        }
        let parsed = if b[10] == b' ' {
            let mut buf = [0u8; 64];
            buf[..b.len()].copy_from_slice(b);
            buf[10] = b'T';
            let fixed = std::str::from_utf8(&buf[..b.len()]).ok()?;
            OffsetDateTime::parse(fixed, &Rfc3339).ok()?
        } else {
            OffsetDateTime::parse(s, &Rfc3339).ok()?
        };
        Self::from_unix_nanos(parsed.unix_timestamp_nanos())
    }

    /// A Unix time whose unit is told by its magnitude: seconds, milliseconds, microseconds or
    /// nanoseconds (seconds reach the year 5138 before they could be mistaken for milliseconds).
    pub fn from_unix_integer(v: i128) -> Option<Self> {
        let a = v.unsigned_abs();
        let nanos = if a < 100_000_000_000 {
            v.checked_mul(1_000_000_000)?
        } else if a < 100_000_000_000_000 {
            v.checked_mul(1_000_000)?
        } else if a < 100_000_000_000_000_000 {
            v.checked_mul(1_000)?
        } else {
            v
        };
        Self::from_unix_nanos(nanos)
    }

    /// A fractional Unix time, unit by magnitude as for integers, kept to the microsecond
    /// (an f64 holds no more than that at today's magnitudes).
    pub fn from_unix_float(v: f64) -> Option<Self> {
        if !v.is_finite() {
            return None;
        }
        let a = v.abs();
        let micros = if a < 1e11 {
            v * 1e6
        } else if a < 1e14 {
            v * 1e3
        } else if a < 1e17 {
            v
        } else {
            v / 1e3
        };
        if micros.abs() > 1e18 {
            return None;
        }
        Self::from_unix_nanos(micros.round() as i128 * 1000)
    }

    /// A JSON number or string as the senders write times: Unix (unit by magnitude) or RFC 3339.
    pub fn parse_json_text(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        if let Some(inner) = raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
            if inner.contains('\\') {
                return None;
            }
            return Self::parse_rfc3339(inner);
        }
        Self::parse_number(raw)
    }

    /// A number written as JSON writes it.
    pub fn parse_number(text: &str) -> Option<Self> {
        if let Ok(i) = text.parse::<i128>() {
            return Self::from_unix_integer(i);
        }
        if text.bytes().all(|c| c.is_ascii_digit() || b"+-.eE".contains(&c)) {
            return Self::from_unix_float(text.parse().ok()?);
        }
        None
    }

    /// Appends the RFC 3339 UTC form with 0, 3, 6 or 9 fractional digits, the fewest that keep
    /// the value exact (chrono's `SecondsFormat::AutoSi`).
    pub fn write_rfc3339(self, out: &mut Vec<u8>) {
        let t = self.0;
        let (y, mo, d) = (t.year(), u8::from(t.month()), t.day());
        let (h, mi, s, n) = (t.hour(), t.minute(), t.second(), t.nanosecond());
        push_num(out, y as u32, 4);
        out.push(b'-');
        push_num(out, mo.into(), 2);
        out.push(b'-');
        push_num(out, d.into(), 2);
        out.push(b'T');
        push_num(out, h.into(), 2);
        out.push(b':');
        push_num(out, mi.into(), 2);
        out.push(b':');
        push_num(out, s.into(), 2);
        if n != 0 {
            out.push(b'.');
            if n % 1_000_000 == 0 {
                push_num(out, n / 1_000_000, 3);
            } else if n % 1_000 == 0 {
                push_num(out, n / 1_000, 6);
            } else {
                push_num(out, n, 9);
            }
        }
        out.push(b'Z');
    }

    pub fn to_rfc3339(self) -> String {
        let mut v = Vec::with_capacity(30);
        self.write_rfc3339(&mut v);
        String::from_utf8(v).expect("ASCII")
    }

    /// `YYYY-MM-DD`, `HH` and `YYYYMMDDTHHMMSSZ`: the parts of an object key.
    pub fn key_parts(self) -> (String, String, String) {
        let t = self.0;
        let mut day = Vec::with_capacity(10);
        push_num(&mut day, t.year() as u32, 4);
        day.push(b'-');
        push_num(&mut day, u8::from(t.month()).into(), 2);
        day.push(b'-');
        push_num(&mut day, t.day().into(), 2);
        let mut hour = Vec::with_capacity(2);
        push_num(&mut hour, t.hour().into(), 2);
        let mut stamp = Vec::with_capacity(16);
        push_num(&mut stamp, t.year() as u32, 4);
        push_num(&mut stamp, u8::from(t.month()).into(), 2);
        push_num(&mut stamp, t.day().into(), 2);
        stamp.push(b'T');
        push_num(&mut stamp, t.hour().into(), 2);
        push_num(&mut stamp, t.minute().into(), 2);
        push_num(&mut stamp, t.second().into(), 2);
        stamp.push(b'Z');
        let s = |v: Vec<u8>| String::from_utf8(v).expect("ASCII");
        (s(day), s(hour), s(stamp))
    }
}

fn push_num(out: &mut Vec<u8>, mut v: u32, width: usize) {
    let mut buf = [b'0'; 10];
    for i in (0..width).rev() {
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
    }
    out.extend_from_slice(&buf[..width]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: Option<&str>) {
        let got = Timestamp::parse_json_text(input).map(Timestamp::to_rfc3339);
        assert_eq!(got.as_deref(), expected, "input {input}");
    }

    #[test]
    fn forms_the_senders_use() {
        check("1672490759", Some("2022-12-31T12:45:59Z"));
        check("1672490759123", Some("2022-12-31T12:45:59.123Z"));
        check("1672490759123456", Some("2022-12-31T12:45:59.123456Z"));
        check("1672490759123456000", Some("2022-12-31T12:45:59.123456Z"));
        check("1672490759123456789", Some("2022-12-31T12:45:59.123456789Z"));
        check("1672490759.5", Some("2022-12-31T12:45:59.500Z"));
        check("1672490759.123", Some("2022-12-31T12:45:59.123Z"));
        check("\"2022-12-31T13:45:59.123456Z\"", Some("2022-12-31T13:45:59.123456Z"));
        check(
            "\"2022-12-31 13:45:59.123456+02:00\"",
            Some("2022-12-31T11:45:59.123456Z"),
        );
        check("\"2022-09-12T09:21:42.5Z\"", Some("2022-09-12T09:21:42.500Z"));
        check("\"2026-11-20T09:59:58.000Z\"", Some("2026-11-20T09:59:58Z"));
        check("\"2012-07-22T00:06:26+00:00\"", Some("2012-07-22T00:06:26Z"));
        check("0", Some("1970-01-01T00:00:00Z"));
        check("-1", Some("1969-12-31T23:59:59Z"));
    }

    #[test]
    fn refuses_what_is_not_a_time() {
        check("\"yesterday\"", None);
        check("\"\"", None);
        check("true", None);
        check("null", None);
        check("{}", None);
        check("1e400", None);
        check("-1e300", None);
        check("170141183460469231731687303715884105727", None);
        check("-170141183460469231731687303715884105728", None);
        check("18446744073709551615", Some("2554-07-21T23:34:33.709551615Z"));
        check("\"2022-12-31T13:45:59\"", None);
        check("\"2022-13-31T13:45:59Z\"", None);
    }

    #[test]
    fn key_parts_are_utc() {
        let t = Timestamp::parse_rfc3339("2022-12-31 23:45:59.1-02:00").unwrap();
        let (day, hour, stamp) = t.key_parts();
        assert_eq!(
            (day.as_str(), hour.as_str(), stamp.as_str()),
            ("2023-01-01", "01", "20230101T014559Z")
        );
    }
}
