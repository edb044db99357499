//! `infra/bench`: for each sender kind at ~100 KB and ~1 MiB, the core's whole pipeline (request
//! in, object bytes out) beside its floor stages on the same data, a naive baseline, and the peak
//! extra heap per delivery, printed as one Markdown table. Figures, not assertions.

use std::hint::black_box;
use std::io::Write;
use std::time::{Duration, Instant};

use drain_bench::{betterstack, logplex, northflank, otlp_logs, otlp_traces, vercel, CONFIG};
use drain_core::{handle, Body, Config, Request, Timestamp};
use hmac::{Hmac, Mac};

/// Tracks the heap in use and its peak, to report a delivery's extra heap.
#[global_allocator]
static HEAP: peak_alloc::PeakAlloc = peak_alloc::PeakAlloc;

fn main() {
    let level = std::env::args()
        .nth(1)
        .and_then(|l| l.parse().ok())
        .unwrap_or(drain_core::config::DEFAULT_GZIP_LEVEL);
    let config = Config::parse(
        &CONFIG.replace(
            "[[source]]\nname = \"vercel\"",
            &format!("[storage]\ngzip_level = {level}\n[[source]]\nname = \"vercel\""),
        ),
        &|_| None,
    )
    .expect("bench config");
    let received_at = Timestamp::from_unix_millis(1_795_348_800_000).expect("time");
    println!(
        "gzip level {level}; flate2 with the zlib-rs backend; each figure is the median of repeated runs over ~1 s
"
    );
    println!("| kind | body | events | pipeline MB/s | µs/event | HMAC-SHA1 MB/s | gzip-only MB/s | validate-only MB/s | msgpack validate-only MB/s | naive MB/s | pipeline/gzip | ceiling | pipeline/gzip ÷ ceiling | pipeline/naive | peak extra heap / body | stored / body |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for size in [100_000, 1 << 20] {
        for case in [
            vercel(size),
            betterstack(size),
            northflank(size),
            logplex(size),
            otlp_logs(size),
            otlp_traces(size),
        ] {
            let req = || Request {
                method: "POST",
                path: case.path,
                headers: &case.headers,
                body: Body::Complete(&case.body),
                request_id: "bench",
            };
            let plan = handle(&config, &req(), received_at);
            assert_eq!(
                plan.response.status().as_u16() / 100,
                2,
                "{} refused: {:?}",
                case.kind,
                plan.reason
            );
            let object_plain: Vec<u8> = plan.objects.iter().flat_map(|o| gunzip(&o.body)).collect();
            let mb = case.body.len() as f64 / 1e6;

            let pipeline = time(|| black_box(handle(&config, &req(), received_at)));
            let hmac = time(|| {
                let mut m = Hmac::<sha1::Sha1>::new_from_slice(b"bench-secret").expect("key");
                m.update(&case.body);
                black_box(m.finalize())
            });
            let gzip = time(|| {
                let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
                e.write_all(&object_plain).expect("memory");
                black_box(e.finish().expect("memory"))
            });
            let validate = time(|| {
                for v in serde_json::Deserializer::from_slice(&case.json_lines).into_iter::<serde::de::IgnoredAny>() {
                    black_box(v.expect("valid"));
                }
            });
            let msgpack = case.kind.contains("msgpack");
            let msgpack_validate = msgpack.then(|| {
                time(|| black_box(rmp_serde::from_slice::<serde::de::IgnoredAny>(&case.body).expect("valid")))
            });
            // No naive baseline for OTLP: one would need the generated protobuf types.
            let naive = (!case.kind.starts_with("otlp")).then(|| time(|| black_box(naive(&case, level))));
            // The best pipeline/gzip any core could reach: gzip plus the floor stages this kind
            // can't skip (the signature and JSON validation for Vercel, the MessagePack walk
            // for Better Stack; the text kinds and OTLP protobuf have no floor stage but gzip).
            let floors = if case.kind.starts_with("vercel") {
                hmac + validate
            } else {
                msgpack_validate.unwrap_or_default()
            };
            let ceiling = gzip.as_secs_f64() / (gzip + floors).as_secs_f64();
            let ratio = gzip.as_secs_f64() / pipeline.as_secs_f64();

            HEAP.reset_peak_usage();
            let before = HEAP.current_usage();
            let kept = handle(&config, &req(), received_at);
            let peak = HEAP.peak_usage() - before;
            drop(kept);

            let mbs = |d: Duration| mb / d.as_secs_f64();
            println!(
                "| {} | {} | {} | {:.0} | {:.2} | {:.0} | {:.0} | {:.0} | {} | {} | {:.2} | {:.2} | {:.2} | {} | {:.2} | {:.3} |",
                case.kind,
                if size > 200_000 { "1 MiB" } else { "100 KB" },
                case.events,
                mbs(pipeline),
                pipeline.as_secs_f64() * 1e6 / case.events as f64,
                mbs(hmac),
                mbs(gzip),
                mbs(validate),
                msgpack_validate.map_or("–".into(), |d| format!("{:.0}", mbs(d))),
                naive.map_or("–".into(), |d| format!("{:.0}", mbs(d))),
                ratio,
                ceiling,
                ratio / ceiling,
                naive.map_or("–".into(), |d| format!("{:.2}", d.as_secs_f64() / pipeline.as_secs_f64())),
                peak as f64 / case.body.len() as f64,
                plan.objects.iter().map(|o| o.body.len()).sum::<usize>() as f64 / case.body.len() as f64,
            );
        }
    }
}

