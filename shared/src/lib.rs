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

/// Decides what to do with one request.
pub fn handle(config: &Config, req: &Request<'_>, received_at: Timestamp) -> Plan {
    let path = req.path.split('?').next().unwrap_or_default();
    let name = path.trim_start_matches('/').trim_end_matches('/');
    let method = req.method;
    let answer = |source: Option<&Source>, response: Response| Plan {
        source: source.map(|s| s.name.clone()),
        objects: Vec::new(),
        on_storage_failure: storage_failed(source.map(|s| &s.kind)),
        response,
        events: 0,
        refused: None,
    };

    if name == "healthz" {
        return match method {
            "GET" | "HEAD" => answer(None, Response::text(200, "ok\n".into())),
            _ => answer(None, reject(None, &Rejection::MethodNotAllowed { allow: "GET, HEAD" })),
        };
    }
    let source = if name.is_empty() {
        // Better Stack clients post to the root: the token picks the source.
        let mut sources = config
            .sources
            .iter()
            .filter(|s| matches!(s.kind, SourceKind::BetterStack { .. }));
        let Some(first) = sources.clone().next() else {
            return answer(None, reject(None, &Rejection::UnknownSource));
        };
        if method != "POST" {
            return answer(None, reject(None, &Rejection::MethodNotAllowed { allow: "POST" }));
        }
        let token = auth::bearer_token(req.headers.get("authorization").map(|v| v.as_bytes()));
        let found = token.ok().and_then(|t| {
            sources.find(|s| matches!(&s.kind, SourceKind::BetterStack { tokens } if auth::token_matches(tokens, t)))
        });
        match found {
            Some(s) => s,
            None => {
                let e = token.err().unwrap_or(auth::AuthError::Mismatch);
                return answer(None, reject(Some(&first.kind), &Rejection::Unauthorized(e)));
            }
        }
    } else {
        match config.source(name) {
            Some(s) => s,
            None => return answer(None, reject(None, &Rejection::UnknownSource)),
        }
    };

    let mut plan = match (method, &source.kind) {
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
    if let SourceKind::Vercel { verify: Some(v), .. } = &source.kind {
        plan.response.headers.push(("x-vercel-verify", v.clone()));
        plan.on_storage_failure.headers.push(("x-vercel-verify", v.clone()));
    }
    plan
}
