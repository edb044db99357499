//! A loop over one kind's pipeline through one reused scratch, to run under `perf record`:
//! `cargo build --release --example profile -p drain-bench && perf record -g target/release/examples/profile vercel [ROUNDS] [BYTES]`
//! (BYTES 1 is a one-event delivery; the default is 1 MiB).

use std::hint::black_box;

use drain_bench::{
    betterstack, datadog, logplex, loki, northflank, otlp_logs, otlp_traces, splunk_hec, vercel, webhook, CONFIG,
};
use drain_core::{handle_with, Body, Config, Request, Scratch, Timestamp};

fn main() {
    let arg = |n: usize| std::env::args().nth(n);
    let kind = arg(1).unwrap_or_else(|| "vercel".into());
    let rounds: usize = arg(2).and_then(|n| n.parse().ok()).unwrap_or(2000);
    let size: usize = arg(3).and_then(|n| n.parse().ok()).unwrap_or(1 << 20);
    let case = match kind.as_str() {
        "vercel" => vercel(size),
        "betterstack" => betterstack(size),
        "northflank" => northflank(size),
        "logplex" => logplex(size),
        "otlp-logs" => otlp_logs(size),
        "otlp-traces" => otlp_traces(size),
        "webhook" => webhook(size),
        "splunk-hec" => splunk_hec(size),
        "datadog" => datadog(size),
        "loki" => loki(size),
        other => panic!("unknown kind {other}"),
    };
    let config = Config::parse(CONFIG, &|_| None).expect("bench config");
    let received_at = Timestamp::from_unix_millis(1_795_348_800_000).expect("time");
    let mut scratch = Scratch::default();
    for _ in 0..rounds {
        let req = Request {
            method: "POST",
            path: case.path,
            headers: &case.headers,
            body: Body::Complete(&case.body),
            request_id: "profile",
            body_macs: None,
        };
        let _ = black_box(handle_with(&config, &req, received_at, &mut scratch));
    }
}
