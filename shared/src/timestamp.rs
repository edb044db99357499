//! Instants as the senders write them, and as drain writes them back (RFC 3339, UTC, AutoSi).

use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

const NANOS_PER_SEC: i128 = 1_000_000_000;
/// 0000-01-01T00:00:00Z and 10000-01-01T00:00:00Z in Unix seconds: the years drain writes.
const FIRST_SEC: i64 = -62_167_219_200;
const END_SEC: i64 = 253_402_300_800;
/// The Julian day of 1970-01-01.
const EPOCH_JULIAN_DAY: i64 = 2_440_588;

/// An instant in UTC with nanosecond precision, kept as Unix seconds and the nanoseconds past
/// them: events are compared and bucketed by hour with integer arithmetic, and the calendar is
/// worked out only when the instant is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    secs: i64,
    nanos: u32,
}

impl Timestamp {
    /// From nanoseconds since the Unix epoch; `None` outside the years 0000–9999.
    pub fn from_unix_nanos(nanos: i128) -> Option<Self> {
        let secs = i64::try_from(nanos.div_euclid(NANOS_PER_SEC)).ok()?;
        (FIRST_SEC..END_SEC).contains(&secs).then_some(Self {
            secs,
            nanos: nanos.rem_euclid(NANOS_PER_SEC) as u32,
        })
    }

    /// From milliseconds since the Unix epoch (what `Date.now()` gives on Workers).
    pub fn from_unix_millis(millis: i64) -> Option<Self> {
        Self::from_unix_nanos(i128::from(millis) * 1_000_000)
    }

    pub fn unix_nanos(self) -> i128 {
        i128::from(self.secs) * NANOS_PER_SEC + i128::from(self.nanos)
    }

    /// Whole hours since the epoch: the partition an event belongs to.
    pub fn hour(self) -> i64 {
        self.secs.div_euclid(3600)
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
        let secs = parsed.unix_timestamp();
        (FIRST_SEC..END_SEC).contains(&secs).then_some(Self {
            secs,
            nanos: parsed.nanosecond(),
        })
    }

    /// A Unix time whose unit is told by its magnitude: seconds, milliseconds, microseconds or
    /// nanoseconds (seconds reach the year 5138 before they could be mistaken for milliseconds).
    pub fn from_unix_integer(v: i128) -> Option<Self> {
        match i64::try_from(v) {
            Ok(v) => Self::from_unix_i64(v),
            Err(_) => Self::from_unix_wide(v),
        }
    }

    /// [`Self::from_unix_integer`] in 64-bit arithmetic, for the integers senders send (128-bit
    /// multiplication and division are library calls in wasm): whole seconds, ms, µs or ns.
    fn from_unix_i64(v: i64) -> Option<Self> {
        let per_sec: i64 = match v.unsigned_abs() {
            a if a < 100_000_000_000 => 1,
            a if a < 100_000_000_000_000 => 1_000,
            a if a < 100_000_000_000_000_000 => 1_000_000,
            _ => 1_000_000_000,
        };
        let secs = v.div_euclid(per_sec);
        let nanos = (v.rem_euclid(per_sec) * (1_000_000_000 / per_sec)) as u32;
        (FIRST_SEC..END_SEC).contains(&secs).then_some(Self { secs, nanos })
    }

    fn from_unix_wide(v: i128) -> Option<Self> {
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
            // A number in a string (HEC's `"time":"1700000000.123"`, Loki's nanoseconds): by
            // magnitude, as a number.
            if inner.bytes().next().is_some_and(|c| c.is_ascii_digit() || c == b'-') && !inner.contains(':') {
                return Self::parse_number(inner);
            }
            return Self::parse_rfc3339(inner);
        }
        Self::parse_number(raw)
    }

    /// A number written as JSON writes it.
    pub fn parse_number(text: &str) -> Option<Self> {
        if let Ok(i) = text.parse::<i64>() {
            return Self::from_unix_integer(i.into());
        }
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
        self.write_rfc3339_in(&self.hour_text(), out);
    }

    /// `YYYY-MM-DDTHH:`, what every instant of this one's hour writes first.
    pub fn hour_text(self) -> HourText {
        let c = self.civil();
        let mut b = *b"0000-00-00T00:";
        put_num(&mut b[0..4], c.year);
        put_num(&mut b[5..7], c.month);
        put_num(&mut b[8..10], c.day);
        put_num(&mut b[11..13], c.hour);
        HourText(b)
    }

    /// [`Self::write_rfc3339`] given this instant's [`Self::hour_text`], worked out once for all
    /// the events of an hour: only the minutes, seconds and fraction are left to write.
    pub fn write_rfc3339_in(self, hour: &HourText, out: &mut Vec<u8>) {
        // Filled on the stack and appended once: one capacity check, not one per part.
        let mut b = *b"0000-00-00T00:00:00.000000000Z";
        b[..14].copy_from_slice(&hour.0);
        let of_hour = self.secs.rem_euclid(3600) as u32;
        put_num(&mut b[14..16], of_hour / 60);
        put_num(&mut b[17..19], of_hour % 60);
        let n = self.nanos;
        let len = if n == 0 {
            19
        } else if n % 1_000_000 == 0 {
            put_num(&mut b[20..23], n / 1_000_000);
            23
        } else if n % 1_000 == 0 {
            put_num(&mut b[20..26], n / 1_000);
            26
        } else {
            put_num(&mut b[20..29], n);
            29
        };
        b[len] = b'Z';
        // All 30 bytes copied (a fixed size the compiler inlines, where a variable one is a
        // call), the unused tail cut.
        let at = out.len();
        out.extend_from_slice(&b);
        out.truncate(at + len + 1);
    }

    pub fn to_rfc3339(self) -> String {
        let mut v = Vec::with_capacity(30);
        self.write_rfc3339(&mut v);
        String::from_utf8(v).expect("ASCII")
    }
}

