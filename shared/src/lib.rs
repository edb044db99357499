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

mod answer;
pub mod config;
pub mod error;
mod kinds;
mod plan;
mod route;
mod scratch;

pub use answer::{not_configured, RETRY_AFTER_SECS};
pub use config::{Config, ConfigError, Limits, OtlpAuth, Source, SourceKind};
pub use error::{DecodeError, Refusal, Rejection};
pub use output::SMALL_OBJECT;
pub use plan::{Object, Plan};
pub use scratch::Scratch;
pub use timestamp::Timestamp;

use http::HeaderMap;

use crate::answer::{accepted, Draft};
use crate::format::otlp::Signal;
use crate::kinds::{deliver, Delivery, Root};
use crate::plan::Response;
use crate::route::Route;

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

/// What the head of a request decides (SPEC section 6), before its body is read: the route,
/// the method, the credentials (all but a body signature), the content coding and type, a
/// declared length over `max_body`.
#[must_use = "an admission is an answer to give or a body to read"]
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // made once per request and consumed at once
pub enum Admission {
    /// Give this answer without reading the body (an unsigned upload costs no memory).
    Answer(Plan),
    /// Read the body (within `max_body`), then [`Admitted::handle`] it.
    Read(Admitted),
}

/// A request whose head was accepted: the source it reaches and what its head said. Every
/// later answer for it (the decoded delivery, busy, the body not received in time or broken)
/// comes from here, so each is in that source's dialect. Holds no borrow: it moves to the
/// thread that decodes. Use it with the config [`admit`] was given.
#[derive(Debug, Clone, Copy)]
pub struct Admitted {
    source: usize,
    signal: Option<Signal>,
    head: Option<kinds::Head>,
}

impl Admitted {
    /// The source the request reaches.
    pub fn source<'c>(&self, config: &'c Config) -> &'c Source {
        &config.sources[self.source]
    }

    /// The secrets of the body signature (Vercel's `x-vercel-signature`) this source checks, for
    /// a handler that computes [`Request::body_macs`] itself; `None` when it checks none.
    pub fn signature_secrets<'c>(&self, config: &'c Config) -> Option<&'c [config::Secret]> {
        self.source(config).kind.signature_secrets()
    }

    /// The plan when the platform can't take the request: too busy, or the body not received in
    /// time (SPEC section 5). A 503 with `Retry-After` in the source's dialect (a vercel source's
    /// carries `x-vercel-verify`), never a 408: a 4xx makes Logplex drop frames.
    pub fn unavailable(&self, config: &Config, headers: &HeaderMap, why: &'static str) -> Plan {
        let source = self.source(config);
        Draft::unavailable(Some(&source.kind), why, headers).finish(Some(source), self.signal, headers)
    }

    /// The plan when the platform couldn't read the body it was sent (a broken chunked encoding,
    /// a stream that failed): the source's "can't be decoded" answer, `what` saying why in a few
    /// words.
    pub fn unreadable(&self, config: &Config, headers: &HeaderMap, what: &str) -> Plan {
        let source = self.source(config);
        let r = Rejection::Undecodable(DecodeError::Unreadable(error::brief(what)));
        Draft::refuse(Some(&source.kind), &r, headers).finish(Some(source), self.signal, headers)
    }

    /// Decides what to do with the body: the objects to store and the answer. `req`'s method,
    /// path and headers are the ones [`admit`] was given; `scratch` holds reused compressors and
    /// buffers (the same plan, byte for byte, as a fresh one).
    pub fn handle(&self, config: &Config, req: &Request<'_>, received_at: Timestamp, scratch: &mut Scratch) -> Plan {
        let source = self.source(config);
        let refuse = |r: &Rejection| Draft::refuse(Some(&source.kind), r, req.headers);
        let draft = match req.body {
            Body::TooLarge => refuse(&Rejection::TooLarge),
            Body::Complete(body) if body.len() > config.limits.max_body => refuse(&Rejection::TooLarge),
            Body::Complete(body) => {
                let delivery = Delivery {
                    config,
                    source,
                    headers: req.headers,
                    body,
                    received_at,
                    request_id: req.request_id,
                    body_macs: req.body_macs,
                    signal: self.signal,
                    head: self.head,
                };
                match deliver(&delivery, scratch) {
                    Ok(decoded) => Draft {
                        objects: decoded.objects,
                        events: decoded.events,
                        ..Draft::answer(accepted(&source.kind, decoded.media))
                    },
                    Err(r) => refuse(&r),
                }
            }
        };
        draft.finish(Some(source), self.signal, req.headers)
    }
}

