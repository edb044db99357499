//! The bodies that amplify (issue 12), each through the whole core with a counting allocator:
//! the answer, the objects, the time, and the peak heap beyond the body, which must stay within
//! the per-delivery bound ARCHITECTURE.md states:
//!
//!   inflated bytes + the objects' compressed bytes (a refused delivery: what it compressed
//!   before the refusal, at most max_stored)
//!   + max_objects × (COMPRESSOR + CHUNK + max_event_bytes) + 2 × max_event_bytes + FIELDS
//!
//! (one line being written, and a MessagePack event's values transcoded before it is). The time
//! is printed too: it must stay linear in the body plus what is stored (SPEC section 6).
//!
//! One test function, so no other test's allocations land in the peak. It prints a table (the
//! figures in RELIABILITY.md come from `cargo test -p drain-core --release --test hostile --
//! --nocapture`).

#![allow(
    clippy::disallowed_methods,
    reason = "the test harness measures time and inflates its own inputs; the core does neither"
)]

use std::io::Write;
use std::time::Instant;

use drain_cases::shapes::{
    logplex_repeated_params, msgpack_bin, msgpack_map_with_keys, msgpack_nils, object_with_keys, otlp_claimed_length,
    otlp_gauge_with_description, otlp_histogram_buckets, otlp_log_nested_body, otlp_log_with_attributes, otlp_logs,
    otlp_logs_with_resource, otlp_spans_with_scope,
};
use drain_core::{handle, Body, Config, Request, Timestamp};
use hmac::{Hmac, Mac};
use peak_alloc::PeakAlloc;

#[global_allocator]
static HEAP: PeakAlloc = PeakAlloc;

/// zlib-rs's deflate state at level 4 with its window and hash table, measured (~470 KiB),
/// rounded up.
const COMPRESSOR: usize = 640 << 10;
/// Lines handed to the compressor at a time (`output::CHUNK`).
const CHUNK: usize = 64 << 10;
/// The field vector's cap (`format::json::FIELDS_CAP` × ~40 bytes).
const FIELDS: usize = 100_000 * 48;

const CONFIG: &str = r#"
[limits]
max_stored = 33554432

[[source]]
name = "app"
kind = "betterstack"
tokens = ["t"]

[[source]]
name = "v"
kind = "vercel"
secrets = ["s"]

[[source]]
name = "o"
kind = "otlp"
auth = { bearer = "t" }

[[source]]
name = "lp"
kind = "logplex"
auth = { basic = { username = "u", password = "p" } }

[[source]]
name = "nf"
kind = "northflank"
auth = "none"

[[source]]
name = "hook"
kind = "webhook"
auth = "none"

[[source]]
name = "hec"
kind = "splunk_hec"
tokens = ["t"]

[[source]]
name = "dd"
kind = "datadog"
tokens = ["t"]

[[source]]
name = "lk"
kind = "loki"
auth = "none"
"#;

struct Shape {
    name: &'static str,
    path: &'static str,
    content_type: &'static str,
    /// The body's `Content-Encoding`, if any.
    encoding: Option<&'static str>,
    body: Vec<u8>,
    /// A Vercel signature, when the shape is signed.
    signature: Option<String>,
    status: u16,
    objects: usize,
}

/// A protobuf length-delimited field.
fn pb(num: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 8);
    prost::encoding::encode_key(num, prost::encoding::WireType::LengthDelimited, &mut out);
    prost::encoding::encode_varint(payload.len() as u64, &mut out);
    out.extend_from_slice(payload);
    out
}

/// A Loki `PushRequest` of one stream: its label text and `entries` copies of one entry (a
/// timestamp, a line, `meta` structured-metadata pairs), snappy-compressed.
fn loki_stream(labels: &str, entries: usize, line: &str, meta: usize) -> Vec<u8> {
    let mut ts = Vec::new();
    prost::encoding::int64::encode(1, &1_763_805_600, &mut ts);
    let mut entry = pb(1, &ts);
    entry.extend(pb(2, line.as_bytes()));
    for i in 0..meta {
        let mut pair = pb(1, format!("k{i}").as_bytes());
        pair.extend(pb(2, b"v"));
        entry.extend(pb(3, &pair));
    }
    let entry = pb(2, &entry);
    let mut stream = pb(1, labels.as_bytes());
    for _ in 0..entries {
        stream.extend_from_slice(&entry);
    }
    snap::raw::Encoder::new().compress_vec(&pb(1, &stream)).unwrap()
}

