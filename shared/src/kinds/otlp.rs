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
use crate::config::{build_key_auth, secret_list, Auth, HttpAuth, KeyAuth, OtlpAuth, RawSource, SourceKind};

pub(super) const ROW: Kind = Kind {
    name: "otlp",
    takes: &["secrets", "auth"],
    build,
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
    match &kind.auth {
        Auth::Otlp(auth) => auth,
        _ => unreachable!("the otlp row serves otlp sources"),
    }
}

/// `secrets` (a Vercel trace drain's signature) or `auth` (Basic, Bearer, a named header).
fn build(s: &RawSource) -> Result<Auth, String> {
    let auth = match (&s.secrets, &s.auth) {
        (Some(_), Some(_)) => {
            return Err("kind `otlp` takes `secrets` (a Vercel trace drain's signature) or `auth`, not both".into())
        }
        (Some(list), None) => OtlpAuth::Signature(secret_list(Some(list.clone()), "secrets", &s.kind)?),
        (None, auth) => match build_key_auth(auth.as_ref(), false)? {
            KeyAuth::Http(a) => OtlpAuth::Http(a),
            KeyAuth::Header { name, value } => OtlpAuth::Header { name, value },
            KeyAuth::Query { .. } => unreachable!("no query auth unless asked for"),
        },
    };
    Ok(Auth::Otlp(auth))
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
