//! `drain-conformance --url URL --store dir:PATH [CASES_DIR ...]`: sends every case to a running
//! drain over HTTP, reads what it stored, and prints `N passed, N failed` last. With
//! `--fault-proxy URL`, a case's `fault` is set on `drain-fault-proxy` while it is sent, then
//! cleared, and the same request sent again must meet the case's `then`.
//! `drain-conformance --print-config FILE [MORE…]`: the config (with the sources of MORE added) less the
//! pending cases' sources.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use drain_cases::{check, check_against, load, Reply, Stored};

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("drain-conformance: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<bool> {
    let mut url = None;
    let mut invoke = None;
    let mut store = None;
    let mut proxy = None;
    let mut secrets_log: Option<(PathBuf, PathBuf)> = None;
    let mut delivery_log: Option<(PathBuf, bool)> = None;
    let mut metrics_url: Option<String> = None;
    let mut dirs = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            // The config a platform is started with: the fixture config less the sources of the
            // pending cases (`infra/run/pending.toml`).
            // The first config with the sources of the others added (the team's and drain's
            // own cases), less the pending cases' sources.
            "--print-config" => {
                let texts = args
                    .map(|path| std::fs::read_to_string(&path).with_context(|| format!("reading {path}")))
                    .collect::<Result<Vec<_>>>()?;
                let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
                print!("{}", drain_cases::configs_without_pending(&texts)?);
                return Ok(true);
            }
            "--url" => url = args.next(),
            "--lambda-invoke" => invoke = args.next(),
            "--store" => store = args.next(),
            "--fault-proxy" => proxy = args.next(),
            "--secrets-in-log" => {
                let config = args.next().context("--secrets-in-log CONFIG LOG")?;
                let log = args.next().context("--secrets-in-log CONFIG LOG")?;
                secrets_log = Some((config.into(), log.into()));
            }
            // After the run: every delivery line in LOG has the one schema, and the lines by
            // status are the answers received (`--delivery-log-emf`: Lambda's, with CloudWatch
            // Embedded Metric Format).
            "--delivery-log" | "--delivery-log-emf" => {
                let log = args.next().context("--delivery-log LOG")?;
                delivery_log = Some((log.into(), a == "--delivery-log-emf"));
            }
            // After the run: the server's drain_deliveries_total by status equals the answers.
            "--metrics" => metrics_url = args.next(),
            _ if a.starts_with("--") => bail!("unknown option {a}"),
            _ => dirs.push(PathBuf::from(a)),
        }
    }
    let target = match (url, invoke) {
        (Some(u), None) => Target::Http(u),
        (None, Some(i)) => Target::LambdaInvoke(i),
        _ => bail!("give one of --url URL or --lambda-invoke URL"),
    };
    let store = Store::parse(&store.context("--store is required")?)?;
    let cases = load(&dirs)?;
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let (mut passed, mut failed) = (0, 0);
    let tally = std::cell::RefCell::new(drain_cases::observe::Tally::new());
    for case in &cases {
        let before = store.list()?;
        let send_once = || {
            match &target {
                Target::Http(url) => send(&agent, url, case),
                Target::LambdaInvoke(url) => invoke_function_url(&agent, url, case),
            }
            // A health check is answered but neither logged nor counted.
            .inspect(|reply| {
                if case.path.split('?').next() != Some("/healthz") {
                    *tally.borrow_mut().entry(reply.status).or_default() += 1;
                }
            })
            .with_context(|| format!("sending {}", case.name))
        };
        let created_since = |before: &BTreeMap<String, Vec<u8>>| -> Result<Vec<Stored>> {
            Ok(store
                .list()?
                .into_iter()
                .filter(|(k, _)| !before.contains_key(k))
                .map(|(key, bytes)| Stored { key, bytes })
                .collect())
        };
        let mut problems = Vec::new();
        match (&case.fault, &proxy) {
            (None, _) => {
                let mut replies = Vec::with_capacity(case.repeat);
                for n in 0..case.repeat {
                    if n > 0 {
                        std::thread::sleep(std::time::Duration::from_millis(case.repeat_delay_ms));
                    }
                    replies.push(send_once()?);
                }
                problems = check(case, &replies, &created_since(&before)?);
            }
            (Some(fault), Some(proxy)) => {
                control(&agent, proxy, "POST", fault)?;
                let faulted = send_once();
                control(&agent, proxy, "POST", "none")?;
                let faulted = faulted?;
                // Whatever the faulted attempt left visible is checked whole (no partial object).
                for p in check(case, std::slice::from_ref(&faulted), &created_since(&before)?) {
                    problems.push(format!("during the fault: {p}"));
                }
                // Writes held by the fault land (or not) before the retry.
                control(&agent, proxy, "GET", "")?;
                let retried = send_once()?;
                let then = case.then.as_ref().context("a fault case needs `then`")?;
                for p in check_against(then, std::slice::from_ref(&retried), &created_since(&before)?) {
                    problems.push(format!("after the retry: {p}"));
                }
            }
            (Some(_), None) => bail!("{} injects a fault: give --fault-proxy URL", case.name),
        }
        if problems.is_empty() {
            passed += 1;
            println!("ok   {}", case.name);
        } else {
            failed += 1;
            println!("FAIL {} ({})\n  {}", case.name, case.about, problems.join("\n  "));
        }
    }
    if let Some((config, log)) = &secrets_log {
        match secrets_absent(&cases, config, log, &store) {
            Ok(n) => {
                passed += 1;
                println!(
                    "ok   no secret in the log: none of {n} credential values appears in {}, nor in what keep_refused kept",
                    log.display()
                );
            }
            Err(e) => {
                failed += 1;
                println!("FAIL secrets in the log: {e}");
            }
        }
    }
    let tally = tally.into_inner();
    if let Some((log, emf)) = &delivery_log {
        // The platform may write its last lines a moment after answering.
        let mut outcome = Err(String::new());
        for _ in 0..50 {
            let text = std::fs::read_to_string(log).with_context(|| format!("reading {}", log.display()))?;
            outcome = drain_cases::observe::check_log(&text, &tally, *emf);
            if outcome.is_ok() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        match outcome {
            Ok(n) => {
                passed += 1;
                println!(
                    "ok   {n} delivery log lines, one schema, one per answer ({})",
                    log.display()
                );
            }
            Err(e) => {
                failed += 1;
                println!("FAIL delivery log lines: {e}");
            }
        }
    }
    if let Some(url) = &metrics_url {
        let text = agent
            .get(url)
            .call()
            .with_context(|| format!("scraping {url}"))?
            .body_mut()
            .read_to_string()?;
        match drain_cases::observe::check_metrics(&text, &tally) {
            Ok(n) => {
                passed += 1;
                println!("ok   drain_deliveries_total counts the {n} answers received ({url})");
            }
            Err(e) => {
                failed += 1;
                println!("FAIL metrics: {e}");
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    Ok(failed == 0)
}

/// Every credential of the config (`secrets`, `tokens`, `password`, `bearer`) and every
/// `Authorization` value the cases sent (whole, its credential, and that decoded from base64):
/// none may appear in the platform's log. Values under 6 characters are skipped (they would
/// match by chance).
fn secrets_absent(cases: &[drain_cases::Case], config: &Path, log: &Path, store: &Store) -> Result<usize> {
    use base64::Engine;
    fn collect(v: &toml::Value, key: &str, out: &mut Vec<String>) {
        match v {
            toml::Value::String(s) if ["secrets", "tokens", "password", "bearer"].contains(&key) => out.push(s.clone()),
            toml::Value::Array(a) => a.iter().for_each(|x| collect(x, key, out)),
            toml::Value::Table(t) => {
                if let (Some(user), Some(pass)) = (
                    t.get("username").and_then(|u| u.as_str()),
                    t.get("password").and_then(|p| p.as_str()),
                ) {
                    out.push(base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}")));
                }
                t.iter().for_each(|(k, x)| collect(x, k, out))
            }
            _ => {}
        }
    }
    let mut values = Vec::new();
    collect(
        &toml::from_str::<toml::Value>(&std::fs::read_to_string(config)?)?,
        "",
        &mut values,
    );
    let encoded: Vec<String> = values
        .iter()
        .map(|v| base64::engine::general_purpose::STANDARD.encode(v))
        .collect();
    values.extend(encoded);
    for case in cases {
        for (k, v) in &case.headers {
            if k.eq_ignore_ascii_case("authorization") {
                values.push(v.clone());
                if let Some((_, cred)) = v.split_once(' ') {
                    values.push(cred.trim().to_string());
                    if let Ok(plain) = base64::engine::general_purpose::STANDARD.decode(cred.trim()) {
                        let plain = String::from_utf8_lossy(&plain).into_owned();
                        values.extend(plain.split_once(':').map(|(_, pass)| pass.to_string()));
                        values.push(plain);
                    }
                }
            }
        }
    }
    values.retain(|v| v.len() >= 6);
    values.sort();
    values.dedup();
    let mut text = std::fs::read_to_string(log).with_context(|| format!("reading {}", log.display()))?;
    if text.trim().is_empty() {
        bail!("{} is empty: nothing was checked", log.display());
    }
    // What a source with keep_refused kept of the deliveries it refused: checked as the log is.
    let mut kept = 0;
    for (key, bytes) in store.list()? {
        if key.starts_with(drain_layout::REFUSED) {
            let mut plain = String::new();
            std::io::Read::read_to_string(&mut flate2::read::MultiGzDecoder::new(&bytes[..]), &mut plain)
                .with_context(|| format!("{key} is not gzip text"))?;
            text.push_str(&plain);
            kept += 1;
        }
    }
    if kept == 0 && cases.iter().any(|c| c.name.contains("keep-refused")) {
        bail!("no refused delivery was kept, though a case keeps one: nothing of them was checked");
    }
    let found: Vec<String> = values
        .iter()
        .filter(|v| text.contains(v.as_str()))
        .map(|v| format!("{}…", &v[..3]))
        .collect();
    if !found.is_empty() {
        bail!(
            "{} credential values appear in {} (first characters: {found:?})",
            found.len(),
            log.display()
        );
    }
    Ok(values.len())
}

/// `POST URL/__fault` with the fault, or `GET URL/__fault/settle`.
fn control(agent: &ureq::Agent, proxy: &str, method: &str, fault: &str) -> Result<()> {
    let url = proxy.trim_end_matches('/');
    let mut resp = if method == "POST" {
        agent.post(format!("{url}/__fault")).send(fault.as_bytes())?
    } else {
        agent.get(format!("{url}/__fault/settle")).call()?
    };
    if resp.status().as_u16() != 200 {
        bail!("fault proxy: {} {}", resp.status(), resp.body_mut().read_to_string()?);
    }
    Ok(())
}

/// How cases reach the platform.
enum Target {
    /// Plain HTTP to a base URL.
    Http(String),
    /// The Lambda Invoke API (`…/2015-03-31/functions/NAME/invocations`) with the event a
    /// function URL would build: see `function_url_event`.
    LambdaInvoke(String),
}

/// The function URL event (payload format 2.0) AWS builds for a request: the body base64-encoded
/// whenever it is compressed, not text, or not UTF-8. (`cargo lambda watch`'s own function URL
/// emulation answers 500 for gzip bodies sent as `application/json`, so the runner builds the
/// event itself.)
fn function_url_event(case: &drain_cases::Case) -> serde_json::Value {
    use base64::Engine;
    let (path, query) = case.path.split_once('?').unwrap_or((&case.path, ""));
    let mut headers = serde_json::Map::new();
    for (k, v) in &case.headers {
        let k = k.to_ascii_lowercase();
        let joined = match headers.get(&k).and_then(|x| x.as_str()) {
            Some(prev) => format!("{prev},{v}"),
            None => v.clone(),
        };
        headers.insert(k, joined.into());
    }
    let header = |name: &str| {
        case.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let texty =
        header("content-type").is_none_or(|t| t.starts_with("text/") || t.contains("json") || t.contains("xml"));
    let (body, encoded) = match &case.body {
        None => (serde_json::Value::Null, false),
        Some(b) => match std::str::from_utf8(b) {
            Ok(text) if texty && header("content-encoding").is_none() => (text.into(), false),
            _ => (base64::engine::general_purpose::STANDARD.encode(b).into(), true),
        },
    };
    serde_json::json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "drain-conformance",
            "domainName": "drain-conformance.lambda-url.us-east-1.on.aws",
            "domainPrefix": "drain-conformance",
            "http": { "method": case.method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "drain-conformance" },
            "requestId": format!("conformance-{}", case.name),
            "routeKey": "$default",
            "stage": "$default",
            "time": "22/Nov/2026:12:00:00 +0000",
            "timeEpoch": 1_795_348_800_000u64
        },
        "body": body,
        "isBase64Encoded": encoded
    })
}

fn invoke_function_url(agent: &ureq::Agent, url: &str, case: &drain_cases::Case) -> Result<Reply> {
    use base64::Engine;
    let event = function_url_event(case).to_string();
    let mut resp = agent
        .post(url)
        .header("content-type", "application/json")
        .send(event.as_bytes())?;
    let out: serde_json::Value = serde_json::from_slice(&resp.body_mut().with_config().limit(64 << 20).read_to_vec()?)?;
    if resp.status().as_u16() != 200 {
        bail!("invoke answered {}: {out}", resp.status());
    }
    let status = out["statusCode"]
        .as_u64()
        .context("no statusCode in the function's answer")? as u16;
    let mut headers = Vec::new();
    if let Some(h) = out["headers"].as_object() {
        for (k, v) in h {
            headers.push((k.to_ascii_lowercase(), v.as_str().unwrap_or_default().to_string()));
        }
    }
    let body = match out["body"].as_str() {
        None => Vec::new(),
        Some(b) if out["isBase64Encoded"].as_bool() == Some(true) => {
            base64::engine::general_purpose::STANDARD.decode(b)?
        }
        Some(b) => b.as_bytes().to_vec(),
    };
    Ok(Reply { status, headers, body })
}

fn send(agent: &ureq::Agent, url: &str, case: &drain_cases::Case) -> Result<Reply> {
    let mut builder = http::Request::builder().method(case.method.as_str()).uri(format!(
        "{}{}",
        url.trim_end_matches('/'),
        case.path
    ));
    for (k, v) in &case.headers {
        builder = builder.header(k, v);
    }
    let mut resp = match &case.body {
        Some(body) => agent.run(builder.body(body.clone())?)?,
        None => agent.run(builder.body(())?)?,
    };
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = resp.body_mut().with_config().limit(64 << 20).read_to_vec()?;
    Ok(Reply { status, headers, body })
}

/// Where to read the objects back from.
enum Store {
    Dir(PathBuf),
    /// A local R2 bucket read back through the test-only reader Worker (`infra/run/r2-reader`).
    R2Http {
        url: String,
        agent: ureq::Agent,
    },
    /// A bucket, through the S3 API (endpoint and credentials from the AWS environment).
    S3 {
        bucket: String,
        client: aws_sdk_s3::Client,
        rt: tokio::runtime::Runtime,
    },
}

impl Store {
    fn parse(s: &str) -> Result<Self> {
        match s.split_once(':') {
            Some(("dir", path)) => Ok(Store::Dir(PathBuf::from(path))),
            Some(("s3", bucket)) => {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
                let sdk = rt.block_on(aws_config::load_from_env());
                let conf = aws_sdk_s3::config::Builder::from(&sdk).force_path_style(true).build();
                Ok(Store::S3 {
                    bucket: bucket.to_string(),
                    client: aws_sdk_s3::Client::from_conf(conf),
                    rt,
                })
            }
            Some(("r2http", url)) => {
                let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
                Ok(Store::R2Http {
                    url: url.trim_end_matches('/').to_string(),
                    agent,
                })
            }
            _ => bail!("--store takes dir:PATH, s3:BUCKET or r2http:URL"),
        }
    }

    fn list(&self) -> Result<BTreeMap<String, Vec<u8>>> {
        let mut out = BTreeMap::new();
        match self {
            Store::Dir(root) => walk(root, root, &mut out)?,
            Store::R2Http { url, agent } => {
                let keys: Vec<String> =
                    serde_json::from_slice(&agent.get(format!("{url}/__r2/list")).call()?.body_mut().read_to_vec()?)?;
                for key in keys {
                    let mut got = agent.get(format!("{url}/__r2/get?key={}", percent(&key))).call()?;
                    let header = |n: &str| {
                        got.headers()
                            .get(n)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_string()
                    };
                    let (ctype, cenc) = (header("x-stored-content-type"), header("x-stored-content-encoding"));
                    if got.status().as_u16() != 200 || !cenc.is_empty() || ctype != "application/gzip" {
                        bail!(
                            "{key}: status {}, stored with content-type {ctype:?}, content-encoding {cenc:?}",
                            got.status()
                        );
                    }
                    out.insert(key, got.body_mut().with_config().limit(64 << 20).read_to_vec()?);
                }
            }
            Store::S3 { bucket, client, rt } => rt.block_on(async {
                let mut pages = client.list_objects_v2().bucket(bucket).into_paginator().send();
                while let Some(page) = pages.next().await {
                    for o in page?.contents() {
                        let key = o.key().unwrap_or_default().to_string();
                        let got = client.get_object().bucket(bucket).key(&key).send().await?;
                        if got.content_encoding().is_some_and(|e| !e.is_empty())
                            || got.content_type() != Some("application/gzip")
                        {
                            bail!(
                                "{key}: stored with content-type {:?}, content-encoding {:?}",
                                got.content_type(),
                                got.content_encoding()
                            );
                        }
                        out.insert(key, got.body.collect().await?.to_vec());
                    }
                }
                Ok::<_, anyhow::Error>(())
            })?,
        }
        Ok(out)
    }
}

fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) -> Result<()> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries {
        let path = entry?.path();
        if path.is_dir() {
            walk(root, &path, out)?;
        } else if !path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')) {
            let key = path.strip_prefix(root)?.to_string_lossy().replace('\\', "/");
            out.insert(key, std::fs::read(&path)?);
        }
    }
    Ok(())
}