/// The text an hour's instants share in RFC 3339 (`YYYY-MM-DDTHH:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HourText([u8; 14]);

/// An instant's calendar fields in UTC.
struct Civil {
    year: u32,
    month: u32,
    day: u32,
    hour: u32,
}

impl Timestamp {
    fn civil(self) -> Civil {
        let days = self.secs.div_euclid(86_400);
        let of_day = self.secs.rem_euclid(86_400) as u32;
        // In range by construction: years 0000-9999 are valid Julian days for `time`.
        let date = i32::try_from(days + EPOCH_JULIAN_DAY)
            .ok()
            .and_then(|jd| Date::from_julian_day(jd).ok())
            .unwrap_or(Date::MIN);
        Civil {
            year: date.year().unsigned_abs(),
            month: u8::from(date.month()).into(),
            day: date.day().into(),
            hour: of_day / 3600,
        }
    }
}

/// `v`'s last `digits.len()` decimal digits, zero-padded, into `digits`.
fn put_num(digits: &mut [u8], mut v: u32) {
    for d in digits.iter_mut().rev() {
        *d = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_read_alike_in_64_and_128_bits() {
        let mut values = vec![0i64, 1, -1, 999, 1_795_348_800, 1_795_348_800_123, i64::MIN, i64::MAX];
        for edge in [100_000_000_000i64, 100_000_000_000_000, 100_000_000_000_000_000] {
            values.extend([edge - 1, edge, edge + 1, -edge + 1, -edge, -edge - 1]);
        }
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..10_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            values.push((x as i64) >> (x % 50));
        }
        for v in values {
            assert_eq!(Timestamp::from_unix_i64(v), Timestamp::from_unix_wide(v.into()), "{v}");
        }
    }

    #[test]
    fn rfc3339_written_as_before() {
        let written = |t: Timestamp| {
            let mut out = Vec::new();
            t.write_rfc3339(&mut out);
            String::from_utf8(out).unwrap()
        };
        for (nanos, text) in [
            (0i128, "1970-01-01T00:00:00Z"),
            (1_795_348_800_172_000_000, "2026-11-22T12:00:00.172Z"),
            (1_795_348_800_000_172_000, "2026-11-22T12:00:00.000172Z"),
            (1_795_348_800_000_000_172, "2026-11-22T12:00:00.000000172Z"),
            (-1, "1969-12-31T23:59:59.999999999Z"),
            (-62_167_219_200 * 1_000_000_000, "0000-01-01T00:00:00Z"),
            (253_402_300_799_999_999_999, "9999-12-31T23:59:59.999999999Z"),
        ] {
            assert_eq!(written(Timestamp::from_unix_nanos(nanos).unwrap()), text);
        }
    }

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
        check("\"1672490759.123\"", Some("2022-12-31T12:45:59.123Z"));
        check("\"1672490759123456789\"", Some("2022-12-31T12:45:59.123456789Z"));
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
    fn the_years_0000_to_9999_and_no_others() {
        let first = i128::from(FIRST_SEC) * NANOS_PER_SEC;
        let end = i128::from(END_SEC) * NANOS_PER_SEC;
        assert_eq!(Timestamp::from_unix_nanos(first - 1), None);
        assert_eq!(Timestamp::from_unix_nanos(end), None);
        let write = |n| Timestamp::from_unix_nanos(n).map(Timestamp::to_rfc3339);
        assert_eq!(write(first).as_deref(), Some("0000-01-01T00:00:00Z"));
        assert_eq!(write(end - 1).as_deref(), Some("9999-12-31T23:59:59.999999999Z"));
    }

    #[test]
    fn written_as_time_writes_it() {
        // Every 1,000,003rd second plus a changing fraction, across the whole range.
        let mut sec = FIRST_SEC;
        let mut i = 0u32;
        while sec < END_SEC {
            let nanos = i128::from(sec) * NANOS_PER_SEC + i128::from(u64::from(i) * 7_919_993 % 1_000_000_000);
            let ours = Timestamp::from_unix_nanos(nanos).unwrap();
            let theirs = OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap();
            assert_eq!(Timestamp::parse_rfc3339(&ours.to_rfc3339()), Some(ours), "{theirs}");
            assert_eq!(ours.hour(), theirs.unix_timestamp().div_euclid(3600));
            sec += 1_000_003;
            i += 1;
        }
    }
}
