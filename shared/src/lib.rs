//! Sans-IO core of drain: one HTTP log delivery in, the objects to store and the response to
//! give out.
//!
//! The contract: [`handle`] does no IO. It reads no clock (the handler passes `received_at`),
//! no environment (the handler passes a lookup to [`Config::parse`]), no file, no network, and
//! draws no random numbers. Same config, request and `received_at`: same [`Plan`], byte for
//! byte. The platform handlers (local server, AWS Lambda, Cloudflare Worker) carry the plan out.

#![forbid(unsafe_code)]

/// The modules behind the API: public to the fuzz and bench targets through the `internals`
/// feature, private otherwise.
macro_rules! internal {
    ($($name:ident),* $(,)?) => {
        $(
            #[cfg(feature = "internals")]
            pub mod $name;
            #[cfg(not(feature = "internals"))]
            #[allow(dead_code, unreachable_pub)]
            mod $name;
        )*
    };
}

internal!(auth, body, event, format, framing, names, output, timestamp);

pub mod config;
pub mod error;
mod kinds;
mod plan;
mod scratch;

pub use config::{Config, ConfigError, Limits, OtlpAuth, Source, SourceKind};
pub use error::{DecodeError, Refusal, Rejection};
pub use output::SMALL_OBJECT;
pub use plan::{Object, Plan};
pub use scratch::Scratch;
pub use timestamp::Timestamp;

use http::HeaderMap;

use crate::config::HttpAuth;
use crate::error::{accepted, reject, storage_failed};
use crate::format::otlp::Signal;
use crate::kinds::{deliver, Delivery};
use crate::plan::Response;

/// One request as the handler received it.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub method: &'a str,
    /// The request target's path; a query string is ignored.
    pub path: &'a str,
    pub headers: &'a HeaderMap,
    pub body: Body<'a>,
    /// The platform's id for this request (the server's start time and counter, the Lambda
    /// request id, the Worker's `cf-ray`): part of the key of every object written
    /// unconditionally, so two identical deliveries without timestamps stay two (SPEC section 4).
    pub request_id: &'a str,
    /// The HMAC-SHA1 of the body as received, one per secret [`signature_secrets`] gives (in
    /// that order), when the handler computed them with the platform's own crypto (the Worker:
    /// `crypto.subtle`, native where wasm is not). `None`: the core computes them. Either way the
    /// core compares them with the signature header in constant time; a list of another length
    /// is not used.
    pub body_macs: Option<&'a [[u8; 20]]>,
}

/// The body, or the news that it passed `limits.max_body` while being read (the handler stops
/// reading there, so the core never sees an oversized body).
#[derive(Debug, Clone, Copy)]
pub enum Body<'a> {
    Complete(&'a [u8]),
    TooLarge,
}

/// The plan when the platform can't take a request: too busy, or the body not received in time
/// (SPEC section 5). A 503 with `Retry-After` in the dialect of the source the request names
/// (by its path, or at a root route by its credential, as [`handle`] finds it; a vercel
/// source's carries `x-vercel-verify`), never a 408: a 4xx makes Logplex drop frames.
pub fn unavailable(config: &Config, method: &str, path: &str, headers: &HeaderMap, why: &'static str) -> Plan {
    let (source, signal) = named(config, method, path, headers);
    let media = body::MediaType::parse(headers.get(http::header::CONTENT_TYPE).map(|v| v.as_bytes()));
    let draft = Draft {
        refusal: Some(Refusal::Unavailable),
        reason: Some(why.to_string()),
        ..Draft::answer(source, error::unavailable(source.map(|s| &s.kind), why, media))
    };
    draft.finish(source, signal, headers)
}

/// The plan when the platform couldn't read the body it was sent (a broken chunked encoding, a
/// stream that failed, a Lambda body that isn't base64): the source's "can't be decoded"
/// answer (SPEC section 5), `what` saying why in a few words.
pub fn unreadable(config: &Config, method: &str, path: &str, headers: &HeaderMap, what: &str) -> Plan {
    let (source, signal) = named(config, method, path, headers);
    let r = Rejection::Undecodable(DecodeError::Unreadable(error::brief(what)));
    Draft::refuse(source.map(|s| &s.kind), &r, headers).finish(source, signal, headers)
}

/// The source (and signal) a request names, if any: what [`handle`] would find.
fn named<'c>(
    config: &'c Config,
    method: &str,
    path: &str,
    headers: &HeaderMap,
) -> (Option<&'c Source>, Option<Signal>) {
    match resolve(config, method, path, headers) {
        Resolved::Source(s, signal) => (Some(s), signal),
        Resolved::Health | Resolved::Answer(_) => (None, None),
    }
}

