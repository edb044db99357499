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

/// A body's `Content-Encoding` (SPEC section 2): every kind takes gzip, deflate and zstd.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    Identity,
    /// gzip, one or more members.
    Gzip,
    /// zlib-wrapped (RFC 1950, what the name means) or raw deflate (RFC 1951, what some clients
    /// send under it), told apart by the zlib header.
    Deflate,
    /// One or more zstd frames, each with a window of at most [`ZSTD_MAX_WINDOW`].
    Zstd,
}

impl Coding {
    pub fn is_identity(self) -> bool {
        self == Coding::Identity
    }
}

/// The largest zstd window a frame may ask for: the decoder keeps that much of the output it
/// made, beside the body's inflated bytes. zstd's levels 1-19 use at most 8 MiB (only `--long`
/// and the ultra levels ask more), so senders' frames fit.
pub const ZSTD_MAX_WINDOW: u64 = 8 << 20;

/// The body's content coding. A coding drain doesn't know, or several stacked (`gzip, zstd`), is
/// refused (415).
pub fn coding(content_encoding: Option<&[u8]>) -> Result<Coding, Rejection> {
    let Some(value) = content_encoding else {
        return Ok(Coding::Identity);
    };
    let value = value.trim_ascii();
    let is = |name: &[u8]| value.eq_ignore_ascii_case(name);
    if value.is_empty() || is(b"identity") {
        Ok(Coding::Identity)
    } else if is(b"gzip") || is(b"x-gzip") {
        Ok(Coding::Gzip)
    } else if is(b"deflate") {
        Ok(Coding::Deflate)
    } else if is(b"zstd") {
        Ok(Coding::Zstd)
    } else {
        Err(Rejection::UnsupportedEncoding(crate::error::echo(value)))
    }
}

/// The body with its content coding undone: borrowed when it had none, else decoded, and refused
/// as soon as the output passes `max` bytes (a bomb never grows past the limit).
pub fn decode(body: &[u8], coding: Coding, max: usize) -> Result<Cow<'_, [u8]>, Rejection> {
    if coding.is_identity() {
        return if body.len() > max {
            Err(Rejection::TooLarge)
        } else {
            Ok(Cow::Borrowed(body))
        };
    }
    // gzip's trailer, and a zstd frame's header when it has the content size, say how long the
    // output is: an honest body is decoded into one allocation (no second copy while a growing
    // buffer moves). Otherwise the buffer grows by doubling, never past `max + 1`.
    let limit = max.saturating_add(1);
    let hint = match coding {
        Coding::Gzip => body
            .len()
            .checked_sub(4)
            .map(|at| u32::from_le_bytes(body[at..].try_into().expect("4 bytes")) as usize),
        Coding::Zstd => {
            let mut frame = ruzstd::decoding::FrameDecoder::new();
            frame.set_max_window_size(ZSTD_MAX_WINDOW);
            frame
                .init(body)
                .ok()
                .map(|()| frame.content_size())
                .filter(|&n| n > 0)
                .map(|n| usize::try_from(n).unwrap_or(usize::MAX))
        }
        Coding::Deflate | Coding::Identity => None,
    };
    let first = match hint {
        Some(n) if n <= max => n.saturating_add(1),
        _ => body.len().saturating_mul(4).min(16 << 20),
    };
    let mut out = Vec::with_capacity(first.min(limit));
    inflate_each(body, coding, max, |chunk| {
        if out.len() + chunk.len() > out.capacity() {
            let target = (out.capacity() * 2).max(out.len() + chunk.len()).min(limit);
            out.reserve_exact(target - out.len());
        }
        out.extend_from_slice(chunk);
    })?;
    Ok(Cow::Owned(out))
}

/// The gzip body inflated, refused as soon as it passes `max` bytes.
pub fn gunzip(body: &[u8], max: usize) -> Result<Vec<u8>, Rejection> {
    decode(body, Coding::Gzip, max).map(Cow::into_owned)
}

/// Whether `body` starts with a zlib header (RFC 1950: deflate, a window of at most 32 KiB, and
/// a check value that makes the first two bytes a multiple of 31).
fn zlib_header(body: &[u8]) -> bool {
    matches!(body, [cmf, flg, ..] if cmf & 0x0f == 8 && cmf >> 4 <= 7 && (u16::from(*cmf) << 8 | u16::from(*flg)) % 31 == 0)
}

