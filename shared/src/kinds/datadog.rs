//! `datadog`: the Datadog logs intake (`/api/v2/logs`), as the Datadog Agent's second intake,
//! Vector's and Fluent Bit's Datadog outputs and the API clients send it: a JSON array of log
//! objects, or one.

use std::borrow::Cow;

use http::HeaderMap;

use super::{build_tokens, header, no_challenge, one_of, query_param, tokens_of, Dialect, Endpoint, Input, Kind};
use crate::body::MediaType::{Generic, Json, Ndjson};
use crate::config::SourceKind;
use crate::error::Rejection;
use crate::event::{write_event, Rules};
use crate::format::json::{self, JsonEvent, Key, Val};
use crate::output::Batch;

pub(super) const ROW: Kind = Kind {
    name: "datadog",
    takes: &["tokens"],
    build: build_tokens,
    endpoints,
    routes: "POST /{name}/api/v2/logs, also POST /api/v2/logs (the key picks the source)",
    root: true,
    authorize,
    challenge: no_challenge,
    accepts: &[Json, Ndjson, Generic],
    verification: false,
    decode,
    delivery_id: None,
    dialect: Dialect::Datadog,
    success: 202,
    describe,
};

fn endpoints(e: Endpoint) -> bool {
    e == Endpoint::DatadogLogs
}

/// `DD-API-KEY: <key>`, or the `dd-api-key` query parameter.
fn authorize(kind: &SourceKind, headers: &HeaderMap, query: &str) -> Result<(), Rejection> {
    match header(headers, "dd-api-key") {
        Some(key) => one_of(tokens_of(kind), Some(key)),
        None => one_of(
            tokens_of(kind),
            query_param(query, "dd-api-key").as_deref().map(str::as_bytes),
        ),
    }
}

fn describe(kind: &SourceKind) -> String {
    format!("{} API key(s), as DD-API-KEY", tokens_of(kind).len())
}

const RULES: Rules<'static> = Rules {
    time: &[
        Cow::Borrowed("timestamp"),
        Cow::Borrowed("date"),
        Cow::Borrowed("@timestamp"),
    ],
    message: &[Cow::Borrowed("message")],
    level: &[Cow::Borrowed("status"), Cow::Borrowed("level")],
    replaces_time: false,
    message_as_text: true,
    strip_datetime: false,
};

/// The query parameters that fill an event's field of the same name when it lacks one.
const FILLED: [&str; 4] = ["ddtags", "ddsource", "service", "hostname"];

pub(super) fn decode(input: &Input<'_>, batch: &mut Batch<'_, '_>) -> Result<(), Rejection> {
    let body = input.body;
    let fill: Vec<(&str, String)> = FILLED
        .iter()
        .filter_map(|&name| query_param(input.query, name).map(|v| (name, v.into_owned())))
        .collect();
    json::for_each(body, |ev: JsonEvent<'_>| {
        let lacking = fill
            .iter()
            .filter(|(name, _)| !ev.fields.iter().any(|(k, _)| k.0 == *name));
        if lacking.clone().next().is_none() {
            return write_event(batch, &RULES, &ev.fields, ev.inner(body)).map_err(Rejection::from);
        }
        let mut mixed: Vec<(Key<'_>, Val<'_>)> = Vec::with_capacity(ev.fields.len() + FILLED.len());
        mixed.extend(ev.fields.iter().map(|(k, v)| (Key(k.0.clone()), Val::Raw(v))));
        mixed.extend(lacking.map(|(name, v)| (Key(Cow::Borrowed(*name)), Val::Text(Cow::Borrowed(v.as_str())))));
        write_event(batch, &RULES, &mixed, None).map_err(Rejection::from)
    })
}
