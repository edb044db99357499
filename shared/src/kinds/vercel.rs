//! `vercel`: every Vercel drain type (logs, Speed Insights, Web Analytics, audit logs) as a JSON
//! array, NDJSON or one object; `{}` alone is an empty delivery.

use super::{bare, no_challenge, no_header_auth, Dialect, Input, Kind};
use crate::body::MediaType::{Generic, Json, Ndjson};
use crate::config::SourceKind;
use crate::error::Rejection;
use crate::event::{write_event, Rules};
use crate::format::json;
use crate::output::Batch;

pub(super) const ROW: Kind = Kind {
    name: "vercel",
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

fn describe(kind: &SourceKind) -> String {
    let SourceKind::Vercel { secrets, verify } = kind else {
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
