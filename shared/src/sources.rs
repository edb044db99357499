//! Each kind of source from request to objects: auth first, then the content coding, the media
//! type, the body. Nothing here answers HTTP; rejections are typed and mapped in `error`.

use http::HeaderMap;

use crate::auth;
use crate::body::{self, MediaType};
use crate::config::{Config, Source, SourceKind};
use crate::error::{DecodeError, Rejection};
use crate::event::{write_event, Rules};
use crate::format::{json, msgpack, northflank_text, syslog};
use crate::framing::octet_counting;
use crate::names::{renamed, Names};
use crate::output::{Batch, Identity, Line};
use crate::plan::Object;
use crate::timestamp::Timestamp;

/// One authenticated-or-not delivery for a known source.
pub struct Delivery<'a> {
    pub config: &'a Config,
    pub source: &'a Source,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
    pub received_at: Timestamp,
    pub request_id: &'a str,
}

/// What a delivery became: its objects and how many events they hold.
pub struct Decoded {
    pub objects: Vec<Object>,
    pub events: usize,
}

impl Delivery<'_> {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers.get(name).map(|v| v.as_bytes())
    }

    fn batch(&self) -> Batch<'_> {
        Batch::new(
            &self.source.name,
            &self.config.prefix,
            self.received_at,
            self.request_id,
            self.config.storage.gzip_level,
            self.config.limits,
        )
    }

    fn max_decompressed(&self) -> usize {
        self.config.limits.max_decompressed
    }
}

pub fn deliver(d: &Delivery<'_>) -> Result<Decoded, Rejection> {
    if let SourceKind::Vercel { secrets, .. } = &d.source.kind {
        return vercel(d, secrets);
    }
    let h = head(d.source, d.headers)?;
    match &d.source.kind {
        SourceKind::Vercel { .. } => unreachable!("answered above"),
        SourceKind::Northflank { .. } => northflank(d, h),
        SourceKind::BetterStack { .. } => betterstack(d, h),
        SourceKind::Logplex { .. } => logplex(d, h),
    }
}

/// What the request head says of the body.
#[derive(Debug, Clone, Copy)]
pub struct Head {
    pub gzip: bool,
    pub media: MediaType,
}

/// Every check of a delivery that needs no body, in the order the answers are given: the
/// credentials (all but Vercel's signature, which is over the body), the content coding, the
/// media type the kind accepts.
pub fn head(source: &Source, headers: &HeaderMap) -> Result<Head, Rejection> {
    let header = |name: &str| headers.get(name).map(|v| v.as_bytes());
    match &source.kind {
        SourceKind::Vercel { .. } => {}
        SourceKind::Northflank { auth } | SourceKind::Logplex { auth } => {
            auth::http(auth, header("authorization")).map_err(Rejection::Unauthorized)?;
        }
        SourceKind::BetterStack { tokens } => {
            let token = auth::bearer_token(header("authorization")).map_err(Rejection::Unauthorized)?;
            if !auth::token_matches(tokens, token) {
                return Err(Rejection::Unauthorized(auth::AuthError::Mismatch));
            }
        }
    }
    let gzip = body::is_gzip(header("content-encoding"))?;
    let media = MediaType::parse(header("content-type"));
    let accepted = match source.kind {
        SourceKind::Vercel { .. } => matches!(media, MediaType::Json | MediaType::Ndjson | MediaType::Generic),
        SourceKind::Northflank { .. } => !matches!(media, MediaType::Other | MediaType::Msgpack | MediaType::Logplex),
        SourceKind::BetterStack { .. } => matches!(
            media,
            MediaType::Json | MediaType::Ndjson | MediaType::Generic | MediaType::Msgpack
        ),
        SourceKind::Logplex { .. } => matches!(media, MediaType::Logplex | MediaType::Generic | MediaType::Text),
    };
    if !accepted {
        let given = header("content-type").map(String::from_utf8_lossy).unwrap_or_default();
        return Err(Rejection::UnsupportedType(crate::error::brief(given)));
    }
    Ok(Head { gzip, media })
}

/// What Vercel sends to check an endpoint: `{}`, `[]` or nothing.
fn is_probe(body: &[u8]) -> bool {
    matches!(body.trim_ascii(), b"" | b"{}" | b"[]")
}

fn vercel(d: &Delivery<'_>, secrets: &[crate::config::Secret]) -> Result<Decoded, Rejection> {
    let signature = d.header("x-vercel-signature");
    if signature.is_none() && is_probe(d.body) {
        return Ok(Decoded {
            objects: Vec::new(),
            events: 0,
        });
    }
    let gzip = body::is_gzip(d.header("content-encoding"));
    if let Err(e) = auth::vercel(secrets, signature, &[d.body]) {
        // The signature may be over the decompressed bytes: checked as they inflate, keeping
        // none of them until it matches (an unsigned gzip bomb costs CPU, not memory).
        if e == auth::AuthError::Missing || gzip != Ok(true) {
            return Err(Rejection::Unauthorized(e));
        }
        let mut macs = auth::VercelMacs::new(secrets);
        // Too large to check is a 413, so an honest sender learns why; broken gzip stays a 403.
        body::inflate_each(d.body, d.max_decompressed(), |chunk| macs.update(chunk)).map_err(|r| match r {
            Rejection::TooLarge => Rejection::TooLarge,
            _ => Rejection::Unauthorized(e),
        })?;
        macs.verify(signature).map_err(Rejection::Unauthorized)?;
    }
    let h = head(d.source, d.headers)?;
    let decoded = body::decode(d.body, h.gzip, d.max_decompressed())?;
    let mut batch = d.batch();
    if decoded.trim_ascii() != b"{}" {
        json::for_each_event(&decoded, |ev| {
            write_event(&mut batch, Rules::Vercel, &ev.fields, ev.inner(&decoded)).map_err(Rejection::from)
        })?;
    }
    Ok(finish(batch, Identity::Body(&decoded)))
}

