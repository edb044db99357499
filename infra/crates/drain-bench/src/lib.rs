//! Realistic request bodies for each sender kind, generated deterministically, shared by the
//! one-table benchmark (`infra/bench/all`) and the criterion benchmark.

use std::io::Write;

use hmac::{Hmac, Mac};

/// The config every generated request is for.
pub const CONFIG: &str = r#"
[[source]]
name = "vercel"
kind = "vercel"
secrets = ["bench-secret"]
[[source]]
name = "app"
kind = "betterstack"
tokens = ["bench-token"]
[[source]]
name = "nf"
kind = "northflank"
auth = { bearer = "bench-token" }
[[source]]
name = "heroku"
kind = "logplex"
auth = { basic = { username = "heroku", password = "bench-password" } }
[[source]]
name = "otel"
kind = "otlp"
auth = { bearer = "bench-token" }
[[source]]
name = "supabase"
kind = "webhook"
auth = { bearer = "bench-token" }
message_field = ["event_message"]
[[source]]
name = "hec"
kind = "splunk_hec"
tokens = ["bench-token"]
[[source]]
name = "dd"
kind = "datadog"
tokens = ["bench-token"]
[[source]]
name = "promtail"
kind = "loki"
auth = { bearer = "bench-token" }
"#;

/// One request: its route, headers and body, and the same events as JSON lines.
pub struct Case {
    pub kind: &'static str,
    pub path: &'static str,
    pub headers: http::HeaderMap,
    pub body: Vec<u8>,
    pub events: usize,
    /// JSON text of the same events, for the validate-only floor and the naive baseline.
    pub json_lines: Vec<u8>,
}

