//! Every kind of source as one row of a table (SPEC section 2), and the one pipeline that runs a
//! delivery through its row: auth, content coding, media type, body, events, objects.
//!
//! A kind is its [`Kind`] row, in its own file here with its decoder: the routes that reach it,
//! how its sender proves who it is and the challenge a refusal carries, the media types it
//! accepts, whether it answers endpoint verification, how its body becomes events (framing and
//! format), what identifies a delivery across retries, the dialect its answers are in, and what
//! `drain check-config` says of it. A new kind is a new row, not a new copy of the sequence.

mod betterstack;
mod datadog;
mod logplex;
mod loki;
mod northflank;
mod otlp;
mod splunk_hec;
mod vercel;
mod webhook;

use http::HeaderMap;

use crate::auth;
use crate::body::{self, MediaType};
use crate::config::{Auth, Config, ConfigError, HttpAuth, KeyAuth, OtlpAuth, RawSource, Secret, Source, SourceKind};
use crate::error::Rejection;
use crate::format::otlp::Signal;
use crate::output::{Batch, Identity};
use crate::plan::Object;
use crate::timestamp::Timestamp;

/// Where a kind's sender proves who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthAt {
    /// A header checked before the body is read (Basic, Bearer, a token).
    Head,
    /// A signature over the body (Vercel's `x-vercel-signature`), over the bytes on the wire or
    /// as they inflate.
    BodySignature,
}

/// How a kind's refusals read (SPEC section 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// JSON `{"code","error"}`, 403 for a bad signature.
    Vercel,
    /// Better Stack's terse texts, 403 for a bad token, 406 for what it can't parse.
    BetterStack,
    /// Plain text, 401 with a `WWW-Authenticate` challenge.
    Plain,
    /// OTLP/HTTP: a `google.rpc.Status` in the request's encoding; success is the empty
    /// `Export…ServiceResponse`, also in the request's encoding.
    Otlp,
    /// JSON `{"error"}`, 401 for a credential and 403 for a signature; success `{"ok":true}`.
    Webhook,
    /// Splunk HEC's `{"text","code"}`; success `{"text":"Success","code":0}`.
    Splunk,
    /// Datadog's `{"errors":[…]}`, 403 for any credential; success `{}`.
    Datadog,
}

/// What follows a source's name in the path, or the host root's path (SPEC section 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    /// Nothing: `/{name}`, or `/` at the root.
    Bare,
    /// `v1/{logs,traces,metrics}` (OTLP/HTTP).
    Signal(Signal),
    /// `services/collector[/event[/1.0]]`.
    HecEvent,
    /// `services/collector/raw[/1.0]`.
    HecRaw,
    /// `services/collector/health[/1.0]`: answered without auth.
    HecHealth,
    /// `api/v2/logs`.
    DatadogLogs,
    /// `loki/api/v1/push`.
    LokiPush,
}

/// What a decoder is given: the body after any content coding, its media type, the endpoint the
/// path named, the query string, the headers and the source.
pub(crate) struct Input<'a> {
    pub media: MediaType,
    pub body: &'a [u8],
    pub signal: Option<Signal>,
    pub endpoint: Endpoint,
    pub query: &'a str,
    pub headers: &'a HeaderMap,
    pub source: &'a SourceKind,
}

