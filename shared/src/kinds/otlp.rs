//! `otlp`: OTLP/HTTP exports (`/v1/logs`, `/v1/traces`, `/v1/metrics`) in protobuf or JSON,
//! gzip or not (SPEC sections 2 and 8); the mapping itself is `format::otlp`.

use crate::body::MediaType;
use crate::error::Rejection;
use crate::format::otlp;
use crate::output::Batch;

use http::HeaderMap;

use super::{describe_http, header, http_auth, no_challenge, Dialect, Endpoint, Input, Kind};
use crate::auth;
use crate::body::MediaType::{Json, Protobuf};
use crate::config::{HttpAuth, OtlpAuth, SourceKind};

pub(super) const ROW: Kind = Kind {
    name: "otlp",
    endpoints: signals,
    routes: "POST /{name}/v1/{logs,traces,metrics}",
    root: true,
    authorize,
    challenge: no_challenge,
    accepts: &[Protobuf, Json],
    verification: false,
    decode,
    delivery_id: None,
    dialect: Dialect::Otlp,
    success: 200,
    describe,
};

fn auth_of(kind: &SourceKind) -> &OtlpAuth {
    match kind {
        SourceKind::Otlp { auth } => auth,
        _ => unreachable!("the otlp row serves otlp sources"),
    }
}

/// `v1/{logs,traces,metrics}`.
fn signals(e: Endpoint) -> bool {
    matches!(e, Endpoint::Signal(_))
}

fn authorize(kind: &SourceKind, headers: &HeaderMap, _query: &str) -> Result<(), Rejection> {
    match auth_of(kind) {
        OtlpAuth::Http(a) => http_auth(a, headers),
        OtlpAuth::Header { name, value } => {
            let given = header(headers, name.as_str()).ok_or(Rejection::Unauthorized(auth::AuthError::Missing))?;
            if !auth::ct_eq(value.expose().as_bytes(), given.trim_ascii()) {
                return Err(Rejection::Unauthorized(auth::AuthError::Mismatch));
            }
            Ok(())
        }
        // `x-vercel-signature`, over the body (`check_signature`).
        OtlpAuth::Signature(_) => Ok(()),
    }
}

fn describe(kind: &SourceKind) -> String {
    match auth_of(kind) {
        OtlpAuth::Http(a @ HttpAuth::Bearer(_)) => format!(
            "{}, also reachable at POST /v1/{{logs,traces,metrics}}",
            describe_http(a)
        ),
        OtlpAuth::Http(a) => describe_http(a),
        OtlpAuth::Header { name, .. } => format!("header {name}"),
        OtlpAuth::Signature(secrets) => format!("x-vercel-signature, {} secret(s)", secrets.len()),
    }
}

pub(super) fn decode(input: &Input<'_>, batch: &mut Batch<'_, '_>) -> Result<(), Rejection> {
    let signal = input.signal.unwrap_or(otlp::Signal::Logs);
    otlp::decode(signal, input.media == MediaType::Protobuf, input.body, batch)
}