/// The secrets of the body signature (Vercel's `x-vercel-signature`) that the source `path`
/// names checks, for a handler that computes [`Request::body_macs`] itself; `None` when that
/// source checks no body signature.
pub fn signature_secrets<'c>(config: &'c Config, path: &str) -> Option<&'c [config::Secret]> {
    let path = path.split('?').next().unwrap_or_default();
    let name = path.trim_start_matches('/').split('/').next().unwrap_or_default();
    config.source(name)?.kind.signature_secrets()
}

/// Decides from the request head alone, before the body is read (SPEC section 6): the route,
/// the method, the credentials (all but a Vercel signature, which is over the body), the content
/// coding and type, a declared length over `max_body`. `Some` holds the answer to give without
/// reading the body; `None` means read it (within `max_body`) and call [`handle`], which decides
/// the same things again with the same answers.
#[must_use = "a refusal is an answer to give"]
pub fn admit(config: &Config, method: &str, path: &str, headers: &HeaderMap) -> Option<Plan> {
    let (source, signal) = match resolve(config, method, path, headers) {
        Resolved::Answer(draft) => return Some(draft.finish(None, None, headers)),
        Resolved::Health => return None,
        Resolved::Source(s, signal) => (s, signal),
    };
    if method != "POST" {
        return None;
    }
    let declared = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok());
    let refusal = if declared.is_some_and(|n| n > config.limits.max_body as u64) {
        Some(Rejection::TooLarge)
    } else if source.kind.auth_at() == kinds::AuthAt::BodySignature {
        // The signature comes first in the order of answers, and it is over the body.
        None
    } else {
        kinds::head(source, headers).err()
    };
    refusal.map(|r| Draft::refuse(Some(&source.kind), &r, headers).finish(Some(source), signal, headers))
}

/// Where a request goes.
enum Resolved<'c> {
    Health,
    /// A source, and the OTLP signal its path named.
    Source(&'c Source, Option<Signal>),
    /// Answered without a source: unknown, or the root with no matching token.
    Answer(Draft),
}

fn resolve<'c>(config: &'c Config, method: &str, path: &str, headers: &HeaderMap) -> Resolved<'c> {
    let path = path.split('?').next().unwrap_or_default();
    let name = path.trim_start_matches('/').trim_end_matches('/');
    let not_found = || Resolved::Answer(Draft::refuse(None, &Rejection::UnknownSource, headers));
    if name == "healthz" {
        return match method {
            "GET" | "HEAD" => Resolved::Health,
            _ => Resolved::Answer(Draft::refuse(
                None,
                &Rejection::MethodNotAllowed { allow: "GET, HEAD" },
                headers,
            )),
        };
    }
    let (first, rest) = name.split_once('/').unwrap_or((name, ""));
    // OTLP at the host root: `/v1/{signal}`, the Bearer token picks the source.
    if first == "v1" {
        let Some(signal) = Signal::from_path(rest) else {
            return not_found();
        };
        return by_token(config, method, headers, Some(signal), |k| match k {
            SourceKind::Otlp {
                auth: OtlpAuth::Http(HttpAuth::Bearer(t)),
            } => Some(std::slice::from_ref(t)),
            _ => None,
        });
    }
    if !name.is_empty() {
        let Some(source) = config.source(first) else {
            return not_found();
        };
        let otlp = matches!(source.kind, SourceKind::Otlp { .. });
        return match (otlp, rest.strip_prefix("v1/").and_then(Signal::from_path)) {
            (false, _) if rest.is_empty() => Resolved::Source(source, None),
            (true, Some(signal)) => Resolved::Source(source, Some(signal)),
            (true, None) => Resolved::Answer(Draft::refuse(Some(&source.kind), &Rejection::UnknownSignal, headers)),
            _ => not_found(),
        };
    }
    // Better Stack clients post to the root: the token picks the source.
    by_token(config, method, headers, None, |k| match k {
        SourceKind::BetterStack { tokens } => Some(tokens),
        _ => None,
    })
}

/// The source whose token the `Authorization: Bearer` header holds, among those `tokens_of`
/// gives tokens for.
fn by_token<'c>(
    config: &'c Config,
    method: &str,
    headers: &HeaderMap,
    signal: Option<Signal>,
    tokens_of: impl Fn(&SourceKind) -> Option<&[config::Secret]>,
) -> Resolved<'c> {
    let mut sources = config.sources.iter().filter(|s| tokens_of(&s.kind).is_some());
    let Some(first) = sources.clone().next() else {
        return Resolved::Answer(Draft::refuse(None, &Rejection::UnknownSource, headers));
    };
    if method != "POST" {
        return Resolved::Answer(Draft::refuse(
            None,
            &Rejection::MethodNotAllowed { allow: "POST" },
            headers,
        ));
    }
    let token = auth::bearer_token(headers.get("authorization").map(|v| v.as_bytes()));
    let found = token
        .ok()
        .and_then(|t| sources.find(|s| tokens_of(&s.kind).is_some_and(|tokens| auth::token_matches(tokens, t))));
    match found {
        Some(s) => Resolved::Source(s, signal),
        None => {
            let e = token.err().unwrap_or(auth::AuthError::Mismatch);
            Resolved::Answer(Draft::refuse(Some(&first.kind), &Rejection::Unauthorized(e), headers))
        }
    }
}

