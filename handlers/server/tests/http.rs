//! The server over real TCP: limits while streaming, storage failure, concurrency, shutdown.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use drain_core::Config;
use drain_server::{AppState, FolderOrBucket, Settings};

const CONFIG: &str = r#"
[limits]
max_body = 1048576
max_decompressed = 4194304

[[source]]
name = "app"
kind = "betterstack"
tokens = ["t0ken"]

[[source]]
name = "v"
kind = "vercel"
secrets = ["s3cret"]
verify = "v3rify"

[[source]]
name = "o"
kind = "otlp"
auth = { bearer = "0tel" }

[[source]]
name = "nf"
kind = "northflank"
auth = { bearer = "nf-t0ken" }

[[source]]
name = "lp"
kind = "logplex"
auth = { basic = { username = "u", password = "p" } }
"#;

struct Server {
    addr: SocketAddr,
    state: std::sync::Arc<AppState>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    done: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    fn start(data: &Path, settings: Settings) -> Self {
        let config = Config::parse(CONFIG, &|_| None).unwrap();
        // As `drain serve` opens it: the folder's IO on the blocking pool.
        let folder = drain_server::store::serving_folder(data);
        let state = AppState::new(config, FolderOrBucket::Left(folder), settings);
        let kept = std::sync::Arc::clone(&state);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let done = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                drain_server::serve(listener, state, async {
                    let _ = rx.await;
                })
                .await;
            });
        });
        Server {
            addr: addr_rx.recv().unwrap(),
            state: kept,
            stop: Some(tx),
            done: Some(done),
        }
    }

    fn shutdown(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(done) = self.done.take() {
            done.join().unwrap();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn post(addr: SocketAddr, body: &[u8]) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut resp = agent
        .post(format!("http://{addr}/app"))
        .header("authorization", "Bearer t0ken")
        .header("content-type", "application/json")
        .send(body)
        .unwrap();
    (resp.status().as_u16(), resp.body_mut().read_to_string().unwrap())
}

/// Writes a raw request head, then the body in pieces; gives the status line's code.
fn raw(addr: SocketAddr, head: &str, pieces: &mut dyn FnMut(&mut TcpStream) -> std::io::Result<()>) -> u16 {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    let _ = pieces(&mut s);
    let mut buf = [0u8; 512];
    let n = s.read(&mut buf).unwrap_or(0);
    let text = String::from_utf8_lossy(&buf[..n]);
    text.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0)
}

fn objects(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn chunked_body_over_the_limit_is_cut_while_streaming() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), Settings::default());
    let head = "POST /app HTTP/1.1\r\nhost: x\r\nauthorization: Bearer t0ken\r\ncontent-type: application/x-ndjson\r\ntransfer-encoding: chunked\r\n\r\n";
    let line =
        b"{\"message\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}\n".repeat(800);
    let status = raw(server.addr, head, &mut |s| {
        for _ in 0..30 {
            // 30 chunks of ~66 KB: 2 MB in all, twice the limit, with no Content-Length.
            write!(s, "{:x}\r\n", line.len())?;
            s.write_all(&line)?;
            s.write_all(b"\r\n")?;
        }
        s.write_all(b"0\r\n\r\n")
    });
    assert_eq!(status, 413);
    assert!(objects(dir.path()).is_empty(), "nothing stored");
}

#[test]
fn huge_declared_body_is_refused_without_reading_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), Settings::default());
    let head = "POST /app HTTP/1.1\r\nhost: x\r\nauthorization: Bearer t0ken\r\ncontent-length: 1073741824\r\n\r\n";
    // A 1 GB upload: the answer comes after the first bytes, not after a gigabyte.
    let status = raw(server.addr, head, &mut |s| s.write_all(&[b'x'; 1024]));
    assert_eq!(status, 413);
    assert!(objects(dir.path()).is_empty());
}

