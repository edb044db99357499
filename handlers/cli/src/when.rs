//! The times the read commands and `drain compact --since` take: a duration back from now, an
//! RFC 3339 time (seconds optional) or a date, as Unix nanoseconds.

use anyhow::{Context, Result};

const SECOND: i128 = 1_000_000_000;
const HOUR: i128 = 3_600 * SECOND;

/// Unix nanoseconds of an RFC 3339 time.
pub fn parse_time(s: &str) -> Option<i128> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| t.unix_timestamp_nanos())
}

/// The times `drain logs` reads between: 1970 to the end of 9999 (key names have four-digit years).
pub const EARLIEST: i128 = 0;
pub const LATEST: i128 = 253_402_300_799 * SECOND;

/// `2h`, `90s`, `15m`, `7d` back from `now`, or an RFC 3339 time (seconds optional), or a date.
pub fn parse_when(s: &str, now: i128) -> Result<i128> {
    let s = s.trim();
    if let Some((num, unit)) = s.find(|c: char| !c.is_ascii_digit()).map(|i| s.split_at(i)) {
        if let (Ok(n), Some(scale)) = (
            num.parse::<i128>(),
            match unit {
                "s" => Some(SECOND),
                "m" => Some(60 * SECOND),
                "h" => Some(HOUR),
                "d" => Some(24 * HOUR),
                "w" => Some(7 * 24 * HOUR),
                _ => None,
            },
        ) {
            return n
                .checked_mul(scale)
                .and_then(|back| now.checked_sub(back))
                .filter(|t| (EARLIEST..=LATEST).contains(t))
                .with_context(|| format!("'{s}' reaches before 1970"));
        }
    }
    let candidates = [
        s.to_owned(),
        // 2026-11-22T10:00Z: seconds left out.
        match s.find(['T', 't']) {
            Some(t) => {
                let end = s[t..].find(['Z', 'z', '+', '-']).map_or(s.len(), |i| t + i);
                if s[t..end].matches(':').count() == 1 {
                    format!("{}:00{}", &s[..end], &s[end..])
                } else {
                    String::new()
                }
            }
            None => String::new(),
        },
        format!("{s}T00:00:00Z"),
    ];
    candidates
        .iter()
        .find_map(|c| parse_time(c))
        .filter(|t| (EARLIEST..=LATEST).contains(t))
        .with_context(|| format!("'{s}' is neither a duration (90s, 15m, 2h, 7d) nor a time (2026-11-22T10:00Z)"))
}
