//! `vercel`: every Vercel drain type (logs, Speed Insights, Web Analytics, audit logs) as a JSON
//! array, NDJSON or one object; `{}` alone is an empty delivery.

use super::{bare, no_challenge, no_header_auth, Dialect, Input, Kind};
use crate::body::MediaType::{Generic, Json, Ndjson};
use crate::config::{secret_list, Auth, RawSource, SourceKind};
use crate::error::Rejection;
use crate::event::{write_event, Rules};
use crate::format::json;
use crate::output::Batch;

pub(super) const ROW: Kind = Kind {
    name: "vercel",
    takes: &["secrets", "verify"],
    build,
    endpoints: bare,
    routes: "POST /{name} (GET and HEAD: endpoint verification)",
    root: false,
    // `x-vercel-signature`, over the body (`check_signature`).
    authorize: no_header_auth,
    challenge: no_challenge,
    accepts: &[Json, Ndjson, Generic],
    verification: true,
    decode,
    delivery_id: None,
    dialect: Dialect::Vercel,
    success: 200,
    describe,
};

/// `secrets` (the drain's signing secrets, several while one is rotated) and `verify` (the
/// `x-vercel-verify` code every answer carries).
fn build(s: &RawSource) -> Result<Auth, String> {
    let verify = s.verify.clone().filter(|v| !v.is_empty());
    if verify
        .as_deref()
        .is_some_and(|v| http::HeaderValue::from_str(v).is_err())
    {
        return Err("`verify` is not a valid header value".into());
    }
    Ok(Auth::Vercel {
        secrets: secret_list(s.secrets.clone(), "secrets", &s.kind)?,
        verify,
    })
}

fn describe(kind: &SourceKind) -> String {
    let Auth::Vercel { secrets, verify } = &kind.auth else {
        unreachable!("the vercel row describes vercel sources")
    };
    let verify = if verify.is_some() { "set" } else { "not set" };
    format!("{} secret(s), x-vercel-verify {verify}", secrets.len())
}

pub(super) fn decode(input: &Input<'_>, batch: &mut Batch<'_, '_>) -> Result<(), Rejection> {
    let body = input.body;
    if body.trim_ascii() == b"{}" {
        return Ok(());
    }
    json::for_each_event(body, |ev| {
        write_event(batch, &Rules::VERCEL, &ev.fields, ev.inner(body)).map_err(Rejection::from)
    })
}