/// A plan being made: the core's own response type until [`Draft::finish`] makes it a [`Plan`].
struct Draft {
    objects: Vec<Object>,
    response: Response,
    events: usize,
    refusal: Option<Refusal>,
    reason: Option<String>,
}

impl Draft {
    /// Stores nothing and gives `response`.
    fn answer(_source: Option<&Source>, response: Response) -> Self {
        Draft {
            objects: Vec::new(),
            response,
            events: 0,
            refusal: None,
            reason: None,
        }
    }

    /// Refused, in the dialect of `kind` (`None`: no source known), in the request's encoding
    /// where the dialect has several (OTLP).
    fn refuse(kind: Option<&SourceKind>, r: &Rejection, headers: &HeaderMap) -> Self {
        let media = body::MediaType::parse(headers.get(http::header::CONTENT_TYPE).map(|v| v.as_bytes()));
        Draft {
            refusal: Some(r.refusal()),
            reason: Some(error::brief(r.to_string())),
            ..Self::answer(None, reject(kind, r, media))
        }
    }

    /// The plan, every answer to a vercel source carrying its `x-vercel-verify` when it has one,
    /// a storage failure answered in the source's dialect and the request's encoding.
    fn finish(self, source: Option<&Source>, signal: Option<Signal>, headers: &HeaderMap) -> Plan {
        let mut response = self.response;
        let media = body::MediaType::parse(headers.get(http::header::CONTENT_TYPE).map(|v| v.as_bytes()));
        let mut on_storage_failure = storage_failed(source.map(|s| &s.kind), media);
        if let Some(Source {
            kind: SourceKind::Vercel { verify: Some(v), .. },
            ..
        }) = source
        {
            response.headers.push(("x-vercel-verify", v.clone()));
            on_storage_failure.headers.push(("x-vercel-verify", v.clone()));
        }
        Plan {
            source: source.map(|s| s.name.clone()),
            kind: source.map(|s| s.kind.row().name),
            signal: source.map(|_| signal.map_or("logs", Signal::name)),
            objects: self.objects,
            response: response.into_http(),
            on_storage_failure: on_storage_failure.into_http(),
            events: self.events,
            refusal: self.refusal,
            reason: self.reason,
        }
    }
}

/// Decides what to do with one request. A handler serving many keeps a [`Scratch`] and calls
/// [`handle_with`]; this makes a new one for the call.
pub fn handle(config: &Config, req: &Request<'_>, received_at: Timestamp) -> Plan {
    handle_with(config, req, received_at, &mut Scratch::default())
}

/// [`handle`], writing through `scratch` (reused compressors and buffers): the same plan, byte
/// for byte, without allocating them again.
pub fn handle_with(config: &Config, req: &Request<'_>, received_at: Timestamp, scratch: &mut Scratch) -> Plan {
    let method = req.method;
    let (source, signal) = match resolve(config, method, req.path, req.headers) {
        Resolved::Answer(draft) => return draft.finish(None, None, req.headers),
        Resolved::Health => {
            return Draft::answer(None, Response::text(200, "ok\n".into())).finish(None, None, req.headers)
        }
        Resolved::Source(s, signal) => (s, signal),
    };
    let kind = source.kind.row();
    let refuse = |r: &Rejection| Draft::refuse(Some(&source.kind), r, req.headers);
    let draft = match (method, req.body) {
        ("GET" | "HEAD", _) if kind.verification => Draft::answer(Some(source), Response::empty(200)),
        ("POST", Body::TooLarge) => refuse(&Rejection::TooLarge),
        ("POST", Body::Complete(body)) if body.len() > config.limits.max_body => refuse(&Rejection::TooLarge),
        ("POST", Body::Complete(body)) => {
            let delivery = Delivery {
                config,
                source,
                headers: req.headers,
                body,
                received_at,
                request_id: req.request_id,
                body_macs: req.body_macs,
                signal,
            };
            match deliver(&delivery, scratch) {
                Ok(decoded) => Draft {
                    objects: decoded.objects,
                    events: decoded.events,
                    ..Draft::answer(Some(source), accepted(&source.kind, decoded.media))
                },
                Err(r) => refuse(&r),
            }
        }
        _ => {
            let allow = if kind.verification { "GET, HEAD, POST" } else { "POST" };
            refuse(&Rejection::MethodNotAllowed { allow })
        }
    };
    draft.finish(Some(source), signal, req.headers)
}
