//! `drain-abuse --url URL --pid PID --token TOKEN --max-rss-mib N`: abuses a running `drain serve`
//! (its `betterstack` source at `/app`) and prints one row per scenario: what the abusers were
//! answered, whether a well-behaved sender kept being served meanwhile, and the server's peak RSS
//! (`VmHWM`, reset before each scenario through `/proc/PID/clear_refs`). Fails if a peak passes
//! `--max-rss-mib`, if the server dies, or if the well-behaved sender got anything but 202 or 503.
//!
//! Scenarios: 16 concurrent bodies of 20 MiB; 16 chunked bodies of 40 MiB (past the limit, no
//! length given); 16 gzip bombs (1 GiB of zeros in ~1 MiB); 256 slow-loris uploads trickling
//! one byte every 500 ms for 10 s; then the shapes that amplify (issue 12), 16 at once each: a
//! body whose every line is its own hour, 200,000 keys in one event, 9,999 keys named `drain`,
//! a gzip'd MessagePack array of 20 M nils, 10 MB MessagePack bin blobs, nesting at the depth
//! limit, unauthenticated Vercel gzip bombs (the signature is over the inflated bytes); 900
//! unauthenticated slow uploads (more than `--max-concurrent`); 256 connections trickling their
//! headers. Issue 35's: OTLP exports whose resource or scope is copied into 100,000 lines
//! (`max_stored`), Logplex frames of 20,000 and 8,000 repeated STRUCTURED-DATA params,
//! Northflank text of 90 MiB of invalid UTF-8 (an `auth = "none"` source), idle HTTP/2
//! connections, declared lengths over `max_body` that never send their body, and unsigned
//! uploads to a vercel source that declare 20 MiB and send one byte.
//!
//! The server's config (infra/run/abuse) has, beside `app` (Bearer TOKEN): `vercel`, `otel`
//! (otlp, Bearer TOKEN-otlp), `heroku` (logplex, Basic with TOKEN as the password) and `nf`
//! (northflank, no auth).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use base64::Engine;
use drain_cases::shapes::{
    logplex_repeated_params, msgpack_bin, msgpack_nils, object_with_keys, otlp_logs_with_resource,
    otlp_spans_with_scope,
};

struct Args {
    url: String,
    pid: u32,
    token: String,
    max_rss_mib: f64,
}