fn headers(pairs: &[(&'static str, String)]) -> http::HeaderMap {
    let mut h = http::HeaderMap::new();
    for (k, v) in pairs {
        h.insert(*k, v.parse().expect("header"));
    }
    h
}

/// Vercel NDJSON, ~750 B per event as in Vercel's docs, 7 ms apart from the start of an hour.
pub fn vercel(target: usize) -> Case {
    vercel_from(target, 1_795_348_800_000)
}

/// A body captured from an official Better Stack client (`infra/tools/capture-logtail`): 500 records
/// logged with `extra` fields by logtail-python 0.5.3 (MessagePack, as sent).
pub fn logtail_python() -> Case {
    captured(
        "betterstack msgpack, logtail-python",
        include_bytes!("../captured/logtail-python-0.5.3.msgpack"),
        false,
    )
}

/// The same from `@logtail/node` 0.5.9: MessagePack, gzipped, as sent.
pub fn logtail_node() -> Case {
    captured(
        "betterstack msgpack, @logtail/node gzip",
        include_bytes!("../captured/logtail-node-0.5.9.msgpack.gz"),
        true,
    )
}

fn captured(kind: &'static str, body: &[u8], gzip: bool) -> Case {
    let plain = if gzip {
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(body), &mut out).expect("gzip");
        out
    } else {
        body.to_vec()
    };
    let events: Vec<serde_json::Value> = rmp_serde::from_slice(&plain).expect("a MessagePack array");
    let json_lines = events
        .iter()
        .flat_map(|e| {
            let mut line = serde_json::to_vec(e).expect("memory");
            line.push(b'\n');
            line
        })
        .collect();
    let mut pairs = vec![
        ("content-type", "application/msgpack".to_string()),
        ("authorization", "Bearer bench-token".to_string()),
    ];
    if gzip {
        pairs.push(("content-encoding", "gzip".to_string()));
    }
    Case {
        kind,
        path: "/app",
        headers: headers(&pairs),
        body: body.to_vec(),
        events: events.len(),
        json_lines,
    }
}

/// JSON events one after another up to `target` bytes (`sep` between them, `open`/`close`
/// around them), from `event(n)`.
fn json_body(
    target: usize,
    open: &[u8],
    sep: &[u8],
    close: &[u8],
    event: impl Fn(usize) -> serde_json::Value,
) -> (Vec<u8>, usize) {
    let mut body = open.to_vec();
    let mut n = 0;
    while n == 0 || body.len() < target {
        if n > 0 {
            body.extend_from_slice(sep);
        }
        serde_json::to_writer(&mut body, &event(n)).expect("memory");
        n += 1;
    }
    body.extend_from_slice(close);
    (body, n)
}

/// A Supabase log drain batch to a `webhook` source: a JSON array, µs timestamps, the message in
/// `event_message`.
pub fn webhook(target: usize) -> Case {
    let (body, n) = json_body(target, b"[", b",", b"]", |n| {
        serde_json::json!({
            "id": format!("2b5a0f8c-{n:08x}-4e1b-9c1d-7f3a2b1c0d9e"), "timestamp": 1_795_348_800_000_000u64 + n as u64 * 7000,
            "event_message": format!("POST | 200 | 120.75.{}.{} | /rest/v1/todos?select=* | {} ms", n % 256, n * 7 % 256, n % 997),
            "metadata": [{"host": "db-abcdefghijklmnop", "request": [{"method": "POST", "path": "/rest/v1/todos", "search": "?select=*"}],
                "response": [{"status_code": 200}], "level": if n.is_multiple_of(10) { "error" } else { "info" }}]
        })
    });
    Case {
        kind: "webhook json (Supabase)",
        path: "/supabase",
        headers: headers(&[
            ("content-type", "application/json".into()),
            ("authorization", "Bearer bench-token".into()),
        ]),
        json_lines: body.clone(),
        body,
        events: n,
    }
}

/// GitHub Enterprise audit events streamed to a Splunk HEC `/event` endpoint: envelopes back to
/// back.
pub fn splunk_hec(target: usize) -> Case {
    let (body, n) = json_body(target, b"", b"", b"", |n| {
        serde_json::json!({
            "time": format!("{}.{:03}", 1_795_348_800 + n as u64 / 100, n % 1000), "host": "github.example.com", "source": "github",
            "sourcetype": "github:enterprise:audit", "index": "main",
            "event": {"action": if n.is_multiple_of(3) { "git.clone" } else { "repo.access" }, "actor": format!("user{}", n % 97),
                "repo": format!("acme/service-{}", n % 31), "org": "acme", "@timestamp": 1_795_348_800_000u64 + n as u64 * 10,
                "actor_ip": format!("10.0.{}.{}", n % 256, n * 3 % 256), "transport_protocol_name": "http", "_document_id": format!("{n:022}")}
        })
    });
    Case {
        kind: "splunk_hec events (GitHub audit)",
        path: "/hec/services/collector/event",
        headers: headers(&[
            ("content-type", "application/json".into()),
            ("authorization", "Splunk bench-token".into()),
        ]),
        json_lines: body.clone(),
        body,
        events: n,
    }
}

/// The Datadog Agent's logs intake body: a JSON array of log objects.
pub fn datadog(target: usize) -> Case {
    let (body, n) = json_body(target, b"[", b",", b"]", |n| {
        serde_json::json!({
            "message": format!("GET /api/items/{} 200 {} ms user={}", n % 5000, n % 997, n * 31 % 10007),
            "status": if n.is_multiple_of(10) { "error" } else { "info" }, "timestamp": 1_795_348_800_000u64 + n as u64 * 7,
            "hostname": "i-0abc123def456", "service": "api", "ddsource": "python",
            "ddtags": "env:prod,version:1.4.2,kube_namespace:web,pod_name:api-7f9c6d-xk2pq"
        })
    });
    Case {
        kind: "datadog json (Agent)",
        path: "/dd/api/v2/logs",
        headers: headers(&[
            ("content-type", "application/json".into()),
            ("dd-api-key", "bench-token".into()),
        ]),
        json_lines: body.clone(),
        body,
        events: n,
    }
}

/// A Loki push as Promtail and Alloy send it: snappy-compressed protobuf, streams of 100 entries
/// with five labels.
pub fn loki(target: usize) -> Case {
    let mut push = Vec::new();
    let mut json_lines = Vec::new();
    let mut n: usize = 0;
    while push.len() < target {
        let mut stream = Vec::new();
        pb(
            &mut stream,
            1,
            format!(
                "{{container=\"api\", job=\"kubernetes-pods\", namespace=\"web\", pod=\"api-7f9c6d-{}\", level=\"{}\"}}",
                n / 100 % 50,
                if (n / 100).is_multiple_of(10) { "error" } else { "info" }
            )
            .as_bytes(),
        );
        for _ in 0..100 {
            let line = format!(
                "ts=2026-11-22T12:00:00Z caller=handler.go:{} msg=\"request handled\" path=/api/items/{} status=200 duration={}ms",
                n % 400,
                n % 5000,
                n % 997
            );
            let mut ts = Vec::new();
            pb_varint(&mut ts, 1, 1_795_348_800 + n as u64 / 1000);
            pb_varint(&mut ts, 2, (n % 1000) as u64 * 1_000_000);
            let mut entry = Vec::new();
            pb(&mut entry, 1, &ts);
            pb(&mut entry, 2, line.as_bytes());
            pb(&mut stream, 2, &entry);
            serde_json::to_writer(&mut json_lines, &serde_json::json!({"message": line})).expect("memory");
            json_lines.push(b'\n');
            n += 1;
        }
        pb(&mut push, 1, &stream);
    }
    Case {
        kind: "loki protobuf (snappy)",
        path: "/promtail/loki/api/v1/push",
        headers: headers(&[
            ("content-type", "application/x-protobuf".into()),
            ("authorization", "Bearer bench-token".into()),
        ]),
        body: snap::raw::Encoder::new().compress_vec(&push).expect("snappy"),
        events: n,
        json_lines,
    }
}

/// Vercel NDJSON whose events straddle an hour's end: two objects per delivery.
pub fn vercel_two_hours(target: usize) -> Case {
    let half = (target / 750) as u64 * 7 / 2;
    Case {
        kind: "vercel ndjson, 2 hours",
        ..vercel_from(target, 1_795_348_800_000 - half)
    }
}

/// The same delivery sent with `Content-Encoding: gzip` (Vercel's `compression: gzip`,
/// `@logtail/node`) at zlib's default level; a Vercel signature stays over the inflated bytes.
pub fn gzipped(mut case: Case, kind: &'static str) -> Case {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(&case.body).expect("memory");
    case.body = e.finish().expect("memory");
    case.headers.insert("content-encoding", "gzip".parse().expect("header"));
    case.kind = kind;
    case
}

fn vercel_from(target: usize, start_ms: u64) -> Case {
    let mut body = Vec::new();
    let mut n: usize = 0;
    while body.len() < target {
        serde_json::to_writer(&mut body, &serde_json::json!({
            "id": format!("{:028}", 1573817187330377061717300000u128 + n as u128), "deploymentId": "dpl_233NRGRjVZX1caZrXWtz5g1TAksD",
            "source": if n.is_multiple_of(3) { "build" } else { "lambda" }, "host": "my-app-abc123.vercel.app", "timestamp": start_ms + n as u64 * 7,
            "projectId": "gdufoJxB6b9b1fEqr1jUtFkyavUU", "level": if n.is_multiple_of(10) { "error" } else { "info" },
            "message": format!("API request processed in {} ms for user {}", n % 997, n * 31 % 10007), "entrypoint": "api/index.js",
            "requestId": format!("643af4e3-975a-4cc7-9e7a-{n:012x}"), "statusCode": 200, "path": "/api/users", "executionRegion": "sfo1",
            "environment": "production", "traceId": format!("1b02cd14bb8642fd092bc23f{n:08x}"), "spanId": "f24e8631bd11faa7",
            "proxy": { "timestamp": 1795348800172u64 + n as u64, "method": "GET", "host": "my-app.vercel.app", "path": format!("/api/users?page={}", n % 50),
                "userAgent": ["Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36"], "referer": "https://my-app.vercel.app",
                "region": "sfo1", "statusCode": 200, "clientIp": format!("120.75.{}.{}", n % 256, n * 7 % 256), "scheme": "https", "vercelCache": "MISS" }
        })).expect("memory");
        body.push(b'\n');
        n += 1;
    }
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(b"bench-secret").expect("key");
    mac.update(&body);
    let sig = hex::encode(mac.finalize().into_bytes());
    let h = headers(&[
        ("content-type", "application/x-ndjson".into()),
        ("x-vercel-signature", sig),
    ]);
    Case {
        kind: "vercel ndjson",
        path: "/vercel",
        headers: h,
        json_lines: body.clone(),
        body,
        events: n,
    }
}

/// Better Stack MessagePack array, as the Node client sends it (context nested).
pub fn betterstack(target: usize) -> Case {
    use rmpv::Value as V;
    let event = |i: usize| {
        V::Map(vec![
            (V::from("dt"), V::from(1_795_348_800_000u64 + i as u64)),
            (
                V::from("level"),
                V::from(if i.is_multiple_of(10) { "error" } else { "info" }),
            ),
            (
                V::from("message"),
                V::from(format!("request {i} handled in {} ms", i % 997).as_str()),
            ),
            (
                V::from("context"),
                V::Map(vec![
                    (
                        V::from("runtime"),
                        V::Map(vec![
                            (V::from("file"), V::from("src/server/handlers/users.js")),
                            (V::from("line"), V::from(i % 400)),
                            (V::from("function"), V::from("handleRequest")),
                        ]),
                    ),
                    (
                        V::from("system"),
                        V::Map(vec![
                            (V::from("pid"), V::from(4242)),
                            (V::from("hostname"), V::from("web-7f9c6d-xk2pq")),
                        ]),
                    ),
                ]),
            ),
        ])
    };
    let mut events = Vec::new();
    let mut size = 0;
    while size < target {
        let mut one = Vec::new();
        rmpv::encode::write_value(&mut one, &event(events.len())).expect("memory");
        size += one.len();
        events.push(event(events.len()));
    }
    let n = events.len();
    let json_lines: Vec<u8> = (0..n).flat_map(|i| format!("{{\"dt\":{},\"level\":\"info\",\"message\":\"request {i} handled in {} ms\",\"context\":{{\"runtime\":{{\"file\":\"src/server/handlers/users.js\",\"line\":{},\"function\":\"handleRequest\"}},\"system\":{{\"pid\":4242,\"hostname\":\"web-7f9c6d-xk2pq\"}}}}}}\n", 1_795_348_800_000u64 + i as u64, i % 997, i % 400).into_bytes()).collect();
    let mut body = Vec::new();
    rmpv::encode::write_value(&mut body, &V::Array(events)).expect("memory");
    let h = headers(&[
        ("content-type", "application/msgpack".into()),
        ("authorization", "Bearer bench-token".into()),
    ]);
    Case {
        kind: "betterstack msgpack",
        path: "/app",
        headers: h,
        body,
        events: n,
        json_lines,
    }
}

/// Northflank text lines.
pub fn northflank(target: usize) -> Case {
    let mut body = Vec::new();
    let mut json_lines = Vec::new();
    let mut n: usize = 0;
    while body.len() < target {
        let msg = format!(
            "GET /api/items/{} 200 {} ms user={} trace=1b02cd14bb8642fd092bc23f{n:08x}",
            n % 5000,
            n % 997,
            n * 31 % 10007
        );
        writeln!(
            body,
            "2026-11-22T12:{:02}:{:02}.{:09}Z {} F {msg}",
            n / 60 % 60,
            n % 60,
            n * 7919 % 1_000_000_000,
            if n.is_multiple_of(9) { "stderr" } else { "stdout" }
        )
        .expect("memory");
        serde_json::to_writer(
            &mut json_lines,
            &serde_json::json!({"message": msg, "stream": "stdout"}),
        )
        .expect("memory");
        json_lines.push(b'\n');
        n += 1;
    }
    let h = headers(&[
        ("content-type", "text/plain".into()),
        ("authorization", "Bearer bench-token".into()),
    ]);
    Case {
        kind: "northflank text",
        path: "/nf",
        headers: h,
        body,
        events: n,
        json_lines,
    }
}

/// Heroku Logplex frames (no STRUCTURED-DATA, router lines).
pub fn logplex(target: usize) -> Case {
    let mut body = Vec::new();
    let mut json_lines = Vec::new();
    let mut n: usize = 0;
    while body.len() < target {
        let msg = format!("at=info method=GET path=\"/api/items/{}\" host=app.herokuapp.com request_id={n:032x} fwd=\"120.75.16.101\" dyno=web.{} connect=1ms service={}ms status=200 bytes={} protocol=https", n % 5000, n % 4 + 1, n % 997, n * 37 % 20000);
        let frame = format!(
            "<158>1 2026-11-22T12:{:02}:{:02}.{:06}+00:00 host heroku router - {msg}\n",
            n / 60 % 60,
            n % 60,
            n * 7919 % 1_000_000
        );
        write!(body, "{} {frame}", frame.len()).expect("memory");
        serde_json::to_writer(
            &mut json_lines,
            &serde_json::json!({"message": msg, "hostname": "host", "app_name": "heroku", "procid": "router"}),
        )
        .expect("memory");
        json_lines.push(b'\n');
        n += 1;
    }
    let h = headers(&[
        ("content-type", "application/logplex-1".into()),
        ("authorization", "Basic aGVyb2t1OmJlbmNoLXBhc3N3b3Jk".into()),
    ]);
    Case {
        kind: "logplex frames",
        path: "/heroku",
        headers: h,
        body,
        events: n,
        json_lines,
    }
}

/// Protobuf field `number` holding `bytes`.
fn pb(out: &mut Vec<u8>, number: u32, bytes: &[u8]) {
    prost::encoding::encode_key(number, prost::encoding::WireType::LengthDelimited, out);
    prost::encoding::encode_varint(bytes.len() as u64, out);
    out.extend_from_slice(bytes);
}

fn pb_fixed64(out: &mut Vec<u8>, number: u32, v: u64) {
    prost::encoding::encode_key(number, prost::encoding::WireType::SixtyFourBit, out);
    out.extend_from_slice(&v.to_le_bytes());
}

fn pb_varint(out: &mut Vec<u8>, number: u32, v: u64) {
    prost::encoding::encode_key(number, prost::encoding::WireType::Varint, out);
    prost::encoding::encode_varint(v, out);
}

/// A `KeyValue` with a string value.
fn pb_attr(out: &mut Vec<u8>, field: u32, key: &str, value: &str) {
    let mut any = Vec::new();
    pb(&mut any, 1, value.as_bytes());
    let mut kv = Vec::new();
    pb(&mut kv, 1, key.as_bytes());
    pb(&mut kv, 2, &any);
    pb(out, field, &kv);
}

/// An `Export…ServiceRequest` around `items` (encoded records or spans): one resource with
/// `service.name`, one scope.
fn otlp_request(items: &[u8]) -> Vec<u8> {
    let mut resource = Vec::new();
    pb_attr(&mut resource, 1, "service.name", "checkout");
    pb_attr(&mut resource, 1, "host.name", "web-1");
    let mut scope = Vec::new();
    pb(&mut scope, 1, b"app.logger");
    pb(&mut scope, 2, b"1.2.0");
    let mut scoped = Vec::new();
    pb(&mut scoped, 1, &scope);
    scoped.extend_from_slice(items);
    let mut resourced = Vec::new();
    pb(&mut resourced, 1, &resource);
    pb(&mut resourced, 2, &scoped);
    let mut request = Vec::new();
    pb(&mut request, 1, &resourced);
    request
}

fn otlp_headers() -> http::HeaderMap {
    headers(&[
        ("content-type", "application/x-protobuf".into()),
        ("authorization", "Bearer bench-token".into()),
    ])
}

/// OTLP protobuf logs as an SDK exports them: a message, a severity, ids, a few attributes.
pub fn otlp_logs(target: usize) -> Case {
    let mut items = Vec::new();
    let mut json_lines = Vec::new();
    let mut n: usize = 0;
    while items.len() < target {
        let msg = format!("order {} placed in {} ms", n * 31 % 10007, n % 997);
        let mut r = Vec::new();
        pb_fixed64(&mut r, 1, 1_795_348_800_000_000_000 + n as u64 * 7_000_000);
        pb_varint(&mut r, 2, if n.is_multiple_of(10) { 17 } else { 9 });
        pb(&mut r, 3, if n.is_multiple_of(10) { b"ERROR" } else { b"INFO" });
        let mut body = Vec::new();
        pb(&mut body, 1, msg.as_bytes());
        pb(&mut r, 5, &body);
        pb_attr(&mut r, 6, "http.route", "/api/orders");
        pb_attr(&mut r, 6, "user.id", &format!("u-{}", n * 17 % 5000));
        pb(&mut r, 9, &(n as u128 * 0x9e37_79b9_7f4a_7c15).to_be_bytes());
        pb(&mut r, 10, &(n as u64 * 0x9e37_79b9).to_be_bytes());
        pb(&mut items, 2, &r);
        serde_json::to_writer(
            &mut json_lines,
            &serde_json::json!({"message": msg, "level": "info", "attributes": {"http.route": "/api/orders"}}),
        )
        .expect("memory");
        json_lines.push(b'\n');
        n += 1;
    }
    Case {
        kind: "otlp logs protobuf",
        path: "/otel/v1/logs",
        headers: otlp_headers(),
        body: otlp_request(&items),
        events: n,
        json_lines,
    }
}

/// OTLP protobuf spans: server and client spans with a parent, a status and attributes.
pub fn otlp_traces(target: usize) -> Case {
    let mut items = Vec::new();
    let mut json_lines = Vec::new();
    let mut n: usize = 0;
    while items.len() < target {
        let name = format!("GET /api/items/{}", n % 5000);
        let mut s = Vec::new();
        pb(&mut s, 1, &(n as u128 / 4 * 0x9e37_79b9_7f4a_7c15).to_be_bytes());
        pb(&mut s, 2, &(n as u64 * 0x9e37_79b9 + 1).to_be_bytes());
        if !n.is_multiple_of(4) {
            pb(&mut s, 4, &(n as u64 / 4 * 4 * 0x9e37_79b9 + 1).to_be_bytes());
        }
        pb(&mut s, 5, name.as_bytes());
        pb_varint(&mut s, 6, if n.is_multiple_of(4) { 2 } else { 3 });
        let start = 1_795_348_800_000_000_000 + n as u64 * 3_000_000;
        pb_fixed64(&mut s, 7, start);
        pb_fixed64(&mut s, 8, start + (n as u64 % 997) * 1_000_000);
        pb_attr(&mut s, 9, "http.method", "GET");
        pb_attr(&mut s, 9, "http.route", "/api/items/:id");
        let mut status = Vec::new();
        pb_varint(&mut status, 3, if n.is_multiple_of(50) { 2 } else { 0 });
        pb(&mut s, 15, &status);
        pb(&mut items, 2, &s);
        serde_json::to_writer(
            &mut json_lines,
            &serde_json::json!({"name": name, "kind": "server", "attributes": {"http.method": "GET"}}),
        )
        .expect("memory");
        json_lines.push(b'\n');
        n += 1;
    }
    Case {
        kind: "otlp traces protobuf",
        path: "/otel/v1/traces",
        headers: otlp_headers(),
        body: otlp_request(&items),
        events: n,
        json_lines,
    }
}
