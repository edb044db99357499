//! `infra/bench/all`: for each sender kind from ~1 KB to ~10 MiB, the core's whole pipeline (request
//! in, object bytes out) beside its floor stages on the same data, a naive baseline, and the peak
//! extra heap per delivery, printed as Markdown tables; then each kind's fixed cost per delivery.
//! Ratios are medians of interleaved pairs (A, B, A, B, …), so a noisy neighbour moves both sides
//! of a pair alike. Figures, not assertions.

use std::hint::black_box;
use std::io::Write;
use std::time::{Duration, Instant};

use drain_bench::{
    betterstack, datadog, gzipped, logplex, logtail_node, logtail_python, loki, northflank, otlp_logs, otlp_traces,
    splunk_hec, vercel, vercel_two_hours, webhook, Case, CONFIG,
};
use drain_core::{handle, handle_with, Body, Config, Plan, Request, Scratch, Timestamp};
use hmac::{Hmac, Mac};

/// Tracks the heap in use and its peak, to report a delivery's extra heap.
#[global_allocator]
static HEAP: peak_alloc::PeakAlloc = peak_alloc::PeakAlloc;

const SIZES: [(usize, &str); 5] = [
    (1_000, "1 KB"),
    (10_000, "10 KB"),
    (100_000, "100 KB"),
    (1 << 20, "1 MiB"),
    (10 << 20, "10 MiB"),
];

struct Bench {
    config: Config,
    level: u32,
    received_at: Timestamp,
    scratch: Scratch,
}

impl Bench {
    fn plan(&mut self, case: &Case) -> Plan {
        handle_with(&self.config, &request(case), self.received_at, &mut self.scratch)
    }
}

