//! The body before any format sees it: its content coding undone within the limit, and its
//! media type named.

use std::borrow::Cow;
use std::io::Read;

use crate::error::Rejection;

/// The media types drain tells apart; parameters such as `charset` are ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    Json,
    Ndjson,
    Msgpack,
    Text,
    Logplex,
    /// `application/x-protobuf` (OTLP).
    Protobuf,
    /// Missing, `application/x-www-form-urlencoded` (what `curl -d` sends) or
    /// `application/octet-stream`: read as the source's natural format.
    Generic,
    Other,
}

impl MediaType {
    pub fn parse(header: Option<&[u8]>) -> Self {
        let Some(header) = header else {
            return MediaType::Generic;
        };
        let essence = header.split(|&c| c == b';').next().unwrap_or_default().trim_ascii();
        let is = |name: &str| essence.eq_ignore_ascii_case(name.as_bytes());
        if essence.is_empty() || is("application/x-www-form-urlencoded") || is("application/octet-stream") {
            MediaType::Generic
        } else if is("application/json") {
            MediaType::Json
        } else if is("application/x-ndjson") || is("application/ndjson") || is("application/jsonl") {
            MediaType::Ndjson
        } else if is("application/msgpack") || is("application/x-msgpack") || is("application/vnd.msgpack") {
            MediaType::Msgpack
        } else if is("text/plain") {
            MediaType::Text
        } else if is("application/logplex-1") {
            MediaType::Logplex
        } else if is("application/x-protobuf") || is("application/protobuf") {
            MediaType::Protobuf
        } else {
            MediaType::Other
        }
    }
}

/// Whether the body is gzip. Any coding but `gzip` and `identity` is refused (415).
pub fn is_gzip(content_encoding: Option<&[u8]>) -> Result<bool, Rejection> {
    let Some(value) = content_encoding else {
        return Ok(false);
    };
    let value = value.trim_ascii();
    if value.is_empty() || value.eq_ignore_ascii_case(b"identity") {
        Ok(false)
    } else if value.eq_ignore_ascii_case(b"gzip") || value.eq_ignore_ascii_case(b"x-gzip") {
        Ok(true)
    } else {
        Err(Rejection::UnsupportedEncoding(
            String::from_utf8_lossy(value).into_owned(),
        ))
    }
}

/// The body with its content coding undone: borrowed when it wasn't gzip, else inflated, and
/// refused as soon as the output passes `max` bytes (a gzip bomb never grows past the limit).
pub fn decode(body: &[u8], gzip: bool, max: usize) -> Result<Cow<'_, [u8]>, Rejection> {
    if !gzip {
        return if body.len() > max {
            Err(Rejection::TooLarge)
        } else {
            Ok(Cow::Borrowed(body))
        };
    }
    gunzip(body, max).map(Cow::Owned)
}

/// The inflated body, refused as soon as it passes `max` bytes. Its buffer is sized from the
/// gzip trailer's length when that is within the limit, so an honest body is inflated into one
/// allocation (no second copy while a growing buffer moves); otherwise it grows by doubling,
/// never past `max + 1`.
pub fn gunzip(body: &[u8], max: usize) -> Result<Vec<u8>, Rejection> {
    let limit = max.saturating_add(1);
    let trailer = body
        .len()
        .checked_sub(4)
        .map(|at| u32::from_le_bytes(body[at..].try_into().expect("4 bytes")) as usize);
    let first = match trailer {
        Some(n) if n <= max => n.saturating_add(1),
        _ => body.len().saturating_mul(4).min(16 << 20),
    };
    let mut out = Vec::with_capacity(first.min(limit));
    inflate_each(body, max, |chunk| {
        if out.len() + chunk.len() > out.capacity() {
            let target = (out.capacity() * 2).max(out.len() + chunk.len()).min(limit);
            out.reserve_exact(target - out.len());
        }
        out.extend_from_slice(chunk);
    })?;
    Ok(out)
}

/// Inflates `body` (gzip, one or more members) and hands the output to `f` in pieces of at most
/// 32 KiB, keeping none of it; refused as soon as the output passes `max` bytes.
#[allow(clippy::disallowed_methods, reason = "this is the one capped use of the decoder")]
pub fn inflate_each(body: &[u8], max: usize, mut f: impl FnMut(&[u8])) -> Result<usize, Rejection> {
    let limit = max.saturating_add(1);
    let mut decoder = flate2::read::MultiGzDecoder::new(body).take(limit as u64);
    let mut chunk = [0u8; 32 << 10];
    let mut total = 0usize;
    loop {
        let n = match decoder.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(Rejection::Undecodable(crate::error::DecodeError::Gzip(
                    crate::error::brief(e.to_string()),
                )))
            }
        };
        total += n;
        if total > max {
            return Err(Rejection::TooLarge);
        }
        f(&chunk[..n]);
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn media_types() {
        let cases: &[(Option<&str>, MediaType)] = &[
            (None, MediaType::Generic),
            (Some("application/json; charset=utf-8"), MediaType::Json),
            (Some("Application/JSON"), MediaType::Json),
            (Some("application/x-ndjson"), MediaType::Ndjson),
            (Some("application/msgpack"), MediaType::Msgpack),
            (Some("application/x-msgpack"), MediaType::Msgpack),
            (Some("text/plain;charset=UTF-8"), MediaType::Text),
            (Some("application/logplex-1"), MediaType::Logplex),
            (Some("application/x-www-form-urlencoded"), MediaType::Generic),
            (Some("application/octet-stream"), MediaType::Generic),
            (Some("image/png"), MediaType::Other),
        ];
        for (header, expected) in cases {
            assert_eq!(MediaType::parse(header.map(str::as_bytes)), *expected, "{header:?}");
        }
    }

    #[test]
    fn encodings() {
        assert_eq!(is_gzip(None), Ok(false));
        assert_eq!(is_gzip(Some(b"identity")), Ok(false));
        assert_eq!(is_gzip(Some(b"GZIP")), Ok(true));
        assert!(matches!(is_gzip(Some(b"br")), Err(Rejection::UnsupportedEncoding(e)) if e == "br"));
    }

    #[test]
    fn gzip_limits_and_damage() {
        let data = vec![b'a'; 10_000];
        let packed = gz(&data);
        assert_eq!(decode(&packed, true, 10_000).unwrap().as_ref(), &data[..]);
        assert!(matches!(decode(&packed, true, 9_999), Err(Rejection::TooLarge)));
        assert!(matches!(
            decode(&packed[..packed.len() / 2], true, 1 << 20),
            Err(Rejection::Undecodable(_))
        ));
        assert!(matches!(
            decode(b"not gzip", true, 1 << 20),
            Err(Rejection::Undecodable(_))
        ));
        assert!(matches!(decode(&data, false, 9_999), Err(Rejection::TooLarge)));
        let mut two = gz(b"a\n");
        two.extend(gz(b"b\n"));
        assert_eq!(
            decode(&two, true, 100).unwrap().as_ref(),
            b"a\nb\n",
            "concatenated members"
        );
    }
}