/// Turns the body into events in the batch.
type Decoder = fn(&Input<'_>, &mut Batch<'_, '_>) -> Result<(), Rejection>;

/// Checks a credential of the request head, given the headers and the query string (nothing
/// for a kind signed over its body).
type Authorize = fn(&SourceKind, &HeaderMap, &str) -> Result<(), Rejection>;

/// Builds what a source's table gives its kind (each field one of the row's `takes`), or says
/// what is wrong with it.
type Build = fn(&RawSource) -> Result<Auth, String>;

/// One kind of source: a row of SPEC section 2's table.
pub(crate) struct Kind {
    pub name: &'static str,
    /// The fields of a `[[source]]` table it takes beyond `name`, `kind` and the controls.
    pub takes: &'static [&'static str],
    pub build: Build,
    /// The endpoints its paths take after `/{name}`.
    pub endpoints: fn(Endpoint) -> bool,
    /// Its routes, for `drain check-config` (`{name}` stands for the source's name).
    pub routes: &'static str,
    /// Whether its endpoints are also served at the host root, the credential picking the
    /// source among those of this kind (`SourceKind::root_secrets`).
    pub root: bool,
    pub authorize: Authorize,
    /// The `WWW-Authenticate` challenge of a 401.
    pub challenge: fn(&SourceKind) -> Option<&'static str>,
    /// The media types accepted; anything else is a 415 (406 in Better Stack's dialect).
    pub accepts: &'static [MediaType],
    /// Answers `GET`/`HEAD` with 200, and an unsigned empty, `{}` or `[]` POST as a probe that
    /// stores nothing (Vercel's endpoint verification).
    pub verification: bool,
    pub decode: Decoder,
    /// The header that identifies a delivery across retries, when the sender sends one; without
    /// it, the body after any gzip does.
    pub delivery_id: Option<&'static str>,
    pub dialect: Dialect,
    /// The status of a stored delivery.
    pub success: u16,
    /// What `drain check-config` says of a source's credentials.
    pub describe: fn(&SourceKind) -> String,
}

/// Every kind, in SPEC section 2's order: a source's `kind` names one of these.
pub(crate) const ALL: [&Kind; 9] = [
    &vercel::ROW,
    &northflank::ROW,
    &betterstack::ROW,
    &logplex::ROW,
    &otlp::ROW,
    &webhook::ROW,
    &splunk_hec::ROW,
    &datadog::ROW,
    &loki::ROW,
];

/// The tokens of a kind of the `Tokens` shape.
fn tokens_of(kind: &SourceKind) -> &[Secret] {
    match &kind.auth {
        Auth::Tokens(tokens) => tokens,
        _ => unreachable!("a {} source is built with tokens", kind.name()),
    }
}

/// `tokens = […]`, at least one.
fn build_tokens(s: &RawSource) -> Result<Auth, String> {
    crate::config::secret_list(s.tokens.clone(), "tokens", &s.kind).map(Auth::Tokens)
}

/// The credential of a kind of the `Http` shape.
fn http_of(kind: &SourceKind) -> &HttpAuth {
    match &kind.auth {
        Auth::Http(auth) => auth,
        _ => unreachable!("a {} source is built with Basic or Bearer", kind.name()),
    }
}

/// The credential of a kind of the `Key` shape.
fn key_of(kind: &SourceKind) -> &KeyAuth {
    match &kind.auth {
        Auth::Key(auth) => auth,
        _ => unreachable!("a {} source is built with a key", kind.name()),
    }
}

/// No credential in the head (a kind signed over its body).
fn no_header_auth(_: &SourceKind, _: &HeaderMap, _: &str) -> Result<(), Rejection> {
    Ok(())
}

/// `/{name}` only.
fn bare(e: Endpoint) -> bool {
    e == Endpoint::Bare
}

/// The value of the query parameter `name`, the first if repeated.
pub(crate) fn query_param<'q>(query: &'q str, name: &str) -> Option<std::borrow::Cow<'q, str>> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// One of `tokens`, compared in constant time.
fn one_of(tokens: &[Secret], given: Option<&[u8]>) -> Result<(), Rejection> {
    let given = given
        .map(<[u8]>::trim_ascii)
        .filter(|g| !g.is_empty())
        .ok_or(Rejection::Unauthorized(auth::AuthError::Missing))?;
    match auth::token_matches(tokens, given) {
        true => Ok(()),
        false => Err(Rejection::Unauthorized(auth::AuthError::Mismatch)),
    }
}

