//! `betterstack`: the Logtail ingest API's JSON (object, array, NDJSON) or MessagePack (map or
//! array of maps).

use http::HeaderMap;

use super::{bare, build_tokens, header, no_challenge, tokens_of, Dialect, Input, Kind};
use crate::auth;
use crate::body::MediaType;
use crate::body::MediaType::{Generic, Json, Msgpack, Ndjson};
use crate::config::SourceKind;
use crate::error::Rejection;
use crate::event::{write_event, Rules};
use crate::format::{json, msgpack};
use crate::output::Batch;

pub(super) const ROW: Kind = Kind {
    name: "betterstack",
    takes: &["tokens"],
    build: build_tokens,
    endpoints: bare,
    routes: "POST /{name}, and POST / (the token picks the source)",
    root: true,
    authorize,
    challenge: no_challenge,
    accepts: &[Json, Ndjson, Generic, Msgpack],
    verification: false,
    decode,
    delivery_id: None,
    dialect: Dialect::BetterStack,
    success: 202,
    describe,
};

/// `Authorization: Bearer <source token>`, one of the source's.
fn authorize(kind: &SourceKind, headers: &HeaderMap, _query: &str) -> Result<(), Rejection> {
    let token = auth::bearer_token(header(headers, "authorization")).map_err(Rejection::Unauthorized)?;
    if !auth::token_matches(tokens_of(kind), token) {
        return Err(Rejection::Unauthorized(auth::AuthError::Mismatch));
    }
    Ok(())
}

fn describe(kind: &SourceKind) -> String {
    let n = tokens_of(kind).len();
    format!("{n} token(s), also reachable at POST /")
}

pub(super) fn decode(input: &Input<'_>, batch: &mut Batch<'_, '_>) -> Result<(), Rejection> {
    let media = input.media;
    let body = input.body;
    if media == MediaType::Msgpack {
        let limits = *batch.limits();
        msgpack::for_each_event(body, &limits, |fields| {
            write_event(batch, &Rules::BETTERSTACK, fields, None).map_err(Rejection::from)
        })
    } else {
        json::for_each_event(body, |ev| {
            write_event(batch, &Rules::BETTERSTACK, &ev.fields, ev.inner(body)).map_err(Rejection::from)
        })
    }
}