fn request(case: &Case) -> Request<'_> {
    Request {
        method: "POST",
        path: case.path,
        headers: &case.headers,
        body: Body::Complete(&case.body),
        request_id: "bench",
        body_macs: None,
    }
}

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
    let mut b = Bench {
        config,
        level,
        received_at: Timestamp::from_unix_millis(1_795_348_800_000).expect("time"),
        scratch: Scratch::default(),
    };
    println!(
        "gzip level {level}; flate2 with the zlib-rs backend; the pipeline through one reused `Scratch`, as the handlers call it; ratios are medians of interleaved pairs over ~1 s
"
    );
    let kinds: [fn(usize) -> Case; 10] = [
        vercel,
        betterstack,
        northflank,
        logplex,
        otlp_logs,
        otlp_traces,
        webhook,
        splunk_hec,
        datadog,
        loki,
    ];
    // `drain-bench LEVEL redact`: only the redaction table.
    if std::env::args().nth(2).as_deref() == Some("redact") {
        redaction(&mut b, &kinds);
        return;
    }
    // `drain-bench LEVEL only TEXT`: the main table's 100 KB and 1 MiB rows of the kinds whose
    // name holds TEXT (`otlp`, `loki`, …), for working on one kind.
    if std::env::args().nth(2).as_deref() == Some("only") {
        let text = std::env::args().nth(3).unwrap_or_default();
        for &(size, label) in &SIZES[2..4] {
            for make in kinds {
                let case = make(size);
                if case.kind.contains(text.as_str()) {
                    row(&mut b, &case, label);
                }
            }
        }
        return;
    }
    // `drain-bench LEVEL fixed`: only the fixed-cost and linearity table.
    if std::env::args().nth(2).as_deref() != Some("fixed") {
        println!("| kind | body | events | pipeline MB/s | µs/delivery | µs/event | HMAC-SHA1 MB/s | gzip-only MB/s | validate-only MB/s | msgpack validate-only MB/s | naive MB/s | pipeline/gzip | ceiling | pipeline/gzip ÷ ceiling | pipeline/naive | peak extra heap / body | stored / body |");
        println!(
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
        );
        for &(size, label) in &SIZES {
            for make in kinds {
                row(&mut b, &make(size), label);
            }
        }
        for (case, label) in [
            (vercel_two_hours(100_000), "100 KB"),
            (gzipped(vercel(100_000), "vercel ndjson, gzip"), "100 KB"),
            (gzipped(betterstack(100_000), "betterstack msgpack, gzip"), "100 KB"),
            (gzipped(vercel(1 << 20), "vercel ndjson, gzip"), "1 MiB"),
            (logtail_python(), "161 KB"),
            (logtail_node(), "6.6 KB gzip"),
        ] {
            row(&mut b, &case, label);
        }
    }

    println!();
    println!("Fixed cost per delivery: a one-event delivery through a reused scratch (as the handlers call the core) and through a new one (`handle`), against a 10 KB delivery, and the floor of the first: its one object's gzip alone through a compressor reset between runs (the reused delivery and the floor each timed in interleaved pairs with the 10 KB delivery, their ratios the median per-pair ratio); linearity: time per MB at 10 KB, 100 KB and 10 MiB over that at 1 MiB, the sizes timed round-robin (one sample of each per round, ~2 s) and each ratio the median over rounds; then the highest over the lowest from 100 KB to 10 MiB (below 32 KiB of NDJSON an object is compressed at level 1, so small deliveries cost less per MB)");
    println!();
    println!("| kind | one event, reused scratch µs | its peak heap KiB | one event, new scratch µs | its peak heap KiB | 10 KB delivery µs | fixed / 10 KB | its object's gzip alone, reused compressor µs | that / 10 KB | MB/s at 10 KB ÷ at 1 MiB | time per MB ÷ at 1 MiB: 10 KB | 100 KB | 10 MiB | time per MB, 100 KB…10 MiB, max ÷ min |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for make in kinds {
        let one = make(1);
        let ten = make(10_000);
        // Once first, so that the scratch holds a compressor, as a handler's does after its first
        // delivery.
        let _ = b.plan(&one);
        let (_, reused_heap) = peak(|| b.plan(&one));
        let fresh = time(|| black_box(handle(&b.config, &request(&one), b.received_at)));
        let (_, fresh_heap) = peak(|| handle(&b.config, &request(&one), b.received_at));
        // The one-event delivery and its gzip floor, each timed in pairs with the 10 KB delivery.
        let mut gzip_one = object_gzip(&b.plan(&one), b.level);
        let bench = std::cell::RefCell::new(&mut b);
        let ten_kb = || black_box(bench.borrow_mut().plan(&ten));
        let (t10, reused, fixed) = pairs(ten_kb, || black_box(bench.borrow_mut().plan(&one)));
        let (_, one_gzip, floor) = pairs(ten_kb, &mut gzip_one);
        let cases: Vec<Case> = SIZES[1..].iter().map(|(size, _)| make(*size)).collect();
        let per_mb = linearity(&mut b, &cases);
        let (max, min) = [per_mb[1], 1.0, per_mb[3]]
            .iter()
            .fold((f64::MIN, f64::MAX), |(hi, lo), &r| (hi.max(r), lo.min(r)));
        println!(
            "| {} | {:.1} | {:.0} | {:.1} | {:.0} | {:.1} | {:.2} | {:.1} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |",
            one.kind,
            us(reused),
            reused_heap as f64 / 1024.0,
            us(fresh),
            fresh_heap as f64 / 1024.0,
            us(t10),
            fixed,
            us(one_gzip),
            floor,
            1.0 / per_mb[0],
            per_mb[0],
            per_mb[1],
            per_mb[3],
            max / min,
        );
    }
}