fn main() -> Result<()> {
    let (mut url, mut pid, mut token, mut max_rss) = (None, None, None, None);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--url" => url = args.next(),
            "--pid" => pid = args.next(),
            "--token" => token = args.next(),
            "--max-rss-mib" => max_rss = args.next(),
            _ => bail!("usage: drain-abuse --url URL --pid PID --token TOKEN --max-rss-mib N"),
        }
    }
    let a = Args {
        url: url.context("--url")?.trim_end_matches('/').to_string(),
        pid: pid.context("--pid")?.parse()?,
        token: token.context("--token")?,
        max_rss_mib: max_rss.context("--max-rss-mib")?.parse()?,
    };
    println!("server RSS at start: {:.1} MiB", rss_mib(a.pid, "VmRSS")?);
    println!(
        "| scenario | abusers answered | well-behaved sender meanwhile | peak RSS | RSS after |\n| --- | --- | --- | --- | --- |"
    );
    let mut failed = Vec::new();

    let big = ndjson(20 * 1024 * 1024 - 4096);
    row(&a, "16 × 20 MiB bodies at once", &mut failed, || {
        parallel(16, |_| post(&a, &big, None, None))
    })?;
    let over = ndjson(40 * 1024 * 1024);
    row(&a, "16 × 40 MiB chunked, no length", &mut failed, || {
        parallel(16, |_| post(&a, &over, None, Some(64 * 1024)))
    })?;
    let bomb = gzip_zeros(1 << 30)?;
    row(
        &a,
        &format!("16 gzip bombs ({} KiB → 1 GiB)", bomb.len() / 1024),
        &mut failed,
        || parallel(16, |_| post(&a, &bomb, Some("gzip"), None)),
    )?;
    row(&a, "256 slow-loris uploads, 10 s", &mut failed, || {
        slow_loris(&a, 256, Duration::from_secs(10))
    })?;

    // The shapes that amplify: small bodies that make large structures.
    let ndjson_ct = "application/x-ndjson";
    let json_ct = "application/json";
    let msgpack_ct = "application/msgpack";
    let hours: Vec<u8> = (0..20_000)
        .flat_map(|h| format!("{{\"message\":\"h\",\"dt\":{}}}\n", 1_700_000_000 + h * 3600).into_bytes())
        .collect();
    let fields = object_with_keys(200_000, |i| format!("k{i}"));
    let drains = object_with_keys(9_999, |_| "drain".into());
    let nils = gzip(&msgpack_nils(20_000_000))?;
    let bins = msgpack_bin(10_000_000);
    let deep = format!("{{\"message\":\"d\",\"x\":{}{}}}", "[".repeat(127), "]".repeat(127)).into_bytes();
    let shapes: [(&str, &[u8], &str, Option<&str>); 6] = [
        ("16 × one hour per line (20,000 hours, 640 KB)", &hours, ndjson_ct, None),
        ("16 × 200,000 keys in one event (3 MB)", &fields, json_ct, None),
        ("16 × 9,999 keys named drain", &drains, json_ct, None),
        (
            "16 × gzip'd msgpack array of 20 M nils (19 KB → 20 MB)",
            &nils,
            msgpack_ct,
            Some("gzip"),
        ),
        ("16 × 10 MB msgpack bin blobs", &bins, msgpack_ct, None),
        ("16 × nesting 127 deep (legal)", &deep, json_ct, None),
    ];
    for (name, body, ct, encoding) in shapes {
        row(&a, name, &mut failed, || {
            parallel(16, |_| {
                send(
                    &a.url,
                    "/app",
                    &[
                        ("authorization", format!("Bearer {}", a.token)),
                        ("content-type", ct.into()),
                    ],
                    body,
                    encoding,
                    None,
                )
            })
        })?;
    }
    let vercel_bomb = gzip_zeros(100 << 20)?;
    row(
        &a,
        "16 unauthenticated Vercel gzip bombs (100 MiB each)",
        &mut failed,
        || {
            parallel(16, |_| {
                let headers = [
                    ("x-vercel-signature", "00".repeat(20)),
                    ("content-type", json_ct.into()),
                ];
                send(&a.url, "/vercel", &headers, &vercel_bomb, Some("gzip"), None)
            })
        },
    )?;
    row(&a, "900 unauthenticated slow uploads", &mut failed, || {
        slow_unauthenticated(&a, 900)
    })?;
    row(&a, "256 connections trickling headers, 12 s", &mut failed, || {
        slow_headers(&a, 256, Duration::from_secs(12))
    })?;

    // Issue 35: bounded by what is stored, and no door left open.
    let otlp_headers = [
        ("authorization", format!("Bearer {}-otlp", a.token)),
        ("content-type", "application/x-protobuf".to_string()),
    ];
    let resource = otlp_logs_with_resource(3_000, 100_000);
    row(
        &a,
        "16 × OTLP resource of 3,000 attributes, 100,000 log records (270 KB)",
        &mut failed,
        || {
            parallel(16, |_| {
                send(&a.url, "/otel/v1/logs", &otlp_headers, &resource, None, None)
            })
        },
    )?;
    let scope = otlp_spans_with_scope(3_000, 100_000);
    row(
        &a,
        "16 × OTLP scope of 3,000 attributes, 100,000 spans (270 KB)",
        &mut failed,
        || {
            parallel(16, |_| {
                send(&a.url, "/otel/v1/traces", &otlp_headers, &scope, None, None)
            })
        },
    )?;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("heroku:{}", a.token));
    let logplex_headers = [
        ("authorization", format!("Basic {basic}")),
        ("content-type", "application/logplex-1".to_string()),
    ];
    for params in [20_000, 8_000] {
        let frame = logplex_repeated_params(params);
        row(
            &a,
            &format!("16 × Logplex frame of {params} params named a"),
            &mut failed,
            || parallel(16, |_| send(&a.url, "/heroku", &logplex_headers, &frame, None, None)),
        )?;
    }
    let invalid = gzip(&vec![0xff; 90 << 20])?;
    row(
        &a,
        &format!(
            "16 × Northflank text, 90 MiB of 0xFF ({} KB gzip'd), no auth",
            invalid.len() / 1000
        ),
        &mut failed,
        || {
            parallel(16, |_| {
                let headers = [("content-type", "text/plain".to_string())];
                send(&a.url, "/nf", &headers, &invalid, Some("gzip"), None)
            })
        },
    )?;
    row(
        &a,
        "256 idle HTTP/2 connections (preface, SETTINGS)",
        &mut failed,
        || idle_http2(&a, 256),
    )?;
    row(
        &a,
        "256 declared lengths over max_body, one byte sent",
        &mut failed,
        || declared_over_max(&a, 256),
    )?;
    row(
        &a,
        "600 unsigned Vercel uploads declaring 20 MiB, one byte sent",
        &mut failed,
        || unsigned_uploads(&a, 600),
    )?;

    if failed.is_empty() {
        println!(
            "ok: every peak within {} MiB, the well-behaved sender served throughout",
            a.max_rss_mib
        );
        Ok(())
    } else {
        bail!("{}", failed.join("; "))
    }
}