/// Basic, Bearer, a named header or a query parameter, as configured.
fn key_auth(auth: &KeyAuth, headers: &HeaderMap, query: &str) -> Result<(), Rejection> {
    let (expected, given) = match auth {
        KeyAuth::Http(a) => return http_auth(a, headers),
        KeyAuth::Header { name, value } => (value, header(headers, name.as_str()).map(std::borrow::Cow::Borrowed)),
        KeyAuth::Query { name, value } => (
            value,
            query_param(query, name).map(|v| std::borrow::Cow::Owned(v.into_owned().into_bytes())),
        ),
    };
    one_of(std::slice::from_ref(expected), given.as_deref())
}

/// How a [`KeyAuth`] reads in `drain check-config`.
fn describe_key(auth: &KeyAuth) -> String {
    match auth {
        KeyAuth::Http(a) => describe_http(a),
        KeyAuth::Header { name, .. } => format!("header {name}"),
        KeyAuth::Query { name, .. } => format!("query parameter {name}"),
    }
}

/// The challenge of a Basic or Bearer credential.
fn key_challenge(auth: &KeyAuth) -> Option<&'static str> {
    match auth {
        KeyAuth::Http(HttpAuth::Basic { .. }) => Some("Basic realm=\"drain\""),
        KeyAuth::Http(HttpAuth::Bearer(_)) => Some("Bearer realm=\"drain\""),
        _ => None,
    }
}

/// No challenge.
fn no_challenge(_: &SourceKind) -> Option<&'static str> {
    None
}

/// Basic or Bearer, as configured.
fn http_auth(auth: &HttpAuth, headers: &HeaderMap) -> Result<(), Rejection> {
    auth::http(auth, header(headers, "authorization")).map_err(Rejection::Unauthorized)
}

/// How an HTTP credential reads in `drain check-config`.
fn describe_http(auth: &HttpAuth) -> String {
    match auth {
        HttpAuth::Basic { username: Some(_), .. } => "Basic (username and password)".into(),
        HttpAuth::Basic { username: None, .. } => "Basic (password only)".into(),
        HttpAuth::Bearer(_) => "Bearer token".into(),
        HttpAuth::None => "no auth".into(),
    }
}

impl Config {
    /// Parses `text`, reading each `${NAME}` through `lookup` (environment variables locally and
    /// on Lambda, secrets on Workers). Everything that would fail later fails here: each source's
    /// kind is built by its row.
    pub fn parse(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Config::parse_with(text, lookup, &build_kind)
    }
}

/// A source's kind: its row, found by name, given what the source's table holds (each field one
/// the row takes), builds it; at the host root, its credentials must differ from those of the
/// sources of its kind before it.
fn build_kind(s: &RawSource, before: &[Source]) -> Result<SourceKind, ConfigError> {
    let name = &s.name;
    let invalid = |m: String| ConfigError::Invalid(format!("source `{name}`: {m}"));
    let Some(index) = ALL.iter().position(|k| k.name == s.kind) else {
        let names: Vec<&str> = ALL.iter().map(|k| k.name).collect();
        return Err(invalid(format!(
            "unknown kind `{}` (one of {})",
            s.kind,
            names.join(", ")
        )));
    };
    let row = ALL[index];
    let given = [
        ("secrets", s.secrets.is_some()),
        ("verify", s.verify.is_some()),
        ("tokens", s.tokens.is_some()),
        ("auth", s.auth.is_some()),
        ("signature", s.signature.is_some()),
        ("time_field", s.time_field.is_some()),
        ("message_field", s.message_field.is_some()),
        ("level_field", s.level_field.is_some()),
    ];
    if let Some((field, _)) = given.iter().find(|(f, present)| *present && !row.takes.contains(f)) {
        return Err(invalid(format!("kind `{}` does not take `{field}`", s.kind)));
    }
    let kind = SourceKind::new(index, row.name, (row.build)(s).map_err(invalid)?);
    let mine = kind.root_secrets();
    if let Some(other) = before
        .iter()
        .find(|o| o.kind.index == index && o.kind.root_secrets().iter().any(|t| mine.contains(t)))
    {
        return Err(ConfigError::Invalid(format!(
            "source `{name}` uses a token that source `{}` uses too: the token picks the source",
            other.name
        )));
    }
    Ok(kind)
}