/// Every kind at 100 KB and 1 MiB with every built-in detector on (issue 32), timed in
/// interleaved pairs against the same delivery without: the cost of redaction per kind.
fn redaction(b: &mut Bench, kinds: &[fn(usize) -> Case]) {
    let detectors = r#"redact = ["email", "bearer", "card", "ipv4", "ipv6", "jwt", "aws_key"]"#;
    let text: String = CONFIG
        .lines()
        .flat_map(|l| {
            let mut out = vec![l.to_string()];
            if l.starts_with("kind = ") {
                out.push(detectors.to_string());
            }
            out
        })
        .collect::<Vec<_>>()
        .join("\n");
    let with = Config::parse(&text, &|_| None).expect("bench config with redaction");
    println!("Redaction: every built-in detector on (email, bearer, card, ipv4, ipv6, jwt, aws_key), against the same delivery without; ratios are medians of interleaved pairs");
    println!();
    println!("| kind | body | events | MB/s without | MB/s with | time with ÷ without | matches replaced per event |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    let mut scratch = Scratch::default();
    for &(size, label) in &SIZES[2..4] {
        for make in kinds {
            let case = make(size);
            let mb = inflated(&case).len() as f64 / 1e6;
            let plan = handle_with(&with, &request(&case), b.received_at, &mut scratch);
            assert_eq!(
                plan.response.status().as_u16() / 100,
                2,
                "{} refused: {:?}",
                case.kind,
                plan.reason
            );
            let redacted = plan.redacted;
            let bench = std::cell::RefCell::new(&mut *b);
            let (without, with_t, ratio) = pairs(
                || black_box(bench.borrow_mut().plan(&case)),
                || {
                    black_box(handle_with(
                        &with,
                        &request(&case),
                        bench.borrow().received_at,
                        &mut scratch,
                    ))
                },
            );
            println!(
                "| {} | {} | {} | {:.0} | {:.0} | {:.2} | {:.2} |",
                case.kind,
                label,
                case.events,
                mb / without.as_secs_f64(),
                mb / with_t.as_secs_f64(),
                ratio,
                redacted as f64 / case.events as f64
            );
        }
    }
}

/// An object's NDJSON and the level the core compressed it at (level 1 under
/// `SMALL_OBJECT`).
fn stored_ndjson(object: &drain_core::Object, level: u32) -> (Vec<u8>, u32) {
    let plain = gunzip(&object.body);
    let at = if plain.len() < drain_core::SMALL_OBJECT {
        level.min(1)
    } else {
        level
    };
    (plain, at)
}

/// The floor of a one-event delivery's time: its object's NDJSON deflated at the level the core
/// uses for it, through one compressor reset between runs (as the core's scratch keeps one), and
/// its CRC-32.
fn object_gzip(plan: &Plan, level: u32) -> impl FnMut() -> (Vec<u8>, u32) {
    let (plain, at) = stored_ndjson(&plan.objects[0], level);
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(at));
    move || {
        e.write_all(&plain).expect("memory");
        let mut crc = flate2::Crc::new();
        crc.update(&plain);
        black_box((e.reset(Vec::new()).expect("memory"), crc.sum()))
    }
}