/// `n` labels `{l0="v", l1="v", …}`.
fn label_text(n: usize) -> String {
    let labels: Vec<String> = (0..n).map(|i| format!("l{i}=\"v\"")).collect();
    format!("{{{}}}", labels.join(", "))
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn shapes() -> Vec<Shape> {
    let hours = |n: i64, per_hour: usize| -> Vec<u8> {
        let mut body = String::new();
        for h in 0..n {
            for i in 0..per_hour {
                body.push_str(&format!(
                    "{{\"message\":\"event {i} of hour {h} with some text to compress\",\"dt\":{}}}\n",
                    1_763_805_600 + h * 3600 + i as i64
                ));
            }
        }
        body.into_bytes()
    };
    let bomb = gz(&vec![0u8; 100 << 20]);
    let mut shapes = vec![
        Shape {
            name: "24 hours in one body, ~1.5 MB",
            path: "/app",
            content_type: "application/x-ndjson",
            encoding: None,
            body: hours(24, 800),
            signature: None,
            status: 202,
            objects: 24,
        },
        Shape {
            name: "4,000 hours in one 330 KB body",
            path: "/app",
            content_type: "application/x-ndjson",
            encoding: None,
            body: hours(4000, 1),
            signature: None,
            status: 413,
            objects: 0,
        },
        Shape {
            name: "9,999 keys named drain",
            path: "/app",
            content_type: "application/json",
            encoding: None,
            body: object_with_keys(9_999, |_| "drain".into()),
            signature: None,
            status: 413,
            objects: 0,
        },
        Shape {
            name: "1,000 keys named drain (legal)",
            path: "/app",
            content_type: "application/json",
            encoding: None,
            body: object_with_keys(1_000, |_| "drain".into()),
            signature: None,
            status: 202,
            objects: 1,
        },
        Shape {
            name: "200,000 distinct keys",
            path: "/app",
            content_type: "application/json",
            encoding: None,
            body: object_with_keys(200_000, |i| format!("k{i}")),
            signature: None,
            status: 413,
            objects: 0,
        },
        Shape {
            name: "msgpack map of 200,000 distinct keys",
            path: "/app",
            content_type: "application/msgpack",
            encoding: None,
            body: msgpack_map_with_keys(200_000),
            signature: None,
            status: 413,
            objects: 0,
        },
        Shape {
            name: "msgpack array of 5 M nils",
            path: "/app",
            content_type: "application/msgpack",
            encoding: None,
            body: msgpack_nils(5_000_000),
            signature: None,
            status: 413,
            objects: 0,
        },
        Shape {
            name: "gzip'd msgpack array of 20 M nils",
            path: "/app",
            content_type: "application/msgpack",
            encoding: Some("gzip"),
            body: gz(&msgpack_nils(20_000_000)),
            signature: None,
            status: 413,
            objects: 0,
        },
        Shape {
            name: "msgpack bin of 4 MB",
            path: "/app",
            content_type: "application/msgpack",
            encoding: None,
            body: msgpack_bin(4_000_000),
            signature: None,
            status: 413,
            objects: 0,
        },
        Shape {
            name: "msgpack bin of 600 KB (legal)",
            path: "/app",
            content_type: "application/msgpack",
            encoding: None,
            body: msgpack_bin(600_000),
            signature: None,
            status: 202,
            objects: 1,
        },
        Shape {
            name: "nesting 127 deep (legal)",
            path: "/app",
            content_type: "application/json",
            encoding: None,
            body: format!("{{\"message\":\"d\",\"x\":{}{}}}", "[".repeat(127), "]".repeat(127)).into_bytes(),
            signature: None,
            status: 202,
            objects: 1,
        },
        Shape {
            name: "unsigned Vercel gzip bomb (100 MiB inflated)",
            path: "/v",
            content_type: "application/json",
            encoding: Some("gzip"),
            body: bomb.clone(),
            signature: Some("00".repeat(20)),
            status: 403,
            objects: 0,
        },
    ];
    // Signed over the decompressed bytes: checked while inflating, then decoded.
    let plain = hours(1, 2000);
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(b"s").unwrap();
    mac.update(&plain);
    shapes.push(Shape {
        name: "Vercel gzip signed over the inflated bytes",
        path: "/v",
        content_type: "application/x-ndjson",
        encoding: Some("gzip"),
        body: gz(&plain),
        signature: Some(hex::encode(mac.finalize().into_bytes())),
        status: 200,
        objects: 1,
    });
    let otlp = |name, path, body, status, objects| Shape {
        name,
        path,
        content_type: "application/x-protobuf",
        encoding: None,
        body,
        signature: None,
        status,
        objects,
    };
    shapes.push(otlp(
        "OTLP protobuf: a field claiming 2^62 bytes",
        "/o/v1/logs",
        otlp_claimed_length(1 << 62),
        400,
        0,
    ));
    shapes.push(otlp(
        "OTLP log record with 200,000 empty attributes (400 KB)",
        "/o/v1/logs",
        otlp_logs([otlp_log_with_attributes(200_000)]),
        413,
        0,
    ));
    shapes.push(otlp(
        "OTLP log body nested 100,000 arrays deep",
        "/o/v1/logs",
        otlp_logs([otlp_log_nested_body(100_000)]),
        400,
        0,
    ));
    shapes.push(otlp(
        "OTLP 200,000 empty log records (400 KB)",
        "/o/v1/logs",
        otlp_logs(std::iter::repeat_n(Vec::new(), 200_000)),
        200,
        1,
    ));
    shapes.push(otlp(
        "OTLP histogram with 2,000,000 bucket counts (2 MB)",
        "/o/v1/metrics",
        otlp_histogram_buckets(2_000_000),
        413,
        0,
    ));
    // SPEC version 3: deflate and zstd for every kind, bombs included.
    let zstd_zeros =
        ruzstd::encoding::compress_to_vec(&vec![0u8; 160 << 20][..], ruzstd::encoding::CompressionLevel::Fastest);
    for (name, path, signature, status) in [
        ("zstd bomb (160 MiB of zeros)", "/app", None, 413),
        // Past max_decompressed while the signature is checked: a 413, as for gzip.
        (
            "unsigned Vercel zstd bomb (160 MiB inflated)",
            "/v",
            Some("00".repeat(20)),
            413,
        ),
    ] {
        shapes.push(Shape {
            name,
            path,
            content_type: "application/json",
            encoding: Some("zstd"),
            body: zstd_zeros.clone(),
            signature,
            status,
            objects: 0,
        });
    }
    let mut deflate = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(9));
    deflate.write_all(&vec![0u8; 160 << 20]).unwrap();
    shapes.push(Shape {
        name: "raw deflate bomb (160 MiB of zeros)",
        path: "/app",
        content_type: "application/json",
        encoding: Some("deflate"),
        body: deflate.finish().unwrap(),
        signature: None,
        status: 413,
        objects: 0,
    });
    // Issue 35: shared context copied into every line, bounded by max_stored.
    shapes.push(otlp(
        "OTLP: one resource of 3,000 attributes, 100,000 empty log records (270 KB)",
        "/o/v1/logs",
        otlp_logs_with_resource(3_000, 100_000),
        413,
        0,
    ));
    shapes.push(otlp(
        "OTLP: one scope of 3,000 attributes, 100,000 empty spans (270 KB)",
        "/o/v1/traces",
        otlp_spans_with_scope(3_000, 100_000),
        413,
        0,
    ));
    shapes.push(otlp(
        "OTLP: a gauge with a 100 KB description, 10,000 empty points (120 KB)",
        "/o/v1/metrics",
        otlp_gauge_with_description(100_000, 10_000),
        413,
        0,
    ));
    // Issue 35: Logplex STRUCTURED-DATA counted and bounded while parsing and writing.
    for (name, params) in [
        ("Logplex: one 100 KB frame of 20,000 params named a", 20_000),
        ("Logplex: one frame of 8,000 params named a (renamed _a, __a, …)", 8_000),
    ] {
        shapes.push(Shape {
            name,
            path: "/lp",
            content_type: "application/logplex-1",
            encoding: None,
            body: logplex_repeated_params(params),
            signature: None,
            status: 413,
            objects: 0,
        });
    }
    // Issue 35: Northflank text read over bytes, only a line's message made lossy.
    shapes.push(Shape {
        name: "Northflank text: 90 MiB of 0xFF gzip'd (90 KB)",
        path: "/nf",
        content_type: "text/plain",
        encoding: Some("gzip"),
        body: gz(&vec![0xff; 90 << 20]),
        signature: None,
        status: 400,
        objects: 0,
    });
    // SPEC version 3: the new kinds' shapes that amplify.
    let kind_shape = |name, path, content_type, body, status, objects| Shape {
        name,
        path,
        content_type,
        encoding: None,
        body,
        signature: None,
        status,
        objects,
    };
    shapes.push(kind_shape(
        "Loki: 9,000 labels (110 KB) copied into 100,000 entries (100 KB snappy, 1.4 MB inflated)",
        "/lk/loki/api/v1/push",
        "application/x-protobuf",
        loki_stream(&label_text(9_000), 100_000, "x", 0),
        413,
        0,
    ));
    shapes.push(kind_shape(
        "Loki: a label text of 20,000 labels",
        "/lk/loki/api/v1/push",
        "application/x-protobuf",
        loki_stream(&label_text(20_000), 1, "x", 0),
        413,
        0,
    ));
    shapes.push(kind_shape(
        "Loki: 100,000 entries with 3 metadata pairs each (snappy)",
        "/lk/loki/api/v1/push",
        "application/x-protobuf",
        loki_stream("{job=\"a\"}", 100_000, "a line", 3),
        204,
        1,
    ));
    let mut streams = b"{\"streams\":[".to_vec();
    for i in 0..300_000 {
        streams.extend_from_slice(if i == 0 { b"{}" } else { b",{}" });
    }
    streams.extend_from_slice(b"]}");
    shapes.push(kind_shape(
        "Loki JSON: 300,000 empty streams (900 KB)",
        "/lk/loki/api/v1/push",
        "application/json",
        streams,
        204,
        0,
    ));
    shapes.push(kind_shape(
        "Splunk HEC: 100,000 envelopes back to back (1.3 MB)",
        "/hec/services/collector/event",
        "application/json",
        b"{\"event\":\"x\"}".repeat(100_000),
        200,
        1,
    ));
    let meta = "m".repeat(15_000);
    shapes.push(kind_shape(
        "Splunk HEC /raw: 60 KB of query metadata copied into 500,000 lines (1 MB)",
        Box::leak(
            format!("/hec/services/collector/raw?host={meta}&source={meta}&sourcetype={meta}&index={meta}")
                .into_boxed_str(),
        ),
        "text/plain",
        b"x\n".repeat(500_000),
        413,
        0,
    ));
    shapes.push(kind_shape(
        "Datadog: 100,000 logs each filled from the query (1.6 MB)",
        "/dd/api/v2/logs?ddtags=env:prod&service=api&hostname=h&ddsource=s",
        "application/json",
        {
            let mut body = b"[".to_vec();
            for i in 0..100_000 {
                body.extend_from_slice(if i == 0 {
                    b"{\"message\":\"m\"}"
                } else {
                    b",{\"message\":\"m\"}"
                });
            }
            body.push(b']');
            body
        },
        202,
        1,
    ));
    shapes.push(kind_shape(
        "Webhook: 200,000 string elements (800 KB)",
        "/hook",
        "application/json",
        {
            let mut body = b"[".to_vec();
            for i in 0..200_000 {
                body.extend_from_slice(if i == 0 { b"\"a\"" } else { b",\"a\"" });
            }
            body.push(b']');
            body
        },
        200,
        1,
    ));
    let mut long = b"2026-11-22T10:00:00Z stdout F ".to_vec();
    long.extend(std::iter::repeat_n(0xff, 2 << 20));
    shapes.push(Shape {
        name: "Northflank text: one line with a 2 MiB message of 0xFF",
        path: "/nf",
        content_type: "text/plain",
        encoding: None,
        body: long,
        signature: None,
        status: 413,
        objects: 0,
    });
    shapes
}