impl SourceKind {
    /// This kind's row.
    pub(crate) fn row(&self) -> &'static Kind {
        ALL[self.index]
    }

    /// The credentials by which a host-root route picks this source among those of its kind
    /// (SPEC section 1): two sources of a kind may not share one. None for a kind without
    /// host-root routes.
    pub(crate) fn root_secrets(&self) -> Vec<&Secret> {
        fn key(a: &KeyAuth) -> Option<&Secret> {
            match a {
                KeyAuth::Http(HttpAuth::Bearer(t)) | KeyAuth::Http(HttpAuth::Basic { password: t, .. }) => Some(t),
                KeyAuth::Header { value, .. } | KeyAuth::Query { value, .. } => Some(value),
                KeyAuth::Http(HttpAuth::None) => None,
            }
        }
        if !self.row().root {
            return Vec::new();
        }
        match &self.auth {
            Auth::Tokens(tokens) => tokens.iter().collect(),
            // An OTLP sender is picked at the root by its Bearer token only.
            Auth::Otlp(OtlpAuth::Http(HttpAuth::Bearer(t))) => vec![t],
            Auth::Key(a) => key(a).into_iter().collect(),
            _ => Vec::new(),
        }
    }

    /// The secrets of a Vercel body signature (HMAC-SHA1 in `x-vercel-signature`), when this
    /// source is authenticated by one.
    pub(crate) fn signature_secrets(&self) -> Option<&[Secret]> {
        match &self.auth {
            Auth::Vercel { secrets, .. } | Auth::Otlp(OtlpAuth::Signature(secrets)) => Some(secrets),
            _ => None,
        }
    }

    /// Where this source's sender proves who it is.
    pub(crate) fn auth_at(&self) -> AuthAt {
        match (self.signature_secrets(), &self.auth) {
            (Some(_), _) | (None, Auth::Webhook { signature: Some(_), .. }) => AuthAt::BodySignature,
            _ => AuthAt::Head,
        }
    }
}

/// One delivery for a known source, its body complete and within `max_body`.
pub(crate) struct Delivery<'a> {
    pub config: &'a Config,
    pub source: &'a Source,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
    pub received_at: Timestamp,
    pub request_id: &'a str,
    /// The body's MACs, when the handler computed them ([`crate::Request::body_macs`]).
    pub body_macs: Option<&'a [[u8; 20]]>,
    /// The OTLP signal the path named.
    pub signal: Option<Signal>,
    /// The endpoint the path named.
    pub endpoint: Endpoint,
    /// The request's query string.
    pub query: &'a str,
    /// What `admit` decided from the head of a header-authenticated kind (`None` for a kind
    /// signed over its body: decided here, after the signature).
    pub head: Option<Head>,
}

/// What a delivery became: its objects, how many events they hold, and its media type (an OTLP
/// answer is in the request's encoding).
pub(crate) struct Decoded {
    pub objects: Vec<Object>,
    pub events: usize,
    pub media: MediaType,
    /// Matches redacted and events kept out by the source's controls.
    pub redacted: usize,
    pub dropped: usize,
}

/// What the request head says of the body.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Head {
    pub coding: body::Coding,
    pub media: MediaType,
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h [u8]> {
    headers.get(name).map(|v| v.as_bytes())
}

/// The checks of a header-authenticated kind that need no body, in the order the answers are
/// given: the credentials, the content coding, the media type.
pub(crate) fn head(source: &Source, headers: &HeaderMap, query: &str) -> Result<Head, Rejection> {
    let row = source.kind.row();
    (row.authorize)(&source.kind, headers, query)?;
    coding_and_type(row, headers)
}