/// Time per MB of each case over that of `cases[2]` (1 MiB): the cases timed round-robin, one
/// sample of each per round (enough deliveries to last ~5 ms), for ~2 s, so that a slower or
/// faster spell of the machine falls on every size of a round alike; the median of each ratio
/// over the rounds.
fn linearity(b: &mut Bench, cases: &[Case]) -> Vec<f64> {
    let reps: Vec<u32> = cases
        .iter()
        .map(|case| {
            let t = Instant::now();
            let _ = black_box(b.plan(case));
            (5e-3 / t.elapsed().as_secs_f64()).ceil().max(1.0) as u32
        })
        .collect();
    let mut ratios: Vec<Vec<f64>> = vec![Vec::new(); cases.len()];
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(2) || ratios[0].len() < 7 {
        let per_mb: Vec<f64> = cases
            .iter()
            .zip(&reps)
            .map(|(case, &n)| {
                let t = Instant::now();
                for _ in 0..n {
                    let _ = black_box(b.plan(case));
                }
                t.elapsed().as_secs_f64() / f64::from(n) / (case.body.len() as f64 / 1e6)
            })
            .collect();
        for (r, p) in ratios.iter_mut().zip(&per_mb) {
            r.push(p / per_mb[2]);
        }
    }
    ratios.iter_mut().map(|r| median(r)).collect()
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// One table row.
fn row(b: &mut Bench, case: &Case, label: &str) {
    let level = b.level;
    let plan = b.plan(case);
    assert_eq!(
        plan.response.status().as_u16() / 100,
        2,
        "{} refused: {:?}",
        case.kind,
        plan.reason
    );
    // Each object's NDJSON and the level the core compresses it at (small ones at level 1).
    let objects: Vec<(Vec<u8>, u32)> = plan.objects.iter().map(|o| stored_ndjson(o, level)).collect();
    let gzip_body = case.headers.contains_key("content-encoding");
    let plain = inflated(case);
    // Per MB of the body as decoded (inflated, for a gzip body).
    let mb = plain.len() as f64 / 1e6;

    let hmac = || {
        let mut m = Hmac::<sha1::Sha1>::new_from_slice(b"bench-secret").expect("key");
        m.update(&plain);
        black_box(m.finalize())
    };
    let gzip = || {
        for (plain, at) in &objects {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(*at));
            e.write_all(plain).expect("memory");
            black_box(e.finish().expect("memory"));
        }
    };
    let validate = || {
        for v in serde_json::Deserializer::from_slice(&case.json_lines).into_iter::<serde::de::IgnoredAny>() {
            black_box(v.expect("valid"));
        }
    };
    let inflate = || black_box(gzip_body.then(|| gunzip(&case.body)));
    let msgpack = case.kind.starts_with("betterstack");
    let vercel_kind = case.kind.starts_with("vercel");
    // The JSON kinds of SPEC version 3: their floor is reading the JSON; Loki's, undoing snappy.
    let json_kind = ["webhook", "splunk_hec", "datadog"]
        .iter()
        .any(|k| case.kind.starts_with(k));
    let snappy_kind = case.kind.starts_with("loki");
    // The best pipeline/gzip any core could reach: gzip plus the floor stages this kind can't
    // skip (inflating a gzip body; the signature and JSON validation for Vercel, the MessagePack
    // walk for Better Stack; the text kinds and OTLP protobuf have no floor stage but gzip).
    let floors = || {
        inflate();
        if vercel_kind {
            hmac();
            validate();
        }
        if msgpack {
            black_box(rmp_serde::from_slice::<serde::de::IgnoredAny>(&plain).expect("valid"));
        }
        if json_kind {
            validate();
        }
        if snappy_kind {
            black_box(snap::raw::Decoder::new().decompress_vec(&case.body).expect("snappy"));
        }
        gzip()
    };
    let msgpack_body = msgpack.then_some(&plain);
    let (pipeline, _, vs_gzip) = pairs(|| black_box(b.plan(case)), gzip);
    let (_, _, vs_floors) = pairs(|| black_box(b.plan(case)), floors);
    let with_naive = ["vercel", "betterstack", "northflank", "logplex"]
        .iter()
        .any(|k| case.kind.starts_with(k));
    let naive = with_naive.then(|| pairs(|| black_box(b.plan(case)), || naive(case, level)));
    let hmac_t = time(hmac);
    let gzip_t = time(gzip);
    let validate_t = time(validate);
    let msgpack_t = msgpack_body
        .as_ref()
        .map(|m| time(|| black_box(rmp_serde::from_slice::<serde::de::IgnoredAny>(m).expect("valid"))));
    let (kept, heap) = peak(|| b.plan(case));
    drop(kept);

    let mbs = |d: Duration| mb / d.as_secs_f64();
    println!(
        "| {} | {} | {} | {:.0} | {:.1} | {:.2} | {:.0} | {:.0} | {:.0} | {} | {} | {:.2} | {:.2} | {:.2} | {} | {:.2} | {:.3} |",
        case.kind,
        label,
        case.events,
        mbs(pipeline),
        us(pipeline),
        us(pipeline) / case.events as f64,
        mbs(hmac_t),
        mbs(gzip_t),
        mbs(validate_t),
        msgpack_t.map_or("–".into(), |d| format!("{:.0}", mbs(d))),
        naive.map_or("–".into(), |(_, d, _)| format!("{:.0}", mbs(d))),
        vs_gzip,
        vs_gzip / vs_floors,
        vs_floors,
        naive.map_or("–".into(), |(_, _, r)| format!("{r:.2}")),
        heap as f64 / plain.len() as f64,
        plan.objects.iter().map(|o| o.body.len()).sum::<usize>() as f64 / plain.len() as f64,
    );
}

/// The body as the decoder sees it (inflated if it was sent gzipped).
fn inflated(case: &Case) -> Vec<u8> {
    if case.kind.starts_with("loki") {
        snap::raw::Decoder::new().decompress_vec(&case.body).expect("snappy")
    } else if case.headers.contains_key("content-encoding") {
        gunzip(&case.body)
    } else {
        case.body.clone()
    }
}

