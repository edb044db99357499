//! The core's whole pipeline (request in, object bytes out) on ~1 MiB batches of each kind,
//! through one reused scratch as the handlers call it, with gzip alone of the stored object's
//! NDJSON (the Vercel one) as the floor. `cargo bench -p drain-bench --bench pipeline`; criterion
//! prints throughput in MiB/s of request body.

use std::io::Write;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use drain_bench::{betterstack, logplex, northflank, vercel, CONFIG};
use drain_core::{handle_with, Body, Config, Request, Scratch, Timestamp};

fn bench(c: &mut Criterion) {
    let config = Config::parse(CONFIG, &|_| None).expect("bench config");
    let received_at = Timestamp::from_unix_millis(1_795_348_800_000).expect("time");
    let mut scratch = Scratch::default();
    let mut g = c.benchmark_group("core");
    g.sample_size(20);
    let mut vercel_object = Vec::new();
    for case in [
        vercel(1 << 20),
        betterstack(1 << 20),
        northflank(1 << 20),
        logplex(1 << 20),
    ] {
        let req = Request {
            method: "POST",
            path: case.path,
            headers: &case.headers,
            body: Body::Complete(&case.body),
            request_id: "bench",
            body_macs: None,
        };
        if case.kind == "vercel ndjson" {
            let plan = handle_with(&config, &req, received_at, &mut scratch);
            std::io::Read::read_to_end(
                &mut flate2::read::GzDecoder::new(&plan.objects[0].body[..]),
                &mut vercel_object,
            )
            .expect("gzip");
        }
        g.throughput(Throughput::Bytes(case.body.len() as u64));
        g.bench_function(format!("{}_1MiB", case.kind.replace(' ', "_")), |b| {
            b.iter(|| {
                let plan = handle_with(&config, &req, received_at, &mut scratch);
                assert_eq!(plan.objects.len(), 1);
                plan
            })
        });
    }
    // The floor: gzip alone of what the core stores for the Vercel batch (its NDJSON object),
    // per MiB of that batch's request body, so the two throughputs compare.
    let body_len = vercel(1 << 20).body.len();
    g.throughput(Throughput::Bytes(body_len as u64));
    let level = drain_core::config::DEFAULT_GZIP_LEVEL;
    g.bench_function(format!("floor_gzip_level{level}_vercel_object_1MiB"), |b| {
        b.iter(|| {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
            e.write_all(&vercel_object).expect("memory");
            e.finish().expect("memory")
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