fn coding_and_type(kind: &Kind, headers: &HeaderMap) -> Result<Head, Rejection> {
    let coding = body::coding(header(headers, "content-encoding"))?;
    let media = MediaType::parse(header(headers, "content-type"));
    if !kind.accepts.contains(&media) {
        let given = header(headers, "content-type")
            .map(String::from_utf8_lossy)
            .unwrap_or_default();
        return Err(Rejection::UnsupportedType(crate::error::brief(given)));
    }
    Ok(Head { coding, media })
}

/// What Vercel sends to check an endpoint: `{}`, `[]` or nothing.
fn is_probe(body: &[u8]) -> bool {
    matches!(body.trim_ascii(), b"" | b"{}" | b"[]")
}

/// A body signature (Vercel's), over the bytes on the wire or as they inflate: checked keeping
/// none of the inflated bytes until it matches, so an unsigned gzip bomb costs CPU, not memory.
fn check_signature(d: &Delivery<'_>) -> Result<(), Rejection> {
    if let Auth::Webhook {
        signature: Some(sig), ..
    } = &d.source.kind.auth
    {
        // A webhook's signature is over the bytes as sent.
        return auth::signature(sig, header(d.headers, sig.header.as_str()), d.body).map_err(Rejection::Unauthorized);
    }
    let Some(secrets) = d.source.kind.signature_secrets() else {
        return Ok(());
    };
    let signature = header(d.headers, "x-vercel-signature");
    let checked = match d.body_macs {
        Some(macs) if macs.len() == secrets.len() => auth::vercel_macs(macs, signature),
        _ => auth::vercel(secrets, signature, &[d.body]),
    };
    let Err(e) = checked else {
        return Ok(());
    };
    let coding = match body::coding(header(d.headers, "content-encoding")) {
        Ok(c) if !c.is_identity() && e != auth::AuthError::Missing => c,
        _ => return Err(Rejection::Unauthorized(e)),
    };
    let mut macs = auth::VercelMacs::new(secrets);
    // Too large to check is a 413, so an honest sender learns why; a broken body stays a 403.
    body::inflate_each(d.body, coding, d.config.limits.max_decompressed, |chunk| {
        macs.update(chunk)
    })
    .map_err(|r| match r {
        Rejection::TooLarge => Rejection::TooLarge,
        _ => Rejection::Unauthorized(e),
    })?;
    macs.verify(signature).map_err(Rejection::Unauthorized)
}

/// The pipeline: one delivery through its kind's row.
/// `authenticated` is set once the sender has proved who it is (a refusal after that may be kept
/// for a look).
pub(crate) fn deliver(
    d: &Delivery<'_>,
    scratch: &mut crate::scratch::Scratch,
    authenticated: &mut bool,
) -> Result<Decoded, Rejection> {
    let kind = d.source.kind.row();
    if kind.verification && header(d.headers, "x-vercel-signature").is_none() && is_probe(d.body) {
        return Ok(Decoded {
            objects: Vec::new(),
            events: 0,
            media: MediaType::Generic,
            redacted: 0,
            dropped: 0,
        });
    }
    let h = match (d.head, d.source.kind.auth_at()) {
        (Some(h), _) => h,
        (None, AuthAt::Head) => head(d.source, d.headers, d.query)?,
        (None, AuthAt::BodySignature) => {
            check_signature(d)?;
            head(d.source, d.headers, d.query)?
        }
    };
    *authenticated = true;
    let decoded = body::decode(d.body, h.coding, d.config.limits.max_decompressed)?;
    let prefix = match d.signal {
        Some(Signal::Traces) => &d.config.traces_prefix,
        Some(Signal::Metrics) => &d.config.metrics_prefix,
        Some(Signal::Logs) | None => &d.config.prefix,
    };
    let mut batch = Batch::new(
        &d.source.name,
        prefix,
        d.signal.map_or("logs", Signal::name),
        d.received_at,
        d.request_id,
        d.config.storage.gzip_level,
        d.config.limits,
        scratch,
    );
    batch.set_controls(&d.source.controls);
    let input = Input {
        media: h.media,
        body: &decoded,
        signal: d.signal,
        endpoint: d.endpoint,
        query: d.query,
        headers: d.headers,
        source: &d.source.kind,
    };
    (kind.decode)(&input, &mut batch)?;
    let identity = match kind.delivery_id.and_then(|name| header(d.headers, name)) {
        Some(id) if !id.is_empty() => Identity::FrameId(id),
        _ => Identity::Body(&decoded),
    };
    let events = batch.events();
    let (redacted, dropped) = batch.controlled();
    Ok(Decoded {
        objects: batch.finish(identity),
        events,
        media: h.media,
        redacted,
        dropped,
    })
}