/// Runs one scenario while a well-behaved sender posts a small batch every 50 ms.
fn row(a: &Args, name: &str, failed: &mut Vec<String>, scenario: impl FnOnce() -> Vec<String>) -> Result<()> {
    std::fs::write(format!("/proc/{}/clear_refs", a.pid), "5").context("resetting the peak RSS")?;
    let stop = Arc::new(AtomicBool::new(false));
    let probe = {
        let (stop, url, token) = (Arc::clone(&stop), a.url.clone(), a.token.clone());
        std::thread::spawn(move || {
            let mut seen: BTreeMap<String, usize> = BTreeMap::new();
            let mut slowest = Duration::ZERO;
            let mut n = 0u64;
            while !stop.load(Ordering::SeqCst) {
                let body = format!("{{\"message\":\"well-behaved {n}\"}}\n");
                n += 1;
                let t = Instant::now();
                let headers = [
                    ("authorization", format!("Bearer {token}")),
                    ("content-type", "application/x-ndjson".to_string()),
                ];
                let got = send(&url, "/app", &headers, body.as_bytes(), None, None);
                slowest = slowest.max(t.elapsed());
                *seen.entry(got).or_default() += 1;
                std::thread::sleep(Duration::from_millis(50));
            }
            (seen, slowest)
        })
    };
    let answers = scenario();
    stop.store(true, Ordering::SeqCst);
    let (probe_seen, slowest) = probe.join().expect("probe thread");
    let peak = rss_mib(a.pid, "VmHWM").context("the server is gone")?;
    std::thread::sleep(Duration::from_millis(500));
    let after = rss_mib(a.pid, "VmRSS").context("the server is gone")?;
    println!(
        "| {name} | {} | {} (slowest {:.0} ms) | {peak:.1} MiB | {after:.1} MiB |",
        summary(&count(answers)),
        summary(&probe_seen),
        slowest.as_secs_f64() * 1000.0
    );
    if peak > a.max_rss_mib {
        failed.push(format!("{name}: peak RSS {peak:.1} MiB over {} MiB", a.max_rss_mib));
    }
    if probe_seen.keys().any(|k| k != "202" && k != "503") || !probe_seen.contains_key("202") {
        failed.push(format!("{name}: the well-behaved sender got {}", summary(&probe_seen)));
    }
    Ok(())
}

fn parallel(n: usize, f: impl Fn(usize) -> String + Sync) -> Vec<String> {
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                s.spawn({
                    let f = &f;
                    move || f(i)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("sender thread")).collect()
    })
}

fn post(a: &Args, body: &[u8], encoding: Option<&str>, chunked: Option<usize>) -> String {
    let headers = [
        ("authorization", format!("Bearer {}", a.token)),
        ("content-type", "application/x-ndjson".to_string()),
    ];
    send(&a.url, "/app", &headers, body, encoding, chunked)
}

/// One POST over a fresh connection; the status, or what went wrong.
fn send(
    url: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &[u8],
    encoding: Option<&str>,
    chunk: Option<usize>,
) -> String {
    let result = (|| -> Result<String> {
        let host = url.trim_start_matches("http://");
        let mut s = TcpStream::connect(host)?;
        s.set_read_timeout(Some(Duration::from_secs(120)))?;
        let mut head = format!("POST {path} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n");
        for (k, v) in headers {
            head += &format!("{k}: {v}\r\n");
        }
        if let Some(e) = encoding {
            head += &format!("content-encoding: {e}\r\n");
        }
        match chunk {
            None => head += &format!("content-length: {}\r\n\r\n", body.len()),
            Some(_) => head += "transfer-encoding: chunked\r\n\r\n",
        }
        s.write_all(head.as_bytes())?;
        let written = match chunk {
            None => s.write_all(body),
            Some(size) => body
                .chunks(size)
                .try_for_each(|c| {
                    s.write_all(format!("{:x}\r\n", c.len()).as_bytes())?;
                    s.write_all(c)?;
                    s.write_all(b"\r\n")
                })
                .and_then(|()| s.write_all(b"0\r\n\r\n")),
        };
        // A server that answered early and closed makes the write fail: its answer still counts.
        let mut reply = Vec::new();
        let read = s.read_to_end(&mut reply);
        let status = std::str::from_utf8(reply.get(9..12).unwrap_or_default())
            .unwrap_or_default()
            .to_string();
        match (status.parse::<u16>(), written, read) {
            (Ok(_), _, _) => Ok(status),
            (Err(_), Err(e), _) | (Err(_), Ok(()), Err(e)) => Ok(format!("cut ({})", e.kind())),
            (Err(_), Ok(()), Ok(_)) => Ok("cut (no answer)".into()),
        }
    })();
    result.unwrap_or_else(|e| format!("error ({e})"))
}