#[test]
fn storage_failure_answers_503_leaves_nothing_visible_and_the_retry_stores_once() {
    let dir = tempfile::tempdir().unwrap();
    // A file where the data folder should be: every write fails (root ignores read-only modes).
    let blocked = dir.path().join("data");
    std::fs::write(&blocked, b"not a folder").unwrap();
    let server = Server::start(&blocked, Settings::default());
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let resp = agent
        .post(format!("http://{}/app", server.addr))
        .header("authorization", "Bearer t0ken")
        .send(&br#"{"message":"m","dt":"2026-11-22T10:00:00Z"}"#[..])
        .unwrap();
    assert_eq!(resp.status().as_u16(), 503);
    assert_eq!(
        resp.headers().get("retry-after").map(|v| v.to_str().unwrap()),
        Some("5")
    );
    assert_eq!(objects(dir.path()), vec![blocked.clone()], "only the blocking file");
    // The sender retries once the folder can be written: stored, once.
    std::fs::remove_file(&blocked).unwrap();
    std::fs::create_dir(&blocked).unwrap();
    let retried = agent
        .post(format!("http://{}/app", server.addr))
        .header("authorization", "Bearer t0ken")
        .send(&br#"{"message":"m","dt":"2026-11-22T10:00:00Z"}"#[..])
        .unwrap();
    assert_eq!(retried.status().as_u16(), 202);
    assert_eq!(objects(&blocked).len(), 1, "the retry stored one object");
}

#[test]
fn retried_delivery_is_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), Settings::default());
    let body = br#"[{"message":"a","dt":"2026-11-22T10:00:00Z"},{"message":"b","dt":"2026-11-22T11:00:00Z"}]"#;
    assert_eq!(post(server.addr, body).0, 202);
    assert_eq!(post(server.addr, body).0, 202);
    let found = objects(dir.path());
    assert_eq!(
        found.len(),
        2,
        "one object per hour, not duplicated by the retry: {found:?}"
    );
    assert!(
        found
            .iter()
            .all(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.')),
        "no temp file left"
    );
}