#[cfg(test)]
mod tests {
    use super::ALL;
    use crate::config::Config;

    /// The fields of a `[[source]]` table a kind may take, each with a value of its type.
    const FIELDS: [(&str, &str); 8] = [
        ("secrets", "[\"s\"]"),
        ("verify", "\"v\""),
        ("tokens", "[\"t\"]"),
        ("auth", "\"none\""),
        ("signature", "{ header = \"x-sig\", secrets = [\"s\"] }"),
        ("time_field", "[\"ts\"]"),
        ("message_field", "[\"msg\"]"),
        ("level_field", "[\"lvl\"]"),
    ];

    /// Every row is a kind a config names, takes only fields the config knows, and is refused
    /// the others by name; an unknown kind's refusal lists every row.
    #[test]
    fn every_row_is_a_kind_the_config_builds() {
        let parse = |text: &str| Config::parse(text, &|_| None);
        let unknown = parse("[[source]]\nname = \"x\"\nkind = \"nope\"\n")
            .unwrap_err()
            .to_string();
        for (i, row) in ALL.iter().enumerate() {
            assert!(unknown.contains(row.name), "{unknown} names {}", row.name);
            assert!(ALL[..i].iter().all(|o| o.name != row.name), "{} twice", row.name);
            for t in row.takes {
                assert!(
                    FIELDS.iter().any(|(f, _)| f == t),
                    "{} takes `{t}`, unknown to the config",
                    row.name
                );
            }
            for (field, value) in FIELDS.iter().filter(|(f, _)| !row.takes.contains(f)) {
                let text = format!("[[source]]\nname = \"x\"\nkind = \"{}\"\n{field} = {value}\n", row.name);
                let err = parse(&text).unwrap_err().to_string();
                assert!(err.contains(&format!("does not take `{field}`")), "{}: {err}", row.name);
            }
        }
        // A valid source of every kind knows its row.
        let config = parse(
            "[[source]]\nname = \"a\"\nkind = \"vercel\"\nsecrets = [\"s\"]\n\
             [[source]]\nname = \"b\"\nkind = \"northflank\"\nauth = \"none\"\n\
             [[source]]\nname = \"c\"\nkind = \"betterstack\"\ntokens = [\"t\"]\n\
             [[source]]\nname = \"d\"\nkind = \"logplex\"\nauth = { basic = { password = \"p\" } }\n\
             [[source]]\nname = \"e\"\nkind = \"otlp\"\nauth = \"none\"\n\
             [[source]]\nname = \"f\"\nkind = \"webhook\"\nauth = \"none\"\n\
             [[source]]\nname = \"g\"\nkind = \"splunk_hec\"\ntokens = [\"t\"]\n\
             [[source]]\nname = \"h\"\nkind = \"datadog\"\ntokens = [\"k\"]\n\
             [[source]]\nname = \"i\"\nkind = \"loki\"\nauth = \"none\"\n",
        )
        .unwrap();
        let names: Vec<&str> = config.sources.iter().map(|s| s.kind.row().name).collect();
        assert_eq!(names, ALL.iter().map(|k| k.name).collect::<Vec<_>>());
        assert!(config.sources.iter().all(|s| s.kind.name() == s.kind.row().name));
    }
}