/// The peak heap above what was live before, while `f` runs and its result is alive.
fn peak<T>(f: impl FnOnce() -> T) -> (T, usize) {
    HEAP.reset_peak_usage();
    let before = HEAP.current_usage();
    let kept = f();
    (kept, HEAP.peak_usage() - before)
}

/// `a` and `b` timed alternately (A, B, A, B, …) over about a second, each sample running
/// enough calls to last ~1 ms: the median time of each, and the median of the per-pair ratios
/// `b ÷ a`.
fn pairs<T, U>(mut a: impl FnMut() -> T, mut b: impl FnMut() -> U) -> (Duration, Duration, f64) {
    let start = Instant::now();
    black_box(a());
    black_box(b());
    let once = start.elapsed().max(Duration::from_nanos(100));
    let reps = (1e-3 / once.as_secs_f64()).ceil().max(1.0) as u32;
    let samples = (1.0 / (once.as_secs_f64() * f64::from(reps))).clamp(5.0, 1000.0) as usize;
    let mut ta = Vec::with_capacity(samples);
    let mut tb = Vec::with_capacity(samples);
    let mut ratios = Vec::with_capacity(samples);
    for _ in 0..samples {
        let t = Instant::now();
        for _ in 0..reps {
            black_box(a());
        }
        let da = t.elapsed() / reps;
        let t = Instant::now();
        for _ in 0..reps {
            black_box(b());
        }
        let db = t.elapsed() / reps;
        ratios.push(db.as_secs_f64() / da.as_secs_f64());
        ta.push(da);
        tb.push(db);
    }
    (median(&mut ta), median(&mut tb), median(&mut ratios))
}

fn median<T: PartialOrd + Copy>(v: &mut [T]) -> T {
    v.sort_by(|x, y| x.partial_cmp(y).expect("no NaN"));
    v[v.len() / 2]
}

/// The median time of `f` over repeated runs filling about a third of a second (a sample of
/// ~1 ms each).
fn time<T>(mut f: impl FnMut() -> T) -> Duration {
    let start = Instant::now();
    black_box(f());
    let once = start.elapsed().max(Duration::from_nanos(100));
    let reps = (1e-3 / once.as_secs_f64()).ceil().max(1.0) as u32;
    let samples = (0.3 / (once.as_secs_f64() * f64::from(reps))).clamp(5.0, 300.0) as usize;
    let mut times: Vec<Duration> = (0..samples)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..reps {
                black_box(f());
            }
            t.elapsed() / reps
        })
        .collect();
    median(&mut times)
}

/// What a user would write by hand, from the same wire bytes the pipeline gets: the signature
/// checked (Vercel), every event decoded into a `serde_json::Value` the obvious way for its format
/// (`serde_json` lines, `rmp_serde`, `split` on spaces for the text formats), fields added,
/// `to_vec`, gzip.
fn naive(case: &Case, level: u32) -> Vec<u8> {
    use serde_json::{json, Value};
    let mut events: Vec<Value> = Vec::new();
    let body = inflated(case);
    match case.kind.split(',').next().unwrap_or_default() {
        "vercel ndjson" => {
            let mut m = Hmac::<sha1::Sha1>::new_from_slice(b"bench-secret").expect("key");
            m.update(&body);
            let sig = case.headers["x-vercel-signature"].to_str().expect("ascii");
            assert_eq!(hex::encode(m.finalize().into_bytes()), sig, "signature");
            for v in serde_json::Deserializer::from_slice(&body).into_iter::<Value>() {
                let mut v = v.expect("valid");
                let dt = v["timestamp"].as_u64().map(|ms| ms.to_string());
                v["dt"] = dt.into();
                events.push(v);
            }
        }
        "betterstack msgpack" => {
            events = rmp_serde::from_slice::<Vec<Value>>(&body).expect("msgpack");
        }
        "northflank text" => {
            for line in std::str::from_utf8(&body).expect("utf-8").lines() {
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
            let mut rest = &body[..];
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
