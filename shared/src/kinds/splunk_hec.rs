//! `splunk_hec`: Splunk HTTP Event Collector streams (GitHub audit streaming, Cloudflare
//! Logpush, Fastly, Auth0, the `splunk-logging` libraries): `/event` envelopes concatenated or
//! in an array, `/raw` text lines with their metadata in the query string.

use std::borrow::Cow;

use http::HeaderMap;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::{build_tokens, header, no_challenge, query_param, tokens_of, Dialect, Endpoint, Input, Kind};
use crate::auth;
use crate::body::MediaType::{Generic, Json, Ndjson, Text};
use crate::config::SourceKind;
use crate::error::{DecodeError, Rejection};
use crate::event::{write_event_given, FieldValue, Given, Rules};
use crate::format::json::{self, JsonEvent, Key, Val};
use crate::output::Batch;
use crate::timestamp::Timestamp;

pub(super) const ROW: Kind = Kind {
    name: "splunk_hec",
    takes: &["tokens"],
    build: build_tokens,
    endpoints,
    routes: "POST /{name}/services/collector/event and …/raw (GET …/health), also at the host root (the token picks the source)",
    root: true,
    authorize,
    challenge: no_challenge,
    accepts: &[Json, Ndjson, Generic, Text],
    verification: false,
    decode,
    delivery_id: None,
    dialect: Dialect::Splunk,
    success: 200,
    describe,
};

fn endpoints(e: Endpoint) -> bool {
    matches!(e, Endpoint::HecEvent | Endpoint::HecRaw | Endpoint::HecHealth)
}

/// `Authorization: Splunk <token>` (or Bearer, or Basic with the token as password).
fn authorize(kind: &SourceKind, headers: &HeaderMap, _query: &str) -> Result<(), Rejection> {
    let token = auth::hec_token(header(headers, "authorization")).map_err(Rejection::Unauthorized)?;
    match auth::token_matches(tokens_of(kind), &token) {
        true => Ok(()),
        false => Err(Rejection::Unauthorized(auth::AuthError::Mismatch)),
    }
}

fn describe(kind: &SourceKind) -> String {
    format!("{} token(s), as Authorization: Splunk <token>", tokens_of(kind).len())
}

/// The envelope's `time` is the time; message and level come from its `event`.
const RULES: Rules<'static> = Rules {
    time: &[Cow::Borrowed("time")],
    message: &[],
    level: &[],
    replaces_time: false,
    message_as_text: false,
    strip_datetime: false,
};

/// The names a HEC `event` object's message and level are read from.
#[derive(Deserialize, Default)]
struct Inner<'a> {
    #[serde(borrow)]
    message: Option<&'a RawValue>,
    #[serde(borrow)]
    msg: Option<&'a RawValue>,
    #[serde(borrow)]
    level: Option<&'a RawValue>,
    #[serde(borrow)]
    severity: Option<&'a RawValue>,
}

/// The first of `slots` that is a string.
fn first_str<'a>(slots: [Option<&'a RawValue>; 2]) -> Option<Cow<'a, str>> {
    slots
        .into_iter()
        .flatten()
        .find(|v| v.is_str())
        .and_then(|v| serde_json::from_str::<Key<'a>>(v.get()).ok())
        .map(|k| k.0)
}

/// `/raw`: the line is the message; the time comes from the query string.
const RAW_RULES: Rules<'static> = Rules {
    message: &[Cow::Borrowed("message")],
    ..RULES
};

fn hec(code: u8, index: usize, what: impl Into<String>) -> Rejection {
    Rejection::Undecodable(DecodeError::Hec {
        code,
        index,
        what: what.into(),
    })
}

pub(super) fn decode(input: &Input<'_>, batch: &mut Batch<'_, '_>) -> Result<(), Rejection> {
    if input.body.trim_ascii().is_empty() {
        return Err(hec(5, 0, "no data"));
    }
    match input.endpoint {
        Endpoint::HecRaw => raw(input, batch),
        _ => events(input.body, batch),
    }
}

/// `/event`: one envelope after another (or an array of them).
fn events(body: &[u8], batch: &mut Batch<'_, '_>) -> Result<(), Rejection> {
    let mut index = 0;
    json::for_each(body, |envelope: JsonEvent<'_>| {
        let event = envelope.fields.iter().find(|(k, _)| k.0 == "event").map(|(_, v)| *v);
        let Some(event) = event else {
            return Err(hec(12, index, "the envelope has no `event`"));
        };
        let text = event.as_str();
        if text.as_deref().is_some_and(|t| t.trim().is_empty()) || event.get() == "null" {
            return Err(hec(13, index, "`event` is blank"));
        }
        // An object's `message` (or `msg`) and `level` (or `severity`), when strings: read into
        // four borrowed slots, the rest skipped (no field list built per event).
        let inner: Inner<'_> = match event.get().starts_with('{') {
            true => serde_json::from_str(event.get()).unwrap_or_default(),
            false => Inner::default(),
        };
        let message = text.clone().or_else(|| first_str([inner.message, inner.msg]));
        let level = first_str([inner.level, inner.severity]);
        let given = Given {
            time: None,
            message: Some(message.as_deref().unwrap_or("")),
            level: level.as_deref(),
        };
        write_event_given(batch, &RULES, &envelope.fields, envelope.inner(body), given)?;
        index += 1;
        Ok(())
    })
    .map_err(|e| match e {
        Rejection::Undecodable(DecodeError::Json(what)) => hec(6, index, what),
        other => other,
    })
}

/// `/raw`: a line is an event; `host`, `source`, `sourcetype`, `index` and `time` come from the
/// query string.
fn raw(input: &Input<'_>, batch: &mut Batch<'_, '_>) -> Result<(), Rejection> {
    // Decoded once; each line borrows them.
    let meta: Vec<(&str, String)> = ["host", "source", "sourcetype", "index"]
        .into_iter()
        .filter_map(|name| query_param(input.query, name).map(|v| (name, v.into_owned())))
        .collect();
    let time = query_param(input.query, "time").and_then(|t| Timestamp::parse_number(t.trim()));
    let given = Given {
        time,
        ..Given::default()
    };
    // One value type for every event drain makes from text (one copy of the writer's code).
    let mut fields: Vec<(Key<'_>, Val<'_>)> = Vec::with_capacity(meta.len() + 1);
    for line in input.body.split(|&c| c == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.trim_ascii().is_empty() {
            continue;
        }
        let text = String::from_utf8_lossy(line);
        fields.clear();
        fields.push((Key(Cow::Borrowed("message")), Val::Text(text)));
        fields.extend(
            meta.iter()
                .map(|(name, v)| (Key(Cow::Borrowed(*name)), Val::Text(Cow::Borrowed(v.as_str())))),
        );
        write_event_given(batch, &RAW_RULES, &fields, None, given)?;
    }
    Ok(())
}