#[test]
fn concurrent_deliveries_are_all_stored() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), Settings::default());
    let addr = server.addr;
    let threads: Vec<_> = (0..16)
        .map(|t| {
            std::thread::spawn(move || {
                (0..10)
                    .map(|i| {
                        post(
                            addr,
                            format!(r#"{{"message":"t{t} i{i}","dt":"2026-11-22T10:00:00Z"}}"#).as_bytes(),
                        )
                        .0
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let statuses: Vec<u16> = threads.into_iter().flat_map(|t| t.join().unwrap()).collect();
    assert_eq!(statuses, vec![202; 160]);
    assert_eq!(objects(dir.path()).len(), 160);
}

#[test]
fn over_the_concurrency_limit_answers_503_not_oom() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        Settings {
            max_concurrent: 1,
            ..Settings::default()
        },
    );
    // Hold the only slot with an upload that hasn't finished.
    let head = "POST /app HTTP/1.1\r\nhost: x\r\nauthorization: Bearer t0ken\r\ncontent-length: 100\r\n\r\n";
    let mut slow = TcpStream::connect(server.addr).unwrap();
    slow.write_all(head.as_bytes()).unwrap();
    slow.write_all(b"[{\"message\":").unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let (status, _) = post(server.addr, br#"{"message":"m"}"#);
    assert_eq!(status, 503);
    drop(slow);
}

#[test]
fn past_the_body_memory_budget_answers_503() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        Settings {
            max_buffered: 256 << 10,
            ..Settings::default()
        },
    );
    // Slow uploads that declared small bodies hold a little of the budget each, no more, so
    // another sender still fits.
    let mut slow: Vec<TcpStream> = (0..8)
        .map(|_| {
            let mut s = TcpStream::connect(server.addr).unwrap();
            let head = "POST /app HTTP/1.1\r\nhost: x\r\nauthorization: Bearer t0ken\r\ncontent-length: 100\r\n\r\n[";
            s.write_all(head.as_bytes()).unwrap();
            s
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let (status, _) = post(server.addr, br#"{"message":"still served"}"#);
    assert_eq!(status, 202);
    // A declared body larger than what is left of the budget: 503 before any of it is read.
    let big = format!("[{}]", vec![r#"{"message":"x"}"#; 20_000].join(","));
    let head = format!(
        "POST /app HTTP/1.1\r\nhost: x\r\nauthorization: Bearer t0ken\r\ncontent-length: {}\r\n\r\n",
        big.len()
    );
    let status = raw(server.addr, &head, &mut |s| s.write_all(big.as_bytes()));
    assert_eq!(status, 503);
    assert_eq!(objects(dir.path()).len(), 1);
    slow.clear();
}

#[test]
fn graceful_shutdown_finishes_the_delivery_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), Settings::default());
    let body = br#"{"message":"in flight","dt":"2026-11-22T10:00:00Z"}"#;
    let head = format!(
        "POST /app HTTP/1.1\r\nhost: x\r\nauthorization: Bearer t0ken\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let mut s = TcpStream::connect(server.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(&body[..10]).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let stop = server.stop.take().unwrap();
    stop.send(()).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    s.write_all(&body[10..]).unwrap();
    let mut reply = String::new();
    s.read_to_string(&mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 202"), "{reply}");
    server.shutdown();
    assert_eq!(objects(dir.path()).len(), 1);
    assert!(TcpStream::connect(server.addr).is_err(), "no longer listening");
}

/// Issue 12, item 8: a body that doesn't arrive within the read timeout was a 408, which makes
/// Logplex drop the frames; it is the source's 503 with `Retry-After`.
#[test]
fn regression_read_timeout_is_503_with_retry_after_not_408() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        Settings {
            read_timeout: Duration::from_millis(300),
            ..Settings::default()
        },
    );
    let head = "POST /app HTTP/1.1\r\nhost: x\r\nauthorization: Bearer t0ken\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n";
    let mut s = TcpStream::connect(server.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(b"[{\"message\":").unwrap();
    let mut buf = [0u8; 1024];
    let n = s.read(&mut buf).unwrap_or(0);
    let answer = String::from_utf8_lossy(&buf[..n]).to_ascii_lowercase();
    assert!(answer.starts_with("http/1.1 503"), "{answer}");
    assert!(answer.contains("retry-after:"), "{answer}");
    assert!(objects(dir.path()).is_empty());
}

/// Issue 12, item 7: the body was read before auth, so unauthenticated slow uploads held every
/// delivery slot (and their bytes the memory budget) until the read timeout. The head is now
/// decided first: they are answered at once and hold nothing.
#[test]
fn regression_unauthenticated_slow_uploads_hold_no_slot() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        Settings {
            max_concurrent: 4,
            ..Settings::default()
        },
    );
    let statuses: Vec<u16> = (0..8)
        .map(|_| {
            let head = "POST /app HTTP/1.1\r\nhost: x\r\nauthorization: Bearer wrong\r\ncontent-length: 100000\r\n\r\n";
            // One byte of body and then nothing: the answer must come without the rest.
            raw(server.addr, head, &mut |s| s.write_all(b"["))
        })
        .collect();
    assert_eq!(statuses, vec![403; 8]);
    let mut held: Vec<TcpStream> = (0..8)
        .map(|_| {
            let mut s = TcpStream::connect(server.addr).unwrap();
            let head =
                "POST /app HTTP/1.1\r\nhost: x\r\nauthorization: Bearer wrong\r\ncontent-length: 100000\r\n\r\n[";
            s.write_all(head.as_bytes()).unwrap();
            s
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let (status, _) = post(server.addr, br#"{"message":"still served"}"#);
    assert_eq!(status, 202, "eight unauthenticated uploads in progress, four slots");
    held.clear();
    assert_eq!(objects(dir.path()).len(), 1);
}

/// Issue 12, item 7: there was no limit on the time to send a request's head, so a sender
/// trickling header bytes held a connection (and a task) forever.
#[test]
fn regression_slow_headers_are_cut_at_the_header_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        Settings {
            header_timeout: Duration::from_millis(500),
            ..Settings::default()
        },
    );
    let mut s = TcpStream::connect(server.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(b"POST /app HTTP/1.1\r\nhost: x\r\n").unwrap();
    let started = std::time::Instant::now();
    let mut buf = [0u8; 256];
    // The server closes the connection (read gives 0 or an error) instead of waiting forever.
    let n = s.read(&mut buf).unwrap_or(0);
    let waited = started.elapsed();
    let answer = String::from_utf8_lossy(&buf[..n]).to_string();
    assert!(n == 0 || answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(waited < Duration::from_secs(9), "closed after {waited:?}");
}

/// Past `max_connections`, a new connection waits in the backlog until one closes.
#[test]
fn connections_past_the_cap_wait_for_a_free_one() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        Settings {
            max_connections: 2,
            ..Settings::default()
        },
    );
    let idle: Vec<TcpStream> = (0..2).map(|_| TcpStream::connect(server.addr).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(200));
    let waiting = std::thread::spawn({
        let addr = server.addr;
        move || post(addr, br#"{"message":"after the others"}"#).0
    });
    std::thread::sleep(Duration::from_millis(500));
    assert!(!waiting.is_finished(), "served past the connection cap");
    drop(idle);
    assert_eq!(waiting.join().unwrap(), 202);
}

/// Reads what the server sends until it closes the connection (or `within` passes): the answer,
/// and whether it closed.
fn answer_and_close(s: &mut TcpStream, within: Duration) -> (String, bool) {
    s.set_read_timeout(Some(within)).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return (String::from_utf8_lossy(&got).into_owned(), true),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                return (String::from_utf8_lossy(&got).into_owned(), true)
            }
            Err(_) => return (String::from_utf8_lossy(&got).into_owned(), false),
        }
    }
}

/// Issue 35, item 4: an HTTP/2 (h2c, prior knowledge) connection that sent its preface and an
/// empty SETTINGS frame, then nothing, held a connection permit for good; 20 of them and
/// `GET /healthz` got no answer. The server speaks HTTP/1 only: such a connection is closed,
/// and a well-behaved sender is served throughout.
#[test]
fn regression_idle_http2_connections_hold_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        Settings {
            max_connections: 4,
            header_timeout: Duration::from_secs(2),
            ..Settings::default()
        },
    );
    let mut idle: Vec<TcpStream> = (0..8)
        .map(|_| {
            let mut s = TcpStream::connect(server.addr).unwrap();
            s.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").unwrap();
            // An empty SETTINGS frame: length 0, type 4, flags 0, stream 0.
            s.write_all(&[0, 0, 0, 4, 0, 0, 0, 0, 0]).unwrap();
            s
        })
        .collect();
    for s in &mut idle[..4] {
        let (_, closed) = answer_and_close(s, Duration::from_secs(5));
        assert!(closed, "an idle HTTP/2 connection was kept open");
    }
    let (status, _) = post(server.addr, br#"{"message":"still served"}"#);
    assert_eq!(status, 202);
    drop(idle);
}

/// Issue 35, item 5: a declared length over `max_body` skipped the head's checks and reserved
/// `max_body` of the budget until the read timeout, only to answer the 413 the head had decided.
/// It is decided from the head and reserves nothing (read through the budget's own accounting)
/// while the body, which the sender may insist on writing first, is thrown away as it comes; the
/// answer then says `Connection: close`. Past the discard limit it is answered at once. The same
/// on an unknown path (404).
#[test]
fn regression_declared_length_over_max_body_reserves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        Settings {
            read_timeout: Duration::from_secs(30),
            max_concurrent: 2,
            ..Settings::default()
        },
    );
    let free = server.state.gate.buffered_free_kib();
    let declared = 1_048_577;
    let cases = [
        ("/app", "Bearer t0ken", "HTTP/1.1 413"),
        ("/app", "Bearer wrong", "HTTP/1.1 413"),
        ("/v", "Bearer x", "HTTP/1.1 413"),
        ("/nowhere", "Bearer x", "HTTP/1.1 404"),
    ];
    let mut uploads: Vec<TcpStream> = cases
        .iter()
        .map(|(path, auth, _)| {
            let mut s = TcpStream::connect(server.addr).unwrap();
            let head = format!(
                "POST {path} HTTP/1.1\r\nhost: x\r\nauthorization: {auth}\r\ncontent-type: application/json\r\ncontent-length: {declared}\r\n\r\n["
            );
            s.write_all(head.as_bytes()).unwrap();
            s
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        server.state.gate.buffered_free_kib(),
        free,
        "four uploads over max_body reserved budget"
    );
    // Four such uploads in progress, two delivery slots: a well-behaved sender is served.
    assert_eq!(post(server.addr, br#"{"message":"still served"}"#).0, 202);
    for ((path, _, expect), s) in cases.iter().zip(&mut uploads) {
        s.write_all(&vec![b' '; declared - 1]).unwrap();
        let (answer, closed) = answer_and_close(s, Duration::from_secs(5));
        assert!(answer.starts_with(expect), "{path}: {answer}");
        assert!(
            answer.to_ascii_lowercase().contains("connection: close"),
            "{path}: {answer}"
        );
        assert!(closed, "{path}: the connection stays open after a body it did not take");
        if *path == "/v" {
            assert!(answer.contains("x-vercel-verify: v3rify"), "{answer}");
        }
    }
    // Far past the limit: answered without waiting for any of it.
    let mut s = TcpStream::connect(server.addr).unwrap();
    s.write_all(b"POST /app HTTP/1.1\r\nhost: x\r\nauthorization: Bearer t0ken\r\ncontent-length: 1073741824\r\n\r\n")
        .unwrap();
    let (answer, closed) = answer_and_close(&mut s, Duration::from_secs(5));
    assert!(answer.starts_with("HTTP/1.1 413") && closed, "{answer}");
    assert_eq!(server.state.gate.buffered_free_kib(), free);
    assert_eq!(objects(dir.path()).len(), 1);
}

/// Issue 35, item 5: a source that authenticates over the body (vercel) reserved the declared
/// length of any unsigned upload up front, and such uploads could take every delivery slot.
/// Now the budget is reserved as bytes arrive, and at most `max_unauthenticated` such reads run
/// at once (their 503 in the vercel dialect) while other sources are served.
#[test]
fn regression_unsigned_uploads_reserve_as_they_arrive_and_are_capped() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        Settings {
            max_concurrent: 8,
            max_unauthenticated: 2,
            ..Settings::default()
        },
    );
    let free = server.state.gate.buffered_free_kib();
    let held: Vec<TcpStream> = (0..2)
        .map(|_| {
            let mut s = TcpStream::connect(server.addr).unwrap();
            let head = "POST /v HTTP/1.1\r\nhost: x\r\nx-vercel-signature: 00\r\ncontent-length: 1000000\r\n\r\n[";
            s.write_all(head.as_bytes()).unwrap();
            s
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let reserved = free - server.state.gate.buffered_free_kib();
    assert!(reserved <= 2 * 64, "two 1 MB unsigned uploads reserved {reserved} KiB");
    let head = "POST /v HTTP/1.1\r\nhost: x\r\nx-vercel-signature: 00\r\ncontent-length: 1000000\r\n\r\n[";
    let mut third = TcpStream::connect(server.addr).unwrap();
    third.write_all(head.as_bytes()).unwrap();
    let (answer, _) = answer_and_close(&mut third, Duration::from_secs(5));
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("x-vercel-verify: v3rify"), "{answer}");
    assert!(answer.contains("\"code\":\"unavailable\""), "{answer}");
    assert_eq!(post(server.addr, br#"{"message":"still served"}"#).0, 202);
    drop(held);
}

/// A request for the OTLP routes (and the host-root ones, where the token picks the source)
/// answered busy in plain text: the busy path could not find their source. The 503 of a
/// delivery that waited past `decode_wait` is now a `google.rpc.Status` in the request's
/// encoding.
#[test]
fn regression_busy_otlp_answers_in_the_otlp_dialect() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        Settings {
            max_decoding: 1,
            decode_wait: Duration::from_millis(200),
            ..Settings::default()
        },
    );
    // Every decoding slot taken: a compressed delivery waits, then answers 503.
    let _all = server.state.gate.decoding_slots().try_acquire().unwrap();
    let body = {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(br#"{"resourceLogs":[]}"#).unwrap();
        e.finish().unwrap()
    };
    for path in ["/o/v1/logs", "/v1/logs"] {
        let head = format!(
            "POST {path} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer 0tel\r\ncontent-type: application/json\r\ncontent-encoding: gzip\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        );
        let mut s = TcpStream::connect(server.addr).unwrap();
        s.write_all(head.as_bytes()).unwrap();
        s.write_all(&body).unwrap();
        let (answer, _) = answer_and_close(&mut s, Duration::from_secs(5));
        assert!(answer.starts_with("HTTP/1.1 503"), "{path}: {answer}");
        assert!(
            answer.to_ascii_lowercase().contains("retry-after: 5"),
            "{path}: {answer}"
        );
        assert!(
            answer.contains("\"code\":14"),
            "{path}: not a google.rpc.Status: {answer}"
        );
    }
    // Every delivery decodes in a slot: a small plain one waits too, then answers 503 in its
    // own dialect; once the slot is free it is served.
    assert_eq!(post(server.addr, br#"{"message":"waits"}"#).0, 503);
    drop(_all);
    assert_eq!(post(server.addr, br#"{"message":"served"}"#).0, 202);
}

/// A body the server could not read (here a broken chunked encoding) was answered with a plain
/// 400 whatever the source; it is now that source's "can't be decoded" answer.
#[test]
fn regression_unreadable_body_answers_in_the_sources_dialect() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), Settings::default());
    for (path, auth, expect) in [
        ("/v", "x-vercel-signature: 00", "\"code\":\"invalid_body\""),
        ("/o/v1/logs", "authorization: Bearer 0tel", "\"code\":3"),
        ("/app", "authorization: Bearer t0ken", "Couldn't parse JSON content."),
    ] {
        let head = format!(
            "POST {path} HTTP/1.1\r\nhost: x\r\n{auth}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n"
        );
        let mut s = TcpStream::connect(server.addr).unwrap();
        s.write_all(head.as_bytes()).unwrap();
        let (answer, _) = answer_and_close(&mut s, Duration::from_secs(5));
        assert!(answer.contains(expect), "{path}: {answer}");
        let status = answer.split(' ').nth(1).unwrap_or_default();
        assert!(status == "400" || status == "406", "{path}: {answer}");
    }
    assert!(objects(dir.path()).is_empty());
}

/// Issue 35: every answer the server gives for a source is that source's (SPEC section 5),
/// including the ones decided before the core sees a body: busy (no decoding slot within
/// `decode_wait`), over the body budget, the body late, the body broken. Each kind's route, and
/// the OTLP and Better Stack host-root routes (the credential picks the source).
#[test]
fn every_answer_before_the_core_is_in_the_sources_dialect() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        Settings {
            read_timeout: Duration::from_millis(300),
            max_buffered: 64 << 10,
            max_decoding: 1,
            decode_wait: Duration::from_millis(200),
            ..Settings::default()
        },
    );
    // (path, credential header, content type, how the dialect shows)
    let routes = [
        ("/v", "x-vercel-signature: 00", "application/json", "vercel"),
        ("/app", "authorization: Bearer t0ken", "application/json", "text"),
        ("/", "authorization: Bearer t0ken", "application/json", "text"),
        ("/nf", "authorization: Bearer nf-t0ken", "text/plain", "text"),
        ("/lp", "authorization: Basic dTpw", "application/logplex-1", "text"),
        ("/o/v1/logs", "authorization: Bearer 0tel", "application/json", "otlp"),
        ("/v1/traces", "authorization: Bearer 0tel", "application/json", "otlp"),
    ];
    let request = |path: &str, auth: &str, ct: &str, framing: &str, body: &[u8]| {
        let mut s = TcpStream::connect(server.addr).unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n{auth}\r\ncontent-type: {ct}\r\n{framing}\r\n\r\n"
        );
        s.write_all(head.as_bytes()).unwrap();
        let _ = s.write_all(body);
        answer_and_close(&mut s, Duration::from_secs(5)).0
    };
    let big = vec![b' '; 200 << 10];
    for (path, auth, ct, dialect) in routes {
        let mut answers = vec![
            (
                "read timeout",
                503,
                request(path, auth, ct, "content-length: 100", b"["),
            ),
            (
                "body budget",
                503,
                request(path, auth, ct, &format!("content-length: {}", big.len()), &big),
            ),
            (
                "broken body",
                if path.ends_with("app") || path == "/" { 406 } else { 400 },
                request(path, auth, ct, "transfer-encoding: chunked", b"zz\r\n"),
            ),
        ];
        let held = server.state.gate.decoding_slots().try_acquire().unwrap();
        answers.push(("busy", 503, request(path, auth, ct, "content-length: 2", b"{}")));
        drop(held);
        for (case, status, answer) in answers {
            let lower = answer.to_ascii_lowercase();
            assert!(
                answer.starts_with(&format!("HTTP/1.1 {status}")),
                "{path} {case}: {answer}"
            );
            if status == 503 {
                assert!(lower.contains("retry-after: 5"), "{path} {case}: {answer}");
            }
            let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
            match dialect {
                "vercel" => {
                    assert!(body.starts_with("{\"code\":"), "{path} {case}: {answer}");
                    assert!(lower.contains("x-vercel-verify: v3rify"), "{path} {case}: {answer}");
                }
                "otlp" => {
                    let code = if status == 503 { "{\"code\":14," } else { "{\"code\":3," };
                    assert!(body.starts_with(code), "{path} {case}: {answer}");
                }
                _ => assert!(lower.contains("content-type: text/plain"), "{path} {case}: {answer}"),
            }
        }
    }
    assert!(objects(dir.path()).is_empty());
}

/// SPEC version 3, section 2: every kind takes `deflate` (zlib-wrapped or raw) and `zstd` bodies,
/// as the Datadog Agent, Vector and OTLP exporters send them; a stacked coding is a 415.
#[test]
fn deflate_and_zstd_bodies_are_stored() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), Settings::default());
    let body = br#"[{"message":"coded","dt":"2026-11-22T10:00:00Z"}]"#;
    let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    zlib.write_all(body).unwrap();
    let mut raw = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    raw.write_all(body).unwrap();
    let zstd = ruzstd::encoding::compress_to_vec(&body[..], ruzstd::encoding::CompressionLevel::Fastest);
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    for (coding, bytes, status) in [
        ("deflate", zlib.finish().unwrap(), 202),
        ("deflate", raw.finish().unwrap(), 202),
        ("zstd", zstd.clone(), 202),
        ("gzip, zstd", zstd, 415),
    ] {
        let resp = agent
            .post(format!("http://{}/app", server.addr))
            .header("authorization", "Bearer t0ken")
            .header("content-type", "application/json")
            .header("content-encoding", coding)
            .send(&bytes[..])
            .unwrap();
        assert_eq!(resp.status().as_u16(), status, "{coding}");
    }
    // The same events three times over: one retry-safe key, stored once.
    assert_eq!(objects(dir.path()).len(), 1);
}