/// Decides from the request head alone (see [`Admission`]). Health checks, endpoint
/// verification and every refusal the head can decide are answered here; the rest is read.
pub fn admit(config: &Config, method: &str, path: &str, headers: &HeaderMap) -> Admission {
    let answer =
        |draft: Draft, source: Option<&Source>, signal| Admission::Answer(draft.finish(source, signal, headers));
    let (index, signal) = match resolve(config, method, path, headers) {
        Resolved::Answer(draft) => return answer(draft, None, None),
        Resolved::Health => return answer(Draft::answer(Response::text(200, "ok\n".into())), None, None),
        Resolved::Source(i, signal) => (i, signal),
    };
    let source = &config.sources[index];
    let row = source.kind.row();
    let refuse = |r: &Rejection| answer(Draft::refuse(Some(&source.kind), r, headers), Some(source), signal);
    match method {
        "POST" => {}
        "GET" | "HEAD" if row.verification => return answer(Draft::answer(Response::empty(200)), Some(source), signal),
        _ => {
            let allow = if row.verification { "GET, HEAD, POST" } else { "POST" };
            return refuse(&Rejection::MethodNotAllowed { allow });
        }
    }
    let declared = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > config.limits.max_body as u64) {
        return refuse(&Rejection::TooLarge);
    }
    let head = match source.kind.auth_at() {
        // The signature comes first in the order of answers, and it is over the body.
        kinds::AuthAt::BodySignature => None,
        kinds::AuthAt::Head => match kinds::head(source, headers) {
            Ok(h) => Some(h),
            Err(r) => return refuse(&r),
        },
    };
    Admission::Read(Admitted {
        source: index,
        signal,
        head,
    })
}

/// Where a request goes.
enum Resolved {
    Health,
    /// A source (its index), and the OTLP signal its path named.
    Source(usize, Option<Signal>),
    /// Answered without a source: unknown, or a root route with no matching token.
    Answer(Draft),
}

fn resolve(config: &Config, method: &str, path: &str, headers: &HeaderMap) -> Resolved {
    let not_found = || Resolved::Answer(Draft::refuse(None, &Rejection::UnknownSource, headers));
    match route::parse(path) {
        Route::Health => match method {
            "GET" | "HEAD" => Resolved::Health,
            _ => Resolved::Answer(Draft::refuse(
                None,
                &Rejection::MethodNotAllowed { allow: "GET, HEAD" },
                headers,
            )),
        },
        Route::Root { signal: None } => by_token(config, method, headers, Root::Bare, None),
        Route::Root {
            signal: Some(Some(signal)),
        } => by_token(config, method, headers, Root::Signals, Some(signal)),
        Route::Root { signal: Some(None) } => not_found(),
        Route::Named { name, rest } => {
            let Some(index) = config.sources.iter().position(|s| s.name == name) else {
                return not_found();
            };
            let kind = &config.sources[index].kind;
            match (kind.row().signals, rest) {
                (false, None) => Resolved::Source(index, None),
                (true, Some(Some(signal))) => Resolved::Source(index, Some(signal)),
                (true, _) => Resolved::Answer(Draft::refuse(Some(kind), &Rejection::UnknownSignal, headers)),
                (false, Some(_)) => not_found(),
            }
        }
    }
}

/// The source whose token the `Authorization: Bearer` header holds, among those of the kinds
/// with the root route `root`.
fn by_token(config: &Config, method: &str, headers: &HeaderMap, root: Root, signal: Option<Signal>) -> Resolved {
    fn tokens_of(kind: &SourceKind, root: Root) -> Option<&[config::Secret]> {
        match kind.row().root {
            Some((r, tokens)) if r == root => tokens(kind),
            _ => None,
        }
    }
    let mut sources = config
        .sources
        .iter()
        .enumerate()
        .filter(|(_, s)| tokens_of(&s.kind, root).is_some());
    let Some((_, first)) = sources.clone().next() else {
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
    let found = token.ok().and_then(|t| {
        sources.find(|(_, s)| tokens_of(&s.kind, root).is_some_and(|tokens| auth::token_matches(tokens, t)))
    });
    match found {
        Some((i, _)) => Resolved::Source(i, signal),
        None => {
            let e = token.err().unwrap_or(auth::AuthError::Mismatch);
            Resolved::Answer(Draft::refuse(Some(&first.kind), &Rejection::Unauthorized(e), headers))
        }
    }
}

/// Decides what to do with one whole request: [`admit`], then [`Admitted::handle`]. A handler
/// serving many keeps a [`Scratch`] and calls [`handle_with`]; this makes a new one for the call.
pub fn handle(config: &Config, req: &Request<'_>, received_at: Timestamp) -> Plan {
    handle_with(config, req, received_at, &mut Scratch::default())
}

/// [`handle`], writing through `scratch` (reused compressors and buffers): the same plan, byte
/// for byte, without allocating them again.
pub fn handle_with(config: &Config, req: &Request<'_>, received_at: Timestamp, scratch: &mut Scratch) -> Plan {
    match admit(config, req.method, req.path, req.headers) {
        Admission::Answer(plan) => plan,
        Admission::Read(admitted) => admitted.handle(config, req, received_at, scratch),
    }
}

/// What `drain check-config` says of a source: its routes and its credentials, from its row.
pub fn describe(source: &Source) -> String {
    let row = source.kind.row();
    let route = if row.signals {
        format!("POST /{}/v1/{{logs,traces,metrics}}", source.name)
    } else {
        format!("POST /{}", source.name)
    };
    format!("{route}  ({})", (row.describe)(&source.kind))
}

#[cfg(test)]
#[path = "answer_tests.rs"]
mod answer_tests;
