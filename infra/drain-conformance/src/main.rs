//! `drain-conformance --url URL --store dir:PATH [CASES_DIR ...]`: sends every case to a running
//! drain over HTTP, reads what it stored, and prints `N passed, N failed` last.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use drain_conformance::{check, load, Reply, Stored};

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
    let mut store = None;
    let mut dirs = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--url" => url = args.next(),
            "--store" => store = args.next(),
            _ if a.starts_with("--") => bail!("unknown option {a}"),
            _ => dirs.push(PathBuf::from(a)),
        }
    }
    let url = url.context("--url is required")?;
    let store = Store::parse(&store.context("--store is required")?)?;
    let cases = load(&dirs)?;
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let (mut passed, mut failed) = (0, 0);
    for case in &cases {
        let before = store.list()?;
        let mut replies = Vec::new();
        for _ in 0..case.repeat {
            replies.push(send(&agent, &url, case).with_context(|| format!("sending {}", case.name))?);
        }
        let after = store.list()?;
        let created: Vec<Stored> = after
            .into_iter()
            .filter(|(k, _)| !before.contains_key(k))
            .map(|(key, bytes)| Stored { key, bytes })
            .collect();
        let problems = check(case, &replies, &created);
        if problems.is_empty() {
            passed += 1;
            println!("ok   {}", case.name);
        } else {
            failed += 1;
            println!("FAIL {} ({})\n  {}", case.name, case.about, problems.join("\n  "));
        }
    }
    println!("{passed} passed, {failed} failed");
    Ok(failed == 0)
}

fn send(agent: &ureq::Agent, url: &str, case: &drain_conformance::Case) -> Result<Reply> {
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
}

impl Store {
    fn parse(s: &str) -> Result<Self> {
        match s.split_once(':') {
            Some(("dir", path)) => Ok(Store::Dir(PathBuf::from(path))),
            _ => bail!("--store takes dir:PATH"),
        }
    }

    fn list(&self) -> Result<BTreeMap<String, Vec<u8>>> {
        let mut out = BTreeMap::new();
        match self {
            Store::Dir(root) => walk(root, root, &mut out)?,
        }
        Ok(out)
    }
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
