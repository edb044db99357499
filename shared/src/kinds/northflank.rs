//! `northflank`: a JSON array of events (or the validation object), or `text/plain` lines
//! `<RFC 3339 ts> <stdout|stderr> [F|P ]<line>`; a generic type is told apart by its first byte.

use http::HeaderMap;

use super::{bare, describe_http, http_auth, http_of, Dialect, Input, Kind};
use crate::body::MediaType;
use crate::body::MediaType::{Generic, Json, Ndjson, Text};
use crate::config::{build_auth, Auth, HttpAuth, SourceKind};
use crate::error::{DecodeError, Rejection};
use crate::event::{write_event, Rules};
use crate::format::{json, northflank_text};
use crate::output::{Batch, Line};

pub(super) const ROW: Kind = Kind {
    name: "northflank",
    takes: &["auth"],
    build: |s| build_auth(s.auth.as_ref()).map(Auth::Http),
    endpoints: bare,
    routes: "POST /{name}",
    root: false,
    authorize,
    challenge,
    accepts: &[Json, Ndjson, Text, Generic],
    verification: false,
    decode,
    delivery_id: None,
    dialect: Dialect::Plain,
    success: 200,
    describe,
};

fn authorize(kind: &SourceKind, headers: &HeaderMap, _query: &str) -> Result<(), Rejection> {
    http_auth(http_of(kind), headers)
}

fn challenge(kind: &SourceKind) -> Option<&'static str> {
    match http_of(kind) {
        HttpAuth::Bearer(_) => Some("Bearer realm=\"drain\""),
        _ => Some("Basic realm=\"drain\""),
    }
}

fn describe(kind: &SourceKind) -> String {
    describe_http(http_of(kind))
}

pub(super) fn decode(input: &Input<'_>, batch: &mut Batch<'_, '_>) -> Result<(), Rejection> {
    let media = input.media;
    let body = input.body;
    let is_json = match media {
        MediaType::Json | MediaType::Ndjson => true,
        MediaType::Text => false,
        _ => matches!(body.iter().find(|c| !c.is_ascii_whitespace()), Some(b'{' | b'[')),
    };
    if is_json {
        return json::for_each_event(body, |ev| {
            write_event(batch, &Rules::NORTHFLANK, &ev.fields, ev.inner(body)).map_err(Rejection::from)
        });
    }
    for (n, line) in northflank_text::lines(body) {
        let l = northflank_text::parse(line).map_err(|what| DecodeError::Line { line: n, what })?;
        batch.event(Some(l.timestamp), |out: &mut Line<'_>| {
            // Escaping only grows a message: one longer than the line's room can't fit.
            out.fits(l.message.len())?;
            out.bytes_field("message", l.message);
            out.common();
            out.plain_field("stream", l.stream);
            if let Some(tag) = l.tag {
                out.plain_field("tag", tag);
            }
            Ok::<_, Rejection>(())
        })?;
    }
    Ok(())
}
