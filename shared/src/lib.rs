//! Sans-IO core of drain: one HTTP log delivery in, the objects to store and the response to
//! give out.
//!
//! The contract: [`handle`] does no IO. It reads no clock (the handler passes `received_at`),
//! no environment (the handler passes a lookup to [`Config::parse`]), no file, no network, and
//! draws no random numbers. Same config, request and `received_at`: same [`Plan`], byte for
//! byte. The platform handlers (local server, AWS Lambda, Cloudflare Worker) carry the plan out.

#![forbid(unsafe_code)]

pub mod auth;
pub mod body;
pub mod config;
pub mod error;
pub mod event;
pub mod format;
pub mod framing;
mod names;
pub mod output;
pub mod plan;
mod sources;
pub mod timestamp;

pub use config::{Config, ConfigError, Source, SourceKind};
pub use error::{DecodeError, Rejection};
pub use plan::{Object, Plan, Response};
pub use timestamp::Timestamp;

use http::HeaderMap;

use crate::error::{accepted, reject, storage_failed};
use crate::sources::{deliver, Delivery};

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
}

/// The body, or the news that it passed `limits.max_body` while being read (the handler stops
/// reading there, so the core never sees an oversized body).
#[derive(Debug, Clone, Copy)]
pub enum Body<'a> {
    Complete(&'a [u8]),
    TooLarge,
}

/// The answer when the platform can't take a request: too busy, or the body not received in
/// time (SPEC section 5). A 503 with `Retry-After` in the dialect of the source the path names
/// (a vercel source's carries `x-vercel-verify`), never a 408: a 4xx makes Logplex drop frames.
pub fn unavailable(config: &Config, path: &str, why: &'static str) -> Response {
    let path = path.split('?').next().unwrap_or_default();
    let source = config.source(path.trim_start_matches('/').trim_end_matches('/'));
    let mut r = error::unavailable(source.map(|s| &s.kind), why);
    if let Some(Source {
        kind: SourceKind::Vercel { verify: Some(v), .. },
        ..
    }) = source
    {
        r.headers.push(("x-vercel-verify", v.clone()));
    }
    r
}

/// Decides from the request head alone, before the body is read (SPEC section 6): the route,
/// the method, the credentials (all but a Vercel signature, which is over the body), the content
/// coding and type, a declared length over `max_body`. `Some` holds the answer to give without
/// reading the body; `None` means read it (within `max_body`) and call [`handle`], which decides
/// the same things again with the same answers.
#[must_use = "a refusal is an answer to give"]
pub fn admit(config: &Config, method: &str, path: &str, headers: &HeaderMap) -> Option<Plan> {
    let source = match resolve(config, method, path, headers) {
        Resolved::Answer(plan) => return Some(plan),
        Resolved::Health => return None,
        Resolved::Source(s) => s,
    };
    if method != "POST" {
        return None;
    }
    let declared = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok());
    let refusal = if declared.is_some_and(|n| n > config.limits.max_body as u64) {
        Some(Rejection::TooLarge)
    } else if matches!(source.kind, SourceKind::Vercel { .. }) {
        None
    } else {
        sources::head(source, headers).err()
    };
    refusal.map(|r| {
        with_verify(
            source,
            Plan {
                refused: Some(error::brief(r.to_string())),
                ..answer(Some(source), reject(Some(&source.kind), &r))
            },
        )
    })
}

/// Where a request goes.
enum Resolved<'c> {
    Health,
    Source(&'c Source),
    /// Answered without a source: unknown, or the root with no matching token.
    Answer(Plan),
}