fn slow_loris(a: &Args, n: usize, how_long: Duration) -> Vec<String> {
    let host = a.url.trim_start_matches("http://").to_string();
    let mut conns = Vec::new();
    for _ in 0..n {
        let Ok(mut s) = TcpStream::connect(&host) else { continue };
        let head = format!(
            "POST /app HTTP/1.1\r\nhost: {host}\r\nauthorization: Bearer {}\r\ncontent-type: application/x-ndjson\r\ncontent-length: 1000000\r\n\r\n{{",
            a.token
        );
        if s.write_all(head.as_bytes()).is_ok() {
            conns.push(s);
        }
    }
    let start = Instant::now();
    while start.elapsed() < how_long {
        std::thread::sleep(Duration::from_millis(500));
        conns.retain_mut(|s| s.write_all(b" ").is_ok());
    }
    vec![format!(
        "{} of {n} still open after {} s",
        conns.len(),
        how_long.as_secs()
    )]
}

/// Uploads with a wrong token that send one byte of a 1 MB body and then nothing: each must be
/// answered (403) at once, holding no delivery slot.
fn slow_unauthenticated(a: &Args, n: usize) -> Vec<String> {
    let host = a.url.trim_start_matches("http://").to_string();
    let mut conns = Vec::new();
    for _ in 0..n {
        let Ok(mut s) = TcpStream::connect(&host) else { continue };
        let head = format!(
            "POST /app HTTP/1.1\r\nhost: {host}\r\nauthorization: Bearer not-{}\r\ncontent-type: application/x-ndjson\r\ncontent-length: 1000000\r\n\r\n{{",
            a.token
        );
        if s.write_all(head.as_bytes()).is_ok() {
            conns.push(s);
        }
    }
    conns
        .iter_mut()
        .map(|s| {
            let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
            let mut reply = [0u8; 12];
            match s.read_exact(&mut reply) {
                Ok(()) => String::from_utf8_lossy(&reply[9..12]).into_owned(),
                Err(e) => format!("no answer ({})", e.kind()),
            }
        })
        .collect()
}

/// Connections that open HTTP/2 with prior knowledge (the preface and an empty SETTINGS frame)
/// and then send nothing: each must be closed, not hold a connection permit.
fn idle_http2(a: &Args, n: usize) -> Vec<String> {
    let host = a.url.trim_start_matches("http://").to_string();
    let mut conns: Vec<TcpStream> = (0..n)
        .filter_map(|_| TcpStream::connect(&host).ok())
        .filter_map(|mut s| {
            s.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").ok()?;
            s.write_all(&[0, 0, 0, 4, 0, 0, 0, 0, 0]).ok()?;
            Some(s)
        })
        .collect();
    conns
        .iter_mut()
        .map(|s| {
            let _ = s.set_read_timeout(Some(Duration::from_secs(15)));
            let mut sink = Vec::new();
            match s.read_to_end(&mut sink) {
                Ok(_) => "closed".to_string(),
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => "closed".to_string(),
                Err(e) => format!("still open ({})", e.kind()),
            }
        })
        .collect()
}

/// Requests that declare a body over `max_body` (to `/app` with a wrong token, to a vercel
/// source, and to no source) and send one byte: half declare 21 MiB (within the discard range:
/// the server throws the body away as it comes, reserving nothing and holding no delivery slot,
/// so they are still reading after 5 s), half 1 GiB (answered from the head at once, closed).
fn declared_over_max(a: &Args, n: usize) -> Vec<String> {
    let host = a.url.trim_start_matches("http://").to_string();
    let paths = ["/app", "/vercel", "/nowhere"];
    let mut conns: Vec<(TcpStream, bool)> = (0..n)
        .filter_map(|i| {
            let mut s = TcpStream::connect(&host).ok()?;
            let near = i % 2 == 0;
            let head = format!(
                "POST {} HTTP/1.1\r\nhost: {host}\r\nauthorization: Bearer not-{}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n[",
                paths[i % paths.len()],
                a.token,
                if near { 22_020_096u64 } else { 1 << 30 }
            );
            s.write_all(head.as_bytes()).ok()?;
            Some((s, near))
        })
        .collect();
    std::thread::sleep(Duration::from_secs(5));
    conns
        .iter_mut()
        .map(|(s, near)| {
            let _ = s.set_read_timeout(Some(Duration::from_millis(if *near { 50 } else { 5000 })));
            let mut reply = Vec::new();
            let _ = s.read_to_end(&mut reply);
            let status = String::from_utf8_lossy(reply.get(9..12).unwrap_or_default()).into_owned();
            match (status.is_empty(), *near) {
                (true, true) => "21 MiB: being thrown away".to_string(),
                (true, false) => "1 GiB: no answer".to_string(),
                (false, true) => format!("21 MiB: {status}"),
                (false, false) => format!("1 GiB: {status}"),
            }
        })
        .collect()
}

