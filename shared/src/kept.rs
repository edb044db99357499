//! A refused delivery kept for a look (`keep_refused`, SPEC section 7): why it was refused, its
//! headers without any credential, and at most its first 64 KiB, as one gzip NDJSON line under
//! `_drain/refused/` in the delivery layout. Only for a sender that proved who it is.

use std::io::Write;

use http::HeaderMap;
use serde_json::{json, Map, Value};

use crate::config::{Auth, KeyAuth, OtlpAuth, Source, SourceKind};
use crate::error::{brief, Rejection};
use crate::plan::Object;
use crate::timestamp::Timestamp;

/// At most this much of a refused body is kept.
pub const KEPT_BODY: usize = 64 << 10;

/// Header names that carry credentials whatever the source (any name holding one of these).
const CREDENTIAL_PARTS: [&str; 9] = [
    "authorization",
    "cookie",
    "token",
    "secret",
    "signature",
    "key",
    "auth",
    "password",
    "session",
];

/// The header names a source's own config makes credentials (a named header, a signature's).
fn configured(kind: &SourceKind) -> Vec<&str> {
    match &kind.auth {
        Auth::Otlp(OtlpAuth::Header { name, .. }) | Auth::Key(KeyAuth::Header { name, .. }) => vec![name.as_str()],
        Auth::Webhook { auth, signature, .. } => {
            let mut names = Vec::new();
            if let KeyAuth::Header { name, .. } = auth {
                names.push(name.as_str());
            }
            if let Some(sig) = signature {
                names.push(sig.header.as_str());
            }
            names
        }
        _ => Vec::new(),
    }
}

/// Whether a refusal comes after the sender proved who it is and is about what it sent.
pub(crate) fn keepable(r: &Rejection) -> bool {
    !matches!(
        r,
        Rejection::Unauthorized(_)
            | Rejection::UnknownSource
            | Rejection::UnknownSignal
            | Rejection::MethodNotAllowed { .. }
    )
}

/// The object that keeps one refused delivery. `path` is the request's path (its query string,
/// which may hold a token, is left out); `body` the body as received, when it was read.
#[allow(clippy::too_many_arguments, reason = "the parts of what is kept")]
pub(crate) fn object(
    source: &Source,
    path: &str,
    headers: &HeaderMap,
    body: Option<&[u8]>,
    r: &Rejection,
    status: u16,
    received_at: Timestamp,
    request_id: &str,
) -> Object {
    let own = configured(&source.kind);
    let mut kept_headers = Map::new();
    for (name, value) in headers {
        let n = name.as_str();
        if CREDENTIAL_PARTS.iter().any(|c| n.contains(c)) || own.contains(&n) {
            continue;
        }
        let value = brief(String::from_utf8_lossy(value.as_bytes()));
        match kept_headers.get_mut(n) {
            Some(Value::String(v)) => {
                v.push_str(", ");
                v.push_str(&value);
            }
            _ => {
                kept_headers.insert(n.to_string(), Value::String(value));
            }
        }
    }
    let at = received_at.to_rfc3339();
    let mut line = json!({
        "dt": at,
        "message": format!("refused {status} {}: {}", r.refusal(), brief(r.to_string())),
        "level": "error",
        "drain": source.name,
        "received_at": at,
        "kind": source.kind.name(),
        "status": status,
        "refusal": r.refusal().as_str(),
        "reason": brief(r.to_string()),
        "path": crate::route::path_of(path),
        "headers": kept_headers,
    });
    if let (Some(body), Value::Object(fields)) = (body, &mut line) {
        let head = &body[..body.len().min(KEPT_BODY)];
        fields.insert("body_bytes".into(), body.len().into());
        fields.insert("body_truncated".into(), (body.len() > KEPT_BODY).into());
        match std::str::from_utf8(head) {
            Ok(text) => fields.insert("body".into(), text.into()),
            // Cut inside a character, or not text: the bytes as base64.
            Err(_) => fields.insert(
                "body_base64".into(),
                base64::Engine::encode(&base64::engine::general_purpose::STANDARD, head).into(),
            ),
        };
    }
    let mut text = serde_json::to_vec(&line).expect("a JSON value serializes");
    text.push(b'\n');
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&text).expect("writing to memory");
    let body = gz.finish().expect("writing to memory");
    let id =
        xxhash_rust::xxh3::xxh3_128(format!("{}\0{request_id}\0{}", source.name, received_at.unix_nanos()).as_bytes());
    let secs = received_at.unix_nanos().div_euclid(1_000_000_000) as i64;
    Object {
        key: drain_layout::delivery_key(drain_layout::REFUSED, &source.name, secs, id)
            .expect("a reception time is within years 0000-9999"),
        body,
        content_type: "application/gzip",
        if_absent: false,
        events: 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn what_is_kept_holds_no_credential_and_at_most_64_kib() {
        let config = Config::parse(
            "[[source]]\nname=\"h\"\nkind=\"webhook\"\nauth={header={name=\"x-custom\",value=\"hdr-secret\"}}\nsignature={header=\"x-sig\",secrets=[\"sig-secret\"]}\nkeep_refused=true\n",
            &|_| None,
        )
        .unwrap();
        let mut headers = HeaderMap::new();
        for (k, v) in [
            ("authorization", "Bearer bearer-secret"),
            ("x-custom", "hdr-secret"),
            ("x-sig", "sha256=sig-value"),
            ("cookie", "sid=cookie-secret"),
            ("dd-api-key", "dd-secret"),
            ("x-session-id", "session-secret"),
            ("content-type", "application/json"),
            ("user-agent", "agent/1.0"),
        ] {
            headers.append(k, v.parse().unwrap());
        }
        let body = vec![b'x'; KEPT_BODY + 10];
        let at = Timestamp::parse_rfc3339("2026-11-22T10:00:00Z").unwrap();
        let r = Rejection::Undecodable(crate::error::DecodeError::Json("expected value".into()));
        let o = object(
            &config.sources[0],
            "/h?token=query-secret",
            &headers,
            Some(&body),
            &r,
            400,
            at,
            "req-1",
        );
        assert!(
            o.key.starts_with("_drain/refused/drain=h/day=2026-11-22/hour=10/"),
            "{}",
            o.key
        );
        let text = String::from_utf8(crate::body::gunzip(&o.body, 1 << 20).unwrap()).unwrap();
        for secret in [
            "bearer-secret",
            "hdr-secret",
            "sig-value",
            "cookie-secret",
            "dd-secret",
            "session-secret",
            "query-secret",
        ] {
            assert!(!text.contains(secret), "{secret} kept: {text:.300}");
        }
        let line: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            line["headers"],
            json!({"content-type": "application/json", "user-agent": "agent/1.0"})
        );
        assert_eq!(line["body"].as_str().unwrap().len(), KEPT_BODY);
        assert_eq!(
            (line["body_bytes"].as_u64(), line["body_truncated"].as_bool()),
            (Some(KEPT_BODY as u64 + 10), Some(true))
        );
        assert_eq!(
            (line["status"].as_u64(), line["refusal"].as_str()),
            (Some(400), Some("undecodable"))
        );
        assert_eq!(line["path"], "/h");
    }
}