#[test]
fn hostile_shapes_stay_within_the_stated_bound() {
    let config = Config::parse(CONFIG, &|_| None).unwrap();
    let l = config.limits;
    let received_at = Timestamp::parse_rfc3339("2026-11-22T15:04:05Z").unwrap();
    println!("| shape | body | inflated | status | objects | time | peak heap beyond the body | bound |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    let mut failures = Vec::new();
    for s in shapes() {
        let mut headers = http::HeaderMap::new();
        let authorization = if s.path == "/lp" { "Basic dTpw" } else { "Bearer t" };
        headers.insert("authorization", authorization.parse().unwrap());
        headers.insert("dd-api-key", "t".parse().unwrap());
        headers.insert("content-type", s.content_type.parse().unwrap());
        if let Some(e) = s.encoding {
            headers.insert("content-encoding", e.parse().unwrap());
        }
        if let Some(sig) = &s.signature {
            headers.insert("x-vercel-signature", sig.parse().unwrap());
        }
        let inflated = match s.encoding {
            Some(e) => {
                let coding = drain_core::body::coding(Some(e.as_bytes())).unwrap();
                drain_core::body::inflate_each(&s.body, coding, usize::MAX - 1, |_| {}).unwrap()
            }
            // A Loki push is a snappy block: inflated in one allocation of its stated size.
            None if s.content_type == "application/x-protobuf" && s.path.contains("/loki/") => {
                snap::raw::decompress_len(&s.body).unwrap()
            }
            None => 0,
        };
        let request = Request {
            method: "POST",
            path: s.path,
            headers: &headers,
            body: Body::Complete(&s.body),
            request_id: "hostile",
            body_macs: None,
        };
        let base = HEAP.current_usage();
        HEAP.reset_peak_usage();
        let started = Instant::now();
        let plan = handle(&config, &request, received_at);
        let took = started.elapsed();
        let peak = HEAP.peak_usage().saturating_sub(base);
        let stored: usize = plan.objects.iter().map(|o| o.body.len()).sum();
        // A refused delivery held what it compressed before the refusal: at most max_stored.
        let compressed = if plan.objects.is_empty() { l.max_stored } else { stored };
        // The inflated buffer: one allocation when the size is known up front (gzip's trailer, a
        // zstd frame's content size, within the limit); otherwise it grows by doubling and is
        // briefly held twice while it moves.
        let sized = match s.encoding {
            None => true,
            Some("gzip") => inflated <= l.max_decompressed,
            Some(_) => false,
        };
        let held = inflated.min(l.max_decompressed) * if sized { 1 } else { 2 };
        let bound = held
            + compressed
            + l.max_objects * (COMPRESSOR + CHUNK + l.max_event_bytes)
            + 2 * l.max_event_bytes
            + FIELDS;
        println!(
            "| {} | {} B | {} B | {} | {} | {:.1} ms | {:.2} MiB | {:.1} MiB |",
            s.name,
            s.body.len(),
            inflated,
            plan.response.status().as_u16(),
            plan.objects.len(),
            took.as_secs_f64() * 1e3,
            peak as f64 / 1048576.0,
            bound as f64 / 1048576.0
        );
        if plan.response.status().as_u16() != s.status || plan.objects.len() != s.objects {
            failures.push(format!(
                "{}: {} with {} objects (expected {} with {}); refused: {:?}",
                s.name,
                plan.response.status().as_u16(),
                plan.objects.len(),
                s.status,
                s.objects,
                plan.reason
            ));
        }
        if peak > bound {
            failures.push(format!("{}: peak heap {peak} B past the bound {bound} B", s.name));
        }
        drop(plan);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