/// Uploads to a vercel source (the signature is over the body, so the sender is unknown until it
/// arrives) that declare 20 MiB and send one byte: at most `max_unauthenticated` are read at once
/// (the rest 503), and each reserves what it sent, not what it declared. Held 5 s.
fn unsigned_uploads(a: &Args, n: usize) -> Vec<String> {
    let host = a.url.trim_start_matches("http://").to_string();
    let mut conns: Vec<TcpStream> = (0..n)
        .filter_map(|_| {
            let mut s = TcpStream::connect(&host).ok()?;
            let head = format!(
                "POST /vercel HTTP/1.1\r\nhost: {host}\r\nx-vercel-signature: {}\r\ncontent-type: application/json\r\ncontent-length: 20971000\r\n\r\n[",
                "00".repeat(20)
            );
            s.write_all(head.as_bytes()).ok()?;
            Some(s)
        })
        .collect();
    std::thread::sleep(Duration::from_secs(5));
    conns
        .iter_mut()
        .map(|s| {
            let _ = s.set_read_timeout(Some(Duration::from_millis(50)));
            let mut reply = [0u8; 12];
            match s.read_exact(&mut reply) {
                Ok(()) => String::from_utf8_lossy(&reply[9..12]).into_owned(),
                Err(_) => "reading".to_string(),
            }
        })
        .collect()
}

/// Connections that send their request head one byte every 500 ms: each must be closed by the
/// header timeout.
fn slow_headers(a: &Args, n: usize, how_long: Duration) -> Vec<String> {
    let host = a.url.trim_start_matches("http://").to_string();
    let head = format!("POST /app HTTP/1.1\r\nhost: {host}\r\nx-padding: {}", "p".repeat(200));
    let mut conns: Vec<(TcpStream, usize)> = (0..n)
        .filter_map(|_| TcpStream::connect(&host).ok())
        .map(|s| (s, 0))
        .collect();
    let start = Instant::now();
    while start.elapsed() < how_long && !conns.is_empty() {
        conns.retain_mut(|(s, at)| {
            let ok = s
                .write_all(&head.as_bytes()[*at % head.len()..*at % head.len() + 1])
                .is_ok();
            *at += 1;
            ok
        });
        std::thread::sleep(Duration::from_millis(500));
    }
    vec![format!(
        "{} of {n} still open after {} s",
        conns.len(),
        how_long.as_secs()
    )]
}

fn gzip(data: &[u8]) -> Result<Vec<u8>> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(data)?;
    Ok(enc.finish()?)
}

fn ndjson(size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(size + 200);
    let mut i = 0u64;
    while out.len() < size {
        writeln!(
            out,
            "{{\"message\":\"abuse line {i} with some padding to look like a log line\",\"level\":\"info\",\"n\":{i}}}"
        )
        .expect("vec write");
        i += 1;
    }
    let cut = out[..size].iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    out.truncate(cut);
    out
}

fn gzip_zeros(n: usize) -> Result<Vec<u8>> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..n / zeros.len() {
        enc.write_all(&zeros)?;
    }
    Ok(enc.finish()?)
}

fn rss_mib(pid: u32, field: &str) -> Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kib: f64 = status
        .lines()
        .find_map(|l| {
            l.strip_prefix(field)?
                .trim_start_matches(':')
                .trim()
                .strip_suffix(" kB")?
                .parse()
                .ok()
        })
        .with_context(|| format!("no {field} in /proc/{pid}/status"))?;
    Ok(kib / 1024.0)
}

fn count(answers: Vec<String>) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for a in answers {
        *m.entry(a).or_default() += 1;
    }
    m
}

fn summary(m: &BTreeMap<String, usize>) -> String {
    m.iter()
        .map(|(k, n)| format!("{n}× {k}"))
        .collect::<Vec<_>>()
        .join(", ")
}