/// The median time of `f` over repeated runs filling about one second.
fn time<T>(mut f: impl FnMut() -> T) -> Duration {
    let start = Instant::now();
    black_box(f());
    let once = start.elapsed().max(Duration::from_micros(1));
    let runs = (Duration::from_secs(1).as_secs_f64() / once.as_secs_f64()).clamp(5.0, 2000.0) as usize;
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            black_box(f());
            t.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

/// What a user would write by hand, from the same wire bytes the pipeline gets: the signature
/// checked (Vercel), every event decoded into a `serde_json::Value` the obvious way for its format
/// (`serde_json` lines, `rmp_serde`, `split` on spaces for the text formats), fields added,
/// `to_vec`, gzip.
fn naive(case: &drain_bench::Case, level: u32) -> Vec<u8> {
    use serde_json::{json, Value};
    let mut events: Vec<Value> = Vec::new();
    match case.kind {
        "vercel ndjson" => {
            let mut m = Hmac::<sha1::Sha1>::new_from_slice(b"bench-secret").expect("key");
            m.update(&case.body);
            let sig = case.headers["x-vercel-signature"].to_str().expect("ascii");
            assert_eq!(hex::encode(m.finalize().into_bytes()), sig, "signature");
            for v in serde_json::Deserializer::from_slice(&case.body).into_iter::<Value>() {
                let mut v = v.expect("valid");
                let dt = v["timestamp"].as_u64().map(|ms| ms.to_string());
                v["dt"] = dt.into();
                events.push(v);
            }
        }
        "betterstack msgpack" => {
            events = rmp_serde::from_slice::<Vec<Value>>(&case.body).expect("msgpack");
        }
        "northflank text" => {
            for line in std::str::from_utf8(&case.body).expect("utf-8").lines() {
                let mut parts = line.splitn(3, ' ');
                let (ts, stream, rest) = (parts.next(), parts.next(), parts.next().unwrap_or(""));
                let message = rest
                    .strip_prefix("F ")
                    .or_else(|| rest.strip_prefix("P "))
                    .unwrap_or(rest);
                events.push(json!({"dt": ts, "stream": stream, "message": message}));
            }
        }
        "logplex frames" => {
            let mut rest = &case.body[..];
            while let Some(space) = rest.iter().position(|&b| b == b' ') {
                let len: usize = std::str::from_utf8(&rest[..space])
                    .expect("digits")
                    .parse()
                    .expect("length");
                let frame = std::str::from_utf8(&rest[space + 1..space + 1 + len]).expect("utf-8");
                rest = &rest[space + 1 + len..];
                let p: Vec<&str> = frame.trim_end().splitn(7, ' ').collect();
                events.push(json!({"dt": p[1], "hostname": p[2], "app_name": p[3], "procid": p[4], "message": p[6]}));
            }
        }
        other => panic!("no naive baseline for {other}"),
    }
    let mut out = Vec::new();
    for mut v in events {
        if let Some(o) = v.as_object_mut() {
            o.insert("drain".into(), case.kind.into());
            o.insert("received_at".into(), "2026-11-22T12:00:00Z".into());
        }
        serde_json::to_writer(&mut out, &v).expect("memory");
        out.push(b'\n');
    }
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
    e.write_all(&out).expect("memory");
    e.finish().expect("memory")
}

#[allow(clippy::disallowed_methods, reason = "reading back the core's own output")]
fn gunzip(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(b), &mut out).expect("gzip");
    out
}
