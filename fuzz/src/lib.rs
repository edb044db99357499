//! The fuzz targets' bodies: run by the libFuzzer binaries in `fuzz_targets/` (nightly,
//! `infra/run/fuzz`) and, on stable, by `shared/tests/fuzz_seeds.rs`, which replays every committed
//! seed in `fuzz/seeds/<target>` through the same function in the test command.

use drain_core::event::FieldValue;
use drain_core::{handle, Body, Config, Request, Timestamp};
use hmac::{Hmac, Mac};
use sha1::Sha1;

/// One fuzz target: any bytes in, no panic.
pub type Target = fn(&[u8]);

/// One POST through the core's whole entry point, at a fixed reception time.
fn post(config: &Config, path: &str, headers: &http::HeaderMap, body: &[u8]) -> drain_core::Plan {
    let req = Request {
        method: "POST",
        path,
        headers,
        body: Body::Complete(body),
        request_id: "fuzz",
        body_macs: None,
    };
    handle(
        config,
        &req,
        Timestamp::from_unix_millis(1_700_000_000_000).expect("a valid time"),
    )
}

/// Every target by the name of its folder in `fuzz/seeds`.
pub const TARGETS: &[(&str, Target)] = &[
    ("json_events", json_events),
    ("msgpack_events", msgpack_events),
    ("logplex", logplex),
    ("northflank_text", northflank_text),
    ("auth", auth),
    ("handle", handle_request),
    ("otlp", otlp),
    ("codings", codings),
    ("senders", senders),
];

/// The version 3 kinds through the core (webhook, Splunk HEC event and raw, Datadog, Loki JSON
/// and snappy protobuf): the first byte picks the route, the content type and the coding; the
/// rest is the body (for Loki protobuf, snappy-compressed here so the decoder sees the message).
/// Any bytes: no panic, and nothing but a success, 400, 413 or 415.
pub fn senders(data: &[u8]) {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let config = Config::parse(
        "[limits]\nmax_body=65536\nmax_decompressed=262144\nmax_fields=200\n\
         [[source]]\nname=\"hook\"\nkind=\"webhook\"\nauth=\"none\"\n\
         [[source]]\nname=\"hec\"\nkind=\"splunk_hec\"\ntokens=[\"t\"]\n\
         [[source]]\nname=\"dd\"\nkind=\"datadog\"\ntokens=[\"t\"]\n\
         [[source]]\nname=\"lk\"\nkind=\"loki\"\nauth=\"none\"\n",
        &|_| None,
    )
    .expect("the fuzz config is valid");
    let (path, ctype) = [
        ("/hook", "application/json"),
        ("/hook", "text/plain"),
        ("/hec/services/collector/event", "application/json"),
        ("/hec/services/collector/raw?host=h&time=1700000000.5", "text/plain"),
        ("/dd/api/v2/logs?ddtags=a:b&service=s", "application/json"),
        ("/lk/loki/api/v1/push", "application/json"),
        ("/lk/loki/api/v1/push", "application/x-protobuf"),
        ("/hook", "application/x-ndjson"),
    ][usize::from(pick & 7)];
    let snappy;
    let body = if ctype == "application/x-protobuf" && pick & 0x10 == 0 {
        snappy = snap::raw::Encoder::new()
            .compress_vec(body)
            .expect("snappy takes any bytes");
        &snappy[..]
    } else {
        body
    };
    let mut headers = http::HeaderMap::new();
    headers.insert("authorization", "Splunk t".parse().expect("valid header"));
    headers.insert("dd-api-key", "t".parse().expect("valid header"));
    headers.insert("x-scope-orgid", "tenant".parse().expect("valid header"));
    headers.insert("content-type", ctype.parse().expect("valid header"));
    if pick & 0x20 != 0 {
        headers.insert("content-encoding", "gzip".parse().expect("valid header"));
    }
    let plan = post(&config, path, &headers, body);
    let status = plan.response.status().as_u16();
    assert!(
        [200, 202, 204, 400, 413, 415].contains(&status),
        "{path}: a body is stored, undecodable or too large: {status} {:?}",
        plan.reason
    );
}

/// Content codings (gzip, deflate zlib-wrapped or raw, zstd): the first byte picks the coding and
/// the limit, the rest is the body. Any bytes: no panic, and never more output than the limit.
pub fn codings(data: &[u8]) {
    use drain_core::body::{decode, inflate_each, Coding};
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let coding = [Coding::Gzip, Coding::Deflate, Coding::Zstd, Coding::Identity][usize::from(pick & 3)];
    let max = [1 << 10, 64 << 10, 1 << 20, 4 << 20][usize::from(pick >> 2 & 3)];
    if let Ok(out) = decode(body, coding, max) {
        assert!(
            out.len() <= max,
            "{coding:?} made {} bytes past the limit {max}",
            out.len()
        );
        let mut seen = 0;
        let total = inflate_each(body, coding, max, |chunk| seen += chunk.len()).expect("the same body decodes again");
        assert_eq!(
            (total, seen),
            (out.len(), out.len()),
            "{coding:?}: both ways give the same output"
        );
    }
}