fn northflank(d: &Delivery<'_>, h: Head) -> Result<Decoded, Rejection> {
    let decoded = body::decode(d.body, h.gzip, d.max_decompressed())?;
    let is_json = match h.media {
        MediaType::Json | MediaType::Ndjson => true,
        MediaType::Text => false,
        _ => matches!(decoded.iter().find(|c| !c.is_ascii_whitespace()), Some(b'{' | b'[')),
    };
    let mut batch = d.batch();
    if is_json {
        json::for_each_event(&decoded, |ev| {
            write_event(&mut batch, Rules::Northflank, &ev.fields, ev.inner(&decoded)).map_err(Rejection::from)
        })?;
    } else {
        let text = crate::output::lossy(&decoded);
        for (n, line) in northflank_text::lines(&text) {
            let l = northflank_text::parse(line).map_err(|what| DecodeError::Line { line: n, what })?;
            batch.event(Some(l.timestamp), |out: &mut Line<'_>| {
                out.str_field("message", l.message);
                out.common();
                out.str_field("stream", l.stream);
                if let Some(tag) = l.tag {
                    out.str_field("tag", tag);
                }
                Ok::<_, Rejection>(())
            })?;
        }
    }
    Ok(finish(batch, Identity::Body(&decoded)))
}

fn betterstack(d: &Delivery<'_>, h: Head) -> Result<Decoded, Rejection> {
    let msgpack = h.media == MediaType::Msgpack;
    let decoded = body::decode(d.body, h.gzip, d.max_decompressed())?;
    let mut batch = d.batch();
    if msgpack {
        msgpack::for_each_event(&decoded, |fields| {
            write_event(&mut batch, Rules::BetterStack, fields, None).map_err(Rejection::from)
        })?;
    } else {
        json::for_each_event(&decoded, |ev| {
            write_event(&mut batch, Rules::BetterStack, &ev.fields, ev.inner(&decoded)).map_err(Rejection::from)
        })?;
    }
    Ok(finish(batch, Identity::Body(&decoded)))
}

fn logplex(d: &Delivery<'_>, h: Head) -> Result<Decoded, Rejection> {
    let decoded = body::decode(d.body, h.gzip, d.max_decompressed())?;
    let mut batch = d.batch();
    for (i, frame) in octet_counting::frames(&decoded).enumerate() {
        let frame = frame?;
        let m = syslog::parse(frame).map_err(|what| DecodeError::Frame {
            frame: i + 1,
            offset: frame.as_ptr() as usize - decoded.as_ptr() as usize,
            what,
        })?;
        batch.event(m.timestamp, |out: &mut Line<'_>| {
            out.bytes_field("message", m.msg);
            out.plain_field("level", syslog::SEVERITIES[usize::from(m.severity)]);
            out.common();
            out.plain_field(
                "facility",
                syslog::FACILITIES
                    .get(usize::from(m.facility))
                    .copied()
                    .unwrap_or("unknown"),
            );
            for (name, value) in [
                ("hostname", m.hostname),
                ("app_name", m.app_name),
                ("procid", m.procid),
                ("msgid", m.msgid),
            ] {
                if let Some(v) = value {
                    out.bytes_field(name, v);
                }
            }
            if !m.structured_data.is_empty() {
                // RFC 5424 allows an SD-ID or a PARAM-NAME to repeat; the stored keys are unique.
                let unique = |names: &mut Names<'_>, name: &str| -> Vec<u8> {
                    match names.take(std::borrow::Cow::Owned(name.as_bytes().to_vec())) {
                        None => name.as_bytes().to_vec(),
                        Some(prefix) => renamed(&prefix, name.as_bytes()),
                    }
                };
                let mut ids = Names::exact();
                out.key(b"structured_data");
                out.out.push(b'{');
                for (i, (id, params)) in m.structured_data.iter().enumerate() {
                    if i > 0 {
                        out.out.push(b',');
                    }
                    crate::output::write_json_bytes(out.out, &unique(&mut ids, id));
                    out.out.extend_from_slice(b":{");
                    let mut names = Names::exact();
                    for (j, (k, v)) in params.iter().enumerate() {
                        if j > 0 {
                            out.out.push(b',');
                        }
                        crate::output::write_json_bytes(out.out, &unique(&mut names, k));
                        out.out.push(b':');
                        crate::output::write_json_str(out.out, v);
                    }
                    out.out.push(b'}');
                }
                out.out.push(b'}');
            }
            Ok::<_, Rejection>(())
        })?;
    }
    let identity = match d.header("logplex-frame-id").filter(|f| !f.is_empty()) {
        Some(id) => Identity::FrameId(id),
        None => Identity::Body(&decoded),
    };
    Ok(finish(batch, identity))
}

fn finish(batch: Batch<'_>, identity: Identity<'_>) -> Decoded {
    let events = batch.events();
    Decoded {
        objects: batch.finish(identity),
        events,
    }
}
