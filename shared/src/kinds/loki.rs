//! `loki`: Loki push (`/loki/api/v1/push`) as Grafana Alloy, Promtail, Docker's Loki driver and
//! the Loki client libraries send it: snappy protobuf or JSON; the format is `format::loki`.

use http::HeaderMap;

use super::{describe_key, header, key_auth, key_challenge, key_of, Dialect, Endpoint, Input, Kind};
use crate::body::MediaType::{Generic, Json, Protobuf};
use crate::config::{build_key_auth, Auth, SourceKind};
use crate::error::Rejection;
use crate::format::loki::{self, Push};
use crate::output::Batch;

pub(super) const ROW: Kind = Kind {
    name: "loki",
    takes: &["auth"],
    build: |s| build_key_auth(s.auth.as_ref(), false).map(Auth::Key),
    endpoints,
    routes: "POST /{name}/loki/api/v1/push, also POST /loki/api/v1/push (the credential picks the source)",
    root: true,
    authorize,
    challenge,
    accepts: &[Protobuf, Json, Generic],
    verification: false,
    decode,
    delivery_id: None,
    dialect: Dialect::Plain,
    success: 204,
    describe,
};

fn endpoints(e: Endpoint) -> bool {
    e == Endpoint::LokiPush
}

fn authorize(kind: &SourceKind, headers: &HeaderMap, query: &str) -> Result<(), Rejection> {
    key_auth(key_of(kind), headers, query)
}

fn challenge(kind: &SourceKind) -> Option<&'static str> {
    key_challenge(key_of(kind))
}

fn describe(kind: &SourceKind) -> String {
    describe_key(key_of(kind))
}

pub(super) fn decode(input: &Input<'_>, batch: &mut Batch<'_, '_>) -> Result<(), Rejection> {
    let tenant = header(input.headers, "x-scope-orgid")
        .and_then(|t| std::str::from_utf8(t).ok())
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let push = Push { tenant };
    let json = match input.media {
        Json => true,
        Protobuf => false,
        _ => input.body.trim_ascii_start().first() == Some(&b'{'),
    };
    if json {
        return loki::decode_json(input.body, &push, batch);
    }
    let max = batch.limits().max_decompressed;
    let inflated = loki::unsnappy(input.body, max)?;
    loki::decode_protobuf(&inflated, &push, batch)
}
