//! `webhook`: any JSON sender (Supabase, Netlify, Auth0, Cloudflare Logpush, fly-log-shipper,
//! Fluent Bit's and Vector's `http` outputs): a JSON array, one object or NDJSON whose elements
//! are objects or strings, or text lines; its credential and its field names are config.

use std::borrow::Cow;

use http::HeaderMap;

use super::{bare, describe_key, key_auth, Dialect, Input, Kind};
use crate::body::MediaType::{Generic, Json, Ndjson, Text};
use crate::config::{
    build_key_auth, build_signature, field_names, Algorithm, Auth, Encoding, FieldNames, HttpAuth, KeyAuth, RawSource,
    SourceKind,
};
use crate::error::Rejection;
use crate::event::{write_event, Rules};
use crate::format::json::{self, Element, Key, Val};
use crate::output::Batch;

pub(super) const ROW: Kind = Kind {
    name: "webhook",
    takes: &["auth", "signature", "time_field", "message_field", "level_field"],
    build,
    endpoints: bare,
    routes: "POST /{name}",
    root: false,
    authorize,
    challenge,
    accepts: &[Json, Ndjson, Generic, Text],
    verification: false,
    decode,
    delivery_id: None,
    dialect: Dialect::Webhook,
    success: 200,
    describe,
};

/// A header credential (`auth`, a query parameter allowed), a `signature` over the body, or
/// both; and the field names events are read from, each list in order of preference.
fn build(s: &RawSource) -> Result<Auth, String> {
    let signature = s.signature.as_ref().map(|v| build_signature(v, &s.kind)).transpose()?;
    let auth = match (&s.auth, &signature) {
        // A signature alone proves the sender.
        (None, Some(_)) => KeyAuth::Http(HttpAuth::None),
        (auth, _) => build_key_auth(auth.as_ref(), true)?,
    };
    let fields = FieldNames {
        time: field_names(
            s.time_field.clone(),
            "time_field",
            &["timestamp", "time", "dt", "@timestamp", "date", "ts"],
        )?,
        message: field_names(
            s.message_field.clone(),
            "message_field",
            &["message", "msg", "log", "text", "event_message"],
        )?,
        level: field_names(
            s.level_field.clone(),
            "level_field",
            &["level", "severity", "log.level", "levelname", "status"],
        )?,
    };
    Ok(Auth::Webhook {
        auth,
        signature,
        fields,
    })
}

fn parts(kind: &SourceKind) -> (&KeyAuth, &FieldNames) {
    match &kind.auth {
        Auth::Webhook { auth, fields, .. } => (auth, fields),
        _ => unreachable!("the webhook row serves webhook sources"),
    }
}

fn authorize(kind: &SourceKind, headers: &HeaderMap, query: &str) -> Result<(), Rejection> {
    key_auth(parts(kind).0, headers, query)
}

fn challenge(kind: &SourceKind) -> Option<&'static str> {
    super::key_challenge(parts(kind).0)
}

fn describe(kind: &SourceKind) -> String {
    let Auth::Webhook { auth, signature, .. } = &kind.auth else {
        unreachable!("the webhook row describes webhook sources")
    };
    let mut text = describe_key(auth);
    if let Some(sig) = signature {
        let algorithm = match sig.algorithm {
            Algorithm::Sha1 => "HMAC-SHA1",
            Algorithm::Sha256 => "HMAC-SHA256",
        };
        let encoding = match sig.encoding {
            Encoding::Hex => "hex",
            Encoding::Base64 => "base64",
        };
        text = match auth {
            KeyAuth::Http(HttpAuth::None) => String::new(),
            _ => format!("{text}, and "),
        } + &format!(
            "{algorithm} signature in {} ({encoding}{}), {} secret(s)",
            sig.header,
            if sig.prefix.is_empty() {
                String::new()
            } else {
                format!(", after `{}`", sig.prefix)
            },
            sig.secrets.len()
        );
    }
    text
}

/// The rules of a webhook source: its configured field names.
fn rules(fields: &FieldNames) -> Rules<'_> {
    Rules {
        time: &fields.time,
        message: &fields.message,
        level: &fields.level,
        replaces_time: false,
        message_as_text: false,
        strip_datetime: false,
    }
}

pub(super) fn decode(input: &Input<'_>, batch: &mut Batch<'_, '_>) -> Result<(), Rejection> {
    let rules = rules(parts(input.source).1);
    let body = input.body;
    if input.media == Text {
        for line in body.split(|&c| c == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.trim_ascii().is_empty() {
                continue;
            }
            let text = String::from_utf8_lossy(line);
            write_event(batch, &rules, &[(Key(Cow::Borrowed("message")), Val::Text(text))], None)?;
        }
        return Ok(());
    }
    json::for_each(body, |element: Element<'_>| match element {
        Element::Object(ev) => write_event(batch, &rules, &ev.fields, ev.inner(body)).map_err(Rejection::from),
        Element::Text(text) => write_event(batch, &rules, &[(Key(Cow::Borrowed("message")), Val::Text(text))], None)
            .map_err(Rejection::from),
    })
}
