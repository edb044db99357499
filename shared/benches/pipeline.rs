//! The core's whole pipeline (request in, object bytes out) on ~1 MB batches, with gzip alone
//! on the same bytes as the floor. `cargo bench -p drain-core --bench pipeline`; criterion
//! prints throughput in MiB/s of request body.

use std::io::Write;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use drain_core::{handle, Body, Config, Request, Timestamp};
use hmac::{Hmac, Mac};

const CONFIG: &str = r#"
[[source]]
name = "vercel"
kind = "vercel"
secrets = ["bench-secret"]
[[source]]
name = "app"
kind = "betterstack"
tokens = ["bench-token"]
"#;

/// One Vercel event of about 750 bytes, as Vercel's docs show them; numbered so none repeat.
fn vercel_event(i: usize) -> serde_json::Value {
    serde_json::json!({
        "id": format!("{:028}", 1573817187330377061717300000u128 + i as u128),
        "deploymentId": "dpl_233NRGRjVZX1caZrXWtz5g1TAksD",
        "source": if i % 3 == 0 { "build" } else { "lambda" },
        "host": "my-app-abc123.vercel.app",
        "timestamp": 1573817187330u64 + i as u64 * 7,
        "projectId": "gdufoJxB6b9b1fEqr1jUtFkyavUU",
        "level": if i % 10 == 0 { "error" } else { "info" },
        "message": format!("API request processed in {} ms for user {}", i % 997, i * 31 % 10007),
        "entrypoint": "api/index.js",
        "requestId": format!("643af4e3-975a-4cc7-9e7a-{:012x}", i),
        "statusCode": 200,
        "path": "/api/users",
        "executionRegion": "sfo1",
        "environment": "production",
        "traceId": format!("1b02cd14bb8642fd092bc23f{:08x}", i),
        "spanId": "f24e8631bd11faa7",
        "proxy": {
            "timestamp": 1573817250172u64 + i as u64,
            "method": "GET",
            "host": "my-app.vercel.app",
            "path": format!("/api/users?page={}", i % 50),
            "userAgent": ["Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36"],
            "referer": "https://my-app.vercel.app",
            "region": "sfo1",
            "statusCode": 200,
            "clientIp": format!("120.75.{}.{}", i % 256, i * 7 % 256),
            "scheme": "https",
            "vercelCache": "MISS"
        }
    })
}

fn betterstack_event(i: usize) -> rmpv::Value {
    use rmpv::Value as V;
    V::Map(vec![
        (V::from("dt"), V::from(1_700_000_000_000u64 + i as u64)),
        (V::from("level"), V::from(if i % 10 == 0 { "error" } else { "info" })),
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
                (
                    V::from("user"),
                    V::Map(vec![
                        (V::from("id"), V::from(i * 31 % 10007)),
                        (V::from("plan"), V::from("pro")),
                    ]),
                ),
            ]),
        ),
    ])
}

fn vercel_body(target: usize) -> Vec<u8> {
    let mut body = Vec::new();
    let mut i = 0;
    while body.len() < target {
        serde_json::to_writer(&mut body, &vercel_event(i)).unwrap();
        body.push(b'\n');
        i += 1;
    }
    body
}

fn msgpack_body(target: usize) -> Vec<u8> {
    let per = {
        let mut one = Vec::new();
        rmpv::encode::write_value(&mut one, &betterstack_event(0)).unwrap();
        one.len()
    };
    let events: Vec<rmpv::Value> = (0..target / per).map(betterstack_event).collect();
    let mut body = Vec::new();
    rmpv::encode::write_value(&mut body, &rmpv::Value::Array(events)).unwrap();
    body
}

fn bench(c: &mut Criterion) {
    let config = Config::parse(CONFIG, &|_| None).unwrap();
    let received_at = Timestamp::parse_rfc3339("2026-11-22T15:04:05Z").unwrap();
    let vercel = vercel_body(1 << 20);
    let msgpack = msgpack_body(1 << 20);
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(b"bench-secret").unwrap();
    mac.update(&vercel);
    let signature = hex::encode(mac.finalize().into_bytes());

    let mut vh = http::HeaderMap::new();
    vh.insert("content-type", "application/x-ndjson".parse().unwrap());
    vh.insert("x-vercel-signature", signature.parse().unwrap());
    let mut bh = http::HeaderMap::new();
    bh.insert("content-type", "application/msgpack".parse().unwrap());
    bh.insert("authorization", "Bearer bench-token".parse().unwrap());

    let mut g = c.benchmark_group("core");
    g.sample_size(20);
    for (name, body, headers, path) in [
        ("vercel_ndjson_1MiB", &vercel, &vh, "/vercel"),
        ("betterstack_msgpack_1MiB", &msgpack, &bh, "/app"),
    ] {
        g.throughput(Throughput::Bytes(body.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| {
                let req = Request {
                    method: "POST",
                    path,
                    headers,
                    body: Body::Complete(body),
                };
                let plan = handle(&config, &req, received_at);
                assert_eq!(plan.objects.len(), 1);
                plan
            })
        });
    }
    g.throughput(Throughput::Bytes(vercel.len() as u64));
    g.bench_function("floor_gzip_level6_vercel_1MiB", |b| {
        b.iter(|| {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
            e.write_all(&vercel).unwrap();
            e.finish().unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
