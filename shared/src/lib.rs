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
pub mod controls;
pub mod error;
mod kept;
mod kinds;
mod plan;
mod route;
mod scratch;

pub use answer::{not_configured, RETRY_AFTER_SECS};
pub use config::{
    Auth, Compaction, Config, ConfigError, KeyAuth, Limits, Log, LogDeliveries, OtlpAuth, Source, SourceKind,
    TableFormat,
};
pub use error::{DecodeError, Refusal, Rejection};
pub use output::SMALL_OBJECT;
pub use plan::{Object, Plan};
pub use scratch::Scratch;
pub use timestamp::Timestamp;

use http::HeaderMap;

use crate::answer::{accepted, hec_healthy, Draft};
use crate::format::otlp::Signal;
use crate::kinds::{deliver, Delivery, Endpoint};
use crate::plan::Response;
use crate::route::Route;

/// One request as the handler received it.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub method: &'a str,
    /// The request target: its path, and its query string when it has one (a webhook's token,
    /// Datadog's `dd-api-key`, HEC `/raw` metadata).
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
    endpoint: Endpoint,
    signal: Option<Signal>,
    head: Option<kinds::Head>,
    /// The head is refused after its credentials passed (an unsupported content type or
    /// coding) and the source keeps refusals: the body is read so that what is kept holds it.
    head_refused: bool,
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
        // A refusal after the sender proved who it is, kept for a look when the source says so.
        let refuse = |r: &Rejection, authenticated: bool, body: Option<&[u8]>| {
            let mut draft = Draft::refuse(Some(&source.kind), r, req.headers);
            if authenticated && source.controls.keep_refused && kept::keepable(r) {
                let status = draft.response.status;
                draft.kept = Some(kept::object(
                    source,
                    req.path,
                    req.headers,
                    body,
                    r,
                    status,
                    received_at,
                    req.request_id,
                ));
            }
            draft
        };
        // A header credential was checked by `admit`; a body signature is checked in `deliver`.
        let head_checked = self.head.is_some();
        if self.head_refused {
            if let Err(r) = kinds::head(source, req.headers, route::query_of(req.path)) {
                let body = match req.body {
                    Body::Complete(b) => Some(b),
                    Body::TooLarge => None,
                };
                return refuse(&r, true, body).finish(Some(source), self.signal, req.headers);
            }
        }
        let draft = match req.body {
            Body::TooLarge => refuse(&Rejection::TooLarge, head_checked, None),
            Body::Complete(body) if body.len() > config.limits.max_body => {
                refuse(&Rejection::TooLarge, head_checked, Some(body))
            }
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
                    endpoint: self.endpoint,
                    query: route::query_of(req.path),
                    head: self.head,
                };
                let mut authenticated = false;
                match deliver(&delivery, scratch, &mut authenticated) {
                    Ok(decoded) => Draft {
                        objects: decoded.objects,
                        events: decoded.events,
                        redacted: decoded.redacted,
                        dropped: decoded.dropped,
                        ..Draft::answer(accepted(&source.kind, decoded.media))
                    },
                    Err(r) => refuse(&r, authenticated, Some(body)),
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
    let (index, endpoint) = match resolve(config, method, path, headers) {
        Resolved::Answer(draft) => return answer(draft, None, None),
        Resolved::Health => return answer(Draft::answer(Response::text(200, "ok\n".into())), None, None),
        Resolved::Source(i, endpoint) => (i, endpoint),
    };
    let signal = match endpoint {
        Endpoint::Signal(s) => Some(s),
        _ => None,
    };
    let source = &config.sources[index];
    let row = source.kind.row();
    let refuse = |r: &Rejection| answer(Draft::refuse(Some(&source.kind), r, headers), Some(source), signal);
    match (method, endpoint) {
        ("GET" | "HEAD", Endpoint::HecHealth) => return answer(Draft::answer(hec_healthy()), Some(source), signal),
        (_, Endpoint::HecHealth) => return refuse(&Rejection::MethodNotAllowed { allow: "GET, HEAD" }),
        ("POST", _) => {}
        ("GET" | "HEAD", _) if row.verification => {
            return answer(Draft::answer(Response::empty(200)), Some(source), signal)
        }
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
    let mut head_refused = false;
    let head = match source.kind.auth_at() {
        // The signature comes first in the order of answers, and it is over the body.
        kinds::AuthAt::BodySignature => None,
        kinds::AuthAt::Head => match kinds::head(source, headers, route::query_of(path)) {
            Ok(h) => Some(h),
            // Refused after the credentials passed, by a source that keeps refusals: read the
            // body (within max_body, as any delivery's) so that what is kept holds it.
            Err(r) if source.controls.keep_refused && kept::keepable(&r) => {
                head_refused = true;
                None
            }
            Err(r) => return refuse(&r),
        },
    };
    Admission::Read(Admitted {
        source: index,
        endpoint,
        signal,
        head,
        head_refused,
    })
}

/// Where a request goes.
#[allow(clippy::large_enum_variant)] // made once per request and consumed at once
enum Resolved {
    Health,
    /// A source (its index), and the endpoint its path named.
    Source(usize, Endpoint),
    /// Answered without a source: unknown, or a root route with no matching credential.
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
        Route::Root(None) => not_found(),
        // HEC's health check asks no credential: the first HEC source answers it.
        Route::Root(Some(Endpoint::HecHealth)) => {
            match config
                .sources
                .iter()
                .position(|s| (s.kind.row().endpoints)(Endpoint::HecHealth))
            {
                Some(i) => Resolved::Source(i, Endpoint::HecHealth),
                None => not_found(),
            }
        }
        Route::Root(Some(endpoint)) => by_credential(config, method, path, headers, endpoint),
        Route::Named { name, endpoint } => {
            let Some(index) = config.sources.iter().position(|s| s.name == name) else {
                return not_found();
            };
            let kind = &config.sources[index].kind;
            let row = kind.row();
            match endpoint {
                Some(e) if (row.endpoints)(e) => Resolved::Source(index, e),
                // An otlp source's other paths: its own "no such signal" answer.
                _ if (row.endpoints)(Endpoint::Signal(Signal::Logs)) => {
                    Resolved::Answer(Draft::refuse(Some(kind), &Rejection::UnknownSignal, headers))
                }
                _ => not_found(),
            }
        }
    }
}

/// At the host root: the source whose credential the request carries, among the sources of the
/// kinds served there with this endpoint (SPEC section 1). Each candidate's own check decides,
/// every comparison in constant time.
fn by_credential(config: &Config, method: &str, path: &str, headers: &HeaderMap, endpoint: Endpoint) -> Resolved {
    let query = route::query_of(path);
    let mut sources = config.sources.iter().enumerate().filter(|(_, s)| {
        let row = s.kind.row();
        row.root && (row.endpoints)(endpoint) && !s.kind.root_secrets().is_empty()
    });
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
    let check = |s: &Source| (s.kind.row().authorize)(&s.kind, headers, query);
    match sources.find(|(_, s)| check(s).is_ok()) {
        Some((i, _)) => Resolved::Source(i, endpoint),
        None => {
            let r = check(first)
                .err()
                .unwrap_or(Rejection::Unauthorized(auth::AuthError::Mismatch));
            Resolved::Answer(Draft::refuse(Some(&first.kind), &r, headers))
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
    let route = row.routes.replace("{name}", &source.name);
    let kept = source
        .controls
        .describe()
        .map(|c| format!("; keeps: {c}"))
        .unwrap_or_default();
    format!("{route}  ({}{kept})", (row.describe)(&source.kind))
}

#[cfg(test)]
#[path = "answer_tests.rs"]
mod answer_tests;
