//! The core's whole pipeline (request in, object bytes out) on ~1 MiB batches of each kind, with
//! gzip alone on the Vercel object as the floor. `cargo bench -p drain-bench --bench pipeline`;
//! criterion prints throughput in MiB/s of request body.

use std::io::Write;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use drain_bench::{betterstack, logplex, northflank, vercel, CONFIG};
use drain_core::{handle, Body, Config, Request, Timestamp};

fn bench(c: &mut Criterion) {
    let config = Config::parse(CONFIG, &|_| None).expect("bench config");
    let received_at = Timestamp::from_unix_millis(1_795_348_800_000).expect("time");
    let mut g = c.benchmark_group("core");
    g.sample_size(20);
    for case in [
        vercel(1 << 20),
        betterstack(1 << 20),
        northflank(1 << 20),
        logplex(1 << 20),
    ] {
        g.throughput(Throughput::Bytes(case.body.len() as u64));
        g.bench_function(format!("{}_1MiB", case.kind.replace(' ', "_")), |b| {
            b.iter(|| {
                let req = Request {
                    method: "POST",
                    path: case.path,
                    headers: &case.headers,
                    body: Body::Complete(&case.body),
                    request_id: "bench",
                };
                let plan = handle(&config, &req, received_at);
                assert_eq!(plan.objects.len(), 1);
                plan
            })
        });
    }
    let floor = vercel(1 << 20);
    g.throughput(Throughput::Bytes(floor.body.len() as u64));
    let level = drain_core::config::DEFAULT_GZIP_LEVEL;
    g.bench_function(format!("floor_gzip_level{level}_vercel_1MiB"), |b| {
        b.iter(|| {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
            e.write_all(&floor.body).expect("memory");
            e.finish().expect("memory")
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