/// Decodes `body` and hands the output to `f` in pieces of at most 32 KiB, keeping none of it;
/// refused as soon as the output passes `max` bytes.
#[allow(clippy::disallowed_methods, reason = "this is the one capped use of the decoders")]
pub fn inflate_each(body: &[u8], coding: Coding, max: usize, mut f: impl FnMut(&[u8])) -> Result<usize, Rejection> {
    let limit = max.saturating_add(1) as u64;
    let undecodable = |what: String| Rejection::Undecodable(crate::error::DecodeError::Gzip(crate::error::brief(what)));
    let mut total = 0usize;
    let mut pump = |reader: &mut dyn Read, total: &mut usize| -> Result<(), Rejection> {
        let mut chunk = [0u8; 32 << 10];
        let mut reader = reader.take(limit - *total as u64);
        loop {
            let n = match reader.read(&mut chunk) {
                Ok(0) => return Ok(()),
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(undecodable(e.to_string())),
            };
            *total += n;
            if *total > max {
                return Err(Rejection::TooLarge);
            }
            f(&chunk[..n]);
        }
    };
    match coding {
        Coding::Identity => pump(&mut &body[..], &mut total)?,
        Coding::Gzip => pump(&mut flate2::read::MultiGzDecoder::new(body), &mut total)?,
        Coding::Deflate if zlib_header(body) => pump(&mut flate2::read::ZlibDecoder::new(body), &mut total)?,
        Coding::Deflate => pump(&mut flate2::read::DeflateDecoder::new(body), &mut total)?,
        Coding::Zstd => {
            // Frame after frame (a stream may hold several), each within the window cap.
            let mut rest = body;
            while !rest.is_empty() {
                let mut frame = ruzstd::decoding::StreamingDecoder::new_with_max_window_size(&mut rest, ZSTD_MAX_WINDOW)
                    .map_err(|e| undecodable(format!("zstd: {e}")))?;
                pump(&mut frame, &mut total)?;
                if total > max {
                    return Err(Rejection::TooLarge);
                }
            }
        }
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
        assert_eq!(coding(None), Ok(Coding::Identity));
        assert_eq!(coding(Some(b"identity")), Ok(Coding::Identity));
        assert_eq!(coding(Some(b"GZIP")), Ok(Coding::Gzip));
        assert_eq!(coding(Some(b"deflate")), Ok(Coding::Deflate));
        assert_eq!(coding(Some(b"zstd")), Ok(Coding::Zstd));
        assert!(matches!(coding(Some(b"br")), Err(Rejection::UnsupportedEncoding(e)) if e == "br"));
        // Stacked codings are refused, not half undone.
        assert!(matches!(coding(Some(b"gzip, zstd")), Err(Rejection::UnsupportedEncoding(_))));
    }

    fn zstd(data: &[u8]) -> Vec<u8> {
        ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest)
    }

    /// Issue 30 (SPEC version 3, section 2): deflate, zlib-wrapped or raw, and zstd, one frame
    /// or several, each within the limit; damage is a 400, a bomb a 413 once past it.
    #[test]
    fn deflate_and_zstd_within_the_limit() {
        let data = b"{\"message\":\"m\"}\n".repeat(1_000);
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        zlib.write_all(&data).unwrap();
        let zlib = zlib.finish().unwrap();
        let mut raw = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        raw.write_all(&data).unwrap();
        let raw = raw.finish().unwrap();
        for (name, body, c) in [
            ("zlib", &zlib, Coding::Deflate),
            ("raw deflate", &raw, Coding::Deflate),
            ("zstd", &zstd(&data), Coding::Zstd),
        ] {
            assert_eq!(decode(body, c, data.len()).unwrap().as_ref(), &data[..], "{name}");
            assert!(matches!(decode(body, c, data.len() - 1), Err(Rejection::TooLarge)), "{name}");
            assert!(
                matches!(decode(&body[..body.len() / 2], c, 1 << 20), Err(Rejection::Undecodable(_))),
                "{name}: cut in half"
            );
        }
        let mut two = zstd(b"a\n");
        two.extend(zstd(b"b\n"));
        assert_eq!(decode(&two, Coding::Zstd, 100).unwrap().as_ref(), b"a\nb\n", "two frames");
        assert!(matches!(decode(b"not zstd", Coding::Zstd, 1 << 20), Err(Rejection::Undecodable(_))));
        let bomb = zstd(&vec![0u8; 64 << 20]);
        assert!(bomb.len() < 1 << 20);
        assert!(matches!(decode(&bomb, Coding::Zstd, 1 << 20), Err(Rejection::TooLarge)));
    }

    /// A frame the reference `zstd` CLI wrote (`zstd -3`, with its checksum): 30 lines back.
    #[test]
    fn a_frame_from_the_reference_encoder() {
        let frame = include_bytes!("../tests/data/zstd-cli-30-lines.zst");
        let out = decode(frame, Coding::Zstd, 1 << 20).unwrap();
        let text = std::str::from_utf8(&out).unwrap();
        assert_eq!(text.lines().count(), 30);
        assert_eq!(text.lines().nth(29), Some(r#"{"message":"from the zstd CLI 30"}"#));
    }

    /// A zstd frame that asks for a window past the cap is refused before the decoder keeps it.
    #[test]
    fn zstd_windows_past_the_cap_are_refused() {
        // Magic, a frame header descriptor with Single_Segment unset and no content size, and a
        // window descriptor of 2^27 (exponent 17).
        let frame = [0x28, 0xb5, 0x2f, 0xfd, 0x00, 17 << 3, 0x01, 0x00, 0x00];
        assert!(matches!(decode(&frame, Coding::Zstd, 1 << 30), Err(Rejection::Undecodable(_))));
    }

    #[test]
    fn gzip_limits_and_damage() {
        let data = vec![b'a'; 10_000];
        let packed = gz(&data);
        assert_eq!(decode(&packed, Coding::Gzip, 10_000).unwrap().as_ref(), &data[..]);
        assert!(matches!(decode(&packed, Coding::Gzip, 9_999), Err(Rejection::TooLarge)));
        assert!(matches!(
            decode(&packed[..packed.len() / 2], Coding::Gzip, 1 << 20),
            Err(Rejection::Undecodable(_))
        ));
        assert!(matches!(
            decode(b"not gzip", Coding::Gzip, 1 << 20),
            Err(Rejection::Undecodable(_))
        ));
        assert!(matches!(decode(&data, Coding::Identity, 9_999), Err(Rejection::TooLarge)));
        let mut two = gz(b"a\n");
        two.extend(gz(b"b\n"));
        assert_eq!(
            decode(&two, Coding::Gzip, 100).unwrap().as_ref(),
            b"a\nb\n",
            "concatenated members"
        );
    }
}
