//! `logplex`: Heroku's `application/logplex-1`, RFC 6587 octet-counted frames (the framing) of
//! RFC 5424 syslog messages (the format), STRUCTURED-DATA with repeated names kept apart.

use http::HeaderMap;

use super::{bare, describe_http, http_auth, http_of, Dialect, Input, Kind};
use crate::body::MediaType::{Generic, Logplex, Text};
use crate::config::{build_auth, Auth, HttpAuth, RawSource, SourceKind};
use crate::error::{DecodeError, Rejection};
use crate::format::syslog;
use crate::framing::octet_counting;
use crate::names::{renamed, Names};
use crate::output::{Batch, Line};

pub(super) const ROW: Kind = Kind {
    name: "logplex",
    takes: &["auth"],
    build,
    endpoints: bare,
    routes: "POST /{name}",
    root: false,
    authorize,
    challenge: |_| Some("Basic realm=\"drain\""),
    accepts: &[Logplex, Generic, Text],
    verification: false,
    decode,
    delivery_id: Some("logplex-frame-id"),
    dialect: Dialect::Plain,
    success: 200,
    describe,
};

/// Basic only: Heroku sends the credentials of the drain URL.
fn build(s: &RawSource) -> Result<Auth, String> {
    match build_auth(s.auth.as_ref())? {
        auth @ HttpAuth::Basic { .. } => Ok(Auth::Http(auth)),
        _ => Err(
            "kind `logplex` takes only `auth = { basic = { … } }`: Heroku sends Basic credentials from the drain URL"
                .into(),
        ),
    }
}

fn authorize(kind: &SourceKind, headers: &HeaderMap, _query: &str) -> Result<(), Rejection> {
    http_auth(http_of(kind), headers)
}

fn describe(kind: &SourceKind) -> String {
    describe_http(http_of(kind))
}

pub(super) fn decode(input: &Input<'_>, batch: &mut Batch<'_, '_>) -> Result<(), Rejection> {
    let decoded = input.body;
    let max_fields = batch.limits().max_fields;
    for (i, frame) in octet_counting::frames(decoded).enumerate() {
        let frame = frame?;
        let m = syslog::parse(frame, max_fields).map_err(|e| match e {
            syslog::Error::Limit(l) => Rejection::from(l),
            syslog::Error::Invalid(what) => Rejection::from(DecodeError::Frame {
                frame: i + 1,
                offset: frame.as_ptr() as usize - decoded.as_ptr() as usize,
                what,
            }),
        })?;
        batch.event(m.timestamp, |out: &mut Line<'_>| {
            // Escaping only grows a message: one longer than the line's room can't fit.
            out.fits(m.msg.len())?;
            out.bytes_field("message", m.msg);
            out.plain_field("level", syslog::SEVERITIES[usize::from(m.severity)]);
            out.common();
            out.plain_field(
                "facility",
                syslog::FACILITIES
                    .get(usize::from(m.facility))
                    .copied()
                    .unwrap_or("unknown"),
            );
            for (name, value) in [
                ("hostname", m.hostname),
                ("app_name", m.app_name),
                ("procid", m.procid),
                ("msgid", m.msgid),
            ] {
                if let Some(v) = value {
                    out.bytes_field(name, v);
                }
            }
            if !m.structured_data.is_empty() {
                // RFC 5424 allows an SD-ID or a PARAM-NAME to repeat; the stored keys are unique.
                let unique = |names: &mut Names<'_>, name: &str| -> Vec<u8> {
                    match names.take(std::borrow::Cow::Owned(name.as_bytes().to_vec())) {
                        None => name.as_bytes().to_vec(),
                        Some(prefix) => renamed(&prefix, name.as_bytes()),
                    }
                };
                let mut ids = Names::exact();
                out.key(b"structured_data");
                out.out.push(b'{');
                for (i, (id, params)) in m.structured_data.iter().enumerate() {
                    if i > 0 {
                        out.out.push(b',');
                    }
                    crate::output::write_json_bytes(out.out, &unique(&mut ids, id));
                    out.out.extend_from_slice(b":{");
                    out.check()?;
                    let mut names = Names::exact();
                    for (j, (k, v)) in params.iter().enumerate() {
                        if j > 0 {
                            out.out.push(b',');
                        }
                        crate::output::write_json_bytes(out.out, &unique(&mut names, k));
                        out.out.push(b':');
                        crate::output::write_json_str(out.out, v);
                        // The line checked as it grows: renamed repeats (`a`, `_a`, `__a`, …)
                        // are written here, so their bytes stop at `max_event_bytes` too.
                        out.check()?;
                    }
                    out.out.push(b'}');
                }
                out.out.push(b'}');
            }
            Ok::<_, Rejection>(())
        })?;
    }
    Ok(())
}
