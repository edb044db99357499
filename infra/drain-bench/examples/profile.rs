//! A loop over one kind's 1 MiB pipeline, to run under `perf record`:
//! `cargo build --release --example profile -p drain-bench && perf record -g target/release/examples/profile vercel`.

use std::hint::black_box;

use drain_bench::{betterstack, logplex, northflank, vercel, CONFIG};
use drain_core::{handle, Body, Config, Request, Timestamp};

fn main() {
    let kind = std::env::args().nth(1).unwrap_or_else(|| "vercel".into());
    let rounds: usize = std::env::args().nth(2).and_then(|n| n.parse().ok()).unwrap_or(2000);
    let case = match kind.as_str() {
        "vercel" => vercel(1 << 20),
        "betterstack" => betterstack(1 << 20),
        "northflank" => northflank(1 << 20),
        "logplex" => logplex(1 << 20),
        other => panic!("unknown kind {other}"),
    };
    let config = Config::parse(CONFIG, &|_| None).expect("bench config");
    let received_at = Timestamp::from_unix_millis(1_795_348_800_000).expect("time");
    for _ in 0..rounds {
        let req = Request {
            method: "POST",
            path: case.path,
            headers: &case.headers,
            body: Body::Complete(&case.body),
            request_id: "profile",
        };
        let _ = black_box(handle(&config, &req, received_at));
    }
}