/// OTLP exports through the core: the first byte picks the signal, protobuf or JSON, and gzip;
/// the rest is the body. Any bytes: no panic, and nothing but a 2xx, 400 or 413.
pub fn otlp(data: &[u8]) {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let config = Config::parse(
        "[limits]\nmax_body=65536\nmax_decompressed=262144\n[[source]]\nname=\"o\"\nkind=\"otlp\"\nauth=\"none\"\n",
        &|_| None,
    )
    .expect("the fuzz config is valid");
    let path = ["/o/v1/logs", "/o/v1/traces", "/o/v1/metrics"][usize::from(pick & 3) % 3];
    let ctype = if pick & 4 != 0 {
        "application/json"
    } else {
        "application/x-protobuf"
    };
    let mut headers = http::HeaderMap::new();
    headers.insert("content-type", ctype.parse().expect("valid header"));
    if pick & 8 != 0 {
        headers.insert("content-encoding", "gzip".parse().expect("valid header"));
    }
    let plan = post(&config, path, &headers, body);
    let status = plan.response.status().as_u16();
    assert!(
        [200, 400, 413].contains(&status),
        "an OTLP body is stored, undecodable or too large: {status} {:?}",
        plan.reason
    );
}

/// JSON framing and field reading: any bytes, no panic.
pub fn json_events(data: &[u8]) {
    let _ = drain_core::format::json::for_each_event(data, |ev| {
        let _ = ev.inner(data);
        Ok::<_, drain_core::Rejection>(())
    });
}

/// MessagePack walking and transcoding to JSON: any bytes, no panic, no unbounded allocation.
pub fn msgpack_events(data: &[u8]) {
    let _ = drain_core::format::msgpack::for_each_event(data, &drain_core::config::Limits::default(), |fields| {
        let mut out = Vec::new();
        let mut budget = drain_core::event::Budget::unlimited();
        for (_, v) in fields {
            let _ = v.write_json(&mut out, &mut budget);
            let _ = v.time();
        }
        Ok::<_, drain_core::Rejection>(())
    });
}

/// Octet-counted framing and RFC 5424 parsing: any bytes, no panic.
pub fn logplex(data: &[u8]) {
    for frame in drain_core::framing::octet_counting::frames(data).flatten() {
        let _ = drain_core::format::syslog::parse(frame, 10_000);
    }
}

/// Northflank text lines and timestamps: any text, no panic.
pub fn northflank_text(data: &[u8]) {
    for (_, line) in drain_core::format::northflank_text::lines(data) {
        let _ = drain_core::format::northflank_text::parse(line);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = drain_core::Timestamp::parse_json_text(text);
    }
}

/// Authorization headers and signatures: any bytes, no panic.
pub fn auth(data: &[u8]) {
    use drain_core::config::Auth;
    let config = Config::parse(
        "[[source]]\nname=\"v\"\nkind=\"vercel\"\nsecrets=[\"s\"]\n[[source]]\nname=\"n\"\nkind=\"northflank\"\nauth={basic={username=\"u\",password=\"p\"}}\n[[source]]\nname=\"b\"\nkind=\"northflank\"\nauth={bearer=\"t\"}\n",
        &|_| None,
    )
    .expect("the fuzz config is valid");
    let (head, body) = data.split_at(data.len() / 2);
    for s in &config.sources {
        match &s.kind.auth {
            Auth::Vercel { secrets, .. } => {
                let _ = drain_core::auth::vercel(secrets, Some(head), &[body]);
            }
            Auth::Http(auth) => {
                let _ = drain_core::auth::http(auth, Some(head));
            }
            _ => {}
        }
    }
    let _ = drain_core::auth::bearer_token(Some(data));
}

/// The core's whole entry point: the first byte picks the route, the content type, gzip and
/// whether a Vercel body is signed (so the signed decode path runs); the rest is the body.
pub fn handle_request(data: &[u8]) {
    let _ = handle_plan(data);
}

/// As [`handle_request`], giving the plan (the seed replay hands its objects to the
/// query-engine test).
pub fn handle_plan(data: &[u8]) -> Option<drain_core::Plan> {
    let (&pick, body) = data.split_first()?;
    let config = Config::parse(
        "[limits]\nmax_body=65536\nmax_decompressed=262144\n[[source]]\nname=\"v\"\nkind=\"vercel\"\nsecrets=[\"s\"]\n[[source]]\nname=\"app\"\nkind=\"betterstack\"\ntokens=[\"t\"]\n[[source]]\nname=\"nf\"\nkind=\"northflank\"\nauth=\"none\"\n[[source]]\nname=\"lp\"\nkind=\"logplex\"\nauth={basic={username=\"u\",password=\"p\"}}\n",
        &|_| None,
    )
    .expect("the fuzz config is valid");
    let path = ["/v", "/app", "/nf", "/lp", "/"][usize::from(pick & 7) % 5];
    let ctype = [
        "application/json",
        "application/x-ndjson",
        "application/msgpack",
        "text/plain",
    ][usize::from(pick >> 3 & 3)];
    let mut headers = http::HeaderMap::new();
    let authorization = if path == "/lp" { "Basic dTpw" } else { "Bearer t" };
    headers.insert("authorization", authorization.parse().expect("valid header"));
    headers.insert("content-type", ctype.parse().expect("valid header"));
    if pick & 0x20 != 0 {
        headers.insert("content-encoding", "gzip".parse().expect("valid header"));
    }
    if pick & 0x40 != 0 {
        let mut mac = Hmac::<Sha1>::new_from_slice(b"s").expect("any key length");
        mac.update(body);
        let signature = hex::encode(mac.finalize().into_bytes());
        headers.insert("x-vercel-signature", signature.parse().expect("valid header"));
    }
    let plan = post(&config, path, &headers, body);
    assert!(
        plan.response.status().as_u16() < 500,
        "a request can't make the core fail"
    );
    Some(plan)
}