fn resolve<'c>(config: &'c Config, method: &str, path: &str, headers: &HeaderMap) -> Resolved<'c> {
    let path = path.split('?').next().unwrap_or_default();
    let name = path.trim_start_matches('/').trim_end_matches('/');
    if name == "healthz" {
        return match method {
            "GET" | "HEAD" => Resolved::Health,
            _ => Resolved::Answer(answer(
                None,
                reject(None, &Rejection::MethodNotAllowed { allow: "GET, HEAD" }),
            )),
        };
    }
    if !name.is_empty() {
        return match config.source(name) {
            Some(s) => Resolved::Source(s),
            None => Resolved::Answer(answer(None, reject(None, &Rejection::UnknownSource))),
        };
    }
    // Better Stack clients post to the root: the token picks the source.
    let mut sources = config
        .sources
        .iter()
        .filter(|s| matches!(s.kind, SourceKind::BetterStack { .. }));
    let Some(first) = sources.clone().next() else {
        return Resolved::Answer(answer(None, reject(None, &Rejection::UnknownSource)));
    };
    if method != "POST" {
        return Resolved::Answer(answer(
            None,
            reject(None, &Rejection::MethodNotAllowed { allow: "POST" }),
        ));
    }
    let token = auth::bearer_token(headers.get("authorization").map(|v| v.as_bytes()));
    let found = token.ok().and_then(|t| {
        sources.find(|s| matches!(&s.kind, SourceKind::BetterStack { tokens } if auth::token_matches(tokens, t)))
    });
    match found {
        Some(s) => Resolved::Source(s),
        None => {
            let e = token.err().unwrap_or(auth::AuthError::Mismatch);
            Resolved::Answer(answer(None, reject(Some(&first.kind), &Rejection::Unauthorized(e))))
        }
    }
}

/// A plan that stores nothing and gives `response`.
fn answer(source: Option<&Source>, response: Response) -> Plan {
    Plan {
        source: source.map(|s| s.name.clone()),
        objects: Vec::new(),
        on_storage_failure: storage_failed(source.map(|s| &s.kind)),
        response,
        events: 0,
        refused: None,
    }
}

/// Every answer to a vercel source carries its `x-vercel-verify`, when it has one.
fn with_verify(source: &Source, mut plan: Plan) -> Plan {
    if let SourceKind::Vercel { verify: Some(v), .. } = &source.kind {
        plan.response.headers.push(("x-vercel-verify", v.clone()));
        plan.on_storage_failure.headers.push(("x-vercel-verify", v.clone()));
    }
    plan
}

/// Decides what to do with one request.
pub fn handle(config: &Config, req: &Request<'_>, received_at: Timestamp) -> Plan {
    let method = req.method;
    let source = match resolve(config, method, req.path, req.headers) {
        Resolved::Answer(plan) => return plan,
        Resolved::Health => return answer(None, Response::text(200, "ok\n".into())),
        Resolved::Source(s) => s,
    };
    let plan = match (method, &source.kind) {
        ("GET" | "HEAD", SourceKind::Vercel { .. }) => answer(Some(source), Response::empty(200)),
        ("POST", kind) => match req.body {
            Body::TooLarge => answer(Some(source), reject(Some(kind), &Rejection::TooLarge)),
            Body::Complete(body) if body.len() > config.limits.max_body => {
                answer(Some(source), reject(Some(kind), &Rejection::TooLarge))
            }
            Body::Complete(body) => {
                let delivery = Delivery {
                    config,
                    source,
                    headers: req.headers,
                    body,
                    received_at,
                    request_id: req.request_id,
                };
                match deliver(&delivery) {
                    Ok(decoded) => Plan {
                        source: Some(source.name.clone()),
                        objects: decoded.objects,
                        response: accepted(kind),
                        on_storage_failure: storage_failed(Some(kind)),
                        events: decoded.events,
                        refused: None,
                    },
                    Err(r) => Plan {
                        refused: Some(error::brief(r.to_string())),
                        ..answer(Some(source), reject(Some(kind), &r))
                    },
                }
            }
        },
        (_, SourceKind::Vercel { .. }) => answer(
            Some(source),
            reject(
                Some(&source.kind),
                &Rejection::MethodNotAllowed {
                    allow: "GET, HEAD, POST",
                },
            ),
        ),
        (_, kind) => answer(
            Some(source),
            reject(Some(kind), &Rejection::MethodNotAllowed { allow: "POST" }),
        ),
    };
    with_verify(source, plan)
}
